// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Operator's decisions: what a Postbox request or an admin command
 * does to the data server and to the Switchboard.
 *
 * Order of effects: the fast path is changed first (cheap, reversible),
 * the data server second; nothing is acknowledged before the data
 * server's commit (pawd_batch_end). When a commit fails, the changes the
 * batch made to the fast path are re-synchronised from the data server,
 * so the two never disagree about what was acknowledged.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <sodium.h>

#include "pawd.h"
#include "log.h"
#include "util.h"

#define EXPIRE_EVERY_MS 60000

static void say(struct paw_pb_reply *rep, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct paw_pb_reply *rep, int status, const char *fmt, ...)
{
	va_list ap;

	rep->status = status;
	va_start(ap, fmt);
	vsnprintf(rep->text, sizeof(rep->text), fmt, ap);
	va_end(ap);
}

static void msgf(char *msg, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void msgf(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!msg || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
}

static const char *ip4s(__be32 a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* ---- group commit ---- */

int pawd_batch_open(struct pawd *d)
{
	int err;

	if (d->in_batch)
		return 0;
	err = paw_store_begin(d->store);
	if (err)
		return err;
	d->in_batch = true;
	return 0;
}

int pawd_batch_touch(struct pawd *d)
{
	int err = pawd_batch_open(d);

	if (!err)
		d->batch_dirty = true;
	return err;
}

void pawd_undo_push(struct pawd *d, int kind, const char *a, const char *b)
{
	struct pawd_undo *u;

	if (!d->in_batch)
		return;
	if (d->n_undo == d->cap_undo) {
		int cap = d->cap_undo ? d->cap_undo * 2 : 64;
		void *p = realloc(d->undo, cap * sizeof(*d->undo));

		if (!p)
			return;	/* the restart reconcile will catch what this misses */
		d->undo = p;
		d->cap_undo = cap;
	}
	u = &d->undo[d->n_undo++];
	u->kind = kind;
	snprintf(u->a, sizeof(u->a), "%s", a);
	snprintf(u->b, sizeof(u->b), "%s", b ? b : "");
}

static int client_get(struct pawd *d, const char *name, struct paw_store_client *c)
{
	return paw_store_client_get(d->store, name, c);
}

static bool has_call_live(struct pawd *d, const struct paw_store_client *a,
			  const struct paw_store_client *b)
{
	return ports_online(d, a->port) && ports_online(d, b->port) && a->has_mac && b->has_mac;
}

/* Make the fast path hold the pair's call exactly when the data server
 * does and both ends can carry it. */
static void sync_call(struct pawd *d, const char *an, const char *bn)
{
	struct paw_store_client a, b;
	struct paw_store_call call;

	if (client_get(d, an, &a) || client_get(d, bn, &b))
		return;
	if (paw_store_call_get(d->store, an, bn, &call) == 0 && has_call_live(d, &a, &b)) {
		bool swap = strcmp(call.a, a.name) != 0;

		paw_sb_call_add(d->sb, swap ? b.ipv4 : a.ipv4, swap ? a.ipv4 : b.ipv4,
				(__u32)call.id);
	} else {
		paw_sb_call_del(d->sb, a.ipv4, b.ipv4);
	}
}

int pawd_batch_end(struct pawd *d)
{
	int err = 0;

	if (!d->in_batch)
		return 0;
	if (d->batch_dirty)
		err = paw_store_commit(d->store);
	else
		err = paw_store_rollback(d->store);
	if (err) {
		pr_err("data server commit failed: %s; undoing %d fast-path changes",
		       paw_store_errmsg(d->store), d->n_undo);
		paw_store_rollback(d->store);
	}
	d->in_batch = false;
	d->batch_dirty = false;
	if (err) {
		for (int i = d->n_undo - 1; i >= 0; i--) {
			struct paw_store_client c;

			if (d->undo[i].kind != UNDO_CLIENT) {
				sync_call(d, d->undo[i].a, d->undo[i].b);
				continue;
			}
			if (client_get(d, d->undo[i].a, &c))
				continue;
			if (ports_online(d, c.port))
				op_client_online(d, &c);
			else
				op_client_offline(d, &c);
		}
	}
	d->n_undo = 0;
	return err;
}

/* ---- the fast path for a client ---- */

/* Learn a client's MAC from the neighbour table: its IPv4 entry, or the
 * entry of the IPv6 address it asked from (its REGISTER came over the same
 * port, so the port has resolved it). */
static bool learn_mac(struct pawd *d, struct paw_store_client *c, const struct sockaddr_in6 *src)
{
	struct pawd_port *p = ports_online(d, c->port);
	__u8 mac[6];

	if (c->has_mac || !p)
		return false;
	if (paw_nl_neigh_get(d->nl, p->ifindex, AF_INET, &c->ipv4, mac) == 0)
		goto found;
	if (src && (!src->sin6_scope_id || src->sin6_scope_id == p->ifindex) &&
	    paw_nl_neigh_get(d->nl, p->ifindex, AF_INET6, &src->sin6_addr, mac) == 0)
		goto found;
	return false;
found:
	memcpy(c->mac, mac, 6);
	c->has_mac = true;
	pr_info("learned %s's MAC %02x:%02x:%02x:%02x:%02x:%02x on %s", c->name, mac[0], mac[1],
		mac[2], mac[3], mac[4], mac[5], p->name);
	return true;
}

struct call_walk {
	struct pawd *d;
	const struct paw_store_client *me;
	bool add;
};

/* ---- op_reconcile()'s memory: sets of 64-bit keys (never 0) ---- */

struct keyset {
	__u64 *v;
	size_t cap;		/* a power of two */
	size_t n;
	bool failed;		/* out of memory once: the set is incomplete */
};

struct pawd_reconcile {
	struct keyset calls;	/* ids of the calls programmed or judged */
	struct keyset keys;	/* paw_calls keys programmed, (src << 32 | dst) */
};

static size_t keyset_slot(const struct keyset *s, __u64 k)
{
	return (size_t)((k * 0x9e3779b97f4a7c15ull) >> 20) & (s->cap - 1);
}

static bool keyset_has(const struct keyset *s, __u64 k)
{
	/* Bounded: the table is never more than half full. */
	for (size_t i = keyset_slot(s, k), n = 0; s->v && n < s->cap; i = (i + 1) & (s->cap - 1), n++) {
		if (s->v[i] == k)
			return true;
		if (!s->v[i])
			return false;
	}
	return false;
}

static void keyset_add(struct keyset *s, __u64 k)
{
	size_t i;

	if (s->failed || keyset_has(s, k))
		return;
	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		__u64 *v = calloc(cap, sizeof(*v)), *old = s->v;
		size_t old_cap = s->cap;

		if (!v) {
			s->failed = true;
			return;
		}
		s->v = v;
		s->cap = cap;
		s->n = 0;
		for (size_t j = 0; j < old_cap; j++)
			if (old[j])
				keyset_add(s, old[j]);
		free(old);
	}
	for (i = keyset_slot(s, k); s->v[i]; i = (i + 1) & (s->cap - 1))
		;
	s->v[i] = k;
	s->n++;
}

static __u64 call_key64(__be32 src, __be32 dst)
{
	return (__u64)ntohl(src) << 32 | ntohl(dst);
}

/* Program a stored call in its own order (a calls b): the same call is
 * always the same two entries, so re-programming an unchanged one writes
 * nothing and its counters run on. */
static int call_walk_fn(const struct paw_store_call *call, void *ctx)
{
	struct call_walk *w = ctx;
	struct pawd_reconcile *r = w->add ? w->d->reconciling : NULL;
	bool me_a = !strcmp(call->a, w->me->name);
	struct paw_store_client o;
	const struct paw_store_client *a, *b;

	/* Reconciling, each call is met from both ends: once is enough, the
	 * answer (both ends online or not) is the same from either. */
	if (r && call->id > 0) {
		if (keyset_has(&r->calls, (__u64)call->id))
			return 0;
		keyset_add(&r->calls, (__u64)call->id);
	}
	if (client_get(w->d, me_a ? call->b : call->a, &o))
		return 0;
	a = me_a ? w->me : &o;
	b = me_a ? &o : w->me;
	if (!w->add) {
		paw_sb_call_del(w->d->sb, a->ipv4, b->ipv4);
	} else if (has_call_live(w->d, a, b) &&
		   paw_sb_call_add(w->d->sb, a->ipv4, b->ipv4, (__u32)call->id) == 0 && r) {
		keyset_add(&r->keys, call_key64(a->ipv4, b->ipv4));
		keyset_add(&r->keys, call_key64(b->ipv4, a->ipv4));
	}
	/* else: the other end is not in the fast path; its going offline
	 * removed the call, and its coming back adds it. */
	return 0;
}

int op_client_online(struct pawd *d, const struct paw_store_client *c)
{
	struct pawd_port *p = ports_online(d, c->port);
	struct paw_client pc = { 0 };
	struct call_walk w = { .d = d, .me = c, .add = true };
	char ip[INET_ADDRSTRLEN];
	int err;

	if (!p)
		return -ENETDOWN;
	pc.ifindex = p->ifindex;
	pc.client_id = (__u32)c->id;
	if (c->has_mac) {
		memcpy(pc.mac, c->mac, 6);
		pc.flags = PAW_CLIENT_F_MAC_KNOWN;
	}
	err = paw_sb_client_set(d->sb, c->ipv4, &pc);
	if (err)
		return err;
	/* Proxy ARP answers for a client only with a route to it. */
	err = paw_nl_route_add(d->nl, p->ifindex, AF_INET, &c->ipv4);
	if (err)
		pr_warn("Couldn't add a route to %s (%s) on '%s': %s %s", c->name,
			ip4s(c->ipv4, ip), p->name, strerror(-err), paw_nl_errmsg(d->nl));
	paw_store_call_foreach(d->store, c->name, call_walk_fn, &w);
	return 0;
}

void op_client_offline(struct pawd *d, const struct paw_store_client *c)
{
	struct call_walk w = { .d = d, .me = c, .add = false };
	struct paw_client pc;

	paw_store_call_foreach(d->store, c->name, call_walk_fn, &w);
	if (paw_sb_client_get(d->sb, c->ipv4, &pc) == 0) {
		paw_sb_client_del(d->sb, c->ipv4);
		/* Fails quietly when the port (and with it the route) is gone. */
		paw_nl_route_del(d->nl, pc.ifindex, AF_INET, &c->ipv4);
	}
}

/* Learn and keep a client's MAC; refresh its fast-path entry. */
static int ensure_mac(struct pawd *d, struct paw_store_client *c, const struct sockaddr_in6 *src)
{
	int err;

	if (c->has_mac)
		return 0;
	if (!learn_mac(d, c, src))
		return -EHOSTUNREACH;
	err = pawd_batch_touch(d);
	if (!err)
		err = paw_store_client_update(d->store, c);
	if (err)
		return err;
	pawd_undo_push(d, UNDO_CLIENT, c->name, NULL);
	return op_client_online(d, c);
}

static void call_event(struct pawd *d, const char *action, const char *a, const char *b,
		       const char *by)
{
	json_t *ev = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "event", "call", "ts_ms",
			       (json_int_t)paw_now_ms(), "action", action, "a", a, "b", b, "by", by);

	pr_info("call %s: %s - %s (by %s)", action, a, b, by);
	control_event(d, "calls", ev);
}

