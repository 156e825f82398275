// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control socket pawctl talks to: JSON lines over a UNIX stream
 * socket (docs/control-protocol.md). Only root or the configured group
 * may connect (SO_PEERCRED). A connection that asks for `monitor` becomes
 * an event stream; pawd never blocks on a slow reader, it counts what the
 * reader lost.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <sodium.h>

#include "pawd.h"
#include "cleanup.h"
#include "log.h"
#include "util.h"

#define LINE_MAX_BYTES	65536
#define OUT_MAX_BYTES	(1 << 20)

enum {
	MON_DROPS = 1,
	MON_CALLS = 2,
	MON_PORTS = 4,
};

struct ctl_conn {
	struct pawd_watch w;
	struct ctl_conn *next;
	char *in;
	size_t in_len;
	struct pawd_outbuf out;
	unsigned monitor;
	__u64 lost;
	bool dead;
};

struct pawd_control {
	struct pawd_watch lw;
	char path[108];
	struct ctl_conn *conns;
};

/* ---- output ---- */

static void conn_close(struct pawd *d, struct ctl_conn *c);

static void conn_write(struct pawd *d, struct ctl_conn *c)
{
	if (pawd_outbuf_flush(d, &c->w, &c->out))
		conn_close(d, c);
}

static bool out_append(struct ctl_conn *c, const char *s, size_t len)
{
	return pawd_outbuf_append(&c->out, s, len);
}

/* Queue one JSON line (steals j). */
static void send_json(struct pawd *d, struct ctl_conn *c, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	if (!s)
		return;
	if (out_append(c, s, strlen(s)))
		out_append(c, "\n", 1);
	free(s);
	conn_write(d, c);
}

static const char *err_code(int err)
{
	switch (-err) {
	case EINVAL:
	case ERANGE:
		return "invalid";
	case ENOENT:
	case ESRCH:
		return "not-found";
	case EEXIST:
		return "exists";
	case EPERM:
	case EACCES:
	case EBUSY:
		return "denied";
	case ENOSPC:
	case E2BIG:
		return "limit";
	case ENETDOWN:
	case EHOSTUNREACH:
	case ENODEV:
		return "unavailable";
	}
	return "failed";
}

static void reply_err(struct pawd *d, struct ctl_conn *c, json_t *id, int err, const char *msg)
{
	send_json(d, c, json_pack("{s:O?, s:b, s:s, s:s}", "id", id, "ok", 0, "code", err_code(err),
				  "error", msg && *msg ? msg : strerror(-err)));
}

/* ---- helpers ---- */

static json_t *ctr_json(const struct paw_ctr *c)
{
	return json_pack("{s:I, s:I}", "packets", (json_int_t)c->packets, "bytes",
			 (json_int_t)c->bytes);
}

static const char *action_name(int a)
{
	switch (a) {
	case 1:
		return "drop";
	case 2:
		return "pass";
	case 4:
		return "redirect";
	}
	return "?";
}

static json_t *reasons_json(const struct paw_ctr *s, bool skip_forward)
{
	json_t *o = json_object();

	for (int r = 0; r < PAW_R_MAX; r++) {
		json_t *c;

		if (skip_forward && r == PAW_R_FORWARD)
			continue;
		c = ctr_json(&s[r]);
		json_object_set_new(c, "action", json_string(action_name(paw_reason_action(r))));
		json_object_set_new(o, paw_reason_name(r), c);
	}
	return o;
}

static char *ip4(__be32 a, char *buf)
{
	inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
	return buf;
}

static json_t *mac_json(bool has, const __u8 *mac)
{
	char buf[18];

	return has ? json_string(paw_mac_format(mac, buf)) : json_null();
}

