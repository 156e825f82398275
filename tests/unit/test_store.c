// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite store (daemon/store_sqlite.c) against its contract,
 * daemon/store.h. Every test gets a fresh directory of its own, removed
 * afterwards. Durability is checked the way pawd can lose it: a child
 * process writes and is killed, and the parent reopens the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "store.h"

/* Test-only entry points of store_sqlite.c. */
int paw_store_open_ext(struct paw_store **sp, const struct paw_store_opts *opts,
		       const char *const *extra, int n_extra);
sqlite3 *paw_store_sqlite_db(struct paw_store *s);

struct fx {
	char dir[64];
	char path[128];
	struct paw_store *s;
};

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	struct paw_store_opts o = { .create = true };
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/paw-store-test.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/paw.db", f->dir);
	o.path = f->path;
	if (paw_store_open(&f->s, &o))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	paw_store_close(f->s);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void reopen(struct fx *f)
{
	struct paw_store_opts o = { .path = f->path };

	paw_store_close(f->s);
	f->s = NULL;
	assert_int_equal(paw_store_open(&f->s, &o), 0);
}

/* A second connection, as an admin's sqlite3 shell would be. */
static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 2000);
	return db;
}

static long long raw_int(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *st = NULL;
	long long v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path);

	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void mk_client(struct paw_store_client *c, const char *name, const char *ip)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	assert_int_equal(inet_pton(AF_INET, ip, &c->ipv4), 1);
	strcpy(c->port, "pa");
	randombytes_buf(c->secret, sizeof(c->secret));
	c->soil.allow_all = true;
	c->soil.max_calls = 8;
	c->soil.postbox_max = 100;
	c->soil.retention_s = 3600;
}

static void add_client(struct fx *f, const char *name, const char *ip)
{
	struct paw_store_client c;

	mk_client(&c, name, ip);
	assert_int_equal(paw_store_client_add(f->s, &c), 0);
	sodium_memzero(&c, sizeof(c));
}

static void add_call(struct fx *f, const char *a, const char *b)
{
	struct paw_store_call c = { 0 };

	strcpy(c.a, a);
	strcpy(c.b, b);
	assert_int_equal(paw_store_call_add(f->s, &c), 0);
}

static __u64 post(struct fx *f, const char *to, const char *from, __u64 msg_id,
		  const char *text, __u64 ts)
{
	__u64 id = 0;
	bool dup = true;

	assert_int_equal(paw_store_msg_post(f->s, to, from, msg_id, text, strlen(text), ts, 100,
					    &id, &dup), 0);
	assert_false(dup);
	assert_true(id > 0);
	return id;
}

static __u32 client_count(struct fx *f)
{
	__u32 n = 99;

	assert_int_equal(paw_store_client_count(f->s, &n), 0);
	return n;
}

static __u32 msg_count(struct fx *f, const char *to)
{
	__u32 n = 99;

	assert_int_equal(paw_store_msg_count(f->s, to, &n), 0);
	return n;
}

static __u32 call_count(struct fx *f, const char *name)
{
	__u32 n = 99;

	assert_int_equal(paw_store_call_count(f->s, name, &n), 0);
	return n;
}

static mode_t file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* ---- opening, files, schema ---- */

static void test_open_schema(void **state)
{
	struct fx *f = *state;

	assert_int_equal(paw_store_schema_version(f->s), PAW_STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), PAW_STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(f->path, "PRAGMA application_id"), 0x50617744);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
				 " AND name IN ('clients', 'calls', 'messages')"), 3);
	/* WAL is a property of the file: another connection sees it. */
	assert_int_equal(raw_int(f->path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"),
			 1);
	assert_string_equal(paw_store_errmsg(NULL), "no store");
}

static void test_open_missing(void **state)
{
	struct fx *f = *state;
	struct paw_store *s = (struct paw_store *)0x1;
	char err[128] = "";
	char p[160];
	struct paw_store_opts o = { .path = p, .errbuf = err, .errlen = sizeof(err) };

	snprintf(p, sizeof(p), "%s/nope/paw.db", f->dir);
	assert_int_equal(paw_store_open(&s, &o), -ENOENT);
	assert_null(s);
	assert_non_null(strstr(err, "does not exist"));
	assert_int_equal(access(p, F_OK), -1);

	snprintf(p, sizeof(p), "%s/nope.db", f->dir);
	assert_int_equal(paw_store_open(&s, &o), -ENOENT);
	assert_int_equal(access(p, F_OK), -1);

	o.path = "";
	assert_int_equal(paw_store_open(&s, &o), -EINVAL);
	assert_int_equal(paw_store_open(&s, NULL), -EINVAL);
	o.path = f->dir;	/* a directory */
	assert_int_equal(paw_store_open(&s, &o), -EINVAL);
}

static void test_open_creates_dirs(void **state)
{
	struct fx *f = *state;
	struct paw_store_opts o = { .create = true };
	struct paw_store *s = NULL;
	char p[160], d[160];

	snprintf(p, sizeof(p), "%s/var/lib/paw/paw.db", f->dir);
	o.path = p;
	assert_int_equal(paw_store_open(&s, &o), 0);
	snprintf(d, sizeof(d), "%s/var/lib/paw", f->dir);
	assert_int_equal(file_mode(d), 0700);
	snprintf(d, sizeof(d), "%s/var", f->dir);
	assert_int_equal(file_mode(d), 0700);
	assert_int_equal(file_mode(p), 0600);
	paw_store_close(s);
}

static void test_file_modes(void **state)
{
	struct fx *f = *state;
	char wal[160], shm[160];
	mode_t old;

	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	snprintf(shm, sizeof(shm), "%s-shm", f->path);
	add_client(f, "alice", "10.0.0.1");
	assert_int_equal(file_mode(f->path), 0600);
	/* Present while the store is open after a write. */
	assert_int_equal(file_mode(wal), 0600);
	assert_int_equal(file_mode(shm), 0600);

	/* A file someone widened is narrowed again on open, even when the
	 * process's umask would let a new file be world readable. */
	paw_store_close(f->s);
	f->s = NULL;
	assert_int_equal(chmod(f->path, 0644), 0);
	old = umask(022);
	reopen(f);
	umask(old);
	assert_int_equal(file_mode(f->path), 0600);
	add_client(f, "bob", "10.0.0.2");
	assert_int_equal(file_mode(wal), 0600);
	assert_int_equal(file_mode(shm), 0600);
}

static void test_newer_version_refused(void **state)
{
	struct fx *f = *state;
	struct paw_store_opts o = { .path = f->path };
	char err[128] = "";

	paw_store_close(f->s);
	f->s = NULL;
	raw_exec(f->path, "PRAGMA user_version = 2");
	o.errbuf = err;
	o.errlen = sizeof(err);
	assert_int_equal(paw_store_open(&f->s, &o), -EPROTO);
	assert_null(f->s);
	assert_non_null(strstr(err, "newer"));
	/* Refused, not touched. */
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 2);
}

static void test_foreign_file_refused(void **state)
{
	struct fx *f = *state;
	struct paw_store_opts o = { .path = f->path };
	struct paw_store *s = NULL;
	char p[160];

	snprintf(p, sizeof(p), "%s/other.db", f->dir);
	o.path = p;
	/* Somebody else's database: tables, no version. */
	close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	raw_exec(p, "CREATE TABLE foo (x)");
	assert_int_equal(paw_store_open(&s, &o), -EPROTO);
	assert_int_equal(raw_int(p, "SELECT count(*) FROM sqlite_schema"), 1);
	/* Another application's id. */
	raw_exec(p, "DROP TABLE foo; PRAGMA application_id = 42");
	assert_int_equal(paw_store_open(&s, &o), -EPROTO);
	assert_null(s);
}

