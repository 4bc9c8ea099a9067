/* SPDX-License-Identifier: MIT */
/*
 * The configuration: an embedded default (product.md, "The embedded default"), overlaid by the
 * JSON file and then the command line. Every key is optional; an unknown key, a wrong type or a
 * value that makes no sense for the arch stops start-up with a message naming the key.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "daemon.h"
#include "pmm-names.h"
#include "size.h"

#define SUBSECTION_SIZE (UINT64_C(1) << 21)

/* Parsed by the same code as the file, so the default can never be an invalid configuration. */
static const char embedded_default[] =
	"{\n"
	"  \"backend\": \"sim\",\n"
	"  \"arch\": \"x86_64\",\n"
	"  \"memory_model\": \"sparsemem-vmemmap\",\n"
	"  \"boot_memory\": [\n"
	"    { \"start\": \"0\", \"size\": \"3G\", \"node\": 0 },\n"
	"    { \"start\": \"4G\", \"size\": \"4G\", \"node\": 0 }\n"
	"  ],\n"
	"  \"managed_regions\": [ { \"start\": \"8G\", \"size\": \"64G\" } ],\n"
	"  \"namespaces\": [\n"
	"    { \"name\": \"namespace0.0\", \"start\": \"56G\", \"size\": \"16G\", \"numa_node\": 0 }\n"
	"  ],\n"
	"  \"auto_online_blocks\": \"offline\",\n"
	"  \"online_policy\": { \"policy\": \"contig-zones\", \"ratio\": 301 },\n"
	"  \"state_dir\": \"/var/lib/pmm-hotplugd\",\n"
	"  \"sysfs_root\": \"/sys\"\n"
	"}\n";

const char *pmm_backend_name(enum pmm_backend_kind b)
{
	return b == PMM_BACKEND_KERNEL ? "kernel" : "sim";
}

/* ---------------------------------------------------------------- policy words */

const char *pmm_policy_name(const struct pmm_policy *p)
{
	if (p->online_type == MMOP_ONLINE && p->zone_policy == MM_POLICY_AUTO_MOVABLE)
		return "auto-movable";
	return mm_online_type_name(p->online_type);
}

int pmm_policy_parse(const char *s, struct pmm_policy *p)
{
	enum mm_online_type t;

	if (!strcmp(s, "auto-movable")) {
		p->online_type = MMOP_ONLINE;
		p->zone_policy = MM_POLICY_AUTO_MOVABLE;
		return 0;
	}
	if (mm_online_type_parse(s, &t) < 0)
		return -EINVAL;
	p->online_type = t;
	p->zone_policy = MM_POLICY_CONTIG_ZONES;
	return 0;
}

enum mm_online_type pmm_policy_online_type(const struct pmm_policy *p)
{
	return p->online_type == MMOP_OFFLINE ? MMOP_ONLINE : p->online_type;
}

/* ---------------------------------------------------------------- parse context */

enum cfg_key {
	K_BACKEND = 1u << 0,
	K_ARCH = 1u << 1,
	K_MODEL = 1u << 2,
	K_BLOCK_SIZE = 1u << 3,
	K_BOOT = 1u << 4,
	K_REGIONS = 1u << 5,
	K_NAMESPACES = 1u << 6,
	K_AUTO_ONLINE = 1u << 7,
	K_POLICY = 1u << 8,
	K_STATE_DIR = 1u << 9,
	K_SYSFS_ROOT = 1u << 10,
};

struct cfg_ctx {
	const char *source;
	char *err;
	unsigned int seen;        /* keys the file (not the default) set */
};

__attribute__((format(printf, 3, 4)))
static int cfg_fail(struct cfg_ctx *c, const char *key, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	if (c->err)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (asprintf(&c->err, "%s: key '%s': %s", c->source, key, msg) < 0)
		c->err = NULL;
	return -EINVAL;
}

static const char *type_word(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a fractional number";
	case json_type_int: return "a number";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "something else";
}

