#include "mmio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define IOMEM "/proc/iomem"
/* QEMU's VIRTIO_QUEUE_MAX; the spec sets no limit for virtio-mmio. */
#define MMIO_MAX_QUEUES 1024

/* True for the line naming the platform device: the bare device name, or the
 * driver's own request "<device> <resource>" (devm_ioremap_resource's name,
 * e.g. "a003e00.virtio_mmio virtio_mmio@a003e00" on a device tree). */
static bool names_device(const char *label, const char *name)
{
    size_t n = strlen(name);
    return strncmp(label, name, n) == 0 && (label[n] == '\0' || label[n] == ' ');
}

/* "  0a003e00-0a003fff : a003e00.virtio_mmio ..." -> range, when the name
 * matches; the first such line wins. */
static bool find_range(const char *name, uint64_t *start, uint64_t *end, char *why, size_t cap)
{
    FILE *f = fopen(IOMEM, "re");
    if (!f) {
        snprintf(why, cap, "cannot read %s: %s", IOMEM, strerror(errno));
        return false;
    }
    char line[512];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *sep = strstr(line, " : ");
        uint64_t s, e;
        if (sep && names_device(sep + 3, name) && sscanf(line, " %" SCNx64 "-%" SCNx64, &s, &e) == 2) {
            *start = s;
            *end = e;
            found = true;
        }
    }
    fclose(f);
    if (!found)
        snprintf(why, cap, "no range named %s in %s", name, IOMEM);
    else if (*start == 0 && *end == 0)
        snprintf(why, cap, "%s hides addresses (needs CAP_SYS_ADMIN)", IOMEM);
    return found && !(*start == 0 && *end == 0);
}

bool mmiodev_open(mmiodev_t *m, const char *platform_name)
{
    memset(m, 0, sizeof *m);
    uint64_t start, end;
    if (!find_range(platform_name, &start, &end, m->why, sizeof m->why))
        return false;
    if (end < start + MMIO_CONFIG - 1) {
        snprintf(m->why, sizeof m->why, "range %" PRIx64 "-%" PRIx64 " is smaller than a register block", start, end);
        return false;
    }
    m->base = start;
    m->size = end - start + 1;
    long page = sysconf(_SC_PAGESIZE);
    uint64_t first = start & ~(uint64_t)(page - 1);
    m->map_len = (size_t)((end + 1 - first + (uint64_t)page - 1) & ~(uint64_t)(page - 1));
    int fd = open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);
    if (fd < 0) {
        snprintf(m->why, sizeof m->why, "open /dev/mem: %s", strerror(errno));
        return false;
    }
    m->map = mmap(NULL, m->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)first);
    int e = errno;
    close(fd);
    if (m->map == MAP_FAILED) {
        m->map = NULL;
        /* EPERM: CONFIG_STRICT_DEVMEM refuses the range; with
         * CONFIG_IO_STRICT_DEVMEM a driver-claimed range stays refused
         * unless the guest booted with iomem=relaxed. */
        snprintf(m->why, sizeof m->why, "mmap /dev/mem at 0x%" PRIx64 ": %s%s", first, strerror(e),
                 e == EPERM ? " (the kernel forbids access to a driver-claimed range: "
                              "CONFIG_IO_STRICT_DEVMEM without iomem=relaxed)" : "");
        return false;
    }
    m->regs = (volatile uint8_t *)m->map + (start - first);
    uint32_t magic = *(volatile uint32_t *)(m->regs + MMIO_MAGIC_VALUE);
    uint32_t version = *(volatile uint32_t *)(m->regs + MMIO_VERSION);
    if (magic != MMIO_MAGIC) {
        snprintf(m->why, sizeof m->why, "MagicValue at 0x%" PRIx64 " is 0x%08x, not 0x%08x", start, magic, MMIO_MAGIC);
        mmiodev_close(m);
        return false;
    }
    if (version != 1 && version != 2) {
        snprintf(m->why, sizeof m->why, "unknown virtio-mmio Version %u", version);
        mmiodev_close(m);
        return false;
    }
    m->version = version;
    return true;
}

void mmiodev_close(mmiodev_t *m)
{
    if (m->map)
        munmap(m->map, m->map_len);
    m->map = NULL;
    m->regs = NULL;
}

bool mmiodev_read(const mmiodev_t *m, uint32_t off, uint32_t len, uint32_t *val)
{
    if (!m->regs || off + len > m->size || off % len != 0)
        return false;
    switch (len) {
    case 1: *val = *(volatile uint8_t *)(m->regs + off); return true;
    case 2: *val = *(volatile uint16_t *)(m->regs + off); return true;
    case 4: *val = *(volatile uint32_t *)(m->regs + off); return true;
    default: return false;
    }
}

void mmiodev_write32(const mmiodev_t *m, uint32_t off, uint32_t val)
{
    if (m->regs && off + 4 <= m->size)
        *(volatile uint32_t *)(m->regs + off) = val;
}

void mmiodev_features(const mmiodev_t *m, uint32_t *words, unsigned count)
{
    for (uint32_t word = 0; word < count; word++) {
        uint32_t v = 0;
        mmiodev_write32(m, MMIO_DEVICE_FEATURES_SEL, word);
        (void)mmiodev_read(m, MMIO_DEVICE_FEATURES, 4, &v);
        words[word] = v;
    }
    mmiodev_write32(m, MMIO_DEVICE_FEATURES_SEL, 0);
}

unsigned mmiodev_queue_count(const mmiodev_t *m)
{
    unsigned count = 0;
    for (; count < MMIO_MAX_QUEUES; count++) {
        uint32_t max = 0;
        mmiodev_write32(m, MMIO_QUEUE_SEL, count);
        if (!mmiodev_read(m, MMIO_QUEUE_NUM_MAX, 4, &max) || max == 0)
            break;
    }
    mmiodev_write32(m, MMIO_QUEUE_SEL, 0);
    return count;
}
