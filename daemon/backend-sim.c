/* SPDX-License-Identifier: MIT */
/*
 * The sim backend: the model is the truth. It builds the model from the configuration (the
 * arch's mm_params, boot memory, zones by mm_boot_init()), creates the simulated namespaces'
 * sparse backing files, and applies every operation to libmm. Live requests and journal replay
 * both come through pmm_backend_apply(), which is what makes replay reproduce the live state.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "backend-kernel.h"
#include "array.h"
#include "daemon.h"
#include "size.h"

__attribute__((format(printf, 4, 5)))
static int backend_fail(struct pmm_daemon *d, int err, enum mm_cause cause, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	d->cause = cause;
	return err;
}

/* Record libmm's explanation of the failure r of the call just made. */
static int backend_fail_mm(struct pmm_daemon *d, int r)
{
	const char *why = mm_last_error(d->mm);

	return backend_fail(d, r, mm_last_cause(d->mm), "%s",
			    why && *why ? why : "the memory model refused the request");
}

/* ---------------------------------------------------------------- namespaces */

struct pmm_namespace *pmm_namespace_find(struct pmm_daemon *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->nr_ns; i++)
		if (!strcmp(d->ns[i].cfg.name, name))
			return &d->ns[i];
	return NULL;
}

struct pmm_namespace *pmm_namespace_for_range(struct pmm_daemon *d, uint64_t range_id)
{
	size_t i;

	if (!range_id)
		return NULL;
	for (i = 0; i < d->nr_ns; i++)
		if (d->ns[i].range_id == range_id)
			return &d->ns[i];
	return NULL;
}

/* A simulated pmem namespace is a sparse file of the namespace's size in the state dir. */
static int sim_namespace_backing(struct pmm_daemon *d, struct pmm_namespace *ns, char **errmsg)
{
	int fd;
	struct stat st;

	if (asprintf(&ns->backing, "%s/%s.img", d->cfg.state_dir, ns->cfg.name) < 0) {
		ns->backing = NULL;
		return -ENOMEM;
	}
	fd = open(ns->backing, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || fstat(fd, &st) < 0)
		goto fail;
	if ((uint64_t)st.st_size != ns->cfg.size && ftruncate(fd, (off_t)ns->cfg.size) < 0)
		goto fail;
	ns->fd = fd;            /* kept: the model maps a map=dev memmap from it */
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (asprintf(errmsg, "namespace %s: backing file %s: %s", ns->cfg.name, ns->backing,
		     strerror(errno)) < 0)
		*errmsg = NULL;
	return -errno;
}

/* ---------------------------------------------------------------- model */

/*
 * The storage behind simulated pmem: a vmem_altmap memmap (map=dev) of a range inside a
 * namespace is mapped from the namespace's backing file, at the range's offset in it, so the
 * struct pages really live in the "device" behind its info block, as on real pmem.
 */
static int sim_memmap_backing(void *data, uint64_t phys, uint64_t len, int *fd, uint64_t *offset)
{
	struct pmm_daemon *d = data;
	size_t i;

	for (i = 0; i < d->nr_ns; i++) {
		const struct pmm_namespace *ns = &d->ns[i];

		if (ns->fd >= 0 && phys >= ns->cfg.start && len <= ns->cfg.size &&
		    phys - ns->cfg.start <= ns->cfg.size - len) {
			*fd = ns->fd;
			*offset = phys - ns->cfg.start;
			return 0;
		}
	}
	return -ENOENT;
}

