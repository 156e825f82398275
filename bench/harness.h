/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Operator's side of the bench (issue 7, part 3): a world with pawd
 * in it, shared by paw-bench-postbox, -setup and -scale.
 *
 *   - a switchboard namespace (paw-bench-sw-PID) where pawd runs, and
 *     client namespaces (paw-bench-ROLE-PID) joined to it by veth ports;
 *   - pawd itself, started from the build tree with a config of our own
 *     (pins under /sys/fs/bpf/paw-bench-PID, files in /tmp/paw-bench-PID),
 *     pinned to a CPU, killed with us (PR_SET_PDEATHSIG);
 *   - the control socket, JSON lines, pipelined;
 *   - a Postbox load generator: many requests in flight, over UDP (one
 *     socket, a window of outstanding requests) or TCP (one request at a
 *     time per connection, as the protocol asks, many connections);
 *   - pawd's CPU time, memory and fsync count.
 *
 * Everything is bounded in time and count; everything made is removed by
 * hx_cleanup(), which runs at exit.
 */
#ifndef PAW_BENCH_HARNESS_H
#define PAW_BENCH_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <linux/types.h>

#include "paw/postbox.h"

#define HX_NS_MAX	4
#define HX_MAINBACKEND	"fd70:a3::1"

struct hx_ns {
	char name[48];		/* paw-bench-ROLE-PID */
	char port[16];		/* its port in the switchboard namespace */
	char mac[18];		/* its eth0's MAC */
	int fd;
};

/* pawd's configuration, written by hx_pawd_config(). */
struct hx_conf {
	bool group_commit;
	__u32 max_clients;	/* [datapath] */
	__u32 max_calls;	/* [datapath]: map entries, two per call */
	__u32 client_max_calls;	/* [limits] max_calls */
	__u32 postbox_max;	/* [limits] postbox_max */
	const char *log_level;
	const char *xdp_mode;	/* the ports' */
};

struct hx {
	pid_t pid;		/* ours: names carry it */
	char dir[64];		/* /tmp/paw-bench-PID */
	char pin[64];		/* /sys/fs/bpf/paw-bench-PID */
	char conf[128], db[128], sock[128], log[128];
	char pawd_bin[256], pass_obj[256];
	struct hx_ns sw;
	struct hx_ns ns[HX_NS_MAX];
	int n_ns;
	int host_fd;		/* our own network namespace */
	pid_t pawd;
	int pawd_cpu;		/* -1: not pinned */
	double start_wait_s;	/* hx_pawd_start()'s bound; 0: 20 s */
	struct hx_conf cfg;
	int ctl;		/* control socket, -1 */
};

/* Names, directories and the tools' paths (next to this binary). */
int hx_init(struct hx *h);
/* Kill pawd, unpin, delete the namespaces and files. Idempotent. */
void hx_cleanup(struct hx *h);

/* The switchboard namespace and one client namespace per role, each
 * with a port `pROLE` (eth0 in the client namespace, MAC 02:62:00:00:N:01)
 * and an on-link route to MainBackend; `xdp_pass` attaches build/pass.bpf.o
 * to the client's eth0 (native redirect into a veth needs XDP there).
 * rps_cpu >= 0 steers what the client's eth0 receives to that CPU. */
