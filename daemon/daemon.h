/* SPDX-License-Identifier: MIT */
/*
 * pmm-hotplugd: the one context struct and the interfaces between the daemon's files.
 *
 * A request travels one way: manager.c reads and validates it, backend-sim.c applies it to the
 * model (libmm), journal.c makes it durable, objects.c announces what changed, and the handler
 * replies. Everything runs on the libevent thread (loop.c); the model is touched only there.
 */
#ifndef PMM_DAEMON_H
#define PMM_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "mm.h"

struct event_base;
struct event;
struct json_object;

/* ------------------------------------------------------------------ helpers */

#define _cleanup_(f) __attribute__((cleanup(f)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

/* Largest NUMA node id the daemon accepts (x86_64 NODES_SHIFT 10: MAX_NUMNODES 1024). */
#define PMM_MAX_NUMNODES 1024

__attribute__((format(printf, 1, 2)))
void pmm_log_info(const char *fmt, ...);
__attribute__((format(printf, 1, 2)))
void pmm_log_warn(const char *fmt, ...);
__attribute__((format(printf, 1, 2)))
void pmm_log_err(const char *fmt, ...);

/* ------------------------------------------------------------------ config */

enum pmm_backend_kind {
	PMM_BACKEND_SIM,
	PMM_BACKEND_KERNEL,
};
const char *pmm_backend_name(enum pmm_backend_kind b);

struct pmm_region {
	uint64_t start, size;
};

struct pmm_boot_range {
	uint64_t start, size;
	int nid;
};

#define PMM_NS_NAME_MAX 64

struct pmm_ns_config {
	char name[PMM_NS_NAME_MAX];
	uint64_t start, size;
	int numa_node;
};

/*
 * The auto-online policy: auto_online_blocks (an online type) plus the zone policy used when
 * that type is "online" (memory_hotplug.online_policy / auto_movable_ratio). The bus spells the
 * pair as one word: "auto-movable" is online + MM_POLICY_AUTO_MOVABLE.
 */
struct pmm_policy {
	enum mm_online_type online_type;
	enum mm_online_policy zone_policy;
	unsigned int ratio;
};

/* "offline" "online" "online_kernel" "online_movable" "auto-movable" */
const char *pmm_policy_name(const struct pmm_policy *p);
int pmm_policy_parse(const char *s, struct pmm_policy *p);
/* The online type a request without an explicit one gets (memory_subsys_online: offline → online). */
enum mm_online_type pmm_policy_online_type(const struct pmm_policy *p);

/*
 * The daemon's configuration after the embedded default, the file and the command line were
 * merged and validated (config.c). Arrays are owned; invariants checked by pmm_config_load():
 * boot ranges and managed regions are page aligned, inside MAX_PHYSMEM_BITS and disjoint.
 */
struct pmm_config {
	enum pmm_backend_kind backend;
	const struct mm_arch *arch;
	enum mm_memory_model model;
	uint64_t block_size;             /* resolved: never 0 after loading */
	struct pmm_boot_range *boot;
	size_t nr_boot;
	struct pmm_region *regions;
	size_t nr_regions;
	struct pmm_ns_config *namespaces;
	size_t nr_namespaces;
	struct pmm_policy policy;
	char *state_dir;
	char *sysfs_root;
	char *source;                    /* the file read, or "embedded default" */
	long admin_gid;                  /* admin_group: may also call mutating methods; -1 none */
};

/* Command-line values that override the configuration (NULL: not given). */
struct pmm_cmdline {
	const char *config;
	const char *address;
	bool user_bus;
	const char *backend;
	const char *state_dir;
	const char *sysfs_root;
};

/*
 * Build the configuration: embedded default, then the file (cmd->config, or the default path
 * if it exists), then the command line. On error, *errmsg (malloc'd) names the key and why.
 */
int pmm_config_load(const struct pmm_cmdline *cmd, struct pmm_config *cfg, char **errmsg);
/* Parse a configuration text (for tests): text over the embedded default. */
int pmm_config_parse_text(const char *text, const char *source, struct pmm_config *cfg,
			  char **errmsg);
void pmm_config_free(struct pmm_config *cfg);
/* The region holding [start, start+size), or NULL. */
const struct pmm_region *pmm_config_region_for(const struct pmm_config *cfg, uint64_t start,
					       uint64_t size);
