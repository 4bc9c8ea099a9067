/* SPDX-License-Identifier: MIT */
/*
 * ZONE_DEVICE (mm/memremap.c): memremap_pages() / memunmap_pages(), the device side of page
 * references (free_zone_device_folio()), get_dev_pagemap(), and the device ranges' reports.
 *
 * memremap_pages() reads as its steps: the checks of memremap_pages() and pagemap_range()
 * (memremap_check(), which mm_plan_memremap() runs too), then __add_pages() with the altmap,
 * move_pfn_range_to_zone() into ZONE_DEVICE (spans, section taint, the memmap's own pfns),
 * memmap_init_zone_device() (device pages, compound folios) and the pgmap's bulk references.
 * Everything that can be refused is refused before anything changes; only populating the
 * vmemmap can still fail (-ENOMEM), and __add_pages() rolls its pieces back.
 *
 * The model cannot wait: where the kernel's memunmap_pages() kills the percpu_ref and blocks on
 * the completion until every page reference is gone, the model answers -EBUSY while a caller
 * holds one, and changes nothing.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "memremap.h"

/* ------------------------------------------------------------------ state */

static int zone_device_init(struct mm_model *mm)
{
	if (mm->zone_device)
		return 0;
	mm->zone_device = calloc(1, sizeof(*mm->zone_device));
	if (!mm->zone_device)
		return -ENOMEM;
	mm->zone_device->dedup_map_budget = vmemmap_dedup_default_budget();
	return 0;
}

struct dev_pagemap *get_dev_pagemap(const struct mm_model *mm, uint64_t pfn)
{
	const struct mm_resource *r = resource_overlapping(mm, PFN_PHYS(mm, pfn),
							   PFN_PHYS(mm, pfn + 1));

	return r && r->device ? r->pgmap : NULL;
}

void pgmap_section_piece(const struct mm_model *mm, const struct dev_pagemap *pgmap,
			 uint64_t pfn, uint64_t *piece_pfn, uint64_t *piece_nr)
{
	uint64_t s = SECTION_ALIGN_DOWN(mm, pfn);

	*piece_pfn = MAX(s, pgmap->start_pfn);
	*piece_nr = MIN(s + PAGES_PER_SECTION(mm), pgmap_pfn_end(pgmap)) - *piece_pfn;
}

/*
 * A device pfn's memmap: the boot memmap in an early section (section_activate() reuses it),
 * else the altmap when its piece took the memmap from it (x86_64: whole sections only).
 */
enum mm_memmap_location pgmap_memmap_location(const struct mm_model *mm,
					      const struct dev_pagemap *pgmap, uint64_t pfn)
{
	uint64_t piece_pfn, piece_nr;

	if (early_section(__pfn_to_section(mm, pfn)))
		return MM_MEMMAP_BOOT;
	pgmap_section_piece(mm, pgmap, pfn, &piece_pfn, &piece_nr);
	return vmemmap_uses_altmap(mm, piece_nr, pgmap_altmap_const(pgmap)) ? MM_MEMMAP_ALTMAP
									     : MM_MEMMAP_RAM;
}

/* ------------------------------------------------------------------ checks */

/* What memremap_check() found: the pgmap to build and what building it takes. */
struct memremap_plan {
	uint64_t start_pfn, nr_pages;
	int nid;
	unsigned int vmemmap_shift;
	bool has_altmap;
	struct vmem_altmap altmap;     /* as it will be after the populate */
	bool uses_altmap;              /* some piece takes its memmap from the altmap */
	uint64_t dedup_folio_bytes;    /* memmap per folio with tail reuse, 0 for none */
	uint64_t memmap_bytes;         /* memmap the range will really hold */
};

/* memremap_pages()'s type checks: the driver callbacks PRIVATE and COHERENT cannot do without. */
static int check_pgmap_type(const struct mm_pgmap_params *p, struct mm_err *err)
{
	switch (p->type) {
	case MEMORY_DEVICE_PRIVATE:
		if (!p->has_ops_migrate_to_ram || !p->has_ops_page_free || !p->has_owner)
			return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
				       "a device-private pgmap needs ops->migrate_to_ram, "
				       "ops->page_free and an owner (missing:%s%s%s)",
				       p->has_ops_migrate_to_ram ? "" : " migrate_to_ram",
				       p->has_ops_page_free ? "" : " page_free",
				       p->has_owner ? "" : " owner");
		return 0;
	case MEMORY_DEVICE_COHERENT:
		if (!p->has_ops_page_free || !p->has_owner)
			return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
				       "a device-coherent pgmap needs ops->page_free and an owner "
				       "(missing:%s%s)", p->has_ops_page_free ? "" : " page_free",
				       p->has_owner ? "" : " owner");
		return 0;
	case MEMORY_DEVICE_FS_DAX:
	case MEMORY_DEVICE_GENERIC:
	case MEMORY_DEVICE_PCI_P2PDMA:
		return 0;
	}
	/* the kernel only WARNs "Invalid pgmap type"; the model refuses what it cannot name */
	return mm_fail(err, -EINVAL, MM_CAUSE_INVALID, "invalid pgmap type %d", (int)p->type);
}

/*
 * The compound page size: the page size (or 0) for base pages, else a power of two folio;
 * device-dax only builds folios over ranges they tile (dev_dax_validate_align()).
 */
static int check_pgmap_align(const struct mm_model *mm, const struct mm_pgmap_params *p,
			     struct mm_err *err, unsigned int *shift)
{
	uint64_t align = p->align ? p->align : PAGE_SIZE(mm);

	*shift = 0;
	if (align < PAGE_SIZE(mm) || (align & (align - 1)) || align > (16ULL << 30))
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "compound page size %#" PRIx64 " is not a power of two between the "
			       "page size and 16 GiB", align);
	*shift = (unsigned int)__builtin_ctzll(align >> PAGE_SHIFT(mm));
	if (!IS_ALIGNED(p->start, align) || !IS_ALIGNED(p->size, align))
		return mm_fail(err, -EINVAL, MM_CAUSE_MISALIGNED,
			       "[%#" PRIx64 ", +%#" PRIx64 ") is not made of whole %s compound pages",
			       p->start, p->size, HSIZE(align));
	return 0;
}

