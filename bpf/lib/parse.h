/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Header cursor and bounded parsers. Each parser checks its header against
 * the end of the frame before reading it and checks lengths taken from the
 * wire against both a minimum and the end of the frame.
 */
#ifndef PAW_BPF_PARSE_H
#define PAW_BPF_PARSE_H

struct paw_cursor {
	void *pos;
	void *end;
};

/* Returns the ethertype (network order) or -1 when truncated. */
static __always_inline int paw_parse_eth(struct paw_cursor *c, struct ethhdr **eth)
{
	struct ethhdr *h = c->pos;

	if ((void *)(h + 1) > c->end)
		return -1;
	c->pos = h + 1;
	*eth = h;
	return h->h_proto;
}

/*
 * Validates an IPv4 header. Returns 0 or the drop reason. On success the
 * header is exactly 20 bytes (options are refused) and the whole datagram
 * of tot_len bytes lies within the frame.
 */
static __always_inline int paw_parse_ip4(struct paw_cursor *c, struct iphdr **iph)
{
	struct iphdr *ip = c->pos;
	__u64 tot;

	if ((void *)(ip + 1) > c->end)
		return PAW_R_TRUNC_IP4;
	if (ip->version != 4 || ip->ihl < 5)
		return PAW_R_BAD_IP4;
	if (ip->ihl != 5)
		return PAW_R_IP4_OPTIONS;
	tot = bpf_ntohs(ip->tot_len);
	if (!paw_bounded(tot, 0xffff))
		return PAW_R_BAD_IP4;
	paw_opaque(tot);
	if (tot < sizeof(*ip))
		return PAW_R_BAD_IP4;
	if ((void *)ip + tot > c->end)
		return PAW_R_TRUNC_IP4;
	if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return PAW_R_FRAGMENT;
	c->pos = ip + 1;
	*iph = ip;
	return 0;
}

/* Validates the fixed IPv6 header and its payload length. */
static __always_inline int paw_parse_ip6(struct paw_cursor *c, struct ipv6hdr **ip6h)
{
	struct ipv6hdr *ip6 = c->pos;
	__u64 plen;

	if ((void *)(ip6 + 1) > c->end)
		return PAW_R_TRUNC_IP6;
	if (ip6->version != 6)
		return PAW_R_BAD_IP6;
	plen = bpf_ntohs(ip6->payload_len);
	if (!paw_bounded(plen, 0xffff))
		return PAW_R_TRUNC_IP6;
	paw_opaque(plen);
	if ((void *)(ip6 + 1) + plen > c->end)
		return PAW_R_TRUNC_IP6;
	c->pos = ip6 + 1;
	*ip6h = ip6;
	return 0;
}

static __always_inline bool paw_ip6_is_ext(__u8 nh)
{
	switch (nh) {
	case NEXTHDR_HOP:
	case NEXTHDR_ROUTING:
	case NEXTHDR_FRAGMENT:
	case NEXTHDR_AUTH:
	case NEXTHDR_DEST:
	case NEXTHDR_MOBILITY:
	case NEXTHDR_HIP:
	case NEXTHDR_SHIM6:
		return true;
	}
	return false;
}

/* Destination port (network order) of a TCP or UDP header at the cursor,
 * or -1 when the fixed header does not fit in the frame. */
static __always_inline int paw_parse_l4_dport(struct paw_cursor *c, __u8 proto)
{
	if (proto == IPPROTO_UDP) {
		struct udphdr *uh = c->pos;

		if ((void *)(uh + 1) > c->end)
			return -1;
		return uh->dest;
	}
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = c->pos;

		if ((void *)(th + 1) > c->end || th->doff < 5)
			return -1;
		return th->dest;
	}
	return -1;
}

#endif /* PAW_BPF_PARSE_H */
