// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pawctl monitor [drops|calls|ports|all] [count N]: live events from
 * pawd (drops from the Switchboard's ring buffer, calls, ports) until
 * SIGINT/SIGTERM (exit 0), N events (exit 0) or pawd going away (exit 1).
 *
 * With -j each event is pawd's own event object, unchanged, one per line
 * and flushed at once, so `pawctl -j monitor | jq` sees every member
 * pawd sends, including ones newer than this pawctl. -p does not apply:
 * a stream of documents is only usable one per line.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>

#include "pawctl.h"
#include "cleanup.h"

#define MONITOR_HELP "pawctl monitor help"

void usage_monitor(FILE *f)
{
	fprintf(f, "Usage: pawctl [ -j ] monitor [ drops | calls | ports | all ] [ count N ]\n");
}

static volatile sig_atomic_t monitor_stop;

static void on_signal(int sig)
{
	(void)sig;
	monitor_stop = 1;
}

static const char *proto_name(__u64 proto, char *buf, size_t len)
{
	switch (proto) {
	case 1: return "icmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 58: return "icmpv6";
	}
	snprintf(buf, len, "proto %llu", (unsigned long long)proto);
	return buf;
}

/* "10.77.0.1:40000", "[fd70::1]:53", or the address alone. */
static void print_endpoint(FILE *f, const json_t *ev, const char *addr_key,
			   const char *port_key)
{
	const char *addr = jstr(ev, addr_key);
	bool v6 = ju64(ev, "family") == 6;

	if (!addr) {
		fputc('-', f);
		return;
	}
	if (jhas(ev, port_key))
		fprintf(f, v6 ? "[%s]:%llu" : "%s:%llu", addr,
			(unsigned long long)ju64(ev, port_key));
	else
		fputs(addr, f);
}

static void print_event_text(FILE *f, const json_t *ev)
{
	const char *type = jstr(ev, "event");
	__u64 ms = ju64(ev, "ts_ms");
	char tbuf[32], pbuf[24];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms && localtime_r(&t, &tm) && strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm))
		fprintf(f, "%s.%03u ", tbuf, (unsigned int)(ms % 1000));
	if (!type)
		type = "?";
	if (!strcmp(type, "drop")) {
		fprintf(f, "drop %s port %s ", jstr(ev, "reason") ?: "-", jstr(ev, "port") ?: "-");
		print_endpoint(f, ev, "src", "sport");
		fputs(" > ", f);
		print_endpoint(f, ev, "dst", "dport");
		if (jhas(ev, "proto"))
			fprintf(f, " %s", proto_name(ju64(ev, "proto"), pbuf, sizeof(pbuf)));
		fprintf(f, " len %llu\n", (unsigned long long)ju64(ev, "len"));
	} else if (!strcmp(type, "call")) {
		fprintf(f, "call %s %s %s by %s\n", jstr(ev, "action") ?: "-",
			jstr(ev, "a") ?: "-", jstr(ev, "b") ?: "-", jstr(ev, "by") ?: "-");
	} else if (!strcmp(type, "port")) {
		fprintf(f, "port %s %s\n", jstr(ev, "action") ?: "-", jstr(ev, "port") ?: "-");
	} else if (!strcmp(type, "lost")) {
		fprintf(f, "lost %llu events\n", (unsigned long long)ju64(ev, "count"));
	} else {
		/* an event newer than this pawctl: show it as it came */
		char *s = json_dumps(ev, JSON_COMPACT);

		fprintf(f, "%s %s\n", type, s ? s : "");
		free(s);
	}
}

struct monitor_signals {
	struct sigaction old_int, old_term;
	sigset_t old_mask, wait_mask;
};

/*
 * SIGINT and SIGTERM stay blocked but while ppoll() waits for pawd, from
 * before the monitor request on: no signal is lost between checking the
 * flag and sleeping, and one that comes while pawd has not answered yet
 * ends pawctl as cleanly as one during the stream. No SA_RESTART, so
 * ppoll returns EINTR.
 */
