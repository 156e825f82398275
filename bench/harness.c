// SPDX-License-Identifier: GPL-2.0-or-later
/* The Operator's side of the bench: see harness.h. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <jansson.h>
#include <sodium.h>

#include "harness.h"
#include "common.h"
#include "log.h"
#include "util.h"
#include "sync.skel.h"

#define CTL_LINE_MAX	65536
#define CTL_TIMEOUT_MS	30000
#define UDP_BATCH	64
#define TCP_STREAMS_MAX	1024

static struct hx *cleanup_hx;

static void hx_atexit(void)
{
	if (cleanup_hx)
		hx_cleanup(cleanup_hx);
}

int hx_init(struct hx *h)
{
	char exe[PATH_MAX], *slash;
	const char *env;
	ssize_t n;

	memset(h, 0, sizeof(*h));
	h->pid = getpid();
	h->pawd_cpu = -1;
	h->ctl = -1;
	h->sw.fd = -1;
	for (int i = 0; i < HX_NS_MAX; i++)
		h->ns[i].fd = -1;
	snprintf(h->dir, sizeof(h->dir), "/tmp/paw-bench-%d", (int)h->pid);
	snprintf(h->pin, sizeof(h->pin), "/sys/fs/bpf/paw-bench-%d", (int)h->pid);
	snprintf(h->conf, sizeof(h->conf), "%s/pawd.conf", h->dir);
	snprintf(h->db, sizeof(h->db), "%s/paw.db", h->dir);
	snprintf(h->sock, sizeof(h->sock), "%s/pawd.sock", h->dir);
	snprintf(h->log, sizeof(h->log), "%s/pawd.log", h->dir);
	snprintf(h->sw.name, sizeof(h->sw.name), "paw-bench-sw-%d", (int)h->pid);

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	env = getenv("PAW_BENCH_PAWD");
	snprintf(h->pawd_bin, sizeof(h->pawd_bin), "%s", env ? env : "");
	if (!env)
		snprintf(h->pawd_bin, sizeof(h->pawd_bin), "%.200s/../pawd", exe);
	snprintf(h->pass_obj, sizeof(h->pass_obj), "%.200s/../pass.bpf.o", exe);
	if (access(h->pawd_bin, X_OK)) {
		pr_err("Couldn't find pawd at '%s' (make first)\n", h->pawd_bin);
		return -ENOENT;
	}
	h->host_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (h->host_fd < 0)
		return -errno;
	bench_sweep_stale();
	if (mkdir(h->dir, 0700) && errno != EEXIST)
		return -errno;
	cleanup_hx = h;
	atexit(hx_atexit);
	return 0;
}

/* Run argv with the network namespace of fd (-1: ours), quietly, and wait
 * at most wait_s. Its exit status, or -errno. */
static int run_in(int fd, double wait_s, char *const argv[])
{
	__u64 end = now_ns() + (__u64)(wait_s * 1e9);
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		if (fd >= 0 && setns(fd, CLONE_NEWNET))
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	while (now_ns() < end) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -ETIMEDOUT;
}

void hx_cleanup(struct hx *h)
{
	struct stat st;

	if (!h || !h->pid || h->pid != getpid())
		return;
	if (h->host_fd >= 0)
		setns(h->host_fd, CLONE_NEWNET);
	if (h->ctl >= 0)
		close(h->ctl);
	h->ctl = -1;
	if (h->pawd > 0) {
		kill(h->pawd, SIGKILL);
		waitpid(h->pawd, NULL, 0);
		h->pawd = 0;
	}
	hx_sync_close();
	if (stat(h->pin, &st) == 0) {
		char *argv[] = { h->pawd_bin, "-c", h->conf, "--unpin", NULL };

		if (stat(h->conf, &st) == 0)
			run_in(h->sw.fd, 10, argv);
		sh_opt("rm -rf '%s'", h->pin);
	}
	for (int i = 0; i < h->n_ns; i++) {
		if (h->ns[i].fd >= 0)
			close(h->ns[i].fd);
		h->ns[i].fd = -1;
		sh_opt("ip netns del '%s' 2>/dev/null", h->ns[i].name);
	}
	h->n_ns = 0;
	if (h->sw.fd >= 0) {
		close(h->sw.fd);
		h->sw.fd = -1;
		sh_opt("ip netns del '%s' 2>/dev/null", h->sw.name);
	}
	if (h->host_fd >= 0) {
		close(h->host_fd);
		h->host_fd = -1;
	}
	if (!getenv("PAW_BENCH_KEEP"))
		sh_opt("rm -rf '%s'", h->dir);
	else
		fprintf(stderr, "paw-bench: files kept in %s\n", h->dir);
	h->pid = 0;
}

/* ---- namespaces ---- */

static int ns_quiet(const char *ns)
{
	return sh("ip netns exec '%s' sysctl -qw net.ipv6.conf.all.accept_dad=0 "
		  "net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_ra=0 "
		  "net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.all.router_solicitations=0 "
		  "net.ipv6.conf.default.router_solicitations=0 >/dev/null && "
		  "ip -n '%s' link set lo up", ns, ns);
}

