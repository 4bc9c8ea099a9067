/* SPDX-License-Identifier: MIT */
/*
 * Boot: memblock.memory, then the order of x86's paging_init() + zone_sizes_init():
 * memory_present() for every range, sparse_init(), free_area_init() (zone spans,
 * subsection_map_init(), memmap_init()), memblock_free_all() and memory_dev_init() (boot memory
 * blocks, all online, their zone and node found by memory_block_add_nid_early()).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static uint64_t region_start_pfn(const struct mm_model *mm, const struct memblock_region *r)
{
	return PHYS_PFN(mm, r->base);
}

static uint64_t region_end_pfn(const struct mm_model *mm, const struct memblock_region *r)
{
	return PHYS_PFN(mm, r->base + r->size);
}

bool memblock_overlaps(const struct mm_model *mm, uint64_t start, uint64_t end,
		       const struct memblock_region **hit)
{
	for (size_t i = 0; i < mm->nr_memblock; i++) {
		const struct memblock_region *r = &mm->memblock[i];

		if (r->base < end && start < r->base + r->size) {
			if (hit)
				*hit = r;
			return true;
		}
	}
	return false;
}

static uint64_t memblock_node_pages_in(const struct mm_model *mm, int nid, uint64_t start_pfn,
				       uint64_t end_pfn)
{
	uint64_t pages = 0;

	for (size_t i = 0; i < mm->nr_memblock; i++) {
		const struct memblock_region *r = &mm->memblock[i];
		uint64_t s = MAX(region_start_pfn(mm, r), start_pfn);
		uint64_t e = MIN(region_end_pfn(mm, r), end_pfn);

		if ((nid == NUMA_NO_NODE || r->nid == nid) && e > s)
			pages += e - s;
	}
	return pages;
}

uint64_t memblock_pages_in(const struct mm_model *mm, uint64_t start_pfn, uint64_t end_pfn)
{
	return memblock_node_pages_in(mm, NUMA_NO_NODE, start_pfn, end_pfn);
}

/*
 * memblock_add_node(): regions are kept sorted; touching regions of the same node merge, as
 * memblock merges them. Unlike memblock, overlapping boot ranges are refused: a configuration
 * that lists RAM twice is a mistake worth reporting.
 */
