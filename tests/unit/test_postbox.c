// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Postbox protocol v1: codec and replay guard.
 *
 * Messages are also built here byte by byte from docs/postbox-protocol.md,
 * independently of the encoder, so that the document, the encoder and the
 * decoder check one another. Every truncated or mutated message is copied
 * into a heap buffer of exactly its length, so that ASan sees any read
 * past its end.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <sodium.h>

#include "paw/postbox.h"

/* TLV numbers as the protocol document gives them. */
enum {
	T_PEER = 1, T_IPV4 = 2, T_MAC = 3, T_ALLOW_ALL = 4, T_ALLOW = 5, T_MAX_CALLS = 6,
	T_POSTBOX_MAX = 7, T_RETENTION = 8, T_MSG_ID = 9, T_TEXT = 10, T_FETCH_MAX = 11,
	T_ACK_ID = 12, T_CALL_ID = 16, T_STATUS_NAME = 17, T_REGISTERED = 18,
	T_POSTBOX_COUNT = 19, T_CALL_PEER = 20, T_MESSAGE = 21,
};

#define SOIL_ALL (PAW_PB_SOIL_ALLOW | PAW_PB_SOIL_MAX_CALLS | PAW_PB_SOIL_POSTBOX_MAX | \
		  PAW_PB_SOIL_RETENTION)
#define BUF_MAX 70000
#define NOW0 1700000000000ULL
#define NAME32 "n0123456789abcdef0123456789abcde"	/* 32 characters */

static __u8 KEY[PAW_PB_SECRET_LEN];
static __u8 KEY2[PAW_PB_SECRET_LEN];	/* KEY with one bit flipped */

static const __u8 NONCE[PAW_PB_NONCE_LEN] = {
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
};

static int group_setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	for (int i = 0; i < PAW_PB_SECRET_LEN; i++)
		KEY[i] = (__u8)(0x11 * (i + 1));
	memcpy(KEY2, KEY, sizeof(KEY));
	KEY2[17] ^= 0x04;
	return 0;
}

/* ---- raw builders, straight from the document ---- */

static size_t be(__u8 *p, __u64 v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (__u8)v;
	return (size_t)n;
}

struct body {
	__u8 b[BUF_MAX];
	size_t len;
};

static void tlv(struct body *b, __u8 t, const void *v, size_t n)
{
	b->b[b->len++] = t;
	b->len += be(b->b + b->len, n, 2);
	if (n)
		memcpy(b->b + b->len, v, n);
	b->len += n;
}

static void tlv_int(struct body *b, __u8 t, __u64 v, int n)
{
	__u8 x[8];

	be(x, v, n);
	tlv(b, t, x, (size_t)n);
}

static void tlv_str(struct body *b, __u8 t, const char *s)
{
	tlv(b, t, s, strlen(s));
}

struct rq {
	__u8 magic, version, type, flags;
	__u32 req_id;
	__u64 ts;
	__u8 nonce[PAW_PB_NONCE_LEN];
	int name_len;		/* -1: strlen(name) */
	char name[64];
	int body_len;		/* -1: the body's real length */
	struct body body;
};

static void rq_init(struct rq *q, __u8 type)
{
	memset(q, 0, sizeof(*q));
	q->magic = 0x50;
	q->version = 1;
	q->type = type;
	q->req_id = 0x01020304;
	q->ts = NOW0;
	memcpy(q->nonce, NONCE, sizeof(NONCE));
	q->name_len = -1;
	strcpy(q->name, "alice");
	q->body_len = -1;
}

static size_t rq_build(const struct rq *q, const __u8 *key, __u8 *out)
{
	size_t o = 0, nl = q->name_len < 0 ? strlen(q->name) : (size_t)q->name_len;
	size_t bl = q->body_len < 0 ? q->body.len : (size_t)q->body_len;

	out[o++] = q->magic;
	out[o++] = q->version;
	out[o++] = q->type;
	out[o++] = q->flags;
	o += be(out + o, q->req_id, 4);
	o += be(out + o, q->ts, 8);
	memcpy(out + o, q->nonce, PAW_PB_NONCE_LEN);
	o += PAW_PB_NONCE_LEN;
	out[o++] = (__u8)nl;
	memcpy(out + o, q->name, nl);
	o += nl;
	o += be(out + o, bl, 2);
	memcpy(out + o, q->body.b, q->body.len);
	o += q->body.len;
	crypto_auth_hmacsha256(out + o, out, o, key);
	return o + PAW_PB_MAC_LEN;
}

/* A valid request of each type, raw, and the struct that encodes to it. */
static void rq_valid(struct rq *q, int type)
{
	static const __u8 mac[6] = { 0x02, 0xa1, 0x1c, 0, 0, 1 };
	struct body *b = &q->body;

	rq_init(q, (__u8)type);
	switch (type) {
	case PAW_PB_REGISTER:
		tlv(b, T_IPV4, "\x0a\x4d\x00\x01", 4);
		tlv(b, T_MAC, mac, 6);
		tlv_str(b, T_ALLOW, "bob");
		tlv_str(b, T_ALLOW, "carol");
		tlv_int(b, T_MAX_CALLS, 8, 4);
		tlv_int(b, T_POSTBOX_MAX, 100, 4);
		tlv_int(b, T_RETENTION, 604800, 4);
		break;
	case PAW_PB_SET:
		tlv(b, T_ALLOW_ALL, NULL, 0);
		tlv_int(b, T_MAX_CALLS, 3, 4);
		break;
	case PAW_PB_CALL:
	case PAW_PB_HANGUP:
		tlv_str(b, T_PEER, "bob");
		break;
	case PAW_PB_POST:
		tlv_str(b, T_PEER, "bob");
		tlv_int(b, T_MSG_ID, 0x1122334455667788ULL, 8);
		tlv_str(b, T_TEXT, "hello, bob");
		break;
	case PAW_PB_FETCH:
		tlv_int(b, T_FETCH_MAX, 5, 2);
		break;
	case PAW_PB_ACK:
		tlv_int(b, T_ACK_ID, 1, 8);
		tlv_int(b, T_ACK_ID, 2, 8);
		tlv_int(b, T_ACK_ID, 0xffffffffffffffffULL, 8);
		break;
	}
}

static void req_valid(struct paw_pb_req *r, int type)
{
	static const __u8 mac[6] = { 0x02, 0xa1, 0x1c, 0, 0, 1 };

	memset(r, 0, sizeof(*r));
	r->type = (__u8)type;
	r->req_id = 0x01020304;
	r->ts_ms = NOW0;
	memcpy(r->nonce, NONCE, sizeof(NONCE));
	strcpy(r->name, "alice");
	switch (type) {
	case PAW_PB_REGISTER:
		r->has_ipv4 = true;
		inet_pton(AF_INET, "10.77.0.1", &r->ipv4);
		r->has_mac = true;
		memcpy(r->mac, mac, 6);
		r->soil.present = SOIL_ALL;
		r->soil.n_allow = 2;
		strcpy(r->soil.allow[0], "bob");
		strcpy(r->soil.allow[1], "carol");
		r->soil.max_calls = 8;
		r->soil.postbox_max = 100;
		r->soil.retention_s = 604800;
		break;
	case PAW_PB_SET:
		r->soil.present = PAW_PB_SOIL_ALLOW | PAW_PB_SOIL_MAX_CALLS;
		r->soil.allow_all = true;
		r->soil.max_calls = 3;
		break;
	case PAW_PB_CALL:
	case PAW_PB_HANGUP:
		strcpy(r->peer, "bob");
		break;
	case PAW_PB_POST:
		strcpy(r->peer, "bob");
		r->msg_id = 0x1122334455667788ULL;
		strcpy(r->text, "hello, bob");
		r->text_len = 10;
		break;
	case PAW_PB_FETCH:
		r->fetch_max = 5;
		break;
	case PAW_PB_ACK:
		r->n_ack = 3;
		r->ack[0] = 1;
		r->ack[1] = 2;
		r->ack[2] = 0xffffffffffffffffULL;
		break;
	}
}

/* Decode len bytes of buf from a heap copy of exactly that size. */
static int decode_exact(const __u8 *buf, size_t len, const __u8 *key, struct paw_pb_req *r)
{
	__u8 *copy = malloc(len ? len : 1);
	int st;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	st = paw_pb_req_decode(copy, len, key, r);
	free(copy);
	return st;
}

static int rep_decode_exact(const __u8 *buf, size_t len, const __u8 *key,
			    struct paw_pb_reply *r)
{
	__u8 *copy = malloc(len ? len : 1);
	int err;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	err = paw_pb_reply_decode(copy, len, key, r);
	free(copy);
	return err;
}

/* Build q, decode it with KEY and check the status; a refused request
 * leaves nothing of its body behind. */
static void expect_rq(const struct rq *q, int status, int line)
{
	static __u8 buf[BUF_MAX];
	struct paw_pb_req r;
	size_t n = rq_build(q, KEY, buf);
	int st = decode_exact(buf, n, KEY, &r);

	if (st != status)
		fail_msg("line %d: status %s (%d), expected %s", line, paw_pb_status_name(st), st,
			 paw_pb_status_name(status));
	if (st) {
		assert_int_equal(r.peer[0], 0);
		assert_false(r.has_ipv4);
		assert_int_equal(r.soil.present, 0);
		assert_int_equal(r.n_ack, 0);
		assert_int_equal(r.text_len, 0);
	}
}
#define EXPECT_RQ(q, st) expect_rq(q, st, __LINE__)

/* ---- names ---- */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(paw_pb_type_name(PAW_PB_REGISTER), "register");
	assert_string_equal(paw_pb_type_name(PAW_PB_STATUS), "status");
	assert_string_equal(paw_pb_type_name(0), "unknown");
	assert_string_equal(paw_pb_type_name(PAW_PB_TYPE_MAX), "unknown");
	assert_string_equal(paw_pb_status_name(PAW_PB_OK), "ok");
	assert_string_equal(paw_pb_status_name(PAW_PB_DENIED), "denied");
	assert_string_equal(paw_pb_status_name(PAW_PB_NOT_REGISTERED), "not-registered");
	assert_string_equal(paw_pb_status_name(-1), "unknown");
	assert_string_equal(paw_pb_status_name(PAW_PB_STATUS_MAX), "unknown");
	for (int t = 1; t < PAW_PB_TYPE_MAX; t++)
		assert_string_not_equal(paw_pb_type_name(t), "unknown");
	for (int s = 0; s < PAW_PB_STATUS_MAX; s++)
		assert_string_not_equal(paw_pb_status_name(s), "unknown");
}

