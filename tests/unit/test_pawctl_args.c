// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pawctl's command line: every usage error is exit 2 with one line on
 * stderr and nothing on stdout, before pawd is asked anything; every
 * well-formed command gets as far as connecting (exit 1 and the "is pawd
 * running?" hint, against a socket that does not exist); help and -V
 * print on stdout and exit 0.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pawctl.h"

#define NOSOCK "/nonexistent/paw-test/pawd.sock"
#define ARGV_MAX 32

struct run {
	int rc;
	char *out, *err;
	size_t out_len, err_len;
};

/* pawctl -S NOSOCK ARGS... (NULL-terminated), output captured. */
static void run_argv(struct run *r, bool with_sock, const char *first, va_list ap)
{
	char *argv[ARGV_MAX];
	int argc = 0;
	FILE *out, *err;

	argv[argc++] = "pawctl";
	if (with_sock) {
		argv[argc++] = "-S";
		argv[argc++] = NOSOCK;
	}
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

static struct run run(const char *first, ...)
{
	struct run r = { 0 };
	va_list ap;

	va_start(ap, first);
	run_argv(&r, true, first, ap);
	va_end(ap);
	return r;
}

static struct run run_nosock(const char *first, ...)
{
	struct run r = { 0 };
	va_list ap;

	va_start(ap, first);
	run_argv(&r, false, first, ap);
	va_end(ap);
	return r;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* Exit 2, stdout empty, one "pawctl: " line on stderr containing `msg`. */
#define USAGE(msg, ...) do {							\
	struct run r_ = run(__VA_ARGS__, NULL);					\
	if (r_.rc != 2 || !strstr(r_.err, msg) || *r_.out ||			\
	    strncmp(r_.err, "pawctl: ", 8) || strchr(r_.err, '\n') != r_.err + strlen(r_.err) - 1) \
		fail_msg("%s:%d: rc %d, out '%s', err '%s' (wanted '%s')",	\
			 __FILE__, __LINE__, r_.rc, r_.out, r_.err, msg);	\
	run_free(&r_);								\
} while (0)

/* Parsed fine, then failed to connect: exit 1 with the hint. */
#define PARSES(...) do {							\
	struct run r_ = run(__VA_ARGS__, NULL);					\
	if (r_.rc != 1 || !strstr(r_.err, "cannot reach pawd at " NOSOCK	\
				  ": No such file or directory (is pawd running?)")) \
		fail_msg("%s:%d: rc %d, err '%s'", __FILE__, __LINE__, r_.rc, r_.err); \
	run_free(&r_);								\
} while (0)

/* help: usage on stdout, exit 0. */
#define HELP(want, ...) do {							\
	struct run r_ = run(__VA_ARGS__, NULL);					\
	if (r_.rc != 0 || !strstr(r_.out, want) || *r_.err)			\
		fail_msg("%s:%d: rc %d, out '%s', err '%s'", __FILE__, __LINE__, \
			 r_.rc, r_.out, r_.err);				\
	run_free(&r_);								\
} while (0)

