// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One print call per field serves text and JSON, as iproute2's
 * json_print: in JSON mode the calls build one document (jansson) that
 * out_finish() prints whole, so a command that fails halfway prints no
 * broken JSON; in text mode they print as they go, except tables, whose
 * cells are held until table_close() knows every column's width.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pawctl.h"

#define TABLE_MAXCOL	24
#define TABLE_MAXROWS	(1 << 20)	/* far above any table pawd keeps */

struct out_table {
	bool keyed;
	size_t ncols;		/* fixed by the first row */
	size_t col;		/* next cell of the current row */
	char *head[TABLE_MAXCOL];
	size_t width[TABLE_MAXCOL];
	char **cells;		/* nrows * TABLE_MAXCOL */
	size_t nrows, cap;
	bool row_open;		/* JSON: a row object is on the stack */
	int jdepth;		/* JSON depth of the table's container */
};

/* ---- JSON document ---- */

static void jpush(struct pawctl *p, json_t *v)
{
	if (p->jdepth >= OUT_DEPTH) {
		p->jfailed = true;
		return;
	}
	p->jstack[p->jdepth++] = v;
}

/* Adds v (stolen) to the innermost container, or makes it the root. */
static json_t *jadd(struct pawctl *p, const char *key, json_t *v)
{
	json_t *top;

	if (!v) {
		p->jfailed = true;
		return NULL;
	}
	if (!p->jdepth) {
		if (p->jroot) {	/* a second document: a bug in a command */
			p->jfailed = true;
			json_decref(v);
			return NULL;
		}
		p->jroot = v;
		return v;
	}
	top = p->jstack[p->jdepth - 1];
	if (json_is_array(top)) {
		if (json_array_append_new(top, v))
			p->jfailed = true;
	} else if (json_object_set_new(top, key ? key : "", v)) {
		p->jfailed = true;
	}
	return v;
}

void open_json_object(struct pawctl *p, const char *key)
{
	json_t *v;

	if (!p->json)
		return;
	v = jadd(p, key, json_object());
	if (v)
		jpush(p, v);
}

void open_json_array(struct pawctl *p, const char *key)
{
	json_t *v;

	if (!p->json)
		return;
	v = jadd(p, key, json_array());
	if (v)
		jpush(p, v);
}

void close_json_object(struct pawctl *p)
{
	if (p->json && p->jdepth > 0)
		p->jdepth--;
}

void close_json_array(struct pawctl *p)
{
	close_json_object(p);
}

void print_json(struct pawctl *p, const char *key, json_t *v)
{
	if (!p->json) {
		json_decref(v);
		return;
	}
	jadd(p, key, v);
}

/* ---- text ---- */

static void table_cell(struct pawctl *p, const char *head, const char *text);

static void vtext(struct pawctl *p, const char *head, const char *fmt, va_list ap)
{
	char buf[512];

	if (p->tbl) {
		vsnprintf(buf, sizeof(buf), fmt, ap);
		table_cell(p, head, buf);
	} else {
		vfprintf(p->out, fmt, ap);
	}
}

static void text(struct pawctl *p, const char *head, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void text(struct pawctl *p, const char *head, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vtext(p, head, fmt, ap);
	va_end(ap);
}

void print_text(struct pawctl *p, const char *fmt, ...)
{
	va_list ap;

	if (p->json)
		return;
	va_start(ap, fmt);
	vfprintf(p->out, fmt, ap);
	va_end(ap);
}

void print_nl(struct pawctl *p)
{
	if (!p->json)
		fputc('\n', p->out);
}

/* The fmt strings are the callers' literals, one conversion each. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void print_string(struct pawctl *p, int t, const char *key, const char *fmt, const char *v)
{
	if (p->json) {
		if (t & PRINT_JSON)
			jadd(p, key, v ? json_string(v) : json_null());
		return;
	}
	if ((t & PRINT_FP) && fmt)
		text(p, NULL, fmt, v ? v : "-");
}

void print_u64(struct pawctl *p, int t, const char *key, const char *fmt, __u64 v)
{
	if (p->json) {
		/* jansson integers are signed 64-bit; a counter past that
		 * would need a real, which is what JSON readers do anyway. */
		if (t & PRINT_JSON)
			jadd(p, key, v <= INT64_MAX ? json_integer((json_int_t)v) :
					 json_real((double)v));
		return;
	}
	if ((t & PRINT_FP) && fmt)
		text(p, NULL, fmt, v);
}

void print_bool(struct pawctl *p, int t, const char *key, const char *fmt, bool v)
{
	if (p->json) {
		if (t & PRINT_JSON)
			jadd(p, key, json_boolean(v));
		return;
	}
	if ((t & PRINT_FP) && fmt)
		text(p, NULL, fmt, v ? "yes" : "no");
}

#pragma GCC diagnostic pop

/* ---- tables ---- */

