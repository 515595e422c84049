/* What Swift cannot express directly for the vhost-user backend: SCM_RIGHTS ancillary data
 * (CMSG_* are macros), eventfd, single 16-bit atomic accesses with fences on guest memory
 * (a byte-wise store of a ring index lets the guest read a torn value), and AF_VSOCK
 * addresses (linux/vm_sockets.h is not imported by Glibc). */
#ifndef AVPS_VHOST_SHIM_H
#define AVPS_VHOST_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Most descriptors QEMU passes with one vhost-user message. */
#define AVPS_VHOST_MAX_FDS 8

/* Receives up to len bytes and any passed descriptors (close-on-exec). Returns the byte count
 * (0 at end of stream) or -1 with errno set; *nfds receives the number of descriptors. */
ssize_t avps_recv_with_fds(int sock, void *buf, size_t len, int *fds, int max_fds, int *nfds);

/* Sends all of buf with optional descriptors (nfds may be 0); -1 with errno on failure. */
ssize_t avps_send_with_fds(int sock, const void *buf, size_t len, const int *fds, int nfds);

/* eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK). */
int avps_eventfd(void);
/* Adds 1 to an eventfd counter (signals the guest or wakes a loop). */
int avps_eventfd_signal(int fd);
/* Reads and resets an eventfd counter; returns 0 when nothing was pending. */
uint64_t avps_eventfd_drain(int fd);

/* One aligned 16-bit load with acquire ordering (avail.idx). */
uint16_t avps_load_acquire_u16(const void *p);
/* One aligned 16-bit store with release ordering (used.idx, avail_event). */
void avps_store_release_u16(void *p, uint16_t v);
/* Full fence: orders a store (used.idx, avail_event) before a later load (used_event, avail.idx). */
void avps_fence_seq_cst(void);

/* Connects an AF_VSOCK stream socket to cid:port (blocking); returns the fd or -1 with errno. */
int avps_vsock_connect(uint32_t cid, uint32_t port);
/* Asks /dev/vhost-vsock whether cid is free by claiming it for a moment; 0 free, else errno. */
int avps_vhost_vsock_probe_cid(uint64_t cid);

#endif