/* x86 add_pages() ... __add_pages(): the altmap must start the range and fit in it. */
static int check_add_pages_altmap(const struct mm_model *mm, const struct mm_pgmap_params *p,
				  uint64_t pfn, uint64_t nr_pages, struct mm_err *err)
{
	const struct mm_altmap *a = &p->altmap;

	(void)mm;
	if (!p->has_altmap)
		return 0;
	if (a->base_pfn != pfn || a->reserve + a->free > nr_pages ||
	    a->reserve + a->free < a->reserve)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "invalid altmap: base pfn %#" PRIx64 " for a range at pfn %#" PRIx64
			       ", %" PRIu64 " pfns reserved + %" PRIu64 " free for %" PRIu64 " pages",
			       a->base_pfn, pfn, a->reserve, a->free, nr_pages);
	return 0;
}

/* A subsection of [pfn, pfn + nr) already present: fill_subsection_map()'s -EEXIST. */
static bool find_present_subsection(const struct mm_model *mm, uint64_t pfn, uint64_t nr,
				    uint64_t *found)
{
	for (uint64_t s = pfn; s < pfn + nr; s += PAGES_PER_SUBSECTION(mm)) {
		const struct mem_section *ms = __pfn_to_section(mm, s);

		if (!ms || !ms->usage) {
			s = SECTION_ALIGN_UP(mm, s + 1) - PAGES_PER_SUBSECTION(mm);
			continue;
		}
		if (pfn_section_valid(mm, ms, s)) {
			*found = s;
			return true;
		}
	}
	return false;
}

/*
 * Populating every piece in __add_pages() order, on a copy of the altmap: what alloc and align
 * end at, and whether it runs dry (-ENOMEM, as vmemmap_populate_hugepages() would).
 */
static int simulate_altmap_populate(const struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
				    struct vmem_altmap *altmap, bool *used)
{
	const uint64_t end = pfn + nr_pages;
	uint64_t nr;

	*used = false;
	altmap->alloc = 0;
	for (; pfn < end; pfn += nr) {
		nr = MIN(end - pfn, SECTION_ALIGN_UP(mm, pfn + 1) - pfn);
		if (early_section(__pfn_to_section(mm, pfn)) && nr < PAGES_PER_SECTION(mm))
			continue;   /* section_activate() reuses the boot memmap */
		if (!vmemmap_uses_altmap(mm, nr, altmap))
			continue;
		if (vmemmap_alloc_from_altmap(mm, nr, altmap, NULL))
			return -ENOMEM;
		*used = true;
	}
	return 0;
}

/*
 * memmap the range will hold: nothing for pieces in early sections, tail reuse deducted
 * (folio_bytes: what one folio holds with it)
 */
static uint64_t memremap_memmap_bytes(const struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
				      unsigned int shift, uint64_t folio_bytes)
{
	const uint64_t end = pfn + nr_pages;
	uint64_t bytes = 0, nr;

	if (folio_bytes)
		return (nr_pages >> shift) * folio_bytes;
	for (; pfn < end; pfn += nr) {
		nr = MIN(end - pfn, SECTION_ALIGN_UP(mm, pfn + 1) - pfn);
		if (!(early_section(__pfn_to_section(mm, pfn)) && nr < PAGES_PER_SECTION(mm)))
			bytes += nr * sizeof(struct page);
	}
	return bytes;
}

/*
 * pagemap_range()'s checks for range range_id, then those __add_pages() runs: the altmap is for
 * single-range pgmaps; an existing pgmap at either end pfn is a "conflicting mapping in same
 * section" (-ENOMEM); System RAM anywhere in the range -ENXIO; outside the pluggable range
 * -EINVAL; the altmap must start the range; subsection granularity; present subsections -EEXIST.
 */
static int pagemap_range_check(const struct mm_model *mm, const struct mm_pgmap_params *p,
			       unsigned int range_id, struct mm_err *err,
			       struct memremap_plan *plan)
{
	uint64_t start = p->start, end = p->start + p->size, pfn, nr_pages, found;
	const struct memblock_region *boot;
	const struct mm_resource *r;
	struct dev_pagemap *conflict;
	int ret;

	if (p->has_altmap && range_id > 0)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "an altmap only works for a single-range pgmap (range %u)", range_id);
	if (range_id > 0)
		return mm_fail(err, -EOPNOTSUPP, MM_CAUSE_UNSUPPORTED,
			       "the model maps one range per pgmap");
	if (end < start || end > (1ULL << mm->geo.max_physmem_bits))
		return mm_fail(err, -E2BIG, MM_CAUSE_RANGE,
			       "range [%#" PRIx64 ", +%#" PRIx64 ") goes beyond MAX_PHYSMEM_BITS (%u "
			       "bits, %s)", start, p->size, mm->geo.max_physmem_bits,
			       HSIZE(1ULL << mm->geo.max_physmem_bits));
	pfn = PHYS_PFN(mm, start);
	nr_pages = PHYS_PFN(mm, end) - pfn;

	conflict = get_dev_pagemap(mm, pfn);
	if (!conflict && end > start)
		conflict = get_dev_pagemap(mm, PHYS_PFN(mm, end - 1));
	if (conflict)
		return mm_fail(err, -ENOMEM, MM_CAUSE_OVERLAP,
			       "conflicting mapping in same section: [%#" PRIx64 ", %#" PRIx64 ") "
			       "meets device range %" PRIu64 " [%#" PRIx64 ", %#" PRIx64 ")", start,
			       end, conflict->id, PFN_PHYS(mm, conflict->start_pfn),
			       PFN_PHYS(mm, pgmap_pfn_end(conflict)));
	if (memblock_overlaps(mm, start, end, &boot))
		return mm_fail(err, -ENXIO, MM_CAUSE_OVERLAP,
			       "[%#" PRIx64 ", %#" PRIx64 ") intersects System RAM (boot memory [%#"
			       PRIx64 ", %#" PRIx64 "))", start, end, boot->base,
			       boot->base + boot->size);
	for (size_t i = 0; i < mm->nr_resources; i++) {
		r = &mm->resources[i];
		if (!r->device && r->start < end && start < r->end)
			return mm_fail(err, -ENXIO, MM_CAUSE_OVERLAP,
				       "[%#" PRIx64 ", %#" PRIx64 ") intersects System RAM (range %"
				       PRIu64 " [%#" PRIx64 ", %#" PRIx64 "))", start, end, r->id,
				       r->start, r->end);
	}
	/* mhp_range_allowed(): the model's mappable range is what its vmemmap covers */
	if (PHYS_PFN(mm, end) > mm->vmemmap.end_pfn)
		return mm_fail(err, -EINVAL, MM_CAUSE_RANGE,
			       "[%#" PRIx64 ", %#" PRIx64 ") is not pluggable: this process could "
			       "reserve memmap only below %#" PRIx64, start, end,
			       PFN_PHYS(mm, mm->vmemmap.end_pfn));
	ret = check_add_pages_altmap(mm, p, pfn, nr_pages, err);
	if (ret)
		return ret;
	if (!IS_ALIGNED(start, PAGE_SIZE(mm)) || !IS_ALIGNED(p->size, PAGE_SIZE(mm)) ||
	    check_pfn_span(mm, pfn, nr_pages))
		return mm_fail(err, -EINVAL, MM_CAUSE_MISALIGNED,
			       "[%#" PRIx64 ", +%#" PRIx64 ") is not aligned to the subsection size "
			       "(%s)", start, p->size, HSIZE(mm->geo.subsection_size));
	if (find_present_subsection(mm, pfn, nr_pages, &found))
		return mm_fail(err, -EEXIST, MM_CAUSE_OVERLAP,
			       "subsection at %#" PRIx64 " of [%#" PRIx64 ", %#" PRIx64 ") is "
			       "already present (section %" PRIu64 ")", PFN_PHYS(mm, found), start,
			       end, pfn_to_section_nr(mm, found));

	plan->start_pfn = pfn;
	plan->nr_pages = nr_pages;
	return 0;
}

