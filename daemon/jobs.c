/* SPDX-License-Identifier: MIT */
/*
 * Long work off the bus thread. A request whose work takes more than one step (adding,
 * onlining or offlining more than one chunk of memory blocks) becomes a job: validated and
 * authorised on the loop thread, queued, run step by step by one worker thread that holds the
 * model lock only for a step at a time, so the loop keeps answering reads between steps with a
 * consistent model. The range a job works on is busy: a request touching it is refused with
 * Busy until the job is done. Progress signals report the running job at least every 100 ms.
 *
 * A job's change reaches the journal when it completes, on the loop thread, like an inline
 * request's; a job that fails or is stopped undoes its steps and journals nothing. Ranges a
 * job adds carry a temporary id until then, so bus ids are handed out in journal order.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <string.h>

#include <event2/event.h>

#include "daemon.h"
#include "pmm-names.h"
#include "size.h"

#define PROGRESS_USEC 100000

struct pmm_job {
	struct pmm_job *next;
	sd_bus_message *call;
	struct pmm_op ops[2];          /* add-memory + its auto-online, or one online / offline */
	unsigned int nops;
	uint64_t start, size;          /* the busy range */
	uint64_t temp_pub;
	/* results, written by the worker, read by the loop after completion */
	int err;                       /* of ops[0]; ops[1] (auto-online) failing is not fatal */
	char why[256];
	enum mm_cause cause;
	bool auto_online_failed;
	char auto_why[256];
	/* state and progress, under jobs->lock */
	bool started, finished;
	unsigned int cur;              /* op running */
	uint64_t done;
	uint64_t reported;             /* progress last signalled (loop only) */
};

struct pmm_jobs {
	struct pmm_worker w;           /* the worker; w.lock guards what follows */
	struct pmm_job *queue;         /* FIFO: waiting, running and finished-not-yet-answered */
	struct pmm_job *running;
	uint64_t next_temp;
	struct event *timer;
};

/* ---------------------------------------------------------------- model lock */

void pmm_model_lock_init(struct pmm_daemon *d)
{
	pthread_mutex_init(&d->model_lock.m, NULL);
	pthread_cond_init(&d->model_lock.c, NULL);
	d->model_lock.next = d->model_lock.serving = 0;
}

void pmm_model_lock_destroy(struct pmm_daemon *d)
{
	pthread_mutex_destroy(&d->model_lock.m);
	pthread_cond_destroy(&d->model_lock.c);
}

void pmm_model_lock(struct pmm_daemon *d)
{
	struct pmm_model_lock *l = &d->model_lock;
	uint64_t ticket;

	pthread_mutex_lock(&l->m);
	ticket = l->next++;
	while (ticket != l->serving)
		pthread_cond_wait(&l->c, &l->m);
	pthread_mutex_unlock(&l->m);
}

void pmm_model_unlock(struct pmm_daemon *d)
{
	struct pmm_model_lock *l = &d->model_lock;

	pthread_mutex_lock(&l->m);
	l->serving++;
	pthread_cond_broadcast(&l->c);
	pthread_mutex_unlock(&l->m);
}

/* ---------------------------------------------------------------- worker */

/*
 * Run one operation of a job step by step; the model lock is held for one step at a time. A
 * stop undoes an operation at its next step boundary, except an add's auto-online
 * (!stoppable): the add it belongs to is done and acknowledged with it, as the kernel's
 * add_memory() + online is one act under device_hotplug_lock. Cancelling it would leave an
 * added range whose blocks the request asked to be online.
 */
static int run_op(struct pmm_daemon *d, struct pmm_jobs *js, struct pmm_job *job, unsigned int i,
		  bool stoppable, char *why, size_t len, enum mm_cause *cause)
{
	struct pmm_work w;
	int r;

	pmm_model_lock(d);
	r = pmm_work_begin(d, &w, &job->ops[i]);
	if (r >= 0 && job->temp_pub && job->ops[i].kind == PMM_OP_ADD_MEMORY)
		w.pub = job->temp_pub;
	pmm_model_unlock(d);
	while (r >= 0) {
		pmm_model_lock(d);
		if (stoppable && pmm_worker_stopping(&js->w)) {
			pmm_work_abort(d, &w);
			r = -ECANCELED;
		} else {
			r = pmm_work_step(d, &w);
		}
		if (r < 0) {
			snprintf(why, len, "%s", d->why[0] ? d->why : strerror(-r));
			*cause = d->cause;
		}
		pmm_model_unlock(d);
		pthread_mutex_lock(&js->w.lock);
		job->done = w.done;
		pthread_mutex_unlock(&js->w.lock);
		if (r == 0)
			break;
		if (d->step_delay_us)
			usleep(d->step_delay_us);
	}
	if (r >= 0)
		job->ops[i] = w.op;
	pmm_work_end(&w);
	return r;
}

