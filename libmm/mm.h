/* SPDX-License-Identifier: MIT */
/*
 * libmm: a userspace model of the Linux physical memory model.
 *
 * The vocabulary is the kernel's (mm/sparse.c, mm/sparse-vmemmap.c, mm/memory_hotplug.c,
 * mm/memremap.c, drivers/base/memory.c). Every fallible function returns 0 or a negative errno,
 * the same errno the kernel returns for the same condition (see kernel-model.md section 13).
 * When a call fails, mm_last_error() says why in one sentence and mm_last_cause() classifies the
 * failure so a caller can name it (an -EINVAL can be a misalignment or a wrong block state).
 * A failed call leaves the model exactly as it was.
 *
 * The library is single-threaded per model unless a function says otherwise: the caller
 * serialises (the kernel's device_hotplug_lock + mem_hotplug_lock play that role).
 */
#ifndef PMM_LIBMM_MM_H
#define PMM_LIBMM_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mm_model;
struct page;

/* ---------------------------------------------------------------- geometry */

/*
 * An architecture profile: the handful of numbers the kernel fixes per arch; everything else
 * (pages per section, NR_MEM_SECTIONS, SECTIONS_PER_ROOT, ...) is derived by mm_geometry_*().
 */
struct mm_arch {
	const char *name;             /* "x86_64", "x86_64-la57", "arm64-4k", ... */
	unsigned int page_shift;      /* PAGE_SHIFT */
	unsigned int section_size_bits; /* SECTION_SIZE_BITS */
	unsigned int max_physmem_bits;  /* MAX_PHYSMEM_BITS */
	unsigned int pageblock_order;
	unsigned int max_page_order;  /* MAX_PAGE_ORDER */
	uint64_t default_block_size;  /* memory_block_size_bytes() default */
	bool memmap_on_memory;        /* CONFIG_MHP_MEMMAP_ON_MEMORY available */
	bool vmemmap_dedup;           /* ARCH_WANT_OPTIMIZE_DAX_VMEMMAP */
};

/* Look up a profile by name; NULL if unknown. */
const struct mm_arch *mm_arch_lookup(const char *name);
/* Profiles in a fixed order, NULL-terminated; for listings and tests. */
const struct mm_arch *const *mm_arch_profiles(void);

/* Derived geometry of a model (all computed from struct mm_arch and the block size). */
struct mm_geometry {
	uint64_t page_size;
	uint64_t section_size;
	uint64_t subsection_size;        /* always 2 MiB (SUBSECTION_SHIFT = 21) */
	uint64_t block_size;             /* memory_block_size_bytes() */
	uint64_t pages_per_section;
	uint64_t pages_per_subsection;
	uint64_t subsections_per_section;
	uint64_t sections_per_block;
	uint64_t nr_mem_sections;
	uint64_t sections_per_root;      /* EXTREME: PAGE_SIZE / sizeof(struct mem_section); else 1 */
	uint64_t nr_section_roots;
	uint64_t pageblock_nr_pages;
	uint64_t max_pfn;                /* 1 << (MAX_PHYSMEM_BITS - PAGE_SHIFT) */
	unsigned int page_shift;
	unsigned int section_size_bits;
	unsigned int max_physmem_bits;
	unsigned int pfn_section_shift;
};

/* -------------------------------------------------------------- memory model */

enum mm_memory_model {
	MM_FLATMEM,
	MM_DISCONTIGMEM,
	MM_SPARSEMEM,          /* classic, static mem_section[NR_SECTION_ROOTS][1] */
	MM_SPARSEMEM_EXTREME,  /* classic, lazily allocated roots */
	MM_SPARSEMEM_VMEMMAP,  /* vmemmap + EXTREME roots */
};

/* "flatmem", "discontigmem", "sparsemem", "sparsemem-extreme", "sparsemem-vmemmap" */
const char *mm_memory_model_name(enum mm_memory_model m);
int mm_memory_model_parse(const char *s, enum mm_memory_model *out);

/* Zones in the kernel's enum order; names as /proc/zoneinfo and valid_zones print them. */
enum mm_zone_type {
	ZONE_DMA,
	ZONE_DMA32,
	ZONE_NORMAL,
	ZONE_MOVABLE,
	ZONE_DEVICE,
	MAX_NR_ZONES,
};
const char *mm_zone_name(enum mm_zone_type z); /* "DMA" "DMA32" "Normal" "Movable" "Device" */

