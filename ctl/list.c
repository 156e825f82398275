// SPDX-License-Identifier: GPL-2.0-or-later
/* The list commands' common part: fetch, counters with -s, one table. */
#include <stdlib.h>
#include <jansson.h>

#include "pawctl.h"

int pawctl_list(struct pawctl *p, const char *cmd, const char *stats_key,
		void (*row)(struct pawctl *p, const json_t *o, const json_t *st))
{
	json_t *list, *o, **st = NULL;
	size_t i, n;
	int ret;

	ret = pawctl_request(p, cmd, NULL, &list);
	if (ret)
		return ret;
	if (!json_is_array(list)) {
		pawctl_error(p, "pawd's answer to %s is not a list", cmd);
		json_decref(list);
		return PAWCTL_FAIL;
	}
	n = json_array_size(list);
	if (p->stats && n) {
		st = calloc(n, sizeof(*st));
		if (!st) {
			json_decref(list);
			pawctl_error(p, "out of memory");
			return PAWCTL_FAIL;
		}
		json_array_foreach(list, i, o) {
			ret = pawctl_request(p, "stats",
					     json_pack("{ss?}", stats_key,
						       json_string_value(json_object_get(o, "name"))),
					     &st[i]);
			if (ret)
				goto out;
		}
	}
	table_open(p, NULL, false);
	json_array_foreach(list, i, o) {
		table_row(p, NULL);
		row(p, o, st ? st[i] : NULL);
	}
	table_close(p);
out:
	for (i = 0; st && i < n; i++)
		json_decref(st[i]);
	free(st);
	json_decref(list);
	return ret;
}
