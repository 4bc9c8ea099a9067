/* SPDX-License-Identifier: MIT */
/* Growing arrays: the one way the daemon and pmmctl make room in an array they append to. */
#ifndef PMM_COMMON_ARRAY_H
#define PMM_COMMON_ARRAY_H

#include <stddef.h>

/*
 * Make *arrp (the address of any T *, size bytes a T) hold at least need elements; *cap is its
 * capacity in elements (0 for a NULL array). The first allocation is `first` elements (> 0),
 * then the capacity doubles, so appending n elements costs O(n). Returns 0, or -ENOMEM with
 * the array and *cap as they were.
 */
int pmm_array_reserve(void *arrp, size_t *cap, size_t need, size_t size, size_t first);

/* pmm_array_reserve() for the usual call: arr an lvalue of pointer type */
#define PMM_ARRAY_RESERVE(arr, cap, need, first) \
	pmm_array_reserve(&(arr), &(cap), (need), sizeof(*(arr)), (first))

#endif
