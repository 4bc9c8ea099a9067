/* SPDX-License-Identifier: MIT */
#include "size.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int suffix_shift(char c)
{
	switch (toupper((unsigned char)c)) {
	case 'K': return 10;
	case 'M': return 20;
	case 'G': return 30;
	case 'T': return 40;
	case 'P': return 50;
	case 'E': return 60;
	default: return -1;
	}
}

int pmm_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int base = 10;
	const char *p = s;
	int shift = 0;

	if (!s || !*s)
		return -EINVAL;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		if (!isxdigit((unsigned char)*p))
			return -EINVAL;
	} else if (!isdigit((unsigned char)*p)) {
		return -EINVAL;
	}
	for (; *p; p++) {
		unsigned int d;

		if (isdigit((unsigned char)*p))
			d = (unsigned int)(*p - '0');
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = (unsigned int)(tolower((unsigned char)*p) - 'a' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	if (*p) {
		shift = suffix_shift(*p);
		if (shift < 0)
			return -EINVAL;
		p++;
		/* "M", "MB", "MiB" all mean 2^20, as chmem/lsmem print them */
		if (*p == 'i' && p[1] == 'B')
			p += 2;
		else if (*p == 'B')
			p++;
		if (*p)
			return -EINVAL;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

char *pmm_format_size(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	int i;

	/* pick the largest unit that keeps one decimal exact-ish, as lsmem does */
	for (i = 5; i >= 0; i--) {
		uint64_t unit = 1ULL << (10 * (i + 1));

		if (v < unit)
			continue;
		if (v % unit == 0)
			snprintf(buf, len, "%llu%c", (unsigned long long)(v / unit), units[i]);
		else
			snprintf(buf, len, "%.1f%c", (double)v / (double)unit, units[i]);
		return buf;
	}
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}
