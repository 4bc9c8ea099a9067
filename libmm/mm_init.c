/* SPDX-License-Identifier: MIT */
/*
 * Initialising struct pages (mm/mm_init.c): __init_single_page(), memmap_init_range(),
 * init_unavailable_range() and the per-pageblock migratetype stored in the section's usage;
 * the uninitialised (poisoned) state of memmap; and splitting a large initialisation across
 * threads as padata does for deferred init.
 *
 * Speed (perf-facts.md A3, bench/bench-memmap.c): populating the memmap costs its page faults,
 * so a production kernel writes each struct page once, when it initialises it. Here too: with
 * mm_params.page_init_poisoning off nothing writes hot-added memmap before online (the
 * uninitialised state is a bit per subsection in the usage map), and a run of struct pages of
 * one section is initialised from one computed template per page (its zone/node/section links
 * are the same for the whole section), each page written with full-width stores.
 */
#include <pthread.h>
#include <unistd.h>

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
	/* memmap_init() writes the pageblock bits with the memmap: a deferred section has neither */
	if (section_memmap_deferred(ms))
		memmap_deferred_touch(mm, pfn);
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

/* What memmap_init_range() initialises a piece into. */
struct memmap_init_args {
	int nid;
	enum mm_zone_type zone;
	enum meminit_context context;
	enum migratetype migratetype;
};

/*
 * memmap_init_range() of [pfn, pfn + nr), inside one section: every struct page is what
 * __init_single_page() (+ __SetPageOffline() for hotplug) makes of it, written at once from the
 * section's template; then the migratetype of each pageblock starting in the piece. A
 * section's memmap is one array in every SPARSEMEM model; DISCONTIGMEM asks per pfn.
 */
static void memmap_init_piece(struct mm_model *mm, uint64_t pfn, uint64_t nr, void *arg)
{
	const struct memmap_init_args *a = arg;
	struct page tmpl, *first = NULL;

	memmap_mark_initialised(mm, pfn, nr);
	__init_single_page(mm, &tmpl, pfn, a->zone, a->nid);
	if (a->context == MEMINIT_HOTPLUG)
		__SetPageOffline(&tmpl);
	if (memory_model_sparse(mm) || mm->memmap_linear)
		first = pfn_to_page(mm, pfn);
	for (uint64_t i = 0; i < nr; i++) {
		struct page *page = first ? first + i : pfn_to_page(mm, pfn + i);

		*page = (struct page){
			.flags = tmpl.flags,
			.lru = { &page->lru, &page->lru },
			.page_type = tmpl.page_type,
			._refcount = tmpl._refcount,
		};
	}
	for (uint64_t p = ALIGN(pfn, pageblock_nr_pages(mm)); p < pfn + nr;
	     p += pageblock_nr_pages(mm))
		set_pageblock_migratetype(mm, p, a->migratetype);
}

/*
 * memmap_init_range(): initialise [start_pfn, start_pfn + size) into zone/nid. Hot-added memory
 * (MEMINIT_HOTPLUG) comes out PageOffline until online_pages() hands it to the buddy. A large
 * range (boot memory) is split across memmap_init_threads, as deferred init is.
 */
void memmap_init_range(struct mm_model *mm, uint64_t size, int nid, enum mm_zone_type zone,
		       uint64_t start_pfn, enum meminit_context context,
		       enum migratetype migratetype)
{
	struct memmap_init_args a = {
		.nid = nid, .zone = zone, .context = context, .migratetype = migratetype,
	};

