// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ear (earConfig): the Operator's IPv6 listeners on each MainBackend
 * address, UDP (one request per datagram) and TCP (2-byte length framing,
 * many requests per connection, idle timeout).
 *
 * Every request goes through the same gate: header, known client, MAC
 * over the whole message, fresh timestamp and unseen nonce. Whatever
 * fails is refused with a status, counted, logged (rate-limited), and
 * nothing it carries is used. Replies wait in a queue until the data
 * server has committed the batch they belong to.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sodium.h>

#include "pawd.h"
#include "cleanup.h"
#include "log.h"
#include "util.h"

#define UDP_BURST	256		/* datagrams read per wakeup */
#define TCP_OUT_MAX	(1 << 20)	/* a client that does not read is cut off */

struct ear_sock {
	struct pawd_watch w;
	bool tcp;
	struct in6_addr addr;
};

struct ear_conn {
	struct pawd_watch w;
	struct ear_conn *next;
	struct sockaddr_in6 peer;
	__u8 *in;
	size_t in_len;
	struct pawd_outbuf out;
	__u64 last_ms;		/* last complete request (monotonic) */
	bool dead;
};

struct ear_reply {
	int udp_fd;		/* UDP: the socket to answer on */
	struct sockaddr_in6 to;
	struct ear_conn *conn;	/* TCP */
	bool mutating;
	/* to turn it into an INTERNAL refusal if the commit fails */
	__u8 type;
	__u32 req_id;
	__u8 nonce[PAW_PB_NONCE_LEN];
	__u8 secret[PAW_PB_SECRET_LEN];
	size_t len;
	__u8 *buf;
};

/* Per-client token buckets for [ear] rate: only authenticated clients get
 * one, so the table is bounded by enrolment. */
#define RATE_BUCKETS 1024

struct rate_entry {
	struct rate_entry *next;
	char name[PAW_PB_NAME_MAX + 1];
	double tokens;
	__u64 last_ms;
};

struct pawd_ear {
	struct rate_entry *rate[RATE_BUCKETS];
	struct ear_sock socks[2 * PAW_MAX_BACKENDS];
	int n_socks;
	struct ear_conn *conns;
	int n_conns;
	struct ear_reply *q;
	int n_q, cap_q;
	struct paw_pb_req req;
	struct paw_pb_reply rep;
	__u8 buf[2 + PAW_PB_TCP_MAX];
	struct paw_ratelimit rl;
	/* A burst of datagrams, read with one recvmmsg() */
	__u8 in[UDP_BURST][PAW_PB_UDP_MAX + 1];
	struct sockaddr_in6 in_src[UDP_BURST];
	struct mmsghdr in_msg[UDP_BURST];
	struct iovec in_iov[UDP_BURST];
	/* and the replies of a batch, sent with sendmmsg() */
	struct mmsghdr out_msg[UDP_BURST];
	struct iovec out_iov[UDP_BURST];
};

static const char *addr6(const struct sockaddr_in6 *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
	if (a->sin6_scope_id)
		snprintf(buf, len, "[%s%%%u]:%u", ip, a->sin6_scope_id, ntohs(a->sin6_port));
	else
		snprintf(buf, len, "[%s]:%u", ip, ntohs(a->sin6_port));
	return buf;
}

/* ---- the reply queue ---- */

static struct ear_reply *queue_slot(struct pawd_ear *e)
{
	if (e->n_q == e->cap_q) {
		int cap = e->cap_q ? e->cap_q * 2 : 64;
		void *p = realloc(e->q, cap * sizeof(*e->q));

		if (!p)
			return NULL;
		e->q = p;
		e->cap_q = cap;
	}
	memset(&e->q[e->n_q], 0, sizeof(e->q[0]));
	return &e->q[e->n_q++];
}

static void conn_send(struct pawd *d, struct ear_conn *c, const __u8 *buf, size_t len);

/* UDP replies q[0..n), all on one socket, in as few syscalls as the
 * kernel takes them: best effort, as the client retries. A datagram the
 * kernel refuses is skipped, the rest still go. */
