/* SPDX-License-Identifier: MIT */
/*
 * The nvdimm pfn layout (nd_pfn_init() + __nvdimm_setup_pfn()): the worked examples of
 * kernel-model.md section 9 and testing.md to the byte, map=mem, the refusals of section 13,
 * invariant 32 (the altmap's free pfns always hold the memmap of the whole namespace, padding
 * included) over many sizes, and the 16 GiB map=dev namespace mapped for real: its altmap ends
 * with alloc + align exactly equal to free.
 */
#include "test-util.h"
#include "memremap.h"

static struct mm_pgmap_params ns_pgmap(const struct mm_nd_pfn *pfn, enum mm_pgmap_type type,
				       uint64_t align)
{
	struct mm_pgmap_params p = {
		.start = pfn->range_start, .size = pfn->range_size, .type = type,
		.align = align, .has_altmap = pfn->map_dev, .altmap = pfn->altmap,
	};

	return p;
}

/* kernel-model.md section 9: 16 GiB, 2 MiB aligned, map=dev, align 2 MiB */
static void worked_example_16g(void)
{
	struct mm_model *mm = test_default_model();
	const uint64_t start = 56 * GiB, base = start >> 12;
	struct mm_nd_pfn pfn;

	is(mm_nd_pfn_init(mm, start, 16 * GiB, 2 * MiB, true, &pfn), 0,
	   "16 GiB namespace at 56 GiB, map=dev, align 2 MiB");
	is(pfn.dataoff, 270532608, "dataoff = ALIGN(8 KiB + 64 x 4,194,302, 2 MiB) = 258 MiB");
	is(pfn.npfns, 4128256, "npfns = 4,128,256 data pages");
	is(pfn.start_pad, 0, "no start_pad");
	is(pfn.end_trunc, 0, "no end_trunc");
	is(pfn.align, 2 * MiB, "effective alignment 2 MiB");
	ok(pfn.map_dev, "map=dev");
	ok(pfn.range_start == start && pfn.range_size == 16 * GiB,
	   "the pgmap covers the whole namespace, info block and memmap included");
	is(pfn.altmap.base_pfn, base, "altmap base = the namespace's first pfn");
	is(pfn.altmap.reserve, 2, "reserve = 2 (the 8 KiB info block)");
	is(pfn.altmap.free, 66046, "free = (dataoff - 8 KiB) / 4 KiB = 66,046");
	is(pfn.altmap.end_pfn, ((start + 16 * GiB) >> 12) - 1, "end_pfn = the last pfn");
	is(base + pfn.altmap.reserve + pfn.altmap.free, base + 66048,
	   "pfn_first = base + 66,048 = dataoff / 4 KiB");
	is(pfn.altmap.alloc + pfn.altmap.align, 0, "nothing allocated yet");
	mm_model_destroy(mm);
}

/* testing.md: pmem.umockdev's namespace */
static void worked_example_testing_md(void)
{
	struct mm_model *mm = test_default_model();
	const uint64_t start = 0x240000000ULL, size = 4 * GiB;
	struct mm_nd_pfn pfn;

	is(mm_nd_pfn_init(mm, start, size, 2 * MiB, true, &pfn), 0,
	   "4 GiB namespace at 0x240000000, map=dev, align 2 MiB");
	is(pfn.dataoff, 0x4200000, "dataoff 0x4200000");
	is(start + pfn.start_pad + pfn.dataoff, 0x244200000ULL, "pfn resource 0x244200000");
	is(size - pfn.start_pad - pfn.end_trunc - pfn.dataoff, 4225761280ULL,
	   "pfn size 4225761280");
	is(pfn.altmap.base_pfn, 0x240000, "altmap base_pfn 0x240000");
	is(pfn.altmap.reserve, 2, "reserve 2");
	is(pfn.altmap.free, 16894, "free 16894");
	mm_model_destroy(mm);
}

