/* Device probes run in a child process with a deadline, so a device that never answers (an
 * entropy backend that stalls, a disk whose requests hang in the kernel, which no signal can
 * interrupt) costs its own probe and nothing else: the agent reports the stall as the device's
 * fault and goes on serving the next request. */
#include "probe_isolate.h"

#include "channel.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* What the child sends back before its facts. */
typedef struct {
    int status;
    char reason[256];
    size_t len;
} header_t;

/* Children abandoned after their deadline (stuck in the kernel), reaped when they finally end. */
#define MAX_STALLED 32
static pid_t stalled[MAX_STALLED];

static void reap_stalled(void)
{
    for (int i = 0; i < MAX_STALLED; i++)
        if (stalled[i] > 0 && waitpid(stalled[i], NULL, WNOHANG) != 0)
            stalled[i] = 0;
}

static void abandon(pid_t pid)
{
    kill(pid, SIGKILL);
    if (waitpid(pid, NULL, WNOHANG) != 0)
        return;
    for (int i = 0; i < MAX_STALLED; i++)
        if (stalled[i] <= 0) {
            stalled[i] = pid;
            return;
        }
}

/* Reads up to n bytes before the deadline (monotonic seconds); returns the bytes read. */
static size_t read_until(int fd, void *p, size_t n, double deadline)
{
    char *c = p;
    size_t got = 0;
    while (got < n) {
        int left_ms = (int)((deadline - probe_now()) * 1000);
        if (left_ms <= 0)
            break;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = poll(&pfd, 1, left_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        ssize_t k = read(fd, c + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    return got;
}

/* In the child: let go of every descriptor the agent holds (its channels to the host, a listening
 * vsock socket, an armed watchdog), so a child stuck in the kernel cannot keep a host connection
 * half-open; stdin and stdout (the channel in --stdio mode) become /dev/null, stderr stays for logs. */
static void detach_from_channels(int keep)
{
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        close(null);
    }
    if (keep > 3)
        close_range(3, (unsigned)keep - 1, 0);
    close_range((unsigned)keep + 1, ~0u, 0);
}

probe_status_t probe_isolated(probe_fn fn, probe_env_t *env, double deadline_s)
{
    reap_stalled();
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return fn(env); /* no pipe: measure in-process rather than not at all */
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return fn(env);
    }
    if (pid == 0) {
        close(fds[0]);
        detach_from_channels(fds[1]);
        header_t h = {0};
        h.status = fn(env);
        jw_end_object(env->facts);
        snprintf(h.reason, sizeof h.reason, "%s", env->reason);
        h.len = env->facts->overflow ? 0 : env->facts->len;
        if (env->facts->overflow)
            h.status = probe_error(env, "facts exceed %zu bytes", env->facts->cap);
        bool ok = fd_write_all(fds[1], &h, sizeof h) && fd_write_all(fds[1], env->facts->buf, h.len);
        _exit(ok ? 0 : 1);
    }
    close(fds[1]);
    double deadline = probe_now() + deadline_s;
    header_t h;
    size_t got = read_until(fds[0], &h, sizeof h, deadline);
    bool whole = got == sizeof h && h.len <= env->facts->cap &&
                 read_until(fds[0], env->facts->buf, h.len, deadline) == h.len;
    close(fds[0]);
    probe_status_t st;
    if (!whole) {
        abandon(pid);
        jw_reset(env->facts);
        jw_begin_object(env->facts);
        if (got == 0 && probe_now() >= deadline) {
            agent_log("probe on %s gave no answer within %.0f s; stopped", env->device, deadline_s);
            fact_fault(env, "no answer from the device within %.0f s (the probe was stopped; the agent went on)", deadline_s);
            st = PROBE_OK;
        } else {
            st = probe_error(env, "the probe process ended without a complete answer");
        }
        jw_end_object(env->facts);
        return st;
    }
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    env->facts->len = h.len;
    env->facts->overflow = false;
    if (h.len == 0) { /* the child's facts overflowed: an empty object, with its error status */
        jw_reset(env->facts);
        jw_begin_object(env->facts);
        jw_end_object(env->facts);
    }
    snprintf(env->reason, sizeof env->reason, "%s", h.reason);
    return (probe_status_t)h.status;
}