/* online types (MMOP_*), values as in the kernel */
enum mm_online_type {
	MMOP_OFFLINE = 0,
	MMOP_ONLINE,
	MMOP_ONLINE_KERNEL,
	MMOP_ONLINE_MOVABLE,
};
/* "offline" "online" "online_kernel" "online_movable"; parse returns -EINVAL on anything else */
const char *mm_online_type_name(enum mm_online_type t);
int mm_online_type_parse(const char *s, enum mm_online_type *out);

/* memory_hotplug.online_policy */
enum mm_online_policy {
	MM_POLICY_CONTIG_ZONES,
	MM_POLICY_AUTO_MOVABLE,
};

/* Memory block states: bit values as the kernel's MEM_* (also notifier codes). */
enum mm_block_state {
	MEM_ONLINE = 1,
	MEM_GOING_OFFLINE = 2,
	MEM_OFFLINE = 4,
};
const char *mm_block_state_name(enum mm_block_state s); /* "online" "going-offline" "offline" */

/* Why a call failed, beyond its errno; set together with mm_last_error(). */
enum mm_cause {
	MM_CAUSE_NONE = 0,
	MM_CAUSE_INVALID,     /* malformed request (size 0, wrapping range, bad type...) */
	MM_CAUSE_MISALIGNED,  /* start/size not aligned to the unit the operation needs */
	MM_CAUSE_RANGE,       /* beyond MAX_PHYSMEM_BITS / the pluggable range */
	MM_CAUSE_OVERLAP,     /* collides with present memory, a resource or a pgmap */
	MM_CAUSE_NOENT,       /* nothing there: no block, no range, no pgmap */
	MM_CAUSE_STATE,       /* object is in the wrong state for this operation */
	MM_CAUSE_BUSY,        /* references or online blocks prevent it */
	MM_CAUSE_NOMEM,       /* allocation / mapping / altmap space exhausted */
	MM_CAUSE_UNSUPPORTED, /* not possible with this memory model / arch */
};

/* --------------------------------------------------------------- creation */

struct mm_params {
	const struct mm_arch *arch;     /* required; must outlive the model (profiles are static) */
	enum mm_memory_model model;
	uint64_t block_size;            /* 0: the arch default; else a power of two >= section size */
	enum mm_online_policy online_policy;
	unsigned int auto_movable_ratio; /* percent, kernel default 301 */
	bool auto_movable_numa_aware;    /* kernel default true */
	bool movable_node;               /* booted with movable_node */
	bool page_ext;                   /* CONFIG_PAGE_EXTENSION: 32-byte mem_section */
	/*
	 * Optional: the storage behind device memory, so that the memmap a vmem_altmap places in a
	 * device (map=dev) really lives there. Asked once per mm_memremap_pages() with an altmap,
	 * for the range [phys, phys + len): return 0 with *fd (borrowed for the call: the model
	 * keeps its own duplicate) and *offset, the file offset of phys; the struct pages the
	 * altmap holds are then mmap(MAP_SHARED)ed from that file at the offset of their altmap
	 * pfns. Return -ENOENT for "no file" (the memmap is anonymous memory), any other negative
	 * errno to refuse the memremap. NULL: no device has storage.
	 */
	int (*memmap_backing)(void *data, uint64_t phys, uint64_t len, int *fd, uint64_t *offset);
	void *memmap_backing_data;
	/*
	 * CONFIG_DEBUG_VM's page_init_poisoning (mm/debug.c): hot-added memmap is filled with 0xff
	 * until initialised, and again at offline. Default true. Without it the memmap is not
	 * written at hot-add or offline (one pass less over every struct page, as a production
	 * kernel): the uninitialised state is kept per subsection in the usage map instead, and
	 * lookups, page references and mm_check_invariants() read it there, so "poisoned" is
	 * still reported for exactly the same pfns.
	 */
	bool page_init_poisoning;
	/*
	 * Threads that initialise a large memmap (padata's deferred init, the multithreaded
	 * memmap_init_zone_device()): 1 (default) is the caller's thread only, 0 one per online
	 * CPU (at most 16). Only onlining or mapping many sections at once is split, along
	 * section boundaries; every call still returns with the work done.
	 */
	unsigned int memmap_init_threads;
	/*
	 * How vmemmap tail reuse (compound ZONE_DEVICE pages, vmemmap_can_optimize()) is stored.
	 * false (default): the kernel's layout, vmemmap pages 2.. of a folio aliasing page 1
	 * through a memfd, bounded by vm.max_map_count (compound.c). true: tails are encoded as
	 * all-zero struct pages, which untouched memory already is: only the vmemmap page of the
	 * head is ever written, any number of folios costs no mapping, and the accessors
	 * (compound_head(), device_page_read()) decode a zero tail into the kernel's tail.
	 */
	bool vmemmap_zero_tails;
	/*
	 * CONFIG_DEFERRED_STRUCT_PAGE_INIT, carried to its end: mm_boot_init() initialises no
	 * struct page of boot memory. Each early section's memmap (and its pageblock bits) is
	 * initialised the first time anything asks for one of its struct pages, exactly as
	 * memmap_init() and memblock_free_all() would have left it, as the kernel's
	 * deferred_grow_zone() initialises sections when the allocator needs them. Untouched
	 * boot memory then costs no RAM: what a model mirroring a large host wants. Every
	 * reader sees the same struct pages either way. mm_memmap_init_deferred() completes the
	 * rest (page_alloc_init_late()). SPARSEMEM only, as in the kernel: -EINVAL otherwise.
	 * Default false.
	 */
	bool deferred_struct_page_init;
};

