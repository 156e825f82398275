// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The data server's default backend: one SQLite file (store.h is the
 * contract, docs/store.md the schema and the reasoning).
 *
 * - WAL journal with synchronous=FULL: a commit returns only after the WAL
 *   is on disk, so whatever pawd acknowledges survives a crash.
 * - Every statement is prepared once at open and reused; every value is
 *   bound, nothing from a caller is ever formatted into SQL.
 * - Outside paw_store_begin() a one-statement mutation is SQLite's own
 *   implicit transaction; a mutation of several statements runs in
 *   BEGIN IMMEDIATE ... COMMIT. Inside one, it runs in a SAVEPOINT, so a
 *   failure undoes just that call and leaves the batch usable.
 * - Library code: it returns 0 or a negative errno and keeps SQLite's
 *   message for paw_store_errmsg(); it never prints or aborts.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sqlite3.h>
#include <sodium.h>

#include "cleanup.h"
#include "store.h"
#include "util.h"

/* PRAGMA application_id: tells our file from any other SQLite file. */
#define PAW_STORE_APP_ID	0x50617744	/* "PawD" */
/* How long a statement waits for a lock another process holds (an admin's
 * sqlite3 shell, a backup) before it fails. */
#define PAW_STORE_BUSY_MS	5000
#define PAW_STORE_ERR_MAX	256
/* Client rows kept in memory, direct-mapped by name (a power of two). */
#define CLIENT_CACHE_SLOTS	8192
/* Longest allow list column: names joined by ','. */
#define ALLOW_STR_MAX		(PAW_PB_ALLOW_MAX * (PAW_PB_NAME_MAX + 1))

#define SOIL_ALL (PAW_PB_SOIL_ALLOW | PAW_PB_SOIL_MAX_CALLS | PAW_PB_SOIL_POSTBOX_MAX | \
		  PAW_PB_SOIL_RETENTION)

/*
 * Migrations: migrations[v] takes a file from version v to v + 1; the
 * whole list runs in one transaction on open. A step is frozen once
 * released: a change of schema is a new line at the end (and
 * PAW_STORE_SCHEMA_VERSION + 1), never an edit of an old one. The
 * literals below (32, 1000, 6, 16) are the limits of postbox.h and
 * net/if.h at version 1; the asserts make a change of those ask for a
 * migration.
 */
static const char *const migrations[] = {
	/* 0 -> 1: the first schema. */
	"PRAGMA application_id = 1348564804;"	/* PAW_STORE_APP_ID */
	"CREATE TABLE clients ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 32),"
	"  ipv4 INTEGER NOT NULL UNIQUE CHECK (ipv4 BETWEEN 0 AND 4294967295),"
	"  port TEXT NOT NULL CHECK (length(port) < 16),"
	"  mac BLOB CHECK (mac IS NULL OR length(mac) = 6),"
	"  secret BLOB NOT NULL CHECK (length(secret) = 32),"
	"  registered INTEGER NOT NULL CHECK (registered IN (0, 1)),"
	"  allow_all INTEGER NOT NULL CHECK (allow_all IN (0, 1)),"
	"  allow TEXT NOT NULL,"
	"  max_calls INTEGER NOT NULL CHECK (max_calls BETWEEN 0 AND 4294967295),"
	"  postbox_max INTEGER NOT NULL CHECK (postbox_max BETWEEN 0 AND 4294967295),"
	"  retention_s INTEGER NOT NULL CHECK (retention_s BETWEEN 0 AND 4294967295),"
	"  created_ms INTEGER NOT NULL,"
	"  registered_ms INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE calls ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  a INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,"
	"  b INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,"
	"  by_admin INTEGER NOT NULL CHECK (by_admin IN (0, 1)),"
	"  since_ms INTEGER NOT NULL,"
	"  CHECK (a <> b)"
	") STRICT;"
	"CREATE UNIQUE INDEX calls_pair ON calls (min(a, b), max(a, b));"
	"CREATE INDEX calls_a ON calls (a);"
	"CREATE INDEX calls_b ON calls (b);"
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  recipient INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,"
	"  sender_id INTEGER REFERENCES clients (id) ON DELETE SET NULL,"
	"  sender TEXT NOT NULL CHECK (length(sender) BETWEEN 1 AND 32),"
	"  msg_id INTEGER NOT NULL,"
	"  ts_ms INTEGER NOT NULL,"
	"  text BLOB NOT NULL CHECK (length(text) <= 1000)"
	") STRICT;"
	"CREATE UNIQUE INDEX messages_dedup ON messages (recipient, sender_id, msg_id);"
	"CREATE INDEX messages_recipient ON messages (recipient);"
	"CREATE INDEX messages_sender ON messages (sender_id);",
};

_Static_assert(PAW_ARRAY_SIZE(migrations) == PAW_STORE_SCHEMA_VERSION,
	       "one migration per schema version");
_Static_assert(PAW_STORE_APP_ID == 1348564804, "application_id in migration 1");
_Static_assert(PAW_PB_NAME_MAX == 32 && PAW_PB_TEXT_MAX == 1000 &&
	       PAW_PB_SECRET_LEN == 32 && IF_NAMESIZE == 16,
	       "a limit the schema checks changed: add a migration");

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_VERSION,
	ST_DATA_VERSION,
	ST_CLIENT_ADD,
	ST_CLIENT_UPDATE,
	ST_CLIENT_DEL,
	ST_CLIENT_GET,
	ST_CLIENT_BY_IPV4,
	ST_CLIENT_ALL,
	ST_CLIENT_COUNT,
	ST_CALL_ADD,
	ST_CALL_DEL,
	ST_CALL_GET,
	ST_CALL_COUNT,
	ST_CALL_COUNT_ALL,
	ST_CALL_OF,
	ST_CALL_ALL,
	ST_MSG_FIND,
	ST_MSG_COUNT,
	ST_MSG_COUNT_ALL,
	ST_MSG_ADD,
	ST_MSG_FETCH,
	ST_MSG_ACK,
	ST_MSG_EXPIRE,
	ST_MAX,
};

#define CLIENT_COLS "id, name, ipv4, port, mac, secret, registered, allow_all, allow, " \
	"max_calls, postbox_max, retention_s, created_ms, registered_ms FROM clients"
#define CALL_COLS "k.id, ca.name, cb.name, k.by_admin, k.since_ms FROM calls AS k " \
	"JOIN clients AS ca ON ca.id = k.a JOIN clients AS cb ON cb.id = k.b"
/* A pair matches whichever way round it is named: calls_pair is an index
 * on exactly these expressions, so this is an index lookup. */
#define CALL_PAIR "min(k.a, k.b) = min(?1, ?2) AND max(k.a, k.b) = max(?1, ?2)"

/*
 * Client statements share one numbering of parameters, so one function
 * binds them for INSERT and UPDATE: ?1 name, ?2 ipv4, ?3 port, ?4 mac,
 * ?5 secret, ?6 registered, ?7 allow_all, ?8 allow, ?9 max_calls,
 * ?10 postbox_max, ?11 retention_s, ?12 created_ms, ?13 registered_ms.
 */
