/* Bounded JSON writer: fixed buffer, no allocation, overflow is sticky so callers
 * check once at the end instead of after every call. */
#ifndef AVPS_JSONW_H
#define AVPS_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JW_MAX_DEPTH 16

typedef struct {
    char *buf;
    size_t cap;
    size_t len;
    bool overflow;              /* output did not fit; buf content is unusable */
    int depth;
    bool first[JW_MAX_DEPTH];   /* no value written yet at this nesting level */
    bool after_key;             /* next value follows a key: no comma */
} jw_t;

void jw_init(jw_t *w, char *buf, size_t cap);
void jw_reset(jw_t *w);
void jw_begin_object(jw_t *w);
void jw_end_object(jw_t *w);
void jw_begin_array(jw_t *w);
void jw_end_array(jw_t *w);
void jw_key(jw_t *w, const char *key);
void jw_string(jw_t *w, const char *s);
void jw_string_n(jw_t *w, const char *s, size_t n);
void jw_int(jw_t *w, int64_t v);
void jw_uint(jw_t *w, uint64_t v);
void jw_null(jw_t *w);
void jw_bool(jw_t *w, bool v);
void jw_double(jw_t *w, double v);
/* Inserts an already valid JSON value as the next value. */
void jw_raw(jw_t *w, const char *json, size_t n);

#endif
