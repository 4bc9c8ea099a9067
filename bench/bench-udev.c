/* SPDX-License-Identifier: MIT */
/*
 * Benchmark 8: a burst of memory uevents into the kernel backend (umockdev).
 *
 *   bench-udev [--quick] [--reps N]       (PMM_BUS_ADDRESS: a bus for the daemon)
 *
 * The testbed is tests/umockdev/mem.umockdev (a 2-node x86_64 machine) plus 1000 offline
 * blocks (memory200 ..) added before anybody listens. A burst toggles those blocks online and
 * offline, round after round, the way the kernel announces it: the state, online and
 * valid_zones files change, then an "online" or "offline" uevent (umockdev_testbed_uevent()),
 * 10,000 events in all, without pacing; the last round leaves every block offline.
 *
 *   baseline  a bare libudev monitor (group "kernel", subsystem memory) receiving the burst in
 *             this process: events per second from the first send to the last receipt
 *   daemon    pmm-hotplugd --backend kernel on the testbed receiving the same burst: events per
 *             second from the first send until it has handled all of them (its log says
 *             "udev: online memoryN" per event) and its model shows every block offline again
 *             (Describe: online_bytes back to the 55 boot blocks)
 *
 * umockdev aborts the sender when more than net.unix.max_dgram_qlen datagrams wait at one
 * listener: as root the benchmark moves into a network namespace of its own and raises the
 * limit there (tests/kernel/fake-kernel.c does the same), never on the host.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libudev.h>
#include <umockdev.h>

#include "bench.h"

#define FIRST_BLOCK 200
#define QLEN        65536

static struct bench_opts O;
static UMockdevTestbed *tb;
static unsigned int NR_BLOCKS, NR_EVENTS;
static char root[1024], logpath[1100];

static void die(const char *fmt, const char *arg)
{
	printf("Bail out! ");
	printf(fmt, arg);
	printf("\n");
	exit(1);
}

/* As root: a network namespace of our own, where the uevent queue may be long. */
static void raise_qlen(void)
{
	FILE *f;

	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0)
		die("%s", "bench-udev needs root for a network namespace with a long uevent queue");
	f = fopen("/proc/sys/net/unix/max_dgram_qlen", "w");
	if (!f || fprintf(f, "%d\n", QLEN) < 0 || fclose(f) != 0)
		die("%s", "cannot raise net.unix.max_dgram_qlen in the benchmark's namespace");
}

static void build_testbed(void)
{
	const char *src = getenv("top_srcdir") ? getenv("top_srcdir") : ".";
	char path[1024], *rec;
	size_t cap = (size_t)NR_BLOCKS * 256 + 1, len = 0;
	GError *err = NULL;

	tb = umockdev_testbed_new();
	snprintf(path, sizeof(path), "%s/tests/umockdev/mem.umockdev", src);
	if (!tb || !umockdev_testbed_add_from_file(tb, path, &err))
		die("cannot load %s (set top_srcdir)", path);
	rec = malloc(cap);
	for (unsigned int i = 0; i < NR_BLOCKS; i++)
		len += (size_t)snprintf(rec + len, cap - len,
					"P: /devices/system/memory/memory%u\n"
					"E: SUBSYSTEM=memory\n"
					"A: phys_index=%08x\\n\n"
					"A: phys_device=0\\n\n"
					"A: state=offline\\n\n"
					"A: online=0\\n\n"
					"A: removable=1\\n\n"
					"A: valid_zones=Normal Movable\\n\n"
					"L: node0=../../node/node0\n\n", FIRST_BLOCK + i, FIRST_BLOCK + i);
	if (!umockdev_testbed_add_from_string(tb, rec, &err))
		die("%s", "cannot add the blocks to the testbed");
	free(rec);
	snprintf(root, sizeof(root), "%s", umockdev_testbed_get_root_dir(tb));
}

/*
 * A sysfs attribute of block id, written in place as the kernel changes it. Not with
 * umockdev_testbed_set_attribute(), which fsyncs a temporary file (0.7 ms a call), nor through
 * libc, which umockdev's preload wraps (40 us): raw system calls into the testbed's files
 * (on tmpfs, see main()) cost 8 us, so that the sender does not hide both receivers' speed.
 */