static const char *const stmt_sql[ST_MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT paw_op",
	[ST_RELEASE] = "RELEASE paw_op",
	[ST_ROLLBACK_TO] = "ROLLBACK TO paw_op",
	[ST_VERSION] = "PRAGMA user_version",
	[ST_DATA_VERSION] = "PRAGMA data_version",
	[ST_CLIENT_ADD] = "INSERT INTO clients (name, ipv4, port, mac, secret, registered, "
		"allow_all, allow, max_calls, postbox_max, retention_s, created_ms, "
		"registered_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[ST_CLIENT_UPDATE] = "UPDATE clients SET ipv4 = ?2, port = ?3, mac = ?4, "
		"registered = ?6, allow_all = ?7, allow = ?8, max_calls = ?9, "
		"postbox_max = ?10, retention_s = ?11, registered_ms = ?13 WHERE name = ?1",
	[ST_CLIENT_DEL] = "DELETE FROM clients WHERE name = ?1",
	[ST_CLIENT_GET] = "SELECT " CLIENT_COLS " WHERE name = ?1",
	[ST_CLIENT_BY_IPV4] = "SELECT " CLIENT_COLS " WHERE ipv4 = ?1",
	[ST_CLIENT_ALL] = "SELECT " CLIENT_COLS " ORDER BY name",
	[ST_CLIENT_COUNT] = "SELECT count(*) FROM clients",
	[ST_CALL_ADD] = "INSERT INTO calls (a, b, by_admin, since_ms) VALUES (?1, ?2, ?3, ?4)",
	[ST_CALL_DEL] = "DELETE FROM calls AS k WHERE " CALL_PAIR,
	[ST_CALL_GET] = "SELECT " CALL_COLS " WHERE " CALL_PAIR,
	[ST_CALL_COUNT] = "SELECT count(*) FROM calls WHERE a = ?1 OR b = ?1",
	[ST_CALL_COUNT_ALL] = "SELECT count(*) FROM calls",
	[ST_CALL_OF] = "SELECT " CALL_COLS " WHERE k.a = ?1 OR k.b = ?1 ORDER BY k.id",
	[ST_CALL_ALL] = "SELECT " CALL_COLS " ORDER BY k.id",
	[ST_MSG_FIND] = "SELECT id FROM messages "
		"WHERE recipient = ?1 AND sender_id = ?2 AND msg_id = ?3",
	[ST_MSG_COUNT] = "SELECT count(*) FROM messages WHERE recipient = ?1",
	[ST_MSG_COUNT_ALL] = "SELECT count(*) FROM messages",
	[ST_MSG_ADD] = "INSERT INTO messages (recipient, sender_id, sender, msg_id, ts_ms, text) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_MSG_FETCH] = "SELECT id, msg_id, ts_ms, sender, text FROM messages "
		"WHERE recipient = ?1 ORDER BY id LIMIT ?2",
	[ST_MSG_ACK] = "DELETE FROM messages WHERE id = ?1 AND recipient = ?2",
	/* One statement for every postbox: age against its owner's retention. */
	[ST_MSG_EXPIRE] = "DELETE FROM messages WHERE ?1 - ts_ms > 1000 * "
		"(SELECT retention_s FROM clients WHERE clients.id = messages.recipient)",
};

/*
 * Every request names its client, most name a peer too, and pawd is the
 * file's only writer as a rule: a row read once is kept here rather than
 * read through SQLite again (docs/store.md, "Client cache"). A slot
 * counts only while its generation is the store's; the generation moves
 * on whenever what SQLite holds may differ from what was read: a
 * rollback (of a batch or of one savepoint), any SQLite error (it may
 * have rolled back by itself), or a commit by another connection
 * (PRAGMA data_version, checked once per transaction). Writes of a
 * client drop its slot.
 */
struct client_slot {
	__u64 gen;			/* 0: never filled */
	__u64 count_gen;		/* n_msgs holds while it is the store's */
	__u32 n_msgs;			/* messages in the client's postbox */
	struct paw_store_client c;
};

struct paw_store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_MAX];
	bool in_tx;		/* between paw_store_begin() and commit/rollback */
	char *path;
	char errmsg[PAW_STORE_ERR_MAX];
	struct client_slot *cache;	/* CLIENT_CACHE_SLOTS, or NULL: no cache */
	__u64 cache_gen;
	__u64 count_gen;		/* moves on when messages expire */
	sqlite3_int64 data_version;	/* other connections' commits, last seen */
	bool dv_checked;		/* in this transaction */
	struct paw_store_cache_stats cache_stats;
};

/* Exposed for tests only (tests/unit/test_store.c): open with extra
 * migrations after the built-in ones, and reach the connection. */
int paw_store_open_ext(struct paw_store **sp, const struct paw_store_opts *opts,
		       const char *const *extra, int n_extra);
sqlite3 *paw_store_sqlite_db(struct paw_store *s);

