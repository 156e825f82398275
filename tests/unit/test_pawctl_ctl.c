// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pawctl against a fake pawd: a thread serving docs/control-protocol.md
 * on a temporary UNIX socket with canned answers per command, recording
 * every request it gets. Each admin command must send the documented
 * request and print the expected table, or one JSON document that
 * parses back; refusals map to exit 1 (2 for "invalid") with pawd's
 * text; an unreachable pawd is a one-line hint; monitor stops after
 * `count` events, on SIGINT (exit 0), or when pawd goes (exit 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "pawctl.h"
#include "cleanup.h"

#define ARGV_MAX 40
#define FAKE_MAX_REQS 64
#define FAKE_WAIT_MS 10000	/* a stuck test ends, it does not hang */

/* ---- the fake pawd ---- */

struct canned {
	const char *cmd;
	const char *args;	/* JSON the request's args must equal; NULL: any */
	/* The answer without its id ({"ok": ...}), given the request's id;
	 * "!..." is sent raw, without the "!" (malformed answers); NULL:
	 * close the connection instead of answering. */
	const char *reply;
};

enum after_events { EV_HOLD, EV_CLOSE, EV_SIGINT };

struct fake {
	char dir[64];
	char path[108];
	int lfd;
	int stop[2];
	pthread_t thr;
	const struct canned *canned;
	size_t ncanned;
	const char *greeting;		/* sent on accept, then close */
	const char *const *events;	/* after a monitor's answer */
	size_t nevents;
	enum after_events after;
	pthread_t victim;		/* gets SIGINT with EV_SIGINT */
	/* what came, read after the thread is joined */
	json_t *reqs[FAKE_MAX_REQS];
	int nreqs;
	int nconns;
};

static int wait_fd(struct fake *f, int fd)
{
	struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN }, { .fd = f->stop[0], .events = POLLIN } };
	int r = poll(pfd, 2, FAKE_WAIT_MS);

	if (r <= 0 || (pfd[1].revents & POLLIN))
		return -1;
	return 0;
}

static void send_line(int fd, const char *s)
{
	size_t len = strlen(s);

	if (send(fd, s, len, MSG_NOSIGNAL) != (ssize_t)len || send(fd, "\n", 1, MSG_NOSIGNAL) != 1)
		return;
}

static const struct canned *find(struct fake *f, const json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	json_t *args = json_object_get(req, "args");

	for (size_t i = 0; cmd && i < f->ncanned; i++) {
		json_t *want;
		bool eq;

		if (strcmp(f->canned[i].cmd, cmd))
			continue;
		if (!f->canned[i].args)
			return &f->canned[i];
		want = json_loads(f->canned[i].args, 0, NULL);
		eq = want && args && json_equal(want, args);
		json_decref(want);
		if (eq)
			return &f->canned[i];
	}
	return NULL;
}

/* Answer one request line; false when the connection should end. */
static bool answer(struct fake *f, int fd, const char *line)
{
	json_t *req = json_loads(line, 0, NULL), *rep;
	const struct canned *c;
	bool monitor;
	char *s;

	if (!req)
		return false;
	if (f->nreqs < FAKE_MAX_REQS)
		f->reqs[f->nreqs++] = json_incref(req);
	c = find(f, req);
	monitor = !strcmp(json_string_value(json_object_get(req, "cmd")) ?: "", "monitor");
	if (!c) {
		rep = json_pack("{sOsbssss}", "id", json_object_get(req, "id"), "ok", 0,
				"code", "invalid", "error", "fake: no canned answer");
	} else if (!c->reply) {
		json_decref(req);
		return false;
	} else if (c->reply[0] == '!') {
		send_line(fd, c->reply + 1);
		json_decref(req);
		return true;
	} else {
		/* no cmocka asserts off the main thread: just hang up */
		rep = json_loads(c->reply, 0, NULL);
		if (!rep) {
			json_decref(req);
			return false;
		}
		json_object_set(rep, "id", json_object_get(req, "id"));
	}
	s = json_dumps(rep, JSON_COMPACT);
	send_line(fd, s);
	free(s);
	json_decref(rep);
	json_decref(req);
	if (monitor && c) {
		for (size_t i = 0; i < f->nevents; i++)
			send_line(fd, f->events[i]);
		if (f->after == EV_CLOSE)
			return false;
		if (f->after == EV_SIGINT)
			pthread_kill(f->victim, SIGINT);
	}
	return true;
}

static void serve(struct fake *f, int fd)
{
	char buf[65536 + 2];
	size_t len = 0;

	if (f->greeting) {
		send_line(fd, f->greeting);
		return;
	}
	/* bounded by the client closing or FAKE_WAIT_MS of silence */
	while (wait_fd(f, fd) == 0) {
		ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		char *nl;

		if (n <= 0)
			return;
		len += (size_t)n;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			if (!answer(f, fd, buf))
				return;
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
		if (len >= sizeof(buf) - 2)
			return;
	}
}

static void *fake_thread(void *arg)
{
	struct fake *f = arg;
	sigset_t all;

	/* SIGINT is the test's to aim at pawctl, never at the fake */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	while (wait_fd(f, f->lfd) == 0) {
		int fd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			continue;
		f->nconns++;
		serve(f, fd);
		close(fd);
	}
	return NULL;
}

static void fake_start(struct fake *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	strcpy(f->dir, "/tmp/pawctl-test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/pawd.sock", f->dir);
	strcpy(sa.sun_path, f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 8), 0);
	assert_int_equal(pipe2(f->stop, O_CLOEXEC), 0);
	f->victim = pthread_self();
	assert_int_equal(pthread_create(&f->thr, NULL, fake_thread, f), 0);
}

static void fake_stop(struct fake *f)
{
	assert_int_equal(write(f->stop[1], "x", 1), 1);
	pthread_join(f->thr, NULL);
	close(f->lfd);
	close(f->stop[0]);
	close(f->stop[1]);
	unlink(f->path);
	rmdir(f->dir);
}

static void fake_free(struct fake *f)
{
	for (int i = 0; i < f->nreqs; i++)
		json_decref(f->reqs[i]);
	f->nreqs = 0;
}

