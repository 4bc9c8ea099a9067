/* SPDX-License-Identifier: MIT */
/*
 * Geometry: the derived numbers of every arch profile (kernel-model.md section 1), parameter
 * validation, the page->flags layout, name helpers, and the phase-2 entry points refusing
 * honestly.
 */
#include "test-util.h"

struct expect {
	const char *arch;
	uint64_t pps, ppss, subs, nr_sections, spr, roots, pageblock, max_pfn, block;
	uint64_t section_memmap;
	bool memmap_on_memory;
};

static const struct expect table[] = {
	{ "x86_64",      32768, 512, 64,  1ULL << 19, 256,  2048,      512,  1ULL << 34, 128 * MiB, 2 * MiB,   true },
	{ "x86_64-la57", 32768, 512, 64,  1ULL << 25, 256,  131072,    512,  1ULL << 40, 128 * MiB, 2 * MiB,   true },
	{ "arm64-4k",    32768, 512, 64,  1ULL << 21, 256,  8192,      512,  1ULL << 36, 128 * MiB, 2 * MiB,   true },
	{ "arm64-16k",   8192,  128, 64,  1ULL << 21, 1024, 2048,      2048, 1ULL << 34, 128 * MiB, 512 * KiB, false },
	{ "arm64-64k",   8192,  32,  256, 1ULL << 19, 4096, 128,       8192, 1ULL << 32, 512 * MiB, 512 * KiB, false },
	{ "ppc64-64k",   256,   32,  8,   1ULL << 27, 4096, 32768,     32,   1ULL << 35, 256 * MiB, 16 * KiB,  false },
	{ "s390x",       65536, 512, 128, 1ULL << 18, 256,  1024,      256,  1ULL << 34, 256 * MiB, 4 * MiB,   false },
	{ "riscv64",     32768, 512, 64,  1ULL << 29, 256,  1ULL << 21, 512, 1ULL << 44, 128 * MiB, 2 * MiB,   false },
};

static void check_profile(const struct expect *e)
{
	const struct mm_arch *arch = mm_arch_lookup(e->arch);
	struct mm_geometry g;
	struct mm_params p;
	struct mm_model *mm = NULL;
	char why[192];
	int ret;

	ok(arch != NULL, "%s: profile exists", e->arch);
	if (!arch)
		return;
	mm_params_default(&p, arch);
	ret = mm_params_check(&p, &g, why, sizeof(why));
	is(ret, 0, "%s: default parameters are valid", e->arch);
	is(g.page_size, 1ULL << arch->page_shift, "%s: page size", e->arch);
	is(g.subsection_size, 2 * MiB, "%s: subsection is 2 MiB", e->arch);
	is(g.pages_per_section, e->pps, "%s: PAGES_PER_SECTION", e->arch);
	is(g.pages_per_subsection, e->ppss, "%s: PAGES_PER_SUBSECTION", e->arch);
	is(g.subsections_per_section, e->subs, "%s: SUBSECTIONS_PER_SECTION", e->arch);
	is(g.nr_mem_sections, e->nr_sections, "%s: NR_MEM_SECTIONS", e->arch);
	is(g.sections_per_root, e->spr, "%s: SECTIONS_PER_ROOT = PAGE_SIZE / 16", e->arch);
	is(g.nr_section_roots, e->roots, "%s: NR_SECTION_ROOTS", e->arch);
	is(g.pageblock_nr_pages, e->pageblock, "%s: pageblock_nr_pages", e->arch);
	is(g.max_pfn, e->max_pfn, "%s: max pfn", e->arch);
	is(g.block_size, e->block, "%s: default memory block size", e->arch);
	is(g.sections_per_block, e->block / g.section_size, "%s: sections per block", e->arch);
	is(g.pages_per_section * 64, e->section_memmap, "%s: memmap per section", e->arch);
	is(g.section_size * g.nr_mem_sections, 1ULL << arch->max_physmem_bits,
	   "%s: sections tile MAX_PHYSMEM_BITS", e->arch);

	ret = mm_model_create(&p, &mm);
	is(ret, 0, "%s: model created", e->arch);
	if (ret)
		return;
	ok(!memcmp(mm_geometry(mm), &g, sizeof(g)), "%s: model geometry equals the check's",
	   e->arch);
	is(mm_model_kind(mm), MM_SPARSEMEM_VMEMMAP, "%s: model is sparsemem-vmemmap", e->arch);
	ok(mm->vmemmap.end_pfn <= g.max_pfn && mm->vmemmap.end_pfn % g.pages_per_section == 0,
	   "%s: vmemmap covers whole sections up to pfn %#" PRIx64 " (max %#" PRIx64 ")",
	   e->arch, mm->vmemmap.end_pfn, g.max_pfn);
	ok(IS_ALIGNED((uintptr_t)mm->vmemmap.base, 2 * MiB), "%s: vmemmap is PMD aligned", e->arch);
	is(mm_supports_memmap_on_memory(mm), e->memmap_on_memory,
	   "%s: mhp_supports_memmap_on_memory()", e->arch);
	INV(mm, "%s model creation", e->arch);
	mm_model_destroy(mm);
}

