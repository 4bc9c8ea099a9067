/* SPDX-License-Identifier: MIT */
/*
 * Hot-add and hot-remove of System RAM (mm/memory_hotplug.c: add_memory_resource(),
 * try_remove_memory()). Each operation is a check (reads the model, fills a plan, explains any
 * refusal) and an act (applies the plan). mm_plan_add_memory()/mm_plan_remove_memory() run the
 * same check, so a plan never disagrees with the operation.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void plan_init(struct mm_plan *out)
{
	memset(out, 0, sizeof(*out));
	out->zone = -1;
	out->memmap_location = MM_MEMMAP_NONE;
}

void plan_set_error(struct mm_plan *out, const struct mm_err *err)
{
	out->error = err->error;
	out->cause = err->cause;
	snprintf(out->why, sizeof(out->why), "%s", err->why);
}

/* ---------------------------------------------------------- memmap_on_memory */

static uint64_t memory_block_memmap_size(const struct mm_model *mm)
{
	return pages_per_block(mm) * sizeof(struct page);
}

/* memory_block_memmap_on_memory_pages(), without the "force" padding mode */
static uint64_t memory_block_memmap_on_memory_pages(const struct mm_model *mm)
{
	return DIV_ROUND_UP(memory_block_memmap_size(mm), PAGE_SIZE(mm));
}

/*
 * mhp_supports_memmap_on_memory() with memory_hotplug.memmap_on_memory=Y: the arch has it,
 * the block's memmap fills whole pages and whole pageblocks, leaves something to online, and
 * (generic arch_supports_memmap_on_memory()) is a multiple of PMD_SIZE.
 */
bool mm_supports_memmap_on_memory(const struct mm_model *mm)
{
	uint64_t vmemmap_size = memory_block_memmap_size(mm);
	uint64_t memmap_pages = memory_block_memmap_on_memory_pages(mm);

	/* CONFIG_MHP_MEMMAP_ON_MEMORY depends on SPARSEMEM_VMEMMAP */
	if (!mm->arch->memmap_on_memory || mm->params.model != MM_SPARSEMEM_VMEMMAP)
		return false;
	if (!IS_ALIGNED(vmemmap_size, PAGE_SIZE(mm)))
		return false;
	if (!pageblock_aligned(mm, memmap_pages))
		return false;
	if (memmap_pages == pages_per_block(mm))
		return false;
	return IS_ALIGNED(vmemmap_size, mm->pmd_size);
}

/* ------------------------------------------------------------------ add */

struct add_plan {
	uint64_t start_pfn, nr_pages;
	bool memmap_on_memory;
	uint64_t nr_vmemmap;          /* per block, with memmap_on_memory */
};

static int check_range_alignment(const struct mm_model *mm, uint64_t start, uint64_t size,
				 struct mm_err *err)
{
	uint64_t bs = mm->geo.block_size;

	if (!size)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID, "size is 0");
	if (!IS_ALIGNED(start, bs))
		return mm_fail(err, -EINVAL, MM_CAUSE_MISALIGNED,
			       "start %#" PRIx64 " is not aligned to the memory block size (%s)",
			       start, HSIZE(bs));
	if (!IS_ALIGNED(size, bs))
		return mm_fail(err, -EINVAL, MM_CAUSE_MISALIGNED,
			       "size %s (%#" PRIx64 ") is not a multiple of the memory block size (%s)",
			       HSIZE(size), size, HSIZE(bs));
	if (start + size < start)
		return mm_fail(err, -E2BIG, MM_CAUSE_RANGE,
			       "range [%#" PRIx64 ", +%#" PRIx64 ") wraps around the address space",
			       start, size);
	return 0;
}

/*
 * check_hotplug_memory_range() + register_memory_resource() (mhp_range_allowed(), resource
 * collision) + the node check of add_memory_resource().
 */