/* ---- Postbox requests ---- */

bool op_mutates(int type)
{
	switch (type) {
	case PAW_PB_REGISTER:
	case PAW_PB_SET:
	case PAW_PB_CALL:
	case PAW_PB_HANGUP:
	case PAW_PB_POST:
	case PAW_PB_ACK:
		return true;
	}
	return false;
}

static void do_register(struct pawd *d, struct paw_store_client *me, const struct paw_pb_req *req,
			const struct sockaddr_in6 *src, struct paw_pb_reply *rep)
{
	struct paw_store_client upd = *me;
	struct pawd_port *port;
	char ip[INET_ADDRSTRLEN], ip2[INET_ADDRSTRLEN], msg[128];
	int err;

	if (req->ipv4 != me->ipv4)
		return say(rep, PAW_PB_CONFLICT, "%s is not %s's address (enrolled: %s)",
			   ip4s(req->ipv4, ip), me->name, ip4s(me->ipv4, ip2));
	if (req->soil.present && soil_check(&req->soil, msg, sizeof(msg)))
		return say(rep, PAW_PB_BAD_REQUEST, "%s", msg);
	if (req->has_mac) {
		upd.has_mac = true;
		memcpy(upd.mac, req->mac, 6);
	} else {
		learn_mac(d, &upd, src);
	}
	soil_merge(&upd.soil, &req->soil);
	if (!upd.registered)
		upd.registered_ms = paw_now_ms();
	upd.registered = true;

	port = ports_online(d, upd.port);
	if (port) {
		err = op_client_online(d, &upd);
		if (err) {
			pr_warn("Couldn't put %s into the fast path: %s", upd.name, strerror(-err));
			return say(rep, err == -E2BIG ? PAW_PB_LIMIT : PAW_PB_INTERNAL,
				   "the Switchboard refused %s: %s", upd.name, strerror(-err));
		}
	}
	err = pawd_batch_touch(d);
	if (!err)
		err = paw_store_client_update(d->store, &upd);
	if (err) {
		/* Put the fast path back as the data server has it. */
		if (port && me->registered)
			op_client_online(d, me);
		return say(rep, PAW_PB_INTERNAL, "data server: %s", paw_store_errmsg(d->store));
	}
	pawd_undo_push(d, UNDO_CLIENT, upd.name, NULL);
	*me = upd;
	say(rep, PAW_PB_OK, "registered %s %s on port %s%s%s", me->name, ip4s(me->ipv4, ip),
	    me->port, port ? "" : " (port is down: not in the fast path yet)",
	    me->has_mac ? "" : "; MAC not known yet");
}

