/* SPDX-License-Identifier: MIT */
/*
 * mm_check_invariants(): the invariants of kernel-model.md section 12 that apply to what the
 * model holds (System RAM: 1-16, 21, 25-30; ZONE_DEVICE: 17-24 in memremap.c), plus the
 * model's own bookkeeping (memmap and resident counters recomputed from the sections). Every
 * check recomputes from first principles rather than trusting another counter. The numbers in comments are section 12's.
 * Classic SPARSEMEM has no subsection map (every subsection of a valid section counts as set,
 * memmap comes in whole-section arrays); FLATMEM/DISCONTIGMEM have no section and no block:
 * their boot pages are counted from page->flags, and the memory model checks its own shape
 * (mm->mem_model->check).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "memremap.h"

struct inv {
	const struct mm_model *mm;
	char *buf;
	size_t len;
	/* recomputed from the sections */
	uint64_t memmap_boot, memmap_ram, memmap_altmap, host_pages, fresh_pages, deferred;
};

__attribute__((format(printf, 2, 3)))
static int inv_fail(struct inv *c, const char *fmt, ...)
{
	va_list ap;

	if (c->buf && c->len) {
		va_start(ap, fmt);
		vsnprintf(c->buf, c->len, fmt, ap);
		va_end(ap);
	}
	return -EUCLEAN;
}

#define CHECK(c, cond, ...) do { if (!(cond)) return inv_fail((c), __VA_ARGS__); } while (0)

/* 8, 28: the build-time relations of the geometry. */
static int check_geometry(struct inv *c)
{
	const struct mm_model *mm = c->mm;
	const struct mm_geometry *g = &mm->geo;

	CHECK(c, mm->arch->max_page_order + g->page_shift <= g->section_size_bits,
	      "28: MAX_PAGE_ORDER + PAGE_SHIFT exceeds SECTION_SIZE_BITS");
	CHECK(c, SUBSECTION_SHIFT <= g->section_size_bits, "28: SUBSECTION_SHIFT > SECTION_SIZE_BITS");
	CHECK(c, !(mm->mem_section_size & (mm->mem_section_size - 1)),
	      "28: sizeof(struct mem_section) is not a power of two");
	CHECK(c, g->block_size >= g->section_size && !(g->block_size & (g->block_size - 1)),
	      "8: block size is not a power of two >= the section size");
	CHECK(c, g->sections_per_block * g->section_size == g->block_size,
	      "8: sections_per_block does not tile the block");
	CHECK(c, SECTION_MAP_LAST_BIT <= g->pfn_section_shift,
	      "4: SECTION_MAP_LAST_BIT exceeds PFN_SECTION_SHIFT");
	return 0;
}

/* Is [start, end) covered by a resource (kind: 0 RAM, 1 device, -1 any)? */
static bool covered_by_resource(const struct mm_model *mm, uint64_t start, uint64_t end,
				int kind)
{
	for (size_t i = 0; i < mm->nr_resources; i++) {
		const struct mm_resource *r = &mm->resources[i];

		if (kind >= 0 && r->device != (kind == 1))
			continue;
		if (r->start <= start && end <= r->end)
			return true;
	}
	return false;
}

/* 9: a section without a memory block holds device subsections only. */
static bool section_device_only(const struct mm_model *mm, const struct mem_section *ms,
				uint64_t pfn0)
{
	uint64_t ppss = PAGES_PER_SUBSECTION(mm);

	for (uint64_t i = 0; i < mm->geo.subsections_per_section; i++) {
		uint64_t s = pfn0 + i * ppss;

		if (test_bit_ul((unsigned int)i, ms->usage->subsection_map) &&
		    !covered_by_resource(mm, PFN_PHYS(mm, s), PFN_PHYS(mm, s + ppss), 1))
			return false;
	}
	return true;
}

/*
 * 24: where a hot-added subsection's memmap came from: a device piece's from its pgmap's altmap
 * when populate used it (x86_64: whole sections only), RAM's from the block's altmap.
 */
