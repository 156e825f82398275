/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Switchboard ABI: every map key and value, every verdict and drop
 * reason, the runtime config and the monitor event, shared by the XDP
 * program (bpf/) and userspace (lib/, daemon/, ctl/, tests/).
 *
 * This header includes nothing. The BPF side includes it after vmlinux.h,
 * userspace after <linux/types.h>; both then see the same fixed-width,
 * explicitly ordered layouts, which the _Static_asserts below pin down so
 * clang-bpf and gcc agree.
 *
 * Byte order: addresses and L4 ports are stored as they are on the wire
 * (__be*). Everything else is host order. Userspace converts at its own
 * boundary (parsing and printing), never the datapath.
 */
#ifndef PAW_ABI_H
#define PAW_ABI_H

/* Bumped on any incompatible change to a pinned map's layout or meaning.
 * A loader refuses pinned maps carrying another version. */
#define PAW_ABI_VERSION		1

#define PAW_PIN_DIR_DEFAULT	"/sys/fs/bpf/paw"

/* Map names: the kernel keeps 15 characters, and pins use the name. */
#define PAW_MAP_CALLS		"paw_calls"
#define PAW_MAP_CLIENTS		"paw_clients"
#define PAW_MAP_PORTS		"paw_ports"
#define PAW_MAP_TX_PORTS	"paw_tx_ports"
#define PAW_MAP_BACKENDS	"paw_backends"
#define PAW_MAP_CONFIG		"paw_config"
#define PAW_MAP_STATS		"paw_stats"
#define PAW_MAP_PORT_STATS	"paw_port_stats"
#define PAW_MAP_EVENTS		"paw_events"

/* Sizes. Clients and calls are defaults, resized at load time. */
#define PAW_MAX_CLIENTS_DEFAULT	65536
#define PAW_MAX_CALLS_DEFAULT	1048576
#define PAW_MAX_PORTS		256	/* port slot 0 counts unknown ports */
#define PAW_MAX_BACKENDS	16
#define PAW_EVENTS_BYTES	(256 * 1024)
/* Per-call counter slots carried inline in each call entry. One per CPU
 * keeps the forward path free of atomics; hosts with more CPUs than the
 * default share slots and the program switches to atomic adds (each slot
 * costs 16 bytes in every call entry: 1M calls x 64 CPUs would be 1 GiB). */
#define PAW_CTR_SLOTS_DEFAULT	16
#define PAW_CTR_SLOTS_MAX	64

/*
 * Why a frame got its verdict. Every frame the Switchboard sees is counted
 * under exactly one reason, per CPU, in paw_stats and paw_port_stats.
 */
enum paw_reason {
	PAW_R_FORWARD = 0,	/* IPv4 on a call: redirected to the callee's port */
	PAW_R_OPERATOR,		/* IPv6 to MainBackend's ear: passed to pawd */
	PAW_R_NEIGH,		/* ARP or IPv6 neighbour discovery: passed */
	PAW_R_OTHER_PASS,	/* anything else, default policy "pass" */
	PAW_R_OTHER_DROP,	/* anything else, default policy "drop" */
	PAW_R_NO_CALL,		/* IPv4 between registered clients without a call */
	PAW_R_SPOOFED,		/* IPv4 source is not the ingress port's client */
	PAW_R_TTL,		/* TTL <= 1 on a call: not forwarded */
	PAW_R_TOO_BIG,		/* larger than the egress port's MTU */
	PAW_R_PORT_GONE,	/* callee's port missing from paw_tx_ports */
	PAW_R_TRUNC_ETH,	/* shorter than an Ethernet header */
	PAW_R_VLAN,		/* 802.1Q / 802.1ad tagged */
	PAW_R_TRUNC_IP4,	/* shorter than the IPv4 header/total length claims */
	PAW_R_BAD_IP4,		/* version != 4, IHL < 5, total length < IHL */
	PAW_R_IP4_OPTIONS,	/* IHL > 5 */
	PAW_R_FRAGMENT,		/* IPv4 fragment (MF or offset) */
	PAW_R_TRUNC_IP6,	/* shorter than the IPv6 header/payload claims */
	PAW_R_BAD_IP6,		/* version != 6 */
	PAW_R_IP6_EXT,		/* extension header before the ear's TCP/UDP */
	PAW_R_TRUNC_L4,		/* TCP/UDP/ICMPv6 header cut short */
	PAW_R_MAX,
};

/* Actions for "anything else". */
enum paw_policy {
	PAW_POLICY_PASS = 0,
	PAW_POLICY_DROP = 1,
};

