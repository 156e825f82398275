// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Datapath tests: crafted frames through BPF_PROG_TEST_RUN against a
 * Switchboard programmed through libpaw, as pawd programs it. Each case
 * asserts the verdict, the output frame byte for byte and the counter
 * deltas (exactly one reason moves, by one frame and its bytes).
 *
 * Needs root and BPF: the test runs in a private network namespace with
 * veth ports of its own. Without them every test is reported SKIPPED.
 */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "paw/switchboard.h"
#include "frames.h"

#define XDP_ABORTED_ 0
#define XDP_DROP_ 1
#define XDP_PASS_ 2
#define XDP_REDIRECT_ 4

static const uint8_t MAC_PA[6] = { 0x02, 0x00, 0x00, 0x00, 0x01, 0x0a };
static const uint8_t MAC_PB[6] = { 0x02, 0x00, 0x00, 0x00, 0x01, 0x0b };
static const uint8_t MAC_PC[6] = { 0x02, 0x00, 0x00, 0x00, 0x01, 0x0c };
static const uint8_t MAC_ALICE[6] = { 0x02, 0xa1, 0x1c, 0x00, 0x00, 0x01 };
static const uint8_t MAC_BOB[6] = { 0x02, 0xb0, 0xb0, 0x00, 0x00, 0x02 };
static const uint8_t MAC_CAROL[6] = { 0x02, 0xca, 0x01, 0x00, 0x00, 0x03 };

static struct {
	bool ready;
	bool load_failed;	/* BPF works here, the Switchboard does not load */
	char why[256];
	struct paw_sb *sb;
	__u32 pa, pb, pc;	/* ports: alice on pa, bob on pb, carol on pc */
	__be32 alice, bob, carol, stranger, outside;
	struct in6_addr backend, other6, client6;
} W;

