/* SPDX-License-Identifier: MIT */
/*
 * Architecture profiles and the geometry derived from them (include/linux/mmzone.h,
 * page-flags-layout.h, the arch sparsemem.h headers), plus the name/parse helpers of mm.h.
 * A profile holds only the numbers the kernel fixes per arch; everything else is computed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/*
 * The kernel's fixed numbers per arch (kernel-model.md section 1). Choices where the kernel
 * decides at run time: x86_64 memory blocks are 128 MiB (boot memory below 64 GiB); ppc64 is
 * book3s with the radix MMU (pageblock_order 5 = 2 MiB, DAX vmemmap dedup allowed) and pseries
 * 256 MiB LMBs; s390x blocks are 256 MiB (the storage increment is never larger here).
 * memmap_on_memory: CONFIG_MHP_MEMMAP_ON_MEMORY exists on x86_64, arm64 and ppc64 only.
 * vmemmap_dedup: ARCH_WANT_OPTIMIZE_DAX_VMEMMAP (x86_64, riscv, ppc radix; not arm64/s390).
 */
static const struct mm_arch arch_x86_64 = {
	.name = "x86_64", .page_shift = 12, .section_size_bits = 27, .max_physmem_bits = 46,
	.pageblock_order = 9, .max_page_order = 10, .default_block_size = SZ_128M,
	.memmap_on_memory = true, .vmemmap_dedup = true,
};
static const struct mm_arch arch_x86_64_la57 = {
	.name = "x86_64-la57", .page_shift = 12, .section_size_bits = 27, .max_physmem_bits = 52,
	.pageblock_order = 9, .max_page_order = 10, .default_block_size = SZ_128M,
	.memmap_on_memory = true, .vmemmap_dedup = true,
};
static const struct mm_arch arch_arm64_4k = {
	.name = "arm64-4k", .page_shift = 12, .section_size_bits = 27, .max_physmem_bits = 48,
	.pageblock_order = 9, .max_page_order = 10, .default_block_size = SZ_128M,
	.memmap_on_memory = true, .vmemmap_dedup = false,
};
static const struct mm_arch arch_arm64_16k = {
	.name = "arm64-16k", .page_shift = 14, .section_size_bits = 27, .max_physmem_bits = 48,
	.pageblock_order = 11, .max_page_order = 11, .default_block_size = SZ_128M,
	.memmap_on_memory = true, .vmemmap_dedup = false,
};
static const struct mm_arch arch_arm64_64k = {
	.name = "arm64-64k", .page_shift = 16, .section_size_bits = 29, .max_physmem_bits = 48,
	.pageblock_order = 13, .max_page_order = 13, .default_block_size = SZ_512M,
	.memmap_on_memory = true, .vmemmap_dedup = false,
};
static const struct mm_arch arch_ppc64_64k = {
	.name = "ppc64-64k", .page_shift = 16, .section_size_bits = 24, .max_physmem_bits = 51,
	.pageblock_order = 5, .max_page_order = 8, .default_block_size = SZ_256M,
	.memmap_on_memory = true, .vmemmap_dedup = true,
};
static const struct mm_arch arch_s390x = {
	.name = "s390x", .page_shift = 12, .section_size_bits = 28, .max_physmem_bits = 46,
	.pageblock_order = 8, .max_page_order = 10, .default_block_size = SZ_256M,
	.memmap_on_memory = false, .vmemmap_dedup = false,
};
static const struct mm_arch arch_riscv64 = {
	.name = "riscv64", .page_shift = 12, .section_size_bits = 27, .max_physmem_bits = 56,
	.pageblock_order = 9, .max_page_order = 10, .default_block_size = SZ_128M,
	.memmap_on_memory = false, .vmemmap_dedup = true,
};

static const struct mm_arch *const arch_profiles[] = {
	&arch_x86_64, &arch_x86_64_la57, &arch_arm64_4k, &arch_arm64_16k, &arch_arm64_64k,
	&arch_ppc64_64k, &arch_s390x, &arch_riscv64, NULL,
};

