/* SPDX-License-Identifier: MIT */
/*
 * Deferred struct page init (mm_params.deferred_struct_page_init): a model that initialises
 * its boot memmap on first use must be indistinguishable from one that initialised it at
 * boot. Every test builds the same boot layout twice, eager and deferred, and compares what
 * a caller sees (lookups, pageblocks, operations, the struct pages themselves), while the
 * deferred twin's memmap stays unwritten where nothing asked for it.
 */
#include "test-util.h"

/*
 * Holes at every granularity: below 640K, a PCI hole ending inside a subsection, a node
 * boundary, and boot RAM that stops 1 MiB short of a subsection end.
 */
static struct mm_model *twin(bool deferred, enum mm_memory_model model)
{
	struct mm_params p;
	struct mm_model *mm = NULL;

	mm_params_default(&p, mm_arch_lookup("x86_64"));
	p.model = model;
	p.page_init_poisoning = false;
	p.deferred_struct_page_init = deferred;
	if (mm_model_create(&p, &mm) || mm_boot_memory_add(mm, 0, 0x9f000, 0) ||
	    mm_boot_memory_add(mm, 1 * MiB, 3 * GiB - 3 * MiB, 0) ||
	    mm_boot_memory_add(mm, 4 * GiB, 1 * GiB, 0) ||
	    mm_boot_memory_add(mm, 5 * GiB, 2 * GiB - 1 * MiB, 1) || mm_boot_init(mm)) {
		printf("Bail out! cannot boot the %s twin: %s\n", deferred ? "deferred" : "eager",
		       mm ? mm_last_error(mm) : "no model");
		exit(1);
	}
	return mm;
}

/* A struct page with its list heads as offsets from itself: comparable across models. */
static bool page_same(const struct page *a, const struct page *b)
{
	struct page x = *a, y = *b;

	x.lru.next = (void *)((char *)a->lru.next - (char *)a);
	x.lru.prev = (void *)((char *)a->lru.prev - (char *)a);
	y.lru.next = (void *)((char *)b->lru.next - (char *)b);
	y.lru.prev = (void *)((char *)b->lru.prev - (char *)b);
	return !memcmp(&x, &y, sizeof(x));
}

static bool lookup_same(const struct mm_model *a, const struct mm_model *b, uint64_t pfn)
{
	struct mm_pfn_info x, y;
	int ra = mm_lookup_pfn(a, pfn, &x), rb = mm_lookup_pfn(b, pfn, &y);

	if (ra != rb || (!ra && memcmp(&x, &y, sizeof(x)))) {
		printf("#   pfn %#" PRIx64 ": zone %d/%d node %d/%d refcount %d/%d flags %s/%s\n",
		       pfn, x.zone, y.zone, x.nid, y.nid, x.refcount, y.refcount, x.flag_names,
		       y.flag_names);
		return false;
	}
	return true;
}

static uint64_t present_sections(const struct mm_model *mm)
{
	uint64_t n = 0;
	int64_t nr;

	for_each_present_section_nr(mm, nr)
		n++;
	return n;
}

/*
 * Every struct page of every early section (but a device's: its pgmap pointer is per model),
 * and every pageblock's bits.
 */
static bool memmap_same(const struct mm_model *a, const struct mm_model *b, uint64_t *bad)
{
	int64_t nr;

	for_each_present_section_nr(a, nr) {
		uint64_t pfn0 = section_nr_to_pfn(a, (uint64_t)nr);

		if (!early_section(__nr_to_section(a, (uint64_t)nr)))
			continue;
		for (uint64_t pfn = pfn0; pfn < pfn0 + PAGES_PER_SECTION(a); pfn++) {
			if (page_zonenum(&a->pfl, __pfn_to_page(a, pfn)) == ZONE_DEVICE)
				continue;
			if (!page_same(__pfn_to_page(a, pfn), __pfn_to_page(b, pfn)) ||
			    (pfn % pageblock_nr_pages(a) == 0 &&
			     get_pageblock_migratetype(a, pfn) != get_pageblock_migratetype(b, pfn))) {
				const struct page *x = __pfn_to_page(a, pfn), *y = __pfn_to_page(b, pfn);

				printf("#   pfn %#" PRIx64 ": flags %#lx/%#lx refcount %d/%d mapcount "
				       "%d/%d type %#x/%#x pageblock %d/%d\n", pfn, (unsigned long)x->flags,
				       (unsigned long)y->flags, x->_refcount, y->_refcount, x->_mapcount,
				       y->_mapcount, (unsigned int)x->page_type, (unsigned int)y->page_type,
				       get_pageblock_migratetype(a, pfn), get_pageblock_migratetype(b, pfn));
				*bad = pfn;
				return false;
			}
		}
	}
	return true;
}

