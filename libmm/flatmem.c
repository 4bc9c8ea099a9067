/* SPDX-License-Identifier: MIT */
/*
 * FLATMEM (include/asm-generic/memory_model.h, mm/mm_init.c alloc_node_mem_map()): one global
 * mem_map of struct pages from ARCH_PFN_OFFSET, covering the boot memory span rounded out to
 * MAX_ORDER_NR_PAGES, holes included. pfn_to_page() = mem_map + (pfn - ARCH_PFN_OFFSET), and a
 * pfn is valid iff it falls inside mem_map (max_mapnr pages). There is no mem_section, no memory
 * block device and no hotplug (CONFIG_MEMORY_HOTPLUG needs SPARSEMEM): the memory block listing
 * is empty, every add/remove/online/offline answers -EOPNOTSUPP naming the model, and since
 * nothing can go offline, pfn_to_online_page() is pfn_valid() ? pfn_to_page() : NULL. FLATMEM
 * is not NUMA: only node 0 has memory. Pageblock flags live in each zone (setup_usemap()).
 *
 * Also here, shared with DISCONTIGMEM (discontig.c), which is FLATMEM once per node:
 * alloc_node_mem_map(), the zone usemaps, and the memmap page checks.
 *
 * One deviation: the kernel leaves the struct pages between the end of memory and the rounded
 * end of mem_map uninitialised although pfn_valid() is true for them (memmap_init() skips that
 * tail without SPARSEMEM); the model initialises them PG_reserved like any hole, so that no
 * valid pfn has a poisoned page.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "memory_model.h"

/* MAX_ORDER_NR_PAGES: a node_mem_map's ends are buddy-block aligned */
static uint64_t max_order_nr_pages(const struct mm_model *mm)
{
	return 1ULL << mm->arch->max_page_order;
}

/*
 * memmap_alloc() takes the memmap from memblock, i.e. from boot RAM: a span so sparse that its
 * memmap outweighs the RAM cannot boot (the kernel panics; the model refuses with -ENOMEM).
 * It is also what keeps the model from writing terabytes of hole struct pages.
 */
int check_node_mem_map_fits(const struct mm_model *mm, uint64_t map_bytes, struct mm_err *err)
{
	uint64_t ram = PFN_PHYS(mm, memblock_pages_in(mm, 0, mm->geo.max_pfn));

	if (map_bytes <= ram)
		return 0;
	return mm_fail(err, -ENOMEM, MM_CAUSE_NOMEM,
		       "%s: the memmap of the boot memory span needs %s, more than the %s of boot "
		       "RAM it would be allocated from (holes cost memmap too: use SPARSEMEM)",
		       mm->mem_model->name, HSIZE(map_bytes), HSIZE(ram));
}

/*
 * A 2 MiB aligned anonymous mapping of len bytes, MADV_HUGEPAGE'd: the kernel's mem_map lives in
 * the direct map, mapped with huge pages; 4 KiB pages cost up to 1.7x on random pfn_to_page()
 * reads (perf-facts.md A5). The slack around the aligned window is given back.
 */
