// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pawd, the Operator. Start: read the whole config (a bad one stops here,
 * nothing touched), open the data server, load or re-use the pinned
 * Switchboard, set up and attach the ports, reconcile the maps with the
 * data server without a flush, then listen. Run: one epoll loop. Stop:
 * close the sockets and leave the pinned datapath forwarding (fail-secure:
 * established calls keep flowing, nothing new is admitted) unless asked to
 * detach.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <sodium.h>

#include "pawd.h"
#include "cleanup.h"
#include "log.h"
#include "util.h"

#define REPLAY_MAX_PER_CLIENT 4096
/* Events taken per loop iteration: TCP connections with a request each
 * share a batch (and its commit) up to this many. */
#define LOOP_EVENTS 256

/* ---- epoll ---- */

int pawd_watch_add(struct pawd *d, struct pawd_watch *w, __u32 events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, w->fd, &ev) ? -errno : 0;
}

int pawd_watch_mod(struct pawd *d, struct pawd_watch *w, __u32 events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(d->epfd, EPOLL_CTL_MOD, w->fd, &ev) ? -errno : 0;
}

void pawd_watch_del(struct pawd *d, struct pawd_watch *w)
{
	if (w->fd >= 0)
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

/* ---- the Switchboard's runtime config and drop events ---- */

static int apply_datapath_config(struct pawd *d)
{
	struct paw_config c = { 0 };
	int err;

	c.ear_port = htons(d->cfg.ear_port);
	c.flags = (d->cfg.ear_udp ? PAW_CFG_F_EAR_UDP : 0) | (d->cfg.ear_tcp ? PAW_CFG_F_EAR_TCP : 0) |
		  (d->n_drop_monitors ? PAW_CFG_F_MONITOR : 0);
	c.default_policy = d->cfg.default_policy;
	err = paw_sb_config_set(d->sb, &c);
	if (err)
		return err;
	return 0;
}

struct backends {
	struct pawd *d;
	struct in6_addr stale[PAW_MAX_BACKENDS];
	int n;
};

static int backend_fn(const struct in6_addr *a, void *ctx)
{
	struct backends *b = ctx;

	for (int i = 0; i < b->d->cfg.n_ear_addrs; i++)
		if (!memcmp(a, &b->d->cfg.ear_addrs[i], sizeof(*a)))
			return 0;
	if (b->n < PAW_MAX_BACKENDS)
		b->stale[b->n++] = *a;
	return 0;
}

/* paw_backends holds exactly the configured MainBackend addresses. */
static int sync_backends(struct pawd *d)
{
	struct backends b = { .d = d };
	int err;

	for (int i = 0; i < d->cfg.n_ear_addrs; i++) {
		err = paw_sb_backend_add(d->sb, &d->cfg.ear_addrs[i]);
		if (err)
			return err;
	}
	paw_sb_backend_foreach(d->sb, backend_fn, &b);
	for (int i = 0; i < b.n; i++)
		paw_sb_backend_del(d->sb, &b.stale[i]);
	return 0;
}

void pawd_monitor_drops(struct pawd *d, bool on)
{
	struct paw_config c;

	if (paw_sb_config_get(d->sb, &c))
		return;
	if (on)
		c.flags |= PAW_CFG_F_MONITOR;
	else
		c.flags &= ~PAW_CFG_F_MONITOR;
	paw_sb_config_set(d->sb, &c);
}

static int on_drop_event(void *ctx, void *data, size_t len)
{
	struct pawd *d = ctx;
	const struct paw_event *e = data;
	struct pawd_port *p;
	char src[INET6_ADDRSTRLEN] = "", dst[INET6_ADDRSTRLEN] = "";
	json_t *ev;

	if (len < sizeof(*e))
		return 0;
	p = ports_find_ifindex(d, e->ifindex);
	ev = json_pack("{s:s, s:I, s:s, s:s, s:I, s:i, s:I}", "event", "drop", "ts_ms",
		       (json_int_t)paw_now_ms(), "reason", paw_reason_name(e->reason), "port",
		       p ? p->name : "?", "ifindex", (json_int_t)e->ifindex, "family", e->family,
		       "len", (json_int_t)e->len);
	if (!ev)
		return 0;
	if (e->family == 4 || e->family == 6) {
		int af = e->family == 4 ? AF_INET : AF_INET6;

		inet_ntop(af, e->src, src, sizeof(src));
		inet_ntop(af, e->dst, dst, sizeof(dst));
		json_object_set_new(ev, "src", json_string(src));
		json_object_set_new(ev, "dst", json_string(dst));
		json_object_set_new(ev, "proto", json_integer(e->l4proto));
		if (e->l4proto == 6 || e->l4proto == 17) {
			json_object_set_new(ev, "sport", json_integer(ntohs(e->sport)));
			json_object_set_new(ev, "dport", json_integer(ntohs(e->dport)));
		}
	} else {
		char et[8];

		snprintf(et, sizeof(et), "0x%04x", ntohs(e->ethertype));
		json_object_set_new(ev, "ethertype", json_string(et));
	}
	control_event(d, "drops", ev);
	return 0;
}

static void events_cb(struct pawd *d, struct pawd_watch *w, __u32 events)
{
	(void)w;
	(void)events;
	ring_buffer__consume(d->events);
}

static void timer_cb(struct pawd *d, struct pawd_watch *w, __u32 events)
{
	__u64 expirations;

	(void)events;
	if (read(w->fd, &expirations, sizeof(expirations)) < 0)
		return;
	ear_tick(d, paw_mono_ms());
}

/* ---- signals ---- */

static bool want_reload;

static void signal_cb(struct pawd *d, struct pawd_watch *w, __u32 events)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(w->fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			d->stopping = true;
			break;
		case SIGHUP:
			want_reload = true;
			break;
		}
	}
}