static struct pmm_job *first_waiting(struct pmm_jobs *js)
{
	struct pmm_job *job;

	for (job = js->queue; job && job->started; job = job->next)
		;
	return job;
}

static void *worker_main(void *arg)
{
	struct pmm_daemon *d = arg;
	struct pmm_jobs *js = d->jobs;

	pthread_mutex_lock(&js->w.lock);
	for (;;) {
		struct pmm_job *job = NULL;
		int r;

		while (!js->w.stop && !(job = first_waiting(js)))
			pthread_cond_wait(&js->w.cond, &js->w.lock);
		if (js->w.stop)
			break;          /* pmm_jobs_stop() answers what still waits */
		js->running = job;
		job->started = true;
		job->cur = 0;
		job->done = 0;
		pthread_mutex_unlock(&js->w.lock);

		r = run_op(d, js, job, 0, true, job->why, sizeof(job->why), &job->cause);
		job->err = r;
		if (r >= 0 && job->nops > 1) {
			enum mm_cause ignored;

			pthread_mutex_lock(&js->w.lock);
			job->cur = 1;
			job->done = 0;
			pthread_mutex_unlock(&js->w.lock);
			/* auto-online: a failure does not undo the add (add_memory_resource()) */
			if (run_op(d, js, job, 1, false, job->auto_why, sizeof(job->auto_why),
				   &ignored) < 0)
				job->auto_online_failed = true;
		}

		pthread_mutex_lock(&js->w.lock);
		job->finished = true;
		js->running = NULL;
		pmm_worker_wake(&js->w);
	}
	pthread_mutex_unlock(&js->w.lock);
	return NULL;
}

/* ---------------------------------------------------------------- progress */

static const char *job_op_name(const struct pmm_job *job, unsigned int i)
{
	return pmm_op_name(job->ops[i].kind);
}

static void emit_progress(struct pmm_daemon *d, const char *op, uint64_t start, uint64_t size,
			  uint64_t done, uint64_t total)
{
	int r = sd_bus_emit_signal(d->bus, PMM_MANAGER_PATH, PMM_MANAGER_IFACE, "Progress", "stttt",
				   op, start, size, done, total);

	if (r < 0)
		pmm_log_warn("cannot emit Progress: %s", strerror(-r));
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pmm_daemon *d = arg;
	struct pmm_jobs *js = d->jobs;
	struct pmm_job *job;
	uint64_t done = 0, total = 0, key = 0;
	const char *op = NULL;
	uint64_t start = 0, size = 0;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&js->w.lock);
	job = js->running;
	if (job) {
		op = job_op_name(job, job->cur);
		start = job->ops[job->cur].start;
		size = job->ops[job->cur].size;
		done = job->done;
		total = size;
		key = ((uint64_t)job->cur << 63) | done;
		if (key == job->reported)
			op = NULL;
		else
			job->reported = key;
	}
	pthread_mutex_unlock(&js->w.lock);
	/* done == total is the completion's to say */
	if (op && done < total) {
		emit_progress(d, op, start, size, done, total);
		pmm_loop_rearm(d);
	}
}

/* ---------------------------------------------------------------- completion */

static void job_unlink(struct pmm_jobs *js, struct pmm_job *job)
{
	struct pmm_job **p;

	for (p = &js->queue; *p; p = &(*p)->next)
		if (*p == job) {
			*p = job->next;
			return;
		}
}

static void job_free(struct pmm_job *job)
{
	sd_bus_message_unref(job->call);
	free(job);
}

static int range_blocks(struct pmm_daemon *d, uint64_t start, uint64_t size)
{
	uint64_t bs = mm_geometry(d->mm)->block_size, a;
	struct mm_block_info b;
	int n = 0;

	for (a = start; a < start + size; a += bs)
		if (mm_memory_block_info(d->mm, a / bs, &b) == 0)
			n++;
	return n;
}

