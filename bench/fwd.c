// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paw-bench-fwd: end-to-end forwarding rate through three namespaces,
 *
 *   [gen] g0 <-veth-> s0 [sw] s1 <-veth-> r0 [rx]      and  [gen] g1 <-> r1 [rx]
 *
 * 64-byte UDP/IPv4 frames, one flow or many (round robin over calls).
 * The generator is pwb_gen run by BPF_PROG_TEST_RUN in live frames mode:
 * each frame it stamps is transmitted (XDP_TX) out of g0 into s0, where
 * the configuration under test forwards it to s1; r0 counts and drops it
 * in native XDP. g1 -> r1 is the same without a forwarder.
 *
 * Placement (--placement):
 *   one  every stage on the generator's CPU: the veths' NAPI polls run in
 *        the generator thread's softirq, one frame's stages one after the
 *        other. The thread's CPU time per frame is then the cost of the
 *        whole path, and a configuration's cost minus the no-forwarder
 *        run's is exactly what the forwarder adds. The other CPU is left
 *        to whoever else uses the machine.
 *   two  s0's NAPI threaded and pinned to a second CPU, the receiver
 *        running in its softirq: the forwarder gets a CPU of its own, and
 *        pays for every frame crossing between CPUs.
 *
 * Output: a table on stdout; -o FILE every run as TSV; --md, --dat for
 * docs/benchmarks.md and gnuplot.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "paw/switchboard.h"
#include "log.h"
#include "common.h"
#include "bench_abi.h"
#include "xdp_bench.skel.h"

enum cfg_id {
	CFG_DIRECT,
	CFG_KERNEL,
	CFG_BRIDGE,
	CFG_PAW,
	CFG_PAW_GENERIC,
	CFG_REDIRECT,
	CFG_FWD1,
	CFG_FWD2,
	CFG_MAX,
};

static const struct {
	const char *key;	/* for -c and the TSV */
	const char *label;
	int ttl;		/* what the receiver must see */
} cfgs[CFG_MAX] = {
	[CFG_DIRECT]		= { "gen-recv",	"generator -> receiver, no forwarder", 64 },
	[CFG_KERNEL]		= { "a",	"(a) Linux IP forwarding", 63 },
	[CFG_BRIDGE]		= { "b",	"(b) Linux bridge", 64 },
	[CFG_PAW]		= { "c",	"(c) Paw, native XDP", 63 },
	[CFG_PAW_GENERIC]	= { "d",	"(d) Paw, generic XDP", 63 },
	[CFG_REDIRECT]		= { "e",	"(e) devmap redirect only", 64 },
	[CFG_FWD1]		= { "f",	"(f) XDP, one hash lookup", 63 },
	[CFG_FWD2]		= { "g",	"(g) XDP, 2 lookups + atomics", 63 },
};

enum { N_GEN, N_SW, N_RX, N_MAX };
enum { D_G0, D_S0, D_S1, D_R0, D_G1, D_R1, D_MAX };

static const char *const ns_role[N_MAX] = { "gen", "sw", "rx" };
static const struct {
	const char *suffix;
	int ns;
	__u8 mac[6];
} dev_desc[D_MAX] = {
	[D_G0] = { "g0", N_GEN, { 0x02, 0x50, 0, 0, 0x00, 0x01 } },
	[D_S0] = { "s0", N_SW,  { 0x02, 0x50, 0, 0, 0x01, 0x01 } },
	[D_S1] = { "s1", N_SW,  { 0x02, 0x50, 0, 0, 0x01, 0x02 } },
	[D_R0] = { "r0", N_RX,  { 0x02, 0x50, 0, 0, 0x02, 0x01 } },
	[D_G1] = { "g1", N_GEN, { 0x02, 0x50, 0, 0, 0x00, 0x02 } },
	[D_R1] = { "r1", N_RX,  { 0x02, 0x50, 0, 0, 0x02, 0x02 } },
};

#define SRC_BASE	0x0a010001	/* 10.1.0.1: flow i from 10.1.0.1 + i */
#define DST_BASE	0x0a020001	/* 10.2.0.1: ... to 10.2.0.1 + i */
#define MAX_FLOWS	4096
#define MAX_RUNS	1024
#define MAX_TIDS	8

enum { PLACE_ONE, PLACE_TWO };

struct opts {
	int reps;
	double warmup_s, dur_s;
	int flows[4], nflows;
	bool want[CFG_MAX];
	int place;
	int gen_cpu, fwd_cpu;
	__u32 batch;
	bool smoke;
	const char *tsv, *md, *dat;
};

static struct {
	int tag;
	char ns[N_MAX][40];
	char in[N_MAX][64];	/* "nsenter --net=/proc/PID/fd/FD": runs a command there */
	bool ns_made[N_MAX];
	int nsfd[N_MAX];
	int orig_fd;
	char dev[D_MAX][16];
	__u32 ifindex[D_MAX];
	char bridge[16];
	struct paw_sb *sb;
	struct xdp_bench_bpf *skel;
	int recv_link[2];
	int fwd_link;
	bool paw_attached;
	int ncpus;
} W = { .orig_fd = -1, .recv_link = { -1, -1 }, .fwd_link = -1 };

struct snap {
	__u64 t;
	struct pwb_rx rx;
	__u64 sent;
	struct cpu_times cpu[BENCH_MAX_CPUS];
	__u64 rt_gen, rt_fwd;	/* CPU time of each side's threads, ns */
};

struct result {
	int cfg, flows, rep;
	double pps, offered;
	double ok;		/* share of frames with the expected TTL */
	double busy_gen, busy_fwd, steal;	/* % of each CPU */
	double gen_ns;		/* one: whole path per frame; two: generator per frame sent */
	double fwd_ns;		/* two: forwarding CPU per frame forwarded */
};

static struct result runs[MAX_RUNS];
static int nruns;

/* ---- topology ---- */

static int enter(int ns)
{
	int err = ns_enter(ns < 0 ? W.orig_fd : W.nsfd[ns]);

	if (err)
		pr_err("Couldn't enter namespace %s: %s\n",
		       ns < 0 ? "(original)" : W.ns[ns], strerror(-err));
	return err;
}

static void topology_down(void)
{
	if (W.orig_fd >= 0)
		ns_enter(W.orig_fd);
	for (int i = 0; i < N_MAX; i++) {
		if (W.nsfd[i] > 0)
			close(W.nsfd[i]);
		W.nsfd[i] = -1;
		if (W.ns_made[i])
			sh_opt("ip netns del %s 2>/dev/null", W.ns[i]);
		W.ns_made[i] = false;
	}
}