static void do_set(struct pawd *d, struct paw_store_client *me, const struct paw_pb_req *req,
		   struct paw_pb_reply *rep)
{
	struct paw_store_client upd = *me;
	char msg[128];
	int err;

	if (soil_check(&req->soil, msg, sizeof(msg)))
		return say(rep, PAW_PB_BAD_REQUEST, "%s", msg);
	soil_merge(&upd.soil, &req->soil);
	err = pawd_batch_touch(d);
	if (!err)
		err = paw_store_client_update(d->store, &upd);
	if (err)
		return say(rep, PAW_PB_INTERNAL, "data server: %s", paw_store_errmsg(d->store));
	*me = upd;
	say(rep, PAW_PB_OK, "Soil_options of %s set", me->name);
}

/* The checks both a client's CALL and an admin's call share. */
static int call_prepare(struct pawd *d, struct paw_store_client *a, struct paw_store_client *b,
			const struct sockaddr_in6 *src, int *status, char *msg, size_t len)
{
	int err;

	if (!ports_online(d, a->port)) {
		*status = PAW_PB_UNAVAILABLE;
		msgf(msg, len, "%s's port %s is down", a->name, a->port);
		return -ENETDOWN;
	}
	if (!ports_online(d, b->port)) {
		*status = PAW_PB_UNAVAILABLE;
		msgf(msg, len, "%s's port %s is down", b->name, b->port);
		return -ENETDOWN;
	}
	err = ensure_mac(d, a, src);
	if (!err)
		err = ensure_mac(d, b, NULL);
	if (err == -EHOSTUNREACH) {
		*status = PAW_PB_UNAVAILABLE;
		msgf(msg, len, "%s's MAC is not known yet (it has sent nothing on %s)",
		     a->has_mac ? b->name : a->name, a->has_mac ? b->port : a->port);
		return err;
	}
	if (err) {
		*status = PAW_PB_INTERNAL;
		msgf(msg, len, "data server: %s", paw_store_errmsg(d->store));
	}
	return err;
}

