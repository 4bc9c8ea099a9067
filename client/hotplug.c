/* SPDX-License-Identifier: MIT */
/*
 * The mutating verbs: add-range, add-memory, add-device, add-namespace, remove-range (remove),
 * online, offline. Parsing lives in pmm_parse_request() so `plan` parses exactly the same way.
 */
#include "pmmctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "pmm-json-fields.h"
#include "table.h"

enum {
	OPT_DEVICE = 0x200,
	OPT_NODE,
	OPT_ONLINE,
	OPT_NO_ONLINE,
	OPT_MEMMAP_ON_MEMORY,
	OPT_TYPE,
	OPT_MAP,
	OPT_ALIGN,
	OPT_ZONE,
	OPT_BLOCKS,
};

/* Which verbs take an option: a bit per enum pmm_req_op, plus add-range (which takes both sets). */
#define V(op) (1u << (op))
#define V_ADD_RANGE (1u << 8)

static const struct request_option {
	struct option opt;
	unsigned int verbs;
} request_options[] = {
	{ { "device",           no_argument,       NULL, OPT_DEVICE },           V_ADD_RANGE },
	{ { "node",             required_argument, NULL, OPT_NODE },
	  V_ADD_RANGE | V(PMM_REQ_ADD_MEMORY) | V(PMM_REQ_ADD_DEVICE) },
	{ { "online",           required_argument, NULL, OPT_ONLINE },
	  V_ADD_RANGE | V(PMM_REQ_ADD_MEMORY) },
	{ { "no-online",        no_argument,       NULL, OPT_NO_ONLINE },
	  V_ADD_RANGE | V(PMM_REQ_ADD_MEMORY) },
	{ { "memmap-on-memory", no_argument,       NULL, OPT_MEMMAP_ON_MEMORY },
	  V_ADD_RANGE | V(PMM_REQ_ADD_MEMORY) },
	{ { "type",             required_argument, NULL, OPT_TYPE },
	  V_ADD_RANGE | V(PMM_REQ_ADD_DEVICE) | V(PMM_REQ_ADD_NAMESPACE) },
	{ { "map",              required_argument, NULL, OPT_MAP },
	  V_ADD_RANGE | V(PMM_REQ_ADD_DEVICE) | V(PMM_REQ_ADD_NAMESPACE) },
	{ { "align",            required_argument, NULL, OPT_ALIGN },
	  V_ADD_RANGE | V(PMM_REQ_ADD_DEVICE) | V(PMM_REQ_ADD_NAMESPACE) },
	{ { "zone",             required_argument, NULL, OPT_ZONE },           V(PMM_REQ_ONLINE) },
	{ { "blocks",           required_argument, NULL, OPT_BLOCKS },
	  V(PMM_REQ_ONLINE) | V(PMM_REQ_OFFLINE) },
};

static const char *const online_types[] = {
	"offline", "online", "online_kernel", "online_movable", NULL
};
static const char *const device_types[] = {
	"fsdax", "devdax", "generic", "private", "coherent", "p2pdma", NULL
};
static const char *const namespace_types[] = { "fsdax", "devdax", NULL };
static const char *const map_kinds[] = { "mem", "dev", NULL };
static const char *const zones[] = { "auto", "normal", "movable", NULL };
/* --zone → the kernel's online_type words (mhp_online_type_from_str) */
static const char *const zone_online_types[] = { "online", "online_kernel", "online_movable" };

struct request_parse {
	struct pmm_request *req;
	bool add_range, device;
	bool no_online;
	const char *memory_only, *device_only;   /* first such option seen, for messages */
};

/* "A-B" or "N": memory block ids, inclusive. */
static int parse_blocks(struct pmmctl *ctx, const char *s, struct pmm_request *req)
{
	char first[32];
	const char *dash = strchr(s, '-');
	size_t len = dash ? (size_t)(dash - s) : strlen(s);
	uint32_t a32;
	uint64_t a, b;
	int r;

	if (len == 0 || len >= sizeof(first) || (dash && !dash[1]))
		return pmm_usage_error(ctx, "invalid --blocks '%s': expected A-B or N (block ids)", s);
	memcpy(first, s, len);
	first[len] = '\0';
	/* block ids are plain integers: no size suffix */
	r = pmm_arg_u32(ctx, "--blocks first block", first, &a32);
	if (r)
		return r;
	a = a32;
	b = a;
	if (dash) {
		r = pmm_arg_u32(ctx, "--blocks last block", dash + 1, &a32);
		if (r)
			return r;
		b = a32;
	}
	if (b < a)
		return pmm_usage_error(ctx, "invalid --blocks '%s': the last block is below the first",
				       s);
	req->by_blocks = true;
	req->first_block = a;
	req->last_block = b;
	return 0;
}

