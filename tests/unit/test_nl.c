// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lib/nl against the running kernel: every function, in a private
 * network namespace made with unshare(CLONE_NEWNET), so nothing on the
 * host is touched. A second namespace, held only by an fd (no name, no
 * mount), receives a veth peer; both vanish when the test exits.
 *
 * Needs root. Without it every test is reported SKIPPED with the reason.
 * Results are cross-checked with iproute2's `ip` where lib/nl has no
 * getter of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "nl.h"

static struct {
	bool ready;
	char why[256];
	struct paw_nl *nl;
	int test_ns;	/* our private namespace */
	int peer_ns;	/* the veth peer's */
} W = { .test_ns = -1, .peer_ns = -1 };

#define REQUIRE_WORLD()                                         \
	do {                                                    \
		if (!W.ready) {                                 \
			print_message("SKIP: %s\n", W.why);     \
			skip();                                 \
		}                                               \
	} while (0)

static const __u8 MAC1[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
static const __u8 MAC2[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x02 };

static int open_ns_self(void)
{
	return open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
}

static int group_setup(void **state)
{
	int err;

	(void)state;
	if (geteuid() != 0) {
		snprintf(W.why, sizeof(W.why), "needs root for network namespaces and rtnetlink");
		return 0;
	}
	/* The peer's namespace first, kept by its fd, then ours. */
	if (unshare(CLONE_NEWNET) || (W.peer_ns = open_ns_self()) < 0 ||
	    unshare(CLONE_NEWNET) || (W.test_ns = open_ns_self()) < 0) {
		snprintf(W.why, sizeof(W.why), "cannot create a network namespace: %s",
			 strerror(errno));
		return 0;
	}
	err = paw_nl_open(&W.nl);
	if (err) {
		snprintf(W.why, sizeof(W.why), "paw_nl_open: %s", strerror(-err));
		return 0;
	}
	W.ready = true;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	paw_nl_close(W.nl);
	if (W.test_ns >= 0)
		close(W.test_ns);
	if (W.peer_ns >= 0)
		close(W.peer_ns);
	return 0;
}

/* First line of a command's output containing `needle`, or false. */
static bool cmd_has(const char *cmd, const char *needle)
{
	char line[1024];
	bool found = false;
	FILE *f = popen(cmd, "r");

	assert_non_null(f);
	for (int i = 0; i < 10000 && fgets(line, sizeof(line), f); i++)
		if (strstr(line, needle))
			found = true;
	pclose(f);
	return found;
}

static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	buf[0] = '\0';
	assert_non_null(fgets(buf, (int)len, f));
	fclose(f);
}

static __u32 ifindex_of(const char *name)
{
	struct paw_nl_link l;

	assert_int_equal(paw_nl_link_get(W.nl, name, &l), 0);
	return l.ifindex;
}

static void v4(const char *s, struct in_addr *a)
{
	assert_int_equal(inet_pton(AF_INET, s, a), 1);
}

static void v6(const char *s, struct in6_addr *a)
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

/* A veth pair of our own for a test; deleted by the test. */
static __u32 make_veth(const char *name, const char *peer)
{
	assert_int_equal(paw_nl_veth_add(W.nl, name, peer, -1), 0);
	return ifindex_of(name);
}

/* ---- tests ---- */

static void test_open_close(void **state)
{
	struct paw_nl *nl = NULL;

	(void)state;
	REQUIRE_WORLD();
	assert_int_equal(paw_nl_open(&nl), 0);
	assert_non_null(nl);
	assert_string_equal(paw_nl_errmsg(nl), "");
	paw_nl_close(nl);
	paw_nl_close(NULL);
	assert_string_equal(paw_nl_errmsg(NULL), "");
}