int hx_topology(struct hx *h, const char *const *roles, int n, bool xdp_pass, int rps_cpu)
{
	if (n > HX_NS_MAX)
		return -E2BIG;
	if (sh("ip netns add '%s'", h->sw.name))
		return -EIO;
	h->sw.fd = ns_open(h->sw.name);
	if (h->sw.fd < 0 || ns_quiet(h->sw.name))
		return -EIO;
	for (int i = 0; i < n; i++) {
		struct hx_ns *c = &h->ns[i];

		snprintf(c->name, sizeof(c->name), "paw-bench-%s-%d", roles[i], (int)h->pid);
		snprintf(c->port, sizeof(c->port), "p%.10s", roles[i]);
		snprintf(c->mac, sizeof(c->mac), "02:62:00:00:%02x:01", i + 1);
		if (sh("ip netns add '%s'", c->name))
			return -EIO;
		h->n_ns = i + 1;
		c->fd = ns_open(c->name);
		if (c->fd < 0 || ns_quiet(c->name))
			return -EIO;
		if (sh("ip -n '%s' link add '%s' type veth peer name eth0 netns '%s' address %s && "
		       "ip -n '%s' link set eth0 up && "
		       "ip -n '%s' -6 route add " HX_MAINBACKEND "/128 dev eth0",
		       h->sw.name, c->port, c->name, c->mac, c->name, c->name))
			return -EIO;
		if (xdp_pass &&
		    sh("ip -n '%s' link set dev eth0 xdpdrv obj '%s' sec xdp && "
		       "ip netns exec '%s' ethtool -K eth0 tx off >/dev/null",
		       c->name, h->pass_obj, c->name))
			return -EIO;
		if (rps_cpu >= 0 &&
		    sh("ip netns exec '%s' sh -c 'echo %x > /sys/class/net/eth0/queues/rx-0/rps_cpus'",
		       c->name, 1u << rps_cpu))
			return -EIO;
	}
	return 0;
}

int hx_enter(struct hx *h, int n)
{
	int fd = n < 0 ? h->sw.fd : h->ns[n].fd;

	return ns_enter(fd);
}

int hx_leave(struct hx *h)
{
	return ns_enter(h->host_fd);
}

int hx_nsexec(struct hx *h, int n, const char *fmt, ...)
{
	char cmd[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return sh("ip netns exec '%s' %s", n < 0 ? h->sw.name : h->ns[n].name, cmd);
}

/* ---- pawd ---- */

int hx_pawd_config(struct hx *h, const struct hx_conf *c)
{
	FILE *f = fopen(h->conf, "we");

	if (!f)
		return -errno;
	h->cfg = *c;
	fprintf(f, "# written by paw-bench (bench/harness.c)\n"
		"[ear]\naddress = " HX_MAINBACKEND "\nport = 53\nmax_connections = 1024\n"
		"backlog = 1024\n"
		"[datapath]\npin_dir = %s\nmax_clients = %u\nmax_calls = %u\n"
		"[store]\npath = %s\ngroup_commit = %s\n"
		"[control]\nsocket = %s\n"
		"[log]\nlevel = %s\n"
		"[limits]\nmax_calls = %u\npostbox_max = %u\n"
		"[daemon]\npidfile =\n",
		h->pin, c->max_clients, c->max_calls, h->db, c->group_commit ? "yes" : "no",
		h->sock, c->log_level ? c->log_level : "info", c->client_max_calls,
		c->postbox_max);
	for (int i = 0; i < h->n_ns; i++)
		fprintf(f, "[port %s]\nxdp_mode = %s\nproxy_arp = yes\n", h->ns[i].port,
			c->xdp_mode ? c->xdp_mode : "native");
	if (fclose(f))
		return -errno;
	return 0;
}

static void log_tail(struct hx *h)
{
	sh_opt("tail -n 15 '%s' >&2", h->log);
}

static int ctl_connect(struct hx *h)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (h->ctl >= 0)
		return 0;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%.100s", h->sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		int err = -errno;

		close(fd);
		return err;
	}
	h->ctl = fd;
	return 0;
}

static void ctl_close(struct hx *h)
{
	if (h->ctl >= 0)
		close(h->ctl);
	h->ctl = -1;
}