static const char *str_arg(json_t *args, const char *key)
{
	json_t *v = json_object_get(args, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

#define NEED(var, key)                                                              \
	do {                                                                        \
		var = str_arg(args, key);                                           \
		if (!var) {                                                         \
			snprintf(msg, mlen, "missing argument '%s'", key);          \
			return -EINVAL;                                             \
		}                                                                   \
	} while (0)

/* ---- commands ---- */

struct counts {
	__u32 clients, registered, calls, messages;
};

static int count_client_fn(const struct paw_store_client *c, void *ctx)
{
	struct counts *n = ctx;

	n->clients++;
	n->registered += c->registered;
	return 0;
}

static int cmd_status(struct pawd *d, json_t *args, json_t **res, char *msg, size_t mlen)
{
	struct bpf_prog_info pi = { 0 };
	__u32 len = sizeof(pi);
	struct counts n = { 0 };
	json_t *addrs = json_array();

	(void)args;
	(void)msg;
	(void)mlen;
	for (int i = 0; i < d->cfg.n_ear_addrs; i++) {
		char ip[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, &d->cfg.ear_addrs[i], ip, sizeof(ip));
		json_array_append_new(addrs, json_string(ip));
	}
	bpf_obj_get_info_by_fd(paw_sb_prog_fd(d->sb), &pi, &len);
	paw_store_client_foreach(d->store, count_client_fn, &n);
	paw_store_call_count(d->store, NULL, &n.calls);
	paw_store_msg_count(d->store, NULL, &n.messages);
	*res = json_pack(
		"{s:s, s:i, s:I,"
		" s:{s:s, s:o, s:i, s:b, s:b},"
		" s:s,"
		" s:{s:s, s:b, s:I, s:I, s:I, s:I},"
		" s:{s:s, s:s, s:i},"
		" s:{s:i, s:I, s:I, s:I, s:I}}",
		"version", PAWD_VERSION, "pid", (int)getpid(), "uptime_s",
		(json_int_t)((paw_mono_ms() - d->start_mono) / 1000),
		"ear", "name", d->cfg.ear_name, "addresses", addrs, "port", d->cfg.ear_port, "udp",
		d->cfg.ear_udp, "tcp", d->cfg.ear_tcp,
		"policy", d->cfg.default_policy == PAW_POLICY_DROP ? "drop" : "pass",
		"datapath", "pin_dir", paw_sb_pin_dir(d->sb), "reused", paw_sb_reused(d->sb),
		"prog_id", (json_int_t)pi.id, "max_calls", (json_int_t)paw_sb_max_calls(d->sb),
		"max_clients", (json_int_t)paw_sb_max_clients(d->sb), "counter_slots",
		(json_int_t)paw_sb_ctr_slots(d->sb),
		"store", "backend", d->cfg.store_backend, "path", d->cfg.store_path, "schema",
		paw_store_schema_version(d->store),
		"counts", "ports", d->n_ports, "clients", (json_int_t)n.clients, "registered",
		(json_int_t)n.registered, "calls", (json_int_t)n.calls, "messages",
		(json_int_t)n.messages);
	return *res ? 0 : -ENOMEM;
}

struct port_clients {
	const char *port;
	int n;
};

static int port_clients_fn(const struct paw_store_client *c, void *ctx)
{
	struct port_clients *pc = ctx;

	pc->n += !strcmp(c->port, pc->port);
	return 0;
}

static json_t *port_json(struct pawd *d, struct pawd_port *p)
{
	struct port_clients pc = { .port = p->name };
	char mac[18];

	paw_store_client_foreach(d->store, port_clients_fn, &pc);
	return json_pack("{s:s, s:I, s:s, s:I, s:b, s:b, s:s, s:b, s:i, s:b}", "name", p->name,
			 "ifindex", (json_int_t)p->ifindex, "mac", paw_mac_format(p->mac, mac), "mtu",
			 (json_int_t)p->mtu, "up", p->up, "attached", p->attached, "mode",
			 ports_mode_name(p), "configured", p->configured, "clients", pc.n,
			 "blocked", p->blocked);
}

static int cmd_port_list(struct pawd *d, json_t *args, json_t **res, char *msg, size_t mlen)
{
	(void)args;
	(void)msg;
	(void)mlen;
	*res = json_array();
	for (int i = 0; i < d->n_ports; i++)
		json_array_append_new(*res, port_json(d, &d->ports[i]));
	return 0;
}

static int parse_mode(const char *s, enum paw_xdp_mode *m)
{
	if (!s || !strcmp(s, "auto"))
		*m = PAW_XDP_AUTO;
	else if (!strcmp(s, "native"))
		*m = PAW_XDP_NATIVE;
	else if (!strcmp(s, "generic"))
		*m = PAW_XDP_GENERIC;
	else
		return -EINVAL;
	return 0;
}

static int cmd_port_add(struct pawd *d, json_t *args, json_t **res, char *msg, size_t mlen)
{
	const char *name;
	enum paw_xdp_mode mode;
	int err;

	NEED(name, "name");
	if (parse_mode(str_arg(args, "mode"), &mode)) {
		snprintf(msg, mlen, "mode must be auto, native or generic");
		return -EINVAL;
	}
	err = ports_add_runtime(d, name, mode, msg, mlen);
	if (err)
		return err;
	*res = port_json(d, ports_find(d, name));
	return 0;
}

static int cmd_port_del(struct pawd *d, json_t *args, json_t **res, char *msg, size_t mlen)
{
	const char *name;

	NEED(name, "name");
	*res = json_object();
	return ports_del_runtime(d, name, msg, mlen);
}

static int count_peer_fn(const struct paw_store_call *c, void *ctx)
{
	(void)c;
	(*(int *)ctx)++;
	return 0;
}

static json_t *client_json(struct pawd *d, const struct paw_store_client *c)
{
	struct paw_client pc;
	__u32 pb = 0;
	int calls = 0;
	char ip[INET_ADDRSTRLEN];

	paw_store_msg_count(d->store, c->name, &pb);
	paw_store_call_foreach(d->store, c->name, count_peer_fn, &calls);
	return json_pack("{s:s, s:s, s:s, s:o, s:b, s:b, s:i, s:I}", "name", c->name, "ipv4",
			 ip4(c->ipv4, ip), "port", c->port, "mac", mac_json(c->has_mac, c->mac),
			 "registered", c->registered, "online",
			 paw_sb_client_get(d->sb, c->ipv4, &pc) == 0, "calls", calls, "postbox",
			 (json_int_t)pb);
}

static int cmd_client_add(struct pawd *d, json_t *args, json_t **res, char *msg, size_t mlen)
{
	const char *name, *ipv4, *port, *macs;
	__u8 secret[PAW_PB_SECRET_LEN], mac[6];
	char hex[PAW_SECRET_HEX + 1];
	struct paw_store_client c;
	__be32 addr;
	int err;

	NEED(name, "name");
	NEED(ipv4, "ipv4");
	NEED(port, "port");
	macs = str_arg(args, "mac");
	if (paw_ipv4_parse(ipv4, &addr)) {
		snprintf(msg, mlen, "'%s' is not an IPv4 address", ipv4);
		return -EINVAL;
	}
	if (macs && paw_mac_parse(macs, mac)) {
		snprintf(msg, mlen, "'%s' is not a MAC address", macs);
		return -EINVAL;
	}
	err = op_client_add(d, name, addr, port, macs ? mac : NULL, secret, msg, mlen);
	if (err)
		return err;
	paw_store_client_get(d->store, name, &c);
	*res = client_json(d, &c);
	paw_secret_to_hex(secret, hex);
	json_object_set_new(*res, "secret", json_string(hex));
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(hex, sizeof(hex));
	sodium_memzero(c.secret, sizeof(c.secret));
	return 0;
}

static int cmd_client_del(struct pawd *d, json_t *args, json_t **res, char *msg, size_t mlen)
{
	const char *name;

	NEED(name, "name");
	*res = json_object();
	return op_client_del(d, name, msg, mlen);
}

static int list_client_fn(const struct paw_store_client *c, void *ctx)
{
	void **x = ctx;

	json_array_append_new(x[1], client_json(x[0], c));
	return 0;
}

static int cmd_client_list(struct pawd *d, json_t *args, json_t **res, char *msg, size_t mlen)
{
	void *x[2] = { d, json_array() };

	(void)args;
	(void)msg;
	(void)mlen;
	*res = x[1];
	return paw_store_client_foreach(d->store, list_client_fn, x);
}

static int peer_fn(const struct paw_store_call *c, void *ctx)
{
	json_t **x = ctx;
	const char *me = json_string_value(x[0]);

	json_array_append_new(x[1], json_string(strcmp(c->a, me) ? c->a : c->b));
	return 0;
}

static int cmd_client_show(struct pawd *d, json_t *args, json_t **res, char *msg, size_t mlen)
{
	struct paw_store_client c;
	const char *name;
	json_t *allow, *x[2];

	NEED(name, "name");
	if (paw_store_client_get(d->store, name, &c)) {
		snprintf(msg, mlen, "no client named '%s'", name);
		return -ENOENT;
	}
	sodium_memzero(c.secret, sizeof(c.secret));
	*res = client_json(d, &c);
	if (c.soil.allow_all) {
		allow = json_string("all");
	} else {
		allow = json_array();
		for (int i = 0; i < c.soil.n_allow; i++)
			json_array_append_new(allow, json_string(c.soil.allow[i]));
	}
	json_object_set_new(*res, "options",
			    json_pack("{s:o, s:I, s:I, s:I}", "allow", allow, "max_calls",
				      (json_int_t)c.soil.max_calls, "postbox_max",
				      (json_int_t)c.soil.postbox_max, "retention_s",
				      (json_int_t)c.soil.retention_s));
	x[0] = json_string(c.name);
	x[1] = json_array();
	paw_store_call_foreach(d->store, c.name, peer_fn, x);
	json_decref(x[0]);
	json_object_set_new(*res, "peers", x[1]);
	json_object_set_new(*res, "created_ms", json_integer((json_int_t)c.created_ms));
	json_object_set_new(*res, "registered_ms", json_integer((json_int_t)c.registered_ms));
	return 0;
}

static json_t *call_json(struct pawd *d, const struct paw_store_call *call)
{
	struct paw_store_client a, b;
	struct paw_ctr ab = { 0 }, ba = { 0 };
	bool live = false;

	if (paw_store_client_get(d->store, call->a, &a) == 0 &&
	    paw_store_client_get(d->store, call->b, &b) == 0) {
		live = paw_sb_call_get(d->sb, a.ipv4, b.ipv4, NULL, &ab) == 0;
		live = (paw_sb_call_get(d->sb, b.ipv4, a.ipv4, NULL, &ba) == 0) && live;
	}
	return json_pack("{s:I, s:s, s:s, s:b, s:I, s:b, s:o, s:o}", "id", (json_int_t)call->id,
			 "a", call->a, "b", call->b, "by_admin", call->by_admin, "since_ms",
			 (json_int_t)call->since_ms, "live", live, "a_to_b", ctr_json(&ab),
			 "b_to_a", ctr_json(&ba));
}

static int cmd_call_add(struct pawd *d, json_t *args, json_t **res, char *msg, size_t mlen)
{
	struct paw_store_call call;
	const char *a, *b;
	int err;

	NEED(a, "a");
	NEED(b, "b");
	err = op_call_add(d, a, b, "admin", &call, msg, mlen);
	if (err)
		return err;
	*res = call_json(d, &call);
	return 0;
}

static int cmd_call_del(struct pawd *d, json_t *args, json_t **res, char *msg, size_t mlen)
{
	const char *a, *b;

	NEED(a, "a");
	NEED(b, "b");
	*res = json_object();
	return op_call_del(d, a, b, "admin", msg, mlen);
}

static int list_call_fn(const struct paw_store_call *c, void *ctx)
{
	void **x = ctx;

	json_array_append_new(x[1], call_json(x[0], c));
	return 0;
}

static int cmd_call_list(struct pawd *d, json_t *args, json_t **res, char *msg, size_t mlen)
{
	void *x[2] = { d, json_array() };

	(void)args;
	(void)msg;
	(void)mlen;
	*res = x[1];
	return paw_store_call_foreach(d->store, NULL, list_call_fn, x);
}

struct port_fwd {
	__u32 ifindex;
	struct paw_ctr in, out;
};

static int port_fwd_fn(const struct paw_call_key *k, const struct paw_call *call,
		       const struct paw_ctr *ctr, void *ctx)
{
	struct port_fwd *f = ctx;

	(void)k;
	if (call->ingress_ifindex == f->ifindex) {
		f->in.packets += ctr->packets;
		f->in.bytes += ctr->bytes;
	}
	if (call->egress_ifindex == f->ifindex) {
		f->out.packets += ctr->packets;
		f->out.bytes += ctr->bytes;
	}
	return 0;
}

struct client_stats {
	struct pawd *d;
	const struct paw_store_client *me;
	struct paw_ctr sent, received;
	json_t *calls;
};

static int client_stats_fn(const struct paw_store_call *c, void *ctx)
{
	struct client_stats *s = ctx;
	const char *peer = strcmp(c->a, s->me->name) ? c->a : c->b;
	struct paw_store_client p;
	struct paw_ctr tx = { 0 }, rx = { 0 };

	if (paw_store_client_get(s->d->store, peer, &p))
		return 0;
	paw_sb_call_get(s->d->sb, s->me->ipv4, p.ipv4, NULL, &tx);
	paw_sb_call_get(s->d->sb, p.ipv4, s->me->ipv4, NULL, &rx);
	s->sent.packets += tx.packets;
	s->sent.bytes += tx.bytes;
	s->received.packets += rx.packets;
	s->received.bytes += rx.bytes;
	json_array_append_new(s->calls, json_pack("{s:s, s:o, s:o}", "peer", peer, "sent",
						  ctr_json(&tx), "received", ctr_json(&rx)));
	return 0;
}

static int cmd_stats(struct pawd *d, json_t *args, json_t **res, char *msg, size_t mlen)
{
	struct paw_ctr s[PAW_R_MAX];
	const char *port = str_arg(args, "port"), *client = str_arg(args, "client");
	json_t *call = json_object_get(args, "call");
	int err;

	if (port) {
		struct pawd_port *p = ports_find(d, port);
		struct port_fwd f = { 0 };

		if (!p || !p->ifindex || paw_sb_port_stats(d->sb, p->ifindex, s)) {
			snprintf(msg, mlen, "no attached port named '%s'", port);
			return -ENOENT;
		}
		f.ifindex = p->ifindex;
		paw_sb_call_foreach(d->sb, port_fwd_fn, &f);
		*res = json_pack("{s:s, s:o, s:o, s:o}", "port", port, "reasons",
				 reasons_json(s, true), "forwarded_in", ctr_json(&f.in),
				 "forwarded_out", ctr_json(&f.out));
		return 0;
	}
	if (client) {
		struct paw_store_client c;
		struct client_stats cs = { .d = d, .me = &c };

		if (paw_store_client_get(d->store, client, &c)) {
			snprintf(msg, mlen, "no client named '%s'", client);
			return -ENOENT;
		}
		cs.calls = json_array();
		paw_store_call_foreach(d->store, c.name, client_stats_fn, &cs);
		*res = json_pack("{s:s, s:o, s:o, s:o}", "client", client, "sent",
				 ctr_json(&cs.sent), "received", ctr_json(&cs.received), "calls",
				 cs.calls);
		return 0;
	}
	if (call) {
		struct paw_store_call sc;
		const char *a = json_string_value(json_array_get(call, 0));
		const char *b = json_string_value(json_array_get(call, 1));

		if (!a || !b || json_array_size(call) != 2) {
			snprintf(msg, mlen, "'call' takes two client names");
			return -EINVAL;
		}
		if (paw_store_call_get(d->store, a, b, &sc)) {
			snprintf(msg, mlen, "no call between '%s' and '%s'", a, b);
			return -ENOENT;
		}
		*res = call_json(d, &sc);
		return 0;
	}
	err = paw_sb_stats(d->sb, s);
	if (err)
		return err;
	{
		json_t *refused = json_object();

		for (int st = 1; st < PAW_PB_STATUS_MAX; st++)
			json_object_set_new(refused, paw_pb_status_name(st),
					    json_integer((json_int_t)d->ear_stats.refused[st]));
		*res = json_pack("{s:o, s:I, s:{s:I, s:I, s:I, s:I, s:o}}", "reasons",
				 reasons_json(s, false), "events_lost",
				 (json_int_t)paw_sb_events_lost(d->sb), "ear", "requests",
				 (json_int_t)d->ear_stats.requests, "udp",
				 (json_int_t)d->ear_stats.udp, "tcp", (json_int_t)d->ear_stats.tcp,
				 "accepted", (json_int_t)d->ear_stats.accepted, "refused", refused);
	}
	return 0;
}

static int cmd_monitor(struct pawd *d, struct ctl_conn *c, json_t *args, json_t **res,
		       char *msg, size_t mlen)
{
	const char *ev = str_arg(args, "events");
	unsigned mask;

	if (!ev || !strcmp(ev, "all"))
		mask = MON_DROPS | MON_CALLS | MON_PORTS;
	else if (!strcmp(ev, "drops"))
		mask = MON_DROPS;
	else if (!strcmp(ev, "calls"))
		mask = MON_CALLS;
	else if (!strcmp(ev, "ports"))
		mask = MON_PORTS;
	else {
		snprintf(msg, mlen, "events must be drops, calls, ports or all");
		return -EINVAL;
	}
	if ((mask & MON_DROPS) && !(c->monitor & MON_DROPS) && d->n_drop_monitors++ == 0)
		pawd_monitor_drops(d, true);
	c->monitor |= mask;
	*res = json_pack("{s:s}", "events", ev ? ev : "all");
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct pawd *d, json_t *args, json_t **res, char *msg, size_t mlen);
} cmds[] = {
	{ "status", cmd_status },
	{ "port.list", cmd_port_list },
	{ "port.add", cmd_port_add },
	{ "port.del", cmd_port_del },
	{ "client.add", cmd_client_add },
	{ "client.del", cmd_client_del },
	{ "client.list", cmd_client_list },
	{ "client.show", cmd_client_show },
	{ "call.add", cmd_call_add },
	{ "call.del", cmd_call_del },
	{ "call.list", cmd_call_list },
	{ "stats", cmd_stats },
};

static void handle_line(struct pawd *d, struct ctl_conn *c, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req = json_loadb(line, len, 0, &jerr);
	json_t *id = NULL, *args, *res = NULL;
	const char *cmd;
	char msg[256] = "";
	int err = -EINVAL;

	if (!json_is_object(req)) {
		json_decref(req);
		reply_err(d, c, NULL, -EINVAL, "request is not a JSON object");
		return;
	}
	id = json_object_get(req, "id");
	cmd = json_string_value(json_object_get(req, "cmd"));
	args = json_object_get(req, "args");
	if (args && !json_is_object(args)) {
		reply_err(d, c, id, -EINVAL, "'args' must be an object");
		json_decref(req);
		return;
	}
	if (!args)
		args = json_object_get(req, "args");	/* NULL: commands accept none */
	if (!cmd) {
		snprintf(msg, sizeof(msg), "missing 'cmd'");
	} else if (!strcmp(cmd, "monitor")) {
		err = cmd_monitor(d, c, args, &res, msg, sizeof(msg));
	} else {
		size_t i;

		for (i = 0; i < PAW_ARRAY_SIZE(cmds); i++)
			if (!strcmp(cmds[i].name, cmd))
				break;
		if (i == PAW_ARRAY_SIZE(cmds))
			snprintf(msg, sizeof(msg), "unknown command '%s'", cmd);
		else
			err = cmds[i].fn(d, args, &res, msg, sizeof(msg));
	}
	if (err) {
		json_decref(res);
		reply_err(d, c, id, err, msg);
	} else {
		send_json(d, c, json_pack("{s:O?, s:b, s:o}", "id", id, "ok", 1, "result",
					  res ? res : json_object()));
	}
	json_decref(req);
}

/* ---- connections ---- */

static void conn_close(struct pawd *d, struct ctl_conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	if ((c->monitor & MON_DROPS) && --d->n_drop_monitors == 0)
		pawd_monitor_drops(d, false);
	pawd_watch_del(d, &c->w);
	close(c->w.fd);
	c->w.fd = -1;
}

static void conn_cb(struct pawd *d, struct pawd_watch *w, __u32 events)
{
	struct ctl_conn *c = (struct ctl_conn *)w;

	if (c->dead)
		return;
	if (events & EPOLLOUT)
		conn_write(d, c);
	if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		ssize_t n = recv(w->fd, c->in + c->in_len, LINE_MAX_BYTES - c->in_len, MSG_DONTWAIT);
		char *nl;

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			conn_close(d, c);
			return;
		}
		if (n < 0)
			return;
		c->in_len += n;
		while (!c->dead && (nl = memchr(c->in, '\n', c->in_len))) {
			size_t len = nl - c->in;

			handle_line(d, c, c->in, len);
			memmove(c->in, nl + 1, c->in_len - len - 1);
			c->in_len -= len + 1;
		}
		if (c->in_len == LINE_MAX_BYTES) {
			reply_err(d, c, NULL, -EINVAL, "request line longer than 65536 bytes");
			conn_close(d, c);
			return;
		}
	}
}

