/* SPDX-License-Identifier: MIT */
/*
 * pmmctl list: List(kind) from the daemon. --json re-emits the daemon's document unchanged (one
 * stable shape); tables merge consecutive alike blocks as lsmem does, unless --all.
 */
#include "pmmctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "merge.h"
#include "pmm-json-fields.h"
#include "table.h"

static const char *const list_kinds[] = {
	PMM_LIST_BLOCKS, PMM_LIST_RANGES, PMM_LIST_SECTIONS, PMM_LIST_NAMESPACES, NULL
};

/* -------------------------------------------------------------- blocks (merged) */

static const struct table_column block_columns[] = {
	{ "RANGE", TABLE_LEFT }, { "SIZE", TABLE_RIGHT }, { "STATE", TABLE_LEFT },
	{ "ZONE", TABLE_LEFT }, { "NODE", TABLE_RIGHT }, { "REMOVABLE", TABLE_LEFT },
	{ "MANAGED", TABLE_LEFT }, { "BLOCK", TABLE_LEFT },
};

static int print_blocks(const struct pmmctl *ctx, const char *json, bool all)
{
	_cleanup_table_ struct table *t = table_new(block_columns, ELEMENTSOF(block_columns));
	_cleanup_free_ struct block_run *runs = NULL;
	uint64_t online = 0, offline = 0, block_size = 0;
	size_t n;
	char sz[32];
	int r;

	if (!t)
		return -ENOMEM;
	r = pmm_merge_blocks(json, all, &runs, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const struct block_run *b = &runs[i];
		char range[48], size[32], node[24], blocks[48];
		const char *cells[ELEMENTSOF(block_columns)];

		if (b->first_id == b->last_id)
			snprintf(blocks, sizeof(blocks), "%" PRIu64, b->first_id);
		else
			snprintf(blocks, sizeof(blocks), "%" PRIu64 "-%" PRIu64, b->first_id,
				 b->last_id);
		snprintf(node, sizeof(node), "%" PRId64, b->node);
		cells[0] = fmt_range(b->start, b->size, range, sizeof(range));
		cells[1] = fmt_size(b->size, ctx->bytes, size, sizeof(size));
		cells[2] = b->state;
		cells[3] = b->zone[0] ? b->zone : NULL;
		cells[4] = b->node >= 0 ? node : NULL;
		cells[5] = b->removable ? "yes" : "no";
		cells[6] = b->managed ? "yes" : "no";
		cells[7] = blocks;
		if (table_add_row(t, cells) < 0)
			return -ENOMEM;
		if (strcmp(b->state, "online") == 0)
			online += b->size;
		else
			offline += b->size;
		block_size = b->size / (b->last_id - b->first_id + 1);
	}
	table_print(t, stdout);
	/* lsmem's summary */
	printf("\n%-25s%s\n", "Memory block size:", fmt_size(block_size, ctx->bytes, sz, sizeof(sz)));
	printf("%-25s%s\n", "Total online memory:", fmt_size(online, ctx->bytes, sz, sizeof(sz)));
	printf("%-25s%s\n", "Total offline memory:", fmt_size(offline, ctx->bytes, sz, sizeof(sz)));
	return 0;
}

/* -------------------------------------------------------------- generic listings */

enum cell_kind {
	C_STR,     /* string, null → "-" */
	C_INT,     /* integer */
	C_BOOL,    /* yes / no */
	C_SIZE,    /* human size, bytes with -b */
	C_RANGE,   /* start + size → lsmem RANGE */
	C_HEX,     /* 0x... */
};

struct list_column {
	struct table_column col;
	const char *field;
	enum cell_kind kind;
};

static const struct list_column range_columns[] = {
	{ { "ID", TABLE_RIGHT }, PMM_J_ID, C_INT },
	{ { "KIND", TABLE_LEFT }, PMM_J_KIND, C_STR },
	{ { "RANGE", TABLE_LEFT }, NULL, C_RANGE },
	{ { "SIZE", TABLE_RIGHT }, PMM_J_SIZE, C_SIZE },
	{ { "NODE", TABLE_RIGHT }, PMM_J_NODE, C_INT },
	{ { "TYPE", TABLE_LEFT }, PMM_J_TYPE, C_STR },
	{ { "MAP", TABLE_LEFT }, PMM_J_MAP, C_STR },
	{ { "ALIGN", TABLE_RIGHT }, PMM_J_ALIGN, C_SIZE },
	{ { "REFS", TABLE_RIGHT }, PMM_J_REFS, C_INT },
	{ { "NAMESPACE", TABLE_LEFT }, PMM_J_NAMESPACE, C_STR },
};

static const struct list_column section_columns[] = {
	{ { "NR", TABLE_RIGHT }, PMM_J_NR, C_INT },
	{ { "START", TABLE_LEFT }, PMM_J_START, C_HEX },
	{ { "PRESENT", TABLE_LEFT }, PMM_J_PRESENT, C_BOOL },
	{ { "ONLINE", TABLE_LEFT }, PMM_J_ONLINE, C_BOOL },
	{ { "EARLY", TABLE_LEFT }, PMM_J_EARLY, C_BOOL },
	{ { "MEMMAP", TABLE_LEFT }, PMM_J_HAS_MEMMAP, C_BOOL },
	{ { "DEVICE", TABLE_LEFT }, PMM_J_ZONE_DEVICE, C_BOOL },
	{ { "SUBSECTIONS", TABLE_LEFT }, PMM_J_SUBSECTIONS, C_STR },
};

