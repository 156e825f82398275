// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libpawclient: one client of the Operator's Postbox over IPv6, UDP or
 * TCP. See include/paw/pawclient.h for the contract.
 *
 * Every wait is bounded by a deadline on the monotonic clock: a UDP
 * attempt lasts timeout_ms, a TCP exchange (connect, send, receive) too.
 * Sockets are non-blocking and waited on with poll(), so a server that
 * stops in the middle of a message costs a timeout, never a hang.
 *
 * A struct pawclient holds one request in flight and its buffers: one per
 * thread, or a lock around it.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sodium.h>

#include "paw/pawclient.h"
#include "cleanup.h"
#include "util.h"

#define PC_ADDRS_MAX	8	/* resolved addresses kept for TCP */
#define PC_TIMEOUT_MS	1000
#define PC_RETRIES	2
#define PC_PORT_STR	"53"

_Static_assert(PAW_PB_PORT == 53, "PC_PORT_STR follows PAW_PB_PORT");

struct pawclient {
	int fd;			/* UDP: connected at open; TCP: -1 until needed */
	bool tcp;
	bool fresh;		/* TCP: fd connected for the current request */
	int timeout_ms;
	int attempts;		/* UDP sends per request */
	__u32 req_id;		/* last one used */
	char name[PAW_PB_NAME_MAX + 1];
	__u8 secret[PAW_PB_SECRET_LEN];
	struct sockaddr_in6 addrs[PC_ADDRS_MAX];
	int n_addrs;
	/* One message and, for TCP, its 2-byte length in front. UDP reads
	 * one byte more than the limit to notice oversized datagrams. */
	__u8 out[2 + PAW_PB_TCP_MAX];
	__u8 in[2 + PAW_PB_TCP_MAX];
};

/* ---- server address ---- */

static int gai_errno(int rc)
{
	switch (rc) {
	case EAI_SYSTEM:
		return errno ? -errno : -EIO;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_AGAIN:
		return -EAGAIN;
	case EAI_SERVICE:
	case EAI_BADFLAGS:
		return -EINVAL;
	default:	/* EAI_NONAME, EAI_NODATA, EAI_ADDRFAMILY, EAI_FAIL */
		return -EHOSTUNREACH;
	}
}

/*
 * Split "HOST", "HOST:PORT", "[V6]:PORT", "[V6]" or a bare "V6" (two or
 * more colons and no brackets) into host and port. The port is numeric:
 * a service name would make "pawd.example:domain" mean something only
 * where /etc/services says so.
 */
static int split_server(const char *s, char *host, size_t hlen, char *port, size_t plen)
{
	const char *colon, *h = s, *p = NULL;
	size_t n;
	__u32 v;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return -EINVAL;
		h = s + 1;
		n = close - h;
		if (close[1] == ':')
			p = close + 2;
		else if (close[1])
			return -EINVAL;
	} else {
		colon = strchr(s, ':');
		if (colon && !strchr(colon + 1, ':')) {
			n = colon - s;
			p = colon + 1;
		} else {
			n = strlen(s);	/* a name, or a bare IPv6 address */
		}
	}
	if (n == 0 || n >= hlen)
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	if (!p) {
		snprintf(port, plen, "%s", PC_PORT_STR);
		return 0;
	}
	if (paw_parse_u32(p, 1, 65535, &v))
		return -EINVAL;
	snprintf(port, plen, "%u", v);
	return 0;
}

static int resolve(struct pawclient *c, const char *server)
{
	struct addrinfo hints = {
		.ai_family = AF_INET6,
		.ai_socktype = c->tcp ? SOCK_STREAM : SOCK_DGRAM,
		.ai_flags = AI_NUMERICSERV,
	};
	struct addrinfo *res = NULL, *ai;
	char host[256], port[8];
	int rc, err;

	err = split_server(server ? server : PAW_PB_SERVER, host, sizeof(host), port,
			   sizeof(port));
	if (err)
		return err;
	errno = 0;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc)
		return gai_errno(rc);
	for (ai = res; ai && c->n_addrs < PC_ADDRS_MAX; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET6 || ai->ai_addrlen != sizeof(c->addrs[0]))
			continue;
		memcpy(&c->addrs[c->n_addrs++], ai->ai_addr, sizeof(c->addrs[0]));
	}
	freeaddrinfo(res);
	return c->n_addrs ? 0 : -EHOSTUNREACH;
}

/* ---- waiting ---- */