static int request_option(struct pmmctl *ctx, void *data, int opt, const char *arg)
{
	struct request_parse *p = data;
	struct pmm_request *req = p->req;
	int r;

	switch (opt) {
	case OPT_DEVICE:
		p->device = true;
		return 0;
	case OPT_NODE:
		req->has_node = true;
		return pmm_arg_u32(ctx, "--node", arg, &req->node);
	case OPT_ONLINE:
		p->memory_only = p->memory_only ? p->memory_only : "--online";
		r = pmm_arg_enum(ctx, "--online", arg, online_types);
		req->online = arg;
		return r;
	case OPT_NO_ONLINE:
		p->memory_only = p->memory_only ? p->memory_only : "--no-online";
		p->no_online = true;
		return 0;
	case OPT_MEMMAP_ON_MEMORY:
		p->memory_only = p->memory_only ? p->memory_only : "--memmap-on-memory";
		req->memmap_on_memory = true;
		return 0;
	case OPT_TYPE:
		p->device_only = p->device_only ? p->device_only : "--type";
		req->type = arg;
		return pmm_arg_enum(ctx, "--type", arg, req->op == PMM_REQ_ADD_NAMESPACE ?
				    namespace_types : device_types);
	case OPT_MAP:
		p->device_only = p->device_only ? p->device_only : "--map";
		req->map = arg;
		return pmm_arg_enum(ctx, "--map", arg, map_kinds);
	case OPT_ALIGN:
		p->device_only = p->device_only ? p->device_only : "--align";
		req->has_align = true;
		return pmm_arg_size(ctx, "--align", arg, &req->align);
	case OPT_ZONE:
		r = pmm_arg_enum(ctx, "--zone", arg, zones);
		for (size_t i = 0; !r && zones[i]; i++)
			if (strcmp(arg, zones[i]) == 0)
				req->online_type = zone_online_types[i];
		return r;
	case OPT_BLOCKS:
		return parse_blocks(ctx, arg, req);
	default:
		return PMM_EXIT_USAGE;
	}
}

static bool verb_to_op(const char *name, enum pmm_req_op *op, bool *add_range)
{
	static const struct { const char *name; enum pmm_req_op op; } map[] = {
		{ "add-range", PMM_REQ_ADD_MEMORY },   /* becomes ADD_DEVICE with --device */
		{ "add-memory", PMM_REQ_ADD_MEMORY },
		{ "add-device", PMM_REQ_ADD_DEVICE },
		{ "add-namespace", PMM_REQ_ADD_NAMESPACE },
		{ "remove-range", PMM_REQ_REMOVE },
		{ "remove", PMM_REQ_REMOVE },
		{ "online", PMM_REQ_ONLINE },
		{ "offline", PMM_REQ_OFFLINE },
	};

	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (strcmp(map[i].name, name) == 0) {
			*op = map[i].op;
			*add_range = i == 0;
			return true;
		}
	return false;
}

/* add-range: the options must fit the kind of range asked for. */
static int check_add_range(struct pmmctl *ctx, struct request_parse *p)
{
	if (p->device && p->memory_only)
		return pmm_usage_error(ctx, "option '%s' is for System RAM, not with --device",
				       p->memory_only);
	if (!p->device && p->device_only)
		return pmm_usage_error(ctx, "option '%s' needs --device", p->device_only);
	if (p->device)
		p->req->op = PMM_REQ_ADD_DEVICE;
	return 0;
}

static int check_positional(struct pmmctl *ctx, const struct verb *v, struct pmm_request *req,
			    char **pos, int npos)
{
	int r;

	if (req->op == PMM_REQ_ADD_NAMESPACE) {
		if (!*pos[0])
			return pmm_usage_error(ctx, "NAME must not be empty");
		req->name = pos[0];
		return 0;
	}
	if (req->op == PMM_REQ_ONLINE || req->op == PMM_REQ_OFFLINE) {
		if (req->by_blocks && npos)
			return pmm_usage_error(ctx, "give START SIZE or --blocks A-B, not both");
		if (req->by_blocks)
			return 0;
		if (npos == 0)
			return pmm_usage_error(ctx, "missing argument START (or --blocks A-B)");
		if (npos == 1) {
			r = pmm_arg_size(ctx, "START", pos[0], &req->start);
			return r ? r : pmm_usage_error(ctx, "missing argument SIZE");
		}
	}
	r = pmm_arg_size(ctx, "START", pos[0], &req->start);
	if (!r)
		r = pmm_arg_size(ctx, "SIZE", pos[1], &req->size);
	return r;
}

