/* SPDX-License-Identifier: MIT */
/*
 * ZONE_DEVICE internals (include/linux/memremap.h, mm/memremap.c, mm/sparse-vmemmap.c's
 * compound devmaps, drivers/nvdimm/pfn_devs.c): struct dev_pagemap, the device side of the
 * model's state, and the functions memremap.c, altmap.c, compound.c and nvdimm-pfn.c share
 * with the rest of libmm. Included by internal.h's users that hook ZONE_DEVICE in (populate,
 * poison, page references, lookups, invariants).
 */
#ifndef PMM_LIBMM_MEMREMAP_H
#define PMM_LIBMM_MEMREMAP_H

#include "internal.h"

/* pgmap->flags: the embedded altmap is in use (pgmap_altmap()). */
#define PGMAP_ALTMAP_VALID   (1UL << 0)

/* vmemmap pages kept real per compound page when the tails are deduplicated (page 0, page 1). */
#define VMEMMAP_RESERVE_NR   2

/* folio order lives in the low byte of the first tail page's flags (folio->_flags_1). */
#define COMPOUND_ORDER_MASK  0xffUL

struct vmemmap_dedup;

/*
 * struct dev_pagemap: one range per pgmap (the model's nr_range is 1).
 *
 * The percpu_ref is kept as counters: the base reference (held while !dying), ref_bulk (the
 * pfn_len() references memremap_pages() takes after memmap_init_zone_device() for every device
 * page, or compound page, of types other than PRIVATE/COHERENT; memunmap_pages() drops them)
 * and ref_pages (one per page reference a caller holds through mm_get_pages(): the
 * get_dev_pagemap() reference that pins the device while the page is used).
 *
 * Invariants: [start_pfn, start_pfn + nr_pages) is subsection aligned and is exactly the
 * range of the device mm_resource pointing here; with PGMAP_ALTMAP_VALID, altmap.base_pfn ==
 * start_pfn and reserve + free <= nr_pages (22); device pages are [pgmap_pfn_first(), end)
 * (23), each folio head carries page->pgmap == this pgmap and every tail compound_head ==
 * head | 1; ref_pages == the sum over device folios of (refcount - idle refcount) (18, 19);
 * memmap_fd >= 0 only with an altmap; dedup != NULL only when vmemmap_can_optimize(); with
 * zero tails (vmemmap_zero_tails()) every initialised tail is all zero bytes in the memmap.
 */
struct dev_pagemap {
	uint64_t id;                    /* the device range's id */
	enum mm_pgmap_type type;
	int nid;
	unsigned long flags;            /* PGMAP_ALTMAP_VALID */
	struct vmem_altmap altmap;
	unsigned int vmemmap_shift;     /* compound order, 0 for base pages */
	bool ops_page_free, ops_migrate_to_ram, owner;
	uint64_t start_pfn, nr_pages;
	uint64_t ref_bulk, ref_pages;
	bool dying;                     /* percpu_ref_kill() done: no new references */
	uint64_t nr_freed;              /* folios handed back at their last put (page_free(),
					   refcount reset, wakeup) */
	uint64_t memmap_bytes;          /* memmap this range really holds (dedup-aware) */
	int memmap_fd;                  /* device storage for the altmap memmap, -1 if none */
	uint64_t memmap_fd_offset;      /* file offset of start_pfn in memmap_fd */
	struct vmemmap_dedup *dedup;    /* compound vmemmap tail reuse, NULL if none */
};

/* pgmap_vmemmap_nr(): pages per folio. */
static inline uint64_t pgmap_vmemmap_nr(const struct dev_pagemap *pgmap)
{
	return 1ULL << pgmap->vmemmap_shift;
}

/* pgmap_altmap(): the altmap when PGMAP_ALTMAP_VALID. */
static inline struct vmem_altmap *pgmap_altmap(struct dev_pagemap *pgmap)
{
	return pgmap && (pgmap->flags & PGMAP_ALTMAP_VALID) ? &pgmap->altmap : NULL;
}

static inline const struct vmem_altmap *pgmap_altmap_const(const struct dev_pagemap *pgmap)
{
	return pgmap && (pgmap->flags & PGMAP_ALTMAP_VALID) ? &pgmap->altmap : NULL;
}