	memmap_init_parallel(mm, start_pfn, size, memmap_init_piece, &a);
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

/* ----------------------------------------------------- uninitialised memmap */

/* ----------------------------------------------------------- fresh memmap */

uint64_t memmap_tracks_fresh(const struct mm_model *mm)
{
	uint64_t bytes = PAGES_PER_SUBSECTION(mm) * sizeof(struct page);

	if (!mm->vmemmap.area || mm->params.page_init_poisoning ||
	    bytes % mm->vmemmap.host_page_size)
		return 0;
	return bytes / mm->vmemmap.host_page_size;
}

/*
 * Set or clear the fresh bits of the whole subsections of [pfn, pfn + nr): nr_fresh follows
 * the bits that really changed.
 */
static void memmap_fresh_change(struct mm_model *mm, uint64_t pfn, uint64_t nr, bool set)
{
	const uint64_t ppss = PAGES_PER_SUBSECTION(mm), end = pfn + nr, hpps = memmap_tracks_fresh(mm);

	if (!hpps)
		return;
	pfn = ALIGN(pfn, ppss);
	while (pfn + ppss <= end) {
		uint64_t e = MIN(ALIGN_DOWN(end, ppss), SECTION_ALIGN_UP(mm, pfn + 1));
		struct mem_section *ms = __pfn_to_section(mm, pfn);
		unsigned long map[SUBSECTION_MAP_LONGS] = { 0 };

		if (ms && ms->usage) {
			subsection_mask_set(mm, map, pfn, e - pfn);
			for (unsigned int i = 0; i < SUBSECTION_MAP_LONGS; i++) {
				unsigned long *w = &ms->usage->subsection_fresh[i];
				unsigned long changed = set ? map[i] & ~*w : map[i] & *w;

				*w ^= changed;
				/* the word is this section's, the count is shared by the init threads */
				if (set)
					__atomic_fetch_add(&mm->vmemmap.nr_fresh,
							   hpps * __builtin_popcountl(changed),
							   __ATOMIC_RELAXED);
				else
					__atomic_fetch_sub(&mm->vmemmap.nr_fresh,
							   hpps * __builtin_popcountl(changed),
							   __ATOMIC_RELAXED);
			}
		}
		pfn = e;
	}
}

void memmap_mark_fresh(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages)
{
	memmap_fresh_change(mm, pfn, nr_pages, true);
}

void memmap_forget_fresh(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages)
{
	memmap_fresh_change(mm, pfn, nr_pages, false);
}

/* The subsections [pfn, pfn + nr) touches are written now: whole ones, and any at either end. */
static void memmap_written(struct mm_model *mm, uint64_t pfn, uint64_t nr)
{
	const uint64_t ppss = PAGES_PER_SUBSECTION(mm);

	if (nr)
		memmap_fresh_change(mm, ALIGN_DOWN(pfn, ppss), ALIGN(pfn + nr, ppss) -
				    ALIGN_DOWN(pfn, ppss), false);
}

/* Set (or clear) the uninitialised mark of every whole subsection of [pfn, pfn + nr). */
static void subsection_uninit_mark(struct mm_model *mm, uint64_t pfn, uint64_t nr, bool set)
{
	const uint64_t ppss = PAGES_PER_SUBSECTION(mm), end = pfn + nr;

	pfn = ALIGN(pfn, ppss);
	while (pfn + ppss <= end) {
		uint64_t e = MIN(ALIGN_DOWN(end, ppss), SECTION_ALIGN_UP(mm, pfn + 1));
		struct mem_section *ms = __pfn_to_section(mm, pfn);
		unsigned long map[SUBSECTION_MAP_LONGS] = { 0 };

		if (ms && ms->usage) {
			subsection_mask_set(mm, map, pfn, e - pfn);
			for (unsigned int i = 0; i < SUBSECTION_MAP_LONGS; i++) {
				if (set)
					ms->usage->subsection_uninit[i] |= map[i];
				else
					ms->usage->subsection_uninit[i] &= ~map[i];
			}
		}
		pfn = e;
	}
}

/*
 * page_init_poison() of the model: whole subsections are marked uninitialised, and their
 * struct pages poisoned only with page_init_poisoning; the parts of subsections at either end
 * are always poisoned, since the mark cannot say which of their pages it covers.
 */
static void memmap_poison(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages)
{
	const uint64_t ppss = PAGES_PER_SUBSECTION(mm), end = pfn + nr_pages;
	uint64_t lo = MIN(ALIGN(pfn, ppss), end), hi = MAX(ALIGN_DOWN(end, ppss), lo);

	if (!memory_model_sparse(mm) || mm->params.page_init_poisoning) {
		page_init_poison(pfn_to_page(mm, pfn), nr_pages * sizeof(struct page));
	} else {
		if (lo > pfn) {
			page_init_poison(pfn_to_page(mm, pfn), (lo - pfn) * sizeof(struct page));
			memmap_written(mm, pfn, lo - pfn);
		}
		if (end > hi) {
			page_init_poison(pfn_to_page(mm, hi), (end - hi) * sizeof(struct page));
			memmap_written(mm, hi, end - hi);
		}
	}
	if (memory_model_sparse(mm))
		subsection_uninit_mark(mm, lo, hi - lo, true);
}

void poison_pfn_range(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages)
{
	struct dev_pagemap *pgmap = hotplug_pgmap(mm);

	/* a range with vmemmap tail reuse: writing the distinct pages poisons every alias */
	if (pgmap && pgmap->dedup) {
		if (mm->params.page_init_poisoning)
			vmemmap_dedup_poison(mm, pgmap, pfn, nr_pages);
		subsection_uninit_mark(mm, pfn, nr_pages, true);
		return;
	}
	memmap_poison(mm, pfn, nr_pages);
}

void memmap_defer_section(struct mm_model *mm, uint64_t pfn0)
{
	const uint64_t ppss = PAGES_PER_SUBSECTION(mm);
	const struct mem_section *ms = __pfn_to_section(mm, pfn0);

	subsection_uninit_mark(mm, pfn0, PAGES_PER_SECTION(mm), true);
	if (!memory_model_subsections(mm))   /* classic: no vmemmap, nothing counted fresh */
		return;
	for (uint64_t i = 0; i < mm->geo.subsections_per_section; i++)
		if (test_bit_ul((unsigned int)i, ms->usage->subsection_map))
			memmap_mark_fresh(mm, pfn0 + i * ppss, ppss);
}

void memmap_forget_uninit(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages)
{
	subsection_uninit_mark(mm, pfn, nr_pages, false);
}

void memmap_mark_initialised(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages)
{
	const uint64_t ppss = PAGES_PER_SUBSECTION(mm), end = pfn + nr_pages;
	uint64_t s = ALIGN_DOWN(pfn, ppss);

	if (!memory_model_sparse(mm) || !nr_pages)
		return;
	memmap_written(mm, pfn, nr_pages);
	while (s < end) {
		struct mem_section *ms = __pfn_to_section(mm, s);
		unsigned int idx = subsection_map_index(mm, s);

		if (!ms || !ms->usage) {
			s = SECTION_ALIGN_UP(mm, s + 1);
			continue;
		}
		/* whole words of marks inside the range go at once */
		if (idx % BITS_PER_LONG == 0 && s >= pfn && s + BITS_PER_LONG * ppss <= end &&
		    BITS_PER_LONG * ppss <= PAGES_PER_SECTION(mm)) {
			ms->usage->subsection_uninit[idx / BITS_PER_LONG] = 0;
			s += BITS_PER_LONG * ppss;
			continue;
		}
		if (test_bit_ul(idx, ms->usage->subsection_uninit)) {
			/* poisoned already, or the mark alone said it: the outside stays poisoned */
			if (!mm->params.page_init_poisoning) {
				if (s < pfn)
					page_init_poison(pfn_to_page(mm, s),
							 (pfn - s) * sizeof(struct page));
				if (s + ppss > end)
					page_init_poison(pfn_to_page(mm, end),
							 (s + ppss - end) * sizeof(struct page));
			}
			ms->usage->subsection_uninit[idx / BITS_PER_LONG] &=
				~(1UL << (idx % BITS_PER_LONG));
		}
		s += ppss;
	}
}

bool pfn_memmap_uninitialised(const struct mm_model *mm, uint64_t pfn)
{
	const struct mem_section *ms;

	if (PagePoisoned(pfn_to_page(mm, pfn)))
		return true;
	if (!memory_model_sparse(mm))
		return false;
	ms = __pfn_to_section(mm, pfn);
	return ms && ms->usage &&
	       test_bit_ul(subsection_map_index(mm, pfn), ms->usage->subsection_uninit);
}

/* ------------------------------------------------------------ parallel init */

struct memmap_parallel {
	struct mm_model *mm;
	uint64_t pfn, end;
	void (*fn)(struct mm_model *mm, uint64_t pfn, uint64_t nr, void *arg);
	void *arg;
};

/* the initialising thread must not split its own share again */
static __thread bool memmap_init_worker;

/* A run of whole sections, one section piece at a time. */
static void memmap_run_pieces(const struct memmap_parallel *p)
{
	for (uint64_t pfn = p->pfn, nr; pfn < p->end; pfn += nr) {
		nr = MIN(p->end - pfn, SECTION_ALIGN_UP(p->mm, pfn + 1) - pfn);
		p->fn(p->mm, pfn, nr, p->arg);
	}
}

static void *memmap_init_thread(void *arg)
{
	memmap_init_worker = true;
	memmap_run_pieces(arg);
	return NULL;
}

static unsigned int memmap_init_nr_threads(const struct mm_model *mm)
{
	unsigned int n = mm->params.memmap_init_threads;

	if (!n) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		n = cpus > 0 ? (unsigned int)cpus : 1;
	}
	return MIN(n, MEMMAP_INIT_MAX_THREADS);
}

