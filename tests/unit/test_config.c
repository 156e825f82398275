// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pawd's config file: every key into the struct, the defaults, comments
 * and whitespace, several ports, and each kind of mistake as exactly one
 * "PATH:LINE: KEY: what is wrong" message. Also parses the shipped
 * example (daemon/pawd.conf) and the full example in docs/config.md, so
 * neither can rot.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "log.h"

static char tmp_path[64];
static char errbuf[512];
static struct paw_cfg *cfg;

static int setup(void **state)
{
	(void)state;
	cfg = calloc(1, sizeof(*cfg));
	return cfg ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(cfg);
	cfg = NULL;
	if (tmp_path[0])
		unlink(tmp_path);
	tmp_path[0] = '\0';
	return 0;
}

/* Write text to a fresh temporary file and load it. */
static int load_text(const char *text)
{
	size_t n = strlen(text);
	int fd;

	if (tmp_path[0])
		unlink(tmp_path);
	snprintf(tmp_path, sizeof(tmp_path), "/tmp/paw-cfg-test-XXXXXX");
	fd = mkstemp(tmp_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
	memset(errbuf, 0, sizeof(errbuf));
	return paw_cfg_load(tmp_path, cfg, errbuf, sizeof(errbuf));
}

static void v6(const char *s, struct in6_addr *a)
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

static void assert_v6(const struct in6_addr *a, const char *s)
{
	struct in6_addr b;

	v6(s, &b);
	assert_memory_equal(a, &b, sizeof(b));
}

static void assert_addr(const struct paw_cfg_addr *a, int family, const char *s, int plen)
{
	__u8 buf[16];

	assert_int_equal(a->family, family);
	assert_int_equal(inet_pton(family, s, buf), 1);
	if (family == AF_INET)
		assert_memory_equal(&a->v4, buf, 4);
	else
		assert_memory_equal(&a->v6, buf, 16);
	assert_int_equal(a->prefixlen, plen);
}

/* Expect failure with "TMP:LINE: rest" (line 0: "TMP: rest"). */
static void expect_error(const char *text, int line, const char *rest)
{
	char want[512];

	assert_int_equal(load_text(text), -EINVAL);
	if (line)
		snprintf(want, sizeof(want), "%s:%d: %s", tmp_path, line, rest);
	else
		snprintf(want, sizeof(want), "%s: %s", tmp_path, rest);
	assert_string_equal(errbuf, want);
}

#define EAR "[ear]\naddress = fd70:a3::1\n"

static void check_defaults(const struct paw_cfg *c, bool ports_empty)
{
	assert_string_equal(c->ear_name, "MainBackend.abc");
	assert_int_equal(c->ear_port, 53);
	assert_true(c->ear_udp);
	assert_true(c->ear_tcp);
	assert_int_equal(c->ear_backlog, 64);
	assert_int_equal(c->ear_max_conns, 256);
	assert_int_equal(c->ear_idle_timeout_s, 30);
	assert_int_equal(c->ear_replay_window_s, 30);
	assert_int_equal(c->ear_rate, 0);
	if (ports_empty)
		assert_int_equal(c->n_ports, 0);
	assert_int_equal(c->default_policy, PAW_POLICY_PASS);
	assert_string_equal(c->pin_dir, "/sys/fs/bpf/paw");
	assert_int_equal(c->max_clients, 65536);
	assert_int_equal(c->max_calls, 1048576);
	assert_false(c->detach_on_exit);
	assert_string_equal(c->store_backend, "sqlite");
	assert_string_equal(c->store_path, "/var/lib/paw/paw.db");
	assert_true(c->group_commit);
	assert_string_equal(c->ctl_socket, "/run/paw/pawd.sock");
	assert_string_equal(c->ctl_group, "");
	assert_int_equal(c->ctl_gid, (gid_t)-1);
	assert_int_equal(c->log_level, PAW_LOG_INFO);
	assert_false(c->log_syslog);
	assert_int_equal(c->default_max_calls, 8);
	assert_int_equal(c->default_postbox_max, 100);
	assert_int_equal(c->default_retention_s, 604800);
	assert_string_equal(c->pidfile, "/run/paw/pawd.pid");
}

static void test_defaults_fn(void **state)
{
	(void)state;
	paw_cfg_defaults(cfg);
	check_defaults(cfg, true);
	assert_int_equal(cfg->n_ear_addrs, 0);
}

static void test_minimal(void **state)
{
	(void)state;
	assert_int_equal(load_text(EAR), 0);
	assert_string_equal(errbuf, "");
	assert_string_equal(cfg->path, tmp_path);
	assert_int_equal(cfg->n_ear_addrs, 1);
	assert_v6(&cfg->ear_addrs[0], "fd70:a3::1");
	check_defaults(cfg, true);
}

static const char full[] =
	"[ear]\n"
	"address = fd70:a3::1\n"
	"address = 2001:db8::53\n"
	"name = ops.example\n"
	"port = 5353\n"
	"udp = no\n"
	"tcp = true\n"
	"backlog = 128\n"
	"max_connections = 1000\n"
	"idle_timeout = 2m\n"
	"replay_window = 45\n"
	"rate = 20\n"
	"\n"
	"[port pa]\n"			/* line 14 */
	"create = veth\n"
	"peer = alice0\n"
	"peer_netns = paw-alice\n"
	"address = 10.77.0.254/24\n"
	"address = fd70:a3:1::fe/64\n"
	"proxy_arp = yes\n"
	"xdp_mode = generic\n"
	"mtu = 9000\n"
	"\n"
	"[port tap0]\n"			/* line 24 */
	"create = tap\n"
	"xdp_mode = native\n"
	"\n"
	"[policy]\n"
	"default = drop\n"
	"[datapath]\n"
	"pin_dir = /sys/fs/bpf/paw-test\n"
	"max_clients = 1024\n"
	"max_calls = 4096\n"
	"detach_on_exit = on\n"
	"[store]\n"
	"backend = sqlite\n"
	"path = /tmp/paw.db\n"
	"group_commit = off\n"
	"[control]\n"
	"socket = /tmp/pawd.sock\n"
	"group = root\n"
	"[log]\n"
	"level = debug\n"
	"target = syslog\n"
	"[limits]\n"
	"max_calls = 3\n"
	"postbox_max = 10\n"
	"retention = 1d\n"
	"[daemon]\n"
	"pidfile = /tmp/pawd.pid\n";

static void test_full(void **state)
{
	const struct paw_cfg_port *pa, *tap;

	(void)state;
	assert_int_equal(load_text(full), 0);
	assert_int_equal(cfg->n_ear_addrs, 2);
	assert_v6(&cfg->ear_addrs[0], "fd70:a3::1");
	assert_v6(&cfg->ear_addrs[1], "2001:db8::53");
	assert_string_equal(cfg->ear_name, "ops.example");
	assert_int_equal(cfg->ear_port, 5353);
	assert_false(cfg->ear_udp);
	assert_true(cfg->ear_tcp);
	assert_int_equal(cfg->ear_backlog, 128);
	assert_int_equal(cfg->ear_max_conns, 1000);
	assert_int_equal(cfg->ear_idle_timeout_s, 120);
	assert_int_equal(cfg->ear_replay_window_s, 45);
	assert_int_equal(cfg->ear_rate, 20);

	assert_int_equal(cfg->n_ports, 2);
	pa = paw_cfg_port_find(cfg, "pa");
	assert_non_null(pa);
	assert_ptr_equal(pa, &cfg->ports[0]);
	assert_int_equal(pa->line, 14);
	assert_int_equal(pa->create, PAW_PORT_VETH);
	assert_string_equal(pa->peer, "alice0");
	assert_string_equal(pa->peer_netns, "paw-alice");
	assert_int_equal(pa->n_addrs, 2);
	assert_addr(&pa->addrs[0], AF_INET, "10.77.0.254", 24);
	assert_addr(&pa->addrs[1], AF_INET6, "fd70:a3:1::fe", 64);
	assert_true(pa->proxy_arp);
	assert_int_equal(pa->xdp_mode, PAW_XDP_GENERIC);
	assert_int_equal(pa->mtu, 9000);

	tap = paw_cfg_port_find(cfg, "tap0");
	assert_non_null(tap);
	assert_int_equal(tap->line, 24);
	assert_int_equal(tap->create, PAW_PORT_TAP);
	assert_string_equal(tap->peer, "");
	assert_int_equal(tap->n_addrs, 0);
	assert_true(tap->proxy_arp);	/* the default */
	assert_int_equal(tap->xdp_mode, PAW_XDP_NATIVE);
	assert_int_equal(tap->mtu, 0);
	assert_null(paw_cfg_port_find(cfg, "pb"));

	assert_int_equal(cfg->default_policy, PAW_POLICY_DROP);
	assert_string_equal(cfg->pin_dir, "/sys/fs/bpf/paw-test");
	assert_int_equal(cfg->max_clients, 1024);
	assert_int_equal(cfg->max_calls, 4096);
	assert_true(cfg->detach_on_exit);
	assert_string_equal(cfg->store_backend, "sqlite");
	assert_string_equal(cfg->store_path, "/tmp/paw.db");
	assert_false(cfg->group_commit);
	assert_string_equal(cfg->ctl_socket, "/tmp/pawd.sock");
	assert_string_equal(cfg->ctl_group, "root");
	assert_int_equal(cfg->ctl_gid, 0);
	assert_int_equal(cfg->log_level, PAW_LOG_DEBUG);
	assert_true(cfg->log_syslog);
	assert_int_equal(cfg->default_max_calls, 3);
	assert_int_equal(cfg->default_postbox_max, 10);
	assert_int_equal(cfg->default_retention_s, 86400);
	assert_string_equal(cfg->pidfile, "/tmp/pawd.pid");
}

static void test_comments_whitespace(void **state)
{
	(void)state;
	assert_int_equal(load_text(
		"\xef\xbb\xbf# a BOM, then a comment\r\n"
		"; another comment\n"
		"\n"
		"   [ ear ]   ; inline after a header\n"
		"\taddress=fd70:a3::1\n"
		"  port   =   8053   ; inline comment\n"
		"\t\n"
		"    # indented comment\n"
		"  udp = YES\r\n"
		"[port  pa ]\n"
		"   mtu = 1400\n"		/* indented: not a continuation */
		"\tproxy_arp = 1\n"
		"[daemon]\n"
		"pidfile =\n"), 0);
	assert_int_equal(cfg->n_ear_addrs, 1);
	assert_v6(&cfg->ear_addrs[0], "fd70:a3::1");
	assert_int_equal(cfg->ear_port, 8053);
	assert_true(cfg->ear_udp);
	assert_int_equal(cfg->n_ports, 1);
	assert_string_equal(cfg->ports[0].name, "pa");
	assert_int_equal(cfg->ports[0].line, 10);
	assert_int_equal(cfg->ports[0].mtu, 1400);
	assert_true(cfg->ports[0].proxy_arp);
	assert_string_equal(cfg->pidfile, "");
}

static void test_ports(void **state)
{
	(void)state;
	assert_int_equal(load_text(
		"# ports first\n"
		"[port pa]\n"
		"create = veth\n"
		"\n"
		"[port eth1]\n"
		"\n"
		"[ear]\n"
		"address = fd70:a3::1\n"
		"[port pb]\n"
		"create = veth\n"
		"peer_netns = bob\n"
		"address = 10.77.0.254/32\n"
		"[port pc]\n"
		"create = tap\n"), 0);
	assert_int_equal(cfg->n_ports, 4);
	assert_string_equal(cfg->ports[0].name, "pa");
	assert_int_equal(cfg->ports[0].line, 2);
	assert_string_equal(cfg->ports[0].peer, "pa-peer");	/* default */
	assert_string_equal(cfg->ports[1].name, "eth1");	/* empty section */
	assert_int_equal(cfg->ports[1].line, 5);
	assert_int_equal(cfg->ports[1].create, PAW_PORT_EXISTING);
	assert_int_equal(cfg->ports[1].xdp_mode, PAW_XDP_AUTO);
	assert_string_equal(cfg->ports[1].peer, "");
	assert_string_equal(cfg->ports[2].name, "pb");
	assert_int_equal(cfg->ports[2].line, 9);
	assert_string_equal(cfg->ports[2].peer, "pb-peer");
	assert_string_equal(cfg->ports[2].peer_netns, "bob");
	assert_addr(&cfg->ports[2].addrs[0], AF_INET, "10.77.0.254", 32);
	assert_string_equal(cfg->ports[3].name, "pc");
	assert_int_equal(cfg->ports[3].line, 13);
	assert_int_equal(cfg->ports[3].create, PAW_PORT_TAP);
	assert_ptr_equal(paw_cfg_port_find(cfg, "pc"), &cfg->ports[3]);
	assert_null(paw_cfg_port_find(cfg, "pd"));
	assert_null(paw_cfg_port_find(NULL, "pa"));
}

static void test_limits_at_edges(void **state)
{
	char text[4096];
	size_t n = 0;

	(void)state;
	/* 16 ear addresses and 8 port addresses are allowed. */
	n += snprintf(text + n, sizeof(text) - n, "[ear]\n");
	for (int i = 1; i <= PAW_MAX_BACKENDS; i++)
		n += snprintf(text + n, sizeof(text) - n, "address = fd70:a3::%x\n", i);
	n += snprintf(text + n, sizeof(text) - n, "port = 65535\nrate = 0\n[port pa]\n");
	for (int i = 1; i <= PAW_CFG_MAX_ADDRS; i++)
		n += snprintf(text + n, sizeof(text) - n, "address = 10.0.%d.1/16\n", i);
	n += snprintf(text + n, sizeof(text) - n, "mtu = 68\n");
	assert_true(n < sizeof(text));
	assert_int_equal(load_text(text), 0);
	assert_int_equal(cfg->n_ear_addrs, PAW_MAX_BACKENDS);
	assert_int_equal(cfg->ports[0].n_addrs, PAW_CFG_MAX_ADDRS);
	assert_int_equal(cfg->ear_port, 65535);
	assert_int_equal(cfg->ports[0].mtu, 68);
}

struct bad {
	const char *text;
	int line;		/* 0: "PATH: rest" */
	const char *rest;
};

static const struct bad bad_cases[] = {
	/* sections */
	{ EAR "[foo]\n", 3, "[foo]: unknown section" },
	{ EAR "[port]\n", 3, "[port]: needs an interface name: [port NAME]" },
	{ EAR "[port a/b]\n", 3,
	  "[port a/b]: 'a/b' is not an interface name (1-15 characters, no '/', ':' or spaces)" },
	{ EAR "[port waytoolongname01]\n", 3,
	  "[port waytoolongname01]: 'waytoolongname01' is not an interface name (1-15 characters, no '/', ':' or spaces)" },
	{ EAR "[ear x]\n", 3, "[ear x]: takes no name: [ear]" },
	{ EAR "[log]\n[ear]\n", 4, "[ear]: section repeated (first at line 1)" },
	{ EAR "[port pa]\n\n[port pa]\n", 5, "[port pa]: port 'pa' is already defined at line 3" },
	{ EAR "[log\n", 3, "[log: no closing ']'" },
	{ EAR "[log] level = info\n", 3, "[log]: unexpected 'level = info' after ']'" },
	/* lines */
	{ "address = fd70:a3::1\n[ear]\n", 1, "address: key outside any section" },
	{ EAR "level\n", 3, "level: expected 'key = value' or '[section]'" },
	{ EAR "= 3\n", 3, "= 3: expected 'key = value' or '[section]'" },
	{ EAR "port: 53\n", 3, "port: 53: expected 'key = value' or '[section]'" },
	/* unknown and duplicate keys */
	{ EAR "prot = 53\n", 3, "prot: unknown key in [ear]" },
	{ EAR "[port pa]\nproxyarp = yes\n", 4, "proxyarp: unknown key in [port pa]" },
	{ EAR "[policy]\nDefault = drop\n", 4, "Default: unknown key in [policy]" },
	{ EAR "port = 53\n# x\nport = 54\n", 5, "port: given twice (first at line 3)" },
	{ EAR "[port pa]\nmtu = 1500\nmtu = 1400\n", 5, "mtu: given twice (first at line 4)" },
	/* booleans and numbers */
	{ EAR "udp = maybe\n", 3, "udp: 'maybe' is not a boolean (yes/no, true/false, on/off, 1/0)" },
	{ EAR "port = 70000\n", 3, "port: '70000' is not a port (1-65535)" },
	{ EAR "port = 0\n", 3, "port: '0' is not a port (1-65535)" },
	{ EAR "port = -1\n", 3, "port: '-1' is not a port (1-65535)" },
	{ EAR "port = 53x\n", 3, "port: '53x' is not a port (1-65535)" },
	{ EAR "port =\n", 3, "port: '' is not a port (1-65535)" },
	{ EAR "backlog = 0\n", 3, "backlog: '0' is not a backlog (1-65535)" },
	{ EAR "rate = 1000001\n", 3, "rate: '1000001' is not a rate (0-1000000)" },
	{ EAR "idle_timeout = 2w\n", 3,
	  "idle_timeout: '2w' is not a duration (1-86400 seconds; s, m, h, d suffixes allowed)" },
	{ EAR "replay_window = 2h\n", 3,
	  "replay_window: '2h' is not a duration (1-3600 seconds; s, m, h, d suffixes allowed)" },
	{ EAR "name =\n", 3, "name: needs a value" },
	{ EAR "[datapath]\nmax_clients = 0\n", 4,
	  "max_clients: '0' is not a table size (1-16777216)" },
	{ EAR "[limits]\nretention = 0\n", 4,
	  "retention: '0' is not a duration (1-315360000 seconds; s, m, h, d suffixes allowed)" },
	{ EAR "[port pa]\nmtu = 50\n", 4, "mtu: '50' is not an MTU (68-65535, or 0 to leave it)" },
	{ EAR "[port pa]\nmtu = 65536\n", 4, "mtu: '65536' is not an MTU (68-65535, or 0 to leave it)" },
	/* addresses */
	{ "[ear]\naddress = 10.0.0.1\n", 2, "address: '10.0.0.1' is IPv4; the ear listens on IPv6" },
	{ "[ear]\naddress = ff02::1\n", 2, "address: 'ff02::1' is a multicast address" },
	{ "[ear]\naddress = ::\n", 2, "address: '::' is the unspecified address" },
	{ "[ear]\naddress = ::ffff:10.0.0.1\n", 2,
	  "address: '::ffff:10.0.0.1' is an IPv4-mapped address" },
	{ "[ear]\naddress = fd70::1/64\n", 2, "address: 'fd70::1/64' is not an IPv6 address" },
	{ "[ear]\naddress = fd70::1\naddress = fd70:0::1\n", 3,
	  "address: 'fd70:0::1' is listed twice" },
	{ EAR "[port pa]\naddress = 10.0.0.1\n", 4,
	  "address: '10.0.0.1' is not an address with a prefix length (A.B.C.D/N or IPv6/N)" },
	{ EAR "[port pa]\naddress = 10.0.0/24\n", 4,
	  "address: '10.0.0/24' is not an address with a prefix length (A.B.C.D/N or IPv6/N)" },
	{ EAR "[port pa]\naddress = 10.0.0.1/33\n", 4,
	  "address: '10.0.0.1/33' has no prefix length in 1-32" },
	{ EAR "[port pa]\naddress = 10.0.0.1/\n", 4,
	  "address: '10.0.0.1/' has no prefix length in 1-32" },
	{ EAR "[port pa]\naddress = fd00::1/129\n", 4,
	  "address: 'fd00::1/129' has no prefix length in 1-128" },
	{ EAR "[port pa]\naddress = 224.0.0.1/4\n", 4,
	  "address: '224.0.0.1/4' is not a unicast IPv4 address" },
	{ EAR "[port pa]\naddress = ff02::2/64\n", 4,
	  "address: 'ff02::2/64' is not a unicast IPv6 address" },
	{ EAR "[port pa]\naddress = 10.0.0.1/24\naddress = 10.0.0.1/24\n", 5,
	  "address: '10.0.0.1/24' is listed twice" },
	/* words */
	{ EAR "[policy]\ndefault = reject\n", 4, "default: 'reject' is not a policy (pass or drop)" },
	{ EAR "[port pa]\nxdp_mode = offload\n", 4,
	  "xdp_mode: 'offload' is not one of auto, native, generic" },
	{ EAR "[port pa]\ncreate = bridge\n", 4,
	  "create: 'bridge' is not one of existing, veth, tap" },
	{ EAR "[log]\nlevel = loud\n", 4, "level: 'loud' is not a log level (err, warn, info, debug)" },
	{ EAR "[log]\ntarget = journal\n", 4, "target: 'journal' is not a log target (stderr or syslog)" },
	{ EAR "[store]\nbackend = etcd\n", 4, "backend: 'etcd' is not a backend (sqlite)" },
	{ EAR "[store]\npath = paw.db\n", 4, "path: 'paw.db' is not an absolute path" },
	{ EAR "[datapath]\npin_dir =\n", 4, "pin_dir: '' is not an absolute path" },
	{ EAR "[control]\nsocket = /run/paw/a-very-long-socket-path-that-does-not-fit-into-sun-path-of-a-unix-socket-address-by-quite-a-margin.sock\n",
	  4, "socket: '/run/paw/a-very-long-socket-path-that-does-not-fit-into-sun-path-of-a-unix-socket-address-by-quite-a-margin.sock' is too long (at most 107 characters)" },
	{ EAR "[control]\ngroup = paw-no-such-group\n", 4,
	  "group: 'paw-no-such-group' is not a group on this system" },
	/* veth peers */
	{ EAR "[port pa]\npeer = pa-peer\n", 4, "peer: only a veth port has a peer (create = veth)" },
	{ EAR "[port pa]\npeer_netns = x\ncreate = tap\n", 4,
	  "peer_netns: only a veth port has a peer (create = veth)" },
	{ EAR "[port pa]\ncreate = veth\npeer = pa\n", 5, "peer: 'pa' is the port itself" },
	{ EAR "[port pa]\ncreate = veth\npeer = a:b\n", 5,
	  "peer: 'a:b' is not an interface name (1-15 characters, no '/', ':' or spaces)" },
	{ EAR "[port pa]\ncreate = veth\npeer_netns = a/b\n", 5,
	  "peer_netns: 'a/b' is not a network namespace name (1-63 characters, no '/' or spaces)" },
	{ EAR "[port longportname1]\ncreate = veth\n", 3,
	  "peer: 'longportname1-peer' is too long for an interface name (at most 15 characters): set peer" },
	{ EAR "[port pa]\ncreate = veth\npeer = pb\n[port pb]\n", 5,
	  "peer: 'pb' is also [port pb] (line 6)" },
	{ EAR "[port pa]\ncreate = veth\npeer = x\n[port pb]\ncreate = veth\npeer = x\n", 8,
	  "peer: 'x' is also the peer of [port pa] (line 3)" },
	/* whole file */
	{ "[ear]\nudp = no\ntcp = no\n[port pa]\n", 0, "ear: address is required" },
	{ "# nothing\n", 0, "ear: address is required" },
	{ "", 0, "ear: address is required" },
	{ EAR "udp = no\ntcp = no\n", 4, "tcp: udp and tcp are both off: the ear needs one" },
};

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		print_message("# case %zu: %s\n", i, bad_cases[i].rest);
		expect_error(bad_cases[i].text, bad_cases[i].line, bad_cases[i].rest);
	}
}

