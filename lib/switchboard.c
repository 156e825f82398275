// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Switchboard loader and typed map programming. The only code that
 * knows the skeleton; pawd, the tests and the benches go through here.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "paw/switchboard.h"
#include "cleanup.h"
#include "switchboard.skel.h"

#define LINK_PREFIX "link_"
#define PIN_DIR_MAX 256

struct paw_link {
	__u32 ifindex;
	int fd;
};

struct paw_sb {
	struct switchboard_bpf *skel;
	char pin_dir[PIN_DIR_MAX];	/* "" when nothing is pinned */
	bool reused;
	int ncpus;
	__u32 ctr_slots;
	__u32 call_value_size;
	bool slot_used[PAW_MAX_PORTS];
	struct paw_link links[PAW_MAX_PORTS];
	int nlinks;
};

static const struct {
	const char *name;
	int action;
} reasons[PAW_R_MAX] = {
	[PAW_R_FORWARD]		= { "forward",		XDP_REDIRECT },
	[PAW_R_OPERATOR]	= { "operator",		XDP_PASS },
	[PAW_R_NEIGH]		= { "neigh",		XDP_PASS },
	[PAW_R_OTHER_PASS]	= { "other-pass",	XDP_PASS },
	[PAW_R_OTHER_DROP]	= { "other-drop",	XDP_DROP },
	[PAW_R_NO_CALL]		= { "no-call",		XDP_DROP },
	[PAW_R_SPOOFED]		= { "spoofed",		XDP_DROP },
	[PAW_R_TTL]		= { "ttl-expired",	XDP_DROP },
	[PAW_R_TOO_BIG]		= { "too-big",		XDP_DROP },
	[PAW_R_PORT_GONE]	= { "port-gone",	XDP_DROP },
	[PAW_R_TRUNC_ETH]	= { "trunc-eth",	XDP_DROP },
	[PAW_R_VLAN]		= { "vlan",		XDP_DROP },
	[PAW_R_TRUNC_IP4]	= { "trunc-ip4",	XDP_DROP },
	[PAW_R_BAD_IP4]		= { "bad-ip4",		XDP_DROP },
	[PAW_R_IP4_OPTIONS]	= { "ip4-options",	XDP_DROP },
	[PAW_R_FRAGMENT]	= { "fragment",		XDP_DROP },
	[PAW_R_TRUNC_IP6]	= { "trunc-ip6",	XDP_DROP },
	[PAW_R_BAD_IP6]		= { "bad-ip6",		XDP_DROP },
	[PAW_R_IP6_EXT]		= { "ip6-ext",		XDP_DROP },
	[PAW_R_TRUNC_L4]	= { "trunc-l4",		XDP_DROP },
};

const char *paw_reason_name(enum paw_reason r)
{
	if ((unsigned)r >= PAW_R_MAX)
		return "unknown";
	return reasons[r].name;
}

int paw_reason_action(enum paw_reason r)
{
	if ((unsigned)r >= PAW_R_MAX)
		return -EINVAL;
	return reasons[r].action;
}

int paw_reason_from_name(const char *name)
{
	for (int r = 0; r < PAW_R_MAX; r++)
		if (!strcmp(reasons[r].name, name))
			return r;
	return -EINVAL;
}

