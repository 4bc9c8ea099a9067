/* SPDX-License-Identifier: MIT */
/*
 * crash-driver: crash consistency of pmm-hotplugd (issue 8, part 1).
 *
 * Several clients, each with its own bus connection, send random mutating requests (add,
 * remove, online, offline, get/put pages, device ranges, the namespace, the policy) while the
 * daemon is killed at random moments: SIGKILL after a random time or a random number of
 * replies, right after a long add/online/offline became a job, at the Nth write / fdatasync /
 * fsync / rename of a state file (fault-shim.so, PMM_CRASH_AT), or SIGTERM. After each
 * restart on the same state directory, the observable state (Describe, every List, the
 * refcount of every pfn a get/put touched) must equal a reference model that applied exactly
 * the acknowledged requests, plus some subset of the requests in flight at the kill, each
 * whole or not at all. Nothing lost, nothing half-applied, nothing invented.
 *
 * The reference is computed in this process from libmm through the daemon's own
 * pmm_backend_apply() (no journal, no bus, never killed). Requests in flight at a kill are
 * resolved by trying every subset on a fork() of the reference.
 *
 * Why this reference is exact although requests run concurrently: each client owns a disjoint
 * part of the managed region and has one request in flight; requests that may create a range
 * id (adds, removes) are serialised across clients (ids are handed out in order); onlines use
 * explicit zones and adds an explicit "online" option (the policy never picks a zone); only
 * client 0 sets the policy. Requests that can run at the same time therefore commute.
 *
 * Every acknowledged request must also apply to the reference, and after each get/put the
 * daemon's page-reference ledger (what a snapshot records) must add up to the references the
 * model holds.
 *
 * Usage: crash-driver --daemon PATH --address ADDR --workdir DIR [--trials N] [--seed S]
 *                     [--shim fault-shim.so]
 *        crash-driver --workdir DIR --replay DIR/history.txt
 * Prints TAP; the last lines count trials and kill points. The workdir keeps history.txt (the
 * requests the reference applied) and, after a mismatch, mismatch.txt; --replay applies a
 * history to a fresh reference with libmm's invariant checker after every request (which
 * CRASH_CHECK_INVARIANTS=1 also turns on during a run).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "daemon/daemon.h"
#include "pmm-json-fields.h"
#include "pmm-names.h"
#include "rel.h"
#include "tests/tap.h"

#define NR_CLIENTS    4
#define REGION_START  (4 * REL_G)
#define CLIENT_SPAN   (2 * REL_G)
#define NS_NAME       "namespace0.0"
#define NS_START      (10 * REL_G)
#define NS_SIZE       (2 * REL_G)
#define BLOCK         (128 * REL_M)
#define SUBSECTION    (2 * REL_M)
#define PAGE_SHIFT    12
#define MAX_PFNS      256

/* ---------------------------------------------------------------- requests */

enum req_kind { R_ADD_MEMORY, R_ADD_DEVICE, R_ADD_NAMESPACE, R_REMOVE, R_ONLINE, R_OFFLINE,
		R_GET, R_PUT, R_POLICY, R_NR };

static const char *const method_names[R_NR] = {
	"AddMemory", "AddDeviceMemory", "AddNamespace", "RemoveMemory", "OnlineMemory",
	"OfflineMemory", "GetPages", "PutPages", "SetOnlinePolicy",
};

/* One bus request as sent; options left NULL / false are not sent. */
struct req {
	enum req_kind kind;
	uint64_t start, size;      /* bytes; get/put: pfn, count */
	const char *online;        /* add: the "online" option; online: the online_type argument */
	bool memmap_on_memory;
	const char *type, *map;    /* add-device / add-namespace options */
	bool has_align;
	uint64_t align;
	const char *policy;
	bool has_ratio;
	uint32_t ratio;
	bool ids;                  /* may create a range id: one such request in flight at a time */
};

struct world;

struct client {
	struct world *w;
	int idx;
	sd_bus *bus;
	uint64_t lo, hi;           /* the part of the managed region this client owns */
	bool busy;
	struct req cur;
};

enum kill_mode { K_TIMER, K_ACKS, K_JOB, K_CRASHPOINT, K_SIGTERM, K_NR };
static const char *const kill_names[K_NR] = { "timer", "after-acks", "during-job", "crashpoint",
					      "sigterm" };

struct stats {
	unsigned int trials, kills[K_NR], crashpoint_fired, startup_crashes;
	unsigned int mid_snapshot, mid_journal_restart, in_job, with_inflight;
	unsigned long acked, refused, inflight, inflight_applied;
	struct { char name[64]; unsigned long n; } refusals[16];
};

struct world {
	const char *daemon_path, *address, *workdir, *shim;
	char state_dir[512], ref_dir[512], config[512], log[512];
	struct client cl[NR_CLIENTS];
	struct pmm_daemon ref;
	struct rel_daemon dmn;
	bool ids_busy, killing;
	struct req unknown[NR_CLIENTS];
	size_t nr_unknown;
	uint64_t pfns[MAX_PFNS];
	size_t nr_pfns;
	/* this trial */
	enum kill_mode mode;
	uint64_t chunk;
	unsigned int acks, kill_after_acks, bad_replies;
	struct timespec snap_new, journal_new;   /* temporary files seen after the last kill */
	bool ledger_broken, check_invariants, invariants_broken;
	FILE *history;
	char ledger_why[256];
	long long deadline;
	struct stats st;
};

static unsigned int rnd(unsigned int n)
{
	return n ? (unsigned int)(random() % n) : 0;
}

static bool chance(unsigned int percent)
{
	return rnd(100) < percent;
}

/* "Method start=0x.. size=0x.. [key=value...]": printed in diagnostics, read back by --replay. */
static void req_describe(const struct req *q, char *buf, size_t len)
{
	size_t off;

	off = (size_t)snprintf(buf, len, "%s start=0x%" PRIx64 " size=0x%" PRIx64,
			       method_names[q->kind], q->start, q->size);
#define ADD(...) do { if (off < len) off += (size_t)snprintf(buf + off, len - off, __VA_ARGS__); } while (0)
	if (q->online)
		ADD(" online=%s", q->online);
	if (q->memmap_on_memory)
		ADD(" memmap_on_memory=1");
	if (q->type)
		ADD(" type=%s", q->type);
	if (q->map)
		ADD(" map=%s", q->map);
	if (q->has_align)
		ADD(" align=0x%" PRIx64, q->align);
	if (q->policy)
		ADD(" policy=%s", q->policy);
	if (q->has_ratio)
		ADD(" ratio=%" PRIu32, q->ratio);
#undef ADD
}

