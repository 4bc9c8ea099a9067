/* SPDX-License-Identifier: MIT */
/*
 * Boot: memory_present + sparse_init + free_area_init + memmap_init + boot memory blocks.
 * Early sections, holes at subsection granularity, pfn_valid() against pfn_to_online_page() in
 * a hole, zones, accounting, boot blocks and their valid_zones, other arches and NUMA.
 */
#include "test-util.h"

static int count_sections(const struct mm_section_info *s, void *arg)
{
	int *n = arg;

	if (s->present && s->early && s->online && s->has_memmap && !s->zone_device)
		(*n)++;
	return 0;
}

struct section_pick {
	uint64_t nr;
	struct mm_section_info info;
	int found;
};

static int pick_section(const struct mm_section_info *s, void *arg)
{
	struct section_pick *p = arg;

	if (s->nr == p->nr) {
		p->info = *s;
		p->found = 1;
		return 1;
	}
	return 0;
}

struct block_walk {
	uint64_t n, last;
	int ordered;
};

static int walk_block(const struct mm_block_info *b, void *arg)
{
	struct block_walk *w = arg;

	if (w->n && b->id <= w->last)
		w->ordered = 0;
	w->last = b->id;
	w->n++;
	return b->id == 40 ? 40 : 0;
}

static void x86_layout(void)
{
	struct mm_model *mm = test_model("x86_64", 0);
	const uint64_t ram_b_end = 3 * GiB - 3 * MiB;
	struct section_pick pick = { .nr = 23 };
	struct mm_pfn_info info;
	struct mm_stats st;
	struct page *pg;
	int n = 0;
	uint64_t pfn;

	/* low memory below 640K, then 1M up to 3G - 3M, a PCI hole, then 4G..8G */
	is(mm_boot_memory_add(mm, 0, 0x9f000, 0), 0, "boot RAM [0, 0x9f000)");
	is(mm_boot_memory_add(mm, 1 * MiB, ram_b_end - 1 * MiB, 0), 0, "boot RAM [1M, 3G-3M)");
	is(mm_boot_memory_add(mm, 4 * GiB, 4 * GiB, 0), 0, "boot RAM [4G, 8G)");
	EXPECT_ERR(mm, mm_boot_memory_add(mm, 2 * GiB, 4096, 0), -EEXIST, MM_CAUSE_OVERLAP,
		   "overlapping boot RAM is refused");
	EXPECT_ERR(mm, mm_boot_memory_add(mm, 9 * GiB + 100, 4096, 0), -EINVAL, MM_CAUSE_MISALIGNED,
		   "boot RAM not page aligned is refused");
	EXPECT_ERR(mm, mm_boot_memory_add(mm, (1ULL << 46) - 4096, 8192, 0), -E2BIG, MM_CAUSE_RANGE,
		   "boot RAM beyond MAX_PHYSMEM_BITS is refused");
	EXPECT_ERR(mm, mm_boot_memory_add(mm, 9 * GiB, 4096, 64), -EINVAL, MM_CAUSE_INVALID,
		   "boot RAM on an impossible node is refused");
	is(mm_boot_init(mm), 0, "mm_boot_init");
	INV(mm, "boot");

	mm_for_each_present_section(mm, count_sections, &n);
	is(n, 56, "56 present sections, all early, online, with memmap: 0-23 and 32-63");
	mm_for_each_present_section(mm, pick_section, &pick);
	ok(pick.found && pick.info.subsection_map[0] == 0x7fffffffffffffffULL,
	   "section 23: subsections 0-62 overlap RAM, 63 is a hole (map %#" PRIx64 ")",
	   pick.info.subsection_map[0]);

	/* a hole at subsection granularity inside an early section */
	pfn = (3 * GiB - 1 * MiB) >> 12;
	ok(mm_pfn_valid(mm, pfn), "pfn_valid(3G-1M): an early section has memmap for its holes");
	ok(mm_pfn_to_online_page(mm, pfn) == NULL,
	   "pfn_to_online_page(3G-1M) is NULL: its subsection has no RAM");
	pfn = (ram_b_end + 512 * KiB) >> 12;
	ok(mm_pfn_valid(mm, pfn) && mm_pfn_to_online_page(mm, pfn) != NULL,
	   "a hole inside a RAM subsection has an online struct page");
	is(mm_lookup_pfn(mm, pfn, &info), 0, "lookup of that hole page");
	/* memmap_init(): a hole takes the zone of the RAM after it, here Normal at 4G */
	ok(!strcmp(info.flag_names, "reserved") && info.refcount == 1 && info.zone == ZONE_NORMAL,
	   "hole page: PG_reserved, refcount 1, zone of the next RAM (flags \"%s\" ref %d zone %d)",
	   info.flag_names, info.refcount, info.zone);
	is(mm_lookup_pfn(mm, 0xa0, &info), 0, "lookup of pfn 0xa0 (the 640K-1M hole)");
	ok(info.valid && info.online && !strcmp(info.flag_names, "reserved") &&
	   info.zone == ZONE_DMA, "the ISA hole is reserved in ZONE_DMA (%s, zone %d)",
	   info.flag_names, info.zone);

	pfn = (3 * GiB + 512 * MiB) >> 12;
	ok(!mm_pfn_valid(mm, pfn) && !mm_pfn_to_online_page(mm, pfn) && !mm_pfn_to_page(mm, pfn),
	   "the PCI hole (3.5G) has no section: nothing there");
	is(mm_lookup_pfn(mm, pfn, &info), 0, "lookup in the PCI hole");
	ok(!info.valid && info.memmap == MM_MEMMAP_NONE && info.block == -1 && info.zone == -1,
	   "... reports no memmap, no block, no zone");

	pfn = GiB >> 12;
	is(mm_lookup_pfn(mm, pfn, &info), 0, "lookup of pfn at 1G");
	ok(info.valid && info.online && info.refcount == 0 && info.zone == ZONE_DMA32 &&
	   info.nid == 0 && info.memmap == MM_MEMMAP_BOOT && info.block == 8 &&
	   info.flag_names[0] == '\0' && info.section_nr == 8 && info.subsection == 0,
	   "free boot page: refcount 0, DMA32, node 0, boot memmap, block 8, no flags");
	pg = mm_pfn_to_page(mm, pfn);
	ok(pg && mm_page_to_pfn(mm, pg) == pfn && mm_page_to_pfn(mm, pg + 12345) == pfn + 12345,
	   "pfn_to_page / page_to_pfn are inverse");
	EXPECT_ERR(mm, mm_lookup_pfn(mm, 1ULL << 34, &info), -EINVAL, MM_CAUSE_RANGE,
		   "lookup beyond the last pfn");

	/* zones */
	const struct zone *dma = &mm->node_data[0].node_zones[ZONE_DMA];
	const struct zone *dma32 = &mm->node_data[0].node_zones[ZONE_DMA32];
	const struct zone *normal = &mm->node_data[0].node_zones[ZONE_NORMAL];

	ok(dma->zone_start_pfn == 0 && dma->spanned_pages == 4096 && dma->present_pages == 3999,
	   "DMA spans [0, 16M), 3999 present pages (start %#" PRIx64 " spanned %" PRIu64
	   " present %" PRIu64 ")", dma->zone_start_pfn, dma->spanned_pages, dma->present_pages);
	ok(dma32->zone_start_pfn == 4096 && zone_end_pfn(dma32) == (4 * GiB) >> 12 &&
	   dma32->present_pages == (ram_b_end - 16 * MiB) >> 12,
	   "DMA32 spans [16M, 4G) with the PCI hole, RAM up to 3G-3M present");
	ok(normal->zone_start_pfn == (4 * GiB) >> 12 && normal->spanned_pages == (4 * GiB) >> 12 &&
	   normal->present_pages == normal->spanned_pages && normal->managed_pages ==
	   normal->present_pages && normal->present_early_pages == normal->present_pages,
	   "Normal spans [4G, 8G), all present, managed and early");

	mm_get_stats(mm, &st);
	is(st.present_bytes, 0x9f000 + (ram_b_end - MiB) + 4 * GiB, "present bytes = boot RAM");
	is(st.online_bytes, st.present_bytes, "all boot RAM is online");
	is(st.memmap_ram_bytes, 56 * 2 * MiB, "boot memmap: 56 sections x 2 MiB");
	is(st.memmap_device_bytes, 0, "no altmap memmap");
	is(st.memmap_resident_bytes, 56 * 2 * MiB, "resident memmap = what was populated");
	is(memmap_resident(mm, 0, 24ULL << 15), 24 * 2 * MiB,
	   "mincore: sections 0-23 memmap is really resident");
	is(memmap_resident(mm, 24ULL << 15, 8ULL << 15), 0,
	   "mincore: nothing resident for the PCI-hole sections 24-31");

	/* boot memory blocks */
	is(mm_nr_memory_blocks(mm), 56, "56 boot memory blocks");
	struct block_walk walk = { .ordered = 1 };
	is(mm_for_each_memory_block(mm, walk_block, &walk), 40,
	   "for_each_memory_block returns what the callback stops with");
	ok(walk.ordered && walk.n == 33 && walk.last == 40,
	   "it visited blocks 0-23 then 32-40, in ascending order");
	ok(block_zone(mm, 0) == -1 && !strcmp(block_valid_zones(mm, 0), "none"),
	   "block 0 spans DMA and DMA32: zone none (%s)", block_valid_zones(mm, 0));
	ok(!strcmp(block_valid_zones(mm, 1), "DMA32") && !strcmp(block_valid_zones(mm, 23), "DMA32") &&
	   !strcmp(block_valid_zones(mm, 32), "Normal"), "valid_zones of online boot blocks");
	struct mm_block_info b;
	is(mm_memory_block_info(mm, 40, &b), 0, "block 40 info");
	ok(b.state == MEM_ONLINE && b.early && b.removable && b.nid == 0 && b.start == 5 * GiB &&
	   b.size == 128 * MiB && !b.has_altmap, "block 40: online boot block on node 0 at 5G");
	EXPECT_ERR(mm, mm_memory_block_info(mm, 28, &b), -ENOENT, MM_CAUSE_NOENT,
		   "no block in the PCI hole");

	uint64_t d = model_digest(mm, 0, 0);
	EXPECT_ERR(mm, mm_memory_block_offline(mm, 0), -EINVAL, MM_CAUSE_UNSUPPORTED,
		   "block 0 (two zones) can never be offlined");
	EXPECT_ERR(mm, mm_memory_block_offline(mm, 23), -EINVAL, MM_CAUSE_UNSUPPORTED,
		   "block 23 has memory holes: offline refused");
	ok(model_digest(mm, 0, 0) == d, "refused offlines changed nothing");
	INV(mm, "refused boot offlines");

	is(mm_memory_block_offline(mm, 40), 0, "offline boot block 40");
	INV(mm, "offlining block 40");
	ok(!strcmp(block_valid_zones(mm, 40), "Normal Movable"),
	   "offline block 40: valid_zones \"%s\"", block_valid_zones(mm, 40));
	pfn = (5 * GiB) >> 12;
	ok(mm_pfn_valid(mm, pfn) && !mm_pfn_to_online_page(mm, pfn),
	   "offline boot memory keeps its memmap (early) but is not online");
	mm_lookup_pfn(mm, pfn, &info);
	ok(!strcmp(info.flag_names, "poisoned") && info.zone == -1, "its struct pages are poisoned");
	ok(normal->spanned_pages == (4 * GiB) >> 12 &&
	   normal->present_pages == ((4 * GiB) >> 12) - 32768 &&
	   normal->present_early_pages == normal->present_pages,
	   "a block in the middle keeps the span, present (early) pages drop");
	is(mm_memory_block_online(mm, 40, MMOP_ONLINE), 0, "online block 40 again");
	ok(block_zone(mm, 40) == ZONE_NORMAL && normal->present_pages == normal->spanned_pages,
	   "back in Normal with all pages present");
	INV(mm, "re-onlining block 40");

	is(mm_memory_block_offline(mm, 63), 0, "offline the last boot block (63)");
	ok(zone_end_pfn(normal) == (8 * GiB - 128 * MiB) >> 12,
	   "Normal shrinks to end at 8G-128M");
	is(mm_memory_block_online(mm, 63, MMOP_ONLINE_MOVABLE), 0, "online block 63 movable");
	const struct zone *movable = &mm->node_data[0].node_zones[ZONE_MOVABLE];
	ok(block_zone(mm, 63) == ZONE_MOVABLE && movable->zone_start_pfn == (8 * GiB - 128 * MiB) >> 12 &&
	   movable->spanned_pages == 32768 && movable->present_early_pages == 32768,
	   "Movable spans block 63, its pages count as early");
	INV(mm, "boot block moved to Movable");

	EXPECT_ERR(mm, mm_boot_memory_add(mm, 16 * GiB, GiB, 0), -EINVAL, MM_CAUSE_STATE,
		   "no boot memory after boot");
	EXPECT_ERR(mm, mm_boot_init(mm), -EINVAL, MM_CAUSE_STATE, "boot only once");
	INV(mm, "refused boot calls");
	mm_model_destroy(mm);
}