static void udp_send(struct pawd *d, struct ear_reply *q, int n)
{
	struct pawd_ear *e = d->ear;
	int done = 0;

	for (int i = 0; i < n; i++) {
		e->out_iov[i].iov_base = q[i].buf;
		e->out_iov[i].iov_len = q[i].len;
		memset(&e->out_msg[i], 0, sizeof(e->out_msg[i]));
		e->out_msg[i].msg_hdr.msg_name = &q[i].to;
		e->out_msg[i].msg_hdr.msg_namelen = sizeof(q[i].to);
		e->out_msg[i].msg_hdr.msg_iov = &e->out_iov[i];
		e->out_msg[i].msg_hdr.msg_iovlen = 1;
	}
	while (done < n) {
		int r = sendmmsg(q[0].udp_fd, e->out_msg + done, n - done,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		/* The first datagram failed (r < 0) or the one after the last sent. */
		done += r > 0 ? r : 1;
	}
}

/* Send the replies q[0..n) in order: TCP ones into their connections,
 * runs of UDP ones on the same socket in one sendmmsg(). */
static void replies_send(struct pawd *d, struct ear_reply *q, int n)
{
	for (int i = 0; i < n;) {
		struct ear_reply *r = &q[i];
		int run = 1;

		if (!r->buf) {
			i++;
			continue;
		}
		if (r->conn) {
			if (!r->conn->dead)
				conn_send(d, r->conn, r->buf, r->len);
			i++;
			continue;
		}
		while (i + run < n && run < UDP_BURST && !q[i + run].conn && q[i + run].buf &&
		       q[i + run].udp_fd == r->udp_fd)
			run++;
		udp_send(d, r, run);
		i += run;
	}
}

/* Re-encode a held reply as INTERNAL: its batch did not reach the disk. */
static void reply_internal(struct pawd *d, struct ear_reply *r)
{
	struct paw_pb_reply *rep = &d->ear->rep;
	__u8 *buf = d->ear->buf + 2;
	int n;

	memset(rep, 0, offsetof(struct paw_pb_reply, info));
	rep->n_msgs = 0;
	rep->type = r->type;
	rep->req_id = r->req_id;
	rep->ts_ms = paw_now_ms();
	memcpy(rep->nonce, r->nonce, sizeof(rep->nonce));
	rep->status = PAW_PB_INTERNAL;
	snprintf(rep->text, sizeof(rep->text), "the data server failed; nothing was stored");
	n = paw_pb_reply_encode(rep, r->secret, buf, PAW_PB_UDP_MAX, NULL);
	if (n < 0)
		return;
	free(r->buf);
	r->len = r->conn ? (size_t)n + 2 : (size_t)n;
	r->buf = malloc(r->len);
	if (!r->buf) {
		r->len = 0;
		return;
	}
	if (r->conn) {
		r->buf[0] = n >> 8;
		r->buf[1] = n & 0xff;
		memcpy(r->buf + 2, buf, n);
	} else {
		memcpy(r->buf, buf, n);
	}
	d->ear_stats.accepted--;
	d->ear_stats.refused[PAW_PB_INTERNAL]++;
}

static void conn_free(struct pawd *d, struct ear_conn *c);

void ear_flush(struct pawd *d, int commit_err)
{
	struct pawd_ear *e = d->ear;
	struct ear_conn **pc;

	if (!e)
		return;
	if (commit_err)
		for (int i = 0; i < e->n_q; i++)
			if (e->q[i].mutating)
				reply_internal(d, &e->q[i]);
	replies_send(d, e->q, e->n_q);
	for (int i = 0; i < e->n_q; i++) {
		free(e->q[i].buf);
		sodium_memzero(e->q[i].secret, sizeof(e->q[i].secret));
	}
	e->n_q = 0;
	/* Connections closed during the batch go now that nothing refers to them. */
	for (pc = &e->conns; *pc;) {
		struct ear_conn *c = *pc;

		if (c->dead) {
			*pc = c->next;
			conn_free(d, c);
		} else {
			pc = &c->next;
		}
	}
}

/* ---- rate limit ---- */

static unsigned rate_hash(const char *name)
{
	unsigned h = 2166136261u;	/* FNV-1a */

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h % RATE_BUCKETS;
}

/* true: within the client's rate. A bucket holds one second's worth. */
static bool rate_ok(struct pawd *d, const char *name, __u64 now_ms)
{
	struct rate_entry **pe = &d->ear->rate[rate_hash(name)], *e;
	double rate = d->cfg.ear_rate;

	if (!rate)
		return true;
	for (e = *pe; e; e = e->next)
		if (!strcmp(e->name, name))
			break;
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return true;	/* no memory: do not refuse for it */
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->tokens = rate;
		e->last_ms = now_ms;
		e->next = *pe;
		*pe = e;
	}
	e->tokens += (double)(now_ms - e->last_ms) * rate / 1000.0;
	if (e->tokens > rate)
		e->tokens = rate;
	e->last_ms = now_ms;
	if (e->tokens < 1.0)
		return false;
	e->tokens -= 1.0;
	return true;
}

