/* SPDX-License-Identifier: MIT */
/*
 * Sections coming and going (mm/sparse.c, mm/memory_hotplug.c __add_pages/__remove_pages):
 * boot-time memory_present() + sparse_init(), hotplug-time sparse_add_section() and
 * sparse_remove_section() with section_activate()/section_deactivate() at subsection
 * granularity (VMEMMAP) or section granularity (classic).
 *
 * Classic SPARSEMEM (static and EXTREME), the !CONFIG_SPARSEMEM_VMEMMAP half of mm/sparse.c:
 * every section has its own memmap array of PAGES_PER_SECTION struct pages (boot: one per early
 * section, the kernel carves them from a per-node sparsemap_buf; hot-add: kvmalloc_node()),
 * installed encoded in section_mem_map, so pfn_to_page() is decode + pfn and page_to_pfn()
 * needs the section number kept in page->flags. There is no subsection map: fill/clear are
 * no-ops, pfn_section_valid() is always 1, and hotplug works on whole sections only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "memory_model.h"
#include "memremap.h"

/*
 * sparse_init_one_section(): keep the low flag bits already there (PRESENT, ONLINE, a stale nid
 * is dropped with the pointer part), install the encoded memmap, HAS_MEM_MAP and flags.
 */
static void sparse_init_one_section(struct mm_model *mm, struct mem_section *ms, uint64_t pnum,
				    struct page *mem_map, struct mem_section_usage *usage,
				    unsigned long flags)
{
	ms->section_mem_map &= ~SECTION_MAP_MASK;
	ms->section_mem_map |= sparse_encode_mem_map(mm, mem_map, pnum) | SECTION_HAS_MEM_MAP |
			       flags;
	ms->usage = usage;
}

/*
 * fill_subsection_map() of the model: classic SPARSEMEM has no map (the kernel's stub returns
 * 0), so an already valid section is its only overlap; the model refuses it with -EEXIST where
 * the kernel would allocate a second memmap over the first.
 */
static int section_fill_map(struct mm_model *mm, const struct mem_section *ms, uint64_t pfn,
			    uint64_t nr_pages)
{
	if (memory_model_subsections(mm))
		return fill_subsection_map(mm, pfn, nr_pages);
	return valid_section(ms) ? -EEXIST : 0;
}

/*
 * section_activate(): usage (if the section has none), the subsection bits, then the memmap,
 * whose first struct page (that of pfn) comes back in *memmap. An early section gaining a few
 * subsections reuses the boot memmap, which covers it whole. When populating fails, the kernel
 * calls section_deactivate(); we undo exactly the two steps done, since nothing of the memmap
 * was populated.
 */
static int section_activate(struct mm_model *mm, int nid, uint64_t pfn, uint64_t nr_pages,
			    struct vmem_altmap *altmap, struct page **memmap)
{
	struct mem_section *ms = __pfn_to_section(mm, pfn);
	struct mem_section_usage *new_usage = NULL;
	int rc;

	if (!ms->usage) {
		new_usage = mem_section_usage_alloc(mm, false);
		if (!new_usage)
			return -ENOMEM;
		ms->usage = new_usage;
	}

	rc = section_fill_map(mm, ms, pfn, nr_pages);
	if (rc)
		goto undo_usage;

	if (nr_pages < PAGES_PER_SECTION(mm) && early_section(ms)) {
		*memmap = pfn_to_page(mm, pfn);
		return 0;
	}

	rc = mm->mem_model->populate(mm, pfn, nr_pages, nid, altmap, memmap);
	if (rc) {
		if (memory_model_subsections(mm))
			clear_subsection_map(mm, pfn, nr_pages);
		goto undo_usage;
	}
	return 0;

undo_usage:
	if (new_usage) {
		ms->usage = NULL;
		free(new_usage);
	}
	return rc;
}

/*
 * sparse_add_section(): index, activate, poison, mark present, install the memmap. Returns 0,
 * -EEXIST (a subsection is already there), -ENOMEM, or -EINVAL (empty/misaligned piece).
 */
int sparse_add_section(struct mm_model *mm, int nid, uint64_t start_pfn, uint64_t nr_pages,
		       struct vmem_altmap *altmap)
{
	uint64_t section_nr = pfn_to_section_nr(mm, start_pfn);
	struct mem_section *ms;
	struct page *memmap;
	int ret;