int mm_boot_memory_add(struct mm_model *mm, uint64_t start, uint64_t size, int nid)
{
	const struct memblock_region *hit;
	uint64_t end = start + size;
	size_t i;

	mm_clear_error(mm);
	if (mm->booted)
		return mm_fail(mm_errp(mm), -EINVAL, MM_CAUSE_STATE,
			       "boot memory cannot be added after mm_boot_init(): use mm_add_memory()");
	if (!size)
		return mm_fail(mm_errp(mm), -EINVAL, MM_CAUSE_INVALID, "boot memory size is 0");
	if (!IS_ALIGNED(start, PAGE_SIZE(mm)) || !IS_ALIGNED(size, PAGE_SIZE(mm)))
		return mm_fail(mm_errp(mm), -EINVAL, MM_CAUSE_MISALIGNED,
			       "boot range [%#" PRIx64 ", +%#" PRIx64 ") is not aligned to the "
			       "page size (%s)", start, size, HSIZE(PAGE_SIZE(mm)));
	if (end < start || end > (1ULL << mm->geo.max_physmem_bits))
		return mm_fail(mm_errp(mm), -E2BIG, MM_CAUSE_RANGE,
			       "boot range [%#" PRIx64 ", +%#" PRIx64 ") goes beyond MAX_PHYSMEM_BITS "
			       "(%u bits)", start, size, mm->geo.max_physmem_bits);
	if (PHYS_PFN(mm, end) > mm->vmemmap.end_pfn)
		return mm_fail(mm_errp(mm), -E2BIG, MM_CAUSE_RANGE,
			       "boot range [%#" PRIx64 ", +%#" PRIx64 ") goes beyond %#" PRIx64
			       ", the end of the memmap this process could reserve", start, size,
			       PFN_PHYS(mm, mm->vmemmap.end_pfn));
	if (nid < 0 || nid >= MAX_NUMNODES)
		return mm_fail(mm_errp(mm), -EINVAL, MM_CAUSE_INVALID,
			       "node %d is not possible (0..%d)", nid, MAX_NUMNODES - 1);
	if (nid && !mm->mem_model->numa)
		return mm_fail(mm_errp(mm), -EINVAL, MM_CAUSE_UNSUPPORTED,
			       "node %d is not possible with %s: its one mem_map is node 0's", nid,
			       mm->mem_model->name);
	if (memblock_overlaps(mm, start, end, &hit))
		return mm_fail(mm_errp(mm), -EEXIST, MM_CAUSE_OVERLAP,
			       "boot range [%#" PRIx64 ", %#" PRIx64 ") overlaps boot memory [%#"
			       PRIx64 ", %#" PRIx64 ")", start, end, hit->base, hit->base + hit->size);

	if (mm->nr_memblock == mm->memblock_cap) {
		size_t cap = mm->memblock_cap ? mm->memblock_cap * 2 : 8;
		struct memblock_region *n = realloc(mm->memblock, cap * sizeof(*n));

		if (!n)
			return mm_fail(mm_errp(mm), -ENOMEM, MM_CAUSE_NOMEM,
				       "cannot grow the memblock table");
		mm->memblock = n;
		mm->memblock_cap = cap;
	}
	for (i = 0; i < mm->nr_memblock && mm->memblock[i].base < start; i++)
		;
	memmove(&mm->memblock[i + 1], &mm->memblock[i],
		(mm->nr_memblock - i) * sizeof(mm->memblock[0]));
	mm->memblock[i] = (struct memblock_region){ .base = start, .size = size, .nid = nid };
	mm->nr_memblock++;

	/* merge with touching neighbours of the same node */
	if (i + 1 < mm->nr_memblock && mm->memblock[i + 1].nid == nid &&
	    mm->memblock[i + 1].base == end) {
		mm->memblock[i].size += mm->memblock[i + 1].size;
		memmove(&mm->memblock[i + 1], &mm->memblock[i + 2],
			(mm->nr_memblock - i - 2) * sizeof(mm->memblock[0]));
		mm->nr_memblock--;
	}
	if (i > 0 && mm->memblock[i - 1].nid == nid &&
	    mm->memblock[i - 1].base + mm->memblock[i - 1].size == start) {
		mm->memblock[i - 1].size += mm->memblock[i].size;
		memmove(&mm->memblock[i], &mm->memblock[i + 1],
			(mm->nr_memblock - i - 1) * sizeof(mm->memblock[0]));
		mm->nr_memblock--;
	}
	return 0;
}

/*
 * free_area_init() for one node: each zone spans the node's memblock extent clamped to the
 * arch's zone limits (holes included); present pages are the RAM in that span. No
 * kernelcore=/movablecore=, so ZONE_MOVABLE starts empty (movable_node only affects onlining).
 */
static void free_area_init_node(struct mm_model *mm, int nid)
{
	struct pglist_data *pgdat = &mm->node_data[nid];
	uint64_t start = UINT64_MAX, end = 0;

	for (size_t i = 0; i < mm->nr_memblock; i++) {
		const struct memblock_region *r = &mm->memblock[i];

		if (r->nid != nid)
			continue;
		start = MIN(start, region_start_pfn(mm, r));
		end = MAX(end, region_end_pfn(mm, r));
	}
	if (start >= end)
		return;

	pgdat->online = true;
	pgdat->node_start_pfn = start;
	pgdat->node_spanned_pages = end - start;
	for (int zid = ZONE_DMA; zid <= ZONE_NORMAL; zid++) {
		struct zone *zone = &pgdat->node_zones[zid];
		uint64_t lo = zid == ZONE_DMA ? 0 : mm->max_zone_pfn[zid - 1];
		uint64_t hi = MAX(mm->max_zone_pfn[zid], lo);
		uint64_t zs = MIN(MAX(start, lo), hi), ze = MIN(MAX(end, lo), hi);

		if (ze <= zs)
			continue;
		zone->zone_start_pfn = zs;
		zone->spanned_pages = ze - zs;
		zone->present_pages = memblock_node_pages_in(mm, nid, zs, ze);
		zone->present_early_pages = zone->present_pages;
		zone->managed_pages = zone->present_pages;
		pgdat->node_present_pages += zone->present_pages;
	}
}