static int threaded_napi(int d)
{
	/* A sysfs of the namespace's own, in a mount namespace of its own,
	 * as `ip netns exec` does. */
	return sh("%s unshare -m sh -c 'mount -t sysfs sysfs /sys && "
		  "echo 1 > /sys/class/net/%s/threaded'", W.in[dev_desc[d].ns], W.dev[d]);
}

static const char *mac_str(int d, char *buf)
{
	const __u8 *m = dev_desc[d].mac;

	sprintf(buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

static int veth(int a, int b)
{
	char ma[18], mb[18];

	return sh("%s ip link add %s address %s type veth peer name %s netns /proc/%d/fd/%d "
		  "address %s", W.in[dev_desc[a].ns], W.dev[a], mac_str(a, ma), W.dev[b],
		  (int)getpid(), W.nsfd[dev_desc[b].ns], mac_str(b, mb));
}

static int topology_up(void)
{
	W.tag = getpid() % 10000;
	bench_sweep_stale();
	for (int i = 0; i < N_MAX; i++) {
		snprintf(W.ns[i], sizeof(W.ns[i]), "paw-bench-%s-%d", ns_role[i], getpid());
		W.nsfd[i] = -1;
	}
	/* Short and unique: NAPI thread names ("napi/pb1234s0-N") must
	 * tell our devices apart within 15 characters. */
	for (int d = 0; d < D_MAX; d++)
		snprintf(W.dev[d], sizeof(W.dev[d]), "pb%d%s", W.tag, dev_desc[d].suffix);
	snprintf(W.bridge, sizeof(W.bridge), "pb%dbr", W.tag);

	for (int i = 0; i < N_MAX; i++) {
		if (sh("ip netns add %s", W.ns[i]))
			return -1;
		W.ns_made[i] = true;
		W.nsfd[i] = ns_open(W.ns[i]);
		if (W.nsfd[i] < 0)
			return -1;
		/* From here on, every command reaches the namespace through
		 * our fd, not its name: on a shared machine somebody else's
		 * clean-up may remove the name, never the namespace we hold. */
		snprintf(W.in[i], sizeof(W.in[i]), "nsenter --net=/proc/%d/fd/%d",
			 (int)getpid(), W.nsfd[i]);
		if (sh("%s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
		       "net.ipv6.conf.default.disable_ipv6=1 && %s ip link set lo up",
		       W.in[i], W.in[i]))
			return -1;
	}
	if (veth(D_G0, D_S0) || veth(D_S1, D_R0) || veth(D_G1, D_R1))
		return -1;
	for (int d = 0; d < D_MAX; d++)
		if (sh("%s ip link set %s up", W.in[dev_desc[d].ns], W.dev[d]))
			return -1;
	/* s0 takes the generator's xdp_frames: a veth needs NAPI for that,
	 * which native XDP brings, and GRO for the configurations without
	 * it (the kernel's own paths, generic XDP). GRO stays on throughout,
	 * as it is on a real NIC. */
	if (sh("%s ethtool -K %s gro on >/dev/null", W.in[N_SW], W.dev[D_S0]))
		return -1;
	for (int d = 0; d < D_MAX; d++) {
		if (enter(dev_desc[d].ns))
			return -1;
		W.ifindex[d] = if_nametoindex(W.dev[d]);
		if (!W.ifindex[d]) {
			pr_err("Couldn't find '%s': %s\n", W.dev[d], strerror(errno));
			return -1;
		}
	}
	return enter(-1);
}

/* ---- programs and maps ---- */

static int link_xdp(int prog_fd, int d)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = XDP_FLAGS_DRV_MODE);
	int fd;

	if (enter(dev_desc[d].ns))
		return -1;
	fd = bpf_link_create(prog_fd, W.ifindex[d], BPF_XDP, &lo);
	if (fd < 0)
		pr_err("Couldn't attach on '%s': %s\n", W.dev[d], strerror(errno));
	enter(-1);
	return fd;
}

static int devmap_set(int map_fd, __u32 key, int d)
{
	struct bpf_devmap_val v = { .ifindex = W.ifindex[d] };
	int err = 0;

	/* The devmap resolves the ifindex in the caller's namespace. */
	if (enter(dev_desc[d].ns))
		return -1;
	if (bpf_map_update_elem(map_fd, &key, &v, BPF_ANY)) {
		err = -errno;
		pr_err("Couldn't add '%s' to a devmap: %s\n", W.dev[d], strerror(-err));
	}
	enter(-1);
	return err;
}

static int paw_setup(int nflows, __u32 max_calls, __u32 max_clients)
{
	struct paw_sb_opts o = { .pin_dir = "", .max_calls = max_calls,
				 .max_clients = max_clients };
	struct paw_client c = { .flags = PAW_CLIENT_F_MAC_KNOWN };
	char why[256] = "";
	int err;

	o.errbuf = why;
	o.errlen = sizeof(why);
	err = paw_sb_open(&W.sb, &o);
	if (err) {
		pr_err("Couldn't load the Switchboard: %s\n", why[0] ? why : strerror(-err));
		return err;
	}
	if (enter(N_SW))
		return -1;
	err = paw_sb_port_add(W.sb, W.ifindex[D_S0], dev_desc[D_S0].mac, 1500);
	if (!err)
		err = paw_sb_port_add(W.sb, W.ifindex[D_S1], dev_desc[D_S1].mac, 1500);
	enter(-1);
	if (err) {
		pr_err("Couldn't add the ports: %s\n", strerror(-err));
		return err;
	}
	for (int i = 0; i < nflows && !err; i++) {
		__be32 s = htonl(SRC_BASE + i), d = htonl(DST_BASE + i);

		c.ifindex = W.ifindex[D_S0];
		memcpy(c.mac, dev_desc[D_G0].mac, 6);
		err = paw_sb_client_set(W.sb, s, &c);
		c.ifindex = W.ifindex[D_S1];
		memcpy(c.mac, dev_desc[D_R0].mac, 6);
		if (!err)
			err = paw_sb_client_set(W.sb, d, &c);
		if (!err)
			err = paw_sb_call_add(W.sb, s, d, i + 1);
	}
	if (err)
		pr_err("Couldn't program the calls: %s\n", strerror(-err));
	return err;
}

