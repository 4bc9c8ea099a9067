/* SPDX-License-Identifier: MIT */
/*
 * pmm-hotplugd configuration: the embedded default is product.md's, the example file documents
 * (and equals) it, and every kind of bad value stops start-up with a message naming the key.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "daemon/daemon.h"

#define G (UINT64_C(1) << 30)
#define M (UINT64_C(1) << 20)

static int parse(const char *text, struct pmm_config *cfg, char **err)
{
	return pmm_config_parse_text(text, "test.json", cfg, err);
}

/* The text must be refused with a message that names key (and contains why, if given). */
static void refused(const char *text, const char *key, const char *why)
{
	struct pmm_config cfg;
	char *err = NULL;
	char want[128];
	int r = parse(text, &cfg, &err);

	snprintf(want, sizeof(want), "'%s'", key);
	ok(r == -EINVAL && err && strstr(err, want) && (!why || strstr(err, why)),
	   "refused %s: %s", text, err ? err : "(accepted)");
	if (r == 0)
		pmm_config_free(&cfg);
	free(err);
}

static void test_default(void)
{
	struct pmm_config cfg;
	char *err = NULL;
	int r = parse("{}", &cfg, &err);

	is(r, 0, "empty object = the embedded default (%s)", err ? err : "ok");
	if (r)
		return;
	is(cfg.backend, PMM_BACKEND_SIM, "default backend sim");
	ok(cfg.arch && !strcmp(cfg.arch->name, "x86_64"), "default arch x86_64");
	is(cfg.model, MM_SPARSEMEM_VMEMMAP, "default memory model sparsemem-vmemmap");
	is(cfg.block_size, 128 * M, "default block size 128M");
	is(cfg.nr_boot, 2, "two boot ranges");
	ok(cfg.boot[0].start == 0 && cfg.boot[0].size == 3 * G && cfg.boot[0].nid == 0,
	   "boot [0, 3G) node 0");
	ok(cfg.boot[1].start == 4 * G && cfg.boot[1].size == 4 * G, "boot [4G, 8G)");
	is(cfg.nr_regions, 1, "one managed region");
	ok(cfg.regions[0].start == 8 * G && cfg.regions[0].size == 64 * G, "managed [8G, 72G)");
	is(cfg.nr_namespaces, 1, "one namespace");
	ok(!strcmp(cfg.namespaces[0].name, "namespace0.0") && cfg.namespaces[0].start == 56 * G &&
	   cfg.namespaces[0].size == 16 * G, "namespace0.0 at [56G, 72G)");
	is(cfg.policy.online_type, MMOP_OFFLINE, "auto-online offline");
	is(cfg.policy.zone_policy, MM_POLICY_CONTIG_ZONES, "contig-zones");
	is(cfg.policy.ratio, 301, "ratio 301");
	ok(!strcmp(cfg.state_dir, "/var/lib/pmm-hotplugd"), "state dir");
	ok(pmm_config_region_for(&cfg, 8 * G, G) != NULL, "[8G, 9G) is managed");
	ok(pmm_config_region_for(&cfg, 71 * G, 2 * G) == NULL, "[71G, 73G) crosses the region end");
	ok(pmm_config_region_for(&cfg, 4 * G, G) == NULL, "boot memory is not managed");
	ok(pmm_config_region_for(&cfg, UINT64_MAX - G, G) == NULL, "no wrap-around match");
	pmm_config_free(&cfg);
}

static void test_example(void)
{
	struct pmm_cmdline cmd = { 0 };
	struct pmm_config cfg, def;
	char *err = NULL, path[4096];
	const char *srcdir = getenv("top_srcdir");
	int r;

	snprintf(path, sizeof(path), "%s/daemon/pmm-hotplugd.json.example", srcdir ? srcdir : ".");
	cmd.config = path;
	r = pmm_config_load(&cmd, &cfg, &err);
	is(r, 0, "the example configuration loads (%s)", err ? err : "ok");
	free(err);
	err = NULL;
	if (r)
		return;
	r = parse("{}", &def, &err);
	if (r == 0) {
		ok(cfg.arch == def.arch && cfg.model == def.model && cfg.block_size == def.block_size &&
		   cfg.nr_boot == def.nr_boot && cfg.nr_regions == def.nr_regions &&
		   cfg.nr_namespaces == def.nr_namespaces &&
		   !memcmp(cfg.boot, def.boot, cfg.nr_boot * sizeof(*cfg.boot)) &&
		   !memcmp(cfg.regions, def.regions, cfg.nr_regions * sizeof(*cfg.regions)) &&
		   !memcmp(cfg.namespaces, def.namespaces, cfg.nr_namespaces * sizeof(*cfg.namespaces)) &&
		   !memcmp(&cfg.policy, &def.policy, sizeof(cfg.policy)) &&
		   !strcmp(cfg.state_dir, def.state_dir),
		   "the example sets exactly the embedded default");
		pmm_config_free(&def);
	}
	pmm_config_free(&cfg);
	free(err);
}

