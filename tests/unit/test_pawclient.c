// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libpawclient against a small Postbox server running in a thread of this
 * process, on [::1] with ephemeral UDP and TCP ports. The server decodes
 * with paw_pb_req_decode and answers with paw_pb_reply_encode, and can be
 * told to misbehave: stay silent, drop the first datagram, sign with the
 * wrong key, answer with the wrong nonce, send garbage first, trickle a
 * TCP reply, close the connection after each reply.
 *
 * The thread only records what it saw; every assertion is made here, in
 * the test's own thread, after the client call returned. Loopback only.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "paw/pawclient.h"
#include "util.h"

static const __u8 SECRET[PAW_PB_SECRET_LEN] = {
	0x5f, 0x0c, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
	0xee, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
	0x0e, 0x0f,
};
static const __u8 WRONG[PAW_PB_SECRET_LEN] = { 1 };
#define NAME32 "n0123456789abcdef0123456789abcde"
#define NAME_TOO_LONG NAME32 "X"

enum mode {
	M_OK,
	M_SILENT,		/* never answers */
	M_DROP_FIRST,		/* ignores the first request it gets */
	M_BAD_MAC,		/* signs with the wrong key */
	M_WRONG_NONCE,		/* answers with a nonce that is not the request's */
	M_WRONG_NONCE_THEN_OK,	/* that first, then the real answer */
	M_GARBAGE_THEN_OK,	/* junk first, then the real answer */
	M_TRICKLE,		/* TCP: the reply in pieces, with pauses */
	M_CLOSE_AFTER,		/* TCP: closes the connection after replying */
};

#define SEEN_MAX 16
#define CONNS_MAX 4

struct conn {
	int fd;
	size_t len;
	__u8 buf[2 + PAW_PB_TCP_MAX];
};

static struct {
	int udp, tcp, stop[2];
	__u16 udp_port, tcp_port;
	pthread_t thread;
	bool running;
	struct conn conns[CONNS_MAX];

	pthread_mutex_t lock;	/* guards what follows */
	enum mode mode;
	int received;
	int accepted;
	int last_status;
	struct paw_pb_req last;
	__u8 nonces[SEEN_MAX][PAW_PB_NONCE_LEN];
	__u32 req_ids[SEEN_MAX];
	__u64 ts[SEEN_MAX];
} S = { .lock = PTHREAD_MUTEX_INITIALIZER };

static struct paw_pb_reply srv_rep;	/* the server thread's alone */

static void srv_mode(enum mode m)
{
	pthread_mutex_lock(&S.lock);
	S.mode = m;
	S.received = 0;
	S.accepted = 0;
	S.last_status = -1;
	memset(&S.last, 0, sizeof(S.last));
	pthread_mutex_unlock(&S.lock);
}

static int srv_received(void)
{
	int n;

	pthread_mutex_lock(&S.lock);
	n = S.received;
	pthread_mutex_unlock(&S.lock);
	return n;
}

/* What the server answers a decoded request with. */
static void srv_fill(struct paw_pb_reply *r, const struct paw_pb_req *req)
{
	r->status = PAW_PB_OK;
	snprintf(r->text, sizeof(r->text), "%s ok", paw_pb_type_name(req->type));
	switch (req->type) {
	case PAW_PB_CALL:
		r->call_id = 77;
		break;
	case PAW_PB_FETCH:
		r->n_msgs = req->fetch_max && req->fetch_max < 3 ? req->fetch_max : 3;
		for (int i = 0; i < r->n_msgs; i++) {
			struct paw_pb_msg *m = &r->msgs[i];

			m->id = 100 + (__u64)i;
			m->msg_id = 200 + (__u64)i;
			m->ts_ms = 300;
			strcpy(m->from, "bob");
			m->text_len = (__u16)snprintf(m->text, sizeof(m->text), "message %d", i);
		}
		break;
	case PAW_PB_STATUS:
		strcpy(r->info.name, req->name);
		inet_pton(AF_INET, "10.77.0.1", &r->info.ipv4);
		r->info.registered = true;
		r->info.soil.n_allow = 1;
		strcpy(r->info.soil.allow[0], "bob");
		r->info.soil.max_calls = 8;
		r->info.postbox_count = 3;
		r->info.n_calls = 1;
		strcpy(r->info.calls[0], "bob");
		break;
	}
}

