/* SPDX-License-Identifier: MIT */
/*
 * Compound device pages and vmemmap deduplication (mm/mm_init.c memmap_init_compound(),
 * mm/sparse-vmemmap.c vmemmap_populate_compound_pages(), Documentation/mm/vmemmap_dedup.rst).
 *
 * The kernel's layout. A folio of 2 MiB has 512 struct pages = 8 vmemmap pages of 4 KiB; one of
 * 1 GiB has 4096. When vmemmap_can_optimize() holds, vmemmap page 0 (head + tails 1-63) and
 * page 1 (tails 64-127) are real and every later vmemmap page of the folio maps the physical
 * page of page 1 again (tail reuse). Tails hold nothing but compound_head = head | 1 (and the
 * same flags, mapping, refcount 0), so page 1 reads correctly at every tail position, while
 * compound_head makes page 1 differ from one folio to the next: each folio needs its own.
 *
 * In userspace. The vmemmap window of a deduplicated range is mapped from one memfd with
 * MAP_SHARED | MAP_FIXED: the memfd holds the folio's distinct vmemmap pages, and the same
 * memfd page is mapped again at every tail position, so the memory really is shared (the
 * memfd's size on tmpfs is what the memmap costs).
 *
 * The limit. A mapping is linear in file offsets, so every reused position is a mapping of its
 * own: the kernel's exact layout costs N - 2 VMAs per folio, N vmemmap pages per folio (6 for
 * 2 MiB, 4094 for 1 GiB; a folio's last alias merges with the next folio's first pages).
 * vm.max_map_count is 65530 per process. 1 TiB of device-dax in 2 MiB folios is 524,288 folios,
 * 3.1 M VMAs; in 1 GiB folios 1024 folios, 4.2 M VMAs. The kernel's exact aliasing therefore
 * cannot be built for 1 TiB in one process, nor for more than about 8 GiB (1 GiB folios) or
 * 10 GiB (2 MiB folios) within the model's share of the limit (dedup_map_budget: half of
 * vm.max_map_count).
 *
 * The largest faithful subset. Every struct page always reads exactly what the kernel's reads:
 * what varies is how many physical copies of vmemmap page 1 a folio keeps. A range uses R
 * copies, the smallest power of two whose VMAs fit the remaining budget: vmemmap pages 1..R
 * are real (R copies of page 1's content) and tail page v >= R + 1 maps copy (v mod R) + 1, so
 * runs of R pages are mapped at once and a folio needs about N / R VMAs. R = 1 is the kernel's
 * layout exactly (tail reuse of page 1, 2 real pages per folio). 1 TiB of 1 GiB folios fits
 * with R = 128: 129 pages per folio, 31,745 VMAs, 516 MiB instead of the kernel's 8 MiB (+32 MiB
 * of page tables the model does not have) and 16 GiB without reuse. 1 TiB of 2 MiB folios does
 * not fit at any R (it needs at least one VMA per folio): such a range is populated without
 * reuse and every tail is initialised, as with an altmap. Copies are written once by
 * memmap_init_compound() and never written afterwards (tail struct pages are read-only once
 * built: references go to the head), so they cannot diverge.
 *
 * Measured numbers are in tests/libmm/test-dedup.c.
 *
 * Zero tails (mm_params.vmemmap_zero_tails, the daemon's choice). What makes the kernel's
 * layout cost mappings is that page 1 differs from folio to folio (compound_head is an
 * address). Encode a tail instead as a struct page whose every byte is 0, meaning "a tail of
 * the folio containing it": the head is pfn & ~(folio_nr - 1), as page_folio() arithmetic
 * gives, and the order is the pgmap's. Every tail of every folio then has the same content,
 * and it is the content memory has before anybody writes it: the vmemmap window of the range
 * is populated like any other (one mprotect, no memfd, no mapping per folio) but without
 * transparent huge pages (MADV_NOHUGEPAGE: a 2 MiB fault would write 64 folios' tails), only
 * the head's vmemmap page is ever written, and reading a tail page maps the kernel's shared
 * zero page. A 2 MiB folio costs one 4 KiB page instead of the kernel's two (1/8 of the plain
 * memmap), a 1 GiB folio one page instead of two (1/4096); 1 TiB in 2 MiB folios is 2 GiB of
 * memmap in 2 VMAs. The tails the kernel would store are produced by device_page_read() (and
 * device_folio_page() gives the head), which the lookups and the invariant checker use; the
 * checker also verifies that the tails it samples are still all zero in memory.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memremap.h"

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif

/* prep_compound_tail(): page->mapping of a tail (TAIL_MAPPING, POISON_POINTER_DELTA on x86_64) */
#define TAIL_MAPPING ((void *)(uintptr_t)0xdead000000000400ULL)