/* Does [start, start+size) touch a managed region at all? (Block.Managed) */
bool pmm_config_in_region(const struct pmm_config *cfg, uint64_t start, uint64_t size);

/* ------------------------------------------------------------------ errors */

/*
 * errors.c: the one table from (errno, mm_cause) to the contract's D-Bus error names.
 * pmm_bus_error() fills *e with the mapped name and a formatted message and returns a negative
 * errno suitable as a handler's return value.
 */
const char *pmm_error_name(int err, enum mm_cause cause);
__attribute__((format(printf, 4, 5)))
int pmm_bus_error(sd_bus_error *e, int err, enum mm_cause cause, const char *fmt, ...);
/* Map libmm's last failure (err from the call) with mm_last_error() as the message. */
int pmm_bus_error_mm(sd_bus_error *e, const struct mm_model *mm, int err);
/* Register the error names with sd-bus so sd_bus_error_setf() returns a meaningful errno. */
int pmm_errors_register(void);

/* ---------------------------------------------------------------- operations */

/*
 * One primitive change of the model. A bus request becomes one or more operations; the journal
 * stores operations and replay re-applies them through the same pmm_backend_apply(), so a
 * replayed model equals the live one. Online operations are journaled with an explicit
 * online_kernel/online_movable type so the zone choice does not depend on the policy at replay.
 */
enum pmm_op_kind {
	PMM_OP_ADD_MEMORY,
	PMM_OP_REMOVE_MEMORY,
	PMM_OP_ONLINE,
	PMM_OP_OFFLINE,
	PMM_OP_GET_PAGES,
	PMM_OP_PUT_PAGES,
	PMM_OP_SET_POLICY,
	PMM_OP_ADD_DEVICE,
	PMM_OP_ADD_NAMESPACE,
	PMM_OP_NR,
};

struct pmm_op {
	enum pmm_op_kind kind;
	uint64_t start, size;            /* bytes; pages ops: pfn and count */
	int nid;
	unsigned int mhp_flags;          /* add-memory */
	enum mm_online_type online_type; /* online */
	struct pmm_policy policy;        /* set-policy */
	/* add-device / add-namespace */
	enum mm_pgmap_type pgmap_type;
	bool map_dev;
	uint64_t align;
	char ns_name[PMM_NS_NAME_MAX];
	/* add ops: the range created (its bus id), filled by pmm_backend_apply() */
	uint64_t range_id;
	bool impose_range_id;            /* snapshot restore: range_id is given, not assigned */
	unsigned int times;              /* get-pages from a snapshot: repeat (0 = once) */
};

const char *pmm_op_name(enum pmm_op_kind k);   /* "add-memory", ... (journal spelling) */
int pmm_op_parse_name(const char *s, enum pmm_op_kind *k);

/* ------------------------------------------------------------------ journal */

/*
 * journal.c: append-only, one JSON record per line, each with its sequence number and CRC32.
 * Record 0 is the header (magic, version, model identity). Records are buffered by
 * pmm_journal_append() and made durable (write + fdatasync) by pmm_journal_commit().
 */
struct pmm_journal {
	char *path;
	int fd;
	int dir_fd;
	uint64_t next_seq;
	uint64_t size;           /* bytes on disk, all durable */
	/*
	 * The records of the request being made, not yet written: operations until
	 * pmm_journal_write() frames them (every record but a request's last carries "more", so
	 * replay applies a request whole or, if the file ends inside it, not at all).
	 */
	struct pmm_op *pend;
	size_t nr_pend, cap_pend;
	char *buf;               /* their text, built by pmm_journal_write() */
	size_t buf_len, buf_cap;
	uint64_t nr_records;     /* operation records in the file (for snapshot decisions) */
	/*
	 * Disk space preallocated past the end (fallocate KEEP_SIZE): [size, reserved) is
	 * allocated, so writing records there cannot fail with ENOSPC. Invariant: reserved is 0
	 * or >= size; no_reserve: the file system cannot preallocate (fail-stop remains).
	 */
	uint64_t reserved;
	bool no_reserve;
};

/*
 * Restore the state of cfg->state_dir into d->mm: the snapshot (if any), then the journal
 * records after it; creates the journal when absent and leaves it open for appending.
 */
