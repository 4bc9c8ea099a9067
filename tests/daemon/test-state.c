/* SPDX-License-Identifier: MIT */
/*
 * The daemon's page-reference runs (state.c) against a brute-force array: random +1/-1 over
 * random ranges, the runs must stay sorted, disjoint, non-empty, merged, and equal the array.
 */
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "daemon/daemon.h"

#define SPAN 256

static int runs_match(const struct pmm_refs *refs, const unsigned int *ref, char *why, size_t len)
{
	unsigned int expect[SPAN] = { 0 };
	size_t i;
	uint64_t p;

	for (i = 0; i < refs->n; i++) {
		const struct pmm_ref_run *r = &refs->v[i];

		if (!r->count || !r->refs) {
			snprintf(why, len, "run %zu empty", i);
			return 0;
		}
		if (i && refs->v[i - 1].pfn + refs->v[i - 1].count > r->pfn) {
			snprintf(why, len, "run %zu overlaps or is out of order", i);
			return 0;
		}
		if (i && refs->v[i - 1].pfn + refs->v[i - 1].count == r->pfn &&
		    refs->v[i - 1].refs == r->refs) {
			snprintf(why, len, "runs %zu and %zu should be merged", i - 1, i);
			return 0;
		}
		for (p = r->pfn; p < r->pfn + r->count; p++) {
			if (p >= SPAN) {
				snprintf(why, len, "run %zu beyond the span", i);
				return 0;
			}
			expect[p] = (unsigned int)r->refs;
		}
	}
	for (p = 0; p < SPAN; p++)
		if (expect[p] != ref[p]) {
			snprintf(why, len, "pfn %llu: runs say %u, truth %u", (unsigned long long)p,
				 expect[p], ref[p]);
			return 0;
		}
	return 1;
}

int main(void)
{
	struct pmm_refs refs = { 0 };
	unsigned int ref[SPAN] = { 0 };
	unsigned int seed = getenv("PMM_TEST_SEED") ? (unsigned int)atoi(getenv("PMM_TEST_SEED")) : 1;
	char why[128] = "";
	int i, good = 1, steps = 0;

	srand(seed);
	/* simple shapes first */
	ok(pmm_refs_add(&refs, 10, 5, +1) == 0 && refs.n == 1 && refs.v[0].pfn == 10 &&
	   refs.v[0].count == 5 && refs.v[0].refs == 1, "one run");
	ok(pmm_refs_add(&refs, 12, 10, +1) == 0 && refs.n == 3 && refs.v[1].pfn == 12 &&
	   refs.v[1].count == 3 && refs.v[1].refs == 2 && refs.v[2].pfn == 15 && refs.v[2].count == 7,
	   "an overlapping get splits into three runs");
	ok(pmm_refs_add(&refs, 12, 10, -1) == 0 && refs.n == 1 && refs.v[0].count == 5,
	   "the matching put merges back to one run");
	ok(pmm_refs_add(&refs, 10, 5, -1) == 0 && refs.n == 0, "the last put empties the map");

	for (i = 0; i < 20000 && good; i++) {
		uint64_t pfn = (uint64_t)(rand() % SPAN), count = 1 + (uint64_t)(rand() % 40), p;
		int delta = rand() % 2 ? +1 : -1;

		if (pfn + count > SPAN)
			count = SPAN - pfn;
		if (delta < 0) {
			/* libmm refuses a put below the idle count: only puts that would pass */
			for (p = pfn; p < pfn + count; p++)
				if (!ref[p])
					break;
			if (p < pfn + count)
				delta = +1;
		}
		if (pmm_refs_add(&refs, pfn, count, delta) < 0) {
			good = 0;
			snprintf(why, sizeof(why), "out of memory");
			break;
		}
		for (p = pfn; p < pfn + count; p++)
			ref[p] = (unsigned int)((int)ref[p] + delta);
		good = runs_match(&refs, ref, why, sizeof(why));
		steps++;
	}
	ok(good, "20000 random get/put steps match the brute-force counts (seed %u, %d steps) %s",
	   seed, steps, why);
	pmm_refs_free(&refs);
	return tap_done();
}
