/* SPDX-License-Identifier: MIT */
/*
 * The server owns the JSON: Describe() and List() return the contract's shapes (product.md,
 * "JSON shapes are stable") built here from libmm on demand, with the field names of
 * common/pmm-json-fields.h. One shape whatever the options: numbers are JSON numbers (bytes),
 * empty listings are [], and null appears only where the contract allows it.
 */
#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "backend-kernel.h"
#include "daemon.h"
#include "pmm-json-fields.h"
#include "pmm-names.h"

static void add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void add_bool(json_object *o, const char *k, bool v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

static char *to_string(json_object *o)
{
	const char *s;
	char *out;

	if (!o)
		return NULL;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	out = s ? strdup(s) : NULL;
	json_object_put(o);
	return out;
}

/* ---------------------------------------------------------------- names */

const char *pmm_range_kind(const struct mm_range_info *r)
{
	return r->device ? "device" : "system-ram";
}

const char *pmm_range_type(const struct mm_range_info *r)
{
	return r->device ? mm_pgmap_type_name(r->type) : "system-ram";
}

/* Where the memmap lives: "dev" when it is carved from the range itself (altmap). */
const char *pmm_range_map(const struct mm_range_info *r)
{
	return r->has_altmap ? "dev" : "mem";
}

/* The Zone of a block: its zone when online in one zone, "none" when spanning, "" when offline. */
const char *pmm_block_zone(const struct mm_block_info *b)
{
	if (b->state != MEM_ONLINE)
		return "";
	if (b->zone < 0)
		return "none";
	return mm_zone_name((enum mm_zone_type)b->zone);
}

const char *pmm_memmap_location_name(enum mm_memmap_location l)
{
	switch (l) {
	case MM_MEMMAP_BOOT: return "boot";
	case MM_MEMMAP_RAM: return "ram";
	case MM_MEMMAP_ALTMAP: return "altmap";
	case MM_MEMMAP_NONE: break;
	}
	return "none";
}

json_object *pmm_valid_zones_json(const char *valid_zones)
{
	json_object *a = json_object_new_array();
	char buf[64], *save = NULL, *tok;

	if (!a)
		return NULL;
	snprintf(buf, sizeof(buf), "%s", valid_zones);
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (strcmp(tok, "none"))
			json_object_array_add(a, json_object_new_string(tok));
	return a;
}

void pmm_format_subsections(const uint64_t map[4], uint64_t nr_bits, char *buf, size_t len)
{
	int words = (int)((nr_bits + 63) / 64), i, top;
	size_t off;

	if (words > 4)
		words = 4;
	if (words < 1)
		words = 1;
	/* most significant non-zero word first, then the lower words zero-padded */
	for (top = words - 1; top > 0 && !map[top]; top--)
		;
	off = (size_t)snprintf(buf, len, "0x%llx", (unsigned long long)map[top]);
	for (i = top - 1; i >= 0 && off < len; i--)
		off += (size_t)snprintf(buf + off, len - off, "%016llx", (unsigned long long)map[i]);
}

/* ---------------------------------------------------------------- status */

char *pmm_describe_status(struct pmm_daemon *d)
{
	const struct mm_geometry *g = mm_geometry(d->mm);
	json_object *o = json_object_new_object(), *regions = json_object_new_array();
	struct mm_stats st;
	size_t i;

	if (!o || !regions) {
		json_object_put(o);
		json_object_put(regions);
		return NULL;
	}
	mm_get_stats(d->mm, &st);
	add_str(o, PMM_J_VERSION, PACKAGE_VERSION);
	add_str(o, PMM_J_BACKEND, pmm_backend_name(d->cfg.backend));
	add_str(o, PMM_J_ARCH, d->cfg.arch->name);
	add_str(o, PMM_J_MEMORY_MODEL, mm_memory_model_name(mm_model_kind(d->mm)));
	add_u64(o, PMM_J_PAGE_SIZE, g->page_size);
	add_u64(o, PMM_J_SECTION_SIZE, g->section_size);
	add_u64(o, PMM_J_SUBSECTION_SIZE, g->subsection_size);
	add_u64(o, PMM_J_BLOCK_SIZE, g->block_size);
	json_object_object_add(o, PMM_J_MAX_PHYSMEM_BITS, json_object_new_int((int)g->max_physmem_bits));
	for (i = 0; i < d->cfg.nr_regions; i++) {
		json_object *r = json_object_new_object();

		add_u64(r, PMM_J_START, d->cfg.regions[i].start);
		add_u64(r, PMM_J_SIZE, d->cfg.regions[i].size);
		json_object_array_add(regions, r);
	}
	json_object_object_add(o, PMM_J_MANAGED_REGIONS, regions);
	add_u64(o, PMM_J_PRESENT_BYTES, st.present_bytes);
	add_u64(o, PMM_J_ONLINE_BYTES, st.online_bytes);
	add_u64(o, PMM_J_DEVICE_BYTES, st.device_bytes);
	add_u64(o, PMM_J_MEMMAP_RAM_BYTES, st.memmap_ram_bytes);
	add_u64(o, PMM_J_MEMMAP_DEVICE_BYTES, st.memmap_device_bytes);
	add_str(o, PMM_J_AUTO_ONLINE_BLOCKS, pmm_policy_name(&d->policy));
	return to_string(o);
}

/* ---------------------------------------------------------------- listings */

struct list_ctx {
	struct pmm_daemon *d;
	json_object *arr;
};

static int list_block(const struct mm_block_info *b, void *arg)
{
	struct list_ctx *c = arg;
	json_object *o = json_object_new_object();

	if (!o)
		return -ENOMEM;
	add_u64(o, PMM_J_ID, b->id);
	add_u64(o, PMM_J_START, b->start);
	add_u64(o, PMM_J_SIZE, b->size);
	add_str(o, PMM_J_STATE, mm_block_state_name(b->state));
	/* JSON: a zone name only for an online single-zone block; null otherwise (lsmem: None) */
	json_object_object_add(o, PMM_J_ZONE, b->state == MEM_ONLINE && b->zone >= 0 ?
			       json_object_new_string(mm_zone_name((enum mm_zone_type)b->zone)) : NULL);
	json_object_object_add(o, PMM_J_VALID_ZONES, pmm_valid_zones_json(b->valid_zones));
	add_bool(o, PMM_J_REMOVABLE, b->removable);
	json_object_object_add(o, PMM_J_NODE, json_object_new_int(b->nid));
	add_bool(o, PMM_J_MANAGED, pmm_config_in_region(&c->d->cfg, b->start, b->size));
	json_object_array_add(c->arr, o);
	return 0;
}

static json_object *altmap_json(const struct mm_altmap *a)
{
	json_object *o = json_object_new_object();

	add_u64(o, PMM_J_BASE_PFN, a->base_pfn);
	add_u64(o, PMM_J_RESERVE, a->reserve);
	add_u64(o, PMM_J_FREE, a->free);
	add_u64(o, PMM_J_ALLOC, a->alloc);
	add_u64(o, PMM_J_ALIGN, a->align);
	return o;
}

static int list_range(const struct mm_range_info *r, void *arg)
{
	struct list_ctx *c = arg;
	json_object *o = json_object_new_object();
	uint64_t id = r->id;
	struct pmm_namespace *ns = pmm_namespace_for_range(c->d, id);

	if (!o)
		return -ENOMEM;
	add_u64(o, PMM_J_ID, id);
	add_str(o, PMM_J_KIND, pmm_range_kind(r));
	add_u64(o, PMM_J_START, r->start);
	add_u64(o, PMM_J_SIZE, r->size);
	json_object_object_add(o, PMM_J_NODE, json_object_new_int(r->nid));
	add_str(o, PMM_J_TYPE, pmm_range_type(r));
	add_str(o, PMM_J_MAP, pmm_range_map(r));
	add_u64(o, PMM_J_ALIGN, r->align);
	/* System RAM memmap_on_memory keeps one altmap per block, not one per range: null */
	json_object_object_add(o, PMM_J_ALTMAP,
			       r->device && r->has_altmap ? altmap_json(&r->altmap) : NULL);
	add_u64(o, PMM_J_REFS, r->refs);
	json_object_object_add(o, PMM_J_NAMESPACE, ns ? json_object_new_string(ns->cfg.name) : NULL);
	json_object_array_add(c->arr, o);
	return 0;
}

static int list_section(const struct mm_section_info *s, void *arg)
{
	struct list_ctx *c = arg;
	const struct mm_geometry *g = mm_geometry(c->d->mm);
	json_object *o = json_object_new_object();
	char map[80];

	if (!o)
		return -ENOMEM;
	add_u64(o, PMM_J_NR, s->nr);
	add_u64(o, PMM_J_START, s->nr * g->section_size);
	add_bool(o, PMM_J_PRESENT, s->present);
	add_bool(o, PMM_J_ONLINE, s->online);
	add_bool(o, PMM_J_EARLY, s->early);
	add_bool(o, PMM_J_HAS_MEMMAP, s->has_memmap);
	add_bool(o, PMM_J_ZONE_DEVICE, s->zone_device);
	pmm_format_subsections(s->subsection_map, g->subsections_per_section, map, sizeof(map));
	add_str(o, PMM_J_SUBSECTIONS, map);
	json_object_array_add(c->arr, o);
	return 0;
}

static void list_namespaces(struct list_ctx *c)
{
	size_t i;

	for (i = 0; i < c->d->nr_ns; i++) {
		const struct pmm_namespace *ns = &c->d->ns[i];
		json_object *o = json_object_new_object();

		add_str(o, PMM_J_DEV, ns->cfg.name);
		/* raw until AddNamespace gives it an nvdimm pfn layout (fsdax / devdax) */
		add_str(o, PMM_J_MODE, ns->range_id ? (ns->type == MEMORY_DEVICE_GENERIC ? "devdax" : "fsdax")
						  : "raw");
		add_u64(o, PMM_J_START, ns->cfg.start);
		add_u64(o, PMM_J_SIZE, ns->cfg.size);
		add_u64(o, PMM_J_ALIGN, ns->range_id ? ns->align : mm_geometry(c->d->mm)->page_size);
		json_object_object_add(o, PMM_J_NUMA_NODE, json_object_new_int(ns->cfg.numa_node));
		add_str(o, PMM_J_MAP, ns->range_id ? (ns->map_dev ? "dev" : "mem") : "none");
		/* "sim": a simulated namespace (its backing file is in the state dir); "ndctl": real */
		add_str(o, PMM_J_SOURCE, "sim");
		add_bool(o, PMM_J_IN_USE, ns->range_id != 0);
		json_object_array_add(c->arr, o);
	}
}

int pmm_describe_list(struct pmm_daemon *d, const char *kind, char **out)
{
	struct list_ctx c = { .d = d };
	json_object *root;
	int r = 0;

	if (strcmp(kind, PMM_LIST_BLOCKS) && strcmp(kind, PMM_LIST_RANGES) &&
	    strcmp(kind, PMM_LIST_SECTIONS) && strcmp(kind, PMM_LIST_NAMESPACES))
		return -EINVAL;
	root = json_object_new_object();
	c.arr = json_object_new_array();
	if (!root || !c.arr) {
		json_object_put(root);
		json_object_put(c.arr);
		return -ENOMEM;
	}
	if (!strcmp(kind, PMM_LIST_BLOCKS))
		r = mm_for_each_memory_block(d->mm, list_block, &c);
	else if (!strcmp(kind, PMM_LIST_RANGES))
		r = pmm_for_each_range(d, list_range, &c);
	else if (!strcmp(kind, PMM_LIST_SECTIONS))
		r = mm_for_each_present_section(d->mm, list_section, &c);
	else if (d->kernel)
		r = pmm_kernel_list_namespaces(d, c.arr);   /* libndctl / libdaxctl */
	else
		list_namespaces(&c);
	json_object_object_add(root, kind, c.arr);
	if (r < 0) {
		json_object_put(root);
		return r;
	}
	*out = to_string(root);
	return *out ? 0 : -ENOMEM;
}
