// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Postbox protocol, version 1: encoding, strict decoding, signing and
 * the replay guard. docs/postbox-protocol.md is the byte-level reference;
 * the offsets and TLV numbers below are its C form.
 *
 * Decoding trusts nothing: every length is checked against what is left
 * of the buffer before it is used, and a request's MAC is verified before
 * its body is looked at, so nothing an unauthenticated sender wrote is
 * ever interpreted beyond the header needed to find the secret.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "paw/postbox.h"
#include "util.h"

/* Request header offsets. */
#define RQ_MAGIC	0
#define RQ_VERSION	1
#define RQ_TYPE		2
#define RQ_FLAGS	3
#define RQ_REQ_ID	4
#define RQ_TS		8
#define RQ_NONCE	16
#define RQ_NAME_LEN	32
#define RQ_NAME		33

/* Reply header offsets. */
#define RP_MAGIC	0
#define RP_VERSION	1
#define RP_TYPE		2
#define RP_STATUS	3
#define RP_REQ_ID	4
#define RP_TS		8
#define RP_NONCE	16
#define RP_FLAGS	32
#define RP_TEXT_LEN	33
#define RP_TEXT		34

#define RP_F_SIGNED	0x01
#define RP_F_MORE	0x02

#define TLV_HDR		3	/* u8 type, u16 len */

/* TLV types; requests and replies share one numbering. */
enum {
	T_PEER = 1,
	T_IPV4 = 2,
	T_MAC = 3,
	T_ALLOW_ALL = 4,
	T_ALLOW = 5,
	T_MAX_CALLS = 6,
	T_POSTBOX_MAX = 7,
	T_RETENTION = 8,
	T_MSG_ID = 9,
	T_TEXT = 10,
	T_FETCH_MAX = 11,
	T_ACK_ID = 12,
	T_CALL_ID = 16,
	T_STATUS_NAME = 17,
	T_REGISTERED = 18,
	T_POSTBOX_COUNT = 19,
	T_CALL_PEER = 20,
	T_MESSAGE = 21,
	T_LIMIT = 32,		/* every type fits a __u32 mask below this */
};

#define B(t) (1u << (t))
#define SOIL_TLVS (B(T_ALLOW_ALL) | B(T_ALLOW) | B(T_MAX_CALLS) | B(T_POSTBOX_MAX) | \
		   B(T_RETENTION))
#define SOIL_ALL (PAW_PB_SOIL_ALLOW | PAW_PB_SOIL_MAX_CALLS | PAW_PB_SOIL_POSTBOX_MAX | \
		  PAW_PB_SOIL_RETENTION)

/* MESSAGE value before `from`: id, msg_id, ts_ms, from_len. */
#define MSG_FIXED	(8 + 8 + 8 + 1)

static const __u32 req_allowed[PAW_PB_TYPE_MAX] = {
	[PAW_PB_REGISTER] = B(T_IPV4) | B(T_MAC) | SOIL_TLVS,
	[PAW_PB_SET] = SOIL_TLVS,
	[PAW_PB_CALL] = B(T_PEER),
	[PAW_PB_HANGUP] = B(T_PEER),
	[PAW_PB_POST] = B(T_PEER) | B(T_MSG_ID) | B(T_TEXT),
	[PAW_PB_FETCH] = B(T_FETCH_MAX),
	[PAW_PB_ACK] = B(T_ACK_ID),
	[PAW_PB_STATUS] = 0,
};

static const __u32 req_required[PAW_PB_TYPE_MAX] = {
	[PAW_PB_REGISTER] = B(T_IPV4),
	[PAW_PB_CALL] = B(T_PEER),
	[PAW_PB_HANGUP] = B(T_PEER),
	[PAW_PB_POST] = B(T_PEER) | B(T_MSG_ID) | B(T_TEXT),
	[PAW_PB_ACK] = B(T_ACK_ID),
};

/* Reply bodies exist only with status OK. */
static const __u32 rep_allowed[PAW_PB_TYPE_MAX] = {
	[PAW_PB_CALL] = B(T_CALL_ID),
	[PAW_PB_FETCH] = B(T_MESSAGE),
	[PAW_PB_STATUS] = B(T_STATUS_NAME) | B(T_IPV4) | B(T_MAC) | B(T_REGISTERED) | SOIL_TLVS |
			  B(T_POSTBOX_COUNT) | B(T_CALL_PEER),
};

static const __u32 rep_required[PAW_PB_TYPE_MAX] = {
	[PAW_PB_CALL] = B(T_CALL_ID),
	[PAW_PB_STATUS] = B(T_STATUS_NAME) | B(T_IPV4) | B(T_REGISTERED) | B(T_MAX_CALLS) |
			  B(T_POSTBOX_MAX) | B(T_RETENTION) | B(T_POSTBOX_COUNT),
};

static const __u32 repeatable = B(T_ALLOW) | B(T_ACK_ID) | B(T_CALL_PEER) | B(T_MESSAGE);

const char *paw_pb_type_name(int type)
{
	static const char *const names[PAW_PB_TYPE_MAX] = {
		[PAW_PB_REGISTER] = "register", [PAW_PB_SET] = "set",
		[PAW_PB_CALL] = "call",		[PAW_PB_HANGUP] = "hangup",
		[PAW_PB_POST] = "post",		[PAW_PB_FETCH] = "fetch",
		[PAW_PB_ACK] = "ack",		[PAW_PB_STATUS] = "status",
	};

	if (type <= 0 || type >= PAW_PB_TYPE_MAX)
		return "unknown";
	return names[type];
}

