// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pawd's control protocol (docs/control-protocol.md), client side: one
 * JSON object per line over a UNIX stream socket, a response per request
 * in order, then, after "monitor", a stream of events.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "pawctl.h"
#include "cleanup.h"
#include "util.h"

#define CTL_LINE_MAX 65536	/* the protocol's bound on one line */

struct ctl_conn {
	int fd;
	json_int_t next_id;
	size_t len;		/* bytes held in buf */
	char buf[CTL_LINE_MAX + 1];
};

int ctl_open(struct ctl_conn **cp, const char *path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = timeout_ms % 1000 * 1000 };
	_cleanup_close_ int fd = -1;
	struct ctl_conn *c;
	int err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A pawd that stopped accepting leaves connect() waiting for room
	 * in its backlog, and one that stopped reading leaves send()
	 * waiting for room in its buffer: both waits end with this. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		return err == -EAGAIN ? -ETIMEDOUT : err;
	}
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = TAKE_FD(fd);
	c->next_id = 1;
	c->len = 0;
	*cp = c;
	return 0;
}

void ctl_close(struct ctl_conn *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}

int ctl_send(struct ctl_conn *c, const char *cmd, json_t *args, json_int_t *id)
{
	json_t *req;
	char *line;
	size_t len, off = 0;
	int err = 0;

	req = json_pack("{sIss}", "id", c->next_id, "cmd", cmd);
	if (!req)
		return -ENOMEM;
	if (args && json_object_set(req, "args", args)) {
		json_decref(req);
		return -ENOMEM;
	}
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!line)
		return -ENOMEM;
	len = strlen(line);
	if (len >= CTL_LINE_MAX) {
		free(line);
		return -EMSGSIZE;
	}
	line[len++] = '\n';	/* json_dumps left room: it wrote a NUL there */
	/* A stream socket may take less than asked; the loop ends when all
	 * is sent or send fails, at most len iterations. */
	while (off < len) {
		ssize_t n = send(c->fd, line + off, len - off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		off += (size_t)n;
	}
	free(line);
	if (!err && id)
		*id = c->next_id;
	if (!err)
		c->next_id++;
	return err;
}

/* A whole line in buf: parse it and drop it from buf. */
static int take_line(struct ctl_conn *c, char *nl, json_t **msg)
{
	size_t n = (size_t)(nl - c->buf);
	json_error_t jerr;
	json_t *v;

	v = json_loadb(c->buf, n, JSON_REJECT_DUPLICATES, &jerr);
	memmove(c->buf, nl + 1, c->len - n - 1);
	c->len -= n + 1;
	if (!v)
		return -EBADMSG;
	*msg = v;
	return 0;
}

int ctl_recv(struct ctl_conn *c, json_t **msg, int timeout_ms, const void *sigmask)
{
	__u64 deadline = timeout_ms >= 0 ? paw_mono_ms() + (__u64)timeout_ms : 0;

	*msg = NULL;
	/* Each pass either finds a line, reads more bytes (the buffer is
	 * bounded, so at most CTL_LINE_MAX passes), or returns. */
	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		struct timespec ts, *tsp = NULL;
		char *nl = memchr(c->buf, '\n', c->len);
		ssize_t n;
		int r;

		if (nl)
			return take_line(c, nl, msg);
		if (c->len >= CTL_LINE_MAX)
			return -EMSGSIZE;
		if (timeout_ms >= 0) {
			__u64 now = paw_mono_ms();
			__u64 left = now < deadline ? deadline - now : 0;

			ts.tv_sec = (time_t)(left / 1000);
			ts.tv_nsec = (long)(left % 1000) * 1000000;
			tsp = &ts;
		}
		r = ppoll(&pfd, 1, tsp, sigmask);
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = recv(c->fd, c->buf + c->len, CTL_LINE_MAX - c->len, 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		c->len += (size_t)n;
	}
}

/* ---- the exit-code layer ---- */