int hx_pawd_start(struct hx *h, int cpu)
{
	pid_t parent = getpid(), pid;
	int logfd, st;
	__u64 end;

	logfd = open(h->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(logfd);
		return -errno;
	}
	if (pid == 0) {
		sigset_t none;

		/* pawd dies with the bench, whatever kills it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (setns(h->sw.fd, CLONE_NEWNET))
			_exit(126);
		if (cpu >= 0)
			pin_task(0, cpu);
		dup2(logfd, 1);
		dup2(logfd, 2);
		execl(h->pawd_bin, "pawd", "-f", "-c", h->conf, (char *)NULL);
		_exit(127);
	}
	close(logfd);
	h->pawd = pid;
	h->pawd_cpu = cpu;
	ctl_close(h);
	end = now_ns() + (__u64)((h->start_wait_s > 0 ? h->start_wait_s : 20) * 1e9);
	while (now_ns() < end && !bench_stop) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			h->pawd = 0;
			pr_err("pawd exited while starting; its log:\n");
			log_tail(h);
			return -ECHILD;
		}
		if (ctl_connect(h) == 0 && hx_ctl(h, NULL, 0, "{\"cmd\":\"status\"}") == 0)
			return 0;
		ctl_close(h);
		usleep(20000);
	}
	pr_err("pawd did not answer on its control socket in %.0f s; its log:\n",
	       h->start_wait_s > 0 ? h->start_wait_s : 20);
	log_tail(h);
	return -ETIMEDOUT;
}

int hx_pawd_stop(struct hx *h, int sig, double wait_s)
{
	__u64 end = now_ns() + (__u64)(wait_s * 1e9);
	int st;

	ctl_close(h);
	if (h->pawd <= 0)
		return 0;
	kill(h->pawd, sig);
	while (now_ns() < end) {
		if (waitpid(h->pawd, &st, WNOHANG) == h->pawd) {
			h->pawd = 0;
			return 0;
		}
		usleep(5000);
	}
	kill(h->pawd, SIGKILL);
	waitpid(h->pawd, &st, 0);
	h->pawd = 0;
	return -ETIMEDOUT;
}

static int count_in_log(struct hx *h, const char *what)
{
	char line[1024];
	FILE *f = fopen(h->log, "re");
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, what) != NULL;
	fclose(f);
	return n;
}

int hx_pawd_reload(struct hx *h)
{
	int before = count_in_log(h, "configuration reloaded");
	__u64 end = now_ns() + 20000000000ull;

	if (h->pawd <= 0 || kill(h->pawd, SIGHUP))
		return -ESRCH;
	while (now_ns() < end && !bench_stop) {
		if (count_in_log(h, "configuration reloaded") > before)
			return 0;
		usleep(5000);
	}
	return -ETIMEDOUT;
}

int hx_pawd_mem(struct hx *h, struct hx_mem *m)
{
	char path[64], line[256];
	FILE *f;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "/proc/%d/status", (int)h->pawd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;

		if (sscanf(line, "VmRSS: %llu kB", &v) == 1)
			m->rss_kb = v;
		else if (sscanf(line, "VmHWM: %llu kB", &v) == 1)
			m->hwm_kb = v;
		else if (sscanf(line, "VmData: %llu kB", &v) == 1)
			m->data_kb = v;
	}
	fclose(f);
	return 0;
}

__u64 hx_pawd_cpu_ns(struct hx *h)
{
	return h->pawd > 0 ? task_runtime_ns(h->pawd) : 0;
}

int hx_maps_mem(struct hx *h, struct hx_mapmem *out, int max)
{
	DIR *d = opendir(h->pin);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < max) {
		char path[PATH_MAX], line[256];
		struct hx_mapmem m = {};
		bool is_map = false;
		FILE *f;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", h->pin, de->d_name);
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f)) {
			unsigned long long v;

			if (!strncmp(line, "map_type:", 9))
				is_map = true;
			else if (sscanf(line, "max_entries: %llu", &v) == 1)
				m.max_entries = v;
			else if (sscanf(line, "key_size: %llu", &v) == 1)
				m.key_size = v;
			else if (sscanf(line, "value_size: %llu", &v) == 1)
				m.value_size = v;
			else if (sscanf(line, "memlock: %llu", &v) == 1)
				m.memlock = v;
		}
		if (f)
			fclose(f);
		close(fd);
		if (!is_map)
			continue;
		snprintf(m.name, sizeof(m.name), "%.31s", de->d_name);
		out[n++] = m;
	}
	closedir(d);
	return n;
}

/* ---- fsync counter ---- */

static struct sync_bpf *sync_skel;

int hx_sync_open(struct hx *h)
{
	int err;

	hx_sync_close();
	sync_skel = sync_bpf__open();
	if (!sync_skel)
		return -errno;
	sync_skel->rodata->target_tgid = (__u32)h->pawd;
	err = sync_bpf__load(sync_skel);
	if (!err)
		err = sync_bpf__attach(sync_skel);
	if (err) {
		sync_bpf__destroy(sync_skel);
		sync_skel = NULL;
		return err;
	}
	return 0;
}

__u64 hx_sync_count(void)
{
	return sync_skel ? __atomic_load_n(&sync_skel->bss->syncs, __ATOMIC_RELAXED) : 0;
}

void hx_sync_close(void)
{
	sync_bpf__destroy(sync_skel);
	sync_skel = NULL;
}

/* ---- control socket ---- */

/* Lines read from a socket: buf[off, len) is what is not consumed yet. */
struct linebuf {
	char *buf;
	size_t off, len;
};

/* The next line (without its newline) at lb->buf + lb->off, waiting at
 * most timeout_ms: its length, or -errno. lb_drop() consumes it. */
static long lb_line(int fd, struct linebuf *lb, int timeout_ms)
{
	__u64 end = now_ns() + (__u64)timeout_ms * 1000000;

	for (;;) {
		char *p0 = lb->buf + lb->off;
		char *nl = lb->len > lb->off ? memchr(p0, '\n', lb->len - lb->off) : NULL;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (nl)
			return nl - p0;
		if (lb->off) {
			memmove(lb->buf, p0, lb->len - lb->off);
			lb->len -= lb->off;
			lb->off = 0;
		}
		if (lb->len == CTL_LINE_MAX)
			return -EMSGSIZE;
		if (now_ns() >= end || bench_stop)
			return -ETIMEDOUT;
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(fd, lb->buf + lb->len, CTL_LINE_MAX - lb->len, MSG_DONTWAIT);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		lb->len += n;
	}
}

static void lb_drop(struct linebuf *lb, size_t line_len)
{
	lb->off += line_len + 1;
}

static bool lb_more(const struct linebuf *lb)
{
	return lb->len > lb->off && memchr(lb->buf + lb->off, '\n', lb->len - lb->off);
}

static int send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* Parse a reply line: ok, and the result (or the error's text) as JSON. */
static bool ctl_parse(const char *line, size_t len, char **json)
{
	json_t *j = json_loadb(line, len, 0, NULL), *v;
	bool ok = false;

	*json = NULL;
	if (!j)
		return false;
	ok = json_is_true(json_object_get(j, "ok"));
	v = ok ? json_object_get(j, "result") : json_object_get(j, "error");
	if (v)
		*json = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(j);
	return ok;
}

int hx_ctl(struct hx *h, char *res, size_t res_len, const char *fmt, ...)
{
	char req[4096];
	struct linebuf lb = {};
	char *json = NULL;
	va_list ap;
	long n;
	int err, len;
	bool ok;

	err = ctl_connect(h);
	if (err)
		return err;
	va_start(ap, fmt);
	len = vsnprintf(req, sizeof(req) - 1, fmt, ap);
	va_end(ap);
	if (len < 0 || len >= (int)sizeof(req) - 1)
		return -EINVAL;
	req[len++] = '\n';
	lb.buf = malloc(CTL_LINE_MAX);
	if (!lb.buf)
		return -ENOMEM;
	err = send_all(h->ctl, req, len);
	n = err ? err : lb_line(h->ctl, &lb, CTL_TIMEOUT_MS);
	if (n < 0) {
		free(lb.buf);
		ctl_close(h);
		return (int)n;
	}
	ok = ctl_parse(lb.buf + lb.off, n, &json);
	free(lb.buf);
	if (!ok) {
		req[len - 1] = '\0';
		pr_err("pawd refused %s: %s\n", req, json ? json : "(no reply)");
		free(json);
		return -EIO;
	}
	if (res && res_len)
		snprintf(res, res_len, "%s", json ? json : "");
	free(json);
	return 0;
}

long hx_ctl_pipeline(struct hx *h, __u32 n, __u32 window, hx_line_fn line, hx_reply_fn reply,
		     void *ctx)
{
	size_t out_cap = 1 << 20, out_len = 0;
	struct linebuf lb = {};
	char *out = NULL;
	__u32 sent = 0, got = 0;
	long failed = 0, err;

	err = ctl_connect(h);
	if (err)
		return err;
	out = malloc(out_cap);
	lb.buf = malloc(CTL_LINE_MAX);
	if (!out || !lb.buf) {
		err = -ENOMEM;
		goto out;
	}
	while (got < n && !bench_stop) {
		char *json;
		long len;
		bool ok;

		/* Fill the window, in one write. */
		out_len = 0;
		while (sent < n && sent - got < window && out_len + 4096 < out_cap) {
			int l = line(ctx, sent, out + out_len, 4000);

			if (l <= 0 || l >= 4000) {
				err = -EINVAL;
				goto out;
			}
			out_len += l;
			out[out_len++] = '\n';
			sent++;
		}
		if (out_len) {
			err = send_all(h->ctl, out, out_len);
			if (err)
				goto out;
		}
		/* Read what has come, at least one line. */
		do {
			len = lb_line(h->ctl, &lb, CTL_TIMEOUT_MS);
			if (len < 0) {
				err = len;
				goto out;
			}
			ok = ctl_parse(lb.buf + lb.off, len, &json);
			lb_drop(&lb, len);
			failed += !ok;
			reply(ctx, got++, ok, json ? json : "");
			free(json);
		} while (got < sent && lb_more(&lb));
	}
	err = bench_stop ? -EINTR : failed;
out:
	if (err < 0)
		ctl_close(h);
	free(out);
	free(lb.buf);
	return err;
}

struct enrol_ctx {
	struct hx_client *cl;
	const char *port;
	long ok;
};

static int enrol_line(void *ctx, __u32 i, char *buf, size_t len)
{
	struct enrol_ctx *e = ctx;
	struct hx_client *c = &e->cl[i];
	char ip[INET_ADDRSTRLEN], mac[18];

	inet_ntop(AF_INET, &c->ipv4, ip, sizeof(ip));
	return snprintf(buf, len, "{\"id\":%u,\"cmd\":\"client.add\",\"args\":{\"name\":\"%s\","
			"\"ipv4\":\"%s\",\"port\":\"%s\",\"mac\":\"%s\"}}", i, c->name, ip,
			e->port, paw_mac_format(c->mac, mac));
}

static void enrol_reply(void *ctx, __u32 i, bool ok, const char *json)
{
	struct enrol_ctx *e = ctx;
	json_t *j;

	if (!ok) {
		pr_err("Couldn't enrol %s: %s\n", e->cl[i].name, json);
		return;
	}
	j = json_loads(json, 0, NULL);
	if (j && paw_secret_from_hex(json_string_value(json_object_get(j, "secret")) ?: "",
				     e->cl[i].secret) == 0) {
		e->cl[i].enrolled = true;
		e->ok++;
	}
	json_decref(j);
}

long hx_enrol(struct hx *h, struct hx_client *cl, __u32 n, const char *port)
{
	struct enrol_ctx e = { .cl = cl, .port = port };
	long err = hx_ctl_pipeline(h, n, 256, enrol_line, enrol_reply, &e);

	return err < 0 ? err : e.ok;
}

/* ---- Postbox messages ---- */

static struct {
	__u8 prefix[8];		/* random per process: nonces never repeat */
	__u64 counter;
	bool init;
	struct paw_pb_req req;
	struct paw_pb_reply rep;
} E;

int hx_encode(const struct hx_client *cl, const struct hx_job *job, __u32 req_id, __u8 *buf,
	      size_t len, __u8 nonce_out[PAW_PB_NONCE_LEN])
{
	struct paw_pb_req *r = &E.req;
	const struct hx_client *me = &cl[job->client];
	__u64 c;

	if (!E.init) {
		randombytes_buf(E.prefix, sizeof(E.prefix));
		E.init = true;
	}
	r->type = job->type;
	r->req_id = req_id;
	r->ts_ms = paw_now_ms();
	c = ++E.counter;
	memcpy(r->nonce, E.prefix, 8);
	memcpy(r->nonce + 8, &c, 8);
	memcpy(r->name, me->name, sizeof(r->name));
	r->peer[0] = '\0';
	r->has_ipv4 = false;
	r->has_mac = false;
	r->soil.present = 0;
	r->msg_id = 0;
	r->text_len = 0;
	r->fetch_max = 0;
	r->n_ack = 0;
	switch (job->type) {
	case PAW_PB_REGISTER:
		r->has_ipv4 = true;
		r->ipv4 = me->ipv4;
		break;
	case PAW_PB_CALL:
	case PAW_PB_HANGUP:
		memcpy(r->peer, cl[job->peer].name, sizeof(r->peer));
		break;
	case PAW_PB_POST:
		memcpy(r->peer, cl[job->peer].name, sizeof(r->peer));
		r->msg_id = job->msg_id;
		r->text_len = 16;
		memcpy(r->text, "paw-bench-post!!", 17);
		break;
	}
	if (nonce_out)
		memcpy(nonce_out, r->nonce, PAW_PB_NONCE_LEN);
	return paw_pb_req_encode(r, me->secret, buf, len);
}

static __u32 get_be32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

/* The cheap check every reply gets: it answers this request. Status, or
 * -EBADMSG. */
static int reply_match(const __u8 *p, size_t len, __u8 type, __u32 req_id, const __u8 *nonce)
{
	if (len < 36 + PAW_PB_MAC_LEN || p[0] != PAW_PB_MAGIC || p[1] != PAW_PB_VERSION ||
	    p[2] != (type | PAW_PB_REPLY_BIT) || get_be32(p + 4) != req_id ||
	    memcmp(p + 16, nonce, PAW_PB_NONCE_LEN))
		return -EBADMSG;
	return p[3];
}

/* The full check: the MAC verifies (or the refusal is of the unsigned kind). */
static int reply_verify(const __u8 *p, size_t len, const __u8 *secret, struct paw_pb_reply *rep)
{
	if (paw_pb_reply_decode(p, len, secret, rep))
		return -EBADMSG;
	if (rep->status == PAW_PB_OK && !rep->signed_)
		return -EBADMSG;
	return rep->status;
}

int hx_request(struct hx_client *cl, const struct hx_job *job, int timeout_ms,
	       struct paw_pb_reply *rep)
{
	struct sockaddr_in6 mb = { .sin6_family = AF_INET6, .sin6_port = htons(PAW_PB_PORT) };
	static __u32 req_id = 0x10000000;
	__u8 buf[PAW_PB_UDP_MAX + 1], nonce[PAW_PB_NONCE_LEN];
	int fd, err = -ETIMEDOUT;

	inet_pton(AF_INET6, HX_MAINBACKEND, &mb.sin6_addr);
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&mb, sizeof(mb))) {
		err = -errno;
		goto out;
	}
	for (int attempt = 0; attempt < 4 && err == -ETIMEDOUT && !bench_stop; attempt++) {
		__u64 end = now_ns() + (__u64)timeout_ms * 1000000;
		int n = hx_encode(cl, job, ++req_id, buf, sizeof(buf), nonce);

		if (n < 0) {
			err = n;
			break;
		}
		if (send(fd, buf, n, 0) < 0) {
			err = -errno;
			break;
		}
		while (now_ns() < end && !bench_stop) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			ssize_t r;

			if (poll(&p, 1, 10) <= 0)
				continue;
			r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (r < 0 || reply_match(buf, r, job->type, req_id, nonce) < 0)
				continue;
			err = reply_verify(buf, r, cl[job->client].secret, &E.rep);
			if (rep && err >= 0)
				*rep = E.rep;
			break;
		}
	}
out:
	close(fd);
	return err;
}

