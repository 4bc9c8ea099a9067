/* SPDX-License-Identifier: MIT */
/*
 * vmem_altmap: the arithmetic (offset, next pfn, nr_free, natural-alignment padding that
 * accumulates and is never given back), x86_64's rule that a sub-section populate ignores the
 * altmap, exhaustion (-ENOMEM, nothing changed), the __add_pages() altmap checks, and the
 * memmap of a map=dev range really living in the device's file: written there, readable
 * there after the model is gone, mapped again by a new model.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "test-util.h"
#include "memremap.h"

static void arithmetic(void)
{
	struct vmem_altmap a = { .base_pfn = 0x240000, .reserve = 2, .free = 16894 };
	struct vmem_altmap saved;
	uint64_t pfn = 0;

	is(vmem_altmap_offset(&a), 16896, "vmem_altmap_offset = reserve + free");
	is(vmem_altmap_offset(NULL), 0, "vmem_altmap_offset(NULL) = 0");
	is(vmem_altmap_next_pfn(&a), 0x240002, "next pfn = base + reserve");
	is(vmem_altmap_nr_free(&a), 16894, "nr_free = free");

	is(altmap_alloc_block_buf(&a, 512, &pfn), 0, "a PMD block of 512 pfns");
	ok(pfn == 0x240200 && a.alloc == 512 && a.align == 510,
	   "is 512-pfn aligned: pfn %#" PRIx64 ", 510 pfns of padding burnt", pfn);
	is(altmap_alloc_block_buf(&a, 512, &pfn), 0, "a second PMD block");
	ok(pfn == 0x240400 && a.align == 510, "follows without padding");
	is(altmap_alloc_block_buf(&a, 1, &pfn), 0, "a base page");
	ok(pfn == 0x240600 && a.align == 510, "needs no alignment");
	is(altmap_alloc_block_buf(&a, 512, &pfn), 0, "a PMD block after it");
	ok(pfn == 0x240800 && a.alloc == 1537 && a.align == 1021,
	   "pads 511 more: align accumulates to 1021");
	is(vmem_altmap_next_pfn(&a), 0x240a00, "next pfn = base + reserve + alloc + align");
	is(vmem_altmap_nr_free(&a), 16894 - 1537 - 1021, "nr_free = free - (alloc + align)");

	vmem_altmap_free(&a, 512);
	ok(a.alloc == 1025 && a.align == 1021, "vmem_altmap_free gives back alloc, never the padding");

	a = (struct vmem_altmap){ .base_pfn = 0x1000, .reserve = 2, .free = 1000 };
	saved = a;
	is(altmap_alloc_block_buf(&a, 512, &pfn), -ENOMEM,
	   "1000 free pfns cannot hold a PMD block after 510 pfns of padding: -ENOMEM");
	ok(!memcmp(&a, &saved, sizeof(a)), "and the altmap is unchanged");
	a.free = 1100;
	is(altmap_alloc_block_buf(&a, 512, &pfn), 0, "1100 free pfns: one PMD block (510 padding)");
	saved = a;
	is(altmap_alloc_block_buf(&a, 512, &pfn), -ENOMEM, "a second one does not fit: -ENOMEM");
	ok(!memcmp(&a, &saved, sizeof(a)), "and the altmap is unchanged");
	is(vmem_altmap_nr_free(&a), 1100 - 1022, "78 pfns remain");
	a.align = 2000;
	is(vmem_altmap_nr_free(&a), 0, "nr_free never goes negative");
}

static struct mm_pgmap_params device(uint64_t start, uint64_t size, bool altmap, uint64_t free)
{
	struct mm_pgmap_params p = {
		.start = start, .size = size, .type = MEMORY_DEVICE_GENERIC,
		.has_altmap = altmap,
		.altmap = { .base_pfn = start >> 12, .end_pfn = ((start + size) >> 12) - 1,
			    .free = free },
	};

	return p;
}

/* x86_64 vmemmap_populate(): a sub-section range takes base pages from RAM, not the altmap */
static void subsection_ignores_altmap(void)
{
	struct mm_model *mm = test_default_model();
	struct mm_pgmap_params p = device(16 * GiB + 2 * MiB, 6 * MiB, true, 24);
	struct mm_stats before, after;
	struct mm_range_info ri;
	struct mm_pfn_info info;
	uint64_t id1, id2;

	mm_get_stats(mm, &before);
	is(mm_memremap_pages(mm, &p, &id1), 0, "6 MiB device with an altmap (sub-section)");
	mm_range_info(mm, id1, &ri);
	ok(ri.altmap.alloc == 0 && ri.altmap.align == 0, "the altmap handed out nothing");
	mm_get_stats(mm, &after);
	ok(after.memmap_ram_bytes == before.memmap_ram_bytes + 96 * KiB &&
	   after.memmap_device_bytes == before.memmap_device_bytes,
	   "its 96 KiB of memmap came from RAM");
	mm_lookup_pfn(mm, (16 * GiB + 4 * MiB) >> 12, &info);
	is(info.memmap, MM_MEMMAP_RAM, "lookup: memmap in RAM");

	p = device(32 * GiB, 256 * MiB, true, 1024);
	is(mm_memremap_pages(mm, &p, &id2), 0, "two whole sections with an altmap");
	mm_range_info(mm, id2, &ri);
	ok(ri.altmap.alloc == 1024 && ri.altmap.align == 0,
	   "two PMD blocks from the altmap, no padding at an aligned base");
	mm_lookup_pfn(mm, (32 * GiB + 200 * MiB) >> 12, &info);
	is(info.memmap, MM_MEMMAP_ALTMAP, "lookup: memmap in the altmap");
	mm_get_stats(mm, &after);
	is(after.memmap_device_bytes, before.memmap_device_bytes + 4 * MiB,
	   "4 MiB of memmap placed through the altmap");
	INV(mm, "sub-section and whole-section altmap ranges");

	p = device(34 * GiB - 64 * MiB, 192 * MiB, true, 3072);
	is(mm_memremap_pages(mm, &p, &id1), 0, "[34G - 64M, +192M): half section, whole section");
	mm_range_info(mm, id1, &ri);
	ok(ri.altmap.alloc == 512 && ri.altmap.align == 0,
	   "only the whole section took its PMD from the altmap (alloc %" PRIu64 ")",
	   ri.altmap.alloc);
	INV(mm, "a range mixing sub-section and whole-section pieces");
	mm_model_destroy(mm);
}

