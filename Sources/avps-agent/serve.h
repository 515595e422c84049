/* The agent's single-threaded request loop over every channel it has. */
#ifndef AVPS_SERVE_H
#define AVPS_SERVE_H

#include "methods.h"

/* Serves requests forever on a->ch (a virtio-serial port or --channel path;
 * rfd < 0 when there is none) and on vsock control connections accepted from
 * vsock_fd, while handing bulk connections from bulk_fd to a helper process
 * (either fd may be -1). In stdio mode returns at end of input. */
void serve(agent_t *a, int vsock_fd, int bulk_fd);

#endif