int pawctl_conn_error(struct pawctl *p, int err)
{
	const char *hint = "";

	switch (err) {
	case -ENOENT:
	case -ECONNREFUSED:
		hint = " (is pawd running?)";
		break;
	case -ETIMEDOUT:
		hint = " (pawd is not accepting connections)";
		break;
	case -EACCES:
	case -EPERM:
		hint = " (only root or pawd's control group may use it)";
		break;
	}
	pawctl_error(p, "cannot reach pawd at %s: %s%s", p->sock_path, strerror(-err), hint);
	return PAWCTL_FAIL;
}

static int io_error(struct pawctl *p, int err)
{
	switch (err) {
	case -ETIMEDOUT:
		pawctl_error(p, "no answer from pawd within %d ms", p->timeout_ms);
		break;
	case -EPIPE:
	case -ECONNRESET:
		pawctl_error(p, "pawd closed the connection");
		break;
	case -EBADMSG:
		pawctl_error(p, "pawd sent a line that is not JSON");
		break;
	case -EMSGSIZE:
		pawctl_error(p, "a line to or from pawd is too long");
		break;
	case -EINTR:
		break;		/* the user asked to stop: nothing to explain */
	default:
		pawctl_error(p, "talking to pawd: %s", strerror(-err));
	}
	return PAWCTL_FAIL;
}

int pawctl_response_error(struct pawctl *p, const json_t *msg)
{
	const char *code = jstr(msg, "code");
	const char *error = jstr(msg, "error");

	if (error)
		pawctl_error(p, "%s", error);
	else
		pawctl_error(p, "pawd refused: %s", code ? code : "no reason given");
	/* The protocol's table: a request pawd calls malformed is the
	 * command line's fault. */
	return code && !strcmp(code, "invalid") ? PAWCTL_USAGE : PAWCTL_FAIL;
}

void pawctl_disconnect(struct pawctl *p)
{
	ctl_close(p->conn);
	p->conn = NULL;
}

int pawctl_request(struct pawctl *p, const char *cmd, json_t *args, json_t **result)
{
	json_int_t id;
	json_t *msg = NULL, *ok, *mid;
	bool broken = false;
	int err;

	*result = NULL;
	if (!p->conn) {
		err = ctl_open(&p->conn, p->sock_path, p->timeout_ms);
		if (err) {
			json_decref(args);
			return pawctl_conn_error(p, err);
		}
	}
	err = ctl_send(p->conn, cmd, args, &id);
	json_decref(args);
	if (err == -EPIPE || err == -ECONNRESET) {
		/* pawd may have refused us (SO_PEERCRED) and closed after its
		 * one "denied" line: show that line rather than EPIPE. */
		if (!ctl_recv(p->conn, &msg, 0, NULL) && jstr(msg, "error")) {
			err = pawctl_response_error(p, msg);
			json_decref(msg);
			pawctl_disconnect(p);
			return err;
		}
		json_decref(msg);
	}
	if (err) {
		pawctl_disconnect(p);
		return io_error(p, err);
	}
	err = ctl_recv(p->conn, &msg, p->timeout_ms, p->wait_mask);
	if (err) {
		pawctl_disconnect(p);
		return io_error(p, err);
	}
	ok = json_object_get(msg, "ok");
	mid = json_object_get(msg, "id");
	if (!json_is_boolean(ok)) {
		pawctl_error(p, "pawd sent an answer without \"ok\"");
		err = PAWCTL_FAIL;
		broken = true;
	} else if (json_is_false(ok)) {
		/* A refusal with no id is pawd's greeting to a peer it does
		 * not admit; anything else must answer our request. */
		err = pawctl_response_error(p, msg);
	} else if (!json_is_integer(mid) || json_integer_value(mid) != id) {
		pawctl_error(p, "pawd answered another request (id mismatch)");
		err = PAWCTL_FAIL;
		broken = true;
	} else {
		*result = json_object_get(msg, "result");
		*result = *result ? json_incref(*result) : json_null();
		err = PAWCTL_OK;
	}
	/* Out of step with pawd: nothing more can be matched on it. */
	if (broken)
		pawctl_disconnect(p);
	json_decref(msg);
	return err;
}
