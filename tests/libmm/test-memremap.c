/* SPDX-License-Identifier: MIT */
/*
 * memremap_pages() / memunmap_pages(): every pgmap type, the refusals of kernel-model.md
 * section 13 (errno and cause, the plan predicting them, the state unchanged), device pages
 * (never online, never present, PG_reserved, the pgmap back-reference, refcount 1 for devdax
 * and 0 for the others), page references pinning the pgmap (memunmap -EBUSY), the hand-back at
 * the last put, compound folios, the zone-device taint of sections shared with online RAM, and
 * ZONE_DEVICE's span that never shrinks.
 */
#include "test-util.h"
#include "memremap.h"

static struct mm_pgmap_params dev(uint64_t start, uint64_t size, enum mm_pgmap_type type)
{
	struct mm_pgmap_params p = { .start = start, .size = size, .type = type };

	p.has_ops_page_free = type == MEMORY_DEVICE_PRIVATE || type == MEMORY_DEVICE_COHERENT ||
			      type == MEMORY_DEVICE_PCI_P2PDMA;
	p.has_ops_migrate_to_ram = type == MEMORY_DEVICE_PRIVATE;
	p.has_owner = type == MEMORY_DEVICE_PRIVATE || type == MEMORY_DEVICE_COHERENT;
	return p;
}

/* a refusal: errno, cause, the plan agreeing, nothing changed */
#define REFUSED(mm, p, err, cause, ...) do {						\
	struct mm_plan _plan;								\
	uint64_t _d = model_digest((mm), (p).start >> 12, MIN((p).size >> 12, 1ULL << 20)), _id = 7; \
	mm_plan_memremap((mm), &(p), &_plan);						\
	EXPECT_ERR((mm), mm_memremap_pages((mm), &(p), &_id), (err), (cause), __VA_ARGS__); \
	ok(plan_matches((mm), &_plan, (err)) && _id == 0 &&				\
	   model_digest((mm), (p).start >> 12, MIN((p).size >> 12, 1ULL << 20)) == _d,	\
	   "... predicted by the plan, nothing changed");				\
} while (0)

static void every_type(void)
{
	static const enum mm_pgmap_type types[] = {
		MEMORY_DEVICE_PRIVATE, MEMORY_DEVICE_COHERENT, MEMORY_DEVICE_FS_DAX,
		MEMORY_DEVICE_GENERIC, MEMORY_DEVICE_PCI_P2PDMA,
	};
	struct mm_model *mm = test_default_model();
	struct mm_stats before, after;
	uint64_t blocks = mm_nr_memory_blocks(mm);

	mm_get_stats(mm, &before);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		uint64_t start = (16 + 2 * i) * GiB + 2 * MiB, pfn = start >> 12, id = 0;
		struct mm_pgmap_params p = dev(start, 62 * MiB, types[i]);
		struct mm_range_info ri;
		struct mm_pfn_info info;
		struct mm_plan plan;
		int idle = types[i] == MEMORY_DEVICE_GENERIC;

		mm_plan_memremap(mm, &p, &plan);
		is(mm_memremap_pages(mm, &p, &id), 0, "memremap %s", mm_pgmap_type_name(types[i]));
		ok(!plan.error && plan.nr_sections == 1 && plan.nr_subsections == 31 &&
		   plan.nr_blocks == 0 && plan.memmap_bytes == (62 * MiB >> 12) * 64 &&
		   plan.memmap_location == MM_MEMMAP_RAM, "the plan: 31 subsections, no block");
		INV(mm, "memremap %s", mm_pgmap_type_name(types[i]));
		mm_lookup_pfn(mm, pfn + 100, &info);
		ok(info.valid && !info.online && info.zone == ZONE_DEVICE && info.pgmap == id &&
		   info.refcount == idle && !strcmp(info.flag_names, "reserved") && info.block == -1 &&
		   info.memmap == MM_MEMMAP_RAM,
		   "%s page: valid, not online, Device, reserved, refcount %d, no block",
		   mm_pgmap_type_name(types[i]), info.refcount);
		ok(pfn_to_page(mm, pfn + 100)->pgmap == resource_find_id(mm, id)->pgmap,
		   "the struct page points at its pgmap");
		mm_range_info(mm, id, &ri);
		ok(ri.device && ri.type == types[i] && ri.align == 4096 && !ri.has_altmap &&
		   ri.refs == 0 && ri.start == start && ri.size == 62 * MiB,
		   "range info: %s, 4 KiB pages, no altmap, no references", mm_pgmap_type_name(ri.type));
		ok(resource_find_id(mm, id)->pgmap->ref_bulk ==
		   (types[i] <= MEMORY_DEVICE_COHERENT ? 0 : (62 * MiB) >> 12),
		   "bulk pgmap references: %s", types[i] <= MEMORY_DEVICE_COHERENT ?
		   "none (private/coherent)" : "one per page");
		ok(__pfn_to_section(mm, pfn)->section_mem_map & SECTION_TAINT_ZONE_DEVICE,
		   "the section the range starts inside is tainted");
	}
	mm_get_stats(mm, &after);
	ok(after.device_bytes == 5 * 62 * MiB && after.present_bytes == before.present_bytes &&
	   after.online_bytes == before.online_bytes && mm_nr_memory_blocks(mm) == blocks,
	   "device memory: counted as device, never present or online, no memory block");
	ok(mm->node_data[0].node_zones[ZONE_DEVICE].present_pages == 0 &&
	   mm->node_data[0].node_zones[ZONE_DEVICE].spanned_pages ==
	   ((24 * GiB + 64 * MiB) - (16 * GiB + 2 * MiB)) >> 12,
	   "ZONE_DEVICE spans the ranges and has nothing present");
	mm_model_destroy(mm);
}