static void numa_layout(void)
{
	struct mm_model *mm = test_model("x86_64", 0);
	struct mm_block_info b;

	is(mm_boot_memory_add(mm, 0, 4 * GiB + 64 * MiB, 0), 0, "node 0: [0, 4G+64M)");
	is(mm_boot_memory_add(mm, 4 * GiB + 64 * MiB, 4 * GiB - 64 * MiB, 1), 0,
	   "node 1: [4G+64M, 8G)");
	is(mm_boot_init(mm), 0, "boot two nodes");
	INV(mm, "NUMA boot");
	is(mm_memory_block_info(mm, 32, &b), 0, "block 32 [4G, 4G+128M)");
	ok(b.zone == -1 && b.nid == 1 && !strcmp(b.valid_zones, "none"),
	   "a block spanning two nodes keeps the last node and no zone (nid %d, %s)", b.nid,
	   b.valid_zones);
	is(mm_memory_block_info(mm, 33, &b), 0, "block 33");
	ok(b.zone == ZONE_NORMAL && b.nid == 1, "block 33 is node 1 Normal");
	ok(mm->node_data[1].node_zones[ZONE_NORMAL].zone_start_pfn == (4 * GiB + 64 * MiB) >> 12 &&
	   mm->node_data[0].node_zones[ZONE_NORMAL].spanned_pages == (64 * MiB) >> 12,
	   "node 0 Normal holds 64M, node 1 Normal starts at 4G+64M");
	EXPECT_ERR(mm, mm_memory_block_offline(mm, 32), -EINVAL, MM_CAUSE_UNSUPPORTED,
		   "a block spanning nodes can never be offlined");
	INV(mm, "refused offline of a two-node block");
	mm_model_destroy(mm);
}

