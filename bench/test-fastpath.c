/* SPDX-License-Identifier: MIT */
/*
 * The model's fast paths (issue 9) give exactly what the slow ones give:
 *  - without page_init_poisoning, every lookup, reference check and invariant sees the same
 *    uninitialised ("poisoned") pfns as with it, and unwritten memmap costs no RAM (mincore)
 *  - a memmap initialised on several threads equals the one-thread memmap byte for byte
 *  - zero-encoded compound tails read (device_page_read(), mm_lookup_pfn()) as the tails the
 *    kernel's layout stores, cost one page per folio, and a write over one is caught
 *  - the inline pfn_valid()/mm_pfn_to_page() of SPARSEMEM_VMEMMAP agree with the generic ones
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../tests/tap.h"
#include "memory_model.h"
#include "memremap.h"

#define GiB (UINT64_C(1) << 30)
#define MiB (UINT64_C(1) << 20)

struct fast { bool poison, zero_tails; unsigned int threads; };

static struct mm_model *model(const struct fast *f)
{
	struct mm_params p;
	struct mm_model *mm = NULL;

	mm_params_default(&p, mm_arch_lookup("x86_64"));
	p.page_init_poisoning = f->poison;
	p.vmemmap_zero_tails = f->zero_tails;
	p.memmap_init_threads = f->threads;
	if (mm_model_create(&p, &mm) || mm_boot_memory_add(mm, 0, 3 * GiB, 0) ||
	    mm_boot_memory_add(mm, 4 * GiB, 4 * GiB, 0) || mm_boot_init(mm)) {
		printf("Bail out! cannot boot a model\n");
		exit(1);
	}
	return mm;
}

static bool healthy(const struct mm_model *mm, const char *what)
{
	char why[256];

	if (mm_check_invariants(mm, why, sizeof(why)) == 0)
		return true;
	printf("#   %s: %s\n", what, why);
	return false;
}

/* The same operations on a model: hot-added, partly online, an fsdax device with an altmap. */
static void build(struct mm_model *mm, uint64_t *dev_id)
{
	struct mm_pgmap_params p = { .start = 32 * GiB, .size = GiB, .type = MEMORY_DEVICE_FS_DAX,
				     .has_altmap = true };
	uint64_t id;

	p.altmap.base_pfn = p.start >> 12;
	p.altmap.reserve = 2;
	p.altmap.free = 16382;
	if (mm_add_memory(mm, 0, 8 * GiB, 4 * GiB, MHP_NONE, &id) ||
	    mm_online_range(mm, 8 * GiB, 2 * GiB, MMOP_ONLINE_MOVABLE, NULL) ||
	    mm_offline_range(mm, 9 * GiB, 128 * MiB, NULL) ||
	    mm_add_memory(mm, 0, 16 * GiB, GiB, MHP_MEMMAP_ON_MEMORY, &id) ||
	    mm_online_range(mm, 16 * GiB, 512 * MiB, MMOP_ONLINE, NULL) ||
	    mm_memremap_pages(mm, &p, dev_id) || mm_get_pages(mm, (8 * GiB >> 12) + 5, 3)) {
		printf("Bail out! building the model: %s\n", mm_last_error(mm));
		exit(1);
	}
}

static bool same_lookup(const struct mm_model *a, const struct mm_model *b, uint64_t pfn)
{
	struct mm_pfn_info x, y;

	if (mm_lookup_pfn(a, pfn, &x) || mm_lookup_pfn(b, pfn, &y))
		return false;
	if (x.valid != y.valid || x.online != y.online || x.zone != y.zone || x.nid != y.nid ||
	    x.refcount != y.refcount || strcmp(x.flag_names, y.flag_names) || x.memmap != y.memmap) {
		printf("#   pfn %#" PRIx64 ": %s/%d/%d/%s vs %s/%d/%d/%s\n", pfn,
		       x.online ? "online" : "offline", x.zone, x.refcount, x.flag_names,
		       y.online ? "online" : "offline", y.zone, y.refcount, y.flag_names);
		return false;
	}
	return true;
}

