/* SPDX-License-Identifier: MIT */
/*
 * The journal: records round-trip, replay rebuilds exactly the state that was committed, and
 * every kind of damage (bad CRC, truncated tail, wrong sequence, foreign configuration, a
 * record that cannot replay) stops the start-up with a message naming the file and record.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "../tap.h"
#include "daemon/daemon.h"

#define G (UINT64_C(1) << 30)
#define M (UINT64_C(1) << 20)

static char state_dir[] = "/tmp/pmm-test-journal-XXXXXX";

static void test_crc(void)
{
	is(pmm_crc32(0, "123456789", 9), 0xCBF43926u, "CRC-32 check value of \"123456789\"");
	is(pmm_crc32(0, "", 0), 0, "CRC-32 of nothing");
	/* incremental = one shot */
	is(pmm_crc32(pmm_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u, "CRC-32 incremental");
}

static void roundtrip(const struct pmm_op *op)
{
	json_object *o = pmm_op_to_json(op);
	struct pmm_op back;
	char why[128] = "";
	int r;

	r = o ? pmm_op_from_json(o, &back, why, sizeof(why)) : -ENOMEM;
	ok(r == 0 && back.kind == op->kind && back.start == op->start && back.size == op->size &&
	   back.nid == op->nid && back.mhp_flags == op->mhp_flags &&
	   back.online_type == op->online_type && back.range_id == op->range_id &&
	   back.pgmap_type == op->pgmap_type && back.map_dev == op->map_dev &&
	   back.align == op->align && !strcmp(back.ns_name, op->ns_name) &&
	   (op->kind != PMM_OP_SET_POLICY || !memcmp(&back.policy, &op->policy, sizeof(op->policy))),
	   "%s record round-trips %s", pmm_op_name(op->kind), why);
	json_object_put(o);
}

static void test_records(void)
{
	struct pmm_op ops[] = {
		{ .kind = PMM_OP_ADD_MEMORY, .start = 8 * G, .size = G, .nid = 1,
		  .mhp_flags = MHP_MEMMAP_ON_MEMORY, .range_id = 7 },
		{ .kind = PMM_OP_REMOVE_MEMORY, .start = 8 * G, .size = 128 * M },
		{ .kind = PMM_OP_ONLINE, .start = 8 * G, .size = G, .online_type = MMOP_ONLINE_MOVABLE },
		{ .kind = PMM_OP_OFFLINE, .start = 9 * G, .size = G },
		{ .kind = PMM_OP_GET_PAGES, .start = 0x200000, .size = 10 },
		{ .kind = PMM_OP_PUT_PAGES, .start = 0x200000, .size = 3 },
		{ .kind = PMM_OP_SET_POLICY, .policy = { MMOP_ONLINE, MM_POLICY_AUTO_MOVABLE, 150 } },
		{ .kind = PMM_OP_ADD_DEVICE, .start = 20 * G, .size = 2 * G, .nid = 0,
		  .pgmap_type = MEMORY_DEVICE_FS_DAX, .map_dev = true, .align = 2 * M, .range_id = 3 },
		{ .kind = PMM_OP_ADD_NAMESPACE, .ns_name = "namespace0.0",
		  .pgmap_type = MEMORY_DEVICE_GENERIC, .map_dev = false, .align = 2 * M, .range_id = 4 },
	};
	json_object *o;
	struct pmm_op back;
	char why[128];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		roundtrip(&ops[i]);
	o = json_tokener_parse("{\"op\":\"online\",\"start\":1,\"size\":2,\"type\":\"offline\"}");
	ok(pmm_op_from_json(o, &back, why, sizeof(why)) < 0, "online record with type offline refused: %s", why);
	json_object_put(o);
	o = json_tokener_parse("{\"op\":\"explode\"}");
	ok(pmm_op_from_json(o, &back, why, sizeof(why)) < 0 && strstr(why, "explode"),
	   "unknown operation refused: %s", why);
	json_object_put(o);
	o = json_tokener_parse("{\"op\":\"add-memory\",\"start\":-1,\"size\":2,\"node\":0,\"flags\":0,\"range\":1}");
	ok(pmm_op_from_json(o, &back, why, sizeof(why)) < 0 && strstr(why, "start"),
	   "negative start refused: %s", why);
	json_object_put(o);
}

/* ---------------------------------------------------------------- replay */

