/* SPDX-License-Identifier: MIT */
/*
 * Durability: an append-only journal in the state directory.
 *
 * Each line is "<crc32 as 8 hex digits> <JSON record>\n"; the CRC covers the JSON text and every
 * record carries its sequence number "seq". Record 0 is the header: the magic "pmm-journal", the
 * format version and the model's identity (arch, memory model, block size, boot memory); a
 * journal written for another configuration is refused. Every other record is one primitive
 * operation (struct pmm_op). A request's records are written and fdatasync'ed before its reply,
 * so what was acknowledged survives a crash. A request of several records (an add and its
 * auto-online, an online in runs of zones) marks all but its last with "more": replay applies
 * them together or, when the file ends before the last, refuses to start rather than half
 * apply a request nobody saw acknowledged. At start-up the records are replayed through the
 * same pmm_backend_apply() the live requests use. Anything unexpected (bad CRC, bad sequence,
 * truncated last line, a record that fails to replay) stops the daemon: garbage is never
 * replayed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "array.h"
#include "daemon.h"
#include "size.h"

#define JOURNAL_MAGIC   "pmm-journal"
#define JOURNAL_VERSION 1
#define JOURNAL_NAME    "journal"

/* ---------------------------------------------------------------- CRC32 */

/* CRC-32/ISO-HDLC (the zlib/Ethernet CRC), reflected polynomial 0xEDB88320. */
uint32_t pmm_crc32(uint32_t crc, const void *buf, size_t len)
{
	static uint32_t table[256];
	static bool ready;
	const unsigned char *p = buf;
	size_t i;

	if (!ready) {
		for (i = 0; i < 256; i++) {
			uint32_t c = (uint32_t)i;
			int k;

			for (k = 0; k < 8; k++)
				c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = true;
	}
	crc = ~crc;
	for (i = 0; i < len; i++)
		crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* ---------------------------------------------------------------- op names */

static const char *const op_names[PMM_OP_NR] = {
	[PMM_OP_ADD_MEMORY] = "add-memory",
	[PMM_OP_REMOVE_MEMORY] = "remove-memory",
	[PMM_OP_ONLINE] = "online",
	[PMM_OP_OFFLINE] = "offline",
	[PMM_OP_GET_PAGES] = "get-pages",
	[PMM_OP_PUT_PAGES] = "put-pages",
	[PMM_OP_SET_POLICY] = "set-policy",
	[PMM_OP_ADD_DEVICE] = "add-device",
	[PMM_OP_ADD_NAMESPACE] = "add-namespace",
};

const char *pmm_op_name(enum pmm_op_kind k)
{
	return k < PMM_OP_NR ? op_names[k] : "?";
}

int pmm_op_parse_name(const char *s, enum pmm_op_kind *k)
{
	unsigned int i;

	for (i = 0; i < PMM_OP_NR; i++)
		if (!strcmp(op_names[i], s)) {
			*k = (enum pmm_op_kind)i;
			return 0;
		}
	return -EINVAL;
}

/* ---------------------------------------------------------------- op <-> JSON */

static void add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

json_object *pmm_op_to_json(const struct pmm_op *op)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "op", json_object_new_string(pmm_op_name(op->kind)));
	switch (op->kind) {
	case PMM_OP_ADD_MEMORY:
		add_u64(o, "start", op->start);
		add_u64(o, "size", op->size);
		json_object_object_add(o, "node", json_object_new_int(op->nid));
		json_object_object_add(o, "flags", json_object_new_int((int)op->mhp_flags));
		add_u64(o, "range", op->range_id);
		break;
	case PMM_OP_REMOVE_MEMORY:
	case PMM_OP_OFFLINE:
		add_u64(o, "start", op->start);
		add_u64(o, "size", op->size);
		break;
	case PMM_OP_ONLINE:
		add_u64(o, "start", op->start);
		add_u64(o, "size", op->size);
		json_object_object_add(o, "type",
				       json_object_new_string(mm_online_type_name(op->online_type)));
		break;
	case PMM_OP_GET_PAGES:
	case PMM_OP_PUT_PAGES:
		add_u64(o, "pfn", op->start);
		add_u64(o, "count", op->size);
		if (op->times > 1)
			json_object_object_add(o, "times", json_object_new_int64(op->times));
		break;
	case PMM_OP_SET_POLICY:
		json_object_object_add(o, "policy",
				       json_object_new_string(pmm_policy_name(&op->policy)));
		json_object_object_add(o, "ratio", json_object_new_int64(op->policy.ratio));
		break;
	case PMM_OP_ADD_DEVICE:
		add_u64(o, "start", op->start);
		add_u64(o, "size", op->size);
		json_object_object_add(o, "node", json_object_new_int(op->nid));
		json_object_object_add(o, "type",
				       json_object_new_string(mm_pgmap_type_name(op->pgmap_type)));
		json_object_object_add(o, "map", json_object_new_string(op->map_dev ? "dev" : "mem"));
		add_u64(o, "align", op->align);
		add_u64(o, "range", op->range_id);
		break;
	case PMM_OP_ADD_NAMESPACE:
		json_object_object_add(o, "name", json_object_new_string(op->ns_name));
		json_object_object_add(o, "type",
				       json_object_new_string(mm_pgmap_type_name(op->pgmap_type)));
		json_object_object_add(o, "map", json_object_new_string(op->map_dev ? "dev" : "mem"));
		add_u64(o, "align", op->align);
		add_u64(o, "range", op->range_id);
		break;
	case PMM_OP_NR:
		break;
	}
	return o;
}

