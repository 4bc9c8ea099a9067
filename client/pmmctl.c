/* SPDX-License-Identifier: MIT */
/*
 * pmmctl: global options, the verbs[] table and the argument helpers every verb shares.
 * Nothing here touches the bus: a verb connects only after all of its arguments parsed.
 */
#include "pmmctl.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "size.h"

enum {
	OPT_ADDRESS = 0x100,
	OPT_USER,
	OPT_NO_PROGRESS,
	OPT_VERSION,
};

/* Global options; accepted before the verb and again among its own options. */
static const struct option global_options[] = {
	{ "address",     required_argument, NULL, OPT_ADDRESS },
	{ "user",        no_argument,       NULL, OPT_USER },
	{ "json",        no_argument,       NULL, 'J' },
	{ "bytes",       no_argument,       NULL, 'b' },
	{ "no-progress", no_argument,       NULL, OPT_NO_PROGRESS },
	{ "help",        no_argument,       NULL, 'h' },
	{ "version",     no_argument,       NULL, OPT_VERSION },
};
#define GLOBAL_SHORTOPTS "Jbh"

static const struct verb verbs[] = {
	{ "status",        0, 0, verb_status,
	  "", "show the model's identity, geometry and accounting" },
	{ "list",          0, 1, verb_list,
	  "[blocks|ranges|sections|namespaces] [-a|--all]",
	  "list memory blocks (merged like lsmem unless --all), ranges, sections or namespaces" },
	{ "add-range",     2, 2, verb_hotplug,
	  "START SIZE [--device] [add-memory or add-device options]",
	  "hot-add System RAM, or ZONE_DEVICE memory with --device" },
	{ "add-memory",    2, 2, verb_hotplug,
	  "START SIZE [--node N] [--online TYPE | --no-online] [--memmap-on-memory]",
	  "hot-add System RAM (memory blocks)" },
	{ "add-device",    2, 2, verb_hotplug,
	  "START SIZE [--type fsdax|devdax|generic|private|coherent|p2pdma] [--map mem|dev] "
	  "[--align SIZE] [--node N]",
	  "map device memory into ZONE_DEVICE (memremap_pages)" },
	{ "add-namespace", 1, 1, verb_hotplug,
	  "NAME [--map mem|dev] [--align SIZE] [--type fsdax|devdax]",
	  "put a pmem namespace into ZONE_DEVICE with the nvdimm pfn layout" },
	{ "remove-range",  2, 2, verb_hotplug,
	  "START SIZE", "hot-remove System RAM (all blocks offline) or a whole device range" },
	{ "remove",        2, 2, verb_hotplug,
	  "START SIZE", "alias of remove-range" },
	{ "online",        0, 2, verb_hotplug,
	  "START SIZE | --blocks A-B  [--zone auto|normal|movable]",
	  "online every memory block of the range (all or nothing)" },
	{ "offline",       0, 2, verb_hotplug,
	  "START SIZE | --blocks A-B", "offline every memory block of the range (all or nothing)" },
	{ "get-pages",     2, 2, verb_get_put_pages,
	  "PFN COUNT", "take one reference on each page of [PFN, PFN + COUNT)" },
	{ "put-pages",     2, 2, verb_get_put_pages,
	  "PFN COUNT", "drop one reference on each page of [PFN, PFN + COUNT)" },
	{ "pfn",           1, 1, verb_pfn,
	  "PFN", "what the model knows about one page frame" },
	{ "lookup",        1, 1, verb_lookup,
	  "ADDRESS", "the page frame holding a physical address" },
	{ "plan",          1, UINT32_MAX, verb_plan,
	  "OP ARGS...  (OP: add-range|add-memory|add-device|add-namespace|remove-range|online|"
	  "offline, with its own arguments)",
	  "what an operation would do, without doing it" },
	{ "policy",        0, 1, verb_policy,
	  "[offline|online|online_kernel|online_movable|auto-movable] [--ratio N]",
	  "show or set the auto-online policy for new blocks" },
	{ "map",           0, 0, verb_map,
	  "[--svg FILE]", "draw the physical address space (terminal, or SVG with --svg)" },
	{ "monitor",       0, 0, verb_monitor,
	  "", "print one line per change (blocks, ranges, namespaces, policy) until interrupted" },
};

