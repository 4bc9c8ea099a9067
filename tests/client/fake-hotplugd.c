/* SPDX-License-Identifier: MIT */
/*
 * A scripted stand-in for pmm-hotplugd, for pmmctl's own tests: the Manager interface of
 * dbus/org.pmm.Hotplug1.xml on a private bus with a tiny block table behind it, so pmmctl's
 * encoding of requests, its rendering of replies, its error printing and its exit codes can be
 * checked without the real model. Every method call is logged, one line each, to the file named
 * by --log, so a test can see exactly what pmmctl sent.
 *
 * Geometry: x86_64-like, 4 KiB pages, 128 MiB blocks; boot blocks 0-23 and 32-63 online,
 * managed region [8G, 72G), namespace0.0 at [56G, 72G). Errors it gives: Misaligned (start or
 * size not block aligned), Overlap, InvalidState, Busy (remove of an online block), NotFound,
 * InvalidArgument, and org.freedesktop.DBus.Error.AccessDenied for GetPages (as the bus policy
 * would answer an unprivileged caller).
 *
 *   fake-hotplugd --address ADDR --log FILE
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "pmm-json-fields.h"
#include "pmm-names.h"

#define BLOCK_SIZE   (128ULL << 20)
#define PAGE_SIZE    4096ULL
#define NR_BLOCKS    576                      /* [0, 72G) */
#define MANAGED_START (8ULL << 30)
#define MANAGED_END   (72ULL << 30)
#define NS_START      (56ULL << 30)
#define NS_SIZE       (16ULL << 30)

enum block_state { ABSENT, OFFLINE, ONLINE };

/* Invariant: zone[i] is meaningful only when state[i] == ONLINE. */
static struct {
	enum block_state state[NR_BLOCKS];
	const char *zone[NR_BLOCKS];
	char policy[32];
	uint32_t ratio;
	uint64_t next_range;
	struct { uint64_t id, start, size; bool device, map_dev; } ranges[16];
	size_t nr_ranges;
	FILE *log;
	sd_bus *bus;
} fake;

/* ------------------------------------------------------------------ logging */

/* a{sv} → " key=type:value" in arrival order */
static int log_options(sd_bus_message *m, char *buf, size_t len)
{
	size_t o = 0;
	int r;

	buf[0] = '\0';
	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key, *contents;
		char type;

		if ((r = sd_bus_message_read(m, "s", &key)) < 0 ||
		    (r = sd_bus_message_peek_type(m, &type, &contents)) < 0 ||
		    (r = sd_bus_message_enter_container(m, 'v', contents)) < 0)
			return r;
		if (!strcmp(contents, "s")) {
			const char *s;

			r = sd_bus_message_read(m, "s", &s);
			o += (size_t)snprintf(buf + o, len - o, " %s=s:%s", key, s);
		} else if (!strcmp(contents, "u")) {
			uint32_t u;

			r = sd_bus_message_read(m, "u", &u);
			o += (size_t)snprintf(buf + o, len - o, " %s=u:%" PRIu32, key, u);
		} else if (!strcmp(contents, "t")) {
			uint64_t t;

			r = sd_bus_message_read(m, "t", &t);
			o += (size_t)snprintf(buf + o, len - o, " %s=t:%" PRIu64, key, t);
		} else if (!strcmp(contents, "b")) {
			int b;

			r = sd_bus_message_read(m, "b", &b);
			o += (size_t)snprintf(buf + o, len - o, " %s=b:%s", key, b ? "true" : "false");
		} else {
			r = sd_bus_message_skip(m, contents);
			o += (size_t)snprintf(buf + o, len - o, " %s=%s:?", key, contents);
		}
		if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0 ||
		    (r = sd_bus_message_exit_container(m)) < 0)
			return r;
		if (o >= len)
			o = len - 1;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

__attribute__((format(printf, 1, 2)))
static void logf_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(fake.log, fmt, ap);
	va_end(ap);
	fputc('\n', fake.log);
	fflush(fake.log);
}

/* ------------------------------------------------------------------ helpers */