static void test_global(void **state)
{
	struct run r;

	(void)state;
	r = run_nosock(NULL);
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "Usage: pawctl"));
	assert_string_equal(r.out, "");
	run_free(&r);

	r = run_nosock("-V", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "pawctl " PAWCTL_VERSION " (Paw Switchboard)\n");
	run_free(&r);
	r = run_nosock("--version", NULL);
	assert_int_equal(r.rc, 0);
	run_free(&r);
	r = run_nosock("--vers", NULL);		/* long options abbreviate */
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, PAWCTL_VERSION));
	run_free(&r);

	HELP("OBJECT := {", "help");
	HELP("pawctl client add NAME", "--help");
	HELP("pawctl call add", "-h");

	USAGE("option \"-x\" is unknown", "-x", "status");
	USAGE("option \"--bogus\" is unknown", "--bogus", "status");
	USAGE("option \"--s\" is ambiguous", "--s", "status");
	USAGE("option \"-S\" needs a PATH", "-S");
	USAGE("option \"--socket\" needs a PATH", "--socket");
	USAGE("option \"--json\" takes no value", "--json=yes", "status");
	USAGE("not a usable socket path",
	      "-S", "/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	      "status");
	USAGE("object \"bogus\" is unknown, try \"pawctl help\"", "bogus");
	USAGE("object \"c\" is ambiguous: client, call", "c");
	USAGE("object \"stat\" is ambiguous: status, stats", "stat");

	/* options: clustered, attached values, long forms, "--" */
	PARSES("-js", "status");
	PARSES("-jps", "status");
	PARSES("--json", "--pretty", "--stats", "status");
	PARSES("--", "status");
	r = run_nosock("-S/nonexistent/x.sock", "status", NULL);
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "/nonexistent/x.sock"));
	run_free(&r);
	r = run_nosock("--socket=/nonexistent/y.sock", "status", NULL);
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "/nonexistent/y.sock"));
	run_free(&r);
	/* the default socket is the documented one */
	r = run_nosock("status", NULL);
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "at /run/paw/pawd.sock:"));
	run_free(&r);
}

static void test_status(void **state)
{
	(void)state;
	PARSES("status");
	PARSES("stat" "us");
	PARSES("statu");
	HELP("Usage: pawctl status", "status", "help");
	USAGE("unexpected argument \"now\"", "status", "now");
}

static void test_port(void **state)
{
	(void)state;
	PARSES("port");
	PARSES("port", "list");
	PARSES("port", "l");
	PARSES("por", "li");
	USAGE("object \"po\" is ambiguous: port, postbox", "po", "list");
	PARSES("port", "add", "eth0");
	PARSES("port", "add", "eth0", "mode", "native");
	PARSES("port", "add", "eth0", "mode", "generic");
	PARSES("port", "add", "eth0", "mode", "auto");
	PARSES("port", "add", "eth0", "mo", "gen");
	PARSES("port", "del", "eth0");
	PARSES("port", "d", "eth0");
	HELP("pawctl port add DEV", "port", "help");
	HELP("pawctl port add DEV", "port", "he");

	USAGE("command \"bogus\" is unknown, try \"pawctl port help\"", "port", "bogus");
	USAGE("argument \"DEV\" is required", "port", "add");
	USAGE("argument \"DEV\" is required", "port", "del");
	USAGE("unexpected argument \"eth1\"", "port", "del", "eth0", "eth1");
	USAGE("unexpected argument \"x\"", "port", "list", "x");
	USAGE("unexpected argument \"x\"", "port", "add", "eth0", "x");
	USAGE("command line is not complete", "port", "add", "eth0", "mode");
	USAGE("argument \"fast\" is wrong: mode is auto, native or generic",
	      "port", "add", "eth0", "mode", "fast");
	USAGE("duplicate \"mode\": \"native\" is the second value",
	      "port", "add", "eth0", "mode", "auto", "mode", "native");
	USAGE("argument \"a/b\" is wrong: not a valid interface name", "port", "add", "a/b");
	USAGE("argument \"0123456789abcdef\" is wrong: not a valid interface name",
	      "port", "add", "0123456789abcdef");
	USAGE("argument \"..\" is wrong", "port", "del", "..");
	USAGE("argument \"\" is wrong", "port", "del", "");
}