/* Root, or the control group among the peer's groups. */
static bool peer_allowed(struct pawd *d, int fd, char *why, size_t len)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	char path[64], line[4096];
	bool ok = false;
	FILE *f;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen))
		return false;
	if (cred.uid == 0)
		return true;
	if (d->cfg.ctl_gid != (gid_t)-1) {
		if (cred.gid == d->cfg.ctl_gid)
			return true;
		snprintf(path, sizeof(path), "/proc/%d/status", cred.pid);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f)) {
			char *tok, *save;

			if (strncmp(line, "Groups:", 7))
				continue;
			for (tok = strtok_r(line + 7, " \t\n", &save); tok;
			     tok = strtok_r(NULL, " \t\n", &save))
				if ((gid_t)strtoul(tok, NULL, 10) == d->cfg.ctl_gid)
					ok = true;
		}
		if (f)
			fclose(f);
	}
	if (!ok)
		snprintf(why, len, "permission denied: only root%s%s%s may use pawd's control socket",
			 d->cfg.ctl_group[0] ? " or group '" : "", d->cfg.ctl_group,
			 d->cfg.ctl_group[0] ? "'" : "");
	return ok;
}

static void accept_cb(struct pawd *d, struct pawd_watch *w, __u32 events)
{
	struct pawd_control *ctl = d->control;

	(void)events;
	for (int i = 0; i < 16; i++) {
		struct ctl_conn *c;
		char why[160];
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		c = calloc(1, sizeof(*c));
		if (c)
			c->in = malloc(LINE_MAX_BYTES);
		if (!c || !c->in) {
			free(c);
			close(fd);
			continue;
		}
		c->w.fd = fd;
		c->w.fn = conn_cb;
		c->w.deferred = true;
		if (!peer_allowed(d, fd, why, sizeof(why))) {
			char *line = NULL;

			if (asprintf(&line, "{\"id\":null,\"ok\":false,\"code\":\"denied\","
					    "\"error\":\"%s\"}\n", why) > 0)
				send(fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL);
			free(line);
			close(fd);
			free(c->in);
			free(c);
			continue;
		}
		if (pawd_watch_add(d, &c->w, EPOLLIN | EPOLLRDHUP)) {
			close(fd);
			free(c->in);
			free(c);
			continue;
		}
		c->next = ctl->conns;
		ctl->conns = c;
	}
}