static int check_add_memory(const struct mm_model *mm, int nid, uint64_t start, uint64_t size,
			    unsigned int mhp_flags, struct mm_err *err, struct add_plan *plan)
{
	const struct memblock_region *boot;
	const struct mm_resource *r;
	uint64_t end = start + size;
	int ret;

	memset(plan, 0, sizeof(*plan));
	ret = memory_model_check_hotplug(mm, "adding memory", err);
	if (ret)
		return ret;
	if (!mm->booted)
		return mm_fail(err, -EINVAL, MM_CAUSE_STATE,
			       "the model is not booted yet (mm_boot_init())");
	if (mhp_flags & ~(MHP_MERGE_RESOURCE | MHP_MEMMAP_ON_MEMORY))
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID, "unknown hotplug flags %#x",
			       mhp_flags & ~(MHP_MERGE_RESOURCE | MHP_MEMMAP_ON_MEMORY));
	ret = check_range_alignment(mm, start, size, err);
	if (ret)
		return ret;
	if (end > (1ULL << mm->geo.max_physmem_bits))
		return mm_fail(err, -E2BIG, MM_CAUSE_RANGE,
			       "range [%#" PRIx64 ", %#" PRIx64 ") ends beyond MAX_PHYSMEM_BITS "
			       "(%u bits, %s)", start, end, mm->geo.max_physmem_bits,
			       HSIZE(1ULL << mm->geo.max_physmem_bits));
	if (PHYS_PFN(mm, end) > mm->vmemmap.end_pfn)
		return mm_fail(err, -E2BIG, MM_CAUSE_RANGE,
			       "range [%#" PRIx64 ", %#" PRIx64 ") is not pluggable: this process "
			       "could reserve memmap only below %#" PRIx64, start, end,
			       PFN_PHYS(mm, mm->vmemmap.end_pfn));
	if (memblock_overlaps(mm, start, end, &boot))
		return mm_fail(err, -EEXIST, MM_CAUSE_OVERLAP,
			       "range [%#" PRIx64 ", %#" PRIx64 ") overlaps boot memory [%#" PRIx64
			       ", %#" PRIx64 ")", start, end, boot->base, boot->base + boot->size);
	r = resource_overlapping(mm, start, end);
	if (r)
		return mm_fail(err, -EEXIST, MM_CAUSE_OVERLAP,
			       "range [%#" PRIx64 ", %#" PRIx64 ") overlaps range %" PRIu64 " [%#"
			       PRIx64 ", %#" PRIx64 ") of %s", start, end, r->id, r->start, r->end,
			       r->device ? "device memory" : "hot-added System RAM");
	for (uint64_t a = start; a < end; a += mm->geo.block_size)
		if (find_memory_block_by_id(mm, a / mm->geo.block_size))
			return mm_fail(err, -EEXIST, MM_CAUSE_OVERLAP,
				       "memory block %" PRIu64 " at %#" PRIx64 " already exists",
				       a / mm->geo.block_size, a);
	if (nid < 0 || nid >= MAX_NUMNODES)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "node %d is not possible (0..%d)", nid, MAX_NUMNODES - 1);

	plan->start_pfn = PHYS_PFN(mm, start);
	plan->nr_pages = PHYS_PFN(mm, size);
	/* MHP_MEMMAP_ON_MEMORY is a hint: silently ignored when unsupported */
	plan->memmap_on_memory = (mhp_flags & MHP_MEMMAP_ON_MEMORY) &&
				 mm_supports_memmap_on_memory(mm);
	if (plan->memmap_on_memory)
		plan->nr_vmemmap = memory_block_memmap_on_memory_pages(mm);
	return 0;
}

/* remove_memory_blocks_and_altmaps(): per block, since each has its own altmap. */
static void remove_memory_blocks_and_altmaps(struct mm_model *mm, uint64_t start, uint64_t size)
{
	for (uint64_t cur = start; cur < start + size; cur += mm->geo.block_size) {
		uint64_t id = cur / mm->geo.block_size;
		struct memory_block *mem = find_memory_block_by_id(mm, id);
		struct vmem_altmap *altmap;

		if (!mem)
			continue;
		altmap = mem->altmap;
		mem->altmap = NULL;
		remove_memory_block(mm, id);
		__remove_pages(mm, PHYS_PFN(mm, cur), pages_per_block(mm), altmap);
		free(altmap);   /* "Altmap not fully unmapped" is checked by the invariants */
	}
}