static void boot_defers_everything(enum mm_memory_model model)
{
	struct mm_model *eager = twin(false, model), *lazy = twin(true, model);
	const char *name = mm_memory_model_name(model);
	uint64_t sections = present_sections(lazy), bad = 0;
	struct mm_stats se, sl;
	bool same;

	is(lazy->nr_memmap_deferred, sections, "%s: every one of the %" PRIu64 " boot sections "
	   "is deferred", name, sections);
	is(eager->nr_memmap_deferred, 0, "%s: nothing is deferred by default", name);
	INV(eager, "%s: eager boot", name);
	INV(lazy, "%s: deferred boot", name);
	is(lazy->nr_memmap_deferred, sections, "%s: checking the invariants initialises nothing",
	   name);
	mm_get_stats(eager, &se);
	mm_get_stats(lazy, &sl);
	if (model == MM_SPARSEMEM_VMEMMAP)
		ok(sl.memmap_resident_bytes * 16 < se.memmap_resident_bytes,
		   "%s: the deferred memmap holds %" PRIu64 " KiB, the eager one %" PRIu64 " KiB",
		   name, sl.memmap_resident_bytes >> 10, se.memmap_resident_bytes >> 10);
	is(sl.memmap_ram_bytes, se.memmap_ram_bytes, "%s: the same memmap is accounted", name);
	is(sl.present_bytes, se.present_bytes, "%s: the same memory is present", name);

	/* the first reader of a section initialises that section, and only that one */
	ok(lookup_same(eager, lazy, (4 * GiB + 5 * MiB) >> 12), "%s: a lookup at 4G+5M is the same",
	   name);
	is(lazy->nr_memmap_deferred, sections - 1, "%s: the lookup initialised its section only",
	   name);
	ok(lookup_same(eager, lazy, (4 * GiB + 7 * MiB) >> 12) &&
	   lazy->nr_memmap_deferred == sections - 1,
	   "%s: a second lookup in that section initialises nothing more", name);
	INV(lazy, "%s: one section initialised", name);
	{
		uint64_t pfn = (5 * GiB + 9 * MiB) >> 12;
		const struct page *pe = mm_pfn_to_page(eager, pfn), *pl = mm_pfn_to_page(lazy, pfn);

		ok(pl && lazy->nr_memmap_deferred == sections - 2 && page_same(pe, pl),
		   "%s: mm_pfn_to_page() hands out an initialised struct page, node 1's", name);
	}

	/* holes, node boundaries, the partial subsection, zone limits: the first lookup each */
	{
		const uint64_t at[] = {
			0, 0x9e, 0x9f, 0xa0, 0xff, 0x100, 0xfff, 0x1000,
			(3 * GiB - 3 * MiB) / 4096 - 1, (3 * GiB - 3 * MiB) / 4096,
			(3 * GiB - 2 * MiB) / 4096, 3 * GiB / 4096 - 1,
			5 * GiB / 4096 - 1, 5 * GiB / 4096, (7 * GiB - 1 * MiB) / 4096 - 1,
			(7 * GiB - 1 * MiB) / 4096, 7 * GiB / 4096 - 1, 7 * GiB / 4096,
		};
		size_t i, n = 0;

		for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
			n += lookup_same(eager, lazy, at[i]);
		is(n, i, "%s: lookups at holes and boundaries are the same", name);
	}
	{
		uint64_t left = lazy->nr_memmap_deferred;

		ok(left > 0 && left < sections - 2, "%s: %" PRIu64 " sections are still deferred",
		   name, left);
		is(mm_memmap_init_deferred(lazy), left, "%s: page_alloc_init_late() initialises "
		   "the %" PRIu64 " left", name, left);
	}
	is(mm_memmap_init_deferred(lazy), 0, "%s: and then there is nothing left", name);
	same = memmap_same(eager, lazy, &bad);
	ok(same, "%s: every boot struct page and pageblock is what boot would have made (first "
	   "difference at pfn %#" PRIx64 ")", name, bad);
	INV(lazy, "%s: everything initialised", name);
	mm_model_destroy(eager);
	mm_model_destroy(lazy);
}

