/* SPDX-License-Identifier: MIT */
/* Aligned tables for people; scripts use --json. */
#include "table.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "size.h"

/* Invariant: cells holds nrows * ncols owned strings, row-major. */
struct table {
	const struct table_column *cols;
	size_t ncols, nrows, cap;
	char **cells;
};

struct table *table_new(const struct table_column *cols, size_t ncols)
{
	struct table *t = calloc(1, sizeof(*t));

	if (t) {
		t->cols = cols;
		t->ncols = ncols;
	}
	return t;
}

int table_add_row(struct table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **n = realloc(t->cells, cap * t->ncols * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->cells = n;
		t->cap = cap;
	}
	for (size_t c = 0; c < t->ncols; c++) {
		char *s = strdup(cells[c] ? cells[c] : "-");

		if (!s) {
			while (c--)
				free(t->cells[t->nrows * t->ncols + c]);
			return -ENOMEM;
		}
		t->cells[t->nrows * t->ncols + c] = s;
	}
	t->nrows++;
	return 0;
}

size_t table_rows(const struct table *t)
{
	return t->nrows;
}

static void print_cell(FILE *f, const char *s, size_t width, enum table_align align, bool last)
{
	size_t len = strlen(s);

	if (align == TABLE_RIGHT)
		fprintf(f, "%*s%s", (int)(width - len), "", s);
	else if (last)
		fputs(s, f);
	else
		fprintf(f, "%s%*s", s, (int)(width - len), "");
}

void table_print(const struct table *t, FILE *f)
{
	size_t *width = calloc(t->ncols, sizeof(*width));

	if (!width)
		return;
	for (size_t c = 0; c < t->ncols; c++) {
		width[c] = strlen(t->cols[c].header);
		for (size_t r = 0; r < t->nrows; r++) {
			size_t len = strlen(t->cells[r * t->ncols + c]);

			if (len > width[c])
				width[c] = len;
		}
	}
	for (size_t r = 0; r <= t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = r ? t->cells[(r - 1) * t->ncols + c] : t->cols[c].header;

			if (c)
				fputs("  ", f);
			print_cell(f, s, width[c], t->cols[c].align, c + 1 == t->ncols);
		}
		fputc('\n', f);
	}
	free(width);
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

const char *fmt_size(uint64_t v, bool bytes, char *buf, size_t len)
{
	if (bytes) {
		snprintf(buf, len, "%" PRIu64, v);
		return buf;
	}
	return pmm_format_size(v, buf, len);
}

const char *fmt_range(uint64_t start, uint64_t size, char *buf, size_t len)
{
	snprintf(buf, len, "0x%016" PRIx64 "-0x%016" PRIx64, start, start + size - (size ? 1 : 0));
	return buf;
}

const char *fmt_hex(uint64_t v, char *buf, size_t len)
{
	snprintf(buf, len, "0x%" PRIx64, v);
	return buf;
}
