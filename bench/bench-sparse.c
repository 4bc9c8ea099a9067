/* SPDX-License-Identifier: MIT */
/*
 * Benchmark 4: what an empty or sparsely used physical address space costs the model.
 *
 *   la57 empty   x86_64-la57 (2^52 bytes of physical address space, a 2^46-byte vmemmap
 *                reservation, 131072 EXTREME root pointers) with only the embedded default's
 *                7 GiB of boot memory
 *   64 TiB       x86_64 (2^46 bytes), the boot memory plus 512 block-sized ranges of System
 *                RAM scattered over the whole space (every other one online) and 32 device
 *                ranges of 1 GiB in 2 MiB folios
 *   la57 sparse  the same scattering over the 4 PiB of x86_64-la57
 * Measured: the process's resident memory (VmRSS) with the model, against its baseline RSS
 * before the model existed, and the part of the growth that is not memmap (the model's
 * bookkeeping: section roots and usage maps, memory blocks, resources), against the memmap
 * the model reports. Creating the model (reserving the vmemmap) is timed against one
 * mmap() + munmap() of the same reservation (perf-facts.md G4: within 10x).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"
#include "internal.h"

static struct bench_opts O;

static uint64_t rss_kb(void)
{
	return bench_status_kb(0, "VmRSS");
}

static struct mm_model *boot(const char *arch, double *create_s)
{
	struct mm_params p;
	struct mm_model *mm = NULL;
	double t;

	mm_params_default(&p, mm_arch_lookup(arch));
	p.page_init_poisoning = false;
	p.vmemmap_zero_tails = true;
	t = bench_now();
	if (mm_model_create(&p, &mm)) {
		printf("Bail out! cannot create a %s model\n", arch);
		exit(1);
	}
	if (create_s)
		*create_s = bench_now() - t;
	if (mm_boot_memory_add(mm, 0, 3 * GiB, 0) || mm_boot_memory_add(mm, 4 * GiB, 4 * GiB, 0) ||
	    mm_boot_init(mm)) {
		printf("Bail out! cannot boot a %s model: %s\n", arch, mm_last_error(mm));
		exit(1);
	}
	return mm;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/*
 * nr_ram block-sized System RAM ranges and nr_dev 1 GiB device ranges at pseudo-random places of
 * [16 GiB, the top of the space the model can plug), one per slot so that they never collide.
 */
static void scatter(struct mm_model *mm, unsigned int nr_ram, unsigned int nr_dev)
{
	const struct mm_geometry *g = mm_geometry(mm);
	uint64_t top = MIN(1ULL << g->max_physmem_bits, mm->vmemmap.end_pfn << g->page_shift);
	uint64_t slots = nr_ram + nr_dev, slot = (top - 16 * GiB) / slots, id;

	slot &= ~(GiB - 1);
	for (unsigned int i = 0; i < slots; i++) {
		uint64_t base = 16 * GiB + i * slot;
		uint64_t off = (rng() % (slot / GiB - 1)) * GiB;
		int ret;

		if (i < nr_ram) {
			ret = mm_add_memory(mm, 0, base + off, g->block_size, MHP_NONE, &id);
			if (!ret && i % 2)
				ret = mm_online_range(mm, base + off, g->block_size, MMOP_ONLINE_MOVABLE,
						      NULL);
		} else {
			struct mm_pgmap_params p = { .start = base + off, .size = GiB,
						     .type = MEMORY_DEVICE_GENERIC, .align = 2 * MiB };

			ret = mm_memremap_pages(mm, &p, &id);
		}
		if (ret) {
			printf("Bail out! scattering range %u at %#" PRIx64 ": %s\n", i, base + off,
			       mm_last_error(mm));
			exit(1);
		}
	}
}

