// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ear's reply queue (daemon/ear.c) against pawd's rule: a reply
 * leaves only at ear_flush(), which the loop calls after the batch's
 * commit. The ear listens on [::1] (a port of its own); requests are
 * real datagrams, the loop's steps are driven by hand.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <sodium.h>

#include "pawd.h"
#include "log.h"
#include "util.h"

struct fx {
	char dir[64];
	struct pawd d;
	__u8 secret[PAW_PB_SECRET_LEN];
	int cl;			/* the client's UDP socket, connected to the ear */
	bool no_ear;		/* no IPv6 loopback here: the tests skip */
	__u32 req_id;
};

/* main.c's, which the daemon's library leaves out. */
int pawd_watch_add(struct pawd *d, struct pawd_watch *w, __u32 events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, w->fd, &ev) ? -errno : 0;
}

int pawd_watch_mod(struct pawd *d, struct pawd_watch *w, __u32 events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(d->epfd, EPOLL_CTL_MOD, w->fd, &ev) ? -errno : 0;
}

void pawd_watch_del(struct pawd *d, struct pawd_watch *w)
{
	if (w->fd >= 0)
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

void pawd_monitor_drops(struct pawd *d, bool on)
{
	(void)d;
	(void)on;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct paw_store_opts so = { .create = true };
	struct paw_store_client c = { 0 };
	struct sockaddr_in6 ear = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	char path[128], db[128], err[256];
	FILE *cf;
	int port;

	if (!f || sodium_init() < 0)
		return -1;
	strcpy(f->dir, "/tmp/paw-ear-test.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	/* A port of our own, away from other runs of this test. */
	port = 20000 + getpid() % 20000;
	snprintf(path, sizeof(path), "%s/pawd.conf", f->dir);
	snprintf(db, sizeof(db), "%s/paw.db", f->dir);
	cf = fopen(path, "w");
	if (!cf)
		return -1;
	fprintf(cf, "[ear]\naddress = ::1\nport = %d\ntcp = no\n[store]\npath = %s\n"
		"group_commit = yes\n[control]\nsocket = %s/sock\n", port, db, f->dir);
	fclose(cf);
	if (paw_cfg_load(path, &f->d.cfg, err, sizeof(err))) {
		print_error("config: %s\n", err);
		return -1;
	}
	so.path = db;
	if (paw_store_open(&f->d.store, &so))
		return -1;
	snprintf(c.name, sizeof(c.name), "alice");
	snprintf(c.port, sizeof(c.port), "pa");
	c.ipv4 = htonl(0x0a4d0001);
	randombytes_buf(c.secret, sizeof(c.secret));
	memcpy(f->secret, c.secret, sizeof(f->secret));
	c.soil.present = PAW_PB_SOIL_ALLOW | PAW_PB_SOIL_MAX_CALLS | PAW_PB_SOIL_POSTBOX_MAX |
			 PAW_PB_SOIL_RETENTION;
	c.soil.allow_all = true;
	c.soil.max_calls = 8;
	c.soil.postbox_max = 100;
	c.soil.retention_s = 3600;
	if (paw_store_client_add(f->d.store, &c))
		return -1;
	f->d.replay = paw_pb_replay_new(30000, 64, paw_now_ms() - 1000);
	f->d.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!f->d.replay || f->d.epfd < 0)
		return -1;
	paw_log_init("test_ear", PAW_LOG_ERR, false);
	f->cl = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ear.sin6_port = htons(port);
	f->no_ear = f->cl < 0 || ear_start(&f->d) ||
		    connect(f->cl, (struct sockaddr *)&ear, sizeof(ear));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ear_free(&f->d);
	paw_store_close(f->d.store);
	paw_pb_replay_free(f->d.replay);
	free(f->d.undo);
	if (f->d.epfd >= 0)
		close(f->d.epfd);
	if (f->cl >= 0)
		close(f->cl);
	nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void need_ear(struct fx *f)
{
	if (f->no_ear)
		skip();
}

/* Send a request as alice. */
static void send_req(struct fx *f, struct paw_pb_req *req)
{
	__u8 buf[PAW_PB_UDP_MAX];
	int n;

	req->req_id = ++f->req_id;
	req->ts_ms = paw_now_ms();
	randombytes_buf(req->nonce, sizeof(req->nonce));
	snprintf(req->name, sizeof(req->name), "alice");
	n = paw_pb_req_encode(req, f->secret, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(send(f->cl, buf, n, 0), n);
}

/* One turn of pawd's loop up to, not including, the commit: every ready
 * watch runs. */
static void loop_events(struct fx *f)
{
	struct epoll_event evs[8];
	int n = epoll_wait(f->d.epfd, evs, 8, 2000);

	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		struct pawd_watch *w = evs[i].data.ptr;

		w->fn(&f->d, w, evs[i].events);
	}
}

/* A reply waiting on the client's socket, within ms? */
static bool reply_within(struct fx *f, int ms, struct paw_pb_reply *rep)
{
	struct pollfd p = { .fd = f->cl, .events = POLLIN };
	__u8 buf[PAW_PB_UDP_MAX + 1];
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return false;
	n = recv(f->cl, buf, sizeof(buf), MSG_DONTWAIT);
	assert_true(n > 0);
	assert_int_equal(paw_pb_reply_decode(buf, n, f->secret, rep), 0);
	return true;
}

static void test_reply_waits_for_commit(void **state)
{
	struct fx *f = *state;
	struct paw_pb_req req = { .type = PAW_PB_SET };
	struct paw_pb_reply *rep = calloc(1, sizeof(*rep));
	struct paw_store_client c;

	need_ear(f);
	assert_non_null(rep);
	req.soil.present = PAW_PB_SOIL_MAX_CALLS;
	req.soil.max_calls = 3;
	send_req(f, &req);
	loop_events(f);
	/* Decided and held: the batch's transaction is open. */
	assert_true(f->d.in_batch);
	assert_false(reply_within(f, 100, rep));
	/* The loop's timer runs in the same batch: it must not send it. */
	ear_tick(&f->d, paw_mono_ms());
	assert_false(reply_within(f, 100, rep));
	/* Commit, then flush: now it goes, and the change is stored. */
	assert_int_equal(pawd_batch_end(&f->d), 0);
	ear_flush(&f->d, 0);
	assert_true(reply_within(f, 1000, rep));
	assert_int_equal(rep->status, PAW_PB_OK);
	assert_true(rep->signed_);
	assert_int_equal(paw_store_client_get(f->d.store, "alice", &c), 0);
	assert_int_equal(c.soil.max_calls, 3);
	free(rep);
}

static void test_reads_share_the_batch(void **state)
{
	struct fx *f = *state;
	struct paw_pb_req req = { .type = PAW_PB_STATUS };
	struct paw_pb_reply *rep = calloc(1, sizeof(*rep));

	need_ear(f);
	assert_non_null(rep);
	send_req(f, &req);
	send_req(f, &req);
	loop_events(f);
	/* Both read in one transaction, which changed nothing: rolled back. */
	assert_true(f->d.in_batch);
	assert_false(f->d.batch_dirty);
	assert_int_equal(pawd_batch_end(&f->d), 0);
	assert_false(f->d.in_batch);
	ear_flush(&f->d, 0);
	for (int i = 0; i < 2; i++) {
		assert_true(reply_within(f, 1000, rep));
		assert_int_equal(rep->status, PAW_PB_OK);
		assert_string_equal(rep->info.name, "alice");
	}
	free(rep);
}

static void test_failed_commit_says_internal(void **state)
{
	struct fx *f = *state;
	struct paw_pb_req req = { .type = PAW_PB_SET };
	struct paw_pb_reply *rep = calloc(1, sizeof(*rep));

	need_ear(f);
	assert_non_null(rep);
	req.soil.present = PAW_PB_SOIL_MAX_CALLS;
	req.soil.max_calls = 5;
	send_req(f, &req);
	loop_events(f);
	ear_tick(&f->d, paw_mono_ms());
	/* As when the commit fails: roll back and turn held replies into
	 * INTERNAL refusals. */
	assert_int_equal(paw_store_rollback(f->d.store), 0);
	f->d.in_batch = false;
	ear_flush(&f->d, -EIO);
	assert_true(reply_within(f, 1000, rep));
	assert_int_equal(rep->status, PAW_PB_INTERNAL);
	free(rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reply_waits_for_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reads_share_the_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_commit_says_internal, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
