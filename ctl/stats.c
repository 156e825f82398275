// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pawctl stats [port DEV | client NAME | call NAME1 NAME2]: the
 * Switchboard's counters per reason, per port, per client and per call,
 * and the ear's request counts.
 */
#include <string.h>

#include "pawctl.h"
#include "cleanup.h"

#define STATS_HELP "pawctl stats help"

void usage_stats(FILE *f)
{
	fprintf(f, "Usage: pawctl stats [ port DEV | client NAME | call NAME1 NAME2 ]\n");
}

void print_ctr(struct pawctl *p, const char *key, const char *label, const json_t *ctr)
{
	open_json_object(p, key);
	print_string(p, PRINT_FP, NULL, "%s", label);
	print_u64(p, PRINT_ANY, "packets", " %llu packets", ju64(ctr, "packets"));
	print_u64(p, PRINT_ANY, "bytes", " %llu bytes", ju64(ctr, "bytes"));
	close_json_object(p);
}

/* The "reasons" member: every reason by name, in pawd's order. */
void print_reasons(struct pawctl *p, const json_t *reasons)
{
	const char *name;
	json_t *r;

	table_open(p, "reasons", true);
	json_object_foreach((json_t *)reasons, name, r) {
		table_row(p, name);
		cell_string(p, NULL, "REASON", name);
		cell_string(p, "action", "ACTION", jstr(r, "action"));
		cell_u64(p, "packets", "PACKETS", ju64(r, "packets"));
		cell_u64(p, "bytes", "BYTES", ju64(r, "bytes"));
	}
	table_close(p);
}

static void print_global(struct pawctl *p, const json_t *r)
{
	const json_t *ear = json_object_get(r, "ear");
	const json_t *refused = json_object_get(ear, "refused");
	const char *name;
	json_t *v;

	open_json_object(p, NULL);
	print_reasons(p, json_object_get(r, "reasons"));
	print_u64(p, PRINT_ANY, "events_lost", "events-lost %llu\n", ju64(r, "events_lost"));
	open_json_object(p, "ear");
	print_u64(p, PRINT_ANY, "requests", "ear requests %llu", ju64(ear, "requests"));
	print_u64(p, PRINT_ANY, "accepted", "  accepted %llu", ju64(ear, "accepted"));
	print_nl(p);
	open_json_object(p, "refused");
	print_text(p, "    refused");
	json_object_foreach((json_t *)refused, name, v) {
		print_text(p, " %s", name);
		print_u64(p, PRINT_ANY, name, " %llu", json_is_integer(v) ?
			  (__u64)json_integer_value(v) : 0);
	}
	close_json_object(p);
	print_nl(p);
	close_json_object(p);
	close_json_object(p);
}

static void print_port(struct pawctl *p, const json_t *r)
{
	open_json_object(p, NULL);
	print_string(p, PRINT_ANY, "port", "port %s  ", jstr(r, "port"));
	print_ctr(p, "forwarded_in", "forwarded-in", json_object_get(r, "forwarded_in"));
	print_text(p, "  ");
	print_ctr(p, "forwarded_out", "forwarded-out", json_object_get(r, "forwarded_out"));
	print_nl(p);
	print_reasons(p, json_object_get(r, "reasons"));
	close_json_object(p);
}

static void print_client(struct pawctl *p, const json_t *r)
{
	const json_t *calls = json_object_get(r, "calls");
	const json_t *c;
	size_t i;

	open_json_object(p, NULL);
	print_string(p, PRINT_ANY, "client", "client %s  ", jstr(r, "client"));
	print_ctr(p, "sent", "sent", json_object_get(r, "sent"));
	print_text(p, "  ");
	print_ctr(p, "received", "received", json_object_get(r, "received"));
	print_nl(p);
	table_open(p, "calls", false);
	json_array_foreach(calls, i, c) {
		const json_t *s = json_object_get(c, "sent");
		const json_t *rx = json_object_get(c, "received");

		table_row(p, NULL);
		cell_string(p, "peer", "PEER", jstr(c, "peer"));
		open_json_object(p, "sent");
		cell_u64(p, "packets", "SENT-PKTS", ju64(s, "packets"));
		cell_u64(p, "bytes", "SENT-BYTES", ju64(s, "bytes"));
		close_json_object(p);
		open_json_object(p, "received");
		cell_u64(p, "packets", "RECV-PKTS", ju64(rx, "packets"));
		cell_u64(p, "bytes", "RECV-BYTES", ju64(rx, "bytes"));
		close_json_object(p);
	}
	table_close(p);
	close_json_object(p);
}

static void print_call(struct pawctl *p, const json_t *r)
{
	int stats = p->stats;

	p->stats = 1;	/* counters are what was asked for */
	if (p->json) {
		open_json_object(p, NULL);
		print_call_row(p, r);
		close_json_object(p);
	} else {
		table_open(p, NULL, false);
		table_row(p, NULL);
		print_call_row(p, r);
		table_close(p);
	}
	p->stats = stats;
}

int do_stats(struct pawctl *p, int argc, char **argv)
{
	enum { K_PORT, K_CLIENT, K_CALL, K_HELP };
	static const char *const kws[] = { "port", "client", "call", "help" };
	json_t *args = NULL, *r;
	int k = -1, ret, need = 0;

	if (argc > 1) {
		k = pawctl_keyword(p, argv[1], kws, PAW_ARRAY_SIZE(kws), STATS_HELP);
		if (k < 0)
			return PAWCTL_USAGE;
		if (k == K_HELP)
			return pawctl_help(p, usage_stats);
		need = k == K_CALL ? 2 : 1;
		if (argc < 2 + need)
			return pawctl_missarg(p, k == K_PORT ? "DEV" : k == K_CLIENT ? "NAME" :
					      argc < 3 ? "NAME1" : "NAME2", STATS_HELP);
		if (argc > 2 + need)
			return pawctl_garbage(p, argv[2 + need], STATS_HELP);
	}
	switch (k) {
	case K_PORT:
		if (pawctl_arg_dev(p, argv[2]))
			return PAWCTL_USAGE;
		args = json_pack("{ss}", "port", argv[2]);
		break;
	case K_CLIENT:
		if (pawctl_arg_name(p, "NAME", argv[2]))
			return PAWCTL_USAGE;
		args = json_pack("{ss}", "client", argv[2]);
		break;
	case K_CALL:
		if (pawctl_arg_name(p, "NAME1", argv[2]) || pawctl_arg_name(p, "NAME2", argv[3]))
			return PAWCTL_USAGE;
		args = json_pack("{s[ss]}", "call", argv[2], argv[3]);
		break;
	}
	ret = pawctl_request(p, "stats", args, &r);
	if (ret)
		return ret;
	switch (k) {
	case K_PORT:
		print_port(p, r);
		break;
	case K_CLIENT:
		print_client(p, r);
		break;
	case K_CALL:
		print_call(p, r);
		break;
	default:
		print_global(p, r);
	}
	json_decref(r);
	return PAWCTL_OK;
}