/* without poisoning, everything reads as with it */
static void no_poisoning(void)
{
	static const struct fast slow = { true, false, 1 }, fast = { false, false, 1 };
	struct mm_model *a = model(&slow), *b = model(&fast);
	uint64_t ida, idb, bad = 0, n = 0;
	int ra, rb;

	build(a, &ida);
	build(b, &idb);
	ok(healthy(a, "poisoned") && healthy(b, "not poisoned"), "invariants hold with and "
	   "without poisoning");
	/* every subsection's first and last pfn, plus the altmap's reserve and free pfns */
	for (uint64_t pfn = (8 * GiB) >> 12; pfn < (34 * GiB) >> 12; pfn += 511, n++)
		bad += !same_lookup(a, b, pfn);
	for (uint64_t pfn = (32 * GiB) >> 12; pfn < ((32 * GiB) >> 12) + 20000; pfn += 97, n++)
		bad += !same_lookup(a, b, pfn);
	is(bad, 0, "%" PRIu64 " lookups read the same (poisoned, offline, online, device, altmap)",
	   n);
	ra = mm_get_pages(a, (9 * GiB) >> 12, 1);
	rb = mm_get_pages(b, (9 * GiB) >> 12, 1);
	ok(ra == -EINVAL && rb == -EINVAL, "a reference on an offline pfn is refused alike (%d, %d)",
	   ra, rb);
	/* a stray write over an offline struct page: the content check only exists with poison */
	{
		struct page *pg = pfn_to_page(b, (9 * GiB) >> 12), saved = *pg;
		char why[256];

		memset(pg, 0, sizeof(*pg));
		ok(mm_check_invariants(b, why, sizeof(why)) == 0,
		   "without poisoning, offline memmap is uninitialised by its mark, not its bytes");
		*pg = saved;
	}
	mm_model_destroy(a);
	mm_model_destroy(b);
}

/* bytes of the host pages of [addr, addr + len) resident, from mincore() */
static uint64_t resident(const void *addr, size_t len)
{
	long hps = sysconf(_SC_PAGESIZE);
	uintptr_t a = (uintptr_t)addr & ~(uintptr_t)(hps - 1);
	size_t n = (len + ((uintptr_t)addr - a) + (size_t)hps - 1) / (size_t)hps;
	unsigned char *v = malloc(n);
	uint64_t r = 0;

	if (v && !mincore((void *)a, n * (size_t)hps, v))
		for (size_t i = 0; i < n; i++)
			r += v[i] & 1;
	free(v);
	return r * (uint64_t)hps;
}

/* unwritten memmap costs nothing, and the model says so */
static void fresh_memmap(void)
{
	static const struct fast fast = { false, false, 1 };
	struct mm_model *mm = model(&fast);
	struct page *first = pfn_to_page(mm, (8 * GiB) >> 12);
	struct mm_stats before, st;
	uint64_t id;

	mm_get_stats(mm, &before);
	is(mm_add_memory(mm, 0, 8 * GiB, GiB, MHP_NONE, &id), 0, "add 1 GiB without poisoning");
	mm_get_stats(mm, &st);
	ok(st.memmap_ram_bytes == before.memmap_ram_bytes + 16 * MiB &&
	   st.memmap_resident_bytes == before.memmap_resident_bytes &&
	   resident(first, 16 * MiB) == 0,
	   "16 MiB of memmap populated, none of it written: resident unchanged (mincore: %" PRIu64
	   " bytes)", resident(first, 16 * MiB));
	is(mm_online_range(mm, 8 * GiB, 256 * MiB, MMOP_ONLINE, NULL), 0, "online 256 MiB of it");
	mm_get_stats(mm, &st);
	ok(st.memmap_resident_bytes == before.memmap_resident_bytes + 4 * MiB &&
	   resident(first, 4 * MiB) == 4 * MiB && resident(first, 16 * MiB) == 4 * MiB,
	   "the onlined memmap is written and counted, the rest not");
	ok(healthy(mm, "fresh"), "invariants hold (the fresh pages add up)");
	is(mm_offline_range(mm, 8 * GiB, 256 * MiB, NULL), 0, "offline");
	is(mm_remove_memory(mm, 8 * GiB, GiB), 0, "remove");
	mm_get_stats(mm, &st);
	ok(st.memmap_resident_bytes == before.memmap_resident_bytes && healthy(mm, "removed"),
	   "all given back");
	mm_model_destroy(mm);
}

