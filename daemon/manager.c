/* SPDX-License-Identifier: MIT */
/*
 * org.pmm.Hotplug1.Manager: properties and method handlers.
 *
 * Every mutating handler has the same skeleton:
 *   read args → normalise → validate (named error) → authorise → act (backend + journal)
 *   → map errno through errors.c → emit signals → reply.
 * Validation runs before authorisation so a refused request says why; authorisation runs
 * before anything changes. Plan() runs the same readers and validators as the operation it
 * plans, so the plan and the operation never disagree.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "backend-kernel.h"
#include "daemon.h"
#include "pmm-names.h"
#include "pmm-json-fields.h"
#include "size.h"

/* ---------------------------------------------------------------- formatting */

/* "[0x200000000, +1G)": the range a message is about */
static const char *fmt_range(char *buf, size_t len, uint64_t start, uint64_t size)
{
	char s[32];

	snprintf(buf, len, "[0x%" PRIx64 ", +%s)", start, pmm_format_size(size, s, sizeof(s)));
	return buf;
}

static void fmt_regions(const struct pmm_config *cfg, char *buf, size_t len)
{
	size_t i, off = 0;
	char r[64];

	if (!cfg->nr_regions) {
		snprintf(buf, len, "none configured");
		return;
	}
	buf[0] = '\0';
	for (i = 0; i < cfg->nr_regions && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					fmt_range(r, sizeof(r), cfg->regions[i].start,
						  cfg->regions[i].size));
}

/* ---------------------------------------------------------------- options */

/*
 * One accepted key of an a{sv} argument. sig is the variant's required signature; out points
 * to a uint32_t (u), int (b), uint64_t (t) or const char * (s, valid while the message lives).
 */
struct opt_spec {
	const char *key;
	const char *sig;
	void *out;
	bool seen;
};

static int read_options(sd_bus_message *m, struct opt_spec *specs, size_t n, sd_bus_error *error)
{
	const char *key, *contents;
	char known[160];
	size_t i, off;
	int r;

	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		struct opt_spec *s = NULL;
		char type;

		r = sd_bus_message_read(m, "s", &key);
		if (r < 0)
			return r;
		for (i = 0; i < n; i++)
			if (!strcmp(specs[i].key, key))
				s = &specs[i];
		if (!s) {
			for (i = 0, off = 0, known[0] = '\0'; i < n && off < sizeof(known); i++)
				off += (size_t)snprintf(known + off, sizeof(known) - off, "%s%s",
							i ? ", " : "", specs[i].key);
			return pmm_bus_error(error, -EINVAL, MM_CAUSE_INVALID,
					     "unknown option \"%s\" (accepted: %s)", key,
					     n ? known : "none");
		}
		if (s->seen)
			return pmm_bus_error(error, -EINVAL, MM_CAUSE_INVALID,
					     "option \"%s\" given twice", key);
		r = sd_bus_message_peek_type(m, &type, &contents);
		if (r < 0)
			return r;
		if (type != 'v' || strcmp(contents, s->sig))
			return pmm_bus_error(error, -EINVAL, MM_CAUSE_INVALID,
					     "option \"%s\" must be a variant of type '%s', got '%s'",
					     key, s->sig, contents ? contents : "?");
		r = sd_bus_message_read(m, "v", s->sig, s->out);
		if (r < 0)
			return r;
		s->seen = true;
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

/* ---------------------------------------------------------------- validation */

/*
 * An online type as the bus spells it. libmm's parser also takes a trailing newline, as the
 * kernel's sysfs_streq() does for a write to a state file; the bus is not a file: exact words.
 */
static int bus_online_type(const char *s, enum mm_online_type *t)
{
	return strchr(s, '\n') ? -EINVAL : mm_online_type_parse(s, t);
}

/*
 * Every mutating range: not empty, not wrapping, inside one managed region, and not part of
 * a job that is still running (its result is not known yet).
 */
static int validate_range(struct pmm_daemon *d, uint64_t start, uint64_t size, sd_bus_error *error)
{
	char r[64], regions[256], busy[192];

	if (size == 0)
		return pmm_bus_error(error, -EINVAL, MM_CAUSE_INVALID, "size is 0 (start 0x%" PRIx64 ")",
				     start);
	if (start + size < start)
		return pmm_bus_error(error, -EINVAL, MM_CAUSE_INVALID,
				     "start 0x%" PRIx64 " + size 0x%" PRIx64 " wraps around the address space",
				     start, size);
	if (!pmm_config_region_for(&d->cfg, start, size)) {
		fmt_regions(&d->cfg, regions, sizeof(regions));
		return pmm_bus_error(error, -ERANGE, MM_CAUSE_RANGE,
				     "%s is not inside one managed region (managed: %s)",
				     fmt_range(r, sizeof(r), start, size), regions);
	}
	if (pmm_jobs_busy(d, start, size, busy, sizeof(busy)))
		return pmm_bus_error(error, -EBUSY, MM_CAUSE_BUSY, "%s", busy);
	return 0;
}

/* Pages ops take pfns: the byte range they cover goes through the same guard. */
static int validate_pfn_range(struct pmm_daemon *d, uint64_t pfn, uint64_t count,
			      sd_bus_error *error)
{
	unsigned int shift = mm_geometry(d->mm)->page_shift;

	if (count == 0)
		return pmm_bus_error(error, -EINVAL, MM_CAUSE_INVALID, "count is 0 (pfn 0x%" PRIx64 ")",
				     pfn);
	if (pfn + count < pfn || (pfn + count) > (UINT64_MAX >> shift))
		return pmm_bus_error(error, -EINVAL, MM_CAUSE_INVALID,
				     "pfn 0x%" PRIx64 " + count 0x%" PRIx64 " overflows the address space",
				     pfn, count);
	return validate_range(d, pfn << shift, count << shift, error);
}

static int validate_node(uint32_t node, sd_bus_error *error)
{
	if (node >= PMM_MAX_NUMNODES)
		return pmm_bus_error(error, -EINVAL, MM_CAUSE_INVALID,
				     "node %" PRIu32 " is not a possible node (0-%d)", node,
				     PMM_MAX_NUMNODES - 1);
	return 0;
}

/* ---------------------------------------------------------------- authorisation */

/*
 * Mutating methods are for root and, when configured, the members of admin_group. sd-bus's own
 * privilege check is bypassed (the vtable marks every member UNPRIVILEGED) because it costs a
 * round trip and ignores groups. The sender's effective uid comes from the message or,
 * augmented, from the bus; its supplementary groups only from the bus daemon's
 * GetConnectionCredentials (sd-bus 252 does not return them). The verdict is cached per unique
 * name: a bus never reuses one.
 */
static bool creds_cached(struct pmm_daemon *d, const char *sender, uid_t *euid, bool *admin)
{
	size_t i;

	for (i = 0; sender && i < ARRAY_SIZE(d->creds); i++)
		if (!strcmp(d->creds[i].name, sender)) {
			*euid = d->creds[i].euid;
			*admin = d->creds[i].admin;
			return true;
		}
	return false;
}

static void creds_remember(struct pmm_daemon *d, const char *sender, uid_t euid, bool admin)
{
	unsigned int i = d->creds_next++ % ARRAY_SIZE(d->creds);

	if (!sender || strlen(sender) >= sizeof(d->creds[i].name))
		return;
	snprintf(d->creds[i].name, sizeof(d->creds[i].name), "%s", sender);
	d->creds[i].euid = euid;
	d->creds[i].admin = admin;
}

/* Is gid among the sender's groups, as the bus daemon saw them when it connected? */
static int sender_in_group(struct pmm_daemon *d, const char *sender, gid_t gid)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	const char *key;
	int r, found = 0;

	r = sd_bus_call_method(d->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			       "org.freedesktop.DBus", "GetConnectionCredentials", &e, &reply, "s",
			       sender);
	sd_bus_error_free(&e);
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		r = sd_bus_message_read(reply, "s", &key);
		if (r >= 0 && !strcmp(key, "UnixGroupIDs")) {
			const uint32_t *ids;
			size_t n, i;

			r = sd_bus_message_enter_container(reply, 'v', "au");
			if (r >= 0)
				r = sd_bus_message_read_array(reply, 'u', (const void **)&ids, &n);
			for (i = 0; r >= 0 && i < n / sizeof(*ids); i++)
				found |= ids[i] == gid;
			if (r >= 0)
				r = sd_bus_message_exit_container(reply);
		} else if (r >= 0) {
			r = sd_bus_message_skip(reply, "v");
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
	}
	return r < 0 ? r : found;
}

