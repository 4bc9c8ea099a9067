/* SPDX-License-Identifier: MIT */
/*
 * fake-kernel: plays the Linux kernel's memory hotplug (drivers/base/memory.c) on a umockdev
 * testbed, for the kernel backend's tests.
 *
 *   fake-kernel [--device FILE.umockdev]... [--shim SHIM.so] -- COMMAND [ARGS...]
 *   fake-kernel ctl REQUEST...          (from inside COMMAND: talk to the running fake kernel)
 *
 * It re-executes itself under umockdev's preload, builds the testbed from the fixtures, then
 * runs COMMAND (a test script) with UMOCKDEV_DIR, PMM_FAKE_KERNEL (its socket) and the write
 * shim preloaded, and serves, until COMMAND exits:
 *
 *  - the shim: every write(2) into memory<N>/state or probe, answered synchronously the way the
 *    kernel's state_store() / probe_store() would: errno for a refusal (EINVAL for a block
 *    already in the asked state or an unknown word, EINVAL for offlining a block spanning
 *    zones, any errno the test asked for with "refuse"), else the block changes state, its
 *    state/online/valid_zones files change, and an "online"/"offline" uevent is sent;
 *    probe adds a block ("add" uevent);
 *  - control requests from the script (one line each, answer "ok ..." or "err ..."):
 *      add ID NODE              hot-add an offline block ("add" uevent)
 *      burst ID N NODE          hot-add N blocks at once (N "add" uevents, no pacing)
 *      remove ID                hot-remove an offline block ("remove" uevent, then it goes)
 *      set ID online|offline [ZONE] [quiet]   somebody else changed the block (uevent unless quiet)
 *      uevent ID ACTION         a bare uevent for a block
 *      refuse ID ERRNO [N [AFTER]]   the next N state writes get ERRNO, after AFTER accepted
 *      probe on [NODE] | off    create (blocks probed onto NODE) or delete the probe file
 *      devattr DEVPATH NAME VALUE, devuevent DEVPATH ACTION   any device (nd, dax)
 *      writes | closes | reset-audit | uevents   what was written (through the shim), the
 *                               IN_CLOSE_WRITE seen per file, forget both, uevents sent
 *
 * Every file open for writing in the memory tree is watched with inotify (IN_CLOSE_WRITE), so
 * the test can check that nothing was written that did not go through the shim, and that no
 * unmanaged block was touched. The fake kernel's own changes replace files by rename, which
 * inotify reports under another name, so they are not counted.
 *
 * valid_zones follow zone_for_pfn_range() with the contig-zones policy on x86_64: a block's
 * kernel zone is DMA32 below 4 GiB and Normal above; an offline block defaults to the one zone
 * of {kernel zone, Movable} whose span (lowest to highest online block of that zone on the
 * node) covers it, else to the kernel zone; the other zone follows.
 *
 * uevents: umockdev aborts when more than net.unix.max_dgram_qlen (10) datagrams wait at one
 * listener. As root the fake kernel moves into a new network namespace and raises the limit
 * there (PMM_FAKE_KERNEL_QLEN tells the script what it got).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umockdev.h>

#define MAX_BLOCKS 8192
#define QLEN_WANTED 1024
#define GIB (UINT64_C(1) << 30)
#define MIB (UINT64_C(1) << 20)

/* The fake kernel's memory block: what memory<id>/ shows. zone is "" when offline. */
struct fk_block {
	bool present, online;
	char zone[16];
	char valid_zones[32];        /* as last written to the file */
	int node;
	int refuse_errno;
	unsigned int refuse_count;   /* writes to refuse ... */
	unsigned int refuse_after;   /* ... once this many more have been accepted */
	int wd;
};

struct fk_close {
	char path[48];
	unsigned int n;
};