/* create_altmaps_and_memory_blocks(): altmap {base = block start, free = memmap pages}. */
static int create_altmaps_and_memory_blocks(struct mm_model *mm, int nid, uint64_t start,
					    uint64_t size, const struct add_plan *plan,
					    struct mm_err *err)
{
	uint64_t cur;
	int ret = 0;

	for (cur = start; cur < start + size; cur += mm->geo.block_size) {
		struct vmem_altmap *altmap = calloc(1, sizeof(*altmap));

		if (!altmap) {
			ret = mm_fail(err, -ENOMEM, MM_CAUSE_NOMEM, "cannot allocate an altmap");
			break;
		}
		altmap->base_pfn = PHYS_PFN(mm, cur);
		altmap->end_pfn = PHYS_PFN(mm, cur + mm->geo.block_size) - 1;
		altmap->free = plan->nr_vmemmap;
		ret = __add_pages(mm, nid, altmap->base_pfn, pages_per_block(mm), altmap, err);
		if (ret) {
			free(altmap);
			break;
		}
		ret = create_memory_block_devices(mm, cur, mm->geo.block_size, nid, altmap);
		if (ret) {
			__remove_pages(mm, altmap->base_pfn, pages_per_block(mm), altmap);
			free(altmap);
			mm_fail(err, ret, MM_CAUSE_NOMEM, "cannot register memory block %" PRIu64,
				cur / mm->geo.block_size);
			break;
		}
	}
	if (ret && cur != start)
		remove_memory_blocks_and_altmaps(mm, start, cur - start);
	return ret;
}

static int add_memory_resource(struct mm_model *mm, int nid, uint64_t start, uint64_t size,
			       unsigned int mhp_flags, const struct add_plan *plan,
			       struct mm_err *err, uint64_t *range_id)
{
	struct mm_resource res = {
		.start = start, .end = start + size, .nid = nid,
		.memmap_on_memory = plan->memmap_on_memory,
		.mergeable = !!(mhp_flags & MHP_MERGE_RESOURCE),
	};
	int ret;

	if (resources_reserve(mm, 1))
		return mm_fail(err, -ENOMEM, MM_CAUSE_NOMEM, "cannot grow the resource table");

	if (plan->memmap_on_memory) {
		ret = create_altmaps_and_memory_blocks(mm, nid, start, size, plan, err);
		if (ret)
			return ret;
	} else {
		ret = __add_pages(mm, nid, plan->start_pfn, plan->nr_pages, NULL, err);
		if (ret)
			return ret;
		ret = create_memory_block_devices(mm, start, size, nid, NULL);
		if (ret) {
			__remove_pages(mm, plan->start_pfn, plan->nr_pages, NULL);
			return mm_fail(err, ret, MM_CAUSE_NOMEM,
				       "cannot register the memory blocks of [%#" PRIx64 ", %#"
				       PRIx64 ")", start, start + size);
		}
	}
	/* __try_online_node() + node_set_online() */
	mm->node_data[nid].online = true;
	*range_id = resource_insert(mm, &res)->id;
	return 0;
}

