#include "frame.h"

#include "agent.h"

#include <string.h>

static char frame_buf[FRAME_MAX];

void framer_init(framer_t *f)
{
    f->buf = frame_buf;
    framer_reset(f);
}

void framer_reset(framer_t *f)
{
    f->len = 0;
    f->discarding = false;
}

char *framer_space(framer_t *f, size_t *avail)
{
    *avail = FRAME_MAX - f->len;
    return f->buf + f->len;
}

void framer_commit(framer_t *f, size_t n, const frame_handler_t *h)
{
    size_t start = 0, scan = f->len;
    f->len += n;
    for (;;) {
        char *nl = memchr(f->buf + scan, '\n', f->len - scan);
        if (!nl)
            break;
        size_t end = (size_t)(nl - f->buf);
        if (f->discarding) {
            f->discarding = false;
            h->too_large(h->ctx);
        } else {
            h->frame(h->ctx, f->buf + start, end - start);
        }
        start = scan = end + 1;
    }
    if (f->discarding) {
        f->len = 0; /* still inside the oversized frame */
        return;
    }
    memmove(f->buf, f->buf + start, f->len - start);
    f->len -= start;
    /* A full buffer without '\n' means the frame cannot end within FRAME_MAX
     * bytes including its newline. */
    if (f->len == FRAME_MAX) {
        f->discarding = true;
        f->len = 0;
    }
}

bool framer_eof(framer_t *f, const frame_handler_t *h)
{
    bool dropped = f->len > 0;
    if (f->discarding)
        h->too_large(h->ctx);
    framer_reset(f);
    return dropped;
}