static bool subsection_memmap_from_altmap(const struct mm_model *mm, uint64_t pfn,
					  const struct memory_block *mem)
{
	const struct dev_pagemap *pgmap = get_dev_pagemap(mm, pfn);

	if (pgmap)
		return pgmap_memmap_location(mm, pgmap, pfn) == MM_MEMMAP_ALTMAP;
	return mem && mem->altmap && vmemmap_uses_altmap(mm, PAGES_PER_SECTION(mm), mem->altmap);
}

/* 26: some device range starts or ends strictly inside the section. */
static bool section_should_be_tainted(const struct mm_model *mm, uint64_t nr)
{
	uint64_t s = PFN_PHYS(mm, section_nr_to_pfn(mm, nr));
	uint64_t e = s + mm->geo.section_size;

	for (size_t i = 0; i < mm->nr_resources; i++) {
		const struct mm_resource *r = &mm->resources[i];

		if (r->device && ((r->start > s && r->start < e) || (r->end > s && r->end < e)))
			return true;
	}
	return false;
}

/* 15, 16, 1 at one pfn of a valid subsection. */
static int check_pfn_sample(struct inv *c, uint64_t pfn, const struct memory_block *mem,
			    bool ram)
{
	const struct mm_model *mm = c->mm;
	const struct page *page = pfn_to_page(mm, pfn);
	const struct page *online = pfn_to_online_page(mm, pfn);

	CHECK(c, pfn_valid(mm, pfn), "1: pfn %#" PRIx64 " of a valid subsection is not pfn_valid",
	      pfn);
	CHECK(c, !online || (pfn_valid(mm, pfn) && online_section(__pfn_to_section(mm, pfn))),
	      "16: pfn_to_online_page(%#" PRIx64 ") without a valid online section", pfn);
	if (!mem || !ram)
		return 0;
	if (mem->state == MEM_OFFLINE) {
		CHECK(c, !online, "15: pfn %#" PRIx64 " of offline block %" PRIu64 " is online", pfn,
		      memory_block_id(mm, mem->start_section_nr));
		/* poisoned content when the model poisons (stray writes show), else the mark */
		CHECK(c, mm->params.page_init_poisoning ? PagePoisoned(page)
							: pfn_memmap_uninitialised(mm, pfn),
		      "15: struct page of pfn %#" PRIx64 " (offline block) is not poisoned", pfn);
		return 0;
	}
	CHECK(c, online, "13: pfn %#" PRIx64 " of online block %" PRIu64 " is not online", pfn,
	      memory_block_id(mm, mem->start_section_nr));
	CHECK(c, !pfn_memmap_uninitialised(mm, pfn),
	      "15: struct page of online pfn %#" PRIx64 " is poisoned", pfn);
	/* boot holes belong to whichever zone memmap_init() attributed them to */
	if (mem->zone && walk_system_ram_range(mm, pfn, 1) == 1) {
		CHECK(c, page_zone(mm, page) == mem->zone,
		      "12: pfn %#" PRIx64 " is in zone %s of node %d, its block in %s of node %d",
		      pfn, mm_zone_name(page_zonenum(&mm->pfl, page)), page_to_nid(&mm->pfl, page),
		      mm_zone_name(mem->zone->idx), mem->zone->nid);
		CHECK(c, pfn >= mem->zone->zone_start_pfn && pfn < zone_end_pfn(mem->zone),
		      "29: online pfn %#" PRIx64 " lies outside the span of zone %s", pfn,
		      mm_zone_name(mem->zone->idx));
	}
	CHECK(c, page_ref_count(page) >= page_idle_refcount(page),
	      "pfn %#" PRIx64 " has refcount %d below its idle count", pfn, page_ref_count(page));
	return 0;
}

/* Count the host pages the memmap of [pfn, pfn + nr) occupies, each host page once. */
static void count_host_pages(struct inv *c, uint64_t pfn, uint64_t nr, uint64_t *last_hp)
{
	uint64_t hps = c->mm->vmemmap.host_page_size;
	uint64_t first = pfn * sizeof(struct page) / hps;
	uint64_t end = DIV_ROUND_UP((pfn + nr) * sizeof(struct page), hps);

	if (*last_hp != UINT64_MAX && first <= *last_hp)
		first = *last_hp + 1;
	if (end > first) {
		c->host_pages += end - first;
		*last_hp = end - 1;
	}
}