/* memremap_pages(): nr_range and the type's callbacks */
static void type_checks(void)
{
	struct mm_model *mm = test_default_model();
	struct mm_pgmap_params p;
	uint64_t id;

	p = dev(16 * GiB, 0, MEMORY_DEVICE_GENERIC);
	REFUSED(mm, p, -EINVAL, MM_CAUSE_INVALID, "nr_range == 0: -EINVAL");
	p = dev(16 * GiB, 64 * MiB, MEMORY_DEVICE_PRIVATE);
	p.has_ops_migrate_to_ram = false;
	REFUSED(mm, p, -EINVAL, MM_CAUSE_INVALID, "private without migrate_to_ram: -EINVAL");
	p = dev(16 * GiB, 64 * MiB, MEMORY_DEVICE_PRIVATE);
	p.has_ops_page_free = false;
	REFUSED(mm, p, -EINVAL, MM_CAUSE_INVALID, "private without page_free: -EINVAL");
	p = dev(16 * GiB, 64 * MiB, MEMORY_DEVICE_PRIVATE);
	p.has_owner = false;
	REFUSED(mm, p, -EINVAL, MM_CAUSE_INVALID, "private without owner: -EINVAL");
	p = dev(16 * GiB, 64 * MiB, MEMORY_DEVICE_COHERENT);
	p.has_ops_page_free = false;
	REFUSED(mm, p, -EINVAL, MM_CAUSE_INVALID, "coherent without page_free: -EINVAL");
	p = dev(16 * GiB, 64 * MiB, MEMORY_DEVICE_COHERENT);
	p.has_owner = false;
	REFUSED(mm, p, -EINVAL, MM_CAUSE_INVALID, "coherent without owner: -EINVAL");
	p = dev(16 * GiB, 64 * MiB, (enum mm_pgmap_type)9);
	REFUSED(mm, p, -EINVAL, MM_CAUSE_INVALID, "an unknown type: -EINVAL");
	p = dev(16 * GiB, 64 * MiB, MEMORY_DEVICE_COHERENT);
	p.has_ops_migrate_to_ram = false;
	is(mm_memremap_pages(mm, &p, &id), 0, "coherent does not need migrate_to_ram");

	/* pagemap_range(): the altmap is for single-range pgmaps */
	p = dev(20 * GiB, 64 * MiB, MEMORY_DEVICE_FS_DAX);
	p.has_altmap = true;
	p.altmap.base_pfn = (20 * GiB) >> 12;
	p.altmap.free = 256;
	EXPECT_ERR(mm, memremap_pages(mm, &p, 2, &id), -EINVAL, MM_CAUSE_INVALID,
		   "pagemap_range: an altmap with a second range: -EINVAL");
	p.has_altmap = false;
	EXPECT_ERR(mm, memremap_pages(mm, &p, 2, &id), -EOPNOTSUPP, MM_CAUSE_UNSUPPORTED,
		   "two ranges without altmap: the model maps one range per pgmap");
	INV(mm, "the type checks");
	mm_model_destroy(mm);

	mm = test_model("x86_64", 0);
	p = dev(16 * GiB, 64 * MiB, MEMORY_DEVICE_GENERIC);
	EXPECT_ERR(mm, mm_memremap_pages(mm, &p, &id), -EINVAL, MM_CAUSE_STATE,
		   "before boot: -EINVAL");
	mm_model_destroy(mm);
}