static void test_garbage_file(void **state)
{
	struct fx *f = *state;
	struct paw_store_opts o = { 0 };
	struct paw_store *s = NULL;
	char p[160], err[128] = "";
	unsigned char junk[8192];
	int fd;

	snprintf(p, sizeof(p), "%s/junk.db", f->dir);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 131 + 7);
	fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	o.path = p;
	o.errbuf = err;
	o.errlen = sizeof(err);
	assert_int_equal(paw_store_open(&s, &o), -EIO);
	assert_null(s);
	assert_non_null(strstr(err, "not a database"));
}

static int count_cb(const struct paw_store_client *c, void *ctx)
{
	(void)c;
	++*(int *)ctx;
	return 0;
}

/* Damage in the middle of a real store: errors, never a crash (the
 * sanitizer build and valgrind watch this one). */
static void test_corrupt_pages(void **state)
{
	struct fx *f = *state;
	struct paw_store_opts o = { .path = f->path };
	struct paw_store_client c;
	unsigned char junk[4096];
	char name[16], ip[16];
	struct stat st;
	int fd, err, failed = 0;

	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "c%03d", i);
		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 250, i % 250 + 1);
		add_client(f, name, ip);
	}
	paw_store_close(f->s);	/* checkpoints: everything is in the main file */
	f->s = NULL;
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(st.st_size > 3 * 4096);
	memset(junk, 0xa5, sizeof(junk));
	fd = open(f->path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	for (off_t off = 4096; off + 4096 <= st.st_size; off += 2 * 4096)
		assert_int_equal(pwrite(fd, junk, sizeof(junk), off), (ssize_t)sizeof(junk));
	close(fd);

	err = paw_store_open(&f->s, &o);
	if (err) {
		assert_true(err == -EIO || err == -EPROTO);
		return;
	}
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "c%03d", i);
		err = paw_store_client_get(f->s, name, &c);
		assert_true(err == 0 || err == -EIO || err == -ENOENT);
		failed += err != 0;
	}
	/* Half the pages are gone: that cannot go unnoticed. */
	assert_true(failed > 0);
	assert_true(paw_store_client_foreach(f->s, count_cb, &(int){ 0 }) <= 0);
	mk_client(&c, "zz", "10.9.9.9");
	err = paw_store_client_add(f->s, &c);
	assert_true(err == 0 || err == -EIO);
	sodium_memzero(&c, sizeof(c));
}

/* Version 0 -> 1: a file that exists but holds nothing yet. */
static void test_migrate_from_empty(void **state)
{
	struct fx *f = *state;
	struct paw_store_opts o = { 0 };
	struct paw_store *s = NULL;
	char p[160];

	snprintf(p, sizeof(p), "%s/empty.db", f->dir);
	close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	o.path = p;
	assert_int_equal(paw_store_open(&s, &o), 0);
	assert_int_equal(paw_store_schema_version(s), 1);
	assert_int_equal(file_mode(p), 0600);
	paw_store_close(s);
}

/* Version 2 is one more line in the list; a failed step leaves the file
 * at the version it had. */
static void test_migration_mechanism(void **state)
{
	static const char *const good[] = {
		"ALTER TABLE clients ADD COLUMN note TEXT NOT NULL DEFAULT 'n/a'",
	};
	static const char *const bad[] = {
		"ALTER TABLE clients ADD COLUMN note TEXT",
		"CREATE TABLE half (x); SELECT no_such_function()",
	};
	struct fx *f = *state;
	struct paw_store_opts o = { .path = f->path };
	struct paw_store_client c;
	char err[160] = "";

	add_client(f, "alice", "10.0.0.1");
	paw_store_close(f->s);
	f->s = NULL;

	o.errbuf = err;
	o.errlen = sizeof(err);
	assert_int_equal(paw_store_open_ext(&f->s, &o, bad, 2), -EIO);
	assert_non_null(strstr(err, "migration to version 3"));
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 1);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_schema "
				 "WHERE name = 'half'"), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM pragma_table_info('clients') "
				 "WHERE name = 'note'"), 0);

	assert_int_equal(paw_store_open_ext(&f->s, &o, good, 1), 0);
	assert_int_equal(paw_store_schema_version(f->s), 2);
	assert_int_equal(paw_store_client_get(f->s, "alice", &c), 0);
	paw_store_close(f->s);
	f->s = NULL;
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM clients WHERE note = 'n/a'"), 1);

	/* This build knows version 1 only: the migrated file is refused. */
	assert_int_equal(paw_store_open(&f->s, &o), -EPROTO);
	assert_null(f->s);
	/* Opening again at 2 runs nothing. */
	assert_int_equal(paw_store_open_ext(&f->s, &o, good, 1), 0);
}

/* ---- clients ---- */

static void assert_client_equal(const struct paw_store_client *a,
				const struct paw_store_client *b)
{
	assert_int_equal(a->id, b->id);
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->ipv4, b->ipv4);
	assert_string_equal(a->port, b->port);
	assert_int_equal(a->has_mac, b->has_mac);
	if (a->has_mac)
		assert_memory_equal(a->mac, b->mac, 6);
	assert_memory_equal(a->secret, b->secret, PAW_PB_SECRET_LEN);
	assert_int_equal(a->registered, b->registered);
	assert_int_equal(a->soil.allow_all, b->soil.allow_all);
	assert_int_equal(a->soil.n_allow, b->soil.n_allow);
	for (int i = 0; i < a->soil.n_allow; i++)
		assert_string_equal(a->soil.allow[i], b->soil.allow[i]);
	assert_int_equal(a->soil.max_calls, b->soil.max_calls);
	assert_int_equal(a->soil.postbox_max, b->soil.postbox_max);
	assert_int_equal(a->soil.retention_s, b->soil.retention_s);
	assert_int_equal(a->created_ms, b->created_ms);
	assert_int_equal(a->registered_ms, b->registered_ms);
}

static void test_client_add_get(void **state)
{
	static const __u8 mac[6] = { 0x02, 0xa1, 0x1c, 0, 0, 1 };
	struct fx *f = *state;
	struct paw_store_client c, g;

	mk_client(&c, "alice", "10.77.0.1");
	strcpy(c.port, "verylongport15");
	c.has_mac = true;
	memcpy(c.mac, mac, 6);
	c.registered = true;
	c.registered_ms = 1764000001000ULL;
	c.soil.allow_all = false;
	c.soil.n_allow = 2;
	strcpy(c.soil.allow[0], "bob");
	strcpy(c.soil.allow[1], "carol.x_y-z");
	c.soil.max_calls = 0;
	c.soil.postbox_max = UINT32_MAX;
	c.soil.retention_s = 604800;
	c.soil.present = PAW_PB_SOIL_ALLOW;	/* the store keeps every field anyway */
	assert_int_equal(paw_store_client_add(f->s, &c), 0);
	assert_true(c.id > 0);
	assert_true(c.created_ms > 1700000000000ULL);	/* 0 became now */

	assert_int_equal(paw_store_client_get(f->s, "alice", &g), 0);
	assert_client_equal(&g, &c);
	assert_int_equal(g.soil.present, PAW_PB_SOIL_ALLOW | PAW_PB_SOIL_MAX_CALLS |
			 PAW_PB_SOIL_POSTBOX_MAX | PAW_PB_SOIL_RETENTION);
	memset(&g, 0, sizeof(g));
	assert_int_equal(paw_store_client_by_ipv4(f->s, c.ipv4, &g), 0);
	assert_client_equal(&g, &c);

	/* No MAC, an explicit created_ms, the extremes of the address space. */
	mk_client(&c, "b", "255.255.255.255");
	c.created_ms = 42;
	assert_int_equal(paw_store_client_add(f->s, &c), 0);
	assert_int_equal(paw_store_client_get(f->s, "b", &g), 0);
	assert_client_equal(&g, &c);
	assert_false(g.has_mac);
	mk_client(&c, "zero", "0.0.0.0");
	assert_int_equal(paw_store_client_add(f->s, &c), 0);
	assert_int_equal(paw_store_client_by_ipv4(f->s, 0, &g), 0);
	assert_string_equal(g.name, "zero");

	assert_int_equal(paw_store_client_get(f->s, "nobody", &g), -ENOENT);
	assert_non_null(strstr(paw_store_errmsg(f->s), "nobody"));
	assert_int_equal(paw_store_client_by_ipv4(f->s, htonl(0x0a0000fe), &g), -ENOENT);
	sodium_memzero(&c, sizeof(c));
	sodium_memzero(&g, sizeof(g));
}

