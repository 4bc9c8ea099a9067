/* SPDX-License-Identifier: MIT */
/*
 * The memory model of a model (include/asm-generic/memory_model.h, mm/Kconfig): the ops table
 * mm_model_create() picks from mm_params.model, the SPARSEMEM_VMEMMAP table, and the refusals
 * for what a model cannot do. Memory hotplug needs SPARSEMEM (MEMORY_HOTPLUG depends on
 * SPARSEMEM, memory block devices exist only with it); ZONE_DEVICE needs SPARSEMEM_VMEMMAP.
 */
#include <stdio.h>

#include "memory_model.h"

/* ---------------------------------------------------------- SPARSEMEM_VMEMMAP */

static struct page *vmemmap_ops_pfn_to_page(const struct mm_model *mm, uint64_t pfn)
{
	return vmemmap_pfn_to_page(mm, pfn);
}

static uint64_t vmemmap_ops_page_to_pfn(const struct mm_model *mm, const struct page *page)
{
	return vmemmap_page_to_pfn(mm, page);
}

static bool vmemmap_ops_pfn_valid(const struct mm_model *mm, uint64_t pfn)
{
	return vmemmap_pfn_valid(mm, pfn);
}

/* any struct page of the reserved area; pfn_valid() says whether it is populated */
static bool vmemmap_page_in_memmap(const struct mm_model *mm, const struct page *page)
{
	uintptr_t p = (uintptr_t)page, base = (uintptr_t)mm->vmemmap.base;

	return p >= base && p < base + mm->vmemmap.area_len &&
	       (p - base) % sizeof(struct page) == 0;
}

static int vmemmap_populate_boot(struct mm_model *mm, uint64_t pfn, int nid,
				 struct page **memmap)
{
	int ret = populate_boot_section_memmap(mm, pfn);

	(void)nid;
	if (!ret)
		*memmap = vmemmap_pfn_to_page(mm, pfn);
	return ret;
}

static int vmemmap_populate(struct mm_model *mm, uint64_t pfn, uint64_t nr_pages, int nid,
			    struct vmem_altmap *altmap, struct page **memmap)
{
	int ret = __populate_section_memmap(mm, pfn, nr_pages, nid, altmap);

	if (!ret)
		*memmap = vmemmap_pfn_to_page(mm, pfn);
	return ret;
}

/* EXTREME roots, then the virtual memmap area (vmemmap.c) */
static int vmemmap_model_init(struct mm_model *mm)
{
	int ret = mem_section_roots_alloc(mm, false);

	if (ret)
		return ret;
	ret = vmemmap_reserve(mm);
	if (ret)
		mem_section_roots_free(mm);
	else
		mm->memmap_linear = (uintptr_t)mm->vmemmap.base;
	return ret;
}

/* the inline fast path of pfn_to_page() is vmemmap itself */
static int vmemmap_check(const struct mm_model *mm, char *buf, size_t len)
{
	if (mm->memmap_linear == (uintptr_t)mm->vmemmap.base && mm->vmemmap.base)
		return 0;
	snprintf(buf, len, "SPARSEMEM_VMEMMAP: pfn_to_page() base %#lx is not vmemmap %p",
		 (unsigned long)mm->memmap_linear, (void *)mm->vmemmap.base);
	return -EUCLEAN;
}

const struct memory_model_ops memory_model_vmemmap = {
	.model = MM_SPARSEMEM_VMEMMAP,
	.name = "SPARSEMEM_VMEMMAP",
	.sparse = true,
	.subsections = true,
	.zone_device = true,
	.numa = true,
	.pfn_to_page = vmemmap_ops_pfn_to_page,
	.page_to_pfn = vmemmap_ops_page_to_pfn,
	.pfn_valid = vmemmap_ops_pfn_valid,
	.page_in_memmap = vmemmap_page_in_memmap,
	.populate_boot = vmemmap_populate_boot,
	.free_bootmem = free_map_bootmem,
	.populate = vmemmap_populate,
	.depopulate = depopulate_section_memmap,
	.init = vmemmap_model_init,
	.teardown = sparse_teardown,
	.release = sparse_release,
	.check = vmemmap_check,
};

/* ------------------------------------------------------------------ choice */

const struct memory_model_ops *memory_model_ops(enum mm_memory_model model)
{
	switch (model) {
	case MM_FLATMEM:
		return &memory_model_flatmem;
	case MM_DISCONTIGMEM:
		return &memory_model_discontigmem;
	case MM_SPARSEMEM:
		return &memory_model_sparse_static;
	case MM_SPARSEMEM_EXTREME:
		return &memory_model_sparse_extreme;
	case MM_SPARSEMEM_VMEMMAP:
		return &memory_model_vmemmap;
	}
	return NULL;
}

/*
 * CONFIG_MEMORY_HOTPLUG depends on SPARSEMEM: without it there is no mem_section to add to and
 * no memory block to online, so add/remove/online/offline do not exist (-EOPNOTSUPP).
 */
int memory_model_check_hotplug(const struct mm_model *mm, const char *what, struct mm_err *err)
{
	if (mm->mem_model->sparse)
		return 0;
	return mm_fail(err, -EOPNOTSUPP, MM_CAUSE_UNSUPPORTED,
		       "%s is not possible with %s: memory hotplug and memory blocks need "
		       "SPARSEMEM", what, mm->mem_model->name);
}

/* CONFIG_ZONE_DEVICE depends on SPARSEMEM_VMEMMAP (sub-section struct pages, no holes). */
int memory_model_check_zone_device(const struct mm_model *mm, const char *what,
				   struct mm_err *err)
{
	if (mm->mem_model->zone_device)
		return 0;
	return mm_fail(err, -EOPNOTSUPP, MM_CAUSE_UNSUPPORTED,
		       "%s is not possible with %s: ZONE_DEVICE needs SPARSEMEM_VMEMMAP",
		       what, mm->mem_model->name);
}
