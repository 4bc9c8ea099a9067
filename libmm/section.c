/* SPDX-License-Identifier: MIT */
/*
 * struct mem_section storage and bookkeeping (mm/sparse.c, include/linux/mmzone.h):
 * SPARSEMEM_EXTREME roots allocated on first use, the flag bits of section_mem_map, the memmap
 * pointer encoding and the per-section subsection bitmap.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

/*
 * The mem_section storage. EXTREME (and VMEMMAP): NR_SECTION_ROOTS root pointers calloc()ed
 * here, untouched pages of it stay unbacked, roots of SECTIONS_PER_ROOT sections come later.
 * Static: the flat mem_section[NR_MEM_SECTIONS] array, reserved (MAP_NORESERVE) so only
 * written host pages cost memory; its root pointers mark those pages, one per host page.
 * The root pointer array is mapped, not calloc()ed: x86_64-la57 has 131072 roots (1 MiB) and
 * calloc() would zero them page by page once glibc serves such sizes from the heap; mapped,
 * only the pages of roots in use are ever touched.
 */
static size_t roots_bytes(const struct mm_model *mm)
{
	return mm->nr_section_roots_alloc * sizeof(*mm->mem_section);
}

int mem_section_roots_alloc(struct mm_model *mm, bool static_array)
{
	uint64_t nr = mm->geo.nr_mem_sections;

	mm->sections_per_root_alloc = mm->geo.sections_per_root;
	if (static_array) {
		size_t len = nr * sizeof(struct mem_section);
		void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED)
			return -ENOMEM;
		mm->mem_section_static = p;
		mm->sections_per_root_alloc = MIN(nr, mm->vmemmap.host_page_size /
						  sizeof(struct mem_section));
	}
	mm->nr_section_roots_alloc = nr / mm->sections_per_root_alloc;
	mm->section_root_shift = (unsigned int)__builtin_ctzll(mm->sections_per_root_alloc);
	mm->pfn_root_shift = mm->geo.pfn_section_shift + mm->section_root_shift;
	mm->section_roots_hwm = 0;
	mm->mem_section = mmap(NULL, roots_bytes(mm), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mm->mem_section == MAP_FAILED) {
		mm->mem_section = NULL;
		mem_section_roots_free(mm);
		return -ENOMEM;
	}
	return 0;
}

/* Every usage map, every root (EXTREME), the static array. */
void mem_section_roots_free(struct mm_model *mm)
{
	for (uint64_t root = 0; mm->mem_section && root < mm->section_roots_hwm; root++) {
		struct mem_section *sections = mm->mem_section[root];

		if (!sections)
			continue;
		for (uint64_t i = 0; i < mm->sections_per_root_alloc; i++)
			free(sections[i].usage);
		if (!mm->mem_section_static)
			free(sections);
	}
	if (mm->mem_section)
		munmap(mm->mem_section, roots_bytes(mm));
	mm->mem_section = NULL;
	mm->nr_section_roots_alloc = 0;
	mm->section_roots_hwm = 0;
	if (mm->mem_section_static)
		munmap(mm->mem_section_static, mm->geo.nr_mem_sections * sizeof(struct mem_section));
	mm->mem_section_static = NULL;
}

/*
 * sparse_index_init(): the root holding section_nr, allocated lazily (static: the part of the
 * flat array it names, nothing to allocate). An existing root is not an error: later subsection
 * adds reuse it. Models without mem_section have no root to give.
 */
int sparse_index_init(struct mm_model *mm, uint64_t section_nr)
{
	uint64_t spr = mm->sections_per_root_alloc, root;

	if (!mm->mem_section)
		return -EINVAL;
	root = section_nr / spr;
	if (root >= mm->nr_section_roots_alloc)
		return -EINVAL;
	if (mm->mem_section[root])
		return 0;
	mm->section_roots_hwm = MAX(mm->section_roots_hwm, root + 1);
	if (mm->mem_section_static)
		mm->mem_section[root] = &mm->mem_section_static[root * spr];
	else
		mm->mem_section[root] = calloc(spr, sizeof(struct mem_section));
	return mm->mem_section[root] ? 0 : -ENOMEM;
}

