/* SPDX-License-Identifier: MIT */
/*
 * Block, range and namespace objects. They keep no state of their own: 64 TiB of 128 MiB
 * blocks is 500k blocks, so each object is a fallback vtable whose find callback parses the
 * id from the path and whose getters ask libmm on demand; a node enumerator lists the ids.
 * The ObjectManager on /org/pmm/Hotplug1 announces objects that appear and disappear; blocks
 * whose state changes and the Manager's counters send PropertiesChanged.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "backend-kernel.h"
#include "array.h"
#include "daemon.h"
#include "pmm-names.h"

/* ---------------------------------------------------------------- paths */

int pmm_block_path(uint64_t id, char **out)
{
	return asprintf(out, PMM_BLOCK_PREFIX "/%" PRIu64, id) < 0 ? -ENOMEM : 0;
}

int pmm_range_path(uint64_t id, char **out)
{
	return asprintf(out, PMM_RANGE_PREFIX "/%" PRIu64, id) < 0 ? -ENOMEM : 0;
}

int pmm_namespace_path(const char *name, char **out)
{
	return sd_bus_path_encode(PMM_NAMESPACE_PREFIX, name, out);
}

/* "<prefix>/<decimal>" → id; no sign, no leading zeros (one spelling per object). */
static bool path_id(const char *path, const char *prefix, uint64_t *id)
{
	size_t n = strlen(prefix);
	const char *p;
	uint64_t v = 0;

	if (strncmp(path, prefix, n) || path[n] != '/')
		return false;
	p = path + n + 1;
	if (!*p || (p[0] == '0' && p[1]))
		return false;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*id = v;
	return true;
}

/* ---------------------------------------------------------------- blocks */

static int block_lookup(struct pmm_daemon *d, const char *path, struct mm_block_info *b,
			sd_bus_error *error)
{
	uint64_t id;

	if (!path_id(path, PMM_BLOCK_PREFIX, &id) || mm_memory_block_info(d->mm, id, b) < 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_OBJECT, "no memory block at %s",
					 path);
	return 0;
}

static int block_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
		      void **found, sd_bus_error *error)
{
	struct pmm_daemon *d = userdata;
	struct mm_block_info b;
	uint64_t id;

	if (!path_id(path, PMM_BLOCK_PREFIX, &id) || mm_memory_block_info(d->mm, id, &b) < 0)
		return 0;
	*found = d;
	return 1;
}

static int block_get(sd_bus *bus, const char *path, const char *interface, const char *property,
		     sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	struct pmm_daemon *d = userdata;
	struct mm_block_info b;
	int r;

	r = block_lookup(d, path, &b, error);
	if (r < 0)
		return r;
	if (!strcmp(property, "Id"))
		return sd_bus_message_append(reply, "t", b.id);
	if (!strcmp(property, "Start"))
		return sd_bus_message_append(reply, "t", b.start);
	if (!strcmp(property, "Size"))
		return sd_bus_message_append(reply, "t", b.size);
	if (!strcmp(property, "State"))
		return sd_bus_message_append(reply, "s", mm_block_state_name(b.state));
	if (!strcmp(property, "Zone"))
		return sd_bus_message_append(reply, "s", pmm_block_zone(&b));
	if (!strcmp(property, "Removable"))
		return sd_bus_message_append(reply, "b", (int)b.removable);
	if (!strcmp(property, "Node"))
		return sd_bus_message_append(reply, "i", b.nid);
	if (!strcmp(property, "Managed"))
		return sd_bus_message_append(reply, "b",
					     (int)pmm_config_in_region(&d->cfg, b.start, b.size));
	if (!strcmp(property, "ValidZones")) {
		char buf[64], *save = NULL, *tok;

		r = sd_bus_message_open_container(reply, 'a', "s");
		if (r < 0)
			return r;
		snprintf(buf, sizeof(buf), "%s", b.valid_zones);
		for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
			if (strcmp(tok, "none") && (r = sd_bus_message_append(reply, "s", tok)) < 0)
				return r;
		return sd_bus_message_close_container(reply);
	}
	return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY, "unknown property %s",
				 property);
}

static const sd_bus_vtable block_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Id", "t", block_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Start", "t", block_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Size", "t", block_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("State", "s", block_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Zone", "s", block_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("ValidZones", "as", block_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Removable", "b", block_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Node", "i", block_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Managed", "b", block_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END
};