static void sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fprintf(stderr, "test_datapath: command failed: %s\n", cmd);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("PAW_TEST_VERBOSE"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

#define REQUIRE_WORLD()                                                     \
	do {                                                                \
		if (W.load_failed)                                          \
			fail_msg("the Switchboard does not load: %s", W.why); \
		if (!W.ready) {                                             \
			print_message("SKIP: %s\n", W.why);                 \
			skip();                                             \
		}                                                           \
	} while (0)

static void program_world(struct paw_sb *sb)
{
	struct paw_client c = { .flags = PAW_CLIENT_F_MAC_KNOWN };
	struct paw_config cfg = {
		.flags = PAW_CFG_F_EAR_UDP | PAW_CFG_F_EAR_TCP,
		.ear_port = htons(53),
		.default_policy = PAW_POLICY_PASS,
	};

	assert_int_equal(paw_sb_port_add(sb, W.pa, MAC_PA, 1500), 0);
	assert_int_equal(paw_sb_port_add(sb, W.pb, MAC_PB, 1500), 0);
	assert_int_equal(paw_sb_port_add(sb, W.pc, MAC_PC, 1500), 0);
	c.ifindex = W.pa; c.client_id = 1; memcpy(c.mac, MAC_ALICE, 6);
	assert_int_equal(paw_sb_client_set(sb, W.alice, &c), 0);
	c.ifindex = W.pb; c.client_id = 2; memcpy(c.mac, MAC_BOB, 6);
	assert_int_equal(paw_sb_client_set(sb, W.bob, &c), 0);
	c.ifindex = W.pc; c.client_id = 3; memcpy(c.mac, MAC_CAROL, 6);
	assert_int_equal(paw_sb_client_set(sb, W.carol, &c), 0);
	assert_int_equal(paw_sb_backend_add(sb, &W.backend), 0);
	assert_int_equal(paw_sb_config_set(sb, &cfg), 0);
}

static int world_setup(void **state)
{
	struct paw_sb_opts o = { .pin_dir = "", .max_calls = 4096, .max_clients = 1024,
				 .errbuf = W.why, .errlen = sizeof(W.why) };
	int err;

	(void)state;
	libbpf_set_print(libbpf_quiet);
	inet_pton(AF_INET, "10.77.0.1", &W.alice);
	inet_pton(AF_INET, "10.77.0.2", &W.bob);
	inet_pton(AF_INET, "10.77.0.3", &W.carol);
	inet_pton(AF_INET, "10.77.0.99", &W.stranger);
	inet_pton(AF_INET, "192.0.2.7", &W.outside);
	inet_pton(AF_INET6, "fd70:a3::1", &W.backend);
	inet_pton(AF_INET6, "fd70:a3::2", &W.other6);
	inet_pton(AF_INET6, "fd70:a3:1::a", &W.client6);

	if (geteuid() != 0) {
		snprintf(W.why, sizeof(W.why), "needs root for BPF and network namespaces");
		return 0;
	}
	if (unshare(CLONE_NEWNET)) {
		snprintf(W.why, sizeof(W.why), "cannot create a network namespace: %s",
			 strerror(errno));
		return 0;
	}
	sh("ip link set lo up");
	sh("ip link add pa type veth peer name pa-peer");
	sh("ip link add pb type veth peer name pb-peer");
	sh("ip link add pc type veth peer name pc-peer");
	sh("ip link set pa address 02:00:00:00:01:0a");
	sh("ip link set pb address 02:00:00:00:01:0b");
	sh("ip link set pc address 02:00:00:00:01:0c");
	W.pa = if_nametoindex("pa");
	W.pb = if_nametoindex("pb");
	W.pc = if_nametoindex("pc");
	if (!W.pa || !W.pb || !W.pc) {
		snprintf(W.why, sizeof(W.why), "cannot create veth ports (iproute2 missing?)");
		return 0;
	}
	err = paw_sb_open(&W.sb, &o);
	if (err) {
		if (!W.why[0])
			snprintf(W.why, sizeof(W.why), "%s", strerror(-err));
		/* No privilege or no bpf(2) is a reason to skip; a verifier
		 * rejection (EACCES, EINVAL, ...) is a failure of ours. */
		W.load_failed = err != -EPERM && err != -ENOSYS;
		fprintf(stderr, "test_datapath: %s: %s\n",
			W.load_failed ? "FAIL: the Switchboard does not load" : "BPF unavailable",
			W.why);
		return 0;
	}
	W.ready = true;
	return 0;
}

static int group_setup(void **state)
{
	world_setup(state);
	if (W.ready)
		program_world(W.sb);
	else
		fprintf(stderr, "test_datapath: SKIP: %s\n", W.why);
	return 0;
}

static int world_teardown(void **state)
{
	(void)state;
	paw_sb_close(W.sb);
	W.sb = NULL;
	return 0;
}

/* ---- running frames ---- */

struct run {
	int err;
	__u32 retval;
	struct frame out;
};

static void run_on(struct paw_sb *sb, const struct frame *in, __u32 ifindex, struct run *r)
{
	struct xdp_md md = { .data_end = in->len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o,
		    .data_in = in->b, .data_size_in = in->len,
		    .data_out = r->out.b, .data_size_out = sizeof(r->out.b),
		    .ctx_in = &md, .ctx_size_in = sizeof(md),
		    .repeat = 1);

	memset(&r->out, 0, sizeof(r->out));
	r->err = bpf_prog_test_run_opts(paw_sb_prog_fd(sb), &o) ? -errno : 0;
	r->retval = o.retval;
	r->out.len = o.data_size_out;
}

static void run_frame(const struct frame *in, __u32 ifindex, struct run *r)
{
	run_on(W.sb, in, ifindex, r);
}

static void snap(struct paw_ctr s[PAW_R_MAX], __u32 port, struct paw_ctr ps[PAW_R_MAX])
{
	assert_int_equal(paw_sb_stats(W.sb, s), 0);
	if (ps)
		assert_int_equal(paw_sb_port_stats(W.sb, port, ps), 0);
}

/* Exactly `reason` moved, by one frame of `bytes`; nothing else moved. */
static void assert_one_delta(const struct paw_ctr *before, const struct paw_ctr *after,
			     int reason, __u64 bytes)
{
	for (int i = 0; i < PAW_R_MAX; i++) {
		__u64 dp = after[i].packets - before[i].packets;
		__u64 db = after[i].bytes - before[i].bytes;

		if (i == reason) {
			if (dp != 1 || db != bytes)
				fail_msg("reason %s moved by %llu/%llu, expected 1/%llu",
					 paw_reason_name(i), (unsigned long long)dp,
					 (unsigned long long)db, (unsigned long long)bytes);
		} else if (dp || db) {
			fail_msg("reason %s moved by %llu frames, expected %s only",
				 paw_reason_name(i), (unsigned long long)dp,
				 paw_reason_name(reason));
		}
	}
}

/*
 * Run one frame and check the whole contract for a verdict that is not a
 * forward: the action, the frame left untouched, the global and per-port
 * counters.
 */
static void expect_verdict(const struct frame *in, __u32 port, int action, int reason)
{
	struct paw_ctr s0[PAW_R_MAX], s1[PAW_R_MAX], p0[PAW_R_MAX], p1[PAW_R_MAX];
	struct run r;

	snap(s0, port, p0);
	run_frame(in, port, &r);
	assert_int_equal(r.err, 0);
	if ((int)r.retval != action)
		fail_msg("verdict %u, expected %d (%s)", r.retval, action, paw_reason_name(reason));
	snap(s1, port, p1);
	assert_one_delta(s0, s1, reason, in->len);
	assert_one_delta(p0, p1, reason, in->len);
	assert_int_equal(r.out.len, in->len);
	assert_memory_equal(r.out.b, in->b, in->len);
}

static void set_policy(__u8 policy)
{
	struct paw_config cfg;

	assert_int_equal(paw_sb_config_get(W.sb, &cfg), 0);
	cfg.default_policy = policy;
	assert_int_equal(paw_sb_config_set(W.sb, &cfg), 0);
}

static void call_up(__be32 a, __be32 b)
{
	assert_int_equal(paw_sb_call_add(W.sb, a, b, 7), 0);
}

static void call_down(__be32 a, __be32 b)
{
	int err = paw_sb_call_del(W.sb, a, b);

	assert_true(err == 0 || err == -ENOENT);
}

static void ip4(struct frame *f, const uint8_t *smac, __be32 s, __be32 d, uint8_t ttl,
		uint16_t payload)
{
	struct ip4_spec sp = { .dmac = MAC_PA, .smac = smac, .saddr = s, .daddr = d,
			       .ttl = ttl, .payload = payload, .id = 0x1234 };

	build_ip4_udp(f, &sp);
}

static void ip6(struct frame *f, const struct in6_addr *dst, uint8_t nh, uint8_t l4,
		uint16_t dport)
{
	struct ip6_spec sp = { .dmac = MAC_PA, .smac = MAC_ALICE, .saddr = W.client6,
			       .daddr = *dst, .nexthdr = nh, .l4proto = l4, .dport = dport,
			       .payload = 16 };

	build_ip6(f, &sp);
}

/* ---- the classification table ---- */

struct fixture {
	const char *name;
	void (*build)(struct frame *f);
	__u32 *port;
	__u8 policy;
	int action;
	int reason;
	bool call_ab;	/* alice<->bob call up while the frame runs */
};

static void f_ip6_backend_udp(struct frame *f) { ip6(f, &W.backend, IPPROTO_UDP, 0, 53); }
static void f_ip6_backend_tcp(struct frame *f) { ip6(f, &W.backend, IPPROTO_TCP, 0, 53); }
static void f_ip6_backend_port(struct frame *f) { ip6(f, &W.backend, IPPROTO_UDP, 0, 54); }
static void f_ip6_backend_tcp_port(struct frame *f) { ip6(f, &W.backend, IPPROTO_TCP, 0, 80); }
static void f_ip6_other(struct frame *f) { ip6(f, &W.other6, IPPROTO_UDP, 0, 53); }
static void f_ip6_backend_ext(struct frame *f)
{
	ip6(f, &W.backend, 0 /* hop-by-hop */, IPPROTO_UDP, 53);
}
static void f_ip6_backend_frag(struct frame *f) { ip6(f, &W.backend, 44, IPPROTO_UDP, 53); }
static void f_ip6_other_ext(struct frame *f) { ip6(f, &W.other6, 60, IPPROTO_UDP, 53); }
static void f_ip6_ns(struct frame *f)
{
	struct ip6_spec sp = { .dmac = MAC_PA, .smac = MAC_ALICE, .saddr = W.client6,
			       .daddr = W.backend, .nexthdr = IPPROTO_ICMPV6,
			       .icmp_type = 135, .payload = 16 };

	build_ip6(f, &sp);
}
static void f_ip6_echo(struct frame *f)
{
	struct ip6_spec sp = { .dmac = MAC_PA, .smac = MAC_ALICE, .saddr = W.client6,
			       .daddr = W.backend, .nexthdr = IPPROTO_ICMPV6,
			       .icmp_type = 128, .payload = 16 };

	build_ip6(f, &sp);
}
static void f_arp(struct frame *f) { build_arp(f, MAC_ALICE, W.alice, W.bob); }
static void f_ab(struct frame *f) { ip4(f, MAC_ALICE, W.alice, W.bob, 64, 32); }
static void f_ac(struct frame *f) { ip4(f, MAC_ALICE, W.alice, W.carol, 64, 32); }
static void f_bc_from_pa(struct frame *f) { ip4(f, MAC_ALICE, W.bob, W.carol, 64, 32); }
static void f_stranger_b(struct frame *f) { ip4(f, MAC_ALICE, W.stranger, W.bob, 64, 32); }
static void f_a_outside(struct frame *f) { ip4(f, MAC_ALICE, W.alice, W.outside, 64, 32); }
static void f_stranger_outside(struct frame *f)
{
	ip4(f, MAC_ALICE, W.stranger, W.outside, 64, 32);
}
static void f_lldp(struct frame *f)
{
	static const uint8_t lldp[6] = { 0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e };

	put_eth(f, lldp, MAC_ALICE, 0x88cc);
	memset(f->b + 14, 0, 46);
	f->len = 60;
}
static void f_ttl1(struct frame *f) { ip4(f, MAC_ALICE, W.alice, W.bob, 1, 32); }
static void f_ttl0(struct frame *f)
{
	ip4(f, MAC_ALICE, W.alice, W.bob, 1, 32);
	frame_ip4(f)->ttl = 0;
	ip4_csum_set(frame_ip4(f));
}
static void f_eth_only(struct frame *f)
{
	put_eth(f, MAC_PA, MAC_ALICE, ETH_P_IP);
}
static void f_ip4_19(struct frame *f)
{
	f_ab(f);
	f->len = 14 + 19;
}
static void f_ihl4(struct frame *f)
{
	f_ab(f);
	frame_ip4(f)->ihl = 4;
}
static void f_version5(struct frame *f)
{
	f_ab(f);
	frame_ip4(f)->version = 5;
}
static void f_totlen_small(struct frame *f)
{
	f_ab(f);
	frame_ip4(f)->tot_len = htons(12);
	ip4_csum_set(frame_ip4(f));
}
static void f_totlen_big(struct frame *f)
{
	f_ab(f);
	frame_ip4(f)->tot_len = htons(1400);
	ip4_csum_set(frame_ip4(f));
}
static void f_options(struct frame *f)
{
	struct iphdr *ip;

	f_ab(f);
	ip = frame_ip4(f);
	/* Grow the header by one word of NOPs. */
	memmove((uint8_t *)ip + 24, (uint8_t *)ip + 20, f->len - 14 - 20);
	memset((uint8_t *)ip + 20, 1, 4);
	ip->ihl = 6;
	ip->tot_len = htons(ntohs(ip->tot_len) + 4);
	f->len += 4;
	ip4_csum_set(ip);
}
static void f_frag_mf(struct frame *f)
{
	struct ip4_spec sp = { .dmac = MAC_PA, .smac = MAC_ALICE, .saddr = W.alice,
			       .daddr = W.bob, .payload = 32, .frag_off = 0x2000 };

	build_ip4_udp(f, &sp);
}
static void f_frag_off(struct frame *f)
{
	struct ip4_spec sp = { .dmac = MAC_PA, .smac = MAC_ALICE, .saddr = W.alice,
			       .daddr = W.bob, .payload = 32, .frag_off = 0x0010 };

	build_ip4_udp(f, &sp);
}
static void f_vlan(struct frame *f)
{
	f_ab(f);
	add_vlan(f, 0x8100, 42);
}
static void f_qinq(struct frame *f)
{
	f_ab(f);
	add_vlan(f, 0x8100, 42);
	add_vlan(f, 0x88a8, 7);
}
static void f_ip6_short(struct frame *f)
{
	f_ip6_backend_udp(f);
	f->len = 14 + 39;
}
static void f_ip6_plen_big(struct frame *f)
{
	f_ip6_backend_udp(f);
	frame_ip6(f)->payload_len = htons(500);
}
static void f_ip6_version4(struct frame *f)
{
	f_ip6_backend_udp(f);
	frame_ip6(f)->version = 4;
}
static void f_ip6_udp_cut(struct frame *f)
{
	struct ip6_spec sp = { .dmac = MAC_PA, .smac = MAC_ALICE, .saddr = W.client6,
			       .daddr = W.backend, .nexthdr = IPPROTO_UDP, .dport = 53 };

	build_ip6(f, &sp);
	f->len -= 4;	/* 4 of the 8 UDP header bytes */
	frame_ip6(f)->payload_len = htons(4);
}
static void f_ip6_tcp_cut(struct frame *f)
{
	struct ip6_spec sp = { .dmac = MAC_PA, .smac = MAC_ALICE, .saddr = W.client6,
			       .daddr = W.backend, .nexthdr = IPPROTO_TCP, .dport = 53 };

	build_ip6(f, &sp);
	f->len -= 8;
	frame_ip6(f)->payload_len = htons(12);
}
static void f_ip6_tcp_doff(struct frame *f)
{
	f_ip6_backend_tcp(f);
	((struct tcphdr *)(frame_ip6(f) + 1))->doff = 4;
}
static void f_icmp6_cut(struct frame *f)
{
	f_ip6_ns(f);
	f->len = 14 + 40 + 2;
	frame_ip6(f)->payload_len = htons(2);
}
/* 9000 bytes: BPF_PROG_TEST_RUN hands a non-frags program the linear
 * part only, as a multi-buffer frame would look. Never forwarded. */
static void f_jumbo_split(struct frame *f)
{
	ip4(f, MAC_ALICE, W.alice, W.bob, 64, 9000 - 14 - 20 - 8);
}

#define PASS XDP_PASS_
#define DROP XDP_DROP_
static struct fixture fixtures[] = {
	/* 1: to the Operator, and neighbour discovery */
	{ "ip6 udp to MainBackend ear", f_ip6_backend_udp, &W.pa, 0, PASS, PAW_R_OPERATOR, false },
	{ "ip6 tcp to MainBackend ear", f_ip6_backend_tcp, &W.pa, 0, PASS, PAW_R_OPERATOR, false },
	{ "ip6 to MainBackend, policy drop", f_ip6_backend_udp, &W.pa, 1, PASS, PAW_R_OPERATOR, false },
	{ "ip6 NS passes", f_ip6_ns, &W.pa, 1, PASS, PAW_R_NEIGH, false },
	{ "arp passes", f_arp, &W.pa, 1, PASS, PAW_R_NEIGH, false },
	/* 2 and 3 are further below with their bytes; class 3 drops here */
	{ "alice->carol without a call", f_ac, &W.pa, 0, DROP, PAW_R_NO_CALL, true },
	{ "bob's source from alice's port", f_bc_from_pa, &W.pa, 0, DROP, PAW_R_SPOOFED, false },
	{ "stranger to bob", f_stranger_b, &W.pa, 0, DROP, PAW_R_SPOOFED, false },
	{ "call alice->bob arriving on carol's port", f_ab, &W.pc, 0, DROP, PAW_R_SPOOFED, true },
	{ "call alice->bob arriving on bob's port", f_ab, &W.pb, 0, DROP, PAW_R_SPOOFED, true },
	{ "alice->bob ttl 1", f_ttl1, &W.pa, 0, DROP, PAW_R_TTL, true },
	{ "alice->bob ttl 0", f_ttl0, &W.pa, 0, DROP, PAW_R_TTL, true },
	/* 4: anything else, both policies */
	{ "ip6 to MainBackend, wrong udp port", f_ip6_backend_port, &W.pa, 0, PASS, PAW_R_OTHER_PASS, false },
	{ "ip6 to MainBackend, wrong udp port, drop", f_ip6_backend_port, &W.pa, 1, DROP, PAW_R_OTHER_DROP, false },
	{ "ip6 to MainBackend, wrong tcp port, drop", f_ip6_backend_tcp_port, &W.pa, 1, DROP, PAW_R_OTHER_DROP, false },
	{ "ip6 echo to MainBackend, drop", f_ip6_echo, &W.pa, 1, DROP, PAW_R_OTHER_DROP, false },
	{ "ip6 to another address", f_ip6_other, &W.pa, 0, PASS, PAW_R_OTHER_PASS, false },
	{ "ip6 to another address, drop", f_ip6_other, &W.pa, 1, DROP, PAW_R_OTHER_DROP, false },
	{ "ip6 ext header to another address", f_ip6_other_ext, &W.pa, 0, PASS, PAW_R_OTHER_PASS, false },
	{ "alice to outside", f_a_outside, &W.pa, 0, PASS, PAW_R_OTHER_PASS, false },
	{ "alice to outside, drop", f_a_outside, &W.pa, 1, DROP, PAW_R_OTHER_DROP, false },
	{ "stranger to outside", f_stranger_outside, &W.pb, 0, PASS, PAW_R_OTHER_PASS, false },
	{ "lldp", f_lldp, &W.pa, 0, PASS, PAW_R_OTHER_PASS, false },
	{ "lldp, drop", f_lldp, &W.pa, 1, DROP, PAW_R_OTHER_DROP, false },
	/* malformed: dropped by reason whatever the policy */
	{ "ethernet header only", f_eth_only, &W.pa, 0, DROP, PAW_R_TRUNC_IP4, false },
	{ "ip4 header cut at 19", f_ip4_19, &W.pa, 0, DROP, PAW_R_TRUNC_IP4, true },
	{ "ip4 ihl 4", f_ihl4, &W.pa, 0, DROP, PAW_R_BAD_IP4, true },
	{ "ip4 version 5", f_version5, &W.pa, 0, DROP, PAW_R_BAD_IP4, true },
	{ "ip4 total length < header", f_totlen_small, &W.pa, 0, DROP, PAW_R_BAD_IP4, true },
	{ "ip4 total length > frame", f_totlen_big, &W.pa, 0, DROP, PAW_R_TRUNC_IP4, true },
	{ "ip4 options", f_options, &W.pa, 0, DROP, PAW_R_IP4_OPTIONS, true },
	{ "ip4 fragment, more fragments", f_frag_mf, &W.pa, 0, DROP, PAW_R_FRAGMENT, true },
	{ "ip4 fragment, offset", f_frag_off, &W.pa, 0, DROP, PAW_R_FRAGMENT, true },
	{ "802.1Q tagged", f_vlan, &W.pa, 0, DROP, PAW_R_VLAN, true },
	{ "802.1ad tagged", f_qinq, &W.pa, 0, DROP, PAW_R_VLAN, true },
	{ "ip6 header cut at 39", f_ip6_short, &W.pa, 0, DROP, PAW_R_TRUNC_IP6, false },
	{ "ip6 payload length > frame", f_ip6_plen_big, &W.pa, 0, DROP, PAW_R_TRUNC_IP6, false },
	{ "ip6 version 4", f_ip6_version4, &W.pa, 0, DROP, PAW_R_BAD_IP6, false },
	{ "ip6 hop-by-hop before udp to MainBackend", f_ip6_backend_ext, &W.pa, 0, DROP, PAW_R_IP6_EXT, false },
	{ "ip6 fragment header to MainBackend", f_ip6_backend_frag, &W.pa, 0, DROP, PAW_R_IP6_EXT, false },
	{ "ip6 udp header cut", f_ip6_udp_cut, &W.pa, 0, DROP, PAW_R_TRUNC_L4, false },
	{ "ip6 tcp header cut", f_ip6_tcp_cut, &W.pa, 0, DROP, PAW_R_TRUNC_L4, false },
	{ "ip6 tcp data offset 4", f_ip6_tcp_doff, &W.pa, 0, DROP, PAW_R_TRUNC_L4, false },
	{ "icmp6 header cut", f_icmp6_cut, &W.pa, 0, DROP, PAW_R_TRUNC_L4, false },
	{ "9000-byte frame split across buffers", f_jumbo_split, &W.pa, 0, DROP, PAW_R_TRUNC_IP4, true },
};

static void test_fixture(void **state)
{
	const struct fixture *fx = *state;
	static struct frame f;

	REQUIRE_WORLD();
	memset(&f, 0, sizeof(f));
	fx->build(&f);
	set_policy(fx->policy);
	if (fx->call_ab)
		call_up(W.alice, W.bob);
	if (fx->reason == PAW_R_TRUNC_IP4 && f.len > 4000) {
		/* Jumbo: the program sees the linear part only; counters count
		 * what it saw, so compare the verdict and the reason. */
		struct paw_ctr s0[PAW_R_MAX], s1[PAW_R_MAX];
		struct run r;

		snap(s0, 0, NULL);
		run_frame(&f, *fx->port, &r);
		assert_int_equal(r.err, 0);
		assert_int_equal(r.retval, fx->action);
		snap(s1, 0, NULL);
		assert_int_equal(s1[fx->reason].packets - s0[fx->reason].packets, 1);
		assert_int_equal(s1[PAW_R_FORWARD].packets, s0[PAW_R_FORWARD].packets);
		assert_int_equal(r.out.len, f.len);
		assert_memory_equal(r.out.b, f.b, f.len);
	} else {
		expect_verdict(&f, *fx->port, fx->action, fx->reason);
	}
	call_down(W.alice, W.bob);
	set_policy(PAW_POLICY_PASS);
}

/* ---- forwarding, byte for byte ---- */

/* What alice's frame must look like on bob's port. */
static void expected_ab(struct frame *f, uint8_t ttl, uint16_t payload, uint16_t id, uint8_t tos)
{
	struct ip4_spec sp = { .dmac = MAC_BOB, .smac = MAC_PB, .saddr = W.alice,
			       .daddr = W.bob, .ttl = ttl, .payload = payload, .id = id,
			       .tos = tos };

	build_ip4_udp(f, &sp);
}

static void forward_one(uint8_t ttl, uint16_t payload, uint16_t id, uint8_t tos)
{
	struct ip4_spec sp = { .dmac = MAC_PA, .smac = MAC_ALICE, .saddr = W.alice,
			       .daddr = W.bob, .ttl = ttl, .payload = payload, .id = id,
			       .tos = tos };
	static struct frame in, want;
	struct run r;

	build_ip4_udp(&in, &sp);
	expected_ab(&want, ttl - 1, payload, id, tos);
	run_frame(&in, W.pa, &r);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.retval, XDP_REDIRECT_);
	assert_int_equal(r.out.len, want.len);
	if (!ip4_csum_ok(frame_ip4(&r.out)))
		fail_msg("bad checksum after forward: ttl %u id %u tos %u", ttl, id, tos);
	assert_memory_equal(r.out.b, want.b, want.len);
}

