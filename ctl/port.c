// SPDX-License-Identifier: GPL-2.0-or-later
/* pawctl port {add | del | list}: the interfaces clients hang off. */
#include <string.h>

#include "pawctl.h"
#include "cleanup.h"

#define PORT_HELP "pawctl port help"

void usage_port(FILE *f)
{
	fprintf(f,
		"Usage: pawctl port add DEV [ mode { auto | native | generic } ]\n"
		"       pawctl port del DEV\n"
		"       pawctl [ -s ] port [ list ]\n");
}

/* Sum of the packets the per-port reasons dropped. */
static __u64 dropped(const json_t *reasons)
{
	const char *name;
	json_t *r;
	__u64 n = 0;

	json_object_foreach((json_t *)reasons, name, r)
		if (jstr(r, "action") && !strcmp(jstr(r, "action"), "drop"))
			n += ju64(r, "packets");
	return n;
}

/* One port.list object; st is its stats answer with -s, else NULL. */
static void print_port(struct pawctl *p, const json_t *o, const json_t *st)
{
	cell_string(p, "name", "NAME", jstr(o, "name"));
	cell_u64(p, "ifindex", "IFINDEX", ju64(o, "ifindex"));
	cell_string(p, "mac", "MAC", jstr(o, "mac"));
	cell_u64(p, "mtu", "MTU", ju64(o, "mtu"));
	cell_bool(p, "up", NULL, jbool(o, "up"));
	cell_string(p, NULL, "STATE", jbool(o, "up") ? "up" : "down");
	cell_bool(p, "attached", NULL, jbool(o, "attached"));
	cell_string(p, "mode", "XDP", jstr(o, "mode"));
	cell_bool(p, "configured", "CONFIGURED", jbool(o, "configured"));
	cell_u64(p, "clients", "CLIENTS", ju64(o, "clients"));
	if (!st)
		return;
	open_json_object(p, "stats");
	open_json_object(p, "forwarded_in");
	cell_u64(p, "packets", "IN-PKTS", ju64(json_object_get(st, "forwarded_in"), "packets"));
	cell_u64(p, "bytes", "IN-BYTES", ju64(json_object_get(st, "forwarded_in"), "bytes"));
	close_json_object(p);
	open_json_object(p, "forwarded_out");
	cell_u64(p, "packets", "OUT-PKTS", ju64(json_object_get(st, "forwarded_out"), "packets"));
	cell_u64(p, "bytes", "OUT-BYTES", ju64(json_object_get(st, "forwarded_out"), "bytes"));
	close_json_object(p);
	cell_u64(p, "dropped", "DROPPED", dropped(json_object_get(st, "reasons")));
	close_json_object(p);
}

static int port_list(struct pawctl *p, int argc, char **argv)
{
	if (argc > 1)
		return pawctl_garbage(p, argv[1], PORT_HELP);
	return pawctl_list(p, "port.list", "port", print_port);
}

static int port_add(struct pawctl *p, int argc, char **argv)
{
	static const char *const kws[] = { "mode" };
	static const char *const modes[] = { "auto", "native", "generic" };
	const char *dev = NULL, *mode = NULL;
	json_t *args, *r;
	int ret, m;

	for (argc--, argv++; argc > 0; argc--, argv++) {
		if (!dev) {
			dev = argv[0];
			if (pawctl_arg_dev(p, dev))
				return PAWCTL_USAGE;
			continue;
		}
		if (pawctl_keyword(p, argv[0], kws, PAW_ARRAY_SIZE(kws), PORT_HELP) < 0)
			return PAWCTL_USAGE;
		if (argc < 2)
			return pawctl_incomplete(p, PORT_HELP);
		argc--, argv++;
		if (mode)
			return pawctl_duparg(p, "mode", argv[0]);
		m = pawctl_match(argv[0], modes, PAW_ARRAY_SIZE(modes));
		if (m < 0)
			return pawctl_invarg(p, argv[0], "mode is auto, native or generic");
		mode = modes[m];
	}
	if (!dev)
		return pawctl_missarg(p, "DEV", PORT_HELP);
	args = json_pack("{ss}", "name", dev);
	if (args && mode)
		json_object_set_new(args, "mode", json_string(mode));
	ret = pawctl_request(p, "port.add", args, &r);
	if (ret)
		return ret;
	/* Quiet in text, as ip link: JSON gets the port pawd now serves. */
	open_json_object(p, NULL);
	print_port(p, r, NULL);
	close_json_object(p);
	json_decref(r);
	return PAWCTL_OK;
}

static int port_del(struct pawctl *p, int argc, char **argv)
{
	json_t *r;
	int ret;

	if (argc < 2)
		return pawctl_missarg(p, "DEV", PORT_HELP);
	if (pawctl_arg_dev(p, argv[1]))
		return PAWCTL_USAGE;
	if (argc > 2)
		return pawctl_garbage(p, argv[2], PORT_HELP);
	ret = pawctl_request(p, "port.del", json_pack("{ss}", "name", argv[1]), &r);
	if (ret)
		return ret;
	json_decref(r);
	return PAWCTL_OK;
}

static int port_help(struct pawctl *p, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return pawctl_help(p, usage_port);
}

static const struct pawctl_cmd port_cmds[] = {
	{ "add", port_add },
	{ "del", port_del },
	{ "list", port_list },
	{ "help", port_help },
};

int do_port(struct pawctl *p, int argc, char **argv)
{
	if (argc < 2)
		return port_list(p, 1, argv);
	return pawctl_dispatch(p, port_cmds, PAW_ARRAY_SIZE(port_cmds), "command", PORT_HELP,
			       argc - 1, argv + 1);
}