/*
 * One step of memmap_init()'s walk: boot RAM [start_pfn, end_pfn) initialised into zone/nid
 * (memmap_init_range(), MEMINIT_EARLY, movable pageblocks), or a hole whose struct pages
 * become PG_reserved pages of zone/nid (init_unavailable_range()). Steps are disjoint, and
 * boot applies them in order; a deferred section applies the part inside it.
 */
struct memmap_boot_run {
	uint64_t start_pfn, end_pfn;
	int nid;
	enum mm_zone_type zone;
	bool hole;
};

static void memmap_boot_run_add(struct mm_model *mm, uint64_t start_pfn, uint64_t end_pfn,
				const struct zone *zone, bool hole)
{
	mm->boot_runs[mm->nr_boot_runs++] = (struct memmap_boot_run){
		.start_pfn = start_pfn, .end_pfn = end_pfn, .nid = zone->nid, .zone = zone->idx,
		.hole = hole,
	};
}

/* memmap_init_zone_range(): RAM of one region inside one zone; the hole before it reserved. */
static void memmap_init_zone_range(struct mm_model *mm, const struct zone *zone,
				   uint64_t start_pfn, uint64_t end_pfn, uint64_t *hole_pfn)
{
	uint64_t zs = zone->zone_start_pfn, ze = zone_end_pfn(zone);

	start_pfn = MIN(MAX(start_pfn, zs), ze);
	end_pfn = MIN(MAX(end_pfn, zs), ze);
	if (start_pfn >= end_pfn)
		return;
	memmap_boot_run_add(mm, start_pfn, end_pfn, zone, false);
	if (*hole_pfn < start_pfn)
		memmap_boot_run_add(mm, *hole_pfn, start_pfn, zone, true);
	*hole_pfn = end_pfn;
}

/*
 * memmap_init()'s walk, recorded in mm->boot_runs: every region, zone by zone; holes between
 * ranges and up to the end of the last section become PG_reserved pages of the zone/node that
 * follows (or precedes, at the end). At most two runs per region and zone, and the tail.
 */
static int memmap_init_plan(struct mm_model *mm)
{
	uint64_t hole_pfn = 0, end_pfn = 0;
	const struct zone *last = NULL;

	mm->boot_runs = calloc(2 * mm->nr_memblock * MAX_NR_ZONES + 1, sizeof(*mm->boot_runs));
	if (!mm->boot_runs)
		return -ENOMEM;
	mm->nr_boot_runs = 0;
	for (size_t i = 0; i < mm->nr_memblock; i++) {
		const struct memblock_region *r = &mm->memblock[i];
		struct pglist_data *node = &mm->node_data[r->nid];

		end_pfn = region_end_pfn(mm, r);
		for (int j = 0; j < MAX_NR_ZONES; j++) {
			const struct zone *zone = &node->node_zones[j];

			if (!populated_zone(zone))
				continue;
			memmap_init_zone_range(mm, zone, region_start_pfn(mm, r), end_pfn, &hole_pfn);
			last = zone;
		}
	}
	/* SPARSEMEM: up to the section end; the model also covers FLATMEM's mem_map tail */
	end_pfn = memory_model_sparse(mm) ? SECTION_ALIGN_UP(mm, end_pfn)
					  : ALIGN(end_pfn, 1ULL << mm->arch->max_page_order);
	if (last && hole_pfn < end_pfn)
		memmap_boot_run_add(mm, hole_pfn, end_pfn, last, true);
	return 0;
}

/* the plan is needed only while some section is deferred */
static void memmap_init_plan_free(struct mm_model *mm)
{
	free(mm->boot_runs);
	mm->boot_runs = NULL;
	mm->nr_boot_runs = 0;
}

/*
 * memmap_init() and memblock_free_all() of the pfns in [lo, hi): boot RAM goes to the buddy
 * (refcount 0); no memblock reservations.
 */
static void memmap_boot_apply(struct mm_model *mm, uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < mm->nr_boot_runs; i++) {
		const struct memmap_boot_run *b = &mm->boot_runs[i];
		uint64_t s = MAX(b->start_pfn, lo), e = MIN(b->end_pfn, hi);

		if (s >= e)
			continue;
		if (b->hole)
			init_unavailable_range(mm, s, e, b->zone, b->nid);
		else
			memmap_init_range(mm, e - s, b->nid, b->zone, s, MEMINIT_EARLY,
					  MIGRATE_MOVABLE);
	}
	for (size_t i = 0; i < mm->nr_memblock; i++) {
		const struct memblock_region *r = &mm->memblock[i];
		uint64_t e = MIN(region_end_pfn(mm, r), hi);

		for (uint64_t pfn = MAX(region_start_pfn(mm, r), lo); pfn < e; pfn++)
			set_page_count(pfn_to_page(mm, pfn), 0);
	}
}

