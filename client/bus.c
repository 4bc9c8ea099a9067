/* SPDX-License-Identifier: MIT */
/*
 * The bus side of pmmctl: connect, call, print failures, and the progress bar of long calls.
 * The exit status is decided here, once: 1 when the daemon (or the bus policy) refused, 3 when
 * nobody answered.
 */
#include "pmmctl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "json.h"

static void print_unreachable(struct pmmctl *ctx, const char *name, const char *why)
{
	fprintf(stderr, "pmmctl: cannot reach pmm-hotplugd: %s\n", why);
	if (ctx->json) {
		_cleanup_json_ json_object *o = pmm_json_error(name, why);

		pmm_json_print(o);
	}
}

int pmm_connect(struct pmmctl *ctx)
{
	sd_bus *bus = NULL;
	const char *where;
	char why[512];
	int r;

	if (ctx->bus)
		return 0;
	if (ctx->address) {
		where = ctx->address;
		r = sd_bus_new(&bus);
		if (r >= 0)
			r = sd_bus_set_address(bus, ctx->address);
		/* a private bus daemon: say Hello, authenticate with EXTERNAL (the default) */
		if (r >= 0)
			r = sd_bus_set_bus_client(bus, 1);
		if (r >= 0)
			r = sd_bus_start(bus);
	} else if (ctx->user) {
		where = "the session bus";
		r = sd_bus_open_user(&bus);
	} else {
		where = "the system bus";
		r = sd_bus_open_system(&bus);
	}
	if (r < 0) {
		sd_bus_unref(bus);
		snprintf(why, sizeof(why), "cannot connect to %s: %s", where, strerror(-r));
		print_unreachable(ctx, "org.freedesktop.DBus.Error.NoServer", why);
		return PMM_EXIT_UNREACHABLE;
	}
	ctx->bus = bus;
	return 0;
}

void pmm_disconnect(struct pmmctl *ctx)
{
	if (ctx->bus)
		sd_bus_flush_close_unref(ctx->bus);
	ctx->bus = NULL;
}

/* Errors meaning "no daemon answered", as opposed to "the daemon said no". */
static const char *const unreachable_errors[] = {
	SD_BUS_ERROR_SERVICE_UNKNOWN,
	SD_BUS_ERROR_NAME_HAS_NO_OWNER,
	SD_BUS_ERROR_NO_REPLY,
	SD_BUS_ERROR_DISCONNECTED,
	SD_BUS_ERROR_NO_SERVER,
	SD_BUS_ERROR_TIMEOUT,
	SD_BUS_ERROR_NO_NETWORK,
	SD_BUS_ERROR_ADDRESS_IN_USE,
};

bool pmm_error_is_unreachable(const sd_bus_error *error, int r)
{
	/* sd-bus names local failures System.Error.EXXX: judge those by their errno */
	if (sd_bus_error_is_set(error) && strncmp(error->name, "System.Error.", 13) == 0)
		r = -sd_bus_error_get_errno(error);
	else if (sd_bus_error_is_set(error)) {
		for (size_t i = 0; i < ELEMENTSOF(unreachable_errors); i++)
			if (sd_bus_error_has_name(error, unreachable_errors[i]))
				return true;
		/* bus activation of the daemon failed: org.freedesktop.DBus.Error.Spawn.* */
		return strncmp(error->name, "org.freedesktop.DBus.Error.Spawn.", 33) == 0;
	}
	switch (-r) {
	case ECONNREFUSED: case ECONNRESET: case ENOTCONN: case EPIPE: case ENOENT:
	case ETIMEDOUT: case EHOSTUNREACH: case ENETUNREACH: case ESHUTDOWN: case ENXIO:
	case EHOSTDOWN: case ENOMEDIUM:
		return true;
	default:
		return false;
	}
}

