/* SPDX-License-Identifier: MIT */
/*
 * pmm-hotplugd: options, start-up and shutdown.
 *
 * Start-up order: configuration → bus connection → the bus name (a second instance stops
 * here) → state directory lock → the model (boot memory) → journal replay → objects →
 * READY=1. Calls that arrive before the objects exist wait in sd-bus's queue: the loop only
 * starts processing once everything is registered.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "backend-kernel.h"
#include "daemon.h"
#include "pmm-names.h"

/* ---------------------------------------------------------------- options */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: pmm-hotplugd [--config FILE] [--address ADDR | --user] [--backend sim|kernel]\n"
		"                    [--state-dir DIR] [--sysfs-root DIR] [--help] [--version]\n"
		"\n"
		"The physical memory hotplug daemon: owns a model of the machine's physical memory\n"
		"and serves " PMM_BUS_NAME " on D-Bus. Runs in the foreground, logs to stderr.\n"
		"\n"
		"  --config FILE      configuration (default " PMM_DEFAULT_CONFIG " if it exists,\n"
		"                     else the embedded default)\n"
		"  --address ADDR     connect to the bus at ADDR instead of the system bus\n"
		"  --user             connect to the session bus\n"
		"  --backend KIND     sim (the model is the truth) or kernel (sysfs is the truth)\n"
		"  --state-dir DIR    journal and namespace files (default /var/lib/pmm-hotplugd)\n"
		"  --sysfs-root DIR   root of the sysfs tree (kernel backend)\n"
		"  --help             show this help\n"
		"  --version          show the version\n");
}

enum { OPT_CONFIG = 256, OPT_ADDRESS, OPT_USER, OPT_BACKEND, OPT_STATE_DIR, OPT_SYSFS_ROOT,
       OPT_HELP, OPT_VERSION };

/* 0: run; 1: exit 0 (help, version); <0: usage error */
static int parse_args(int argc, char **argv, struct pmm_cmdline *cmd)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "address", required_argument, NULL, OPT_ADDRESS },
		{ "user", no_argument, NULL, OPT_USER },
		{ "backend", required_argument, NULL, OPT_BACKEND },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "sysfs-root", required_argument, NULL, OPT_SYSFS_ROOT },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CONFIG: cmd->config = optarg; break;
		case OPT_ADDRESS: cmd->address = optarg; break;
		case OPT_USER: cmd->user_bus = true; break;
		case OPT_BACKEND: cmd->backend = optarg; break;
		case OPT_STATE_DIR: cmd->state_dir = optarg; break;
		case OPT_SYSFS_ROOT: cmd->sysfs_root = optarg; break;
		case OPT_HELP:
			usage(stdout);
			return 1;
		case OPT_VERSION:
			printf("pmm-hotplugd %s\n", PACKAGE_VERSION);
			return 1;
		default:
			if (optopt)
				fprintf(stderr, "pmm-hotplugd: option %s needs an argument\n",
					argv[optind - 1]);
			else
				fprintf(stderr, "pmm-hotplugd: unknown option %s\n", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pmm-hotplugd: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	if (cmd->address && cmd->user_bus) {
		fprintf(stderr, "pmm-hotplugd: --address and --user exclude each other\n");
		return -EINVAL;
	}
	if (cmd->address && !*cmd->address) {
		fprintf(stderr, "pmm-hotplugd: --address needs a bus address\n");
		return -EINVAL;
	}
	if (cmd->backend && strcmp(cmd->backend, "sim") && strcmp(cmd->backend, "kernel")) {
		fprintf(stderr, "pmm-hotplugd: --backend: \"%s\" is not one of sim, kernel\n",
			cmd->backend);
		return -EINVAL;
	}
	return 0;
}

/* ---------------------------------------------------------------- start-up steps */

/* mkdir -p: the state directory is ours (0700: the journal is the machine's memory layout) */
static int make_dirs(const char *path)
{
	_cleanup_(freep) char *p = strdup(path);
	char *s;

	if (!p)
		return -ENOMEM;
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* One daemon per state directory, whatever bus it is on. */
static int lock_state_dir(struct pmm_daemon *d)
{
	_cleanup_(freep) char *path = NULL;

	if (asprintf(&path, "%s/lock", d->cfg.state_dir) < 0)
		return -ENOMEM;
	d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lock_fd < 0)
		return -errno;
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return -errno;
	return 0;
}

