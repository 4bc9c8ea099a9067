/* SPDX-License-Identifier: MIT */
/*
 * The kernel backend: the running kernel is the truth, the model mirrors it.
 *
 * sysfs root: cfg->sysfs_root names the directory the kernel mounts as /sys (default "/sys"),
 * not the root above it. Under umockdev the preload redirects "/sys" into the testbed, so the
 * default is right there too; a plain directory tree can stand in for /sys in tests, and then
 * udev and libndctl (which only know the real /sys) are not used.
 *
 * The mirror: every memory<id> present at start becomes boot memory of its node (holes where no
 * block exists), built by the model's own boot path; then each block is put in the kernel's
 * state through the model's own online/offline (a block online in ZONE_MOVABLE is offlined and
 * onlined movable, an offline block is offlined). A block that appears later is hot-added in
 * the model (add_memory), one that disappears is hot-removed; when the model cannot follow (a
 * boot block removed, a zone the model will not give) the mirror is rebuilt from sysfs.
 *
 * Changes: online/offline write memory<id>/state (drivers/base/memory.c state_store()), one
 * block at a time, all or nothing: a refusal writes the previous state back into the blocks
 * already changed. Hot-add writes the probe file (CONFIG_ARCH_MEMORY_PROBE), one block per
 * write. Hot-remove has no sysfs interface at all. Nothing outside the configured managed
 * regions is ever written, and with no managed region nothing is written at all.
 *
 * What the daemon keeps only in the model: the auto-online policy, and namespaces put in as
 * ZONE_DEVICE by AddNamespace. What the kernel keeps (block states, hot-added memory) is read
 * back at start-up, so journal replay skips those records instead of re-applying them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <json-c/json.h>

#include "backend-kernel.h"
#include "array.h"
#include "daemon.h"
#include "pmm-json-fields.h"
#include "pmm-names.h"
#include "size.h"
#include "sysfs.h"

/* A set of block ids (a resync's walk, the blocks a batch of events removed). */
struct id_list {
	uint64_t *v;
	size_t n, cap;
};

static int id_push(struct id_list *l, uint64_t id)
{
	if (PMM_ARRAY_RESERVE(l->v, l->cap, l->n + 1, 256) < 0)
		return -ENOMEM;
	l->v[l->n++] = id;
	return 0;
}

static bool id_in(const struct id_list *l, uint64_t id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i] == id)
			return true;
	return false;
}

static void id_drop(struct id_list *l, uint64_t id)
{
	size_t i, k;

	for (i = 0, k = 0; i < l->n; i++)
		if (l->v[i] != id)
			l->v[k++] = l->v[i];
	l->n = k;
}

/*
 * Invariants: memory_dir is <sysfs_root>/devices/system/memory; block_size is the kernel's and
 * the model's memory block size; live is true only when sysfs_root is the /sys that udev and
 * libndctl read (then udev is open and nd is the last namespace scan); rebuild asks for the
 * mirror to be rebuilt once the current batch of work is done.
 */
struct pmm_kernel {
	char *memory_dir;
	uint64_t block_size;
	char kernel_auto_online[24];
	bool live;
	struct pmm_udev *udev;
	struct pmm_nd_scan nd;
	bool rebuild;
	/*
	 * Blocks a remove event of the batch being handled announced: gone even while their
	 * directory lingers (device_del() sends the event before it removes the directory).
	 */
	struct id_list gone;
	uint64_t nr_events;
	/* kernel-ram.c's record, written only once the journal (and its directory) is open */
	struct pmm_hot_ram_file ram;
	bool ram_save;
};

__attribute__((format(printf, 4, 5)))
static int kernel_fail(struct pmm_daemon *d, int err, enum mm_cause cause, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	d->cause = cause;
	return err;
}

static int kernel_fail_mm(struct pmm_daemon *d, int r)
{
	const char *why = mm_last_error(d->mm);

	return kernel_fail(d, r, mm_last_cause(d->mm), "%s",
			   why && *why ? why : "the memory model refused the request");
}

/* kernel-ram.c's record of the hot-added System RAM, once the journal's directory is open. */
static void kernel_ram_save(struct pmm_daemon *d)
{
	struct pmm_kernel *k = d->kernel;

	if (k->ram_save)
		pmm_hot_ram_save(d, d->journal.dir_fd, &k->ram);
}

static const char *errno_name(int err)
{
	const char *s = strerrorname_np(err < 0 ? -err : err);

	return s ? s : "unknown errno";
}

/* "memory block 72 [0x240000000, +128M)" */
static const char *fmt_block(const struct pmm_kernel *k, uint64_t id, char *buf, size_t len)
{
	char sz[32];

	snprintf(buf, len, "memory block %" PRIu64 " [0x%" PRIx64 ", +%s)", id, id * k->block_size,
		 pmm_format_size(k->block_size, sz, sizeof(sz)));
	return buf;
}

static const char *fmt_range(char *buf, size_t len, uint64_t start, uint64_t size)
{
	char s[32];

	snprintf(buf, len, "[0x%" PRIx64 ", +%s)", start, pmm_format_size(size, s, sizeof(s)));
	return buf;
}

static bool block_managed(const struct pmm_daemon *d, uint64_t id)
{
	uint64_t bs = d->kernel->block_size;

	return pmm_config_region_for(&d->cfg, id * bs, bs) != NULL;
}

/* ================================================================ the mirror */

/* The online type that puts a block back into the zone the kernel shows it in. */
static enum mm_online_type online_type_for_zone(int zone)
{
	return zone == ZONE_MOVABLE ? MMOP_ONLINE_MOVABLE : MMOP_ONLINE_KERNEL;
}

/*
 * Make the model's block id what the kernel shows (b NULL: the kernel has no such block), by
 * the model's own operations. 0, or the -errno of the operation libmm refused: the mirror must
 * then be rebuilt. *changed tells whether the model changed.
 */
static int model_follow_block(struct mm_model *mm, uint64_t bs, uint64_t id,
			      const struct sysfs_memory_block *b, bool *changed)
{
	struct mm_block_info mi;
	bool have = mm_memory_block_info(mm, id, &mi) == 0;
	uint64_t range;
	int r;

	*changed = false;
	if (!b) {
		if (!have)
			return 0;
		/* the kernel only removes offline blocks; the offline event may not have come yet */
		if (mi.state == MEM_ONLINE && (r = mm_memory_block_offline(mm, id)) < 0)
			return r;
		*changed = true;
		return mm_remove_memory(mm, id * bs, bs);
	}
	if (!have) {
		r = mm_add_memory(mm, b->nid < 0 ? 0 : b->nid, id * bs, bs, MHP_NONE, &range);
		if (r < 0)
			return r;
		*changed = true;
		if ((r = mm_memory_block_info(mm, id, &mi)) < 0)
			return r;
	}
	if (b->state == MEM_OFFLINE) {
		if (mi.state != MEM_ONLINE)
			return 0;
		*changed = true;
		return mm_memory_block_offline(mm, id);
	}
	/* online (or going-offline, which is still online until the kernel says otherwise) */
	if (mi.state == MEM_ONLINE) {
		if (b->zone < 0 || mi.zone == b->zone)
			return 0;
		if ((r = mm_memory_block_offline(mm, id)) < 0)
			return r;
	}
	*changed = true;
	return mm_memory_block_online(mm, id, online_type_for_zone(b->zone));
}

/* Does the model show the block as the kernel does? Logs the first difference. */
static bool model_matches_block(const struct pmm_kernel *k, struct mm_model *mm,
				const struct sysfs_memory_block *b)
{
	struct mm_block_info mi;
	char blk[96];
	bool online = b->state != MEM_OFFLINE;

	fmt_block(k, b->id, blk, sizeof(blk));
	if (mm_memory_block_info(mm, b->id, &mi) < 0) {
		pmm_log_warn("mirror: %s is missing from the model", blk);
		return false;
	}
	if ((mi.state == MEM_ONLINE) != online) {
		pmm_log_warn("mirror: %s is %s in the kernel, %s in the model", blk, b->state_raw,
			     mm_block_state_name(mi.state));
		return false;
	}
	if (online && b->valid_zones[0] && mi.zone != b->zone) {
		pmm_log_warn("mirror: %s is in zone %s in the kernel, %s in the model", blk,
			     b->valid_zones, mi.zone < 0 ? "none" : mm_zone_name(mi.zone));
		return false;
	}
	if (b->nid >= 0 && mi.nid != b->nid) {
		pmm_log_warn("mirror: %s is on node %d in the kernel, node %d in the model", blk,
			     b->nid, mi.nid);
		return false;
	}
	if (b->valid_zones[0] && strcmp(b->valid_zones, mi.valid_zones))
		pmm_log_warn("mirror: %s: the kernel's valid_zones are \"%s\", the model computes \"%s\"",
			     blk, b->valid_zones, mi.valid_zones);
	return true;
}