/* Request i: its cmd, and its args as compact JSON ("" when none). */
static void assert_req(struct fake *f, int i, const char *cmd, const char *args)
{
	json_t *a, *want;

	if (i >= f->nreqs)
		fail_msg("request %d of %d expected (%s)", i, f->nreqs, cmd);
	assert_string_equal(json_string_value(json_object_get(f->reqs[i], "cmd")), cmd);
	a = json_object_get(f->reqs[i], "args");
	if (!args) {
		if (a)
			fail_msg("request %d (%s) has args", i, cmd);
		return;
	}
	want = json_loads(args, 0, NULL);
	assert_non_null(want);
	if (!a || !json_equal(a, want)) {
		char *got = a ? json_dumps(a, JSON_COMPACT) : NULL;

		fail_msg("request %d (%s): args %s, wanted %s", i, cmd, got ? got : "none", args);
	}
	json_decref(want);
	/* every request carries an id; ids are distinct within a run */
	assert_true(json_is_integer(json_object_get(f->reqs[i], "id")));
}

/* ---- running pawctl ---- */

struct run {
	int rc;
	char *out, *err;
	size_t out_len, err_len;
};

static void run_v(struct run *r, const char *sock, const char *first, va_list ap)
{
	char *argv[ARGV_MAX];
	int argc = 0;
	FILE *out, *err;

	argv[argc++] = "pawctl";
	argv[argc++] = "-S";
	argv[argc++] = (char *)sock;
	for (const char *a = first; a && argc < ARGV_MAX - 1; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	argv[argc] = NULL;
	out = open_memstream(&r->out, &r->out_len);
	err = open_memstream(&r->err, &r->err_len);
	assert_non_null(out);
	assert_non_null(err);
	r->rc = pawctl_run(out, err, argc, argv);
	fclose(out);
	fclose(err);
}

/* Serve `canned`, run pawctl ARGS..., stop the fake: what it received
 * stays in f for assert_req(). */
static struct run pawctl(struct fake *f, const char *first, ...)
{
	struct run r = { 0 };
	va_list ap;

	fake_start(f);
	va_start(ap, first);
	run_v(&r, f->path, first, ap);
	va_end(ap);
	fake_stop(f);
	return r;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* -j output: exactly one JSON document (jansson refuses trailing data). */
static json_t *parse_doc(const char *out)
{
	json_error_t e;
	json_t *v = json_loads(out, 0, &e);

	if (!v)
		fail_msg("not one JSON document (%s at %d): '%s'", e.text, e.position, out);
	return v;
}

#define FAKE(...) { .canned = (const struct canned[]){ __VA_ARGS__ },		\
		    .ncanned = sizeof((const struct canned[]){ __VA_ARGS__ }) /	\
			       sizeof(struct canned) }

/* ---- canned answers, as docs/control-protocol.md shows them ---- */

#define STATUS_OK "{\"ok\":true,\"result\":{\"version\":\"0.1.0\",\"pid\":1234,\"uptime_s\":3723," \
	"\"ear\":{\"name\":\"MainBackend.abc\",\"addresses\":[\"fd70:a3::1\",\"fd70:a3::2\"],\"port\":53," \
	"\"udp\":true,\"tcp\":false},\"policy\":\"pass\",\"datapath\":{\"pin_dir\":\"/sys/fs/bpf/paw\"," \
	"\"reused\":false,\"prog_id\":812,\"max_calls\":1048576,\"max_clients\":65536,\"counter_slots\":2}," \
	"\"store\":{\"backend\":\"sqlite\",\"path\":\"/var/lib/paw/paw.db\",\"schema\":1}," \
	"\"counts\":{\"ports\":3,\"clients\":3,\"registered\":2,\"calls\":1,\"messages\":0}}}"

#define PORTS_OK "{\"ok\":true,\"result\":[" \
	"{\"name\":\"pa\",\"ifindex\":5,\"mac\":\"02:00:00:00:01:0a\",\"mtu\":1500,\"up\":true," \
	"\"attached\":true,\"mode\":\"native\",\"configured\":true,\"clients\":1}," \
	"{\"name\":\"pdlong\",\"ifindex\":12,\"mac\":\"02:00:00:00:01:0d\",\"mtu\":9000,\"up\":false," \
	"\"attached\":false,\"mode\":\"none\",\"configured\":false,\"clients\":0}]}"

#define PORT_STATS(name, in, inb, out, outb) "{\"ok\":true,\"result\":{\"port\":\"" name "\"," \
	"\"reasons\":{\"no-call\":{\"packets\":5,\"bytes\":490,\"action\":\"drop\"}," \
	"\"spoofed\":{\"packets\":2,\"bytes\":100,\"action\":\"drop\"}," \
	"\"operator\":{\"packets\":7,\"bytes\":700,\"action\":\"pass\"}}," \
	"\"forwarded_in\":{\"packets\":" #in ",\"bytes\":" #inb "},"	\
	"\"forwarded_out\":{\"packets\":" #out ",\"bytes\":" #outb "}}}"

#define CLIENTS_OK "{\"ok\":true,\"result\":[" \
	"{\"name\":\"alice\",\"ipv4\":\"10.77.0.1\",\"port\":\"pa\",\"mac\":\"02:00:00:00:0a:01\"," \
	"\"registered\":true,\"online\":true,\"calls\":1,\"postbox\":0}," \
	"{\"name\":\"bob\",\"ipv4\":\"10.77.0.2\",\"port\":\"pb\",\"mac\":null," \
	"\"registered\":false,\"online\":false,\"calls\":0,\"postbox\":12}]}"

#define CLIENT_STATS(name) "{\"ok\":true,\"result\":{\"client\":\"" name "\"," \
	"\"sent\":{\"packets\":120,\"bytes\":10080},\"received\":{\"packets\":118,\"bytes\":9912}," \
	"\"calls\":[{\"peer\":\"bob\",\"sent\":{\"packets\":120,\"bytes\":10080}," \
	"\"received\":{\"packets\":118,\"bytes\":9912}}]}}"

#define SHOW_OK "{\"ok\":true,\"result\":{\"name\":\"alice\",\"ipv4\":\"10.77.0.1\",\"port\":\"pa\"," \
	"\"mac\":\"02:00:00:00:0a:01\",\"registered\":true,\"online\":true,\"calls\":1,\"postbox\":0," \
	"\"options\":{\"allow\":[\"bob\",\"carol\"],\"max_calls\":8,\"postbox_max\":100," \
	"\"retention_s\":604800},\"peers\":[\"bob\"],\"created_ms\":1764000000000," \
	"\"registered_ms\":1764000001000}}"

#define CALLS_OK "{\"ok\":true,\"result\":[{\"id\":3,\"a\":\"alice\",\"b\":\"bob\"," \
	"\"by_admin\":false,\"since_ms\":1764000002000,\"live\":true," \
	"\"a_to_b\":{\"packets\":120,\"bytes\":10080},\"b_to_a\":{\"packets\":118,\"bytes\":9912}}," \
	"{\"id\":14,\"a\":\"carol\",\"b\":\"dave\",\"by_admin\":true,\"since_ms\":1764000003500," \
	"\"live\":false,\"a_to_b\":{\"packets\":0,\"bytes\":0},\"b_to_a\":{\"packets\":0,\"bytes\":0}}]}"

#define STATS_OK "{\"ok\":true,\"result\":{\"reasons\":{" \
	"\"forward\":{\"packets\":238,\"bytes\":19992,\"action\":\"redirect\"}," \
	"\"no-call\":{\"packets\":5,\"bytes\":490,\"action\":\"drop\"}," \
	"\"other-pass\":{\"packets\":9007199254740993,\"bytes\":0,\"action\":\"pass\"}}," \
	"\"events_lost\":4,\"ear\":{\"requests\":20,\"accepted\":18," \
	"\"refused\":{\"auth\":1,\"replay\":1,\"bad-request\":0}}}}"

#define SECRET "5f0c1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7"
#define ADD_OK "{\"ok\":true,\"result\":{\"name\":\"alice\",\"ipv4\":\"10.77.0.1\",\"port\":\"pa\"," \
	"\"mac\":null,\"registered\":false,\"online\":false,\"calls\":0,\"postbox\":0," \
	"\"secret\":\"" SECRET "\"}}"

static int setup(void **state)
{
	(void)state;
	/* times print in local time: make it the same everywhere */
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

/* ---- status ---- */

static void test_status(void **state)
{
	struct fake f = FAKE({ "status", NULL, STATUS_OK });
	struct run r;
	json_t *doc;

	(void)state;
	r = pawctl(&f, "status", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, "");
	assert_string_equal(r.out,
		"pawd 0.1.0  pid 1234  up 1h 2m 3s\n"
		"ear       MainBackend.abc  addresses fd70:a3::1,fd70:a3::2  port 53  udp yes  tcp no\n"
		"policy    pass\n"
		"datapath  /sys/fs/bpf/paw  loaded  prog 812  max-calls 1048576  max-clients 65536"
		"  counter-slots 2\n"
		"store     sqlite  /var/lib/paw/paw.db  schema 1\n"
		"counts    ports 3  clients 3  registered 2  calls 1  messages 0\n");
	assert_int_equal(f.nreqs, 1);
	assert_req(&f, 0, "status", NULL);
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-j", "status", NULL);
	assert_int_equal(r.rc, 0);
	doc = parse_doc(r.out);
	assert_string_equal(jstr(doc, "version"), "0.1.0");
	assert_true(json_is_integer(json_object_get(doc, "pid")));
	assert_int_equal(ju64(doc, "uptime_s"), 3723);
	assert_int_equal(ju64(json_object_get(doc, "ear"), "port"), 53);
	assert_false(jbool(json_object_get(doc, "ear"), "tcp"));
	assert_int_equal(json_array_size(json_object_get(json_object_get(doc, "ear"),
							 "addresses")), 2);
	assert_int_equal(ju64(json_object_get(doc, "datapath"), "max_calls"), 1048576);
	assert_int_equal(ju64(json_object_get(doc, "counts"), "registered"), 2);
	assert_string_equal(jstr(json_object_get(doc, "store"), "backend"), "sqlite");
	/* compact: one line */
	assert_ptr_equal(strchr(r.out, '\n'), r.out + strlen(r.out) - 1);
	json_decref(doc);
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-j", "-p", "status", NULL);
	assert_int_equal(r.rc, 0);
	doc = parse_doc(r.out);
	assert_non_null(strstr(r.out, "\n  \"pid\": 1234"));
	json_decref(doc);
	fake_free(&f);
	run_free(&r);
}

/* ---- port ---- */

static void test_port_list(void **state)
{
	struct fake f = FAKE({ "port.list", NULL, PORTS_OK },
			     { "stats", "{\"port\":\"pa\"}", PORT_STATS("pa", 120, 12000, 118, 11800) },
			     { "stats", "{\"port\":\"pdlong\"}", PORT_STATS("pdlong", 0, 0, 0, 0) });
	struct run r;
	json_t *doc, *o;

	(void)state;
	r = pawctl(&f, "port", "list", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out,
		"NAME    IFINDEX  MAC                MTU   STATE  XDP     CONFIGURED  CLIENTS\n"
		"pa      5        02:00:00:00:01:0a  1500  up     native  yes         1\n"
		"pdlong  12       02:00:00:00:01:0d  9000  down   none    no          0\n");
	assert_int_equal(f.nreqs, 1);
	assert_req(&f, 0, "port.list", NULL);
	fake_free(&f);
	run_free(&r);

	/* no verb lists, as ip link does */
	r = pawctl(&f, "port", NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "pdlong"));
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-s", "port", "list", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out,
		"NAME    IFINDEX  MAC                MTU   STATE  XDP     CONFIGURED  CLIENTS"
		"  IN-PKTS  IN-BYTES  OUT-PKTS  OUT-BYTES  DROPPED\n"
		"pa      5        02:00:00:00:01:0a  1500  up     native  yes         1      "
		"  120      12000     118       11800      7\n"
		"pdlong  12       02:00:00:00:01:0d  9000  down   none    no          0      "
		"  0        0         0         0          7\n");
	assert_int_equal(f.nreqs, 3);
	assert_req(&f, 1, "stats", "{\"port\":\"pa\"}");
	assert_req(&f, 2, "stats", "{\"port\":\"pdlong\"}");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-j", "port", "list", NULL);
	assert_int_equal(r.rc, 0);
	doc = parse_doc(r.out);
	assert_true(json_is_array(doc));
	assert_int_equal(json_array_size(doc), 2);
	o = json_array_get(doc, 1);
	assert_string_equal(jstr(o, "name"), "pdlong");
	assert_true(json_is_integer(json_object_get(o, "ifindex")));
	assert_int_equal(ju64(o, "mtu"), 9000);
	assert_true(json_is_false(json_object_get(o, "up")));
	assert_true(json_is_false(json_object_get(o, "attached")));
	assert_true(json_is_false(json_object_get(o, "configured")));
	assert_string_equal(jstr(o, "mode"), "none");
	assert_null(json_object_get(o, "stats"));
	json_decref(doc);
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-j", "-s", "port", "list", NULL);
	assert_int_equal(r.rc, 0);
	doc = parse_doc(r.out);
	o = json_object_get(json_array_get(doc, 0), "stats");
	assert_int_equal(ju64(json_object_get(o, "forwarded_in"), "packets"), 120);
	assert_int_equal(ju64(json_object_get(o, "forwarded_out"), "bytes"), 11800);
	assert_int_equal(ju64(o, "dropped"), 7);
	json_decref(doc);
	fake_free(&f);
	run_free(&r);
}