static void test_client(void **state)
{
	(void)state;
	PARSES("client");
	PARSES("client", "list");
	PARSES("cl", "li");
	PARSES("client", "show", "alice");
	PARSES("client", "sh", "alice");
	PARSES("client", "del", "alice");
	PARSES("client", "add", "alice", "ipv4", "10.77.0.1", "port", "pa");
	PARSES("client", "add", "a.b_c-9", "port", "pa", "ipv4", "10.77.0.1",
	       "mac", "02:00:00:00:0a:01");
	PARSES("client", "a", "alice", "ip", "10.77.0.1", "po", "pa", "m", "02:00:00:00:0a:01");
	HELP("secret-file PATH", "client", "help");

	PARSES("client", "s", "alice");
	USAGE("command \"x\" is unknown", "client", "x");
	USAGE("argument \"NAME\" is required", "client", "add");
	USAGE("argument \"NAME\" is required", "client", "del");
	USAGE("argument \"NAME\" is required", "client", "show");
	USAGE("argument \"ipv4\" is required", "client", "add", "alice", "port", "pa");
	USAGE("argument \"port\" is required", "client", "add", "alice", "ipv4", "10.77.0.1");
	USAGE("command line is not complete", "client", "add", "alice", "ipv4");
	USAGE("command line is not complete", "client", "add", "alice", "ipv4", "10.77.0.1",
	      "port");
	USAGE("argument \"10.77.0\" is wrong: not an IPv4 address",
	      "client", "add", "alice", "ipv4", "10.77.0", "port", "pa");
	USAGE("argument \"10.77.0.256\" is wrong: not an IPv4 address",
	      "client", "add", "alice", "ipv4", "10.77.0.256", "port", "pa");
	USAGE("argument \"fd00::1\" is wrong: not an IPv4 address",
	      "client", "add", "alice", "ipv4", "fd00::1", "port", "pa");
	USAGE("argument \"02:00:00:00:0a\" is wrong: not a MAC address",
	      "client", "add", "alice", "ipv4", "10.77.0.1", "port", "pa", "mac", "02:00:00:00:0a");
	USAGE("argument \"02:00:00:00:0a:zz\" is wrong: not a MAC address",
	      "client", "add", "alice", "ipv4", "10.77.0.1", "port", "pa", "mac",
	      "02:00:00:00:0a:zz");
	USAGE("argument \"-alice\" is wrong: NAME must be",
	      "client", "add", "-alice", "ipv4", "10.77.0.1", "port", "pa");
	USAGE("argument \"al ice\" is wrong: NAME must be", "client", "show", "al ice");
	USAGE("argument \"abcdefghijabcdefghijabcdefghijabc\" is wrong",
	      "client", "del", "abcdefghijabcdefghijabcdefghijabc");
	USAGE("duplicate \"ipv4\": \"10.77.0.2\" is the second value",
	      "client", "add", "alice", "ipv4", "10.77.0.1", "ipv4", "10.77.0.2", "port", "pa");
	USAGE("unexpected argument \"color\"",
	      "client", "add", "alice", "ipv4", "10.77.0.1", "port", "pa", "color", "red");
	USAGE("argument \"force\" is wrong: only goes with secret-file",
	      "client", "add", "alice", "ipv4", "10.77.0.1", "port", "pa", "force");
	USAGE("duplicate \"force\"",
	      "client", "add", "alice", "ipv4", "10.77.0.1", "port", "pa", "secret-file", "/x",
	      "force", "force");
	USAGE("secret-file needs a PATH",
	      "client", "add", "alice", "ipv4", "10.77.0.1", "port", "pa", "secret-file", "");
	USAGE("unexpected argument \"bob\"", "client", "del", "alice", "bob");
	USAGE("unexpected argument \"bob\"", "client", "show", "alice", "bob");
	USAGE("unexpected argument \"bob\"", "client", "list", "bob");
}

