/* SPDX-License-Identifier: MIT */
/*
 * Onlining and offlining memory blocks (drivers/base/memory.c memory_block_online/offline,
 * mm/memory_hotplug.c online_pages/offline_pages).
 *
 * All or nothing: a range operation checks every block first, running the zone choice and the
 * zone/node bookkeeping on a scratch copy of the nodes so each block sees the zones as the
 * blocks before it will leave them; only when every block passes does it act. Acting cannot
 * fail (the memmap already exists; nothing is allocated), so a refused request changes nothing
 * and there is never a half-done range to roll back. This is the kernel's rollback made
 * unnecessary, not skipped: the kernel re-onlines blocks after a late failure and may then end
 * with different zone spans; the model never gets there.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* One block of a range operation: the block and, for online, the zone it goes to. */
struct block_step {
	uint64_t id;
	struct memory_block *mem;
	int nid;
	enum mm_zone_type zid;
};

static uint64_t memory_block_nr_vmemmap(const struct memory_block *mem)
{
	return mem->altmap ? mem->altmap->free : 0;
}

static int check_block_range(const struct mm_model *mm, uint64_t start, uint64_t size,
			     struct mm_err *err)
{
	uint64_t bs = mm->geo.block_size;

	if (!size)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID, "size is 0");
	if (!IS_ALIGNED(start, bs) || !IS_ALIGNED(size, bs))
		return mm_fail(err, -EINVAL, MM_CAUSE_MISALIGNED,
			       "[%#" PRIx64 ", +%#" PRIx64 ") is not aligned to the memory block size "
			       "(%s)", start, size, HSIZE(bs));
	if (start + size < start)
		return mm_fail(err, -E2BIG, MM_CAUSE_RANGE,
			       "range [%#" PRIx64 ", +%#" PRIx64 ") wraps around", start, size);
	return 0;
}

static int find_block_or_fail(const struct mm_model *mm, uint64_t id, struct mm_err *err,
			      struct memory_block **out)
{
	*out = find_memory_block_by_id(mm, id);
	if (!*out)
		return mm_fail(err, -ENOENT, MM_CAUSE_NOENT,
			       "there is no memory block %" PRIu64 " at %#" PRIx64, id,
			       id * mm->geo.block_size);
	return 0;
}

/* Every block of the range exists (before anything is allocated for a huge request). */
static int check_blocks_exist(const struct mm_model *mm, uint64_t start, uint64_t size,
			      struct mm_err *err)
{
	struct memory_block *mem;

	for (uint64_t cur = start; cur < start + size; cur += mm->geo.block_size) {
		int ret = find_block_or_fail(mm, cur / mm->geo.block_size, err, &mem);

		if (ret)
			return ret;
	}
	return 0;
}

/* ---------------------------------------------------------------- online */

/*
 * The zone/node bookkeeping of memory_block_online(), in the kernel's order: the self-hosted
 * vmemmap pages join the zone first (move_pfn_range_to_zone()), then online_pages() moves the
 * rest and frees it (managed), then the vmemmap pages count as present. Used on the model and,
 * by the check, on a scratch copy of the nodes.
 */
static void online_account(const struct mm_model *mm, struct pglist_data *nodes,
			   struct zone *zone, uint64_t start_pfn, uint64_t nr_pages,
			   uint64_t nr_vmemmap)
{
	struct pglist_data *pgdat = &nodes[zone->nid];

	if (nr_vmemmap) {
		resize_zone_range(zone, start_pfn, nr_vmemmap);
		resize_pgdat_range(pgdat, start_pfn, nr_vmemmap);
	}
	resize_zone_range(zone, start_pfn + nr_vmemmap, nr_pages - nr_vmemmap);
	resize_pgdat_range(pgdat, start_pfn + nr_vmemmap, nr_pages - nr_vmemmap);
	adjust_managed_page_count(zone, (int64_t)(nr_pages - nr_vmemmap));
	adjust_present_page_count(mm, nodes, zone, start_pfn + nr_vmemmap,
				  (int64_t)(nr_pages - nr_vmemmap));
	if (nr_vmemmap)
		adjust_present_page_count(mm, nodes, zone, start_pfn, (int64_t)nr_vmemmap);
}

/*
 * memory_block_online()'s checks: the state file answers -EINVAL unless the block is offline;
 * online_pages() wants nr > 0, a pageblock-aligned start and a section-aligned end.
 */
static int memory_block_online_check(const struct mm_model *mm, struct pglist_data *nodes,
				     uint64_t id, const struct memory_block *mem,
				     enum mm_online_type type, struct mm_err *err,
				     struct zone **zone)
{
	uint64_t start_pfn = memory_block_start_pfn(mm, mem), nr_pages = pages_per_block(mm);
	uint64_t nr_vmemmap = memory_block_nr_vmemmap(mem);