const char *paw_pb_status_name(int status)
{
	static const char *const names[PAW_PB_STATUS_MAX] = {
		[PAW_PB_OK] = "ok",
		[PAW_PB_BAD_REQUEST] = "bad-request",
		[PAW_PB_BAD_VERSION] = "bad-version",
		[PAW_PB_AUTH] = "auth",
		[PAW_PB_STALE] = "stale",
		[PAW_PB_REPLAY] = "replay",
		[PAW_PB_NOT_FOUND] = "not-found",
		[PAW_PB_DENIED] = "denied",
		[PAW_PB_LIMIT] = "limit",
		[PAW_PB_CONFLICT] = "conflict",
		[PAW_PB_UNAVAILABLE] = "unavailable",
		[PAW_PB_INTERNAL] = "internal",
		[PAW_PB_TOO_BIG] = "too-big",
		[PAW_PB_BUSY] = "busy",
		[PAW_PB_NOT_REGISTERED] = "not-registered",
	};

	if (status < 0 || status >= PAW_PB_STATUS_MAX)
		return "unknown";
	return names[status];
}

/* sodium_init() is idempotent; it must have run before randombytes or
 * shorthash are used, and costs a flag check afterwards. */
static int pb_sodium(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

/* ---- big-endian access ---- */

static __u16 get_u16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static __u32 get_u32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static __u64 get_u64(const __u8 *p)
{
	return (__u64)get_u32(p) << 32 | get_u32(p + 4);
}

static void put_u16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put_u32(__u8 *p, __u32 v)
{
	put_u16(p, v >> 16);
	put_u16(p + 2, v & 0xffff);
}

static void put_u64(__u8 *p, __u64 v)
{
	put_u32(p, v >> 32);
	put_u32(p + 4, v & 0xffffffff);
}

/*
 * Names on the wire: 1..32 bytes, ASCII only, then paw_name_valid().
 * The ASCII test comes first because isalnum() follows the locale, and
 * what a name may be must not depend on the process's locale.
 */
static bool wire_name(const __u8 *p, size_t n, char out[PAW_PB_NAME_MAX + 1])
{
	if (n < 1 || n > PAW_PB_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] == 0 || p[i] >= 0x80)
			return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return paw_name_valid(out);
}

/* A C-string name from a struct about to be encoded: its length or 0. */
static size_t struct_name(const char *name)
{
	char tmp[PAW_PB_NAME_MAX + 1];
	size_t n = strnlen(name, PAW_PB_NAME_MAX + 1);

	if (n > PAW_PB_NAME_MAX || !wire_name((const __u8 *)name, n, tmp))
		return 0;
	return n;
}

/* ---- writer: stops at the end of the buffer and remembers it did ---- */

struct wr {
	__u8 *p;
	size_t len;
	size_t off;
	bool full;
};

static __u8 *wr_reserve(struct wr *w, size_t n)
{
	__u8 *at;

	if (w->full || n > w->len - w->off) {
		w->full = true;
		return NULL;
	}
	at = w->p + w->off;
	w->off += n;
	return at;
}

static void wr_bytes(struct wr *w, const void *d, size_t n)
{
	__u8 *at = wr_reserve(w, n);

	if (at && n)
		memcpy(at, d, n);
}

static void wr_u8(struct wr *w, __u8 v)
{
	wr_bytes(w, &v, 1);
}

static void wr_u16(struct wr *w, __u16 v)
{
	__u8 *at = wr_reserve(w, 2);

	if (at)
		put_u16(at, v);
}

static void wr_u32(struct wr *w, __u32 v)
{
	__u8 *at = wr_reserve(w, 4);

	if (at)
		put_u32(at, v);
}

static void wr_u64(struct wr *w, __u64 v)
{
	__u8 *at = wr_reserve(w, 8);

	if (at)
		put_u64(at, v);
}

static void wr_tlv(struct wr *w, __u8 type, const void *v, __u16 n)
{
	wr_u8(w, type);
	wr_u16(w, n);
	wr_bytes(w, v, n);
}

static void wr_tlv_u32(struct wr *w, __u8 type, __u32 v)
{
	__u8 b[4];

	put_u32(b, v);
	wr_tlv(w, type, b, sizeof(b));
}

static void wr_tlv_u64(struct wr *w, __u8 type, __u64 v)
{
	__u8 b[8];

	put_u64(b, v);
	wr_tlv(w, type, b, sizeof(b));
}

static int wr_tlv_name(struct wr *w, __u8 type, const char *name)
{
	size_t n = struct_name(name);

	if (!n)
		return -EINVAL;
	wr_tlv(w, type, name, (__u16)n);
	return 0;
}

/* ---- TLV reader ---- */

struct tlv {
	__u8 type;
	__u16 len;
	const __u8 *v;
};

/* 1: *t holds the next TLV; 0: the body is used up; -1: it overruns. */
static int tlv_next(const __u8 *body, size_t len, size_t *off, struct tlv *t)
{
	size_t left = len - *off;

	if (!left)
		return 0;
	if (left < TLV_HDR)
		return -1;
	t->type = body[*off];
	t->len = get_u16(body + *off + 1);
	if (t->len > left - TLV_HDR)
		return -1;
	t->v = body + *off + TLV_HDR;
	*off += TLV_HDR + t->len;
	return 1;
}

/* ---- Soil_options, shared by REGISTER, SET and the STATUS reply ---- */

/*
 * An allow list of nobody still has to be sent when its bit is present,
 * so it travels as one ALLOW TLV of length 0, alone.
 */