static void refusals(void)
{
	struct mm_model *mm = test_default_model();
	struct mm_pgmap_params p = device(16 * GiB, GiB, true, 600);
	struct mm_plan plan;
	uint64_t d, id;

	d = model_digest(mm, (16 * GiB) >> 12, GiB >> 12);
	mm_plan_memremap(mm, &p, &plan);
	EXPECT_ERR(mm, mm_memremap_pages(mm, &p, &id), -ENOMEM, MM_CAUSE_NOMEM,
		   "vmemmap_populate: the altmap runs out (600 free for 8 sections): -ENOMEM");
	ok(plan_matches(mm, &plan, -ENOMEM), "the plan predicted it");
	ok(model_digest(mm, (16 * GiB) >> 12, GiB >> 12) == d, "nothing changed");

	p = device(16 * GiB, GiB, true, 4096);
	p.altmap.base_pfn += 512;
	EXPECT_ERR(mm, mm_memremap_pages(mm, &p, &id), -EINVAL, MM_CAUSE_INVALID,
		   "__add_pages: altmap base is not the range's first pfn: -EINVAL");
	p = device(16 * GiB, GiB, true, 4096);
	p.altmap.reserve = 262144 - 4095;
	EXPECT_ERR(mm, mm_memremap_pages(mm, &p, &id), -EINVAL, MM_CAUSE_INVALID,
		   "__add_pages: reserve + free > nr_pages: -EINVAL");
	mm_plan_memremap(mm, &p, &plan);
	ok(plan_matches(mm, &plan, -EINVAL), "the plan predicted it");
	ok(model_digest(mm, (16 * GiB) >> 12, GiB >> 12) == d, "nothing changed");

	p = device(16 * GiB, GiB, true, 4096);
	is(mm_memremap_pages(mm, &p, &id), 0, "exactly enough: 4096 free pfns for 8 sections");
	INV(mm, "an altmap filled to the last pfn");
	is(mm_memunmap_pages(mm, id), 0, "unmap");
	INV(mm, "unmapping: alloc back to 0");
	mm_model_destroy(mm);
}

