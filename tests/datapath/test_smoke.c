// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Real traffic through the Switchboard: namespaces "a" and "b" hang off
 * veth ports of namespace "sw", where the program is attached. A UDP
 * datagram sent by a real socket in "a" reaches a socket in "b" only while
 * a call exists, arrives with TTL 63 (it crossed the Switchboard, not a
 * bridge), and is counted on the call.
 *
 * Sockets keep the namespace they were created in, so one thread moves
 * between namespaces with setns() to set up, and stays in "sw".
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "paw/switchboard.h"

#define N_DGRAMS 20

static const uint8_t MAC_PA[6] = { 0x02, 0x00, 0x00, 0x00, 0x02, 0x0a };
static const uint8_t MAC_PB[6] = { 0x02, 0x00, 0x00, 0x00, 0x02, 0x0b };
static const uint8_t MAC_A[6] = { 0x02, 0x00, 0x00, 0x00, 0x0a, 0x01 };
static const uint8_t MAC_B[6] = { 0x02, 0x00, 0x00, 0x00, 0x0b, 0x01 };

static struct {
	bool ready;
	char why[256];
	char ns_sw[32], ns_a[32], ns_b[32];
	int fd_sw, fd_a, fd_b, fd_orig;
	__be32 ip_a, ip_b;
} T = { .fd_sw = -1, .fd_a = -1, .fd_b = -1, .fd_orig = -1 };

static int sh(const char *fmt, ...)
{
	char cmd[768];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	if (r != 0)
		fprintf(stderr, "test_smoke: command failed: %s\n", cmd);
	return r;
}

static int ns_open(const char *name)
{
	char path[96];

	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static void enter(int nsfd)
{
	assert_int_equal(setns(nsfd, CLONE_NEWNET), 0);
}

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l; (void)f; (void)ap;
	return 0;
}

static void topology_down(void)
{
	if (T.fd_orig >= 0)
		setns(T.fd_orig, CLONE_NEWNET);
	if (T.ns_sw[0])
		sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; "
		   "ip netns del %s 2>/dev/null; true", T.ns_sw, T.ns_a, T.ns_b);
}

static int setup(void **state)
{
	const char *mac = "02:00:00:00";

	(void)state;
	libbpf_set_print(quiet);
	if (geteuid() != 0) {
		snprintf(T.why, sizeof(T.why), "needs root for BPF and network namespaces");
		return 0;
	}
	snprintf(T.ns_sw, sizeof(T.ns_sw), "paw-smk-sw-%d", getpid());
	snprintf(T.ns_a, sizeof(T.ns_a), "paw-smk-a-%d", getpid());
	snprintf(T.ns_b, sizeof(T.ns_b), "paw-smk-b-%d", getpid());
	inet_pton(AF_INET, "10.77.0.1", &T.ip_a);
	inet_pton(AF_INET, "10.77.0.2", &T.ip_b);
	T.fd_orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	if (sh("ip netns add %s && ip netns add %s && ip netns add %s",
	       T.ns_sw, T.ns_a, T.ns_b) ||
	    sh("ip -n %s link add pa address %s:02:0a type veth peer name eth0 netns %s "
	       "address %s:0a:01", T.ns_sw, mac, T.ns_a, mac) ||
	    sh("ip -n %s link add pb address %s:02:0b type veth peer name eth0 netns %s "
	       "address %s:0b:01", T.ns_sw, mac, T.ns_b, mac) ||
	    /* No IPv6 chatter: only the datagrams under test cross. */
	    sh("for n in %s %s %s; do ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
	       "net.ipv6.conf.default.disable_ipv6=1; ip -n $n link set lo up; done",
	       T.ns_sw, T.ns_a, T.ns_b) ||
	    sh("ip -n %s link set pa up && ip -n %s link set pb up", T.ns_sw, T.ns_sw) ||
	    sh("ip -n %s addr add 10.77.0.1/24 dev eth0 && ip -n %s link set eth0 up && "
	       "ip -n %s neigh add 10.77.0.2 lladdr %s:02:0a dev eth0 nud permanent",
	       T.ns_a, T.ns_a, T.ns_a, mac) ||
	    sh("ip -n %s addr add 10.77.0.2/24 dev eth0 && ip -n %s link set eth0 up && "
	       "ip -n %s neigh add 10.77.0.1 lladdr %s:02:0b dev eth0 nud permanent",
	       T.ns_b, T.ns_b, T.ns_b, mac)) {
		snprintf(T.why, sizeof(T.why), "cannot build the namespaces (iproute2?)");
		topology_down();
		return 0;
	}
	T.fd_sw = ns_open(T.ns_sw);
	T.fd_a = ns_open(T.ns_a);
	T.fd_b = ns_open(T.ns_b);
	if (T.fd_sw < 0 || T.fd_a < 0 || T.fd_b < 0) {
		snprintf(T.why, sizeof(T.why), "cannot open the namespaces");
		topology_down();
		return 0;
	}
	T.ready = true;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	topology_down();
	return 0;
}