static void seterr(const struct paw_sb_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (!o || !o->errbuf || !o->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(o->errbuf, o->errlen, fmt, ap);
	va_end(ap);
}

static int map_fd(const struct bpf_map *m)
{
	return bpf_map__fd(m);
}

bool paw_sb_reused(const struct paw_sb *sb) { return sb->reused; }
__u32 paw_sb_ctr_slots(const struct paw_sb *sb) { return sb->ctr_slots; }
const char *paw_sb_pin_dir(const struct paw_sb *sb) { return sb->pin_dir; }

__u32 paw_sb_max_calls(const struct paw_sb *sb)
{
	return bpf_map__max_entries(sb->skel->maps.paw_calls);
}

__u32 paw_sb_max_clients(const struct paw_sb *sb)
{
	return bpf_map__max_entries(sb->skel->maps.paw_clients);
}

int paw_sb_prog_fd(const struct paw_sb *sb)
{
	return bpf_program__fd(sb->skel->progs.paw_switchboard);
}

int paw_sb_pass_prog_fd(const struct paw_sb *sb)
{
	return bpf_program__fd(sb->skel->progs.paw_pass);
}

int paw_sb_map_fd(const struct paw_sb *sb, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(sb->skel->obj, name);

	return m ? bpf_map__fd(m) : -ENOENT;
}

/* mkdir -p on bpffs; refuses a directory that is not on bpffs. */
static int pin_dir_prepare(const char *dir, const struct paw_sb_opts *o)
{
	char path[PATH_MAX];
	struct statfs st;
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path) - 32) {
		seterr(o, "pin directory '%s' is not usable", dir);
		return -ENAMETOOLONG;
	}
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST) {
			int err = -errno;

			seterr(o, "cannot create '%s': %s%s", path, strerror(-err),
			       err == -ENOENT || err == -EPERM ?
			       " (no bpffs at /sys/fs/bpf? `ip netns exec` remounts /sys: "
			       "use `nsenter --net=/var/run/netns/NAME` to run pawd in a netns)" : "");
			return err;
		}
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST) {
		int err = -errno;

		seterr(o, "cannot create '%s': %s", path, strerror(-err));
		return err;
	}
	if (statfs(path, &st)) {
		int err = -errno;

		seterr(o, "cannot stat '%s': %s", path, strerror(-err));
		return err;
	}
	if ((unsigned long)st.f_type != BPF_FS_MAGIC) {
		seterr(o, "'%s' is not on a bpf filesystem (mount -t bpf bpf /sys/fs/bpf)",
		       path);
		return -ENOTSUP;
	}
	return 0;
}

/*
 * Make the skeleton's maps match what is pinned, so libbpf re-uses the
 * pins: sizes follow the pins; a different type, key, value or ABI is an
 * error rather than a silent second set of maps.
 */
static int adopt_pinned(struct paw_sb *sb, const struct paw_sb_opts *o)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, sb->skel->obj) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		const char *path = bpf_map__pin_path(m);
		_cleanup_close_ int fd = -1;
		__u32 flags;

		if (!path)
			continue;
		fd = bpf_obj_get(path);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			int err = -errno;

			seterr(o, "cannot open pinned map '%s': %s", path, strerror(-err));
			return err;
		}
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			int err = -errno;

			seterr(o, "cannot read pinned map '%s': %s", path, strerror(-err));
			return err;
		}
		flags = bpf_map__map_flags(m);
		/* The kernel marks devmaps read-only for programs. */
		if (info.type == BPF_MAP_TYPE_DEVMAP_HASH)
			flags |= BPF_F_RDONLY_PROG;
		if (info.type != bpf_map__type(m) || info.key_size != bpf_map__key_size(m) ||
		    info.map_flags != flags)
			goto mismatch;
		if (m == sb->skel->maps.paw_calls) {
			__u32 vs = info.value_size;

			if (vs < sizeof(struct paw_call) ||
			    (vs - sizeof(struct paw_call)) % sizeof(struct paw_ctr))
				goto mismatch;
			sb->ctr_slots = (vs - sizeof(struct paw_call)) / sizeof(struct paw_ctr);
			if (sb->ctr_slots < 1 || sb->ctr_slots > PAW_CTR_SLOTS_MAX)
				goto mismatch;
		} else if (info.value_size != bpf_map__value_size(m)) {
			goto mismatch;
		}
		if (m == sb->skel->maps.paw_config) {
			struct paw_config cfg = {};
			__u32 zero = 0;

			if (bpf_map_lookup_elem(fd, &zero, &cfg) == 0 && cfg.abi_version &&
			    cfg.abi_version != PAW_ABI_VERSION) {
				seterr(o, "pinned Switchboard in '%s' has ABI %u, this is ABI %u: "
				       "unpin it (pawd --unpin) to start afresh",
				       sb->pin_dir, cfg.abi_version, PAW_ABI_VERSION);
				return -EPROTO;
			}
		}
		/* Hand the checked pin to libbpf ourselves: libbpf 1.1's own
		 * check refuses pinned devmaps over that read-only flag. */
		if (bpf_map__reuse_fd(m, fd)) {
			int err = -errno;

			seterr(o, "cannot re-use pinned map '%s': %s", path, strerror(-err));
			return err;
		}
		sb->reused = true;
		continue;
mismatch:
		seterr(o, "pinned map '%s' has another layout than ABI %u expects: "
		       "unpin it (pawd --unpin) to start afresh", path, PAW_ABI_VERSION);
		return -EPROTO;
	}
	return 0;
}