struct fk {
	UMockdevTestbed *tb;
	char root[512];              /* UMOCKDEV_DIR */
	char memdir[560];            /* <root>/sys/devices/system/memory */
	char sock[560];
	uint64_t block_size;
	struct fk_block b[MAX_BLOCKS];
	int probe_node;
	int listen_fd, ino_fd, sig_fd, wd_memdir;
	pid_t child;
	int qlen;
	/* audit */
	char *writes;
	size_t writes_len;
	struct fk_close closes[256];
	size_t nr_closes;
	unsigned int nr_uevents;
};

static struct fk K;

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fake-kernel: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(99);
}

/* ------------------------------------------------------------------ zones */

static const char *kernel_zone(uint64_t id)
{
	uint64_t start = id * K.block_size, last = start + K.block_size - 1;

	if (start < 16 * MIB && last >= 16 * MIB)
		return "none";
	if (last < 16 * MIB)
		return "DMA";
	if (start < 4 * GIB && last >= 4 * GIB)
		return "none";
	return last < 4 * GIB ? "DMA32" : "Normal";
}

/* Does the span of zone on node (lowest to highest online block in it) cover block id? */
static bool span_covers(int node, const char *zone, uint64_t id)
{
	uint64_t i, lo = UINT64_MAX, hi = 0;

	for (i = 0; i < MAX_BLOCKS; i++) {
		const struct fk_block *b = &K.b[i];

		if (!b->present || !b->online || b->node != node || strcmp(b->zone, zone))
			continue;
		if (lo == UINT64_MAX)
			lo = i;
		hi = i;
	}
	return lo != UINT64_MAX && id >= lo && id <= hi;
}

/* zone_for_pfn_range(MMOP_ONLINE) with contig-zones */
static const char *default_zone(uint64_t id)
{
	const char *kz = kernel_zone(id);
	bool in_k = span_covers(K.b[id].node, kz, id);
	bool in_m = span_covers(K.b[id].node, "Movable", id);

	if (in_k != in_m)
		return in_k ? kz : "Movable";
	return kz;
}

static void valid_zones_of(uint64_t id, char *buf, size_t len)
{
	const char *kz = kernel_zone(id), *dz;

	if (K.b[id].online) {
		snprintf(buf, len, "%s", K.b[id].zone);
		return;
	}
	dz = default_zone(id);
	snprintf(buf, len, "%s %s", dz, strcmp(dz, kz) ? kz : "Movable");
}

/* ------------------------------------------------------------------ files */

static void block_dir(uint64_t id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/memory%" PRIu64, K.memdir, id);
}

/* Replace a file by rename: inotify sees IN_MOVED_TO, not IN_CLOSE_WRITE, on its name. */
static void put_file(const char *path, const char *content)
{
	char tmp[PATH_MAX + 8];
	int fd;
	size_t len = strlen(content);

	snprintf(tmp, sizeof(tmp), "%s.fk~", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, content, len) != (ssize_t)len)
		die("cannot write %s: %s", tmp, strerror(errno));
	close(fd);
	if (rename(tmp, path) < 0)
		die("cannot rename %s: %s", tmp, strerror(errno));
}

static void put_attr(uint64_t id, const char *attr, const char *value)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], content[64];

	block_dir(id, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	snprintf(content, sizeof(content), "%s\n", value);
	put_file(path, content);
}

/* state, online, and the valid_zones of every block that changed (they depend on spans) */
static void refresh_files(uint64_t changed)
{
	uint64_t i;

	if (changed < MAX_BLOCKS && K.b[changed].present) {
		put_attr(changed, "state", K.b[changed].online ? "online" : "offline");
		put_attr(changed, "online", K.b[changed].online ? "1" : "0");
	}
	for (i = 0; i < MAX_BLOCKS; i++) {
		char vz[32];

		if (!K.b[i].present)
			continue;
		valid_zones_of(i, vz, sizeof(vz));
		if (!strcmp(vz, K.b[i].valid_zones))
			continue;
		snprintf(K.b[i].valid_zones, sizeof(K.b[i].valid_zones), "%s", vz);
		put_attr(i, "valid_zones", vz);
	}
}

