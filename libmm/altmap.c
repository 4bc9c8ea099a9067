/* SPDX-License-Identifier: MIT */
/*
 * struct vmem_altmap (include/linux/memremap.h, mm/sparse-vmemmap.c): handing out pfns of the
 * device (or of a memmap_on_memory block) to hold the memmap of that very memory, and, for a
 * device, making those struct pages really live in the device's storage.
 *
 * Where the memmap lives. The kernel's altmap places the struct pages of a pmem namespace
 * (map=dev) in the namespace itself: altmap_alloc_block_buf() returns __va() of device pfns and
 * vmemmap_populate_hugepages() maps them at the memmap's virtual address. The model does the
 * same with the file that stands for the device: mm_params.memmap_backing names, for the
 * range being mapped, a file (the daemon passes the namespace's sparse backing file) and the
 * offset of the range's first byte in it. Each populated piece whose memmap comes from the
 * altmap is then an mmap(MAP_SHARED | MAP_FIXED) of the file, at the offset of the altmap pfns
 * the allocation returned, over the piece's window of the reserved vmemmap area. The struct
 * pages are therefore stored in that file behind the info block (a 16 GiB map=dev namespace
 * has them at [2 MiB, 258 MiB): the first PMD after the 8 KiB info block and 510 pfns of
 * alignment padding), survive the model, and cost the model's process page cache of the file
 * rather than anonymous memory. Depopulating maps the reservation back over the window
 * (PROT_NONE, MAP_NORESERVE, MADV_HUGEPAGE again so that it merges with its neighbours); the
 * data stays in the file.
 *
 * Without a backing file (no callback, or the callback says -ENOENT) the altmap memmap is
 * anonymous memory like any other, accounted as memmap_device_bytes all the same. A piece is
 * mapped from the file only when its memmap window and file offset are whole host pages
 * (always for x86_64 whole-section populates; not for 2 KiB subsection memmaps of 64K-page
 * arches, which stay anonymous).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memremap.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* ------------------------------------------------------------ arithmetic */

/*
 * altmap_alloc_block_buf(): nr_pfns naturally aligned (lowest set bit of nr_pfns: a PMD of 512
 * pfns is 512-pfn aligned), the padding accumulated in align and never returned. -ENOMEM when
 * nr_pfns plus the padding exceed vmem_altmap_nr_free().
 */
int altmap_alloc_block_buf(struct vmem_altmap *altmap, uint64_t nr_pfns, uint64_t *pfn)
{
	uint64_t next = vmem_altmap_next_pfn(altmap);
	uint64_t pfn_align = nr_pfns & -nr_pfns;
	uint64_t pad = ALIGN(next, pfn_align) - next;

	if (nr_pfns + pad > vmem_altmap_nr_free(altmap))
		return -ENOMEM;
	altmap->alloc += nr_pfns;
	altmap->align += pad;
	if (pfn)
		*pfn = next + pad;
	return 0;
}

/* vmem_altmap_free(): alloc goes down, the padding stays burnt. */
void vmem_altmap_free(struct vmem_altmap *altmap, uint64_t nr_pfns)
{
	altmap->alloc -= MIN(nr_pfns, altmap->alloc);
}

/* the memmap of nr_pages fills whole PMDs: vmemmap_populate_hugepages() takes PMD blocks */
static bool vmemmap_pmd_mapped(const struct mm_model *mm, uint64_t nr_pages)
{
	return IS_ALIGNED(nr_pages * sizeof(struct page), mm->pmd_size);
}

/*
 * The altmap side of vmemmap_populate(): PMD_SIZE blocks when the memmap fills PMDs (x86_64
 * whole sections), base pages otherwise; no fallback to RAM once an altmap is given. Blocks
 * after the first are already aligned, so the pfns handed out are contiguous from *first.
 */
int vmemmap_alloc_from_altmap(const struct mm_model *mm, uint64_t nr_pages,
			      struct vmem_altmap *altmap, uint64_t *first)
{
	struct vmem_altmap saved = *altmap;
	uint64_t total = vmemmap_altmap_pages(mm, nr_pages);
	uint64_t chunk = vmemmap_pmd_mapped(mm, nr_pages) ? mm->pmd_size / PAGE_SIZE(mm) : 1;
	uint64_t pfn = 0;

	for (uint64_t done = 0; done < total; done += chunk) {
		if (altmap_alloc_block_buf(altmap, MIN(chunk, total - done), &pfn)) {
			*altmap = saved;
			return -ENOMEM;
		}
		if (!done && first)
			*first = pfn;
	}
	return 0;
}

/* -------------------------------------------------------- the device file */

static uint64_t host_page_size(const struct mm_model *mm)
{
	return mm->vmemmap.host_page_size;
}

/*
 * Map the reservation back over host pages [first, first + nr) of the vmemmap area: the
 * kernel's vmemmap_free() of a window that was not anonymous memory. A fresh MAP_FIXED mapping
 * loses MADV_HUGEPAGE, so the advice is given again (it lets the VMA merge with its neighbours).
 */
int vmemmap_restore_reservation(struct mm_model *mm, uint64_t first, uint64_t nr)
{
	char *addr = (char *)mm->vmemmap.area + first * host_page_size(mm);
	size_t len = nr * host_page_size(mm);

	if (!nr)
		return 0;
	if (mmap(addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		 -1, 0) == MAP_FAILED) {
		/* at max_map_count: at least drop the pages, the window stays unusable */
		madvise(addr, len, MADV_DONTNEED);
		mprotect(addr, len, PROT_NONE);
		return -ENOMEM;
	}
	if (mm->vmemmap.thp)
		madvise(addr, len, MADV_HUGEPAGE);
	return 0;
}