static int config_init(struct paw_sb *sb)
{
	struct paw_config cfg = {};
	__u32 zero = 0;
	int fd = map_fd(sb->skel->maps.paw_config);

	if (bpf_map_lookup_elem(fd, &zero, &cfg))
		return -errno;
	if (cfg.abi_version == PAW_ABI_VERSION)
		return 0;
	/* Fresh maps: the ear on port 53, UDP and TCP, pass by default. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.abi_version = PAW_ABI_VERSION;
	cfg.flags = PAW_CFG_F_EAR_UDP | PAW_CFG_F_EAR_TCP;
	cfg.ear_port = htons(53);
	cfg.default_policy = PAW_POLICY_PASS;
	if (bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY))
		return -errno;
	return 0;
}

static int slots_rebuild(struct paw_sb *sb)
{
	int fd = map_fd(sb->skel->maps.paw_ports);
	__u32 key, next, *prev = NULL;
	struct paw_port port;

	memset(sb->slot_used, 0, sizeof(sb->slot_used));
	sb->slot_used[0] = true;	/* unknown ports */
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &port))
			continue;
		if (port.slot > 0 && port.slot < PAW_MAX_PORTS)
			sb->slot_used[port.slot] = true;
	}
	return 0;
}

static void link_path(const struct paw_sb *sb, __u32 ifindex, char *buf, size_t len)
{
	snprintf(buf, len, "%s/" LINK_PREFIX "%u", sb->pin_dir, ifindex);
}

static struct paw_link *link_find(struct paw_sb *sb, __u32 ifindex)
{
	for (int i = 0; i < sb->nlinks; i++)
		if (sb->links[i].ifindex == ifindex)
			return &sb->links[i];
	return NULL;
}

static void link_forget(struct paw_sb *sb, struct paw_link *l)
{
	close(l->fd);
	l->fd = -1;
	*l = sb->links[--sb->nlinks];
}

/* 0 when the link no longer has a device (the port went away). */
static __u32 link_ifindex(int fd)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != BPF_LINK_TYPE_XDP)
		return 0;
	return info.xdp.ifindex;
}

/* Point every pinned port link at the program just loaded: an atomic
 * swap, no frame sees a port without a Switchboard. */
static int relink(struct paw_sb *sb, const struct paw_sb_opts *o)
{
	DIR *d = opendir(sb->pin_dir);
	struct dirent *de;
	int err = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		char *end;
		unsigned long ifindex;
		int fd;

		if (strncmp(de->d_name, LINK_PREFIX, strlen(LINK_PREFIX)))
			continue;
		ifindex = strtoul(de->d_name + strlen(LINK_PREFIX), &end, 10);
		if (*end || !ifindex || ifindex > UINT32_MAX)
			continue;
		snprintf(path, sizeof(path), "%s/%s", sb->pin_dir, de->d_name);
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		if (link_ifindex(fd) != ifindex) {
			/* The port vanished and took the attachment with it. */
			close(fd);
			unlink(path);
			continue;
		}
		if (bpf_link_update(fd, paw_sb_prog_fd(sb), NULL)) {
			err = -errno;
			seterr(o, "cannot switch port %lu to the new program: %s",
			       ifindex, strerror(-err));
			close(fd);
			break;
		}
		if (sb->nlinks == PAW_MAX_PORTS) {
			close(fd);
			err = -ENOSPC;
			break;
		}
		sb->links[sb->nlinks++] = (struct paw_link){ .ifindex = ifindex, .fd = fd };
	}
	closedir(d);
	return err;
}