/* ZONE_DEVICE needs SPARSEMEM_VMEMMAP */
static void needs_vmemmap(void)
{
	static const enum mm_memory_model models[] = { MM_SPARSEMEM, MM_SPARSEMEM_EXTREME,
						       MM_FLATMEM, MM_DISCONTIGMEM };
	struct mm_pgmap_params p = dev(4 * GiB, 64 * MiB, MEMORY_DEVICE_GENERIC);
	unsigned int tried = 0;

	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		struct mm_params params;
		struct mm_model *mm = NULL;
		struct mm_plan plan;
		uint64_t id;

		mm_params_default(&params, mm_arch_lookup("x86_64"));
		params.model = models[i];
		if (mm_model_create(&params, &mm) || mm_boot_memory_add(mm, 0, 2 * GiB, 0) ||
		    mm_boot_init(mm)) {
			printf("# %s: cannot build a model here (%s)\n",
			       mm_memory_model_name(models[i]), mm ? mm_last_error(mm) : "create");
			mm_model_destroy(mm);
			continue;
		}
		tried++;
		mm_plan_memremap(mm, &p, &plan);
		EXPECT_ERR(mm, mm_memremap_pages(mm, &p, &id), -EOPNOTSUPP, MM_CAUSE_UNSUPPORTED,
			   "%s: memremap_pages is -EOPNOTSUPP", mm_memory_model_name(models[i]));
		ok(plan_matches(mm, &plan, -EOPNOTSUPP), "... and so is its plan");
		mm_model_destroy(mm);
	}
	ok(tried > 0, "%u other memory models refuse ZONE_DEVICE", tried);
}

