/* SPDX-License-Identifier: MIT */
/*
 * System RAM hot-add and hot-remove: the sections, blocks, ranges and memmap an add creates, the
 * error rows of kernel-model.md section 13 that apply (each with its errno and cause, its plan
 * agreeing, and the model unchanged), partial removal, memmap_on_memory, resource merging, the
 * pluggable range, and resident memory falling after removal.
 */
#include "test-util.h"

struct range_list {
	struct mm_range_info r[16];
	int n;
};

static int collect_range(const struct mm_range_info *r, void *arg)
{
	struct range_list *l = arg;

	if (l->n < 16)
		l->r[l->n] = *r;
	l->n++;
	return 0;
}

static struct range_list ranges(const struct mm_model *mm)
{
	struct range_list l = { .n = 0 };

	mm_for_each_range(mm, collect_range, &l);
	return l;
}

/* An add that must fail: plan agrees, errno and cause as expected, nothing changes. */
static void add_refused(struct mm_model *mm, const char *what, int nid, uint64_t start,
			uint64_t size, unsigned int flags, int err, enum mm_cause cause,
			const char *needle)
{
	uint64_t before = model_digest(mm, 0, 0), id = 12345;
	struct mm_plan plan;
	int ret;

	mm_plan_add_memory(mm, nid, start, size, flags, &plan);
	ret = mm_add_memory(mm, nid, start, size, flags, &id);
	EXPECT_ERR(mm, ret, err, cause, "add refused: %s", what);
	ok(!needle || strstr(mm_last_error(mm), needle), "... and says \"%s\"", needle ? needle : "");
	ok(plan_matches(mm, &plan, ret), "... the plan predicted it (%d, %s)", plan.error, plan.why);
	ok(model_digest(mm, 0, 0) == before && id == 12345, "... the model is unchanged");
	INV(mm, "a refused add (%s)", what);
}

static void remove_refused(struct mm_model *mm, const char *what, uint64_t start, uint64_t size,
			   int err, enum mm_cause cause)
{
	uint64_t before = model_digest(mm, 0, 0);
	struct mm_plan plan;
	int ret;

	mm_plan_remove_memory(mm, start, size, &plan);
	ret = mm_remove_memory(mm, start, size);
	EXPECT_ERR(mm, ret, err, cause, "remove refused: %s", what);
	ok(plan_matches(mm, &plan, ret), "... the plan predicted it (%d, %s)", plan.error, plan.why);
	ok(model_digest(mm, 0, 0) == before, "... the model is unchanged");
	INV(mm, "a refused remove (%s)", what);
}