static void fill_add_plan(const struct mm_model *mm, const struct add_plan *p, uint64_t start,
			  uint64_t size, struct mm_plan *out)
{
	out->first_section = pfn_to_section_nr(mm, p->start_pfn);
	out->nr_sections = DIV_ROUND_UP(p->nr_pages, PAGES_PER_SECTION(mm));
	out->nr_subsections = p->nr_pages / PAGES_PER_SUBSECTION(mm);
	out->first_block = start / mm->geo.block_size;
	out->nr_blocks = size / mm->geo.block_size;
	out->memmap_bytes = p->nr_pages * sizeof(struct page);
	out->memmap_location = p->memmap_on_memory ? MM_MEMMAP_ALTMAP : MM_MEMMAP_RAM;
	out->has_altmap = p->memmap_on_memory;
	if (p->memmap_on_memory) {
		/* the altmap of the first block; every block gets its own, alike */
		out->altmap.base_pfn = p->start_pfn;
		out->altmap.end_pfn = p->start_pfn + pages_per_block(mm) - 1;
		out->altmap.free = p->nr_vmemmap;
		out->altmap.alloc = vmemmap_altmap_pages(mm, pages_per_block(mm));
	}
}

int mm_add_memory(struct mm_model *mm, int nid, uint64_t start, uint64_t size,
		  unsigned int mhp_flags, uint64_t *range_id)
{
	struct mm_err err = { 0 };
	struct add_plan plan;
	uint64_t id = 0;
	int ret;

	mm_clear_error(mm);
	ret = check_add_memory(mm, nid, start, size, mhp_flags, &err, &plan);
	if (!ret)
		ret = add_memory_resource(mm, nid, start, size, mhp_flags, &plan, &err, &id);
	if (ret)
		return mm_record(mm, &err);
	if (range_id)
		*range_id = id;
	return 0;
}

void mm_plan_add_memory(const struct mm_model *mm, int nid, uint64_t start, uint64_t size,
			unsigned int mhp_flags, struct mm_plan *out)
{
	struct mm_err err = { 0 };
	struct add_plan plan;

	plan_init(out);
	if (check_add_memory(mm, nid, start, size, mhp_flags, &err, &plan)) {
		plan_set_error(out, &err);
		return;
	}
	fill_add_plan(mm, &plan, start, size, out);
}

/* ---------------------------------------------------------------- remove */

struct remove_plan {
	bool altmaps;                 /* every block has a memmap_on_memory altmap */
	int nid;                      /* the last block's node, for try_offline_node() */
};

/*
 * try_remove_memory()'s conditions: a block-aligned range made of hot-added System RAM only,
 * every block MEM_OFFLINE (-EBUSY), all blocks with altmaps or none (-EINVAL).
 */
static int check_remove_memory(const struct mm_model *mm, uint64_t start, uint64_t size,
			       struct mm_err *err, struct remove_plan *plan)
{
	uint64_t bs = mm->geo.block_size, nr_altmaps = 0, nr_blocks = 0;
	int ret;

	memset(plan, 0, sizeof(*plan));
	plan->nid = NUMA_NO_NODE;
	ret = memory_model_check_hotplug(mm, "removing memory", err);
	if (ret)
		return ret;
	ret = check_range_alignment(mm, start, size, err);
	if (ret)
		return ret;

	for (uint64_t cur = start; cur < start + size; cur += bs) {
		const struct memory_block *mem = find_memory_block_by_id(mm, cur / bs);
		const struct mm_resource *r = resource_overlapping(mm, cur, cur + bs);

		if ((mem && mem->early) || memblock_overlaps(mm, cur, cur + bs, NULL))
			return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
				       "[%#" PRIx64 ", %#" PRIx64 ") is boot memory: only hot-added "
				       "memory can be removed", cur, cur + bs);
		if (r && r->device)
			return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
				       "[%#" PRIx64 ", %#" PRIx64 ") is device memory (range %"
				       PRIu64 "), not System RAM", cur, cur + bs, r->id);
		if (!mem || !r)
			return mm_fail(err, -EINVAL, MM_CAUSE_NOENT,
				       "no hot-added memory at [%#" PRIx64 ", %#" PRIx64 ")",
				       cur, cur + bs);
	}
	for (uint64_t cur = start; cur < start + size; cur += bs) {
		const struct memory_block *mem = find_memory_block_by_id(mm, cur / bs);

		if (mem->state != MEM_OFFLINE)
			return mm_fail(err, -EBUSY, MM_CAUSE_BUSY,
				       "memory block %" PRIu64 " [%#" PRIx64 ", %#" PRIx64 ") is %s: "
				       "offline it before removing", cur / bs, cur, cur + bs,
				       mm_block_state_name(mem->state));
		nr_blocks++;
		nr_altmaps += mem->altmap != NULL;
		plan->nid = mem->nid;
	}
	if (nr_altmaps && nr_altmaps != nr_blocks)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "%" PRIu64 " of the %" PRIu64 " memory blocks in [%#" PRIx64 ", %#"
			       PRIx64 ") have their memmap on memory and the others do not: remove "
			       "them separately", nr_altmaps, nr_blocks, start, start + size);
	plan->altmaps = nr_altmaps != 0;
	return 0;
}

