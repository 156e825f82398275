// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Port setup through rtnetlink, on libmnl.
 *
 * Every request goes through nl_talk(): NLM_F_ACK is always set, so each
 * request ends in exactly one NLMSG_ERROR (an ack, or the error); replies
 * are matched on sequence number and port id by mnl_cb_run2(); the
 * kernel's extended-ack text is kept for paw_nl_errmsg(). Data callbacks
 * never stop the run early, so the ack is always consumed and the next
 * request starts on an empty socket.
 *
 * Why no libnl-route-3 here, not even for veth creation: libnl would
 * save the ~15 lines that nest the peer's ifinfomsg under
 * IFLA_LINKINFO/IFLA_INFO_DATA/VETH_INFO_PEER, but the request would
 * then leave through a second socket stack that has none of the above:
 * libnl 3.7 has no way to hand back the extack text, and it folds errno
 * into its own NLE_* codes (ENOENT and ENODEV both become
 * NLE_OBJ_NOTFOUND), so "-EEXIST when name exists" and a useful message
 * would be lost exactly where pawd needs them. One code path for every
 * request is worth more than those lines.
 *
 * Library code: nothing here prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
/* glibc's net/if.h before any linux/ header: the other order clashes. */
#include <net/if.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <linux/if_tun.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "cleanup.h"
#include "nl.h"

#define NL_RX_SIZE	32768	/* a link message with everything fits easily */
#define NL_TX_SIZE	4096	/* our requests are a few hundred bytes */
#define NL_TIMEOUT_S	5	/* rtnetlink answers at once; this bounds a hang */
#define NL_MAX_READS	64	/* a non-dump request: a reply and an ack */
#define NL_NAME_MAX	255	/* longer names never reach the kernel */
#define MON_MAX_READS	1024	/* per paw_nl_monitor_read(): then poll again */

struct paw_nl {
	struct mnl_socket *sock;
	__u32 portid;
	__u32 seq;
	bool stale;		/* a request timed out: its answer may still come */
	char errmsg[256];
	/* Netlink headers are read in place: the buffers must be aligned. */
	char tx[NL_TX_SIZE] __attribute__((aligned(8)));
	char rx[NL_RX_SIZE] __attribute__((aligned(8)));
};

struct paw_nl_monitor {
	struct mnl_socket *sock;
	char rx[NL_RX_SIZE] __attribute__((aligned(8)));
};

/* ---- the request path ---- */

struct talk {
	struct paw_nl *nl;
	mnl_cb_t cb;		/* data messages, or NULL */
	void *data;
};

static void keep_extack(struct paw_nl *nl, const struct nlmsghdr *nlh,
			const struct nlmsgerr *e)
{
	const struct nlattr *attr;
	unsigned int off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* Without NLM_F_CAPPED the kernel echoes our whole request first. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < sizeof(struct nlmsghdr))
			return;
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	}
	if (mnl_nlmsg_size(off) > nlh->nlmsg_len)
		return;
	mnl_attr_for_each(attr, nlh, off) {
		if (mnl_attr_get_type(attr) != NLMSGERR_ATTR_MSG ||
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			continue;
		snprintf(nl->errmsg, sizeof(nl->errmsg), "%s", mnl_attr_get_str(attr));
	}
}

static int talk_error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	/* Warnings come with a success too; keep either. */
	keep_extack(t->nl, nlh, e);
	if (e->error == 0)
		return MNL_CB_STOP;
	errno = e->error < 0 ? -e->error : e->error;
	return MNL_CB_ERROR;
}

static int talk_stop_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_STOP;
}

static int talk_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;

	if (t->cb)
		t->cb(nlh, t->data);
	/* Always go on: the ack that ends the request must be read. */
	return MNL_CB_OK;
}

/* Throw away answers to a request that timed out, so they can't be
 * taken for the next one's (they would fail the sequence check). */
