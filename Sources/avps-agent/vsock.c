#include "vsock.h"

#include "channel.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#define BULK_VSOCK_BUFFER (1024ULL * 1024)
#define BULK_LOWAT (64 * 1024)
/* A source writes 64 KiB minus 512 at a time: the guest's vsock turns a write
 * into packets of at most 64 KiB payload, each an sk_buff whose buffer also
 * holds the 44-byte header and ~320 bytes of skb_shared_info. A full 64 KiB
 * payload therefore takes a 128 KiB allocation, which the kernel zeroes
 * (init_on_alloc): the guest allocated and cleared two bytes per byte sent.
 * Virtio-serial writes are cut to 32 KiB by the driver either way. */
#define SOURCE_CHUNK (64 * 1024 - 512)

struct sockaddr_vm vsock_address(unsigned cid, unsigned port)
{
    struct sockaddr_vm addr;
    memset(&addr, 0, sizeof addr);
    addr.svm_family = AF_VSOCK;
    addr.svm_cid = cid;
    addr.svm_port = port;
    return addr;
}

int vsock_listen(unsigned port)
{
    int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        agent_log("vsock socket: %s", strerror(errno));
        return -1;
    }
    struct sockaddr_vm addr = vsock_address(VMADDR_CID_ANY, port);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 8) != 0) {
        agent_log("vsock port %u: %s", port, strerror(errno));
        close(fd);
        return -1;
    }
    agent_log("listening on vsock port %u", port);
    return fd;
}

/* The bulk port moves hundreds of MiB: a 1 MiB receive buffer (the credit the
 * guest grants the host, inherited by accepted sockets) keeps the host from
 * stalling on credit between the guest's reads. */
void vsock_enlarge_buffer(int fd)
{
    unsigned long long size = BULK_VSOCK_BUFFER;
    if (setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_MAX_SIZE, &size, sizeof size) != 0 ||
        setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &size, sizeof size) != 0)
        agent_log("vsock buffer size: %s", strerror(errno));
}

/* A sink waits for a sizeable chunk before reading (SO_RCVLOWAT + poll): the
 * guest's vsock sends a credit update each time a read empties its queue, so
 * reading every packet as it trickles in floods the host with them. Not a
 * socket (virtio-serial): the options fail harmlessly and poll is immediate. */
static void wait_for_chunk(int fd, unsigned long long left, int *lowat)
{
    int want = left < BULK_LOWAT ? (int)left : BULK_LOWAT;
    if (want != *lowat) {
        *lowat = want;
        setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &want, sizeof want);
    }
    struct pollfd p = {fd, POLLIN, 0};
    while (poll(&p, 1, -1) < 0 && errno == EINTR)
        ;
}

static bool read_line(int fd, char *line, size_t cap)
{
    size_t len = 0;
    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        if (c == '\n') {
            line[len] = '\0';
            return true;
        }
        if (len + 1 >= cap)
            return false;
        line[len++] = c;
    }
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static char bulk_buf[256 * 1024];

bool bulk_serve_one(int fd)
{
    char line[64], verb[16];
    unsigned long long total;
    if (!read_line(fd, line, sizeof line))
        return false;
    if (sscanf(line, "%15s %llu", verb, &total) != 2) {
        agent_log("bulk: bad command '%s'", line);
        return false;
    }
    bool echo = strcmp(verb, "echo") == 0, sink = strcmp(verb, "sink") == 0;
    if (strcmp(verb, "source") == 0) {
        for (size_t i = 0; i < sizeof bulk_buf; i++)
            bulk_buf[i] = (char)(i * 7);
        while (total > 0) {
            size_t n = total < SOURCE_CHUNK ? (size_t)total : SOURCE_CHUNK;
            if (!fd_write_all(fd, bulk_buf, n))
                return false;
            total -= n;
        }
        return true;
    }
    if (!echo && !sink) {
        agent_log("bulk: unknown command '%s'", verb);
        return false;
    }
    long long start = 0;
    int lowat = 1;
    while (total > 0) {
        if (sink)
            wait_for_chunk(fd, total, &lowat);
        size_t want = total < sizeof bulk_buf ? (size_t)total : sizeof bulk_buf;
        ssize_t r = read(fd, bulk_buf, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        if (start == 0)
            start = now_ns();
        if (echo && !fd_write_all(fd, bulk_buf, (size_t)r))
            return false;
        total -= (unsigned long long)r;
    }
    if (lowat != 1) { /* echo and the next command line read byte by byte */
        lowat = 1;
        setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat);
    }
    if (sink) {
        char reply[48];
        int n = snprintf(reply, sizeof reply, "ok %lld\n", now_ns() - start);
        return fd_write_all(fd, reply, (size_t)n);
    }
    return true;
}

/* The grandchild is adopted by init, so the agent never has to reap it and
 * never reaps a child some probe is waiting for. */
void bulk_spawn(int fd, bool forever)
{
    pid_t child = fork();
    if (child == 0) {
        if (fork() == 0) {
            int flags = fcntl(fd, F_GETFL);
            fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
            for (;;) {
                while (bulk_serve_one(fd))
                    ;
                if (!forever)
                    break;
                struct timespec pause = {0, 50 * 1000000L}; /* virtio-serial: host not connected */
                nanosleep(&pause, NULL);
            }
            _exit(0);
        }
        _exit(0);
    }
    if (child > 0)
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
            ;
    else
        agent_log("bulk: fork: %s", strerror(errno));
    close(fd);
}
