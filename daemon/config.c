// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pawd's configuration file (ManeHosCon), read with libinih.
 *
 * Debian's libinih (55) is built without INI_HANDLER_LINENO and without
 * INI_CALL_HANDLER_ON_NEW_SECTION, so the handler learns neither the line
 * it is called for nor that a section began. We therefore feed inih
 * through our own reader (ini_parse_stream): the reader sees every line
 * first, counts lines, opens sections (so an empty "[port eth1]" still
 * declares a port) and rejects lines inih would silently mangle. The
 * handler then only deals with "key = value", at the line the reader
 * last counted.
 *
 * The reader also strips leading whitespace before inih sees a line:
 * inih's default multi-line mode would otherwise take an indented
 * "mtu = 9000" as a continuation of the key above it.
 *
 * Parsing stops at the first error; its message is the only one.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <ini.h>

#include "cleanup.h"
#include "config.h"
#include "log.h"
#include "util.h"

/* Longer than any sane config; bounds a read of /dev/zero or a FIFO. */
#define CFG_MAX_LINES	100000
#define CFG_READ_BUF	1024

enum section {
	S_NONE = 0,
	S_EAR,
	S_PORT,
	S_POLICY,
	S_DATAPATH,
	S_STORE,
	S_CONTROL,
	S_LOG,
	S_LIMITS,
	S_DAEMON,
	S_MAX,
};

static const char *const section_names[S_MAX] = {
	[S_EAR] = "ear",
	[S_PORT] = "port",
	[S_POLICY] = "policy",
	[S_DATAPATH] = "datapath",
	[S_STORE] = "store",
	[S_CONTROL] = "control",
	[S_LOG] = "log",
	[S_LIMITS] = "limits",
	[S_DAEMON] = "daemon",
};

enum kind {
	K_BOOL,		/* bool */
	K_UINT,		/* __u8/__u16/__u32/int by size, in [min, max] */
	K_SECS,		/* like K_UINT, with an optional s/m/h/d suffix */
	K_STR,		/* char[size], not empty */
	K_PATH,		/* char[size], absolute (or empty when min == 1) */
	K_FN,		/* fn does it all */
};

struct parse;
struct key;
typedef int (*key_fn)(struct parse *p, const struct key *k, const char *val, void *dst);

struct key {
	const char *name;
	enum kind kind;
	size_t off;		/* into struct paw_cfg, or paw_cfg_port in [port] */
	size_t size;
	__u32 min, max;
	const char *what;	/* K_UINT/K_SECS: "'x' is not <what> (min-max)" */
	key_fn fn;
	bool repeat;		/* may be given more than once */
};

#define MAX_KEYS 12

struct section_def {
	enum section id;
	const struct key *keys;
	int n_keys;
};

struct parse {
	const char *path;
	struct paw_cfg *cfg;
	FILE *f;
	char *err;
	size_t errlen;
	bool failed;
	int lineno;
	int read_errno;			/* why reading stopped early */
	enum section sect;
	int port;			/* index into cfg->ports in S_PORT */
	int sect_line[S_MAX];		/* first line of each non-port section */
	int seen[S_MAX][MAX_KEYS];	/* line of each key; 0: not yet */
	int port_seen[PAW_CFG_MAX_PORTS][MAX_KEYS];
	char buf[CFG_READ_BUF];
};

static int fail(struct parse *p, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "PATH:LINE: KEY: what": the one message of a failed parse. */
static int fail(struct parse *p, const char *key, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (p->failed)
		return -EINVAL;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "%s:%d: %s: %s", p->path, p->lineno, key, what);
	return -EINVAL;
}

/* ---- value parsers ---- */

#define IFNAME_RULE "is not an interface name (1-%d characters, no '/', ':' or spaces)"

static bool ifname_valid(const char *s)
{
	size_t n = strlen(s);

	/* The kernel's dev_valid_name(). */
	if (n == 0 || n >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s) ||
		    !isprint((unsigned char)*s))
			return false;
	return true;
}

/* ip-netns(8) keeps names as files under /run/netns. */
static bool netns_name_valid(const char *s, size_t size)
{
	size_t n = strlen(s);

	if (n == 0 || n >= size || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || isspace((unsigned char)*s) || !isprint((unsigned char)*s))
			return false;
	return true;
}

