/* SPDX-License-Identifier: MIT */
/*
 * A small radix tree keyed by a 64-bit index, in the spirit of the kernel's xarray: 64 slots per
 * node, the tree grows in height as larger indices are stored and empty nodes are freed on
 * erase. drivers/base/memory.c keeps memory blocks in an xarray for the same reason we do: with
 * 52 physical bits and 128 MiB blocks there are 2^25 possible ids, and a flat array would cost
 * memory for ids that never exist.
 */
#include <stdlib.h>

#include "internal.h"

#define XA_CHUNK_SHIFT 6
#define XA_CHUNK_SIZE  (1u << XA_CHUNK_SHIFT)
#define XA_CHUNK_MASK  (XA_CHUNK_SIZE - 1)

/* Invariant: count == number of non-NULL slots; a node with count 0 is freed (except none). */
struct xa_node {
	unsigned int shift;      /* index bits below this level */
	unsigned int count;
	void *slots[XA_CHUNK_SIZE];
};

static unsigned int xa_offset(const struct xa_node *node, uint64_t index)
{
	return (unsigned int)((index >> node->shift) & XA_CHUNK_MASK);
}

/* Largest index the tree under node can hold. */
static uint64_t xa_node_max(const struct xa_node *node)
{
	unsigned int bits = node->shift + XA_CHUNK_SHIFT;

	return bits >= 64 ? UINT64_MAX : (1ULL << bits) - 1;
}

void *xa_load(const struct xarray *xa, uint64_t index)
{
	const struct xa_node *node = xa->head;

	if (!node || index > xa_node_max(node))
		return NULL;
	for (;;) {
		void *entry = node->slots[xa_offset(node, index)];

		if (!node->shift || !entry)
			return entry;
		node = entry;
	}
}

static struct xa_node *xa_node_alloc(unsigned int shift)
{
	struct xa_node *node = calloc(1, sizeof(*node));

	if (node)
		node->shift = shift;
	return node;
}

/* Grow the tree until index fits under the head. */
static int xa_expand(struct xarray *xa, uint64_t index)
{
	if (!xa->head) {
		unsigned int shift = 0;

		while (shift + XA_CHUNK_SHIFT < 64 && index >> (shift + XA_CHUNK_SHIFT))
			shift += XA_CHUNK_SHIFT;
		xa->head = xa_node_alloc(shift);
		return xa->head ? 0 : -ENOMEM;
	}
	while (index > xa_node_max(xa->head)) {
		struct xa_node *node = xa_node_alloc(xa->head->shift + XA_CHUNK_SHIFT);

		if (!node)
			return -ENOMEM;
		node->slots[0] = xa->head;
		node->count = 1;
		xa->head = node;
	}
	return 0;
}

int xa_store(struct xarray *xa, uint64_t index, void *entry)
{
	struct xa_node *node;
	int ret;

	if (!entry)
		return xa_erase(xa, index), 0;
	ret = xa_expand(xa, index);
	if (ret)
		return ret;
	node = xa->head;
	while (node->shift) {
		unsigned int off = xa_offset(node, index);
		struct xa_node *child = node->slots[off];

		if (!child) {
			child = xa_node_alloc(node->shift - XA_CHUNK_SHIFT);
			if (!child)
				return -ENOMEM;   /* empty intermediate nodes are harmless */
			node->slots[off] = child;
			node->count++;
		}
		node = child;
	}
	if (!node->slots[xa_offset(node, index)])
		node->count++;
	node->slots[xa_offset(node, index)] = entry;
	return 0;
}

static void *xa_erase_node(struct xa_node *node, uint64_t index, bool *emptied)
{
	unsigned int off = xa_offset(node, index);
	void *entry = node->slots[off];

	*emptied = false;
	if (!entry)
		return NULL;
	if (node->shift) {
		bool child_empty;
		void *old = xa_erase_node(entry, index, &child_empty);

		if (child_empty) {
			free(entry);
			node->slots[off] = NULL;
			node->count--;
		}
		*emptied = node->count == 0;
		return old;
	}
	node->slots[off] = NULL;
	node->count--;
	*emptied = node->count == 0;
	return entry;
}

void *xa_erase(struct xarray *xa, uint64_t index)
{
	bool emptied;
	void *old;

	if (!xa->head || index > xa_node_max(xa->head))
		return NULL;
	old = xa_erase_node(xa->head, index, &emptied);
	if (emptied) {
		free(xa->head);
		xa->head = NULL;
	}
	return old;
}

static void *xa_find_node(const struct xa_node *node, uint64_t *index)
{
	for (unsigned int off = xa_offset(node, *index); off < XA_CHUNK_SIZE; off++) {
		unsigned int bits = node->shift + XA_CHUNK_SHIFT;
		uint64_t level_mask = bits >= 64 ? UINT64_MAX : (1ULL << bits) - 1;
		uint64_t base = (*index & ~level_mask) | ((uint64_t)off << node->shift);
		void *entry = node->slots[off];

		if (!entry)
			continue;
		/* entering a later slot: start from its first index */
		if (base > *index)
			*index = base;
		if (!node->shift)
			return entry;
		entry = xa_find_node(entry, index);
		if (entry)
			return entry;
		if (off == XA_CHUNK_MASK)
			break;
		/* the child had nothing at or after *index: continue at the next slot's start */
		*index = base + (1ULL << node->shift) - 1;
		if (*index == UINT64_MAX)
			return NULL;
		(*index)++;
	}
	return NULL;
}

void *xa_find(const struct xarray *xa, uint64_t *index)
{
	if (!xa->head || *index > xa_node_max(xa->head))
		return NULL;
	return xa_find_node(xa->head, index);
}

static void xa_destroy_node(struct xa_node *node)
{
	if (node->shift)
		for (unsigned int i = 0; i < XA_CHUNK_SIZE; i++)
			if (node->slots[i])
				xa_destroy_node(node->slots[i]);
	free(node);
}

void xa_destroy(struct xarray *xa)
{
	if (xa->head)
		xa_destroy_node(xa->head);
	xa->head = NULL;
}
