// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pawctl postbox against a fake Operator on [::1]: a thread that
 * decodes each request with the Postbox codec and the client's secret,
 * records it, and answers with a reply the test builds, signed (or not)
 * as pawd would. The library underneath is the real libpawclient, over
 * UDP and TCP; what is checked here is pawctl: the request each verb
 * makes, what it prints, and its exit codes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "pawctl.h"
#include "cleanup.h"
#include "util.h"
#include "paw/postbox.h"

#define ARGV_MAX 48
#define FAKE_REQS 8
#define FAKE_WAIT_MS 10000

static const __u8 SECRET[PAW_PB_SECRET_LEN] = {
	0x5f, 0x0c, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x70, 0x81, 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7,
	0xf8, 0x09, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x70, 0x81, 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7,
};
static const __u8 OTHER[PAW_PB_SECRET_LEN] = { 1 };

/* The test's answer to a decoded request: fill rep (type, req_id,
 * nonce and a fresh ts are set already); return false to stay silent. */
typedef bool (*answer_fn)(int n, const struct paw_pb_req *req, struct paw_pb_reply *rep);

struct op {
	bool tcp;
	int fd;
	__u16 port;
	int stop[2];
	pthread_t thr;
	answer_fn answer;
	const __u8 *sign_with;		/* NULL: SECRET */
	struct paw_pb_req *reqs[FAKE_REQS];
	int nreqs;
	char keyfile[64];
	char server[32];
};

static int op_wait(struct op *o, int fd)
{
	struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN },
				 { .fd = o->stop[0], .events = POLLIN } };
	int r = poll(pfd, 2, FAKE_WAIT_MS);

	return r <= 0 || (pfd[1].revents & POLLIN) ? -1 : 0;
}

/* A request in, the reply's bytes out (0: send nothing). */
static int op_handle(struct op *o, const __u8 *in, size_t n, __u8 *out, size_t outlen)
{
	struct paw_pb_req *req = calloc(1, sizeof(*req));
	struct paw_pb_reply *rep = calloc(1, sizeof(*rep));
	int len = 0;

	if (!req || !rep)
		goto out;
	if (paw_pb_req_decode(in, n, SECRET, req))
		goto out;
	rep->type = req->type;
	rep->req_id = req->req_id;
	memcpy(rep->nonce, req->nonce, PAW_PB_NONCE_LEN);
	rep->ts_ms = paw_now_ms();
	if (!o->answer(o->nreqs, req, rep))
		goto out;
	len = paw_pb_reply_encode(rep, o->sign_with ? o->sign_with : SECRET, out, outlen, NULL);
	if (len < 0)
		len = 0;
	if (o->nreqs < FAKE_REQS) {
		o->reqs[o->nreqs++] = req;
		req = NULL;
	}
out:
	free(req);
	free(rep);
	return len;
}

static void op_tcp_conn(struct op *o, int fd, __u8 *in, __u8 *out)
{
	/* bounded by the client closing or FAKE_WAIT_MS of silence */
	while (op_wait(o, fd) == 0) {
		size_t got = 0, need = 2;
		int len;

		while (got < need) {
			ssize_t r;

			if (op_wait(o, fd))
				return;
			r = recv(fd, in + got, need - got, 0);
			if (r <= 0)
				return;
			got += (size_t)r;
			if (got == 2 && need == 2)
				need = 2 + ((size_t)in[0] << 8 | in[1]);
		}
		len = op_handle(o, in + 2, need - 2, out + 2, PAW_PB_TCP_MAX);
		if (!len)
			continue;
		out[0] = (__u8)(len >> 8);
		out[1] = (__u8)len;
		if (send(fd, out, (size_t)len + 2, MSG_NOSIGNAL) != len + 2)
			return;
	}
}

static void *op_thread(void *arg)
{
	struct op *o = arg;
	__u8 *in = malloc(2 + PAW_PB_TCP_MAX), *out = malloc(2 + PAW_PB_TCP_MAX);

	while (in && out && op_wait(o, o->fd) == 0) {
		struct sockaddr_in6 peer;
		socklen_t plen = sizeof(peer);

		if (o->tcp) {
			int fd = accept4(o->fd, NULL, NULL, SOCK_CLOEXEC);

			if (fd < 0)
				continue;
			op_tcp_conn(o, fd, in, out);
			close(fd);
		} else {
			ssize_t n = recvfrom(o->fd, in, PAW_PB_UDP_MAX, 0, (struct sockaddr *)&peer,
					     &plen);
			int len;

			if (n <= 0)
				continue;
			len = op_handle(o, in, (size_t)n, out, PAW_PB_UDP_MAX);
			if (len)
				sendto(o->fd, out, (size_t)len, 0, (struct sockaddr *)&peer, plen);
		}
	}
	free(in);
	free(out);
	return NULL;
}

