/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the libmm unit tests: building models, checking invariants after a step,
 * comparing an operation with its plan, and a digest of the model's state that tells whether a
 * refused operation left everything as it was. Tests may look inside (internal.h): that is what
 * the digest and the residency checks need.
 */
#ifndef PMM_TESTS_LIBMM_TEST_UTIL_H
#define PMM_TESTS_LIBMM_TEST_UTIL_H

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../tap.h"
#include "internal.h"
#include "mm.h"

#define GiB (1ULL << 30)
#define MiB (1ULL << 20)
#define KiB (1ULL << 10)

/* invariants after a step: one TAP line, the violation printed when it fails */
#define INV(mm, ...) do {							\
	char _inv[256];								\
	int _r = mm_check_invariants((mm), _inv, sizeof(_inv));		\
	if (!ok(_r == 0, "invariants hold after " __VA_ARGS__))			\
		printf("#   %s\n", _inv);					\
} while (0)

/* an operation's result: errno and cause, the sentence printed as a diagnostic */
#define EXPECT_ERR(mm, ret, err, cause, ...) do {				\
	int _ret = (ret);							\
	if (!ok(_ret == (err) && mm_last_cause(mm) == (cause), __VA_ARGS__))	\
		printf("#   got %d cause %d (%s), expected %d cause %d\n", _ret,	\
		       (int)mm_last_cause(mm), mm_last_error(mm), (err), (int)(cause)); \
	else									\
		printf("#   why: %s\n", mm_last_error(mm));			\
} while (0)

static inline struct mm_model *test_model(const char *arch, uint64_t block_size)
{
	struct mm_params p;
	struct mm_model *mm = NULL;
	int ret;

	mm_params_default(&p, mm_arch_lookup(arch));
	if (block_size)
		p.block_size = block_size;
	ret = mm_model_create(&p, &mm);
	if (ret) {
		printf("Bail out! cannot create a %s model: %d\n", arch, ret);
		exit(1);
	}
	return mm;
}

/* The embedded default of product.md: x86_64, boot [0, 3G) + [4G, 8G) on node 0. */
static inline struct mm_model *test_default_model(void)
{
	struct mm_model *mm = test_model("x86_64", 0);

	if (mm_boot_memory_add(mm, 0, 3 * GiB, 0) || mm_boot_memory_add(mm, 4 * GiB, 4 * GiB, 0) ||
	    mm_boot_init(mm)) {
		printf("Bail out! cannot boot the default model: %s\n", mm_last_error(mm));
		exit(1);
	}
	return mm;
}

/* ------------------------------------------------------------------ digest */

static inline uint64_t digest_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

#define DIGEST(h, v) do { __typeof__(v) _v = (v); (h) = digest_bytes((h), &_v, sizeof(_v)); } while (0)

/*
 * Everything a caller could observe: sections (words, bitmaps, pageblock flags), blocks,
 * ranges, zones and nodes, counters, memblock, policy, a sample of every valid subsection's
 * struct pages and every struct page of [pfn, pfn + nr) (the range an operation touched).
 */