static int authorise(struct pmm_daemon *d, sd_bus_message *m, const char *what,
		     sd_bus_error *error)
{
	_cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
	const char *sender = sd_bus_message_get_sender(m);
	bool admin = false;
	uid_t euid;
	int r = 0;

	if (!creds_cached(d, sender, &euid, &admin)) {
		/*
		 * These can be round trips to the bus daemon: a signal arriving meanwhile
		 * (SIGTERM) interrupts them, which is no reason to refuse the caller.
		 */
		do
			r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID | SD_BUS_CREDS_AUGMENT,
						      &creds);
		while (r == -EINTR);
		if (r >= 0)
			r = sd_bus_creds_get_euid(creds, &euid);
		if (r >= 0) {
			admin = euid == 0;
			if (!admin && d->cfg.admin_gid >= 0 && sender) {
				do
					r = sender_in_group(d, sender, (gid_t)d->cfg.admin_gid);
				while (r == -EINTR);
				admin = r > 0;
			}
		}
		if (r >= 0)
			creds_remember(d, sender, euid, admin);
	}
	if (r < 0)
		return pmm_bus_error(error, -EACCES, MM_CAUSE_NONE,
				     "%s needs root: cannot determine the caller's credentials (%s)",
				     what, strerror(-r));
	if (!admin)
		return pmm_bus_error(error, -EACCES, MM_CAUSE_NONE,
				     "%s changes the memory model and needs root%s (caller uid %u)",
				     what, d->cfg.admin_gid >= 0 ? " or the admin group" : "",
				     (unsigned int)euid);
	return 0;
}

/*
 * The last gate before a handler acts: the caller may change the model, the daemon is not
 * stopping after a journal failure (nothing more may be journaled on top of a change that
 * was not), and the journal has room on disk for the request's records, so a full disk
 * refuses the request while nothing has changed yet.
 */
static int may_change(struct pmm_daemon *d, sd_bus_message *m, const char *what,
		      sd_bus_error *error)
{
	int r = authorise(d, m, what, error);

	if (r < 0)
		return r;
	if (d->failed)
		return pmm_bus_error(error, -EIO, MM_CAUSE_NONE,
				     "%s refused: pmm-hotplugd is stopping after a journal failure",
				     what);
	r = pmm_journal_reserve(&d->journal);
	if (r < 0)
		return pmm_bus_error(error, r, MM_CAUSE_NONE,
				     "%s refused, nothing changed: the journal %s could not be written (%s)",
				     what, d->journal.path, strerror(-r));
	return 0;
}

/* ---------------------------------------------------------------- acting */

static int apply_error(struct pmm_daemon *d, int r, sd_bus_error *error)
{
	return pmm_bus_error(error, r, d->cause, "%s",
			     d->why[0] ? d->why : "the memory model refused the request");
}

/*
 * The model changed but its record cannot even be buffered (out of memory): the model is
 * ahead of what a restart would restore, so the daemon stops rather than serve a state it
 * cannot keep (fail-stop); the request is answered Failed, i.e. not acknowledged.
 */
static int journal_failed(struct pmm_daemon *d, int r, sd_bus_error *error)
{
	pmm_journal_discard(&d->journal);
	pmm_log_err("cannot journal a change: %s; stopping so that a restart restores the acknowledged state",
		    strerror(-r));
	d->failed = true;
	d->exit_code = 1;
	return pmm_bus_error(error, -EIO, MM_CAUSE_NONE,
			     "the change could not be journaled (%s); pmm-hotplugd stops", strerror(-r));
}

/*
 * The last step of every mutating handler: build the reply (types + arguments), then let the
 * committer send it, and the signals, once the request's records are durable.
 */
static int finish(struct pmm_daemon *d, sd_bus_message *m, struct pmm_signals *sigs,
		  sd_bus_error *error, const char *types, ...)
{
	sd_bus_message *reply = NULL;
	va_list ap;
	int r;

	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0 && types) {
		va_start(ap, types);
		r = sd_bus_message_appendv(reply, types, ap);
		va_end(ap);
	}
	if (r < 0) {
		/* the change is made: it must still be committed; the caller gets the error */
		pmm_log_warn("cannot build a reply: %s", strerror(-r));
		reply = sd_bus_message_unref(reply);
	}
	return pmm_request_finish(d, m, reply, sigs, error);
}

/* Namespaces whose use changed (a namespace's range added or removed). */
static void sig_namespace_diff(struct pmm_daemon *d, const uint64_t *before,
			       struct pmm_signals *sigs)
{
	size_t i;

	for (i = 0; i < d->nr_ns; i++)
		if (d->ns[i].range_id != before[i])
			pmm_sig_add(sigs, PMM_SIG_CHANGED, PMM_SIG_NAMESPACE, i, 0);
}

static uint64_t *namespace_use(struct pmm_daemon *d)
{
	uint64_t *v = calloc(d->nr_ns ? d->nr_ns : 1, sizeof(*v));
	size_t i;

	for (i = 0; v && i < d->nr_ns; i++)
		v[i] = d->ns[i].range_id;
	return v;
}

static unsigned int blocks_in(struct pmm_daemon *d, uint64_t start, uint64_t size)
{
	uint64_t bs = mm_geometry(d->mm)->block_size, a;
	struct mm_block_info b;
	unsigned int n = 0;

	for (a = start - start % bs; a < start + size; a += bs)
		if (mm_memory_block_info(d->mm, a / bs, &b) == 0)
			n++;
	return n;
}

/* ---------------------------------------------------------------- AddMemory */

struct add_memory_req {
	uint64_t start, size;
	uint32_t node;
	const char *online;
	int memmap_on_memory;
	/* normalised */
	enum mm_online_type online_type;
	unsigned int mhp_flags;
};

static int read_add_memory_options(sd_bus_message *m, struct add_memory_req *q, sd_bus_error *error)
{
	struct opt_spec opts[] = {
		{ PMM_OPT_NODE, "u", &q->node, false },
		{ PMM_OPT_ONLINE, "s", &q->online, false },
		{ PMM_OPT_MEMMAP_ON_MEMORY, "b", &q->memmap_on_memory, false },
	};

	return read_options(m, opts, ARRAY_SIZE(opts), error);
}