static int skel_setup(int nflows, __u32 max_calls, __u32 max_clients, int place)
{
	struct xdp_bench_bpf *sk;
	int err;

	sk = W.skel = xdp_bench_bpf__open();
	if (!sk) {
		pr_err("Couldn't open the bench programs: %s\n", strerror(errno));
		return -1;
	}
	bpf_map__set_max_entries(sk->maps.pwb_fwd1, max_calls);
	bpf_map__set_max_entries(sk->maps.pwb_call2, max_calls);
	bpf_map__set_max_entries(sk->maps.pwb_cli2, max_clients);
	err = xdp_bench_bpf__load(sk);
	if (err) {
		pr_err("Couldn't load the bench programs: %s\n", strerror(-err));
		return err;
	}
	if (devmap_set(bpf_map__fd(sk->maps.pwb_tx), 0, D_S1) ||
	    devmap_set(bpf_map__fd(sk->maps.pwb_txh), W.ifindex[D_S1], D_S1))
		return -1;
	for (int i = 0; i < nflows; i++) {
		struct paw_call_key k = { htonl(SRC_BASE + i), htonl(DST_BASE + i) };
		struct pwb_call2_val v2 = { .fwd.ifindex = W.ifindex[D_S1] };
		__u32 port = W.ifindex[D_S0];

		memcpy(v2.fwd.dst_mac, dev_desc[D_R0].mac, 6);
		memcpy(v2.fwd.src_mac, dev_desc[D_S1].mac, 6);
		if (bpf_map_update_elem(bpf_map__fd(sk->maps.pwb_fwd1), &k, &v2.fwd, BPF_ANY) ||
		    bpf_map_update_elem(bpf_map__fd(sk->maps.pwb_call2), &k, &v2, BPF_ANY) ||
		    bpf_map_update_elem(bpf_map__fd(sk->maps.pwb_cli2), &k.src, &port, BPF_ANY)) {
			pr_err("Couldn't fill the reference maps: %s\n", strerror(errno));
			return -1;
		}
	}
	/* The receivers, native, for good: a veth delivers native redirects
	 * only to a peer running XDP. */
	W.recv_link[0] = link_xdp(bpf_program__fd(sk->progs.pwb_recv), D_R0);
	W.recv_link[1] = link_xdp(bpf_program__fd(sk->progs.pwb_recv), D_R1);
	if (W.recv_link[0] < 0 || W.recv_link[1] < 0)
		return -1;
	/* Threaded NAPI only for the forwarder, and only when it gets a CPU
	 * of its own; the receivers always poll in their sender's softirq. */
	if (place == PLACE_TWO && threaded_napi(D_S0))
		return -1;
	return 0;
}

/* ---- configurations ---- */

static int configure(int cfg)
{
	const char *sw = W.in[N_SW], *s0 = W.dev[D_S0], *s1 = W.dev[D_S1];
	enum paw_xdp_mode used;
	char r0mac[18];
	int err = 0, prog = -1;

	mac_str(D_R0, r0mac);
	switch (cfg) {
	case CFG_DIRECT:
		return 0;
	case CFG_KERNEL:
		return sh("%s ip addr add 10.1.255.254/16 dev %s && "
			  "%s ip addr add 10.3.0.1/24 dev %s && "
			  "%s ip route add 10.2.0.0/16 via 10.3.0.2 dev %s && "
			  "%s ip neigh replace 10.3.0.2 lladdr %s dev %s nud permanent && "
			  "%s sysctl -qw net.ipv4.ip_forward=1 "
			  "net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 "
			  "net.ipv4.conf.%s.rp_filter=0",
			  sw, s0, sw, s1, sw, s1, sw, r0mac, s1, sw, s0);
	case CFG_BRIDGE:
		err = sh("%s ip link add %s type bridge stp_state 0 forward_delay 0 "
			 "mcast_snooping 0 && %s ip link set %s master %s && "
			 "%s ip link set %s master %s && %s ip link set %s up && "
			 "%s bridge fdb replace %s dev %s master static",
			 sw, W.bridge, sw, s0, W.bridge, sw, s1, W.bridge, sw, W.bridge,
			 sw, r0mac, s1);
		/* Only where br_netfilter is loaded. */
		sh_opt("%s sysctl -qw net.bridge.bridge-nf-call-iptables=0 "
		       ">/dev/null 2>&1", sw);
		return err;
	case CFG_PAW:
	case CFG_PAW_GENERIC: {
		enum paw_xdp_mode mode = cfg == CFG_PAW ? PAW_XDP_NATIVE : PAW_XDP_GENERIC;

		if (enter(N_SW))
			return -1;
		err = paw_sb_attach(W.sb, W.ifindex[D_S0], mode, &used);
		if (!err && used != mode)
			err = -EOPNOTSUPP;
		if (!err)
			err = paw_sb_attach(W.sb, W.ifindex[D_S1], mode, &used);
		enter(-1);
		if (err) {
			pr_err("Couldn't attach the Switchboard: %s\n", strerror(-err));
			return err;
		}
		W.paw_attached = true;
		return 0;
	}
	case CFG_REDIRECT:
		prog = bpf_program__fd(W.skel->progs.pwb_redir);
		break;
	case CFG_FWD1:
		prog = bpf_program__fd(W.skel->progs.pwb_fwd1_prog);
		break;
	case CFG_FWD2:
		prog = bpf_program__fd(W.skel->progs.pwb_fwd2_prog);
		break;
	}
	W.fwd_link = link_xdp(prog, D_S0);
	return W.fwd_link < 0 ? -1 : 0;
}

static void unconfigure(int cfg)
{
	const char *sw = W.in[N_SW];

	switch (cfg) {
	case CFG_KERNEL:
		sh_opt("%s sysctl -qw net.ipv4.ip_forward=0; "
		       "%s ip addr flush dev %s; %s ip addr flush dev %s; "
		       "%s ip neigh flush dev %s", sw, sw, W.dev[D_S0], sw, W.dev[D_S1],
		       sw, W.dev[D_S1]);
		break;
	case CFG_BRIDGE:
		sh_opt("%s ip link del %s", sw, W.bridge);
		break;
	case CFG_PAW:
	case CFG_PAW_GENERIC:
		if (W.paw_attached) {
			paw_sb_detach(W.sb, W.ifindex[D_S0]);
			paw_sb_detach(W.sb, W.ifindex[D_S1]);
			W.paw_attached = false;
		}
		break;
	default:
		if (W.fwd_link >= 0)
			close(W.fwd_link);
		W.fwd_link = -1;
		break;
	}
}

/* ---- the generator ---- */

struct gen {
	pthread_t th;
	int prog_fd, nsfd, cpu;
	__u32 ifindex, batch;
	__u8 frame[PWB_FRAME_LEN];
	volatile int stop;
	volatile pid_t tid;
	int err;
	__u64 deadline;
};