int pmm_sim_init(struct pmm_daemon *d, char **errmsg)
{
	const struct pmm_config *cfg = &d->cfg;
	struct mm_params p;
	size_t i;
	int r;

	/* the namespaces' files first: the model asks for them when it maps a device memmap */
	d->ns = calloc(cfg->nr_namespaces ? cfg->nr_namespaces : 1, sizeof(*d->ns));
	if (!d->ns)
		return -ENOMEM;
	d->nr_ns = cfg->nr_namespaces;
	for (i = 0; i < d->nr_ns; i++)
		d->ns[i].fd = -1;
	for (i = 0; i < d->nr_ns; i++) {
		d->ns[i].cfg = cfg->namespaces[i];
		r = sim_namespace_backing(d, &d->ns[i], errmsg);
		if (r < 0)
			return r;
		pmm_log_info("namespace %s: [0x%llx, +0x%llx) backed by %s", d->ns[i].cfg.name,
			     (unsigned long long)d->ns[i].cfg.start,
			     (unsigned long long)d->ns[i].cfg.size, d->ns[i].backing);
	}

	mm_params_default(&p, cfg->arch);
	p.model = cfg->model;
	p.block_size = cfg->block_size;
	p.online_policy = cfg->policy.zone_policy;
	p.auto_movable_ratio = cfg->policy.ratio;
	p.memmap_backing = sim_memmap_backing;
	p.memmap_backing_data = d;
	/*
	 * the production kernel's speed (bench/, README "Performance"): no memmap poisoning
	 * (the model keeps the uninitialised state in its usage maps), large online/adds on
	 * every CPU, compound device tails stored as zeroes (no RAM, no mapping per folio)
	 */
	p.page_init_poisoning = false;
	p.memmap_init_threads = 0;
	p.vmemmap_zero_tails = true;
	r = mm_model_create(&p, &d->mm);
	if (r < 0) {
		if (asprintf(errmsg, "cannot create the %s %s model: %s", cfg->arch->name,
			     mm_memory_model_name(cfg->model), strerror(-r)) < 0)
			*errmsg = NULL;
		return r;
	}
	for (i = 0; i < cfg->nr_boot; i++) {
		r = mm_boot_memory_add(d->mm, cfg->boot[i].start, cfg->boot[i].size, cfg->boot[i].nid);
		if (r < 0) {
			if (asprintf(errmsg, "%s: key 'boot_memory[%zu]': %s", cfg->source, i,
				     mm_last_error(d->mm)) < 0)
				*errmsg = NULL;
			return r;
		}
	}
	r = mm_boot_init(d->mm);
	if (r < 0) {
		if (asprintf(errmsg, "%s: boot memory: %s", cfg->source, mm_last_error(d->mm)) < 0)
			*errmsg = NULL;
		return r;
	}
	d->policy = cfg->policy;
	return 0;
}

/* ---------------------------------------------------------------- operations */

static int find_device_range(const struct mm_range_info *r, void *arg)
{
	struct mm_range_info *want = arg;

	if (r->device && r->start == want->start && r->size == want->size) {
		*want = *r;
		return 1;
	}
	return 0;
}

/* RemoveMemory takes System RAM, or one whole device range (memunmap_pages). */
static int sim_remove(struct pmm_daemon *d, const struct pmm_op *op)
{
	struct mm_range_info dev = { .start = op->start, .size = op->size };
	struct pmm_namespace *ns;
	int r;

	if (mm_for_each_range(d->mm, find_device_range, &dev) == 1) {
		r = mm_memunmap_pages(d->mm, dev.id);
		if (r < 0)
			return backend_fail_mm(d, r);
		ns = pmm_namespace_for_range(d, pmm_range_pub(d, dev.id));
		if (ns)
			ns->range_id = 0;
		return 0;
	}
	r = mm_remove_memory(d->mm, op->start, op->size);
	return r < 0 ? backend_fail_mm(d, r) : 0;
}

/*
 * The driver callbacks a pgmap type requires (memremap_pages() refuses PRIVATE/COHERENT
 * without them); the simulated driver provides them.
 */
static void pgmap_ops_for(struct mm_pgmap_params *p)
{
	p->has_ops_page_free = p->type == MEMORY_DEVICE_PRIVATE || p->type == MEMORY_DEVICE_COHERENT ||
			       p->type == MEMORY_DEVICE_PCI_P2PDMA;
	p->has_ops_migrate_to_ram = p->type == MEMORY_DEVICE_PRIVATE;
	p->has_owner = p->type == MEMORY_DEVICE_PRIVATE || p->type == MEMORY_DEVICE_COHERENT;
}

