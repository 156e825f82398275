// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per-frame cost programs (bench/cost.c), run by BPF_PROG_TEST_RUN with a
 * large repeat. Each runs the same prelude, then:
 *
 *   cost_empty     nothing at all (no prelude): BPF_PROG_TEST_RUN's own cost
 *   cost_pass      XDP_PASS: the floor of any verdict
 *   cost_redirect  bpf_redirect_map() to one port: the floor of forwarding
 *   cost_single    one hash lookup, then forward (ref_fwd.h)
 *   cost_two       two lookups and atomic counters, then forward (ref_fwd.h)
 *   cost_paw       the Switchboard's classifier, paw_switch(), inline
 *
 * The Switchboard's maps are the ones libpaw loaded and programmed: the
 * loader hands their fds to this object before it loads.
 *
 * The prelude resets the TTL the forward path decrements (repeated runs
 * see the same frame) and, when spreading, writes the addresses of
 * another entry of bench_abi.h's table into the frame on every run, so a
 * large table misses the cache as real traffic would.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "paw/abi.h"
#include "lib/defs.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/csum.h"
#include "lib/stats.h"
#include "lib/switchboard.h"
#include "bench_abi.h"
#include "ref_fwd.h"

/* Set by userspace between runs. */
__u32 spread_n;		/* 0: hot, the frame's own addresses; N: entries 0..N-1 */
__u32 redirect_ifindex;	/* cost_redirect's port */
__u32 spread_i;

/* A prime: i -> i * K mod N visits every entry once per N runs, in an
 * order unrelated to where the entries sit in memory. */
#define SPREAD_K 2654435761ull

static __always_inline void prelude(struct xdp_md *ctx)
{
	void *data = PWB_CTX_PTR(ctx, data);
	void *end = PWB_CTX_PTR(ctx, data_end);
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u32 i, e, s, d;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return;
	if (spread_n) {
		i = spread_i;
		spread_i = i + 1 >= spread_n ? 0 : i + 1;
		e = (__u64)i * SPREAD_K % spread_n;
		pwb_entry(e, &s, &d);
		ip->saddr = bpf_htonl(s);
		ip->daddr = bpf_htonl(d);
	}
	ip->ttl = PWB_TTL;
}

SEC("xdp")
int cost_empty(struct xdp_md *ctx __attribute__((unused)))
{
	return XDP_PASS;
}

SEC("xdp")
int cost_pass(struct xdp_md *ctx)
{
	prelude(ctx);
	return XDP_PASS;
}

SEC("xdp")
int cost_redirect(struct xdp_md *ctx)
{
	prelude(ctx);
	return bpf_redirect_map(&paw_tx_ports, redirect_ifindex, 0);
}

SEC("xdp")
int cost_single(struct xdp_md *ctx)
{
	prelude(ctx);
	return pwb_fwd_one(ctx, &paw_tx_ports);
}

SEC("xdp")
int cost_two(struct xdp_md *ctx)
{
	prelude(ctx);
	return pwb_fwd_two(ctx, &paw_tx_ports);
}

SEC("xdp")
int cost_paw(struct xdp_md *ctx)
{
	prelude(ctx);
	return paw_switch(ctx);
}

char LICENSE[] SEC("license") = "GPL";