int paw_sb_open(struct paw_sb **sbp, const struct paw_sb_opts *o)
{
	const char *pin_dir = o && o->pin_dir ? o->pin_dir : PAW_PIN_DIR_DEFAULT;
	bool pinning = pin_dir[0] != '\0';
	struct paw_sb *sb;
	struct bpf_map *m;
	int err;

	*sbp = NULL;
	sb = calloc(1, sizeof(*sb));
	if (!sb)
		return -ENOMEM;
	sb->ncpus = libbpf_num_possible_cpus();
	if (sb->ncpus < 1) {
		err = sb->ncpus < 0 ? sb->ncpus : -EINVAL;
		seterr(o, "cannot count possible CPUs");
		goto fail;
	}
	if (pinning) {
		if (strlen(pin_dir) >= sizeof(sb->pin_dir)) {
			err = -ENAMETOOLONG;
			goto fail;
		}
		strcpy(sb->pin_dir, pin_dir);
		err = pin_dir_prepare(sb->pin_dir, o);
		if (err)
			goto fail;
	}

	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = pinning ? sb->pin_dir : NULL);
	sb->skel = switchboard_bpf__open_opts(&oo);
	if (!sb->skel) {
		err = -errno;
		seterr(o, "cannot open the Switchboard object: %s", strerror(-err));
		goto fail;
	}

	sb->ctr_slots = o && o->ctr_slots ? o->ctr_slots : (__u32)sb->ncpus;
	if (!(o && o->ctr_slots) && sb->ctr_slots > PAW_CTR_SLOTS_DEFAULT)
		sb->ctr_slots = PAW_CTR_SLOTS_DEFAULT;
	if (sb->ctr_slots > PAW_CTR_SLOTS_MAX)
		sb->ctr_slots = PAW_CTR_SLOTS_MAX;
	bpf_map__set_max_entries(sb->skel->maps.paw_calls,
				 o && o->max_calls ? o->max_calls : PAW_MAX_CALLS_DEFAULT);
	bpf_map__set_max_entries(sb->skel->maps.paw_clients,
				 o && o->max_clients ? o->max_clients : PAW_MAX_CLIENTS_DEFAULT);

	if (pinning) {
		err = adopt_pinned(sb, o);
		if (err)
			goto fail;
	} else {
		bpf_object__for_each_map(m, sb->skel->obj)
			bpf_map__set_pin_path(m, NULL);
	}

	sb->call_value_size = paw_call_value_size(sb->ctr_slots);
	/* A pinned paw_calls already has this size (adopt_pinned). */
	if (bpf_map__fd(sb->skel->maps.paw_calls) < 0) {
		err = bpf_map__set_value_size(sb->skel->maps.paw_calls, sb->call_value_size);
		if (err)
			goto fail;
	}
	sb->skel->rodata->ctr_slots = sb->ctr_slots;
	sb->skel->rodata->ctr_atomic = sb->ctr_slots < (__u32)sb->ncpus;

	err = switchboard_bpf__load(sb->skel);
	if (err) {
		seterr(o, "cannot load the Switchboard: %s", strerror(-err));
		goto fail;
	}
	err = config_init(sb);
	if (!err)
		err = slots_rebuild(sb);
	if (!err && pinning)
		err = relink(sb, o);
	if (err) {
		if (o && o->errbuf && !o->errbuf[0])
			seterr(o, "cannot initialise the Switchboard: %s", strerror(-err));
		goto fail;
	}
	*sbp = sb;
	return 0;
fail:
	paw_sb_close(sb);
	return err;
}

void paw_sb_close(struct paw_sb *sb)
{
	if (!sb)
		return;
	while (sb->nlinks)
		link_forget(sb, &sb->links[0]);
	switchboard_bpf__destroy(sb->skel);
	free(sb);
}

int paw_sb_unpin(const char *pin_dir)
{
	static const char *const names[] = {
		PAW_MAP_CALLS, PAW_MAP_CLIENTS, PAW_MAP_PORTS, PAW_MAP_TX_PORTS,
		PAW_MAP_BACKENDS, PAW_MAP_CONFIG, PAW_MAP_STATS, PAW_MAP_PORT_STATS,
	};
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int err = 0, fd;

	d = opendir(pin_dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, LINK_PREFIX, strlen(LINK_PREFIX)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, de->d_name);
		/* Dropping the pin alone detaches later, from a kernel
		 * workqueue; detach first so the port is free on return. */
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			bpf_link_detach(fd);
			close(fd);
		}
		if (unlink(path) && errno != ENOENT)
			err = -errno;
	}
	closedir(d);
	for (size_t i = 0; i < PAW_ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, names[i]);
		if (unlink(path) && errno != ENOENT)
			err = -errno;
	}
	if (rmdir(pin_dir) && errno != ENOENT && errno != ENOTEMPTY && !err)
		err = -errno;
	return err;
}

/* ---- configuration ---- */

int paw_sb_config_get(struct paw_sb *sb, struct paw_config *cfg)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(map_fd(sb->skel->maps.paw_config), &zero, cfg))
		return -errno;
	return 0;
}

int paw_sb_config_set(struct paw_sb *sb, const struct paw_config *cfg)
{
	struct paw_config c = *cfg;
	__u32 zero = 0;

	if (c.default_policy != PAW_POLICY_PASS && c.default_policy != PAW_POLICY_DROP)
		return -EINVAL;
	c.abi_version = PAW_ABI_VERSION;
	if (bpf_map_update_elem(map_fd(sb->skel->maps.paw_config), &zero, &c, BPF_ANY))
		return -errno;
	return 0;
}

