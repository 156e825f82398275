// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paw-bench-setup: call-setup latency (issue 7, part 3), measured from
 * outside pawd.
 *
 * Two client namespaces, alice and bob, each behind a port of the
 * Switchboard; pawd runs in the switchboard namespace on one CPU, this
 * tool on the other, in one loop that, for each sample:
 *
 *   1. sends alice's CALL to bob (UDP, signed, from alice's namespace):
 *      time 0;
 *   2. keeps sending 60-byte IPv4 frames alice -> bob from alice's eth0
 *      (AF_PACKET, each carrying its send time), which the Switchboard
 *      drops as `no-call` until the call is in its map;
 *   3. looks both directions up in the pinned paw_calls map (bpf(2) on
 *      the pin), until both are there: "both directions live";
 *   4. reads bob's UDP socket: the first frame that arrives is "first
 *      frame forwarded";
 *   5. reads alice's reply: "reply";
 *   6. hangs up, waits until the map is empty and bob's socket quiet.
 *
 * One loop iteration takes a few microseconds (a frame, two lookups,
 * two non-blocking reads): that is the resolution. Time 0 is the
 * client's send, so every figure includes the request's way to pawd and
 * pawd's wake-up: an upper bound of "request received -> ...".
 *
 * With --load N (the second series of a full run), the same loop also
 * keeps N POSTs from other clients in flight, so the CALL meets pawd in
 * the middle of group-commit batches.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "common.h"
#include "log.h"
#include "bench_abi.h"
#include "paw/abi.h"
#include "util.h"

#define A_IP		0x0a4f0001	/* 10.79.0.1, alice */
#define B_IP		0x0a4f0002	/* 10.79.0.2, bob */
#define BG_BASE		0x0a4f0100	/* 10.79.1.0/24: the background posters */
#define SAMPLE_TIMEOUT_NS	1000000000ull
#define MAX_BG		256	/* background POSTs in flight, at most */
#define N_POSTERS	512

enum { M_MAP, M_FWD, M_REPLY, M_STATUS, M_MAX };
static const char *const m_name[M_MAX] = {
	[M_MAP] = "both directions live in paw_calls",
	[M_FWD] = "first frame forwarded (arrived at bob)",
	[M_REPLY] = "reply received by alice",
	[M_STATUS] = "for reference: a STATUS round trip",
};

struct series {
	const char *name;
	__u32 load;		/* background POSTs per second */
	double *v[M_MAX];	/* us, per sample */
	int n;
	int n_status;		/* samples of v[M_STATUS] */
	__u32 fwd_before_reply;	/* samples whose first frame beat the reply */
	__u32 failed;
	double frame_gap_us;	/* mean time between two frames */
	double bg_rate;		/* background POSTs per second */
};

static struct {
	struct hx h;
	struct hx_client cl[2 + N_POSTERS];	/* alice, bob, the posters */
	int n_bg;
	int pawd_cpu, gen_cpu;
	int samples;
	int max_s;		/* per series */
	bool smoke;
	/* sockets, each made in its client's namespace */
	int a_udp, a_raw, b_udp, bg_udp;
	int map_fd;
	__u8 frame[PWB_FRAME_LEN];
	__u64 seq;
	__u32 req_id;
	/* background POSTs */
	struct {
		bool busy;
		__u32 req_id;
		__u8 nonce[PAW_PB_NONCE_LEN];
		__u64 sent;
		struct hx_job job;
	} bg[MAX_BG];
	__u64 bg_ok, msg_id, bg_t0, bg_sent, bg_next;
	struct series s[2];
	int n_series;
	struct paw_pb_reply rep;
} W;

/* ---- the measuring loop's pieces ---- */

static void frame_send(void)
{
	__u64 t = now_ns(), seq = ++W.seq;

	memcpy(W.frame + 42, &seq, 8);
	memcpy(W.frame + 50, &t, 8);
	send(W.a_raw, W.frame, sizeof(W.frame), MSG_DONTWAIT);
}

/* A frame at bob: its send time, or 0. */
static __u64 frame_recv(void)
{
	__u8 buf[64];
	__u64 t = 0;
	ssize_t n = recv(W.b_udp, buf, sizeof(buf), MSG_DONTWAIT);

	/* The UDP payload: seq, then the send time. */
	if (n >= 16)
		memcpy(&t, buf + 8, 8);
	return n > 0 ? (t ? t : 1) : 0;
}

