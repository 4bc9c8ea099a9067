/* SPDX-License-Identifier: MIT */
/*
 * Initialising struct pages (mm/mm_init.c): __init_single_page(), memmap_init_range(),
 * init_unavailable_range() and the per-pageblock migratetype stored in the section's usage.
 */
#include "memremap.h"

/*
 * __init_single_page(): zeroed, zone/node/section links, refcount 1, mapcount -1, empty lru.
 * (cpupid and KASAN tags are not modelled.)
 */
void __init_single_page(const struct mm_model *mm, struct page *page, uint64_t pfn,
			enum mm_zone_type zone, int nid)
{
	memset(page, 0, sizeof(*page));
	set_page_links(&mm->pfl, page, zone, nid, pfn_to_section_nr(mm, pfn));
	set_page_count(page, 1);
	page->_mapcount = -1;
	INIT_LIST_HEAD(&page->lru);
}

/* The pageblock flag byte of pfn, inside its section's mem_section_usage. */
unsigned char *pageblock_flags_ptr(const struct mm_model *mm, uint64_t pfn)
{
	struct mem_section *ms;
	uint64_t idx = (pfn & (PAGES_PER_SECTION(mm) - 1)) >> mm->arch->pageblock_order;

	if (!memory_model_sparse(mm))   /* FLATMEM, DISCONTIGMEM: in the zone */
		return zone_pageblock_flags_ptr(mm, pfn);
	ms = __pfn_to_section(mm, pfn);
	if (!ms || !ms->usage)
		return NULL;
	return &ms->usage->pageblock_flags[idx];
}

/* init_pageblock_migratetype(): the isolation bit is undone before online returns. */
void set_pageblock_migratetype(struct mm_model *mm, uint64_t pfn, enum migratetype mt)
{
	unsigned char *pb = pageblock_flags_ptr(mm, pfn);

	if (pb)
		*pb = (unsigned char)((*pb & ~(PB_MIGRATETYPE_MASK | PB_MIGRATE_ISOLATE)) | mt);
}

int get_pageblock_migratetype(const struct mm_model *mm, uint64_t pfn)
{
	const unsigned char *pb = pageblock_flags_ptr(mm, pfn);

	return pb ? (int)(*pb & PB_MIGRATETYPE_MASK) : -1;
}

/*
 * memmap_init_range(): initialise [start_pfn, start_pfn + size) into zone/nid. Hot-added memory
 * (MEMINIT_HOTPLUG) comes out PageOffline until online_pages() hands it to the buddy.
 */
void memmap_init_range(struct mm_model *mm, uint64_t size, int nid, enum mm_zone_type zone,
		       uint64_t start_pfn, enum meminit_context context,
		       enum migratetype migratetype)
{
	for (uint64_t pfn = start_pfn; pfn < start_pfn + size; pfn++) {
		struct page *page = pfn_to_page(mm, pfn);

		__init_single_page(mm, page, pfn, zone, nid);
		if (context == MEMINIT_HOTPLUG)
			__SetPageOffline(page);
		if (pageblock_aligned(mm, pfn))
			set_pageblock_migratetype(mm, pfn, migratetype);
	}
}

/*
 * init_unavailable_range(): struct pages of holes that have memmap (for_each_valid_pfn) are
 * initialised and PG_reserved, attributed to the neighbouring zone and node.
 */
void init_unavailable_range(struct mm_model *mm, uint64_t spfn, uint64_t epfn,
			    enum mm_zone_type zone, int nid)
{
	uint64_t pfn = spfn;

	while (pfn < epfn) {
		const struct mem_section *ms;

		if (!memory_model_sparse(mm)) {
			pfn = memmap_first_valid_pfn(mm, pfn, epfn);
			if (pfn < epfn) {
				__init_single_page(mm, pfn_to_page(mm, pfn), pfn, zone, nid);
				__SetPageReserved(pfn_to_page(mm, pfn));
			}
			pfn++;
			continue;
		}
		ms = __pfn_to_section(mm, pfn);

		if (!valid_section(ms)) {
			pfn = SECTION_ALIGN_UP(mm, pfn + 1);
			continue;
		}
		if (!early_section(ms) && !pfn_section_valid(mm, ms, pfn)) {
			pfn = ALIGN(pfn + 1, PAGES_PER_SUBSECTION(mm));
			continue;
		}
		__init_single_page(mm, pfn_to_page(mm, pfn), pfn, zone, nid);
		__SetPageReserved(pfn_to_page(mm, pfn));
		pfn++;
	}
}

void poison_pfn_range(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages)
{
	struct dev_pagemap *pgmap = hotplug_pgmap(mm);

	/* a range with vmemmap tail reuse: writing the distinct pages poisons every alias */
	if (pgmap && pgmap->dedup) {
		vmemmap_dedup_poison(mm, pgmap, pfn, nr_pages);
		return;
	}
	page_init_poison(pfn_to_page(mm, pfn), nr_pages * sizeof(struct page));
}
