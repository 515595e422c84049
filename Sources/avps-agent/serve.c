#include "serve.h"

#include "agent.h"
#include "frame.h"
#include "log.h"
#include "vsock.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* One stream the agent answers on, with its own partial frame. */
typedef struct {
    channel_t ch;
    framer_t f;
    bool present;
} endpoint_t;

/* framer_init hands every framer the same static buffer; the vsock endpoint
 * needs a second one because both channels may hold partial frames at once. */
static char vsock_frame_buf[FRAME_MAX];

static void on_frame(void *ctx, const char *data, size_t len)
{
    agent_handle_frame(ctx, data, len);
}

static void on_too_large(void *ctx)
{
    agent_handle_too_large(ctx);
}

/* Answers go out on the endpoint the bytes came from. */
static void deliver(agent_t *a, endpoint_t *ep, size_t n)
{
    frame_handler_t h = {on_frame, on_too_large, a};
    a->ch = ep->ch;
    framer_commit(&ep->f, n, &h);
    ep->ch = a->ch;
}

static void greet(agent_t *a, endpoint_t *ep)
{
    a->ch = ep->ch;
    agent_send_ready(a);
    ep->ch = a->ch;
}

/* The host end went away. Input already queued is still read and served
 * (a host may send "poweroff" and close at once); answers are dropped by
 * channel_send. */
static void host_gone(endpoint_t *serial)
{
    if (serial->ch.connected)
        agent_log("host end closed; waiting for it to reopen");
    serial->ch.connected = false;
}

/* virtio-serial has no connections: a hung-up port reports POLLHUP until the
 * host reopens it (PROTOCOL.md 1.1). Returns false at end of --stdio input. */
static bool serial_event(agent_t *a, endpoint_t *serial, short revents)
{
    bool in = revents & POLLIN;
    bool hup = revents & (POLLHUP | POLLERR | POLLNVAL);
    if (!serial->ch.stdio) {
        if (hup) {
            host_gone(serial);
            if (!in)
                return true;
        } else if (!serial->ch.connected) {
            /* A new host connection starts on a frame boundary. */
            agent_log("host end open");
            serial->ch.connected = true;
            framer_reset(&serial->f);
            greet(a, serial);
        }
    }
    if (!in && !hup)
        return true;
    size_t avail;
    char *space = framer_space(&serial->f, &avail);
    ssize_t r = read(serial->ch.rfd, space, avail);
    if (r > 0) {
        deliver(a, serial, (size_t)r);
    } else if (r == 0) {
        if (serial->ch.stdio) {
            frame_handler_t h = {on_frame, on_too_large, a};
            a->ch = serial->ch;
            if (framer_eof(&serial->f, &h))
                agent_log("input ended inside a frame; partial frame dropped");
            return false;
        }
        /* No data now. A port nobody holds on the host reports POLLIN with POLLHUP and reads
         * 0 every time: the main loop already rechecks it every 50 ms, so sleeping here too
         * only delayed every vsock request by 50 ms. A held port that reads 0 sleeps, so it
         * cannot spin; its closed host end shows up as POLLHUP next time. */
        if (serial->ch.connected)
            sleep_ms(50);
    } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
        if (serial->ch.stdio || serial->ch.connected)
            agent_log("read: %s", strerror(errno));
        if (serial->ch.stdio)
            exit(1);
        host_gone(serial);
    }
    return true;
}

static void vsock_close(endpoint_t *vs)
{
    if (!vs->present)
        return;
    close(vs->ch.rfd);
    vs->present = false;
    agent_log("vsock host connection closed");
}

/* A new control connection replaces the old one (the host reconnected). */
static void vsock_accept(agent_t *a, int listen_fd, endpoint_t *vs)
{
    int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    vsock_close(vs);
    vs->ch = (channel_t){.rfd = fd, .wfd = fd, .stdio = false, .connected = true, .socket = true};
    framer_init(&vs->f);
    vs->f.buf = vsock_frame_buf;
    vs->present = true;
    agent_log("vsock host connection open");
    greet(a, vs);
}

static void vsock_event(agent_t *a, endpoint_t *vs)
{
    size_t avail;
    char *space = framer_space(&vs->f, &avail);
    ssize_t r = read(vs->ch.rfd, space, avail);
    if (r > 0)
        deliver(a, vs, (size_t)r);
    if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK))
        vsock_close(vs);
    else if (!vs->ch.connected) /* a write failed: the host is gone */
        vsock_close(vs);
}

void serve(agent_t *a, int vsock_fd, int bulk_fd)
{
    endpoint_t serial = {.ch = a->ch, .present = a->ch.rfd >= 0};
    endpoint_t vs = {.present = false};
    framer_init(&serial.f);
    if (serial.present && serial.ch.stdio)
        greet(a, &serial);

    for (;;) {
        struct pollfd p[4];
        int n = 0, i_serial = -1, i_listen = -1, i_bulk = -1, i_vs = -1;
        /* A disconnected port is checked every 50 ms without blocking, so a
         * host that connects is noticed (and greeted) quickly while a
         * hung-up port cannot make poll spin. */
        bool serial_idle = serial.present && !serial.ch.stdio && !serial.ch.connected;
        if (serial.present && !serial_idle)
            p[i_serial = n++] = (struct pollfd){serial.ch.rfd, POLLIN, 0};
        if (vsock_fd >= 0)
            p[i_listen = n++] = (struct pollfd){vsock_fd, POLLIN, 0};
        if (bulk_fd >= 0)
            p[i_bulk = n++] = (struct pollfd){bulk_fd, POLLIN, 0};
        if (vs.present)
            p[i_vs = n++] = (struct pollfd){vs.ch.rfd, POLLIN, 0};
        int ready = poll(p, (nfds_t)n, serial_idle ? 50 : 1000);
        if (ready < 0) {
            if (errno != EINTR) {
                agent_log("poll: %s", strerror(errno));
                sleep_ms(50);
            }
            continue;
        }
        if (serial_idle) {
            struct pollfd q = {serial.ch.rfd, POLLIN, 0};
            if (poll(&q, 1, 0) >= 0)
                serial_event(a, &serial, q.revents);
        } else if (i_serial >= 0 && p[i_serial].revents && !serial_event(a, &serial, p[i_serial].revents)) {
            return;
        }
        if (i_listen >= 0 && (p[i_listen].revents & POLLIN))
            vsock_accept(a, vsock_fd, &vs);
        if (i_bulk >= 0 && (p[i_bulk].revents & POLLIN)) {
            int fd = accept4(bulk_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0)
                bulk_spawn(fd, false);
        }
        if (i_vs >= 0 && vs.present && p[i_vs].revents)
            vsock_event(a, &vs);
    }
}