/* pfn_first(): the first device page; the reserve and free pfns before it hold metadata. */
static inline uint64_t pgmap_pfn_first(const struct dev_pagemap *pgmap)
{
	return pgmap->start_pfn + vmem_altmap_offset(pgmap_altmap_const(pgmap));
}

static inline uint64_t pgmap_pfn_end(const struct dev_pagemap *pgmap)
{
	return pgmap->start_pfn + pgmap->nr_pages;
}

/* pgmap_pfn_valid(): a device page of this pgmap. */
static inline bool pgmap_pfn_valid(const struct dev_pagemap *pgmap, uint64_t pfn)
{
	return pfn >= pgmap_pfn_first(pgmap) && pfn < pgmap_pfn_end(pgmap);
}

/*
 * The refcount a device folio sits at when nobody uses it: GENERIC (device-dax) pages keep the
 * 1 __init_single_page() gave them, every other type starts at 0 (today's kernel; the
 * memory-model document's "idles at 1" holds for GENERIC).
 */
static inline int pgmap_idle_refcount(const struct dev_pagemap *pgmap)
{
	return pgmap->type == MEMORY_DEVICE_GENERIC ? 1 : 0;
}

/* Types whose pages carry one pgmap reference each from memremap_pages() (pfn_len()). */
static inline bool pgmap_takes_bulk_refs(const struct dev_pagemap *pgmap)
{
	return pgmap->type != MEMORY_DEVICE_PRIVATE && pgmap->type != MEMORY_DEVICE_COHERENT;
}

/*
 * The model's ZONE_DEVICE state, allocated on the first memremap.
 * hotplug_pgmap plays mhp_params.pgmap: set around the __add_pages()/__remove_pages() of a
 * pgmap so that populating, poisoning and depopulating know whose memmap they handle.
 * nr_shared counts vmemmap host pages that map a page already mapped elsewhere (tail reuse),
 * nr_file those mapped from a device's storage; both are part of vmemmap.nr_populated.
 * Invariant: dedup_maps <= dedup_map_budget; altmap_leaks is 0 (memunmap_pages() WARNs
 * "failed to free all reserved pages" otherwise, which the invariant checker reports).
 */
struct zone_device {
	struct dev_pagemap *hotplug_pgmap;
	uint64_t nr_shared, nr_file;
	uint64_t dedup_map_budget;      /* mappings tail reuse may create, model-wide */
	uint64_t dedup_maps;            /* mappings it holds now */
	uint64_t altmap_leaks;
};

static inline struct dev_pagemap *hotplug_pgmap(const struct mm_model *mm)
{
	return mm->zone_device ? mm->zone_device->hotplug_pgmap : NULL;
}

static inline uint64_t vmemmap_nr_shared(const struct mm_model *mm)
{
	return mm->zone_device ? mm->zone_device->nr_shared : 0;
}

static inline uint64_t vmemmap_nr_file(const struct mm_model *mm)
{
	return mm->zone_device ? mm->zone_device->nr_file : 0;
}

/* ------------------------------------------------------------- memremap.c */

/* get_dev_pagemap(): the live pgmap whose range holds pfn, NULL if none. */
struct dev_pagemap *get_dev_pagemap(const struct mm_model *mm, uint64_t pfn);
/* the part of pgmap's range inside pfn's section: what one __add_pages() piece populated */
void pgmap_section_piece(const struct mm_model *mm, const struct dev_pagemap *pgmap,
			 uint64_t pfn, uint64_t *piece_pfn, uint64_t *piece_nr);
/* where the memmap of a device pfn lives (ALTMAP when its piece took it from the altmap) */
enum mm_memmap_location pgmap_memmap_location(const struct mm_model *mm,
					      const struct dev_pagemap *pgmap, uint64_t pfn);
/* mm_get_pages()/mm_put_pages() on device pages: folio references + pgmap references */
int device_page_refs_check(const struct mm_model *mm, struct dev_pagemap *pgmap, uint64_t pfn,
			   uint64_t count, bool put, struct mm_err *err, uint64_t *done);
uint64_t device_page_refs_apply(struct mm_model *mm, struct dev_pagemap *pgmap, uint64_t pfn,
				uint64_t count, bool put);