/* Every fd lib/nl makes is close-on-exec. */
static void test_cloexec(void **state)
{
	struct paw_nl_monitor *m = NULL;
	struct paw_nl *nl = NULL;
	int fl, fd;

	(void)state;
	REQUIRE_WORLD();
	assert_int_equal(paw_nl_open(&nl), 0);
	assert_int_equal(paw_nl_monitor_open(&m), 0);
	fd = paw_nl_monitor_fd(m);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	fl = fcntl(fd, F_GETFL);
	assert_true(fl & O_NONBLOCK);
	/* The request socket has no accessor: look at every fd we have. */
	{
		DIR *d = opendir("/proc/self/fd");
		struct dirent *de;
		int n = 0;

		assert_non_null(d);
		while ((de = readdir(d)) && n++ < 4096) {
			int f = atoi(de->d_name);
			char link[64], target[256];
			ssize_t len;

			if (de->d_name[0] == '.' || f <= 2 || f == dirfd(d))
				continue;
			snprintf(link, sizeof(link), "/proc/self/fd/%d", f);
			len = readlink(link, target, sizeof(target) - 1);
			if (len <= 0)
				continue;
			target[len] = '\0';
			if (strncmp(target, "socket:", 7))
				continue;
			print_message("# fd %d %s cloexec=%d\n", f, target,
				      !!(fcntl(f, F_GETFD) & FD_CLOEXEC));
			assert_true(fcntl(f, F_GETFD) & FD_CLOEXEC);
		}
		closedir(d);
	}
	paw_nl_monitor_close(m);
	paw_nl_monitor_close(NULL);
	paw_nl_close(nl);
}

static void test_link_get(void **state)
{
	struct paw_nl_link l, k;

	(void)state;
	REQUIRE_WORLD();
	assert_int_equal(paw_nl_link_get(W.nl, "lo", &l), 0);
	assert_int_equal(l.ifindex, 1);
	assert_string_equal(l.name, "lo");
	assert_string_equal(l.kind, "");
	assert_true(l.mtu >= 1500);
	assert_false(l.up);	/* a fresh namespace's lo is down */
	assert_int_equal(paw_nl_link_get_index(W.nl, 1, &k), 0);
	assert_string_equal(k.name, "lo");
	assert_int_equal(k.mtu, l.mtu);

	assert_int_equal(paw_nl_link_get(W.nl, "paw-nope", &l), -ENODEV);
	assert_int_equal(paw_nl_link_get(W.nl, "a-name-too-long-for-ifnamsiz", &l), -ENODEV);
	assert_int_equal(paw_nl_link_get_index(W.nl, 999999, &l), -ENODEV);
	assert_int_equal(paw_nl_link_get(W.nl, "", &l), -EINVAL);
	assert_int_equal(paw_nl_link_get_index(W.nl, 0, &l), -EINVAL);
}

static void test_veth_add(void **state)
{
	struct paw_nl_link a, b;
	static const __u8 zero[6];

	(void)state;
	REQUIRE_WORLD();
	assert_int_equal(paw_nl_veth_add(W.nl, "paw-v0", "paw-v0p", -1), 0);
	assert_int_equal(paw_nl_link_get(W.nl, "paw-v0", &a), 0);
	assert_int_equal(paw_nl_link_get(W.nl, "paw-v0p", &b), 0);
	assert_string_equal(a.kind, "veth");
	assert_string_equal(b.kind, "veth");
	assert_int_not_equal(a.ifindex, b.ifindex);
	assert_memory_not_equal(a.mac, zero, 6);
	assert_int_equal(a.mtu, 1500);
	assert_false(a.up);

	assert_int_equal(paw_nl_veth_add(W.nl, "paw-v0", "paw-v0q", -1), -EEXIST);
	assert_int_equal(paw_nl_veth_add(W.nl, "paw-v0x", "paw-v0p", -1), -EEXIST);
	assert_int_equal(paw_nl_veth_add(W.nl, NULL, "x", -1), -EINVAL);
	assert_int_equal(paw_nl_link_get(W.nl, "paw-v0q", &b), -ENODEV);

	assert_int_equal(paw_nl_link_del(W.nl, a.ifindex), 0);
	/* Deleting one end takes the pair. */
	assert_int_equal(paw_nl_link_get(W.nl, "paw-v0", &a), -ENODEV);
	assert_int_equal(paw_nl_link_get(W.nl, "paw-v0p", &b), -ENODEV);
	assert_int_equal(paw_nl_link_del(W.nl, a.ifindex ? a.ifindex : 999999), -ENODEV);
}

static void wait_running(__u32 idx, bool want, struct paw_nl_link *l)
{
	for (int i = 0; i < 200; i++) {
		assert_int_equal(paw_nl_link_get_index(W.nl, idx, l), 0);
		if (l->running == want)
			return;
		usleep(10000);
	}
}