	ret = sparse_index_init(mm, section_nr);
	if (ret < 0)
		return ret;
	/*
	 * a device moving into the holes of a deferred boot section: boot's initialisation of
	 * those holes comes first, as it did at boot, not over the device's struct pages later
	 */
	memmap_deferred_touch(mm, start_pfn);

	ret = section_activate(mm, nid, start_pfn, nr_pages, altmap, &memmap);
	if (ret)
		return ret;

	ms = __nr_to_section(mm, section_nr);
	__section_mark_present(mm, ms, section_nr);
	/* a piece inside the section: install the memmap from the section's first pfn (VMEMMAP) */
	if (section_nr_to_pfn(mm, section_nr) != start_pfn)
		memmap = pfn_to_page(mm, section_nr_to_pfn(mm, section_nr));
	sparse_init_one_section(mm, ms, section_nr, memmap, ms->usage, 0);

	/*
	 * uninitialised struct pages are poisoned until onlining initialises them (the kernel
	 * poisons before installing; nothing reads in between, and installed, pfn_to_page()
	 * finds the memmap in every model)
	 */
	if (!altmap || !altmap->inaccessible)
		poison_pfn_range(mm, start_pfn, nr_pages);
	return 0;
}

/*
 * section_deactivate(): clear the subsection bits (silently nothing if they are not all set,
 * where the kernel WARNs); an emptied section loses HAS_MEM_MAP before its usage is freed (boot
 * usage maps are kept for reuse), and its whole word at the end. Non-early memmap is
 * depopulated piece by piece; an early section's memmap only goes when the section empties.
 */
static void section_deactivate(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
			       struct vmem_altmap *altmap)
{
	struct mem_section *ms = __pfn_to_section(mm, pfn);
	bool section_is_early = early_section(ms);
	bool subsections = memory_model_subsections(mm);
	bool empty;

	/* classic: clear_subsection_map() is a no-op and the map always reads empty */
	if (subsections && clear_subsection_map(mm, pfn, nr_pages))
		return;
	/*
	 * the memmap goes: no longer fresh (never written) nor uninitialised; an early
	 * section's stays, uninitialised (poisoned) as the removal left it
	 */
	memmap_forget_fresh(mm, pfn, nr_pages);
	if (!section_is_early)
		memmap_forget_uninit(mm, pfn, nr_pages);

	empty = !subsections || is_subsection_map_empty(mm, ms);
	if (empty) {
		ms->section_mem_map &= ~SECTION_HAS_MEM_MAP;
		if (!ms->usage->boot_alloc) {
			free(ms->usage);
			ms->usage = NULL;
		}
	}

	/* the encoded memmap pointer survives until the word is zeroed below */
	if (!section_is_early)
		mm->mem_model->depopulate(mm, pfn, nr_pages, altmap);
	else if (empty)
		mm->mem_model->free_bootmem(mm, SECTION_ALIGN_DOWN(mm, pfn));

	if (empty)
		ms->section_mem_map = 0;
}

void sparse_remove_section(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
			   struct vmem_altmap *altmap)
{
	struct mem_section *ms = __pfn_to_section(mm, pfn);

	if (!valid_section(ms))
		return;   /* WARN_ON_ONCE in the kernel */
	section_deactivate(mm, pfn, nr_pages, altmap);
}

/* The hotplug unit: a subsection with VMEMMAP, a whole section for classic SPARSEMEM. */
static uint64_t pfn_span_unit(const struct mm_model *mm)
{
	return memory_model_subsections(mm) ? PAGES_PER_SUBSECTION(mm) : PAGES_PER_SECTION(mm);
}

/* check_pfn_span(): start and size must be multiples of the hotplug unit. */
int check_pfn_span(const struct mm_model *mm, uint64_t pfn, uint64_t nr_pages)
{
	if (!IS_ALIGNED(pfn, pfn_span_unit(mm)) || !IS_ALIGNED(nr_pages, pfn_span_unit(mm)))
		return -EINVAL;
	return 0;
}

/*
 * __add_pages(): one sparse_add_section() per section piece. The kernel stops at the first
 * failure and leaves the pieces added so far to its callers (who in practice leak them); the
 * model removes them again so a failed add leaves no trace.
 */
