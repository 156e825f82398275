/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libpaw's Switchboard API: load or re-use the pinned Switchboard, attach
 * it to ports, and program its maps with typed calls. Userspace only.
 *
 * Every function returns 0 or a negative errno and prints nothing; the
 * caller decides what to log. Addresses are in network order (as stored
 * in the maps), ifindexes and sizes in host order.
 */
#ifndef PAW_SWITCHBOARD_H
#define PAW_SWITCHBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <netinet/in.h>
#include "paw/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

struct paw_sb;

enum paw_xdp_mode {
	PAW_XDP_AUTO = 0,	/* native where the driver has it, else generic */
	PAW_XDP_NATIVE,
	PAW_XDP_GENERIC,
};

struct paw_sb_opts {
	/* bpffs directory for pinned maps and links. NULL: PAW_PIN_DIR_DEFAULT;
	 * "": pin nothing (a private Switchboard, as tests and benches use). */
	const char *pin_dir;
	__u32 max_clients;	/* 0: PAW_MAX_CLIENTS_DEFAULT */
	__u32 max_calls;	/* 0: PAW_MAX_CALLS_DEFAULT */
	__u32 ctr_slots;	/* 0: one per possible CPU, at most PAW_CTR_SLOTS_DEFAULT;
				 * up to PAW_CTR_SLOTS_MAX when asked */
	char *errbuf;		/* optional: why paw_sb_open() failed */
	size_t errlen;
};

/* Load the Switchboard. With a pin directory, maps already pinned there
 * are re-used with their contents and sizes (the requested sizes yield),
 * and pinned port links are switched atomically to the new program, so
 * forwarding never stops. Pinned maps of another ABI are refused
 * (-EPROTO). */
int paw_sb_open(struct paw_sb **sbp, const struct paw_sb_opts *opts);
/* Close fds. Pinned maps and links stay: the datapath keeps forwarding. */
void paw_sb_close(struct paw_sb *sb);
/* Remove a pin directory's maps and links: detaches every port. */
int paw_sb_unpin(const char *pin_dir);

bool paw_sb_reused(const struct paw_sb *sb);	/* maps came from pins */
__u32 paw_sb_max_calls(const struct paw_sb *sb);
__u32 paw_sb_max_clients(const struct paw_sb *sb);
__u32 paw_sb_ctr_slots(const struct paw_sb *sb);
int paw_sb_prog_fd(const struct paw_sb *sb);	/* paw_switchboard */
int paw_sb_pass_prog_fd(const struct paw_sb *sb);	/* paw_pass */
int paw_sb_map_fd(const struct paw_sb *sb, const char *name);
const char *paw_sb_pin_dir(const struct paw_sb *sb);	/* "" when unpinned */

/* Runtime configuration. abi_version is filled in by the library. */
int paw_sb_config_get(struct paw_sb *sb, struct paw_config *cfg);
int paw_sb_config_set(struct paw_sb *sb, const struct paw_config *cfg);
int paw_sb_backend_add(struct paw_sb *sb, const struct in6_addr *addr);
int paw_sb_backend_del(struct paw_sb *sb, const struct in6_addr *addr);
/* Calls fn for each MainBackend address; stops early when fn returns != 0. */
int paw_sb_backend_foreach(struct paw_sb *sb,
			   int (*fn)(const struct in6_addr *addr, void *ctx), void *ctx);

/* Ports. Adding an existing port updates its MAC and MTU, keeping its
 * counters. -ENOSPC when all port slots are used. */
int paw_sb_port_add(struct paw_sb *sb, __u32 ifindex, const __u8 mac[6], __u16 mtu);
int paw_sb_port_del(struct paw_sb *sb, __u32 ifindex);
int paw_sb_port_get(struct paw_sb *sb, __u32 ifindex, struct paw_port *port);
int paw_sb_port_foreach(struct paw_sb *sb,
			int (*fn)(__u32 ifindex, const struct paw_port *port, void *ctx),
			void *ctx);

/* Attach paw_switchboard to a port through a bpf_link (pinned when the
 * Switchboard is). Refuses (-EBUSY) to replace an XDP program it did not
 * attach. *used tells the mode the kernel took. */
int paw_sb_attach(struct paw_sb *sb, __u32 ifindex, enum paw_xdp_mode mode,
		  enum paw_xdp_mode *used);
int paw_sb_detach(struct paw_sb *sb, __u32 ifindex);
/* 1 when this Switchboard has a live link on ifindex, 0 when not. */
int paw_sb_attached(struct paw_sb *sb, __u32 ifindex, enum paw_xdp_mode *mode);
/* Attach paw_pass to a device in the calling thread's netns (generic
 * or native), without a link: for veth peers that receive redirects. */
int paw_xdp_attach_pass(struct paw_sb *sb, __u32 ifindex, enum paw_xdp_mode mode);

/* Clients, keyed by IPv4 address. */
int paw_sb_client_set(struct paw_sb *sb, __be32 addr, const struct paw_client *client);
int paw_sb_client_del(struct paw_sb *sb, __be32 addr);
int paw_sb_client_get(struct paw_sb *sb, __be32 addr, struct paw_client *client);

/* Calls. paw_sb_call_add() programs both directions from the clients and
 * ports already in the maps; it is idempotent and keeps the counters of
 * directions that already exist. Errors: -ENOENT (a client or the
 * callee's port is not programmed), -EHOSTUNREACH (a client's MAC is not
 * known), -E2BIG (paw_calls is full); on error nothing is left behind. */
int paw_sb_call_add(struct paw_sb *sb, __be32 a, __be32 b, __u32 call_id);
int paw_sb_call_del(struct paw_sb *sb, __be32 a, __be32 b);
/* One direction: its entry and its counters summed over slots. */
int paw_sb_call_get(struct paw_sb *sb, __be32 src, __be32 dst,
		    struct paw_call *call, struct paw_ctr *ctr);
/* Build one direction's entry from the maps without writing it. */
int paw_sb_call_entry(struct paw_sb *sb, __be32 src, __be32 dst, __u32 call_id,
		      struct paw_call *call);
/* Write n directions at once (counters start at zero). Returns how many
 * were written, or a negative errno when none were. */
int paw_sb_calls_write(struct paw_sb *sb, const struct paw_call_key *keys,
		       const struct paw_call *calls, __u32 n);
int paw_sb_call_foreach(struct paw_sb *sb,
			int (*fn)(const struct paw_call_key *key, const struct paw_call *call,
				  const struct paw_ctr *ctr, void *ctx),
			void *ctx);

/* Counters summed over CPUs, one struct paw_ctr per enum paw_reason. */
int paw_sb_stats(struct paw_sb *sb, struct paw_ctr out[PAW_R_MAX]);
int paw_sb_port_stats(struct paw_sb *sb, __u32 ifindex, struct paw_ctr out[PAW_R_MAX]);
/* Drop events the ring buffer had no room for. */
__u64 paw_sb_events_lost(struct paw_sb *sb);

/* Reasons: a stable short name ("no-call") and the action taken:
 * XDP_PASS, XDP_DROP, XDP_REDIRECT. */
const char *paw_reason_name(enum paw_reason r);
int paw_reason_action(enum paw_reason r);
/* Name to reason, -EINVAL when unknown. */
int paw_reason_from_name(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* PAW_SWITCHBOARD_H */