static int set_err(struct paw_store *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_err(struct paw_store *s, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

/* Map an SQLite result to the contract's errno and keep its message. */
static int sql_err(struct paw_store *s, int rc)
{
	int err;

	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		err = -EEXIST;
		break;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		err = -ENOENT;
		break;
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
	case SQLITE_CONSTRAINT_DATATYPE:
		err = -EINVAL;
		break;
	case SQLITE_NOMEM:
		err = -ENOMEM;
		break;
	default:
		/* Disk full is -EIO too: -ENOSPC means a postbox limit. */
		err = -EIO;
		break;
	}
	/* SQLite may have rolled back on its own: forget what was read. */
	s->cache_gen++;
	return set_err(s, err, "%s", s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
}

/*
 * One use of a prepared statement. Bind errors are sticky in `rc`, so a
 * run of binds is checked once, at q_step().
 */
struct query {
	struct paw_store *s;
	sqlite3_stmt *st;
	int rc;
};

static int q_start_raw(struct paw_store *s, enum stmt_id id, struct query *q)
{
	q->s = s;
	q->st = s->st[id];
	q->rc = SQLITE_OK;
	/* A callback of an iteration calling the same iteration again would
	 * reset the statement under its caller's feet. */
	if (sqlite3_stmt_busy(q->st))
		return set_err(s, -EBUSY, "statement in use by an iteration in progress");
	return 0;
}

static int q_start(struct paw_store *s, enum stmt_id id, struct query *q)
{
	/* An I/O error or the like makes SQLite roll back the whole batch by
	 * itself. Going on would commit each later mutation on its own,
	 * before pawd's commit: refuse until pawd rolls back. */
	if (s->in_tx && sqlite3_get_autocommit(s->db))
		return set_err(s, -EIO, "the transaction was rolled back by an earlier error");
	return q_start_raw(s, id, q);
}

static void q_int(struct query *q, int i, sqlite3_int64 v)
{
	if (q->rc == SQLITE_OK)
		q->rc = sqlite3_bind_int64(q->st, i, v);
}

/* The caller's buffers outlive the statement's use: no copies (and none
 * of the secret in SQLite's heap beyond what writing the row needs). */
static void q_text(struct query *q, int i, const char *v)
{
	if (q->rc == SQLITE_OK)
		q->rc = sqlite3_bind_text(q->st, i, v, -1, SQLITE_STATIC);
}

static void q_blob(struct query *q, int i, const void *v, int len)
{
	if (q->rc == SQLITE_OK)
		q->rc = sqlite3_bind_blob(q->st, i, v ? v : "", len, SQLITE_STATIC);
}

static void q_null(struct query *q, int i)
{
	if (q->rc == SQLITE_OK)
		q->rc = sqlite3_bind_null(q->st, i);
}

/* SQLITE_ROW, or 0 when done, or a negative errno (message kept). */
static int q_step(struct query *q)
{
	int rc = q->rc;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(q->st);
	if (rc == SQLITE_ROW)
		return SQLITE_ROW;
	if (rc == SQLITE_DONE)
		return 0;
	q->rc = rc;
	return sql_err(q->s, rc);
}

static void q_end(struct query *q)
{
	sqlite3_reset(q->st);
	sqlite3_clear_bindings(q->st);
}

/* Run a statement that returns no row. */
static int q_exec(struct query *q)
{
	int err = q_step(q);

	q_end(q);
	if (err == SQLITE_ROW)
		err = set_err(q->s, -EIO, "unexpected row");
	return err;
}

/* Run a statement expected to return one integer: -ENOENT without one. */
static int q_int_row(struct query *q, sqlite3_int64 *v)
{
	int err = q_step(q);

	if (err == SQLITE_ROW) {
		*v = sqlite3_column_int64(q->st, 0);
		err = 0;
	} else if (err == 0) {
		err = -ENOENT;
	}
	q_end(q);
	return err;
}

static int stmt_run(struct paw_store *s, enum stmt_id id)
{
	struct query q;
	int err;

	err = q_start_raw(s, id, &q);
	if (!err)
		err = q_exec(&q);
	return err;
}

/* ---- the client cache ---- */

static size_t cache_slot(const char *name)
{
	__u32 h = 2166136261u;		/* FNV-1a: a collision only costs a miss */

	for (; *name; name++)
		h = (h ^ (__u8)*name) * 16777619u;
	return h & (CLIENT_CACHE_SLOTS - 1);
}

/* Forget every slot: what SQLite holds may differ from what was read. */
static void cache_flush(struct paw_store *s)
{
	s->cache_gen++;
}

/* Another connection's commit (an admin's sqlite3 shell) flushes it. */
static void cache_sync(struct paw_store *s)
{
	sqlite3_int64 v = 0;
	struct query q;

	if (s->in_tx && s->dv_checked)
		return;
	if (q_start_raw(s, ST_DATA_VERSION, &q) || q_int_row(&q, &v)) {
		cache_flush(s);
		return;
	}
	if (v != s->data_version) {
		s->data_version = v;
		cache_flush(s);
	}
	/* Inside a write transaction no one else can commit. */
	s->dv_checked = s->in_tx;
}

static struct client_slot *slot_find(struct paw_store *s, const char *name)
{
	struct client_slot *sl;

	if (!s->cache)
		return NULL;
	/* The batch is gone under us (q_start() refuses to go on). */
	if (s->in_tx && sqlite3_get_autocommit(s->db)) {
		cache_flush(s);
		return NULL;
	}
	cache_sync(s);
	sl = &s->cache[cache_slot(name)];
	if (sl->gen != s->cache_gen || strcmp(sl->c.name, name)) {
		s->cache_stats.misses++;
		return NULL;
	}
	s->cache_stats.hits++;
	return sl;
}

static struct client_slot *cache_put(struct paw_store *s, const struct paw_store_client *c)
{
	struct client_slot *sl;

	if (!s->cache)
		return NULL;
	sl = &s->cache[cache_slot(c->name)];
	sl->c = *c;
	sl->gen = s->cache_gen;
	sl->count_gen = 0;
	return sl;
}

/* sl (from slot_find() or cache_put()) still holds the row of `id`: no
 * flush since, and no other name put in its place. */
static bool slot_holds(const struct paw_store *s, const struct client_slot *sl, sqlite3_int64 id)
{
	return sl && sl->gen == s->cache_gen && sl->c.id == id;
}

static void cache_drop(struct paw_store *s, const char *name)
{
	struct client_slot *sl;

	if (!s->cache)
		return;
	sl = &s->cache[cache_slot(name)];
	if (!strcmp(sl->c.name, name))
		sl->gen = 0;
}

void paw_store_cache_counters(struct paw_store *s, struct paw_store_cache_stats *st)
{
	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	if (s)
		*st = s->cache_stats;
}

static int client_get_sql(struct paw_store *s, const char *name, struct paw_store_client *c,
			  struct client_slot **slot);

/* A client's row id by name, and the cache slot that now holds its row
 * (NULL when uncached), for the postbox size kept there. */
static int client_ref(struct paw_store *s, const char *name, sqlite3_int64 *id,
		      struct client_slot **slot)
{
	struct client_slot *sl = slot_find(s, name);
	struct paw_store_client c;
	int err = 0;

	if (!sl) {
		err = client_get_sql(s, name, &c, &sl);
		sodium_memzero(c.secret, sizeof(c.secret));
	}
	if (!err)
		*id = sl ? sl->c.id : c.id;
	if (slot)
		*slot = err ? NULL : sl;
	return err;
}

static int client_id(struct paw_store *s, const char *name, sqlite3_int64 *id)
{
	return client_ref(s, name, id, NULL);
}

static int count_row(struct paw_store *s, enum stmt_id id, sqlite3_int64 key, bool keyed,
		     __u32 *n)
{
	sqlite3_int64 v = 0;
	struct query q;
	int err;

	err = q_start(s, id, &q);
	if (err)
		return err;
	if (keyed)
		q_int(&q, 1, key);
	err = q_int_row(&q, &v);
	if (!err)
		*n = v > UINT32_MAX ? UINT32_MAX : (__u32)v;
	return err;
}

/*
 * A mutation of several statements is one unit: its own transaction
 * outside a batch, a savepoint inside one (so its failure leaves the
 * rest of the batch as it was).
 */
static int op_begin(struct paw_store *s)
{
	struct query q;
	int err;

	err = q_start(s, s->in_tx ? ST_SAVEPOINT : ST_BEGIN, &q);
	if (!err)
		err = q_exec(&q);
	return err;
}

/* Run a statement on a failure path, keeping the first failure's
 * message: it is the one that explains. */
static void run_quiet(struct paw_store *s, enum stmt_id id)
{
	char msg[PAW_STORE_ERR_MAX];

	memcpy(msg, s->errmsg, sizeof(msg));
	stmt_run(s, id);
	memcpy(s->errmsg, msg, sizeof(msg));
}

static int op_end(struct paw_store *s, int err)
{
	if (!err) {
		err = stmt_run(s, s->in_tx ? ST_RELEASE : ST_COMMIT);
		if (!err)
			return 0;
	}
	/* Nothing to undo when SQLite rolled back by itself already. */
	if (sqlite3_get_autocommit(s->db))
		return err;
	cache_flush(s);
	if (s->in_tx) {
		run_quiet(s, ST_ROLLBACK_TO);
		run_quiet(s, ST_RELEASE);
	} else {
		run_quiet(s, ST_ROLLBACK);
	}
	return err;
}

/* ---- opening ---- */

static int fsync_dir(const char *dir)
{
	_cleanup_close_ int fd = -1;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		return -errno;
	return 0;
}

/* Sync the directory holding path, so a new entry in it survives a crash. */
static int fsync_parent(const char *path)
{
	_cleanup_free_ char *dir = strdup(path);
	char *slash;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash)
		return fsync_dir(".");
	if (slash == dir)
		return fsync_dir("/");
	*slash = '\0';
	return fsync_dir(dir);
}

/* mkdir -p of the file's directory, 0700 for what it creates. */
static int make_parents(struct paw_store *s, const char *path)
{
	_cleanup_free_ char *dir = strdup(path);
	char *slash, *p;
	int err;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	/* Bounded: p only moves forward through dir. */
	for (p = dir + 1; ; p++) {
		bool last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) == 0) {
			err = fsync_parent(dir);
			if (err)
				return set_err(s, err, "Couldn't sync the parent of '%s'", dir);
		} else if (errno != EEXIST) {
			err = -errno;
			return set_err(s, err, "Couldn't create '%s': %s", dir, strerror(-err));
		}
		if (last)
			break;
		*p = '/';
	}
	return 0;
}

