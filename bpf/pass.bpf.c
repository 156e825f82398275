// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * XDP_PASS and nothing else, in an object of its own so iproute2 can load
 * it (`ip link set dev eth0 xdpdrv obj pass.bpf.o sec xdp`) on the far
 * end of a veth port: native XDP redirect into a veth delivers only to a
 * peer that runs an XDP program.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int paw_peer_pass(struct xdp_md *ctx __attribute__((unused)))
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