static void put_attr(unsigned int id, const char *name, const char *value)
{
	char path[1200];
	long fd;

	snprintf(path, sizeof(path), "%s/sys/devices/system/memory/memory%u/%s", root, id, name);
	fd = syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_write, fd, value, strlen(value)) != (long)strlen(value))
		die("cannot write %s", path);
	syscall(SYS_close, fd);
}

/* The burst: NR_EVENTS state changes with their uevents, round after round over the blocks. */
static void burst(void)
{
	for (unsigned int e = 0; e < NR_EVENTS; e++) {
		unsigned int round = e / NR_BLOCKS, id = FIRST_BLOCK + e % NR_BLOCKS;
		bool online = round % 2 == 0;
		char devpath[64];

		snprintf(devpath, sizeof(devpath), "/sys/devices/system/memory/memory%u", id);
		put_attr(id, "state", online ? "online\n" : "offline\n");
		put_attr(id, "online", online ? "1\n" : "0\n");
		put_attr(id, "valid_zones", online ? "Movable\n" : "Normal Movable\n");
		umockdev_testbed_uevent(tb, devpath, online ? "online" : "offline");
	}
}

/* ------------------------------------------------------------------ baseline */

struct monitor {
	struct udev_monitor *mon;
	unsigned int got;
	double last;
};

static void *monitor_main(void *arg)
{
	struct monitor *m = arg;
	int fd = udev_monitor_get_fd(m->mon);

	while (m->got < NR_EVENTS) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct udev_device *dev;

		if (poll(&p, 1, 10000) <= 0)
			break;
		while ((dev = udev_monitor_receive_device(m->mon))) {
			m->got++;
			m->last = bench_now();
			udev_device_unref(dev);
		}
	}
	return NULL;
}

/* events per second a bare monitor receives the burst at */
static double bare_monitor(void)
{
	struct udev *udev = udev_new();
	struct monitor m = { 0 };
	pthread_t tid;
	double t0;

	m.mon = udev_monitor_new_from_netlink(udev, "kernel");
	if (!m.mon || udev_monitor_filter_add_match_subsystem_devtype(m.mon, "memory", NULL) < 0 ||
	    udev_monitor_enable_receiving(m.mon) < 0)
		die("%s", "cannot open a udev monitor in the testbed");
	pthread_create(&tid, NULL, monitor_main, &m);
	t0 = bench_now();
	burst();
	pthread_join(tid, NULL);
	udev_monitor_unref(m.mon);
	udev_unref(udev);
	if (m.got != NR_EVENTS) {
		printf("Bail out! the bare monitor received %u of %u events\n", m.got, NR_EVENTS);
		exit(1);
	}
	return NR_EVENTS / (m.last - t0);
}

/* ------------------------------------------------------------------ the daemon */

static pid_t daemon_pid;

static void start_daemon(const char *daemon_path, const char *state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	double deadline;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/pmm-bench-udev.%d", (int)getpid());
	unlink(sa.sun_path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("%s", "cannot bind the notify socket");
	daemon_pid = fork();
	if (daemon_pid == 0) {
		int log = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (log >= 0)
			dup2(log, 2);
		setenv("NOTIFY_SOCKET", sa.sun_path, 1);
		execl(daemon_path, daemon_path, "--address", getenv("PMM_BUS_ADDRESS"),
		      "--backend", "kernel", "--state-dir", state, (char *)NULL);
		_exit(127);
	}
	deadline = bench_now() + 60;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char buf[4096];
		ssize_t n;

		if (bench_now() > deadline || waitpid(daemon_pid, NULL, WNOHANG) == daemon_pid)
			die("pmm-hotplugd --backend kernel did not start (log: %s)", logpath);
		if (poll(&p, 1, 200) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			if (strstr(buf, "READY=1"))
				break;
		}
	}
	close(fd);
	unlink(sa.sun_path);
}

static void stop_daemon(void)
{
	kill(daemon_pid, SIGTERM);
	waitpid(daemon_pid, NULL, 0);
}

/* "udev: online memoryN" / "udev: offline memoryN" lines the daemon logged from *off on */
static unsigned int count_handled(FILE *f)
{
	char line[512];
	unsigned int n = 0;

	while (fgets(line, sizeof(line), f))
		if (strstr(line, "udev: online memory") || strstr(line, "udev: offline memory"))
			n++;
	clearerr(f);
	return n;
}