static int validate_add_memory(struct pmm_daemon *d, struct add_memory_req *q, sd_bus_error *error)
{
	int r;

	/* normalise: without "online" the policy decides (auto_online_blocks) */
	q->online_type = d->policy.online_type;
	if (q->online && bus_online_type(q->online, &q->online_type) < 0)
		return pmm_bus_error(error, -EINVAL, MM_CAUSE_INVALID,
				     "option \"online\": \"%s\" is not one of offline, online, online_kernel, online_movable",
				     q->online);
	q->mhp_flags = q->memmap_on_memory ? MHP_MEMMAP_ON_MEMORY : MHP_NONE;
	r = validate_node(q->node, error);
	if (r < 0)
		return r;
	if (q->memmap_on_memory && !mm_supports_memmap_on_memory(d->mm))
		return pmm_bus_error(error, -EOPNOTSUPP, MM_CAUSE_UNSUPPORTED,
				     "memmap_on_memory is not possible with %s and a %s memory block (mhp_supports_memmap_on_memory)",
				     d->cfg.arch->name,
				     pmm_format_size(mm_geometry(d->mm)->block_size,
						     (char[32]){ 0 }, 32));
	return validate_range(d, q->start, q->size, error);
}

static int method_add_memory(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct pmm_daemon *d = userdata;
	struct add_memory_req q = { 0 };
	_cleanup_(pmm_range_set_free) struct pmm_range_set before = { 0 };
	_cleanup_(pmm_signals_free) struct pmm_signals sigs = { 0 };
	_cleanup_(freep) char *path = NULL;
	struct pmm_op op = { .kind = PMM_OP_ADD_MEMORY }, on;
	char rb[64];
	int r;

	r = sd_bus_message_read(m, "tt", &q.start, &q.size);
	if (r < 0)
		return r;
	r = read_add_memory_options(m, &q, error);
	if (r < 0)
		return r;
	r = validate_add_memory(d, &q, error);
	if (r < 0)
		return r;
	r = may_change(d, m, "AddMemory", error);
	if (r < 0)
		return r;

	op.start = q.start;
	op.size = q.size;
	op.nid = (int)q.node;
	op.mhp_flags = q.mhp_flags;
	on = (struct pmm_op){ .kind = PMM_OP_ONLINE, .start = q.start, .size = q.size,
			      .online_type = q.online_type };
	/* more than one chunk of blocks: the worker does it, the reply comes when it is done */
	if (pmm_jobs_wanted(d, &op))
		return pmm_jobs_submit(d, m, &op, q.online_type != MMOP_OFFLINE ? &on : NULL);

	pmm_range_set_take(d, &before);
	r = pmm_backend_apply(d, &op);
	if (r < 0)
		return apply_error(d, r, error);
	r = pmm_journal_append(&d->journal, &op);
	/* auto-online: a failure does not undo the add (add_memory_resource() ignores it too) */
	if (r >= 0 && q.online_type != MMOP_OFFLINE) {
		if (pmm_backend_apply(d, &on) < 0)
			pmm_log_warn("auto-online of %s as %s failed, the blocks stay offline: %s",
				     fmt_range(rb, sizeof(rb), q.start, q.size),
				     mm_online_type_name(q.online_type), d->why);
		else
			r = pmm_journal_online(d, q.start, q.size, q.online_type);
	}
	if (r < 0)
		return journal_failed(d, r, error);
	pmm_log_info("added %s on node %d as range %" PRIu64,
		     fmt_range(rb, sizeof(rb), q.start, q.size), op.nid, op.range_id);

	pmm_range_set_diff(d, &before, &sigs);
	pmm_sig_add(&sigs, PMM_SIG_ADDED, PMM_SIG_BLOCKS, q.start, q.size);
	pmm_sig_add(&sigs, PMM_SIG_CHANGED, PMM_SIG_COUNTERS, 0, 0);
	if (pmm_range_path(op.range_id, &path) < 0)
		path = NULL;
	return finish(d, m, &sigs, error, "o", path ? path : PMM_RANGE_PREFIX);
}

/* ---------------------------------------------------------------- AddDeviceMemory */

struct add_device_req {
	uint64_t start, size;
	const char *type, *map;
	uint64_t align;
	uint32_t node;
	struct pmm_op op;
};

static int read_add_device_options(sd_bus_message *m, struct add_device_req *q, sd_bus_error *error)
{
	struct opt_spec opts[] = {
		{ PMM_OPT_TYPE, "s", &q->type, false },
		{ PMM_OPT_MAP, "s", &q->map, false },
		{ PMM_OPT_ALIGN, "t", &q->align, false },
		{ PMM_OPT_NODE, "u", &q->node, false },
	};

	return read_options(m, opts, ARRAY_SIZE(opts), error);
}

static int parse_map(const char *map, bool dflt, bool *out, sd_bus_error *error)
{
	if (!map) {
		*out = dflt;
		return 0;
	}
	if (strcmp(map, "mem") && strcmp(map, "dev"))
		return pmm_bus_error(error, -EINVAL, MM_CAUSE_INVALID,
				     "option \"map\": \"%s\" is not one of mem, dev", map);
	*out = !strcmp(map, "dev");
	return 0;
}

static int validate_add_device(struct pmm_daemon *d, struct add_device_req *q, sd_bus_error *error)
{
	struct pmm_op *op = &q->op;
	int r;

	memset(op, 0, sizeof(*op));
	op->kind = PMM_OP_ADD_DEVICE;
	op->start = q->start;
	op->size = q->size;
	op->nid = (int)q->node;
	op->align = q->align;
	/* device-dax is what a bare "add device memory" gives on Linux */
	op->pgmap_type = MEMORY_DEVICE_GENERIC;
	if (q->type && mm_pgmap_type_parse(q->type, &op->pgmap_type) < 0)
		return pmm_bus_error(error, -EINVAL, MM_CAUSE_INVALID,
				     "option \"type\": \"%s\" is not one of fsdax, devdax, generic, private, coherent, p2pdma",
				     q->type);
	r = parse_map(q->map, false, &op->map_dev, error);
	if (r < 0)
		return r;
	r = validate_node(q->node, error);
	if (r < 0)
		return r;
	return validate_range(d, q->start, q->size, error);
}

static int method_add_device_memory(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct pmm_daemon *d = userdata;
	struct add_device_req q = { 0 };
	_cleanup_(pmm_range_set_free) struct pmm_range_set before = { 0 };
	_cleanup_(pmm_signals_free) struct pmm_signals sigs = { 0 };
	_cleanup_(freep) char *path = NULL;
	char rb[64];
	int r;

	r = sd_bus_message_read(m, "tt", &q.start, &q.size);
	if (r < 0)
		return r;
	r = read_add_device_options(m, &q, error);
	if (r < 0)
		return r;
	r = validate_add_device(d, &q, error);
	if (r < 0)
		return r;
	r = may_change(d, m, "AddDeviceMemory", error);
	if (r < 0)
		return r;

	pmm_range_set_take(d, &before);
	r = pmm_backend_apply(d, &q.op);
	if (r < 0)
		return apply_error(d, r, error);
	r = pmm_journal_append(&d->journal, &q.op);
	if (r < 0)
		return journal_failed(d, r, error);
	pmm_log_info("mapped %s as %s device memory, range %" PRIu64,
		     fmt_range(rb, sizeof(rb), q.start, q.size), mm_pgmap_type_name(q.op.pgmap_type),
		     q.op.range_id);
	pmm_range_set_diff(d, &before, &sigs);
	pmm_sig_add(&sigs, PMM_SIG_CHANGED, PMM_SIG_COUNTERS, 0, 0);
	if (pmm_range_path(q.op.range_id, &path) < 0)
		path = NULL;
	return finish(d, m, &sigs, error, "o", path ? path : PMM_RANGE_PREFIX);
}

