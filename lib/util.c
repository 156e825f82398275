// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "util.h"

/* ASCII only, whatever the locale says isalnum() means. */
static bool ascii_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool paw_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > PAW_NAME_MAX || !ascii_alnum(name[0]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = name[i];

		if (!ascii_alnum(c) && c != '.' && c != '_' && c != '-')
			return false;
	}
	return true;
}

int paw_mac_parse(const char *s, __u8 mac[6])
{
	unsigned int b[6];
	char tail;

	if (!s || strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[i * 3]) || !isxdigit((unsigned char)s[i * 3 + 1]))
			return -EINVAL;
		mac[i] = (__u8)b[i];
	}
	return 0;
}

char *paw_mac_format(const __u8 mac[6], char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	return buf;
}

int paw_ipv4_parse(const char *s, __be32 *addr)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*addr = a.s_addr;
	return 0;
}

int paw_parse_u64(const char *s, __u64 *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

int paw_parse_u32(const char *s, __u32 min, __u32 max, __u32 *out)
{
	__u64 v;
	int err = paw_parse_u64(s, &v);

	if (err)
		return err;
	if (v < min || v > max)
		return -ERANGE;
	*out = (__u32)v;
	return 0;
}

int paw_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; s && i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

int paw_secret_from_hex(const char *hex, __u8 secret[PAW_SECRET_LEN])
{
	size_t len = 0;
	const char *end;

	if (!hex || strlen(hex) != PAW_SECRET_HEX)
		return -EINVAL;
	if (sodium_hex2bin(secret, PAW_SECRET_LEN, hex, PAW_SECRET_HEX, NULL, &len, &end) ||
	    len != PAW_SECRET_LEN || *end)
		return -EINVAL;
	return 0;
}

void paw_secret_to_hex(const __u8 secret[PAW_SECRET_LEN], char hex[PAW_SECRET_HEX + 1])
{
	sodium_bin2hex(hex, PAW_SECRET_HEX + 1, secret, PAW_SECRET_LEN);
}

int paw_secret_read(const char *path, __u8 secret[PAW_SECRET_LEN])
{
	char line[PAW_SECRET_HEX + 8];
	FILE *f = fopen(path, "re");
	int err = 0;

	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f))
		err = -EINVAL;
	fclose(f);
	if (err)
		return err;
	line[strcspn(line, "\r\n")] = '\0';
	err = paw_secret_from_hex(line, secret);
	sodium_memzero(line, sizeof(line));
	return err;
}

int paw_secret_write(const char *path, const __u8 secret[PAW_SECRET_LEN], bool overwrite)
{
	char hex[PAW_SECRET_HEX + 2];
	int fd, err = 0;
	ssize_t n;

	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL), 0600);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600))
		err = -errno;
	paw_secret_to_hex(secret, hex);
	strcat(hex, "\n");
	n = write(fd, hex, strlen(hex));
	if (!err && n != (ssize_t)strlen(hex))
		err = n < 0 ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	sodium_memzero(hex, sizeof(hex));
	return err;
}

__u64 paw_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__u64 paw_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
