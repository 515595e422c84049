/* Device-offered features, queue count, legacy flag and decoded config of one
 * virtio device, read from its transport while its driver stays bound. */
#ifndef AVPS_OFFERED_H
#define AVPS_OFFERED_H

#include "jsonw.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const char *virtio_dir;   /* <sysfs>/bus/virtio/devices/virtioN */
    const char *parent_dir;   /* resolved transport parent, NULL if unknown */
    const char *transport;    /* "pci", "mmio", ... or NULL */
    int device_id;            /* virtio id, -1 if unknown */
    uint64_t negotiated[2];   /* sysfs features, bits 0..127 */
    bool negotiated_ok;
    bool driver_bound;
} devinfo_t;

/* Writes the members "offered", "legacy", "queues" and "config". */
void offered_write(jw_t *w, const devinfo_t *d);

/* Writes the decoded config fields as members of the object being written
 * (probe facts); false if the config could not be read. */
bool offered_config_members(jw_t *w, const devinfo_t *d);

#endif
