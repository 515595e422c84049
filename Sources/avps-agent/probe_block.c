/* block.integrity: seeded pattern written with O_DIRECT, flushed, read back
 * and compared, then discard and write-zeroes on its last quarter; the rest
 * stays for the host to find in the disk image it holds. */
#include "probe.h"
#include "storage.h"
#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define CHUNK (1u << 20)

static unsigned char buf[CHUNK] __attribute__((aligned(4096)));

static bool all_zero(int fd, uint64_t off, uint64_t bytes)
{
    for (uint64_t done = 0; done < bytes; done += CHUNK) {
        size_t n = bytes - done < CHUNK ? (size_t)(bytes - done) : CHUNK;
        if (pread(fd, buf, n, (off_t)(off + done)) != (ssize_t)n)
            return false;
        for (size_t i = 0; i < n; i++)
            if (buf[i])
                return false;
    }
    return true;
}

static void queue_fact(probe_env_t *env, const char *sys, const char *file, const char *key)
{
    char v[64];
    if (sysfs_read(sys, file, v, sizeof v))
        fact_int(env, key, strtoll(v, NULL, 10));
}

/* A disk the guest sees read-only: the write tests do not apply to it (the host scores them
 * NOT_APPLICABLE with this reason); whether it reads, and whether a write really is refused, are
 * still measured. */
static void read_only_disk(probe_env_t *env, int fd, const char *node, bool ro, bool try_write)
{
    errno = 0;
    ssize_t got = pread(fd, buf, 4096, 0);
    fact_bool(env, "read_ok", got == 4096);
    if (got != 4096) {
        fact_errno(env, "read_error", "read at 0", got < 0 ? errno : 0);
        fact_fault(env, "read %s at 0: %s", node, got < 0 ? strerror(errno) : "short read");
    } else if (try_write) {
        ssize_t r = pwrite(fd, buf, 4096, 0); /* writes back what it just read, if it gets through */
        fact_bool(env, "write_refused", r < 0);
    }
    fact_not_applicable(env, "%s", ro ? "the disk is read-only (the device offers VIRTIO_BLK_F_RO), so nothing is written to it"
                                          : "the disk refuses to open for writing, so nothing is written to it");
}

probe_status_t probe_block_integrity(probe_env_t *env)
{
    char disk[64], sys[4400], queue[4500], text[256], node[128];
    if (!probe_child(env->virtio_dir, "block", NULL, disk, sizeof disk))
        return probe_unavailable(env, "%s has no block disk (driver not bound?)", env->device);
    snprintf(sys, sizeof sys, "%s/block/%s", env->virtio_dir, disk);
    snprintf(queue, sizeof queue, "%s/queue", sys);
    snprintf(node, sizeof node, "/dev/%s", disk);
    fact_string(env, "disk", disk);
    bool ro = sysfs_read(sys, "ro", text, sizeof text) && strcmp(text, "1") == 0;
    fact_bool(env, "read_only", ro);
    if (sysfs_read(sys, "size", text, sizeof text))
        fact_int(env, "size_bytes", strtoll(text, NULL, 10) * 512);
    if (sysfs_read(sys, "serial", text, sizeof text))
        fact_string(env, "serial", text);
    queue_fact(env, queue, "logical_block_size", "logical_block_size");
    queue_fact(env, queue, "discard_max_bytes", "discard_max_bytes");
    queue_fact(env, queue, "write_zeroes_max_bytes", "write_zeroes_max_bytes");
    if (sysfs_read(queue, "write_cache", text, sizeof text))
        fact_string(env, "write_cache", text);

    int fd = open(node, O_RDWR | O_DIRECT | O_CLOEXEC);
    if (fd < 0 && (errno == EROFS || errno == EACCES || errno == EPERM)) {
        fact_bool(env, "write_refused", true);
        fd = open(node, O_RDONLY | O_DIRECT | O_CLOEXEC);
        if (fd < 0) {
            fact_errno(env, "read_error", "open for reading", errno);
            fact_fault(env, "open %s for reading: %s", node, strerror(errno));
            return PROBE_OK;
        }
        read_only_disk(env, fd, node, ro, false);
        close(fd);
        return PROBE_OK;
    }
    if (fd < 0) { /* the node exists (sysfs showed the disk): the device refused to open */
        fact_errno(env, "open_error", "open read-write", errno);
        fact_fault(env, "open %s read-write: %s", node, strerror(errno));
        return PROBE_OK;
    }
    if (ro) { /* the kernel let us open it anyway; the write itself must fail */
        read_only_disk(env, fd, node, ro, true);
        close(fd);
        return PROBE_OK;
    }
    fact_bool(env, "write_refused", false);
    if (!obj_bool(env->params, "allow_write", false)) {
        close(fd);
        return probe_unavailable(env, "writing needs params.allow_write=true (the probe overwrites part of the disk)");
    }
    if (storage_mounted(disk)) {
        close(fd);
        return probe_unavailable(env, "%s is mounted; the probe does not write to disks in use", node);
    }
    uint64_t off, bytes, seed;
    storage_region(env, &off, &bytes, &seed);
    (void)storage_round_trip(env, fd, off, bytes, seed);
    if (obj_bool(env->params, "keep", false)) { /* a secret for a sibling to look for: leave it */
        fact_bool(env, "kept", true);
        close(fd);
        return PROBE_OK;
    }

    /* Discard and write-zeroes take the last quarter of the pattern (data that was not zero), so
     * the first three quarters stay on the disk for the host to find in its image. */
    uint64_t zero_len = (bytes / 4) & ~4095ull;
    if (zero_len == 0)
        zero_len = bytes;
    uint64_t range[2] = {off + bytes - zero_len, zero_len};
    fact_int(env, "zeroed_offset", (int64_t)range[0]);
    fact_int(env, "zeroed_bytes", (int64_t)range[1]);
    int rc = ioctl(fd, BLKDISCARD, range);
    fact_bool(env, "discard_ok", rc == 0);
    if (rc != 0)
        fact_errno(env, "discard_error", "BLKDISCARD", errno);
    rc = ioctl(fd, BLKZEROOUT, range);
    fact_bool(env, "write_zeroes_ok", rc == 0);
    if (rc == 0)
        fact_bool(env, "zeroes_verified", all_zero(fd, range[0], range[1]));
    else
        fact_errno(env, "write_zeroes_error", "BLKZEROOUT", errno);
    fsync(fd); /* the kept pattern is stable before the answer reaches the host */
    close(fd);
    return PROBE_OK;
}
