/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Switchboard's classifier (SPEC.md, "Datapath"), in order:
 *   1. IPv6 to a MainBackend address on the ear's TCP/UDP port, ARP and
 *      IPv6 neighbour discovery: XDP_PASS to the host, where pawd listens.
 *   2. IPv4 on a call, from the caller's own port: TTL-1, MACs rewritten,
 *      redirected to the callee's port. One hash lookup.
 *   3. IPv4 between registered clients without a call, or with a source
 *      that is not the ingress port's client: XDP_DROP.
 *   4. Anything else: the configured default policy.
 * Malformed frames are dropped, each under its own reason.
 */
#ifndef PAW_BPF_SWITCHBOARD_H
#define PAW_BPF_SWITCHBOARD_H

/* A verdict off the forward path: count it and report drops. */
static __always_inline int paw_verdict(struct xdp_md *ctx, __u32 reason, int action)
{
	__u64 bytes = ctx->data_end - ctx->data;

	paw_count(reason, bytes);
	paw_count_port(ctx->ingress_ifindex, reason, bytes);
	if (action == XDP_DROP)
		paw_emit_drop(ctx, reason);
	return action;
}

static __always_inline int paw_drop(struct xdp_md *ctx, __u32 reason)
{
	return paw_verdict(ctx, reason, XDP_DROP);
}

/* Class 4: neither Operator traffic nor a call. */
static __always_inline int paw_other(struct xdp_md *ctx)
{
	struct paw_config *cfg;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&paw_config, &zero);
	if (cfg && cfg->default_policy == PAW_POLICY_DROP)
		return paw_drop(ctx, PAW_R_OTHER_DROP);
	return paw_verdict(ctx, PAW_R_OTHER_PASS, XDP_PASS);
}

/* Class 3 or 4 for IPv4 that matched no call from this port. */
static __always_inline int paw_ip4_miss(struct xdp_md *ctx, struct iphdr *ip)
{
	struct paw_client *src, *dst;

	src = bpf_map_lookup_elem(&paw_clients, &ip->saddr);
	if (src && src->ifindex != ctx->ingress_ifindex)
		return paw_drop(ctx, PAW_R_SPOOFED);
	dst = bpf_map_lookup_elem(&paw_clients, &ip->daddr);
	if (dst)
		return paw_drop(ctx, src ? PAW_R_NO_CALL : PAW_R_SPOOFED);
	return paw_other(ctx);
}

static __always_inline int paw_ip4(struct xdp_md *ctx, struct paw_cursor *c,
				   struct ethhdr *eth)
{
	struct paw_call *call;
	struct iphdr *ip;
	__u64 bytes;
	int reason, action;

	reason = paw_parse_ip4(c, &ip);
	if (reason)
		return paw_drop(ctx, reason);

	/* saddr and daddr lie side by side in the header exactly as a
	 * struct paw_call_key: the frame itself is the key. */
	call = bpf_map_lookup_elem(&paw_calls, &ip->saddr);
	if (!call)
		return paw_ip4_miss(ctx, ip);
	if (unlikely(call->ingress_ifindex != ctx->ingress_ifindex))
		return paw_drop(ctx, PAW_R_SPOOFED);
	/* Expired: dropped here rather than passed up, so a call's traffic
	 * never reaches the host's own routing. */
	if (unlikely(ip->ttl <= 1))
		return paw_drop(ctx, PAW_R_TTL);
	if (unlikely(call->egress_mtu && bpf_ntohs(ip->tot_len) > call->egress_mtu))
		return paw_drop(ctx, PAW_R_TOO_BIG);

	/* Resolve the port before touching the frame: a port that vanished
	 * leaves the frame as it came, dropped and counted. */
	action = bpf_redirect_map(&paw_tx_ports, call->egress_ifindex, XDP_DROP);
	if (unlikely(action != XDP_REDIRECT))
		return paw_drop(ctx, PAW_R_PORT_GONE);

	paw_ip4_dec_ttl(ip);
	__builtin_memcpy(eth->h_dest, call->dst_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, call->src_mac, ETH_ALEN);

	bytes = ctx->data_end - ctx->data;
	paw_count_call(call, bytes);
	paw_count(PAW_R_FORWARD, bytes);
	return XDP_REDIRECT;
}

static __always_inline int paw_ip6(struct xdp_md *ctx, struct paw_cursor *c)
{
	struct paw_backend_key *daddr;
	struct paw_config *cfg;
	struct ipv6hdr *ip6;
	__u32 zero = 0;
	int reason, dport;
	__u8 nh;

	reason = paw_parse_ip6(c, &ip6);
	if (reason)
		return paw_drop(ctx, reason);
	nh = ip6->nexthdr;

	if (nh == NEXTHDR_ICMP) {
		__u8 *type = c->pos;

		/* type, code and checksum */
		if ((void *)type + 4 > c->end)
			return paw_drop(ctx, PAW_R_TRUNC_L4);
		if (*type >= NDISC_FIRST && *type <= NDISC_LAST)
			return paw_verdict(ctx, PAW_R_NEIGH, XDP_PASS);
		return paw_other(ctx);
	}

	daddr = (struct paw_backend_key *)&ip6->daddr;
	if (!bpf_map_lookup_elem(&paw_backends, daddr))
		return paw_other(ctx);

	/* To MainBackend: only the ear's port, reached without extension
	 * headers, goes up to pawd. */
	if (paw_ip6_is_ext(nh))
		return paw_drop(ctx, PAW_R_IP6_EXT);
	if (nh != IPPROTO_UDP && nh != IPPROTO_TCP)
		return paw_other(ctx);
	dport = paw_parse_l4_dport(c, nh);
	if (dport < 0)
		return paw_drop(ctx, PAW_R_TRUNC_L4);
	cfg = bpf_map_lookup_elem(&paw_config, &zero);
	if (cfg && dport == cfg->ear_port &&
	    (cfg->flags & (nh == IPPROTO_UDP ? PAW_CFG_F_EAR_UDP : PAW_CFG_F_EAR_TCP)))
		return paw_verdict(ctx, PAW_R_OPERATOR, XDP_PASS);
	return paw_other(ctx);
}

static __always_inline int paw_switch(struct xdp_md *ctx)
{
	struct paw_cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	struct ethhdr *eth;
	int proto;

	proto = paw_parse_eth(&c, &eth);
	if (proto < 0)
		return paw_drop(ctx, PAW_R_TRUNC_ETH);
	if (proto == bpf_htons(ETH_P_IP))
		return paw_ip4(ctx, &c, eth);
	if (proto == bpf_htons(ETH_P_IPV6))
		return paw_ip6(ctx, &c);
	if (proto == bpf_htons(ETH_P_ARP))
		return paw_verdict(ctx, PAW_R_NEIGH, XDP_PASS);
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD))
		return paw_drop(ctx, PAW_R_VLAN);
	return paw_other(ctx);
}

#endif /* PAW_BPF_SWITCHBOARD_H */