static void test_veth_peer_netns(void **state)
{
	struct paw_nl *peer_nl = NULL;
	struct paw_nl_link l, p;

	(void)state;
	REQUIRE_WORLD();
	assert_int_equal(paw_nl_veth_add(W.nl, "paw-v1", "paw-v1p", W.peer_ns), 0);
	assert_int_equal(paw_nl_link_get(W.nl, "paw-v1", &l), 0);
	assert_int_equal(paw_nl_link_get(W.nl, "paw-v1p", &p), -ENODEV);

	/* A socket opened in the peer's namespace sees the peer there. */
	assert_int_equal(setns(W.peer_ns, CLONE_NEWNET), 0);
	assert_int_equal(paw_nl_open(&peer_nl), 0);
	assert_int_equal(setns(W.test_ns, CLONE_NEWNET), 0);
	assert_int_equal(paw_nl_link_get(peer_nl, "paw-v1p", &p), 0);
	assert_string_equal(p.kind, "veth");
	assert_int_equal(paw_nl_link_get(peer_nl, "paw-v1", &l), -ENODEV);
	assert_int_equal(paw_nl_link_set_up(peer_nl, p.ifindex, true), 0);

	assert_int_equal(paw_nl_link_get(W.nl, "paw-v1", &l), 0);
	assert_int_equal(paw_nl_link_set_up(W.nl, l.ifindex, true), 0);
	assert_int_equal(paw_nl_link_get(W.nl, "paw-v1", &l), 0);
	wait_running(l.ifindex, true, &l);
	assert_true(l.up);
	assert_true(l.running);	/* carrier: the peer is up, over there */

	assert_int_equal(paw_nl_link_del(W.nl, l.ifindex), 0);
	assert_int_equal(paw_nl_link_get(peer_nl, "paw-v1p", &p), -ENODEV);
	paw_nl_close(peer_nl);
}

static void test_up_down_mtu(void **state)
{
	struct paw_nl_link l, p;
	__u32 idx, pidx;

	(void)state;
	REQUIRE_WORLD();
	idx = make_veth("paw-v2", "paw-v2p");
	pidx = ifindex_of("paw-v2p");

	assert_int_equal(paw_nl_link_set_up(W.nl, idx, true), 0);
	/* The operational state follows asynchronously (linkwatch), and
	 * reads as running until it has: wait for each state, 2 s at most. */
	wait_running(idx, false, &l);	/* peer still down: no carrier */
	assert_true(l.up);
	assert_false(l.running);
	assert_int_equal(paw_nl_link_set_up(W.nl, pidx, true), 0);
	wait_running(idx, true, &l);
	assert_true(l.running);
	assert_int_equal(paw_nl_link_set_up(W.nl, idx, true), 0);	/* again: fine */
	assert_int_equal(paw_nl_link_set_up(W.nl, idx, false), 0);
	wait_running(idx, false, &l);
	assert_false(l.up);
	assert_false(l.running);
	assert_int_equal(paw_nl_link_get_index(W.nl, pidx, &p), 0);
	assert_true(p.up);

	assert_int_equal(paw_nl_link_set_mtu(W.nl, idx, 1400), 0);
	assert_int_equal(paw_nl_link_get_index(W.nl, idx, &l), 0);
	assert_int_equal(l.mtu, 1400);
	assert_int_equal(paw_nl_link_set_mtu(W.nl, idx, 9000), 0);
	assert_int_equal(paw_nl_link_get(W.nl, "paw-v2", &l), 0);
	assert_int_equal(l.mtu, 9000);

	assert_int_equal(paw_nl_link_set_up(W.nl, 999999, true), -ENODEV);
	assert_int_equal(paw_nl_link_set_mtu(W.nl, 999999, 1500), -ENODEV);
	assert_int_equal(paw_nl_link_del(W.nl, idx), 0);
}

/* The kernel's own words come back for a refused request, and are
 * gone after the next request that succeeds. */
