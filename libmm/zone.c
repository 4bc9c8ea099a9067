/* SPDX-License-Identifier: MIT */
/*
 * Zones and nodes at hotplug time (mm/memory_hotplug.c): which zone a range onlines into
 * (zone_for_pfn_range() with the contig-zones and auto-movable policies), growing spans on
 * online (move_pfn_range_to_zone()), shrinking them on offline (remove_pfn_range_from_zone()),
 * and present/managed page accounting.
 *
 * The zone choice and the span/present bookkeeping take the node array as a parameter so that
 * a plan can run them on a scratch copy: the plan of a multi-block online then sees the zones
 * exactly as each block will find them.
 */
#include <inttypes.h>
#include <stdio.h>

#include "internal.h"

bool zone_intersects(const struct zone *zone, uint64_t start_pfn, uint64_t nr_pages)
{
	if (zone_is_empty(zone))
		return false;
	if (start_pfn >= zone_end_pfn(zone) || zone->zone_start_pfn >= start_pfn + nr_pages)
		return false;
	return true;
}

struct zone *page_zone(const struct mm_model *mm, const struct page *page)
{
	struct mm_model *m = (struct mm_model *)mm;

	return &m->node_data[page_to_nid(&mm->pfl, page)].node_zones[page_zonenum(&mm->pfl, page)];
}

/* default_kernel_zone_for_pfn(): the first zone below NORMAL the range touches, else NORMAL. */
static struct zone *default_kernel_zone_for_pfn(struct pglist_data *nodes, int nid,
						uint64_t start_pfn, uint64_t nr_pages)
{
	struct pglist_data *pgdat = &nodes[nid];

	for (int zid = 0; zid < ZONE_NORMAL; zid++)
		if (zone_intersects(&pgdat->node_zones[zid], start_pfn, nr_pages))
			return &pgdat->node_zones[zid];
	return &pgdat->node_zones[ZONE_NORMAL];
}

/*
 * contig-zones: inherit the zone when exactly one of {kernel zone, MOVABLE} already touches
 * the range; otherwise MOVABLE only when booted with movable_node.
 */
static struct zone *default_zone_for_pfn(const struct mm_model *mm, struct pglist_data *nodes,
					 int nid, uint64_t start_pfn, uint64_t nr_pages)
{
	struct zone *kernel_zone = default_kernel_zone_for_pfn(nodes, nid, start_pfn, nr_pages);
	struct zone *movable_zone = &nodes[nid].node_zones[ZONE_MOVABLE];
	bool in_kernel = zone_intersects(kernel_zone, start_pfn, nr_pages);
	bool in_movable = zone_intersects(movable_zone, start_pfn, nr_pages);

	if (in_kernel ^ in_movable)
		return in_kernel ? kernel_zone : movable_zone;
	return mm->params.movable_node ? movable_zone : kernel_zone;
}

/*
 * auto_movable_can_online_movable(): would MOVABLE + nr_pages stay within ratio% of
 * KERNEL_EARLY (boot-time present pages of the kernel zones)? nid < 0 looks at every node. There
 * are no memory groups and no CMA in the model, so the group terms of the kernel vanish.
 */
static bool auto_movable_can_online_movable(const struct mm_model *mm,
					    const struct pglist_data *nodes, int nid,
					    uint64_t nr_pages)
{
	uint64_t kernel_early_pages = 0, movable_pages = 0;

	for (int n = 0; n < MAX_NUMNODES; n++) {
		if (nid != NUMA_NO_NODE && n != nid)
			continue;
		for (int i = 0; i < MAX_NR_ZONES; i++) {
			const struct zone *zone = &nodes[n].node_zones[i];

			if (!populated_zone(zone))
				continue;
			if (i == ZONE_MOVABLE)
				movable_pages += zone->present_pages;
			else
				kernel_early_pages += zone->present_early_pages;
		}
	}
	if (!kernel_early_pages)
		return false;
	movable_pages += nr_pages;
	return movable_pages <= (uint64_t)mm->params.auto_movable_ratio * kernel_early_pages / 100;
}

/* auto_movable_zone_for_pfn() without memory groups: the whole range is the unit. */
static struct zone *auto_movable_zone_for_pfn(const struct mm_model *mm,
					      struct pglist_data *nodes, int nid,
					      uint64_t pfn, uint64_t nr_pages)
{
	if (!mm->params.auto_movable_ratio)
		goto kernel_zone;
	if (!auto_movable_can_online_movable(mm, nodes, NUMA_NO_NODE, nr_pages))
		goto kernel_zone;
	if (mm->params.auto_movable_numa_aware &&
	    !auto_movable_can_online_movable(mm, nodes, nid, nr_pages))
		goto kernel_zone;
	return &nodes[nid].node_zones[ZONE_MOVABLE];
kernel_zone:
	return default_kernel_zone_for_pfn(nodes, nid, pfn, nr_pages);
}

