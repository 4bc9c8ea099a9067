/* SPDX-License-Identifier: MIT */
/* Merge the per-block listing into lsmem-like runs (see merge.h). */
#include "merge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "pmm-json-fields.h"
#include "pmm-names.h"

static bool get_u64(json_object *o, const char *key, uint64_t *v)
{
	json_object *f;

	if (!json_object_object_get_ex(o, key, &f) || !json_object_is_type(f, json_type_int))
		return false;
	*v = json_object_get_uint64(f);
	return true;
}

static bool get_bool(json_object *o, const char *key, bool *v)
{
	json_object *f;

	if (!json_object_object_get_ex(o, key, &f) || !json_object_is_type(f, json_type_boolean))
		return false;
	*v = json_object_get_boolean(f);
	return true;
}

/* A string field, or null / absent read as "" (zone of an offline block). */
static bool get_str(json_object *o, const char *key, char *buf, size_t len, bool nullable)
{
	json_object *f;

	buf[0] = '\0';
	if (!json_object_object_get_ex(o, key, &f) || !f)
		return nullable;
	if (!json_object_is_type(f, json_type_string))
		return false;
	snprintf(buf, len, "%s", json_object_get_string(f));
	return true;
}

/* One block object of the contract (id start size state zone ... node removable managed). */
static int block_from_json(json_object *o, struct block_run *b)
{
	json_object *node;

	if (!json_object_is_type(o, json_type_object) ||
	    !get_u64(o, PMM_J_ID, &b->first_id) ||
	    !get_u64(o, PMM_J_START, &b->start) ||
	    !get_u64(o, PMM_J_SIZE, &b->size) ||
	    !get_str(o, PMM_J_STATE, b->state, sizeof(b->state), false) ||
	    !get_str(o, PMM_J_ZONE, b->zone, sizeof(b->zone), true) ||
	    !get_bool(o, PMM_J_REMOVABLE, &b->removable) ||
	    !get_bool(o, PMM_J_MANAGED, &b->managed))
		return -EBADMSG;
	/* NUMA_NO_NODE may come as -1 or null */
	b->node = -1;
	if (json_object_object_get_ex(o, PMM_J_NODE, &node) && node) {
		if (!json_object_is_type(node, json_type_int))
			return -EBADMSG;
		b->node = json_object_get_int64(node);
	}
	b->last_id = b->first_id;
	return 0;
}

static int cmp_start(const void *a, const void *b)
{
	const struct block_run *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Can block b extend run r? Same rule as lsmem: adjacent and alike in every shown column. */
static bool run_extends(const struct block_run *r, const struct block_run *b)
{
	return b->first_id == r->last_id + 1 &&
	       b->start == r->start + r->size &&
	       strcmp(b->state, r->state) == 0 &&
	       strcmp(b->zone, r->zone) == 0 &&
	       b->node == r->node &&
	       b->removable == r->removable &&
	       b->managed == r->managed;
}

int pmm_merge_blocks(const char *json, bool one_per_block, struct block_run **runs, size_t *nr)
{
	json_object *root = json_tokener_parse(json), *arr;
	struct block_run *v = NULL;
	size_t n, out = 0;
	int r = -EBADMSG;

	*runs = NULL;
	*nr = 0;
	if (!root || !json_object_object_get_ex(root, PMM_LIST_BLOCKS, &arr) ||
	    !json_object_is_type(arr, json_type_array))
		goto out;
	n = json_object_array_length(arr);
	if (n) {
		v = calloc(n, sizeof(*v));
		if (!v) {
			r = -ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		r = block_from_json(json_object_array_get_idx(arr, i), &v[i]);
		if (r < 0)
			goto out;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_start);
	for (size_t i = 0; i < n; i++) {
		if (!one_per_block && out && run_extends(&v[out - 1], &v[i])) {
			v[out - 1].last_id = v[i].first_id;
			v[out - 1].size += v[i].size;
			continue;
		}
		v[out++] = v[i];
	}
	*runs = v;
	*nr = out;
	v = NULL;
	r = 0;
out:
	free(v);
	json_object_put(root);
	return r;
}