/* __nr_to_section(): NULL past NR_MEM_SECTIONS or in an EXTREME root never allocated. */
struct mem_section *__nr_to_section(const struct mm_model *mm, uint64_t nr)
{
	uint64_t root;

	if (mm->mem_section_static)
		return nr < mm->geo.nr_mem_sections ? &mm->mem_section_static[nr] : NULL;
	if (!mm->mem_section)
		return NULL;
	root = nr / mm->sections_per_root_alloc;
	if (root >= mm->nr_section_roots_alloc || !mm->mem_section[root])
		return NULL;
	return &mm->mem_section[root][nr & (mm->sections_per_root_alloc - 1)];
}

/* pfn_section_valid(): the subsection bit with VMEMMAP; always 1 for classic SPARSEMEM. */
bool pfn_section_valid(const struct mm_model *mm, const struct mem_section *ms, uint64_t pfn)
{
	const struct mem_section_usage *usage = ms ? ms->usage : NULL;

	if (!memory_model_subsections(mm))
		return true;
	return usage && test_bit_ul(subsection_map_index(mm, pfn), usage->subsection_map);
}

/* __section_mark_present(): also raises __highest_present_section_nr, which never shrinks. */
void __section_mark_present(struct mm_model *mm, struct mem_section *ms, uint64_t nr)
{
	if ((int64_t)nr > mm->highest_present_section_nr)
		mm->highest_present_section_nr = (int64_t)nr;
	ms->section_mem_map |= SECTION_MARKED_PRESENT;
}

/*
 * Stored value = address of the section's first struct page minus the section start pfn (in
 * struct page units), so decode + pfn is the struct page of any pfn in the section. Computed on
 * integers: the biased pointer need not point into any object.
 */
unsigned long sparse_encode_mem_map(const struct mm_model *mm, struct page *mem_map,
				    uint64_t pnum)
{
	return (unsigned long)((uintptr_t)mem_map -
			       section_nr_to_pfn(mm, pnum) * sizeof(struct page));
}

struct page *sparse_decode_mem_map(const struct mm_model *mm, unsigned long coded,
				   uint64_t pnum)
{
	return (struct page *)(uintptr_t)((coded & SECTION_MAP_MASK) +
					  section_nr_to_pfn(mm, pnum) * sizeof(struct page));
}

/* Before sparse_init() the word holds the node id above the flag bits. */
unsigned long sparse_encode_early_nid(int nid)
{
	return (unsigned long)nid << SECTION_NID_SHIFT;
}

int sparse_early_nid(const struct mem_section *ms)
{
	return (int)(ms->section_mem_map >> SECTION_NID_SHIFT);
}

static void bitmap_set_range(unsigned long *map, unsigned int start, unsigned int nr)
{
	for (unsigned int i = start; i < start + nr; i++)
		map[i / BITS_PER_LONG] |= 1UL << (i % BITS_PER_LONG);
}

/* subsection_mask_set(): bits idx(pfn) .. idx(pfn + nr - 1), pfn range inside one section. */
void subsection_mask_set(const struct mm_model *mm, unsigned long *map, uint64_t pfn,
			 uint64_t nr_pages)
{
	unsigned int idx = subsection_map_index(mm, pfn);
	unsigned int end = subsection_map_index(mm, pfn + nr_pages - 1);

	if (!nr_pages)
		return;
	bitmap_set_range(map, idx, end - idx + 1);
}

/* fill_subsection_map(): -EINVAL for an empty mask, -EEXIST if any subsection is present. */
int fill_subsection_map(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages)
{
	struct mem_section *ms = __pfn_to_section(mm, pfn);
	unsigned long map[SUBSECTION_MAP_LONGS] = { 0 };
	unsigned long *subsection_map = ms->usage->subsection_map;
	bool empty = true;

	subsection_mask_set(mm, map, pfn, nr_pages);
	for (unsigned int i = 0; i < SUBSECTION_MAP_LONGS; i++) {
		if (map[i])
			empty = false;
		if (map[i] & subsection_map[i])
			return -EEXIST;
	}
	if (empty)
		return -EINVAL;
	for (unsigned int i = 0; i < SUBSECTION_MAP_LONGS; i++)
		subsection_map[i] |= map[i];
	return 0;
}