static void rate_free(struct pawd_ear *e)
{
	for (int i = 0; i < RATE_BUCKETS; i++) {
		while (e->rate[i]) {
			struct rate_entry *n = e->rate[i]->next;

			free(e->rate[i]);
			e->rate[i] = n;
		}
	}
}

/* ---- one request ---- */

static void refused_log(struct pawd *d, const struct sockaddr_in6 *src, int type,
			const char *name, int status, const char *text)
{
	__u64 missed;
	char a[96];

	if (!paw_ratelimit(&d->ear->rl, paw_mono_ms(), &missed))
		return;
	if (missed)
		pr_info("%llu more refusals were not logged", (unsigned long long)missed);
	pr_info("refused %s from %s %s: %s%s%s", paw_pb_type_name(type), name[0] ? name : "?",
		addr6(src, a, sizeof(a)), paw_pb_status_name(status), text[0] ? ": " : "", text);
}

/*
 * Decide a request and queue its reply. `max` is the transport's largest
 * reply; tcp says whether to frame it.
 */
static void handle(struct pawd *d, int udp_fd, struct ear_conn *conn, const __u8 *msg,
		   size_t len, const struct sockaddr_in6 *src)
{
	struct pawd_ear *e = d->ear;
	struct paw_pb_req *req = &e->req;
	struct paw_pb_reply *rep = &e->rep;
	struct paw_store_client me;
	const __u8 *secret = NULL;
	size_t max = conn ? PAW_PB_TCP_MAX : PAW_PB_UDP_MAX;
	struct ear_reply *r;
	bool known = false;
	int st, n, commit_err = 0;

	d->ear_stats.requests++;
	if (conn)
		d->ear_stats.tcp++;
	else
		d->ear_stats.udp++;
	memset(req, 0, offsetof(struct paw_pb_req, text));
	memset(rep, 0, offsetof(struct paw_pb_reply, info));
	rep->n_msgs = 0;
	rep->info.n_calls = 0;

	/* Not the Postbox at all (a DNS query to port 53, noise): no answer. */
	if (len < 2 || msg[0] != PAW_PB_MAGIC) {
		d->ear_stats.refused[PAW_PB_BAD_REQUEST]++;
		return;
	}
	st = paw_pb_req_peek(msg, len, req);
	if (!st) {
		/* Every read of this batch in one transaction (an error leaves
		 * each statement to take its own locks, as without). */
		pawd_batch_open(d);
		known = paw_store_client_get(d->store, req->name, &me) == 0;
		if (!known)
			st = PAW_PB_AUTH;
	}
	if (!st) {
		st = paw_pb_req_decode(msg, len, me.secret, req);
		if (st != PAW_PB_AUTH)
			secret = me.secret;	/* authentic: answer signed */
	}
	if (!st)
		st = paw_pb_replay_check(d->replay, req->name, req->ts_ms, req->nonce, paw_now_ms());
	if (!st && !rate_ok(d, req->name, paw_mono_ms()))
		st = PAW_PB_BUSY;

	rep->type = req->type;
	rep->req_id = req->req_id;
	memcpy(rep->nonce, req->nonce, sizeof(rep->nonce));
	if (st) {
		rep->status = st;
		snprintf(rep->text, sizeof(rep->text), "%s",
			 st == PAW_PB_AUTH ? "unknown client or bad signature" :
			 st == PAW_PB_STALE ? "timestamp outside the replay window (clock?)" :
			 st == PAW_PB_REPLAY ? "this request was seen before" :
			 st == PAW_PB_BUSY ? "too many requests: slow down" :
			 st == PAW_PB_BAD_VERSION ? "this Operator speaks Postbox version 1" :
			 "malformed request");
	} else {
		op_request(d, &me, req, src, rep);
		if (!d->cfg.group_commit)
			commit_err = pawd_batch_end(d);
		if (commit_err && op_mutates(req->type)) {
			rep->status = PAW_PB_INTERNAL;
			snprintf(rep->text, sizeof(rep->text),
				 "the data server failed; nothing was stored");
		}
	}
	if (rep->status == PAW_PB_OK) {
		d->ear_stats.accepted++;
	} else {
		if (rep->status < PAW_PB_STATUS_MAX)
			d->ear_stats.refused[rep->status]++;
		refused_log(d, src, req->type, req->name, rep->status, rep->text);
	}
	rep->ts_ms = paw_now_ms();

	n = paw_pb_reply_encode(rep, secret, e->buf + 2, max, NULL);
	if (n < 0) {
		pr_err("Couldn't encode a %s reply: %s", paw_pb_type_name(req->type), strerror(-n));
		return;
	}
	r = queue_slot(e);
	if (!r)
		return;
	r->udp_fd = udp_fd;
	r->to = *src;
	r->conn = conn;
	r->mutating = op_mutates(req->type) && secret && !st && d->cfg.group_commit;
	r->type = req->type;
	r->req_id = req->req_id;
	memcpy(r->nonce, req->nonce, sizeof(r->nonce));
	if (secret)
		memcpy(r->secret, secret, sizeof(r->secret));
	if (conn) {
		e->buf[0] = n >> 8;
		e->buf[1] = n & 0xff;
		n += 2;
	}
	r->buf = malloc(n);
	if (!r->buf) {
		e->n_q--;
		return;
	}
	memcpy(r->buf, conn ? e->buf : e->buf + 2, n);
	r->len = n;
	if (known)
		sodium_memzero(me.secret, sizeof(me.secret));
}

