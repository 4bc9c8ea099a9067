/* SPDX-License-Identifier: MIT */
/*
 * The invariant checker can fail: each corruption of a healthy model is reported as -EUCLEAN
 * with the violated rule, and undoing it makes the model healthy again.
 */
#include "test-util.h"

static struct mm_model *mm;

/* corrupt, expect the rule number in the message, restore, expect health */
#define CORRUPT(what, rule, corrupt, restore) do {					\
	char _b[256];									\
	int _c;										\
	corrupt;									\
	_c = mm_check_invariants(mm, _b, sizeof(_b));					\
	ok(_c == -EUCLEAN && strstr(_b, rule), "caught: %s (%s)", what, _b);		\
	restore;									\
	INV(mm, "undoing: %s", what);							\
} while (0)

int main(void)
{
	struct mem_section *ms;
	struct memory_block *mem;
	struct page *page, saved;
	struct zone *normal;
	uint64_t id, pfn;
	unsigned long w;

	mm = test_default_model();
	is(mm_add_memory(mm, 0, 8 * GiB, 512 * MiB, MHP_MEMMAP_ON_MEMORY, &id), 0,
	   "add 512 MiB with memmap on memory");
	is(mm_online_range(mm, 8 * GiB, 256 * MiB, MMOP_ONLINE, NULL), 0, "online half of it");
	INV(mm, "setup");

	ms = __nr_to_section(mm, 40);
	w = ms->section_mem_map;
	CORRUPT("a boot section marked offline while its block is online", "13:",
		ms->section_mem_map &= ~SECTION_IS_ONLINE, ms->section_mem_map = w);
	CORRUPT("a memmap pointer off by one struct page", "4:",
		ms->section_mem_map += sizeof(struct page) << SECTION_MAP_LAST_BIT,
		ms->section_mem_map = w);
	CORRUPT("an early flag on a hot-added section", "5:",
		__nr_to_section(mm, 66)->section_mem_map |= SECTION_IS_EARLY,
		__nr_to_section(mm, 66)->section_mem_map &= ~SECTION_IS_EARLY);
	CORRUPT("a zone-device taint without device memory", "26:",
		ms->section_mem_map |= SECTION_TAINT_ZONE_DEVICE, ms->section_mem_map = w);
	CORRUPT("a hot-added subsection bit cleared", "7:",
		__nr_to_section(mm, 67)->usage->subsection_map[0] &= ~1UL,
		__nr_to_section(mm, 67)->usage->subsection_map[0] |= 1UL);

	pfn = (8 * GiB + 300 * MiB) >> 12;  /* offline hot-added memory */
	page = pfn_to_page(mm, pfn);
	saved = *page;
	CORRUPT("an offline hot-added struct page that is not poisoned", "15:",
		memset(page, 0, sizeof(*page)), *page = saved);
	page = pfn_to_page(mm, (8 * GiB) >> 12);
	saved = *page;
	CORRUPT("a self-hosted memmap page losing its flag", "25:",
		__clear_page_flag(page, PG_vmemmap_self_hosted), *page = saved);
	page = pfn_to_page(mm, (5 * GiB) >> 12);
	saved = *page;
	CORRUPT("an online page in the wrong zone", "12:",
		set_page_zone(&mm->pfl, page, ZONE_MOVABLE), *page = saved);

	normal = &mm->node_data[0].node_zones[ZONE_NORMAL];
	CORRUPT("a zone missing present pages", "present pages",
		normal->present_pages -= 1, normal->present_pages += 1);
	CORRUPT("a zone span not covering an online block", "29:",
		normal->spanned_pages -= 32768, normal->spanned_pages += 32768);
	CORRUPT("the populated host page count drifting", "vmemmap:",
		mm->vmemmap.nr_populated++, mm->vmemmap.nr_populated--);

	mem = find_memory_block_by_id(mm, 64);
	CORRUPT("an altmap handing out more than its free pages", "21:",
		mem->altmap->alloc += 10000, mem->altmap->alloc -= 10000);
	CORRUPT("a block stuck going-offline", "going-offline",
		mem->state = MEM_GOING_OFFLINE, mem->state = MEM_ONLINE);
	mem = find_memory_block_by_id(mm, 67);
	CORRUPT("an offline block keeping a zone", "12:",
		mem->zone = normal, mem->zone = NULL);
	CORRUPT("a highest present section below a present one", "30:",
		mm->highest_present_section_nr = 60, mm->highest_present_section_nr = 67);
	mm_model_destroy(mm);
	return tap_done();
}
