/* SPDX-License-Identifier: MIT */
/*
 * pmmctl monitor: one line per change under /org/pmm/Hotplug1 (InterfacesAdded/Removed,
 * PropertiesChanged, Progress, the daemon coming and going), or one JSON object per line with
 * --json, until SIGINT/SIGTERM. Exit 0 on a signal, 3 when the bus goes away.
 */
#include "pmmctl.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <systemd/sd-event.h>

#include "json.h"
#include "pmm-json-fields.h"
#include "table.h"

#define OBJECT_MANAGER_IFACE "org.freedesktop.DBus.ObjectManager"
#define PROPERTIES_IFACE     "org.freedesktop.DBus.Properties"

struct monitor {
	struct pmmctl *ctx;
};

/* What an object path names: kind "block"/"range"/"namespace"/"manager" and its id. */
struct object_ref {
	const char *kind;
	const char *iface;
	char *id;              /* decoded last label; NULL for the manager */
};

static const struct {
	const char *prefix, *kind, *iface;
} object_kinds[] = {
	{ PMM_BLOCK_PREFIX, "block", PMM_BLOCK_IFACE },
	{ PMM_RANGE_PREFIX, "range", PMM_RANGE_IFACE },
	{ PMM_NAMESPACE_PREFIX, "namespace", PMM_NAMESPACE_IFACE },
};

static bool object_ref_parse(const char *path, struct object_ref *ref)
{
	*ref = (struct object_ref){ 0 };
	if (strcmp(path, PMM_MANAGER_PATH) == 0) {
		ref->kind = "manager";
		ref->iface = PMM_MANAGER_IFACE;
		return true;
	}
	for (size_t i = 0; i < ELEMENTSOF(object_kinds); i++)
		if (sd_bus_path_decode(path, object_kinds[i].prefix, &ref->id) > 0) {
			ref->kind = object_kinds[i].kind;
			ref->iface = object_kinds[i].iface;
			return true;
		}
	return false;
}

/* ------------------------------------------------------------------ output */

/* {"event":..,"kind":..,"id":..,"path":..,"properties":{...}}; id is a number when it is one. */
static void emit_json(const char *event, const struct object_ref *ref, const char *path,
		      json_object *props)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *snake = json_object_new_object();
	char *end = NULL;

	json_object_object_add(o, "event", json_object_new_string(event));
	json_object_object_add(o, PMM_J_KIND, json_object_new_string(ref->kind));
	if (ref->id) {
		uint64_t n = strtoull(ref->id, &end, 10);

		json_object_object_add(o, PMM_J_ID, *ref->id && !*end ? json_object_new_uint64(n) :
				       json_object_new_string(ref->id));
	} else {
		json_object_object_add(o, PMM_J_ID, NULL);
	}
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_foreach(props, key, val) {
		char name[64];

		pmm_json_snake_case(key, name, sizeof(name));
		json_object_object_add(snake, name, json_object_get(val));
	}
	json_object_object_add(o, "properties", snake);
	pmm_json_print(o);
}

static const char *prop_str(json_object *props, const char *key)
{
	return pmm_json_get_str(props, key);
}

/* "key value" pairs for whatever changed, sizes human. */
static void print_props(const struct pmmctl *ctx, json_object *props)
{
	json_object_object_foreach(props, key, val) {
		char name[64], buf[32];

		pmm_json_snake_case(key, name, sizeof(name));
		if (json_object_is_type(val, json_type_int) &&
		    (strstr(name, "bytes") || strcmp(name, "size") == 0 || strcmp(name, "align") == 0))
			printf(" %s %s", name, fmt_size(json_object_get_uint64(val), ctx->bytes, buf,
							 sizeof(buf)));
		else if (json_object_is_type(val, json_type_int) && strcmp(name, "start") == 0)
			printf(" %s %s", name, fmt_hex(json_object_get_uint64(val), buf, sizeof(buf)));
		else if (json_object_is_type(val, json_type_array)) {
			printf(" %s ", name);
			for (size_t i = 0; i < json_object_array_length(val); i++)
				printf("%s%s", i ? "," : "",
				       json_object_get_string(json_object_array_get_idx(val, i)));
		} else
			printf(" %s %s", name, json_object_get_string(val));
	}
}