/* the struct pages of two models agree, pointers compared relative to their own vmemmap */
static uint64_t memmap_diff(const struct mm_model *a, const struct mm_model *b, uint64_t pfn,
			    uint64_t nr)
{
	uintptr_t ba = (uintptr_t)a->vmemmap.base, bb = (uintptr_t)b->vmemmap.base;
	uint64_t bad = 0;

	for (uint64_t i = 0; i < nr; i++) {
		const struct page *x, *y;
		bool same;

		if (!mm_pfn_valid(a, pfn + i) || !mm_pfn_valid(b, pfn + i)) {
			bad += mm_pfn_valid(a, pfn + i) != mm_pfn_valid(b, pfn + i);
			continue;
		}
		x = pfn_to_page(a, pfn + i);
		y = pfn_to_page(b, pfn + i);
		same = x->flags == y->flags && x->mapping == y->mapping &&
			    x->index == y->index && x->private == y->private &&
			    x->_mapcount == y->_mapcount && x->_refcount == y->_refcount &&
			    x->memcg_data == y->memcg_data;
		uintptr_t lx = (uintptr_t)x->lru.next, ly = (uintptr_t)y->lru.next;

		/* lru (or compound_head) point into the memmap: compare offsets there */
		if (lx >= ba && lx < ba + a->vmemmap.area_len)
			same = same && ly >= bb && lx - ba == ly - bb;
		else if (!(x->pgmap && y->pgmap))
			same = same && lx == ly;
		bad += !same;
	}
	return bad;
}

/* a memmap initialised on several threads is the one-thread memmap */
static void parallel_init(void)
{
	static const struct fast one = { false, false, 1 }, many = { false, false, 4 };
	struct mm_model *a = model(&one), *b = model(&many);
	struct mm_pgmap_params p = { .start = 64 * GiB, .size = 4 * GiB, .type = MEMORY_DEVICE_GENERIC };
	uint64_t id;

	ok(!mm_add_memory(a, 0, 8 * GiB, 8 * GiB, MHP_NONE, &id) &&
	   !mm_add_memory(b, 0, 8 * GiB, 8 * GiB, MHP_NONE, &id) &&
	   !mm_online_range(a, 8 * GiB, 8 * GiB, MMOP_ONLINE_MOVABLE, NULL) &&
	   !mm_online_range(b, 8 * GiB, 8 * GiB, MMOP_ONLINE_MOVABLE, NULL),
	   "online 8 GiB (64 blocks) on 1 and on 4 threads");
	is(memmap_diff(a, b, (8 * GiB) >> 12, (8 * GiB) >> 12), 0, "every struct page is the same");
	ok(!mm_memremap_pages(a, &p, &id) && !mm_memremap_pages(b, &p, &id),
	   "memremap 4 GiB of devdax on 1 and on 4 threads");
	is(memmap_diff(a, b, (64 * GiB) >> 12, (4 * GiB) >> 12), 0, "every device page is the same");
	ok(healthy(a, "1 thread") && healthy(b, "4 threads"), "invariants hold");
	mm_model_destroy(a);
	mm_model_destroy(b);
	/* boot memory: deferred init on several threads */
	a = model(&one);
	b = model(&many);
	is(memmap_diff(a, b, 0, (8 * GiB) >> 12), 0, "the boot memmap is the same");
	mm_model_destroy(a);
	mm_model_destroy(b);
}

