/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The data server: clients (pawPrints and their secrets), calls and
 * postboxes. pawd talks only to this interface; store_sqlite.c is the
 * default backend (one SQLite file, WAL, synchronous=FULL, mode 0600),
 * and another (etcd, for several hosts) can replace it behind the same
 * functions.
 *
 * Durability: a mutation is durable when the function that made it
 * returns 0 outside a transaction, or when paw_store_commit() returns 0
 * inside one. pawd sends no reply before that.
 *
 * Errors: 0 or a negative errno. -ENOENT (no such record), -EEXIST
 * (unique name, IPv4, call pair), -ENOSPC (a limit), -EIO (the backend
 * failed: its message is in paw_store_errmsg()).
 */
#ifndef PAW_STORE_H
#define PAW_STORE_H

#include <stdbool.h>
#include <linux/types.h>
#include <net/if.h>
#include "paw/postbox.h"

#define PAW_STORE_SCHEMA_VERSION 1

struct paw_store;

/* A pawPrint: a client as enrolled and registered. */
struct paw_store_client {
	__s64 id;			/* assigned by the store */
	char name[PAW_PB_NAME_MAX + 1];
	__be32 ipv4;			/* enrolled address */
	char port[IF_NAMESIZE];		/* the port it hangs off */
	bool has_mac;
	__u8 mac[6];
	__u8 secret[PAW_PB_SECRET_LEN];
	bool registered;		/* sent a REGISTER */
	struct paw_pb_soil soil;	/* all fields present */
	__u64 created_ms;
	__u64 registered_ms;		/* 0 until registered */
};

struct paw_store_call {
	__s64 id;
	char a[PAW_PB_NAME_MAX + 1];	/* the caller (or the first named by an admin) */
	char b[PAW_PB_NAME_MAX + 1];
	bool by_admin;			/* placed with pawctl, not by a client */
	__u64 since_ms;
};

struct paw_store_opts {
	const char *path;		/* the SQLite file */
	bool create;			/* create it (and its directory) if missing */
	char *errbuf;			/* optional: why paw_store_open() failed */
	size_t errlen;
};

/* Open, create if asked, and migrate the schema to the current version.
 * A file from a newer schema is refused (-EPROTO). */
int paw_store_open(struct paw_store **sp, const struct paw_store_opts *opts);
void paw_store_close(struct paw_store *s);	/* NULL is fine */
const char *paw_store_errmsg(struct paw_store *s);
int paw_store_schema_version(struct paw_store *s);

/* Group commit: mutations between begin and commit are durable together
 * at commit. Without begin, each mutation commits on its own. A second
 * begin is -EBUSY; commit or rollback without begin is -EINVAL. A failed
 * commit stores nothing of the batch. */
/* The client cache (docs/store.md): reads answered from memory, and not. */
struct paw_store_cache_stats {
	__u64 hits;
	__u64 misses;
};
void paw_store_cache_counters(struct paw_store *s, struct paw_store_cache_stats *st);

int paw_store_begin(struct paw_store *s);
int paw_store_commit(struct paw_store *s);
int paw_store_rollback(struct paw_store *s);

/* ---- clients ---- */
/* Sets c->id (and created_ms when 0). -EINVAL: a name or field that
 * would not read back. */
int paw_store_client_add(struct paw_store *s, struct paw_store_client *c);
int paw_store_client_del(struct paw_store *s, const char *name);	/* with its calls and postbox */
int paw_store_client_get(struct paw_store *s, const char *name, struct paw_store_client *c);
int paw_store_client_by_ipv4(struct paw_store *s, __be32 ipv4, struct paw_store_client *c);
/* Writes every field of the client named c->name but id, name, secret
 * and created_ms. */
int paw_store_client_update(struct paw_store *s, const struct paw_store_client *c);
/* Ordered by name. fn returning non-zero stops and is returned. */
int paw_store_client_foreach(struct paw_store *s,
			     int (*fn)(const struct paw_store_client *c, void *ctx), void *ctx);
int paw_store_client_count(struct paw_store *s, __u32 *n);

/* ---- calls: one row per pair, whichever way round it was placed ---- */
int paw_store_call_add(struct paw_store *s, struct paw_store_call *c);	/* sets id, since_ms if 0 */
int paw_store_call_del(struct paw_store *s, const char *a, const char *b);	/* either order */
int paw_store_call_get(struct paw_store *s, const char *a, const char *b,
		       struct paw_store_call *c);	/* either order */
/* Calls name is in (NULL: all calls). */
int paw_store_call_count(struct paw_store *s, const char *name, __u32 *n);
int paw_store_call_foreach(struct paw_store *s, const char *name /* NULL: all */,
			   int (*fn)(const struct paw_store_call *c, void *ctx), void *ctx);

/* ---- postboxes ---- */
/* Store a message for `to`. A (from, msg_id) already stored for `to` is
 * not stored twice: returns 0 with *dup set and *id of the first. -ENOSPC
 * when the postbox holds `limit` messages already. ts_ms 0: now. */
int paw_store_msg_post(struct paw_store *s, const char *to, const char *from, __u64 msg_id,
		       const char *text, __u16 text_len, __u64 ts_ms, __u32 limit,
		       __u64 *id, bool *dup);
int paw_store_msg_count(struct paw_store *s, const char *to /* NULL: all */, __u32 *n);
/* Oldest first (by id), at most max (0: none), without removing them. */
int paw_store_msg_fetch(struct paw_store *s, const char *to, __u32 max,
			int (*fn)(const struct paw_pb_msg *m, void *ctx), void *ctx);
/* Remove messages of `to` by id; ids that are not `to`'s are ignored.
 * *n_deleted (optional) tells how many went. */
int paw_store_msg_ack(struct paw_store *s, const char *to, const __u64 *ids, __u32 n,
		      __u32 *n_deleted);
/* Remove messages older than each recipient's retention. */
int paw_store_msg_expire(struct paw_store *s, __u64 now_ms, __u32 *n_deleted);

#endif /* PAW_STORE_H */
