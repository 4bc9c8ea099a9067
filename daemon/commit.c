/* SPDX-License-Identifier: MIT */
/*
 * Group commit. A mutating request applies its change, writes its journal records (write(2),
 * no sync) and parks its reply and signals here; a syncer thread runs fdatasync() on the
 * journal and reports the last record it made durable through an eventfd. Requests that
 * arrive while an fdatasync runs write their records meanwhile and share the next one. A
 * reply is sent only once its own record is durable, in journal order.
 *
 * The syncer touches nothing but the journal fd and the counters below (under lock); the model,
 * the bus and the pending list belong to the loop thread. An fdatasync error is fail-stop: the
 * waiting requests are answered Failed, their records are cut off the journal (back to the
 * last durable size, so Failed means "not done" after a restart too) and the daemon stops so a
 * restart restores exactly what was acknowledged.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "pmm-names.h"

struct pmm_pending {
	struct pmm_pending *next;
	sd_bus_message *call;
	sd_bus_message *reply;
	struct pmm_signals sigs;
	uint64_t seq;              /* the request's last journal record */
};

struct pmm_committer {
	struct pmm_worker w;       /* the syncer */
	/* under w.lock */
	int fd;                    /* the journal, as the syncer must sync it */
	uint64_t written, synced;  /* journal seqs */
	uint64_t written_size, synced_size; /* journal bytes at those seqs */
	int error;                 /* first fdatasync failure, then the syncer stops */
	bool syncing;
	uint64_t nr_syncs;
	uint64_t base;             /* journal seq when the committer started */
	/* loop thread only */
	struct pmm_pending *head, *tail;
};

static void *syncer_main(void *arg)
{
	struct pmm_committer *c = arg;

	pthread_mutex_lock(&c->w.lock);
	for (;;) {
		uint64_t target, target_size;
		int fd, r;

		while (!c->w.stop && c->written == c->synced)
			pthread_cond_wait(&c->w.cond, &c->w.lock);
		if (c->written == c->synced || c->error)
			break;
		target = c->written;
		target_size = c->written_size;
		fd = c->fd;
		c->syncing = true;
		pthread_mutex_unlock(&c->w.lock);

		r = fdatasync(fd) < 0 ? -errno : 0;

		pthread_mutex_lock(&c->w.lock);
		c->syncing = false;
		c->nr_syncs++;
		if (r < 0) {
			c->error = r;
		} else {
			c->synced = target;
			c->synced_size = target_size;
		}
		pthread_cond_broadcast(&c->w.cond);
		pmm_worker_wake(&c->w);
		if (r < 0)
			break;
	}
	pthread_mutex_unlock(&c->w.lock);
	return NULL;
}

static void pending_free(struct pmm_pending *p)
{
	sd_bus_message_unref(p->call);
	sd_bus_message_unref(p->reply);
	pmm_signals_free(&p->sigs);
	free(p);
}

/* Answer every parked request whose records are durable; with an error, answer all Failed. */
static void complete(struct pmm_daemon *d)
{
	struct pmm_committer *c = d->committer;
	uint64_t synced, synced_size;
	int error, r;

	pthread_mutex_lock(&c->w.lock);
	synced = c->synced;
	synced_size = c->synced_size;
	error = c->error;
	pthread_mutex_unlock(&c->w.lock);

	while (c->head && (c->head->seq <= synced || error)) {
		struct pmm_pending *p = c->head;

		c->head = p->next;
		if (!c->head)
			c->tail = NULL;
		if (p->seq <= synced) {
			r = p->reply ? sd_bus_send(NULL, p->reply, NULL) :
				       sd_bus_reply_method_errno(p->call, -ENOMEM, NULL);
			if (r < 0)
				pmm_log_warn("cannot send a reply: %s", strerror(-r));
			pmm_signals_emit(d, &p->sigs);
		} else {
			sd_bus_error e = SD_BUS_ERROR_NULL;

			/* not durable: the success reply is dropped, the call is answered Failed */
			pmm_bus_error(&e, -EIO, MM_CAUSE_NONE,
				      "the change could not be made durable (journal %s: %s); pmm-hotplugd stops",
				      d->journal.path, strerror(-error));
			r = sd_bus_reply_method_error(p->call, &e);
			if (r < 0)
				pmm_log_warn("cannot send an error reply: %s", strerror(-r));
			sd_bus_error_free(&e);
		}
		pending_free(p);
	}
	if (error && !d->failed) {
		pmm_log_err("journal %s: fdatasync failed: %s; stopping so that a restart restores the acknowledged state",
			    d->journal.path, strerror(-error));
		/* the records answered Failed above must not come back at the restart */
		if (ftruncate(d->journal.fd, (off_t)synced_size) < 0)
			pmm_log_err("journal %s: cannot cut it back to its last durable %llu bytes: %m",
				    d->journal.path, (unsigned long long)synced_size);
		else
			d->journal.size = synced_size;
		sd_notifyf(0, "STATUS=Journal sync failed: %s", strerror(-error));
		d->failed = true;
		d->exit_code = 1;
	}
}

