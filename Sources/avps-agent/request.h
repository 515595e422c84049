/* Request frame parser. Validates the whole frame as JSON (RFC 8259, UTF-8) but
 * only extracts what the agent needs: integer "id", string "method", and whether
 * "params" is an object. Never allocates; never reads past the given length. */
#ifndef AVPS_REQUEST_H
#define AVPS_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REQ_METHOD_MAX 64    /* longer names cannot be a known method */

typedef struct {
    bool ok;                 /* false: answer bad_request with error[] */
    bool has_id;             /* id was read; echo it even in an error */
    int64_t id;
    char method[REQ_METHOD_MAX + 1];  /* decoded, NUL-terminated when ok */
    bool method_truncated;   /* name longer than REQ_METHOD_MAX (or holds NUL) */
    char error[160];         /* human-readable reason when !ok */
    size_t params_at;        /* byte range of the "params" object in the frame */
    size_t params_len;       /* 0 when there is no params member */
} request_t;

/* Parses one frame (without its '\n'). Always fills *req. */
void request_parse(const char *frame, size_t len, request_t *req);

/* True if the frame is empty or only JSON whitespace (it is then ignored). */
bool request_is_blank(const char *frame, size_t len);

#endif