int pmm_parse_request(struct pmmctl *ctx, const struct verb *v, int argc, char **argv,
		      struct pmm_request *req)
{
	struct option opts[ELEMENTSOF(request_options) + 1];
	struct request_parse p = { .req = req };
	unsigned int mask;
	size_t n = 0;
	char **pos;
	int npos, r;

	*req = (struct pmm_request){ 0 };
	if (!verb_to_op(v->name, &req->op, &p.add_range))
		return pmm_usage_error(ctx, "'%s' is not an operation", v->name);
	mask = p.add_range ? V_ADD_RANGE : V(req->op);
	for (size_t i = 0; i < ELEMENTSOF(request_options); i++)
		if (request_options[i].verbs & mask)
			opts[n++] = request_options[i].opt;
	opts[n] = (struct option){ 0 };

	r = pmm_parse_verb(ctx, v, argc, argv, "", opts, request_option, &p, &pos, &npos);
	if (r)
		return r;
	if (req->online && p.no_online)
		return pmm_usage_error(ctx, "--online and --no-online exclude each other");
	if (p.no_online)
		req->online = "offline";
	if (p.add_range) {
		r = check_add_range(ctx, &p);
		if (r)
			return r;
	}
	return check_positional(ctx, v, req, pos, npos);
}

int pmm_request_resolve(struct pmmctl *ctx, struct pmm_request *req)
{
	uint64_t block_size, nr;
	int r;

	if (!req->by_blocks)
		return 0;
	r = pmm_get_u64(ctx, "BlockSize", &block_size);
	if (r)
		return r;
	nr = req->last_block - req->first_block + 1;
	if (!block_size || req->last_block >= UINT64_MAX / block_size)
		return pmm_usage_error(ctx, "--blocks %" PRIu64 "-%" PRIu64 " is beyond the "
				       "physical address space", req->first_block, req->last_block);
	req->start = req->first_block * block_size;
	req->size = nr * block_size;
	return 0;
}

const char *pmm_request_op_name(const struct pmm_request *req)
{
	static const char *const names[] = {
		[PMM_REQ_ADD_MEMORY] = "add-memory",
		[PMM_REQ_ADD_DEVICE] = "add-device",
		[PMM_REQ_ADD_NAMESPACE] = "add-namespace",
		[PMM_REQ_REMOVE] = "remove-range",
		[PMM_REQ_ONLINE] = "online",
		[PMM_REQ_OFFLINE] = "offline",
	};

	return names[req->op];
}

/*
 * The request's a{sv} options, for its own method and for Plan alike, so that a plan is always
 * asked about exactly what the verb would send. An online's --zone only travels as an option
 * in a Plan (OnlineMemory takes it as an argument); add-memory's --online always does.
 */
int pmm_request_append_options(const struct pmm_request *req, sd_bus_message *m)
{
	int r = sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "{sv}");

	if (r >= 0 && req->has_node)
		r = pmm_append_opt_u32(m, PMM_OPT_NODE, req->node);
	if (r >= 0 && req->online)
		r = pmm_append_opt_str(m, PMM_OPT_ONLINE, req->online);
	if (r >= 0 && req->online_type)
		r = pmm_append_opt_str(m, PMM_OPT_ONLINE, req->online_type);
	if (r >= 0 && req->memmap_on_memory)
		r = pmm_append_opt_bool(m, PMM_OPT_MEMMAP_ON_MEMORY, true);
	if (r >= 0 && req->type)
		r = pmm_append_opt_str(m, PMM_OPT_TYPE, req->type);
	if (r >= 0 && req->map)
		r = pmm_append_opt_str(m, PMM_OPT_MAP, req->map);
	if (r >= 0 && req->has_align)
		r = pmm_append_opt_u64(m, PMM_OPT_ALIGN, req->align);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	return r;
}

/* ------------------------------------------------------------------ sending */

/* "range 3: system-ram 0x...-0x... (1G)", read back from the new range object. */
static void print_added_range(struct pmmctl *ctx, const char *path)
{
	_cleanup_free_ char *kind = NULL;
	uint64_t start, size;
	const char *id = strrchr(path, '/');
	char range[48], sz[32];

	if (sd_bus_get_property_trivial(ctx->bus, PMM_BUS_NAME, path, PMM_RANGE_IFACE, "Start",
					NULL, 't', &start) < 0 ||
	    sd_bus_get_property_trivial(ctx->bus, PMM_BUS_NAME, path, PMM_RANGE_IFACE, "Size",
					NULL, 't', &size) < 0 ||
	    sd_bus_get_property_string(ctx->bus, PMM_BUS_NAME, path, PMM_RANGE_IFACE, "Kind",
				       NULL, &kind) < 0) {
		printf("added %s\n", path);
		return;
	}
	printf("added range %s: %s %s (%s)\n", id ? id + 1 : path, kind,
	       fmt_range(start, size, range, sizeof(range)), fmt_size(size, ctx->bytes, sz, sizeof(sz)));
}

