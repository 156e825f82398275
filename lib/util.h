/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small parsers and formatters shared by pawd, pawctl and libpawclient.
 * Host/network order conversion happens here and nowhere else. */
#ifndef PAW_UTIL_H
#define PAW_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#define PAW_NAME_MAX 32		/* client names: [A-Za-z0-9][A-Za-z0-9._-]{0,31} */
#define PAW_SECRET_LEN 32
#define PAW_SECRET_HEX (PAW_SECRET_LEN * 2)

bool paw_name_valid(const char *name);

/* "02:00:5e:10:00:01" <-> bytes. 0 or -EINVAL. */
int paw_mac_parse(const char *s, __u8 mac[6]);
/* buf of at least 18 bytes; returns buf. */
char *paw_mac_format(const __u8 mac[6], char *buf);

/* Dotted quad to network order; strict (inet_pton). 0 or -EINVAL. */
int paw_ipv4_parse(const char *s, __be32 *addr);

/* Decimal in [min, max], whole string. 0, -EINVAL or -ERANGE. */
int paw_parse_u32(const char *s, __u32 min, __u32 max, __u32 *out);
int paw_parse_u64(const char *s, __u64 *out);
/* yes/no, true/false, on/off, 1/0. 0 or -EINVAL. */
int paw_parse_bool(const char *s, bool *out);

/* Secrets as 64 lowercase hex characters (libsodium does the work). */
int paw_secret_from_hex(const char *hex, __u8 secret[PAW_SECRET_LEN]);
void paw_secret_to_hex(const __u8 secret[PAW_SECRET_LEN], char hex[PAW_SECRET_HEX + 1]);
/* First line of a file holding a hex secret. 0, -errno or -EINVAL. */
int paw_secret_read(const char *path, __u8 secret[PAW_SECRET_LEN]);
/* Write it with mode 0600 (O_EXCL unless overwrite). */
int paw_secret_write(const char *path, const __u8 secret[PAW_SECRET_LEN], bool overwrite);

__u64 paw_now_ms(void);		/* CLOCK_REALTIME, Unix ms */
__u64 paw_mono_ms(void);	/* CLOCK_MONOTONIC ms */

#endif /* PAW_UTIL_H */
