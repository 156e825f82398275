/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers the bench tools share: time, CPUs, namespaces, statistics. */
#ifndef PAW_BENCH_COMMON_H
#define PAW_BENCH_COMMON_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>

#define BENCH_MAX_CPUS 64

/* Set by SIGINT/SIGTERM/SIGHUP: every loop checks it. */
extern volatile sig_atomic_t bench_stop;
void bench_signals(void);

__u64 now_ns(void);
/* Sleep up to ns, returning early when bench_stop is set. */
void nap_ns(__u64 ns);

/* Run a shell command; its exit status (0 ok). Failures are logged
 * unless the command is marked optional. */
int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int sh_opt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Remove pins, files and namespaces of bench tools that were killed. */
void bench_sweep_stale(void);

/* Network namespaces made with `ip netns add`. */
int ns_open(const char *name);
int ns_enter(int fd);

int online_cpus(void);
int pin_task(pid_t tid, int cpu);	/* tid 0: the calling thread */

/* /proc/stat, per CPU, in USER_HZ ticks. */
struct cpu_times {
	__u64 busy;	/* user nice system irq softirq */
	__u64 idle;	/* idle iowait */
	__u64 steal;
};
int cpu_times_read(struct cpu_times *t, int max);

/* Time a task has spent on a CPU (/proc/PID/schedstat), ns; 0 if gone. */
__u64 task_runtime_ns(pid_t tid);
/* Tasks whose name (comm) starts with prefix, or equals it. */
int find_tasks(const char *prefix, bool exact, pid_t *tids, int max);
/* Kernel threads of a device's threaded NAPI ("napi/IFNAME-ID"). */
int napi_threads(const char *ifname, pid_t *tids, int max);
/* ksoftirqd/CPU, or 0. */
pid_t ksoftirqd(int cpu);

/* One's complement sum of 16-bit words read in host order. */
__u32 csum_words(const void *p, size_t len);

double stat_median(const double *v, int n);
double stat_max(const double *v, int n);
double stat_min(const double *v, int n);

/* The machine, one line: CPU model, cores, memory, kernel. */
void machine_line(char *buf, size_t len);

/* Fill a 60-byte UDP/IPv4 frame (see bench_abi.h) from host-order
 * addresses. */
void frame_udp4(__u8 *f, const __u8 dst_mac[6], const __u8 src_mac[6],
		__u32 saddr, __u32 daddr);

#endif /* PAW_BENCH_COMMON_H */