static void map_mem_and_alignments(void)
{
	struct mm_model *mm = test_default_model();
	struct mm_nd_pfn pfn;

	is(mm_nd_pfn_init(mm, 0x240000000ULL, 4 * GiB, 2 * MiB, false, &pfn), 0, "map=mem");
	ok(!pfn.map_dev && pfn.dataoff == 2 * MiB && pfn.npfns == (4 * GiB - 2 * MiB) >> 12 &&
	   pfn.altmap.free == 0 && pfn.range_size == 4 * GiB,
	   "map=mem: data at the first 2 MiB boundary after the info block, no altmap");
	is(mm_nd_pfn_init(mm, 0x240000000ULL, 4 * GiB, 0, true, &pfn), 0, "align 0: the default");
	is(pfn.align, 2 * MiB, "the default alignment is the PMD size (THP)");
	is(mm_nd_pfn_init(mm, 0x240000000ULL, 4 * GiB, 4096, true, &pfn), 0, "align 4 KiB");
	ok(pfn.align == 2 * MiB && pfn.dataoff == 0x4200000,
	   "... is raised to memremap_compat_align() (2 MiB) for the layout");
	is(mm_nd_pfn_init(mm, 9 * GiB + 2 * MiB, 4 * GiB, GiB, true, &pfn), 0,
	   "align 1 GiB (PUD) at 9 GiB + 2 MiB");
	ok(pfn.end_trunc == 2 * MiB && pfn.dataoff == GiB - 2 * MiB &&
	   pfn.npfns == (4 * GiB - pfn.dataoff - 2 * MiB) >> 12,
	   "the end is truncated to 1 GiB (2 MiB), data starts at the next 1 GiB boundary");
	ok(pfn.altmap.free == (pfn.dataoff - 8 * KiB) >> 12 && pfn.range_size == 4 * GiB - 2 * MiB,
	   "free covers everything between the info block and the data");
	mm_model_destroy(mm);

	mm = test_model("ppc64-64k", 0);
	is(nd_info_block_reserve(mm), 64 * KiB, "64K pages: nd_info_block_reserve() is 64 KiB");
	is(mm_nd_pfn_init(mm, 16 * GiB, 4 * GiB, 2 * MiB, true, &pfn), 0, "ppc64-64k map=dev");
	ok(pfn.altmap.reserve == 1 && pfn.altmap.free == (pfn.dataoff - 64 * KiB) >> 16,
	   "reserve 1 page of 64 KiB, free = (dataoff - 64 KiB) / 64 KiB (%" PRIu64 ")",
	   pfn.altmap.free);
	mm_model_destroy(mm);
}

