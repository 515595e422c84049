/* Splits a byte stream into '\n'-terminated frames of at most FRAME_MAX bytes
 * (newline included) using one static buffer, so memory use is fixed no
 * matter what the peer sends. */
#ifndef AVPS_FRAME_H
#define AVPS_FRAME_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    /* A complete frame, without its '\n'. */
    void (*frame)(void *ctx, const char *data, size_t len);
    /* An oversized frame has ended (its '\n' arrived, or the stream ended). */
    void (*too_large)(void *ctx);
    void *ctx;
} frame_handler_t;

typedef struct {
    char *buf;
    size_t len;        /* bytes of the pending, incomplete frame */
    bool discarding;   /* inside an oversized frame: drop until '\n' */
} framer_t;

void framer_init(framer_t *f);
/* Forgets any partial frame, e.g. when the host side of the channel went away. */
void framer_reset(framer_t *f);
/* Where the next read should go; *avail is always > 0. */
char *framer_space(framer_t *f, size_t *avail);
/* Accounts for n bytes just read into framer_space() and delivers frames. */
void framer_commit(framer_t *f, size_t n, const frame_handler_t *h);
/* End of stream: an unfinished oversized frame is still reported; an
 * unfinished normal frame is dropped (returns true if bytes were dropped). */
bool framer_eof(framer_t *f, const frame_handler_t *h);

#endif