/* ---- the load generator ---- */

struct stream {
	struct hx_job job;
	__u32 req_id;
	__u8 nonce[PAW_PB_NONCE_LEN];
	__u64 sent_ns;
	bool busy;
	bool done;
	/* TCP */
	int fd;
	__u8 *in;
	size_t in_len;
};

struct load {
	struct hx_client *cl;
	const struct hx_load_opts *o;
	struct hx_load_stats *st;
	struct stream *s;
	__u32 *idle;		/* stack of idle stream indices */
	__u32 n_idle;
	__u32 n_busy;
	__u16 seq;
	__u64 t0, t_end;
	__u64 cpu0, cpu1;	/* this thread's CPU time at t0 and t_end */
	__u64 w0, w1, s0, s1;	/* the watched task's CPU time and fsyncs */
	struct cpu_times ct0[BENCH_MAX_CPUS], ct1[BENCH_MAX_CPUS];
	bool measuring;
	__u64 replies;		/* every one, for the 1-in-64 verification */
};

static __u64 thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void load_sample(struct load *L, bool end)
{
	pid_t w = L->o->watch;

	if (end) {
		L->cpu1 = thread_cpu_ns();
		L->w1 = w > 0 ? task_runtime_ns(w) : 0;
		L->s1 = hx_sync_count();
		cpu_times_read(L->ct1, BENCH_MAX_CPUS);
	} else {
		L->cpu0 = thread_cpu_ns();
		L->w0 = w > 0 ? task_runtime_ns(w) : 0;
		L->s0 = hx_sync_count();
		cpu_times_read(L->ct0, BENCH_MAX_CPUS);
	}
}