/* The human line: "block 72 online Movable", "range 3 added system-ram 0x200000000 1G", ... */
static void emit_line(const struct pmmctl *ctx, const char *event, const struct object_ref *ref,
		      json_object *props)
{
	const char *state = prop_str(props, "State"), *zone = prop_str(props, "Zone");
	uint64_t start, size;
	char a[32], b[32];

	if (strcmp(ref->kind, "manager") == 0) {
		if (prop_str(props, "AutoOnlineBlocks"))
			printf("policy %s", prop_str(props, "AutoOnlineBlocks"));
		else
			printf("manager");
		json_object_object_del(props, "AutoOnlineBlocks");
		print_props(ctx, props);
		putchar('\n');
		return;
	}
	printf("%s %s", ref->kind, ref->id);
	if (strcmp(event, "changed") != 0)
		printf(" %s", event);
	if (strcmp(event, "removed") == 0) {
		putchar('\n');
		return;
	}
	if (strcmp(ref->kind, "block") == 0 && state) {
		printf(" %s", state);
		if (zone && *zone)
			printf(" %s", zone);
		json_object_object_del(props, "State");
		json_object_object_del(props, "Zone");
	} else if (strcmp(ref->kind, "range") == 0 && prop_str(props, "Kind") &&
		   pmm_json_get_u64(props, "Start", &start) && pmm_json_get_u64(props, "Size", &size)) {
		printf(" %s %s %s", prop_str(props, "Kind"), fmt_hex(start, a, sizeof(a)),
		       fmt_size(size, ctx->bytes, b, sizeof(b)));
		json_object_object_del(props, "Kind");
		json_object_object_del(props, "Start");
		json_object_object_del(props, "Size");
		json_object_object_del(props, "Id");
	}
	/*
	 * additions carry every property: show the few that say what it is, not all; a block's
	 * state change says it all ("block 72 online Movable")
	 */
	if (strcmp(event, "changed") == 0 && !(strcmp(ref->kind, "block") == 0 && state))
		print_props(ctx, props);
	putchar('\n');
}

static void emit(struct monitor *mon, const char *event, const char *path, json_object *props)
{
	struct object_ref ref;

	if (!object_ref_parse(path, &ref))
		return;
	if (mon->ctx->json)
		emit_json(event, &ref, path, props);
	else
		emit_line(mon->ctx, event, &ref, props);
	fflush(stdout);
	free(ref.id);
}

/* ------------------------------------------------------------------ signal handlers */

/* InterfacesAdded(o path, a{sa{sv}} interfaces) */
static int on_interfaces_added(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	_cleanup_json_ json_object *ifaces = NULL;
	const char *path;
	json_object *props = NULL;
	struct object_ref ref;

	if (sd_bus_message_read(m, "o", &path) < 0 || pmm_json_read_value(m, &ifaces) < 0)
		return 0;
	if (!object_ref_parse(path, &ref))
		return 0;
	json_object_object_get_ex(ifaces, ref.iface, &props);
	free(ref.id);
	if (!props)
		return 0;
	emit(userdata, "added", path, props);
	return 0;
}

/* InterfacesRemoved(o path, as interfaces) */
static int on_interfaces_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	_cleanup_json_ json_object *props = json_object_new_object();
	const char *path;

	if (sd_bus_message_read(m, "o", &path) < 0)
		return 0;
	emit(userdata, "removed", path, props);
	return 0;
}

/* Fetch invalidated properties so the line says what they became. */
static void fetch_invalidated(struct monitor *mon, const char *path, const char *iface,
			      const char *name, json_object *props)
{
	_cleanup_msg_ sd_bus_message *reply = NULL;
	json_object *v = NULL;

	if (sd_bus_call_method(mon->ctx->bus, PMM_BUS_NAME, path, PROPERTIES_IFACE, "Get", NULL,
			       &reply, "ss", iface, name) < 0 ||
	    pmm_json_read_value(reply, &v) < 0)
		return;
	json_object_object_add(props, name, v);
}

/* PropertiesChanged(s interface, a{sv} changed, as invalidated) */
static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	_cleanup_json_ json_object *props = NULL, *invalidated = NULL;
	const char *iface, *path = sd_bus_message_get_path(m);

	if (!path || sd_bus_message_read(m, "s", &iface) < 0 ||
	    pmm_json_read_value(m, &props) < 0 || pmm_json_read_value(m, &invalidated) < 0)
		return 0;
	for (size_t i = 0; i < json_object_array_length(invalidated); i++)
		fetch_invalidated(userdata, path, iface,
				  json_object_get_string(json_object_array_get_idx(invalidated, i)),
				  props);
	if (json_object_object_length(props))
		emit(userdata, "changed", path, props);
	return 0;
}

