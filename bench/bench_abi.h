/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the bench programs (bench/<name>.bpf.c) and the bench tools share.
 * Includes nothing: the BPF side includes it after vmlinux.h, userspace
 * after <linux/types.h>, as include/paw/abi.h.
 */
#ifndef PAW_BENCH_ABI_H
#define PAW_BENCH_ABI_H

/* The generated frame: Ethernet + IPv4 + UDP + 18 bytes of payload, 60
 * bytes, 64 on the wire with the FCS. */
#define PWB_FRAME_LEN		60
#define PWB_TTL			64

/* Receiver counters, one per CPU (pwb_rx_cnt). Forwarded frames arrive
 * with TTL 63, bridged or redirect-only ones with 64. */
struct pwb_rx {
	__u64 packets;
	__u64 ttl63;
	__u64 ttl64;
	__u64 other;		/* not IPv4, or another TTL */
};

/* The generator's knobs, in its .data, changed between runs. Flow i
 * (0 <= i < nflows, round robin) goes from src_base + i to dst_base + i. */
struct pwb_gen_cfg {
	__u8  dst_mac[6];
	__u8  src_mac[6];
	__u32 nflows;
	__u32 src_base;		/* host order */
	__u32 dst_base;		/* host order */
	__u32 csum_base;	/* one's complement sum of the IPv4 header
				 * words, check and addresses zeroed, read
				 * in host order */
};

/* The reference forwarders' value: where a (source, destination) goes. */
struct pwb_fwd_val {
	__u32 ifindex;
	__u8  dst_mac[6];
	__u8  src_mac[6];
};

/* The two-lookup reference: a call value with shared (atomic) counters. */
struct pwb_call2_val {
	struct pwb_fwd_val fwd;
	__u64 packets;
	__u64 bytes;
};

_Static_assert(sizeof(struct pwb_rx) == 32, "pwb_rx");
_Static_assert(sizeof(struct pwb_gen_cfg) == 28, "pwb_gen_cfg");
_Static_assert(sizeof(struct pwb_fwd_val) == 16, "pwb_fwd_val");
_Static_assert(sizeof(struct pwb_call2_val) == 32, "pwb_call2_val");

/* Table layout shared by the per-frame cost programs and the tools:
 * PWB_CLIENTS clients (or fewer), and call c between clients
 * a = c mod M and b = (a + c / M + 1) mod M, M a power of two; entry
 * e = 2c + d is the direction a -> b (d = 0) or b -> a (d = 1). Entries
 * are distinct while c / M < M / 2 - 1: 2M^2 - 4M entries, far more than
 * paw_calls holds. */
#define PWB_CLIENTS		65536
#define PWB_CLIENT_BASE		0x0a800000	/* 10.128.0.0, host order */

/* Entry e of that layout: host-order source and destination. */
static inline void pwb_entry(__u32 e, __u32 *src, __u32 *dst)
{
	__u32 c = e >> 1;
	__u32 a = c & (PWB_CLIENTS - 1);
	__u32 b = (a + c / PWB_CLIENTS + 1) & (PWB_CLIENTS - 1);

	if (e & 1) {
		__u32 t = a;

		a = b;
		b = t;
	}
	*src = PWB_CLIENT_BASE + a;
	*dst = PWB_CLIENT_BASE + b;
}

#endif /* PAW_BENCH_ABI_H */