/* ---------------------------------------------------------------- AddNamespace */

struct add_namespace_req {
	const char *name;
	const char *type, *map;
	uint64_t align;
	struct pmm_op op;
};

static int read_add_namespace_options(sd_bus_message *m, struct add_namespace_req *q,
				      sd_bus_error *error)
{
	struct opt_spec opts[] = {
		{ PMM_OPT_MAP, "s", &q->map, false },
		{ PMM_OPT_ALIGN, "t", &q->align, false },
		{ PMM_OPT_TYPE, "s", &q->type, false },
	};

	return read_options(m, opts, ARRAY_SIZE(opts), error);
}

static int validate_add_namespace(struct pmm_daemon *d, struct add_namespace_req *q,
				  sd_bus_error *error)
{
	struct pmm_op *op = &q->op;
	struct pmm_namespace *ns;
	int r;

	memset(op, 0, sizeof(*op));
	op->kind = PMM_OP_ADD_NAMESPACE;
	ns = pmm_namespace_find(d, q->name);
	if (!ns)
		return pmm_bus_error(error, -ENOENT, MM_CAUSE_NOENT, "no namespace named \"%s\"",
				     q->name);
	snprintf(op->ns_name, sizeof(op->ns_name), "%s", ns->cfg.name);
	op->start = ns->cfg.start;
	op->size = ns->cfg.size;
	op->nid = ns->cfg.numa_node;
	op->align = q->align;
	/* ndctl create-namespace defaults: mode fsdax, map dev */
	op->pgmap_type = MEMORY_DEVICE_FS_DAX;
	if (q->type) {
		if (!strcmp(q->type, "fsdax"))
			op->pgmap_type = MEMORY_DEVICE_FS_DAX;
		else if (!strcmp(q->type, "devdax"))
			op->pgmap_type = MEMORY_DEVICE_GENERIC;
		else
			return pmm_bus_error(error, -EINVAL, MM_CAUSE_INVALID,
					     "option \"type\": \"%s\" is not one of fsdax, devdax",
					     q->type);
	}
	r = parse_map(q->map, true, &op->map_dev, error);
	if (r < 0)
		return r;
	if (ns->range_id)
		return pmm_bus_error(error, -EBUSY, MM_CAUSE_BUSY,
				     "namespace %s is already in use by range %" PRIu64, ns->cfg.name,
				     ns->range_id);
	return validate_range(d, ns->cfg.start, ns->cfg.size, error);
}

static int method_add_namespace(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct pmm_daemon *d = userdata;
	struct add_namespace_req q = { 0 };
	_cleanup_(pmm_range_set_free) struct pmm_range_set before = { 0 };
	_cleanup_(pmm_signals_free) struct pmm_signals sigs = { 0 };
	_cleanup_(freep) uint64_t *use = NULL;
	_cleanup_(freep) char *path = NULL;
	int r;

	r = sd_bus_message_read(m, "s", &q.name);
	if (r < 0)
		return r;
	r = read_add_namespace_options(m, &q, error);
	if (r < 0)
		return r;
	r = validate_add_namespace(d, &q, error);
	if (r < 0)
		return r;
	r = may_change(d, m, "AddNamespace", error);
	if (r < 0)
		return r;

	pmm_range_set_take(d, &before);
	use = namespace_use(d);
	if (!use)
		return -ENOMEM;
	r = pmm_backend_apply(d, &q.op);
	if (r < 0)
		return apply_error(d, r, error);
	r = pmm_journal_append(&d->journal, &q.op);
	if (r < 0)
		return journal_failed(d, r, error);
	pmm_log_info("namespace %s mapped as range %" PRIu64, q.op.ns_name, q.op.range_id);
	pmm_range_set_diff(d, &before, &sigs);
	sig_namespace_diff(d, use, &sigs);
	pmm_sig_add(&sigs, PMM_SIG_CHANGED, PMM_SIG_COUNTERS, 0, 0);
	if (pmm_range_path(q.op.range_id, &path) < 0)
		path = NULL;
	return finish(d, m, &sigs, error, "o", path ? path : PMM_RANGE_PREFIX);
}

/* ---------------------------------------------------------------- RemoveMemory */

static int method_remove_memory(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct pmm_daemon *d = userdata;
	struct pmm_op op = { .kind = PMM_OP_REMOVE_MEMORY };
	_cleanup_(pmm_range_set_free) struct pmm_range_set before = { 0 };
	_cleanup_(freep) uint64_t *use = NULL;
	_cleanup_(freep) uint8_t *existed = NULL;
	_cleanup_(pmm_signals_free) struct pmm_signals sigs = { 0 };
	uint64_t bs, first, nr, i;
	char rb[64];
	int r;

	r = sd_bus_message_read(m, "tt", &op.start, &op.size);
	if (r < 0)
		return r;
	r = validate_range(d, op.start, op.size, error);
	if (r < 0)
		return r;
	r = may_change(d, m, "RemoveMemory", error);
	if (r < 0)
		return r;

	/* which blocks exist now: those are the ones whose objects go away */
	bs = mm_geometry(d->mm)->block_size;
	first = op.start / bs;
	nr = (op.start + op.size - 1) / bs - first + 1;
	existed = calloc(nr, 1);
	use = namespace_use(d);
	if (!existed || !use)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		struct mm_block_info b;

		existed[i] = mm_memory_block_info(d->mm, first + i, &b) == 0;
	}
	pmm_range_set_take(d, &before);

	r = pmm_backend_apply(d, &op);
	if (r < 0)
		return apply_error(d, r, error);
	r = pmm_journal_append(&d->journal, &op);
	if (r < 0)
		return journal_failed(d, r, error);
	pmm_log_info("removed %s", fmt_range(rb, sizeof(rb), op.start, op.size));

	for (i = 0; i < nr; i++) {
		struct mm_block_info b;

		if (existed[i] && mm_memory_block_info(d->mm, first + i, &b) < 0)
			pmm_sig_add(&sigs, PMM_SIG_REMOVED, PMM_SIG_BLOCKS, (first + i) * bs, bs);
	}
	pmm_range_set_diff(d, &before, &sigs);
	sig_namespace_diff(d, use, &sigs);
	pmm_sig_add(&sigs, PMM_SIG_CHANGED, PMM_SIG_COUNTERS, 0, 0);
	return finish(d, m, &sigs, error, NULL);
}

/* ---------------------------------------------------------------- Online / Offline */

static int parse_online_type(struct pmm_daemon *d, const char *s, enum mm_online_type *t,
			     sd_bus_error *error)
{
	/* "" is the policy's type; "offline" is not a way to online */
	if (!*s) {
		*t = pmm_policy_online_type(&d->policy);
		return 0;
	}
	if (bus_online_type(s, t) < 0 || *t == MMOP_OFFLINE)
		return pmm_bus_error(error, -EINVAL, MM_CAUSE_INVALID,
				     "online type \"%s\" is not one of online, online_kernel, online_movable (or \"\" for the policy's type)",
				     s);
	return 0;
}