/*
 * A deduplicated range's memfd layout: per folio, (copies + 1) vmemmap pages (page 0, then the
 * copies of page 1), each hp_per_vm host pages. Invariant: maps is the number of VMAs its
 * populated pieces hold (mappings that do not merge with their predecessor), counted in
 * zone_device.dedup_maps. With zero_tails there is no memfd (fd -1, copies 0, maps 0): the
 * range's vmemmap is plain memory in which only the head's host page of each folio is written.
 */
struct vmemmap_dedup {
	bool zero_tails;
	int fd;
	uint64_t first_pfn;      /* the range's first pfn, folio aligned */
	uint64_t nr_folios;
	uint64_t vm_pages;       /* N: vmemmap pages per folio */
	uint64_t copies;         /* R */
	uint64_t hp_per_vm;      /* host pages per vmemmap page */
	uint64_t maps;
};

static uint64_t host_page_size(const struct mm_model *mm)
{
	return mm->vmemmap.host_page_size;
}

/* vmemmap pages (PAGE_SIZE) one folio's struct pages fill */
static uint64_t folio_vmemmap_pages(const struct mm_model *mm, const struct dev_pagemap *pgmap)
{
	return pgmap_vmemmap_nr(pgmap) * sizeof(struct page) / PAGE_SIZE(mm);
}

/*
 * vmemmap_can_optimize(): a pgmap without altmap, a power-of-two struct page (64), compound
 * pages whose memmap spans more than VMEMMAP_RESERVE_NR vmemmap pages, and the arch opting in
 * (ARCH_WANT_OPTIMIZE_DAX_VMEMMAP).
 */
bool vmemmap_can_optimize(const struct mm_model *mm, const struct vmem_altmap *altmap,
			  const struct dev_pagemap *pgmap)
{
	if (!pgmap || altmap || !pgmap->vmemmap_shift || !mm->arch->vmemmap_dedup)
		return false;
	if (sizeof(struct page) & (sizeof(struct page) - 1))
		return false;
	return pgmap_vmemmap_nr(pgmap) * sizeof(struct page) > VMEMMAP_RESERVE_NR * PAGE_SIZE(mm);
}

uint64_t vmemmap_dedup_copies(const struct dev_pagemap *pgmap)
{
	return pgmap->dedup ? pgmap->dedup->copies : 0;
}

bool vmemmap_zero_tails(const struct dev_pagemap *pgmap)
{
	return pgmap->dedup && pgmap->dedup->zero_tails;
}

/* the memmap a folio really holds with this layout: (copies + 1) vmemmap pages, or the head's
 * host page with zero tails */
static uint64_t dedup_folio_bytes(const struct mm_model *mm, const struct vmemmap_dedup *d)
{
	return d->zero_tails ? host_page_size(mm) : (d->copies + 1) * PAGE_SIZE(mm);
}

uint64_t vmemmap_dedup_folio_bytes(const struct mm_model *mm, const struct dev_pagemap *pgmap)
{
	return pgmap->dedup ? dedup_folio_bytes(mm, pgmap->dedup) : 0;
}

