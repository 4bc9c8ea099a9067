/* SPDX-License-Identifier: MIT */
/*
 * Onlining and offlining: zone choice (contig-zones, movable_node, auto-movable with its ratio
 * and NUMA awareness), valid_zones as sysfs prints it, the memmap initialised at online and
 * poisoned at offline, -EBUSY while references are held, state errors, all-or-nothing ranges,
 * and plans agreeing with operations.
 */
#include "test-util.h"

#define HOT (8 * GiB)        /* first hot-added address in these tests */
#define BLK (128 * MiB)

static uint64_t blk(int i)
{
	return HOT + (uint64_t)i * BLK;
}

static uint64_t blk_id(int i)
{
	return blk(i) / BLK;
}

/* online through the range API after checking the plan predicts the outcome */
static int online(struct mm_model *mm, uint64_t start, uint64_t size, enum mm_online_type t)
{
	struct mm_plan plan;
	int ret;

	mm_plan_online(mm, start, size, t, &plan);
	ret = mm_online_range(mm, start, size, t, NULL);
	if (!plan_matches(mm, &plan, ret))
		printf("# plan of online [%#" PRIx64 ", +%#" PRIx64 ") said %d (%s), got %d\n",
		       start, size, plan.error, plan.why, ret);
	else if (!ret && plan.zone != block_zone(mm, start / mm->geo.block_size))
		printf("# plan chose zone %d, the block went to %d\n", plan.zone,
		       block_zone(mm, start / mm->geo.block_size));
	else
		return ret;
	return -1000;   /* the plan disagreed: no test passes with this */
}

static int offline(struct mm_model *mm, uint64_t start, uint64_t size)
{
	struct mm_plan plan;
	int ret;

	mm_plan_offline(mm, start, size, &plan);
	ret = mm_offline_range(mm, start, size, NULL);
	if (!plan_matches(mm, &plan, ret)) {
		printf("# plan of offline said %d (%s), got %d\n", plan.error, plan.why, ret);
		return -1000;
	}
	return ret;
}