/* ---- requests ---- */

/* The encoder writes exactly the bytes the document describes. */
static void test_req_wire_layout(void **state)
{
	static __u8 raw[BUF_MAX], enc[BUF_MAX];
	struct paw_pb_req r;
	struct rq q;

	(void)state;
	for (int t = 1; t < PAW_PB_TYPE_MAX; t++) {
		size_t n;
		int len;

		rq_valid(&q, t);
		req_valid(&r, t);
		n = rq_build(&q, KEY, raw);
		len = paw_pb_req_encode(&r, KEY, enc, sizeof(enc));
		assert_int_equal(len, (int)n);
		assert_memory_equal(enc, raw, n);
	}
	/* A few bytes spelled out: STATUS from "alice". */
	req_valid(&r, PAW_PB_STATUS);
	assert_int_equal(paw_pb_req_encode(&r, KEY, enc, sizeof(enc)), 33 + 5 + 2 + 32);
	assert_memory_equal(enc, "\x50\x01\x08\x00\x01\x02\x03\x04", 8);
	assert_memory_equal(enc + 8, "\x00\x00\x01\x8b\xcf\xe5\x68\x00", 8);
	assert_memory_equal(enc + 16, NONCE, 16);
	assert_memory_equal(enc + 32, "\x05" "alice" "\x00\x00", 8);
}