/* The file holds the clients' secrets: owner only. Its -wal and -shm
 * inherit the database's mode from SQLite; tighten all three anyway, for
 * a file someone created with a wider mode. */
static int tighten_modes(struct paw_store *s)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char p[PATH_MAX];
	struct stat st;

	for (unsigned int i = 0; i < PAW_ARRAY_SIZE(suffix); i++) {
		if (snprintf(p, sizeof(p), "%s%s", s->path, suffix[i]) >= (int)sizeof(p))
			return set_err(s, -ENAMETOOLONG, "path too long");
		if (stat(p, &st) < 0) {
			if (errno == ENOENT && i > 0)
				continue;
			return set_err(s, -errno, "Couldn't stat '%s': %s", p, strerror(errno));
		}
		if ((st.st_mode & 07777) != 0600 && chmod(p, 0600) < 0)
			return set_err(s, -errno, "Couldn't chmod '%s': %s", p, strerror(errno));
	}
	return 0;
}

static int pragma_text(struct paw_store *s, const char *sql, const char *want)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *v;
	int rc, err = 0;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		err = sql_err(s, rc);
		goto out;
	}
	v = sqlite3_column_text(st, 0);
	if (!v || strcmp((const char *)v, want) != 0)
		err = set_err(s, -EIO, "%s gave '%s', not '%s'", sql, v ? (const char *)v : "",
			      want);
out:
	sqlite3_finalize(st);
	return err;
}

static int pragma_int(struct paw_store *s, const char *sql, sqlite3_int64 *v)
{
	sqlite3_stmt *st = NULL;
	int rc, err = 0;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	else
		err = sql_err(s, rc);
	sqlite3_finalize(st);
	return err;
}

static int exec_sql(struct paw_store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sql_err(s, rc);
}

static int configure_db(struct paw_store *s)
{
	int on = 0, err;

	/* Extended codes tell a UNIQUE failure from any other constraint. */
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, PAW_STORE_BUSY_MS);
	/* The schema in the file is data, not code we trust: no writable
	 * schema tricks, no functions with side effects in it. */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	/* Cascades carry client_del; a build without them would silently
	 * leave orphans, so ask and check rather than trust the PRAGMA. */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_FKEY, 1, &on);
	if (!on)
		return set_err(s, -EIO, "SQLite has no foreign key support");

	/* The first read of the file: a garbage file fails here. */
	err = pragma_text(s, "PRAGMA journal_mode = WAL", "wal");
	if (err)
		return err;
	/* FULL: each commit syncs the WAL, so a reply follows a durable
	 * write. secure_delete: a deleted secret or message is zeroed in
	 * the file, not left in a free page. A checkpoint every 8192 pages
	 * (a WAL of up to 32 MiB) rather than SQLite's 1000: with group
	 * commit a batch dirties hundreds of pages, and the default copied
	 * them into the file, with two more fsyncs, every few batches.
	 * 32 MiB of page cache keeps the indexes of a busy postbox table. */
	return exec_sql(s, "PRAGMA synchronous = FULL; PRAGMA secure_delete = ON;"
			   "PRAGMA wal_autocheckpoint = 8192; PRAGMA cache_size = -32768;");
}

static int migrate(struct paw_store *s, const char *const *extra, int n_extra)
{
	int target = PAW_STORE_SCHEMA_VERSION + n_extra;
	sqlite3_int64 version = 0, app = 0, objects = 0;
	char sql[64];
	int err;

	/* IMMEDIATE: two pawds starting at once migrate one after the other. */
	err = exec_sql(s, "BEGIN IMMEDIATE");
	if (err)
		return err;
	err = pragma_int(s, "PRAGMA user_version", &version);
	if (!err)
		err = pragma_int(s, "PRAGMA application_id", &app);
	if (!err)
		err = pragma_int(s, "SELECT count(*) FROM sqlite_schema", &objects);
	if (err)
		goto out;
	if (app != 0 && app != PAW_STORE_APP_ID) {
		err = set_err(s, -EPROTO, "not a Paw store (application_id %lld)", app);
		goto out;
	}
	if (version == 0 && objects > 0) {
		err = set_err(s, -EPROTO, "not a Paw store (tables but no schema version)");
		goto out;
	}
	if (version > target) {
		err = set_err(s, -EPROTO, "schema version %lld is newer than this pawd's %d",
			      version, target);
		goto out;
	}
	for (int v = (int)version; v < target; v++) {
		const char *step = v < PAW_STORE_SCHEMA_VERSION ? migrations[v] :
			extra[v - PAW_STORE_SCHEMA_VERSION];

		err = exec_sql(s, step);
		if (err) {
			char msg[PAW_STORE_ERR_MAX];

			memcpy(msg, s->errmsg, sizeof(msg));
			err = set_err(s, err, "migration to version %d: %s", v + 1, msg);
			goto out;
		}
	}
	if (version < target) {
		/* An integer we produce, not caller text: formatting is safe. */
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", target);
		err = exec_sql(s, sql);
	}
out:
	if (!err)
		return exec_sql(s, "COMMIT");
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

static int prepare_all(struct paw_store *s)
{
	for (int i = 0; i < ST_MAX; i++) {
		int rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &s->st[i], NULL);

		if (rc != SQLITE_OK)
			return sql_err(s, rc);
	}
	return 0;
}

