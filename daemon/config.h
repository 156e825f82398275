/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pawd's configuration file (the user's "ManeHosCon"): one INI file read
 * with libinih. docs/config.md lists every key and its default.
 *
 *   [ear]        earConfig: MainBackend address(es), port, UDP/TCP, limits
 *   [port NAME]  loConfig, one section per port (existing, veth or tap)
 *   [policy]     what "anything else" gets
 *   [datapath]   pin directory, map sizes, detach on exit
 *   [store]      the data server
 *   [control]    pawctl's socket and who may use it
 *   [log]        level and target
 *   [limits]     defaults of new clients' Soil_options
 *
 * A bad file is one error naming the file, line and key
 * ("pawd.conf:12: port: '70000' is not a port (1-65535)"), and nothing
 * is half-applied: pawd parses everything before touching the system.
 */
#ifndef PAW_CONFIG_H
#define PAW_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/types.h>
#include "paw/abi.h"
#include "paw/switchboard.h"

#define PAW_CFG_MAX_ADDRS	8	/* addresses per port */
#define PAW_CFG_MAX_PORTS	64
#define PAW_CFG_DEFAULT_PATH	"/etc/paw/pawd.conf"

enum paw_port_create {
	PAW_PORT_EXISTING = 0,	/* attach to an interface that exists */
	PAW_PORT_VETH,		/* create a veth pair: the port and its peer */
	PAW_PORT_TAP,		/* create a persistent tap device */
};

struct paw_cfg_addr {
	int family;		/* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
	__u8 prefixlen;
};

struct paw_cfg_port {
	char name[IF_NAMESIZE];
	enum paw_port_create create;		/* create = existing|veth|tap */
	char peer[IF_NAMESIZE];			/* peer = (veth) default NAME-peer */
	char peer_netns[64];			/* peer_netns = (veth) named netns, optional */
	struct paw_cfg_addr addrs[PAW_CFG_MAX_ADDRS];	/* address = ... (repeatable) */
	int n_addrs;
	bool proxy_arp;				/* proxy_arp = yes */
	enum paw_xdp_mode xdp_mode;		/* xdp_mode = auto|native|generic */
	__u32 mtu;				/* mtu = 0: leave as it is */
	int line;				/* where the section starts */
};

struct paw_cfg {
	char path[PATH_MAX];

	/* [ear] */
	struct in6_addr ear_addrs[PAW_MAX_BACKENDS];	/* address = (required, repeatable) */
	int n_ear_addrs;
	char ear_name[256];		/* name = MainBackend.abc (informational) */
	__u16 ear_port;			/* port = 53 */
	bool ear_udp;			/* udp = yes */
	bool ear_tcp;			/* tcp = yes */
	int ear_backlog;		/* backlog = 64 */
	int ear_max_conns;		/* max_connections = 256 */
	int ear_idle_timeout_s;		/* idle_timeout = 30 */
	int ear_replay_window_s;	/* replay_window = 30 */
	__u32 ear_rate;			/* rate = 0: requests/s per client, 0 unlimited */

	/* [port NAME] */
	struct paw_cfg_port ports[PAW_CFG_MAX_PORTS];
	int n_ports;

	/* [policy] */
	__u8 default_policy;		/* default = pass|drop */

	/* [datapath] */
	char pin_dir[256];		/* pin_dir = /sys/fs/bpf/paw */
	__u32 max_clients;		/* max_clients = 65536 */
	__u32 max_calls;		/* max_calls = 1048576 */
	bool detach_on_exit;		/* detach_on_exit = no */

	/* [store] */
	char store_backend[16];		/* backend = sqlite */
	char store_path[PATH_MAX];	/* path = /var/lib/paw/paw.db */
	bool group_commit;		/* group_commit = yes */

	/* [control] */
	char ctl_socket[108];		/* socket = /run/paw/pawd.sock */
	char ctl_group[64];		/* group = (none: root only) */
	gid_t ctl_gid;			/* resolved from ctl_group; (gid_t)-1 if none */

	/* [log] */
	int log_level;			/* level = info */
	bool log_syslog;		/* target = stderr|syslog */

	/* [limits]: Soil_options of a newly enrolled client */
	__u32 default_max_calls;	/* max_calls = 8 */
	__u32 default_postbox_max;	/* postbox_max = 100 */
	__u32 default_retention_s;	/* retention = 604800 */

	/* [daemon] */
	char pidfile[PATH_MAX];		/* pidfile = /run/paw/pawd.pid */
};

/* Defaults for every key. */
void paw_cfg_defaults(struct paw_cfg *cfg);

/*
 * Parse path into cfg (defaults first). 0, or -EINVAL with err holding
 * "PATH:LINE: KEY: what is wrong" (or "PATH: ..." for whole-file
 * problems such as a missing required key or an unreadable file).
 */
int paw_cfg_load(const char *path, struct paw_cfg *cfg, char *err, size_t errlen);

/* The port section named `name`, or NULL. */
const struct paw_cfg_port *paw_cfg_port_find(const struct paw_cfg *cfg, const char *name);

#endif /* PAW_CONFIG_H */