static void roundtrip_req(const struct paw_pb_req *in)
{
	static __u8 buf[BUF_MAX];
	struct paw_pb_req out, pk;
	int len;

	len = paw_pb_req_encode(in, KEY, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(paw_pb_req_peek(buf, (size_t)len, &pk), 0);
	assert_int_equal(pk.type, in->type);
	assert_int_equal(pk.req_id, in->req_id);
	assert_true(pk.ts_ms == in->ts_ms);
	assert_memory_equal(pk.nonce, in->nonce, PAW_PB_NONCE_LEN);
	assert_string_equal(pk.name, in->name);
	assert_int_equal(pk.peer[0], 0);	/* peek leaves the body alone */

	assert_int_equal(decode_exact(buf, (size_t)len, KEY, &out), 0);
	assert_string_equal(out.peer, in->peer);
	assert_int_equal(out.text_len, in->text_len);
	assert_int_equal(out.soil.present, in->soil.present);
	/* Both sides were zeroed before being filled: equal, byte for byte. */
	assert_memory_equal(&out, in, sizeof(out));
}

static void test_req_roundtrip(void **state)
{
	struct paw_pb_req r;

	(void)state;
	for (int t = 1; t < PAW_PB_TYPE_MAX; t++) {
		req_valid(&r, t);
		roundtrip_req(&r);
	}

	/* REGISTER at its smallest, then a register of nobody. */
	req_valid(&r, PAW_PB_REGISTER);
	r.has_mac = false;
	memset(r.mac, 0, 6);
	memset(&r.soil, 0, sizeof(r.soil));
	roundtrip_req(&r);
	r.soil.present = PAW_PB_SOIL_ALLOW;
	roundtrip_req(&r);

	/* SET: an empty allow list is sent, and comes back empty. */
	req_valid(&r, PAW_PB_SET);
	memset(&r.soil, 0, sizeof(r.soil));
	r.soil.present = PAW_PB_SOIL_ALLOW;
	roundtrip_req(&r);
	r.soil.present = PAW_PB_SOIL_RETENTION;
	r.soil.retention_s = 0xffffffff;
	roundtrip_req(&r);
	/* ... the longest allow list of the longest names. */
	memset(&r.soil, 0, sizeof(r.soil));
	r.soil.present = SOIL_ALL;
	r.soil.n_allow = PAW_PB_ALLOW_MAX;
	for (int i = 0; i < PAW_PB_ALLOW_MAX; i++)
		snprintf(r.soil.allow[i], sizeof(r.soil.allow[i]), "%.29s%03d", NAME32, i);
	roundtrip_req(&r);

	/* POST: every byte value but NUL, the longest text; and none. */
	req_valid(&r, PAW_PB_POST);
	r.text_len = PAW_PB_TEXT_MAX;
	for (int i = 0; i < PAW_PB_TEXT_MAX; i++)
		r.text[i] = (char)(1 + i % 255);
	r.text[PAW_PB_TEXT_MAX] = '\0';
	strcpy(r.name, NAME32);
	strcpy(r.peer, "Z.z_9-");
	roundtrip_req(&r);
	req_valid(&r, PAW_PB_POST);
	memset(r.text, 0, sizeof(r.text));
	r.text_len = 0;
	r.msg_id = 0;
	roundtrip_req(&r);

	/* FETCH without a maximum; ACK of the most ids. */
	req_valid(&r, PAW_PB_FETCH);
	r.fetch_max = 0;
	roundtrip_req(&r);
	req_valid(&r, PAW_PB_ACK);
	r.n_ack = PAW_PB_ACK_MAX;
	for (int i = 0; i < PAW_PB_ACK_MAX; i++)
		r.ack[i] = 0x0102030405060708ULL * (__u64)(i + 1);
	roundtrip_req(&r);
}

static void test_req_encode_errors(void **state)
{
	static __u8 buf[BUF_MAX];
	struct paw_pb_req r;
	int len;

	(void)state;
	req_valid(&r, PAW_PB_CALL);
	assert_int_equal(paw_pb_req_encode(NULL, KEY, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(paw_pb_req_encode(&r, NULL, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(paw_pb_req_encode(&r, KEY, NULL, sizeof(buf)), -EINVAL);
	r.type = 0;
	assert_int_equal(paw_pb_req_encode(&r, KEY, buf, sizeof(buf)), -EINVAL);
	r.type = PAW_PB_TYPE_MAX;
	assert_int_equal(paw_pb_req_encode(&r, KEY, buf, sizeof(buf)), -EINVAL);

	req_valid(&r, PAW_PB_CALL);
	strcpy(r.name, "bad name");
	assert_int_equal(paw_pb_req_encode(&r, KEY, buf, sizeof(buf)), -EINVAL);
	r.name[0] = '\0';
	assert_int_equal(paw_pb_req_encode(&r, KEY, buf, sizeof(buf)), -EINVAL);
	memset(r.name, 'a', sizeof(r.name));	/* not terminated */
	assert_int_equal(paw_pb_req_encode(&r, KEY, buf, sizeof(buf)), -EINVAL);
	req_valid(&r, PAW_PB_CALL);
	strcpy(r.peer, "-bob");
	assert_int_equal(paw_pb_req_encode(&r, KEY, buf, sizeof(buf)), -EINVAL);
	r.peer[0] = '\0';
	assert_int_equal(paw_pb_req_encode(&r, KEY, buf, sizeof(buf)), -EINVAL);

	req_valid(&r, PAW_PB_REGISTER);
	r.has_ipv4 = false;
	assert_int_equal(paw_pb_req_encode(&r, KEY, buf, sizeof(buf)), -EINVAL);
	req_valid(&r, PAW_PB_REGISTER);
	r.soil.present |= 0x10;
	assert_int_equal(paw_pb_req_encode(&r, KEY, buf, sizeof(buf)), -EINVAL);
	req_valid(&r, PAW_PB_SET);
	r.soil.present = 0;
	assert_int_equal(paw_pb_req_encode(&r, KEY, buf, sizeof(buf)), -EINVAL);
	req_valid(&r, PAW_PB_SET);
	r.soil.n_allow = 1;	/* with allow_all */
	strcpy(r.soil.allow[0], "bob");
	assert_int_equal(paw_pb_req_encode(&r, KEY, buf, sizeof(buf)), -EINVAL);
	r.soil.allow_all = false;
	r.soil.n_allow = PAW_PB_ALLOW_MAX + 1;
	assert_int_equal(paw_pb_req_encode(&r, KEY, buf, sizeof(buf)), -EINVAL);
	r.soil.n_allow = 1;
	strcpy(r.soil.allow[0], "b b");
	assert_int_equal(paw_pb_req_encode(&r, KEY, buf, sizeof(buf)), -EINVAL);

	req_valid(&r, PAW_PB_POST);
	r.text_len = PAW_PB_TEXT_MAX + 1;
	assert_int_equal(paw_pb_req_encode(&r, KEY, buf, sizeof(buf)), -EINVAL);
	req_valid(&r, PAW_PB_POST);
	r.text[3] = '\0';
	assert_int_equal(paw_pb_req_encode(&r, KEY, buf, sizeof(buf)), -EINVAL);

	req_valid(&r, PAW_PB_ACK);
	r.n_ack = 0;
	assert_int_equal(paw_pb_req_encode(&r, KEY, buf, sizeof(buf)), -EINVAL);
	r.n_ack = PAW_PB_ACK_MAX + 1;
	assert_int_equal(paw_pb_req_encode(&r, KEY, buf, sizeof(buf)), -EINVAL);

	/* Every buffer too small by any amount is -EMSGSIZE, never a write
	 * past it (the copy is exactly that size). */
	for (int t = 1; t < PAW_PB_TYPE_MAX; t++) {
		req_valid(&r, t);
		len = paw_pb_req_encode(&r, KEY, buf, sizeof(buf));
		assert_true(len > 0);
		for (int n = 0; n < len; n++) {
			__u8 *small = malloc(n ? n : 1);

			assert_int_equal(paw_pb_req_encode(&r, KEY, small, n), -EMSGSIZE);
			free(small);
		}
		assert_int_equal(paw_pb_req_encode(&r, KEY, buf, len), len);
	}
}

static void test_req_peek(void **state)
{
	static __u8 buf[BUF_MAX];
	struct paw_pb_req r;
	struct rq q;
	size_t n;

	(void)state;
	rq_valid(&q, PAW_PB_POST);
	n = rq_build(&q, KEY, buf);
	/* Peek needs no key: a message signed with another is peeked fine. */
	n = rq_build(&q, KEY2, buf);
	assert_int_equal(paw_pb_req_peek(buf, n, &r), 0);
	assert_int_equal(r.type, PAW_PB_POST);
	assert_string_equal(r.name, "alice");
	assert_int_equal(r.req_id, 0x01020304);
	assert_int_equal(r.text_len, 0);

	/* A refusal can still be matched: req_id and nonce are read first. */
	q.version = 7;
	n = rq_build(&q, KEY, buf);
	assert_int_equal(paw_pb_req_peek(buf, n, &r), PAW_PB_BAD_VERSION);
	assert_int_equal(r.req_id, 0x01020304);
	assert_memory_equal(r.nonce, NONCE, 16);
	rq_valid(&q, PAW_PB_POST);
	q.flags = 1;
	n = rq_build(&q, KEY, buf);
	assert_int_equal(paw_pb_req_peek(buf, n, &r), PAW_PB_BAD_REQUEST);
	assert_int_equal(r.req_id, 0x01020304);
	assert_int_equal(r.type, PAW_PB_POST);
	assert_string_equal(r.name, "");

	assert_int_equal(paw_pb_req_peek(NULL, 10, &r), PAW_PB_BAD_REQUEST);
	assert_int_equal(paw_pb_req_peek(buf, n, NULL), PAW_PB_BAD_REQUEST);
	assert_int_equal(paw_pb_req_decode(buf, n, KEY, NULL), PAW_PB_BAD_REQUEST);
}

static void test_req_truncated(void **state)
{
	static __u8 buf[BUF_MAX];
	struct paw_pb_req r;
	struct rq q;

	(void)state;
	for (int t = 1; t < PAW_PB_TYPE_MAX; t++) {
		size_t n;

		rq_valid(&q, t);
		n = rq_build(&q, KEY, buf);
		assert_int_equal(decode_exact(buf, n, KEY, &r), 0);
		for (size_t i = 0; i < n; i++) {
			int st = decode_exact(buf, i, KEY, &r);

			if (st != PAW_PB_BAD_REQUEST && st != PAW_PB_AUTH)
				fail_msg("type %d cut at %zu of %zu: %s", t, i, n,
					 paw_pb_status_name(st));
		}
		/* One byte more is one byte too many. */
		buf[n] = 0;
		assert_int_equal(decode_exact(buf, n + 1, KEY, &r), PAW_PB_AUTH);
	}
}

static void test_req_header_malformed(void **state)
{
	static __u8 buf[BUF_MAX];
	struct paw_pb_req r;
	struct rq q;

	(void)state;
	rq_valid(&q, PAW_PB_CALL);
	EXPECT_RQ(&q, PAW_PB_OK);
	q.magic = 0x51;
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_valid(&q, PAW_PB_CALL);
	q.version = 2;
	EXPECT_RQ(&q, PAW_PB_BAD_VERSION);
	q.version = 0;
	EXPECT_RQ(&q, PAW_PB_BAD_VERSION);
	rq_valid(&q, PAW_PB_CALL);
	q.flags = 0x80;
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	for (int t = 0; t < 256; t += (t < 16 ? 1 : 37)) {
		bool known = t >= 1 && t < PAW_PB_TYPE_MAX;

		rq_valid(&q, known ? t : PAW_PB_STATUS);
		q.type = (__u8)t;
		EXPECT_RQ(&q, known ? PAW_PB_OK : PAW_PB_BAD_REQUEST);
	}
	rq_valid(&q, PAW_PB_STATUS);
	q.type = PAW_PB_STATUS | PAW_PB_REPLY_BIT;	/* a reply sent back */
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);

	/* Names: empty, too long, bad characters, NUL inside. */
	rq_valid(&q, PAW_PB_STATUS);
	q.name_len = 0;
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	strcpy(q.name, NAME32);
	q.name_len = -1;
	EXPECT_RQ(&q, PAW_PB_OK);
	strcpy(q.name, NAME32 "x");
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	q.name_len = 255;
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	q.name_len = -1;
	static const char *const bad[] = { "al ice", "-alice", ".alice", "_a", "al/ice",
					   "al\xc3\xa9", "alice\x80", "al:ice" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(q.name, bad[i]);
		EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	}
	memcpy(q.name, "al\0ce", 6);
	q.name_len = 5;
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	strcpy(q.name, "A.b_c-9");
	q.name_len = -1;
	EXPECT_RQ(&q, PAW_PB_OK);

	/* Too short to hold its MAC, at any size. */
	rq_valid(&q, PAW_PB_STATUS);
	size_t n = rq_build(&q, KEY, buf);
	assert_int_equal(decode_exact(buf, n - PAW_PB_MAC_LEN, KEY, &r), PAW_PB_BAD_REQUEST);
	assert_int_equal(decode_exact(buf, 0, KEY, &r), PAW_PB_BAD_REQUEST);
	assert_int_equal(decode_exact(buf, 1, KEY, &r), PAW_PB_BAD_REQUEST);
}

static void test_req_body_malformed(void **state)
{
	struct rq q;

	(void)state;
	/* Unknown TLV types, and reply-only ones. */
	static const __u8 unknown[] = { 0, 13, 15, 16, 17, 21, 22, 31, 32, 99, 255 };
	for (size_t i = 0; i < sizeof(unknown); i++) {
		rq_valid(&q, PAW_PB_REGISTER);
		tlv(&q.body, unknown[i], "x", 1);
		EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
		rq_valid(&q, PAW_PB_REGISTER);
		tlv(&q.body, unknown[i], NULL, 0);
		EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	}

	/* Duplicated singletons. */
	rq_valid(&q, PAW_PB_CALL);
	tlv_str(&q.body, T_PEER, "bob");
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_valid(&q, PAW_PB_POST);
	tlv_int(&q.body, T_MSG_ID, 1, 8);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_valid(&q, PAW_PB_POST);
	tlv_str(&q.body, T_TEXT, "again");
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_valid(&q, PAW_PB_REGISTER);
	tlv(&q.body, T_IPV4, "\x0a\x4d\x00\x01", 4);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_valid(&q, PAW_PB_REGISTER);
	tlv(&q.body, T_MAC, "\x02\0\0\0\0\1", 6);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_valid(&q, PAW_PB_REGISTER);
	tlv_int(&q.body, T_MAX_CALLS, 1, 4);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_valid(&q, PAW_PB_SET);
	tlv(&q.body, T_ALLOW_ALL, NULL, 0);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_valid(&q, PAW_PB_FETCH);
	tlv_int(&q.body, T_FETCH_MAX, 1, 2);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);

	/* TLVs not allowed for the type. */
	rq_valid(&q, PAW_PB_STATUS);
	tlv_str(&q.body, T_PEER, "bob");
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_valid(&q, PAW_PB_CALL);
	tlv_str(&q.body, T_TEXT, "hi");
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_valid(&q, PAW_PB_SET);
	tlv(&q.body, T_IPV4, "\x0a\x4d\x00\x01", 4);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_valid(&q, PAW_PB_HANGUP);
	tlv_int(&q.body, T_MSG_ID, 1, 8);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_valid(&q, PAW_PB_ACK);
	tlv_int(&q.body, T_FETCH_MAX, 1, 2);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_valid(&q, PAW_PB_FETCH);
	tlv_int(&q.body, T_ACK_ID, 1, 8);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_valid(&q, PAW_PB_POST);
	tlv(&q.body, T_ALLOW_ALL, NULL, 0);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);

	/* Required TLVs missing. */
	rq_init(&q, PAW_PB_REGISTER);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	tlv_int(&q.body, T_MAX_CALLS, 1, 4);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_init(&q, PAW_PB_SET);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_init(&q, PAW_PB_CALL);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_init(&q, PAW_PB_HANGUP);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_init(&q, PAW_PB_ACK);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_init(&q, PAW_PB_POST);
	tlv_str(&q.body, T_PEER, "bob");
	tlv_int(&q.body, T_MSG_ID, 1, 8);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);	/* no TEXT */
	rq_init(&q, PAW_PB_POST);
	tlv_str(&q.body, T_PEER, "bob");
	tlv_str(&q.body, T_TEXT, "hi");
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);	/* no MSG_ID */
	rq_init(&q, PAW_PB_POST);
	tlv_int(&q.body, T_MSG_ID, 1, 8);
	tlv_str(&q.body, T_TEXT, "hi");
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);	/* no PEER */
	/* ... and the optional ones really are optional. */
	rq_init(&q, PAW_PB_FETCH);
	EXPECT_RQ(&q, PAW_PB_OK);
	rq_init(&q, PAW_PB_REGISTER);
	tlv(&q.body, T_IPV4, "\x0a\x4d\x00\x01", 4);
	EXPECT_RQ(&q, PAW_PB_OK);
	rq_init(&q, PAW_PB_POST);	/* any order */
	tlv_str(&q.body, T_TEXT, "");
	tlv_int(&q.body, T_MSG_ID, 1, 8);
	tlv_str(&q.body, T_PEER, "bob");
	EXPECT_RQ(&q, PAW_PB_OK);

	/* Wrong lengths. */
	static const struct { __u8 type, t; size_t len; } lens[] = {
		{ PAW_PB_REGISTER, T_IPV4, 3 }, { PAW_PB_REGISTER, T_IPV4, 5 },
		{ PAW_PB_REGISTER, T_MAC, 5 },	{ PAW_PB_REGISTER, T_MAC, 7 },
		{ PAW_PB_SET, T_ALLOW_ALL, 1 }, { PAW_PB_SET, T_MAX_CALLS, 2 },
		{ PAW_PB_SET, T_POSTBOX_MAX, 8 }, { PAW_PB_SET, T_RETENTION, 0 },
		{ PAW_PB_SET, T_ALLOW, 33 },	{ PAW_PB_CALL, T_PEER, 0 },
		{ PAW_PB_CALL, T_PEER, 33 },	{ PAW_PB_POST, T_MSG_ID, 4 },
		{ PAW_PB_POST, T_TEXT, PAW_PB_TEXT_MAX + 1 },
		{ PAW_PB_FETCH, T_FETCH_MAX, 1 }, { PAW_PB_FETCH, T_FETCH_MAX, 4 },
		{ PAW_PB_ACK, T_ACK_ID, 7 },	{ PAW_PB_ACK, T_ACK_ID, 9 },
	};
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		__u8 v[PAW_PB_TEXT_MAX + 1];

		memset(v, 'a', sizeof(v));
		rq_init(&q, lens[i].type);
		if (lens[i].type == PAW_PB_REGISTER)
			tlv(&q.body, T_IPV4, "\x0a\x4d\x00\x01", 4);
		if (lens[i].type == PAW_PB_POST && lens[i].t != T_TEXT)
			tlv_str(&q.body, T_TEXT, "hi");
		if (lens[i].type == PAW_PB_POST && lens[i].t != T_MSG_ID)
			tlv_int(&q.body, T_MSG_ID, 1, 8);
		if (lens[i].type == PAW_PB_POST)
			tlv_str(&q.body, T_PEER, "bob");
		if (lens[i].t == T_IPV4)
			q.body.len = 0;
		tlv(&q.body, lens[i].t, v, lens[i].len);
		if (lens[i].t == T_IPV4)
			tlv(&q.body, T_MAC, "\x02\0\0\0\0\1", 6);
		EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	}

	/* A TLV running past the body, in every way. */
	rq_valid(&q, PAW_PB_CALL);
	q.body.b[2] = 4;	/* PEER claims 4 of the 3 bytes left */
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_valid(&q, PAW_PB_CALL);
	q.body.b[1] = 0xff;
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_valid(&q, PAW_PB_CALL);
	q.body.b[q.body.len++] = T_PEER;	/* a TLV header cut short */
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	q.body.b[q.body.len++] = 0;
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);

	/* body_len that disagrees with the message: trailing bytes inside
	 * the MAC, and a body that runs into the MAC. */
	rq_valid(&q, PAW_PB_CALL);
	q.body_len = (int)q.body.len - 1;
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	q.body_len = 0;
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	q.body_len = (int)q.body.len + 1;
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	q.body_len = 0xffff;
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_valid(&q, PAW_PB_STATUS);
	q.body.b[q.body.len++] = 0;
	q.body_len = 0;
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);

	/* TEXT with a NUL, anywhere. */
	rq_init(&q, PAW_PB_POST);
	tlv_str(&q.body, T_PEER, "bob");
	tlv_int(&q.body, T_MSG_ID, 1, 8);
	tlv(&q.body, T_TEXT, "hi\0there", 8);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_init(&q, PAW_PB_POST);
	tlv_str(&q.body, T_PEER, "bob");
	tlv_int(&q.body, T_MSG_ID, 1, 8);
	tlv(&q.body, T_TEXT, "\0", 1);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);

	/* Names inside TLVs. */
	rq_init(&q, PAW_PB_CALL);
	tlv_str(&q.body, T_PEER, "b b");
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_init(&q, PAW_PB_SET);
	tlv_str(&q.body, T_ALLOW, "-x");
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);

	/* Repeatables, to their limit and one past it. */
	rq_init(&q, PAW_PB_SET);
	for (int i = 0; i < PAW_PB_ALLOW_MAX; i++) {
		char nm[16];

		snprintf(nm, sizeof(nm), "peer%d", i);
		tlv_str(&q.body, T_ALLOW, nm);
	}
	EXPECT_RQ(&q, PAW_PB_OK);
	tlv_str(&q.body, T_ALLOW, "one-more");
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_init(&q, PAW_PB_ACK);
	for (int i = 0; i < PAW_PB_ACK_MAX; i++)
		tlv_int(&q.body, T_ACK_ID, (__u64)i, 8);
	EXPECT_RQ(&q, PAW_PB_OK);
	tlv_int(&q.body, T_ACK_ID, 99, 8);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);

	/* ALLOW and ALLOW_ALL exclude each other, in either order; the empty
	 * ALLOW ("nobody") stands alone. */
	rq_init(&q, PAW_PB_SET);
	tlv(&q.body, T_ALLOW_ALL, NULL, 0);
	tlv_str(&q.body, T_ALLOW, "bob");
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_init(&q, PAW_PB_SET);
	tlv_str(&q.body, T_ALLOW, "bob");
	tlv(&q.body, T_ALLOW_ALL, NULL, 0);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_init(&q, PAW_PB_SET);
	tlv(&q.body, T_ALLOW, NULL, 0);
	tlv(&q.body, T_ALLOW_ALL, NULL, 0);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_init(&q, PAW_PB_SET);
	tlv(&q.body, T_ALLOW, NULL, 0);
	EXPECT_RQ(&q, PAW_PB_OK);
	tlv(&q.body, T_ALLOW, NULL, 0);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_init(&q, PAW_PB_SET);
	tlv(&q.body, T_ALLOW, NULL, 0);
	tlv_str(&q.body, T_ALLOW, "bob");
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
	rq_init(&q, PAW_PB_SET);
	tlv_str(&q.body, T_ALLOW, "bob");
	tlv(&q.body, T_ALLOW, NULL, 0);
	EXPECT_RQ(&q, PAW_PB_BAD_REQUEST);
}