static void test_forward_bytes_and_counters(void **state)
{
	struct paw_ctr s0[PAW_R_MAX], s1[PAW_R_MAX], p0[PAW_R_MAX], p1[PAW_R_MAX];
	static struct frame in, want;
	struct paw_ctr ctr;
	struct paw_call call;
	struct run r;

	(void)state;
	REQUIRE_WORLD();
	call_up(W.alice, W.bob);
	ip4(&in, MAC_ALICE, W.alice, W.bob, 64, 32);
	expected_ab(&want, 63, 32, 0x1234, 0);

	snap(s0, W.pa, p0);
	run_frame(&in, W.pa, &r);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.retval, XDP_REDIRECT_);
	assert_int_equal(r.out.len, want.len);
	assert_memory_equal(r.out.b, want.b, want.len);
	assert_true(ip4_csum_ok(frame_ip4(&r.out)));
	snap(s1, W.pa, p1);
	assert_one_delta(s0, s1, PAW_R_FORWARD, in.len);
	/* The forward path does not touch per-port counters. */
	assert_memory_equal(p0, p1, sizeof(p0));

	assert_int_equal(paw_sb_call_get(W.sb, W.alice, W.bob, &call, &ctr), 0);
	assert_int_equal(ctr.packets, 1);
	assert_int_equal(ctr.bytes, in.len);
	assert_int_equal(call.ingress_ifindex, W.pa);
	assert_int_equal(call.egress_ifindex, W.pb);
	assert_int_equal(call.call_id, 7);
	assert_int_equal(paw_sb_call_get(W.sb, W.bob, W.alice, NULL, &ctr), 0);
	assert_int_equal(ctr.packets, 0);

	/* The reverse direction: bob's frame leaves on alice's port. */
	{
		struct ip4_spec sp = { .dmac = MAC_PB, .smac = MAC_BOB, .saddr = W.bob,
				       .daddr = W.alice, .ttl = 9, .payload = 5, .id = 77 };
		struct ip4_spec ex = { .dmac = MAC_ALICE, .smac = MAC_PA, .saddr = W.bob,
				       .daddr = W.alice, .ttl = 8, .payload = 5, .id = 77 };

		build_ip4_udp(&in, &sp);
		build_ip4_udp(&want, &ex);
		run_frame(&in, W.pb, &r);
		assert_int_equal(r.retval, XDP_REDIRECT_);
		assert_memory_equal(r.out.b, want.b, want.len);
	}
	call_down(W.alice, W.bob);
}