static void test_port_add_del(void **state)
{
	struct fake f = FAKE({ "port.add", NULL,
			       "{\"ok\":true,\"result\":{\"name\":\"pd\",\"ifindex\":9,"
			       "\"mac\":\"02:00:00:00:01:0d\",\"mtu\":1500,\"up\":true,\"attached\":true,"
			       "\"mode\":\"generic\",\"configured\":false,\"clients\":0}}" },
			     { "port.del", "{\"name\":\"pd\"}", "{\"ok\":true,\"result\":{}}" },
			     { "port.del", "{\"name\":\"px\"}",
			       "{\"ok\":false,\"code\":\"not-found\",\"error\":\"no port 'px'\"}" });
	struct run r;
	json_t *doc;

	(void)state;
	r = pawctl(&f, "port", "add", "pd", "mode", "generic", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "");		/* quiet, as ip link add */
	assert_string_equal(r.err, "");
	assert_req(&f, 0, "port.add", "{\"name\":\"pd\",\"mode\":\"generic\"}");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "port", "add", "pd", NULL);
	assert_int_equal(r.rc, 0);
	assert_req(&f, 0, "port.add", "{\"name\":\"pd\"}");	/* mode left to pawd */
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-j", "port", "add", "pd", "mode", "auto", NULL);
	assert_int_equal(r.rc, 0);
	doc = parse_doc(r.out);
	assert_string_equal(jstr(doc, "mode"), "generic");
	assert_int_equal(ju64(doc, "ifindex"), 9);
	json_decref(doc);
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "port", "del", "pd", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "");
	assert_req(&f, 0, "port.del", "{\"name\":\"pd\"}");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-j", "port", "del", "pd", NULL);
	assert_int_equal(r.rc, 0);
	doc = parse_doc(r.out);
	assert_true(json_is_object(doc));
	json_decref(doc);
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "port", "del", "px", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "pawctl: no port 'px'\n");
	assert_string_equal(r.out, "");
	fake_free(&f);
	run_free(&r);

	/* a refusal prints no JSON: stdout stays empty for scripts */
	r = pawctl(&f, "-j", "port", "del", "px", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.out, "");
	fake_free(&f);
	run_free(&r);
}

