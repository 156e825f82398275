/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Port setup through rtnetlink on libmnl: every request with NLM_F_ACK,
 * NETLINK_EXT_ACK and NETLINK_CAP_ACK on, replies matched on sequence
 * number and port id. (libnl-route-3 would save a few lines of veth
 * nesting but cannot hand back the kernel's extack text; see nl.c.)
 * Operates in the calling thread's network namespace.
 *
 * Errors: 0 or a negative errno; the kernel's extended-ack text, when it
 * gave one, is in paw_nl_errmsg() until the next request.
 */
#ifndef PAW_NL_H
#define PAW_NL_H

#include <stdbool.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/types.h>

struct paw_nl;

struct paw_nl_link {
	__u32 ifindex;
	char name[IF_NAMESIZE];
	char kind[16];		/* "veth", "tun", "dummy", ... or "" */
	__u8 mac[6];
	__u32 mtu;
	bool up;		/* IFF_UP */
	bool running;		/* IFF_RUNNING (carrier) */
};

int paw_nl_open(struct paw_nl **nlp);
void paw_nl_close(struct paw_nl *nl);	/* NULL is fine */
const char *paw_nl_errmsg(const struct paw_nl *nl);	/* "" when none */

/* -ENODEV when there is no such link. */
int paw_nl_link_get(struct paw_nl *nl, const char *name, struct paw_nl_link *out);
int paw_nl_link_get_index(struct paw_nl *nl, __u32 ifindex, struct paw_nl_link *out);

/* Create a veth pair; the peer goes into the network namespace of
 * peer_netns_fd when >= 0. -EEXIST when name exists. */
int paw_nl_veth_add(struct paw_nl *nl, const char *name, const char *peer, int peer_netns_fd);
/* Create a persistent tap device (TUNSETIFF + TUNSETPERSIST). */
int paw_tap_add(const char *name);
int paw_nl_link_del(struct paw_nl *nl, __u32 ifindex);
int paw_nl_link_set_up(struct paw_nl *nl, __u32 ifindex, bool up);
int paw_nl_link_set_mtu(struct paw_nl *nl, __u32 ifindex, __u32 mtu);
/* Move a link into the network namespace of netns_fd, named `name` there
 * (NULL: keeps its name). */
int paw_nl_link_set_netns(struct paw_nl *nl, __u32 ifindex, int netns_fd, const char *name);
/* Turn a device's TX checksum offload on or off (SIOCETHTOOL). */
int paw_ethtool_tx_csum(const char *name, bool on);

/* Addresses: family AF_INET or AF_INET6, addr points at in_addr/in6_addr.
 * Adding one that exists is not an error. IPv6 addresses are added
 * nodad (a port's address is ours by configuration). */
int paw_nl_addr_add(struct paw_nl *nl, __u32 ifindex, int family, const void *addr,
		    __u8 prefixlen);
int paw_nl_addr_del(struct paw_nl *nl, __u32 ifindex, int family, const void *addr,
		    __u8 prefixlen);

/* A host route (/32 or /128) to addr out of ifindex, scope link: what a
 * proxy-ARP port needs to answer for a client. Idempotent; del of a
 * missing route is -ESRCH. */
int paw_nl_route_add(struct paw_nl *nl, __u32 ifindex, int family, const void *addr);
int paw_nl_route_del(struct paw_nl *nl, __u32 ifindex, int family, const void *addr);

/* The MAC the neighbour table holds for addr on ifindex, when the entry
 * is usable (reachable, stale, delay, probe, permanent, noarp).
 * -ENOENT otherwise. */
int paw_nl_neigh_get(struct paw_nl *nl, __u32 ifindex, int family, const void *addr,
		     __u8 mac[6]);
/* A permanent neighbour entry. */
int paw_nl_neigh_set(struct paw_nl *nl, __u32 ifindex, int family, const void *addr,
		     const __u8 mac[6]);
/* Proxy entries (NTF_PROXY): answer ARP/NS for addr on ifindex. */
int paw_nl_neigh_proxy_add(struct paw_nl *nl, __u32 ifindex, int family, const void *addr);

/* Write a sysctl below /proc/sys, e.g. ("net/ipv4/conf/pa/proxy_arp", "1"). */
int paw_sysctl_set(const char *key, const char *value);

/*
 * Link events. paw_nl_monitor_open() subscribes a separate socket to
 * RTNLGRP_LINK; poll its fd and call paw_nl_monitor_read() when
 * readable. fn gets every link change: deleted, or its current state.
 * -ENOBUFS from read means events were lost: re-read the links.
 */
struct paw_nl_monitor;
enum paw_nl_event {
	PAW_NL_LINK_CHANGED,	/* new or changed: state in link */
	PAW_NL_LINK_DELETED,
};
int paw_nl_monitor_open(struct paw_nl_monitor **mp);
void paw_nl_monitor_close(struct paw_nl_monitor *m);
int paw_nl_monitor_fd(const struct paw_nl_monitor *m);
int paw_nl_monitor_read(struct paw_nl_monitor *m,
			void (*fn)(enum paw_nl_event ev, const struct paw_nl_link *link, void *ctx),
			void *ctx);

#endif /* PAW_NL_H */
