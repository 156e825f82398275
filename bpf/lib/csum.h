/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PAW_BPF_CSUM_H
#define PAW_BPF_CSUM_H

/*
 * Decrement the TTL and patch the header checksum incrementally
 * (RFC 1624, eqn. 3): the 16-bit word holding TTL drops by 0x0100, so the
 * one's-complement checksum rises by 0x0100 with end-around carry. Adding
 * the carry as (check >= 0xffff) also folds 0xffff to 0x0000, the form
 * RFC 1624 section 3 shows a correct recomputation gives.
 */
static __always_inline void paw_ip4_dec_ttl(struct iphdr *ip)
{
	__u32 check = (__u32)ip->check;

	check += (__u32)bpf_htons(0x0100);
	ip->check = (__sum16)(check + (check >= 0xffff));
	ip->ttl--;
}

#endif /* PAW_BPF_CSUM_H */