	if (mem->state != MEM_OFFLINE)
		return mm_fail(err, -EINVAL, MM_CAUSE_STATE, "memory block %" PRIu64 " is already %s",
			       id, mm_block_state_name(mem->state));
	if (mem->nid < 0 || mem->nid >= MAX_NUMNODES)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "memory block %" PRIu64 " has no node", id);
	if (nr_pages <= nr_vmemmap || !pageblock_aligned(mm, start_pfn + nr_vmemmap) ||
	    !IS_ALIGNED(start_pfn + nr_pages, PAGES_PER_SECTION(mm)))
		return mm_fail(err, -EINVAL, MM_CAUSE_MISALIGNED,
			       "memory block %" PRIu64 ": online_pages() needs a pageblock-aligned "
			       "start and a section-aligned end", id);
	*zone = zone_for_pfn_range(mm, nodes, type, mem->nid, start_pfn, nr_pages);
	return 0;
}

/*
 * online_pages_range() with generic_online_page(): __free_pages_core(MEMINIT_HOTPLUG) clears
 * PageOffline and drops each page to refcount 0 (free). The model keeps no buddy free lists.
 */
static void online_pages_range(struct mm_model *mm, uint64_t start_pfn, uint64_t nr_pages)
{
	struct page *page = pfn_to_page(mm, start_pfn);

	/* called per section piece: the piece's memmap is one array */
	for (uint64_t i = 0; i < nr_pages; i++, page++) {
		__ClearPageOffline(page);
		set_page_count(page, 0);
	}
	online_mem_sections(mm, start_pfn, start_pfn + nr_pages);
}

/*
 * memory_block_online() without its memmap: the zone and node bookkeeping of
 * mhp_init_memmap_on_memory(), online_pages() and the vmemmap pages' present count
 * (online_account() on the model's own nodes), node_set_online() and the block state.
 */
static void memory_block_online_account(struct mm_model *mm, struct memory_block *mem,
					struct zone *zone)
{
	online_account(mm, mm->node_data, zone, memory_block_start_pfn(mm, mem),
		       pages_per_block(mm), memory_block_nr_vmemmap(mem));
	mm->node_data[zone->nid].online = true;
	mem->zone = zone;
	mem->state = MEM_ONLINE;
}

/* The blocks of an online range, for the memmap work that follows their bookkeeping. */
struct online_memmap_args {
	uint64_t start_pfn;
	const struct block_step *steps;
};

/*
 * memory_block_online()'s memmap work for one section piece of a block:
 * mhp_init_memmap_on_memory() for the self-hosted vmemmap pages in it (initialised unmovable,
 * not offline, PG_vmemmap_self_hosted), then online_pages()' memmap_init_range() and
 * online_pages_range() for the rest; every section of the block ends online. A piece writes
 * only its own struct pages and section, so the pieces of a range run in parallel.
 */
static void online_memmap_piece(struct mm_model *mm, uint64_t pfn, uint64_t nr, void *arg)
{
	const struct online_memmap_args *a = arg;
	const struct block_step *step = &a->steps[(pfn - a->start_pfn) / pages_per_block(mm)];
	uint64_t vm_end = memory_block_start_pfn(mm, step->mem) +
			  memory_block_nr_vmemmap(step->mem);
	uint64_t v = vm_end > pfn ? MIN(vm_end, pfn + nr) - pfn : 0;

	if (v) {
		struct page *page = pfn_to_page(mm, pfn);

		memmap_init_range(mm, v, step->nid, step->zid, pfn, MEMINIT_HOTPLUG,
				  MIGRATE_UNMOVABLE);
		for (uint64_t i = 0; i < v; i++, page++) {
			__ClearPageOffline(page);
			SetPageVmemmapSelfHosted(page);
		}
	}
	if (nr > v) {
		memmap_init_range(mm, nr - v, step->nid, step->zid, pfn + v, MEMINIT_HOTPLUG,
				  MIGRATE_MOVABLE);
		online_pages_range(mm, pfn + v, nr - v);
	} else {
		/* a section covered entirely by vmemmap would otherwise stay offline */
		online_mem_sections(mm, pfn, pfn + nr);
	}
}

static void mhp_deinit_memmap_on_memory(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages)
{
	struct zone *zone = page_zone(mm, pfn_to_page(mm, pfn));

	if (nr_pages >= PAGES_PER_SECTION(mm))
		offline_mem_sections(mm, pfn, ALIGN_DOWN(pfn + nr_pages, PAGES_PER_SECTION(mm)));
	remove_pfn_range_from_zone(mm, zone, pfn, nr_pages);
}