/*
 * The model's own marks in the usage map: uninitialised subsections exist (classic: the whole
 * section), fresh ones are uninitialised; the fresh pages add up to vmemmap.nr_fresh.
 */
static int check_section_marks(struct inv *c, uint64_t nr, const struct mem_section *ms,
			       bool early, bool subsections)
{
	const struct mem_section_usage *u = ms->usage;

	for (unsigned int i = 0; i < SUBSECTION_MAP_LONGS; i++) {
		unsigned long present = subsections ? u->subsection_map[i] : ~0UL;

		CHECK(c, early || !(u->subsection_uninit[i] & ~present),
		      "section %" PRIu64 " marks absent subsections uninitialised", nr);
		CHECK(c, !(u->subsection_fresh[i] & ~(present & u->subsection_uninit[i])),
		      "section %" PRIu64 " has fresh (never written) memmap in a subsection that is "
		      "absent or initialised", nr);
		c->fresh_pages += memmap_tracks_fresh(c->mm) *
				  (uint64_t)__builtin_popcountl(u->subsection_fresh[i]);
	}
	return 0;
}

/*
 * A present subsection of a deferred early section: marked uninitialised (and fresh where
 * tracked), and with VMEMMAP its memmap still as the host gave it, all zero: a write that went
 * around pfn_to_page() would be lost when the section is initialised. Reading it maps the
 * host's zero page, so the check costs no memory. (Classic section arrays come from the heap,
 * raw as the kernel's memmap_alloc(): nothing is known of their content.)
 */
static int check_deferred_subsection(struct inv *c, const struct mem_section *ms,
				     unsigned int idx, uint64_t s)
{
	static const struct page zero;
	const struct mm_model *mm = c->mm;
	const uint64_t ppss = PAGES_PER_SUBSECTION(mm);

	CHECK(c, early_section(ms), "deferred memmap at pfn %#" PRIx64 " outside boot memory", s);
	CHECK(c, test_bit_ul(idx, ms->usage->subsection_uninit) &&
	      (!memory_model_subsections(mm) || !memmap_tracks_fresh(mm) ||
	       test_bit_ul(idx, ms->usage->subsection_fresh)),
	      "deferred memmap at pfn %#" PRIx64 " is marked initialised or written", s);
	CHECK(c, !mm->vmemmap.area || (!memcmp(__pfn_to_page(mm, s), &zero, sizeof(zero)) &&
				       !memcmp(__pfn_to_page(mm, s + ppss - 1), &zero,
					       sizeof(zero))),
	      "deferred memmap at pfn %#" PRIx64 " was written before its initialisation", s);
	return 0;
}