/* The loop's half of a job: journal, signals, reply (through the committer). */
static void job_complete(struct pmm_daemon *d, struct pmm_job *job)
{
	_cleanup_(pmm_signals_free) struct pmm_signals sigs = { 0 };
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct pmm_op *op = &job->ops[0];
	sd_bus_message *reply = NULL;
	_cleanup_(freep) char *path = NULL;
	char rb[64], sz[32];
	int r;

	snprintf(rb, sizeof(rb), "[0x%" PRIx64 ", +%s)", job->start,
		 pmm_format_size(job->size, sz, sizeof(sz)));
	/* the end of each phase that ran (done == total), whatever its outcome */
	emit_progress(d, job_op_name(job, 0), job->start, job->size, job->size, job->size);
	if (job->nops > 1 && job->err >= 0)
		emit_progress(d, job_op_name(job, 1), job->start, job->size, job->size, job->size);
	/* after a journal failure the model is ahead of the journal: journal nothing more */
	if (job->err >= 0 && d->failed) {
		job->err = -EIO;
		job->cause = MM_CAUSE_NONE;
		snprintf(job->why, sizeof(job->why),
			 "not journaled: pmm-hotplugd is stopping after a journal failure");
	}
	if (job->err < 0) {
		pmm_log_warn("%s of %s failed: %s", pmm_op_name(op->kind), rb, job->why);
		pmm_bus_error(&e, job->err, job->cause, "%s", job->why);
		r = sd_bus_reply_method_error(job->call, &e);
		if (r < 0)
			pmm_log_warn("cannot send an error reply: %s", strerror(-r));
		sd_bus_error_free(&e);
		return;
	}

	if (op->kind == PMM_OP_ADD_MEMORY) {
		op->range_id = pmm_range_ids_publish(d, job->temp_pub);
		job->ops[1].range_id = op->range_id;
	}
	r = pmm_journal_append(&d->journal, op);
	if (r >= 0 && job->nops > 1 && !job->auto_online_failed)
		r = pmm_journal_online(d, job->ops[1].start, job->ops[1].size, job->ops[1].online_type);
	if (r < 0) {
		pmm_journal_discard(&d->journal);
		pmm_log_err("cannot journal a change: %s; stopping so that a restart restores the acknowledged state",
			    strerror(-r));
		d->failed = true;
		d->exit_code = 1;
		pmm_bus_error(&e, -EIO, MM_CAUSE_NONE, "the change could not be journaled (%s); pmm-hotplugd stops",
			      strerror(-r));
		sd_bus_reply_method_error(job->call, &e);
		sd_bus_error_free(&e);
		return;
	}
	if (job->auto_online_failed)
		pmm_log_warn("auto-online of %s failed, the blocks stay offline: %s", rb, job->auto_why);

	r = sd_bus_message_new_method_return(job->call, &reply);
	switch (op->kind) {
	case PMM_OP_ADD_MEMORY:
		pmm_log_info("added %s on node %d as range %" PRIu64, rb, op->nid, op->range_id);
		pmm_sig_add(&sigs, PMM_SIG_ADDED, PMM_SIG_RANGE, op->range_id, 0);
		pmm_sig_add(&sigs, PMM_SIG_ADDED, PMM_SIG_BLOCKS, job->start, job->size);
		if (r >= 0 && (r = pmm_range_path(op->range_id, &path)) >= 0)
			r = sd_bus_message_append(reply, "o", path);
		break;
	case PMM_OP_ONLINE:
	case PMM_OP_OFFLINE:
		pmm_log_info("%s %s (%d blocks)", op->kind == PMM_OP_ONLINE ? "onlined" : "offlined", rb,
			     range_blocks(d, job->start, job->size));
		pmm_sig_add(&sigs, PMM_SIG_CHANGED, PMM_SIG_BLOCKS, job->start, job->size);
		if (r >= 0)
			r = sd_bus_message_append(reply, "u",
						  (uint32_t)range_blocks(d, job->start, job->size));
		break;
	default:
		break;
	}
	pmm_sig_add(&sigs, PMM_SIG_CHANGED, PMM_SIG_COUNTERS, 0, 0);
	if (r < 0)
		reply = sd_bus_message_unref(reply);
	r = pmm_request_finish(d, job->call, reply, &sigs, &e);
	if (r < 0) {
		sd_bus_reply_method_error(job->call, &e);
		sd_bus_error_free(&e);
	}
}

/* on the loop, after the worker finished a job: answer every finished job, in queue order */
static void worker_wake(struct pmm_daemon *d)
{
	struct pmm_jobs *js = d->jobs;

	pmm_model_lock(d);
	for (;;) {
		struct pmm_job *job;

		pthread_mutex_lock(&js->w.lock);
		for (job = js->queue; job && !job->finished; job = job->next)
			;
		if (job)
			job_unlink(js, job);
		pthread_mutex_unlock(&js->w.lock);
		if (!job)
			break;
		job_complete(d, job);
		job_free(job);
	}
	pmm_model_unlock(d);
	if (d->failed) {
		sd_bus_flush(d->bus);
		event_base_loopbreak(d->loop.base);
		return;
	}
	pmm_loop_rearm(d);
}

/* ---------------------------------------------------------------- submitting */

