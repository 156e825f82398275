// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * loConfig: the ports clients hang off. pawd creates them when asked,
 * gives them their addresses (and each MainBackend address, so clients
 * find the Operator on-link), turns on proxy ARP, attaches the
 * Switchboard, and follows link events: a port that goes down or away
 * takes its clients out of the fast path; when it comes back they return.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pawd.h"
#include "cleanup.h"
#include "log.h"
#include "util.h"

static const char *mode_name(enum paw_xdp_mode m)
{
	switch (m) {
	case PAW_XDP_NATIVE:
		return "native";
	case PAW_XDP_GENERIC:
		return "generic";
	default:
		return "auto";
	}
}

const char *ports_mode_name(const struct pawd_port *p)
{
	return p->attached ? mode_name(p->used) : "none";
}

struct pawd_port *ports_find(struct pawd *d, const char *name)
{
	for (int i = 0; i < d->n_ports; i++)
		if (!strcmp(d->ports[i].name, name))
			return &d->ports[i];
	return NULL;
}

struct pawd_port *ports_find_ifindex(struct pawd *d, __u32 ifindex)
{
	for (int i = 0; ifindex && i < d->n_ports; i++)
		if (d->ports[i].ifindex == ifindex)
			return &d->ports[i];
	return NULL;
}

struct pawd_port *ports_online(struct pawd *d, const char *name)
{
	struct pawd_port *p = ports_find(d, name);

	return p && p->ifindex && p->up && p->attached ? p : NULL;
}

static void port_event(struct pawd *d, const char *action, const char *port)
{
	json_t *ev = json_pack("{s:s, s:I, s:s, s:s}", "event", "port", "ts_ms",
			       (json_int_t)paw_now_ms(), "action", action, "port", port);

	control_event(d, "ports", ev);
}

struct clients_walk {
	struct pawd *d;
	const char *port;
	bool online;
};

static int clients_fn(const struct paw_store_client *c, void *ctx)
{
	struct clients_walk *w = ctx;
	int err;

	if (strcmp(c->port, w->port))
		return 0;
	if (!w->online) {
		op_client_offline(w->d, c);
		return 0;
	}
	err = op_client_online(w->d, c);
	if (err)
		pr_warn("Couldn't put %s into the fast path on '%s': %s", c->name, c->port,
			strerror(-err));
	return 0;
}

static void port_clients(struct pawd *d, const char *port, bool online)
{
	struct clients_walk w = { .d = d, .port = port, .online = online };

	paw_store_client_foreach(d->store, clients_fn, &w);
}

/* Addresses, MainBackend on-link, proxy ARP: idempotent. */
static void port_configure(struct pawd *d, struct pawd_port *p)
{
	const struct paw_cfg_port *pc = p->cfg;
	char key[128];
	int err;

	/* Clients resolve MainBackend on-link: the port answers for it. */
	for (int i = 0; i < d->cfg.n_ear_addrs; i++) {
		err = paw_nl_addr_add(d->nl, p->ifindex, AF_INET6, &d->cfg.ear_addrs[i], 128);
		if (err)
			pr_warn("Couldn't add MainBackend's address on '%s': %s %s", p->name,
				strerror(-err), paw_nl_errmsg(d->nl));
	}
	snprintf(key, sizeof(key), "net/ipv6/conf/%s/accept_ra", p->name);
	paw_sysctl_set(key, "0");
	/* A port added at runtime gets what a [port] section defaults to. */
	if (!pc || pc->proxy_arp) {
		/* Proxy ARP answers only on an interface that forwards; the
		 * Switchboard has already dropped client-to-client frames
		 * without a call before the stack could route them. */
		snprintf(key, sizeof(key), "net/ipv4/conf/%s/forwarding", p->name);
		paw_sysctl_set(key, "1");
		snprintf(key, sizeof(key), "net/ipv4/conf/%s/proxy_arp", p->name);
		paw_sysctl_set(key, "1");
		/* Answer at once rather than after up to 0.8 s. */
		snprintf(key, sizeof(key), "net/ipv4/neigh/%s/proxy_delay", p->name);
		paw_sysctl_set(key, "0");
	}
	if (!pc)
		return;
	if (pc->mtu && pc->mtu != p->mtu) {
		err = paw_nl_link_set_mtu(d->nl, p->ifindex, pc->mtu);
		if (err)
			pr_warn("Couldn't set mtu %u on '%s': %s %s", pc->mtu, p->name,
				strerror(-err), paw_nl_errmsg(d->nl));
	}
	for (int i = 0; i < pc->n_addrs; i++) {
		err = paw_nl_addr_add(d->nl, p->ifindex, pc->addrs[i].family, &pc->addrs[i].v6,
				      pc->addrs[i].prefixlen);
		if (err)
			pr_warn("Couldn't add an address on '%s': %s %s", p->name, strerror(-err),
				paw_nl_errmsg(d->nl));
	}
}

