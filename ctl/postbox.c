// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pawctl postbox ... VERB: a client's side, over IPv6 to the Operator's
 * ear with libpawclient. Thin on purpose: parse, one library call,
 * print the Operator's status and text. Exit 0 when the Operator
 * accepted, 1 when it refused or could not be asked, 2 on usage errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pawctl.h"
#include "cleanup.h"
#include "util.h"
#include "paw/pawclient.h"

#define PB_HELP "pawctl postbox help"
#define PB_DEFAULT_SERVER PAW_PB_SERVER ":53"

_Static_assert(PAW_PB_PORT == 53, "PB_DEFAULT_SERVER follows PAW_PB_PORT");

void usage_postbox(FILE *f)
{
	fprintf(f,
		"Usage: pawctl postbox [ server HOST[:PORT] ] [ udp | tcp ] [ timeout MS ] [ retries N ]\n"
		"                      name NAME secret-file PATH VERB\n"
		"where  VERB := { register ipv4 A.B.C.D [ mac MAC ] [ SOIL ] |\n"
		"                 set SOIL | call PEER | hangup PEER | post PEER TEXT... |\n"
		"                 fetch [ max N ] [ ack ] | ack ID... | status }\n"
		"       SOIL := [ allow NAME,... | allow-all | allow-none ] [ max-calls N ]\n"
		"               [ postbox-max N ] [ retention SECONDS ]\n"
		"       HOST defaults to " PB_DEFAULT_SERVER ", resolved to IPv6 only.\n");
}

enum pb_verb {
	V_REGISTER, V_SET, V_CALL, V_HANGUP, V_POST, V_FETCH, V_ACK, V_STATUS, V_HELP,
};

static const char *const verbs[] = {
	"register", "set", "call", "hangup", "post", "fetch", "ack", "status", "help",
};

struct pb_cmd {
	enum pb_verb verb;
	__be32 ipv4;
	bool has_ipv4, has_mac;
	__u8 mac[6];
	struct paw_pb_soil soil;
	const char *peer;
	char text[PAW_PB_TEXT_MAX + 1];
	size_t text_len;
	__u16 fetch_max;
	bool fetch_ack;
	__u64 ids[PAW_PB_ACK_MAX];
	__u16 n_ids;
};

/* ---- parsing ---- */

