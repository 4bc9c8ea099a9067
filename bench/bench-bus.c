/* SPDX-License-Identifier: MIT */
/*
 * Benchmarks 5 and 6: pmm-hotplugd through the bus (bench/run.sh starts a private dbus-daemon
 * and the daemon, and passes the bus address in PMM_BUS_ADDRESS).
 *
 *   bench-bus rtt        a read round trip (LookupPfn, Describe) against the bus daemon's own
 *                        GetId in the same run, sequential (goal 1.5x), and throughput with 32
 *                        calls in flight (sd-bus async calls) against GetId with 32 in flight.
 *                        The floor of any service is measured too: a minimal sd-bus no-op
 *                        method served by a child of this program (org.pmm.BenchNoop, allowed
 *                        by lib-bench.sh's bus), and LookupPfn against it (perf-facts G9: 1.2x).
 *   bench-bus durable DIR
 *                        journaled mutations per second (GetPages/PutPages pairs on an online
 *                        pfn, one pfn and one connection per client) with 1, 8 and 64
 *                        concurrent clients, against the raw fsync rate of DIR (the daemon's
 *                        state directory: a loop of write + fdatasync on a file there). Group
 *                        commit must let 64 clients exceed it several times over (goal 3x).
 *   bench-bus fill N     N journaled operations as fast as possible (bench 7 builds a journal)
 *   bench-bus scatter NR_RAM NR_DEV TOP
 *                        block-sized System RAM ranges (every other one onlined) and 1 GiB
 *                        devdax ranges in 2 MiB folios, scattered over [16 GiB, TOP) (bench 7
 *                        builds a large model to snapshot)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "bench.h"

#define PMM_DEST  "org.pmm.Hotplug1"
#define PMM_PATH  "/org/pmm/Hotplug1"
#define PMM_IFACE "org.pmm.Hotplug1.Manager"
/*
 * Mutations must stay inside the managed region ([8G, 72G) in the embedded default): the
 * durable benchmarks add and online [8G, +128M) first; client i works on PFN_BASE + i.
 */
#define PAGES_START (UINT64_C(8) << 30)
#define PFN_BASE    (PAGES_START >> 12)

static struct bench_opts O;

static sd_bus *bus_open(void)
{
	const char *addr = getenv("PMM_BUS_ADDRESS");
	sd_bus *bus = NULL;
	int r;

	if (!addr) {
		printf("Bail out! PMM_BUS_ADDRESS is not set (bench/run.sh sets it)\n");
		exit(1);
	}
	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, addr);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0) {
		printf("Bail out! cannot connect to %s: %s\n", addr, strerror(-r));
		exit(1);
	}
	return bus;
}

/* ------------------------------------------------------------------ calls */

enum call { CALL_GETID, CALL_LOOKUP, CALL_DESCRIBE, CALL_GET, CALL_PUT, CALL_NOOP };

#define NOOP_NAME "org.pmm.BenchNoop"

static int noop_method(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	(void)userdata;
	(void)e;
	return sd_bus_reply_method_return(m, "t", UINT64_C(1));
}

static const sd_bus_vtable noop_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Noop", "t", "t", noop_method, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END,
};

static sd_bus *bus_open(void);

/* A minimal sd-bus service: one no-op method, a plain sd_bus_wait() loop. */
static pid_t noop_service(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		sd_bus *bus = bus_open();

		if (sd_bus_add_object_vtable(bus, NULL, "/", NOOP_NAME, noop_vtable, NULL) < 0 ||
		    sd_bus_request_name(bus, NOOP_NAME, 0) < 0)
			_exit(1);
		for (;;) {
			int r = sd_bus_process(bus, NULL);

			if (r < 0)
				_exit(0);
			if (!r)
				sd_bus_wait(bus, UINT64_MAX);
		}
	}
	return pid;
}

