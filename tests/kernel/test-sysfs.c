/* SPDX-License-Identifier: MIT */
/*
 * daemon/sysfs.c on a plain directory tree that looks like /sys/devices/system/memory:
 * number formats (hex without 0x), the three block states, valid_zones → zone, node links,
 * holes and stray entries, a bad tree refused with a reason, and writes that truncate.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/sysfs.h"
#include "tests/tap.h"

static char root[64], memdir[128];

static void put(const char *rel, const char *content)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", memdir, rel);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(99);
	}
	fputs(content, f);
	fclose(f);
}

static void dir(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", memdir, rel);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		perror(path);
		exit(99);
	}
}

static void block(unsigned int id, const char *state, const char *vz, int node)
{
	char rel[64], v[32];

	snprintf(rel, sizeof(rel), "memory%u", id);
	dir(rel);
	snprintf(rel, sizeof(rel), "memory%u/phys_index", id);
	snprintf(v, sizeof(v), "%08x\n", id);
	put(rel, v);
	snprintf(rel, sizeof(rel), "memory%u/state", id);
	snprintf(v, sizeof(v), "%s\n", state);
	put(rel, v);
	snprintf(rel, sizeof(rel), "memory%u/valid_zones", id);
	snprintf(v, sizeof(v), "%s\n", vz);
	put(rel, v);
	snprintf(rel, sizeof(rel), "memory%u/removable", id);
	put(rel, "1\n");
	if (node >= 0) {
		snprintf(rel, sizeof(rel), "memory%u/node%d", id, node);
		dir(rel);
	}
}

static void read_file(const char *rel, char *buf, size_t len)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", memdir, rel);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, len - 1);
	buf[n < 0 ? 0 : n] = '\0';
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	struct sysfs_memory m;
	struct sysfs_memory_block b;
	char *errmsg = NULL, *p = NULL, buf[256];
	uint64_t v;
	int r;

	snprintf(root, sizeof(root), "/tmp/pmm-sysfs.XXXXXX");
	if (!mkdtemp(root))
		return 99;
	r = sysfs_memory_dir(root, &p);
	ok(r == 0 && p, "sysfs_memory_dir");
	snprintf(memdir, sizeof(memdir), "%s", p);
	free(p);
	p = NULL;
	sysfs_memory_dir("/sys/", &p);
	ok(p && !strcmp(p, "/sys/devices/system/memory"), "\"/sys/\" and \"/sys\" name the same tree (%s)",
	   p ? p : "NULL");
	free(p);
	snprintf(buf, sizeof(buf), "%s/devices", root);
	mkdir(buf, 0755);
	snprintf(buf, sizeof(buf), "%s/devices/system", root);
	mkdir(buf, 0755);
	mkdir(memdir, 0755);

	/* no block_size_bytes: not a memory hotplug kernel */
	r = sysfs_memory_read(memdir, &m, &errmsg);
	ok(r == -ENOENT && errmsg && strstr(errmsg, "CONFIG_MEMORY_HOTPLUG"),
	   "no block_size_bytes: -ENOENT naming CONFIG_MEMORY_HOTPLUG (%s)", errmsg ? errmsg : "");
	free(errmsg);
	errmsg = NULL;
	put("block_size_bytes", "6000000\n");
	r = sysfs_memory_read(memdir, &m, &errmsg);
	ok(r == -EINVAL && errmsg && strstr(errmsg, "power of two"),
	   "a block size that is not a power of two is refused (%s)", errmsg ? errmsg : "");
	free(errmsg);
	errmsg = NULL;

	put("block_size_bytes", "8000000\n");
	put("auto_online_blocks", "online_movable\n");
	block(0, "online", "none", 0);
	block(5, "offline", "Normal Movable", 1);
	block(3, "online", "Movable", -1);
	block(4, "going-offline", "Normal", 0);
	dir("power");
	dir("memory_tiering");
	put("uevent", "");
	r = sysfs_memory_read(memdir, &m, &errmsg);
	ok(r == 0, "a tree of 4 blocks reads (%s)", errmsg ? errmsg : "");
	is(m.block_size, 0x8000000, "block_size_bytes is hex without 0x");
	ok(!strcmp(m.auto_online_blocks, "online_movable"), "auto_online_blocks without newline");
	ok(!m.has_probe, "no probe file: has_probe false");
	is(m.nr_blocks, 4, "stray entries (power, memory_tiering, uevent) are not blocks");
	ok(m.nr_blocks == 4 && m.blocks[0].id == 0 && m.blocks[1].id == 3 && m.blocks[2].id == 4 &&
	   m.blocks[3].id == 5, "blocks sorted by id, holes left out");
	ok(m.blocks[0].state == MEM_ONLINE && m.blocks[0].zone == -1 && m.blocks[0].nid == 0,
	   "memory0: online, valid_zones none → no zone, node 0");
	ok(m.blocks[1].state == MEM_ONLINE && m.blocks[1].zone == ZONE_MOVABLE && m.blocks[1].nid == -1,
	   "memory3: online Movable, no node link → nid -1");
	ok(m.blocks[2].state == MEM_GOING_OFFLINE && m.blocks[2].zone == -1,
	   "memory4: going-offline has no zone yet");
	ok(m.blocks[3].state == MEM_OFFLINE && m.blocks[3].zone == -1 && m.blocks[3].nid == 1 &&
	   !strcmp(m.blocks[3].valid_zones, "Normal Movable"),
	   "memory5: offline, valid_zones kept as the kernel wrote them, node 1");
	ok(m.blocks[3].phys_index == 5 && m.blocks[3].removable, "phys_index (hex) and removable");
	ok(sysfs_memory_find(&m, 4) == &m.blocks[2] && !sysfs_memory_find(&m, 1) &&
	   !sysfs_memory_find(&m, 6), "sysfs_memory_find: present ids only");
	sysfs_memory_free(&m);

	put("probe", "");
	r = sysfs_memory_read(memdir, &m, &errmsg);
	ok(r == 0 && m.has_probe, "a probe file: has_probe true");
	sysfs_memory_free(&m);

	is(sysfs_memory_block_read(memdir, 7, &b), -ENOENT, "a hole reads -ENOENT");
	put("memory5/state", "bogus\n");
	is(sysfs_memory_block_read(memdir, 5, &b), -EINVAL, "an unknown state word is -EINVAL");
	r = sysfs_memory_read(memdir, &m, &errmsg);
	ok(r == -EINVAL && errmsg && strstr(errmsg, "memory5"),
	   "the tree read names the bad block (%s)", errmsg ? errmsg : "");
	free(errmsg);
	errmsg = NULL;

	/* writes: one store(), truncating */
	put("memory5/state", "offline\n");
	snprintf(buf, sizeof(buf), "%s/memory5/state", memdir);
	is(sysfs_write_attr(buf, "online"), 0, "write \"online\" into a state file");
	read_file("memory5/state", buf, sizeof(buf));
	ok(!strcmp(buf, "online"), "the file holds exactly what was written (O_TRUNC): \"%s\"", buf);
	snprintf(buf, sizeof(buf), "%s/memory6/state", memdir);
	is(sysfs_write_attr(buf, "online"), -ENOENT, "writing a missing block's state: -ENOENT");
	snprintf(buf, sizeof(buf), "%s/memory5", memdir);
	is(sysfs_write_attr(buf, "online"), -EISDIR, "the kernel's errno comes back unchanged (EISDIR)");

	/* numbers */
	put("n", "0x10\n");
	snprintf(buf, sizeof(buf), "%s/n", memdir);
	ok(sysfs_read_u64(buf, 16, &v) == 0 && v == 16, "hex with 0x in base 16");
	put("n", "zz\n");
	is(sysfs_read_u64(buf, 16, &v), -EINVAL, "garbage is -EINVAL");
	put("n", "-1\n");
	is(sysfs_read_u64(buf, 10, &v), -EINVAL, "a negative number is -EINVAL");
	put("n", "\n");
	is(sysfs_read_u64(buf, 10, &v), -EINVAL, "an empty attribute is -EINVAL");

	/* words */
	is(sysfs_zone_parse("DMA32"), ZONE_DMA32, "valid_zones word DMA32");
	is(sysfs_zone_parse("Movable"), ZONE_MOVABLE, "valid_zones word Movable");
	is(sysfs_zone_parse("none"), -1, "none is no zone");
	{
		enum mm_block_state s;

		ok(sysfs_block_state_parse("going-offline", &s) == 0 && s == MEM_GOING_OFFLINE,
		   "state going-offline");
		is(sysfs_block_state_parse("online_movable", &s), -EINVAL,
		   "online_movable is a word to write, never one the kernel reads back");
	}

	snprintf(buf, sizeof(buf), "rm -rf '%s'", root);
	if (system(buf) != 0)
		fprintf(stderr, "# cannot remove %s\n", root);
	return tap_done();
}
