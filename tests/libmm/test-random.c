/* SPDX-License-Identifier: MIT */
/*
 * Randomised operations: thousands of adds, removes, onlines, offlines, page references and
 * policy changes, valid and invalid, on two arches, mixed with ZONE_DEVICE: memremap of every
 * pgmap type, with and without altmap, base pages and compound folios (tail reuse on x86_64),
 * in free space, over RAM, over other pgmaps, in the hole of a boot section shared with online
 * RAM; page references on device pages; memunmap (refused while they are held). After every
 * step: the invariants hold; a refused operation left the state digest (and every pgmap)
 * unchanged, said why and had the errno its plan predicted; a successful one was predicted to
 * succeed.
 *
 * Seeds: a fixed one always, plus PMM_TEST_SEED from the environment when set (printed, so a
 * failure can be replayed). PMM_TEST_STEPS changes the number of steps per run.
 */
#include <time.h>

#include "test-util.h"
#include "memremap.h"

enum op { OP_ADD, OP_REMOVE, OP_ONLINE, OP_OFFLINE, OP_GET, OP_PUT, OP_POLICY, OP_MEMREMAP,
	  OP_MEMUNMAP, NR_OPS };
static const char *const op_names[NR_OPS] = {
	"add", "remove", "online", "offline", "get_pages", "put_pages", "policy", "memremap",
	"memunmap",
};

struct config {
	const char *arch;
	uint64_t boot0_start, boot0_size;   /* node 0; ends inside a section: a hole for devices */
	uint64_t boot1_start, boot1_size;   /* node 1 */
	uint64_t region;                    /* where hotplug happens */
	unsigned int region_blocks;
	uint64_t device_area, device_size;  /* device memory only */
	bool deferred;                      /* deferred struct page init */
};

static const struct config configs[] = {
	{ "x86_64", 0, GiB + 64 * MiB, 4 * GiB, 512 * MiB, 8 * GiB, 32, 16 * GiB, 4 * GiB, false },
	{ "ppc64-64k", 0, GiB + 8 * MiB, 2 * GiB, GiB, 4 * GiB, 24, 12 * GiB, 4 * GiB, false },
	{ "x86_64", 0, GiB + 64 * MiB, 4 * GiB, 512 * MiB, 8 * GiB, 32, 16 * GiB, 4 * GiB, true },
};

struct held {
	uint64_t pfn, count;
};

struct run {
	struct mm_model *mm;
	const struct config *cfg;
	uint64_t rng;
	uint64_t bs;
	struct held refs[64];
	int nr_refs;
	unsigned int ok[NR_OPS], refused[NR_OPS], causes[MM_CAUSE_UNSUPPORTED + 1];
	unsigned int inv_fail, digest_fail, plan_fail, why_fail;
	unsigned int dev_compound, dev_dedup, dev_altmap, dev_altmap_used;
};

static uint64_t rnd(struct run *r)
{
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return r->rng;
}