/* Many headers, each checksum checked against a full recomputation. */
static void test_forward_checksum_property(void **state)
{
	unsigned seed = 0x5eed;

	(void)state;
	REQUIRE_WORLD();
	call_up(W.alice, W.bob);
	for (int i = 0; i < 600; i++) {
		seed = seed * 1103515245u + 12345u;
		forward_one(2 + (seed >> 8) % 254, (seed >> 16) % 200, (uint16_t)(seed >> 4),
			    (uint8_t)(seed >> 20));
	}
	call_down(W.alice, W.bob);
}

/* The carry edge of RFC 1624: a header whose correct checksum after the
 * decrement is 0x0000 (never 0xffff, which a recomputation cannot give). */
static void test_forward_checksum_edge(void **state)
{
	struct ip4_spec sp = { .dmac = MAC_PA, .smac = MAC_ALICE, .saddr = W.alice,
			       .daddr = W.bob, .ttl = 64, .payload = 8 };
	static struct frame f;
	int found = 0;

	(void)state;
	REQUIRE_WORLD();
	call_up(W.alice, W.bob);
	for (uint32_t id = 0; id < 65536 && found < 3; id++) {
		struct iphdr *ip;

		sp.id = id;
		build_ip4_udp(&f, &sp);
		ip = frame_ip4(&f);
		ip->ttl--;
		ip4_csum_set(ip);
		if (ip->check != 0)
			continue;
		found++;
		forward_one(64, 8, id, 0);
	}
	assert_true(found > 0);
	call_down(W.alice, W.bob);
}