/* The port exists: configure, attach, program; its clients come online. */
static int port_activate(struct pawd *d, struct pawd_port *p, const struct paw_nl_link *l)
{
	enum paw_xdp_mode mode;
	int err;

	p->ifindex = l->ifindex;
	memcpy(p->mac, l->mac, 6);
	p->mtu = l->mtu;
	port_configure(d, p);
	p->up = l->up;
	if (!l->up) {
		err = paw_nl_link_set_up(d->nl, p->ifindex, true);
		if (err)
			pr_warn("Couldn't set '%s' up: %s %s", p->name, strerror(-err),
				paw_nl_errmsg(d->nl));
		else
			p->up = true;
	}
	if (p->cfg && p->cfg->mtu)
		p->mtu = p->cfg->mtu;

	mode = p->mode;
	/* Native XDP on a veth works only with a prepared far end (see
	 * veth_create()); on a veth pawd did not make, auto means generic.
	 * xdp_mode = native still asks for native, at the user's word. */
	if (mode == PAW_XDP_AUTO && !strcmp(l->kind, "veth") && !p->owned)
		mode = PAW_XDP_GENERIC;
	err = paw_sb_attach(d->sb, p->ifindex, mode, &p->used);
	if (err == -EBUSY) {
		if (!p->blocked)
			pr_err("Couldn't attach on '%s': it runs an XDP program pawd did not "
			       "attach; not replacing it", p->name);
		p->blocked = true;
		return err;
	}
	if (err) {
		pr_err("Couldn't attach on '%s': %s", p->name, strerror(-err));
		return err;
	}
	p->blocked = false;
	p->attached = true;
	err = paw_sb_port_add(d->sb, p->ifindex, p->mac, (__u16)(p->mtu > 0xffff ? 0xffff : p->mtu));
	if (err) {
		pr_err("Couldn't add port '%s' to the Switchboard: %s", p->name, strerror(-err));
		p->attached = false;
		return err;
	}
	pr_info("port %s (ifindex %u) attached, %s XDP", p->name, p->ifindex, mode_name(p->used));
	/* At start, ports come up one by one; putting clients online now
	 * would drop the calls to ports not attached yet. op_reconcile() does
	 * them all at once afterwards. */
	if (p->up && !d->starting)
		port_clients(d, p->name, true);
	port_event(d, "up", p->name);
	return 0;
}

/* The port went down or away: its clients leave the fast path. */
static void port_deactivate(struct pawd *d, struct pawd_port *p, bool gone)
{
	if (p->attached || p->up)
		port_clients(d, p->name, false);
	if (p->ifindex)
		paw_sb_port_del(d->sb, p->ifindex);
	if (gone) {
		paw_sb_detach(d->sb, p->ifindex);
		p->ifindex = 0;
		p->attached = false;
	}
	p->up = false;
	pr_info("port %s %s: its clients left the fast path", p->name, gone ? "is gone" : "is down");
	port_event(d, gone ? "gone" : "down", p->name);
}

/*
 * Make the far end of a veth pawd creates ready for native XDP before it
 * leaves for the client's namespace: native redirects into a veth are
 * delivered only to a peer running XDP, and lose CHECKSUM_PARTIAL, so the
 * peer gets the pass program and computes its own checksums.
 */
static int veth_create(struct pawd *d, const struct paw_cfg_port *pc)
{
	_cleanup_close_ int nsfd = -1;
	struct paw_nl_link peer;
	char tmp[IF_NAMESIZE], path[128];
	const char *local = pc->peer;
	int err;

	if (pc->peer_netns[0]) {
		snprintf(path, sizeof(path), "/var/run/netns/%s", pc->peer_netns);
		nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0) {
			err = -errno;
			pr_err("Couldn't open netns '%s' for %s's peer: %s", pc->peer_netns,
			       pc->name, strerror(-err));
			return err;
		}
		/* A name of its own while it is here (its real one, say eth0,
		 * may be taken in this namespace). */
		snprintf(tmp, sizeof(tmp), "pawp%08x", (unsigned)paw_mono_ms());
		local = tmp;
	}
	err = paw_nl_veth_add(d->nl, pc->name, local, -1);
	if (err)
		return err;
	err = paw_nl_link_get(d->nl, local, &peer);
	if (err)
		return err;
	err = paw_xdp_attach_pass(d->sb, peer.ifindex, PAW_XDP_NATIVE);
	if (err)
		pr_warn("Couldn't attach the pass program to %s's peer: %s", pc->name,
			strerror(-err));
	err = paw_ethtool_tx_csum(local, false);
	if (err)
		pr_warn("Couldn't turn off %s's peer TX checksum offload: %s", pc->name,
			strerror(-err));
	paw_nl_link_set_up(d->nl, peer.ifindex, true);
	if (nsfd >= 0) {
		err = paw_nl_link_set_netns(d->nl, peer.ifindex, nsfd, pc->peer);
		if (err) {
			pr_err("Couldn't move %s's peer into netns '%s': %s %s", pc->name,
			       pc->peer_netns, strerror(-err), paw_nl_errmsg(d->nl));
			paw_nl_link_del(d->nl, peer.ifindex);
			return err;
		}
	}
	return 0;
}