static int run_add(struct pmmctl *ctx, const struct pmm_request *req)
{
	_cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
	static const char *const methods[] = {
		[PMM_REQ_ADD_MEMORY] = "AddMemory",
		[PMM_REQ_ADD_DEVICE] = "AddDeviceMemory",
		[PMM_REQ_ADD_NAMESPACE] = "AddNamespace",
	};
	const char *path;
	int r;

	r = pmm_new_call(ctx, &m, methods[req->op]);
	if (r)
		return r;
	if (req->op == PMM_REQ_ADD_NAMESPACE)
		r = sd_bus_message_append(m, "s", req->name);
	else
		r = sd_bus_message_append(m, "tt", req->start, req->size);
	if (r >= 0)
		r = pmm_request_append_options(req, m);
	if (r < 0)
		return pmm_report_error(ctx, NULL, r);
	r = pmm_call_progress(ctx, m, pmm_request_op_name(req), req->start, req->size, &reply);
	if (r)
		return r;
	r = sd_bus_message_read(reply, "o", &path);
	if (r < 0)
		return pmm_report_error(ctx, NULL, r);
	if (ctx->json) {
		_cleanup_json_ json_object *o = json_object_new_object();

		json_object_object_add(o, "range", json_object_new_string(path));
		pmm_json_print(o);
	} else {
		print_added_range(ctx, path);
	}
	return PMM_EXIT_OK;
}

static int run_remove(struct pmmctl *ctx, const struct pmm_request *req)
{
	_cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
	char range[48], sz[32];
	int r;

	r = pmm_new_call(ctx, &m, "RemoveMemory");
	if (r)
		return r;
	r = sd_bus_message_append(m, "tt", req->start, req->size);
	if (r < 0)
		return pmm_report_error(ctx, NULL, r);
	r = pmm_call_progress(ctx, m, "remove-range", req->start, req->size, &reply);
	if (r)
		return r;
	if (ctx->json) {
		_cleanup_json_ json_object *o = json_object_new_object();

		json_object_object_add(o, PMM_J_START, json_object_new_uint64(req->start));
		json_object_object_add(o, PMM_J_SIZE, json_object_new_uint64(req->size));
		pmm_json_print(o);
	} else {
		printf("removed %s (%s)\n", fmt_range(req->start, req->size, range, sizeof(range)),
		       fmt_size(req->size, ctx->bytes, sz, sizeof(sz)));
	}
	return PMM_EXIT_OK;
}

static int run_online_offline(struct pmmctl *ctx, const struct pmm_request *req)
{
	_cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
	bool online = req->op == PMM_REQ_ONLINE;
	uint32_t blocks;
	int r;

	r = pmm_new_call(ctx, &m, online ? "OnlineMemory" : "OfflineMemory");
	if (r)
		return r;
	r = sd_bus_message_append(m, "tt", req->start, req->size);
	if (r >= 0 && online)
		r = sd_bus_message_append(m, "s", req->online_type ? req->online_type : "");
	if (r < 0)
		return pmm_report_error(ctx, NULL, r);
	r = pmm_call_progress(ctx, m, online ? "online" : "offline", req->start, req->size, &reply);
	if (r)
		return r;
	r = sd_bus_message_read(reply, "u", &blocks);
	if (r < 0)
		return pmm_report_error(ctx, NULL, r);
	if (ctx->json) {
		_cleanup_json_ json_object *o = json_object_new_object();

		json_object_object_add(o, PMM_J_BLOCKS, json_object_new_int64(blocks));
		pmm_json_print(o);
	} else {
		printf("%s %" PRIu32 " block%s\n", online ? "onlined" : "offlined", blocks,
		       blocks == 1 ? "" : "s");
	}
	return PMM_EXIT_OK;
}

int verb_hotplug(struct pmmctl *ctx, int argc, char **argv)
{
	const struct verb *v = pmm_verb_lookup(argv[0]);
	struct pmm_request req;
	int r;

	r = pmm_parse_request(ctx, v, argc, argv, &req);
	if (r)
		return r;
	r = pmm_request_resolve(ctx, &req);
	if (r)
		return r;
	switch (req.op) {
	case PMM_REQ_REMOVE:
		return run_remove(ctx, &req);
	case PMM_REQ_ONLINE:
	case PMM_REQ_OFFLINE:
		return run_online_offline(ctx, &req);
	default:
		return run_add(ctx, &req);
	}
}