static bool map_has(__be32 src, __be32 dst)
{
	struct paw_call_key k = { .src = src, .dst = dst };
	static __u8 v[4096];

	return bpf_map_lookup_elem(W.map_fd, &k, v) == 0;
}

static int req_send(int fd, __u32 client, __u8 type, __u32 peer, __u8 *nonce, __u32 *rid)
{
	struct hx_job j = { .client = client, .type = type, .peer = peer };
	__u8 buf[PAW_PB_UDP_MAX];
	int n;

	*rid = ++W.req_id;
	n = hx_encode(W.cl, &j, *rid, buf, sizeof(buf), nonce);
	if (n < 0)
		return n;
	return send(fd, buf, n, MSG_DONTWAIT) == n ? 0 : -errno;
}

/* alice's reply to (type, rid, nonce) arrived and verified: its status,
 * or -EAGAIN. */
static int reply_recv(__u8 type, __u32 rid, const __u8 *nonce)
{
	__u8 buf[PAW_PB_UDP_MAX + 1];
	ssize_t n = recv(W.a_udp, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 36 + PAW_PB_MAC_LEN || buf[2] != (type | PAW_PB_REPLY_BIT) ||
	    ntohl(*(__u32 *)(buf + 4)) != rid || memcmp(buf + 16, nonce, PAW_PB_NONCE_LEN))
		return -EAGAIN;
	if (paw_pb_reply_decode(buf, n, W.cl[0].secret, &W.rep) || !W.rep.signed_)
		return -EBADMSG;
	return W.rep.status;
}

/* The background: POSTs at `rate` per second (open loop: the CALLs meet
 * batches of them, not a queue), at most MAX_BG in flight, each from the
 * next poster to the one after it. */
static void bg_pump(__u32 rate)
{
	__u8 buf[PAW_PB_UDP_MAX + 1];
	__u64 now = now_ns(), due;
	ssize_t n;

	while ((n = recv(W.bg_udp, buf, sizeof(buf), MSG_DONTWAIT)) >= 36) {
		__u32 rid = ntohl(*(__u32 *)(buf + 4)), i = rid & 0xff;

		if (W.bg[i].busy && W.bg[i].req_id == rid &&
		    !memcmp(buf + 16, W.bg[i].nonce, PAW_PB_NONCE_LEN)) {
			W.bg[i].busy = false;
			W.bg_ok += buf[3] == PAW_PB_OK;
		}
	}
	if (!W.bg_t0)
		W.bg_t0 = now;
	due = (now - W.bg_t0) * rate / 1000000000ull;
	while (W.bg_sent < due) {
		__u8 out[PAW_PB_UDP_MAX];
		__u32 i = W.bg_sent % MAX_BG;
		int len;

		W.bg_sent++;
		if (W.bg[i].busy && now - W.bg[i].sent < 200000000ull)
			continue;	/* still in flight: this one is skipped */
		W.bg[i].job.client = 2 + W.bg_next % W.n_bg;
		W.bg[i].job.peer = 2 + (W.bg_next + 1) % W.n_bg;
		W.bg_next++;
		W.bg[i].job.type = PAW_PB_POST;
		W.bg[i].job.msg_id = ++W.msg_id;
		W.bg[i].req_id = (++W.req_id << 8) | i;
		len = hx_encode(W.cl, &W.bg[i].job, W.bg[i].req_id, out, sizeof(out), W.bg[i].nonce);
		if (len > 0 && send(W.bg_udp, out, len, MSG_DONTWAIT) == len) {
			W.bg[i].busy = true;
			W.bg[i].sent = now;
		}
	}
}

/* Hang up and wait until nothing of the call is left. */
static int hangup(__u32 load)
{
	__be32 a = htonl(A_IP), b = htonl(B_IP);
	__u8 nonce[PAW_PB_NONCE_LEN];
	__u64 end = now_ns() + SAMPLE_TIMEOUT_NS;
	__u32 rid;
	int st = -EAGAIN;

	if (req_send(W.a_udp, 0, PAW_PB_HANGUP, 1, nonce, &rid))
		return -EIO;
	while (now_ns() < end && !bench_stop) {
		if (load)
			bg_pump(load);
		if (st == -EAGAIN)
			st = reply_recv(PAW_PB_HANGUP, rid, nonce);
		if (st != -EAGAIN && !map_has(a, b) && !map_has(b, a))
			break;
	}
	/* Frames still on their way, then quiet. */
	end = now_ns() + 2000000;
	while (now_ns() < end) {
		frame_recv();
		if (load)
			bg_pump(load);
	}
	return st == PAW_PB_OK ? 0 : -EIO;
}