static void test_req_auth(void **state)
{
	static __u8 buf[BUF_MAX];
	struct paw_pb_req r;
	struct rq q;

	(void)state;
	for (int t = 1; t < PAW_PB_TYPE_MAX; t++) {
		size_t n;

		rq_valid(&q, t);
		n = rq_build(&q, KEY, buf);
		assert_int_equal(decode_exact(buf, n, KEY, &r), PAW_PB_OK);
		assert_int_equal(decode_exact(buf, n, KEY2, &r), PAW_PB_AUTH);
		assert_int_equal(decode_exact(buf, n, NULL, &r), PAW_PB_AUTH);
		/* The refusal leaves only the header. */
		assert_int_equal(r.type, t);
		assert_string_equal(r.name, "alice");
		assert_int_equal(r.peer[0], 0);
		/* One bit flipped anywhere, MAC included: never accepted. */
		for (size_t i = 0; i < n; i++) {
			for (int bit = 0; bit < 8; bit++) {
				int st;

				buf[i] ^= (__u8)(1 << bit);
				st = decode_exact(buf, n, KEY, &r);
				buf[i] ^= (__u8)(1 << bit);
				if (st == PAW_PB_AUTH || st == PAW_PB_BAD_REQUEST)
					continue;
				if (st == PAW_PB_BAD_VERSION && i == 1)
					continue;
				fail_msg("type %d, bit %d of byte %zu: %s", t, bit, i,
					 paw_pb_status_name(st));
			}
		}
	}
}

/* ---- replies ---- */

static struct paw_pb_reply *rep_new(int type, int status)
{
	struct paw_pb_reply *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->type = (__u8)type;
	r->status = (__u8)status;
	r->req_id = 0xfeedf00d;
	r->ts_ms = NOW0 + 5;
	memcpy(r->nonce, NONCE, sizeof(NONCE));
	snprintf(r->text, sizeof(r->text), "%s %s", paw_pb_type_name(type),
		 paw_pb_status_name(status));
	return r;
}

static void fill_msg(struct paw_pb_msg *m, int i, const char *from, size_t text_len)
{
	memset(m, 0, sizeof(*m));
	m->id = 1000 + (__u64)i;
	m->msg_id = 0xabcdef0000000000ULL + (__u64)i;
	m->ts_ms = NOW0 - (__u64)i;
	snprintf(m->from, sizeof(m->from), "%s", from);
	m->text_len = (__u16)text_len;
	for (size_t k = 0; k < text_len; k++)
		m->text[k] = (char)('a' + (i + k) % 26);
}

static void fill_status(struct paw_pb_reply *r, int n_allow, bool allow_all, int n_calls)
{
	struct paw_pb_status_info *in = &r->info;

	strcpy(in->name, "alice");
	inet_pton(AF_INET, "10.77.0.1", &in->ipv4);
	in->has_mac = true;
	memcpy(in->mac, "\x02\xa1\x1c\x00\x00\x01", 6);
	in->registered = true;
	in->soil.present = SOIL_ALL;
	in->soil.allow_all = allow_all;
	in->soil.n_allow = (__u8)n_allow;
	for (int i = 0; i < n_allow; i++)
		snprintf(in->soil.allow[i], sizeof(in->soil.allow[i]), "friend%d", i);
	in->soil.max_calls = 8;
	in->soil.postbox_max = 100;
	in->soil.retention_s = 3600;
	in->postbox_count = 7;
	in->n_calls = (__u16)n_calls;
	for (int i = 0; i < n_calls; i++)
		snprintf(in->calls[i], sizeof(in->calls[i]), "%.28s%04d", NAME32, i);
}

static void roundtrip_rep(const struct paw_pb_reply *in, const __u8 *key)
{
	static __u8 buf[BUF_MAX];
	struct paw_pb_reply *out = calloc(1, sizeof(*out));
	struct paw_pb_reply *want = calloc(1, sizeof(*want));
	__u16 n = 0xffff;
	int len;

	assert_non_null(out);
	assert_non_null(want);
	len = paw_pb_reply_encode(in, key, buf, sizeof(buf), &n);
	assert_true(len > 0);
	assert_int_equal(n, in->type == PAW_PB_FETCH ? in->n_msgs :
			    in->type == PAW_PB_STATUS && !in->status ? in->info.n_calls : 0);
	assert_int_equal(rep_decode_exact(buf, (size_t)len, key, out), 0);
	*want = *in;
	want->signed_ = key != NULL;
	assert_int_equal(out->signed_, want->signed_);
	assert_int_equal(out->status, in->status);
	assert_string_equal(out->text, in->text);
	assert_memory_equal(out, want, sizeof(*out));
	/* Without the key it decodes the same, only not verified. */
	assert_int_equal(rep_decode_exact(buf, (size_t)len, NULL, out), 0);
	want->signed_ = false;
	assert_memory_equal(out, want, sizeof(*out));
	free(out);
	free(want);
}