struct pmm_daemon;
int pmm_journal_open(struct pmm_daemon *d, char **errmsg);
/* Start the journal afresh after record base (a snapshot's seq): header only. */
int pmm_journal_restart(struct pmm_daemon *d, uint64_t base);
/*
 * Make sure the records of one more request will fit on disk before the request changes
 * anything: -ENOSPC (or -EDQUOT, -EIO) when the space cannot be reserved, so a full disk
 * refuses the request instead of failing its journal write after the model changed.
 */
int pmm_journal_reserve(struct pmm_journal *j);
int pmm_journal_append(struct pmm_journal *j, const struct pmm_op *op);
int pmm_journal_commit(struct pmm_journal *j);
/* Write the buffered records without fdatasync (group commit syncs); *last: the last seq. */
int pmm_journal_write(struct pmm_journal *j, uint64_t *last);
/* Buffer the records of a successful online: explicit online_kernel/online_movable runs. */
struct pmm_daemon;
int pmm_journal_online(struct pmm_daemon *d, uint64_t start, uint64_t size,
		       enum mm_online_type type);
/* Drop the buffered, uncommitted records (the request failed). */
void pmm_journal_discard(struct pmm_journal *j);
void pmm_journal_close(struct pmm_journal *j);
uint32_t pmm_crc32(uint32_t crc, const void *buf, size_t len);
/*
 * Record files (journal, snapshot): lines "<crc32 as 8 hex digits> <JSON>\n", the JSON
 * carrying "seq", consecutive from the first record (the header). The checked reader
 * refuses a bad CRC, a broken sequence or a truncated tail, naming file, record and offset.
 */
struct pmm_records;
int pmm_records_open(const char *what, const char *path, FILE *f, char **errmsg,
		     struct pmm_records **out);
int pmm_records_next(struct pmm_records *rd, struct json_object **rec);
__attribute__((format(printf, 2, 3)))
int pmm_records_fail(struct pmm_records *rd, const char *fmt, ...);
uint64_t pmm_records_seq(const struct pmm_records *rd);
int pmm_records_apply(struct pmm_records *rd, struct pmm_daemon *d, struct json_object *o,
		      bool impose_range_ids);
void pmm_records_close(struct pmm_records *rd);
int pmm_records_put(char **buf, size_t *len, size_t *cap, struct json_object *rec, uint64_t seq);
/* The model's identity in a header (magic, version, arch, model, block size, boot memory). */
struct json_object *pmm_identity_json(const struct pmm_config *cfg, const char *magic);
int pmm_identity_check(struct json_object *h, const struct pmm_config *cfg, const char *magic,
		       char *why, size_t len);
int pmm_write_file_atomic(int dir_fd, const char *name, const char *buf, size_t len);

/*
 * snapshot.c: the whole state as the operations that rebuild it (ranges with their bus ids,
 * online blocks with explicit zones, page references, policy), written atomically, after
 * which the journal restarts empty. Load restores it; *seq is the journal record it covers.
 */
int pmm_snapshot_write(struct pmm_daemon *d);
int pmm_snapshot_load(struct pmm_daemon *d, int dir_fd, uint64_t *seq, char **errmsg);

/* Encode / decode one operation as the JSON payload of a record (exposed for tests). */
struct json_object *pmm_op_to_json(const struct pmm_op *op);
int pmm_op_from_json(struct json_object *o, struct pmm_op *op, char *why, size_t len);

/* ------------------------------------------------------------------ backend */

/*
 * Range ids on the bus are the daemon's. libmm numbers its ranges in creation order, which a
 * snapshot restore cannot reproduce, and a large add is made in several libmm calls (so the
 * bus stays responsive), so one bus range ("pub") is one or more libmm ranges ("pieces").
 * Invariants: one entry per live libmm range; the pieces of a bus range are contiguous;
 * next_pub > every pub ever given; a pub is never reused.
 */
struct pmm_range_id {
	uint64_t pub, mm;
	uint64_t start, end;     /* the piece's extent after the last sync */
};

struct pmm_range_ids {
	struct pmm_range_id *v;
	size_t n, cap;
	uint64_t next_pub;
};