/* Sizes and addresses: JSON numbers or strings as chmem takes them ("0x200000000", "8G"). */
static int cfg_u64(struct cfg_ctx *c, const char *key, json_object *v, uint64_t *out)
{
	int r;

	if (json_object_is_type(v, json_type_int)) {
		if (json_object_get_int64(v) < 0)
			return cfg_fail(c, key, "must not be negative");
		*out = json_object_get_uint64(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_string)) {
		r = pmm_parse_size(json_object_get_string(v), out);
		if (r == -ERANGE)
			return cfg_fail(c, key, "\"%s\" does not fit in 64 bits",
					json_object_get_string(v));
		if (r < 0)
			return cfg_fail(c, key, "\"%s\" is not a size (decimal or 0x hex, K/M/G/T/P suffix)",
					json_object_get_string(v));
		return 0;
	}
	return cfg_fail(c, key, "expected a number or a size string, got %s", type_word(v));
}

static int cfg_int(struct cfg_ctx *c, const char *key, json_object *v, int64_t min, int64_t max,
		   int64_t *out)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int))
		return cfg_fail(c, key, "expected an integer, got %s", type_word(v));
	x = json_object_get_int64(v);
	if (x < min || x > max)
		return cfg_fail(c, key, "%lld is out of range [%lld, %lld]", (long long)x,
				(long long)min, (long long)max);
	*out = x;
	return 0;
}

static int cfg_string(struct cfg_ctx *c, const char *key, json_object *v, const char **out)
{
	if (!json_object_is_type(v, json_type_string))
		return cfg_fail(c, key, "expected a string, got %s", type_word(v));
	*out = json_object_get_string(v);
	return 0;
}

/* Reject keys of obj not in allowed[]: typos must not be silently ignored. */
static int cfg_known_keys(struct cfg_ctx *c, const char *prefix, json_object *obj,
			  const char *const *allowed)
{
	json_object_object_foreach(obj, k, val) {
		const char *const *a;
		char key[160];

		(void)val;
		for (a = allowed; *a; a++)
			if (!strcmp(*a, k))
				break;
		if (!*a) {
			snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "", k);
			return cfg_fail(c, key, "unknown key");
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- key parsers */

static int parse_boot_memory(struct cfg_ctx *c, json_object *v, struct pmm_config *cfg)
{
	static const char *const keys[] = { "start", "size", "node", NULL };
	size_t i, n;
	struct pmm_boot_range *b;

	if (!json_object_is_type(v, json_type_array))
		return cfg_fail(c, "boot_memory", "expected an array of {start, size, node}, got %s",
				type_word(v));
	n = json_object_array_length(v);
	b = calloc(n ? n : 1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i), *f;
		char key[64];
		int64_t nid = 0;

		snprintf(key, sizeof(key), "boot_memory[%zu]", i);
		if (!json_object_is_type(e, json_type_object)) {
			free(b);
			return cfg_fail(c, key, "expected an object {start, size, node}, got %s",
					type_word(e));
		}
		if (cfg_known_keys(c, key, e, keys) < 0)
			goto fail;
		snprintf(key, sizeof(key), "boot_memory[%zu].start", i);
		if (!json_object_object_get_ex(e, "start", &f)) {
			cfg_fail(c, key, "missing");
			goto fail;
		}
		if (cfg_u64(c, key, f, &b[i].start) < 0)
			goto fail;
		snprintf(key, sizeof(key), "boot_memory[%zu].size", i);
		if (!json_object_object_get_ex(e, "size", &f)) {
			cfg_fail(c, key, "missing");
			goto fail;
		}
		if (cfg_u64(c, key, f, &b[i].size) < 0)
			goto fail;
		snprintf(key, sizeof(key), "boot_memory[%zu].node", i);
		if (json_object_object_get_ex(e, "node", &f) &&
		    cfg_int(c, key, f, 0, PMM_MAX_NUMNODES - 1, &nid) < 0)
			goto fail;
		b[i].nid = (int)nid;
	}
	free(cfg->boot);
	cfg->boot = b;
	cfg->nr_boot = n;
	return 0;
fail:
	free(b);
	return -EINVAL;
}

static int parse_regions(struct cfg_ctx *c, json_object *v, struct pmm_config *cfg)
{
	static const char *const keys[] = { "start", "size", NULL };
	size_t i, n;
	struct pmm_region *r;

	if (!json_object_is_type(v, json_type_array))
		return cfg_fail(c, "managed_regions", "expected an array of {start, size}, got %s",
				type_word(v));
	n = json_object_array_length(v);
	r = calloc(n ? n : 1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i), *f;
		char key[64];

		snprintf(key, sizeof(key), "managed_regions[%zu]", i);
		if (!json_object_is_type(e, json_type_object)) {
			cfg_fail(c, key, "expected an object {start, size}, got %s", type_word(e));
			goto fail;
		}
		if (cfg_known_keys(c, key, e, keys) < 0)
			goto fail;
		snprintf(key, sizeof(key), "managed_regions[%zu].start", i);
		if (!json_object_object_get_ex(e, "start", &f)) {
			cfg_fail(c, key, "missing");
			goto fail;
		}
		if (cfg_u64(c, key, f, &r[i].start) < 0)
			goto fail;
		snprintf(key, sizeof(key), "managed_regions[%zu].size", i);
		if (!json_object_object_get_ex(e, "size", &f)) {
			cfg_fail(c, key, "missing");
			goto fail;
		}
		if (cfg_u64(c, key, f, &r[i].size) < 0)
			goto fail;
	}
	free(cfg->regions);
	cfg->regions = r;
	cfg->nr_regions = n;
	return 0;
fail:
	free(r);
	return -EINVAL;
}