static const struct list_column namespace_columns[] = {
	{ { "DEV", TABLE_LEFT }, PMM_J_DEV, C_STR },
	{ { "MODE", TABLE_LEFT }, PMM_J_MODE, C_STR },
	{ { "RANGE", TABLE_LEFT }, NULL, C_RANGE },
	{ { "SIZE", TABLE_RIGHT }, PMM_J_SIZE, C_SIZE },
	{ { "ALIGN", TABLE_RIGHT }, PMM_J_ALIGN, C_SIZE },
	{ { "NODE", TABLE_RIGHT }, PMM_J_NUMA_NODE, C_INT },
	{ { "MAP", TABLE_LEFT }, PMM_J_MAP, C_STR },
	{ { "SOURCE", TABLE_LEFT }, PMM_J_SOURCE, C_STR },
	{ { "IN-USE", TABLE_LEFT }, PMM_J_IN_USE, C_BOOL },
};

/* One cell of a generic listing; NULL means "-". */
static const char *format_cell(const struct pmmctl *ctx, json_object *o,
			       const struct list_column *c, char *buf, size_t len)
{
	json_object *v = NULL;
	uint64_t start, size;
	bool b;

	if (c->kind == C_RANGE) {
		if (!pmm_json_get_u64(o, PMM_J_START, &start) ||
		    !pmm_json_get_u64(o, PMM_J_SIZE, &size))
			return NULL;
		return fmt_range(start, size, buf, len);
	}
	if (!json_object_object_get_ex(o, c->field, &v) || !v)
		return NULL;
	switch (c->kind) {
	case C_BOOL:
		return pmm_json_get_bool(o, c->field, &b) ? (b ? "yes" : "no") : NULL;
	case C_SIZE:
		return pmm_json_get_u64(o, c->field, &size) ? fmt_size(size, ctx->bytes, buf, len) : NULL;
	case C_HEX:
		return pmm_json_get_u64(o, c->field, &size) ? fmt_hex(size, buf, len) : NULL;
	case C_STR:
		if (json_object_is_type(v, json_type_string) && !*json_object_get_string(v))
			return NULL;
		/* fall through */
	default:
		snprintf(buf, len, "%s", json_object_get_string(v));
		return buf;
	}
}

static int print_listing(const struct pmmctl *ctx, const char *json, const char *kind,
			 const struct list_column *cols, size_t ncols)
{
	struct table_column tcols[16];
	_cleanup_table_ struct table *t = NULL;
	_cleanup_json_ json_object *root = json_tokener_parse(json);
	json_object *arr;

	if (!root || !json_object_object_get_ex(root, kind, &arr) ||
	    !json_object_is_type(arr, json_type_array) || ncols > ELEMENTSOF(tcols))
		return -EBADMSG;
	for (size_t c = 0; c < ncols; c++)
		tcols[c] = cols[c].col;
	t = table_new(tcols, ncols);
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		char bufs[16][64];
		const char *cells[16];

		if (!json_object_is_type(o, json_type_object))
			return -EBADMSG;
		for (size_t c = 0; c < ncols; c++)
			cells[c] = format_cell(ctx, o, &cols[c], bufs[c], sizeof(bufs[c]));
		if (table_add_row(t, cells) < 0)
			return -ENOMEM;
	}
	table_print(t, stdout);
	return 0;
}

/* -------------------------------------------------------------- the verb */

static int list_option(struct pmmctl *ctx, void *data, int opt, const char *arg)
{
	bool *all = data;

	if (opt != 'a')
		return PMM_EXIT_USAGE;
	*all = true;
	return 0;
}

int verb_list(struct pmmctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ 0 }
	};
	const struct verb *v = pmm_verb_lookup("list");
	_cleanup_free_ char *json = NULL;
	const char *kind = PMM_LIST_BLOCKS;
	bool all = false;
	char **pos;
	int npos, r;

	r = pmm_parse_verb(ctx, v, argc, argv, "a", opts, list_option, &all, &pos, &npos);
	if (r)
		return r;
	if (npos == 1) {
		kind = pos[0];
		r = pmm_arg_enum(ctx, "kind", kind, list_kinds);
		if (r)
			return r;
	}
	r = pmm_list(ctx, kind, &json);
	if (r)
		return r;
	if (ctx->json)
		r = pmm_json_reemit(json);
	else if (strcmp(kind, PMM_LIST_BLOCKS) == 0)
		r = print_blocks(ctx, json, all);
	else if (strcmp(kind, PMM_LIST_RANGES) == 0)
		r = print_listing(ctx, json, kind, range_columns, ELEMENTSOF(range_columns));
	else if (strcmp(kind, PMM_LIST_SECTIONS) == 0)
		r = print_listing(ctx, json, kind, section_columns, ELEMENTSOF(section_columns));
	else
		r = print_listing(ctx, json, kind, namespace_columns, ELEMENTSOF(namespace_columns));
	if (r < 0) {
		fprintf(stderr, "pmmctl: list: cannot read the daemon's %s listing: %s\n", kind,
			r == -ENOMEM ? strerror(ENOMEM) : "malformed JSON");
		return PMM_EXIT_REFUSED;
	}
	return PMM_EXIT_OK;
}