static int check_range(uint64_t start, uint64_t size, sd_bus_error *error)
{
	if (!size || start + size < start)
		return sd_bus_error_setf(error, PMM_ERROR_INVALID_ARGUMENT,
					 "range [0x%" PRIx64 ", +0x%" PRIx64 ") is empty or wraps",
					 start, size);
	if (start % BLOCK_SIZE || size % BLOCK_SIZE)
		return sd_bus_error_setf(error, PMM_ERROR_MISALIGNED,
					 "range [0x%" PRIx64 ", +0x%" PRIx64 ") is not aligned to the "
					 "memory block size 0x%llx", start, size, BLOCK_SIZE);
	if (start < MANAGED_START || start + size > MANAGED_END)
		return sd_bus_error_setf(error, PMM_ERROR_OUT_OF_REGION,
					 "range [0x%" PRIx64 ", +0x%" PRIx64 ") is outside the managed "
					 "region [0x%llx, 0x%llx)", start, size, MANAGED_START,
					 MANAGED_END);
	return 0;
}

static void block_path(uint64_t id, char *buf, size_t len)
{
	snprintf(buf, len, PMM_BLOCK_PREFIX "/%" PRIu64, id);
}

static void emit_progress(const char *op, uint64_t start, uint64_t size, uint64_t done,
			  uint64_t total)
{
	sd_bus_emit_signal(fake.bus, PMM_MANAGER_PATH, PMM_MANAGER_IFACE, "Progress", "stttt", op,
			   start, size, done, total);
}

/* ------------------------------------------------------------------ methods */

static int method_add_memory(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	uint64_t start, size, first, n;
	char opts[512], path[64];
	int r;

	r = sd_bus_message_read(m, "tt", &start, &size);
	if (r < 0 || (r = log_options(m, opts, sizeof(opts))) < 0)
		return r;
	logf_("AddMemory %" PRIu64 " %" PRIu64 "%s", start, size, opts);
	r = check_range(start, size, error);
	if (r < 0)
		return r;
	first = start / BLOCK_SIZE;
	n = size / BLOCK_SIZE;
	for (uint64_t i = first; i < first + n; i++)
		if (fake.state[i] != ABSENT)
			return sd_bus_error_setf(error, PMM_ERROR_OVERLAP,
						 "block %" PRIu64 " is already present", i);
	for (uint64_t i = 0; i <= n; i++)
		emit_progress("add-memory", start, size, i, n);
	for (uint64_t i = first; i < first + n; i++) {
		fake.state[i] = strstr(opts, "online=s:online_movable") ? ONLINE : OFFLINE;
		fake.zone[i] = "Movable";
		block_path(i, path, sizeof(path));
		sd_bus_emit_interfaces_added(fake.bus, path, PMM_BLOCK_IFACE, NULL);
	}
	fake.ranges[fake.nr_ranges].id = fake.next_range;
	fake.ranges[fake.nr_ranges].start = start;
	fake.ranges[fake.nr_ranges].size = size;
	fake.nr_ranges++;
	snprintf(path, sizeof(path), PMM_RANGE_PREFIX "/%" PRIu64, fake.next_range++);
	sd_bus_emit_interfaces_added(fake.bus, path, PMM_RANGE_IFACE, NULL);
	return sd_bus_reply_method_return(m, "o", path);
}

static int method_add_device(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	uint64_t start, size;
	char opts[512], path[64];
	int r;

	r = sd_bus_message_read(m, "tt", &start, &size);
	if (r < 0 || (r = log_options(m, opts, sizeof(opts))) < 0)
		return r;
	logf_("AddDeviceMemory %" PRIu64 " %" PRIu64 "%s", start, size, opts);
	fake.ranges[fake.nr_ranges].id = fake.next_range;
	fake.ranges[fake.nr_ranges].start = start;
	fake.ranges[fake.nr_ranges].size = size;
	fake.ranges[fake.nr_ranges].device = true;
	fake.ranges[fake.nr_ranges].map_dev = strstr(opts, "map=s:dev") != NULL;
	fake.nr_ranges++;
	snprintf(path, sizeof(path), PMM_RANGE_PREFIX "/%" PRIu64, fake.next_range++);
	return sd_bus_reply_method_return(m, "o", path);
}

