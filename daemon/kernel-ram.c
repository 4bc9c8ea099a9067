/* SPDX-License-Identifier: MIT */
/*
 * System RAM the kernel hot-added since it booted, remembered across a mirror rebuild and a
 * daemon restart.
 *
 * Why: sysfs does not say whether a memory block was there at boot or was hot-added later
 * (probe, ACPI, dax kmem and virtio-mem all make the same memory<N> directory), but the model
 * does: boot memory is early sections with a boot memmap, hot-added memory is a System RAM
 * range (a resource the driver owns) with its own memmap. A mirror built from sysfs alone would
 * turn every hot-added range into boot memory, so the kernel backend keeps what it learnt:
 *
 *   - across a rebuild, from the model being replaced;
 *   - across a restart, in the state directory ("kernel-ram.json"), rewritten atomically each
 *     time the set of ranges changes, and bound to the kernel's boot id: after a reboot the
 *     kernel forgot its hot-added memory (what firmware now reports is boot memory), so a file
 *     from another boot is dropped.
 *
 * The file is a cache of facts about the running kernel, not acknowledged state: one that
 * cannot be read is reported and ignored (the blocks come back as boot memory), it never stops
 * the daemon. Each range keeps its bus id, so a RAM range has the same object path before and
 * after a restart.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "array.h"
#include "backend-kernel.h"
#include "daemon.h"

#define KERNEL_RAM_NAME "kernel-ram.json"
#define BOOT_ID_PATH    "/proc/sys/kernel/random/boot_id"

static int push(struct pmm_hot_ram_list *l, const struct pmm_hot_ram *e)
{
	int r = PMM_ARRAY_RESERVE(l->v, l->cap, l->n + 1, 8);

	if (r < 0)
		return r;
	l->v[l->n++] = *e;
	return 0;
}

void pmm_hot_ram_free(struct pmm_hot_ram_list *l)
{
	free(l->v);
	*l = (struct pmm_hot_ram_list){ 0 };
}

bool pmm_hot_ram_covers(const struct pmm_hot_ram_list *l, uint64_t addr)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (addr >= l->v[i].start && addr - l->v[i].start < l->v[i].size)
			return true;
	return false;
}

struct collect {
	struct pmm_daemon *d;
	struct pmm_hot_ram_list *l;
};

static int collect_one(const struct mm_range_info *r, void *arg)
{
	struct collect *c = arg;
	struct pmm_hot_ram e = { .start = r->start, .size = r->size, .nid = r->nid,
				 .pub = pmm_range_pub(c->d, r->id) };

	return r->device ? 0 : push(c->l, &e);
}

int pmm_hot_ram_collect(struct pmm_daemon *d, struct pmm_hot_ram_list *l)
{
	struct collect c = { d, l };
	int r;

	l->n = 0;
	l->next_pub = d->rids.next_pub;
	r = mm_for_each_range(d->mm, collect_one, &c);
	return r < 0 ? r : 0;
}

void pmm_hot_ram_name(struct pmm_daemon *d, const struct pmm_hot_ram_list *l)
{
	struct pmm_range_ids *ids = &d->rids;
	size_t i;

	if (ids->next_pub < l->next_pub)
		ids->next_pub = l->next_pub;
	for (i = 0; i < l->n; i++) {
		struct pmm_range_id e = { l->v[i].pub, l->v[i].mm, l->v[i].start,
					  l->v[i].start + l->v[i].size };

		/* a range the kernel shrank or removed meanwhile has no piece: named afresh */
		if (!e.pub || !e.mm || pmm_range_mm(d, e.pub))
			continue;
		if (PMM_ARRAY_RESERVE(ids->v, ids->cap, ids->n + 1, 16) < 0)
			return;
		ids->v[ids->n++] = e;
		if (ids->next_pub <= e.pub)
			ids->next_pub = e.pub + 1;
	}
}

/* ---------------------------------------------------------------- the file */

/* The kernel's boot id, read once: it names this boot until the next one. */
static int read_boot_id(struct pmm_hot_ram_file *rec)
{
	FILE *f;
	size_t n;

	if (rec->boot_id[0])
		return 0;
	f = fopen(BOOT_ID_PATH, "re");
	if (!f)
		return -errno;
	n = fread(rec->boot_id, 1, sizeof(rec->boot_id) - 1, f);
	fclose(f);
	rec->boot_id[n] = '\0';
	rec->boot_id[strcspn(rec->boot_id, "\n")] = '\0';
	return rec->boot_id[0] ? 0 : -EINVAL;
}

static char *hot_ram_json(const struct pmm_daemon *d, const struct pmm_hot_ram_list *l,
			  const char *boot_id)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	const char *s;
	char *out = NULL;
	size_t i;

	if (!o || !a) {
		json_object_put(o);
		json_object_put(a);
		return NULL;
	}
	json_object_object_add(o, "boot_id", json_object_new_string(boot_id));
	json_object_object_add(o, "block_size", json_object_new_uint64(d->cfg.block_size));
	json_object_object_add(o, "next_range", json_object_new_uint64(l->next_pub));
	for (i = 0; i < l->n; i++) {
		json_object *e = json_object_new_object();

		if (!e)
			break;
		json_object_object_add(e, "start", json_object_new_uint64(l->v[i].start));
		json_object_object_add(e, "size", json_object_new_uint64(l->v[i].size));
		json_object_object_add(e, "node", json_object_new_int(l->v[i].nid));
		json_object_object_add(e, "id", json_object_new_uint64(l->v[i].pub));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "ranges", a);
	s = i == l->n ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY) : NULL;
	if (s && asprintf(&out, "%s\n", s) < 0)
		out = NULL;
	json_object_put(o);
	return out;
}