/*
 * map=dev for plain device memory: the memmap of the whole range is carved from its start, as
 * a driver sizing its own vmem_altmap would (base = first pfn, no reserve, free = memmap pages).
 */
void pmm_device_params(const struct mm_model *mm, const struct pmm_op *op,
		       struct mm_pgmap_params *p)
{
	const struct mm_geometry *g = mm_geometry(mm);
	uint64_t nr_pages = op->size >> g->page_shift;

	memset(p, 0, sizeof(*p));
	p->start = op->start;
	p->size = op->size;
	p->type = op->pgmap_type;
	p->nid = op->nid;
	p->align = op->align;
	p->has_altmap = op->map_dev;
	if (op->map_dev) {
		p->altmap.base_pfn = op->start >> g->page_shift;
		p->altmap.end_pfn = p->altmap.base_pfn + nr_pages - 1;
		p->altmap.reserve = 0;
		p->altmap.free = (nr_pages * 64 + g->page_size - 1) / g->page_size;
	}
	pgmap_ops_for(p);
}

/*
 * A memmap placed in a namespace's backing file (map=dev) is written through a shared mapping:
 * on a full file system the first store into a hole of the sparse file would be SIGBUS. Give
 * the altmap's pfns (info block and memmap) their blocks first, so a full disk is -ENOSPC and
 * the request is refused before anything changes.
 */
static int sim_memmap_room(struct pmm_daemon *d, const struct mm_pgmap_params *p)
{
	unsigned int shift = mm_geometry(d->mm)->page_shift;
	uint64_t start, len;
	size_t i;

	if (!p->has_altmap)
		return 0;
	start = p->altmap.base_pfn << shift;
	len = (p->altmap.reserve + p->altmap.free) << shift;
	for (i = 0; i < d->nr_ns; i++) {
		const struct pmm_namespace *ns = &d->ns[i];

		if (ns->fd < 0 || start < ns->cfg.start || len > ns->cfg.size ||
		    start - ns->cfg.start > ns->cfg.size - len)
			continue;
		if (fallocate(ns->fd, 0, (off_t)(start - ns->cfg.start), (off_t)len) < 0 &&
		    errno != EOPNOTSUPP && errno != ENOSYS)
			return backend_fail(d, -errno, MM_CAUSE_NONE,
					    "no room for the memmap of [0x%llx, +0x%llx) in %s: %s",
					    (unsigned long long)p->start, (unsigned long long)p->size,
					    ns->backing, strerror(errno));
	}
	return 0;
}

/* The nvdimm pfn layout of a namespace → the pgmap that maps it (nd_pfn_init + setup_pfn). */
static int sim_add_namespace(struct pmm_daemon *d, struct pmm_op *op)
{
	struct pmm_namespace *ns = pmm_namespace_find(d, op->ns_name);
	struct mm_pgmap_params p = { 0 };
	struct mm_nd_pfn pfn;
	uint64_t id = 0;
	int r;

	if (!ns)
		return backend_fail(d, -ENOENT, MM_CAUSE_NOENT, "no namespace named \"%s\"",
				    op->ns_name);
	if (ns->range_id)
		return backend_fail(d, -EBUSY, MM_CAUSE_BUSY,
				    "namespace %s is already in use by range %llu", ns->cfg.name,
				    (unsigned long long)ns->range_id);
	r = mm_nd_pfn_init(d->mm, ns->cfg.start, ns->cfg.size, op->align, op->map_dev, &pfn);
	if (r < 0)
		return backend_fail_mm(d, r);
	p.start = pfn.range_start;
	p.size = pfn.range_size;
	p.type = op->pgmap_type;
	p.nid = ns->cfg.numa_node;
	/* device-dax maps compound pages of the namespace's alignment; fsdax maps base pages */
	p.align = op->pgmap_type == MEMORY_DEVICE_GENERIC ? pfn.align : 0;
	p.has_altmap = pfn.map_dev;
	p.altmap = pfn.altmap;
	pgmap_ops_for(&p);
	r = sim_memmap_room(d, &p);
	if (r < 0)
		return r;
	r = mm_memremap_pages(d->mm, &p, &id);
	if (r < 0)
		return backend_fail_mm(d, r);
	ns->type = op->pgmap_type;
	ns->map_dev = op->map_dev;
	ns->align = pfn.align;
	return 0;
}