static int method_add_namespace(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	const char *name;
	char opts[512];
	int r;

	r = sd_bus_message_read(m, "s", &name);
	if (r < 0 || (r = log_options(m, opts, sizeof(opts))) < 0)
		return r;
	logf_("AddNamespace %s%s", name, opts);
	if (strcmp(name, "namespace0.0") != 0)
		return sd_bus_error_setf(error, PMM_ERROR_NOT_FOUND, "no namespace \"%s\"", name);
	return sd_bus_reply_method_return(m, "o", PMM_RANGE_PREFIX "/99");
}

static int method_remove(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	uint64_t start, size;
	char path[64];
	int r;

	r = sd_bus_message_read(m, "tt", &start, &size);
	if (r < 0)
		return r;
	logf_("RemoveMemory %" PRIu64 " %" PRIu64, start, size);
	r = check_range(start, size, error);
	if (r < 0)
		return r;
	for (uint64_t i = start / BLOCK_SIZE; i < (start + size) / BLOCK_SIZE; i++) {
		if (fake.state[i] == ABSENT)
			return sd_bus_error_setf(error, PMM_ERROR_NOT_FOUND,
						 "block %" PRIu64 " is not present", i);
		if (fake.state[i] == ONLINE)
			return sd_bus_error_setf(error, PMM_ERROR_BUSY,
						 "block %" PRIu64 " is online: offline it first", i);
	}
	for (uint64_t i = start / BLOCK_SIZE; i < (start + size) / BLOCK_SIZE; i++) {
		fake.state[i] = ABSENT;
		block_path(i, path, sizeof(path));
		sd_bus_emit_interfaces_removed(fake.bus, path, PMM_BLOCK_IFACE, NULL);
	}
	return sd_bus_reply_method_return(m, NULL);
}

static int change_blocks(sd_bus_message *m, bool online, const char *type, uint64_t start,
			 uint64_t size, sd_bus_error *error)
{
	enum block_state want = online ? ONLINE : OFFLINE;
	uint64_t n = size / BLOCK_SIZE;
	char path[64];
	int r;

	r = check_range(start, size, error);
	if (r < 0)
		return r;
	for (uint64_t i = start / BLOCK_SIZE; i < (start + size) / BLOCK_SIZE; i++) {
		if (fake.state[i] == ABSENT)
			return sd_bus_error_setf(error, PMM_ERROR_NOT_FOUND,
						 "block %" PRIu64 " is not present", i);
		if (fake.state[i] == want)
			return sd_bus_error_setf(error, PMM_ERROR_INVALID_STATE,
						 "block %" PRIu64 " is already %s", i,
						 online ? "online" : "offline");
	}
	for (uint64_t i = start / BLOCK_SIZE, k = 0; i < (start + size) / BLOCK_SIZE; i++, k++) {
		fake.state[i] = want;
		fake.zone[i] = type && !strcmp(type, "online_kernel") ? "Normal" : "Movable";
		block_path(i, path, sizeof(path));
		sd_bus_emit_properties_changed(fake.bus, path, PMM_BLOCK_IFACE, "State", "Zone", NULL);
		emit_progress(online ? "online" : "offline", start, size, k + 1, n);
	}
	return sd_bus_reply_method_return(m, "u", (uint32_t)n);
}

static int method_online(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	uint64_t start, size;
	const char *type;
	int r;

	r = sd_bus_message_read(m, "tts", &start, &size, &type);
	if (r < 0)
		return r;
	logf_("OnlineMemory %" PRIu64 " %" PRIu64 " '%s'", start, size, type);
	if (*type && strcmp(type, "online") && strcmp(type, "online_kernel") &&
	    strcmp(type, "online_movable"))
		return sd_bus_error_setf(error, PMM_ERROR_INVALID_ARGUMENT,
					 "online type \"%s\" is not online, online_kernel or "
					 "online_movable", type);
	return change_blocks(m, true, type, start, size, error);
}