static void table_free(struct out_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < TABLE_MAXCOL; i++)
		free(t->head[i]);
	for (size_t i = 0; t->cells && i < t->cap * TABLE_MAXCOL; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

void table_open(struct pawctl *p, const char *key, bool keyed)
{
	struct out_table *t;

	if (p->tbl) {		/* tables do not nest */
		p->jfailed = true;
		return;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		p->jfailed = true;
		return;
	}
	t->keyed = keyed;
	if (p->json) {
		if (keyed)
			open_json_object(p, key);
		else
			open_json_array(p, key);
		t->jdepth = p->jdepth;
	}
	p->tbl = t;
}

static void table_end_row(struct pawctl *p)
{
	struct out_table *t = p->tbl;

	if (p->json) {
		if (t->row_open) {
			/* nested objects a row left open end with it */
			while (p->jdepth > t->jdepth)
				p->jdepth--;
		}
		t->row_open = false;
		return;
	}
	if (t->nrows == 1 && !t->ncols)
		t->ncols = t->col;
}

void table_row(struct pawctl *p, const char *key)
{
	struct out_table *t = p->tbl;

	if (!t)
		return;
	if (t->nrows || t->row_open)
		table_end_row(p);
	if (p->json) {
		open_json_object(p, t->keyed ? key : NULL);
		t->row_open = true;
		t->nrows++;
		return;
	}
	if (t->nrows >= TABLE_MAXROWS) {
		p->jfailed = true;
		return;
	}
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cells, cap * TABLE_MAXCOL * sizeof(*c));

		if (!c) {
			p->jfailed = true;
			return;
		}
		memset(c + t->cap * TABLE_MAXCOL, 0, (cap - t->cap) * TABLE_MAXCOL * sizeof(*c));
		t->cells = c;
		t->cap = cap;
	}
	t->nrows++;
	t->col = 0;
}

static void table_cell(struct pawctl *p, const char *head, const char *s)
{
	struct out_table *t = p->tbl;
	size_t row = t->nrows - 1, len;

	if (!t->nrows || t->col >= TABLE_MAXCOL || (t->ncols && t->col >= t->ncols))
		return;
	if (row == 0) {
		t->head[t->col] = strdup(head ? head : "");
		if (!t->head[t->col])
			p->jfailed = true;
		else if (strlen(t->head[t->col]) > t->width[t->col])
			t->width[t->col] = strlen(t->head[t->col]);
	}
	t->cells[row * TABLE_MAXCOL + t->col] = strdup(s);
	if (!t->cells[row * TABLE_MAXCOL + t->col])
		p->jfailed = true;
	len = strlen(s);
	if (len > t->width[t->col])
		t->width[t->col] = len;
	t->col++;
}

void table_close(struct pawctl *p)
{
	struct out_table *t = p->tbl;
	size_t ncols;

	if (!t)
		return;
	if (p->json) {
		table_end_row(p);
		while (p->jdepth >= t->jdepth && p->jdepth > 0)
			p->jdepth--;
		goto out;
	}
	if (!t->nrows)
		goto out;
	ncols = t->ncols ? t->ncols : t->col;
	for (size_t r = 0; r <= t->nrows; r++) {
		for (size_t c = 0; c < ncols; c++) {
			const char *s = r ? t->cells[(r - 1) * TABLE_MAXCOL + c] : t->head[c];

			if (!s)
				s = "";
			if (c + 1 == ncols)
				fputs(s, p->out);
			else
				fprintf(p->out, "%-*s  ", (int)t->width[c], s);
		}
		fputc('\n', p->out);
	}
out:
	table_free(t);
	p->tbl = NULL;
}

void cell_string(struct pawctl *p, const char *key, const char *head, const char *v)
{
	if (p->json) {
		if (key)
			jadd(p, key, v ? json_string(v) : json_null());
	} else if (head && p->tbl) {
		table_cell(p, head, v ? v : "-");
	}
}

void cell_u64(struct pawctl *p, const char *key, const char *head, __u64 v)
{
	char buf[24];

	if (p->json) {
		if (key)
			print_u64(p, PRINT_JSON, key, NULL, v);
	} else if (head && p->tbl) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
		table_cell(p, head, buf);
	}
}

void cell_bool(struct pawctl *p, const char *key, const char *head, bool v)
{
	if (p->json) {
		if (key)
			jadd(p, key, json_boolean(v));
	} else if (head && p->tbl) {
		table_cell(p, head, v ? "yes" : "no");
	}
}

/* ---- the document ---- */

void out_reset(struct pawctl *p)
{
	p->jroot = NULL;
	p->jdepth = 0;
	p->jfailed = false;
	p->tbl = NULL;
	p->streamed = false;
}

void out_discard(struct pawctl *p)
{
	table_free(p->tbl);
	p->tbl = NULL;
	json_decref(p->jroot);
	out_reset(p);
}

int out_finish(struct pawctl *p)
{
	int err = 0;

	if (p->tbl)
		table_close(p);
	if (p->jfailed) {
		pawctl_error(p, "cannot format the output: out of memory");
		out_discard(p);
		return -ENOMEM;
	}
	if (p->json && !p->streamed) {
		size_t flags = JSON_ENCODE_ANY | (p->pretty ? JSON_INDENT(2) : JSON_COMPACT);

		if (!p->jroot)
			p->jroot = json_object();
		if (!p->jroot || json_dumpf(p->jroot, p->out, flags))
			err = -EIO;
		fputc('\n', p->out);
	}
	if (fflush(p->out))
		err = -errno;
	out_discard(p);
	return err;
}

/* ---- reading the daemon's JSON ---- */

const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

__u64 ju64(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		return json_integer_value(v) < 0 ? 0 : (__u64)json_integer_value(v);
	if (json_is_real(v))
		return json_real_value(v) < 0 ? 0 : (__u64)json_real_value(v);
	return 0;
}

bool jbool(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

bool jhas(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return v && !json_is_null(v);
}

char *fmt_time_ms(__u64 ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!ms || !localtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "-");
	return buf;
}

char *fmt_duration_s(__u64 s, char *buf, size_t len)
{
	unsigned long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;

	if (d)
		snprintf(buf, len, "%llud %lluh %llum %llus", d, h, m, sec);
	else if (h)
		snprintf(buf, len, "%lluh %llum %llus", h, m, sec);
	else if (m)
		snprintf(buf, len, "%llum %llus", m, sec);
	else
		snprintf(buf, len, "%llus", sec);
	return buf;
}