static void test_too_many(void **state)
{
	char *text = malloc(16384);
	size_t n = 0, cap = 16384;
	char want[128];

	(void)state;
	assert_non_null(text);
	n += snprintf(text + n, cap - n, "[ear]\n");
	for (int i = 0; i <= PAW_MAX_BACKENDS; i++)
		n += snprintf(text + n, cap - n, "address = fd70::%x\n", i + 1);
	snprintf(want, sizeof(want), "address: too many addresses (at most %d)", PAW_MAX_BACKENDS);
	expect_error(text, PAW_MAX_BACKENDS + 2, want);

	n = snprintf(text, cap, EAR "[port pa]\n");
	for (int i = 0; i <= PAW_CFG_MAX_ADDRS; i++)
		n += snprintf(text + n, cap - n, "address = 10.1.%d.1/24\n", i);
	snprintf(want, sizeof(want), "address: too many addresses (at most %d)", PAW_CFG_MAX_ADDRS);
	expect_error(text, 3 + PAW_CFG_MAX_ADDRS + 1, want);

	n = snprintf(text, cap, EAR);
	for (int i = 0; i <= PAW_CFG_MAX_PORTS; i++)
		n += snprintf(text + n, cap - n, "[port p%d]\n", i);
	assert_true(n < cap);
	snprintf(want, sizeof(want), "[port p%d]: too many ports (at most %d)", PAW_CFG_MAX_PORTS,
		 PAW_CFG_MAX_PORTS);
	expect_error(text, 3 + PAW_CFG_MAX_PORTS, want);
	free(text);
}