static void store_uint(void *dst, size_t size, __u32 v)
{
	switch (size) {
	case 1: *(__u8 *)dst = (__u8)v; break;
	case 2: *(__u16 *)dst = (__u16)v; break;
	default: *(__u32 *)dst = v; break;	/* __u32 or a non-negative int */
	}
}

/* Seconds, or a number with s, m, h or d. */
static int parse_secs(const char *s, __u32 min, __u32 max, __u32 *out)
{
	static const struct { char c; __u32 mult; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	char num[24];
	size_t n = strlen(s);
	__u32 mult = 1;
	__u64 v;

	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n + 1);
	for (size_t i = 0; i < PAW_ARRAY_SIZE(units); i++) {
		if (n > 1 && num[n - 1] == units[i].c) {
			num[n - 1] = '\0';
			mult = units[i].mult;
			break;
		}
	}
	if (paw_parse_u64(num, &v) || v > max / mult || v * mult < min)
		return -EINVAL;
	*out = (__u32)(v * mult);
	return 0;
}

static int parse_addr_prefix(const char *val, struct paw_cfg_addr *a, const char **why)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(val, '/');
	size_t n = slash ? (size_t)(slash - val) : 0;
	__u32 plen;

	*why = "is not an address with a prefix length (A.B.C.D/N or IPv6/N)";
	if (!slash || n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, val, n);
	buf[n] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, &a->v4) == 1) {
		__u32 h = ntohl(a->v4.s_addr);

		a->family = AF_INET;
		if (paw_parse_u32(slash + 1, 1, 32, &plen)) {
			*why = "has no prefix length in 1-32";
			return -EINVAL;
		}
		if (h == 0 || h == 0xffffffff || IN_MULTICAST(h)) {
			*why = "is not a unicast IPv4 address";
			return -EINVAL;
		}
	} else if (inet_pton(AF_INET6, buf, &a->v6) == 1) {
		a->family = AF_INET6;
		if (paw_parse_u32(slash + 1, 1, 128, &plen)) {
			*why = "has no prefix length in 1-128";
			return -EINVAL;
		}
		if (IN6_IS_ADDR_UNSPECIFIED(&a->v6) || IN6_IS_ADDR_MULTICAST(&a->v6)) {
			*why = "is not a unicast IPv6 address";
			return -EINVAL;
		}
	} else {
		return -EINVAL;
	}
	a->prefixlen = (__u8)plen;
	return 0;
}

static bool addr_equal(const struct paw_cfg_addr *a, const struct paw_cfg_addr *b)
{
	if (a->family != b->family || a->prefixlen != b->prefixlen)
		return false;
	if (a->family == AF_INET)
		return a->v4.s_addr == b->v4.s_addr;
	return IN6_ARE_ADDR_EQUAL(&a->v6, &b->v6);
}

/* ---- keys with their own rules ---- */

static int key_ear_address(struct parse *p, const struct key *k, const char *val, void *dst)
{
	struct paw_cfg *cfg = p->cfg;
	struct in6_addr a;
	struct in_addr v4;

	(void)dst;
	if (inet_pton(AF_INET6, val, &a) != 1) {
		if (inet_pton(AF_INET, val, &v4) == 1)
			return fail(p, k->name, "'%s' is IPv4; the ear listens on IPv6", val);
		return fail(p, k->name, "'%s' is not an IPv6 address", val);
	}
	if (IN6_IS_ADDR_MULTICAST(&a))
		return fail(p, k->name, "'%s' is a multicast address", val);
	if (IN6_IS_ADDR_UNSPECIFIED(&a))
		return fail(p, k->name, "'%s' is the unspecified address", val);
	/* The Switchboard matches the IPv6 header's destination; a mapped
	 * IPv4 address never appears there. */
	if (IN6_IS_ADDR_V4MAPPED(&a))
		return fail(p, k->name, "'%s' is an IPv4-mapped address", val);
	for (int i = 0; i < cfg->n_ear_addrs; i++)
		if (IN6_ARE_ADDR_EQUAL(&cfg->ear_addrs[i], &a))
			return fail(p, k->name, "'%s' is listed twice", val);
	if (cfg->n_ear_addrs >= PAW_MAX_BACKENDS)
		return fail(p, k->name, "too many addresses (at most %d)", PAW_MAX_BACKENDS);
	cfg->ear_addrs[cfg->n_ear_addrs++] = a;
	return 0;
}