static int check_one_section(struct inv *c, uint64_t nr, const struct mem_section *ms)
{
	const struct mm_model *mm = c->mm;
	uint64_t pfn0 = section_nr_to_pfn(mm, nr), pps = PAGES_PER_SECTION(mm);
	uint64_t ppss = PAGES_PER_SUBSECTION(mm), last_hp = UINT64_MAX;
	unsigned long w = ms->section_mem_map;
	const struct memory_block *mem = find_memory_block_by_id(mm, memory_block_id(mm, nr));
	bool early = early_section(ms), subsections = memory_model_subsections(mm), device_only;
	bool vmemmap = mm->vmemmap.area != NULL;

	if (!w) {
		CHECK(c, !ms->usage || (ms->usage->boot_alloc && is_subsection_map_empty(mm, ms)),
		      "3: empty section %" PRIu64 " still holds a usage map in use", nr);
		return 0;
	}
	CHECK(c, (int64_t)nr <= mm->highest_present_section_nr || !present_section(ms),
	      "30: present section %" PRIu64 " above __highest_present_section_nr", nr);
	CHECK(c, present_section(ms) && valid_section(ms),
	      "2: section %" PRIu64 " has flags %#lx but is not PRESENT with a memmap", nr,
	      w & ~SECTION_MAP_MASK);
	CHECK(c, ms->usage, "2: valid section %" PRIu64 " has no usage", nr);
	CHECK(c, !vmemmap || (w & SECTION_MAP_MASK) == (unsigned long)(uintptr_t)mm->vmemmap.base,
	      "4: section %" PRIu64 " decodes to %#lx, not vmemmap %p", nr, w & SECTION_MAP_MASK,
	      (void *)mm->vmemmap.base);
	CHECK(c, sparse_decode_mem_map(mm, w, nr) == __pfn_to_page(mm, pfn0),
	      "4: decode(section %" PRIu64 ") is not the struct page of its first pfn", nr);
	CHECK(c, early || !subsections || subsection_weight(mm, ms) > 0,
	      "3: hot-added section %" PRIu64 " is valid with no subsection", nr);
	CHECK(c, subsections || subsection_weight(mm, ms) == 0,
	      "classic section %" PRIu64 " has subsection bits", nr);
	if (early)
		CHECK(c, memblock_overlaps(mm, PFN_PHYS(mm, pfn0), PFN_PHYS(mm, pfn0 + pps), NULL),
		      "5: early section %" PRIu64 " does not overlap boot memory", nr);
	/* a taint outlives its device range in a section that stays (memremap.c) */
	CHECK(c, !!(w & SECTION_TAINT_ZONE_DEVICE) == section_should_be_tainted(mm, nr) ||
	      ((w & SECTION_TAINT_ZONE_DEVICE) && section_taint_may_be_stale(mm, nr)),
	      "26: section %" PRIu64 " TAINT_ZONE_DEVICE disagrees with the device ranges", nr);
	/* device-only sections need no block (a boot block may span them) and are never online */
	device_only = !early && subsections && section_device_only(mm, ms, pfn0);
	CHECK(c, mem || device_only, "9: present section %" PRIu64 " has no memory block", nr);
	CHECK(c, !device_only || !online_section(ms),
	      "17: section %" PRIu64 " holding only ZONE_DEVICE memory is online", nr);
	CHECK(c, !mem || device_only || online_section(ms) == (mem->state == MEM_ONLINE),
	      "13: section %" PRIu64 " is %sonline but memory block %" PRIu64 " is %s", nr,
	      online_section(ms) ? "" : "not ", memory_block_id(mm, nr),
	      mem ? mm_block_state_name(mem->state) : "missing");

	c->deferred += section_memmap_deferred(ms);
	if (early) {
		c->memmap_boot += pps;
		if (vmemmap)
			count_host_pages(c, pfn0, pps, &last_hp);
	} else if (!subsections) {
		c->memmap_ram += pps;     /* one kvmalloc'ed array for the whole section */
	}
	for (uint64_t i = 0; i < mm->geo.subsections_per_section; i++) {
		uint64_t s = pfn0 + i * ppss;
		bool set = !subsections || test_bit_ul((unsigned int)i, ms->usage->subsection_map);
		bool boot = memblock_overlaps(mm, PFN_PHYS(mm, s), PFN_PHYS(mm, s + ppss), NULL);
		bool ram = boot || covered_by_resource(mm, PFN_PHYS(mm, s), PFN_PHYS(mm, s + ppss), 0);
		int ret;

		CHECK(c, pfn_valid(mm, s) == (early || set),
		      "1: pfn_valid(%#" PRIx64 ") disagrees with the section state", s);
		if (early && subsections) {
			CHECK(c, set == boot || (set && covered_by_resource(mm, PFN_PHYS(mm, s),
									    PFN_PHYS(mm, s + ppss), 1)),
			      "6: early subsection at pfn %#" PRIx64 " is %s but boot RAM is %s", s,
			      set ? "set" : "clear", boot ? "there" : "not there");
		} else if (early) {
			/* classic early section: the whole section is valid, holes included */
		} else if (set) {
			CHECK(c, covered_by_resource(mm, PFN_PHYS(mm, s), PFN_PHYS(mm, s + ppss), -1),
			      "6: subsection at pfn %#" PRIx64 " is present but no range covers it", s);
			/* classic: counted with the section above */
			if (subsections && subsection_memmap_from_altmap(mm, s, mem))
				c->memmap_altmap += ppss;
			else if (subsections)
				c->memmap_ram += ppss;
			if (vmemmap)
				count_host_pages(c, s, ppss, &last_hp);
		} else {
			CHECK(c, !covered_by_resource(mm, PFN_PHYS(mm, s), PFN_PHYS(mm, s + ppss), 0),
			      "7: hot-added RAM at pfn %#" PRIx64 " has no subsection bit", s);
		}
		if (!set)
			continue;
		if (section_memmap_deferred(ms)) {
			ret = check_deferred_subsection(c, ms, (unsigned int)i, s);
			if (ret)
				return ret;
			continue;
		}
		ret = check_pfn_sample(c, s, mem, ram);
		if (!ret)
			ret = check_pfn_sample(c, s + ppss - 1, mem, ram);
		if (ret)
			return ret;
	}
	return check_section_marks(c, nr, ms, early, subsections);
}

