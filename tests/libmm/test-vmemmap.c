/* SPDX-License-Identifier: MIT */
/*
 * The vmemmap area and the section primitives under hotplug: resident memory follows exactly
 * what is populated (checked with mincore), host pages shared by two subsections' memmaps (64K
 * pages) live until the last user goes, early sections reuse their boot memmap, re-adding a
 * present subsection is -EEXIST, and a refused populate (-ENOMEM) leaves nothing behind.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include "test-util.h"

static uint64_t whole_resident(const struct mm_model *mm)
{
	uint64_t end = section_nr_to_pfn(mm, (uint64_t)mm->highest_present_section_nr + 1);

	return memmap_resident(mm, 0, end);
}

static void resident_follows_populate(void)
{
	struct mm_model *mm = test_default_model();
	struct mm_stats st;
	uint64_t id;

	ok(mm->vmemmap.thp, "MADV_HUGEPAGE was accepted on the reservation");
	mm_get_stats(mm, &st);
	is(whole_resident(mm), st.memmap_resident_bytes,
	   "boot: mincore agrees with memmap_resident_bytes (%" PRIu64 " MiB)",
	   st.memmap_resident_bytes >> 20);
	is(mm_add_memory(mm, 0, 8 * GiB, 4 * GiB, 0, &id), 0, "add 4 GiB");
	mm_get_stats(mm, &st);
	is(whole_resident(mm), st.memmap_resident_bytes, "after the add: mincore agrees (%" PRIu64
	   " MiB)", st.memmap_resident_bytes >> 20);
	is(mm_remove_memory(mm, 9 * GiB, 2 * GiB), 0, "remove 2 GiB from the middle");
	mm_get_stats(mm, &st);
	is(whole_resident(mm), st.memmap_resident_bytes, "after the remove: mincore agrees");
	is(memmap_resident(mm, (9 * GiB) >> 12, (2 * GiB) >> 12), 0,
	   "the removed part holds no memory");
	INV(mm, "resident accounting");
	mm_model_destroy(mm);
}

/* ppc64 64K: a 2 MiB subsection has 2 KiB of memmap, two share one 4 KiB host page */
static void shared_host_pages(void)
{
	struct mm_model *mm = test_model("ppc64-64k", 0);
	const uint64_t nr = 128, pfn0 = section_nr_to_pfn(mm, nr), ppss = PAGES_PER_SUBSECTION(mm);
	struct mm_err err = { 0 };
	struct mem_section *ms;
	uint64_t base, d;
	char buf[256];

	mm_boot_memory_add(mm, 0, GiB, 0);
	is(mm_boot_init(mm), 0, "ppc64-64k boot [0, 1G)");
	base = mm->vmemmap.nr_populated;
	is(ppss * sizeof(struct page), 2 * KiB, "a subsection's memmap is 2 KiB");

	is(__add_pages(mm, 0, pfn0, ppss, NULL, &err), 0, "__add_pages: subsection 0 of section 128");
	ms = __nr_to_section(mm, nr);
	ok(present_section(ms) && valid_section(ms) && !early_section(ms) && !online_section(ms) &&
	   ms->usage->subsection_map[0] == 1, "section 128: present, memmap, one subsection");
	is(mm->vmemmap.nr_populated, base + 1, "one host page populated");
	ok(PagePoisoned(pfn_to_page(mm, pfn0)) && PagePoisoned(pfn_to_page(mm, pfn0 + ppss - 1)),
	   "the new struct pages are poisoned");
	ok(mm_check_invariants(mm, buf, sizeof(buf)) == -EUCLEAN && strstr(buf, "section 128"),
	   "the checker flags a section no block or range owns (%s)", buf);

	d = model_digest(mm, pfn0, ppss * 2);
	ok(__add_pages(mm, 0, pfn0, ppss, NULL, &err) == -EEXIST && err.cause == MM_CAUSE_OVERLAP,
	   "adding a present subsection again: -EEXIST (%s)", err.why);
	ok(model_digest(mm, pfn0, ppss * 2) == d, "... and nothing changed");
	ok(__add_pages(mm, 0, pfn0 + 1, ppss, NULL, &err) == -EINVAL &&
	   err.cause == MM_CAUSE_MISALIGNED, "a range not subsection aligned: -EINVAL (%s)", err.why);

	is(__add_pages(mm, 0, pfn0 + ppss, ppss, NULL, &err), 0, "add subsection 1");
	is(mm->vmemmap.nr_populated, base + 1, "it shares the host page: still one populated");
	__remove_pages(mm, pfn0, ppss, NULL);
	ok(ms->usage && ms->usage->subsection_map[0] == 2 && valid_section(ms),
	   "remove subsection 0: the section keeps subsection 1");
	ok(mm->vmemmap.nr_populated == base + 1 &&
	   memmap_resident(mm, pfn0 + ppss, ppss) == mm->vmemmap.host_page_size,
	   "the shared host page stays populated for subsection 1");
	d = model_digest(mm, pfn0, ppss * 2);
	__remove_pages(mm, pfn0, ppss, NULL);
	ok(model_digest(mm, pfn0, ppss * 2) == d,
	   "removing an absent subsection changes nothing (the kernel WARNs)");
	__remove_pages(mm, pfn0 + ppss, ppss, NULL);
	ok(ms->section_mem_map == 0 && ms->usage == NULL, "the emptied section is zeroed, usage freed");
	ok(mm->vmemmap.nr_populated == base && memmap_resident(mm, pfn0, 2 * ppss) == 0,
	   "the host page is given back with its last user");
	INV(mm, "removing the subsections again");
	mm_model_destroy(mm);
}