/* Folios must tile the device pages, which start after the altmap's reserve and free pfns. */
static int check_compound_layout(const struct mm_model *mm, const struct mm_pgmap_params *p,
				 const struct memremap_plan *plan, struct mm_err *err)
{
	uint64_t first = plan->start_pfn + (p->has_altmap ? p->altmap.reserve + p->altmap.free : 0);
	uint64_t folio = 1ULL << plan->vmemmap_shift;

	if (IS_ALIGNED(first, folio))
		return 0;
	return mm_fail(err, -EINVAL, MM_CAUSE_MISALIGNED,
		       "device pages start at %#" PRIx64 ", after the altmap's %" PRIu64 " pfns: "
		       "not on a %s compound page boundary", PFN_PHYS(mm, first),
		       p->altmap.reserve + p->altmap.free, HSIZE(PFN_PHYS(mm, folio)));
}

/* The populate's needs: altmap space (-ENOMEM when it runs dry) and the tail reuse layout. */
static int check_memmap(const struct mm_model *mm, const struct mm_pgmap_params *p,
			struct mm_err *err, struct memremap_plan *plan)
{
	struct dev_pagemap probe = {
		.type = p->type, .start_pfn = plan->start_pfn, .nr_pages = plan->nr_pages,
		.vmemmap_shift = plan->vmemmap_shift, .memmap_fd = -1,
	};

	if (p->has_altmap) {
		plan->altmap = (struct vmem_altmap){
			.base_pfn = p->altmap.base_pfn, .end_pfn = p->altmap.end_pfn,
			.reserve = p->altmap.reserve, .free = p->altmap.free,
		};
		if (simulate_altmap_populate(mm, plan->start_pfn, plan->nr_pages, &plan->altmap,
					     &plan->uses_altmap))
			return mm_fail(err, -ENOMEM, MM_CAUSE_NOMEM,
				       "the altmap's %" PRIu64 " free pfns cannot hold the memmap of "
				       "[%#" PRIx64 ", +%s): vmemmap_populate() runs out", p->altmap.free,
				       p->start, HSIZE(p->size));
		probe.flags = PGMAP_ALTMAP_VALID;
		probe.altmap = plan->altmap;
	}
	vmemmap_dedup_prepare((struct mm_model *)mm, &probe, true, &plan->dedup_folio_bytes);
	plan->memmap_bytes = memremap_memmap_bytes(mm, plan->start_pfn, plan->nr_pages,
						   plan->vmemmap_shift, plan->dedup_folio_bytes);
	return 0;
}

/*
 * memremap_pages()'s checks in its order: ZONE_DEVICE needs SPARSEMEM_VMEMMAP; nr_range 0;
 * the type's callbacks; then per range pagemap_range()/__add_pages(). nr_range is 1 for a
 * non-empty request.
 */
static int memremap_check(const struct mm_model *mm, const struct mm_pgmap_params *p,
			  unsigned int nr_range, struct mm_err *err, struct memremap_plan *plan)
{
	int ret;

	memset(plan, 0, sizeof(*plan));
	ret = memory_model_check_zone_device(mm, "ZONE_DEVICE memory (memremap_pages)", err);
	if (ret)
		return ret;
	if (!mm->booted)
		return mm_fail(err, -EINVAL, MM_CAUSE_STATE,
			       "the model is not booted yet (mm_boot_init())");
	if (!nr_range)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "no range to map (nr_range is 0: size 0 at %#" PRIx64 ")", p->start);
	ret = check_pgmap_type(p, err);
	if (ret)
		return ret;
	if (p->nid >= MAX_NUMNODES)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID, "node %d is not possible (0..%d)",
			       p->nid, MAX_NUMNODES - 1);
	plan->nid = p->nid < 0 ? 0 : p->nid;   /* numa_mem_id() */
	for (unsigned int i = 0; i < nr_range; i++) {
		ret = pagemap_range_check(mm, p, i, err, plan);
		if (ret)
			return ret;
	}
	ret = check_pgmap_align(mm, p, err, &plan->vmemmap_shift);
	if (!ret)
		ret = check_compound_layout(mm, p, plan, err);
	if (!ret)
		ret = check_memmap(mm, p, err, plan);
	plan->has_altmap = p->has_altmap;
	return ret;
}

/* -------------------------------------------------------------------- act */

/* section_taint_zone_device(): the section mixes ZONE_DEVICE with other memory. */
static void section_taint_zone_device(struct mm_model *mm, uint64_t pfn)
{
	struct mem_section *ms = __pfn_to_section(mm, pfn);

	if (ms)
		ms->section_mem_map |= SECTION_TAINT_ZONE_DEVICE;
}

void __init_zone_device_page(struct mm_model *mm, struct page *page, uint64_t pfn,
			     const struct dev_pagemap *pgmap)
{
	__init_single_page(mm, page, pfn, ZONE_DEVICE, pgmap->nid);
	__SetPageReserved(page);
	page->pgmap = (struct dev_pagemap *)pgmap;
	page->zone_device_data = NULL;
	if (pageblock_aligned(mm, pfn))
		set_pageblock_migratetype(mm, pfn, MIGRATE_MOVABLE);
	/* only device-dax pages keep the refcount of 1: the others are freed to their driver */
	if (pgmap->type != MEMORY_DEVICE_GENERIC)
		set_page_count(page, 0);
}