/*
 * compound_nr_pages(): with tail reuse only the struct pages of vmemmap pages 0 and 1 are
 * initialised (128 with 4 KiB pages), the rest read them through the aliases. When the model
 * could not build the aliases (budget, host limits) every tail is initialised. Zero tails: only
 * the head.
 */
uint64_t compound_nr_pages(const struct mm_model *mm, const struct dev_pagemap *pgmap)
{
	if (!pgmap->dedup)
		return pgmap_vmemmap_nr(pgmap);
	if (pgmap->dedup->zero_tails)
		return 1;
	return VMEMMAP_RESERVE_NR * (PAGE_SIZE(mm) / sizeof(struct page));
}

/* ------------------------------------------------------------- the layout */

/*
 * The memfd host page behind host page j of folio `folio` (j relative to the folio's memmap),
 * and in *run_end the end of the run of consecutive memfd pages it starts.
 */
static uint64_t dedup_file_page(const struct vmemmap_dedup *d, uint64_t folio, uint64_t j,
				uint64_t *run_end)
{
	uint64_t hpv = d->hp_per_vm, unit = folio * (d->copies + 1) * hpv;
	uint64_t primary = (d->copies + 1) * hpv, v, c;

	if (j < primary) {
		*run_end = primary;
		return unit + j;
	}
	/*
	 * copy (v mod R) + 1: runs of copies 1..R start on multiples of R, so they never cross a
	 * section's memmap (R divides it) and a folio's last run ends where the next folio's
	 * memfd pages begin (the two mappings merge into one VMA)
	 */
	v = j / hpv;
	c = v % d->copies + 1;
	*run_end = MIN((v / d->copies + 1) * d->copies * hpv, d->vm_pages * hpv);
	return unit + c * hpv + j % hpv;
}

/*
 * A run starting a folio other than the range's first continues, in file offsets and in
 * addresses, the previous folio's last run (copy R ends the unit): the kernel merges the two
 * mappings, so it costs no VMA of its own.
 */
static bool dedup_run_merges(const struct vmemmap_dedup *d, uint64_t folio, uint64_t j)
{
	return j == 0 && folio > 0 && d->vm_pages % d->copies == 0;
}

/* vmemmap host page (area index) of pfn's struct page; pfn's memmap must start a host page */
static uint64_t memmap_host_page(const struct mm_model *mm, uint64_t pfn)
{
	return pfn * sizeof(struct page) / host_page_size(mm);
}

/*
 * Walk the runs of the piece [pfn, pfn + nr): map each (unless dry), count mappings and the
 * host pages that alias a primary page. On a failed mmap the piece's mappings made so far are
 * undone and -ENOMEM returned.
 */
static int dedup_walk_piece(struct mm_model *mm, const struct vmemmap_dedup *d, uint64_t pfn,
			    uint64_t nr_pages, bool dry, uint64_t *maps, uint64_t *shared)
{
	uint64_t hps = host_page_size(mm), fh = d->vm_pages * d->hp_per_vm;
	uint64_t base = memmap_host_page(mm, d->first_pfn);
	uint64_t h0 = memmap_host_page(mm, pfn) - base, h1 = memmap_host_page(mm, pfn + nr_pages) - base;
	uint64_t primary = (d->copies + 1) * d->hp_per_vm;

	for (uint64_t h = h0; h < h1;) {
		uint64_t folio = h / fh, j = h % fh, jend, fp, len;

		fp = dedup_file_page(d, folio, j, &jend);
		len = MIN(jend - j, h1 - h);
		if (!dry) {
			char *addr = (char *)mm->vmemmap.area + (base + h) * hps;

			if (mmap(addr, len * hps, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
				 d->fd, (off_t)(fp * hps)) == MAP_FAILED) {
				vmemmap_restore_reservation(mm, base + h0, h - h0 + len);
				return -ENOMEM;
			}
		}
		if (!dedup_run_merges(d, folio, j))
			(*maps)++;
		if (j >= primary)
			*shared += len;
		h += len;
	}
	return 0;
}