/* Store, then program both directions; undo the store row if the
 * Switchboard refuses. */
static int call_place(struct pawd *d, const struct paw_store_client *a,
		      const struct paw_store_client *b, bool by_admin,
		      struct paw_store_call *out, int *status, char *msg, size_t len)
{
	struct paw_store_call call = { .by_admin = by_admin };
	int err;

	snprintf(call.a, sizeof(call.a), "%s", a->name);
	snprintf(call.b, sizeof(call.b), "%s", b->name);
	err = pawd_batch_touch(d);
	if (!err)
		err = paw_store_call_add(d->store, &call);
	if (err) {
		*status = PAW_PB_INTERNAL;
		msgf(msg, len, "data server: %s", paw_store_errmsg(d->store));
		return err;
	}
	err = paw_sb_call_add(d->sb, a->ipv4, b->ipv4, (__u32)call.id);
	if (err) {
		paw_store_call_del(d->store, a->name, b->name);
		*status = err == -E2BIG ? PAW_PB_LIMIT : PAW_PB_UNAVAILABLE;
		msgf(msg, len, err == -E2BIG ? "the Switchboard's call table is full" :
			       "the Switchboard refused the call: %s", strerror(-err));
		return err;
	}
	pawd_undo_push(d, UNDO_CALL_ADDED, a->name, b->name);
	if (out)
		*out = call;
	return 0;
}

static void do_call(struct pawd *d, struct paw_store_client *me, const struct paw_pb_req *req,
		    const struct sockaddr_in6 *src, struct paw_pb_reply *rep)
{
	struct paw_store_client peer;
	struct paw_store_call call;
	__u32 n;
	int status;

	if (!me->registered)
		return say(rep, PAW_PB_NOT_REGISTERED, "register a pawPrint first");
	if (!strcmp(req->peer, me->name))
		return say(rep, PAW_PB_DENIED, "%s cannot call itself", me->name);
	if (client_get(d, req->peer, &peer))
		return say(rep, PAW_PB_NOT_FOUND, "no client named %s", req->peer);
	if (paw_store_call_get(d->store, me->name, peer.name, &call) == 0) {
		rep->call_id = (__u32)call.id;
		return say(rep, PAW_PB_OK, "%s and %s are already connected", me->name, peer.name);
	}
	if (!peer.registered)
		return say(rep, PAW_PB_UNAVAILABLE, "%s has not registered", peer.name);
	if (!soil_allows(&peer.soil, me->name))
		return say(rep, PAW_PB_DENIED, "%s does not accept calls from %s", peer.name,
			   me->name);
	if (paw_store_call_count(d->store, me->name, &n) == 0 && n >= me->soil.max_calls)
		return say(rep, PAW_PB_LIMIT, "%s has %u calls (max-calls %u)", me->name, n,
			   me->soil.max_calls);
	if (paw_store_call_count(d->store, peer.name, &n) == 0 && n >= peer.soil.max_calls)
		return say(rep, PAW_PB_LIMIT, "%s has %u calls (max-calls %u)", peer.name, n,
			   peer.soil.max_calls);
	if (call_prepare(d, me, &peer, src, &status, rep->text, sizeof(rep->text)) ||
	    call_place(d, me, &peer, false, &call, &status, rep->text, sizeof(rep->text))) {
		rep->status = status;
		return;
	}
	rep->call_id = (__u32)call.id;
	call_event(d, "placed", me->name, peer.name, me->name);
	say(rep, PAW_PB_OK, "connected %s and %s", me->name, peer.name);
}