static void test_one_direction_only(void **state)
{
	struct paw_call_key k = { .src = W.alice, .dst = W.bob };
	struct paw_call c;
	static struct frame f;
	struct run r;

	(void)state;
	REQUIRE_WORLD();
	assert_int_equal(paw_sb_call_entry(W.sb, W.alice, W.bob, 9, &c), 0);
	assert_int_equal(paw_sb_calls_write(W.sb, &k, &c, 1), 1);
	ip4(&f, MAC_ALICE, W.alice, W.bob, 64, 10);
	run_frame(&f, W.pa, &r);
	assert_int_equal(r.retval, XDP_REDIRECT_);
	ip4(&f, MAC_BOB, W.bob, W.alice, 64, 10);
	expect_verdict(&f, W.pb, XDP_DROP_, PAW_R_NO_CALL);
	call_down(W.alice, W.bob);
}

static void test_hangup_next_frame(void **state)
{
	static struct frame f;
	struct run r;

	(void)state;
	REQUIRE_WORLD();
	call_up(W.alice, W.bob);
	ip4(&f, MAC_ALICE, W.alice, W.bob, 64, 10);
	run_frame(&f, W.pa, &r);
	assert_int_equal(r.retval, XDP_REDIRECT_);
	assert_int_equal(paw_sb_call_del(W.sb, W.alice, W.bob), 0);
	ip4(&f, MAC_ALICE, W.alice, W.bob, 64, 10);
	expect_verdict(&f, W.pa, XDP_DROP_, PAW_R_NO_CALL);
	assert_int_equal(paw_sb_call_del(W.sb, W.alice, W.bob), -ENOENT);
}

static void test_port_gone(void **state)
{
	static struct frame f;

	(void)state;
	REQUIRE_WORLD();
	call_up(W.alice, W.bob);
	assert_int_equal(paw_sb_port_del(W.sb, W.pb), 0);
	ip4(&f, MAC_ALICE, W.alice, W.bob, 64, 10);
	expect_verdict(&f, W.pa, XDP_DROP_, PAW_R_PORT_GONE);
	assert_int_equal(paw_sb_port_add(W.sb, W.pb, MAC_PB, 1500), 0);
	call_down(W.alice, W.bob);
}

static void test_mtu(void **state)
{
	struct paw_ctr ctr;
	static struct frame f;
	struct run r;

	(void)state;
	REQUIRE_WORLD();
	call_up(W.alice, W.bob);
	ip4(&f, MAC_ALICE, W.alice, W.bob, 64, 10);
	run_frame(&f, W.pa, &r);
	assert_int_equal(r.retval, XDP_REDIRECT_);

	/* bob's port shrinks to 576: re-programming keeps the counters. */
	assert_int_equal(paw_sb_port_add(W.sb, W.pb, MAC_PB, 576), 0);
	call_up(W.alice, W.bob);
	assert_int_equal(paw_sb_call_get(W.sb, W.alice, W.bob, NULL, &ctr), 0);
	assert_int_equal(ctr.packets, 1);
	ip4(&f, MAC_ALICE, W.alice, W.bob, 64, 576 - 28);	/* exactly 576 */
	run_frame(&f, W.pa, &r);
	assert_int_equal(r.retval, XDP_REDIRECT_);
	ip4(&f, MAC_ALICE, W.alice, W.bob, 64, 576 - 27);
	expect_verdict(&f, W.pa, XDP_DROP_, PAW_R_TOO_BIG);

	/* A 3000-byte frame through a 9000-byte port is a plain forward. */
	assert_int_equal(paw_sb_port_add(W.sb, W.pb, MAC_PB, 9000), 0);
	call_up(W.alice, W.bob);
	forward_one(64, 3000 - 42, 3, 0);
	assert_int_equal(paw_sb_port_add(W.sb, W.pb, MAC_PB, 1500), 0);
	call_down(W.alice, W.bob);
}

