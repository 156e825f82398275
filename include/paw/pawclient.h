/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libpawclient: talk to the Operator's Postbox from any C program.
 *
 *	struct pawclient *c;
 *	struct pawclient_opts o = { .name = "alice", .secret_file = "alice.key" };
 *	struct paw_pb_reply *r = calloc(1, sizeof(*r));
 *	if (pawclient_open(&c, &o) == 0 && pawclient_call(c, "bob", r) == 0)
 *		printf("%s: %s\n", paw_pb_status_name(r->status), r->text);
 *
 * Functions return 0 when the Operator answered (r->status tells whether
 * it accepted), or a negative errno when it could not be asked:
 * -ETIMEDOUT, -ECONNREFUSED, -EHOSTUNREACH, -EBADMSG (a reply that does
 * not verify), -EINVAL (bad arguments). Nothing is printed.
 *
 * UDP requests are retried (re-signed with a fresh nonce each time) until
 * a reply comes or the retries run out; every request is safe to repeat
 * (POST carries a message id the Operator de-duplicates).
 */
#ifndef PAW_PAWCLIENT_H
#define PAW_PAWCLIENT_H

#include <stdbool.h>
#include <linux/types.h>
#include "paw/postbox.h"

#ifdef __cplusplus
extern "C" {
#endif

struct pawclient;

struct pawclient_opts {
	/* "HOST", "HOST:PORT", "[V6ADDR]:PORT" or "V6ADDR"; resolved with
	 * getaddrinfo(), IPv6 only. NULL: PAW_PB_SERVER, port PAW_PB_PORT. */
	const char *server;
	bool tcp;			/* default UDP */
	const char *name;		/* the client's name */
	const __u8 *secret;		/* PAW_PB_SECRET_LEN bytes, or: */
	const char *secret_file;	/* a file holding it in hex */
	int timeout_ms;			/* per attempt; 0: 1000 */
	int retries;			/* UDP attempts after the first; <0: none, 0: 2 */
};

int pawclient_open(struct pawclient **cp, const struct pawclient_opts *opts);
void pawclient_close(struct pawclient *c);	/* NULL is fine */

int pawclient_register(struct pawclient *c, __be32 ipv4, const __u8 *mac,
		       const struct paw_pb_soil *soil, struct paw_pb_reply *r);
int pawclient_set(struct pawclient *c, const struct paw_pb_soil *soil, struct paw_pb_reply *r);
int pawclient_call(struct pawclient *c, const char *peer, struct paw_pb_reply *r);
int pawclient_hangup(struct pawclient *c, const char *peer, struct paw_pb_reply *r);
/* msg_id 0: a random one is chosen. */
int pawclient_post(struct pawclient *c, const char *peer, const char *text, size_t len,
		   __u64 msg_id, struct paw_pb_reply *r);
/* max 0: as many as fit. Messages stay until acknowledged. */
int pawclient_fetch(struct pawclient *c, __u16 max, struct paw_pb_reply *r);
int pawclient_ack(struct pawclient *c, const __u64 *ids, __u16 n, struct paw_pb_reply *r);
int pawclient_status(struct pawclient *c, struct paw_pb_reply *r);

/* Send a prepared request (type and fields set; header filled in here). */
int pawclient_request(struct pawclient *c, struct paw_pb_req *req, struct paw_pb_reply *r);

#ifdef __cplusplus
}
#endif

#endif /* PAW_PAWCLIENT_H */