/* The present blocks of hot-added range h, added to the mirror as System RAM in runs. */
static void mirror_add_hot(const struct sysfs_memory *t, struct mm_model *mm,
			   struct pmm_hot_ram *h)
{
	uint64_t bs = t->block_size, id = h->start / bs, end = (h->start + h->size) / bs, run, range;
	int nid = h->nid < 0 ? 0 : h->nid;

	h->mm = 0;
	while (id < end) {
		for (; id < end && !sysfs_memory_find(t, id); id++)
			;
		for (run = id; run < end && sysfs_memory_find(t, run); run++)
			;
		if (run > id && mm_add_memory(mm, nid, id * bs, (run - id) * bs, MHP_NONE, &range) < 0)
			pmm_log_warn("mirror: memory blocks %" PRIu64 "-%" PRIu64 " cannot be hot-added System RAM again: %s",
				     id, run - 1, mm_last_error(mm));
		else if (run > id && !h->mm)
			h->mm = range;
		id = run;
	}
}

/*
 * Build a model that mirrors tree t: present blocks are boot memory of their node, in runs of
 * consecutive blocks (holes between runs), except those of hot (the System RAM known to be
 * hot-added, whose .mm this sets), which are added after boot; then every block is put in the
 * kernel's state.
 */
static int mirror_build(struct pmm_daemon *d, const struct sysfs_memory *t,
			struct pmm_hot_ram_list *hot, struct mm_model **out, char **errmsg)
{
	struct mm_model *mm = NULL;
	struct mm_params p;
	uint64_t bs = t->block_size;
	size_t i, j, nr_off = 0;
	bool changed;
	int r;

	*out = NULL;
	mm_params_default(&p, d->cfg.arch);
	p.model = d->cfg.model;
	p.block_size = bs;
	p.online_policy = d->policy.zone_policy;
	p.auto_movable_ratio = d->policy.ratio;
	/* as the sim backend's model: no poisoning, every CPU, zero tails (backend-sim.c) */
	p.page_init_poisoning = false;
	p.memmap_init_threads = 0;
	p.vmemmap_zero_tails = true;
	/*
	 * a mirror of a large host must not cost what the kernel's memmap does: boot memory's
	 * struct pages are initialised when something asks for them (a lookup, a reference, an
	 * online or offline of the block), the rest costs nothing
	 */
	p.deferred_struct_page_init = true;
	r = mm_model_create(&p, &mm);
	if (r < 0) {
		if (asprintf(errmsg, "cannot model the kernel's memory (%s, %s, block size 0x%" PRIx64 "): %s",
			     d->cfg.arch->name, mm_memory_model_name(d->cfg.model), bs,
			     strerror(-r)) < 0)
			*errmsg = NULL;
		return r;
	}
	for (i = 0; i < t->nr_blocks; i = j) {
		int nid = t->blocks[i].nid < 0 ? 0 : t->blocks[i].nid;

		if (pmm_hot_ram_covers(hot, t->blocks[i].id * bs)) {
			j = i + 1;
			continue;
		}
		for (j = i + 1; j < t->nr_blocks && t->blocks[j].id == t->blocks[j - 1].id + 1 &&
				(t->blocks[j].nid < 0 ? 0 : t->blocks[j].nid) == nid &&
				!pmm_hot_ram_covers(hot, t->blocks[j].id * bs); j++)
			;
		r = mm_boot_memory_add(mm, t->blocks[i].id * bs, (j - i) * bs, nid);
		if (r < 0) {
			if (asprintf(errmsg, "memory blocks %" PRIu64 "-%" PRIu64 " (node %d): %s",
				     t->blocks[i].id, t->blocks[j - 1].id, nid, mm_last_error(mm)) < 0)
				*errmsg = NULL;
			mm_model_destroy(mm);
			return r;
		}
	}
	r = mm_boot_init(mm);
	if (r < 0) {
		if (asprintf(errmsg, "cannot boot the mirror model: %s", mm_last_error(mm)) < 0)
			*errmsg = NULL;
		mm_model_destroy(mm);
		return r;
	}
	for (i = 0; i < hot->n; i++)
		mirror_add_hot(t, mm, &hot->v[i]);
	for (i = 0; i < t->nr_blocks; i++) {
		const struct sysfs_memory_block *b = &t->blocks[i];
		char blk[96];

		if (b->phys_index != b->id)
			pmm_log_warn("mirror: memory%" PRIu64 " has phys_index %" PRIx64, b->id,
				     b->phys_index);
		r = model_follow_block(mm, bs, b->id, b, &changed);
		if (r < 0)
			pmm_log_warn("mirror: the model cannot show %s as the kernel does (%s, %s): %s",
				     fmt_block(d->kernel, b->id, blk, sizeof(blk)), b->state_raw,
				     b->valid_zones, mm_last_error(mm));
		nr_off += b->state == MEM_OFFLINE;
	}
	/* compared once every block is in place: valid_zones depend on the neighbours' zones */
	for (i = 0; i < t->nr_blocks; i++)
		model_matches_block(d->kernel, mm, &t->blocks[i]);
	pmm_log_info("mirror: %zu memory blocks (%zu online, %zu offline) of 0x%" PRIx64 " bytes, %zu hot-added System RAM range%s",
		     t->nr_blocks, t->nr_blocks - nr_off, nr_off, bs, hot->n, hot->n == 1 ? "" : "s");
	*out = mm;
	return 0;
}

/* ================================================================ signals helpers */

/* ================================================================ namespaces */

static const struct pmm_nd_dev *nd_find(const struct pmm_kernel *k, const char *dev)
{
	size_t i;

	for (i = 0; i < k->nd.n; i++)
		if (!strcmp(k->nd.v[i].dev, dev))
			return &k->nd.v[i];
	return NULL;
}

static void ns_emit_object(struct pmm_daemon *d, const char *name, bool added)
{
	_cleanup_(freep) char *path = NULL;
	int r;

	if (d->replaying || !d->bus || pmm_namespace_path(name, &path) < 0)
		return;
	r = added ? sd_bus_emit_object_added(d->bus, path) : sd_bus_emit_object_removed(d->bus, path);
	if (r < 0)
		pmm_log_warn("cannot announce namespace %s %s: %s", name, added ? "added" : "removed",
			     strerror(-r));
}

/*
 * d->ns follows the scan: one entry per nd namespace (not per dax device), keeping the model
 * use of those that stay. cfg.start/size are the raw namespace (the nvdimm pfn layout is
 * computed from it). A namespace gone from the kernel but still mapped in the model stays
 * until its range is removed.
 */