static void test_call(void **state)
{
	(void)state;
	PARSES("call");
	PARSES("call", "list");
	PARSES("ca", "l");
	PARSES("call", "add", "alice", "bob");
	PARSES("call", "del", "alice", "bob");
	HELP("pawctl call add NAME1 NAME2", "call", "help");

	USAGE("argument \"NAME1\" is required", "call", "add");
	USAGE("argument \"NAME2\" is required", "call", "add", "alice");
	USAGE("argument \"NAME2\" is required", "call", "del", "alice");
	USAGE("argument \"alice\" is wrong: a client cannot call itself",
	      "call", "add", "alice", "alice");
	USAGE("argument \"b b\" is wrong: NAME2 must be", "call", "add", "alice", "b b");
	USAGE("argument \"\" is wrong: NAME1 must be", "call", "del", "", "bob");
	USAGE("unexpected argument \"carol\"", "call", "add", "alice", "bob", "carol");
	USAGE("unexpected argument \"x\"", "call", "list", "x");
	USAGE("command \"hang\" is unknown", "call", "hang", "alice", "bob");
}

static void test_stats(void **state)
{
	(void)state;
	PARSES("stats");
	PARSES("stats", "port", "pa");
	PARSES("stats", "client", "alice");
	PARSES("stats", "call", "alice", "bob");
	PARSES("stats", "cl", "alice");
	PARSES("stats", "ca", "alice", "bob");
	HELP("pawctl stats [ port DEV", "stats", "help");

	USAGE("argument \"c\" is ambiguous: client, call", "stats", "c", "alice");
	USAGE("unexpected argument \"everything\"", "stats", "everything");
	USAGE("argument \"DEV\" is required", "stats", "port");
	USAGE("argument \"NAME\" is required", "stats", "client");
	USAGE("argument \"NAME1\" is required", "stats", "call");
	USAGE("argument \"NAME2\" is required", "stats", "call", "alice");
	USAGE("unexpected argument \"pb\"", "stats", "port", "pa", "pb");
	USAGE("unexpected argument \"x\"", "stats", "call", "alice", "bob", "x");
	USAGE("argument \"a/b\" is wrong", "stats", "port", "a/b");
	USAGE("argument \"?\" is wrong", "stats", "client", "?");
}

static void test_monitor(void **state)
{
	(void)state;
	PARSES("monitor");
	PARSES("monitor", "drops");
	PARSES("monitor", "calls");
	PARSES("monitor", "ports");
	PARSES("monitor", "all");
	PARSES("monitor", "all", "count", "3");
	PARSES("monitor", "count", "1", "drops");
	PARSES("mon", "dr", "co", "5");
	HELP("monitor [ drops | calls | ports | all ]", "monitor", "help");

	USAGE("command line is not complete", "monitor", "count");
	USAGE("argument \"0\" is wrong: not a number in 1-", "monitor", "count", "0");
	USAGE("argument \"-1\" is wrong", "monitor", "count", "-1");
	USAGE("argument \"ten\" is wrong", "monitor", "count", "ten");
	USAGE("argument \"99999999999\" is wrong", "monitor", "count", "99999999999");
	USAGE("duplicate \"count\"", "monitor", "count", "1", "count", "2");
	USAGE("duplicate \"events\": \"calls\" is the second value", "monitor", "drops", "calls");
	USAGE("unexpected argument \"errors\"", "monitor", "errors");
	USAGE("argument \"c\" is ambiguous: calls, count", "monitor", "c");
}

/* postbox: parsed fine, then the secret file is missing: exit 1. */
#define NOKEY "/nonexistent/paw-test/alice.key"
#define PB_PARSES(...) do {							\
	struct run r_ = run("postbox", "name", "alice", "secret-file", NOKEY, __VA_ARGS__, NULL); \
	if (r_.rc != 1 || !strstr(r_.err, "cannot read a secret from " NOKEY	\
				  ": No such file or directory"))		\
		fail_msg("%s:%d: rc %d, err '%s'", __FILE__, __LINE__, r_.rc, r_.err); \
	run_free(&r_);								\
} while (0)
#define PB_USAGE(msg, ...) USAGE(msg, "postbox", "name", "alice", "secret-file", NOKEY, \
				 __VA_ARGS__)

