/* SPDX-License-Identifier: MIT */
/*
 * The lsmem-style merge of pmmctl list (client/merge.c) on fixed List("blocks") documents:
 * consecutive blocks merge only when adjacent and equal in state, zone, node, removable and
 * managed; --all keeps one row per block; malformed documents are refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client/merge.h"
#include "../tap.h"

#define G (1ULL << 30)
#define M128 ((uint64_t)128 << 20)

/* One block object as the daemon sends it (zone null when offline). */
static char *block(char *buf, size_t len, uint64_t id, const char *state, const char *zone,
		   int node, bool removable, bool managed)
{
	char z[32];

	if (zone)
		snprintf(z, sizeof(z), "\"%s\"", zone);
	else
		snprintf(z, sizeof(z), "null");
	snprintf(buf, len, "{\"id\":%" PRIu64 ",\"start\":%" PRIu64 ",\"size\":%" PRIu64 ",\"state\":\"%s\","
		 "\"zone\":%s,\"valid_zones\":[\"Normal\",\"Movable\"],\"removable\":%s,"
		 "\"node\":%d,\"managed\":%s}", id, id * M128, M128, state, z,
		 removable ? "true" : "false", node, managed ? "true" : "false");
	return buf;
}

static void test_lsmem_like(void)
{
	/*
	 * Boot blocks 0-23 online Normal unmanaged (a hole at 24-31, as the embedded default's
	 * PCI hole), 32-63 online Normal unmanaged, then managed: 64-71 online Movable,
	 * 72-75 offline, 76 online Movable on node 1, 77 online Movable.
	 */
	size_t cap = 1 << 16, len = 0, n;
	char *doc = malloc(cap), b[512];
	struct block_run *runs;
	int r;

	len += (size_t)snprintf(doc + len, cap - len, "{\"blocks\":[");
	for (uint64_t id = 0; id < 78; id++) {
		const char *state = "online", *zone = "Normal";
		int node = 0;
		bool managed = id >= 64;

		if (id >= 24 && id < 32)
			continue;
		if (id >= 64)
			zone = "Movable";
		if (id >= 72 && id < 76) {
			state = "offline";
			zone = NULL;
		}
		if (id == 76)
			node = 1;
		len += (size_t)snprintf(doc + len, cap - len, "%s%s", len > 11 ? "," : "",
					block(b, sizeof(b), id, state, zone, node, true, managed));
	}
	snprintf(doc + len, cap - len, "]}");

	r = pmm_merge_blocks(doc, false, &runs, &n);
	is(r, 0, "merge parses the document");
	is(n, 6, "six runs: 0-23, 32-63, 64-71, 72-75, 76, 77");
	if (n == 6) {
		is(runs[0].first_id, 0, "run 0 starts at block 0");
		is(runs[0].last_id, 23, "run 0 ends at block 23 (the hole splits)");
		is(runs[0].size, 24 * M128, "run 0 is 3G");
		is(runs[1].first_id, 32, "run 1 starts after the hole");
		is(runs[1].start, 4 * G, "run 1 starts at 4G");
		is(runs[1].last_id, 63, "run 1 ends at block 63 (managed changes)");
		ok(strcmp(runs[2].zone, "Movable") == 0 && runs[2].managed, "run 2 is managed Movable");
		is(runs[2].last_id, 71, "run 2 = 64-71");
		ok(strcmp(runs[3].state, "offline") == 0 && runs[3].zone[0] == '\0',
		   "run 3 offline with no zone (null read as none)");
		is(runs[3].size, 4 * M128, "run 3 = 4 blocks");
		is(runs[4].node, 1, "node 1 block is its own run");
		ok(runs[4].first_id == 76 && runs[4].last_id == 76, "run 4 = block 76");
		ok(runs[5].first_id == 77 && runs[5].node == 0, "run 5 = block 77 on node 0");
	}
	free(runs);

	r = pmm_merge_blocks(doc, true, &runs, &n);
	is(r, 0, "--all parses");
	is(n, 70, "--all: one row per block (78 - 8 in the hole)");
	if (n == 70)
		ok(runs[24].first_id == 32 && runs[24].last_id == 32, "--all rows are single blocks");
	free(runs);
	free(doc);
}

static void test_order_and_removable(void)
{
	/* out-of-order input is sorted by address; removable and state splits runs */
	char a[512], b[512], c[512], d[512], doc[4096];
	struct block_run *runs;
	size_t n;
	int r;

	snprintf(doc, sizeof(doc), "{\"blocks\":[%s,%s,%s,%s]}",
		 block(c, sizeof(c), 66, "online", "Normal", 0, true, true),
		 block(a, sizeof(a), 64, "online", "Normal", 0, true, true),
		 block(b, sizeof(b), 65, "online", "Normal", 0, false, true),
		 block(d, sizeof(d), 67, "going-offline", "Normal", 0, true, true));
	r = pmm_merge_blocks(doc, false, &runs, &n);
	is(r, 0, "unsorted document parses");
	is(n, 4, "removable and going-offline split: 4 runs");
	if (n == 4) {
		ok(runs[0].first_id == 64 && runs[1].first_id == 65 && runs[2].first_id == 66,
		   "runs sorted by address");
		ok(!runs[1].removable, "block 65 not removable");
		ok(strcmp(runs[3].state, "going-offline") == 0, "going-offline kept as its own state");
	}
	free(runs);

	snprintf(doc, sizeof(doc), "{\"blocks\":[%s,%s]}",
		 block(a, sizeof(a), 64, "online", "Normal", 0, true, true),
		 block(c, sizeof(c), 66, "online", "Normal", 0, true, true));
	r = pmm_merge_blocks(doc, false, &runs, &n);
	ok(r == 0 && n == 2, "a missing block between equal blocks splits the run");
	free(runs);
}

static void test_empty_and_malformed(void)
{
	struct block_run *runs = (struct block_run *)1;
	size_t n = 99;
	int r;

	r = pmm_merge_blocks("{\"blocks\":[]}", false, &runs, &n);
	ok(r == 0 && n == 0 && runs == NULL, "empty listing: zero runs");

	r = pmm_merge_blocks("{\"blocks\":", false, &runs, &n);
	is(r, -EBADMSG, "truncated JSON refused");
	r = pmm_merge_blocks("{\"ranges\":[]}", false, &runs, &n);
	is(r, -EBADMSG, "a listing of another kind refused");
	r = pmm_merge_blocks("{\"blocks\":{}}", false, &runs, &n);
	is(r, -EBADMSG, "blocks not an array refused");
	r = pmm_merge_blocks("{\"blocks\":[{\"id\":1,\"start\":0}]}", false, &runs, &n);
	is(r, -EBADMSG, "a block without size/state refused");
	r = pmm_merge_blocks("{\"blocks\":[{\"id\":\"1\",\"start\":0,\"size\":1,\"state\":\"online\","
			     "\"zone\":null,\"removable\":true,\"node\":0,\"managed\":true}]}",
			     false, &runs, &n);
	is(r, -EBADMSG, "an id that is a string refused");
	r = pmm_merge_blocks("{\"blocks\":[{\"id\":1,\"start\":0,\"size\":1,\"state\":\"online\","
			     "\"zone\":null,\"removable\":true,\"node\":null,\"managed\":true}]}",
			     false, &runs, &n);
	ok(r == 0 && n == 1 && runs[0].node == -1, "node null reads as no node (-1)");
	free(runs);
}

int main(void)
{
	test_lsmem_like();
	test_order_and_removable();
	test_empty_and_malformed();
	return tap_done();
}