static int method_offline(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	uint64_t start, size;
	int r;

	r = sd_bus_message_read(m, "tt", &start, &size);
	if (r < 0)
		return r;
	logf_("OfflineMemory %" PRIu64 " %" PRIu64, start, size);
	return change_blocks(m, false, NULL, start, size, error);
}

static int method_get_pages(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	uint64_t pfn, count;
	int r = sd_bus_message_read(m, "tt", &pfn, &count);

	if (r < 0)
		return r;
	logf_("GetPages %" PRIu64 " %" PRIu64, pfn, count);
	/* what the shipped bus policy answers an unprivileged caller */
	return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
				"Rejected send message, 1 matched rules; type=\"method_call\"");
}

static int method_put_pages(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	uint64_t pfn, count;
	int r = sd_bus_message_read(m, "tt", &pfn, &count);

	if (r < 0)
		return r;
	logf_("PutPages %" PRIu64 " %" PRIu64, pfn, count);
	return sd_bus_reply_method_return(m, NULL);
}

/* LookupPfn: keys in an order unlike the contract's; block only when in a block; no zone/pgmap. */
static int method_lookup_pfn(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	sd_bus_message *reply = NULL;
	uint64_t pfn, block;
	bool present;
	int r;

	r = sd_bus_message_read(m, "t", &pfn);
	if (r < 0)
		return r;
	logf_("LookupPfn %" PRIu64, pfn);
	block = pfn * PAGE_SIZE / BLOCK_SIZE;
	present = block < NR_BLOCKS && fake.state[block] != ABSENT;
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_append(reply, "a{sv}", present ? 10 : 9,
					  PMM_J_FLAGS, "as", 2, "reserved", "private",
					  PMM_J_MEMMAP, "s", "boot",
					  PMM_J_PFN, "t", pfn,
					  PMM_J_VALID, "b", 1,
					  PMM_J_REFCOUNT, "i", 1,
					  PMM_J_NODE, "i", 0,
					  PMM_J_ONLINE, "b", present && fake.state[block] == ONLINE,
					  PMM_J_SECTION, "t", block,
					  PMM_J_SUBSECTION, "u", (uint32_t)(pfn * PAGE_SIZE % BLOCK_SIZE >> 21),
					  PMM_J_BLOCK, "t", block);
	if (r >= 0)
		r = sd_bus_send(NULL, reply, NULL);
	sd_bus_message_unref(reply);
	return r;
}

static int method_plan(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	sd_bus_message *reply = NULL;
	const char *op;
	uint64_t start, size;
	char opts[512];
	bool ok;
	int r;

	r = sd_bus_message_read(m, "stt", &op, &start, &size);
	if (r < 0 || (r = log_options(m, opts, sizeof(opts))) < 0)
		return r;
	logf_("Plan %s %" PRIu64 " %" PRIu64 "%s", op, start, size, opts);
	ok = start % BLOCK_SIZE == 0 && size % BLOCK_SIZE == 0;
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "{sv}");
	/* the scalars first, in an order unlike the contract's */
	if (r >= 0)
		r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}",
					  PMM_J_MEMMAP_LOCATION, "s", strstr(opts, "map=s:dev") ?
					  "altmap" : "ram",
					  PMM_J_MEMMAP_BYTES, "t", size / PAGE_SIZE * 64,
					  PMM_J_SUBSECTIONS, "t", size >> 21,
					  PMM_J_OK, "b", ok);
	if (r >= 0 && !ok)
		r = sd_bus_message_append(reply, "{sv}{sv}", PMM_J_ERROR, "s", PMM_ERROR_MISALIGNED,
					  PMM_J_MESSAGE, "s", "start is not aligned to the block size");
	if (r >= 0 && ok) {
		r = sd_bus_message_append(reply, "{sv}{sv}", PMM_J_BLOCKS, "at", 3,
					  start / BLOCK_SIZE, start / BLOCK_SIZE + 1,
					  start / BLOCK_SIZE + 3,
					  PMM_J_SECTIONS, "at", 2, start / BLOCK_SIZE,
					  start / BLOCK_SIZE + 1);
	}
	if (r >= 0 && strstr(opts, "map=s:dev"))
		r = sd_bus_message_append(reply, "{sv}", PMM_J_ALTMAP, "a{st}", 5,
					  PMM_J_ALIGN, (uint64_t)512, PMM_J_ALLOC, (uint64_t)0,
					  PMM_J_FREE, (uint64_t)16894, PMM_J_RESERVE, (uint64_t)2,
					  PMM_J_BASE_PFN, start / PAGE_SIZE);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_send(NULL, reply, NULL);
	sd_bus_message_unref(reply);
	return r;
}