static bool ns_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= PMM_NS_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

static int parse_namespaces(struct cfg_ctx *c, json_object *v, struct pmm_config *cfg)
{
	static const char *const keys[] = { "name", "start", "size", "numa_node", NULL };
	size_t i, n;
	struct pmm_ns_config *ns;

	if (!json_object_is_type(v, json_type_array))
		return cfg_fail(c, "namespaces", "expected an array of {name, start, size, numa_node}, got %s",
				type_word(v));
	n = json_object_array_length(v);
	ns = calloc(n ? n : 1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i), *f;
		const char *name = NULL;
		char key[64];
		int64_t nid = 0;

		snprintf(key, sizeof(key), "namespaces[%zu]", i);
		if (!json_object_is_type(e, json_type_object)) {
			cfg_fail(c, key, "expected an object {name, start, size, numa_node}, got %s",
				 type_word(e));
			goto fail;
		}
		if (cfg_known_keys(c, key, e, keys) < 0)
			goto fail;
		snprintf(key, sizeof(key), "namespaces[%zu].name", i);
		if (!json_object_object_get_ex(e, "name", &f)) {
			cfg_fail(c, key, "missing");
			goto fail;
		}
		if (cfg_string(c, key, f, &name) < 0)
			goto fail;
		if (!ns_name_ok(name)) {
			cfg_fail(c, key, "\"%s\" is not a namespace name (1-%d characters of A-Z a-z 0-9 . _ -)",
				 name, PMM_NS_NAME_MAX - 1);
			goto fail;
		}
		snprintf(ns[i].name, sizeof(ns[i].name), "%s", name);
		snprintf(key, sizeof(key), "namespaces[%zu].start", i);
		if (!json_object_object_get_ex(e, "start", &f)) {
			cfg_fail(c, key, "missing");
			goto fail;
		}
		if (cfg_u64(c, key, f, &ns[i].start) < 0)
			goto fail;
		snprintf(key, sizeof(key), "namespaces[%zu].size", i);
		if (!json_object_object_get_ex(e, "size", &f)) {
			cfg_fail(c, key, "missing");
			goto fail;
		}
		if (cfg_u64(c, key, f, &ns[i].size) < 0)
			goto fail;
		snprintf(key, sizeof(key), "namespaces[%zu].numa_node", i);
		if (json_object_object_get_ex(e, "numa_node", &f) &&
		    cfg_int(c, key, f, 0, PMM_MAX_NUMNODES - 1, &nid) < 0)
			goto fail;
		ns[i].numa_node = (int)nid;
	}
	free(cfg->namespaces);
	cfg->namespaces = ns;
	cfg->nr_namespaces = n;
	return 0;
fail:
	free(ns);
	return -EINVAL;
}