/* mappings a whole range needs with R copies, stopping once over limit */
static uint64_t dedup_count_maps(struct mm_model *mm, const struct dev_pagemap *pgmap,
				 struct vmemmap_dedup *d, uint64_t limit)
{
	uint64_t end = pgmap_pfn_end(pgmap), maps = 0, shared = 0, nr;

	for (uint64_t pfn = pgmap->start_pfn; pfn < end && maps <= limit; pfn += nr) {
		nr = MIN(end - pfn, SECTION_ALIGN_UP(mm, pfn + 1) - pfn);
		dedup_walk_piece(mm, d, pfn, nr, true, &maps, &shared);
	}
	return maps;
}

/* Host constraints of the userspace layout: whole host pages everywhere, no boot memmap. */
static bool dedup_host_possible(const struct mm_model *mm, const struct dev_pagemap *pgmap)
{
	uint64_t hps = host_page_size(mm), end = pgmap_pfn_end(pgmap);

	if (!IS_ALIGNED(PAGE_SIZE(mm), hps))
		return false;
	for (uint64_t pfn = pgmap->start_pfn; pfn < end;
	     pfn = SECTION_ALIGN_UP(mm, pfn + 1)) {
		uint64_t nr = MIN(end - pfn, SECTION_ALIGN_UP(mm, pfn + 1) - pfn);

		/* an early section reuses its boot memmap: nothing to alias there */
		if (early_section(__pfn_to_section(mm, pfn)))
			return false;
		if (!IS_ALIGNED(pfn * sizeof(struct page), hps) ||
		    !IS_ALIGNED(nr * sizeof(struct page), hps))
			return false;
	}
	return true;
}

/* The model's share of vm.max_map_count for tail reuse: half of it. */
uint64_t vmemmap_dedup_default_budget(void)
{
	unsigned long max = 65530;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "re");

	if (f) {
		if (fscanf(f, "%lu", &max) != 1)
			max = 65530;
		fclose(f);
	}
	return max / 2;
}

static uint64_t dedup_budget_left(const struct mm_model *mm)
{
	const struct zone_device *zd = mm->zone_device;

	if (!zd)
		return vmemmap_dedup_default_budget();
	return zd->dedup_map_budget - MIN(zd->dedup_maps, zd->dedup_map_budget);
}

uint64_t vmemmap_dedup_maps(const struct dev_pagemap *pgmap)
{
	return pgmap->dedup ? pgmap->dedup->maps : 0;
}

/*
 * Choose the layout of pgmap's tail reuse and (unless dry_run) create its memfd. *folio_bytes
 * gets the memmap one folio holds with it, or 0 when the range goes without reuse (the kernel
 * would not optimise it, the host cannot map it, no R fits the mapping budget, or no memfd can
 * be made). Zero tails need neither a memfd nor a budget. -ENOMEM only for the bookkeeping's
 * own allocation.
 */
int vmemmap_dedup_prepare(struct mm_model *mm, struct dev_pagemap *pgmap, bool dry_run,
			  uint64_t *folio_bytes)
{
	struct vmemmap_dedup probe = { .fd = -1 }, *d;
	uint64_t budget = dedup_budget_left(mm);

	*folio_bytes = 0;
	if (!vmemmap_can_optimize(mm, pgmap_altmap_const(pgmap), pgmap) ||
	    !dedup_host_possible(mm, pgmap))
		return 0;
	probe.first_pfn = pgmap->start_pfn;
	probe.nr_folios = pgmap->nr_pages / pgmap_vmemmap_nr(pgmap);
	probe.vm_pages = folio_vmemmap_pages(mm, pgmap);
	probe.hp_per_vm = PAGE_SIZE(mm) / host_page_size(mm);
	if (mm->params.vmemmap_zero_tails) {
		probe.zero_tails = true;
		*folio_bytes = dedup_folio_bytes(mm, &probe);
		if (dry_run)
			return 0;
		d = calloc(1, sizeof(*d));
		if (!d)
			return -ENOMEM;
		*d = probe;
		pgmap->dedup = d;
		return 0;
	}
	for (probe.copies = 1; probe.copies + 2 <= probe.vm_pages; probe.copies *= 2)
		if (dedup_count_maps(mm, pgmap, &probe, budget) <= budget)
			break;
	if (probe.copies + 2 > probe.vm_pages)
		return 0;
	*folio_bytes = dedup_folio_bytes(mm, &probe);
	if (dry_run)
		return 0;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	*d = probe;
	d->fd = memfd_create("pmm-vmemmap", MFD_CLOEXEC);
	if (d->fd < 0 ||
	    ftruncate(d->fd, (off_t)(d->nr_folios * (d->copies + 1) * PAGE_SIZE(mm))) < 0) {
		/* no shared memory here (seccomp, tmpfs limits): the whole memmap, as the plan
		 * could not know; only what the range costs differs */
		if (d->fd >= 0)
			close(d->fd);
		free(d);
		*folio_bytes = 0;
		return 0;
	}
	pgmap->dedup = d;
	return 0;
}