static int get_u64(json_object *o, const char *k, uint64_t *v, char *why, size_t len)
{
	json_object *f;

	if (!json_object_object_get_ex(o, k, &f) || !json_object_is_type(f, json_type_int) ||
	    json_object_get_int64(f) < 0) {
		snprintf(why, len, "field \"%s\" missing or not a non-negative integer", k);
		return -EINVAL;
	}
	*v = json_object_get_uint64(f);
	return 0;
}

static int get_int(json_object *o, const char *k, int *v, char *why, size_t len)
{
	json_object *f;
	int64_t x;

	if (!json_object_object_get_ex(o, k, &f) || !json_object_is_type(f, json_type_int)) {
		snprintf(why, len, "field \"%s\" missing or not an integer", k);
		return -EINVAL;
	}
	x = json_object_get_int64(f);
	if (x < INT32_MIN || x > INT32_MAX) {
		snprintf(why, len, "field \"%s\" out of range", k);
		return -EINVAL;
	}
	*v = (int)x;
	return 0;
}

static int get_str(json_object *o, const char *k, const char **v, char *why, size_t len)
{
	json_object *f;

	if (!json_object_object_get_ex(o, k, &f) || !json_object_is_type(f, json_type_string)) {
		snprintf(why, len, "field \"%s\" missing or not a string", k);
		return -EINVAL;
	}
	*v = json_object_get_string(f);
	return 0;
}

static int get_map(json_object *o, struct pmm_op *op, char *why, size_t len)
{
	const char *s = NULL;
	uint64_t range;

	if (get_str(o, "type", &s, why, len) < 0)
		return -EINVAL;
	if (mm_pgmap_type_parse(s, &op->pgmap_type) < 0) {
		snprintf(why, len, "unknown device type \"%s\"", s);
		return -EINVAL;
	}
	if (get_str(o, "map", &s, why, len) < 0)
		return -EINVAL;
	if (strcmp(s, "mem") && strcmp(s, "dev")) {
		snprintf(why, len, "unknown map \"%s\"", s);
		return -EINVAL;
	}
	op->map_dev = !strcmp(s, "dev");
	if (get_u64(o, "align", &op->align, why, len) < 0 ||
	    get_u64(o, "range", &range, why, len) < 0)
		return -EINVAL;
	op->range_id = range;
	return 0;
}