/*
 * move_pfn_range_to_zone() for ZONE_DEVICE: grow the zone and node spans, taint the sections
 * the range starts or ends inside, and initialise (PG_reserved) only the pfns that hold the
 * memmap itself, [base + reserve, base + reserve + free) of the altmap; the reserve stays
 * poisoned, the device pages wait for memmap_init_zone_device().
 */
static void move_pfn_range_to_zone_device(struct mm_model *mm, struct dev_pagemap *pgmap)
{
	struct pglist_data *pgdat = &mm->node_data[pgmap->nid];
	const struct vmem_altmap *altmap = pgmap_altmap_const(pgmap);
	uint64_t start = pgmap->start_pfn, end = pgmap_pfn_end(pgmap);

	resize_zone_range(&pgdat->node_zones[ZONE_DEVICE], start, pgmap->nr_pages);
	resize_pgdat_range(pgdat, start, pgmap->nr_pages);
	if (!IS_ALIGNED(start, PAGES_PER_SECTION(mm)))
		section_taint_zone_device(mm, start);
	if (!IS_ALIGNED(end, PAGES_PER_SECTION(mm)))
		section_taint_zone_device(mm, end);
	if (!altmap)
		return;
	memmap_mark_initialised(mm, start + altmap->reserve, altmap->free);
	for (uint64_t pfn = start + altmap->reserve; pfn < start + vmem_altmap_offset(altmap);
	     pfn++) {
		struct page *page = pfn_to_page(mm, pfn);

		__init_single_page(mm, page, pfn, ZONE_DEVICE, pgmap->nid);
		__SetPageReserved(page);
		if (pageblock_aligned(mm, pfn))
			set_pageblock_migratetype(mm, pfn, MIGRATE_MOVABLE);
	}
}

/*
 * __init_zone_device_page() of the base pages [pfn, pfn + nr) of one section: every struct page
 * written at once from the section's template (the links, PG_reserved, the pgmap, the
 * refcount of the type), then the migratetype of each pageblock starting in the piece.
 */
static void init_zone_device_pages(struct mm_model *mm, uint64_t pfn, uint64_t nr,
				   const struct dev_pagemap *pgmap)
{
	struct page tmpl, *page = pfn_to_page(mm, pfn);

	__init_single_page(mm, &tmpl, pfn, ZONE_DEVICE, pgmap->nid);
	__SetPageReserved(&tmpl);
	if (pgmap->type != MEMORY_DEVICE_GENERIC)
		set_page_count(&tmpl, 0);
	for (uint64_t i = 0; i < nr; i++, page++)
		*page = (struct page){
			.flags = tmpl.flags,
			.pgmap = (struct dev_pagemap *)pgmap,
			.page_type = tmpl.page_type,
			._refcount = tmpl._refcount,
		};
	for (uint64_t p = ALIGN(pfn, pageblock_nr_pages(mm)); p < pfn + nr;
	     p += pageblock_nr_pages(mm))
		set_pageblock_migratetype(mm, p, MIGRATE_MOVABLE);
}

/* memmap_init_zone_device() of the folios in [pfn, pfn + nr) (a section, or whole folios). */
static void memmap_init_zone_device_piece(struct mm_model *mm, uint64_t pfn, uint64_t nr,
					  void *arg)
{
	const struct dev_pagemap *pgmap = arg;
	uint64_t step = pgmap_vmemmap_nr(pgmap);

	memmap_mark_initialised(mm, pfn, nr);
	if (step == 1) {
		init_zone_device_pages(mm, pfn, nr, pgmap);
		return;
	}
	for (uint64_t end = pfn + nr; pfn < end; pfn += step) {
		struct page *page = pfn_to_page(mm, pfn);

		__init_zone_device_page(mm, page, pfn, pgmap);
		memmap_init_compound(mm, page, pfn, pgmap);
		vmemmap_dedup_sync(mm, pgmap, pfn);
	}
}

/*
 * memmap_init_zone_device(): every device page, or every folio head and its tails, split
 * across threads for a large range as the kernel's multithreaded ZONE_DEVICE init does. A
 * folio larger than a section (1 GiB) goes whole to one thread.
 */
static void memmap_init_zone_device(struct mm_model *mm, struct dev_pagemap *pgmap)
{
	uint64_t first = pgmap_pfn_first(pgmap), end = pgmap_pfn_end(pgmap);

	if (pgmap_vmemmap_nr(pgmap) <= PAGES_PER_SECTION(mm)) {
		memmap_init_parallel(mm, first, end - first, memmap_init_zone_device_piece, pgmap);
		return;
	}
	for (uint64_t pfn = first; pfn < end; pfn += pgmap_vmemmap_nr(pgmap))
		memmap_init_zone_device_piece(mm, pfn, pgmap_vmemmap_nr(pgmap), pgmap);
}

/* pfn_len(): one reference per device page, or per folio */
static uint64_t pfn_len(const struct dev_pagemap *pgmap)
{
	return (pgmap_pfn_end(pgmap) - pgmap_pfn_first(pgmap)) >> pgmap->vmemmap_shift;
}

void dev_pagemap_free(struct mm_model *mm, struct dev_pagemap *pgmap)
{
	if (!pgmap)
		return;
	vmemmap_dedup_destroy(mm, pgmap);
	if (pgmap->memmap_fd >= 0)
		close(pgmap->memmap_fd);
	free(pgmap);
}

static struct dev_pagemap *dev_pagemap_new(const struct mm_pgmap_params *p,
					   const struct memremap_plan *plan)
{
	struct dev_pagemap *pgmap = calloc(1, sizeof(*pgmap));

	if (!pgmap)
		return NULL;
	pgmap->type = p->type;
	pgmap->nid = plan->nid;
	pgmap->start_pfn = plan->start_pfn;
	pgmap->nr_pages = plan->nr_pages;
	pgmap->vmemmap_shift = plan->vmemmap_shift;
	pgmap->ops_page_free = p->has_ops_page_free;
	pgmap->ops_migrate_to_ram = p->has_ops_migrate_to_ram;
	pgmap->owner = p->has_owner;
	pgmap->memmap_fd = -1;
	if (plan->has_altmap) {
		pgmap->flags |= PGMAP_ALTMAP_VALID;
		pgmap->altmap = (struct vmem_altmap){
			.base_pfn = p->altmap.base_pfn, .end_pfn = p->altmap.end_pfn,
			.reserve = p->altmap.reserve, .free = p->altmap.free,
		};
	}
	return pgmap;
}