static int call_remove(struct pawd *d, const struct paw_store_client *a,
		       const struct paw_store_client *b)
{
	int err = pawd_batch_touch(d);

	if (!err)
		err = paw_store_call_del(d->store, a->name, b->name);
	if (err)
		return err;
	paw_sb_call_del(d->sb, a->ipv4, b->ipv4);
	pawd_undo_push(d, UNDO_CALL_REMOVED, a->name, b->name);
	return 0;
}

static void do_hangup(struct pawd *d, struct paw_store_client *me, const struct paw_pb_req *req,
		      struct paw_pb_reply *rep)
{
	struct paw_store_client peer;
	struct paw_store_call call;

	if (client_get(d, req->peer, &peer))
		return say(rep, PAW_PB_NOT_FOUND, "no client named %s", req->peer);
	if (paw_store_call_get(d->store, me->name, peer.name, &call))
		return say(rep, PAW_PB_NOT_FOUND, "%s and %s are not connected", me->name, peer.name);
	if (call_remove(d, me, &peer))
		return say(rep, PAW_PB_INTERNAL, "data server: %s", paw_store_errmsg(d->store));
	call_event(d, "hungup", call.a, call.b, me->name);
	say(rep, PAW_PB_OK, "hung up %s and %s", me->name, peer.name);
}

static void do_post(struct pawd *d, struct paw_store_client *me, const struct paw_pb_req *req,
		    struct paw_pb_reply *rep)
{
	struct paw_store_client peer;
	__u64 id;
	bool dup = false;
	int err;

	if (!me->registered)
		return say(rep, PAW_PB_NOT_REGISTERED, "register a pawPrint first");
	if (client_get(d, req->peer, &peer))
		return say(rep, PAW_PB_NOT_FOUND, "no client named %s", req->peer);
	if (strcmp(peer.name, me->name) && !soil_allows(&peer.soil, me->name))
		return say(rep, PAW_PB_DENIED, "%s does not accept posts from %s", peer.name,
			   me->name);
	err = pawd_batch_touch(d);
	if (!err)
		err = paw_store_msg_post(d->store, peer.name, me->name, req->msg_id, req->text,
					 req->text_len, paw_now_ms(), peer.soil.postbox_max, &id,
					 &dup);
	if (err == -ENOSPC)
		return say(rep, PAW_PB_LIMIT, "%s's postbox is full (%u messages)", peer.name,
			   peer.soil.postbox_max);
	if (err)
		return say(rep, PAW_PB_INTERNAL, "data server: %s", paw_store_errmsg(d->store));
	say(rep, PAW_PB_OK, dup ? "already in %s's postbox" : "posted to %s", peer.name);
}

struct fetch_ctx {
	struct paw_pb_reply *rep;
};

static int fetch_fn(const struct paw_pb_msg *m, void *ctx)
{
	struct paw_pb_reply *rep = ((struct fetch_ctx *)ctx)->rep;

	if (rep->n_msgs >= PAW_PB_FETCH_MAX)
		return 1;
	rep->msgs[rep->n_msgs++] = *m;
	return 0;
}

static void do_fetch(struct pawd *d, struct paw_store_client *me, const struct paw_pb_req *req,
		     struct paw_pb_reply *rep)
{
	struct fetch_ctx ctx = { .rep = rep };
	__u32 max = req->fetch_max && req->fetch_max < PAW_PB_FETCH_MAX ? req->fetch_max :
									   PAW_PB_FETCH_MAX;
	__u32 count = 0;
	int err;

	err = paw_store_msg_count(d->store, me->name, &count);
	if (!err)
		err = paw_store_msg_fetch(d->store, me->name, max, fetch_fn, &ctx);
	if (err < 0)
		return say(rep, PAW_PB_INTERNAL, "data server: %s", paw_store_errmsg(d->store));
	rep->more = count > rep->n_msgs;
	say(rep, PAW_PB_OK, "%u of %u messages", rep->n_msgs, count);
}

