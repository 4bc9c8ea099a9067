/* SPDX-License-Identifier: MIT */
/*
 * Looking things up: pfn_valid() and pfn_to_online_page() exactly as the generic SPARSEMEM code
 * answers them, struct page <-> pfn, the per-pfn report, the section iterator and statistics.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "memory_model.h"
#include "memremap.h"

/*
 * pfn_valid() of SPARSEMEM: a struct page exists. The pfn must survive PFN_PHYS/PHYS_PFN and lie
 * below NR_MEM_SECTIONS sections (both: pfn < max_pfn); the section must have a memmap; then an
 * early section counts whole (boot holes included), any other section per subsection bit
 * (classic SPARSEMEM: pfn_section_valid() is always 1, so whole sections).
 */
bool sparse_pfn_valid(const struct mm_model *mm, uint64_t pfn)
{
	const struct mem_section *ms;

	if (pfn >= mm->geo.max_pfn)
		return false;
	ms = __pfn_to_section(mm, pfn);
	if (!valid_section(ms))
		return false;
	return early_section(ms) || pfn_section_valid(mm, ms, pfn);
}

/* pfn_valid() of the memory model (FLATMEM: inside mem_map; DISCONTIGMEM: inside its node). */
bool pfn_valid(const struct mm_model *mm, uint64_t pfn)
{
	return mm->mem_model->pfn_valid(mm, pfn);
}

/* A live device range (pgmap) covers pfn: get_dev_pagemap() of the slow path. */
static bool pfn_has_pgmap(const struct mm_model *mm, uint64_t pfn)
{
	const struct mm_resource *r = resource_overlapping(mm, PFN_PHYS(mm, pfn),
							   PFN_PHYS(mm, pfn + 1));

	return r && r->device;
}

/*
 * pfn_to_online_page(): the section must be online and the pfn's subsection present (so holes
 * of early sections answer NULL at 2 MiB granularity although pfn_valid() is true); a section
 * tainted by ZONE_DEVICE needs the pgmap lookup. Without memory hotplug (FLATMEM,
 * DISCONTIGMEM) every valid pfn is online: pfn_valid() ? pfn_to_page() : NULL.
 */
struct page *pfn_to_online_page(const struct mm_model *mm, uint64_t pfn)
{
	const struct mem_section *ms;

	if (!memory_model_sparse(mm))
		return pfn_valid(mm, pfn) ? pfn_to_page(mm, pfn) : NULL;
	if (pfn >= mm->geo.max_pfn)
		return NULL;
	ms = __pfn_to_section(mm, pfn);
	if (!online_section(ms) || !valid_section(ms))
		return NULL;
	if (!pfn_section_valid(mm, ms, pfn))
		return NULL;
	if (online_device_section(ms) && pfn_has_pgmap(mm, pfn))
		return NULL;
	return pfn_to_page(mm, pfn);
}

bool mm_pfn_valid(const struct mm_model *mm, uint64_t pfn)
{
	return pfn_valid(mm, pfn);
}

struct page *mm_pfn_to_online_page(const struct mm_model *mm, uint64_t pfn)
{
	return pfn_to_online_page(mm, pfn);
}

/* every other memory model: pfn_valid() and pfn_to_page() through the ops */
__attribute__((noinline))
static struct page *mm_pfn_to_page_slow(const struct mm_model *mm, uint64_t pfn)
{
	return pfn_valid(mm, pfn) ? pfn_to_page(mm, pfn) : NULL;
}

/*
 * The model's pfn_to_page()/page_to_pfn(), refusing what is not a struct page of this model.
 * SPARSEMEM_VMEMMAP, the model of every hotplug user, is a leaf function of a few loads that
 * calls nothing (bench/bench-pfn.c: a chase within a few percent of indexing a plain array),
 * once no boot section is deferred (until then pfn_to_page() may have to initialise one).
 */
struct page *mm_pfn_to_page(const struct mm_model *mm, uint64_t pfn)
{
	if (__builtin_expect(mm->mem_model != &memory_model_vmemmap ||
			     __atomic_load_n(&mm->nr_memmap_deferred, __ATOMIC_RELAXED), 0))
		return mm_pfn_to_page_slow(mm, pfn);
	return vmemmap_pfn_to_page_checked(mm, pfn);
}

uint64_t mm_page_to_pfn(const struct mm_model *mm, const struct page *page)
{
	if (!page || !mm->mem_model->page_in_memmap(mm, page))
		return UINT64_MAX;
	return page_to_pfn(mm, page);
}

static void append_name(char *buf, size_t len, const char *name)
{
	size_t n = strlen(buf);

	if (n < len)
		snprintf(buf + n, len - n, "%s%s", n ? "," : "", name);
}

static enum mm_memmap_location pfn_memmap_location(const struct mm_model *mm, uint64_t pfn)
{
	const struct memory_block *mem;

	if (!pfn_valid(mm, pfn))
		return MM_MEMMAP_NONE;
	/* mem_map / node_mem_map are allocated at boot */
	if (!memory_model_sparse(mm) || early_section(__pfn_to_section(mm, pfn)))
		return MM_MEMMAP_BOOT;
	if (get_dev_pagemap(mm, pfn))
		return pgmap_memmap_location(mm, get_dev_pagemap(mm, pfn), pfn);
	mem = find_memory_block_by_id(mm, pfn_to_block_id(mm, pfn));
	if (mem && mem->altmap && vmemmap_uses_altmap(mm, PAGES_PER_SECTION(mm), mem->altmap))
		return MM_MEMMAP_ALTMAP;
	return MM_MEMMAP_RAM;
}

