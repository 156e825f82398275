// SPDX-License-Identifier: GPL-2.0-or-later
/* pawctl status: what pawd is running with and how much it holds. */
#include <string.h>

#include "pawctl.h"

void usage_status(FILE *f)
{
	fprintf(f, "Usage: pawctl status\n");
}

static void print_status(struct pawctl *p, const json_t *r)
{
	const json_t *ear = json_object_get(r, "ear");
	const json_t *dp = json_object_get(r, "datapath");
	const json_t *st = json_object_get(r, "store");
	const json_t *cnt = json_object_get(r, "counts");
	const json_t *addrs = json_object_get(ear, "addresses");
	const json_t *a;
	size_t i;
	char buf[64];

	open_json_object(p, NULL);
	print_string(p, PRINT_ANY, "version", "pawd %s", jstr(r, "version"));
	print_u64(p, PRINT_ANY, "pid", "  pid %llu", ju64(r, "pid"));
	print_u64(p, PRINT_JSON, "uptime_s", NULL, ju64(r, "uptime_s"));
	print_string(p, PRINT_FP, NULL, "  up %s", fmt_duration_s(ju64(r, "uptime_s"), buf,
								   sizeof(buf)));
	print_nl(p);

	open_json_object(p, "ear");
	print_string(p, PRINT_ANY, "name", "ear       %s", jstr(ear, "name"));
	open_json_array(p, "addresses");
	print_text(p, "  addresses");
	json_array_foreach(addrs, i, a)
		print_string(p, PRINT_ANY, NULL, i ? ",%s" : " %s", json_string_value(a));
	if (!json_array_size(addrs))
		print_text(p, " -");
	close_json_array(p);
	print_u64(p, PRINT_ANY, "port", "  port %llu", ju64(ear, "port"));
	print_bool(p, PRINT_ANY, "udp", "  udp %s", jbool(ear, "udp"));
	print_bool(p, PRINT_ANY, "tcp", "  tcp %s", jbool(ear, "tcp"));
	close_json_object(p);
	print_nl(p);

	print_string(p, PRINT_ANY, "policy", "policy    %s\n", jstr(r, "policy"));

	open_json_object(p, "datapath");
	print_string(p, PRINT_ANY, "pin_dir", "datapath  %s", jstr(dp, "pin_dir"));
	print_bool(p, PRINT_JSON, "reused", NULL, jbool(dp, "reused"));
	print_string(p, PRINT_FP, NULL, "  %s", jbool(dp, "reused") ? "reused" : "loaded");
	print_u64(p, PRINT_ANY, "prog_id", "  prog %llu", ju64(dp, "prog_id"));
	print_u64(p, PRINT_ANY, "max_calls", "  max-calls %llu", ju64(dp, "max_calls"));
	print_u64(p, PRINT_ANY, "max_clients", "  max-clients %llu", ju64(dp, "max_clients"));
	print_u64(p, PRINT_ANY, "counter_slots", "  counter-slots %llu",
		  ju64(dp, "counter_slots"));
	close_json_object(p);
	print_nl(p);

	open_json_object(p, "store");
	print_string(p, PRINT_ANY, "backend", "store     %s", jstr(st, "backend"));
	print_string(p, PRINT_ANY, "path", "  %s", jstr(st, "path"));
	print_u64(p, PRINT_ANY, "schema", "  schema %llu", ju64(st, "schema"));
	close_json_object(p);
	print_nl(p);

	open_json_object(p, "counts");
	print_u64(p, PRINT_ANY, "ports", "counts    ports %llu", ju64(cnt, "ports"));
	print_u64(p, PRINT_ANY, "clients", "  clients %llu", ju64(cnt, "clients"));
	print_u64(p, PRINT_ANY, "registered", "  registered %llu", ju64(cnt, "registered"));
	print_u64(p, PRINT_ANY, "calls", "  calls %llu", ju64(cnt, "calls"));
	print_u64(p, PRINT_ANY, "messages", "  messages %llu", ju64(cnt, "messages"));
	close_json_object(p);
	print_nl(p);
	close_json_object(p);
}

int do_status(struct pawctl *p, int argc, char **argv)
{
	json_t *r;
	int ret;

	if (argc > 1) {
		if (pawctl_is_help(argv[1]))
			return pawctl_help(p, usage_status);
		return pawctl_garbage(p, argv[1], "pawctl status help");
	}
	ret = pawctl_request(p, "status", NULL, &r);
	if (ret)
		return ret;
	print_status(p, r);
	json_decref(r);
	return PAWCTL_OK;
}
