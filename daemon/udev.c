/* SPDX-License-Identifier: MIT */
/*
 * The udev monitor of the kernel backend, on the daemon's libevent loop.
 *
 * Group: "udev" when udevd runs (it re-broadcasts events after its rules ran, so a rule that
 * onlines memory has already acted), "kernel" otherwise: without udevd nothing is ever sent to
 * the "udev" group and the daemon would be deaf.
 *
 * Bursts: every wakeup drains the socket until it would block, then hands the whole batch to
 * the backend in arrival order. The receive buffer is raised so a burst that arrives while the
 * daemon is busy (a long request, start-up) waits in the socket instead of being dropped. An
 * event is handed over exactly once: a seqnum not above the last one seen is a duplicate.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <libudev.h>

#include "backend-kernel.h"
#include "array.h"
#include "daemon.h"

/* The kernel's uevent socket buffer is small; events of a large hot-add come in thousands. */
#define PMM_UDEV_RCVBUF (128 * 1024 * 1024)

static const char *const watched_subsystems[] = { "memory", "nd", "dax" };

/* Invariant: last_seqnum is the highest seqnum handed over (0: none seen yet). */
struct pmm_udev {
	struct udev *udev;
	struct udev_monitor *mon;
	struct event *ev;
	const char *group;
	pmm_uevent_batch_fn fn;
	void *arg;
	uint64_t last_seqnum;
	/* the batch being collected: devices keep their strings alive until it is handed over */
	struct udev_device **batch;
	size_t nr, cap;
};

static const char *monitor_group(void)
{
	/* udevd's control socket: the one file that says udevd is running */
	return access("/run/udev/control", F_OK) == 0 ? "udev" : "kernel";
}

int pmm_udev_open(struct pmm_udev **out, char **errmsg)
{
	struct pmm_udev *u = calloc(1, sizeof(*u));
	size_t i;
	int r;

	*out = NULL;
	if (!u)
		return -ENOMEM;
	u->group = monitor_group();
	u->udev = udev_new();
	if (!u->udev) {
		r = errno ? -errno : -ENOMEM;
		goto fail;
	}
	u->mon = udev_monitor_new_from_netlink(u->udev, u->group);
	if (!u->mon) {
		r = errno ? -errno : -EIO;
		goto fail;
	}
	for (i = 0; i < ARRAY_SIZE(watched_subsystems); i++) {
		r = udev_monitor_filter_add_match_subsystem_devtype(u->mon, watched_subsystems[i],
								     NULL);
		if (r < 0)
			goto fail;
	}
	/* not fatal: without CAP_NET_ADMIN the default buffer still works for small bursts */
	r = udev_monitor_set_receive_buffer_size(u->mon, PMM_UDEV_RCVBUF);
	if (r < 0)
		pmm_log_warn("udev: cannot raise the monitor's receive buffer: %s", strerror(-r));
	r = udev_monitor_enable_receiving(u->mon);
	if (r < 0)
		goto fail;
	*out = u;
	return 0;
fail:
	if (asprintf(errmsg, "cannot open a udev monitor (group \"%s\") for memory, nd and dax events: %s",
		     u->group, strerror(r < 0 ? -r : EIO)) < 0)
		*errmsg = NULL;
	pmm_udev_close(u);
	return r < 0 ? r : -EIO;
}

const char *pmm_udev_group(const struct pmm_udev *u)
{
	return u->group;
}

static int batch_push(struct pmm_udev *u, struct udev_device *dev)
{
	if (PMM_ARRAY_RESERVE(u->batch, u->cap, u->nr + 1, 64) < 0)
		return -ENOMEM;
	u->batch[u->nr++] = dev;
	return 0;
}

static void batch_release(struct pmm_udev *u)
{
	size_t i;

	for (i = 0; i < u->nr; i++)
		udev_device_unref(u->batch[i]);
	u->nr = 0;
}

/* Move every event the socket holds now into the batch, duplicates dropped. */
static void drain_socket(struct pmm_udev *u)
{
	struct udev_device *dev;
	unsigned int errors = 0;

	for (;;) {
		uint64_t seq;

		errno = 0;
		dev = udev_monitor_receive_device(u->mon);
		if (!dev) {
			/* EAGAIN: empty. Anything else was one bad message: keep draining, a while */
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == 0 || ++errors > 64)
				break;
			if (errno == ENOBUFS)
				pmm_log_warn("udev: the monitor overflowed, events were lost; rescanning");
			else
				pmm_log_warn("udev: receiving an event: %s", strerror(errno));
			if (errno == ENOBUFS) {
				/* a lost event cannot be recovered from the socket: re-read everything */
				static const struct pmm_uevent rescan = { .action = "rescan",
									  .subsystem = "",
									  .sysname = "" };

				u->fn(&rescan, 1, u->arg);
			}
			continue;
		}
		seq = udev_device_get_seqnum(dev);
		if (seq && seq <= u->last_seqnum) {
			pmm_log_warn("udev: event %llu (%s %s) already handled, ignored",
				     (unsigned long long)seq, udev_device_get_action(dev),
				     udev_device_get_sysname(dev));
			udev_device_unref(dev);
			continue;
		}
		if (seq)
			u->last_seqnum = seq;
		if (batch_push(u, dev) < 0) {
			pmm_log_err("udev: out of memory queueing an event");
			udev_device_unref(dev);
			break;
		}
	}
}

void pmm_udev_drain(struct pmm_udev *u)
{
	struct pmm_uevent *ev;
	size_t i, n;

	drain_socket(u);
	n = u->nr;
	if (!n)
		return;
	ev = calloc(n, sizeof(*ev));
	if (!ev) {
		pmm_log_err("udev: out of memory handling %zu events", n);
		batch_release(u);
		return;
	}
	for (i = 0; i < n; i++) {
		struct udev_device *dev = u->batch[i];
		const char *s;

		ev[i].action = (s = udev_device_get_action(dev)) ? s : "change";
		ev[i].subsystem = (s = udev_device_get_subsystem(dev)) ? s : "";
		ev[i].sysname = (s = udev_device_get_sysname(dev)) ? s : "";
		ev[i].seqnum = udev_device_get_seqnum(dev);
	}
	u->fn(ev, n, u->arg);
	free(ev);
	batch_release(u);
}

static void monitor_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pmm_udev_drain(arg);
}

int pmm_udev_attach(struct pmm_udev *u, struct event_base *base, pmm_uevent_batch_fn fn,
		    void *arg)
{
	int fd = udev_monitor_get_fd(u->mon);

	if (fd < 0)
		return fd;
	u->fn = fn;
	u->arg = arg;
	u->ev = event_new(base, fd, EV_READ | EV_PERSIST, monitor_cb, u);
	if (!u->ev)
		return -ENOMEM;
	if (event_add(u->ev, NULL) < 0)
		return -EIO;
	return 0;
}

void pmm_udev_close(struct pmm_udev *u)
{
	if (!u)
		return;
	if (u->ev)
		event_free(u->ev);
	batch_release(u);
	free(u->batch);
	if (u->mon)
		udev_monitor_unref(u->mon);
	if (u->udev)
		udev_unref(u->udev);
	free(u);
}
