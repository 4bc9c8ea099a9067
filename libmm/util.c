/* SPDX-License-Identifier: MIT */
/* Failure descriptions: one sentence saying what and why, numbers in hex and binary units. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

int mm_fail(struct mm_err *e, int error, enum mm_cause cause, const char *fmt, ...)
{
	va_list ap;

	e->error = error;
	e->cause = cause;
	va_start(ap, fmt);
	vsnprintf(e->why, sizeof(e->why), fmt, ap);
	va_end(ap);
	return error;
}

int mm_record(const struct mm_model *mm, const struct mm_err *e)
{
	struct mm_err *dst = mm_errp(mm);

	if (!e->error) {
		mm_clear_error(mm);
		return 0;
	}
	*dst = *e;
	return e->error;
}

void mm_clear_error(const struct mm_model *mm)
{
	struct mm_err *e = mm_errp(mm);

	e->error = 0;
	e->cause = MM_CAUSE_NONE;
	e->why[0] = '\0';
}

const char *mm_hsize(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned int u = 0;
	uint64_t v = bytes;

	if (!bytes) {
		snprintf(buf, len, "0 B");
		return buf;
	}
	while (u < 6 && !(v & 1023)) {
		v >>= 10;
		u++;
	}
	if (u == 0 && bytes >= 1024)
		snprintf(buf, len, "%#" PRIx64 " bytes", bytes);
	else
		snprintf(buf, len, "%" PRIu64 " %s", v, units[u]);
	return buf;
}
