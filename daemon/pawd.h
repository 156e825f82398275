/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pawd, the Operator: one process, one epoll loop. Modules:
 *   main.c       arguments, lifecycle, the loop, signals, reload
 *   ear.c        IPv6 listeners (UDP, TCP), authentication, replies
 *   operator.c   what a request or an admin command does (Soil_options,
 *                calls, postboxes) to the data server and the Switchboard
 *   ports.c      loConfig: port setup, attachment, link events; which
 *                clients are in the fast path
 *   control.c    the UNIX control socket pawctl talks to (JSON lines)
 *   soil.c       Soil_options decisions, pure functions
 *   notify.c     sd_notify without libsystemd
 */
#ifndef PAWD_H
#define PAWD_H

#include <stdbool.h>
#include <netinet/in.h>
#include <linux/types.h>
#include <jansson.h>

#include "paw/abi.h"
#include "paw/postbox.h"
#include "paw/switchboard.h"
#include "config.h"
#include "nl.h"
#include "store.h"

#define PAWD_VERSION "0.1.0"

struct pawd;
struct ring_buffer;
struct pawd_reconcile;

/* A port as pawd runs it. */
struct pawd_port {
	char name[IF_NAMESIZE];
	__u32 ifindex;		/* 0 while the interface does not exist */
	__u8 mac[6];
	__u32 mtu;
	bool configured;	/* from a [port] section, else added at runtime */
	bool up;		/* exists, IFF_UP */
	bool attached;		/* the Switchboard runs on it */
	bool blocked;		/* a foreign XDP program is there: never replaced */
	bool owned;		/* a veth pawd creates: its far end is made ready */
	enum paw_xdp_mode mode;	/* asked for */
	enum paw_xdp_mode used;	/* what the kernel took */
	const struct paw_cfg_port *cfg;	/* NULL for runtime ports */
};

/* A datapath change made inside a group-commit batch, undone when the
 * batch's commit fails so the fast path never holds what the data server
 * lost. */
struct pawd_undo {
	enum { UNDO_CALL_ADDED, UNDO_CALL_REMOVED, UNDO_CLIENT } kind;
	char a[PAW_PB_NAME_MAX + 1];
	char b[PAW_PB_NAME_MAX + 1];
};

struct pawd_ear_stats {
	__u64 requests;
	__u64 accepted;
	__u64 refused[PAW_PB_STATUS_MAX];
	__u64 udp;
	__u64 tcp;
};

struct pawd {
	struct paw_cfg cfg;
	char cfg_path[PATH_MAX];
	bool foreground;
	bool detach_on_exit;	/* --detach or [datapath] detach_on_exit */

	struct paw_sb *sb;
	struct paw_store *store;
	struct paw_nl *nl;
	struct paw_nl_monitor *linkmon;
	struct paw_pb_replay *replay;
	struct ring_buffer *events;

	int epfd;
	int sigfd;
	int timerfd;
	__u64 start_ms;		/* wall clock */
	__u64 start_mono;
	bool stopping;
	bool starting;		/* ports come up one by one: reconcile once after */

	struct pawd_port ports[PAW_MAX_PORTS];
	int n_ports;

	/* group commit */
	bool in_batch;		/* a transaction is open */
	bool batch_dirty;	/* a mutation happened in it */
	struct pawd_undo *undo;
	int n_undo, cap_undo;

	struct pawd_ear_stats ear_stats;
	struct pawd_ear *ear;
	struct pawd_reconcile *reconciling;	/* during op_reconcile() only */
	struct pawd_control *control;
	int n_drop_monitors;	/* control connections watching drops */
};

/* Epoll registrations carry one of these so the loop knows who to call. */
struct pawd_watch {
	void (*fn)(struct pawd *d, struct pawd_watch *w, __u32 events);
	int fd;
	bool deferred;		/* run after the batch's commit (admin commands) */
};
int pawd_watch_add(struct pawd *d, struct pawd_watch *w, __u32 events);
int pawd_watch_mod(struct pawd *d, struct pawd_watch *w, __u32 events);
void pawd_watch_del(struct pawd *d, struct pawd_watch *w);

/* Output waiting on a non-blocking stream socket (outbuf.c). */
struct pawd_outbuf {
	__u8 *buf;
	size_t len, cap;
	bool want_out;		/* EPOLLOUT armed */
};
bool pawd_outbuf_append(struct pawd_outbuf *o, const void *p, size_t n);
/* Send what the socket takes, arming EPOLLOUT for the rest; -errno when
 * the connection failed (the caller closes it). */