static void monitor_signals_on(struct monitor_signals *ms)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &ms->old_mask);
	ms->wait_mask = ms->old_mask;
	sigdelset(&ms->wait_mask, SIGINT);
	sigdelset(&ms->wait_mask, SIGTERM);
	monitor_stop = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &ms->old_int);
	sigaction(SIGTERM, &sa, &ms->old_term);
}

static void monitor_signals_off(struct monitor_signals *ms)
{
	sigaction(SIGINT, &ms->old_int, NULL);
	sigaction(SIGTERM, &ms->old_term, NULL);
	pthread_sigmask(SIG_SETMASK, &ms->old_mask, NULL);
}

static int monitor_loop(struct pawctl *p, struct ctl_conn *c, __u32 count,
			const sigset_t *wait_mask)
{
	__u32 n = 0;
	int ret = PAWCTL_OK, err;

	/* Runs until a signal, `count` events or pawd closing: it is a
	 * stream by design, and each wait is interruptible. */
	while (!monitor_stop && (!count || n < count)) {
		json_t *ev = NULL;

		err = ctl_recv(c, &ev, -1, wait_mask);
		if (err == -EINTR)
			continue;
		if (err == -EPIPE || err == -ECONNRESET) {
			pawctl_error(p, "pawd closed the connection");
			ret = PAWCTL_FAIL;
			break;
		}
		if (err == -EBADMSG) {
			pawctl_error(p, "pawd sent a line that is not JSON");
			ret = PAWCTL_FAIL;
			break;
		}
		if (err) {
			pawctl_error(p, "reading events from pawd: %s", strerror(-err));
			ret = PAWCTL_FAIL;
			break;
		}
		if (!json_is_object(ev)) {
			json_decref(ev);
			continue;
		}
		if (p->json) {
			json_dumpf(ev, p->out, JSON_COMPACT);
			fputc('\n', p->out);
		} else {
			print_event_text(p->out, ev);
		}
		json_decref(ev);
		n++;
		if (fflush(p->out)) {
			/* stdout went away (a closed pipe): nobody is reading */
			ret = PAWCTL_FAIL;
			break;
		}
	}
	return ret;
}

int do_monitor(struct pawctl *p, int argc, char **argv)
{
	enum { K_DROPS, K_CALLS, K_PORTS, K_ALL, K_COUNT, K_HELP };
	static const char *const kws[] = { "drops", "calls", "ports", "all", "count", "help" };
	struct monitor_signals ms;
	const char *events = NULL;
	bool have_count = false;
	__u32 count = 0;
	json_t *r;
	int k, ret;

	for (argc--, argv++; argc > 0; argc--, argv++) {
		k = pawctl_keyword(p, argv[0], kws, PAW_ARRAY_SIZE(kws), MONITOR_HELP);
		if (k < 0)
			return PAWCTL_USAGE;
		if (k == K_HELP)
			return pawctl_help(p, usage_monitor);
		if (k == K_COUNT) {
			if (argc < 2)
				return pawctl_incomplete(p, MONITOR_HELP);
			argc--, argv++;
			if (have_count)
				return pawctl_duparg(p, "count", argv[0]);
			if (pawctl_arg_u32(p, argv[0], 1, UINT32_MAX, &count))
				return PAWCTL_USAGE;
			have_count = true;
			continue;
		}
		if (events)
			return pawctl_duparg(p, "events", argv[0]);
		events = kws[k];
	}
	monitor_signals_on(&ms);
	p->wait_mask = &ms.wait_mask;
	ret = pawctl_request(p, "monitor", json_pack("{ss}", "events", events ? events : "all"),
			     &r);
	p->wait_mask = NULL;
	if (ret) {
		/* interrupted before pawd answered: the user's stop */
		if (monitor_stop)
			ret = PAWCTL_OK;
	} else {
		json_decref(r);
		p->streamed = true;
		ret = monitor_loop(p, p->conn, count, &ms.wait_mask);
	}
	monitor_signals_off(&ms);
	return ret;
}