static int open_db(struct paw_store *s, const struct paw_store_opts *opts,
		   const char *const *extra, int n_extra)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	bool existed;
	struct stat st;
	int rc, err;

	existed = stat(s->path, &st) == 0;
	if (!existed && errno != ENOENT)
		return set_err(s, -errno, "Couldn't stat '%s': %s", s->path, strerror(errno));
	if (!existed && !opts->create)
		return set_err(s, -ENOENT, "'%s' does not exist", s->path);
	if (existed && !S_ISREG(st.st_mode))
		return set_err(s, -EINVAL, "'%s' is not a regular file", s->path);
	if (opts->create) {
		flags |= SQLITE_OPEN_CREATE;
		err = make_parents(s, s->path);
		if (err)
			return err;
	}

	/* Without SQLITE_OPEN_URI the path is a file name, whatever it holds. */
	rc = sqlite3_open_v2(s->path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		int sys = s->db ? sqlite3_system_errno(s->db) : 0;

		err = sql_err(s, rc);
		return sys ? -sys : err;
	}
	err = configure_db(s);
	if (!err)
		err = migrate(s, extra, n_extra);
	/* SQLite syncs the directory for a new WAL, not for a new database. */
	if (!err && !existed) {
		err = fsync_parent(s->path);
		if (err)
			return set_err(s, err, "Couldn't sync the directory of '%s'", s->path);
	}
	if (!err)
		err = prepare_all(s);
	return err;
}

int paw_store_open_ext(struct paw_store **sp, const struct paw_store_opts *opts,
		       const char *const *extra, int n_extra)
{
	struct paw_store *s;
	mode_t old_umask;
	int err;

	if (!sp || !opts || !opts->path || !*opts->path || n_extra < 0 || (n_extra && !extra))
		return -EINVAL;
	*sp = NULL;
	if (opts->errbuf && opts->errlen)
		opts->errbuf[0] = '\0';
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->path = strdup(opts->path);
	if (!s->path) {
		err = -ENOMEM;
		goto out;
	}
	/* Without memory for it the store works uncached. */
	s->cache = calloc(CLIENT_CACHE_SLOTS, sizeof(*s->cache));
	s->cache_gen = 1;
	s->count_gen = 1;
	/* Files SQLite creates (the database, -wal, -shm) are born owner
	 * only; umask is per process, hence restored before returning. */
	old_umask = umask(077);
	err = open_db(s, opts, extra, n_extra);
	umask(old_umask);
	if (!err)
		err = tighten_modes(s);
out:
	if (err) {
		if (opts->errbuf && opts->errlen)
			snprintf(opts->errbuf, opts->errlen, "%s",
				 s->errmsg[0] ? s->errmsg : strerror(-err));
		paw_store_close(s);
		return err;
	}
	*sp = s;
	return 0;
}

int paw_store_open(struct paw_store **sp, const struct paw_store_opts *opts)
{
	return paw_store_open_ext(sp, opts, NULL, 0);
}

void paw_store_close(struct paw_store *s)
{
	if (!s)
		return;
	for (int i = 0; i < ST_MAX; i++)
		sqlite3_finalize(s->st[i]);
	/* An open batch is rolled back: nothing uncommitted was acknowledged. */
	sqlite3_close_v2(s->db);
	if (s->cache) {
		/* It holds the clients' secrets. */
		sodium_memzero(s->cache, CLIENT_CACHE_SLOTS * sizeof(*s->cache));
		free(s->cache);
	}
	free(s->path);
	free(s);
}

sqlite3 *paw_store_sqlite_db(struct paw_store *s)
{
	return s ? s->db : NULL;
}

const char *paw_store_errmsg(struct paw_store *s)
{
	if (!s)
		return "no store";
	return s->errmsg[0] ? s->errmsg : "no error";
}

int paw_store_schema_version(struct paw_store *s)
{
	sqlite3_int64 v = 0;
	struct query q;
	int err;

	if (!s)
		return -EINVAL;
	err = q_start_raw(s, ST_VERSION, &q);
	if (!err)
		err = q_int_row(&q, &v);
	return err ? err : (int)v;
}

/* ---- group commit ---- */

int paw_store_begin(struct paw_store *s)
{
	int err;

	if (!s)
		return -EINVAL;
	if (s->in_tx)
		return set_err(s, -EBUSY, "a transaction is already open");
	/* IMMEDIATE takes the write lock now: a batch never fails half-way
	 * because another process wrote first. */
	err = stmt_run(s, ST_BEGIN);
	if (!err)
		s->in_tx = true;
	s->dv_checked = false;
	return err;
}

int paw_store_commit(struct paw_store *s)
{
	int err;

	if (!s)
		return -EINVAL;
	if (!s->in_tx)
		return set_err(s, -EINVAL, "no transaction to commit");
	s->in_tx = false;
	s->dv_checked = false;
	if (sqlite3_get_autocommit(s->db)) {
		cache_flush(s);
		return set_err(s, -EIO, "the transaction was rolled back by an earlier error");
	}
	err = stmt_run(s, ST_COMMIT);
	/* A COMMIT that failed may leave the transaction open: end it, so
	 * the contract holds (nothing of a failed batch is stored). */
	if (err) {
		cache_flush(s);
		if (!sqlite3_get_autocommit(s->db))
			run_quiet(s, ST_ROLLBACK);
	}
	return err;
}

int paw_store_rollback(struct paw_store *s)
{
	if (!s)
		return -EINVAL;
	if (!s->in_tx)
		return set_err(s, -EINVAL, "no transaction to roll back");
	s->in_tx = false;
	s->dv_checked = false;
	cache_flush(s);
	/* SQLite may have rolled back already, after an I/O error. */
	if (sqlite3_get_autocommit(s->db))
		return 0;
	return stmt_run(s, ST_ROLLBACK);
}

/* ---- clients ---- */

/* Copy a text column into a fixed buffer; too long is a corrupt row. */
static int col_str(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const unsigned char *v = sqlite3_column_text(st, col);
	int len = sqlite3_column_bytes(st, col);

	if (!v || len < 0 || (size_t)len >= size)
		return -EIO;
	memcpy(dst, v, len);
	dst[len] = '\0';
	return 0;
}

static int col_u32(sqlite3_stmt *st, int col, __u32 *v)
{
	sqlite3_int64 x = sqlite3_column_int64(st, col);

	if (x < 0 || x > UINT32_MAX)
		return -EIO;
	*v = (__u32)x;
	return 0;
}