static int wr_soil(struct wr *w, const struct paw_pb_soil *s, __u32 present)
{
	if (present & PAW_PB_SOIL_ALLOW) {
		if (s->n_allow > PAW_PB_ALLOW_MAX || (s->allow_all && s->n_allow))
			return -EINVAL;
		if (s->allow_all)
			wr_tlv(w, T_ALLOW_ALL, NULL, 0);
		else if (!s->n_allow)
			wr_tlv(w, T_ALLOW, NULL, 0);
		for (int i = 0; i < s->n_allow; i++)
			if (wr_tlv_name(w, T_ALLOW, s->allow[i]))
				return -EINVAL;
	}
	if (present & PAW_PB_SOIL_MAX_CALLS)
		wr_tlv_u32(w, T_MAX_CALLS, s->max_calls);
	if (present & PAW_PB_SOIL_POSTBOX_MAX)
		wr_tlv_u32(w, T_POSTBOX_MAX, s->postbox_max);
	if (present & PAW_PB_SOIL_RETENTION)
		wr_tlv_u32(w, T_RETENTION, s->retention_s);
	return 0;
}

struct soil_rd {
	bool empty_allow;	/* the "nobody" ALLOW was seen */
};

/* One soil TLV into s. false: malformed. Repetition rules are the caller's. */
static bool rd_soil(struct paw_pb_soil *s, struct soil_rd *st, const struct tlv *t)
{
	switch (t->type) {
	case T_ALLOW_ALL:
		if (t->len)
			return false;
		s->allow_all = true;
		s->present |= PAW_PB_SOIL_ALLOW;
		return true;
	case T_ALLOW:
		if (st->empty_allow)
			return false;
		if (!t->len) {
			if (s->n_allow)
				return false;
			st->empty_allow = true;
		} else {
			if (s->n_allow >= PAW_PB_ALLOW_MAX ||
			    !wire_name(t->v, t->len, s->allow[s->n_allow]))
				return false;
			s->n_allow++;
		}
		s->present |= PAW_PB_SOIL_ALLOW;
		return true;
	case T_MAX_CALLS:
		if (t->len != 4)
			return false;
		s->max_calls = get_u32(t->v);
		s->present |= PAW_PB_SOIL_MAX_CALLS;
		return true;
	case T_POSTBOX_MAX:
		if (t->len != 4)
			return false;
		s->postbox_max = get_u32(t->v);
		s->present |= PAW_PB_SOIL_POSTBOX_MAX;
		return true;
	case T_RETENTION:
		if (t->len != 4)
			return false;
		s->retention_s = get_u32(t->v);
		s->present |= PAW_PB_SOIL_RETENTION;
		return true;
	}
	return false;
}

/* ---- requests ---- */

static int req_body_encode(struct wr *w, const struct paw_pb_req *req)
{
	int err;

	switch (req->type) {
	case PAW_PB_REGISTER:
		if (!req->has_ipv4 || (req->soil.present & ~SOIL_ALL))
			return -EINVAL;
		wr_tlv(w, T_IPV4, &req->ipv4, 4);	/* already network order */
		if (req->has_mac)
			wr_tlv(w, T_MAC, req->mac, 6);
		return wr_soil(w, &req->soil, req->soil.present);
	case PAW_PB_SET:
		if (!req->soil.present || (req->soil.present & ~SOIL_ALL))
			return -EINVAL;
		return wr_soil(w, &req->soil, req->soil.present);
	case PAW_PB_CALL:
	case PAW_PB_HANGUP:
		return wr_tlv_name(w, T_PEER, req->peer);
	case PAW_PB_POST:
		if (req->text_len > PAW_PB_TEXT_MAX || memchr(req->text, 0, req->text_len))
			return -EINVAL;
		err = wr_tlv_name(w, T_PEER, req->peer);
		if (err)
			return err;
		wr_tlv_u64(w, T_MSG_ID, req->msg_id);
		wr_tlv(w, T_TEXT, req->text, req->text_len);
		return 0;
	case PAW_PB_FETCH:
		if (req->fetch_max) {
			__u8 b[2];

			put_u16(b, req->fetch_max);
			wr_tlv(w, T_FETCH_MAX, b, sizeof(b));
		}
		return 0;
	case PAW_PB_ACK:
		if (req->n_ack < 1 || req->n_ack > PAW_PB_ACK_MAX)
			return -EINVAL;
		for (int i = 0; i < req->n_ack; i++)
			wr_tlv_u64(w, T_ACK_ID, req->ack[i]);
		return 0;
	case PAW_PB_STATUS:
		return 0;
	}
	return -EINVAL;
}

int paw_pb_req_encode(const struct paw_pb_req *req, const __u8 secret[PAW_PB_SECRET_LEN],
		      void *buf, size_t len)
{
	struct wr w = { .p = buf, .len = len };
	size_t name_len, body_off, body_len;
	int err;

	if (!req || !secret || !buf)
		return -EINVAL;
	if (req->type < 1 || req->type >= PAW_PB_TYPE_MAX)
		return -EINVAL;
	name_len = struct_name(req->name);
	if (!name_len)
		return -EINVAL;
	err = pb_sodium();
	if (err)
		return err;

	/* A message never outgrows the TCP frame, whatever buffer we got. */
	if (w.len > PAW_PB_TCP_MAX)
		w.len = PAW_PB_TCP_MAX;
	if (w.len < PAW_PB_MAC_LEN)
		return -EMSGSIZE;
	w.len -= PAW_PB_MAC_LEN;	/* the MAC always has its room */

	wr_u8(&w, PAW_PB_MAGIC);
	wr_u8(&w, PAW_PB_VERSION);
	wr_u8(&w, req->type);
	wr_u8(&w, 0);
	wr_u32(&w, req->req_id);
	wr_u64(&w, req->ts_ms);
	wr_bytes(&w, req->nonce, PAW_PB_NONCE_LEN);
	wr_u8(&w, (__u8)name_len);
	wr_bytes(&w, req->name, name_len);
	body_off = w.off + 2;
	wr_u16(&w, 0);
	err = req_body_encode(&w, req);
	if (err)
		return err;
	if (w.full)
		return -EMSGSIZE;
	body_len = w.off - body_off;
	put_u16(w.p + body_off - 2, (__u16)body_len);
	crypto_auth_hmacsha256(w.p + w.off, w.p, w.off, secret);
	return (int)(w.off + PAW_PB_MAC_LEN);
}