/* the struct page holding the folio reference of a device pfn (compound head or itself) */
struct page *device_folio_page(const struct mm_model *mm, const struct dev_pagemap *pgmap,
			       uint64_t pfn);
void device_range_fill_info(const struct mm_model *mm, const struct dev_pagemap *pgmap,
			    struct mm_range_info *out);
void dev_pagemap_free(struct mm_model *mm, struct dev_pagemap *pgmap);
/* __init_zone_device_page(): one ZONE_DEVICE struct page of pgmap (refcount by type) */
void __init_zone_device_page(struct mm_model *mm, struct page *page, uint64_t pfn,
			     const struct dev_pagemap *pgmap);
/* model teardown: every pgmap and the ZONE_DEVICE state */
void zone_device_destroy(struct mm_model *mm);
/*
 * memremap_pages() for nr_range ranges all equal to p's: the public API always passes 1 (or 0
 * for an empty range); nr_range > 1 exists so the single-range altmap rule can be exercised.
 */
int memremap_pages(struct mm_model *mm, const struct mm_pgmap_params *p, unsigned int nr_range,
		   uint64_t *id);
/* invariants 17-24, 26 of the device ranges (called by mm_check_invariants()) */
int zone_device_check_invariants(const struct mm_model *mm, char *buf, size_t len);
/* a section tainted although no live device range starts or ends inside it may keep its taint */
bool section_taint_may_be_stale(const struct mm_model *mm, uint64_t section_nr);

/* --------------------------------------------------------------- altmap.c */

/* vmem_altmap_next_pfn(): base_pfn + reserve + alloc + align */
static inline uint64_t vmem_altmap_next_pfn(const struct vmem_altmap *a)
{
	return a->base_pfn + a->reserve + a->alloc + a->align;
}

/*
 * The altmap pfns a populate of [pfn, pfn + nr) takes, as vmemmap_populate_hugepages()/
 * basepages() would take them: *first receives the first pfn handed out (after any padding).
 * -ENOMEM (altmap left as it was) when exhausted.
 */
int vmemmap_alloc_from_altmap(const struct mm_model *mm, uint64_t nr_pages,
			      struct vmem_altmap *altmap, uint64_t *first);
/* Does the memmap of this piece go to the pgmap's backing file? */
bool altmap_memmap_in_file(const struct mm_model *mm, const struct dev_pagemap *pgmap,
			   uint64_t pfn, uint64_t nr_pages, const struct vmem_altmap *altmap);
/* populate / depopulate a piece whose altmap memmap lives in the pgmap's backing file */
int vmemmap_populate_altmap_file(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
				 struct vmem_altmap *altmap, struct dev_pagemap *pgmap);
void vmemmap_free_altmap_file(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
			      struct vmem_altmap *altmap);
/* ask mm_params.memmap_backing for the storage of pgmap's range (memremap time) */
int pgmap_memmap_backing(struct mm_model *mm, struct dev_pagemap *pgmap, struct mm_err *err);
/* give vmemmap host pages [first, first + nr) back to the PROT_NONE reservation */
int vmemmap_restore_reservation(struct mm_model *mm, uint64_t first, uint64_t nr);

/* -------------------------------------------------------------- compound.c */

/* vmemmap_can_optimize(): the kernel's condition for compound vmemmap tail reuse */
bool vmemmap_can_optimize(const struct mm_model *mm, const struct vmem_altmap *altmap,
			  const struct dev_pagemap *pgmap);
/*
 * pick the layout and create the shared memory of pgmap's tail reuse (NULL dedup: none);
 * *folio_bytes: the memmap a folio holds with it (0: no reuse)
 */
int vmemmap_dedup_prepare(struct mm_model *mm, struct dev_pagemap *pgmap, bool dry_run,
			  uint64_t *folio_bytes);
/* the memmap one folio of pgmap really holds with its tail reuse, 0 without */
uint64_t vmemmap_dedup_folio_bytes(const struct mm_model *mm, const struct dev_pagemap *pgmap);
/* tail reuse by zero-encoded tails (mm_params.vmemmap_zero_tails) */
bool vmemmap_zero_tails(const struct dev_pagemap *pgmap);
/* the struct page of a device pfn as the kernel stores it (zero tails decoded into buf) */
const struct page *device_page_read(const struct mm_model *mm, const struct dev_pagemap *pgmap,
				    uint64_t pfn, struct page *buf);