static void test_long_line(void **state)
{
	char text[1200];
	size_t n;

	(void)state;
	/* inih's line is 200 bytes: 198 characters fit with "\n\0". */
	n = snprintf(text, sizeof(text), EAR "[daemon]\npidfile = /");
	memset(text + n, 'x', 198 - 11);
	snprintf(text + n + 187, sizeof(text) - n - 187, "\n");
	assert_int_equal(load_text(text), 0);
	assert_int_equal(strlen(cfg->pidfile), 188);

	n = snprintf(text, sizeof(text), EAR "[daemon]\npidfile = /");
	memset(text + n, 'x', 188);
	snprintf(text + n + 188, sizeof(text) - n - 188, "\n");
	expect_error(text, 4, "line: too long (at most 198 characters)");

	/* Longer than our read buffer too. */
	n = snprintf(text, sizeof(text), EAR "# ");
	memset(text + n, 'y', sizeof(text) - n - 1);
	text[sizeof(text) - 1] = '\0';
	expect_error(text, 3, "line: too long (at most 198 characters)");
}

static void test_line_numbers(void **state)
{
	(void)state;
	/* Comments, blanks, CRLF and an empty port section all count. */
	expect_error("# 1\n"
		     "\n"
		     "[ear]\r\n"
		     "; 4\n"
		     "address = fd70:a3::1\n"
		     "\n"
		     "[port pa]\n"
		     "\n"
		     "[port pb]\n"
		     "  # 10\n"
		     "\n"
		     "[policy]\n"
		     "default = pass\n"
		     "[port pc]\n"
		     "mtu = 1500\n"
		     "xdp_mode = sideways\n"		/* 16 */
		     "xdp_mode = auto\n",
		     16, "xdp_mode: 'sideways' is not one of auto, native, generic");
	/* The same line through the whole-file checks. */
	expect_error(EAR "\n\n\n[port pa]\n\n\n\npeer = x\n", 10,
		     "peer: only a veth port has a peer (create = veth)");
}