/* The measured part ends: at the time bound, the count bound, a signal,
 * or when no stream has anything more to send. */
static bool load_end(struct load *L, __u64 now)
{
	const struct hx_load_opts *o = L->o;

	if (!L->measuring)
		return false;
	if (now - L->t0 < (__u64)(o->seconds * 1e9) && !bench_stop &&
	    !(o->max_requests && L->st->answered >= o->max_requests) &&
	    (L->n_busy || L->n_idle))
		return false;
	L->measuring = false;
	L->t_end = now;
	load_sample(L, true);
	return true;
}

static void lat_add(struct hx_load_stats *st, __u64 ns)
{
	__u64 us = ns / 1000;

	if (us < HX_LAT_MAX_US)
		st->lat_us[us]++;
	else if (us / 1000 < 1024)
		st->lat_ms[us / 1000]++;
	else
		st->lat_over++;
}

double hx_lat_pct(const struct hx_load_stats *st, double pct)
{
	__u64 total = st->lat_over, want, acc = 0;

	for (int i = 0; i < HX_LAT_MAX_US; i++)
		total += st->lat_us[i];
	for (int i = 0; i < 1024; i++)
		total += st->lat_ms[i];
	if (!total)
		return 0;
	want = (__u64)(total * pct / 100.0 + 0.5);
	if (want < 1)
		want = 1;
	for (int i = 0; i < HX_LAT_MAX_US; i++) {
		acc += st->lat_us[i];
		if (acc >= want)
			return i + 0.5;
	}
	for (int i = HX_LAT_MAX_US / 1000; i < 1024; i++) {
		acc += st->lat_ms[i];
		if (acc >= want)
			return i * 1000.0 + 500;
	}
	return 1024 * 1000.0;
}