/* Fill *p with the kernel's defaults for arch (model VMEMMAP, default block size, ratio 301). */
void mm_params_default(struct mm_params *p, const struct mm_arch *arch);

/*
 * The checks mm_model_create() runs on *p, without creating anything: 0, or the errno
 * mm_model_create() would return with the reason in why (a block size below the section size
 * or not a power of two: -EINVAL...). geo (may be NULL) receives the derived geometry
 * when the parameters are valid. mm_model_create() can only fail beyond this with -ENOMEM.
 */
int mm_params_check(const struct mm_params *p, struct mm_geometry *geo, char *why, size_t len);

/* Create an empty model (no memory yet). Reserves the vmemmap area for VMEMMAP. */
int mm_model_create(const struct mm_params *p, struct mm_model **out);
void mm_model_destroy(struct mm_model *mm);

/* The model's derived geometry, its arch profile and its memory model. */
const struct mm_geometry *mm_geometry(const struct mm_model *mm);
const struct mm_arch *mm_model_arch(const struct mm_model *mm);
enum mm_memory_model mm_model_kind(const struct mm_model *mm);

/* The last failure's explanation ("" after success) and classification. */
const char *mm_last_error(const struct mm_model *mm);
enum mm_cause mm_last_cause(const struct mm_model *mm);

/* ------------------------------------------------------------------ boot */

/*
 * memblock_add(): register boot RAM [start, start+size) on node nid. Only before mm_boot_init().
 * Ranges may be any page-aligned size; holes inside sections are tracked at subsection
 * granularity as the kernel's subsection_map_init() does.
 */
int mm_boot_memory_add(struct mm_model *mm, uint64_t start, uint64_t size, int nid);
/*
 * sparse_init() + free_area_init() + memblock_free_all(): build sections (EARLY, ONLINE), the
 * memmap, zones (DMA < 16 MiB, DMA32 < 4 GiB, Normal above on x86_64) and boot memory blocks,
 * all online. Exactly once.
 */
int mm_boot_init(struct mm_model *mm);
/*
 * page_alloc_init_late()'s deferred_init_memmap(): initialise the memmap of every early
 * section still deferred (mm_params.deferred_struct_page_init). Returns how many sections it
 * initialised; 0 when nothing was deferred.
 */
uint64_t mm_memmap_init_deferred(struct mm_model *mm);

/* --------------------------------------------------------- System RAM hotplug */

#define MHP_NONE              0u
#define MHP_MERGE_RESOURCE    (1u << 0)
#define MHP_MEMMAP_ON_MEMORY  (1u << 1)

/*
 * add_memory(): hot-add System RAM. start and size must be multiples of the block size
 * (-EINVAL, MM_CAUSE_MISALIGNED); collisions with present memory or resources are -EEXIST;
 * beyond MAX_PHYSMEM_BITS -E2BIG; FLATMEM and DISCONTIGMEM have no hotplug: -EOPNOTSUPP
 * (classic SPARSEMEM hotplugs whole sections). New blocks are MEM_OFFLINE with poisoned memmap.
 * Without SPARSEMEM there are no memory blocks and no sections: the listings are empty and
 * mm_pfn_info.section_nr is plain arithmetic.
 */
int mm_add_memory(struct mm_model *mm, int nid, uint64_t start, uint64_t size,
		  unsigned int mhp_flags, uint64_t *range_id);