static int call_new(sd_bus *bus, enum call c, uint64_t pfn, sd_bus_message **m)
{
	int r;

	switch (c) {
	case CALL_GETID:
		return sd_bus_message_new_method_call(bus, m, "org.freedesktop.DBus",
						      "/org/freedesktop/DBus",
						      "org.freedesktop.DBus", "GetId");
	case CALL_LOOKUP:
		r = sd_bus_message_new_method_call(bus, m, PMM_DEST, PMM_PATH, PMM_IFACE,
						   "LookupPfn");
		return r < 0 ? r : sd_bus_message_append(*m, "t", pfn);
	case CALL_DESCRIBE:
		return sd_bus_message_new_method_call(bus, m, PMM_DEST, PMM_PATH, PMM_IFACE,
						      "Describe");
	case CALL_NOOP:
		r = sd_bus_message_new_method_call(bus, m, NOOP_NAME, "/", NOOP_NAME, "Noop");
		return r < 0 ? r : sd_bus_message_append(*m, "t", pfn);
	case CALL_GET:
	case CALL_PUT:
		r = sd_bus_message_new_method_call(bus, m, PMM_DEST, PMM_PATH, PMM_IFACE,
						   c == CALL_GET ? "GetPages" : "PutPages");
		return r < 0 ? r : sd_bus_message_append(*m, "tt", pfn, UINT64_C(1));
	}
	return -EINVAL;
}

static int call_sync(sd_bus *bus, enum call c, uint64_t pfn)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	int r = call_new(bus, c, pfn, &m);

	if (r >= 0)
		r = sd_bus_call(bus, m, 0, &e, &reply);
	if (r < 0)
		fprintf(stderr, "call %d: %s\n", (int)c, e.message ? e.message : strerror(-r));
	sd_bus_error_free(&e);
	sd_bus_message_unref(m);
	sd_bus_message_unref(reply);
	return r;
}

/* ------------------------------------------------------------------ rtt */

/* microseconds one call takes */
static double rtt_one(sd_bus *bus, enum call c)
{
	double t = bench_now();

	if (call_sync(bus, c, PFN_BASE) < 0) {
		printf("Bail out! a call failed\n");
		exit(1);
	}
	return (bench_now() - t) * 1e6;
}

/*
 * One repetition: n calls of each kind, interleaved call by call (GetId, the no-op service,
 * LookupPfn, Describe) so that whatever else runs on the machine meets all alike; the median
 * latency of each kind goes to med[kind].
 */
static const enum call rtt_calls[] = { CALL_GETID, CALL_NOOP, CALL_LOOKUP, CALL_DESCRIBE };
#define NR_RTT (sizeof(rtt_calls) / sizeof(rtt_calls[0]))

static void rtt_rep(sd_bus *bus, unsigned int n, double med[NR_RTT])
{
	double *a = calloc(NR_RTT * (size_t)n, sizeof(double));

	for (unsigned int i = 0; i < n; i++)
		for (unsigned int k = 0; k < NR_RTT; k++)
			a[k * n + i] = rtt_one(bus, rtt_calls[k]);
	for (unsigned int k = 0; k < NR_RTT; k++)
		med[k] = bench_stat(a + k * n, n).med;
	free(a);
}

struct inflight {
	unsigned int sent, done, total, failed;
};

static int async_done(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct inflight *f = userdata;

	(void)e;
	f->done++;
	if (sd_bus_message_is_method_error(m, NULL))
		f->failed++;
	return 0;
}