/* pagemap_range() and __add_pages() refusals */
static void range_checks(void)
{
	struct mm_model *mm = test_default_model();
	struct mm_pgmap_params p;
	uint64_t id1, id2, ram;

	p = dev(16 * GiB, 64 * MiB, MEMORY_DEVICE_GENERIC);
	is(mm_memremap_pages(mm, &p, &id1), 0, "a device at [16G, +64M)");
	p = dev(16 * GiB + 32 * MiB, 64 * MiB, MEMORY_DEVICE_FS_DAX);
	REFUSED(mm, p, -ENOMEM, MM_CAUSE_OVERLAP,
		"a pgmap at the start pfn: -ENOMEM (conflicting mapping in same section)");
	p = dev(16 * GiB - 32 * MiB, 64 * MiB, MEMORY_DEVICE_FS_DAX);
	REFUSED(mm, p, -ENOMEM, MM_CAUSE_OVERLAP, "a pgmap at the end pfn: -ENOMEM");
	p = dev(16 * GiB - 32 * MiB, 128 * MiB, MEMORY_DEVICE_FS_DAX);
	REFUSED(mm, p, -EEXIST, MM_CAUSE_OVERLAP,
		"a pgmap inside but not at either end: __add_pages -EEXIST");
	p = dev(16 * GiB + 64 * MiB, 64 * MiB, MEMORY_DEVICE_FS_DAX);
	is(mm_memremap_pages(mm, &p, &id2), 0, "right after it, sharing nothing: fine");

	p = dev(5 * GiB, 64 * MiB, MEMORY_DEVICE_GENERIC);
	REFUSED(mm, p, -ENXIO, MM_CAUSE_OVERLAP, "inside boot System RAM: -ENXIO");
	p = dev(3 * GiB - 32 * MiB, 64 * MiB, MEMORY_DEVICE_GENERIC);
	REFUSED(mm, p, -ENXIO, MM_CAUSE_OVERLAP, "half boot RAM, half hole (mixed): -ENXIO");
	is(mm_add_memory(mm, 0, 12 * GiB, GiB, 0, &ram), 0, "hot-add System RAM at 12G");
	p = dev(12 * GiB + 256 * MiB, 64 * MiB, MEMORY_DEVICE_GENERIC);
	REFUSED(mm, p, -ENXIO, MM_CAUSE_OVERLAP, "inside hot-added System RAM: -ENXIO");
	p = dev(13 * GiB - 2 * MiB, 4 * MiB, MEMORY_DEVICE_GENERIC);
	REFUSED(mm, p, -ENXIO, MM_CAUSE_OVERLAP, "straddling its end: -ENXIO");

	p = dev(17 * GiB + 1 * MiB, 64 * MiB, MEMORY_DEVICE_GENERIC);
	REFUSED(mm, p, -EINVAL, MM_CAUSE_MISALIGNED, "start not 2 MiB aligned: -EINVAL");
	p = dev(17 * GiB, 63 * MiB, MEMORY_DEVICE_GENERIC);
	REFUSED(mm, p, -EINVAL, MM_CAUSE_MISALIGNED, "size not 2 MiB aligned: -EINVAL");
	p = dev((1ULL << 46) - 64 * MiB, 128 * MiB, MEMORY_DEVICE_GENERIC);
	REFUSED(mm, p, -E2BIG, MM_CAUSE_RANGE, "beyond MAX_PHYSMEM_BITS: -E2BIG");
	p = dev(UINT64_MAX - 64 * MiB + 1, 128 * MiB, MEMORY_DEVICE_GENERIC);
	REFUSED(mm, p, -E2BIG, MM_CAUSE_RANGE, "wrapping around: -E2BIG");
	p = dev(17 * GiB, 64 * MiB, MEMORY_DEVICE_GENERIC);
	p.nid = 64;
	REFUSED(mm, p, -EINVAL, MM_CAUSE_INVALID, "node 64: -EINVAL");
	p = dev(17 * GiB, 64 * MiB, MEMORY_DEVICE_GENERIC);
	p.align = 3 * MiB;
	REFUSED(mm, p, -EINVAL, MM_CAUSE_INVALID, "a compound size that is no power of two");
	p.align = GiB;
	REFUSED(mm, p, -EINVAL, MM_CAUSE_MISALIGNED, "64 MiB is no whole 1 GiB folio: -EINVAL");
	INV(mm, "the refusals");

	EXPECT_ERR(mm, mm_memunmap_pages(mm, 999), -ENOENT, MM_CAUSE_NOENT,
		   "memunmap of an unknown id: -ENOENT");
	EXPECT_ERR(mm, mm_memunmap_pages(mm, ram), -EINVAL, MM_CAUSE_INVALID,
		   "memunmap of a System RAM range: -EINVAL");
	EXPECT_ERR(mm, mm_remove_memory(mm, 16 * GiB, 128 * MiB), -EINVAL, MM_CAUSE_INVALID,
		   "remove_memory over device memory: -EINVAL");
	mm_model_destroy(mm);

	/* riscv64: 56 physical bits, more memmap than a process can reserve */
	mm = test_model("riscv64", 0);
	mm_boot_memory_add(mm, 0, GiB, 0);
	mm_boot_init(mm);
	p = dev(PFN_PHYS(mm, mm->vmemmap.end_pfn), 64 * MiB, MEMORY_DEVICE_GENERIC);
	REFUSED(mm, p, -EINVAL, MM_CAUSE_RANGE,
		"riscv64: above the mappable range (mhp_range_allowed): -EINVAL");
	mm_model_destroy(mm);
}