void pmm_hot_ram_save(struct pmm_daemon *d, int dir_fd, struct pmm_hot_ram_file *rec)
{
	struct pmm_hot_ram_list l = { 0 };
	_cleanup_(freep) char *text = NULL;
	int r;

	if (read_boot_id(rec) < 0 || pmm_hot_ram_collect(d, &l) < 0) {
		pmm_hot_ram_free(&l);
		return;
	}
	text = hot_ram_json(d, &l, rec->boot_id);
	pmm_hot_ram_free(&l);
	if (!text || (rec->last && !strcmp(rec->last, text)))
		return;
	r = pmm_write_file_atomic(dir_fd, KERNEL_RAM_NAME, text, strlen(text));
	if (r < 0) {
		pmm_log_warn("cannot record the hot-added System RAM in %s/%s: %s (after a restart it would show as boot memory)",
			     d->cfg.state_dir, KERNEL_RAM_NAME, strerror(-r));
		return;
	}
	free(rec->last);
	rec->last = text;
	text = NULL;
}

static bool get_u64(json_object *o, const char *key, uint64_t *v)
{
	json_object *x;

	if (!json_object_object_get_ex(o, key, &x) || !json_object_is_type(x, json_type_int))
		return false;
	*v = json_object_get_uint64(x);
	return true;
}

static int parse(const struct pmm_daemon *d, json_object *o, const char *boot_id,
		 struct pmm_hot_ram_list *l, const char **why)
{
	json_object *a, *x;
	uint64_t bs;
	size_t i, n;

	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "boot_id", &x) ||
	    !json_object_is_type(x, json_type_string) || !get_u64(o, "block_size", &bs) ||
	    !get_u64(o, "next_range", &l->next_pub) || l->next_pub >= PMM_PUB_TEMP ||
	    !json_object_object_get_ex(o, "ranges", &a) ||
	    !json_object_is_type(a, json_type_array)) {
		*why = "not the expected object (boot_id, block_size, next_range below 2^62, ranges)";
		return -EINVAL;
	}
	if (strcmp(json_object_get_string(x), boot_id)) {
		*why = NULL;
		return -ESTALE;
	}
	if (bs != d->cfg.block_size) {
		*why = "written for another memory block size";
		return -EINVAL;
	}
	n = json_object_array_length(a);
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i), *nid;
		struct pmm_hot_ram h = { 0 };

		if (!get_u64(e, "start", &h.start) || !get_u64(e, "size", &h.size) ||
		    !get_u64(e, "id", &h.pub) || h.pub >= PMM_PUB_TEMP || h.pub >= l->next_pub ||
		    !json_object_object_get_ex(e, "node", &nid) ||
		    !json_object_is_type(nid, json_type_int) || !h.size || h.start % bs ||
		    h.size % bs || h.start + h.size < h.start) {
			*why = "a range is not {start, size, node, id below next_range} of whole memory blocks";
			return -EINVAL;
		}
		h.nid = json_object_get_int(nid);
		if (push(l, &h) < 0)
			return -ENOMEM;
	}
	return 0;
}

int pmm_hot_ram_load(struct pmm_daemon *d, struct pmm_hot_ram_file *rec,
		     struct pmm_hot_ram_list *l)
{
	_cleanup_(freep) char *path = NULL;
	const char *why = NULL;
	json_object *o;
	int r;

	*l = (struct pmm_hot_ram_list){ 0 };
	if (asprintf(&path, "%s/%s", d->cfg.state_dir, KERNEL_RAM_NAME) < 0) {
		path = NULL;
		return -ENOMEM;
	}
	if (access(path, F_OK) < 0)
		return 0;
	r = read_boot_id(rec);
	if (r < 0) {
		pmm_log_warn("%s: cannot read the kernel's boot id (%s): %s; present memory is taken as boot memory",
			     path, BOOT_ID_PATH, strerror(-r));
		return 0;
	}
	o = json_object_from_file(path);
	why = o ? NULL : "not valid JSON";
	r = o ? parse(d, o, rec->boot_id, l, &why) : -EINVAL;
	json_object_put(o);
	if (r == -ESTALE)
		pmm_log_info("%s: written during another boot of the kernel; the memory hot-added then is boot memory now",
			     path);
	else if (r < 0)
		pmm_log_warn("%s: ignored, %s; present memory is taken as boot memory", path,
			     why ? why : strerror(-r));
	if (r < 0) {
		pmm_hot_ram_free(l);
		return r == -ENOMEM ? r : 0;
	}
	pmm_log_info("%s: %zu System RAM range%s hot-added earlier in this boot", path, l->n,
		     l->n == 1 ? "" : "s");
	return 0;
}