const struct mm_arch *const *mm_arch_profiles(void)
{
	return arch_profiles;
}

const struct mm_arch *mm_arch_lookup(const char *name)
{
	for (const struct mm_arch *const *a = arch_profiles; name && *a; a++)
		if (!strcmp((*a)->name, name))
			return *a;
	return NULL;
}

static bool arch_name_is(const struct mm_arch *arch, const char *prefix)
{
	return arch && arch->name && !strncmp(arch->name, prefix, strlen(prefix));
}

bool arch_is_x86(const struct mm_arch *arch)
{
	return arch_name_is(arch, "x86_64");
}

/*
 * max_zone_pfns[] as each arch's zone_sizes_init() sets them (exclusive end pfns):
 * x86_64: DMA < 16 MiB, DMA32 < 4 GiB. arm64: ZONE_DMA up to the 32-bit limit when firmware
 * gives no smaller DMA limit, so DMA32 is empty. s390x: ZONE_DMA is the 31-bit area (< 2 GiB).
 * riscv64: DMA32 < 4 GiB. ppc64 book3s: everything is ZONE_NORMAL.
 */
void arch_zone_limits(const struct mm_arch *arch, uint64_t page_shift, uint64_t max_pfn,
		      uint64_t max_zone_pfn[ZONE_NORMAL + 1])
{
	uint64_t dma = 0, dma32 = SZ_4G;

	if (arch_is_x86(arch)) {
		dma = SZ_16M;
	} else if (arch_name_is(arch, "arm64")) {
		dma = SZ_4G;
	} else if (arch_name_is(arch, "s390x")) {
		dma = SZ_2G;
		dma32 = SZ_2G;
	} else if (arch_name_is(arch, "ppc64")) {
		dma32 = 0;
	}
	max_zone_pfn[ZONE_DMA] = MIN(dma >> page_shift, max_pfn);
	max_zone_pfn[ZONE_DMA32] = MIN(dma32 >> page_shift, max_pfn);
	max_zone_pfn[ZONE_NORMAL] = max_pfn;
}

/*
 * page-flags-layout.h at run time: SECTIONS_WIDTH only for classic sparse; the node id lives in
 * page->flags when it fits (it must for VMEMMAP), else NODE_NOT_IN_PAGE_FLAGS.
 */
void page_flags_layout_init(struct page_flags_layout *l, const struct mm_geometry *g,
			    enum mm_memory_model model)
{
	unsigned int sections_shift = g->max_physmem_bits - g->section_size_bits;
	bool classic = model == MM_SPARSEMEM || model == MM_SPARSEMEM_EXTREME;

	memset(l, 0, sizeof(*l));
	l->sections_width = classic ? sections_shift : 0;
	l->zones_width = ZONES_SHIFT;
	if (l->sections_width + ZONES_SHIFT + NODES_SHIFT <= BITS_PER_LONG - __NR_PAGEFLAGS)
		l->nodes_width = NODES_SHIFT;
	else
		l->node_not_in_page_flags = true;
	l->sections_pgshift = l->sections_width ? BITS_PER_LONG - l->sections_width : 0;
	l->nodes_pgshift = l->nodes_width ?
		BITS_PER_LONG - l->sections_width - l->nodes_width : 0;
	l->zones_pgshift = BITS_PER_LONG - l->sections_width - l->nodes_width - l->zones_width;
}

