/* Access to a live virtio-mmio register block from userspace while its driver
 * stays bound (reference/virtio.md 4.2): the physical range from /proc/iomem,
 * mapped through /dev/mem. */
#ifndef AVPS_MMIO_H
#define AVPS_MMIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MMIO_MAGIC_VALUE 0x000
#define MMIO_VERSION 0x004
#define MMIO_DEVICE_ID 0x008
#define MMIO_DEVICE_FEATURES 0x010
#define MMIO_DEVICE_FEATURES_SEL 0x014
#define MMIO_QUEUE_SEL 0x030
#define MMIO_QUEUE_NUM_MAX 0x034
#define MMIO_CONFIG_GENERATION 0x0fc
#define MMIO_CONFIG 0x100
#define MMIO_MAGIC 0x74726976u /* "virt" */

typedef struct {
    volatile uint8_t *regs; /* the register block, NULL when not mapped */
    void *map;
    size_t map_len;
    uint64_t base, size;   /* physical range from /proc/iomem */
    uint32_t version;      /* 1 legacy, 2 modern; 0 until mmiodev_open succeeded */
    char why[200];         /* why the block could not be used */
} mmiodev_t;

/* Finds the range named `platform_name` (e.g. "a003e00.virtio_mmio") in
 * /proc/iomem, maps it and checks MagicValue and Version. false with why[]. */
bool mmiodev_open(mmiodev_t *m, const char *platform_name);
void mmiodev_close(mmiodev_t *m);

/* Register reads of 1, 2 or 4 bytes at off (< size); false if out of range. */
bool mmiodev_read(const mmiodev_t *m, uint32_t off, uint32_t len, uint32_t *val);
void mmiodev_write32(const mmiodev_t *m, uint32_t off, uint32_t val);

/* DeviceFeatures words 0..count-1 (word w = bits 32w..32w+31), each read
 * after writing w to DeviceFeaturesSel. DeviceFeaturesSel is write-only, so it
 * cannot be saved: it is left at 0, the value Linux's virtio_mmio leaves after
 * probing (vm_get_features writes 1, then 0). */
void mmiodev_features(const mmiodev_t *m, uint32_t *words, unsigned count);
/* Number of virtqueues: indexes 0.. whose QueueNumMax is non-zero. QueueSel is
 * write-only, so it is left at 0; a bound driver only uses it while it sets up
 * or tears down queues (notifications name the queue in QueueNotify). */
unsigned mmiodev_queue_count(const mmiodev_t *m);

#endif