int __add_pages(struct mm_model *mm, int nid, uint64_t pfn, uint64_t nr_pages,
		struct vmem_altmap *altmap, struct mm_err *err)
{
	const uint64_t end_pfn = pfn + nr_pages;
	int64_t saved_highest = mm->highest_present_section_nr;
	uint64_t cur, cur_nr;
	int ret;

	if (altmap) {
		if (altmap->base_pfn != pfn || vmem_altmap_offset(altmap) > nr_pages)
			return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
				       "invalid altmap: base pfn %#" PRIx64 " for a range at pfn %#"
				       PRIx64 ", %" PRIu64 " pfns reserved for %" PRIu64 " pages",
				       altmap->base_pfn, pfn, vmem_altmap_offset(altmap), nr_pages);
		altmap->alloc = 0;
	}
	if (check_pfn_span(mm, pfn, nr_pages))
		return mm_fail(err, -EINVAL, MM_CAUSE_MISALIGNED,
			       "pfn range %#" PRIx64 "+%#" PRIx64 " is not aligned to the %s size "
			       "(%s, %s)", pfn, nr_pages,
			       memory_model_subsections(mm) ? "subsection" : "section",
			       HSIZE(PFN_PHYS(mm, pfn_span_unit(mm))), mm->mem_model->name);

	for (cur = pfn; cur < end_pfn; cur += cur_nr) {
		cur_nr = MIN(end_pfn - cur, SECTION_ALIGN_UP(mm, cur + 1) - cur);
		ret = sparse_add_section(mm, nid, cur, cur_nr, altmap);
		if (ret)
			goto rollback;
	}
	return 0;

rollback:
	__remove_pages(mm, pfn, cur - pfn, altmap);
	mm->highest_present_section_nr = saved_highest;
	if (ret == -EEXIST)
		return mm_fail(err, ret, MM_CAUSE_OVERLAP,
			       "a subsection of [%#" PRIx64 ", %#" PRIx64 ") is already present in "
			       "section %" PRIu64, PFN_PHYS(mm, cur), PFN_PHYS(mm, cur + cur_nr),
			       pfn_to_section_nr(mm, cur));
	if (ret == -ENOMEM)
		return mm_fail(err, ret, MM_CAUSE_NOMEM,
			       "cannot populate the memmap of section %" PRIu64 " (%s%s)",
			       pfn_to_section_nr(mm, cur),
			       altmap ? "altmap exhausted, or " : "",
			       "mprotect refused: vm.max_map_count or RLIMIT_DATA reached");
	return mm_fail(err, ret, MM_CAUSE_INVALID, "cannot add section %" PRIu64 ": error %d",
		       pfn_to_section_nr(mm, cur), ret);
}

/* __remove_pages(): misaligned requests are refused silently (a WARN in the kernel). */
void __remove_pages(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
		    struct vmem_altmap *altmap)
{
	const uint64_t end_pfn = pfn + nr_pages;
	uint64_t cur_nr;

	if (check_pfn_span(mm, pfn, nr_pages))
		return;
	for (; pfn < end_pfn; pfn += cur_nr) {
		cur_nr = MIN(end_pfn - pfn, SECTION_ALIGN_UP(mm, pfn + 1) - pfn);
		sparse_remove_section(mm, pfn, cur_nr, altmap);
	}
}

/* ------------------------------------------------------------------- boot */

/*
 * memory_present(): mark the sections of [start_pfn, end_pfn) present and online, recording
 * the nid in the word until sparse_init() installs the memmap.
 */
int memory_present(struct mm_model *mm, int nid, uint64_t start_pfn, uint64_t end_pfn)
{
	end_pfn = MIN(end_pfn, mm->geo.max_pfn);
	for (uint64_t pfn = SECTION_ALIGN_DOWN(mm, start_pfn); pfn < end_pfn;
	     pfn += PAGES_PER_SECTION(mm)) {
		uint64_t nr = pfn_to_section_nr(mm, pfn);
		struct mem_section *ms;
		int ret = sparse_index_init(mm, nr);

		if (ret)
			return ret;
		ms = __nr_to_section(mm, nr);
		if (!ms->section_mem_map) {
			ms->section_mem_map = sparse_encode_early_nid(nid) | SECTION_IS_ONLINE;
			__section_mark_present(mm, ms, nr);
		}
	}
	return 0;
}

