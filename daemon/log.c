/* SPDX-License-Identifier: MIT */
/* Logging to stderr, foreground daemon style: journald picks up the <N> priority prefix. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

/*
 * Under journald (JOURNAL_STREAM set) a <N> prefix carries the priority; on a tty a name. The
 * line is put together first and written with one write(2): stderr is unbuffered, and three
 * writes per line cost a burst of udev events more than handling them; whole lines also
 * cannot interleave with another thread's.
 */
static void vlog(int prio, const char *fmt, va_list ap)
{
	static int journal = -1;
	char buf[1024], *line = buf;
	size_t cap = sizeof(buf);
	va_list again;
	int n, m;

	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;
	n = journal ? snprintf(buf, cap, "<%d>", prio) : snprintf(buf, cap, "pmm-hotplugd: ");
	va_copy(again, ap);
	m = vsnprintf(buf + n, cap - (size_t)n - 1, fmt, ap);
	if (m >= 0 && (size_t)(n + m) >= cap - 1) {
		/* a long line: on the heap, still in one piece */
		cap = (size_t)n + (size_t)m + 2;
		line = malloc(cap);
		if (line) {
			memcpy(line, buf, (size_t)n);
			m = vsnprintf(line + n, cap - (size_t)n - 1, fmt, again);
		} else {
			line = buf;
			m = (int)(sizeof(buf) - 2) - n;
		}
	}
	va_end(again);
	if (m >= 0) {
		n += m;
		line[n++] = '\n';
		fwrite(line, 1, (size_t)n, stderr);
	}
	if (line != buf)
		free(line);
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