static int sample(struct series *s)
{
	__be32 a = htonl(A_IP), b = htonl(B_IP);
	__u8 nonce[PAW_PB_NONCE_LEN];
	__u64 t0, end, t[M_MAX] = {}, frames = 0, first = 0;
	bool ab = false, ba = false;
	__u32 rid;
	int st = -EAGAIN;

	if (map_has(a, b) || map_has(b, a))
		return -EEXIST;
	t0 = now_ns();
	if (req_send(W.a_udp, 0, PAW_PB_CALL, 1, nonce, &rid))
		return -EIO;
	end = t0 + SAMPLE_TIMEOUT_NS;
	while ((!t[M_MAP] || !t[M_FWD] || !t[M_REPLY]) && now_ns() < end && !bench_stop) {
		__u64 now;

		if (!t[M_FWD]) {
			frame_send();
			frames++;
		}
		if (!ab)
			ab = map_has(a, b);
		if (!ba)
			ba = map_has(b, a);
		now = now_ns();
		if (ab && ba && !t[M_MAP])
			t[M_MAP] = now;
		if (!t[M_FWD] && (first = frame_recv()))
			t[M_FWD] = now_ns();
		if (!t[M_REPLY]) {
			st = reply_recv(PAW_PB_CALL, rid, nonce);
			if (st >= 0)
				t[M_REPLY] = now_ns();
			if (st > 0)
				break;	/* refused: no call to measure */
		}
		if (s->load)
			bg_pump(s->load);
	}
	if (st != PAW_PB_OK || !t[M_MAP] || !t[M_FWD]) {
		pr_warn("a CALL %s (status %s)\n", st == -EAGAIN ? "timed out" : "failed",
			st >= 0 ? paw_pb_status_name(st) : strerror(-st));
		s->failed++;
		hangup(s->load);
		return -EIO;
	}
	for (int m = 0; m < M_MAX; m++)
		s->v[m][s->n] = (t[m] - t0) / 1e3;
	s->fwd_before_reply += t[M_FWD] < t[M_REPLY];
	if (frames > 1)
		s->frame_gap_us += (t[M_FWD] - t0) / 1e3 / frames;
	s->n++;
	return hangup(s->load);
}

static int cmp_d(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

static double pct(double *v, int n, double p)
{
	int i;

	if (n <= 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_d);
	i = (int)(p / 100.0 * n + 0.5) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i];
}

/* A STATUS round trip from alice: what any request costs at least (the
 * way to pawd and back, its wake-up, a read, two MACs). */
static void status_rtt(struct series *s)
{
	__u8 nonce[PAW_PB_NONCE_LEN];
	__u64 t0 = now_ns(), end = t0 + SAMPLE_TIMEOUT_NS;
	__u32 rid;

	if (req_send(W.a_udp, 0, PAW_PB_STATUS, 0, nonce, &rid))
		return;
	while (now_ns() < end && !bench_stop) {
		if (reply_recv(PAW_PB_STATUS, rid, nonce) == PAW_PB_OK) {
			s->v[M_STATUS][s->n_status++] = (now_ns() - t0) / 1e3;
			return;
		}
		if (s->load)
			bg_pump(s->load);
	}
}