static int daemon_open(struct pmm_daemon *d, const char *extra, char **err)
{
	char text[512];
	int r;

	memset(d, 0, sizeof(*d));
	d->snapshot_every = 0;
	d->journal.fd = -1;
	d->journal.dir_fd = -1;
	d->lock_fd = -1;
	snprintf(text, sizeof(text), "{\"state_dir\": \"%s\"%s%s}", state_dir, extra ? ", " : "",
		 extra ? extra : "");
	r = pmm_config_parse_text(text, "test", &d->cfg, err);
	if (r < 0)
		return r;
	r = pmm_sim_init(d, err);
	if (r < 0)
		return r;
	return pmm_journal_open(d, err);
}

static void daemon_close(struct pmm_daemon *d)
{
	size_t i;

	pmm_journal_close(&d->journal);
	for (i = 0; i < d->nr_ns; i++) {
		free(d->ns[i].backing);
		if (d->ns[i].fd >= 0)
			close(d->ns[i].fd);
	}
	free(d->ns);
	pmm_range_ids_free(&d->rids);
	pmm_refs_free(&d->refs);
	if (d->mm)
		mm_model_destroy(d->mm);
	pmm_config_free(&d->cfg);
}

/* Apply + journal + commit, the way a handler does. */
static int request(struct pmm_daemon *d, struct pmm_op op)
{
	int r = pmm_backend_apply(d, &op);

	if (r < 0) {
		printf("# %s failed: %s\n", pmm_op_name(op.kind), d->why);
		return r;
	}
	r = pmm_journal_append(&d->journal, &op);
	return r < 0 ? r : pmm_journal_commit(&d->journal);
}

struct digest {
	struct mm_stats st;
	uint64_t blocks;          /* sum over blocks of (id * 7 + state * 3 + zone) */
	uint64_t ranges;
	struct pmm_policy policy;
	int refcount;             /* of the first pfn of the hot-added range */
	int dev_refcount;         /* of a device page (snapshot test), -1 if none */
};

static int digest_block(const struct mm_block_info *b, void *arg)
{
	struct digest *g = arg;

	g->blocks += b->id * 7 + (uint64_t)b->state * 3 + (uint64_t)(b->zone + 1);
	return 0;
}

struct digest_ctx {
	struct pmm_daemon *d;
	struct digest *g;
};

/* by bus id: libmm's own ids may differ after a snapshot restore, the bus ids must not */
static int digest_range(const struct mm_range_info *r, void *arg)
{
	struct digest_ctx *c = arg;

	c->g->ranges += pmm_range_pub(c->d, r->id) * 1000003u + r->start / M + r->size / M;
	return 0;
}

static void take_digest(struct pmm_daemon *d, struct digest *g)
{
	struct mm_pfn_info info;

	memset(g, 0, sizeof(*g));
	mm_get_stats(d->mm, &g->st);
	mm_for_each_memory_block(d->mm, digest_block, g);
	mm_for_each_range(d->mm, digest_range, &(struct digest_ctx){ d, g });
	g->policy = d->policy;
	g->refcount = mm_lookup_pfn(d->mm, (8 * G) >> 12, &info) == 0 ? info.refcount : -1;
	g->dev_refcount = mm_lookup_pfn(d->mm, ((20 * G) >> 12) + 100, &info) == 0 ? info.refcount : -1;
}

static char journal_path[4200];

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CREAT, 0600);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		printf("# cannot write %s\n", path);
	if (fd >= 0)
		close(fd);
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;

	*len = 0;
	if (!f)
		return NULL;
	buf = malloc(1 << 20);
	if (buf)
		*len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	if (buf)
		buf[*len] = '\0';
	return buf;
}

/* Restart on a damaged copy of the journal: must fail, naming the file, record and reason. */
static void damaged(const char *what, const char *data, size_t len, const char *extra,
		    const char *want_record, const char *want_why)
{
	struct pmm_daemon d;
	char *err = NULL;
	int r;

	write_file(journal_path, data, len);
	r = daemon_open(&d, extra, &err);
	ok(r < 0 && err && strstr(err, journal_path) && strstr(err, want_record) &&
	   strstr(err, want_why), "%s is refused: %s", what, err ? err : "(accepted)");
	free(err);
	daemon_close(&d);
}