/*
 * sparse_init(): every present section gets a boot usage map and a memmap for the whole
 * section, and becomes HAS_MEM_MAP | IS_EARLY. The kernel loses a section whose memmap cannot
 * be allocated; the model reports -ENOMEM and the caller tears everything down.
 */
int sparse_init(struct mm_model *mm, struct mm_err *err)
{
	int64_t nr;

	for_each_present_section_nr(mm, nr) {
		struct mem_section *ms = __nr_to_section(mm, (uint64_t)nr);
		uint64_t pfn = section_nr_to_pfn(mm, (uint64_t)nr);
		struct mem_section_usage *usage = mem_section_usage_alloc(mm, true);
		struct page *memmap;
		int ret;

		if (!usage)
			return mm_fail(err, -ENOMEM, MM_CAUSE_NOMEM,
				       "cannot allocate the usage map of section %" PRId64, nr);
		ret = mm->mem_model->populate_boot(mm, pfn, sparse_early_nid(ms), &memmap);
		if (ret) {
			free(usage);
			return mm_fail(err, ret, MM_CAUSE_NOMEM,
				       "cannot populate the boot memmap of section %" PRId64 " (%s)",
				       nr, memory_model_subsections(mm) ? "vm.max_map_count?"
									 : "out of memory");
		}
		sparse_init_one_section(mm, ms, (uint64_t)nr, memmap, usage, SECTION_IS_EARLY);
	}
	return 0;
}

/*
 * subsection_map_init(): early sections get bits only for subsections overlapping RAM. Classic
 * SPARSEMEM has no subsection map (an empty stub in the kernel).
 */
void subsection_map_init(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages)
{
	if (!memory_model_subsections(mm))
		return;
	while (nr_pages) {
		uint64_t pfns = MIN(nr_pages,
				    PAGES_PER_SECTION(mm) - (pfn & (PAGES_PER_SECTION(mm) - 1)));
		struct mem_section *ms = __pfn_to_section(mm, pfn);

		subsection_mask_set(mm, ms->usage->subsection_map, pfn, pfns);
		pfn += pfns;
		nr_pages -= pfns;
	}
}

/* classic: the memmap array behind a valid section (its first struct page) */
static void free_section_memmap(struct mm_model *mm, struct mem_section *ms, uint64_t nr)
{
	if (memory_model_subsections(mm) || !valid_section(ms))
		return;
	free(pfn_to_page(mm, section_nr_to_pfn(mm, nr)));
	mm->memmap_alloc_bytes -= PAGES_PER_SECTION(mm) * sizeof(struct page);
}

/* Forget every section and give all memmap back (boot failure). */
void sparse_teardown(struct mm_model *mm)
{
	for (uint64_t root = 0; mm->mem_section && root < mm->section_roots_hwm; root++) {
		struct mem_section *sections = mm->mem_section[root];

		if (!sections)
			continue;
		for (uint64_t i = 0; i < mm->sections_per_root_alloc; i++) {
			free_section_memmap(mm, &sections[i], root * mm->sections_per_root_alloc + i);
			free(sections[i].usage);
			sections[i].usage = NULL;
			sections[i].section_mem_map = 0;
		}
	}
	if (mm->vmemmap.area && mm->vmemmap.nr_populated)
		vmemmap_unmap_host_pages(mm, 0, mm->vmemmap.area_len / mm->vmemmap.host_page_size);
	mm->vmemmap.nr_populated = 0;
	mm->vmemmap.nr_fresh = 0;
	mm->nr_memmap_boot = mm->nr_memmap_ram = mm->nr_memmap_altmap = 0;
	mm->memmap_alloc_bytes = 0;
	mm->highest_present_section_nr = -1;
}

/* mm_model_destroy() of every SPARSEMEM model: memmap arrays, usage maps, roots, the area. */
void sparse_release(struct mm_model *mm)
{
	for (uint64_t root = 0; mm->mem_section && root < mm->section_roots_hwm; root++) {
		struct mem_section *sections = mm->mem_section[root];

		for (uint64_t i = 0; sections && i < mm->sections_per_root_alloc; i++)
			free_section_memmap(mm, &sections[i], root * mm->sections_per_root_alloc + i);
	}
	mem_section_roots_free(mm);
	vmemmap_release(mm);
	mm->memmap_linear = 0;
}