/* A bound receiver in "b" that reports the TTL of what it gets. */
static int receiver(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9999),
				   .sin_addr.s_addr = T.ip_b };
	int one = 1, fd;

	enter(T.fd_b);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one)), 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	enter(T.fd_sw);
	return fd;
}

static int sender(void)
{
	int fd;

	enter(T.fd_a);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	enter(T.fd_sw);
	return fd;
}

static void send_burst(int fd, int seq0)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9999),
				  .sin_addr.s_addr = T.ip_b };
	char msg[64];

	for (int i = 0; i < N_DGRAMS; i++) {
		int len = snprintf(msg, sizeof(msg), "paw datagram %d", seq0 + i);

		assert_int_equal(sendto(fd, msg, len, 0, (struct sockaddr *)&to, sizeof(to)), len);
	}
}

/* Count datagrams for at most `ms`, or until `want` arrived; every one
 * must carry the TTL the Switchboard set and an intact payload. */
static int drain(int fd, int want, int ms, int seq0)
{
	struct timespec t0, t;
	int got = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char buf[128], cbuf[CMSG_SPACE(sizeof(int))], want_msg[64];
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c;
		long left;
		ssize_t n;
		int ttl = -1;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || (want && got >= want))
			break;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = recvmsg(fd, &mh, 0);
		if (n < 0)
			continue;
		buf[n] = '\0';
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL)
				memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
		assert_int_equal(ttl, 63);
		snprintf(want_msg, sizeof(want_msg), "paw datagram %d", seq0 + got);
		assert_string_equal(buf, want_msg);
		got++;
	}
	return got;
}