static void drain_stale(struct paw_nl *nl)
{
	int fd = mnl_socket_get_fd(nl->sock);

	for (int i = 0; i < NL_MAX_READS; i++)
		if (recv(fd, nl->rx, sizeof(nl->rx), MSG_DONTWAIT) < 0)
			break;
	nl->stale = false;
}

static struct nlmsghdr *nl_req(struct paw_nl *nl, __u16 type, __u16 flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->tx);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

/* Send one request and read until its ack or error. 0 or -errno. */
static int nl_talk(struct paw_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	/* NULL entries are skipped by mnl_cb_run2(), so DONE needs one. */
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = talk_error_cb,
		[NLMSG_DONE] = talk_stop_cb,
	};
	struct talk t = { .nl = nl, .cb = cb, .data = data };
	ssize_t n;
	int ret, err;

	nl->errmsg[0] = '\0';
	if (nl->stale)
		drain_stale(nl);
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (++nl->seq == 0)	/* seq 0 would turn mnl's check off */
		nl->seq = 1;
	nlh->nlmsg_seq = nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0) {
		err = -errno;
		return err;
	}
	for (int i = 0; i < NL_MAX_READS; i++) {
		n = mnl_socket_recvfrom(nl->sock, nl->rx, sizeof(nl->rx));
		if (n < 0) {
			err = -errno;
			if (err == -EINTR)
				continue;
			if (err == -EAGAIN || err == -EWOULDBLOCK) {
				nl->stale = true;
				return -ETIMEDOUT;
			}
			return err;
		}
		ret = mnl_cb_run2(nl->rx, n, nl->seq, nl->portid, talk_data_cb, &t, ctl,
				  NLMSG_MIN_TYPE);
		if (ret == MNL_CB_ERROR) {
			err = -errno;
			return err;
		}
		if (ret == MNL_CB_STOP)
			return 0;
	}
	nl->stale = true;
	return -EPROTO;
}

int paw_nl_open(struct paw_nl **nlp)
{
	struct timeval tv = { .tv_sec = NL_TIMEOUT_S };
	struct paw_nl *nl;
	int one = 1, err;

	*nlp = NULL;
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock) {
		err = -errno;
		goto fail;
	}
	/* Both exist since Linux 4.12; on an older kernel we only lose
	 * the messages, not the errors, so failures here are not fatal. */
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	if (setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO, &tv,
		       sizeof(tv))) {
		err = -errno;
		goto fail;
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto fail;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (__u32)time(NULL);
	*nlp = nl;
	return 0;
fail:
	paw_nl_close(nl);
	return err;
}

void paw_nl_close(struct paw_nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
}

const char *paw_nl_errmsg(const struct paw_nl *nl)
{
	return nl ? nl->errmsg : "";
}

/* ---- links ---- */

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFLA_MAX) < 0)
		return MNL_CB_OK;	/* newer than our headers: not ours */
	tb[type] = attr;
	return MNL_CB_OK;
}

static int linkinfo_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, IFLA_INFO_MAX) < 0)
		return MNL_CB_OK;
	tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

/* RTM_NEWLINK/RTM_DELLINK into out. 0 or -EBADMSG. */
static int link_parse(const struct nlmsghdr *nlh, struct paw_nl_link *out)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 };
	const struct nlattr *info[IFLA_INFO_MAX + 1] = { 0 };
	const struct ifinfomsg *ifm;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifm)))
		return -EBADMSG;
	ifm = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*ifm), link_attr_cb, tb) < 0)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	out->ifindex = (__u32)ifm->ifi_index;
	out->up = ifm->ifi_flags & IFF_UP;
	out->running = ifm->ifi_flags & IFF_RUNNING;
	if (tb[IFLA_IFNAME] && mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING) == 0)
		snprintf(out->name, sizeof(out->name), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
	if (tb[IFLA_MTU] && mnl_attr_validate(tb[IFLA_MTU], MNL_TYPE_U32) == 0)
		out->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == sizeof(out->mac))
		memcpy(out->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), sizeof(out->mac));
	if (tb[IFLA_LINKINFO] &&
	    mnl_attr_parse_nested(tb[IFLA_LINKINFO], linkinfo_attr_cb, info) >= 0 &&
	    info[IFLA_INFO_KIND] &&
	    mnl_attr_validate(info[IFLA_INFO_KIND], MNL_TYPE_NUL_STRING) == 0)
		snprintf(out->kind, sizeof(out->kind), "%s",
			 mnl_attr_get_str(info[IFLA_INFO_KIND]));
	return 0;
}