uint64_t pmm_range_pub(const struct pmm_daemon *d, uint64_t mm_id);   /* 0: unknown */
uint64_t pmm_range_mm(const struct pmm_daemon *d, uint64_t pub);      /* first piece; 0: none */
/* A bus range: its pieces summed, id = the bus id; -ENOENT if none. */
int pmm_range_info(const struct pmm_daemon *d, uint64_t pub, struct mm_range_info *out);
int pmm_for_each_range(const struct pmm_daemon *d,
		       int (*fn)(const struct mm_range_info *r, void *arg), void *arg);
/*
 * After an operation: drop vanished pieces, attribute new ones (an add's to add_pub, or a
 * fresh id when 0; a split tail to its range), cut ranges at gaps. *created: the add's id.
 */
int pmm_range_ids_sync(struct pmm_daemon *d, bool adding, uint64_t add_pub, uint64_t *created);
void pmm_range_ids_free(struct pmm_range_ids *ids);
/* Ids from PMM_PUB_TEMP up name ranges a job is building: hidden, published at completion. */
#define PMM_PUB_TEMP (UINT64_C(1) << 62)
uint64_t pmm_range_ids_publish(struct pmm_daemon *d, uint64_t temp);

/*
 * Extra page references the daemon took (GetPages minus PutPages), as sorted disjoint runs
 * of pfns with the same count; the snapshot records them. Invariant: refs > 0 in every run,
 * runs sorted by pfn and not overlapping.
 */
struct pmm_ref_run {
	uint64_t pfn, count;
	uint64_t refs;
};

struct pmm_refs {
	struct pmm_ref_run *v;
	size_t n, cap;
};

int pmm_refs_add(struct pmm_refs *refs, uint64_t pfn, uint64_t count, int delta);
void pmm_refs_free(struct pmm_refs *refs);

/* A namespace as the daemon runs it: the configured one plus its use. */
struct pmm_namespace {
	struct pmm_ns_config cfg;
	char *backing;           /* sparse file in the state dir */
	int fd;                  /* open on it (sim: the model maps map=dev memmaps from it); -1 */
	uint64_t range_id;       /* bus id of its range; 0: not in use */
	enum mm_pgmap_type type; /* valid when in use */
	bool map_dev;
	uint64_t align;
};

/* backend-sim.c: build the model from the configuration (boot memory, zones, namespaces). */
int pmm_sim_init(struct pmm_daemon *d, char **errmsg);
/*
 * Apply one operation to the model (live request or replay). Fills op->range_id for adds. On
 * failure returns the negative errno with d->why and d->cause saying why (libmm's reason, or the
 * backend's own).
 */
int pmm_backend_apply(struct pmm_daemon *d, struct pmm_op *op);
/* The pgmap of an add-device operation (map=dev: memmap carved from the range's start). */
void pmm_device_params(const struct mm_model *mm, const struct pmm_op *op,
		       struct mm_pgmap_params *p);
/*
 * A long operation cut into steps so the worker can release the model between them (reads
 * stay answered, progress is visible): add-memory, online and offline go a chunk of blocks at
 * a time; the others are one step. A failed step undoes the steps before it, so a work either
 * completes or leaves the model as it found it. Replay and inline requests run the same steps
 * back to back (pmm_backend_apply), so every path cuts the same way.
 */
struct pmm_work {
	struct pmm_op op;
	uint64_t done, total;          /* bytes (1 for single-step work) */
	uint64_t chunk;
	uint64_t pub;                  /* add: the bus id of the range being built */
	enum mm_online_type *prev;     /* offline: each block's type before, for the undo */
};

bool pmm_op_stepped(enum pmm_op_kind k);
int pmm_work_begin(struct pmm_daemon *d, struct pmm_work *w, const struct pmm_op *op);
int pmm_work_step(struct pmm_daemon *d, struct pmm_work *w);
void pmm_work_abort(struct pmm_daemon *d, struct pmm_work *w);
void pmm_work_end(struct pmm_work *w);

struct pmm_namespace *pmm_namespace_find(struct pmm_daemon *d, const char *name);
struct pmm_namespace *pmm_namespace_for_range(struct pmm_daemon *d, uint64_t range_id);

/* ------------------------------------------------------------------ JSON */