/* Walk every section of every allocated root (not trusting the highest present number). */
static int check_sections(struct inv *c)
{
	const struct mm_model *mm = c->mm;
	uint64_t spr = mm->sections_per_root_alloc;
	int ret;

	for (uint64_t root = 0; root < mm->nr_section_roots_alloc; root++) {
		if (!mm->mem_section[root])
			continue;
		for (uint64_t i = 0; i < spr; i++) {
			ret = check_one_section(c, root * spr + i, &mm->mem_section[root][i]);
			if (ret)
				return ret;
		}
	}
	CHECK(c, c->memmap_boot == mm->nr_memmap_boot,
	      "memmap: %" PRIu64 " boot struct pages counted, %" PRIu64 " in the sections",
	      mm->nr_memmap_boot, c->memmap_boot);
	CHECK(c, c->memmap_ram == mm->nr_memmap_ram,
	      "memmap: %" PRIu64 " RAM struct pages counted, %" PRIu64 " in the sections",
	      mm->nr_memmap_ram, c->memmap_ram);
	CHECK(c, c->memmap_altmap == mm->nr_memmap_altmap,
	      "memmap: %" PRIu64 " altmap struct pages counted, %" PRIu64 " in the sections",
	      mm->nr_memmap_altmap, c->memmap_altmap);
	CHECK(c, c->host_pages == mm->vmemmap.nr_populated,
	      "vmemmap: %" PRIu64 " host pages populated, the sections need %" PRIu64,
	      mm->vmemmap.nr_populated, c->host_pages);
	CHECK(c, c->deferred == mm->nr_memmap_deferred,
	      "%" PRIu64 " sections counted deferred, %" PRIu64 " marked", mm->nr_memmap_deferred,
	      c->deferred);
	CHECK(c, c->fresh_pages == mm->vmemmap.nr_fresh,
	      "vmemmap: %" PRIu64 " host pages counted fresh (never written), the sections mark %"
	      PRIu64, mm->vmemmap.nr_fresh, c->fresh_pages);
	return 0;
}

/* 21, 22, 25: a memmap_on_memory block's altmap. */
static int check_block_altmap(struct inv *c, uint64_t id, const struct memory_block *mem)
{
	const struct mm_model *mm = c->mm;
	const struct vmem_altmap *a = mem->altmap;
	uint64_t start_pfn = memory_block_start_pfn(mm, mem), expect = 0;

	CHECK(c, a->base_pfn == start_pfn, "22: block %" PRIu64 " altmap base %#" PRIx64
	      " is not the block start %#" PRIx64, id, a->base_pfn, start_pfn);
	CHECK(c, a->reserve + a->free <= pages_per_block(mm),
	      "22: block %" PRIu64 " altmap reserve + free exceeds the block", id);
	CHECK(c, a->alloc + a->align <= a->free, "21: block %" PRIu64 " altmap alloc %" PRIu64
	      " + align %" PRIu64 " > free %" PRIu64, id, a->alloc, a->align, a->free);
	CHECK(c, pageblock_aligned(mm, a->free) && a->free < pages_per_block(mm),
	      "25: block %" PRIu64 " self-hosted memmap of %" PRIu64 " pages is not pageblock "
	      "aligned or fills the block", id, a->free);
	for (uint64_t s = 0; s < mm->geo.sections_per_block; s++)
		if (valid_section(__nr_to_section(mm, mem->start_section_nr + s)))
			expect += vmemmap_altmap_pages(mm, PAGES_PER_SECTION(mm));
	CHECK(c, a->alloc == expect, "21: block %" PRIu64 " altmap hands out %" PRIu64
	      " pfns for memmap needing %" PRIu64, id, a->alloc, expect);
	if (mem->state == MEM_ONLINE) {
		const struct page *first = pfn_to_page(mm, start_pfn);
		const struct page *last = pfn_to_page(mm, start_pfn + a->free - 1);

		CHECK(c, PageVmemmapSelfHosted(first) && PageVmemmapSelfHosted(last),
		      "25: self-hosted memmap pages of online block %" PRIu64 " are not marked", id);
	}
	return 0;
}