static int method_set_policy(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	const char *policy;
	char opts[512];
	char *p;
	int r;

	r = sd_bus_message_read(m, "s", &policy);
	if (r < 0 || (r = log_options(m, opts, sizeof(opts))) < 0)
		return r;
	logf_("SetOnlinePolicy %s%s", policy, opts);
	snprintf(fake.policy, sizeof(fake.policy), "%s", policy);
	p = strstr(opts, "ratio=u:");
	if (p)
		fake.ratio = (uint32_t)strtoul(p + 8, NULL, 10);
	sd_bus_emit_properties_changed(fake.bus, PMM_MANAGER_PATH, PMM_MANAGER_IFACE,
				       "AutoOnlineBlocks", "AutoMovableRatio", NULL);
	return sd_bus_reply_method_return(m, NULL);
}

static char *status_json(void)
{
	uint64_t present = 0, online = 0;
	char *s;

	for (size_t i = 0; i < NR_BLOCKS; i++) {
		present += fake.state[i] != ABSENT ? BLOCK_SIZE : 0;
		online += fake.state[i] == ONLINE ? BLOCK_SIZE : 0;
	}
	if (asprintf(&s, "{\"version\":\"fake\",\"backend\":\"sim\",\"arch\":\"x86_64\","
		     "\"memory_model\":\"sparsemem-vmemmap\",\"page_size\":4096,"
		     "\"section_size\":134217728,\"subsection_size\":2097152,"
		     "\"block_size\":134217728,\"max_physmem_bits\":46,"
		     "\"managed_regions\":[{\"start\":%llu,\"size\":%llu}],\"present_bytes\":%" PRIu64
		     ",\"online_bytes\":%" PRIu64 ",\"device_bytes\":0,\"memmap_ram_bytes\":%" PRIu64
		     ",\"memmap_device_bytes\":0,\"auto_online_blocks\":\"%s\"}",
		     MANAGED_START, MANAGED_END - MANAGED_START, present, online, present / 64,
		     fake.policy) < 0)
		return NULL;
	return s;
}