static void test_missing_file(void **state)
{
	(void)state;
	memset(errbuf, 0, sizeof(errbuf));
	assert_int_equal(paw_cfg_load("/nonexistent/paw/pawd.conf", cfg, errbuf, sizeof(errbuf)),
			 -EINVAL);
	assert_string_equal(errbuf, "/nonexistent/paw/pawd.conf: No such file or directory");
	/* A directory opens but does not read. */
	assert_int_equal(paw_cfg_load("/", cfg, errbuf, sizeof(errbuf)), -EINVAL);
	assert_string_equal(errbuf, "/: Is a directory");
	/* No error buffer is fine too. */
	assert_int_equal(paw_cfg_load("/nonexistent/paw/pawd.conf", cfg, NULL, 0), -EINVAL);
}

static void test_relative_path_in_message(void **state)
{
	char cwd[4096], dir[] = "/tmp/paw-cfg-dir-XXXXXX";
	FILE *f;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chdir(dir), 0);
	f = fopen("pawd.conf", "w");
	assert_non_null(f);
	fputs("[ear]\naddress = fd70:a3::1\n\n# x\n\n\n\n\n\n\n\nport = 70000\n", f);
	fclose(f);
	assert_int_equal(paw_cfg_load("pawd.conf", cfg, errbuf, sizeof(errbuf)), -EINVAL);
	assert_string_equal(errbuf, "pawd.conf:12: port: '70000' is not a port (1-65535)");
	unlink("pawd.conf");
	assert_int_equal(chdir(cwd), 0);
	rmdir(dir);
}

