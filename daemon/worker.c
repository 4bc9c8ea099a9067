/* SPDX-License-Identifier: MIT */
/*
 * The thread beside the loop that commit.c (the syncer) and jobs.c (the job worker) each run:
 * start, wake the loop, stop. Only the waiting and the work differ between them; the way a
 * thread starts, tells the loop it has something and is stopped is the same, and lives here.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>

#include <event2/event.h>

#include "daemon.h"

static void worker_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pmm_worker *w = arg;
	eventfd_t v;

	(void)what;
	/* one read takes every wake-up since the last: the owner looks at all its state */
	if (eventfd_read(fd, &v) < 0 && errno != EAGAIN)
		pmm_log_warn("eventfd: %m");
	w->wake(w->d);
}

/* Everything but the thread: the lock, the condition and the eventfd armed on the loop. */
int pmm_worker_init(struct pmm_worker *w, struct pmm_daemon *d, void (*wake)(struct pmm_daemon *d))
{
	memset(w, 0, sizeof(*w));
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd < 0)
		return -errno;
	w->d = d;
	w->wake = wake;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->ev = event_new(d->loop.base, w->efd, EV_READ | EV_PERSIST, worker_wake_cb, w);
	if (!w->ev || event_add(w->ev, NULL) < 0) {
		pmm_worker_fini(w);
		return -ENOMEM;
	}
	return 0;
}

int pmm_worker_run(struct pmm_worker *w, void *(*fn)(void *), void *arg)
{
	int r = -pthread_create(&w->thread, NULL, fn, arg);

	w->started = r == 0;
	return r;
}

/* From the thread: have wake() run on the loop. An eventfd write fails only on a bug. */
void pmm_worker_wake(struct pmm_worker *w)
{
	if (eventfd_write(w->efd, 1) < 0)
		pmm_log_err("worker: cannot wake the loop: %m");
}

bool pmm_worker_stopping(struct pmm_worker *w)
{
	bool stop;

	pthread_mutex_lock(&w->lock);
	stop = w->stop;
	pthread_mutex_unlock(&w->lock);
	return stop;
}

/* Tell the thread to leave and wait until it has. */
void pmm_worker_stop(struct pmm_worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (w->started)
		pthread_join(w->thread, NULL);
	w->started = false;
}

/* After pmm_worker_stop() (or a failed start): no thread is left to use any of it. */
void pmm_worker_fini(struct pmm_worker *w)
{
	if (w->ev)
		event_free(w->ev);
	if (w->efd >= 0)
		close(w->efd);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	w->ev = NULL;
	w->efd = -1;
}
