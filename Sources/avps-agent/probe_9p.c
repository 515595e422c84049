/* 9p.fileops: mount the share by its tag, then create, write, fsync, read
 * back, rename and unlink one file; every step is a fact. With params.keep_file
 * the same bytes are left in a file of that name for the host to check. */
#include "probe.h"
#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned char out[65536], in[65536];

/* params.keep_file: the same bytes once more, in a file of that name left in the share, for the
 * host to read on its side of the export (it removes the file). */
static void keep_for_host(probe_env_t *env, const char *mnt)
{
    char name[128], path[400];
    if (!obj_string(env->params, "keep_file", name, sizeof name) || !name[0] || strchr(name, '/') || name[0] == '.')
        return;
    snprintf(path, sizeof path, "%s/%s", mnt, name);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
    bool ok = fd >= 0 && write(fd, out, sizeof out) == (ssize_t)sizeof out;
    if (fd >= 0)
        ok = fsync(fd) == 0 && ok;
    if (fd >= 0)
        close(fd);
    fact_string(env, "kept_file", name);
    fact_bool(env, "kept_file_written", ok);
}

static void file_ops(probe_env_t *env, const char *mnt)
{
    char a[256], b[256];
    snprintf(a, sizeof a, "%s/avps-probe-%d", mnt, (int)getpid());
    snprintf(b, sizeof b, "%s/avps-probe-%d-renamed", mnt, (int)getpid());
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (unsigned char)(i * 7 + 3);
    int fd = open(a, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
    fact_bool(env, "create_ok", fd >= 0);
    if (fd < 0) { /* e.g. EROFS from a share that refuses writes: the platform's failure */
        int e = errno;
        fact_errno(env, "create_error", "create", e);
        fact_fault(env, "create %s: %s (%s)", a, strerrorname_np(e) ? strerrorname_np(e) : "errno", strerror(e));
        return;
    }
    errno = 0;
    ssize_t w = write(fd, out, sizeof out);
    fact_bool(env, "write_ok", w == (ssize_t)sizeof out);
    if (w != (ssize_t)sizeof out)
        fact_errno(env, "write_error", "write", w < 0 ? errno : 0);
    bool synced = fsync(fd) == 0;
    fact_bool(env, "fsync_ok", synced);
    if (!synced)
        fact_errno(env, "fsync_error", "fsync", errno);
    close(fd);
    bool read_ok = false, same = false;
    fd = open(a, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = 0, r;
        while (n < (ssize_t)sizeof in && (r = read(fd, in + n, sizeof in - (size_t)n)) > 0)
            n += r;
        read_ok = n == (ssize_t)sizeof in;
        same = read_ok && memcmp(in, out, sizeof in) == 0;
        close(fd);
    }
    fact_bool(env, "read_ok", read_ok);
    fact_bool(env, "data_verified", same);
    bool renamed = rename(a, b) == 0;
    struct stat st;
    fact_bool(env, "rename_ok", renamed && stat(b, &st) == 0 && st.st_size == (off_t)sizeof out &&
                                    access(a, F_OK) != 0);
    bool gone = unlink(renamed ? b : a) == 0 && access(renamed ? b : a, F_OK) != 0;
    fact_bool(env, "unlink_ok", gone);
    keep_for_host(env, mnt);
}

probe_status_t probe_9p_fileops(probe_env_t *env)
{
    char tag[128], mnt[128];
    if (!sysfs_read_cstring(env->virtio_dir, "mount_tag", tag, sizeof tag))
        return probe_unavailable(env, "%s has no mount_tag (9pnet_virtio not bound?)", env->device);
    fact_string(env, "tag", tag);
    snprintf(mnt, sizeof mnt, "/tmp/avps-9p-%s", env->device);
    if (mkdir(mnt, 0700) != 0 && errno != EEXIST)
        return probe_error(env, "mkdir %s: %s", mnt, strerror(errno));
    if (mount(tag, mnt, "9p", 0, "trans=virtio,version=9p2000.L") != 0) {
        int e = errno;
        fact_bool(env, "mount_ok", false);
        rmdir(mnt);
        if (e == ENODEV)
            return probe_unavailable(env, "the guest kernel has no 9p file system");
        fact_errno(env, "mount_error", "mount -t 9p", e); /* the share's server refused: the platform's */
        fact_fault(env, "mount -t 9p %s: %s", tag, strerror(e));
        return PROBE_OK;
    }
    fact_bool(env, "mount_ok", true);
    file_ops(env, mnt);
    fact_bool(env, "umount_ok", umount(mnt) == 0);
    rmdir(mnt);
    return PROBE_OK;
}
