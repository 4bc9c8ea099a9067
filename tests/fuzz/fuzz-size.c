/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: sizes and addresses as pmmctl and the configuration take them
 * (common/size.c pmm_parse_size). A value it accepts must read back the same when printed in
 * decimal, in hex, and as pmm_format_size() prints it exactly; a refusal is -EINVAL or -ERANGE.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "size.h"

#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "fuzz-size: " __VA_ARGS__); \
	fputc('\n', stderr); abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reads_back(const char *text, uint64_t v)
{
	uint64_t w = 0;
	int r = pmm_parse_size(text, &w);

	CHECK(r == 0 && w == v, "\"%s\" reads back as %d/0x%" PRIx64 ", not 0x%" PRIx64, text, r, w, v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), buf[64];
	uint64_t v = 0;
	int r;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	r = pmm_parse_size(s, &v);
	if (r == 0) {
		snprintf(buf, sizeof(buf), "%" PRIu64, v);
		reads_back(buf, v);
		snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
		reads_back(buf, v);
		pmm_format_size(v, buf, sizeof(buf));
		if (!strchr(buf, '.'))
			reads_back(buf, v);
	} else {
		CHECK(r == -EINVAL || r == -ERANGE, "refusal %d", r);
	}
	free(s);
	return 0;
}