/* ---- client ---- */

static void test_client_list_show(void **state)
{
	struct fake f = FAKE({ "client.list", NULL, CLIENTS_OK },
			     { "client.show", "{\"name\":\"alice\"}", SHOW_OK },
			     { "stats", "{\"client\":\"alice\"}", CLIENT_STATS("alice") },
			     { "stats", "{\"client\":\"bob\"}", CLIENT_STATS("bob") });
	struct run r;
	json_t *doc, *o;

	(void)state;
	r = pawctl(&f, "client", "list", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out,
		"NAME   IPV4       PORT  MAC                REGISTERED  ONLINE  CALLS  POSTBOX\n"
		"alice  10.77.0.1  pa    02:00:00:00:0a:01  yes         yes     1      0\n"
		"bob    10.77.0.2  pb    -                  no          no      0      12\n");
	assert_req(&f, 0, "client.list", NULL);
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-s", "client", NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "POSTBOX  SENT-PKTS  SENT-BYTES  RECV-PKTS  RECV-BYTES\n"));
	assert_non_null(strstr(r.out, "  120        10080       118        9912\n"));
	assert_req(&f, 1, "stats", "{\"client\":\"alice\"}");
	assert_req(&f, 2, "stats", "{\"client\":\"bob\"}");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-j", "client", "list", NULL);
	assert_int_equal(r.rc, 0);
	doc = parse_doc(r.out);
	assert_int_equal(json_array_size(doc), 2);
	o = json_array_get(doc, 1);
	assert_true(json_is_null(json_object_get(o, "mac")));	/* unknown MAC */
	assert_int_equal(ju64(o, "postbox"), 12);
	assert_true(json_is_integer(json_object_get(o, "postbox")));
	json_decref(doc);
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "client", "show", "alice", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out,
		"client alice  ipv4 10.77.0.1  port pa  mac 02:00:00:00:0a:01\n"
		"    registered yes  online yes  calls 1  postbox 0\n"
		"    allow bob,carol  max-calls 8  postbox-max 100  retention 604800s\n"
		"    peers bob\n"
		"    created 2025-11-24 16:00:00  registered-at 2025-11-24 16:00:01\n");
	assert_req(&f, 0, "client.show", "{\"name\":\"alice\"}");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-s", "client", "show", "alice", NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out,
		"    sent 120 packets 10080 bytes  received 118 packets 9912 bytes\n"
		"    call bob: sent 120 packets 10080 bytes  received 118 packets 9912 bytes\n"));
	assert_req(&f, 1, "stats", "{\"client\":\"alice\"}");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-j", "-s", "client", "show", "alice", NULL);
	assert_int_equal(r.rc, 0);
	doc = parse_doc(r.out);
	o = json_object_get(doc, "options");
	assert_int_equal(json_array_size(json_object_get(o, "allow")), 2);
	assert_int_equal(ju64(o, "retention_s"), 604800);
	assert_int_equal(ju64(doc, "created_ms"), 1764000000000ULL);
	assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "peers"), 0)),
			    "bob");
	o = json_object_get(doc, "stats");
	assert_int_equal(ju64(json_object_get(o, "received"), "bytes"), 9912);
	assert_string_equal(jstr(json_array_get(json_object_get(o, "calls"), 0), "peer"), "bob");
	json_decref(doc);
	fake_free(&f);
	run_free(&r);
}

