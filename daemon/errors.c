/* SPDX-License-Identifier: MIT */
/*
 * The one table from libmm's (errno, mm_cause) to the contract's D-Bus error names. Nothing
 * else in the daemon picks an error name: the daemon's own checks also speak (errno, cause)
 * and come through here, so a refusal is named the same whoever detected it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "daemon.h"
#include "pmm-names.h"

/*
 * A cause says more than an errno (-EINVAL is a misalignment, a wrong state or a bad
 * argument), so the cause decides first; the errno decides when libmm (or the daemon) gave
 * no cause.
 */
static const struct {
	enum mm_cause cause;
	const char *name;
} cause_table[] = {
	{ MM_CAUSE_INVALID,     PMM_ERROR_INVALID_ARGUMENT },
	{ MM_CAUSE_MISALIGNED,  PMM_ERROR_MISALIGNED },
	{ MM_CAUSE_RANGE,       PMM_ERROR_OUT_OF_REGION },
	{ MM_CAUSE_OVERLAP,     PMM_ERROR_OVERLAP },
	{ MM_CAUSE_NOENT,       PMM_ERROR_NOT_FOUND },
	{ MM_CAUSE_STATE,       PMM_ERROR_INVALID_STATE },
	{ MM_CAUSE_BUSY,        PMM_ERROR_BUSY },
	{ MM_CAUSE_NOMEM,       PMM_ERROR_NO_SPACE },
	{ MM_CAUSE_UNSUPPORTED, PMM_ERROR_UNSUPPORTED },
};

static const struct {
	int err;                /* positive errno */
	const char *name;
} errno_table[] = {
	{ EINVAL,     PMM_ERROR_INVALID_ARGUMENT },
	{ EEXIST,     PMM_ERROR_OVERLAP },         /* resource collision (register_memory_resource) */
	{ ENXIO,      PMM_ERROR_OVERLAP },         /* pgmap intersects System RAM (pagemap_range) */
	{ E2BIG,      PMM_ERROR_OUT_OF_REGION },   /* mhp_range_allowed() */
	{ ERANGE,     PMM_ERROR_OUT_OF_REGION },   /* above DIRECT_MAP_PHYSMEM_END */
	{ ENOENT,     PMM_ERROR_NOT_FOUND },
	{ ENODEV,     PMM_ERROR_NOT_FOUND },
	{ EBUSY,      PMM_ERROR_BUSY },
	{ EAGAIN,     PMM_ERROR_BUSY },
	{ ENOMEM,     PMM_ERROR_NO_SPACE },
	{ ENOSPC,     PMM_ERROR_NO_SPACE },
	{ EOPNOTSUPP, PMM_ERROR_UNSUPPORTED },
	{ ENOSYS,     PMM_ERROR_UNSUPPORTED },
	{ EPERM,      PMM_ERROR_ACCESS_DENIED },
	{ EACCES,     PMM_ERROR_ACCESS_DENIED },
	{ EALREADY,   PMM_ERROR_INVALID_STATE },
};

const char *pmm_error_name(int err, enum mm_cause cause)
{
	size_t i;

	if (err < 0)
		err = -err;
	for (i = 0; i < ARRAY_SIZE(cause_table); i++)
		if (cause_table[i].cause == cause)
			return cause_table[i].name;
	for (i = 0; i < ARRAY_SIZE(errno_table); i++)
		if (errno_table[i].err == err)
			return errno_table[i].name;
	return PMM_ERROR_FAILED;
}

int pmm_bus_error(sd_bus_error *e, int err, enum mm_cause cause, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sd_bus_error_set(e, pmm_error_name(err, cause), msg);
	/* the handler's return value: the errno we were given, never 0 */
	return err < 0 ? err : (err > 0 ? -err : -EIO);
}

int pmm_bus_error_mm(sd_bus_error *e, const struct mm_model *mm, int err)
{
	const char *why = mm_last_error(mm);

	if (!why || !*why)
		why = "the memory model refused the request";
	return pmm_bus_error(e, err, mm_last_cause(mm), "%s", why);
}

/* errno values for sd_bus_error_set*() return codes and for clients linking sd-bus */
static const sd_bus_error_map pmm_error_map[] = {
	SD_BUS_ERROR_MAP(PMM_ERROR_INVALID_ARGUMENT, EINVAL),
	SD_BUS_ERROR_MAP(PMM_ERROR_MISALIGNED, EINVAL),
	SD_BUS_ERROR_MAP(PMM_ERROR_OUT_OF_REGION, ERANGE),
	SD_BUS_ERROR_MAP(PMM_ERROR_OVERLAP, EEXIST),
	SD_BUS_ERROR_MAP(PMM_ERROR_NOT_FOUND, ENOENT),
	SD_BUS_ERROR_MAP(PMM_ERROR_BUSY, EBUSY),
	SD_BUS_ERROR_MAP(PMM_ERROR_INVALID_STATE, EINVAL),
	SD_BUS_ERROR_MAP(PMM_ERROR_NO_SPACE, ENOSPC),
	SD_BUS_ERROR_MAP(PMM_ERROR_UNSUPPORTED, EOPNOTSUPP),
	SD_BUS_ERROR_MAP(PMM_ERROR_ACCESS_DENIED, EACCES),
	SD_BUS_ERROR_MAP(PMM_ERROR_FAILED, EIO),
	SD_BUS_ERROR_MAP_END
};

int pmm_errors_register(void)
{
	return sd_bus_error_add_map(pmm_error_map);
}
