/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the reliability programs (crash, hostile, load): start pmm-hotplugd the way
 * systemd does (NOTIFY_SOCKET, READY=1 awaited), kill it, talk to it over a private bus, and
 * take the model's observable state (Describe + every List) as one string to compare or hash.
 */
#ifndef PMM_TESTS_REL_H
#define PMM_TESTS_REL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#define REL_G (UINT64_C(1) << 30)
#define REL_M (UINT64_C(1) << 20)

long long rel_now_ms(void);

/* A daemon this process started. pid 0: not running. status: waitpid() status once reaped. */
struct rel_daemon {
	pid_t pid;
	int status;
	char notify_path[108];
};

/*
 * Start argv[0] with NOTIFY_SOCKET and the extra environment (NULL-terminated "K=V" list, may
 * be NULL); stdout and stderr append to log_path. Returns 0 once READY=1 arrived, -ECHILD if
 * the daemon exited first (d->status says how), -ETIMEDOUT (the daemon is killed) or -errno.
 */
int rel_daemon_start(struct rel_daemon *d, char *const argv[], char *const env[],
		     const char *log_path, int timeout_ms);
/* Send sig and reap; returns the waitpid() status (or -1 if nothing ran). */
int rel_daemon_stop(struct rel_daemon *d, int sig);
/* Has it exited on its own? Reaps it then (true), else false. */
bool rel_daemon_exited(struct rel_daemon *d);

int rel_bus_open(const char *address, sd_bus **bus);

/* A Manager method returning one string (Describe, List): *out is malloc'd. */
int rel_call_string(sd_bus *bus, sd_bus_error *e, char **out, const char *method,
		    const char *types, ...);
/*
 * The observable state: Describe, then List blocks, ranges, sections and namespaces, one JSON
 * document a line. 0 or the first error (e is set when the daemon answered with one).
 */
int rel_state(sd_bus *bus, sd_bus_error *e, char **out);
/* FNV-1a, to print a state compactly. */
uint64_t rel_hash(const char *s);

/* Print the first line where a and b differ, as TAP diagnostics. */
void rel_diag_diff(const char *what_a, const char *a, const char *what_b, const char *b);

#endif
