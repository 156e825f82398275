// SPDX-License-Identifier: GPL-2.0-or-later
/* Soil_options: who may call and post to a client, and its limits. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pawd.h"
#include "util.h"

bool soil_allows(const struct paw_pb_soil *callee, const char *caller)
{
	if (callee->allow_all)
		return true;
	for (int i = 0; i < callee->n_allow && i < PAW_PB_ALLOW_MAX; i++)
		if (!strcmp(callee->allow[i], caller))
			return true;
	return false;
}

void soil_merge(struct paw_pb_soil *cur, const struct paw_pb_soil *req)
{
	if (req->present & PAW_PB_SOIL_ALLOW) {
		cur->allow_all = req->allow_all;
		cur->n_allow = req->allow_all ? 0 : req->n_allow;
		memcpy(cur->allow, req->allow, sizeof(cur->allow));
	}
	if (req->present & PAW_PB_SOIL_MAX_CALLS)
		cur->max_calls = req->max_calls;
	if (req->present & PAW_PB_SOIL_POSTBOX_MAX)
		cur->postbox_max = req->postbox_max;
	if (req->present & PAW_PB_SOIL_RETENTION)
		cur->retention_s = req->retention_s;
	cur->present = PAW_PB_SOIL_ALLOW | PAW_PB_SOIL_MAX_CALLS | PAW_PB_SOIL_POSTBOX_MAX |
		       PAW_PB_SOIL_RETENTION;
}

/* Limits on what a client may ask for itself. */
#define SOIL_MAX_CALLS_LIMIT	1024
#define SOIL_POSTBOX_LIMIT	10000
#define SOIL_RETENTION_LIMIT	(90u * 24 * 3600)

int soil_check(const struct paw_pb_soil *s, char *msg, size_t len)
{
	if ((s->present & PAW_PB_SOIL_ALLOW) && !s->allow_all) {
		if (s->n_allow > PAW_PB_ALLOW_MAX)
			goto bad_allow;
		for (int i = 0; i < s->n_allow; i++)
			if (!paw_name_valid(s->allow[i]))
				goto bad_allow;
	}
	if ((s->present & PAW_PB_SOIL_MAX_CALLS) && s->max_calls > SOIL_MAX_CALLS_LIMIT) {
		snprintf(msg, len, "max-calls %u is above %u", s->max_calls, SOIL_MAX_CALLS_LIMIT);
		return -ERANGE;
	}
	if ((s->present & PAW_PB_SOIL_POSTBOX_MAX) && s->postbox_max > SOIL_POSTBOX_LIMIT) {
		snprintf(msg, len, "postbox-max %u is above %u", s->postbox_max,
			 SOIL_POSTBOX_LIMIT);
		return -ERANGE;
	}
	if ((s->present & PAW_PB_SOIL_RETENTION) &&
	    (s->retention_s < 1 || s->retention_s > SOIL_RETENTION_LIMIT)) {
		snprintf(msg, len, "retention %u s is outside 1..%u", s->retention_s,
			 SOIL_RETENTION_LIMIT);
		return -ERANGE;
	}
	return 0;
bad_allow:
	snprintf(msg, len, "allow list is not a list of client names");
	return -EINVAL;
}