struct enum_ctx {
	char **v;
	size_t n, cap;
	int err;
};

static int strv_push(struct enum_ctx *c, char *s)
{
	if (!s)
		return -ENOMEM;
	if (PMM_ARRAY_RESERVE(c->v, c->cap, c->n + 2, 64) < 0) {
		free(s);
		return -ENOMEM;
	}
	c->v[c->n++] = s;
	c->v[c->n] = NULL;
	return 0;
}

static void strv_free(struct enum_ctx *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->v[i]);
	free(c->v);
}

static int enum_block(const struct mm_block_info *b, void *arg)
{
	char *p;

	return pmm_block_path(b->id, &p) < 0 ? -ENOMEM : strv_push(arg, p);
}

static int block_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***nodes,
			   sd_bus_error *error)
{
	struct pmm_daemon *d = userdata;
	struct enum_ctx c = { 0 };
	int r;

	r = mm_for_each_memory_block(d->mm, enum_block, &c);
	if (r < 0) {
		strv_free(&c);
		return r;
	}
	if (!c.v)
		c.v = calloc(1, sizeof(char *));
	*nodes = c.v;
	return c.v ? 0 : -ENOMEM;
}

/* ---------------------------------------------------------------- ranges */

static int range_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
		      void **found, sd_bus_error *error)
{
	struct pmm_daemon *d = userdata;
	struct mm_range_info r;
	uint64_t id;

	if (!path_id(path, PMM_RANGE_PREFIX, &id) || pmm_range_info(d, id, &r) < 0)
		return 0;
	*found = d;
	return 1;
}

static int range_get(sd_bus *bus, const char *path, const char *interface, const char *property,
		     sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	struct pmm_daemon *d = userdata;
	struct pmm_namespace *ns;
	struct mm_range_info r;
	uint64_t id;

	/* the path holds the bus id: the range is the daemon's view of libmm's pieces */
	if (!path_id(path, PMM_RANGE_PREFIX, &id) || pmm_range_info(d, id, &r) < 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_OBJECT, "no range at %s", path);
	if (!strcmp(property, "Id"))
		return sd_bus_message_append(reply, "t", id);
	if (!strcmp(property, "Kind"))
		return sd_bus_message_append(reply, "s", pmm_range_kind(&r));
	if (!strcmp(property, "Start"))
		return sd_bus_message_append(reply, "t", r.start);
	if (!strcmp(property, "Size"))
		return sd_bus_message_append(reply, "t", r.size);
	if (!strcmp(property, "Node"))
		return sd_bus_message_append(reply, "i", r.nid);
	if (!strcmp(property, "Type"))
		return sd_bus_message_append(reply, "s", pmm_range_type(&r));
	if (!strcmp(property, "Map"))
		return sd_bus_message_append(reply, "s", pmm_range_map(&r));
	if (!strcmp(property, "Align"))
		return sd_bus_message_append(reply, "t", r.align);
	if (!strcmp(property, "Refs"))
		return sd_bus_message_append(reply, "t", r.refs);
	if (!strcmp(property, "Namespace")) {
		ns = pmm_namespace_for_range(d, id);
		return sd_bus_message_append(reply, "s", ns ? ns->cfg.name : "");
	}
	return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY, "unknown property %s",
				 property);
}

static const sd_bus_vtable range_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Id", "t", range_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Kind", "s", range_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	/* a partial RemoveMemory trims a range: start and size can change */
	SD_BUS_PROPERTY("Start", "t", range_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Size", "t", range_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Node", "i", range_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Type", "s", range_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Map", "s", range_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Align", "t", range_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Refs", "t", range_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Namespace", "s", range_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END
};

struct enum_range_ctx {
	struct pmm_daemon *d;
	struct enum_ctx c;
};

static int enum_range(const struct mm_range_info *r, void *arg)
{
	struct enum_range_ctx *e = arg;
	char *p;

	return pmm_range_path(r->id, &p) < 0 ? -ENOMEM : strv_push(&e->c, p);
}

static int range_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***nodes,
			   sd_bus_error *error)
{
	struct enum_range_ctx e = { .d = userdata };
	int r;

	r = pmm_for_each_range(e.d, enum_range, &e);
	if (r < 0) {
		strv_free(&e.c);
		return r;
	}
	if (!e.c.v)
		e.c.v = calloc(1, sizeof(char *));
	*nodes = e.c.v;
	return e.c.v ? 0 : -ENOMEM;
}