/*
 * remove_memory(): [start, start+size) is block aligned and made only of hot-added blocks
 * (otherwise -EINVAL: cause MM_CAUSE_NOENT where nothing was added, MM_CAUSE_INVALID over boot
 * or device memory), every block offline (-EBUSY), all-or-none altmaps (-EINVAL).
 * A range may be removed in part (release_mem_region_adjustable()): its record is trimmed, or
 * split in two, the tail taking a new id.
 */
int mm_remove_memory(struct mm_model *mm, uint64_t start, uint64_t size);

/* mhp_supports_memmap_on_memory() for this model's block size. */
bool mm_supports_memmap_on_memory(const struct mm_model *mm);

/* -------------------------------------------------------------- memory blocks */

struct mm_block_info {
	uint64_t id;                 /* phys_index */
	uint64_t start;              /* physical address */
	uint64_t size;
	enum mm_block_state state;
	int zone;                    /* enum mm_zone_type when online and single-zone, else -1 */
	int nid;
	bool removable;
	bool early;                  /* boot memory */
	bool has_altmap;             /* memmap_on_memory */
	uint64_t altmap_pages;       /* self-hosted vmemmap pages (memmap_on_memory) */
	char valid_zones[64];        /* as sysfs prints it: "Normal", "Movable Normal", "none" */
};

/* Number of memory blocks and lookup by id (-ENOENT if none). removable is sysfs' legacy 1. */
size_t mm_nr_memory_blocks(const struct mm_model *mm);
int mm_memory_block_info(const struct mm_model *mm, uint64_t id, struct mm_block_info *out);
/* Iterate blocks in ascending id order; fn returning non-zero stops and is returned. */
int mm_for_each_memory_block(const struct mm_model *mm,
			     int (*fn)(const struct mm_block_info *b, void *arg), void *arg);

/*
 * Write to memory<id>/state: online/online_kernel/online_movable/offline.
 * Already in that state: -EINVAL (MM_CAUSE_STATE), as the kernel's state file answers.
 */
int mm_memory_block_online(struct mm_model *mm, uint64_t id, enum mm_online_type type);
int mm_memory_block_offline(struct mm_model *mm, uint64_t id);

/*
 * Online / offline every block of [start, start+size) (block aligned), all or nothing: on the
 * first failure the blocks already changed are put back and that failure is returned.
 * *nr_changed (may be NULL) receives the number of blocks changed on success.
 */
int mm_online_range(struct mm_model *mm, uint64_t start, uint64_t size,
		    enum mm_online_type type, unsigned int *nr_changed);
int mm_offline_range(struct mm_model *mm, uint64_t start, uint64_t size, unsigned int *nr_changed);

/* The zone onlining [start, start+size) with type would choose (zone_for_pfn_range()). */
int mm_zone_for_range(const struct mm_model *mm, uint64_t start, uint64_t size,
		      enum mm_online_type type, enum mm_zone_type *zone);

/* Policy knobs (memory_hotplug.online_policy / auto_movable_ratio). */
void mm_set_online_policy(struct mm_model *mm, enum mm_online_policy p, unsigned int ratio);

/* ------------------------------------------------------------ page references */

/*
 * get_page()/put_page() over [pfn, pfn+count). Every pfn must have an initialised struct page
 * (online RAM or a device page), else -EINVAL / -ENOENT and nothing changes. Device pages also
 * take a pgmap reference each; a reference on a compound page goes to its head (the folio).
 * put on a page at its idle count is -EINVAL (idle: 0 for free RAM and device pages other than
 * devdax, 1 for reserved pages and devdax); the last put of a device page hands it back to its
 * pgmap, never to the page allocator.
 */
int mm_get_pages(struct mm_model *mm, uint64_t pfn, uint64_t count);
int mm_put_pages(struct mm_model *mm, uint64_t pfn, uint64_t count);

/* -------------------------------------------------------------- ZONE_DEVICE */

enum mm_pgmap_type {
	MEMORY_DEVICE_PRIVATE = 1,
	MEMORY_DEVICE_COHERENT,
	MEMORY_DEVICE_FS_DAX,
	MEMORY_DEVICE_GENERIC,
	MEMORY_DEVICE_PCI_P2PDMA,
};
/* "private" "coherent" "fsdax" "devdax" "p2pdma"; parse also takes "generic" for devdax */
const char *mm_pgmap_type_name(enum mm_pgmap_type t);
int mm_pgmap_type_parse(const char *s, enum mm_pgmap_type *out);