static void *gen_main(void *arg)
{
	struct gen *g = arg;
	struct xdp_md md = { .data_end = PWB_FRAME_LEN, .ingress_ifindex = g->ifindex };
	sigset_t all;
	int err;

	sigfillset(&all);
	sigdelset(&all, SIGUSR1);	/* the main thread's last resort */
	pthread_sigmask(SIG_SETMASK, &all, NULL);
	err = pin_task(0, g->cpu);
	if (!err)
		err = ns_enter(g->nsfd);
	g->tid = (pid_t)syscall(SYS_gettid);
	if (err) {
		g->err = err;
		return NULL;
	}
	/* One long BPF_PROG_TEST_RUN covers the whole run: each call sets up
	 * and tears down a page pool, which costs the generator an RCU grace
	 * period. The main thread ends it with SIGUSR1 (EINTR); the repeat
	 * count alone ends it by the deadline at up to 20 Mpps. */
	for (;;) {
		__u64 now = now_ns(), left;

		if (g->stop || bench_stop || now >= g->deadline)
			break;
		left = (g->deadline - now) / 50;	/* frames at 20 Mpps */
		LIBBPF_OPTS(bpf_test_run_opts, o,
			    .data_in = g->frame,
			    .data_size_in = PWB_FRAME_LEN,
			    .ctx_in = &md,
			    .ctx_size_in = sizeof(md),
			    .repeat = (int)(left < 1000 ? 1000 : left > (1u << 30) ? 1u << 30 : left),
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
			    .batch_size = g->batch);

		err = bpf_prog_test_run_opts(g->prog_fd, &o);
		if (err && err != -EINTR) {
			g->err = err;
			break;
		}
	}
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* ---- one run ---- */

static int pin_napi(int d, int cpu, pid_t *tids, int max)
{
	int n = napi_threads(W.dev[d], tids, max);

	for (int i = 0; i < n; i++)
		pin_task(tids[i], cpu);
	return n < 0 ? 0 : n;
}

static __u64 runtime_sum(const pid_t *tids, int n)
{
	__u64 s = 0;

	for (int i = 0; i < n; i++)
		s += task_runtime_ns(tids[i]);
	return s;
}

static int rx_read(struct pwb_rx *sum)
{
	struct pwb_rx v[BENCH_MAX_CPUS * 4];
	__u32 zero = 0;
	int n = libbpf_num_possible_cpus();

	memset(sum, 0, sizeof(*sum));
	if (n > (int)(sizeof(v) / sizeof(v[0])))
		return -E2BIG;
	if (bpf_map_lookup_elem(bpf_map__fd(W.skel->maps.pwb_rx_cnt), &zero, v))
		return -errno;
	for (int i = 0; i < n; i++) {
		sum->packets += v[i].packets;
		sum->ttl63 += v[i].ttl63;
		sum->ttl64 += v[i].ttl64;
		sum->other += v[i].other;
	}
	return 0;
}

struct side {
	pid_t tids[MAX_TIDS];
	int n;
};

static void take(struct snap *s, const struct side *gen, const struct side *fwd)
{
	s->t = now_ns();
	rx_read(&s->rx);
	s->sent = W.skel->bss->gen_sent;
	cpu_times_read(s->cpu, BENCH_MAX_CPUS);
	s->rt_gen = runtime_sum(gen->tids, gen->n);
	s->rt_fwd = runtime_sum(fwd->tids, fwd->n);
}

static double busy_pct(const struct snap *a, const struct snap *b, int cpu, double *steal)
{
	__u64 busy = b->cpu[cpu].busy - a->cpu[cpu].busy;
	__u64 idle = b->cpu[cpu].idle - a->cpu[cpu].idle;
	__u64 st = b->cpu[cpu].steal - a->cpu[cpu].steal;
	__u64 all = busy + idle + st;

	if (steal)
		*steal = all ? 100.0 * st / all : 0;
	return all ? 100.0 * busy / all : 0;
}

static void gen_stop(struct gen *g)
{
	struct timespec ts;

	g->stop = 1;
	for (int i = 0; i < 50; i++) {
		pthread_kill(g->th, SIGUSR1);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (!pthread_timedjoin_np(g->th, NULL, &ts))
			return;
	}
	pr_err("The generator does not stop; waiting for it\n");
	pthread_join(g->th, NULL);
}

static int run_one(const struct opts *o, int cfg, int flows, int rep)
{
	struct pwb_gen_cfg *gc = &W.skel->data->gen_cfg;
	bool direct = cfg == CFG_DIRECT;
	int src = direct ? D_G1 : D_G0, dst;
	struct gen g = { .prog_fd = bpf_program__fd(W.skel->progs.pwb_gen),
			 .nsfd = W.nsfd[N_GEN], .cpu = o->gen_cpu, .batch = o->batch };
	struct side gs = {}, fs = {};
	struct snap a, b;
	struct result *r;
	__u8 hdr[20];
	__u64 d_rx, d_sent, t0;
	double dt;

	if (nruns >= MAX_RUNS)
		return -E2BIG;
	dst = direct ? D_R1 : cfg == CFG_BRIDGE ? D_R0 : D_S0;
	memcpy(gc->dst_mac, dev_desc[dst].mac, 6);
	memcpy(gc->src_mac, dev_desc[src].mac, 6);
	gc->nflows = flows;
	gc->src_base = SRC_BASE;
	gc->dst_base = DST_BASE;
	frame_udp4(g.frame, dev_desc[dst].mac, dev_desc[src].mac, SRC_BASE, DST_BASE);
	memcpy(hdr, g.frame + 14, 20);
	memset(hdr + 10, 0, 10);	/* check, saddr, daddr */
	gc->csum_base = csum_words(hdr, 20);
	W.skel->bss->gen_next = 0;
	g.ifindex = W.ifindex[src];

	g.deadline = now_ns() + (__u64)((o->warmup_s + o->dur_s + 10) * 1e9);
	if (pthread_create(&g.th, NULL, gen_main, &g)) {
		pr_err("Couldn't start the generator: %s\n", strerror(errno));
		return -1;
	}
	t0 = now_ns();
	while (!g.tid && now_ns() - t0 < 2000000000ull)
		nap_ns(1000000);
	/* Who does the work: the generator thread and its CPU's ksoftirqd;
	 * with two CPUs, also s0's NAPI thread and that CPU's ksoftirqd. */
	gs.tids[gs.n++] = g.tid;
	if ((gs.tids[gs.n] = ksoftirqd(o->gen_cpu)))
		gs.n++;
	if (o->place == PLACE_TWO) {
		fs.n = pin_napi(D_S0, o->fwd_cpu, fs.tids, MAX_TIDS - 1);
		if ((fs.tids[fs.n] = ksoftirqd(o->fwd_cpu)))
			fs.n++;
	}
	nap_ns((__u64)(o->warmup_s * 1e9));
	take(&a, &gs, &fs);
	nap_ns((__u64)(o->dur_s * 1e9));
	take(&b, &gs, &fs);
	gen_stop(&g);
	if (g.err) {
		pr_err("Generator failed: %s\n", strerror(-g.err));
		return g.err;
	}
	if (bench_stop)
		return -EINTR;

	r = &runs[nruns++];
	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->flows = flows;
	r->rep = rep;
	dt = (b.t - a.t) / 1e9;
	d_rx = b.rx.packets - a.rx.packets;
	d_sent = b.sent - a.sent;
	r->pps = d_rx / dt;
	r->offered = d_sent / dt;
	r->ok = d_rx ? (double)(cfgs[cfg].ttl == 63 ? b.rx.ttl63 - a.rx.ttl63 :
				b.rx.ttl64 - a.rx.ttl64) / d_rx : 0;
	r->busy_gen = busy_pct(&a, &b, o->gen_cpu, &r->steal);
	r->busy_fwd = busy_pct(&a, &b, o->fwd_cpu, NULL);
	if (o->place == PLACE_ONE) {
		r->gen_ns = d_rx ? (double)(b.rt_gen - a.rt_gen) / d_rx : 0;
	} else {
		r->gen_ns = d_sent ? (double)(b.rt_gen - a.rt_gen) / d_sent : 0;
		r->fwd_ns = d_rx ? (double)(b.rt_fwd - a.rt_fwd) / d_rx : 0;
	}
	pr_info("  %-8s %-36s flows %-5d %6.3f Mpps (offered %6.3f) ttl-ok %5.1f%%  "
		"cpu %d: %3.0f%% cpu %d: %3.0f%%  ns/frame %.0f / %.0f\n",
		cfgs[cfg].key, cfgs[cfg].label, flows, r->pps / 1e6, r->offered / 1e6,
		r->ok * 100, o->gen_cpu, r->busy_gen, o->fwd_cpu, r->busy_fwd, r->gen_ns,
		r->fwd_ns);
	return 0;
}

/* ---- summary ---- */

struct summary {
	bool have;
	int n;
	double pps_med, pps_max, offered, ok;
	double busy_gen, busy_fwd, steal, gen_ns, fwd_ns;
};

static void summarize(int cfg, int flows, struct summary *s)
{
	double v[MAX_RUNS], w[7][MAX_RUNS];
	int n = 0;

	memset(s, 0, sizeof(*s));
	for (int i = 0; i < nruns; i++) {
		const struct result *r = &runs[i];

		if (r->cfg != cfg || r->flows != flows)
			continue;
		v[n] = r->pps;
		w[0][n] = r->offered;
		w[1][n] = r->ok;
		w[2][n] = r->busy_gen;
		w[3][n] = r->busy_fwd;
		w[4][n] = r->steal;
		w[5][n] = r->gen_ns;
		w[6][n] = r->fwd_ns;
		n++;
	}
	if (!n)
		return;
	s->have = true;
	s->n = n;
	s->pps_med = stat_median(v, n);
	s->pps_max = stat_max(v, n);
	s->offered = stat_median(w[0], n);
	s->ok = stat_min(w[1], n);
	s->busy_gen = stat_median(w[2], n);
	s->busy_fwd = stat_median(w[3], n);
	s->steal = stat_median(w[4], n);
	s->gen_ns = stat_median(w[5], n);
	s->fwd_ns = stat_median(w[6], n);
}

/* One CPU: the forwarder's own cost per frame, from CPU time. */
static double added_ns(int cfg, int flows)
{
	struct summary s, d;

	summarize(cfg, flows, &s);
	summarize(CFG_DIRECT, flows, &d);
	if (!s.have || !d.have || cfg == CFG_DIRECT || s.gen_ns <= d.gen_ns)
		return 0;
	return s.gen_ns - d.gen_ns;
}

static const char *bottleneck_two(int cfg, const struct summary *s)
{
	if (cfg == CFG_DIRECT)
		return "generator";
	if (s->pps_med >= 0.97 * s->offered)
		return "generator (forwarder kept up)";
	return s->busy_fwd >= 90 ? "forwarding CPU" : "forwarder (CPU not saturated)";
}

static void fmt_ratio(char *buf, size_t len, double num, double den)
{
	if (den > 0 && num > 0)
		snprintf(buf, len, "%.2fx", num / den);
	else
		snprintf(buf, len, "-");
}

static void verdict(FILE *f, bool md, const char *what, double got, double target, bool le)
{
	bool met = le ? got <= target : got >= target;

	if (got <= 0)
		return;		/* a configuration left out with -c */
	if (md)
		fprintf(f, "| %s | %s %.2f | %.2f: %s |\n", what, le ? "<=" : ">=", target, got,
			met ? "**met**" : "**missed**");
	else
		fprintf(f, "TARGET %-44s wanted %s %.2f, got %.2f: %s\n", what, le ? "<=" : ">=",
			target, got, met ? "met" : "MISSED");
}

static void table_one(FILE *f, bool md, int flows)
{
	struct summary base, floor, direct, s;
	double a_ns = added_ns(CFG_KERNEL, flows), e_ns = added_ns(CFG_REDIRECT, flows);

	summarize(CFG_KERNEL, flows, &base);
	summarize(CFG_REDIRECT, flows, &floor);
	summarize(CFG_DIRECT, flows, &direct);
	if (md) {
		fprintf(f, "\n**%d flow%s** (%s)\n\n", flows, flows > 1 ? "s" : "",
			flows > 1 ? "round robin over as many calls" : "one call");
		fprintf(f, "| configuration | Mpps median | Mpps max | vs (a) | vs (e) | "
			"ns added/frame (wall) | CPU ns/frame | ns added/frame (CPU) | "
			"forwarder alone, Mpps | vs (a) | vs (e) | forwarder's share |\n");
		fprintf(f, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
			"| ---: | ---: |\n");
	} else {
		fprintf(f, "\n%d flow%s\n%-36s %8s %8s %6s %6s %7s | %7s %7s %8s %6s %6s %6s\n",
			flows, flows > 1 ? "s (round robin over calls)" : "",
			"configuration", "Mpps med", "Mpps max", "vs(a)", "vs(e)", "+ns wall",
			"CPU ns", "+ns CPU", "fwd Mpps", "vs(a)", "vs(e)", "share");
	}
	for (int c = 0; c < CFG_MAX; c++) {
		char ra[16], re[16], wall[16], add[16], alone[16], fa[16], fe[16], share[16];
		double ns;

		summarize(c, flows, &s);
		if (!s.have)
			continue;
		ns = added_ns(c, flows);
		fmt_ratio(ra, sizeof(ra), s.pps_med, base.pps_med);
		fmt_ratio(re, sizeof(re), s.pps_med, floor.pps_med);
		snprintf(wall, sizeof(wall), "-");
		snprintf(add, sizeof(add), "-");
		snprintf(alone, sizeof(alone), "-");
		snprintf(share, sizeof(share), "-");
		snprintf(fa, sizeof(fa), "-");
		snprintf(fe, sizeof(fe), "-");
		if (c != CFG_DIRECT && direct.have && s.pps_med > 0) {
			snprintf(wall, sizeof(wall), "%.0f", 1e9 / s.pps_med - 1e9 / direct.pps_med);
			if (ns > 0) {
				snprintf(add, sizeof(add), "%.0f", ns);
				snprintf(alone, sizeof(alone), "%.2f", 1e3 / ns);
				snprintf(share, sizeof(share), "%.0f%%", 100 * ns / s.gen_ns);
				fmt_ratio(fa, sizeof(fa), a_ns, ns);
				fmt_ratio(fe, sizeof(fe), e_ns, ns);
			}
		}
		if (md)
			fprintf(f, "| %s | %.3f | %.3f | %s | %s | %s | %.0f | %s | %s | %s | %s | "
				"%s |%s\n", cfgs[c].label, s.pps_med / 1e6, s.pps_max / 1e6, ra, re,
				wall, s.gen_ns, add, alone, fa, fe, share,
				s.ok < 0.99 ? " **wrong TTL seen** |" : "");
		else
			fprintf(f, "%-36s %8.3f %8.3f %6s %6s %7s | %7.0f %7s %8s %6s %6s %6s%s\n",
				cfgs[c].label, s.pps_med / 1e6, s.pps_max / 1e6, ra, re, wall,
				s.gen_ns, add, alone, fa, fe, share,
				s.ok < 0.99 ? "  WRONG TTL SEEN" : "");
	}
}

static void table_two(FILE *f, bool md, int flows, const struct opts *o)
{
	struct summary base, floor, s;

	summarize(CFG_KERNEL, flows, &base);
	summarize(CFG_REDIRECT, flows, &floor);
	if (md) {
		fprintf(f, "\n**%d flow%s**\n\n", flows, flows > 1 ? "s" : "");
		fprintf(f, "| configuration | Mpps median | Mpps max | vs (a) | vs (e) | "
			"forwarding CPU ns/frame | forwarding CPU alone, Mpps | vs (a) | vs (e) | "
			"CPU %d busy | CPU %d busy | offered Mpps | bottleneck |\n"
			"| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
			"| ---: | --- |\n", o->gen_cpu, o->fwd_cpu);
	} else {
		fprintf(f, "\n%d flow%s\n%-36s %8s %8s %6s %6s | %7s %8s %6s %6s | %5s %5s %8s  %s\n",
			flows, flows > 1 ? "s (round robin over calls)" : "",
			"configuration", "Mpps med", "Mpps max", "vs(a)", "vs(e)", "fwd ns",
			"fwd Mpps", "vs(a)", "vs(e)", "cpu g", "cpu f", "offered", "bottleneck");
	}
	for (int c = 0; c < CFG_MAX; c++) {
		char ra[16], re[16], ns[16], cap[16], ca[16], ce[16];

		summarize(c, flows, &s);
		if (!s.have)
			continue;
		fmt_ratio(ra, sizeof(ra), s.pps_med, base.pps_med);
		fmt_ratio(re, sizeof(re), s.pps_med, floor.pps_med);
		snprintf(ns, sizeof(ns), "-");
		snprintf(cap, sizeof(cap), "-");
		snprintf(ca, sizeof(ca), "-");
		snprintf(ce, sizeof(ce), "-");
		if (c != CFG_DIRECT && s.fwd_ns > 0) {
			snprintf(ns, sizeof(ns), "%.0f", s.fwd_ns);
			snprintf(cap, sizeof(cap), "%.2f", 1e3 / s.fwd_ns);
			fmt_ratio(ca, sizeof(ca), base.fwd_ns, s.fwd_ns);
			fmt_ratio(ce, sizeof(ce), floor.fwd_ns, s.fwd_ns);
		}
		if (md)
			fprintf(f, "| %s | %.3f | %.3f | %s | %s | %s | %s | %s | %s | %.0f%% | %.0f%% | "
				"%.2f | %s |%s\n", cfgs[c].label, s.pps_med / 1e6, s.pps_max / 1e6, ra,
				re, ns, cap, ca, ce, s.busy_gen, s.busy_fwd, s.offered / 1e6,
				bottleneck_two(c, &s), s.ok < 0.99 ? " **wrong TTL seen** |" : "");
		else
			fprintf(f, "%-36s %8.3f %8.3f %6s %6s | %7s %8s %6s %6s | %4.0f%% %4.0f%% %8.2f  "
				"%s%s\n", cfgs[c].label, s.pps_med / 1e6, s.pps_max / 1e6, ra, re, ns,
				cap, ca, ce, s.busy_gen, s.busy_fwd, s.offered / 1e6,
				bottleneck_two(c, &s), s.ok < 0.99 ? "  WRONG TTL SEEN" : "");
	}
}

static void report(FILE *f, bool md, const struct opts *o)
{
	char machine[256];

	machine_line(machine, sizeof(machine));
	if (!md) {
		fprintf(f, "\nEnd-to-end forwarding, 64-byte UDP/IPv4 frames: %s\n", machine);
		if (o->place == PLACE_ONE)
			fprintf(f, "Every stage on CPU %d. %d repetitions of %.1f s (after %.1f s "
				"warm-up), interleaved; medians.\n", o->gen_cpu, o->reps, o->dur_s,
				o->warmup_s);
		else
			fprintf(f, "Generator on CPU %d, forwarder (and receiver) on CPU %d. %d "
				"repetitions of %.1f s, interleaved; medians.\n", o->gen_cpu,
				o->fwd_cpu, o->reps, o->dur_s);
	}
	for (int fi = 0; fi < o->nflows; fi++) {
		if (o->place == PLACE_ONE)
			table_one(f, md, o->flows[fi]);
		else
			table_two(f, md, o->flows[fi], o);
	}
	/* With two CPUs the forwarder shares its CPU with whoever else uses
	 * the machine: a comparison, not a measurement of the targets. */
	if (o->place == PLACE_TWO)
		return;
	if (md)
		fprintf(f, "\n| target (issue 7) | wanted | this run |\n| --- | --- | --- |\n");
	else
		fprintf(f, "\nTargets (issue 7), medians:\n");
	for (int fi = 0; fi < o->nflows; fi++) {
		int flows = o->flows[fi];
		struct summary a, c, d, e;
		const char *fl = flows > 1 ? "flows" : "flow";
		char what[96];

		summarize(CFG_KERNEL, flows, &a);
		summarize(CFG_PAW, flows, &c);
		summarize(CFG_PAW_GENERIC, flows, &d);
		summarize(CFG_REDIRECT, flows, &e);
		snprintf(what, sizeof(what), "(c) / (a), %d %s, pps", flows, fl);
		verdict(f, md, what, a.pps_med > 0 ? c.pps_med / a.pps_med : 0, 3.5, false);
		snprintf(what, sizeof(what), "(c) / (e), %d %s, pps", flows, fl);
		verdict(f, md, what, e.pps_med > 0 ? c.pps_med / e.pps_med : 0, 0.9, false);
		snprintf(what, sizeof(what), "(d) / (a), %d %s, pps", flows, fl);
		verdict(f, md, what, a.pps_med > 0 ? d.pps_med / a.pps_med : 0, 1.4, false);
		{
			/* The forwarder's own CPU time per frame. */
			double an = added_ns(CFG_KERNEL, flows), cn = added_ns(CFG_PAW, flows);
			double dn = added_ns(CFG_PAW_GENERIC, flows), en = added_ns(CFG_REDIRECT, flows);

			snprintf(what, sizeof(what), "(c) / (a), %d %s, forwarder alone", flows, fl);
			verdict(f, md, what, cn > 0 ? an / cn : 0, 3.5, false);
			snprintf(what, sizeof(what), "(c) / (e), %d %s, forwarder alone", flows, fl);
			verdict(f, md, what, cn > 0 ? en / cn : 0, 0.9, false);
			snprintf(what, sizeof(what), "(d) / (a), %d %s, forwarder alone", flows, fl);
			verdict(f, md, what, dn > 0 ? an / dn : 0, 1.4, false);
		}
	}
}

static void write_dat(const char *path, const struct opts *o)
{
	FILE *f = fopen(path, "we");

	if (!f) {
		pr_err("Couldn't write '%s': %s\n", path, strerror(errno));
		return;
	}
	fprintf(f, "# configuration, then per flow count: Mpps median, Mpps max, "
		"forwarder alone Mpps (one CPU only; 0: n/a)\n# flows:");
	for (int fi = 0; fi < o->nflows; fi++)
		fprintf(f, " %d", o->flows[fi]);
	fprintf(f, "\n");
	for (int c = 0; c < CFG_MAX; c++) {
		struct summary s;
		bool any = false;

		for (int fi = 0; fi < o->nflows; fi++) {
			summarize(c, o->flows[fi], &s);
			any |= s.have;
		}
		if (!any)
			continue;
		fprintf(f, "\"%s\"", cfgs[c].label);
		for (int fi = 0; fi < o->nflows; fi++) {
			double ns = o->place == PLACE_ONE ? added_ns(c, o->flows[fi]) : 0;

			summarize(c, o->flows[fi], &s);
			fprintf(f, "\t%.4f\t%.4f\t%.4f", s.pps_med / 1e6, s.pps_max / 1e6,
				ns > 0 ? 1e3 / ns : 0);
		}
		fprintf(f, "\n");
	}
	fclose(f);
}

static void write_tsv(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f) {
		pr_err("Couldn't write '%s': %s\n", path, strerror(errno));
		return;
	}
	fprintf(f, "config\tflows\trep\tpps\toffered_pps\tttl_ok\tbusy_gen\tbusy_fwd\tsteal\t"
		"gen_ns\tfwd_ns\n");
	for (int i = 0; i < nruns; i++) {
		const struct result *r = &runs[i];

		fprintf(f, "%s\t%d\t%d\t%.0f\t%.0f\t%.4f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\n",
			cfgs[r->cfg].key, r->flows, r->rep, r->pps, r->offered, r->ok,
			r->busy_gen, r->busy_fwd, r->steal, r->gen_ns, r->fwd_ns);
	}
	fclose(f);
}