static int key_port_address(struct parse *p, const struct key *k, const char *val, void *dst)
{
	struct paw_cfg_port *port = dst;
	struct paw_cfg_addr a;
	const char *why;

	if (parse_addr_prefix(val, &a, &why))
		return fail(p, k->name, "'%s' %s", val, why);
	for (int i = 0; i < port->n_addrs; i++)
		if (addr_equal(&port->addrs[i], &a))
			return fail(p, k->name, "'%s' is listed twice", val);
	if (port->n_addrs >= PAW_CFG_MAX_ADDRS)
		return fail(p, k->name, "too many addresses (at most %d)", PAW_CFG_MAX_ADDRS);
	port->addrs[port->n_addrs++] = a;
	return 0;
}

static int key_create(struct parse *p, const struct key *k, const char *val, void *dst)
{
	struct paw_cfg_port *port = dst;

	if (!strcasecmp(val, "existing"))
		port->create = PAW_PORT_EXISTING;
	else if (!strcasecmp(val, "veth"))
		port->create = PAW_PORT_VETH;
	else if (!strcasecmp(val, "tap"))
		port->create = PAW_PORT_TAP;
	else
		return fail(p, k->name, "'%s' is not one of existing, veth, tap", val);
	return 0;
}

static int key_peer(struct parse *p, const struct key *k, const char *val, void *dst)
{
	struct paw_cfg_port *port = dst;

	if (!ifname_valid(val))
		return fail(p, k->name, "'%s' " IFNAME_RULE, val, IF_NAMESIZE - 1);
	if (!strcmp(val, port->name))
		return fail(p, k->name, "'%s' is the port itself", val);
	snprintf(port->peer, sizeof(port->peer), "%s", val);
	return 0;
}

static int key_peer_netns(struct parse *p, const struct key *k, const char *val, void *dst)
{
	struct paw_cfg_port *port = dst;

	if (!netns_name_valid(val, sizeof(port->peer_netns)))
		return fail(p, k->name,
			    "'%s' is not a network namespace name (1-%zu characters, no '/' or spaces)",
			    val, sizeof(port->peer_netns) - 1);
	snprintf(port->peer_netns, sizeof(port->peer_netns), "%s", val);
	return 0;
}

static int key_xdp_mode(struct parse *p, const struct key *k, const char *val, void *dst)
{
	struct paw_cfg_port *port = dst;

	if (!strcasecmp(val, "auto"))
		port->xdp_mode = PAW_XDP_AUTO;
	else if (!strcasecmp(val, "native"))
		port->xdp_mode = PAW_XDP_NATIVE;
	else if (!strcasecmp(val, "generic"))
		port->xdp_mode = PAW_XDP_GENERIC;
	else
		return fail(p, k->name, "'%s' is not one of auto, native, generic", val);
	return 0;
}

static int key_mtu(struct parse *p, const struct key *k, const char *val, void *dst)
{
	struct paw_cfg_port *port = dst;
	__u32 v;

	/* 68: the IPv4 minimum (RFC 791); the kernel refuses less. */
	if (paw_parse_u32(val, 0, 65535, &v) || (v && v < 68))
		return fail(p, k->name, "'%s' is not an MTU (68-65535, or 0 to leave it)", val);
	port->mtu = v;
	return 0;
}

static int key_policy(struct parse *p, const struct key *k, const char *val, void *dst)
{
	(void)dst;
	if (!strcasecmp(val, "pass"))
		p->cfg->default_policy = PAW_POLICY_PASS;
	else if (!strcasecmp(val, "drop"))
		p->cfg->default_policy = PAW_POLICY_DROP;
	else
		return fail(p, k->name, "'%s' is not a policy (pass or drop)", val);
	return 0;
}