static json_object *list_blocks(void)
{
	json_object *arr = json_object_new_array();

	for (uint64_t i = 0; i < NR_BLOCKS; i++) {
		json_object *o;

		if (fake.state[i] == ABSENT)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, PMM_J_ID, json_object_new_uint64(i));
		json_object_object_add(o, PMM_J_START, json_object_new_uint64(i * BLOCK_SIZE));
		json_object_object_add(o, PMM_J_SIZE, json_object_new_uint64(BLOCK_SIZE));
		json_object_object_add(o, PMM_J_STATE, json_object_new_string(
					       fake.state[i] == ONLINE ? "online" : "offline"));
		json_object_object_add(o, PMM_J_ZONE, json_object_new_string(
					       fake.state[i] == ONLINE ? fake.zone[i] : ""));
		json_object_object_add(o, PMM_J_VALID_ZONES, json_object_new_array());
		json_object_object_add(o, PMM_J_REMOVABLE, json_object_new_boolean(1));
		json_object_object_add(o, PMM_J_NODE, json_object_new_int(0));
		json_object_object_add(o, PMM_J_MANAGED,
				       json_object_new_boolean(i * BLOCK_SIZE >= MANAGED_START));
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *list_ranges(void)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < fake.nr_ranges; i++) {
		json_object *o = json_object_new_object(), *alt = NULL;

		json_object_object_add(o, PMM_J_ID, json_object_new_uint64(fake.ranges[i].id));
		json_object_object_add(o, PMM_J_KIND, json_object_new_string(
					       fake.ranges[i].device ? "device" : "system-ram"));
		json_object_object_add(o, PMM_J_START, json_object_new_uint64(fake.ranges[i].start));
		json_object_object_add(o, PMM_J_SIZE, json_object_new_uint64(fake.ranges[i].size));
		json_object_object_add(o, PMM_J_NODE, json_object_new_int(0));
		json_object_object_add(o, PMM_J_TYPE, json_object_new_string(
					       fake.ranges[i].device ? "fsdax" : "system-ram"));
		json_object_object_add(o, PMM_J_MAP, json_object_new_string(
					       fake.ranges[i].map_dev ? "dev" : "mem"));
		json_object_object_add(o, PMM_J_ALIGN, json_object_new_uint64(2 << 20));
		if (fake.ranges[i].map_dev) {
			/* 2 reserved pfns (info block) + 8190 free: [start, start + 32M) */
			alt = json_object_new_object();
			json_object_object_add(alt, PMM_J_BASE_PFN,
					       json_object_new_uint64(fake.ranges[i].start / PAGE_SIZE));
			json_object_object_add(alt, PMM_J_RESERVE, json_object_new_uint64(2));
			json_object_object_add(alt, PMM_J_FREE, json_object_new_uint64(8190));
			json_object_object_add(alt, PMM_J_ALLOC, json_object_new_uint64(8000));
			json_object_object_add(alt, PMM_J_ALIGN, json_object_new_uint64(512));
		}
		json_object_object_add(o, PMM_J_ALTMAP, alt);
		json_object_object_add(o, PMM_J_REFS, json_object_new_uint64(0));
		json_object_object_add(o, PMM_J_NAMESPACE, NULL);
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *list_namespaces(void)
{
	json_object *arr = json_object_new_array(), *o = json_object_new_object();

	json_object_object_add(o, PMM_J_DEV, json_object_new_string("namespace0.0"));
	json_object_object_add(o, PMM_J_MODE, json_object_new_string("raw"));
	json_object_object_add(o, PMM_J_START, json_object_new_uint64(NS_START));
	json_object_object_add(o, PMM_J_SIZE, json_object_new_uint64(NS_SIZE));
	json_object_object_add(o, PMM_J_ALIGN, json_object_new_uint64(PAGE_SIZE));
	json_object_object_add(o, PMM_J_NUMA_NODE, json_object_new_int(0));
	json_object_object_add(o, PMM_J_MAP, json_object_new_string("none"));
	json_object_object_add(o, PMM_J_SOURCE, json_object_new_string("/tmp/ns0"));
	json_object_object_add(o, PMM_J_IN_USE, json_object_new_boolean(0));
	json_object_array_add(arr, o);
	return arr;
}

static json_object *list_sections(void)
{
	json_object *arr = json_object_new_array();

	for (uint64_t nr = 0; nr < 2; nr++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, PMM_J_NR, json_object_new_uint64(nr));
		json_object_object_add(o, PMM_J_START, json_object_new_uint64(nr * BLOCK_SIZE));
		json_object_object_add(o, PMM_J_PRESENT, json_object_new_boolean(1));
		json_object_object_add(o, PMM_J_ONLINE, json_object_new_boolean(1));
		json_object_object_add(o, PMM_J_EARLY, json_object_new_boolean(1));
		json_object_object_add(o, PMM_J_HAS_MEMMAP, json_object_new_boolean(1));
		json_object_object_add(o, PMM_J_ZONE_DEVICE, json_object_new_boolean(0));
		json_object_object_add(o, PMM_J_SUBSECTIONS,
				       json_object_new_string("0xffffffffffffffff"));
		json_object_array_add(arr, o);
	}
	return arr;
}

