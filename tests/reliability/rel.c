/* SPDX-License-Identifier: MIT */
#include "rel.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pmm-names.h"

extern char **environ;

long long rel_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- daemon */

static int notify_socket(struct rel_daemon *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	snprintf(d->notify_path, sizeof(d->notify_path), "/tmp/pmm-rel-notify.%d.%lld",
		 (int)getpid(), rel_now_ms());
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", d->notify_path);
	unlink(d->notify_path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* The child: environment = ours + NOTIFY_SOCKET + extras, output to the log. */
static void exec_daemon(const struct rel_daemon *d, char *const argv[], char *const env[],
			const char *log_path)
{
	size_t n = 0, m = 0, i;
	char **envp;
	int fd;

	while (environ[n])
		n++;
	while (env && env[m])
		m++;
	envp = calloc(n + m + 2, sizeof(*envp));
	if (!envp)
		_exit(127);
	for (i = 0; i < n; i++)
		envp[i] = environ[i];
	for (i = 0; i < m; i++)
		envp[n + i] = env[i];
	if (asprintf(&envp[n + m], "NOTIFY_SOCKET=%s", d->notify_path) < 0)
		_exit(127);
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execve(argv[0], argv, envp);
	_exit(127);
}

/* Wait for READY=1 on fd while the child lives. */
static int wait_ready(struct rel_daemon *d, int fd, int timeout_ms)
{
	long long deadline = rel_now_ms() + timeout_ms;

	while (rel_now_ms() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char buf[4096];
		ssize_t n;

		if (rel_daemon_exited(d))
			return -ECHILD;
		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (!strncmp(buf, "READY=1", 7) || strstr(buf, "\nREADY=1"))
			return 0;
	}
	return -ETIMEDOUT;
}

int rel_daemon_start(struct rel_daemon *d, char *const argv[], char *const env[],
		     const char *log_path, int timeout_ms)
{
	int fd = notify_socket(d), r;
	pid_t pid;

	if (fd < 0)
		return fd;
	d->status = 0;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (pid == 0)
		exec_daemon(d, argv, env, log_path);
	d->pid = pid;
	r = wait_ready(d, fd, timeout_ms);
	close(fd);
	unlink(d->notify_path);
	if (r == -ETIMEDOUT)
		rel_daemon_stop(d, SIGKILL);
	return r;
}

bool rel_daemon_exited(struct rel_daemon *d)
{
	int status;

	if (!d->pid)
		return true;
	if (waitpid(d->pid, &status, WNOHANG) != d->pid)
		return false;
	d->status = status;
	d->pid = 0;
	return true;
}

int rel_daemon_stop(struct rel_daemon *d, int sig)
{
	int status;

	if (!d->pid)
		return -1;
	kill(d->pid, sig);
	while (waitpid(d->pid, &status, 0) < 0 && errno == EINTR)
		;
	d->pid = 0;
	d->status = status;
	return status;
}

/* ---------------------------------------------------------------- bus */

int rel_bus_open(const char *address, sd_bus **bus)
{
	sd_bus *b = NULL;
	int r;

	r = sd_bus_new(&b);
	if (r >= 0)
		r = sd_bus_set_address(b, address);
	if (r >= 0)
		r = sd_bus_set_bus_client(b, 1);
	if (r >= 0)
		r = sd_bus_start(b);
	if (r < 0) {
		sd_bus_unref(b);
		return r;
	}
	*bus = b;
	return 0;
}

int rel_call_string(sd_bus *bus, sd_bus_error *e, char **out, const char *method,
		    const char *types, ...)
{
	sd_bus_message *reply = NULL;
	const char *s;
	va_list ap;
	int r;

	va_start(ap, types);
	r = sd_bus_call_methodv(bus, PMM_BUS_NAME, PMM_MANAGER_PATH, PMM_MANAGER_IFACE, method, e,
				&reply, types, ap);
	va_end(ap);
	if (r >= 0)
		r = sd_bus_message_read(reply, "s", &s);
	if (r >= 0) {
		*out = strdup(s);
		if (!*out)
			r = -ENOMEM;
	}
	sd_bus_message_unref(reply);
	return r;
}

static int append(char **buf, size_t *len, const char *s)
{
	size_t n = strlen(s);
	char *nb = realloc(*buf, *len + n + 2);

	if (!nb)
		return -ENOMEM;
	memcpy(nb + *len, s, n);
	nb[*len + n] = '\n';
	nb[*len + n + 1] = '\0';
	*buf = nb;
	*len += n + 1;
	return 0;
}

int rel_state(sd_bus *bus, sd_bus_error *e, char **out)
{
	static const char *const kinds[] = { PMM_LIST_BLOCKS, PMM_LIST_RANGES, PMM_LIST_SECTIONS,
					      PMM_LIST_NAMESPACES };
	char *buf = NULL, *s = NULL;
	size_t len = 0, i;
	int r;

	r = rel_call_string(bus, e, &s, "Describe", "");
	if (r >= 0)
		r = append(&buf, &len, s);
	free(s);
	for (i = 0; r >= 0 && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		s = NULL;
		r = rel_call_string(bus, e, &s, "List", "sa{sv}", kinds[i], 0);
		if (r >= 0)
			r = append(&buf, &len, s);
		free(s);
	}
	if (r < 0) {
		free(buf);
		return r;
	}
	*out = buf;
	return 0;
}

uint64_t rel_hash(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

/* A window of a state on one TAP diagnostic line: newlines shown as " | ". */
static void diag_window(const char *what, const char *s, size_t from, size_t n)
{
	size_t i;

	printf("#   %s: ...", what);
	for (i = from; s[i] && i < from + n; i++)
		fputs(s[i] == '\n' ? " | " : (char[2]){ s[i], 0 }, stdout);
	printf("\n");
}

/* The first differing line of two multi-line states, with the text around the change. */
void rel_diag_diff(const char *what_a, const char *a, const char *what_b, const char *b)
{
	size_t i = 0, line = 1, from;

	while (a[i] && a[i] == b[i]) {
		if (a[i] == '\n')
			line++;
		i++;
	}
	if (!a[i] && !b[i]) {
		printf("#   (identical)\n");
		return;
	}
	from = i > 100 ? i - 100 : 0;
	printf("#   line %zu differs at byte %zu\n", line, i);
	diag_window(what_a, a, from, 240);
	diag_window(what_b, b, from, 240);
}
