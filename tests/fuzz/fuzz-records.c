/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: what pmm-hotplugd reads back from its state directory.
 *
 * The first byte picks the layer:
 *   even: the rest is a record file (journal or snapshot) through the checked line reader
 *         (CRC, sequence numbers, truncation), each record through the header check or the
 *         operation decoder, as replay does;
 *   odd:  the rest is one record's JSON straight into the operation decoder (pmm_op_from_json),
 *         so mutations need not keep a CRC right to reach it.
 * A damaged file must be refused with a message; an operation the decoder accepts must encode
 * and decode to itself (pmm_op_to_json, then pmm_op_from_json).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "daemon/daemon.h"

#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "fuzz-records: " __VA_ARGS__); \
	fputc('\n', stderr); abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct pmm_config cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *err = NULL;

	(void)argc;
	(void)argv;
	if (pmm_config_parse_text("{\"state_dir\": \"/nonexistent\"}", "fuzz", &cfg, &err) < 0)
		abort();
	return 0;
}

static const char *encode(const struct pmm_op *op, char **out)
{
	json_object *o = pmm_op_to_json(op);

	*out = o ? strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) : NULL;
	json_object_put(o);
	return *out;
}

/* An accepted operation survives an encode/decode round trip unchanged. */
static void decode(json_object *o)
{
	struct pmm_op op, again;
	char why[256], *a = NULL, *b = NULL;
	json_object *back;

	if (pmm_op_from_json(o, &op, why, sizeof(why)) < 0) {
		CHECK(why[0], "a refused record without a reason");
		return;
	}
	CHECK(encode(&op, &a), "cannot encode a decoded %s", pmm_op_name(op.kind));
	back = json_tokener_parse(a);
	CHECK(back && pmm_op_from_json(back, &again, why, sizeof(why)) == 0,
	      "%s does not decode again: %s", a, why);
	CHECK(encode(&again, &b) && !strcmp(a, b), "round trip changed %s into %s", a, b);
	json_object_put(back);
	free(a);
	free(b);
}

static void record_file(const uint8_t *data, size_t size)
{
	struct pmm_records *rd = NULL;
	char *err = NULL, why[256];
	json_object *o;
	FILE *f;
	int r, n = 0;

	f = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");
	if (!f)
		return;
	if (pmm_records_open("journal", "fuzz", f, &err, &rd) < 0) {
		fclose(f);
		return;
	}
	while ((r = pmm_records_next(rd, &o)) > 0) {
		if (n++ == 0)
			pmm_identity_check(o, &cfg, "pmm-journal", why, sizeof(why));
		else
			decode(o);
		json_object_put(o);
	}
	CHECK(r == 0 || (err && strstr(err, "journal fuzz: record ")), "refusal %d without a message: %s",
	      r, err ? err : "(none)");
	pmm_records_close(rd);
	free(err);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		char *text = malloc(size);
		json_object *o;

		if (!text)
			return 0;
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		o = json_tokener_parse(text);
		if (o && json_object_is_type(o, json_type_object))
			decode(o);
		json_object_put(o);
		free(text);
		return 0;
	}
	record_file(data + 1, size - 1);
	return 0;
}
