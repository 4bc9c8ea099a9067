/* SPDX-License-Identifier: MIT */
/*
 * Populating and depopulating the memmap of a pfn range (mm/sparse-vmemmap.c) and allocating it
 * from a vmem_altmap (whose arithmetic is in altmap.c), and the ZONE_DEVICE variants (memremap.h).
 *
 * Granularity: the kernel populates [pfn_to_page(pfn), pfn_to_page(pfn + nr)) rounded to its
 * pages; we round to the host's pages. With 64 KiB modelled pages a 2 MiB subsection has 2 KiB of
 * memmap, so neighbouring subsections share a host page: a host page is populated while any
 * valid subsection's memmap lies in it, and only given back when the last one goes.
 */
#include "memremap.h"

/* The memmap of the subsection holding pfn exists: pfn_valid() of the section's state. */
bool subsection_memmap_in_use(const struct mm_model *mm, uint64_t pfn)
{
	const struct mem_section *ms = __pfn_to_section(mm, pfn);

	if (!valid_section(ms))
		return false;
	return early_section(ms) || pfn_section_valid(mm, ms, pfn);
}

/* Host pages [*first, *end) that hold the struct pages of [pfn, pfn + nr). */
static void memmap_host_range(const struct mm_model *mm, uint64_t pfn, uint64_t nr,
			      uint64_t *first, uint64_t *end)
{
	uint64_t hps = mm->vmemmap.host_page_size;

	*first = pfn * sizeof(struct page) / hps;
	*end = DIV_ROUND_UP((pfn + nr) * sizeof(struct page), hps);
}

/* Does a subsection outside [pfn, pfn + nr) keep host page hp in use? */
static bool host_page_shared(const struct mm_model *mm, uint64_t hp, uint64_t pfn, uint64_t nr)
{
	uint64_t per = mm->vmemmap.host_page_size / sizeof(struct page);
	uint64_t p0 = hp * per, p1 = p0 + per;

	for (uint64_t q = ALIGN_DOWN(p0, PAGES_PER_SUBSECTION(mm)); q < p1;
	     q += PAGES_PER_SUBSECTION(mm)) {
		if (q >= pfn && q < pfn + nr)
			continue;
		if (subsection_memmap_in_use(mm, q))
			return true;
	}
	return false;
}

/* The host pages of [pfn, pfn + nr) no other subsection uses: [*lo, *hi). */
static void memmap_private_host_range(const struct mm_model *mm, uint64_t pfn, uint64_t nr,
				      uint64_t *lo, uint64_t *hi)
{
	uint64_t first, end;

	memmap_host_range(mm, pfn, nr, &first, &end);
	*lo = first;
	*hi = end;
	if (*lo < *hi && host_page_shared(mm, *lo, pfn, nr))
		(*lo)++;
	if (*lo < *hi && host_page_shared(mm, *hi - 1, pfn, nr))
		(*hi)--;
}

/* ----------------------------------------------------------------- altmap */

/* altmap_alloc_block_buf(), vmem_altmap_free() and their PMD blocks: altmap.c */

/*
 * x86_64 vmemmap_populate() ignores the altmap for a sub-section range (base pages from RAM);
 * elsewhere an altmap, when given, provides the memmap.
 */
bool vmemmap_uses_altmap(const struct mm_model *mm, uint64_t nr_pages,
			 const struct vmem_altmap *altmap)
{
	if (!altmap)
		return false;
	return !(mm->x86_subsection_ignores_altmap && nr_pages < PAGES_PER_SECTION(mm));
}

/* vmemmap_populate_hugepages() takes PMD_SIZE chunks, vmemmap_populate_basepages() pages. */
uint64_t vmemmap_altmap_pages(const struct mm_model *mm, uint64_t nr_pages)
{
	return DIV_ROUND_UP(nr_pages * sizeof(struct page), PAGE_SIZE(mm));
}

/* ------------------------------------------------------- populate/depopulate */

static int vmemmap_populate(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
			    struct vmem_altmap *altmap)
{
	uint64_t lo, hi;
	int ret;