struct link_reply {
	struct paw_nl_link *out;
	bool found;
};

static int link_reply_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_reply *r = data;

	if (nlh->nlmsg_type == RTM_NEWLINK && !r->found && link_parse(nlh, r->out) == 0)
		r->found = true;
	return MNL_CB_OK;
}

static int link_get(struct paw_nl *nl, const char *name, __u32 ifindex,
		    struct paw_nl_link *out)
{
	struct link_reply r = { .out = out };
	struct nlmsghdr *nlh = nl_req(nl, RTM_GETLINK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	int err;

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)ifindex;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	/* Counters are most of a link message, and we never want them. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	err = nl_talk(nl, nlh, link_reply_cb, &r);
	if (err)
		return err;
	return r.found ? 0 : -ENODEV;
}

int paw_nl_link_get(struct paw_nl *nl, const char *name, struct paw_nl_link *out)
{
	if (!nl || !name || !out || !*name)
		return -EINVAL;
	/* Such a name can't exist; the kernel would call it -EINVAL. */
	if (strlen(name) >= IF_NAMESIZE)
		return -ENODEV;
	return link_get(nl, name, 0, out);
}

int paw_nl_link_get_index(struct paw_nl *nl, __u32 ifindex, struct paw_nl_link *out)
{
	if (!nl || !out || ifindex == 0 || ifindex > INT32_MAX)
		return -EINVAL;
	return link_get(nl, NULL, ifindex, out);
}

static bool name_ok(const char *name)
{
	/* Validity is the kernel's call (it says why in the extack); we only
	 * refuse what could not be a request at all. */
	return name && *name && strlen(name) <= NL_NAME_MAX;
}

int paw_nl_veth_add(struct paw_nl *nl, const char *name, const char *peer, int peer_netns_fd)
{
	struct nlattr *linkinfo, *data, *peer_nest;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;

	if (!nl || !name_ok(name) || !name_ok(peer))
		return -EINVAL;
	nlh = nl_req(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* The peer is a whole ifinfomsg and its attributes. */
	peer_nest = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	if (peer_netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (__u32)peer_netns_fd);
	mnl_attr_nest_end(nlh, peer_nest);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	return nl_talk(nl, nlh, NULL, NULL);
}

int paw_tap_add(const char *name)
{
	_cleanup_close_ int fd = -1;
	struct ifreq ifr = { 0 };
	int err;

	if (!name || !*name || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		return err;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	/* An existing tap of ours is attached to (pawd restarting is
	 * fine); the kernel answers -EINVAL when the name is some other
	 * kind of link, which is really "taken". */
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		if (err == -EINVAL && if_nametoindex(name))
			err = -EEXIST;
		return err;
	}
	if (ioctl(fd, TUNSETPERSIST, 1) < 0) {
		err = -errno;
		return err;
	}
	return 0;
}

static struct nlmsghdr *link_req(struct paw_nl *nl, __u16 type, __u32 ifindex,
				 struct ifinfomsg **ifmp)
{
	struct nlmsghdr *nlh = nl_req(nl, type, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)ifindex;
	if (ifmp)
		*ifmp = ifm;
	return nlh;
}

int paw_nl_link_del(struct paw_nl *nl, __u32 ifindex)
{
	if (!nl || ifindex == 0 || ifindex > INT32_MAX)
		return -EINVAL;
	return nl_talk(nl, link_req(nl, RTM_DELLINK, ifindex, NULL), NULL, NULL);
}

int paw_nl_link_set_up(struct paw_nl *nl, __u32 ifindex, bool up)
{
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh;

	if (!nl || ifindex == 0 || ifindex > INT32_MAX)
		return -EINVAL;
	nlh = link_req(nl, RTM_NEWLINK, ifindex, &ifm);
	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = up ? IFF_UP : 0;
	return nl_talk(nl, nlh, NULL, NULL);
}

int paw_nl_link_set_mtu(struct paw_nl *nl, __u32 ifindex, __u32 mtu)
{
	struct nlmsghdr *nlh;

	if (!nl || ifindex == 0 || ifindex > INT32_MAX)
		return -EINVAL;
	nlh = link_req(nl, RTM_NEWLINK, ifindex, NULL);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nl_talk(nl, nlh, NULL, NULL);
}

/* ---- addresses, routes, neighbours ---- */

int paw_nl_link_set_netns(struct paw_nl *nl, __u32 ifindex, int netns_fd, const char *name)
{
	struct nlmsghdr *nlh;

	if (!nl || ifindex == 0 || ifindex > INT32_MAX || netns_fd < 0 ||
	    (name && (!name[0] || strlen(name) >= IF_NAMESIZE)))
		return -EINVAL;
	nlh = link_req(nl, RTM_NEWLINK, ifindex, NULL);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, netns_fd);
	/* The kernel renames it on arrival: no clash in either namespace. */
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nl_talk(nl, nlh, NULL, NULL);
}

