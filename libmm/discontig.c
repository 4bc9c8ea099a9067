/* SPDX-License-Identifier: MIT */
/*
 * DISCONTIGMEM (removed in v5.14; include/asm-generic/memory_model.h of that era): FLATMEM once
 * per node. Each node has its own node_mem_map for [node_start_pfn, node end) rounded out to
 * MAX_ORDER_NR_PAGES (alloc_node_mem_map(), flatmem.c); pfn_to_page() first asks the arch's
 * pfn_to_nid() which node owns the pfn, page_to_pfn() reads the node from page->flags. A pfn is
 * valid iff its node spans it. No mem_section, no memory blocks, no hotplug, no ZONE_DEVICE.
 *
 * pfn_to_nid() is x86_64's old memnodemap (arch/x86_64/mm/numa.c, compute_hash_shift()): one
 * node id per 2^memnode_shift pfns, the shift being the lowest set bit of all node starts (63
 * for a single node), so every node starts on a chunk boundary. Nodes whose spans share a chunk
 * (interleaved nodes) cannot be described and are refused, as x86_64 then refused NUMA.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory_model.h"

/* the model's cap on the table: 16 Mi entries (16 MiB) */
#define MEMNODEMAP_MAX_ENTRIES (1ULL << 24)

/* extract_lsb_from_nodes(): the shift, and the first node whose start needs it */
static unsigned int memnode_hash_shift(const struct mm_model *mm, uint64_t *memtop,
				       int *tightest)
{
	uint64_t bitfield = 0;
	int nodes_used = 0;

	*memtop = 0;
	*tightest = 0;
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		const struct pglist_data *pgdat = &mm->node_data[nid];
		uint64_t start = pgdat->node_start_pfn;

		if (!pgdat->node_spanned_pages)
			continue;
		/* the node whose start has the lowest set bit decides the shift */
		if (start && (!bitfield || __builtin_ctzll(start) < __builtin_ctzll(bitfield)))
			*tightest = nid;
		bitfield |= start;
		*memtop = MAX(*memtop, pgdat_end_pfn(pgdat));
		nodes_used++;
	}
	if (nodes_used <= 1 || !bitfield)
		return 63;
	return (unsigned int)__builtin_ctzll(bitfield);
}

/* populate_memnodemap(): every chunk of a node's span names the node; a shared chunk fails. */
static int populate_memnodemap(struct mm_model *mm, struct mm_err *err)
{
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		const struct pglist_data *pgdat = &mm->node_data[nid];
		uint64_t first = pgdat->node_start_pfn >> mm->memnode_shift;
		uint64_t last = (pgdat_end_pfn(pgdat) - 1) >> mm->memnode_shift;

		if (!pgdat->node_spanned_pages)
			continue;
		for (uint64_t i = first; i <= last; i++) {
			if (mm->memnodemap[i] != NUMA_NO_NODE)
				return mm_fail(err, -EINVAL, MM_CAUSE_OVERLAP,
					       "DISCONTIGMEM: nodes %d and %d share the pfn_to_nid() "
					       "chunk at %#" PRIx64 " (%s): their spans overlap",
					       mm->memnodemap[i], nid,
					       PFN_PHYS(mm, i << mm->memnode_shift),
					       HSIZE(PFN_PHYS(mm, 1ULL << MIN(mm->memnode_shift, 40))));
			mm->memnodemap[i] = (signed char)nid;
		}
	}
	return 0;
}

/* compute_hash_shift() + the table; refused when it would not fit the model's cap. */
static int memnodemap_init(struct mm_model *mm, struct mm_err *err)
{
	uint64_t memtop, entries;
	int tightest;

	mm->memnode_shift = memnode_hash_shift(mm, &memtop, &tightest);
	entries = memtop ? ((memtop - 1) >> mm->memnode_shift) + 1 : 1;
	if (entries > MEMNODEMAP_MAX_ENTRIES)
		return mm_fail(err, -EINVAL, MM_CAUSE_MISALIGNED,
			       "DISCONTIGMEM: node %d starts at %#" PRIx64 ", aligned to %s only: "
			       "pfn_to_nid() would need %" PRIu64 " table entries (at most %llu); "
			       "align node boundaries to larger powers of two",
			       tightest, PFN_PHYS(mm, mm->node_data[tightest].node_start_pfn),
			       HSIZE(PFN_PHYS(mm, 1ULL << mm->memnode_shift)), entries,
			       MEMNODEMAP_MAX_ENTRIES);
	mm->memnodemap = malloc(entries);
	if (!mm->memnodemap)
		return mm_fail(err, -ENOMEM, MM_CAUSE_NOMEM, "cannot allocate the pfn_to_nid() table");
	memset(mm->memnodemap, NUMA_NO_NODE, entries);
	mm->memnodemapsize = entries;
	return populate_memnodemap(mm, err);
}

/* the memmap of every node, from boot RAM like memmap_alloc() */
static uint64_t node_mem_maps_bytes(const struct mm_model *mm)
{
	uint64_t mo = 1ULL << mm->arch->max_page_order, bytes = 0;

	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		const struct pglist_data *pgdat = &mm->node_data[nid];

		if (pgdat->node_spanned_pages)
			bytes += (ALIGN(pgdat_end_pfn(pgdat), mo) -
				  ALIGN_DOWN(pgdat->node_start_pfn, mo)) * sizeof(struct page);
	}
	return bytes;
}

