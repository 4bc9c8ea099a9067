/* SPDX-License-Identifier: MIT */
/*
 * load ADDRESS DAEMON_PID [REQUESTS]: 64 clients, each on its own bus connection, each with one
 * call in flight at a time, REQUESTS calls each (default 120), against pmm-hotplugd.
 *
 * Client c owns memory block B_c and walks it through a cycle that returns to where it
 * started (add, online, pin a page, offline refused Busy, unpin, offline, remove); every other
 * call is a read (Describe, List, LookupPfn, Plan, a property) or a request on one block all
 * clients share (online, offline, get/put a page there), where only InvalidState, Busy and
 * NotFound may refuse.
 *
 * Checks: every call is answered (no timeout, no lost reply); no error but the expected ones;
 * the daemon's VmRSS after a warm-up (the first quarter) and at the end differ by less than a
 * bound, since after each cycle the model is where it was: what remains is allocator slack,
 * not state (see LOAD_RSS_BOUND_KB below); the model ends where the warm-up found it.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "pmm-names.h"
#include "rel.h"
#include "tests/tap.h"

#define NR_CLIENTS   64
#define BLOCK        (128 * REL_M)
#define OWN_BASE     (4 * REL_G)            /* client c: [4G + c * 128M, +128M) */
#define SHARED       (12 * REL_G)           /* the block every client pokes at */
#define PAGE_SHIFT   12
/*
 * RSS may grow by allocator slack only: glibc keeps freed chunks in per-thread arenas (the loop,
 * the job worker and the syncer each have one) and sd-bus keeps its per-connection buffers at
 * their high-water mark; 64 connections' worth of queued replies and signals is well under
 * 2 MiB. A leak of 300 bytes per request over the measured three quarters (5760 requests by
 * default) is 1.7 MiB: the bound is 2 MiB.
 */
#define LOAD_RSS_BOUND_KB 2048

struct client {
	int idx;
	sd_bus *bus;
	bool busy;
	unsigned int sent, answered, step;
	const char *what;             /* the call in flight */
	bool shared;                  /* it targets the shared block */
	bool expect_busy;             /* the cycle's offline of a pinned block */
};

struct load {
	struct client cl[NR_CLIENTS];
	unsigned int per_client, unexpected, expected_refusals, timeouts;
	struct { char name[80]; unsigned int n; } errors[24];
};

static void count_error(struct load *l, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(l->errors) / sizeof(l->errors[0]); i++) {
		if (!l->errors[i].name[0])
			snprintf(l->errors[i].name, sizeof(l->errors[i].name), "%s", name);
		if (!strcmp(l->errors[i].name, name)) {
			l->errors[i].n++;
			return;
		}
	}
}

static struct load *the_load;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct client *c = userdata;
	struct load *l = the_load;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	bool expected;

	(void)ret_error;
	c->busy = false;
	c->answered++;
	if (!e) {
		if (c->expect_busy) {
			l->unexpected++;
			printf("# client %d: %s succeeded, Busy expected\n", c->idx, c->what);
		}
		return 0;
	}
	count_error(l, e->name);
	if (sd_bus_error_has_name(e, SD_BUS_ERROR_TIMEOUT) || sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY))
		l->timeouts++;
	expected = (c->expect_busy && sd_bus_error_has_name(e, PMM_ERROR_BUSY)) ||
		   (c->shared && (sd_bus_error_has_name(e, PMM_ERROR_INVALID_STATE) ||
				  sd_bus_error_has_name(e, PMM_ERROR_BUSY) ||
				  sd_bus_error_has_name(e, PMM_ERROR_NOT_FOUND)));
	if (expected) {
		l->expected_refusals++;
	} else {
		l->unexpected++;
		if (l->unexpected <= 10)
			printf("# client %d: %s: %s: %s\n", c->idx, c->what, e->name, e->message);
	}
	return 0;
}