void control_event(struct pawd *d, const char *kind, json_t *ev)
{
	unsigned bit = !strcmp(kind, "drops") ? MON_DROPS :
		       !strcmp(kind, "calls") ? MON_CALLS : MON_PORTS;
	char *s = NULL;
	size_t len = 0;

	if (!d->control || !ev) {
		json_decref(ev);
		return;
	}
	for (struct ctl_conn *c = d->control->conns; c; c = c->next) {
		if (c->dead || !(c->monitor & bit))
			continue;
		if (!s) {
			s = json_dumps(ev, JSON_COMPACT);
			if (!s)
				break;
			len = strlen(s);
		}
		if (c->out.len + len + 1 > OUT_MAX_BYTES) {
			c->lost++;
			continue;
		}
		if (c->lost && c->out.len == 0) {
			char lost[64];
			int n = snprintf(lost, sizeof(lost), "{\"event\":\"lost\",\"count\":%llu}\n",
					 (unsigned long long)c->lost);

			out_append(c, lost, n);
			c->lost = 0;
		}
		out_append(c, s, len);
		out_append(c, "\n", 1);
	}
	free(s);
	json_decref(ev);
}

void control_flush(struct pawd *d)
{
	struct ctl_conn **pc;

	if (!d->control)
		return;
	for (pc = &d->control->conns; *pc;) {
		struct ctl_conn *c = *pc;

		if (!c->dead && c->out.len)
			conn_write(d, c);
		if (c->dead) {
			*pc = c->next;
			free(c->in);
			pawd_outbuf_free(&c->out);
			free(c);
		} else {
			pc = &c->next;
		}
	}
}