/* The source tree, from this file's compile-time path (run.sh runs
 * tests from the top of the tree). */
static bool tree_file(const char *rel, char *out, size_t len)
{
	const char *me = __FILE__, *cut = strstr(me, "tests/unit/");
	int n = cut ? (int)(cut - me) : 0;

	snprintf(out, len, "%.*s%s", n, me, rel);
	return access(out, R_OK) == 0;
}

static void test_shipped_example(void **state)
{
	char path[4096];
	const struct paw_cfg_port *pa;

	(void)state;
	if (!tree_file("daemon/pawd.conf", path, sizeof(path))) {
		print_message("SKIP: %s not found from %s\n", path, getcwd(errbuf, 256));
		skip();
	}
	assert_int_equal(paw_cfg_load(path, cfg, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(cfg->n_ear_addrs, 1);
	pa = paw_cfg_port_find(cfg, "pa");
	assert_non_null(pa);
	assert_int_equal(pa->create, PAW_PORT_VETH);
	check_defaults(cfg, false);
}

/* The "## A full example" block of docs/config.md must load. */
static void test_docs_example(void **state)
{
	char path[4096], line[512];
	FILE *in, *out;
	bool in_section = false, in_block = false, found = false;
	int fd;

	(void)state;
	if (!tree_file("docs/config.md", path, sizeof(path))) {
		print_message("SKIP: %s not found\n", path);
		skip();
	}
	in = fopen(path, "r");
	assert_non_null(in);
	snprintf(tmp_path, sizeof(tmp_path), "/tmp/paw-cfg-test-XXXXXX");
	fd = mkstemp(tmp_path);
	assert_true(fd >= 0);
	out = fdopen(fd, "w");
	assert_non_null(out);
	for (int i = 0; i < 100000 && fgets(line, sizeof(line), in); i++) {
		if (!strncmp(line, "## ", 3))
			in_section = !strncmp(line, "## A full example", 17);
		else if (in_section && !strncmp(line, "```", 3)) {
			if (in_block) {
				found = true;
				break;
			}
			in_block = true;
		} else if (in_block) {
			fputs(line, out);
		}
	}
	fclose(in);
	fclose(out);
	assert_true(found);
	assert_int_equal(paw_cfg_load(tmp_path, cfg, errbuf, sizeof(errbuf)), 0);
	assert_true(cfg->n_ear_addrs >= 1);
	assert_true(cfg->n_ports >= 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults_fn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_minimal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_comments_whitespace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_at_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_path_in_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shipped_example, setup, teardown),
		cmocka_unit_test_setup_teardown(test_docs_example, setup, teardown),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