static void do_ack(struct pawd *d, struct paw_store_client *me, const struct paw_pb_req *req,
		   struct paw_pb_reply *rep)
{
	__u32 n = 0;
	int err = pawd_batch_touch(d);

	if (!err)
		err = paw_store_msg_ack(d->store, me->name, req->ack, req->n_ack, &n);
	if (err)
		return say(rep, PAW_PB_INTERNAL, "data server: %s", paw_store_errmsg(d->store));
	say(rep, PAW_PB_OK, "%u of %u messages removed", n, req->n_ack);
}

static int status_call_fn(const struct paw_store_call *call, void *ctx)
{
	struct paw_pb_status_info *in = ctx;

	if (in->n_calls >= PAW_PB_CALLS_MAX)
		return 1;
	snprintf(in->calls[in->n_calls++], sizeof(in->calls[0]), "%s",
		 strcmp(call->a, in->name) ? call->a : call->b);
	return 0;
}

static void do_status(struct pawd *d, struct paw_store_client *me, struct paw_pb_reply *rep)
{
	struct paw_pb_status_info *in = &rep->info;

	snprintf(in->name, sizeof(in->name), "%s", me->name);
	in->ipv4 = me->ipv4;
	in->has_mac = me->has_mac;
	memcpy(in->mac, me->mac, 6);
	in->registered = me->registered;
	in->soil = me->soil;
	in->soil.present = PAW_PB_SOIL_ALLOW | PAW_PB_SOIL_MAX_CALLS | PAW_PB_SOIL_POSTBOX_MAX |
			   PAW_PB_SOIL_RETENTION;
	paw_store_msg_count(d->store, me->name, &in->postbox_count);
	paw_store_call_foreach(d->store, me->name, status_call_fn, in);
	say(rep, PAW_PB_OK, "%s is %s, %u call%s, %u message%s waiting", me->name,
	    me->registered ? (ports_online(d, me->port) ? "online" : "registered, port down")
			   : "enrolled, not registered",
	    in->n_calls, in->n_calls == 1 ? "" : "s", in->postbox_count,
	    in->postbox_count == 1 ? "" : "s");
}

void op_request(struct pawd *d, struct paw_store_client *me, const struct paw_pb_req *req,
		const struct sockaddr_in6 *src, struct paw_pb_reply *rep)
{
	switch (req->type) {
	case PAW_PB_REGISTER:
		return do_register(d, me, req, src, rep);
	case PAW_PB_SET:
		return do_set(d, me, req, rep);
	case PAW_PB_CALL:
		return do_call(d, me, req, src, rep);
	case PAW_PB_HANGUP:
		return do_hangup(d, me, req, rep);
	case PAW_PB_POST:
		return do_post(d, me, req, rep);
	case PAW_PB_FETCH:
		return do_fetch(d, me, req, rep);
	case PAW_PB_ACK:
		return do_ack(d, me, req, rep);
	case PAW_PB_STATUS:
		return do_status(d, me, rep);
	}
	say(rep, PAW_PB_BAD_REQUEST, "unknown request type %u", req->type);
}

/* ---- admin side ---- */

static bool ipv4_usable(__be32 a)
{
	__u32 h = ntohl(a);

	return h != 0 && h != 0xffffffff && (h >> 28) != 0xe && (h >> 24) != 127;
}

