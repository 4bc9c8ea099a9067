/* SPDX-License-Identifier: MIT */
/*
 * What the daemon keeps beside the model: the bus ids of ranges and the page references it
 * took. Both exist so that a snapshot can describe the state completely and a restore can
 * rebuild it exactly: libmm would number restored ranges afresh, and it has no cheap way to
 * list every page with an extra reference.
 */
#include <errno.h>
#include <string.h>

#include "array.h"
#include "daemon.h"

/* ---------------------------------------------------------------- range ids */

uint64_t pmm_range_pub(const struct pmm_daemon *d, uint64_t mm_id)
{
	size_t i;

	for (i = 0; i < d->rids.n; i++)
		if (d->rids.v[i].mm == mm_id)
			return d->rids.v[i].pub;
	return 0;
}

/* The first (lowest) libmm piece of a bus range; a device range has exactly one. */
uint64_t pmm_range_mm(const struct pmm_daemon *d, uint64_t pub)
{
	uint64_t best = 0, start = UINT64_MAX;
	size_t i;

	for (i = 0; i < d->rids.n; i++)
		if (d->rids.v[i].pub == pub && d->rids.v[i].start < start) {
			start = d->rids.v[i].start;
			best = d->rids.v[i].mm;
		}
	return best;
}

/* A bus range as one mm_range_info: its pieces are contiguous (invariant), so sum them. */
int pmm_range_info(const struct pmm_daemon *d, uint64_t pub, struct mm_range_info *out)
{
	struct mm_range_info r;
	bool found = false;
	uint64_t end = 0;
	size_t i;

	if (!pub)
		return -ENOENT;
	for (i = 0; i < d->rids.n; i++) {
		if (d->rids.v[i].pub != pub || mm_range_info(d->mm, d->rids.v[i].mm, &r) < 0)
			continue;
		if (!found) {
			*out = r;
			end = r.start + r.size;
			found = true;
			continue;
		}
		if (r.start < out->start)
			out->start = r.start;
		if (r.start + r.size > end)
			end = r.start + r.size;
		out->memmap_bytes += r.memmap_bytes;
		out->refs += r.refs;
	}
	if (!found)
		return -ENOENT;
	out->size = end - out->start;
	out->id = pub;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Every bus range in ascending id (creation) order, as pmm_range_info() describes it. */
int pmm_for_each_range(const struct pmm_daemon *d,
		       int (*fn)(const struct mm_range_info *r, void *arg), void *arg)
{
	_cleanup_(freep) uint64_t *ids = NULL;
	struct mm_range_info info;
	size_t i, n = 0;
	int r;

	if (!d->rids.n)
		return 0;
	ids = malloc(d->rids.n * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (i = 0; i < d->rids.n; i++)
		ids[n++] = d->rids.v[i].pub;
	qsort(ids, n, sizeof(*ids), cmp_u64);
	for (i = 0; i < n; i++) {
		/* a range a job is still building is not there until it is acknowledged */
		if ((i && ids[i] == ids[i - 1]) || ids[i] >= PMM_PUB_TEMP)
			continue;
		if (pmm_range_info(d, ids[i], &info) < 0)
			continue;
		r = fn(&info, arg);
		if (r)
			return r;
	}
	return 0;
}

struct live_piece {
	uint64_t mm, start, end;
};

struct live_pieces {
	struct live_piece *v;
	size_t n, cap;
};

static int collect_piece(const struct mm_range_info *r, void *arg)
{
	struct live_pieces *l = arg;

	if (PMM_ARRAY_RESERVE(l->v, l->cap, l->n + 1, 16) < 0)
		return -ENOMEM;
	l->v[l->n++] = (struct live_piece){ r->id, r->start, r->start + r->size };
	return 0;
}

static int ids_push(struct pmm_range_ids *ids, struct pmm_range_id e)
{
	if (PMM_ARRAY_RESERVE(ids->v, ids->cap, ids->n + 1, 16) < 0)
		return -ENOMEM;
	ids->v[ids->n++] = e;
	return 0;
}

static int by_start(const void *a, const void *b)
{
	const struct pmm_range_id *x = a, *y = b;

	if (x->pub != y->pub)
		return x->pub < y->pub ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * After an operation, bring the bus ranges in line with libmm's:
 *   - pieces libmm no longer has are dropped, surviving pieces take their new extent;
 *   - new pieces of an add belong to the add's range (add_pub, or a fresh id if 0);
 *   - a new piece from a removal (a split tail) belongs to the range whose extent held it;
 *   - a range whose pieces are no longer contiguous is cut at each gap: the first part keeps
 *     the id, every later part gets a fresh one, in address order.
 * The result depends only on addresses, not on how ranges are cut into pieces, which is what
 * lets a chunked add, a one-call replay and a snapshot restore agree on every bus id.
 */
int pmm_range_ids_sync(struct pmm_daemon *d, bool adding, uint64_t add_pub, uint64_t *created)
{
	struct pmm_range_ids *ids = &d->rids;
	struct live_pieces live = { 0 };
	_cleanup_(freep) struct pmm_range_id *old = NULL;
	size_t i, j, k, nold = ids->n;
	int r;

	*created = 0;
	if (!ids->next_pub)
		ids->next_pub = 1;      /* 0 means "no range" everywhere */
	r = mm_for_each_range(d->mm, collect_piece, &live);
	if (r < 0)
		goto out;
	old = malloc((nold ? nold : 1) * sizeof(*old));
	if (!old) {
		r = -ENOMEM;
		goto out;
	}
	if (nold)
		memcpy(old, ids->v, nold * sizeof(*old));

	/* surviving pieces */
	for (i = 0, k = 0; i < ids->n; i++) {
		for (j = 0; j < live.n && live.v[j].mm != ids->v[i].mm; j++)
			;
		if (j == live.n)
			continue;
		ids->v[i].start = live.v[j].start;
		ids->v[i].end = live.v[j].end;
		ids->v[k++] = ids->v[i];
	}
	ids->n = k;

	/* new pieces */
	for (j = 0; j < live.n; j++) {
		struct pmm_range_id e = { 0, live.v[j].mm, live.v[j].start, live.v[j].end };

		if (pmm_range_pub(d, e.mm))
			continue;
		if (adding) {
			if (!add_pub)
				add_pub = ids->next_pub;
			e.pub = add_pub;
			*created = add_pub;
		} else {
			/* a split tail: the range that covered it before the operation */
			for (i = 0; i < nold; i++)
				if (e.start >= old[i].start && e.end <= old[i].end)
					break;
			e.pub = i < nold ? old[i].pub : ids->next_pub;
		}
		if (e.pub >= ids->next_pub && e.pub < PMM_PUB_TEMP)
			ids->next_pub = e.pub + 1;
		r = ids_push(ids, e);
		if (r < 0)
			goto out;
	}

	/* cut ranges at their gaps (ids->v is NULL while no range was ever named) */
	if (ids->n > 1)
		qsort(ids->v, ids->n, sizeof(*ids->v), by_start);
	for (i = 1; i < ids->n; i++) {
		if (ids->v[i].pub != ids->v[i - 1].pub || ids->v[i].start == ids->v[i - 1].end)
			continue;
		{
			uint64_t pub = ids->v[i].pub, fresh = ids->next_pub++;

			for (k = i; k < ids->n && ids->v[k].pub == pub; k++)
				ids->v[k].pub = fresh;
		}
	}
	r = 0;
out:
	free(live.v);
	return r;
}

/* A job's range gets its bus id when the job completes, i.e. in journal order. */
uint64_t pmm_range_ids_publish(struct pmm_daemon *d, uint64_t temp)
{
	struct pmm_range_ids *ids = &d->rids;
	uint64_t pub;
	size_t i;

	if (!ids->next_pub)
		ids->next_pub = 1;
	pub = ids->next_pub++;
	for (i = 0; i < ids->n; i++)
		if (ids->v[i].pub == temp)
			ids->v[i].pub = pub;
	return pub;
}

void pmm_range_ids_free(struct pmm_range_ids *ids)
{
	free(ids->v);
	memset(ids, 0, sizeof(*ids));
}

/* ---------------------------------------------------------------- page references */

static int refs_reserve(struct pmm_refs *refs, size_t extra)
{
	if (PMM_ARRAY_RESERVE(refs->v, refs->cap, refs->n + extra, 16) < 0)
		return -ENOMEM;
	return 0;
}

static void refs_insert(struct pmm_refs *refs, size_t at, struct pmm_ref_run run)
{
	memmove(&refs->v[at + 1], &refs->v[at], (refs->n - at) * sizeof(*refs->v));
	refs->v[at] = run;
	refs->n++;
}

/* Cut the run containing pfn (if any) so that a run starts exactly at pfn. */
static void refs_split(struct pmm_refs *refs, uint64_t pfn)
{
	size_t i;

	for (i = 0; i < refs->n; i++) {
		struct pmm_ref_run *r = &refs->v[i];

		if (pfn > r->pfn && pfn < r->pfn + r->count) {
			struct pmm_ref_run tail = { pfn, r->pfn + r->count - pfn, r->refs };

			r->count = pfn - r->pfn;
			refs_insert(refs, i + 1, tail);
			return;
		}
	}
}

/*
 * delta on every pfn of [pfn, pfn+count) (+n books n references on each, a folio's on its head:
 * backend-sim.c). Called after libmm accepted the same change, so a negative delta never
 * meets a pfn without that many references.
 */
int pmm_refs_add(struct pmm_refs *refs, uint64_t pfn, uint64_t count, int delta)
{
	uint64_t end = pfn + count, at = pfn;
	size_t i, k;
	int r;

	/* room for two splits and the gaps filled below (at most one per existing run + 1) */
	r = refs_reserve(refs, refs->n + 3);
	if (r < 0)
		return r;
	refs_split(refs, pfn);
	refs_split(refs, end);
	for (i = 0; i < refs->n && at < end; i++) {
		struct pmm_ref_run *run = &refs->v[i];

		if (run->pfn + run->count <= at)
			continue;
		if (run->pfn >= end)
			break;
		if (run->pfn > at && delta > 0) {
			/* a gap before this run gets its first references */
			refs_insert(refs, i, (struct pmm_ref_run){ at, run->pfn - at, (uint64_t)delta });
			at = refs->v[i + 1].pfn;
			continue;
		}
		run->refs = (uint64_t)((int64_t)run->refs + delta);
		at = run->pfn + run->count;
	}
	if (at < end && delta > 0)
		refs_insert(refs, i, (struct pmm_ref_run){ at, end - at, (uint64_t)delta });
	/* drop emptied runs, merge neighbours with the same count */
	for (i = 0, k = 0; i < refs->n; i++) {
		if (!refs->v[i].refs)
			continue;
		if (k && refs->v[k - 1].refs == refs->v[i].refs &&
		    refs->v[k - 1].pfn + refs->v[k - 1].count == refs->v[i].pfn) {
			refs->v[k - 1].count += refs->v[i].count;
			continue;
		}
		refs->v[k++] = refs->v[i];
	}
	refs->n = k;
	return 0;
}

void pmm_refs_free(struct pmm_refs *refs)
{
	free(refs->v);
	memset(refs, 0, sizeof(*refs));
}
