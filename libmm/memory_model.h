/* SPDX-License-Identifier: MIT */
/*
 * pfn <-> struct page for each memory model (include/asm-generic/memory_model.h), inline and
 * branch-light so that code which knows its model (the ops tables, benchmarks) pays no more
 * than the arithmetic: VMEMMAP and FLATMEM are one add on a base, classic SPARSEMEM reads the
 * section word first (EXTREME: and its root), DISCONTIGMEM the node of the pfn first.
 *
 * None of them checks anything: the pfn must be pfn_valid() and the page one of a valid pfn,
 * exactly as for the kernel's macros. Arithmetic on biased bases is done on integers, since the
 * biased value (memmap minus the section start, in struct pages) points into no object.
 */
#ifndef PMM_LIBMM_MEMORY_MODEL_H
#define PMM_LIBMM_MEMORY_MODEL_H

#include "internal.h"

static inline struct page *page_at(uintptr_t base, uint64_t idx)
{
	return (struct page *)(base + (uintptr_t)idx * sizeof(struct page));
}

/* index of page relative to base, negative when page lies below it */
static inline int64_t page_index(uintptr_t base, const struct page *page)
{
	return (int64_t)((uintptr_t)page - base) / (int64_t)sizeof(struct page);
}

/* ---------------------------------------------------------- SPARSEMEM_VMEMMAP */

/* __pfn_to_page(pfn) = vmemmap + pfn: the virtual array covers every pfn */
static inline struct page *vmemmap_pfn_to_page(const struct mm_model *mm, uint64_t pfn)
{
	return mm->vmemmap.base + pfn;
}

static inline uint64_t vmemmap_page_to_pfn(const struct mm_model *mm, const struct page *page)
{
	return (uint64_t)(page - mm->vmemmap.base);
}

/*
 * pfn_valid() of SPARSEMEM_VMEMMAP (lookup.c's sparse_pfn_valid()) with the section lookup
 * inline: the EXTREME root (allocated: the model reserved every root pointer), the section's
 * HAS_MEM_MAP, then early sections whole or the subsection bit. A few L1-resident loads that
 * the CPU resolves beside the struct page load they guard.
 *
 * The model's geometry is read before anything is tested: loads that happen on every call are
 * loop invariants the compiler hoists out of a caller's loop, where loads behind a branch are
 * repeated on every iteration. A loop of lookups then spends its instruction window on the
 * lookups, so as many of their cache misses overlap as with a plain array (bench/bench-pfn.c).
 */
static inline bool vmemmap_pfn_valid(const struct mm_model *mm, uint64_t pfn)
{
	const uint64_t max_pfn = mm->geo.max_pfn, root_mask = mm->sections_per_root_alloc - 1;
	const uint64_t sub_mask = mm->geo.pages_per_section - 1;
	const unsigned int root_shift = mm->pfn_root_shift, sec_shift = mm->geo.pfn_section_shift;
	const unsigned int sub_shift = SUBSECTION_SHIFT - mm->geo.page_shift;
	struct mem_section *const *roots = mm->mem_section;
	const struct mem_section *root, *ms;
	unsigned long w;
	unsigned int idx;

	if (pfn >= max_pfn)
		return false;
	root = roots[pfn >> root_shift];
	if (!root)
		return false;
	ms = &root[(pfn >> sec_shift) & root_mask];
	w = ms->section_mem_map;
	if (!(w & SECTION_HAS_MEM_MAP))
		return false;
	if (w & SECTION_IS_EARLY)
		return true;
	idx = (unsigned int)((pfn & sub_mask) >> sub_shift);
	return (ms->usage->subsection_map[idx / BITS_PER_LONG] >> (idx % BITS_PER_LONG)) & 1UL;
}

/*
 * pfn_valid() ? pfn_to_page() : NULL, the address computed first so that every load of the
 * model's geometry is unconditional (see above).
 */
static inline struct page *vmemmap_pfn_to_page_checked(const struct mm_model *mm, uint64_t pfn)
{
	struct page *page = vmemmap_pfn_to_page(mm, pfn);

	return vmemmap_pfn_valid(mm, pfn) ? page : NULL;
}

/* ----------------------------------------------------------------- FLATMEM */

/*
 * mem_map + (pfn - ARCH_PFN_OFFSET). ARCH_PFN_OFFSET is a constant the kernel's compiler folds
 * into mem_map; the model's is known at boot, so it folds it once there: memmap_linear is
 * mem_map - ARCH_PFN_OFFSET (an integer: it may point into nothing), and the translation is
 * one add, as the kernel's (an extra subtract per lookup costs 10% of random lookup
 * throughput, bench/bench-pfn.c).
 */
static inline struct page *flatmem_pfn_to_page(const struct mm_model *mm, uint64_t pfn)
{
	return page_at(mm->memmap_linear, pfn);
}

static inline uint64_t flatmem_page_to_pfn(const struct mm_model *mm, const struct page *page)
{
	return (uint64_t)((uintptr_t)page - mm->memmap_linear) / sizeof(struct page);
}

