/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Counting and drop events. Every frame is counted exactly once, per CPU,
 * under its reason: globally in paw_stats and, off the forward path, per
 * port in paw_port_stats. Drops are reported to paw_events while the
 * Operator has a monitor running.
 */
#ifndef PAW_BPF_STATS_H
#define PAW_BPF_STATS_H

/* Set by the loader before load. */
const volatile __u32 ctr_slots = 1;	/* counters inline in a paw_calls value */
const volatile __u8 ctr_atomic = 0;	/* slots are shared between CPUs */

/* Ring buffer records that could not be reserved, per CPU; read with the
 * skeleton's .bss. */
__u64 events_lost[PAW_CTR_SLOTS_MAX] = {};

static __always_inline void paw_ctr_add(struct paw_ctr *c, __u64 bytes)
{
	c->packets++;
	c->bytes += bytes;
}

static __always_inline void paw_count(__u32 reason, __u64 bytes)
{
	struct paw_ctr *c = bpf_map_lookup_elem(&paw_stats, &reason);

	if (c)
		paw_ctr_add(c, bytes);
}

static __always_inline void paw_count_port(__u32 ifindex, __u32 reason, __u64 bytes)
{
	struct paw_port_stats *ps;
	struct paw_port *port;
	__u32 slot = 0;

	port = bpf_map_lookup_elem(&paw_ports, &ifindex);
	if (port && port->slot < PAW_MAX_PORTS)
		slot = port->slot;
	ps = bpf_map_lookup_elem(&paw_port_stats, &slot);
	if (ps && reason < PAW_R_MAX)
		paw_ctr_add(&ps->reason[reason], bytes);
}

/* Count one forwarded frame on its call entry without atomics: each CPU
 * owns a slot unless the host has more CPUs than slots. */
static __always_inline void paw_count_call(struct paw_call *call, __u64 bytes)
{
	__u64 slot = bpf_get_smp_processor_id();
	struct paw_ctr *c;

	if (slot >= ctr_slots)
		slot %= ctr_slots;
	/* The verifier does not track the bounds of a modulo. */
	if (!paw_bounded(slot, ctr_slots - 1))
		slot = 0;
	c = (void *)(call + 1) + slot * sizeof(struct paw_ctr);
	if (ctr_atomic) {
		__sync_fetch_and_add(&c->packets, 1);
		__sync_fetch_and_add(&c->bytes, bytes);
	} else {
		paw_ctr_add(c, bytes);
	}
}

/* Re-parse just enough of a dropped frame to say what it was. Runs only
 * while monitoring, so the parsers on the main path stay lean. */
static __always_inline void paw_fill_event(struct paw_event *ev, void *data, void *end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct ipv6hdr *ip6;
	struct udphdr *uh;	/* TCP and UDP share the port layout */

	if ((void *)(eth + 1) > end)
		return;
	ev->ethertype = eth->h_proto;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > end)
			return;
		ev->family = 4;
		ev->l4proto = ip->protocol;
		__builtin_memcpy(ev->src, &ip->saddr, 4);
		__builtin_memcpy(ev->dst, &ip->daddr, 4);
		if (ip->ihl != 5 || (ip->frag_off & bpf_htons(IP_OFFSET)))
			return;
		uh = (void *)(ip + 1);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > end)
			return;
		ev->family = 6;
		ev->l4proto = ip6->nexthdr;
		__builtin_memcpy(ev->src, &ip6->saddr, 16);
		__builtin_memcpy(ev->dst, &ip6->daddr, 16);
		uh = (void *)(ip6 + 1);
	} else {
		return;
	}
	if (ev->l4proto != IPPROTO_TCP && ev->l4proto != IPPROTO_UDP)
		return;
	if ((void *)(uh + 1) > end)
		return;
	ev->sport = uh->source;
	ev->dport = uh->dest;
}

static __always_inline void paw_emit_drop(struct xdp_md *ctx, __u32 reason)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct paw_config *cfg;
	struct paw_event *ev;
	__u32 zero = 0, cpu;

	cfg = bpf_map_lookup_elem(&paw_config, &zero);
	if (!cfg || !(cfg->flags & PAW_CFG_F_MONITOR))
		return;
	ev = bpf_ringbuf_reserve(&paw_events, sizeof(*ev), 0);
	if (!ev) {
		cpu = bpf_get_smp_processor_id();
		if (cpu < PAW_CTR_SLOTS_MAX)
			__sync_fetch_and_add(&events_lost[cpu], 1);
		return;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = bpf_ktime_get_ns();
	ev->reason = reason;
	ev->ifindex = ctx->ingress_ifindex;
	ev->len = end - data;
	paw_fill_event(ev, data, end);
	bpf_ringbuf_submit(ev, 0);
}

#endif /* PAW_BPF_STATS_H */