static int namespaces_sync(struct pmm_daemon *d, bool announce)
{
	struct pmm_kernel *k = d->kernel;
	struct pmm_namespace *nv;
	size_t i, j, n = 0;

	nv = calloc(k->nd.n + d->nr_ns + 1, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	for (i = 0; i < k->nd.n; i++) {
		const struct pmm_nd_dev *e = &k->nd.v[i];
		struct pmm_namespace *old, *ns;

		if (!e->is_namespace)
			continue;
		old = pmm_namespace_find(d, e->dev);
		ns = &nv[n++];
		if (old)
			*ns = *old;
		snprintf(ns->cfg.name, sizeof(ns->cfg.name), "%s", e->dev);
		ns->cfg.start = e->ns_start;
		ns->cfg.size = e->ns_size;
		ns->cfg.numa_node = e->numa_node < 0 ? 0 : e->numa_node;
		ns->backing = NULL;
	}
	for (i = 0; i < d->nr_ns; i++) {
		bool kept = false;

		for (j = 0; j < n && !kept; j++)
			kept = !strcmp(nv[j].cfg.name, d->ns[i].cfg.name);
		if (kept)
			continue;
		if (d->ns[i].range_id) {
			pmm_log_warn("namespace %s is gone from the kernel but still mapped in the model as range %" PRIu64,
				     d->ns[i].cfg.name, d->ns[i].range_id);
			nv[n] = d->ns[i];
			nv[n++].backing = NULL;
			continue;
		}
		if (announce)
			ns_emit_object(d, d->ns[i].cfg.name, false);
	}
	for (i = 0; i < d->nr_ns; i++)
		free(d->ns[i].backing);
	free(d->ns);
	/* which are new: announced after the swap, so the object can be found */
	d->ns = nv;
	d->nr_ns = n;
	return 0;
}

static int namespaces_refresh(struct pmm_daemon *d, struct pmm_signals *sigs)
{
	struct pmm_kernel *k = d->kernel;
	struct pmm_nd_scan old = k->nd;
	_cleanup_(freep) char *errmsg = NULL;
	size_t i;
	int r;

	if (!k->live)
		return 0;
	r = pmm_nd_scan(&k->nd, &errmsg);
	if (r < 0) {
		pmm_log_warn("%s", errmsg ? errmsg : strerror(-r));
		k->nd = old;
		return r;
	}
	r = namespaces_sync(d, sigs != NULL);
	if (r >= 0 && sigs) {
		for (i = 0; i < d->nr_ns; i++) {
			const char *name = d->ns[i].cfg.name;
			size_t j;
			bool existed = false;

			for (j = 0; j < old.n && !existed; j++)
				existed = old.v[j].is_namespace && !strcmp(old.v[j].dev, name);
			if (!existed)
				ns_emit_object(d, name, true);
			else
				pmm_sig_add(sigs, PMM_SIG_CHANGED, PMM_SIG_NAMESPACE, i, 0);
		}
	}
	pmm_nd_scan_free(&old);
	pmm_log_info("ndctl: %u nd bus%s, %u region%s, %zu namespace%s and dax device%s",
		     k->nd.nr_buses, k->nd.nr_buses == 1 ? "" : "es", k->nd.nr_regions,
		     k->nd.nr_regions == 1 ? "" : "s", k->nd.n, k->nd.n == 1 ? "" : "s",
		     k->nd.n == 1 ? "" : "s");
	return r;
}

static bool nd_in_use(struct pmm_daemon *d, const struct pmm_nd_dev *e)
{
	struct pmm_namespace *ns = e->is_namespace ? pmm_namespace_find(d, e->dev) : NULL;

	return e->active || (ns && ns->range_id);
}

int pmm_kernel_list_namespaces(struct pmm_daemon *d, struct json_object *arr)
{
	struct pmm_kernel *k = d->kernel;
	size_t i;

	for (i = 0; i < k->nd.n; i++) {
		const struct pmm_nd_dev *e = &k->nd.v[i];
		json_object *o = json_object_new_object();

		if (!o)
			return -ENOMEM;
		json_object_object_add(o, PMM_J_DEV, json_object_new_string(e->dev));
		json_object_object_add(o, PMM_J_MODE, json_object_new_string(e->mode));
		json_object_object_add(o, PMM_J_START, json_object_new_uint64(e->start));
		json_object_object_add(o, PMM_J_SIZE, json_object_new_uint64(e->size));
		json_object_object_add(o, PMM_J_ALIGN, json_object_new_uint64(e->align));
		json_object_object_add(o, PMM_J_NUMA_NODE, json_object_new_int(e->numa_node));
		json_object_object_add(o, PMM_J_MAP, json_object_new_string(e->map));
		json_object_object_add(o, PMM_J_SOURCE, json_object_new_string("ndctl"));
		json_object_object_add(o, PMM_J_IN_USE, json_object_new_boolean(nd_in_use(d, e)));
		json_object_array_add(arr, o);
	}
	return 0;
}

int pmm_kernel_namespace_property(struct pmm_daemon *d, const struct pmm_namespace *ns,
				  const char *property, sd_bus_message *reply,
				  sd_bus_error *error)
{
	const struct pmm_nd_dev *e = nd_find(d->kernel, ns->cfg.name);
	const struct pmm_nd_dev none = { .mode = "raw", .map = "none" };

	if (!e) {
		/* still mapped in the model, gone from the kernel */
		e = &none;
	}
	if (!strcmp(property, "Dev"))
		return sd_bus_message_append(reply, "s", ns->cfg.name);
	if (!strcmp(property, "Mode"))
		return sd_bus_message_append(reply, "s", e->mode);
	if (!strcmp(property, "Start"))
		return sd_bus_message_append(reply, "t", e == &none ? ns->cfg.start : e->start);
	if (!strcmp(property, "Size"))
		return sd_bus_message_append(reply, "t", e == &none ? ns->cfg.size : e->size);
	if (!strcmp(property, "Align"))
		return sd_bus_message_append(reply, "t", e->align);
	if (!strcmp(property, "NumaNode"))
		return sd_bus_message_append(reply, "i", e == &none ? ns->cfg.numa_node : e->numa_node);
	if (!strcmp(property, "Map"))
		return sd_bus_message_append(reply, "s", e->map);
	if (!strcmp(property, "Source"))
		return sd_bus_message_append(reply, "s", "ndctl");
	if (!strcmp(property, "InUse"))
		return sd_bus_message_append(reply, "b",
					     (int)(ns->range_id != 0 || (e != &none && e->active)));
	return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY, "unknown property %s",
				 property);
}

/* ================================================================ following the kernel */

/* The model's zone choice for onlining block id with type (the daemon's policy decides). */
static const char *online_word(struct pmm_daemon *d, uint64_t id, enum mm_online_type type)
{
	uint64_t bs = d->kernel->block_size;
	enum mm_zone_type zone;

	if (type == MMOP_ONLINE_KERNEL)
		return "online_kernel";
	if (type == MMOP_ONLINE_MOVABLE)
		return "online_movable";
	/* "online": the zone policy is the daemon's, so say explicitly which zone it chose */
	if (mm_zone_for_range(d->mm, id * bs, bs, MMOP_ONLINE, &zone) < 0)
		return "online";
	return zone == ZONE_MOVABLE ? "online_movable" : "online_kernel";
}

/* The ranges of the model changed under the daemon (hot-add or remove seen by udev). */
static void sync_range_ids(struct pmm_daemon *d, bool adding)
{
	uint64_t created;
	int r = pmm_range_ids_sync(d, adding, 0, &created);

	if (r < 0)
		pmm_log_err("cannot name the model's ranges: %s", strerror(-r));
}

/*
 * Re-read block id and make the model follow. absent: the kernel said it is gone (a remove
 * event), whatever the directory still shows. Signals for what changed go to sigs (may be
 * NULL). Returns 1 when the block exists (*out filled if given), 0 when it does not, -errno
 * when sysfs cannot be read. A model that cannot follow asks for a rebuild.
 */
static int follow_block(struct pmm_daemon *d, uint64_t id, bool absent,
			struct sysfs_memory_block *out, struct pmm_signals *sigs)
{
	struct pmm_kernel *k = d->kernel;
	struct sysfs_memory_block b;
	struct mm_block_info mi;
	bool known = mm_memory_block_info(d->mm, id, &mi) == 0, changed, present = false;
	uint64_t bs = k->block_size;
	char blk[96];
	int r;

	if (!absent) {
		r = sysfs_memory_block_read(k->memory_dir, id, &b);
		if (r < 0 && r != -ENOENT)
			return r;
		present = r == 0;
	}
	if (present && out)
		*out = b;
	r = model_follow_block(d->mm, bs, id, present ? &b : NULL, &changed);
	if (r < 0) {
		pmm_log_warn("mirror: the model cannot follow %s (%s); rebuilding the mirror",
			     fmt_block(k, id, blk, sizeof(blk)), mm_last_error(d->mm));
		k->rebuild = true;
		return present;
	}
	/* a block the model added or removed is a System RAM range appearing or going */
	if (known != present)
		sync_range_ids(d, present);
	if (sigs && changed)
		pmm_sig_add(sigs, !known ? PMM_SIG_ADDED : present ? PMM_SIG_CHANGED : PMM_SIG_REMOVED,
			    PMM_SIG_BLOCKS, id * bs, bs);
	return present;
}


static int collect_model_block(const struct mm_block_info *b, void *arg)
{
	return id_push(arg, b->id);
}

static int kernel_apply(struct pmm_daemon *d, struct pmm_op *op, uint64_t pub);

/*
 * Rebuild the mirror from a fresh read of sysfs: a new model replaces the old one, the
 * namespaces the model had mapped are mapped again under their bus ids, and every block and
 * range that differs is announced.
 */