static int parse_online_policy(struct cfg_ctx *c, json_object *v, struct pmm_config *cfg)
{
	static const char *const keys[] = { "policy", "ratio", NULL };
	json_object *f;
	const char *s = NULL;
	int64_t ratio;

	if (!json_object_is_type(v, json_type_object))
		return cfg_fail(c, "online_policy", "expected an object {policy, ratio}, got %s",
				type_word(v));
	if (cfg_known_keys(c, "online_policy", v, keys) < 0)
		return -EINVAL;
	if (json_object_object_get_ex(v, "policy", &f)) {
		if (cfg_string(c, "online_policy.policy", f, &s) < 0)
			return -EINVAL;
		if (!strcmp(s, "contig-zones"))
			cfg->policy.zone_policy = MM_POLICY_CONTIG_ZONES;
		else if (!strcmp(s, "auto-movable"))
			cfg->policy.zone_policy = MM_POLICY_AUTO_MOVABLE;
		else
			return cfg_fail(c, "online_policy.policy",
					"\"%s\" is not one of contig-zones, auto-movable", s);
	}
	if (json_object_object_get_ex(v, "ratio", &f)) {
		if (cfg_int(c, "online_policy.ratio", f, 0, UINT_MAX, &ratio) < 0)
			return -EINVAL;
		cfg->policy.ratio = (unsigned int)ratio;
	}
	return 0;
}

static int parse_auto_online(struct cfg_ctx *c, json_object *v, struct pmm_config *cfg)
{
	enum mm_online_type t;
	const char *s = NULL;

	if (cfg_string(c, "auto_online_blocks", v, &s) < 0)
		return -EINVAL;
	/* "auto-movable" is accepted as the bus spells it: online + the auto-movable zone policy */
	if (!strcmp(s, "auto-movable")) {
		cfg->policy.online_type = MMOP_ONLINE;
		cfg->policy.zone_policy = MM_POLICY_AUTO_MOVABLE;
		return 0;
	}
	if (mm_online_type_parse(s, &t) < 0)
		return cfg_fail(c, "auto_online_blocks",
				"\"%s\" is not one of offline, online, online_kernel, online_movable, auto-movable",
				s);
	cfg->policy.online_type = t;
	return 0;
}

static int set_string(char **dst, const char *s)
{
	char *n = strdup(s);

	if (!n)
		return -ENOMEM;
	free(*dst);
	*dst = n;
	return 0;
}

