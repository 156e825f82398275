/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every Switchboard map. Layouts come from include/paw/abi.h; sizes are
 * the defaults, which the loader overrides before load. State maps are
 * pinned by name under the loader's pin directory so a restarted or
 * upgraded Operator re-uses them and forwarding never stops.
 */
#ifndef PAW_BPF_MAPS_H
#define PAW_BPF_MAPS_H

/* Declared by size, not BTF type: the value is a struct paw_call followed
 * by ctr_slots counters, sized by the loader for this host's CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(key_size, sizeof(struct paw_call_key));
	__uint(value_size, paw_call_value_size(1));
	__uint(max_entries, PAW_MAX_CALLS_DEFAULT);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} paw_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __be32);
	__type(value, struct paw_client);
	__uint(max_entries, PAW_MAX_CLIENTS_DEFAULT);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} paw_clients SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct paw_port);
	__uint(max_entries, PAW_MAX_PORTS);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} paw_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
	__uint(max_entries, PAW_MAX_PORTS);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} paw_tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct paw_backend_key);
	__type(value, __u32);
	__uint(max_entries, PAW_MAX_BACKENDS);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} paw_backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct paw_config);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} paw_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct paw_ctr);
	__uint(max_entries, PAW_R_MAX);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} paw_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct paw_port_stats);
	__uint(max_entries, PAW_MAX_PORTS);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} paw_port_stats SEC(".maps");

/* Not pinned: events are not state; each loaded program has its own. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, PAW_EVENTS_BYTES);
} paw_events SEC(".maps");

#endif /* PAW_BPF_MAPS_H */