/* The inverse of req_describe(); strings point into static storage of known words. */
static const char *known_word(const char *s)
{
	static const char *const words[] = { "offline", "online", "online_kernel", "online_movable",
					     "auto-movable", "fsdax", "devdax", "generic", "private",
					     "coherent", "p2pdma", "mem", "dev" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (!strcmp(words[i], s))
			return words[i];
	return NULL;
}

static int req_parse(char *line, struct req *q)
{
	char *save = NULL, *tok = strtok_r(line, " \n", &save);
	unsigned int i;

	memset(q, 0, sizeof(*q));
	for (i = 0; tok && i < R_NR && strcmp(method_names[i], tok); i++)
		;
	if (!tok || i == R_NR)
		return -EINVAL;
	q->kind = (enum req_kind)i;
	while ((tok = strtok_r(NULL, " \n", &save))) {
		char *v = strchr(tok, '=');

		if (!v)
			return -EINVAL;
		*v++ = '\0';
		if (!strcmp(tok, "start"))
			q->start = strtoull(v, NULL, 0);
		else if (!strcmp(tok, "size"))
			q->size = strtoull(v, NULL, 0);
		else if (!strcmp(tok, "online"))
			q->online = known_word(v);
		else if (!strcmp(tok, "memmap_on_memory"))
			q->memmap_on_memory = true;
		else if (!strcmp(tok, "type"))
			q->type = known_word(v);
		else if (!strcmp(tok, "map"))
			q->map = known_word(v);
		else if (!strcmp(tok, "align"))
			q->has_align = true, q->align = strtoull(v, NULL, 0);
		else if (!strcmp(tok, "policy"))
			q->policy = known_word(v);
		else if (!strcmp(tok, "ratio"))
			q->has_ratio = true, q->ratio = (uint32_t)strtoul(v, NULL, 0);
		else
			return -EINVAL;
	}
	return 0;
}

/* ---------------------------------------------------------------- the reference */

static int ref_open(struct world *w)
{
	struct pmm_daemon *d = &w->ref;
	char text[1024], *err = NULL;
	size_t i;
	int r;

	memset(d, 0, sizeof(*d));
	d->journal.fd = -1;
	d->journal.dir_fd = -1;
	d->lock_fd = -1;
	d->chunk_bytes = REL_G;
	snprintf(text, sizeof(text),
		 "{\"boot_memory\": [{\"start\": \"0\", \"size\": \"1G\", \"node\": 0}],"
		 " \"managed_regions\": [{\"start\": \"4G\", \"size\": \"8G\"}],"
		 " \"namespaces\": [{\"name\": \"" NS_NAME "\", \"start\": \"10G\", \"size\": \"2G\"}],"
		 " \"state_dir\": \"%s\"}", w->ref_dir);
	r = pmm_config_parse_text(text, "reference", &d->cfg, &err);
	if (r >= 0)
		r = pmm_sim_init(d, &err);
	if (r < 0) {
		printf("# reference: %s\n", err ? err : strerror(-r));
		free(err);
		return r;
	}
	/*
	 * No file behind the namespace: fork()ed trials must not write into a shared mapping
	 * (the memmap's location is not part of the observable state).
	 */
	for (i = 0; i < d->nr_ns; i++)
		if (d->ns[i].fd >= 0) {
			close(d->ns[i].fd);
			d->ns[i].fd = -1;
		}
	return 0;
}

static void ref_close(struct world *w)
{
	struct pmm_daemon *d = &w->ref;
	size_t i;

	for (i = 0; i < d->nr_ns; i++)
		free(d->ns[i].backing);
	free(d->ns);
	pmm_range_ids_free(&d->rids);
	pmm_refs_free(&d->refs);
	if (d->mm)
		mm_model_destroy(d->mm);
	pmm_config_free(&d->cfg);
	memset(d, 0, sizeof(*d));
}

/* The bus request as the daemon's handler turns it into operations (manager.c). */
static int ref_apply(struct pmm_daemon *d, const struct req *q)
{
	struct pmm_op op = { 0 }, on = { 0 };
	struct pmm_namespace *ns;
	int r;

	op.start = q->start;
	op.size = q->size;
	switch (q->kind) {
	case R_ADD_MEMORY:
		op.kind = PMM_OP_ADD_MEMORY;
		op.mhp_flags = q->memmap_on_memory ? MHP_MEMMAP_ON_MEMORY : MHP_NONE;
		r = pmm_backend_apply(d, &op);
		if (r < 0 || !strcmp(q->online, "offline"))
			return r;
		/* auto-online failing does not fail the add (add_memory_resource) */
		on = (struct pmm_op){ .kind = PMM_OP_ONLINE, .start = q->start, .size = q->size };
		if (mm_online_type_parse(q->online, &on.online_type) == 0)
			pmm_backend_apply(d, &on);
		return 0;
	case R_ADD_DEVICE:
		op.kind = PMM_OP_ADD_DEVICE;
		op.align = q->has_align ? q->align : 0;
		op.pgmap_type = MEMORY_DEVICE_GENERIC;
		if (q->type && mm_pgmap_type_parse(q->type, &op.pgmap_type) < 0)
			return -EINVAL;
		op.map_dev = q->map && !strcmp(q->map, "dev");
		return pmm_backend_apply(d, &op);
	case R_ADD_NAMESPACE:
		ns = pmm_namespace_find(d, NS_NAME);
		if (!ns)
			return -ENOENT;
		op.kind = PMM_OP_ADD_NAMESPACE;
		snprintf(op.ns_name, sizeof(op.ns_name), "%s", NS_NAME);
		op.start = ns->cfg.start;
		op.size = ns->cfg.size;
		op.nid = ns->cfg.numa_node;
		op.align = q->has_align ? q->align : 0;
		op.pgmap_type = q->type && !strcmp(q->type, "devdax") ? MEMORY_DEVICE_GENERIC :
									 MEMORY_DEVICE_FS_DAX;
		op.map_dev = !q->map || !strcmp(q->map, "dev");
		return pmm_backend_apply(d, &op);
	case R_REMOVE:
		op.kind = PMM_OP_REMOVE_MEMORY;
		return pmm_backend_apply(d, &op);
	case R_ONLINE:
		op.kind = PMM_OP_ONLINE;
		if (mm_online_type_parse(q->online, &op.online_type) < 0)
			return -EINVAL;
		return pmm_backend_apply(d, &op);
	case R_OFFLINE:
		op.kind = PMM_OP_OFFLINE;
		return pmm_backend_apply(d, &op);
	case R_GET:
	case R_PUT:
		op.kind = q->kind == R_GET ? PMM_OP_GET_PAGES : PMM_OP_PUT_PAGES;
		return pmm_backend_apply(d, &op);
	case R_POLICY:
		op.kind = PMM_OP_SET_POLICY;
		if (pmm_policy_parse(q->policy, &op.policy) < 0)
			return -EINVAL;
		op.policy.ratio = q->has_ratio ? q->ratio : d->policy.ratio;
		return pmm_backend_apply(d, &op);
	case R_NR:
		break;
	}
	return -EINVAL;
}

/*
 * The daemon keeps its own ledger of the page references it took (pmm_refs, what a snapshot
 * records). For every device range it must add up to the references the model holds.
 */
struct ledger_ctx {
	const struct pmm_refs *refs;
	char *why;
	size_t len;
};

static int ledger_range(const struct mm_range_info *r, void *arg)
{
	struct ledger_ctx *c = arg;
	uint64_t lo = r->start >> PAGE_SHIFT, hi = (r->start + r->size) >> PAGE_SHIFT, sum = 0;
	size_t i;

	if (!r->device)
		return 0;
	for (i = 0; i < c->refs->n; i++) {
		const struct pmm_ref_run *run = &c->refs->v[i];
		uint64_t a = run->pfn > lo ? run->pfn : lo;
		uint64_t b = run->pfn + run->count < hi ? run->pfn + run->count : hi;

		if (a < b)
			sum += (b - a) * run->refs;
	}
	if (sum == r->refs)
		return 0;
	snprintf(c->why, c->len, "device range %" PRIu64 " [0x%" PRIx64 ", +0x%" PRIx64 "): the model holds %" PRIu64 " page references, the daemon's ledger %" PRIu64,
		 r->id, r->start, r->size, r->refs, sum);
	return 1;
}

static bool ledger_ok(struct pmm_daemon *d, char *why, size_t len)
{
	struct ledger_ctx c = { &d->refs, why, len };

	return pmm_for_each_range(d, ledger_range, &c) == 0;
}

/*
 * Every request the reference applied, one a line (for a post-mortem), and with
 * CRASH_CHECK_INVARIANTS=1 libmm's invariant checker on the reference after each.
 */
static void history_add(struct world *w, const struct req *q)
{
	char desc[256], why[512];

	req_describe(q, desc, sizeof(desc));
	if (w->history)
		fprintf(w->history, "%s\n", desc);
	if (w->check_invariants && !w->invariants_broken &&
	    mm_check_invariants(w->ref.mm, why, sizeof(why)) < 0) {
		w->invariants_broken = true;
		printf("# libmm invariant broken after %s: %s\n", desc, why);
	}
}

/*
 * Observe pfn's refcount from now on. The set is bounded, least recently touched out: a pfn
 * must never leave it while a request on it may be in flight, or an in-flight put the daemon
 * applied would match the subset without it, and the reference would keep a reference the
 * daemon dropped (a mismatch trials later, when the pfn is observed again).
 */
static void pfn_touch(struct world *w, uint64_t pfn)
{
	size_t i;

	for (i = 0; i < w->nr_pfns && w->pfns[i] != pfn; i++)
		;
	if (i == w->nr_pfns && w->nr_pfns < MAX_PFNS)
		w->nr_pfns++;
	if (i == w->nr_pfns)
		i = 0;  /* full: the least recently touched goes */
	memmove(&w->pfns[i], &w->pfns[i + 1], (w->nr_pfns - 1 - i) * sizeof(*w->pfns));
	w->pfns[w->nr_pfns - 1] = pfn;
}

static int str_append(char **buf, size_t *len, const char *s)
{
	size_t n = strlen(s);
	char *nb = realloc(*buf, *len + n + 2);

	if (!nb)
		return -ENOMEM;
	memcpy(nb + *len, s, n);
	nb[*len + n] = '\n';
	nb[*len + n + 1] = '\0';
	*buf = nb;
	*len += n + 1;
	return 0;
}

/* The reference's state in rel_state()'s format, then one line per touched pfn. */
static char *ref_state(struct world *w)
{
	static const char *const kinds[] = { PMM_LIST_BLOCKS, PMM_LIST_RANGES, PMM_LIST_SECTIONS,
					      PMM_LIST_NAMESPACES };
	char *buf = NULL, *s, line[96];
	size_t len = 0, i;

	s = pmm_describe_status(&w->ref);
	if (!s || str_append(&buf, &len, s) < 0)
		goto fail;
	free(s);
	for (i = 0; i < 4; i++) {
		s = NULL;
		if (pmm_describe_list(&w->ref, kinds[i], &s) < 0 || str_append(&buf, &len, s) < 0)
			goto fail;
		free(s);
	}
	for (i = 0; i < w->nr_pfns; i++) {
		struct mm_pfn_info info;

		if (mm_lookup_pfn(w->ref.mm, w->pfns[i], &info) < 0)
			snprintf(line, sizeof(line), "pfn 0x%" PRIx64 ": error", w->pfns[i]);
		else
			/* LookupPfn has no refcount without an initialised struct page: -1 below */
			snprintf(line, sizeof(line), "pfn 0x%" PRIx64 ": refcount %d online %d",
				 w->pfns[i], info.zone >= 0 ? info.refcount : -1, (int)info.online);
		if (str_append(&buf, &len, line) < 0)
			goto fail;
	}
	return buf;
fail:
	free(s);
	free(buf);
	return NULL;
}

/* LookupPfn's refcount and online as ref_state() prints them. */
static int daemon_pfn_line(sd_bus *bus, uint64_t pfn, char *line, size_t len)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int refcount = -1, online = -1, r;
	const char *key;

	r = sd_bus_call_method(bus, PMM_BUS_NAME, PMM_MANAGER_PATH, PMM_MANAGER_IFACE, "LookupPfn",
			       &e, &reply, "t", pfn);
	if (r < 0) {
		/* a refusal by the daemon is the reference's error; anything else is not */
		snprintf(line, len, "pfn 0x%" PRIx64 ": %s", pfn,
			 sd_bus_error_has_name(&e, PMM_ERROR_INVALID_ARGUMENT) ||
			 sd_bus_error_has_name(&e, PMM_ERROR_NOT_FOUND) ||
			 sd_bus_error_has_name(&e, PMM_ERROR_OUT_OF_REGION) ? "error" : e.name);
		sd_bus_error_free(&e);
		return 0;
	}
	r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		r = sd_bus_message_read(reply, "s", &key);
		if (r >= 0 && !strcmp(key, PMM_J_REFCOUNT))
			r = sd_bus_message_read(reply, "v", "i", &refcount);
		else if (r >= 0 && !strcmp(key, PMM_J_ONLINE))
			r = sd_bus_message_read(reply, "v", "b", &online);
		else if (r >= 0)
			r = sd_bus_message_skip(reply, "v");
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
	}
	sd_bus_message_unref(reply);
	snprintf(line, len, "pfn 0x%" PRIx64 ": refcount %d online %d", pfn, refcount, online);
	return r;
}