/* 8-12 per block, 27 for hot-added online blocks, plus zone present accounting. */
static int check_blocks(struct inv *c, uint64_t present[MAX_NUMNODES][MAX_NR_ZONES],
			uint64_t *managed, uint64_t *early_present)
{
	const struct mm_model *mm = c->mm;
	const struct memory_block *mem;
	size_t count = 0;
	uint64_t id = 0;
	int ret;

	while ((mem = next_memory_block(mm, &id))) {
		uint64_t start_pfn = memory_block_start_pfn(mm, mem), nr = pages_per_block(mm);
		uint64_t start = PFN_PHYS(mm, start_pfn), vm = mem->altmap ? mem->altmap->free : 0;
		uint64_t ram = walk_system_ram_range(mm, start_pfn, nr), npresent = 0;

		count++;
		CHECK(c, mem->start_section_nr == id * mm->geo.sections_per_block,
		      "8: block %" PRIu64 " starts at section %" PRIu64, id, mem->start_section_nr);
		CHECK(c, mem->state == MEM_ONLINE || mem->state == MEM_OFFLINE,
		      "10: block %" PRIu64 " is in state %d between calls", id, (int)mem->state);
		CHECK(c, mem->state == MEM_ONLINE || !mem->zone,
		      "12: offline block %" PRIu64 " has a zone", id);
		for (uint64_t s = 0; s < mm->geo.sections_per_block; s++)
			npresent += present_section(__nr_to_section(mm, mem->start_section_nr + s));
		CHECK(c, npresent, "9: block %" PRIu64 " has no present section", id);
		CHECK(c, mem->early == memblock_overlaps(mm, start, start + mm->geo.block_size, NULL),
		      "block %" PRIu64 " early=%d disagrees with boot memory", id, mem->early);
		if (!mem->early) {
			CHECK(c, npresent == mm->geo.sections_per_block &&
			      covered_by_resource(mm, start, start + mm->geo.block_size, 0),
			      "7: hot-added block %" PRIu64 " is not one whole System RAM block", id);
			CHECK(c, !mem->zone || mem->zone->nid == mem->nid,
			      "12: block %" PRIu64 " of node %d is in a zone of node %d", id, mem->nid,
			      mem->zone ? mem->zone->nid : -1);
		}
		if (mem->altmap) {
			ret = check_block_altmap(c, id, mem);
			if (ret)
				return ret;
		}
		if (mem->state == MEM_ONLINE && !mem->early) {
			for (uint64_t pfn = start_pfn; pfn < start_pfn + nr;
			     pfn += pageblock_nr_pages(mm)) {
				const unsigned char *pb = pageblock_flags_ptr(mm, pfn);
				unsigned int want = pfn < start_pfn + vm ? MIGRATE_UNMOVABLE
									 : MIGRATE_MOVABLE;

				CHECK(c, pb && (*pb & PB_MIGRATETYPE_MASK) == want &&
				      !(*pb & PB_MIGRATE_ISOLATE),
				      "27: pageblock at pfn %#" PRIx64 " of online block %" PRIu64
				      " has flags %#x", pfn, id, pb ? *pb : 0xffu);
			}
		}
		if (mem->state == MEM_ONLINE) {
			if (mem->zone) {
				present[mem->zone->nid][mem->zone->idx] += ram;
			} else {
				/* multi-zone boot block: attribute each RAM page to its own zone */
				for (uint64_t pfn = start_pfn; pfn < start_pfn + nr; pfn++) {
					const struct page *page = __pfn_to_page(mm, pfn);
					int nid = -1, z;

					if (!pfn_valid(mm, pfn) || walk_system_ram_range(mm, pfn, 1) != 1)
						continue;
					/* a deferred page: what memmap_init() will make of it */
					if (section_memmap_deferred(__pfn_to_section(mm, pfn))) {
						z = memmap_boot_zone(mm, pfn, &nid);
						CHECK(c, z >= 0, "deferred boot RAM pfn %#" PRIx64
						      " has no zone", pfn);
					} else {
						nid = page_to_nid(&mm->pfl, page);
						z = page_zonenum(&mm->pfl, page);
					}
					present[nid][z]++;
				}
			}
			*managed += ram - vm;
			if (mem->early)
				*early_present += ram;
		}
		if (id == UINT64_MAX)
			break;
		id++;
	}
	CHECK(c, count == mm->nr_memory_blocks, "%zu memory blocks stored, %zu counted",
	      count, mm->nr_memory_blocks);
	return 0;
}

