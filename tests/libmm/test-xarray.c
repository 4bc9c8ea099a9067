/* SPDX-License-Identifier: MIT */
/* The sparse index behind memory blocks: load/store/erase/find against a reference list. */
#include "test-util.h"

#define N 2000

static uint64_t keys[N];
static int present[N];

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* the smallest stored key >= from, by brute force */
static int ref_find(uint64_t from, uint64_t *out)
{
	int found = 0;

	for (int i = 0; i < N; i++)
		if (present[i] && keys[i] >= from && (!found || keys[i] < *out)) {
			*out = keys[i];
			found = 1;
		}
	return found;
}

int main(void)
{
	struct xarray xa = { 0 };
	uint64_t seed = 0x9e3779b97f4a7c15ULL, idx, want = 0;
	int bad = 0, i;

	ok(xa_load(&xa, 0) == NULL && xa_find(&xa, &(uint64_t){ 0 }) == NULL,
	   "an empty index holds nothing");

	/* keys spread over small ids, the 2^25 block ids of 52-bit x86, and the top of 64 bits */
	for (i = 0; i < N; i++) {
		switch (i % 4) {
		case 0: keys[i] = rnd(&seed) % 4096; break;
		case 1: keys[i] = rnd(&seed) % (1ULL << 25); break;
		case 2: keys[i] = rnd(&seed); break;
		default: keys[i] = UINT64_MAX - (rnd(&seed) % 64); break;
		}
		for (int j = 0; j < i; j++)
			if (keys[j] == keys[i])
				keys[i] = rnd(&seed) | 1ULL << 63;
	}
	for (i = 0; i < N; i++) {
		bad |= xa_store(&xa, keys[i], &keys[i]) != 0;
		present[i] = 1;
	}
	ok(!bad, "%d stores succeed", N);
	for (i = 0, bad = 0; i < N; i++)
		bad |= xa_load(&xa, keys[i]) != &keys[i];
	ok(!bad, "every key loads its entry");
	for (i = 0; i < N; i += 3) {
		bad |= xa_erase(&xa, keys[i]) != &keys[i];
		present[i] = 0;
	}
	ok(!bad, "erase returns the entry it removes");
	for (i = 0, bad = 0; i < N; i++)
		bad |= xa_load(&xa, keys[i]) != (present[i] ? &keys[i] : NULL);
	ok(!bad, "erased keys are gone, the others stay");

	/* ordered iteration equals the sorted reference */
	idx = 0;
	bad = 0;
	for (;;) {
		int have = ref_find(idx, &want);
		uint64_t *e = xa_find(&xa, &idx);

		if (!e) {
			bad |= have;
			break;
		}
		bad |= !have || *e != idx || idx != want;
		if (idx == UINT64_MAX)
			break;
		idx++;
	}
	ok(!bad, "xa_find walks the keys in ascending order");

	for (i = 0; i < N; i++)
		if (present[i])
			xa_erase(&xa, keys[i]);
	ok(xa.head == NULL, "erasing every key frees every node");
	xa_destroy(&xa);
	return tap_done();
}