static char *daemon_state(struct world *w, sd_bus *bus)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	char *buf = NULL, line[128];
	size_t len, i;
	int r;

	r = rel_state(bus, &e, &buf);
	if (r < 0) {
		printf("# reading the daemon's state: %s\n", e.message ? e.message : strerror(-r));
		sd_bus_error_free(&e);
		return NULL;
	}
	len = strlen(buf);
	for (i = 0; i < w->nr_pfns; i++)
		if (daemon_pfn_line(bus, w->pfns[i], line, sizeof(line)) < 0 ||
		    str_append(&buf, &len, line) < 0) {
			free(buf);
			return NULL;
		}
	return buf;
}

/* ---------------------------------------------------------------- views of the reference */

struct range_list {
	struct mm_range_info v[64];
	size_t n;
	uint64_t lo, hi;
};

static int collect_range(const struct mm_range_info *r, void *arg)
{
	struct range_list *l = arg;

	if (r->start >= l->lo && r->start < l->hi && l->n < 64)
		l->v[l->n++] = *r;
	return 0;
}

static void ranges_in(struct world *w, const struct client *c, struct range_list *l)
{
	l->n = 0;
	l->lo = c->lo;
	l->hi = c->hi;
	pmm_for_each_range(&w->ref, collect_range, l);
}

/* Is [a, a+len) free of every range of the client (rounded out to gran)? */
static bool span_free(const struct range_list *l, uint64_t a, uint64_t len, uint64_t gran)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		uint64_t s = l->v[i].start - l->v[i].start % gran;
		uint64_t e = l->v[i].start + l->v[i].size;

		e = (e + gran - 1) / gran * gran;
		if (a < e && s < a + len)
			return false;
	}
	return true;
}

static int block_state(struct world *w, uint64_t addr)
{
	struct mm_block_info b;

	if (mm_memory_block_info(w->ref.mm, addr / BLOCK, &b) < 0)
		return 0;
	return (int)b.state;
}

/* ---------------------------------------------------------------- generators */

