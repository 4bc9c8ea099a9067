/* SPDX-License-Identifier: MIT */
/*
 * nd buses, regions, namespaces and dax devices, as libndctl and libdaxctl see them.
 *
 * Both libraries read sysfs once per context and cache the result, so every scan makes new
 * contexts: after an nd or dax uevent an old context would still describe the old devices.
 * Entries are listed as `ndctl list -N` and `daxctl list` report them: a namespace with a
 * personality (pfn: fsdax, dax: devdax, btt: sector) shows that personality's data area, size
 * and alignment; map is where the memmap lives (pfn/dax location: "dev" in the namespace, "mem"
 * in RAM). Raw namespaces have neither ("none").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <daxctl/libdaxctl.h>
#include <ndctl/libndctl.h>

#include "backend-kernel.h"
#include "array.h"
#include "daemon.h"

static void ndctl_unrefp(struct ndctl_ctx **c)
{
	if (*c)
		ndctl_unref(*c);
}

struct nd_collect {
	struct pmm_nd_scan *s;
	size_t cap;
	/* daxctl regions that belong to an nd_dax, and where their memmap lives */
	struct {
		struct daxctl_region *region;
		const char *map;
		int numa_node;
	} parents[64];
	size_t nr_parents;
};

static struct pmm_nd_dev *nd_push(struct nd_collect *c)
{
	struct pmm_nd_scan *s = c->s;

	if (PMM_ARRAY_RESERVE(s->v, c->cap, s->n + 1, 16) < 0)
		return NULL;
	memset(&s->v[s->n], 0, sizeof(s->v[s->n]));
	return &s->v[s->n++];
}

static const char *ns_mode_name(enum ndctl_namespace_mode m)
{
	switch (m) {
	case NDCTL_NS_MODE_FSDAX: return "fsdax";
	case NDCTL_NS_MODE_SECTOR: return "sector";
	case NDCTL_NS_MODE_RAW: return "raw";
	case NDCTL_NS_MODE_DEVDAX: return "devdax";
	case NDCTL_NS_MODE_UNKNOWN: break;
	}
	return "unknown";
}

/* NDCTL_PFN_LOC_PMEM: the memmap is carved from the namespace (map=dev), RAM: map=mem */
static const char *pfn_loc_name(enum ndctl_pfn_loc l)
{
	switch (l) {
	case NDCTL_PFN_LOC_PMEM: return "dev";
	case NDCTL_PFN_LOC_RAM: return "mem";
	case NDCTL_PFN_LOC_NONE: break;
	}
	return "none";
}