/* an early section with holes: a hot-added subsection reuses the boot memmap */
static void early_section_reuse(void)
{
	struct mm_model *mm = test_model("x86_64", 0);
	const uint64_t pfn = (64 * MiB) >> 12, ppss = 512;
	struct mm_err err = { 0 };
	struct mem_section *ms;
	uint64_t pop, ram;

	mm_boot_memory_add(mm, 0, 64 * MiB, 0);
	is(mm_boot_init(mm), 0, "x86_64 boot [0, 64M): section 0 half RAM");
	ms = __nr_to_section(mm, 0);
	ok(early_section(ms) && ms->usage->subsection_map[0] == 0xffffffffULL,
	   "section 0 is early with subsections 0-31");
	pop = mm->vmemmap.nr_populated;
	ram = mm->nr_memmap_ram;
	is(__add_pages(mm, 0, pfn, ppss, NULL, &err), 0, "add subsection 32 into the early section");
	ok(mm->vmemmap.nr_populated == pop && mm->nr_memmap_ram == ram,
	   "nothing populated: the boot memmap covers the whole section");
	ok(early_section(ms) && (ms->usage->subsection_map[0] >> 32) == 1 && PagePoisoned(pfn_to_page(mm, pfn)),
	   "bit 32 set, the reused struct pages poisoned, the section still early");
	__remove_pages(mm, pfn, ppss, NULL);
	ok(early_section(ms) && mm->vmemmap.nr_populated == pop &&
	   ms->usage->subsection_map[0] == 0xffffffffULL,
	   "removing it keeps the early memmap (it is freed only when the section empties)");
	__remove_pages(mm, 0, (64 * MiB) >> 12, NULL);
	ok(ms->section_mem_map == 0 && ms->usage && ms->usage->boot_alloc &&
	   mm->vmemmap.nr_populated == pop - (2 * MiB) / mm->vmemmap.host_page_size &&
	   mm->nr_memmap_boot == 0, "emptying the early section frees its boot memmap, keeps the "
	   "boot usage map");
	is(__add_pages(mm, 0, 0, ppss, NULL, &err), 0, "re-add subsection 0");
	ok(!early_section(ms) && valid_section(ms) && mm->nr_memmap_ram == ppss,
	   "the section comes back as a hot-added one, reusing the kept usage map");
	__remove_pages(mm, 0, ppss, NULL);
	mm_model_destroy(mm);
}

static uint64_t vm_data_bytes(void)
{
	char line[256];
	uint64_t kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmData: %" SCNu64 " kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

/* mprotect() refused (as at vm.max_map_count): -ENOMEM, nothing left behind. In a child. */
static void populate_refused(void)
{
	struct mm_model *mm = test_default_model();
	uint64_t d = model_digest(mm, (8 * GiB) >> 12, GiB >> 12), id = 0;
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct rlimit rl;
		int ret, code = 0;

		getrlimit(RLIMIT_DATA, &rl);
		rl.rlim_cur = vm_data_bytes() + 1 * MiB;
		setrlimit(RLIMIT_DATA, &rl);
		ret = mm_add_memory(mm, 0, 8 * GiB, GiB, 0, &id);
		rl.rlim_cur = RLIM_INFINITY;
		setrlimit(RLIMIT_DATA, &rl);
		printf("#   child: %d: %s\n", ret, mm_last_error(mm));
		fflush(stdout);
		if (ret != -ENOMEM || mm_last_cause(mm) != MM_CAUSE_NOMEM)
			code |= 1;
		if (model_digest(mm, (8 * GiB) >> 12, GiB >> 12) != d)
			code |= 2;
		if (mm_check_invariants(mm, NULL, 0))
			code |= 4;
		if (mm_add_memory(mm, 0, 8 * GiB, GiB, 0, &id) != 0)
			code |= 8;
		_exit(code);
	}
	ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status),
	   "child with RLIMIT_DATA just above its use ran to the end");
	ok(WIFEXITED(status) && !(WEXITSTATUS(status) & 1), "the add failed with -ENOMEM / NOMEM");
	ok(WIFEXITED(status) && !(WEXITSTATUS(status) & 2), "and left the model unchanged");
	ok(WIFEXITED(status) && !(WEXITSTATUS(status) & 4), "invariants held after the failure");
	ok(WIFEXITED(status) && !(WEXITSTATUS(status) & 8), "the same add works once memory is back");
	INV(mm, "the parent's model, untouched");
	mm_model_destroy(mm);
}

int main(void)
{
	resident_follows_populate();
	shared_host_pages();
	early_section_reuse();
	populate_refused();
	return tap_done();
}
