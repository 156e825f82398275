// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libpawclient against a real pawd: linked with libpawclient.a alone, as
 * any C program would be, and run by tests/e2e/test_libpawclient.sh inside
 * a client's network namespace. Every call of the library, over UDP and
 * TCP, and the refusals a client can meet.
 *
 * Environment (set by the shell test): PAW_A, PAW_A_KEY, PAW_A_IPV4 (the
 * client we are), PAW_B, PAW_B_KEY (its peer). The server is the default,
 * MainBackend.abc:53, resolved through the namespace's /etc/hosts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "paw/pawclient.h"

static const char *env(const char *k)
{
	const char *v = getenv(k);

	if (!v || !*v)
		fail_msg("%s is not set: run me from tests/e2e/test_libpawclient.sh", k);
	return v;
}

static struct pawclient *open_as(const char *who, const char *key, bool tcp)
{
	struct pawclient_opts o = { .name = who, .secret_file = key, .tcp = tcp,
				    .timeout_ms = 2000 };
	struct pawclient *c;

	assert_int_equal(pawclient_open(&c, &o), 0);
	return c;
}

static struct paw_pb_reply *R;

static void expect_status(int rc, int status)
{
	assert_int_equal(rc, 0);
	if (R->status != status)
		fail_msg("status %s (%s), expected %s", paw_pb_status_name(R->status), R->text,
			 paw_pb_status_name(status));
	assert_true(R->signed_);	/* every answer to us is signed */
}

static void verbs(bool tcp)
{
	struct pawclient *a = open_as(env("PAW_A"), env("PAW_A_KEY"), tcp);
	struct pawclient *b = open_as(env("PAW_B"), env("PAW_B_KEY"), tcp);
	struct paw_pb_soil soil = { .present = PAW_PB_SOIL_MAX_CALLS | PAW_PB_SOIL_POSTBOX_MAX,
				    .max_calls = 4, .postbox_max = 10 };
	const char *bname = env("PAW_B");
	char text[64];
	__be32 ip;
	__u64 ids[PAW_PB_FETCH_MAX];

	assert_int_equal(inet_pton(AF_INET, env("PAW_A_IPV4"), &ip), 1);
	expect_status(pawclient_register(a, ip, NULL, &soil, R), PAW_PB_OK);
	expect_status(pawclient_set(a, &soil, R), PAW_PB_OK);

	expect_status(pawclient_status(a, R), PAW_PB_OK);
	assert_string_equal(R->info.name, env("PAW_A"));
	assert_true(R->info.registered);
	assert_int_equal(R->info.ipv4, ip);
	assert_int_equal(R->info.soil.max_calls, 4);
	assert_int_equal(R->info.soil.postbox_max, 10);

	expect_status(pawclient_call(a, bname, R), PAW_PB_OK);
	assert_int_not_equal(R->call_id, 0);
	expect_status(pawclient_status(a, R), PAW_PB_OK);
	assert_int_equal(R->info.n_calls, 1);
	assert_string_equal(R->info.calls[0], bname);
	expect_status(pawclient_call(a, bname, R), PAW_PB_OK);	/* again: idempotent */
	expect_status(pawclient_hangup(a, bname, R), PAW_PB_OK);
	expect_status(pawclient_hangup(a, bname, R), PAW_PB_NOT_FOUND);

	/* Three posts, one repeated with the same id: stored once. */
	for (int i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), "%s note %d", tcp ? "tcp" : "udp", i);
		expect_status(pawclient_post(a, bname, text, strlen(text), 1000 + i, R), PAW_PB_OK);
	}
	expect_status(pawclient_post(a, bname, "dup", 3, 1000, R), PAW_PB_OK);
	expect_status(pawclient_fetch(b, 0, R), PAW_PB_OK);
	assert_int_equal(R->n_msgs, 3);
	for (int i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), "%s note %d", tcp ? "tcp" : "udp", i);
		assert_string_equal(R->msgs[i].text, text);
		assert_string_equal(R->msgs[i].from, env("PAW_A"));
		ids[i] = R->msgs[i].id;
	}
	/* Not acknowledged: still there. Acknowledged: gone. */
	expect_status(pawclient_fetch(b, 1, R), PAW_PB_OK);
	assert_int_equal(R->n_msgs, 1);
	assert_true(R->more);
	expect_status(pawclient_ack(b, ids, 3, R), PAW_PB_OK);
	expect_status(pawclient_fetch(b, 0, R), PAW_PB_OK);
	assert_int_equal(R->n_msgs, 0);

	expect_status(pawclient_call(a, "nobody-here", R), PAW_PB_NOT_FOUND);
	expect_status(pawclient_call(a, env("PAW_A"), R), PAW_PB_DENIED);
	pawclient_close(a);
	pawclient_close(b);
}

static void test_udp(void **state)
{
	(void)state;
	verbs(false);
}

static void test_tcp(void **state)
{
	(void)state;
	verbs(true);
}

/* The wrong secret: refused before anything is looked at, unsigned. */
static void test_wrong_secret(void **state)
{
	__u8 bad[PAW_PB_SECRET_LEN] = { 1, 2, 3 };
	struct pawclient_opts o = { .name = env("PAW_A"), .secret = bad, .timeout_ms = 2000 };
	struct pawclient *c;
	int rc;

	(void)state;
	assert_int_equal(pawclient_open(&c, &o), 0);
	rc = pawclient_status(c, R);
	assert_int_equal(rc, 0);
	assert_int_equal(R->status, PAW_PB_AUTH);
	assert_false(R->signed_);
	pawclient_close(c);
}

/* A server that does not answer: a clean timeout, not a hang. */
static void test_no_server(void **state)
{
	struct pawclient_opts o = { .name = env("PAW_A"), .secret_file = env("PAW_A_KEY"),
				    .server = "[fd70:a3::dead]:53", .timeout_ms = 200,
				    .retries = 1 };
	struct pawclient *c;
	int rc;

	(void)state;
	/* No route to it fails at open; a route to nobody times out. */
	rc = pawclient_open(&c, &o);
	if (rc == 0) {
		rc = pawclient_status(c, R);
		pawclient_close(c);
	}
	assert_true(rc == -ETIMEDOUT || rc == -EHOSTUNREACH || rc == -ENETUNREACH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_wrong_secret),
		cmocka_unit_test(test_no_server),
	};

	R = calloc(1, sizeof(*R));
	if (!R)
		return 1;
	return cmocka_run_group_tests_name("libpawclient live", tests, NULL, NULL);
}