static int key_backend(struct parse *p, const struct key *k, const char *val, void *dst)
{
	(void)dst;
	/* Only the embedded store exists today; the word keeps room for
	 * a shared one (etcd) without changing the file format. */
	if (strcmp(val, "sqlite"))
		return fail(p, k->name, "'%s' is not a backend (sqlite)", val);
	snprintf(p->cfg->store_backend, sizeof(p->cfg->store_backend), "%s", val);
	return 0;
}

static int key_group(struct parse *p, const struct key *k, const char *val, void *dst)
{
	struct paw_cfg *cfg = p->cfg;
	struct group gr, *res = NULL;
	long hint = sysconf(_SC_GETGR_R_SIZE_MAX);
	size_t len = hint > 0 ? (size_t)hint : 1024;
	char *buf = NULL;
	int err = ERANGE;

	(void)dst;
	if (!*val || strlen(val) >= sizeof(cfg->ctl_group))
		return fail(p, k->name, "'%s' is not a group name (1-%zu characters)", val,
			    sizeof(cfg->ctl_group) - 1);
	/* Big groups need more than the hint; 1 MiB is plenty. */
	for (; err == ERANGE && len <= (1 << 20); len *= 2) {
		char *nbuf = realloc(buf, len);

		if (!nbuf) {
			err = ENOMEM;
			break;
		}
		buf = nbuf;
		err = getgrnam_r(val, &gr, buf, len, &res);
	}
	/* glibc says "no such group" with 0 and NULL; others use these. */
	if (err == ENOENT || err == ESRCH)
		err = 0;
	if (!err && res)
		cfg->ctl_gid = gr.gr_gid;
	free(buf);
	if (err)
		return fail(p, k->name, "cannot look up group '%s': %s", val, strerror(err));
	if (!res)
		return fail(p, k->name, "'%s' is not a group on this system", val);
	snprintf(cfg->ctl_group, sizeof(cfg->ctl_group), "%s", val);
	return 0;
}

static int key_log_level(struct parse *p, const struct key *k, const char *val, void *dst)
{
	int level = paw_log_level_from_name(val);

	(void)dst;
	if (level < 0)
		return fail(p, k->name, "'%s' is not a log level (err, warn, info, debug)", val);
	p->cfg->log_level = level;
	return 0;
}

static int key_log_target(struct parse *p, const struct key *k, const char *val, void *dst)
{
	(void)dst;
	if (!strcmp(val, "stderr"))
		p->cfg->log_syslog = false;
	else if (!strcmp(val, "syslog"))
		p->cfg->log_syslog = true;
	else
		return fail(p, k->name, "'%s' is not a log target (stderr or syslog)", val);
	return 0;
}

/* ---- the sections and their keys ---- */

#define F(s, f)		offsetof(s, f), sizeof(((s *)0)->f)
#define C(f)		F(struct paw_cfg, f)
#define P(f)		F(struct paw_cfg_port, f)

#define BOOL(n, f)			{ .name = n, .kind = K_BOOL, f }
#define UINT(n, f, lo, hi, w)		{ .name = n, .kind = K_UINT, f, lo, hi, w }
#define SECS(n, f, lo, hi)		{ .name = n, .kind = K_SECS, f, lo, hi, "a duration" }
#define STR(n, f)			{ .name = n, .kind = K_STR, f }
#define PATHK(n, f, may_be_empty)	{ .name = n, .kind = K_PATH, f, may_be_empty }
#define FN(n, fn_)			{ .name = n, .kind = K_FN, .fn = fn_ }
#define FNR(n, fn_)			{ .name = n, .kind = K_FN, .fn = fn_, .repeat = true }

static const struct key ear_keys[] = {	/* EK_* index it */
	FNR("address", key_ear_address),
	STR("name", C(ear_name)),
	UINT("port", C(ear_port), 1, 65535, "a port"),
	BOOL("udp", C(ear_udp)),
	BOOL("tcp", C(ear_tcp)),
	UINT("backlog", C(ear_backlog), 1, 65535, "a backlog"),
	UINT("max_connections", C(ear_max_conns), 1, 1048576, "a connection count"),
	SECS("idle_timeout", C(ear_idle_timeout_s), 1, 86400),
	SECS("replay_window", C(ear_replay_window_s), 1, 3600),
	UINT("rate", C(ear_rate), 0, 1000000, "a rate"),
};