static int call(struct client *c, const char *what, const char *member, const char *types, ...)
{
	sd_bus_message *m = NULL;
	va_list ap;
	int r;

	r = sd_bus_message_new_method_call(c->bus, &m, PMM_BUS_NAME, PMM_MANAGER_PATH,
					   PMM_MANAGER_IFACE, member);
	if (r >= 0 && types) {
		va_start(ap, types);
		r = sd_bus_message_appendv(m, types, ap);
		va_end(ap);
	}
	if (r >= 0)
		r = sd_bus_call_async(c->bus, NULL, m, on_reply, c, 60 * 1000000ULL);
	sd_bus_message_unref(m);
	if (r >= 0) {
		c->busy = true;
		c->sent++;
		c->what = what;
	}
	return r;
}

/* The own block's cycle: 7 steps that end where they started. */
static int own_step(struct client *c)
{
	uint64_t start = OWN_BASE + (uint64_t)c->idx * BLOCK, pfn = start >> PAGE_SHIFT;

	switch (c->step++ % 7) {
	case 0: return call(c, "AddMemory", "AddMemory", "tta{sv}", start, BLOCK, 1, PMM_OPT_ONLINE, "s", "offline");
	case 1: return call(c, "OnlineMemory", "OnlineMemory", "tts", start, BLOCK,
			    c->idx % 2 ? "online_movable" : "online_kernel");
	case 2: return call(c, "GetPages", "GetPages", "tt", pfn + (uint64_t)c->idx, (uint64_t)3);
	case 3:
		c->expect_busy = true;
		return call(c, "OfflineMemory (pinned)", "OfflineMemory", "tt", start, BLOCK);
	case 4: return call(c, "PutPages", "PutPages", "tt", pfn + (uint64_t)c->idx, (uint64_t)3);
	case 5: return call(c, "OfflineMemory", "OfflineMemory", "tt", start, BLOCK);
	default: return call(c, "RemoveMemory", "RemoveMemory", "tt", start, BLOCK);
	}
}

static int read_step(struct client *c)
{
	uint64_t start = OWN_BASE + (uint64_t)c->idx * BLOCK;

	switch (c->sent % 5) {
	case 0: return call(c, "Describe", "Describe", NULL);
	case 1: return call(c, "List", "List", "sa{sv}", c->sent % 2 ? PMM_LIST_BLOCKS : PMM_LIST_RANGES, 0);
	case 2: return call(c, "LookupPfn", "LookupPfn", "t", (start >> PAGE_SHIFT) + 5);
	case 3: return call(c, "Plan", "Plan", "stta{sv}", "online", start, BLOCK, 0);
	default: {
		sd_bus_message *m = NULL;
		int r = sd_bus_message_new_method_call(c->bus, &m, PMM_BUS_NAME, PMM_MANAGER_PATH,
						       "org.freedesktop.DBus.Properties", "Get");

		if (r >= 0)
			r = sd_bus_message_append(m, "ss", PMM_MANAGER_IFACE, "OnlineBytes");
		if (r >= 0)
			r = sd_bus_call_async(c->bus, NULL, m, on_reply, c, 60 * 1000000ULL);
		sd_bus_message_unref(m);
		if (r >= 0) {
			c->busy = true;
			c->sent++;
			c->what = "Get OnlineBytes";
		}
		return r;
	}
	}
}

static int shared_step(struct client *c)
{
	uint64_t pfn = (SHARED >> PAGE_SHIFT) + (uint64_t)(c->idx % 8);

	c->shared = true;
	switch ((c->sent / 4 + (unsigned int)c->idx) % 4) {
	case 0: return call(c, "OnlineMemory (shared)", "OnlineMemory", "tts", SHARED, BLOCK, "online_movable");
	case 1: return call(c, "GetPages (shared)", "GetPages", "tt", pfn, (uint64_t)1);
	case 2: return call(c, "PutPages (shared)", "PutPages", "tt", pfn, (uint64_t)1);
	default: return call(c, "OfflineMemory (shared)", "OfflineMemory", "tt", SHARED, BLOCK);
	}
}

/* The next call of client c: every other one is a step of its own cycle. */
static int next_call(struct client *c)
{
	c->shared = false;
	c->expect_busy = false;
	if (c->sent % 2 == 0)
		return own_step(c);
	return c->sent % 4 == 1 ? read_step(c) : shared_step(c);
}

