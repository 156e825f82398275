/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reference forwarders the Switchboard is measured against, BPF only.
 * Both forward IPv4 by (source, destination) exactly as the Switchboard
 * does (TTL-1 with the checksum patched, MACs rewritten, devmap redirect)
 * but without its classification:
 *
 *   pwb_fwd_one  one hash lookup: the "minimal XDP forwarder" of issue 7;
 *   pwb_fwd_two  an anti-spoofing client lookup, then the call lookup,
 *                then atomic packet/byte counters on the call: the design
 *                the Switchboard's one-lookup layout replaced.
 *
 * The caller passes the devmap (a DEVMAP_HASH keyed by ifindex).
 */
#ifndef PAW_BENCH_REF_FWD_H
#define PAW_BENCH_REF_FWD_H

/* ctx->data and friends, loaded with a fixed offset: clang 14 otherwise
 * shares the address arithmetic of inlined readers (ctx + a register),
 * which the verifier refuses ("dereference of modified ctx ptr"). */
#define PWB_CTX_PTR(ctx, field) ({					\
	unsigned long __v;						\
	asm volatile("%0 = *(u32 *)(%1 + %2)" : "=r"(__v)		\
		     : "r"(ctx), "i"(__builtin_offsetof(struct xdp_md, field)));	\
	(void *)__v;							\
})

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct paw_call_key);
	__type(value, struct pwb_fwd_val);
	__uint(max_entries, PAW_MAX_CALLS_DEFAULT);
} pwb_fwd1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __be32);
	__type(value, __u32);		/* the client's port */
	__uint(max_entries, PAW_MAX_CLIENTS_DEFAULT);
} pwb_cli2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct paw_call_key);
	__type(value, struct pwb_call2_val);
	__uint(max_entries, PAW_MAX_CALLS_DEFAULT);
} pwb_call2 SEC(".maps");

/* The IPv4 header of a frame worth forwarding, or NULL. */
static __always_inline struct iphdr *pwb_ip4(struct xdp_md *ctx, struct ethhdr **ethp)
{
	void *data = PWB_CTX_PTR(ctx, data);
	void *end = PWB_CTX_PTR(ctx, data_end);
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return NULL;
	if (ip->ihl != 5 || ip->ttl <= 1)
		return NULL;
	*ethp = eth;
	return ip;
}

static __always_inline int pwb_out(struct ethhdr *eth, struct iphdr *ip,
				   const struct pwb_fwd_val *v, void *txmap)
{
	int action;

	action = bpf_redirect_map(txmap, v->ifindex, XDP_DROP);
	if (action != XDP_REDIRECT)
		return XDP_DROP;
	paw_ip4_dec_ttl(ip);
	__builtin_memcpy(eth->h_dest, v->dst_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, v->src_mac, ETH_ALEN);
	return XDP_REDIRECT;
}

static __always_inline int pwb_fwd_one(struct xdp_md *ctx, void *txmap)
{
	struct pwb_fwd_val *v;
	struct ethhdr *eth;
	struct iphdr *ip = pwb_ip4(ctx, &eth);

	if (!ip)
		return XDP_DROP;
	v = bpf_map_lookup_elem(&pwb_fwd1, &ip->saddr);
	if (!v)
		return XDP_DROP;
	return pwb_out(eth, ip, v, txmap);
}

static __always_inline int pwb_fwd_two(struct xdp_md *ctx, void *txmap)
{
	struct pwb_call2_val *v;
	struct ethhdr *eth;
	struct iphdr *ip = pwb_ip4(ctx, &eth);
	__u32 *port;

	if (!ip)
		return XDP_DROP;
	port = bpf_map_lookup_elem(&pwb_cli2, &ip->saddr);
	if (!port || *port != ctx->ingress_ifindex)
		return XDP_DROP;
	v = bpf_map_lookup_elem(&pwb_call2, &ip->saddr);
	if (!v)
		return XDP_DROP;
	__sync_fetch_and_add(&v->packets, 1);
	__sync_fetch_and_add(&v->bytes, (long)PWB_CTX_PTR(ctx, data_end) -
			     (long)PWB_CTX_PTR(ctx, data));
	return pwb_out(eth, ip, &v->fwd, txmap);
}

#endif /* PAW_BENCH_REF_FWD_H */