const struct verb *pmm_verb_lookup(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

static void print_help(void)
{
	printf("Usage: pmmctl [--address ADDR | --user] [-J|--json] [-b|--bytes] [--no-progress] "
	       "COMMAND ...\n\n"
	       "Manage physical-memory hotplug through pmm-hotplugd.\n\n"
	       "Options:\n"
	       "      --address ADDR  connect to the bus at ADDR (also $" PMM_ENV_BUS_ADDRESS ")\n"
	       "      --user          connect to the session bus (default: the system bus)\n"
	       "  -J, --json          print one JSON document on stdout\n"
	       "  -b, --bytes         print sizes in bytes in tables\n"
	       "      --no-progress   never draw a progress bar\n"
	       "  -h, --help          show this help (COMMAND --help: the command's)\n"
	       "      --version       show the version\n\n"
	       "Commands:\n");
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		printf("  %-14s %s\n", verbs[i].name, verbs[i].help);
	printf("\nNumbers are decimal or 0x hex; sizes take K/M/G/T/P (binary) suffixes.\n"
	       "Exit status: 0 success, 1 refused by the daemon, 2 usage error, 3 daemon unreachable.\n"
	       "See pmmctl(8).\n");
}

static void print_verb_help(const struct verb *v)
{
	printf("Usage: pmmctl %s %s\n\n%s\n", v->name, v->synopsis, v->help);
}

int pmm_usage_error(struct pmmctl *ctx, const char *fmt, ...)
{
	va_list ap;

	fputs("pmmctl: ", stderr);
	if (ctx && ctx->parent)
		fprintf(stderr, "%s ", ctx->parent);
	if (ctx && ctx->verb)
		fprintf(stderr, "%s: ", ctx->verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'pmmctl %s%s%s%s--help'.\n",
		ctx && ctx->parent ? ctx->parent : "", ctx && ctx->parent ? " " : "",
		ctx && ctx->verb ? ctx->verb : "", ctx && ctx->verb ? " " : "");
	return PMM_EXIT_USAGE;
}

/* Global options, wherever they appear. Returns 1 if opt was one of them, 0 if not. */
static int handle_global_option(struct pmmctl *ctx, int opt, const char *arg)
{
	switch (opt) {
	case OPT_ADDRESS:
		ctx->address = arg;
		ctx->user = false;
		return 1;
	case OPT_USER:
		ctx->user = true;
		ctx->address = NULL;
		return 1;
	case 'J':
		ctx->json = true;
		return 1;
	case 'b':
		ctx->bytes = true;
		return 1;
	case OPT_NO_PROGRESS:
		ctx->no_progress = true;
		return 1;
	default:
		return 0;
	}
}

/*
 * The argument holding the option getopt just refused. Inside a cluster ("-Jx") getopt has not
 * advanced optind yet, so the refused short option is in argv[optind], not argv[optind - 1].
 */
static const char *refused_token(int argc, char **argv)
{
	if (optopt > 0 && optopt < 0x100 && optind < argc && argv[optind][0] == '-' &&
	    argv[optind][1] != '-' && strchr(argv[optind] + 1, optopt))
		return argv[optind];
	return argv[optind - 1];
}

/* The name of the option getopt just refused, for the message. */
static const char *bad_option_name(int argc, char **argv, char *buf, size_t len)
{
	const char *arg = refused_token(argc, argv);

	/* a long option (whatever its val) as typed */
	if (strncmp(arg, "--", 2) == 0)
		return arg;
	if (optopt > 0 && optopt < 0x100) {
		snprintf(buf, len, "-%c", optopt);
		return buf;
	}
	return arg;
}

/* Names of the missing positional argument, taken from the synopsis words. */
static void missing_arg_name(const struct verb *v, int have, char *buf, size_t len)
{
	const char *p = v->synopsis;
	int i = 0;

	buf[0] = '\0';
	while (*p) {
		size_t n = strcspn(p, " ");

		if (n && p[0] != '[' && p[0] != '-' && p[0] != '|') {
			if (i == have) {
				snprintf(buf, len, "%.*s", (int)n, p);
				return;
			}
			i++;
		}
		p += n;
		p += strspn(p, " ");
	}
}

int pmm_parse_verb(struct pmmctl *ctx, const struct verb *v, int argc, char **argv,
		   const char *shortopts, const struct option *longopts,
		   pmm_opt_fn fn, void *data, char ***pos, int *npos)
{
	struct option opts[32];
	char optstring[64];
	size_t n = 0;
	bool in_order = shortopts && shortopts[0] == '+';
	int nargs, c;

	for (; longopts && longopts[n].name; n++)
		opts[n] = longopts[n];
	for (size_t i = 0; i < ELEMENTSOF(global_options); i++)
		opts[n++] = global_options[i];
	opts[n] = (struct option){ 0 };
	snprintf(optstring, sizeof(optstring), "%s:%s" GLOBAL_SHORTOPTS, in_order ? "+" : "",
		 shortopts ? shortopts + in_order : "");

	ctx->verb = v->name;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
		char buf[64];
		int r;

		if (c == '?' && isdigit(optopt))
			return pmm_usage_error(ctx, "invalid argument '%s': numbers are never negative",
					       refused_token(argc, argv));
		if (c == '?')
			return pmm_usage_error(ctx, "unknown option '%s'",
					       bad_option_name(argc, argv, buf, sizeof(buf)));
		if (c == ':')
			return pmm_usage_error(ctx, "option '%s' needs an argument",
					       bad_option_name(argc, argv, buf, sizeof(buf)));
		if (c == 'h') {
			print_verb_help(v);
			exit(PMM_EXIT_OK);
		}
		if (handle_global_option(ctx, c, optarg))
			continue;
		r = fn ? fn(ctx, data, c, optarg) : PMM_EXIT_USAGE;
		if (r)
			return r;
	}
	nargs = argc - optind;
	if ((unsigned int)nargs < v->min_args) {
		char name[64];

		missing_arg_name(v, nargs, name, sizeof(name));
		return pmm_usage_error(ctx, "missing argument %s (usage: pmmctl %s%s%s)",
				       name[0] ? name : "", v->name, v->synopsis[0] ? " " : "",
				       v->synopsis);
	}
	if ((unsigned int)nargs > v->max_args)
		return pmm_usage_error(ctx, "unexpected argument '%s' (usage: pmmctl %s%s%s)",
				       argv[optind + v->max_args], v->name,
				       v->synopsis[0] ? " " : "", v->synopsis);
	*pos = argv + optind;
	*npos = nargs;
	return 0;
}