/*
 * clear_subsection_map(): every requested bit must be set; the kernel WARNs "section already
 * deactivated" and changes nothing otherwise.
 */
int clear_subsection_map(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages)
{
	struct mem_section *ms = __pfn_to_section(mm, pfn);
	unsigned long map[SUBSECTION_MAP_LONGS] = { 0 };

	if (!ms || !ms->usage)
		return -EINVAL;
	subsection_mask_set(mm, map, pfn, nr_pages);
	for (unsigned int i = 0; i < SUBSECTION_MAP_LONGS; i++)
		if ((map[i] & ms->usage->subsection_map[i]) != map[i])
			return -EINVAL;
	for (unsigned int i = 0; i < SUBSECTION_MAP_LONGS; i++)
		ms->usage->subsection_map[i] &= ~map[i];
	return 0;
}

bool is_subsection_map_empty(const struct mm_model *mm, const struct mem_section *ms)
{
	(void)mm;
	for (unsigned int i = 0; i < SUBSECTION_MAP_LONGS; i++)
		if (ms->usage->subsection_map[i])
			return false;
	return true;
}

unsigned int subsection_weight(const struct mm_model *mm, const struct mem_section *ms)
{
	unsigned int w = 0;

	(void)mm;
	if (!ms || !ms->usage)
		return 0;
	for (unsigned int i = 0; i < SUBSECTION_MAP_LONGS; i++)
		w += (unsigned int)__builtin_popcountl(ms->usage->subsection_map[i]);
	return w;
}

/* mem_section_usage_size(): bitmap plus NR_PAGEBLOCK_BITS per pageblock of the section. */
size_t mem_section_usage_size(const struct mm_model *mm)
{
	uint64_t pageblocks = mm->geo.pages_per_section / mm->geo.pageblock_nr_pages;

	return sizeof(struct mem_section_usage) + pageblocks * NR_PAGEBLOCK_BITS / 8;
}

struct mem_section_usage *mem_section_usage_alloc(const struct mm_model *mm, bool boot)
{
	struct mem_section_usage *usage = calloc(1, mem_section_usage_size(mm));

	if (usage)
		usage->boot_alloc = boot;
	return usage;
}

/* online_mem_sections()/offline_mem_sections(): SECTION_IS_ONLINE over a pfn range. */
void online_mem_sections(struct mm_model *mm, uint64_t start_pfn, uint64_t end_pfn)
{
	for (uint64_t pfn = start_pfn; pfn < end_pfn; pfn += PAGES_PER_SECTION(mm)) {
		struct mem_section *ms = __pfn_to_section(mm, pfn);

		/* onlining code never touches invalid ranges */
		if (valid_section(ms))
			ms->section_mem_map |= SECTION_IS_ONLINE;
	}
}

void offline_mem_sections(struct mm_model *mm, uint64_t start_pfn, uint64_t end_pfn)
{
	for (uint64_t pfn = start_pfn; pfn < end_pfn; pfn += PAGES_PER_SECTION(mm)) {
		struct mem_section *ms = __pfn_to_section(mm, pfn);

		if (valid_section(ms))
			ms->section_mem_map &= ~SECTION_IS_ONLINE;
	}
}

/* Next present section after nr (-1: start), skipping unallocated roots; -1 when none. */
int64_t next_present_section_nr(const struct mm_model *mm, int64_t nr)
{
	uint64_t spr = mm->sections_per_root_alloc;

	for (int64_t n = nr + 1; n <= mm->highest_present_section_nr; n++) {
		uint64_t root = (uint64_t)n / spr;

		if (!mm->mem_section[root]) {
			n = (int64_t)((root + 1) * spr) - 1;
			continue;
		}
		if (present_section(&mm->mem_section[root][(uint64_t)n & (spr - 1)]))
			return n;
	}
	return -1;
}
