// SPDX-License-Identifier: GPL-2.0-or-later
/* Output waiting on a non-blocking stream socket (ear TCP, control). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "pawd.h"

bool pawd_outbuf_append(struct pawd_outbuf *o, const void *p, size_t n)
{
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		void *b;

		while (cap < o->len + n)
			cap *= 2;
		b = realloc(o->buf, cap);
		if (!b)
			return false;
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	return true;
}

int pawd_outbuf_flush(struct pawd *d, struct pawd_watch *w, struct pawd_outbuf *o)
{
	while (o->len) {
		ssize_t n = send(w->fd, o->buf, o->len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -errno;
		}
		memmove(o->buf, o->buf + n, o->len - n);
		o->len -= n;
	}
	/* Ask for EPOLLOUT only while something waits. */
	if (!!o->len != o->want_out) {
		o->want_out = !!o->len;
		pawd_watch_mod(d, w, EPOLLIN | EPOLLRDHUP | (o->want_out ? EPOLLOUT : 0));
	}
	return 0;
}

void pawd_outbuf_free(struct pawd_outbuf *o)
{
	free(o->buf);
	memset(o, 0, sizeof(*o));
}
