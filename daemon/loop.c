/* SPDX-License-Identifier: MIT */
/*
 * sd-bus driven from libevent. sd-bus tells what it waits for: sd_bus_get_fd(), the poll
 * events of sd_bus_get_events() and sd_bus_get_timeout(), an absolute CLOCK_MONOTONIC time in
 * µs (0: process now, UINT64_MAX: none). One libevent event carries all three; its callback
 * drains sd_bus_process() until it returns 0 and re-arms. Anything that sends outside that
 * callback (a timer, a worker completion) must call pmm_loop_rearm() so queued output is
 * flushed and the new timeout is honoured.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "daemon.h"

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void bus_event_cb(evutil_socket_t fd, short what, void *arg);

int pmm_loop_rearm(struct pmm_daemon *d)
{
	struct pmm_loop *l = &d->loop;
	struct timeval tv, *tvp = NULL;
	uint64_t until, now, wait;
	short flags = EV_PERSIST;
	int events, fd;

	if (!l->bus || !l->base)
		return 0;
	fd = sd_bus_get_fd(l->bus);
	events = sd_bus_get_events(l->bus);
	if (fd < 0 || events < 0) {
		/* the connection is gone: nothing to wait for, stop the loop */
		event_base_loopbreak(l->base);
		return fd < 0 ? fd : events;
	}
	if (events & POLLIN)
		flags |= EV_READ;
	if (events & POLLOUT)
		flags |= EV_WRITE;
	if (sd_bus_get_timeout(l->bus, &until) < 0)
		until = UINT64_MAX;
	/*
	 * The usual case after a request: the same fd, the same events, still no timeout. The
	 * persistent event stays armed as it is; deleting and adding it again would cost two
	 * epoll_ctl() calls per request (bench/bench-bus.c: a read's round trip).
	 */
	if (l->armed && l->bus_ev && fd == l->armed_fd && flags == l->armed_flags &&
	    until == UINT64_MAX && l->armed_until == UINT64_MAX)
		return 0;
	if (until != UINT64_MAX) {
		now = now_usec();
		wait = until > now ? until - now : 0;
		tv.tv_sec = (time_t)(wait / 1000000u);
		tv.tv_usec = (suseconds_t)(wait % 1000000u);
		tvp = &tv;
	}
	if (l->bus_ev) {
		event_del(l->bus_ev);
		event_assign(l->bus_ev, l->base, fd, flags, bus_event_cb, d);
	} else {
		l->bus_ev = event_new(l->base, fd, flags, bus_event_cb, d);
		if (!l->bus_ev)
			return -ENOMEM;
	}
	if (event_add(l->bus_ev, tvp) < 0) {
		l->armed = false;
		return -EIO;
	}
	l->armed = true;
	l->armed_fd = fd;
	l->armed_flags = flags;
	l->armed_until = until;
	return 0;
}

static void bus_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pmm_daemon *d = arg;
	int r;

	(void)fd;
	(void)what;
	/*
	 * One message at a time under the model lock: a job's worker steps in between. After a
	 * journal failure nothing more is processed: the model holds a change the journal lacks.
	 */
	do {
		pmm_model_lock(d);
		r = sd_bus_process(d->loop.bus, NULL);
		pmm_model_unlock(d);
	} while (r > 0 && !d->failed);
	if (r < 0) {
		if (r == -ECONNRESET || r == -ENOTCONN)
			pmm_log_err("lost the bus connection");
		else
			pmm_log_err("processing the bus: %s", strerror(-r));
		d->exit_code = 1;
		event_base_loopbreak(d->loop.base);
		return;
	}
	if (d->failed) {
		/* fail-stop: flush the Failed reply, then leave so a restart replays the journal */
		sd_bus_flush(d->loop.bus);
		event_base_loopbreak(d->loop.base);
		return;
	}
	pmm_loop_rearm(d);
}

static void signal_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pmm_daemon *d = arg;
	struct signalfd_siginfo si;

	(void)what;
	if (read(fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return;
	pmm_log_info("%s received, stopping", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
	sd_notify(0, "STOPPING=1\nSTATUS=Stopping");
	event_base_loopbreak(d->loop.base);
}

/*
 * SIGTERM and SIGINT arrive through a signalfd read on the loop, not through a handler: they
 * are blocked here, before the syncer and job threads exist (threads inherit the mask), so no
 * thread is ever interrupted by them and stopping is ordinary loop work. Until this point a
 * signal still has its default action: a daemon still restoring its state just exits, and the
 * journal makes that safe.
 */
int pmm_loop_init(struct pmm_daemon *d)
{
	struct pmm_loop *l = &d->loop;
	sigset_t set;

	l->signal_fd = -1;
	l->base = event_base_new();
	if (!l->base)
		return -ENOMEM;
	l->bus = d->bus;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -EINVAL;
	l->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->signal_fd < 0)
		return -errno;
	l->signal_ev = event_new(l->base, l->signal_fd, EV_READ | EV_PERSIST, signal_cb, d);
	if (!l->signal_ev)
		return -ENOMEM;
	if (event_add(l->signal_ev, NULL) < 0)
		return -EIO;
	return 0;
}

int pmm_loop_run(struct pmm_daemon *d)
{
	int r;

	/* messages may already wait in sd-bus's queue (they arrived during start-up) */
	r = pmm_loop_rearm(d);
	if (r < 0)
		return r;
	event_active(d->loop.bus_ev, EV_READ, 0);
	if (event_base_dispatch(d->loop.base) < 0)
		return -EIO;
	return 0;
}

void pmm_loop_fini(struct pmm_daemon *d)
{
	struct pmm_loop *l = &d->loop;

	if (l->bus_ev)
		event_free(l->bus_ev);
	if (l->signal_ev)
		event_free(l->signal_ev);
	if (l->base && l->signal_fd >= 0)   /* l->base: pmm_loop_init() ran and set signal_fd */
		close(l->signal_fd);
	if (l->base)
		event_base_free(l->base);
	memset(l, 0, sizeof(*l));
}
