// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paw-bench-maps: the map side of the control plane (issue 7, part 3).
 *
 *   - time to program 1,048,576 paw_calls entries (524,288 calls, both
 *     directions): paw_sb_calls_write() in one batch and in chunks, one
 *     bpf_map_update_elem() per entry, and paw_sb_call_add() per call;
 *   - kernel memory of every Switchboard map at 65,536 clients and
 *     1,048,576 entries, as the kernel reports it (memlock in
 *     /proc/PID/fdinfo, what `bpftool map show` prints).
 *
 * Each method starts from freshly loaded, empty maps. Entries follow
 * bench_abi.h's layout; as pawd would, the batch methods build them from
 * clients and ports the program holds in memory, while paw_sb_call_add()
 * reads both from the maps.
 *
 * Runs in a private network namespace (unshare) with two veth ports.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "paw/switchboard.h"
#include "log.h"
#include "common.h"
#include "bench_abi.h"

static const __u8 MAC_P0[6] = { 0x02, 0x52, 0, 0, 0, 0x01 };
static const __u8 MAC_P1[6] = { 0x02, 0x52, 0, 0, 0, 0x02 };

enum method { M_BATCH, M_CHUNKS, M_UPDATE, M_CALL_ADD, M_MAX };

static const char *const method_name[M_MAX] = {
	[M_BATCH] = "paw_sb_calls_write(), one batch",
	[M_CHUNKS] = "paw_sb_calls_write(), chunks of 4096",
	[M_UPDATE] = "bpf_map_update_elem() per entry",
	[M_CALL_ADD] = "paw_sb_call_add() per call (2 entries)",
};

static const char *const map_names[] = {
	PAW_MAP_CALLS, PAW_MAP_CLIENTS, PAW_MAP_PORTS, PAW_MAP_TX_PORTS, PAW_MAP_BACKENDS,
	PAW_MAP_CONFIG, PAW_MAP_STATS, PAW_MAP_PORT_STATS, PAW_MAP_EVENTS,
};
#define NMAPS (sizeof(map_names) / sizeof(map_names[0]))

struct mapmem {
	char type[32];
	__u64 max_entries, key_size, value_size, memlock;
};

static struct {
	__u32 p0, p1;
	__u32 nentries, nclients;
	struct paw_sb *sb;
	double secs[M_MAX], build_s, open_s, clients_s;
	bool have[M_MAX];
	__u32 done[M_MAX];
	struct mapmem mem_empty[NMAPS], mem_full[NMAPS];
	bool smoke;
} W;

/* Ports alternate: client i on p0 when even, p1 when odd. */
static __u32 client_port(__u32 i)
{
	return i & 1 ? W.p1 : W.p0;
}

static void client_mac(__u32 i, __u8 *mac)
{
	__u8 m[6] = { 0x02, 0xcd, 0, 0, (__u8)(i >> 8), (__u8)i };

	memcpy(mac, m, 6);
}

static int sb_fresh(void)
{
	struct paw_sb_opts o = { .pin_dir = "", .max_calls = W.nentries,
				 .max_clients = W.nclients };
	char why[256] = "";
	__u64 t0;
	int err;

	paw_sb_close(W.sb);
	W.sb = NULL;
	o.errbuf = why;
	o.errlen = sizeof(why);
	t0 = now_ns();
	err = paw_sb_open(&W.sb, &o);
	W.open_s = (now_ns() - t0) / 1e9;
	if (!err)
		err = paw_sb_port_add(W.sb, W.p0, MAC_P0, 1500);
	if (!err)
		err = paw_sb_port_add(W.sb, W.p1, MAC_P1, 1500);
	if (err) {
		pr_err("Couldn't load the Switchboard: %s\n", why[0] ? why : strerror(-err));
		return err;
	}
	t0 = now_ns();
	for (__u32 i = 0; i < W.nclients && !err; i++) {
		struct paw_client c = { .ifindex = client_port(i), .client_id = i + 1,
					.flags = PAW_CLIENT_F_MAC_KNOWN };

		client_mac(i, c.mac);
		err = paw_sb_client_set(W.sb, htonl(PWB_CLIENT_BASE + i), &c);
	}
	W.clients_s = (now_ns() - t0) / 1e9;
	if (err)
		pr_err("Couldn't add the clients: %s\n", strerror(-err));
	return err;
}