/* ---------------------------------------------------------------- namespaces */

static struct pmm_namespace *namespace_from_path(struct pmm_daemon *d, const char *path)
{
	_cleanup_(freep) char *name = NULL;

	if (sd_bus_path_decode(path, PMM_NAMESPACE_PREFIX, &name) <= 0 || !name)
		return NULL;
	return pmm_namespace_find(d, name);
}

static int namespace_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
			  void **found, sd_bus_error *error)
{
	struct pmm_namespace *ns = namespace_from_path(userdata, path);

	if (!ns)
		return 0;
	*found = userdata;
	return 1;
}

static int namespace_get(sd_bus *bus, const char *path, const char *interface,
			 const char *property, sd_bus_message *reply, void *userdata,
			 sd_bus_error *error)
{
	struct pmm_daemon *d = userdata;
	struct pmm_namespace *ns = namespace_from_path(d, path);

	if (!ns)
		return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_OBJECT, "no namespace at %s",
					 path);
	/* kernel backend: what libndctl / libdaxctl report */
	if (d->kernel)
		return pmm_kernel_namespace_property(d, ns, property, reply, error);
	if (!strcmp(property, "Dev"))
		return sd_bus_message_append(reply, "s", ns->cfg.name);
	if (!strcmp(property, "Mode"))
		return sd_bus_message_append(reply, "s", !ns->range_id ? "raw" :
					     ns->type == MEMORY_DEVICE_GENERIC ? "devdax" : "fsdax");
	if (!strcmp(property, "Start"))
		return sd_bus_message_append(reply, "t", ns->cfg.start);
	if (!strcmp(property, "Size"))
		return sd_bus_message_append(reply, "t", ns->cfg.size);
	if (!strcmp(property, "Align"))
		return sd_bus_message_append(reply, "t", ns->range_id ? ns->align :
					     mm_geometry(d->mm)->page_size);
	if (!strcmp(property, "NumaNode"))
		return sd_bus_message_append(reply, "i", ns->cfg.numa_node);
	if (!strcmp(property, "Map"))
		return sd_bus_message_append(reply, "s", !ns->range_id ? "none" :
					     ns->map_dev ? "dev" : "mem");
	if (!strcmp(property, "Source"))
		return sd_bus_message_append(reply, "s", "sim");
	if (!strcmp(property, "InUse"))
		return sd_bus_message_append(reply, "b", (int)(ns->range_id != 0));
	return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY, "unknown property %s",
				 property);
}

static const sd_bus_vtable namespace_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Dev", "s", namespace_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Mode", "s", namespace_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Start", "t", namespace_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Size", "t", namespace_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Align", "t", namespace_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("NumaNode", "i", namespace_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Map", "s", namespace_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Source", "s", namespace_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("InUse", "b", namespace_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END
};

static int namespace_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***nodes,
			       sd_bus_error *error)
{
	struct pmm_daemon *d = userdata;
	struct enum_ctx c = { 0 };
	size_t i;
	int r;

	for (i = 0; i < d->nr_ns; i++) {
		char *p;

		r = pmm_namespace_path(d->ns[i].cfg.name, &p);
		if (r < 0 || (r = strv_push(&c, p)) < 0) {
			strv_free(&c);
			return r;
		}
	}
	if (!c.v)
		c.v = calloc(1, sizeof(char *));
	*nodes = c.v;
	return c.v ? 0 : -ENOMEM;
}

/* ---------------------------------------------------------------- registration */

int pmm_objects_register(struct pmm_daemon *d)
{
	int r;

	r = sd_bus_add_object_manager(d->bus, NULL, PMM_MANAGER_PATH);
	if (r < 0)
		return r;
	r = sd_bus_add_fallback_vtable(d->bus, NULL, PMM_BLOCK_PREFIX, PMM_BLOCK_IFACE, block_vtable,
				       block_find, d);
	if (r < 0)
		return r;
	r = sd_bus_add_node_enumerator(d->bus, NULL, PMM_BLOCK_PREFIX, block_enumerate, d);
	if (r < 0)
		return r;
	r = sd_bus_add_fallback_vtable(d->bus, NULL, PMM_RANGE_PREFIX, PMM_RANGE_IFACE, range_vtable,
				       range_find, d);
	if (r < 0)
		return r;
	r = sd_bus_add_node_enumerator(d->bus, NULL, PMM_RANGE_PREFIX, range_enumerate, d);
	if (r < 0)
		return r;
	r = sd_bus_add_fallback_vtable(d->bus, NULL, PMM_NAMESPACE_PREFIX, PMM_NAMESPACE_IFACE,
				       namespace_vtable, namespace_find, d);
	if (r < 0)
		return r;
	return sd_bus_add_node_enumerator(d->bus, NULL, PMM_NAMESPACE_PREFIX, namespace_enumerate, d);
}

