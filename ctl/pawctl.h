/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pawctl internals: one context per run, command tables, argument
 * helpers, the text/JSON printer and the control-socket client.
 *
 * Everything writes to p->out / p->err rather than stdout/stderr, and
 * nothing calls exit(): unit tests run pawctl_run() in-process and read
 * what it printed.
 */
#ifndef PAWCTL_H
#define PAWCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>
#include <linux/types.h>

#define PAWCTL_VERSION		"0.1.0"
#define PAWCTL_SOCKET		"/run/paw/pawd.sock"
#define PAWCTL_TIMEOUT_MS	30000	/* for one answer from pawd */

/* Exit codes: the contract with scripts. */
enum {
	PAWCTL_OK = 0,
	PAWCTL_FAIL = 1,	/* refused, failed, or pawd unreachable */
	PAWCTL_USAGE = 2,	/* the command line is wrong */
};

struct ctl_conn;
struct out_table;

#define OUT_DEPTH 8

struct pawctl {
	FILE *out;
	FILE *err;
	bool json;
	bool pretty;
	int stats;		/* -s given this many times */
	const char *sock_path;
	int timeout_ms;

	/* printer state (output.c) */
	json_t *jroot;
	json_t *jstack[OUT_DEPTH];
	int jdepth;
	bool jfailed;		/* out of memory or nesting too deep */
	struct out_table *tbl;
	/* the command wrote its output itself (help, monitor): no JSON
	 * document at the end */
	bool streamed;

	/* control connection, opened on first use (ctlsock.c) */
	struct ctl_conn *conn;
	/* signal mask while waiting for pawd (ppoll); NULL: unchanged */
	const void *wait_mask;
};

/* pawctl.c: the whole program. pawctl_main() uses stdout and stderr. */
int pawctl_main(int argc, char **argv);
int pawctl_run(FILE *out, FILE *err, int argc, char **argv);

/* ---- dispatch and argument helpers (args.c) ---- */

struct pawctl_cmd {
	const char *name;
	int (*fn)(struct pawctl *p, int argc, char **argv);
};

/*
 * Find `word` in a table of names: an exact match, else the one name it
 * is a prefix of. NULL-terminated `names`. Returns the index, -1 when
 * nothing matches, -2 when the prefix fits more than one.
 */
int pawctl_match(const char *word, const char *const *names, size_t n);

/*
 * Run argv[0]'s entry of `cmds`; `what` names the level in errors
 * ("object", "command"), `help` is the hint ("pawctl port help").
 * argv[0] itself is passed on as the handler's argv[0].
 */
int pawctl_dispatch(struct pawctl *p, const struct pawctl_cmd *cmds, size_t n,
		    const char *what, const char *help, int argc, char **argv);

/*
 * Keyword lookup inside a command line ("ipv4", "port", ...): the
 * index, or -1 after printing why (unknown or ambiguous) as a usage
 * error naming `help`.
 */
int pawctl_keyword(struct pawctl *p, const char *word, const char *const *kws, size_t n,
		   const char *help);

/* "help" (or a prefix of it) as the next word. */
bool pawctl_is_help(const char *word);
/* Print an object's usage on p->out as the command's output: PAWCTL_OK. */
int pawctl_help(struct pawctl *p, void (*usage)(FILE *f));

/* Fixed phrasings, as iproute2's invarg()/missarg()/duparg(). Each
 * prints one line to p->err and returns PAWCTL_USAGE. */
int pawctl_invarg(struct pawctl *p, const char *arg, const char *why);
int pawctl_missarg(struct pawctl *p, const char *what, const char *help);
int pawctl_duparg(struct pawctl *p, const char *key, const char *arg);
int pawctl_garbage(struct pawctl *p, const char *arg, const char *help);
int pawctl_incomplete(struct pawctl *p, const char *help);

