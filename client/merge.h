/* SPDX-License-Identifier: MIT */
/*
 * lsmem-style merging of the daemon's per-block listing. The daemon always sends one object per
 * memory block ({"blocks":[...]}); a table row stands for a run of consecutive blocks that agree
 * in everything shown, as lsmem does with its default columns. JSON output is never merged.
 */
#ifndef PMM_CLIENT_MERGE_H
#define PMM_CLIENT_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * One table row. Invariant: blocks first_id..last_id are all present, contiguous in physical
 * address (start + size of one is the start of the next) and equal in state, zone, node,
 * removable and managed.
 */
struct block_run {
	uint64_t first_id, last_id;
	uint64_t start, size;
	char state[16];      /* online | offline | going-offline */
	char zone[16];       /* "" when the block has no zone (offline) */
	int64_t node;
	bool removable, managed;
};

/*
 * Parse a List("blocks") document and return its runs sorted by address, merged unless
 * one_per_block. Returns 0, or -EBADMSG when the document is not the contract's shape, -ENOMEM.
 * *runs is malloc'ed (NULL when there are no blocks).
 */
int pmm_merge_blocks(const char *json, bool one_per_block, struct block_run **runs, size_t *nr);

#endif
