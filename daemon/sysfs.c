/* SPDX-License-Identifier: MIT */
/*
 * Reading and writing the kernel's memory hotplug files (drivers/base/memory.c): the root
 * attributes of /sys/devices/system/memory and one directory per memory block. See sysfs.h for
 * the rules every function here keeps (root, number formats, the calls umockdev redirects).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "daemon.h"
#include "sysfs.h"

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* ---------------------------------------------------------------- attributes */

int sysfs_read_attr(const char *path, char *buf, size_t len)
{
	_cleanup_(closep) int fd = -1;
	size_t off = 0;
	ssize_t n;

	if (!len)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* sysfs attributes are one page at most; keep reading until EOF like a short-read-safe cat */
	for (;;) {
		if (off == len - 1)
			return -EOVERFLOW;
		n = read(fd, buf + off, len - 1 - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	while (off && (buf[off - 1] == '\n' || buf[off - 1] == ' '))
		buf[--off] = '\0';
	return 0;
}

int sysfs_read_u64(const char *path, int base, uint64_t *out)
{
	char buf[64], *end;
	unsigned long long v;
	int r;

	r = sysfs_read_attr(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	if (!buf[0] || buf[0] == '-' || isspace((unsigned char)buf[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(buf, &end, base);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

int sysfs_write_attr(const char *path, const char *value)
{
	_cleanup_(closep) int fd = -1;
	size_t len = strlen(value);
	ssize_t n;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* one store(): a retry after EINTR would be a second, different request to the kernel */
	n = write(fd, value, len);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

/* ---------------------------------------------------------------- paths */

int sysfs_memory_dir(const char *root, char **out)
{
	size_t len = strlen(root);

	/* "/sys/" and "/sys" name the same directory */
	while (len > 1 && root[len - 1] == '/')
		len--;
	if (asprintf(out, "%.*s/" SYSFS_MEMORY_DIR, (int)len, root) < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

int sysfs_block_attr_path(const char *memory_dir, uint64_t id, const char *attr, char **out)
{
	if (asprintf(out, "%s/memory%" PRIu64 "%s%s", memory_dir, id, attr ? "/" : "",
		     attr ? attr : "") < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* ---------------------------------------------------------------- words */

int sysfs_zone_parse(const char *name)
{
	int z;

	for (z = 0; z < MAX_NR_ZONES; z++)
		if (!strcmp(name, mm_zone_name((enum mm_zone_type)z)))
			return z;
	return -1;
}

int sysfs_block_state_parse(const char *s, enum mm_block_state *out)
{
	/* state_show(): the three states userspace can see */
	if (!strcmp(s, "online"))
		*out = MEM_ONLINE;
	else if (!strcmp(s, "offline"))
		*out = MEM_OFFLINE;
	else if (!strcmp(s, "going-offline"))
		*out = MEM_GOING_OFFLINE;
	else
		return -EINVAL;
	return 0;
}

/* "memory123" → 123; false for anything else (memory_block_size, probe, power, ...) */
static bool parse_block_dirname(const char *name, uint64_t *id)
{
	char *end;

	if (strncmp(name, "memory", 6) || !isdigit((unsigned char)name[6]))
		return false;
	errno = 0;
	*id = strtoull(name + 6, &end, 10);
	return !errno && !*end;
}

/* "node1" → 1 */
static bool parse_node_name(const char *name, int *nid)
{
	char *end;
	long v;

	if (strncmp(name, "node", 4) || !isdigit((unsigned char)name[4]))
		return false;
	errno = 0;
	v = strtol(name + 4, &end, 10);
	if (errno || *end || v < 0 || v >= PMM_MAX_NUMNODES)
		return false;
	*nid = (int)v;
	return true;
}

/* ---------------------------------------------------------------- one block */

/*
 * The node<N> link register_memory_block_under_node() makes; readdir instead of readlink so the
 * lookup stays inside what umockdev redirects. A block on several nodes keeps the first.
 */
static int block_read_nid(const char *dir, int *nid)
{
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	*nid = -1;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (parse_node_name(de->d_name, nid))
			break;
	return 0;
}

/* valid_zones of an online block is its zone, or "none" (spans zones or nodes) */
static int block_zone(const struct sysfs_memory_block *b)
{
	if (b->state != MEM_ONLINE || strchr(b->valid_zones, ' '))
		return -1;
	return sysfs_zone_parse(b->valid_zones);
}

int sysfs_memory_block_read(const char *memory_dir, uint64_t id, struct sysfs_memory_block *out)
{
	_cleanup_(freep) char *dir = NULL, *p = NULL;
	uint64_t v;
	struct stat st;
	int r;

	memset(out, 0, sizeof(*out));
	out->id = id;
	r = sysfs_block_attr_path(memory_dir, id, NULL, &dir);
	if (r < 0)
		return r;
	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOENT;

#define ATTR(name)                                           \
	do {                                                 \
		free(p);                                     \
		p = NULL;                                    \
		if (asprintf(&p, "%s/%s", dir, name) < 0) {  \
			p = NULL;                            \
			return -ENOMEM;                      \
		}                                            \
	} while (0)

	ATTR("phys_index");
	r = sysfs_read_u64(p, 16, &out->phys_index);
	if (r < 0)
		return r;
	ATTR("state");
	r = sysfs_read_attr(p, out->state_raw, sizeof(out->state_raw));
	if (r < 0)
		return r;
	r = sysfs_block_state_parse(out->state_raw, &out->state);
	if (r < 0)
		return r;
	/* valid_zones and removable need CONFIG_MEMORY_HOTREMOVE; their absence is not an error */
	ATTR("valid_zones");
	r = sysfs_read_attr(p, out->valid_zones, sizeof(out->valid_zones));
	if (r < 0 && r != -ENOENT)
		return r;
	ATTR("removable");
	out->removable = sysfs_read_u64(p, 10, &v) == 0 && v;
#undef ATTR
	out->zone = block_zone(out);
	return block_read_nid(dir, &out->nid);
}

/* ---------------------------------------------------------------- the tree */

static int block_cmp(const void *a, const void *b)
{
	const struct sysfs_memory_block *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int collect_block_ids(const char *memory_dir, uint64_t **ids, size_t *n)
{
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	size_t cap = 0;
	uint64_t id;

	*ids = NULL;
	*n = 0;
	d = opendir(memory_dir);
	if (!d)
		return -errno;
	while ((errno = 0, de = readdir(d))) {
		if (!parse_block_dirname(de->d_name, &id))
			continue;
		if (PMM_ARRAY_RESERVE(*ids, cap, *n + 1, 256) < 0)
			return -ENOMEM;
		(*ids)[(*n)++] = id;
	}
	return errno ? -errno : 0;
}

__attribute__((format(printf, 3, 4)))
static int tree_fail(char **errmsg, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(errmsg, fmt, ap) < 0)
		*errmsg = NULL;
	va_end(ap);
	return r;
}

int sysfs_memory_read(const char *memory_dir, struct sysfs_memory *out, char **errmsg)
{
	_cleanup_(freep) char *p = NULL;
	_cleanup_(freep) uint64_t *ids = NULL;
	struct stat st;
	size_t n, i;
	int r;

	memset(out, 0, sizeof(*out));
	if (asprintf(&p, "%s/block_size_bytes", memory_dir) < 0) {
		p = NULL;
		return -ENOMEM;
	}
	r = sysfs_read_u64(p, 16, &out->block_size);
	if (r == -ENOENT)
		return tree_fail(errmsg, r,
				 "%s does not exist: this kernel has no memory hotplug sysfs (CONFIG_MEMORY_HOTPLUG)",
				 p);
	if (r < 0)
		return tree_fail(errmsg, r, "%s: %s", p, strerror(-r));
	if (!out->block_size || (out->block_size & (out->block_size - 1)))
		return tree_fail(errmsg, -EINVAL, "%s: %#" PRIx64 " is not a power of two", p,
				 out->block_size);

	free(p);
	if (asprintf(&p, "%s/auto_online_blocks", memory_dir) < 0) {
		p = NULL;
		return -ENOMEM;
	}
	r = sysfs_read_attr(p, out->auto_online_blocks, sizeof(out->auto_online_blocks));
	if (r < 0)
		snprintf(out->auto_online_blocks, sizeof(out->auto_online_blocks), "unknown");

	free(p);
	if (asprintf(&p, "%s/probe", memory_dir) < 0) {
		p = NULL;
		return -ENOMEM;
	}
	out->has_probe = stat(p, &st) == 0 && S_ISREG(st.st_mode);

	r = collect_block_ids(memory_dir, &ids, &n);
	if (r < 0)
		return tree_fail(errmsg, r, "%s: %s", memory_dir, strerror(-r));
	out->blocks = calloc(n ? n : 1, sizeof(*out->blocks));
	if (!out->blocks)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		r = sysfs_memory_block_read(memory_dir, ids[i], &out->blocks[out->nr_blocks]);
		/* a block removed between readdir and now is simply not there */
		if (r == -ENOENT)
			continue;
		if (r < 0) {
			sysfs_memory_free(out);
			return tree_fail(errmsg, r, "%s/memory%" PRIu64 ": %s", memory_dir, ids[i],
					 r == -EINVAL ? "unexpected attribute contents" : strerror(-r));
		}
		out->nr_blocks++;
	}
	if (out->nr_blocks > 1)
		qsort(out->blocks, out->nr_blocks, sizeof(*out->blocks), block_cmp);
	return 0;
}

void sysfs_memory_free(struct sysfs_memory *m)
{
	free(m->blocks);
	m->blocks = NULL;
	m->nr_blocks = 0;
}

const struct sysfs_memory_block *sysfs_memory_find(const struct sysfs_memory *m, uint64_t id)
{
	size_t lo = 0, hi = m->nr_blocks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->blocks[mid].id == id)
			return &m->blocks[mid];
		if (m->blocks[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