static int mirror_rebuild(struct pmm_daemon *d, struct pmm_signals *sigs, char **errmsg)
{
	struct pmm_kernel *k = d->kernel;
	_cleanup_(sysfs_memory_free) struct sysfs_memory t = { 0 };
	struct pmm_range_set before = { 0 };
	struct pmm_hot_ram_list hot = { 0 };
	struct id_list old_ids = { 0 };
	struct mm_model *mm, *old;
	size_t i, j;
	int r;

	k->rebuild = false;
	r = sysfs_memory_read(k->memory_dir, &t, errmsg);
	if (r < 0)
		return r;
	for (i = 0, j = 0; i < t.nr_blocks; i++)
		if (!id_in(&k->gone, t.blocks[i].id))
			t.blocks[j++] = t.blocks[i];
	t.nr_blocks = j;
	if (t.block_size != k->block_size) {
		if (asprintf(errmsg, "the kernel's memory block size changed from 0x%" PRIx64 " to 0x%" PRIx64,
			     k->block_size, t.block_size) < 0)
			*errmsg = NULL;
		return -EINVAL;
	}
	/* the ranges the kernel hot-added stay hot-added, under the same bus ids */
	r = pmm_hot_ram_collect(d, &hot);
	if (r >= 0)
		r = mirror_build(d, &t, &hot, &mm, errmsg);
	if (r < 0) {
		pmm_hot_ram_free(&hot);
		return r;
	}
	pmm_range_set_take(d, &before);
	mm_for_each_memory_block(d->mm, collect_model_block, &old_ids);
	old = d->mm;
	d->mm = mm;

	/* libmm numbers ranges afresh: forget every piece, then map the namespaces again */
	d->rids.n = 0;
	pmm_hot_ram_name(d, &hot);
	pmm_hot_ram_free(&hot);
	/* the other pieces now: a namespace mapped again would take every unnamed one */
	sync_range_ids(d, false);
	for (i = 0; i < d->nr_ns; i++) {
		struct pmm_namespace *ns = &d->ns[i];
		struct pmm_op op = { .kind = PMM_OP_ADD_NAMESPACE, .range_id = ns->range_id,
				     .impose_range_id = true, .pgmap_type = ns->type,
				     .map_dev = ns->map_dev, .align = ns->align };

		if (!ns->range_id)
			continue;
		snprintf(op.ns_name, sizeof(op.ns_name), "%s", ns->cfg.name);
		ns->range_id = 0;
		if (kernel_apply(d, &op, op.range_id) < 0)
			pmm_log_warn("mirror: namespace %s cannot be mapped again: %s", ns->cfg.name,
				     d->why);
	}
	sync_range_ids(d, false);

	if (sigs) {
		for (i = 0; i < old_ids.n; i++) {
			struct mm_block_info a, b;
			uint64_t id = old_ids.v[i], bs = k->block_size;

			mm_memory_block_info(old, id, &a);
			if (mm_memory_block_info(mm, id, &b) < 0)
				pmm_sig_add(sigs, PMM_SIG_REMOVED, PMM_SIG_BLOCKS, id * bs, bs);
			else if (a.state != b.state || a.zone != b.zone || a.nid != b.nid ||
				 strcmp(a.valid_zones, b.valid_zones))
				pmm_sig_add(sigs, PMM_SIG_CHANGED, PMM_SIG_BLOCKS, id * bs, bs);
		}
		for (i = 0; i < t.nr_blocks; i++) {
			struct mm_block_info a;
			uint64_t id = t.blocks[i].id, bs = k->block_size;

			if (mm_memory_block_info(old, id, &a) < 0)
				pmm_sig_add(sigs, PMM_SIG_ADDED, PMM_SIG_BLOCKS, id * bs, bs);
		}
		pmm_range_set_diff(d, &before, sigs);
	}
	mm_model_destroy(old);
	pmm_range_set_free(&before);
	free(old_ids.v);
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Re-read every block (Rescan, or events were lost): follow, rebuild if the model cannot. */
static int resync_all(struct pmm_daemon *d, struct pmm_signals *sigs, char **errmsg)
{
	struct pmm_kernel *k = d->kernel;
	_cleanup_(sysfs_memory_free) struct sysfs_memory t = { 0 };
	struct id_list ids = { 0 };
	struct pmm_range_set before = { 0 };
	uint64_t bs = k->block_size;
	size_t i;
	int r;

	r = sysfs_memory_read(k->memory_dir, &t, errmsg);
	if (r < 0)
		return r;
	snprintf(k->kernel_auto_online, sizeof(k->kernel_auto_online), "%s", t.auto_online_blocks);
	pmm_range_set_take(d, &before);
	/* every block the model or the kernel knows, each once */
	r = mm_for_each_memory_block(d->mm, collect_model_block, &ids);
	for (i = 0; r >= 0 && i < t.nr_blocks; i++)
		r = id_push(&ids, t.blocks[i].id);
	if (r >= 0 && ids.n)
		qsort(ids.v, ids.n, sizeof(*ids.v), cmp_id);
	for (i = 0; r >= 0 && i < ids.n && !k->rebuild; i++) {
		const struct sysfs_memory_block *b = sysfs_memory_find(&t, ids.v[i]);
		struct mm_block_info mi;
		bool known = mm_memory_block_info(d->mm, ids.v[i], &mi) == 0, changed;

		if (i && ids.v[i] == ids.v[i - 1])
			continue;
		if (model_follow_block(d->mm, bs, ids.v[i], b, &changed) < 0) {
			k->rebuild = true;
			break;
		}
		if (changed && sigs)
			pmm_sig_add(sigs, !known ? PMM_SIG_ADDED : b ? PMM_SIG_CHANGED : PMM_SIG_REMOVED,
				    PMM_SIG_BLOCKS, ids.v[i] * bs, bs);
		if (known != (b != NULL))
			sync_range_ids(d, b != NULL);
	}
	free(ids.v);
	if (r < 0) {
		pmm_range_set_free(&before);
		return r;
	}
	if (k->rebuild) {
		pmm_range_set_free(&before);
		return mirror_rebuild(d, sigs, errmsg);
	}
	if (sigs)
		pmm_range_set_diff(d, &before, sigs);
	pmm_range_set_free(&before);
	return 0;
}

/* ================================================================ writing the state */

/*
 * The kernel's errno for a state write, as the contract's classification and a sentence that
 * says what was refused and why (drivers/base/memory.c, mm/memory_hotplug.c; kernel-model.md
 * section 13). fresh is the block re-read after the refusal.
 */
static enum mm_cause classify_state_errno(bool online, int err,
					  const struct sysfs_memory_block *fresh, char *hint,
					  size_t len)
{
	switch (-err) {
	case EBUSY:
		snprintf(hint, len, online ? "the kernel is busy with the block" :
			 "the block holds unmovable pages (page isolation failed)");
		return MM_CAUSE_BUSY;
	case EINVAL:
		if (fresh && online && fresh->state == MEM_ONLINE) {
			snprintf(hint, len, "the block is already online");
			return MM_CAUSE_STATE;
		}
		if (fresh && !online && fresh->state == MEM_OFFLINE) {
			snprintf(hint, len, "the block is already offline");
			return MM_CAUSE_STATE;
		}
		if (!online) {
			snprintf(hint, len, "block spans several zones and can never be offlined (or it has memory holes)");
			return MM_CAUSE_UNSUPPORTED;
		}
		snprintf(hint, len, "the kernel does not accept this online type for the block");
		return MM_CAUSE_INVALID;
	case EINTR:
		snprintf(hint, len, "a signal interrupted the kernel before the block was %s; try again",
			 online ? "onlined" : "offlined");
		return MM_CAUSE_BUSY;
	case EAGAIN:
		snprintf(hint, len, "the device hotplug lock was contended; try again");
		return MM_CAUSE_BUSY;
	case EPERM:
		snprintf(hint, len, "a memory notifier vetoed the change (NOTIFY_BAD)");
		return MM_CAUSE_BUSY;
	case EHWPOISON:
		snprintf(hint, len, "the block contains hardware-poisoned pages");
		return MM_CAUSE_STATE;
	case ENOMEM:
		snprintf(hint, len, "the kernel ran out of memory for the %s",
			 online ? "memmap or zone setup" : "page migration");
		return MM_CAUSE_NOMEM;
	case ENOENT:
	case ENODEV:
		snprintf(hint, len, "the block disappeared");
		return MM_CAUSE_NOENT;
	case EACCES:
		snprintf(hint, len, "pmm-hotplugd may not write the state file (it needs root)");
		return MM_CAUSE_NONE;
	}
	snprintf(hint, len, "%s", strerror(-err));
	return MM_CAUSE_NONE;
}

static int write_block_state(struct pmm_kernel *k, uint64_t id, const char *word)
{
	_cleanup_(freep) char *path = NULL;
	int r = sysfs_block_attr_path(k->memory_dir, id, "state", &path);

	if (r < 0)
		return r;
	return sysfs_write_attr(path, word);
}

/* A block changed by a request, and the word that puts it back. */
struct undo_step {
	uint64_t id;
	const char *restore;
};

/*
 * Put back the blocks a failed request changed, newest first. Appends to msg what could not be
 * put back (the rollback's own failure is part of the answer).
 */
static void rollback_blocks(struct pmm_daemon *d, const struct undo_step *undo, size_t n,
			    char *msg, size_t len)
{
	struct pmm_kernel *k = d->kernel;
	size_t off = strlen(msg), i;
	unsigned int failed = 0;
	char blk[96];

	for (i = n; i-- > 0;) {
		int r = write_block_state(k, undo[i].id, undo[i].restore);

		if (r < 0) {
			failed++;
			off += (size_t)snprintf(msg + off, off < len ? len - off : 0,
						"; rollback: writing \"%s\" to %s failed (%s), it stays changed",
						undo[i].restore, fmt_block(k, undo[i].id, blk, sizeof(blk)),
						errno_name(r));
			pmm_log_err("rollback: cannot write \"%s\" to %s: %s", undo[i].restore, blk,
				    strerror(-r));
		}
		follow_block(d, undo[i].id, false, NULL, NULL);
	}
	if (n && !failed)
		snprintf(msg + off, off < len ? len - off : 0,
			 "; the %zu block%s already changed %s put back", n, n == 1 ? "" : "s",
			 n == 1 ? "was" : "were");
}

/* OnlineMemory / OfflineMemory: one state write per block, all or nothing. */
static int kernel_set_state(struct pmm_daemon *d, const struct pmm_op *op)
{
	struct pmm_kernel *k = d->kernel;
	bool online = op->kind == PMM_OP_ONLINE;
	uint64_t bs = k->block_size, first = op->start / bs, n = op->size / bs, i;
	_cleanup_(freep) struct sysfs_memory_block *blocks = NULL;
	_cleanup_(freep) struct undo_step *undo = NULL;
	char blk[96], hint[160], msg[512];
	size_t done = 0;
	int r;

	blocks = calloc(n, sizeof(*blocks));
	undo = calloc(n, sizeof(*undo));
	if (!blocks || !undo)
		return kernel_fail(d, -ENOMEM, MM_CAUSE_NOMEM, "out of memory");

	/* every block must exist and be in the other state before anything is written */
	for (i = 0; i < n; i++) {
		struct sysfs_memory_block *b = &blocks[i];

		fmt_block(k, first + i, blk, sizeof(blk));
		r = sysfs_memory_block_read(k->memory_dir, first + i, b);
		if (r == -ENOENT)
			return kernel_fail(d, r, MM_CAUSE_NOENT,
					   "there is no %s: the range must be made of present memory blocks",
					   blk);
		if (r < 0)
			return kernel_fail(d, -EIO, MM_CAUSE_NONE, "cannot read %s from sysfs: %s; nothing was changed",
					   blk, r == -EINVAL ? "unexpected contents" : strerror(-r));
		if (b->state == MEM_GOING_OFFLINE)
			return kernel_fail(d, -EBUSY, MM_CAUSE_BUSY,
					   "%s is being offlined right now; nothing was changed", blk);
		if (online && b->state == MEM_ONLINE)
			return kernel_fail(d, -EINVAL, MM_CAUSE_STATE,
					   "%s is already online (zone %s), as its state file would answer (EINVAL); nothing was changed",
					   blk, b->valid_zones[0] ? b->valid_zones : "unknown");
		if (!online && b->state == MEM_OFFLINE)
			return kernel_fail(d, -EINVAL, MM_CAUSE_STATE,
					   "%s is already offline, as its state file would answer (EINVAL); nothing was changed",
					   blk);
		if (!online && !strcmp(b->valid_zones, "none"))
			return kernel_fail(d, -EINVAL, MM_CAUSE_UNSUPPORTED,
					   "%s spans several zones or nodes (valid_zones: none): block spans several zones and can never be offlined; nothing was changed",
					   blk);
	}

	for (i = 0; i < n; i++) {
		uint64_t id = first + i;
		const char *word = online ? online_word(d, id, op->online_type) : "offline";
		struct sysfs_memory_block fresh;
		enum mm_cause cause;

		r = write_block_state(k, id, word);
		if (r < 0) {
			bool have = sysfs_memory_block_read(k->memory_dir, id, &fresh) == 0;

			cause = classify_state_errno(online, r, have ? &fresh : NULL, hint,
						     sizeof(hint));
			snprintf(msg, sizeof(msg), "the kernel refused to %s %s (writing \"%s\": %s): %s",
				 online ? "online" : "offline", fmt_block(k, id, blk, sizeof(blk)),
				 word, errno_name(r), hint);
			rollback_blocks(d, undo, done, msg, sizeof(msg));
			follow_block(d, id, false, NULL, NULL);
			return kernel_fail(d, r, cause, "%s", msg);
		}
		undo[done].id = id;
		undo[done].restore = online ? "offline" :
			blocks[i].zone == ZONE_MOVABLE ? "online_movable" : "online_kernel";
		done++;
		/* the kernel's word is final once write() returned: re-read, the model follows */
		r = follow_block(d, id, false, &fresh, NULL);
		if (r > 0 && (fresh.state == MEM_ONLINE) != online)
			pmm_log_warn("%s: the kernel accepted \"%s\" but the block reads %s",
				     fmt_block(k, id, blk, sizeof(blk)), word, fresh.state_raw);
	}
	pmm_log_info("kernel: %s %" PRIu64 " block%s from %" PRIu64 " (%s)",
		     online ? "onlined" : "offlined", n, n == 1 ? "" : "s", first,
		     online ? mm_online_type_name(op->online_type) : "offline");
	return 0;
}

/* ================================================================ probe (hot-add) */

static enum mm_cause classify_probe_errno(int err, char *hint, size_t len)
{
	switch (-err) {
	case EINVAL:
		snprintf(hint, len, "the address is not a memory block boundary the kernel accepts");
		return MM_CAUSE_MISALIGNED;
	case EEXIST:
	case EBUSY:
		snprintf(hint, len, "the range collides with a resource already present (iomem)");
		return MM_CAUSE_OVERLAP;
	case E2BIG:
	case ERANGE:
		snprintf(hint, len, "the range is outside what the kernel can hot-plug (mhp_range_allowed)");
		return MM_CAUSE_RANGE;
	case ENOMEM:
		snprintf(hint, len, "the kernel ran out of memory for the memmap");
		return MM_CAUSE_NOMEM;
	case EACCES:
		snprintf(hint, len, "pmm-hotplugd may not write the probe file (it needs root)");
		return MM_CAUSE_NONE;
	}
	snprintf(hint, len, "%s", strerror(-err));
	return MM_CAUSE_NONE;
}

/* AddMemory: CONFIG_ARCH_MEMORY_PROBE's probe file, one block per write. */
static int kernel_probe(struct pmm_daemon *d, struct pmm_op *op)
{
	struct pmm_kernel *k = d->kernel;
	uint64_t bs = k->block_size, first = op->start / bs, n = op->size / bs, i, range = 0;
	_cleanup_(freep) char *probe = NULL;
	struct sysfs_memory_block b;
	char blk[96], hint[160], rb[64];
	struct stat st;
	int r, nid = -1;
	bool one_node = true;

	if (asprintf(&probe, "%s/probe", k->memory_dir) < 0) {
		probe = NULL;
		return kernel_fail(d, -ENOMEM, MM_CAUSE_NOMEM, "out of memory");
	}
	if (stat(probe, &st) < 0)
		return kernel_fail(d, -EOPNOTSUPP, MM_CAUSE_UNSUPPORTED,
				   "this kernel has no memory probe interface (CONFIG_ARCH_MEMORY_PROBE): %s does not exist, so System RAM appears only when firmware (ACPI) or a driver (dax kmem, virtio-mem) adds it",
				   probe);
	if (op->mhp_flags & MHP_MEMMAP_ON_MEMORY)
		return kernel_fail(d, -EOPNOTSUPP, MM_CAUSE_UNSUPPORTED,
				   "the probe interface adds memory with MHP_NONE: memmap_on_memory cannot be asked for through it");
	for (i = 0; i < n; i++) {
		r = sysfs_memory_block_read(k->memory_dir, first + i, &b);
		if (r == 0)
			return kernel_fail(d, -EEXIST, MM_CAUSE_OVERLAP,
					   "%s is already present; nothing was added",
					   fmt_block(k, first + i, blk, sizeof(blk)));
	}
	for (i = 0; i < n; i++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "0x%" PRIx64, (first + i) * bs);
		r = sysfs_write_attr(probe, addr);
		if (r < 0) {
			enum mm_cause cause = classify_probe_errno(r, hint, sizeof(hint));
			char added[160] = "";

			if (i)
				snprintf(added, sizeof(added),
					 "; memory blocks %" PRIu64 "-%" PRIu64 " were added before and stay: Linux has no sysfs interface to remove memory",
					 first, first + i - 1);
			for (uint64_t j = 0; j < i; j++)
				follow_block(d, first + j, false, NULL, NULL);
			return kernel_fail(d, r, cause,
					   "the kernel refused to add %s (writing %s to %s: %s): %s%s",
					   fmt_block(k, first + i, blk, sizeof(blk)), addr, probe,
					   errno_name(r), hint, added);
		}
	}
	/* one System RAM range in the model when the kernel put all blocks on one node */
	for (i = 0; i < n; i++) {
		if (sysfs_memory_block_read(k->memory_dir, first + i, &b) < 0) {
			one_node = false;
			break;
		}
		if (nid >= 0 && b.nid != nid)
			one_node = false;
		nid = b.nid;
	}
	if (one_node && mm_add_memory(d->mm, nid < 0 ? 0 : nid, op->start, op->size, MHP_NONE,
				      &range) < 0)
		one_node = false;
	for (i = 0; i < n; i++)
		follow_block(d, first + i, false, NULL, NULL);
	pmm_log_info("kernel: probed %s (%" PRIu64 " block%s, node %d)",
		     fmt_range(rb, sizeof(rb), op->start, op->size), n, n == 1 ? "" : "s", nid);
	return 0;
}