int paw_sb_backend_add(struct paw_sb *sb, const struct in6_addr *addr)
{
	struct paw_backend_key key;
	__u32 one = 1;

	memcpy(key.addr, addr, sizeof(key.addr));
	if (bpf_map_update_elem(map_fd(sb->skel->maps.paw_backends), &key, &one, BPF_ANY))
		return -errno;
	return 0;
}

int paw_sb_backend_del(struct paw_sb *sb, const struct in6_addr *addr)
{
	struct paw_backend_key key;

	memcpy(key.addr, addr, sizeof(key.addr));
	if (bpf_map_delete_elem(map_fd(sb->skel->maps.paw_backends), &key))
		return -errno;
	return 0;
}

int paw_sb_backend_foreach(struct paw_sb *sb,
			   int (*fn)(const struct in6_addr *addr, void *ctx), void *ctx)
{
	int fd = map_fd(sb->skel->maps.paw_backends);
	struct paw_backend_key key, next, *prev = NULL;
	struct in6_addr a;
	int r;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		memcpy(&a, key.addr, sizeof(a));
		r = fn(&a, ctx);
		if (r)
			return r;
	}
	return 0;
}

/* ---- ports ---- */

static int percpu_zero(int fd, __u32 key, size_t value_size, int ncpus)
{
	size_t stride = (value_size + 7) & ~(size_t)7;
	_cleanup_free_ void *zeros = calloc(ncpus, stride);

	if (!zeros)
		return -ENOMEM;
	if (bpf_map_update_elem(fd, &key, zeros, BPF_ANY))
		return -errno;
	return 0;
}

int paw_sb_port_add(struct paw_sb *sb, __u32 ifindex, const __u8 mac[6], __u16 mtu)
{
	int pfd = map_fd(sb->skel->maps.paw_ports);
	int tfd = map_fd(sb->skel->maps.paw_tx_ports);
	struct bpf_devmap_val tx = { .ifindex = ifindex };
	struct paw_port port = {}, old;
	bool fresh = false;
	int err;

	if (!ifindex)
		return -EINVAL;
	if (bpf_map_lookup_elem(pfd, &ifindex, &old) == 0) {
		port.slot = old.slot;
		port.flags = old.flags;
	} else {
		for (__u32 s = 1; s < PAW_MAX_PORTS; s++) {
			if (!sb->slot_used[s]) {
				port.slot = s;
				break;
			}
		}
		if (!port.slot)
			return -ENOSPC;
		err = percpu_zero(map_fd(sb->skel->maps.paw_port_stats), port.slot,
				  sizeof(struct paw_port_stats), sb->ncpus);
		if (err)
			return err;
		fresh = true;
	}
	port.flags |= PAW_PORT_F_UP;
	memcpy(port.mac, mac, sizeof(port.mac));
	port.mtu = mtu;
	if (bpf_map_update_elem(pfd, &ifindex, &port, BPF_ANY))
		return -errno;
	/* The devmap refuses a device that is gone or cannot transmit XDP. */
	if (bpf_map_update_elem(tfd, &ifindex, &tx, BPF_ANY)) {
		err = -errno;
		if (fresh)
			bpf_map_delete_elem(pfd, &ifindex);
		return err;
	}
	sb->slot_used[port.slot] = true;
	return 0;
}

int paw_sb_port_del(struct paw_sb *sb, __u32 ifindex)
{
	int pfd = map_fd(sb->skel->maps.paw_ports);
	struct paw_port port;
	int err = 0;

	if (bpf_map_delete_elem(map_fd(sb->skel->maps.paw_tx_ports), &ifindex) &&
	    errno != ENOENT)
		err = -errno;
	if (bpf_map_lookup_elem(pfd, &ifindex, &port))
		return err ? err : -ENOENT;
	if (bpf_map_delete_elem(pfd, &ifindex))
		return -errno;
	if (port.slot > 0 && port.slot < PAW_MAX_PORTS)
		sb->slot_used[port.slot] = false;
	return err;
}

int paw_sb_port_get(struct paw_sb *sb, __u32 ifindex, struct paw_port *port)
{
	if (bpf_map_lookup_elem(map_fd(sb->skel->maps.paw_ports), &ifindex, port))
		return -errno;
	return 0;
}

int paw_sb_port_foreach(struct paw_sb *sb,
			int (*fn)(__u32 ifindex, const struct paw_port *port, void *ctx),
			void *ctx)
{
	int fd = map_fd(sb->skel->maps.paw_ports);
	__u32 key, next, *prev = NULL;
	struct paw_port port;
	int r;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &port))
			continue;
		r = fn(key, &port, ctx);
		if (r)
			return r;
	}
	return 0;
}