/* Ethernet padding after a short datagram travels untouched. */
static void test_padding_kept(void **state)
{
	static struct frame f, want;
	struct run r;

	(void)state;
	REQUIRE_WORLD();
	call_up(W.alice, W.bob);
	ip4(&f, MAC_ALICE, W.alice, W.bob, 64, 0);	/* 42 bytes */
	memset(f.b + f.len, 0xee, 60 - f.len);
	f.len = 60;
	expected_ab(&want, 63, 0, 0x1234, 0);
	memset(want.b + want.len, 0xee, 60 - want.len);
	want.len = 60;
	run_frame(&f, W.pa, &r);
	assert_int_equal(r.retval, XDP_REDIRECT_);
	assert_int_equal(r.out.len, 60);
	assert_memory_equal(r.out.b, want.b, 60);
	call_down(W.alice, W.bob);
}

static void test_kernel_refuses_short_frames(void **state)
{
	static struct frame f;
	struct run r;

	(void)state;
	REQUIRE_WORLD();
	/* The kernel never hands XDP less than an Ethernet header; the
	 * Switchboard still counts such a frame as trunc-eth if one came. */
	for (uint32_t len = 0; len < 14; len++) {
		f.len = len;
		run_frame(&f, W.pa, &r);
		assert_int_equal(r.err, -EINVAL);
	}
}

static void test_ear_flags(void **state)
{
	struct paw_config cfg;
	static struct frame f;

	(void)state;
	REQUIRE_WORLD();
	assert_int_equal(paw_sb_config_get(W.sb, &cfg), 0);
	cfg.flags = PAW_CFG_F_EAR_TCP;	/* UDP ear off */
	cfg.ear_port = htons(5353);
	assert_int_equal(paw_sb_config_set(W.sb, &cfg), 0);
	ip6(&f, &W.backend, IPPROTO_UDP, 0, 5353);
	expect_verdict(&f, W.pa, XDP_PASS_, PAW_R_OTHER_PASS);
	ip6(&f, &W.backend, IPPROTO_TCP, 0, 5353);
	expect_verdict(&f, W.pa, XDP_PASS_, PAW_R_OPERATOR);
	ip6(&f, &W.backend, IPPROTO_TCP, 0, 53);
	expect_verdict(&f, W.pa, XDP_PASS_, PAW_R_OTHER_PASS);
	/* A second MainBackend address, then none. */
	assert_int_equal(paw_sb_backend_add(W.sb, &W.other6), 0);
	ip6(&f, &W.other6, IPPROTO_TCP, 0, 5353);
	expect_verdict(&f, W.pa, XDP_PASS_, PAW_R_OPERATOR);
	assert_int_equal(paw_sb_backend_del(W.sb, &W.other6), 0);
	ip6(&f, &W.other6, IPPROTO_TCP, 0, 5353);
	expect_verdict(&f, W.pa, XDP_PASS_, PAW_R_OTHER_PASS);
	cfg.flags = PAW_CFG_F_EAR_UDP | PAW_CFG_F_EAR_TCP;
	cfg.ear_port = htons(53);
	assert_int_equal(paw_sb_config_set(W.sb, &cfg), 0);
	cfg.default_policy = 9;
	assert_int_equal(paw_sb_config_set(W.sb, &cfg), -EINVAL);
}

/* ---- monitor events ---- */

struct evs {
	int n;
	struct paw_event last;
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct evs *e = ctx;

	assert_int_equal(len, sizeof(struct paw_event));
	memcpy(&e->last, data, sizeof(e->last));
	e->n++;
	return 0;
}

static void test_monitor_events(void **state)
{
	struct ring_buffer *rb;
	struct paw_config cfg;
	struct evs e = { 0 };
	static struct frame f;
	struct run r;

	(void)state;
	REQUIRE_WORLD();
	rb = ring_buffer__new(paw_sb_map_fd(W.sb, PAW_MAP_EVENTS), on_event, &e, NULL);
	assert_non_null(rb);

	/* Not monitoring: nothing is emitted. */
	ip4(&f, MAC_ALICE, W.bob, W.carol, 64, 10);
	run_frame(&f, W.pa, &r);
	assert_int_equal(r.retval, XDP_DROP_);
	ring_buffer__consume(rb);
	assert_int_equal(e.n, 0);

	assert_int_equal(paw_sb_config_get(W.sb, &cfg), 0);
	cfg.flags |= PAW_CFG_F_MONITOR;
	assert_int_equal(paw_sb_config_set(W.sb, &cfg), 0);
	run_frame(&f, W.pa, &r);
	ring_buffer__consume(rb);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.last.reason, PAW_R_SPOOFED);
	assert_int_equal(e.last.ifindex, W.pa);
	assert_int_equal(e.last.family, 4);
	assert_int_equal(e.last.l4proto, IPPROTO_UDP);
	assert_int_equal(e.last.len, f.len);
	assert_memory_equal(e.last.src, &W.bob, 4);
	assert_memory_equal(e.last.dst, &W.carol, 4);
	assert_int_equal(ntohs(e.last.dport), 9);
	assert_int_equal(e.last.ethertype, htons(ETH_P_IP));

	/* Passed frames are not events; IPv6 drops carry both addresses. */
	ip6(&f, &W.backend, IPPROTO_UDP, 0, 53);
	run_frame(&f, W.pa, &r);
	ring_buffer__consume(rb);
	assert_int_equal(e.n, 1);
	ip6(&f, &W.backend, 0, IPPROTO_UDP, 53);
	run_frame(&f, W.pa, &r);
	ring_buffer__consume(rb);
	assert_int_equal(e.n, 2);
	assert_int_equal(e.last.reason, PAW_R_IP6_EXT);
	assert_int_equal(e.last.family, 6);
	assert_memory_equal(e.last.dst, &W.backend, 16);

	cfg.flags &= ~PAW_CFG_F_MONITOR;
	assert_int_equal(paw_sb_config_set(W.sb, &cfg), 0);
	assert_int_equal(paw_sb_events_lost(W.sb), 0);
	ring_buffer__free(rb);
}

/* ---- map programming errors ---- */