/* ---- UDP ---- */

static void udp_cb(struct pawd *d, struct pawd_watch *w, __u32 events)
{
	struct pawd_ear *e = d->ear;
	int n;

	(void)events;
	for (int i = 0; i < UDP_BURST; i++) {
		e->in_iov[i].iov_base = e->in[i];
		e->in_iov[i].iov_len = sizeof(e->in[i]);
		memset(&e->in_msg[i], 0, sizeof(e->in_msg[i]));
		e->in_msg[i].msg_hdr.msg_name = &e->in_src[i];
		e->in_msg[i].msg_hdr.msg_namelen = sizeof(e->in_src[i]);
		e->in_msg[i].msg_hdr.msg_iov = &e->in_iov[i];
		e->in_msg[i].msg_hdr.msg_iovlen = 1;
	}
	/* One burst per wakeup: what is left wakes the loop again, after
	 * this batch's commit. */
	n = recvmmsg(w->fd, e->in_msg, UDP_BURST, MSG_DONTWAIT, NULL);
	for (int i = 0; i < n; i++) {
		size_t len = e->in_msg[i].msg_len;

		/* A datagram longer than the buffer is cut: MSG_TRUNC says so. */
		if (len > PAW_PB_UDP_MAX || (e->in_msg[i].msg_hdr.msg_flags & MSG_TRUNC)) {
			d->ear_stats.requests++;
			d->ear_stats.refused[PAW_PB_TOO_BIG]++;
			continue;
		}
		handle(d, w->fd, NULL, e->in[i], len, &e->in_src[i]);
	}
}