/* RSS with the model against the RSS before it; its bookkeeping against its memmap */
static void report(const char *name, uint64_t rss0, struct mm_model *mm, const char *what)
{
	struct mm_stats st;
	uint64_t rss = rss_kb(), memmap_kb, overhead_kb;
	char buf[160], why[256];

	mm_get_stats(mm, &st);
	memmap_kb = st.memmap_resident_bytes >> 10;
	overhead_kb = rss > rss0 + memmap_kb ? rss - rss0 - memmap_kb : 0;
	snprintf(buf, sizeof(buf), "sparse: %s, process RSS", name);
	bench_result(buf, "MiB", (struct bench_stat){ rss / 1024.0, rss / 1024.0 },
		     (struct bench_stat){ rss0 / 1024.0, rss0 / 1024.0 }, true, 0,
		     "%s; against the process's RSS before the model; memmap %" PRIu64 " MiB, "
		     "%" PRIu64 " VMAs", what, memmap_kb >> 10, bench_maps_count());
	snprintf(buf, sizeof(buf), "sparse: %s, bookkeeping beyond the memmap", name);
	bench_result(buf, "MiB", (struct bench_stat){ overhead_kb / 1024.0 + 1e-3,
						      overhead_kb / 1024.0 + 1e-3 },
		     (struct bench_stat){ memmap_kb / 1024.0, memmap_kb / 1024.0 }, true, 0,
		     "RSS growth minus the memmap, against the memmap");
	bench_check(mm_check_invariants(mm, why, sizeof(why)) == 0, "%s: invariants hold (%s)",
		    name, why);
}

/* mm_model_create() (the 2^46-byte vmemmap reservation, the root pointers) vs one mmap() */
static void bench_reserve(void)
{
	double t_create[16], t_mmap[16];
	unsigned int reps = O.reps > 16 ? 16 : O.reps;
	struct mm_params p;

	mm_params_default(&p, mm_arch_lookup("x86_64-la57"));
	for (unsigned int r = 0; r < reps; r++) {
		struct mm_model *mm;
		double t = bench_now();
		void *a = mmap(NULL, 1ULL << 46, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (a != MAP_FAILED)
			munmap(a, 1ULL << 46);
		t_mmap[r] = bench_now() - t;
		t = bench_now();
		if (mm_model_create(&p, &mm)) {
			printf("Bail out! cannot create a la57 model\n");
			exit(1);
		}
		mm_model_destroy(mm);
		t_create[r] = bench_now() - t;
	}
	bench_result("sparse: create+destroy a la57 model (2^46 vmemmap reserved)", "us",
		     (struct bench_stat){ bench_stat(t_create, reps).min * 1e6,
					  bench_stat(t_create, reps).med * 1e6 },
		     (struct bench_stat){ bench_stat(t_mmap, reps).min * 1e6,
					  bench_stat(t_mmap, reps).med * 1e6 }, true, 10,
		     "against mmap()+munmap() of the same 2^46 bytes (perf-facts G4)");
}

int main(int argc, char **argv)
{
	unsigned int nr_ram, nr_dev;
	struct mm_model *mm;
	uint64_t rss0;
	double t;

	bench_init(argc, argv, &O, 5);
	nr_ram = O.quick ? 32 : 512;
	nr_dev = O.quick ? 4 : 32;
	bench_reserve();

	rss0 = rss_kb();
	mm = boot("x86_64-la57", NULL);
	report("la57, empty", rss0, mm, "x86_64-la57, 7 GiB of boot memory, nothing added");
	mm_model_destroy(mm);

	rss0 = rss_kb();
	mm = boot("x86_64", NULL);
	t = bench_now();
	scatter(mm, nr_ram, nr_dev);
	bench_diag("64 TiB: %u ranges added in %.3f s", nr_ram + nr_dev, bench_now() - t);
	report("x86_64 64 TiB, scattered", rss0, mm, "512 x 128 MiB RAM (half online) + 32 x 1 GiB "
	       "devdax over 64 TiB");
	mm_model_destroy(mm);

	rss0 = rss_kb();
	mm = boot("x86_64-la57", NULL);
	t = bench_now();
	scatter(mm, nr_ram, nr_dev);
	bench_diag("la57: %u ranges added in %.3f s", nr_ram + nr_dev, bench_now() - t);
	report("la57, scattered", rss0, mm, "the same scattered over the 4 PiB of x86_64-la57");
	mm_model_destroy(mm);
	return bench_done();
}