static int port_create(struct pawd *d, const struct paw_cfg_port *pc)
{
	struct paw_nl_link l;
	int err;

	switch (pc->create) {
	case PAW_PORT_VETH:
		if (paw_nl_link_get(d->nl, pc->name, &l) == 0)
			return 0;	/* made by an earlier pawd */
		err = veth_create(d, pc);
		break;
	case PAW_PORT_TAP:
		err = paw_tap_add(pc->name);
		break;
	default:
		return 0;
	}
	if (err == -EEXIST || err == -EBUSY)
		return 0;
	if (err)
		pr_err("Couldn't create port '%s': %s %s", pc->name, strerror(-err),
		       paw_nl_errmsg(d->nl));
	else
		pr_info("created port %s", pc->name);
	return err;
}

static struct pawd_port *port_new(struct pawd *d, const char *name)
{
	struct pawd_port *p;

	if (d->n_ports == PAW_MAX_PORTS)
		return NULL;
	p = &d->ports[d->n_ports++];
	memset(p, 0, sizeof(*p));
	memcpy(p->name, name, strnlen(name, sizeof(p->name) - 1));
	return p;
}

static void port_bring_up(struct pawd *d, struct pawd_port *p)
{
	struct paw_nl_link l;
	int err = paw_nl_link_get(d->nl, p->name, &l);

	if (err == -ENODEV) {
		pr_warn("port %s does not exist (yet): waiting for it", p->name);
		return;
	}
	if (err) {
		pr_err("Couldn't read port '%s': %s", p->name, strerror(-err));
		return;
	}
	port_activate(d, p, &l);
}

/* A port from a [port] section: created if asked, brought up if there. */
static int port_new_configured(struct pawd *d, const struct paw_cfg_port *pc)
{
	struct pawd_port *p = port_new(d, pc->name);

	if (!p)
		return -ENOSPC;
	p->configured = true;
	p->cfg = pc;
	p->mode = pc->xdp_mode;
	p->owned = pc->create == PAW_PORT_VETH;
	port_create(d, pc);
	port_bring_up(d, p);
	return 0;
}

static int pinned_port_fn(__u32 ifindex, const struct paw_port *pp, void *ctx)
{
	struct pawd *d = ctx;
	struct paw_nl_link l;
	struct pawd_port *p;

	(void)pp;
	if (ports_find_ifindex(d, ifindex))
		return 0;
	/* A port added at runtime by an earlier pawd: its pinned link is
	 * still forwarding, so keep it; anything else is stale. */
	if (paw_sb_attached(d->sb, ifindex, NULL) == 1 &&
	    paw_nl_link_get_index(d->nl, ifindex, &l) == 0 && (p = port_new(d, l.name))) {
		p->mode = PAW_XDP_AUTO;
		pr_info("port %s kept from the pinned Switchboard (added at runtime)", l.name);
		port_activate(d, p, &l);
		return 0;
	}
	paw_sb_port_del(d->sb, ifindex);
	return 0;
}

int ports_start(struct pawd *d)
{
	int err;

	d->starting = true;
	for (int i = 0; i < d->cfg.n_ports; i++) {
		err = port_new_configured(d, &d->cfg.ports[i]);
		if (err)
			return err;
	}
	err = paw_sb_port_foreach(d->sb, pinned_port_fn, d);
	d->starting = false;
	return err;
}

void ports_stop(struct pawd *d)
{
	d->n_ports = 0;
}

int ports_add_runtime(struct pawd *d, const char *name, enum paw_xdp_mode mode, char *msg,
		      size_t len)
{
	struct paw_nl_link l;
	struct pawd_port *p = ports_find(d, name);
	int err;

	if (p) {
		snprintf(msg, len, "port '%s' exists", name);
		return -EEXIST;
	}
	err = paw_nl_link_get(d->nl, name, &l);
	if (err) {
		snprintf(msg, len, "no interface named '%s'", name);
		return err == -ENODEV ? -ENOENT : err;
	}
	p = port_new(d, name);
	if (!p) {
		snprintf(msg, len, "too many ports (%d)", PAW_MAX_PORTS);
		return -ENOSPC;
	}
	p->mode = mode;
	err = port_activate(d, p, &l);
	if (err) {
		snprintf(msg, len, err == -EBUSY ?
			 "'%s' runs an XDP program pawd did not attach; not replacing it" :
			 "Couldn't attach on '%s': %s", name, strerror(-err));
		d->n_ports--;
		return err;
	}
	port_event(d, "added", name);
	return 0;
}