static void test_client_show_allow_all(void **state)
{
	struct fake f = FAKE({ "client.show", NULL,
			       "{\"ok\":true,\"result\":{\"name\":\"bob\",\"ipv4\":\"10.77.0.2\","
			       "\"port\":\"pb\",\"mac\":null,\"registered\":false,\"online\":false,"
			       "\"calls\":0,\"postbox\":0,\"options\":{\"allow\":\"all\",\"max_calls\":8,"
			       "\"postbox_max\":100,\"retention_s\":60},\"peers\":[],"
			       "\"created_ms\":1764000000000,\"registered_ms\":null}}" });
	struct run r;
	json_t *doc;

	(void)state;
	r = pawctl(&f, "client", "show", "bob", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out,
		"client bob  ipv4 10.77.0.2  port pb  mac -\n"
		"    registered no  online no  calls 0  postbox 0\n"
		"    allow all  max-calls 8  postbox-max 100  retention 60s\n"
		"    peers none\n"
		"    created 2025-11-24 16:00:00\n");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-j", "client", "show", "bob", NULL);
	assert_int_equal(r.rc, 0);
	doc = parse_doc(r.out);
	assert_string_equal(jstr(json_object_get(doc, "options"), "allow"), "all");
	assert_true(json_is_null(json_object_get(doc, "registered_ms")));
	assert_true(json_is_null(json_object_get(doc, "mac")));
	assert_int_equal(json_array_size(json_object_get(doc, "peers")), 0);
	json_decref(doc);
	fake_free(&f);
	run_free(&r);
}

static void test_client_add(void **state)
{
	struct fake f = FAKE({ "client.add", "{\"name\":\"alice\",\"ipv4\":\"10.77.0.1\",\"port\":\"pa\"}",
			       ADD_OK },
			     { "client.add", "{\"name\":\"alice\",\"ipv4\":\"10.77.0.1\",\"port\":\"pa\","
			       "\"mac\":\"02:00:00:00:0a:01\"}", ADD_OK },
			     { "client.add", NULL,
			       "{\"ok\":false,\"code\":\"exists\",\"error\":\"client 'bob' exists\"}" },
			     { "client.del", "{\"name\":\"alice\"}", "{\"ok\":true}" });
	struct run r;
	json_t *doc;

	(void)state;
	r = pawctl(&f, "client", "add", "alice", "ipv4", "10.77.0.1", "port", "pa", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "alice: secret " SECRET "\n");
	assert_string_equal(r.err, "");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-j", "client", "add", "alice", "ipv4", "10.77.0.1", "port", "pa", "mac",
		   "02:00:00:00:0a:01", NULL);
	assert_int_equal(r.rc, 0);
	assert_req(&f, 0, "client.add", "{\"name\":\"alice\",\"ipv4\":\"10.77.0.1\",\"port\":\"pa\","
		   "\"mac\":\"02:00:00:00:0a:01\"}");
	doc = parse_doc(r.out);
	assert_string_equal(jstr(doc, "secret"), SECRET);
	assert_string_equal(jstr(doc, "name"), "alice");
	assert_false(jbool(doc, "registered"));
	json_decref(doc);
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "client", "add", "bob", "ipv4", "10.77.0.2", "port", "pb", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "pawctl: client 'bob' exists\n");
	assert_string_equal(r.out, "");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "client", "del", "alice", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "");
	assert_req(&f, 0, "client.del", "{\"name\":\"alice\"}");
	fake_free(&f);
	run_free(&r);
}

static char *slurp(const char *path)
{
	static char buf[256];
	FILE *fp = fopen(path, "re");
	size_t n;

	if (!fp)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void test_client_add_secret_file(void **state)
{
	struct fake f = FAKE({ "client.add", "{\"name\":\"alice\",\"ipv4\":\"10.77.0.1\",\"port\":\"pa\"}",
			       ADD_OK },
			     { "client.add", NULL,
			       "{\"ok\":false,\"code\":\"limit\",\"error\":\"paw_clients is full\"}" });
	char dir[] = "/tmp/pawctl-secret.XXXXXX", path[128], other[128];
	struct stat st;
	struct run r;
	json_t *doc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/alice.key", dir);
	snprintf(other, sizeof(other), "%s/bob.key", dir);

	r = pawctl(&f, "client", "add", "alice", "ipv4", "10.77.0.1", "port", "pa",
		   "secret-file", path, NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "alice: secret written to "));
	assert_non_null(strstr(r.out, path));
	assert_null(strstr(r.out, SECRET));	/* where it went, never what it is */
	assert_string_equal(slurp(path), SECRET "\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	fake_free(&f);
	run_free(&r);

	/* an existing file is refused before pawd is asked */
	r = pawctl(&f, "client", "add", "alice", "ipv4", "10.77.0.1", "port", "pa",
		   "secret-file", path, NULL);
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "exists: add \"force\" to overwrite it"));
	assert_int_equal(f.nreqs, 0);
	assert_string_equal(slurp(path), SECRET "\n");
	fake_free(&f);
	run_free(&r);

	/* force replaces it */
	assert_int_equal(truncate(path, 0), 0);
	r = pawctl(&f, "-j", "client", "add", "alice", "ipv4", "10.77.0.1", "port", "pa",
		   "secret-file", path, "force", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(slurp(path), SECRET "\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	doc = parse_doc(r.out);
	assert_string_equal(jstr(doc, "secret_file"), path);
	assert_null(json_object_get(doc, "secret"));
	json_decref(doc);
	fake_free(&f);
	run_free(&r);

	/* pawd refuses: no file is left behind, with or without force */
	r = pawctl(&f, "client", "add", "bob", "ipv4", "10.77.0.2", "port", "pa",
		   "secret-file", other, NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "pawctl: paw_clients is full\n");
	assert_int_equal(access(other, F_OK), -1);
	fake_free(&f);
	run_free(&r);
	r = pawctl(&f, "client", "add", "bob", "ipv4", "10.77.0.2", "port", "pa",
		   "secret-file", path, "force", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(slurp(path), SECRET "\n");	/* the old one stays */
	fake_free(&f);
	run_free(&r);

	/* a directory that does not exist: refused before pawd is asked */
	snprintf(other, sizeof(other), "%s/no/such/dir.key", dir);
	r = pawctl(&f, "client", "add", "alice", "ipv4", "10.77.0.1", "port", "pa",
		   "secret-file", other, NULL);
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "cannot create"));
	assert_int_equal(f.nreqs, 0);
	fake_free(&f);
	run_free(&r);

	unlink(path);
	assert_int_equal(rmdir(dir), 0);	/* nothing else was left there */
}