static void test_extack(void **state)
{
	struct paw_nl_link l;
	struct in_addr a;
	__u32 idx;
	int err;

	(void)state;
	REQUIRE_WORLD();
	idx = make_veth("paw-v3", "paw-v3p");

	err = paw_nl_link_set_mtu(W.nl, idx, 10);
	assert_int_equal(err, -EINVAL);
	print_message("# mtu 10: %s (%s)\n", strerror(-err), paw_nl_errmsg(W.nl));
	assert_non_null(strstr(paw_nl_errmsg(W.nl), "mtu"));

	assert_int_equal(paw_nl_link_get_index(W.nl, idx, &l), 0);
	assert_string_equal(paw_nl_errmsg(W.nl), "");

	/* A name the kernel's attribute policy refuses (> IFNAMSIZ - 1). */
	err = paw_nl_veth_add(W.nl, "paw-a-name-far-too-long", "paw-v4p", -1);
	print_message("# long veth name: %s (%s)\n", strerror(-err), paw_nl_errmsg(W.nl));
	assert_true(err < 0);
	assert_string_not_equal(paw_nl_errmsg(W.nl), "");

	/* An address on a link that does not exist. */
	v4("10.99.9.1", &a);
	err = paw_nl_addr_add(W.nl, 999999, AF_INET, &a, 24);
	print_message("# address on ifindex 999999: %s (%s)\n", strerror(-err),
		      paw_nl_errmsg(W.nl));
	assert_int_equal(err, -ENODEV);

	assert_int_equal(paw_nl_link_del(W.nl, idx), 0);
	assert_string_equal(paw_nl_errmsg(W.nl), "");
}

static void test_addr(void **state)
{
	char cmd[128];
	struct in_addr a4;
	struct in6_addr a6;
	__u32 idx;

	(void)state;
	REQUIRE_WORLD();
	idx = make_veth("paw-v5", "paw-v5p");
	snprintf(cmd, sizeof(cmd), "ip -o addr show dev paw-v5");
	v4("10.99.0.1", &a4);
	v6("fd99::1", &a6);

	assert_int_equal(paw_nl_addr_add(W.nl, idx, AF_INET, &a4, 24), 0);
	assert_int_equal(paw_nl_addr_add(W.nl, idx, AF_INET, &a4, 24), 0);	/* exists */
	assert_string_equal(paw_nl_errmsg(W.nl), "");
	assert_true(cmd_has(cmd, "inet 10.99.0.1/24"));

	assert_int_equal(paw_nl_addr_add(W.nl, idx, AF_INET6, &a6, 64), 0);
	assert_int_equal(paw_nl_addr_add(W.nl, idx, AF_INET6, &a6, 64), 0);
	assert_true(cmd_has(cmd, "inet6 fd99::1/64"));
	assert_false(cmd_has(cmd, "tentative"));	/* nodad */

	assert_int_equal(paw_nl_addr_del(W.nl, idx, AF_INET, &a4, 24), 0);
	assert_false(cmd_has(cmd, "10.99.0.1"));
	assert_int_equal(paw_nl_addr_del(W.nl, idx, AF_INET6, &a6, 64), 0);
	assert_false(cmd_has(cmd, "fd99::1"));
	assert_int_equal(paw_nl_addr_del(W.nl, idx, AF_INET, &a4, 24), -EADDRNOTAVAIL);

	assert_int_equal(paw_nl_addr_add(W.nl, idx, AF_INET, &a4, 33), -EINVAL);
	assert_int_equal(paw_nl_addr_add(W.nl, idx, AF_INET6, &a6, 129), -EINVAL);
	assert_int_equal(paw_nl_addr_add(W.nl, idx, AF_PACKET, &a4, 8), -EINVAL);
	assert_int_equal(paw_nl_addr_add(W.nl, idx, AF_INET, NULL, 8), -EINVAL);
	assert_int_equal(paw_nl_link_del(W.nl, idx), 0);
}

