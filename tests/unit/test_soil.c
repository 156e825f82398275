// SPDX-License-Identifier: GPL-2.0-or-later
/* Soil_options: who may call or post, what a client may ask for itself. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pawd.h"

static struct paw_pb_soil soil_of(bool all, int n, ...)
{
	struct paw_pb_soil s = { .present = PAW_PB_SOIL_ALLOW, .allow_all = all };
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		snprintf(s.allow[s.n_allow++], sizeof(s.allow[0]), "%s", va_arg(ap, const char *));
	va_end(ap);
	return s;
}

static void test_allow_all(void **state)
{
	struct paw_pb_soil s = soil_of(true, 0);

	(void)state;
	assert_true(soil_allows(&s, "alice"));
	assert_true(soil_allows(&s, "anyone.else"));
}

static void test_allow_list(void **state)
{
	struct paw_pb_soil s = soil_of(false, 2, "alice", "bob");

	(void)state;
	assert_true(soil_allows(&s, "alice"));
	assert_true(soil_allows(&s, "bob"));
	assert_false(soil_allows(&s, "carol"));
	assert_false(soil_allows(&s, "alic"));	/* whole names only */
	assert_false(soil_allows(&s, "alice2"));
}

static void test_allow_nobody(void **state)
{
	struct paw_pb_soil s = soil_of(false, 0);

	(void)state;
	assert_false(soil_allows(&s, "alice"));
}

static void test_merge_only_present(void **state)
{
	struct paw_pb_soil cur = soil_of(true, 0), req = { 0 };

	(void)state;
	cur.max_calls = 8;
	cur.postbox_max = 100;
	cur.retention_s = 3600;
	req.present = PAW_PB_SOIL_MAX_CALLS;
	req.max_calls = 2;
	req.postbox_max = 5;	/* not present: ignored */
	soil_merge(&cur, &req);
	assert_int_equal(cur.max_calls, 2);
	assert_int_equal(cur.postbox_max, 100);
	assert_int_equal(cur.retention_s, 3600);
	assert_true(cur.allow_all);

	req = soil_of(false, 1, "bob");
	soil_merge(&cur, &req);
	assert_false(cur.allow_all);
	assert_int_equal(cur.n_allow, 1);
	assert_string_equal(cur.allow[0], "bob");
	assert_int_equal(cur.max_calls, 2);

	/* Back to anyone: the list goes. */
	req = soil_of(true, 0);
	soil_merge(&cur, &req);
	assert_true(cur.allow_all);
	assert_int_equal(cur.n_allow, 0);
	assert_true(soil_allows(&cur, "carol"));
}

static void test_check(void **state)
{
	struct paw_pb_soil s = soil_of(false, 2, "alice", "bob");
	char msg[128];

	(void)state;
	assert_int_equal(soil_check(&s, msg, sizeof(msg)), 0);
	s = soil_of(false, 1, "-bad");
	assert_int_equal(soil_check(&s, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "allow"));
	s = soil_of(false, 1, "");
	assert_int_equal(soil_check(&s, msg, sizeof(msg)), -EINVAL);

	memset(&s, 0, sizeof(s));
	s.present = PAW_PB_SOIL_MAX_CALLS;
	s.max_calls = 0;	/* refuse every call: allowed */
	assert_int_equal(soil_check(&s, msg, sizeof(msg)), 0);
	s.max_calls = 100000;
	assert_int_equal(soil_check(&s, msg, sizeof(msg)), -ERANGE);
	assert_non_null(strstr(msg, "max-calls"));

	memset(&s, 0, sizeof(s));
	s.present = PAW_PB_SOIL_RETENTION;
	s.retention_s = 0;
	assert_int_equal(soil_check(&s, msg, sizeof(msg)), -ERANGE);
	s.retention_s = 86400;
	assert_int_equal(soil_check(&s, msg, sizeof(msg)), 0);

	memset(&s, 0, sizeof(s));
	s.present = PAW_PB_SOIL_POSTBOX_MAX;
	s.postbox_max = 1000000;
	assert_int_equal(soil_check(&s, msg, sizeof(msg)), -ERANGE);
	/* Fields not present are not judged. */
	s.present = 0;
	assert_int_equal(soil_check(&s, msg, sizeof(msg)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allow_all),
		cmocka_unit_test(test_allow_list),
		cmocka_unit_test(test_allow_nobody),
		cmocka_unit_test(test_merge_only_present),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests_name("soil", tests, NULL, NULL);
}
