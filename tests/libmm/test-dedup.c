/* SPDX-License-Identifier: MIT */
/*
 * Compound device pages and vmemmap tail reuse (kernel-model.md section 10), measured:
 * vmemmap_can_optimize()'s conditions; vmemmap pages 2.. of every folio mapping the very
 * physical page of page 1 (a store through page 1 shows at page 5); the memmap's real cost
 * read back from the process (RssShmem, /proc/self/maps) and from the model's stats; the
 * mapping budget that vm.max_map_count imposes (exact reuse, coarser copies, or none) up to
 * 1 TiB of 1 GiB folios; and everything given back at memunmap.
 *
 * Numbers measured on the development VM (x86_64 model, 4 KiB host pages, max_map_count 65530,
 * budget 32765 mappings), printed as diagnostics by this test:
 *   4 GiB of 2 MiB folios: memmap 16 MiB instead of 64 MiB (exact reuse: 2 of 8 vmemmap pages
 *     per folio), RssShmem +16 MiB, 12,289 VMAs (+12,290 lines in /proc/self/maps: a folio's
 *     last alias merges with the next folio's head pages), memremap ~60-80 ms.
 *   4 GiB of 1 GiB folios: memmap 32 KiB instead of 64 MiB, RssShmem +32 KiB, 16,377 VMAs.
 *   1 TiB of 1 GiB folios: the exact layout needs ~4.19 M mappings; with 128 copies of page 1
 *     per folio it needs 31,745 VMAs and costs 516 MiB (RssShmem +516 MiB, memremap ~0.7 s;
 *     kernel: 8 MiB + 32 MiB of page tables; without reuse: 16 GiB).
 *   1 TiB of 2 MiB folios: the exact layout needs ~3.1 M mappings, any layout at least one per
 *     folio (524,288): no reuse, 16 GiB of memmap (kernel: ~4 GiB).
 */
#include <time.h>

#include "test-util.h"
#include "memremap.h"

#define TiB_START (1ULL << 40)