static int method_list(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	json_object *root, *arr;
	const char *kind;
	char opts[512];
	int r;

	r = sd_bus_message_read(m, "s", &kind);
	if (r < 0 || (r = log_options(m, opts, sizeof(opts))) < 0)
		return r;
	logf_("List %s%s", kind, opts);
	if (!strcmp(kind, PMM_LIST_BLOCKS))
		arr = list_blocks();
	else if (!strcmp(kind, PMM_LIST_RANGES))
		arr = list_ranges();
	else if (!strcmp(kind, PMM_LIST_SECTIONS))
		arr = list_sections();
	else if (!strcmp(kind, PMM_LIST_NAMESPACES))
		arr = list_namespaces();
	else
		return sd_bus_error_setf(error, PMM_ERROR_INVALID_ARGUMENT, "unknown listing \"%s\"",
					 kind);
	root = json_object_new_object();
	json_object_object_add(root, kind, arr);
	r = sd_bus_reply_method_return(m, "s", json_object_to_json_string_ext(root,
				       JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
	return r;
}

static int method_describe(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	char *s = status_json();
	int r;

	logf_("Describe");
	r = s ? sd_bus_reply_method_return(m, "s", s) : -ENOMEM;
	free(s);
	return r;
}

static int method_rescan(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return sd_bus_reply_method_return(m, NULL);
}

/* ------------------------------------------------------------------ properties */

static int prop_u64(sd_bus *bus, const char *path, const char *iface, const char *property,
		    sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	uint64_t v = 0;

	if (!strcmp(property, "PageSize"))
		v = PAGE_SIZE;
	else if (!strcmp(property, "BlockSize") || !strcmp(property, "SectionSize"))
		v = BLOCK_SIZE;
	return sd_bus_message_append(reply, "t", v);
}

static int prop_policy(sd_bus *bus, const char *path, const char *iface, const char *property,
		       sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	if (!strcmp(property, "AutoMovableRatio"))
		return sd_bus_message_append(reply, "u", fake.ratio);
	return sd_bus_message_append(reply, "s", fake.policy);
}

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("PageSize", "t", prop_u64, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("SectionSize", "t", prop_u64, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("BlockSize", "t", prop_u64, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("AutoOnlineBlocks", "s", prop_policy, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("AutoMovableRatio", "u", prop_policy, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_METHOD("AddMemory", "tta{sv}", "o", method_add_memory, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("AddDeviceMemory", "tta{sv}", "o", method_add_device,
		      SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("AddNamespace", "sa{sv}", "o", method_add_namespace,
		      SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("RemoveMemory", "tt", "", method_remove, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("OnlineMemory", "tts", "u", method_online, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("OfflineMemory", "tt", "u", method_offline, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("GetPages", "tt", "", method_get_pages, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("PutPages", "tt", "", method_put_pages, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("LookupPfn", "t", "a{sv}", method_lookup_pfn, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("Plan", "stta{sv}", "a{sv}", method_plan, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("SetOnlinePolicy", "sa{sv}", "", method_set_policy,
		      SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("Describe", "", "s", method_describe, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("List", "sa{sv}", "s", method_list, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("Rescan", "", "", method_rescan, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL("Progress", "stttt", 0),
	SD_BUS_VTABLE_END
};

/* Block objects: /org/pmm/Hotplug1/block/<id>, found while the block is present. */
static int block_find(sd_bus *bus, const char *path, const char *iface, void *userdata,
		      void **found, sd_bus_error *error)
{
	char *label = NULL;
	uint64_t id;
	int r = sd_bus_path_decode(path, PMM_BLOCK_PREFIX, &label);

	if (r <= 0)
		return r;
	id = strtoull(label, NULL, 10);
	free(label);
	if (id >= NR_BLOCKS || fake.state[id] == ABSENT)
		return 0;
	*found = (void *)(uintptr_t)(id + 1);
	return 1;
}

static int block_prop(sd_bus *bus, const char *path, const char *iface, const char *property,
		      sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	uint64_t id = (uintptr_t)userdata - 1;

	if (!strcmp(property, "Id"))
		return sd_bus_message_append(reply, "t", id);
	if (!strcmp(property, "State"))
		return sd_bus_message_append(reply, "s",
					     fake.state[id] == ONLINE ? "online" : "offline");
	return sd_bus_message_append(reply, "s", fake.state[id] == ONLINE ? fake.zone[id] : "");
}

static const sd_bus_vtable block_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Id", "t", block_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("State", "s", block_prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Zone", "s", block_prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END
};

/* Range objects: /org/pmm/Hotplug1/range/<id> for the ranges added. */
static int range_find(sd_bus *bus, const char *path, const char *iface, void *userdata,
		      void **found, sd_bus_error *error)
{
	char *label = NULL;
	uint64_t id;
	int r = sd_bus_path_decode(path, PMM_RANGE_PREFIX, &label);

	if (r <= 0)
		return r;
	id = strtoull(label, NULL, 10);
	free(label);
	for (size_t i = 0; i < fake.nr_ranges; i++)
		if (fake.ranges[i].id == id) {
			*found = (void *)(uintptr_t)(i + 1);
			return 1;
		}
	return 0;
}

static int range_prop(sd_bus *bus, const char *path, const char *iface, const char *property,
		      sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	size_t i = (uintptr_t)userdata - 1;

	if (!strcmp(property, "Id"))
		return sd_bus_message_append(reply, "t", fake.ranges[i].id);
	if (!strcmp(property, "Start"))
		return sd_bus_message_append(reply, "t", fake.ranges[i].start);
	if (!strcmp(property, "Size"))
		return sd_bus_message_append(reply, "t", fake.ranges[i].size);
	return sd_bus_message_append(reply, "s", fake.ranges[i].device ? "device" : "system-ram");
}

static const sd_bus_vtable range_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Id", "t", range_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Kind", "s", range_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Start", "t", range_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Size", "t", range_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END
};

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "address", required_argument, NULL, 'a' },
		{ "log", required_argument, NULL, 'l' },
		{ 0 }
	};
	const char *address = NULL, *log = "/dev/null";
	sd_event *event = NULL;
	sigset_t mask;
	int c, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'a')
			address = optarg;
		else if (c == 'l')
			log = optarg;
		else
			return 2;
	}
	if (!address) {
		fprintf(stderr, "fake-hotplugd: --address is required\n");
		return 2;
	}
	fake.log = fopen(log, "a");
	if (!fake.log)
		return 1;
	snprintf(fake.policy, sizeof(fake.policy), "offline");
	fake.ratio = 301;
	fake.next_range = 7;
	for (size_t i = 0; i < 64; i++) {
		if (i >= 24 && i < 32)
			continue;     /* the PCI hole [3G, 4G) */
		fake.state[i] = ONLINE;
		fake.zone[i] = i < 32 ? "DMA32" : "Normal";
	}

	r = sd_bus_new(&fake.bus);
	if (r >= 0)
		r = sd_bus_set_address(fake.bus, address);
	if (r >= 0)
		r = sd_bus_set_bus_client(fake.bus, 1);
	if (r >= 0)
		r = sd_bus_start(fake.bus);
	if (r >= 0)
		r = sd_bus_add_object_manager(fake.bus, NULL, PMM_MANAGER_PATH);
	if (r >= 0)
		r = sd_bus_add_object_vtable(fake.bus, NULL, PMM_MANAGER_PATH, PMM_MANAGER_IFACE,
					     manager_vtable, NULL);
	if (r >= 0)
		r = sd_bus_add_fallback_vtable(fake.bus, NULL, PMM_BLOCK_PREFIX, PMM_BLOCK_IFACE,
					       block_vtable, block_find, NULL);
	if (r >= 0)
		r = sd_bus_add_fallback_vtable(fake.bus, NULL, PMM_RANGE_PREFIX, PMM_RANGE_IFACE,
					       range_vtable, range_find, NULL);
	if (r >= 0)
		r = sd_bus_request_name(fake.bus, PMM_BUS_NAME, 0);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if (r >= 0)
		r = sd_event_default(&event);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
	if (r >= 0)
		r = sd_bus_attach_event(fake.bus, event, 0);
	if (r < 0) {
		fprintf(stderr, "fake-hotplugd: %s\n", strerror(-r));
		return 1;
	}
	logf_("ready");
	r = sd_event_loop(event);
	sd_bus_flush_close_unref(fake.bus);
	sd_event_unref(event);
	fclose(fake.log);
	return r < 0 ? 1 : 0;
}