/* ---- TCP ---- */

static void conn_free(struct pawd *d, struct ear_conn *c)
{
	if (c->w.fd >= 0) {
		pawd_watch_del(d, &c->w);
		close(c->w.fd);
	}
	free(c->in);
	pawd_outbuf_free(&c->out);
	free(c);
	d->ear->n_conns--;
}

static void conn_close(struct pawd *d, struct ear_conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	pawd_watch_del(d, &c->w);
	close(c->w.fd);
	c->w.fd = -1;
}

static void conn_write(struct pawd *d, struct ear_conn *c)
{
	if (pawd_outbuf_flush(d, &c->w, &c->out))
		conn_close(d, c);
}

static void conn_send(struct pawd *d, struct ear_conn *c, const __u8 *buf, size_t len)
{
	if (c->out.len + len > TCP_OUT_MAX) {
		pr_info("closing a TCP client that does not read its replies");
		conn_close(d, c);
		return;
	}
	if (!pawd_outbuf_append(&c->out, buf, len)) {
		conn_close(d, c);
		return;
	}
	conn_write(d, c);
}

static void conn_cb(struct pawd *d, struct pawd_watch *w, __u32 events)
{
	struct ear_conn *c = (struct ear_conn *)w;
	size_t used = 0;

	if (c->dead)
		return;
	if (events & EPOLLOUT)
		conn_write(d, c);
	if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		/* A frame is at most 2 + PAW_PB_TCP_MAX, so the buffer is never
		 * full without a complete frame, handled below. */
		ssize_t n = recv(w->fd, c->in + c->in_len, 2 + PAW_PB_TCP_MAX - c->in_len,
				 MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			conn_close(d, c);
			break;
		}
		if (n < 0)
			break;
		c->in_len += n;
		/* Every complete frame in the buffer. */
		while (c->in_len - used >= 2) {
			size_t flen = (size_t)c->in[used] << 8 | c->in[used + 1];

			if (flen == 0 || (c->in_len - used >= 3 && c->in[used + 2] != PAW_PB_MAGIC)) {
				/* Not a Postbox stream: nothing to answer. */
				d->ear_stats.requests++;
				d->ear_stats.refused[PAW_PB_BAD_REQUEST]++;
				conn_close(d, c);
				return;
			}
			if (c->in_len - used < 2 + flen)
				break;
			handle(d, -1, c, c->in + used + 2, flen, &c->peer);
			used += 2 + flen;
			c->last_ms = paw_mono_ms();
		}
		if (used) {
			memmove(c->in, c->in + used, c->in_len - used);
			c->in_len -= used;
			used = 0;
		}
		if (c->dead)
			break;
	}
}

