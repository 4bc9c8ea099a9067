/* SPDX-License-Identifier: MIT */
/*
 * pmmctl: the command-line client of pmm-hotplugd. One context, a verbs[] table in pmmctl.c and
 * one file per verb group. Every verb parses all of its arguments before it connects, so a usage
 * error (exit 2) can never have sent anything.
 */
#ifndef PMM_CLIENT_PMMCTL_H
#define PMM_CLIENT_PMMCTL_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <systemd/sd-bus.h>

#include "pmm-names.h"

/*
 * The one context. Global options are set before the verb runs (and may be repeated after it);
 * bus stays NULL until pmm_connect() is called, which a verb does only after its parse succeeded.
 */
struct pmmctl {
	const char *address;   /* --address or $PMM_BUS_ADDRESS; NULL: --user or the system bus */
	bool user;             /* --user: the session bus */
	bool json;             /* -J/--json: one JSON document on stdout */
	bool bytes;            /* -b/--bytes: sizes in bytes in tables */
	bool no_progress;      /* --no-progress: never draw a progress bar */
	const char *verb;      /* the verb running, for messages */
	const char *parent;    /* "plan" while plan parses its operation's arguments */
	sd_bus *bus;           /* connected lazily by pmm_connect() */
};

struct verb {
	const char *name;
	unsigned int min_args, max_args;   /* positional arguments after option parsing */
	int (*run)(struct pmmctl *ctx, int argc, char **argv);
	const char *synopsis;              /* "START SIZE [--zone auto|normal|movable]" */
	const char *help;                  /* one line */
};

const struct verb *pmm_verb_lookup(const char *name);

/* ------------------------------------------------------------ argument parsing (pmmctl.c) */

/*
 * Verb-specific options are handled by a callback; the global options are accepted after the
 * verb too. Returns 0 and leaves the positional arguments in pos and npos, or an exit status
 * (PMM_EXIT_USAGE after printing the error, or PMM_EXIT_OK after -h).
 */
typedef int (*pmm_opt_fn)(struct pmmctl *ctx, void *data, int opt, const char *arg);
int pmm_parse_verb(struct pmmctl *ctx, const struct verb *v, int argc, char **argv,
		   const char *shortopts, const struct option *longopts,
		   pmm_opt_fn fn, void *data, char ***pos, int *npos);

__attribute__((format(printf, 2, 3)))
int pmm_usage_error(struct pmmctl *ctx, const char *fmt, ...);

/* Numbers as chmem takes them (pmm_parse_size); what names the argument in the error. */
int pmm_arg_size(struct pmmctl *ctx, const char *what, const char *s, uint64_t *out);
int pmm_arg_u32(struct pmmctl *ctx, const char *what, const char *s, uint32_t *out);
/* s must be one of the NULL-terminated words; the error lists them. */
int pmm_arg_enum(struct pmmctl *ctx, const char *what, const char *s, const char *const *words);

/* ---------------------------------------------------------------------------- bus (bus.c) */

/* Connect as configured; PMM_EXIT_UNREACHABLE (after the message) when the bus cannot be reached. */
int pmm_connect(struct pmmctl *ctx);
void pmm_disconnect(struct pmmctl *ctx);
/* A Manager method call to fill in. Returns 0 or an exit status. */
int pmm_new_call(struct pmmctl *ctx, sd_bus_message **m, const char *member);
/* Send, wait, and on failure print the error and return 1 (refused) or 3 (unreachable). */
int pmm_call(struct pmmctl *ctx, sd_bus_message *m, uint64_t timeout_usec, sd_bus_message **reply);
/*
 * Same, for long operations: Progress signals of the Manager about [start, start + size) are
 * drawn as a bar on stderr while the reply is pending (only on a terminal, not with --json or
 * --no-progress).
 */
int pmm_call_progress(struct pmmctl *ctx, sd_bus_message *m, const char *op, uint64_t start,
		      uint64_t size, sd_bus_message **reply);
