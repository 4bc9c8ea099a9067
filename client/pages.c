/* SPDX-License-Identifier: MIT */
/* get-pages, put-pages, pfn, lookup: page references and what the model knows about a pfn. */
#include "pmmctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "pmm-json-fields.h"
#include "table.h"

/* The pfn shape of the contract, in order; LookupPfn leaves out what is null. */
static const char *const pfn_fields[] = {
	PMM_J_PFN, PMM_J_VALID, PMM_J_ONLINE, PMM_J_SECTION, PMM_J_SUBSECTION, PMM_J_BLOCK,
	PMM_J_ZONE, PMM_J_NODE, PMM_J_REFCOUNT, PMM_J_FLAGS, PMM_J_MEMMAP, PMM_J_PGMAP, NULL
};

int verb_get_put_pages(struct pmmctl *ctx, int argc, char **argv)
{
	const struct verb *v = pmm_verb_lookup(argv[0]);
	bool get = strcmp(v->name, "get-pages") == 0;
	_cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
	uint64_t pfn, count;
	char **pos;
	int npos, r;

	r = pmm_parse_verb(ctx, v, argc, argv, "", NULL, NULL, NULL, &pos, &npos);
	if (!r)
		r = pmm_arg_size(ctx, "PFN", pos[0], &pfn);
	if (!r)
		r = pmm_arg_size(ctx, "COUNT", pos[1], &count);
	if (!r)
		r = pmm_new_call(ctx, &m, get ? "GetPages" : "PutPages");
	if (r)
		return r;
	r = sd_bus_message_append(m, "tt", pfn, count);
	if (r < 0)
		return pmm_report_error(ctx, NULL, r);
	r = pmm_call(ctx, m, 0, &reply);
	if (r)
		return r;
	if (ctx->json) {
		_cleanup_json_ json_object *o = json_object_new_object();

		json_object_object_add(o, PMM_J_PFN, json_object_new_uint64(pfn));
		json_object_object_add(o, "count", json_object_new_uint64(count));
		pmm_json_print(o);
	} else {
		printf("%s one reference on %" PRIu64 " page%s at pfn 0x%" PRIx64 "\n",
		       get ? "took" : "dropped", count, count == 1 ? "" : "s", pfn);
	}
	return PMM_EXIT_OK;
}

static void print_pfn_line(const char *label, const char *value)
{
	printf("%11s: %s\n", label, value ? value : "-");
}

/* One value of the pfn sheet. */
static const char *pfn_value(json_object *info, const char *field, char *buf, size_t len)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(info, field, &v) || !v)
		return NULL;
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v) ? "yes" : "no";
	if (strcmp(field, PMM_J_PFN) == 0)
		return fmt_hex(json_object_get_uint64(v), buf, len);
	if (json_object_is_type(v, json_type_array)) {
		size_t o = 0, n = json_object_array_length(v);

		buf[0] = '\0';
		for (size_t i = 0; i < n && o < len; i++)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "",
					      json_object_get_string(json_object_array_get_idx(v, i)));
		return n ? buf : NULL;
	}
	snprintf(buf, len, "%s", json_object_get_string(v));
	return buf;
}

/* LookupPfn(pfn) as the contract's pfn object: 0, or an exit status (the error reported). */
int pmm_lookup_pfn(struct pmmctl *ctx, uint64_t pfn, json_object **info)
{
	_cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_json_ json_object *dict = NULL;
	int r;

	*info = NULL;
	r = pmm_new_call(ctx, &m, "LookupPfn");
	if (r)
		return r;
	r = sd_bus_message_append(m, "t", pfn);
	if (r < 0)
		return pmm_report_error(ctx, NULL, r);
	r = pmm_call(ctx, m, 0, &reply);
	if (r)
		return r;
	r = pmm_json_read_dict(reply, &dict);
	if (r < 0)
		return pmm_report_error(ctx, NULL, r);
	*info = pmm_json_ordered(dict, pfn_fields);
	return *info ? 0 : pmm_report_error(ctx, NULL, -ENOMEM);
}

/* LookupPfn(pfn) and print it; address (for `lookup`) is shown when not NULL. */
static int lookup_pfn(struct pmmctl *ctx, uint64_t pfn, const uint64_t *address)
{
	_cleanup_json_ json_object *info = NULL;
	int r;

	r = pmm_lookup_pfn(ctx, pfn, &info);
	if (r)
		return r;
	if (ctx->json) {
		pmm_json_print(info);
		return PMM_EXIT_OK;
	}
	if (address) {
		char buf[32];

		print_pfn_line("address", fmt_hex(*address, buf, sizeof(buf)));
	}
	for (size_t i = 0; pfn_fields[i]; i++) {
		char buf[512];

		print_pfn_line(pfn_fields[i], pfn_value(info, pfn_fields[i], buf, sizeof(buf)));
	}
	return PMM_EXIT_OK;
}

int verb_pfn(struct pmmctl *ctx, int argc, char **argv)
{
	uint64_t pfn;
	char **pos;
	int npos, r;

	r = pmm_parse_verb(ctx, pmm_verb_lookup("pfn"), argc, argv, "", NULL, NULL, NULL, &pos,
			   &npos);
	if (!r)
		r = pmm_arg_size(ctx, "PFN", pos[0], &pfn);
	return r ? r : lookup_pfn(ctx, pfn, NULL);
}

int verb_lookup(struct pmmctl *ctx, int argc, char **argv)
{
	uint64_t address, page_size;
	char **pos;
	int npos, r;

	r = pmm_parse_verb(ctx, pmm_verb_lookup("lookup"), argc, argv, "", NULL, NULL, NULL, &pos,
			   &npos);
	if (!r)
		r = pmm_arg_size(ctx, "ADDRESS", pos[0], &address);
	if (!r)
		r = pmm_get_u64(ctx, "PageSize", &page_size);
	if (r)
		return r;
	if (!page_size) {
		fprintf(stderr, "pmmctl: lookup: the daemon reports a page size of 0\n");
		return PMM_EXIT_REFUSED;
	}
	return lookup_pfn(ctx, address / page_size, &address);
}
