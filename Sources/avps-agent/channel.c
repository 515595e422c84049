#include "channel.h"

#include "agent.h"
#include "log.h"
#include "sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void channel_stdio(channel_t *ch)
{
    ch->rfd = STDIN_FILENO;
    ch->wfd = STDOUT_FILENO;
    ch->stdio = true;
    ch->connected = true;
}

bool channel_open_path(channel_t *ch, const char *path)
{
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        agent_log("open %s: %s", path, strerror(errno));
        return false;
    }
    /* A tty (hvc, ttyS fallback) would echo and cook our bytes. */
    struct termios t;
    if (tcgetattr(fd, &t) == 0) {
        cfmakeraw(&t);
        if (tcsetattr(fd, TCSANOW, &t) != 0)
            agent_log("tcsetattr %s: %s", path, strerror(errno));
    }
    ch->rfd = ch->wfd = fd;
    ch->stdio = false;
    ch->connected = false;
    agent_log("channel %s open", path);
    return true;
}

bool channel_find_port(const char *sysfs_root, const char *port_name, char *devpath, size_t cap)
{
    char dir[PATH_MAX], port_dir[PATH_MAX], name[128];
    bool found = false;
    if (!path_join(dir, sizeof dir, sysfs_root, "class/virtio-ports"))
        return false;
    DIR *d = opendir(dir);
    if (!d)
        return false;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (path_join(port_dir, sizeof port_dir, dir, e->d_name) &&
            sysfs_read(port_dir, "name", name, sizeof name) &&
            strcmp(name, port_name) == 0)
            found = path_join(devpath, cap, "/dev", e->d_name);
    }
    closedir(d);
    return found;
}

bool channel_open_default(channel_t *ch, const char *sysfs_root, long wait_ms)
{
    char devpath[PATH_MAX];
    const long attempts = wait_ms / 50 > 0 ? wait_ms / 50 : 1;
    bool logged = false;
    for (long i = 0; i < attempts; i++) {
        /* The sysfs entry can appear before udev/devtmpfs creates the node,
         * so a failing open is retried like a missing port. */
        if (channel_find_port(sysfs_root, AGENT_PORT_NAME, devpath, sizeof devpath)) {
            int fd = open(devpath, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
            if (fd >= 0) {
                ch->rfd = ch->wfd = fd;
                ch->stdio = false;
                ch->connected = false;
                agent_log("channel %s (%s) open", devpath, AGENT_PORT_NAME);
                return true;
            }
        }
        if (!logged) {
            agent_log("waiting up to %ld ms for virtio-serial port %s", wait_ms, AGENT_PORT_NAME);
            logged = true;
        }
        sleep_ms(50);
    }
    agent_log("virtio-serial port %s not found after %ld ms", AGENT_PORT_NAME, wait_ms);
    return false;
}

/* Waits until the fd is writable; false if the host end hung up. */
static bool wait_writable(channel_t *ch)
{
    for (;;) {
        struct pollfd p = {ch->wfd, POLLOUT, 0};
        int n = poll(&p, 1, 1000);
        if (n < 0 && errno != EINTR)
            return false;
        if (n > 0 && (p.revents & POLLOUT))
            return true;
        if (n > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)))
            return false;
    }
}

bool channel_send(channel_t *ch, const char *data, size_t len)
{
    size_t off = 0;
    if (!ch->stdio && !ch->connected)
        return false; /* nobody to read it; see serve.c */
    while (off < len) {
        ssize_t w = write(ch->wfd, data + off, len - off);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_writable(ch))
            continue;
        if (ch->stdio) {
            agent_log("write: %s", w < 0 ? strerror(errno) : "no progress");
        } else {
            if (ch->connected)
                agent_log("host end gone while writing; frame dropped");
            ch->connected = false;
        }
        return false;
    }
    return true;
}

void channel_settle(const channel_t *ch)
{
    if (ch->socket)
        sleep_ms(200);
}

bool fd_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        c += w;
        n -= (size_t)w;
    }
    return true;
}