/*
 * memory_block_online() of every block of a checked range: first the bookkeeping of each
 * block in order, then the memmap of all of them, split across memmap_init_threads (the
 * state between the two is never seen: the caller holds the model).
 */
static void online_range_act(struct mm_model *mm, uint64_t start, const struct block_step *steps,
			     size_t n)
{
	struct online_memmap_args a = { .start_pfn = PHYS_PFN(mm, start), .steps = steps };

	for (size_t i = 0; i < n; i++)
		memory_block_online_account(mm, steps[i].mem,
					    &mm->node_data[steps[i].nid].node_zones[steps[i].zid]);
	memmap_init_parallel(mm, a.start_pfn, n * pages_per_block(mm), online_memmap_piece, &a);
}

/*
 * Check every block of [start, start + size) for onlining, in order, with the zone decisions
 * and their bookkeeping applied to a copy of the nodes. Fills steps[] (one per block).
 */
static int online_range_check(const struct mm_model *mm, uint64_t start, uint64_t size,
			      enum mm_online_type type, struct mm_err *err,
			      struct block_step **steps_out, size_t *nr_out)
{
	uint64_t bs = mm->geo.block_size;
	struct pglist_data *nodes _cleanup_free_ = NULL;
	struct block_step *steps;
	size_t n = 0;
	int ret;

	*steps_out = NULL;
	*nr_out = 0;
	ret = memory_model_check_hotplug(mm, "onlining memory blocks", err);
	if (ret)
		return ret;
	if (type != MMOP_ONLINE && type != MMOP_ONLINE_KERNEL && type != MMOP_ONLINE_MOVABLE)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "online type %d is not one of online, online_kernel, online_movable",
			       (int)type);
	ret = check_block_range(mm, start, size, err);
	if (!ret)
		ret = check_blocks_exist(mm, start, size, err);
	if (ret)
		return ret;
	nodes = malloc(sizeof(mm->node_data));
	steps = calloc(size / bs, sizeof(*steps));
	if (!nodes || !steps) {
		free(steps);
		return mm_fail(err, -ENOMEM, MM_CAUSE_NOMEM, "out of memory planning the online");
	}
	memcpy(nodes, mm->node_data, sizeof(mm->node_data));

	for (uint64_t cur = start; cur < start + size; cur += bs, n++) {
		struct memory_block *mem;
		struct zone *zone = NULL;

		ret = find_block_or_fail(mm, cur / bs, err, &mem);
		if (!ret)
			ret = memory_block_online_check(mm, nodes, cur / bs, mem, type, err, &zone);
		if (ret) {
			free(steps);
			return ret;
		}
		steps[n] = (struct block_step){ .id = cur / bs, .mem = mem, .nid = zone->nid,
						.zid = zone->idx };
		online_account(mm, nodes, zone, memory_block_start_pfn(mm, mem),
			       pages_per_block(mm), memory_block_nr_vmemmap(mem));
	}
	*steps_out = steps;
	*nr_out = n;
	return 0;
}

/* --------------------------------------------------------------- offline */

/*
 * memory_block_offline() + offline_pages() checks: the block must be online, in one zone
 * (mem->zone), without holes, single-zone at both ends, and no page may hold a reference
 * beyond its idle count (the model's stand-in for unmovable pages: isolation fails, -EBUSY).
 * The whole block is scanned, self-hosted vmemmap pages included: a reference to memmap that
 * is about to be poisoned would dangle.
 */
