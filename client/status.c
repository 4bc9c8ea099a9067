/* SPDX-License-Identifier: MIT */
/* pmmctl status: Describe() as a key/value sheet, or re-emitted unchanged with --json. */
#include "pmmctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "pmm-json-fields.h"
#include "table.h"

enum field_kind { F_STR, F_SIZE, F_INT };

static const struct status_field {
	const char *label;
	const char *key;
	enum field_kind kind;
} status_fields[] = {
	{ "Version",            PMM_J_VERSION,             F_STR },
	{ "Backend",            PMM_J_BACKEND,             F_STR },
	{ "Architecture",       PMM_J_ARCH,                F_STR },
	{ "Memory model",       PMM_J_MEMORY_MODEL,        F_STR },
	{ "Page size",          PMM_J_PAGE_SIZE,           F_SIZE },
	{ "Section size",       PMM_J_SECTION_SIZE,        F_SIZE },
	{ "Subsection size",    PMM_J_SUBSECTION_SIZE,     F_SIZE },
	{ "Memory block size",  PMM_J_BLOCK_SIZE,          F_SIZE },
	{ "Max physmem bits",   PMM_J_MAX_PHYSMEM_BITS,    F_INT },
	{ "Managed regions",    PMM_J_MANAGED_REGIONS,     F_STR },  /* drawn by print_regions */
	{ "Present memory",     PMM_J_PRESENT_BYTES,       F_SIZE },
	{ "Online memory",      PMM_J_ONLINE_BYTES,        F_SIZE },
	{ "Device memory",      PMM_J_DEVICE_BYTES,        F_SIZE },
	{ "Memmap in RAM",      PMM_J_MEMMAP_RAM_BYTES,    F_SIZE },
	{ "Memmap on devices",  PMM_J_MEMMAP_DEVICE_BYTES, F_SIZE },
	{ "Auto-online blocks", PMM_J_AUTO_ONLINE_BLOCKS,  F_STR },
};

#define LABEL_WIDTH 19

static void print_regions(const struct pmmctl *ctx, json_object *status)
{
	json_object *arr;
	size_t n = 0;

	if (json_object_object_get_ex(status, PMM_J_MANAGED_REGIONS, &arr) &&
	    json_object_is_type(arr, json_type_array))
		n = json_object_array_length(arr);
	if (!n)
		printf("%*s: none\n", LABEL_WIDTH, "Managed regions");
	for (size_t i = 0; i < n; i++) {
		json_object *reg = json_object_array_get_idx(arr, i);
		uint64_t start = 0, size = 0;
		char range[48], sz[32];

		pmm_json_get_u64(reg, PMM_J_START, &start);
		pmm_json_get_u64(reg, PMM_J_SIZE, &size);
		printf("%*s%s %s (%s)\n", LABEL_WIDTH, i ? "" : "Managed regions", i ? "  " : ":",
		       fmt_range(start, size, range, sizeof(range)),
		       fmt_size(size, ctx->bytes, sz, sizeof(sz)));
	}
}

static void print_status(const struct pmmctl *ctx, json_object *status)
{
	for (size_t i = 0; i < ELEMENTSOF(status_fields); i++) {
		const struct status_field *f = &status_fields[i];
		json_object *v = NULL;
		char buf[32];
		uint64_t u;

		if (strcmp(f->key, PMM_J_MANAGED_REGIONS) == 0) {
			print_regions(ctx, status);
			continue;
		}
		json_object_object_get_ex(status, f->key, &v);
		printf("%*s: ", LABEL_WIDTH, f->label);
		if (f->kind == F_SIZE && pmm_json_get_u64(status, f->key, &u))
			puts(fmt_size(u, ctx->bytes, buf, sizeof(buf)));
		else if (v)
			puts(json_object_get_string(v));
		else
			puts("-");
	}
}

int verb_status(struct pmmctl *ctx, int argc, char **argv)
{
	const struct verb *v = pmm_verb_lookup("status");
	_cleanup_free_ char *json = NULL;
	_cleanup_json_ json_object *status = NULL;
	char **pos;
	int npos, r;

	r = pmm_parse_verb(ctx, v, argc, argv, "", NULL, NULL, NULL, &pos, &npos);
	if (r)
		return r;
	r = pmm_describe(ctx, &json);
	if (r)
		return r;
	if (ctx->json)
		r = pmm_json_reemit(json);
	else {
		status = json_tokener_parse(json);
		r = status ? 0 : -EBADMSG;
		if (!r)
			print_status(ctx, status);
	}
	if (r < 0) {
		fprintf(stderr, "pmmctl: status: the daemon sent malformed JSON\n");
		return PMM_EXIT_REFUSED;
	}
	return PMM_EXIT_OK;
}