/* 29: spans and counts of zones and nodes. */
static int check_zones(struct inv *c, uint64_t present[MAX_NUMNODES][MAX_NR_ZONES],
		       uint64_t managed, uint64_t early_present)
{
	const struct mm_model *mm = c->mm;
	uint64_t sum_managed = 0, sum_early = 0;

	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		const struct pglist_data *pgdat = &mm->node_data[nid];
		uint64_t node_present = 0, lo = UINT64_MAX, hi = 0;

		for (int z = 0; z < MAX_NR_ZONES; z++) {
			const struct zone *zone = &pgdat->node_zones[z];

			CHECK(c, zone->present_pages == present[nid][z],
			      "node %d zone %s: %" PRIu64 " present pages, the online blocks hold %"
			      PRIu64, nid, mm_zone_name(zone->idx), zone->present_pages,
			      present[nid][z]);
			CHECK(c, zone->managed_pages <= zone->present_pages &&
			      zone->present_early_pages <= zone->present_pages &&
			      zone->present_pages <= zone->spanned_pages,
			      "29: node %d zone %s: managed %" PRIu64 " <= present %" PRIu64
			      " <= spanned %" PRIu64 " does not hold", nid, mm_zone_name(zone->idx),
			      zone->managed_pages, zone->present_pages, zone->spanned_pages);
			node_present += zone->present_pages;
			sum_managed += zone->managed_pages;
			sum_early += zone->present_early_pages;
			if (zone->spanned_pages) {
				lo = MIN(lo, zone->zone_start_pfn);
				hi = MAX(hi, zone_end_pfn(zone));
			}
		}
		CHECK(c, pgdat->node_present_pages == node_present,
		      "node %d: %" PRIu64 " present pages, its zones hold %" PRIu64, nid,
		      pgdat->node_present_pages, node_present);
		if (hi)
			CHECK(c, pgdat->node_start_pfn == lo && pgdat_end_pfn(pgdat) == hi,
			      "29: node %d spans [%#" PRIx64 ", %#" PRIx64 "), its zones [%#" PRIx64
			      ", %#" PRIx64 ")", nid, pgdat->node_start_pfn, pgdat_end_pfn(pgdat), lo, hi);
		else
			CHECK(c, !pgdat->node_spanned_pages,
			      "29: node %d spans pages but none of its zones does", nid);
		CHECK(c, pgdat->online || !pgdat->node_spanned_pages,
		      "node %d spans memory but is offline", nid);
	}
	CHECK(c, sum_managed == managed, "%" PRIu64 " managed pages, the online blocks give %"
	      PRIu64, sum_managed, managed);
	CHECK(c, sum_early == early_present, "%" PRIu64 " present early pages, the online boot "
	      "blocks hold %" PRIu64, sum_early, early_present);
	return 0;
}