static long vmrss_kb(long pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* Until every client sent `until` calls and got every answer. */
static void run(struct load *l, unsigned int until)
{
	struct pollfd p[NR_CLIENTS];
	bool more = true;
	int i, r;

	while (more) {
		more = false;
		for (i = 0; i < NR_CLIENTS; i++) {
			struct client *c = &l->cl[i];

			if (!c->busy && c->sent < until && next_call(c) < 0) {
				l->unexpected++;
				printf("# client %d: cannot send\n", i);
				c->sent = until;
			}
			more |= c->busy || c->sent < until;
			while ((r = sd_bus_process(c->bus, NULL)) > 0)
				;
			p[i].fd = sd_bus_get_fd(c->bus);
			p[i].events = (short)sd_bus_get_events(c->bus);
		}
		if (more)
			poll(p, NR_CLIENTS, 100);
	}
}

static char *describe(sd_bus *bus)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	char *s = NULL;

	rel_call_string(bus, &e, &s, "Describe", "");
	sd_bus_error_free(&e);
	return s;
}

int main(int argc, char **argv)
{
	static struct load l;
	unsigned int warm, i, total = 0, answered = 0;
	long pid, rss_warm, rss_end;
	long long t0, t1;
	char *before, *after;
	int r;

	if (argc < 3) {
		fprintf(stderr, "usage: load ADDRESS DAEMON_PID [REQUESTS_PER_CLIENT]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	pid = strtol(argv[2], NULL, 0);
	l.per_client = argc > 3 ? (unsigned int)strtoul(argv[3], NULL, 0) : 120;
	/* whole cycles (14 calls) in the warm-up and in total: both end where they began */
	l.per_client = (l.per_client + 13) / 14 * 14;
	warm = l.per_client / 4 / 14 * 14;
	if (warm < 14)
		warm = 14;
	the_load = &l;
	for (i = 0; i < NR_CLIENTS; i++) {
		l.cl[i].idx = (int)i;
		r = rel_bus_open(argv[1], &l.cl[i].bus);
		if (r < 0) {
			printf("Bail out! client %u cannot connect: %s\n", i, strerror(-r));
			return 1;
		}
	}
	ok(1, "%d clients connected, each on its own connection", NR_CLIENTS);
	before = describe(l.cl[0].bus);

	t0 = rel_now_ms();
	run(&l, warm);
	rss_warm = vmrss_kb(pid);
	t1 = rel_now_ms();
	run(&l, l.per_client);
	rss_end = vmrss_kb(pid);
	for (i = 0; i < NR_CLIENTS; i++) {
		total += l.cl[i].sent;
		answered += l.cl[i].answered;
	}
	ok(total == NR_CLIENTS * l.per_client && answered == total && !l.timeouts,
	   "%u calls, %u answered, %u timed out or lost", total, answered, l.timeouts);
	ok(!l.unexpected, "no error but the expected ones (%u expected refusals, %u unexpected)",
	   l.expected_refusals, l.unexpected);
	for (i = 0; i < sizeof(l.errors) / sizeof(l.errors[0]) && l.errors[i].name[0]; i++)
		printf("#   %s: %u\n", l.errors[i].name, l.errors[i].n);
	printf("# %.0f calls/s over the measured part (%lld ms in all)\n",
	       (double)(total - NR_CLIENTS * warm) * 1000.0 / (double)(rel_now_ms() - t1 + 1),
	       rel_now_ms() - t0);
	ok(rss_warm > 0 && rss_end > 0 && rss_end - rss_warm < LOAD_RSS_BOUND_KB,
	   "daemon VmRSS flat: %ld KiB after the warm-up, %ld KiB at the end (growth %ld KiB, bound %d KiB)",
	   rss_warm, rss_end, rss_end - rss_warm, LOAD_RSS_BOUND_KB);
	after = describe(l.cl[0].bus);
	/* the shared block's state may differ; its bytes are in online_bytes only */
	ok(before && after, "Describe answers after the load");
	if (before && after) {
		char *a = strstr(before, "\"present_bytes\""), *b = strstr(after, "\"present_bytes\"");

		ok(a && b && !strncmp(a, b, strcspn(a, ",")) ,
		   "every client's cycle ended where it began (present_bytes unchanged)");
	}
	free(before);
	free(after);
	for (i = 0; i < NR_CLIENTS; i++)
		sd_bus_flush_close_unref(l.cl[i].bus);
	return tap_done();
}