/* pfn_to_nid() first (it must describe the nodes), then every node_mem_map, then usemaps. */
static int discontig_alloc_mem_maps(struct mm_model *mm, struct mm_err *err)
{
	int ret = memnodemap_init(mm, err);

	if (!ret)
		ret = check_node_mem_map_fits(mm, node_mem_maps_bytes(mm), err);
	for (int nid = 0; !ret && nid < MAX_NUMNODES; nid++)
		ret = alloc_node_mem_map(mm, nid, err);
	if (!ret)
		ret = setup_zone_usemaps(mm, err);
	return ret;
}

static struct page *discontig_ops_pfn_to_page(const struct mm_model *mm, uint64_t pfn)
{
	return discontig_pfn_to_page(mm, pfn);
}

static uint64_t discontig_ops_page_to_pfn(const struct mm_model *mm, const struct page *page)
{
	return discontig_page_to_pfn(mm, page);
}

static bool discontig_ops_pfn_valid(const struct mm_model *mm, uint64_t pfn)
{
	return discontig_pfn_valid(mm, pfn);
}

/* page->flags names a node whose node_mem_map holds the page at a valid pfn */
static bool discontig_page_in_memmap(const struct mm_model *mm, const struct page *page)
{
	const struct pglist_data *pgdat = &mm->node_data[page_to_nid(&mm->pfl, page)];
	uintptr_t p = (uintptr_t)page, base = (uintptr_t)pgdat->node_mem_map;

	return base && p >= base && p < base + pgdat->node_spanned_pages * sizeof(struct page) &&
	       (p - base) % sizeof(struct page) == 0;
}

static int discontig_init(struct mm_model *mm)
{
	(void)mm;
	return 0;
}

/*
 * pfn_to_nid() names each node for its whole span and nothing outside any node; each node's
 * node_mem_map is the page of node_start_pfn in a mapping rounded to MAX_ORDER_NR_PAGES; every
 * valid page is initialised and of its node; nothing SPARSEMEM-only exists.
 */
static int discontig_check(const struct mm_model *mm, char *buf, size_t len)
{
	uint64_t mo = 1ULL << mm->arch->max_page_order, pages = 0;
	int ret;

	if (mm->mem_section || mm->highest_present_section_nr >= 0 || mm->nr_memory_blocks ||
	    mm->nr_resources) {
		snprintf(buf, len, "DISCONTIGMEM has a section, a memory block or a hot-added range");
		return -EUCLEAN;
	}
	for (size_t i = 0; i < mm->nr_memblock; i++) {
		const struct memblock_region *r = &mm->memblock[i];
		uint64_t s = PHYS_PFN(mm, r->base), e = PHYS_PFN(mm, r->base + r->size);

		if (mm->booted && (discontig_pfn_to_nid(mm, s) != r->nid ||
				   discontig_pfn_to_nid(mm, e - 1) != r->nid)) {
			snprintf(buf, len, "DISCONTIGMEM: pfn_to_nid() of boot RAM [%#" PRIx64 ", %#"
				 PRIx64 ") is not node %d", r->base, r->base + r->size, r->nid);
			return -EUCLEAN;
		}
	}
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		const struct pglist_data *pgdat = &mm->node_data[nid];
		uint64_t start = ALIGN_DOWN(pgdat->node_start_pfn, mo);
		uint64_t end = ALIGN(pgdat_end_pfn(pgdat), mo);

		if (!pgdat->node_spanned_pages) {
			if (pgdat->node_mem_map) {
				snprintf(buf, len, "DISCONTIGMEM: empty node %d has a node_mem_map", nid);
				return -EUCLEAN;
			}
			continue;
		}
		if (!pgdat->node_mem_map || mm->node_mem_map_area[nid].len !=
		    (end - start) * sizeof(struct page) ||
		    pgdat->node_mem_map != page_at((uintptr_t)mm->node_mem_map_area[nid].addr,
						   pgdat->node_start_pfn - start) ||
		    (pgdat->node_start_pfn && discontig_pfn_valid(mm, pgdat->node_start_pfn - 1) &&
		     discontig_pfn_to_nid(mm, pgdat->node_start_pfn - 1) == nid) ||
		    (discontig_pfn_valid(mm, pgdat_end_pfn(pgdat)) &&
		     discontig_pfn_to_nid(mm, pgdat_end_pfn(pgdat)) == nid)) {
			snprintf(buf, len, "DISCONTIGMEM: node %d's node_mem_map does not cover exactly "
				 "its span [%#" PRIx64 ", %#" PRIx64 ") rounded to MAX_ORDER_NR_PAGES",
				 nid, pgdat->node_start_pfn, pgdat_end_pfn(pgdat));
			return -EUCLEAN;
		}
		pages += end - start;
		ret = flatmem_check_node_pages(mm, nid, buf, len);
		if (ret)
			return ret;
	}
	if (mm->nr_memmap_boot != pages || mm->nr_memmap_ram || mm->nr_memmap_altmap ||
	    mm->memmap_alloc_bytes != pages * sizeof(struct page)) {
		snprintf(buf, len, "DISCONTIGMEM: memmap counters disagree with the node_mem_maps "
			 "(%" PRIu64 " struct pages)", pages);
		return -EUCLEAN;
	}
	return 0;
}

const struct memory_model_ops memory_model_discontigmem = {
	.model = MM_DISCONTIGMEM,
	.name = "DISCONTIGMEM",
	.numa = true,
	.pfn_to_page = discontig_ops_pfn_to_page,
	.page_to_pfn = discontig_ops_page_to_pfn,
	.pfn_valid = discontig_ops_pfn_valid,
	.page_in_memmap = discontig_page_in_memmap,
	.alloc_node_mem_map = discontig_alloc_mem_maps,
	.init = discontig_init,
	.teardown = free_node_mem_maps,
	.release = free_node_mem_maps,
	.check = discontig_check,
};
