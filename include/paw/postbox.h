/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Postbox protocol, version 1: how clients talk to the Operator's ear
 * over IPv6 (UDP: one message per datagram; TCP: each message preceded by
 * a 2-byte big-endian length). docs/postbox-protocol.md is the byte-level
 * reference; this header is its C form, shared by pawd and libpawclient.
 *
 * Every request is signed with the client's secret (HMAC-SHA256 over the
 * whole message), carries a timestamp and a random nonce, and is answered
 * with a status code and a text. Replies to authenticated requests are
 * signed with the same secret.
 */
#ifndef PAW_POSTBOX_H
#define PAW_POSTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PAW_PB_MAGIC		0x50	/* 'P' */
#define PAW_PB_VERSION		1
#define PAW_PB_PORT		53	/* the ear's default port */
#define PAW_PB_SERVER		"MainBackend.abc"

#define PAW_PB_NAME_MAX		32	/* paw_name_valid() */
#define PAW_PB_SECRET_LEN	32
#define PAW_PB_NONCE_LEN	16
#define PAW_PB_MAC_LEN		32	/* HMAC-SHA256 */
#define PAW_PB_TEXT_MAX		1000	/* a posted message's bytes */
#define PAW_PB_REASON_MAX	255	/* a reply's human text */
#define PAW_PB_ALLOW_MAX	32	/* names in an allow list */
#define PAW_PB_ACK_MAX		64	/* ids in one ACK */
#define PAW_PB_FETCH_MAX	32	/* messages in one FETCH reply */
#define PAW_PB_CALLS_MAX	64	/* peers listed in a STATUS reply */
/* Largest UDP message: IPv6 minimum MTU (1280) - IPv6 (40) - UDP (8). */
#define PAW_PB_UDP_MAX		1232
/* Largest TCP message (after the 2-byte length). */
#define PAW_PB_TCP_MAX		65535

enum paw_pb_type {
	PAW_PB_REGISTER = 1,	/* IPv4 [MAC] [Soil_options]: the pawPrint */
	PAW_PB_SET = 2,		/* Soil_options */
	PAW_PB_CALL = 3,	/* PEER */
	PAW_PB_HANGUP = 4,	/* PEER */
	PAW_PB_POST = 5,	/* PEER MSG_ID TEXT */
	PAW_PB_FETCH = 6,	/* [FETCH_MAX] */
	PAW_PB_ACK = 7,		/* ACK_ID... : delete fetched messages */
	PAW_PB_STATUS = 8,
	PAW_PB_TYPE_MAX,
};
#define PAW_PB_REPLY_BIT	0x80	/* type byte of a reply */

enum paw_pb_status {
	PAW_PB_OK = 0,
	PAW_PB_BAD_REQUEST = 1,	/* malformed: nothing of it was used */
	PAW_PB_BAD_VERSION = 2,
	PAW_PB_AUTH = 3,	/* unknown client or wrong MAC */
	PAW_PB_STALE = 4,	/* timestamp outside the replay window */
	PAW_PB_REPLAY = 5,	/* nonce already seen within the window */
	PAW_PB_NOT_FOUND = 6,	/* peer unknown */
	PAW_PB_DENIED = 7,	/* the peer's Soil_options refuse, or not yours */
	PAW_PB_LIMIT = 8,	/* max calls, postbox full, table full */
	PAW_PB_CONFLICT = 9,	/* e.g. IPv4 is not the one enrolled */
	PAW_PB_UNAVAILABLE = 10,/* peer not registered, port down, MAC unknown */
	PAW_PB_INTERNAL = 11,	/* the Operator failed; nothing was stored */
	PAW_PB_TOO_BIG = 12,
	PAW_PB_BUSY = 13,	/* rate limited */
	PAW_PB_NOT_REGISTERED = 14, /* register a pawPrint first */
	PAW_PB_STATUS_MAX,
};

/* Soil_options: per-client options. A field counts only when its bit is
 * in `present` (a SET changes just those). */
#define PAW_PB_SOIL_ALLOW	0x1	/* allow_all / allow[] */
#define PAW_PB_SOIL_MAX_CALLS	0x2
#define PAW_PB_SOIL_POSTBOX_MAX	0x4
#define PAW_PB_SOIL_RETENTION	0x8

struct paw_pb_soil {
	__u32 present;
	bool allow_all;		/* anyone may call and post to me */
	__u8 n_allow;		/* else only these names */
	char allow[PAW_PB_ALLOW_MAX][PAW_PB_NAME_MAX + 1];
	__u32 max_calls;	/* simultaneous calls; 0 refuses all */
	__u32 postbox_max;	/* messages kept waiting */
	__u32 retention_s;	/* messages older than this expire */
};

struct paw_pb_msg {
	__u64 id;		/* the Operator's id: what ACK names */
	__u64 msg_id;		/* the sender's id (POST dedup) */
	__u64 ts_ms;		/* when the Operator stored it */
	char from[PAW_PB_NAME_MAX + 1];
	__u16 text_len;
	char text[PAW_PB_TEXT_MAX + 1];	/* NUL-terminated too */
};

struct paw_pb_req {
	__u8 type;		/* enum paw_pb_type */
	__u32 req_id;		/* echoed in the reply */
	__u64 ts_ms;		/* client's Unix time, ms */
	__u8 nonce[PAW_PB_NONCE_LEN];
	char name[PAW_PB_NAME_MAX + 1];	/* who is asking */