static void contig_zones(void)
{
	struct mm_model *mm = test_default_model();
	const struct zone *normal = &mm->node_data[0].node_zones[ZONE_NORMAL];
	const struct zone *movable = &mm->node_data[0].node_zones[ZONE_MOVABLE];
	struct mm_pfn_info info;
	enum mm_zone_type z;
	uint64_t id;

	is(mm_add_memory(mm, 0, HOT, 16 * BLK, 0, &id), 0, "add 2 GiB at 8G (blocks 64-79)");
	ok(!strcmp(block_valid_zones(mm, blk_id(0)), "Normal Movable"),
	   "offline block beside Normal's end: valid_zones \"%s\"", block_valid_zones(mm, blk_id(0)));
	ok(!mm_zone_for_range(mm, blk(0), BLK, MMOP_ONLINE, &z) && z == ZONE_NORMAL,
	   "contig-zones: no zone touches it, so the kernel zone");
	is(online(mm, blk(0), BLK, MMOP_ONLINE), 0, "online block 64");
	INV(mm, "online block 64");
	ok(block_zone(mm, blk_id(0)) == ZONE_NORMAL && !strcmp(block_valid_zones(mm, blk_id(0)), "Normal"),
	   "block 64 is Normal, valid_zones \"Normal\"");
	ok(zone_end_pfn(normal) == blk(1) >> 12, "Normal grew to end at 8G+128M");

	is(mm_lookup_pfn(mm, blk(0) >> 12, &info), 0, "lookup an onlined page");
	ok(info.online && info.refcount == 0 && info.zone == ZONE_NORMAL && info.nid == 0 &&
	   info.flag_names[0] == '\0' && mm_pfn_to_page(mm, blk(0) >> 12)->_mapcount == -1,
	   "initialised at online: refcount 0 (free), mapcount -1, zone Normal, PageOffline cleared");

	is(online(mm, blk(2), BLK, MMOP_ONLINE_MOVABLE), 0, "online block 66 movable");
	is(online(mm, blk(4), BLK, MMOP_ONLINE_MOVABLE), 0, "online block 68 movable");
	ok(movable->zone_start_pfn == blk(2) >> 12 && zone_end_pfn(movable) == blk(5) >> 12,
	   "Movable spans blocks 66-68");
	ok(!strcmp(block_valid_zones(mm, blk_id(3)), "Movable Normal"),
	   "block 67 inside Movable: valid_zones \"%s\"", block_valid_zones(mm, blk_id(3)));
	ok(!strcmp(block_valid_zones(mm, blk_id(1)), "Normal Movable"),
	   "block 65 touches Normal and Movable ends only: \"%s\"", block_valid_zones(mm, blk_id(1)));
	is(online(mm, blk(3), BLK, MMOP_ONLINE), 0, "online block 67 with \"online\"");
	is(block_zone(mm, blk_id(3)), ZONE_MOVABLE, "it inherits Movable");
	ok(!mm_zone_for_range(mm, blk(6), BLK, MMOP_ONLINE_KERNEL, &z) && z == ZONE_NORMAL &&
	   !mm_zone_for_range(mm, blk(6), BLK, MMOP_ONLINE_MOVABLE, &z) && z == ZONE_MOVABLE,
	   "online_kernel picks Normal, online_movable Movable");
	INV(mm, "mixed zones");

	/* offline shrinks spans back */
	is(offline(mm, blk(2), 3 * BLK), 0, "offline blocks 66-68");
	ok(zone_is_empty(movable), "Movable is empty again");
	is(offline(mm, blk(0), BLK), 0, "offline block 64");
	ok(zone_end_pfn(normal) == HOT >> 12 && normal->zone_start_pfn == (4 * GiB) >> 12,
	   "Normal shrinks back to [4G, 8G)");
	is(mm_lookup_pfn(mm, blk(0) >> 12, &info), 0, "lookup after offline");
	ok(!info.online && !strcmp(info.flag_names, "poisoned"), "offline poisons the memmap again");
	INV(mm, "offlining everything");
	mm_model_destroy(mm);

	/* movable_node: with no zone touching the range, online picks Movable */
	struct mm_params p;
	mm_params_default(&p, mm_arch_lookup("x86_64"));
	p.movable_node = true;
	mm_model_create(&p, &mm);
	mm_boot_memory_add(mm, 0, 4 * GiB, 0);
	mm_boot_init(mm);
	mm_add_memory(mm, 0, HOT, BLK, 0, &id);
	is(online(mm, HOT, BLK, MMOP_ONLINE), 0, "movable_node: online");
	is(block_zone(mm, HOT / BLK), ZONE_MOVABLE, "movable_node sends it to Movable");
	INV(mm, "movable_node online");
	mm_model_destroy(mm);
}

static uint64_t kernel_early_pages(const struct mm_model *mm, int nid)
{
	uint64_t n = 0;

	for (int node = 0; node < MAX_NUMNODES; node++)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			if (z != ZONE_MOVABLE && (nid < 0 || node == nid))
				n += mm->node_data[node].node_zones[z].present_early_pages;
	return n;
}

