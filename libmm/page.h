/* SPDX-License-Identifier: MIT */
/*
 * struct page: the 64-byte memmap entry (include/linux/mm_types.h) and the layout of page->flags
 * (include/linux/page-flags-layout.h). Internal to libmm: users of mm.h only ever see an opaque
 * struct page pointer.
 */
#ifndef PMM_LIBMM_PAGE_H
#define PMM_LIBMM_PAGE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "mm.h"

struct list_head {
	struct list_head *next, *prev;
};

struct dev_pagemap;

/*
 * Invariants:
 * - sizeof(struct page) == 64 (the nvdimm on-media layouts assume MAX_STRUCT_PAGE_SIZE = 64, and
 *   every memmap size in kernel-model.md is derived from it).
 * - A struct page whose bytes are all 0xff is poisoned (page_init_poison()): its memmap exists but
 *   was never initialised, i.e. hot-added memory between add and online, and again after offline.
 * - An initialised page has page_zonenum()/page_to_nid() set by set_page_links(); a free page of
 *   online RAM has _refcount 0, a page the buddy never owns (PG_reserved, self-hosted vmemmap,
 *   PageOffline) idles at 1 (page_idle_refcount()).
 */
struct page {
	unsigned long flags;            /* [SECTION][NODE][ZONE] ... [PG_* bits] */
	union {
		struct list_head lru;   /* buddy free lists / LRU */
		struct {                /* ZONE_DEVICE pages reuse the lru space */
			struct dev_pagemap *pgmap;
			void *zone_device_data;
		};
		struct {                /* tail pages of a compound page */
			unsigned long compound_head; /* head address | 1 */
			unsigned long _compound_pad;
		};
	};
	void *mapping;
	unsigned long index;
	unsigned long private;
	union {
		int _mapcount;          /* -1: not mapped */
		unsigned int page_type; /* PGTY_* << 24 while the page has a type */
	};
	int _refcount;
	unsigned long memcg_data;
};
_Static_assert(sizeof(struct page) == 64, "struct page must be 64 bytes (MAX_STRUCT_PAGE_SIZE)");

/* The PG_* bits at the bottom of page->flags, in the kernel's order. */
enum pageflags {
	PG_locked,
	PG_writeback,
	PG_referenced,
	PG_uptodate,
	PG_dirty,
	PG_lru,
	PG_head,
	PG_waiters,
	PG_active,
	PG_workingset,
	PG_owner_priv_1,
	PG_owner_2,
	PG_arch_1,
	PG_reserved,
	PG_private,
	PG_private_2,
	PG_reclaim,
	PG_swapbacked,
	PG_unevictable,
	PG_dropbehind,
	PG_mlocked,
	PG_hwpoison,
	__NR_PAGEFLAGS,

	/* memmap_on_memory: this page holds part of the memmap of its own block */
	PG_vmemmap_self_hosted = PG_owner_priv_1,
};

/* Name of a PG_* bit as /proc/kpageflags tools print it, NULL past the last one. */
const char *pageflag_name(unsigned int bit);

/*
 * Page types live in the top byte of page_type (which aliases _mapcount, so an untyped page
 * reads as mapcount -1). Values as in include/linux/page-flags.h of the baseline kernel.
 */
#define PGTY_buddy      0xf0u
#define PGTY_offline    0xf1u
#define PAGE_TYPE_NONE  0xffffffffu

static inline bool page_has_type(const struct page *page, unsigned int ty)
{
	return (page->page_type >> 24) == ty;
}

static inline bool PageOffline(const struct page *page)
{
	return page_has_type(page, PGTY_offline);
}

static inline void __SetPageOffline(struct page *page)
{
	page->page_type = PGTY_offline << 24;
}

static inline void __ClearPageOffline(struct page *page)
{
	page->page_type = PAGE_TYPE_NONE;
}

static inline bool test_page_flag(const struct page *page, enum pageflags f)
{
	return (page->flags >> f) & 1UL;
}

static inline void __set_page_flag(struct page *page, enum pageflags f)
{
	page->flags |= 1UL << f;
}

static inline void __clear_page_flag(struct page *page, enum pageflags f)
{
	page->flags &= ~(1UL << f);
}

#define PageReserved(p)            test_page_flag((p), PG_reserved)
#define __SetPageReserved(p)       __set_page_flag((p), PG_reserved)
#define PageHead(p)                test_page_flag((p), PG_head)
#define PageVmemmapSelfHosted(p)   test_page_flag((p), PG_vmemmap_self_hosted)
#define SetPageVmemmapSelfHosted(p) __set_page_flag((p), PG_vmemmap_self_hosted)