int paw_pb_req_peek(const void *buf, size_t len, struct paw_pb_req *req)
{
	const __u8 *p = buf;
	size_t n;

	if (!req)
		return PAW_PB_BAD_REQUEST;
	memset(req, 0, sizeof(*req));
	if (!p || len < 2 || p[RQ_MAGIC] != PAW_PB_MAGIC)
		return PAW_PB_BAD_REQUEST;
	/* Filled before the checks below so that even a refusal can echo
	 * req_id and nonce, which is how the client matches it. Every
	 * version keeps these first 32 bytes where v1 has them. */
	if (len >= RQ_NAME_LEN) {
		req->req_id = get_u32(p + RQ_REQ_ID);
		req->ts_ms = get_u64(p + RQ_TS);
		memcpy(req->nonce, p + RQ_NONCE, PAW_PB_NONCE_LEN);
	}
	if (p[RQ_VERSION] != PAW_PB_VERSION)
		return PAW_PB_BAD_VERSION;
	if (len < RQ_NAME)
		return PAW_PB_BAD_REQUEST;
	if (p[RQ_TYPE] < 1 || p[RQ_TYPE] >= PAW_PB_TYPE_MAX)
		return PAW_PB_BAD_REQUEST;
	req->type = p[RQ_TYPE];
	if (p[RQ_FLAGS] != 0)
		return PAW_PB_BAD_REQUEST;
	n = p[RQ_NAME_LEN];
	/* Room for the name, the body length and the MAC at least. */
	if (n < 1 || n > PAW_PB_NAME_MAX || len < RQ_NAME + n + 2 + PAW_PB_MAC_LEN)
		return PAW_PB_BAD_REQUEST;
	if (!wire_name(p + RQ_NAME, n, req->name))
		return PAW_PB_BAD_REQUEST;
	return 0;
}

static int req_body_decode(const __u8 *body, size_t len, struct paw_pb_req *req)
{
	__u32 allowed = req_allowed[req->type], seen = 0;
	struct soil_rd sst = { 0 };
	size_t off = 0;
	struct tlv t;
	int rc;

	/* Bounded: every round consumes at least TLV_HDR bytes of len. */
	while ((rc = tlv_next(body, len, &off, &t)) > 0) {
		if (t.type >= T_LIMIT || !(allowed & B(t.type)))
			return PAW_PB_BAD_REQUEST;
		if ((seen & B(t.type)) && !(repeatable & B(t.type)))
			return PAW_PB_BAD_REQUEST;
		seen |= B(t.type);

		switch (t.type) {
		case T_PEER:
			if (!wire_name(t.v, t.len, req->peer))
				return PAW_PB_BAD_REQUEST;
			break;
		case T_IPV4:
			if (t.len != 4)
				return PAW_PB_BAD_REQUEST;
			memcpy(&req->ipv4, t.v, 4);
			req->has_ipv4 = true;
			break;
		case T_MAC:
			if (t.len != 6)
				return PAW_PB_BAD_REQUEST;
			memcpy(req->mac, t.v, 6);
			req->has_mac = true;
			break;
		case T_MSG_ID:
			if (t.len != 8)
				return PAW_PB_BAD_REQUEST;
			req->msg_id = get_u64(t.v);
			break;
		case T_TEXT:
			if (t.len > PAW_PB_TEXT_MAX || memchr(t.v, 0, t.len))
				return PAW_PB_BAD_REQUEST;
			if (t.len)
				memcpy(req->text, t.v, t.len);
			req->text[t.len] = '\0';
			req->text_len = t.len;
			break;
		case T_FETCH_MAX:
			if (t.len != 2)
				return PAW_PB_BAD_REQUEST;
			req->fetch_max = get_u16(t.v);
			break;
		case T_ACK_ID:
			if (t.len != 8 || req->n_ack >= PAW_PB_ACK_MAX)
				return PAW_PB_BAD_REQUEST;
			req->ack[req->n_ack++] = get_u64(t.v);
			break;
		default:
			if (!rd_soil(&req->soil, &sst, &t))
				return PAW_PB_BAD_REQUEST;
			break;
		}
	}
	if (rc < 0)
		return PAW_PB_BAD_REQUEST;
	if ((seen & B(T_ALLOW_ALL)) && (seen & B(T_ALLOW)))
		return PAW_PB_BAD_REQUEST;
	if ((seen & req_required[req->type]) != req_required[req->type])
		return PAW_PB_BAD_REQUEST;
	if (req->type == PAW_PB_SET && !(seen & SOIL_TLVS))
		return PAW_PB_BAD_REQUEST;
	return 0;
}

int paw_pb_req_decode(const void *buf, size_t len, const __u8 secret[PAW_PB_SECRET_LEN],
		      struct paw_pb_req *req)
{
	const __u8 *p = buf;
	size_t hdr, mac_off, body_len;
	int st;

	st = paw_pb_req_peek(buf, len, req);
	if (st)
		return st;
	if (!secret || pb_sodium())
		return PAW_PB_AUTH;
	/* peek guaranteed room for the body length and the MAC. */
	mac_off = len - PAW_PB_MAC_LEN;
	if (crypto_auth_hmacsha256_verify(p + mac_off, p, mac_off, secret))
		return PAW_PB_AUTH;