/* Progress(s operation, t start, t size, t done, t total) */
static int on_progress(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct monitor *mon = userdata;
	uint64_t start, size, done, total;
	const char *op;
	char a[32], b[32];

	if (sd_bus_message_read(m, "stttt", &op, &start, &size, &done, &total) < 0)
		return 0;
	if (mon->ctx->json) {
		_cleanup_json_ json_object *o = json_object_new_object();

		json_object_object_add(o, "event", json_object_new_string("progress"));
		json_object_object_add(o, "operation", json_object_new_string(op));
		json_object_object_add(o, PMM_J_START, json_object_new_uint64(start));
		json_object_object_add(o, PMM_J_SIZE, json_object_new_uint64(size));
		json_object_object_add(o, "done", json_object_new_uint64(done));
		json_object_object_add(o, "total", json_object_new_uint64(total));
		pmm_json_print(o);
	} else {
		printf("progress %s %s %s %" PRIu64 "/%" PRIu64 "\n", op, fmt_hex(start, a, sizeof(a)),
		       fmt_size(size, mon->ctx->bytes, b, sizeof(b)), done, total);
		fflush(stdout);
	}
	return 0;
}

/* NameOwnerChanged(s name, s old, s new) for org.pmm.Hotplug1 */
static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct monitor *mon = userdata;
	const char *name, *old_owner, *new_owner;
	const char *event;

	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
		return 0;
	event = *new_owner ? "started" : "stopped";
	if (mon->ctx->json) {
		_cleanup_json_ json_object *o = json_object_new_object();

		json_object_object_add(o, "event", json_object_new_string(event));
		json_object_object_add(o, PMM_J_KIND, json_object_new_string("daemon"));
		pmm_json_print(o);
	} else {
		printf("daemon %s\n", event);
		fflush(stdout);
	}
	return 0;
}

/* ------------------------------------------------------------------ the verb */

static int subscribe(struct monitor *mon)
{
	sd_bus *bus = mon->ctx->bus;
	int r;

	r = sd_bus_match_signal(bus, NULL, PMM_BUS_NAME, PMM_MANAGER_PATH, OBJECT_MANAGER_IFACE,
				"InterfacesAdded", on_interfaces_added, mon);
	if (r >= 0)
		r = sd_bus_match_signal(bus, NULL, PMM_BUS_NAME, PMM_MANAGER_PATH,
					OBJECT_MANAGER_IFACE, "InterfacesRemoved",
					on_interfaces_removed, mon);
	if (r >= 0)
		r = sd_bus_add_match(bus, NULL, "type='signal',sender='" PMM_BUS_NAME "',"
				     "interface='" PROPERTIES_IFACE "',member='PropertiesChanged',"
				     "path_namespace='" PMM_MANAGER_PATH "'",
				     on_properties_changed, mon);
	if (r >= 0)
		r = sd_bus_match_signal(bus, NULL, PMM_BUS_NAME, PMM_MANAGER_PATH, PMM_MANAGER_IFACE,
					"Progress", on_progress, mon);
	if (r >= 0)
		r = sd_bus_add_match(bus, NULL, "type='signal',sender='org.freedesktop.DBus',"
				     "interface='org.freedesktop.DBus',member='NameOwnerChanged',"
				     "arg0='" PMM_BUS_NAME "'", on_owner_changed, mon);
	return r;
}

/* The daemon must be there when we start (Ping also starts it on an activating bus). */
static int ping_daemon(struct pmmctl *ctx)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r = sd_bus_call_method(ctx->bus, PMM_BUS_NAME, PMM_MANAGER_PATH,
				   "org.freedesktop.DBus.Peer", "Ping", &error, NULL, "");

	return r < 0 ? pmm_report_error(ctx, &error, r) : 0;
}

static void event_unrefp(sd_event **e)
{
	sd_event_unref(*e);
}

int verb_monitor(struct pmmctl *ctx, int argc, char **argv)
{
	_cleanup_(event_unrefp) sd_event *event = NULL;
	struct monitor mon = { .ctx = ctx };
	sigset_t mask;
	char **pos;
	int npos, r;

	r = pmm_parse_verb(ctx, pmm_verb_lookup("monitor"), argc, argv, "", NULL, NULL, NULL, &pos,
			   &npos);
	if (!r)
		r = pmm_connect(ctx);
	if (!r)
		r = ping_daemon(ctx);
	if (r)
		return r;
	r = subscribe(&mon);
	if (r < 0)
		return pmm_report_error(ctx, NULL, r);

	/* SIGINT/SIGTERM end the loop with 0; losing the bus ends it with EXIT_FAILURE */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	r = sd_event_default(&event);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_bus_attach_event(ctx->bus, event, SD_EVENT_PRIORITY_NORMAL);
	if (r >= 0)
		r = sd_bus_set_exit_on_disconnect(ctx->bus, 1);
	if (r < 0)
		return pmm_report_error(ctx, NULL, r);
	r = sd_event_loop(event);
	sd_bus_detach_event(ctx->bus);
	if (r == 0)
		return PMM_EXIT_OK;
	fprintf(stderr, "pmmctl: cannot reach pmm-hotplugd: lost the bus connection\n");
	return PMM_EXIT_UNREACHABLE;
}