/*
 * Build the answers to one message into outs (framed for TCP when tcp).
 * Returns how many (0, 1 or 2).
 */
static int srv_answer(const __u8 *msg, size_t len, bool tcp, __u8 outs[2][2 + PAW_PB_TCP_MAX],
		      size_t olen[2])
{
	struct paw_pb_reply *r = &srv_rep;
	struct paw_pb_req req;
	const __u8 *key;
	size_t cap = tcp ? PAW_PB_TCP_MAX : PAW_PB_UDP_MAX;
	enum mode mode;
	int st, n = 0, seen, len1;

	st = paw_pb_req_peek(msg, len, &req);
	if (!st)
		st = paw_pb_req_decode(msg, len, SECRET, &req);

	pthread_mutex_lock(&S.lock);
	seen = S.received++;
	if (seen < SEEN_MAX) {
		memcpy(S.nonces[seen], req.nonce, PAW_PB_NONCE_LEN);
		S.req_ids[seen] = req.req_id;
		S.ts[seen] = req.ts_ms;
	}
	S.last_status = st;
	if (!st)
		S.last = req;
	mode = S.mode;
	pthread_mutex_unlock(&S.lock);

	if (mode == M_SILENT || (mode == M_DROP_FIRST && seen == 0))
		return 0;

	memset(r, 0, sizeof(*r));
	r->type = req.type;
	r->req_id = req.req_id;
	r->ts_ms = paw_now_ms();
	memcpy(r->nonce, req.nonce, PAW_PB_NONCE_LEN);
	if (st) {
		r->status = (__u8)st;
		snprintf(r->text, sizeof(r->text), "refused: %s", paw_pb_status_name(st));
		key = NULL;	/* not authenticated: unsigned */
	} else {
		srv_fill(r, &req);
		key = mode == M_BAD_MAC ? WRONG : SECRET;
	}

	if (mode == M_GARBAGE_THEN_OK) {
		memset(outs[n] + 2, 0x50, 40);
		olen[n++] = 40;
	}
	if (mode == M_WRONG_NONCE || mode == M_WRONG_NONCE_THEN_OK) {
		r->nonce[0] ^= 1;
		len1 = paw_pb_reply_encode(r, key, outs[n] + 2, cap, NULL);
		r->nonce[0] ^= 1;
		if (len1 > 0)
			olen[n++] = (size_t)len1;
		if (mode == M_WRONG_NONCE)
			goto frame;
	}
	len1 = paw_pb_reply_encode(r, key, outs[n] + 2, cap, NULL);
	if (len1 > 0)
		olen[n++] = (size_t)len1;
frame:
	for (int i = 0; i < n; i++) {
		outs[i][0] = (__u8)(olen[i] >> 8);
		outs[i][1] = (__u8)olen[i];
	}
	return n;
}

static void srv_send_all(int fd, const __u8 *b, size_t len)
{
	size_t off = 0;

	for (int tries = 0; off < len && tries < 1000; tries++) {
		ssize_t n = send(fd, b + off, len - off, MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
		} else if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			poll(&p, 1, 100);
		} else {
			return;
		}
	}
}

static __u8 outs[2][2 + PAW_PB_TCP_MAX];