static int parse_allow(struct pawctl *p, const char *list, struct paw_pb_soil *soil)
{
	char buf[PAW_PB_ALLOW_MAX * (PAW_PB_NAME_MAX + 1) + 1];
	char *save = NULL, *name;
	char why[64];

	if (strlen(list) >= sizeof(buf) || !*list)
		return pawctl_invarg(p, list, "allow takes NAME,... (up to 32 names)");
	strcpy(buf, list);
	soil->n_allow = 0;
	for (name = strtok_r(buf, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		if (pawctl_arg_name(p, "each allowed NAME", name))
			return PAWCTL_USAGE;
		if (soil->n_allow == PAW_PB_ALLOW_MAX) {
			snprintf(why, sizeof(why), "at most %d names", PAW_PB_ALLOW_MAX);
			return pawctl_invarg(p, list, why);
		}
		strcpy(soil->allow[soil->n_allow++], name);
	}
	if (!soil->n_allow)
		return pawctl_invarg(p, list, "allow takes NAME,... (up to 32 names)");
	return 0;
}

/* register's and set's words; `reg` adds ipv4 and mac. Consumes all. */
static int parse_soil(struct pawctl *p, int argc, char **argv, bool reg, struct pb_cmd *c)
{
	enum { K_ALLOW, K_ALLOW_ALL, K_ALLOW_NONE, K_MAX_CALLS, K_POSTBOX_MAX, K_RETENTION,
	       K_IPV4, K_MAC };
	static const char *const kws[] = { "allow", "allow-all", "allow-none", "max-calls",
					   "postbox-max", "retention", "ipv4", "mac" };
	struct paw_pb_soil *s = &c->soil;
	int k;

	for (; argc > 0; argc--, argv++) {
		k = pawctl_keyword(p, argv[0], kws, reg ? PAW_ARRAY_SIZE(kws) : K_IPV4, PB_HELP);
		if (k < 0)
			return PAWCTL_USAGE;
		if (k == K_ALLOW_ALL || k == K_ALLOW_NONE) {
			if (s->present & PAW_PB_SOIL_ALLOW)
				return pawctl_duparg(p, "allow", argv[0]);
			s->present |= PAW_PB_SOIL_ALLOW;
			s->allow_all = k == K_ALLOW_ALL;
			s->n_allow = 0;
			continue;
		}
		if (argc < 2)
			return pawctl_incomplete(p, PB_HELP);
		argc--, argv++;
		switch (k) {
		case K_ALLOW:
			if (s->present & PAW_PB_SOIL_ALLOW)
				return pawctl_duparg(p, "allow", argv[0]);
			if (parse_allow(p, argv[0], s))
				return PAWCTL_USAGE;
			s->present |= PAW_PB_SOIL_ALLOW;
			break;
		case K_MAX_CALLS:
			if (s->present & PAW_PB_SOIL_MAX_CALLS)
				return pawctl_duparg(p, "max-calls", argv[0]);
			if (pawctl_arg_u32(p, argv[0], 0, UINT32_MAX, &s->max_calls))
				return PAWCTL_USAGE;
			s->present |= PAW_PB_SOIL_MAX_CALLS;
			break;
		case K_POSTBOX_MAX:
			if (s->present & PAW_PB_SOIL_POSTBOX_MAX)
				return pawctl_duparg(p, "postbox-max", argv[0]);
			if (pawctl_arg_u32(p, argv[0], 0, UINT32_MAX, &s->postbox_max))
				return PAWCTL_USAGE;
			s->present |= PAW_PB_SOIL_POSTBOX_MAX;
			break;
		case K_RETENTION:
			if (s->present & PAW_PB_SOIL_RETENTION)
				return pawctl_duparg(p, "retention", argv[0]);
			if (pawctl_arg_u32(p, argv[0], 0, UINT32_MAX, &s->retention_s))
				return PAWCTL_USAGE;
			s->present |= PAW_PB_SOIL_RETENTION;
			break;
		case K_IPV4:
			if (c->has_ipv4)
				return pawctl_duparg(p, "ipv4", argv[0]);
			if (paw_ipv4_parse(argv[0], &c->ipv4))
				return pawctl_arg_ipv4(p, argv[0]);
			c->has_ipv4 = true;
			break;
		case K_MAC:
			if (c->has_mac)
				return pawctl_duparg(p, "mac", argv[0]);
			if (paw_mac_parse(argv[0], c->mac))
				return pawctl_arg_mac(p, argv[0]);
			c->has_mac = true;
			break;
		}
	}
	if (reg && !c->has_ipv4)
		return pawctl_missarg(p, "ipv4", PB_HELP);
	if (!reg && !s->present) {
		pawctl_error(p, "set needs at least one of allow, allow-all, allow-none, "
			     "max-calls, postbox-max, retention, try \"%s\"", PB_HELP);
		return PAWCTL_USAGE;
	}
	return 0;
}

static int parse_peer(struct pawctl *p, int argc, char **argv, struct pb_cmd *c)
{
	if (argc < 1)
		return pawctl_missarg(p, "PEER", PB_HELP);
	if (pawctl_arg_name(p, "PEER", argv[0]))
		return PAWCTL_USAGE;
	c->peer = argv[0];
	if (c->verb != V_POST && argc > 1)
		return pawctl_garbage(p, argv[1], PB_HELP);
	return 0;
}

/* post PEER TEXT...: the words after PEER, joined by single spaces. */
static int parse_text(struct pawctl *p, int argc, char **argv, struct pb_cmd *c)
{
	char why[64];
	size_t len = 0;

	if (argc < 1)
		return pawctl_missarg(p, "TEXT", PB_HELP);
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (len + n + (i ? 1 : 0) > PAW_PB_TEXT_MAX) {
			snprintf(why, sizeof(why), "a message is at most %d bytes",
				 PAW_PB_TEXT_MAX);
			return pawctl_invarg(p, argv[i], why);
		}
		if (i)
			c->text[len++] = ' ';
		memcpy(c->text + len, argv[i], n);
		len += n;
	}
	c->text[len] = '\0';
	c->text_len = len;
	return 0;
}