static void test_reply_roundtrip(void **state)
{
	struct paw_pb_reply *r;

	(void)state;
	for (int t = 1; t < PAW_PB_TYPE_MAX; t++) {
		r = rep_new(t, PAW_PB_OK);
		if (t == PAW_PB_CALL)
			r->call_id = 0xdeadbeef;
		if (t == PAW_PB_FETCH) {
			r->n_msgs = 3;
			for (int i = 0; i < 3; i++)
				fill_msg(&r->msgs[i], i, i ? "bob" : NAME32, (size_t)i * 40);
		}
		if (t == PAW_PB_STATUS)
			fill_status(r, 3, false, 5);
		roundtrip_rep(r, KEY);
		roundtrip_rep(r, NULL);
		free(r);
	}

	/* Every status, with its text, for a CALL. */
	for (int s = 1; s < PAW_PB_STATUS_MAX; s++) {
		r = rep_new(PAW_PB_CALL, s);
		roundtrip_rep(r, KEY);
		roundtrip_rep(r, NULL);
		free(r);
	}

	/* STATUS: allow_all, no MAC, not registered, no calls; then nobody. */
	r = rep_new(PAW_PB_STATUS, PAW_PB_OK);
	fill_status(r, 0, true, 0);
	r->info.has_mac = false;
	memset(r->info.mac, 0, 6);
	r->info.registered = false;
	roundtrip_rep(r, KEY);
	r->info.soil.allow_all = false;
	roundtrip_rep(r, KEY);
	/* The largest STATUS there is, over TCP. */
	fill_status(r, PAW_PB_ALLOW_MAX, false, PAW_PB_CALLS_MAX);
	roundtrip_rep(r, KEY);
	free(r);

	/* FETCH: none waiting; the most, of the longest texts; `more` kept. */
	r = rep_new(PAW_PB_FETCH, PAW_PB_OK);
	roundtrip_rep(r, KEY);
	r->more = true;
	r->n_msgs = PAW_PB_FETCH_MAX;
	for (int i = 0; i < PAW_PB_FETCH_MAX; i++)
		fill_msg(&r->msgs[i], i, NAME32, PAW_PB_TEXT_MAX);
	roundtrip_rep(r, KEY);
	free(r);

	/* The longest text; none; a reply to a request of unknown type. */
	r = rep_new(PAW_PB_POST, PAW_PB_DENIED);
	memset(r->text, 'x', PAW_PB_REASON_MAX);
	r->text[PAW_PB_REASON_MAX] = '\0';
	roundtrip_rep(r, KEY);
	memset(r->text, 0, sizeof(r->text));
	roundtrip_rep(r, KEY);
	r->type = 0;
	r->status = PAW_PB_BAD_REQUEST;
	roundtrip_rep(r, NULL);
	free(r);
}

static void test_reply_encode_errors(void **state)
{
	static __u8 buf[BUF_MAX];
	struct paw_pb_reply *r = rep_new(PAW_PB_FETCH, PAW_PB_OK);
	int len;

	(void)state;
	assert_int_equal(paw_pb_reply_encode(NULL, KEY, buf, sizeof(buf), NULL), -EINVAL);
	assert_int_equal(paw_pb_reply_encode(r, KEY, NULL, sizeof(buf), NULL), -EINVAL);
	r->type = PAW_PB_TYPE_MAX;
	assert_int_equal(paw_pb_reply_encode(r, KEY, buf, sizeof(buf), NULL), -EINVAL);
	r->type = PAW_PB_FETCH;
	r->status = PAW_PB_STATUS_MAX;
	assert_int_equal(paw_pb_reply_encode(r, KEY, buf, sizeof(buf), NULL), -EINVAL);
	r->status = PAW_PB_OK;
	r->n_msgs = PAW_PB_FETCH_MAX + 1;
	assert_int_equal(paw_pb_reply_encode(r, KEY, buf, sizeof(buf), NULL), -EINVAL);
	r->n_msgs = 2;
	fill_msg(&r->msgs[0], 0, "bob", 3);
	fill_msg(&r->msgs[1], 1, "b b", 3);
	assert_int_equal(paw_pb_reply_encode(r, KEY, buf, sizeof(buf), NULL), -EINVAL);
	fill_msg(&r->msgs[1], 1, "bob", 3);
	r->msgs[1].text[1] = '\0';
	assert_int_equal(paw_pb_reply_encode(r, KEY, buf, sizeof(buf), NULL), -EINVAL);
	r->msgs[1].text_len = PAW_PB_TEXT_MAX + 1;
	assert_int_equal(paw_pb_reply_encode(r, KEY, buf, sizeof(buf), NULL), -EINVAL);
	free(r);

	r = rep_new(PAW_PB_STATUS, PAW_PB_OK);
	fill_status(r, 1, false, 1);
	assert_true(paw_pb_reply_encode(r, KEY, buf, sizeof(buf), NULL) > 0);
	r->info.soil.allow_all = true;
	assert_int_equal(paw_pb_reply_encode(r, KEY, buf, sizeof(buf), NULL), -EINVAL);
	fill_status(r, 1, false, 1);
	strcpy(r->info.name, "");
	assert_int_equal(paw_pb_reply_encode(r, KEY, buf, sizeof(buf), NULL), -EINVAL);
	fill_status(r, 1, false, 1);
	strcpy(r->info.calls[0], "no way");
	assert_int_equal(paw_pb_reply_encode(r, KEY, buf, sizeof(buf), NULL), -EINVAL);
	fill_status(r, 1, false, PAW_PB_CALLS_MAX + 1);
	assert_int_equal(paw_pb_reply_encode(r, KEY, buf, sizeof(buf), NULL), -EINVAL);
	fill_status(r, PAW_PB_ALLOW_MAX + 1, false, 0);
	assert_int_equal(paw_pb_reply_encode(r, KEY, buf, sizeof(buf), NULL), -EINVAL);
	/* A refusal has no body: whatever is in the struct is not checked. */
	r->status = PAW_PB_DENIED;
	assert_true(paw_pb_reply_encode(r, KEY, buf, sizeof(buf), NULL) > 0);
	free(r);

	/* Too small at every size, for a reply with no list to cut. */
	r = rep_new(PAW_PB_CALL, PAW_PB_OK);
	len = paw_pb_reply_encode(r, KEY, buf, sizeof(buf), NULL);
	assert_true(len > 0);
	for (int n = 0; n < len; n++) {
		__u8 *small = malloc(n ? n : 1);

		assert_int_equal(paw_pb_reply_encode(r, KEY, small, n, NULL), -EMSGSIZE);
		free(small);
	}
	assert_int_equal(paw_pb_reply_encode(r, NULL, buf, len, NULL), len);
	free(r);
}

/* FETCH and STATUS lists are cut to what fits, MORE set, order kept. */
static void test_reply_cut(void **state)
{
	static __u8 buf[BUF_MAX];
	struct paw_pb_reply *r = rep_new(PAW_PB_FETCH, PAW_PB_OK);
	struct paw_pb_reply *out = calloc(1, sizeof(*out));
	__u16 n;
	int len, full;

	(void)state;
	assert_non_null(out);
	r->n_msgs = PAW_PB_FETCH_MAX;
	for (int i = 0; i < PAW_PB_FETCH_MAX; i++)
		fill_msg(&r->msgs[i], i, NAME32, PAW_PB_TEXT_MAX);
	len = paw_pb_reply_encode(r, KEY, buf, PAW_PB_UDP_MAX, &n);
	assert_true(len > 0 && len <= PAW_PB_UDP_MAX);
	assert_int_equal(n, 1);
	assert_int_equal(rep_decode_exact(buf, (size_t)len, KEY, out), 0);
	assert_true(out->more);
	assert_int_equal(out->n_msgs, 1);
	assert_memory_equal(&out->msgs[0], &r->msgs[0], sizeof(r->msgs[0]));

	/* Short messages: many fit, never past the datagram. */
	for (int i = 0; i < PAW_PB_FETCH_MAX; i++)
		fill_msg(&r->msgs[i], i, "bob", 40);
	len = paw_pb_reply_encode(r, KEY, buf, PAW_PB_UDP_MAX, &n);
	assert_true(len > 0 && len <= PAW_PB_UDP_MAX);
	assert_true(n > 1 && n < PAW_PB_FETCH_MAX);
	assert_true(len + 3 + 25 + 3 + 40 > PAW_PB_UDP_MAX);	/* one more would not fit */
	assert_int_equal(rep_decode_exact(buf, (size_t)len, KEY, out), 0);
	assert_true(out->more);
	assert_int_equal(out->n_msgs, n);
	assert_memory_equal(out->msgs, r->msgs, n * sizeof(r->msgs[0]));

	/* Over TCP all go; at exactly their size too; a byte less cuts one. */
	full = paw_pb_reply_encode(r, KEY, buf, sizeof(buf), &n);
	assert_int_equal(n, PAW_PB_FETCH_MAX);
	assert_int_equal(rep_decode_exact(buf, (size_t)full, KEY, out), 0);
	assert_false(out->more);
	assert_int_equal(paw_pb_reply_encode(r, KEY, buf, full, &n), full);
	assert_int_equal(n, PAW_PB_FETCH_MAX);
	len = paw_pb_reply_encode(r, KEY, buf, full - 1, &n);
	assert_int_equal(n, PAW_PB_FETCH_MAX - 1);
	assert_int_equal(rep_decode_exact(buf, (size_t)len, KEY, out), 0);
	assert_true(out->more);
	/* Room for the header and nothing else: none go, MORE says why. */
	len = paw_pb_reply_encode(r, KEY, buf, 34 + strlen(r->text) + 2 + 32, &n);
	assert_true(len > 0);
	assert_int_equal(n, 0);
	assert_int_equal(rep_decode_exact(buf, (size_t)len, KEY, out), 0);
	assert_true(out->more);
	assert_int_equal(out->n_msgs, 0);
	assert_int_equal(paw_pb_reply_encode(r, KEY, buf, (size_t)len - 1, &n), -EMSGSIZE);
	free(r);

	/* STATUS with every call of the longest names: cut over UDP. */
	r = rep_new(PAW_PB_STATUS, PAW_PB_OK);
	fill_status(r, 4, false, PAW_PB_CALLS_MAX);
	len = paw_pb_reply_encode(r, KEY, buf, PAW_PB_UDP_MAX, &n);
	assert_true(len > 0 && len <= PAW_PB_UDP_MAX);
	assert_true(n > 0 && n < PAW_PB_CALLS_MAX);
	assert_int_equal(rep_decode_exact(buf, (size_t)len, KEY, out), 0);
	assert_true(out->more);
	assert_int_equal(out->info.n_calls, n);
	assert_memory_equal(out->info.calls, r->info.calls, n * sizeof(r->info.calls[0]));
	len = paw_pb_reply_encode(r, KEY, buf, sizeof(buf), &n);
	assert_int_equal(n, PAW_PB_CALLS_MAX);
	assert_int_equal(rep_decode_exact(buf, (size_t)len, KEY, out), 0);
	assert_false(out->more);
	free(r);
	free(out);
}