/* ---- main ---- */

static void cleanup(void)
{
	if (W.fwd_link >= 0)
		close(W.fwd_link);
	W.fwd_link = -1;
	for (int i = 0; i < 2; i++) {
		if (W.recv_link[i] >= 0)
			close(W.recv_link[i]);
		W.recv_link[i] = -1;
	}
	paw_sb_close(W.sb);
	W.sb = NULL;
	xdp_bench_bpf__destroy(W.skel);
	W.skel = NULL;
	topology_down();
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: paw-bench-fwd [OPTIONS]\n"
		"  -r N        repetitions (5)\n"
		"  -d SEC      measured seconds per run (1.0)\n"
		"  -w SEC      warm-up seconds per run (0.3)\n"
		"  -f N[,N]    flows per run (1,1000)\n"
		"  -c LIST     configurations, of gen-recv,a,b,c,d,e,f,g (all)\n"
		"  -b N        live-frames batch size (64)\n"
		"  --placement one|two  every stage on the generator's CPU (one), or the\n"
		"              forwarder on a CPU of its own (two)\n"
		"  --cpus G[,F] generator's CPU, forwarder's CPU with two (0,1)\n"
		"  --smoke     a short check that everything forwards; fails when not\n"
		"  -o FILE     every run as TSV;  --md FILE, --dat FILE: summary\n"
		"  -v          show commands\n");
}