static void srv_udp(void)
{
	static __u8 in[PAW_PB_TCP_MAX];
	struct sockaddr_in6 from;
	socklen_t fl = sizeof(from);
	size_t olen[2];
	ssize_t n;
	int k;

	n = recvfrom(S.udp, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
	if (n < 0)
		return;
	k = srv_answer(in, (size_t)n, false, outs, olen);
	for (int i = 0; i < k; i++)
		sendto(S.udp, outs[i] + 2, olen[i], 0, (struct sockaddr *)&from, fl);
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

static void srv_tcp_read(struct conn *c)
{
	size_t olen[2], need;
	enum mode mode;
	ssize_t n;
	int k;

	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	if (n <= 0) {
		if (n == 0 || errno != EAGAIN)
			conn_close(c);
		return;
	}
	c->len += (size_t)n;
	/* Every complete message in the buffer, in order. */
	while (c->len >= 2 && c->len >= (need = 2 + ((size_t)c->buf[0] << 8 | c->buf[1]))) {
		k = srv_answer(c->buf + 2, need - 2, true, outs, olen);
		memmove(c->buf, c->buf + need, c->len - need);
		c->len -= need;
		pthread_mutex_lock(&S.lock);
		mode = S.mode;
		pthread_mutex_unlock(&S.lock);
		for (int i = 0; i < k; i++) {
			if (mode == M_TRICKLE) {
				/* Cut inside the length and inside the body. */
				size_t cuts[] = { 1, 5, 2 + olen[i] };
				size_t at = 0;

				for (int j = 0; j < 3; j++) {
					srv_send_all(c->fd, outs[i] + at, cuts[j] - at);
					at = cuts[j];
					usleep(20000);
				}
			} else {
				srv_send_all(c->fd, outs[i], 2 + olen[i]);
			}
		}
		if (mode == M_CLOSE_AFTER) {
			conn_close(c);
			return;
		}
	}
}

static void srv_accept(void)
{
	int fd = accept4(S.tcp, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	pthread_mutex_lock(&S.lock);
	S.accepted++;
	pthread_mutex_unlock(&S.lock);
	for (int i = 0; i < CONNS_MAX; i++) {
		if (S.conns[i].fd < 0) {
			S.conns[i].fd = fd;
			S.conns[i].len = 0;
			return;
		}
	}
	close(fd);
}

static void *srv_main(void *arg)
{
	(void)arg;
	for (;;) {
		struct pollfd p[3 + CONNS_MAX] = {
			{ .fd = S.stop[0], .events = POLLIN },
			{ .fd = S.udp, .events = POLLIN },
			{ .fd = S.tcp, .events = POLLIN },
		};

		for (int i = 0; i < CONNS_MAX; i++)
			p[3 + i] = (struct pollfd){ .fd = S.conns[i].fd, .events = POLLIN };
		if (poll(p, 3 + CONNS_MAX, 1000) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		if (p[1].revents & POLLIN)
			srv_udp();
		if (p[2].revents & POLLIN)
			srv_accept();
		for (int i = 0; i < CONNS_MAX; i++)
			if (S.conns[i].fd >= 0 && p[3 + i].revents)
				srv_tcp_read(&S.conns[i]);
	}
	for (int i = 0; i < CONNS_MAX; i++)
		if (S.conns[i].fd >= 0)
			conn_close(&S.conns[i]);
	return NULL;
}

static int bound_socket(int type, __u16 *port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET6, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    (type == SOCK_STREAM && listen(fd, 8)) ||
	    getsockname(fd, (struct sockaddr *)&a, &al)) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin6_port);
	return fd;
}

static int group_setup(void **state)
{
	(void)state;
	for (int i = 0; i < CONNS_MAX; i++)
		S.conns[i].fd = -1;
	S.udp = bound_socket(SOCK_DGRAM, &S.udp_port);
	S.tcp = bound_socket(SOCK_STREAM, &S.tcp_port);
	if (S.udp < 0 || S.tcp < 0 || pipe2(S.stop, O_CLOEXEC)) {
		fprintf(stderr, "test_pawclient: no IPv6 loopback: %s\n", strerror(errno));
		return -1;
	}
	if (pthread_create(&S.thread, NULL, srv_main, NULL))
		return -1;
	S.running = true;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (S.running) {
		if (write(S.stop[1], "x", 1) != 1)
			return -1;
		pthread_join(S.thread, NULL);
	}
	close(S.udp);
	close(S.tcp);
	close(S.stop[0]);
	close(S.stop[1]);
	return 0;
}

static int test_setup(void **state)
{
	(void)state;
	srv_mode(M_OK);
	return 0;
}

/* ---- helpers ---- */

static struct pawclient *open_named(const char *name, bool tcp, int timeout_ms, int retries,
				     const __u8 *key)
{
	char server[64];
	struct pawclient_opts o = {
		.server = server, .tcp = tcp, .name = name, .secret = key,
		.timeout_ms = timeout_ms, .retries = retries,
	};
	struct pawclient *c = NULL;

	snprintf(server, sizeof(server), "[::1]:%u", tcp ? S.tcp_port : S.udp_port);
	assert_int_equal(pawclient_open(&c, &o), 0);
	assert_non_null(c);
	return c;
}

static struct pawclient *open_client(bool tcp, int timeout_ms, int retries, const __u8 *key)
{
	return open_named("alice", tcp, timeout_ms, retries, key);
}

static struct paw_pb_reply *rep_alloc(void)
{
	struct paw_pb_reply *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	return r;
}

static void expect_ok(int err, const struct paw_pb_reply *r, int type)
{
	assert_int_equal(err, 0);
	assert_int_equal(r->status, PAW_PB_OK);
	assert_int_equal(r->type, type);
	assert_true(r->signed_);
	assert_int_equal(S.last_status, 0);
}

/* Every call, checked on both ends. */
static void exercise_all(struct pawclient *c)
{
	struct paw_pb_reply *r = rep_alloc();
	struct paw_pb_soil soil = { 0 };
	const __u8 mac[6] = { 2, 0, 0, 0, 0xa, 1 };
	const __u64 ids[3] = { 100, 101, 102 };
	__be32 ip;

	inet_pton(AF_INET, "10.77.0.1", &ip);
	soil.present = PAW_PB_SOIL_ALLOW | PAW_PB_SOIL_MAX_CALLS;
	soil.n_allow = 1;
	strcpy(soil.allow[0], "bob");
	soil.max_calls = 4;
	expect_ok(pawclient_register(c, ip, mac, &soil, r), r, PAW_PB_REGISTER);
	assert_string_equal(r->text, "register ok");
	assert_string_equal(S.last.name, "alice");
	assert_true(S.last.has_ipv4 && S.last.ipv4 == ip);
	assert_true(S.last.has_mac);
	assert_memory_equal(S.last.mac, mac, 6);
	assert_int_equal(S.last.soil.present, soil.present);
	assert_string_equal(S.last.soil.allow[0], "bob");
	expect_ok(pawclient_register(c, ip, NULL, NULL, r), r, PAW_PB_REGISTER);
	assert_false(S.last.has_mac);
	assert_int_equal(S.last.soil.present, 0);

	soil.present = PAW_PB_SOIL_RETENTION;
	soil.retention_s = 60;
	expect_ok(pawclient_set(c, &soil, r), r, PAW_PB_SET);
	assert_int_equal(S.last.soil.present, PAW_PB_SOIL_RETENTION);
	assert_int_equal(S.last.soil.retention_s, 60);

	expect_ok(pawclient_call(c, "bob", r), r, PAW_PB_CALL);
	assert_int_equal(r->call_id, 77);
	assert_string_equal(S.last.peer, "bob");
	expect_ok(pawclient_hangup(c, "bob", r), r, PAW_PB_HANGUP);
	assert_string_equal(S.last.peer, "bob");

	expect_ok(pawclient_post(c, "bob", "hello bob", 9, 4242, r), r, PAW_PB_POST);
	assert_true(S.last.msg_id == 4242);
	assert_int_equal(S.last.text_len, 9);
	assert_string_equal(S.last.text, "hello bob");
	expect_ok(pawclient_post(c, "bob", NULL, 0, 0, r), r, PAW_PB_POST);
	assert_true(S.last.msg_id != 0);	/* one was picked */
	assert_int_equal(S.last.text_len, 0);

	expect_ok(pawclient_fetch(c, 2, r), r, PAW_PB_FETCH);
	assert_int_equal(S.last.fetch_max, 2);
	assert_int_equal(r->n_msgs, 2);
	assert_string_equal(r->msgs[1].text, "message 1");
	assert_string_equal(r->msgs[1].from, "bob");
	assert_true(r->msgs[1].id == 101);
	expect_ok(pawclient_fetch(c, 0, r), r, PAW_PB_FETCH);
	assert_int_equal(r->n_msgs, 3);

	expect_ok(pawclient_ack(c, ids, 3, r), r, PAW_PB_ACK);
	assert_int_equal(S.last.n_ack, 3);
	assert_true(S.last.ack[2] == 102);

	expect_ok(pawclient_status(c, r), r, PAW_PB_STATUS);
	assert_string_equal(r->info.name, "alice");
	assert_true(r->info.registered);
	assert_int_equal(r->info.n_calls, 1);
	assert_string_equal(r->info.calls[0], "bob");
	assert_int_equal(r->info.postbox_count, 3);

	/* The request carries the client's name, a fresh timestamp, and
	 * a req_id the reply echoes. */
	struct paw_pb_req req = { .type = PAW_PB_STATUS };
	__u64 before = paw_now_ms();

	expect_ok(pawclient_request(c, &req, r), r, PAW_PB_STATUS);
	assert_string_equal(req.name, "alice");
	assert_int_equal(r->req_id, req.req_id);
	assert_memory_equal(r->nonce, req.nonce, PAW_PB_NONCE_LEN);
	assert_true(req.ts_ms >= before && req.ts_ms <= paw_now_ms());
	free(r);
}

/* ---- tests ---- */

static void test_udp_all(void **state)
{
	struct pawclient *c = open_client(false, 1000, 0, SECRET);

	(void)state;
	exercise_all(c);
	pawclient_close(c);
	assert_int_equal(S.accepted, 0);
}

static void test_tcp_all(void **state)
{
	struct pawclient *c = open_client(true, 1000, 0, SECRET);

	(void)state;
	exercise_all(c);
	pawclient_close(c);
	assert_int_equal(S.accepted, 1);	/* one connection, many requests */
}

static void test_udp_timeout(void **state)
{
	struct paw_pb_reply *r = rep_alloc();
	struct pawclient *c = open_client(false, 100, 2, SECRET);
	__u64 t0;
	int err;

	(void)state;
	srv_mode(M_SILENT);
	t0 = paw_mono_ms();
	err = pawclient_call(c, "bob", r);
	assert_int_equal(err, -ETIMEDOUT);
	assert_true(paw_mono_ms() - t0 >= 300);
	assert_true(paw_mono_ms() - t0 < 2000);
	assert_int_equal(srv_received(), 3);
	/* Same request, re-signed each time with a fresh nonce. */
	assert_int_equal(S.req_ids[0], S.req_ids[1]);
	assert_int_equal(S.req_ids[1], S.req_ids[2]);
	assert_memory_not_equal(S.nonces[0], S.nonces[1], PAW_PB_NONCE_LEN);
	assert_memory_not_equal(S.nonces[1], S.nonces[2], PAW_PB_NONCE_LEN);
	assert_memory_not_equal(S.nonces[0], S.nonces[2], PAW_PB_NONCE_LEN);
	assert_true(S.ts[2] >= S.ts[0] + 150);
	pawclient_close(c);

	/* retries < 0: one attempt only. */
	c = open_client(false, 100, -1, SECRET);
	srv_mode(M_SILENT);
	assert_int_equal(pawclient_status(c, r), -ETIMEDOUT);
	assert_int_equal(srv_received(), 1);
	pawclient_close(c);
	free(r);
}

static void test_udp_retry(void **state)
{
	struct paw_pb_reply *r = rep_alloc();
	struct pawclient *c = open_client(false, 200, 2, SECRET);

	(void)state;
	srv_mode(M_DROP_FIRST);
	expect_ok(pawclient_call(c, "bob", r), r, PAW_PB_CALL);
	assert_int_equal(srv_received(), 2);
	assert_int_equal(S.req_ids[0], S.req_ids[1]);
	assert_memory_not_equal(S.nonces[0], S.nonces[1], PAW_PB_NONCE_LEN);
	assert_memory_equal(r->nonce, S.nonces[1], PAW_PB_NONCE_LEN);
	/* The POST's message id stays the same across attempts. */
	srv_mode(M_DROP_FIRST);
	expect_ok(pawclient_post(c, "bob", "x", 1, 0, r), r, PAW_PB_POST);
	assert_int_equal(srv_received(), 2);
	assert_true(S.last.msg_id != 0);
	pawclient_close(c);
	free(r);
}

static void test_bad_mac(void **state)
{
	struct paw_pb_reply *r = rep_alloc();

	(void)state;
	for (int tcp = 0; tcp < 2; tcp++) {
		struct pawclient *c = open_client(tcp, 500, 0, SECRET);

		srv_mode(M_BAD_MAC);
		assert_int_equal(pawclient_call(c, "bob", r), -EBADMSG);
		assert_int_equal(r->call_id, 0);
		/* The client is still usable afterwards. */
		srv_mode(M_OK);
		expect_ok(pawclient_call(c, "bob", r), r, PAW_PB_CALL);
		pawclient_close(c);
	}
	free(r);
}

static void test_wrong_nonce(void **state)
{
	struct paw_pb_reply *r = rep_alloc();
	struct pawclient *c;

	(void)state;
	/* Only a stray: ignored, so the request times out. */
	c = open_client(false, 150, -1, SECRET);
	srv_mode(M_WRONG_NONCE);
	assert_int_equal(pawclient_call(c, "bob", r), -ETIMEDOUT);
	/* A stray, then the answer: the answer wins. */
	srv_mode(M_WRONG_NONCE_THEN_OK);
	expect_ok(pawclient_call(c, "bob", r), r, PAW_PB_CALL);
	assert_int_equal(srv_received(), 1);
	srv_mode(M_GARBAGE_THEN_OK);
	expect_ok(pawclient_call(c, "bob", r), r, PAW_PB_CALL);
	pawclient_close(c);

	/* TCP: a well-formed reply to something else is skipped, garbage
	 * ends the exchange. */
	c = open_client(true, 500, 0, SECRET);
	srv_mode(M_WRONG_NONCE_THEN_OK);
	expect_ok(pawclient_call(c, "bob", r), r, PAW_PB_CALL);
	srv_mode(M_WRONG_NONCE);
	assert_int_equal(pawclient_call(c, "bob", r), -ETIMEDOUT);
	srv_mode(M_GARBAGE_THEN_OK);
	assert_int_equal(pawclient_call(c, "bob", r), -EPROTO);
	srv_mode(M_OK);
	expect_ok(pawclient_call(c, "bob", r), r, PAW_PB_CALL);
	pawclient_close(c);
	free(r);
}

/* A client with the wrong secret gets the Operator's unsigned refusal. */
static void test_unsigned_refusal(void **state)
{
	struct paw_pb_reply *r = rep_alloc();

	(void)state;
	for (int tcp = 0; tcp < 2; tcp++) {
		struct pawclient *c = open_client(tcp, 500, 0, WRONG);

		assert_int_equal(pawclient_status(c, r), 0);
		assert_int_equal(r->status, PAW_PB_AUTH);
		assert_false(r->signed_);
		assert_string_equal(r->text, "refused: auth");
		assert_int_equal(S.last_status, PAW_PB_AUTH);
		pawclient_close(c);
	}
	free(r);
}

static void test_tcp_trickle_and_reconnect(void **state)
{
	struct paw_pb_reply *r = rep_alloc();
	struct pawclient *c = open_client(true, 1000, 0, SECRET);

	(void)state;
	srv_mode(M_TRICKLE);
	expect_ok(pawclient_status(c, r), r, PAW_PB_STATUS);
	assert_string_equal(r->info.calls[0], "bob");
	expect_ok(pawclient_fetch(c, 0, r), r, PAW_PB_FETCH);
	assert_int_equal(r->n_msgs, 3);

	/* The Operator closes after each reply, as after an idle timeout:
	 * the next request notices and connects again, once. */
	srv_mode(M_CLOSE_AFTER);
	for (int i = 0; i < 3; i++) {
		expect_ok(pawclient_call(c, "bob", r), r, PAW_PB_CALL);
		usleep(20000);	/* let the close arrive */
	}
	/* The first reused the kept connection; the others connected anew. */
	assert_int_equal(S.accepted, 2);
	assert_int_equal(srv_received(), 3);
	pawclient_close(c);
	free(r);
}

static void test_tcp_timeout(void **state)
{
	struct paw_pb_reply *r = rep_alloc();
	struct pawclient *c = open_client(true, 150, 0, SECRET);
	__u64 t0;

	(void)state;
	srv_mode(M_SILENT);
	t0 = paw_mono_ms();
	assert_int_equal(pawclient_call(c, "bob", r), -ETIMEDOUT);
	assert_true(paw_mono_ms() - t0 >= 140 && paw_mono_ms() - t0 < 1500);
	assert_int_equal(srv_received(), 1);	/* TCP is not retried */
	/* A timed-out stream is abandoned; the next request starts anew. */
	srv_mode(M_OK);
	expect_ok(pawclient_call(c, "bob", r), r, PAW_PB_CALL);
	assert_int_equal(S.accepted, 1);
	pawclient_close(c);
	free(r);
}

static void test_refused(void **state)
{
	struct paw_pb_reply *r = rep_alloc();
	__u16 port;
	int fd;

	(void)state;
	/* A port nobody listens on: bind one, note it, close it. */
	for (int tcp = 0; tcp < 2; tcp++) {
		struct pawclient_opts o = { .tcp = tcp, .name = "alice", .secret = SECRET,
					    .timeout_ms = 300, .retries = -1 };
		struct pawclient *c = NULL;
		char server[64];

		fd = bound_socket(tcp ? SOCK_STREAM : SOCK_DGRAM, &port);
		assert_true(fd >= 0);
		close(fd);
		snprintf(server, sizeof(server), "[::1]:%u", port);
		o.server = server;
		assert_int_equal(pawclient_open(&c, &o), 0);
		assert_int_equal(pawclient_status(c, r), -ECONNREFUSED);
		pawclient_close(c);
	}
	free(r);
}

static void test_open_errors(void **state)
{
	struct pawclient_opts o = { .name = "alice", .secret = SECRET };
	struct pawclient *c = (struct pawclient *)&o;	/* must be reset to NULL */
	char dir[] = "/tmp/paw-client-XXXXXX", path[64];
	static const char *const bad[] = {
		"", "[::1", "[::1]x", "[::1]:", "[::1]:0", "[::1]:65536", "[::1]:abc",
		"[]:53", ":53", "host:", "host:-1", "[::1]:53x",
	};

	(void)state;
	assert_int_equal(pawclient_open(NULL, &o), -EINVAL);
	assert_int_equal(pawclient_open(&c, NULL), -EINVAL);
	o.name = "not a name";
	assert_int_equal(pawclient_open(&c, &o), -EINVAL);
	o.name = NULL;
	assert_int_equal(pawclient_open(&c, &o), -EINVAL);
	o.name = "alice";
	o.secret = NULL;
	assert_int_equal(pawclient_open(&c, &o), -EINVAL);	/* no secret */
	o.secret = SECRET;
	o.secret_file = "/nonexistent";
	assert_int_equal(pawclient_open(&c, &o), -EINVAL);	/* two secrets */
	o.secret_file = NULL;
	o.timeout_ms = -1;
	assert_int_equal(pawclient_open(&c, &o), -EINVAL);
	o.timeout_ms = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.server = bad[i];
		c = (struct pawclient *)&o;
		if (pawclient_open(&c, &o) != -EINVAL)
			fail_msg("server '%s' was not refused", bad[i]);
		assert_null(c);
	}
	/* IPv6 only: no IPv4 address, no name that has none. */
	o.server = "127.0.0.1";
	assert_true(pawclient_open(&c, &o) < 0);
	o.server = "[127.0.0.1]:53";
	assert_true(pawclient_open(&c, &o) < 0);
	o.server = "no-such-host.invalid";
	assert_true(pawclient_open(&c, &o) < 0);
	assert_null(c);
	o.server = "no-such-host.invalid:5353";
	assert_true(pawclient_open(&c, &o) < 0);

	/* Accepted spellings (UDP open resolves and connects, sends nothing). */
	static const char *const good[] = { "::1", "[::1]", "[::1]:53", "0:0:0:0:0:0:0:1" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		o.server = good[i];
		assert_int_equal(pawclient_open(&c, &o), 0);
		pawclient_close(c);
	}
	o.tcp = true;	/* TCP connects on first use */
	o.server = "[::1]:1";
	assert_int_equal(pawclient_open(&c, &o), 0);
	pawclient_close(c);
	pawclient_close(NULL);

	/* Secrets from a file. */
	o.tcp = false;
	o.secret = NULL;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/alice.key", dir);
	o.secret_file = path;
	o.server = "::1";
	assert_int_equal(pawclient_open(&c, &o), -ENOENT);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("not hex\n", f);
	fclose(f);
	assert_int_equal(pawclient_open(&c, &o), -EINVAL);
	unlink(path);
	rmdir(dir);
}

static void test_secret_file(void **state)
{
	struct paw_pb_reply *r = rep_alloc();
	char dir[] = "/tmp/paw-client-XXXXXX", path[64], server[64];
	struct pawclient_opts o = { .name = "alice", .server = server, .timeout_ms = 500 };
	struct pawclient *c = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/alice.key", dir);
	snprintf(server, sizeof(server), "[::1]:%u", S.udp_port);
	assert_int_equal(paw_secret_write(path, SECRET, false), 0);
	o.secret_file = path;
	assert_int_equal(pawclient_open(&c, &o), 0);
	expect_ok(pawclient_status(c, r), r, PAW_PB_STATUS);
	pawclient_close(c);
	unlink(path);
	rmdir(dir);
	free(r);
}

static void test_bad_args(void **state)
{
	struct paw_pb_reply *r = rep_alloc();
	struct pawclient *c = open_client(false, 300, -1, SECRET);
	struct paw_pb_soil soil = { 0 };
	char big[PAW_PB_TEXT_MAX + 1];
	__u64 ids[PAW_PB_ACK_MAX + 1] = { 0 };
	__be32 ip = htonl(0x0a4d0001);
	const __u8 mac[6] = { 2, 0, 0, 0, 0xa, 1 };

	(void)state;
	memset(big, 'a', sizeof(big));
	assert_int_equal(pawclient_call(c, "no way", r), -EINVAL);
	assert_int_equal(pawclient_call(c, NULL, r), -EINVAL);
	assert_int_equal(pawclient_hangup(c, NAME_TOO_LONG, r), -EINVAL);
	assert_int_equal(pawclient_post(c, "bob", big, sizeof(big), 1, r), -EMSGSIZE);
	assert_int_equal(pawclient_post(c, "bob", "a\0b", 3, 1, r), -EINVAL);
	assert_int_equal(pawclient_post(c, "bob", NULL, 3, 1, r), -EINVAL);
	assert_int_equal(pawclient_ack(c, ids, 0, r), -EINVAL);
	assert_int_equal(pawclient_ack(c, ids, PAW_PB_ACK_MAX + 1, r), -EINVAL);
	assert_int_equal(pawclient_ack(c, NULL, 1, r), -EINVAL);
	assert_int_equal(pawclient_set(c, NULL, r), -EINVAL);
	assert_int_equal(pawclient_set(c, &soil, r), -EINVAL);
	assert_int_equal(pawclient_status(NULL, r), -EINVAL);
	assert_int_equal(pawclient_status(c, NULL), -EINVAL);
	assert_int_equal(pawclient_request(c, NULL, r), -EINVAL);
	assert_int_equal(srv_received(), 0);	/* none of it was sent */

	/* The longest text still goes in one datagram. */
	expect_ok(pawclient_post(c, "bob", big, PAW_PB_TEXT_MAX, 1, r), r, PAW_PB_POST);
	assert_int_equal(S.last.text_len, PAW_PB_TEXT_MAX);

	/* A REGISTER with the longest names and allow list outgrows a
	 * datagram: UDP says so, TCP carries it. */
	pawclient_close(c);
	c = open_named(NAME32, false, 300, -1, SECRET);
	soil.present = PAW_PB_SOIL_ALLOW;
	soil.n_allow = PAW_PB_ALLOW_MAX;
	for (int i = 0; i < PAW_PB_ALLOW_MAX; i++)
		snprintf(soil.allow[i], sizeof(soil.allow[i]), "%.29s%03d",
			 NAME32, i);
	expect_ok(pawclient_register(c, ip, NULL, &soil, r), r, PAW_PB_REGISTER);
	assert_int_equal(pawclient_register(c, ip, mac, &soil, r), -EMSGSIZE);
	pawclient_close(c);
	c = open_named(NAME32, true, 500, 0, SECRET);
	expect_ok(pawclient_register(c, ip, mac, &soil, r), r, PAW_PB_REGISTER);
	assert_string_equal(S.last.name, NAME32);
	assert_int_equal(S.last.soil.n_allow, PAW_PB_ALLOW_MAX);
	pawclient_close(c);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_udp_all, test_setup),
		cmocka_unit_test_setup(test_tcp_all, test_setup),
		cmocka_unit_test_setup(test_udp_timeout, test_setup),
		cmocka_unit_test_setup(test_udp_retry, test_setup),
		cmocka_unit_test_setup(test_bad_mac, test_setup),
		cmocka_unit_test_setup(test_wrong_nonce, test_setup),
		cmocka_unit_test_setup(test_unsigned_refusal, test_setup),
		cmocka_unit_test_setup(test_tcp_trickle_and_reconnect, test_setup),
		cmocka_unit_test_setup(test_tcp_timeout, test_setup),
		cmocka_unit_test_setup(test_refused, test_setup),
		cmocka_unit_test_setup(test_open_errors, test_setup),
		cmocka_unit_test_setup(test_secret_file, test_setup),
		cmocka_unit_test_setup(test_bad_args, test_setup),
	};

	return cmocka_run_group_tests_name("pawclient", tests, group_setup, group_teardown);
}
