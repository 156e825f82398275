// SPDX-License-Identifier: GPL-2.0-or-later
/* Helpers the bench tools share. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "common.h"
#include "log.h"
#include "bench_abi.h"

volatile sig_atomic_t bench_stop;

static void on_signal(int sig)
{
	(void)sig;
	bench_stop = 1;
}

void bench_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* No SA_RESTART: a blocked syscall (BPF_PROG_TEST_RUN included)
	 * returns EINTR, and the loop around it sees bench_stop. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

__u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void nap_ns(__u64 ns)
{
	__u64 end = now_ns() + ns;

	while (!bench_stop) {
		__u64 now = now_ns(), left;
		struct timespec ts;

		if (now >= end)
			break;
		left = end - now;
		if (left > 50000000)
			left = 50000000;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left;
		nanosleep(&ts, NULL);
	}
}

static int vsh(bool optional, const char *fmt, va_list ap)
{
	char cmd[1024];
	int r;

	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	pr_debug("+ %s\n", cmd);
	r = system(cmd);
	if (r == -1)
		r = 127;
	else if (WIFEXITED(r))
		r = WEXITSTATUS(r);
	else
		r = 128 + (WIFSIGNALED(r) ? WTERMSIG(r) : 0);
	if (r && !optional)
		pr_err("Command failed (%d): %s\n", r, cmd);
	return r;
}

int sh(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsh(false, fmt, ap);
	va_end(ap);
	return r;
}

int sh_opt(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsh(true, fmt, ap);
	va_end(ap);
	return r;
}

int ns_open(const char *name)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int ns_enter(int fd)
{
	return setns(fd, CLONE_NEWNET) ? -errno : 0;
}

int online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (int)n;
}

int pin_task(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(tid, sizeof(set), &set) ? -errno : 0;
}

int cpu_times_read(struct cpu_times *t, int max)
{
	char line[512];
	FILE *f = fopen("/proc/stat", "re");
	int n = 0;

	if (!f)
		return -errno;
	memset(t, 0, sizeof(*t) * max);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[10] = {};
		int cpu;

		if (strncmp(line, "cpu", 3) || !isdigit((unsigned char)line[3]))
			continue;
		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu,
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 9)
			continue;
		if (cpu < 0 || cpu >= max)
			continue;
		/* user nice system idle iowait irq softirq steal */
		t[cpu].busy = v[0] + v[1] + v[2] + v[5] + v[6];
		t[cpu].idle = v[3] + v[4];
		t[cpu].steal = v[7];
		if (cpu + 1 > n)
			n = cpu + 1;
	}
	fclose(f);
	return n;
}

__u64 task_runtime_ns(pid_t tid)
{
	char path[64];
	unsigned long long run = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &run) != 1)
		run = 0;
	fclose(f);
	return run;
}

