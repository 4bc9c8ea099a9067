/* SPDX-License-Identifier: MIT */
/*
 * A minimal TAP producer for C tests: every check is one "ok"/"not ok" line that automake's
 * tap-driver counts. A check prints what it compared when it fails.
 */
#ifndef PMM_TESTS_TAP_H
#define PMM_TESTS_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned int tap_count, tap_failed;

__attribute__((format(printf, 2, 3), unused))
static int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %u - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __VA_ARGS__)

/* is(a, b, name): integer equality with both values in the diagnostic */
#define is(a, b, ...) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (!ok(_a == _b, __VA_ARGS__))					\
		printf("#   got %lld (0x%llx), expected %lld (0x%llx)\n",	\
		       _a, (unsigned long long)_a, _b, (unsigned long long)_b); \
} while (0)

__attribute__((unused))
static int tap_done(void)
{
	printf("1..%u\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
