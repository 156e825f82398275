/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What vmlinux.h lacks: it carries types and enums, never macros. */
#ifndef PAW_BPF_DEFS_H
#define PAW_BPF_DEFS_H

#define ETH_ALEN	6
#define ETH_HLEN	14
#define ETH_P_IP	0x0800
#define ETH_P_ARP	0x0806
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8
#define ETH_P_IPV6	0x86DD

#define IP_MF		0x2000
#define IP_OFFSET	0x1fff

/* IPv6 extension headers (RFC 8200 4.1, RFC 7045). */
#define NEXTHDR_HOP		0
#define NEXTHDR_ROUTING		43
#define NEXTHDR_FRAGMENT	44
#define NEXTHDR_AUTH		51
#define NEXTHDR_DEST		60
#define NEXTHDR_MOBILITY	135
#define NEXTHDR_HIP		139
#define NEXTHDR_SHIM6		140
#define NEXTHDR_ICMP		58

/* ICMPv6 neighbour discovery (RFC 4861): RS, RA, NS, NA, redirect. */
#define NDISC_FIRST		133
#define NDISC_LAST		137

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif

/*
 * Make a value's upper bound visible to the verifier. Kernels up to at
 * least 6.1 forget the bounds of a byte swap (bpf_ntohs) and of a modulo;
 * an explicit check restores them, and the empty asm hides the value from
 * clang so it cannot prove the check redundant and drop it.
 */
#define paw_bounded(v, max) ({ asm volatile("" : "+r"(v)); (v) <= (max); })

/* Hide a value from clang between two checks, so it does not fold them
 * into one range test on a copy, whose bound 6.1 cannot carry back. */
#define paw_opaque(v) asm volatile("" : "+r"(v))

#endif /* PAW_BPF_DEFS_H */