int find_tasks(const char *prefix, bool exact, pid_t *tids, int max)
{
	char path[300], comm[64];
	size_t pl = strlen(prefix);
	struct dirent *de;
	DIR *d = opendir("/proc");
	int n = 0;

	if (!d)
		return -errno;
	/* comm is cut to 15 characters. */
	if (pl > 15)
		pl = 15;
	while ((de = readdir(d)) && n < max) {
		FILE *f;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = '\0';
			if (exact ? !strcmp(comm, prefix) : !strncmp(comm, prefix, pl))
				tids[n++] = (pid_t)atoi(de->d_name);
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

int napi_threads(const char *ifname, pid_t *tids, int max)
{
	char want[32];

	/* The kernel names them "napi/%s-%d". */
	snprintf(want, sizeof(want), "napi/%s-", ifname);
	return find_tasks(want, false, tids, max);
}

pid_t ksoftirqd(int cpu)
{
	char name[32];
	pid_t tid = 0;

	snprintf(name, sizeof(name), "ksoftirqd/%d", cpu);
	return find_tasks(name, true, &tid, 1) == 1 ? tid : 0;
}

__u32 csum_words(const void *p, size_t len)
{
	const __u8 *b = p;
	__u32 sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2) {
		__u16 w;

		memcpy(&w, b + i, 2);
		sum += w;
	}
	return sum;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double stat_median(const double *v, int n)
{
	double s[256];

	if (n <= 0)
		return 0;
	if (n > 256)
		n = 256;
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

double stat_max(const double *v, int n)
{
	double m = n > 0 ? v[0] : 0;

	for (int i = 1; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

double stat_min(const double *v, int n)
{
	double m = n > 0 ? v[0] : 0;

	for (int i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

void machine_line(char *buf, size_t len)
{
	char line[256], model[128] = "unknown CPU";
	long long mem_kb = 0;
	struct utsname u;
	FILE *f;

	f = fopen("/proc/cpuinfo", "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *c = strchr(line, ':');

			if (!strncmp(line, "model name", 10) && c) {
				snprintf(model, sizeof(model), "%s", c + 2);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		}
		fclose(f);
	}
	f = fopen("/proc/meminfo", "re");
	if (f) {
		if (fscanf(f, "MemTotal: %lld kB", &mem_kb) != 1)
			mem_kb = 0;
		fclose(f);
	}
	uname(&u);
	snprintf(buf, len, "%s, %d CPUs, %.0f GiB, Linux %s", model, online_cpus(),
		 mem_kb / 1048576.0, u.release);
}

void frame_udp4(__u8 *f, const __u8 dst_mac[6], const __u8 src_mac[6],
		__u32 saddr, __u32 daddr)
{
	__u32 s = htonl(saddr), d = htonl(daddr), sum;
	__u16 v;

	memset(f, 0, PWB_FRAME_LEN);
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	f[12] = 0x08;			/* IPv4 */
	f[13] = 0x00;
	f[14] = 0x45;			/* version 4, IHL 5 */
	v = htons(PWB_FRAME_LEN - 14);	/* total length 46 */
	memcpy(f + 16, &v, 2);
	f[22] = PWB_TTL;
	f[23] = 17;			/* UDP */
	memcpy(f + 26, &s, 4);
	memcpy(f + 30, &d, 4);
	sum = csum_words(f + 14, 20);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	v = (__u16)~sum;
	memcpy(f + 24, &v, 2);
	v = htons(9);			/* discard, both ports */
	memcpy(f + 34, &v, 2);
	memcpy(f + 36, &v, 2);
	v = htons(PWB_FRAME_LEN - 34);	/* UDP length 26; checksum 0: none */
	memcpy(f + 38, &v, 2);
	memcpy(f + 42, "paw-bench-frame!", 16);
}

/* The trailing PID of a "paw-bench-...-PID" name, if that process is
 * gone: what a tool killed outright (SIGKILL, a crash) left behind. */
static bool stale_name(const char *name)
{
	const char *dash = strrchr(name, '-');
	char *end;
	long pid;

	if (strncmp(name, "paw-bench-", 10) || !dash || !dash[1])
		return false;
	pid = strtol(dash + 1, &end, 10);
	if (*end || pid <= 0 || pid == getpid())
		return false;
	return kill((pid_t)pid, 0) && errno == ESRCH;
}

void bench_sweep_stale(void)
{
	static const struct {
		const char *dir;
		bool netns;		/* a namespace: ip deletes it */
	} where[] = { { "/sys/fs/bpf", false }, { "/tmp", false }, { "/run/netns", true } };
	int n = 0;

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		DIR *d = opendir(where[i].dir);
		struct dirent *e;

		if (!d)
			continue;
		/* Bounded by the directory's entries. */
		while ((e = readdir(d))) {
			if (!stale_name(e->d_name))
				continue;
			if (where[i].netns)
				sh_opt("ip netns del '%s' 2>/dev/null", e->d_name);
			else
				sh_opt("rm -rf '%s/%s'", where[i].dir, e->d_name);
			n++;
		}
		closedir(d);
	}
	if (n)
		pr_info("removed %d leftovers of killed bench runs (paw-bench-*-PID)\n", n);
}