static void test_route(void **state)
{
	struct in_addr a4;
	struct in6_addr a6;
	__u32 idx;

	(void)state;
	REQUIRE_WORLD();
	idx = make_veth("paw-v6", "paw-v6p");
	/* A nexthop device must be up. */
	assert_int_equal(paw_nl_link_set_up(W.nl, idx, true), 0);
	v4("10.99.1.5", &a4);
	v6("fd99:1::5", &a6);

	assert_int_equal(paw_nl_route_add(W.nl, idx, AF_INET, &a4), 0);
	assert_int_equal(paw_nl_route_add(W.nl, idx, AF_INET, &a4), 0);	/* exists */
	assert_true(cmd_has("ip route show 10.99.1.5", "10.99.1.5 dev paw-v6"));
	assert_true(cmd_has("ip route show 10.99.1.5", "scope link"));
	assert_int_equal(paw_nl_route_add(W.nl, idx, AF_INET6, &a6), 0);
	assert_int_equal(paw_nl_route_add(W.nl, idx, AF_INET6, &a6), 0);
	assert_true(cmd_has("ip -6 route show fd99:1::5", "fd99:1::5 dev paw-v6"));

	assert_int_equal(paw_nl_route_del(W.nl, idx, AF_INET, &a4), 0);
	assert_false(cmd_has("ip route show 10.99.1.5", "10.99.1.5"));
	assert_int_equal(paw_nl_route_del(W.nl, idx, AF_INET, &a4), -ESRCH);
	assert_int_equal(paw_nl_route_del(W.nl, idx, AF_INET6, &a6), 0);
	assert_false(cmd_has("ip -6 route show fd99:1::5", "fd99:1::5"));
	assert_int_equal(paw_nl_route_del(W.nl, idx, AF_INET6, &a6), -ESRCH);
	assert_int_equal(paw_nl_route_add(W.nl, idx, AF_UNIX, &a4), -EINVAL);
	assert_int_equal(paw_nl_link_del(W.nl, idx), 0);
}

static void test_neigh(void **state)
{
	struct in_addr a4, other;
	struct in6_addr a6;
	__u8 mac[6];
	__u32 idx;

	(void)state;
	REQUIRE_WORLD();
	idx = make_veth("paw-v7", "paw-v7p");
	assert_int_equal(paw_nl_link_set_up(W.nl, idx, true), 0);
	v4("10.99.2.7", &a4);
	v4("10.99.2.8", &other);
	v6("fd99:2::7", &a6);

	assert_int_equal(paw_nl_neigh_set(W.nl, idx, AF_INET, &a4, MAC1), 0);
	assert_int_equal(paw_nl_neigh_get(W.nl, idx, AF_INET, &a4, mac), 0);
	assert_memory_equal(mac, MAC1, 6);
	assert_true(cmd_has("ip neigh show dev paw-v7",
			    "10.99.2.7 lladdr 02:00:5e:10:00:01 PERMANENT"));
	/* Set replaces. */
	assert_int_equal(paw_nl_neigh_set(W.nl, idx, AF_INET, &a4, MAC2), 0);
	assert_int_equal(paw_nl_neigh_get(W.nl, idx, AF_INET, &a4, mac), 0);
	assert_memory_equal(mac, MAC2, 6);

	assert_int_equal(paw_nl_neigh_set(W.nl, idx, AF_INET6, &a6, MAC1), 0);
	assert_int_equal(paw_nl_neigh_get(W.nl, idx, AF_INET6, &a6, mac), 0);
	assert_memory_equal(mac, MAC1, 6);

	assert_int_equal(paw_nl_neigh_get(W.nl, idx, AF_INET, &other, mac), -ENOENT);
	print_message("# unknown neighbour: %s\n", paw_nl_errmsg(W.nl));
	assert_int_equal(paw_nl_neigh_get(W.nl, idx, AF_INET, NULL, mac), -EINVAL);
	assert_int_equal(paw_nl_neigh_set(W.nl, 999999, AF_INET, &a4, MAC1), -ENODEV);
	assert_int_equal(paw_nl_link_del(W.nl, idx), 0);
}

static void test_neigh_proxy(void **state)
{
	struct in_addr a4;
	struct in6_addr a6;
	__u32 idx;

	(void)state;
	REQUIRE_WORLD();
	idx = make_veth("paw-v8", "paw-v8p");
	v4("10.99.3.9", &a4);
	v6("fd99:3::9", &a6);
	assert_int_equal(paw_nl_neigh_proxy_add(W.nl, idx, AF_INET, &a4), 0);
	assert_int_equal(paw_nl_neigh_proxy_add(W.nl, idx, AF_INET, &a4), 0);	/* again */
	assert_true(cmd_has("ip neigh show proxy", "10.99.3.9 dev paw-v8"));
	assert_int_equal(paw_nl_neigh_proxy_add(W.nl, idx, AF_INET6, &a6), 0);
	assert_true(cmd_has("ip -6 neigh show proxy", "fd99:3::9 dev paw-v8"));
	assert_int_equal(paw_nl_neigh_proxy_add(W.nl, idx, 99, &a4), -EINVAL);
	assert_int_equal(paw_nl_link_del(W.nl, idx), 0);
	assert_false(cmd_has("ip neigh show proxy", "10.99.3.9"));
}