static uint64_t pick(struct run *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

static int collect_range(const struct mm_range_info *ri, void *arg)
{
	struct mm_range_info *list = arg;

	for (int i = 0; i < 32; i++) {
		if (!list[i].size) {
			list[i] = *ri;
			break;
		}
	}
	return 0;
}

/*
 * A block range: half the time inside a range that exists (so operations often succeed and
 * the state keeps moving), otherwise anywhere around the region; sometimes malformed, over
 * boot memory or wrapping.
 */
static void pick_range(struct run *r, bool inside, uint64_t *start, uint64_t *size)
{
	struct mm_range_info list[32];
	uint64_t ps = PAGE_SIZE(r->mm);
	int n = 0;

	memset(list, 0, sizeof(list));
	mm_for_each_range(r->mm, collect_range, list);
	while (n < 32 && list[n].size)
		n++;
	if (n && inside && pick(r, 3)) {
		const struct mm_range_info *ri = &list[pick(r, (uint64_t)n)];
		uint64_t blocks = ri->size / r->bs, first = pick(r, blocks);

		*start = ri->start + first * r->bs;
		*size = (1 + pick(r, MIN(blocks - first, pick(r, 3) ? 1 : blocks))) * r->bs;
	} else {
		*start = r->cfg->region + (pick(r, r->cfg->region_blocks + 4) - 2) * r->bs;
		*size = (1 + pick(r, 6)) * r->bs;
	}
	switch (pick(r, 24)) {
	case 0: *start += ps; break;
	case 1: *size -= 2 * MiB; break;
	case 2: *size = 0; break;
	case 3: *start = r->cfg->boot1_start; break;
	case 4: *start = UINT64_MAX - r->bs + 1; break;
	case 5: *start = 3 * r->bs; break;
	case 6: *start = 0; *size = r->bs; break;   /* x86 block 0: two zones */
	default: break;
	}
}

/* a device range that exists (first of a random rotation), false if none */
static bool pick_device_range(struct run *r, struct mm_range_info *out)
{
	struct mm_range_info list[32];
	int n = 0, dev[32], nd = 0;

	memset(list, 0, sizeof(list));
	mm_for_each_range(r->mm, collect_range, list);
	while (n < 32 && list[n].size) {
		if (list[n].device)
			dev[nd++] = n;
		n++;
	}
	if (!nd)
		return false;
	*out = list[dev[pick(r, (uint64_t)nd)]];
	return true;
}

/*
 * A memremap request: any type (its callbacks sometimes missing), base pages or compound folios
 * (2 MiB pageblock-sized, now and then 1 GiB), with or without an altmap (sometimes too small,
 * sometimes off base), in the device area, over the RAM hotplug region, in the hole of the
 * boot section, or over an existing device range; sometimes malformed.
 */
static void pick_device(struct run *r, struct mm_pgmap_params *p)
{
	static const enum mm_pgmap_type types[] = {
		MEMORY_DEVICE_PRIVATE, MEMORY_DEVICE_COHERENT, MEMORY_DEVICE_FS_DAX,
		MEMORY_DEVICE_GENERIC, MEMORY_DEVICE_PCI_P2PDMA,
	};
	const struct config *c = r->cfg;
	uint64_t ss = r->mm->geo.subsection_size, ps = PAGE_SIZE(r->mm);
	uint64_t boot0_end = c->boot0_start + c->boot0_size, nr, memmap;
	struct mm_range_info ri;

	memset(p, 0, sizeof(*p));
	p->type = types[pick(r, 5)];
	p->nid = pick(r, 8) ? (int)pick(r, 2) : (pick(r, 2) ? 64 : -1);
	p->has_ops_page_free = p->type != MEMORY_DEVICE_FS_DAX && p->type != MEMORY_DEVICE_GENERIC;
	p->has_ops_migrate_to_ram = p->type == MEMORY_DEVICE_PRIVATE;
	p->has_owner = p->type == MEMORY_DEVICE_PRIVATE || p->type == MEMORY_DEVICE_COHERENT;
	if (!pick(r, 16))
		p->has_owner = false;
	p->size = pick(r, 4) ? (1 + pick(r, 48)) * ss : (1 + pick(r, 3)) * r->mm->geo.section_size;
	switch (pick(r, 8)) {
	case 0: case 1: case 2: case 3:
		p->start = c->device_area + pick(r, c->device_size / ss) * ss;
		break;
	case 4: case 5:
		p->start = c->region + pick(r, c->region_blocks * r->bs / ss) * ss;
		break;
	case 6:
		p->start = boot0_end + pick(r, (ALIGN(boot0_end, r->mm->geo.section_size) -
					       boot0_end) / ss) * ss;
		p->size = (1 + pick(r, 4)) * ss;
		break;
	default:
		if (pick_device_range(r, &ri)) {
			p->start = ri.start + (pick(r, 3) ? pick(r, ri.size / ss) * ss : 0) -
				   (pick(r, 2) ? ss : 0);
		} else {
			p->start = c->boot1_start + pick(r, c->boot1_size / ss) * ss;
		}
		break;
	}
	switch (pick(r, 10)) {
	case 7: case 8:
		p->align = PFN_PHYS(r->mm, pageblock_nr_pages(r->mm));
		break;
	case 9:
		p->align = GiB;
		p->start = c->device_area + pick(r, c->device_size / GiB) * GiB;
		p->size = GiB;
		break;
	default:
		break;
	}
	if (p->align) {
		p->start = ALIGN(p->start, p->align);
		p->size = ALIGN(p->size, p->align);
	}
	if (!pick(r, 4)) {
		/* whole sections half the time: x86_64 only takes those from the altmap */
		if (!p->align && pick(r, 2)) {
			p->start = ALIGN(p->start, r->mm->geo.section_size);
			p->size = ALIGN(p->size, r->mm->geo.section_size);
		}
		nr = p->size / ps;
		memmap = DIV_ROUND_UP(nr * sizeof(struct page), ps);
		p->has_altmap = true;
		p->altmap.base_pfn = p->start / ps + (pick(r, 12) ? 0 : 1);
		p->altmap.end_pfn = p->start / ps + nr - 1;
		p->altmap.reserve = pick(r, 3);
		/* padding for the first PMD block, sometimes; too little, now and then */
		p->altmap.free = memmap + (pick(r, 2) ? 511 : 0);
		if (p->align)
			p->altmap.free = ALIGN(p->altmap.reserve + p->altmap.free, p->align / ps) -
					 p->altmap.reserve;
		if (!pick(r, 10))
			p->altmap.free /= 4;
	}
	switch (pick(r, 32)) {
	case 0: p->start += MiB; break;
	case 1: p->size = 0; break;
	case 2: p->size += MiB; break;
	default: break;
	}
}

/* every pgmap's state, for the unchanged-state check of refused operations */
static uint64_t pgmap_digest(const struct mm_model *mm)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL;

	for (size_t i = 0; i < mm->nr_resources; i++) {
		const struct dev_pagemap *pg = mm->resources[i].pgmap;

		if (!mm->resources[i].device || !pg)
			continue;
		DIGEST(h, pg->id);
		DIGEST(h, pg->ref_pages);
		DIGEST(h, pg->ref_bulk);
		DIGEST(h, pg->nr_freed);
		DIGEST(h, pg->dying);
		DIGEST(h, pg->altmap.alloc);
		DIGEST(h, pg->altmap.align);
		DIGEST(h, pg->vmemmap_shift);
	}
	return h;
}

