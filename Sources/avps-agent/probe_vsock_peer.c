/* vsock.peer_echo: a stream echo against another vsock peer, seen from this
 * guest. The peer is a sibling guest's agent (its bulk port, 1025, serves
 * "echo N") or a host program behind the same convention (CID 2). Measures
 * connection setup, the round trip of small messages and the echo throughput
 * of a bulk transfer, so guest-to-guest and guest-to-host can be compared in
 * one run (PROTOCOL.md 6.4). */
#include "probe.h"
#include "vsock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#define PEER_BUDGET_S 9.0 /* inside the probe's 12 s deadline */
#define PEER_CHUNK (64 * 1024)
#define PEER_MAX_BULK (16 * 1024 * 1024)

static unsigned char peer_out[PEER_CHUNK], peer_in[PEER_CHUNK];
static double rtts[1000];

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Non-blocking connect bounded by `seconds`; returns the socket or -1 with errno set. */
static int connect_peer(unsigned cid, unsigned port, double seconds)
{
    int s = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0)
        return -1;
    struct sockaddr_vm addr = vsock_address(cid, port);
    if (connect(s, (struct sockaddr *)&addr, sizeof addr) != 0 && errno != EINPROGRESS) {
        int e = errno;
        close(s);
        errno = e;
        return -1;
    }
    struct pollfd p = {s, POLLOUT, 0};
    int r = poll(&p, 1, (int)(seconds * 1000));
    int err = 0;
    socklen_t len = sizeof err;
    if (r <= 0)
        err = ETIMEDOUT;
    else if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err) {
        close(s);
        errno = err;
        return -1;
    }
    return s;
}

/* Moves `n` bytes out of peer_out and the same number back into peer_in before `deadline`
 * (both directions at once, so a large echo cannot deadlock). Returns false with errno set. */
static bool exchange(int s, size_t n, double deadline)
{
    size_t sent = 0, got = 0;
    while (got < n) {
        int left = (int)((deadline - probe_now()) * 1000);
        if (left <= 0) {
            errno = ETIMEDOUT;
            return false;
        }
        struct pollfd p = {s, (short)(POLLIN | (sent < n ? POLLOUT : 0)), 0};
        if (poll(&p, 1, left) < 0 && errno != EINTR)
            return false;
        if (sent < n && (p.revents & POLLOUT)) {
            ssize_t w = send(s, peer_out + sent, n - sent, MSG_NOSIGNAL);
            if (w < 0 && errno != EAGAIN && errno != EINTR)
                return false;
            if (w > 0)
                sent += (size_t)w;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = recv(s, peer_in + got, n - got, 0);
            if (r == 0) {
                errno = ECONNRESET;
                return false;
            }
            if (r < 0 && errno != EAGAIN && errno != EINTR)
                return false;
            if (r > 0)
                got += (size_t)r;
        }
    }
    return true;
}

/* Sends the whole command line before `deadline`. */
static bool send_line(int s, const char *line, size_t n, double deadline)
{
    size_t sent = 0;
    while (sent < n) {
        int left = (int)((deadline - probe_now()) * 1000);
        struct pollfd p = {s, POLLOUT, 0};
        if (left <= 0 || poll(&p, 1, left) == 0) {
            errno = ETIMEDOUT;
            return false;
        }
        ssize_t w = send(s, line + sent, n - sent, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            return false;
        if (w > 0)
            sent += (size_t)w;
    }
    return true;
}

static void fill(unsigned seed, size_t n)
{
    uint32_t x = seed ? seed : 0x9e3779b9u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        peer_out[i] = (unsigned char)x;
    }
}

probe_status_t probe_vsock_peer_echo(probe_env_t *env)
{
    int64_t cid = obj_int(env->params, "cid", -1);
    int64_t port = obj_int(env->params, "port", AGENT_VSOCK_BULK_PORT);
    int count = (int)obj_int(env->params, "count", 200);
    int size = (int)obj_int(env->params, "size", 64);
    int64_t bulk = obj_int(env->params, "bulk_bytes", 4 * 1024 * 1024);
    if (cid < 2 || cid > 0xfffffffeLL || port < 1 || port > 0xffffffffLL)
        return probe_unavailable(env, "no peer given (params.cid of 2 or more, params.port)");
    if (count < 1 || count > 1000) count = 200;
    if (size < 1 || size > PEER_CHUNK) size = 64;
    if (bulk < 0 || bulk > PEER_MAX_BULK) bulk = 4 * 1024 * 1024;
    fact_int(env, "peer_cid", cid);
    fact_int(env, "port", port);
    double start = probe_now();
    int s = connect_peer((unsigned)cid, (unsigned)port, 3.0);
    if (s < 0) {
        int e = errno;
        fact_errno(env, "connect_error", "connect", e);
        fact_fault(env, "vsock connect to CID %lld port %lld: %s", (long long)cid, (long long)port, strerror(e));
        return PROBE_OK;
    }
    fact_double(env, "connect_ms", (probe_now() - start) * 1000);
    double deadline = start + PEER_BUDGET_S;
    unsigned long long total = (unsigned long long)count * (unsigned)size + (unsigned long long)bulk;
    char line[48];
    int n = snprintf(line, sizeof line, "echo %llu\n", total);
    int echoed = 0, corrupted = 0;
    bool ok = send_line(s, line, (size_t)n, deadline);
    for (int i = 0; ok && i < count; i++) {
        fill((unsigned)i + 1, (size_t)size);
        double t0 = probe_now();
        if (!exchange(s, (size_t)size, deadline)) {
            ok = false;
            break;
        }
        rtts[echoed++] = (probe_now() - t0) * 1e6;
        corrupted += memcmp(peer_in, peer_out, (size_t)size) != 0;
    }
    double bulk_s = 0;
    size_t moved = 0;
    if (ok && bulk > 0) {
        fill(7, PEER_CHUNK); /* once: a pattern per chunk would cost the guest more than the transfer */
        double t0 = probe_now();
        while (ok && moved < (size_t)bulk) {
            size_t chunk = (size_t)bulk - moved < PEER_CHUNK ? (size_t)bulk - moved : PEER_CHUNK;
            peer_out[0] = (unsigned char)(moved >> 16); /* each chunk differs from the one before */
            if (!exchange(s, chunk, deadline)) {
                ok = false;
                break;
            }
            corrupted += memcmp(peer_in, peer_out, chunk) != 0;
            moved += chunk;
        }
        bulk_s = probe_now() - t0;
    }
    int e = errno;
    close(s);
    fact_int(env, "messages", count);
    fact_int(env, "message_bytes", size);
    fact_int(env, "echoed", echoed);
    fact_int(env, "corrupted", corrupted);
    if (echoed > 0) {
        double sum = 0;
        for (int i = 0; i < echoed; i++)
            sum += rtts[i];
        qsort(rtts, (size_t)echoed, sizeof rtts[0], cmp_double);
        fact_double(env, "rtt_avg_us", sum / echoed);
        fact_double(env, "rtt_p50_us", rtts[echoed / 2]);
        fact_double(env, "rtt_max_us", rtts[echoed - 1]);
    }
    fact_int(env, "bulk_bytes", (int64_t)moved);
    if (moved > 0 && bulk_s > 0)
        fact_double(env, "bulk_mib_per_s", (double)moved / bulk_s / (1024.0 * 1024.0));
    if (!ok) {
        fact_errno(env, "echo_error", "echo", e);
        fact_fault(env, "the echo through CID %lld port %lld stopped after %d messages and %zu bulk bytes: %s",
                   (long long)cid, (long long)port, echoed, moved, strerror(e));
    }
    return PROBE_OK;
}
