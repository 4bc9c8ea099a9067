/* SPDX-License-Identifier: MIT */
/*
 * Snapshots keep restarts short: the whole state written as the operations that rebuild it,
 * in the journal's record format (so a damaged snapshot is caught exactly like a damaged
 * journal), after which the journal restarts empty.
 *
 *   record 0: header (magic "pmm-snapshot", identity, the journal record it covers, the next
 *             range id)
 *   then:     every range in bus-id order (add-memory / add-device / add-namespace with its
 *             id imposed), the online blocks as runs with explicit zones, the page references
 *             (get-pages with a repeat count), the online policy.
 *
 * Crash safety: the snapshot is renamed into place before the journal is restarted. A crash
 * between the two leaves a snapshot at seq S and the old journal whose records up to S are
 * then skipped at replay, so either file order restores the same state.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <json-c/json.h>

#include "array.h"
#include "daemon.h"

#define SNAPSHOT_MAGIC "pmm-snapshot"
#define SNAPSHOT_NAME  "snapshot"

struct snap_buf {
	char *buf;
	size_t len, cap;
	uint64_t seq;
	int err;
};

static void snap_put(struct snap_buf *b, json_object *o)
{
	if (!o) {
		b->err = b->err ? b->err : -ENOMEM;
		return;
	}
	if (!b->err)
		b->err = pmm_records_put(&b->buf, &b->len, &b->cap, o, b->seq++);
	json_object_put(o);
}

static void snap_op(struct snap_buf *b, const struct pmm_op *op)
{
	snap_put(b, pmm_op_to_json(op));
}

/* ---------------------------------------------------------------- ranges */

struct snap_ranges {
	struct pmm_daemon *d;
	struct mm_range_info *v;
	size_t n, cap;
	int err;
};

static int snap_collect_range(const struct mm_range_info *r, void *arg)
{
	struct snap_ranges *s = arg;

	if (PMM_ARRAY_RESERVE(s->v, s->cap, s->n + 1, 16) < 0)
		return -ENOMEM;
	s->v[s->n++] = *r;
	return 0;
}