int op_client_add(struct pawd *d, const char *name, __be32 ipv4, const char *port,
		  const __u8 *mac, __u8 secret[PAW_PB_SECRET_LEN], char *msg, size_t len)
{
	struct paw_store_client c = { 0 }, other;
	char ip[INET_ADDRSTRLEN];
	int err;

	if (!paw_name_valid(name)) {
		msgf(msg, len, "'%s' is not a client name ([A-Za-z0-9][A-Za-z0-9._-], at most %d)",
		     name, PAW_PB_NAME_MAX);
		return -EINVAL;
	}
	if (!port[0] || strlen(port) >= IF_NAMESIZE) {
		msgf(msg, len, "'%s' is not an interface name", port);
		return -EINVAL;
	}
	if (!ipv4_usable(ipv4)) {
		msgf(msg, len, "%s cannot be a client's address", ip4s(ipv4, ip));
		return -EINVAL;
	}
	if (client_get(d, name, &other) == 0) {
		msgf(msg, len, "client '%s' exists", name);
		return -EEXIST;
	}
	if (paw_store_client_by_ipv4(d->store, ipv4, &other) == 0) {
		msgf(msg, len, "%s is enrolled as '%s'", ip4s(ipv4, ip), other.name);
		return -EEXIST;
	}
	snprintf(c.name, sizeof(c.name), "%s", name);
	snprintf(c.port, sizeof(c.port), "%s", port);
	c.ipv4 = ipv4;
	if (mac) {
		c.has_mac = true;
		memcpy(c.mac, mac, 6);
	}
	randombytes_buf(c.secret, sizeof(c.secret));
	c.soil.present = PAW_PB_SOIL_ALLOW | PAW_PB_SOIL_MAX_CALLS | PAW_PB_SOIL_POSTBOX_MAX |
			 PAW_PB_SOIL_RETENTION;
	c.soil.allow_all = true;
	c.soil.max_calls = d->cfg.default_max_calls;
	c.soil.postbox_max = d->cfg.default_postbox_max;
	c.soil.retention_s = d->cfg.default_retention_s;
	c.created_ms = paw_now_ms();

	err = pawd_batch_touch(d);
	if (!err)
		err = paw_store_client_add(d->store, &c);
	if (!err)
		err = pawd_batch_end(d);
	if (err) {
		msgf(msg, len, "data server: %s", paw_store_errmsg(d->store));
		goto out;
	}
	/* Enrolled clients are known to the fast path at once, so frames
	 * claiming their address from another port count as spoofed. */
	if (ports_online(d, c.port)) {
		err = op_client_online(d, &c);
		if (err) {
			paw_store_client_del(d->store, c.name);
			msgf(msg, len, err == -E2BIG ? "the Switchboard's client table is full" :
				       "the Switchboard refused the client: %s", strerror(-err));
			err = err == -E2BIG ? -ENOSPC : err;
			goto out;
		}
	}
	memcpy(secret, c.secret, PAW_PB_SECRET_LEN);
	pr_info("enrolled %s %s on port %s", c.name, ip4s(c.ipv4, ip), c.port);
out:
	sodium_memzero(c.secret, sizeof(c.secret));
	return err;
}

static int hangup_all_fn(const struct paw_store_call *call, void *ctx)
{
	struct pawd *d = ctx;

	call_event(d, "hungup", call->a, call->b, "admin");
	return 0;
}

int op_client_del(struct pawd *d, const char *name, char *msg, size_t len)
{
	struct paw_store_client c;
	int err;

	if (client_get(d, name, &c)) {
		msgf(msg, len, "no client named '%s'", name);
		return -ENOENT;
	}
	op_client_offline(d, &c);
	paw_store_call_foreach(d->store, name, hangup_all_fn, d);
	err = pawd_batch_touch(d);
	if (!err)
		err = paw_store_client_del(d->store, name);
	if (!err)
		err = pawd_batch_end(d);
	if (err) {
		msgf(msg, len, "data server: %s", paw_store_errmsg(d->store));
		if (ports_online(d, c.port))
			op_client_online(d, &c);
		return err;
	}
	paw_pb_replay_forget(d->replay, name);
	pr_info("removed client %s", name);
	return 0;
}

static int status_to_errno(int status)
{
	switch (status) {
	case PAW_PB_LIMIT:
		return -ENOSPC;
	case PAW_PB_UNAVAILABLE:
		return -ENETDOWN;
	case PAW_PB_NOT_FOUND:
		return -ENOENT;
	}
	return -EIO;
}

int op_call_add(struct pawd *d, const char *an, const char *bn, const char *by,
		struct paw_store_call *out, char *msg, size_t len)
{
	struct paw_store_client a, b;
	int status = PAW_PB_OK, err;

	if (client_get(d, an, &a)) {
		msgf(msg, len, "no client named '%s'", an);
		return -ENOENT;
	}
	if (client_get(d, bn, &b)) {
		msgf(msg, len, "no client named '%s'", bn);
		return -ENOENT;
	}
	if (!strcmp(an, bn)) {
		msgf(msg, len, "a call needs two clients");
		return -EINVAL;
	}
	if (paw_store_call_get(d->store, an, bn, out) == 0) {
		msgf(msg, len, "%s and %s are already connected", an, bn);
		return -EEXIST;
	}
	err = call_prepare(d, &a, &b, NULL, &status, msg, len);
	if (!err)
		err = call_place(d, &a, &b, true, out, &status, msg, len);
	if (!err) {
		err = pawd_batch_end(d);
		if (err)
			msgf(msg, len, "data server: %s", paw_store_errmsg(d->store));
	} else {
		pawd_batch_end(d);
		err = status_to_errno(status);
	}
	if (!err)
		call_event(d, "placed", an, bn, by);
	return err;
}

int op_call_del(struct pawd *d, const char *an, const char *bn, const char *by,
		char *msg, size_t len)
{
	struct paw_store_client a, b;
	struct paw_store_call call;
	int err;

	if (client_get(d, an, &a) || client_get(d, bn, &b) ||
	    paw_store_call_get(d->store, an, bn, &call)) {
		msgf(msg, len, "no call between '%s' and '%s'", an, bn);
		return -ENOENT;
	}
	err = call_remove(d, &a, &b);
	if (!err)
		err = pawd_batch_end(d);
	else
		pawd_batch_end(d);
	if (err) {
		msgf(msg, len, "data server: %s", paw_store_errmsg(d->store));
		return err;
	}
	call_event(d, "hungup", call.a, call.b, by);
	return 0;
}

