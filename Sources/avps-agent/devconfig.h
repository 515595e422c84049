/* Decodes a device's device-specific configuration space into JSON members
 * named after the spec fields (reference/virtio.md section 3). */
#ifndef AVPS_DEVCONFIG_H
#define AVPS_DEVCONFIG_H

#include "jsonw.h"

#include <stdbool.h>
#include <stdint.h>

/* Reads len (1, 2 or 4) bytes at off of the device config region. */
typedef bool (*cfg_read_fn)(void *ctx, uint32_t off, uint32_t len, uint32_t *val);

/* Writes the members of the "config" object for a device of virtio id
 * device_id (the caller opens and closes the object). A field is present only
 * when its feature bit is in `features` (bit i at features[i / 64]) and it
 * could be read; unreadable fields are left out, never guessed. Returns false
 * if nothing at all could be read. */
bool devconfig_write(jw_t *w, int device_id, const uint64_t features[2], cfg_read_fn read, void *ctx);

/* True if the device type has a config layout the agent knows. */
bool devconfig_known(int device_id);

#endif