/* describe.c: the server owns the JSON. Return malloc'd strings or NULL on ENOMEM. */
char *pmm_describe_status(struct pmm_daemon *d);
/* kind: blocks|ranges|sections|namespaces; -EINVAL for another kind. */
int pmm_describe_list(struct pmm_daemon *d, const char *kind, char **out);
/* "0xffffffffffffffff": the subsection bitmap of a section. */
void pmm_format_subsections(const uint64_t map[4], uint64_t nr_bits, char *buf, size_t len);
/* valid_zones string ("Movable Normal", "none") → array of zone names */
struct json_object *pmm_valid_zones_json(const char *valid_zones);
const char *pmm_range_kind(const struct mm_range_info *r);
const char *pmm_range_type(const struct mm_range_info *r);
const char *pmm_range_map(const struct mm_range_info *r);
const char *pmm_block_zone(const struct mm_block_info *b);
const char *pmm_memmap_location_name(enum mm_memmap_location l);

/* ------------------------------------------------------------------ objects */

/* objects.c: block, range and namespace objects, ObjectManager, change signals. */
int pmm_objects_register(struct pmm_daemon *d);
int pmm_block_path(uint64_t id, char **out);
int pmm_range_path(uint64_t id, char **out);
int pmm_namespace_path(const char *name, char **out);

/*
 * The signals a request causes, collected when it acts and sent with its reply (after its
 * records are durable). Added objects are announced with their properties at sending time.
 */
enum pmm_sig_kind { PMM_SIG_ADDED, PMM_SIG_REMOVED, PMM_SIG_CHANGED };
enum pmm_sig_obj { PMM_SIG_BLOCKS, PMM_SIG_RANGE, PMM_SIG_NAMESPACE, PMM_SIG_COUNTERS,
		   PMM_SIG_POLICY };

struct pmm_sig {
	enum pmm_sig_kind kind;
	enum pmm_sig_obj obj;
	uint64_t a, b;           /* blocks: start, size; range: bus id; namespace: index */
};

struct pmm_signals {
	struct pmm_sig *v;
	size_t n, cap;
};

void pmm_sig_add(struct pmm_signals *s, enum pmm_sig_kind kind, enum pmm_sig_obj obj,
		 uint64_t a, uint64_t b);
void pmm_signals_emit(struct pmm_daemon *d, const struct pmm_signals *s);
void pmm_signals_free(struct pmm_signals *s);

/*
 * The bus ranges at one instant (by bus id). Taken before an operation and compared after it,
 * they say which range objects appeared, disappeared or changed (start, size, references).
 */
struct pmm_range_set {
	struct mm_range_info *v;
	size_t n, cap;
};

void pmm_range_set_take(struct pmm_daemon *d, struct pmm_range_set *s);
void pmm_range_set_free(struct pmm_range_set *s);
void pmm_range_set_diff(struct pmm_daemon *d, const struct pmm_range_set *before,
			struct pmm_signals *sigs);

/*
 * commit.c: group commit. pmm_request_finish() ends every mutating request: it writes the
 * request's journal records and sends reply and signals once a shared fdatasync covered them
 * (ownership of reply and sigs passes). Returns 1, or a negative errno with *error set.
 */
struct pmm_committer;
int pmm_commit_start(struct pmm_daemon *d);
void pmm_commit_stop(struct pmm_daemon *d);
uint64_t pmm_commit_nr_syncs(struct pmm_daemon *d);
int pmm_request_finish(struct pmm_daemon *d, sd_bus_message *call, sd_bus_message *reply,
		       struct pmm_signals *sigs, sd_bus_error *error);

/*
 * jobs.c: work of more than one step runs in a worker thread. The model lock serialises the
 * loop thread (one bus message, one completion at a time) and the worker (one step at a time).
 */
struct pmm_jobs;
/*
 * A FIFO (ticket) lock: the worker releases it after every step and asks again at once; an
 * unfair mutex would let it win every time and starve the bus. Invariant: serving <= next.
 */
struct pmm_model_lock {
	pthread_mutex_t m;
	pthread_cond_t c;
	uint64_t next, serving;
};
void pmm_model_lock_init(struct pmm_daemon *d);
void pmm_model_lock_destroy(struct pmm_daemon *d);
void pmm_model_lock(struct pmm_daemon *d);
void pmm_model_unlock(struct pmm_daemon *d);
int pmm_jobs_start(struct pmm_daemon *d);
void pmm_jobs_stop(struct pmm_daemon *d);
bool pmm_jobs_wanted(struct pmm_daemon *d, const struct pmm_op *op);
int pmm_jobs_submit(struct pmm_daemon *d, sd_bus_message *m, const struct pmm_op *op,
		    const struct pmm_op *auto_online);