/* Encode stream i's job into buf with a fresh req_id and nonce. */
static int load_encode(struct load *L, __u32 i, __u8 *buf, size_t len)
{
	struct stream *s = &L->s[i];

	s->req_id = (__u32)++L->seq << 16 | i;
	return hx_encode(L->cl, &s->job, s->req_id, buf, len, s->nonce);
}

/* A reply for stream i (already matched). */
static void load_answer(struct load *L, __u32 i, const __u8 *p, size_t len, int status,
			__u64 now)
{
	struct stream *s = &L->s[i];
	const struct paw_pb_reply *rep = NULL;
	bool verify = L->o->verify || (L->replies++ & 63) == 0;

	if (verify) {
		status = reply_verify(p, len, L->cl[s->job.client].secret, &E.rep);
		if (status < 0)
			L->st->bad++;
		else
			L->st->verified++;
		rep = status >= 0 ? &E.rep : NULL;
	}
	s->busy = false;
	L->n_busy--;
	if (L->measuring) {
		L->st->answered++;
		if (status == PAW_PB_OK)
			L->st->ok++;
		if (status >= 0 && status < PAW_PB_STATUS_MAX)
			L->st->status[status]++;
		lat_add(L->st, now - s->sent_ns);
	}
	L->o->ops->done(L->o->ctx, i, &s->job, status, rep);
	L->idle[L->n_idle++] = i;
}

static void load_setup_udp_sock(int fd)
{
	int big = 4 << 20;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
}