static int memremap_act(struct mm_model *mm, const struct mm_pgmap_params *p,
			const struct memremap_plan *plan, struct mm_err *err, uint64_t *id)
{
	struct mm_resource res = { 0 }, *r;
	struct dev_pagemap *pgmap;
	uint64_t folio_bytes;
	int ret;

	if (zone_device_init(mm) || resources_reserve(mm, 1) || !(pgmap = dev_pagemap_new(p, plan)))
		return mm_fail(err, -ENOMEM, MM_CAUSE_NOMEM, "out of memory for a pgmap");
	ret = pgmap_memmap_backing(mm, pgmap, err);
	if (!ret && vmemmap_dedup_prepare(mm, pgmap, false, &folio_bytes))
		ret = mm_fail(err, -ENOMEM, MM_CAUSE_NOMEM,
			      "cannot create the shared memory for the vmemmap tail reuse");
	if (ret) {
		dev_pagemap_free(mm, pgmap);
		return ret;
	}

	mm->zone_device->hotplug_pgmap = pgmap;
	ret = __add_pages(mm, pgmap->nid, pgmap->start_pfn, pgmap->nr_pages, pgmap_altmap(pgmap),
			  err);
	mm->zone_device->hotplug_pgmap = NULL;
	if (ret) {
		dev_pagemap_free(mm, pgmap);
		return ret;
	}
	move_pfn_range_to_zone_device(mm, pgmap);
	memmap_init_zone_device(mm, pgmap);
	if (pgmap_takes_bulk_refs(pgmap))
		pgmap->ref_bulk = pfn_len(pgmap);
	pgmap->memmap_bytes = memremap_memmap_bytes(mm, pgmap->start_pfn, pgmap->nr_pages,
						    pgmap->vmemmap_shift,
						    vmemmap_dedup_folio_bytes(mm, pgmap));
	mm->node_data[pgmap->nid].online = true;

	res.start = PFN_PHYS(mm, pgmap->start_pfn);
	res.end = PFN_PHYS(mm, pgmap_pfn_end(pgmap));
	res.nid = pgmap->nid;
	res.device = true;
	res.pgmap = pgmap;
	r = resource_insert(mm, &res);
	pgmap->id = r->id;
	*id = r->id;
	return 0;
}

int memremap_pages(struct mm_model *mm, const struct mm_pgmap_params *p, unsigned int nr_range,
		   uint64_t *id)
{
	struct memremap_plan plan;
	struct mm_err err = { 0 };
	uint64_t new_id = 0;
	int ret;

	mm_clear_error(mm);
	if (id)
		*id = 0;
	ret = memremap_check(mm, p, nr_range, &err, &plan);
	if (!ret)
		ret = memremap_act(mm, p, &plan, &err, &new_id);
	if (ret)
		return mm_record(mm, &err);
	if (id)
		*id = new_id;
	return 0;
}

int mm_memremap_pages(struct mm_model *mm, const struct mm_pgmap_params *p, uint64_t *id)
{
	return memremap_pages(mm, p, p->size ? 1 : 0, id);
}

void mm_plan_memremap(const struct mm_model *mm, const struct mm_pgmap_params *p,
		      struct mm_plan *out)
{
	struct memremap_plan plan;
	struct mm_err err = { 0 };

	plan_init(out);
	if (memremap_check(mm, p, p->size ? 1 : 0, &err, &plan)) {
		plan_set_error(out, &err);
		return;
	}
	out->first_section = pfn_to_section_nr(mm, plan.start_pfn);
	out->nr_sections = pfn_to_section_nr(mm, plan.start_pfn + plan.nr_pages - 1) -
			   out->first_section + 1;
	out->nr_subsections = plan.nr_pages / PAGES_PER_SUBSECTION(mm);
	out->first_block = 0;
	out->nr_blocks = 0;   /* ZONE_DEVICE has no memory blocks */
	out->memmap_bytes = plan.memmap_bytes;
	out->memmap_location = plan.uses_altmap ? MM_MEMMAP_ALTMAP : MM_MEMMAP_RAM;
	out->has_altmap = plan.has_altmap;
	if (plan.has_altmap) {
		out->altmap.base_pfn = plan.altmap.base_pfn;
		out->altmap.end_pfn = plan.altmap.end_pfn;
		out->altmap.reserve = plan.altmap.reserve;
		out->altmap.free = plan.altmap.free;
		out->altmap.align = plan.altmap.align;
		out->altmap.alloc = plan.altmap.alloc;
	}
	out->zone = ZONE_DEVICE;
}

/* ------------------------------------------------------------------ unmap */

static int memunmap_check(const struct mm_model *mm, uint64_t id, struct mm_err *err,
			  struct mm_resource **out)
{
	struct mm_resource *r = resource_find_id(mm, id);

	*out = r;
	if (!r)
		return mm_fail(err, -ENOENT, MM_CAUSE_NOENT, "range %" PRIu64 " does not exist", id);
	if (!r->device || !r->pgmap)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "range %" PRIu64 " is System RAM, not a pgmap (remove it as memory)",
			       id);
	if (r->pgmap->ref_pages)
		return mm_fail(err, -EBUSY, MM_CAUSE_BUSY,
			       "device range %" PRIu64 " [%#" PRIx64 ", %#" PRIx64 ") holds %" PRIu64
			       " page reference%s (mm_put_pages() releases them): memunmap_pages() "
			       "would wait for them", id, r->start, r->end, r->pgmap->ref_pages,
			       r->pgmap->ref_pages == 1 ? "" : "s");
	return 0;
}

/*
 * memunmap_pages(): kill the ref and drop the bulk references (nothing else is held: checked),
 * then pageunmap_range(): remove_pfn_range_from_zone() poisons (ZONE_DEVICE spans never
 * shrink), __remove_pages() clears the subsections and depopulates the vmemmap, giving the
 * altmap back. An altmap not back at alloc 0 is the kernel's "failed to free all reserved
 * pages" WARN, kept for the invariant checker.
 */
static void memunmap_act(struct mm_model *mm, struct mm_resource *r)
{
	struct dev_pagemap *pgmap = r->pgmap;
	struct vmem_altmap *altmap = pgmap_altmap(pgmap);

	pgmap->dying = true;
	pgmap->ref_bulk = 0;
	mm->zone_device->hotplug_pgmap = pgmap;
	remove_pfn_range_from_zone(mm, &mm->node_data[pgmap->nid].node_zones[ZONE_DEVICE],
				   pgmap->start_pfn, pgmap->nr_pages);
	__remove_pages(mm, pgmap->start_pfn, pgmap->nr_pages, altmap);
	mm->zone_device->hotplug_pgmap = NULL;
	if (altmap && altmap->alloc)
		mm->zone_device->altmap_leaks++;
	resource_remove(mm, r);
	dev_pagemap_free(mm, pgmap);
}