static void test_replay(void)
{
	struct pmm_daemon d;
	struct digest before, after;
	char *err = NULL, *orig, *copy, *p;
	int idle_refcount;
	size_t len, i;
	int r;

	if (!mkdtemp(state_dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(journal_path, sizeof(journal_path), "%s/journal", state_dir);
	r = daemon_open(&d, NULL, &err);
	is(r, 0, "a new state dir gets a journal (%s)", err ? err : "ok");
	free(err);
	err = NULL;
	if (r) {
		daemon_close(&d);
		return;
	}
	is(d.journal.next_seq, 1, "the new journal holds only its header");

	r = request(&d, (struct pmm_op){ .kind = PMM_OP_ADD_MEMORY, .start = 8 * G, .size = G });
	r |= request(&d, (struct pmm_op){ .kind = PMM_OP_ONLINE, .start = 8 * G, .size = 512 * M,
					  .online_type = MMOP_ONLINE_MOVABLE });
	take_digest(&d, &before);
	idle_refcount = before.refcount;
	r |= request(&d, (struct pmm_op){ .kind = PMM_OP_GET_PAGES, .start = (8 * G) >> 12, .size = 4 });
	r |= request(&d, (struct pmm_op){ .kind = PMM_OP_SET_POLICY,
					  .policy = { MMOP_ONLINE_KERNEL, MM_POLICY_CONTIG_ZONES, 250 } });
	r |= request(&d, (struct pmm_op){ .kind = PMM_OP_ADD_MEMORY, .start = 16 * G, .size = 2 * G });
	r |= request(&d, (struct pmm_op){ .kind = PMM_OP_REMOVE_MEMORY, .start = 16 * G + 512 * M,
					  .size = 512 * M });
	is(r, 0, "six requests applied and committed");
	is(d.journal.next_seq, 7, "seven records (header + six)");
	take_digest(&d, &before);
	daemon_close(&d);

	r = daemon_open(&d, NULL, &err);
	is(r, 0, "restart replays the journal (%s)", err ? err : "ok");
	free(err);
	err = NULL;
	if (r == 0) {
		take_digest(&d, &after);
		ok(!memcmp(&before.st, &after.st, sizeof(before.st)), "stats identical after replay");
		is(after.blocks, before.blocks, "block states identical after replay");
		is(after.ranges, before.ranges, "ranges (ids, start, size) identical after replay");
		ok(!memcmp(&after.policy, &before.policy, sizeof(after.policy)), "policy restored");
		is(after.refcount, before.refcount, "page references restored (refcount %d)",
		   after.refcount);
		ok(after.refcount == idle_refcount + 1, "the reference is really there (refcount %d, idle %d)",
		   after.refcount, idle_refcount);
		/* a request that fails leaves no trace in the journal */
		r = request(&d, (struct pmm_op){ .kind = PMM_OP_ONLINE, .start = 8 * G, .size = 128 * M,
						 .online_type = MMOP_ONLINE_KERNEL });
		ok(r < 0, "onlining an online block fails (%s)", d.why);
		pmm_journal_discard(&d.journal);
		is(d.journal.next_seq, 7, "the failed request wrote nothing");
	}
	daemon_close(&d);

	orig = read_all(journal_path, &len);
	if (!orig || !len) {
		ok(0, "read the journal back");
		free(orig);
		return;
	}
	copy = malloc(len + 64);

	/* a flipped byte inside record 2 */
	memcpy(copy, orig, len);
	p = copy;
	for (i = 0; i < 2; i++)
		p = strchr(p, '\n') + 1;
	p[20] ^= 0x01;
	damaged("a corrupt record", copy, len, NULL, "record 2 ", "bad CRC");

	/* the tail of the last record lost */
	damaged("a truncated tail", orig, len - 7, NULL, "record 6 ", "truncated");

	/* a record removed: the sequence breaks */
	memcpy(copy, orig, len);
	p = strchr(strchr(copy, '\n') + 1, '\n') + 1;         /* start of record 2 */
	{
		char *q = strchr(p, '\n') + 1;                  /* start of record 3 */

		memmove(p, q, len - (size_t)(q - copy));
		damaged("a missing record", copy, len - (size_t)(q - p), NULL, "record 2 ", "sequence");
	}

	/* a foreign configuration */
	damaged("another block size", orig, len, "\"block_size\": \"256M\"", "record 0 ", "block size");
	damaged("other boot memory", orig, len,
		"\"boot_memory\": [{\"start\": 0, \"size\": \"2G\"}]", "record 0 ", "boot memory");

	/* an empty file is not a journal */
	damaged("an empty journal", "", 0, NULL, "record 0 ", "empty");

	/* garbage appended with a valid CRC but a record that cannot replay */
	{
		const char *rec = "{\"op\":\"online\",\"start\":8589934592,\"size\":134217728,\"type\":\"online_kernel\",\"seq\":7}";
		size_t n;

		free(copy);
		copy = malloc(len + 256);
		memcpy(copy, orig, len);
		n = len + (size_t)sprintf(copy + len, "%08x %s\n", pmm_crc32(0, rec, strlen(rec)), rec);
		damaged("a record that fails to replay", copy, n, NULL, "record 7 ", "failed to replay");
	}

	/* the original still replays: the checks above did not touch it */
	write_file(journal_path, orig, len);
	r = daemon_open(&d, NULL, &err);
	is(r, 0, "the undamaged journal still replays (%s)", err ? err : "ok");
	free(err);
	daemon_close(&d);
	free(copy);
	free(orig);
}

/*
 * A request of two records (an add and its auto-online): the first carries "more". Replay
 * applies both; a file that ends after the first is refused with the offset to cut it at, and
 * cut there, the journal replays to the state before the request.
 */
static void test_request_framing(void)
{
	struct pmm_op add = { .kind = PMM_OP_ADD_MEMORY, .start = 24 * G, .size = 256 * M };
	struct pmm_op on = { .kind = PMM_OP_ONLINE, .start = 24 * G, .size = 256 * M,
			     .online_type = MMOP_ONLINE_MOVABLE };
	struct digest before, with, after;
	struct pmm_daemon d;
	char *err = NULL, *orig = NULL, *last, *first, *prev, hint[4400];
	size_t len = 0, prev_len = 0;
	int r;

	prev = read_all(journal_path, &prev_len);   /* put back at the end for test_snapshot() */
	r = daemon_open(&d, NULL, &err);
	is(r, 0, "framing: the journal opens (%s)", err ? err : "ok");
	free(err);
	err = NULL;
	if (r) {
		daemon_close(&d);
		free(prev);
		return;
	}
	take_digest(&d, &before);
	r = pmm_backend_apply(&d, &add);
	if (!r)
		r = pmm_backend_apply(&d, &on);
	if (!r)
		r = pmm_journal_append(&d.journal, &add);
	if (!r)
		r = pmm_journal_append(&d.journal, &on);
	if (!r)
		r = pmm_journal_commit(&d.journal);
	is(r, 0, "framing: add + online journaled as one request");
	take_digest(&d, &with);
	daemon_close(&d);

	orig = read_all(journal_path, &len);
	last = orig && len > 1 ? orig + len - 1 : NULL;
	while (last && last > orig && last[-1] != '\n')
		last--;                                  /* start of the online record */
	first = last && last > orig ? last - 1 : NULL;
	while (first && first > orig && first[-1] != '\n')
		first--;                                 /* start of the add record */
	ok(first && strstr(first, "\"more\":true") && strstr(first, "\"more\":true") < last &&
	   !strstr(last, "\"more\""), "framing: the add says \"more\", the online (the last) does not");
	if (!first) {
		free(orig);
		free(prev);
		return;
	}

	r = daemon_open(&d, NULL, &err);
	is(r, 0, "framing: the whole request replays (%s)", err ? err : "ok");
	if (!r) {
		take_digest(&d, &after);
		ok(!memcmp(&after.st, &with.st, sizeof(after.st)) && after.blocks == with.blocks,
		   "framing: ... with the add and the online");
	}
	free(err);
	err = NULL;
	daemon_close(&d);

	/* the file ends after the add: refused, with the offset of the request's first record */
	snprintf(hint, sizeof(hint), "truncate -s %zu %s", (size_t)(first - orig), journal_path);
	damaged("framing: a journal that ends inside a request (never half replayed)", orig,
		(size_t)(last - orig), NULL, hint, "ends inside a request");
	/* the request's last record torn: the message says where the request starts */
	snprintf(hint, sizeof(hint), "request that starts at byte %zu", (size_t)(first - orig));
	damaged("framing: a torn last record of a request", orig, len - 5, NULL, hint, "truncated");

	/* cut where the message says: the state before the request */
	write_file(journal_path, orig, (size_t)(first - orig));
	r = daemon_open(&d, NULL, &err);
	is(r, 0, "framing: cut at the request's start, the journal replays (%s)", err ? err : "ok");
	if (!r) {
		take_digest(&d, &after);
		ok(!memcmp(&after.st, &before.st, sizeof(after.st)) && after.blocks == before.blocks &&
		   after.ranges == before.ranges, "framing: ... to the state before the request");
	}
	free(err);
	daemon_close(&d);
	if (prev)
		write_file(journal_path, prev, prev_len);
	free(prev);
	free(orig);
}

static void copy_file(const char *from, const char *to)
{
	size_t len;
	char *buf = read_all(from, &len);

	if (buf)
		write_file(to, buf, len);
	free(buf);
}

static void test_snapshot(void)
{
	struct pmm_daemon d;
	struct digest before, after;
	char *err = NULL, snap[4300], old_journal[4300], *orig;
	uint64_t seq, next_before = 0;
	size_t len;
	int r;

	snprintf(snap, sizeof(snap), "%s/snapshot", state_dir);
	snprintf(old_journal, sizeof(old_journal), "%s/journal.old", state_dir);
	unlink(journal_path);
	r = daemon_open(&d, NULL, &err);
	is(r, 0, "fresh state for the snapshot test (%s)", err ? err : "ok");
	free(err);
	err = NULL;
	if (r) {
		daemon_close(&d);
		return;
	}
	/* ids with a gap and a split: A=1 [8G,+2G), B=2 removed, A's tail becomes 3 */
	r = request(&d, (struct pmm_op){ .kind = PMM_OP_ADD_MEMORY, .start = 8 * G, .size = 2 * G });
	r |= request(&d, (struct pmm_op){ .kind = PMM_OP_ADD_MEMORY, .start = 12 * G, .size = G });
	r |= request(&d, (struct pmm_op){ .kind = PMM_OP_REMOVE_MEMORY, .start = 12 * G, .size = G });
	r |= request(&d, (struct pmm_op){ .kind = PMM_OP_REMOVE_MEMORY, .start = 8 * G + 512 * M,
					  .size = 512 * M });
	r |= request(&d, (struct pmm_op){ .kind = PMM_OP_ONLINE, .start = 8 * G, .size = 512 * M,
					  .online_type = MMOP_ONLINE_MOVABLE });
	r |= request(&d, (struct pmm_op){ .kind = PMM_OP_ONLINE, .start = 9 * G, .size = 256 * M,
					  .online_type = MMOP_ONLINE_KERNEL });
	r |= request(&d, (struct pmm_op){ .kind = PMM_OP_GET_PAGES, .start = (8 * G) >> 12, .size = 8 });
	r |= request(&d, (struct pmm_op){ .kind = PMM_OP_GET_PAGES, .start = (8 * G) >> 12, .size = 2 });
	r |= request(&d, (struct pmm_op){ .kind = PMM_OP_SET_POLICY,
					  .policy = { MMOP_ONLINE, MM_POLICY_AUTO_MOVABLE, 200 } });
	is(r, 0, "history with a removed range and a split range");
	/* ZONE_DEVICE: a device range with page references and a namespace with its memmap (map=dev) */
	{
		struct pmm_op dev = { .kind = PMM_OP_ADD_DEVICE, .start = 20 * G, .size = 2 * G,
				      .pgmap_type = MEMORY_DEVICE_GENERIC, .align = 2 * M };
		struct pmm_op ns = { .kind = PMM_OP_ADD_NAMESPACE, .ns_name = "namespace0.0",
				     .pgmap_type = MEMORY_DEVICE_FS_DAX, .map_dev = true };

		r = request(&d, dev);
		if (r == -EOPNOTSUPP) {
			ok(1, "ZONE_DEVICE not in libmm yet: device ranges not part of this snapshot");
		} else {
			r |= request(&d, (struct pmm_op){ .kind = PMM_OP_GET_PAGES,
							  .start = ((20 * G) >> 12) + 100, .size = 1 });
			r |= request(&d, ns);
			is(r, 0, "a device range with a page reference and a namespace");
		}
	}
	ok(pmm_range_mm(&d, 3) != 0 && pmm_range_mm(&d, 2) == 0 && pmm_range_mm(&d, 1) != 0,
	   "bus ids 1 and 3 live, 2 gone");
	seq = d.journal.next_seq - 1;
	copy_file(journal_path, old_journal);

	r = pmm_snapshot_write(&d);
	is(r, 0, "snapshot written");
	is(d.journal.next_seq, seq + 1, "the journal continues with the same numbering");
	is(d.journal.nr_records, 0, "the journal restarted empty");
	r = request(&d, (struct pmm_op){ .kind = PMM_OP_ADD_MEMORY, .start = 16 * G, .size = G });
	r |= request(&d, (struct pmm_op){ .kind = PMM_OP_ONLINE, .start = 16 * G, .size = G,
					  .online_type = MMOP_ONLINE_KERNEL });
	is(r, 0, "requests after the snapshot");
	ok(pmm_range_mm(&d, d.rids.next_pub - 1) != 0, "the range after the snapshot is bus id %llu",
	   (unsigned long long)(d.rids.next_pub - 1));
	next_before = d.rids.next_pub;
	take_digest(&d, &before);
	daemon_close(&d);

	r = daemon_open(&d, NULL, &err);
	is(r, 0, "restart from snapshot + journal (%s)", err ? err : "ok");
	free(err);
	err = NULL;
	if (r == 0) {
		take_digest(&d, &after);
		ok(!memcmp(&before.st, &after.st, sizeof(before.st)), "stats identical");
		is(after.blocks, before.blocks, "block states identical");
		is(after.ranges, before.ranges, "ranges with their bus ids identical");
		ok(!memcmp(&after.policy, &before.policy, sizeof(after.policy)), "policy identical");
		is(after.refcount, before.refcount, "page references identical (%d)", after.refcount);
		is(after.dev_refcount, before.dev_refcount, "device page references identical (%d)",
		   after.dev_refcount);
		r = request(&d, (struct pmm_op){ .kind = PMM_OP_ADD_MEMORY, .start = 24 * G, .size = G });
		ok(r == 0 && pmm_range_mm(&d, d.rids.next_pub - 1) != 0 &&
		   d.rids.next_pub - 1 == next_before,
		   "a new range after the restore takes the next bus id (%llu)",
		   (unsigned long long)(d.rids.next_pub - 1));
	}
	daemon_close(&d);

	/* crash between the snapshot's rename and the journal restart: old journal + snapshot */
	orig = read_all(journal_path, &len);
	copy_file(old_journal, journal_path);
	r = daemon_open(&d, NULL, &err);
	is(r, 0, "snapshot + the journal it already covers (%s)", err ? err : "ok");
	free(err);
	err = NULL;
	if (r == 0) {
		struct digest mid;

		take_digest(&d, &mid);
		ok(mid.refcount == before.refcount && mid.policy.ratio == 200 &&
		   mid.dev_refcount == before.dev_refcount && pmm_range_mm(&d, 3) != 0 &&
		   pmm_range_mm(&d, next_before - 1) == 0,
		   "records the snapshot holds are not applied twice");
	}
	daemon_close(&d);
	if (orig)
		write_file(journal_path, orig, len);
	free(orig);

	/* a damaged snapshot is refused like a damaged journal */
	orig = read_all(snap, &len);
	if (orig && len > 200) {
		char *copy = malloc(len);

		memcpy(copy, orig, len);
		copy[len - 20] ^= 0x02;
		write_file(snap, copy, len);
		r = daemon_open(&d, NULL, &err);
		ok(r < 0 && err && strstr(err, "snapshot ") && strstr(err, "bad CRC"),
		   "a corrupt snapshot is refused: %s", err ? err : "(accepted)");
		free(err);
		err = NULL;
		daemon_close(&d);
		write_file(snap, orig, len - 3);
		r = daemon_open(&d, NULL, &err);
		ok(r < 0 && err && strstr(err, "truncated"), "a truncated snapshot is refused: %s",
		   err ? err : "(accepted)");
		free(err);
		err = NULL;
		daemon_close(&d);
		/* without its snapshot, the journal lacks the records before it */
		unlink(snap);
		r = daemon_open(&d, NULL, &err);
		ok(r < 0 && err && strstr(err, "records are missing"),
		   "a journal that continues a lost snapshot is refused: %s", err ? err : "(accepted)");
		free(err);
		err = NULL;
		daemon_close(&d);
		write_file(snap, orig, len);
		free(copy);
	} else {
		ok(0, "read the snapshot back");
	}
	free(orig);
	unlink(old_journal);
}

static void cleanup(void)
{
	char path[4300];

	snprintf(path, sizeof(path), "%s/journal", state_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/snapshot", state_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/namespace0.0.img", state_dir);
	unlink(path);
	rmdir(state_dir);
}

int main(void)
{
	test_crc();
	test_records();
	test_replay();
	test_request_framing();
	test_snapshot();
	if (!getenv("PMM_TEST_KEEP")) cleanup();
	return tap_done();
}