static void test_reply_mac(void **state)
{
	static __u8 buf[BUF_MAX];
	struct paw_pb_reply *r, *out = calloc(1, sizeof(*out));
	size_t len;

	(void)state;
	assert_non_null(out);
	r = rep_new(PAW_PB_CALL, PAW_PB_OK);
	r->call_id = 9;
	len = (size_t)paw_pb_reply_encode(r, KEY, buf, sizeof(buf), NULL);
	assert_int_equal(rep_decode_exact(buf, len, KEY, out), 0);
	assert_true(out->signed_);
	assert_int_equal(out->call_id, 9);
	assert_int_equal(rep_decode_exact(buf, len, KEY2, out), -EBADMSG);
	assert_int_equal(out->call_id, 0);	/* nothing kept of it */
	assert_int_equal(rep_decode_exact(buf, len, NULL, out), 0);
	assert_false(out->signed_);

	/* Each bit flipped: refused, one way or the other. */
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			int err;

			buf[i] ^= (__u8)(1 << bit);
			err = rep_decode_exact(buf, len, KEY, out);
			buf[i] ^= (__u8)(1 << bit);
			if (err != -EBADMSG && err != -EPROTO)
				fail_msg("bit %d of byte %zu: %d", bit, i, err);
		}
	}

	/* Unsigned: only a refusal made before authentication passes. */
	for (int s = 0; s < PAW_PB_STATUS_MAX; s++) {
		bool pre_auth = s == PAW_PB_BAD_REQUEST || s == PAW_PB_BAD_VERSION ||
				s == PAW_PB_AUTH || s == PAW_PB_STALE || s == PAW_PB_REPLAY ||
				s == PAW_PB_BUSY;

		r->status = (__u8)s;
		len = (size_t)paw_pb_reply_encode(r, NULL, buf, sizeof(buf), NULL);
		assert_int_equal(rep_decode_exact(buf, len, KEY, out), pre_auth ? 0 : -EBADMSG);
		if (pre_auth) {
			assert_false(out->signed_);
			assert_int_equal(out->status, s);
			assert_string_equal(out->text, r->text);
		}
		/* Signed with the wrong key: refused whatever the status. */
		len = (size_t)paw_pb_reply_encode(r, KEY2, buf, sizeof(buf), NULL);
		assert_int_equal(rep_decode_exact(buf, len, KEY, out), -EBADMSG);
		/* The right key: signed_ set, for refusals as well. */
		len = (size_t)paw_pb_reply_encode(r, KEY, buf, sizeof(buf), NULL);
		assert_int_equal(rep_decode_exact(buf, len, KEY, out), 0);
		assert_true(out->signed_);
	}

	/* An unsigned reply's MAC field is zero, nothing else. */
	r->status = PAW_PB_AUTH;
	len = (size_t)paw_pb_reply_encode(r, NULL, buf, sizeof(buf), NULL);
	for (size_t i = len - PAW_PB_MAC_LEN; i < len; i++)
		assert_int_equal(buf[i], 0);
	buf[len - 1] = 1;
	assert_int_equal(rep_decode_exact(buf, len, KEY, out), -EPROTO);
	assert_int_equal(rep_decode_exact(buf, len, NULL, out), -EPROTO);

	/* A signed refusal stripped of its SIGNED flag keeps its MAC bytes:
	 * it does not pass as unsigned. */
	len = (size_t)paw_pb_reply_encode(r, KEY, buf, sizeof(buf), NULL);
	buf[32] &= (__u8)~0x01;
	assert_int_equal(rep_decode_exact(buf, len, KEY, out), -EPROTO);
	free(r);
	free(out);
}

/* Raw replies, for what the encoder will not produce. */
struct rp {
	__u8 magic, version, type, status, flags;
	int text_len;		/* -1: strlen(text) */
	char text[300];
	int body_len;		/* -1: real */
	struct body body;
};

static void rp_init(struct rp *q, __u8 type, __u8 status)
{
	memset(q, 0, sizeof(*q));
	q->magic = 0x50;
	q->version = 1;
	q->type = type | 0x80;
	q->status = status;
	q->flags = 1;
	q->text_len = -1;
	strcpy(q->text, "fine");
	q->body_len = -1;
}

static size_t rp_build(const struct rp *q, const __u8 *key, __u8 *out)
{
	size_t o = 0, tl = q->text_len < 0 ? strlen(q->text) : (size_t)q->text_len;
	size_t bl = q->body_len < 0 ? q->body.len : (size_t)q->body_len;

	out[o++] = q->magic;
	out[o++] = q->version;
	out[o++] = q->type;
	out[o++] = q->status;
	o += be(out + o, 0xfeedf00d, 4);
	o += be(out + o, NOW0, 8);
	memcpy(out + o, NONCE, 16);
	o += 16;
	out[o++] = q->flags;
	out[o++] = (__u8)tl;
	memcpy(out + o, q->text, tl);
	o += tl;
	o += be(out + o, bl, 2);
	memcpy(out + o, q->body.b, q->body.len);
	o += q->body.len;
	if (key)
		crypto_auth_hmacsha256(out + o, out, o, key);
	else
		memset(out + o, 0, PAW_PB_MAC_LEN);
	return o + PAW_PB_MAC_LEN;
}

static void expect_rp(const struct rp *q, int err, int line)
{
	static __u8 buf[BUF_MAX];
	struct paw_pb_reply *r = calloc(1, sizeof(*r));
	size_t n = rp_build(q, (q->flags & 1) ? KEY : NULL, buf);
	int got = rep_decode_exact(buf, n, KEY, r);

	if (got != err)
		fail_msg("line %d: %d, expected %d", line, got, err);
	free(r);
}
#define EXPECT_RP(q, e) expect_rp(q, e, __LINE__)

static void status_body(struct body *b)
{
	tlv_str(b, T_STATUS_NAME, "alice");
	tlv(b, T_IPV4, "\x0a\x4d\x00\x01", 4);
	tlv_int(b, T_REGISTERED, 1, 1);
	tlv(b, T_ALLOW_ALL, NULL, 0);
	tlv_int(b, T_MAX_CALLS, 1, 4);
	tlv_int(b, T_POSTBOX_MAX, 1, 4);
	tlv_int(b, T_RETENTION, 1, 4);
	tlv_int(b, T_POSTBOX_COUNT, 0, 4);
}

static void msg_tlv(struct body *b, int from_len, const char *from, const void *text,
		    size_t text_len)
{
	__u8 v[2048];
	size_t o = 0;

	o += be(v + o, 1, 8);
	o += be(v + o, 2, 8);
	o += be(v + o, 3, 8);
	v[o++] = (__u8)from_len;
	memcpy(v + o, from, strlen(from));
	o += strlen(from);
	memcpy(v + o, text, text_len);
	o += text_len;
	tlv(b, T_MESSAGE, v, o);
}