static int method_online_memory(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct pmm_daemon *d = userdata;
	struct pmm_op op = { .kind = PMM_OP_ONLINE };
	_cleanup_(pmm_signals_free) struct pmm_signals sigs = { 0 };
	const char *type;
	unsigned int n;
	char rb[64];
	int r;

	r = sd_bus_message_read(m, "tts", &op.start, &op.size, &type);
	if (r < 0)
		return r;
	r = parse_online_type(d, type, &op.online_type, error);
	if (r < 0)
		return r;
	r = validate_range(d, op.start, op.size, error);
	if (r < 0)
		return r;
	r = may_change(d, m, "OnlineMemory", error);
	if (r < 0)
		return r;
	if (pmm_jobs_wanted(d, &op))
		return pmm_jobs_submit(d, m, &op, NULL);

	r = pmm_backend_apply(d, &op);
	if (r < 0)
		return apply_error(d, r, error);
	r = pmm_journal_online(d, op.start, op.size, op.online_type);
	if (r < 0)
		return journal_failed(d, r, error);
	n = blocks_in(d, op.start, op.size);
	pmm_log_info("onlined %s (%u blocks, %s)", fmt_range(rb, sizeof(rb), op.start, op.size), n,
		     mm_online_type_name(op.online_type));
	pmm_sig_add(&sigs, PMM_SIG_CHANGED, PMM_SIG_BLOCKS, op.start, op.size);
	pmm_sig_add(&sigs, PMM_SIG_CHANGED, PMM_SIG_COUNTERS, 0, 0);
	return finish(d, m, &sigs, error, "u", n);
}

static int method_offline_memory(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct pmm_daemon *d = userdata;
	struct pmm_op op = { .kind = PMM_OP_OFFLINE };
	_cleanup_(pmm_signals_free) struct pmm_signals sigs = { 0 };
	unsigned int n;
	char rb[64];
	int r;

	r = sd_bus_message_read(m, "tt", &op.start, &op.size);
	if (r < 0)
		return r;
	r = validate_range(d, op.start, op.size, error);
	if (r < 0)
		return r;
	r = may_change(d, m, "OfflineMemory", error);
	if (r < 0)
		return r;
	if (pmm_jobs_wanted(d, &op))
		return pmm_jobs_submit(d, m, &op, NULL);

	r = pmm_backend_apply(d, &op);
	if (r < 0)
		return apply_error(d, r, error);
	r = pmm_journal_append(&d->journal, &op);
	if (r < 0)
		return journal_failed(d, r, error);
	n = blocks_in(d, op.start, op.size);
	pmm_log_info("offlined %s (%u blocks)", fmt_range(rb, sizeof(rb), op.start, op.size), n);
	pmm_sig_add(&sigs, PMM_SIG_CHANGED, PMM_SIG_BLOCKS, op.start, op.size);
	pmm_sig_add(&sigs, PMM_SIG_CHANGED, PMM_SIG_COUNTERS, 0, 0);
	return finish(d, m, &sigs, error, "u", n);
}

/* ---------------------------------------------------------------- Get / Put pages */

static int pages_method(sd_bus_message *m, struct pmm_daemon *d, enum pmm_op_kind kind,
			const char *what, sd_bus_error *error)
{
	struct pmm_op op = { .kind = kind };
	_cleanup_(pmm_range_set_free) struct pmm_range_set before = { 0 };
	_cleanup_(pmm_signals_free) struct pmm_signals sigs = { 0 };
	int r;

	r = sd_bus_message_read(m, "tt", &op.start, &op.size);
	if (r < 0)
		return r;
	r = validate_pfn_range(d, op.start, op.size, error);
	if (r < 0)
		return r;
	r = may_change(d, m, what, error);
	if (r < 0)
		return r;

	pmm_range_set_take(d, &before);
	r = pmm_backend_apply(d, &op);
	if (r < 0)
		return apply_error(d, r, error);
	r = pmm_journal_append(&d->journal, &op);
	if (r < 0)
		return journal_failed(d, r, error);
	/* device page references show as the range's Refs */
	pmm_range_set_diff(d, &before, &sigs);
	return finish(d, m, &sigs, error, NULL);
}

static int method_get_pages(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return pages_method(m, userdata, PMM_OP_GET_PAGES, "GetPages", error);
}

static int method_put_pages(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return pages_method(m, userdata, PMM_OP_PUT_PAGES, "PutPages", error);
}

/* ---------------------------------------------------------------- LookupPfn */

static int append_entry(sd_bus_message *reply, const char *key, const char *sig, ...)
{
	va_list ap;
	int r;

	r = sd_bus_message_open_container(reply, 'e', "sv");
	if (r < 0)
		return r;
	r = sd_bus_message_append(reply, "s", key);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'v', sig);
	if (r < 0)
		return r;
	va_start(ap, sig);
	r = sd_bus_message_appendv(reply, sig, ap);
	va_end(ap);
	if (r < 0)
		return r;
	r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_message_close_container(reply);
}

static int append_flags(sd_bus_message *reply, const char *names)
{
	char buf[128], *save = NULL, *tok;
	int r;

	r = sd_bus_message_open_container(reply, 'e', "sv");
	if (r >= 0)
		r = sd_bus_message_append(reply, "s", PMM_J_FLAGS);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'v', "as");
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "s");
	if (r < 0)
		return r;
	snprintf(buf, sizeof(buf), "%s", names);
	for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
		if ((r = sd_bus_message_append(reply, "s", tok)) < 0)
			return r;
	r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r;
}

static int method_lookup_pfn(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct pmm_daemon *d = userdata;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(freep) char *pgmap = NULL;
	struct mm_pfn_info info;
	uint64_t pfn;
	int r;

	r = sd_bus_message_read(m, "t", &pfn);
	if (r < 0)
		return r;
	r = mm_lookup_pfn(d->mm, pfn, &info);
	if (r < 0)
		return pmm_bus_error_mm(error, d->mm, r);

	r = sd_bus_message_new_method_return(m, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "{sv}");
	if (r < 0)
		return r;
	/* a key whose JSON value would be null is absent */
	if ((r = append_entry(reply, PMM_J_PFN, "t", info.pfn)) < 0 ||
	    (r = append_entry(reply, PMM_J_VALID, "b", (int)info.valid)) < 0 ||
	    (r = append_entry(reply, PMM_J_ONLINE, "b", (int)info.online)) < 0 ||
	    (r = append_entry(reply, PMM_J_SECTION, "t", info.section_nr)) < 0 ||
	    (r = append_entry(reply, PMM_J_SUBSECTION, "u", info.subsection)) < 0)
		return r;
	if (info.block >= 0 && (r = append_entry(reply, PMM_J_BLOCK, "t", (uint64_t)info.block)) < 0)
		return r;
	if (info.zone >= 0 &&
	    (r = append_entry(reply, PMM_J_ZONE, "s", mm_zone_name((enum mm_zone_type)info.zone))) < 0)
		return r;
	/* node and refcount are a struct page's: none in a hole, none read from a poisoned one */
	if (info.zone >= 0 && ((r = append_entry(reply, PMM_J_NODE, "i", info.nid)) < 0 ||
			       (r = append_entry(reply, PMM_J_REFCOUNT, "i", info.refcount)) < 0))
		return r;
	if ((r = append_flags(reply, info.flag_names)) < 0 ||
	    (r = append_entry(reply, PMM_J_MEMMAP, "s", pmm_memmap_location_name(info.memmap))) < 0)
		return r;
	if (info.pgmap) {
		r = pmm_range_path(pmm_range_pub(d, info.pgmap), &pgmap);
		if (r < 0 || (r = append_entry(reply, PMM_J_PGMAP, "o", pgmap)) < 0)
			return r;
	}
	r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

/* ---------------------------------------------------------------- Plan */

struct plan_out {
	bool ok;
	const char *error;      /* D-Bus error name */
	char message[256];
	uint64_t first_section, nr_sections, nr_subsections, first_block, nr_blocks;
	uint64_t memmap_bytes;
	enum mm_memmap_location location;
	bool has_altmap;
	struct mm_altmap altmap;
};

static void plan_from_bus_error(struct plan_out *p, const sd_bus_error *e)
{
	p->ok = false;
	p->error = e->name;
	snprintf(p->message, sizeof(p->message), "%s", e->message ? e->message : "");
}

static void plan_from_mm(struct plan_out *p, const struct mm_plan *mp)
{
	p->ok = mp->error == 0;
	p->error = p->ok ? NULL : pmm_error_name(mp->error, mp->cause);
	snprintf(p->message, sizeof(p->message), "%s", mp->why);
	p->first_section = mp->first_section;
	p->nr_sections = mp->nr_sections;
	p->nr_subsections = mp->nr_subsections;
	p->first_block = mp->first_block;
	p->nr_blocks = mp->nr_blocks;
	p->memmap_bytes = mp->memmap_bytes;
	p->location = mp->memmap_location;
	p->has_altmap = mp->has_altmap;
	p->altmap = mp->altmap;
}

static int plan_append_ids(sd_bus_message *reply, const char *key, uint64_t first, uint64_t n)
{
	uint64_t i;
	int r;

	r = sd_bus_message_open_container(reply, 'e', "sv");
	if (r >= 0)
		r = sd_bus_message_append(reply, "s", key);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'v', "at");
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "t");
	for (i = 0; r >= 0 && i < n; i++)
		r = sd_bus_message_append(reply, "t", first + i);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r;
}