static void uevent(uint64_t id, const char *action)
{
	char devpath[64];

	snprintf(devpath, sizeof(devpath), "/sys/devices/system/memory/memory%" PRIu64, id);
	umockdev_testbed_uevent(K.tb, devpath, action);
	K.nr_uevents++;
}

static void watch_block(uint64_t id)
{
	char dir[PATH_MAX];

	block_dir(id, dir, sizeof(dir));
	K.b[id].wd = inotify_add_watch(K.ino_fd, dir, IN_CLOSE_WRITE);
	if (K.b[id].wd < 0)
		die("inotify on %s: %s", dir, strerror(errno));
}

/* ------------------------------------------------------------------ audit */

static void record_write(const char *rel, const char *value)
{
	size_t need = strlen(rel) + strlen(value) + 3;
	char *nw = realloc(K.writes, K.writes_len + need + 1);

	if (!nw)
		die("out of memory");
	K.writes = nw;
	K.writes_len += (size_t)sprintf(K.writes + K.writes_len, " %s=%s", rel, value);
}

static void record_close(const char *rel)
{
	size_t i;

	for (i = 0; i < K.nr_closes; i++)
		if (!strcmp(K.closes[i].path, rel)) {
			K.closes[i].n++;
			return;
		}
	if (K.nr_closes < sizeof(K.closes) / sizeof(K.closes[0])) {
		snprintf(K.closes[K.nr_closes].path, sizeof(K.closes[0].path), "%s", rel);
		K.closes[K.nr_closes++].n = 1;
	}
}

static void drain_inotify(void)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(K.ino_fd, buf, sizeof(buf))) > 0) {
		char *p;

		for (p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			char rel[48];
			uint64_t id;

			p += sizeof(*ev) + ev->len;
			if (!ev->len)
				continue;
			if (ev->wd == K.wd_memdir) {
				if (strcmp(ev->name, "probe"))
					continue;
				record_close("probe");
				continue;
			}
			if (strcmp(ev->name, "state"))
				continue;
			for (id = 0; id < MAX_BLOCKS && !(K.b[id].present && K.b[id].wd == ev->wd); id++)
				;
			if (id == MAX_BLOCKS)
				continue;
			snprintf(rel, sizeof(rel), "memory%" PRIu64 "/state", id);
			record_close(rel);
		}
	}
}

/* ------------------------------------------------------------------ the kernel's answers */

static void add_block(uint64_t id, int node)
{
	char rec[1024];

	K.b[id] = (struct fk_block){ .present = true, .node = node };
	valid_zones_of(id, K.b[id].valid_zones, sizeof(K.b[id].valid_zones));
	snprintf(rec, sizeof(rec),
		 "P: /devices/system/memory/memory%" PRIu64 "\n"
		 "E: SUBSYSTEM=memory\n"
		 "A: phys_index=%08" PRIx64 "\\n\n"
		 "A: phys_device=0\\n\n"
		 "A: state=offline\\n\n"
		 "A: online=0\\n\n"
		 "A: removable=1\\n\n"
		 "A: valid_zones=%s\\n\n"
		 "L: node%d=../../node/node%d\n",
		 id, id, K.b[id].valid_zones, node, node);
	/* umockdev sends the "add" uevent itself, as device_add() does */
	if (!umockdev_testbed_add_from_string(K.tb, rec, NULL))
		die("cannot add memory%" PRIu64, id);
	K.nr_uevents++;
	watch_block(id);
	refresh_files(UINT64_MAX);
}