/* "pawctl: ..." on p->err. */
void pawctl_error(struct pawctl *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Argument checks: 0, or PAWCTL_USAGE after pawctl_invarg(). */
int pawctl_arg_name(struct pawctl *p, const char *what, const char *arg);
int pawctl_arg_dev(struct pawctl *p, const char *arg);
int pawctl_arg_ipv4(struct pawctl *p, const char *arg);
int pawctl_arg_mac(struct pawctl *p, const char *arg);
int pawctl_arg_u32(struct pawctl *p, const char *arg, __u32 min, __u32 max, __u32 *out);

/* ---- output (output.c): one print call per field, text or JSON ---- */

enum {
	PRINT_FP = 1,		/* text only */
	PRINT_JSON = 2,		/* JSON only */
	PRINT_ANY = 3,
};

void out_reset(struct pawctl *p);
/* Ends the command's output: JSON prints its one document ("{}" when the
 * command produced none); text prints a pending table. 0 or -EIO. */
int out_finish(struct pawctl *p);
/* Drop whatever was built (a command failed halfway). */
void out_discard(struct pawctl *p);

void open_json_object(struct pawctl *p, const char *key);
void close_json_object(struct pawctl *p);
void open_json_array(struct pawctl *p, const char *key);
void close_json_array(struct pawctl *p);

/* fmt takes one %s (strings, booleans as "yes"/"no") or one PRIu64-style
 * conversion (print_u64). A NULL string is JSON null and "-" in text. */
void print_string(struct pawctl *p, int t, const char *key, const char *fmt, const char *v);
void print_u64(struct pawctl *p, int t, const char *key, const char *fmt, __u64 v);
void print_bool(struct pawctl *p, int t, const char *key, const char *fmt, bool v);
/* JSON only: a value built elsewhere (reference stolen). */
void print_json(struct pawctl *p, const char *key, json_t *v);
/* Text only. */
void print_text(struct pawctl *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void print_nl(struct pawctl *p);

/*
 * Tables: aligned columns in text, an array of objects in JSON (or, with
 * `keyed`, an object whose members are the rows, named by table_row()).
 * Columns are those of the first row, in order; a cell with key NULL is
 * text only, one with head NULL JSON only. open_json_object() inside a
 * row nests JSON members without changing the text columns.
 */
void table_open(struct pawctl *p, const char *key, bool keyed);
void table_row(struct pawctl *p, const char *key);
void table_close(struct pawctl *p);
void cell_string(struct pawctl *p, const char *key, const char *head, const char *v);
void cell_u64(struct pawctl *p, const char *key, const char *head, __u64 v);
void cell_bool(struct pawctl *p, const char *key, const char *head, bool v);

/* Reading the daemon's JSON: NULL / 0 / false when absent or mistyped. */
const char *jstr(const json_t *o, const char *key);
__u64 ju64(const json_t *o, const char *key);
bool jbool(const json_t *o, const char *key);
bool jhas(const json_t *o, const char *key);

/* "2025-11-24 16:00:02" (local time); "-" for 0. */
char *fmt_time_ms(__u64 ms, char *buf, size_t len);
/* "1d 2h 3m 4s" */
char *fmt_duration_s(__u64 s, char *buf, size_t len);

/* ---- control socket (ctlsock.c) ---- */

/* 0, or -errno: connecting, sending, or a malformed/oversized answer. */
/* timeout_ms bounds connecting and each send (a pawd that stopped
 * accepting or reading): -ETIMEDOUT. */
int ctl_open(struct ctl_conn **cp, const char *path, int timeout_ms);
void ctl_close(struct ctl_conn *c);
int ctl_send(struct ctl_conn *c, const char *cmd, json_t *args, json_int_t *id);
/* One line, parsed. timeout_ms < 0 waits without limit; -ETIMEDOUT,
 * -EPIPE (closed), -EBADMSG, -EMSGSIZE, -EINTR (a signal in `sigmask`
 * came: ppoll semantics, NULL to keep the current mask). */
int ctl_recv(struct ctl_conn *c, json_t **msg, int timeout_ms, const void *sigmask);

/*
 * One request over p's connection (opened on first use): the exit code.
 * On success *result holds the answer's "result" (a new reference, JSON
 * null when absent). On failure the reason is printed: the daemon's
 * error text, or why pawd could not be asked. args is stolen.
 */
int pawctl_request(struct pawctl *p, const char *cmd, json_t *args, json_t **result);
/*
 * `OBJECT list`: ask pawd for cmd's list and, with -s, the counters of
 * each element (`stats` with {stats_key: its name}) before printing a row
 * of anything, so a failure prints no half table. row() prints one
 * element (st is NULL without -s).
 */
int pawctl_list(struct pawctl *p, const char *cmd, const char *stats_key,
		void (*row)(struct pawctl *p, const json_t *o, const json_t *st));
/* Print the connect error with the hint; returns PAWCTL_FAIL. */
int pawctl_conn_error(struct pawctl *p, int err);
/* A failed response ("ok": false) to its exit code, after printing it. */
int pawctl_response_error(struct pawctl *p, const json_t *msg);
void pawctl_disconnect(struct pawctl *p);

/* ---- objects ---- */

int do_status(struct pawctl *p, int argc, char **argv);
int do_port(struct pawctl *p, int argc, char **argv);
int do_client(struct pawctl *p, int argc, char **argv);
int do_call(struct pawctl *p, int argc, char **argv);
int do_stats(struct pawctl *p, int argc, char **argv);
int do_monitor(struct pawctl *p, int argc, char **argv);
int do_postbox(struct pawctl *p, int argc, char **argv);

/* Per-object usage, printed to `f`. */
void usage_status(FILE *f);
void usage_port(FILE *f);
void usage_client(FILE *f);
void usage_call(FILE *f);
void usage_stats(FILE *f);
void usage_monitor(FILE *f);
void usage_postbox(FILE *f);

/* Shared printers (stats.c): a {packets, bytes} member and the reasons
 * table of the stats answers. */
void print_ctr(struct pawctl *p, const char *key, const char *label, const json_t *ctr);
void print_reasons(struct pawctl *p, const json_t *reasons);
/* One call.list object as a table row (call.c). */
void print_call_row(struct pawctl *p, const json_t *c);

#endif /* PAWCTL_H */