static int run_series(struct series *s)
{
	__u64 t0, ok0;
	double secs;

	for (int m = 0; m < M_MAX; m++) {
		s->v[m] = calloc(W.samples, sizeof(double));
		if (!s->v[m])
			return -ENOMEM;
	}
	/* Warm: the background at full swing before the first sample. */
	W.bg_t0 = 0;
	W.bg_sent = 0;
	t0 = now_ns();
	while (s->load && now_ns() - t0 < 300000000ull)
		bg_pump(s->load);
	ok0 = W.bg_ok;
	t0 = now_ns();
	for (int i = 0; i < W.samples && !bench_stop; i++) {
		if (sample(s) == -EEXIST)
			return -EEXIST;
		if (i % 4 == 0)
			status_rtt(s);
		/* A breath between samples: calls come one at a time. */
		if (!s->load)
			nap_ns(200000);
		if (now_ns() - t0 > (__u64)W.max_s * 1000000000ull)
			break;	/* the time bound */
	}
	secs = (now_ns() - t0) / 1e9;
	s->bg_rate = s->load ? (W.bg_ok - ok0) / secs : 0;
	s->frame_gap_us = s->n ? s->frame_gap_us / s->n : 0;
	/* Let the background's last requests land. */
	t0 = now_ns();
	while (s->load && now_ns() - t0 < 300000000ull) {
		__u8 buf[PAW_PB_UDP_MAX + 1];

		while (recv(W.bg_udp, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
	}
	pr_info("  %s: %d samples, %u failed; p50 %.0f / %.0f / %.0f us, p99 %.0f / %.0f / "
		"%.0f us (map / first frame / reply)%s\n", s->name, s->n, s->failed,
		pct(s->v[M_MAP], s->n, 50), pct(s->v[M_FWD], s->n, 50),
		pct(s->v[M_REPLY], s->n, 50), pct(s->v[M_MAP], s->n, 99),
		pct(s->v[M_FWD], s->n, 99), pct(s->v[M_REPLY], s->n, 99),
		s->load ? "" : "");
	return 0;
}

/* ---- setup ---- */

static int udp_sock_in(int ns, __u32 bind_ip, int port)
{
	struct sockaddr_in6 mb = { .sin6_family = AF_INET6, .sin6_port = htons(PAW_PB_PORT) };
	int fd, err;

	err = hx_enter(&W.h, ns);
	if (err)
		return err;
	if (bind_ip) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
					   .sin_addr.s_addr = htonl(bind_ip) };
		int big = 4 << 20;

		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
			return -errno;
		return fd;
	}
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	inet_pton(AF_INET6, HX_MAINBACKEND, &mb.sin6_addr);
	if (connect(fd, (struct sockaddr *)&mb, sizeof(mb)))
		return -errno;
	return fd;
}