/* A free run of units of gran in the client's part: start and a length up to max units. */
static bool pick_free(struct world *w, const struct client *c, uint64_t gran, unsigned int max,
		      uint64_t *start, uint64_t *size)
{
	struct range_list l;
	uint64_t units = (c->hi - c->lo) / gran, a, n;
	unsigned int tries;

	ranges_in(w, c, &l);
	for (tries = 0; tries < 32; tries++) {
		a = c->lo + rnd((unsigned int)units) * gran;
		if (!span_free(&l, a, gran, gran))
			continue;
		n = 1 + rnd(max);
		while (n > 1 && (a + n * gran > c->hi || !span_free(&l, a, n * gran, gran)))
			n--;
		*start = a;
		*size = n * gran;
		return true;
	}
	return false;
}

static bool gen_add_memory(struct world *w, struct client *c, struct req *q)
{
	static const char *const online[] = { "offline", "online_kernel", "online_movable" };

	if (!pick_free(w, c, BLOCK, 8, &q->start, &q->size))
		return false;
	q->kind = R_ADD_MEMORY;
	q->online = online[rnd(3)];
	q->memmap_on_memory = chance(25);
	q->ids = true;
	return true;
}

static bool gen_add_device(struct world *w, struct client *c, struct req *q)
{
	static const char *const types[] = { "fsdax", "devdax", "generic", "private", "coherent",
					     "p2pdma" };

	if (!pick_free(w, c, SUBSECTION, chance(20) ? 128 : 32, &q->start, &q->size))
		return false;
	q->kind = R_ADD_DEVICE;
	q->type = chance(80) ? types[rnd(6)] : NULL;
	q->map = chance(30) ? "dev" : chance(40) ? "mem" : NULL;
	if (chance(25)) {
		q->has_align = true;
		q->align = chance(80) ? SUBSECTION : REL_G;
	}
	q->ids = true;
	return true;
}

static bool gen_add_namespace(struct world *w, struct client *c, struct req *q)
{
	struct pmm_namespace *ns = pmm_namespace_find(&w->ref, NS_NAME);

	if (c->lo > NS_START || c->hi < NS_START + NS_SIZE || !ns || ns->range_id)
		return false;
	q->kind = R_ADD_NAMESPACE;
	q->type = chance(50) ? (chance(50) ? "devdax" : "fsdax") : NULL;
	q->map = chance(60) ? (chance(50) ? "dev" : "mem") : NULL;
	if (chance(30)) {
		q->has_align = true;
		q->align = SUBSECTION;
	}
	q->ids = true;
	return true;
}

/* Whole ranges mostly, ready ones (offline, no references) preferred; RAM sometimes in part. */
static bool gen_remove(struct world *w, struct client *c, struct req *q)
{
	struct range_list l;
	const struct mm_range_info *r;
	uint64_t nb, first, n, a;
	size_t i, pick;
	bool ready;

	ranges_in(w, c, &l);
	if (!l.n)
		return false;
	pick = rnd((unsigned int)l.n);
	for (i = 0; i < l.n && chance(60); i++) {
		r = &l.v[(pick + i) % l.n];
		ready = r->device ? r->refs == 0 : true;
		for (a = r->start; !r->device && a < r->start + r->size; a += BLOCK)
			if (block_state(w, a) != MEM_OFFLINE)
				ready = false;
		if (ready) {
			pick = (pick + i) % l.n;
			break;
		}
	}
	r = &l.v[pick];
	q->kind = R_REMOVE;
	q->start = r->start;
	q->size = r->size;
	q->ids = true;
	if (!r->device && r->size > BLOCK && chance(30)) {
		nb = r->size / BLOCK;
		first = rnd((unsigned int)nb);
		n = 1 + rnd((unsigned int)(nb - first));
		q->start = r->start + first * BLOCK;
		q->size = n * BLOCK;
	}
	return true;
}

/* A run of blocks in one state (want), starting at a random hot-added block of the client. */
static bool pick_blocks(struct world *w, struct client *c, int want, uint64_t *start,
			uint64_t *size)
{
	struct range_list l;
	const struct mm_range_info *r;
	uint64_t a, n, max = 1 + rnd(8);
	unsigned int tries;

	ranges_in(w, c, &l);
	for (tries = 0; tries < 16 && l.n; tries++) {
		r = &l.v[rnd((unsigned int)l.n)];
		if (r->device)
			continue;
		a = r->start + rnd((unsigned int)(r->size / BLOCK)) * BLOCK;
		if (want && block_state(w, a) != want)
			continue;
		for (n = 1; n < max && a + n * BLOCK < c->hi &&
			    (!want || block_state(w, a + n * BLOCK) == want) &&
			    block_state(w, a + n * BLOCK); n++)
			;
		*start = a;
		*size = n * BLOCK;
		return true;
	}
	return false;
}

static bool gen_online(struct world *w, struct client *c, struct req *q)
{
	/* now and then a block that is already online: InvalidState, nothing changes */
	if (!pick_blocks(w, c, chance(10) ? 0 : MEM_OFFLINE, &q->start, &q->size))
		return false;
	q->kind = R_ONLINE;
	q->online = chance(50) ? "online_kernel" : "online_movable";
	return true;
}

static bool gen_offline(struct world *w, struct client *c, struct req *q)
{
	if (!pick_blocks(w, c, chance(10) ? 0 : MEM_ONLINE, &q->start, &q->size))
		return false;
	q->kind = R_OFFLINE;
	return true;
}

/* Pages with a struct page: an online hot-added block or a device range of the client. */
static bool gen_get(struct world *w, struct client *c, struct req *q)
{
	struct range_list l;
	const struct mm_range_info *r;
	uint64_t first, npages, off;

	ranges_in(w, c, &l);
	if (!l.n)
		return false;
	r = &l.v[rnd((unsigned int)l.n)];
	if (r->device) {
		first = r->start >> PAGE_SHIFT;
		npages = r->size >> PAGE_SHIFT;
	} else {
		uint64_t a = r->start + rnd((unsigned int)(r->size / BLOCK)) * BLOCK;

		first = a >> PAGE_SHIFT;
		npages = BLOCK >> PAGE_SHIFT;
	}
	off = chance(30) ? rnd(8) : rnd((unsigned int)npages);
	q->kind = R_GET;
	q->start = first + off;
	q->size = 1 + rnd(16);
	if (off + q->size > npages)
		q->size = npages - off;
	pfn_touch(w, q->start);
	return true;
}

static bool gen_put(struct world *w, struct client *c, struct req *q)
{
	const struct pmm_refs *refs = &w->ref.refs;
	uint64_t lo = c->lo >> PAGE_SHIFT, hi = c->hi >> PAGE_SHIFT;
	size_t i, n = 0, pick;

	for (i = 0; i < refs->n; i++)
		if (refs->v[i].pfn >= lo && refs->v[i].pfn < hi)
			n++;
	q->kind = R_PUT;
	if (!n || chance(10)) {
		/* a pfn without a reference of ours: below its idle count, refused */
		q->start = lo + rnd((unsigned int)(hi - lo));
		q->size = 1;
		pfn_touch(w, q->start);
		return true;
	}
	pick = rnd((unsigned int)n);
	for (i = 0; i < refs->n; i++) {
		const struct pmm_ref_run *run = &refs->v[i];

		if (run->pfn < lo || run->pfn >= hi || pick--)
			continue;
		q->start = run->pfn + rnd((unsigned int)run->count);
		q->size = 1 + rnd((unsigned int)(run->pfn + run->count - q->start));
		break;
	}
	pfn_touch(w, q->start);
	return true;
}