static void pick_pfns(struct run *r, uint64_t *pfn, uint64_t *count)
{
	struct mm_range_info ri;

	if (!pick(r, 3) && pick_device_range(r, &ri)) {
		/* device pages: base pages, folios, and the altmap's reserve and memmap pfns */
		*pfn = PHYS_PFN(r->mm, ri.start) + (pick(r, 4) ? pick(r, PHYS_PFN(r->mm, ri.size))
							      : pick(r, 1024));
		*count = pick(r, 4) ? 1 + pick(r, 16) : 1 + pick(r, 1100);
		return;
	}

	uint64_t base = pick(r, 4) ? r->cfg->region + pick(r, r->cfg->region_blocks) * r->bs
				   : r->cfg->boot1_start + pick(r, r->cfg->boot1_size / r->bs) * r->bs;
	uint64_t ppb = r->bs >> PAGE_SHIFT(r->mm);

	*pfn = PHYS_PFN(r->mm, base) + pick(r, ppb);
	*count = 1 + pick(r, 16);
	if (!pick(r, 16))
		*count += ppb;    /* run into the next block */
	if (!pick(r, 32))
		*count = 0;
}

static void note(struct run *r, unsigned int *counter, const char *what, int step, enum op op,
		 int ret)
{
	if (!*counter)
		printf("# first %s failure at step %d (%s, ret %d): %s\n", what, step, op_names[op],
		       ret, mm_last_error(r->mm));
	(*counter)++;
}

