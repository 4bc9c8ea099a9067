/* SPDX-License-Identifier: MIT */
/*
 * bus-burst ADDRESS PFN COUNT: send COUNT GetPages(PFN, 1) calls without waiting, then COUNT
 * PutPages, all in flight at once; exit 0 if every call succeeded. Used by bus.sh to show
 * that concurrent requests share fdatasyncs (group commit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "pmm-names.h"

static int replies, failures;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const sd_bus_error *e = sd_bus_message_get_error(m);

	(void)userdata;
	(void)ret_error;
	replies++;
	if (e) {
		failures++;
		fprintf(stderr, "bus-burst: %s: %s\n", e->name, e->message);
	}
	return 0;
}

static int burst(sd_bus *bus, const char *method, unsigned long long pfn, int count)
{
	int i, r;

	replies = 0;
	for (i = 0; i < count; i++) {
		r = sd_bus_call_method_async(bus, NULL, PMM_BUS_NAME, PMM_MANAGER_PATH,
					     PMM_MANAGER_IFACE, method, on_reply, NULL, "tt",
					     (uint64_t)pfn, (uint64_t)1);
		if (r < 0) {
			fprintf(stderr, "bus-burst: %s: %s\n", method, strerror(-r));
			return r;
		}
	}
	while (replies < count) {
		r = sd_bus_process(bus, NULL);
		if (r < 0)
			return r;
		if (r == 0 && (r = sd_bus_wait(bus, 10 * 1000000)) < 0)
			return r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	sd_bus *bus = NULL;
	int count, r;
	unsigned long long pfn;

	if (argc != 4) {
		fprintf(stderr, "usage: bus-burst ADDRESS PFN COUNT\n");
		return 2;
	}
	pfn = strtoull(argv[2], NULL, 0);
	count = atoi(argv[3]);
	if (count < 1 || count > 120) {
		fprintf(stderr, "bus-burst: COUNT must be 1-120 (sd-bus allows 128 calls in flight)\n");
		return 2;
	}
	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, argv[1]);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0) {
		fprintf(stderr, "bus-burst: cannot connect: %s\n", strerror(-r));
		return 1;
	}
	r = burst(bus, "GetPages", pfn, count);
	if (r >= 0)
		r = burst(bus, "PutPages", pfn, count);
	sd_bus_flush_close_unref(bus);
	if (r < 0) {
		fprintf(stderr, "bus-burst: %s\n", strerror(-r));
		return 1;
	}
	printf("%d calls, %d failed\n", 2 * count, failures);
	return failures ? 1 : 0;
}