static int state_store(uint64_t id, const char *word)
{
	struct fk_block *b = &K.b[id];
	const char *zone;

	if (b->refuse_count && !b->refuse_after) {
		b->refuse_count--;
		return b->refuse_errno;
	}
	if (b->refuse_after)
		b->refuse_after--;
	if (!strcmp(word, "offline")) {
		if (!b->online)
			return EINVAL;
		if (!strcmp(b->zone, "none"))
			return EINVAL;      /* memory_block_offline(): mem->zone == NULL */
		b->online = false;
		b->zone[0] = '\0';
	} else {
		if (!strcmp(word, "online"))
			zone = default_zone(id);
		else if (!strcmp(word, "online_kernel"))
			zone = kernel_zone(id);
		else if (!strcmp(word, "online_movable"))
			zone = "Movable";
		else
			return EINVAL;      /* mhp_online_type_from_str() */
		if (b->online)
			return EINVAL;
		b->online = true;
		snprintf(b->zone, sizeof(b->zone), "%s", zone);
	}
	refresh_files(id);
	uevent(id, b->online ? "online" : "offline");
	return 0;
}

static int probe_store(const char *value)
{
	char *end;
	uint64_t addr, id;

	errno = 0;
	addr = strtoull(value, &end, 0);
	if (errno || end == value || (*end && *end != '\n'))
		return EINVAL;
	if (addr % K.block_size)
		return EINVAL;
	id = addr / K.block_size;
	if (id >= MAX_BLOCKS)
		return E2BIG;
	if (K.b[id].present)
		return EEXIST;
	add_block(id, K.probe_node);
	return 0;
}

/* "W memory72/state online_movable" from the shim */
static int handle_write(char *args)
{
	char *rel = args, *value = strchr(args, ' ');
	uint64_t id;
	int err;

	if (!value)
		return EINVAL;
	*value++ = '\0';
	record_write(rel, value);
	if (!strcmp(rel, "probe"))
		return probe_store(value);
	if (sscanf(rel, "memory%" SCNu64 "/state", &id) != 1 || id >= MAX_BLOCKS || !K.b[id].present)
		return ENODEV;
	err = state_store(id, value);
	/* O_TRUNC emptied the file: whatever the answer, it shows the state again */
	if (err)
		refresh_files(id);
	return err;
}

static int errno_parse(const char *s)
{
	static const struct {
		const char *name;
		int err;
	} names[] = {
		{ "EBUSY", EBUSY }, { "EINVAL", EINVAL }, { "EINTR", EINTR }, { "EPERM", EPERM },
		{ "EHWPOISON", EHWPOISON }, { "ENOMEM", ENOMEM }, { "EAGAIN", EAGAIN },
		{ "EACCES", EACCES }, { "EEXIST", EEXIST },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].err;
	return atoi(s);
}