int pmm_report_error(struct pmmctl *ctx, const sd_bus_error *error, int r)
{
	_cleanup_(sd_bus_error_free) sd_bus_error local = SD_BUS_ERROR_NULL;
	const char *name, *last, *message;

	if (!sd_bus_error_is_set(error)) {
		/* a local failure: give it the errno's D-Bus name (System.Error.EXXX) */
		sd_bus_error_set_errno(&local, r < 0 ? r : -EIO);
		if (pmm_error_is_unreachable(error, r)) {
			print_unreachable(ctx, local.name, strerror(r < 0 ? -r : EIO));
			return PMM_EXIT_UNREACHABLE;
		}
		error = &local;
	}
	if (pmm_error_is_unreachable(error, r)) {
		print_unreachable(ctx, error->name, error->message ? error->message : error->name);
		return PMM_EXIT_UNREACHABLE;
	}
	name = error->name;
	last = strrchr(name, '.');
	last = last ? last + 1 : name;
	message = error->message ? error->message : strerror(r < 0 ? -r : EIO);
	fprintf(stderr, "pmmctl: %s: %s\n", last, message);
	if (ctx->json) {
		_cleanup_json_ json_object *o = pmm_json_error(name, message);

		pmm_json_print(o);
	}
	return PMM_EXIT_REFUSED;
}

int pmm_new_call(struct pmmctl *ctx, sd_bus_message **m, const char *member)
{
	int r = pmm_connect(ctx);

	if (r)
		return r;
	r = sd_bus_message_new_method_call(ctx->bus, m, PMM_BUS_NAME, PMM_MANAGER_PATH,
					   PMM_MANAGER_IFACE, member);
	return r < 0 ? pmm_report_error(ctx, NULL, r) : 0;
}

int pmm_call(struct pmmctl *ctx, sd_bus_message *m, uint64_t timeout_usec, sd_bus_message **reply)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r = sd_bus_call(ctx->bus, m, timeout_usec, &error, reply);

	return r < 0 ? pmm_report_error(ctx, &error, r) : 0;
}

/* ------------------------------------------------------------------ progress bar */

struct progress {
	const char *op;
	uint64_t start, size;
	bool drawn;
	uint64_t last_draw;         /* CLOCK_MONOTONIC µs of the last redraw */
	unsigned int last_permille;
	sd_bus_message *reply;      /* set by the reply callback */
	bool done;
};

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static unsigned int terminal_columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	return 80;
}

static void progress_draw(struct progress *p, uint64_t done, uint64_t total)
{
	unsigned int permille = total ? (unsigned int)((done > total ? total : done) * 1000 / total) : 0;
	unsigned int cols = terminal_columns(), width, fill;
	uint64_t now = now_usec();
	char label[48];

	/* redraw at most ~20 times a second, and always the last step */
	if (p->drawn && done < total && (now - p->last_draw < 50000 || permille == p->last_permille))
		return;
	snprintf(label, sizeof(label), "%.20s", p->op);
	width = cols - (unsigned int)strlen(label) - 12;
	if (width > 60)
		width = 60;
	fill = permille * width / 1000;
	fprintf(stderr, "\r%s [", label);
	for (unsigned int i = 0; i < width; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "] %3u%%", permille / 10);
	fflush(stderr);
	p->drawn = true;
	p->last_draw = now;
	p->last_permille = permille;
}

static void progress_clear(struct progress *p)
{
	if (p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
}

/* Progress(s operation, t start, t size, t done, t total) of the Manager. */
static int on_progress(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct progress *p = userdata;
	uint64_t start, size, done, total;
	const char *op;

	if (sd_bus_message_read(m, "stttt", &op, &start, &size, &done, &total) < 0)
		return 0;
	/*
	 * another client's operation is not ours to draw; add-namespace does not know its range
	 * in advance, so it goes by the operation's name
	 */
	if (p->size ? start != p->start || size != p->size : strcmp(op, p->op) != 0)
		return 0;
	progress_draw(p, done, total);
	return 0;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct progress *p = userdata;

	p->reply = sd_bus_message_ref(m);
	p->done = true;
	return 0;
}

static bool want_progress(const struct pmmctl *ctx)
{
	return !ctx->json && !ctx->no_progress && isatty(STDERR_FILENO) && isatty(STDOUT_FILENO);
}

int pmm_call_progress(struct pmmctl *ctx, sd_bus_message *m, const char *op, uint64_t start,
		      uint64_t size, sd_bus_message **reply)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_slot_ sd_bus_slot *match = NULL, *call = NULL;
	struct progress p = { .op = op, .start = start, .size = size };
	int r;

	if (!want_progress(ctx))
		return pmm_call(ctx, m, PMM_LONG_CALL_TIMEOUT_USEC, reply);

	/* subscribe before the call, so no early Progress is lost (AddMatch is synchronous) */
	r = sd_bus_match_signal(ctx->bus, &match, PMM_BUS_NAME, PMM_MANAGER_PATH, PMM_MANAGER_IFACE,
				"Progress", on_progress, &p);
	if (r < 0)
		return pmm_report_error(ctx, NULL, r);
	r = sd_bus_call_async(ctx->bus, &call, m, on_reply, &p, PMM_LONG_CALL_TIMEOUT_USEC);
	if (r < 0)
		return pmm_report_error(ctx, NULL, r);
	while (!p.done) {
		r = sd_bus_process(ctx->bus, NULL);
		if (r < 0)
			break;
		if (r > 0)
			continue;
		r = sd_bus_wait(ctx->bus, UINT64_MAX);
		if (r < 0)
			break;
	}
	progress_clear(&p);
	if (!p.done)
		return pmm_report_error(ctx, NULL, r);

	/* the reply (or a synthesized timeout/disconnect error) arrived */
	r = sd_bus_message_get_errno(p.reply);
	if (sd_bus_message_is_method_error(p.reply, NULL)) {
		sd_bus_error_copy(&error, sd_bus_message_get_error(p.reply));
		sd_bus_message_unref(p.reply);
		return pmm_report_error(ctx, &error, r ? -r : -EIO);
	}
	*reply = p.reply;
	return 0;
}