static void check_params(void)
{
	const struct mm_arch *x86 = mm_arch_lookup("x86_64");
	struct mm_params p;
	struct mm_geometry g;
	struct mm_model *mm = NULL;
	char why[192];
	int ret;

	mm_params_default(&p, x86);
	p.page_ext = true;
	ok(!mm_params_check(&p, &g, why, sizeof(why)) && g.sections_per_root == 128,
	   "page_ext: 32-byte mem_section halves SECTIONS_PER_ROOT to 128");

	mm_params_default(&p, x86);
	p.block_size = 2 * GiB;
	ok(!mm_params_check(&p, &g, why, sizeof(why)) && g.sections_per_block == 16,
	   "2 GiB blocks hold 16 sections");
	ok(!mm_model_create(&p, &mm) && mm_supports_memmap_on_memory(mm),
	   "x86_64 2 GiB blocks support memmap_on_memory (32 MiB memmap)");
	mm_model_destroy(mm);

	p.block_size = 64 * MiB;
	ret = mm_params_check(&p, NULL, why, sizeof(why));
	ok(ret == -EINVAL && strstr(why, "below"), "block size below the section size: %d (%s)",
	   ret, why);
	ok(mm_model_create(&p, &mm) == -EINVAL && mm == NULL,
	   "mm_model_create refuses it with the same errno");
	p.block_size = 192 * MiB;
	ret = mm_params_check(&p, NULL, why, sizeof(why));
	ok(ret == -EINVAL && strstr(why, "power of two"), "192 MiB blocks: %d (%s)", ret, why);

	mm_params_default(&p, x86);
	for (int m = MM_FLATMEM; m < MM_SPARSEMEM_VMEMMAP; m++) {
		p.model = (enum mm_memory_model)m;
		ret = mm_params_check(&p, NULL, why, sizeof(why));
		ok(ret == 0 && !mm_model_create(&p, &mm) && mm_model_kind(mm) == p.model,
		   "model %s is accepted and created (%s)", mm_memory_model_name(p.model), why);
		mm_model_destroy(mm);
		mm = NULL;
	}
	mm_params_default(&p, NULL);
	ok(mm_params_check(&p, NULL, why, sizeof(why)) == -EINVAL, "no arch: -EINVAL (%s)", why);

	struct mm_arch bad = *x86;
	bad.name = "bad";
	bad.max_page_order = 20;
	mm_params_default(&p, &bad);
	ret = mm_params_check(&p, NULL, why, sizeof(why));
	ok(ret == -EINVAL && strstr(why, "MAX_PAGE_ORDER"),
	   "MAX_PAGE_ORDER + PAGE_SHIFT > SECTION_SIZE_BITS is refused (%s)", why);
}