static void add_and_remove(void)
{
	struct mm_model *mm = test_default_model();
	const uint64_t start = 8 * GiB, pfn = start >> 12;
	struct mm_stats before, after;
	struct mm_pfn_info info;
	struct mm_block_info b;
	struct mm_plan plan;
	struct range_list l;
	uint64_t id = 0;
	int bad = 0;

	mm_get_stats(mm, &before);
	mm_plan_add_memory(mm, 0, start, GiB, MHP_NONE, &plan);
	ok(plan.error == 0 && plan.first_section == 64 && plan.nr_sections == 8 &&
	   plan.nr_subsections == 512 && plan.first_block == 64 && plan.nr_blocks == 8 &&
	   plan.memmap_bytes == 16 * MiB && plan.memmap_location == MM_MEMMAP_RAM && !plan.has_altmap,
	   "plan: 8 sections, 512 subsections, blocks 64-71, 16 MiB of memmap from RAM");
	is(mm_add_memory(mm, 0, start, GiB, MHP_NONE, &id), 0, "add [8G, 9G)");
	is(id, 1, "the first range gets id 1");
	INV(mm, "adding 1 GiB");

	l = ranges(mm);
	ok(l.n == 1 && l.r[0].id == 1 && l.r[0].start == start && l.r[0].size == GiB &&
	   !l.r[0].device && l.r[0].nid == 0 && l.r[0].memmap_bytes == 16 * MiB && !l.r[0].has_altmap,
	   "one System RAM range [8G, 9G) on node 0");
	for (uint64_t i = 64; i < 72; i++) {
		bad |= mm_memory_block_info(mm, i, &b) || b.state != MEM_OFFLINE || b.early ||
		       b.zone != -1 || b.nid != 0 || strcmp(b.valid_zones, "Normal Movable");
	}
	ok(!bad, "blocks 64-71 exist offline, not early, valid_zones \"Normal Movable\"");
	is(mm_nr_memory_blocks(mm), 64, "56 boot + 8 new blocks");
	struct mm_range_info ri;
	ok(!mm_range_info(mm, 1, &ri) && ri.start == start && ri.size == GiB,
	   "mm_range_info(1) finds it");
	EXPECT_ERR(mm, mm_range_info(mm, 2, &ri), -ENOENT, MM_CAUSE_NOENT, "no range 2 yet");
	is(mm_lookup_pfn(mm, pfn + 777, &info), 0, "lookup a hot-added pfn");
	ok(info.valid && !info.online && !strcmp(info.flag_names, "poisoned") && info.zone == -1 &&
	   info.memmap == MM_MEMMAP_RAM && info.block == 64,
	   "its struct page exists, poisoned, RAM memmap, offline");
	ok(mm_pfn_valid(mm, pfn) && !mm_pfn_to_online_page(mm, pfn),
	   "pfn_valid but not pfn_to_online_page before onlining");
	mm_get_stats(mm, &after);
	ok(after.present_bytes == before.present_bytes + GiB &&
	   after.online_bytes == before.online_bytes &&
	   after.memmap_ram_bytes == before.memmap_ram_bytes + 16 * MiB &&
	   after.memmap_resident_bytes == before.memmap_resident_bytes + 16 * MiB,
	   "stats: +1 GiB present, nothing online, +16 MiB memmap, +16 MiB resident");
	is(memmap_resident(mm, pfn, GiB >> 12), 16 * MiB, "mincore: the new memmap is resident");

	/* error rows with a range present */
	add_refused(mm, "overlaps a hot-added range", 0, start + 512 * MiB, GiB, 0, -EEXIST,
		    MM_CAUSE_OVERLAP, "range 1");
	remove_refused(mm, "reaches past the range", start + 896 * MiB, 256 * MiB, -EINVAL,
		       MM_CAUSE_NOENT);
	is(mm_memory_block_online(mm, 64, MMOP_ONLINE), 0, "online block 64");
	remove_refused(mm, "a block is online", start, GiB, -EBUSY, MM_CAUSE_BUSY);
	is(mm_memory_block_offline(mm, 64), 0, "offline block 64");

	is(mm_remove_memory(mm, start, GiB), 0, "remove [8G, 9G)");
	INV(mm, "removing 1 GiB");
	l = ranges(mm);
	ok(l.n == 0 && mm_nr_memory_blocks(mm) == 56, "no range, the 56 boot blocks remain");
	ok(!mm_pfn_valid(mm, pfn) && mm_lookup_pfn(mm, pfn, &info) == 0 &&
	   info.memmap == MM_MEMMAP_NONE && info.block == -1, "the pfns have no memmap any more");
	mm_get_stats(mm, &after);
	ok(!memcmp(&after, &before, sizeof(after)), "stats are back to the boot values");
	is(memmap_resident(mm, pfn, GiB >> 12), 0, "mincore: the memmap was given back");
	is(mm_add_memory(mm, 0, start, GiB, MHP_NONE, &id), 0, "add [8G, 9G) again");
	is(id, 2, "ids are never reused: 2");
	INV(mm, "adding again");
	mm_model_destroy(mm);
}