static void test_sysctl(void **state)
{
	const char *file = "/proc/sys/net/ipv4/conf/paw-v9/proxy_arp";
	char buf[16];
	__u32 idx;

	(void)state;
	REQUIRE_WORLD();
	idx = make_veth("paw-v9", "paw-v9p");
	read_line(file, buf, sizeof(buf));
	assert_string_equal(buf, "0\n");
	assert_int_equal(paw_sysctl_set("net/ipv4/conf/paw-v9/proxy_arp", "1"), 0);
	read_line(file, buf, sizeof(buf));
	assert_string_equal(buf, "1\n");
	assert_int_equal(paw_sysctl_set("net/ipv4/conf/paw-v9/proxy_arp", "0"), 0);
	read_line(file, buf, sizeof(buf));
	assert_string_equal(buf, "0\n");

	assert_int_equal(paw_sysctl_set("net/ipv4/conf/paw-nope/proxy_arp", "1"), -ENOENT);
	assert_int_equal(paw_sysctl_set("../../etc/passwd", "x"), -EINVAL);
	assert_int_equal(paw_sysctl_set("/proc/sys/net/ipv4/ip_forward", "1"), -EINVAL);
	assert_int_equal(paw_sysctl_set("net/ipv4/conf/paw-v9/proxy_arp", "banana"), -EINVAL);
	assert_int_equal(paw_nl_link_del(W.nl, idx), 0);
}

static void test_tap(void **state)
{
	struct paw_nl_link l;
	__u32 idx;

	(void)state;
	REQUIRE_WORLD();
	if (access("/dev/net/tun", R_OK | W_OK)) {
		print_message("SKIP: /dev/net/tun: %s\n", strerror(errno));
		skip();
	}
	assert_int_equal(paw_tap_add("paw-t0"), 0);
	assert_int_equal(paw_nl_link_get(W.nl, "paw-t0", &l), 0);
	assert_string_equal(l.kind, "tun");
	assert_true(cmd_has("ip -d link show paw-t0", "tap"));
	/* Persistent: it outlived our fd. Again: attaches, fine. */
	assert_int_equal(paw_tap_add("paw-t0"), 0);
	/* The name of a link of another kind is taken. */
	idx = make_veth("paw-v10", "paw-v10p");
	assert_int_equal(paw_tap_add("paw-v10"), -EEXIST);
	assert_int_equal(paw_tap_add(""), -EINVAL);
	assert_int_equal(paw_tap_add("paw-a-name-too-long"), -EINVAL);
	assert_int_equal(paw_nl_link_del(W.nl, idx), 0);
	assert_int_equal(paw_nl_link_del(W.nl, l.ifindex), 0);
	assert_int_equal(paw_nl_link_get(W.nl, "paw-t0", &l), -ENODEV);
}

/* ---- the link monitor ---- */

struct seen {
	int n;
	struct {
		enum paw_nl_event ev;
		struct paw_nl_link link;
	} e[512];
};