/* Wait for `events` on fd until the deadline: 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, __u64 deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	/* Bounded by the deadline: each round either returns or sleeps. */
	for (;;) {
		__u64 now = paw_mono_ms();
		int rc;

		if (now >= deadline)
			return -ETIMEDOUT;
		rc = poll(&pfd, 1, (int)(deadline - now));
		if (rc > 0)
			return 0;
		if (rc == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* ---- UDP ---- */

static int udp_open(struct pawclient *c)
{
	_cleanup_close_ int fd = -1;
	int err = -EHOSTUNREACH;

	for (int i = 0; i < c->n_addrs; i++) {
		fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return -errno;
		if (!connect(fd, (struct sockaddr *)&c->addrs[i], sizeof(c->addrs[i]))) {
			c->fd = TAKE_FD(fd);
			return 0;
		}
		err = -errno;
		close(TAKE_FD(fd));
	}
	return err;
}

/* Does this decoded reply answer what we sent last? */
static bool reply_matches(const struct paw_pb_reply *r, const struct paw_pb_req *req)
{
	return r->type == req->type && r->req_id == req->req_id &&
	       !memcmp(r->nonce, req->nonce, PAW_PB_NONCE_LEN);
}

/*
 * Check a received message: 1 if it answers req (r filled, verified), 0
 * if it answers something else, -EPROTO if it is no reply at all,
 * -EBADMSG if it is the answer but does not verify. It is decoded
 * without the key first, to match it: only the answer to this attempt
 * is worth the verdict of the MAC, anything else is ignored.
 */
static int take_reply(struct pawclient *c, const __u8 *buf, size_t n,
		      const struct paw_pb_req *req, struct paw_pb_reply *r)
{
	int err;

	err = paw_pb_reply_decode(buf, n, NULL, r);
	if (err)
		return err;
	if (!reply_matches(r, req))
		return 0;
	err = paw_pb_reply_decode(buf, n, c->secret, r);
	return err ? err : 1;
}

/* One UDP attempt: send, then read until the answer or the deadline. */
static int udp_attempt(struct pawclient *c, const struct paw_pb_req *req, int len,
		       struct paw_pb_reply *r)
{
	__u64 deadline = paw_mono_ms() + (__u64)c->timeout_ms;
	ssize_t n;
	int err;

	n = send(c->fd, c->out, len, 0);
	/* A connected UDP socket reports an ICMP error on the next call: a
	 * refusal here belongs to an earlier datagram, not to this one. */
	if (n < 0 && errno == ECONNREFUSED)
		n = send(c->fd, c->out, len, 0);
	if (n < 0)
		return -errno;
	/* Bounded by the deadline: every round reads one datagram or waits. */
	for (;;) {
		err = wait_fd(c->fd, POLLIN, deadline);
		if (err)
			return err;
		n = recv(c->fd, c->in, PAW_PB_UDP_MAX + 1, MSG_TRUNC);
		if (n < 0) {
			err = -errno;
			if (err == -EAGAIN || err == -EINTR)
				continue;
			return err;
		}
		if (n > PAW_PB_UDP_MAX)
			continue;	/* not a Postbox message */
		/* Strays and garbage are ignored: anyone can send us a
		 * datagram, only the answer to this attempt counts. */
		err = take_reply(c, c->in, (size_t)n, req, r);
		if (err == 1)
			return 0;
		if (err == -EBADMSG)
			return err;
	}
}

static int udp_request(struct pawclient *c, struct paw_pb_req *req, struct paw_pb_reply *r)
{
	int len, err = -ETIMEDOUT;

	/* Every attempt is a new message: a fresh timestamp keeps it inside
	 * the Operator's replay window and a fresh nonce makes it no replay
	 * of the one that may have arrived after all. */
	for (int i = 0; i < c->attempts; i++) {
		req->ts_ms = paw_now_ms();
		randombytes_buf(req->nonce, sizeof(req->nonce));
		len = paw_pb_req_encode(req, c->secret, c->out, PAW_PB_UDP_MAX);
		if (len < 0)
			return len;
		err = udp_attempt(c, req, len, r);
		if (err != -ETIMEDOUT)
			return err;
	}
	return err;
}

/* ---- TCP ---- */

static int tcp_connect(struct pawclient *c, __u64 deadline)
{
	_cleanup_close_ int fd = -1;
	int err = -EHOSTUNREACH, soerr;
	socklen_t sl;

	for (int i = 0; i < c->n_addrs; i++) {
		fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&c->addrs[i], sizeof(c->addrs[i])) &&
		    errno != EINPROGRESS) {
			err = -errno;
			close(TAKE_FD(fd));
			continue;
		}
		err = wait_fd(fd, POLLOUT, deadline);
		if (!err) {
			sl = sizeof(soerr);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl))
				err = -errno;
			else
				err = -soerr;
		}
		if (!err) {
			c->fd = TAKE_FD(fd);
			c->fresh = true;
			return 0;
		}
		close(TAKE_FD(fd));
		if (err == -ETIMEDOUT)
			break;
	}
	return err;
}

