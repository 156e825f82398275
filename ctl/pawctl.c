// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pawctl [OPTIONS] OBJECT {COMMAND | help}: global options, the object
 * table and the exit codes (0 done, 1 refused or failed, 2 usage).
 */
#include <errno.h>
#include <string.h>
#include <sys/un.h>

#include "pawctl.h"
#include "cleanup.h"

static void usage_main(FILE *f)
{
	fprintf(f,
		"Usage: pawctl [ OPTIONS ] OBJECT { COMMAND | help }\n"
		"       pawctl [ OPTIONS ] help\n"
		"where  OBJECT := { status | port | client | call | stats | monitor | postbox }\n"
		"       OPTIONS := { -j[son] | -p[retty] | -s[tats] | -S[ocket] PATH |\n"
		"                    -V[ersion] | -h[elp] }\n");
}

static void usage_all(FILE *f)
{
	usage_main(f);
	fputc('\n', f);
	usage_status(f);
	usage_port(f);
	usage_client(f);
	usage_call(f);
	usage_stats(f);
	usage_monitor(f);
	usage_postbox(f);
	fprintf(f,
		"\n"
		"  -j, --json        one JSON document per command (monitor: one object per line)\n"
		"  -p, --pretty      indent the JSON\n"
		"  -s, --stats       add packet and byte counters to lists\n"
		"  -S, --socket PATH pawd's control socket (default " PAWCTL_SOCKET ")\n"
		"  -V, --version     print pawctl's version\n"
		"Words may be abbreviated to any unambiguous prefix.\n"
		"Exit status: 0 done, 1 refused or failed, 2 usage error.\n");
}

static int do_help(struct pawctl *p, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage_all(p->out);
	p->streamed = true;
	return PAWCTL_OK;
}

static const struct pawctl_cmd objects[] = {
	{ "status", do_status },
	{ "port", do_port },
	{ "client", do_client },
	{ "call", do_call },
	{ "stats", do_stats },
	{ "monitor", do_monitor },
	{ "postbox", do_postbox },
	{ "help", do_help },
};

static const char *const long_opts[] = {
	"--json", "--pretty", "--stats", "--socket", "--version", "--help",
};

static int set_socket(struct pawctl *p, const char *path)
{
	if (!*path || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return pawctl_invarg(p, path, "not a usable socket path (1-107 bytes)");
	p->sock_path = path;
	return 0;
}

/*
 * Options before OBJECT, getopt-like but without getopt's global state
 * (tests run pawctl many times in one process): short options cluster
 * ("-js"), -S takes the rest of its word or the next one, long options
 * take "=VALUE" or the next word and may be abbreviated.
 * Returns how many words were used, or -PAWCTL_USAGE; *done set when
 * the option answered by itself (-V, -h).
 */
static int parse_options(struct pawctl *p, int argc, char **argv, bool *done)
{
	int i;

	for (i = 0; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i], *val = NULL;

		if (!strcmp(a, "--"))
			return i + 1;
		if (a[1] == '-') {
			char name[32];
			const char *eq = strchr(a, '=');
			size_t len = eq ? (size_t)(eq - a) : strlen(a);
			int o;

			if (len >= sizeof(name)) {
				pawctl_error(p, "option \"%s\" is unknown, try \"pawctl help\"", a);
				return -PAWCTL_USAGE;
			}
			memcpy(name, a, len);
			name[len] = '\0';
			o = pawctl_match(name, long_opts, PAW_ARRAY_SIZE(long_opts));
			if (o < 0 || len < 3) {
				pawctl_error(p, "option \"%s\" is %s, try \"pawctl help\"", a,
					     o == -2 ? "ambiguous" : "unknown");
				return -PAWCTL_USAGE;
			}
			if (o != 3 && eq) {
				pawctl_error(p, "option \"%s\" takes no value", long_opts[o]);
				return -PAWCTL_USAGE;
			}
			switch (o) {
			case 0: p->json = true; break;
			case 1: p->pretty = true; break;
			case 2: p->stats++; break;
			case 3:
				val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
				if (!val) {
					pawctl_error(p, "option \"--socket\" needs a PATH");
					return -PAWCTL_USAGE;
				}
				if (set_socket(p, val))
					return -PAWCTL_USAGE;
				break;
			case 4:
				fprintf(p->out, "pawctl %s (Paw Switchboard)\n", PAWCTL_VERSION);
				*done = true;
				return i + 1;
			case 5:
				usage_all(p->out);
				*done = true;
				return i + 1;
			}
			continue;
		}
		for (const char *c = a + 1; *c; c++) {
			switch (*c) {
			case 'j': p->json = true; break;
			case 'p': p->pretty = true; break;
			case 's': p->stats++; break;
			case 'S':
				val = c[1] ? c + 1 : (i + 1 < argc ? argv[++i] : NULL);
				if (!val) {
					pawctl_error(p, "option \"-S\" needs a PATH");
					return -PAWCTL_USAGE;
				}
				if (set_socket(p, val))
					return -PAWCTL_USAGE;
				c += strlen(c) - 1;	/* the rest was the value */
				break;
			case 'V':
				fprintf(p->out, "pawctl %s (Paw Switchboard)\n", PAWCTL_VERSION);
				*done = true;
				return i + 1;
			case 'h':
				usage_all(p->out);
				*done = true;
				return i + 1;
			default:
				pawctl_error(p, "option \"-%c\" is unknown, try \"pawctl help\"", *c);
				return -PAWCTL_USAGE;
			}
		}
	}
	return i;
}

int pawctl_run(FILE *out, FILE *err, int argc, char **argv)
{
	struct pawctl p = {
		.out = out,
		.err = err,
		.sock_path = PAWCTL_SOCKET,
		.timeout_ms = PAWCTL_TIMEOUT_MS,
	};
	bool done = false;
	int n, ret;

	out_reset(&p);
	/* skip the program's name */
	n = parse_options(&p, argc - 1, argv + 1, &done);
	if (n < 0)
		return -n;
	if (done) {
		if (!fflush(out))
			return PAWCTL_OK;
		pawctl_error(&p, "cannot write the output: %s", strerror(errno));
		return PAWCTL_FAIL;
	}
	argc -= n + 1;
	argv += n + 1;
	if (argc <= 0) {
		usage_main(err);
		return PAWCTL_USAGE;
	}
	ret = pawctl_dispatch(&p, objects, PAW_ARRAY_SIZE(objects), "object", "pawctl help",
			      argc, argv);
	pawctl_disconnect(&p);
	if (ret == PAWCTL_OK) {
		int err = out_finish(&p);

		/* e.g. stdout is a full disk: say so, not exit 1 silently */
		if (err) {
			if (err != -ENOMEM)
				pawctl_error(&p, "cannot write the output: %s", strerror(-err));
			ret = PAWCTL_FAIL;
		}
	} else {
		out_discard(&p);
	}
	fflush(err);
	return ret;
}

int pawctl_main(int argc, char **argv)
{
	return pawctl_run(stdout, stderr, argc, argv);
}
