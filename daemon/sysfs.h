/* SPDX-License-Identifier: MIT */
/*
 * sysfs.c: the kernel's memory hotplug files, read and written the way the kernel expects.
 *
 * Every path is built under a sysfs root: the directory the kernel mounts as /sys ("/sys" in
 * production; under umockdev the preload redirects "/sys" into the testbed, so the default works
 * there too; a test may also point it at a plain directory tree). Only open/fopen/opendir/
 * readdir/stat are used: scandir, glob, nftw and raw statx escape umockdev's redirection.
 *
 * Numbers follow drivers/base/memory.c: block_size_bytes and phys_index are hex without "0x";
 * probe takes an address that the kernel parses with kstrtoull(buf, 0), so "0x..." is fine.
 * Writes are one write(2) on an O_TRUNC descriptor, so the kernel sees exactly one store() and
 * its errno comes back unchanged.
 */
#ifndef PMM_DAEMON_SYSFS_H
#define PMM_DAEMON_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm.h"

/* <root>/devices/system/memory, relative to the sysfs root */
#define SYSFS_MEMORY_DIR "devices/system/memory"

/*
 * One memory<id> directory as the kernel shows it. Invariants: zone is a zone only when state is
 * MEM_ONLINE and valid_zones names exactly one zone (an online block spanning zones or nodes
 * reads "none" and has zone -1); nid is -1 when the block has no node<N> link (!CONFIG_NUMA).
 */
struct sysfs_memory_block {
	uint64_t id;                 /* from the directory name */
	uint64_t phys_index;         /* the phys_index file (hex) */
	enum mm_block_state state;
	char state_raw[24];          /* the state file as read (for messages) */
	char valid_zones[64];
	int zone;                    /* enum mm_zone_type or -1 */
	bool removable;
	int nid;
};

/*
 * The memory tree at one instant. blocks is sorted by id, ids unique; block_size is a power of
 * two (memory_dev_init() refuses anything else).
 */
struct sysfs_memory {
	uint64_t block_size;
	char auto_online_blocks[24];
	bool has_probe;              /* CONFIG_ARCH_MEMORY_PROBE */
	struct sysfs_memory_block *blocks;
	size_t nr_blocks;
};

/* Read a small attribute, without its trailing newline. -errno; -EOVERFLOW if it does not fit. */
int sysfs_read_attr(const char *path, char *buf, size_t len);
/* Read a number in base 16 or 10 ("0x" accepted with 16); -EINVAL if malformed. */
int sysfs_read_u64(const char *path, int base, uint64_t *out);
/* One store() into an attribute: open O_WRONLY|O_TRUNC, one write(2). -errno of the kernel. */
int sysfs_write_attr(const char *path, const char *value);

/* "<root>/devices/system/memory" (malloc'd) */
int sysfs_memory_dir(const char *root, char **out);
/* "<memory_dir>/memory<id>/<attr>" (malloc'd) */
int sysfs_block_attr_path(const char *memory_dir, uint64_t id, const char *attr, char **out);

/* The zone a valid_zones word names ("DMA32" → ZONE_DMA32), -1 for "none" or unknown. */
int sysfs_zone_parse(const char *name);
/* "online" / "offline" / "going-offline" → MEM_*; -EINVAL for anything else. */
int sysfs_block_state_parse(const char *s, enum mm_block_state *out);

/*
 * Read one block. -ENOENT when memory<id> does not exist (a hole, or the block was removed);
 * any other -errno when an attribute cannot be read.
 */
int sysfs_memory_block_read(const char *memory_dir, uint64_t id, struct sysfs_memory_block *out);
/* Read the whole tree: block_size_bytes, auto_online_blocks, probe, every memory<id>. */
int sysfs_memory_read(const char *memory_dir, struct sysfs_memory *out, char **errmsg);
void sysfs_memory_free(struct sysfs_memory *m);
/* The block with this id in m, or NULL. */
const struct sysfs_memory_block *sysfs_memory_find(const struct sysfs_memory *m, uint64_t id);

#endif
