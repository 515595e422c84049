/* Access to a live virtio-pci function from userspace without unbinding its
 * driver (reference/virtio.md 5.3): the capability list from the sysfs
 * `config` file, the VIRTIO_PCI_CAP_PCI_CFG window for BAR registers, and the
 * legacy I/O BAR (`resource0`) as a read-only fallback. */
#ifndef AVPS_PCICFG_H
#define AVPS_PCICFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where one virtio structure lives: BAR number and offset inside it. */
typedef struct {
    bool present;
    uint8_t bar;
    uint32_t offset;
    uint32_t length;
} vcap_t;

typedef struct {
    int cfg_fd;            /* sysfs config, O_RDWR when the window may be used */
    bool config_full;      /* more than the 64-byte header was readable */
    bool writable;         /* config fd is a real sysfs file opened for writing */
    uint16_t pci_device;   /* PCI device id (0x1000..0x107f) */
    bool msix_enabled;     /* shifts the legacy device config from 20 to 24 */
    vcap_t common, device; /* cfg_type 1 and 4 */
    uint16_t vendor_caps;  /* bit n set: a VIRTIO vendor capability of cfg_type n (1..15) is present */
    uint16_t window;       /* config offset of the cfg_type 5 capability, 0 if none */
    uint8_t saved[12];     /* window registers (bar..length) as found */
    bool saved_ok;
    char dir[4096];        /* the PCI function's sysfs directory */
    char why[160];         /* first reason a method was refused */
} pcidev_t;

/* Opens the function at dir (the parent of virtioN). false only if config
 * cannot be read at all; why[] says what happened either way. */
bool pcidev_open(pcidev_t *p, const char *dir);
void pcidev_close(pcidev_t *p);

/* Reads or writes `len` (1, 2 or 4) bytes at BAR offset through the window.
 * false with why[] set if the window is unusable. */
bool pcidev_bar_read(pcidev_t *p, uint8_t bar, uint32_t off, uint32_t len, uint32_t *val);
bool pcidev_bar_write(pcidev_t *p, uint8_t bar, uint32_t off, uint32_t len, uint32_t val);

/* Puts the window registers back as pcidev_open found them. */
void pcidev_restore_window(pcidev_t *p);

/* Whether BAR0 is an I/O resource, the legacy virtio-pci header of a
 * transitional device (sysfs `resource`, first line, IORESOURCE_IO); -1 if
 * the resource table cannot be read. */
int pcidev_legacy_bar(pcidev_t *p);

/* Reads `len` bytes at `off` of the legacy I/O BAR (resource0). */
bool pcidev_legacy_read(pcidev_t *p, uint32_t off, void *buf, size_t len);

#endif