/* ------------------------------------------------- deferred struct page init */

/*
 * Boot with mm_params.deferred_struct_page_init: every early section is deferred, its present
 * subsections marked uninitialised (and fresh: the vmemmap behind them was never written).
 */
static void memmap_defer_early_sections(struct mm_model *mm)
{
	int64_t nr;

	for_each_present_section_nr(mm, nr) {
		struct mem_section *ms = __nr_to_section(mm, (uint64_t)nr);

		memmap_defer_section(mm, section_nr_to_pfn(mm, (uint64_t)nr));
		ms->usage->memmap_deferred = true;
		mm->nr_memmap_deferred++;
	}
}

/*
 * deferred_init_memmap_chunk() for one section: what boot would have written there. The mark
 * goes first, so the initialisation's own pfn_to_page() calls do not come back here; the
 * uninitialised marks only stood for "deferred" and go with it.
 */
static void memmap_deferred_init_section(struct mm_model *mm, struct mem_section *ms,
					 uint64_t pfn0)
{
	ms->usage->memmap_deferred = false;
	__atomic_fetch_sub(&mm->nr_memmap_deferred, 1, __ATOMIC_RELAXED);
	memmap_forget_uninit(mm, pfn0, PAGES_PER_SECTION(mm));
	memmap_boot_apply(mm, pfn0, pfn0 + PAGES_PER_SECTION(mm));
}

int memmap_boot_zone(const struct mm_model *mm, uint64_t pfn, int *nid)
{
	for (size_t i = 0; i < mm->nr_boot_runs; i++) {
		const struct memmap_boot_run *b = &mm->boot_runs[i];

		if (pfn >= b->start_pfn && pfn < b->end_pfn) {
			*nid = b->nid;
			return b->zone;
		}
	}
	return -1;
}

bool section_memmap_deferred(const struct mem_section *ms)
{
	return ms && ms->usage && ms->usage->memmap_deferred;
}

/*
 * The first use of a deferred section's memmap. Readers hold a const model: initialising is
 * invisible to them (they see the struct pages boot would have made), as the kernel's
 * deferred_grow_zone() is to the allocation that triggers it. The caller serialises access to
 * the model as for any change; the threads of memmap_init_parallel() touch only their own
 * sections.
 */
void memmap_deferred_touch(const struct mm_model *cmm, uint64_t pfn)
{
	struct mm_model *mm = (struct mm_model *)cmm;
	struct mem_section *ms;

	if (pfn >= mm->geo.max_pfn)
		return;
	ms = __pfn_to_section(mm, pfn);
	if (section_memmap_deferred(ms))
		memmap_deferred_init_section(mm, ms, SECTION_ALIGN_DOWN(mm, pfn));
}

uint64_t mm_memmap_init_deferred(struct mm_model *mm)
{
	uint64_t done = 0;
	int64_t nr;

	if (!mm->nr_memmap_deferred)
		return 0;
	for_each_present_section_nr(mm, nr) {
		struct mem_section *ms = __nr_to_section(mm, (uint64_t)nr);

		if (section_memmap_deferred(ms)) {
			memmap_deferred_init_section(mm, ms, section_nr_to_pfn(mm, (uint64_t)nr));
			done++;
		}
	}
	return done;
}

/*
 * early_node_zone_for_memory_block(): the single populated zone of nid that the block's span
 * intersects, NULL when it intersects several (such a block can never be offlined).
 */
static struct zone *early_node_zone_for_memory_block(struct mm_model *mm,
						     const struct memory_block *mem, int nid)
{
	uint64_t start_pfn = memory_block_start_pfn(mm, mem);
	struct zone *matching = NULL;

	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *zone = &mm->node_data[nid].node_zones[i];

		if (!populated_zone(zone) || !zone_intersects(zone, start_pfn, pages_per_block(mm)))
			continue;
		if (matching)
			return NULL;
		matching = zone;
	}
	return matching;
}