static int memory_block_offline_check(const struct mm_model *mm, uint64_t id,
				      const struct memory_block *mem, struct mm_err *err)
{
	uint64_t start_pfn = memory_block_start_pfn(mm, mem), nr_pages = pages_per_block(mm);
	uint64_t nr_vmemmap = memory_block_nr_vmemmap(mem);
	uint64_t pfn = start_pfn + nr_vmemmap, nr = nr_pages - nr_vmemmap;

	if (mem->state != MEM_ONLINE)
		return mm_fail(err, -EINVAL, MM_CAUSE_STATE, "memory block %" PRIu64 " is already %s",
			       id, mm_block_state_name(mem->state));
	if (!mem->zone)
		return mm_fail(err, -EINVAL, MM_CAUSE_UNSUPPORTED,
			       "memory block %" PRIu64 " spans several zones or nodes and can never "
			       "be offlined", id);
	if (!nr || !pageblock_aligned(mm, pfn) || !IS_ALIGNED(pfn + nr, PAGES_PER_SECTION(mm)))
		return mm_fail(err, -EINVAL, MM_CAUSE_MISALIGNED,
			       "memory block %" PRIu64 ": offline_pages() needs a pageblock-aligned "
			       "start and a section-aligned end", id);
	if (walk_system_ram_range(mm, pfn, nr) != nr)
		return mm_fail(err, -EINVAL, MM_CAUSE_UNSUPPORTED,
			       "memory block %" PRIu64 " contains memory holes (%" PRIu64 " of %"
			       PRIu64 " pages are System RAM)", id, walk_system_ram_range(mm, pfn, nr),
			       nr);
	if (page_zone(mm, pfn_to_page(mm, pfn)) != mem->zone ||
	    page_zone(mm, pfn_to_page(mm, pfn + nr - 1)) != mem->zone)
		return mm_fail(err, -EINVAL, MM_CAUSE_UNSUPPORTED,
			       "memory block %" PRIu64 " spans several zones", id);
	for (uint64_t p = start_pfn; p < start_pfn + nr_pages; p++) {
		const struct page *page = pfn_to_page(mm, p);
		int extra = page_ref_count(page) - page_idle_refcount(page);

		if (extra > 0)
			return mm_fail(err, -EBUSY, MM_CAUSE_BUSY,
				       "memory block %" PRIu64 " is busy: pfn %#" PRIx64 " holds %d "
				       "extra reference%s (mm_put_pages() releases them)", id, p,
				       extra, extra == 1 ? "" : "s");
	}
	return 0;
}

/*
 * offline_pages() after its checks: sections offline, pages out of the buddy (managed), present
 * accounting, then remove_pfn_range_from_zone() poisons and shrinks the spans.
 */
static void offline_pages(struct mm_model *mm, uint64_t start_pfn, uint64_t nr_pages,
			  struct zone *zone)
{
	offline_mem_sections(mm, start_pfn, start_pfn + nr_pages);
	adjust_managed_page_count(zone, -(int64_t)nr_pages);
	adjust_present_page_count(mm, mm->node_data, zone, start_pfn, -(int64_t)nr_pages);
	remove_pfn_range_from_zone(mm, zone, start_pfn, nr_pages);
}

static void memory_block_offline_act(struct mm_model *mm, struct memory_block *mem)
{
	uint64_t start_pfn = memory_block_start_pfn(mm, mem), nr_pages = pages_per_block(mm);
	uint64_t nr_vmemmap = memory_block_nr_vmemmap(mem);
	struct zone *zone = mem->zone;

	mem->state = MEM_GOING_OFFLINE;
	if (nr_vmemmap)
		adjust_present_page_count(mm, mm->node_data, zone, start_pfn, -(int64_t)nr_vmemmap);
	offline_pages(mm, start_pfn + nr_vmemmap, nr_pages - nr_vmemmap, zone);
	if (nr_vmemmap)
		mhp_deinit_memmap_on_memory(mm, start_pfn, nr_vmemmap);
	mem->zone = NULL;
	mem->state = MEM_OFFLINE;
}

static int offline_range_check(const struct mm_model *mm, uint64_t start, uint64_t size,
			       struct mm_err *err, struct block_step **steps_out, size_t *nr_out)
{
	uint64_t bs = mm->geo.block_size;
	struct block_step *steps;
	size_t n = 0;
	int ret;

	*steps_out = NULL;
	*nr_out = 0;
	ret = memory_model_check_hotplug(mm, "offlining memory blocks", err);
	if (!ret)
		ret = check_block_range(mm, start, size, err);
	if (!ret)
		ret = check_blocks_exist(mm, start, size, err);
	if (ret)
		return ret;
	steps = calloc(size / bs, sizeof(*steps));
	if (!steps)
		return mm_fail(err, -ENOMEM, MM_CAUSE_NOMEM, "out of memory planning the offline");
	for (uint64_t cur = start; cur < start + size; cur += bs, n++) {
		struct memory_block *mem;

		ret = find_block_or_fail(mm, cur / bs, err, &mem);
		if (!ret)
			ret = memory_block_offline_check(mm, cur / bs, mem, err);
		if (ret) {
			free(steps);
			return ret;
		}
		steps[n] = (struct block_step){ .id = cur / bs, .mem = mem, .nid = mem->nid,
						.zid = mem->zone->idx };
	}
	*steps_out = steps;
	*nr_out = n;
	return 0;
}

/* ---------------------------------------------------------------- public */

int mm_online_range(struct mm_model *mm, uint64_t start, uint64_t size,
		    enum mm_online_type type, unsigned int *nr_changed)
{
	struct block_step *steps _cleanup_free_ = NULL;
	struct mm_err err = { 0 };
	size_t n;
	int ret;