static void references(void)
{
	struct mm_model *mm = test_default_model();
	struct mm_pgmap_params p = dev(16 * GiB, 64 * MiB, MEMORY_DEVICE_GENERIC);
	const uint64_t pfn = (16 * GiB) >> 12;
	struct dev_pagemap *pgmap;
	struct mm_range_info ri;
	struct mm_plan plan;
	uint64_t id, d;

	is(mm_memremap_pages(mm, &p, &id), 0, "devdax at 16G");
	pgmap = resource_find_id(mm, id)->pgmap;
	is(mm_get_pages(mm, pfn + 10, 4), 0, "get 4 device pages");
	ok(page_ref_count(pfn_to_page(mm, pfn + 10)) == 2 && pgmap->ref_pages == 4,
	   "refcount 1 -> 2, four pgmap references");
	mm_range_info(mm, id, &ri);
	is(ri.refs, 4, "the range reports 4 references");
	INV(mm, "holding device page references");
	d = model_digest(mm, pfn, 16384);
	EXPECT_ERR(mm, mm_memunmap_pages(mm, id), -EBUSY, MM_CAUSE_BUSY,
		   "memunmap while references are held: -EBUSY");
	ok(model_digest(mm, pfn, 16384) == d && !pgmap->dying, "nothing changed, the ref is alive");
	EXPECT_ERR(mm, mm_put_pages(mm, pfn + 10, 5), -EINVAL, MM_CAUSE_STATE,
		   "put one page more than held: -EINVAL, nothing put");
	ok(pgmap->ref_pages == 4, "still 4 references");
	is(mm_put_pages(mm, pfn + 10, 4), 0, "put them");
	ok(page_ref_count(pfn_to_page(mm, pfn + 10)) == 1 && pgmap->ref_pages == 0 &&
	   pgmap->nr_freed == 4, "devdax pages are back at 1 (free_zone_device_folio: reset)");
	EXPECT_ERR(mm, mm_put_pages(mm, pfn + 10, 1), -EINVAL, MM_CAUSE_STATE,
		   "a put at the idle count: -EINVAL");
	is(mm_memunmap_pages(mm, id), 0, "memunmap once the references are gone");
	INV(mm, "unmapping");

	p = dev(16 * GiB, 64 * MiB, MEMORY_DEVICE_PRIVATE);
	is(mm_memremap_pages(mm, &p, &id), 0, "device-private at the same place again");
	pgmap = resource_find_id(mm, id)->pgmap;
	ok(page_ref_count(pfn_to_page(mm, pfn)) == 0 && pgmap->ref_bulk == 0,
	   "private pages start at 0, no bulk references");
	is(mm_get_pages(mm, pfn, 1), 0, "the driver allocates a page (zone_device_page_init)");
	ok(page_ref_count(pfn_to_page(mm, pfn)) == 1 && pgmap->ref_pages == 1,
	   "refcount 1 and a pgmap reference");
	is(mm_put_pages(mm, pfn, 1), 0, "the last put");
	ok(page_ref_count(pfn_to_page(mm, pfn)) == 0 && pgmap->nr_freed == 1 && pgmap->ref_pages == 0,
	   "page_free(): back to the driver at 0, never to the page allocator");
	mm_plan_memremap(mm, &p, &plan);
	ok(plan.error == -ENOMEM, "a second pgmap there: the plan says -ENOMEM");
	is(mm_memunmap_pages(mm, id), 0, "memunmap");

	p = dev(16 * GiB, 64 * MiB, MEMORY_DEVICE_FS_DAX);
	p.has_altmap = true;
	p.altmap.base_pfn = pfn;
	p.altmap.reserve = 2;
	p.altmap.free = 510;
	is(mm_memremap_pages(mm, &p, &id), 0, "fsdax with an altmap (reserve 2, free 510)");
	EXPECT_ERR(mm, mm_get_pages(mm, pfn, 1), -EINVAL, MM_CAUSE_STATE,
		   "the reserve pfn is no device page (poisoned)");
	EXPECT_ERR(mm, mm_get_pages(mm, pfn + 2, 1), -EINVAL, MM_CAUSE_STATE,
		   "a free (memmap) pfn is no device page");
	EXPECT_ERR(mm, mm_get_pages(mm, pfn + 511, 2), -EINVAL, MM_CAUSE_STATE,
		   "a range starting before pfn_first: refused whole");
	is(mm_get_pages(mm, pfn + 512, 3), 0, "pfn_first and after: fsdax pages");
	ok(page_ref_count(pfn_to_page(mm, pfn + 512)) == 1, "fsdax 0 -> 1");
	is(mm_put_pages(mm, pfn + 512, 3), 0, "put: back to idle (the wakeup)");
	INV(mm, "references on an altmap range");
	mm_model_destroy(mm);
}