int hx_topology(struct hx *h, const char *const *roles, int n, bool xdp_pass, int rps_cpu);
/* Enter a client namespace (n >= 0) or the switchboard's (-1), this thread. */
int hx_enter(struct hx *h, int n);
int hx_leave(struct hx *h);
/* Run a command in a namespace (n as above). */
int hx_nsexec(struct hx *h, int n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

int hx_pawd_config(struct hx *h, const struct hx_conf *c);
/* Start pawd (foreground, log to h->log) on cpu (-1: anywhere) and wait
 * until its control socket answers (at most h->start_wait_s, 20 s). */
int hx_pawd_start(struct hx *h, int cpu);
/* Signal it and wait at most wait_s for it to exit; SIGKILL after. */
int hx_pawd_stop(struct hx *h, int sig, double wait_s);
/* SIGHUP, and wait until the log says the configuration was reloaded. */
int hx_pawd_reload(struct hx *h);

/* /proc/PID/status, kB. */
struct hx_mem {
	__u64 rss_kb, hwm_kb, data_kb;
};
int hx_pawd_mem(struct hx *h, struct hx_mem *m);
/* pawd's CPU time so far, ns (/proc/PID/schedstat). */
__u64 hx_pawd_cpu_ns(struct hx *h);

/* Kernel memory of every map pinned in pin dir (memlock, fdinfo). */
struct hx_mapmem {
	char name[32];
	__u64 max_entries, key_size, value_size, memlock;
};
int hx_maps_mem(struct hx *h, struct hx_mapmem *out, int max);

/* fsync() and fdatasync() calls of pawd, counted by a BPF program on the
 * syscall tracepoints. Returns -errno when the kernel has none: the
 * figures are then reported as unknown. */
int hx_sync_open(struct hx *h);
__u64 hx_sync_count(void);
void hx_sync_close(void);

/* ---- control socket ---- */

/* One request, its reply's "result" as compact JSON into res (optional).
 * 0, or -EIO with the error's text logged. */
int hx_ctl(struct hx *h, char *res, size_t res_len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/*
 * n requests pipelined, at most `window` unanswered: line(i) writes
 * request i (one JSON object, no newline) into buf; reply(i, ok, result
 * or error text) sees each answer in order. Returns the number that
 * failed, or -errno when the socket did.
 */
typedef int (*hx_line_fn)(void *ctx, __u32 i, char *buf, size_t len);
typedef void (*hx_reply_fn)(void *ctx, __u32 i, bool ok, const char *json);
long hx_ctl_pipeline(struct hx *h, __u32 n, __u32 window, hx_line_fn line, hx_reply_fn reply,
		     void *ctx);

/* ---- bench clients ---- */

struct hx_client {
	char name[PAW_PB_NAME_MAX + 1];
	__u8 secret[PAW_PB_SECRET_LEN];
	__be32 ipv4;
	__u8 mac[6];
	bool enrolled;
};

/* Enrol clients[0..n) on port through the control socket (pipelined
 * client.add with their MACs); their secrets land in the array. Returns
 * the number enrolled or -errno. */
long hx_enrol(struct hx *h, struct hx_client *cl, __u32 n, const char *port);

/* ---- the Postbox load generator ---- */

/* What a stream sends next. */
struct hx_job {
	__u32 client;		/* index into the client array */
	__u8 type;		/* enum paw_pb_type */
	__u32 peer;		/* CALL, HANGUP, POST */
	__u64 msg_id;		/* POST */
};

struct hx_load;
/*
 * A stream carries one request at a time; there are `streams` of them
 * (UDP: the window; TCP: one connection each). next() fills the stream's
 * next job and returns 0, or 1 when the stream has nothing more to send.
 * done() hears each answer: status (enum paw_pb_status), or -ETIMEDOUT /
 * -EBADMSG; rep is the decoded reply when the run verifies replies.
 */
struct hx_load_ops {
	int (*next)(void *ctx, __u32 stream, struct hx_job *job);
	void (*done)(void *ctx, __u32 stream, const struct hx_job *job, int status,
		     const struct paw_pb_reply *rep);
	/* Optional: called every loop with the time since the start, ns. */
	void (*tick)(void *ctx, __u64 elapsed_ns);
};

struct hx_load_opts {
	bool tcp;
	__u32 streams;
	double seconds;		/* time bound of the measured part */
	__u64 max_requests;	/* count bound: 0 none */
	double drain_s;		/* then wait this long for what is in flight */
	bool verify;		/* decode and check every reply's MAC (else 1 in 64) */
	int timeout_ms;		/* UDP: re-sent (new nonce) after this; 0: 1000 */
	const struct hx_load_ops *ops;
	void *ctx;
	pid_t watch;		/* pawd: its CPU time and fsyncs over the measured part */
	int cpus[2];		/* two CPUs whose busy share is reported (-1: none) */
};

#define HX_LAT_MAX_US (1 << 14)

struct hx_load_stats {
	__u64 sent;		/* messages, re-sends included */
	__u64 answered;		/* in the measured part */
	__u64 ok;		/* status OK in the measured part */
	__u64 status[PAW_PB_STATUS_MAX];
	__u64 timeouts, bad, verified;
	double seconds;		/* the measured part */
	__u64 gen_cpu_ns;	/* this thread's CPU time in it */
	__u64 watch_cpu_ns;	/* opts.watch's */
	__u64 syncs;		/* its fsync()s and fdatasync()s (hx_sync_open) */
	double cpu_busy[2];	/* share of opts.cpus[] busy (user, system, irq, softirq) */
	__u64 lat_us[HX_LAT_MAX_US];	/* request latency, 1 us bins up to 16 ms */
	__u64 lat_ms[1024];		/* then 1 ms bins up to 1 s */
	__u64 lat_over;
};

/*
 * Run a load from the current thread's network namespace against
 * [MainBackend]:53. Sockets are made here and closed at the end.
 * Returns 0, or -errno when it could not run (sockets, TCP connects).
 */
int hx_load_run(struct hx_client *cl, const struct hx_load_opts *o, struct hx_load_stats *st);
double hx_lat_pct(const struct hx_load_stats *st, double pct);	/* us */

/* One request over UDP from this thread's namespace, re-sent (new nonce)
 * up to 3 times: for setup steps. Returns its status or -errno; rep
 * (optional) gets the verified reply. */
int hx_request(struct hx_client *cl, const struct hx_job *job, int timeout_ms,
	       struct paw_pb_reply *rep);

/* Encode a job (clients: the array job's indices refer to) with a fresh
 * nonce and timestamp: the message length or -errno. */
int hx_encode(const struct hx_client *cl, const struct hx_job *job, __u32 req_id, __u8 *buf,
	      size_t len, __u8 nonce_out[PAW_PB_NONCE_LEN]);

#endif /* PAW_BENCH_HARNESS_H */
