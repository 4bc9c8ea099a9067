/* SPDX-License-Identifier: MIT */
/*
 * The kernel backend: the running kernel is the truth and the model (libmm) mirrors it.
 *
 *   backend-kernel.c  the mirror (sysfs memory tree → model), online/offline/probe through the
 *                     block files with all-or-nothing rollback, the managed-region guard,
 *                     udev event handling, namespace objects
 *   kernel-ram.c      the System RAM the kernel hot-added, kept across rebuilds and restarts
 *   sysfs.c           reading and writing /sys/devices/system/memory (sysfs.h)
 *   udev.c            the libudev monitor on the daemon's libevent loop
 *   ndctl.c           nd buses, regions, namespaces and dax devices (libndctl, libdaxctl)
 *
 * Only blocks inside the configured managed regions are ever written; with no managed region
 * the backend changes nothing at all.
 */
#ifndef PMM_DAEMON_BACKEND_KERNEL_H
#define PMM_DAEMON_BACKEND_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

struct pmm_daemon;
struct pmm_namespace;
struct pmm_op;
struct pmm_work;
struct json_object;
struct event_base;

/* ------------------------------------------------------------ hot-added System RAM */

/*
 * A System RAM range the kernel hot-added since boot (kernel-ram.c): sysfs cannot tell it
 * from boot memory, so the backend remembers it across a mirror rebuild and a restart.
 * mm: the libmm range once the mirror has it (0 before).
 */
struct pmm_hot_ram {
	uint64_t start, size, pub, mm;
	int nid;
};
struct pmm_hot_ram_list {
	struct pmm_hot_ram *v;
	size_t n, cap;
	uint64_t next_pub;       /* the bus ids' next_pub when the list was taken */
};
void pmm_hot_ram_free(struct pmm_hot_ram_list *l);
bool pmm_hot_ram_covers(const struct pmm_hot_ram_list *l, uint64_t addr);
/* The model's System RAM ranges with their bus ids. */
int pmm_hot_ram_collect(struct pmm_daemon *d, struct pmm_hot_ram_list *l);
/* Give the mirror's ranges (their .mm set) the bus ids they had; before any other naming. */
void pmm_hot_ram_name(struct pmm_daemon *d, const struct pmm_hot_ram_list *l);
/* The record in the state directory: this boot's id (read once) and the text last written. */
struct pmm_hot_ram_file {
	char boot_id[64];
	char *last;
};
/* The record's ranges, if it was written during this boot (else an empty list). */
int pmm_hot_ram_load(struct pmm_daemon *d, struct pmm_hot_ram_file *f, struct pmm_hot_ram_list *l);
/* Record the model's System RAM ranges when they differ from what f last wrote. */
void pmm_hot_ram_save(struct pmm_daemon *d, int dir_fd, struct pmm_hot_ram_file *f);

/* ------------------------------------------------------------ the daemon's hooks */

/*
 * Start-up, in place of pmm_sim_init(): open the udev monitor (events queue in its socket from
 * now on), read the sysfs memory tree, build the model that mirrors it, list the namespaces.
 * Sets d->cfg.block_size to the kernel's memory block size.
 */
int pmm_kernel_init(struct pmm_daemon *d, char **errmsg);
/* Once the loop exists: put the udev monitor on it and apply what queued during start-up. */
int pmm_kernel_start(struct pmm_daemon *d);
void pmm_kernel_free(struct pmm_daemon *d);
/*
 * pmm_work_step() of the kernel backend (inline requests, jobs and journal replay): the whole
 * operation in one step, all or nothing (the kernel's own rollback is done here).
 */
int pmm_kernel_work_step(struct pmm_daemon *d, struct pmm_work *w);
/*
 * Journal replay in the kernel backend: records of what the kernel did itself (block states,
 * hot-add, page references) are history, not instructions, so they are not applied, and the
 * range id such a record imposes is not checked against the ranges the mirror already has.
 */
bool pmm_kernel_replay_skips(const struct pmm_daemon *d, const struct pmm_op *op);
/* Rescan(): re-read everything; the model, objects and namespaces follow. */
int pmm_kernel_rescan(struct pmm_daemon *d);
/* List("namespaces"): what libndctl/libdaxctl see, as the contract's namespace objects. */
int pmm_kernel_list_namespaces(struct pmm_daemon *d, struct json_object *arr);
/* A property of a namespace object (Dev Mode Start Size Align NumaNode Map Source InUse). */
int pmm_kernel_namespace_property(struct pmm_daemon *d, const struct pmm_namespace *ns,
				  const char *property, sd_bus_message *reply,
				  sd_bus_error *error);

/* ------------------------------------------------------------ udev.c */

/* One uevent as the handler needs it; strings live until the handler returns. */
struct pmm_uevent {
	const char *action;      /* add remove change online offline bind unbind move */
	const char *subsystem;   /* memory nd dax */
	const char *sysname;     /* memory140, namespace0.0, dax1.0 */
	uint64_t seqnum;         /* 0 when the sender gave none */
};

struct pmm_udev;
/* Called once per wakeup with every event drained from the monitor, in arrival order. */
typedef void (*pmm_uevent_batch_fn)(const struct pmm_uevent *ev, size_t n, void *arg);

/*
 * A monitor for subsystems memory, nd and dax in group "udev" when udevd runs
 * (/run/udev/control exists), "kernel" otherwise, with a large receive buffer so a burst of
 * events is not dropped while the daemon is busy.
 */
int pmm_udev_open(struct pmm_udev **out, char **errmsg);
int pmm_udev_attach(struct pmm_udev *u, struct event_base *base, pmm_uevent_batch_fn fn,
		    void *arg);
/* Drain and hand over whatever is queued now (start-up; also what the event callback does). */
void pmm_udev_drain(struct pmm_udev *u);
const char *pmm_udev_group(const struct pmm_udev *u);
void pmm_udev_close(struct pmm_udev *u);

/* ------------------------------------------------------------ ndctl.c */

/*
 * A namespace (nd) or a dax device as ndctl and daxctl list them. start/size/align are those of
 * the namespace's personality when it has one (the pfn/dax device's data area, as `ndctl list`
 * reports size), else of the raw namespace; ns_start/ns_size are always the raw namespace's,
 * which is what the nvdimm pfn layout is computed from.
 */
struct pmm_nd_dev {
	char dev[32];            /* namespace0.0, dax1.0 */
	char mode[16];           /* fsdax devdax sector raw | dax devices: devdax system-ram */
	char map[8];             /* dev mem none */
	uint64_t start, size, align;
	int numa_node;
	bool is_namespace;       /* false: a dax device (daxctl) */
	bool active;             /* enabled: a driver has it */
	uint64_t ns_start, ns_size;
	char region[32];
	char bus[32];
};

struct pmm_nd_scan {
	struct pmm_nd_dev *v;
	size_t n;
	unsigned int nr_buses, nr_regions;
};

/* A fresh libndctl + libdaxctl context each time: both cache everything they read. */
int pmm_nd_scan(struct pmm_nd_scan *out, char **errmsg);
void pmm_nd_scan_free(struct pmm_nd_scan *s);

#endif
