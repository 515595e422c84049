#include "serve.h"

#include "frame.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_frame(void *ctx, const char *data, size_t len)
{
    agent_handle_frame(ctx, data, len);
}

static void on_too_large(void *ctx)
{
    agent_handle_too_large(ctx);
}

/* The host end went away. Input already queued is still read and served
 * (a host may send "poweroff" and close at once); answers are dropped by
 * channel_send. Callers sleep afterwards: a hung-up port polls "ready"
 * forever and would otherwise cost 100% CPU. */
static void host_gone(agent_t *a)
{
    if (a->ch.connected)
        agent_log("host end closed; waiting for it to reopen");
    a->ch.connected = false;
}

void serve(agent_t *a)
{
    framer_t f;
    frame_handler_t h = {on_frame, on_too_large, a};
    framer_init(&f);
    if (a->ch.stdio)
        agent_send_ready(a);

    for (;;) {
        /* While disconnected, poll without blocking and sleep instead, so a
         * host that connects is noticed (and greeted) within 50 ms. */
        struct pollfd p = {a->ch.rfd, POLLIN, 0};
        int n = poll(&p, 1, a->ch.connected ? 1000 : 0);
        if (n < 0) {
            if (errno != EINTR) {
                agent_log("poll: %s", strerror(errno));
                sleep_ms(50);
            }
            continue;
        }
        bool in = p.revents & POLLIN;
        bool hup = p.revents & (POLLHUP | POLLERR | POLLNVAL);
        if (!a->ch.stdio) {
            if (hup) {
                host_gone(a);
                if (!in) {
                    sleep_ms(50);
                    continue;
                }
            } else if (!a->ch.connected) {
                /* A new host connection starts on a frame boundary. */
                agent_log("host end open");
                a->ch.connected = true;
                framer_reset(&f);
                agent_send_ready(a);
            }
        }
        if (!in && !hup)
            continue;

        size_t avail;
        char *space = framer_space(&f, &avail);
        ssize_t r = read(a->ch.rfd, space, avail);
        if (r > 0) {
            framer_commit(&f, (size_t)r, &h);
        } else if (r == 0) {
            if (a->ch.stdio) {
                if (framer_eof(&f, &h))
                    agent_log("input ended inside a frame; partial frame dropped");
                return;
            }
            /* No data now; a closed host end shows up as POLLHUP next time. */
            sleep_ms(50);
        } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
            if (a->ch.stdio || a->ch.connected)
                agent_log("read: %s", strerror(errno));
            if (a->ch.stdio)
                exit(1);
            host_gone(a);
            sleep_ms(50);
        }
    }
}