static void reload(struct pawd *d)
{
	struct paw_cfg *cfg = malloc(sizeof(*cfg)), *old = malloc(sizeof(*old));
	char err[512];

	if (!cfg || !old)
		goto out;
	pawd_notify("RELOADING=1");
	if (paw_cfg_load(d->cfg_path, cfg, err, sizeof(err))) {
		pr_err("reload failed, keeping the running configuration: %s", err);
		goto out;
	}
	if (strcmp(cfg->store_path, d->cfg.store_path) || strcmp(cfg->pin_dir, d->cfg.pin_dir) ||
	    strcmp(cfg->ctl_socket, d->cfg.ctl_socket) || cfg->max_calls != d->cfg.max_calls ||
	    cfg->max_clients != d->cfg.max_clients)
		pr_warn("store, pin_dir, control socket and map sizes change only at restart");
	/* What only a restart changes stays as it runs. */
	memcpy(cfg->store_path, d->cfg.store_path, sizeof(cfg->store_path));
	memcpy(cfg->pin_dir, d->cfg.pin_dir, sizeof(cfg->pin_dir));
	memcpy(cfg->ctl_socket, d->cfg.ctl_socket, sizeof(cfg->ctl_socket));
	cfg->max_calls = d->cfg.max_calls;
	cfg->max_clients = d->cfg.max_clients;
	*old = d->cfg;
	d->cfg = *cfg;
	paw_log_set_level(d->cfg.log_level);
	if (apply_datapath_config(d) || sync_backends(d))
		pr_err("Couldn't update the Switchboard's configuration");
	if (ear_reload(d, old))
		pr_err("Couldn't listen with the new ear configuration");
	ports_reload(d);
	op_reconcile(d);
	pr_info("configuration reloaded from %s", d->cfg_path);
out:
	pawd_notify("READY=1");
	free(cfg);
	free(old);
}

/* ---- start and stop ---- */

static struct pawd_watch sig_watch = { .fn = signal_cb };
static struct pawd_watch timer_watch = { .fn = timer_cb };
static struct pawd_watch events_watch = { .fn = events_cb };