/* ---- attachment ---- */

static enum paw_xdp_mode query_mode(__u32 ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return PAW_XDP_AUTO;
	switch (q.attach_mode) {
	case XDP_ATTACHED_DRV:
		return PAW_XDP_NATIVE;
	case XDP_ATTACHED_SKB:
		return PAW_XDP_GENERIC;
	}
	return PAW_XDP_AUTO;
}

static int link_create(int prog_fd, __u32 ifindex, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = flags);
	int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lo);

	return fd < 0 ? -errno : fd;
}

int paw_sb_attach(struct paw_sb *sb, __u32 ifindex, enum paw_xdp_mode mode,
		  enum paw_xdp_mode *used)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct paw_link *l = link_find(sb, ifindex);
	char path[PATH_MAX];
	int fd, err;

	if (l) {
		if (link_ifindex(l->fd) == ifindex) {
			if (used)
				*used = query_mode(ifindex);
			return 0;
		}
		/* A stale link from a port that went away and came back. */
		if (sb->pin_dir[0]) {
			link_path(sb, ifindex, path, sizeof(path));
			unlink(path);
		}
		link_forget(sb, l);
	}
	if (bpf_xdp_query(ifindex, 0, &q))
		return -errno;
	if (q.attach_mode != XDP_ATTACHED_NONE)
		return -EBUSY;	/* somebody else's program: never evict it */

	switch (mode) {
	case PAW_XDP_NATIVE:
		fd = link_create(paw_sb_prog_fd(sb), ifindex, XDP_FLAGS_DRV_MODE);
		break;
	case PAW_XDP_GENERIC:
		fd = link_create(paw_sb_prog_fd(sb), ifindex, XDP_FLAGS_SKB_MODE);
		break;
	default:
		fd = link_create(paw_sb_prog_fd(sb), ifindex, XDP_FLAGS_DRV_MODE);
		if (fd == -EOPNOTSUPP || fd == -EINVAL)
			fd = link_create(paw_sb_prog_fd(sb), ifindex, XDP_FLAGS_SKB_MODE);
		break;
	}
	if (fd < 0)
		return fd;
	if (sb->nlinks == PAW_MAX_PORTS) {
		close(fd);
		return -ENOSPC;
	}
	if (sb->pin_dir[0]) {
		link_path(sb, ifindex, path, sizeof(path));
		unlink(path);
		if (bpf_obj_pin(fd, path)) {
			err = -errno;
			close(fd);
			return err;
		}
	}
	sb->links[sb->nlinks++] = (struct paw_link){ .ifindex = ifindex, .fd = fd };
	if (used)
		*used = query_mode(ifindex);
	return 0;
}

int paw_sb_detach(struct paw_sb *sb, __u32 ifindex)
{
	struct paw_link *l = link_find(sb, ifindex);
	char path[PATH_MAX];

	if (!l)
		return -ENOENT;
	if (sb->pin_dir[0]) {
		link_path(sb, ifindex, path, sizeof(path));
		if (unlink(path) && errno != ENOENT)
			return -errno;
	}
	/* Detach now, whoever else still holds the link. */
	bpf_link_detach(l->fd);
	link_forget(sb, l);
	return 0;
}

int paw_sb_attached(struct paw_sb *sb, __u32 ifindex, enum paw_xdp_mode *mode)
{
	struct paw_link *l = link_find(sb, ifindex);

	if (!l || link_ifindex(l->fd) != ifindex)
		return 0;
	if (mode)
		*mode = query_mode(ifindex);
	return 1;
}

int paw_xdp_attach_pass(struct paw_sb *sb, __u32 ifindex, enum paw_xdp_mode mode)
{
	__u32 flags = mode == PAW_XDP_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;

	if (bpf_xdp_attach(ifindex, paw_sb_pass_prog_fd(sb), flags, NULL))
		return -errno;
	return 0;
}

/* ---- clients ---- */

int paw_sb_client_set(struct paw_sb *sb, __be32 addr, const struct paw_client *client)
{
	if (!client->ifindex)
		return -EINVAL;
	if (bpf_map_update_elem(map_fd(sb->skel->maps.paw_clients), &addr, client, BPF_ANY))
		return -errno;
	return 0;
}

int paw_sb_client_del(struct paw_sb *sb, __be32 addr)
{
	if (bpf_map_delete_elem(map_fd(sb->skel->maps.paw_clients), &addr))
		return -errno;
	return 0;
}

