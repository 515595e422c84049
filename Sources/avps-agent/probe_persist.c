/* block.persistence: the two halves of the power-cut test. `phase: write` writes the seeded
 * block.integrity pattern with O_DIRECT and flushes it (fsync); the host then kills the guest's
 * hypervisor process and starts it again on the same disk; `phase: verify`, in the new boot,
 * reads the region back and compares. Only the host knows a power cut happened between them, so
 * the verdict is its own (PROTOCOL.md §6.3). */
#include "probe.h"
#include "storage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static probe_status_t verify(probe_env_t *env, const char *node, uint64_t off, uint64_t bytes, uint64_t seed)
{
    fact_int(env, "offset", (int64_t)off);
    fact_int(env, "bytes", (int64_t)bytes);
    fact_int(env, "seed", (int64_t)seed);
    int fd = open(node, O_RDONLY | O_DIRECT | O_CLOEXEC);
    if (fd < 0) {
        fact_errno(env, "read_error", "open for reading", errno);
        fact_fault(env, "open %s for reading: %s", node, strerror(errno));
        return PROBE_OK;
    }
    uint64_t mismatches = 0;
    storage_failure_t fail = {0, 0};
    bool read = storage_pass(fd, false, off, bytes, seed, &mismatches, &fail);
    close(fd);
    fact_bool(env, "read_ok", read);
    if (!read) {
        char op[64];
        snprintf(op, sizeof op, "read at %llu", (unsigned long long)fail.at);
        fact_errno(env, "read_error", op, fail.err);
        fact_fault(env, "read %s at %llu: %s", node, (unsigned long long)fail.at, fail.err ? strerror(fail.err) : "short read");
        return PROBE_OK;
    }
    fact_int(env, "mismatched_bytes", (int64_t)mismatches);
    fact_bool(env, "pattern_found", mismatches == 0);
    return PROBE_OK;
}

probe_status_t probe_block_persistence(probe_env_t *env)
{
    char disk[64], node[128], phase[16] = "";
    if (!probe_child(env->virtio_dir, "block", NULL, disk, sizeof disk))
        return probe_unavailable(env, "%s has no block disk (driver not bound?)", env->device);
    snprintf(node, sizeof node, "/dev/%s", disk);
    fact_string(env, "disk", disk);
    (void)obj_string(env->params, "phase", phase, sizeof phase);
    fact_string(env, "phase", phase);
    uint64_t off, bytes, seed;
    storage_region(env, &off, &bytes, &seed);
    if (strcmp(phase, "verify") == 0)
        return verify(env, node, off, bytes, seed);
    if (strcmp(phase, "write") != 0)
        return probe_error(env, "params.phase must be \"write\" or \"verify\"");
    if (!obj_bool(env->params, "allow_write", false))
        return probe_unavailable(env, "writing needs params.allow_write=true (the probe overwrites part of the disk)");
    if (storage_mounted(disk))
        return probe_unavailable(env, "%s is mounted; the probe does not write to disks in use", node);
    int fd = open(node, O_RDWR | O_DIRECT | O_CLOEXEC);
    if (fd < 0) {
        fact_errno(env, "open_error", "open read-write", errno);
        fact_fault(env, "open %s read-write: %s", node, strerror(errno));
        return PROBE_OK;
    }
    probe_status_t status = storage_round_trip(env, fd, off, bytes, seed); /* write, fsync, read back */
    close(fd);
    return status;
}