static void error_rows(void)
{
	struct mm_model *mm = test_model("x86_64", 0);

	add_refused(mm, "model not booted", 0, 8 * GiB, GiB, 0, -EINVAL, MM_CAUSE_STATE, "boot");
	mm_boot_memory_add(mm, 0, 3 * GiB, 0);
	mm_boot_memory_add(mm, 4 * GiB, 4 * GiB, 0);
	is(mm_boot_init(mm), 0, "boot the default layout");

	add_refused(mm, "size 0", 0, 8 * GiB, 0, 0, -EINVAL, MM_CAUSE_INVALID, "size is 0");
	add_refused(mm, "start not block aligned", 0, 8 * GiB + 64 * MiB, 128 * MiB, 0, -EINVAL,
		    MM_CAUSE_MISALIGNED,
		    "start 0x204000000 is not aligned to the memory block size (128 MiB)");
	add_refused(mm, "size not a block multiple", 0, 8 * GiB, 100 * MiB, 0, -EINVAL,
		    MM_CAUSE_MISALIGNED, "not a multiple of the memory block size (128 MiB)");
	add_refused(mm, "wraps around", 0, UINT64_MAX - 128 * MiB + 1, 256 * MiB, 0, -E2BIG,
		    MM_CAUSE_RANGE, "wraps");
	add_refused(mm, "beyond MAX_PHYSMEM_BITS", 0, (1ULL << 46) - 128 * MiB, 256 * MiB, 0,
		    -E2BIG, MM_CAUSE_RANGE, "MAX_PHYSMEM_BITS (46 bits, 64 TiB)");
	add_refused(mm, "overlaps boot RAM", 0, 2 * GiB, 128 * MiB, 0, -EEXIST, MM_CAUSE_OVERLAP,
		    "boot memory [0, 0xc0000000)");
	add_refused(mm, "straddles the end of boot RAM", 0, 7 * GiB, 2 * GiB, 0, -EEXIST,
		    MM_CAUSE_OVERLAP, "overlaps boot memory");
	add_refused(mm, "node 64 is not possible", 64, 20 * GiB, 128 * MiB, 0, -EINVAL,
		    MM_CAUSE_INVALID, "node 64");
	add_refused(mm, "node -1", -1, 20 * GiB, 128 * MiB, 0, -EINVAL, MM_CAUSE_INVALID, "node -1");
	add_refused(mm, "unknown hotplug flag", 0, 20 * GiB, 128 * MiB, 1u << 5, -EINVAL,
		    MM_CAUSE_INVALID, "flags");

	remove_refused(mm, "size 0", 8 * GiB, 0, -EINVAL, MM_CAUSE_INVALID);
	remove_refused(mm, "misaligned", 8 * GiB + 4096, 128 * MiB, -EINVAL, MM_CAUSE_MISALIGNED);
	remove_refused(mm, "wraps around", UINT64_MAX - 128 * MiB + 1, 256 * MiB, -E2BIG,
		       MM_CAUSE_RANGE);
	remove_refused(mm, "boot memory", 4 * GiB, 128 * MiB, -EINVAL, MM_CAUSE_INVALID);
	remove_refused(mm, "nothing there", 20 * GiB, 128 * MiB, -EINVAL, MM_CAUSE_NOENT);
	remove_refused(mm, "the PCI hole", 3 * GiB, 128 * MiB, -EINVAL, MM_CAUSE_NOENT);
	mm_model_destroy(mm);
}

static void partial_remove(void)
{
	struct mm_model *mm = test_default_model();
	const uint64_t s = 16 * GiB;
	struct range_list l;
	uint64_t id2 = 0, id4 = 0;

	is(mm_add_memory(mm, 0, s, GiB, 0, &id2), 0, "add [16G, 17G)");
	is(mm_remove_memory(mm, s + 256 * MiB, 256 * MiB), 0, "remove the middle [16G+256M, +256M)");
	INV(mm, "a split");
	l = ranges(mm);
	ok(l.n == 2 && l.r[0].id == id2 && l.r[0].start == s && l.r[0].size == 256 * MiB &&
	   l.r[1].id == id2 + 1 && l.r[1].start == s + 512 * MiB && l.r[1].size == 512 * MiB,
	   "the record is split: head keeps id %" PRIu64 ", the tail gets id %" PRIu64, id2, id2 + 1);
	is(memmap_resident(mm, (s + 256 * MiB) >> 12, (256 * MiB) >> 12), 0,
	   "mincore: the removed middle's memmap is gone");
	is(memmap_resident(mm, s >> 12, (256 * MiB) >> 12), 4 * MiB,
	   "mincore: the head's memmap stays");

	is(mm_remove_memory(mm, s, 128 * MiB), 0, "trim the head's first block");
	is(mm_remove_memory(mm, s + GiB - 128 * MiB, 128 * MiB), 0, "trim the tail's last block");
	INV(mm, "two trims");
	l = ranges(mm);
	ok(l.n == 2 && l.r[0].start == s + 128 * MiB && l.r[0].size == 128 * MiB &&
	   l.r[1].start == s + 512 * MiB && l.r[1].size == 384 * MiB,
	   "trimmed: [16G+128M, +128M) and [16G+512M, +384M)");
	remove_refused(mm, "across a gap", s + 128 * MiB, 512 * MiB, -EINVAL, MM_CAUSE_NOENT);

	is(mm_add_memory(mm, 0, s + 256 * MiB, 256 * MiB, 0, &id4), 0, "fill the gap");
	is(mm_remove_memory(mm, s + 128 * MiB, 768 * MiB), 0,
	   "one remove across three adjacent records");
	INV(mm, "removing across records");
	l = ranges(mm);
	ok(l.n == 0, "all records are gone");
	mm_model_destroy(mm);
}