/* ---- call ---- */

static void test_call(void **state)
{
	struct fake f = FAKE({ "call.list", NULL, CALLS_OK },
			     { "call.add", "{\"a\":\"alice\",\"b\":\"bob\"}",
			       "{\"ok\":true,\"result\":{\"id\":3,\"a\":\"alice\",\"b\":\"bob\","
			       "\"by_admin\":true,\"since_ms\":1764000002000}}" },
			     { "call.add", "{\"a\":\"alice\",\"b\":\"zed\"}",
			       "{\"ok\":false,\"code\":\"unavailable\","
			       "\"error\":\"client 'zed' has no known MAC\"}" },
			     { "call.del", "{\"a\":\"alice\",\"b\":\"bob\"}", "{\"ok\":true,\"result\":null}" });
	struct run r;
	json_t *doc, *o;

	(void)state;
	r = pawctl(&f, "call", "list", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out,
		"ID  A      B     ADMIN  SINCE                LIVE\n"
		"3   alice  bob   no     2025-11-24 16:00:02  yes\n"
		"14  carol  dave  yes    2025-11-24 16:00:03  no\n");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-s", "call", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out,
		"ID  A      B     ADMIN  SINCE                LIVE  A>B-PKTS  A>B-BYTES  B>A-PKTS  B>A-BYTES\n"
		"3   alice  bob   no     2025-11-24 16:00:02  yes   120       10080      118       9912\n"
		"14  carol  dave  yes    2025-11-24 16:00:03  no    0         0          0         0\n");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-j", "call", "list", NULL);
	assert_int_equal(r.rc, 0);
	doc = parse_doc(r.out);
	o = json_array_get(doc, 0);
	assert_int_equal(ju64(o, "id"), 3);
	assert_int_equal(ju64(o, "since_ms"), 1764000002000ULL);
	assert_null(json_object_get(o, "a_to_b"));	/* counters are -s */
	json_decref(doc);
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-j", "-s", "call", "list", NULL);
	assert_int_equal(r.rc, 0);
	doc = parse_doc(r.out);
	o = json_array_get(doc, 0);
	assert_int_equal(ju64(json_object_get(o, "a_to_b"), "packets"), 120);
	assert_int_equal(ju64(json_object_get(o, "b_to_a"), "bytes"), 9912);
	json_decref(doc);
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "call", "add", "alice", "bob", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "");
	assert_req(&f, 0, "call.add", "{\"a\":\"alice\",\"b\":\"bob\"}");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-j", "call", "add", "alice", "bob", NULL);
	assert_int_equal(r.rc, 0);
	doc = parse_doc(r.out);
	assert_int_equal(ju64(doc, "id"), 3);
	assert_true(jbool(doc, "by_admin"));
	json_decref(doc);
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "call", "add", "alice", "zed", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "pawctl: client 'zed' has no known MAC\n");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "call", "del", "alice", "bob", NULL);
	assert_int_equal(r.rc, 0);
	assert_req(&f, 0, "call.del", "{\"a\":\"alice\",\"b\":\"bob\"}");
	fake_free(&f);
	run_free(&r);
}

/* ---- stats ---- */

static void test_stats(void **state)
{
	struct fake f = FAKE({ "stats", NULL, STATS_OK });
	struct run r;
	json_t *doc, *o;

	(void)state;
	r = pawctl(&f, "stats", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out,
		"REASON      ACTION    PACKETS           BYTES\n"
		"forward     redirect  238               19992\n"
		"no-call     drop      5                 490\n"
		"other-pass  pass      9007199254740993  0\n"
		"events-lost 4\n"
		"ear requests 20  accepted 18\n"
		"    refused auth 1 replay 1 bad-request 0\n");
	assert_req(&f, 0, "stats", NULL);
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-j", "stats", NULL);
	assert_int_equal(r.rc, 0);
	doc = parse_doc(r.out);
	o = json_object_get(json_object_get(doc, "reasons"), "other-pass");
	/* past 2^53 still printed exactly, as given */
	assert_non_null(strstr(r.out, "9007199254740993"));
	assert_true(json_is_integer(json_object_get(o, "packets")));
	assert_string_equal(jstr(o, "action"), "pass");
	assert_int_equal(ju64(json_object_get(json_object_get(doc, "ear"), "refused"), "replay"), 1);
	assert_int_equal(ju64(doc, "events_lost"), 4);
	/* reasons keep pawd's order */
	assert_true(strstr(r.out, "\"forward\"") < strstr(r.out, "\"no-call\""));
	json_decref(doc);
	fake_free(&f);
	run_free(&r);
}

static void test_stats_objects(void **state)
{
	struct fake f = FAKE({ "stats", "{\"port\":\"pa\"}", PORT_STATS("pa", 120, 12000, 118, 11800) },
			     { "stats", "{\"client\":\"alice\"}", CLIENT_STATS("alice") },
			     { "stats", "{\"call\":[\"alice\",\"bob\"]}",
			       "{\"ok\":true,\"result\":{\"id\":3,\"a\":\"alice\",\"b\":\"bob\","
			       "\"by_admin\":false,\"since_ms\":1764000002000,\"live\":true,"
			       "\"a_to_b\":{\"packets\":120,\"bytes\":10080},"
			       "\"b_to_a\":{\"packets\":118,\"bytes\":9912}}}" },
			     { "stats", "{\"call\":[\"alice\",\"carol\"]}",
			       "{\"ok\":false,\"code\":\"not-found\",\"error\":\"no call alice-carol\"}" });
	struct run r;
	json_t *doc;

	(void)state;
	r = pawctl(&f, "stats", "port", "pa", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out,
		"port pa  forwarded-in 120 packets 12000 bytes  forwarded-out 118 packets 11800 bytes\n"
		"REASON    ACTION  PACKETS  BYTES\n"
		"no-call   drop    5        490\n"
		"spoofed   drop    2        100\n"
		"operator  pass    7        700\n");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-j", "stats", "port", "pa", NULL);
	assert_int_equal(r.rc, 0);
	doc = parse_doc(r.out);
	assert_string_equal(jstr(doc, "port"), "pa");
	assert_int_equal(ju64(json_object_get(doc, "forwarded_in"), "packets"), 120);
	assert_int_equal(ju64(json_object_get(json_object_get(doc, "reasons"), "spoofed"),
			      "bytes"), 100);
	json_decref(doc);
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "stats", "client", "alice", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out,
		"client alice  sent 120 packets 10080 bytes  received 118 packets 9912 bytes\n"
		"PEER  SENT-PKTS  SENT-BYTES  RECV-PKTS  RECV-BYTES\n"
		"bob   120        10080       118        9912\n");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-j", "stats", "client", "alice", NULL);
	assert_int_equal(r.rc, 0);
	doc = parse_doc(r.out);
	assert_int_equal(ju64(json_object_get(json_array_get(json_object_get(doc, "calls"), 0),
					      "received"), "packets"), 118);
	json_decref(doc);
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "stats", "call", "alice", "bob", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out,
		"ID  A      B    ADMIN  SINCE                LIVE  A>B-PKTS  A>B-BYTES  B>A-PKTS  B>A-BYTES\n"
		"3   alice  bob  no     2025-11-24 16:00:02  yes   120       10080      118       9912\n");
	assert_req(&f, 0, "stats", "{\"call\":[\"alice\",\"bob\"]}");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-j", "stats", "call", "alice", "bob", NULL);
	assert_int_equal(r.rc, 0);
	doc = parse_doc(r.out);
	assert_true(json_is_object(doc));
	assert_int_equal(ju64(json_object_get(doc, "a_to_b"), "bytes"), 10080);
	json_decref(doc);
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "stats", "call", "alice", "carol", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "pawctl: no call alice-carol\n");
	fake_free(&f);
	run_free(&r);
}