int paw_ethtool_tx_csum(const char *name, bool on)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_STXCSUM, .data = on };
	struct ifreq ifr = { 0 };
	_cleanup_close_ int fd = -1;

	if (!name || !name[0] || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(ifr.ifr_name, name, strlen(name));
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		return -errno;
	return 0;
}

static int addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : -1;
}

static bool ifindex_ok(__u32 ifindex)
{
	return ifindex != 0 && ifindex <= INT32_MAX;
}

static int addr_req(struct paw_nl *nl, __u16 type, __u16 flags, __u32 ifindex, int family,
		    const void *addr, __u8 prefixlen)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int len = addr_len(family);

	if (!nl || !addr || len < 0 || prefixlen > len * 8 || !ifindex_ok(ifindex))
		return -EINVAL;
	nlh = nl_req(nl, type, flags);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (__u8)family;
	ifa->ifa_prefixlen = prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	/* A port's address is ours by configuration: no DAD to wait for
	 * (and to fail in a namespace that loops back). */
	if (family == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;
	mnl_attr_put(nlh, IFA_LOCAL, (size_t)len, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, (size_t)len, addr);
	return nl_talk(nl, nlh, NULL, NULL);
}

int paw_nl_addr_add(struct paw_nl *nl, __u32 ifindex, int family, const void *addr,
		    __u8 prefixlen)
{
	int err = addr_req(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, family, addr,
			   prefixlen);

	/* Idempotent: what we wanted is there. */
	if (err == -EEXIST) {
		nl->errmsg[0] = '\0';
		err = 0;
	}
	return err;
}

int paw_nl_addr_del(struct paw_nl *nl, __u32 ifindex, int family, const void *addr,
		    __u8 prefixlen)
{
	return addr_req(nl, RTM_DELADDR, 0, ifindex, family, addr, prefixlen);
}

static int route_req(struct paw_nl *nl, __u16 type, __u16 flags, __u32 ifindex, int family,
		     const void *addr)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int len = addr_len(family);

	if (!nl || !addr || len < 0 || !ifindex_ok(ifindex))
		return -EINVAL;
	nlh = nl_req(nl, type, flags);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (__u8)family;
	rtm->rtm_dst_len = (__u8)(len * 8);
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, (size_t)len, addr);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	return nl_talk(nl, nlh, NULL, NULL);
}

int paw_nl_route_add(struct paw_nl *nl, __u32 ifindex, int family, const void *addr)
{
	int err = route_req(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, ifindex, family, addr);

	if (err == -EEXIST) {
		nl->errmsg[0] = '\0';
		err = 0;
	}
	return err;
}

int paw_nl_route_del(struct paw_nl *nl, __u32 ifindex, int family, const void *addr)
{
	return route_req(nl, RTM_DELROUTE, 0, ifindex, family, addr);
}