static void test_reply_malformed(void **state)
{
	static __u8 buf[BUF_MAX];
	struct paw_pb_reply *r = calloc(1, sizeof(*r));
	struct rp q;
	size_t n;

	(void)state;
	assert_non_null(r);
	rp_init(&q, PAW_PB_CALL, PAW_PB_OK);
	tlv_int(&q.body, T_CALL_ID, 5, 4);
	EXPECT_RP(&q, 0);

	/* Every truncation, and one byte too many. */
	n = rp_build(&q, KEY, buf);
	for (size_t i = 0; i < n; i++) {
		int err = rep_decode_exact(buf, i, KEY, r);

		if (err != -EPROTO && err != -EBADMSG)
			fail_msg("cut at %zu: %d", i, err);
	}
	assert_int_equal(rep_decode_exact(buf, n + 1, KEY, r), -EPROTO);
	assert_int_equal(paw_pb_reply_decode(NULL, n, KEY, r), -EPROTO);
	assert_int_equal(paw_pb_reply_decode(buf, n, KEY, NULL), -EINVAL);
	assert_int_equal(paw_pb_reply_decode(buf, PAW_PB_TCP_MAX + 1, KEY, r), -EPROTO);

	/* Header. */
	q.magic = 0;
	EXPECT_RP(&q, -EPROTO);
	q.magic = 0x50;
	q.version = 2;
	EXPECT_RP(&q, -EPROTO);
	q.version = 1;
	q.type = PAW_PB_CALL;	/* no reply bit: a request */
	EXPECT_RP(&q, -EPROTO);
	q.type = PAW_PB_TYPE_MAX | 0x80;
	EXPECT_RP(&q, -EPROTO);
	q.type = PAW_PB_CALL | 0x80;
	q.status = PAW_PB_STATUS_MAX;
	EXPECT_RP(&q, -EPROTO);
	q.status = PAW_PB_OK;
	q.flags = 1 | 4;
	EXPECT_RP(&q, -EPROTO);
	q.flags = 1;
	strcpy(q.text, "x\0y");
	q.text_len = 3;
	EXPECT_RP(&q, -EPROTO);
	q.text_len = 200;	/* runs over body and MAC */
	EXPECT_RP(&q, -EPROTO);
	q.text_len = -1;
	q.body_len = (int)q.body.len - 1;
	EXPECT_RP(&q, -EPROTO);
	q.body_len = (int)q.body.len + 1;
	EXPECT_RP(&q, -EPROTO);
	q.body_len = -1;
	EXPECT_RP(&q, 0);

	/* Bodies: only with OK, only known TLVs for the type, once each. */
	q.status = PAW_PB_LIMIT;
	EXPECT_RP(&q, -EPROTO);
	q.flags = 0;
	q.status = PAW_PB_BUSY;	/* an unsigned refusal carries nothing */
	EXPECT_RP(&q, -EPROTO);
	rp_init(&q, PAW_PB_CALL, PAW_PB_OK);
	EXPECT_RP(&q, -EPROTO);	/* CALL_ID missing */
	tlv_int(&q.body, T_CALL_ID, 5, 3);
	EXPECT_RP(&q, -EPROTO);
	rp_init(&q, PAW_PB_CALL, PAW_PB_OK);
	tlv_int(&q.body, T_CALL_ID, 5, 4);
	tlv_int(&q.body, T_CALL_ID, 6, 4);
	EXPECT_RP(&q, -EPROTO);
	static const __u8 bad_types[] = { 0, 1, 13, 17, 21, 22, 99, 255 };
	for (size_t i = 0; i < sizeof(bad_types); i++) {
		rp_init(&q, PAW_PB_CALL, PAW_PB_OK);
		tlv_int(&q.body, T_CALL_ID, 5, 4);
		tlv(&q.body, bad_types[i], NULL, 0);
		EXPECT_RP(&q, -EPROTO);
	}
	rp_init(&q, PAW_PB_POST, PAW_PB_OK);
	tlv_int(&q.body, T_CALL_ID, 5, 4);
	EXPECT_RP(&q, -EPROTO);
	rp_init(&q, PAW_PB_CALL, PAW_PB_OK);
	tlv_int(&q.body, T_CALL_ID, 5, 4);
	q.body.b[q.body.len++] = T_CALL_ID;	/* a cut TLV header */
	EXPECT_RP(&q, -EPROTO);

	/* STATUS. */
	rp_init(&q, PAW_PB_STATUS, PAW_PB_OK);
	status_body(&q.body);
	EXPECT_RP(&q, 0);
	static const __u8 required[] = { T_STATUS_NAME, T_IPV4, T_REGISTERED, T_ALLOW_ALL,
					 T_MAX_CALLS, T_POSTBOX_MAX, T_RETENTION,
					 T_POSTBOX_COUNT };
	for (size_t i = 0; i < sizeof(required); i++) {
		struct body full;
		size_t off = 0;

		rp_init(&q, PAW_PB_STATUS, PAW_PB_OK);
		memset(&full, 0, sizeof(full));
		status_body(&full);
		while (off < full.len) {	/* copy all but the one */
			size_t tl = 3 + (size_t)(full.b[off + 1] << 8 | full.b[off + 2]);

			if (full.b[off] != required[i])
				tlv(&q.body, full.b[off], full.b + off + 3, tl - 3);
			off += tl;
		}
		EXPECT_RP(&q, -EPROTO);
	}
	rp_init(&q, PAW_PB_STATUS, PAW_PB_OK);
	status_body(&q.body);
	tlv_str(&q.body, T_ALLOW, "bob");	/* with ALLOW_ALL */
	EXPECT_RP(&q, -EPROTO);
	rp_init(&q, PAW_PB_STATUS, PAW_PB_OK);
	status_body(&q.body);
	q.body.b[(3 + 5) + 7 + 3] = 2;	/* REGISTERED is 0 or 1 */
	EXPECT_RP(&q, -EPROTO);
	rp_init(&q, PAW_PB_STATUS, PAW_PB_OK);
	status_body(&q.body);
	for (int i = 0; i <= PAW_PB_CALLS_MAX; i++)
		tlv_str(&q.body, T_CALL_PEER, "bob");
	EXPECT_RP(&q, -EPROTO);
	rp_init(&q, PAW_PB_STATUS, PAW_PB_OK);
	status_body(&q.body);
	tlv_str(&q.body, T_CALL_PEER, "b:b");
	EXPECT_RP(&q, -EPROTO);

	/* FETCH messages. */
	rp_init(&q, PAW_PB_FETCH, PAW_PB_OK);
	msg_tlv(&q.body, 3, "bob", "hi", 2);
	msg_tlv(&q.body, 3, "bob", "", 0);
	EXPECT_RP(&q, 0);
	rp_init(&q, PAW_PB_FETCH, PAW_PB_OK);
	msg_tlv(&q.body, 0, "", "hi", 2);
	EXPECT_RP(&q, -EPROTO);
	rp_init(&q, PAW_PB_FETCH, PAW_PB_OK);
	msg_tlv(&q.body, 9, "bob", "hi", 2);	/* from_len past the value */
	EXPECT_RP(&q, -EPROTO);
	rp_init(&q, PAW_PB_FETCH, PAW_PB_OK);
	msg_tlv(&q.body, 5, "bob", "hi", 2);	/* eats the text: "bobhi" */
	EXPECT_RP(&q, 0);
	rp_init(&q, PAW_PB_FETCH, PAW_PB_OK);
	msg_tlv(&q.body, 4, "bob", "\0x", 2);
	EXPECT_RP(&q, -EPROTO);
	rp_init(&q, PAW_PB_FETCH, PAW_PB_OK);
	msg_tlv(&q.body, 3, "bob", "h\0", 2);
	EXPECT_RP(&q, -EPROTO);
	rp_init(&q, PAW_PB_FETCH, PAW_PB_OK);
	msg_tlv(&q.body, 3, "b b", "", 0);
	EXPECT_RP(&q, -EPROTO);
	rp_init(&q, PAW_PB_FETCH, PAW_PB_OK);
	tlv(&q.body, T_MESSAGE, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 24);
	EXPECT_RP(&q, -EPROTO);
	{
		char big[PAW_PB_TEXT_MAX + 1];

		memset(big, 'a', sizeof(big));
		rp_init(&q, PAW_PB_FETCH, PAW_PB_OK);
		msg_tlv(&q.body, 3, "bob", big, PAW_PB_TEXT_MAX);
		EXPECT_RP(&q, 0);
		rp_init(&q, PAW_PB_FETCH, PAW_PB_OK);
		msg_tlv(&q.body, 3, "bob", big, PAW_PB_TEXT_MAX + 1);
		EXPECT_RP(&q, -EPROTO);
	}
	rp_init(&q, PAW_PB_FETCH, PAW_PB_OK);
	for (int i = 0; i <= PAW_PB_FETCH_MAX; i++)
		msg_tlv(&q.body, 3, "bob", "hi", 2);
	EXPECT_RP(&q, -EPROTO);
	free(r);
}

/* ---- replay guard ---- */

static void nonce_n(__u8 nonce[PAW_PB_NONCE_LEN], __u64 n)
{
	memset(nonce, 0x5a, PAW_PB_NONCE_LEN);
	be(nonce, n, 8);
}

#define W 30000ULL

static void test_replay_basic(void **state)
{
	struct paw_pb_replay *rg = paw_pb_replay_new(W, 4, NOW0);
	__u8 a[16], b[16];

	(void)state;
	assert_non_null(rg);
	nonce_n(a, 1);
	nonce_n(b, 2);
	assert_int_equal(paw_pb_replay_check(rg, "alice", NOW0, a, NOW0), PAW_PB_OK);
	assert_int_equal(paw_pb_replay_check(rg, "alice", NOW0, a, NOW0), PAW_PB_REPLAY);
	assert_int_equal(paw_pb_replay_check(rg, "alice", NOW0 + 1, a, NOW0 + 2), PAW_PB_REPLAY);
	assert_int_equal(paw_pb_replay_check(rg, "bob", NOW0, a, NOW0), PAW_PB_OK);
	assert_int_equal(paw_pb_replay_check(rg, "alice", NOW0, b, NOW0), PAW_PB_OK);

	/* The window's edges, both sides, from a later now. */
	__u64 now = NOW0 + 100000;
	nonce_n(a, 10);
	assert_int_equal(paw_pb_replay_check(rg, "carol", now - W - 1, a, now), PAW_PB_STALE);
	assert_int_equal(paw_pb_replay_check(rg, "carol", now - W, a, now), PAW_PB_OK);
	nonce_n(a, 11);
	assert_int_equal(paw_pb_replay_check(rg, "carol", now + W + 1, a, now), PAW_PB_STALE);
	assert_int_equal(paw_pb_replay_check(rg, "carol", now + W, a, now), PAW_PB_OK);
	nonce_n(a, 12);
	assert_int_equal(paw_pb_replay_check(rg, "carol", 0, a, now), PAW_PB_STALE);
	assert_int_equal(paw_pb_replay_check(rg, "carol", UINT64_MAX, a, now), PAW_PB_STALE);

	/* Before the guard was made: stale, even inside the window. */
	assert_int_equal(paw_pb_replay_check(rg, "dave", NOW0 - 1, a, NOW0 + 10), PAW_PB_STALE);
	assert_int_equal(paw_pb_replay_check(rg, "dave", NOW0, a, NOW0 + 10), PAW_PB_OK);

	/* Arguments. */
	assert_int_equal(paw_pb_replay_check(rg, NULL, now, a, now), PAW_PB_BAD_REQUEST);
	assert_int_equal(paw_pb_replay_check(rg, "", now, a, now), PAW_PB_BAD_REQUEST);
	assert_int_equal(paw_pb_replay_check(rg, NAME32 "x", now, a, now), PAW_PB_BAD_REQUEST);
	assert_int_equal(paw_pb_replay_check(rg, NAME32, now, a, now), PAW_PB_OK);
	paw_pb_replay_free(rg);
	paw_pb_replay_free(NULL);

	errno = 0;
	assert_null(paw_pb_replay_new(W, 0, NOW0));
	assert_int_equal(errno, EINVAL);
}

static void test_replay_busy_and_expiry(void **state)
{
	struct paw_pb_replay *rg = paw_pb_replay_new(W, 3, NOW0);
	__u64 t = NOW0 + 1000;
	__u8 n[16];

	(void)state;
	assert_non_null(rg);
	/* Timestamps out of order: they expire in timestamp order. */
	nonce_n(n, 1);
	assert_int_equal(paw_pb_replay_check(rg, "alice", t - 100, n, t), PAW_PB_OK);
	nonce_n(n, 2);
	assert_int_equal(paw_pb_replay_check(rg, "alice", t, n, t), PAW_PB_OK);
	nonce_n(n, 3);
	assert_int_equal(paw_pb_replay_check(rg, "alice", t - 200, n, t), PAW_PB_OK);
	nonce_n(n, 4);
	assert_int_equal(paw_pb_replay_check(rg, "alice", t, n, t), PAW_PB_BUSY);
	/* A replay is a replay, even when busy. */
	nonce_n(n, 2);
	assert_int_equal(paw_pb_replay_check(rg, "alice", t, n, t), PAW_PB_REPLAY);
	/* Another name has its own budget. */
	nonce_n(n, 4);
	assert_int_equal(paw_pb_replay_check(rg, "bob", t, n, t), PAW_PB_OK);

	/* At t - 200 + W the oldest is still remembered (its timestamp is
	 * still fresh); a moment later it is gone, and its slot free. */
	nonce_n(n, 3);
	assert_int_equal(paw_pb_replay_check(rg, "alice", t - 200, n, t - 200 + W),
			 PAW_PB_REPLAY);
	nonce_n(n, 5);
	assert_int_equal(paw_pb_replay_check(rg, "alice", t, n, t - 200 + W), PAW_PB_BUSY);
	nonce_n(n, 3);
	assert_int_equal(paw_pb_replay_check(rg, "alice", t - 200, n, t - 199 + W),
			 PAW_PB_STALE);
	nonce_n(n, 5);
	assert_int_equal(paw_pb_replay_check(rg, "alice", t, n, t - 199 + W), PAW_PB_OK);
	nonce_n(n, 6);
	assert_int_equal(paw_pb_replay_check(rg, "alice", t, n, t - 199 + W), PAW_PB_BUSY);
	/* Past the window of all of them: a fresh start for everyone. */
	__u64 later = t + 5 * W;
	for (int i = 0; i < 3; i++) {
		nonce_n(n, 100 + (__u64)i);
		assert_int_equal(paw_pb_replay_check(rg, "alice", later, n, later), PAW_PB_OK);
	}
	/* The same nonce again, later, after it aged out: accepted. */
	nonce_n(n, 4);
	assert_int_equal(paw_pb_replay_check(rg, "bob", later, n, later), PAW_PB_OK);
	paw_pb_replay_free(rg);
}

