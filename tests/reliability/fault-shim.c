/* SPDX-License-Identifier: MIT */
/*
 * fault-shim.so: LD_PRELOAD into pmm-hotplugd to crash it, or make its storage fail, at exact
 * points. Only calls on files under PMM_FAULT_DIR (the state directory) count, so the log
 * (stderr) and the bus are never touched.
 *
 * Crash points (crash.sh):
 *   PMM_CRASH_AT=CALL:N:WHEN   CALL one of write, fdatasync, fsync, rename, fallocate; at the
 *                              Nth such call the process SIGKILLs itself, "before" the call
 *                              runs or "after" it returned.
 * Storage faults (faults.sh):
 *   PMM_FAULT_TRIGGER=PATH     faults are injected while PATH exists
 *   PMM_FAULT_ERRNO=ENOSPC|EIO|EDQUOT   the error (default ENOSPC)
 *   PMM_FAULT_CALLS=LIST       comma-separated calls that fail (default write,fallocate);
 *                              write-new: writes to any file but the journal itself (a full
 *                              disk, where the journal writes into the space it preallocated)
 * A failed write writes nothing; a failed fdatasync/fsync does not sync.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

ssize_t write(int fd, const void *buf, size_t n);
int fdatasync(int fd);
int fsync(int fd);
int fallocate(int fd, int mode, off_t off, off_t len);
int rename(const char *from, const char *to);
int renameat(int ofd, const char *from, int nfd, const char *to);

static unsigned long crash_count;

/* The path behind fd (into buf), or NULL. */
static const char *fd_path(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* Does fd (or path relative to it) live under PMM_FAULT_DIR? */
static bool in_dir(int fd, const char *path)
{
	const char *dir = getenv("PMM_FAULT_DIR");
	char target[PATH_MAX];

	if (!dir || !*dir)
		return false;
	if (!path || path[0] != '/')
		path = fd_path(fd, target, sizeof(target));
	return path && !strncmp(path, dir, strlen(dir));
}

static bool is_journal(int fd)
{
	char target[PATH_MAX];
	const char *p = fd_path(fd, target, sizeof(target));
	size_t n = p ? strlen(p) : 0;

	return n >= 8 && !strcmp(p + n - 8, "/journal");
}

/* The crash point: 0 nothing, 1 kill before, 2 kill after. Counts this call. */
static int crash_point(const char *call)
{
	const char *spec = getenv("PMM_CRASH_AT");
	char name[32], when[16] = "before";
	unsigned long n;

	if (!spec || sscanf(spec, "%31[a-z]:%lu:%15s", name, &n, when) < 2 || strcmp(name, call))
		return 0;
	if (++crash_count != n)
		return 0;
	return strcmp(when, "after") ? 1 : 2;
}

static void crash_now(void)
{
	raise(SIGKILL);
	_exit(137);
}

/* Should this call fail now? Sets errno when it should. */
static bool fault(const char *call)
{
	const char *trigger = getenv("PMM_FAULT_TRIGGER"), *calls = getenv("PMM_FAULT_CALLS");
	const char *e = getenv("PMM_FAULT_ERRNO");
	size_t len = strlen(call);
	const char *p;

	if (!trigger || access(trigger, F_OK) < 0)
		return false;
	if (!calls)
		calls = "write,fallocate";
	for (p = strstr(calls, call); p; p = strstr(p + 1, call))
		if ((p == calls || p[-1] == ',') && (p[len] == ',' || !p[len]))
			break;
	if (!p)
		return false;
	errno = e && !strcmp(e, "EIO") ? EIO : e && !strcmp(e, "EDQUOT") ? EDQUOT : ENOSPC;
	return true;
}

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef int (*sync_fn)(int);
typedef int (*fallocate_fn)(int, int, off_t, off_t);
typedef int (*renameat_fn)(int, const char *, int, const char *);

/* The next definition of a symbol (libc's, or ASan's interceptor). */
#define REAL(name, type) \
	static type real; \
	if (!real) \
		real = (type)dlsym(RTLD_NEXT, name)

static bool regular(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	REAL("write", write_fn);
	ssize_t r;
	int cp = 0;

	if (regular(fd) && in_dir(fd, NULL)) {
		cp = crash_point("write");
		if (cp == 1)
			crash_now();
		if (fault("write") || (!is_journal(fd) && fault("write-new")))
			return -1;
	}
	r = real(fd, buf, n);
	if (cp == 2)
		crash_now();
	return r;
}

static int sync_call(const char *call, sync_fn real, int fd)
{
	int cp = 0, r;

	if (in_dir(fd, NULL)) {
		cp = crash_point(call);
		if (cp == 1)
			crash_now();
		if (fault(call))
			return -1;
	}
	r = real(fd);
	if (cp == 2)
		crash_now();
	return r;
}

int fdatasync(int fd)
{
	REAL("fdatasync", sync_fn);
	return sync_call("fdatasync", real, fd);
}

int fsync(int fd)
{
	REAL("fsync", sync_fn);
	return sync_call("fsync", real, fd);
}

int fallocate(int fd, int mode, off_t off, off_t len)
{
	REAL("fallocate", fallocate_fn);
	int cp = 0, r;

	if (in_dir(fd, NULL)) {
		cp = crash_point("fallocate");
		if (cp == 1)
			crash_now();
		if (fault("fallocate"))
			return -1;
	}
	r = real(fd, mode, off, len);
	if (cp == 2)
		crash_now();
	return r;
}

int renameat(int ofd, const char *from, int nfd, const char *to)
{
	REAL("renameat", renameat_fn);
	int cp = 0, r;

	if (in_dir(ofd, from)) {
		cp = crash_point("rename");
		if (cp == 1)
			crash_now();
		if (fault("rename"))
			return -1;
	}
	r = real(ofd, from, nfd, to);
	if (cp == 2)
		crash_now();
	return r;
}

int rename(const char *from, const char *to)
{
	return renameat(AT_FDCWD, from, AT_FDCWD, to);
}