static void compound_pages(void)
{
	struct mm_model *mm = test_model("arm64-4k", 0);   /* no DAX vmemmap dedup on arm64 */
	struct mm_pgmap_params p;
	const uint64_t start = 16 * GiB, pfn = start >> 12;
	struct dev_pagemap *pgmap;
	struct mm_pfn_info info;
	struct mm_range_info ri;
	struct page *head;
	uint64_t id;

	mm_boot_memory_add(mm, 0, 2 * GiB, 0);
	mm_boot_init(mm);
	p = dev(start, 64 * MiB, MEMORY_DEVICE_GENERIC);
	p.align = 2 * MiB;
	is(mm_memremap_pages(mm, &p, &id), 0, "devdax with 2 MiB folios");
	INV(mm, "compound devdax");
	pgmap = resource_find_id(mm, id)->pgmap;
	head = pfn_to_page(mm, pfn + 512);
	ok(PageHead(head) && page_ref_count(head) == 1 && head->pgmap == pgmap,
	   "a folio head: PG_head, refcount 1, the pgmap");
	ok((head[1].flags & COMPOUND_ORDER_MASK) == 9, "the first tail records order 9");
	ok(head[1].compound_head == ((uintptr_t)head | 1) &&
	   head[511].compound_head == ((uintptr_t)head | 1) && page_ref_count(&head[300]) == 0 &&
	   PageReserved(&head[300]), "every tail points at its head, refcount 0");
	ok(pgmap->ref_bulk == 32, "one bulk reference per folio (32)");
	mm_range_info(mm, id, &ri);
	ok(ri.align == 2 * MiB && ri.memmap_bytes == (64 * MiB >> 12) * 64,
	   "range: 2 MiB folios, the whole memmap (no tail reuse on arm64)");

	is(mm_get_pages(mm, pfn + 512 + 300, 1), 0, "get a tail page");
	ok(page_ref_count(head) == 2 && page_ref_count(&head[300]) == 0,
	   "the reference goes to the folio (head 1 -> 2)");
	mm_lookup_pfn(mm, pfn + 512 + 300, &info);
	ok(info.refcount == 2 && !strcmp(info.flag_names, "tail,reserved"),
	   "lookup of the tail: page_count() is the folio's (%d), flags %s", info.refcount,
	   info.flag_names);
	is(mm_get_pages(mm, pfn + 1000, 100), 0, "get 100 pfns across two folios");
	ok(page_ref_count(head) == 2 + 24 && page_ref_count(&head[512]) == 1 + 76 &&
	   pgmap->ref_pages == 101, "each folio got its share (24 and 76)");
	EXPECT_ERR(mm, mm_put_pages(mm, pfn + 1000, 101), -EINVAL, MM_CAUSE_STATE,
		   "putting one more than the second folio holds: refused whole");
	is(mm_put_pages(mm, pfn + 1000, 100), 0, "put the 100");
	is(mm_put_pages(mm, pfn + 512 + 300, 1), 0, "put the tail");
	ok(page_ref_count(head) == 1 && pgmap->ref_pages == 0, "the folio is idle again");
	INV(mm, "folio references");
	p = dev(start + GiB, 64 * MiB, MEMORY_DEVICE_GENERIC);
	p.align = 2 * MiB;
	p.has_altmap = true;
	p.altmap.base_pfn = (start + GiB) >> 12;
	p.altmap.free = 256;
	EXPECT_ERR(mm, mm_memremap_pages(mm, &p, &id), -EINVAL, MM_CAUSE_MISALIGNED,
		   "device pages after 256 altmap pfns do not start on a folio boundary");
	p.altmap.free = 512;
	is(mm_memremap_pages(mm, &p, &id), 0, "with 512 altmap pfns they do");
	INV(mm, "compound pages with an altmap");
	mm_model_destroy(mm);
}