int mm_lookup_pfn(const struct mm_model *mm, uint64_t pfn, struct mm_pfn_info *out)
{
	const struct memory_block *mem;
	const struct dev_pagemap *pgmap;
	const struct page *page;
	struct page buf;
	unsigned long flags;

	mm_clear_error(mm);
	memset(out, 0, sizeof(*out));
	out->pfn = pfn;
	out->block = -1;
	out->zone = -1;
	out->nid = -1;
	if (pfn >= mm->geo.max_pfn)
		return mm_fail(mm_errp(mm), -EINVAL, MM_CAUSE_RANGE,
			       "pfn %#" PRIx64 " is beyond MAX_PHYSMEM_BITS (%u bits: last pfn %#"
			       PRIx64 ")", pfn, mm->geo.max_physmem_bits, mm->geo.max_pfn - 1);
	out->valid = pfn_valid(mm, pfn);
	out->online = pfn_to_online_page(mm, pfn) != NULL;
	out->section_nr = pfn_to_section_nr(mm, pfn);
	out->subsection = subsection_map_index(mm, pfn);
	mem = find_memory_block_by_id(mm, pfn_to_block_id(mm, pfn));
	if (mem)
		out->block = (int64_t)pfn_to_block_id(mm, pfn);
	out->memmap = pfn_memmap_location(mm, pfn);
	pgmap = memory_model_sparse(mm) ? get_dev_pagemap(mm, pfn) : NULL;
	if (pgmap)
		out->pgmap = pgmap->id;
	if (!out->valid)
		return 0;

	/* a device page as the kernel stores it (a zero-encoded tail decoded) */
	page = pgmap ? device_page_read(mm, pgmap, pfn, &buf) : pfn_to_page(mm, pfn);
	out->flags = flags = page->flags;
	if (pfn_memmap_uninitialised(mm, pfn)) {
		append_name(out->flag_names, sizeof(out->flag_names), "poisoned");
		return 0;
	}
	out->zone = (int)page_zonenum(&mm->pfl, page);
	out->nid = page_to_nid(&mm->pfl, page);
	out->refcount = page_ref_count(page);
	/* a compound tail: page_count() is the folio's, its low flag bits hold the folio order */
	if (pgmap && pgmap_pfn_valid(pgmap, pfn) && device_folio_page(mm, pgmap, pfn) != page) {
		out->refcount = page_ref_count(device_folio_page(mm, pgmap, pfn));
		flags &= ~COMPOUND_ORDER_MASK;
		append_name(out->flag_names, sizeof(out->flag_names), "tail");
	}
	for (unsigned int bit = 0; bit < __NR_PAGEFLAGS; bit++)
		if ((flags >> bit) & 1UL)
			append_name(out->flag_names, sizeof(out->flag_names), pageflag_name(bit));
	if (PageOffline(page))
		append_name(out->flag_names, sizeof(out->flag_names), "offline");
	if (page_has_type(page, PGTY_buddy))
		append_name(out->flag_names, sizeof(out->flag_names), "buddy");
	return 0;
}

int mm_for_each_present_section(const struct mm_model *mm,
				int (*fn)(const struct mm_section_info *s, void *arg), void *arg)
{
	int64_t nr;

	for_each_present_section_nr(mm, nr) {
		const struct mem_section *ms = __nr_to_section(mm, (uint64_t)nr);
		struct mm_section_info info = {
			.nr = (uint64_t)nr,
			.present = present_section(ms),
			.online = online_section(ms),
			.early = early_section(ms),
			.has_memmap = valid_section(ms),
			.zone_device = !!(ms->section_mem_map & SECTION_TAINT_ZONE_DEVICE),
		};
		int ret;

		if (ms->usage)
			for (unsigned int i = 0; i < SUBSECTION_MAP_LONGS; i++)
				info.subsection_map[i] = ms->usage->subsection_map[i];
		ret = fn(&info, arg);
		if (ret)
			return ret;
	}
	return 0;
}

void mm_get_stats(const struct mm_model *mm, struct mm_stats *out)
{
	uint64_t ram_pages = memblock_pages_in(mm, 0, mm->geo.max_pfn), online_pages = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < mm->nr_resources; i++) {
		const struct mm_resource *r = &mm->resources[i];

		if (r->device)
			out->device_bytes += r->end - r->start;
		else
			ram_pages += PHYS_PFN(mm, r->end - r->start);
	}
	for (int nid = 0; nid < MAX_NUMNODES; nid++)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			if (z != ZONE_DEVICE)
				online_pages += mm->node_data[nid].node_zones[z].present_pages;
	out->present_bytes = PFN_PHYS(mm, ram_pages);
	out->online_bytes = PFN_PHYS(mm, online_pages);
	/* vmemmap tail reuse: the aliases cost nothing (memremap.h) */
	out->memmap_ram_bytes = (mm->nr_memmap_boot + mm->nr_memmap_ram) * sizeof(struct page) -
				vmemmap_nr_shared(mm) * mm->vmemmap.host_page_size;
	out->memmap_device_bytes = mm->nr_memmap_altmap * sizeof(struct page);
	/*
	 * the vmemmap area's populated host pages (each shared page once, none of those a device's
	 * file holds), or the memmap arrays held (all written)
	 */
	out->memmap_resident_bytes = (mm->vmemmap.nr_populated - vmemmap_nr_shared(mm) -
				      vmemmap_nr_file(mm) - mm->vmemmap.nr_fresh) *
				     mm->vmemmap.host_page_size + mm->memmap_alloc_bytes;
}