/* calls per second with `depth` calls kept in flight, total calls */
static double throughput(sd_bus *bus, enum call c, unsigned int depth, unsigned int total)
{
	struct inflight f = { .total = total };
	double t = bench_now();

	while (f.done < f.total) {
		while (f.sent < f.total && f.sent - f.done < depth) {
			sd_bus_message *m = NULL;
			int r = call_new(bus, c, PFN_BASE, &m);

			if (r >= 0)
				r = sd_bus_call_async(bus, NULL, m, async_done, &f, 0);
			sd_bus_message_unref(m);
			if (r < 0) {
				printf("Bail out! async call: %s\n", strerror(-r));
				exit(1);
			}
			f.sent++;
		}
		for (;;) {
			int r = sd_bus_process(bus, NULL);

			if (r < 0) {
				printf("Bail out! sd_bus_process: %s\n", strerror(-r));
				exit(1);
			}
			if (!r)
				break;
		}
		if (f.done < f.total && f.sent - f.done >= depth)
			sd_bus_wait(bus, UINT64_MAX);
		else if (f.done < f.total && f.sent == f.total)
			sd_bus_wait(bus, UINT64_MAX);
	}
	if (f.failed) {
		printf("Bail out! %u async calls failed\n", f.failed);
		exit(1);
	}
	return total / (bench_now() - t);
}

static int mode_rtt(void)
{
	sd_bus *bus = bus_open();
	unsigned int reps = O.reps > 16 ? 16 : O.reps, n = O.quick ? 200 : 2000;
	unsigned int total = O.quick ? 2000 : 40000;
	double med[NR_RTT], id[16], noop[16], lk[16], ds[16], tid[16], tlk[16];
	pid_t service = noop_service();
	int has;

	/* the no-op service is up once it owns its name */
	for (int i = 0; i < 500; i++) {
		if (sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
				       "org.freedesktop.DBus", "NameHasOwner", NULL, NULL, "s",
				       NOOP_NAME) < 0)
			break;
		if (sd_bus_get_name_creds(bus, NOOP_NAME, 0, NULL) >= 0)
			break;
		usleep(10000);
	}
	has = sd_bus_get_name_creds(bus, NOOP_NAME, 0, NULL);
	if (service < 0 || has < 0) {
		printf("Bail out! the no-op service did not start (bus policy for %s?)\n", NOOP_NAME);
		return 1;
	}
	/* warm-up: connections, caches, the daemon's first Describe */
	rtt_rep(bus, 100, med);
	for (unsigned int r = 0; r < reps; r++) {
		rtt_rep(bus, n, med);
		id[r] = med[0];
		noop[r] = med[1];
		lk[r] = med[2];
		ds[r] = med[3];
	}
	bench_result("bus: LookupPfn round trip", "us", bench_stat(lk, reps), bench_stat(id, reps),
		     true, 1.5, "median latency of %u sequential calls (best and median of the "
		     "repetitions); against org.freedesktop.DBus.GetId interleaved with them", n);
	bench_result("bus: Describe round trip", "us", bench_stat(ds, reps), bench_stat(id, reps),
		     true, 1.5, "the status JSON; against GetId");
	bench_result("bus: a minimal sd-bus no-op method (the floor)", "us", bench_stat(noop, reps),
		     bench_stat(id, reps), true, 0, "a plain sd-bus service, no work: what routing "
		     "through dbus-daemon costs any service; against GetId");
	bench_result("bus: LookupPfn against the no-op service", "us", bench_stat(lk, reps),
		     bench_stat(noop, reps), true, 1.2, "what pmm-hotplugd adds to a call "
		     "(perf-facts G9: 1.2x a minimal sd-bus service)");
	for (unsigned int r = 0; r < reps; r++) {
		tid[r] = throughput(bus, CALL_GETID, 32, total);
		tlk[r] = throughput(bus, CALL_LOOKUP, 32, total);
	}
	/* rates: best is the highest */
	{
		struct bench_stat a = bench_stat(tlk, reps), b = bench_stat(tid, reps);
		struct bench_stat ma = { tlk[reps - 1], a.med }, mb = { tid[reps - 1], b.med };

		bench_result("bus: LookupPfn throughput, 32 in flight", "calls/s", ma, mb, false, 0,
			     "sd-bus async calls on one connection; against GetId with 32 in flight");
	}
	sd_bus_flush_close_unref(bus);
	kill(service, SIGTERM);
	waitpid(service, NULL, 0);
	return bench_done();
}

/* ------------------------------------------------------------------ durable */