static void check_page_flags(void)
{
	struct mm_geometry g;
	struct mm_params p;
	struct page_flags_layout l;
	struct page page;

	ok(sizeof(struct page) == 64, "struct page is 64 bytes");
	ok(offsetof(struct page, flags) == 0 && offsetof(struct page, lru) == 8 &&
	   offsetof(struct page, pgmap) == 8 && offsetof(struct page, mapping) == 24 &&
	   offsetof(struct page, _mapcount) == 48 && offsetof(struct page, _refcount) == 52 &&
	   offsetof(struct page, memcg_data) == 56, "struct page fields sit at the kernel's offsets");

	mm_params_default(&p, mm_arch_lookup("x86_64"));
	mm_params_check(&p, &g, NULL, 0);
	page_flags_layout_init(&l, &g, MM_SPARSEMEM_VMEMMAP);
	ok(l.sections_width == 0 && l.nodes_width == 6 && l.zones_width == 3 &&
	   l.nodes_pgshift == 58 && l.zones_pgshift == 55,
	   "VMEMMAP: [NODE 63..58][ZONE 57..55], no section bits");
	page_flags_layout_init(&l, &g, MM_SPARSEMEM);
	ok(l.sections_width == 19 && l.sections_pgshift == 45 && l.nodes_pgshift == 39 &&
	   l.zones_pgshift == 36, "classic sparse x86_64: [SECTION 63..45][NODE][ZONE]");

	memset(&page, 0, sizeof(page));
	__set_page_flag(&page, PG_reserved);
	set_page_links(&l, &page, ZONE_MOVABLE, 37, 0x5abcd);
	ok(page_zonenum(&l, &page) == ZONE_MOVABLE && page_to_nid(&l, &page) == 37 &&
	   page_to_section(&l, &page) == 0x5abcd && PageReserved(&page),
	   "set_page_links round-trips zone, node and section and keeps PG bits");

	mm_params_default(&p, mm_arch_lookup("riscv64"));
	mm_params_check(&p, &g, NULL, 0);
	page_flags_layout_init(&l, &g, MM_SPARSEMEM);
	ok(l.sections_width == 29 && !l.node_not_in_page_flags,
	   "riscv64 classic sparse still fits 29 section bits and the node");
}

static void check_names(void)
{
	enum mm_online_type t;
	enum mm_memory_model m;
	enum mm_pgmap_type pt;

	ok(!mm_online_type_parse("online_movable", &t) && t == MMOP_ONLINE_MOVABLE &&
	   !mm_online_type_parse("online\n", &t) && t == MMOP_ONLINE &&
	   mm_online_type_parse("online_foo", &t) == -EINVAL &&
	   mm_online_type_parse("Online", &t) == -EINVAL, "online type names as sysfs_streq");
	ok(!mm_memory_model_parse("sparsemem-extreme", &m) && m == MM_SPARSEMEM_EXTREME &&
	   mm_memory_model_parse("vmemmap", &m) == -EINVAL, "memory model names");
	ok(!mm_pgmap_type_parse("generic", &pt) && pt == MEMORY_DEVICE_GENERIC &&
	   !strcmp(mm_pgmap_type_name(pt), "devdax"), "pgmap type names (generic = devdax)");
	ok(!strcmp(mm_zone_name(ZONE_DMA32), "DMA32") && !strcmp(mm_zone_name(ZONE_NORMAL), "Normal") &&
	   !strcmp(mm_zone_name(ZONE_MOVABLE), "Movable"), "zone names as /proc/zoneinfo");
	ok(!strcmp(mm_block_state_name(MEM_GOING_OFFLINE), "going-offline"), "block state names");
	ok(mm_arch_lookup("vax") == NULL, "unknown arch");
	int n = 0;
	for (const struct mm_arch *const *a = mm_arch_profiles(); *a; a++)
		n++;
	is(n, 8, "eight arch profiles");
}

int main(void)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		check_profile(&table[i]);
	check_params();
	check_page_flags();
	check_names();
	return tap_done();
}