/* a device range sharing an early section with online boot RAM */
static void shared_section(void)
{
	struct mm_model *mm = test_model("x86_64", 0);
	const uint64_t s = 4 * GiB;
	struct mm_pgmap_params p = dev(s + 64 * MiB, 32 * MiB, MEMORY_DEVICE_FS_DAX);
	struct mem_section *ms;
	struct mm_pfn_info info;
	uint64_t id, spanned;
	char buf[256];

	mm_boot_memory_add(mm, 0, GiB, 0);
	mm_boot_memory_add(mm, s, 64 * MiB, 0);
	is(mm_boot_init(mm), 0, "boot [0, 1G) + [4G, 4G + 64M): section 32 is half RAM, half hole");
	ms = __nr_to_section(mm, 32);
	is(mm_memremap_pages(mm, &p, &id), 0, "fsdax in the hole [4G + 64M, +32M)");
	INV(mm, "a device range in an online boot section");
	ok(online_section(ms) && (ms->section_mem_map & SECTION_TAINT_ZONE_DEVICE) &&
	   early_section(ms), "section 32: online, early, and tainted");
	ok(pfn_to_online_page(mm, (s + 32 * MiB) >> 12) &&
	   !pfn_to_online_page(mm, (s + 64 * MiB) >> 12) && pfn_valid(mm, (s + 64 * MiB) >> 12),
	   "RAM pfns are online, device pfns are not (the pgmap lookup of a tainted section)");
	mm_lookup_pfn(mm, (s + 80 * MiB) >> 12, &info);
	ok(info.memmap == MM_MEMMAP_BOOT && info.zone == ZONE_DEVICE && info.pgmap == id &&
	   info.block == 32 && !info.online,
	   "the device pfn reuses the boot memmap, lies in block 32, is not online");
	EXPECT_ERR(mm, mm_memory_block_offline(mm, 32), -EINVAL, MM_CAUSE_UNSUPPORTED,
		   "block 32 cannot be offlined: device subsections are holes to offline_pages");
	spanned = mm->node_data[0].node_zones[ZONE_DEVICE].spanned_pages;
	is(mm_memunmap_pages(mm, id), 0, "memunmap");
	INV(mm, "unmapping: the taint stays until the section empties");
	ok((ms->section_mem_map & SECTION_TAINT_ZONE_DEVICE) && online_section(ms) &&
	   pfn_valid(mm, (s + 64 * MiB) >> 12),
	   "section 32 keeps its (stale) taint, as the kernel's does (and its boot memmap)");
	ok(mm->node_data[0].node_zones[ZONE_DEVICE].spanned_pages == spanned && spanned,
	   "ZONE_DEVICE's span never shrinks");
	ms->section_mem_map &= ~SECTION_TAINT_ZONE_DEVICE;
	INV(mm, "and the section without the taint is fine too");
	__nr_to_section(mm, 4)->section_mem_map |= SECTION_TAINT_ZONE_DEVICE;
	ok(mm_check_invariants(mm, buf, sizeof(buf)) == -EUCLEAN && strstr(buf, "26:"),
	   "a taint on a boot section without holes is caught (%s)", buf);
	__nr_to_section(mm, 4)->section_mem_map &= ~SECTION_TAINT_ZONE_DEVICE;
	is(mm_memremap_pages(mm, &p, &id), 0, "the hole takes a device again");
	INV(mm, "re-mapping the hole");
	mm_model_destroy(mm);
}