static int parse_fetch(struct pawctl *p, int argc, char **argv, struct pb_cmd *c)
{
	static const char *const kws[] = { "max", "ack" };
	bool have_max = false;
	__u32 max;
	int k;

	for (; argc > 0; argc--, argv++) {
		k = pawctl_keyword(p, argv[0], kws, PAW_ARRAY_SIZE(kws), PB_HELP);
		if (k < 0)
			return PAWCTL_USAGE;
		if (k == 1) {
			if (c->fetch_ack)
				return pawctl_duparg(p, "ack", argv[0]);
			c->fetch_ack = true;
			continue;
		}
		if (argc < 2)
			return pawctl_incomplete(p, PB_HELP);
		argc--, argv++;
		if (have_max)
			return pawctl_duparg(p, "max", argv[0]);
		if (pawctl_arg_u32(p, argv[0], 1, PAW_PB_FETCH_MAX, &max))
			return PAWCTL_USAGE;
		c->fetch_max = (__u16)max;
		have_max = true;
	}
	return 0;
}

static int parse_ack(struct pawctl *p, int argc, char **argv, struct pb_cmd *c)
{
	char why[64];

	if (argc < 1)
		return pawctl_missarg(p, "ID", PB_HELP);
	if (argc > PAW_PB_ACK_MAX) {
		snprintf(why, sizeof(why), "at most %d IDs at once", PAW_PB_ACK_MAX);
		return pawctl_invarg(p, argv[PAW_PB_ACK_MAX], why);
	}
	for (int i = 0; i < argc; i++) {
		if (paw_parse_u64(argv[i], &c->ids[i]) || !c->ids[i])
			return pawctl_invarg(p, argv[i], "an ID is a message number from fetch");
	}
	c->n_ids = (__u16)argc;
	return 0;
}

static int parse_verb(struct pawctl *p, int argc, char **argv, struct pb_cmd *c)
{
	switch (c->verb) {
	case V_REGISTER:
		return parse_soil(p, argc, argv, true, c);
	case V_SET:
		return parse_soil(p, argc, argv, false, c);
	case V_CALL:
	case V_HANGUP:
		return parse_peer(p, argc, argv, c);
	case V_POST:
		if (parse_peer(p, argc, argv, c))
			return PAWCTL_USAGE;
		return parse_text(p, argc - 1, argv + 1, c);
	case V_FETCH:
		return parse_fetch(p, argc, argv, c);
	case V_ACK:
		return parse_ack(p, argc, argv, c);
	case V_STATUS:
		return argc ? pawctl_garbage(p, argv[0], PB_HELP) : 0;
	case V_HELP:
		break;
	}
	return 0;
}

/* ---- printing ---- */

/*
 * A message's text is another client's bytes: shown to a terminal it
 * must not carry control sequences, and JSON needs valid UTF-8. Control
 * characters become \n, \t or \xNN in text; bytes that are not UTF-8
 * become U+FFFD in both.
 */