int paw_sb_client_get(struct paw_sb *sb, __be32 addr, struct paw_client *client)
{
	if (bpf_map_lookup_elem(map_fd(sb->skel->maps.paw_clients), &addr, client))
		return -errno;
	return 0;
}

/* ---- calls ---- */

/* A paw_calls value: the entry and its counter slots. */
union call_value {
	struct paw_call call;
	__u8 raw[paw_call_value_size(PAW_CTR_SLOTS_MAX)];
};

static void ctr_sum(const struct paw_sb *sb, const union call_value *v, struct paw_ctr *sum)
{
	const struct paw_ctr *c = (const void *)(v->raw + sizeof(struct paw_call));

	sum->packets = sum->bytes = 0;
	for (__u32 i = 0; i < sb->ctr_slots; i++) {
		sum->packets += c[i].packets;
		sum->bytes += c[i].bytes;
	}
}

int paw_sb_call_entry(struct paw_sb *sb, __be32 src, __be32 dst, __u32 call_id,
		      struct paw_call *call)
{
	struct paw_client a, b;
	struct paw_port port;
	int err;

	err = paw_sb_client_get(sb, src, &a);
	if (err)
		return err;
	err = paw_sb_client_get(sb, dst, &b);
	if (err)
		return err;
	if (!(b.flags & PAW_CLIENT_F_MAC_KNOWN))
		return -EHOSTUNREACH;
	err = paw_sb_port_get(sb, b.ifindex, &port);
	if (err)
		return err;
	memset(call, 0, sizeof(*call));
	call->ingress_ifindex = a.ifindex;
	call->egress_ifindex = b.ifindex;
	memcpy(call->dst_mac, b.mac, sizeof(call->dst_mac));
	memcpy(call->src_mac, port.mac, sizeof(call->src_mac));
	call->egress_mtu = port.mtu;
	call->call_id = call_id;
	return 0;
}

/* Write one direction, keeping the counters of an existing entry.
 * *old tells what to restore on rollback: 0 new, 1 replaced, 2 unchanged. */
static int call_write(struct paw_sb *sb, const struct paw_call_key *key,
		      const struct paw_call *call, union call_value *prev, int *old)
{
	int fd = map_fd(sb->skel->maps.paw_calls);
	union call_value v;

	if (bpf_map_lookup_elem(fd, key, prev) == 0) {
		if (!memcmp(&prev->call, call, sizeof(*call))) {
			*old = 2;
			return 0;
		}
		memcpy(&v, prev, sb->call_value_size);
		v.call = *call;
		*old = 1;
	} else {
		memset(&v, 0, sb->call_value_size);
		v.call = *call;
		*old = 0;
	}
	if (bpf_map_update_elem(fd, key, &v, BPF_ANY))
		return -errno;
	return 0;
}

static void call_restore(struct paw_sb *sb, const struct paw_call_key *key,
			 const union call_value *prev, int old)
{
	int fd = map_fd(sb->skel->maps.paw_calls);

	if (old == 0)
		bpf_map_delete_elem(fd, key);
	else if (old == 1)
		bpf_map_update_elem(fd, key, prev, BPF_ANY);
}

int paw_sb_call_add(struct paw_sb *sb, __be32 a, __be32 b, __u32 call_id)
{
	struct paw_call_key kab = { .src = a, .dst = b }, kba = { .src = b, .dst = a };
	struct paw_call ab, ba;
	union call_value prev;
	int err, old;

	if (a == b)
		return -EINVAL;
	err = paw_sb_call_entry(sb, a, b, call_id, &ab);
	if (err)
		return err;
	err = paw_sb_call_entry(sb, b, a, call_id, &ba);
	if (err)
		return err;
	ba.flags |= PAW_CALL_F_REVERSE;
	err = call_write(sb, &kab, &ab, &prev, &old);
	if (err)
		return err;
	{
		union call_value prev2;
		int old2;

		err = call_write(sb, &kba, &ba, &prev2, &old2);
	}
	if (err)
		call_restore(sb, &kab, &prev, old);
	return err;
}

int paw_sb_call_del(struct paw_sb *sb, __be32 a, __be32 b)
{
	struct paw_call_key kab = { .src = a, .dst = b }, kba = { .src = b, .dst = a };
	int fd = map_fd(sb->skel->maps.paw_calls);
	int found = 0;

	if (bpf_map_delete_elem(fd, &kab) == 0)
		found++;
	else if (errno != ENOENT)
		return -errno;
	if (bpf_map_delete_elem(fd, &kba) == 0)
		found++;
	else if (errno != ENOENT)
		return -errno;
	return found ? 0 : -ENOENT;
}