int pmm_op_from_json(json_object *o, struct pmm_op *op, char *why, size_t len)
{
	const char *s = NULL;
	int flags;
	int64_t ratio;
	json_object *f;

	memset(op, 0, sizeof(*op));
	if (get_str(o, "op", &s, why, len) < 0)
		return -EINVAL;
	if (pmm_op_parse_name(s, &op->kind) < 0) {
		snprintf(why, len, "unknown operation \"%s\"", s);
		return -EINVAL;
	}
	switch (op->kind) {
	case PMM_OP_ADD_MEMORY:
		if (get_u64(o, "start", &op->start, why, len) < 0 ||
		    get_u64(o, "size", &op->size, why, len) < 0 ||
		    get_int(o, "node", &op->nid, why, len) < 0 ||
		    get_int(o, "flags", &flags, why, len) < 0 ||
		    get_u64(o, "range", &op->range_id, why, len) < 0)
			return -EINVAL;
		op->mhp_flags = (unsigned int)flags;
		return 0;
	case PMM_OP_REMOVE_MEMORY:
	case PMM_OP_OFFLINE:
		if (get_u64(o, "start", &op->start, why, len) < 0 ||
		    get_u64(o, "size", &op->size, why, len) < 0)
			return -EINVAL;
		return 0;
	case PMM_OP_ONLINE:
		if (get_u64(o, "start", &op->start, why, len) < 0 ||
		    get_u64(o, "size", &op->size, why, len) < 0 ||
		    get_str(o, "type", &s, why, len) < 0)
			return -EINVAL;
		if (mm_online_type_parse(s, &op->online_type) < 0 || op->online_type == MMOP_OFFLINE) {
			snprintf(why, len, "bad online type \"%s\"", s);
			return -EINVAL;
		}
		return 0;
	case PMM_OP_GET_PAGES:
	case PMM_OP_PUT_PAGES:
		if (get_u64(o, "pfn", &op->start, why, len) < 0 ||
		    get_u64(o, "count", &op->size, why, len) < 0)
			return -EINVAL;
		if (json_object_object_get_ex(o, "times", &f)) {
			uint64_t t;

			if (op->kind != PMM_OP_GET_PAGES || get_u64(o, "times", &t, why, len) < 0 ||
			    t == 0 || t > UINT32_MAX) {
				snprintf(why, len, "bad field \"times\"");
				return -EINVAL;
			}
			op->times = (unsigned int)t;
		}
		return 0;
	case PMM_OP_SET_POLICY:
		if (get_str(o, "policy", &s, why, len) < 0)
			return -EINVAL;
		if (pmm_policy_parse(s, &op->policy) < 0) {
			snprintf(why, len, "unknown policy \"%s\"", s);
			return -EINVAL;
		}
		if (!json_object_object_get_ex(o, "ratio", &f) ||
		    !json_object_is_type(f, json_type_int) ||
		    (ratio = json_object_get_int64(f)) < 0 || ratio > UINT32_MAX) {
			snprintf(why, len, "field \"ratio\" missing or out of range");
			return -EINVAL;
		}
		op->policy.ratio = (unsigned int)ratio;
		return 0;
	case PMM_OP_ADD_DEVICE:
		if (get_u64(o, "start", &op->start, why, len) < 0 ||
		    get_u64(o, "size", &op->size, why, len) < 0 ||
		    get_int(o, "node", &op->nid, why, len) < 0)
			return -EINVAL;
		return get_map(o, op, why, len);
	case PMM_OP_ADD_NAMESPACE:
		if (get_str(o, "name", &s, why, len) < 0)
			return -EINVAL;
		if (strlen(s) >= sizeof(op->ns_name)) {
			snprintf(why, len, "namespace name too long");
			return -EINVAL;
		}
		snprintf(op->ns_name, sizeof(op->ns_name), "%s", s);
		return get_map(o, op, why, len);
	case PMM_OP_NR:
		break;
	}
	snprintf(why, len, "unknown operation");
	return -EINVAL;
}

/* ---------------------------------------------------------------- record files */

int pmm_records_put(char **buf, size_t *len, size_t *cap, json_object *rec, uint64_t seq)
{
	const char *text;
	size_t tlen, need;
	uint32_t crc;

	json_object_object_add(rec, "seq", json_object_new_uint64(seq));
	text = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		return -ENOMEM;
	tlen = strlen(text);
	need = *len + 9 + tlen + 1 + 1;
	if (PMM_ARRAY_RESERVE(*buf, *cap, need, 512) < 0)
		return -ENOMEM;
	crc = pmm_crc32(0, text, tlen);
	*len += (size_t)snprintf(*buf + *len, *cap - *len, "%08" PRIx32 " %s\n", crc, text);
	return 0;
}

json_object *pmm_identity_json(const struct pmm_config *cfg, const char *magic)
{
	json_object *h = json_object_new_object(), *boot = json_object_new_array();
	size_t i;

	json_object_object_add(h, "magic", json_object_new_string(magic));
	json_object_object_add(h, "version", json_object_new_int(JOURNAL_VERSION));
	json_object_object_add(h, "arch", json_object_new_string(cfg->arch->name));
	json_object_object_add(h, "memory_model",
			       json_object_new_string(mm_memory_model_name(cfg->model)));
	add_u64(h, "block_size", cfg->block_size);
	for (i = 0; i < cfg->nr_boot; i++) {
		json_object *b = json_object_new_object();

		add_u64(b, "start", cfg->boot[i].start);
		add_u64(b, "size", cfg->boot[i].size);
		json_object_object_add(b, "node", json_object_new_int(cfg->boot[i].nid));
		json_object_array_add(boot, b);
	}
	json_object_object_add(h, "boot_memory", boot);
	return h;
}

