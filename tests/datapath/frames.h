/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Frame builders for datapath tests, written independently of the BPF
 * code: every checksum here is a full recomputation (RFC 1071), which is
 * what the Switchboard's incremental updates are checked against.
 */
#ifndef PAW_TEST_FRAMES_H
#define PAW_TEST_FRAMES_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#include <linux/icmpv6.h>

#define FRAME_MAX 10000

/* b starts 2 bytes past a 4-byte boundary, so the IP header after the
 * 14-byte Ethernet header is aligned as the kernel's headers expect. */
struct frame {
	uint8_t pad[2];
	uint8_t b[FRAME_MAX];
	uint32_t len;
} __attribute__((aligned(4)));

/* RFC 1071 one's-complement sum, folded, not inverted. */
static inline uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static inline uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The checksum field value for data whose checksum field is zero. */
static inline uint16_t csum_full(const void *data, size_t len)
{
	return htons((uint16_t)~csum_fold(csum_add(0, data, len)));
}

/* A header with a correct checksum sums to 0xffff. */
static inline int ip4_csum_ok(const struct iphdr *ip)
{
	return csum_fold(csum_add(0, ip, ip->ihl * 4)) == 0xffff;
}

static inline void ip4_csum_set(struct iphdr *ip)
{
	ip->check = 0;
	ip->check = csum_full(ip, ip->ihl * 4);
}

static inline void *put_eth(struct frame *f, const uint8_t *dst, const uint8_t *src,
			    uint16_t proto)
{
	struct ethhdr *eth = (struct ethhdr *)f->b;

	memcpy(eth->h_dest, dst, ETH_ALEN);
	memcpy(eth->h_source, src, ETH_ALEN);
	eth->h_proto = htons(proto);
	f->len = sizeof(*eth);
	return eth + 1;
}

struct ip4_spec {
	const uint8_t *dmac, *smac;
	uint32_t saddr, daddr;	/* network order */
	uint8_t ttl;
	uint8_t proto;		/* 0: UDP */
	uint16_t id;
	uint16_t payload;	/* UDP payload bytes */
	uint16_t frag_off;	/* host order, flags included */
	uint8_t tos;
};

/* Ethernet + IPv4 + UDP (with checksum) + a patterned payload. */
static inline void build_ip4_udp(struct frame *f, const struct ip4_spec *s)
{
	struct iphdr *ip = put_eth(f, s->dmac, s->smac, ETH_P_IP);
	struct udphdr *uh = (struct udphdr *)(ip + 1);
	uint8_t *pl = (uint8_t *)(uh + 1);
	uint16_t ulen = sizeof(*uh) + s->payload;
	uint32_t sum;

	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->tos = s->tos;
	ip->tot_len = htons(sizeof(*ip) + ulen);
	ip->id = htons(s->id);
	ip->frag_off = htons(s->frag_off);
	ip->ttl = s->ttl ? s->ttl : 64;
	ip->protocol = s->proto ? s->proto : IPPROTO_UDP;
	ip->saddr = s->saddr;
	ip->daddr = s->daddr;
	ip4_csum_set(ip);

	uh->source = htons(40000 + (s->id & 0xff));
	uh->dest = htons(9);
	uh->len = htons(ulen);
	uh->check = 0;
	for (uint16_t i = 0; i < s->payload; i++)
		pl[i] = (uint8_t)(i * 7 + s->id);
	/* UDP checksum over the pseudo header; TTL is not part of it, so a
	 * forwarded frame keeps this value. */
	sum = csum_add(0, &ip->saddr, 8);
	sum += IPPROTO_UDP + ulen;
	sum = csum_add(sum, uh, ulen);
	uh->check = htons((uint16_t)~csum_fold(sum));
	if (!uh->check)
		uh->check = 0xffff;
	f->len += sizeof(*ip) + ulen;
}

