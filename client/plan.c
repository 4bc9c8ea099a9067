/* SPDX-License-Identifier: MIT */
/*
 * pmmctl plan OP ARGS...: the operation's own argument parser, then Plan(op, start, size,
 * options). Nothing changes in the daemon. Exit 1 when the planned operation would fail, so
 * `pmmctl plan X && pmmctl X` does what it reads like.
 */
#include "pmmctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "pmm-json-fields.h"
#include "table.h"

static const char *const plan_ops[] = {
	"add-range", "add-memory", "add-device", "add-namespace", "remove-range", "remove",
	"online", "offline", NULL
};

/*
 * The plan shape of the contract, in order. The daemon's reason for a failing plan is not part
 * of it: it goes to stderr, as a failing operation's message does.
 */
static const char *const plan_fields[] = {
	PMM_J_OK, PMM_J_ERROR, PMM_J_SECTIONS, PMM_J_SUBSECTIONS, PMM_J_BLOCKS,
	PMM_J_MEMMAP_BYTES, PMM_J_MEMMAP_LOCATION, PMM_J_ALTMAP, NULL
};
static const char *const altmap_fields[] = {
	PMM_J_BASE_PFN, PMM_J_RESERVE, PMM_J_FREE, PMM_J_ALLOC, PMM_J_ALIGN, NULL
};

/* The reply in the contract's shape: absent scalars → null, absent arrays → []. */
static json_object *plan_to_json(json_object *dict)
{
	json_object *plan = pmm_json_ordered(dict, plan_fields), *v;
	const char *const arrays[] = { PMM_J_SECTIONS, PMM_J_BLOCKS };

	if (!plan)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(arrays); i++)
		if (json_object_object_get_ex(plan, arrays[i], &v) && !v)
			json_object_object_add(plan, arrays[i], json_object_new_array());
	if (json_object_object_get_ex(plan, PMM_J_ALTMAP, &v) && v)
		json_object_object_add(plan, PMM_J_ALTMAP, pmm_json_ordered(v, altmap_fields));
	return plan;
}

/* "64-71,80": an id list the way people read it. */
static const char *format_id_list(json_object *arr, char *buf, size_t len)
{
	size_t n = arr ? json_object_array_length(arr) : 0, o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && o < len; ) {
		uint64_t first = json_object_get_uint64(json_object_array_get_idx(arr, i)), last = first;
		size_t j = i + 1;

		while (j < n && json_object_get_uint64(json_object_array_get_idx(arr, j)) == last + 1)
			last++, j++;
		if (first == last)
			o += (size_t)snprintf(buf + o, len - o, "%s%" PRIu64, i ? "," : "", first);
		else
			o += (size_t)snprintf(buf + o, len - o, "%s%" PRIu64 "-%" PRIu64, i ? "," : "",
					      first, last);
		i = j;
	}
	return n ? buf : "none";
}

static void print_plan(const struct pmmctl *ctx, const struct pmm_request *req, json_object *plan,
		       const char *message)
{
	json_object *arr = NULL, *altmap = NULL;
	char buf[1024], sz[32];
	uint64_t u;
	bool ok = false;

	pmm_json_get_bool(plan, PMM_J_OK, &ok);
	if (req->op == PMM_REQ_ADD_NAMESPACE)
		printf("%16s: %s %s\n", "operation", pmm_request_op_name(req), req->name);
	else
		printf("%16s: %s %s (%s)\n", "operation", pmm_request_op_name(req),
		       fmt_range(req->start, req->size, buf, sizeof(buf)),
		       fmt_size(req->size, ctx->bytes, sz, sizeof(sz)));
	if (ok) {
		printf("%16s: would succeed\n", "result");
	} else {
		const char *name = pmm_json_get_str(plan, PMM_J_ERROR);
		const char *last = name ? strrchr(name, '.') : NULL;

		printf("%16s: would fail: %s: %s\n", "result", last ? last + 1 : name ? name : "?",
		       message);
	}
	json_object_object_get_ex(plan, PMM_J_SECTIONS, &arr);
	printf("%16s: %s\n", "sections", format_id_list(arr, buf, sizeof(buf)));
	if (pmm_json_get_u64(plan, PMM_J_SUBSECTIONS, &u))
		printf("%16s: %" PRIu64 "\n", "subsections", u);
	json_object_object_get_ex(plan, PMM_J_BLOCKS, &arr);
	printf("%16s: %s\n", "blocks", format_id_list(arr, buf, sizeof(buf)));
	if (pmm_json_get_u64(plan, PMM_J_MEMMAP_BYTES, &u) && u)
		printf("%16s: %s%s%s\n", "memmap", fmt_size(u, ctx->bytes, sz, sizeof(sz)),
		       pmm_json_get_str(plan, PMM_J_MEMMAP_LOCATION) ? " in " : "",
		       pmm_json_get_str(plan, PMM_J_MEMMAP_LOCATION) ?: "");
	else
		printf("%16s: none\n", "memmap");
	if (json_object_object_get_ex(plan, PMM_J_ALTMAP, &altmap) && altmap) {
		printf("%16s:", "altmap");
		/* base_pfn is a pfn (hex); the rest are page counts */
		for (size_t i = 0; altmap_fields[i]; i++)
			if (pmm_json_get_u64(altmap, altmap_fields[i], &u))
				printf(i ? " %s %" PRIu64 : " %s 0x%" PRIx64, altmap_fields[i], u);
		putchar('\n');
	} else {
		printf("%16s: none\n", "altmap");
	}
}

