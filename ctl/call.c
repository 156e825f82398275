// SPDX-License-Identifier: GPL-2.0-or-later
/* pawctl call {add | del | list}: calls placed by the admin, and all calls. */
#include <string.h>

#include "pawctl.h"
#include "cleanup.h"

#define CALL_HELP "pawctl call help"

void usage_call(FILE *f)
{
	fprintf(f,
		"Usage: pawctl call add NAME1 NAME2\n"
		"       pawctl call del NAME1 NAME2\n"
		"       pawctl [ -s ] call [ list ]\n");
}

void print_call_row(struct pawctl *p, const json_t *c)
{
	const json_t *ab = json_object_get(c, "a_to_b");
	const json_t *ba = json_object_get(c, "b_to_a");
	char tbuf[32];

	cell_u64(p, "id", "ID", ju64(c, "id"));
	cell_string(p, "a", "A", jstr(c, "a"));
	cell_string(p, "b", "B", jstr(c, "b"));
	cell_bool(p, "by_admin", "ADMIN", jbool(c, "by_admin"));
	cell_u64(p, "since_ms", NULL, ju64(c, "since_ms"));
	cell_string(p, NULL, "SINCE", fmt_time_ms(ju64(c, "since_ms"), tbuf, sizeof(tbuf)));
	cell_bool(p, "live", "LIVE", jbool(c, "live"));
	if (!p->stats)
		return;
	open_json_object(p, "a_to_b");
	cell_u64(p, "packets", "A>B-PKTS", ju64(ab, "packets"));
	cell_u64(p, "bytes", "A>B-BYTES", ju64(ab, "bytes"));
	close_json_object(p);
	open_json_object(p, "b_to_a");
	cell_u64(p, "packets", "B>A-PKTS", ju64(ba, "packets"));
	cell_u64(p, "bytes", "B>A-BYTES", ju64(ba, "bytes"));
	close_json_object(p);
}

/* NAME1 NAME2 of add and del: the request's args, or NULL after a
 * usage error (*ret holds the exit code). */
static json_t *call_pair(struct pawctl *p, int argc, char **argv, int *ret)
{
	*ret = PAWCTL_USAGE;
	if (argc < 2) {
		pawctl_missarg(p, "NAME1", CALL_HELP);
		return NULL;
	}
	if (argc < 3) {
		pawctl_missarg(p, "NAME2", CALL_HELP);
		return NULL;
	}
	if (pawctl_arg_name(p, "NAME1", argv[1]) || pawctl_arg_name(p, "NAME2", argv[2]))
		return NULL;
	if (!strcmp(argv[1], argv[2])) {
		pawctl_invarg(p, argv[2], "a client cannot call itself");
		return NULL;
	}
	if (argc > 3) {
		pawctl_garbage(p, argv[3], CALL_HELP);
		return NULL;
	}
	*ret = PAWCTL_OK;
	return json_pack("{ssss}", "a", argv[1], "b", argv[2]);
}

static int call_add(struct pawctl *p, int argc, char **argv)
{
	json_t *args, *r;
	int ret;

	args = call_pair(p, argc, argv, &ret);
	if (ret)
		return ret;
	ret = pawctl_request(p, "call.add", args, &r);
	if (ret)
		return ret;
	/* Quiet in text; JSON gets the call, with its id. */
	open_json_object(p, NULL);
	print_u64(p, PRINT_JSON, "id", NULL, ju64(r, "id"));
	print_string(p, PRINT_JSON, "a", NULL, jstr(r, "a"));
	print_string(p, PRINT_JSON, "b", NULL, jstr(r, "b"));
	print_bool(p, PRINT_JSON, "by_admin", NULL, jbool(r, "by_admin"));
	print_u64(p, PRINT_JSON, "since_ms", NULL, ju64(r, "since_ms"));
	close_json_object(p);
	json_decref(r);
	return PAWCTL_OK;
}

static int call_del(struct pawctl *p, int argc, char **argv)
{
	json_t *args, *r;
	int ret;

	args = call_pair(p, argc, argv, &ret);
	if (ret)
		return ret;
	ret = pawctl_request(p, "call.del", args, &r);
	if (ret)
		return ret;
	json_decref(r);
	return PAWCTL_OK;
}

static int call_list(struct pawctl *p, int argc, char **argv)
{
	json_t *list, *c;
	size_t i;
	int ret;

	if (argc > 1)
		return pawctl_garbage(p, argv[1], CALL_HELP);
	ret = pawctl_request(p, "call.list", NULL, &list);
	if (ret)
		return ret;
	if (!json_is_array(list)) {
		pawctl_error(p, "pawd's call list is not a list");
		json_decref(list);
		return PAWCTL_FAIL;
	}
	table_open(p, NULL, false);
	json_array_foreach(list, i, c) {
		table_row(p, NULL);
		print_call_row(p, c);
	}
	table_close(p);
	json_decref(list);
	return PAWCTL_OK;
}

static int call_help(struct pawctl *p, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return pawctl_help(p, usage_call);
}

static const struct pawctl_cmd call_cmds[] = {
	{ "add", call_add },
	{ "del", call_del },
	{ "list", call_list },
	{ "help", call_help },
};

int do_call(struct pawctl *p, int argc, char **argv)
{
	if (argc < 2)
		return call_list(p, 1, argv);
	return pawctl_dispatch(p, call_cmds, PAW_ARRAY_SIZE(call_cmds), "command", CALL_HELP,
			       argc - 1, argv + 1);
}