	hdr = RQ_NAME + p[RQ_NAME_LEN];
	body_len = get_u16(p + hdr);
	if (hdr + 2 + body_len != mac_off)	/* overrun or trailing bytes */
		st = PAW_PB_BAD_REQUEST;
	else
		st = req_body_decode(p + hdr + 2, body_len, req);
	if (st)
		paw_pb_req_peek(buf, len, req);	/* nothing of the body stays */
	return st;
}

/* ---- replies ---- */

static bool msg_valid(const struct paw_pb_msg *m)
{
	return struct_name(m->from) && m->text_len <= PAW_PB_TEXT_MAX &&
	       !memchr(m->text, 0, m->text_len);
}

static void wr_msg(struct wr *w, const struct paw_pb_msg *m, size_t from_len)
{
	wr_u8(w, T_MESSAGE);
	wr_u16(w, (__u16)(MSG_FIXED + from_len + m->text_len));
	wr_u64(w, m->id);
	wr_u64(w, m->msg_id);
	wr_u64(w, m->ts_ms);
	wr_u8(w, (__u8)from_len);
	wr_bytes(w, m->from, from_len);
	wr_bytes(w, m->text, m->text_len);
}

/*
 * A list that does not fit is cut, not refused: what went is counted in
 * *n and *cut tells the caller to set MORE. Order is kept (the first
 * entries go), so a FETCH reply hands out the oldest messages first.
 */
static int rep_body_encode(struct wr *w, const struct paw_pb_reply *rep, bool *cut, __u16 *n)
{
	const struct paw_pb_status_info *in = &rep->info;
	__u8 v;
	int err;

	switch (rep->type) {
	case PAW_PB_CALL:
		wr_tlv_u32(w, T_CALL_ID, rep->call_id);
		return 0;
	case PAW_PB_FETCH:
		if (rep->n_msgs > PAW_PB_FETCH_MAX)
			return -EINVAL;
		for (int i = 0; i < rep->n_msgs; i++)
			if (!msg_valid(&rep->msgs[i]))
				return -EINVAL;
		for (int i = 0; i < rep->n_msgs; i++) {
			const struct paw_pb_msg *m = &rep->msgs[i];
			size_t fl = strlen(m->from);

			if (TLV_HDR + MSG_FIXED + fl + m->text_len > w->len - w->off) {
				*cut = true;
				break;
			}
			wr_msg(w, m, fl);
			(*n)++;
		}
		return 0;
	case PAW_PB_STATUS:
		if (in->n_calls > PAW_PB_CALLS_MAX)
			return -EINVAL;
		for (int i = 0; i < in->n_calls; i++)
			if (!struct_name(in->calls[i]))
				return -EINVAL;
		err = wr_tlv_name(w, T_STATUS_NAME, in->name);
		if (err)
			return err;
		wr_tlv(w, T_IPV4, &in->ipv4, 4);
		if (in->has_mac)
			wr_tlv(w, T_MAC, in->mac, 6);
		v = in->registered;
		wr_tlv(w, T_REGISTERED, &v, 1);
		err = wr_soil(w, &in->soil, SOIL_ALL);
		if (err)
			return err;
		wr_tlv_u32(w, T_POSTBOX_COUNT, in->postbox_count);
		for (int i = 0; i < in->n_calls && !w->full; i++) {
			size_t cl = strlen(in->calls[i]);

			if (TLV_HDR + cl > w->len - w->off) {
				*cut = true;
				break;
			}
			wr_tlv(w, T_CALL_PEER, in->calls[i], (__u16)cl);
			(*n)++;
		}
		return 0;
	}
	return 0;
}

int paw_pb_reply_encode(const struct paw_pb_reply *rep, const __u8 *secret, void *buf,
			size_t len, __u16 *n_encoded)
{
	struct wr w = { .p = buf, .len = len };
	size_t text_len, flags_off, body_off;
	bool cut = false;
	__u16 n = 0;
	__u8 flags;
	int err;

	if (n_encoded)
		*n_encoded = 0;
	if (!rep || !buf)
		return -EINVAL;
	if (rep->type >= PAW_PB_TYPE_MAX || rep->status >= PAW_PB_STATUS_MAX)
		return -EINVAL;
	err = pb_sodium();
	if (err)
		return err;
	if (w.len > PAW_PB_TCP_MAX)
		w.len = PAW_PB_TCP_MAX;
	if (w.len < PAW_PB_MAC_LEN)
		return -EMSGSIZE;
	w.len -= PAW_PB_MAC_LEN;
	text_len = strnlen(rep->text, PAW_PB_REASON_MAX);

	wr_u8(&w, PAW_PB_MAGIC);
	wr_u8(&w, PAW_PB_VERSION);
	wr_u8(&w, rep->type | PAW_PB_REPLY_BIT);
	wr_u8(&w, rep->status);
	wr_u32(&w, rep->req_id);
	wr_u64(&w, rep->ts_ms);
	wr_bytes(&w, rep->nonce, PAW_PB_NONCE_LEN);
	flags_off = w.off;
	wr_u8(&w, 0);
	wr_u8(&w, (__u8)text_len);
	wr_bytes(&w, rep->text, text_len);
	body_off = w.off + 2;
	wr_u16(&w, 0);
	if (w.full)
		return -EMSGSIZE;
	if (rep->status == PAW_PB_OK) {
		err = rep_body_encode(&w, rep, &cut, &n);
		if (err)
			return err;
		if (w.full)
			return -EMSGSIZE;
	}
	flags = (secret ? RP_F_SIGNED : 0) | (cut || rep->more ? RP_F_MORE : 0);
	w.p[flags_off] = flags;
	put_u16(w.p + body_off - 2, (__u16)(w.off - body_off));
	if (secret)
		crypto_auth_hmacsha256(w.p + w.off, w.p, w.off, secret);
	else
		memset(w.p + w.off, 0, PAW_PB_MAC_LEN);
	if (n_encoded)
		*n_encoded = n;
	return (int)(w.off + PAW_PB_MAC_LEN);
}

