/* SPDX-License-Identifier: MIT */
/* JSON output helpers: D-Bus values → json-c, contract field order, printing. */
#include "json.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define PRINT_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static int read_basic(sd_bus_message *m, char type, json_object **out)
{
	union {
		uint8_t y; int16_t n; uint16_t q; int32_t i; uint32_t u;
		int64_t x; uint64_t t; double d; int b; const char *s; int h;
	} v;
	int r = sd_bus_message_read_basic(m, type, &v);

	if (r <= 0)
		return r < 0 ? r : -EBADMSG;
	switch (type) {
	case SD_BUS_TYPE_BYTE:    *out = json_object_new_int(v.y); break;
	case SD_BUS_TYPE_INT16:   *out = json_object_new_int(v.n); break;
	case SD_BUS_TYPE_UINT16:  *out = json_object_new_int(v.q); break;
	case SD_BUS_TYPE_INT32:   *out = json_object_new_int(v.i); break;
	case SD_BUS_TYPE_UINT32:  *out = json_object_new_int64(v.u); break;
	case SD_BUS_TYPE_INT64:   *out = json_object_new_int64(v.x); break;
	case SD_BUS_TYPE_UINT64:  *out = json_object_new_uint64(v.t); break;
	case SD_BUS_TYPE_DOUBLE:  *out = json_object_new_double(v.d); break;
	case SD_BUS_TYPE_BOOLEAN: *out = json_object_new_boolean(v.b); break;
	case SD_BUS_TYPE_UNIX_FD: *out = json_object_new_int(v.h); break;
	default:                  *out = json_object_new_string(v.s); break; /* s, o, g */
	}
	return *out ? 0 : -ENOMEM;
}

/* a{kv}: keys become strings ("1" for an integer key) so the result is a JSON object. */
static int read_dict_array(sd_bus_message *m, const char *entry, json_object **out)
{
	json_object *obj = json_object_new_object();
	int r;

	if (!obj)
		return -ENOMEM;
	for (;;) {
		json_object *key = NULL, *val = NULL;

		r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, entry);
		if (r <= 0)
			break;
		r = pmm_json_read_value(m, &key);
		if (r >= 0)
			r = pmm_json_read_value(m, &val);
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
		if (r < 0) {
			json_object_put(key);
			json_object_put(val);
			break;
		}
		json_object_object_add(obj, json_object_get_string(key), val);
		json_object_put(key);
	}
	if (r < 0) {
		json_object_put(obj);
		return r;
	}
	*out = obj;
	return 0;
}

static int read_list(sd_bus_message *m, json_object **out)
{
	json_object *arr = json_object_new_array();
	int r;

	if (!arr)
		return -ENOMEM;
	for (;;) {
		json_object *val = NULL;

		r = sd_bus_message_at_end(m, false);
		if (r != 0)
			break;
		r = pmm_json_read_value(m, &val);
		if (r < 0)
			break;
		json_object_array_add(arr, val);
	}
	if (r < 0) {
		json_object_put(arr);
		return r;
	}
	*out = arr;
	return 0;
}

int pmm_json_read_value(sd_bus_message *m, json_object **out)
{
	const char *contents;
	char type;
	int r;

	r = sd_bus_message_peek_type(m, &type, &contents);
	if (r <= 0)
		return r < 0 ? r : -EBADMSG;
	if (!strchr("avr", type))
		return read_basic(m, type, out);

	/* containers: enter, read the members, leave */
	r = sd_bus_message_enter_container(m, type, contents);
	if (r <= 0)
		return r < 0 ? r : -EBADMSG;
	if (type == SD_BUS_TYPE_VARIANT)
		r = pmm_json_read_value(m, out);
	else if (type == SD_BUS_TYPE_ARRAY && contents[0] == '{') {
		char entry[64];
		size_t len = strlen(contents);

		if (len < 2 || len - 2 >= sizeof(entry))
			return -EBADMSG;
		memcpy(entry, contents + 1, len - 2);
		entry[len - 2] = '\0';
		r = read_dict_array(m, entry, out);
	} else
		r = read_list(m, out);   /* array or struct: a JSON array */
	if (r < 0)
		return r;
	r = sd_bus_message_exit_container(m);
	if (r < 0) {
		json_object_put(*out);
		*out = NULL;
	}
	return r < 0 ? r : 0;
}

int pmm_json_read_dict(sd_bus_message *m, json_object **out)
{
	const char *contents;
	char type;
	int r;

	r = sd_bus_message_peek_type(m, &type, &contents);
	if (r <= 0)
		return r < 0 ? r : -EBADMSG;
	if (type != SD_BUS_TYPE_ARRAY || contents[0] != '{')
		return -EBADMSG;
	return pmm_json_read_value(m, out);
}

json_object *pmm_json_ordered(json_object *src, const char *const *fields)
{
	json_object *dst = json_object_new_object();

	for (size_t i = 0; dst && fields[i]; i++) {
		json_object *v = NULL;

		if (src && json_object_object_get_ex(src, fields[i], &v))
			json_object_get(v);
		json_object_object_add(dst, fields[i], v);
	}
	return dst;
}

json_object *pmm_json_error(const char *name, const char *message)
{
	json_object *err = json_object_new_object(), *root = json_object_new_object();

	json_object_object_add(err, "name", json_object_new_string(name ? name : ""));
	json_object_object_add(err, "message", json_object_new_string(message ? message : ""));
	json_object_object_add(root, "error", err);
	return root;
}

void pmm_json_print(json_object *o)
{
	puts(json_object_to_json_string_ext(o, PRINT_FLAGS));
	fflush(stdout);
}

int pmm_json_reemit(const char *json)
{
	json_object *o = json_tokener_parse(json);

	if (!o)
		return -EBADMSG;
	json_object_put(o);
	/* unchanged: the daemon owns the shape */
	fputs(json, stdout);
	if (!*json || json[strlen(json) - 1] != '\n')
		putchar('\n');
	fflush(stdout);
	return 0;
}

const char *pmm_json_get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

bool pmm_json_get_u64(json_object *o, const char *key, uint64_t *val)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*val = json_object_get_uint64(v);
	return true;
}

bool pmm_json_get_i64(json_object *o, const char *key, int64_t *val)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*val = json_object_get_int64(v);
	return true;
}

bool pmm_json_get_bool(json_object *o, const char *key, bool *val)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return false;
	*val = json_object_get_boolean(v);
	return true;
}

void pmm_json_snake_case(const char *camel, char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; camel[i] && o + 2 < len; i++) {
		unsigned char c = (unsigned char)camel[i];

		if (isupper(c)) {
			if (i)
				buf[o++] = '_';
			buf[o++] = (char)tolower(c);
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o] = '\0';
}