/* As pawd would: from clients and ports it holds, no map reads. */
static void build(struct paw_call_key *keys, struct paw_call *calls)
{
	for (__u32 e = 0; e < W.nentries; e++) {
		__u32 s, d, si, di;

		pwb_entry(e, &s, &d);
		si = s - PWB_CLIENT_BASE;
		di = d - PWB_CLIENT_BASE;
		keys[e].src = htonl(s);
		keys[e].dst = htonl(d);
		memset(&calls[e], 0, sizeof(calls[e]));
		calls[e].ingress_ifindex = client_port(si);
		calls[e].egress_ifindex = client_port(di);
		client_mac(di, calls[e].dst_mac);
		memcpy(calls[e].src_mac, client_port(di) == W.p0 ? MAC_P0 : MAC_P1, 6);
		calls[e].egress_mtu = 1500;
		calls[e].flags = e & 1 ? PAW_CALL_F_REVERSE : 0;
		calls[e].call_id = e / 2 + 1;
	}
}

static int count_entries(__u32 *n)
{
	int fd = paw_sb_map_fd(W.sb, PAW_MAP_CALLS);
	struct paw_call_key k, next, *prev = NULL;
	__u32 c = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0 && c <= W.nentries) {
		k = next;
		prev = &k;
		c++;
	}
	*n = c;
	return 0;
}