static int bus_connect(const struct pmm_cmdline *cmd, sd_bus **out)
{
	sd_bus *bus = NULL;
	int r;

	if (cmd->address) {
		r = sd_bus_new(&bus);
		if (r < 0)
			return r;
		r = sd_bus_set_address(bus, cmd->address);
		if (r >= 0)
			r = sd_bus_set_bus_client(bus, 1);
		if (r >= 0)
			r = sd_bus_start(bus);
		if (r < 0) {
			sd_bus_unref(bus);
			return r;
		}
	} else if (cmd->user_bus) {
		r = sd_bus_open_user(&bus);
	} else {
		r = sd_bus_open_system(&bus);
	}
	if (r < 0)
		return r;
	*out = bus;
	return 0;
}

static const char *bus_word(const struct pmm_cmdline *cmd)
{
	return cmd->address ? cmd->address : cmd->user_bus ? "the session bus" : "the system bus";
}

static int request_name(struct pmm_daemon *d, const struct pmm_cmdline *cmd)
{
	int r = sd_bus_request_name(d->bus, PMM_BUS_NAME, 0);

	if (r == -EEXIST || r == -EALREADY) {
		pmm_log_err("another instance already owns %s on %s; exiting", PMM_BUS_NAME,
			    bus_word(cmd));
		return -EEXIST;
	}
	if (r < 0) {
		pmm_log_err("cannot own %s on %s: %s%s", PMM_BUS_NAME, bus_word(cmd), strerror(-r),
			    r == -EACCES || r == -EPERM ? " (the bus policy does not allow it)" : "");
		return r;
	}
	return 0;
}

static void watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sd_notify(0, "WATCHDOG=1");
}

static void daemon_free(struct pmm_daemon *d)
{
	size_t i;

	pmm_jobs_stop(d);
	pmm_commit_stop(d);
	pmm_kernel_free(d);
	pmm_loop_fini(d);
	if (d->bus) {
		sd_bus_flush(d->bus);
		sd_bus_close(d->bus);
		d->bus = sd_bus_unref(d->bus);
	}
	pmm_journal_close(&d->journal);
	for (i = 0; i < d->nr_ns; i++) {
		free(d->ns[i].backing);
		/* only the sim backend opens backing files (the kernel backend's entries are zeroed) */
		if (d->cfg.backend == PMM_BACKEND_SIM && d->ns[i].fd >= 0)
			close(d->ns[i].fd);
	}
	free(d->ns);
	pmm_range_ids_free(&d->rids);
	pmm_refs_free(&d->refs);
	if (d->mm)
		mm_model_destroy(d->mm);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	pmm_config_free(&d->cfg);
	pmm_model_lock_destroy(d);
}

