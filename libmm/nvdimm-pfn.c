/* SPDX-License-Identifier: MIT */
/*
 * The nvdimm pfn layout of a pmem namespace (drivers/nvdimm/pfn_devs.c): nd_pfn_init() lays
 * out a new info block (what the namespace holds where), __nvdimm_setup_pfn() turns an info
 * block into the dev_pagemap range and, for map=dev, the vmem_altmap that puts the memmap
 * inside the namespace.
 *
 *   namespace start                                                        namespace end
 *   | 4 KiB | info block | memmap of every pfn (map=dev), padded | data pages ... | end_trunc |
 *   |<---- nd_info_block_reserve() ---->|
 *   |<---------------------- dataoff ------------------------>|<-- npfns pages -->|
 *
 * The pgmap covers [start + start_pad, end - end_trunc) whole: the info block and memmap pfns
 * have struct pages too (the altmap's reserve and free), the device pages start at dataoff.
 */
#include <inttypes.h>
#include <string.h>

#include "memremap.h"

#define SZ_4K  0x1000ULL
#define SZ_8K  0x2000ULL
#define MAX_STRUCT_PAGE_SIZE 64

/* nd_info_block_reserve(): 8 KiB rounded up to a page (64 KiB on 64K-page kernels). */
uint64_t nd_info_block_reserve(const struct mm_model *mm)
{
	return ALIGN(SZ_8K, PAGE_SIZE(mm));
}

/* memremap_compat_align(): SUBSECTION_SIZE (ppc64 hash would ask 16 MiB; the model is radix). */
static uint64_t memremap_compat_align(const struct mm_model *mm)
{
	return mm->geo.subsection_size;
}

/* HPAGE_PMD_SIZE: the THP size, which pageblock_order follows on every profile */
static uint64_t nd_pfn_pmd_align(const struct mm_model *mm)
{
	return PFN_PHYS(mm, pageblock_nr_pages(mm));
}

/* HPAGE_PUD_SIZE exists with HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD: x86_64 and ppc64 radix. */
static uint64_t nd_pfn_pud_align(const struct mm_model *mm)
{
	if (!arch_is_x86(mm->arch) && strncmp(mm->arch->name, "ppc64", 5))
		return 0;
	return SZ_1G;
}

/*
 * nd_pfn_supported_alignments(): PAGE_SIZE, HPAGE_PMD_SIZE (THP) and HPAGE_PUD_SIZE; 0 asks
 * for the default, the PMD size.
 */
static int nd_pfn_align(const struct mm_model *mm, uint64_t align, uint64_t *out,
			struct mm_err *err)
{
	uint64_t pmd = nd_pfn_pmd_align(mm), pud = nd_pfn_pud_align(mm);

	if (!align) {
		*out = pmd;
		return 0;
	}
	if (align != PAGE_SIZE(mm) && align != pmd && (!pud || align != pud))
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "alignment %s is not supported: %s, %s%s%s", HSIZE(align),
			       HSIZE(PAGE_SIZE(mm)), HSIZE(pmd), pud ? " or " : "",
			       pud ? HSIZE(pud) : "");
	*out = align;
	return 0;
}

/*
 * nd_pfn_init() for a namespace without an info block: the start must be compat-aligned
 * (-EINVAL), npfns0 counts every page after the 8 KiB head, map=dev reserves 64 bytes of
 * memmap for each of them (MAX_STRUCT_PAGE_SIZE, whatever sizeof(struct page) is), the data
 * starts at the next alignment boundary, the end is truncated to it; nothing left: -ENXIO.
 */
int nd_pfn_init(const struct mm_model *mm, uint64_t start, uint64_t size, uint64_t align,
		enum nd_pfn_mode mode, struct nd_pfn_sb *sb, struct mm_err *err)
{
	uint64_t npfns, eff, end_trunc, offset;
	int ret;

