/* SPDX-License-Identifier: MIT */
/*
 * libmm internals: the model's state and the kernel-named helpers the .c files share.
 *
 * Map of the library (one concept per file, named after the kernel file it mirrors):
 *   geometry.c        arch profiles, derived geometry, name/parse helpers, mm_params_check()
 *   model.c           mm_model_create/destroy, accessors, last error
 *   util.c            mm_fail() and human sizes for messages
 *   xarray.c          sparse index by id (memory blocks): xa_load/xa_store/xa_erase/xa_find
 *   section.c         mem_section roots, flag predicates, subsection bitmap (mm/sparse.c, mmzone.h)
 *   memory_model.c    the memory-model ops table chosen at creation, the SPARSEMEM_VMEMMAP ops,
 *                     the "needs SPARSEMEM / VMEMMAP" refusals (asm-generic/memory_model.h)
 *   memory_model.h    pfn_to_page/page_to_pfn/pfn_valid of each model, inline
 *   sparse.c          memory_present, sparse_init, sparse_add/remove_section, section_(de)activate;
 *                     classic SPARSEMEM (static and EXTREME): per-section memmap arrays
 *   sparse-vmemmap.c  __populate_section_memmap / depopulate, altmap allocation (vmem_altmap)
 *   flatmem.c         FLATMEM: one mem_map from ARCH_PFN_OFFSET, zone pageblock bitmaps
 *   discontig.c       DISCONTIGMEM: node_mem_map per node, the arch pfn_to_nid() table
 *   vmemmap.c         the reserved virtual area: reserve, mprotect populate, madvise depopulate
 *   mm_init.c         __init_single_page, memmap_init_range, pageblock migratetypes (mm/mm_init.c)
 *   boot.c            memblock, free_area_init (zones), memmap_init, boot memory blocks
 *   zone.c            zone/node spans, present/managed accounting, zone_for_pfn_range()
 *   memory_block.c    struct memory_block store, valid_zones, block info (drivers/base/memory.c)
 *   resource.c        iomem-like resources: boot RAM + ranges, collisions, walk_system_ram_range
 *   hotplug.c         add_memory / remove_memory (check + act), plans (mm/memory_hotplug.c)
 *   online.c          memory_block_online/offline, online_pages/offline_pages, range ops, plans
 *   page_ref.c        mm_get_pages / mm_put_pages
 *   lookup.c          pfn_valid, pfn_to_online_page, lookups, iterators, statistics
 *   invariants.c      mm_check_invariants (kernel-model.md section 12)
 *   memremap.c        ZONE_DEVICE: memremap_pages/memunmap_pages, device page references,
 *                     get_dev_pagemap, device invariants (mm/memremap.c); memremap.h holds
 *                     struct dev_pagemap and the ZONE_DEVICE declarations
 *   altmap.c          vmem_altmap arithmetic, altmap memmap mapped from the device's file
 *   compound.c        compound device pages, vmemmap tail reuse (dedup) through a memfd
 *   nvdimm-pfn.c      the nvdimm pfn layout: nd_pfn_init, __nvdimm_setup_pfn
 *
 * Conventions: every fallible internal function returns 0 or a negative errno and, when it
 * fails, has described why in a struct mm_err (mm_fail()). Operations are written as a check
 * function that only reads the model and fills a plan, followed by an act function that applies
 * the plan; the mm_plan_*() entry points run the very same check functions. Public entry points
 * start with mm_clear_error() and end with mm_record() of their local struct mm_err.
 * A refused operation changes nothing: checks run before anything is touched, and an act that
 * can still fail (populating the vmemmap: -ENOMEM) undoes its own steps (__add_pages() removes
 * the pieces it added; the kernel leaves them to its callers).
 *
 * Where phase 2 (ZONE_DEVICE, altmaps in devices, other memory models) plugs in:
 *  - __add_pages()/__remove_pages() already work at subsection granularity (check_pfn_span(),
 *    fill/clear_subsection_map(), section_activate/deactivate including the early-section reuse)
 *    and take a vmem_altmap; vmemmap_uses_altmap() holds x86's "sub-section ignores the altmap"
 *    rule; altmap_alloc_block_buf()/vmem_altmap_free() do the accounting (tests/libmm/
 *    test-vmemmap.c drives these directly).
 *  - struct mm_resource has `device` and `pgmap`; resource_overlapping() is the collision test,
 *    walk_system_ram_range() already ignores device ranges, lookup.c's pfn_has_pgmap() is the
 *    get_dev_pagemap() slow path of pfn_to_online_page() for TAINT_ZONE_DEVICE sections.
 *  - struct page has the pgmap/zone_device_data union and compound_head; ZONE_DEVICE is in
 *    enum mm_zone_type; remove_pfn_range_from_zone() skips span shrinking for ZONE_DEVICE as the
 *    kernel does. ZONE_DEVICE itself lives in memremap.c/altmap.c/compound.c/nvdimm-pfn.c
 *    (memremap.h): it hooks into __populate_section_memmap() (tail reuse, altmap memmap in a
 *    device file), the poisoning of a piece, page references, lookups and the invariant checker
 *    (26, and 17-24 in zone_device_check_invariants()).
 *  - memory models: pfn_to_page()/page_to_pfn()/pfn_valid() and the section memmap go through
 *    mm->mem_model (struct memory_model_ops); FLATMEM and DISCONTIGMEM have no mem_section, no
 *    memory block and no hotplug (memory_model_check_hotplug()); ZONE_DEVICE needs VMEMMAP
 *    (memory_model_check_zone_device()).
 */
#ifndef PMM_LIBMM_INTERNAL_H
#define PMM_LIBMM_INTERNAL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "mm.h"
#include "page.h"

#ifndef EUCLEAN
#define EUCLEAN 117
#endif