/* ------------------------------------------------------- classic SPARSEMEM */

/*
 * The memmap of one whole section: kvmalloc_node() at hot-add, memmap_alloc() at boot. Aligned
 * to sizeof(struct page) so the encoded pointer leaves the section flag bits free (the kernel's
 * BUG_ON in sparse_encode_mem_map()); a memmap of whole 2 MiB (x86_64's 128 MiB sections) is
 * 2 MiB aligned and MADV_HUGEPAGE'd, huge-mapped like the kernel's (random pfn_to_page() reads
 * cost up to 1.7x on 4 KiB pages, perf-facts.md A5).
 */
static struct page *section_memmap_alloc(struct mm_model *mm)
{
	size_t size = PAGES_PER_SECTION(mm) * sizeof(struct page);
	bool huge = IS_ALIGNED(size, SZ_2M);
	struct page *map = aligned_alloc(huge ? SZ_2M : sizeof(struct page), size);

	if (map && huge)
		madvise(map, size, MADV_HUGEPAGE);
	if (map)
		mm->memmap_alloc_bytes += size;
	return map;
}

/* populate_section_memmap() without VMEMMAP: always a whole section; altmaps are ignored. */
static int sparse_populate(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages, int nid,
			   struct vmem_altmap *altmap, struct page **memmap)
{
	(void)nid;
	(void)altmap;
	if (!IS_ALIGNED(pfn, PAGES_PER_SECTION(mm)) || nr_pages != PAGES_PER_SECTION(mm))
		return -EINVAL;
	*memmap = section_memmap_alloc(mm);
	if (!*memmap)
		return -ENOMEM;
	mm->nr_memmap_ram += PAGES_PER_SECTION(mm);
	return 0;
}

/* depopulate_section_memmap() without VMEMMAP: kvfree(pfn_to_page(pfn)). */
static void sparse_depopulate(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
			      struct vmem_altmap *altmap)
{
	(void)nr_pages;
	(void)altmap;
	free(pfn_to_page(mm, pfn));
	mm->memmap_alloc_bytes -= PAGES_PER_SECTION(mm) * sizeof(struct page);
	mm->nr_memmap_ram -= PAGES_PER_SECTION(mm);
}

static int sparse_populate_boot(struct mm_model *mm, uint64_t pfn, int nid, struct page **memmap)
{
	(void)pfn;
	(void)nid;
	*memmap = section_memmap_alloc(mm);
	if (!*memmap)
		return -ENOMEM;
	mm->nr_memmap_boot += PAGES_PER_SECTION(mm);
	return 0;
}

/* free_map_bootmem(): the kernel puts the bootmem pages back; the model frees the array. */
static void sparse_free_bootmem(struct mm_model *mm, uint64_t section_pfn)
{
	free(pfn_to_page(mm, section_pfn));
	mm->memmap_alloc_bytes -= PAGES_PER_SECTION(mm) * sizeof(struct page);
	mm->nr_memmap_boot -= PAGES_PER_SECTION(mm);
}

static struct page *sparse_static_ops_pfn_to_page(const struct mm_model *mm, uint64_t pfn)
{
	return sparse_static_pfn_to_page(mm, pfn);
}

static uint64_t sparse_static_ops_page_to_pfn(const struct mm_model *mm, const struct page *page)
{
	return sparse_static_page_to_pfn(mm, page);
}

static struct page *sparse_extreme_ops_pfn_to_page(const struct mm_model *mm, uint64_t pfn)
{
	return sparse_extreme_pfn_to_page(mm, pfn);
}

static uint64_t sparse_extreme_ops_page_to_pfn(const struct mm_model *mm,
					       const struct page *page)
{
	return sparse_extreme_page_to_pfn(mm, page);
}

/*
 * page->flags names a valid section whose memmap array holds the page. An uninitialised
 * (poisoned) page names no section, so, as in the kernel, page_to_pfn() cannot place it.
 */
