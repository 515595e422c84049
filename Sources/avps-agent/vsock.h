/* The agent's vsock side: the control listener (JSON Lines, same protocol as
 * virtio-serial) and the bulk listener the host uses to measure the channel
 * (PROTOCOL.md section 1.2). */
#ifndef AVPS_VSOCK_H
#define AVPS_VSOCK_H

#include <stdbool.h>
#include <sys/socket.h>
#include <linux/vm_sockets.h>

/* Fixed, documented ports (PROTOCOL.md). */
#define AGENT_VSOCK_PORT 1024u
#define AGENT_VSOCK_BULK_PORT 1025u
/* A virtio-serial port with this name gets the bulk service too (benchmarks). */
#define AGENT_BULK_PORT_NAME "org.avps.bulk.0"

/* An AF_VSOCK address (cid may be VMADDR_CID_ANY). */
struct sockaddr_vm vsock_address(unsigned cid, unsigned port);
/* Listens on AF_VSOCK (any CID) at port; -1 when the guest has no vsock. */
int vsock_listen(unsigned port);
/* Raises the vsock buffer (credit granted to the host) of a listening socket. */
void vsock_enlarge_buffer(int fd);

/* Serves one bulk connection in a detached grandchild process (so a long
 * transfer never delays requests) and closes fd in the caller. */
void bulk_spawn(int fd, bool forever);

/* Bulk commands, one per line, until end of stream:
 *   echo N    read N bytes and write each chunk straight back
 *   sink N    read N bytes, then answer "ok <nanoseconds>\n"
 *   source N  write N bytes of a counting pattern
 * Returns false at end of stream or on error. */
bool bulk_serve_one(int fd);

#endif