/* ------------------------------------------------------------------ properties and JSON calls */

static int get_property(struct pmmctl *ctx, const char *property, char type, void *out)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r = pmm_connect(ctx);

	if (r)
		return r;
	if (type == SD_BUS_TYPE_STRING)
		r = sd_bus_get_property_string(ctx->bus, PMM_BUS_NAME, PMM_MANAGER_PATH,
					       PMM_MANAGER_IFACE, property, &error, out);
	else
		r = sd_bus_get_property_trivial(ctx->bus, PMM_BUS_NAME, PMM_MANAGER_PATH,
						PMM_MANAGER_IFACE, property, &error, type, out);
	return r < 0 ? pmm_report_error(ctx, &error, r) : 0;
}

int pmm_get_u64(struct pmmctl *ctx, const char *property, uint64_t *out)
{
	return get_property(ctx, property, SD_BUS_TYPE_UINT64, out);
}

int pmm_get_u32(struct pmmctl *ctx, const char *property, uint32_t *out)
{
	return get_property(ctx, property, SD_BUS_TYPE_UINT32, out);
}

int pmm_get_string(struct pmmctl *ctx, const char *property, char **out)
{
	return get_property(ctx, property, SD_BUS_TYPE_STRING, out);
}

static int read_json_reply(struct pmmctl *ctx, sd_bus_message *reply, char **json)
{
	const char *s;
	int r = sd_bus_message_read(reply, "s", &s);

	if (r < 0)
		return pmm_report_error(ctx, NULL, r);
	*json = strdup(s);
	return *json ? 0 : pmm_report_error(ctx, NULL, -ENOMEM);
}

int pmm_describe(struct pmmctl *ctx, char **json)
{
	_cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
	int r = pmm_new_call(ctx, &m, "Describe");

	if (!r)
		r = pmm_call(ctx, m, 0, &reply);
	return r ? r : read_json_reply(ctx, reply, json);
}

int pmm_list(struct pmmctl *ctx, const char *kind, char **json)
{
	_cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
	int r = pmm_new_call(ctx, &m, "List");

	if (r)
		return r;
	r = sd_bus_message_append(m, "sa{sv}", kind, 0);
	if (r < 0)
		return pmm_report_error(ctx, NULL, r);
	r = pmm_call(ctx, m, 0, &reply);
	return r ? r : read_json_reply(ctx, reply, json);
}

/* ------------------------------------------------------------------ a{sv} options */

int pmm_append_opt_str(sd_bus_message *m, const char *key, const char *value)
{
	return sd_bus_message_append(m, "{sv}", key, "s", value);
}

int pmm_append_opt_u32(sd_bus_message *m, const char *key, uint32_t value)
{
	return sd_bus_message_append(m, "{sv}", key, "u", value);
}

int pmm_append_opt_u64(sd_bus_message *m, const char *key, uint64_t value)
{
	return sd_bus_message_append(m, "{sv}", key, "t", value);
}

int pmm_append_opt_bool(sd_bus_message *m, const char *key, bool value)
{
	return sd_bus_message_append(m, "{sv}", key, "b", (int)value);
}
