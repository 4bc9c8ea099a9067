/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: request sequences over libmm. The input picks an arch profile and a
 * memory model, boots a small machine, then is read as a sequence of operations (hot-add,
 * hot-remove, online, offline, page references, ZONE_DEVICE memremap/memunmap, the online
 * policy, plans and lookups) on a window above 4 GiB. After every step libmm's invariant
 * checker must pass, and a call that failed must have changed nothing it reports (stats, block
 * count); a plan or a lookup must change nothing at all. Any violation aborts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm.h"

#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "fuzz-mm: " __VA_ARGS__); \
	fputc('\n', stderr); abort(); } } while (0)

#define NR_BLOCKS 32
#define MAX_IDS   32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *p;
	size_t n;
};

static unsigned int take(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static unsigned int take16(struct input *in)
{
	return take(in) | take(in) << 8;
}

struct world {
	struct mm_model *mm;
	const struct mm_geometry *g;
	uint64_t base;                 /* first byte of the window */
	uint64_t ids[MAX_IDS];         /* device ranges made */
	size_t nr_ids;
	unsigned int step;
	const char *op;
};

struct snap {
	struct mm_stats st;
	size_t blocks;
};

static void snap_take(const struct world *w, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	mm_get_stats(w->mm, &s->st);
	s->blocks = mm_nr_memory_blocks(w->mm);
}

static void check_unchanged(const struct world *w, const struct snap *before, const char *why)
{
	struct snap now;

	snap_take(w, &now);
	CHECK(!memcmp(&now, before, sizeof(now)), "step %u: %s changed the model (%s)", w->step,
	      w->op, why);
}

static void check_invariants(const struct world *w)
{
	char buf[512];

	CHECK(mm_check_invariants(w->mm, buf, sizeof(buf)) == 0, "step %u: after %s: %s", w->step,
	      w->op, buf);
}

/* A block-aligned range in the window: block index and count from the input. */
static void block_range(struct world *w, struct input *in, uint64_t *start, uint64_t *size)
{
	unsigned int i = take(in) % NR_BLOCKS, n = 1 + take(in) % 8;

	*start = w->base + (uint64_t)i * w->g->block_size;
	*size = (uint64_t)n * w->g->block_size;
}

static uint64_t window_pfn(struct world *w, struct input *in)
{
	uint64_t pages = NR_BLOCKS * (w->g->block_size >> w->g->page_shift);

	return (w->base >> w->g->page_shift) + ((uint64_t)take16(in) << 8 | take(in)) % pages;
}

/* memremap_pages() with what a driver would pass (the daemon's pmm_device_params()). */
static int device_add(struct world *w, struct input *in)
{
	static const uint64_t aligns[] = { 0, UINT64_C(2) << 20, UINT64_C(1) << 30 };
	uint64_t sub = w->g->subsection_size, units = NR_BLOCKS * (w->g->block_size / sub);
	struct mm_pgmap_params p = { 0 };
	uint64_t id = 0, nr_pages;
	int r;

	p.start = w->base + (take16(in) % units) * sub;
	p.size = (1 + take(in) % 32) * sub;
	p.type = (enum mm_pgmap_type)(1 + take(in) % 5);
	p.align = aligns[take(in) % 3];
	p.nid = 0;
	p.has_altmap = take(in) & 1;
	nr_pages = p.size >> w->g->page_shift;
	if (p.has_altmap) {
		p.altmap.base_pfn = p.start >> w->g->page_shift;
		p.altmap.end_pfn = p.altmap.base_pfn + nr_pages - 1;
		p.altmap.free = (nr_pages * 64 + w->g->page_size - 1) / w->g->page_size;
	}
	p.has_ops_page_free = p.type == MEMORY_DEVICE_PRIVATE || p.type == MEMORY_DEVICE_COHERENT ||
			      p.type == MEMORY_DEVICE_PCI_P2PDMA;
	p.has_ops_migrate_to_ram = p.type == MEMORY_DEVICE_PRIVATE;
	p.has_owner = p.type == MEMORY_DEVICE_PRIVATE || p.type == MEMORY_DEVICE_COHERENT;
	if (take(in) % 8 == 0)
		p.has_ops_page_free = p.has_ops_migrate_to_ram = p.has_owner = false;
	r = mm_memremap_pages(w->mm, &p, &id);
	if (r == 0) {
		CHECK(id > 0, "memremap_pages gave range id 0");
		if (w->nr_ids < MAX_IDS)
			w->ids[w->nr_ids++] = id;
	}
	return r;
}

/* Plans and lookups: never change anything. */
static void pure_step(struct world *w, struct input *in)
{
	struct mm_plan plan;
	struct mm_pfn_info info;
	struct mm_nd_pfn nd;
	struct snap before;
	uint64_t start, size, pfn = window_pfn(w, in);

	snap_take(w, &before);
	block_range(w, in, &start, &size);
	switch (take(in) % 6) {
	case 0:
		mm_plan_add_memory(w->mm, 0, start, size, take(in) & 1 ? MHP_MEMMAP_ON_MEMORY : 0, &plan);
		break;
	case 1:
		mm_plan_remove_memory(w->mm, start, size, &plan);
		break;
	case 2:
		mm_plan_online(w->mm, start, size, (enum mm_online_type)(take(in) % 4), &plan);
		break;
	case 3:
		mm_plan_offline(w->mm, start, size, &plan);
		break;
	case 4:
		mm_lookup_pfn(w->mm, pfn, &info);
		mm_pfn_valid(w->mm, pfn);
		mm_pfn_to_online_page(w->mm, pfn);
		break;
	default:
		mm_nd_pfn_init(w->mm, start, size, take(in) % 2 ? UINT64_C(2) << 20 : 0, take(in) & 1,
			       &nd);
		break;
	}
	check_unchanged(w, &before, "a plan or a lookup");
}

static void step(struct world *w, struct input *in)
{
	static const char *const names[] = { "add", "remove", "online", "offline", "get", "put",
					     "memremap", "memunmap", "policy", "block-online",
					     "block-offline", "pure" };
	unsigned int op = take(in) % 12;
	uint64_t start, size, pfn, id;
	struct snap before;
	int r = 0;

	w->op = names[op];
	snap_take(w, &before);
	switch (op) {
	case 0:
		block_range(w, in, &start, &size);
		r = mm_add_memory(w->mm, (int)(take(in) % 2), start, size,
				  take(in) & 1 ? MHP_MEMMAP_ON_MEMORY : MHP_NONE, &id);
		break;
	case 1:
		block_range(w, in, &start, &size);
		r = mm_remove_memory(w->mm, start, size);
		break;
	case 2:
		block_range(w, in, &start, &size);
		r = mm_online_range(w->mm, start, size, (enum mm_online_type)(take(in) % 4), NULL);
		break;
	case 3:
		block_range(w, in, &start, &size);
		r = mm_offline_range(w->mm, start, size, NULL);
		break;
	case 4:
	case 5:
		pfn = window_pfn(w, in);
		size = 1 + take(in) % 16;
		r = op == 4 ? mm_get_pages(w->mm, pfn, size) : mm_put_pages(w->mm, pfn, size);
		break;
	case 6:
		r = device_add(w, in);
		break;
	case 7:
		if (!w->nr_ids)
			return;
		id = take(in) % w->nr_ids;
		r = mm_memunmap_pages(w->mm, w->ids[id]);
		if (r == 0)
			w->ids[id] = w->ids[--w->nr_ids];
		break;
	case 8:
		mm_set_online_policy(w->mm, take(in) & 1 ? MM_POLICY_AUTO_MOVABLE : MM_POLICY_CONTIG_ZONES,
				     take16(in) % 2000);
		break;
	case 9:
	case 10:
		id = w->base / w->g->block_size + take(in) % NR_BLOCKS;
		r = op == 9 ? mm_memory_block_online(w->mm, id, (enum mm_online_type)(take(in) % 4)) :
			      mm_memory_block_offline(w->mm, id);
		break;
	default:
		pure_step(w, in);
		break;
	}
	if (r < 0) {
		CHECK(mm_last_error(w->mm)[0], "step %u: %s failed (%d) without saying why", w->step,
		      w->op, r);
		check_unchanged(w, &before, mm_last_error(w->mm));
	}
	check_invariants(w);
}

/* A machine from the first bytes: arch, memory model; one block of boot memory. */
static int boot(struct world *w, struct input *in)
{
	static const enum mm_memory_model models[] = { MM_SPARSEMEM_VMEMMAP, MM_SPARSEMEM_VMEMMAP,
						       MM_SPARSEMEM_EXTREME, MM_SPARSEMEM };
	const struct mm_arch *const *archs = mm_arch_profiles();
	struct mm_params p;
	size_t n = 0;

	while (archs[n])
		n++;
	mm_params_default(&p, archs[take(in) % n]);
	p.model = models[take(in) % 4];
	if (mm_params_check(&p, NULL, NULL, 0) < 0 || mm_model_create(&p, &w->mm) < 0)
		return -1;
	w->g = mm_geometry(w->mm);
	w->base = ((UINT64_C(4) << 30) + w->g->block_size - 1) / w->g->block_size * w->g->block_size;
	if (mm_boot_memory_add(w->mm, 0, w->g->block_size, 0) < 0 || mm_boot_init(w->mm) < 0)
		return -1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct world w = { 0 };

	if (boot(&w, &in) == 0) {
		check_invariants(&w);
		for (w.step = 1; in.n && w.step <= 64; w.step++)
			step(&w, &in);
	}
	if (w.mm)
		mm_model_destroy(w.mm);
	return 0;
}