static int plan_reply(sd_bus_message *m, const struct plan_out *p)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r;

	r = sd_bus_message_new_method_return(m, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "{sv}");
	if (r < 0)
		return r;
	if ((r = append_entry(reply, PMM_J_OK, "b", (int)p->ok)) < 0)
		return r;
	if (!p->ok && (r = append_entry(reply, PMM_J_ERROR, "s", p->error)) < 0)
		return r;
	if ((r = append_entry(reply, PMM_J_MESSAGE, "s", p->message)) < 0 ||
	    (r = plan_append_ids(reply, PMM_J_SECTIONS, p->first_section, p->nr_sections)) < 0 ||
	    (r = append_entry(reply, PMM_J_SUBSECTIONS, "t", p->nr_subsections)) < 0 ||
	    (r = plan_append_ids(reply, PMM_J_BLOCKS, p->first_block, p->nr_blocks)) < 0 ||
	    (r = append_entry(reply, PMM_J_MEMMAP_BYTES, "t", p->memmap_bytes)) < 0 ||
	    (r = append_entry(reply, PMM_J_MEMMAP_LOCATION, "s",
			      pmm_memmap_location_name(p->location))) < 0)
		return r;
	if (p->has_altmap) {
		r = sd_bus_message_open_container(reply, 'e', "sv");
		if (r >= 0)
			r = sd_bus_message_append(reply, "s", PMM_J_ALTMAP);
		if (r >= 0)
			r = sd_bus_message_open_container(reply, 'v', "a{st}");
		if (r >= 0)
			r = sd_bus_message_append(reply, "a{st}", 5,
						  PMM_J_BASE_PFN, p->altmap.base_pfn,
						  PMM_J_RESERVE, p->altmap.reserve,
						  PMM_J_FREE, p->altmap.free,
						  PMM_J_ALLOC, p->altmap.alloc,
						  PMM_J_ALIGN, p->altmap.align);
		if (r >= 0)
			r = sd_bus_message_close_container(reply);
		if (r >= 0)
			r = sd_bus_message_close_container(reply);
		if (r < 0)
			return r;
	}
	r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

/* Plan of removing a whole device range: memunmap_pages() refuses while references are held. */
static void plan_remove_device(struct pmm_daemon *d, const struct mm_range_info *r,
			       struct plan_out *p)
{
	const struct mm_geometry *g = mm_geometry(d->mm);
	char rb[64];

	p->first_section = r->start / g->section_size;
	p->nr_sections = (r->start + r->size - 1) / g->section_size - p->first_section + 1;
	p->nr_subsections = r->size / g->subsection_size;
	p->memmap_bytes = r->memmap_bytes;
	p->location = r->has_altmap ? MM_MEMMAP_ALTMAP : MM_MEMMAP_RAM;
	p->has_altmap = r->has_altmap;
	p->altmap = r->altmap;
	if (r->refs) {
		p->ok = false;
		p->error = pmm_error_name(-EBUSY, MM_CAUSE_BUSY);
		snprintf(p->message, sizeof(p->message),
			 "device range %" PRIu64 " %s holds %" PRIu64 " page references", r->id,
			 fmt_range(rb, sizeof(rb), r->start, r->size), r->refs);
		return;
	}
	p->ok = true;
	p->error = NULL;
	p->message[0] = '\0';
}

static int method_plan(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct pmm_daemon *d = userdata;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	struct plan_out p = { .ok = true, .location = MM_MEMMAP_NONE };
	const char *operation;
	uint64_t start, size;
	struct mm_plan mp;
	int r;

	r = sd_bus_message_read(m, "stt", &operation, &start, &size);
	if (r < 0)
		return r;

	if (!strcmp(operation, "add-memory") || !strcmp(operation, "add-range")) {
		struct add_memory_req q = { .start = start, .size = size };

		if (read_add_memory_options(m, &q, &e) < 0 || validate_add_memory(d, &q, &e) < 0) {
			plan_from_bus_error(&p, &e);
		} else {
			mm_plan_add_memory(d->mm, (int)q.node, start, size, q.mhp_flags, &mp);
			plan_from_mm(&p, &mp);
		}
	} else if (!strcmp(operation, "add-device")) {
		struct add_device_req q = { .start = start, .size = size };
		struct mm_pgmap_params pp;

		if (read_add_device_options(m, &q, &e) < 0 || validate_add_device(d, &q, &e) < 0) {
			plan_from_bus_error(&p, &e);
		} else {
			pmm_device_params(d->mm, &q.op, &pp);
			mm_plan_memremap(d->mm, &pp, &mp);
			plan_from_mm(&p, &mp);
		}
	} else if (!strcmp(operation, "add-namespace")) {
		/* the namespace is the one configured at exactly [start, start+size) */
		struct add_namespace_req q = { 0 };
		struct mm_nd_pfn pfn;
		size_t i;

		for (i = 0; i < d->nr_ns; i++)
			if (d->ns[i].cfg.start == start && d->ns[i].cfg.size == size)
				q.name = d->ns[i].cfg.name;
		if (!q.name) {
			pmm_bus_error(&e, -ENOENT, MM_CAUSE_NOENT,
				      "no namespace is configured at [0x%" PRIx64 ", +0x%" PRIx64 ")",
				      start, size);
			plan_from_bus_error(&p, &e);
		} else if (read_add_namespace_options(m, &q, &e) < 0 ||
			   validate_add_namespace(d, &q, &e) < 0) {
			plan_from_bus_error(&p, &e);
		} else if ((r = mm_nd_pfn_init(d->mm, start, size, q.op.align, q.op.map_dev,
					       &pfn)) < 0) {
			pmm_bus_error_mm(&e, d->mm, r);
			plan_from_bus_error(&p, &e);
		} else {
			struct mm_pgmap_params pp = {
				.start = pfn.range_start, .size = pfn.range_size,
				.type = q.op.pgmap_type, .nid = q.op.nid,
				.align = q.op.pgmap_type == MEMORY_DEVICE_GENERIC ? pfn.align : 0,
				.has_altmap = pfn.map_dev, .altmap = pfn.altmap,
			};

			mm_plan_memremap(d->mm, &pp, &mp);
			plan_from_mm(&p, &mp);
		}
	} else if (!strcmp(operation, "remove-range")) {
		struct mm_range_info dev = { .start = start, .size = size };

		if (read_options(m, NULL, 0, &e) < 0 || validate_range(d, start, size, &e) < 0) {
			plan_from_bus_error(&p, &e);
		} else {
			_cleanup_(pmm_range_set_free) struct pmm_range_set rs = { 0 };
			bool found = false;
			size_t k;

			/* the same dispatch as pmm_backend_apply(): a whole device range, or RAM */
			pmm_range_set_take(d, &rs);
			for (k = 0; k < rs.n; k++)
				if (rs.v[k].device && rs.v[k].start == start && rs.v[k].size == size) {
					dev = rs.v[k];
					found = true;
				}
			if (found) {
				plan_remove_device(d, &dev, &p);
			} else {
				mm_plan_remove_memory(d->mm, start, size, &mp);
				plan_from_mm(&p, &mp);
			}
		}
	} else if (!strcmp(operation, "online")) {
		const char *type = "";
		struct opt_spec opts[] = { { PMM_OPT_ONLINE, "s", &type, false } };
		enum mm_online_type t;

		if (read_options(m, opts, ARRAY_SIZE(opts), &e) < 0 ||
		    parse_online_type(d, type, &t, &e) < 0 || validate_range(d, start, size, &e) < 0) {
			plan_from_bus_error(&p, &e);
		} else {
			mm_plan_online(d->mm, start, size, t, &mp);
			plan_from_mm(&p, &mp);
		}
	} else if (!strcmp(operation, "offline")) {
		if (read_options(m, NULL, 0, &e) < 0 || validate_range(d, start, size, &e) < 0) {
			plan_from_bus_error(&p, &e);
		} else {
			mm_plan_offline(d->mm, start, size, &mp);
			plan_from_mm(&p, &mp);
		}
	} else {
		return pmm_bus_error(error, -EINVAL, MM_CAUSE_INVALID,
				     "unknown operation \"%s\" (add-range, add-memory, add-device, add-namespace, remove-range, online, offline)",
				     operation);
	}
	return plan_reply(m, &p);
}