/* Control requests; reply "ok ..." or "err ..." */
static void handle_ctl(char *line, char *reply, size_t len)
{
	char *argv[8], *save = NULL, *tok;
	int argc = 0;
	uint64_t id = 0, n, i;
	size_t off;

	for (tok = strtok_r(line, " ", &save); tok && argc < 8; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	if (!argc) {
		snprintf(reply, len, "err empty request");
		return;
	}
	if (argc > 1)
		id = strtoull(argv[1], NULL, 0);
	if (argc > 1 && id >= MAX_BLOCKS && strcmp(argv[0], "probe") && strncmp(argv[0], "dev", 3)) {
		snprintf(reply, len, "err block %s out of range", argv[1]);
		return;
	}
	if (!strcmp(argv[0], "add") && argc == 3) {
		if (K.b[id].present) {
			snprintf(reply, len, "err memory%" PRIu64 " exists", id);
			return;
		}
		add_block(id, atoi(argv[2]));
	} else if (!strcmp(argv[0], "burst") && argc == 4) {
		/* N blocks hot-added at once, N "add" uevents without waiting */
		n = strtoull(argv[2], NULL, 0);
		for (i = id; i < id + n; i++)
			if (i >= MAX_BLOCKS || K.b[i].present) {
				snprintf(reply, len, "err memory%" PRIu64 " exists", i);
				return;
			}
		for (i = id; i < id + n; i++)
			add_block(i, atoi(argv[3]));
	} else if (!strcmp(argv[0], "remove") && argc == 2) {
		char devpath[64];

		if (!K.b[id].present || K.b[id].online) {
			snprintf(reply, len, "err memory%" PRIu64 " is not an offline block", id);
			return;
		}
		/* device_del(): the uevent first, then the directory goes */
		uevent(id, "remove");
		inotify_rm_watch(K.ino_fd, K.b[id].wd);
		snprintf(devpath, sizeof(devpath), "/sys/devices/system/memory/memory%" PRIu64, id);
		umockdev_testbed_remove_device(K.tb, devpath);
		K.b[id].present = false;
		refresh_files(UINT64_MAX);
	} else if (!strcmp(argv[0], "set") && argc >= 3) {
		/* somebody else (a udev rule, chmem) changed the block; "quiet": no uevent */
		bool quiet = !strcmp(argv[argc - 1], "quiet");

		if (!K.b[id].present) {
			snprintf(reply, len, "err no memory%" PRIu64, id);
			return;
		}
		if (quiet)
			argc--;
		K.b[id].online = !strcmp(argv[2], "online");
		snprintf(K.b[id].zone, sizeof(K.b[id].zone), "%.15s",
			 K.b[id].online ? (argc > 3 ? argv[3] : kernel_zone(id)) : "");
		refresh_files(id);
		if (!quiet)
			uevent(id, K.b[id].online ? "online" : "offline");
	} else if (!strcmp(argv[0], "uevent") && argc == 3) {
		uevent(id, argv[2]);
	} else if (!strcmp(argv[0], "refuse") && argc >= 3) {
		/* refuse ID ERRNO [COUNT [AFTER]]: the kernel says ERRNO to COUNT writes, after AFTER */
		K.b[id].refuse_errno = errno_parse(argv[2]);
		K.b[id].refuse_count = argc > 3 ? (unsigned int)atoi(argv[3]) : 1;
		K.b[id].refuse_after = argc > 4 ? (unsigned int)atoi(argv[4]) : 0;
	} else if (!strcmp(argv[0], "devattr") && argc == 4) {
		/* devattr DEVPATH NAME VALUE: any attribute of any device (nd, dax) */
		char value[256];

		snprintf(value, sizeof(value), "%s\n", argv[3]);
		umockdev_testbed_set_attribute(K.tb, argv[1], argv[2], value);
	} else if (!strcmp(argv[0], "devuevent") && argc == 3) {
		umockdev_testbed_uevent(K.tb, argv[1], argv[2]);
		K.nr_uevents++;
	} else if (!strcmp(argv[0], "probe") && argc >= 2) {
		char path[PATH_MAX + 8];

		snprintf(path, sizeof(path), "%s/probe", K.memdir);
		if (!strcmp(argv[1], "on")) {
			K.probe_node = argc > 2 ? atoi(argv[2]) : 0;
			put_file(path, "");
		} else {
			unlink(path);
		}
	} else if (!strcmp(argv[0], "writes")) {
		drain_inotify();
		snprintf(reply, len, "ok%s", K.writes ? K.writes : "");
		return;
	} else if (!strcmp(argv[0], "closes")) {
		drain_inotify();
		off = (size_t)snprintf(reply, len, "ok");
		for (i = 0; i < K.nr_closes && off < len; i++)
			off += (size_t)snprintf(reply + off, len - off, " %s:%u", K.closes[i].path,
						K.closes[i].n);
		return;
	} else if (!strcmp(argv[0], "reset-audit")) {
		drain_inotify();
		free(K.writes);
		K.writes = NULL;
		K.writes_len = 0;
		K.nr_closes = 0;
	} else if (!strcmp(argv[0], "uevents")) {
		snprintf(reply, len, "ok %u", K.nr_uevents);
		return;
	} else {
		snprintf(reply, len, "err unknown request \"%s\" with %d arguments", argv[0], argc - 1);
		return;
	}
	snprintf(reply, len, "ok");
}

static void serve_one(int s)
{
	char line[4096], reply[8192];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(line) - 1) {
		n = read(s, line + got, sizeof(line) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(line, '\n', got))
			break;
	}
	line[got] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (line[0] == 'W' && line[1] == ' ')
		snprintf(reply, sizeof(reply), "%d\n", handle_write(line + 2));
	else {
		handle_ctl(line, reply, sizeof(reply) - 1);
		strcat(reply, "\n");
	}
	if (write(s, reply, strlen(reply)) < 0)
		fprintf(stderr, "fake-kernel: reply lost: %s\n", strerror(errno));
}