struct client {
	pthread_t tid;
	unsigned int idx;
	double deadline;
	uint64_t limit;      /* fill: stop after this many operations */
	uint64_t ops;
	int err;
};

static void *client_main(void *arg)
{
	struct client *cl = arg;
	sd_bus *bus = bus_open();
	uint64_t pfn = PFN_BASE + cl->idx;

	while ((!cl->limit || cl->ops < cl->limit) && (cl->limit || bench_now() < cl->deadline)) {
		if (call_sync(bus, CALL_GET, pfn) < 0 || call_sync(bus, CALL_PUT, pfn) < 0) {
			cl->err = 1;
			break;
		}
		cl->ops += 2;
	}
	sd_bus_flush_close_unref(bus);
	return NULL;
}

/* journaled mutations per second with n clients for secs seconds (or limit ops in all) */
static double run_clients(unsigned int n, double secs, uint64_t limit)
{
	struct client *cl = calloc(n, sizeof(*cl));
	uint64_t ops = 0;
	double t = bench_now();

	for (unsigned int i = 0; i < n; i++) {
		cl[i].idx = i;
		cl[i].deadline = t + secs;
		cl[i].limit = limit ? (limit + n - 1) / n : 0;
		pthread_create(&cl[i].tid, NULL, client_main, &cl[i]);
	}
	for (unsigned int i = 0; i < n; i++) {
		pthread_join(cl[i].tid, NULL);
		if (cl[i].err) {
			printf("Bail out! client %u failed\n", i);
			exit(1);
		}
		ops += cl[i].ops;
	}
	t = bench_now() - t;
	free(cl);
	return ops / t;
}

/* write(2) of a journal-record-sized line + fdatasync(2), in a loop, for secs seconds */
static double fsync_rate(const char *dir, double secs)
{
	char path[512], line[160];
	unsigned int n = 0;
	double t, end;
	int fd;

	snprintf(path, sizeof(path), "%s/bench-fsync.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0) {
		printf("Bail out! cannot create a file in %s\n", dir);
		exit(1);
	}
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	t = bench_now();
	end = t + secs;
	while (bench_now() < end) {
		if (write(fd, line, sizeof(line)) != (ssize_t)sizeof(line) || fdatasync(fd) < 0) {
			printf("Bail out! write/fdatasync in %s failed\n", dir);
			exit(1);
		}
		n++;
	}
	t = bench_now() - t;
	close(fd);
	unlink(path);
	return n / t;
}

static int call_checked(sd_bus *bus, const char *member, const char *types, ...);

/* online memory for the clients' references (already there from an earlier run: fine) */
static void pages_setup(void)
{
	sd_bus *bus = bus_open();
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int r = sd_bus_call_method(bus, PMM_DEST, PMM_PATH, PMM_IFACE, "AddMemory", &e, &reply,
				   "tta{sv}", PAGES_START, 128 * MiB, 1, "online", "s",
				   "online_movable");

	if (r < 0 && !sd_bus_error_has_name(&e, "org.pmm.Hotplug1.Error.Overlap")) {
		printf("Bail out! AddMemory for the benchmark: %s\n", e.message);
		exit(1);
	}
	sd_bus_error_free(&e);
	sd_bus_message_unref(reply);
	sd_bus_flush_close_unref(bus);
}

static int mode_durable(const char *dir)
{
	static const unsigned int clients[] = { 1, 8, 64 };
	unsigned int reps = O.reps > 8 ? 8 : O.reps;
	double secs = O.quick ? 0.3 : 2.0;
	double rate[3][8], base[8];

	if (!dir) {
		printf("Bail out! usage: bench-bus durable STATE_DIR\n");
		return 1;
	}
	pages_setup();
	run_clients(8, 0.2, 0);     /* warm-up */
	for (unsigned int r = 0; r < reps; r++) {
		base[r] = fsync_rate(dir, secs);
		for (unsigned int i = 0; i < 3; i++)
			rate[i][r] = run_clients(clients[i], secs, 0);
	}
	for (unsigned int i = 0; i < 3; i++) {
		struct bench_stat m = bench_stat(rate[i], reps), b = bench_stat(base, reps);
		char name[96];

		/* rates: best is the highest */
		m.min = rate[i][reps - 1];
		b.min = base[reps - 1];
		snprintf(name, sizeof(name), "durable: %u client%s, mutations/s", clients[i],
			 clients[i] == 1 ? "" : "s");
		bench_result(name, "ops/s", m, b, false, clients[i] == 64 ? 3.0 : 0,
			     "GetPages/PutPages, each journaled and fdatasync'ed before its reply; "
			     "against write+fdatasync in the same directory");
	}
	return bench_done();
}