static int write_pidfile(const char *path)
{
	char buf[32];
	int fd, n;

	if (!path[0])
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (write(fd, buf, n) != n) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

static int start(struct pawd *d)
{
	char errbuf[512] = "", serr[512] = "";
	struct paw_store_opts so = { .path = d->cfg.store_path, .create = true,
				     .errbuf = serr, .errlen = sizeof(serr) };
	struct paw_sb_opts sbo = { .pin_dir = d->cfg.pin_dir, .max_calls = d->cfg.max_calls,
				   .max_clients = d->cfg.max_clients, .errbuf = errbuf,
				   .errlen = sizeof(errbuf) };
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	sigset_t mask;
	int err;

	d->start_ms = paw_now_ms();
	d->start_mono = paw_mono_ms();
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0)
		return -errno;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->sigfd < 0 || d->timerfd < 0)
		return -errno;
	timerfd_settime(d->timerfd, 0, &its, NULL);
	sig_watch.fd = d->sigfd;
	timer_watch.fd = d->timerfd;
	if ((err = pawd_watch_add(d, &sig_watch, EPOLLIN)) ||
	    (err = pawd_watch_add(d, &timer_watch, EPOLLIN)))
		return err;

	if (strcmp(d->cfg.store_backend, "sqlite")) {
		pr_err("data server backend '%s' is not built in", d->cfg.store_backend);
		return -ENOTSUP;
	}
	err = paw_store_open(&d->store, &so);
	if (err) {
		pr_err("Couldn't open the data server '%s': %s", d->cfg.store_path,
		       serr[0] ? serr : strerror(-err));
		return err;
	}
	err = paw_sb_open(&d->sb, &sbo);
	if (err) {
		pr_err("Couldn't load the Switchboard: %s", errbuf[0] ? errbuf : strerror(-err));
		return err;
	}
	pr_info("Switchboard %s (pins in %s, %u calls, %u clients, %u counter slots)",
		paw_sb_reused(d->sb) ? "re-used: forwarding went on" : "loaded",
		paw_sb_pin_dir(d->sb), paw_sb_max_calls(d->sb), paw_sb_max_clients(d->sb),
		paw_sb_ctr_slots(d->sb));
	if ((err = apply_datapath_config(d)) || (err = sync_backends(d))) {
		pr_err("Couldn't configure the Switchboard: %s", strerror(-err));
		return err;
	}
	err = paw_nl_open(&d->nl);
	if (err) {
		pr_err("Couldn't open rtnetlink: %s", strerror(-err));
		return err;
	}
	d->replay = paw_pb_replay_new((__u64)d->cfg.ear_replay_window_s * 1000,
				      REPLAY_MAX_PER_CLIENT, d->start_ms);
	if (!d->replay)
		return -ENOMEM;
	/* Listen for link events before looking at the ports: none is missed. */
	err = ports_watch(d);
	if (err) {
		pr_err("Couldn't watch link events: %s", strerror(-err));
		return err;
	}
	err = ports_start(d);
	if (err)
		return err;
	err = op_reconcile(d);
	if (err)
		pr_warn("reconciling the Switchboard with the data server: %s", strerror(-err));

	d->events = ring_buffer__new(paw_sb_map_fd(d->sb, PAW_MAP_EVENTS), on_drop_event, d, NULL);
	if (!d->events)
		return -errno;
	events_watch.fd = ring_buffer__epoll_fd(d->events);
	if ((err = pawd_watch_add(d, &events_watch, EPOLLIN)))
		return err;

	if ((err = ear_start(d)) || (err = control_start(d)))
		return err;
	err = write_pidfile(d->cfg.pidfile);
	if (err)
		pr_warn("Couldn't write the pidfile '%s': %s", d->cfg.pidfile, strerror(-err));
	return 0;
}

static void stop(struct pawd *d)
{
	pawd_notify("STOPPING=1");
	ear_free(d);
	control_stop(d);
	ring_buffer__free(d->events);
	if (d->sb && d->n_drop_monitors)
		pawd_monitor_drops(d, false);
	paw_sb_close(d->sb);
	d->sb = NULL;
	if (d->detach_on_exit) {
		int err = paw_sb_unpin(d->cfg.pin_dir);

		if (err)
			pr_err("Couldn't detach the Switchboard: %s", strerror(-err));
		else
			pr_info("Switchboard detached from every port and unpinned");
	} else {
		pr_info("stopping: the Switchboard keeps forwarding established calls");
	}
	paw_store_close(d->store);
	paw_nl_monitor_close(d->linkmon);
	paw_nl_close(d->nl);
	paw_pb_replay_free(d->replay);
	free(d->undo);
	if (d->cfg.pidfile[0])
		unlink(d->cfg.pidfile);
	if (d->timerfd > 0)
		close(d->timerfd);
	if (d->sigfd > 0)
		close(d->sigfd);
	if (d->epfd > 0)
		close(d->epfd);
}

