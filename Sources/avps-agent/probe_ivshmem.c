/* ivshmem.pattern (platform): inter-VM shared memory through QEMU's ivshmem PCI
 * device (vendor 0x1af4, device 0x1110; ivshmem-plain or ivshmem-doorbell). No
 * driver is needed: BAR2 (the shared memory) is mapped through sysfs
 * `resource2`, BAR0's registers through `resource0`. One guest writes a seeded
 * pattern into its half, the sibling reads it from there; the host orders the
 * steps and decides (PROTOCOL.md 6.4). */
#include "probe.h"
#include "storage.h"
#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define IVSHMEM_VENDOR 0x1af4
#define IVSHMEM_DEVICE 0x1110
#define IVSHMEM_MAX_BYTES (16ULL * 1024 * 1024)

static unsigned char ivshmem_expect[64 * 1024];

/* The first ivshmem function under <sysfs>/bus/pci/devices (sorted); count of all of them. */
static int find_ivshmem(const char *sysfs_root, char *dir, size_t cap, char name[64])
{
    static char names[256][64];
    char devices[4200];
    if (!path_join(devices, sizeof devices, sysfs_root, "bus/pci/devices"))
        return 0;
    int n = probe_list(devices, NULL, names, 256), found = 0;
    for (int i = 0; i < n; i++) {
        char path[4300];
        uint64_t vendor, device;
        if (!path_join(path, sizeof path, devices, names[i]) || !sysfs_read_hex(path, "vendor", &vendor) ||
            !sysfs_read_hex(path, "device", &device) || vendor != IVSHMEM_VENDOR || device != IVSHMEM_DEVICE)
            continue;
        if (found++ == 0) {
            snprintf(dir, cap, "%s", path);
            memcpy(name, names[i], 64);
        }
    }
    return found;
}

/* Maps resource<bar> of the device read-write; *size gets its length. NULL with errno on failure. */
static void *map_bar(const char *dir, int bar, size_t *size)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/resource%d", dir, bar);
    int fd = open(path, O_RDWR | O_CLOEXEC | O_SYNC);
    if (fd < 0)
        return NULL;
    struct stat st;
    void *p = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        *size = (size_t)st.st_size;
        p = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    } else if (errno == 0) {
        errno = ENXIO;
    }
    int e = errno;
    close(fd);
    errno = e;
    return p == MAP_FAILED ? NULL : p;
}

/* BAR0's IVPosition (offset 8): this peer's id with ivshmem-doorbell, 0 or -1 without interrupts. */
static void registers(probe_env_t *env, const char *dir)
{
    size_t size = 0;
    volatile uint32_t *regs = map_bar(dir, 0, &size);
    if (!regs || size < 16) {
        fact_errno(env, "registers_error", "map BAR0", regs ? ENXIO : errno);
        if (regs)
            munmap((void *)regs, size);
        return;
    }
    fact_int(env, "iv_position", (int32_t)regs[2]);
    munmap((void *)regs, size);
}

probe_status_t probe_ivshmem_pattern(probe_env_t *env)
{
    char dir[4400], name[64];
    int count = find_ivshmem(env->sysfs_root, dir, sizeof dir, name);
    fact_int(env, "ivshmem_count", count);
    if (count == 0) {
        fact_string(env, "ivshmem_reason", "no PCI function 1af4:1110 (ivshmem) in this guest");
        return PROBE_OK;
    }
    fact_string(env, "pci_address", name);
    size_t bar1 = 0;
    void *b1 = map_bar(dir, 1, &bar1);
    fact_bool(env, "doorbell_device", b1 != NULL); /* BAR1 (MSI-X) exists only on ivshmem-doorbell */
    if (b1)
        munmap(b1, bar1);
    registers(env, dir);
    size_t size = 0;
    unsigned char *shm = map_bar(dir, 2, &size);
    if (!shm) {
        fact_errno(env, "map_error", "map BAR2 (resource2)", errno);
        fact_fault(env, "the shared memory BAR of %s cannot be mapped: %s", name, strerror(errno));
        return PROBE_OK;
    }
    fact_int(env, "bar2_bytes", (int64_t)size);
    uint64_t bytes = (uint64_t)obj_int(env->params, "bytes", 64 * 1024);
    if (bytes == 0 || bytes > IVSHMEM_MAX_BYTES) bytes = 64 * 1024;
    int64_t write_at = obj_int(env->params, "write_offset", -1), read_at = obj_int(env->params, "read_offset", -1);
    uint64_t write_seed = (uint64_t)obj_int(env->params, "write_seed", 1), read_seed = (uint64_t)obj_int(env->params, "read_seed", 1);
    if (write_seed == 0) write_seed = 1; /* xorshift's state must not be 0 */
    if (read_seed == 0) read_seed = 1;
    fact_int(env, "bytes", (int64_t)bytes);
    if ((write_at >= 0 && (uint64_t)write_at + bytes > size) || (read_at >= 0 && (uint64_t)read_at + bytes > size)) {
        munmap(shm, size);
        fact_unmeasured(env, "the region asked for does not fit the %zu-byte shared memory", size);
        return PROBE_OK;
    }
    if (write_at >= 0) {
        uint64_t state = write_seed;
        for (uint64_t done = 0; done < bytes; done += sizeof ivshmem_expect) {
            size_t n = bytes - done < sizeof ivshmem_expect ? (size_t)(bytes - done) : sizeof ivshmem_expect;
            storage_fill(shm + write_at + done, n, &state);
        }
        __sync_synchronize();
        fact_int(env, "write_offset", write_at);
        fact_int(env, "write_seed", (int64_t)write_seed);
        fact_bool(env, "written", true);
    }
    if (read_at >= 0) {
        __sync_synchronize();
        uint64_t state = read_seed, mismatched = 0;
        for (uint64_t done = 0; done < bytes; done += sizeof ivshmem_expect) {
            size_t n = bytes - done < sizeof ivshmem_expect ? (size_t)(bytes - done) : sizeof ivshmem_expect;
            storage_fill(ivshmem_expect, n, &state);
            for (size_t i = 0; i < n; i++)
                mismatched += shm[read_at + done + i] != ivshmem_expect[i];
        }
        fact_int(env, "read_offset", read_at);
        fact_int(env, "read_seed", (int64_t)read_seed);
        fact_int(env, "mismatched_bytes", (int64_t)mismatched);
        fact_bool(env, "pattern_seen", mismatched == 0);
    }
    munmap(shm, size);
    return PROBE_OK;
}
