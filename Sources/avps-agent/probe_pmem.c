/* pmem.integrity: the block device the guest's NVDIMM stack makes of a virtio-pmem region
 * (virtioN/ndbusX/regionY/namespaceY.Z/block/pmemY), its size, and a seeded pattern written,
 * flushed (fsync reaches the device as its flush request) and read back. */
#include "probe.h"
#include "storage.h"
#include "sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* Depth-first through real subdirectories (never symlinks, which lead back up the tree) to
 * the first `block/pmem*`; `owner` receives the directory holding that `block`. */
static bool find_pmem(const char *dir, int depth, char *disk, size_t cap, char *owner, size_t owner_cap)
{
    if (probe_child(dir, "block", "pmem", disk, cap)) {
        snprintf(owner, owner_cap, "%s", dir);
        return true;
    }
    if (depth == 0)
        return false;
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    struct dirent *e;
    char sub[4096];
    while (!found && (e = readdir(d))) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.' || strcmp(e->d_name, "power") == 0)
            continue;
        if (snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name) < (int)sizeof sub)
            found = find_pmem(sub, depth - 1, disk, cap, owner, owner_cap);
    }
    closedir(d);
    return found;
}

probe_status_t probe_pmem_integrity(probe_env_t *env)
{
    char disk[64], owner[4096], sys[4200], text[128], node[96];
    if (!find_pmem(env->virtio_dir, 4, disk, sizeof disk, owner, sizeof owner))
        return probe_unavailable(env, "%s has no pmem block device (virtio_pmem or nd_pmem not loaded?)", env->device);
    fact_string(env, "disk", disk);
    const char *slash = strrchr(owner, '/');
    fact_string(env, "namespace", slash ? slash + 1 : owner);
    if (sysfs_read(owner, "mode", text, sizeof text))
        fact_string(env, "mode", text);
    snprintf(sys, sizeof sys, "%s/block/%s", owner, disk);
    uint64_t size = sysfs_read(sys, "size", text, sizeof text) ? (uint64_t)strtoull(text, NULL, 10) * 512 : 0;
    fact_int(env, "size_bytes", (int64_t)size);
    if (!obj_bool(env->params, "allow_write", false))
        return probe_unavailable(env, "writing needs params.allow_write=true (the probe overwrites part of the device)");
    if (storage_mounted(disk))
        return probe_unavailable(env, "/dev/%s is mounted; the probe does not write to devices in use", disk);
    uint64_t off, bytes, seed;
    storage_region(env, &off, &bytes, &seed);
    if (off + bytes > size) { /* a small device: from the start, as much as fits */
        off = 0;
        bytes = size < bytes ? size & ~4095ull : bytes;
    }
    if (bytes == 0)
        return probe_unavailable(env, "/dev/%s is smaller than one 4 KiB block", disk);
    snprintf(node, sizeof node, "/dev/%s", disk);
    int fd = open(node, O_RDWR | O_DIRECT | O_CLOEXEC);
    if (fd < 0 && errno == EINVAL) /* no direct I/O: the page cache still ends in the device on fsync */
        fd = open(node, O_RDWR | O_CLOEXEC);
    if (fd < 0) { /* the node exists: the device refused to open */
        fact_errno(env, "open_error", "open read-write", errno);
        fact_fault(env, "open %s read-write: %s", node, strerror(errno));
        return PROBE_OK;
    }
    probe_status_t st = storage_round_trip(env, fd, off, bytes, seed);
    close(fd);
    return st;
}
