/* SPDX-License-Identifier: MIT */
/*
 * errors.c, the one table: libmm's cause decides the D-Bus error name, the errno decides when
 * there is no cause, and the handler's return value stays a negative errno.
 */
#include <errno.h>
#include <string.h>

#include "../tap.h"
#include "daemon/daemon.h"
#include "pmm-names.h"

static void name_is(int err, enum mm_cause cause, const char *want)
{
	const char *got = pmm_error_name(err, cause);

	ok(!strcmp(got, want), "errno %d cause %d -> %s (got %s)", err, (int)cause, want, got);
}

int main(void)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r;

	/* the contract's cases: the cause wins over the errno */
	name_is(-EINVAL, MM_CAUSE_MISALIGNED, PMM_ERROR_MISALIGNED);
	name_is(-EINVAL, MM_CAUSE_STATE, PMM_ERROR_INVALID_STATE);
	name_is(-EINVAL, MM_CAUSE_INVALID, PMM_ERROR_INVALID_ARGUMENT);
	name_is(-EEXIST, MM_CAUSE_OVERLAP, PMM_ERROR_OVERLAP);
	name_is(-EBUSY, MM_CAUSE_BUSY, PMM_ERROR_BUSY);
	name_is(-E2BIG, MM_CAUSE_RANGE, PMM_ERROR_OUT_OF_REGION);
	name_is(-ENOENT, MM_CAUSE_NOENT, PMM_ERROR_NOT_FOUND);
	name_is(-ENOMEM, MM_CAUSE_NOMEM, PMM_ERROR_NO_SPACE);
	name_is(-EOPNOTSUPP, MM_CAUSE_UNSUPPORTED, PMM_ERROR_UNSUPPORTED);
	name_is(-EINVAL, MM_CAUSE_BUSY, PMM_ERROR_BUSY);
	/* no cause: the errno */
	name_is(-EINVAL, MM_CAUSE_NONE, PMM_ERROR_INVALID_ARGUMENT);
	name_is(-EEXIST, MM_CAUSE_NONE, PMM_ERROR_OVERLAP);
	name_is(-EBUSY, MM_CAUSE_NONE, PMM_ERROR_BUSY);
	name_is(-EACCES, MM_CAUSE_NONE, PMM_ERROR_ACCESS_DENIED);
	name_is(-EOPNOTSUPP, MM_CAUSE_NONE, PMM_ERROR_UNSUPPORTED);
	name_is(EBUSY, MM_CAUSE_NONE, PMM_ERROR_BUSY);
	name_is(-EIO, MM_CAUSE_NONE, PMM_ERROR_FAILED);
	name_is(-EHWPOISON, MM_CAUSE_NONE, PMM_ERROR_FAILED);

	r = pmm_bus_error(&e, -EBUSY, MM_CAUSE_BUSY, "block %d is online", 64);
	is(r, -EBUSY, "pmm_bus_error returns the negative errno");
	ok(e.name && !strcmp(e.name, PMM_ERROR_BUSY), "the error carries the name");
	ok(e.message && !strcmp(e.message, "block 64 is online"), "the error carries the message");
	sd_bus_error_free(&e);
	r = pmm_bus_error(&e, 0, MM_CAUSE_NONE, "x");
	ok(r < 0, "a zero errno still fails the call (%d)", r);
	sd_bus_error_free(&e);
	return tap_done();
}
