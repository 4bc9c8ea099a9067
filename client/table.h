/* SPDX-License-Identifier: MIT */
/* Aligned text tables and the size/range formats of pmmctl's human output. */
#ifndef PMM_CLIENT_TABLE_H
#define PMM_CLIENT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct table;

enum table_align { TABLE_LEFT, TABLE_RIGHT };

struct table_column {
	const char *header;
	enum table_align align;
};

/* A table of ncols columns; cells are copied. NULL on allocation failure. */
struct table *table_new(const struct table_column *cols, size_t ncols);
/* Append one row of ncols cells (a NULL cell prints as "-"); 0 or -ENOMEM. */
int table_add_row(struct table *t, const char *const *cells);
size_t table_rows(const struct table *t);
/* Print with two spaces between columns, trailing blanks trimmed. */
void table_print(const struct table *t, FILE *f);
void table_free(struct table *t);

static inline void table_freep(struct table **t)
{
	table_free(*t);
}
#define _cleanup_table_ __attribute__((cleanup(table_freep)))

/* A size as lsmem prints it ("128M", "1.5G"), or the byte count when bytes is set. */
const char *fmt_size(uint64_t v, bool bytes, char *buf, size_t len);
/* [start, start + size) as lsmem's RANGE: "0x0000000200000000-0x000000023fffffff". */
const char *fmt_range(uint64_t start, uint64_t size, char *buf, size_t len);
/* "0x200000000" */
const char *fmt_hex(uint64_t v, char *buf, size_t len);

#endif