static int mkdir_parent(const char *path)
{
	char dir[108];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int control_start(struct pawd *d)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct pawd_control *ctl;
	_cleanup_close_ int fd = -1;
	int err;

	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	d->control = ctl;
	snprintf(ctl->path, sizeof(ctl->path), "%s", d->cfg.ctl_socket);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ctl->path);
	err = mkdir_parent(ctl->path);
	if (err) {
		pr_err("Couldn't create the directory of '%s': %s", ctl->path, strerror(-err));
		return err;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A live socket means another pawd; a dead one is a leftover. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		pr_err("another pawd is serving '%s'", ctl->path);
		return -EADDRINUSE;
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(ctl->path);
	{
		mode_t old = umask(0117);

		err = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ? -errno : 0;
		umask(old);
	}
	if (!err && listen(fd, 16))
		err = -errno;
	if (err) {
		pr_err("Couldn't listen on '%s': %s", ctl->path, strerror(-err));
		return err;
	}
	if (d->cfg.ctl_gid != (gid_t)-1 && chown(ctl->path, 0, d->cfg.ctl_gid))
		pr_warn("Couldn't give '%s' to group '%s': %s", ctl->path, d->cfg.ctl_group,
			strerror(errno));
	chmod(ctl->path, d->cfg.ctl_gid != (gid_t)-1 ? 0660 : 0600);
	ctl->lw.fd = TAKE_FD(fd);
	ctl->lw.fn = accept_cb;
	ctl->lw.deferred = true;
	return pawd_watch_add(d, &ctl->lw, EPOLLIN);
}

void control_stop(struct pawd *d)
{
	struct pawd_control *ctl = d->control;

	if (!ctl)
		return;
	for (struct ctl_conn *c = ctl->conns; c; c = c->next)
		conn_close(d, c);
	control_flush(d);
	if (ctl->lw.fd > 0) {
		pawd_watch_del(d, &ctl->lw);
		close(ctl->lw.fd);
		unlink(ctl->path);
	}
	free(ctl);
	d->control = NULL;
}