/*
 * Plan() names a namespace by its range (the daemon plans the namespace configured at exactly
 * [start, start + size)), so NAME is looked up in the daemon's own namespace listing.
 */
static int resolve_namespace(struct pmmctl *ctx, struct pmm_request *req)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *json = NULL;
	_cleanup_json_ json_object *root = NULL;
	json_object *arr = NULL;
	int r;

	r = pmm_list(ctx, PMM_LIST_NAMESPACES, &json);
	if (r)
		return r;
	root = json_tokener_parse(json);
	if (root)
		json_object_object_get_ex(root, PMM_LIST_NAMESPACES, &arr);
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *ns = json_object_array_get_idx(arr, i);
		const char *dev = pmm_json_get_str(ns, PMM_J_DEV);

		if (dev && strcmp(dev, req->name) == 0 &&
		    pmm_json_get_u64(ns, PMM_J_START, &req->start) &&
		    pmm_json_get_u64(ns, PMM_J_SIZE, &req->size))
			return 0;
	}
	sd_bus_error_setf(&e, PMM_ERROR_NOT_FOUND,
			  "no namespace \"%s\" is known to the daemon (see pmmctl list namespaces)",
			  req->name);
	return pmm_report_error(ctx, &e, -ENOENT);
}

int verb_plan(struct pmmctl *ctx, int argc, char **argv)
{
	const struct verb *v = pmm_verb_lookup("plan"), *op;
	_cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_json_ json_object *dict = NULL, *plan = NULL;
	struct pmm_request req;
	const char *message, *name, *last;
	bool ok = false;
	char **pos;
	int npos, r;

	/* plan's own (global) options stop at OP; the rest belongs to OP's parser */
	r = pmm_parse_verb(ctx, v, argc, argv, "+", NULL, NULL, NULL, &pos, &npos);
	if (r)
		return r;
	r = pmm_arg_enum(ctx, "OP", pos[0], plan_ops);
	if (r)
		return r;
	op = pmm_verb_lookup(pos[0]);
	ctx->parent = "plan";
	r = pmm_parse_request(ctx, op, npos, pos, &req);
	if (!r)
		r = pmm_request_resolve(ctx, &req);
	ctx->parent = NULL;
	ctx->verb = "plan";
	if (!r && req.op == PMM_REQ_ADD_NAMESPACE)
		r = resolve_namespace(ctx, &req);
	if (!r)
		r = pmm_new_call(ctx, &m, "Plan");
	if (r)
		return r;
	r = sd_bus_message_append(m, "stt", pmm_request_op_name(&req), req.start, req.size);
	if (r >= 0)
		r = pmm_request_append_options(&req, m);
	if (r < 0)
		return pmm_report_error(ctx, NULL, r);
	r = pmm_call(ctx, m, 0, &reply);
	if (r)
		return r;
	r = pmm_json_read_dict(reply, &dict);
	if (r < 0)
		return pmm_report_error(ctx, NULL, r);
	plan = plan_to_json(dict);
	if (!plan)
		return pmm_report_error(ctx, NULL, -ENOMEM);
	pmm_json_get_bool(plan, PMM_J_OK, &ok);
	message = pmm_json_get_str(dict, PMM_J_MESSAGE);
	if (!message || !*message)
		message = "(no reason given)";
	if (ctx->json)
		pmm_json_print(plan);
	else
		print_plan(ctx, &req, plan, message);
	if (ok)
		return PMM_EXIT_OK;
	/* exit 1 reads like the real operation's refusal: "pmmctl: Name: message" on stderr */
	name = pmm_json_get_str(plan, PMM_J_ERROR);
	last = name ? strrchr(name, '.') : NULL;
	fprintf(stderr, "pmmctl: %s: %s\n", last ? last + 1 : name ? name : "Failed", message);
	return PMM_EXIT_REFUSED;
}