static void step(struct run *r, int n)
{
	static const unsigned int flag_sets[] = {
		0, MHP_MEMMAP_ON_MEMORY, MHP_MERGE_RESOURCE, MHP_MERGE_RESOURCE | MHP_MEMMAP_ON_MEMORY,
	};
	struct mm_model *mm = r->mm;
	static const enum op weights[] = {
		OP_ADD, OP_ADD, OP_ADD, OP_REMOVE, OP_REMOVE, OP_ONLINE, OP_ONLINE, OP_ONLINE,
		OP_OFFLINE, OP_OFFLINE, OP_OFFLINE, OP_GET, OP_GET, OP_PUT, OP_PUT, OP_POLICY,
		OP_MEMREMAP, OP_MEMREMAP, OP_MEMREMAP, OP_MEMUNMAP,
	};
	struct mm_pgmap_params pp;
	struct mm_range_info dri;
	enum op op = weights[pick(r, sizeof(weights) / sizeof(weights[0]))];
	uint64_t start = 0, size = 0, pfn = 0, count = 0, id = 0, d0, d1;
	struct mm_plan plan;
	bool has_plan = false;
	char inv[256];
	int ret = 0;

	if (op == OP_GET || op == OP_PUT) {
		pick_pfns(r, &pfn, &count);
		if (op == OP_PUT && r->nr_refs && pick(r, 4)) {
			int i = (int)pick(r, (uint64_t)r->nr_refs);

			pfn = r->refs[i].pfn;
			count = r->refs[i].count;
		}
	} else if (op == OP_MEMREMAP) {
		pick_device(r, &pp);
		pfn = PHYS_PFN(mm, pp.start);
		count = MIN(PHYS_PFN(mm, pp.size), PHYS_PFN(mm, 2 * GiB));
	} else if (op == OP_MEMUNMAP) {
		if (pick(r, 5) && pick_device_range(r, &dri)) {
			id = dri.id;
			pfn = PHYS_PFN(mm, dri.start);
			count = MIN(PHYS_PFN(mm, dri.size), PHYS_PFN(mm, 2 * GiB));
		} else {
			id = 1 + pick(r, mm->next_range_id + 2);
		}
	} else if (op != OP_POLICY) {
		pick_range(r, op != OP_ADD, &start, &size);
		pfn = PHYS_PFN(mm, start);
		count = MIN(PHYS_PFN(mm, size), PHYS_PFN(mm, 2 * GiB));
	}
	d0 = model_digest(mm, pfn, count) ^ pgmap_digest(mm);

	switch (op) {
	case OP_ADD: {
		int nid = pick(r, 8) ? (int)pick(r, 2) : (pick(r, 2) ? 64 : -1);
		unsigned int flags = flag_sets[pick(r, 4)] | (pick(r, 40) ? 0 : 1u << 7);

		mm_plan_add_memory(mm, nid, start, size, flags, &plan);
		has_plan = true;
		ret = mm_add_memory(mm, nid, start, size, flags, &id);
		break;
	}
	case OP_REMOVE:
		mm_plan_remove_memory(mm, start, size, &plan);
		has_plan = true;
		ret = mm_remove_memory(mm, start, size);
		break;
	case OP_ONLINE: {
		enum mm_online_type t = (enum mm_online_type)pick(r, 4);

		if (!t && pick(r, 4))
			t = MMOP_ONLINE;
		mm_plan_online(mm, start, size, t, &plan);
		has_plan = true;
		ret = mm_online_range(mm, start, size, t, NULL);
		break;
	}
	case OP_OFFLINE:
		mm_plan_offline(mm, start, size, &plan);
		has_plan = true;
		ret = mm_offline_range(mm, start, size, NULL);
		break;
	case OP_GET:
		ret = mm_get_pages(mm, pfn, count);
		if (!ret && r->nr_refs < 64)
			r->refs[r->nr_refs++] = (struct held){ pfn, count };
		break;
	case OP_PUT:
		ret = mm_put_pages(mm, pfn, count);
		for (int i = 0; !ret && i < r->nr_refs; i++) {
			if (r->refs[i].pfn == pfn && r->refs[i].count == count) {
				r->refs[i] = r->refs[--r->nr_refs];
				break;
			}
		}
		break;
	case OP_POLICY: {
		static const unsigned int ratios[] = { 0, 10, 50, 301 };

		mm_set_online_policy(mm, pick(r, 2) ? MM_POLICY_AUTO_MOVABLE : MM_POLICY_CONTIG_ZONES,
				     ratios[pick(r, 4)]);
		break;
	}
	case OP_MEMREMAP:
		mm_plan_memremap(mm, &pp, &plan);
		has_plan = true;
		ret = mm_memremap_pages(mm, &pp, &id);
		if (!ret) {
			const struct dev_pagemap *pg = resource_find_id(mm, id)->pgmap;

			r->dev_compound += pg->vmemmap_shift > 0;
			r->dev_dedup += pg->dedup != NULL;
			r->dev_altmap += pp.has_altmap;
			r->dev_altmap_used += pp.has_altmap && pg->altmap.alloc > 0;
		}
		break;
	case OP_MEMUNMAP:
		ret = mm_memunmap_pages(mm, id);
		break;
	case NR_OPS:
		break;
	}

	if (ret) {
		r->refused[op]++;
		r->causes[mm_last_cause(mm) <= MM_CAUSE_UNSUPPORTED ? mm_last_cause(mm) : 0]++;
		d1 = model_digest(mm, pfn, count) ^ pgmap_digest(mm);
		if (d1 != d0)
			note(r, &r->digest_fail, "unchanged-state", n, op, ret);
		if (!mm_last_error(mm)[0] || mm_last_cause(mm) == MM_CAUSE_NONE)
			note(r, &r->why_fail, "explanation", n, op, ret);
	} else {
		r->ok[op]++;
		if (mm_last_error(mm)[0])
			note(r, &r->why_fail, "clear-error-on-success", n, op, ret);
	}
	if (has_plan && !plan_matches(mm, &plan, ret)) {
		printf("#   plan said %d (%s)\n", plan.error, plan.why);
		note(r, &r->plan_fail, "plan", n, op, ret);
	}
	if (mm_check_invariants(mm, inv, sizeof(inv))) {
		if (!r->inv_fail)
			printf("#   invariant: %s\n", inv);
		note(r, &r->inv_fail, "invariant", n, op, ret);
	}
}