/* ---------------------------------------------------------- device file */

struct backing {
	int fd;
	uint64_t start, size;   /* the namespace the file stands for */
	int calls;
	int answer;             /* 0: give the file, else this errno */
};

static int backing_cb(void *data, uint64_t phys, uint64_t len, int *fd, uint64_t *offset)
{
	struct backing *b = data;

	b->calls++;
	if (b->answer)
		return b->answer;
	if (phys < b->start || phys + len > b->start + b->size)
		return -ENOENT;
	*fd = b->fd;
	*offset = phys - b->start;
	return 0;
}

static struct mm_model *backed_model(struct backing *b)
{
	struct mm_params p;
	struct mm_model *mm = NULL;

	mm_params_default(&p, mm_arch_lookup("x86_64"));
	p.memmap_backing = backing_cb;
	p.memmap_backing_data = b;
	if (mm_model_create(&p, &mm) || mm_boot_memory_add(mm, 0, 3 * GiB, 0) ||
	    mm_boot_memory_add(mm, 4 * GiB, 4 * GiB, 0) || mm_boot_init(mm)) {
		printf("Bail out! cannot create a backed model\n");
		exit(1);
	}
	return mm;
}

static int maps_has_file_at(const void *addr, ino_t ino)
{
	char line[512], want[32];
	FILE *f = fopen("/proc/self/maps", "re");
	int found = 0;

	snprintf(want, sizeof(want), "%lx-", (unsigned long)(uintptr_t)addr);
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, ino2 = 0;

		if (sscanf(line, "%lx-%lx %*s %*s %*s %lu", &lo, &hi, &ino2) == 3 &&
		    lo <= (uintptr_t)addr && (uintptr_t)addr < hi && ino2 == (unsigned long)ino)
			found = 1;
	}
	if (f)
		fclose(f);
	return found;
}