static void test_client_unique(void **state)
{
	struct fx *f = *state;
	struct paw_store_client c;

	add_client(f, "alice", "10.0.0.1");
	mk_client(&c, "alice", "10.0.0.2");
	assert_int_equal(paw_store_client_add(f->s, &c), -EEXIST);
	assert_non_null(strstr(paw_store_errmsg(f->s), "clients.name"));
	mk_client(&c, "bob", "10.0.0.1");
	assert_int_equal(paw_store_client_add(f->s, &c), -EEXIST);
	assert_non_null(strstr(paw_store_errmsg(f->s), "clients.ipv4"));
	/* Names compare byte for byte. */
	mk_client(&c, "Alice", "10.0.0.3");
	assert_int_equal(paw_store_client_add(f->s, &c), 0);
	assert_int_equal(client_count(f), 2);
}

static void test_client_invalid(void **state)
{
	struct fx *f = *state;
	struct paw_store_client c;

	mk_client(&c, "", "10.0.0.1");
	assert_int_equal(paw_store_client_add(f->s, &c), -EINVAL);
	mk_client(&c, "bad name", "10.0.0.1");
	assert_int_equal(paw_store_client_add(f->s, &c), -EINVAL);
	mk_client(&c, "alice", "10.0.0.1");
	memset(c.port, 'p', sizeof(c.port));	/* not terminated */
	assert_int_equal(paw_store_client_add(f->s, &c), -EINVAL);
	mk_client(&c, "alice", "10.0.0.1");
	c.soil.n_allow = PAW_PB_ALLOW_MAX + 1;
	assert_int_equal(paw_store_client_add(f->s, &c), -EINVAL);
	c.soil.n_allow = 1;
	strcpy(c.soil.allow[0], "bob,carol");	/* would not split back */
	assert_int_equal(paw_store_client_add(f->s, &c), -EINVAL);
	strcpy(c.soil.allow[0], "");
	assert_int_equal(paw_store_client_add(f->s, &c), -EINVAL);
	assert_int_equal(paw_store_client_update(f->s, &c), -EINVAL);
	assert_int_equal(client_count(f), 0);

	assert_int_equal(paw_store_client_add(NULL, &c), -EINVAL);
	assert_int_equal(paw_store_client_add(f->s, NULL), -EINVAL);
	assert_int_equal(paw_store_client_get(f->s, NULL, &c), -EINVAL);
	assert_int_equal(paw_store_client_del(f->s, NULL), -EINVAL);
	assert_int_equal(paw_store_client_foreach(f->s, NULL, NULL), -EINVAL);
}

static void test_client_update(void **state)
{
	static const __u8 mac[6] = { 0x02, 0, 0, 0, 0xbe, 0xef };
	struct fx *f = *state;
	struct paw_store_client c, u, g;

	mk_client(&c, "alice", "10.0.0.1");
	assert_int_equal(paw_store_client_add(f->s, &c), 0);
	add_client(f, "bob", "10.0.0.2");

	u = c;
	assert_int_equal(inet_pton(AF_INET, "10.0.0.9", &u.ipv4), 1);
	strcpy(u.port, "pb");
	u.has_mac = true;
	memcpy(u.mac, mac, 6);
	u.registered = true;
	u.registered_ms = 1764000009000ULL;
	u.soil.allow_all = false;
	u.soil.n_allow = PAW_PB_ALLOW_MAX;
	for (int i = 0; i < PAW_PB_ALLOW_MAX; i++)	/* the longest list there is */
		snprintf(u.soil.allow[i], sizeof(u.soil.allow[i]), "%02d%030d", i, 0);
	u.soil.max_calls = 3;
	u.soil.postbox_max = 7;
	u.soil.retention_s = 60;
	/* Not written by update: */
	u.id = 12345;
	randombytes_buf(u.secret, sizeof(u.secret));
	u.created_ms = 1;
	assert_int_equal(paw_store_client_update(f->s, &u), 0);

	assert_int_equal(paw_store_client_get(f->s, "alice", &g), 0);
	u.id = c.id;
	memcpy(u.secret, c.secret, sizeof(u.secret));
	u.created_ms = c.created_ms;
	assert_client_equal(&g, &u);
	assert_int_equal(strlen(g.soil.allow[31]), 32);
	assert_int_equal(paw_store_client_by_ipv4(f->s, c.ipv4, &g), -ENOENT);

	/* Back to no MAC and an empty list. */
	u.has_mac = false;
	u.soil.n_allow = 0;
	u.soil.allow_all = true;
	assert_int_equal(paw_store_client_update(f->s, &u), 0);
	assert_int_equal(paw_store_client_get(f->s, "alice", &g), 0);
	assert_client_equal(&g, &u);

	/* Someone else's address; somebody unknown. */
	assert_int_equal(inet_pton(AF_INET, "10.0.0.2", &u.ipv4), 1);
	assert_int_equal(paw_store_client_update(f->s, &u), -EEXIST);
	strcpy(u.name, "nobody");
	assert_int_equal(paw_store_client_update(f->s, &u), -ENOENT);
	sodium_memzero(&c, sizeof(c));
	sodium_memzero(&u, sizeof(u));
	sodium_memzero(&g, sizeof(g));
}

struct walk {
	char names[8][2 * PAW_PB_NAME_MAX + 2];
	__s64 ids[8];
	int n;
	int stop_at;	/* return 7 at this visit (1-based); 0 never */
	struct paw_store *s;
	int nested;	/* what a nested call returned */
};

static int walk_client(const struct paw_store_client *c, void *ctx)
{
	struct walk *w = ctx;

	assert_true(w->n < 8);
	strcpy(w->names[w->n], c->name);
	w->ids[w->n++] = c->id;
	return w->n == w->stop_at ? 7 : 0;
}

static void test_client_foreach(void **state)
{
	struct fx *f = *state;
	struct walk w = { 0 };

	assert_int_equal(paw_store_client_foreach(f->s, walk_client, &w), 0);
	assert_int_equal(w.n, 0);
	add_client(f, "mallory", "10.0.0.4");
	add_client(f, "alice", "10.0.0.1");
	add_client(f, "carol", "10.0.0.3");
	add_client(f, "bob", "10.0.0.2");
	assert_int_equal(client_count(f), 4);

	assert_int_equal(paw_store_client_foreach(f->s, walk_client, &w), 0);
	assert_int_equal(w.n, 4);
	assert_string_equal(w.names[0], "alice");
	assert_string_equal(w.names[1], "bob");
	assert_string_equal(w.names[2], "carol");
	assert_string_equal(w.names[3], "mallory");

	memset(&w, 0, sizeof(w));
	w.stop_at = 2;
	assert_int_equal(paw_store_client_foreach(f->s, walk_client, &w), 7);
	assert_int_equal(w.n, 2);
	/* The iteration was reset: the next one starts from the top. */
	memset(&w, 0, sizeof(w));
	assert_int_equal(paw_store_client_foreach(f->s, walk_client, &w), 0);
	assert_int_equal(w.n, 4);
}