/* page_init_poison(): the pattern debug poisoning writes over uninitialised memmap. */
#define PAGE_POISON_PATTERN (~0UL)

static inline bool PagePoisoned(const struct page *page)
{
	return page->flags == PAGE_POISON_PATTERN;
}

static inline void page_init_poison(struct page *page, size_t size)
{
	memset(page, 0xff, size);
}

static inline int page_ref_count(const struct page *page)
{
	return page->_refcount;
}

static inline void set_page_count(struct page *page, int v)
{
	page->_refcount = v;
}

/*
 * The count a page of initialised memmap sits at when nobody holds it: 0 for a free page of
 * online RAM, 1 for pages the page allocator never owns (reserved holes, self-hosted vmemmap,
 * PageOffline). References from mm_get_pages() come on top of it.
 */
static inline int page_idle_refcount(const struct page *page)
{
	if (PageReserved(page) || PageVmemmapSelfHosted(page) || PageOffline(page))
		return 1;
	return 0;
}

/*
 * page->flags layout, computed per model at mm_model_create() the way page-flags-layout.h does
 * at build time: from the top bit down [SECTION][NODE][ZONE], PG_* bits at the bottom.
 * SECTIONS_WIDTH is non-zero only for classic SPARSEMEM (VMEMMAP/FLATMEM find the section by
 * arithmetic). A zero width has a zero shift and mask, as in the kernel's *_PGSHIFT macros.
 * Invariant: sections + nodes + zones widths + __NR_PAGEFLAGS <= BITS_PER_LONG.
 */
struct page_flags_layout {
	unsigned int sections_width, nodes_width, zones_width;
	unsigned int sections_pgshift, nodes_pgshift, zones_pgshift;
	bool node_not_in_page_flags;   /* NODE_NOT_IN_PAGE_FLAGS: nid from section_to_node_table */
};

static inline unsigned long pgflags_mask(unsigned int width)
{
	return width ? (~0UL >> (64 - width)) : 0;
}

static inline void set_page_zone(const struct page_flags_layout *l, struct page *page,
				 enum mm_zone_type zone)
{
	page->flags &= ~(pgflags_mask(l->zones_width) << l->zones_pgshift);
	page->flags |= ((unsigned long)zone & pgflags_mask(l->zones_width)) << l->zones_pgshift;
}

static inline void set_page_node(const struct page_flags_layout *l, struct page *page, int nid)
{
	page->flags &= ~(pgflags_mask(l->nodes_width) << l->nodes_pgshift);
	page->flags |= ((unsigned long)nid & pgflags_mask(l->nodes_width)) << l->nodes_pgshift;
}

static inline void set_page_section(const struct page_flags_layout *l, struct page *page,
				    uint64_t section_nr)
{
	page->flags &= ~(pgflags_mask(l->sections_width) << l->sections_pgshift);
	page->flags |= (section_nr & pgflags_mask(l->sections_width)) << l->sections_pgshift;
}

/* set_page_links(): zone, node and (classic sparse) section number into page->flags. */
static inline void set_page_links(const struct page_flags_layout *l, struct page *page,
				  enum mm_zone_type zone, int nid, uint64_t section_nr)
{
	set_page_zone(l, page, zone);
	set_page_node(l, page, nid);
	set_page_section(l, page, section_nr);
}

static inline enum mm_zone_type page_zonenum(const struct page_flags_layout *l,
					     const struct page *page)
{
	return (enum mm_zone_type)((page->flags >> l->zones_pgshift) &
				   pgflags_mask(l->zones_width));
}

static inline int page_to_nid(const struct page_flags_layout *l, const struct page *page)
{
	return (int)((page->flags >> l->nodes_pgshift) & pgflags_mask(l->nodes_width));
}

static inline uint64_t page_to_section(const struct page_flags_layout *l, const struct page *page)
{
	return (page->flags >> l->sections_pgshift) & pgflags_mask(l->sections_width);
}

static inline bool is_zone_device_page(const struct page_flags_layout *l, const struct page *page)
{
	return page_zonenum(l, page) == ZONE_DEVICE;
}

static inline void INIT_LIST_HEAD(struct list_head *list)
{
	list->next = list;
	list->prev = list;
}

#endif /* PMM_LIBMM_PAGE_H */