/* ---- reconciliation ---- */

static int reconcile_client_fn(const struct paw_store_client *c, void *ctx)
{
	struct pawd *d = ctx;
	int err;

	if (ports_online(d, c->port)) {
		err = op_client_online(d, c);
		if (err)
			pr_warn("Couldn't restore %s to the fast path: %s", c->name, strerror(-err));
	} else {
		op_client_offline(d, c);
	}
	return 0;
}

struct stale_calls {
	struct pawd *d;
	const struct keyset *live;	/* what the client pass programmed, if complete */
	struct paw_call_key *keys;
	int n, cap;
};

static int stale_call_fn(const struct paw_call_key *k, const struct paw_call *call,
			 const struct paw_ctr *ctr, void *ctx)
{
	struct stale_calls *s = ctx;
	struct paw_store_client a, b;
	struct paw_store_call sc;
	bool keep;

	(void)call;
	(void)ctr;
	/* The client pass programmed every call the data server has and
	 * both of whose ends are online: any other entry is stale. */
	if (s->live)
		keep = keyset_has(s->live, call_key64(k->src, k->dst));
	else
		keep = paw_store_client_by_ipv4(s->d->store, k->src, &a) == 0 &&
		       paw_store_client_by_ipv4(s->d->store, k->dst, &b) == 0 &&
		       paw_store_call_get(s->d->store, a.name, b.name, &sc) == 0 &&
		       has_call_live(s->d, &a, &b);
	if (keep)
		return 0;
	if (s->n == s->cap) {
		int cap = s->cap ? s->cap * 2 : 256;
		void *p = realloc(s->keys, cap * sizeof(*s->keys));

		if (!p)
			return -ENOMEM;
		s->keys = p;
		s->cap = cap;
	}
	s->keys[s->n++] = *k;
	return 0;
}

int op_reconcile(struct pawd *d)
{
	struct pawd_reconcile rec = { 0 };
	struct stale_calls s = { .d = d };
	int fd = paw_sb_map_fd(d->sb, PAW_MAP_CLIENTS);
	__be32 key, next, *prev = NULL;
	__be32 *stale = NULL;
	int n_stale = 0, cap = 0, err;
	/* All of it reads in one transaction (one set of file locks, one
	 * consistent view), unless a batch is open already. */
	bool own_batch = !d->in_batch && pawd_batch_open(d) == 0;

	/* Every client the data server has: in the fast path exactly when
	 * its port is up, with the calls whose both ends are. Each call is
	 * judged once, and what is programmed is remembered for the scan of
	 * stale entries below. */
	d->reconciling = &rec;
	err = paw_store_client_foreach(d->store, reconcile_client_fn, d);
	d->reconciling = NULL;
	if (err)
		goto out;

	/* Fast-path clients the data server does not have. */
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct paw_store_client c;

		key = next;
		prev = &key;
		if (paw_store_client_by_ipv4(d->store, key, &c) == 0 && ports_online(d, c.port))
			continue;
		if (n_stale == cap) {
			void *p = realloc(stale, (cap = cap ? cap * 2 : 64) * sizeof(*stale));

			if (!p)
				break;
			stale = p;
		}
		stale[n_stale++] = key;
	}
	for (int i = 0; i < n_stale; i++)
		paw_sb_client_del(d->sb, stale[i]);
	free(stale);

	/* Call directions the data server does not have. */
	s.live = rec.keys.failed || rec.calls.failed ? NULL : &rec.keys;
	err = paw_sb_call_foreach(d->sb, stale_call_fn, &s);
	for (int i = 0; i < s.n; i++)
		bpf_map_delete_elem(paw_sb_map_fd(d->sb, PAW_MAP_CALLS), &s.keys[i]);
	if (n_stale || s.n)
		pr_info("reconciled: removed %d stale clients and %d stale call directions",
			n_stale, s.n);
	free(s.keys);
out:
	free(rec.calls.v);
	free(rec.keys.v);
	if (own_batch)
		pawd_batch_end(d);
	return err < 0 ? err : 0;
}

void op_tick(struct pawd *d, __u64 now_ms)
{
	static __u64 last;
	__u32 n = 0;

	if (now_ms - last < EXPIRE_EVERY_MS)
		return;
	last = now_ms;
	if (paw_store_msg_expire(d->store, now_ms, &n) == 0 && n)
		pr_info("expired %u postbox messages past their retention", n);
}