static int load_udp(struct load *L)
{
	struct sockaddr_in6 mb = { .sin6_family = AF_INET6, .sin6_port = htons(PAW_PB_PORT) };
	const struct hx_load_opts *o = L->o;
	static __u8 out[UDP_BATCH][PAW_PB_UDP_MAX], in[UDP_BATCH][PAW_PB_UDP_MAX + 1];
	struct mmsghdr om[UDP_BATCH], im[UDP_BATCH];
	struct iovec oiov[UDP_BATCH], iiov[UDP_BATCH];
	__u32 osid[UDP_BATCH];
	__u64 timeout_ns = (__u64)(o->timeout_ms ? o->timeout_ms : 1000) * 1000000;
	__u64 last_scan = 0, drain_end = 0;
	int fd, err = 0;

	inet_pton(AF_INET6, HX_MAINBACKEND, &mb.sin6_addr);
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	load_setup_udp_sock(fd);
	if (connect(fd, (struct sockaddr *)&mb, sizeof(mb))) {
		err = -errno;
		close(fd);
		return err;
	}
	memset(im, 0, sizeof(im));
	for (int i = 0; i < UDP_BATCH; i++) {
		iiov[i].iov_base = in[i];
		iiov[i].iov_len = sizeof(in[i]);
		im[i].msg_hdr.msg_iov = &iiov[i];
		im[i].msg_hdr.msg_iovlen = 1;
	}
	for (;;) {
		__u64 now = now_ns();
		int no = 0, ni;

		if (o->ops->tick)
			o->ops->tick(o->ctx, now - L->t0);
		if (load_end(L, now))
			drain_end = now + (__u64)(o->drain_s * 1e9);
		if (!L->measuring && (L->n_busy == 0 || now >= drain_end || bench_stop))
			break;
		/* Every idle stream sends its next job, in batches. */
		while (L->measuring && L->n_idle) {
			__u32 i = L->idle[--L->n_idle];
			struct stream *s = &L->s[i];
			int n;

			if (s->done || o->ops->next(o->ctx, i, &s->job)) {
				s->done = true;
				continue;
			}
			n = load_encode(L, i, out[no], sizeof(out[no]));
			if (n < 0) {
				pr_err("Couldn't encode a request: %s\n", strerror(-n));
				s->done = true;
				continue;
			}
			oiov[no].iov_base = out[no];
			oiov[no].iov_len = n;
			memset(&om[no], 0, sizeof(om[no]));
			om[no].msg_hdr.msg_iov = &oiov[no];
			om[no].msg_hdr.msg_iovlen = 1;
			osid[no++] = i;
			s->busy = true;
			s->sent_ns = now;
			L->n_busy++;
			if (no == UDP_BATCH)
				break;
		}
		for (int k = 0; k < no;) {
			int r = sendmmsg(fd, om + k, no - k, 0);

			if (r <= 0) {
				/* A full socket buffer: what was not sent times out and
				 * goes again. */
				break;
			}
			L->st->sent += r;
			k += r;
		}
		(void)osid;
		ni = recvmmsg(fd, im, UDP_BATCH, MSG_DONTWAIT, NULL);
		for (int k = 0; k < ni; k++) {
			const __u8 *p = in[k];
			size_t len = im[k].msg_len;
			__u32 rid, i;
			int status;

			if (len < 8)
				continue;
			rid = get_be32(p + 4);
			i = rid & 0xffff;
			if (i >= o->streams || !L->s[i].busy)
				continue;
			status = reply_match(p, len, L->s[i].job.type, L->s[i].req_id, L->s[i].nonce);
			if (status < 0)
				continue;	/* a late answer to an earlier attempt */
			load_answer(L, i, p, len, status, now_ns());
		}
		if (ni <= 0 && no == 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			poll(&p, 1, 1);
		}
		/* Unanswered: sent again with a new nonce. */
		if (now - last_scan > 10000000) {
			last_scan = now;
			for (__u32 i = 0; i < o->streams; i++) {
				struct stream *s = &L->s[i];
				__u8 buf[PAW_PB_UDP_MAX];
				int n;

				if (!s->busy || now < s->sent_ns + timeout_ns)
					continue;
				L->st->timeouts++;
				if (!L->measuring) {
					s->busy = false;
					L->n_busy--;
					o->ops->done(o->ctx, i, &s->job, -ETIMEDOUT, NULL);
					continue;
				}
				n = load_encode(L, i, buf, sizeof(buf));
				if (n > 0 && send(fd, buf, n, 0) == n)
					L->st->sent++;
				s->sent_ns = now;
			}
		}
	}
	close(fd);
	return err;
}

static int tcp_send(struct load *L, __u32 i)
{
	struct stream *s = &L->s[i];
	__u8 buf[2 + PAW_PB_UDP_MAX];
	int n = load_encode(L, i, buf + 2, sizeof(buf) - 2);

	if (n < 0)
		return n;
	buf[0] = n >> 8;
	buf[1] = n & 0xff;
	s->sent_ns = now_ns();
	s->busy = true;
	L->n_busy++;
	L->st->sent++;
	/* One small request per connection at a time: the socket buffer
	 * always has room; a short write is a broken connection. */
	return send(s->fd, buf, n + 2, MSG_NOSIGNAL | MSG_DONTWAIT) == n + 2 ? 0 : -EPIPE;
}

static void tcp_dead(struct load *L, __u32 i, int err)
{
	struct stream *s = &L->s[i];

	pr_debug("TCP stream %u ends: %s\n", i, strerror(-err));
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->done = true;
	if (s->busy) {
		s->busy = false;
		L->n_busy--;
		L->o->ops->done(L->o->ctx, i, &s->job, err, NULL);
	}
}

static int tcp_connect_all(struct load *L, int ep)
{
	struct sockaddr_in6 mb = { .sin6_family = AF_INET6, .sin6_port = htons(PAW_PB_PORT) };
	__u64 end = now_ns() + 10000000000ull;
	__u32 pending = 0;

	inet_pton(AF_INET6, HX_MAINBACKEND, &mb.sin6_addr);
	for (__u32 i = 0; i < L->o->streams; i++) {
		struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = i };
		int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		int one = 1;

		if (fd < 0)
			return -errno;
		L->s[i].fd = fd;
		setsockopt(fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof(one));
		if (connect(fd, (struct sockaddr *)&mb, sizeof(mb)) && errno != EINPROGRESS)
			return -errno;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
			return -errno;
		pending++;
	}
	while (pending && now_ns() < end && !bench_stop) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, 100);

		for (int k = 0; k < n; k++) {
			__u32 i = evs[k].data.u32;
			struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u32 = i };
			int soerr = 0;
			socklen_t sl = sizeof(soerr);

			getsockopt(L->s[i].fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
			if (soerr)
				return -soerr;
			epoll_ctl(ep, EPOLL_CTL_MOD, L->s[i].fd, &ev);
			pending--;
		}
	}
	return pending ? -ETIMEDOUT : 0;
}