/* struct vmem_altmap, pfn units. */
struct mm_altmap {
	uint64_t base_pfn;
	uint64_t end_pfn;
	uint64_t reserve;
	uint64_t free;
	uint64_t align;
	uint64_t alloc;
};

struct mm_pgmap_params {
	uint64_t start, size;          /* subsection (2 MiB) aligned */
	enum mm_pgmap_type type;
	int nid;
	uint64_t align;                /* compound page size: page size (0), 2 MiB or 1 GiB */
	bool has_altmap;               /* memmap placed in the device (map=dev) */
	struct mm_altmap altmap;       /* base_pfn/reserve/free when has_altmap */
	bool has_ops_page_free, has_ops_migrate_to_ram, has_owner; /* callbacks the type requires */
};

/*
 * memremap_pages(): returns the range id (also the pgmap id) in *id (> 0). Refusals, as the
 * kernel's: -EOPNOTSUPP without SPARSEMEM_VMEMMAP; -EINVAL for size 0 (nr_range 0), a
 * PRIVATE/COHERENT pgmap without the callbacks it needs, an invalid altmap (base_pfn != the
 * first pfn, reserve + free > pages), a range not subsection aligned (MM_CAUSE_MISALIGNED) or
 * outside the pluggable range (MM_CAUSE_RANGE), compound pages that do not tile the device
 * pages; -ENOMEM for an existing pgmap at the first or last pfn (MM_CAUSE_OVERLAP) or an
 * altmap too small for the memmap (MM_CAUSE_NOMEM); -ENXIO over System RAM; -EEXIST over
 * present subsections; -E2BIG beyond MAX_PHYSMEM_BITS. Device pages are never online nor
 * present; compound pages (align 2 MiB / 1 GiB) deduplicate their vmemmap tails where the
 * kernel does (no altmap, arch opt-in).
 */
int mm_memremap_pages(struct mm_model *mm, const struct mm_pgmap_params *p, uint64_t *id);
/*
 * memunmap_pages(): -EBUSY while any page reference (and with it a pgmap reference) is held
 * (the kernel would wait for them), -ENOENT for no range, -EINVAL for a System RAM range.
 */
int mm_memunmap_pages(struct mm_model *mm, uint64_t id);

/*
 * The nvdimm pfn layout of a namespace (nd_pfn_init() + __nvdimm_setup_pfn()): 8 KiB info block
 * (nd_info_block_reserve()), dataoff, npfns, end truncation and, for map=dev, the altmap that
 * places the memmap inside the namespace. The pgmap covers [data_start, data_start + data_size)
 * widened to the altmap base for map=dev. -EINVAL start not compat-aligned, -ENXIO no room.
 */
struct mm_nd_pfn {
	uint64_t start_pad, end_trunc;
	uint64_t dataoff;            /* bytes from the namespace start to the first data page */
	uint64_t npfns;              /* data pages */
	uint64_t align;              /* effective alignment */
	bool map_dev;
	struct mm_altmap altmap;     /* valid when map_dev */
	uint64_t range_start, range_size; /* the pgmap range: [start + start_pad, end - end_trunc) */
};
int mm_nd_pfn_init(const struct mm_model *mm, uint64_t ns_start, uint64_t ns_size,
		   uint64_t align, bool map_dev, struct mm_nd_pfn *out);

/* ---------------------------------------------------------------- lookups */

/* pfn_valid(): a struct page exists. */
bool mm_pfn_valid(const struct mm_model *mm, uint64_t pfn);
/* pfn_to_online_page(): NULL for offline, hole, device pfns. */
struct page *mm_pfn_to_online_page(const struct mm_model *mm, uint64_t pfn);
/* pfn_to_page() / page_to_pfn() of the configured memory model (pfn must be valid). */
struct page *mm_pfn_to_page(const struct mm_model *mm, uint64_t pfn);
uint64_t mm_page_to_pfn(const struct mm_model *mm, const struct page *page);

enum mm_memmap_location {
	MM_MEMMAP_NONE,   /* no struct page */
	MM_MEMMAP_BOOT,   /* allocated at boot (early section) */
	MM_MEMMAP_RAM,    /* populated from RAM at hot-add */
	MM_MEMMAP_ALTMAP, /* lives in the device / block itself (vmem_altmap) */
};

struct mm_pfn_info {
	uint64_t pfn;
	bool valid, online;
	uint64_t section_nr;
	unsigned int subsection;     /* index inside the section */
	int64_t block;               /* memory block id, -1 if none */
	int zone;                    /* -1 if no initialised page */
	int nid;
	int refcount;
	uint64_t flags;              /* page->flags */
	char flag_names[128];        /* "reserved,offline,..." */
	enum mm_memmap_location memmap;
	uint64_t pgmap;              /* pgmap id, 0 if none */
};
int mm_lookup_pfn(const struct mm_model *mm, uint64_t pfn, struct mm_pfn_info *out);