/* ---- errors and the connection ---- */

static void test_errors(void **state)
{
	struct fake f = FAKE({ "port.list", NULL,
			       "{\"ok\":false,\"code\":\"invalid\",\"error\":\"unknown argument 'x'\"}" },
			     { "client.list", NULL, "{\"ok\":false,\"code\":\"failed\"}" },
			     { "call.list", NULL, "!this is not json" },
			     { "status", NULL, "!{\"ok\":true,\"id\":999,\"result\":{}}" },
			     { "client.del", NULL, NULL },
			     { "stats", NULL, "{\"result\":{}}" },
			     { "port.del", NULL,
			       "{\"ok\":false,\"code\":\"denied\",\"error\":\"port 'pa' is in the config file\"}" });
	struct run r;

	(void)state;
	/* "invalid" is the command line's fault: 2 */
	r = pawctl(&f, "port", "list", NULL);
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err, "pawctl: unknown argument 'x'\n");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "client", "list", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "pawctl: pawd refused: failed\n");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "port", "del", "pa", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "pawctl: port 'pa' is in the config file\n");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "call", "list", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "pawctl: pawd sent a line that is not JSON\n");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "-j", "status", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "pawctl: pawd answered another request (id mismatch)\n");
	assert_string_equal(r.out, "");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "client", "del", "alice", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "pawctl: pawd closed the connection\n");
	fake_free(&f);
	run_free(&r);

	r = pawctl(&f, "stats", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "pawctl: pawd sent an answer without \"ok\"\n");
	fake_free(&f);
	run_free(&r);
}

/* pawd refuses a peer (SO_PEERCRED) with one line and closes. */
static void test_denied_peer(void **state)
{
	struct fake f = { .greeting = "{\"ok\":false,\"code\":\"denied\","
				      "\"error\":\"permission denied: uid 1000 is not root nor in group paw\"}" };
	struct run r;

	(void)state;
	r = pawctl(&f, "status", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err,
		"pawctl: permission denied: uid 1000 is not root nor in group paw\n");
	assert_string_equal(r.out, "");
	fake_free(&f);
	run_free(&r);
}

static void test_unreachable(void **state)
{
	char dir[] = "/tmp/pawctl-nosock.XXXXXX", path[128];
	struct pawctl p = { 0 };
	char *err = NULL;
	size_t len;
	int fd, rc;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *argv[] = { "pawctl", "-S", path, "status", NULL };
	FILE *out, *errf;
	char *outs = NULL;
	size_t outl;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pawd.sock", dir);

	/* no file */
	out = open_memstream(&outs, &outl);
	errf = open_memstream(&err, &len);
	rc = pawctl_run(out, errf, 4, argv);
	fclose(out);
	fclose(errf);
	assert_int_equal(rc, 1);
	assert_string_equal(outs, "");
	assert_int_equal(strchr(err, '\n') - err + 1, (long)strlen(err));	/* one line */
	assert_non_null(strstr(err, "pawctl: cannot reach pawd at "));
	assert_non_null(strstr(err, ": No such file or directory (is pawd running?)"));
	free(outs);
	free(err);

	/* a socket file nobody listens on: pawd died */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	out = open_memstream(&outs, &outl);
	errf = open_memstream(&err, &len);
	rc = pawctl_run(out, errf, 4, argv);
	fclose(out);
	fclose(errf);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(err, ": Connection refused (is pawd running?)"));
	free(outs);
	free(err);
	unlink(path);
	rmdir(dir);

	/* permission: root passes file modes, so check the wording itself */
	p.sock_path = "/run/paw/pawd.sock";
	p.err = open_memstream(&err, &len);
	assert_int_equal(pawctl_conn_error(&p, -EACCES), 1);
	fclose(p.err);
	assert_string_equal(err, "pawctl: cannot reach pawd at /run/paw/pawd.sock: "
			    "Permission denied (only root or pawd's control group may use it)\n");
	free(err);
}

/* ctl_recv's own bound: a pawd that never answers. */
static void test_recv_timeout(void **state)
{
	struct fake f = { 0 };
	struct ctl_conn *c;
	json_t *msg;

	(void)state;
	fake_start(&f);
	assert_int_equal(ctl_open(&c, f.path, 1000), 0);
	/* nothing sent: the fake says nothing either */
	assert_int_equal(ctl_recv(c, &msg, 50, NULL), -ETIMEDOUT);
	assert_null(msg);
	ctl_close(c);
	fake_stop(&f);
	assert_int_equal(ctl_open(&c, "/nonexistent/pawd.sock", 1000), -ENOENT);
}

/* A pawd that no longer accepts: its backlog fills and connect() would
 * wait for room forever; pawctl gives up after its timeout. */