static struct nlmsghdr *neigh_req(struct paw_nl *nl, __u16 type, __u16 flags, __u32 ifindex,
				  int family, const void *addr, struct ndmsg **ndmp)
{
	struct nlmsghdr *nlh = nl_req(nl, type, flags);
	struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));

	ndm->ndm_family = (__u8)family;
	ndm->ndm_ifindex = (int)ifindex;
	mnl_attr_put(nlh, NDA_DST, (size_t)addr_len(family), addr);
	*ndmp = ndm;
	return nlh;
}

struct neigh_reply {
	__u8 mac[6];
	bool usable;
};

static int neigh_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, NDA_MAX) < 0)
		return MNL_CB_OK;
	tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static int neigh_reply_cb(const struct nlmsghdr *nlh, void *data)
{
	const __u16 usable = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE |
			     NUD_PERMANENT | NUD_NOARP;
	const struct nlattr *tb[NDA_MAX + 1] = { 0 };
	struct neigh_reply *r = data;
	const struct ndmsg *ndm;

	if (nlh->nlmsg_type != RTM_NEWNEIGH || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ndm)))
		return MNL_CB_OK;
	ndm = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*ndm), neigh_attr_cb, tb) < 0)
		return MNL_CB_OK;
	if (!(ndm->ndm_state & usable) || !tb[NDA_LLADDR] ||
	    mnl_attr_get_payload_len(tb[NDA_LLADDR]) != sizeof(r->mac))
		return MNL_CB_OK;
	memcpy(r->mac, mnl_attr_get_payload(tb[NDA_LLADDR]), sizeof(r->mac));
	r->usable = true;
	return MNL_CB_OK;
}

int paw_nl_neigh_get(struct paw_nl *nl, __u32 ifindex, int family, const void *addr,
		     __u8 mac[6])
{
	struct neigh_reply r = { .usable = false };
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;
	int err;

	if (!nl || !addr || !mac || addr_len(family) < 0 || !ifindex_ok(ifindex))
		return -EINVAL;
	/* A single-entry get (Linux 5.0+): no dump of the whole table. */
	nlh = neigh_req(nl, RTM_GETNEIGH, 0, ifindex, family, addr, &ndm);
	err = nl_talk(nl, nlh, neigh_reply_cb, &r);
	if (err)
		return err;
	if (!r.usable)
		return -ENOENT;
	memcpy(mac, r.mac, sizeof(r.mac));
	return 0;
}

int paw_nl_neigh_set(struct paw_nl *nl, __u32 ifindex, int family, const void *addr,
		     const __u8 mac[6])
{
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;

	if (!nl || !addr || !mac || addr_len(family) < 0 || !ifindex_ok(ifindex))
		return -EINVAL;
	nlh = neigh_req(nl, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, ifindex, family, addr,
			&ndm);
	ndm->ndm_state = NUD_PERMANENT;
	mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
	return nl_talk(nl, nlh, NULL, NULL);
}

int paw_nl_neigh_proxy_add(struct paw_nl *nl, __u32 ifindex, int family, const void *addr)
{
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;
	int err;

	if (!nl || !addr || addr_len(family) < 0 || !ifindex_ok(ifindex))
		return -EINVAL;
	nlh = neigh_req(nl, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, ifindex, family, addr,
			&ndm);
	ndm->ndm_flags = NTF_PROXY;
	ndm->ndm_state = NUD_PERMANENT;
	err = nl_talk(nl, nlh, NULL, NULL);
	if (err == -EEXIST) {
		nl->errmsg[0] = '\0';
		err = 0;
	}
	return err;
}

/* ---- sysctl ---- */