static void accept_cb(struct pawd *d, struct pawd_watch *w, __u32 events)
{
	struct pawd_ear *e = d->ear;

	(void)events;
	for (int i = 0; i < 16; i++) {
		struct sockaddr_in6 peer;
		socklen_t plen = sizeof(peer);
		struct ear_conn *c;
		int fd = accept4(w->fd, (struct sockaddr *)&peer, &plen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		if (e->n_conns >= d->cfg.ear_max_conns) {
			close(fd);
			d->ear_stats.refused[PAW_PB_BUSY]++;
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c)
			c->in = malloc(2 + PAW_PB_TCP_MAX);
		if (!c || !c->in) {
			free(c);
			close(fd);
			continue;
		}
		c->w.fn = conn_cb;
		c->w.fd = fd;
		c->peer = peer;
		c->last_ms = paw_mono_ms();
		if (pawd_watch_add(d, &c->w, EPOLLIN | EPOLLRDHUP)) {
			close(fd);
			free(c->in);
			free(c);
			continue;
		}
		c->next = e->conns;
		e->conns = c;
		e->n_conns++;
	}
}

/* Runs inside a batch (the loop's timer): it closes idle connections and
 * leaves their freeing, and every reply, to the ear_flush() that follows
 * the batch's commit. Flushing here would send replies of mutations not
 * yet committed. */
void ear_tick(struct pawd *d, __u64 now_mono)
{
	__u64 idle = (__u64)d->cfg.ear_idle_timeout_s * 1000;

	if (!d->ear)
		return;
	for (struct ear_conn *c = d->ear->conns; c; c = c->next)
		if (!c->dead && now_mono - c->last_ms > idle)
			conn_close(d, c);
}

/* ---- sockets ---- */

static int ear_socket(struct pawd *d, const struct in6_addr *addr, bool tcp)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = *addr,
				     .sin6_port = htons(d->cfg.ear_port) };
	_cleanup_close_ int fd = -1;
	int one = 1, rcvbuf = 1 << 20;
	char ip[INET6_ADDRSTRLEN];
	int err;

	fd = socket(AF_INET6, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* MainBackend's address lives on the ports, which may come later. */
	setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
	if (tcp)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	else
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) ||
	    (tcp && listen(fd, d->cfg.ear_backlog))) {
		err = -errno;
		pr_err("Couldn't listen on [%s]:%u/%s: %s",
		       inet_ntop(AF_INET6, addr, ip, sizeof(ip)), d->cfg.ear_port,
		       tcp ? "tcp" : "udp", strerror(-err));
		return err;
	}
	return TAKE_FD(fd);
}

int ear_start(struct pawd *d)
{
	struct pawd_ear *e = d->ear;
	char ip[INET6_ADDRSTRLEN];
	int err;

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		e->rl = (struct paw_ratelimit)PAW_RATELIMIT_INIT(1000, 10);
		d->ear = e;
	}
	for (int i = 0; i < d->cfg.n_ear_addrs; i++) {
		for (int t = 0; t < 2; t++) {
			struct ear_sock *s;
			bool tcp = t == 1;
			int fd;

			if ((tcp && !d->cfg.ear_tcp) || (!tcp && !d->cfg.ear_udp))
				continue;
			fd = ear_socket(d, &d->cfg.ear_addrs[i], tcp);
			if (fd < 0)
				return fd;
			s = &e->socks[e->n_socks++];
			s->tcp = tcp;
			s->addr = d->cfg.ear_addrs[i];
			s->w.fd = fd;
			s->w.fn = tcp ? accept_cb : udp_cb;
			err = pawd_watch_add(d, &s->w, EPOLLIN);
			if (err)
				return err;
			pr_info("ear listening on [%s]:%u/%s",
				inet_ntop(AF_INET6, &s->addr, ip, sizeof(ip)), d->cfg.ear_port,
				tcp ? "tcp" : "udp");
		}
	}
	return 0;
}

void ear_stop(struct pawd *d)
{
	struct pawd_ear *e = d->ear;

	if (!e)
		return;
	ear_flush(d, 0);
	for (int i = 0; i < e->n_socks; i++) {
		pawd_watch_del(d, &e->socks[i].w);
		close(e->socks[i].w.fd);
	}
	e->n_socks = 0;
	while (e->conns) {
		struct ear_conn *c = e->conns;

		e->conns = c->next;
		conn_free(d, c);
	}
}

void ear_free(struct pawd *d)
{
	if (!d->ear)
		return;
	ear_stop(d);
	rate_free(d->ear);
	free(d->ear->q);
	free(d->ear);
	d->ear = NULL;
}

int ear_reload(struct pawd *d, const struct paw_cfg *old)
{
	bool same = old->ear_port == d->cfg.ear_port && old->ear_udp == d->cfg.ear_udp &&
		    old->ear_tcp == d->cfg.ear_tcp && old->n_ear_addrs == d->cfg.n_ear_addrs &&
		    !memcmp(old->ear_addrs, d->cfg.ear_addrs,
			    old->n_ear_addrs * sizeof(old->ear_addrs[0]));

	if (same)
		return 0;
	pr_info("ear configuration changed: listening again");
	ear_stop(d);
	return ear_start(d);
}