/* The device ranges with compound pages (align > page), in pfns: a reference there is a folio's. */
struct folio_spans {
	struct { uint64_t first, end, nr; } *v;
	size_t n, cap;
	unsigned int page_shift;
	uint64_t page_size;
};

static int collect_folio_span(const struct mm_range_info *r, void *arg)
{
	struct folio_spans *s = arg;

	if (!r->device || r->align <= s->page_size)
		return 0;
	if (PMM_ARRAY_RESERVE(s->v, s->cap, s->n + 1, 8) < 0)
		return -ENOMEM;
	s->v[s->n].first = r->start >> s->page_shift;
	s->v[s->n].end = (r->start + r->size) >> s->page_shift;
	s->v[s->n].nr = r->align >> s->page_shift;
	s->n++;
	return 0;
}

/*
 * Book a get (+1) or put (-1) of [pfn, pfn+count) in the ledger the way the model counts it.
 * A device page of a compound range has no count of its own: its folio has (put_page() through
 * any pfn of the folio drops the folio's reference), so such references are booked on the
 * folio's head pfn; a snapshot then restores each folio's count whatever pfns took it.
 */
static int refs_book(struct pmm_daemon *d, uint64_t pfn, uint64_t count, int sign)
{
	const struct mm_geometry *g = mm_geometry(d->mm);
	struct folio_spans s = { .page_shift = g->page_shift, .page_size = g->page_size };
	uint64_t end = pfn + count, head, next, n;
	size_t i;
	int r;

	r = mm_for_each_range(d->mm, collect_folio_span, &s);
	while (r >= 0 && pfn < end) {
		for (i = 0; i < s.n && !(pfn >= s.v[i].first && pfn < s.v[i].end); i++)
			;
		if (i < s.n) {
			head = pfn - pfn % s.v[i].nr;
			n = (head + s.v[i].nr < end ? head + s.v[i].nr : end) - pfn;
			r = pmm_refs_add(&d->refs, head, 1, sign * (int)n);
		} else {
			for (next = end, i = 0; i < s.n; i++)
				if (s.v[i].first > pfn && s.v[i].first < next)
					next = s.v[i].first;
			n = next - pfn;
			r = pmm_refs_add(&d->refs, pfn, n, sign);
		}
		pfn += n;
	}
	free(s.v);
	return r < 0 ? r : 0;
}

static int sim_apply(struct pmm_daemon *d, struct pmm_op *op)
{
	struct mm_pgmap_params p;
	uint64_t id = 0;
	unsigned int i;
	int r;

	switch (op->kind) {
	case PMM_OP_REMOVE_MEMORY:
		return sim_remove(d, op);
	case PMM_OP_GET_PAGES:
		for (i = 0; i < (op->times ? op->times : 1); i++) {
			r = mm_get_pages(d->mm, op->start, op->size);
			if (r < 0) {
				/* a snapshot's repeated get: take back what this op took */
				backend_fail_mm(d, r);
				while (i--) {
					mm_put_pages(d->mm, op->start, op->size);
					refs_book(d, op->start, op->size, -1);
				}
				return r;
			}
			r = refs_book(d, op->start, op->size, +1);
			if (r < 0) {
				mm_put_pages(d->mm, op->start, op->size);
				return backend_fail(d, r, MM_CAUSE_NOMEM, "out of memory");
			}
		}
		return 0;
	case PMM_OP_PUT_PAGES:
		r = mm_put_pages(d->mm, op->start, op->size);
		if (r < 0)
			return backend_fail_mm(d, r);
		r = refs_book(d, op->start, op->size, -1);
		return r < 0 ? backend_fail(d, r, MM_CAUSE_NOMEM, "out of memory") : 0;
	case PMM_OP_SET_POLICY:
		d->policy = op->policy;
		mm_set_online_policy(d->mm, op->policy.zone_policy, op->policy.ratio);
		return 0;
	case PMM_OP_ADD_DEVICE:
		pmm_device_params(d->mm, op, &p);
		r = sim_memmap_room(d, &p);
		if (r < 0)
			return r;
		r = mm_memremap_pages(d->mm, &p, &id);
		return r < 0 ? backend_fail_mm(d, r) : 0;
	case PMM_OP_ADD_NAMESPACE:
		return sim_add_namespace(d, op);
	case PMM_OP_ADD_MEMORY:
	case PMM_OP_ONLINE:
	case PMM_OP_OFFLINE:
	case PMM_OP_NR:
		break;
	}
	return backend_fail(d, -EINVAL, MM_CAUSE_INVALID, "unknown operation %d", (int)op->kind);
}