/* try_offline_node(): a node spanning nothing and owning no block goes offline. */
static void try_offline_node(struct mm_model *mm, int nid)
{
	const struct memory_block *mem;
	uint64_t id = 0;

	if (nid < 0 || mm->node_data[nid].node_spanned_pages)
		return;
	while ((mem = next_memory_block(mm, &id))) {
		if (mem->nid == nid)
			return;
		id++;
	}
	mm->node_data[nid].online = false;
}

static int try_remove_memory(struct mm_model *mm, uint64_t start, uint64_t size,
			     const struct remove_plan *plan, struct mm_err *err)
{
	/* a split of a range record needs a slot: get it before changing anything */
	if (resources_reserve(mm, 1))
		return mm_fail(err, -ENOMEM, MM_CAUSE_NOMEM, "cannot grow the resource table");
	if (plan->altmaps) {
		remove_memory_blocks_and_altmaps(mm, start, size);
	} else {
		remove_memory_block_devices(mm, start, size);
		__remove_pages(mm, PHYS_PFN(mm, start), PHYS_PFN(mm, size), NULL);
	}
	release_mem_region_adjustable(mm, start, start + size);
	try_offline_node(mm, plan->nid);
	return 0;
}

int mm_remove_memory(struct mm_model *mm, uint64_t start, uint64_t size)
{
	struct mm_err err = { 0 };
	struct remove_plan plan;
	int ret;

	mm_clear_error(mm);
	ret = check_remove_memory(mm, start, size, &err, &plan);
	if (!ret)
		ret = try_remove_memory(mm, start, size, &plan, &err);
	return ret ? mm_record(mm, &err) : 0;
}

void mm_plan_remove_memory(const struct mm_model *mm, uint64_t start, uint64_t size,
			   struct mm_plan *out)
{
	struct mm_err err = { 0 };
	struct remove_plan plan;
	const struct memory_block *first;
	uint64_t nr_pages = PHYS_PFN(mm, size);

	plan_init(out);
	if (check_remove_memory(mm, start, size, &err, &plan)) {
		plan_set_error(out, &err);
		return;
	}
	out->first_section = pfn_to_section_nr(mm, PHYS_PFN(mm, start));
	out->nr_sections = DIV_ROUND_UP(nr_pages, PAGES_PER_SECTION(mm));
	out->nr_subsections = nr_pages / PAGES_PER_SUBSECTION(mm);
	out->first_block = start / mm->geo.block_size;
	out->nr_blocks = size / mm->geo.block_size;
	out->memmap_bytes = nr_pages * sizeof(struct page);
	out->memmap_location = plan.altmaps ? MM_MEMMAP_ALTMAP : MM_MEMMAP_RAM;
	out->has_altmap = plan.altmaps;
	first = find_memory_block_by_id(mm, out->first_block);
	if (plan.altmaps && first && first->altmap) {
		out->altmap.base_pfn = first->altmap->base_pfn;
		out->altmap.end_pfn = first->altmap->end_pfn;
		out->altmap.reserve = first->altmap->reserve;
		out->altmap.free = first->altmap->free;
		out->altmap.align = first->altmap->align;
		out->altmap.alloc = first->altmap->alloc;
	}
}