static void test_call_needs_clients_and_macs(void **state)
{
	struct paw_client c;
	__u32 n = 0;

	(void)state;
	REQUIRE_WORLD();
	assert_int_equal(paw_sb_call_add(W.sb, W.alice, W.stranger, 1), -ENOENT);
	assert_int_equal(paw_sb_call_add(W.sb, W.alice, W.alice, 1), -EINVAL);
	assert_int_equal(paw_sb_client_get(W.sb, W.carol, &c), 0);
	c.flags &= ~PAW_CLIENT_F_MAC_KNOWN;
	assert_int_equal(paw_sb_client_set(W.sb, W.carol, &c), 0);
	assert_int_equal(paw_sb_call_add(W.sb, W.alice, W.carol, 1), -EHOSTUNREACH);
	c.flags |= PAW_CLIENT_F_MAC_KNOWN;
	assert_int_equal(paw_sb_client_set(W.sb, W.carol, &c), 0);
	/* Nothing half-programmed was left behind. */
	assert_int_equal(paw_sb_call_get(W.sb, W.alice, W.carol, NULL, NULL), -ENOENT);
	assert_int_equal(paw_sb_call_get(W.sb, W.carol, W.alice, NULL, NULL), -ENOENT);
	assert_int_equal(paw_sb_port_del(W.sb, 999999), -ENOENT);
	assert_int_equal(paw_sb_port_add(W.sb, 999999, MAC_PA, 1500), -EINVAL);
	assert_int_equal(paw_sb_port_get(W.sb, 999999, &(struct paw_port){ 0 }), -ENOENT);
	(void)n;
}

static int count_call(const struct paw_call_key *k, const struct paw_call *c,
		      const struct paw_ctr *ctr, void *ctx)
{
	(void)k; (void)c; (void)ctr;
	(*(int *)ctx)++;
	return 0;
}