static int allow_join(const struct paw_pb_soil *soil, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	if (soil->n_allow > PAW_PB_ALLOW_MAX)
		return -EINVAL;
	for (int i = 0; i < soil->n_allow; i++) {
		const char *name = soil->allow[i];
		size_t len = strnlen(name, sizeof(soil->allow[i]));

		/* Valid names hold no ',', so the join is unambiguous. */
		if (len > PAW_PB_NAME_MAX || !paw_name_valid(name))
			return -EINVAL;
		if (off + len + 2 > size)
			return -EINVAL;
		if (i)
			buf[off++] = ',';
		memcpy(buf + off, name, len);
		off += len;
		buf[off] = '\0';
	}
	return 0;
}

static int allow_split(const char *str, struct paw_pb_soil *soil)
{
	const char *p = str;

	soil->n_allow = 0;
	if (!*p)
		return 0;
	for (int n = 0; n < PAW_PB_ALLOW_MAX; n++) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == 0 || len > PAW_PB_NAME_MAX)
			return -EIO;
		memcpy(soil->allow[n], p, len);
		soil->allow[n][len] = '\0';
		soil->n_allow = n + 1;
		if (!comma)
			return 0;
		p = comma + 1;
	}
	return -EIO;	/* more names than a list may hold */
}

static int read_client(struct paw_store *s, sqlite3_stmt *st, struct paw_store_client *c)
{
	char allow[ALLOW_STR_MAX + 1];
	__u32 ipv4 = 0;
	const void *blob;
	int err;

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	err = col_str(st, 1, c->name, sizeof(c->name));
	if (!err)
		err = col_u32(st, 2, &ipv4);
	if (!err)
		err = col_str(st, 3, c->port, sizeof(c->port));
	if (err)
		goto out;
	c->ipv4 = htonl(ipv4);
	if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
		blob = sqlite3_column_blob(st, 4);
		if (!blob || sqlite3_column_bytes(st, 4) != (int)sizeof(c->mac)) {
			err = -EIO;
			goto out;
		}
		memcpy(c->mac, blob, sizeof(c->mac));
		c->has_mac = true;
	}
	blob = sqlite3_column_blob(st, 5);
	if (!blob || sqlite3_column_bytes(st, 5) != PAW_PB_SECRET_LEN) {
		err = -EIO;
		goto out;
	}
	memcpy(c->secret, blob, PAW_PB_SECRET_LEN);
	c->registered = sqlite3_column_int(st, 6) != 0;
	c->soil.present = SOIL_ALL;
	c->soil.allow_all = sqlite3_column_int(st, 7) != 0;
	err = col_str(st, 8, allow, sizeof(allow));
	if (!err)
		err = allow_split(allow, &c->soil);
	if (!err)
		err = col_u32(st, 9, &c->soil.max_calls);
	if (!err)
		err = col_u32(st, 10, &c->soil.postbox_max);
	if (!err)
		err = col_u32(st, 11, &c->soil.retention_s);
	c->created_ms = (__u64)sqlite3_column_int64(st, 12);
	c->registered_ms = (__u64)sqlite3_column_int64(st, 13);
out:
	if (err) {
		sodium_memzero(c, sizeof(*c));
		return set_err(s, -EIO, "corrupt client row (id %lld)",
			       (long long)sqlite3_column_int64(st, 0));
	}
	return 0;
}

static int check_client(struct paw_store *s, const struct paw_store_client *c, char *allow,
			size_t allow_size)
{
	if (!paw_name_valid(c->name))
		return set_err(s, -EINVAL, "invalid client name");
	if (strnlen(c->port, sizeof(c->port)) >= sizeof(c->port))
		return set_err(s, -EINVAL, "port name too long");
	if (allow_join(&c->soil, allow, allow_size))
		return set_err(s, -EINVAL, "invalid allow list");
	return 0;
}

/* Everything but the secret and created_ms, which only an INSERT writes. */
static void bind_client(struct query *q, const struct paw_store_client *c, const char *allow)
{
	q_text(q, 1, c->name);
	q_int(q, 2, ntohl(c->ipv4));
	q_text(q, 3, c->port);
	if (c->has_mac)
		q_blob(q, 4, c->mac, sizeof(c->mac));
	else
		q_null(q, 4);
	q_int(q, 6, c->registered);
	q_int(q, 7, c->soil.allow_all);
	q_text(q, 8, allow);
	q_int(q, 9, c->soil.max_calls);
	q_int(q, 10, c->soil.postbox_max);
	q_int(q, 11, c->soil.retention_s);
	q_int(q, 13, (sqlite3_int64)c->registered_ms);
}

int paw_store_client_add(struct paw_store *s, struct paw_store_client *c)
{
	char allow[ALLOW_STR_MAX + 1];
	struct query q;
	__u64 created;
	int err;

	if (!s || !c)
		return -EINVAL;
	err = check_client(s, c, allow, sizeof(allow));
	if (err)
		return err;
	created = c->created_ms ? c->created_ms : paw_now_ms();
	cache_drop(s, c->name);
	err = q_start(s, ST_CLIENT_ADD, &q);
	if (err)
		return err;
	bind_client(&q, c, allow);
	q_blob(&q, 5, c->secret, PAW_PB_SECRET_LEN);
	q_int(&q, 12, (sqlite3_int64)created);
	err = q_exec(&q);
	if (!err) {
		c->id = sqlite3_last_insert_rowid(s->db);
		c->created_ms = created;
	}
	return err;
}

int paw_store_client_update(struct paw_store *s, const struct paw_store_client *c)
{
	char allow[ALLOW_STR_MAX + 1];
	struct query q;
	int err;

	if (!s || !c)
		return -EINVAL;
	err = check_client(s, c, allow, sizeof(allow));
	if (err)
		return err;
	cache_drop(s, c->name);
	err = q_start(s, ST_CLIENT_UPDATE, &q);
	if (err)
		return err;
	bind_client(&q, c, allow);
	err = q_exec(&q);
	if (!err && sqlite3_changes(s->db) == 0)
		err = set_err(s, -ENOENT, "no client '%.40s'", c->name);
	return err;
}

int paw_store_client_del(struct paw_store *s, const char *name)
{
	struct query q;
	int err;

	if (!s || !name)
		return -EINVAL;
	cache_drop(s, name);
	err = q_start(s, ST_CLIENT_DEL, &q);
	if (err)
		return err;
	/* One statement: the cascades (calls, postbox) are part of it. */
	q_text(&q, 1, name);
	err = q_exec(&q);
	if (!err && sqlite3_changes(s->db) == 0)
		err = set_err(s, -ENOENT, "no client '%.40s'", name);
	return err;
}

/* Run a client query expected to find at most one row. */
static int client_one(struct query *q, struct paw_store_client *c)
{
	int err = q_step(q);

	if (err == SQLITE_ROW)
		err = read_client(q->s, q->st, c);
	else if (err == 0)
		err = -ENOENT;
	q_end(q);
	return err;
}

static int client_get_sql(struct paw_store *s, const char *name, struct paw_store_client *c,
			  struct client_slot **slot)
{
	struct query q;
	int err;

