/* block.integrity: seeded pattern written with O_DIRECT, read back and
 * compared, then flush, discard and write-zeroes on the same region. */
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
        if (fd < 0)
            return probe_error(env, "open %s: %s", node, strerror(errno));
        fact_bool(env, "read_ok", pread(fd, buf, 4096, 0) == 4096);
        close(fd);
        return PROBE_OK;
    }
    if (fd < 0)
        return probe_error(env, "open %s: %s", node, strerror(errno));
    if (ro) { /* the kernel let us open it anyway; the write itself must fail */
        bool read = pread(fd, buf, 4096, 0) == 4096;
        ssize_t r = pwrite(fd, buf, 4096, 0); /* writes back what it just read, if it gets through */
        fact_bool(env, "write_refused", r < 0);
        fact_bool(env, "read_ok", read);
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
    if (storage_round_trip(env, fd, off, bytes, seed) != PROBE_OK) {
        close(fd);
        return PROBE_ERROR;
    }

    uint64_t range[2] = {off, bytes};
    int rc = ioctl(fd, BLKDISCARD, range);
    fact_bool(env, "discard_ok", rc == 0);
    if (rc != 0)
        fact_string(env, "discard_error", strerror(errno));
    rc = ioctl(fd, BLKZEROOUT, range);
    fact_bool(env, "write_zeroes_ok", rc == 0);
    if (rc == 0)
        fact_bool(env, "zeroes_verified", all_zero(fd, off, bytes));
    else
        fact_string(env, "write_zeroes_error", strerror(errno));
    close(fd);
    return PROBE_OK;
}