/* Full maps refuse cleanly: a call that does not fit leaves no half. */
static void test_full_maps(void **state)
{
	struct paw_sb_opts o = { .pin_dir = "", .max_calls = 5, .max_clients = 4 };
	struct paw_client c = { .flags = PAW_CLIENT_F_MAC_KNOWN, .ifindex = 0 };
	struct paw_sb *sb;
	__be32 ip[5];
	int n = 0;

	(void)state;
	REQUIRE_WORLD();
	assert_int_equal(paw_sb_open(&sb, &o), 0);
	assert_int_equal(paw_sb_port_add(sb, W.pa, MAC_PA, 1500), 0);
	c.ifindex = W.pa;
	for (int i = 0; i < 5; i++) {
		ip[i] = htonl(0x0a4d0100 + i + 1);
		c.client_id = i;
		assert_int_equal(paw_sb_client_set(sb, ip[i], &c), i < 4 ? 0 : -E2BIG);
	}
	assert_int_equal(paw_sb_call_add(sb, ip[0], ip[1], 1), 0);
	assert_int_equal(paw_sb_call_add(sb, ip[2], ip[3], 2), 0);
	/* The fifth slot takes one direction; the second fails and is undone. */
	assert_int_equal(paw_sb_call_add(sb, ip[0], ip[2], 3), -E2BIG);
	assert_int_equal(paw_sb_call_foreach(sb, count_call, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(paw_sb_call_get(sb, ip[0], ip[2], NULL, NULL), -ENOENT);
	/* Re-adding an existing call is a no-op, even when full. */
	assert_int_equal(paw_sb_call_add(sb, ip[0], ip[1], 1), 0);
	paw_sb_close(sb);
}

static void test_foreach_many(void **state)
{
	enum { N = 3000 };
	static struct paw_call_key keys[N];
	static struct paw_call calls[N];
	struct paw_call proto;
	int n = 0;

	(void)state;
	REQUIRE_WORLD();
	assert_int_equal(paw_sb_call_entry(W.sb, W.alice, W.bob, 1, &proto), 0);
	for (int i = 0; i < N; i++) {
		keys[i].src = htonl(0x0b000000 + i);
		keys[i].dst = htonl(0x0c000000 + i);
		calls[i] = proto;
	}
	assert_int_equal(paw_sb_calls_write(W.sb, keys, calls, N), N);
	assert_int_equal(paw_sb_call_foreach(W.sb, count_call, &n), 0);
	assert_int_equal(n, N);
	for (int i = 0; i < N; i++)
		assert_int_equal(bpf_map_delete_elem(paw_sb_map_fd(W.sb, PAW_MAP_CALLS), &keys[i]),
				 0);
}

/* ---- pinning, re-use and attachment ---- */

static __u32 xdp_prog_id(__u32 ifindex, __u32 *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	assert_int_equal(bpf_xdp_query(ifindex, 0, &q), 0);
	if (mode)
		*mode = q.attach_mode;
	return q.attach_mode == XDP_ATTACHED_SKB ? q.skb_prog_id :
	       q.attach_mode == XDP_ATTACHED_DRV ? q.drv_prog_id : q.prog_id;
}

static void test_pin_reuse_relink(void **state)
{
	char dir[64], err[256] = "", path[128];
	struct paw_sb_opts o = { .max_calls = 64, .max_clients = 64,
				 .errbuf = err, .errlen = sizeof(err) };
	struct paw_sb *sb1, *sb2, *sb3;
	enum paw_xdp_mode used;
	struct paw_config cfg;
	struct paw_ctr ctr;
	static struct frame f;
	struct run r;
	__u32 id1, id2, mode;
	struct stat st;
	int fd;

	(void)state;
	REQUIRE_WORLD();
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/paw-test-%d", getpid());
	paw_sb_unpin(dir);
	o.pin_dir = dir;
	if (paw_sb_open(&sb1, &o)) {
		print_message("SKIP: bpffs not mounted at /sys/fs/bpf: %s\n", err);
		skip();
	}
	assert_false(paw_sb_reused(sb1));
	program_world(sb1);
	assert_int_equal(paw_sb_config_get(sb1, &cfg), 0);
	cfg.ear_port = htons(5300);
	assert_int_equal(paw_sb_config_set(sb1, &cfg), 0);
	assert_int_equal(paw_sb_call_add(sb1, W.alice, W.bob, 11), 0);
	ip4(&f, MAC_ALICE, W.alice, W.bob, 64, 10);
	run_on(sb1, &f, W.pa, &r);
	assert_int_equal(r.retval, XDP_REDIRECT_);
	assert_int_equal(paw_sb_attach(sb1, W.pc, PAW_XDP_GENERIC, &used), 0);
	assert_int_equal(used, PAW_XDP_GENERIC);
	id1 = xdp_prog_id(W.pc, &mode);
	assert_int_equal(mode, XDP_ATTACHED_SKB);
	paw_sb_close(sb1);

	/* Gone is the loader, not the datapath. */
	assert_int_equal(xdp_prog_id(W.pc, NULL), id1);
	snprintf(path, sizeof(path), "%s/" PAW_MAP_CALLS, dir);
	assert_int_equal(stat(path, &st), 0);

	/* A restarted Operator asks for other sizes: the pins win. */
	o.max_calls = 128;
	if (paw_sb_open(&sb2, &o))
		fail_msg("re-open: %s", err);
	assert_true(paw_sb_reused(sb2));
	assert_int_equal(paw_sb_max_calls(sb2), 64);
	assert_int_equal(paw_sb_config_get(sb2, &cfg), 0);
	assert_int_equal(ntohs(cfg.ear_port), 5300);
	assert_int_equal(paw_sb_call_get(sb2, W.alice, W.bob, NULL, &ctr), 0);
	assert_int_equal(ctr.packets, 1);
	id2 = xdp_prog_id(W.pc, NULL);
	assert_int_not_equal(id2, id1);	/* switched to the new program */
	assert_int_equal(id2, ({
		struct bpf_prog_info pi = { 0 };
		__u32 len = sizeof(pi);
		assert_int_equal(bpf_obj_get_info_by_fd(paw_sb_prog_fd(sb2), &pi, &len), 0);
		pi.id;
	}));
	assert_int_equal(paw_sb_attached(sb2, W.pc, NULL), 1);
	ip4(&f, MAC_ALICE, W.alice, W.bob, 64, 10);
	run_on(sb2, &f, W.pa, &r);
	assert_int_equal(r.retval, XDP_REDIRECT_);
	assert_int_equal(paw_sb_call_get(sb2, W.alice, W.bob, NULL, &ctr), 0);
	assert_int_equal(ctr.packets, 2);

	/* Pins of another ABI are refused, with a reason. */
	cfg.abi_version = 0;
	fd = paw_sb_map_fd(sb2, PAW_MAP_CONFIG);
	{
		struct paw_config bad = cfg;
		__u32 zero = 0;

		bad.abi_version = PAW_ABI_VERSION + 98;
		assert_int_equal(bpf_map_update_elem(fd, &zero, &bad, BPF_ANY), 0);
	}
	paw_sb_close(sb2);
	err[0] = '\0';
	assert_int_equal(paw_sb_open(&sb3, &o), -EPROTO);
	assert_non_null(strstr(err, "ABI"));
	assert_null(sb3);

	/* Unpinning detaches the port and removes the directory. */
	assert_int_equal(paw_sb_unpin(dir), 0);
	assert_int_equal(xdp_prog_id(W.pc, &mode), 0);
	assert_int_equal(mode, XDP_ATTACHED_NONE);
	assert_int_not_equal(stat(dir, &st), 0);
}

static void test_attach_modes_and_foreign(void **state)
{
	struct paw_sb_opts o = { .pin_dir = "" };
	enum paw_xdp_mode used;
	struct paw_sb *sb;
	__u32 mode;

	(void)state;
	REQUIRE_WORLD();
	assert_int_equal(paw_sb_open(&sb, &o), 0);
	assert_int_equal(paw_sb_attach(sb, W.pa, PAW_XDP_NATIVE, &used), 0);
	assert_int_equal(used, PAW_XDP_NATIVE);
	xdp_prog_id(W.pa, &mode);
	assert_int_equal(mode, XDP_ATTACHED_DRV);
	/* Attaching again is a no-op. */
	assert_int_equal(paw_sb_attach(sb, W.pa, PAW_XDP_NATIVE, &used), 0);
	assert_int_equal(paw_sb_detach(sb, W.pa), 0);
	assert_int_equal(xdp_prog_id(W.pa, NULL), 0);
	assert_int_equal(paw_sb_detach(sb, W.pa), -ENOENT);

	assert_int_equal(paw_sb_attach(sb, W.pa, PAW_XDP_AUTO, &used), 0);
	assert_int_equal(used, PAW_XDP_NATIVE);	/* veth has native XDP */
	assert_int_equal(paw_sb_detach(sb, W.pa), 0);

	/* Somebody else's program is never replaced. */
	assert_int_equal(paw_xdp_attach_pass(sb, W.pb, PAW_XDP_GENERIC), 0);
	assert_int_equal(paw_sb_attach(sb, W.pb, PAW_XDP_AUTO, &used), -EBUSY);
	assert_int_not_equal(xdp_prog_id(W.pb, NULL), 0);
	assert_int_equal(bpf_xdp_detach(W.pb, XDP_FLAGS_SKB_MODE, NULL), 0);
	paw_sb_close(sb);
}

/* Fewer counter slots than CPUs: the program loads, shares slots with
 * atomic adds, and still counts every frame. */
static void test_shared_counter_slots(void **state)
{
	for (__u32 slots = 1; slots <= 3; slots++) {
		struct paw_sb_opts o = { .pin_dir = "", .max_calls = 64, .max_clients = 64,
					 .ctr_slots = slots };
		struct paw_ctr ctr;
		static struct frame f;
		struct paw_sb *sb;
		struct run r;

		(void)state;
		REQUIRE_WORLD();
		assert_int_equal(paw_sb_open(&sb, &o), 0);
		assert_int_equal(paw_sb_ctr_slots(sb), slots);
		program_world(sb);
		assert_int_equal(paw_sb_call_add(sb, W.alice, W.bob, 1), 0);
		for (int i = 0; i < 5; i++) {
			ip4(&f, MAC_ALICE, W.alice, W.bob, 64, 10);
			run_on(sb, &f, W.pa, &r);
			assert_int_equal(r.retval, XDP_REDIRECT_);
		}
		assert_int_equal(paw_sb_call_get(sb, W.alice, W.bob, NULL, &ctr), 0);
		assert_int_equal(ctr.packets, 5);
		paw_sb_close(sb);
	}
}

static void test_reason_names(void **state)
{
	(void)state;
	for (int r = 0; r < PAW_R_MAX; r++) {
		assert_string_not_equal(paw_reason_name(r), "unknown");
		assert_int_equal(paw_reason_from_name(paw_reason_name(r)), r);
		assert_true(paw_reason_action(r) >= 0);
	}
	assert_string_equal(paw_reason_name(PAW_R_MAX), "unknown");
	assert_int_equal(paw_reason_from_name("nonsense"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest focused[] = {
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_forward_bytes_and_counters),
		cmocka_unit_test(test_forward_checksum_property),
		cmocka_unit_test(test_forward_checksum_edge),
		cmocka_unit_test(test_one_direction_only),
		cmocka_unit_test(test_hangup_next_frame),
		cmocka_unit_test(test_port_gone),
		cmocka_unit_test(test_mtu),
		cmocka_unit_test(test_padding_kept),
		cmocka_unit_test(test_kernel_refuses_short_frames),
		cmocka_unit_test(test_ear_flags),
		cmocka_unit_test(test_monitor_events),
		cmocka_unit_test(test_call_needs_clients_and_macs),
		cmocka_unit_test(test_full_maps),
		cmocka_unit_test(test_foreach_many),
		cmocka_unit_test(test_pin_reuse_relink),
		cmocka_unit_test(test_attach_modes_and_foreign),
		cmocka_unit_test(test_shared_counter_slots),
	};
	enum { NF = sizeof(fixtures) / sizeof(fixtures[0]) };
	enum { NT = NF + sizeof(focused) / sizeof(focused[0]) };
	struct CMUnitTest tests[NT];
	int failed;

	for (int i = 0; i < NF; i++)
		tests[i] = (struct CMUnitTest){ .name = fixtures[i].name,
						.test_func = test_fixture,
						.initial_state = &fixtures[i] };
	memcpy(tests + NF, focused, sizeof(focused));

	failed = _cmocka_run_group_tests("datapath", tests, NT, group_setup, world_teardown);
	return failed;
}