/* Refusals made before the asker was authenticated: no key to sign with. */
static bool unsigned_ok(int status)
{
	switch (status) {
	case PAW_PB_BAD_REQUEST:
	case PAW_PB_BAD_VERSION:
	case PAW_PB_AUTH:
	case PAW_PB_STALE:
	case PAW_PB_REPLAY:
	case PAW_PB_BUSY:
		return true;
	}
	return false;
}

static int rd_msg(const struct tlv *t, struct paw_pb_msg *m)
{
	size_t fl, tl;

	if (t->len < MSG_FIXED + 1)
		return -EPROTO;
	m->id = get_u64(t->v);
	m->msg_id = get_u64(t->v + 8);
	m->ts_ms = get_u64(t->v + 16);
	fl = t->v[24];
	if (fl > (size_t)t->len - MSG_FIXED || !wire_name(t->v + MSG_FIXED, fl, m->from))
		return -EPROTO;
	tl = t->len - MSG_FIXED - fl;
	if (tl > PAW_PB_TEXT_MAX || memchr(t->v + MSG_FIXED + fl, 0, tl))
		return -EPROTO;
	if (tl)
		memcpy(m->text, t->v + MSG_FIXED + fl, tl);
	m->text[tl] = '\0';
	m->text_len = (__u16)tl;
	return 0;
}

static int rep_body_decode(const __u8 *body, size_t len, struct paw_pb_reply *rep)
{
	struct paw_pb_status_info *in = &rep->info;
	__u32 allowed = rep_allowed[rep->type], seen = 0;
	struct soil_rd sst = { 0 };
	size_t off = 0;
	struct tlv t;
	int rc;

	while ((rc = tlv_next(body, len, &off, &t)) > 0) {
		if (t.type >= T_LIMIT || !(allowed & B(t.type)))
			return -EPROTO;
		if ((seen & B(t.type)) && !(repeatable & B(t.type)))
			return -EPROTO;
		seen |= B(t.type);

		switch (t.type) {
		case T_CALL_ID:
			if (t.len != 4)
				return -EPROTO;
			rep->call_id = get_u32(t.v);
			break;
		case T_MESSAGE:
			if (rep->n_msgs >= PAW_PB_FETCH_MAX || rd_msg(&t, &rep->msgs[rep->n_msgs]))
				return -EPROTO;
			rep->n_msgs++;
			break;
		case T_STATUS_NAME:
			if (!wire_name(t.v, t.len, in->name))
				return -EPROTO;
			break;
		case T_IPV4:
			if (t.len != 4)
				return -EPROTO;
			memcpy(&in->ipv4, t.v, 4);
			break;
		case T_MAC:
			if (t.len != 6)
				return -EPROTO;
			memcpy(in->mac, t.v, 6);
			in->has_mac = true;
			break;
		case T_REGISTERED:
			if (t.len != 1 || t.v[0] > 1)
				return -EPROTO;
			in->registered = t.v[0];
			break;
		case T_POSTBOX_COUNT:
			if (t.len != 4)
				return -EPROTO;
			in->postbox_count = get_u32(t.v);
			break;
		case T_CALL_PEER:
			if (in->n_calls >= PAW_PB_CALLS_MAX ||
			    !wire_name(t.v, t.len, in->calls[in->n_calls]))
				return -EPROTO;
			in->n_calls++;
			break;
		default:
			if (!rd_soil(&in->soil, &sst, &t))
				return -EPROTO;
			break;
		}
	}
	if (rc < 0)
		return -EPROTO;
	if ((seen & B(T_ALLOW_ALL)) && (seen & B(T_ALLOW)))
		return -EPROTO;
	if ((seen & rep_required[rep->type]) != rep_required[rep->type])
		return -EPROTO;
	if (rep->type == PAW_PB_STATUS && !(seen & (B(T_ALLOW_ALL) | B(T_ALLOW))))
		return -EPROTO;
	return 0;
}

static int reply_decode(const __u8 *p, size_t len, const __u8 *secret,
			struct paw_pb_reply *rep)
{
	size_t text_len, body_off, body_len, mac_off;
	__u8 type, flags;

	if (len < RP_TEXT + 2 + PAW_PB_MAC_LEN || len > PAW_PB_TCP_MAX)
		return -EPROTO;
	if (p[RP_MAGIC] != PAW_PB_MAGIC || p[RP_VERSION] != PAW_PB_VERSION)
		return -EPROTO;
	type = p[RP_TYPE];
	flags = p[RP_FLAGS];
	if (!(type & PAW_PB_REPLY_BIT) || (type & ~PAW_PB_REPLY_BIT) >= PAW_PB_TYPE_MAX ||
	    p[RP_STATUS] >= PAW_PB_STATUS_MAX || (flags & ~(RP_F_SIGNED | RP_F_MORE)))
		return -EPROTO;
	text_len = p[RP_TEXT_LEN];
	body_off = RP_TEXT + text_len + 2;
	if (body_off + PAW_PB_MAC_LEN > len)
		return -EPROTO;
	body_len = get_u16(p + body_off - 2);
	mac_off = len - PAW_PB_MAC_LEN;
	if (body_off + body_len != mac_off)
		return -EPROTO;
	if (memchr(p + RP_TEXT, 0, text_len))
		return -EPROTO;
	if (!(flags & RP_F_SIGNED) && !sodium_is_zero(p + mac_off, PAW_PB_MAC_LEN))
		return -EPROTO;