/* ---------------------------------------------------------------- sections */

struct mm_section_info {
	uint64_t nr;
	bool present, online, early, has_memmap, zone_device;
	uint64_t subsection_map[4];  /* up to 256 subsections per section (arm64 64K) */
};
/* Iterate present sections in ascending order. */
int mm_for_each_present_section(const struct mm_model *mm,
				 int (*fn)(const struct mm_section_info *s, void *arg), void *arg);

/* ------------------------------------------------------------------ ranges */

/*
 * Every hot-added range: System RAM (the iomem "System RAM" resource of an add_memory()) or a
 * ZONE_DEVICE pgmap. Ids are assigned in order from 1 and never reused, so replaying the same
 * operations on a fresh model gives the same ids. Boot memory is not a range.
 */
struct mm_range_info {
	uint64_t id;
	bool device;                 /* false: System RAM */
	uint64_t start, size;
	int nid;
	enum mm_pgmap_type type;     /* device only */
	uint64_t align;              /* device: compound page size (page size if none) */
	bool has_altmap;             /* device map=dev, or System RAM memmap_on_memory */
	struct mm_altmap altmap;     /* device: the pgmap's altmap (System RAM: zero) */
	uint64_t refs;               /* device: pgmap references held beyond the base one */
	uint64_t memmap_bytes;       /* memmap this range costs (wherever it lives) */
};
/* Lookup by id (-ENOENT if none); iteration in ascending address order, fn non-zero stops. */
int mm_range_info(const struct mm_model *mm, uint64_t id, struct mm_range_info *out);
int mm_for_each_range(const struct mm_model *mm,
		      int (*fn)(const struct mm_range_info *r, void *arg), void *arg);

/* ------------------------------------------------------------------ plans */

/*
 * What an operation would do, computed by the same checks the operation runs, without changing
 * anything. error is the errno the operation would return (0 if it would succeed), with cause
 * and why as mm_last_cause()/mm_last_error() would give them.
 */
struct mm_plan {
	int error;
	enum mm_cause cause;
	char why[192];
	uint64_t first_section, nr_sections;
	uint64_t nr_subsections;
	uint64_t first_block, nr_blocks;     /* nr_blocks 0 for ZONE_DEVICE */
	uint64_t memmap_bytes;               /* memmap populated (add) or freed (remove) */
	enum mm_memmap_location memmap_location;
	bool has_altmap;
	struct mm_altmap altmap;
	int zone;                            /* online: the zone chosen, else -1 */
};
void mm_plan_add_memory(const struct mm_model *mm, int nid, uint64_t start, uint64_t size,
			unsigned int mhp_flags, struct mm_plan *out);
void mm_plan_remove_memory(const struct mm_model *mm, uint64_t start, uint64_t size,
			   struct mm_plan *out);
void mm_plan_online(const struct mm_model *mm, uint64_t start, uint64_t size,
		    enum mm_online_type type, struct mm_plan *out);
void mm_plan_offline(const struct mm_model *mm, uint64_t start, uint64_t size,
		     struct mm_plan *out);
void mm_plan_memremap(const struct mm_model *mm, const struct mm_pgmap_params *p,
		      struct mm_plan *out);

/* ---------------------------------------------------------------- accounting */

struct mm_stats {
	uint64_t present_bytes;       /* System RAM present (boot + hot-added) */
	uint64_t online_bytes;
	uint64_t device_bytes;        /* ZONE_DEVICE ranges */
	uint64_t memmap_ram_bytes;    /* memmap backed by RAM (boot + populated vmemmap), vmemmap
					 tail reuse counted as the memory it really uses */
	uint64_t memmap_device_bytes; /* memmap placed through an altmap */
	uint64_t memmap_resident_bytes; /* what the model process really holds for the memmap in
					   RAM: each shared (tail reuse) page once, memmap mapped
					   from a device's file not counted */
};
void mm_get_stats(const struct mm_model *mm, struct mm_stats *out);

/*
 * Check every invariant of kernel-model.md section 12 that applies. Returns 0, or -EUCLEAN
 * with a description of the first violation in buf.
 */
int mm_check_invariants(const struct mm_model *mm, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* PMM_LIBMM_MM_H */