/* ------------------------------------------------------------------ set-up */

static void read_tree(void)
{
	char path[PATH_MAX + 64], buf[64];
	uint64_t id;
	FILE *f;

	snprintf(path, sizeof(path), "%s/block_size_bytes", K.memdir);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		die("no %s", path);
	fclose(f);
	K.block_size = strtoull(buf, NULL, 16);
	for (id = 0; id < MAX_BLOCKS; id++) {
		struct fk_block *b = &K.b[id];
		struct stat st;
		char dir[PATH_MAX];
		int nid;

		block_dir(id, dir, sizeof(dir));
		if (stat(dir, &st) < 0)
			continue;
		b->present = true;
		snprintf(path, sizeof(path), "%s/state", dir);
		f = fopen(path, "r");
		if (!f || !fgets(buf, sizeof(buf), f))
			die("no %s", path);
		fclose(f);
		b->online = !strncmp(buf, "online", 6);
		snprintf(path, sizeof(path), "%s/valid_zones", dir);
		f = fopen(path, "r");
		if (!f || !fgets(buf, sizeof(buf), f))
			die("no %s", path);
		fclose(f);
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(b->valid_zones, sizeof(b->valid_zones), "%.31s", buf);
		if (b->online)
			snprintf(b->zone, sizeof(b->zone), "%.15s", buf);
		b->node = 0;
		for (nid = 0; nid < 64; nid++) {
			snprintf(path, sizeof(path), "%s/node%d", dir, nid);
			if (lstat(path, &st) == 0) {
				b->node = nid;
				break;
			}
		}
		watch_block(id);
	}
}

/* As root: a network namespace of our own, with room for bursts of uevents. */
static void raise_qlen(void)
{
	FILE *f;

	K.qlen = 10;
	if (geteuid() != 0 || getenv("PMM_FAKE_KERNEL_NO_NETNS") || unshare(CLONE_NEWNET) < 0)
		return;
	f = fopen("/proc/sys/net/unix/max_dgram_qlen", "w");
	if (!f)
		return;
	if (fprintf(f, "%d\n", QLEN_WANTED) > 0 && fclose(f) == 0)
		K.qlen = QLEN_WANTED;
}

static int ctl_main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *sock = getenv("PMM_FAKE_KERNEL");
	char req[1024] = "", reply[8192];
	size_t off = 0, got = 0;
	int s, i;
	ssize_t n;

	if (!sock || strlen(sock) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "fake-kernel ctl: PMM_FAKE_KERNEL is not set\n");
		return 2;
	}
	for (i = 0; i < argc; i++)
		off += (size_t)snprintf(req + off, sizeof(req) - off, "%s%s", i ? " " : "", argv[i]);
	snprintf(req + off, sizeof(req) - off, "\n");
	strcpy(sa.sun_path, sock);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(s, req, strlen(req)) != (ssize_t)strlen(req)) {
		fprintf(stderr, "fake-kernel ctl: %s: %s\n", sock, strerror(errno));
		return 2;
	}
	while (got < sizeof(reply) - 1 && (n = read(s, reply + got, sizeof(reply) - 1 - got)) > 0)
		got += (size_t)n;
	reply[got] = '\0';
	fputs(reply, stdout);
	return strncmp(reply, "ok", 2) ? 1 : 0;
}

