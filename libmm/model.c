/* SPDX-License-Identifier: MIT */
/* Creating and destroying a model; accessors; the last error. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memremap.h"

static void nodes_init(struct mm_model *mm)
{
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		struct pglist_data *pgdat = &mm->node_data[nid];

		memset(pgdat, 0, sizeof(*pgdat));
		pgdat->node_id = nid;
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			pgdat->node_zones[z].idx = (enum mm_zone_type)z;
			pgdat->node_zones[z].nid = nid;
		}
	}
}

int mm_model_create(const struct mm_params *p, struct mm_model **out)
{
	struct mm_err err = { 0 };
	struct mm_geometry geo;
	struct mm_model *mm;
	int ret;

	*out = NULL;
	ret = mm_geometry_compute(p, &geo, &err);
	if (ret)
		return ret;

	mm = calloc(1, sizeof(*mm));
	if (!mm)
		return -ENOMEM;
	mm->params = *p;
	mm->params.block_size = geo.block_size;
	mm->arch = p->arch;
	mm->geo = geo;
	mm->mem_section_size = p->page_ext ? 32 : 16;
	/* PTRS_PER_PMD pages of PAGE_SIZE: 2 MiB (4K), 32 MiB (16K), 512 MiB (64K) */
	mm->pmd_size = geo.page_size * (geo.page_size / sizeof(uint64_t));
	mm->x86_subsection_ignores_altmap = arch_is_x86(p->arch);
	page_flags_layout_init(&mm->pfl, &geo, p->model);
	arch_zone_limits(p->arch, geo.page_shift, geo.max_pfn, mm->max_zone_pfn);
	mm->highest_present_section_nr = -1;
	mm->next_range_id = 1;
	nodes_init(mm);

	/* the memory model's storage: mem_section roots, the vmemmap area (VMEMMAP only) */
	mm->mem_model = memory_model_ops(p->model);
	mm->vmemmap.end_pfn = geo.max_pfn;
	mm->vmemmap.host_page_size = (size_t)sysconf(_SC_PAGESIZE);
	ret = mm->mem_model->init(mm);
	if (ret) {
		free(mm);
		return ret;
	}
	*out = mm;
	return 0;
}

void mm_model_destroy(struct mm_model *mm)
{
	if (!mm)
		return;
	memory_blocks_destroy(mm);
	zone_device_destroy(mm);   /* pgmaps' descriptors; their mappings go with the vmemmap */
	mm->mem_model->release(mm);
	free(mm->memblock);
	free(mm->boot_runs);
	free(mm->resources);
	free(mm);
}

const struct mm_geometry *mm_geometry(const struct mm_model *mm)
{
	return &mm->geo;
}

const struct mm_arch *mm_model_arch(const struct mm_model *mm)
{
	return mm->arch;
}

enum mm_memory_model mm_model_kind(const struct mm_model *mm)
{
	return mm->params.model;
}

const char *mm_last_error(const struct mm_model *mm)
{
	return mm->err.why;
}

enum mm_cause mm_last_cause(const struct mm_model *mm)
{
	return mm->err.cause;
}