enum { EK_UDP = 3, EK_TCP = 4 };	/* indexes into ear_keys */

static const struct key port_keys[] = {
	FN("create", key_create),
	FN("peer", key_peer),
	FN("peer_netns", key_peer_netns),
	FNR("address", key_port_address),
	BOOL("proxy_arp", P(proxy_arp)),
	FN("xdp_mode", key_xdp_mode),
	FN("mtu", key_mtu),
};
enum { PK_CREATE, PK_PEER, PK_PEER_NETNS };	/* indexes into port_keys */

static const struct key policy_keys[] = {
	FN("default", key_policy),
};

static const struct key datapath_keys[] = {
	PATHK("pin_dir", C(pin_dir), 0),
	UINT("max_clients", C(max_clients), 1, 1 << 24, "a table size"),
	UINT("max_calls", C(max_calls), 1, 1 << 26, "a table size"),
	BOOL("detach_on_exit", C(detach_on_exit)),
};

static const struct key store_keys[] = {
	FN("backend", key_backend),
	PATHK("path", C(store_path), 0),
	BOOL("group_commit", C(group_commit)),
};

static const struct key control_keys[] = {
	PATHK("socket", C(ctl_socket), 0),
	FN("group", key_group),
};

static const struct key log_keys[] = {
	FN("level", key_log_level),
	FN("target", key_log_target),
};

static const struct key limits_keys[] = {
	UINT("max_calls", C(default_max_calls), 0, 65535, "a call count"),
	UINT("postbox_max", C(default_postbox_max), 0, 1000000, "a message count"),
	SECS("retention", C(default_retention_s), 1, 315360000),
};

static const struct key daemon_keys[] = {
	PATHK("pidfile", C(pidfile), 1),
};

#define SECT(id, keys) [id] = { id, keys, (int)PAW_ARRAY_SIZE(keys) }
static const struct section_def sections[S_MAX] = {
	SECT(S_EAR, ear_keys),
	SECT(S_PORT, port_keys),
	SECT(S_POLICY, policy_keys),
	SECT(S_DATAPATH, datapath_keys),
	SECT(S_STORE, store_keys),
	SECT(S_CONTROL, control_keys),
	SECT(S_LOG, log_keys),
	SECT(S_LIMITS, limits_keys),
	SECT(S_DAEMON, daemon_keys),
};

/* ---- lines and sections (the reader) ---- */