#define SZ_1K   0x400ULL
#define SZ_1M   0x100000ULL
#define SZ_2M   0x200000ULL
#define SZ_16M  0x1000000ULL
#define SZ_128M 0x8000000ULL
#define SZ_256M 0x10000000ULL
#define SZ_512M 0x20000000ULL
#define SZ_1G   0x40000000ULL
#define SZ_2G   0x80000000ULL
#define SZ_4G   0x100000000ULL

#define IS_ALIGNED(x, a)     (((x) & ((a) - 1)) == 0)
#define ALIGN(x, a)          (((x) + ((a) - 1)) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a)     ((x) & ~((uint64_t)(a) - 1))
#define DIV_ROUND_UP(n, d)   (((n) + (d) - 1) / (d))
#define MIN(a, b)            ((a) < (b) ? (a) : (b))
#define MAX(a, b)            ((a) > (b) ? (a) : (b))
#define BITS_PER_LONG        64

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

/* ------------------------------------------------------------------ errors */

#define MM_WHY_LEN 192

/* A failure being described: the errno, its class and one sentence saying what and why. */
struct mm_err {
	int error;
	enum mm_cause cause;
	char why[MM_WHY_LEN];
};

/* Record a failure in *e and return error (a negative errno): `return mm_fail(e, -EINVAL, ...)`. */
int mm_fail(struct mm_err *e, int error, enum mm_cause cause, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Copy a failure into the model's last error and return its errno (0 clears the last error). */
int mm_record(const struct mm_model *mm, const struct mm_err *e);
/* Clear the last error at the start of a public call. */
void mm_clear_error(const struct mm_model *mm);

/* "256 MiB", "3 GiB", "4 KiB"; an exact binary unit when there is one, else hex bytes. */
const char *mm_hsize(uint64_t bytes, char *buf, size_t len);
#define HSIZE(x) mm_hsize((x), (char[40]){ 0 }, 40)

/* --------------------------------------------------------------- constants */

#define SUBSECTION_SHIFT        21          /* every arch: 2 MiB */
#define MAX_NUMNODES            64          /* CONFIG_NODES_SHIFT = 6 (x86_64 default) */
#define NODES_SHIFT             6
#define ZONES_SHIFT             3           /* 5 zones (DMA, DMA32, NORMAL, MOVABLE, DEVICE) */
#define NUMA_NO_NODE            (-1)
#define MAX_SUBSECTIONS_PER_SECTION 256     /* arm64 64K: 512 MiB / 2 MiB */
#define SUBSECTION_MAP_LONGS    (MAX_SUBSECTIONS_PER_SECTION / BITS_PER_LONG)
#define NR_PAGEBLOCK_BITS       8           /* CONFIG_MEMORY_ISOLATION (HOTREMOVE selects it) */
#define MEMMAP_INIT_MAX_THREADS 16          /* mm_params.memmap_init_threads */

/* ------------------------------------------------------------ mem_section */

/*
 * Low bits of mem_section::section_mem_map (include/linux/mmzone.h). Above them sits either the
 * encoded memmap pointer (sparse_encode_mem_map(): address of the section's first struct page
 * minus section start pfn, in struct page units) or, before sparse_init(), the early nid.
 * Invariants: SECTION_MAP_LAST_BIT <= PFN_SECTION_SHIFT; the encoded pointer has no bit below
 * SECTION_MAP_LAST_BIT; HAS_MEM_MAP implies PRESENT and usage != NULL; a section that loses its
 * last subsection is zeroed entirely; IS_EARLY is only ever set by sparse_init().
 */
enum {
	SECTION_MARKED_PRESENT_BIT,
	SECTION_HAS_MEM_MAP_BIT,
	SECTION_IS_ONLINE_BIT,
	SECTION_IS_EARLY_BIT,
	SECTION_TAINT_ZONE_DEVICE_BIT,
	SECTION_MAP_LAST_BIT,
};
#define SECTION_MARKED_PRESENT      (1UL << SECTION_MARKED_PRESENT_BIT)
#define SECTION_HAS_MEM_MAP         (1UL << SECTION_HAS_MEM_MAP_BIT)
#define SECTION_IS_ONLINE           (1UL << SECTION_IS_ONLINE_BIT)
#define SECTION_IS_EARLY            (1UL << SECTION_IS_EARLY_BIT)
#define SECTION_TAINT_ZONE_DEVICE   (1UL << SECTION_TAINT_ZONE_DEVICE_BIT)
#define SECTION_MAP_MASK            (~((1UL << SECTION_MAP_LAST_BIT) - 1))
#define SECTION_NID_SHIFT           SECTION_MAP_LAST_BIT

/*
 * struct mem_section_usage: the subsection bitmap (SUBSECTIONS_PER_SECTION bits are used) and
 * the section's pageblock flags (one byte of NR_PAGEBLOCK_BITS per pageblock).
 * boot_alloc stands for the kernel's PageReserved(virt_to_page(usage)): usage maps allocated by
 * sparse_init() are kept (and reused) when their section empties.
 * subsection_uninit (the model's, not the kernel's): the memmap of the subsection exists but
 * is not initialised: set where page_init_poison() runs (hot-add, offline), cleared by
 * memmap_mark_initialised() before struct pages are initialised. It is what lookups read when
 * the memmap is not poisoned (mm_params.page_init_poisoning false). subsection_fresh (the
 * model's too): the subsection's vmemmap was populated and nothing has written it yet, so it
 * costs no RAM (only tracked when memmap_tracks_fresh()). Invariants: outside early sections,
 * subsection_uninit is a subset of subsection_map; subsection_fresh is a subset of both.
 * memmap_deferred (the model's, mm_params.deferred_struct_page_init): an early section whose
 * memmap and pageblock bits memmap_init() has not written yet; its present subsections are
 * marked uninitialised. Cleared (once, never set again) by the first pfn_to_page() or
 * pageblock_flags_ptr() into the section, which initialise it first.
 */
struct mem_section_usage {
	unsigned long subsection_map[SUBSECTION_MAP_LONGS];
	unsigned long subsection_uninit[SUBSECTION_MAP_LONGS];
	unsigned long subsection_fresh[SUBSECTION_MAP_LONGS];
	bool boot_alloc;
	bool memmap_deferred;
	unsigned char pageblock_flags[];
};

/* 16 bytes, as the kernel's (without CONFIG_PAGE_EXTENSION): SECTIONS_PER_ROOT depends on it. */
struct mem_section {
	unsigned long section_mem_map;
	struct mem_section_usage *usage;
};
_Static_assert(sizeof(struct mem_section) == 16, "struct mem_section is two words");

/* Pageblock flag byte: migratetype in bits 0-2, then PB_compact_skip, PB_migrate_isolate. */
enum migratetype {
	MIGRATE_UNMOVABLE,
	MIGRATE_MOVABLE,
	MIGRATE_RECLAIMABLE,
};
#define PB_MIGRATETYPE_MASK 0x7u
#define PB_COMPACT_SKIP     0x8u
#define PB_MIGRATE_ISOLATE  0x10u

/* ---------------------------------------------------------------- vmemmap */

/*
 * The virtually contiguous memmap: one PROT_NONE|MAP_NORESERVE reservation of max_pfn * 64
 * bytes (or the largest power of two below that the process can get), MADV_HUGEPAGE'd so that
 * populated section memmaps become PMD-mapped as the kernel's are. vmemmap + pfn is pfn's
 * struct page. Populated host pages are PROT_READ|PROT_WRITE, everything else PROT_NONE.
 * Invariant: nr_populated == the number of host pages holding memmap of some valid subsection
 * (early sections count whole), which is what mm_stats.memmap_resident_bytes reports.
 * Other memory models reserve no area: base/area NULL, end_pfn = max_pfn.
 */
struct vmemmap {
	struct page *base;         /* the kernel's `vmemmap`: struct page of pfn 0 */
	void *area;
	size_t area_len;
	uint64_t end_pfn;          /* pfns >= end_pfn have no slot: adds there fail -E2BIG */
	size_t host_page_size;
	uint64_t nr_populated;     /* host pages made RW */
	uint64_t nr_fresh;         /* of those, never written (subsection_fresh); atomic: init threads */
	bool thp;                  /* MADV_HUGEPAGE was accepted */
};

/* ----------------------------------------------------------------- altmap */

/*
 * struct vmem_altmap, pfn units. Invariant: alloc + align <= free; pfns handed out lie in
 * [base_pfn + reserve, base_pfn + reserve + free); a full teardown brings alloc back to 0.
 */
struct vmem_altmap {
	uint64_t base_pfn;
	uint64_t end_pfn;
	uint64_t reserve;
	uint64_t free;
	uint64_t align;
	uint64_t alloc;
	bool inaccessible;
};

static inline uint64_t vmem_altmap_offset(const struct vmem_altmap *a)
{
	return a ? a->reserve + a->free : 0;
}

static inline uint64_t vmem_altmap_nr_free(const struct vmem_altmap *a)
{
	return a->free > a->alloc + a->align ? a->free - (a->alloc + a->align) : 0;
}

/* ------------------------------------------------------------ zones, nodes */

/*
 * struct zone: spans are [zone_start_pfn, zone_start_pfn + spanned_pages) and include holes;
 * an empty zone has spanned_pages == 0 (and start 0). present_early_pages counts pages of early
 * (boot) sections, the KERNEL_EARLY of the auto-movable policy. Invariants: spans cover every
 * online pfn of the zone; managed <= present <= spanned.
 */
struct zone {
	enum mm_zone_type idx;
	int nid;
	uint64_t zone_start_pfn;
	uint64_t spanned_pages;
	uint64_t present_pages;
	uint64_t present_early_pages;
	uint64_t managed_pages;
	unsigned char *pageblock_flags;  /* !SPARSEMEM only (setup_usemap()): a byte per pageblock */
};

/* struct pglist_data: the node span is the union of its zones' spans (update_pgdat_span()). */
struct pglist_data {
	int node_id;
	bool online;                 /* node_online() */
	uint64_t node_start_pfn;
	uint64_t node_spanned_pages;
	uint64_t node_present_pages;
	struct zone node_zones[MAX_NR_ZONES];
	struct page *node_mem_map;   /* !SPARSEMEM (alloc_node_mem_map()): page of node_start_pfn */
};

static inline uint64_t zone_end_pfn(const struct zone *z)
{
	return z->zone_start_pfn + z->spanned_pages;
}

static inline bool zone_is_empty(const struct zone *z)
{
	return z->spanned_pages == 0;
}

static inline bool populated_zone(const struct zone *z)
{
	return z->present_pages != 0;
}

static inline uint64_t pgdat_end_pfn(const struct pglist_data *p)
{
	return p->node_start_pfn + p->node_spanned_pages;
}

/* ----------------------------------------------------------- memory blocks */

/* A sparse index keyed by a 64-bit id (a radix tree of 64-slot nodes, like the xarray). */
struct xa_node;
struct xarray {
	struct xa_node *head;
};
void *xa_load(const struct xarray *xa, uint64_t index);
int xa_store(struct xarray *xa, uint64_t index, void *entry);  /* 0 or -ENOMEM */
void *xa_erase(struct xarray *xa, uint64_t index);
/* First entry with index >= *index (updated), NULL if none. */
void *xa_find(const struct xarray *xa, uint64_t *index);
void xa_destroy(struct xarray *xa);

/*
 * struct memory_block (drivers/base/memory.c). id = start_section_nr / sections_per_block.
 * Invariants: state is MEM_ONLINE or MEM_OFFLINE between calls (GOING_OFFLINE only inside an
 * offline); zone != NULL iff online and the block lies in a single zone of a single node;
 * altmap != NULL only for memmap_on_memory blocks (its free pfns are the block's first pfns).
 */
struct memory_block {
	uint64_t start_section_nr;
	enum mm_block_state state;
	int nid;
	struct zone *zone;
	struct vmem_altmap *altmap;
	bool early;                 /* registered at boot by memory_dev_init() */
};

/* ------------------------------------------------------- memblock, ranges */

/* A memblock.memory region (boot RAM), page aligned; regions are sorted and disjoint. */
struct memblock_region {
	uint64_t base;
	uint64_t size;
	int nid;
};

/*
 * A hot-added range: the iomem "System RAM" resource of one add_memory(), or (phase 2) a
 * ZONE_DEVICE pgmap. Kept sorted by start, disjoint, never overlapping boot RAM. ids come from
 * mm->next_range_id and are never reused.
 */
struct dev_pagemap;
struct zone_device;

struct mm_resource {
	uint64_t id;
	uint64_t start, end;        /* [start, end) in bytes */
	int nid;
	bool device;
	bool memmap_on_memory;      /* System RAM added with per-block altmaps */
	bool mergeable;             /* IORESOURCE_SYSRAM_MERGEABLE (MHP_MERGE_RESOURCE) */
	struct dev_pagemap *pgmap;  /* device ranges (memremap.h) */
};

/* ----------------------------------------------------------- memory models */

/*
 * A memory model's operations (include/asm-generic/memory_model.h, the per-model halves of
 * mm/sparse.c and mm/sparse-vmemmap.c, alloc_node_mem_map()), chosen once by mm_model_create()
 * from mm_params.model; memory_model.h has the same arithmetic inline for callers that know the
 * model. Invariants: sparse <=> mem_section, memory blocks and hotplug exist; subsections and
 * zone_device only for SPARSEMEM_VMEMMAP; !numa => only node 0 has memory; pfn_to_page() and
 * page_to_pfn() are inverse on every pfn_valid() pfn and check nothing themselves.
 */
struct memory_model_ops {
	enum mm_memory_model model;
	const char *name;              /* the Kconfig spelling, for messages: "FLATMEM" */
	bool sparse, subsections, zone_device, numa;

	struct page *(*pfn_to_page)(const struct mm_model *mm, uint64_t pfn);
	uint64_t (*page_to_pfn)(const struct mm_model *mm, const struct page *page);
	bool (*pfn_valid)(const struct mm_model *mm, uint64_t pfn);
	/* page lies in a memmap this model holds (mm_page_to_pfn() refuses anything else) */
	bool (*page_in_memmap)(const struct mm_model *mm, const struct page *page);

	/* SPARSEMEM: a whole early section's memmap at boot, a hot-added piece's at hot-add */
	int (*populate_boot)(struct mm_model *mm, uint64_t pfn, int nid, struct page **memmap);
	void (*free_bootmem)(struct mm_model *mm, uint64_t section_pfn);
	int (*populate)(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages, int nid,
			struct vmem_altmap *altmap, struct page **memmap);
	void (*depopulate)(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
			   struct vmem_altmap *altmap);
	/* !SPARSEMEM: alloc_node_mem_map() + setup_usemap(), once node and zone spans are known */
	int (*alloc_node_mem_map)(struct mm_model *mm, struct mm_err *err);

	int (*init)(struct mm_model *mm);      /* mm_model_create(): the model's storage */
	void (*teardown)(struct mm_model *mm); /* forget every memmap (a failed boot) */
	void (*release)(struct mm_model *mm);  /* give everything back (mm_model_destroy()) */
	int (*check)(const struct mm_model *mm, char *buf, size_t len); /* own invariants, or NULL */
};

/* ------------------------------------------------------------------ model */

struct mm_model {
	struct mm_params params;
	const struct mm_arch *arch;
	struct mm_geometry geo;
	struct page_flags_layout pfl;
	uint64_t mem_section_size;          /* the modelled sizeof(struct mem_section): 16 or 32 */
	uint64_t pmd_size;                  /* the modelled arch's PMD_SIZE */
	uint64_t max_zone_pfn[ZONE_NORMAL + 1]; /* arch zone limits (exclusive end pfns) */
	bool x86_subsection_ignores_altmap;  /* x86 vmemmap_populate: sub-section => no altmap */
	const struct memory_model_ops *mem_model;
	/*
	 * A linear memmap's struct page of pfn 0 (VMEMMAP: vmemmap; FLATMEM once booted: mem_map -
	 * ARCH_PFN_OFFSET, as an integer since it may point into nothing), else 0: pfn_to_page()'s
	 * inline fast path, always equal to what mem_model->pfn_to_page() computes.
	 */
	uintptr_t memmap_linear;

	/*
	 * SPARSEMEM_EXTREME/VMEMMAP: NR_SECTION_ROOTS pointers, each root PAGE_SIZE worth of
	 * sections. Static SPARSEMEM: mem_section_static is the flat NR_MEM_SECTIONS array (reserved,
	 * unbacked until touched) and each "root" points at a host page of it once a section there
	 * was written, so walkers skip untouched parts alike. FLATMEM/DISCONTIGMEM: none (NULL, 0).
	 */
	struct mem_section **mem_section;
	uint64_t sections_per_root_alloc;   /* sections per root pointer */
	unsigned int section_root_shift;    /* log2(sections_per_root_alloc) */
	unsigned int pfn_root_shift;        /* pfn >> this is the pfn's root: the kernel's constant
					       PFN_SECTION_SHIFT + log2(SECTIONS_PER_ROOT) */
	uint64_t nr_section_roots_alloc;    /* root pointers */
	uint64_t section_roots_hwm;         /* no root at or above this index was ever set */
	struct mem_section *mem_section_static;
	int64_t highest_present_section_nr; /* -1 until the first section is present; monotonic */

	/* FLATMEM: page of pfn = mem_map + (pfn - ARCH_PFN_OFFSET); valid below max_mapnr */
	struct page *mem_map;
	uint64_t arch_pfn_offset, max_mapnr;
	/* DISCONTIGMEM: arch pfn_to_nid(): memnodemap[pfn >> memnode_shift], -1 for no node */
	signed char *memnodemap;
	uint64_t memnodemapsize;
	unsigned int memnode_shift;
	/* mappings behind node_mem_map (FLATMEM: node 0's is mem_map) */
	struct { void *addr; size_t len; } node_mem_map_area[MAX_NUMNODES];
	/* memmap held outside the vmemmap area (classic section arrays, mem_map), in bytes */
	uint64_t memmap_alloc_bytes;

	struct vmemmap vmemmap;

	struct memblock_region *memblock;
	size_t nr_memblock, memblock_cap;
	bool booted;
	/*
	 * memmap_init()'s walk as boot made it (boot.c), kept while sections are deferred so
	 * that a section initialised late gets the zones and holes of boot, whatever the zones
	 * span by then. nr_memmap_deferred: early sections still memmap_deferred, read without
	 * the section lookup on every pfn_to_page() (atomic: init threads).
	 */
	struct memmap_boot_run *boot_runs;
	size_t nr_boot_runs;
	uint64_t nr_memmap_deferred;

	struct pglist_data node_data[MAX_NUMNODES];

	struct xarray memory_blocks;
	size_t nr_memory_blocks;

	struct mm_resource *resources;
	size_t nr_resources, resources_cap;
	uint64_t next_range_id;

	/* memmap accounting, in struct pages */
	uint64_t nr_memmap_boot;            /* early sections (whole sections) */
	uint64_t nr_memmap_ram;             /* populated from RAM by hotplug */
	uint64_t nr_memmap_altmap;          /* placed through a vmem_altmap */

	/* ZONE_DEVICE: pgmaps being added, vmemmap sharing, altmap leaks (memremap.h); NULL
	 * until the first memremap */
	struct zone_device *zone_device;

	struct mm_err err;                  /* the last failure; written by const calls too */
};

/* The model's error slot is logically mutable: lookups and plans on a const model use it. */
static inline struct mm_err *mm_errp(const struct mm_model *mm)
{
	return (struct mm_err *)&mm->err;
}

/* ------------------------------------------------------------- geometry */

#define PAGES_PER_SECTION(mm)        ((mm)->geo.pages_per_section)
#define PAGES_PER_SUBSECTION(mm)     ((mm)->geo.pages_per_subsection)
#define pageblock_nr_pages(mm)       ((mm)->geo.pageblock_nr_pages)
#define PAGE_SHIFT(mm)               ((mm)->geo.page_shift)
#define PAGE_SIZE(mm)                ((mm)->geo.page_size)

static inline uint64_t PFN_PHYS(const struct mm_model *mm, uint64_t pfn)
{
	return pfn << mm->geo.page_shift;
}

static inline uint64_t PHYS_PFN(const struct mm_model *mm, uint64_t addr)
{
	return addr >> mm->geo.page_shift;
}

static inline uint64_t pfn_to_section_nr(const struct mm_model *mm, uint64_t pfn)
{
	return pfn >> mm->geo.pfn_section_shift;
}

static inline uint64_t section_nr_to_pfn(const struct mm_model *mm, uint64_t nr)
{
	return nr << mm->geo.pfn_section_shift;
}

static inline uint64_t SECTION_ALIGN_UP(const struct mm_model *mm, uint64_t pfn)
{
	return ALIGN(pfn, mm->geo.pages_per_section);
}

static inline uint64_t SECTION_ALIGN_DOWN(const struct mm_model *mm, uint64_t pfn)
{
	return ALIGN_DOWN(pfn, mm->geo.pages_per_section);
}

static inline bool pageblock_aligned(const struct mm_model *mm, uint64_t pfn)
{
	return IS_ALIGNED(pfn, mm->geo.pageblock_nr_pages);
}

static inline uint64_t pages_per_block(const struct mm_model *mm)
{
	return mm->geo.block_size >> mm->geo.page_shift;
}

/* Memory block id of a pfn / a section (block id = phys / block size). */
static inline uint64_t pfn_to_block_id(const struct mm_model *mm, uint64_t pfn)
{
	return pfn / pages_per_block(mm);
}

static inline uint64_t memory_block_id(const struct mm_model *mm, uint64_t section_nr)
{
	return section_nr / mm->geo.sections_per_block;
}

/* geometry.c */
int mm_geometry_compute(const struct mm_params *p, struct mm_geometry *g, struct mm_err *err);
void arch_zone_limits(const struct mm_arch *arch, uint64_t page_shift, uint64_t max_pfn,
		      uint64_t max_zone_pfn[ZONE_NORMAL + 1]);
void page_flags_layout_init(struct page_flags_layout *l, const struct mm_geometry *g,
			    enum mm_memory_model model);
bool arch_is_x86(const struct mm_arch *arch);

/* ------------------------------------------------------------- section.c */

int sparse_index_init(struct mm_model *mm, uint64_t section_nr);
struct mem_section *__nr_to_section(const struct mm_model *mm, uint64_t nr);
/* the root pointer array (static: also the flat array); freeing also frees every usage map */
int mem_section_roots_alloc(struct mm_model *mm, bool static_array);
void mem_section_roots_free(struct mm_model *mm);

static inline struct mem_section *__pfn_to_section(const struct mm_model *mm, uint64_t pfn)
{
	return __nr_to_section(mm, pfn_to_section_nr(mm, pfn));
}

static inline bool present_section(const struct mem_section *ms)
{
	return ms && (ms->section_mem_map & SECTION_MARKED_PRESENT);
}

static inline bool valid_section(const struct mem_section *ms)
{
	return ms && (ms->section_mem_map & SECTION_HAS_MEM_MAP);
}

static inline bool online_section(const struct mem_section *ms)
{
	return ms && (ms->section_mem_map & SECTION_IS_ONLINE);
}

static inline bool early_section(const struct mem_section *ms)
{
	return ms && (ms->section_mem_map & SECTION_IS_EARLY);
}

static inline bool online_device_section(const struct mem_section *ms)
{
	unsigned long flags = SECTION_IS_ONLINE | SECTION_TAINT_ZONE_DEVICE;

	return ms && ((ms->section_mem_map & flags) == flags);
}

static inline unsigned int subsection_map_index(const struct mm_model *mm, uint64_t pfn)
{
	return (unsigned int)((pfn & (mm->geo.pages_per_section - 1)) /
			      mm->geo.pages_per_subsection);
}

static inline bool test_bit_ul(unsigned int nr, const unsigned long *map)
{
	return (map[nr / BITS_PER_LONG] >> (nr % BITS_PER_LONG)) & 1UL;
}

/* pfn_section_valid(): the subsection bit of pfn (usage NULL reads as clear). */
bool pfn_section_valid(const struct mm_model *mm, const struct mem_section *ms, uint64_t pfn);
void __section_mark_present(struct mm_model *mm, struct mem_section *ms, uint64_t nr);
unsigned long sparse_encode_mem_map(const struct mm_model *mm, struct page *mem_map,
				    uint64_t pnum);
struct page *sparse_decode_mem_map(const struct mm_model *mm, unsigned long coded,
				   uint64_t pnum);
unsigned long sparse_encode_early_nid(int nid);
int sparse_early_nid(const struct mem_section *ms);
void subsection_mask_set(const struct mm_model *mm, unsigned long *map, uint64_t pfn,
			 uint64_t nr_pages);
int fill_subsection_map(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages);
int clear_subsection_map(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages);
bool is_subsection_map_empty(const struct mm_model *mm, const struct mem_section *ms);
unsigned int subsection_weight(const struct mm_model *mm, const struct mem_section *ms);
size_t mem_section_usage_size(const struct mm_model *mm);
struct mem_section_usage *mem_section_usage_alloc(const struct mm_model *mm, bool boot);
void online_mem_sections(struct mm_model *mm, uint64_t start_pfn, uint64_t end_pfn);
void offline_mem_sections(struct mm_model *mm, uint64_t start_pfn, uint64_t end_pfn);
/* next_present_section_nr(): first present section > nr, -1 when none (up to the highest). */
int64_t next_present_section_nr(const struct mm_model *mm, int64_t nr);
#define for_each_present_section_nr(mm, nr)					\
	for ((nr) = next_present_section_nr((mm), -1); (nr) >= 0;		\
	     (nr) = next_present_section_nr((mm), (nr)))

/* -------------------------------------------------------------- sparse.c */

int sparse_add_section(struct mm_model *mm, int nid, uint64_t start_pfn, uint64_t nr_pages,
		       struct vmem_altmap *altmap);
void sparse_remove_section(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
			   struct vmem_altmap *altmap);
/* __add_pages()/__remove_pages(): cut at section boundaries; a failed add is rolled back. */
int __add_pages(struct mm_model *mm, int nid, uint64_t pfn, uint64_t nr_pages,
		struct vmem_altmap *altmap, struct mm_err *err);
void __remove_pages(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
		    struct vmem_altmap *altmap);
/* check_pfn_span(): subsection (VMEMMAP) or section (classic) granularity */
int check_pfn_span(const struct mm_model *mm, uint64_t pfn, uint64_t nr_pages);
/* boot: memory_present() per memblock range, then sparse_init(), subsection_map_init() */
int memory_present(struct mm_model *mm, int nid, uint64_t start_pfn, uint64_t end_pfn);
int sparse_init(struct mm_model *mm, struct mm_err *err);
void subsection_map_init(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages);
/* tear every section down (boot failure, destroy) */
void sparse_teardown(struct mm_model *mm);

/* ----------------------------------------------------- sparse-vmemmap.c */

int __populate_section_memmap(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
			      int nid, struct vmem_altmap *altmap);
void depopulate_section_memmap(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
			       struct vmem_altmap *altmap);
/* boot memmap of a whole early section */
int populate_boot_section_memmap(struct mm_model *mm, uint64_t pfn);
void free_map_bootmem(struct mm_model *mm, uint64_t section_pfn);
/* whether populating [pfn, pfn+nr) with this altmap takes its memmap from the altmap */
bool vmemmap_uses_altmap(const struct mm_model *mm, uint64_t nr_pages,
			 const struct vmem_altmap *altmap);
/* altmap pfns a populate of nr_pages takes (PMD chunks or base pages) */
uint64_t vmemmap_altmap_pages(const struct mm_model *mm, uint64_t nr_pages);
int altmap_alloc_block_buf(struct vmem_altmap *altmap, uint64_t nr_pfns, uint64_t *pfn);
void vmem_altmap_free(struct vmem_altmap *altmap, uint64_t nr_pfns);
/* host pages holding the memmap of the subsection at pfn are in use (valid subsection) */
bool subsection_memmap_in_use(const struct mm_model *mm, uint64_t pfn);

/* ------------------------------------------------------------- vmemmap.c */

int vmemmap_reserve(struct mm_model *mm);
void vmemmap_release(struct mm_model *mm);
/* make host pages [first, first+nr) of the area RW / give them back (DONTNEED + PROT_NONE) */
int vmemmap_map_host_pages(struct mm_model *mm, uint64_t first, uint64_t nr);
void vmemmap_unmap_host_pages(struct mm_model *mm, uint64_t first, uint64_t nr);

/* ------------------------------------------------------ memory model dispatch */

/*
 * pfn_to_page()/page_to_pfn() of the model: inline arithmetic for a linear memmap (VMEMMAP,
 * FLATMEM), one call through mm->mem_model otherwise (classic SPARSEMEM, DISCONTIGMEM).
 */
/* boot.c: a section whose memmap is still deferred; initialise the section of pfn if so */
bool section_memmap_deferred(const struct mem_section *ms);
void memmap_deferred_touch(const struct mm_model *mm, uint64_t pfn);
/* the zone (and *nid) boot's memmap_init() gives pfn while its section is deferred; -1: none */
int memmap_boot_zone(const struct mm_model *mm, uint64_t pfn, int *nid);

static inline struct page *__pfn_to_page(const struct mm_model *mm, uint64_t pfn)
{
	if (__builtin_expect(mm->memmap_linear != 0, 1))
		return (struct page *)(mm->memmap_linear + (uintptr_t)pfn * sizeof(struct page));
	return mm->mem_model->pfn_to_page(mm, pfn);
}

/*
 * The struct page of pfn, initialised first if its section's memmap is still deferred
 * (mm_params.deferred_struct_page_init): every reader of the memmap comes through here, so
 * none sees a deferred page. __pfn_to_page() is the address alone, for code that must not
 * initialise (the invariants, the initialisation itself).
 */
static inline struct page *pfn_to_page(const struct mm_model *mm, uint64_t pfn)
{
	if (__builtin_expect(__atomic_load_n(&mm->nr_memmap_deferred, __ATOMIC_RELAXED) != 0, 0))
		memmap_deferred_touch(mm, pfn);
	return __pfn_to_page(mm, pfn);
}

static inline uint64_t page_to_pfn(const struct mm_model *mm, const struct page *page)
{
	if (__builtin_expect(mm->memmap_linear != 0, 1))
		return ((uintptr_t)page - mm->memmap_linear) / sizeof(struct page);
	return mm->mem_model->page_to_pfn(mm, page);
}

/* the model has mem_section (and memory blocks, hotplug); VMEMMAP also subsections */
static inline bool memory_model_sparse(const struct mm_model *mm)
{
	return mm->mem_model->sparse;
}

static inline bool memory_model_subsections(const struct mm_model *mm)
{
	return mm->mem_model->subsections;
}

/* memory_model.c */
const struct memory_model_ops *memory_model_ops(enum mm_memory_model model);
/* -EOPNOTSUPP naming the model unless it has memory hotplug (SPARSEMEM) / ZONE_DEVICE (VMEMMAP) */
int memory_model_check_hotplug(const struct mm_model *mm, const char *what, struct mm_err *err);
int memory_model_check_zone_device(const struct mm_model *mm, const char *what,
				   struct mm_err *err);
extern const struct memory_model_ops memory_model_vmemmap;

/* sparse.c: classic SPARSEMEM, and what every SPARSEMEM model shares */
extern const struct memory_model_ops memory_model_sparse_static;
extern const struct memory_model_ops memory_model_sparse_extreme;
void sparse_release(struct mm_model *mm);

/* flatmem.c, discontig.c */
extern const struct memory_model_ops memory_model_flatmem;
extern const struct memory_model_ops memory_model_discontigmem;
/* alloc_node_mem_map() of one node: mem_map for [start, end) rounded to MAX_ORDER_NR_PAGES */
int alloc_node_mem_map(struct mm_model *mm, int nid, struct mm_err *err);
/* setup_usemap() for every zone of every node; the zone's pageblock byte of pfn */
int setup_zone_usemaps(struct mm_model *mm, struct mm_err *err);
unsigned char *zone_pageblock_flags_ptr(const struct mm_model *mm, uint64_t pfn);
/* first_valid_pfn() of FLATMEM/DISCONTIGMEM: the first valid pfn in [pfn, end_pfn), else end */
uint64_t memmap_first_valid_pfn(const struct mm_model *mm, uint64_t pfn, uint64_t end_pfn);
/* free node_mem_maps and zone usemaps (teardown and release of FLATMEM/DISCONTIGMEM) */
void free_node_mem_maps(struct mm_model *mm);
/* mem_map is no bigger than boot RAM can give (memmap_alloc() from memblock) */
int check_node_mem_map_fits(const struct mm_model *mm, uint64_t map_bytes, struct mm_err *err);
int flatmem_check_node_pages(const struct mm_model *mm, int nid, char *buf, size_t len);

/* ------------------------------------------------------------- mm_init.c */

enum meminit_context {
	MEMINIT_EARLY,
	MEMINIT_HOTPLUG,
};

void __init_single_page(const struct mm_model *mm, struct page *page, uint64_t pfn,
			enum mm_zone_type zone, int nid);
void memmap_init_range(struct mm_model *mm, uint64_t size, int nid, enum mm_zone_type zone,
		       uint64_t start_pfn, enum meminit_context context,
		       enum migratetype migratetype);
void init_unavailable_range(struct mm_model *mm, uint64_t spfn, uint64_t epfn,
			    enum mm_zone_type zone, int nid);
unsigned char *pageblock_flags_ptr(const struct mm_model *mm, uint64_t pfn);
void set_pageblock_migratetype(struct mm_model *mm, uint64_t pfn, enum migratetype mt);
int get_pageblock_migratetype(const struct mm_model *mm, uint64_t pfn);
/*
 * The memmap of [pfn, pfn+nr) becomes uninitialised (remove_pfn_range_from_zone(),
 * sparse_add_section()): its subsections are marked in the usage map and, with
 * page_init_poisoning, the struct pages are poisoned.
 */
void poison_pfn_range(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages);
/*
 * About to initialise the struct pages of [pfn, pfn+nr): clear the uninitialised mark of every
 * subsection it touches, poisoning the parts of those subsections outside the range (they stay
 * uninitialised, and without the mark only their content can say so).
 */
void memmap_mark_initialised(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages);
/*
 * Deferred struct page init (mm_params.deferred_struct_page_init): mark the early section at
 * pfn0 uninitialised, its present subsections fresh (mm_init.c); boot.c keeps the rest.
 */
void memmap_defer_section(struct mm_model *mm, uint64_t pfn0);
/* the memmap of [pfn, pfn+nr) is going away: forget its uninitialised marks */
void memmap_forget_uninit(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages);
/*
 * The struct page of a valid pfn holds no initialised page: poisoned, or in a subsection
 * marked uninitialised. What every reader of the memmap asks instead of PagePoisoned().
 */
bool pfn_memmap_uninitialised(const struct mm_model *mm, uint64_t pfn);
/*
 * Fresh memmap: the anonymous vmemmap of [pfn, pfn+nr) was just populated and, without
 * poisoning, nothing writes it before it is initialised: it costs no RAM until then, which
 * mm_stats.memmap_resident_bytes must not hide. memmap_tracks_fresh(): host pages per
 * subsection when tracked (VMEMMAP, no poisoning, a subsection's memmap is whole host pages),
 * else 0. Forgetting (depopulate) clears the bits without counting the pages as written.
 */
uint64_t memmap_tracks_fresh(const struct mm_model *mm);
void memmap_mark_fresh(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages);
void memmap_forget_fresh(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages);
/*
 * Run fn(mm, pfn, nr, arg) over [pfn, pfn + nr) cut at section boundaries, on up to
 * memmap_init_threads threads when the range is large; returns when every piece is done.
 * fn may only write the struct pages and section state of its own piece.
 */
void memmap_init_parallel(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
			  void (*fn)(struct mm_model *mm, uint64_t pfn, uint64_t nr, void *arg),
			  void *arg);

/* ---------------------------------------------------------------- boot.c */

/* pages of boot RAM (memblock.memory) inside [start_pfn, end_pfn) */
uint64_t memblock_pages_in(const struct mm_model *mm, uint64_t start_pfn, uint64_t end_pfn);
bool memblock_overlaps(const struct mm_model *mm, uint64_t start, uint64_t end,
		       const struct memblock_region **hit);

/* ---------------------------------------------------------------- zone.c */

bool zone_intersects(const struct zone *zone, uint64_t start_pfn, uint64_t nr_pages);
struct zone *page_zone(const struct mm_model *mm, const struct page *page);
struct zone *zone_for_pfn_range(const struct mm_model *mm, struct pglist_data *nodes,
				enum mm_online_type type, int nid, uint64_t start_pfn,
				uint64_t nr_pages);
void resize_zone_range(struct zone *zone, uint64_t start_pfn, uint64_t nr_pages);
void resize_pgdat_range(struct pglist_data *pgdat, uint64_t start_pfn, uint64_t nr_pages);
void adjust_present_page_count(const struct mm_model *mm, struct pglist_data *nodes,
			       struct zone *zone, uint64_t pfn, int64_t nr_pages);
void adjust_managed_page_count(struct zone *zone, int64_t nr_pages);
void move_pfn_range_to_zone(struct mm_model *mm, struct zone *zone, uint64_t start_pfn,
			    uint64_t nr_pages, enum migratetype migratetype);
void remove_pfn_range_from_zone(struct mm_model *mm, struct zone *zone, uint64_t start_pfn,
				uint64_t nr_pages);
void update_pgdat_span(struct pglist_data *pgdat);

/* -------------------------------------------------------- memory_block.c */

struct memory_block *find_memory_block_by_id(const struct mm_model *mm, uint64_t id);
int add_memory_block(struct mm_model *mm, uint64_t block_id, enum mm_block_state state,
		     int nid, struct vmem_altmap *altmap, bool early);
void remove_memory_block(struct mm_model *mm, uint64_t block_id);
int create_memory_block_devices(struct mm_model *mm, uint64_t start, uint64_t size, int nid,
				struct vmem_altmap *altmap);
void remove_memory_block_devices(struct mm_model *mm, uint64_t start, uint64_t size);
void memory_block_fill_info(const struct mm_model *mm, uint64_t id,
			    const struct memory_block *mem, struct mm_block_info *out);
static inline uint64_t memory_block_start_pfn(const struct mm_model *mm,
					      const struct memory_block *mem)
{
	return section_nr_to_pfn(mm, mem->start_section_nr);
}
/* iterate blocks in id order: `for (id = 0; (mem = next_memory_block(mm, &id)); id++)` */
struct memory_block *next_memory_block(const struct mm_model *mm, uint64_t *id);
void memory_blocks_destroy(struct mm_model *mm);

/* ------------------------------------------------------------ resource.c */

/* System RAM pages (boot memblock + hot-added RAM) in [start_pfn, start_pfn + nr). */
uint64_t walk_system_ram_range(const struct mm_model *mm, uint64_t start_pfn, uint64_t nr_pages);
/* first resource overlapping [start, end), NULL if none */
struct mm_resource *resource_overlapping(const struct mm_model *mm, uint64_t start, uint64_t end);
struct mm_resource *resource_find_id(const struct mm_model *mm, uint64_t id);
int resources_reserve(struct mm_model *mm, size_t extra);
/* insert (capacity must be reserved); with merge, coalesce with adjacent mergeable RAM */
struct mm_resource *resource_insert(struct mm_model *mm, const struct mm_resource *r);
/* release_mem_region_adjustable() over RAM resources: trim, split (tail gets a new id), drop */
void release_mem_region_adjustable(struct mm_model *mm, uint64_t start, uint64_t end);
void resource_fill_info(const struct mm_model *mm, const struct mm_resource *r,
			struct mm_range_info *out);

/* ---------------------------------------------------------------- lookup.c */

bool pfn_valid(const struct mm_model *mm, uint64_t pfn);
/* the generic SPARSEMEM pfn_valid() (VMEMMAP and classic alike, through pfn_section_valid()) */
bool sparse_pfn_valid(const struct mm_model *mm, uint64_t pfn);
struct page *pfn_to_online_page(const struct mm_model *mm, uint64_t pfn);

/* ------------------------------------------------------------------ plans */

void plan_init(struct mm_plan *out);
void plan_set_error(struct mm_plan *out, const struct mm_err *err);

#endif /* PMM_LIBMM_INTERNAL_H */