int mm_memunmap_pages(struct mm_model *mm, uint64_t id)
{
	struct mm_err err = { 0 };
	struct mm_resource *r;

	mm_clear_error(mm);
	if (memunmap_check(mm, id, &err, &r))
		return mm_record(mm, &err);
	memunmap_act(mm, r);
	return 0;
}

void zone_device_destroy(struct mm_model *mm)
{
	for (size_t i = 0; i < mm->nr_resources; i++) {
		if (mm->resources[i].device) {
			dev_pagemap_free(mm, mm->resources[i].pgmap);
			mm->resources[i].pgmap = NULL;
		}
	}
	free(mm->zone_device);
	mm->zone_device = NULL;
}

/* -------------------------------------------------------- page references */

struct page *device_folio_page(const struct mm_model *mm, const struct dev_pagemap *pgmap,
			       uint64_t pfn)
{
	return mm->vmemmap.base + (pgmap->vmemmap_shift ? compound_head_pfn(pgmap, pfn) : pfn);
}

/*
 * get_page()/put_page() on device pages check the folio (compound head): *done is how many of
 * the count pfns from pfn belong to it. Only device pages take references: the altmap's
 * reserve (info block) and free (memmap) pfns have struct pages but belong to no folio.
 */
int device_page_refs_check(const struct mm_model *mm, struct dev_pagemap *pgmap, uint64_t pfn,
			   uint64_t count, bool put, struct mm_err *err, uint64_t *done)
{
	uint64_t folio_nr = pgmap_vmemmap_nr(pgmap);
	uint64_t n = MIN(count, compound_head_pfn(pgmap, pfn) + folio_nr - pfn);
	const struct page *folio = device_folio_page(mm, pgmap, pfn);
	const struct vmem_altmap *altmap = pgmap_altmap_const(pgmap);
	int idle = pgmap_idle_refcount(pgmap);

	*done = n;
	if (!pgmap_pfn_valid(pgmap, pfn))
		return mm_fail(err, -EINVAL, MM_CAUSE_STATE,
			       "pfn %#" PRIx64 " of device range %" PRIu64 " holds its %s, it is not "
			       "a device page (those start at pfn %#" PRIx64 ")", pfn, pgmap->id,
			       altmap && pfn < pgmap->start_pfn + altmap->reserve ?
			       "info block (altmap reserve)" : "memmap (altmap free pfns)",
			       pgmap_pfn_first(pgmap));
	if (put && (int64_t)page_ref_count(folio) - (int64_t)n < idle)
		return mm_fail(err, -EINVAL, MM_CAUSE_STATE,
			       "pfn %#" PRIx64 " holds no reference to put (its %s has refcount %d, "
			       "idle at %d)", pfn, folio_nr > 1 ? "folio" : "device page",
			       page_ref_count(folio), idle);
	if (!put && (int64_t)page_ref_count(folio) + (int64_t)n > INT_MAX)
		return mm_fail(err, -EOVERFLOW, MM_CAUSE_INVALID,
			       "the refcount of pfn %#" PRIx64 " would overflow", pfn);
	return 0;
}

/*
 * The references: the folio's and one pgmap reference per page (get_dev_pagemap() pins the
 * device). A put that brings the folio back to its idle count is free_zone_device_folio():
 * PRIVATE/COHERENT/P2PDMA call page_free(), FS_DAX wakes the waiters, GENERIC is reset to 1;
 * never the page allocator.
 */
uint64_t device_page_refs_apply(struct mm_model *mm, struct dev_pagemap *pgmap, uint64_t pfn,
				uint64_t count, bool put)
{
	uint64_t folio_nr = pgmap_vmemmap_nr(pgmap);
	uint64_t n = MIN(count, compound_head_pfn(pgmap, pfn) + folio_nr - pfn);
	struct page *folio = device_folio_page(mm, pgmap, pfn);

	if (put) {
		folio->_refcount -= (int)n;
		pgmap->ref_pages -= n;
		if (page_ref_count(folio) == pgmap_idle_refcount(pgmap))
			pgmap->nr_freed++;
	} else {
		folio->_refcount += (int)n;
		pgmap->ref_pages += n;
	}
	return n;
}

/* ----------------------------------------------------------------- reports */

void device_range_fill_info(const struct mm_model *mm, const struct dev_pagemap *pgmap,
			    struct mm_range_info *out)
{
	const struct vmem_altmap *altmap = pgmap_altmap_const(pgmap);

	out->type = pgmap->type;
	out->align = PFN_PHYS(mm, pgmap_vmemmap_nr(pgmap));
	out->has_altmap = altmap != NULL;
	if (altmap) {
		out->altmap.base_pfn = altmap->base_pfn;
		out->altmap.end_pfn = altmap->end_pfn;
		out->altmap.reserve = altmap->reserve;
		out->altmap.free = altmap->free;
		out->altmap.align = altmap->align;
		out->altmap.alloc = altmap->alloc;
	}
	out->refs = pgmap->ref_pages;
	out->memmap_bytes = pgmap->memmap_bytes;
}

/* ------------------------------------------------------------- invariants */

struct zinv {
	const struct mm_model *mm;
	char *buf;
	size_t len;
};

__attribute__((format(printf, 2, 3)))
static int zinv_fail(struct zinv *c, const char *fmt, ...)
{
	va_list ap;

	if (c->buf && c->len) {
		va_start(ap, fmt);
		vsnprintf(c->buf, c->len, fmt, ap);
		va_end(ap);
	}
	return -EUCLEAN;
}

#define ZCHECK(c, cond, ...) do { if (!(cond)) return zinv_fail((c), __VA_ARGS__); } while (0)