static void test_values(void)
{
	struct pmm_config cfg;
	char *err = NULL;
	int r;

	r = parse("{\"block_size\": \"0x10000000\", \"managed_regions\": [{\"start\": 8589934592, "
		  "\"size\": \"1G\"}], \"auto_online_blocks\": \"auto-movable\", "
		  "\"online_policy\": {\"ratio\": 150}, \"namespaces\": []}", &cfg, &err);
	is(r, 0, "sizes as hex strings, numbers and suffixes (%s)", err ? err : "ok");
	if (r == 0) {
		is(cfg.block_size, 256 * M, "block size 0x10000000");
		ok(cfg.regions[0].start == 8 * G && cfg.regions[0].size == G, "region from a number and \"1G\"");
		ok(cfg.policy.online_type == MMOP_ONLINE && cfg.policy.zone_policy == MM_POLICY_AUTO_MOVABLE,
		   "auto_online_blocks auto-movable = online + auto-movable");
		is(cfg.policy.ratio, 150, "ratio 150");
		ok(!strcmp(pmm_policy_name(&cfg.policy), "auto-movable"), "policy name auto-movable");
		is(cfg.nr_namespaces, 0, "namespaces emptied");
		pmm_config_free(&cfg);
	}
	free(err);
	err = NULL;

	r = parse("{\"backend\": \"kernel\"}", &cfg, &err);
	is(r, 0, "kernel backend parses (%s)", err ? err : "ok");
	if (r == 0) {
		is(cfg.nr_regions, 0, "kernel backend: no managed region unless configured");
		is(cfg.nr_namespaces, 0, "kernel backend: no simulated namespace");
		pmm_config_free(&cfg);
	}
	free(err);
	err = NULL;

	r = parse("{\"arch\": \"arm64-64k\", \"managed_regions\": [{\"start\": \"8G\", \"size\": \"2G\"}]}",
		  &cfg, &err);
	is(r, 0, "arm64-64k with the arch's default block size (%s)", err ? err : "ok");
	if (r == 0) {
		is(cfg.block_size, 512 * M, "arm64-64k default block size 512M");
		pmm_config_free(&cfg);
	}
	free(err);
}