/* ================================================================ namespaces in the model */

static int kernel_add_namespace(struct pmm_daemon *d, struct pmm_op *op)
{
	struct pmm_namespace *ns = pmm_namespace_find(d, op->ns_name);
	const struct pmm_nd_dev *e = ns ? nd_find(d->kernel, ns->cfg.name) : NULL;
	struct mm_pgmap_params p = { 0 };
	struct mm_nd_pfn pfn;
	uint64_t id = 0, align = op->align;
	bool map_dev = op->map_dev;
	enum mm_pgmap_type type = op->pgmap_type;
	int r;

	if (!ns)
		return kernel_fail(d, -ENOENT, MM_CAUSE_NOENT,
				   "no namespace named \"%s\" (ndctl list -N shows the namespaces)",
				   op->ns_name);
	if (ns->range_id)
		return kernel_fail(d, -EBUSY, MM_CAUSE_BUSY,
				   "namespace %s is already mapped in the model as range %" PRIu64,
				   ns->cfg.name, ns->range_id);
	/* a namespace the kernel already runs in fsdax/devdax mode is modelled as it runs */
	if (e && e->active && (!strcmp(e->mode, "fsdax") || !strcmp(e->mode, "devdax"))) {
		type = !strcmp(e->mode, "devdax") ? MEMORY_DEVICE_GENERIC : MEMORY_DEVICE_FS_DAX;
		map_dev = !strcmp(e->map, "dev");
		align = e->align;
	}
	r = mm_nd_pfn_init(d->mm, ns->cfg.start, ns->cfg.size, align, map_dev, &pfn);
	if (r < 0)
		return kernel_fail_mm(d, r);
	p.start = pfn.range_start;
	p.size = pfn.range_size;
	p.type = type;
	p.nid = ns->cfg.numa_node;
	p.align = type == MEMORY_DEVICE_GENERIC ? pfn.align : 0;
	p.has_altmap = pfn.map_dev;
	p.altmap = pfn.altmap;
	/* fsdax and device-dax need no driver callbacks (memremap_pages checks) */
	r = mm_memremap_pages(d->mm, &p, &id);
	if (r < 0)
		return kernel_fail_mm(d, r);
	ns->type = type;
	ns->map_dev = map_dev;
	ns->align = pfn.align;
	op->pgmap_type = type;
	op->map_dev = map_dev;
	op->align = align;
	return 0;
}