	char peer[PAW_PB_NAME_MAX + 1];	/* CALL, HANGUP, POST */
	bool has_ipv4;		/* REGISTER (required) */
	__be32 ipv4;
	bool has_mac;		/* REGISTER (optional) */
	__u8 mac[6];
	struct paw_pb_soil soil;	/* REGISTER (optional), SET (required) */
	__u64 msg_id;		/* POST */
	__u16 text_len;		/* POST */
	char text[PAW_PB_TEXT_MAX + 1];
	__u16 fetch_max;	/* FETCH; 0: as many as fit */
	__u16 n_ack;		/* ACK */
	__u64 ack[PAW_PB_ACK_MAX];
};

struct paw_pb_status_info {	/* body of a STATUS reply */
	char name[PAW_PB_NAME_MAX + 1];
	__be32 ipv4;
	bool has_mac;
	__u8 mac[6];
	bool registered;
	struct paw_pb_soil soil;	/* all present */
	__u32 postbox_count;	/* messages waiting */
	__u16 n_calls;
	char calls[PAW_PB_CALLS_MAX][PAW_PB_NAME_MAX + 1];	/* peers */
};

struct paw_pb_reply {
	__u8 type;		/* the request's type */
	__u8 status;		/* enum paw_pb_status */
	__u32 req_id;
	__u64 ts_ms;		/* Operator's time */
	__u8 nonce[PAW_PB_NONCE_LEN];	/* the request's */
	bool signed_;		/* carries a valid MAC (set by decode) */
	bool more;		/* FETCH: more messages are waiting */
	char text[PAW_PB_REASON_MAX + 1];
	__u32 call_id;		/* CALL: the call's id */
	struct paw_pb_status_info info;	/* STATUS */
	__u16 n_msgs;		/* FETCH */
	struct paw_pb_msg msgs[PAW_PB_FETCH_MAX];
};

const char *paw_pb_type_name(int type);	/* "register", ...; "unknown" */
const char *paw_pb_status_name(int status);	/* "ok", "denied", ...; "unknown" */

/*
 * Requests. Encode signs with the secret; returns the message length or
 * -EMSGSIZE / -EINVAL (a field out of range, e.g. an invalid name).
 */
int paw_pb_req_encode(const struct paw_pb_req *req, const __u8 secret[PAW_PB_SECRET_LEN],
		      void *buf, size_t len);

/*
 * Read the header fields needed before the secret is known: version,
 * type, req_id, nonce and name, into req. Returns 0, or a status
 * (PAW_PB_BAD_REQUEST, PAW_PB_BAD_VERSION) the Operator answers unsigned.
 */
int paw_pb_req_peek(const void *buf, size_t len, struct paw_pb_req *req);

/*
 * Verify the MAC with the secret, then decode everything, strictly: an
 * unknown or duplicated TLV, a missing required one, one not allowed for
 * the type, a bad length or trailing bytes are PAW_PB_BAD_REQUEST; a bad
 * MAC is PAW_PB_AUTH (checked before anything else is parsed). Returns
 * 0 or the status; on error *req holds only what peek gives.
 */
int paw_pb_req_decode(const void *buf, size_t len, const __u8 secret[PAW_PB_SECRET_LEN],
		      struct paw_pb_req *req);

/*
 * Replies. secret NULL sends it unsigned (the asker was not
 * authenticated). For FETCH, encode stops adding messages when `len`
 * is reached and sets `more`; *n_encoded (optional) tells how many went.
 */
int paw_pb_reply_encode(const struct paw_pb_reply *rep, const __u8 *secret, void *buf,
			size_t len, __u16 *n_encoded);

/*
 * Decode a reply. With a secret, a reply whose MAC does not verify is
 * -EBADMSG unless its status says the request was refused before
 * authentication (BAD_REQUEST, BAD_VERSION, AUTH, STALE, REPLAY, BUSY),
 * in which case signed_ is false. Returns 0 or -EBADMSG / -EPROTO.
 */
int paw_pb_reply_decode(const void *buf, size_t len, const __u8 *secret,
			struct paw_pb_reply *rep);

/*
 * Replay guard. A request is fresh when its timestamp lies within
 * window_ms of now and not before the guard's floor (its creation time:
 * a restarted Operator accepts nothing signed before it started), and its
 * nonce has not been seen for that name within the window. Bounded:
 * at most max_per_name nonces are remembered per name (PAW_PB_BUSY past
 * that). Memory is released as entries age out.
 */
struct paw_pb_replay;
struct paw_pb_replay *paw_pb_replay_new(__u64 window_ms, __u32 max_per_name, __u64 now_ms);
void paw_pb_replay_free(struct paw_pb_replay *rg);
/* PAW_PB_OK (and remembers the nonce), PAW_PB_STALE, PAW_PB_REPLAY, PAW_PB_BUSY. */
int paw_pb_replay_check(struct paw_pb_replay *rg, const char *name, __u64 ts_ms,
			const __u8 nonce[PAW_PB_NONCE_LEN], __u64 now_ms);
/* Forget a name (client deleted). */
void paw_pb_replay_forget(struct paw_pb_replay *rg, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* PAW_POSTBOX_H */