static void device_only_sections(void)
{
	struct mm_model *mm = test_default_model();
	struct mm_pgmap_params p = dev(16 * GiB + 64 * MiB, 192 * MiB, MEMORY_DEVICE_GENERIC);
	struct mm_pgmap_params q = dev(16 * GiB + 256 * MiB, 32 * MiB, MEMORY_DEVICE_FS_DAX);
	const uint64_t s0 = (16 * GiB) >> 27;
	uint64_t id1, id2;

	is(mm_memremap_pages(mm, &p, &id1), 0, "[16G + 64M, +192M): half, whole section");
	is(mm_memremap_pages(mm, &q, &id2), 0, "[16G + 256M, +32M) in the next section");
	ok((__nr_to_section(mm, s0)->section_mem_map & SECTION_TAINT_ZONE_DEVICE) &&
	   !(__nr_to_section(mm, s0 + 1)->section_mem_map & SECTION_TAINT_ZONE_DEVICE) &&
	   (__nr_to_section(mm, s0 + 2)->section_mem_map & SECTION_TAINT_ZONE_DEVICE),
	   "sections where a range starts or ends inside are tainted, the whole one is not");
	ok(!online_section(__nr_to_section(mm, s0)) && !find_memory_block_by_id(mm, s0),
	   "device-only sections are never online and have no memory block");
	INV(mm, "device-only sections");
	is(mm_memunmap_pages(mm, id1), 0, "unmap the first");
	ok(__nr_to_section(mm, s0)->section_mem_map == 0 &&
	   __nr_to_section(mm, s0 + 1)->section_mem_map == 0 &&
	   (__nr_to_section(mm, s0 + 2)->section_mem_map & SECTION_TAINT_ZONE_DEVICE),
	   "its sections are gone, the second range's section keeps its taint");
	is(mm_memunmap_pages(mm, id2), 0, "unmap the second");
	ok(__nr_to_section(mm, s0 + 2)->section_mem_map == 0, "the emptied section is cleared");
	INV(mm, "both unmapped");
	p.nid = 3;
	is(mm_memremap_pages(mm, &p, &id1), 0, "a device on node 3, which has no memory");
	ok(mm->node_data[3].online && mm->node_data[3].node_zones[ZONE_DEVICE].spanned_pages,
	   "node 3 is online and spans its ZONE_DEVICE");
	INV(mm, "a memoryless node with device memory");
	mm_model_destroy(mm);
}

/* injected corruptions of a device range are caught */
static void invariants_catch(void)
{
	struct mm_model *mm = test_default_model();
	struct mm_pgmap_params p = dev(16 * GiB, 128 * MiB, MEMORY_DEVICE_FS_DAX);
	struct dev_pagemap *pgmap;
	struct page *page, saved;
	char buf[256];
	uint64_t id;

	p.has_altmap = true;
	p.altmap.base_pfn = (16 * GiB) >> 12;
	p.altmap.free = 512;
	is(mm_memremap_pages(mm, &p, &id), 0, "fsdax with altmap");
	pgmap = resource_find_id(mm, id)->pgmap;
#define CAUGHT(what, rule, corrupt, restore) do {					\
	corrupt;									\
	ok(mm_check_invariants(mm, buf, sizeof(buf)) == -EUCLEAN && strstr(buf, rule),	\
	   "caught: %s (%s)", what, buf);						\
	restore;									\
	INV(mm, "undoing: %s", what);							\
} while (0)
	CAUGHT("an altmap handing out more than it holds", "21:",
	       pgmap->altmap.alloc += 600, pgmap->altmap.alloc -= 600);
	CAUGHT("an altmap base off the range start", "22:",
	       pgmap->altmap.base_pfn++, pgmap->altmap.base_pfn--);
	CAUGHT("a pgmap reference nobody holds", "19:", pgmap->ref_pages++, pgmap->ref_pages--);
	CAUGHT("a dying pgmap still mapped", "19:", pgmap->dying = true, pgmap->dying = false);
	page = pfn_to_page(mm, ((16 * GiB) >> 12) + 600);
	saved = *page;
	CAUGHT("a device page below its idle count", "18:",
	       set_page_count(page, -1), *page = saved);
	CAUGHT("a device page without its pgmap", "17:", page->pgmap = NULL, *page = saved);
	page = pfn_to_page(mm, (16 * GiB) >> 12);   /* reserve 0: the first free pfn */
	saved = *page;
	CAUGHT("a memmap pfn claiming the pgmap", "23:", page->pgmap = pgmap, *page = saved);
	CAUGHT("device memory counted present", "zone Device",
	       mm->node_data[0].node_zones[ZONE_DEVICE].present_pages++,
	       mm->node_data[0].node_zones[ZONE_DEVICE].present_pages--);
	CAUGHT("a leaked altmap", "21:", mm->zone_device->altmap_leaks++,
	       mm->zone_device->altmap_leaks--);
	mm_model_destroy(mm);
}

int main(void)
{
	every_type();
	type_checks();
	needs_vmemmap();
	range_checks();
	references();
	compound_pages();
	shared_section();
	device_only_sections();
	invariants_catch();
	return tap_done();
}
