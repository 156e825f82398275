// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * End-to-end bench programs (bench/fwd.c):
 *   pwb_gen      the traffic generator, run by BPF_PROG_TEST_RUN in live
 *                frames mode: stamps flow i's header on each frame and
 *                transmits it (XDP_TX) out of the generator's veth;
 *   pwb_recv     the receiver: counts per CPU and drops;
 *   pwb_redir    the floor: redirects everything to one devmap slot;
 *   pwb_fwd1/2   the reference forwarders of ref_fwd.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "paw/abi.h"
#include "lib/defs.h"
#include "lib/csum.h"
#include "bench_abi.h"
#include "ref_fwd.h"

/* ---- generator ---- */

struct pwb_gen_cfg gen_cfg = { .nflows = 1 };
__u64 gen_sent;		/* frames stamped, read by userspace */
__u32 gen_next;		/* next flow; one generator thread runs this */

/*
 * A forwarder rewrites MACs and TTL in place, and live frames mode hands
 * the same pages out again, so every field a forwarder may touch is
 * stamped afresh on every frame; the rest of the frame never changes.
 */
SEC("xdp")
int pwb_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u32 i = gen_next, sum;
	__be32 s, d;

	if ((void *)(ip + 1) > end)
		return XDP_ABORTED;
	gen_next = i + 1 >= gen_cfg.nflows ? 0 : i + 1;

	__builtin_memcpy(eth->h_dest, gen_cfg.dst_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, gen_cfg.src_mac, ETH_ALEN);
	s = bpf_htonl(gen_cfg.src_base + i);
	d = bpf_htonl(gen_cfg.dst_base + i);
	ip->ttl = PWB_TTL;
	ip->saddr = s;
	ip->daddr = d;
	sum = gen_cfg.csum_base + (s & 0xffff) + (s >> 16) + (d & 0xffff) + (d >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip->check = (__sum16)~sum;
	gen_sent++;
	return XDP_TX;
}

/* ---- receiver ---- */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct pwb_rx);
	__uint(max_entries, 1);
} pwb_rx_cnt SEC(".maps");

SEC("xdp")
int pwb_recv(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct pwb_rx *rx;
	__u32 zero = 0;

	rx = bpf_map_lookup_elem(&pwb_rx_cnt, &zero);
	if (!rx)
		return XDP_DROP;
	rx->packets++;
	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		rx->other++;
	else if (ip->ttl == PWB_TTL - 1)
		rx->ttl63++;
	else if (ip->ttl == PWB_TTL)
		rx->ttl64++;
	else
		rx->other++;
	return XDP_DROP;
}

/* ---- forwarders ---- */

/* The floor: no parsing, no lookup but the devmap's, nothing rewritten. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
	__uint(max_entries, 1);
} pwb_tx SEC(".maps");

SEC("xdp")
int pwb_redir(struct xdp_md *ctx __attribute__((unused)))
{
	return bpf_redirect_map(&pwb_tx, 0, 0);
}

/* Egress ports of the reference forwarders, keyed by ifindex as the
 * Switchboard's paw_tx_ports. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
	__uint(max_entries, PAW_MAX_PORTS);
} pwb_txh SEC(".maps");

SEC("xdp")
int pwb_fwd1_prog(struct xdp_md *ctx)
{
	return pwb_fwd_one(ctx, &pwb_txh);
}

SEC("xdp")
int pwb_fwd2_prog(struct xdp_md *ctx)
{
	return pwb_fwd_two(ctx, &pwb_txh);
}

/* For a veth that must run XDP to take native redirects. */
SEC("xdp")
int pwb_pass(struct xdp_md *ctx __attribute__((unused)))
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