static bool gen_policy(struct world *w, struct client *c, struct req *q)
{
	static const char *const policies[] = { "offline", "online", "online_kernel",
						"online_movable", "auto-movable" };

	(void)w;
	if (c->idx != 0)
		return false;
	q->kind = R_POLICY;
	q->policy = policies[rnd(5)];
	if (!strcmp(q->policy, "auto-movable") && chance(50)) {
		q->has_ratio = true;
		q->ratio = rnd(1000);
	}
	return true;
}

typedef bool (*gen_fn)(struct world *, struct client *, struct req *);

static const struct {
	gen_fn fn;
	unsigned int weight;
	bool ids;
} gens[] = {
	{ gen_add_memory, 20, true }, { gen_add_device, 8, true }, { gen_add_namespace, 4, true },
	{ gen_remove, 12, true }, { gen_online, 16, false }, { gen_offline, 12, false },
	{ gen_get, 12, false }, { gen_put, 10, false }, { gen_policy, 3, false },
};

static bool generate(struct world *w, struct client *c, struct req *q)
{
	unsigned int total = 0, x, i, tries;

	for (i = 0; i < ARRAY_SIZE(gens); i++)
		total += gens[i].weight;
	for (tries = 0; tries < 20; tries++) {
		memset(q, 0, sizeof(*q));
		x = rnd(total);
		for (i = 0; x >= gens[i].weight; i++)
			x -= gens[i].weight;
		if (gens[i].ids && w->ids_busy)
			continue;
		if (gens[i].fn(w, c, q))
			return true;
	}
	return false;
}

/* ---------------------------------------------------------------- sending, replies */

static int append_options(sd_bus_message *m, const struct req *q)
{
	int r = sd_bus_message_open_container(m, 'a', "{sv}");

	if (r >= 0 && q->kind == R_ADD_MEMORY) {
		r = sd_bus_message_append(m, "{sv}", PMM_OPT_ONLINE, "s", q->online);
		if (r >= 0 && q->memmap_on_memory)
			r = sd_bus_message_append(m, "{sv}", PMM_OPT_MEMMAP_ON_MEMORY, "b", 1);
	}
	if (r >= 0 && q->type)
		r = sd_bus_message_append(m, "{sv}", PMM_OPT_TYPE, "s", q->type);
	if (r >= 0 && q->map)
		r = sd_bus_message_append(m, "{sv}", PMM_OPT_MAP, "s", q->map);
	if (r >= 0 && q->has_align)
		r = sd_bus_message_append(m, "{sv}", PMM_OPT_ALIGN, "t", q->align);
	if (r >= 0 && q->has_ratio)
		r = sd_bus_message_append(m, "{sv}", PMM_OPT_RATIO, "u", q->ratio);
	return r < 0 ? r : sd_bus_message_close_container(m);
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

static int send_request(struct client *c)
{
	const struct req *q = &c->cur;
	sd_bus_message *m = NULL;
	int r;

	r = sd_bus_message_new_method_call(c->bus, &m, PMM_BUS_NAME, PMM_MANAGER_PATH,
					   PMM_MANAGER_IFACE, method_names[q->kind]);
	if (r < 0)
		return r;
	switch (q->kind) {
	case R_ADD_MEMORY:
	case R_ADD_DEVICE:
		r = sd_bus_message_append(m, "tt", q->start, q->size);
		if (r >= 0)
			r = append_options(m, q);
		break;
	case R_ADD_NAMESPACE:
		r = sd_bus_message_append(m, "s", NS_NAME);
		if (r >= 0)
			r = append_options(m, q);
		break;
	case R_ONLINE:
		r = sd_bus_message_append(m, "tts", q->start, q->size, q->online);
		break;
	case R_POLICY:
		r = sd_bus_message_append(m, "s", q->policy);
		if (r >= 0)
			r = append_options(m, q);
		break;
	default:
		r = sd_bus_message_append(m, "tt", q->start, q->size);
		break;
	}
	if (r >= 0)
		r = sd_bus_call_async(c->bus, NULL, m, on_reply, c, 120 * 1000000ULL);
	sd_bus_message_unref(m);
	if (r >= 0) {
		c->busy = true;
		if (q->ids)
			c->w->ids_busy = true;
	}
	return r;
}

/* Long enough to become a job (more than one chunk of blocks)? */
static bool req_is_job(const struct world *w, const struct req *q)
{
	return (q->kind == R_ADD_MEMORY || q->kind == R_ONLINE || q->kind == R_OFFLINE) &&
	       q->size > w->chunk;
}

static void kill_daemon(struct world *w, int sig);

static void count_refusal(struct stats *st, const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(st->refusals); i++) {
		if (!st->refusals[i].name[0])
			snprintf(st->refusals[i].name, sizeof(st->refusals[i].name), "%s", name);
		if (!strcmp(st->refusals[i].name, name)) {
			st->refusals[i].n++;
			return;
		}
	}
}

/*
 * A call came back unanswered while we did not kill the daemon: it must have died by itself
 * (a crash point). The bus notices the closed socket before we can reap: wait a little.
 */