static void test_postbox(void **state)
{
	(void)state;
	PB_PARSES("status");
	PB_PARSES("st");
	PB_PARSES("register", "ipv4", "10.77.0.1");
	PB_PARSES("register", "ipv4", "10.77.0.1", "mac", "02:00:00:00:0a:01", "allow",
		  "bob,carol", "max-calls", "4", "postbox-max", "10", "retention", "3600");
	PB_PARSES("register", "allow-all", "ipv4", "10.77.0.1");
	PB_PARSES("register", "ipv4", "10.77.0.1", "allow-none", "max-calls", "0");
	PB_PARSES("set", "allow-all");
	PB_PARSES("set", "max-calls", "2", "retention", "0");
	PB_PARSES("call", "bob");
	PB_PARSES("hangup", "bob");
	PB_PARSES("ha", "bob");
	PB_USAGE("argument \"h\" is ambiguous: hangup, help", "h");
	PB_PARSES("post", "bob", "hello");
	PB_PARSES("post", "bob", "hello", "there", "bob");
	PB_PARSES("fetch");
	PB_PARSES("fetch", "max", "5");
	PB_PARSES("fetch", "ack");
	PB_PARSES("fetch", "ack", "max", "32");
	PB_PARSES("ack", "1", "2", "18446744073709551615");
	/* options in any order before the verb */
	{
		struct run r = run("postbox", "tcp", "secret-file", NOKEY, "server", "[::1]:5353",
				   "timeout", "100", "retries", "0", "name", "alice", "status", NULL);

		assert_int_equal(r.rc, 1);
		assert_non_null(strstr(r.err, "cannot read a secret"));
		run_free(&r);
	}
	HELP("name NAME secret-file PATH VERB", "postbox", "help");
	HELP("name NAME secret-file PATH VERB", "postbox", "name", "alice", "help");

	USAGE("object \"p\" is ambiguous: port, postbox", "p");
	USAGE("command line is not complete", "postbox");
	USAGE("command line is not complete", "postbox", "name", "alice");
	USAGE("command line is not complete", "postbox", "name");
	USAGE("argument \"name\" is required", "postbox", "secret-file", NOKEY, "status");
	USAGE("argument \"secret-file\" is required", "postbox", "name", "alice", "status");
	USAGE("argument \"a b\" is wrong: NAME must be", "postbox", "name", "a b", "status");
	USAGE("duplicate \"name\"", "postbox", "name", "alice", "name", "bob", "status");
	USAGE("duplicate \"udp|tcp\"", "postbox", "udp", "tcp", "status");
	USAGE("duplicate \"server\"", "postbox", "server", "a", "server", "b", "status");
	USAGE("argument \"s\" is ambiguous: server, secret-file, set, status", "postbox", "s");
	USAGE("unexpected argument \"shout\"", "postbox", "shout");
	USAGE("argument \"0\" is wrong: not a number in 1-600000",
	      "postbox", "timeout", "0", "status");
	USAGE("argument \"101\" is wrong", "postbox", "retries", "101", "status");

	PB_USAGE("argument \"ipv4\" is required", "register");
	PB_USAGE("argument \"10.0.0\" is wrong: not an IPv4 address", "register", "ipv4", "10.0.0");
	PB_USAGE("argument \"02:00\" is wrong: not a MAC address",
		 "register", "ipv4", "10.77.0.1", "mac", "02:00");
	PB_USAGE("duplicate \"allow\"", "register", "ipv4", "10.77.0.1", "allow", "bob",
		 "allow-all");
	PB_USAGE("duplicate \"allow\"", "set", "allow-all", "allow-none");
	PB_USAGE("duplicate \"max-calls\"", "set", "max-calls", "1", "max-calls", "2");
	PB_USAGE("duplicate \"ipv4\"", "register", "ipv4", "10.77.0.1", "ipv4", "10.77.0.2");
	PB_USAGE("argument \"b b\" is wrong: each allowed NAME must be", "set", "allow", "bob,b b");
	PB_USAGE("argument \",\" is wrong: allow takes NAME,...", "set", "allow", ",");
	PB_USAGE("argument \"x\" is wrong: not a number", "set", "max-calls", "x");
	PB_USAGE("argument \"-1\" is wrong", "set", "retention", "-1");
	PB_USAGE("argument \"4294967296\" is wrong", "set", "postbox-max", "4294967296");
	PB_USAGE("set needs at least one of", "set");
	PB_USAGE("unexpected argument \"ipv4\"", "set", "ipv4", "10.77.0.1");	/* register's */
	PB_USAGE("command line is not complete", "set", "max-calls");
	PB_USAGE("argument \"PEER\" is required", "call");
	PB_USAGE("argument \"PEER\" is required", "hangup");
	PB_USAGE("argument \"PEER\" is required", "post");
	PB_USAGE("argument \"TEXT\" is required", "post", "bob");
	PB_USAGE("unexpected argument \"carol\"", "call", "bob", "carol");
	PB_USAGE("argument \"bo b\" is wrong: PEER must be", "call", "bo b");
	PB_USAGE("argument \"0\" is wrong: not a number in 1-32", "fetch", "max", "0");
	PB_USAGE("argument \"33\" is wrong", "fetch", "max", "33");
	PB_USAGE("duplicate \"ack\"", "fetch", "ack", "ack");
	PB_USAGE("unexpected argument \"all\"", "fetch", "all");
	PB_USAGE("argument \"ID\" is required", "ack");
	PB_USAGE("argument \"x1\" is wrong: an ID is a message number", "ack", "1", "x1");
	PB_USAGE("argument \"0\" is wrong: an ID", "ack", "0");
	PB_USAGE("unexpected argument \"now\"", "status", "now");
	{
		/* a message is at most PAW_PB_TEXT_MAX bytes, joined words too */
		char big[1002];

		memset(big, 'x', sizeof(big) - 1);
		big[1001] = '\0';
		PB_USAGE("a message is at most 1000 bytes", "post", "bob", big);
		big[1000] = '\0';
		PB_PARSES("post", "bob", big);
		big[999] = '\0';
		PB_USAGE("a message is at most 1000 bytes", "post", "bob", big, "y");
		PB_PARSES("post", "bob", big, "");	/* 999 + the space */
	}
	{
		/* ack takes at most PAW_PB_ACK_MAX ids */
		char *argv[80];
		struct run r = { 0 };
		FILE *out, *err;
		int argc = 0;

		argv[argc++] = "pawctl";
		argv[argc++] = "postbox";
		argv[argc++] = "name";
		argv[argc++] = "alice";
		argv[argc++] = "secret-file";
		argv[argc++] = NOKEY;
		argv[argc++] = "ack";
		for (int i = 0; i < 65; i++)
			argv[argc++] = "7";
		argv[argc] = NULL;
		out = open_memstream(&r.out, &r.out_len);
		err = open_memstream(&r.err, &r.err_len);
		r.rc = pawctl_run(out, err, argc, argv);
		fclose(out);
		fclose(err);
		assert_int_equal(r.rc, 2);
		assert_non_null(strstr(r.err, "at most 64 IDs at once"));
		run_free(&r);
	}
}

static void test_match(void **state)
{
	static const char *const names[] = { "add", "del", "delete", "list" };

	(void)state;
	assert_int_equal(pawctl_match("add", names, 4), 0);
	assert_int_equal(pawctl_match("a", names, 4), 0);
	assert_int_equal(pawctl_match("del", names, 4), 1);	/* exact beats prefix */
	assert_int_equal(pawctl_match("dele", names, 4), 2);
	assert_int_equal(pawctl_match("de", names, 4), -2);
	assert_int_equal(pawctl_match("x", names, 4), -1);
	assert_int_equal(pawctl_match("", names, 4), -1);
	assert_int_equal(pawctl_match("listx", names, 4), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_global),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_client),
		cmocka_unit_test(test_call),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_monitor),
		cmocka_unit_test(test_postbox),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