bool pmm_jobs_busy(struct pmm_daemon *d, uint64_t start, uint64_t size, char *why, size_t len);
bool pmm_jobs_idle(struct pmm_daemon *d);

/* manager.c */
int pmm_manager_register(struct pmm_daemon *d);

/* ------------------------------------------------------------------ loop */

/*
 * loop.c: sd-bus on libevent. One event on the bus fd with the bus's events and absolute
 * timeout; its callback drains sd_bus_process() and re-arms. pmm_loop_rearm() must follow any
 * send made outside that callback.
 */
struct pmm_loop {
	struct event_base *base;
	struct event *bus_ev;
	int signal_fd;                   /* SIGTERM and SIGINT, blocked in every thread */
	struct event *signal_ev;
	sd_bus *bus;
	bool armed;
	/* what bus_ev waits for now: a re-arm that changes nothing touches no epoll state */
	int armed_fd;
	short armed_flags;
	uint64_t armed_until;            /* sd-bus's absolute timeout, UINT64_MAX: none */
};

int pmm_loop_init(struct pmm_daemon *d);
int pmm_loop_rearm(struct pmm_daemon *d);
int pmm_loop_run(struct pmm_daemon *d);
void pmm_loop_fini(struct pmm_daemon *d);

/*
 * worker.c: a thread beside the loop (the syncer of commit.c, the job worker of jobs.c). Its
 * owner's shared state is under lock, the thread sleeps on cond, and it tells the loop through
 * an eventfd: pmm_worker_wake() from the thread makes wake(d) run on the loop thread.
 * Invariant: stop only goes false -> true (under lock); once set, the thread leaves its loop
 * and pmm_worker_stop() returns after it has ended.
 */
struct pmm_worker {
	pthread_t thread;
	bool started;
	bool stop;                       /* under lock */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int efd;                         /* thread -> loop */
	struct event *ev;
	void (*wake)(struct pmm_daemon *d);
	struct pmm_daemon *d;
};

int pmm_worker_init(struct pmm_worker *w, struct pmm_daemon *d, void (*wake)(struct pmm_daemon *d));
int pmm_worker_run(struct pmm_worker *w, void *(*fn)(void *), void *arg);
void pmm_worker_wake(struct pmm_worker *w);
bool pmm_worker_stopping(struct pmm_worker *w);
void pmm_worker_stop(struct pmm_worker *w);
void pmm_worker_fini(struct pmm_worker *w);

/* ------------------------------------------------------------------ context */

struct pmm_daemon {
	struct pmm_config cfg;
	struct mm_model *mm;
	sd_bus *bus;
	struct pmm_loop loop;
	struct pmm_journal journal;
	struct pmm_policy policy;       /* effective: config, then SetOnlinePolicy records */
	struct pmm_namespace *ns;
	size_t nr_ns;
	struct pmm_range_ids rids;
	struct pmm_refs refs;
	struct pmm_committer *committer;
	struct pmm_jobs *jobs;
	struct pmm_model_lock model_lock;
	struct pmm_kernel *kernel;      /* backend-kernel.c: sysfs, udev, ndctl (NULL: sim) */
	struct mm_stats announced;      /* counters as last sent in PropertiesChanged */
	/* euid of recent callers by unique name (never reused on a bus: entries cannot go stale) */
	struct {
		char name[48];
		uid_t euid;
		bool admin;             /* euid 0, or a member of the admin group */
	} creds[64];
	unsigned int creds_next;
	int lock_fd;                    /* flock on the state dir */
	uint64_t snapshot_every;        /* snapshot after this many journal records (0: never) */
	uint64_t chunk_bytes;           /* stepped work: bytes per step (rounded to blocks) */
	unsigned int step_delay_us;     /* tests: pause after each job step (PMM_JOB_STEP_DELAY_US) */
	char why[256];                  /* the last pmm_backend_apply() failure, in one sentence */
	enum mm_cause cause;            /* ... and its classification (errors.c maps it) */
	bool replaying;                 /* journal replay: no signals, no journaling */
	bool failed;                    /* fail-stop after a journal write error */
	int exit_code;
};

#endif