static bool sparse_page_in_memmap(const struct mm_model *mm, const struct page *page)
{
	uint64_t nr = page_to_section(&mm->pfl, page);
	const struct mem_section *ms = __nr_to_section(mm, nr);
	uintptr_t first, p = (uintptr_t)page;

	if (!valid_section(ms))
		return false;
	first = (uintptr_t)pfn_to_page(mm, section_nr_to_pfn(mm, nr));
	return p >= first && p < first + PAGES_PER_SECTION(mm) * sizeof(struct page) &&
	       (p - first) % sizeof(struct page) == 0;
}

static int sparse_static_init(struct mm_model *mm)
{
	return mem_section_roots_alloc(mm, true);
}

static int sparse_extreme_init(struct mm_model *mm)
{
	return mem_section_roots_alloc(mm, false);
}

/*
 * Classic invariants the section walk of invariants.c cannot see: every valid section's memmap
 * array is struct-page aligned (the encoding keeps the flag bits free), initialised pages carry
 * their section number in page->flags (page_to_pfn() depends on it), and the arrays add up to
 * memmap_alloc_bytes.
 */
static int sparse_check(const struct mm_model *mm, char *buf, size_t len)
{
	uint64_t bytes = 0, pps = PAGES_PER_SECTION(mm);
	int64_t nr;

	for_each_present_section_nr(mm, nr) {
		const struct mem_section *ms = __nr_to_section(mm, (uint64_t)nr);
		uint64_t pfn0 = section_nr_to_pfn(mm, (uint64_t)nr);
		const struct page *first;

		if (!valid_section(ms))
			continue;
		first = __pfn_to_page(mm, pfn0);
		bytes += pps * sizeof(struct page);
		if ((uintptr_t)first % sizeof(struct page) || !(ms->section_mem_map & SECTION_MAP_MASK)) {
			snprintf(buf, len, "4: section %" PRId64 " memmap %p is not struct-page aligned",
				 nr, (const void *)first);
			return -EUCLEAN;
		}
		for (uint64_t i = 0; i < pps; i += pps - 1) {
			const struct page *page = first + i;

			/* deferred: the invariants check it is untouched (invariants.c) */
			if (section_memmap_deferred(ms) || pfn_memmap_uninitialised(mm, pfn0 + i))
				continue;
			if (page_to_section(&mm->pfl, page) != (uint64_t)nr ||
			    page_to_pfn(mm, page) != pfn0 + i) {
				snprintf(buf, len, "classic: pfn %#" PRIx64 " has section %" PRIu64
					 " in page->flags, not %" PRId64, pfn0 + i,
					 page_to_section(&mm->pfl, page), nr);
				return -EUCLEAN;
			}
		}
	}
	if (bytes != mm->memmap_alloc_bytes) {
		snprintf(buf, len, "classic: %" PRIu64 " bytes of memmap arrays counted, the valid "
			 "sections hold %" PRIu64, mm->memmap_alloc_bytes, bytes);
		return -EUCLEAN;
	}
	return 0;
}

const struct memory_model_ops memory_model_sparse_static = {
	.model = MM_SPARSEMEM,
	.name = "SPARSEMEM (static)",
	.sparse = true,
	.numa = true,
	.pfn_to_page = sparse_static_ops_pfn_to_page,
	.page_to_pfn = sparse_static_ops_page_to_pfn,
	.pfn_valid = sparse_pfn_valid,
	.page_in_memmap = sparse_page_in_memmap,
	.populate_boot = sparse_populate_boot,
	.free_bootmem = sparse_free_bootmem,
	.populate = sparse_populate,
	.depopulate = sparse_depopulate,
	.init = sparse_static_init,
	.teardown = sparse_teardown,
	.release = sparse_release,
	.check = sparse_check,
};

const struct memory_model_ops memory_model_sparse_extreme = {
	.model = MM_SPARSEMEM_EXTREME,
	.name = "SPARSEMEM_EXTREME",
	.sparse = true,
	.numa = true,
	.pfn_to_page = sparse_extreme_ops_pfn_to_page,
	.page_to_pfn = sparse_extreme_ops_page_to_pfn,
	.pfn_valid = sparse_pfn_valid,
	.page_in_memmap = sparse_page_in_memmap,
	.populate_boot = sparse_populate_boot,
	.free_bootmem = sparse_free_bootmem,
	.populate = sparse_populate,
	.depopulate = sparse_depopulate,
	.init = sparse_extreme_init,
	.teardown = sparse_teardown,
	.release = sparse_release,
	.check = sparse_check,
};