/* kernel-model.md section 13: nd_pfn_init / __nvdimm_setup_pfn rows */
static void refusals(void)
{
	struct mm_model *mm = test_default_model();
	struct mm_err err = { 0 };
	struct nd_pfn_sb sb;
	struct mm_nd_pfn pfn;

	EXPECT_ERR(mm, mm_nd_pfn_init(mm, 0x240100000ULL, 4 * GiB, 2 * MiB, true, &pfn), -EINVAL,
		   MM_CAUSE_MISALIGNED, "nd_pfn_init: start not compat-aligned: -EINVAL");
	EXPECT_ERR(mm, mm_nd_pfn_init(mm, 0x240000000ULL, 2 * MiB, 2 * MiB, true, &pfn), -ENXIO,
		   MM_CAUSE_INVALID, "nd_pfn_init: dataoff >= usable size (2 MiB map=dev): -ENXIO");
	EXPECT_ERR(mm, mm_nd_pfn_init(mm, GiB, 512 * MiB, GiB, false, &pfn), -ENXIO,
		   MM_CAUSE_INVALID, "nd_pfn_init: 512 MiB cannot hold a 1 GiB-aligned start: -ENXIO");
	EXPECT_ERR(mm, mm_nd_pfn_init(mm, 0x240000000ULL, 4 * GiB, 64 * KiB, true, &pfn), -EINVAL,
		   MM_CAUSE_INVALID, "an alignment that is not PAGE/PMD/PUD size: -EINVAL");
	EXPECT_ERR(mm, mm_nd_pfn_init(mm, 0x240000000ULL, 4 * KiB, 2 * MiB, true, &pfn), -ENXIO,
		   MM_CAUSE_INVALID, "a namespace smaller than the info block: -ENXIO");
	EXPECT_ERR(mm, mm_nd_pfn_init(mm, 0x240000000ULL, 0, 2 * MiB, true, &pfn), -EINVAL,
		   MM_CAUSE_INVALID, "an empty namespace: -EINVAL");

	is(nd_pfn_init(mm, 0x240000000ULL, 4 * GiB, 2 * MiB, PFN_MODE_NONE, &sb, &err), -ENXIO,
	   "nd_pfn_init: bad mode: -ENXIO (%s)", err.why);
	is(nd_pfn_init(mm, 0x240000000ULL, 4 * GiB, 2 * MiB, PFN_MODE_RAM, &sb, &err), 0,
	   "an info block for map=mem");
	sb.dataoff = 4 * KiB;
	is(__nvdimm_setup_pfn(mm, 0x240000000ULL, 4 * GiB, &sb, &pfn, &err), -EINVAL,
	   "__nvdimm_setup_pfn: map=mem with dataoff inside the info block reserve: -EINVAL (%s)",
	   err.why);
	sb.mode = 7;
	is(__nvdimm_setup_pfn(mm, 0x240000000ULL, 4 * GiB, &sb, &pfn, &err), -ENXIO,
	   "__nvdimm_setup_pfn: unknown mode: -ENXIO");
	is(sizeof(struct page), 64,
	   "struct page is MAX_STRUCT_PAGE_SIZE: the 'struct page > 64' -EINVAL cannot arise");
	mm_model_destroy(mm);
}

/* invariant 32, by the same simulation memremap runs (mm_plan_memremap()) */
static void free_always_suffices(void)
{
	struct mm_model *mm = test_default_model();
	static const uint64_t sizes[] = { 6 * MiB, 130 * MiB, GiB, 3 * GiB + 6 * MiB, 16 * GiB,
					  40 * GiB + 130 * MiB, 128 * GiB };
	static const uint64_t aligns[] = { 4096, 2 * MiB, GiB };
	unsigned int tried = 0, planned = 0, bad = 0;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (size_t j = 0; j < sizeof(aligns) / sizeof(aligns[0]); j++) {
			struct mm_nd_pfn pfn;
			struct mm_pgmap_params p;
			struct mm_plan plan;

			tried++;
			if (mm_nd_pfn_init(mm, 64 * GiB, sizes[i], aligns[j], true, &pfn))
				continue;
			p = ns_pgmap(&pfn, MEMORY_DEVICE_FS_DAX, 0);
			mm_plan_memremap(mm, &p, &plan);
			planned++;
			if (plan.error || plan.altmap.alloc + plan.altmap.align > plan.altmap.free ||
			    pfn.dataoff < ALIGN(8 * KiB + 64 * ((sizes[i] - 8 * KiB) >> 12),
						MAX(aligns[j], 2 * MiB))) {
				printf("#   %s align %s: plan %d (%s), alloc %" PRIu64 " align %"
				       PRIu64 " free %" PRIu64 "\n", HSIZE(sizes[i]), HSIZE(aligns[j]),
				       plan.error, plan.why, plan.altmap.alloc, plan.altmap.align,
				       plan.altmap.free);
				bad++;
			}
		}
	}
	ok(planned >= 17 && !bad, "32: for %u of %u layouts dataoff >= ALIGN(8 KiB + 64 x npfns0) "
	   "and the altmap holds the whole memmap with its padding (%u failed)", planned, tried,
	   bad);
	mm_model_destroy(mm);
}