static void op_start(struct op *o, bool tcp, answer_fn fn)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t len = sizeof(sa);
	char hex[PAW_SECRET_HEX + 1];
	FILE *f;
	int fd;

	memset(o, 0, sizeof(*o));
	o->tcp = tcp;
	o->answer = fn;
	o->fd = socket(AF_INET6, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	assert_true(o->fd >= 0);
	assert_int_equal(bind(o->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(o->fd, (struct sockaddr *)&sa, &len), 0);
	o->port = ntohs(sa.sin6_port);
	if (tcp)
		assert_int_equal(listen(o->fd, 4), 0);
	assert_int_equal(pipe2(o->stop, O_CLOEXEC), 0);
	snprintf(o->server, sizeof(o->server), "[::1]:%u", o->port);

	strcpy(o->keyfile, "/tmp/pawctl-pb-key.XXXXXX");
	fd = mkostemp(o->keyfile, O_CLOEXEC);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	paw_secret_to_hex(SECRET, hex);
	fprintf(f, "%s\n", hex);
	fclose(f);
	assert_int_equal(pthread_create(&o->thr, NULL, op_thread, o), 0);
}

static void op_stop(struct op *o)
{
	assert_int_equal(write(o->stop[1], "x", 1), 1);
	pthread_join(o->thr, NULL);
	close(o->fd);
	close(o->stop[0]);
	close(o->stop[1]);
	unlink(o->keyfile);
}

static void op_free(struct op *o)
{
	for (int i = 0; i < o->nreqs; i++)
		free(o->reqs[i]);
	o->nreqs = 0;
}

struct run {
	int rc;
	char *out, *err;
	size_t out_len, err_len;
};

/* pawctl [-j] postbox server [::1]:PORT {udp|tcp} timeout 300 name alice
 * secret-file KEY ARGS... */
static struct run pb(struct op *o, bool json, const char *first, ...)
{
	char *argv[ARGV_MAX];
	struct run r = { 0 };
	int argc = 0;
	FILE *out, *err;
	va_list ap;

	argv[argc++] = "pawctl";
	if (json)
		argv[argc++] = "-j";
	argv[argc++] = "postbox";
	argv[argc++] = "server";
	argv[argc++] = o->server;
	argv[argc++] = o->tcp ? "tcp" : "udp";
	argv[argc++] = "timeout";
	argv[argc++] = "300";
	argv[argc++] = "name";
	argv[argc++] = "alice";
	argv[argc++] = "secret-file";
	argv[argc++] = o->keyfile;
	va_start(ap, first);
	for (const char *a = first; a && argc < ARGV_MAX - 1; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	out = open_memstream(&r.out, &r.out_len);
	err = open_memstream(&r.err, &r.err_len);
	r.rc = pawctl_run(out, err, argc, argv);
	fclose(out);
	fclose(err);
	return r;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static json_t *parse_doc(const char *out)
{
	json_error_t e;
	json_t *v = json_loads(out, 0, &e);

	if (!v)
		fail_msg("not one JSON document (%s): '%s'", e.text, out);
	return v;
}

/* ---- answers ---- */

static bool ans_ok(int n, const struct paw_pb_req *req, struct paw_pb_reply *rep)
{
	(void)n;
	snprintf(rep->text, sizeof(rep->text), "%s done", paw_pb_type_name(req->type));
	if (req->type == PAW_PB_CALL)
		rep->call_id = 42;
	return true;
}

static bool ans_denied(int n, const struct paw_pb_req *req, struct paw_pb_reply *rep)
{
	(void)n;
	rep->status = PAW_PB_DENIED;
	snprintf(rep->text, sizeof(rep->text), "%s does not accept calls from %s", req->peer,
		 req->name);
	return true;
}

static bool ans_silent(int n, const struct paw_pb_req *req, struct paw_pb_reply *rep)
{
	(void)n;
	(void)req;
	(void)rep;
	return false;
}

static bool ans_status(int n, const struct paw_pb_req *req, struct paw_pb_reply *rep)
{
	struct paw_pb_status_info *in = &rep->info;

	(void)n;
	(void)req;
	strcpy(in->name, "alice");
	inet_pton(AF_INET, "10.77.0.1", &in->ipv4);
	in->has_mac = true;
	memcpy(in->mac, (__u8[]){ 2, 0, 0, 0, 0x0a, 1 }, 6);
	in->registered = true;
	in->soil.present = 0xf;
	in->soil.n_allow = 2;
	strcpy(in->soil.allow[0], "bob");
	strcpy(in->soil.allow[1], "carol");
	in->soil.max_calls = 8;
	in->soil.postbox_max = 100;
	in->soil.retention_s = 604800;
	in->postbox_count = 3;
	in->n_calls = 1;
	strcpy(in->calls[0], "bob");
	return true;
}

/* FETCH: two messages, one with a terminal escape and bad UTF-8; then
 * ACK accepted. */
static bool ans_fetch(int n, const struct paw_pb_req *req, struct paw_pb_reply *rep)
{
	static const char evil[] = "hi\n\x1b[31mred\xff caf\xc3\xa9";

	(void)n;
	if (req->type == PAW_PB_ACK)
		return snprintf(rep->text, sizeof(rep->text), "%u acknowledged", req->n_ack) > 0;
	rep->n_msgs = 2;
	rep->more = true;
	rep->msgs[0].id = 7;
	rep->msgs[0].msg_id = 1001;
	rep->msgs[0].ts_ms = 1764000002000ULL;
	strcpy(rep->msgs[0].from, "bob");
	strcpy(rep->msgs[0].text, "hello alice");
	rep->msgs[0].text_len = 11;
	rep->msgs[1].id = 9;
	rep->msgs[1].msg_id = 1002;
	rep->msgs[1].ts_ms = 1764000003000ULL;
	strcpy(rep->msgs[1].from, "carol");
	memcpy(rep->msgs[1].text, evil, sizeof(evil));
	rep->msgs[1].text_len = sizeof(evil) - 1;
	return true;
}

static bool ans_fetch_empty(int n, const struct paw_pb_req *req, struct paw_pb_reply *rep)
{
	(void)n;
	(void)req;
	(void)rep;
	return true;
}

/* ---- tests ---- */

static int setup(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static void check_verbs(bool tcp)
{
	struct op o;
	struct run r;
	json_t *doc;
	char ip[INET_ADDRSTRLEN];

	op_start(&o, tcp, ans_ok);

	r = pb(&o, false, "register", "ipv4", "10.77.0.1", "mac", "02:00:00:00:0a:01",
	       "allow", "bob,carol", "max-calls", "4", "retention", "3600", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "ok: register done\n");
	assert_string_equal(r.err, "");
	assert_int_equal(o.nreqs, 1);
	assert_int_equal(o.reqs[0]->type, PAW_PB_REGISTER);
	assert_string_equal(o.reqs[0]->name, "alice");
	assert_true(o.reqs[0]->has_ipv4);
	assert_string_equal(inet_ntop(AF_INET, &o.reqs[0]->ipv4, ip, sizeof(ip)), "10.77.0.1");
	assert_true(o.reqs[0]->has_mac);
	assert_int_equal(o.reqs[0]->mac[5], 1);
	assert_int_equal(o.reqs[0]->soil.present,
			 PAW_PB_SOIL_ALLOW | PAW_PB_SOIL_MAX_CALLS | PAW_PB_SOIL_RETENTION);
	assert_false(o.reqs[0]->soil.allow_all);
	assert_int_equal(o.reqs[0]->soil.n_allow, 2);
	assert_string_equal(o.reqs[0]->soil.allow[1], "carol");
	assert_int_equal(o.reqs[0]->soil.max_calls, 4);
	assert_int_equal(o.reqs[0]->soil.retention_s, 3600);
	op_free(&o);
	run_free(&r);

	r = pb(&o, false, "register", "ipv4", "10.77.0.1", NULL);
	assert_int_equal(r.rc, 0);
	assert_false(o.reqs[0]->has_mac);
	assert_int_equal(o.reqs[0]->soil.present, 0);
	op_free(&o);
	run_free(&r);

	r = pb(&o, false, "set", "allow-all", "postbox-max", "5", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "ok: set done\n");
	assert_int_equal(o.reqs[0]->type, PAW_PB_SET);
	assert_int_equal(o.reqs[0]->soil.present, PAW_PB_SOIL_ALLOW | PAW_PB_SOIL_POSTBOX_MAX);
	assert_true(o.reqs[0]->soil.allow_all);
	assert_int_equal(o.reqs[0]->soil.postbox_max, 5);
	op_free(&o);
	run_free(&r);

	r = pb(&o, false, "set", "allow-none", NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(o.reqs[0]->soil.present, PAW_PB_SOIL_ALLOW);
	assert_false(o.reqs[0]->soil.allow_all);
	assert_int_equal(o.reqs[0]->soil.n_allow, 0);
	op_free(&o);
	run_free(&r);

	r = pb(&o, false, "call", "bob", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "ok: call done (call 42)\n");
	assert_int_equal(o.reqs[0]->type, PAW_PB_CALL);
	assert_string_equal(o.reqs[0]->peer, "bob");
	op_free(&o);
	run_free(&r);

	r = pb(&o, true, "call", "bob", NULL);
	assert_int_equal(r.rc, 0);
	doc = parse_doc(r.out);
	assert_string_equal(jstr(doc, "status"), "ok");
	assert_string_equal(jstr(doc, "text"), "call done");
	assert_int_equal(ju64(doc, "call_id"), 42);
	json_decref(doc);
	op_free(&o);
	run_free(&r);

	r = pb(&o, false, "hangup", "bob", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "ok: hangup done\n");
	assert_int_equal(o.reqs[0]->type, PAW_PB_HANGUP);
	op_free(&o);
	run_free(&r);

	r = pb(&o, false, "post", "bob", "hello", "there,", "bob", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "ok: post done\n");
	assert_int_equal(o.reqs[0]->type, PAW_PB_POST);
	assert_string_equal(o.reqs[0]->peer, "bob");
	assert_int_equal(o.reqs[0]->text_len, strlen("hello there, bob"));
	assert_memory_equal(o.reqs[0]->text, "hello there, bob", o.reqs[0]->text_len);
	assert_true(o.reqs[0]->msg_id != 0);
	op_free(&o);
	run_free(&r);

	r = pb(&o, false, "ack", "7", "9", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "ok: ack done\n");
	assert_int_equal(o.reqs[0]->type, PAW_PB_ACK);
	assert_int_equal(o.reqs[0]->n_ack, 2);
	assert_int_equal(o.reqs[0]->ack[1], 9);
	op_free(&o);
	run_free(&r);

	op_stop(&o);
}

static void test_verbs_udp(void **state)
{
	(void)state;
	check_verbs(false);
}

static void test_verbs_tcp(void **state)
{
	(void)state;
	check_verbs(true);
}

static void test_status(void **state)
{
	struct op o;
	struct run r;
	json_t *doc, *opt;

	(void)state;
	op_start(&o, false, ans_status);
	r = pb(&o, false, "status", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out,
		"client alice  ipv4 10.77.0.1  mac 02:00:00:00:0a:01  registered yes\n"
		"    allow bob,carol  max-calls 8  postbox-max 100  retention 604800s\n"
		"    postbox 3  calls bob\n");
	assert_int_equal(o.reqs[0]->type, PAW_PB_STATUS);
	op_free(&o);
	run_free(&r);

	r = pb(&o, true, "status", NULL);
	assert_int_equal(r.rc, 0);
	doc = parse_doc(r.out);
	assert_string_equal(jstr(doc, "status"), "ok");
	assert_string_equal(jstr(doc, "ipv4"), "10.77.0.1");
	assert_true(jbool(doc, "registered"));
	assert_int_equal(ju64(doc, "postbox"), 3);
	opt = json_object_get(doc, "options");
	assert_int_equal(json_array_size(json_object_get(opt, "allow")), 2);
	assert_int_equal(ju64(opt, "retention_s"), 604800);
	assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "calls"), 0)),
			    "bob");
	json_decref(doc);
	op_free(&o);
	run_free(&r);
	op_stop(&o);
}

static void test_fetch(void **state)
{
	struct op o;
	struct run r;
	json_t *doc, *m;

	(void)state;
	op_start(&o, true, ans_fetch);
	r = pb(&o, false, "fetch", "max", "2", NULL);
	assert_int_equal(r.rc, 0);
	/* the escape and the stray byte are shown, not obeyed */
	assert_string_equal(r.out,
		"ID  FROM   TIME                 TEXT\n"
		"7   bob    2025-11-24 16:00:02  hello alice\n"
		"9   carol  2025-11-24 16:00:03  hi\\n\\x1b[31mred\xef\xbf\xbd caf\xc3\xa9\n"
		"(more messages are waiting: fetch again)\n");
	assert_int_equal(o.nreqs, 1);	/* no ack unless asked */
	assert_int_equal(o.reqs[0]->type, PAW_PB_FETCH);
	assert_int_equal(o.reqs[0]->fetch_max, 2);
	op_free(&o);
	run_free(&r);

	r = pb(&o, true, "fetch", "ack", NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(o.nreqs, 2);
	assert_int_equal(o.reqs[0]->fetch_max, 0);
	assert_int_equal(o.reqs[1]->type, PAW_PB_ACK);
	assert_int_equal(o.reqs[1]->n_ack, 2);
	assert_int_equal(o.reqs[1]->ack[0], 7);
	assert_int_equal(o.reqs[1]->ack[1], 9);
	doc = parse_doc(r.out);
	assert_true(jbool(doc, "more"));
	assert_int_equal(json_array_size(json_object_get(doc, "messages")), 2);
	m = json_array_get(json_object_get(doc, "messages"), 1);
	assert_int_equal(ju64(m, "id"), 9);
	assert_int_equal(ju64(m, "msg_id"), 1002);
	assert_int_equal(ju64(m, "ts_ms"), 1764000003000ULL);
	assert_string_equal(jstr(m, "from"), "carol");
	/* JSON keeps the text as it was but for the invalid byte */
	assert_string_equal(jstr(m, "text"), "hi\n\x1b[31mred\xef\xbf\xbd caf\xc3\xa9");
	assert_int_equal(json_array_size(json_object_get(doc, "acked")), 2);
	json_decref(doc);
	op_free(&o);
	run_free(&r);
	op_stop(&o);

	op_start(&o, false, ans_fetch_empty);
	r = pb(&o, false, "fetch", "ack", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "");
	assert_int_equal(o.nreqs, 1);		/* nothing to acknowledge */
	op_free(&o);
	run_free(&r);
	r = pb(&o, true, "fetch", NULL);
	assert_int_equal(r.rc, 0);
	doc = parse_doc(r.out);
	assert_int_equal(json_array_size(json_object_get(doc, "messages")), 0);
	assert_false(jbool(doc, "more"));
	json_decref(doc);
	op_free(&o);
	run_free(&r);
	op_stop(&o);
}

static void test_refused(void **state)
{
	struct op o;
	struct run r;

	(void)state;
	op_start(&o, false, ans_denied);
	r = pb(&o, false, "call", "bob", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "pawctl: call refused: denied: bob does not accept calls from alice\n");
	op_free(&o);
	run_free(&r);

	r = pb(&o, true, "call", "bob", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.out, "");		/* no document for a refusal */
	op_free(&o);
	run_free(&r);
	op_stop(&o);
}

static void test_transport(void **state)
{
	struct op o;
	struct run r;

	(void)state;
	/* no answer at all: retried, then a timeout, exit 1 */
	op_start(&o, false, ans_silent);
	r = pb(&o, false, "retries", "1", "status", NULL);
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "pawctl: status: no answer from the Operator at [::1]:"));
	op_free(&o);
	run_free(&r);
	op_stop(&o);

	/* an answer signed with another secret */
	op_start(&o, false, ans_ok);
	o.sign_with = OTHER;
	r = pb(&o, false, "call", "bob", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "pawctl: call: the Operator's answer does not verify with "
			    "this secret (wrong secret-file?)\n");
	op_free(&o);
	run_free(&r);
	op_stop(&o);

	/* nobody listening over TCP */
	op_start(&o, true, ans_ok);
	op_stop(&o);
	{
		FILE *f = fopen(o.keyfile, "we");

		fputs("5f0c1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7\n", f);
		fclose(f);
	}
	r = pb(&o, false, "call", "bob", NULL);
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "pawctl: call: cannot reach the Operator at [::1]:"));
	assert_non_null(strstr(r.err, ": Connection refused\n"));
	run_free(&r);

	/* a secret file that is not one */
	{
		FILE *f = fopen(o.keyfile, "we");

		fputs("not hex\n", f);
		fclose(f);
	}
	r = pb(&o, false, "status", NULL);
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "cannot read a secret from"));
	assert_non_null(strstr(r.err, "not 64 hex characters"));
	run_free(&r);
	unlink(o.keyfile);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verbs_udp),
		cmocka_unit_test(test_verbs_tcp),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_fetch),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_transport),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