static void test_connect_timeout(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/pawctl-backlog.XXXXXX";
	struct ctl_conn *c[4] = { 0 };
	struct pawctl p = { 0 };
	int lfd, err = 0, n;
	char *msg = NULL;
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/pawd.sock", dir);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 0), 0);
	/* a backlog of 0 still queues one or two: fill it, bounded */
	for (n = 0; n < 4; n++) {
		err = ctl_open(&c[n], sa.sun_path, 100);
		if (err)
			break;
	}
	assert_int_equal(err, -ETIMEDOUT);
	p.sock_path = sa.sun_path;
	p.err = open_memstream(&msg, &len);
	assert_int_equal(pawctl_conn_error(&p, err), 1);
	fclose(p.err);
	assert_non_null(strstr(msg, "Connection timed out (pawd is not accepting connections)"));
	free(msg);
	for (int i = 0; i < n; i++)
		ctl_close(c[i]);
	close(lfd);
	unlink(sa.sun_path);
	rmdir(dir);
}

/* ---- monitor ---- */

static const char *const events[] = {
	"{\"event\":\"drop\",\"ts_ms\":1764000003000,\"reason\":\"no-call\",\"port\":\"pa\","
	"\"family\":4,\"src\":\"10.77.0.1\",\"dst\":\"10.77.0.3\",\"proto\":17,"
	"\"sport\":40000,\"dport\":9,\"len\":74}",
	"{\"event\":\"call\",\"ts_ms\":1764000004000,\"action\":\"placed\",\"a\":\"alice\","
	"\"b\":\"bob\",\"by\":\"alice\"}",
	"{\"event\":\"call\",\"ts_ms\":1764000005000,\"action\":\"hungup\",\"a\":\"alice\","
	"\"b\":\"bob\",\"by\":\"admin\"}",
	"{\"event\":\"port\",\"ts_ms\":1764000006000,\"action\":\"down\",\"port\":\"pb\"}",
	"{\"event\":\"drop\",\"ts_ms\":1764000007250,\"reason\":\"ip6-ext\",\"port\":\"pb\","
	"\"family\":6,\"src\":\"fd70::5\",\"dst\":\"fd70:a3::1\",\"proto\":58,\"len\":90}",
	"{\"event\":\"lost\",\"count\":3}",
	"{\"event\":\"weather\",\"ts_ms\":1764000008000,\"sky\":\"clear\"}",
};

#define MONITOR_OK "{\"ok\":true,\"result\":{\"events\":\"all\"}}"

static void test_monitor_count(void **state)
{
	struct fake f = FAKE({ "monitor", NULL, MONITOR_OK });
	struct run r;

	(void)state;
	f.events = events;
	f.nevents = PAW_ARRAY_SIZE(events);
	r = pawctl(&f, "monitor", "count", "7", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, "");
	assert_string_equal(r.out,
		"16:00:03.000 drop no-call port pa 10.77.0.1:40000 > 10.77.0.3:9 udp len 74\n"
		"16:00:04.000 call placed alice bob by alice\n"
		"16:00:05.000 call hungup alice bob by admin\n"
		"16:00:06.000 port down pb\n"
		"16:00:07.250 drop ip6-ext port pb fd70::5 > fd70:a3::1 icmpv6 len 90\n"
		"lost 3 events\n"
		"16:00:08.000 weather {\"event\":\"weather\",\"ts_ms\":1764000008000,\"sky\":\"clear\"}\n");
	assert_req(&f, 0, "monitor", "{\"events\":\"all\"}");
	fake_free(&f);
	run_free(&r);

	/* count stops early, the rest is never printed */
	f.events = events;
	f.nevents = PAW_ARRAY_SIZE(events);
	r = pawctl(&f, "-j", "-p", "monitor", "drops", "count", "2", NULL);
	assert_int_equal(r.rc, 0);
	assert_req(&f, 0, "monitor", "{\"events\":\"drops\"}");
	{
		/* one compact object per line, each pawd's event as sent */
		char *line = r.out, *nl;
		int n = 0;

		while ((nl = strchr(line, '\n'))) {
			json_t *ev, *want;

			*nl = '\0';
			ev = parse_doc(line);
			want = json_loads(events[n], 0, NULL);
			assert_true(json_equal(ev, want));
			json_decref(ev);
			json_decref(want);
			line = nl + 1;
			n++;
		}
		assert_int_equal(n, 2);
		assert_string_equal(line, "");
	}
	fake_free(&f);
	run_free(&r);
}

static void test_monitor_end(void **state)
{
	struct fake f = FAKE({ "monitor", NULL, MONITOR_OK });
	struct run r;

	(void)state;
	/* interrupted: exit 0, everything before it printed */
	f.events = events;
	f.nevents = 2;
	f.after = EV_SIGINT;
	r = pawctl(&f, "monitor", "calls", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, "");
	assert_non_null(strstr(r.out, "call placed alice bob by alice\n"));
	assert_req(&f, 0, "monitor", "{\"events\":\"calls\"}");
	fake_free(&f);
	run_free(&r);
	/* and SIGINT is back to its old disposition */
	{
		struct sigaction sa;

		sigaction(SIGINT, NULL, &sa);
		assert_ptr_equal(sa.sa_handler, SIG_DFL);
	}

	/* pawd going away ends it with 1 */
	f.events = events;
	f.nevents = 1;
	f.after = EV_CLOSE;
	r = pawctl(&f, "monitor", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "pawctl: pawd closed the connection\n");
	assert_non_null(strstr(r.out, "drop no-call"));
	fake_free(&f);
	run_free(&r);
}

static void test_monitor_refused(void **state)
{
	struct fake f = FAKE({ "monitor", NULL,
			       "{\"ok\":false,\"code\":\"limit\",\"error\":\"too many monitors\"}" });
	struct run r;

	(void)state;
	r = pawctl(&f, "-j", "monitor", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "pawctl: too many monitors\n");
	assert_string_equal(r.out, "");
	fake_free(&f);
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_port_list),
		cmocka_unit_test(test_port_add_del),
		cmocka_unit_test(test_client_list_show),
		cmocka_unit_test(test_client_show_allow_all),
		cmocka_unit_test(test_client_add),
		cmocka_unit_test(test_client_add_secret_file),
		cmocka_unit_test(test_call),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_stats_objects),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_denied_peer),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_recv_timeout),
		cmocka_unit_test(test_connect_timeout),
		cmocka_unit_test(test_monitor_count),
		cmocka_unit_test(test_monitor_end),
		cmocka_unit_test(test_monitor_refused),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