static void memmap_on_memory(void)
{
	struct mm_model *mm = test_default_model();
	const uint64_t s = 24 * GiB, pfn = s >> 12;
	struct mm_stats before, after;
	struct mm_pfn_info info;
	struct mm_block_info b;
	struct mm_plan plan;
	struct range_list l;
	uint64_t id = 0;

	ok(mm_supports_memmap_on_memory(mm), "x86_64 128 MiB blocks support memmap_on_memory");
	mm_get_stats(mm, &before);
	mm_plan_add_memory(mm, 0, s, 256 * MiB, MHP_MEMMAP_ON_MEMORY, &plan);
	ok(!plan.error && plan.memmap_location == MM_MEMMAP_ALTMAP && plan.has_altmap &&
	   plan.altmap.base_pfn == pfn && plan.altmap.free == 512 && plan.altmap.alloc == 512,
	   "plan: memmap in an altmap at the block start, 512 pages");
	is(mm_add_memory(mm, 0, s, 256 * MiB, MHP_MEMMAP_ON_MEMORY, &id), 0,
	   "add [24G, +256M) with MHP_MEMMAP_ON_MEMORY");
	INV(mm, "adding with memmap_on_memory");
	ok(!mm_memory_block_info(mm, 193, &b) && b.has_altmap && b.altmap_pages == 512,
	   "every block has its own altmap of 512 vmemmap pages");
	l = ranges(mm);
	ok(l.n == 1 && l.r[0].has_altmap, "the range reports its memmap on memory");
	mm_get_stats(mm, &after);
	ok(after.memmap_device_bytes == 4 * MiB && after.memmap_ram_bytes == before.memmap_ram_bytes,
	   "stats: 4 MiB of memmap placed through altmaps, none from RAM");
	mm_lookup_pfn(mm, pfn + 40000, &info);
	is(info.memmap, MM_MEMMAP_ALTMAP, "lookup: the memmap lives in the altmap");

	const struct zone *normal = &mm->node_data[0].node_zones[ZONE_NORMAL];
	uint64_t present = normal->present_pages, managed = normal->managed_pages;

	is(mm_memory_block_online(mm, 192, MMOP_ONLINE), 0, "online block 192");
	INV(mm, "onlining a memmap_on_memory block");
	ok(normal->present_pages == present + 32768 && normal->managed_pages == managed + 32256,
	   "the 512 vmemmap pages are present but not managed");
	mm_lookup_pfn(mm, pfn, &info);
	ok(info.online && !strcmp(info.flag_names, "vmemmap_self_hosted") && info.refcount == 1,
	   "the block's first pages hold its memmap (%s, refcount %d)", info.flag_names,
	   info.refcount);
	mm_lookup_pfn(mm, pfn + 512, &info);
	ok(info.online && info.flag_names[0] == '\0' && info.refcount == 0,
	   "pfn 512 of the block is the first free page");
	ok(get_pageblock_migratetype(mm, pfn) == MIGRATE_UNMOVABLE &&
	   get_pageblock_migratetype(mm, pfn + 512) == MIGRATE_MOVABLE,
	   "vmemmap pageblock unmovable, the rest movable");
	is(mm_memory_block_offline(mm, 192), 0, "offline block 192");
	ok(normal->present_pages == present && normal->managed_pages == managed,
	   "offline gives the accounting back");
	INV(mm, "offlining a memmap_on_memory block");

	is(mm_add_memory(mm, 0, s + 256 * MiB, 128 * MiB, 0, &id), 0,
	   "add the adjacent block without memmap_on_memory");
	remove_refused(mm, "mixed altmaps", s, 384 * MiB, -EINVAL, MM_CAUSE_INVALID);
	is(mm_remove_memory(mm, s, 256 * MiB), 0, "remove the memmap_on_memory blocks alone");
	is(mm_remove_memory(mm, s + 256 * MiB, 128 * MiB), 0, "and the other one");
	INV(mm, "removing both");
	mm_get_stats(mm, &after);
	ok(!memcmp(&after, &before, sizeof(after)), "stats are back to boot values");
	mm_model_destroy(mm);

	mm = test_model("arm64-16k", 0);
	mm_boot_memory_add(mm, 0, GiB, 0);
	mm_boot_init(mm);
	ok(!mm_supports_memmap_on_memory(mm),
	   "arm64-16k: a 512 KiB block memmap is not pageblock/PMD aligned");
	is(mm_add_memory(mm, 0, 4 * GiB, 128 * MiB, MHP_MEMMAP_ON_MEMORY, &id), 0,
	   "MHP_MEMMAP_ON_MEMORY is a hint: the add succeeds");
	ok(!mm_memory_block_info(mm, 32, &b) && !b.has_altmap, "... without an altmap");
	INV(mm, "ignored memmap_on_memory");
	mm_model_destroy(mm);
}