static void *memmap_map_huge(size_t len)
{
	const size_t align = 2 * SZ_1M;
	char *p = mmap(NULL, len + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	char *q;

	if (p == MAP_FAILED)
		return MAP_FAILED;
	q = (char *)ALIGN((uintptr_t)p, align);
	if (q > p)
		munmap(p, (size_t)(q - p));
	munmap(q + len, (size_t)(p + len + align - (q + len)));
	madvise(q, len, MADV_HUGEPAGE);   /* a hint: without THP the map is still correct */
	return q;
}

/*
 * alloc_node_mem_map(): struct pages for the node span rounded out to MAX_ORDER_NR_PAGES,
 * poisoned as memmap_alloc() leaves them; node_mem_map is the struct page of node_start_pfn.
 * FLATMEM: node 0's map is mem_map, ARCH_PFN_OFFSET its first pfn, max_mapnr its length.
 */
int alloc_node_mem_map(struct mm_model *mm, int nid, struct mm_err *err)
{
	struct pglist_data *pgdat = &mm->node_data[nid];
	uint64_t start, end;
	size_t size;
	void *map;

	if (!pgdat->node_spanned_pages)
		return 0;
	start = ALIGN_DOWN(pgdat->node_start_pfn, max_order_nr_pages(mm));
	end = ALIGN(pgdat_end_pfn(pgdat), max_order_nr_pages(mm));
	size = (end - start) * sizeof(struct page);
	map = memmap_map_huge(size);
	if (map == MAP_FAILED)
		return mm_fail(err, -ENOMEM, MM_CAUSE_NOMEM,
			       "cannot allocate the %s memmap of node %d (%" PRIu64 " struct pages)",
			       HSIZE(size), nid, end - start);
	page_init_poison(map, size);
	mm->node_mem_map_area[nid].addr = map;
	mm->node_mem_map_area[nid].len = size;
	pgdat->node_mem_map = page_at((uintptr_t)map, pgdat->node_start_pfn - start);
	mm->memmap_alloc_bytes += size;
	mm->nr_memmap_boot += end - start;
	if (mm->mem_model->model == MM_FLATMEM) {
		mm->mem_map = map;
		mm->arch_pfn_offset = start;
		mm->max_mapnr = end - start;
		mm->memmap_linear = (uintptr_t)map - (uintptr_t)start * sizeof(struct page);
	}
	return 0;
}

/*
 * setup_usemap(): without mem_section the pageblock flags are per zone, one byte (NR_PAGEBLOCK_BITS)
 * per pageblock from the pageblock holding zone_start_pfn.
 */
int setup_zone_usemaps(struct mm_model *mm, struct mm_err *err)
{
	uint64_t pb = pageblock_nr_pages(mm);

	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &mm->node_data[nid].node_zones[z];
			uint64_t nr;

			if (zone_is_empty(zone))
				continue;
			nr = DIV_ROUND_UP((zone->zone_start_pfn & (pb - 1)) + zone->spanned_pages, pb);
			zone->pageblock_flags = calloc(nr, 1);
			if (!zone->pageblock_flags)
				return mm_fail(err, -ENOMEM, MM_CAUSE_NOMEM,
					       "cannot allocate the pageblock bitmap of zone %s, node %d",
					       mm_zone_name(zone->idx), nid);
		}
	}
	return 0;
}

/* The pageblock byte of pfn in the usemap of the zone spanning it (NULL: no zone spans it). */
unsigned char *zone_pageblock_flags_ptr(const struct mm_model *mm, uint64_t pfn)
{
	int nid = mm->mem_model->model == MM_DISCONTIGMEM ? discontig_pfn_to_nid(mm, pfn) : 0;

	if (nid < 0)
		return NULL;
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone *zone = &mm->node_data[nid].node_zones[z];

		if (!zone->pageblock_flags || pfn < zone->zone_start_pfn || pfn >= zone_end_pfn(zone))
			continue;
		return &zone->pageblock_flags[(pfn - ALIGN_DOWN(zone->zone_start_pfn,
							       pageblock_nr_pages(mm))) >>
					      mm->arch->pageblock_order];
	}
	return NULL;
}

/*
 * for_each_valid_pfn() without SPARSEMEM, skipping what cannot be valid: below ARCH_PFN_OFFSET
 * and past mem_map (FLATMEM), the rest of a pfn_to_nid() chunk whose node ends (DISCONTIGMEM;
 * a node starts on a chunk boundary, so a chunk is valid from its start to its node's end).
 */
uint64_t memmap_first_valid_pfn(const struct mm_model *mm, uint64_t pfn, uint64_t end_pfn)
{
	while (pfn < end_pfn && !pfn_valid(mm, pfn)) {
		if (mm->mem_model->model == MM_FLATMEM) {
			if (pfn >= mm->arch_pfn_offset)
				return end_pfn;
			pfn = mm->arch_pfn_offset;
		} else {
			if (mm->memnode_shift >= 63 || (pfn >> mm->memnode_shift) + 1 >=
			    (1ULL << (63 - mm->memnode_shift)))
				return end_pfn;
			pfn = ((pfn >> mm->memnode_shift) + 1) << mm->memnode_shift;
		}
	}
	return MIN(pfn, end_pfn);
}