static int parse_list(const char *s, int *out, int max)
{
	int n = 0;
	char *end;

	while (*s && n < max) {
		long v = strtol(s, &end, 10);

		if (end == s || v < 0)
			return -1;
		out[n++] = (int)v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return n;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "smoke", no_argument, NULL, 'S' },
		{ "md", required_argument, NULL, 'M' },
		{ "dat", required_argument, NULL, 'D' },
		{ "cpus", required_argument, NULL, 'C' },
		{ "placement", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct opts o = { .reps = 5, .warmup_s = 0.3, .dur_s = 1.0, .flows = { 1, 1000 },
			  .nflows = 2, .gen_cpu = 0, .fwd_cpu = 1, .batch = 64 };
	struct sigaction sa = { .sa_handler = on_usr1 };
	int verbose = PAW_LOG_INFO, maxflows = 0, ch, err = 0, cpus[2], nc;
	bool any_cfg = false;

	while ((ch = getopt_long(argc, argv, "r:d:w:f:c:b:o:vh", lopts, NULL)) != -1) {
		switch (ch) {
		case 'r': o.reps = atoi(optarg); break;
		case 'd': o.dur_s = atof(optarg); break;
		case 'w': o.warmup_s = atof(optarg); break;
		case 'b': o.batch = (__u32)atoi(optarg); break;
		case 'o': o.tsv = optarg; break;
		case 'M': o.md = optarg; break;
		case 'D': o.dat = optarg; break;
		case 'v': verbose = PAW_LOG_DEBUG; break;
		case 'S': o.smoke = true; break;
		case 'f':
			o.nflows = parse_list(optarg, o.flows, 4);
			if (o.nflows < 1) {
				fprintf(stderr, "paw-bench-fwd: bad flow list '%s'\n", optarg);
				return 2;
			}
			break;
		case 'C':
			nc = parse_list(optarg, cpus, 2);
			if (nc < 1) {
				fprintf(stderr, "paw-bench-fwd: --cpus wants G[,F]\n");
				return 2;
			}
			o.gen_cpu = cpus[0];
			o.fwd_cpu = nc > 1 ? cpus[1] : !cpus[0];
			break;
		case 'P':
			if (!strcmp(optarg, "one")) {
				o.place = PLACE_ONE;
			} else if (!strcmp(optarg, "two")) {
				o.place = PLACE_TWO;
			} else {
				fprintf(stderr, "paw-bench-fwd: --placement one or two\n");
				return 2;
			}
			break;
		case 'c': {
			char buf[128], *tok, *save;

			snprintf(buf, sizeof(buf), "%s", optarg);
			for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				int c;

				for (c = 0; c < CFG_MAX && strcmp(cfgs[c].key, tok); c++)
					;
				if (c == CFG_MAX) {
					fprintf(stderr, "paw-bench-fwd: unknown configuration '%s'\n", tok);
					return 2;
				}
				o.want[c] = any_cfg = true;
			}
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!any_cfg)
		for (int c = 0; c < CFG_MAX; c++)
			o.want[c] = true;
	if (o.smoke) {
		o.reps = 1;
		o.warmup_s = 0.05;
		o.dur_s = 0.1;
	}
	for (int i = 0; i < o.nflows; i++) {
		if (o.flows[i] < 1 || o.flows[i] > MAX_FLOWS) {
			fprintf(stderr, "paw-bench-fwd: flows must be 1..%d\n", MAX_FLOWS);
			return 2;
		}
		if (o.flows[i] > maxflows)
			maxflows = o.flows[i];
	}
	if (o.reps < 1 || o.reps * o.nflows * CFG_MAX > MAX_RUNS || o.dur_s <= 0 ||
	    o.dur_s > 60 || o.warmup_s < 0 || o.warmup_s > 10 || o.batch > 256) {
		fprintf(stderr, "paw-bench-fwd: out of range (reps, -d, -w or -b)\n");
		return 2;
	}
	paw_log_init("paw-bench-fwd", verbose, false);
	paw_log_libbpf();
	W.ncpus = online_cpus();
	if (o.gen_cpu >= W.ncpus || (o.place == PLACE_TWO &&
				       (o.fwd_cpu >= W.ncpus || o.fwd_cpu == o.gen_cpu))) {
		pr_err("This machine has %d CPUs: --cpus %d,%d does not fit\n", W.ncpus,
		       o.gen_cpu, o.fwd_cpu);
		return 2;
	}
	if (o.fwd_cpu >= W.ncpus)
		o.fwd_cpu = o.gen_cpu;
	/* Keep this thread (mostly asleep) off the generator's CPU. */
	if (W.ncpus > 1)
		pin_task(0, o.fwd_cpu != o.gen_cpu ? o.fwd_cpu : !o.gen_cpu);
	if (geteuid() != 0) {
		pr_err("Needs root: network namespaces, XDP and BPF_PROG_TEST_RUN\n");
		return 77;
	}
	bench_signals();
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	W.orig_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (W.orig_fd < 0) {
		pr_err("Couldn't open this namespace: %s\n", strerror(errno));
		return 1;
	}

	if (topology_up() ||
	    paw_setup(maxflows, o.smoke ? 4096 : 0, o.smoke ? 4096 : 0) ||
	    skel_setup(maxflows, paw_sb_max_calls(W.sb), paw_sb_max_clients(W.sb), o.place)) {
		err = 1;
		goto out;
	}
	pr_info("paw-bench-fwd: placement %s, %d reps x %d flow sets, %.1f s each\n",
		o.place == PLACE_ONE ? "one" : "two", o.reps, o.nflows, o.dur_s);
	for (int rep = 0; rep < o.reps && !err && !bench_stop; rep++) {
		pr_info("repetition %d/%d\n", rep + 1, o.reps);
		for (int c = 0; c < CFG_MAX && !err && !bench_stop; c++) {
			if (!o.want[c])
				continue;
			if (configure(c)) {
				pr_err("Couldn't set up %s\n", cfgs[c].label);
				unconfigure(c);
				err = 1;
				break;
			}
			/* Let a bridge port or a route settle. */
			nap_ns(50000000);
			for (int fi = 0; fi < o.nflows && !err && !bench_stop; fi++)
				if (run_one(&o, c, o.flows[fi], rep))
					err = 1;
			unconfigure(c);
		}
	}
	if (bench_stop) {
		pr_err("Interrupted\n");
		err = 1;
		goto out;
	}
	if (err)
		goto out;
	report(stdout, false, &o);
	if (o.md) {
		FILE *f = fopen(o.md, "we");

		if (f) {
			report(f, true, &o);
			fclose(f);
		} else {
			pr_err("Couldn't write '%s': %s\n", o.md, strerror(errno));
		}
	}
	if (o.dat)
		write_dat(o.dat, &o);
	if (o.tsv)
		write_tsv(o.tsv);
	/* The smoke fails only on a broken tool: nothing forwarded, or
	 * frames not forwarded the way the configuration forwards. */
	if (o.smoke) {
		for (int i = 0; i < nruns; i++) {
			if (runs[i].pps <= 0 || runs[i].ok < 0.99) {
				pr_err("Smoke: %s with %d flows forwarded %.0f pps, %.1f%% as expected\n",
				       cfgs[runs[i].cfg].label, runs[i].flows, runs[i].pps,
				       runs[i].ok * 100);
				err = 1;
			}
		}
	}
out:
	cleanup();
	return err;
}