static void other_arches(void)
{
	struct mm_model *mm = test_model("arm64-64k", 0);
	struct section_pick pick = { .nr = 4 };
	struct mm_block_info b;

	is(mm_boot_memory_add(mm, 0, 2 * GiB + 64 * MiB, 0), 0, "arm64-64k: [0, 2G+64M)");
	is(mm_boot_init(mm), 0, "arm64-64k boot");
	INV(mm, "arm64-64k boot");
	mm_for_each_present_section(mm, pick_section, &pick);
	ok(pick.found && pick.info.subsection_map[0] == 0xffffffffULL && !pick.info.subsection_map[1] &&
	   !pick.info.subsection_map[2] && !pick.info.subsection_map[3],
	   "512 MiB section 4: 32 of its 256 subsections hold RAM");
	ok(!mm_memory_block_info(mm, 0, &b) && b.zone == ZONE_DMA && b.size == 512 * MiB,
	   "arm64: ZONE_DMA covers the 32-bit range, 512 MiB blocks");
	mm_model_destroy(mm);

	mm = test_model("ppc64-64k", 0);
	is(mm_boot_memory_add(mm, 0, GiB, 0), 0, "ppc64: [0, 1G)");
	is(mm_boot_init(mm), 0, "ppc64 boot");
	INV(mm, "ppc64 boot");
	ok(!strcmp(block_valid_zones(mm, 0), "Normal") && mm_nr_memory_blocks(mm) == 4,
	   "ppc64: 4 blocks of 256 MiB (16 sections each), all Normal");
	mm_model_destroy(mm);

	mm = test_model("s390x", 0);
	is(mm_boot_memory_add(mm, 0, 4 * GiB, 0), 0, "s390x: [0, 4G)");
	is(mm_boot_init(mm), 0, "s390x boot");
	INV(mm, "s390x boot");
	ok(block_zone(mm, 7) == ZONE_DMA && block_zone(mm, 8) == ZONE_NORMAL,
	   "s390x: ZONE_DMA below 2G (31-bit), Normal above");
	mm_model_destroy(mm);

	mm = test_model("x86_64", 0);
	is(mm_boot_init(mm), 0, "a model may boot without memory");
	INV(mm, "empty boot");
	ok(mm_nr_memory_blocks(mm) == 0 && !mm_pfn_valid(mm, 0), "no blocks, no memmap");
	mm_model_destroy(mm);
}

int main(void)
{
	x86_layout();
	numa_layout();
	other_arches();
	return tap_done();
}