static void maybe_snapshot(struct pmm_daemon *d)
{
	struct pmm_committer *c = d->committer;
	bool idle;

	if (!d->snapshot_every || d->journal.nr_records < d->snapshot_every || c->head || d->failed ||
	    !pmm_jobs_idle(d))
		return;
	pthread_mutex_lock(&c->w.lock);
	idle = !c->syncing && c->written == c->synced;
	pthread_mutex_unlock(&c->w.lock);
	if (!idle)
		return;
	/* the syncer is idle and nothing is parked: the journal fd can be replaced */
	if (pmm_snapshot_write(d) == 0) {
		pthread_mutex_lock(&c->w.lock);
		c->fd = d->journal.fd;
		c->written_size = c->synced_size = d->journal.size;
		pthread_mutex_unlock(&c->w.lock);
	}
}

/* on the loop, after the syncer made records durable (or failed) */
static void syncer_wake(struct pmm_daemon *d)
{
	pmm_model_lock(d);
	complete(d);
	maybe_snapshot(d);
	pmm_model_unlock(d);
	if (d->failed) {
		sd_bus_flush(d->bus);
		event_base_loopbreak(d->loop.base);
		return;
	}
	pmm_loop_rearm(d);
}

int pmm_commit_start(struct pmm_daemon *d)
{
	struct pmm_committer *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	r = pmm_worker_init(&c->w, d, syncer_wake);
	if (r < 0) {
		free(c);
		return r;
	}
	c->fd = d->journal.fd;
	c->written = c->synced = c->base = d->journal.next_seq - 1;
	c->written_size = c->synced_size = d->journal.size;
	r = pmm_worker_run(&c->w, syncer_main, c);
	if (r < 0) {
		pmm_worker_fini(&c->w);
		free(c);
		return r;
	}
	d->committer = c;
	return 0;
}

/* Let the syncer make everything written durable, answer what waits, stop the thread. */
void pmm_commit_stop(struct pmm_daemon *d)
{
	struct pmm_committer *c = d->committer;

	if (!c)
		return;
	pmm_worker_stop(&c->w);
	pmm_log_info("group commit: %llu journal records made durable by %llu fdatasyncs",
		     (unsigned long long)(c->synced - c->base), (unsigned long long)c->nr_syncs);
	if (d->bus)
		complete(d);
	while (c->head) {
		struct pmm_pending *p = c->head;

		c->head = p->next;
		pending_free(p);
	}
	pmm_worker_fini(&c->w);
	free(c);
	d->committer = NULL;
}

uint64_t pmm_commit_nr_syncs(struct pmm_daemon *d)
{
	uint64_t n;

	if (!d->committer)
		return 0;
	pthread_mutex_lock(&d->committer->w.lock);
	n = d->committer->nr_syncs;
	pthread_mutex_unlock(&d->committer->w.lock);
	return n;
}

/*
 * The end of every mutating request: write its journal records, then reply (and signal) once
 * they are durable. Takes ownership of reply and sigs. Without a running committer (tests,
 * start-up) the commit is synchronous.
 */
int pmm_request_finish(struct pmm_daemon *d, sd_bus_message *call, sd_bus_message *reply,
		       struct pmm_signals *sigs, sd_bus_error *error)
{
	struct pmm_committer *c = d->committer;
	struct pmm_pending *p;
	uint64_t last;
	int r;

	r = c ? pmm_journal_write(&d->journal, &last) : pmm_journal_commit(&d->journal);
	if (r < 0) {
		sd_bus_message_unref(reply);
		pmm_signals_free(sigs);
		pmm_log_err("journal %s: write failed: %s; stopping so that a restart restores the acknowledged state",
			    d->journal.path, strerror(-r));
		sd_notifyf(0, "STATUS=Journal write failed: %s", strerror(-r));
		d->failed = true;
		d->exit_code = 1;
		return pmm_bus_error(error, -EIO, MM_CAUSE_NONE,
				     "the change could not be made durable (journal %s: %s); pmm-hotplugd stops",
				     d->journal.path, strerror(-r));
	}
	if (!c) {
		r = reply ? sd_bus_send(NULL, reply, NULL) : sd_bus_reply_method_errno(call, -ENOMEM, NULL);
		sd_bus_message_unref(reply);
		pmm_signals_emit(d, sigs);
		pmm_signals_free(sigs);
		if (d->snapshot_every && d->journal.nr_records >= d->snapshot_every && pmm_jobs_idle(d))
			pmm_snapshot_write(d);
		return r < 0 ? r : 1;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		/* durable soon, but we cannot wait for it: answer after a synchronous sync */
		r = fdatasync(d->journal.fd) < 0 ? -errno : 0;
		if (r >= 0)
			r = reply ? sd_bus_send(NULL, reply, NULL) :
				    sd_bus_reply_method_errno(call, -ENOMEM, NULL);
		sd_bus_message_unref(reply);
		pmm_signals_free(sigs);
		return r < 0 ? r : 1;
	}
	p->call = sd_bus_message_ref(call);
	p->reply = reply;
	p->sigs = *sigs;
	memset(sigs, 0, sizeof(*sigs));
	p->seq = last;
	if (c->tail)
		c->tail->next = p;
	else
		c->head = p;
	c->tail = p;
	pthread_mutex_lock(&c->w.lock);
	c->written = last;
	c->written_size = d->journal.size;
	pthread_cond_signal(&c->w.cond);
	pthread_mutex_unlock(&c->w.lock);
	return 1;
}