/* RemoveMemory: only a namespace's model range can go; the kernel has no sysfs remove. */
struct find_dev {
	uint64_t start, size, pub;
};

static int find_device_range(const struct mm_range_info *r, void *arg)
{
	struct find_dev *f = arg;

	if (r->device && r->start == f->start && r->size == f->size) {
		f->pub = r->id;
		return 1;
	}
	return 0;
}

struct find_ram {
	uint64_t start, pub;
};

static int find_ram_range(const struct mm_range_info *r, void *arg)
{
	struct find_ram *f = arg;

	if (!r->device && f->start >= r->start && f->start - r->start < r->size) {
		f->pub = r->id;
		return 1;
	}
	return 0;
}

static int kernel_remove(struct pmm_daemon *d, const struct pmm_op *op)
{
	struct find_dev f = { .start = op->start, .size = op->size };
	struct pmm_namespace *ns;
	char rb[64];
	int r;

	if (pmm_for_each_range(d, find_device_range, &f) == 1) {
		r = mm_memunmap_pages(d->mm, pmm_range_mm(d, f.pub));
		if (r < 0)
			return kernel_fail_mm(d, r);
		ns = pmm_namespace_for_range(d, f.pub);
		if (ns)
			ns->range_id = 0;
		return 0;
	}
	return kernel_fail(d, -EOPNOTSUPP, MM_CAUSE_UNSUPPORTED,
			   "cannot remove %s: Linux has no sysfs interface to remove memory; hot-remove happens when the driver that added it lets go (ACPI eject, dax kmem unbind, virtio-mem), and pmm-hotplugd does not unbind drivers",
			   fmt_range(rb, sizeof(rb), op->start, op->size));
}

/* ================================================================ requests */

static bool op_kernel_state(enum pmm_op_kind k)
{
	return k == PMM_OP_ADD_MEMORY || k == PMM_OP_ONLINE || k == PMM_OP_OFFLINE;
}

/* The managed-region guard: nothing outside a managed region is ever written. */
static int kernel_guard(struct pmm_daemon *d, uint64_t start, uint64_t size)
{
	char rb[64], regions[256];
	size_t i, off = 0;

	if (!d->cfg.nr_regions)
		return kernel_fail(d, -ERANGE, MM_CAUSE_RANGE,
				   "no managed region is configured: the kernel backend changes nothing until managed_regions (%s) says where it may act; %s is left alone",
				   d->cfg.source, fmt_range(rb, sizeof(rb), start, size));
	if (pmm_config_region_for(&d->cfg, start, size))
		return 0;
	regions[0] = '\0';
	for (i = 0; i < d->cfg.nr_regions && off < sizeof(regions); i++) {
		char r[64];

		off += (size_t)snprintf(regions + off, sizeof(regions) - off, "%s%s", i ? ", " : "",
					fmt_range(r, sizeof(r), d->cfg.regions[i].start,
						  d->cfg.regions[i].size));
	}
	return kernel_fail(d, -ERANGE, MM_CAUSE_RANGE,
			   "%s is not inside one managed region (%s): the kernel backend does not touch it",
			   fmt_range(rb, sizeof(rb), start, size), regions);
}

static int kernel_aligned(struct pmm_daemon *d, uint64_t start, uint64_t size)
{
	uint64_t bs = d->kernel->block_size;
	char rb[64], sz[32];

	if (size && !(start % bs) && !(size % bs))
		return 0;
	return kernel_fail(d, -EINVAL, MM_CAUSE_MISALIGNED,
			   "%s is not aligned to the kernel's memory block size (%s)",
			   fmt_range(rb, sizeof(rb), start, size),
			   pmm_format_size(bs, sz, sizeof(sz)));
}

static uint64_t op_bytes_start(const struct pmm_daemon *d, const struct pmm_op *op)
{
	/* pages ops carry pfns */
	if (op->kind == PMM_OP_GET_PAGES || op->kind == PMM_OP_PUT_PAGES)
		return op->start << mm_geometry(d->mm)->page_shift;
	return op->start;
}

