#include "pcicfg.h"

#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#define SYSFS_MAGIC 0x62656572
#define CAP_VNDR 0x09
#define CAP_MSIX 0x11

static uint32_t le(const uint8_t *b, int n)
{
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

static void note(pcidev_t *p, const char *fmt, const char *detail)
{
    if (p->why[0] == '\0')
        snprintf(p->why, sizeof p->why, fmt, detail);
}

/* Walks the standard capability list; bounded so a looping list cannot hang us. */
static void walk_caps(pcidev_t *p, const uint8_t *cfg, size_t n)
{
    if (n < 0x40 || !(le(cfg + 6, 2) & 0x10))
        return;
    uint8_t at = cfg[0x34] & 0xfc;
    for (int hops = 0; at >= 0x40 && at + 16u <= n && hops < 48; hops++) {
        const uint8_t *c = cfg + at;
        if (c[0] == CAP_MSIX && at + 4u <= n) {
            p->msix_enabled = (le(c + 2, 2) & 0x8000) != 0;
        } else if (c[0] == CAP_VNDR && c[2] >= 16) {
            vcap_t v = {true, c[4], le(c + 8, 4), le(c + 12, 4)};
            if (c[3] >= 1 && c[3] <= 15)
                p->vendor_caps |= (uint16_t)(1u << c[3]);
            if (c[3] == 1 && !p->common.present) p->common = v;
            else if (c[3] == 4 && !p->device.present) p->device = v;
            else if (c[3] == 5 && c[2] >= 20 && p->window == 0) p->window = at;
        }
        at = c[1] & 0xfc;
    }
}

bool pcidev_open(pcidev_t *p, const char *dir)
{
    uint8_t cfg[256];
    memset(p, 0, sizeof *p);
    p->cfg_fd = -1;
    snprintf(p->dir, sizeof p->dir, "%s", dir);
    char path[4200];
    if (!path_join(path, sizeof path, dir, "config")) {
        note(p, "%s", "PCI path too long");
        return false;
    }
    /* Write access only where the file really is sysfs: never scribble on a
     * regular file (test fixtures) that merely looks like config space. */
    struct statfs fs;
    bool sysfs = statfs(path, &fs) == 0 && (unsigned long)fs.f_type == SYSFS_MAGIC;
    p->cfg_fd = sysfs ? open(path, O_RDWR | O_CLOEXEC) : -1;
    if (p->cfg_fd >= 0)
        p->writable = true;
    else if (sysfs)
        note(p, "cannot open PCI config for writing: %s", strerror(errno));
    if (p->cfg_fd < 0)
        p->cfg_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (p->cfg_fd < 0) {
        note(p, "cannot read PCI config: %s", strerror(errno));
        return false;
    }
    if (!sysfs)
        note(p, "%s", "PCI config file is not on sysfs; the agent writes only to sysfs");
    ssize_t n = pread(p->cfg_fd, cfg, sizeof cfg, 0);
    if (n < 0x40) {
        note(p, "PCI config read: %s", n < 0 ? strerror(errno) : "short read");
        return false;
    }
    p->pci_device = (uint16_t)le(cfg + 2, 2);
    p->config_full = n > 0x40;
    if (!p->config_full)
        note(p, "%s", "PCI config space truncated to 64 bytes (capabilities unreadable; not root?)");
    walk_caps(p, cfg, (size_t)n);
    if (p->window) {
        p->saved_ok = pread(p->cfg_fd, p->saved, sizeof p->saved, p->window + 4) == (ssize_t)sizeof p->saved;
    } else if (p->config_full) {
        note(p, "%s", "no VIRTIO_PCI_CAP_PCI_CFG capability");
    }
    return true;
}

void pcidev_close(pcidev_t *p)
{
    if (p->cfg_fd >= 0)
        close(p->cfg_fd);
    p->cfg_fd = -1;
}

static bool put(pcidev_t *p, const void *b, size_t n, off_t off)
{
    if (pwrite(p->cfg_fd, b, n, off) == (ssize_t)n)
        return true;
    note(p, "PCI config write refused: %s", strerror(errno));
    return false;
}

/* Points the window at (bar, off, len). */
static bool aim(pcidev_t *p, uint8_t bar, uint32_t off, uint32_t len)
{
    if (!p->window || !p->writable || !p->saved_ok) {
        note(p, "%s", "PCI config window unavailable");
        return false;
    }
    uint8_t o[4] = {(uint8_t)off, (uint8_t)(off >> 8), (uint8_t)(off >> 16), (uint8_t)(off >> 24)};
    uint8_t l[4] = {(uint8_t)len, 0, 0, 0};
    return put(p, &bar, 1, p->window + 4) && put(p, o, 4, p->window + 8) && put(p, l, 4, p->window + 12);
}

bool pcidev_bar_read(pcidev_t *p, uint8_t bar, uint32_t off, uint32_t len, uint32_t *val)
{
    uint8_t d[4] = {0};
    if (!aim(p, bar, off, len))
        return false;
    if (pread(p->cfg_fd, d, len, p->window + 16) != (ssize_t)len) {
        note(p, "PCI config window read: %s", strerror(errno));
        return false;
    }
    *val = le(d, (int)len);
    return true;
}

bool pcidev_bar_write(pcidev_t *p, uint8_t bar, uint32_t off, uint32_t len, uint32_t val)
{
    uint8_t d[4] = {(uint8_t)val, (uint8_t)(val >> 8), (uint8_t)(val >> 16), (uint8_t)(val >> 24)};
    return aim(p, bar, off, len) && put(p, d, len, p->window + 16);
}

void pcidev_restore_window(pcidev_t *p)
{
    if (p->window && p->writable && p->saved_ok)
        (void)!pwrite(p->cfg_fd, p->saved, sizeof p->saved, p->window + 4);
}

#define IORESOURCE_IO 0x100

int pcidev_legacy_bar(pcidev_t *p)
{
    char table[2048];
    if (!sysfs_read(p->dir, "resource", table, sizeof table))
        return -1;
    char *end = NULL;
    unsigned long long start = strtoull(table, &end, 16);
    unsigned long long last = strtoull(end, &end, 16);
    unsigned long long flags = strtoull(end, &end, 16);
    return (flags & IORESOURCE_IO) && last > start ? 1 : 0;
}

bool pcidev_legacy_read(pcidev_t *p, uint32_t off, void *buf, size_t len)
{
    char path[4200];
    if (!path_join(path, sizeof path, p->dir, "resource0"))
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        note(p, "legacy I/O BAR: %s", strerror(errno));
        return false;
    }
    /* sysfs I/O resources accept only 1-, 2- and 4-byte accesses. */
    bool ok = true;
    int e = 0;
    if (len == 1 || len == 2 || len == 4) {
        ok = pread(fd, buf, len, off) == (ssize_t)len;
        e = errno;
    } else {
        for (size_t i = 0; ok && i < len; i++) {
            ok = pread(fd, (uint8_t *)buf + i, 1, off + i) == 1;
            e = errno;
        }
    }
    close(fd);
    if (!ok)
        note(p, "legacy I/O BAR read: %s", strerror(e));
    return ok;
}
