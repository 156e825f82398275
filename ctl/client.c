// SPDX-License-Identifier: GPL-2.0-or-later
/* pawctl client {add | del | list | show}: enrolment of clients. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pawctl.h"
#include "cleanup.h"
#include "util.h"

#define CLIENT_HELP "pawctl client help"

void usage_client(FILE *f)
{
	fprintf(f,
		"Usage: pawctl client add NAME ipv4 A.B.C.D port DEV [ mac MAC ]\n"
		"                         [ secret-file PATH [ force ] ]\n"
		"       pawctl client del NAME\n"
		"       pawctl [ -s ] client [ list ]\n"
		"       pawctl [ -s ] client show NAME\n");
}

/* ---- the secret file ---- */

/*
 * Where a new secret goes. The file is made before pawd is asked, so a
 * path that cannot be written fails before a client exists whose secret
 * nobody has. Without `force` the final name is taken at once (O_EXCL:
 * never someone else's file, nor through a symlink); with it a
 * temporary file replaces the old one only once the new secret is in.
 */
struct secret_file {
	const char *path;
	bool force;
	int fd;
	char tmp[PATH_MAX];	/* force: the temporary file */
};

static int secret_file_open(struct pawctl *p, struct secret_file *sf)
{
	int err;

	if (sf->force) {
		if (snprintf(sf->tmp, sizeof(sf->tmp), "%s.XXXXXX", sf->path) >=
		    (int)sizeof(sf->tmp)) {
			pawctl_error(p, "secret-file path is too long: %s", sf->path);
			return PAWCTL_FAIL;
		}
		sf->fd = mkostemp(sf->tmp, O_CLOEXEC);	/* mode 0600 */
	} else {
		sf->fd = open(sf->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (sf->fd < 0) {
		err = -errno;
		if (err == -EEXIST)
			pawctl_error(p, "%s exists: add \"force\" to overwrite it", sf->path);
		else
			pawctl_error(p, "cannot create %s: %s", sf->force ? sf->tmp : sf->path,
				     strerror(-err));
		return PAWCTL_FAIL;
	}
	return PAWCTL_OK;
}

/* Leave nothing behind (pawd refused, or the write failed). */
static void secret_file_abort(struct secret_file *sf)
{
	if (sf->fd < 0)
		return;
	close(sf->fd);
	sf->fd = -1;
	unlink(sf->force ? sf->tmp : sf->path);
}

static int secret_file_commit(struct secret_file *sf, const char *hex)
{
	char line[PAW_SECRET_HEX + 2];
	size_t len, off = 0;
	int err = 0;

	len = (size_t)snprintf(line, sizeof(line), "%s\n", hex);
	/* a regular file takes it all or fails: a bounded loop anyway */
	for (int tries = 0; off < len && tries < 16; tries++) {
		ssize_t n = write(sf->fd, line + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (!err && off < len)
		err = -EIO;
	if (!err && fsync(sf->fd))
		err = -errno;
	explicit_bzero(line, sizeof(line));
	if (err) {
		secret_file_abort(sf);
		return err;
	}
	if (close(sf->fd)) {
		err = -errno;
		sf->fd = -1;
		unlink(sf->force ? sf->tmp : sf->path);
		return err;
	}
	sf->fd = -1;
	if (sf->force && rename(sf->tmp, sf->path)) {
		err = -errno;
		unlink(sf->tmp);
		return err;
	}
	return 0;
}

/* ---- printing ---- */

static void print_client_cells(struct pawctl *p, const json_t *o)
{
	cell_string(p, "name", "NAME", jstr(o, "name"));
	cell_string(p, "ipv4", "IPV4", jstr(o, "ipv4"));
	cell_string(p, "port", "PORT", jstr(o, "port"));
	cell_string(p, "mac", "MAC", jstr(o, "mac"));
	cell_bool(p, "registered", "REGISTERED", jbool(o, "registered"));
	cell_bool(p, "online", "ONLINE", jbool(o, "online"));
	cell_u64(p, "calls", "CALLS", ju64(o, "calls"));
	cell_u64(p, "postbox", "POSTBOX", ju64(o, "postbox"));
}

static void print_client_stats_cells(struct pawctl *p, const json_t *st)
{
	const json_t *sent = json_object_get(st, "sent");
	const json_t *recv = json_object_get(st, "received");

	open_json_object(p, "stats");
	open_json_object(p, "sent");
	cell_u64(p, "packets", "SENT-PKTS", ju64(sent, "packets"));
	cell_u64(p, "bytes", "SENT-BYTES", ju64(sent, "bytes"));
	close_json_object(p);
	open_json_object(p, "received");
	cell_u64(p, "packets", "RECV-PKTS", ju64(recv, "packets"));
	cell_u64(p, "bytes", "RECV-BYTES", ju64(recv, "bytes"));
	close_json_object(p);
	close_json_object(p);
}

/* ---- verbs ---- */

static int client_add(struct pawctl *p, int argc, char **argv)
{
	enum { K_IPV4, K_PORT, K_MAC, K_SECRET_FILE, K_FORCE };
	static const char *const kws[] = { "ipv4", "port", "mac", "secret-file", "force" };
	const char *val[PAW_ARRAY_SIZE(kws)] = { 0 };
	struct secret_file sf = { .fd = -1 };
	const char *name, *hex;
	__u8 secret[PAW_SECRET_LEN];
	json_t *args, *r;
	int ret, k, err;

	if (argc < 2)
		return pawctl_missarg(p, "NAME", CLIENT_HELP);
	name = argv[1];
	if (pawctl_arg_name(p, "NAME", name))
		return PAWCTL_USAGE;
	for (argc -= 2, argv += 2; argc > 0; argc--, argv++) {
		k = pawctl_keyword(p, argv[0], kws, PAW_ARRAY_SIZE(kws), CLIENT_HELP);
		if (k < 0)
			return PAWCTL_USAGE;
		if (k == K_FORCE) {
			if (val[k])
				return pawctl_duparg(p, "force", argv[0]);
			val[k] = argv[0];
			continue;
		}
		if (argc < 2)
			return pawctl_incomplete(p, CLIENT_HELP);
		argc--, argv++;
		if (val[k])
			return pawctl_duparg(p, kws[k], argv[0]);
		val[k] = argv[0];
		if (k == K_IPV4 && pawctl_arg_ipv4(p, argv[0]))
			return PAWCTL_USAGE;
		if (k == K_PORT && pawctl_arg_dev(p, argv[0]))
			return PAWCTL_USAGE;
		if (k == K_MAC && pawctl_arg_mac(p, argv[0]))
			return PAWCTL_USAGE;
		if (k == K_SECRET_FILE && !*argv[0])
			return pawctl_invarg(p, argv[0], "secret-file needs a PATH");
	}
	if (!val[K_IPV4])
		return pawctl_missarg(p, "ipv4", CLIENT_HELP);
	if (!val[K_PORT])
		return pawctl_missarg(p, "port", CLIENT_HELP);
	if (val[K_FORCE] && !val[K_SECRET_FILE])
		return pawctl_invarg(p, "force", "only goes with secret-file PATH");

	if (val[K_SECRET_FILE]) {
		sf.path = val[K_SECRET_FILE];
		sf.force = val[K_FORCE] != NULL;
		ret = secret_file_open(p, &sf);
		if (ret)
			return ret;
	}
	args = json_pack("{ssssss}", "name", name, "ipv4", val[K_IPV4], "port", val[K_PORT]);
	if (args && val[K_MAC])
		json_object_set_new(args, "mac", json_string(val[K_MAC]));
	ret = pawctl_request(p, "client.add", args, &r);
	if (ret) {
		secret_file_abort(&sf);
		return ret;
	}
	hex = jstr(r, "secret");
	if (!hex || paw_secret_from_hex(hex, secret)) {
		secret_file_abort(&sf);
		pawctl_error(p, "pawd enrolled '%s' but sent no valid secret; "
			     "delete it and add it again", name);
		json_decref(r);
		return PAWCTL_FAIL;
	}
	explicit_bzero(secret, sizeof(secret));
	if (sf.path) {
		err = secret_file_commit(&sf, hex);
		if (err) {
			/* The secret exists only in this process now; rather
			 * than print it where the admin did not ask for it,
			 * say how to get a new one. */
			pawctl_error(p, "client '%s' is enrolled but its secret could not be "
				     "written to %s: %s; delete it (pawctl client del %s) and "
				     "add it again", name, sf.path, strerror(-err), name);
			json_decref(r);
			return PAWCTL_FAIL;
		}
	}

	open_json_object(p, NULL);
	print_client_cells(p, r);
	if (sf.path) {
		print_string(p, PRINT_FP, NULL, "%s: secret written to ", name);
		print_string(p, PRINT_ANY, "secret_file", "%s\n", sf.path);
	} else {
		print_string(p, PRINT_FP, NULL, "%s: secret ", name);
		print_string(p, PRINT_ANY, "secret", "%s\n", hex);
	}
	close_json_object(p);
	json_decref(r);
	return PAWCTL_OK;
}

static int client_del(struct pawctl *p, int argc, char **argv)
{
	json_t *r;
	int ret;

	if (argc < 2)
		return pawctl_missarg(p, "NAME", CLIENT_HELP);
	if (pawctl_arg_name(p, "NAME", argv[1]))
		return PAWCTL_USAGE;
	if (argc > 2)
		return pawctl_garbage(p, argv[2], CLIENT_HELP);
	ret = pawctl_request(p, "client.del", json_pack("{ss}", "name", argv[1]), &r);
	if (ret)
		return ret;
	json_decref(r);
	return PAWCTL_OK;
}

static int client_stats(struct pawctl *p, const char *name, json_t **st)
{
	return pawctl_request(p, "stats", json_pack("{ss?}", "client", name), st);
}

static void client_row(struct pawctl *p, const json_t *o, const json_t *st)
{
	print_client_cells(p, o);
	if (st)
		print_client_stats_cells(p, st);
}

static int client_list(struct pawctl *p, int argc, char **argv)
{
	if (argc > 1)
		return pawctl_garbage(p, argv[1], CLIENT_HELP);
	return pawctl_list(p, "client.list", "client", client_row);
}

static void print_client_show(struct pawctl *p, const json_t *o, const json_t *st)
{
	const json_t *opt = json_object_get(o, "options");
	const json_t *allow = json_object_get(opt, "allow");
	const json_t *peers = json_object_get(o, "peers");
	const json_t *v;
	char tbuf[32];
	size_t i;

	open_json_object(p, NULL);
	print_string(p, PRINT_ANY, "name", "client %s", jstr(o, "name"));
	print_string(p, PRINT_ANY, "ipv4", "  ipv4 %s", jstr(o, "ipv4"));
	print_string(p, PRINT_ANY, "port", "  port %s", jstr(o, "port"));
	print_string(p, PRINT_ANY, "mac", "  mac %s", jstr(o, "mac"));
	print_nl(p);
	print_bool(p, PRINT_ANY, "registered", "    registered %s", jbool(o, "registered"));
	print_bool(p, PRINT_ANY, "online", "  online %s", jbool(o, "online"));
	print_u64(p, PRINT_ANY, "calls", "  calls %llu", ju64(o, "calls"));
	print_u64(p, PRINT_ANY, "postbox", "  postbox %llu", ju64(o, "postbox"));
	print_nl(p);

	open_json_object(p, "options");
	if (json_is_array(allow)) {
		open_json_array(p, "allow");
		print_text(p, "    allow");
		json_array_foreach(allow, i, v)
			print_string(p, PRINT_ANY, NULL, i ? ",%s" : " %s", json_string_value(v));
		if (!json_array_size(allow))
			print_text(p, " none");
		close_json_array(p);
	} else {
		print_string(p, PRINT_ANY, "allow", "    allow %s", json_string_value(allow));
	}
	print_u64(p, PRINT_ANY, "max_calls", "  max-calls %llu", ju64(opt, "max_calls"));
	print_u64(p, PRINT_ANY, "postbox_max", "  postbox-max %llu", ju64(opt, "postbox_max"));
	print_u64(p, PRINT_ANY, "retention_s", "  retention %llus", ju64(opt, "retention_s"));
	close_json_object(p);
	print_nl(p);

	open_json_array(p, "peers");
	print_text(p, "    peers");
	json_array_foreach(peers, i, v)
		print_string(p, PRINT_ANY, NULL, i ? ",%s" : " %s", json_string_value(v));
	if (!json_array_size(peers))
		print_text(p, " none");
	close_json_array(p);
	print_nl(p);

	print_u64(p, PRINT_JSON, "created_ms", NULL, ju64(o, "created_ms"));
	print_string(p, PRINT_FP, NULL, "    created %s",
		     fmt_time_ms(ju64(o, "created_ms"), tbuf, sizeof(tbuf)));
	if (jhas(o, "registered_ms")) {
		print_u64(p, PRINT_JSON, "registered_ms", NULL, ju64(o, "registered_ms"));
		print_string(p, PRINT_FP, NULL, "  registered-at %s",
			     fmt_time_ms(ju64(o, "registered_ms"), tbuf, sizeof(tbuf)));
	} else {
		print_string(p, PRINT_JSON, "registered_ms", NULL, NULL);
	}
	print_nl(p);

	if (st) {
		const json_t *calls = json_object_get(st, "calls");
		const json_t *c;

		open_json_object(p, "stats");
		print_text(p, "    ");
		print_ctr(p, "sent", "sent", json_object_get(st, "sent"));
		print_text(p, "  ");
		print_ctr(p, "received", "received", json_object_get(st, "received"));
		print_nl(p);
		open_json_array(p, "calls");
		json_array_foreach(calls, i, c) {
			open_json_object(p, NULL);
			print_string(p, PRINT_ANY, "peer", "    call %s: ", jstr(c, "peer"));
			print_ctr(p, "sent", "sent", json_object_get(c, "sent"));
			print_text(p, "  ");
			print_ctr(p, "received", "received", json_object_get(c, "received"));
			print_nl(p);
			close_json_object(p);
		}
		close_json_array(p);
		close_json_object(p);
	}
	close_json_object(p);
}

static int client_show(struct pawctl *p, int argc, char **argv)
{
	json_t *r, *st = NULL;
	int ret;

	if (argc < 2)
		return pawctl_missarg(p, "NAME", CLIENT_HELP);
	if (pawctl_arg_name(p, "NAME", argv[1]))
		return PAWCTL_USAGE;
	if (argc > 2)
		return pawctl_garbage(p, argv[2], CLIENT_HELP);
	ret = pawctl_request(p, "client.show", json_pack("{ss}", "name", argv[1]), &r);
	if (ret)
		return ret;
	if (p->stats) {
		ret = client_stats(p, argv[1], &st);
		if (ret) {
			json_decref(r);
			return ret;
		}
	}
	print_client_show(p, r, st);
	json_decref(st);
	json_decref(r);
	return PAWCTL_OK;
}

static int client_help(struct pawctl *p, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return pawctl_help(p, usage_client);
}

static const struct pawctl_cmd client_cmds[] = {
	{ "add", client_add },
	{ "del", client_del },
	{ "list", client_list },
	{ "show", client_show },
	{ "help", client_help },
};

int do_client(struct pawctl *p, int argc, char **argv)
{
	if (argc < 2)
		return client_list(p, 1, argv);
	return pawctl_dispatch(p, client_cmds, PAW_ARRAY_SIZE(client_cmds), "command",
			       CLIENT_HELP, argc - 1, argv + 1);
}
