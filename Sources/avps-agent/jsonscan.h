/* Validating JSON scanner over a byte range (RFC 8259, strict UTF-8).
 * It decodes only what a caller asks for and never allocates; recursion is
 * bounded by JS_MAX_DEPTH so hostile input cannot exhaust the stack. */
#ifndef AVPS_JSONSCAN_H
#define AVPS_JSONSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JS_MAX_DEPTH 64

/* Cursor over one frame; the first error wins and is formatted into err. */
typedef struct {
    const unsigned char *s;
    size_t n, i;
    char *err;
    size_t errcap;
    bool failed;
} cursor_t;

bool js_fail(cursor_t *c, const char *what);   /* always returns false */
void js_skip_ws(cursor_t *c);
int js_peek(cursor_t *c);                       /* -1 at end */

/* c->i must be at '"'. When out is non-NULL the decoded UTF-8 (at most cap
 * bytes, then NUL; out must hold cap + 1) goes there, *trunc set if it did not
 * fit or contained U+0000. */
bool js_string(cursor_t *c, char *out, size_t cap, size_t *outlen, bool *trunc);

/* *is_int is true when the number has no fraction/exponent and fits int64. */
bool js_number(cursor_t *c, bool *is_int, int64_t *ival);

/* Skips over any value, validating it. depth is the caller's nesting level. */
bool js_value(cursor_t *c, int depth);

#endif