/* 21, 22, 24: the altmap against a fresh populate of the present pieces. */
static int check_pgmap_altmap(struct zinv *c, const struct dev_pagemap *pgmap)
{
	const struct mm_model *mm = c->mm;
	const struct vmem_altmap *a = pgmap_altmap_const(pgmap);
	struct vmem_altmap expect;
	bool used;

	if (!a)
		return 0;
	ZCHECK(c, a->base_pfn == pgmap->start_pfn, "22: device range %" PRIu64 " altmap base %#"
	       PRIx64 " is not its first pfn %#" PRIx64, pgmap->id, a->base_pfn, pgmap->start_pfn);
	ZCHECK(c, a->reserve + a->free <= pgmap->nr_pages, "22: device range %" PRIu64 " altmap "
	       "reserve + free exceeds the range", pgmap->id);
	ZCHECK(c, a->alloc + a->align <= a->free, "21: device range %" PRIu64 " altmap alloc %"
	       PRIu64 " + align %" PRIu64 " > free %" PRIu64, pgmap->id, a->alloc, a->align,
	       a->free);
	expect = *a;
	expect.align = 0;
	ZCHECK(c, !simulate_altmap_populate(mm, pgmap->start_pfn, pgmap->nr_pages, &expect, &used) &&
	       expect.alloc == a->alloc && expect.align == a->align,
	       "21: device range %" PRIu64 " altmap hands out %" PRIu64 " (+%" PRIu64 " padding) "
	       "for memmap needing %" PRIu64 " (+%" PRIu64 ")", pgmap->id, a->alloc, a->align,
	       expect.alloc, expect.align);
	return 0;
}

/* 23: the reserve is untouched (poisoned), the free pfns hold memmap and are no device pages. */
static int check_pgmap_metadata_pages(struct zinv *c, const struct dev_pagemap *pgmap)
{
	const struct mm_model *mm = c->mm;
	const struct vmem_altmap *a = pgmap_altmap_const(pgmap);
	const struct page *page;

	if (!a)
		return 0;
	if (a->reserve && !early_section(__pfn_to_section(mm, pgmap->start_pfn)))
		ZCHECK(c, pfn_memmap_uninitialised(mm, pgmap->start_pfn),
		       "23: the altmap reserve of device range %" PRIu64 " has initialised struct "
		       "pages", pgmap->id);
	if (!a->free)
		return 0;
	page = pfn_to_page(mm, pgmap->start_pfn + a->reserve);
	ZCHECK(c, !pfn_memmap_uninitialised(mm, pgmap->start_pfn + a->reserve) &&
	       PageReserved(page) &&
	       page_zonenum(&mm->pfl, page) == ZONE_DEVICE && page->pgmap != pgmap,
	       "23: pfn %#" PRIx64 " holding the memmap of device range %" PRIu64 " is not a "
	       "reserved ZONE_DEVICE page outside the pgmap", pgmap->start_pfn + a->reserve,
	       pgmap->id);
	return 0;
}

/* 17, 18, 19: device folios, their references, their compound structure. */
static int check_pgmap_pages(struct zinv *c, const struct dev_pagemap *pgmap)
{
	const struct mm_model *mm = c->mm;
	uint64_t folio_nr = pgmap_vmemmap_nr(pgmap), first = pgmap_pfn_first(pgmap);
	uint64_t end = pgmap_pfn_end(pgmap), held = 0;
	int idle = pgmap_idle_refcount(pgmap);

	ZCHECK(c, !pgmap->dying, "19: device range %" PRIu64 " is dying but still mapped",
	       pgmap->id);
	ZCHECK(c, pgmap->ref_bulk == (pgmap_takes_bulk_refs(pgmap) ? pfn_len(pgmap) : 0),
	       "19: device range %" PRIu64 " holds %" PRIu64 " bulk pgmap references for %" PRIu64
	       " folios", pgmap->id, pgmap->ref_bulk, pfn_len(pgmap));
	for (uint64_t pfn = first; pfn < end; pfn += folio_nr) {
		const struct page *page = pfn_to_page(mm, pfn);

		ZCHECK(c, !pfn_memmap_uninitialised(mm, pfn) &&
		       page_zonenum(&mm->pfl, page) == ZONE_DEVICE &&
		       PageReserved(page) && page->pgmap == pgmap,
		       "17: device page %#" PRIx64 " of range %" PRIu64 " is not an initialised "
		       "ZONE_DEVICE page pointing at its pgmap", pfn, pgmap->id);
		ZCHECK(c, page_ref_count(page) >= idle && !page_has_type(page, PGTY_buddy),
		       "18: device page %#" PRIx64 " has refcount %d below its idle %d or is in the "
		       "buddy", pfn, page_ref_count(page), idle);
		held += (uint64_t)(page_ref_count(page) - idle);
		if (folio_nr > 1)
			ZCHECK(c, PageHead(page), "device folio %#" PRIx64 " has no PG_head", pfn);
	}
	ZCHECK(c, held == pgmap->ref_pages, "19: device range %" PRIu64 " folios hold %" PRIu64
	       " references, the pgmap counts %" PRIu64, pgmap->id, held, pgmap->ref_pages);
	if (folio_nr == 1 || first >= end)
		return 0;
	/*
	 * tails, read at the first, second, middle and last position (through the aliases, or
	 * decoded from the zero encoding, which must still be all zero)
	 */
	for (uint64_t head = first; head < end;
	     head += MAX(1, (end - first) / folio_nr / 8) * folio_nr) {
		const struct page *h = pfn_to_page(mm, head);
		const uint64_t tails[] = { 1, 2, 64, folio_nr / 2, folio_nr - 1 };
		struct page buf;

		ZCHECK(c, (device_page_read(mm, pgmap, head + 1, &buf)->flags &
			   COMPOUND_ORDER_MASK) == pgmap->vmemmap_shift,
		       "folio %#" PRIx64 " of range %" PRIu64 " does not record order %u", head,
		       pgmap->id, pgmap->vmemmap_shift);
		for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
			const struct page *t;

			if (tails[i] >= folio_nr)
				continue;
			ZCHECK(c, !vmemmap_zero_tails(pgmap) || zero_tail_intact(mm, head + tails[i]),
			       "tail %" PRIu64 " of folio %#" PRIx64 " (range %" PRIu64 ") was written "
			       "over its zero encoding", tails[i], head, pgmap->id);
			t = device_page_read(mm, pgmap, head + tails[i], &buf);
			ZCHECK(c, t->compound_head == ((unsigned long)(uintptr_t)h | 1UL) &&
			       page_ref_count(t) == 0 && page_zonenum(&mm->pfl, t) == ZONE_DEVICE,
			       "tail %" PRIu64 " of folio %#" PRIx64 " (range %" PRIu64 ") does not "
			       "point at its head", tails[i], head, pgmap->id);
		}
	}
	return 0;
}