static int mode_fill(const char *count)
{
	uint64_t n = count ? strtoull(count, NULL, 0) : 0;
	double t = bench_now(), rate;

	if (!n) {
		printf("Bail out! usage: bench-bus fill N\n");
		return 1;
	}
	pages_setup();
	rate = run_clients(64, 0, n);
	printf("# %" PRIu64 " journaled operations in %.2f s (%.0f/s)\n", n, bench_now() - t, rate);
	return 0;
}

static int call_checked(sd_bus *bus, const char *member, const char *types, ...)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	va_list ap;
	int r = sd_bus_message_new_method_call(bus, &m, PMM_DEST, PMM_PATH, PMM_IFACE, member);

	va_start(ap, types);
	if (r >= 0)
		r = sd_bus_message_appendv(m, types, ap);
	va_end(ap);
	if (r >= 0)
		r = sd_bus_call(bus, m, 0, &e, &reply);
	if (r < 0)
		printf("Bail out! %s: %s\n", member, e.message ? e.message : strerror(-r));
	sd_bus_error_free(&e);
	sd_bus_message_unref(m);
	sd_bus_message_unref(reply);
	return r;
}

static int mode_scatter(int argc, char **argv)
{
	uint64_t nr_ram, nr_dev, top, slots, slot, seed = 0x9e3779b97f4a7c15ULL;
	const uint64_t block = 128 * MiB;
	sd_bus *bus;

	if (argc < 5) {
		printf("Bail out! usage: bench-bus scatter NR_RAM NR_DEV TOP\n");
		return 1;
	}
	nr_ram = strtoull(argv[2], NULL, 0);
	nr_dev = strtoull(argv[3], NULL, 0);
	top = strtoull(argv[4], NULL, 0);
	slots = nr_ram + nr_dev;
	slot = ((top - 16 * GiB) / slots) & ~(GiB - 1);
	bus = bus_open();
	for (uint64_t i = 0; i < slots; i++) {
		uint64_t start;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		start = 16 * GiB + i * slot + (seed % (slot / GiB - 1)) * GiB;
		if (i < nr_ram) {
			if (call_checked(bus, "AddMemory", "tta{sv}", start, block, 1, "online", "s",
					 i % 2 ? "online_movable" : "offline") < 0)
				return 1;
		} else if (call_checked(bus, "AddDeviceMemory", "tta{sv}", start, GiB, 2, "type",
					"s", "devdax", "align", "t", 2 * MiB) < 0) {
			return 1;
		}
	}
	sd_bus_flush_close_unref(bus);
	printf("# %" PRIu64 " ranges scattered below %#" PRIx64 "\n", slots, top);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	bench_init(argc, argv, &O, 5);
	if (!strcmp(mode, "rtt"))
		return mode_rtt();
	if (!strcmp(mode, "durable"))
		return mode_durable(argc > 2 && argv[2][0] != '-' ? argv[2] : NULL);
	if (!strcmp(mode, "fill"))
		return mode_fill(argc > 2 ? argv[2] : NULL);
	if (!strcmp(mode, "scatter"))
		return mode_scatter(argc, argv);
	fprintf(stderr, "usage: bench-bus rtt | durable STATE_DIR | fill N  [--quick] [--reps N]\n");
	return 2;
}