static bool op_is_add(enum pmm_op_kind k)
{
	return k == PMM_OP_ADD_MEMORY || k == PMM_OP_ADD_DEVICE || k == PMM_OP_ADD_NAMESPACE;
}

/* ---------------------------------------------------------------- stepped work */

bool pmm_op_stepped(enum pmm_op_kind k)
{
	return k == PMM_OP_ADD_MEMORY || k == PMM_OP_ONLINE || k == PMM_OP_OFFLINE;
}

/* Bytes per step: the chunk, rounded to whole memory blocks. */
static uint64_t work_chunk(const struct pmm_daemon *d)
{
	uint64_t bs = mm_geometry(d->mm)->block_size, c = d->chunk_bytes;

	if (c < bs)
		return bs;
	return c - c % bs;
}

int pmm_work_begin(struct pmm_daemon *d, struct pmm_work *w, const struct pmm_op *op)
{
	uint64_t bs = mm_geometry(d->mm)->block_size, n, i;

	memset(w, 0, sizeof(*w));
	w->op = *op;
	w->total = pmm_op_stepped(op->kind) ? op->size : 1;
	w->chunk = work_chunk(d);
	d->why[0] = '\0';
	d->cause = MM_CAUSE_NONE;
	if (op->impose_range_id && !pmm_kernel_replay_skips(d, op) &&
	    (!op->range_id || pmm_range_mm(d, op->range_id)))
		return backend_fail(d, -EINVAL, MM_CAUSE_INVALID, "range id %llu is invalid or taken",
				    (unsigned long long)op->range_id);
	if (op->impose_range_id)
		w->pub = op->range_id;
	if (op->kind == PMM_OP_OFFLINE && op->size >= bs && !(op->start % bs) && !(op->size % bs)) {
		/* remember each block's zone: a failed offline puts the blocks back where they were */
		n = op->size / bs;
		w->prev = calloc(n, sizeof(*w->prev));
		if (!w->prev)
			return backend_fail(d, -ENOMEM, MM_CAUSE_NOMEM, "out of memory");
		for (i = 0; i < n; i++) {
			struct mm_block_info b;

			w->prev[i] = mm_memory_block_info(d->mm, op->start / bs + i, &b) == 0 &&
				     b.zone == ZONE_MOVABLE ? MMOP_ONLINE_MOVABLE : MMOP_ONLINE_KERNEL;
		}
	}
	return 0;
}

/* Undo the steps done so far (in reverse of what they did); d->why keeps the first error. */
static void work_rollback(struct pmm_daemon *d, struct pmm_work *w)
{
	char why[sizeof(d->why)];
	enum mm_cause cause = d->cause;
	uint64_t bs = mm_geometry(d->mm)->block_size, i, created;
	int r = 0;

	if (!w->done)
		return;
	snprintf(why, sizeof(why), "%s", d->why);
	switch (w->op.kind) {
	case PMM_OP_ADD_MEMORY:
		r = mm_remove_memory(d->mm, w->op.start, w->done);
		if (r >= 0)
			r = pmm_range_ids_sync(d, false, 0, &created);
		break;
	case PMM_OP_ONLINE:
		r = mm_offline_range(d->mm, w->op.start, w->done, NULL);
		break;
	case PMM_OP_OFFLINE:
		for (i = 0; r >= 0 && i < w->done / bs; i++)
			r = mm_online_range(d->mm, w->op.start + i * bs, bs,
					    w->prev ? w->prev[i] : MMOP_ONLINE_KERNEL, NULL);
		break;
	default:
		break;
	}
	if (r < 0)
		pmm_log_err("cannot undo a partial %s of [0x%llx, +0x%llx): %s",
			    pmm_op_name(w->op.kind), (unsigned long long)w->op.start,
			    (unsigned long long)w->done, mm_last_error(d->mm));
	w->done = 0;
	snprintf(d->why, sizeof(d->why), "%s", why);
	d->cause = cause;
}