static bool daemon_died(struct world *w)
{
	long long until = rel_now_ms() + 2000;

	while (!rel_daemon_exited(&w->dmn)) {
		if (rel_now_ms() > until)
			return false;
		usleep(2000);
	}
	if (WIFSIGNALED(w->dmn.status) && WTERMSIG(w->dmn.status) == SIGKILL) {
		w->st.crashpoint_fired++;
	} else {
		/* not a crash point: it crashed or gave up by itself */
		w->bad_replies++;
		printf("# the daemon exited on its own (status 0x%x)\n", w->dmn.status);
	}
	kill_daemon(w, 0);
	return true;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct client *c = userdata;
	struct world *w = c->w;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	char desc[256];
	int r;

	(void)ret_error;
	c->busy = false;
	if (c->cur.ids)
		w->ids_busy = false;
	req_describe(&c->cur, desc, sizeof(desc));
	if (!e) {
		/* acknowledged: the reference must accept it too */
		w->st.acked++;
		w->acks++;
		r = ref_apply(&w->ref, &c->cur);
		if (r < 0) {
			w->bad_replies++;
			printf("# client %d: %s acknowledged, but the reference refuses it: %s\n",
			       c->idx, desc, w->ref.why);
		}
		history_add(w, &c->cur);
		if ((c->cur.kind == R_GET || c->cur.kind == R_PUT) && !w->ledger_broken &&
		    !ledger_ok(&w->ref, w->ledger_why, sizeof(w->ledger_why))) {
			w->ledger_broken = true;
			printf("# after %s: %s\n", desc, w->ledger_why);
		}
		return 0;
	}
	if (!strncmp(e->name, PMM_ERROR_PREFIX, strlen(PMM_ERROR_PREFIX))) {
		/*
		 * refused: changes nothing. Failed would mean a journal problem, AccessDenied a
		 * credentials problem (the clients are root): neither is expected here
		 */
		w->st.refused++;
		count_refusal(&w->st, e->name + strlen(PMM_ERROR_PREFIX));
		if (sd_bus_error_has_name(e, PMM_ERROR_FAILED) ||
		    sd_bus_error_has_name(e, PMM_ERROR_ACCESS_DENIED)) {
			w->bad_replies++;
			printf("# client %d: %s: unexpected %s: %s\n", c->idx, desc, e->name,
			       e->message);
		}
		return 0;
	}
	/* no answer: the daemon died (a crash point fired, or it was killed) */
	if (!w->killing && !daemon_died(w)) {
		w->bad_replies++;
		printf("# client %d: %s: %s: %s while the daemon runs\n", c->idx, desc, e->name,
		       e->message);
		return 0;
	}
	/* never delivered: the name had no owner any more, so nothing can have happened */
	if (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
	    sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
		return 0;
	/* delivered, unanswered: happened or not, to be found out at the restart */
	if (w->nr_unknown < ARRAY_SIZE(w->unknown)) {
		w->unknown[w->nr_unknown++] = c->cur;
		w->st.inflight++;
	} else {
		w->bad_replies++;
		printf("# more requests in flight than clients\n");
	}
	return 0;
}

/* Run every connection until nothing is pending, or for at most wait_ms. */
static void pump(struct world *w, int wait_ms)
{
	struct pollfd p[NR_CLIENTS];
	int i, r;

	for (i = 0; i < NR_CLIENTS; i++) {
		while ((r = sd_bus_process(w->cl[i].bus, NULL)) > 0)
			;
		p[i].fd = sd_bus_get_fd(w->cl[i].bus);
		p[i].events = (short)sd_bus_get_events(w->cl[i].bus);
	}
	poll(p, NR_CLIENTS, wait_ms);
	for (i = 0; i < NR_CLIENTS; i++)
		while ((r = sd_bus_process(w->cl[i].bus, NULL)) > 0)
			;
}

/* ---------------------------------------------------------------- daemon life */

static int start_daemon(struct world *w, const char *crash_at)
{
	char chunk[64], snap[64], preload[600], crash[64], dir[600];
	char *argv[] = { (char *)w->daemon_path, "--address", (char *)w->address, "--config",
			 w->config, "--state-dir", w->state_dir, NULL };
	char *env[6] = { chunk, snap, NULL, NULL, NULL, NULL };
	static const unsigned int snaps[] = { 1, 2, 3, 5, 8, 1000 };

	w->chunk = BLOCK << rnd(3);
	snprintf(chunk, sizeof(chunk), "PMM_JOB_CHUNK=%" PRIu64, w->chunk);
	snprintf(snap, sizeof(snap), "PMM_SNAPSHOT_EVERY=%u", snaps[rnd(ARRAY_SIZE(snaps))]);
	if (crash_at && w->shim) {
		snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", w->shim);
		snprintf(crash, sizeof(crash), "PMM_CRASH_AT=%s", crash_at);
		snprintf(dir, sizeof(dir), "PMM_FAULT_DIR=%s", w->state_dir);
		env[2] = preload;
		env[3] = crash;
		env[4] = dir;
	}
	return rel_daemon_start(&w->dmn, argv, env, w->log, 30000);
}

static void log_tail(const struct world *w)
{
	char cmd[700];

	fflush(stdout);
	snprintf(cmd, sizeof(cmd), "tail -n 15 '%s' | sed 's/^/#   /'", w->log);
	if (system(cmd) != 0)
		printf("#   (no log)\n");
}

/*
 * Did the kill leave a temporary file of an atomic write behind (the daemon died between its
 * creation and its rename)? A file left by an earlier kill is not counted again.
 */
static bool fresh_leftover(const char *dir, const char *name, struct timespec *last)
{
	struct stat st;
	char path[700];
	bool fresh;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &st) < 0)
		return false;
	fresh = st.st_mtim.tv_sec != last->tv_sec || st.st_mtim.tv_nsec != last->tv_nsec;
	*last = st.st_mtim;
	return fresh;
}

/* ---------------------------------------------------------------- recovery check */

/*
 * In a fork()ed trial: libmm maps some memmap MAP_SHARED (the vmemmap tail reuse of compound
 * device pages lives in a memfd), so a child writing a folio's refcount would write the
 * parent's. Give the child private copies of every shared writable mapping first (the aliases
 * of reused tail pages stop being aliases, which the get/put/remove a trial applies to
 * existing ranges do not need: they write heads only).
 */
static void privatize_shared_mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512], perms[8];
	unsigned long lo, hi;

	while (f && fgets(line, sizeof(line), f)) {
		size_t len;
		void *copy;

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[1] != 'w' ||
		    perms[3] != 's')
			continue;
		len = hi - lo;
		copy = malloc(len);
		if (!copy)
			_exit(3);
		memcpy(copy, (void *)lo, len);
		if (mmap((void *)lo, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			_exit(3);
		memcpy((void *)lo, copy, len);
		free(copy);
	}
	if (f)
		fclose(f);
}

/*
 * Would the reference + the in-flight requests of mask give got? Tried on a fork() so the
 * reference itself does not change. With diag, print how the two differ instead.
 */
