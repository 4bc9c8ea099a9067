/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the configuration parser (pmm_config_parse_text), as pmm-hotplugd reads a
 * configuration file. A refusal must say why (naming the key); an accepted configuration must
 * hold the invariants config.c promises: a power-of-two block size of at least a section,
 * page-aligned boot ranges and block-aligned managed regions inside MAX_PHYSMEM_BITS, no two
 * boot ranges, regions or namespaces overlapping.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"

#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "fuzz-config: " __VA_ARGS__); \
	fputc('\n', stderr); abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return a < b + bs && b < a + as;
}

static void check_accepted(const struct pmm_config *c)
{
	const struct mm_arch *a = c->arch;
	uint64_t page = UINT64_C(1) << a->page_shift, section = UINT64_C(1) << a->section_size_bits;
	uint64_t limit = UINT64_C(1) << a->max_physmem_bits;
	size_t i, j;

	CHECK(c->block_size && !(c->block_size & (c->block_size - 1)) && c->block_size >= section,
	      "accepted block size 0x%llx", (unsigned long long)c->block_size);
	CHECK(c->nr_boot > 0, "accepted a configuration without boot memory");
	for (i = 0; i < c->nr_boot; i++) {
		const struct pmm_boot_range *b = &c->boot[i];

		CHECK(b->size && !(b->start % page) && !(b->size % page) && b->start + b->size > b->start &&
		      b->start + b->size <= limit, "accepted boot range %zu", i);
		for (j = 0; j < i; j++)
			CHECK(!overlap(b->start, b->size, c->boot[j].start, c->boot[j].size),
			      "accepted overlapping boot ranges %zu and %zu", j, i);
	}
	for (i = 0; i < c->nr_regions; i++) {
		const struct pmm_region *r = &c->regions[i];

		CHECK(r->size && !(r->start % c->block_size) && !(r->size % c->block_size) &&
		      r->start + r->size > r->start && r->start + r->size <= limit,
		      "accepted managed region %zu", i);
		for (j = 0; j < i; j++)
			CHECK(!overlap(r->start, r->size, c->regions[j].start, c->regions[j].size),
			      "accepted overlapping regions %zu and %zu", j, i);
	}
	for (i = 0; i < c->nr_namespaces; i++) {
		const struct pmm_ns_config *n = &c->namespaces[i];

		CHECK(n->size && n->start + n->size > n->start && n->start + n->size <= limit &&
		      n->name[0], "accepted namespace %zu", i);
		for (j = 0; j < i; j++)
			CHECK(strcmp(n->name, c->namespaces[j].name) &&
			      !overlap(n->start, n->size, c->namespaces[j].start, c->namespaces[j].size),
			      "accepted clashing namespaces %zu and %zu", j, i);
	}
	CHECK(c->state_dir && *c->state_dir, "accepted an empty state_dir");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pmm_config cfg;
	char *text = malloc(size + 1), *err = NULL;
	int r;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	r = pmm_config_parse_text(text, "fuzz.json", &cfg, &err);
	if (r == 0) {
		CHECK(!err, "success with an error message: %s", err);
		check_accepted(&cfg);
		pmm_config_free(&cfg);
	} else {
		/* every refusal says where: the file and a key or a line */
		CHECK(r == -ENOMEM || (err && strstr(err, "fuzz.json")), "refusal %d without a message naming the file: %s",
		      r, err ? err : "(none)");
		free(err);
	}
	free(text);
	return 0;
}