static char *strip(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int open_port(struct parse *p, const char *name, const char *hdr)
{
	struct paw_cfg *cfg = p->cfg;
	struct paw_cfg_port *port;

	if (!ifname_valid(name))
		return fail(p, hdr, "'%s' " IFNAME_RULE, name, IF_NAMESIZE - 1);
	for (int i = 0; i < cfg->n_ports; i++)
		if (!strcmp(cfg->ports[i].name, name))
			return fail(p, hdr, "port '%s' is already defined at line %d", name,
				    cfg->ports[i].line);
	if (cfg->n_ports >= PAW_CFG_MAX_PORTS)
		return fail(p, hdr, "too many ports (at most %d)", PAW_CFG_MAX_PORTS);
	port = &cfg->ports[cfg->n_ports];
	memset(port, 0, sizeof(*port));
	snprintf(port->name, sizeof(port->name), "%s", name);
	port->create = PAW_PORT_EXISTING;
	port->xdp_mode = PAW_XDP_AUTO;
	/* Clients share a subnet: each port answers ARP for the others. */
	port->proxy_arp = true;
	port->line = p->lineno;
	p->port = cfg->n_ports++;
	p->sect = S_PORT;
	return 0;
}

/* line: stripped, starting with '['. */
static int open_section(struct parse *p, char *line)
{
	char hdr[64], *close = strchr(line, ']'), *rest, *word, *arg;

	if (!close)
		return fail(p, line, "no closing ']'");
	*close = '\0';
	rest = strip(close + 1);
	word = strip(line + 1);
	snprintf(hdr, sizeof(hdr), "[%s]", word);
	if (*rest && *rest != ';' && *rest != '#')
		return fail(p, hdr, "unexpected '%s' after ']'", rest);
	arg = word + strcspn(word, " \t");
	if (*arg) {
		*arg++ = '\0';
		arg = strip(arg);
	}
	for (int s = S_NONE + 1; s < S_MAX; s++) {
		if (strcmp(word, section_names[s]))
			continue;
		if (s == S_PORT) {
			if (!*arg)
				return fail(p, hdr, "needs an interface name: [port NAME]");
			return open_port(p, arg, hdr);
		}
		if (*arg)
			return fail(p, hdr, "takes no name: [%s]", word);
		if (p->sect_line[s])
			return fail(p, hdr, "section repeated (first at line %d)", p->sect_line[s]);
		p->sect_line[s] = p->lineno;
		p->sect = s;
		return 0;
	}
	return fail(p, hdr, "unknown section");
}

/* An ini_reader: hands inih one stripped line at a time, ending in
 * '\n' and always shorter than num, so inih never splits a line and
 * our count stays its count. NULL ends the parse: at EOF, or at the
 * first error. */
static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	char *line, *eq, *colon;
	size_t n;

	if (p->failed)
		return NULL;
	if (!fgets(p->buf, sizeof(p->buf), p->f)) {
		if (ferror(p->f))
			p->read_errno = errno ? errno : EIO;
		return NULL;
	}
	if (++p->lineno > CFG_MAX_LINES) {
		fail(p, "file", "too long (at most %d lines)", CFG_MAX_LINES);
		return NULL;
	}
	n = strlen(p->buf);
	if (n == sizeof(p->buf) - 1 && p->buf[n - 1] != '\n' && !feof(p->f)) {
		fail(p, "line", "too long (at most %d characters)", num - 2);
		return NULL;
	}
	line = p->buf;
	if (p->lineno == 1 && !strncmp(line, "\xef\xbb\xbf", 3))
		line += 3;	/* UTF-8 byte order mark */
	line = strip(line);
	n = strlen(line);
	if (num < 3 || n > (size_t)num - 2) {
		fail(p, "line", "too long (at most %d characters)", num - 2);
		return NULL;
	}

	if (*line == '[') {
		char copy[CFG_READ_BUF];

		/* open_section() cuts its copy up; inih gets the header
		 * intact and tracks its own section name. */
		memcpy(copy, line, n + 1);
		if (open_section(p, copy))
			return NULL;
	} else if (*line && *line != ';' && *line != '#') {
		/* inih splits at the first '=' or ':'; we only have '='
		 * (addresses are full of ':'). */
		eq = strchr(line, '=');
		colon = strchr(line, ':');
		if (!eq || (colon && colon < eq) || eq == line) {
			char shown[48];

			snprintf(shown, sizeof(shown), "%.40s", line);
			fail(p, shown, "expected 'key = value' or '[section]'");
			return NULL;
		}
	}
	memcpy(str, line, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

/* ---- keys (the handler) ---- */

static int set_value(struct parse *p, const struct key *k, const char *val, void *base)
{
	void *dst = (char *)base + k->off;
	__u32 v;
	bool b;

	switch (k->kind) {
	case K_BOOL:
		if (paw_parse_bool(val, &b))
			return fail(p, k->name,
				    "'%s' is not a boolean (yes/no, true/false, on/off, 1/0)", val);
		*(bool *)dst = b;
		return 0;
	case K_UINT:
		if (paw_parse_u32(val, k->min, k->max, &v))
			return fail(p, k->name, "'%s' is not %s (%u-%u)", val, k->what,
				    k->min, k->max);
		store_uint(dst, k->size, v);
		return 0;
	case K_SECS:
		if (parse_secs(val, k->min, k->max, &v))
			return fail(p, k->name,
				    "'%s' is not %s (%u-%u seconds; s, m, h, d suffixes allowed)",
				    val, k->what, k->min, k->max);
		store_uint(dst, k->size, v);
		return 0;
	case K_STR:
		if (!*val)
			return fail(p, k->name, "needs a value");
		if (strlen(val) >= k->size)
			return fail(p, k->name, "'%s' is too long (at most %zu characters)", val,
				    k->size - 1);
		memcpy(dst, val, strlen(val) + 1);
		return 0;
	case K_PATH:
		/* min == 1: empty means "none". */
		if (*val != '/' && !(k->min && !*val))
			return fail(p, k->name, "'%s' is not an absolute path", val);
		if (strlen(val) >= k->size)
			return fail(p, k->name, "'%s' is too long (at most %zu characters)", val,
				    k->size - 1);
		memcpy(dst, val, strlen(val) + 1);
		return 0;
	case K_FN:
		return k->fn(p, k, val, base);
	}
	return fail(p, k->name, "internal error: unknown key kind");
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	const struct section_def *sd;
	int *seen;
	void *base;

	(void)section;	/* ours is p->sect, opened by the reader */
	if (p->failed)
		return 0;
	if (p->sect == S_NONE) {
		fail(p, name, "key outside any section");
		return 0;
	}
	sd = &sections[p->sect];
	if (p->sect == S_PORT) {
		seen = p->port_seen[p->port];
		base = &p->cfg->ports[p->port];
	} else {
		seen = p->seen[p->sect];
		base = p->cfg;
	}
	for (int i = 0; i < sd->n_keys; i++) {
		const struct key *k = &sd->keys[i];

		if (strcmp(name, k->name))
			continue;
		if (seen[i] && !k->repeat) {
			fail(p, name, "given twice (first at line %d)", seen[i]);
			return 0;
		}
		if (!seen[i])
			seen[i] = p->lineno;
		return set_value(p, k, value, base) ? 0 : 1;
	}
	if (p->sect == S_PORT)
		fail(p, name, "unknown key in [port %s]", p->cfg->ports[p->port].name);
	else
		fail(p, name, "unknown key in [%s]", section_names[p->sect]);
	return 0;
}

/* ---- whole-file checks ---- */

static int fail_at(struct parse *p, int line, const char *key, const char *what)
{
	p->lineno = line;
	return fail(p, key, "%s", what);
}

static int finish_ports(struct parse *p)
{
	struct paw_cfg *cfg = p->cfg;
	char msg[160];

	for (int i = 0; i < cfg->n_ports; i++) {
		struct paw_cfg_port *port = &cfg->ports[i];
		int *seen = p->port_seen[i];

		if (port->create != PAW_PORT_VETH) {
			if (seen[PK_PEER])
				return fail_at(p, seen[PK_PEER], "peer",
					       "only a veth port has a peer (create = veth)");
			if (seen[PK_PEER_NETNS])
				return fail_at(p, seen[PK_PEER_NETNS], "peer_netns",
					       "only a veth port has a peer (create = veth)");
			continue;
		}
		if (!seen[PK_PEER]) {
			if (strlen(port->name) + strlen("-peer") >= IF_NAMESIZE) {
				snprintf(msg, sizeof(msg), "'%s-peer' is too long for an interface name "
					 "(at most %d characters): set peer",
					 port->name, IF_NAMESIZE - 1);
				return fail_at(p, port->line, "peer", msg);
			}
			snprintf(port->peer, sizeof(port->peer), "%s-peer", port->name);
		}
	}

	/* Two interfaces of one namespace can't share a name: a peer left
	 * here must not be another port or another such peer. */
	for (int i = 0; i < cfg->n_ports; i++) {
		const struct paw_cfg_port *a = &cfg->ports[i];
		int line = p->port_seen[i][PK_PEER] ? p->port_seen[i][PK_PEER] : a->line;

		if (a->create != PAW_PORT_VETH || a->peer_netns[0])
			continue;
		for (int j = 0; j < cfg->n_ports; j++) {
			const struct paw_cfg_port *b = &cfg->ports[j];

			if (!strcmp(a->peer, b->name)) {
				snprintf(msg, sizeof(msg), "'%s' is also [port %s] (line %d)",
					 a->peer, b->name, b->line);
				return fail_at(p, line, "peer", msg);
			}
			if (j < i && b->create == PAW_PORT_VETH && !b->peer_netns[0] &&
			    !strcmp(a->peer, b->peer)) {
				snprintf(msg, sizeof(msg),
					 "'%s' is also the peer of [port %s] (line %d)",
					 a->peer, b->name, b->line);
				return fail_at(p, line, "peer", msg);
			}
		}
	}
	return 0;
}

static int finish(struct parse *p)
{
	struct paw_cfg *cfg = p->cfg;

	if (cfg->n_ear_addrs == 0) {
		if (p->err && p->errlen)
			snprintf(p->err, p->errlen, "%s: ear: address is required", p->path);
		p->failed = true;
		return -EINVAL;
	}
	if (!cfg->ear_udp && !cfg->ear_tcp) {
		int *seen = p->seen[S_EAR];
		int udp = seen[EK_UDP], tcp = seen[EK_TCP];

		return fail_at(p, udp > tcp ? udp : tcp, udp > tcp ? "udp" : "tcp",
			       "udp and tcp are both off: the ear needs one");
	}
	return finish_ports(p);
}

/* ---- API ---- */

void paw_cfg_defaults(struct paw_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->ear_name, sizeof(cfg->ear_name), "MainBackend.abc");
	cfg->ear_port = 53;
	cfg->ear_udp = true;
	cfg->ear_tcp = true;
	cfg->ear_backlog = 64;
	cfg->ear_max_conns = 256;
	cfg->ear_idle_timeout_s = 30;
	cfg->ear_replay_window_s = 30;
	cfg->ear_rate = 0;
	cfg->default_policy = PAW_POLICY_PASS;
	snprintf(cfg->pin_dir, sizeof(cfg->pin_dir), "%s", PAW_PIN_DIR_DEFAULT);
	cfg->max_clients = PAW_MAX_CLIENTS_DEFAULT;
	cfg->max_calls = PAW_MAX_CALLS_DEFAULT;
	cfg->detach_on_exit = false;
	snprintf(cfg->store_backend, sizeof(cfg->store_backend), "sqlite");
	snprintf(cfg->store_path, sizeof(cfg->store_path), "/var/lib/paw/paw.db");
	cfg->group_commit = true;
	snprintf(cfg->ctl_socket, sizeof(cfg->ctl_socket), "/run/paw/pawd.sock");
	cfg->ctl_gid = (gid_t)-1;
	cfg->log_level = PAW_LOG_INFO;
	cfg->log_syslog = false;
	cfg->default_max_calls = 8;
	cfg->default_postbox_max = 100;
	cfg->default_retention_s = 604800;
	snprintf(cfg->pidfile, sizeof(cfg->pidfile), "/run/paw/pawd.pid");
}

int paw_cfg_load(const char *path, struct paw_cfg *cfg, char *err, size_t errlen)
{
	_cleanup_free_ struct parse *p = NULL;
	int ret;

	paw_cfg_defaults(cfg);
	if (err && errlen)
		err[0] = '\0';
	if (!path || !*path) {
		if (err && errlen)
			snprintf(err, errlen, "(no path): %s", strerror(ENOENT));
		return -EINVAL;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);

	p = calloc(1, sizeof(*p));
	if (!p) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	p->path = path;
	p->cfg = cfg;
	p->err = err;
	p->errlen = errlen;
	p->f = fopen(path, "re");
	if (!p->f) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -EINVAL;
	}

	ret = ini_parse_stream(reader, p, handler, p);
	if (!p->failed && ferror(p->f)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path,
				 strerror(p->read_errno ? p->read_errno : EIO));
		p->failed = true;
	}
	fclose(p->f);
	p->f = NULL;
	if (!p->failed && ret != 0) {
		/* Our reader screens every line inih could refuse; this is
		 * a line it refused anyway. */
		p->lineno = ret > 0 ? ret : p->lineno;
		fail(p, "line", "not understood");
	}
	if (!p->failed)
		finish(p);
	return p->failed ? -EINVAL : 0;
}

const struct paw_cfg_port *paw_cfg_port_find(const struct paw_cfg *cfg, const char *name)
{
	for (int i = 0; cfg && name && i < cfg->n_ports && i < PAW_CFG_MAX_PORTS; i++)
		if (!strcmp(cfg->ports[i].name, name))
			return &cfg->ports[i];
	return NULL;
}