void vmemmap_dedup_destroy(struct mm_model *mm, struct dev_pagemap *pgmap)
{
	struct vmemmap_dedup *d = pgmap->dedup;

	(void)mm;
	if (!d)
		return;
	if (d->fd >= 0)
		close(d->fd);   /* the memory goes with the last mapping */
	free(d);
	pgmap->dedup = NULL;
}

/* ---------------------------------------------------------- populate/free */

/* Host pages of the piece [pfn, pfn + nr) that hold no folio head: zero tails only. */
static uint64_t zero_tails_shared(const struct mm_model *mm, const struct dev_pagemap *pgmap,
				  uint64_t pfn, uint64_t nr_pages)
{
	uint64_t folio = pgmap_vmemmap_nr(pgmap);
	uint64_t heads = DIV_ROUND_UP(pfn + nr_pages, folio) - DIV_ROUND_UP(pfn, folio);

	return nr_pages * sizeof(struct page) / host_page_size(mm) - heads;
}

/*
 * vmemmap_populate_compound_pages() with zero tails: the piece's window becomes RW as any
 * populated memmap, but without transparent huge pages, so that writing a head faults in its
 * own page only; the tail-only pages are never written (a read maps the zero page) and count
 * as shared.
 */
static int zero_tails_populate(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
			       const struct dev_pagemap *pgmap)
{
	uint64_t first = memmap_host_page(mm, pfn);
	uint64_t n = nr_pages * sizeof(struct page) / host_page_size(mm);
	int ret = vmemmap_map_host_pages(mm, first, n);

	if (ret) {
		vmemmap_unmap_host_pages(mm, first, n);
		return ret;
	}
	/* a hint: should the VMA split fail, heads fault in huge pages, correct but dearer */
	if (mm->vmemmap.thp)
		madvise((char *)mm->vmemmap.area + first * host_page_size(mm),
			n * host_page_size(mm), MADV_NOHUGEPAGE);
	mm->vmemmap.nr_populated += n;
	mm->zone_device->nr_shared += zero_tails_shared(mm, pgmap, pfn, nr_pages);
	return 0;
}

/* ... and its undo: the pages go (DONTNEED, PROT_NONE), the window takes the THP advice back. */
static void zero_tails_free(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
			    const struct dev_pagemap *pgmap)
{
	uint64_t first = memmap_host_page(mm, pfn);
	uint64_t n = nr_pages * sizeof(struct page) / host_page_size(mm);

	vmemmap_unmap_host_pages(mm, first, n);
	if (mm->vmemmap.thp)
		madvise((char *)mm->vmemmap.area + first * host_page_size(mm),
			n * host_page_size(mm), MADV_HUGEPAGE);
	mm->vmemmap.nr_populated -= n;
	mm->zone_device->nr_shared -= zero_tails_shared(mm, pgmap, pfn, nr_pages);
}

