/* console.transfer: a seeded byte pattern written through a named
 * virtio-serial port; the host reads it from the port's host-side socket and
 * checks it (PROTOCOL.md 6.4). */
#include "probe.h"

#include "sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_BYTES (1 << 20)
#define DEADLINE_S 10.0

/* xorshift32; the host generates the same stream (ConsoleReceiver.pattern). */
static uint8_t next_byte(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return (uint8_t)(*s & 0xff);
}

/* /dev/<vport> of the port of this device whose sysfs name is `name`. */
static bool find_port(probe_env_t *env, const char *name, char *node, size_t cap)
{
    char dir[4400], pdir[4700], found[256];
    snprintf(dir, sizeof dir, "%s/virtio-ports", env->virtio_dir);
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool ok = false;
    struct dirent *e;
    while (!ok && (e = readdir(d))) {
        if (strncmp(e->d_name, "vport", 5) != 0)
            continue;
        snprintf(pdir, sizeof pdir, "%s/%s", dir, e->d_name);
        ok = sysfs_read(pdir, "name", found, sizeof found) && strcmp(found, name) == 0;
        if (ok)
            snprintf(node, cap, "/dev/%s", e->d_name);
    }
    closedir(d);
    return ok;
}

probe_status_t probe_console_transfer(probe_env_t *env)
{
    static uint8_t buf[MAX_BYTES];
    char port[256], node[300];
    if (!obj_string(env->params, "port", port, sizeof port) || !port[0])
        return probe_error(env, "console.transfer needs params.port (a virtio-serial port name)");
    int64_t want = obj_int(env->params, "bytes", 65536);
    if (want < 1 || want > MAX_BYTES)
        return probe_error(env, "params.bytes must be 1..%d", MAX_BYTES);
    uint32_t state = (uint32_t)obj_int(env->params, "seed", 1);
    if (state == 0)
        state = 0x9e3779b9u;
    if (!find_port(env, port, node, sizeof node))
        return probe_unavailable(env, "%s has no virtio-serial port named %s", env->device, port);
    for (int64_t i = 0; i < want; i++)
        buf[i] = next_byte(&state);
    int fd = open(node, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return probe_unavailable(env, "open %s: %s", node, strerror(errno));
    double start = probe_now(), end = start;
    size_t done = 0;
    int err = 0;
    while (done < (size_t)want && probe_now() - start < DEADLINE_S) {
        ssize_t n = write(fd, buf + done, (size_t)want - done);
        if (n > 0) {
            done += (size_t)n;
            end = probe_now();
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            err = errno;
            break;
        } else {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            (void)poll(&p, 1, 100);
        }
    }
    close(fd);
    fact_string(env, "port", port);
    fact_int(env, "bytes_requested", want);
    fact_int(env, "bytes_written", (int64_t)done);
    fact_double(env, "seconds", end - start);
    if (end > start)
        fact_double(env, "bytes_per_second", (double)done / (end - start));
    if (err)
        fact_string(env, "write_error", strerror(err));
    return PROBE_OK;
}