static int mem_read(struct mapmem *out)
{
	for (size_t i = 0; i < NMAPS; i++) {
		char path[64], line[256];
		int fd = paw_sb_map_fd(W.sb, map_names[i]);
		FILE *f;

		memset(&out[i], 0, sizeof(out[i]));
		if (fd < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		f = fopen(path, "re");
		if (!f)
			return -errno;
		while (fgets(line, sizeof(line), f)) {
			unsigned long long v;
			unsigned int t;

			if (sscanf(line, "map_type: %u", &t) == 1)
				snprintf(out[i].type, sizeof(out[i].type), "%u", t);
			else if (sscanf(line, "max_entries: %llu", &v) == 1)
				out[i].max_entries = v;
			else if (sscanf(line, "key_size: %llu", &v) == 1)
				out[i].key_size = v;
			else if (sscanf(line, "value_size: %llu", &v) == 1)
				out[i].value_size = v;
			else if (sscanf(line, "memlock: %llu", &v) == 1)
				out[i].memlock = v;
		}
		fclose(f);
	}
	return 0;
}

static int run_method(int m, struct paw_call_key *keys, struct paw_call *calls)
{
	__u64 t0;
	int fd, err = 0, w;
	__u32 n = 0;

	if (sb_fresh())
		return -1;
	if (m == M_BATCH)
		mem_read(W.mem_empty);
	fd = paw_sb_map_fd(W.sb, PAW_MAP_CALLS);
	t0 = now_ns();
	switch (m) {
	case M_BATCH:
		w = paw_sb_calls_write(W.sb, keys, calls, W.nentries);
		err = w < 0 ? w : 0;
		break;
	case M_CHUNKS:
		for (__u32 e = 0; e < W.nentries && !err; e += 4096) {
			__u32 k = W.nentries - e < 4096 ? W.nentries - e : 4096;

			w = paw_sb_calls_write(W.sb, keys + e, calls + e, k);
			err = w < 0 ? w : w != (int)k ? -ENOSPC : 0;
		}
		break;
	case M_UPDATE: {
		size_t vs = paw_call_value_size(paw_sb_ctr_slots(W.sb));
		__u8 *v = calloc(1, vs);

		if (!v)
			return -ENOMEM;
		for (__u32 e = 0; e < W.nentries && !err && !bench_stop; e++) {
			memcpy(v, &calls[e], sizeof(calls[e]));
			if (bpf_map_update_elem(fd, &keys[e], v, BPF_ANY))
				err = -errno;
		}
		free(v);
		break;
	}
	case M_CALL_ADD:
		for (__u32 e = 0; e < W.nentries && !err && !bench_stop; e += 2)
			err = paw_sb_call_add(W.sb, keys[e].src, keys[e].dst, e / 2 + 1);
		break;
	}
	W.secs[m] = (now_ns() - t0) / 1e9;
	if (bench_stop)
		return -EINTR;
	if (err) {
		pr_err("%s failed: %s\n", method_name[m], strerror(-err));
		return err;
	}
	count_entries(&n);
	W.done[m] = n;
	W.have[m] = true;
	if (n != W.nentries) {
		pr_err("%s left %u entries, not %u\n", method_name[m], n, W.nentries);
		return -EBADMSG;
	}
	if (m == M_BATCH)
		mem_read(W.mem_full);
	pr_info("  %-40s %u entries in %.3f s\n", method_name[m], n, W.secs[m]);
	return 0;
}

static void report(FILE *f, bool md)
{
	char machine[256];
	__u64 total = 0, total_empty = 0;

	machine_line(machine, sizeof(machine));
	if (md) {
		fprintf(f, "\nProgramming %u paw_calls entries (%u calls, both directions) into "
			"freshly loaded maps with %u clients. Loading the Switchboard (maps "
			"allocated, program verified) took %.3f s; adding the clients one by one "
			"%.3f s; building the entries in memory %.3f s.\n\n",
			W.nentries, W.nentries / 2, W.nclients, W.open_s, W.clients_s, W.build_s);
		fprintf(f, "| method | entries | seconds | entries/s | target: 1,048,576 in <= 1 s |\n"
			"| --- | ---: | ---: | ---: | --- |\n");
	} else {
		fprintf(f, "\nMap programming: %s\n%u entries (%u calls) into fresh maps with %u "
			"clients. Load %.3f s, clients %.3f s, build %.3f s.\n%-42s %9s %8s %11s\n",
			machine, W.nentries, W.nentries / 2, W.nclients, W.open_s, W.clients_s,
			W.build_s, "method", "entries", "seconds", "entries/s");
	}
	for (int m = 0; m < M_MAX; m++) {
		double scaled;

		if (!W.have[m])
			continue;
		/* The target is for 1,048,576 entries; smaller runs scale. */
		scaled = W.secs[m] * 1048576.0 / W.nentries;
		if (md)
			fprintf(f, "| %s | %u | %.3f | %.0f | %s |\n", method_name[m], W.done[m],
				W.secs[m], W.done[m] / W.secs[m], scaled <= 1.0 ? "**met**" : "**missed**");
		else
			fprintf(f, "%-42s %9u %8.3f %11.0f\n", method_name[m], W.done[m], W.secs[m],
				W.done[m] / W.secs[m]);
	}

	if (!md && W.have[M_BATCH])
		fprintf(f, "TARGET 1,048,576 entries programmed, batch       wanted <= 1 s, got %.3f s "
			"per 1M: %s\n", W.secs[M_BATCH] * 1048576.0 / W.nentries,
			W.secs[M_BATCH] * 1048576.0 / W.nentries <= 1.0 ? "met" : "MISSED");
	if (md)
		fprintf(f, "\nKernel memory of the Switchboard's maps (memlock, as `bpftool map show` "
			"reports it), %u clients and %u call entries; hash maps are preallocated, so "
			"the figure is the same empty and full.\n\n| map | max entries | key | value | "
			"memlock empty | memlock full | per entry |\n| --- | ---: | ---: | ---: | ---: "
			"| ---: | ---: |\n", W.nclients, W.nentries);
	else
		fprintf(f, "\nKernel map memory (memlock):\n%-16s %10s %5s %6s %12s %12s %10s\n", "map",
			"max", "key", "value", "empty MiB", "full MiB", "B/entry");
	for (size_t i = 0; i < NMAPS; i++) {
		const struct mapmem *e = &W.mem_empty[i], *m = &W.mem_full[i];

		total += m->memlock;
		total_empty += e->memlock;
		if (md)
			fprintf(f, "| %s | %llu | %llu | %llu | %.2f MiB | %.2f MiB | %.0f B |\n",
				map_names[i], (unsigned long long)m->max_entries,
				(unsigned long long)m->key_size, (unsigned long long)m->value_size,
				e->memlock / 1048576.0, m->memlock / 1048576.0,
				m->max_entries ? (double)m->memlock / m->max_entries : 0);
		else
			fprintf(f, "%-16s %10llu %5llu %6llu %12.2f %12.2f %10.0f\n", map_names[i],
				(unsigned long long)m->max_entries, (unsigned long long)m->key_size,
				(unsigned long long)m->value_size, e->memlock / 1048576.0,
				m->memlock / 1048576.0,
				m->max_entries ? (double)m->memlock / m->max_entries : 0);
	}
	if (md)
		fprintf(f, "| **total** | | | | %.1f MiB | %.1f MiB | |\n", total_empty / 1048576.0,
			total / 1048576.0);
	else
		fprintf(f, "%-16s %10s %5s %6s %12.1f %12.1f\n", "total", "", "", "",
			total_empty / 1048576.0, total / 1048576.0);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: paw-bench-maps [OPTIONS]\n"
		"  -n N        paw_calls entries (1048576)\n"
		"  -k N        clients (65536)\n"
		"  --smoke     4096 entries and clients; fails only when broken\n"
		"  -o FILE     results as TSV;  --md FILE: summary\n"
		"  -v          more detail\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "smoke", no_argument, NULL, 'S' },
		{ "md", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *tsv = NULL, *mdp = NULL;
	struct paw_call_key *keys = NULL;
	struct paw_call *calls = NULL;
	int verbose = PAW_LOG_INFO, ch, err = 0;
	__u64 t0;

	W.nentries = 1048576;
	W.nclients = PWB_CLIENTS;
	while ((ch = getopt_long(argc, argv, "n:k:o:vh", lopts, NULL)) != -1) {
		switch (ch) {
		case 'n': W.nentries = (__u32)strtoul(optarg, NULL, 10); break;
		case 'k': W.nclients = (__u32)strtoul(optarg, NULL, 10); break;
		case 'o': tsv = optarg; break;
		case 'M': mdp = optarg; break;
		case 'S': W.smoke = true; break;
		case 'v': verbose = PAW_LOG_DEBUG; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (W.smoke) {
		W.nentries = 4096;
		W.nclients = 4096;
	}
	W.nentries &= ~1u;
	/* The layout pairs clients within a power of two; every entry must
	 * name registered clients. */
	if (W.nentries < 2 || W.nentries > (1u << 24) || W.nclients < 2 ||
	    W.nclients > PWB_CLIENTS || (W.nentries / 2 + 2 > W.nclients &&
					 W.nclients != PWB_CLIENTS)) {
		fprintf(stderr, "paw-bench-maps: -n 2..16M; -k up to %d, and either %d or more "
			"than n/2\n", PWB_CLIENTS, PWB_CLIENTS);
		return 2;
	}
	paw_log_init("paw-bench-maps", verbose, false);
	paw_log_libbpf();
	if (geteuid() != 0) {
		pr_err("Needs root: BPF and a network namespace\n");
		return 77;
	}
	bench_signals();
	if (unshare(CLONE_NEWNET)) {
		pr_err("Couldn't make a network namespace: %s\n", strerror(errno));
		return 1;
	}
	if (sh("ip link set lo up && ip link add p0 address 02:52:00:00:00:01 type veth "
	       "peer name p1 address 02:52:00:00:00:02 && ip link set p0 up && ip link set p1 up"))
		return 1;
	W.p0 = if_nametoindex("p0");
	W.p1 = if_nametoindex("p1");
	keys = calloc(W.nentries, sizeof(*keys));
	calls = calloc(W.nentries, sizeof(*calls));
	if (!W.p0 || !W.p1 || !keys || !calls) {
		err = 1;
		goto out;
	}
	t0 = now_ns();
	build(keys, calls);
	W.build_s = (now_ns() - t0) / 1e9;
	for (int m = 0; m < M_MAX && !err; m++)
		if (run_method(m, keys, calls))
			err = 1;
	if (err)
		goto out;
	report(stdout, false);
	if (mdp) {
		FILE *f = fopen(mdp, "we");

		if (f) {
			report(f, true);
			fclose(f);
		} else {
			pr_err("Couldn't write '%s': %s\n", mdp, strerror(errno));
		}
	}
	if (tsv) {
		FILE *f = fopen(tsv, "we");

		if (f) {
			fprintf(f, "method\tentries\tseconds\n");
			for (int m = 0; m < M_MAX; m++)
				fprintf(f, "%s\t%u\t%.4f\n", method_name[m], W.done[m], W.secs[m]);
			for (size_t i = 0; i < NMAPS; i++)
				fprintf(f, "memlock %s\t%llu\t%llu\n", map_names[i],
					(unsigned long long)W.mem_full[i].max_entries,
					(unsigned long long)W.mem_full[i].memlock);
			fclose(f);
		}
	}
out:
	free(keys);
	free(calls);
	paw_sb_close(W.sb);
	return err;
}
