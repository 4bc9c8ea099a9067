/* SPDX-License-Identifier: MIT */
/*
 * pmmctl map [--svg FILE]: the physical address space from 0 to the end of the highest managed
 * region or present memory, drawn from the daemon's own listings (status, blocks, ranges,
 * namespaces). The picture is first reduced to exact runs [start, end) of one kind; the terminal
 * grid and the SVG are two renderings of those runs, and --json prints them.
 */
#include "pmmctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "pmm-json-fields.h"
#include "size.h"
#include "table.h"

/*
 * What a piece of the address space is. Invariant: the order is the drawing priority: where
 * several overlap (a device range inside a managed region, a cell holding a 2 MiB altmap part
 * and free space), the higher kind is shown.
 */
enum map_kind {
	MAP_HOLE,        /* nothing: not present, not managed */
	MAP_FREE,        /* managed (host-reserved) space with nothing added */
	MAP_NAMESPACE,   /* a pmem namespace not in use */
	MAP_BOOT,        /* boot RAM: an online block outside the managed regions */
	MAP_OFFLINE,     /* an offline (or going-offline) memory block */
	MAP_NORMAL,      /* an online block in a kernel zone (DMA, DMA32, Normal) */
	MAP_MOVABLE,     /* an online block in ZONE_MOVABLE */
	MAP_DEVICE,      /* a ZONE_DEVICE range */
	MAP_ALTMAP,      /* the part of a map=dev device range that holds its own memmap */
	NR_MAP_KINDS,
};

static const struct map_style {
	const char *name;     /* JSON */
	char glyph;           /* terminal */
	const char *ansi;     /* terminal colour */
	const char *fill;     /* SVG */
	const char *legend;
} map_styles[NR_MAP_KINDS] = {
	[MAP_HOLE]      = { "hole",      '-', "2",  "#d0d0d0", "hole" },
	[MAP_FREE]      = { "free",      '.', "0",  "#ffffff", "free managed space" },
	[MAP_NAMESPACE] = { "namespace", 'p', "36", "#dadaeb", "pmem namespace (not in use)" },
	[MAP_BOOT]      = { "boot",      '#', "37", "#525252", "boot RAM online" },
	[MAP_OFFLINE]   = { "offline",   'o', "33", "#fd8d3c", "offline block" },
	[MAP_NORMAL]    = { "normal",    'N', "34", "#2c7fb8", "online block (Normal)" },
	[MAP_MOVABLE]   = { "movable",   'M', "32", "#41ab5d", "online block (Movable)" },
	[MAP_DEVICE]    = { "device",    'D', "35", "#8856a7", "device range (ZONE_DEVICE)" },
	[MAP_ALTMAP]    = { "altmap",    'd', "31", "#e7298a", "device memmap (map=dev altmap)" },
};

struct span {
	uint64_t start, end;
	enum map_kind kind;
};

struct map {
	struct span *spans;      /* input, any order, may overlap */
	size_t nspans, cap;
	struct span *runs;       /* output: disjoint, sorted, covering [0, end), adjacent differ */
	size_t nruns;
	uint64_t end;
	uint64_t page_size, block_size;
};