/* Overlay one parsed JSON object on cfg. */
static int cfg_apply(struct cfg_ctx *c, json_object *root, struct pmm_config *cfg)
{
	static const char *const keys[] = {
		"backend", "arch", "memory_model", "block_size", "boot_memory", "managed_regions",
		"namespaces", "auto_online_blocks", "online_policy", "state_dir", "sysfs_root",
		"admin_group", NULL
	};
	json_object *v;
	const char *s = NULL;
	int r;

	if (!json_object_is_type(root, json_type_object))
		return cfg_fail(c, "(top level)", "expected an object, got %s", type_word(root));
	r = cfg_known_keys(c, "", root, keys);
	if (r < 0)
		return r;

	if (json_object_object_get_ex(root, "backend", &v)) {
		if (cfg_string(c, "backend", v, &s) < 0)
			return -EINVAL;
		if (!strcmp(s, "sim"))
			cfg->backend = PMM_BACKEND_SIM;
		else if (!strcmp(s, "kernel"))
			cfg->backend = PMM_BACKEND_KERNEL;
		else
			return cfg_fail(c, "backend", "\"%s\" is not one of sim, kernel", s);
		c->seen |= K_BACKEND;
	}
	if (json_object_object_get_ex(root, "arch", &v)) {
		const struct mm_arch *a;

		if (cfg_string(c, "arch", v, &s) < 0)
			return -EINVAL;
		a = mm_arch_lookup(s);
		if (!a) {
			const struct mm_arch *const *p;
			char list[256] = "";

			for (p = mm_arch_profiles(); p && *p; p++) {
				strncat(list, list[0] ? ", " : "", sizeof(list) - strlen(list) - 1);
				strncat(list, (*p)->name, sizeof(list) - strlen(list) - 1);
			}
			return cfg_fail(c, "arch", "unknown arch \"%s\" (known: %s)", s, list);
		}
		cfg->arch = a;
		c->seen |= K_ARCH;
	}
	if (json_object_object_get_ex(root, "memory_model", &v)) {
		enum mm_memory_model m;

		if (cfg_string(c, "memory_model", v, &s) < 0)
			return -EINVAL;
		if (mm_memory_model_parse(s, &m) < 0)
			return cfg_fail(c, "memory_model",
					"\"%s\" is not one of flatmem, discontigmem, sparsemem, sparsemem-extreme, sparsemem-vmemmap",
					s);
		cfg->model = m;
		c->seen |= K_MODEL;
	}
	if (json_object_object_get_ex(root, "block_size", &v)) {
		if (cfg_u64(c, "block_size", v, &cfg->block_size) < 0)
			return -EINVAL;
		c->seen |= K_BLOCK_SIZE;
	}
	if (json_object_object_get_ex(root, "boot_memory", &v)) {
		r = parse_boot_memory(c, v, cfg);
		if (r < 0)
			return r;
		c->seen |= K_BOOT;
	}
	if (json_object_object_get_ex(root, "managed_regions", &v)) {
		r = parse_regions(c, v, cfg);
		if (r < 0)
			return r;
		c->seen |= K_REGIONS;
	}
	if (json_object_object_get_ex(root, "namespaces", &v)) {
		r = parse_namespaces(c, v, cfg);
		if (r < 0)
			return r;
		c->seen |= K_NAMESPACES;
	}
	if (json_object_object_get_ex(root, "auto_online_blocks", &v)) {
		r = parse_auto_online(c, v, cfg);
		if (r < 0)
			return r;
		c->seen |= K_AUTO_ONLINE;
	}
	if (json_object_object_get_ex(root, "online_policy", &v)) {
		r = parse_online_policy(c, v, cfg);
		if (r < 0)
			return r;
		c->seen |= K_POLICY;
	}
	if (json_object_object_get_ex(root, "state_dir", &v)) {
		if (cfg_string(c, "state_dir", v, &s) < 0)
			return -EINVAL;
		if (!*s)
			return cfg_fail(c, "state_dir", "must not be empty");
		r = set_string(&cfg->state_dir, s);
		if (r < 0)
			return r;
		c->seen |= K_STATE_DIR;
	}
	if (json_object_object_get_ex(root, "sysfs_root", &v)) {
		if (cfg_string(c, "sysfs_root", v, &s) < 0)
			return -EINVAL;
		if (!*s)
			return cfg_fail(c, "sysfs_root", "must not be empty");
		r = set_string(&cfg->sysfs_root, s);
		if (r < 0)
			return r;
		c->seen |= K_SYSFS_ROOT;
	}
	if (json_object_object_get_ex(root, "admin_group", &v)) {
		struct group *g;

		if (cfg_string(c, "admin_group", v, &s) < 0)
			return -EINVAL;
		/* resolved now: a typo must stop start-up, not silently admit nobody */
		g = *s ? getgrnam(s) : NULL;
		if (!g)
			return cfg_fail(c, "admin_group", "\"%s\" is not a group on this system", s);
		cfg->admin_gid = (long)g->gr_gid;
	}
	return 0;
}

static int cfg_parse_json(struct cfg_ctx *c, const char *text, json_object **out)
{
	struct json_tokener *tok = json_tokener_new();
	enum json_tokener_error jerr;
	json_object *o;
	size_t len = strlen(text), off, line = 1, i;

	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	if (!o && jerr == json_tokener_continue)
		jerr = json_tokener_error_parse_eof;
	json_tokener_free(tok);
	if (!o || jerr != json_tokener_success) {
		json_object_put(o);
		for (i = 0; i < off && i < len; i++)
			if (text[i] == '\n')
				line++;
		if (asprintf(&c->err, "%s: line %zu: not valid JSON: %s", c->source, line,
			     json_tokener_error_desc(jerr)) < 0)
			c->err = NULL;
		return -EINVAL;
	}
	/* trailing garbage after the object is an error too */
	for (i = off; i < len; i++)
		if (text[i] != ' ' && text[i] != '\n' && text[i] != '\t' && text[i] != '\r') {
			for (line = 1, off = 0; off < i; off++)
				if (text[off] == '\n')
					line++;
			json_object_put(o);
			if (asprintf(&c->err, "%s: line %zu: unexpected text after the JSON object",
				     c->source, line) < 0)
				c->err = NULL;
			return -EINVAL;
		}
	*out = o;
	return 0;
}

