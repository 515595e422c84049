#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool path_join(char *buf, size_t cap, const char *a, const char *b)
{
    int n = snprintf(buf, cap, "%s/%s", a, b);
    if (n < 0 || (size_t)n >= cap) {
        errno = ENAMETOOLONG;
        return false;
    }
    return true;
}

bool sysfs_read(const char *dir, const char *name, char *buf, size_t cap)
{
    char path[PATH_MAX];
    size_t len = 0;
    if (cap < 2 || !path_join(path, sizeof path, dir, name))
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    /* sysfs returns an attribute in one read, but regular files (fixtures)
     * may need several; read until EOF or the buffer is full. */
    for (;;) {
        ssize_t r = read(fd, buf + len, cap - 1 - len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            errno = e;
            return false;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len == cap - 1) {
            char extra;
            ssize_t more = read(fd, &extra, 1);
            close(fd);
            if (more != 0) {
                errno = EFBIG;
                return false;
            }
            goto done;
        }
    }
    close(fd);
done:
    if (memchr(buf, '\0', len)) {
        errno = EINVAL;
        return false;
    }
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    buf[len] = '\0';
    return true;
}

bool sysfs_read_hex(const char *dir, const char *name, uint64_t *out)
{
    char text[32];
    uint64_t v = 0;
    if (!sysfs_read(dir, name, text, sizeof text))
        return false;
    /* The kernel prints "0x%04x" / "0x%08x"; anything else is not trusted. */
    if (text[0] != '0' || (text[1] != 'x' && text[1] != 'X') || text[2] == '\0' ||
        strlen(text) > 2 + 16) {
        errno = EINVAL;
        return false;
    }
    for (const char *p = text + 2; *p; p++) {
        int d;
        if (*p >= '0' && *p <= '9') d = *p - '0';
        else if (*p >= 'a' && *p <= 'f') d = *p - 'a' + 10;
        else if (*p >= 'A' && *p <= 'F') d = *p - 'A' + 10;
        else {
            errno = EINVAL;
            return false;
        }
        v = (v << 4) | (uint64_t)d;
    }
    *out = v;
    return true;
}

bool sysfs_link_basename(const char *dir, const char *name, char *buf, size_t cap)
{
    char path[PATH_MAX], target[PATH_MAX];
    if (!path_join(path, sizeof path, dir, name))
        return false;
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0)
        return false;
    target[n] = '\0';
    while (n > 1 && target[n - 1] == '/')
        target[--n] = '\0';
    const char *base = strrchr(target, '/');
    base = base ? base + 1 : target;
    if (strlen(base) >= cap || base[0] == '\0') {
        errno = ENAMETOOLONG;
        return false;
    }
    strcpy(buf, base);
    return true;
}

bool sysfs_read_cstring(const char *dir, const char *name, char *buf, size_t cap)
{
    char path[PATH_MAX];
    if (cap < 2 || !path_join(path, sizeof path, dir, name))
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return buf[0] != '\0';
}

bool proc_cmdline(char *buf, size_t cap)
{
    FILE *f = fopen("/proc/cmdline", "r");
    if (!f || cap == 0) {
        if (f)
            fclose(f);
        return false;
    }
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return true;
}
