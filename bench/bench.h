/* SPDX-License-Identifier: MIT */
/*
 * The benchmark harness shared by the bench programs: timing, min/median of repetitions, process memory
 * from /proc, and the one output format bench/run.sh turns into the table.
 *
 * Every figure is a ratio against a baseline measured in the same run on the same machine
 * (perf-facts.md: this VM's absolute numbers vary up to 2x between runs). A result line is
 *
 *   RESULT <name>|<unit>|<measured min>|<measured median>|<baseline min>|<baseline median>|
 *          <ratio>|<goal>|<PASS, FAIL or INFO>|<note>
 *
 * ratio is measured min / baseline min (or whatever the benchmark documents), goal "<=1.10",
 * ">=0.70" or "-" (reported, no goal). In --quick mode (a few seconds, small sizes) the same
 * results become TAP lines that only say the benchmark ran and produced sane numbers: a
 * benchmark is not a test, its speed is never asserted by `make check`.
 */
#ifndef PMM_BENCH_H
#define PMM_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define TiB (UINT64_C(1) << 40)

/*
 * Options every bench program takes: --quick (small, fast, TAP), --reps N; or the environment's
 * BENCH_QUICK and BENCH_REPS (bench/run.sh, bench/quick.sh: arguments after a program's own
 * belong to the daemon it starts).
 */
struct bench_opts {
	bool quick;
	unsigned int reps;
};
void bench_init(int argc, char **argv, struct bench_opts *o, unsigned int default_reps);

double bench_now(void);          /* CLOCK_MONOTONIC seconds */

/* min and median of v[0..n) (v is sorted in place) */
struct bench_stat {
	double min, med;
};
struct bench_stat bench_stat(double *v, unsigned int n);

/*
 * One result. lower_is_better: ratio = measured / baseline and a goal "<=x"; otherwise
 * ratio = measured / baseline against ">=x". goal <= 0: reported only (INFO).
 */
void bench_result(const char *name, const char *unit, struct bench_stat measured,
		  struct bench_stat baseline, bool lower_is_better, double goal,
		  const char *note, ...) __attribute__((format(printf, 7, 8)));

/* A correctness check of the benchmark itself (the numbers mean something): TAP in quick mode,
 * a failure is always printed and makes the program exit non-zero. */
bool bench_check(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print a diagnostic (a '#' line). */
void bench_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Finish: the TAP plan in quick mode; returns the exit status. */
int bench_done(void);

/* A field of /proc/<pid>/status in KiB (pid 0: self); 0 if absent. */
uint64_t bench_status_kb(int pid, const char *key);
/* Lines of /proc/self/maps (VMAs). */
uint64_t bench_maps_count(void);

/* Keep the compiler from folding a value away. */
#define bench_opaque(x) __asm__ volatile("" : "+r"(x))

#endif /* PMM_BENCH_H */