static int load_tcp(struct load *L)
{
	const struct hx_load_opts *o = L->o;
	__u64 timeout_ns = (__u64)(o->timeout_ms ? o->timeout_ms : 1000) * 5000000;
	__u64 last_scan = 0, drain_end = 0;
	int ep, err;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return -errno;
	for (__u32 i = 0; i < o->streams; i++) {
		L->s[i].fd = -1;
		L->s[i].in = malloc(2 + PAW_PB_TCP_MAX);
		if (!L->s[i].in) {
			err = -ENOMEM;
			goto out;
		}
	}
	err = tcp_connect_all(L, ep);
	if (err) {
		pr_err("Couldn't open %u TCP connections to the ear: %s\n", o->streams,
		       strerror(-err));
		goto out;
	}
	L->t0 = now_ns();
	load_sample(L, false);
	for (;;) {
		struct epoll_event evs[256];
		__u64 now = now_ns();
		int n;

		if (o->ops->tick)
			o->ops->tick(o->ctx, now - L->t0);
		if (load_end(L, now))
			drain_end = now + (__u64)(o->drain_s * 1e9);
		if (!L->measuring && (L->n_busy == 0 || now >= drain_end || bench_stop))
			break;
		while (L->measuring && L->n_idle) {
			__u32 i = L->idle[--L->n_idle];
			struct stream *s = &L->s[i];

			if (s->done || s->fd < 0 || o->ops->next(o->ctx, i, &s->job)) {
				s->done = true;
				continue;
			}
			if (tcp_send(L, i))
				tcp_dead(L, i, -EPIPE);
		}
		n = epoll_wait(ep, evs, 256, 1);
		for (int k = 0; k < n; k++) {
			__u32 i = evs[k].data.u32;
			struct stream *s = &L->s[i];
			ssize_t r;

			if (s->fd < 0)
				continue;
			r = recv(s->fd, s->in + s->in_len, 2 + PAW_PB_TCP_MAX - s->in_len,
				 MSG_DONTWAIT);
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
				tcp_dead(L, i, -ECONNRESET);
				continue;
			}
			if (r < 0)
				continue;
			s->in_len += r;
			while (s->in_len >= 2) {
				size_t flen = (size_t)s->in[0] << 8 | s->in[1];
				int status;

				if (s->in_len < 2 + flen)
					break;
				status = s->busy ? reply_match(s->in + 2, flen, s->job.type,
							       s->req_id, s->nonce) : -EBADMSG;
				if (status >= 0)
					load_answer(L, i, s->in + 2, flen, status, now_ns());
				memmove(s->in, s->in + 2 + flen, s->in_len - 2 - flen);
				s->in_len -= 2 + flen;
			}
		}
		if (now - last_scan > 10000000) {
			last_scan = now;
			for (__u32 i = 0; i < o->streams; i++)
				if (L->s[i].busy && now > L->s[i].sent_ns + timeout_ns) {
					L->st->timeouts++;
					tcp_dead(L, i, -ETIMEDOUT);
				}
		}
	}
	err = 0;
out:
	for (__u32 i = 0; i < o->streams; i++) {
		if (L->s[i].fd >= 0)
			close(L->s[i].fd);
		free(L->s[i].in);
	}
	close(ep);
	return err;
}

int hx_load_run(struct hx_client *cl, const struct hx_load_opts *o, struct hx_load_stats *st)
{
	struct load *L;
	int err = -ENOMEM;

	memset(st, 0, sizeof(*st));
	if (!o->streams || o->streams > 65535 || (o->tcp && o->streams > TCP_STREAMS_MAX))
		return -EINVAL;
	L = calloc(1, sizeof(*L));
	if (!L)
		return -ENOMEM;
	L->cl = cl;
	L->o = o;
	L->st = st;
	L->s = calloc(o->streams, sizeof(*L->s));
	L->idle = calloc(o->streams, sizeof(*L->idle));
	if (!L->s || !L->idle)
		goto out;
	for (__u32 i = 0; i < o->streams; i++)
		L->idle[L->n_idle++] = o->streams - 1 - i;
	L->measuring = true;
	L->t0 = now_ns();
	load_sample(L, false);
	err = o->tcp ? load_tcp(L) : load_udp(L);
	if (!L->t_end) {
		L->t_end = now_ns();
		load_sample(L, true);
	}
	st->seconds = (L->t_end - L->t0) / 1e9;
	st->gen_cpu_ns = L->cpu1 - L->cpu0;
	st->watch_cpu_ns = L->w1 - L->w0;
	st->syncs = L->s1 - L->s0;
	for (int k = 0; k < 2; k++) {
		int c = o->cpus[k];
		__u64 busy, all;

		if (c < 0 || c >= BENCH_MAX_CPUS)
			continue;
		busy = L->ct1[c].busy - L->ct0[c].busy;
		all = busy + L->ct1[c].idle - L->ct0[c].idle;
		st->cpu_busy[k] = all ? (double)busy / all : 0;
	}
out:
	free(L->s);
	free(L->idle);
	free(L);
	return err;
}