static void tcp_drop(struct pawclient *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int tcp_send_all(struct pawclient *c, size_t len, __u64 deadline)
{
	size_t off = 0;
	int err;

	/* Bounded: each round sends something or waits toward the deadline. */
	while (off < len) {
		ssize_t n = send(c->fd, c->out + off, len - off, MSG_NOSIGNAL);

		if (n >= 0) {
			off += n;
			continue;
		}
		err = -errno;
		if (err == -EINTR)
			continue;
		if (err != -EAGAIN)
			return err;
		err = wait_fd(c->fd, POLLOUT, deadline);
		if (err)
			return err;
	}
	return 0;
}

/* Read exactly len bytes; -ECONNRESET when the peer closes first. */
static int tcp_read_all(struct pawclient *c, __u8 *buf, size_t len, __u64 deadline)
{
	size_t off = 0;
	int err;

	while (off < len) {
		ssize_t n = recv(c->fd, buf + off, len - off, 0);

		if (n > 0) {
			off += n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		err = -errno;
		if (err == -EINTR)
			continue;
		if (err != -EAGAIN)
			return err;
		err = wait_fd(c->fd, POLLIN, deadline);
		if (err)
			return err;
	}
	return 0;
}

/* One exchange on the current connection. got_any: a byte of the reply
 * arrived, so a failure is not just a connection that had gone idle. */
static int tcp_exchange(struct pawclient *c, const struct paw_pb_req *req, size_t len,
			struct paw_pb_reply *r, __u64 deadline, bool *got_any)
{
	int err;

	*got_any = false;
	err = tcp_send_all(c, 2 + len, deadline);
	if (err)
		return err;
	/* Replies to someone else's req_id cannot share our connection,
	 * but a bounded number of them is skipped rather than trusted. */
	for (int i = 0; i < 8; i++) {
		size_t n;

		err = tcp_read_all(c, c->in, 2, deadline);
		if (err)
			return err;
		*got_any = true;
		n = (size_t)c->in[0] << 8 | c->in[1];
		err = tcp_read_all(c, c->in + 2, n, deadline);
		if (err)
			return err;
		/* Garbage ends the exchange: the stream cannot be trusted
		 * after it. */
		err = take_reply(c, c->in + 2, n, req, r);
		if (err)
			return err < 0 ? err : 0;
	}
	return -EPROTO;
}

static int tcp_request(struct pawclient *c, struct paw_pb_req *req, struct paw_pb_reply *r)
{
	__u64 deadline = paw_mono_ms() + (__u64)c->timeout_ms;
	bool got_any;
	int len, err;

	req->ts_ms = paw_now_ms();
	randombytes_buf(req->nonce, sizeof(req->nonce));
	len = paw_pb_req_encode(req, c->secret, c->out + 2, PAW_PB_TCP_MAX);
	if (len < 0)
		return len;
	c->out[0] = (__u8)(len >> 8);
	c->out[1] = (__u8)len;

	/* A kept connection may have been closed by the Operator while idle;
	 * that shows only now. Then one new connection is tried: the request
	 * is safe to repeat. Two rounds at most. */
	for (int round = 0; round < 2; round++) {
		if (c->fd < 0) {
			err = tcp_connect(c, deadline);
			if (err)
				return err;
		} else {
			c->fresh = false;
		}
		err = tcp_exchange(c, req, (size_t)len, r, deadline, &got_any);
		if (!err)
			return 0;
		/* Whatever failed, the stream position is unknown now. */
		tcp_drop(c);
		if (c->fresh || got_any ||
		    (err != -ECONNRESET && err != -EPIPE && err != -ENOTCONN))
			return err;
	}
	return err;
}

/* ---- public ---- */

int pawclient_open(struct pawclient **cp, const struct pawclient_opts *o)
{
	struct pawclient *c = NULL;
	int err;

	if (cp)
		*cp = NULL;
	if (!cp || !o || !o->name || !paw_name_valid(o->name) ||
	    strlen(o->name) > PAW_PB_NAME_MAX || !o->secret == !o->secret_file ||
	    o->timeout_ms < 0)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->tcp = o->tcp;
	c->timeout_ms = o->timeout_ms ? o->timeout_ms : PC_TIMEOUT_MS;
	c->attempts = 1 + (o->retries < 0 ? 0 : o->retries ? o->retries : PC_RETRIES);
	snprintf(c->name, sizeof(c->name), "%s", o->name);
	/* Start somewhere random so two runs of a program do not reuse ids. */
	randombytes_buf(&c->req_id, sizeof(c->req_id));

	if (o->secret) {
		memcpy(c->secret, o->secret, PAW_PB_SECRET_LEN);
	} else {
		err = paw_secret_read(o->secret_file, c->secret);
		if (err)
			goto out;
	}
	err = resolve(c, o->server);
	if (err)
		goto out;
	if (!c->tcp) {
		err = udp_open(c);
		if (err)
			goto out;
	}
	*cp = c;
	c = NULL;
out:
	pawclient_close(c);
	return err;
}

void pawclient_close(struct pawclient *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	sodium_memzero(c->secret, sizeof(c->secret));
	free(c);
}

int pawclient_request(struct pawclient *c, struct paw_pb_req *req, struct paw_pb_reply *r)
{
	int err;

	if (!c || !req || !r)
		return -EINVAL;
	memcpy(req->name, c->name, sizeof(req->name));
	/* Zero is skipped so that an unset req_id never looks like ours. */
	if (++c->req_id == 0)
		c->req_id = 1;
	req->req_id = c->req_id;
	err = c->tcp ? tcp_request(c, req, r) : udp_request(c, req, r);
	if (err)
		memset(r, 0, sizeof(*r));
	return err;
}

static void req_init(struct paw_pb_req *req, __u8 type)
{
	memset(req, 0, sizeof(*req));
	req->type = type;
}

static int set_peer(struct paw_pb_req *req, const char *peer)
{
	if (!peer || strlen(peer) > PAW_PB_NAME_MAX || !paw_name_valid(peer))
		return -EINVAL;
	strcpy(req->peer, peer);
	return 0;
}

int pawclient_register(struct pawclient *c, __be32 ipv4, const __u8 *mac,
		       const struct paw_pb_soil *soil, struct paw_pb_reply *r)
{
	struct paw_pb_req req;

	req_init(&req, PAW_PB_REGISTER);
	req.has_ipv4 = true;
	req.ipv4 = ipv4;
	if (mac) {
		req.has_mac = true;
		memcpy(req.mac, mac, 6);
	}
	if (soil)
		req.soil = *soil;
	return pawclient_request(c, &req, r);
}

int pawclient_set(struct pawclient *c, const struct paw_pb_soil *soil, struct paw_pb_reply *r)
{
	struct paw_pb_req req;

	if (!soil || !soil->present)
		return -EINVAL;
	req_init(&req, PAW_PB_SET);
	req.soil = *soil;
	return pawclient_request(c, &req, r);
}

static int call_or_hangup(struct pawclient *c, __u8 type, const char *peer,
			  struct paw_pb_reply *r)
{
	struct paw_pb_req req;

	req_init(&req, type);
	if (set_peer(&req, peer))
		return -EINVAL;
	return pawclient_request(c, &req, r);
}

int pawclient_call(struct pawclient *c, const char *peer, struct paw_pb_reply *r)
{
	return call_or_hangup(c, PAW_PB_CALL, peer, r);
}

int pawclient_hangup(struct pawclient *c, const char *peer, struct paw_pb_reply *r)
{
	return call_or_hangup(c, PAW_PB_HANGUP, peer, r);
}

int pawclient_post(struct pawclient *c, const char *peer, const char *text, size_t len,
		   __u64 msg_id, struct paw_pb_reply *r)
{
	struct paw_pb_req req;

	req_init(&req, PAW_PB_POST);
	if (set_peer(&req, peer) || (!text && len))
		return -EINVAL;
	if (len > PAW_PB_TEXT_MAX)
		return -EMSGSIZE;
	if (len && memchr(text, 0, len))
		return -EINVAL;
	if (len)
		memcpy(req.text, text, len);
	req.text_len = (__u16)len;
	/* The id is what the Operator de-duplicates retries by, so it must
	 * be the same for every attempt: chosen once, here. */
	if (!msg_id)
		randombytes_buf(&msg_id, sizeof(msg_id));
	if (!msg_id)
		msg_id = 1;	/* 0 means "choose one", never an id */
	req.msg_id = msg_id;
	return pawclient_request(c, &req, r);
}

int pawclient_fetch(struct pawclient *c, __u16 max, struct paw_pb_reply *r)
{
	struct paw_pb_req req;

	req_init(&req, PAW_PB_FETCH);
	req.fetch_max = max;
	return pawclient_request(c, &req, r);
}

int pawclient_ack(struct pawclient *c, const __u64 *ids, __u16 n, struct paw_pb_reply *r)
{
	struct paw_pb_req req;

	if (!ids || n < 1 || n > PAW_PB_ACK_MAX)
		return -EINVAL;
	req_init(&req, PAW_PB_ACK);
	memcpy(req.ack, ids, n * sizeof(*ids));
	req.n_ack = n;
	return pawclient_request(c, &req, r);
}

int pawclient_status(struct pawclient *c, struct paw_pb_reply *r)
{
	struct paw_pb_req req;

	req_init(&req, PAW_PB_STATUS);
	return pawclient_request(c, &req, r);
}