/* One step: 1 more to do, 0 finished, <0 failed (what was done is undone, d->why says why). */
int pmm_work_step(struct pmm_daemon *d, struct pmm_work *w)
{
	struct pmm_op *op = &w->op;
	uint64_t len, id = 0, created = 0;
	struct pmm_namespace *ns;
	int r;

	d->why[0] = '\0';
	d->cause = MM_CAUSE_NONE;
	/* the kernel backend applies an operation to the kernel in one step (backend-kernel.c) */
	if (d->kernel)
		return pmm_kernel_work_step(d, w);
	if (!pmm_op_stepped(op->kind)) {
		r = sim_apply(d, op);
		if (r < 0)
			return r;
		w->done = w->total;
		if (op_is_add(op->kind) || op->kind == PMM_OP_REMOVE_MEMORY) {
			/* name the range the operation made; forget or cut the ones it removed */
			r = pmm_range_ids_sync(d, op_is_add(op->kind), w->pub, &created);
			if (r < 0)
				return backend_fail(d, r, MM_CAUSE_NOMEM, "out of memory");
			if (op_is_add(op->kind))
				op->range_id = created;
			if (op->kind == PMM_OP_ADD_NAMESPACE && (ns = pmm_namespace_find(d, op->ns_name)))
				ns->range_id = created;
		}
		return 0;
	}
	len = op->size - w->done < w->chunk ? op->size - w->done : w->chunk;
	switch (op->kind) {
	case PMM_OP_ADD_MEMORY:
		r = mm_add_memory(d->mm, op->nid, op->start + w->done, len, op->mhp_flags, &id);
		if (r >= 0) {
			r = pmm_range_ids_sync(d, true, w->pub, &created);
			if (r < 0) {
				/* the piece exists but has no bus id: take it back */
				mm_remove_memory(d->mm, op->start + w->done, len);
				backend_fail(d, r, MM_CAUSE_NOMEM, "out of memory");
			} else {
				w->pub = created;
				op->range_id = created;
			}
		} else {
			backend_fail_mm(d, r);
		}
		break;
	case PMM_OP_ONLINE:
		r = mm_online_range(d->mm, op->start + w->done, len, op->online_type, NULL);
		if (r < 0)
			backend_fail_mm(d, r);
		break;
	case PMM_OP_OFFLINE:
		r = mm_offline_range(d->mm, op->start + w->done, len, NULL);
		if (r < 0)
			backend_fail_mm(d, r);
		break;
	default:
		r = -EINVAL;
		break;
	}
	if (r < 0) {
		work_rollback(d, w);
		return r;
	}
	w->done += len;
	return w->done < op->size ? 1 : 0;
}

/* Stop a work half way (shutdown): undo it as a failure would. */
void pmm_work_abort(struct pmm_daemon *d, struct pmm_work *w)
{
	backend_fail(d, -ECANCELED, MM_CAUSE_BUSY, "pmm-hotplugd is stopping");
	work_rollback(d, w);
}

void pmm_work_end(struct pmm_work *w)
{
	free(w->prev);
	w->prev = NULL;
}

int pmm_backend_apply(struct pmm_daemon *d, struct pmm_op *op)
{
	struct pmm_work w;
	int r;

	r = pmm_work_begin(d, &w, op);
	while (r >= 0 && (r = pmm_work_step(d, &w)) > 0)
		;
	if (r >= 0)
		*op = w.op;
	pmm_work_end(&w);
	return r;
}
