/* SPDX-License-Identifier: MIT */
/*
 * get_page()/put_page() over pfn ranges: a reference held on a page of online RAM is what keeps
 * its memory block from going offline (start_isolate_page_range() fails on unmovable pages).
 * The whole range is validated before any count moves, so a refused call changes nothing.
 * Device pages (not online, owned by a pgmap) go to memremap.c: their reference is the folio's
 * and pins the pgmap.
 */
#include <inttypes.h>
#include <limits.h>

#include "memremap.h"

static int check_page_refs(const struct mm_model *mm, uint64_t pfn, uint64_t count, bool put,
			   struct mm_err *err)
{
	if (!count)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID, "page count is 0");
	if (pfn + count < pfn || pfn + count > mm->geo.max_pfn)
		return mm_fail(err, -EINVAL, MM_CAUSE_RANGE,
			       "pfns [%#" PRIx64 ", +%#" PRIx64 ") go beyond the last pfn %#" PRIx64,
			       pfn, count, mm->geo.max_pfn - 1);
	for (uint64_t p = pfn; p < pfn + count; p++) {
		const struct page *page = pfn_to_online_page(mm, p);
		struct dev_pagemap *pgmap = page ? NULL : get_dev_pagemap(mm, p);

		/* ZONE_DEVICE: the folio's reference and a pgmap reference (memremap.c) */
		if (pgmap && pfn_valid(mm, p)) {
			uint64_t done;
			int ret = device_page_refs_check(mm, pgmap, p, pfn + count - p, put, err,
							 &done);

			if (ret)
				return ret;
			p += done - 1;
			continue;
		}
		if (!page && !pfn_valid(mm, p))
			return mm_fail(err, -ENOENT, MM_CAUSE_NOENT,
				       "pfn %#" PRIx64 " (address %#" PRIx64 ") has no struct page",
				       p, PFN_PHYS(mm, p));
		if (!page || pfn_memmap_uninitialised(mm, p))
			return mm_fail(err, -EINVAL, MM_CAUSE_STATE,
				       "pfn %#" PRIx64 " (address %#" PRIx64 ") is not online: its "
				       "struct page is not initialised", p, PFN_PHYS(mm, p));
		if (put && page_ref_count(page) <= page_idle_refcount(page))
			return mm_fail(err, -EINVAL, MM_CAUSE_STATE,
				       "pfn %#" PRIx64 " holds no reference to put (refcount %d)",
				       p, page_ref_count(page));
		if (!put && page_ref_count(page) == INT_MAX)
			return mm_fail(err, -EOVERFLOW, MM_CAUSE_INVALID,
				       "the refcount of pfn %#" PRIx64 " would overflow", p);
	}
	return 0;
}

static int page_refs_apply(struct mm_model *mm, uint64_t pfn, uint64_t count, bool put)
{
	struct mm_err err = { 0 };

	mm_clear_error(mm);
	if (check_page_refs(mm, pfn, count, put, &err))
		return mm_record(mm, &err);
	for (uint64_t p = pfn; p < pfn + count; p++) {
		struct dev_pagemap *pgmap = pfn_to_online_page(mm, p) ? NULL : get_dev_pagemap(mm, p);

		if (pgmap) {
			p += device_page_refs_apply(mm, pgmap, p, pfn + count - p, put) - 1;
			continue;
		}
		pfn_to_page(mm, p)->_refcount += put ? -1 : 1;
	}
	return 0;
}

int mm_get_pages(struct mm_model *mm, uint64_t pfn, uint64_t count)
{
	return page_refs_apply(mm, pfn, count, false);
}

int mm_put_pages(struct mm_model *mm, uint64_t pfn, uint64_t count)
{
	return page_refs_apply(mm, pfn, count, true);
}