/* zero-encoded tails read as the kernel's tails (the memfd layout stores them for real) */
static void zero_tails(void)
{
	static const struct fast exact = { false, false, 1 }, zero = { false, true, 1 };
	struct mm_model *a = model(&exact), *b = model(&zero);
	struct mm_pgmap_params p = { .start = 64 * GiB, .size = GiB, .type = MEMORY_DEVICE_GENERIC,
				     .align = 2 * MiB };
	const struct dev_pagemap *pa, *pb;
	uint64_t ida, idb, bad = 0, n = 0, pfn0 = (64 * GiB) >> 12;
	struct mm_range_info ra, rb;
	char why[256];

	ok(!mm_memremap_pages(a, &p, &ida) && !mm_memremap_pages(b, &p, &idb),
	   "1 GiB of devdax in 2 MiB folios, exact tail reuse and zero tails");
	/* before anything reads a tail (a read maps the zero page, which mincore counts) */
	ok(resident(pfn_to_page(b, pfn0), 16 * MiB) == 2 * MiB,
	   "the process holds one page per folio (mincore: %" PRIu64 " KiB of 16 MiB)",
	   resident(pfn_to_page(b, pfn0), 16 * MiB) >> 10);
	pa = resource_find_id(a, ida)->pgmap;
	pb = resource_find_id(b, idb)->pgmap;
	ok(vmemmap_dedup_copies(pa) == 1 && vmemmap_zero_tails(pb), "the layouts are as asked");
	for (uint64_t pfn = pfn0; pfn < pfn0 + ((GiB) >> 12); pfn += 37, n++) {
		struct page buf;
		const struct page *x = pfn_to_page(a, pfn), *y = device_page_read(b, pb, pfn, &buf);
		uintptr_t ba = (uintptr_t)a->vmemmap.base, bb = (uintptr_t)b->vmemmap.base;
		bool tail = pfn & 511;

		if (x->flags != y->flags || x->_refcount != y->_refcount ||
		    x->_mapcount != y->_mapcount || x->mapping != y->mapping ||
		    (tail ? x->compound_head - ba != y->compound_head - bb : x->pgmap != pa ||
		     y->pgmap != pb) || !same_lookup(a, b, pfn))
			bad++;
	}
	is(bad, 0, "%" PRIu64 " struct pages (heads and tails) read as the kernel's", n);
	mm_range_info(a, ida, &ra);
	mm_range_info(b, idb, &rb);
	ok(rb.memmap_bytes == 512 * 4096 && ra.memmap_bytes == 2 * rb.memmap_bytes,
	   "zero tails hold one page per folio (%" PRIu64 " KiB), the kernel's layout two",
	   rb.memmap_bytes >> 10);
	ok(healthy(b, "zero tails"), "invariants hold");
	/* a write over a zero tail is a broken encoding */
	/* the middle tail of the first folio: a position the checker samples */
	((volatile struct page *)pfn_to_page(b, pfn0 + 256))->private = 1;
	ok(mm_check_invariants(b, why, sizeof(why)) == -EUCLEAN && strstr(why, "zero encoding"),
	   "a tail written over is caught (%s)", why);
	((volatile struct page *)pfn_to_page(b, pfn0 + 256))->private = 0;
	ok(healthy(b, "restored"), "and the model is healthy again once it is zero");
	ok(!mm_get_pages(b, pfn0 + 700, 10) &&
	   pfn_to_page(b, pfn0 + 512)->_refcount == 1 + 10, "references on tails go to the head");
	ok(!mm_put_pages(b, pfn0 + 700, 10) && !mm_memunmap_pages(b, idb) &&
	   healthy(b, "unmapped"), "unmapped, healthy");
	mm_model_destroy(a);
	mm_model_destroy(b);
}

/* the inline pfn_valid() and mm_pfn_to_page() of VMEMMAP */
static void inline_pfn_valid(void)
{
	static const struct fast fast = { false, true, 0 };
	struct mm_model *mm = model(&fast);
	struct mm_pgmap_params p = { .start = 40 * GiB + 4 * MiB, .size = 6 * MiB,
				     .type = MEMORY_DEVICE_FS_DAX };
	uint64_t id, bad = 0, n = 0, seed = 88172645463325252ULL;

	mm_add_memory(mm, 0, 8 * GiB, GiB, MHP_NONE, &id);
	mm_memremap_pages(mm, &p, &id);
	for (uint64_t i = 0; i < 200000; i++, n++) {
		uint64_t pfn;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		/* mostly around what exists, sometimes anywhere, past the end too */
		pfn = i % 4 ? seed % ((48 * GiB) >> 12) : seed % (mm->geo.max_pfn + 1000);
		if (vmemmap_pfn_valid(mm, pfn) != sparse_pfn_valid(mm, pfn) ||
		    mm_pfn_to_page(mm, pfn) != (sparse_pfn_valid(mm, pfn) ? pfn_to_page(mm, pfn)
									   : NULL))
			bad++;
	}
	is(bad, 0, "%" PRIu64 " pfns: the inline pfn_valid and mm_pfn_to_page agree with the "
	   "generic ones (boot holes, subsections, beyond MAX_PHYSMEM_BITS)", n);
	mm_model_destroy(mm);
}

int main(void)
{
	no_poisoning();
	fresh_memmap();
	parallel_init();
	zero_tails();
	inline_pfn_valid();
	return tap_done();
}