/* Is [start, start+size) part of a queued or running job? why (if not NULL) says which. */
bool pmm_jobs_busy(struct pmm_daemon *d, uint64_t start, uint64_t size, char *why, size_t len)
{
	struct pmm_jobs *js = d->jobs;
	struct pmm_job *job;
	bool busy = false;
	char sz[32];

	if (!js)
		return false;
	pthread_mutex_lock(&js->w.lock);
	for (job = js->queue; job; job = job->next)
		if (start < job->start + job->size && job->start < start + size) {
			busy = true;
			if (why)
				snprintf(why, len, "range busy: [0x%" PRIx64 ", +%s) is being %s by a running request",
					 job->start, pmm_format_size(job->size, sz, sizeof(sz)),
					 job->ops[0].kind == PMM_OP_ADD_MEMORY ? "added" :
					 job->ops[0].kind == PMM_OP_ONLINE ? "onlined" : "offlined");
			break;
		}
	pthread_mutex_unlock(&js->w.lock);
	return busy;
}

/* Does this work deserve a job (more than one step)? */
bool pmm_jobs_wanted(struct pmm_daemon *d, const struct pmm_op *op)
{
	uint64_t bs = mm_geometry(d->mm)->block_size, chunk = d->chunk_bytes;

	if (!d->jobs || !pmm_op_stepped(op->kind))
		return false;
	if (chunk < bs)
		chunk = bs;
	return op->size > chunk - chunk % bs;
}

/*
 * Queue a job for the call m: ops[0] the main operation, ops[1] (optional) its auto-online.
 * The reply comes when the job completes; returns 1 (reply pending) or a negative errno.
 */
int pmm_jobs_submit(struct pmm_daemon *d, sd_bus_message *m, const struct pmm_op *op,
		    const struct pmm_op *auto_online)
{
	struct pmm_jobs *js = d->jobs;
	struct pmm_job *job = calloc(1, sizeof(*job)), **p;
	bool idle;

	if (!job)
		return -ENOMEM;
	job->call = sd_bus_message_ref(m);
	job->ops[0] = *op;
	job->nops = 1;
	if (auto_online)
		job->ops[job->nops++] = *auto_online;
	job->start = op->start;
	job->size = op->size;
	pthread_mutex_lock(&js->w.lock);
	if (op->kind == PMM_OP_ADD_MEMORY)
		job->temp_pub = PMM_PUB_TEMP + js->next_temp++;
	for (p = &js->queue; *p; p = &(*p)->next)
		;
	*p = job;
	idle = !js->running;
	pthread_cond_signal(&js->w.cond);
	pthread_mutex_unlock(&js->w.lock);
	if (idle)
		emit_progress(d, pmm_op_name(op->kind), op->start, op->size, 0, op->size);
	return 1;
}

/* No snapshot while a job runs: its half-done steps are not in the journal. */
bool pmm_jobs_idle(struct pmm_daemon *d)
{
	struct pmm_jobs *js = d->jobs;
	bool idle;

	if (!js)
		return true;
	pthread_mutex_lock(&js->w.lock);
	idle = !js->queue;
	pthread_mutex_unlock(&js->w.lock);
	return idle;
}

int pmm_jobs_start(struct pmm_daemon *d)
{
	struct pmm_jobs *js = calloc(1, sizeof(*js));
	struct timeval tv = { 0, PROGRESS_USEC };
	int r;

	if (!js)
		return -ENOMEM;
	r = pmm_worker_init(&js->w, d, worker_wake);
	if (r < 0) {
		free(js);
		return r;
	}
	js->timer = event_new(d->loop.base, -1, EV_PERSIST, timer_cb, d);
	if (!js->timer || event_add(js->timer, &tv) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	d->jobs = js;
	r = pmm_worker_run(&js->w, worker_main, d);
	if (r < 0) {
		d->jobs = NULL;
		goto fail;
	}
	return 0;
fail:
	if (js->timer)
		event_free(js->timer);
	pmm_worker_fini(&js->w);
	free(js);
	return r;
}

/*
 * Stop: the running job undoes its steps at the next step boundary (nothing of it was
 * journaled), unless it is an add's auto-online, which ends first (run_op()); every job
 * not finished is answered with an error.
 */
void pmm_jobs_stop(struct pmm_daemon *d)
{
	struct pmm_jobs *js = d->jobs;

	if (!js)
		return;
	pmm_worker_stop(&js->w);
	while (js->queue) {
		struct pmm_job *job = js->queue;

		js->queue = job->next;
		if (!job->finished) {
			job->err = -ECANCELED;
			snprintf(job->why, sizeof(job->why), "pmm-hotplugd is stopping");
			job->cause = MM_CAUSE_BUSY;
		}
		if (d->bus)
			job_complete(d, job);
		job_free(job);
	}
	event_free(js->timer);
	pmm_worker_fini(&js->w);
	free(js);
	d->jobs = NULL;
}