/* ---------------------------------------------------------------- SetOnlinePolicy */

static int method_set_online_policy(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct pmm_daemon *d = userdata;
	struct pmm_op op = { .kind = PMM_OP_SET_POLICY };
	_cleanup_(pmm_signals_free) struct pmm_signals sigs = { 0 };
	uint32_t ratio = 0;
	struct opt_spec opts[] = { { PMM_OPT_RATIO, "u", &ratio, false } };
	const char *policy;
	int r;

	r = sd_bus_message_read(m, "s", &policy);
	if (r < 0)
		return r;
	r = read_options(m, opts, ARRAY_SIZE(opts), error);
	if (r < 0)
		return r;
	if (strchr(policy, '\n') || pmm_policy_parse(policy, &op.policy) < 0)
		return pmm_bus_error(error, -EINVAL, MM_CAUSE_INVALID,
				     "policy \"%s\" is not one of offline, online, online_kernel, online_movable, auto-movable",
				     policy);
	/* the ratio bounds MOVABLE:KERNEL_EARLY; it means nothing to the other policies */
	if (opts[0].seen && op.policy.zone_policy != MM_POLICY_AUTO_MOVABLE)
		return pmm_bus_error(error, -EINVAL, MM_CAUSE_INVALID,
				     "option \"ratio\" only applies to the auto-movable policy");
	op.policy.ratio = opts[0].seen ? ratio : d->policy.ratio;
	r = may_change(d, m, "SetOnlinePolicy", error);
	if (r < 0)
		return r;

	r = pmm_backend_apply(d, &op);
	if (r < 0)
		return apply_error(d, r, error);
	r = pmm_journal_append(&d->journal, &op);
	if (r < 0)
		return journal_failed(d, r, error);
	pmm_log_info("online policy: %s, ratio %u", pmm_policy_name(&d->policy), d->policy.ratio);
	pmm_sig_add(&sigs, PMM_SIG_CHANGED, PMM_SIG_POLICY, 0, 0);
	return finish(d, m, &sigs, error, NULL);
}

/* ---------------------------------------------------------------- read-only */

static int method_describe(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	_cleanup_(freep) char *json = pmm_describe_status(userdata);

	if (!json)
		return -ENOMEM;
	return sd_bus_reply_method_return(m, "s", json);
}

static int method_list(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct pmm_daemon *d = userdata;
	_cleanup_(freep) char *json = NULL;
	const char *kind;
	int all = 0;
	struct opt_spec opts[] = { { PMM_OPT_ALL, "b", &all, false } };
	int r;

	r = sd_bus_message_read(m, "s", &kind);
	if (r < 0)
		return r;
	r = read_options(m, opts, ARRAY_SIZE(opts), error);
	if (r < 0)
		return r;
	r = pmm_describe_list(d, kind, &json);
	if (r == -EINVAL)
		return pmm_bus_error(error, -EINVAL, MM_CAUSE_INVALID,
				     "unknown listing \"%s\" (blocks, ranges, sections, namespaces)",
				     kind);
	if (r < 0)
		return r;
	return sd_bus_reply_method_return(m, "s", json);
}

/* The sim backend has nothing outside the model to re-read: the model is the truth. */
static int method_rescan(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct pmm_daemon *d = userdata;
	int r;

	/* kernel backend: re-read sysfs and the nd bus; the model and the objects follow */
	if (d->kernel) {
		r = pmm_kernel_rescan(d);
		if (r < 0)
			return pmm_bus_error(error, r, d->cause, "%s", d->why);
		return sd_bus_reply_method_return(m, NULL);
	}
	if (d->cfg.backend != PMM_BACKEND_SIM)
		return pmm_bus_error(error, -EOPNOTSUPP, MM_CAUSE_UNSUPPORTED,
				     "Rescan of the %s backend is not implemented yet",
				     pmm_backend_name(d->cfg.backend));
	return sd_bus_reply_method_return(m, NULL);
}

/* ---------------------------------------------------------------- properties */