static int walk_nested(const struct paw_store_client *c, void *ctx)
{
	struct walk *w = ctx;
	struct paw_store_client g;
	struct walk inner = { 0 };

	/* Other queries are fine inside a callback ... */
	assert_int_equal(paw_store_client_get(w->s, c->name, &g), 0);
	assert_int_equal(g.id, c->id);
	sodium_memzero(&g, sizeof(g));
	/* ... the same iteration again is refused, not corrupted. */
	w->nested = paw_store_client_foreach(w->s, walk_client, &inner);
	w->n++;
	return 0;
}

static void test_foreach_reentry(void **state)
{
	struct fx *f = *state;
	struct walk w = { .s = f->s };

	add_client(f, "alice", "10.0.0.1");
	add_client(f, "bob", "10.0.0.2");
	assert_int_equal(paw_store_client_foreach(f->s, walk_nested, &w), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.nested, -EBUSY);
}

static void test_client_del_cascade(void **state)
{
	struct fx *f = *state;
	struct paw_store_call k;
	struct paw_store_client c;
	__u64 id = 0;
	bool dup = true;

	add_client(f, "alice", "10.0.0.1");
	add_client(f, "bob", "10.0.0.2");
	add_client(f, "carol", "10.0.0.3");
	add_call(f, "alice", "bob");
	add_call(f, "carol", "alice");
	add_call(f, "bob", "carol");
	post(f, "alice", "bob", 1, "to alice", 0);
	post(f, "alice", "carol", 1, "to alice too", 0);
	post(f, "bob", "alice", 1, "from alice", 0);
	post(f, "carol", "alice", 2, "from alice too", 0);

	assert_int_equal(paw_store_client_del(f->s, "alice"), 0);
	assert_int_equal(client_count(f), 2);
	/* Its calls went with it; the others stay. */
	assert_int_equal(call_count(f, NULL), 1);
	assert_int_equal(paw_store_call_get(f->s, "bob", "carol", &k), 0);
	assert_int_equal(paw_store_call_count(f->s, "alice", &(__u32){ 0 }), -ENOENT);
	/* Its postbox went; what it sent stays with the recipients. */
	assert_int_equal(msg_count(f, NULL), 2);
	assert_int_equal(msg_count(f, "bob"), 1);
	assert_int_equal(msg_count(f, "carol"), 1);
	assert_int_equal(paw_store_client_del(f->s, "alice"), -ENOENT);

	/* A new client of the same name is somebody else: its msg_id 1 is
	 * not the old alice's retransmission. */
	mk_client(&c, "alice", "10.0.0.1");
	assert_int_equal(paw_store_client_add(f->s, &c), 0);
	assert_int_equal(paw_store_msg_post(f->s, "bob", "alice", 1, "again", 5, 0, 100, &id,
					    &dup), 0);
	assert_false(dup);
	assert_int_equal(msg_count(f, "bob"), 2);
	sodium_memzero(&c, sizeof(c));
}

/* A deleted client's secret is zeroed in the file, not left in a free
 * page for whoever reads the file later. */
static void test_secret_erased(void **state)
{
	struct fx *f = *state;
	struct paw_store_client c;
	static unsigned char buf[1 << 20];
	ssize_t len;
	bool found = false;
	int fd;

	mk_client(&c, "alice", "10.0.0.1");
	memset(c.secret, 0x5c, sizeof(c.secret));
	assert_int_equal(paw_store_client_add(f->s, &c), 0);
	add_client(f, "bob", "10.0.0.2");
	assert_int_equal(paw_store_client_del(f->s, "alice"), 0);
	paw_store_close(f->s);	/* checkpoint into the main file, WAL removed */
	f->s = NULL;

	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	len = read(fd, buf, sizeof(buf));
	close(fd);
	assert_true(len > 0 && len < (ssize_t)sizeof(buf));
	for (ssize_t i = 0; i + PAW_PB_SECRET_LEN <= len && !found; i++)
		found = !memcmp(buf + i, c.secret, PAW_PB_SECRET_LEN);
	assert_false(found);
	reopen(f);
	sodium_memzero(&c, sizeof(c));
}

/* ---- calls ---- */

static void test_call_add_get(void **state)
{
	struct fx *f = *state;
	struct paw_store_call c = { .by_admin = true, .since_ms = 1764000002000ULL }, g;

	add_client(f, "alice", "10.0.0.1");
	add_client(f, "bob", "10.0.0.2");
	strcpy(c.a, "bob");
	strcpy(c.b, "alice");
	assert_int_equal(paw_store_call_add(f->s, &c), 0);
	assert_true(c.id > 0);
	assert_int_equal(c.since_ms, 1764000002000ULL);

	/* Either order finds it; the record keeps who called. */
	for (int i = 0; i < 2; i++) {
		memset(&g, 0, sizeof(g));
		assert_int_equal(paw_store_call_get(f->s, i ? "bob" : "alice",
						    i ? "alice" : "bob", &g), 0);
		assert_int_equal(g.id, c.id);
		assert_string_equal(g.a, "bob");
		assert_string_equal(g.b, "alice");
		assert_true(g.by_admin);
		assert_int_equal(g.since_ms, 1764000002000ULL);
	}

	/* One row per pair, whichever way round. */
	assert_int_equal(paw_store_call_add(f->s, &c), -EEXIST);
	strcpy(c.a, "alice");
	strcpy(c.b, "bob");
	assert_int_equal(paw_store_call_add(f->s, &c), -EEXIST);
	assert_int_equal(call_count(f, NULL), 1);

	strcpy(c.b, "alice");
	assert_int_equal(paw_store_call_add(f->s, &c), -EINVAL);
	strcpy(c.b, "nobody");
	assert_int_equal(paw_store_call_add(f->s, &c), -ENOENT);
	assert_int_equal(paw_store_call_get(f->s, "alice", "nobody", &g), -ENOENT);

	/* since_ms 0 is now. */
	add_client(f, "carol", "10.0.0.3");
	memset(&c, 0, sizeof(c));
	strcpy(c.a, "carol");
	strcpy(c.b, "alice");
	assert_int_equal(paw_store_call_add(f->s, &c), 0);
	assert_true(c.since_ms > 1700000000000ULL);
	assert_int_equal(paw_store_call_get(f->s, "alice", "carol", &g), 0);
	assert_false(g.by_admin);
	assert_int_equal(paw_store_call_get(f->s, "bob", "carol", &g), -ENOENT);
}

static void test_call_del(void **state)
{
	struct fx *f = *state;
	struct paw_store_call g;

	add_client(f, "alice", "10.0.0.1");
	add_client(f, "bob", "10.0.0.2");
	add_client(f, "carol", "10.0.0.3");
	add_call(f, "alice", "bob");
	add_call(f, "alice", "carol");
	assert_int_equal(paw_store_call_del(f->s, "bob", "alice"), 0);
	assert_int_equal(paw_store_call_get(f->s, "alice", "bob", &g), -ENOENT);
	assert_int_equal(paw_store_call_del(f->s, "alice", "bob"), -ENOENT);
	assert_int_equal(paw_store_call_del(f->s, "alice", "nobody"), -ENOENT);
	assert_int_equal(paw_store_call_get(f->s, "carol", "alice", &g), 0);
	assert_int_equal(paw_store_call_del(f->s, "alice", "carol"), 0);
	assert_int_equal(call_count(f, NULL), 0);
	/* The pair can call again. */
	add_call(f, "bob", "alice");
}

static int walk_call(const struct paw_store_call *c, void *ctx)
{
	struct walk *w = ctx;

	assert_true(w->n < 8);
	snprintf(w->names[w->n], sizeof(w->names[0]), "%s-%s", c->a, c->b);
	w->ids[w->n++] = c->id;
	return w->n == w->stop_at ? 7 : 0;
}