/* Print a failed call (stderr, and the JSON error object on stdout with --json). */
int pmm_report_error(struct pmmctl *ctx, const sd_bus_error *error, int r);
/* Is this error "the daemon cannot be reached" (exit 3) rather than a refusal (exit 1)? */
bool pmm_error_is_unreachable(const sd_bus_error *error, int r);
/* Manager properties. */
int pmm_get_u64(struct pmmctl *ctx, const char *property, uint64_t *out);
int pmm_get_u32(struct pmmctl *ctx, const char *property, uint32_t *out);
int pmm_get_string(struct pmmctl *ctx, const char *property, char **out);
/* Describe() or List(kind) as a JSON string the caller frees. */
int pmm_describe(struct pmmctl *ctx, char **json);
int pmm_list(struct pmmctl *ctx, const char *kind, char **json);
/* Options a{sv} helpers for requests built by verbs. */
int pmm_append_opt_str(sd_bus_message *m, const char *key, const char *value);
int pmm_append_opt_u32(sd_bus_message *m, const char *key, uint32_t value);
int pmm_append_opt_u64(sd_bus_message *m, const char *key, uint64_t value);
int pmm_append_opt_bool(sd_bus_message *m, const char *key, bool value);

#define PMM_LONG_CALL_TIMEOUT_USEC (30ULL * 60 * 1000 * 1000)  /* memmap init of terabytes */

/* ------------------------------------------------------------------------ requests (hotplug.c) */

/*
 * A parsed mutating request: what the real verb sends and what `plan` asks about. The parse
 * functions are shared by both, so `plan X ARGS` and `X ARGS` can never disagree on arguments.
 */
enum pmm_req_op {
	PMM_REQ_ADD_MEMORY,
	PMM_REQ_ADD_DEVICE,
	PMM_REQ_ADD_NAMESPACE,
	PMM_REQ_REMOVE,
	PMM_REQ_ONLINE,
	PMM_REQ_OFFLINE,
};

struct pmm_request {
	enum pmm_req_op op;
	uint64_t start, size;       /* bytes; from --blocks once the block size is known */
	bool by_blocks;             /* online/offline --blocks A-B */
	uint64_t first_block, last_block;
	const char *name;           /* add-namespace NAME */
	bool has_node;
	uint32_t node;
	const char *online;         /* add-memory --online/--no-online; NULL: the policy */
	bool memmap_on_memory;
	const char *type;           /* add-device / add-namespace --type */
	const char *map;            /* --map mem|dev */
	bool has_align;
	uint64_t align;
	const char *online_type;    /* online --zone → "online" | "online_kernel" | "online_movable" | "" */
};

/* Parse the arguments of verb v (argv[0] is the verb) into req; 0 or an exit status. */
int pmm_parse_request(struct pmmctl *ctx, const struct verb *v, int argc, char **argv,
		      struct pmm_request *req);
/* Resolve --blocks into start/size (needs the bus: BlockSize). */
int pmm_request_resolve(struct pmmctl *ctx, struct pmm_request *req);
/* The contract's operation name for Plan(): add-memory, add-device, ... */
const char *pmm_request_op_name(const struct pmm_request *req);
/* Append the a{sv} options of the request. */
int pmm_request_append_options(const struct pmm_request *req, sd_bus_message *m);

/* ------------------------------------------------------------------------------ verbs */

int verb_status(struct pmmctl *ctx, int argc, char **argv);
int verb_list(struct pmmctl *ctx, int argc, char **argv);
int verb_hotplug(struct pmmctl *ctx, int argc, char **argv);
int verb_get_put_pages(struct pmmctl *ctx, int argc, char **argv);
int verb_pfn(struct pmmctl *ctx, int argc, char **argv);
int verb_lookup(struct pmmctl *ctx, int argc, char **argv);
int verb_plan(struct pmmctl *ctx, int argc, char **argv);
int verb_policy(struct pmmctl *ctx, int argc, char **argv);
int verb_map(struct pmmctl *ctx, int argc, char **argv);
int verb_monitor(struct pmmctl *ctx, int argc, char **argv);

/* ------------------------------------------------------------------------------ helpers */

static inline void pmm_freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(pmm_freep)

static inline void pmm_bus_message_unrefp(sd_bus_message **m)
{
	sd_bus_message_unref(*m);
}
#define _cleanup_msg_ _cleanup_(pmm_bus_message_unrefp)

static inline void pmm_bus_slot_unrefp(sd_bus_slot **s)
{
	sd_bus_slot_unref(*s);
}
#define _cleanup_slot_ _cleanup_(pmm_bus_slot_unrefp)

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

#endif