int paw_sb_call_get(struct paw_sb *sb, __be32 src, __be32 dst,
		    struct paw_call *call, struct paw_ctr *ctr)
{
	struct paw_call_key key = { .src = src, .dst = dst };
	union call_value v;

	if (bpf_map_lookup_elem(map_fd(sb->skel->maps.paw_calls), &key, &v))
		return -errno;
	if (call)
		*call = v.call;
	if (ctr)
		ctr_sum(sb, &v, ctr);
	return 0;
}

int paw_sb_calls_write(struct paw_sb *sb, const struct paw_call_key *keys,
		       const struct paw_call *calls, __u32 n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo, .elem_flags = BPF_ANY);
	size_t vs = sb->call_value_size;
	_cleanup_free_ __u8 *vals = NULL;
	__u32 count = n;
	int err;

	if (!n)
		return 0;
	vals = calloc(n, vs);
	if (!vals)
		return -ENOMEM;
	for (__u32 i = 0; i < n; i++)
		memcpy(vals + i * vs, &calls[i], sizeof(calls[i]));
	err = bpf_map_update_batch(map_fd(sb->skel->maps.paw_calls), keys, vals, &count, &bo);
	if (err && !count)
		return -errno;
	return (int)count;
}

int paw_sb_call_foreach(struct paw_sb *sb,
			int (*fn)(const struct paw_call_key *key, const struct paw_call *call,
				  const struct paw_ctr *ctr, void *ctx),
			void *ctx)
{
	enum { BATCH = 256 };
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	int fd = map_fd(sb->skel->maps.paw_calls);
	size_t vs = sb->call_value_size;
	struct paw_call_key keys[BATCH];
	_cleanup_free_ __u8 *vals = malloc(BATCH * vs);
	__u32 in_batch, out_batch, count;
	bool first = true, done = false;
	union call_value v;
	struct paw_ctr ctr;
	int err, r;

	if (!vals)
		return -ENOMEM;
	while (!done) {
		count = BATCH;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in_batch, &out_batch,
					   keys, vals, &count, &bo);
		if (err) {
			if (errno != ENOENT)
				return -errno;
			done = true;
		}
		for (__u32 i = 0; i < count; i++) {
			memcpy(&v, vals + i * vs, vs);
			ctr_sum(sb, &v, &ctr);
			r = fn(&keys[i], &v.call, &ctr, ctx);
			if (r)
				return r;
		}
		in_batch = out_batch;
		first = false;
	}
	return 0;
}

/* ---- counters ---- */

static int percpu_sum(int fd, __u32 key, struct paw_ctr *out, size_t nctr, int ncpus)
{
	size_t stride = (nctr * sizeof(struct paw_ctr) + 7) & ~(size_t)7;
	_cleanup_free_ __u8 *vals = calloc(ncpus, stride);

	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, vals))
		return -errno;
	memset(out, 0, nctr * sizeof(*out));
	for (int cpu = 0; cpu < ncpus; cpu++) {
		const struct paw_ctr *c = (const void *)(vals + cpu * stride);

		for (size_t i = 0; i < nctr; i++) {
			out[i].packets += c[i].packets;
			out[i].bytes += c[i].bytes;
		}
	}
	return 0;
}

int paw_sb_stats(struct paw_sb *sb, struct paw_ctr out[PAW_R_MAX])
{
	int fd = map_fd(sb->skel->maps.paw_stats);
	int err;

	for (__u32 r = 0; r < PAW_R_MAX; r++) {
		err = percpu_sum(fd, r, &out[r], 1, sb->ncpus);
		if (err)
			return err;
	}
	return 0;
}

int paw_sb_port_stats(struct paw_sb *sb, __u32 ifindex, struct paw_ctr out[PAW_R_MAX])
{
	struct paw_port port;
	__u32 slot = 0;
	int err;

	if (ifindex) {
		err = paw_sb_port_get(sb, ifindex, &port);
		if (err)
			return err;
		slot = port.slot;
	}
	return percpu_sum(map_fd(sb->skel->maps.paw_port_stats), slot, out, PAW_R_MAX,
			  sb->ncpus);
}

__u64 paw_sb_events_lost(struct paw_sb *sb)
{
	__u64 sum = 0;

	for (int i = 0; i < PAW_CTR_SLOTS_MAX; i++)
		sum += sb->skel->bss->events_lost[i];
	return sum;
}
