/* SPDX-License-Identifier: MIT */
/*
 * Benchmark 7: time from exec to READY=1 of pmm-hotplugd (restart), for a given state
 * directory against a baseline state directory, runs interleaved:
 *
 *   bench-ready NAME BASE_STATE STATE [--reps N] [--quick] -- DAEMON [ARGS...]
 *
 * Each run starts DAEMON ARGS --state-dir DIR with NOTIFY_SOCKET pointing at a socket of its
 * own (systemd's side of sd_notify), waits for READY=1, then stops it with SIGTERM. The state
 * directories must not change from run to run (the daemon must not snapshot at start-up:
 * bench/run.sh sets PMM_SNAPSHOT_EVERY high).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static struct bench_opts O;

/* seconds from fork to READY=1, or a negative value on failure */
static double time_to_ready(char **argv, int argc, const char *state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char **args = calloc((size_t)argc + 3, sizeof(*args));
	double t0, deadline;
	pid_t pid;
	int fd, status;
	double ready = -1;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/pmm-bench-notify.%d", (int)getpid());
	unlink(sa.sun_path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("bench-ready: notify socket");
		exit(1);
	}
	for (int i = 0; i < argc; i++)
		args[i] = argv[i];
	args[argc] = "--state-dir";
	args[argc + 1] = (char *)state;
	t0 = bench_now();
	pid = fork();
	if (pid == 0) {
		/* the daemon's log is not the benchmark's: $BENCH_DAEMON_LOG, else nowhere */
		const char *log = getenv("BENCH_DAEMON_LOG") ? getenv("BENCH_DAEMON_LOG")
							      : "/dev/null";
		int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (logfd >= 0)
			dup2(logfd, 2);
		setenv("NOTIFY_SOCKET", sa.sun_path, 1);
		execv(args[0], args);
		_exit(127);
	}
	deadline = t0 + 300;
	while (pid > 0 && bench_now() < deadline && ready < 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char buf[4096];
		ssize_t n;

		if (poll(&p, 1, 1000) <= 0) {
			if (waitpid(pid, &status, WNOHANG) == pid) {
				pid = 0;
				break;
			}
			continue;
		}
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (strstr(buf, "READY=1"))
			ready = bench_now() - t0;
	}
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
	}
	close(fd);
	unlink(sa.sun_path);
	free(args);
	return ready;
}

int main(int argc, char **argv)
{
	double base[16], meas[16];
	unsigned int reps;
	int dash = 0;

	bench_init(argc, argv, &O, 5);
	reps = O.reps > 16 ? 16 : O.reps;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			dash = i;
			break;
		}
	if (argc < 5 || dash < 4 || dash + 1 >= argc) {
		fprintf(stderr, "usage: bench-ready NAME BASE_STATE STATE [--reps N] -- DAEMON [ARGS]\n");
		return 2;
	}
	for (unsigned int r = 0; r < reps; r++) {
		base[r] = time_to_ready(argv + dash + 1, argc - dash - 1, argv[2]);
		meas[r] = time_to_ready(argv + dash + 1, argc - dash - 1, argv[3]);
		if (base[r] < 0 || meas[r] < 0) {
			printf("Bail out! the daemon did not become ready (%s)\n",
			       base[r] < 0 ? argv[2] : argv[3]);
			return 1;
		}
	}
	bench_result(argv[1], "s", bench_stat(meas, reps), bench_stat(base, reps), true, 0,
		     "time from exec to READY=1; against an empty state directory");
	return bench_done();
}