static void clean_text(const char *in, size_t len, bool json, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 8 < outlen;) {
		unsigned char ch = (unsigned char)in[i];
		size_t n = ch < 0x80 ? 1 : (ch & 0xe0) == 0xc0 ? 2 : (ch & 0xf0) == 0xe0 ? 3 :
			   (ch & 0xf8) == 0xf0 ? 4 : 0;
		bool ok = n && i + n <= len;

		for (size_t j = 1; ok && j < n; j++)
			ok = ((unsigned char)in[i + j] & 0xc0) == 0x80;
		/* overlong forms and surrogates are not UTF-8 either */
		if (ok && n == 2 && ch < 0xc2)
			ok = false;
		if (ok && n == 3 && ((ch == 0xe0 && (unsigned char)in[i + 1] < 0xa0) ||
				     (ch == 0xed && (unsigned char)in[i + 1] >= 0xa0)))
			ok = false;
		if (ok && n == 4 && (ch > 0xf4 || (ch == 0xf0 && (unsigned char)in[i + 1] < 0x90) ||
				     (ch == 0xf4 && (unsigned char)in[i + 1] >= 0x90)))
			ok = false;
		if (!ok) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		if (n == 1 && !json && (ch < 0x20 || ch == 0x7f)) {
			o += (size_t)snprintf(out + o, outlen - o, ch == '\n' ? "\\n" :
					      ch == '\t' ? "\\t" : "\\x%02x", ch);
			i++;
			continue;
		}
		if (n == 1 && json && ch == 0) {
			i++;	/* JSON strings here are C strings */
			continue;
		}
		memcpy(out + o, in + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
}

static void print_soil(struct pawctl *p, const struct paw_pb_soil *s)
{
	open_json_object(p, "options");
	if (s->allow_all) {
		print_string(p, PRINT_ANY, "allow", "    allow %s", "all");
	} else {
		open_json_array(p, "allow");
		print_text(p, "    allow");
		for (int i = 0; i < s->n_allow && i < PAW_PB_ALLOW_MAX; i++)
			print_string(p, PRINT_ANY, NULL, i ? ",%s" : " %s", s->allow[i]);
		if (!s->n_allow)
			print_text(p, " none");
		close_json_array(p);
	}
	print_u64(p, PRINT_ANY, "max_calls", "  max-calls %llu", s->max_calls);
	print_u64(p, PRINT_ANY, "postbox_max", "  postbox-max %llu", s->postbox_max);
	print_u64(p, PRINT_ANY, "retention_s", "  retention %llus", s->retention_s);
	close_json_object(p);
	print_nl(p);
}

static void print_info(struct pawctl *p, const struct paw_pb_status_info *in)
{
	char a[INET_ADDRSTRLEN], m[18];
	struct in_addr ia = { .s_addr = in->ipv4 };

	print_string(p, PRINT_ANY, "name", "client %s", in->name);
	print_string(p, PRINT_ANY, "ipv4", "  ipv4 %s",
		     inet_ntop(AF_INET, &ia, a, sizeof(a)) ? a : NULL);
	print_string(p, PRINT_ANY, "mac", "  mac %s", in->has_mac ? paw_mac_format(in->mac, m) :
							       NULL);
	print_bool(p, PRINT_ANY, "registered", "  registered %s", in->registered);
	print_nl(p);
	print_soil(p, &in->soil);
	print_u64(p, PRINT_ANY, "postbox", "    postbox %llu", in->postbox_count);
	open_json_array(p, "calls");
	print_text(p, "  calls");
	for (int i = 0; i < in->n_calls && i < PAW_PB_CALLS_MAX; i++)
		print_string(p, PRINT_ANY, NULL, i ? ",%s" : " %s", in->calls[i]);
	if (!in->n_calls)
		print_text(p, " none");
	close_json_array(p);
	print_nl(p);
}

static void print_messages(struct pawctl *p, const struct paw_pb_reply *r)
{
	char text[PAW_PB_TEXT_MAX * 4 + 16], tbuf[32];

	table_open(p, "messages", false);
	for (int i = 0; i < r->n_msgs && i < PAW_PB_FETCH_MAX; i++) {
		const struct paw_pb_msg *m = &r->msgs[i];
		size_t len = m->text_len <= PAW_PB_TEXT_MAX ? m->text_len : PAW_PB_TEXT_MAX;

		table_row(p, NULL);
		cell_u64(p, "id", "ID", m->id);
		cell_string(p, "from", "FROM", m->from);
		cell_u64(p, "ts_ms", NULL, m->ts_ms);
		cell_string(p, NULL, "TIME", fmt_time_ms(m->ts_ms, tbuf, sizeof(tbuf)));
		cell_u64(p, "msg_id", NULL, m->msg_id);
		clean_text(m->text, len, p->json, text, sizeof(text));
		cell_string(p, "text", "TEXT", text);
	}
	table_close(p);
}

/* ---- talking to the Operator ---- */

static int transport_error(struct pawctl *p, const char *server, const char *verb, int err)
{
	switch (err) {
	case -EBADMSG:
		pawctl_error(p, "%s: the Operator's answer does not verify with this secret "
			     "(wrong secret-file?)", verb);
		break;
	case -EPROTO:
		pawctl_error(p, "%s: the Operator's answer is malformed", verb);
		break;
	case -ETIMEDOUT:
		pawctl_error(p, "%s: no answer from the Operator at %s", verb, server);
		break;
	case -EHOSTUNREACH:
		/* also what an unresolvable name comes back as */
		pawctl_error(p, "%s: cannot reach the Operator at %s: %s (does it resolve to an "
			     "IPv6 address?)", verb, server, strerror(-err));
		break;
	default:
		pawctl_error(p, "%s: cannot reach the Operator at %s: %s", verb, server,
			     strerror(-err));
	}
	return PAWCTL_FAIL;
}

/* The Operator answered: 0 when it accepted, else the refusal printed. */
static int refused(struct pawctl *p, const char *verb, const struct paw_pb_reply *r)
{
	char text[PAW_PB_REASON_MAX * 4 + 16];

	if (r->status == PAW_PB_OK)
		return PAWCTL_OK;
	clean_text(r->text, strnlen(r->text, PAW_PB_REASON_MAX), false, text, sizeof(text));
	if (*text)
		pawctl_error(p, "%s refused: %s: %s", verb, paw_pb_status_name(r->status), text);
	else
		pawctl_error(p, "%s refused: %s", verb, paw_pb_status_name(r->status));
	return PAWCTL_FAIL;
}

static void print_reply_head(struct pawctl *p, const struct paw_pb_reply *r, bool text_line)
{
	char text[PAW_PB_REASON_MAX * 4 + 16];

	clean_text(r->text, strnlen(r->text, PAW_PB_REASON_MAX), p->json, text, sizeof(text));
	print_string(p, text_line ? PRINT_ANY : PRINT_JSON, "status", "%s",
		     paw_pb_status_name(r->status));
	print_string(p, text_line ? PRINT_ANY : PRINT_JSON, "text", *text ? ": %s" : "%s", text);
}

static int run_verb(struct pawctl *p, struct pawclient *pc, const char *server,
		    struct pb_cmd *c, struct paw_pb_reply *r)
{
	const char *verb = verbs[c->verb];
	int err = 0, ret;

	switch (c->verb) {
	case V_REGISTER:
		err = pawclient_register(pc, c->ipv4, c->has_mac ? c->mac : NULL,
					 c->soil.present ? &c->soil : NULL, r);
		break;
	case V_SET:
		err = pawclient_set(pc, &c->soil, r);
		break;
	case V_CALL:
		err = pawclient_call(pc, c->peer, r);
		break;
	case V_HANGUP:
		err = pawclient_hangup(pc, c->peer, r);
		break;
	case V_POST:
		err = pawclient_post(pc, c->peer, c->text, c->text_len, 0, r);
		break;
	case V_FETCH:
		err = pawclient_fetch(pc, c->fetch_max, r);
		break;
	case V_ACK:
		err = pawclient_ack(pc, c->ids, c->n_ids, r);
		break;
	case V_STATUS:
		err = pawclient_status(pc, r);
		break;
	case V_HELP:
		return PAWCTL_OK;
	}
	if (err)
		return transport_error(p, server, verb, err);
	ret = refused(p, verb, r);
	if (ret)
		return ret;

	open_json_object(p, NULL);
	switch (c->verb) {
	case V_CALL:
		print_reply_head(p, r, true);
		print_u64(p, PRINT_ANY, "call_id", " (call %llu)", r->call_id);
		print_nl(p);
		break;
	case V_STATUS:
		print_reply_head(p, r, false);
		print_info(p, &r->info);
		break;
	case V_FETCH: {
		__u64 ids[PAW_PB_FETCH_MAX];
		__u16 n = r->n_msgs <= PAW_PB_FETCH_MAX ? r->n_msgs : PAW_PB_FETCH_MAX;

		print_reply_head(p, r, false);
		print_bool(p, PRINT_JSON, "more", NULL, r->more);
		print_messages(p, r);
		if (r->more)
			print_text(p, "(more messages are waiting: fetch again)\n");
		if (!c->fetch_ack || !n)
			break;
		/* Acknowledge only what reached the reader: in text the
		 * table is out already and must have been written. */
		if (!p->json && fflush(p->out)) {
			pawctl_error(p, "fetch: could not print the messages; not acknowledged");
			return PAWCTL_FAIL;
		}
		for (__u16 i = 0; i < n; i++)
			ids[i] = r->msgs[i].id;
		err = pawclient_ack(pc, ids, n, r);
		if (err)
			return transport_error(p, server, "ack", err);
		ret = refused(p, "ack", r);
		if (ret)
			return ret;
		open_json_array(p, "acked");
		for (__u16 i = 0; i < n; i++)
			print_u64(p, PRINT_JSON, NULL, NULL, ids[i]);
		close_json_array(p);
		break;
	}
	default:
		print_reply_head(p, r, true);
		print_nl(p);
	}
	close_json_object(p);
	return PAWCTL_OK;
}

int do_postbox(struct pawctl *p, int argc, char **argv)
{
	enum { K_SERVER, K_UDP, K_TCP, K_NAME, K_SECRET_FILE, K_TIMEOUT, K_RETRIES, K_VERB };
	/* options first, then the verbs: one table, so a prefix is judged
	 * against every word that could stand there */
	static const char *const words[] = {
		"server", "udp", "tcp", "name", "secret-file", "timeout", "retries",
		"register", "set", "call", "hangup", "post", "fetch", "ack", "status", "help",
	};
	struct pawclient_opts o = { 0 };
	const char *secret_file = NULL, *server;
	bool have_proto = false, have_timeout = false, have_retries = false;
	__u8 secret[PAW_PB_SECRET_LEN];
	struct pawclient *pc = NULL;
	struct paw_pb_reply *r;
	struct pb_cmd *c;
	__u32 v;
	int k = -1, ret, err;

	c = calloc(1, sizeof(*c));
	if (!c) {
		pawctl_error(p, "out of memory");
		return PAWCTL_FAIL;
	}
	ret = PAWCTL_USAGE;
	for (argc--, argv++; argc > 0; argc--, argv++) {
		k = pawctl_keyword(p, argv[0], words, PAW_ARRAY_SIZE(words), PB_HELP);
		if (k < 0)
			goto out;
		if (k >= K_VERB)
			break;
		if (k == K_UDP || k == K_TCP) {
			if (have_proto) {
				pawctl_duparg(p, "udp|tcp", argv[0]);
				goto out;
			}
			have_proto = true;
			o.tcp = k == K_TCP;
			continue;
		}
		if (argc < 2) {
			pawctl_incomplete(p, PB_HELP);
			goto out;
		}
		argc--, argv++;
		switch (k) {
		case K_SERVER:
			if (o.server) {
				pawctl_duparg(p, "server", argv[0]);
				goto out;
			}
			if (!*argv[0]) {
				pawctl_invarg(p, argv[0], "server is HOST[:PORT]");
				goto out;
			}
			o.server = argv[0];
			break;
		case K_NAME:
			if (o.name) {
				pawctl_duparg(p, "name", argv[0]);
				goto out;
			}
			if (pawctl_arg_name(p, "NAME", argv[0]))
				goto out;
			o.name = argv[0];
			break;
		case K_SECRET_FILE:
			if (secret_file) {
				pawctl_duparg(p, "secret-file", argv[0]);
				goto out;
			}
			if (!*argv[0]) {
				pawctl_invarg(p, argv[0], "secret-file needs a PATH");
				goto out;
			}
			secret_file = argv[0];
			break;
		case K_TIMEOUT:
			if (have_timeout) {
				pawctl_duparg(p, "timeout", argv[0]);
				goto out;
			}
			if (pawctl_arg_u32(p, argv[0], 1, 600000, &v))
				goto out;
			o.timeout_ms = (int)v;
			have_timeout = true;
			break;
		case K_RETRIES:
			if (have_retries) {
				pawctl_duparg(p, "retries", argv[0]);
				goto out;
			}
			if (pawctl_arg_u32(p, argv[0], 0, 100, &v))
				goto out;
			o.retries = v ? (int)v : -1;	/* the library's 0 means its default */
			have_retries = true;
			break;
		}
	}
	if (argc <= 0) {
		pawctl_incomplete(p, PB_HELP);
		goto out;
	}
	c->verb = (enum pb_verb)(k - K_VERB);
	if (c->verb == V_HELP) {
		ret = pawctl_help(p, usage_postbox);
		goto out;
	}
	if (parse_verb(p, argc - 1, argv + 1, c))
		goto out;
	if (!o.name) {
		pawctl_missarg(p, "name", PB_HELP);
		goto out;
	}
	if (!secret_file) {
		pawctl_missarg(p, "secret-file", PB_HELP);
		goto out;
	}

	/* Read the secret here: its errors are the user's file, and say so. */
	err = paw_secret_read(secret_file, secret);
	if (err) {
		pawctl_error(p, "cannot read a secret from %s: %s", secret_file,
			     err == -EINVAL ? "not 64 hex characters" : strerror(-err));
		ret = PAWCTL_FAIL;
		goto out;
	}
	o.secret = secret;
	server = o.server ? o.server : PB_DEFAULT_SERVER;
	err = pawclient_open(&pc, &o);
	explicit_bzero(secret, sizeof(secret));
	if (err == -EINVAL && o.server) {
		ret = pawctl_invarg(p, o.server, "server is HOST, HOST:PORT, [IPV6]:PORT or IPV6");
		goto out;
	}
	if (err) {
		ret = transport_error(p, server, verbs[c->verb], err);
		goto out;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		pawctl_error(p, "out of memory");
		ret = PAWCTL_FAIL;
		goto out;
	}
	ret = run_verb(p, pc, server, c, r);
	free(r);
out:
	pawclient_close(pc);
	free(c);
	return ret;
}