/* memory_block_add_nid_early(): a block spanning nodes keeps the last nid and no zone. */
static void memory_block_add_nid_early(struct mm_model *mm, struct memory_block *mem, int nid)
{
	if (mem->nid == nid)
		return;
	if (mem->nid == NUMA_NO_NODE)
		mem->zone = early_node_zone_for_memory_block(mm, mem, nid);
	else
		mem->zone = NULL;
	mem->nid = nid;
}

/* memory_dev_init() + register_memory_blocks_under_node_early(). */
static int boot_memory_blocks_init(struct mm_model *mm, struct mm_err *err)
{
	int64_t nr;

	for_each_present_section_nr(mm, nr) {
		uint64_t id = memory_block_id(mm, (uint64_t)nr);
		int ret;

		if (find_memory_block_by_id(mm, id))
			continue;
		ret = add_memory_block(mm, id, MEM_ONLINE, NUMA_NO_NODE, NULL, true);
		if (ret)
			return mm_fail(err, ret, MM_CAUSE_NOMEM,
				       "cannot register boot memory block %" PRIu64, id);
	}
	for (size_t i = 0; i < mm->nr_memblock; i++) {
		const struct memblock_region *r = &mm->memblock[i];
		uint64_t first = pfn_to_block_id(mm, region_start_pfn(mm, r));
		uint64_t last = pfn_to_block_id(mm, region_end_pfn(mm, r) - 1);

		for (uint64_t id = first; id <= last; id++) {
			struct memory_block *mem = find_memory_block_by_id(mm, id);

			if (mem)
				memory_block_add_nid_early(mm, mem, r->nid);
		}
	}
	return 0;
}

static void boot_teardown(struct mm_model *mm)
{
	memmap_init_plan_free(mm);
	mm->nr_memmap_deferred = 0;
	memory_blocks_destroy(mm);
	mm->mem_model->teardown(mm);
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		struct pglist_data *pgdat = &mm->node_data[nid];

		memset(pgdat, 0, sizeof(*pgdat));
		pgdat->node_id = nid;
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			pgdat->node_zones[z].idx = (enum mm_zone_type)z;
			pgdat->node_zones[z].nid = nid;
		}
	}
}

int mm_boot_init(struct mm_model *mm)
{
	struct mm_err err = { 0 };
	int ret;

	mm_clear_error(mm);
	if (mm->booted)
		return mm_fail(mm_errp(mm), -EINVAL, MM_CAUSE_STATE, "the model is already booted");

	for (size_t i = 0; memory_model_sparse(mm) && i < mm->nr_memblock; i++) {
		const struct memblock_region *r = &mm->memblock[i];

		ret = memory_present(mm, r->nid, region_start_pfn(mm, r), region_end_pfn(mm, r));
		if (ret) {
			mm_fail(&err, ret, MM_CAUSE_NOMEM, "cannot allocate mem_section roots");
			goto fail;
		}
	}
	if (memory_model_sparse(mm)) {
		ret = sparse_init(mm, &err);
		if (ret)
			goto fail;
	}
	for (size_t i = 0; memory_model_sparse(mm) && i < mm->nr_memblock; i++) {
		const struct memblock_region *r = &mm->memblock[i];

		subsection_map_init(mm, region_start_pfn(mm, r),
				    region_end_pfn(mm, r) - region_start_pfn(mm, r));
	}
	for (int nid = 0; nid < MAX_NUMNODES; nid++)
		free_area_init_node(mm, nid);
	/* FLATMEM/DISCONTIGMEM: free_area_init_node()'s alloc_node_mem_map() */
	if (mm->mem_model->alloc_node_mem_map) {
		ret = mm->mem_model->alloc_node_mem_map(mm, &err);
		if (ret)
			goto fail;
	}
	ret = memmap_init_plan(mm);
	if (ret) {
		mm_fail(&err, ret, MM_CAUSE_NOMEM, "cannot allocate the memmap_init() plan");
		goto fail;
	}
	if (mm->params.deferred_struct_page_init) {
		memmap_defer_early_sections(mm);
	} else {
		memmap_boot_apply(mm, 0, mm->geo.max_pfn);
		memmap_init_plan_free(mm);
	}
	ret = boot_memory_blocks_init(mm, &err);
	if (ret)
		goto fail;
	mm->booted = true;
	return 0;

fail:
	boot_teardown(mm);
	return mm_record(mm, &err);
}
