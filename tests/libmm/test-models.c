/* SPDX-License-Identifier: MIT */
/*
 * Memory models end to end, table-driven: every arch profile x every memory model. Derived
 * numbers (SECTIONS_PER_ROOT, the page->flags layout, ARCH_PFN_OFFSET/max_mapnr, the pfn_to_nid
 * table), boot with holes and two nodes, pfn <-> page round trips for every valid pfn sample,
 * pfn_valid()/pfn_to_online_page() over holes as each model answers them, page->flags holding
 * zone, node and (classic) section, hotplug where the model has it (add, online, references,
 * offline, remove) and -EOPNOTSUPP naming the model where it has not, the top of the physical
 * address space (what the process cannot reserve is refused cleanly), and the invariants after
 * every step.
 */
#include "test-util.h"
#include "memory_model.h"

static const enum mm_memory_model models[] = {
	MM_FLATMEM, MM_DISCONTIGMEM, MM_SPARSEMEM, MM_SPARSEMEM_EXTREME, MM_SPARSEMEM_VMEMMAP,
};

static bool is_classic(enum mm_memory_model m)
{
	return m == MM_SPARSEMEM || m == MM_SPARSEMEM_EXTREME;
}

static bool is_sparse(enum mm_memory_model m)
{
	return is_classic(m) || m == MM_SPARSEMEM_VMEMMAP;
}

/*
 * The boot layout, in units of the arch's block (B) and section (S) sizes:
 *   node 0: [0, S/4) and [S/4 + 2M, B + S/2)   a 2 MiB hole inside section 0, and the rest of
 *                                              the section holding B + S/2 empty
 *   node 0: [3B, 4B)                           [B + S/2, 3B) empty: whole sections missing
 *   node 1: [5B, 7B)                           (FLATMEM: node 0) [4B, 5B) empty between nodes
 * Hot-add: [8B, 10B) on node 1.
 */
struct region {
	uint64_t start, end;
	int nid;
};

struct layout {
	const struct mm_arch *arch;
	enum mm_memory_model model;
	uint64_t B, S, P, mo;       /* block, section, page size; MAX_ORDER_NR_PAGES */
	struct region r[4];
	int nr;
	uint64_t add_start, add_size;
};

static void layout_init(struct layout *L, const struct mm_arch *arch, enum mm_memory_model m)
{
	memset(L, 0, sizeof(*L));
	L->arch = arch;
	L->model = m;
	L->B = arch->default_block_size;
	L->S = 1ULL << arch->section_size_bits;
	L->P = 1ULL << arch->page_shift;
	L->mo = 1ULL << arch->max_page_order;
	L->r[0] = (struct region){ 0, L->S / 4, 0 };
	L->r[1] = (struct region){ L->S / 4 + 2 * MiB, L->B + L->S / 2, 0 };
	L->r[2] = (struct region){ 3 * L->B, 4 * L->B, 0 };
	L->r[3] = (struct region){ 5 * L->B, 7 * L->B, m == MM_FLATMEM ? 0 : 1 };
	L->nr = 4;
	L->add_start = 8 * L->B;
	L->add_size = 2 * L->B;
}

static bool section_has_ram(const struct layout *L, uint64_t addr)
{
	uint64_t s = ALIGN_DOWN(addr, L->S), e = s + L->S;

	for (int i = 0; i < L->nr; i++)
		if (L->r[i].start < e && s < L->r[i].end)
			return true;
	return false;
}

/* what pfn_valid() must answer after boot, derived from the layout, not from the model */
static bool expect_valid(const struct layout *L, uint64_t addr)
{
	switch (L->model) {
	case MM_FLATMEM:   /* mem_map: [0, 7B) rounded to MAX_ORDER_NR_PAGES */
		return addr < ALIGN(7 * L->B, L->mo * L->P);
	case MM_DISCONTIGMEM: /* node 0 spans [0, 4B), node 1 [5B, 7B) */
		return addr < 4 * L->B || (addr >= 5 * L->B && addr < 7 * L->B);
	default:           /* early sections count whole */
		return section_has_ram(L, addr);
	}
}

/* pfn_to_online_page(): VMEMMAP refuses boot holes at subsection granularity */
static bool expect_online(const struct layout *L, uint64_t addr)
{
	uint64_t sub = ALIGN_DOWN(addr, 2 * MiB);

	if (L->model != MM_SPARSEMEM_VMEMMAP)
		return expect_valid(L, addr);
	for (int i = 0; i < L->nr; i++)
		if (L->r[i].start < sub + 2 * MiB && sub < L->r[i].end)
			return true;
	return false;
}

static int expect_zone(const struct mm_model *mm, uint64_t pfn)
{
	for (int z = ZONE_DMA; z <= ZONE_NORMAL; z++)
		if (pfn < mm->max_zone_pfn[z])
			return z;
	return ZONE_NORMAL;
}

/* ------------------------------------------------------------- round trips */

struct trip {
	uint64_t samples, valid;
	char first_failure[200];
};

