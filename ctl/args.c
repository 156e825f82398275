// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Command tables, keyword matching and the fixed phrasings of usage
 * errors. Words match in full or by an unambiguous prefix ("pawctl cl
 * l"), silently: abbreviations are for typing, and a prefix that
 * becomes ambiguous when a word is added fails loudly (exit 2) rather
 * than doing something else, so scripts should spell words out.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <net/if.h>

#include "pawctl.h"
#include "util.h"

void pawctl_error(struct pawctl *p, const char *fmt, ...)
{
	va_list ap;

	fputs("pawctl: ", p->err);
	va_start(ap, fmt);
	vfprintf(p->err, fmt, ap);
	va_end(ap);
	fputc('\n', p->err);
}

int pawctl_match(const char *word, const char *const *names, size_t n)
{
	size_t len = strlen(word);
	int found = -1;

	if (!len)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(word, names[i]))
			return (int)i;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(word, names[i], len))
			continue;
		if (found >= 0)
			return -2;
		found = (int)i;
	}
	return found;
}

/* "client, call" for the ambiguity message. */
static void print_candidates(struct pawctl *p, const char *word, const char *const *names,
			     size_t n)
{
	size_t len = strlen(word);
	bool first = true;

	for (size_t i = 0; i < n; i++) {
		if (strncmp(word, names[i], len))
			continue;
		fprintf(p->err, "%s%s", first ? "" : ", ", names[i]);
		first = false;
	}
}

static int report_nomatch(struct pawctl *p, int r, const char *what, const char *word,
			  const char *const *names, size_t n, const char *help)
{
	if (r == -2) {
		fprintf(p->err, "pawctl: %s \"%s\" is ambiguous: ", what, word);
		print_candidates(p, word, names, n);
		fputc('\n', p->err);
	} else {
		pawctl_error(p, "%s \"%s\" is unknown, try \"%s\"", what, word, help);
	}
	return PAWCTL_USAGE;
}

int pawctl_dispatch(struct pawctl *p, const struct pawctl_cmd *cmds, size_t n,
		    const char *what, const char *help, int argc, char **argv)
{
	const char *names[32];
	int r;

	if (n > 32)
		n = 32;
	for (size_t i = 0; i < n; i++)
		names[i] = cmds[i].name;
	r = pawctl_match(argv[0], names, n);
	if (r < 0)
		return report_nomatch(p, r, what, argv[0], names, n, help);
	return cmds[r].fn(p, argc, argv);
}

int pawctl_keyword(struct pawctl *p, const char *word, const char *const *kws, size_t n,
		   const char *help)
{
	int r = pawctl_match(word, kws, n);

	if (r < 0) {
		if (r == -2) {
			report_nomatch(p, r, "argument", word, kws, n, help);
		} else {
			pawctl_garbage(p, word, help);
		}
		return -1;
	}
	return r;
}

bool pawctl_is_help(const char *word)
{
	static const char *const help[] = { "help" };

	return pawctl_match(word, help, 1) == 0;
}

int pawctl_help(struct pawctl *p, void (*usage)(FILE *f))
{
	usage(p->out);
	p->streamed = true;
	return PAWCTL_OK;
}

int pawctl_invarg(struct pawctl *p, const char *arg, const char *why)
{
	pawctl_error(p, "argument \"%s\" is wrong: %s", arg, why);
	return PAWCTL_USAGE;
}

int pawctl_missarg(struct pawctl *p, const char *what, const char *help)
{
	pawctl_error(p, "argument \"%s\" is required, try \"%s\"", what, help);
	return PAWCTL_USAGE;
}

int pawctl_duparg(struct pawctl *p, const char *key, const char *arg)
{
	pawctl_error(p, "duplicate \"%s\": \"%s\" is the second value", key, arg);
	return PAWCTL_USAGE;
}

int pawctl_garbage(struct pawctl *p, const char *arg, const char *help)
{
	pawctl_error(p, "unexpected argument \"%s\", try \"%s\"", arg, help);
	return PAWCTL_USAGE;
}

int pawctl_incomplete(struct pawctl *p, const char *help)
{
	pawctl_error(p, "command line is not complete, try \"%s\"", help);
	return PAWCTL_USAGE;
}

int pawctl_arg_name(struct pawctl *p, const char *what, const char *arg)
{
	char why[128];

	if (paw_name_valid(arg))
		return 0;
	snprintf(why, sizeof(why),
		 "%s must be 1-%d of A-Z a-z 0-9 . _ -, starting with a letter or digit",
		 what, PAW_NAME_MAX);
	return pawctl_invarg(p, arg, why);
}

/* The kernel's rules for an interface name (dev_valid_name()). */
int pawctl_arg_dev(struct pawctl *p, const char *arg)
{
	size_t n = strlen(arg);

	if (!n || n >= IF_NAMESIZE || !strcmp(arg, ".") || !strcmp(arg, "..") ||
	    strpbrk(arg, "/: \t\n"))
		return pawctl_invarg(p, arg, "not a valid interface name");
	return 0;
}

int pawctl_arg_ipv4(struct pawctl *p, const char *arg)
{
	__be32 a;

	if (paw_ipv4_parse(arg, &a))
		return pawctl_invarg(p, arg, "not an IPv4 address (A.B.C.D)");
	return 0;
}

int pawctl_arg_mac(struct pawctl *p, const char *arg)
{
	__u8 mac[6];

	if (paw_mac_parse(arg, mac))
		return pawctl_invarg(p, arg, "not a MAC address (xx:xx:xx:xx:xx:xx)");
	return 0;
}

int pawctl_arg_u32(struct pawctl *p, const char *arg, __u32 min, __u32 max, __u32 *out)
{
	char why[96];
	int err = paw_parse_u32(arg, min, max, out);

	if (!err)
		return 0;
	snprintf(why, sizeof(why), "not a number in %u-%u", min, max);
	return pawctl_invarg(p, arg, why);
}