	mm_clear_error(mm);
	ret = online_range_check(mm, start, size, type, &err, &steps, &n);
	if (ret)
		return mm_record(mm, &err);
	online_range_act(mm, start, steps, n);
	if (nr_changed)
		*nr_changed = (unsigned int)n;
	return 0;
}

int mm_offline_range(struct mm_model *mm, uint64_t start, uint64_t size, unsigned int *nr_changed)
{
	struct block_step *steps _cleanup_free_ = NULL;
	struct mm_err err = { 0 };
	size_t n;
	int ret;

	mm_clear_error(mm);
	ret = offline_range_check(mm, start, size, &err, &steps, &n);
	if (ret)
		return mm_record(mm, &err);
	for (size_t i = 0; i < n; i++)
		memory_block_offline_act(mm, steps[i].mem);
	if (nr_changed)
		*nr_changed = (unsigned int)n;
	return 0;
}

int mm_memory_block_online(struct mm_model *mm, uint64_t id, enum mm_online_type type)
{
	struct memory_block *mem;
	struct mm_err err = { 0 };

	mm_clear_error(mm);
	if (memory_model_check_hotplug(mm, "onlining a memory block", &err) ||
	    find_block_or_fail(mm, id, &err, &mem))
		return mm_record(mm, &err);
	return mm_online_range(mm, PFN_PHYS(mm, memory_block_start_pfn(mm, mem)),
			       mm->geo.block_size, type, NULL);
}

int mm_memory_block_offline(struct mm_model *mm, uint64_t id)
{
	struct memory_block *mem;
	struct mm_err err = { 0 };

	mm_clear_error(mm);
	if (memory_model_check_hotplug(mm, "offlining a memory block", &err) ||
	    find_block_or_fail(mm, id, &err, &mem))
		return mm_record(mm, &err);
	return mm_offline_range(mm, PFN_PHYS(mm, memory_block_start_pfn(mm, mem)),
				mm->geo.block_size, NULL);
}

static void fill_block_plan(const struct mm_model *mm, uint64_t start, uint64_t size,
			    const struct block_step *steps, size_t n, struct mm_plan *out)
{
	uint64_t nr_pages = PHYS_PFN(mm, size);
	const struct memory_block *first = n ? steps[0].mem : NULL;

	out->first_section = pfn_to_section_nr(mm, PHYS_PFN(mm, start));
	out->nr_sections = DIV_ROUND_UP(nr_pages, PAGES_PER_SECTION(mm));
	out->nr_subsections = nr_pages / PAGES_PER_SUBSECTION(mm);
	out->first_block = start / mm->geo.block_size;
	out->nr_blocks = n;
	out->memmap_bytes = 0;  /* onlining initialises memmap, it neither adds nor frees any */
	if (first) {
		out->memmap_location = first->early ? MM_MEMMAP_BOOT :
				       first->altmap ? MM_MEMMAP_ALTMAP : MM_MEMMAP_RAM;
		out->has_altmap = first->altmap != NULL;
		if (first->altmap) {
			out->altmap.base_pfn = first->altmap->base_pfn;
			out->altmap.end_pfn = first->altmap->end_pfn;
			out->altmap.reserve = first->altmap->reserve;
			out->altmap.free = first->altmap->free;
			out->altmap.align = first->altmap->align;
			out->altmap.alloc = first->altmap->alloc;
		}
	}
}

/* zone: the zone of the first block (later blocks of the range may differ). */
void mm_plan_online(const struct mm_model *mm, uint64_t start, uint64_t size,
		    enum mm_online_type type, struct mm_plan *out)
{
	struct block_step *steps _cleanup_free_ = NULL;
	struct mm_err err = { 0 };
	size_t n;

	plan_init(out);
	if (online_range_check(mm, start, size, type, &err, &steps, &n)) {
		plan_set_error(out, &err);
		return;
	}
	fill_block_plan(mm, start, size, steps, n, out);
	out->zone = n ? (int)steps[0].zid : -1;
}

void mm_plan_offline(const struct mm_model *mm, uint64_t start, uint64_t size,
		     struct mm_plan *out)
{
	struct block_step *steps _cleanup_free_ = NULL;
	struct mm_err err = { 0 };
	size_t n;

	plan_init(out);
	if (offline_range_check(mm, start, size, &err, &steps, &n)) {
		plan_set_error(out, &err);
		return;
	}
	fill_block_plan(mm, start, size, steps, n, out);
	out->zone = n ? (int)steps[0].zid : -1;
}
