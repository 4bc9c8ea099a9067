/* SPDX-License-Identifier: MIT */
/* Sizes and addresses as chmem takes them: decimal or 0x hex, K/M/G/T/P binary suffixes. */
#ifndef PMM_COMMON_SIZE_H
#define PMM_COMMON_SIZE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse "4096", "0x200000000", "128M", "8G", "1.5G" is refused (no fractions). An optional "B"/"iB"
 * after the suffix is accepted ("128MiB"). Returns 0, -EINVAL for a malformed string, -ERANGE
 * when the value does not fit in 64 bits.
 */
int pmm_parse_size(const char *s, uint64_t *out);

/* Human size with binary units, exact when possible: "128M", "3G", "1.5G", "4K", "512". */
char *pmm_format_size(uint64_t v, char *buf, size_t len);

#endif
