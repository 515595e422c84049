/* A byte stream to the host: stdin/stdout in --stdio mode, a read-write fd on
 * a virtio-serial port (or a path given with --channel), or an accepted vsock
 * connection (serve.c keeps one of each and points agent_t.ch at the one
 * whose request is being answered).
 * virtio-serial has no connection concept of its own: the port reports
 * POLLHUP while the host end is closed, so "connected" is tracked here. */
#ifndef AVPS_CHANNEL_H
#define AVPS_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    int rfd, wfd;
    bool stdio;        /* test mode: EOF ends the agent, writes block */
    bool connected;    /* host end believed open (always true in stdio mode) */
    bool socket;       /* a vsock connection: the kernel sends written data later */
} channel_t;

void channel_stdio(channel_t *ch);

/* Opens the given device or file read-write, non-blocking. */
bool channel_open_path(channel_t *ch, const char *path);

/* Finds the port named AGENT_PORT_NAME under <sysfs>/class/virtio-ports and
 * opens /dev/<port>, retrying every 50 ms for up to wait_ms. */
bool channel_open_default(channel_t *ch, const char *sysfs_root, long wait_ms);

/* Looks once for the virtio-serial port named port_name; fills devpath with
 * /dev/<port> on success. */
bool channel_find_port(const char *sysfs_root, const char *port_name, char *devpath, size_t cap);

/* Writes one whole frame. Returns false if it could not be delivered; on a
 * port whose host end went away the frame is dropped and connected cleared. */
bool channel_send(channel_t *ch, const char *data, size_t len);

/* Writes all n bytes to a blocking fd, retrying after EINTR; false on an error or no progress.
 * Used by the agent's helper processes (bulk port, isolated probes). */
bool fd_write_all(int fd, const void *p, size_t n);

/* Gives data already written time to leave the guest before it powers off:
 * vsock hands frames to a kernel worker, virtio-serial writes synchronously. */
void channel_settle(const channel_t *ch);

void sleep_ms(long ms);

#endif