/* ARCH_PFN_OFFSET <= pfn < ARCH_PFN_OFFSET + max_mapnr, as one unsigned compare */
static inline bool flatmem_pfn_valid(const struct mm_model *mm, uint64_t pfn)
{
	return pfn - mm->arch_pfn_offset < mm->max_mapnr;
}

/* ------------------------------------------------------------- DISCONTIGMEM */

/* arch pfn_to_nid(): the memnodemap entry of the pfn's 2^memnode_shift chunk */
static inline int discontig_pfn_to_nid(const struct mm_model *mm, uint64_t pfn)
{
	uint64_t idx = pfn >> mm->memnode_shift;

	return idx < mm->memnodemapsize ? mm->memnodemap[idx] : NUMA_NO_NODE;
}

/* NODE_DATA(arch_pfn_to_nid(pfn))->node_mem_map + (pfn - node_start_pfn); NULL off every node */
static inline struct page *discontig_pfn_to_page(const struct mm_model *mm, uint64_t pfn)
{
	int nid = discontig_pfn_to_nid(mm, pfn);
	const struct pglist_data *pgdat;

	if (nid < 0)
		return NULL;
	pgdat = &mm->node_data[nid];
	return page_at((uintptr_t)pgdat->node_mem_map, pfn - pgdat->node_start_pfn);
}

/* the node comes from page->flags (page_to_nid()), then the offset in its node_mem_map */
static inline uint64_t discontig_page_to_pfn(const struct mm_model *mm, const struct page *page)
{
	const struct pglist_data *pgdat = &mm->node_data[page_to_nid(&mm->pfl, page)];

	return (uint64_t)page_index((uintptr_t)pgdat->node_mem_map, page) + pgdat->node_start_pfn;
}

/* the node of the pfn spans it (the node_mem_map's MAX_ORDER padding is not valid) */
static inline bool discontig_pfn_valid(const struct mm_model *mm, uint64_t pfn)
{
	int nid = discontig_pfn_to_nid(mm, pfn);

	return nid >= 0 && pfn >= mm->node_data[nid].node_start_pfn &&
	       pfn < pgdat_end_pfn(&mm->node_data[nid]);
}

/* ---------------------------------------------------------- classic SPARSEMEM */

/* __section_mem_map_addr(): the encoded memmap, i.e. the section's memmap minus its start pfn */
static inline uintptr_t section_mem_map_addr(const struct mem_section *ms)
{
	return (uintptr_t)(ms->section_mem_map & SECTION_MAP_MASK);
}

/* static: mem_section[nr][0], one flat array */
static inline struct mem_section *sparse_static_nr_to_section(const struct mm_model *mm,
							       uint64_t nr)
{
	return &mm->mem_section_static[nr];
}

/* EXTREME: root nr / SECTIONS_PER_ROOT (a power of two), then the entry inside it */
static inline struct mem_section *sparse_extreme_nr_to_section(const struct mm_model *mm,
								uint64_t nr)
{
	uint64_t spr = mm->sections_per_root_alloc;

	return &mm->mem_section[nr >> __builtin_ctzll(spr)][nr & (spr - 1)];
}

static inline struct page *sparse_static_pfn_to_page(const struct mm_model *mm, uint64_t pfn)
{
	const struct mem_section *ms = sparse_static_nr_to_section(mm, pfn_to_section_nr(mm, pfn));

	return page_at(section_mem_map_addr(ms), pfn);
}

/*
 * __pfn_to_section(): the root and the entry from the pfn, each with one shift (the kernel's
 * shifts are constants its compiler composes the same way), so that the root load does not
 * wait for two shifts in a row: a dependent chain of translations is one cycle shorter.
 */
static inline struct page *sparse_extreme_pfn_to_page(const struct mm_model *mm, uint64_t pfn)
{
	const struct mem_section *ms =
		&mm->mem_section[pfn >> mm->pfn_root_shift]
				[(pfn >> mm->geo.pfn_section_shift) & (mm->sections_per_root_alloc - 1)];

	return page_at(section_mem_map_addr(ms), pfn);
}

/* page_to_section() from page->flags, then page minus that section's encoded memmap */
static inline uint64_t sparse_static_page_to_pfn(const struct mm_model *mm,
						 const struct page *page)
{
	const struct mem_section *ms =
		sparse_static_nr_to_section(mm, page_to_section(&mm->pfl, page));

	return ((uintptr_t)page - section_mem_map_addr(ms)) / sizeof(struct page);
}

static inline uint64_t sparse_extreme_page_to_pfn(const struct mm_model *mm,
						  const struct page *page)
{
	const struct mem_section *ms =
		sparse_extreme_nr_to_section(mm, page_to_section(&mm->pfl, page));

	return ((uintptr_t)page - section_mem_map_addr(ms)) / sizeof(struct page);
}

#endif /* PMM_LIBMM_MEMORY_MODEL_H */