static void auto_movable(void)
{
	struct mm_model *mm = test_default_model();
	uint64_t id, early = kernel_early_pages(mm, -1), budget, nmov;
	int first_kernel = -1, bad = 0;

	/* ratio 10%: MOVABLE may hold 10% of the boot kernel memory */
	mm_set_online_policy(mm, MM_POLICY_AUTO_MOVABLE, 10);
	budget = 10 * early / 100;
	nmov = budget / 32768;
	is(mm_add_memory(mm, 0, HOT, 16 * BLK, 0, &id), 0, "add 16 blocks");
	for (int i = 0; i < 16; i++) {
		int zone;

		if (online(mm, blk(i), BLK, MMOP_ONLINE))
			bad = 1;
		zone = block_zone(mm, blk_id(i));
		if (zone == ZONE_NORMAL && first_kernel < 0)
			first_kernel = i;
		bad |= (uint64_t)i < nmov ? zone != ZONE_MOVABLE : zone != ZONE_NORMAL;
	}
	ok(!bad && first_kernel == (int)nmov,
	   "auto-movable 10%%: the first %" PRIu64 " blocks go Movable (budget %" PRIu64
	   " of %" PRIu64 " early kernel pages), the rest Normal (first Normal: %d)",
	   nmov, budget, early, first_kernel);
	INV(mm, "auto-movable onlines");
	is(offline(mm, HOT, 16 * BLK), 0, "offline all 16 blocks");

	mm_set_online_policy(mm, MM_POLICY_AUTO_MOVABLE, 0);
	is(online(mm, HOT, BLK, MMOP_ONLINE), 0, "ratio 0: online");
	is(block_zone(mm, HOT / BLK), ZONE_NORMAL, "ratio 0 always picks the kernel zone");
	is(offline(mm, HOT, BLK), 0, "offline");

	mm_set_online_policy(mm, MM_POLICY_AUTO_MOVABLE, 301);
	is(online(mm, HOT, 16 * BLK, MMOP_ONLINE), 0, "ratio 301 (default): online 2 GiB at once");
	ok(block_zone(mm, blk_id(0)) == ZONE_MOVABLE && block_zone(mm, blk_id(15)) == ZONE_MOVABLE,
	   "2 GiB fits easily in 301%% of 7 GiB: all Movable");
	INV(mm, "auto-movable 301");

	/* NUMA awareness: node 1 has no early kernel memory of its own */
	is(mm_add_memory(mm, 1, 40 * GiB, BLK, 0, &id), 0, "add a block on node 1");
	is(kernel_early_pages(mm, 1), 0, "node 1 has no boot kernel memory");
	is(online(mm, 40 * GiB, BLK, MMOP_ONLINE), 0, "online it under auto-movable");
	is(block_zone(mm, 40 * GiB / BLK), ZONE_NORMAL,
	   "numa-aware: node 1's own ratio forbids Movable, so Normal");
	is(offline(mm, 40 * GiB, BLK), 0, "offline it");
	mm->params.auto_movable_numa_aware = false;
	is(online(mm, 40 * GiB, BLK, MMOP_ONLINE), 0, "online again without numa awareness");
	is(block_zone(mm, 40 * GiB / BLK), ZONE_MOVABLE, "the global ratio alone allows Movable");
	INV(mm, "numa awareness");
	mm_model_destroy(mm);
}