static void test_errors(void)
{
	refused("{\"blocksize\": 1}", "blocksize", "unknown key");
	refused("{\"boot_memory\": [{\"start\": 0, \"size\": \"1G\", \"nid\": 0}]}", "boot_memory[0].nid",
		"unknown key");
	refused("{\"online_policy\": {\"policy\": \"auto-movable\", \"ratoi\": 1}}", "online_policy.ratoi",
		"unknown key");
	refused("{\"backend\": \"qemu\"}", "backend", "qemu");
	refused("{\"arch\": \"vax\"}", "arch", "unknown arch");
	refused("{\"arch\": 64}", "arch", "expected a string");
	refused("{\"memory_model\": \"sparse\"}", "memory_model", NULL);
	refused("{\"block_size\": \"100M\"}", "block_size", "power of two");
	refused("{\"block_size\": \"64M\"}", "block_size", "below the section size");
	refused("{\"arch\": \"arm64-64k\", \"block_size\": \"256M\"}", "block_size", "below the section size");
	refused("{\"block_size\": \"12Q\"}", "block_size", "not a size");
	refused("{\"block_size\": -1}", "block_size", "negative");
	refused("{\"block_size\": 1.5}", "block_size", "fractional");
	refused("{\"boot_memory\": []}", "boot_memory", "at least one");
	refused("{\"boot_memory\": [{\"start\": \"0x1001\", \"size\": \"1G\"}]}", "boot_memory[0]", "page size");
	refused("{\"boot_memory\": [{\"start\": \"64T\", \"size\": \"1G\"}], \"managed_regions\": [], "
		"\"namespaces\": []}", "boot_memory[0]", "MAX_PHYSMEM_BITS");
	refused("{\"boot_memory\": [{\"start\": 0, \"size\": \"2G\"}, {\"start\": \"1G\", \"size\": \"2G\"}]}",
		"boot_memory[1]", "overlaps boot_memory[0]");
	refused("{\"boot_memory\": [{\"size\": \"2G\"}]}", "boot_memory[0].start", "missing");
	refused("{\"boot_memory\": [{\"start\": 0, \"size\": \"2G\", \"node\": 5000}]}", "boot_memory[0].node",
		"out of range");
	refused("{\"managed_regions\": [{\"start\": \"8G\", \"size\": \"100M\"}]}", "managed_regions[0]",
		"memory block size");
	refused("{\"managed_regions\": [{\"start\": \"8G\", \"size\": \"8G\"}, {\"start\": \"12G\", \"size\": \"8G\"}]}",
		"managed_regions[1]", "overlaps managed_regions[0]");
	refused("{\"managed_regions\": [{\"start\": \"2G\", \"size\": \"8G\"}]}", "managed_regions[0]",
		"overlaps boot_memory[0]");
	refused("{\"managed_regions\": [{\"start\": \"0xffffffff80000000\", \"size\": \"4G\"}]}",
		"managed_regions[0]", "wraps");
	refused("{\"managed_regions\": {}}", "managed_regions", "expected an array");
	refused("{\"namespaces\": [{\"name\": \"bad name\", \"start\": \"56G\", \"size\": \"1G\"}]}",
		"namespaces[0].name", "not a namespace name");
	refused("{\"namespaces\": [{\"name\": \"a\", \"start\": \"56G\", \"size\": \"1G\"}, "
		"{\"name\": \"a\", \"start\": \"60G\", \"size\": \"1G\"}]}", "namespaces[1]", "repeats");
	refused("{\"namespaces\": [{\"name\": \"a\", \"start\": \"2G\", \"size\": \"1G\"}]}", "namespaces[0]",
		"overlaps boot_memory[0]");
	refused("{\"backend\": \"kernel\", \"namespaces\": [{\"name\": \"a\", \"start\": \"56G\", \"size\": \"1G\"}]}",
		"namespaces", "sim backend");
	refused("{\"auto_online_blocks\": \"yes\"}", "auto_online_blocks", NULL);
	refused("{\"online_policy\": {\"policy\": \"movable\"}}", "online_policy.policy", NULL);
	refused("{\"online_policy\": {\"ratio\": -3}}", "online_policy.ratio", "out of range");
	refused("{\"state_dir\": \"\"}", "state_dir", "empty");
	refused("[1, 2]", "(top level)", "expected an object");
}

/* The configuration accepts exactly the memory models libmm accepts, and says which key. */
static void test_models(void)
{
	static const char *const models[] = { "flatmem", "discontigmem", "sparsemem",
					      "sparsemem-extreme", "sparsemem-vmemmap" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(models); i++) {
		struct pmm_config cfg;
		struct mm_params p;
		char text[128], why[192] = "", *err = NULL;
		int want, r;

		mm_params_default(&p, mm_arch_lookup("x86_64"));
		if (mm_memory_model_parse(models[i], &p.model) < 0) {
			ok(0, "libmm parses %s", models[i]);
			continue;
		}
		want = mm_params_check(&p, NULL, why, sizeof(why));
		snprintf(text, sizeof(text), "{\"memory_model\": \"%s\"}", models[i]);
		r = parse(text, &cfg, &err);
		ok((want == 0) == (r == 0) && (r == 0 || (err && strstr(err, "'memory_model'"))),
		   "memory_model %s: libmm says %d (%s), the configuration %s", models[i], want, why,
		   r == 0 ? "accepts it" : err ? err : "refuses it");
		if (r == 0)
			pmm_config_free(&cfg);
		free(err);
	}
}

static void test_syntax(void)
{
	struct pmm_config cfg;
	char *err = NULL;
	int r = parse("{\n\"arch\": \"x86_64\",\n\"block_size\": \n}", &cfg, &err);

	ok(r == -EINVAL && err && strstr(err, "line 4") && strstr(err, "not valid JSON"),
	   "bad JSON names the line: %s", err ? err : "(accepted)");
	free(err);
	err = NULL;
	r = parse("{} {}", &cfg, &err);
	ok(r == -EINVAL && err && strstr(err, "after the JSON object"), "trailing text refused: %s",
	   err ? err : "(accepted)");
	free(err);
}

int main(void)
{
	test_default();
	test_example();
	test_values();
	test_errors();
	test_models();
	test_syntax();
	return tap_done();
}