	memset(sb, 0, sizeof(*sb));
	ret = nd_pfn_align(mm, align, &align, err);
	if (ret)
		return ret;
	if (!size || start + size < start)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "namespace [%#" PRIx64 ", +%#" PRIx64 ") is empty or wraps", start,
			       size);
	if (!IS_ALIGNED(start, memremap_compat_align(mm)))
		return mm_fail(err, -EINVAL, MM_CAUSE_MISALIGNED,
			       "namespace start %#" PRIx64 " is misaligned to %s "
			       "(memremap_compat_align())", start, HSIZE(memremap_compat_align(mm)));
	if (size <= SZ_8K)
		return mm_fail(err, -ENXIO, MM_CAUSE_INVALID,
			       "namespace of %s has no room after the info block", HSIZE(size));

	npfns = PHYS_PFN(mm, size - SZ_8K);
	eff = MAX(align, memremap_compat_align(mm));
	end_trunc = start + size - ALIGN_DOWN(start + size, eff);
	if (mode == PFN_MODE_PMEM)
		offset = ALIGN(start + SZ_8K + MAX_STRUCT_PAGE_SIZE * npfns, eff) - start;
	else if (mode == PFN_MODE_RAM)
		offset = ALIGN(start + SZ_8K, eff) - start;
	else
		return mm_fail(err, -ENXIO, MM_CAUSE_INVALID, "pfn mode %u is neither map=mem nor "
			       "map=dev", (unsigned int)mode);
	if (size <= end_trunc || offset >= size - end_trunc)
		return mm_fail(err, -ENXIO, MM_CAUSE_INVALID,
			       "namespace [%#" PRIx64 ", +%s) is unable to satisfy the %s alignment: "
			       "data would start at %#" PRIx64 ", usable size is %#" PRIx64, start,
			       HSIZE(size), HSIZE(eff), offset, size > end_trunc ? size - end_trunc : 0);

	sb->mode = mode;
	sb->dataoff = offset;
	sb->npfns = PHYS_PFN(mm, size - offset - end_trunc);
	sb->start_pad = 0;   /* a misaligned start is refused above rather than padded */
	sb->end_trunc = (uint32_t)end_trunc;
	sb->align = align;
	sb->page_struct_size = MAX_STRUCT_PAGE_SIZE;
	sb->page_size = PAGE_SIZE(mm);
	return 0;
}

/*
 * __nvdimm_setup_pfn(): the range is the namespace minus start_pad and end_trunc. map=mem
 * keeps the memmap in RAM (an info block whose data starts inside the reserved head is
 * -EINVAL); map=dev builds the altmap: base at the subsection below the range start, reserve =
 * the info block pages plus that padding, free = the pages between the info block and dataoff.
 */
int __nvdimm_setup_pfn(const struct mm_model *mm, uint64_t start, uint64_t size,
		       const struct nd_pfn_sb *sb, struct mm_nd_pfn *out, struct mm_err *err)
{
	uint64_t reserve = nd_info_block_reserve(mm);
	uint64_t base = start + sb->start_pad, end = start + size - sb->end_trunc;
	uint64_t base_pfn = PHYS_PFN(mm, base);

	memset(out, 0, sizeof(*out));
	out->start_pad = sb->start_pad;
	out->end_trunc = sb->end_trunc;
	out->dataoff = sb->dataoff;
	out->align = MAX(sb->align, memremap_compat_align(mm));
	out->range_start = base;
	out->range_size = end - base;
	if (sb->mode == PFN_MODE_RAM) {
		if (sb->dataoff < reserve)
			return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
				       "map=mem info block puts data at %#" PRIx64 ", inside the %s "
				       "reserved for the info block", sb->dataoff, HSIZE(reserve));
		out->npfns = sb->npfns;
		return 0;
	}
	if (sb->mode != PFN_MODE_PMEM)
		return mm_fail(err, -ENXIO, MM_CAUSE_INVALID, "info block mode %u is neither "
			       "map=mem nor map=dev", (unsigned int)sb->mode);
	out->map_dev = true;
	out->npfns = PHYS_PFN(mm, out->range_size - sb->dataoff);
	out->altmap.base_pfn = ALIGN_DOWN(base_pfn, PAGES_PER_SUBSECTION(mm));
	out->altmap.reserve = PHYS_PFN(mm, reserve) + base_pfn - out->altmap.base_pfn;
	out->altmap.end_pfn = PHYS_PFN(mm, end - 1);
	out->altmap.free = PHYS_PFN(mm, sb->dataoff - reserve);
	out->altmap.alloc = 0;
	out->altmap.align = 0;
	return 0;
}

int mm_nd_pfn_init(const struct mm_model *mm, uint64_t ns_start, uint64_t ns_size,
		   uint64_t align, bool map_dev, struct mm_nd_pfn *out)
{
	struct mm_err err = { 0 };
	struct nd_pfn_sb sb;
	int ret;

	mm_clear_error(mm);
	memset(out, 0, sizeof(*out));
	ret = nd_pfn_init(mm, ns_start, ns_size, align, map_dev ? PFN_MODE_PMEM : PFN_MODE_RAM,
			  &sb, &err);
	if (!ret)
		ret = __nvdimm_setup_pfn(mm, ns_start, ns_size, &sb, out, &err);
	return ret ? mm_record(mm, &err) : 0;
}