static bool subset_matches(struct world *w, unsigned int mask, const char *got, bool diag)
{
	pid_t pid;
	int status;
	size_t i;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *s;

		privatize_shared_mappings();
		for (i = 0; i < w->nr_unknown; i++)
			if ((mask & (1u << i)) && ref_apply(&w->ref, &w->unknown[i]) < 0) {
				if (diag)
					printf("#   mask 0x%x: in-flight request %zu does not apply: %s\n",
					       mask, i, w->ref.why);
				_exit(2);
			}
		s = ref_state(w);
		if (diag && s) {
			printf("#   against the reference + in-flight mask 0x%x:\n", mask);
			rel_diag_diff("daemon", got, "reference", s);
		}
		fflush(stdout);
		_exit(s && !strcmp(s, got) ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * The restarted daemon's state against the reference + every subset of the requests whose
 * outcome is unknown. The first matching subset is applied to the reference.
 */
/* The last n lines of a file, as TAP diagnostics. */
static void print_tail(const char *what, const char *path, size_t n)
{
	FILE *f = fopen(path, "r");
	char **ring = calloc(n, sizeof(*ring)), *line = NULL;
	size_t cap = 0, seen = 0, i;

	if (!f || !ring) {
		if (f)
			fclose(f);
		free(ring);
		return;
	}
	while (getline(&line, &cap, f) > 0) {
		free(ring[seen % n]);
		ring[seen % n] = strdup(line);
		seen++;
	}
	printf("#   %s (%s, last %zu of %zu lines):\n", what, path, seen < n ? seen : n, seen);
	for (i = seen > n ? seen - n : 0; i < seen; i++)
		printf("#     %s", ring[i % n] ? ring[i % n] : "?\n");
	for (i = 0; i < n; i++)
		free(ring[i]);
	free(ring);
	free(line);
	fclose(f);
}

/* For a post-mortem: both states, and the page references the reference's daemon code keeps. */
static void dump_reference(struct world *w, const char *got)
{
	char path[700];
	char *want = ref_state(w);
	FILE *f;
	size_t i;

	snprintf(path, sizeof(path), "%s/mismatch.txt", w->workdir);
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "== daemon\n%s== reference (acknowledged only)\n%s== reference refs\n", got,
		want ? want : "");
	for (i = 0; i < w->ref.refs.n; i++)
		fprintf(f, "pfn 0x%" PRIx64 " count %" PRIu64 " refs %" PRIu64 "\n",
			w->ref.refs.v[i].pfn, w->ref.refs.v[i].count, w->ref.refs.v[i].refs);
	fclose(f);
	free(want);
	printf("#   both states and the reference's references: %s\n", path);
	/* what CI shows of a failure is its output: the last requests and the daemon's journal */
	if (w->history)
		fflush(w->history);
	snprintf(path, sizeof(path), "%s/history.txt", w->workdir);
	print_tail("the last acknowledged (or found applied) requests, oldest first", path, 40);
	snprintf(path, sizeof(path), "%s/journal", w->state_dir);
	print_tail("the daemon's journal (records after its last snapshot)", path, 60);
}

static bool check_recovery(struct world *w, int trial)
{
	unsigned int mask, n = 0;
	bool matched;
	size_t i;
	char *got;

	/* every in-flight get/put is observed, so each subset is told apart by its pages */
	for (i = 0; i < w->nr_unknown; i++)
		if (w->unknown[i].kind == R_GET || w->unknown[i].kind == R_PUT)
			pfn_touch(w, w->unknown[i].start);
	got = daemon_state(w, w->cl[0].bus);
	if (!got) {
		ok(0, "trial %d: read the restarted daemon's state", trial);
		return false;
	}
	for (mask = 0; mask < (1u << w->nr_unknown); mask++)
		if (subset_matches(w, mask, got, false))
			break;
	matched = mask < (1u << w->nr_unknown);
	if (matched) {
		for (i = 0; i < w->nr_unknown; i++)
			if (mask & (1u << i)) {
				ref_apply(&w->ref, &w->unknown[i]);
				history_add(w, &w->unknown[i]);
				n++;
			}
		w->st.inflight_applied += n;
		ok(1, "trial %d: restored state = acknowledged history + %u of %zu in-flight requests (state %016" PRIx64 ")",
		   trial, n, w->nr_unknown, rel_hash(got));
	} else {
		ok(0, "trial %d: restored state matches no outcome of the %zu in-flight requests",
		   trial, w->nr_unknown);
		for (i = 0; i < w->nr_unknown; i++) {
			char desc[256];

			req_describe(&w->unknown[i], desc, sizeof(desc));
			printf("#   in flight %zu: %s\n", i, desc);
		}
		for (mask = 0; mask < (1u << w->nr_unknown); mask++)
			subset_matches(w, mask, got, true);
		dump_reference(w, got);
	}
	w->nr_unknown = 0;
	free(got);
	return matched;
}

/* ---------------------------------------------------------------- one trial */

static void choose_mode(struct world *w, char *crash_at, size_t len)
{
	static const char *const calls[] = { "write", "fdatasync", "fsync", "rename" };
	unsigned int x = rnd(100);

	crash_at[0] = '\0';
	w->mode = x < 25 ? K_TIMER : x < 40 ? K_ACKS : x < 60 ? K_JOB : x < 90 ? K_CRASHPOINT :
		  K_SIGTERM;
	if (w->mode == K_CRASHPOINT && !w->shim)
		w->mode = K_TIMER;
	if (w->mode == K_CRASHPOINT)
		snprintf(crash_at, len, "%s:%u:%s", calls[rnd(4)], 1 + rnd(40),
			 chance(50) ? "before" : "after");
	w->kill_after_acks = 1 + rnd(40);
	w->deadline = rel_now_ms() + (w->mode == K_TIMER || w->mode == K_SIGTERM ?
				      20 + rnd(400) : 2000);
}

static void kill_daemon(struct world *w, int sig)
{
	if (w->killing)
		return;
	w->killing = true;
	if (sig)
		rel_daemon_stop(&w->dmn, sig);
}

/* Requests until the daemon is gone, then wait for every call to be answered. */
static void workload(struct world *w, int trial)
{
	long long drain_until;
	bool job_seen = false;
	int i;

	w->killing = false;
	w->acks = 0;
	while (!w->killing) {
		for (i = 0; i < NR_CLIENTS && !w->killing; i++) {
			struct client *c = &w->cl[i];

			if (c->busy || !generate(w, c, &c->cur))
				continue;
			if (send_request(c) < 0) {
				w->bad_replies++;
				printf("# client %d: cannot send\n", i);
				continue;
			}
			if (w->mode == K_JOB && !job_seen && req_is_job(w, &c->cur)) {
				/* kill while the job's steps run: within a few steps */
				job_seen = true;
				w->deadline = rel_now_ms() + rnd(30);
			}
		}
		pump(w, 5);
		if (w->killing)
			break;
		if (rel_daemon_exited(&w->dmn)) {
			/* a crash point fired (or the daemon died: the restart will tell) */
			daemon_died(w);
		} else if (w->mode == K_ACKS && w->acks >= w->kill_after_acks) {
			kill_daemon(w, SIGKILL);
		} else if (rel_now_ms() >= w->deadline) {
			kill_daemon(w, w->mode == K_SIGTERM ? SIGTERM : SIGKILL);
		}
	}
	if (w->mode == K_SIGTERM)
		ok(WIFEXITED(w->dmn.status) && WEXITSTATUS(w->dmn.status) == 0,
		   "trial %d: SIGTERM stops the daemon cleanly (status 0x%x)", trial, w->dmn.status);
	for (i = 0; i < NR_CLIENTS; i++)
		if (w->cl[i].busy && req_is_job(w, &w->cl[i].cur))
			w->st.in_job++;
	drain_until = rel_now_ms() + 20000;
	for (;;) {
		bool busy = false;

		for (i = 0; i < NR_CLIENTS; i++)
			busy |= w->cl[i].busy;
		if (!busy || rel_now_ms() > drain_until)
			break;
		pump(w, 20);
	}
	if (w->nr_unknown)
		w->st.with_inflight++;
	w->st.mid_snapshot += fresh_leftover(w->state_dir, "snapshot.new", &w->snap_new);
	w->st.mid_journal_restart += fresh_leftover(w->state_dir, "journal.new", &w->journal_new);
}

/* ---------------------------------------------------------------- main */

static int setup(struct world *w)
{
	char path[700];
	FILE *f;
	int i, r;

	snprintf(w->state_dir, sizeof(w->state_dir), "%s/state", w->workdir);
	snprintf(w->ref_dir, sizeof(w->ref_dir), "%s/ref", w->workdir);
	snprintf(w->config, sizeof(w->config), "%s/pmm-hotplugd.json", w->workdir);
	snprintf(w->log, sizeof(w->log), "%s/daemon.log", w->workdir);
	if ((mkdir(w->state_dir, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(w->ref_dir, 0700) < 0 && errno != EEXIST))
		return -errno;
	f = fopen(w->config, "w");
	if (!f)
		return -errno;
	fprintf(f, "{\n  \"boot_memory\": [{\"start\": \"0\", \"size\": \"1G\", \"node\": 0}],\n"
		   "  \"managed_regions\": [{\"start\": \"4G\", \"size\": \"8G\"}],\n"
		   "  \"namespaces\": [{\"name\": \"" NS_NAME "\", \"start\": \"10G\", \"size\": \"2G\"}]\n}\n");
	fclose(f);
	r = ref_open(w);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/history.txt", w->workdir);
	w->history = fopen(path, "w");
	if (w->history)
		setvbuf(w->history, NULL, _IOLBF, 0);
	w->check_invariants = getenv("CRASH_CHECK_INVARIANTS") != NULL;
	for (i = 0; i < NR_CLIENTS; i++) {
		w->cl[i].w = w;
		w->cl[i].idx = i;
		w->cl[i].lo = REGION_START + (uint64_t)i * CLIENT_SPAN;
		w->cl[i].hi = w->cl[i].lo + CLIENT_SPAN;
		r = rel_bus_open(w->address, &w->cl[i].bus);
		if (r < 0) {
			printf("# cannot connect to %s: %s\n", w->address, strerror(-r));
			return r;
		}
	}
	return 0;
}

/*
 * --replay FILE: apply a history.txt to a fresh reference, with libmm's invariant checker and
 * the ledger check after every request, and stop at the first violation: a post-mortem of a
 * mismatch without the daemon, the bus or the timing of a run.
 */
static int replay(struct world *w, const char *file)
{
	char line[512], desc[512], why[512];
	FILE *f = fopen(file, "r");
	unsigned int n = 0;
	struct req q;
	int r;

	if (!f || ref_open(w) < 0) {
		printf("Bail out! cannot replay %s\n", file);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		snprintf(desc, sizeof(desc), "%s", line);
		desc[strcspn(desc, "\n")] = '\0';
		n++;
		if (req_parse(line, &q) < 0) {
			ok(0, "line %u: cannot parse \"%s\"", n, desc);
			break;
		}
		r = ref_apply(&w->ref, &q);
		if (r < 0)
			printf("# line %u: %s refused: %s\n", n, desc, w->ref.why);
		if (mm_check_invariants(w->ref.mm, why, sizeof(why)) < 0) {
			ok(0, "line %u: %s breaks a libmm invariant: %s", n, desc, why);
			break;
		}
		if (!ledger_ok(&w->ref, why, sizeof(why))) {
			ok(0, "line %u: %s breaks the daemon's reference ledger: %s", n, desc, why);
			break;
		}
	}
	fclose(f);
	ok(!tap_failed, "%u requests replayed", n);
	ref_close(w);
	return tap_done();
}

/* ASan, LSan or UBSan said something in the daemon's log. */
static bool sanitizer_report(const char *log)
{
	char line[1024];
	bool found = false;
	FILE *f = fopen(log, "r");

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "ERROR: AddressSanitizer") || strstr(line, "ERROR: LeakSanitizer") ||
		    strstr(line, "runtime error:")) {
			printf("#   %s", line);
			found = true;
		}
	if (f)
		fclose(f);
	return found;
}