/* 17 at sample pfns, 20, and the memmap bookkeeping of the range's pieces. */
static int check_pgmap_range(struct zinv *c, const struct mm_resource *r,
			     uint64_t *shared, uint64_t *file, uint64_t *maps)
{
	const struct mm_model *mm = c->mm;
	const struct dev_pagemap *pgmap = r->pgmap;
	uint64_t end, nr, step, hps = mm->vmemmap.host_page_size;

	ZCHECK(c, pgmap, "device range %" PRIu64 " has no pgmap", r->id);
	end = pgmap_pfn_end(pgmap);
	ZCHECK(c, pgmap->id == r->id && PFN_PHYS(mm, pgmap->start_pfn) == r->start &&
	       PFN_PHYS(mm, end) == r->end && pgmap->nid == r->nid,
	       "pgmap of device range %" PRIu64 " describes another range", r->id);
	ZCHECK(c, !check_pfn_span(mm, pgmap->start_pfn, pgmap->nr_pages),
	       "6: device range %" PRIu64 " is not subsection aligned", r->id);
	ZCHECK(c, !memblock_overlaps(mm, r->start, r->end, NULL),
	       "20: device range %" PRIu64 " intersects boot System RAM", r->id);
	step = MAX(PAGES_PER_SUBSECTION(mm), pgmap->nr_pages / 16);
	for (uint64_t i = 0; i <= pgmap->nr_pages / step; i++) {
		uint64_t p = MIN(pgmap->start_pfn + i * step, end - 1);

		ZCHECK(c, pfn_valid(mm, p) && !pfn_to_online_page(mm, p),
		       "17: pfn %#" PRIx64 " of device range %" PRIu64 " is %s", p, r->id,
		       pfn_valid(mm, p) ? "online" : "not pfn_valid");
		ZCHECK(c, get_dev_pagemap(mm, p) == pgmap,
		       "20: pfn %#" PRIx64 " finds another pgmap than its range's", p);
	}
	ZCHECK(c, !pgmap->dedup || vmemmap_can_optimize(mm, pgmap_altmap_const(pgmap), pgmap),
	       "device range %" PRIu64 " reuses vmemmap tails the kernel would not", r->id);
	for (uint64_t pfn = pgmap->start_pfn; pfn < end; pfn += nr) {
		uint64_t piece_pfn;

		pgmap_section_piece(mm, pgmap, pfn, &piece_pfn, &nr);
		if (early_section(__pfn_to_section(mm, pfn)))
			continue;
		if (pgmap->dedup) {
			*shared += vmemmap_dedup_shared_pages(mm, pgmap, pfn, nr);
		} else if (vmemmap_uses_altmap(mm, nr, pgmap_altmap_const(pgmap)) &&
			   altmap_memmap_in_file(mm, pgmap, pfn, nr, pgmap_altmap_const(pgmap))) {
			*file += nr * sizeof(struct page) / hps;
		}
	}
	if (pgmap->dedup)
		*maps += vmemmap_dedup_maps(pgmap);
	return 0;
}

int zone_device_check_invariants(const struct mm_model *mm, char *buf, size_t len)
{
	struct zinv c = { .mm = mm, .buf = buf, .len = len };
	const struct zone_device *zd = mm->zone_device;
	uint64_t shared = 0, file = 0, maps = 0;
	int ret;

	for (size_t i = 0; i < mm->nr_resources; i++) {
		const struct mm_resource *r = &mm->resources[i];

		if (!r->device)
			continue;
		ret = check_pgmap_range(&c, r, &shared, &file, &maps);
		if (!ret)
			ret = check_pgmap_altmap(&c, r->pgmap);
		if (!ret)
			ret = check_pgmap_metadata_pages(&c, r->pgmap);
		if (!ret)
			ret = check_pgmap_pages(&c, r->pgmap);
		if (ret)
			return ret;
		ZCHECK(&c, zone_intersects(&mm->node_data[r->nid].node_zones[ZONE_DEVICE],
					   PHYS_PFN(mm, r->start), PHYS_PFN(mm, r->end - r->start)) &&
		       mm->node_data[r->nid].node_zones[ZONE_DEVICE].zone_start_pfn <=
		       PHYS_PFN(mm, r->start) &&
		       zone_end_pfn(&mm->node_data[r->nid].node_zones[ZONE_DEVICE]) >=
		       PHYS_PFN(mm, r->end),
		       "17: ZONE_DEVICE of node %d does not span device range %" PRIu64, r->nid,
		       r->id);
	}
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		const struct zone *z = &mm->node_data[nid].node_zones[ZONE_DEVICE];

		ZCHECK(&c, !z->present_pages && !z->managed_pages,
		       "17: ZONE_DEVICE of node %d counts %" PRIu64 " present, %" PRIu64 " managed "
		       "pages", nid, z->present_pages, z->managed_pages);
	}
	ZCHECK(&c, shared == vmemmap_nr_shared(mm), "vmemmap: %" PRIu64 " host pages counted as "
	       "reused tails, the device ranges have %" PRIu64, vmemmap_nr_shared(mm), shared);
	ZCHECK(&c, file == vmemmap_nr_file(mm), "vmemmap: %" PRIu64 " host pages counted as in a "
	       "device file, the device ranges have %" PRIu64, vmemmap_nr_file(mm), file);
	if (zd) {
		ZCHECK(&c, maps == zd->dedup_maps && maps <= zd->dedup_map_budget,
		       "vmemmap: %" PRIu64 " tail reuse mappings counted, the ranges hold %" PRIu64
		       " (budget %" PRIu64 ")", zd->dedup_maps, maps, zd->dedup_map_budget);
		ZCHECK(&c, !zd->altmap_leaks, "21: memunmap_pages() left %" PRIu64 " altmap%s not "
		       "fully unmapped (failed to free all reserved pages)", zd->altmap_leaks,
		       zd->altmap_leaks == 1 ? "" : "s");
	}
	return 0;
}

/*
 * 26: the taint is cleared only when its section empties, so it may outlive the device range
 * that set it. The only memory that can share a section with a device range and stay when
 * that range goes without starting or ending inside the section is boot memory with holes
 * (hot-added RAM comes in whole blocks, any other device range starts or ends inside).
 */
bool section_taint_may_be_stale(const struct mm_model *mm, uint64_t section_nr)
{
	const struct mem_section *ms = __nr_to_section(mm, section_nr);
	uint64_t pfn = section_nr_to_pfn(mm, section_nr);

	return early_section(ms) &&
	       memblock_pages_in(mm, pfn, pfn + PAGES_PER_SECTION(mm)) < PAGES_PER_SECTION(mm);
}