/* the struct page of a zero-tail pfn is still all zero in the memmap */
bool zero_tail_intact(const struct mm_model *mm, uint64_t pfn);
void vmemmap_dedup_destroy(struct mm_model *mm, struct dev_pagemap *pgmap);
/* vmemmap_populate_compound_pages() and its undo, one __add_pages() piece at a time */
int vmemmap_populate_compound_pages(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
				    struct dev_pagemap *pgmap);
void vmemmap_free_compound_pages(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages,
				 struct dev_pagemap *pgmap);
/* host pages of a piece that alias another host page (the saving) */
uint64_t vmemmap_dedup_shared_pages(const struct mm_model *mm, const struct dev_pagemap *pgmap,
				    uint64_t pfn, uint64_t nr_pages);
/* page_init_poison() of a deduplicated range: the distinct pages only (aliases see it) */
void vmemmap_dedup_poison(struct mm_model *mm, const struct dev_pagemap *pgmap, uint64_t pfn,
			  uint64_t nr_pages);
/* compound_nr_pages(): struct pages memmap_init_compound() initialises per folio */
uint64_t compound_nr_pages(const struct mm_model *mm, const struct dev_pagemap *pgmap);
/* memmap_init_compound(): head + tails of one folio (the head is initialised already) */
void memmap_init_compound(struct mm_model *mm, struct page *head, uint64_t head_pfn,
			  const struct dev_pagemap *pgmap);
/* after memmap_init_compound(): copies of vmemmap page 1 take its content */
void vmemmap_dedup_sync(struct mm_model *mm, const struct dev_pagemap *pgmap, uint64_t head_pfn);
/* folio of a compound pfn */
static inline uint64_t compound_head_pfn(const struct dev_pagemap *pgmap, uint64_t pfn)
{
	return ALIGN_DOWN(pfn, pgmap_vmemmap_nr(pgmap));
}
/* the dedup layout's copies of vmemmap page 1 per folio, 0 without dedup */
uint64_t vmemmap_dedup_copies(const struct dev_pagemap *pgmap);
/* mappings the range's tail reuse holds */
uint64_t vmemmap_dedup_maps(const struct dev_pagemap *pgmap);
/* half of vm.max_map_count */
uint64_t vmemmap_dedup_default_budget(void);

/* ------------------------------------------- hooks living in shared files */

/* resource.c: drop a range record (memunmap_pages()) */
void resource_remove(struct mm_model *mm, struct mm_resource *r);

/* ------------------------------------------------------------ nvdimm-pfn.c */

enum nd_pfn_mode {
	PFN_MODE_NONE,
	PFN_MODE_RAM,    /* map=mem: memmap in System RAM */
	PFN_MODE_PMEM,   /* map=dev: memmap in the namespace (altmap) */
};

/* The fields of the on-media info block (struct nd_pfn_sb) the layout is made of. */
struct nd_pfn_sb {
	uint32_t mode;
	uint64_t dataoff;
	uint64_t npfns;
	uint32_t start_pad;
	uint32_t end_trunc;
	uint64_t align;
	uint16_t page_struct_size;
	uint64_t page_size;
};

/* nd_pfn_init(): write (here: fill) a new info block for [start, start + size). */
int nd_pfn_init(const struct mm_model *mm, uint64_t start, uint64_t size, uint64_t align,
		enum nd_pfn_mode mode, struct nd_pfn_sb *sb, struct mm_err *err);
/* __nvdimm_setup_pfn(): the pgmap range and altmap an info block describes. */
int __nvdimm_setup_pfn(const struct mm_model *mm, uint64_t start, uint64_t size,
		       const struct nd_pfn_sb *sb, struct mm_nd_pfn *out, struct mm_err *err);
/* nd_info_block_reserve(): the head of the namespace kept for the info block */
uint64_t nd_info_block_reserve(const struct mm_model *mm);

#endif /* PMM_LIBMM_MEMREMAP_H */