/* 7, and the range table's own rules. */
static int check_ranges(struct inv *c)
{
	const struct mm_model *mm = c->mm;

	for (size_t i = 0; i < mm->nr_resources; i++) {
		const struct mm_resource *r = &mm->resources[i];

		CHECK(c, r->start < r->end, "range %" PRIu64 " is empty", r->id);
		CHECK(c, r->id && r->id < mm->next_range_id, "range id %" PRIu64 " was never issued",
		      r->id);
		CHECK(c, i == 0 || mm->resources[i - 1].end <= r->start,
		      "ranges %" PRIu64 " and %" PRIu64 " overlap or are out of order",
		      mm->resources[i - 1].id, r->id);
		for (size_t j = 0; j < i; j++)
			CHECK(c, mm->resources[j].id != r->id, "range id %" PRIu64 " used twice", r->id);
		CHECK(c, !memblock_overlaps(mm, r->start, r->end, NULL),
		      "range %" PRIu64 " overlaps boot memory", r->id);
		if (r->device)
			continue;
		CHECK(c, IS_ALIGNED(r->start, mm->geo.block_size) &&
		      IS_ALIGNED(r->end, mm->geo.block_size),
		      "7: System RAM range %" PRIu64 " is not block aligned", r->id);
		for (uint64_t a = r->start; a < r->end; a += mm->geo.block_size) {
			const struct memory_block *mem = find_memory_block_by_id(mm,
								a / mm->geo.block_size);

			CHECK(c, mem && !mem->early && mem->nid == r->nid &&
			      !!mem->altmap == r->memmap_on_memory,
			      "9: block at %#" PRIx64 " of range %" PRIu64 " is missing or differs", a,
			      r->id);
		}
	}
	return 0;
}

/*
 * Without memory blocks (FLATMEM, DISCONTIGMEM) all boot RAM is online for good: each page of
 * it counts in the zone and node its page->flags name, which must be those of its region.
 */
static int count_boot_pages(struct inv *c, uint64_t present[MAX_NUMNODES][MAX_NR_ZONES],
			    uint64_t *managed, uint64_t *early_present)
{
	const struct mm_model *mm = c->mm;

	for (size_t i = 0; mm->booted && i < mm->nr_memblock; i++) {
		const struct memblock_region *r = &mm->memblock[i];

		for (uint64_t pfn = PHYS_PFN(mm, r->base); pfn < PHYS_PFN(mm, r->base + r->size);
		     pfn++) {
			const struct page *page = pfn_to_online_page(mm, pfn);
			enum mm_zone_type z;

			CHECK(c, page && !pfn_memmap_uninitialised(mm, pfn),
			      "16: boot RAM pfn %#" PRIx64 " has no initialised online page", pfn);
			z = page_zonenum(&mm->pfl, page);
			CHECK(c, page_to_nid(&mm->pfl, page) == r->nid && z < MAX_NR_ZONES,
			      "boot RAM pfn %#" PRIx64 " of node %d names node %d zone %d", pfn, r->nid,
			      page_to_nid(&mm->pfl, page), (int)z);
			present[r->nid][z]++;
			(*managed)++;
			(*early_present)++;
		}
	}
	return 0;
}

int mm_check_invariants(const struct mm_model *mm, char *buf, size_t len)
{
	uint64_t present[MAX_NUMNODES][MAX_NR_ZONES];
	struct inv c = { .mm = mm, .buf = buf, .len = len };
	uint64_t managed = 0, early_present = 0;
	int ret;

	if (buf && len)
		buf[0] = '\0';
	memset(present, 0, sizeof(present));
	ret = check_geometry(&c);
	if (!ret && memory_model_sparse(mm))
		ret = check_sections(&c);
	if (!ret && memory_model_sparse(mm))
		ret = check_blocks(&c, present, &managed, &early_present);
	else if (!ret)
		ret = count_boot_pages(&c, present, &managed, &early_present);
	if (!ret)
		ret = check_zones(&c, present, managed, early_present);
	if (!ret)
		ret = check_ranges(&c);
	if (!ret && mm->mem_model->check)
		ret = mm->mem_model->check(mm, buf, len);
	if (!ret && memory_model_sparse(mm))
		ret = zone_device_check_invariants(mm, buf, len);   /* 17-24 (memremap.c) */
	return ret;
}
