/* SPDX-License-Identifier: MIT */
/*
 * The vmemmap area: the userspace stand-in for the kernel's VMEMMAP_START region. One
 * PROT_NONE | MAP_NORESERVE reservation covers the struct pages of the whole physical address
 * space (reserving costs ~1 us and no RSS); vmemmap_populate turns exactly the host pages that
 * back added memmap into PROT_READ | PROT_WRITE, and removal hands them back with
 * MADV_DONTNEED before making them PROT_NONE again. mprotect() keeps the MADV_HUGEPAGE advice
 * of the reservation (a MAP_FIXED remap would drop it), so a section's 2 MiB memmap faults in
 * as one transparent huge page, as the kernel maps it with one PMD (perf-facts.md A2/A3).
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

/* The alignment of the area: a PMD of the host, so section memmaps can be THP-backed. */
#define VMEMMAP_AREA_ALIGN (2ULL << 20)

/*
 * Reserve max_pfn * sizeof(struct page) bytes. When the process cannot hold that much (2^50
 * bytes for riscv64's 56 physical bits exceeds a 47-bit user address space) reserve the largest
 * power of two that works: pfns above vmemmap.end_pfn are then not pluggable, the model's
 * arch_get_mappable_range(), and adds there fail with -E2BIG.
 */
int vmemmap_reserve(struct mm_model *mm)
{
	uint64_t want = mm->geo.max_pfn * sizeof(struct page);
	uint64_t min = mm->geo.pages_per_section * sizeof(struct page);
	uint64_t size;
	void *p = MAP_FAILED;
	uintptr_t base;

	for (size = want; size >= min; size >>= 1) {
		if (size > SIZE_MAX - VMEMMAP_AREA_ALIGN)
			continue;
		p = mmap(NULL, size + VMEMMAP_AREA_ALIGN, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p != MAP_FAILED)
			break;
	}
	if (p == MAP_FAILED)
		return -ENOMEM;

	/* keep a 2 MiB aligned window of exactly size bytes, give the slack back */
	base = ALIGN((uintptr_t)p, VMEMMAP_AREA_ALIGN);
	if (base > (uintptr_t)p)
		munmap(p, base - (uintptr_t)p);
	if ((uintptr_t)p + size + VMEMMAP_AREA_ALIGN > base + size)
		munmap((void *)(base + size), (uintptr_t)p + size + VMEMMAP_AREA_ALIGN - (base + size));

	mm->vmemmap.area = (void *)base;
	mm->vmemmap.area_len = size;
	mm->vmemmap.base = (struct page *)base;
	mm->vmemmap.end_pfn = size / sizeof(struct page);
	mm->vmemmap.host_page_size = (size_t)sysconf(_SC_PAGESIZE);
	mm->vmemmap.nr_populated = 0;
	/* THP is an optimisation: a kernel without it still gives a correct (slower) memmap */
	mm->vmemmap.thp = madvise(mm->vmemmap.area, size, MADV_HUGEPAGE) == 0;
	return 0;
}

void vmemmap_release(struct mm_model *mm)
{
	if (mm->vmemmap.area)
		munmap(mm->vmemmap.area, mm->vmemmap.area_len);
	mm->vmemmap.area = NULL;
	mm->vmemmap.base = NULL;
	mm->vmemmap.nr_populated = 0;
}

static void *host_page_addr(const struct mm_model *mm, uint64_t idx)
{
	return (char *)mm->vmemmap.area + idx * mm->vmemmap.host_page_size;
}

/*
 * Populate: PROT_READ | PROT_WRITE. Fails with -ENOMEM when the kernel refuses, typically
 * because max_map_count is reached (each disjoint populated range costs a VMA).
 */
int vmemmap_map_host_pages(struct mm_model *mm, uint64_t first, uint64_t nr)
{
	if (!nr)
		return 0;
	if (mprotect(host_page_addr(mm, first), nr * mm->vmemmap.host_page_size,
		     PROT_READ | PROT_WRITE))
		return -ENOMEM;
	return 0;
}

/*
 * Depopulate: MADV_DONTNEED drops the pages (RSS falls at once), PROT_NONE makes any stray
 * access fault. If mprotect fails (splitting a VMA at max_map_count) the pages are already gone
 * and read back as zeroes, which is harmless; the model counts them as depopulated.
 */
void vmemmap_unmap_host_pages(struct mm_model *mm, uint64_t first, uint64_t nr)
{
	size_t len = nr * mm->vmemmap.host_page_size;

	if (!nr)
		return;
	madvise(host_page_addr(mm, first), len, MADV_DONTNEED);
	mprotect(host_page_addr(mm, first), len, PROT_NONE);
}
