/* Reads members of a JSON object that request_parse has already validated:
 * probe names, device names and probe parameters. Never allocates. */
#ifndef AVPS_PARAMS_H
#define AVPS_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *s;   /* start of the object text ('{'), or NULL for "no object" */
    size_t n;
} jobj_t;

/* The member `key` of obj as a nested object (empty jobj_t if absent or not an object). */
jobj_t obj_object(jobj_t obj, const char *key);

/* String member decoded into out (cap includes the NUL); false if absent,
 * not a string or too long. */
bool obj_string(jobj_t obj, const char *key, char *out, size_t cap);

/* Integer member; def when absent or not an integer. */
int64_t obj_int(jobj_t obj, const char *key, int64_t def);

/* Boolean member; def when absent or not a boolean. */
bool obj_bool(jobj_t obj, const char *key, bool def);

#endif