static bool is_power_of_2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* The build-time checks of the kernel, applied to a profile that may come from a caller. */
static int check_arch(const struct mm_arch *a, struct mm_err *err)
{
	const char *n = a->name ? a->name : "(unnamed)";

	if (a->page_shift < 12 || a->page_shift > 16)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "arch %s: PAGE_SHIFT %u is outside 12..16", n, a->page_shift);
	if (a->section_size_bits < SUBSECTION_SHIFT || a->section_size_bits <= a->page_shift)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "arch %s: SECTION_SIZE_BITS %u is below SUBSECTION_SHIFT (21)",
			       n, a->section_size_bits);
	if (a->section_size_bits - SUBSECTION_SHIFT > 8)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "arch %s: %u subsections per section exceed the model's 256",
			       n, 1u << (a->section_size_bits - SUBSECTION_SHIFT));
	if (a->max_physmem_bits < a->section_size_bits || a->max_physmem_bits > 58)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "arch %s: MAX_PHYSMEM_BITS %u is outside %u..58",
			       n, a->max_physmem_bits, a->section_size_bits);
	if (a->max_page_order + a->page_shift > a->section_size_bits)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "arch %s: MAX_PAGE_ORDER %u + PAGE_SHIFT %u exceeds SECTION_SIZE_BITS %u "
			       "(a buddy block would span sections)",
			       n, a->max_page_order, a->page_shift, a->section_size_bits);
	if (a->pageblock_order > a->max_page_order)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "arch %s: pageblock_order %u exceeds MAX_PAGE_ORDER %u",
			       n, a->pageblock_order, a->max_page_order);
	if (SECTION_MAP_LAST_BIT > a->section_size_bits - a->page_shift)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "arch %s: PFN_SECTION_SHIFT %u leaves no room for %u section flag bits",
			       n, a->section_size_bits - a->page_shift, SECTION_MAP_LAST_BIT);
	return 0;
}

int mm_geometry_compute(const struct mm_params *p, struct mm_geometry *g, struct mm_err *err)
{
	const struct mm_arch *a;
	uint64_t block_size, mem_section_size;
	struct page_flags_layout l;
	int ret;

	memset(g, 0, sizeof(*g));
	if (!p || !p->arch)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID, "no architecture profile given");
	a = p->arch;
	ret = check_arch(a, err);
	if (ret)
		return ret;
	if ((unsigned int)p->model > MM_SPARSEMEM_VMEMMAP)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID, "unknown memory model %d", (int)p->model);
	if ((unsigned int)p->online_policy > MM_POLICY_AUTO_MOVABLE)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID, "unknown online policy %d",
			       (int)p->online_policy);

	block_size = p->block_size ? p->block_size : a->default_block_size;
	if (!is_power_of_2(block_size))
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "block size %#" PRIx64 " is not a power of two", block_size);
	if (block_size < (1ULL << a->section_size_bits))
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "block size %s is below the %s section size (%s)", HSIZE(block_size),
			       a->name, HSIZE(1ULL << a->section_size_bits));
	if (block_size > (1ULL << a->max_physmem_bits))
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "block size %s exceeds the %u-bit physical address space",
			       HSIZE(block_size), a->max_physmem_bits);

	if (p->memmap_init_threads > MEMMAP_INIT_MAX_THREADS)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "memmap_init_threads %u is more than %u", p->memmap_init_threads,
			       MEMMAP_INIT_MAX_THREADS);

	if (p->deferred_struct_page_init && p->model != MM_SPARSEMEM &&
	    p->model != MM_SPARSEMEM_EXTREME && p->model != MM_SPARSEMEM_VMEMMAP)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "deferred struct page init needs SPARSEMEM, not %s",
			       mm_memory_model_name(p->model));

	mem_section_size = p->page_ext ? 32 : 16;
	g->page_shift = a->page_shift;
	g->section_size_bits = a->section_size_bits;
	g->max_physmem_bits = a->max_physmem_bits;
	g->pfn_section_shift = a->section_size_bits - a->page_shift;
	g->page_size = 1ULL << a->page_shift;
	g->section_size = 1ULL << a->section_size_bits;
	g->subsection_size = 1ULL << SUBSECTION_SHIFT;
	g->block_size = block_size;
	g->pages_per_section = 1ULL << g->pfn_section_shift;
	g->pages_per_subsection = 1ULL << (SUBSECTION_SHIFT - a->page_shift);
	g->subsections_per_section = 1ULL << (a->section_size_bits - SUBSECTION_SHIFT);
	g->sections_per_block = block_size >> a->section_size_bits;
	g->nr_mem_sections = 1ULL << (a->max_physmem_bits - a->section_size_bits);
	if (p->model == MM_SPARSEMEM_EXTREME || p->model == MM_SPARSEMEM_VMEMMAP)
		g->sections_per_root = g->page_size / mem_section_size;
	else
		g->sections_per_root = 1;
	g->nr_section_roots = DIV_ROUND_UP(g->nr_mem_sections, g->sections_per_root);
	g->pageblock_nr_pages = 1ULL << a->pageblock_order;
	g->max_pfn = 1ULL << (a->max_physmem_bits - a->page_shift);

	page_flags_layout_init(&l, g, p->model);
	if (l.sections_width + l.nodes_width + l.zones_width + __NR_PAGEFLAGS > BITS_PER_LONG)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "page->flags cannot hold %u section bits, the zone and %u flags",
			       l.sections_width, (unsigned int)__NR_PAGEFLAGS);
	if (p->model == MM_SPARSEMEM_VMEMMAP && l.node_not_in_page_flags)
		return mm_fail(err, -EINVAL, MM_CAUSE_INVALID,
			       "SPARSEMEM_VMEMMAP needs the node id in page->flags");
	/* the kernel then finds the node in section_to_node_table[]: not modelled */
	if (l.node_not_in_page_flags)
		return mm_fail(err, -EOPNOTSUPP, MM_CAUSE_UNSUPPORTED,
			       "%s: %u section bits leave no room for the node in page->flags "
			       "(section_to_node_table is not modelled)",
			       mm_memory_model_name(p->model), l.sections_width);
	return 0;
}