	*slot = NULL;
	err = q_start(s, ST_CLIENT_GET, &q);
	if (err)
		return err;
	q_text(&q, 1, name);
	err = client_one(&q, c);
	if (!err)
		*slot = cache_put(s, c);
	else if (err == -ENOENT)
		set_err(s, err, "no client '%.40s'", name);
	return err;
}

int paw_store_client_get(struct paw_store *s, const char *name, struct paw_store_client *c)
{
	struct client_slot *sl;

	if (!s || !name || !c)
		return -EINVAL;
	sl = slot_find(s, name);
	if (sl) {
		*c = sl->c;
		return 0;
	}
	return client_get_sql(s, name, c, &sl);
}

int paw_store_client_by_ipv4(struct paw_store *s, __be32 ipv4, struct paw_store_client *c)
{
	struct query q;
	int err;

	if (!s || !c)
		return -EINVAL;
	err = q_start(s, ST_CLIENT_BY_IPV4, &q);
	if (err)
		return err;
	q_int(&q, 1, ntohl(ipv4));
	err = client_one(&q, c);
	if (err == -ENOENT)
		set_err(s, err, "no client with that IPv4 address");
	return err;
}

int paw_store_client_foreach(struct paw_store *s,
			     int (*fn)(const struct paw_store_client *c, void *ctx), void *ctx)
{
	struct paw_store_client c;
	struct query q;
	int err;

	if (!s || !fn)
		return -EINVAL;
	err = q_start(s, ST_CLIENT_ALL, &q);
	if (err)
		return err;
	/* Bounded by the rows of the table. */
	while ((err = q_step(&q)) == SQLITE_ROW) {
		err = read_client(s, q.st, &c);
		if (!err)
			err = fn(&c, ctx);
		sodium_memzero(&c, sizeof(c));
		if (err)
			break;
	}
	q_end(&q);
	return err;
}

int paw_store_client_count(struct paw_store *s, __u32 *n)
{
	if (!s || !n)
		return -EINVAL;
	return count_row(s, ST_CLIENT_COUNT, 0, false, n);
}

/* ---- calls ---- */

static int call_pair(struct paw_store *s, const char *a, const char *b, sqlite3_int64 *ia,
		     sqlite3_int64 *ib)
{
	int err = client_id(s, a, ia);

	if (!err)
		err = client_id(s, b, ib);
	return err;
}

static int read_call(struct paw_store *s, sqlite3_stmt *st, struct paw_store_call *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	if (col_str(st, 1, c->a, sizeof(c->a)) || col_str(st, 2, c->b, sizeof(c->b)))
		return set_err(s, -EIO, "corrupt call row (id %lld)", (long long)c->id);
	c->by_admin = sqlite3_column_int(st, 3) != 0;
	c->since_ms = (__u64)sqlite3_column_int64(st, 4);
	return 0;
}

int paw_store_call_add(struct paw_store *s, struct paw_store_call *c)
{
	sqlite3_int64 ia, ib;
	struct query q;
	__u64 since;
	int err;

	if (!s || !c)
		return -EINVAL;
	if (!strcmp(c->a, c->b))
		return set_err(s, -EINVAL, "a client cannot call itself");
	err = call_pair(s, c->a, c->b, &ia, &ib);
	if (err)
		return err;
	since = c->since_ms ? c->since_ms : paw_now_ms();
	err = q_start(s, ST_CALL_ADD, &q);
	if (err)
		return err;
	/* Stored the way round it was placed: a is who called. */
	q_int(&q, 1, ia);
	q_int(&q, 2, ib);
	q_int(&q, 3, c->by_admin);
	q_int(&q, 4, (sqlite3_int64)since);
	err = q_exec(&q);
	if (!err) {
		c->id = sqlite3_last_insert_rowid(s->db);
		c->since_ms = since;
	}
	return err;
}

int paw_store_call_del(struct paw_store *s, const char *a, const char *b)
{
	sqlite3_int64 ia, ib;
	struct query q;
	int err;

	if (!s || !a || !b)
		return -EINVAL;
	err = call_pair(s, a, b, &ia, &ib);
	if (!err)
		err = q_start(s, ST_CALL_DEL, &q);
	if (err)
		return err;
	q_int(&q, 1, ia);
	q_int(&q, 2, ib);
	err = q_exec(&q);
	if (!err && sqlite3_changes(s->db) == 0)
		err = set_err(s, -ENOENT, "no call between '%.40s' and '%.40s'", a, b);
	return err;
}

int paw_store_call_get(struct paw_store *s, const char *a, const char *b,
		       struct paw_store_call *c)
{
	sqlite3_int64 ia, ib;
	struct query q;
	int err;

	if (!s || !a || !b || !c)
		return -EINVAL;
	err = call_pair(s, a, b, &ia, &ib);
	if (!err)
		err = q_start(s, ST_CALL_GET, &q);
	if (err)
		return err;
	q_int(&q, 1, ia);
	q_int(&q, 2, ib);
	err = q_step(&q);
	if (err == SQLITE_ROW)
		err = read_call(s, q.st, c);
	else if (err == 0)
		err = set_err(s, -ENOENT, "no call between '%.40s' and '%.40s'", a, b);
	q_end(&q);
	return err;
}

int paw_store_call_count(struct paw_store *s, const char *name, __u32 *n)
{
	sqlite3_int64 id;
	int err;

	if (!s || !n)
		return -EINVAL;
	if (!name)
		return count_row(s, ST_CALL_COUNT_ALL, 0, false, n);
	err = client_id(s, name, &id);
	return err ? err : count_row(s, ST_CALL_COUNT, id, true, n);
}

int paw_store_call_foreach(struct paw_store *s, const char *name,
			   int (*fn)(const struct paw_store_call *c, void *ctx), void *ctx)
{
	struct paw_store_call c;
	sqlite3_int64 id = 0;
	struct query q;
	int err;

	if (!s || !fn)
		return -EINVAL;
	if (name) {
		err = client_id(s, name, &id);
		if (err)
			return err;
	}
	err = q_start(s, name ? ST_CALL_OF : ST_CALL_ALL, &q);
	if (err)
		return err;
	if (name)
		q_int(&q, 1, id);
	/* Bounded by the rows of the table. */
	while ((err = q_step(&q)) == SQLITE_ROW) {
		err = read_call(s, q.st, &c);
		if (!err)
			err = fn(&c, ctx);
		if (err)
			break;
	}
	q_end(&q);
	return err;
}

/* ---- postboxes ---- */

/*
 * A postbox's size, counted once and then kept with its client's row:
 * count(*) walks the whole postbox, and every POST needs the figure for
 * the limit. Kept only while the row is cached and no expiry ran since;
 * a POST adds one, an ACK forgets it, and anything that forgets the row
 * (a rollback, an error) forgets the count with it.
 */
static int postbox_count(struct paw_store *s, struct client_slot *sl, sqlite3_int64 rid,
			 __u32 *n)
{
	int err;

	if (slot_holds(s, sl, rid) && sl->count_gen == s->count_gen) {
		*n = sl->n_msgs;
		return 0;
	}
	err = count_row(s, ST_MSG_COUNT, rid, true, n);
	if (!err && slot_holds(s, sl, rid)) {
		sl->n_msgs = *n;
		sl->count_gen = s->count_gen;
	}
	return err;
}