static int run(const struct pmm_cmdline *cmd)
{
	struct pmm_daemon d = { .lock_fd = -1 };
	_cleanup_(freep) char *errmsg = NULL;
	struct event *wd = NULL;
	struct mm_stats st;
	uint64_t wd_usec;
	int r;

	d.journal.fd = -1;
	d.journal.dir_fd = -1;
	pmm_model_lock_init(&d);
	/* records between snapshots; PMM_SNAPSHOT_EVERY lets tests make it small */
	d.snapshot_every = 1000;
	if (getenv("PMM_SNAPSHOT_EVERY"))
		d.snapshot_every = strtoull(getenv("PMM_SNAPSHOT_EVERY"), NULL, 0);
	/* bytes per step of long work (about 45 ms for 1G on x86_64); PMM_JOB_CHUNK for tests */
	d.chunk_bytes = UINT64_C(1) << 30;
	if (getenv("PMM_JOB_CHUNK"))
		d.chunk_bytes = strtoull(getenv("PMM_JOB_CHUNK"), NULL, 0);
	/* tests: make a job last long enough to be probed, whatever the machine's speed */
	if (getenv("PMM_JOB_STEP_DELAY_US"))
		d.step_delay_us = (unsigned int)strtoul(getenv("PMM_JOB_STEP_DELAY_US"), NULL, 0);
	r = pmm_errors_register();
	if (r < 0)
		pmm_log_warn("cannot register the error names with sd-bus: %s", strerror(-r));

	r = pmm_config_load(cmd, &d.cfg, &errmsg);
	if (r < 0) {
		pmm_log_err("%s", errmsg ? errmsg : strerror(-r));
		goto out;
	}
	r = make_dirs(d.cfg.state_dir);
	if (r < 0) {
		pmm_log_err("state directory %s: %s", d.cfg.state_dir, strerror(-r));
		goto out;
	}

	r = bus_connect(cmd, &d.bus);
	if (r < 0) {
		pmm_log_err("cannot connect to %s: %s", bus_word(cmd), strerror(-r));
		goto out;
	}
	r = request_name(&d, cmd);
	if (r < 0)
		goto out;
	r = lock_state_dir(&d);
	if (r < 0) {
		pmm_log_err("state directory %s is in use by another pmm-hotplugd (%s)",
			    d.cfg.state_dir, strerror(-r));
		goto out;
	}

	r = d.cfg.backend == PMM_BACKEND_KERNEL ? pmm_kernel_init(&d, &errmsg) :
						  pmm_sim_init(&d, &errmsg);
	if (r < 0) {
		pmm_log_err("%s", errmsg ? errmsg : strerror(-r));
		goto out;
	}
	r = pmm_journal_open(&d, &errmsg);
	if (r < 0) {
		pmm_log_err("%s", errmsg ? errmsg : strerror(-r));
		goto out;
	}
	r = pmm_manager_register(&d);
	if (r >= 0)
		r = pmm_objects_register(&d);
	if (r < 0) {
		pmm_log_err("cannot register the D-Bus objects: %s", strerror(-r));
		goto out;
	}
	mm_get_stats(d.mm, &st);
	d.announced = st;

	r = pmm_loop_init(&d);
	if (r < 0) {
		pmm_log_err("cannot set up the event loop: %s", strerror(-r));
		goto out;
	}
	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0) {
		struct timeval tv = { .tv_sec = (time_t)(wd_usec / 2 / 1000000),
				      .tv_usec = (suseconds_t)(wd_usec / 2 % 1000000) };

		wd = event_new(d.loop.base, -1, EV_PERSIST, watchdog_cb, NULL);
		if (wd)
			event_add(wd, &tv);
	}
	r = pmm_commit_start(&d);
	if (r >= 0)
		r = pmm_jobs_start(&d);
	if (r < 0) {
		pmm_log_err("cannot start the syncer and worker threads: %s", strerror(-r));
		goto out;
	}
	/* kernel backend: udev events on the loop, and the ones queued since start-up */
	r = d.kernel ? pmm_kernel_start(&d) : 0;
	if (r < 0) {
		pmm_log_err("cannot listen to udev events: %s", strerror(-r));
		goto out;
	}
	pmm_log_info("serving %s on %s (%s, %s, state in %s)", PMM_BUS_NAME, bus_word(cmd),
		     d.cfg.arch->name, mm_memory_model_name(d.cfg.model), d.cfg.state_dir);
	sd_notifyf(0, "READY=1\nSTATUS=Serving %s: %llu bytes present, %llu online",
		   PMM_BUS_NAME, (unsigned long long)st.present_bytes,
		   (unsigned long long)st.online_bytes);

	r = pmm_loop_run(&d);
	if (r < 0)
		pmm_log_err("event loop: %s", strerror(-r));
	else if (d.exit_code)
		r = -EIO;
	/* stop the worker (a running job is undone), answer what waits for its fdatasync */
	pmm_jobs_stop(&d);
	pmm_commit_stop(&d);
	if (d.bus && !d.failed)
		sd_bus_release_name(d.bus, PMM_BUS_NAME);
out:
	if (wd)
		event_free(wd);
	daemon_free(&d);
	return r;
}

int main(int argc, char **argv)
{
	struct pmm_cmdline cmd = { 0 };
	int r;

	r = parse_args(argc, argv, &cmd);
	if (r > 0)
		return 0;
	if (r < 0) {
		fprintf(stderr, "Try 'pmm-hotplugd --help'.\n");
		return 2;
	}
	r = run(&cmd);
	return r < 0 ? 1 : 0;
}