static uint64_t status_kb(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	uint64_t kb = 0;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			kb = strtoull(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

static uint64_t maps_lines(void)
{
	char line[512];
	uint64_t n = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	while (f && fgets(line, sizeof(line), f))
		n++;
	if (f)
		fclose(f);
	return n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct mm_pgmap_params devdax(uint64_t start, uint64_t size, uint64_t align)
{
	struct mm_pgmap_params p = { .start = start, .size = size, .align = align,
				     .type = MEMORY_DEVICE_GENERIC };

	return p;
}

static const struct dev_pagemap *pgmap_of(const struct mm_model *mm, uint64_t id)
{
	return resource_find_id(mm, id)->pgmap;
}

static void can_optimize(void)
{
	struct mm_model *mm = test_default_model();
	struct mm_pgmap_params p = devdax(16 * GiB, 64 * MiB, 2 * MiB);
	struct mm_range_info ri;
	const struct page *head;
	uint64_t id;

	is(mm_memremap_pages(mm, &p, &id), 0, "x86_64 devdax, 2 MiB folios, no altmap");
	ok(pgmap_of(mm, id)->dedup && vmemmap_dedup_copies(pgmap_of(mm, id)) == 1,
	   "vmemmap_can_optimize(): tail reuse, the kernel's exact layout");
	mm_range_info(mm, id, &ri);
	is(ri.memmap_bytes, 32 * 8 * KiB, "2 real vmemmap pages per folio: 256 KiB, not 1 MiB");
	is(compound_nr_pages(mm, pgmap_of(mm, id)), 128, "only 128 struct pages per folio are "
	   "initialised (vmemmap pages 0 and 1)");
	INV(mm, "tail reuse");
	mm_memunmap_pages(mm, id);

	p.has_altmap = true;
	p.altmap.base_pfn = p.start >> 12;
	p.altmap.free = 512;
	is(mm_memremap_pages(mm, &p, &id), 0, "the same with an altmap (map=dev)");
	head = pfn_to_page(mm, (p.start >> 12) + 512);
	ok(!pgmap_of(mm, id)->dedup && head[300].compound_head == ((uintptr_t)head | 1) &&
	   head[511].compound_head == ((uintptr_t)head | 1),
	   "no reuse with an altmap: compound pages built, every tail materialised");
	INV(mm, "compound pages with an altmap");
	mm_memunmap_pages(mm, id);

	p = devdax(16 * GiB, 64 * MiB, 0);
	is(mm_memremap_pages(mm, &p, &id), 0, "base pages");
	ok(!pgmap_of(mm, id)->dedup, "nothing to reuse without compound pages");
	mm_memunmap_pages(mm, id);
	mm_model_destroy(mm);

	mm = test_model("ppc64-64k", 0);
	mm_boot_memory_add(mm, 0, GiB, 0);
	mm_boot_init(mm);
	p = devdax(4 * GiB, 64 * MiB, 2 * MiB);
	is(mm_memremap_pages(mm, &p, &id), 0, "ppc64-64k, 2 MiB folios");
	ok(!pgmap_of(mm, id)->dedup, "a 2 KiB folio memmap is not > 2 vmemmap pages of 64 KiB");
	p = devdax(8 * GiB, 2 * GiB, GiB);
	is(mm_memremap_pages(mm, &p, &id), 0, "ppc64-64k, 1 GiB folios");
	mm_range_info(mm, id, &ri);
	ok(pgmap_of(mm, id)->dedup && ri.memmap_bytes == 2 * 2 * 64 * KiB,
	   "reused: 2 folios x 2 vmemmap pages of 64 KiB, 256 KiB instead of 2 MiB");
	INV(mm, "ppc64-64k tail reuse");
	mm_model_destroy(mm);
}

/* The aliases are the same physical page: a store through page 1 shows at pages 2..7. */
static void aliasing(void)
{
	struct mm_model *mm = test_default_model();
	struct mm_pgmap_params p = devdax(16 * GiB, 64 * MiB, 2 * MiB);
	const uint64_t pfn = (16 * GiB) >> 12;
	struct page *h0, *h1;
	unsigned long saved;
	uint64_t id;

	is(mm_memremap_pages(mm, &p, &id), 0, "64 MiB of 2 MiB folios");
	h0 = pfn_to_page(mm, pfn);
	h1 = pfn_to_page(mm, pfn + 512);
	ok(!memcmp(&h0[64], &h0[5 * 64], 4096) && !memcmp(&h0[64], &h0[7 * 64], 4096),
	   "vmemmap pages 5 and 7 of a folio read as its page 1");
	ok(memcmp(&h0[64], &h1[64], 4096) != 0 && h1[300].compound_head == ((uintptr_t)h1 | 1),
	   "page 1 differs from folio to folio (compound_head)");
	/* volatile: the compiler must not assume that distinct addresses are distinct memory */
	saved = h0[64].private;
	((volatile struct page *)h0)[64].private = 0x5eed;
	ok(((volatile struct page *)h0)[5 * 64].private == 0x5eed &&
	   ((volatile struct page *)h0)[7 * 64].private == 0x5eed &&
	   ((volatile struct page *)h1)[64].private == saved,
	   "a store through page 1 shows at pages 5 and 7, not elsewhere");
	((volatile struct page *)h0)[64].private = saved;
	INV(mm, "the aliases");
	mm_model_destroy(mm);
}

/* 4 GiB of 2 MiB and of 1 GiB folios: what the memmap really costs */
static void measure(uint64_t align, uint64_t expect_memmap, uint64_t expect_maps)
{
	struct mm_model *mm = test_default_model();
	struct mm_pgmap_params p = devdax(16 * GiB, 4 * GiB, align);
	uint64_t shm0, lines0, shm1, lines1, id;
	struct mm_stats s0, s1;
	struct mm_range_info ri;
	double t;

	mm_get_stats(mm, &s0);
	shm0 = status_kb("RssShmem");
	lines0 = maps_lines();
	t = now();
	is(mm_memremap_pages(mm, &p, &id), 0, "4 GiB of %s folios", HSIZE(align));
	t = now() - t;
	shm1 = status_kb("RssShmem");
	lines1 = maps_lines();
	mm_get_stats(mm, &s1);
	mm_range_info(mm, id, &ri);
	printf("#   %s folios: memremap %.1f ms, RssShmem +%" PRIu64 " KiB, VmRSS %" PRIu64
	       " KiB, maps +%" PRIu64 " lines, %" PRIu64 " mappings made, memmap %" PRIu64
	       " KiB (64 MiB without reuse)\n", HSIZE(align), t * 1e3, shm1 - shm0,
	       status_kb("VmRSS"), lines1 - lines0, mm->zone_device->dedup_maps,
	       ri.memmap_bytes >> 10);
	is(ri.memmap_bytes, expect_memmap, "the range holds %s of memmap", HSIZE(expect_memmap));
	ok(s1.memmap_ram_bytes - s0.memmap_ram_bytes == expect_memmap &&
	   s1.memmap_resident_bytes - s0.memmap_resident_bytes == expect_memmap,
	   "stats: memmap_ram_bytes and memmap_resident_bytes grew by exactly that");
	ok(shm1 - shm0 >= expect_memmap / 1024 && shm1 - shm0 <= expect_memmap / 1024 + 64,
	   "the process really holds it: RssShmem +%" PRIu64 " KiB", shm1 - shm0);
	is(mm->zone_device->dedup_maps, expect_maps, "%" PRIu64 " VMAs of tail reuse", expect_maps);
	ok(lines1 - lines0 <= expect_maps + 2 && lines1 - lines0 + 2 >= expect_maps,
	   "/proc/self/maps grew by %" PRIu64 " lines: the VMAs counted are the VMAs made",
	   lines1 - lines0);
	INV(mm, "4 GiB of %s folios", HSIZE(align));
	is(mm_memunmap_pages(mm, id), 0, "memunmap");
	mm_get_stats(mm, &s1);
	ok(maps_lines() <= lines0 + 2 && status_kb("RssShmem") <= shm0 + 64 &&
	   s1.memmap_ram_bytes == s0.memmap_ram_bytes && !mm->zone_device->dedup_maps &&
	   !vmemmap_nr_shared(mm), "everything given back: mappings, shared memory, counters");
	INV(mm, "unmapping");
	mm_model_destroy(mm);
}

/* the mapping budget: exact reuse, fewer larger runs of copies, or no reuse at all */
static void budget(void)
{
	struct mm_model *mm = test_default_model();
	struct mm_pgmap_params p = devdax(16 * GiB, 64 * MiB, 2 * MiB);
	struct mm_range_info ri;
	const struct page *h;
	uint64_t id;

	is(mm_memremap_pages(mm, &p, &id), 0, "a first range");
	is(mm_memunmap_pages(mm, id), 0, "gone again");
	mm->zone_device->dedup_map_budget = 60;
	is(mm_memremap_pages(mm, &p, &id), 0, "with a budget of 60 mappings (exact needs 193, "
	   "2 copies 97)");
	mm_range_info(mm, id, &ri);
	ok(vmemmap_dedup_copies(pgmap_of(mm, id)) == 4 && ri.memmap_bytes == 32 * 5 * 4 * KiB &&
	   mm->zone_device->dedup_maps == 33,
	   "4 copies of page 1 per folio: 1 VMA per folio, 5 real pages of 8 (%" PRIu64 " VMAs)",
	   mm->zone_device->dedup_maps);
	h = pfn_to_page(mm, (16 * GiB) >> 12);
	ok(h[511].compound_head == ((uintptr_t)h | 1) && !memcmp(&h[64], &h[3 * 64], 4096) &&
	   !memcmp(&h[64], &h[7 * 64], 4096), "every tail position still reads page 1's content");
	INV(mm, "reuse with copies");
	mm_memunmap_pages(mm, id);
	mm->zone_device->dedup_map_budget = 10;
	is(mm_memremap_pages(mm, &p, &id), 0, "with a budget of 10 mappings");
	mm_range_info(mm, id, &ri);
	h = pfn_to_page(mm, (16 * GiB) >> 12);
	ok(!pgmap_of(mm, id)->dedup && ri.memmap_bytes == MiB &&
	   h[300].compound_head == ((uintptr_t)h | 1),
	   "no layout fits: no reuse, every tail initialised, 1 MiB of memmap");
	INV(mm, "no reuse for lack of mappings");
	mm_model_destroy(mm);
}

/* 1 TiB: what fits in the mapping budget */
static void one_tib(void)
{
	struct mm_model *mm = test_default_model();
	struct mm_pgmap_params p = devdax(TiB_START, 1ULL << 40, GiB);
	struct mm_plan plan;
	struct mm_range_info ri;
	uint64_t shm0, id;
	double t;

	mm_plan_memremap(mm, &p, &plan);
	ok(!plan.error && plan.memmap_bytes == 1024 * 129 * 4 * KiB,
	   "1 TiB of 1 GiB folios: the plan reuses tails with 128 copies, %" PRIu64 " MiB of "
	   "memmap (16 GiB without reuse)", plan.memmap_bytes >> 20);
	p.align = 2 * MiB;
	mm_plan_memremap(mm, &p, &plan);
	ok(!plan.error && plan.memmap_bytes == 16 * GiB,
	   "1 TiB of 2 MiB folios: no layout fits 32765 mappings, the plan holds all 16 GiB");
	printf("#   the kernel's exact layout for 1 TiB: %u VMAs (1 GiB folios), %u (2 MiB)\n",
	       1024 * 4094 + 1, 524288 * 6 + 1);

	p.align = GiB;
	shm0 = status_kb("RssShmem");
	t = now();
	is(mm_memremap_pages(mm, &p, &id), 0, "memremap 1 TiB of 1 GiB folios");
	t = now() - t;
	mm_range_info(mm, id, &ri);
	printf("#   1 TiB of 1 GiB folios: memremap %.2f s, RssShmem +%" PRIu64 " MiB, %" PRIu64
	       " mappings, memmap %" PRIu64 " MiB\n", t, (status_kb("RssShmem") - shm0) >> 10,
	       mm->zone_device->dedup_maps, ri.memmap_bytes >> 20);
	ok(ri.memmap_bytes == 1024 * 129 * 4 * KiB && vmemmap_dedup_copies(pgmap_of(mm, id)) == 128,
	   "it holds what the plan said: 128 copies, 516 MiB");
	ok(status_kb("RssShmem") - shm0 <= (ri.memmap_bytes >> 10) + 1024,
	   "the process holds about that much (RssShmem +%" PRIu64 " MiB)",
	   (status_kb("RssShmem") - shm0) >> 10);
	ok(mm->zone_device->dedup_maps <= mm->zone_device->dedup_map_budget,
	   "within the mapping budget (%" PRIu64 " of %" PRIu64 ")", mm->zone_device->dedup_maps,
	   mm->zone_device->dedup_map_budget);
	INV(mm, "1 TiB of device memory");
	is(mm_memunmap_pages(mm, id), 0, "memunmap 1 TiB");
	INV(mm, "unmapping 1 TiB");
	mm_model_destroy(mm);
}

int main(void)
{
	can_optimize();
	aliasing();
	measure(2 * MiB, 2048 * 8 * KiB, 2048 * 6 + 1);
	measure(GiB, 4 * 8 * KiB, 4 * 4094 + 1);
	budget();
	one_tib();
	return tap_done();
}
