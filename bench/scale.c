// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paw-bench-scale: pawd's memory and the Switchboard's at 65,536 clients
 * and 1,048,576 calls (issue 7, part 3), and how long it takes to get
 * there through pawd's own interfaces.
 *
 *   1. pawd starts with a call table for 1,048,576 calls (2,097,152
 *      entries, both directions) and 65,536 clients;
 *   2. the admin enrols 65,536 clients through the control socket
 *      (client.add, pipelined JSON lines: one connection, 256 in flight);
 *   3. each client registers (REGISTER over UDP, 256 in flight);
 *   4. the clients call each other: client i calls i+1 .. i+16 (mod
 *      65,536), offset by offset, 1,048,576 CALLs over UDP, 256 in
 *      flight, group commit on ([limits] max_calls = 64: each client ends
 *      in 32 calls);
 *   5. pawd restarts on the full data server and pinned maps, and
 *      reconciles them.
 *
 * After each phase: pawd's VmRSS and VmHWM (/proc/PID/status), the kernel
 * memory of every pinned map (memlock in fdinfo, what `bpftool map show`
 * prints), the data server's size on disk. The CALL phase is bounded in
 * time (-T): when it stops short, the report says how far it got and
 * extrapolates the time to 1,048,576 calls from the rate it saw; memory
 * is reported as measured (maps are preallocated; pawd's own memory is
 * sampled along the way to show its trend).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "harness.h"
#include "common.h"
#include "log.h"
#include "util.h"

#define MAX_MAPS	16
#define N_PHASES	6
#define N_TREND		11

enum { P_START, P_ENROL, P_REGISTER, P_CALLS, P_RESTART, P_MAX };
static const char *const p_name[P_MAX] = {
	[P_START] = "pawd started, empty",
	[P_ENROL] = "clients enrolled (control socket)",
	[P_REGISTER] = "clients registered (REGISTER, UDP)",
	[P_CALLS] = "calls placed (CALL, UDP)",
	[P_RESTART] = "pawd restarted and reconciled",
};

struct phase {
	bool done;
	double secs;
	__u64 count;		/* what the phase did */
	__u64 wanted;
	struct hx_mem mem;
	struct hx_mapmem maps[MAX_MAPS];
	int n_maps;
	double db_mib;
	double pawd_cpu_s;
};

static struct {
	struct hx h;
	struct hx_client *cl;
	__u32 n;		/* clients */
	__u32 per;		/* calls each client places */
	__u64 calls;		/* n * per */
	double calls_max_s;
	int pawd_cpu, gen_cpu;
	bool smoke;
	struct phase ph[P_MAX];
	/* the CALL phase */
	__u64 next;		/* next CALL to send: offset-major */
	__u64 ok, refused;
	struct { double at; __u64 calls; struct hx_mem mem; } trend[N_TREND];
	int n_trend;
	double last_trend;
} W;

static double db_size_mib(void)
{
	char p[160];
	struct stat st;
	double s = 0;

	if (stat(W.h.db, &st) == 0)
		s += st.st_size;
	snprintf(p, sizeof(p), "%s-wal", W.h.db);
	if (stat(p, &st) == 0)
		s += st.st_size;
	return s / 1048576.0;
}

static void snap(int p, double secs, __u64 count, __u64 wanted, __u64 cpu0)
{
	struct phase *ph = &W.ph[p];

	ph->done = true;
	ph->secs = secs;
	ph->count = count;
	ph->wanted = wanted;
	hx_pawd_mem(&W.h, &ph->mem);
	ph->n_maps = hx_maps_mem(&W.h, ph->maps, MAX_MAPS);
	ph->db_mib = db_size_mib();
	ph->pawd_cpu_s = (hx_pawd_cpu_ns(&W.h) - cpu0) / 1e9;
	pr_info("  %-40s %8.2f s  %8llu of %-8llu  VmRSS %7.1f MiB  VmHWM %7.1f MiB  data "
		"server %6.1f MiB\n", p_name[p], secs, (unsigned long long)count,
		(unsigned long long)wanted, ph->mem.rss_kb / 1024.0, ph->mem.hwm_kb / 1024.0,
		ph->db_mib);
}

