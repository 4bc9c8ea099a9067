/* SPDX-License-Identifier: MIT */
/* Logging to stderr, foreground daemon style: journald picks up the <N> priority prefix. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon.h"

/* Under journald (JOURNAL_STREAM set) a <N> prefix carries the priority; on a tty a name. */
static void vlog(int prio, const char *fmt, va_list ap)
{
	static int journal = -1;

	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;
	if (journal)
		fprintf(stderr, "<%d>", prio);
	else
		fputs("pmm-hotplugd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void pmm_log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(6, fmt, ap);
	va_end(ap);
}

void pmm_log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(4, fmt, ap);
	va_end(ap);
}

void pmm_log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(3, fmt, ap);
	va_end(ap);
}