struct zone *zone_for_pfn_range(const struct mm_model *mm, struct pglist_data *nodes,
				enum mm_online_type type, int nid, uint64_t start_pfn,
				uint64_t nr_pages)
{
	if (type == MMOP_ONLINE_KERNEL)
		return default_kernel_zone_for_pfn(nodes, nid, start_pfn, nr_pages);
	if (type == MMOP_ONLINE_MOVABLE)
		return &nodes[nid].node_zones[ZONE_MOVABLE];
	if (mm->params.online_policy == MM_POLICY_AUTO_MOVABLE)
		return auto_movable_zone_for_pfn(mm, nodes, nid, start_pfn, nr_pages);
	return default_zone_for_pfn(mm, nodes, nid, start_pfn, nr_pages);
}

/* resize_zone_range() (init_currently_empty_zone() sets the start of an empty zone first). */
void resize_zone_range(struct zone *zone, uint64_t start_pfn, uint64_t nr_pages)
{
	uint64_t old_end_pfn = zone_end_pfn(zone);

	if (zone_is_empty(zone) || start_pfn < zone->zone_start_pfn) {
		if (zone_is_empty(zone))
			old_end_pfn = start_pfn;
		zone->zone_start_pfn = start_pfn;
	}
	zone->spanned_pages = MAX(start_pfn + nr_pages, old_end_pfn) - zone->zone_start_pfn;
}

void resize_pgdat_range(struct pglist_data *pgdat, uint64_t start_pfn, uint64_t nr_pages)
{
	uint64_t old_end_pfn = pgdat_end_pfn(pgdat);

	if (!pgdat->node_spanned_pages || start_pfn < pgdat->node_start_pfn) {
		if (!pgdat->node_spanned_pages)
			old_end_pfn = start_pfn;
		pgdat->node_start_pfn = start_pfn;
	}
	pgdat->node_spanned_pages = MAX(start_pfn + nr_pages, old_end_pfn) - pgdat->node_start_pfn;
}

/*
 * adjust_present_page_count(): blocks are all early or all hot-added, so the first pfn tells
 * whether present_early_pages moves too.
 */
void adjust_present_page_count(const struct mm_model *mm, struct pglist_data *nodes,
			       struct zone *zone, uint64_t pfn, int64_t nr_pages)
{
	if (early_section(__pfn_to_section(mm, pfn)))
		zone->present_early_pages += (uint64_t)nr_pages;
	zone->present_pages += (uint64_t)nr_pages;
	nodes[zone->nid].node_present_pages += (uint64_t)nr_pages;
}

void adjust_managed_page_count(struct zone *zone, int64_t nr_pages)
{
	zone->managed_pages += (uint64_t)nr_pages;
}

/*
 * move_pfn_range_to_zone(): grow the zone and node spans, then initialise the memmap of the
 * range into the zone (MEMINIT_HOTPLUG: PageOffline until freed to the buddy).
 */
void move_pfn_range_to_zone(struct mm_model *mm, struct zone *zone, uint64_t start_pfn,
			    uint64_t nr_pages, enum migratetype migratetype)
{
	resize_zone_range(zone, start_pfn, nr_pages);
	resize_pgdat_range(&mm->node_data[zone->nid], start_pfn, nr_pages);
	memmap_init_range(mm, nr_pages, zone->nid, zone->idx, start_pfn, MEMINIT_HOTPLUG,
			  migratetype);
}

/* A pfn of this zone and node that is online, scanning at subsection steps. */
static bool zone_online_pfn(const struct mm_model *mm, const struct zone *zone, uint64_t pfn)
{
	const struct page *page = pfn_to_online_page(mm, pfn);

	return page && page_to_nid(&mm->pfl, page) == zone->nid &&
	       page_zone(mm, page) == zone;
}

static bool find_smallest_section_pfn(const struct mm_model *mm, const struct zone *zone,
				      uint64_t start_pfn, uint64_t end_pfn, uint64_t *found)
{
	for (; start_pfn < end_pfn; start_pfn += PAGES_PER_SUBSECTION(mm)) {
		if (zone_online_pfn(mm, zone, start_pfn)) {
			*found = start_pfn;
			return true;
		}
	}
	return false;
}

static bool find_biggest_section_pfn(const struct mm_model *mm, const struct zone *zone,
				     uint64_t start_pfn, uint64_t end_pfn, uint64_t *found)
{
	/* end_pfn - 1 is the last pfn of a subsection: step down a subsection at a time */
	for (uint64_t pfn = end_pfn; pfn > start_pfn; pfn -= PAGES_PER_SUBSECTION(mm)) {
		if (zone_online_pfn(mm, zone, pfn - 1)) {
			*found = pfn - 1;
			return true;
		}
		if (pfn - start_pfn < PAGES_PER_SUBSECTION(mm))
			break;
	}
	return false;
}

/*
 * shrink_zone_span(): only a range at either end of the zone shrinks it, to the nearest pfn
 * still online in the zone (the kernel's "0 means none" becomes an explicit bool here).
 */