	rep->type = type & ~PAW_PB_REPLY_BIT;
	rep->status = p[RP_STATUS];
	rep->req_id = get_u32(p + RP_REQ_ID);
	rep->ts_ms = get_u64(p + RP_TS);
	memcpy(rep->nonce, p + RP_NONCE, PAW_PB_NONCE_LEN);
	rep->more = flags & RP_F_MORE;
	memcpy(rep->text, p + RP_TEXT, text_len);
	rep->text[text_len] = '\0';

	if (secret) {
		if (flags & RP_F_SIGNED) {
			/* A claimed signature that fails is forged or damaged,
			 * whatever the status says. */
			if (crypto_auth_hmacsha256_verify(p + mac_off, p, mac_off, secret))
				return -EBADMSG;
			rep->signed_ = true;
		} else if (!unsigned_ok(rep->status)) {
			return -EBADMSG;
		}
	}
	/* Only an accepted request has a body: a refusal, which may come
	 * unsigned, can carry nothing a forger could use. */
	if (body_len && rep->status != PAW_PB_OK)
		return -EPROTO;
	if (rep->status != PAW_PB_OK)
		return 0;
	return rep_body_decode(p + body_off, body_len, rep);
}

int paw_pb_reply_decode(const void *buf, size_t len, const __u8 *secret,
			struct paw_pb_reply *rep)
{
	int err;

	if (!rep)
		return -EINVAL;
	memset(rep, 0, sizeof(*rep));
	if (!buf)
		return -EPROTO;
	if (pb_sodium())
		return -EIO;
	err = reply_decode(buf, len, secret, rep);
	if (err)
		memset(rep, 0, sizeof(*rep));
	return err;
}

/* ---- replay guard ---- */

/*
 * Two hash tables share one node header: clients by name, and nonces by
 * (name, nonce). Every remembered nonce is also on one list ordered by
 * when it expires (its timestamp + window: after that the timestamp check
 * refuses a replay by itself), so each check first drops what has expired,
 * across all names, and memory follows the live set. Nonces of one name
 * are chained too, for the per-name bound and forget().
 *
 * Hashes are SipHash (crypto_shorthash) with a random key: the nonces
 * come from clients, who must not be able to aim them at one bucket.
 */
struct hnode {
	struct hnode *next;
	__u64 hash;
};

struct htab {
	struct hnode **b;
	size_t nb;		/* buckets, a power of two */
	size_t n;		/* nodes */
};

struct rp_name;

struct rp_entry {
	struct hnode h;			/* first: the table holds hnode pointers */
	struct rp_entry *prev, *next;	/* global list, soonest expiry first */
	struct rp_entry *nprev, *nnext;	/* the name's entries */
	struct rp_name *owner;
	__u64 expire_ms;
	__u8 nonce[PAW_PB_NONCE_LEN];
};

struct rp_name {
	struct hnode h;
	struct rp_entry *entries;
	__u32 count;
	char name[PAW_PB_NAME_MAX + 1];
};

struct paw_pb_replay {
	__u64 window_ms;
	__u64 floor_ms;
	__u32 max_per_name;
	__u8 key[crypto_shorthash_KEYBYTES];
	struct htab names;
	struct htab nonces;
	struct rp_entry *first, *last;
};

#define HT_MIN 16

static int ht_init(struct htab *t)
{
	t->b = calloc(HT_MIN, sizeof(*t->b));
	if (!t->b)
		return -ENOMEM;
	t->nb = HT_MIN;
	t->n = 0;
	return 0;
}

/* Best effort: when memory is short the table keeps its size and
 * chains get longer; nothing is lost. */
static void ht_resize(struct htab *t, size_t nb)
{
	struct hnode **b;

	if (nb < HT_MIN || nb == t->nb)
		return;
	b = calloc(nb, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i < t->nb; i++) {
		struct hnode *h = t->b[i], *next;

		for (; h; h = next) {
			next = h->next;
			h->next = b[h->hash & (nb - 1)];
			b[h->hash & (nb - 1)] = h;
		}
	}
	free(t->b);
	t->b = b;
	t->nb = nb;
}

static void ht_add(struct htab *t, struct hnode *h)
{
	struct hnode **slot = &t->b[h->hash & (t->nb - 1)];

	h->next = *slot;
	*slot = h;
	if (++t->n > t->nb)
		ht_resize(t, t->nb * 2);
}

static void ht_del(struct htab *t, struct hnode *h)
{
	struct hnode **pp = &t->b[h->hash & (t->nb - 1)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			t->n--;
			break;
		}
	}
	if (t->n < t->nb / 4)
		ht_resize(t, t->nb / 2);
}

static __u64 rp_hash(const struct paw_pb_replay *rg, const void *d, size_t n)
{
	__u8 out[crypto_shorthash_BYTES];

	crypto_shorthash(out, d, n, rg->key);
	return get_u64(out);
}

static __u64 rp_nonce_hash(const struct paw_pb_replay *rg, const struct rp_name *nm,
			   const __u8 nonce[PAW_PB_NONCE_LEN])
{
	__u8 in[8 + PAW_PB_NONCE_LEN];

	put_u64(in, nm->h.hash);
	memcpy(in + 8, nonce, PAW_PB_NONCE_LEN);
	return rp_hash(rg, in, sizeof(in));
}

static struct rp_name *rp_name_find(struct paw_pb_replay *rg, const char *name, __u64 hash)
{
	struct hnode *h = rg->names.b[hash & (rg->names.nb - 1)];

	for (; h; h = h->next) {
		struct rp_name *nm = (struct rp_name *)h;

		if (h->hash == hash && !strcmp(nm->name, name))
			return nm;
	}
	return NULL;
}