/* ---- REGISTER and CALL as loads ---- */

static int reg_next(void *ctx, __u32 stream, struct hx_job *job)
{
	(void)ctx;
	(void)stream;
	if (W.next >= W.n)
		return 1;
	memset(job, 0, sizeof(*job));
	job->client = (__u32)W.next++;
	job->type = PAW_PB_REGISTER;
	return 0;
}

/* CALL k: offset 1 + k / n, from client k mod n. */
static int call_next(void *ctx, __u32 stream, struct hx_job *job)
{
	__u64 k;

	(void)ctx;
	(void)stream;
	if (W.next >= W.calls)
		return 1;
	k = W.next++;
	memset(job, 0, sizeof(*job));
	job->client = (__u32)(k % W.n);
	job->peer = (__u32)((job->client + 1 + k / W.n) % W.n);
	job->type = PAW_PB_CALL;
	return 0;
}

static void count_done(void *ctx, __u32 stream, const struct hx_job *job, int status,
		       const struct paw_pb_reply *rep)
{
	static struct paw_ratelimit rl = PAW_RATELIMIT_INIT(1000, 5);

	(void)ctx;
	(void)stream;
	(void)rep;
	if (status == PAW_PB_OK) {
		W.ok++;
		return;
	}
	W.refused++;
	if (paw_ratelimit(&rl, paw_mono_ms(), NULL))
		pr_warn("%s %s: %s\n", paw_pb_type_name(job->type), W.cl[job->client].name,
			status < 0 ? strerror(-status) : paw_pb_status_name(status));
}

/* pawd's memory along the CALL phase, every tenth of the way. */
static void call_tick(void *ctx, __u64 elapsed)
{
	double done = (double)W.ok / W.calls;

	(void)ctx;
	(void)elapsed;
	if (W.n_trend < N_TREND && done >= W.last_trend) {
		W.trend[W.n_trend].at = elapsed / 1e9;
		W.trend[W.n_trend].calls = W.ok;
		hx_pawd_mem(&W.h, &W.trend[W.n_trend].mem);
		W.n_trend++;
		W.last_trend += 0.1;
	}
}

static const struct hx_load_ops reg_ops = { .next = reg_next, .done = count_done };
static const struct hx_load_ops call_ops = { .next = call_next, .done = count_done,
					     .tick = call_tick };

static struct hx_load_stats ST;

static int run_load(const struct hx_load_ops *ops, double max_s, double *secs)
{
	struct hx_load_opts o = {
		.streams = 256, .seconds = max_s, .drain_s = 5, .ops = ops, .watch = W.h.pawd,
		.cpus = { W.gen_cpu, W.pawd_cpu }, .timeout_ms = 2000,
	};
	__u64 t0 = now_ns();
	int err;

	W.next = 0;
	W.ok = 0;
	W.refused = 0;
	err = hx_load_run(W.cl, &o, &ST);
	*secs = (now_ns() - t0) / 1e9;
	return err;
}

/* ---- report ---- */

static __u64 maps_total(const struct phase *ph)
{
	__u64 t = 0;

	for (int i = 0; i < ph->n_maps; i++)
		t += ph->maps[i].memlock;
	return t;
}

static const struct hx_mapmem *map_of(const struct phase *ph, const char *name)
{
	for (int i = 0; i < ph->n_maps; i++)
		if (!strcmp(ph->maps[i].name, name))
			return &ph->maps[i];
	return NULL;
}

