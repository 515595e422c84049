/* The "inventory" method: one object per /sys/bus/virtio/devices entry. */
#ifndef AVPS_INVENTORY_H
#define AVPS_INVENTORY_H

#include "jsonw.h"

#include <stdbool.h>
#include <stddef.h>

/* Writes the result object into w. On failure returns false and puts the
 * reason (with errno text) into err for an "internal" error response. */
bool inventory_write(jw_t *w, const char *sysfs_root, char *err, size_t errcap);

#endif