static int map_add(struct map *map, uint64_t start, uint64_t size, enum map_kind kind)
{
	if (!size)
		return 0;
	if (map->nspans == map->cap) {
		size_t cap = map->cap ? map->cap * 2 : 64;
		struct span *n = realloc(map->spans, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		map->spans = n;
		map->cap = cap;
	}
	map->spans[map->nspans++] = (struct span){ start, start + size, kind };
	if (start + size > map->end)
		map->end = start + size;
	return 0;
}

/* ------------------------------------------------------------------ reading the listings */

static json_object *listing_array(json_object *root, const char *kind)
{
	json_object *arr;

	if (!root || !json_object_object_get_ex(root, kind, &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return NULL;
	return arr;
}

static int add_managed_regions(struct map *map, json_object *status)
{
	json_object *arr = listing_array(status, PMM_J_MANAGED_REGIONS);

	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		uint64_t start, size;

		if (pmm_json_get_u64(o, PMM_J_START, &start) && pmm_json_get_u64(o, PMM_J_SIZE, &size)
		    && map_add(map, start, size, MAP_FREE) < 0)
			return -ENOMEM;
	}
	return 0;
}

static enum map_kind block_kind(json_object *b)
{
	const char *state = pmm_json_get_str(b, PMM_J_STATE);
	const char *zone = pmm_json_get_str(b, PMM_J_ZONE);
	bool managed = false;

	pmm_json_get_bool(b, PMM_J_MANAGED, &managed);
	if (!state || strcmp(state, "online") != 0)
		return MAP_OFFLINE;
	if (!managed)
		return MAP_BOOT;
	return zone && strcmp(zone, "Movable") == 0 ? MAP_MOVABLE : MAP_NORMAL;
}

static int add_blocks(struct map *map, json_object *root)
{
	json_object *arr = listing_array(root, PMM_LIST_BLOCKS);

	if (!arr)
		return -EBADMSG;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *b = json_object_array_get_idx(arr, i);
		uint64_t start, size;

		if (!pmm_json_get_u64(b, PMM_J_START, &start) || !pmm_json_get_u64(b, PMM_J_SIZE, &size))
			return -EBADMSG;
		if (map_add(map, start, size, block_kind(b)) < 0)
			return -ENOMEM;
	}
	return 0;
}

/*
 * FLATMEM and DISCONTIGMEM have no memory blocks (the kernel has none without SPARSEMEM), so
 * their boot RAM is found by asking LookupPfn once per block-sized cell: a valid pfn that is
 * not PG_reserved is RAM (the holes inside a FLATMEM mem_map are valid and reserved). The walk
 * ends once it has found all present memory, and never goes past MAX_PHYSMEM_BITS or 64Ki
 * cells (8 TiB of 128 MiB blocks).
 */
static int add_boot_by_lookup(struct pmmctl *ctx, struct map *map, json_object *status)
{
	uint64_t present = 0, bits = 0, found = 0, step = map->block_size, a;

	pmm_json_get_u64(status, PMM_J_PRESENT_BYTES, &present);
	pmm_json_get_u64(status, PMM_J_MAX_PHYSMEM_BITS, &bits);
	if (!step || !map->page_size || !bits || bits > 63)
		return 0;
	for (a = 0; found < present && a < (UINT64_C(1) << bits) && a / step < 65536; a += step) {
		_cleanup_json_ json_object *info = NULL;
		json_object *flags = NULL;
		bool valid = false, reserved = false;
		int r = pmm_lookup_pfn(ctx, a / map->page_size, &info);

		if (r)
			return r;
		pmm_json_get_bool(info, PMM_J_VALID, &valid);
		if (json_object_object_get_ex(info, PMM_J_FLAGS, &flags) && flags)
			for (size_t i = 0; i < json_object_array_length(flags); i++)
				reserved |= !strcmp(json_object_get_string(
							    json_object_array_get_idx(flags, i)),
						    "reserved");
		if (!valid || reserved)
			continue;
		found += step;
		if (map_add(map, a, step, MAP_BOOT) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* A device range; with map=dev its first pages hold the info block and the memmap. */
static int add_device_range(struct map *map, json_object *o, uint64_t start, uint64_t size)
{
	json_object *altmap = NULL;
	uint64_t base_pfn, reserve = 0, free = 0, alloc = 0, end;

	if (map_add(map, start, size, MAP_DEVICE) < 0)
		return -ENOMEM;
	if (!json_object_object_get_ex(o, PMM_J_ALTMAP, &altmap) || !altmap ||
	    !pmm_json_get_u64(altmap, PMM_J_BASE_PFN, &base_pfn) || !map->page_size)
		return 0;
	pmm_json_get_u64(altmap, PMM_J_RESERVE, &reserve);
	pmm_json_get_u64(altmap, PMM_J_FREE, &free);
	pmm_json_get_u64(altmap, PMM_J_ALLOC, &alloc);
	/* vmem_altmap: reserve (info block) then free pfns set aside for the memmap */
	end = (base_pfn + reserve + (free ? free : alloc)) * map->page_size;
	if (end > start + size)
		end = start + size;
	return end > start ? map_add(map, start, end - start, MAP_ALTMAP) : 0;
}

static int add_ranges(struct map *map, json_object *root)
{
	json_object *arr = listing_array(root, PMM_LIST_RANGES);

	if (!arr)
		return -EBADMSG;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		const char *kind = pmm_json_get_str(o, PMM_J_KIND);
		uint64_t start, size;
		int r;

		if (!pmm_json_get_u64(o, PMM_J_START, &start) || !pmm_json_get_u64(o, PMM_J_SIZE, &size))
			return -EBADMSG;
		/* System RAM ranges are drawn through their blocks */
		if (!kind || strcmp(kind, "device") != 0)
			continue;
		r = add_device_range(map, o, start, size);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_namespaces(struct map *map, json_object *root)
{
	json_object *arr = listing_array(root, PMM_LIST_NAMESPACES);

	if (!arr)
		return -EBADMSG;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		uint64_t start, size;
		bool in_use = false;

		pmm_json_get_bool(o, PMM_J_IN_USE, &in_use);
		if (in_use || !pmm_json_get_u64(o, PMM_J_START, &start) ||
		    !pmm_json_get_u64(o, PMM_J_SIZE, &size))
			continue;
		if (map_add(map, start, size, MAP_NAMESPACE) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* ------------------------------------------------------------------ spans → runs */

struct event {
	uint64_t at;
	enum map_kind kind;
	int delta;
};

static int cmp_event(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	return x->at < y->at ? -1 : x->at > y->at;
}

static int map_push_run(struct map *map, size_t *cap, uint64_t start, uint64_t end,
			enum map_kind kind)
{
	if (start >= end)
		return 0;
	if (map->nruns && map->runs[map->nruns - 1].kind == kind &&
	    map->runs[map->nruns - 1].end == start) {
		map->runs[map->nruns - 1].end = end;
		return 0;
	}
	if (map->nruns == *cap) {
		size_t n = *cap ? *cap * 2 : 64;
		struct span *r = realloc(map->runs, n * sizeof(*r));

		if (!r)
			return -ENOMEM;
		map->runs = r;
		*cap = n;
	}
	map->runs[map->nruns++] = (struct span){ start, end, kind };
	return 0;
}

/* Sweep the span boundaries; between two of them the highest kind with coverage wins. */
static int map_build_runs(struct map *map)
{
	_cleanup_free_ struct event *ev = calloc(map->nspans * 2 + 1, sizeof(*ev));
	unsigned int count[NR_MAP_KINDS] = { 0 };
	uint64_t pos = 0;
	size_t cap = 0;

	if (!ev)
		return -ENOMEM;
	for (size_t i = 0; i < map->nspans; i++) {
		ev[2 * i] = (struct event){ map->spans[i].start, map->spans[i].kind, +1 };
		ev[2 * i + 1] = (struct event){ map->spans[i].end, map->spans[i].kind, -1 };
	}
	qsort(ev, map->nspans * 2, sizeof(*ev), cmp_event);
	for (size_t i = 0; i < map->nspans * 2; ) {
		enum map_kind top = MAP_HOLE;
		uint64_t at = ev[i].at;

		for (int k = NR_MAP_KINDS - 1; k > MAP_HOLE; k--)
			if (count[k]) {
				top = (enum map_kind)k;
				break;
			}
		if (map_push_run(map, &cap, pos, at, top) < 0)
			return -ENOMEM;
		pos = at;
		for (; i < map->nspans * 2 && ev[i].at == at; i++)
			count[ev[i].kind] += (unsigned int)ev[i].delta;
	}
	return map_push_run(map, &cap, pos, map->end, MAP_HOLE);
}

/* ------------------------------------------------------------------ geometry of the picture */

#define MAP_COLUMNS 64
#define MAP_MAX_LINES 32

/* Cell = block size (or a power-of-two multiple), so one cell is one block where it can be. */
static void map_grid(const struct map *map, uint64_t *cell, uint64_t *lines)
{
	uint64_t c = map->block_size ? map->block_size : 128ULL << 20;

	while ((map->end + c * MAP_COLUMNS - 1) / (c * MAP_COLUMNS) > MAP_MAX_LINES)
		c *= 2;
	*cell = c;
	*lines = map->end ? (map->end + c * MAP_COLUMNS - 1) / (c * MAP_COLUMNS) : 0;
}

static void print_terminal(const struct pmmctl *ctx, const struct map *map)
{
	bool colour = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	_cleanup_free_ unsigned char *cells = NULL;
	uint64_t cell, lines, ncells;
	char a[32], b[32], per_line[32];

	map_grid(map, &cell, &lines);
	ncells = lines * MAP_COLUMNS;
	cells = calloc(ncells ? ncells : 1, 1);
	if (!cells)
		return;
	for (size_t i = 0; i < map->nruns; i++) {
		const struct span *s = &map->runs[i];

		for (uint64_t c = s->start / cell; c <= (s->end - 1) / cell && c < ncells; c++)
			if (s->kind > cells[c])
				cells[c] = (unsigned char)s->kind;
	}
	printf("Physical address space 0x0-0x%" PRIx64 " (%s): one character = %s, one line = %s\n\n",
	       map->end ? map->end - 1 : 0, fmt_size(map->end, ctx->bytes, a, sizeof(a)),
	       fmt_size(cell, ctx->bytes, b, sizeof(b)),
	       fmt_size(cell * MAP_COLUMNS, ctx->bytes, per_line, sizeof(per_line)));
	for (uint64_t l = 0; l < lines; l++) {
		printf("0x%012" PRIx64 " ", l * cell * MAP_COLUMNS);
		for (uint64_t c = 0; c < MAP_COLUMNS; c++) {
			const struct map_style *st = &map_styles[cells[l * MAP_COLUMNS + c]];

			/* past the drawn space (a last line longer than it): nothing, not a hole */
			if ((l * MAP_COLUMNS + c) * cell >= map->end)
				putchar(' ');
			else if (colour)
				printf("\033[%sm%c\033[0m", st->ansi, st->glyph);
			else
				putchar(st->glyph);
		}
		printf(" %s\n", fmt_size(l * cell * MAP_COLUMNS, ctx->bytes, a, sizeof(a)));
	}
	printf("\nLegend:\n");
	for (int k = NR_MAP_KINDS - 1; k >= 0; k--)
		printf("  %c  %s\n", map_styles[k].glyph, map_styles[k].legend);
}

/* ------------------------------------------------------------------ SVG */

#define SVG_LEFT 150
#define SVG_BAR 1024
#define SVG_TOP 60
#define SVG_ROW 26
#define SVG_BAR_H 18

static void svg_row(FILE *f, const struct map *map, uint64_t row_start, uint64_t row_size,
		    unsigned int y)
{
	for (size_t i = 0; i < map->nruns; i++) {
		const struct span *s = &map->runs[i];
		uint64_t a = s->start > row_start ? s->start : row_start;
		uint64_t b = s->end < row_start + row_size ? s->end : row_start + row_size;
		double x, w;

		if (a >= b)
			continue;
		x = SVG_LEFT + (double)(a - row_start) * SVG_BAR / (double)row_size;
		w = (double)(b - a) * SVG_BAR / (double)row_size;
		/* a 2 MiB altmap in a 64 GiB row still shows */
		if (w < 1.0)
			w = 1.0;
		fprintf(f, "<rect x=\"%.2f\" y=\"%u\" width=\"%.2f\" height=\"%u\" fill=\"%s\">"
			"<title>%s 0x%" PRIx64 "-0x%" PRIx64 "</title></rect>\n",
			x, y, w, SVG_BAR_H, map_styles[s->kind].fill, map_styles[s->kind].legend,
			s->start, s->end - 1);
	}
	fprintf(f, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" fill=\"none\" "
		"stroke=\"#000\" stroke-width=\"0.5\"/>\n", SVG_LEFT, y, SVG_BAR, SVG_BAR_H);
}

static void write_svg(FILE *f, const struct pmmctl *ctx, const struct map *map)
{
	uint64_t cell, lines, row;
	unsigned int height, legend_y;
	char a[32], b[32];

	map_grid(map, &cell, &lines);
	row = cell * MAP_COLUMNS;
	legend_y = SVG_TOP + (unsigned int)lines * SVG_ROW + 20;
	height = legend_y + (NR_MAP_KINDS + 1) * 20;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
		"viewBox=\"0 0 %u %u\" font-family=\"monospace\" font-size=\"12\">\n"
		"<title>pmm physical address map</title>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n",
		SVG_LEFT + SVG_BAR + 80, height, SVG_LEFT + SVG_BAR + 80, height);
	fprintf(f, "<text x=\"10\" y=\"20\" font-size=\"14\">Physical address space 0x0-0x%" PRIx64
		" (%s), one row = %s</text>\n", map->end ? map->end - 1 : 0,
		pmm_format_size(map->end, a, sizeof(a)), pmm_format_size(row, b, sizeof(b)));
	/* the offset axis above the rows */
	for (unsigned int t = 0; t <= 8; t++) {
		unsigned int x = SVG_LEFT + t * SVG_BAR / 8;

		fprintf(f, "<line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" stroke=\"#000\"/>\n", x,
			SVG_TOP - 8, x, SVG_TOP - 2);
		fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">+%s</text>\n", x,
			SVG_TOP - 12, pmm_format_size(row / 8 * t, a, sizeof(a)));
	}
	for (uint64_t l = 0; l < lines; l++) {
		unsigned int y = SVG_TOP + (unsigned int)l * SVG_ROW;

		fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">0x%" PRIx64 " (%s)</text>\n",
			SVG_LEFT - 8, y + 13, l * row, pmm_format_size(l * row, a, sizeof(a)));
		svg_row(f, map, l * row, row, y);
	}
	fprintf(f, "<text x=\"10\" y=\"%u\" font-size=\"13\">Legend</text>\n", legend_y);
	for (int k = NR_MAP_KINDS - 1, i = 1; k >= 0; k--, i++) {
		unsigned int y = legend_y + (unsigned int)i * 20 - 12;

		fprintf(f, "<rect x=\"20\" y=\"%u\" width=\"24\" height=\"14\" fill=\"%s\" "
			"stroke=\"#000\" stroke-width=\"0.5\"/>\n", y, map_styles[k].fill);
		fprintf(f, "<text x=\"52\" y=\"%u\">%s</text>\n", y + 11, map_styles[k].legend);
	}
	fputs("</svg>\n", f);
	(void)ctx;
}

static int save_svg(const struct pmmctl *ctx, const struct map *map, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "we");
	int r = 0;

	if (!f)
		return -errno;
	write_svg(f, ctx, map);
	if (fflush(f) != 0 || ferror(f))
		r = errno ? -errno : -EIO;
	if (f != stdout && fclose(f) != 0 && !r)
		r = -errno;
	return r;
}

static void print_json(const struct map *map)
{
	_cleanup_json_ json_object *root = json_object_new_object();
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < map->nruns; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, PMM_J_START, json_object_new_uint64(map->runs[i].start));
		json_object_object_add(o, PMM_J_SIZE,
				       json_object_new_uint64(map->runs[i].end - map->runs[i].start));
		json_object_object_add(o, PMM_J_KIND,
				       json_object_new_string(map_styles[map->runs[i].kind].name));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "map", arr);
	pmm_json_print(root);
}

/* ------------------------------------------------------------------ the verb */

static int map_option(struct pmmctl *ctx, void *data, int opt, const char *arg)
{
	const char **svg = data;

	if (opt != 's')
		return PMM_EXIT_USAGE;
	if (!*arg)
		return pmm_usage_error(ctx, "--svg needs a file name");
	*svg = arg;
	return 0;
}

static void map_free(struct map *map)
{
	free(map->spans);
	free(map->runs);
}

/* Fetch the four documents and reduce them to runs. */
static int map_load(struct pmmctl *ctx, struct map *map)
{
	_cleanup_free_ char *status_s = NULL, *blocks_s = NULL, *ranges_s = NULL, *ns_s = NULL;
	_cleanup_json_ json_object *status = NULL, *blocks = NULL, *ranges = NULL, *ns = NULL;
	int r;

	r = pmm_describe(ctx, &status_s);
	if (!r)
		r = pmm_list(ctx, PMM_LIST_BLOCKS, &blocks_s);
	if (!r)
		r = pmm_list(ctx, PMM_LIST_RANGES, &ranges_s);
	if (!r)
		r = pmm_list(ctx, PMM_LIST_NAMESPACES, &ns_s);
	if (r)
		return r;
	status = json_tokener_parse(status_s);
	blocks = json_tokener_parse(blocks_s);
	ranges = json_tokener_parse(ranges_s);
	ns = json_tokener_parse(ns_s);
	if (!status)
		return -EBADMSG;
	pmm_json_get_u64(status, PMM_J_PAGE_SIZE, &map->page_size);
	pmm_json_get_u64(status, PMM_J_BLOCK_SIZE, &map->block_size);
	r = add_managed_regions(map, status);
	if (!r)
		r = add_namespaces(map, ns);
	if (!r)
		r = add_blocks(map, blocks);
	if (!r && !json_object_array_length(listing_array(blocks, PMM_LIST_BLOCKS)))
		r = add_boot_by_lookup(ctx, map, status);
	if (!r)
		r = add_ranges(map, ranges);
	if (!r)
		r = map_build_runs(map);
	return r;
}

int verb_map(struct pmmctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "svg", required_argument, NULL, 's' },
		{ 0 }
	};
	_cleanup_(map_free) struct map map = { 0 };
	const char *svg = NULL;
	char **pos;
	int npos, r;

	r = pmm_parse_verb(ctx, pmm_verb_lookup("map"), argc, argv, "", opts, map_option, &svg,
			   &pos, &npos);
	if (r)
		return r;
	if (svg && strcmp(svg, "-") == 0 && ctx->json)
		return pmm_usage_error(ctx, "--svg - and --json both want stdout");
	r = map_load(ctx, &map);
	if (r > 0)
		return r;          /* an exit status: the call failed and was reported */
	if (r < 0) {
		fprintf(stderr, "pmmctl: map: cannot read the daemon's listings: %s\n",
			r == -ENOMEM ? strerror(ENOMEM) : "malformed JSON");
		return PMM_EXIT_REFUSED;
	}
	if (svg) {
		r = save_svg(ctx, &map, svg);
		if (r < 0) {
			fprintf(stderr, "pmmctl: map: cannot write %s: %s\n", svg, strerror(-r));
			return PMM_EXIT_REFUSED;
		}
	}
	if (ctx->json)
		print_json(&map);
	else if (svg && strcmp(svg, "-") != 0)
		printf("wrote %s (%zu runs)\n", svg, map.nruns);
	else if (!svg)
		print_terminal(ctx, &map);
	return PMM_EXIT_OK;
}