static void report(FILE *f, bool md)
{
	const struct phase *pc = &W.ph[P_CALLS];
	double rate = pc->secs > 0 ? pc->count / pc->secs : 0;
	bool short_ = pc->done && pc->count < W.calls;
	char m[256];

	machine_line(m, sizeof(m));
	if (md) {
		fprintf(f, "\n%u clients, each placing %u calls (%llu calls, %llu map entries); "
			"pawd on CPU %d, the clients' generator on CPU %d.\n\n"
			"| phase | seconds | done | per second | pawd CPU s | pawd VmRSS | pawd VmHWM "
			"| maps (memlock) | data server on disk |\n| --- | ---: | ---: | ---: | ---: | "
			"---: | ---: | ---: | ---: |\n", W.n, W.per, (unsigned long long)W.calls,
			(unsigned long long)W.calls * 2, W.pawd_cpu, W.gen_cpu);
	} else {
		fprintf(f, "\nScale: %s\n%u clients, %llu calls\n%-40s %8s %9s %9s %8s %9s %9s %9s "
			"%9s\n", m, W.n, (unsigned long long)W.calls, "phase", "seconds", "done",
			"per s", "CPU s", "RSS MiB", "HWM MiB", "maps MiB", "db MiB");
	}
	for (int p = 0; p < P_MAX; p++) {
		const struct phase *ph = &W.ph[p];
		char done[48];

		if (!ph->done)
			continue;
		if (ph->wanted)
			snprintf(done, sizeof(done), "%llu of %llu", (unsigned long long)ph->count,
				 (unsigned long long)ph->wanted);
		else
			snprintf(done, sizeof(done), "-");
		if (md)
			fprintf(f, "| %s | %.2f | %s | %s | %.1f | %.1f MiB | %.1f MiB | %.1f MiB | "
				"%.1f MiB |\n", p_name[p], ph->secs, done, "", ph->pawd_cpu_s,
				ph->mem.rss_kb / 1024.0, ph->mem.hwm_kb / 1024.0,
				maps_total(ph) / 1048576.0, ph->db_mib);
		else
			fprintf(f, "%-40s %8.2f %9llu %9.0f %8.1f %9.1f %9.1f %9.1f %9.1f\n",
				p_name[p], ph->secs, (unsigned long long)ph->count,
				ph->secs > 0 && ph->wanted ? ph->count / ph->secs : 0, ph->pawd_cpu_s,
				ph->mem.rss_kb / 1024.0, ph->mem.hwm_kb / 1024.0,
				maps_total(ph) / 1048576.0, ph->db_mib);
	}
	if (md) {
		/* The per-second column, filled here to keep the row code short. */
		fprintf(f, "\nRates: enrolment %.0f clients/s, registration %.0f/s, calls %.0f/s.",
			W.ph[P_ENROL].secs > 0 ? W.ph[P_ENROL].count / W.ph[P_ENROL].secs : 0,
			W.ph[P_REGISTER].secs > 0 ?
				W.ph[P_REGISTER].count / W.ph[P_REGISTER].secs : 0, rate);
		if (short_)
			fprintf(f, " The CALL phase stopped at its time bound (%.0f s) after %llu of "
				"%llu calls: **at %.0f calls/s, all %llu would take about %.0f s** "
				"(extrapolated, linear; the rate fell from %.0f/s in the first tenth).",
				W.calls_max_s, (unsigned long long)pc->count,
				(unsigned long long)W.calls, rate, (unsigned long long)W.calls,
				rate > 0 ? W.calls / rate : 0,
				W.n_trend > 1 && W.trend[1].at > 0 ?
					W.trend[1].calls / W.trend[1].at : 0);
		fprintf(f, "\n");
		if (W.ph[P_CALLS].done) {
			const struct phase *ph = &W.ph[P_CALLS];

			fprintf(f, "\nKernel memory of the maps with %llu call entries and %u clients "
				"(preallocated hash maps: the same as empty).\n\n| map | max entries | "
				"key | value | memlock |\n| --- | ---: | ---: | ---: | ---: |\n",
				(unsigned long long)pc->count * 2, W.n);
			for (int i = 0; i < ph->n_maps; i++)
				fprintf(f, "| %s | %llu | %llu | %llu | %.2f MiB |\n", ph->maps[i].name,
					(unsigned long long)ph->maps[i].max_entries,
					(unsigned long long)ph->maps[i].key_size,
					(unsigned long long)ph->maps[i].value_size,
					ph->maps[i].memlock / 1048576.0);
			fprintf(f, "| **total** | | | | %.1f MiB |\n", maps_total(ph) / 1048576.0);
		}
		if (W.n_trend > 1) {
			fprintf(f, "\npawd's memory along the CALL phase:\n\n| calls | seconds | "
				"VmRSS | VmHWM |\n| ---: | ---: | ---: | ---: |\n");
			for (int i = 0; i < W.n_trend; i++)
				fprintf(f, "| %llu | %.1f | %.1f MiB | %.1f MiB |\n",
					(unsigned long long)W.trend[i].calls, W.trend[i].at,
					W.trend[i].mem.rss_kb / 1024.0, W.trend[i].mem.hwm_kb / 1024.0);
		}
	} else {
		const struct hx_mapmem *c = map_of(&W.ph[P_CALLS], "paw_calls");

		if (short_)
			fprintf(f, "CALL phase stopped at %.0f s after %llu of %llu calls: at %.0f/s all "
				"would take ~%.0f s (extrapolated)\n", W.calls_max_s,
				(unsigned long long)pc->count, (unsigned long long)W.calls, rate,
				rate > 0 ? W.calls / rate : 0);
		if (c)
			fprintf(f, "paw_calls: %llu entries max, %.1f MiB memlock\n",
				(unsigned long long)c->max_entries, c->memlock / 1048576.0);
		fprintf(f, "TARGET pawd VmHWM at %u clients, %llu calls  (no target) %.1f MiB; maps "
			"%.1f MiB\n", W.n, (unsigned long long)pc->count,
			W.ph[P_CALLS].mem.hwm_kb / 1024.0, maps_total(&W.ph[P_CALLS]) / 1048576.0);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: paw-bench-scale [OPTIONS]\n"
		"  -k N        clients (65536)\n"
		"  -c N        calls each client places (16: 1,048,576 calls)\n"
		"  -T SECONDS  time bound of the CALL phase (150)\n"
		"  --no-restart  skip the restart phase\n"
		"  --cpus P,G  pawd's CPU and the generator's (0,1)\n"
		"  --smoke     2048 clients, 4 calls each; fails only when broken\n"
		"  --md FILE   summary\n"
		"  -v          more detail\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "smoke", no_argument, NULL, 'S' },
		{ "md", required_argument, NULL, 'M' },
		{ "cpus", required_argument, NULL, 'C' },
		{ "no-restart", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static const char *const roles[] = { "gen" };
	struct hx_conf conf = {
		.group_commit = true, .client_max_calls = 64, .postbox_max = 100,
		.log_level = "info",
	};
	const char *mdp = NULL;
	int verbose = PAW_LOG_INFO, ch, err;
	bool restart = true;
	__u64 t0, c0;
	double secs;

	W.n = 65536;
	W.per = 16;
	W.calls_max_s = 150;
	W.pawd_cpu = 0;
	W.gen_cpu = 1;
	while ((ch = getopt_long(argc, argv, "k:c:T:vh", lopts, NULL)) != -1) {
		switch (ch) {
		case 'k': W.n = (__u32)strtoul(optarg, NULL, 10); break;
		case 'c': W.per = (__u32)strtoul(optarg, NULL, 10); break;
		case 'T': W.calls_max_s = atof(optarg); break;
		case 'C':
			if (sscanf(optarg, "%d,%d", &W.pawd_cpu, &W.gen_cpu) != 2) {
				usage(stderr);
				return 2;
			}
			break;
		case 'N': restart = false; break;
		case 'M': mdp = optarg; break;
		case 'S': W.smoke = true; break;
		case 'v': verbose = PAW_LOG_DEBUG; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (W.smoke) {
		W.n = 2048;
		W.per = 4;
		W.calls_max_s = 10;
	}
	if (W.n < 64 || W.n > 1u << 20 || !W.per || W.per > 32 || 2 * W.per >= W.n ||
	    W.calls_max_s <= 0) {
		fprintf(stderr, "paw-bench-scale: -k 64..1048576, -c 1..32 (and 2c < k), -T > 0\n");
		return 2;
	}
	W.calls = (__u64)W.n * W.per;
	/* Two map entries per call; both tables sized as pawd's defaults
	 * would be for this many (65,536 clients is the default). */
	conf.max_clients = W.n;
	conf.max_calls = (__u32)(W.calls * 2);
	paw_log_init("paw-bench-scale", verbose, false);
	paw_log_libbpf();
	if (geteuid() != 0) {
		pr_err("Needs root: network namespaces, BPF, pawd\n");
		return 77;
	}
	if (online_cpus() < 2)
		W.gen_cpu = W.pawd_cpu;
	bench_signals();
	W.cl = calloc(W.n, sizeof(*W.cl));
	if (!W.cl)
		return 1;
	for (__u32 i = 0; i < W.n; i++) {
		struct hx_client *c = &W.cl[i];
		__u8 mac[6] = { 0x02, 0x64, 0, (__u8)(i >> 16), (__u8)(i >> 8), (__u8)i };

		snprintf(c->name, sizeof(c->name), "s%07u", i);
		c->ipv4 = htonl(0x0a800001 + i);	/* from 10.128.0.1 */
		memcpy(c->mac, mac, 6);
	}
	err = hx_init(&W.h);
	if (!err)
		err = hx_topology(&W.h, roles, 1, false, -1);
	if (!err)
		err = hx_pawd_config(&W.h, &conf);
	if (err)
		goto out;
	t0 = now_ns();
	err = hx_pawd_start(&W.h, W.pawd_cpu);
	if (err)
		goto out;
	snap(P_START, (now_ns() - t0) / 1e9, 0, 0, 0);

	t0 = now_ns();
	c0 = hx_pawd_cpu_ns(&W.h);
	{
		long n = hx_enrol(&W.h, W.cl, W.n, W.h.ns[0].port);

		if (n != (long)W.n) {
			pr_err("Couldn't enrol %u clients: %ld\n", W.n, n);
			err = n < 0 ? (int)n : -EIO;
			goto out;
		}
	}
	snap(P_ENROL, (now_ns() - t0) / 1e9, W.n, W.n, c0);

	pin_task(0, W.gen_cpu);
	err = hx_enter(&W.h, 0);
	if (!err) {
		struct hx_job j = { .client = 0, .type = PAW_PB_STATUS };

		err = hx_request(W.cl, &j, 500, NULL) < 0 ? -EIO : 0;
	}
	if (err)
		goto out;
	c0 = hx_pawd_cpu_ns(&W.h);
	err = run_load(&reg_ops, 600, &secs);
	if (err || W.ok != W.n) {
		pr_err("Only %llu of %u clients registered\n", (unsigned long long)W.ok, W.n);
		err = err ? err : -EIO;
		goto out;
	}
	snap(P_REGISTER, secs, W.ok, W.n, c0);

	c0 = hx_pawd_cpu_ns(&W.h);
	W.last_trend = 0;
	err = run_load(&call_ops, W.calls_max_s, &secs);
	if (err)
		goto out;
	/* The rate over the measured part, not the drain. */
	snap(P_CALLS, ST.seconds, W.ok, W.calls, c0);
	if (W.refused)
		pr_warn("%llu CALLs were refused\n", (unsigned long long)W.refused);

	if (restart && !bench_stop) {
		err = hx_pawd_stop(&W.h, SIGTERM, 30);
		if (!err) {
			W.h.start_wait_s = 300;
			t0 = now_ns();
			err = hx_pawd_start(&W.h, W.pawd_cpu);
		}
		if (err)
			goto out;
		snap(P_RESTART, (now_ns() - t0) / 1e9, 0, 0, 0);
	}

	report(stdout, false);
	if (mdp) {
		FILE *f = fopen(mdp, "we");

		if (f) {
			report(f, true);
			fclose(f);
		}
	}
	if (W.ok == 0 || W.refused > W.ok / 100)
		err = -EIO;
out:
	hx_leave(&W.h);
	hx_cleanup(&W.h);
	free(W.cl);
	if (err && !bench_stop)
		pr_err("paw-bench-scale failed: %s\n", strerror(-err));
	return err ? 1 : 0;
}