static void test_call_count_foreach(void **state)
{
	struct fx *f = *state;
	struct walk w = { 0 };

	add_client(f, "alice", "10.0.0.1");
	add_client(f, "bob", "10.0.0.2");
	add_client(f, "carol", "10.0.0.3");
	add_client(f, "dave", "10.0.0.4");
	assert_int_equal(call_count(f, "alice"), 0);
	add_call(f, "carol", "bob");
	add_call(f, "alice", "bob");
	add_call(f, "dave", "alice");
	assert_int_equal(call_count(f, "alice"), 2);
	assert_int_equal(call_count(f, "bob"), 2);
	assert_int_equal(call_count(f, "carol"), 1);
	assert_int_equal(call_count(f, NULL), 3);
	assert_int_equal(paw_store_call_count(f->s, "nobody", &(__u32){ 0 }), -ENOENT);

	assert_int_equal(paw_store_call_foreach(f->s, NULL, walk_call, &w), 0);
	assert_int_equal(w.n, 3);
	assert_string_equal(w.names[0], "carol-bob");	/* placement order */
	assert_string_equal(w.names[1], "alice-bob");
	assert_string_equal(w.names[2], "dave-alice");
	assert_true(w.ids[0] < w.ids[1] && w.ids[1] < w.ids[2]);

	memset(&w, 0, sizeof(w));
	assert_int_equal(paw_store_call_foreach(f->s, "alice", walk_call, &w), 0);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.names[0], "alice-bob");
	assert_string_equal(w.names[1], "dave-alice");

	memset(&w, 0, sizeof(w));
	w.stop_at = 1;
	assert_int_equal(paw_store_call_foreach(f->s, "bob", walk_call, &w), 7);
	assert_int_equal(w.n, 1);
	assert_int_equal(paw_store_call_foreach(f->s, "nobody", walk_call, &w), -ENOENT);
}

/* ---- postboxes ---- */

struct inbox {
	struct paw_pb_msg m[8];
	int n;
	int stop_at;
};

static int take(const struct paw_pb_msg *m, void *ctx)
{
	struct inbox *b = ctx;

	assert_true(b->n < 8);
	b->m[b->n++] = *m;
	return b->n == b->stop_at ? 5 : 0;
}

static void test_msg_post_fetch(void **state)
{
	struct fx *f = *state;
	char big[PAW_PB_TEXT_MAX];
	struct inbox b = { 0 };
	__u64 ids[3], id;
	bool dup;

	add_client(f, "alice", "10.0.0.1");
	add_client(f, "bob", "10.0.0.2");
	add_client(f, "carol", "10.0.0.3");
	assert_int_equal(msg_count(f, "alice"), 0);
	ids[0] = post(f, "alice", "bob", 10, "first", 1000);
	ids[1] = post(f, "alice", "carol", 5, "second", 900);	/* older ts, later id */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i % 256);	/* binary, NULs included */
	assert_int_equal(paw_store_msg_post(f->s, "alice", "bob", UINT64_MAX, big, sizeof(big),
					    1100, 100, &ids[2], &dup), 0);
	assert_false(dup);
	post(f, "bob", "alice", 1, "for bob", 1000);
	assert_int_equal(msg_count(f, "alice"), 3);
	assert_int_equal(msg_count(f, NULL), 4);

	assert_int_equal(paw_store_msg_fetch(f->s, "alice", 32, take, &b), 0);
	assert_int_equal(b.n, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(b.m[i].id, ids[i]);	/* by id, not by timestamp */
	assert_int_equal(b.m[0].msg_id, 10);
	assert_int_equal(b.m[0].ts_ms, 1000);
	assert_string_equal(b.m[0].from, "bob");
	assert_int_equal(b.m[0].text_len, 5);
	assert_string_equal(b.m[0].text, "first");
	assert_string_equal(b.m[1].from, "carol");
	assert_int_equal(b.m[2].msg_id, UINT64_MAX);
	assert_int_equal(b.m[2].text_len, PAW_PB_TEXT_MAX);
	assert_memory_equal(b.m[2].text, big, sizeof(big));
	assert_int_equal(b.m[2].text[PAW_PB_TEXT_MAX], '\0');
	/* Fetching removes nothing. */
	assert_int_equal(msg_count(f, "alice"), 3);

	memset(&b, 0, sizeof(b));
	assert_int_equal(paw_store_msg_fetch(f->s, "alice", 2, take, &b), 0);
	assert_int_equal(b.n, 2);
	assert_int_equal(b.m[1].id, ids[1]);
	memset(&b, 0, sizeof(b));
	assert_int_equal(paw_store_msg_fetch(f->s, "alice", 0, take, &b), 0);
	assert_int_equal(b.n, 0);
	b.stop_at = 1;
	assert_int_equal(paw_store_msg_fetch(f->s, "alice", 32, take, &b), 5);
	assert_int_equal(b.n, 1);
	memset(&b, 0, sizeof(b));
	assert_int_equal(paw_store_msg_fetch(f->s, "carol", 32, take, &b), 0);
	assert_int_equal(b.n, 0);
	assert_int_equal(paw_store_msg_fetch(f->s, "nobody", 32, take, &b), -ENOENT);

	/* An empty message; ts 0 is now. */
	assert_int_equal(paw_store_msg_post(f->s, "carol", "bob", 1, NULL, 0, 0, 100, &id, &dup),
			 0);
	assert_int_equal(paw_store_msg_fetch(f->s, "carol", 32, take, &b), 0);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.m[0].text_len, 0);
	assert_string_equal(b.m[0].text, "");
	assert_true(b.m[0].ts_ms > 1700000000000ULL);
}

static void test_msg_invalid(void **state)
{
	struct fx *f = *state;
	char big[PAW_PB_TEXT_MAX + 1] = { 0 };
	__u64 id = 1;
	bool dup = true;

	add_client(f, "alice", "10.0.0.1");
	add_client(f, "bob", "10.0.0.2");
	assert_int_equal(paw_store_msg_post(f->s, "alice", "bob", 1, big, sizeof(big), 0, 100,
					    &id, &dup), -EINVAL);
	assert_int_equal(id, 0);
	assert_false(dup);
	assert_int_equal(paw_store_msg_post(f->s, "alice", "bob", 1, NULL, 3, 0, 100, &id, &dup),
			 -EINVAL);
	assert_int_equal(paw_store_msg_post(f->s, "nobody", "bob", 1, "x", 1, 0, 100, &id, &dup),
			 -ENOENT);
	assert_int_equal(paw_store_msg_post(f->s, "alice", "nobody", 1, "x", 1, 0, 100, &id,
					    &dup), -ENOENT);
	assert_int_equal(paw_store_msg_count(f->s, "nobody", &(__u32){ 0 }), -ENOENT);
	assert_int_equal(msg_count(f, NULL), 0);
}

static void test_msg_dedup(void **state)
{
	struct fx *f = *state;
	__u64 first, id;
	bool dup;

	add_client(f, "alice", "10.0.0.1");
	add_client(f, "bob", "10.0.0.2");
	add_client(f, "carol", "10.0.0.3");
	first = post(f, "alice", "bob", 77, "hello", 1000);

	/* The retransmission: the first's id, nothing stored twice (even
	 * when its text differs: the sender's id decides). */
	assert_int_equal(paw_store_msg_post(f->s, "alice", "bob", 77, "hello!", 6, 2000, 100,
					    &id, &dup), 0);
	assert_true(dup);
	assert_int_equal(id, first);
	assert_int_equal(msg_count(f, "alice"), 1);

	/* The scope is (recipient, sender, msg_id): another sender's 77 and
	 * bob's 77 for somebody else are other messages. */
	assert_int_not_equal(post(f, "alice", "carol", 77, "hi", 1000), first);
	assert_int_not_equal(post(f, "carol", "bob", 77, "hey", 1000), first);
	assert_int_equal(msg_count(f, "alice"), 2);

	/* Once acknowledged, it is gone, and so is its dedup record. */
	assert_int_equal(paw_store_msg_ack(f->s, "alice", &first, 1, NULL), 0);
	assert_int_equal(paw_store_msg_post(f->s, "alice", "bob", 77, "hello", 5, 3000, 100, &id,
					    &dup), 0);
	assert_false(dup);
	assert_true(id > first);
}