static void postbox_counted(struct paw_store *s, struct client_slot *sl, sqlite3_int64 rid,
			    bool added)
{
	if (!slot_holds(s, sl, rid) || sl->count_gen != s->count_gen)
		return;
	if (added && sl->n_msgs < UINT32_MAX)
		sl->n_msgs++;
	else
		sl->count_gen = 0;
}

int paw_store_msg_post(struct paw_store *s, const char *to, const char *from, __u64 msg_id,
		       const char *text, __u16 text_len, __u64 ts_ms, __u32 limit,
		       __u64 *id, bool *dup)
{
	sqlite3_int64 rid, sid, found = 0;
	struct client_slot *to_slot;
	__u32 n = 0;
	struct query q;
	int err;

	if (id)
		*id = 0;
	if (dup)
		*dup = false;
	if (!s || !to || !from || (text_len && !text))
		return -EINVAL;
	if (text_len > PAW_PB_TEXT_MAX)
		return set_err(s, -EINVAL, "message longer than %d bytes", PAW_PB_TEXT_MAX);
	if (!ts_ms)
		ts_ms = paw_now_ms();

	/* The duplicate check, the limit and the insert are one unit: no
	 * other writer can slip a message in between. */
	err = op_begin(s);
	if (err)
		return err;
	err = client_ref(s, to, &rid, &to_slot);
	if (!err)
		err = client_id(s, from, &sid);
	if (err)
		goto out;

	/* A retransmitted POST is answered like the first, even when the
	 * postbox has filled since: it was accepted then. */
	err = q_start(s, ST_MSG_FIND, &q);
	if (err)
		goto out;
	q_int(&q, 1, rid);
	q_int(&q, 2, sid);
	q_int(&q, 3, (sqlite3_int64)msg_id);
	err = q_int_row(&q, &found);
	if (!err) {
		if (id)
			*id = (__u64)found;
		if (dup)
			*dup = true;
		goto out;
	}
	if (err != -ENOENT)
		goto out;

	err = postbox_count(s, to_slot, rid, &n);
	if (err)
		goto out;
	if (n >= limit) {
		err = set_err(s, -ENOSPC, "postbox of '%.40s' is full (%u)", to, limit);
		goto out;
	}

	err = q_start(s, ST_MSG_ADD, &q);
	if (err)
		goto out;
	q_int(&q, 1, rid);
	q_int(&q, 2, sid);
	q_text(&q, 3, from);
	q_int(&q, 4, (sqlite3_int64)msg_id);
	q_int(&q, 5, (sqlite3_int64)ts_ms);
	q_blob(&q, 6, text, text_len);
	err = q_exec(&q);
	if (!err && id)
		*id = (__u64)sqlite3_last_insert_rowid(s->db);
	if (!err)
		postbox_counted(s, to_slot, rid, true);
out:
	err = op_end(s, err);
	if (err) {
		if (id)
			*id = 0;
		if (dup)
			*dup = false;
	}
	return err;
}

int paw_store_msg_count(struct paw_store *s, const char *to, __u32 *n)
{
	struct client_slot *sl;
	sqlite3_int64 rid;
	int err;

	if (!s || !n)
		return -EINVAL;
	if (!to)
		return count_row(s, ST_MSG_COUNT_ALL, 0, false, n);
	err = client_ref(s, to, &rid, &sl);
	return err ? err : postbox_count(s, sl, rid, n);
}

int paw_store_msg_fetch(struct paw_store *s, const char *to, __u32 max,
			int (*fn)(const struct paw_pb_msg *m, void *ctx), void *ctx)
{
	struct paw_pb_msg m;
	sqlite3_int64 rid;
	struct query q;
	int err;

	if (!s || !to || !fn)
		return -EINVAL;
	err = client_id(s, to, &rid);
	if (!err)
		err = q_start(s, ST_MSG_FETCH, &q);
	if (err)
		return err;
	q_int(&q, 1, rid);
	q_int(&q, 2, max);
	/* Bounded by LIMIT max. */
	while ((err = q_step(&q)) == SQLITE_ROW) {
		const void *text = sqlite3_column_blob(q.st, 4);
		int len = sqlite3_column_bytes(q.st, 4);

		memset(&m, 0, sizeof(m));
		m.id = (__u64)sqlite3_column_int64(q.st, 0);
		m.msg_id = (__u64)sqlite3_column_int64(q.st, 1);
		m.ts_ms = (__u64)sqlite3_column_int64(q.st, 2);
		if (col_str(q.st, 3, m.from, sizeof(m.from)) || len < 0 ||
		    len > PAW_PB_TEXT_MAX || (len && !text)) {
			err = set_err(s, -EIO, "corrupt message row (id %llu)",
				      (unsigned long long)m.id);
			break;
		}
		if (len)
			memcpy(m.text, text, len);
		m.text_len = len;
		err = fn(&m, ctx);
		if (err)
			break;
	}
	q_end(&q);
	return err;
}

int paw_store_msg_ack(struct paw_store *s, const char *to, const __u64 *ids, __u32 n,
		      __u32 *n_deleted)
{
	struct client_slot *sl;
	sqlite3_int64 rid;
	__u32 deleted = 0;
	struct query q;
	int err;

	if (n_deleted)
		*n_deleted = 0;
	if (!s || !to || (n && !ids))
		return -EINVAL;
	err = op_begin(s);
	if (err)
		return err;
	err = client_ref(s, to, &rid, &sl);
	/* Bounded by n; one unit, so a failure deletes none of them. */
	for (__u32 i = 0; !err && i < n; i++) {
		err = q_start(s, ST_MSG_ACK, &q);
		if (err)
			break;
		/* recipient = to: an id of someone else's postbox matches nothing. */
		q_int(&q, 1, (sqlite3_int64)ids[i]);
		q_int(&q, 2, rid);
		err = q_exec(&q);
		if (!err)
			deleted += sqlite3_changes(s->db);
	}
	if (!err)
		postbox_counted(s, sl, rid, false);
	err = op_end(s, err);
	if (!err && n_deleted)
		*n_deleted = deleted;
	return err;
}

int paw_store_msg_expire(struct paw_store *s, __u64 now_ms, __u32 *n_deleted)
{
	struct query q;
	int err;

	if (n_deleted)
		*n_deleted = 0;
	if (!s)
		return -EINVAL;
	err = q_start(s, ST_MSG_EXPIRE, &q);
	if (err)
		return err;
	q_int(&q, 1, (sqlite3_int64)now_ms);
	err = q_exec(&q);
	/* Any postbox may have shrunk: recount each when next asked. */
	if (err || sqlite3_changes(s->db))
		s->count_gen++;
	if (!err && n_deleted)
		*n_deleted = sqlite3_changes(s->db);
	return err;
}