int ports_del_runtime(struct pawd *d, const char *name, char *msg, size_t len)
{
	struct pawd_port *p = ports_find(d, name);

	if (!p) {
		snprintf(msg, len, "no port named '%s'", name);
		return -ENOENT;
	}
	port_deactivate(d, p, false);
	if (p->ifindex)
		paw_sb_detach(d->sb, p->ifindex);
	pr_info("port %s removed", name);
	port_event(d, "removed", name);
	*p = d->ports[--d->n_ports];
	return 0;
}

/* ---- link events ---- */

static void on_link(enum paw_nl_event ev, const struct paw_nl_link *l, void *ctx)
{
	struct pawd *d = ctx;
	struct pawd_port *p = ports_find_ifindex(d, l->ifindex);

	if (ev == PAW_NL_LINK_DELETED) {
		if (p)
			port_deactivate(d, p, true);
		return;
	}
	if (!p) {
		/* A port we wait for, created (again) under its name. */
		p = ports_find(d, l->name);
		if (!p)
			return;
		if (p->ifindex && p->ifindex != l->ifindex)
			port_deactivate(d, p, true);
		pr_info("port %s appeared (ifindex %u)", p->name, l->ifindex);
		port_activate(d, p, l);
		return;
	}
	if (strcmp(p->name, l->name)) {
		/* Renamed away from its configured name: no longer ours. */
		port_deactivate(d, p, false);
		paw_sb_detach(d->sb, p->ifindex);
		p->ifindex = 0;
		p->attached = false;
		return;
	}
	if (!p->attached) {
		if (!p->blocked)
			port_activate(d, p, l);
		return;
	}
	if (p->up && !l->up) {
		port_deactivate(d, p, false);
	} else if (!p->up && l->up) {
		p->up = true;
		paw_sb_port_add(d->sb, p->ifindex, l->mac, (__u16)l->mtu);
		port_clients(d, p->name, true);
		pr_info("port %s is up: its clients are back in the fast path", p->name);
		port_event(d, "up", p->name);
	} else if (p->up && (memcmp(p->mac, l->mac, 6) || p->mtu != l->mtu)) {
		/* New MAC or MTU: the calls out of this port carry both. */
		memcpy(p->mac, l->mac, 6);
		p->mtu = l->mtu;
		paw_sb_port_add(d->sb, p->ifindex, l->mac, (__u16)l->mtu);
		port_clients(d, p->name, true);
	}
}

static void linkmon_cb(struct pawd *d, struct pawd_watch *w, __u32 events)
{
	int err;

	(void)w;
	(void)events;
	err = paw_nl_monitor_read(d->linkmon, on_link, d);
	if (err == -ENOBUFS) {
		/* Lost events: look at every port again. */
		pr_warn("link events were lost; re-reading the ports");
		for (int i = 0; i < d->n_ports; i++) {
			struct paw_nl_link l;
			struct pawd_port *p = &d->ports[i];

			if (paw_nl_link_get(d->nl, p->name, &l) == 0)
				on_link(PAW_NL_LINK_CHANGED, &l, d);
			else if (p->ifindex)
				port_deactivate(d, p, true);
		}
	}
}

static struct pawd_watch linkmon_watch = { .fn = linkmon_cb };

int ports_watch(struct pawd *d)
{
	int err = paw_nl_monitor_open(&d->linkmon);

	if (err)
		return err;
	linkmon_watch.fd = paw_nl_monitor_fd(d->linkmon);
	return pawd_watch_add(d, &linkmon_watch, EPOLLIN);
}

int ports_reload(struct pawd *d)
{
	/* Re-point configured ports at the new config; add new ones;
	 * forget ports whose section is gone (detaching them). */
	for (int i = 0; i < d->n_ports; i++) {
		struct pawd_port *p = &d->ports[i];

		if (!p->configured)
			continue;
		p->cfg = paw_cfg_port_find(&d->cfg, p->name);
		if (!p->cfg) {
			char msg[64];

			ports_del_runtime(d, p->name, msg, sizeof(msg));
			i--;
			continue;
		}
		p->mode = p->cfg->xdp_mode;
		if (p->ifindex)
			port_configure(d, p);
	}
	for (int i = 0; i < d->cfg.n_ports; i++) {
		const struct paw_cfg_port *pc = &d->cfg.ports[i];
		int err;

		if (ports_find(d, pc->name))
			continue;
		err = port_new_configured(d, pc);
		if (err)
			return err;
	}
	return 0;
}
