/* SPDX-License-Identifier: MIT */
/*
 * JSON output of pmmctl (json-c). The daemon owns the JSON of status and listings and pmmctl
 * re-emits it; what pmmctl builds itself (a{sv} replies, error objects, small results of
 * mutating commands) goes through here so every document is printed the same way.
 */
#ifndef PMM_CLIENT_JSON_H
#define PMM_CLIENT_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

/* Read the next complete value of m (any D-Bus type) as JSON; a{s*} becomes an object. */
int pmm_json_read_value(sd_bus_message *m, json_object **out);
/* Read an a{sv} as an object keyed by the dictionary's keys. */
int pmm_json_read_dict(sd_bus_message *m, json_object **out);

struct pmmctl;
/* pages.c: LookupPfn(pfn) as the contract's pfn object; 0 or an exit status (reported) */
int pmm_lookup_pfn(struct pmmctl *ctx, uint64_t pfn, json_object **info);

/*
 * A new object holding src's members named by fields[] (NULL-terminated), in that order; a
 * member src lacks becomes null. This is how the contract's field order and "absent → null" are
 * enforced for a{sv} replies, whatever order the daemon sent.
 */
json_object *pmm_json_ordered(json_object *src, const char *const *fields);

/* {"error":{"name":name,"message":message}} */
json_object *pmm_json_error(const char *name, const char *message);

/* Print o as one line on stdout ('/' not escaped, so object paths read as themselves). */
void pmm_json_print(json_object *o);
/* Re-emit a JSON document received from the daemon; -EBADMSG if it does not parse. */
int pmm_json_reemit(const char *json);

/* Accessors that tolerate absent members and null. */
const char *pmm_json_get_str(json_object *o, const char *key);
bool pmm_json_get_u64(json_object *o, const char *key, uint64_t *v);
bool pmm_json_get_i64(json_object *o, const char *key, int64_t *v);
bool pmm_json_get_bool(json_object *o, const char *key, bool *v);

/* "OnlineBytes" → "online_bytes": D-Bus property names as the contract's JSON field names. */
void pmm_json_snake_case(const char *camel, char *buf, size_t len);

static inline void pmm_json_putp(json_object **o)
{
	json_object_put(*o);
}
#define _cleanup_json_ __attribute__((cleanup(pmm_json_putp)))

#endif