static uint64_t op_bytes_size(const struct pmm_daemon *d, const struct pmm_op *op)
{
	if (op->kind == PMM_OP_GET_PAGES || op->kind == PMM_OP_PUT_PAGES)
		return op->size << mm_geometry(d->mm)->page_shift;
	return op->size;
}

static int kernel_apply_live(struct pmm_daemon *d, struct pmm_op *op, uint64_t pub)
{
	struct pmm_namespace *ns;
	uint64_t created = 0;
	int r;

	switch (op->kind) {
	case PMM_OP_SET_POLICY:
		if (!d->cfg.nr_regions && !d->replaying)
			return kernel_fail(d, -ERANGE, MM_CAUSE_RANGE,
					   "no managed region is configured: the auto-online policy of the kernel backend applies only inside managed_regions (%s), so there is nothing it could apply to",
					   d->cfg.source);
		d->policy = op->policy;
		mm_set_online_policy(d->mm, op->policy.zone_policy, op->policy.ratio);
		return 0;
	case PMM_OP_ADD_NAMESPACE:
		ns = pmm_namespace_find(d, op->ns_name);
		if (!d->replaying && ns && (r = kernel_guard(d, ns->cfg.start, ns->cfg.size)) < 0)
			return r;
		r = kernel_add_namespace(d, op);
		break;
	default:
		if (!d->replaying) {
			r = kernel_guard(d, op_bytes_start(d, op), op_bytes_size(d, op));
			if (r < 0)
				return r;
		}
		switch (op->kind) {
		case PMM_OP_ONLINE:
		case PMM_OP_OFFLINE:
			r = kernel_aligned(d, op->start, op->size);
			return r < 0 ? r : kernel_set_state(d, op);
		case PMM_OP_ADD_MEMORY:
			r = kernel_aligned(d, op->start, op->size);
			if (r >= 0)
				r = kernel_probe(d, op);
			break;
		case PMM_OP_REMOVE_MEMORY:
			r = kernel_remove(d, op);
			break;
		case PMM_OP_GET_PAGES:
		case PMM_OP_PUT_PAGES:
			return kernel_fail(d, -EOPNOTSUPP, MM_CAUSE_UNSUPPORTED,
					   "page references belong to the running kernel: the kernel backend cannot take or drop them");
		case PMM_OP_ADD_DEVICE:
			return kernel_fail(d, -EOPNOTSUPP, MM_CAUSE_UNSUPPORTED,
					   "ZONE_DEVICE memory is created by drivers (nvdimm, dax, GPU, CXL), not through sysfs: AddNamespace models a pmem namespace");
		default:
			return kernel_fail(d, -EINVAL, MM_CAUSE_INVALID, "unknown operation %d",
					   (int)op->kind);
		}
		break;
	}
	if (r < 0)
		return r;
	/* name the range the operation made; forget the ones it removed */
	r = pmm_range_ids_sync(d, op->kind != PMM_OP_REMOVE_MEMORY, pub, &created);
	if (r < 0)
		return kernel_fail(d, r, MM_CAUSE_NOMEM, "out of memory");
	if (op->kind == PMM_OP_ADD_MEMORY && !created) {
		/* blocks on several nodes became one range each: answer with the first */
		struct find_ram f = { .start = op->start };

		pmm_for_each_range(d, find_ram_range, &f);
		created = f.pub;
	}
	if (op->kind != PMM_OP_REMOVE_MEMORY)
		op->range_id = created;
	if (op->kind == PMM_OP_ADD_NAMESPACE && (ns = pmm_namespace_find(d, op->ns_name)))
		ns->range_id = created;
	return 0;
}

bool pmm_kernel_replay_skips(const struct pmm_daemon *d, const struct pmm_op *op)
{
	return d->kernel && d->replaying &&
	       (op_kernel_state(op->kind) || op->kind == PMM_OP_GET_PAGES ||
		op->kind == PMM_OP_PUT_PAGES || op->kind == PMM_OP_ADD_DEVICE);
}

/* One operation; pub: the bus id an add must carry (imposed, or a job's temporary id), or 0. */
static int kernel_apply(struct pmm_daemon *d, struct pmm_op *op, uint64_t pub)
{
	d->why[0] = '\0';
	d->cause = MM_CAUSE_NONE;
	/*
	 * Replay: the kernel kept (or, after a reboot, forgot) block states and hot-added memory
	 * itself, and sysfs was just read, so those records are history, not instructions. The
	 * range id stays as recorded so the journal's bookkeeping agrees.
	 */
	if (pmm_kernel_replay_skips(d, op))
		return 0;
	if (d->replaying && op->kind == PMM_OP_ADD_NAMESPACE) {
		if (!pmm_namespace_find(d, op->ns_name)) {
			pmm_log_warn("journal: namespace %s is gone from the kernel; not mapped again",
				     op->ns_name);
			return 0;
		}
		/* keep the recorded bus id: ranges of skipped records made the numbering differ */
		if (!pub)
			pub = op->range_id;
	}
	if (d->replaying && op->kind == PMM_OP_REMOVE_MEMORY) {
		struct find_dev f = { .start = op->start, .size = op->size };

		if (pmm_for_each_range(d, find_device_range, &f) != 1)
			return 0;
	}
	if (d->replaying && op->kind == PMM_OP_ADD_NAMESPACE) {
		uint64_t recorded = op->range_id;
		int r = kernel_apply_live(d, op, pub);

		/* the namespace may have been reconfigured since: the kernel wins, say so */
		if (r < 0) {
			pmm_log_warn("journal: namespace %s cannot be mapped again as recorded: %s",
				     op->ns_name, d->why);
			op->range_id = recorded;
		}
		return 0;
	}
	return kernel_apply_live(d, op, pub);
}

int pmm_kernel_work_step(struct pmm_daemon *d, struct pmm_work *w)
{
	int r = kernel_apply(d, &w->op, w->pub);

	if (r < 0)
		return r;
	kernel_ram_save(d);
	w->done = w->total;
	return 0;
}

/* ================================================================ udev events */

static bool parse_memory_sysname(const char *s, uint64_t *id)
{
	char *end;

	if (strncmp(s, "memory", 6) || s[6] < '0' || s[6] > '9')
		return false;
	errno = 0;
	*id = strtoull(s + 6, &end, 10);
	return !errno && !*end;
}

/*
 * A newly added block inside a managed region gets the daemon's auto-online policy, the way
 * the kernel's auto_online_blocks would (memhp_default_online_type) had it been set.
 */
static void auto_online_block(struct pmm_daemon *d, const struct sysfs_memory_block *b,
			      struct pmm_signals *sigs)
{
	struct pmm_kernel *k = d->kernel;
	enum mm_online_type type = d->policy.online_type;
	const char *word;
	char blk[96];
	int r;

	if (type == MMOP_OFFLINE || b->state != MEM_OFFLINE || !block_managed(d, b->id))
		return;
	word = online_word(d, b->id, type);
	fmt_block(k, b->id, blk, sizeof(blk));
	r = write_block_state(k, b->id, word);
	if (r < 0) {
		char hint[160];

		classify_state_errno(true, r, NULL, hint, sizeof(hint));
		pmm_log_warn("auto-online: the kernel refused \"%s\" for the new %s (%s): %s; it stays offline",
			     word, blk, errno_name(r), hint);
		return;
	}
	pmm_log_info("auto-online: new %s onlined (%s, policy %s)", blk, word,
		     pmm_policy_name(&d->policy));
	follow_block(d, b->id, false, NULL, sigs);
}

static void memory_event(struct pmm_daemon *d, const struct pmm_uevent *ev, uint64_t id,
			 struct pmm_signals *sigs)
{
	struct mm_block_info mi;
	struct sysfs_memory_block b;
	bool known = mm_memory_block_info(d->mm, id, &mi) == 0;
	int r;

	pmm_log_info("udev: %s memory%" PRIu64 " (seqnum %" PRIu64 ")", ev->action, id, ev->seqnum);
	if (!strcmp(ev->action, "remove"))
		id_push(&d->kernel->gone, id);
	else if (!strcmp(ev->action, "add"))
		id_drop(&d->kernel->gone, id);
	r = follow_block(d, id, !strcmp(ev->action, "remove"), &b, sigs);
	if (r < 0) {
		pmm_log_warn("udev: cannot read memory%" PRIu64 ": %s", id, strerror(-r));
		return;
	}
	/* only a block the daemon had never seen: its own probe already added the ones it made */
	if (r > 0 && !known && !strcmp(ev->action, "add") && mm_memory_block_info(d->mm, id, &mi) == 0)
		auto_online_block(d, &b, sigs);
}