/*
 * vmemmap_populate_compound_pages() for one __add_pages() piece: the piece's memmap window is
 * mapped run by run from the memfd. A folio larger than a section continues in the next piece
 * with tail pages only (reuse_compound_section(): all of them alias).
 */
int vmemmap_populate_compound_pages(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
				    struct dev_pagemap *pgmap)
{
	struct vmemmap_dedup *d = pgmap->dedup;
	uint64_t maps = 0, shared = 0, hps = host_page_size(mm);
	int ret;

	if (pfn + nr_pages > mm->vmemmap.end_pfn)
		return -ENOMEM;
	if (d->zero_tails)
		return zero_tails_populate(mm, pfn, nr_pages, pgmap);
	ret = dedup_walk_piece(mm, d, pfn, nr_pages, false, &maps, &shared);
	if (ret)
		return ret;
	d->maps += maps;
	mm->zone_device->dedup_maps += maps;
	mm->vmemmap.nr_populated += nr_pages * sizeof(struct page) / hps;
	mm->zone_device->nr_shared += shared;
	return 0;
}

void vmemmap_free_compound_pages(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
				 struct dev_pagemap *pgmap)
{
	struct vmemmap_dedup *d = pgmap->dedup;
	uint64_t maps = 0, shared = 0, nr = nr_pages * sizeof(struct page) / host_page_size(mm);

	if (d->zero_tails) {
		zero_tails_free(mm, pfn, nr_pages, pgmap);
		return;
	}
	dedup_walk_piece(mm, d, pfn, nr_pages, true, &maps, &shared);
	vmemmap_restore_reservation(mm, memmap_host_page(mm, pfn), nr);
	d->maps -= MIN(maps, d->maps);
	mm->zone_device->dedup_maps -= MIN(maps, mm->zone_device->dedup_maps);
	mm->vmemmap.nr_populated -= nr;
	mm->zone_device->nr_shared -= shared;
}

uint64_t vmemmap_dedup_shared_pages(const struct mm_model *mm, const struct dev_pagemap *pgmap,
				    uint64_t pfn, uint64_t nr_pages)
{
	uint64_t maps = 0, shared = 0;

	if (!pgmap->dedup)
		return 0;
	if (pgmap->dedup->zero_tails)
		return zero_tails_shared(mm, pgmap, pfn, nr_pages);
	dedup_walk_piece((struct mm_model *)mm, pgmap->dedup, pfn, nr_pages, true, &maps, &shared);
	return shared;
}

/* struct pages per folio that sit in distinct (primary) vmemmap pages: zero tails, the head's */
static uint64_t dedup_primary_pages(const struct mm_model *mm, const struct vmemmap_dedup *d)
{
	return dedup_folio_bytes(mm, d) / sizeof(struct page);
}

/*
 * page_init_poison() over a deduplicated range writes every alias too; the same bytes land in
 * the same physical pages when only the primary struct pages are written, without faulting in
 * every alias.
 */
void vmemmap_dedup_poison(struct mm_model *mm, const struct dev_pagemap *pgmap, uint64_t pfn,
			  uint64_t nr_pages)
{
	const struct vmemmap_dedup *d = pgmap->dedup;
	uint64_t folio_nr = pgmap_vmemmap_nr(pgmap), prim = dedup_primary_pages(mm, d);
	uint64_t end = pfn + nr_pages;

	for (uint64_t head = compound_head_pfn(pgmap, pfn); head < end; head += folio_nr) {
		uint64_t s = MAX(head, pfn), e = MIN(head + prim, end);

		if (s < e)
			page_init_poison(mm->vmemmap.base + s, (e - s) * sizeof(struct page));
	}
}

/* ----------------------------------------------------------- folio init */

/* prep_compound_tail(): a tail points at its head (bit 0 set) and has the tail mapping. */
static void prep_compound_tail(struct page *head, struct page *tail)
{
	tail->mapping = TAIL_MAPPING;
	tail->compound_head = (unsigned long)(uintptr_t)head | 1UL;
	tail->private = 0;
}

