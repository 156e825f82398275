/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging for programs (pawd, pawctl, tools). Library code returns error
 * codes and never logs. One wording everywhere: "Couldn't attach on
 * 'pa': Device or resource busy".
 */
#ifndef PAW_LOG_H
#define PAW_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <linux/types.h>

enum paw_log_level {
	PAW_LOG_ERR = 0,
	PAW_LOG_WARN,
	PAW_LOG_INFO,
	PAW_LOG_DEBUG,
};

/* ident: program name; to_syslog: syslog(3) instead of stderr. */
void paw_log_init(const char *ident, int level, bool to_syslog);
void paw_log_set_level(int level);
int paw_log_level(void);
/* "err", "warn", "info", "debug" -> level; -1 when unknown. */
int paw_log_level_from_name(const char *name);
void paw_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void paw_vlog(int level, const char *fmt, va_list ap);

#define pr_err(...)   paw_log(PAW_LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  paw_log(PAW_LOG_WARN, __VA_ARGS__)
#define pr_info(...)  paw_log(PAW_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) paw_log(PAW_LOG_DEBUG, __VA_ARGS__)

/* Route libbpf's messages into this log, one level lower than libbpf
 * gives them (its warnings are debug detail for an operator). */
void paw_log_libbpf(void);

/* At most `burst` events per `interval_ms`; counts what it suppresses. */
struct paw_ratelimit {
	__u64 interval_ms;
	__u32 burst;
	__u64 begin_ms;
	__u32 printed;
	__u64 missed;
};
#define PAW_RATELIMIT_INIT(iv, b) { .interval_ms = (iv), .burst = (b) }
/* true: go ahead and log. *missed (optional) gets the count suppressed
 * since the last window that logged, once, when a new window opens. */
bool paw_ratelimit(struct paw_ratelimit *rl, __u64 now_ms, __u64 *missed);

#endif /* PAW_LOG_H */