static void report(const struct world *w)
{
	const struct stats *s = &w->st;
	unsigned int i, kills = 0;

	for (i = 0; i < K_NR; i++)
		kills += s->kills[i];
	printf("# crash: %u trials, %u kill points (", s->trials, kills);
	for (i = 0; i < K_NR; i++)
		printf("%s%s %u", i ? ", " : "", kill_names[i], s->kills[i]);
	printf(")\n");
	printf("# crash: crash points fired %u (during start-up %u); killed with a job running %u, "
	       "mid-snapshot %u, mid-journal-restart %u; kills with requests in flight %u\n",
	       s->crashpoint_fired, s->startup_crashes, s->in_job, s->mid_snapshot,
	       s->mid_journal_restart, s->with_inflight);
	printf("# crash: requests acknowledged %lu, refused %lu, in flight at a kill %lu "
	       "(found applied after restart %lu)\n", s->acked, s->refused, s->inflight,
	       s->inflight_applied);
	printf("# crash: refusals:");
	for (i = 0; i < ARRAY_SIZE(s->refusals) && s->refusals[i].name[0]; i++)
		printf(" %s %lu", s->refusals[i].name, s->refusals[i].n);
	printf("\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "daemon", required_argument, NULL, 'd' }, { "address", required_argument, NULL, 'a' },
		{ "workdir", required_argument, NULL, 'w' }, { "trials", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' }, { "shim", required_argument, NULL, 'p' },
		{ "replay", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	static struct world w;
	unsigned int seed = (unsigned int)getpid(), trials = 8;
	char crash_at[64], ref_log[700];
	const char *replay_file = NULL;
	int c, t, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': w.daemon_path = optarg; break;
		case 'a': w.address = optarg; break;
		case 'w': w.workdir = optarg; break;
		case 't': trials = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 's': seed = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'p': w.shim = optarg; break;
		case 'r': replay_file = optarg; break;
		default: return 2;
		}
	}
	if (replay_file && w.workdir) {
		snprintf(w.ref_dir, sizeof(w.ref_dir), "%s/ref", w.workdir);
		mkdir(w.ref_dir, 0700);
		return replay(&w, replay_file);
	}
	if (!w.daemon_path || !w.address || !w.workdir) {
		fprintf(stderr, "usage: crash-driver --daemon PATH --address ADDR --workdir DIR [--trials N] [--seed S] [--shim SO]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* the reference logs like the daemon: keep that out of the TAP stream */
	snprintf(ref_log, sizeof(ref_log), "%s/reference.log", w.workdir);
	if (!freopen(ref_log, "a", stderr))
		return 1;
	srandom(seed);
	printf("# seed %u (CRASH_SEED=%u reproduces this run)\n", seed, seed);
	r = setup(&w);
	if (r < 0) {
		printf("Bail out! setup: %s\n", strerror(-r));
		return 1;
	}
	for (t = 0; t <= (int)trials; t++) {
		bool last = t == (int)trials;

		if (!last)
			choose_mode(&w, crash_at, sizeof(crash_at));
		r = start_daemon(&w, last || w.mode != K_CRASHPOINT ? NULL : crash_at);
		if (r == -ECHILD && w.mode == K_CRASHPOINT && !last &&
		    WIFSIGNALED(w.dmn.status) && WTERMSIG(w.dmn.status) == SIGKILL) {
			/* the crash point fired while the daemon recovered: recover again */
			w.st.startup_crashes++;
			w.st.crashpoint_fired++;
			w.st.kills[K_CRASHPOINT]++;
			w.st.trials++;
			continue;
		}
		if (!ok(r == 0, "trial %d: the daemon restarts on the state directory (%s, status 0x%x)",
			t, r == 0 ? "READY=1" : strerror(-r), w.dmn.status)) {
			log_tail(&w);
			break;
		}
		if (!check_recovery(&w, t)) {
			/* the reference no longer describes the daemon: later trials would only echo */
			printf("# stopping after the first mismatch (CRASH_SEED=%u replays it)\n", seed);
			break;
		}
		if (last)
			break;
		w.bad_replies = 0;
		workload(&w, t);
		w.st.trials++;
		w.st.kills[w.mode]++;
		ok(w.bad_replies == 0, "trial %d (%s%s%s): every reply was expected and every acknowledged request applies to the reference",
		   t, kill_names[w.mode], crash_at[0] && w.mode == K_CRASHPOINT ? " " : "",
		   w.mode == K_CRASHPOINT ? crash_at : "");
	}
	/* a clean stop at the end: everything answered, exit 0 */
	if (w.dmn.pid) {
		int status = rel_daemon_stop(&w.dmn, SIGTERM);

		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   "the daemon stops cleanly at the end (status 0x%x)", status);
	}
	ok(!sanitizer_report(w.log), "no sanitizer report in the daemon's log");
	report(&w);
	for (t = 0; t < NR_CLIENTS; t++)
		sd_bus_flush_close_unref(w.cl[t].bus);
	if (w.history)
		fclose(w.history);
	ref_close(&w);
	return tap_done();
}