/* A per-CPU (or per-slot) packet and byte counter. */
struct paw_ctr {
	__u64 packets;
	__u64 bytes;
};

/* paw_calls: one entry per direction of a call, keyed by (source, dest). */
struct paw_call_key {
	__be32 src;
	__be32 dst;
};

/*
 * paw_calls value. Everything the forward path needs, so a frame costs one
 * hash lookup: the port the caller must come in on (anti-spoofing), the
 * port and MACs to send out with, and the egress MTU.
 *
 * The map's value is this struct followed by ctr_slots struct paw_ctr,
 * one per CPU; the loader sizes it (see paw_call_value_size()).
 */
struct paw_call {
	__u32 ingress_ifindex;	/* caller's port */
	__u32 egress_ifindex;	/* callee's port; key of paw_tx_ports */
	__u8  dst_mac[6];	/* callee's MAC */
	__u8  src_mac[6];	/* egress port's MAC */
	__u16 egress_mtu;	/* L3 MTU of the egress port; 0: unchecked */
	__u16 flags;		/* PAW_CALL_F_* */
	__u32 call_id;		/* the Operator's id for this call */
	__u32 pad;
};

#define PAW_CALL_F_REVERSE	0x1	/* callee -> caller direction */

/* paw_clients: registered clients, keyed by IPv4 address (__be32). */
struct paw_client {
	__u32 ifindex;		/* the port the client hangs off */
	__u32 client_id;
	__u8  mac[6];
	__u16 flags;		/* PAW_CLIENT_F_* */
};

#define PAW_CLIENT_F_MAC_KNOWN	0x1

/* paw_ports: Switchboard ports, keyed by ifindex (__u32). */
struct paw_port {
	__u32 slot;		/* index into paw_port_stats, 1..PAW_MAX_PORTS-1 */
	__u32 flags;		/* PAW_PORT_F_* */
	__u8  mac[6];
	__u16 mtu;
};

#define PAW_PORT_F_UP		0x1

/* paw_port_stats: per-CPU array indexed by port slot. */
struct paw_port_stats {
	struct paw_ctr reason[PAW_R_MAX];
};

/* paw_backends: MainBackend IPv6 addresses, keyed by the raw address. */
struct paw_backend_key {
	__u8 addr[16];
};

/* paw_config: array of one entry, set by the Operator at runtime. */
struct paw_config {
	__u32 abi_version;	/* PAW_ABI_VERSION of the loader that wrote it */
	__u32 flags;		/* PAW_CFG_F_* */
	__be16 ear_port;	/* the ear's TCP/UDP port on MainBackend */
	__u8  default_policy;	/* enum paw_policy */
	__u8  pad;
	__u32 pad2;
};

#define PAW_CFG_F_EAR_UDP	0x1
#define PAW_CFG_F_EAR_TCP	0x2
#define PAW_CFG_F_MONITOR	0x4	/* emit drop events to paw_events */

/* paw_events: one record per dropped frame while monitoring. */
struct paw_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns() */
	__u32 reason;		/* enum paw_reason */
	__u32 ifindex;		/* ingress port */
	__u32 len;		/* frame length */
	__be16 ethertype;
	__u8  family;		/* 4, 6 or 0 when not IP */
	__u8  l4proto;
	__u8  src[16];		/* IPv4 in the first 4 bytes */
	__u8  dst[16];
	__be16 sport;
	__be16 dport;
	__u32 pad;
};

#define PAW_ABI_ASSERT(type, size) \
	_Static_assert(sizeof(type) == (size), "ABI size of " #type)

PAW_ABI_ASSERT(struct paw_ctr, 16);
PAW_ABI_ASSERT(struct paw_call_key, 8);
PAW_ABI_ASSERT(struct paw_call, 32);
PAW_ABI_ASSERT(struct paw_client, 16);
PAW_ABI_ASSERT(struct paw_port, 16);
PAW_ABI_ASSERT(struct paw_port_stats, 16 * PAW_R_MAX);
PAW_ABI_ASSERT(struct paw_backend_key, 16);
PAW_ABI_ASSERT(struct paw_config, 16);
PAW_ABI_ASSERT(struct paw_event, 64);

/* Size of one paw_calls value carrying ctr_slots counters. */
#define paw_call_value_size(ctr_slots) \
	(sizeof(struct paw_call) + (ctr_slots) * sizeof(struct paw_ctr))

#endif /* PAW_ABI_H */
