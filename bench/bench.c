/* SPDX-License-Identifier: MIT */
/* The benchmark harness (bench.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

static struct {
	bool quick;
	unsigned int tap_n, failed;
} B;

void bench_init(int argc, char **argv, struct bench_opts *o, unsigned int default_reps)
{
	o->quick = false;
	o->reps = default_reps;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			o->quick = true;
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			o->reps = (unsigned int)strtoul(argv[++i], NULL, 0);
	}
	/* the environment too: bench/run.sh and bench/quick.sh pass them that way */
	if (getenv("BENCH_QUICK"))
		o->quick = true;
	if (getenv("BENCH_REPS"))
		o->reps = (unsigned int)strtoul(getenv("BENCH_REPS"), NULL, 0);
	if (o->quick && o->reps > 2)
		o->reps = 2;
	if (!o->reps)
		o->reps = 1;
	B.quick = o->quick;
	setvbuf(stdout, NULL, _IOLBF, 0);
}

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct bench_stat bench_stat(double *v, unsigned int n)
{
	struct bench_stat s = { 0, 0 };

	if (!n)
		return s;
	qsort(v, n, sizeof(*v), cmp_double);
	s.min = v[0];
	s.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return s;
}

static bool sane(double x)
{
	return isfinite(x) && x > 0;
}

static void tap(bool ok, const char *fmt, va_list ap)
{
	printf("%s %u - ", ok ? "ok" : "not ok", ++B.tap_n);
	vprintf(fmt, ap);
	putchar('\n');
	if (!ok)
		B.failed++;
}

static void tapf(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tapf(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap(ok, fmt, ap);
	va_end(ap);
}

void bench_result(const char *name, const char *unit, struct bench_stat m, struct bench_stat b,
		  bool lower_is_better, double goal, const char *note, ...)
{
	double ratio = b.min > 0 ? m.min / b.min : NAN;
	char goal_s[32], notebuf[256] = "";
	const char *verdict = "INFO";
	va_list ap;

	if (note) {
		va_start(ap, note);
		vsnprintf(notebuf, sizeof(notebuf), note, ap);
		va_end(ap);
	}
	if (goal > 0) {
		snprintf(goal_s, sizeof(goal_s), "%s%.2f", lower_is_better ? "<=" : ">=", goal);
		verdict = (lower_is_better ? ratio <= goal : ratio >= goal) ? "PASS" : "FAIL";
	} else {
		snprintf(goal_s, sizeof(goal_s), "-");
	}
	if (B.quick) {
		/* sane numbers only: timing is not asserted */
		/* best first: the minimum of times, the maximum of rates */
		bool ordered = lower_is_better ? m.min <= m.med && b.min <= b.med
					       : m.min >= m.med && b.min >= b.med;

		tapf(sane(m.min) && sane(m.med) && sane(b.min) && sane(b.med) && ordered &&
		     sane(ratio),
		     "%s runs: %.4g / %.4g %s against %.4g / %.4g (ratio %.3f; goal %s not checked "
		     "in quick mode)", name, m.min, m.med, unit, b.min, b.med, ratio, goal_s);
		return;
	}
	printf("RESULT %s|%s|%.6g|%.6g|%.6g|%.6g|%.4f|%s|%s|%s\n", name, unit, m.min, m.med, b.min,
	       b.med, ratio, goal_s, verdict, notebuf);
}

bool bench_check(bool cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (B.quick) {
		tap(cond, fmt, ap);
	} else if (!cond) {
		printf("# CHECK FAILED: ");
		vprintf(fmt, ap);
		putchar('\n');
		B.failed++;
	}
	va_end(ap);
	return cond;
}

void bench_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int bench_done(void)
{
	if (B.quick)
		printf("1..%u\n", B.tap_n);
	return B.failed ? 1 : 0;
}

uint64_t bench_status_kb(int pid, const char *key)
{
	char path[64], line[256];
	size_t n = strlen(key);
	uint64_t kb = 0;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			kb = strtoull(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

uint64_t bench_maps_count(void)
{
	char line[512];
	uint64_t n = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strchr(line, '\n'))
			n++;
	if (f)
		fclose(f);
	return n;
}