/* Give back every node_mem_map and zone usemap; counters to zero (teardown and release). */
void free_node_mem_maps(struct mm_model *mm)
{
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		struct pglist_data *pgdat = &mm->node_data[nid];

		if (mm->node_mem_map_area[nid].addr)
			munmap(mm->node_mem_map_area[nid].addr, mm->node_mem_map_area[nid].len);
		mm->node_mem_map_area[nid].addr = NULL;
		mm->node_mem_map_area[nid].len = 0;
		pgdat->node_mem_map = NULL;
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			free(pgdat->node_zones[z].pageblock_flags);
			pgdat->node_zones[z].pageblock_flags = NULL;
		}
	}
	free(mm->memnodemap);
	mm->memnodemap = NULL;
	mm->memnodemapsize = 0;
	mm->memnode_shift = 0;
	mm->mem_map = NULL;
	mm->memmap_linear = 0;
	mm->arch_pfn_offset = 0;
	mm->max_mapnr = 0;
	mm->memmap_alloc_bytes = 0;
	mm->nr_memmap_boot = 0;
}

/*
 * Every struct page of [spfn, epfn) (valid pfns of one node's memmap): initialised, of node nid,
 * a round trip through page_to_pfn(); RAM inside the span of its zone, holes PG_reserved.
 */
int flatmem_check_node_pages(const struct mm_model *mm, int nid, char *buf, size_t len)
{
	const struct pglist_data *pgdat = &mm->node_data[nid];
	uint64_t spfn = pgdat->node_start_pfn, epfn = pgdat_end_pfn(pgdat);
	const char *why = NULL;
	uint64_t pfn;

	if (mm->mem_model->model == MM_FLATMEM) {
		spfn = mm->arch_pfn_offset;
		epfn = mm->arch_pfn_offset + mm->max_mapnr;
	}
	for (pfn = spfn; pfn < epfn; pfn++) {
		const struct page *page = pfn_valid(mm, pfn) ? pfn_to_page(mm, pfn) : NULL;
		enum mm_zone_type z;

		if (!page) {
			why = "has no struct page";
			break;
		}
		if (PagePoisoned(page)) {
			why = "has an uninitialised (poisoned) struct page";
			break;
		}
		z = page_zonenum(&mm->pfl, page);
		if (page_to_pfn(mm, page) != pfn)
			why = "does not survive page_to_pfn(pfn_to_page())";
		else if (page_to_nid(&mm->pfl, page) != nid || z >= MAX_NR_ZONES)
			why = "has the wrong node or zone in page->flags";
		else if (memblock_pages_in(mm, pfn, pfn + 1) &&
			 (pfn < pgdat->node_zones[z].zone_start_pfn ||
			  pfn >= zone_end_pfn(&pgdat->node_zones[z])))
			why = "is RAM outside the span of its zone";
		else if (!memblock_pages_in(mm, pfn, pfn + 1) && !PageReserved(page))
			why = "is a hole but not PG_reserved";
		if (why)
			break;
	}
	if (!why)
		return 0;
	snprintf(buf, len, "%s: pfn %#" PRIx64 " of node %d %s", mm->mem_model->name, pfn, nid, why);
	return -EUCLEAN;
}

/* ------------------------------------------------------------------ ops */

static struct page *flatmem_ops_pfn_to_page(const struct mm_model *mm, uint64_t pfn)
{
	return flatmem_pfn_to_page(mm, pfn);
}

static uint64_t flatmem_ops_page_to_pfn(const struct mm_model *mm, const struct page *page)
{
	return flatmem_page_to_pfn(mm, page);
}

static bool flatmem_ops_pfn_valid(const struct mm_model *mm, uint64_t pfn)
{
	return flatmem_pfn_valid(mm, pfn);
}

static bool flatmem_page_in_memmap(const struct mm_model *mm, const struct page *page)
{
	uintptr_t p = (uintptr_t)page, base = (uintptr_t)mm->mem_map;

	return base && p >= base && p < base + mm->max_mapnr * sizeof(struct page) &&
	       (p - base) % sizeof(struct page) == 0;
}