bool altmap_memmap_in_file(const struct mm_model *mm, const struct dev_pagemap *pgmap,
			   uint64_t pfn, uint64_t nr_pages, const struct vmem_altmap *altmap)
{
	uint64_t hps = host_page_size(mm);

	if (!pgmap || pgmap->memmap_fd < 0 || !altmap)
		return false;
	return IS_ALIGNED(pfn * sizeof(struct page), hps) &&
	       IS_ALIGNED(nr_pages * sizeof(struct page), hps) && IS_ALIGNED(PAGE_SIZE(mm), hps);
}

/*
 * vmemmap_populate() with an altmap whose pages are in a file: allocate the pfns exactly as
 * for anonymous memmap, then map the file at their offset over the piece's memmap window.
 * MADV_POPULATE_WRITE faults the window in at once (perf-facts A4: 1.7x faster than letting
 * the poisoning fault it page by page) and finds out now whether the file can hold it.
 */
int vmemmap_populate_altmap_file(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
				 struct vmem_altmap *altmap, struct dev_pagemap *pgmap)
{
	struct vmem_altmap saved = *altmap;
	uint64_t hps = host_page_size(mm), first_alloc = 0;
	size_t len = nr_pages * sizeof(struct page);
	char *addr = (char *)(mm->vmemmap.base + pfn);
	off_t off;
	int ret;

	if (pfn + nr_pages > mm->vmemmap.end_pfn)
		return -ENOMEM;
	ret = vmemmap_alloc_from_altmap(mm, nr_pages, altmap, &first_alloc);
	if (ret)
		return ret;
	off = (off_t)(pgmap->memmap_fd_offset + PFN_PHYS(mm, first_alloc - pgmap->start_pfn));
	if (mmap(addr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, pgmap->memmap_fd,
		 off) == MAP_FAILED) {
		*altmap = saved;
		vmemmap_restore_reservation(mm, (uintptr_t)(addr - (char *)mm->vmemmap.area) / hps,
					    len / hps);
		return -ENOMEM;
	}
	/*
	 * Only EINVAL (a kernel before 5.14) leaves the faulting to the first writes. Any other
	 * failure means the file cannot hold this memmap (a full file system: EFAULT, "a SIGBUS
	 * would have been generated"): the first write would kill the process, so the populate
	 * fails here as the kernel's does when it cannot allocate the memmap.
	 */
	if (madvise(addr, len, MADV_POPULATE_WRITE) < 0 && errno != EINVAL) {
		*altmap = saved;
		vmemmap_restore_reservation(mm, (uintptr_t)(addr - (char *)mm->vmemmap.area) / hps,
					    len / hps);
		return -ENOMEM;
	}
	mm->vmemmap.nr_populated += len / hps;
	mm->zone_device->nr_file += len / hps;
	return 0;
}

void vmemmap_free_altmap_file(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
			      struct vmem_altmap *altmap)
{
	uint64_t hps = host_page_size(mm);
	uint64_t first = pfn * sizeof(struct page) / hps, nr = nr_pages * sizeof(struct page) / hps;

	vmemmap_restore_reservation(mm, first, nr);
	mm->vmemmap.nr_populated -= nr;
	mm->zone_device->nr_file -= nr;
	vmem_altmap_free(altmap, vmemmap_altmap_pages(mm, nr_pages));
}

/*
 * Ask mm_params.memmap_backing where the storage of pgmap's range is. Only the head of the
 * range up to the end of the altmap's free pfns is ever mapped, so the file must hold that
 * much. The descriptor is duplicated: the pgmap keeps its own until memunmap_pages().
 */
int pgmap_memmap_backing(struct mm_model *mm, struct dev_pagemap *pgmap, struct mm_err *err)
{
	const struct vmem_altmap *altmap = pgmap_altmap_const(pgmap);
	uint64_t start = PFN_PHYS(mm, pgmap->start_pfn), off = 0, need;
	struct stat st;
	int fd = -1, ret;

	pgmap->memmap_fd = -1;
	if (!altmap || !mm->params.memmap_backing)
		return 0;
	ret = mm->params.memmap_backing(mm->params.memmap_backing_data, start,
					PFN_PHYS(mm, pgmap->nr_pages), &fd, &off);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return mm_fail(err, ret, MM_CAUSE_INVALID,
			       "no storage for the memmap of [%#" PRIx64 ", %#" PRIx64 "): the "
			       "memmap backing answered error %d", start,
			       start + PFN_PHYS(mm, pgmap->nr_pages), ret);
	need = off + PFN_PHYS(mm, vmem_altmap_offset(altmap));
	if (fd < 0 || fstat(fd, &st) < 0 || (uint64_t)st.st_size < need ||
	    !IS_ALIGNED(off, host_page_size(mm)))
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "the memmap backing of [%#" PRIx64 ", +%s) is unusable: it needs a "
			       "file of at least %#" PRIx64 " bytes and a page-aligned offset (%#"
			       PRIx64 ")", start, HSIZE(PFN_PHYS(mm, pgmap->nr_pages)), need, off);
	pgmap->memmap_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (pgmap->memmap_fd < 0)
		return mm_fail(err, -ENOMEM, MM_CAUSE_NOMEM,
			       "cannot keep the memmap backing file open: out of descriptors");
	pgmap->memmap_fd_offset = off;
	return 0;
}