static void test_msg_limit(void **state)
{
	struct fx *f = *state;
	__u64 id, first = 0;
	bool dup;

	add_client(f, "alice", "10.0.0.1");
	add_client(f, "bob", "10.0.0.2");
	for (__u64 m = 1; m <= 2; m++) {
		assert_int_equal(paw_store_msg_post(f->s, "alice", "bob", m, "x", 1, 0, 2, &id,
						    &dup), 0);
		assert_false(dup);
		if (m == 1)
			first = id;
	}
	assert_int_equal(paw_store_msg_post(f->s, "alice", "bob", 3, "x", 1, 0, 2, &id, &dup),
			 -ENOSPC);
	assert_int_equal(id, 0);
	assert_non_null(strstr(paw_store_errmsg(f->s), "full"));
	assert_int_equal(msg_count(f, "alice"), 2);
	/* A duplicate is accepted when full: it was stored before. */
	assert_int_equal(paw_store_msg_post(f->s, "alice", "bob", 1, "x", 1, 0, 2, &id, &dup),
			 0);
	assert_true(dup);
	assert_int_equal(id, first);
	/* Limit 0 keeps nothing; other postboxes are unaffected. */
	assert_int_equal(paw_store_msg_post(f->s, "bob", "alice", 1, "x", 1, 0, 0, &id, &dup),
			 -ENOSPC);
	assert_int_equal(paw_store_msg_post(f->s, "bob", "alice", 1, "x", 1, 0, 1, &id, &dup),
			 0);
	/* id and dup are optional. */
	assert_int_equal(paw_store_msg_post(f->s, "bob", "alice", 1, "x", 1, 0, 1, NULL, NULL),
			 0);
	assert_int_equal(msg_count(f, NULL), 3);
}

