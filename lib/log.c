// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <bpf/libbpf.h>

#include "log.h"

static struct {
	const char *ident;
	int level;
	bool syslog;
} L = { "paw", PAW_LOG_INFO, false };

void paw_log_init(const char *ident, int level, bool to_syslog)
{
	L.ident = ident;
	L.level = level;
	L.syslog = to_syslog;
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void paw_log_set_level(int level) { L.level = level; }
int paw_log_level(void) { return L.level; }

int paw_log_level_from_name(const char *name)
{
	static const char *const names[] = { "err", "warn", "info", "debug" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(name, names[i]))
			return i;
	if (!strcmp(name, "error"))
		return PAW_LOG_ERR;
	if (!strcmp(name, "warning"))
		return PAW_LOG_WARN;
	return -1;
}

void paw_vlog(int level, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *const tag[] = { "error: ", "warning: ", "", "debug: " };

	if (level > L.level || !fmt)
		return;
	if (level < PAW_LOG_ERR)
		level = PAW_LOG_ERR;
	if (level > PAW_LOG_DEBUG)
		level = PAW_LOG_DEBUG;
	if (L.syslog) {
		vsyslog(prio[level], fmt, ap);
		return;
	}
	fprintf(stderr, "%s: %s", L.ident, tag[level]);
	vfprintf(stderr, fmt, ap);
	if (!*fmt || fmt[strlen(fmt) - 1] != '\n')
		fputc('\n', stderr);
}

void paw_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	paw_vlog(level, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	paw_vlog(level == LIBBPF_WARN ? PAW_LOG_DEBUG : PAW_LOG_DEBUG + 1, fmt, ap);
	return 0;
}

void paw_log_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

bool paw_ratelimit(struct paw_ratelimit *rl, __u64 now_ms, __u64 *missed)
{
	if (missed)
		*missed = 0;
	if (!rl->begin_ms || now_ms - rl->begin_ms >= rl->interval_ms) {
		if (missed)
			*missed = rl->missed;
		rl->begin_ms = now_ms;
		rl->printed = 0;
		rl->missed = 0;
	}
	if (rl->printed < rl->burst) {
		rl->printed++;
		return true;
	}
	rl->missed++;
	return false;
}
