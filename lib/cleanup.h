/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scope-bound release of memory and fds, as systemd's alloc-util/fd-util. */
#ifndef PAW_CLEANUP_H
#define PAW_CLEANUP_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static inline void paw_freep(void *p)
{
	free(*(void **)p);
}

static inline void paw_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
	}
}

#define _cleanup_(f)	  __attribute__((cleanup(f)))
#define _cleanup_free_	  _cleanup_(paw_freep)
#define _cleanup_close_	  _cleanup_(paw_closep)

/* Hand an fd out of a _cleanup_close_ scope. */
static inline int paw_take_fd(int *fd)
{
	int r = *fd;

	*fd = -1;
	return r;
}
#define TAKE_FD(fd) paw_take_fd(&(fd))

#define PAW_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* PAW_CLEANUP_H */