static int prop_get(sd_bus *bus, const char *path, const char *interface, const char *property,
		    sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	struct pmm_daemon *d = userdata;
	const struct mm_geometry *g = mm_geometry(d->mm);
	struct mm_stats st;
	size_t i;
	int r;

	if (!strcmp(property, "Version"))
		return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
	if (!strcmp(property, "Backend"))
		return sd_bus_message_append(reply, "s", pmm_backend_name(d->cfg.backend));
	if (!strcmp(property, "Arch"))
		return sd_bus_message_append(reply, "s", d->cfg.arch->name);
	if (!strcmp(property, "MemoryModel"))
		return sd_bus_message_append(reply, "s", mm_memory_model_name(mm_model_kind(d->mm)));
	if (!strcmp(property, "PageSize"))
		return sd_bus_message_append(reply, "t", g->page_size);
	if (!strcmp(property, "SectionSize"))
		return sd_bus_message_append(reply, "t", g->section_size);
	if (!strcmp(property, "SubsectionSize"))
		return sd_bus_message_append(reply, "t", g->subsection_size);
	if (!strcmp(property, "BlockSize"))
		return sd_bus_message_append(reply, "t", g->block_size);
	if (!strcmp(property, "MaxPhysmemBits"))
		return sd_bus_message_append(reply, "u", (uint32_t)g->max_physmem_bits);
	if (!strcmp(property, "ManagedRegions")) {
		r = sd_bus_message_open_container(reply, 'a', "(tt)");
		for (i = 0; r >= 0 && i < d->cfg.nr_regions; i++)
			r = sd_bus_message_append(reply, "(tt)", d->cfg.regions[i].start,
						  d->cfg.regions[i].size);
		return r < 0 ? r : sd_bus_message_close_container(reply);
	}
	if (!strcmp(property, "AutoOnlineBlocks"))
		return sd_bus_message_append(reply, "s", pmm_policy_name(&d->policy));
	if (!strcmp(property, "AutoMovableRatio"))
		return sd_bus_message_append(reply, "u", (uint32_t)d->policy.ratio);
	mm_get_stats(d->mm, &st);
	if (!strcmp(property, "PresentBytes"))
		return sd_bus_message_append(reply, "t", st.present_bytes);
	if (!strcmp(property, "OnlineBytes"))
		return sd_bus_message_append(reply, "t", st.online_bytes);
	if (!strcmp(property, "DeviceBytes"))
		return sd_bus_message_append(reply, "t", st.device_bytes);
	if (!strcmp(property, "MemmapRamBytes"))
		return sd_bus_message_append(reply, "t", st.memmap_ram_bytes);
	if (!strcmp(property, "MemmapDeviceBytes"))
		return sd_bus_message_append(reply, "t", st.memmap_device_bytes);
	return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY, "unknown property %s",
				 property);
}

#define CONST_PROP  (SD_BUS_VTABLE_PROPERTY_CONST)
#define CHANGE_PROP (SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE)
#define OPEN        (SD_BUS_VTABLE_UNPRIVILEGED)

/* The API as the XML states it: properties, then methods, then signals. */
static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Version", "s", prop_get, 0, CONST_PROP),
	SD_BUS_PROPERTY("Backend", "s", prop_get, 0, CONST_PROP),
	SD_BUS_PROPERTY("Arch", "s", prop_get, 0, CONST_PROP),
	SD_BUS_PROPERTY("MemoryModel", "s", prop_get, 0, CONST_PROP),
	SD_BUS_PROPERTY("PageSize", "t", prop_get, 0, CONST_PROP),
	SD_BUS_PROPERTY("SectionSize", "t", prop_get, 0, CONST_PROP),
	SD_BUS_PROPERTY("SubsectionSize", "t", prop_get, 0, CONST_PROP),
	SD_BUS_PROPERTY("BlockSize", "t", prop_get, 0, CONST_PROP),
	SD_BUS_PROPERTY("MaxPhysmemBits", "u", prop_get, 0, CONST_PROP),
	SD_BUS_PROPERTY("ManagedRegions", "a(tt)", prop_get, 0, CONST_PROP),
	SD_BUS_PROPERTY("PresentBytes", "t", prop_get, 0, CHANGE_PROP),
	SD_BUS_PROPERTY("OnlineBytes", "t", prop_get, 0, CHANGE_PROP),
	SD_BUS_PROPERTY("DeviceBytes", "t", prop_get, 0, CHANGE_PROP),
	SD_BUS_PROPERTY("MemmapRamBytes", "t", prop_get, 0, CHANGE_PROP),
	SD_BUS_PROPERTY("MemmapDeviceBytes", "t", prop_get, 0, CHANGE_PROP),
	SD_BUS_PROPERTY("AutoOnlineBlocks", "s", prop_get, 0, CHANGE_PROP),
	SD_BUS_PROPERTY("AutoMovableRatio", "u", prop_get, 0, CHANGE_PROP),

	/* mutating: UNPRIVILEGED for sd-bus, authorised by the handler itself */
	SD_BUS_METHOD_WITH_NAMES("AddMemory", "tta{sv}", SD_BUS_PARAM(start) SD_BUS_PARAM(size)
				 SD_BUS_PARAM(options), "o", SD_BUS_PARAM(range),
				 method_add_memory, OPEN),
	SD_BUS_METHOD_WITH_NAMES("AddDeviceMemory", "tta{sv}", SD_BUS_PARAM(start)
				 SD_BUS_PARAM(size) SD_BUS_PARAM(options), "o", SD_BUS_PARAM(range),
				 method_add_device_memory, OPEN),
	SD_BUS_METHOD_WITH_NAMES("AddNamespace", "sa{sv}", SD_BUS_PARAM(name) SD_BUS_PARAM(options),
				 "o", SD_BUS_PARAM(range), method_add_namespace, OPEN),
	SD_BUS_METHOD_WITH_NAMES("RemoveMemory", "tt", SD_BUS_PARAM(start) SD_BUS_PARAM(size),
				 "", , method_remove_memory, OPEN),
	SD_BUS_METHOD_WITH_NAMES("OnlineMemory", "tts", SD_BUS_PARAM(start) SD_BUS_PARAM(size)
				 SD_BUS_PARAM(online_type), "u", SD_BUS_PARAM(blocks),
				 method_online_memory, OPEN),
	SD_BUS_METHOD_WITH_NAMES("OfflineMemory", "tt", SD_BUS_PARAM(start) SD_BUS_PARAM(size),
				 "u", SD_BUS_PARAM(blocks), method_offline_memory, OPEN),
	SD_BUS_METHOD_WITH_NAMES("GetPages", "tt", SD_BUS_PARAM(pfn) SD_BUS_PARAM(count), "", ,
				 method_get_pages, OPEN),
	SD_BUS_METHOD_WITH_NAMES("PutPages", "tt", SD_BUS_PARAM(pfn) SD_BUS_PARAM(count), "", ,
				 method_put_pages, OPEN),
	/* read-only */
	SD_BUS_METHOD_WITH_NAMES("LookupPfn", "t", SD_BUS_PARAM(pfn), "a{sv}", SD_BUS_PARAM(info),
				 method_lookup_pfn, OPEN),
	SD_BUS_METHOD_WITH_NAMES("Plan", "stta{sv}", SD_BUS_PARAM(operation) SD_BUS_PARAM(start)
				 SD_BUS_PARAM(size) SD_BUS_PARAM(options), "a{sv}",
				 SD_BUS_PARAM(plan), method_plan, OPEN),
	SD_BUS_METHOD_WITH_NAMES("SetOnlinePolicy", "sa{sv}", SD_BUS_PARAM(policy)
				 SD_BUS_PARAM(options), "", , method_set_online_policy, OPEN),
	SD_BUS_METHOD_WITH_NAMES("Describe", "", , "s", SD_BUS_PARAM(json), method_describe, OPEN),
	SD_BUS_METHOD_WITH_NAMES("List", "sa{sv}", SD_BUS_PARAM(kind) SD_BUS_PARAM(options), "s",
				 SD_BUS_PARAM(json), method_list, OPEN),
	SD_BUS_METHOD("Rescan", "", "", method_rescan, OPEN),

	SD_BUS_SIGNAL_WITH_NAMES("Progress", "stttt", SD_BUS_PARAM(operation) SD_BUS_PARAM(start)
				 SD_BUS_PARAM(size) SD_BUS_PARAM(done) SD_BUS_PARAM(total), 0),
	SD_BUS_VTABLE_END
};

int pmm_manager_register(struct pmm_daemon *d)
{
	return sd_bus_add_object_vtable(d->bus, NULL, PMM_MANAGER_PATH, PMM_MANAGER_IFACE,
					manager_vtable, d);
}