static int by_id(const void *a, const void *b)
{
	const struct mm_range_info *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void snap_ranges(struct pmm_daemon *d, struct snap_buf *b)
{
	struct snap_ranges s = { .d = d };
	size_t i;

	if (pmm_for_each_range(d, snap_collect_range, &s) < 0) {
		b->err = -ENOMEM;
		free(s.v);
		return;
	}
	if (s.n)
		qsort(s.v, s.n, sizeof(*s.v), by_id);
	for (i = 0; i < s.n; i++) {
		const struct mm_range_info *r = &s.v[i];
		struct pmm_namespace *ns = pmm_namespace_for_range(d, r->id);
		struct pmm_op op = { .range_id = r->id, .start = r->start, .size = r->size,
				     .nid = r->nid };

		if (!r->device) {
			op.kind = PMM_OP_ADD_MEMORY;
			op.mhp_flags = r->has_altmap ? MHP_MEMMAP_ON_MEMORY : MHP_NONE;
		} else if (ns) {
			op.kind = PMM_OP_ADD_NAMESPACE;
			snprintf(op.ns_name, sizeof(op.ns_name), "%s", ns->cfg.name);
			op.pgmap_type = ns->type;
			op.map_dev = ns->map_dev;
			op.align = ns->align;
		} else {
			op.kind = PMM_OP_ADD_DEVICE;
			op.pgmap_type = r->type;
			op.map_dev = r->has_altmap;
			op.align = r->align;
		}
		snap_op(b, &op);
	}
	free(s.v);
}

/* ---------------------------------------------------------------- blocks */

struct snap_blocks {
	struct snap_buf *b;
	struct pmm_op run;       /* pending run of hot-added blocks onlined with one type */
};

static void snap_flush_run(struct snap_blocks *s)
{
	if (s->run.size)
		snap_op(s->b, &s->run);
	s->run.size = 0;
}

static int snap_block(const struct mm_block_info *blk, void *arg)
{
	struct snap_blocks *s = arg;
	enum mm_online_type t;

	/* boot blocks start online: only an offline one needs a record */
	if (blk->early) {
		snap_flush_run(s);
		if (blk->state != MEM_ONLINE)
			snap_op(s->b, &(struct pmm_op){ .kind = PMM_OP_OFFLINE, .start = blk->start,
							 .size = blk->size });
		return 0;
	}
	if (blk->state != MEM_ONLINE) {
		snap_flush_run(s);
		return 0;
	}
	t = blk->zone == ZONE_MOVABLE ? MMOP_ONLINE_MOVABLE : MMOP_ONLINE_KERNEL;
	if (s->run.size && s->run.online_type == t && s->run.start + s->run.size == blk->start) {
		s->run.size += blk->size;
		return 0;
	}
	snap_flush_run(s);
	s->run = (struct pmm_op){ .kind = PMM_OP_ONLINE, .start = blk->start, .size = blk->size,
				  .online_type = t };
	return 0;
}

/* ---------------------------------------------------------------- write */

static int snapshot_build(struct pmm_daemon *d, struct snap_buf *b)
{
	struct snap_blocks sb = { .b = b };
	json_object *h = pmm_identity_json(&d->cfg, SNAPSHOT_MAGIC);
	size_t i;

	if (!h)
		return -ENOMEM;
	json_object_object_add(h, "journal_seq", json_object_new_uint64(d->journal.next_seq - 1));
	json_object_object_add(h, "next_range", json_object_new_uint64(d->rids.next_pub));
	snap_put(b, h);
	snap_ranges(d, b);
	mm_for_each_memory_block(d->mm, snap_block, &sb);
	snap_flush_run(&sb);
	for (i = 0; i < d->refs.n; i++) {
		const struct pmm_ref_run *r = &d->refs.v[i];

		if (r->refs > UINT32_MAX)
			return -EOVERFLOW;
		snap_op(b, &(struct pmm_op){ .kind = PMM_OP_GET_PAGES, .start = r->pfn,
					     .size = r->count, .times = (unsigned int)r->refs });
	}
	snap_op(b, &(struct pmm_op){ .kind = PMM_OP_SET_POLICY, .policy = d->policy });
	return b->err;
}

int pmm_snapshot_write(struct pmm_daemon *d)
{
	struct snap_buf b = { 0 };
	uint64_t seq = d->journal.next_seq - 1;
	int r;

	r = snapshot_build(d, &b);
	if (r >= 0)
		r = pmm_write_file_atomic(d->journal.dir_fd, SNAPSHOT_NAME, b.buf, b.len);
	free(b.buf);
	if (r < 0) {
		pmm_log_warn("snapshot in %s failed: %s; the journal keeps growing", d->cfg.state_dir,
			     strerror(-r));
		return r;
	}
	/* the snapshot holds everything up to seq: the journal can start over after it */
	r = pmm_journal_restart(d, seq);
	if (r < 0) {
		pmm_log_warn("journal %s: restart after the snapshot failed: %s", d->journal.path,
			     strerror(-r));
		return r;
	}
	pmm_log_info("snapshot of record %llu written (%llu records), journal restarted",
		     (unsigned long long)seq, (unsigned long long)(b.seq));
	return 0;
}

/* ---------------------------------------------------------------- load */

static int snapshot_header(struct pmm_records *rd, struct pmm_daemon *d, json_object *h,
			   uint64_t *seq, uint64_t *next_range)
{
	json_object *f;
	char why[256];

	if (pmm_identity_check(h, &d->cfg, SNAPSHOT_MAGIC, why, sizeof(why)) < 0)
		return pmm_records_fail(rd, "%s", why);
	if (pmm_records_seq(rd) != 0)
		return pmm_records_fail(rd, "bad header: sequence number %llu, expected 0",
					(unsigned long long)pmm_records_seq(rd));
	if (!json_object_object_get_ex(h, "journal_seq", &f) || !json_object_is_type(f, json_type_int) ||
	    json_object_get_int64(f) < 0)
		return pmm_records_fail(rd, "bad header: journal_seq missing");
	*seq = json_object_get_uint64(f);
	if (!json_object_object_get_ex(h, "next_range", &f) || !json_object_is_type(f, json_type_int) ||
	    json_object_get_int64(f) < 1)
		return pmm_records_fail(rd, "bad header: next_range missing");
	*next_range = json_object_get_uint64(f);
	return 0;
}

int pmm_snapshot_load(struct pmm_daemon *d, int dir_fd, uint64_t *seq, char **errmsg)
{
	_cleanup_(freep) char *path = NULL;
	_cleanup_(fclosep) FILE *f = NULL;
	struct pmm_records *rd = NULL;
	uint64_t next_range = 1, n = 0;
	json_object *o;
	int fd, r;

	*seq = 0;
	if (asprintf(&path, "%s/" SNAPSHOT_NAME, d->cfg.state_dir) < 0)
		return -ENOMEM;
	fd = openat(dir_fd, SNAPSHOT_NAME, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		r = -errno;
		if (asprintf(errmsg, "snapshot %s: %s", path, strerror(errno)) < 0)
			*errmsg = NULL;
		return r;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -errno;
	}
	r = pmm_records_open("snapshot", path, f, errmsg, &rd);
	if (r < 0)
		return r;
	while ((r = pmm_records_next(rd, &o)) > 0) {
		if (n++ == 0)
			r = snapshot_header(rd, d, o, seq, &next_range);
		else
			r = pmm_records_apply(rd, d, o, true);
		json_object_put(o);
		if (r < 0)
			break;
	}
	pmm_records_close(rd);
	if (r < 0)
		return r;
	if (d->rids.next_pub < next_range)
		d->rids.next_pub = next_range;
	pmm_log_info("snapshot %s: restored (%llu records, covers journal record %llu)", path,
		     (unsigned long long)(n - 1), (unsigned long long)*seq);
	return 0;
}