/*
 * padata_do_multithreaded() for the memmap: the range is cut into one run of whole sections
 * per thread (at least MEMMAP_PARALLEL_MIN_SECTIONS each, or it is not worth a thread); the
 * caller runs the first run itself and waits for the others. A thread that cannot be created
 * leaves its run to the caller.
 */
#define MEMMAP_PARALLEL_MIN_SECTIONS 4

void memmap_init_parallel(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
			  void (*fn)(struct mm_model *mm, uint64_t pfn, uint64_t nr, void *arg),
			  void *arg)
{
	struct memmap_parallel part[MEMMAP_INIT_MAX_THREADS];
	pthread_t tid[MEMMAP_INIT_MAX_THREADS];
	bool started[MEMMAP_INIT_MAX_THREADS] = { false };
	uint64_t sections = DIV_ROUND_UP(nr_pages, PAGES_PER_SECTION(mm)), per;
	unsigned int n = memmap_init_worker ? 1 : memmap_init_nr_threads(mm);

	n = (unsigned int)MIN((uint64_t)n, sections / MEMMAP_PARALLEL_MIN_SECTIONS);
	if (n <= 1) {
		part[0] = (struct memmap_parallel){ mm, pfn, pfn + nr_pages, fn, arg };
		memmap_run_pieces(&part[0]);
		return;
	}
	per = DIV_ROUND_UP(sections, n) * PAGES_PER_SECTION(mm);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t s = i ? SECTION_ALIGN_DOWN(mm, pfn) + i * per : pfn;

		part[i] = (struct memmap_parallel){
			mm, MIN(s, pfn + nr_pages),
			MIN(SECTION_ALIGN_DOWN(mm, pfn) + (i + 1) * per, pfn + nr_pages), fn, arg,
		};
	}
	for (unsigned int i = 1; i < n; i++)
		started[i] = pthread_create(&tid[i], NULL, memmap_init_thread, &part[i]) == 0;
	memmap_init_worker = true;
	memmap_run_pieces(&part[0]);
	for (unsigned int i = 1; i < n; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		else
			memmap_run_pieces(&part[i]);
	}
	memmap_init_worker = false;
}