int pawd_outbuf_flush(struct pawd *d, struct pawd_watch *w, struct pawd_outbuf *o);
void pawd_outbuf_free(struct pawd_outbuf *o);

/* ---- group commit (operator.c) ---- */
/* Open the batch's transaction, for reading: the requests of one loop
 * iteration share it, so SQLite takes and drops its file locks once per
 * batch rather than once per statement. Ended (rolled back when nothing
 * changed) by pawd_batch_end(). */
int pawd_batch_open(struct pawd *d);
/* Open it if need be, and mark it as holding a mutation. */
int pawd_batch_touch(struct pawd *d);
/* Commit; on failure roll back and undo the batch's datapath changes.
 * Returns 0 or the store's error: replies of mutating requests must then
 * say INTERNAL (the ear queues them until this returns). */
int pawd_batch_end(struct pawd *d);
void pawd_undo_push(struct pawd *d, int kind, const char *a, const char *b);

/* ---- operator.c ---- */
/* A Postbox request from the authenticated client `me` (a copy the
 * handler may update). src is the request's source (MAC learning). */
void op_request(struct pawd *d, struct paw_store_client *me, const struct paw_pb_req *req,
		const struct sockaddr_in6 *src, struct paw_pb_reply *rep);
bool op_mutates(int type);

/* Admin side; each returns 0 or a negative errno with msg filled in. */
int op_client_add(struct pawd *d, const char *name, __be32 ipv4, const char *port,
		  const __u8 *mac, __u8 secret[PAW_PB_SECRET_LEN], char *msg, size_t len);
int op_client_del(struct pawd *d, const char *name, char *msg, size_t len);
int op_call_add(struct pawd *d, const char *a, const char *b, const char *by,
		struct paw_store_call *out, char *msg, size_t len);
int op_call_del(struct pawd *d, const char *a, const char *b, const char *by,
		char *msg, size_t len);
/* Put a client into the fast path (or refresh it) when its port is up:
 * its entry, host route and the calls whose both ends are online. */
int op_client_online(struct pawd *d, const struct paw_store_client *c);
/* Take a client out of the fast path (store untouched). */
void op_client_offline(struct pawd *d, const struct paw_store_client *c);
/* Make the maps say what the data server says, without a flush. */
int op_reconcile(struct pawd *d);
/* Periodic work: expire messages. */
void op_tick(struct pawd *d, __u64 now_ms);

/* ---- ports.c ---- */
int ports_start(struct pawd *d);	/* configured ports, pinned runtime ports */
void ports_stop(struct pawd *d);
struct pawd_port *ports_find(struct pawd *d, const char *name);
struct pawd_port *ports_find_ifindex(struct pawd *d, __u32 ifindex);
/* The port a client hangs off, when it can carry traffic. */
struct pawd_port *ports_online(struct pawd *d, const char *name);
int ports_add_runtime(struct pawd *d, const char *name, enum paw_xdp_mode mode,
		      char *msg, size_t len);
int ports_del_runtime(struct pawd *d, const char *name, char *msg, size_t len);
int ports_reload(struct pawd *d);	/* after a config reload */
int ports_watch(struct pawd *d);	/* subscribe to link events */
const char *ports_mode_name(const struct pawd_port *p);

/* ---- ear.c ---- */
int ear_start(struct pawd *d);
void ear_stop(struct pawd *d);
void ear_free(struct pawd *d);
/* Flush replies held for the batch's commit; commit_err != 0 turns
 * those of mutating requests into INTERNAL refusals. */
void ear_flush(struct pawd *d, int commit_err);
void ear_tick(struct pawd *d, __u64 now_mono);
int ear_reload(struct pawd *d, const struct paw_cfg *old);

/* ---- control.c ---- */
int control_start(struct pawd *d);
void control_stop(struct pawd *d);
/* Send an event line to every monitor that asked for its kind. */
void control_event(struct pawd *d, const char *kind, json_t *ev);
void control_flush(struct pawd *d);

/* ---- soil.c ---- */
bool soil_allows(const struct paw_pb_soil *callee, const char *caller);
/* Apply the fields present in `req` onto `cur`. */
void soil_merge(struct paw_pb_soil *cur, const struct paw_pb_soil *req);
/* Is a SET/REGISTER's Soil_options acceptable? 0 or a reason. */
int soil_check(const struct paw_pb_soil *s, char *msg, size_t len);

/* ---- notify.c ---- */
int pawd_notify(const char *state);	/* sd_notify(0, state); 0 when no systemd */

/* ---- events: the Switchboard's ring buffer (main.c) ---- */
void pawd_monitor_drops(struct pawd *d, bool on);

#endif /* PAWD_H */