static void merge_and_nodes(void)
{
	struct mm_model *mm = test_default_model();
	uint64_t a = 0, b = 0, c = 0;
	struct range_list l;

	is(mm_add_memory(mm, 0, 32 * GiB, 128 * MiB, MHP_MERGE_RESOURCE, &a), 0, "add, mergeable");
	is(mm_add_memory(mm, 0, 32 * GiB + 128 * MiB, 128 * MiB, MHP_MERGE_RESOURCE, &b), 0,
	   "add the next block, mergeable");
	is(b, a, "MHP_MERGE_RESOURCE folds it into the same range");
	is(mm_add_memory(mm, 0, 32 * GiB + 256 * MiB, 128 * MiB, 0, &c), 0, "add without merge");
	ok(c != a, "a non-mergeable add gets its own range");
	l = ranges(mm);
	ok(l.n == 2 && l.r[0].size == 256 * MiB, "two records: 256M merged, 128M alone");
	INV(mm, "merging");

	ok(!mm->node_data[1].online, "node 1 starts offline");
	is(mm_add_memory(mm, 1, 40 * GiB, 256 * MiB, 0, &a), 0, "add memory to node 1");
	ok(mm->node_data[1].online, "__try_online_node(): node 1 is online");
	is(mm_online_range(mm, 40 * GiB, 256 * MiB, MMOP_ONLINE_MOVABLE, NULL), 0,
	   "online it movable");
	ok(block_zone(mm, 320) == ZONE_MOVABLE && mm->node_data[1].node_zones[ZONE_MOVABLE].nid == 1,
	   "node 1 Movable");
	is(mm_offline_range(mm, 40 * GiB, 256 * MiB, NULL), 0, "offline it");
	is(mm_remove_memory(mm, 40 * GiB, 256 * MiB), 0, "remove it");
	ok(!mm->node_data[1].online, "try_offline_node(): node 1 is offline again");
	INV(mm, "node 1 came and went");
	mm_model_destroy(mm);
}

static void pluggable_range(void)
{
	struct mm_model *mm = test_model("riscv64", 0);
	uint64_t end = PFN_PHYS(mm, mm->vmemmap.end_pfn), id;

	mm_boot_memory_add(mm, 0, GiB, 0);
	is(mm_boot_init(mm), 0, "riscv64 boot");
	ok(end < (1ULL << 56), "riscv64: the process reserved memmap up to %#" PRIx64
	   " only (56 physical bits need 2^50 bytes)", end);
	add_refused(mm, "above the reservable memmap", 0, end, 128 * MiB, 0, -E2BIG, MM_CAUSE_RANGE,
		    "not pluggable");
	is(mm_add_memory(mm, 0, end - 128 * MiB, 128 * MiB, 0, &id), 0,
	   "the last pluggable block can be added");
	INV(mm, "adding at the top of the pluggable range");
	is(mm_remove_memory(mm, end - 128 * MiB, 128 * MiB), 0, "and removed");
	mm_model_destroy(mm);

	mm = test_model("x86_64-la57", 0);
	mm_boot_memory_add(mm, 0, GiB, 0);
	mm_boot_init(mm);
	if (mm->vmemmap.end_pfn == mm->geo.max_pfn) {
		is(mm_add_memory(mm, 0, 1ULL << 50, GiB, 0, &id), 0,
		   "la57: memory at 1 PiB (beyond 4-level's 46 bits) can be added");
		INV(mm, "adding at 1 PiB");
	} else {
		add_refused(mm, "la57 above the reservable memmap", 0,
			    PFN_PHYS(mm, mm->vmemmap.end_pfn), GiB, 0, -E2BIG, MM_CAUSE_RANGE,
			    "not pluggable");
	}
	mm_model_destroy(mm);
}

int main(void)
{
	add_and_remove();
	error_rows();
	partial_remove();
	memmap_on_memory();
	merge_and_nodes();
	pluggable_range();
	return tap_done();
}