int pmm_arg_size(struct pmmctl *ctx, const char *what, const char *s, uint64_t *out)
{
	int r = pmm_parse_size(s, out);

	if (r == -ERANGE)
		return pmm_usage_error(ctx, "%s '%s' does not fit in 64 bits", what, s);
	if (r < 0)
		return pmm_usage_error(ctx, "invalid %s '%s': expected a decimal or 0x hex number "
				       "with an optional K/M/G/T/P suffix", what, s);
	return 0;
}

int pmm_arg_u32(struct pmmctl *ctx, const char *what, const char *s, uint32_t *out)
{
	uint64_t v = 0;
	unsigned int base = 10;
	const char *p = s;

	/* plain integers (node ids, ratios): no suffix, no sign, no octal surprise */
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		goto invalid;
	for (; *p; p++) {
		unsigned int d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned int)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned int)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned int)(*p - 'A' + 10);
		else
			goto invalid;
		v = v * base + d;
		if (v > UINT32_MAX)
			return pmm_usage_error(ctx, "%s '%s' is too large (at most %u)", what, s,
					       UINT32_MAX);
	}
	*out = (uint32_t)v;
	return 0;
invalid:
	return pmm_usage_error(ctx, "invalid %s '%s': expected a decimal or 0x hex integer", what, s);
}

int pmm_arg_enum(struct pmmctl *ctx, const char *what, const char *s, const char *const *words)
{
	char list[256] = "";
	size_t len = 0;

	for (size_t i = 0; words[i]; i++) {
		if (strcmp(s, words[i]) == 0)
			return 0;
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "",
					words[i]);
		if (len >= sizeof(list))
			len = sizeof(list) - 1;
	}
	return pmm_usage_error(ctx, "invalid %s '%s': expected one of %s", what, s, list);
}

int main(int argc, char **argv)
{
	struct pmmctl ctx = { 0 };
	const struct verb *v;
	const char *env;
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:" GLOBAL_SHORTOPTS, global_options, NULL)) != -1) {
		char buf[64];

		switch (c) {
		case 'h':
			print_help();
			return PMM_EXIT_OK;
		case OPT_VERSION:
			printf("pmmctl %s\n", PACKAGE_VERSION);
			return PMM_EXIT_OK;
		case '?':
			return pmm_usage_error(&ctx, "unknown option '%s'",
					       bad_option_name(argc, argv, buf, sizeof(buf)));
		case ':':
			return pmm_usage_error(&ctx, "option '%s' needs an argument",
					       bad_option_name(argc, argv, buf, sizeof(buf)));
		default:
			handle_global_option(&ctx, c, optarg);
		}
	}
	/* $PMM_BUS_ADDRESS stands for --address unless the command line chose a bus */
	env = getenv(PMM_ENV_BUS_ADDRESS);
	if (!ctx.address && !ctx.user && env && *env)
		ctx.address = env;
	if (optind >= argc)
		return pmm_usage_error(&ctx, "missing COMMAND");
	if (strcmp(argv[optind], "help") == 0) {
		/* "help VERB" is "VERB --help" */
		v = optind + 1 < argc ? pmm_verb_lookup(argv[optind + 1]) : NULL;
		if (v)
			print_verb_help(v);
		else
			print_help();
		return PMM_EXIT_OK;
	}
	v = pmm_verb_lookup(argv[optind]);
	if (!v)
		return pmm_usage_error(&ctx, "unknown command '%s'", argv[optind]);
	ctx.verb = v->name;
	r = v->run(&ctx, argc - optind, argv + optind);
	pmm_disconnect(&ctx);
	return r;
}
