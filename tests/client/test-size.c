/* SPDX-License-Identifier: MIT */
/* pmm_parse_size / pmm_format_size (common/size.c): the numbers pmmctl accepts, as chmem does. */
#include <errno.h>
#include <string.h>

#include "size.h"
#include "../tap.h"

static void parses(const char *s, uint64_t want)
{
	uint64_t v = 0xdeadbeef;
	int r = pmm_parse_size(s, &v);

	if (!ok(r == 0 && v == want, "\"%s\" = %" PRIu64, s, want))
		printf("#   got r=%d v=%" PRIu64 "\n", r, v);
}

static void refuses(const char *s, int err)
{
	uint64_t v = 12345;
	int r = pmm_parse_size(s, &v);

	if (!ok(r == err && v == 12345, "\"%s\" refused with %s, output untouched", s,
		err == -ERANGE ? "ERANGE" : "EINVAL"))
		printf("#   got r=%d v=%" PRIu64 "\n", r, v);
}

static void formats(uint64_t v, const char *want)
{
	char buf[32];

	pmm_format_size(v, buf, sizeof(buf));
	if (!ok(strcmp(buf, want) == 0, "%" PRIu64 " formats as \"%s\"", v, want))
		printf("#   got \"%s\"\n", buf);
}

int main(void)
{
	/* decimal, hex, suffixes */
	parses("0", 0);
	parses("4096", 4096);
	parses("0x0", 0);
	parses("0x200000000", 0x200000000ULL);
	parses("0X1f", 31);
	parses("0xABCdef", 0xabcdef);
	parses("1K", 1024);
	parses("1k", 1024);
	parses("128M", 128ULL << 20);
	parses("128MiB", 128ULL << 20);
	parses("128MB", 128ULL << 20);
	parses("8G", 8ULL << 30);
	parses("2T", 2ULL << 40);
	parses("1P", 1ULL << 50);
	parses("0x2G", 2ULL << 30);
	parses("00012", 12);                /* leading zeros are decimal, not octal */
	/* the limits of 64 bits */
	parses("18446744073709551615", UINT64_MAX);
	parses("0xffffffffffffffff", UINT64_MAX);
	parses("16383P", 16383ULL << 50);
	refuses("18446744073709551616", -ERANGE);
	refuses("99999999999999999999999", -ERANGE);
	refuses("0x10000000000000000", -ERANGE);
	refuses("16384P", -ERANGE);
	refuses("17179869184G", -ERANGE);
	refuses("0x1000000000000000000000G", -ERANGE);
	/* malformed */
	refuses("", -EINVAL);
	refuses("0x", -EINVAL);
	refuses("0xg", -EINVAL);
	refuses("x10", -EINVAL);
	refuses("-1", -EINVAL);
	refuses("+1", -EINVAL);
	refuses(" 1", -EINVAL);
	refuses("1 ", -EINVAL);
	refuses("1.5G", -EINVAL);
	refuses("1Q", -EINVAL);
	refuses("1b", -EINVAL);
	refuses("1GG", -EINVAL);
	refuses("1Gi", -EINVAL);
	refuses("1GiBx", -EINVAL);
	refuses("G", -EINVAL);
	refuses("12abc", -EINVAL);
	refuses("0x12 ", -EINVAL);
	/* formatting, as lsmem prints sizes */
	formats(0, "0");
	formats(512, "512");
	formats(4096, "4K");
	formats(128ULL << 20, "128M");
	formats(3ULL << 30, "3G");
	formats(3ULL << 29, "1.5G");
	formats(64ULL << 30, "64G");
	formats(1ULL << 40, "1T");
	return tap_done();
}