static void kernel_uevents(const struct pmm_uevent *ev, size_t n, void *arg)
{
	struct pmm_daemon *d = arg;
	struct pmm_kernel *k = d->kernel;
	struct pmm_signals sigs = { 0 };
	struct pmm_range_set before = { 0 };
	_cleanup_(freep) char *errmsg = NULL;
	bool nd = false, rescan = false;
	size_t i;
	uint64_t id;

	/* a job's worker may be between two steps: the model is touched under its lock */
	pmm_model_lock(d);
	pmm_range_set_take(d, &before);
	for (i = 0; i < n; i++) {
		k->nr_events++;
		if (!strcmp(ev[i].action, "rescan"))
			rescan = true;
		else if (!strcmp(ev[i].subsystem, "memory") && parse_memory_sysname(ev[i].sysname, &id))
			memory_event(d, &ev[i], id, &sigs);
		else if (!strcmp(ev[i].subsystem, "nd") || !strcmp(ev[i].subsystem, "dax"))
			nd = true;
	}
	if (rescan || k->rebuild) {
		int r = rescan ? resync_all(d, &sigs, &errmsg) : mirror_rebuild(d, &sigs, &errmsg);

		if (r < 0)
			pmm_log_err("mirror: %s", errmsg ? errmsg : strerror(-r));
	}
	k->gone.n = 0;
	if (nd)
		namespaces_refresh(d, &sigs);
	pmm_range_set_diff(d, &before, &sigs);
	kernel_ram_save(d);
	pmm_sig_add(&sigs, PMM_SIG_CHANGED, PMM_SIG_COUNTERS, 0, 0);
	pmm_signals_emit(d, &sigs);
	pmm_model_unlock(d);
	pmm_signals_free(&sigs);
	pmm_range_set_free(&before);
	pmm_loop_rearm(d);
}

/* ================================================================ life cycle */

static bool sysfs_root_is_live(const char *root)
{
	size_t len = strlen(root);

	while (len > 1 && root[len - 1] == '/')
		len--;
	return len == 4 && !strncmp(root, "/sys", 4);
}

/* The model's arch should be the machine's: warn when the configuration says otherwise. */
static void check_arch(const struct pmm_daemon *d)
{
	static const struct {
		const char *machine, *prefix;
	} arches[] = {
		{ "x86_64", "x86_64" }, { "aarch64", "arm64" }, { "ppc64le", "ppc64" },
		{ "ppc64", "ppc64" }, { "s390x", "s390x" }, { "riscv64", "riscv64" },
	};
	struct utsname u;
	size_t i;

	if (uname(&u) < 0)
		return;
	for (i = 0; i < ARRAY_SIZE(arches); i++)
		if (!strcmp(u.machine, arches[i].machine) &&
		    strncmp(d->cfg.arch->name, arches[i].prefix, strlen(arches[i].prefix)))
			pmm_log_warn("the configuration says arch %s, this machine is %s: the model's geometry may not match the kernel's",
				     d->cfg.arch->name, u.machine);
}

__attribute__((format(printf, 3, 4)))
static int init_fail(char **errmsg, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(errmsg, fmt, ap) < 0)
		*errmsg = NULL;
	va_end(ap);
	return r;
}

int pmm_kernel_init(struct pmm_daemon *d, char **errmsg)
{
	_cleanup_(sysfs_memory_free) struct sysfs_memory t = { 0 };
	struct pmm_hot_ram_list hot = { 0 };
	struct pmm_kernel *k;
	char sz[32];
	size_t i;
	int r;

	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	d->kernel = k;
	r = sysfs_memory_dir(d->cfg.sysfs_root, &k->memory_dir);
	if (r < 0)
		return r;
	k->live = sysfs_root_is_live(d->cfg.sysfs_root);

	/* open the monitor before reading: what changes while we read is queued, not lost */
	if (k->live) {
		r = pmm_udev_open(&k->udev, errmsg);
		if (r < 0)
			return r;
	} else {
		pmm_log_info("sysfs root %s is not /sys: udev events and libndctl (which read the real /sys) are not used",
			     d->cfg.sysfs_root);
	}

	r = sysfs_memory_read(k->memory_dir, &t, errmsg);
	if (r < 0)
		return r;
	k->block_size = t.block_size;
	snprintf(k->kernel_auto_online, sizeof(k->kernel_auto_online), "%s", t.auto_online_blocks);
	for (i = 0; i < d->cfg.nr_regions; i++)
		if (d->cfg.regions[i].start % k->block_size || d->cfg.regions[i].size % k->block_size)
			return init_fail(errmsg, -EINVAL,
					 "%s: key 'managed_regions[%zu]': not aligned to the kernel's memory block size %s (%s/block_size_bytes)",
					 d->cfg.source, i, pmm_format_size(k->block_size, sz, sizeof(sz)),
					 k->memory_dir);
	/* the journal's identity and every size check use the kernel's block size */
	d->cfg.block_size = k->block_size;
	d->policy = d->cfg.policy;
	check_arch(d);

	r = pmm_hot_ram_load(d, &k->ram, &hot);
	if (r >= 0)
		r = mirror_build(d, &t, &hot, &d->mm, errmsg);
	if (r >= 0)
		pmm_hot_ram_name(d, &hot);
	pmm_hot_ram_free(&hot);
	if (r < 0)
		return r;
	/*
	 * Name the rest now (pieces of a range the kernel cut while the daemon was down), above
	 * every id the record knew: an add replayed from the journal names every unnamed piece.
	 */
	sync_range_ids(d, false);

	d->ns = calloc(1, sizeof(*d->ns));
	if (!d->ns)
		return -ENOMEM;
	d->nr_ns = 0;
	if (k->live)
		namespaces_refresh(d, NULL);

	pmm_log_info("kernel backend: %s, block size %s, kernel auto_online_blocks=%s, probe %s, %s",
		     k->memory_dir, pmm_format_size(k->block_size, sz, sizeof(sz)),
		     k->kernel_auto_online, t.has_probe ? "available" : "not available",
		     d->cfg.nr_regions ? "managed regions configured" :
		     "no managed region: nothing will be changed");
	if (d->cfg.nr_regions && strcmp(k->kernel_auto_online, "offline") &&
	    strcmp(k->kernel_auto_online, "unknown"))
		pmm_log_warn("the kernel onlines new memory itself (auto_online_blocks=%s): the daemon's policy applies only to blocks that arrive offline",
			     k->kernel_auto_online);
	return 0;
}

int pmm_kernel_start(struct pmm_daemon *d)
{
	struct pmm_kernel *k = d->kernel;
	int r;

	/* the journal is replayed and its directory open: record what the mirror knows */
	k->ram_save = true;
	kernel_ram_save(d);
	if (!k->udev)
		return 0;
	r = pmm_udev_attach(k->udev, d->loop.base, kernel_uevents, d);
	if (r < 0)
		return r;
	pmm_log_info("udev: listening to memory, nd and dax events (group \"%s\")",
		     pmm_udev_group(k->udev));
	/* events that arrived while starting: the tree read may already show them, which is fine */
	pmm_udev_drain(k->udev);
	return 0;
}

int pmm_kernel_rescan(struct pmm_daemon *d)
{
	struct pmm_signals sigs = { 0 };
	_cleanup_(freep) char *errmsg = NULL;
	int r;

	d->why[0] = '\0';
	d->cause = MM_CAUSE_NONE;
	r = resync_all(d, &sigs, &errmsg);
	if (r >= 0 && d->kernel->live)
		namespaces_refresh(d, &sigs);
	kernel_ram_save(d);
	if (r < 0) {
		pmm_signals_free(&sigs);
		return kernel_fail(d, r, MM_CAUSE_NONE, "%s", errmsg ? errmsg : strerror(-r));
	}
	pmm_sig_add(&sigs, PMM_SIG_CHANGED, PMM_SIG_COUNTERS, 0, 0);
	pmm_signals_emit(d, &sigs);
	pmm_signals_free(&sigs);
	return 0;
}

void pmm_kernel_free(struct pmm_daemon *d)
{
	struct pmm_kernel *k = d->kernel;

	if (!k)
		return;
	pmm_udev_close(k->udev);
	pmm_nd_scan_free(&k->nd);
	free(k->gone.v);
	free(k->ram.last);
	free(k->memory_dir);
	free(k);
	d->kernel = NULL;
}