static void copy_name(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

/* One namespace, through whichever personality claims it. */
static int collect_namespace(struct nd_collect *c, struct ndctl_bus *bus,
			     struct ndctl_region *region, struct ndctl_namespace *ndns)
{
	struct ndctl_pfn *pfn = ndctl_namespace_get_pfn(ndns);
	struct ndctl_dax *dax = ndctl_namespace_get_dax(ndns);
	struct ndctl_btt *btt = ndctl_namespace_get_btt(ndns);
	struct pmm_nd_dev *e;

	/* the seed namespace of a region (size 0) is a template, not a namespace */
	if (!ndctl_namespace_get_size(ndns) && !pfn && !dax && !btt)
		return 0;
	e = nd_push(c);
	if (!e)
		return -ENOMEM;
	e->is_namespace = true;
	copy_name(e->dev, sizeof(e->dev), ndctl_namespace_get_devname(ndns));
	copy_name(e->region, sizeof(e->region), ndctl_region_get_devname(region));
	copy_name(e->bus, sizeof(e->bus), ndctl_bus_get_devname(bus));
	copy_name(e->mode, sizeof(e->mode), ns_mode_name(ndctl_namespace_get_mode(ndns)));
	e->ns_start = ndctl_namespace_get_resource(ndns);
	e->ns_size = ndctl_namespace_get_size(ndns);
	if (e->ns_start == ULLONG_MAX)
		e->ns_start = 0;
	e->numa_node = ndctl_namespace_get_numa_node(ndns);
	e->active = ndctl_namespace_is_active(ndns);
	e->start = e->ns_start;
	e->size = e->ns_size;
	e->align = (uint64_t)sysconf(_SC_PAGESIZE);
	copy_name(e->map, sizeof(e->map), "none");
	if (pfn) {
		e->start = ndctl_pfn_get_resource(pfn);
		e->size = ndctl_pfn_get_size(pfn);
		e->align = ndctl_pfn_get_align(pfn);
		copy_name(e->map, sizeof(e->map), pfn_loc_name(ndctl_pfn_get_location(pfn)));
	} else if (dax) {
		struct daxctl_region *dr = ndctl_dax_get_daxctl_region(dax);

		e->start = ndctl_dax_get_resource(dax);
		e->size = ndctl_dax_get_size(dax);
		e->align = ndctl_dax_get_align(dax);
		copy_name(e->map, sizeof(e->map), pfn_loc_name(ndctl_dax_get_location(dax)));
		if (dr && c->nr_parents < ARRAY_SIZE(c->parents)) {
			c->parents[c->nr_parents].region = dr;
			c->parents[c->nr_parents].map = pfn_loc_name(ndctl_dax_get_location(dax));
			c->parents[c->nr_parents].numa_node = e->numa_node;
			c->nr_parents++;
		}
	} else if (btt) {
		e->size = ndctl_btt_get_size(btt);
	}
	if (e->start == ULLONG_MAX)
		e->start = e->ns_start;
	return 0;
}

/* One dax device, as `daxctl list` shows it (mode devdax or system-ram under kmem). */
static int collect_dax_dev(struct nd_collect *c, struct daxctl_region *region,
			   struct daxctl_dev *dev)
{
	struct pmm_nd_dev *e = nd_push(c);
	size_t i;

	if (!e)
		return -ENOMEM;
	copy_name(e->dev, sizeof(e->dev), daxctl_dev_get_devname(dev));
	copy_name(e->region, sizeof(e->region), daxctl_region_get_devname(region));
	copy_name(e->mode, sizeof(e->mode), daxctl_dev_get_memory(dev) ? "system-ram" : "devdax");
	e->start = daxctl_dev_get_resource(dev);
	if (e->start == ULLONG_MAX)
		e->start = 0;
	e->size = daxctl_dev_get_size(dev);
	e->align = daxctl_dev_get_align(dev);
	e->numa_node = daxctl_dev_get_target_node(dev);
	e->active = daxctl_dev_is_enabled(dev);
	/* a device of an nd_dax has its parent's layout; others (hmem) keep the memmap in RAM */
	copy_name(e->map, sizeof(e->map), "mem");
	for (i = 0; i < c->nr_parents; i++)
		if (c->parents[i].region == region)
			copy_name(e->map, sizeof(e->map), c->parents[i].map);
	return 0;
}

int pmm_nd_scan(struct pmm_nd_scan *out, char **errmsg)
{
	_cleanup_(ndctl_unrefp) struct ndctl_ctx *ctx = NULL;
	struct nd_collect c = { .s = out };
	struct ndctl_bus *bus;
	struct daxctl_ctx *dctx;
	struct daxctl_region *dregion;
	int r;

	memset(out, 0, sizeof(*out));
	r = ndctl_new(&ctx);
	if (r < 0) {
		if (asprintf(errmsg, "libndctl: cannot create a context: %s", strerror(-r)) < 0)
			*errmsg = NULL;
		return r;
	}
	/* the daemon reports what it found itself; libndctl's own chatter is for ndctl's CLI */
	ndctl_set_log_priority(ctx, LOG_CRIT);
	ndctl_bus_foreach(ctx, bus) {
		struct ndctl_region *region;

		out->nr_buses++;
		ndctl_region_foreach(bus, region) {
			struct ndctl_namespace *ndns;

			out->nr_regions++;
			ndctl_namespace_foreach(region, ndns) {
				r = collect_namespace(&c, bus, region, ndns);
				if (r < 0)
					goto fail;
			}
		}
	}
	/* every dax device, whether an nd_dax or another provider (hmem) made it */
	dctx = ndctl_get_daxctl_ctx(ctx);
	if (dctx) {
		daxctl_set_log_priority(dctx, LOG_CRIT);
		daxctl_region_foreach(dctx, dregion) {
			struct daxctl_dev *dev;

			daxctl_dev_foreach(dregion, dev) {
				r = collect_dax_dev(&c, dregion, dev);
				if (r < 0)
					goto fail;
			}
		}
	}
	return 0;
fail:
	pmm_nd_scan_free(out);
	if (asprintf(errmsg, "listing namespaces: %s", strerror(-r)) < 0)
		*errmsg = NULL;
	return r;
}

void pmm_nd_scan_free(struct pmm_nd_scan *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}