static void trip_fail(struct trip *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void trip_fail(struct trip *t, const char *fmt, ...)
{
	va_list ap;

	if (t->first_failure[0])
		return;
	va_start(ap, fmt);
	vsnprintf(t->first_failure, sizeof(t->first_failure), fmt, ap);
	va_end(ap);
}

/* The memory model's inline arithmetic, as a benchmark would call it. */
static struct page *inline_pfn_to_page(const struct mm_model *mm, uint64_t pfn)
{
	switch (mm_model_kind(mm)) {
	case MM_FLATMEM:
		return flatmem_pfn_to_page(mm, pfn);
	case MM_DISCONTIGMEM:
		return discontig_pfn_to_page(mm, pfn);
	case MM_SPARSEMEM:
		return sparse_static_pfn_to_page(mm, pfn);
	case MM_SPARSEMEM_EXTREME:
		return sparse_extreme_pfn_to_page(mm, pfn);
	case MM_SPARSEMEM_VMEMMAP:
		return vmemmap_pfn_to_page(mm, pfn);
	}
	return NULL;
}

/* want_zone: the zone of a boot RAM pfn follows the arch's zone limits */
#define ZONE_BY_PFN (-2)

/*
 * One pfn: pfn_valid() as the layout says (when L is given); a valid pfn has a page that
 * round-trips through the public, the dispatched and the inline conversions; an initialised page
 * carries its node, zone and (classic) section in page->flags; a hole page (want_nid < 0) that
 * has a struct page is PG_reserved.
 */
static void trip_pfn(struct trip *t, const struct mm_model *mm, const struct layout *L,
		     uint64_t pfn, int want_zone, int want_nid)
{
	bool valid = mm_pfn_valid(mm, pfn);
	struct page *page = mm_pfn_to_page(mm, pfn);
	uint64_t addr = PFN_PHYS(mm, pfn);

	t->samples++;
	if (L && valid != expect_valid(L, addr))
		return trip_fail(t, "pfn_valid(%#" PRIx64 ") = %d", pfn, valid);
	if (L && !!mm_pfn_to_online_page(mm, pfn) != expect_online(L, addr))
		return trip_fail(t, "pfn_to_online_page(%#" PRIx64 ") is %s", pfn,
				 mm_pfn_to_online_page(mm, pfn) ? "a page" : "NULL");
	if (!valid) {
		if (page)
			trip_fail(t, "invalid pfn %#" PRIx64 " has a page", pfn);
		return;
	}
	t->valid++;
	if (!page || mm_page_to_pfn(mm, page) != pfn || pfn_to_page(mm, pfn) != page ||
	    page_to_pfn(mm, page) != pfn || inline_pfn_to_page(mm, pfn) != page)
		return trip_fail(t, "pfn %#" PRIx64 " -> %p -> %#" PRIx64 " does not round-trip",
				 pfn, (void *)page, page ? mm_page_to_pfn(mm, page) : 0);
	if (PagePoisoned(page))
		return;
	if (want_zone == ZONE_BY_PFN)
		want_zone = expect_zone(mm, pfn);
	if (is_classic(mm_model_kind(mm)) ?
	    page_to_section(&mm->pfl, page) != pfn_to_section_nr(mm, pfn) :
	    mm->pfl.sections_width != 0)
		return trip_fail(t, "pfn %#" PRIx64 ": section %" PRIu64 " in page->flags", pfn,
				 page_to_section(&mm->pfl, page));
	if (want_nid >= 0 && (page_to_nid(&mm->pfl, page) != want_nid ||
			      (int)page_zonenum(&mm->pfl, page) != want_zone))
		return trip_fail(t, "pfn %#" PRIx64 ": node %d zone %s in page->flags, expected "
				 "node %d zone %s", pfn, page_to_nid(&mm->pfl, page),
				 mm_zone_name(page_zonenum(&mm->pfl, page)), want_nid,
				 mm_zone_name(want_zone));
	if (want_nid < 0 && !memblock_pages_in(mm, pfn, pfn + 1) && !PageReserved(page))
		trip_fail(t, "hole pfn %#" PRIx64 " is not PG_reserved", pfn);
}

/* every pfn sample of [start, end): a stride that walks through every offset class, and ends */
static void trip_range(struct trip *t, const struct mm_model *mm, const struct layout *L,
		       uint64_t start, uint64_t end, int zone, int nid)
{
	uint64_t s = PHYS_PFN(mm, start), e = PHYS_PFN(mm, end);
	uint64_t stride = mm->geo.pages_per_subsection / 2 + 1;

	for (uint64_t pfn = s; pfn < e; pfn += stride)
		trip_pfn(t, mm, L, pfn, zone, nid);
	if (e > s) {
		trip_pfn(t, mm, L, s, zone, nid);
		trip_pfn(t, mm, L, e - 1, zone, nid);
	}
}

/* the boot layout: RAM pfns against their node and zone, holes only against pfn_valid() */
static void boot_round_trips(const struct mm_model *mm, const struct layout *L, const char *tag)
{
	struct trip t = { 0 };
	uint64_t pos = 0;

	for (int i = 0; i < L->nr; i++) {
		trip_range(&t, mm, L, pos, L->r[i].start, -1, -1);
		trip_range(&t, mm, L, L->r[i].start, L->r[i].end, ZONE_BY_PFN, L->r[i].nid);
		pos = L->r[i].end;
	}
	trip_range(&t, mm, L, pos, 11 * L->B, -1, -1);
	if (!ok(!t.first_failure[0] && t.valid > 0,
		"%s: %" PRIu64 " pfn samples (%" PRIu64 " valid): pfn_valid, online, round trips, "
		"page->flags", tag, t.samples, t.valid))
		printf("#   %s\n", t.first_failure);
}

/* -------------------------------------------------------------- derived numbers */

static void check_derived(const struct mm_model *mm, const struct layout *L, const char *tag)
{
	const struct mm_geometry *g = mm_geometry(mm);
	unsigned int sections_shift = g->max_physmem_bits - g->section_size_bits;
	bool classic = is_classic(L->model);

	is(mm_model_kind(mm), L->model, "%s: model kind", tag);
	is(g->sections_per_root, (L->model == MM_SPARSEMEM_EXTREME ||
				  L->model == MM_SPARSEMEM_VMEMMAP) ? g->page_size / 16 : 1,
	   "%s: SECTIONS_PER_ROOT (EXTREME roots are a page of sections)", tag);
	is(g->nr_section_roots, g->nr_mem_sections / g->sections_per_root, "%s: NR_SECTION_ROOTS",
	   tag);
	ok(mm->pfl.sections_width == (classic ? sections_shift : 0) &&
	   mm->pfl.sections_pgshift == (classic ? 64 - sections_shift : 0) &&
	   mm->pfl.nodes_width == 6 && mm->pfl.zones_width == 3 &&
	   mm->pfl.zones_pgshift == 64 - mm->pfl.sections_width - 6 - 3,
	   "%s: page->flags [SECTION %u][NODE 6][ZONE 3] (zones at bit %u)", tag,
	   mm->pfl.sections_width, mm->pfl.zones_pgshift);
	ok((mm->mem_section_static != NULL) == (L->model == MM_SPARSEMEM) &&
	   (mm->mem_section != NULL) == is_sparse(L->model) &&
	   (mm->vmemmap.area != NULL) == (L->model == MM_SPARSEMEM_VMEMMAP),
	   "%s: storage: static array %d, roots %d, vmemmap area %d", tag,
	   mm->mem_section_static != NULL, mm->mem_section != NULL, mm->vmemmap.area != NULL);
	if (L->model == MM_SPARSEMEM)
		ok(mm->sections_per_root_alloc * sizeof(struct mem_section) ==
		   MIN(g->nr_mem_sections * sizeof(struct mem_section),
		       (uint64_t)sysconf(_SC_PAGESIZE)),
		   "%s: static mem_section[%" PRIu64 "] tracked one host page (%" PRIu64
		   " sections) at a time", tag, g->nr_mem_sections, mm->sections_per_root_alloc);
}

static void check_boot_shape(const struct mm_model *mm, const struct layout *L, const char *tag)
{
	struct mm_stats st;
	uint64_t ram = 0, sections = 0;

	for (int i = 0; i < L->nr; i++)
		ram += L->r[i].end - L->r[i].start;
	mm_get_stats(mm, &st);
	is(st.present_bytes, ram, "%s: present bytes", tag);
	is(st.online_bytes, ram, "%s: all boot RAM online", tag);

	if (L->model == MM_FLATMEM) {
		uint64_t end = ALIGN(PHYS_PFN(mm, 7 * L->B), L->mo);

		ok(mm->arch_pfn_offset == 0 && mm->max_mapnr == end && mm->mem_map,
		   "%s: ARCH_PFN_OFFSET 0, max_mapnr %" PRIu64 " (the span rounded to %" PRIu64
		   " pages)", tag, mm->max_mapnr, L->mo);
		is(st.memmap_ram_bytes, end * 64, "%s: memmap covers the span, holes included", tag);
	} else if (L->model == MM_DISCONTIGMEM) {
		unsigned int shift = (unsigned int)__builtin_ctzll(PHYS_PFN(mm, 5 * L->B));

		ok(mm->memnode_shift == shift && mm->memnodemapsize == 7 &&
		   discontig_pfn_to_nid(mm, 0) == 0 &&
		   discontig_pfn_to_nid(mm, PHYS_PFN(mm, 4 * L->B)) == NUMA_NO_NODE &&
		   discontig_pfn_to_nid(mm, PHYS_PFN(mm, 5 * L->B)) == 1 &&
		   discontig_pfn_to_nid(mm, PHYS_PFN(mm, 7 * L->B)) == NUMA_NO_NODE,
		   "%s: pfn_to_nid() table: shift %u (one block), %" PRIu64 " entries", tag,
		   mm->memnode_shift, mm->memnodemapsize);
		ok(mm->node_data[0].node_mem_map && mm->node_data[1].node_mem_map &&
		   !mm->node_data[2].node_mem_map &&
		   mm->node_data[1].node_start_pfn == PHYS_PFN(mm, 5 * L->B),
		   "%s: a node_mem_map per node, from node_start_pfn", tag);
		is(st.memmap_ram_bytes, PHYS_PFN(mm, 6 * L->B) * 64,
		   "%s: memmap covers both node spans, not the gap between them", tag);
	} else {
		for (uint64_t a = 0; a < 7 * L->B; a += L->S)
			sections += section_has_ram(L, a);
		is(st.memmap_ram_bytes, sections * mm->geo.pages_per_section * 64,
		   "%s: one memmap per present section (%" PRIu64 ")", tag, sections);
	}
	is(st.memmap_resident_bytes, st.memmap_ram_bytes,
	   "%s: resident memmap = the memmap held", tag);
	if (is_sparse(L->model)) {
		ok(mm_nr_memory_blocks(mm) > 0, "%s: %zu boot memory blocks", tag,
		   mm_nr_memory_blocks(mm));
	} else {
		struct mm_block_info b;

		ok(mm_nr_memory_blocks(mm) == 0 && mm_for_each_memory_block(mm, NULL, NULL) == 0 &&
		   mm_for_each_present_section(mm, NULL, NULL) == 0 &&
		   mm_memory_block_info(mm, 0, &b) == -ENOENT,
		   "%s: no memory block, no section: the listings are empty", tag);
	}
}

/* ------------------------------------------------------------------- holes */

/* The hole answers that tell the models apart, spelled out. */
static void check_holes(const struct mm_model *mm, const struct layout *L, const char *tag)
{
	uint64_t in_sub = PHYS_PFN(mm, L->S / 4 + MiB);        /* 2 MiB hole in section 0 */
	uint64_t in_sec = PHYS_PFN(mm, L->B + L->S / 2 + MiB); /* empty half of a section */
	uint64_t no_sec = PHYS_PFN(mm, 2 * L->B + L->S / 2);   /* no RAM in the section */
	uint64_t gap = PHYS_PFN(mm, 4 * L->B + MiB);           /* between the nodes */
	struct page *pg;

	switch (L->model) {
	case MM_FLATMEM:
		ok(mm_pfn_valid(mm, in_sub) && mm_pfn_valid(mm, no_sec) && mm_pfn_valid(mm, gap),
		   "%s: holes inside the span are valid (mem_map covers them)", tag);
		pg = mm_pfn_to_online_page(mm, gap);
		ok(pg && PageReserved(pg) && page_ref_count(pg) == 1,
		   "%s: a hole page is online, PG_reserved, refcount 1", tag);
		break;
	case MM_DISCONTIGMEM:
		ok(mm_pfn_valid(mm, no_sec) && !mm_pfn_valid(mm, gap) && !mm_pfn_to_page(mm, gap),
		   "%s: holes inside a node are valid, the gap between nodes is not", tag);
		break;
	case MM_SPARSEMEM:
	case MM_SPARSEMEM_EXTREME:
		ok(mm_pfn_valid(mm, in_sub) && mm_pfn_to_online_page(mm, in_sub) &&
		   mm_pfn_valid(mm, in_sec) && mm_pfn_to_online_page(mm, in_sec) &&
		   !mm_pfn_valid(mm, no_sec),
		   "%s: section granularity: holes in present sections are valid and online", tag);
		break;
	case MM_SPARSEMEM_VMEMMAP:
		ok(mm_pfn_valid(mm, in_sub) && !mm_pfn_to_online_page(mm, in_sub) &&
		   mm_pfn_valid(mm, in_sec) && !mm_pfn_to_online_page(mm, in_sec) &&
		   !mm_pfn_valid(mm, no_sec),
		   "%s: early sections are valid whole, but holes are offline per subsection", tag);
		break;
	}
}

/* ------------------------------------------------------------------ hotplug */

static void check_no_hotplug(struct mm_model *mm, const struct layout *L, const char *tag)
{
	struct mm_pgmap_params pp = { .start = 16 * L->B, .size = 2 * MiB,
				      .type = MEMORY_DEVICE_GENERIC };
	uint64_t d = model_digest(mm, 0, PHYS_PFN(mm, 7 * L->B)), id = 7;
	const char *name = L->model == MM_FLATMEM ? "FLATMEM" : "DISCONTIGMEM";
	enum mm_zone_type z;
	struct mm_plan plan;

	EXPECT_ERR(mm, mm_add_memory(mm, 0, L->add_start, L->add_size, MHP_NONE, &id),
		   -EOPNOTSUPP, MM_CAUSE_UNSUPPORTED, "%s: add_memory: -EOPNOTSUPP", tag);
	ok(strstr(mm_last_error(mm), name) && strstr(mm_last_error(mm), "SPARSEMEM"),
	   "%s: ... naming the model and what hotplug needs", tag);
	EXPECT_ERR(mm, mm_remove_memory(mm, 0, L->B), -EOPNOTSUPP, MM_CAUSE_UNSUPPORTED,
		   "%s: remove_memory of boot memory: -EOPNOTSUPP", tag);
	EXPECT_ERR(mm, mm_offline_range(mm, 0, L->B, NULL), -EOPNOTSUPP, MM_CAUSE_UNSUPPORTED,
		   "%s: offline: -EOPNOTSUPP", tag);
	EXPECT_ERR(mm, mm_online_range(mm, 0, L->B, MMOP_ONLINE, NULL), -EOPNOTSUPP,
		   MM_CAUSE_UNSUPPORTED, "%s: online: -EOPNOTSUPP", tag);
	EXPECT_ERR(mm, mm_memory_block_offline(mm, 0), -EOPNOTSUPP, MM_CAUSE_UNSUPPORTED,
		   "%s: memory block offline: -EOPNOTSUPP", tag);
	EXPECT_ERR(mm, mm_zone_for_range(mm, 0, L->B, MMOP_ONLINE, &z), -EOPNOTSUPP,
		   MM_CAUSE_UNSUPPORTED, "%s: zone_for_pfn_range: -EOPNOTSUPP", tag);
	mm_plan_add_memory(mm, 0, L->add_start, L->add_size, MHP_NONE, &plan);
	ok(plan.error == -EOPNOTSUPP && plan.cause == MM_CAUSE_UNSUPPORTED,
	   "%s: the add plan says the same (%s)", tag, plan.why);
	mm_plan_offline(mm, 0, L->B, &plan);
	ok(plan.error == -EOPNOTSUPP, "%s: so does the offline plan", tag);
	EXPECT_ERR(mm, mm_memremap_pages(mm, &pp, &id), -EOPNOTSUPP, MM_CAUSE_UNSUPPORTED,
		   "%s: ZONE_DEVICE: -EOPNOTSUPP", tag);
	ok(strstr(mm_last_error(mm), "SPARSEMEM_VMEMMAP") != NULL,
	   "%s: ... because ZONE_DEVICE needs SPARSEMEM_VMEMMAP", tag);
	ok(!mm_supports_memmap_on_memory(mm), "%s: no memmap_on_memory", tag);
	ok(model_digest(mm, 0, PHYS_PFN(mm, 7 * L->B)) == d, "%s: the refusals changed nothing",
	   tag);
	INV(mm, "%s: refused hotplug", tag);
}

/* add [8B, 10B) on node 1, online movable, hold a page, offline, remove */
static void check_hotplug(struct mm_model *mm, const struct layout *L, const char *tag)
{
	uint64_t s = L->add_start, n = L->add_size, pfn = PHYS_PFN(mm, s), id = 0;
	uint64_t memmap = PHYS_PFN(mm, n) * 64;
	struct mm_stats before, st;
	struct trip t = { 0 };
	struct mm_pfn_info info;
	unsigned int changed = 0;

	mm_get_stats(mm, &before);
	is(mm_add_memory(mm, 1, s, n, MHP_NONE, &id), 0, "%s: add [%s, +%s) node 1",
	   tag, HSIZE(s), HSIZE(n));
	INV(mm, "%s: add", tag);
	mm_get_stats(mm, &st);
	ok(st.memmap_ram_bytes == before.memmap_ram_bytes + memmap &&
	   st.memmap_resident_bytes == before.memmap_resident_bytes + memmap,
	   "%s: the new sections' memmap is allocated and resident (%s)", tag, HSIZE(memmap));
	ok(mm_pfn_valid(mm, pfn) && !mm_pfn_to_online_page(mm, pfn) &&
	   PagePoisoned(pfn_to_page(mm, pfn)) &&
	   mm_lookup_pfn(mm, pfn, &info) == 0 && info.memmap != MM_MEMMAP_BOOT,
	   "%s: new memory: valid, offline, poisoned struct pages", tag);
	if (is_classic(L->model)) {
		struct mem_section *ms = __pfn_to_section(mm, pfn);

		ok(valid_section(ms) && ms->usage && subsection_weight(mm, ms) == 0 &&
		   !mm_supports_memmap_on_memory(mm) && info.memmap == MM_MEMMAP_RAM,
		   "%s: classic: no subsection bits, no memmap_on_memory, memmap from RAM", tag);
	}

	is(mm_online_range(mm, s, n, MMOP_ONLINE_MOVABLE, &changed), 0, "%s: online_movable", tag);
	INV(mm, "%s: online", tag);
	trip_range(&t, mm, NULL, s, s + n, ZONE_MOVABLE, 1);
	if (!ok(!t.first_failure[0] && t.valid == t.samples,
		"%s: %" PRIu64 " hot-added pfns: round trips, Movable, node 1%s", tag, t.samples,
		is_classic(L->model) ? ", section in page->flags" : ""))
		printf("#   %s\n", t.first_failure);
	ok(pfn_to_page(mm, pfn + 1) == pfn_to_page(mm, pfn) + 1,
	   "%s: neighbouring pfns are neighbouring struct pages", tag);

	is(mm_get_pages(mm, pfn + 12345 % PHYS_PFN(mm, n), 1), 0, "%s: get_page", tag);
	EXPECT_ERR(mm, mm_offline_range(mm, s, n, NULL), -EBUSY, MM_CAUSE_BUSY,
		   "%s: offline while a page is held: -EBUSY", tag);
	is(mm_put_pages(mm, pfn + 12345 % PHYS_PFN(mm, n), 1), 0, "%s: put_page", tag);
	is(mm_offline_range(mm, s, n, NULL), 0, "%s: offline", tag);
	INV(mm, "%s: offline", tag);
	is(mm_remove_memory(mm, s, n), 0, "%s: remove", tag);
	INV(mm, "%s: remove", tag);
	mm_get_stats(mm, &st);
	ok(st.memmap_ram_bytes == before.memmap_ram_bytes &&
	   st.memmap_resident_bytes == before.memmap_resident_bytes &&
	   !mm_pfn_valid(mm, pfn) && !mm_pfn_to_page(mm, pfn),
	   "%s: the memmap is given back, the pfns invalid again", tag);
}

/*
 * The top of the physical address space: the last block below MAX_PHYSMEM_BITS. Classic
 * models allocate per section and take it; VMEMMAP takes it when the process could reserve the
 * whole vmemmap, and otherwise refuses cleanly with -E2BIG. Beyond the top: -E2BIG everywhere.
 */
static void check_top(struct mm_model *mm, const struct layout *L, const char *tag)
{
	uint64_t top = 1ULL << L->arch->max_physmem_bits, s = top - L->B, id;
	uint64_t last = PHYS_PFN(mm, top) - 1;
	bool reservable = PHYS_PFN(mm, top) <= mm->vmemmap.end_pfn;
	struct trip t = { 0 };

	EXPECT_ERR(mm, mm_add_memory(mm, 0, top, L->B, MHP_NONE, &id), -E2BIG, MM_CAUSE_RANGE,
		   "%s: add beyond MAX_PHYSMEM_BITS: -E2BIG", tag);
	if (!reservable) {
		uint64_t d = model_digest(mm, 0, 0);

		EXPECT_ERR(mm, mm_add_memory(mm, 0, s, L->B, MHP_NONE, &id), -E2BIG, MM_CAUSE_RANGE,
			   "%s: the top block lies beyond the vmemmap this process could reserve "
			   "(%s): -E2BIG", tag, HSIZE(mm->vmemmap.area_len));
		ok(model_digest(mm, 0, 0) == d, "%s: ... and nothing changed", tag);
		return;
	}
	is(mm_add_memory(mm, 0, s, L->B, MHP_NONE, &id), 0, "%s: add the top block [%#" PRIx64
	   ", %#" PRIx64 ")", tag, s, top);
	is(mm_online_range(mm, s, L->B, MMOP_ONLINE_MOVABLE, NULL), 0, "%s: online it", tag);
	INV(mm, "%s: top block online", tag);
	trip_range(&t, mm, NULL, s, top, ZONE_MOVABLE, 0);
	if (!ok(!t.first_failure[0] && t.valid == t.samples && mm_pfn_to_online_page(mm, last) &&
		(!is_classic(L->model) ||
		 page_to_section(&mm->pfl, pfn_to_page(mm, last)) == mm->geo.nr_mem_sections - 1),
		"%s: the last pfn %#" PRIx64 " round-trips%s", tag, last,
		is_classic(L->model) ? ", section NR_MEM_SECTIONS - 1 in page->flags" : ""))
		printf("#   %s\n", t.first_failure);
	ok(!mm_offline_range(mm, s, L->B, NULL) && !mm_remove_memory(mm, s, L->B),
	   "%s: offline and remove the top block", tag);
	INV(mm, "%s: top block removed", tag);
}

/* classic SPARSEMEM hotplugs whole sections only; VMEMMAP takes a subsection */
static void check_pfn_span_unit(struct mm_model *mm, const struct layout *L, const char *tag)
{
	uint64_t pfn = PHYS_PFN(mm, 12 * L->B), ppss = mm->geo.pages_per_subsection;
	struct mm_err err = { 0 };
	int ret = __add_pages(mm, 0, pfn, ppss, NULL, &err);

	if (is_classic(L->model)) {
		ok(ret == -EINVAL && err.cause == MM_CAUSE_MISALIGNED && strstr(err.why, "section"),
		   "%s: __add_pages of one subsection: -EINVAL (%s)", tag, err.why);
		ret = __add_pages(mm, 0, pfn, mm->geo.pages_per_section, NULL, &err);
		ok(ret == 0 && mm_pfn_valid(mm, pfn + mm->geo.pages_per_section - 1) &&
		   !mm_pfn_valid(mm, pfn + mm->geo.pages_per_section),
		   "%s: __add_pages of a whole section", tag);
		ret = __add_pages(mm, 0, pfn, mm->geo.pages_per_section, NULL, &err);
		ok(ret == -EEXIST, "%s: adding that section again: -EEXIST (no second memmap)", tag);
		__remove_pages(mm, pfn, mm->geo.pages_per_section, NULL);
	} else {
		ok(ret == 0 && mm_pfn_valid(mm, pfn) && !mm_pfn_valid(mm, pfn + ppss),
		   "%s: __add_pages of one subsection (%s)", tag, err.why);
		__remove_pages(mm, pfn, ppss, NULL);
	}
	ok(!mm_pfn_valid(mm, pfn), "%s: __remove_pages", tag);
	INV(mm, "%s: direct section add/remove", tag);
}

/* ------------------------------------------------------------------- driver */

static void run_one(const struct mm_arch *arch, enum mm_memory_model m)
{
	struct mm_params p;
	struct mm_model *mm = NULL;
	struct layout L;
	char tag[64];
	int ret;

	snprintf(tag, sizeof(tag), "%s/%s", arch->name, mm_memory_model_name(m));
	layout_init(&L, arch, m);
	mm_params_default(&p, arch);
	p.model = m;
	ret = mm_model_create(&p, &mm);
	is(ret, 0, "%s: created", tag);
	if (ret)
		return;
	INV(mm, "%s: creation", tag);
	check_derived(mm, &L, tag);

	/* before boot: what boot memory cannot be */
	EXPECT_ERR(mm, mm_boot_memory_add(mm, (1ULL << arch->max_physmem_bits) - L.P, 2 * L.P, 0),
		   -E2BIG, MM_CAUSE_RANGE, "%s: boot RAM beyond MAX_PHYSMEM_BITS: -E2BIG", tag);
	if (m == MM_FLATMEM)
		EXPECT_ERR(mm, mm_boot_memory_add(mm, 9 * L.B, L.B, 1), -EINVAL, MM_CAUSE_UNSUPPORTED,
			   "%s: boot RAM on node 1: -EINVAL, FLATMEM has node 0 only", tag);
	for (int i = 0; i < L.nr; i++)
		if (mm_boot_memory_add(mm, L.r[i].start, L.r[i].end - L.r[i].start, L.r[i].nid))
			printf("# boot range %d: %s\n", i, mm_last_error(mm));
	ret = mm_boot_init(mm);
	is(ret, 0, "%s: boot (%s)", tag, mm_last_error(mm));
	if (ret) {
		mm_model_destroy(mm);
		return;
	}
	INV(mm, "%s: boot", tag);
	check_boot_shape(mm, &L, tag);
	boot_round_trips(mm, &L, tag);
	check_holes(mm, &L, tag);

	if (is_sparse(m)) {
		check_hotplug(mm, &L, tag);
		if (m != MM_SPARSEMEM_VMEMMAP) {
			struct mm_pgmap_params pp = { .start = 16 * L.B, .size = 2 * MiB,
						      .type = MEMORY_DEVICE_GENERIC };
			uint64_t id;

			struct mm_plan plan;
			uint64_t d = model_digest(mm, 0, 0);

			EXPECT_ERR(mm, mm_memremap_pages(mm, &pp, &id), -EOPNOTSUPP,
				   MM_CAUSE_UNSUPPORTED, "%s: ZONE_DEVICE: -EOPNOTSUPP", tag);
			mm_plan_memremap(mm, &pp, &plan);
			ok(strstr(mm_last_error(mm), "SPARSEMEM_VMEMMAP") && plan.error == -EOPNOTSUPP &&
			   model_digest(mm, 0, 0) == d,
			   "%s: ... because ZONE_DEVICE needs SPARSEMEM_VMEMMAP; the plan agrees", tag);
		}
		check_pfn_span_unit(mm, &L, tag);
		/* last: afterwards the highest present section number stays at the top */
		check_top(mm, &L, tag);
	} else {
		check_no_hotplug(mm, &L, tag);
	}
	boot_round_trips(mm, &L, tag);
	INV(mm, "%s: the end", tag);
	mm_model_destroy(mm);
}

/* ---------------------------------------------------------- boot refusals */

/* FLATMEM/DISCONTIGMEM boot layouts the kernel could not boot: refused cleanly, no trace. */
static void check_refused_boots(const struct mm_arch *arch)
{
	uint64_t B = arch->default_block_size, top = 1ULL << arch->max_physmem_bits;
	uint64_t entries = top / B;
	struct mm_params p;
	struct mm_model *mm;
	int ret;

	/* FLATMEM over [0, B) + [top - B, top): its mem_map would dwarf the RAM */
	mm_params_default(&p, arch);
	p.model = MM_FLATMEM;
	if (mm_model_create(&p, &mm))
		return;
	mm_boot_memory_add(mm, 0, B, 0);
	mm_boot_memory_add(mm, top - B, B, 0);
	EXPECT_ERR(mm, mm_boot_init(mm), -ENOMEM, MM_CAUSE_NOMEM,
		   "%s/flatmem: a span of the whole address space is refused", arch->name);
	ok(!mm->mem_map && !mm->memmap_alloc_bytes && !mm->node_data[0].node_zones[0].pageblock_flags,
	   "%s/flatmem: ... leaving no mem_map behind", arch->name);
	INV(mm, "%s/flatmem: refused boot", arch->name);
	mm_model_destroy(mm);

	/* DISCONTIGMEM: the same two ranges on two nodes cost two small node_mem_maps */
	p.model = MM_DISCONTIGMEM;
	if (mm_model_create(&p, &mm))
		return;
	mm_boot_memory_add(mm, 0, B, 0);
	mm_boot_memory_add(mm, top - B, B, 1);
	ret = mm_boot_init(mm);
	if (entries <= (1ULL << 24)) {
		ok(ret == 0 && mm->memnodemapsize == entries &&
		   mm_pfn_valid(mm, PHYS_PFN(mm, top) - 1) && !mm_pfn_valid(mm, PHYS_PFN(mm, B)),
		   "%s/discontigmem: nodes at 0 and at the top boot (%" PRIu64 " pfn_to_nid entries)",
		   arch->name, entries);
	} else {
		ok(ret == -EINVAL && mm_last_cause(mm) == MM_CAUSE_MISALIGNED,
		   "%s/discontigmem: %" PRIu64 " pfn_to_nid entries are refused (%s)", arch->name,
		   entries, mm_last_error(mm));
	}
	INV(mm, "%s/discontigmem: two far nodes", arch->name);
	mm_model_destroy(mm);

	/* interleaved nodes: node 0 spans node 1 */
	if (mm_model_create(&p, &mm))
		return;
	mm_boot_memory_add(mm, 0, B, 0);
	mm_boot_memory_add(mm, B, B, 1);
	mm_boot_memory_add(mm, 2 * B, B, 0);
	EXPECT_ERR(mm, mm_boot_init(mm), -EINVAL, MM_CAUSE_OVERLAP,
		   "%s/discontigmem: overlapping node spans are refused", arch->name);
	INV(mm, "%s/discontigmem: refused boot", arch->name);
	mm_model_destroy(mm);
}

/* FLATMEM memory that does not start at 0: ARCH_PFN_OFFSET is the start rounded down. */
static void check_arch_pfn_offset(const char *name)
{
	const struct mm_arch *arch = mm_arch_lookup(name);
	uint64_t P = 1ULL << arch->page_shift, mo = 1ULL << arch->max_page_order;
	uint64_t start = 3 * mo * P + 5 * P, size = 2 * mo * P + 7 * P;
	uint64_t first = start / P, end = first + size / P;
	struct mm_params p;
	struct mm_model *mm;
	struct trip t = { 0 };

	mm_params_default(&p, arch);
	p.model = MM_FLATMEM;
	if (mm_model_create(&p, &mm) || mm_boot_memory_add(mm, start, size, 0) || mm_boot_init(mm)) {
		ok(0, "%s/flatmem: boot at %#" PRIx64 ": %s", name, start, mm_last_error(mm));
		return;
	}
	INV(mm, "%s/flatmem: boot at %#" PRIx64, name, start);
	ok(mm->arch_pfn_offset == 3 * mo && mm->max_mapnr == ALIGN(end, mo) - 3 * mo,
	   "%s/flatmem: ARCH_PFN_OFFSET %#" PRIx64 " (rounded down to %" PRIu64 " pages), "
	   "max_mapnr %" PRIu64, name, mm->arch_pfn_offset, mo, mm->max_mapnr);
	ok(!mm_pfn_valid(mm, 3 * mo - 1) && mm_pfn_valid(mm, 3 * mo) &&
	   mm_pfn_valid(mm, ALIGN(end, mo) - 1) && !mm_pfn_valid(mm, ALIGN(end, mo)),
	   "%s/flatmem: pfn_valid() is exactly mem_map", name);
	ok(PageReserved(mm_pfn_to_page(mm, 3 * mo)) && PageReserved(mm_pfn_to_page(mm, end)) &&
	   !PageReserved(mm_pfn_to_page(mm, first)) &&
	   flatmem_page_to_pfn(mm, mm->mem_map) == 3 * mo,
	   "%s/flatmem: head and tail of mem_map are reserved holes; page_to_pfn(mem_map) = "
	   "ARCH_PFN_OFFSET", name);
	for (uint64_t pfn = 3 * mo - 2; pfn < ALIGN(end, mo) + 2; pfn++)
		trip_pfn(&t, mm, NULL, pfn, -1, -1);
	if (!ok(!t.first_failure[0] && t.valid == mm->max_mapnr,
		"%s/flatmem: every pfn of mem_map round-trips (%" PRIu64 ")", name, t.valid))
		printf("#   %s\n", t.first_failure);
	mm_model_destroy(mm);
}

int main(void)
{
	for (const struct mm_arch *const *a = mm_arch_profiles(); *a; a++) {
		for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
			run_one(*a, models[i]);
		check_refused_boots(*a);
	}
	check_arch_pfn_offset("x86_64");
	check_arch_pfn_offset("arm64-64k");
	return tap_done();
}