static void spawn_child(char **argv, const char *shim)
{
	char preload[4096], qlen[16];
	const char *old = getenv("LD_PRELOAD");
	sigset_t mask;

	/*
	 * The shim goes first: umockdev's preload calls libc directly (not the next write() in
	 * the chain), so a write must pass the shim before it reaches umockdev.
	 */
	snprintf(preload, sizeof(preload), "%s%s%s", shim ? shim : "", old && shim ? ":" : "",
		 old ? old : "");
	snprintf(qlen, sizeof(qlen), "%d", K.qlen);
	K.child = fork();
	if (K.child < 0)
		die("fork: %s", strerror(errno));
	if (K.child)
		return;
	sigemptyset(&mask);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	setenv("PMM_FAKE_KERNEL", K.sock, 1);
	setenv("PMM_FAKE_KERNEL_QLEN", qlen, 1);
	if (preload[0])
		setenv("LD_PRELOAD", preload, 1);
	execvp(argv[0], argv);
	fprintf(stderr, "fake-kernel: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int main(int argc, char **argv)
{
	const char *shim = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	sigset_t mask;
	int i, status = 0;

	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return ctl_main(argc - 2, argv + 2);
	if (!strstr(getenv("LD_PRELOAD") ? getenv("LD_PRELOAD") : "", "libumockdev-preload")) {
		/* the preload must be there from the start: umockdev-wrapper's job */
		char *nargv[argc + 2];

		nargv[0] = (char *)"umockdev-wrapper";
		for (i = 0; i < argc; i++)
			nargv[i + 1] = argv[i];
		nargv[argc + 1] = NULL;
		execvp(nargv[0], nargv);
		die("cannot run umockdev-wrapper: %s", strerror(errno));
	}
	/* before any thread exists (GLib starts some): SIGCHLD must reach only the signalfd */
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	raise_qlen();
	K.tb = umockdev_testbed_new();
	if (!K.tb)
		die("cannot create a umockdev testbed");
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		GError *err = NULL;

		if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			if (!umockdev_testbed_add_from_file(K.tb, argv[++i], &err))
				die("%s: %s", argv[i], err ? err->message : "cannot load");
		} else if (!strcmp(argv[i], "--shim") && i + 1 < argc) {
			shim = argv[++i];
		} else {
			die("usage: fake-kernel [--device FILE]... [--shim SO] -- COMMAND [ARGS...]");
		}
	}
	if (i >= argc - 1)
		die("no command after --");
	snprintf(K.root, sizeof(K.root), "%s", umockdev_testbed_get_root_dir(K.tb));
	snprintf(K.memdir, sizeof(K.memdir), "%s/sys/devices/system/memory", K.root);
	snprintf(K.sock, sizeof(K.sock), "%s/fake-kernel.sock", K.root);

	K.ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (K.ino_fd < 0)
		die("inotify: %s", strerror(errno));
	K.wd_memdir = inotify_add_watch(K.ino_fd, K.memdir, IN_CLOSE_WRITE);
	read_tree();

	K.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(sa.sun_path, K.sock);
	if (K.listen_fd < 0 || bind(K.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(K.listen_fd, 64) < 0)
		die("socket %s: %s", K.sock, strerror(errno));

	K.sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	spawn_child(argv + i + 1, shim);

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = K.listen_fd, .events = POLLIN },
			{ .fd = K.ino_fd, .events = POLLIN },
			{ .fd = K.sig_fd, .events = POLLIN },
		};

		/* the timeout is a safety net: the child is also reaped if a SIGCHLD went astray */
		if (waitpid(K.child, &status, WNOHANG) == K.child)
			break;
		if (poll(p, 3, 500) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (p[1].revents)
			drain_inotify();
		if (p[0].revents) {
			int s = accept4(K.listen_fd, NULL, NULL, SOCK_CLOEXEC);

			if (s >= 0) {
				serve_one(s);
				close(s);
			}
		}
		if (p[2].revents) {
			struct signalfd_siginfo si;

			if (read(K.sig_fd, &si, sizeof(si)) < 0)
				continue;
			if (waitpid(K.child, &status, WNOHANG) == K.child)
				break;
		}
	}
	unlink(K.sock);
	g_object_unref(K.tb);
	free(K.writes);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