	if (pfn + nr_pages > mm->vmemmap.end_pfn)
		return -ENOMEM;
	if (altmap) {
		ret = vmemmap_alloc_from_altmap(mm, nr_pages, altmap, NULL);
		if (ret)
			return ret;
	}
	memmap_private_host_range(mm, pfn, nr_pages, &lo, &hi);
	ret = vmemmap_map_host_pages(mm, lo, hi - lo);
	if (ret) {
		/* a failed mprotect may have changed part of the range: put it back */
		vmemmap_unmap_host_pages(mm, lo, hi - lo);
		if (altmap)
			vmem_altmap_free(altmap, vmemmap_altmap_pages(mm, nr_pages));
		return ret;
	}
	mm->vmemmap.nr_populated += hi - lo;
	return 0;
}

static void vmemmap_free(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
			 struct vmem_altmap *altmap)
{
	uint64_t lo, hi;

	memmap_private_host_range(mm, pfn, nr_pages, &lo, &hi);
	vmemmap_unmap_host_pages(mm, lo, hi - lo);
	mm->vmemmap.nr_populated -= hi - lo;
	if (altmap)
		vmem_altmap_free(altmap, vmemmap_altmap_pages(mm, nr_pages));
}

/*
 * __populate_section_memmap(): pfn and nr must be subsection aligned (the kernel WARNs and
 * returns NULL). The memmap comes from the altmap when vmemmap_uses_altmap() says so.
 */
int __populate_section_memmap(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
			      int nid, struct vmem_altmap *altmap)
{
	bool use_altmap = vmemmap_uses_altmap(mm, nr_pages, altmap);
	struct dev_pagemap *pgmap = hotplug_pgmap(mm);
	int ret;

	(void)nid;
	if (!IS_ALIGNED(pfn, PAGES_PER_SUBSECTION(mm)) ||
	    !IS_ALIGNED(nr_pages, PAGES_PER_SUBSECTION(mm)))
		return -EINVAL;
	/* ZONE_DEVICE (memremap.h): compound tail reuse, or an altmap living in a device file */
	if (pgmap && pgmap->dedup)
		ret = vmemmap_populate_compound_pages(mm, pfn, nr_pages, pgmap);
	else if (use_altmap && altmap_memmap_in_file(mm, pgmap, pfn, nr_pages, altmap))
		ret = vmemmap_populate_altmap_file(mm, pfn, nr_pages, altmap, pgmap);
	else
		ret = vmemmap_populate(mm, pfn, nr_pages, use_altmap ? altmap : NULL);
	if (ret)
		return ret;
	/*
	 * anonymous memmap nobody has written yet (tail reuse counts its own unwritten pages as
	 * shared, a file's memmap is the device's)
	 */
	if (!(pgmap && pgmap->dedup) &&
	    !(use_altmap && altmap_memmap_in_file(mm, pgmap, pfn, nr_pages, altmap)))
		memmap_mark_fresh(mm, pfn, nr_pages);
	if (use_altmap)
		mm->nr_memmap_altmap += nr_pages;
	else
		mm->nr_memmap_ram += nr_pages;
	return 0;
}

/* depopulate_section_memmap() -> vmemmap_free(): the same altmap decision as populate. */
void depopulate_section_memmap(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
			       struct vmem_altmap *altmap)
{
	bool use_altmap = vmemmap_uses_altmap(mm, nr_pages, altmap);
	struct dev_pagemap *pgmap = hotplug_pgmap(mm);

	if (pgmap && pgmap->dedup)
		vmemmap_free_compound_pages(mm, pfn, nr_pages, pgmap);
	else if (use_altmap && altmap_memmap_in_file(mm, pgmap, pfn, nr_pages, altmap))
		vmemmap_free_altmap_file(mm, pfn, nr_pages, altmap);
	else
		vmemmap_free(mm, pfn, nr_pages, use_altmap ? altmap : NULL);
	if (use_altmap)
		mm->nr_memmap_altmap -= nr_pages;
	else
		mm->nr_memmap_ram -= nr_pages;
}

/* sparse_init(): an early section's memmap covers the whole section, holes included. */
int populate_boot_section_memmap(struct mm_model *mm, uint64_t pfn)
{
	int ret = vmemmap_populate(mm, pfn, PAGES_PER_SECTION(mm), NULL);

	if (!ret)
		mm->nr_memmap_boot += PAGES_PER_SECTION(mm);
	return ret;
}

/* free_map_bootmem(): only when an early section is emptied entirely. */
void free_map_bootmem(struct mm_model *mm, uint64_t section_pfn)
{
	vmemmap_free(mm, section_pfn, PAGES_PER_SECTION(mm), NULL);
	mm->nr_memmap_boot -= PAGES_PER_SECTION(mm);
}