/* The 16 GiB map=dev namespace mapped: its altmap ends exactly full. */
static void map_the_16g_namespace(void)
{
	struct mm_model *mm = test_default_model();
	const uint64_t start = 56 * GiB, base = start >> 12;
	struct mm_nd_pfn pfn;
	struct mm_pgmap_params p;
	struct mm_range_info ri;
	struct mm_pfn_info info;
	struct mm_stats before, after;
	struct mm_plan plan;
	uint64_t id = 0;

	mm_nd_pfn_init(mm, start, 16 * GiB, 2 * MiB, true, &pfn);
	p = ns_pgmap(&pfn, MEMORY_DEVICE_FS_DAX, 0);
	mm_get_stats(mm, &before);
	mm_plan_memremap(mm, &p, &plan);
	ok(!plan.error && plan.memmap_location == MM_MEMMAP_ALTMAP &&
	   plan.altmap.alloc == 65536 && plan.altmap.align == 510 && plan.nr_blocks == 0 &&
	   plan.nr_sections == 128 && plan.zone == ZONE_DEVICE,
	   "plan: 128 sections, memmap from the altmap: alloc 65,536 + align 510");
	is(mm_memremap_pages(mm, &p, &id), 0, "memremap the namespace (fsdax, map=dev)");
	INV(mm, "mapping 16 GiB with its memmap in the namespace");
	is(mm_range_info(mm, id, &ri), 0, "its range");
	is(ri.altmap.alloc + ri.altmap.align, 66046,
	   "alloc + align = free = 66,046 exactly (alloc %" PRIu64 ", align %" PRIu64 ")",
	   ri.altmap.alloc, ri.altmap.align);
	ok(ri.device && ri.type == MEMORY_DEVICE_FS_DAX && ri.has_altmap &&
	   ri.altmap.free == 66046 && ri.altmap.reserve == 2 && ri.refs == 0 &&
	   ri.memmap_bytes == 256 * MiB, "range: fsdax, altmap, no references, 256 MiB of memmap");
	mm_get_stats(mm, &after);
	ok(after.memmap_device_bytes == before.memmap_device_bytes + 256 * MiB &&
	   after.memmap_ram_bytes == before.memmap_ram_bytes &&
	   after.device_bytes == 16 * GiB && after.present_bytes == before.present_bytes &&
	   after.online_bytes == before.online_bytes,
	   "stats: 256 MiB memmap in the device, 16 GiB device memory, nothing present or online");

	mm_lookup_pfn(mm, base, &info);
	ok(info.valid && !info.online && info.pgmap == id && !strcmp(info.flag_names, "poisoned"),
	   "the info block pfn has a struct page, untouched (%s)", info.flag_names);
	mm_lookup_pfn(mm, base + 2, &info);
	ok(info.zone == ZONE_DEVICE && !strcmp(info.flag_names, "reserved") && info.refcount == 1 &&
	   info.memmap == MM_MEMMAP_ALTMAP, "pfn base+2 holds memmap: reserved, refcount 1");
	mm_lookup_pfn(mm, base + 66048, &info);
	ok(info.zone == ZONE_DEVICE && !info.online && info.refcount == 0 &&
	   !strcmp(info.flag_names, "reserved") && info.pgmap == id,
	   "pfn_first = base + 66,048 is the first fsdax page, refcount 0");
	ok(pfn_to_page(mm, base + 66048)->pgmap == resource_find_id(mm, id)->pgmap &&
	   pfn_to_page(mm, base + 66047)->pgmap != resource_find_id(mm, id)->pgmap,
	   "the pgmap back-reference starts exactly at pfn_first");
	EXPECT_ERR(mm, mm_get_pages(mm, base + 66047, 1), -EINVAL, MM_CAUSE_STATE,
		   "a memmap pfn is no device page: no reference on it");

	is(mm_memunmap_pages(mm, id), 0, "memunmap the namespace");
	INV(mm, "unmapping it (the altmap was back at alloc 0)");
	mm_get_stats(mm, &after);
	ok(after.memmap_device_bytes == before.memmap_device_bytes && after.device_bytes == 0,
	   "the memmap went with it");
	mm_model_destroy(mm);
}

int main(void)
{
	worked_example_16g();
	worked_example_testing_md();
	map_mem_and_alignments();
	refusals();
	free_always_suffices();
	map_the_16g_namespace();
	return tap_done();
}
