/* SPDX-License-Identifier: MIT */
/*
 * Benchmark 2: populating and initialising the memmap, in bytes of struct page per second.
 *
 * What is timed:
 *   online   mm_add_memory() + mm_online_range() of 256 GiB of System RAM: the vmemmap of 2048
 *            sections populated (mprotect), then every struct page initialised (online_pages:
 *            memmap_init_range + online_pages_range) - 4 GiB of struct pages
 *   device   mm_memremap_pages() of 256 GiB fsdax with base pages and the memmap in RAM
 *            (map=mem): populate + memmap_init_zone_device()
 * each with the memmap poisoned at hot-add (CONFIG_DEBUG_VM, the library default) and not
 * (the daemon's default), on one thread and on every CPU.
 * The baseline: first touch of the same number of fresh bytes, 2 MiB aligned and
 * MADV_HUGEPAGE'd (memset of a new mapping: the page faults dominate, perf-facts A1/A3),
 * measured in the same run, repetitions interleaved. Goal (issue 9): at least 0.7x, for the
 * production settings (no poisoning); the debug poisoning writes every struct page twice and
 * is reported for comparison.
 * The teardown (offline + remove, memunmap) is timed too and reported for information.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"
#include "internal.h"

static struct bench_opts O;
static uint64_t SIZE;              /* modelled bytes added per repetition */
static const uint64_t START = UINT64_C(8) << 30;

/* first touch of bytes fresh bytes with 2 MiB pages: mmap, MADV_HUGEPAGE, memset, munmap */
static double first_touch(uint64_t bytes)
{
	size_t a = 2 * MiB;
	char *p = mmap(NULL, bytes + a, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *q;
	double t;

	if (p == MAP_FAILED) {
		printf("Bail out! cannot map %" PRIu64 " bytes\n", bytes);
		exit(1);
	}
	q = (char *)(((uintptr_t)p + a - 1) & ~(uintptr_t)(a - 1));
	madvise(q, bytes, MADV_HUGEPAGE);
	t = bench_now();
	memset(q, 0, bytes);
	t = bench_now() - t;
	munmap(p, bytes + a);
	return t;
}

struct variant {
	const char *name;
	bool device, poison;
	unsigned int threads;
	double goal;                   /* 0: reported only */
};

static struct mm_model *make_model(const struct variant *v)
{
	struct mm_params p;
	struct mm_model *mm = NULL;

	mm_params_default(&p, mm_arch_lookup("x86_64"));
	p.page_init_poisoning = v->poison;
	p.memmap_init_threads = v->threads;
	if (mm_model_create(&p, &mm) || mm_boot_memory_add(mm, 0, 3 * GiB, 0) ||
	    mm_boot_memory_add(mm, 4 * GiB, 4 * GiB, 0) || mm_boot_init(mm)) {
		printf("Bail out! cannot boot the model: %s\n", mm ? mm_last_error(mm) : "");
		exit(1);
	}
	return mm;
}

static void fail(struct mm_model *mm, const char *what, int ret)
{
	printf("Bail out! %s: %d (%s)\n", what, ret, mm_last_error(mm));
	exit(1);
}

/* one repetition: *up the populate + init time, *down the teardown time */
static void run_once(struct mm_model *mm, const struct variant *v, double *up, double *down)
{
	struct mm_pgmap_params pp = { .start = START, .size = SIZE, .type = MEMORY_DEVICE_FS_DAX };
	uint64_t id;
	double t = bench_now();
	int ret;

	if (v->device) {
		ret = mm_memremap_pages(mm, &pp, &id);
		if (ret)
			fail(mm, "memremap", ret);
	} else {
		ret = mm_add_memory(mm, 0, START, SIZE, MHP_NONE, &id);
		if (ret)
			fail(mm, "add_memory", ret);
		ret = mm_online_range(mm, START, SIZE, MMOP_ONLINE_MOVABLE, NULL);
		if (ret)
			fail(mm, "online", ret);
	}
	*up = bench_now() - t;
	if (O.quick) {
		char why[256];
		struct mm_pfn_info info;
		uint64_t pfn = (START + SIZE / 2) >> 12;

		bench_check(mm_check_invariants(mm, why, sizeof(why)) == 0,
			    "%s: invariants hold after the add (%s)", v->name, why);
		bench_check(mm_lookup_pfn(mm, pfn, &info) == 0 && info.valid &&
			    info.online == !v->device && strstr(info.flag_names, "poisoned") == NULL,
			    "%s: a pfn in the middle is initialised (%s)", v->name, info.flag_names);
	}
	t = bench_now();
	if (v->device) {
		ret = mm_memunmap_pages(mm, id);
		if (ret)
			fail(mm, "memunmap", ret);
	} else {
		ret = mm_offline_range(mm, START, SIZE, NULL);
		if (!ret)
			ret = mm_remove_memory(mm, START, SIZE);
		if (ret)
			fail(mm, "offline/remove", ret);
	}
	*down = bench_now() - t;
	if (O.quick) {
		char why[256];

		bench_check(mm_check_invariants(mm, why, sizeof(why)) == 0,
			    "%s: invariants hold after the teardown (%s)", v->name, why);
	}
}

/* GB/s from times: best = bytes / min time */
static struct bench_stat rate(uint64_t bytes, double *t, unsigned int n)
{
	struct bench_stat s = bench_stat(t, n);
	struct bench_stat r = { (double)bytes / 1e9 / s.min, (double)bytes / 1e9 / s.med };

	return r;
}

static void bench_variant(const struct variant *v)
{
	uint64_t memmap = SIZE / 4096 * 64;
	double up[16], down[16], base[16];
	unsigned int reps = O.reps > 16 ? 16 : O.reps;
	struct mm_model *mm = make_model(v);
	char name[160];

	for (unsigned int r = 0; r < reps; r++) {
		base[r] = first_touch(memmap);
		run_once(mm, v, &up[r], &down[r]);
	}
	snprintf(name, sizeof(name), "memmap: %s", v->name);
	bench_result(name, "GB/s", rate(memmap, up, reps), rate(memmap, base, reps),
		     false, v->goal, "%s of struct pages (%s modelled); baseline: THP first-touch "
		     "memset", memmap >= GiB ? "4 GiB" : "64 MiB", SIZE >= GiB * 64 ? "256 GiB" :
		     "4 GiB");
	{
		struct bench_stat d = bench_stat(down, reps), u = bench_stat(up, reps);

		bench_diag("%s: populate+init %.1f ms (median %.1f), teardown %.1f ms (median %.1f)",
			   v->name, u.min * 1e3, u.med * 1e3, d.min * 1e3, d.med * 1e3);
	}
	mm_model_destroy(mm);
}

int main(int argc, char **argv)
{
	static const struct variant variants[] = {
		{ "online, poisoned at add (DEBUG_VM), 1 thread", false, true, 1, 0 },
		{ "online, not poisoned, 1 thread", false, false, 1, 0.7 },
		{ "online, not poisoned, all CPUs (daemon default)", false, false, 0, 0.7 },
		{ "device add, poisoned at add (DEBUG_VM), 1 thread", true, true, 1, 0 },
		{ "device add, not poisoned, 1 thread", true, false, 1, 0.7 },
		{ "device add, not poisoned, all CPUs (daemon default)", true, false, 0, 0.7 },
	};

	bench_init(argc, argv, &O, 5);
	SIZE = O.quick ? 4 * GiB : 256 * GiB;
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++)
		bench_variant(&variants[i]);
	return bench_done();
}