int mm_params_check(const struct mm_params *p, struct mm_geometry *geo, char *why, size_t len)
{
	struct mm_err err = { 0 };
	struct mm_geometry g;
	int ret;

	ret = mm_geometry_compute(p, &g, &err);
	if (why && len)
		snprintf(why, len, "%s", ret ? err.why : "");
	if (geo)
		*geo = g;
	return ret;
}

void mm_params_default(struct mm_params *p, const struct mm_arch *arch)
{
	memset(p, 0, sizeof(*p));
	p->arch = arch;
	p->model = MM_SPARSEMEM_VMEMMAP;
	p->block_size = arch ? arch->default_block_size : 0;
	p->online_policy = MM_POLICY_CONTIG_ZONES;
	p->auto_movable_ratio = 301;
	p->auto_movable_numa_aware = true;
	p->movable_node = false;
	p->page_ext = false;
	p->page_init_poisoning = true;
	p->memmap_init_threads = 1;
	p->vmemmap_zero_tails = false;
}

/* ------------------------------------------------------------------ names */

static const char *const memory_model_names[] = {
	[MM_FLATMEM] = "flatmem",
	[MM_DISCONTIGMEM] = "discontigmem",
	[MM_SPARSEMEM] = "sparsemem",
	[MM_SPARSEMEM_EXTREME] = "sparsemem-extreme",
	[MM_SPARSEMEM_VMEMMAP] = "sparsemem-vmemmap",
};

const char *mm_memory_model_name(enum mm_memory_model m)
{
	if ((unsigned int)m > MM_SPARSEMEM_VMEMMAP)
		return "unknown";
	return memory_model_names[m];
}

