/* SPDX-License-Identifier: MIT */
/*
 * A preload for the kernel backend's testbed: makes a write(2) into a memory block's state file
 * or into the probe file behave like one into sysfs, i.e. synchronous: the write returns only
 * once "the kernel" (tests/kernel/fake-kernel) has acted on it, with the errno it chose.
 *
 * A plain file cannot refuse a write, and a watcher that reacts after close() cannot make
 * write() fail, so without this a testbed could never answer EBUSY or EINVAL the way
 * drivers/base/memory.c does. Everything else (other files, other processes without
 * PMM_FAKE_KERNEL) goes straight to the next write() in the chain (umockdev's, then libc's).
 *
 * Protocol, one connection per write to $PMM_FAKE_KERNEL: "W <path under
 * sys/devices/system/memory/> <data>\n", answer "<errno>\n" (0: accepted).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

ssize_t write(int fd, const void *buf, size_t count);

typedef ssize_t (*write_fn)(int, const void *, size_t);

/* Raw syscalls: umockdev wraps socket/connect/readlink, and this must not recurse into it. */
static ssize_t raw_write(int fd, const void *buf, size_t n)
{
	return syscall(SYS_write, fd, buf, n);
}

static ssize_t raw_read(int fd, void *buf, size_t n)
{
	return syscall(SYS_read, fd, buf, n);
}

/* The path of fd relative to the testbed's memory directory, or NULL if it is not ours. */
static const char *memory_path(int fd, char *buf, size_t len)
{
	const char *root = getenv("UMOCKDEV_DIR");
	char link[64], prefix[PATH_MAX];
	ssize_t n;
	size_t pl;
	const char *rel;

	if (!root)
		return NULL;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = syscall(SYS_readlinkat, AT_FDCWD, link, buf, len - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	snprintf(prefix, sizeof(prefix), "%s/sys/devices/system/memory/", root);
	pl = strlen(prefix);
	if (strncmp(buf, prefix, pl))
		return NULL;
	rel = buf + pl;
	if (!strcmp(rel, "probe"))
		return rel;
	if (!strncmp(rel, "memory", 6) && strlen(rel) > 6 &&
	    !strcmp(rel + strlen(rel) - 6, "/state"))
		return rel;
	return NULL;
}

/* Ask the fake kernel; -1 when it cannot be reached (then the write fails with EIO). */
static int ask_kernel(const char *sock, const char *rel, const void *data, size_t n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char req[512], reply[32];
	size_t len, got = 0;
	int s, err;

	if (strlen(sock) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, sock);
	len = (size_t)snprintf(req, sizeof(req), "W %s ", rel);
	if (n > sizeof(req) - len - 2)
		n = sizeof(req) - len - 2;
	memcpy(req + len, data, n);
	len += n;
	/* one request per line: a value's own newline is dropped, as sysfs_streq() ignores it */
	while (len && req[len - 1] == '\n')
		len--;
	req[len++] = '\n';
	s = (int)syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (syscall(SYS_connect, s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    raw_write(s, req, len) != (ssize_t)len) {
		close(s);
		return -1;
	}
	while (got < sizeof(reply) - 1) {
		ssize_t r = raw_read(s, reply + got, sizeof(reply) - 1 - got);

		if (r <= 0)
			break;
		got += (size_t)r;
		if (memchr(reply, '\n', got))
			break;
	}
	close(s);
	reply[got] = '\0';
	if (!got)
		return -1;
	err = atoi(reply);
	return err < 0 ? -1 : err;
}

ssize_t write(int fd, const void *buf, size_t count)
{
	static write_fn next;
	const char *sock = getenv("PMM_FAKE_KERNEL"), *rel;
	char path[PATH_MAX];
	int err;

	if (!next)
		next = (write_fn)dlsym(RTLD_NEXT, "write");
	if (!sock || fd < 0 || !(rel = memory_path(fd, path, sizeof(path))))
		return next(fd, buf, count);
	err = ask_kernel(sock, rel, buf, count);
	if (err < 0) {
		errno = EIO;
		return -1;
	}
	if (err) {
		errno = err;
		return -1;
	}
	return (ssize_t)count;
}