static inline uint64_t model_digest(const struct mm_model *mm, uint64_t pfn, uint64_t nr)
{
	uint64_t h = 0xcbf29ce484222325ULL, spr = mm->geo.sections_per_root;
	size_t pb = mem_section_usage_size(mm) - sizeof(struct mem_section_usage);
	const struct memory_block *mem;
	uint64_t id = 0;

	/*
	 * Deferred boot memmap: the range an operation touches is initialised by it, refused or
	 * not, so the digest initialises it first; elsewhere a deferred section counts as such
	 * (reading its pages would initialise it, and it would differ from the digest before).
	 */
	for (uint64_t p = pfn; mm->nr_memmap_deferred && p < pfn + nr && p < mm->geo.max_pfn;
	     p = SECTION_ALIGN_UP(mm, p + 1))
		memmap_deferred_touch(mm, p);
	DIGEST(h, mm->highest_present_section_nr);
	for (int64_t n = 0; n <= mm->highest_present_section_nr; n++) {
		const struct mem_section *ms = __nr_to_section(mm, (uint64_t)n);
		uint64_t pfn0 = section_nr_to_pfn(mm, (uint64_t)n);

		if (!ms) {
			n = (int64_t)(((uint64_t)n / spr + 1) * spr) - 1;
			continue;
		}
		DIGEST(h, ms->section_mem_map);
		DIGEST(h, ms->usage != NULL);
		if (ms->usage) {
			h = digest_bytes(h, ms->usage->subsection_map, sizeof(ms->usage->subsection_map));
			DIGEST(h, section_memmap_deferred(ms));
			if (!section_memmap_deferred(ms))
				h = digest_bytes(h, ms->usage->pageblock_flags, pb);
		}
		if (!valid_section(ms) || section_memmap_deferred(ms))
			continue;
		for (uint64_t i = 0; i < mm->geo.subsections_per_section; i++) {
			uint64_t s = pfn0 + i * mm->geo.pages_per_subsection;

			if (!pfn_valid(mm, s))
				continue;
			h = digest_bytes(h, pfn_to_page(mm, s), sizeof(struct page));
			h = digest_bytes(h, pfn_to_page(mm, s + mm->geo.pages_per_subsection / 2),
					 sizeof(struct page));
			h = digest_bytes(h, pfn_to_page(mm, s + mm->geo.pages_per_subsection - 1),
					 sizeof(struct page));
		}
	}
	for (uint64_t p = pfn; p < pfn + nr && p < mm->geo.max_pfn; p++) {
		if (!pfn_valid(mm, p)) {
			p = ALIGN(p + 1, mm->geo.pages_per_subsection) - 1;
			continue;
		}
		h = digest_bytes(h, pfn_to_page(mm, p), sizeof(struct page));
	}
	while ((mem = xa_find(&mm->memory_blocks, &id))) {
		DIGEST(h, id);
		DIGEST(h, mem->start_section_nr);
		DIGEST(h, mem->state);
		DIGEST(h, mem->nid);
		DIGEST(h, mem->zone ? (int)mem->zone->idx : -1);
		DIGEST(h, mem->zone ? mem->zone->nid : -1);
		DIGEST(h, mem->early);
		if (mem->altmap) {
			DIGEST(h, mem->altmap->base_pfn);
			DIGEST(h, mem->altmap->free);
			DIGEST(h, mem->altmap->alloc);
			DIGEST(h, mem->altmap->align);
		}
		id++;
	}
	DIGEST(h, mm->nr_memory_blocks);
	for (size_t i = 0; i < mm->nr_resources; i++) {
		const struct mm_resource *r = &mm->resources[i];

		DIGEST(h, r->id);
		DIGEST(h, r->start);
		DIGEST(h, r->end);
		DIGEST(h, r->nid);
		DIGEST(h, r->device);
		DIGEST(h, r->memmap_on_memory);
		DIGEST(h, r->mergeable);
	}
	DIGEST(h, mm->next_range_id);
	for (int n = 0; n < MAX_NUMNODES; n++) {
		const struct pglist_data *pg = &mm->node_data[n];

		DIGEST(h, pg->online);
		DIGEST(h, pg->node_start_pfn);
		DIGEST(h, pg->node_spanned_pages);
		DIGEST(h, pg->node_present_pages);
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			const struct zone *zone = &pg->node_zones[z];

			DIGEST(h, zone->zone_start_pfn);
			DIGEST(h, zone->spanned_pages);
			DIGEST(h, zone->present_pages);
			DIGEST(h, zone->present_early_pages);
			DIGEST(h, zone->managed_pages);
		}
	}
	DIGEST(h, mm->nr_memmap_boot);
	DIGEST(h, mm->nr_memmap_ram);
	DIGEST(h, mm->nr_memmap_altmap);
	DIGEST(h, mm->vmemmap.nr_populated);
	DIGEST(h, mm->nr_memblock);
	DIGEST(h, mm->booted);
	DIGEST(h, mm->params.online_policy);
	DIGEST(h, mm->params.auto_movable_ratio);
	return h;
}

/* ------------------------------------------------------------------ plans */

/* A plan predicted the outcome of the operation that followed it. */
static inline int plan_matches(const struct mm_model *mm, const struct mm_plan *plan, int ret)
{
	if (plan->error != ret)
		return 0;
	if (ret && (plan->cause != mm_last_cause(mm) || strcmp(plan->why, mm_last_error(mm))))
		return 0;
	return 1;
}

/* Bytes of [addr, addr + len) resident in this process (mincore), page granular. */
static inline uint64_t resident_bytes(const void *addr, size_t len)
{
	long hps = sysconf(_SC_PAGESIZE);
	uintptr_t a = (uintptr_t)addr & ~((uintptr_t)hps - 1);
	size_t n = (len + ((uintptr_t)addr - a) + (size_t)hps - 1) / (size_t)hps;
	unsigned char *vec = malloc(n ? n : 1);
	uint64_t res = 0;

	if (!vec || mincore((void *)a, n * (size_t)hps, vec)) {
		free(vec);
		return UINT64_MAX;
	}
	for (size_t i = 0; i < n; i++)
		res += vec[i] & 1;
	free(vec);
	return res * (uint64_t)hps;
}

/* Resident bytes of the memmap of pfns [pfn, pfn + nr). */
static inline uint64_t memmap_resident(const struct mm_model *mm, uint64_t pfn, uint64_t nr)
{
	return resident_bytes(mm->vmemmap.base + pfn, nr * sizeof(struct page));
}

static inline int block_zone(const struct mm_model *mm, uint64_t id)
{
	struct mm_block_info b;

	if (mm_memory_block_info(mm, id, &b))
		return -2;
	return b.zone;
}

static inline const char *block_valid_zones(const struct mm_model *mm, uint64_t id)
{
	static struct mm_block_info b;

	if (mm_memory_block_info(mm, id, &b))
		return "(no block)";
	return b.valid_zones;
}

#endif
