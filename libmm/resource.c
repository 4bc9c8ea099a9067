/* SPDX-License-Identifier: MIT */
/*
 * The model's iomem resource tree, flattened: boot RAM lives in memblock, every hot-added range
 * (a "System RAM" resource, or a pgmap range in phase 2) is an mm_resource with an id. Used for
 * collisions (register_memory_resource() / region_intersects()), walk_system_ram_range(), and
 * release_mem_region_adjustable() on partial removal.
 */
#include <stdlib.h>
#include <string.h>

#include "memremap.h"

static uint64_t overlap_pages(const struct mm_model *mm, uint64_t s1, uint64_t e1,
			      uint64_t s2, uint64_t e2)
{
	uint64_t s = MAX(s1, s2), e = MIN(e1, e2);

	return e > s ? PHYS_PFN(mm, e - s) : 0;
}

uint64_t walk_system_ram_range(const struct mm_model *mm, uint64_t start_pfn, uint64_t nr_pages)
{
	uint64_t start = PFN_PHYS(mm, start_pfn), end = PFN_PHYS(mm, start_pfn + nr_pages);
	uint64_t pages = memblock_pages_in(mm, start_pfn, start_pfn + nr_pages);

	for (size_t i = 0; i < mm->nr_resources; i++) {
		const struct mm_resource *r = &mm->resources[i];

		if (!r->device)
			pages += overlap_pages(mm, r->start, r->end, start, end);
	}
	return pages;
}

struct mm_resource *resource_overlapping(const struct mm_model *mm, uint64_t start, uint64_t end)
{
	for (size_t i = 0; i < mm->nr_resources; i++) {
		struct mm_resource *r = &mm->resources[i];

		if (r->start < end && start < r->end)
			return r;
	}
	return NULL;
}

struct mm_resource *resource_find_id(const struct mm_model *mm, uint64_t id)
{
	for (size_t i = 0; i < mm->nr_resources; i++)
		if (mm->resources[i].id == id)
			return &mm->resources[i];
	return NULL;
}

/* Make room first, so that the act phase of an operation cannot fail on allocation. */
int resources_reserve(struct mm_model *mm, size_t extra)
{
	size_t cap = mm->resources_cap ? mm->resources_cap : 8;
	struct mm_resource *n;

	if (mm->nr_resources + extra <= mm->resources_cap)
		return 0;
	while (cap < mm->nr_resources + extra)
		cap *= 2;
	n = realloc(mm->resources, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	mm->resources = n;
	mm->resources_cap = cap;
	return 0;
}

static bool resources_mergeable(const struct mm_resource *a, const struct mm_resource *b)
{
	return !a->device && !b->device && a->mergeable && b->mergeable && a->end == b->start &&
	       a->nid == b->nid && a->memmap_on_memory == b->memmap_on_memory;
}

static void resource_delete(struct mm_model *mm, size_t i)
{
	memmove(&mm->resources[i], &mm->resources[i + 1],
		(mm->nr_resources - i - 1) * sizeof(mm->resources[0]));
	mm->nr_resources--;
}

/*
 * Insert r (its id is assigned here). With MHP_MERGE_RESOURCE, merge_system_ram_resource()
 * folds it into mergeable System RAM neighbours; the merged record keeps the older id.
 * Capacity must have been reserved with resources_reserve(mm, 1).
 */
struct mm_resource *resource_insert(struct mm_model *mm, const struct mm_resource *r)
{
	size_t i;

	for (i = 0; i < mm->nr_resources && mm->resources[i].start < r->start; i++)
		;
	if (r->mergeable && i > 0 && resources_mergeable(&mm->resources[i - 1], r)) {
		mm->resources[i - 1].end = r->end;
		if (i < mm->nr_resources && resources_mergeable(&mm->resources[i - 1],
								  &mm->resources[i])) {
			mm->resources[i - 1].end = mm->resources[i].end;
			resource_delete(mm, i);
		}
		return &mm->resources[i - 1];
	}
	if (r->mergeable && i < mm->nr_resources && resources_mergeable(r, &mm->resources[i])) {
		mm->resources[i].start = r->start;
		return &mm->resources[i];
	}
	memmove(&mm->resources[i + 1], &mm->resources[i],
		(mm->nr_resources - i) * sizeof(mm->resources[0]));
	mm->resources[i] = *r;
	mm->resources[i].id = mm->next_range_id++;
	mm->nr_resources++;
	return &mm->resources[i];
}

/*
 * release_mem_region_adjustable(): drop [start, end) from the System RAM records it covers: a
 * record is removed whole, trimmed at one end, or split in two with the tail under a new id.
 * A split needs one free slot (resources_reserve(mm, 1) during the check phase).
 */
void release_mem_region_adjustable(struct mm_model *mm, uint64_t start, uint64_t end)
{
	size_t i = 0;

	while (i < mm->nr_resources) {
		struct mm_resource *r = &mm->resources[i];

		if (r->device || r->end <= start || r->start >= end) {
			i++;
			continue;
		}
		if (start <= r->start && end >= r->end) {
			resource_delete(mm, i);
			continue;
		}
		if (start <= r->start) {
			r->start = end;
		} else if (end >= r->end) {
			r->end = start;
		} else {
			struct mm_resource tail = *r;

			tail.start = end;
			tail.id = mm->next_range_id++;
			r->end = start;
			memmove(&mm->resources[i + 2], &mm->resources[i + 1],
				(mm->nr_resources - i - 1) * sizeof(mm->resources[0]));
			mm->resources[i + 1] = tail;
			mm->nr_resources++;
			i++;
		}
		i++;
	}
}

void resource_fill_info(const struct mm_model *mm, const struct mm_resource *r,
			struct mm_range_info *out)
{
	memset(out, 0, sizeof(*out));
	out->id = r->id;
	out->device = r->device;
	out->start = r->start;
	out->size = r->end - r->start;
	out->nid = r->nid;
	out->align = PAGE_SIZE(mm);
	out->has_altmap = r->memmap_on_memory;
	out->memmap_bytes = PHYS_PFN(mm, r->end - r->start) * sizeof(struct page);
	if (r->device && r->pgmap)
		device_range_fill_info(mm, r->pgmap, out);
}

/* memunmap_pages(): the device range's record goes */
void resource_remove(struct mm_model *mm, struct mm_resource *r)
{
	resource_delete(mm, (size_t)(r - mm->resources));
}

int mm_range_info(const struct mm_model *mm, uint64_t id, struct mm_range_info *out)
{
	const struct mm_resource *r = resource_find_id(mm, id);

	mm_clear_error(mm);
	if (!r)
		return mm_fail(mm_errp(mm), -ENOENT, MM_CAUSE_NOENT,
			       "range %llu does not exist", (unsigned long long)id);
	resource_fill_info(mm, r, out);
	return 0;
}

/* Ranges in ascending address order (the order of /proc/iomem). */
int mm_for_each_range(const struct mm_model *mm,
		      int (*fn)(const struct mm_range_info *r, void *arg), void *arg)
{
	for (size_t i = 0; i < mm->nr_resources; i++) {
		struct mm_range_info info;
		int ret;

		resource_fill_info(mm, &mm->resources[i], &info);
		ret = fn(&info, arg);
		if (ret)
			return ret;
	}
	return 0;
}
