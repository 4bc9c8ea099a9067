/* SPDX-License-Identifier: MIT */
/*
 * pmmctl policy [TYPE] [--ratio N]: the auto-online policy for newly added blocks (the daemon's
 * memhp_default_state + online_policy + auto_movable_ratio, persisted by the daemon).
 */
#include "pmmctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "pmm-json-fields.h"

static const char *const policies[] = {
	"offline", "online", "online_kernel", "online_movable", "auto-movable", NULL
};

struct policy_args {
	bool has_ratio;
	uint32_t ratio;
};

static int policy_option(struct pmmctl *ctx, void *data, int opt, const char *arg)
{
	struct policy_args *a = data;

	if (opt != 'r')
		return PMM_EXIT_USAGE;
	a->has_ratio = true;
	return pmm_arg_u32(ctx, "--ratio", arg, &a->ratio);
}

static int show_policy(struct pmmctl *ctx)
{
	_cleanup_free_ char *policy = NULL;
	uint32_t ratio;
	int r;

	r = pmm_get_string(ctx, "AutoOnlineBlocks", &policy);
	if (!r)
		r = pmm_get_u32(ctx, "AutoMovableRatio", &ratio);
	if (r)
		return r;
	if (ctx->json) {
		_cleanup_json_ json_object *o = json_object_new_object();

		json_object_object_add(o, PMM_J_AUTO_ONLINE_BLOCKS, json_object_new_string(policy));
		json_object_object_add(o, "auto_movable_ratio", json_object_new_int64(ratio));
		pmm_json_print(o);
	} else {
		printf("auto-online blocks: %s\n", policy);
		printf("auto-movable ratio: %" PRIu32 "%%\n", ratio);
	}
	return PMM_EXIT_OK;
}

int verb_policy(struct pmmctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ratio", required_argument, NULL, 'r' },
		{ 0 }
	};
	_cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
	struct policy_args a = { 0 };
	char **pos;
	int npos, r;

	r = pmm_parse_verb(ctx, pmm_verb_lookup("policy"), argc, argv, "", opts, policy_option, &a,
			   &pos, &npos);
	if (r)
		return r;
	if (npos == 1) {
		r = pmm_arg_enum(ctx, "policy", pos[0], policies);
		if (r)
			return r;
	}
	/* the ratio only bounds auto-movable (auto_movable_ratio), as in the kernel */
	if (a.has_ratio && (npos == 0 || strcmp(pos[0], "auto-movable") != 0))
		return pmm_usage_error(ctx, "--ratio goes with the policy auto-movable");
	if (npos == 0)
		return show_policy(ctx);

	r = pmm_new_call(ctx, &m, "SetOnlinePolicy");
	if (r)
		return r;
	r = sd_bus_message_append(m, "s", pos[0]);
	if (r >= 0)
		r = sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "{sv}");
	if (r >= 0 && a.has_ratio)
		r = pmm_append_opt_u32(m, PMM_OPT_RATIO, a.ratio);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r < 0)
		return pmm_report_error(ctx, NULL, r);
	r = pmm_call(ctx, m, 0, &reply);
	return r ? r : show_policy(ctx);
}