static void memmap_in_the_device_file(void)
{
	char path[] = "/tmp/pmm-test-altmap-XXXXXX";
	const uint64_t ns = 20 * GiB, size = GiB;
	struct backing b = { .start = ns, .size = size };
	struct mm_model *mm;
	struct mm_nd_pfn pfn;
	struct mm_pgmap_params p;
	struct mm_range_info ri;
	struct mm_stats before, after;
	struct page *vm, file_pages[4];
	struct stat st;
	uint64_t id, first_pfn, d;

	b.fd = mkstemp(path);
	ok(b.fd >= 0 && !ftruncate(b.fd, (off_t)size) && !fstat(b.fd, &st),
	   "a sparse 1 GiB file stands for the namespace");
	unlink(path);
	mm = backed_model(&b);
	mm_nd_pfn_init(mm, ns, size, 2 * MiB, true, &pfn);
	p = (struct mm_pgmap_params){ .start = pfn.range_start, .size = pfn.range_size,
				      .type = MEMORY_DEVICE_FS_DAX, .has_altmap = true,
				      .altmap = pfn.altmap };
	mm_get_stats(mm, &before);
	is(mm_memremap_pages(mm, &p, &id), 0, "memremap the map=dev namespace");
	INV(mm, "mapping a namespace whose memmap lives in its file");
	ok(b.calls == 1, "the backing was asked once");
	mm_range_info(mm, id, &ri);
	ok(ri.altmap.alloc == 4096 && ri.altmap.align == 510,
	   "8 PMD blocks after 510 pfns of padding");
	mm_get_stats(mm, &after);
	ok(after.memmap_device_bytes == before.memmap_device_bytes + 16 * MiB &&
	   after.memmap_resident_bytes == before.memmap_resident_bytes,
	   "16 MiB of memmap in the device, none of it in the process's RAM");

	/* the first section's memmap sits at the first altmap PMD: file offset 2 MiB */
	vm = mm->vmemmap.base + (ns >> 12);
	ok(maps_has_file_at(vm, st.st_ino), "the vmemmap window of the range maps the file");
	first_pfn = pfn.altmap.base_pfn + pfn.altmap.reserve + pfn.altmap.free;
	ok(pread(b.fd, file_pages, sizeof(file_pages),
		 (off_t)(2 * MiB + (first_pfn - (ns >> 12)) * sizeof(struct page))) ==
	   (ssize_t)sizeof(file_pages) &&
	   !memcmp(file_pages, vm + (first_pfn - (ns >> 12)), sizeof(file_pages)),
	   "pread from the file at 2 MiB finds the struct pages the model shows");
	ok(file_pages[0].pgmap && page_zonenum(&mm->pfl, &file_pages[0]) == ZONE_DEVICE &&
	   PageReserved(&file_pages[0]), "the file holds initialised ZONE_DEVICE struct pages");
	vm[first_pfn - (ns >> 12)].index = 0x5eed;
	ok(pread(b.fd, file_pages, sizeof(struct page),
		 (off_t)(2 * MiB + (first_pfn - (ns >> 12)) * sizeof(struct page))) ==
	   (ssize_t)sizeof(struct page) && file_pages[0].index == 0x5eed,
	   "a store to the struct page is a store to the file (MAP_SHARED)");
	vm[first_pfn - (ns >> 12)].index = 0;
	ok(pread(b.fd, file_pages, sizeof(struct page), 4096) == (ssize_t)sizeof(struct page) &&
	   !memcmp(file_pages, (char[64]){ 0 }, sizeof(struct page)),
	   "the info block area (4 KiB) is not touched by the memmap");

	is(mm_memunmap_pages(mm, id), 0, "memunmap");
	INV(mm, "unmapping the file-backed memmap");
	ok(!maps_has_file_at(vm, st.st_ino), "the window is the reservation again");
	mm_get_stats(mm, &after);
	is(after.memmap_device_bytes, before.memmap_device_bytes, "no device memmap left");
	ok(pread(b.fd, file_pages, sizeof(struct page), (off_t)(2 * MiB)) ==
	   (ssize_t)sizeof(struct page) && PagePoisoned(&file_pages[0]),
	   "the struct pages stay in the file (poisoned by the teardown)");
	mm_model_destroy(mm);

	/* a new model (a restarted daemon) maps the same file again */
	b.calls = 0;
	mm = backed_model(&b);
	is(mm_memremap_pages(mm, &p, &id), 0, "a new model maps the namespace again");
	ok(b.calls == 1 && maps_has_file_at(mm->vmemmap.base + (ns >> 12), st.st_ino),
	   "from the same file");
	INV(mm, "remapping the file after a restart");

	/* the backing refuses: nothing changes */
	d = model_digest(mm, (ns + 2 * GiB) >> 12, size >> 12);
	b.answer = -EIO;
	p.start += 2 * GiB;
	p.altmap.base_pfn += (2 * GiB) >> 12;
	p.altmap.end_pfn += (2 * GiB) >> 12;
	EXPECT_ERR(mm, mm_memremap_pages(mm, &p, &id), -EIO, MM_CAUSE_INVALID,
		   "the backing answers -EIO: the memremap fails with it");
	ok(model_digest(mm, (ns + 2 * GiB) >> 12, size >> 12) == d, "nothing changed");
	b.answer = -ENOENT;
	is(mm_memremap_pages(mm, &p, &id), 0, "no file for this range (-ENOENT): anonymous memmap");
	mm_get_stats(mm, &after);
	ok(!maps_has_file_at(mm->vmemmap.base + ((ns + 2 * GiB) >> 12), st.st_ino) &&
	   after.memmap_device_bytes == 32 * MiB, "accounted as device memmap all the same");
	INV(mm, "a file-backed and an anonymous altmap range");
	mm_model_destroy(mm);

	/* a file too small for the memmap is refused */
	b.answer = 0;
	ok(!ftruncate(b.fd, (off_t)(2 * MiB)), "shrink the file to 2 MiB");
	mm = backed_model(&b);
	p.start -= 2 * GiB;
	p.altmap.base_pfn -= (2 * GiB) >> 12;
	p.altmap.end_pfn -= (2 * GiB) >> 12;
	EXPECT_ERR(mm, mm_memremap_pages(mm, &p, &id), -EINVAL, MM_CAUSE_INVALID,
		   "a backing file that cannot hold the memmap: -EINVAL");
	INV(mm, "the refused file");
	mm_model_destroy(mm);
	close(b.fd);
}

int main(void)
{
	arithmetic();
	subsection_ignores_altmap();
	refusals();
	memmap_in_the_device_file();
	return tap_done();
}
