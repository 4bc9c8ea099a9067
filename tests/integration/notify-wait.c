/* SPDX-License-Identifier: MIT */
/*
 * notify-wait SOCKET TIMEOUT_S: play systemd's side of sd_notify(3) for tests.
 * Binds a datagram socket at SOCKET (the daemon gets it as NOTIFY_SOCKET), prints every
 * notification it receives, one line per assignment, and exits 0 once READY=1 arrived, 1 on
 * timeout. Keeps listening after READY for `--follow` (to see STOPPING=1).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int follow = argc > 3 && !strcmp(argv[3], "--follow");
	int ready = 0, fd;
	long long deadline;

	if (argc < 3) {
		fprintf(stderr, "usage: notify-wait SOCKET TIMEOUT_S [--follow]\n");
		return 2;
	}
	if (strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "notify-wait: socket path too long\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("notify-wait");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	deadline = now_ms() + atol(argv[2]) * 1000;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char buf[4096];
		long long left = deadline - now_ms();
		ssize_t n;
		char *line, *save = NULL;

		if (left <= 0)
			break;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			printf("%s\n", line);
			if (!strcmp(line, "READY=1"))
				ready = 1;
			if (follow && !strcmp(line, "STOPPING=1"))
				return 0;
		}
		if (ready && !follow)
			return 0;
	}
	return ready ? 0 : 1;
}