static void collect(enum paw_nl_event ev, const struct paw_nl_link *link, void *ctx)
{
	struct seen *s = ctx;

	if (s->n < (int)(sizeof(s->e) / sizeof(s->e[0]))) {
		s->e[s->n].ev = ev;
		s->e[s->n].link = *link;
		s->n++;
	}
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait at most 2 s for an event on `name`; want_up < 0: don't care. */
static bool wait_event(struct paw_nl_monitor *m, struct seen *s, enum paw_nl_event ev,
		       const char *name, int want_up)
{
	long deadline = now_ms() + 2000;
	int from = 0;

	for (int round = 0; round < 1000; round++) {
		struct pollfd p = { .fd = paw_nl_monitor_fd(m), .events = POLLIN };
		long left;

		for (int i = from; i < s->n; i++)
			if (s->e[i].ev == ev && !strcmp(s->e[i].link.name, name) &&
			    (want_up < 0 || s->e[i].link.up == (bool)want_up))
				return true;
		from = s->n;
		left = deadline - now_ms();
		if (left <= 0)
			return false;
		if (poll(&p, 1, (int)left) > 0)
			assert_int_equal(paw_nl_monitor_read(m, collect, s), 0);
	}
	return false;
}

static void test_monitor(void **state)
{
	struct paw_nl_monitor *m = NULL;
	struct seen *s = calloc(1, sizeof(*s));
	__u32 idx;

	(void)state;
	assert_non_null(s);
	if (!W.ready)
		free(s);
	REQUIRE_WORLD();
	assert_int_equal(paw_nl_monitor_open(&m), 0);
	/* Nothing yet: a read returns at once. */
	assert_int_equal(paw_nl_monitor_read(m, collect, s), 0);
	assert_int_equal(paw_nl_monitor_read(NULL, collect, s), -EINVAL);

	idx = make_veth("paw-m0", "paw-m0p");
	assert_true(wait_event(m, s, PAW_NL_LINK_CHANGED, "paw-m0", 0));
	assert_int_equal(paw_nl_link_set_up(W.nl, idx, true), 0);
	assert_true(wait_event(m, s, PAW_NL_LINK_CHANGED, "paw-m0", 1));
	assert_int_equal(paw_nl_link_del(W.nl, idx), 0);
	assert_true(wait_event(m, s, PAW_NL_LINK_DELETED, "paw-m0", -1));
	assert_true(wait_event(m, s, PAW_NL_LINK_DELETED, "paw-m0p", -1));
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->e[i].link.name, "paw-m0"))
			assert_int_equal(s->e[i].link.ifindex, idx);
	paw_nl_monitor_close(m);
	free(s);
}

/* A monitor that falls behind is told so, then carries on. */
static void test_monitor_enobufs(void **state)
{
	struct paw_nl_monitor *m = NULL;
	struct seen *s = calloc(1, sizeof(*s));
	int small = 1, big = 1 << 20, err = 0;
	__u32 idx;

	(void)state;
	assert_non_null(s);
	if (!W.ready)
		free(s);
	REQUIRE_WORLD();
	assert_int_equal(paw_nl_monitor_open(&m), 0);
	/* The kernel rounds this up to its minimum, a few KiB. */
	assert_int_equal(setsockopt(paw_nl_monitor_fd(m), SOL_SOCKET, SO_RCVBUF, &small,
				    sizeof(small)), 0);
	idx = make_veth("paw-m1", "paw-m1p");
	for (int i = 0; i < 200; i++)
		assert_int_equal(paw_nl_link_set_up(W.nl, idx, i % 2 == 0), 0);
	for (int i = 0; i < 100 && err == 0; i++)
		err = paw_nl_monitor_read(m, collect, s);
	assert_int_equal(err, -ENOBUFS);
	/* After the overrun, with room again, events flow again. */
	assert_int_equal(setsockopt(paw_nl_monitor_fd(m), SOL_SOCKET, SO_RCVBUF, &big,
				    sizeof(big)), 0);
	for (int i = 0; i < 100 && paw_nl_monitor_read(m, collect, s) != 0; i++)
		;
	s->n = 0;
	assert_int_equal(paw_nl_link_del(W.nl, idx), 0);
	assert_true(wait_event(m, s, PAW_NL_LINK_DELETED, "paw-m1", -1));
	paw_nl_monitor_close(m);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_close),
		cmocka_unit_test(test_cloexec),
		cmocka_unit_test(test_link_get),
		cmocka_unit_test(test_veth_add),
		cmocka_unit_test(test_veth_peer_netns),
		cmocka_unit_test(test_up_down_mtu),
		cmocka_unit_test(test_extack),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_neigh),
		cmocka_unit_test(test_neigh_proxy),
		cmocka_unit_test(test_sysctl),
		cmocka_unit_test(test_tap),
		cmocka_unit_test(test_monitor),
		cmocka_unit_test(test_monitor_enobufs),
	};

	return cmocka_run_group_tests_name("nl", tests, group_setup, group_teardown);
}