static int raw_sock_in(int ns, __u8 *eth0_mac)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr = {};
	int fd, err;

	err = hx_enter(&W.h, ns);
	if (err)
		return err;
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "eth0");
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		return -errno;
	memcpy(eth0_mac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_ifindex = (int)if_nametoindex("eth0");
	if (!sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		return -errno;
	return fd;
}

static int port_mac(const char *port, __u8 *mac)
{
	struct ifreq ifr = {};
	int fd, err = hx_enter(&W.h, -1);

	if (err)
		return err;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", port);
	err = ioctl(fd, SIOCGIFHWADDR, &ifr) ? -errno : 0;
	close(fd);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return err;
}

/* Register clients [from, to) from namespace ns, one request each. */
static int register_in(int ns, int from, int to)
{
	int err = hx_enter(&W.h, ns);

	for (int i = from; i < to && !err; i++) {
		struct hx_job j = { .client = i, .type = PAW_PB_REGISTER };
		int st = hx_request(W.cl, &j, 500, NULL);

		if (st != PAW_PB_OK) {
			pr_err("%s's REGISTER: %s\n", W.cl[i].name,
			       st < 0 ? strerror(-st) : paw_pb_status_name(st));
			err = -EIO;
		}
	}
	return err;
}

static void report(FILE *f, bool md)
{
	char m[256];

	machine_line(m, sizeof(m));
	if (md)
		fprintf(f, "\nalice calls bob, %d times per series, and hangs up after each; "
			"pawd on CPU %d (group commit on), the measuring loop on CPU %d, one frame "
			"about every %.1f us. Times from alice's send of the CALL.\n\n"
			"| series | samples | measure | p50 | p90 | p99 | max | target p99 <= 2 ms |\n"
			"| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |\n",
			W.samples, W.pawd_cpu, W.gen_cpu, W.s[0].frame_gap_us);
	else
		fprintf(f, "\nCall setup: %s\n%-34s %-40s %8s %8s %8s %8s\n", m, "series", "measure",
			"p50 us", "p90 us", "p99 us", "max us");
	for (int i = 0; i < W.n_series; i++) {
		struct series *s = &W.s[i];

		for (int k = 0; k < M_MAX; k++) {
			int n = k == M_STATUS ? s->n_status : s->n;
			double p50 = pct(s->v[k], n, 50), p90 = pct(s->v[k], n, 90);
			double p99 = pct(s->v[k], n, 99), mx = pct(s->v[k], n, 100);

			if (md)
				fprintf(f, "| %s | %d | %s | %.0f us | %.0f us | %.0f us | %.0f us | %s |\n",
					s->name, n, m_name[k], p50, p90, p99, mx,
					k >= M_REPLY ? "-" : p99 <= 2000 ? "**met**" : "**missed**");
			else
				fprintf(f, "%-34s %-40s %8.0f %8.0f %8.0f %8.0f\n", s->name, m_name[k],
					p50, p90, p99, mx);
		}
	}
	if (md) {
		fprintf(f, "\n");
		for (int i = 0; i < W.n_series; i++)
			fprintf(f, "%s: the first frame was forwarded before alice had her reply in "
				"%u of %d samples%s%s.\n", W.s[i].name, W.s[i].fwd_before_reply, W.s[i].n,
				W.s[i].load ? "; background " : "",
				W.s[i].load ? "POSTs answered meanwhile" : "");
		for (int i = 0; i < W.n_series; i++)
			if (W.s[i].load)
				fprintf(f, "The background of \"%s\": POSTs sent at %u per second "
					"from %d clients (open loop), %.0f answered per second.\n",
					W.s[i].name, W.s[i].load, W.n_bg, W.s[i].bg_rate);
	}
	for (int i = 0; i < W.n_series && !md; i++) {
		double p = pct(W.s[i].v[M_FWD], W.s[i].n, 99);

		fprintf(f, "TARGET call setup p99 (first frame), %-12s wanted <= 2000 us, got %.0f: "
			"%s\n", W.s[i].load ? "under load" : "idle", p, p <= 2000 ? "met" : "MISSED");
	}
}

static void write_tsv(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return;
	fprintf(f, "series\tsample\tmap_us\tfirst_frame_us\treply_us\n");
	for (int i = 0; i < W.n_series; i++)
		for (int k = 0; k < W.s[i].n; k++)
			fprintf(f, "%s\t%d\t%.1f\t%.1f\t%.1f\n", W.s[i].load ? "load" : "idle", k,
				W.s[i].v[M_MAP][k], W.s[i].v[M_FWD][k], W.s[i].v[M_REPLY][k]);
	fclose(f);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: paw-bench-setup [OPTIONS]\n"
		"  -n N        samples per series (1000)\n"
		"  -l RATE     background POSTs per second in the loaded series (5000;\n"
		"              0: no such series)\n"
		"  -t SECONDS  time bound of each series (15)\n"
		"  --cpus P,G  pawd's CPU and the measuring loop's (0,1)\n"
		"  --smoke     a few samples; fails only when broken\n"
		"  -o FILE     every sample as TSV;  --md FILE: summary\n"
		"  -v          more detail\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "smoke", no_argument, NULL, 'S' },
		{ "md", required_argument, NULL, 'M' },
		{ "cpus", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static const char *const roles[] = { "alice", "bob" };
	struct hx_conf conf = {
		.group_commit = true, .max_clients = 65536, .max_calls = 1048576,
		.client_max_calls = 8, .postbox_max = 1000000, .log_level = "info",
	};
	const char *tsv = NULL, *mdp = NULL;
	int verbose = PAW_LOG_INFO, ch, err, load = 5000;
	__u8 a_mac[6], port_a[6];
	char path[160];

	W.samples = 1000;
	W.max_s = 15;
	W.pawd_cpu = 0;
	W.gen_cpu = 1;
	while ((ch = getopt_long(argc, argv, "n:l:t:o:vh", lopts, NULL)) != -1) {
		switch (ch) {
		case 'n': W.samples = atoi(optarg); break;
		case 't': W.max_s = atoi(optarg); break;
		case 'l': load = atoi(optarg); break;
		case 'C':
			if (sscanf(optarg, "%d,%d", &W.pawd_cpu, &W.gen_cpu) != 2) {
				usage(stderr);
				return 2;
			}
			break;
		case 'o': tsv = optarg; break;
		case 'M': mdp = optarg; break;
		case 'S': W.smoke = true; break;
		case 'v': verbose = PAW_LOG_DEBUG; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (W.smoke) {
		W.samples = 30;
		load = 1000;
	}
	if (W.samples < 1 || W.samples > 100000 || load < 0 || load > 100000 || W.max_s < 1) {
		fprintf(stderr, "paw-bench-setup: -n 1..100000, -l 0..100000, -t 1..\n");
		return 2;
	}
	paw_log_init("paw-bench-setup", verbose, false);
	paw_log_libbpf();
	if (geteuid() != 0) {
		pr_err("Needs root: network namespaces, BPF, pawd\n");
		return 77;
	}
	if (online_cpus() < 2)
		W.gen_cpu = W.pawd_cpu;
	bench_signals();
	W.a_udp = W.a_raw = W.b_udp = W.bg_udp = W.map_fd = -1;
	err = hx_init(&W.h);
	if (!err)
		err = hx_topology(&W.h, roles, 2, true, -1);
	if (!err)
		err = hx_nsexec(&W.h, 0, "ip addr add 10.79.0.1/24 dev eth0");
	if (!err)
		err = hx_nsexec(&W.h, 1, "ip addr add 10.79.0.2/24 dev eth0");
	if (!err)
		err = hx_pawd_config(&W.h, &conf);
	if (!err)
		err = hx_pawd_start(&W.h, W.pawd_cpu);
	if (err)
		goto out;

	/* alice and bob with their eth0's MACs; the posters on alice's port. */
	W.n_bg = load ? N_POSTERS : 0;
	for (int i = 0; i < 2 + W.n_bg; i++) {
		struct hx_client *c = &W.cl[i];
		int ns = i == 1;

		if (i < 2)
			snprintf(c->name, sizeof(c->name), "%s", roles[i]);
		else
			snprintf(c->name, sizeof(c->name), "poster%03d", i - 2);
		c->ipv4 = htonl(i == 0 ? A_IP : i == 1 ? B_IP : BG_BASE + i);
		if (paw_mac_parse(W.h.ns[ns].mac, c->mac)) {
			err = -EINVAL;
			goto out;
		}
		if (i >= 2)
			c->mac[5] = (__u8)i;
	}
	if (hx_enrol(&W.h, &W.cl[0], 1, W.h.ns[0].port) != 1 ||
	    hx_enrol(&W.h, &W.cl[1], 1, W.h.ns[1].port) != 1 ||
	    (W.n_bg && hx_enrol(&W.h, &W.cl[2], W.n_bg, W.h.ns[0].port) != W.n_bg)) {
		pr_err("Couldn't enrol the clients\n");
		err = -EIO;
		goto out;
	}
	pin_task(0, W.gen_cpu);
	err = register_in(0, 0, 1);
	if (!err)
		err = register_in(1, 1, 2);
	if (!err)
		err = register_in(0, 2, 2 + W.n_bg);
	if (err)
		goto out;

	/* Sockets: alice's requests and frames, bob's frames, the posters. */
	W.a_udp = udp_sock_in(0, 0, 0);
	W.bg_udp = udp_sock_in(0, 0, 0);
	W.a_raw = raw_sock_in(0, a_mac);
	W.b_udp = udp_sock_in(1, B_IP, 9);
	snprintf(path, sizeof(path), "%s/" PAW_MAP_CALLS, W.h.pin);
	W.map_fd = bpf_obj_get(path);
	if (W.a_udp < 0 || W.bg_udp < 0 || W.a_raw < 0 || W.b_udp < 0 || W.map_fd < 0 ||
	    port_mac(W.h.ns[0].port, port_a)) {
		pr_err("Couldn't open the measuring sockets or the pinned map\n");
		err = -EIO;
		goto out;
	}
	{
		int big = 4 << 20;

		setsockopt(W.bg_udp, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	}
	frame_udp4(W.frame, port_a, a_mac, A_IP, B_IP);
	hx_leave(&W.h);

	W.s[0].name = "idle pawd";
	err = run_series(&W.s[W.n_series++]);
	if (!err && load) {
		W.s[1].name = "pawd busy with POSTs";
		W.s[1].load = load;
		err = run_series(&W.s[W.n_series++]);
	}
	if (err || bench_stop)
		goto out;
	for (int i = 0; i < W.n_series; i++)
		if (!W.s[i].n || W.s[i].failed > (__u32)W.s[i].n / 10)
			err = -EIO;
	report(stdout, false);
	if (mdp) {
		FILE *f = fopen(mdp, "we");

		if (f) {
			report(f, true);
			fclose(f);
		}
	}
	if (tsv)
		write_tsv(tsv);
out:
	hx_leave(&W.h);
	hx_cleanup(&W.h);
	for (int i = 0; i < 2; i++)
		for (int m = 0; m < M_MAX; m++)
			free(W.s[i].v[m]);
	if (err && !bench_stop)
		pr_err("paw-bench-setup failed: %s\n", strerror(-err));
	return err ? 1 : 0;
}