/* Page references, offline and online of boot blocks, hot-add: the same on both twins. */
static void operations_are_the_same(void)
{
	struct mm_model *eager = twin(false, MM_SPARSEMEM_VMEMMAP);
	struct mm_model *lazy = twin(true, MM_SPARSEMEM_VMEMMAP);
	struct mm_model *m[2] = { eager, lazy };
	const uint64_t blk = 6 * GiB / (128 * MiB), pfn = (6 * GiB + 3 * MiB) >> 12;
	uint64_t bad = 0, range = 0;
	int r[2][6];
	bool same;

	for (int i = 0; i < 2; i++) {
		r[i][0] = mm_get_pages(m[i], pfn, 3);
		r[i][1] = mm_memory_block_offline(m[i], blk);
		r[i][2] = mm_put_pages(m[i], pfn, 3);
		r[i][3] = mm_memory_block_offline(m[i], blk);
		r[i][4] = mm_memory_block_online(m[i], blk, MMOP_ONLINE_MOVABLE);
		r[i][5] = mm_add_memory(m[i], 1, 7 * GiB, 256 * MiB, MHP_NONE, &range);
	}
	ok(!memcmp(r[0], r[1], sizeof(r[0])), "get, offline (busy), put, offline, online movable, "
	   "hot-add: the same results (%d %d %d %d %d %d)", r[1][0], r[1][1], r[1][2], r[1][3],
	   r[1][4], r[1][5]);
	ok(r[1][1] == -EBUSY && r[1][3] == 0 && r[1][4] == 0 && r[1][5] == 0,
	   "a referenced boot block is busy, then goes offline and comes back movable");
	ok(lookup_same(eager, lazy, pfn) && lookup_same(eager, lazy, pfn + 1000),
	   "the block's pages look the same afterwards");
	INV(lazy, "operations on a deferred model");
	ok(lazy->nr_memmap_deferred > 0, "sections nothing asked for stay deferred (%" PRIu64 ")",
	   lazy->nr_memmap_deferred);
	mm_memmap_init_deferred(lazy);
	same = memmap_same(eager, lazy, &bad);
	ok(same, "and the whole boot memmap is the same (first difference at pfn %#" PRIx64 ")",
	   bad);
	mm_model_destroy(eager);
	mm_model_destroy(lazy);
}

/*
 * A device in the hole of a deferred boot section: boot's initialisation of the hole must come
 * first, as it did at boot, not later over the device's struct pages.
 */
static void device_in_a_deferred_hole(void)
{
	struct mm_model *eager = twin(false, MM_SPARSEMEM_VMEMMAP);
	struct mm_model *lazy = twin(true, MM_SPARSEMEM_VMEMMAP);
	struct mm_pgmap_params p = {
		.start = 3 * GiB - 2 * MiB, .size = 2 * MiB, .type = MEMORY_DEVICE_GENERIC,
	};
	uint64_t id[2] = { 0, 0 }, pfn = p.start >> 12, deferred, bad = 0;
	bool same;

	is(mm_memremap_pages(eager, &p, &id[0]), 0, "eager: a device in the hole below 3G");
	deferred = lazy->nr_memmap_deferred;
	is(mm_memremap_pages(lazy, &p, &id[1]), 0, "deferred: the same device");
	is(lazy->nr_memmap_deferred, deferred - 1, "the section it moved into was initialised first");
	ok(lookup_same(eager, lazy, pfn) && lookup_same(eager, lazy, pfn + 511) &&
	   lookup_same(eager, lazy, pfn - 1), "its pages and the boot page below look the same");
	INV(lazy, "memremap into a deferred section");
	mm_memmap_init_deferred(lazy);
	same = memmap_same(eager, lazy, &bad);
	ok(same, "the whole boot memmap is the same (first difference at pfn %#" PRIx64 ")", bad);
	mm_model_destroy(eager);
	mm_model_destroy(lazy);
}

/* The invariants see a write that went around pfn_to_page(), and what cannot defer. */
static void strays_and_refusals(void)
{
	struct mm_model *lazy = twin(true, MM_SPARSEMEM_VMEMMAP), *mm = NULL;
	struct mm_params p;
	char why[256] = "";

	__pfn_to_page(lazy, (5 * GiB + 2 * MiB) >> 12)->_refcount = 7;
	ok(mm_check_invariants(lazy, why, sizeof(why)) == -EUCLEAN &&
	   strstr(why, "written before its initialisation"),
	   "a stray write into deferred memmap is reported: %s", why);
	mm_model_destroy(lazy);

	mm_params_default(&p, mm_arch_lookup("x86_64"));
	p.deferred_struct_page_init = true;
	p.model = MM_FLATMEM;
	is(mm_model_create(&p, &mm), -EINVAL, "FLATMEM cannot defer: there are no sections");
	ok(mm_params_check(&p, NULL, why, sizeof(why)) == -EINVAL && strstr(why, "SPARSEMEM"),
	   "and the reason says so: %s", why);
	p.model = MM_DISCONTIGMEM;
	is(mm_model_create(&p, &mm), -EINVAL, "nor DISCONTIGMEM");
}

int main(void)
{
	boot_defers_everything(MM_SPARSEMEM_VMEMMAP);
	boot_defers_everything(MM_SPARSEMEM_EXTREME);
	boot_defers_everything(MM_SPARSEMEM);
	operations_are_the_same();
	device_in_a_deferred_hole();
	strays_and_refusals();
	return tap_done();
}