/* Compare a header's identity with the configuration; why names the first difference. */
int pmm_identity_check(json_object *h, const struct pmm_config *cfg, const char *magic, char *why,
		       size_t len)
{
	json_object *f = NULL, *boot;
	const char *s = NULL;
	uint64_t v;
	size_t i, n;
	char a[32], b[32];

	if (get_str(h, "magic", &s, why, len) < 0)
		return -EINVAL;
	if (strcmp(s, magic)) {
		snprintf(why, len, "bad header: magic \"%s\", expected \"%s\"", s, magic);
		return -EINVAL;
	}
	if (!json_object_object_get_ex(h, "version", &f) || !json_object_is_type(f, json_type_int) ||
	    json_object_get_int(f) != JOURNAL_VERSION) {
		snprintf(why, len, "bad header: format version %s, this daemon reads version %d",
			 f ? json_object_get_string(f) : "missing", JOURNAL_VERSION);
		return -EINVAL;
	}
	if (get_str(h, "arch", &s, why, len) < 0)
		return -EINVAL;
	if (strcmp(s, cfg->arch->name)) {
		snprintf(why, len, "written for arch %s, but the configuration says %s", s,
			 cfg->arch->name);
		return -EINVAL;
	}
	if (get_str(h, "memory_model", &s, why, len) < 0)
		return -EINVAL;
	if (strcmp(s, mm_memory_model_name(cfg->model))) {
		snprintf(why, len, "written for memory model %s, but the configuration says %s", s,
			 mm_memory_model_name(cfg->model));
		return -EINVAL;
	}
	if (get_u64(h, "block_size", &v, why, len) < 0)
		return -EINVAL;
	if (v != cfg->block_size) {
		snprintf(why, len, "written for block size %s, but the configuration says %s",
			 pmm_format_size(v, a, sizeof(a)), pmm_format_size(cfg->block_size, b, sizeof(b)));
		return -EINVAL;
	}
	if (!json_object_object_get_ex(h, "boot_memory", &boot) ||
	    !json_object_is_type(boot, json_type_array)) {
		snprintf(why, len, "bad header: boot_memory missing");
		return -EINVAL;
	}
	n = json_object_array_length(boot);
	if (n != cfg->nr_boot) {
		snprintf(why, len, "written for %zu boot memory ranges, but the configuration has %zu",
			 n, cfg->nr_boot);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(boot, i);
		uint64_t start, size;
		int nid;

		if (get_u64(e, "start", &start, why, len) < 0 ||
		    get_u64(e, "size", &size, why, len) < 0 || get_int(e, "node", &nid, why, len) < 0)
			return -EINVAL;
		if (start != cfg->boot[i].start || size != cfg->boot[i].size || nid != cfg->boot[i].nid) {
			snprintf(why, len,
				 "written for boot memory [0x%llx, +%s) on node %d, but the configuration has [0x%llx, +%s) on node %d",
				 (unsigned long long)start, pmm_format_size(size, a, sizeof(a)), nid,
				 (unsigned long long)cfg->boot[i].start,
				 pmm_format_size(cfg->boot[i].size, b, sizeof(b)), cfg->boot[i].nid);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * The checked reader of a record file. The first record's seq is the base; every later one
 * must follow by one. Errors name the file, the record (its expected seq) and the byte offset.
 */
struct pmm_records {
	const char *what;        /* "journal" / "snapshot" */
	const char *path;
	FILE *f;
	char *line;
	size_t cap;
	bool started;
	uint64_t seq;            /* seq of the record last returned (next expected - 1) */
	uint64_t offset;         /* byte offset of the next line */
	uint64_t cur;            /* byte offset of the record last returned */
	char **errmsg;
};

int pmm_records_fail(struct pmm_records *rd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	free(*rd->errmsg);
	if (asprintf(rd->errmsg, "%s %s: record %llu (byte offset %llu): %s", rd->what, rd->path,
		     (unsigned long long)(rd->started ? rd->seq : 0), (unsigned long long)rd->cur,
		     msg) < 0)
		*rd->errmsg = NULL;
	return -EBADMSG;
}

int pmm_records_open(const char *what, const char *path, FILE *f, char **errmsg,
		     struct pmm_records **out)
{
	struct pmm_records *rd = calloc(1, sizeof(*rd));

	if (!rd)
		return -ENOMEM;
	rd->what = what;
	rd->path = path;
	rd->f = f;
	rd->errmsg = errmsg;
	*out = rd;
	return 0;
}

void pmm_records_close(struct pmm_records *rd)
{
	if (!rd)
		return;
	free(rd->line);
	free(rd);
}

uint64_t pmm_records_seq(const struct pmm_records *rd)
{
	return rd->seq;
}

/* 1: *out is the next record; 0: end of file (clean); <0: damaged, *errmsg says why. */
int pmm_records_next(struct pmm_records *rd, json_object **out)
{
	uint32_t stored, crc;
	json_object *o, *f = NULL;
	uint64_t seq;
	ssize_t n;
	size_t len, i;
	char *line;

	errno = 0;
	n = getline(&rd->line, &rd->cap, rd->f);
	if (n <= 0) {
		if (ferror(rd->f))
			return pmm_records_fail(rd, "read error: %s", strerror(errno));
		if (!rd->started)
			return pmm_records_fail(rd, "bad header: the file is empty");
		return 0;
	}
	/* from here on, messages are about this record */
	rd->cur = rd->offset;
	rd->seq = rd->started ? rd->seq + 1 : 0;
	line = rd->line;
	/* an unterminated last line is a write that never completed: never acknowledged */
	if (line[n - 1] != '\n')
		return pmm_records_fail(rd,
					"truncated record (%zd bytes, no end of line); the last complete record ends at byte %llu",
					n, (unsigned long long)rd->cur);
	line[n - 1] = '\0';
	len = (size_t)n - 1;
	if (strlen(line) != len)
		return pmm_records_fail(rd, "record contains a NUL byte");
	if (len < 10 || line[8] != ' ')
		return pmm_records_fail(rd, "malformed record (no CRC field)");
	for (i = 0; i < 8; i++)
		if (!((line[i] >= '0' && line[i] <= '9') || (line[i] >= 'a' && line[i] <= 'f')))
			return pmm_records_fail(rd, "malformed record (bad CRC field)");
	line[8] = '\0';
	stored = (uint32_t)strtoul(line, NULL, 16);
	line[8] = ' ';
	crc = pmm_crc32(0, line + 9, len - 9);
	if (crc != stored)
		return pmm_records_fail(rd, "bad CRC (stored %08" PRIx32 ", computed %08" PRIx32 "): the record is corrupt",
					stored, crc);
	o = json_tokener_parse(line + 9);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return pmm_records_fail(rd, "not a JSON object");
	}
	if (!json_object_object_get_ex(o, "seq", &f) || !json_object_is_type(f, json_type_int) ||
	    json_object_get_int64(f) < 0 ||
	    (seq = json_object_get_uint64(f), rd->started && seq != rd->seq)) {
		char got[32];

		snprintf(got, sizeof(got), "%s", f ? json_object_get_string(f) : "missing");
		json_object_put(o);
		return pmm_records_fail(rd, "sequence number %s, expected %llu", got,
					(unsigned long long)rd->seq);
	}
	rd->seq = seq;           /* the header's seq is the base of what follows */
	rd->started = true;
	rd->offset += (uint64_t)n;
	*out = o;
	return 1;
}

static void describe_op(const struct pmm_op *op, char *buf, size_t len)
{
	json_object *o = pmm_op_to_json(op);

	snprintf(buf, len, "%s", o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "?");
	json_object_put(o);
}

/*
 * Apply one decoded operation record. Replayed adds must create the range id the record
 * names (the model is deterministic; anything else means the journal does not describe it);
 * a snapshot's adds impose their id.
 */
int pmm_records_apply(struct pmm_records *rd, struct pmm_daemon *d, json_object *o, bool impose)
{
	struct pmm_op op;
	char why[256], desc[256];
	uint64_t want;
	int r;

	r = pmm_op_from_json(o, &op, why, sizeof(why));
	if (r < 0)
		return pmm_records_fail(rd, "bad record: %s", why);
	want = op.range_id;
	op.impose_range_id = impose && (op.kind == PMM_OP_ADD_MEMORY || op.kind == PMM_OP_ADD_DEVICE ||
					op.kind == PMM_OP_ADD_NAMESPACE);
	r = pmm_backend_apply(d, &op);
	if (r < 0) {
		describe_op(&op, desc, sizeof(desc));
		return pmm_records_fail(rd, "%s failed to replay: %s (%s)", desc,
					d->why[0] ? d->why : mm_last_error(d->mm), strerror(-r));
	}
	if ((op.kind == PMM_OP_ADD_MEMORY || op.kind == PMM_OP_ADD_DEVICE ||
	     op.kind == PMM_OP_ADD_NAMESPACE) && want && op.range_id != want)
		return pmm_records_fail(rd, "replay created range %llu, the record says range %llu",
					(unsigned long long)op.range_id, (unsigned long long)want);
	return 0;
}

/* ---------------------------------------------------------------- files */

static int fsync_dir(int dir_fd)
{
	return fsync(dir_fd) < 0 ? -errno : 0;
}

/* A file appears whole or not at all: temporary file, fdatasync, rename, fsync the directory. */
int pmm_write_file_atomic(int dir_fd, const char *name, const char *buf, size_t len)
{
	_cleanup_(freep) char *tmp = NULL;
	_cleanup_(closep) int fd = -1;
	size_t done = 0;
	int r;

	if (asprintf(&tmp, "%s.new", name) < 0)
		return -ENOMEM;
	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t w = write(fd, buf + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = w < 0 ? -errno : -EIO;
			unlinkat(dir_fd, tmp, 0);
			return r;
		}
		done += (size_t)w;
	}
	if (fdatasync(fd) < 0 || renameat(dir_fd, tmp, dir_fd, name) < 0) {
		r = -errno;
		unlinkat(dir_fd, tmp, 0);
		return r;
	}
	return fsync_dir(dir_fd);
}

/*
 * Start a journal afresh: a header whose seq is the last record the state already contains
 * (a snapshot's, or 0), written atomically, then opened for appending.
 */
int pmm_journal_restart(struct pmm_daemon *d, uint64_t base)
{
	struct pmm_journal *j = &d->journal;
	_cleanup_(freep) char *buf = NULL;
	size_t len = 0, cap = 0;
	json_object *h = pmm_identity_json(&d->cfg, JOURNAL_MAGIC);
	int r, fd;

	r = h ? pmm_records_put(&buf, &len, &cap, h, base) : -ENOMEM;
	json_object_put(h);
	if (r < 0)
		return r;
	r = pmm_write_file_atomic(j->dir_fd, JOURNAL_NAME, buf, len);
	if (r < 0)
		return r;
	fd = openat(j->dir_fd, JOURNAL_NAME, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (j->fd >= 0)
		close(j->fd);
	j->fd = fd;
	j->next_seq = base + 1;
	j->size = len;
	j->nr_records = 0;
	j->reserved = 0;        /* a new file: nothing preallocated yet */
	return 0;
}

/*
 * Replay the journal over the state the snapshot (covering records up to snap_seq) restored.
 * Records the snapshot already holds are checked but not applied again. *last receives the
 * seq of the last record in the file.
 */
/* the records of one request read so far ("more" set), applied once its last record is read */
struct held_request {
	json_object **rec;
	size_t nr, cap;
	uint64_t first_seq, offset;  /* of the first of them */
};

static bool record_has_more(json_object *o)
{
	json_object *f;

	return json_object_object_get_ex(o, "more", &f) && json_object_get_boolean(f);
}

static void held_drop(struct held_request *h)
{
	for (size_t i = 0; i < h->nr; i++)
		json_object_put(h->rec[i]);
	h->nr = 0;
}

static int held_push(struct held_request *h, struct pmm_records *rd, json_object *o)
{
	if (PMM_ARRAY_RESERVE(h->rec, h->cap, h->nr + 1, 4) < 0)
		return -ENOMEM;
	if (!h->nr) {
		h->first_seq = pmm_records_seq(rd);
		h->offset = rd->cur;
	}
	h->rec[h->nr++] = o;
	return 0;
}

/*
 * Replay the journal after the snapshot. A request's records are applied together once its
 * last one is read: a file that ends inside a request (its write never completed, so it was
 * never acknowledged) is refused like a torn line, never half replayed.
 */
static int journal_replay(struct pmm_daemon *d, FILE *f, uint64_t snap_seq, uint64_t *last,
			  char **errmsg)
{
	struct pmm_journal *j = &d->journal;
	struct held_request held = { 0 };
	struct pmm_records *rd = NULL;
	json_object *o;
	char why[256];
	bool have_header = false;
	uint64_t base;
	int r;

	r = pmm_records_open("journal", j->path, f, errmsg, &rd);
	if (r < 0)
		return r;
	while ((r = pmm_records_next(rd, &o)) > 0) {
		if (!have_header) {
			/* the header: its seq is the last record the journal does not hold */
			r = pmm_identity_check(o, &d->cfg, JOURNAL_MAGIC, why, sizeof(why));
			json_object_put(o);
			if (r < 0) {
				r = pmm_records_fail(rd, "%s", why);
				break;
			}
			base = pmm_records_seq(rd);
			if (base > snap_seq) {
				r = pmm_records_fail(rd,
						     "the journal continues after record %llu but %s: records are missing",
						     (unsigned long long)base,
						     snap_seq ? "the snapshot ends earlier" : "there is no snapshot");
				break;
			}
			have_header = true;
			continue;
		}
		r = held_push(&held, rd, o);
		if (r < 0) {
			json_object_put(o);
			break;
		}
		if (record_has_more(o))
			continue;
		/* a snapshot is only taken between requests: a request is all before it or all after */
		for (size_t i = 0; i < held.nr && r >= 0; i++)
			if (held.first_seq + i > snap_seq)
				r = pmm_records_apply(rd, d, held.rec[i], false);
		j->nr_records += held.nr;
		held_drop(&held);
		if (r < 0)
			break;
	}
	if (r < 0 && held.nr && *errmsg) {
		/* damage inside a request: what to keep ends where the request starts */
		char *m = NULL;

		if (asprintf(&m, "%s (it belongs to a request that starts at byte %llu)", *errmsg,
			     (unsigned long long)held.offset) >= 0) {
			free(*errmsg);
			*errmsg = m;
		}
	}
	if (r == 0 && held.nr)
		r = pmm_records_fail(rd,
				     "the file ends inside a request: records %llu to %llu are the start of one whose last record is missing (a write that never completed, so never acknowledged); to start, cut them off: truncate -s %llu %s",
				     (unsigned long long)held.first_seq,
				     (unsigned long long)(held.first_seq + held.nr - 1),
				     (unsigned long long)held.offset, j->path);
	if (r == 0) {
		*last = pmm_records_seq(rd);
		j->size = (uint64_t)ftello(f);
	}
	held_drop(&held);
	free(held.rec);
	pmm_records_close(rd);
	return r;
}

int pmm_journal_open(struct pmm_daemon *d, char **errmsg)
{
	struct pmm_journal *j = &d->journal;
	_cleanup_(fclosep) FILE *f = NULL;
	uint64_t snap_seq = 0, last = 0;
	int fd, r;

	*errmsg = NULL;
	j->fd = -1;
	if (asprintf(&j->path, "%s/" JOURNAL_NAME, d->cfg.state_dir) < 0) {
		j->path = NULL;
		return -ENOMEM;
	}
	j->dir_fd = open(d->cfg.state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->dir_fd < 0) {
		r = -errno;
		if (asprintf(errmsg, "state directory %s: %s", d->cfg.state_dir, strerror(errno)) < 0)
			*errmsg = NULL;
		return r;
	}

	d->replaying = true;
	r = pmm_snapshot_load(d, j->dir_fd, &snap_seq, errmsg);
	if (r < 0)
		goto out;
	fd = openat(j->dir_fd, JOURNAL_NAME, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		r = -errno;
		if (asprintf(errmsg, "journal %s: %s", j->path, strerror(errno)) < 0)
			*errmsg = NULL;
		goto out;
	}
	if (fd >= 0) {
		f = fdopen(fd, "r");
		if (!f) {
			r = -errno;
			close(fd);
			goto out;
		}
		r = journal_replay(d, f, snap_seq, &last, errmsg);
		if (r < 0)
			goto out;
		pmm_log_info("journal %s: replayed %llu records", j->path,
			     (unsigned long long)(last > snap_seq ? last - snap_seq : 0));
	}
	if (fd >= 0 && last >= snap_seq) {
		j->fd = openat(j->dir_fd, JOURNAL_NAME, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (j->fd < 0) {
			r = -errno;
			if (asprintf(errmsg, "journal %s: cannot open for writing: %s", j->path,
				     strerror(errno)) < 0)
				*errmsg = NULL;
			goto out;
		}
		j->next_seq = last + 1;
	} else {
		/* no journal yet, or one older than the snapshot: start one after the snapshot */
		r = pmm_journal_restart(d, snap_seq);
		if (r < 0) {
			if (asprintf(errmsg, "journal %s: cannot create: %s", j->path, strerror(-r)) < 0)
				*errmsg = NULL;
			goto out;
		}
		pmm_log_info("journal %s: started after record %llu", j->path,
			     (unsigned long long)snap_seq);
	}
	r = 0;
out:
	d->replaying = false;
	return r;
}

/* ---------------------------------------------------------------- append / commit */

/* Preallocate this much past the end; top it up when less than a quarter is left. */
#define JOURNAL_RESERVE (UINT64_C(128) << 10)

int pmm_journal_reserve(struct pmm_journal *j)
{
	if (j->fd < 0 || j->no_reserve || j->reserved >= j->size + JOURNAL_RESERVE / 4)
		return 0;
	/* KEEP_SIZE: the blocks are allocated but the file does not grow, so replay never sees them */
	if (fallocate(j->fd, FALLOC_FL_KEEP_SIZE, (off_t)j->size, (off_t)JOURNAL_RESERVE) < 0) {
		if (errno == EOPNOTSUPP || errno == ENOSYS) {
			pmm_log_warn("journal %s: the file system cannot preallocate; a full disk will stop the daemon",
				     j->path);
			j->no_reserve = true;
			return 0;
		}
		return -errno;
	}
	j->reserved = j->size + JOURNAL_RESERVE;
	return 0;
}

int pmm_journal_append(struct pmm_journal *j, const struct pmm_op *op)
{
	if (PMM_ARRAY_RESERVE(j->pend, j->cap_pend, j->nr_pend + 1, 4) < 0)
		return -ENOMEM;
	j->pend[j->nr_pend++] = *op;
	return 0;
}

/* The pending records as text: consecutive seqs, "more" on all but the request's last. */
static int journal_frame(struct pmm_journal *j)
{
	j->buf_len = 0;
	for (size_t i = 0; i < j->nr_pend; i++) {
		json_object *o = pmm_op_to_json(&j->pend[i]);
		int r;

		if (!o)
			return -ENOMEM;
		if (i + 1 < j->nr_pend)
			json_object_object_add(o, "more", json_object_new_boolean(1));
		r = pmm_records_put(&j->buf, &j->buf_len, &j->buf_cap, o, j->next_seq + i);
		json_object_put(o);
		if (r < 0)
			return r;
	}
	return 0;
}

int pmm_journal_write(struct pmm_journal *j, uint64_t *last)
{
	uint64_t n = j->nr_pend;
	size_t done = 0;
	int r;

	*last = j->next_seq + n - 1;
	if (n == 0)
		return 0;
	r = journal_frame(j);
	if (r < 0) {
		pmm_journal_discard(j);
		return r;
	}
	while (done < j->buf_len) {
		ssize_t w = write(j->fd, j->buf + done, j->buf_len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = w < 0 ? -errno : -EIO;
			/* take back a partial write so the file ends on the last whole record */
			if (ftruncate(j->fd, (off_t)j->size) < 0)
				pmm_log_err("journal %s: cannot truncate back to %llu bytes: %m",
					    j->path, (unsigned long long)j->size);
			pmm_journal_discard(j);
			return r;
		}
		done += (size_t)w;
	}
	j->size += j->buf_len;
	j->next_seq += n;
	j->nr_records += n;
	pmm_journal_discard(j);
	return 0;
}

int pmm_journal_commit(struct pmm_journal *j)
{
	uint64_t last;
	int r = pmm_journal_write(j, &last);

	if (r < 0)
		return r;
	return fdatasync(j->fd) < 0 ? -errno : 0;
}

/*
 * Journal an online that succeeded with one explicit zone per run of blocks, so replay does
 * not depend on the policy in force at restart (online_kernel picks the same default kernel
 * zone again; online_movable is Movable).
 */
int pmm_journal_online(struct pmm_daemon *d, uint64_t start, uint64_t size,
		       enum mm_online_type type)
{
	struct pmm_op op = { .kind = PMM_OP_ONLINE, .start = start, .size = size, .online_type = type };
	struct pmm_op run = { .kind = PMM_OP_ONLINE };
	uint64_t bs = mm_geometry(d->mm)->block_size, a;
	int r;

	if (type != MMOP_ONLINE)
		return pmm_journal_append(&d->journal, &op);
	for (a = start; a < start + size; a += bs) {
		struct mm_block_info b;
		enum mm_online_type t;

		if (mm_memory_block_info(d->mm, a / bs, &b) < 0)
			return -ENOENT;
		t = b.zone == ZONE_MOVABLE ? MMOP_ONLINE_MOVABLE : MMOP_ONLINE_KERNEL;
		if (run.size && t == run.online_type && run.start + run.size == a) {
			run.size += bs;
			continue;
		}
		if (run.size && (r = pmm_journal_append(&d->journal, &run)) < 0)
			return r;
		run.start = a;
		run.size = bs;
		run.online_type = t;
	}
	return run.size ? pmm_journal_append(&d->journal, &run) : 0;
}

void pmm_journal_discard(struct pmm_journal *j)
{
	j->nr_pend = 0;
	j->buf_len = 0;
}

void pmm_journal_close(struct pmm_journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	if (j->dir_fd >= 0)
		close(j->dir_fd);
	free(j->path);
	free(j->pend);
	free(j->buf);
	memset(j, 0, sizeof(*j));
	j->fd = -1;
	j->dir_fd = -1;
}