static void references_and_states(void)
{
	struct mm_model *mm = test_default_model();
	const uint64_t pfn = blk(1) >> 12;
	uint64_t id, d;
	unsigned int n = 99;
	struct mm_pfn_info info;

	is(mm_add_memory(mm, 0, HOT, 4 * BLK, 0, &id), 0, "add 4 blocks");
	EXPECT_ERR(mm, mm_memory_block_offline(mm, blk_id(0)), -EINVAL, MM_CAUSE_STATE,
		   "offlining an offline block: -EINVAL as the state file answers");
	EXPECT_ERR(mm, mm_get_pages(mm, pfn, 1), -EINVAL, MM_CAUSE_STATE,
		   "get_pages on offline memory: the struct page is not initialised");
	EXPECT_ERR(mm, mm_get_pages(mm, (3 * GiB + 256 * MiB) >> 12, 1), -ENOENT, MM_CAUSE_NOENT,
		   "get_pages in the PCI hole: no struct page");
	is(mm_online_range(mm, HOT, 4 * BLK, MMOP_ONLINE, &n), 0, "online the 4 blocks");
	is(n, 4, "4 blocks changed");
	EXPECT_ERR(mm, mm_memory_block_online(mm, blk_id(0), MMOP_ONLINE_MOVABLE), -EINVAL,
		   MM_CAUSE_STATE, "onlining an online block: -EINVAL");
	EXPECT_ERR(mm, mm_memory_block_online(mm, 5000, MMOP_ONLINE), -ENOENT, MM_CAUSE_NOENT,
		   "no such block");
	EXPECT_ERR(mm, mm_online_range(mm, HOT, BLK, MMOP_OFFLINE, NULL), -EINVAL, MM_CAUSE_INVALID,
		   "\"offline\" is not an online type");
	EXPECT_ERR(mm, mm_online_range(mm, HOT + 4096, BLK, MMOP_ONLINE, NULL), -EINVAL,
		   MM_CAUSE_MISALIGNED, "online of a misaligned range");

	is(mm_get_pages(mm, pfn + 100, 3), 0, "take references on 3 pages of block 65");
	mm_lookup_pfn(mm, pfn + 101, &info);
	is(info.refcount, 1, "a free page with one reference has refcount 1");
	d = model_digest(mm, HOT >> 12, (4 * BLK) >> 12);
	EXPECT_ERR(mm, offline(mm, blk(1), BLK), -EBUSY, MM_CAUSE_BUSY,
		   "offline of block 65 while pages are referenced: -EBUSY");
	ok(strstr(mm_last_error(mm), "extra reference"), "the message names the reference");
	EXPECT_ERR(mm, offline(mm, HOT, 4 * BLK), -EBUSY, MM_CAUSE_BUSY,
		   "offline of the 4-block range with the busy block second");
	ok(model_digest(mm, HOT >> 12, (4 * BLK) >> 12) == d,
	   "all or nothing: block 64, offlined first in the kernel's walk, is still online");
	INV(mm, "refused offlines");

	EXPECT_ERR(mm, mm_put_pages(mm, pfn + 99, 3), -EINVAL, MM_CAUSE_STATE,
		   "put over a range whose first page holds nothing");
	ok(model_digest(mm, HOT >> 12, (4 * BLK) >> 12) == d, "... and no count moved");
	EXPECT_ERR(mm, mm_get_pages(mm, pfn + 100, 0), -EINVAL, MM_CAUSE_INVALID, "count 0");
	EXPECT_ERR(mm, mm_get_pages(mm, blk(3) >> 12, 2 * 32768), -ENOENT, MM_CAUSE_NOENT,
		   "a get over block 67 running into the absent block 68: no struct page");
	ok(model_digest(mm, HOT >> 12, (4 * BLK) >> 12) == d, "the refused get changed nothing");
	is(mm_put_pages(mm, pfn + 100, 3), 0, "drop the references");
	is(offline(mm, HOT, 4 * BLK), 0, "now the range offlines");
	INV(mm, "offline after put");

	/* all or nothing when onlining: the third block is already online */
	is(online(mm, blk(2), BLK, MMOP_ONLINE_MOVABLE), 0, "online block 66 alone");
	d = model_digest(mm, HOT >> 12, (4 * BLK) >> 12);
	n = 77;
	EXPECT_ERR(mm, mm_online_range(mm, HOT, 4 * BLK, MMOP_ONLINE, &n), -EINVAL, MM_CAUSE_STATE,
		   "online of 4 blocks, the third already online");
	ok(model_digest(mm, HOT >> 12, (4 * BLK) >> 12) == d && n == 77,
	   "all or nothing: blocks 64 and 65 were not left online");
	EXPECT_ERR(mm, mm_online_range(mm, blk(3), 2 * BLK, MMOP_ONLINE, NULL), -ENOENT,
		   MM_CAUSE_NOENT, "online of blocks 67-68, 68 was never added");
	ok(model_digest(mm, HOT >> 12, (4 * BLK) >> 12) == d, "nothing changed either");
	INV(mm, "refused onlines");
	mm_model_destroy(mm);
}

static void plan_agreement(void)
{
	struct mm_model *mm = test_default_model();
	struct mm_plan plan;
	uint64_t id;

	mm_add_memory(mm, 0, HOT, 4 * BLK, 0, &id);
	mm_plan_online(mm, HOT, 4 * BLK, MMOP_ONLINE_MOVABLE, &plan);
	ok(!plan.error && plan.nr_blocks == 4 && plan.first_block == 64 && plan.zone == ZONE_MOVABLE &&
	   plan.memmap_location == MM_MEMMAP_RAM, "plan online_movable: 4 blocks into Movable");
	mm_set_online_policy(mm, MM_POLICY_AUTO_MOVABLE, 301);
	mm_plan_online(mm, HOT, 4 * BLK, MMOP_ONLINE, &plan);
	is(mm_online_range(mm, HOT, 4 * BLK, MMOP_ONLINE, NULL), 0, "online under auto-movable");
	ok(!plan.error && plan.zone == block_zone(mm, 64), "the plan named the zone block 64 got");
	mm_plan_offline(mm, HOT, 4 * BLK, &plan);
	ok(!plan.error && plan.nr_blocks == 4 && plan.zone == ZONE_MOVABLE,
	   "plan offline: 4 blocks from Movable");
	mm_plan_offline(mm, 0, BLK, &plan);
	ok(plan.error == -EINVAL && plan.cause == MM_CAUSE_UNSUPPORTED,
	   "plan offline of block 0: refused like the operation (%s)", plan.why);
	INV(mm, "plans");
	mm_model_destroy(mm);
}

int main(void)
{
	contig_zones();
	auto_movable();
	references_and_states();
	plan_agreement();
	return tap_done();
}