struct ip6_spec {
	const uint8_t *dmac, *smac;
	struct in6_addr saddr, daddr;
	uint8_t nexthdr;	/* IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMPV6, or an ext */
	uint8_t l4proto;	/* after an extension header */
	uint16_t dport;		/* host order */
	uint8_t icmp_type;
	uint16_t payload;
};

/* Ethernet + IPv6 [+ one 8-byte extension header] + UDP/TCP/ICMPv6. */
static inline void build_ip6(struct frame *f, const struct ip6_spec *s)
{
	struct ipv6hdr *ip6 = put_eth(f, s->dmac, s->smac, ETH_P_IPV6);
	uint8_t *p = (uint8_t *)(ip6 + 1);
	uint8_t proto = s->nexthdr;
	uint16_t plen = 0;

	memset(ip6, 0, sizeof(*ip6));
	ip6->version = 6;
	ip6->nexthdr = s->nexthdr;
	ip6->hop_limit = 64;
	ip6->saddr = s->saddr;
	ip6->daddr = s->daddr;
	if (proto != IPPROTO_UDP && proto != IPPROTO_TCP && proto != IPPROTO_ICMPV6) {
		/* A minimal extension header: next header, length 0, padding. */
		memset(p, 0, 8);
		p[0] = s->l4proto;
		p += 8;
		plen += 8;
		proto = s->l4proto;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *uh = (struct udphdr *)p;

		uh->source = htons(5353);
		uh->dest = htons(s->dport);
		uh->len = htons(sizeof(*uh) + s->payload);
		uh->check = 0;
		plen += sizeof(*uh) + s->payload;
		p += sizeof(*uh);
	} else if (proto == IPPROTO_TCP) {
		struct tcphdr *th = (struct tcphdr *)p;

		memset(th, 0, sizeof(*th));
		th->source = htons(40001);
		th->dest = htons(s->dport);
		th->doff = 5;
		th->syn = 1;
		plen += sizeof(*th) + s->payload;
		p += sizeof(*th);
	} else {
		struct icmp6hdr *ih = (struct icmp6hdr *)p;

		memset(ih, 0, sizeof(*ih));
		ih->icmp6_type = s->icmp_type;
		plen += sizeof(*ih) + s->payload;
		p += sizeof(*ih);
	}
	memset(p, 0xab, s->payload);
	ip6->payload_len = htons(plen);
	f->len += sizeof(*ip6) + plen;
}

/* An ARP request from smac/sip for tip. */
static inline void build_arp(struct frame *f, const uint8_t *smac, uint32_t sip, uint32_t tip)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t *p = put_eth(f, bcast, smac, ETH_P_ARP);

	p[0] = 0; p[1] = 1;		/* Ethernet */
	p[2] = 0x08; p[3] = 0x00;	/* IPv4 */
	p[4] = 6; p[5] = 4;
	p[6] = 0; p[7] = 1;		/* request */
	memcpy(p + 8, smac, 6);
	memcpy(p + 14, &sip, 4);
	memset(p + 18, 0, 6);
	memcpy(p + 24, &tip, 4);
	f->len += 28;
	/* Minimum Ethernet frame (without FCS). */
	memset(f->b + f->len, 0, 60 - f->len);
	f->len = 60;
}

/* Insert an 802.1Q/802.1ad tag after the MAC addresses. */
static inline void add_vlan(struct frame *f, uint16_t tpid, uint16_t vid)
{
	memmove(f->b + 16, f->b + 12, f->len - 12);
	f->b[12] = tpid >> 8;
	f->b[13] = tpid & 0xff;
	f->b[14] = vid >> 8;
	f->b[15] = vid & 0xff;
	f->len += 4;
}

static inline struct iphdr *frame_ip4(struct frame *f)
{
	return (struct iphdr *)(f->b + sizeof(struct ethhdr));
}

static inline struct ipv6hdr *frame_ip6(struct frame *f)
{
	return (struct ipv6hdr *)(f->b + sizeof(struct ethhdr));
}

#endif /* PAW_TEST_FRAMES_H */