static void run(const struct config *cfg, uint64_t seed, int steps, bool fixed)
{
	struct run r = { .cfg = cfg, .rng = seed ? seed : 1 };
	bool all_ok = true, all_refused = true;

	if (cfg->deferred) {
		struct mm_params p;

		mm_params_default(&p, mm_arch_lookup(cfg->arch));
		p.deferred_struct_page_init = true;
		if (mm_model_create(&p, &r.mm)) {
			printf("Bail out! cannot create a deferred %s model\n", cfg->arch);
			exit(1);
		}
	} else {
		r.mm = test_model(cfg->arch, 0);
	}
	r.bs = r.mm->geo.block_size;
	if (mm_boot_memory_add(r.mm, cfg->boot0_start, cfg->boot0_size, 0) ||
	    mm_boot_memory_add(r.mm, cfg->boot1_start, cfg->boot1_size, 1) || mm_boot_init(r.mm)) {
		printf("Bail out! boot failed: %s\n", mm_last_error(r.mm));
		exit(1);
	}
	printf("# %s%s, seed %#" PRIx64 ", %d steps\n", cfg->arch,
	       cfg->deferred ? " (deferred struct page init)" : "", seed, steps);
	for (int i = 0; i < steps; i++)
		step(&r, i);

	ok(!r.inv_fail, "%s seed %#" PRIx64 ": invariants held after each of %d steps (%u failed)",
	   cfg->arch, seed, steps, r.inv_fail);
	ok(!r.digest_fail, "%s: every refused operation left the state digest unchanged (%u did not)",
	   cfg->arch, r.digest_fail);
	ok(!r.plan_fail, "%s: every plan predicted its operation (%u did not)", cfg->arch,
	   r.plan_fail);
	ok(!r.why_fail, "%s: refusals explain themselves, successes leave no error (%u did not)",
	   cfg->arch, r.why_fail);
	for (int op = 0; op < NR_OPS; op++) {
		printf("#   %-10s %5u ok %5u refused\n", op_names[op], r.ok[op], r.refused[op]);
		all_ok &= r.ok[op] > 0;
		if (op != OP_POLICY)
			all_refused &= r.refused[op] > 0;
	}
	printf("#   device ranges mapped: %u compound (%u with tail reuse), %u with an altmap "
	       "(%u populated from it)\n", r.dev_compound, r.dev_dedup, r.dev_altmap,
	       r.dev_altmap_used);
	if (fixed)
		ok(r.dev_compound && r.dev_altmap_used &&
		   (r.dev_dedup || !r.mm->arch->vmemmap_dedup || r.mm->geo.page_shift > 12),
		   "%s: the fixed seed exercised compound folios, tail reuse and altmap-populated "
		   "memmap", cfg->arch);
	if (cfg->deferred)
		printf("#   boot sections still deferred at the end: %" PRIu64 "\n",
		       r.mm->nr_memmap_deferred);
	printf("#   refusals by cause:");
	for (int c = 0; c <= MM_CAUSE_UNSUPPORTED; c++)
		printf(" %d:%u", c, r.causes[c]);
	printf("\n");
	ok(all_ok && all_refused, "%s: every kind of operation both succeeded and was refused",
	   cfg->arch);
	mm_model_destroy(r.mm);
}

int main(void)
{
	const char *env_seed = getenv("PMM_TEST_SEED"), *env_steps = getenv("PMM_TEST_STEPS");
	int steps = env_steps ? atoi(env_steps) : 2000;
	uint64_t seed2;

	/* the second seed: PMM_TEST_SEED, else a fresh one, printed so a failure can be replayed */
	if (env_seed && *env_seed)
		seed2 = strtoull(env_seed, NULL, 0);
	else
		seed2 = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
	printf("# replay with PMM_TEST_SEED=%#" PRIx64 "\n", seed2);
	for (size_t c = 0; c < sizeof(configs) / sizeof(configs[0]); c++) {
		run(&configs[c], 0x5eed2026c0ffeeULL, steps, true);
		run(&configs[c], seed2, steps, false);
	}
	return tap_done();
}