/* ---------------------------------------------------------------- signals */

void pmm_sig_add(struct pmm_signals *s, enum pmm_sig_kind kind, enum pmm_sig_obj obj,
		 uint64_t a, uint64_t b)
{
	struct pmm_sig *last = s->n ? &s->v[s->n - 1] : NULL;

	/* consecutive block runs of the same kind merge: one entry per contiguous change */
	if (last && obj == PMM_SIG_BLOCKS && last->obj == obj && last->kind == kind &&
	    last->a + last->b == a) {
		last->b += b;
		return;
	}
	if (PMM_ARRAY_RESERVE(s->v, s->cap, s->n + 1, 8) < 0) {
		pmm_log_warn("out of memory: a change signal is lost");
		return;
	}
	s->v[s->n++] = (struct pmm_sig){ kind, obj, a, b };
}

void pmm_signals_free(struct pmm_signals *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/*
 * Signals are best effort: a failure to queue one is logged, never turned into a failed
 * request (the change is already durable).
 */
static void emit_log(int r, const char *what, const char *path)
{
	if (r < 0)
		pmm_log_warn("cannot emit %s for %s: %s", what, path, strerror(-r));
}

static void emit_one_block(struct pmm_daemon *d, enum pmm_sig_kind kind, uint64_t id)
{
	_cleanup_(freep) char *path = NULL;
	struct mm_block_info b;
	int r;

	if (pmm_block_path(id, &path) < 0)
		return;
	/* a later request may already have removed it: nothing to announce then */
	if (kind != PMM_SIG_REMOVED && mm_memory_block_info(d->mm, id, &b) < 0)
		return;
	switch (kind) {
	case PMM_SIG_ADDED:
		r = sd_bus_emit_interfaces_added(d->bus, path, PMM_BLOCK_IFACE, NULL);
		emit_log(r, "InterfacesAdded", path);
		break;
	case PMM_SIG_REMOVED:
		r = sd_bus_emit_interfaces_removed(d->bus, path, PMM_BLOCK_IFACE, NULL);
		emit_log(r, "InterfacesRemoved", path);
		break;
	case PMM_SIG_CHANGED:
		r = sd_bus_emit_properties_changed(d->bus, path, PMM_BLOCK_IFACE, "State", "Zone",
						   "ValidZones", "Removable", NULL);
		emit_log(r, "PropertiesChanged", path);
		break;
	}
}

static void emit_range(struct pmm_daemon *d, enum pmm_sig_kind kind, uint64_t id)
{
	_cleanup_(freep) char *path = NULL;

	if (pmm_range_path(id, &path) < 0)
		return;
	if (kind != PMM_SIG_REMOVED && !pmm_range_mm(d, id))
		return;
	if (kind == PMM_SIG_ADDED)
		emit_log(sd_bus_emit_interfaces_added(d->bus, path, PMM_RANGE_IFACE, NULL),
			 "InterfacesAdded", path);
	else if (kind == PMM_SIG_REMOVED)
		emit_log(sd_bus_emit_interfaces_removed(d->bus, path, PMM_RANGE_IFACE, NULL),
			 "InterfacesRemoved", path);
	else
		emit_log(sd_bus_emit_properties_changed(d->bus, path, PMM_RANGE_IFACE, "Start",
							"Size", "Refs", NULL),
			 "PropertiesChanged", path);
}

static void emit_namespace(struct pmm_daemon *d, uint64_t idx)
{
	_cleanup_(freep) char *path = NULL;

	if (idx >= d->nr_ns || pmm_namespace_path(d->ns[idx].cfg.name, &path) < 0)
		return;
	emit_log(sd_bus_emit_properties_changed(d->bus, path, PMM_NAMESPACE_IFACE, "Mode", "Align",
						"Map", "InUse", NULL),
		 "PropertiesChanged", path);
}

/* PropertiesChanged for the Manager's byte counters that differ from the last announcement. */
static void emit_counters(struct pmm_daemon *d)
{
	struct mm_stats st;
	const char *names[6];
	size_t n = 0;

	mm_get_stats(d->mm, &st);
	if (st.present_bytes != d->announced.present_bytes)
		names[n++] = "PresentBytes";
	if (st.online_bytes != d->announced.online_bytes)
		names[n++] = "OnlineBytes";
	if (st.device_bytes != d->announced.device_bytes)
		names[n++] = "DeviceBytes";
	if (st.memmap_ram_bytes != d->announced.memmap_ram_bytes)
		names[n++] = "MemmapRamBytes";
	if (st.memmap_device_bytes != d->announced.memmap_device_bytes)
		names[n++] = "MemmapDeviceBytes";
	d->announced = st;
	if (!n)
		return;
	names[n] = NULL;
	emit_log(sd_bus_emit_properties_changed_strv(d->bus, PMM_MANAGER_PATH, PMM_MANAGER_IFACE,
						     (char **)names),
		 "PropertiesChanged", PMM_MANAGER_PATH);
}

void pmm_signals_emit(struct pmm_daemon *d, const struct pmm_signals *s)
{
	uint64_t bs, id;
	size_t i;

	if (d->replaying || !d->bus || !s)
		return;
	bs = mm_geometry(d->mm)->block_size;
	for (i = 0; i < s->n; i++) {
		const struct pmm_sig *g = &s->v[i];

		switch (g->obj) {
		case PMM_SIG_BLOCKS:
			for (id = g->a / bs; g->b && id <= (g->a + g->b - 1) / bs; id++)
				emit_one_block(d, g->kind, id);
			break;
		case PMM_SIG_RANGE:
			emit_range(d, g->kind, g->a);
			break;
		case PMM_SIG_NAMESPACE:
			emit_namespace(d, g->a);
			break;
		case PMM_SIG_COUNTERS:
			emit_counters(d);
			break;
		case PMM_SIG_POLICY:
			emit_log(sd_bus_emit_properties_changed(d->bus, PMM_MANAGER_PATH,
								PMM_MANAGER_IFACE, "AutoOnlineBlocks",
								"AutoMovableRatio", NULL),
				 "PropertiesChanged", PMM_MANAGER_PATH);
			break;
		}
	}
}

/* ---------------------------------------------------------------- range sets */

static int range_collect(const struct mm_range_info *r, void *arg)
{
	struct pmm_range_set *s = arg;

	if (PMM_ARRAY_RESERVE(s->v, s->cap, s->n + 1, 16) < 0)
		return -ENOMEM;
	s->v[s->n++] = *r;
	return 0;
}

void pmm_range_set_free(struct pmm_range_set *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

void pmm_range_set_take(struct pmm_daemon *d, struct pmm_range_set *s)
{
	s->n = 0;
	if (pmm_for_each_range(d, range_collect, s) < 0)
		s->n = 0;
}

static const struct mm_range_info *range_set_find(const struct pmm_range_set *s, uint64_t id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].id == id)
			return &s->v[i];
	return NULL;
}

void pmm_range_set_diff(struct pmm_daemon *d, const struct pmm_range_set *before,
			struct pmm_signals *sigs)
{
	struct pmm_range_set after = { 0 };
	size_t i;

	pmm_range_set_take(d, &after);
	for (i = 0; i < before->n; i++) {
		const struct mm_range_info *a = range_set_find(&after, before->v[i].id);

		if (!a)
			pmm_sig_add(sigs, PMM_SIG_REMOVED, PMM_SIG_RANGE, before->v[i].id, 0);
		else if (a->start != before->v[i].start || a->size != before->v[i].size ||
			 a->refs != before->v[i].refs)
			pmm_sig_add(sigs, PMM_SIG_CHANGED, PMM_SIG_RANGE, a->id, 0);
	}
	for (i = 0; i < after.n; i++)
		if (!range_set_find(before, after.v[i].id))
			pmm_sig_add(sigs, PMM_SIG_ADDED, PMM_SIG_RANGE, after.v[i].id, 0);
	pmm_range_set_free(&after);
}