/* ---------------------------------------------------------------- validation */

static bool ranges_overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return a < b + bs && b < a + as;
}

static char *hsize(uint64_t v, char *buf)
{
	return pmm_format_size(v, buf, 32);
}

/* One [start, start+size) of a list: aligned, non-empty, not wrapping, inside the arch. */
static int check_span(struct cfg_ctx *c, const char *key, uint64_t start, uint64_t size,
		      uint64_t align, const char *align_what, uint64_t limit)
{
	char a[32], b[32];

	if (size == 0)
		return cfg_fail(c, key, "size is 0");
	if (start + size < start)
		return cfg_fail(c, key, "start 0x%llx + size 0x%llx wraps around",
				(unsigned long long)start, (unsigned long long)size);
	if (start % align || size % align)
		return cfg_fail(c, key, "start 0x%llx and size 0x%llx must be multiples of the %s (%s)",
				(unsigned long long)start, (unsigned long long)size, align_what,
				hsize(align, a));
	if (start + size > limit)
		return cfg_fail(c, key, "[0x%llx, 0x%llx) ends beyond MAX_PHYSMEM_BITS (%s)",
				(unsigned long long)start, (unsigned long long)(start + size),
				hsize(limit, b));
	return 0;
}

static int cfg_validate(struct cfg_ctx *c, struct pmm_config *cfg)
{
	const struct mm_arch *a = cfg->arch;
	uint64_t page = UINT64_C(1) << a->page_shift;
	uint64_t section = UINT64_C(1) << a->section_size_bits;
	uint64_t limit = a->max_physmem_bits >= 64 ? UINT64_MAX : UINT64_C(1) << a->max_physmem_bits;
	char key[64], b1[32], b2[32];
	size_t i, j;

	if (cfg->block_size == 0) {
		cfg->block_size = a->default_block_size;
	} else {
		/* memory_dev_init(): a power of two, at least MIN_MEMORY_BLOCK_SIZE (the section) */
		if (cfg->block_size & (cfg->block_size - 1))
			return cfg_fail(c, "block_size", "0x%llx is not a power of two",
					(unsigned long long)cfg->block_size);
		if (cfg->block_size < section)
			return cfg_fail(c, "block_size", "%s is below the section size of %s (%s)",
					hsize(cfg->block_size, b1), a->name, hsize(section, b2));
		if (cfg->block_size >= limit)
			return cfg_fail(c, "block_size", "%s is not below MAX_PHYSMEM_BITS of %s (%u bits)",
					hsize(cfg->block_size, b1), a->name, a->max_physmem_bits);
	}

	/* what libmm itself would refuse (a memory model not available for this arch...) */
	{
		struct mm_params p;
		char why[192] = "";
		int r;

		mm_params_default(&p, a);
		p.model = cfg->model;
		p.block_size = cfg->block_size;
		r = mm_params_check(&p, NULL, why, sizeof(why));
		if (r < 0)
			return cfg_fail(c, r == -EOPNOTSUPP ? "memory_model" : "block_size", "%s",
					why[0] ? why : strerror(-r));
	}

	if (cfg->nr_boot == 0)
		return cfg_fail(c, "boot_memory", "at least one boot range is needed");
	for (i = 0; i < cfg->nr_boot; i++) {
		snprintf(key, sizeof(key), "boot_memory[%zu]", i);
		if (check_span(c, key, cfg->boot[i].start, cfg->boot[i].size, page, "page size",
			       limit) < 0)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (ranges_overlap(cfg->boot[i].start, cfg->boot[i].size,
					   cfg->boot[j].start, cfg->boot[j].size))
				return cfg_fail(c, key, "overlaps boot_memory[%zu]", j);
	}

	for (i = 0; i < cfg->nr_regions; i++) {
		const struct pmm_region *r = &cfg->regions[i];

		snprintf(key, sizeof(key), "managed_regions[%zu]", i);
		if (check_span(c, key, r->start, r->size, cfg->block_size, "memory block size",
			       limit) < 0)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (ranges_overlap(r->start, r->size, cfg->regions[j].start,
					   cfg->regions[j].size))
				return cfg_fail(c, key, "overlaps managed_regions[%zu]", j);
		/* sim: the managed region is where hotplug happens, boot RAM is not hotpluggable */
		if (cfg->backend == PMM_BACKEND_SIM)
			for (j = 0; j < cfg->nr_boot; j++)
				if (ranges_overlap(r->start, r->size, cfg->boot[j].start,
						   cfg->boot[j].size))
					return cfg_fail(c, key, "overlaps boot_memory[%zu]", j);
	}

	if (cfg->backend == PMM_BACKEND_KERNEL && (c->seen & K_NAMESPACES) && cfg->nr_namespaces)
		return cfg_fail(c, "namespaces", "simulated namespaces need the sim backend");
	for (i = 0; i < cfg->nr_namespaces; i++) {
		const struct pmm_ns_config *ns = &cfg->namespaces[i];

		snprintf(key, sizeof(key), "namespaces[%zu]", i);
		if (check_span(c, key, ns->start, ns->size, page, "page size", limit) < 0)
			return -EINVAL;
		for (j = 0; j < cfg->nr_boot; j++)
			if (ranges_overlap(ns->start, ns->size, cfg->boot[j].start, cfg->boot[j].size))
				return cfg_fail(c, key, "overlaps boot_memory[%zu]", j);
		for (j = 0; j < i; j++) {
			if (!strcmp(ns->name, cfg->namespaces[j].name))
				return cfg_fail(c, key, "name \"%s\" repeats namespaces[%zu]",
						ns->name, j);
			if (ranges_overlap(ns->start, ns->size, cfg->namespaces[j].start,
					   cfg->namespaces[j].size))
				return cfg_fail(c, key, "overlaps namespaces[%zu]", j);
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- entry points */

static void cfg_defaults_init(struct pmm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->backend = PMM_BACKEND_SIM;
	cfg->model = MM_SPARSEMEM_VMEMMAP;
	cfg->policy.online_type = MMOP_OFFLINE;
	cfg->policy.zone_policy = MM_POLICY_CONTIG_ZONES;
	cfg->policy.ratio = 301;
	cfg->admin_gid = -1;
}

static int cfg_apply_text(struct cfg_ctx *c, const char *text, struct pmm_config *cfg)
{
	json_object *root = NULL;
	int r;

	r = cfg_parse_json(c, text, &root);
	if (r < 0)
		return r;
	r = cfg_apply(c, root, cfg);
	json_object_put(root);
	return r;
}

static int cfg_load_default(struct pmm_config *cfg, char **errmsg)
{
	struct cfg_ctx c = { .source = "embedded default" };
	int r;

	cfg_defaults_init(cfg);
	r = cfg_apply_text(&c, embedded_default, cfg);
	if (r < 0) {
		*errmsg = c.err ? c.err : strdup("embedded default: out of memory");
		return r;
	}
	return 0;
}

/* Rules that depend on which keys the file set: the kernel backend manages nothing by default. */
static void cfg_backend_defaults(struct cfg_ctx *c, struct pmm_config *cfg)
{
	if (cfg->backend != PMM_BACKEND_KERNEL)
		return;
	if (!(c->seen & K_REGIONS)) {
		free(cfg->regions);
		cfg->regions = NULL;
		cfg->nr_regions = 0;
	}
	if (!(c->seen & K_NAMESPACES)) {
		free(cfg->namespaces);
		cfg->namespaces = NULL;
		cfg->nr_namespaces = 0;
	}
}

static int cfg_finish(struct cfg_ctx *c, const struct pmm_cmdline *cmd, struct pmm_config *cfg,
		      char **errmsg)
{
	int r = 0;

	if (cmd && cmd->backend) {
		if (!strcmp(cmd->backend, "sim"))
			cfg->backend = PMM_BACKEND_SIM;
		else if (!strcmp(cmd->backend, "kernel"))
			cfg->backend = PMM_BACKEND_KERNEL;
		else
			r = -EINVAL;
		if (r < 0 && asprintf(errmsg, "--backend: \"%s\" is not one of sim, kernel",
				      cmd->backend) < 0)
			*errmsg = NULL;
		if (r < 0)
			return r;
	}
	if (cmd && cmd->state_dir && (r = set_string(&cfg->state_dir, cmd->state_dir)) < 0)
		return r;
	if (cmd && cmd->sysfs_root && (r = set_string(&cfg->sysfs_root, cmd->sysfs_root)) < 0)
		return r;
	cfg_backend_defaults(c, cfg);
	r = cfg_validate(c, cfg);
	if (r < 0) {
		*errmsg = c->err;
		c->err = NULL;
	}
	return r;
}

int pmm_config_parse_text(const char *text, const char *source, struct pmm_config *cfg,
			  char **errmsg)
{
	struct cfg_ctx c = { .source = source };
	int r;

	*errmsg = NULL;
	r = cfg_load_default(cfg, errmsg);
	if (r < 0)
		return r;
	r = set_string(&cfg->source, source);
	if (r >= 0)
		r = cfg_apply_text(&c, text, cfg);
	if (r >= 0)
		r = cfg_finish(&c, NULL, cfg, errmsg);
	else {
		*errmsg = c.err;
		c.err = NULL;
	}
	free(c.err);
	if (r < 0)
		pmm_config_free(cfg);
	return r;
}

static int read_file(const char *path, char **out)
{
	_cleanup_(fclosep) FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return -errno;
	for (;;) {
		if (cap - len < 4096) {
			char *nb;

			if (cap > (1u << 24)) {
				free(buf);
				return -EFBIG;
			}
			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		return -EIO;
	}
	buf[len] = '\0';
	if (strlen(buf) != len) {
		free(buf);
		return -EILSEQ;
	}
	*out = buf;
	return 0;
}

int pmm_config_load(const struct pmm_cmdline *cmd, struct pmm_config *cfg, char **errmsg)
{
	struct cfg_ctx c = { 0 };
	const char *path = cmd->config;
	_cleanup_(freep) char *text = NULL;
	struct stat st;
	int r;

	*errmsg = NULL;
	r = cfg_load_default(cfg, errmsg);
	if (r < 0)
		return r;
	/* the default file is optional; a file named with --config is not */
	if (!path && stat(PMM_DEFAULT_CONFIG, &st) == 0)
		path = PMM_DEFAULT_CONFIG;
	r = set_string(&cfg->source, path ? path : "embedded default");
	if (r < 0)
		goto out;
	c.source = cfg->source;
	if (path) {
		r = read_file(path, &text);
		if (r < 0) {
			if (asprintf(errmsg, "%s: cannot read the configuration: %s", path,
				     r == -EILSEQ ? "contains a NUL byte" : strerror(-r)) < 0)
				*errmsg = NULL;
			goto out;
		}
		r = cfg_apply_text(&c, text, cfg);
		if (r < 0) {
			*errmsg = c.err;
			c.err = NULL;
			goto out;
		}
	}
	r = cfg_finish(&c, cmd, cfg, errmsg);
out:
	free(c.err);
	if (r < 0)
		pmm_config_free(cfg);
	return r;
}

void pmm_config_free(struct pmm_config *cfg)
{
	free(cfg->boot);
	free(cfg->regions);
	free(cfg->namespaces);
	free(cfg->state_dir);
	free(cfg->sysfs_root);
	free(cfg->source);
	memset(cfg, 0, sizeof(*cfg));
}

const struct pmm_region *pmm_config_region_for(const struct pmm_config *cfg, uint64_t start,
					       uint64_t size)
{
	size_t i;

	for (i = 0; i < cfg->nr_regions; i++) {
		const struct pmm_region *r = &cfg->regions[i];

		if (start >= r->start && size <= r->size && start - r->start <= r->size - size)
			return r;
	}
	return NULL;
}

bool pmm_config_in_region(const struct pmm_config *cfg, uint64_t start, uint64_t size)
{
	size_t i;

	for (i = 0; i < cfg->nr_regions; i++)
		if (ranges_overlap(start, size, cfg->regions[i].start, cfg->regions[i].size))
			return true;
	return false;
}