/* events per second the daemon handles the burst at; *applied: its model ends where sysfs is */
static double daemon_burst(const char *daemon_path, const char *state, bool *applied)
{
	unsigned int handled = 0;
	double t0, t1, deadline;
	char cmd[2048], out[64] = "";
	FILE *f, *p;

	start_daemon(daemon_path, state);
	f = fopen(logpath, "r");
	if (!f)
		die("cannot read %s", logpath);
	handled = count_handled(f);   /* nothing yet: the blocks were there before it */
	t0 = bench_now();
	burst();
	deadline = t0 + 300;
	while ((handled += count_handled(f)) < NR_EVENTS && bench_now() < deadline)
		usleep(500);
	t1 = bench_now();
	fclose(f);
	/* its model: the 55 online boot blocks of mem.umockdev, every burst block offline again */
	snprintf(cmd, sizeof(cmd), "busctl --address='%s' call org.pmm.Hotplug1 /org/pmm/Hotplug1 "
		 "org.pmm.Hotplug1.Manager Describe | grep -o 'online_bytes[^,]*' | tr -dc 0-9",
		 getenv("PMM_BUS_ADDRESS"));
	p = popen(cmd, "r");
	if (p) {
		if (!fgets(out, sizeof(out), p))
			out[0] = '\0';
		pclose(p);
	}
	*applied = handled == NR_EVENTS && strtoull(out, NULL, 10) == 55 * 128 * MiB;
	if (!*applied)
		bench_diag("the daemon handled %u of %u events, online_bytes %s", handled, NR_EVENTS,
			   out);
	stop_daemon();
	return NR_EVENTS / (t1 - t0);
}

int main(int argc, char **argv)
{
	const char *build = getenv("top_builddir") ? getenv("top_builddir") : ".";
	char daemon_path[1024], state[1100];
	double base[8], meas[8];
	unsigned int reps;
	bool all_applied = true;

	if (!strstr(getenv("LD_PRELOAD") ? getenv("LD_PRELOAD") : "", "libumockdev-preload")) {
		/* the preload must be there from the start: umockdev-wrapper's job */
		char **nargv = calloc((size_t)argc + 2, sizeof(*nargv));

		nargv[0] = (char *)"umockdev-wrapper";
		for (int i = 0; i < argc; i++)
			nargv[i + 1] = argv[i];
		execvp(nargv[0], nargv);
		die("%s", "cannot run umockdev-wrapper");
	}
	bench_init(argc, argv, &O, 3);
	reps = O.reps > 8 ? 8 : O.reps;
	NR_BLOCKS = O.quick ? 100 : 1000;
	NR_EVENTS = 10 * NR_BLOCKS;
	if (!getenv("PMM_BUS_ADDRESS"))
		die("%s", "PMM_BUS_ADDRESS is not set (bench/run.sh starts a bus)");
	raise_qlen();
	/* the testbed on tmpfs: ext4 flushes a file truncated and rewritten when it is closed */
	if (access("/dev/shm", W_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 1);
	build_testbed();
	snprintf(daemon_path, sizeof(daemon_path), "%s/daemon/pmm-hotplugd", build);
	snprintf(logpath, sizeof(logpath), "%s/daemon.log", root);
	snprintf(state, sizeof(state), "%s/state", root);
	for (unsigned int r = 0; r < reps; r++) {
		bool applied;

		base[r] = bare_monitor();
		meas[r] = daemon_burst(daemon_path, state, &applied);
		all_applied = all_applied && applied;
	}
	bench_check(all_applied, "every one of the %u uevents was handled by the daemon, and its "
		    "model ended as the testbed", NR_EVENTS);
	{
		struct bench_stat m = bench_stat(meas, reps), b = bench_stat(base, reps);

		m.min = meas[reps - 1];
		b.min = base[reps - 1];
		bench_result("udev: memory uevent burst, handled by pmm-hotplugd", "events/s", m, b,
			     false, 0, "%u uevents (online/offline of %u blocks, umockdev); against "
			     "a bare libudev monitor receiving the same burst", NR_EVENTS, NR_BLOCKS);
	}
	umockdev_testbed_clear(tb);
	g_object_unref(tb);
	return bench_done();
}