static void shrink_zone_span(const struct mm_model *mm, struct zone *zone, uint64_t start_pfn,
			     uint64_t end_pfn)
{
	uint64_t pfn;

	if (zone->zone_start_pfn == start_pfn) {
		if (find_smallest_section_pfn(mm, zone, end_pfn, zone_end_pfn(zone), &pfn)) {
			zone->spanned_pages = zone_end_pfn(zone) - pfn;
			zone->zone_start_pfn = pfn;
		} else {
			zone->zone_start_pfn = 0;
			zone->spanned_pages = 0;
		}
	} else if (zone_end_pfn(zone) == end_pfn) {
		if (find_biggest_section_pfn(mm, zone, zone->zone_start_pfn, start_pfn, &pfn)) {
			zone->spanned_pages = pfn - zone->zone_start_pfn + 1;
		} else {
			zone->zone_start_pfn = 0;
			zone->spanned_pages = 0;
		}
	}
}

/* update_pgdat_span(): the node spans the union of its zones. */
void update_pgdat_span(struct pglist_data *pgdat)
{
	uint64_t node_start_pfn = 0, node_end_pfn = 0;

	for (int i = 0; i < MAX_NR_ZONES; i++) {
		const struct zone *zone = &pgdat->node_zones[i];

		if (!zone->spanned_pages)
			continue;
		if (!node_end_pfn) {
			node_start_pfn = zone->zone_start_pfn;
			node_end_pfn = zone_end_pfn(zone);
			continue;
		}
		node_end_pfn = MAX(node_end_pfn, zone_end_pfn(zone));
		node_start_pfn = MIN(node_start_pfn, zone->zone_start_pfn);
	}
	pgdat->node_start_pfn = node_start_pfn;
	pgdat->node_spanned_pages = node_end_pfn - node_start_pfn;
}

/*
 * remove_pfn_range_from_zone(): the struct pages become uninitialised (poisoned) again; spans
 * shrink, except for ZONE_DEVICE whose shrinking the kernel cannot do.
 */
void remove_pfn_range_from_zone(struct mm_model *mm, struct zone *zone, uint64_t start_pfn,
				uint64_t nr_pages)
{
	const uint64_t end_pfn = start_pfn + nr_pages;
	uint64_t cur_nr;

	for (uint64_t pfn = start_pfn; pfn < end_pfn; pfn += cur_nr) {
		cur_nr = MIN(end_pfn - pfn, SECTION_ALIGN_UP(mm, pfn + 1) - pfn);
		poison_pfn_range(mm, pfn, cur_nr);
	}
	if (zone->idx == ZONE_DEVICE)
		return;
	shrink_zone_span(mm, zone, start_pfn, end_pfn);
	update_pgdat_span(&mm->node_data[zone->nid]);
}

/* --------------------------------------------------------------- public */

int mm_zone_for_range(const struct mm_model *mm, uint64_t start, uint64_t size,
		      enum mm_online_type type, enum mm_zone_type *zone)
{
	struct mm_model *m = (struct mm_model *)mm;
	const struct memory_block *mem;
	struct zone *z;
	int ret;

	mm_clear_error(mm);
	ret = memory_model_check_hotplug(mm, "choosing a zone to online into", mm_errp(mm));
	if (ret)
		return ret;
	if (type != MMOP_ONLINE && type != MMOP_ONLINE_KERNEL && type != MMOP_ONLINE_MOVABLE)
		return mm_fail(mm_errp(mm), -EINVAL, MM_CAUSE_INVALID,
			       "online type %d does not choose a zone", (int)type);
	if (!size || !IS_ALIGNED(start, mm->geo.block_size) ||
	    !IS_ALIGNED(size, mm->geo.block_size) || start + size < start)
		return mm_fail(mm_errp(mm), -EINVAL, size ? MM_CAUSE_MISALIGNED : MM_CAUSE_INVALID,
			       "range [%#" PRIx64 ", +%#" PRIx64 ") is not a non-empty multiple of "
			       "the memory block size (%s)", start, size, HSIZE(mm->geo.block_size));
	mem = find_memory_block_by_id(mm, start / mm->geo.block_size);
	if (!mem || mem->nid < 0)
		return mm_fail(mm_errp(mm), -ENOENT, MM_CAUSE_NOENT,
			       "no memory block at %#" PRIx64, start);
	z = zone_for_pfn_range(mm, m->node_data, type, mem->nid, PHYS_PFN(mm, start),
			       PHYS_PFN(mm, size));
	*zone = z->idx;
	return 0;
}

void mm_set_online_policy(struct mm_model *mm, enum mm_online_policy p, unsigned int ratio)
{
	mm_clear_error(mm);
	mm->params.online_policy = p == MM_POLICY_AUTO_MOVABLE ? MM_POLICY_AUTO_MOVABLE
							       : MM_POLICY_CONTIG_ZONES;
	mm->params.auto_movable_ratio = ratio;
}