static void run(struct pawd *d)
{
	struct epoll_event evs[LOOP_EVENTS], deferred[LOOP_EVENTS];

	while (!d->stopping) {
		int n = epoll_wait(d->epfd, evs, LOOP_EVENTS, -1), nd = 0, err;

		if (n < 0 && errno != EINTR) {
			pr_err("epoll_wait: %s", strerror(errno));
			break;
		}
		/* Datapath and ear first, as one batch; then its commit and
		 * its replies; then admin commands, each on its own. */
		for (int i = 0; i < n; i++) {
			struct pawd_watch *w = evs[i].data.ptr;

			if (w->deferred)
				deferred[nd++] = evs[i];
			else
				w->fn(d, w, evs[i].events);
		}
		err = pawd_batch_end(d);
		ear_flush(d, err);
		for (int i = 0; i < nd; i++) {
			struct pawd_watch *w = deferred[i].data.ptr;

			w->fn(d, w, deferred[i].events);
		}
		control_flush(d);
		op_tick(d, paw_now_ms());
		if (want_reload) {
			want_reload = false;
			reload(d);
		}
	}
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: pawd [-c FILE] [-f] [--detach] [-v] [--check-config]\n"
		"       pawd [-c FILE] --unpin\n"
		"       pawd -V\n"
		"\n"
		"The Operator: answers Paw clients over IPv6 and programs the Switchboard.\n"
		"\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"  -f, --foreground    stay in the foreground (default: daemonize once ready)\n"
		"      --detach        on exit, detach the Switchboard from every port and unpin it\n"
		"                      (default: leave it forwarding established calls)\n"
		"      --unpin         detach and unpin a Switchboard left by an earlier pawd, then exit\n"
		"      --check-config  parse the configuration, report, exit\n"
		"  -v, --verbose       debug logging\n"
		"  -V, --version       print the version\n"
		"\n"
		"Signals: HUP reloads the configuration, TERM and INT stop.\n",
		PAW_CFG_DEFAULT_PATH);
}

/* Fork into the background; the parent exits once the daemon is ready
 * (status 0) or has failed (its status), so `pawd && pawctl ...` works. */
static int daemonize(int *ready_fd)
{
	int p[2];
	pid_t pid;
	char st = 1;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &st, 1) != 1)
			st = 1;
		_exit(st);
	}
	close(p[0]);
	setsid();
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	if (chdir("/"))
		_exit(1);
	{
		int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
	}
	*ready_fd = p[1];
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "detach", no_argument, NULL, 'D' },
		{ "unpin", no_argument, NULL, 'U' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static struct pawd d;
	bool check = false, unpin = false, verbose = false;
	const char *path = PAW_CFG_DEFAULT_PATH;
	char err[512];
	int c, ready_fd = -1, rc;

	while ((c = getopt_long(argc, argv, "c:fvVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			d.foreground = true;
			break;
		case 'D':
			d.detach_on_exit = true;
			break;
		case 'U':
			unpin = true;
			break;
		case 'C':
			check = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'V':
			printf("pawd %s (Postbox protocol %d, Switchboard ABI %d)\n", PAWD_VERSION,
			       PAW_PB_VERSION, PAW_ABI_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	paw_log_init("pawd", verbose ? PAW_LOG_DEBUG : PAW_LOG_INFO, false);
	if (sodium_init() < 0) {
		pr_err("libsodium failed to initialise");
		return 1;
	}
	snprintf(d.cfg_path, sizeof(d.cfg_path), "%s", path);
	if (paw_cfg_load(path, &d.cfg, err, sizeof(err))) {
		fprintf(stderr, "pawd: %s\n", err);
		return 1;
	}
	if (check) {
		printf("pawd: %s: configuration is valid\n", path);
		return 0;
	}
	if (unpin) {
		rc = paw_sb_unpin(d.cfg.pin_dir);
		if (rc) {
			pr_err("Couldn't unpin '%s': %s", d.cfg.pin_dir, strerror(-rc));
			return 1;
		}
		pr_info("Switchboard in %s detached and unpinned", d.cfg.pin_dir);
		return 0;
	}
	if (d.cfg.detach_on_exit)
		d.detach_on_exit = true;
	if (!verbose)
		paw_log_set_level(d.cfg.log_level);
	paw_log_libbpf();
	if (!d.foreground) {
		/* Nobody reads stderr once detached. */
		paw_log_init("pawd", paw_log_level(), true);
		if (daemonize(&ready_fd)) {
			pr_err("Couldn't daemonize: %s", strerror(errno));
			return 1;
		}
	} else if (d.cfg.log_syslog) {
		paw_log_init("pawd", paw_log_level(), true);
	}

	rc = start(&d);
	if (rc) {
		pr_err("not started: %s", strerror(-rc));
		stop(&d);
		return 1;
	}
	pr_info("pawd %s ready: MainBackend %s, port %u, %d port%s, policy %s", PAWD_VERSION,
		d.cfg.ear_name, d.cfg.ear_port, d.n_ports, d.n_ports == 1 ? "" : "s",
		d.cfg.default_policy == PAW_POLICY_DROP ? "drop" : "pass");
	pawd_notify("READY=1");
	if (ready_fd >= 0) {
		char ok = 0;

		if (write(ready_fd, &ok, 1) != 1)
			pr_warn("Couldn't tell the parent we are ready");
		close(ready_fd);
	}
	run(&d);
	stop(&d);
	return 0;
}