static void smoke(enum paw_xdp_mode mode)
{
	struct paw_sb_opts o = { .pin_dir = "", .max_calls = 1024, .max_clients = 1024 };
	struct paw_client c = { .flags = PAW_CLIENT_F_MAC_KNOWN };
	struct paw_ctr s0[PAW_R_MAX], s1[PAW_R_MAX], ctr;
	enum paw_xdp_mode used;
	struct paw_sb *sb;
	__u32 pa, pb, peer_a = 0, peer_b = 0;
	int rx, tx;

	if (!T.ready) {
		print_message("SKIP: %s\n", T.why);
		skip();
	}
	enter(T.fd_sw);
	pa = if_nametoindex("pa");
	pb = if_nametoindex("pb");
	assert_true(pa && pb);
	assert_int_equal(paw_sb_open(&sb, &o), 0);
	assert_int_equal(paw_sb_port_add(sb, pa, MAC_PA, 1500), 0);
	assert_int_equal(paw_sb_port_add(sb, pb, MAC_PB, 1500), 0);
	c.ifindex = pa; memcpy(c.mac, MAC_A, 6);
	assert_int_equal(paw_sb_client_set(sb, T.ip_a, &c), 0);
	c.ifindex = pb; memcpy(c.mac, MAC_B, 6);
	assert_int_equal(paw_sb_client_set(sb, T.ip_b, &c), 0);
	assert_int_equal(paw_sb_attach(sb, pa, mode, &used), 0);
	assert_int_equal(used, mode);
	assert_int_equal(paw_sb_attach(sb, pb, mode, &used), 0);
	if (mode == PAW_XDP_NATIVE) {
		/* Native redirect into a veth delivers only to a peer that
		 * runs XDP itself. And it turns skbs into xdp_frames, losing
		 * CHECKSUM_PARTIAL: a sender veth that offloads its UDP
		 * checksum would deliver datagrams with an unfinished one
		 * (UdpInCsumErrors), so the senders compute it themselves. */
		assert_int_equal(sh("ip netns exec %s ethtool -K eth0 tx off >/dev/null && "
				    "ip netns exec %s ethtool -K eth0 tx off >/dev/null",
				    T.ns_a, T.ns_b), 0);
		enter(T.fd_a);
		peer_a = if_nametoindex("eth0");
		assert_int_equal(paw_xdp_attach_pass(sb, peer_a, PAW_XDP_NATIVE), 0);
		enter(T.fd_b);
		peer_b = if_nametoindex("eth0");
		assert_int_equal(paw_xdp_attach_pass(sb, peer_b, PAW_XDP_NATIVE), 0);
		enter(T.fd_sw);
	}
	rx = receiver();
	tx = sender();

	/* No call: nothing arrives, each datagram is a counted no-call drop. */
	assert_int_equal(paw_sb_stats(sb, s0), 0);
	send_burst(tx, 0);
	assert_int_equal(drain(rx, 0, 300, 0), 0);
	assert_int_equal(paw_sb_stats(sb, s1), 0);
	assert_int_equal(s1[PAW_R_NO_CALL].packets - s0[PAW_R_NO_CALL].packets, N_DGRAMS);
	assert_int_equal(s1[PAW_R_FORWARD].packets, s0[PAW_R_FORWARD].packets);

	/* Call placed: every datagram crosses. */
	assert_int_equal(paw_sb_call_add(sb, T.ip_a, T.ip_b, 1), 0);
	send_burst(tx, 100);
	assert_int_equal(drain(rx, N_DGRAMS, 3000, 100), N_DGRAMS);
	assert_int_equal(paw_sb_call_get(sb, T.ip_a, T.ip_b, NULL, &ctr), 0);
	assert_int_equal(ctr.packets, N_DGRAMS);
	assert_int_equal(paw_sb_stats(sb, s0), 0);
	assert_int_equal(s0[PAW_R_FORWARD].packets - s1[PAW_R_FORWARD].packets, N_DGRAMS);

	/* Hung up: nothing again. */
	assert_int_equal(paw_sb_call_del(sb, T.ip_a, T.ip_b), 0);
	send_burst(tx, 200);
	assert_int_equal(drain(rx, 0, 300, 200), 0);
	assert_int_equal(paw_sb_stats(sb, s1), 0);
	assert_int_equal(s1[PAW_R_NO_CALL].packets - s0[PAW_R_NO_CALL].packets, N_DGRAMS);

	close(rx);
	close(tx);
	if (peer_a) {
		enter(T.fd_a);
		bpf_xdp_detach(peer_a, XDP_FLAGS_DRV_MODE, NULL);
		enter(T.fd_b);
		bpf_xdp_detach(peer_b, XDP_FLAGS_DRV_MODE, NULL);
		enter(T.fd_sw);
	}
	assert_int_equal(paw_sb_detach(sb, pa), 0);
	assert_int_equal(paw_sb_detach(sb, pb), 0);
	paw_sb_close(sb);
}

static void test_smoke_generic(void **state)
{
	(void)state;
	smoke(PAW_XDP_GENERIC);
}

static void test_smoke_native(void **state)
{
	(void)state;
	smoke(PAW_XDP_NATIVE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smoke_generic),
		cmocka_unit_test(test_smoke_native),
	};

	return cmocka_run_group_tests_name("smoke", tests, setup, teardown);
}