/* free_area_init_node()'s alloc_node_mem_map() for the only node, then the zone usemaps. */
static int flatmem_alloc_mem_map(struct mm_model *mm, struct mm_err *err)
{
	const struct pglist_data *pgdat = &mm->node_data[0];
	uint64_t start = ALIGN_DOWN(pgdat->node_start_pfn, max_order_nr_pages(mm));
	uint64_t end = ALIGN(pgdat_end_pfn(pgdat), max_order_nr_pages(mm));
	int ret;

	for (int nid = 1; nid < MAX_NUMNODES; nid++)
		if (mm->node_data[nid].node_spanned_pages)
			return mm_fail(err, -EINVAL, MM_CAUSE_UNSUPPORTED,
				       "FLATMEM has node 0 only, node %d has memory", nid);
	ret = check_node_mem_map_fits(mm, (end - start) * sizeof(struct page), err);
	if (!ret)
		ret = alloc_node_mem_map(mm, 0, err);
	if (!ret)
		ret = setup_zone_usemaps(mm, err);
	return ret;
}

static int flatmem_init(struct mm_model *mm)
{
	(void)mm;
	return 0;
}

/*
 * FLATMEM's shape: mem_map from ARCH_PFN_OFFSET = the node start rounded down to
 * MAX_ORDER_NR_PAGES, max_mapnr up to the rounded end, pfn_valid() exactly there, every struct
 * page initialised, and nothing SPARSEMEM-only: no section, no memory block, no range.
 */
static int flatmem_check(const struct mm_model *mm, char *buf, size_t len)
{
	const struct pglist_data *pgdat = &mm->node_data[0];
	uint64_t mo = max_order_nr_pages(mm), off = mm->arch_pfn_offset;
	const char *why = NULL;

	if (mm->mem_section || mm->highest_present_section_nr >= 0 || mm->nr_memory_blocks ||
	    mm->nr_resources)
		why = "has a section, a memory block or a hot-added range";
	else if (!pgdat->node_spanned_pages)
		why = mm->mem_map ? "has a mem_map but no memory" : NULL;
	else if (!mm->mem_map || off != ALIGN_DOWN(pgdat->node_start_pfn, mo) ||
		 off + mm->max_mapnr != ALIGN(pgdat_end_pfn(pgdat), mo))
		why = "mem_map does not cover the node span rounded to MAX_ORDER_NR_PAGES";
	else if ((off && flatmem_pfn_valid(mm, off - 1)) || !flatmem_pfn_valid(mm, off) ||
		 !flatmem_pfn_valid(mm, off + mm->max_mapnr - 1) ||
		 flatmem_pfn_valid(mm, off + mm->max_mapnr))
		why = "pfn_valid() is not exactly [ARCH_PFN_OFFSET, ARCH_PFN_OFFSET + max_mapnr)";
	else if (pgdat->node_mem_map != flatmem_pfn_to_page(mm, pgdat->node_start_pfn))
		why = "node_mem_map is not the struct page of node_start_pfn";
	else if (mm->memmap_linear != (uintptr_t)mm->mem_map - off * sizeof(struct page))
		why = "the inline memmap base is not mem_map - ARCH_PFN_OFFSET";
	else if (mm->nr_memmap_boot != mm->max_mapnr || mm->nr_memmap_ram ||
		 mm->nr_memmap_altmap || mm->memmap_alloc_bytes != mm->max_mapnr * sizeof(struct page))
		why = "memmap counters disagree with max_mapnr";
	if (why) {
		snprintf(buf, len, "FLATMEM %s", why);
		return -EUCLEAN;
	}
	return pgdat->node_spanned_pages ? flatmem_check_node_pages(mm, 0, buf, len) : 0;
}

const struct memory_model_ops memory_model_flatmem = {
	.model = MM_FLATMEM,
	.name = "FLATMEM",
	.pfn_to_page = flatmem_ops_pfn_to_page,
	.page_to_pfn = flatmem_ops_page_to_pfn,
	.pfn_valid = flatmem_ops_pfn_valid,
	.page_in_memmap = flatmem_page_in_memmap,
	.alloc_node_mem_map = flatmem_alloc_mem_map,
	.init = flatmem_init,
	.teardown = free_node_mem_maps,
	.release = free_node_mem_maps,
	.check = flatmem_check,
};