static struct rp_entry *rp_nonce_find(struct paw_pb_replay *rg, const struct rp_name *nm,
				      const __u8 nonce[PAW_PB_NONCE_LEN])
{
	__u64 hash = rp_nonce_hash(rg, nm, nonce);
	struct hnode *h = rg->nonces.b[hash & (rg->nonces.nb - 1)];

	for (; h; h = h->next) {
		struct rp_entry *e = (struct rp_entry *)h;

		if (h->hash == hash && e->owner == nm &&
		    !memcmp(e->nonce, nonce, PAW_PB_NONCE_LEN))
			return e;
	}
	return NULL;
}

static void rp_name_free(struct paw_pb_replay *rg, struct rp_name *nm)
{
	ht_del(&rg->names, &nm->h);
	free(nm);
}

static void rp_entry_free(struct paw_pb_replay *rg, struct rp_entry *e)
{
	struct rp_name *nm = e->owner;

	ht_del(&rg->nonces, &e->h);
	if (e->prev)
		e->prev->next = e->next;
	else
		rg->first = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		rg->last = e->prev;
	if (e->nprev)
		e->nprev->nnext = e->nnext;
	else
		nm->entries = e->nnext;
	if (e->nnext)
		e->nnext->nprev = e->nprev;
	free(e);
	if (--nm->count == 0)
		rp_name_free(rg, nm);
}

static void rp_prune(struct paw_pb_replay *rg, __u64 now_ms)
{
	while (rg->first && rg->first->expire_ms < now_ms)
		rp_entry_free(rg, rg->first);
}

/* Keep the global list sorted by expiry. Timestamps arrive nearly in
 * order, so the walk from the tail stops at once as a rule. */
static void rp_list_insert(struct paw_pb_replay *rg, struct rp_entry *e)
{
	struct rp_entry *after = rg->last;

	while (after && after->expire_ms > e->expire_ms)
		after = after->prev;
	e->prev = after;
	e->next = after ? after->next : rg->first;
	if (e->next)
		e->next->prev = e;
	else
		rg->last = e;
	if (after)
		after->next = e;
	else
		rg->first = e;
}

struct paw_pb_replay *paw_pb_replay_new(__u64 window_ms, __u32 max_per_name, __u64 now_ms)
{
	struct paw_pb_replay *rg;

	if (!max_per_name) {
		errno = EINVAL;
		return NULL;
	}
	if (pb_sodium()) {
		errno = EIO;
		return NULL;
	}
	rg = calloc(1, sizeof(*rg));
	if (!rg)
		return NULL;
	rg->window_ms = window_ms;
	rg->floor_ms = now_ms;
	rg->max_per_name = max_per_name;
	crypto_shorthash_keygen(rg->key);
	if (ht_init(&rg->names) || ht_init(&rg->nonces)) {
		free(rg->names.b);
		free(rg);
		errno = ENOMEM;
		return NULL;
	}
	return rg;
}

void paw_pb_replay_free(struct paw_pb_replay *rg)
{
	if (!rg)
		return;
	while (rg->first)
		rp_entry_free(rg, rg->first);
	free(rg->names.b);
	free(rg->nonces.b);
	sodium_memzero(rg->key, sizeof(rg->key));
	free(rg);
}

int paw_pb_replay_check(struct paw_pb_replay *rg, const char *name, __u64 ts_ms,
			const __u8 nonce[PAW_PB_NONCE_LEN], __u64 now_ms)
{
	size_t name_len = name ? strnlen(name, PAW_PB_NAME_MAX + 1) : 0;
	struct rp_name *nm;
	struct rp_entry *e;
	__u64 hash;

	if (!rg || !nonce || !name_len || name_len > PAW_PB_NAME_MAX)
		return PAW_PB_BAD_REQUEST;
	rp_prune(rg, now_ms);

	if (ts_ms < rg->floor_ms)
		return PAW_PB_STALE;
	if (ts_ms > now_ms ? ts_ms - now_ms > rg->window_ms : now_ms - ts_ms > rg->window_ms)
		return PAW_PB_STALE;

	hash = rp_hash(rg, name, name_len);
	nm = rp_name_find(rg, name, hash);
	if (nm && rp_nonce_find(rg, nm, nonce))
		return PAW_PB_REPLAY;
	if (nm && nm->count >= rg->max_per_name)
		return PAW_PB_BUSY;

	if (!nm) {
		nm = calloc(1, sizeof(*nm));
		if (!nm)
			return PAW_PB_BUSY;	/* cannot remember it: refuse */
		memcpy(nm->name, name, name_len);
		nm->h.hash = hash;
		ht_add(&rg->names, &nm->h);
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		if (!nm->count)
			rp_name_free(rg, nm);
		return PAW_PB_BUSY;
	}
	memcpy(e->nonce, nonce, PAW_PB_NONCE_LEN);
	e->owner = nm;
	e->expire_ms = ts_ms > UINT64_MAX - rg->window_ms ? UINT64_MAX : ts_ms + rg->window_ms;
	e->h.hash = rp_nonce_hash(rg, nm, nonce);
	ht_add(&rg->nonces, &e->h);
	rp_list_insert(rg, e);
	e->nnext = nm->entries;
	if (e->nnext)
		e->nnext->nprev = e;
	nm->entries = e;
	nm->count++;
	return PAW_PB_OK;
}

void paw_pb_replay_forget(struct paw_pb_replay *rg, const char *name)
{
	size_t name_len = name ? strnlen(name, PAW_PB_NAME_MAX + 1) : 0;
	struct rp_name *nm;

	if (!rg || !name_len || name_len > PAW_PB_NAME_MAX)
		return;
	nm = rp_name_find(rg, name, rp_hash(rg, name, name_len));
	/* The name is freed with its last entry; count bounds the loop. */
	for (__u32 n = nm ? nm->count : 0; n > 0; n--)
		rp_entry_free(rg, nm->entries);
}