int mm_memory_model_parse(const char *s, enum mm_memory_model *out)
{
	for (unsigned int i = 0; s && i <= MM_SPARSEMEM_VMEMMAP; i++) {
		if (!strcmp(s, memory_model_names[i])) {
			*out = (enum mm_memory_model)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *mm_zone_name(enum mm_zone_type z)
{
	static const char *const names[] = {
		[ZONE_DMA] = "DMA", [ZONE_DMA32] = "DMA32", [ZONE_NORMAL] = "Normal",
		[ZONE_MOVABLE] = "Movable", [ZONE_DEVICE] = "Device",
	};

	if ((unsigned int)z >= MAX_NR_ZONES)
		return "unknown";
	return names[z];
}

static const char *const online_type_names[] = {
	[MMOP_OFFLINE] = "offline",
	[MMOP_ONLINE] = "online",
	[MMOP_ONLINE_KERNEL] = "online_kernel",
	[MMOP_ONLINE_MOVABLE] = "online_movable",
};

const char *mm_online_type_name(enum mm_online_type t)
{
	if ((unsigned int)t > MMOP_ONLINE_MOVABLE)
		return "unknown";
	return online_type_names[t];
}

/* mhp_online_type_from_str(): exact names, a trailing newline tolerated as sysfs_streq() does */
int mm_online_type_parse(const char *s, enum mm_online_type *out)
{
	for (unsigned int i = 0; s && i <= MMOP_ONLINE_MOVABLE; i++) {
		size_t n = strlen(online_type_names[i]);

		if (!strncmp(s, online_type_names[i], n) &&
		    (s[n] == '\0' || (s[n] == '\n' && s[n + 1] == '\0'))) {
			*out = (enum mm_online_type)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *mm_block_state_name(enum mm_block_state s)
{
	switch (s) {
	case MEM_ONLINE:
		return "online";
	case MEM_GOING_OFFLINE:
		return "going-offline";
	case MEM_OFFLINE:
		return "offline";
	}
	return "unknown";
}

const char *mm_pgmap_type_name(enum mm_pgmap_type t)
{
	switch (t) {
	case MEMORY_DEVICE_PRIVATE:
		return "private";
	case MEMORY_DEVICE_COHERENT:
		return "coherent";
	case MEMORY_DEVICE_FS_DAX:
		return "fsdax";
	case MEMORY_DEVICE_GENERIC:
		return "devdax";
	case MEMORY_DEVICE_PCI_P2PDMA:
		return "p2pdma";
	}
	return "unknown";
}

int mm_pgmap_type_parse(const char *s, enum mm_pgmap_type *out)
{
	static const struct {
		const char *name;
		enum mm_pgmap_type type;
	} map[] = {
		{ "private", MEMORY_DEVICE_PRIVATE }, { "coherent", MEMORY_DEVICE_COHERENT },
		{ "fsdax", MEMORY_DEVICE_FS_DAX }, { "devdax", MEMORY_DEVICE_GENERIC },
		{ "generic", MEMORY_DEVICE_GENERIC }, { "p2pdma", MEMORY_DEVICE_PCI_P2PDMA },
	};

	for (size_t i = 0; s && i < sizeof(map) / sizeof(map[0]); i++) {
		if (!strcmp(s, map[i].name)) {
			*out = map[i].type;
			return 0;
		}
	}
	return -EINVAL;
}

const char *pageflag_name(unsigned int bit)
{
	static const char *const names[__NR_PAGEFLAGS] = {
		[PG_locked] = "locked", [PG_writeback] = "writeback",
		[PG_referenced] = "referenced", [PG_uptodate] = "uptodate", [PG_dirty] = "dirty",
		[PG_lru] = "lru", [PG_head] = "head", [PG_waiters] = "waiters",
		[PG_active] = "active", [PG_workingset] = "workingset",
		[PG_owner_priv_1] = "vmemmap_self_hosted", [PG_owner_2] = "owner_2",
		[PG_arch_1] = "arch_1", [PG_reserved] = "reserved", [PG_private] = "private",
		[PG_private_2] = "private_2", [PG_reclaim] = "reclaim",
		[PG_swapbacked] = "swapbacked", [PG_unevictable] = "unevictable",
		[PG_dropbehind] = "dropbehind", [PG_mlocked] = "mlocked",
		[PG_hwpoison] = "hwpoison",
	};

	return bit < __NR_PAGEFLAGS ? names[bit] : NULL;
}