static void test_msg_ack(void **state)
{
	struct fx *f = *state;
	__u64 a1, a2, a3, b1, ids[5];
	struct inbox b = { 0 };
	__u32 n = 99;

	add_client(f, "alice", "10.0.0.1");
	add_client(f, "bob", "10.0.0.2");
	a1 = post(f, "alice", "bob", 1, "1", 0);
	b1 = post(f, "bob", "alice", 1, "b", 0);
	a2 = post(f, "alice", "bob", 2, "2", 0);
	a3 = post(f, "alice", "bob", 3, "3", 0);

	/* bob's id and unknown ids are ignored, alice's own go. */
	ids[0] = b1;
	ids[1] = a1;
	ids[2] = 999999;
	ids[3] = a3;
	ids[4] = UINT64_MAX;
	assert_int_equal(paw_store_msg_ack(f->s, "alice", ids, 5, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(msg_count(f, "bob"), 1);
	assert_int_equal(paw_store_msg_fetch(f->s, "alice", 32, take, &b), 0);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.m[0].id, a2);

	/* Twice is harmless. */
	assert_int_equal(paw_store_msg_ack(f->s, "alice", ids, 5, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(paw_store_msg_ack(f->s, "alice", NULL, 0, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(paw_store_msg_ack(f->s, "alice", NULL, 1, &n), -EINVAL);
	assert_int_equal(paw_store_msg_ack(f->s, "nobody", ids, 1, &n), -ENOENT);
	assert_int_equal(paw_store_msg_ack(f->s, "bob", &b1, 1, NULL), 0);
	assert_int_equal(msg_count(f, NULL), 1);

	/* Ids are never reused, so a stale ACK cannot hit a newer message. */
	assert_true(post(f, "alice", "bob", 9, "9", 0) > a3);
}

static void test_msg_expire(void **state)
{
	struct fx *f = *state;
	const __u64 now = 1764000000000ULL;
	struct paw_store_client c;
	struct inbox b = { 0 };
	__u32 n = 99;

	mk_client(&c, "alice", "10.0.0.1");
	c.soil.retention_s = 60;
	assert_int_equal(paw_store_client_add(f->s, &c), 0);
	mk_client(&c, "bob", "10.0.0.2");
	c.soil.retention_s = 3600;
	assert_int_equal(paw_store_client_add(f->s, &c), 0);
	mk_client(&c, "carol", "10.0.0.3");
	c.soil.retention_s = 0;	/* keeps nothing past the moment it was stored */
	assert_int_equal(paw_store_client_add(f->s, &c), 0);

	post(f, "alice", "bob", 1, "old", now - 61000);		/* expires */
	post(f, "alice", "bob", 2, "edge", now - 60000);	/* exactly 60 s: stays */
	post(f, "alice", "bob", 3, "new", now - 1000);
	post(f, "bob", "alice", 1, "old for alice, young for bob", now - 61000);
	post(f, "bob", "alice", 2, "too old for bob", now - 3600001);
	post(f, "carol", "bob", 1, "past", now - 1);
	post(f, "carol", "bob", 2, "now", now);
	post(f, "carol", "bob", 3, "future", now + 5000);

	assert_int_equal(paw_store_msg_expire(f->s, now, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(paw_store_msg_fetch(f->s, "alice", 32, take, &b), 0);
	assert_int_equal(b.n, 2);
	assert_string_equal(b.m[0].text, "edge");
	assert_string_equal(b.m[1].text, "new");
	assert_int_equal(msg_count(f, "bob"), 1);
	assert_int_equal(msg_count(f, "carol"), 2);

	assert_int_equal(paw_store_msg_expire(f->s, now, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(paw_store_msg_expire(f->s, now + 1, NULL), 0);
	assert_int_equal(msg_count(f, "alice"), 1);
	sodium_memzero(&c, sizeof(c));
}

/* ---- transactions ---- */

/* ---- the client cache ---- */

static void expect_port(struct fx *f, const char *name, const char *port)
{
	struct paw_store_client c;

	assert_int_equal(paw_store_client_get(f->s, name, &c), 0);
	assert_string_equal(c.port, port);
	sodium_memzero(&c, sizeof(c));
}

/* A second read comes from memory, and memory never outlives what the
 * file holds: after an update, a rollback, another writer, a delete. */
static void test_client_cache(void **state)
{
	struct fx *f = *state;
	struct paw_store_cache_stats st0, st1;
	struct paw_store_client c;

	add_client(f, "alice", "10.0.0.1");
	add_client(f, "bob", "10.0.0.2");
	expect_port(f, "alice", "pa");
	paw_store_cache_counters(f->s, &st0);
	expect_port(f, "alice", "pa");
	paw_store_cache_counters(f->s, &st1);
	assert_int_equal(st1.hits, st0.hits + 1);

	/* An update is read back at once. */
	assert_int_equal(paw_store_client_get(f->s, "alice", &c), 0);
	strcpy(c.port, "pb");
	assert_int_equal(paw_store_client_update(f->s, &c), 0);
	expect_port(f, "alice", "pb");

	/* A batch's change, read inside it, is gone with its rollback. */
	assert_int_equal(paw_store_begin(f->s), 0);
	strcpy(c.port, "pc");
	assert_int_equal(paw_store_client_update(f->s, &c), 0);
	expect_port(f, "alice", "pc");
	assert_int_equal(paw_store_rollback(f->s), 0);
	expect_port(f, "alice", "pb");

	/* So is a failed mutation's inside a batch (its savepoint). */
	assert_int_equal(paw_store_begin(f->s), 0);
	expect_port(f, "alice", "pb");
	assert_int_equal(paw_store_msg_post(f->s, "alice", "bob", 1, "x", 1, 0, 0, NULL, NULL),
			 -ENOSPC);
	expect_port(f, "alice", "pb");
	assert_int_equal(paw_store_commit(f->s), 0);

	/* Another connection's commit (an admin's sqlite3 shell). */
	raw_exec(f->path, "UPDATE clients SET port = 'px' WHERE name = 'alice'");
	expect_port(f, "alice", "px");
	assert_int_equal(paw_store_begin(f->s), 0);
	expect_port(f, "alice", "px");
	assert_int_equal(paw_store_commit(f->s), 0);
	raw_exec(f->path, "UPDATE clients SET port = 'py' WHERE name = 'alice'");
	assert_int_equal(paw_store_begin(f->s), 0);
	expect_port(f, "alice", "py");
	assert_int_equal(paw_store_commit(f->s), 0);

	/* Deleted and enrolled again: a new row, a new id, and the postbox
	 * and calls follow the new one. */
	assert_int_equal(paw_store_client_del(f->s, "alice"), 0);
	assert_int_equal(paw_store_client_get(f->s, "alice", &c), -ENOENT);
	assert_int_equal(paw_store_msg_post(f->s, "alice", "bob", 1, "x", 1, 0, 9, NULL, NULL),
			 -ENOENT);
	add_client(f, "alice", "10.0.0.3");
	assert_int_equal(paw_store_client_get(f->s, "alice", &c), 0);
	assert_int_equal(c.ipv4, htonl(0x0a000003));
	post(f, "alice", "bob", 1, "hello again", 0);
	assert_int_equal(msg_count(f, "alice"), 1);
	add_call(f, "alice", "bob");
	assert_int_equal(call_count(f, "alice"), 1);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM messages AS m JOIN clients AS c "
				 "ON c.id = m.recipient WHERE c.name = 'alice'"), 1);
	sodium_memzero(&c, sizeof(c));
}


/* The postbox size kept with the row must match count(*) after every
 * kind of change, and the limit must hold exactly with it. */
static void test_postbox_count_cache(void **state)
{
	struct fx *f = *state;
	__u64 ids[3], now = 1000000;
	__u32 n = 0;

	add_client(f, "alice", "10.0.0.1");
	add_client(f, "bob", "10.0.0.2");
	for (int i = 0; i < 3; i++)
		ids[i] = post(f, "alice", "bob", i + 1, "m", now);
	assert_int_equal(msg_count(f, "alice"), 3);
	assert_int_equal(msg_count(f, "alice"), 3);	/* from memory */

	/* The limit counts from memory, exactly. */
	assert_int_equal(paw_store_msg_post(f->s, "alice", "bob", 9, "x", 1, now, 4, NULL, NULL),
			 0);
	assert_int_equal(paw_store_msg_post(f->s, "alice", "bob", 10, "x", 1, now, 4, NULL, NULL),
			 -ENOSPC);
	assert_int_equal(msg_count(f, "alice"), 4);

	assert_int_equal(paw_store_msg_ack(f->s, "alice", ids, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(msg_count(f, "alice"), 2);

	/* A rolled-back batch's POSTs are not counted. */
	assert_int_equal(paw_store_begin(f->s), 0);
	post(f, "alice", "bob", 20, "gone", now);
	post(f, "alice", "bob", 21, "gone", now);
	assert_int_equal(msg_count(f, "alice"), 4);
	assert_int_equal(paw_store_rollback(f->s), 0);
	assert_int_equal(msg_count(f, "alice"), 2);

	/* Expiry empties postboxes behind the counts. */
	post(f, "bob", "alice", 1, "old", now);
	assert_int_equal(msg_count(f, "bob"), 1);
	assert_int_equal(paw_store_msg_expire(f->s, now + 3600 * 1000ULL + 1, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(msg_count(f, "alice"), 0);
	assert_int_equal(msg_count(f, "bob"), 0);

	/* Another writer. */
	post(f, "alice", "bob", 30, "new", 0);
	assert_int_equal(msg_count(f, "alice"), 1);
	raw_exec(f->path, "DELETE FROM messages");
	assert_int_equal(msg_count(f, "alice"), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM messages"), 0);
}

static void test_tx_commit(void **state)
{
	struct fx *f = *state;
	struct paw_store_client c;

	assert_int_equal(paw_store_commit(f->s), -EINVAL);
	assert_int_equal(paw_store_rollback(f->s), -EINVAL);
	assert_int_equal(paw_store_begin(f->s), 0);
	assert_int_equal(paw_store_begin(f->s), -EBUSY);
	add_client(f, "alice", "10.0.0.1");
	add_client(f, "bob", "10.0.0.2");
	add_call(f, "alice", "bob");
	post(f, "alice", "bob", 1, "hi", 0);
	/* Readable in the batch, invisible to anyone else until commit. */
	assert_int_equal(client_count(f), 2);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM clients"), 0);
	assert_int_equal(paw_store_commit(f->s), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM clients"), 2);
	assert_int_equal(paw_store_commit(f->s), -EINVAL);

	reopen(f);
	assert_int_equal(paw_store_client_get(f->s, "bob", &c), 0);
	assert_int_equal(call_count(f, NULL), 1);
	assert_int_equal(msg_count(f, "alice"), 1);
	sodium_memzero(&c, sizeof(c));
}

static void test_tx_rollback(void **state)
{
	struct fx *f = *state;
	__u32 n = 99;

	add_client(f, "alice", "10.0.0.1");
	post(f, "alice", "alice", 1, "note to self", 0);
	assert_int_equal(paw_store_begin(f->s), 0);
	add_client(f, "bob", "10.0.0.2");
	assert_int_equal(paw_store_client_del(f->s, "alice"), 0);
	assert_int_equal(paw_store_msg_expire(f->s, UINT32_MAX * 1000ULL, &n), 0);
	assert_int_equal(paw_store_rollback(f->s), 0);
	assert_int_equal(client_count(f), 1);
	assert_int_equal(msg_count(f, "alice"), 1);
	assert_int_equal(paw_store_client_get(f->s, "bob", &(struct paw_store_client){ 0 }),
			 -ENOENT);
	reopen(f);
	assert_int_equal(client_count(f), 1);
	assert_int_equal(msg_count(f, "alice"), 1);

	/* Closing with a batch open is a rollback. */
	assert_int_equal(paw_store_begin(f->s), 0);
	add_client(f, "carol", "10.0.0.3");
	reopen(f);
	assert_int_equal(client_count(f), 1);
}

static void test_tx_failed_statement(void **state)
{
	struct fx *f = *state;
	struct paw_store_client c;
	__u64 ids[2] = { 1, 2 };

	add_client(f, "alice", "10.0.0.1");
	assert_int_equal(paw_store_begin(f->s), 0);
	add_client(f, "bob", "10.0.0.2");
	/* Failures inside the batch undo themselves only. */
	mk_client(&c, "bob", "10.0.0.3");
	assert_int_equal(paw_store_client_add(f->s, &c), -EEXIST);
	assert_int_equal(paw_store_msg_post(f->s, "bob", "alice", 1, "x", 1, 0, 0, NULL, NULL),
			 -ENOSPC);
	assert_int_equal(paw_store_msg_post(f->s, "bob", "nobody", 1, "x", 1, 0, 9, NULL, NULL),
			 -ENOENT);
	assert_int_equal(paw_store_msg_ack(f->s, "nobody", ids, 2, NULL), -ENOENT);
	assert_int_equal(paw_store_call_del(f->s, "alice", "bob"), -ENOENT);
	post(f, "bob", "alice", 2, "y", 0);
	add_client(f, "carol", "10.0.0.3");
	assert_int_equal(paw_store_commit(f->s), 0);

	reopen(f);
	assert_int_equal(client_count(f), 3);
	assert_int_equal(msg_count(f, "bob"), 1);
	sodium_memzero(&c, sizeof(c));
}

/* SQLite ends a transaction by itself after some errors (I/O, full
 * disk). The batch must not go on as separate commits. */
static void test_tx_lost(void **state)
{
	struct fx *f = *state;
	struct paw_store_client c;

	assert_int_equal(paw_store_begin(f->s), 0);
	add_client(f, "alice", "10.0.0.1");
	assert_int_equal(sqlite3_exec(paw_store_sqlite_db(f->s), "ROLLBACK", NULL, NULL, NULL),
			 SQLITE_OK);
	mk_client(&c, "bob", "10.0.0.2");
	assert_int_equal(paw_store_client_add(f->s, &c), -EIO);
	assert_non_null(strstr(paw_store_errmsg(f->s), "rolled back"));
	assert_int_equal(paw_store_msg_post(f->s, "bob", "bob", 1, "x", 1, 0, 9, NULL, NULL),
			 -EIO);
	assert_int_equal(paw_store_commit(f->s), -EIO);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM clients"), 0);
	/* Then back to normal. */
	assert_int_equal(paw_store_client_add(f->s, &c), 0);
	assert_int_equal(client_count(f), 1);

	assert_int_equal(paw_store_begin(f->s), 0);
	assert_int_equal(sqlite3_exec(paw_store_sqlite_db(f->s), "ROLLBACK", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(paw_store_rollback(f->s), 0);
	assert_int_equal(paw_store_begin(f->s), 0);
	assert_int_equal(paw_store_commit(f->s), 0);
	sodium_memzero(&c, sizeof(c));
}

/* ---- persistence ---- */

static void test_reopen_persists(void **state)
{
	struct fx *f = *state;
	struct paw_store_client c1, c2, g;
	struct paw_store_call k;
	struct inbox b = { 0 };

	mk_client(&c1, "alice", "10.0.0.1");
	c1.has_mac = true;
	c1.mac[5] = 9;
	c1.soil.allow_all = false;
	c1.soil.n_allow = 1;
	strcpy(c1.soil.allow[0], "bob");
	assert_int_equal(paw_store_client_add(f->s, &c1), 0);
	mk_client(&c2, "bob", "10.0.0.2");
	c2.registered = true;
	c2.registered_ms = 5;
	assert_int_equal(paw_store_client_add(f->s, &c2), 0);
	add_call(f, "bob", "alice");
	post(f, "alice", "bob", 3, "persist me", 1234);

	reopen(f);
	assert_int_equal(paw_store_schema_version(f->s), PAW_STORE_SCHEMA_VERSION);
	assert_int_equal(paw_store_client_get(f->s, "alice", &g), 0);
	assert_client_equal(&g, &c1);
	assert_int_equal(paw_store_client_get(f->s, "bob", &g), 0);
	assert_client_equal(&g, &c2);
	assert_int_equal(paw_store_call_get(f->s, "alice", "bob", &k), 0);
	assert_string_equal(k.a, "bob");
	assert_int_equal(paw_store_msg_fetch(f->s, "alice", 32, take, &b), 0);
	assert_int_equal(b.n, 1);
	assert_string_equal(b.m[0].text, "persist me");
	assert_int_equal(b.m[0].ts_ms, 1234);
	assert_int_equal(b.m[0].msg_id, 3);
	sodium_memzero(&c1, sizeof(c1));
	sodium_memzero(&c2, sizeof(c2));
	sodium_memzero(&g, sizeof(g));
}

enum child_mode {
	CHILD_AUTOCOMMIT_KILL,	/* each call its own transaction, then SIGKILL */
	CHILD_AUTOCOMMIT_EXIT,	/* the same, then _exit(0) without closing */
	CHILD_BATCH_KILL,	/* begin, write, commit, SIGKILL */
	CHILD_UNCOMMITTED_KILL,	/* begin, write, SIGKILL before commit */
};

/* Runs in the child: no cmocka here, only exit codes. */
static void child(const char *path, enum child_mode mode)
{
	struct paw_store_opts o = { .path = path };
	struct paw_store *s = NULL;
	struct paw_store_client c;
	bool batch = mode == CHILD_BATCH_KILL || mode == CHILD_UNCOMMITTED_KILL;

	if (paw_store_open(&s, &o))
		_exit(10);
	mk_client(&c, "dave", "10.0.0.4");
	if (batch && paw_store_begin(s))
		_exit(11);
	if (paw_store_client_add(s, &c))
		_exit(12);
	if (paw_store_msg_post(s, "alice", "dave", 1, "survive", 7, 0, 10, NULL, NULL))
		_exit(13);
	if (mode == CHILD_BATCH_KILL && paw_store_commit(s))
		_exit(14);
	/* Right after the call returned: what pawd would have acknowledged. */
	if (mode == CHILD_AUTOCOMMIT_EXIT)
		_exit(0);
	raise(SIGKILL);
	_exit(15);
}

static void durability(struct fx *f, enum child_mode mode, bool expect)
{
	struct paw_store_client g;
	int status = 0;
	pid_t pid;

	add_client(f, "alice", "10.0.0.1");
	paw_store_close(f->s);	/* the child is the only writer, as pawd is */
	f->s = NULL;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child(f->path, mode);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (mode == CHILD_AUTOCOMMIT_EXIT) {
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	} else {
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGKILL);
	}
	reopen(f);
	assert_int_equal(paw_store_client_get(f->s, "dave", &g), expect ? 0 : -ENOENT);
	assert_int_equal(msg_count(f, "alice"), expect ? 1 : 0);
	assert_int_equal(client_count(f), expect ? 2 : 1);
	sodium_memzero(&g, sizeof(g));
}

static void test_durable_autocommit_kill(void **state)
{
	durability(*state, CHILD_AUTOCOMMIT_KILL, true);
}

static void test_durable_autocommit_exit(void **state)
{
	durability(*state, CHILD_AUTOCOMMIT_EXIT, true);
}

static void test_durable_batch_kill(void **state)
{
	durability(*state, CHILD_BATCH_KILL, true);
}

static void test_uncommitted_batch_lost(void **state)
{
	durability(*state, CHILD_UNCOMMITTED_KILL, false);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_schema),
		T(test_open_missing),
		T(test_open_creates_dirs),
		T(test_file_modes),
		T(test_newer_version_refused),
		T(test_foreign_file_refused),
		T(test_garbage_file),
		T(test_corrupt_pages),
		T(test_migrate_from_empty),
		T(test_migration_mechanism),
		T(test_client_add_get),
		T(test_client_unique),
		T(test_client_invalid),
		T(test_client_update),
		T(test_client_foreach),
		T(test_foreach_reentry),
		T(test_client_del_cascade),
		T(test_secret_erased),
		T(test_client_cache),
		T(test_postbox_count_cache),
		T(test_call_add_get),
		T(test_call_del),
		T(test_call_count_foreach),
		T(test_msg_post_fetch),
		T(test_msg_invalid),
		T(test_msg_dedup),
		T(test_msg_limit),
		T(test_msg_ack),
		T(test_msg_expire),
		T(test_tx_commit),
		T(test_tx_rollback),
		T(test_tx_failed_statement),
		T(test_tx_lost),
		T(test_reopen_persists),
		T(test_durable_autocommit_kill),
		T(test_durable_autocommit_exit),
		T(test_durable_batch_kill),
		T(test_uncommitted_batch_lost),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
