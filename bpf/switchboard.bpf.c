// SPDX-License-Identifier: GPL-2.0-or-later
/* The Switchboard: XDP programs attached to every Paw port. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "paw/abi.h"
#include "lib/defs.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/csum.h"
#include "lib/stats.h"
#include "lib/switchboard.h"

SEC("xdp")
int paw_switchboard(struct xdp_md *ctx)
{
	return paw_switch(ctx);
}

/* For the far end of a veth port: native XDP redirect into a veth only
 * delivers when the receiving peer runs an XDP program. */
SEC("xdp")
int paw_pass(struct xdp_md *ctx __attribute__((unused)))
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