/* prep_compound_head(): the folio order goes to the first tail's flags (folio->_flags_1). */
static void prep_compound_head(struct page *head, unsigned int order)
{
	struct page *first_tail = head + 1;

	first_tail->flags = (first_tail->flags & ~COMPOUND_ORDER_MASK) | order;
}

/*
 * memmap_init_compound(): PG_head on the head, then compound_nr_pages() - 1 tails, each a
 * ZONE_DEVICE page with refcount 0 pointing at the head; the head's folio fields are set after
 * the first tail was initialised, which would otherwise overwrite them.
 */
void memmap_init_compound(struct mm_model *mm, struct page *head, uint64_t head_pfn,
			  const struct dev_pagemap *pgmap)
{
	uint64_t end_pfn = head_pfn + compound_nr_pages(mm, pgmap);

	__set_page_flag(head, PG_head);
	if (vmemmap_zero_tails(pgmap)) {
		/* the tails that share the head's page are zeroed (poisoning may have written
		 * them); every other tail page was never written */
		memset(head + 1, 0, host_page_size(mm) - sizeof(struct page));
		return;
	}
	for (uint64_t pfn = head_pfn + 1; pfn < end_pfn; pfn++) {
		struct page *page = mm->vmemmap.base + pfn;

		__init_zone_device_page(mm, page, pfn, pgmap);
		prep_compound_tail(head, page);
		set_page_count(page, 0);
		if (pfn == head_pfn + 1)
			prep_compound_head(head, pgmap->vmemmap_shift);
	}
}

/* The copies of vmemmap page 1 get its content (R > 1 only). */
void vmemmap_dedup_sync(struct mm_model *mm, const struct dev_pagemap *pgmap, uint64_t head_pfn)
{
	const struct vmemmap_dedup *d = pgmap->dedup;
	char *page1;

	if (!d || d->copies < 2)
		return;
	page1 = (char *)(mm->vmemmap.base + head_pfn) + PAGE_SIZE(mm);
	for (uint64_t c = 2; c <= d->copies; c++)
		memcpy(page1 + (c - 1) * PAGE_SIZE(mm), page1, PAGE_SIZE(mm));
}

/* ------------------------------------------------------------ zero tails */

/*
 * A device struct page as the kernel stores it. A zero-encoded tail (an initialised pfn of a
 * zero-tail range that is no folio head) is decoded into buf: the head's flags without PG_head
 * (the first tail with the folio order in its low byte, folio->_flags_1), compound_head =
 * head | 1, TAIL_MAPPING, mapcount -1, refcount 0 - exactly what memmap_init_compound() writes
 * into a tail without reuse. Anything else is returned as it is in the memmap.
 */
const struct page *device_page_read(const struct mm_model *mm, const struct dev_pagemap *pgmap,
				    uint64_t pfn, struct page *buf)
{
	uint64_t nr = pgmap_vmemmap_nr(pgmap);
	const struct page *head;

	if (!vmemmap_zero_tails(pgmap) || !(pfn & (nr - 1)) || !pgmap_pfn_valid(pgmap, pfn) ||
	    pfn_memmap_uninitialised(mm, pfn))
		return pfn_to_page(mm, pfn);
	head = device_folio_page(mm, pgmap, pfn);
	*buf = (struct page){
		.flags = head->flags & ~(1UL << PG_head),
		.compound_head = (unsigned long)(uintptr_t)head | 1UL,
		.mapping = TAIL_MAPPING,
		.page_type = PAGE_TYPE_NONE,
	};
	if ((pfn & (nr - 1)) == 1)
		buf->flags = (buf->flags & ~COMPOUND_ORDER_MASK) | pgmap->vmemmap_shift;
	return buf;
}

/* The zero encoding holds: the struct page of pfn (a tail) is all zero bytes in the memmap. */
bool zero_tail_intact(const struct mm_model *mm, uint64_t pfn)
{
	static const struct page zero;

	return !memcmp(pfn_to_page(mm, pfn), &zero, sizeof(zero));
}
