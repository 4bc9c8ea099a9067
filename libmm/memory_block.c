/* SPDX-License-Identifier: MIT */
/*
 * Memory blocks (drivers/base/memory.c): the sysfs memory<id> devices, kept in a sparse index by
 * id, and what their attributes print (state, valid_zones, removable, node).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct memory_block *find_memory_block_by_id(const struct mm_model *mm, uint64_t id)
{
	return xa_load(&mm->memory_blocks, id);
}

struct memory_block *next_memory_block(const struct mm_model *mm, uint64_t *id)
{
	return xa_find(&mm->memory_blocks, id);
}

/* add_memory_block(): -EEXIST for a registered id, -ENOMEM. */
int add_memory_block(struct mm_model *mm, uint64_t block_id, enum mm_block_state state,
		     int nid, struct vmem_altmap *altmap, bool early)
{
	struct memory_block *mem;
	int ret;

	if (find_memory_block_by_id(mm, block_id))
		return -EEXIST;
	mem = calloc(1, sizeof(*mem));
	if (!mem)
		return -ENOMEM;
	mem->start_section_nr = block_id * mm->geo.sections_per_block;
	mem->state = state;
	mem->nid = nid;
	mem->altmap = altmap;
	mem->early = early;
	ret = xa_store(&mm->memory_blocks, block_id, mem);
	if (ret) {
		free(mem);
		return ret;
	}
	mm->nr_memory_blocks++;
	return 0;
}

/* Unregister a block. Its altmap belongs to the caller (remove_memory_blocks_and_altmaps()). */
void remove_memory_block(struct mm_model *mm, uint64_t block_id)
{
	struct memory_block *mem = xa_erase(&mm->memory_blocks, block_id);

	if (!mem)
		return;
	free(mem);
	mm->nr_memory_blocks--;
}

/* create_memory_block_devices(): new blocks are MEM_OFFLINE; partial failure is undone. */
int create_memory_block_devices(struct mm_model *mm, uint64_t start, uint64_t size, int nid,
				struct vmem_altmap *altmap)
{
	uint64_t first = start / mm->geo.block_size, last = (start + size) / mm->geo.block_size;
	int ret;

	if (!IS_ALIGNED(start, mm->geo.block_size) || !IS_ALIGNED(size, mm->geo.block_size))
		return -EINVAL;
	for (uint64_t id = first; id < last; id++) {
		ret = add_memory_block(mm, id, MEM_OFFLINE, nid, altmap, false);
		if (ret) {
			while (id-- > first)
				remove_memory_block(mm, id);
			return ret;
		}
	}
	return 0;
}

void remove_memory_block_devices(struct mm_model *mm, uint64_t start, uint64_t size)
{
	for (uint64_t id = start / mm->geo.block_size; id < (start + size) / mm->geo.block_size;
	     id++)
		remove_memory_block(mm, id);
}

void memory_blocks_destroy(struct mm_model *mm)
{
	struct memory_block *mem;
	uint64_t id = 0;

	while ((mem = next_memory_block(mm, &id))) {
		free(mem->altmap);
		remove_memory_block(mm, id);
	}
	xa_destroy(&mm->memory_blocks);
	mm->nr_memory_blocks = 0;
}

static void append(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s%s", n ? " " : "", s);
}

/*
 * valid_zones_show(): an online block prints its zone, or "none" if it spans zones; an offline
 * block prints the zone a plain "online" would pick, then the zones online_kernel and
 * online_movable would pick when they differ from it.
 */
static void memory_block_valid_zones(const struct mm_model *mm, const struct memory_block *mem,
				     char *buf, size_t len)
{
	struct mm_model *m = (struct mm_model *)mm;
	uint64_t start_pfn = memory_block_start_pfn(mm, mem), nr = pages_per_block(mm);
	static const enum mm_online_type others[] = { MMOP_ONLINE_KERNEL, MMOP_ONLINE_MOVABLE };
	struct zone *def;

	buf[0] = '\0';
	if (mem->state == MEM_ONLINE) {
		append(buf, len, mem->zone ? mm_zone_name(mem->zone->idx) : "none");
		return;
	}
	if (mem->nid < 0) {
		append(buf, len, "none");
		return;
	}
	def = zone_for_pfn_range(mm, m->node_data, MMOP_ONLINE, mem->nid, start_pfn, nr);
	append(buf, len, mm_zone_name(def->idx));
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		struct zone *z = zone_for_pfn_range(mm, m->node_data, others[i], mem->nid,
						    start_pfn, nr);

		if (z != def)
			append(buf, len, mm_zone_name(z->idx));
	}
}

/* removable: the legacy sysfs attribute, always 1 when CONFIG_MEMORY_HOTREMOVE is built. */
void memory_block_fill_info(const struct mm_model *mm, uint64_t id,
			    const struct memory_block *mem, struct mm_block_info *out)
{
	memset(out, 0, sizeof(*out));
	out->id = id;
	out->start = PFN_PHYS(mm, memory_block_start_pfn(mm, mem));
	out->size = mm->geo.block_size;
	out->state = mem->state;
	out->zone = (mem->state == MEM_ONLINE && mem->zone) ? (int)mem->zone->idx : -1;
	out->nid = mem->nid;
	out->removable = true;
	out->early = mem->early;
	out->has_altmap = mem->altmap != NULL;
	out->altmap_pages = mem->altmap ? mem->altmap->free : 0;
	memory_block_valid_zones(mm, mem, out->valid_zones, sizeof(out->valid_zones));
}

size_t mm_nr_memory_blocks(const struct mm_model *mm)
{
	return mm->nr_memory_blocks;
}

int mm_memory_block_info(const struct mm_model *mm, uint64_t id, struct mm_block_info *out)
{
	const struct memory_block *mem = find_memory_block_by_id(mm, id);

	mm_clear_error(mm);
	if (!mem)
		return mm_fail(mm_errp(mm), -ENOENT, MM_CAUSE_NOENT,
			       "memory block %" PRIu64 " does not exist", id);
	memory_block_fill_info(mm, id, mem, out);
	return 0;
}

int mm_for_each_memory_block(const struct mm_model *mm,
			     int (*fn)(const struct mm_block_info *b, void *arg), void *arg)
{
	struct memory_block *mem;
	uint64_t id = 0;

	while ((mem = next_memory_block(mm, &id))) {
		struct mm_block_info info;
		int ret;

		memory_block_fill_info(mm, id, mem, &info);
		ret = fn(&info, arg);
		if (ret)
			return ret;
		if (id == UINT64_MAX)
			break;
		id++;
	}
	return 0;
}