static void test_replay_forget(void **state)
{
	struct paw_pb_replay *rg = paw_pb_replay_new(W, 2, NOW0);
	__u8 n[16];

	(void)state;
	assert_non_null(rg);
	nonce_n(n, 1);
	assert_int_equal(paw_pb_replay_check(rg, "alice", NOW0, n, NOW0), PAW_PB_OK);
	assert_int_equal(paw_pb_replay_check(rg, "bob", NOW0, n, NOW0), PAW_PB_OK);
	nonce_n(n, 2);
	assert_int_equal(paw_pb_replay_check(rg, "alice", NOW0, n, NOW0), PAW_PB_OK);
	paw_pb_replay_forget(rg, "alice");
	paw_pb_replay_forget(rg, "alice");
	paw_pb_replay_forget(rg, "nobody");
	paw_pb_replay_forget(rg, NULL);
	paw_pb_replay_forget(NULL, "alice");
	nonce_n(n, 1);
	assert_int_equal(paw_pb_replay_check(rg, "alice", NOW0, n, NOW0), PAW_PB_OK);
	assert_int_equal(paw_pb_replay_check(rg, "bob", NOW0, n, NOW0), PAW_PB_REPLAY);
	paw_pb_replay_free(rg);
}

/* Many names and nonces over a long time: memory follows the live set
 * (valgrind and ASan see leaks), every answer is still right. */
static void test_replay_churn(void **state)
{
	struct paw_pb_replay *rg = paw_pb_replay_new(1000, 64, NOW0);
	__u64 now = NOW0;
	__u8 n[16];

	(void)state;
	assert_non_null(rg);
	for (__u64 i = 0; i < 100000; i++) {
		char name[16];

		snprintf(name, sizeof(name), "c%llu", (unsigned long long)(i % 997));
		nonce_n(n, i);
		now += i % 3;
		assert_int_equal(paw_pb_replay_check(rg, name, now, n, now), PAW_PB_OK);
		if (i % 101 == 0)
			assert_int_equal(paw_pb_replay_check(rg, name, now, n, now),
					 PAW_PB_REPLAY);
		if (i % 5003 == 0)
			paw_pb_replay_forget(rg, name);
	}
	/* Everything ages out at once; then the guard is as new. */
	now += 2000;
	nonce_n(n, 1);
	assert_int_equal(paw_pb_replay_check(rg, "c1", now, n, now), PAW_PB_OK);
	paw_pb_replay_free(rg);
}

/* ---- fuzz ---- */

static __u64 rng_state = 0x9e3779b97f4a7c15ULL;

static __u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* One to four random edits; returns the new length (<= cap). */
static size_t mutate(__u8 *b, size_t len, size_t cap)
{
	int edits = 1 + (int)(rnd() % 4);

	for (int e = 0; e < edits; e++) {
		size_t at = len ? rnd() % len : 0, k;

		switch (rnd() % 6) {
		case 0:	/* flip a bit */
			if (len)
				b[at] ^= (__u8)(1 << (rnd() % 8));
			break;
		case 1:	/* a random byte */
			if (len)
				b[at] = (__u8)rnd();
			break;
		case 2:	/* an interesting byte */
			if (len) {
				static const __u8 v[] = { 0, 1, 0x7f, 0x80, 0xff, 32, 33 };

				b[at] = v[rnd() % sizeof(v)];
			}
			break;
		case 3:	/* truncate */
			len = at;
			break;
		case 4:	/* insert random bytes */
			k = 1 + rnd() % 8;
			if (len + k <= cap) {
				memmove(b + at + k, b + at, len - at);
				for (size_t i = 0; i < k; i++)
					b[at + i] = (__u8)rnd();
				len += k;
			}
			break;
		case 5:	/* delete bytes */
			k = 1 + rnd() % 8;
			if (at + k <= len) {
				memmove(b + at, b + at + k, len - at - k);
				len -= k;
			}
			break;
		}
	}
	return len;
}

static void test_fuzz_requests(void **state)
{
	static __u8 orig[BUF_MAX], buf[BUF_MAX], again[BUF_MAX];
	struct paw_pb_req r, r2;
	int seen[PAW_PB_STATUS_MAX] = { 0 };
	struct rq q;

	(void)state;
	for (int it = 0; it < 20000; it++) {
		int type = 1 + (int)(rnd() % (PAW_PB_TYPE_MAX - 1));
		bool resign = rnd() % 2;
		size_t n, m;
		int st, len;

		rq_valid(&q, type);
		n = rq_build(&q, KEY, orig);
		memcpy(buf, orig, n);
		m = mutate(buf, n, 4096);
		/* Re-signed, the mutation reaches the body parser. */
		if (resign && m >= PAW_PB_MAC_LEN)
			crypto_auth_hmacsha256(buf + m - PAW_PB_MAC_LEN, buf,
					       m - PAW_PB_MAC_LEN, KEY);
		st = decode_exact(buf, m, KEY, &r);
		assert_true(st >= 0 && st < PAW_PB_STATUS_MAX);
		seen[st]++;
		if (st != PAW_PB_OK)
			continue;
		if (!resign && (m != n || memcmp(buf, orig, n)))
			fail_msg("iteration %d: a changed message passed its MAC", it);
		/* What decodes re-encodes to something that decodes the same. */
		len = paw_pb_req_encode(&r, KEY, again, sizeof(again));
		assert_true(len > 0);
		assert_int_equal(decode_exact(again, (size_t)len, KEY, &r2), 0);
		assert_memory_equal(&r, &r2, sizeof(r));
	}
	/* The mutations reached every stage: header, MAC and body. */
	print_message("fuzz requests: ok %d, bad-request %d, bad-version %d, auth %d\n",
		      seen[PAW_PB_OK], seen[PAW_PB_BAD_REQUEST], seen[PAW_PB_BAD_VERSION],
		      seen[PAW_PB_AUTH]);
	assert_true(seen[PAW_PB_OK] > 200 && seen[PAW_PB_BAD_REQUEST] > 2000 &&
		    seen[PAW_PB_AUTH] > 2000 && seen[PAW_PB_BAD_VERSION] > 20);
}

static void test_fuzz_replies(void **state)
{
	static __u8 orig[BUF_MAX], buf[BUF_MAX];
	struct paw_pb_reply *src[4], *r = calloc(1, sizeof(*r));
	int ok = 0, proto = 0, badmsg = 0;

	(void)state;
	assert_non_null(r);
	src[0] = rep_new(PAW_PB_CALL, PAW_PB_OK);
	src[1] = rep_new(PAW_PB_STATUS, PAW_PB_OK);
	fill_status(src[1], 2, false, 3);
	src[2] = rep_new(PAW_PB_FETCH, PAW_PB_OK);
	src[2]->n_msgs = 3;
	for (int i = 0; i < 3; i++)
		fill_msg(&src[2]->msgs[i], i, "bob", 20);
	src[3] = rep_new(PAW_PB_POST, PAW_PB_REPLAY);

	for (int it = 0; it < 20000; it++) {
		int which = (int)(rnd() % 4);
		bool resign = rnd() % 2;
		size_t n, m;
		int err;

		n = (size_t)paw_pb_reply_encode(src[which], KEY, orig, PAW_PB_UDP_MAX, NULL);
		memcpy(buf, orig, n);
		m = mutate(buf, n, 4096);
		if (resign && m >= PAW_PB_MAC_LEN)
			crypto_auth_hmacsha256(buf + m - PAW_PB_MAC_LEN, buf,
					       m - PAW_PB_MAC_LEN, KEY);
		err = rep_decode_exact(buf, m, KEY, r);
		assert_true(err == 0 || err == -EPROTO || err == -EBADMSG);
		ok += !err;
		proto += err == -EPROTO;
		badmsg += err == -EBADMSG;
		if (err || resign || (m == n && !memcmp(buf, orig, n)))
			continue;
		/* Changed and not re-signed: at most an unsigned refusal. */
		if (r->signed_ || r->status == PAW_PB_OK)
			fail_msg("iteration %d: a changed reply verified", it);
	}
	print_message("fuzz replies: ok %d, eproto %d, ebadmsg %d\n", ok, proto, badmsg);
	assert_true(ok > 200 && proto > 2000 && badmsg > 2000);
	for (int i = 0; i < 4; i++)
		free(src[i]);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_req_wire_layout),
		cmocka_unit_test(test_req_roundtrip),
		cmocka_unit_test(test_req_encode_errors),
		cmocka_unit_test(test_req_peek),
		cmocka_unit_test(test_req_truncated),
		cmocka_unit_test(test_req_header_malformed),
		cmocka_unit_test(test_req_body_malformed),
		cmocka_unit_test(test_req_auth),
		cmocka_unit_test(test_reply_roundtrip),
		cmocka_unit_test(test_reply_encode_errors),
		cmocka_unit_test(test_reply_cut),
		cmocka_unit_test(test_reply_mac),
		cmocka_unit_test(test_reply_malformed),
		cmocka_unit_test(test_replay_basic),
		cmocka_unit_test(test_replay_busy_and_expiry),
		cmocka_unit_test(test_replay_forget),
		cmocka_unit_test(test_replay_churn),
		cmocka_unit_test(test_fuzz_requests),
		cmocka_unit_test(test_fuzz_replies),
	};

	return cmocka_run_group_tests_name("postbox", tests, group_setup, NULL);
}