int paw_sysctl_set(const char *key, const char *value)
{
	_cleanup_close_ int fd = -1;
	char path[512];
	size_t len;
	ssize_t n;
	int err;

	/* A path below /proc/sys, never out of it. */
	if (!key || !value || !*key || *key == '/' || strstr(key, "..") ||
	    snprintf(path, sizeof(path), "/proc/sys/%s", key) >= (int)sizeof(path))
		return -EINVAL;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		return err;
	}
	len = strlen(value);
	n = write(fd, value, len);
	if (n < 0) {
		err = -errno;
		return err;
	}
	/* proc handlers take a value in one write. */
	return (size_t)n == len ? 0 : -EIO;
}

/* ---- link monitor ---- */

int paw_nl_monitor_open(struct paw_nl_monitor **mp)
{
	struct paw_nl_monitor *m;
	int group = RTNLGRP_LINK, size = 1 << 20, err;

	*mp = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!m->sock) {
		err = -errno;
		goto fail;
	}
	if (mnl_socket_bind(m->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto fail;
	}
	if (mnl_socket_setsockopt(m->sock, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		err = -errno;
		goto fail;
	}
	/* A burst (a hundred ports coming up) should not overrun us; with
	 * CAP_NET_ADMIN we may go past rmem_max. Best effort: a small
	 * buffer only means -ENOBUFS sooner, which callers handle. */
	if (setsockopt(mnl_socket_get_fd(m->sock), SOL_SOCKET, SO_RCVBUFFORCE, &size,
		       sizeof(size)))
		setsockopt(mnl_socket_get_fd(m->sock), SOL_SOCKET, SO_RCVBUF, &size,
			   sizeof(size));
	*mp = m;
	return 0;
fail:
	paw_nl_monitor_close(m);
	return err;
}

void paw_nl_monitor_close(struct paw_nl_monitor *m)
{
	if (!m)
		return;
	if (m->sock)
		mnl_socket_close(m->sock);
	free(m);
}

int paw_nl_monitor_fd(const struct paw_nl_monitor *m)
{
	return m ? mnl_socket_get_fd(m->sock) : -EINVAL;
}

struct mon_ctx {
	void (*fn)(enum paw_nl_event ev, const struct paw_nl_link *link, void *ctx);
	void *ctx;
};

static int mon_cb(const struct nlmsghdr *nlh, void *data)
{
	struct mon_ctx *mc = data;
	const struct ifinfomsg *ifm;
	struct paw_nl_link link;

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return MNL_CB_OK;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifm)))
		return MNL_CB_OK;
	ifm = mnl_nlmsg_get_payload(nlh);
	/* Bridge port events share the group; they are not link changes. */
	if (ifm->ifi_family != AF_UNSPEC || link_parse(nlh, &link))
		return MNL_CB_OK;
	mc->fn(nlh->nlmsg_type == RTM_DELLINK ? PAW_NL_LINK_DELETED : PAW_NL_LINK_CHANGED,
	       &link, mc->ctx);
	return MNL_CB_OK;
}

int paw_nl_monitor_read(struct paw_nl_monitor *m,
			void (*fn)(enum paw_nl_event ev, const struct paw_nl_link *link, void *ctx),
			void *ctx)
{
	struct mon_ctx mc = { .fn = fn, .ctx = ctx };
	ssize_t n;
	int err;

	if (!m || !fn)
		return -EINVAL;
	/* Drain what is queued; a flood is cut at MON_MAX_READS and the fd
	 * stays readable for the caller's next poll. */
	for (int i = 0; i < MON_MAX_READS; i++) {
		n = mnl_socket_recvfrom(m->sock, m->rx, sizeof(m->rx));
		if (n < 0) {
			err = -errno;
			if (err == -EAGAIN || err == -EWOULDBLOCK)
				return 0;
			if (err == -EINTR)
				continue;
			/* -ESRCH: not from the kernel (mnl checks); ignore it. */
			if (err == -ESRCH)
				continue;
			return err;	/* -ENOBUFS: events were lost */
		}
		/* seq and portid 0: notifications carry whichever
		 * requester's; the sender was checked to be the kernel. */
		if (mnl_cb_run(m->rx, n, 0, 0, mon_cb, &mc) == MNL_CB_ERROR) {
			err = -errno;
			return err;
		}
	}
	return 0;
}
