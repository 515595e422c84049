#include "inventory.h"
#include "methods.h"

#include "offered.h"
#include "sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds the listing; a guest with more virtio devices is refused loudly
 * rather than silently truncated. */
#define MAX_DEVICES 512
#define NAME_LEN 256
#define FEATURES_MAX 4096   /* 64 or 128 today; leave room for growth */

static char names[MAX_DEVICES][NAME_LEN];

/* Orders names by numeric suffix (virtio2 before virtio10), comparing digit
 * strings by length first so no integer can overflow; names without a digit
 * suffix go last; full name breaks ties. */
static int cmp_names(const void *pa, const void *pb)
{
    const char *a = pa, *b = pb;
    size_t la = strlen(a), lb = strlen(b), da = la, db = lb;
    while (da > 0 && a[da - 1] >= '0' && a[da - 1] <= '9') da--;
    while (db > 0 && b[db - 1] >= '0' && b[db - 1] <= '9') db--;
    bool ha = da < la, hb = db < lb;
    if (ha != hb)
        return ha ? -1 : 1;
    if (ha) {
        while (da < la - 1 && a[da] == '0') da++;
        while (db < lb - 1 && b[db] == '0') db++;
        if (la - da != lb - db)
            return la - da < lb - db ? -1 : 1;
        int c = strcmp(a + da, b + db);
        if (c != 0)
            return c;
    }
    return strcmp(a, b);
}

static void write_hex_field(jw_t *w, const char *dir, const char *file, const char *key)
{
    uint64_t v;
    jw_key(w, key);
    if (sysfs_read_hex(dir, file, &v))
        jw_uint(w, v);
    else
        jw_null(w);
}

/* features: character i is bit i; anything but '0'/'1' makes the field null. */
static void write_features(jw_t *w, const char *dir, devinfo_t *info)
{
    static char bits[FEATURES_MAX];
    jw_key(w, "negotiated_features");
    if (!sysfs_read(dir, "features", bits, sizeof bits) || bits[0] == '\0' ||
        strspn(bits, "01") != strlen(bits)) {
        jw_null(w);
        return;
    }
    info->negotiated_ok = true;
    jw_begin_array(w);
    for (size_t i = 0; bits[i]; i++)
        if (bits[i] == '1') {
            jw_uint(w, i);
            if (i < 128)
                info->negotiated[i / 64] |= 1ull << (i % 64);
        }
    jw_end_array(w);
}

/* The transport is a property of the parent device the virtio device hangs
 * off: a PCI function, a platform (MMIO) device, or a CCW subchannel device. */
static void write_transport(jw_t *w, const char *devpath, devinfo_t *info, char real[PATH_MAX])
{
    char sub[NAME_LEN], drv[NAME_LEN];
    const char *transport = NULL, *addr = NULL;
    bool pci = false;

    if (realpath(devpath, real)) {
        char *slash = strrchr(real, '/');
        if (slash && slash != real) {
            *slash = '\0';
            addr = strrchr(real, '/') + 1;
            if (!sysfs_link_basename(real, "subsystem", sub, sizeof sub)) {
                transport = errno == ENOENT ? "unknown" : NULL;
            } else if (strcmp(sub, "pci") == 0) {
                transport = "pci";
                pci = true;
            } else if (strcmp(sub, "platform") == 0 &&
                       (strstr(addr, "virtio_mmio") || strstr(addr, ".virtio") ||
                        strstr(addr, "virtio-mmio") ||
                        (sysfs_link_basename(real, "driver", drv, sizeof drv) &&
                         strcmp(drv, "virtio-mmio") == 0))) {
                transport = "mmio";
            } else if (strcmp(sub, "ccw") == 0) {
                transport = "ccw";
            } else {
                transport = "unknown";
            }
        }
    }
    info->transport = transport;
    info->parent_dir = addr ? real : NULL;
    jw_key(w, "transport");
    if (transport) jw_string(w, transport); else jw_null(w);
    jw_key(w, "bus_address");
    if (addr) jw_string(w, addr); else jw_null(w);
    if (pci)
        write_hex_field(w, real, "device", "pci_device_id");
    else {
        jw_key(w, "pci_device_id");
        jw_null(w);
    }
}

static void write_device(jw_t *w, const char *devices_dir, const char *name)
{
    static char dir[PATH_MAX], parent[PATH_MAX];
    char drv[NAME_LEN];
    devinfo_t info = {.device_id = -1};
    uint64_t id;
    jw_begin_object(w);
    jw_key(w, "name");
    jw_string(w, name);
    if (!path_join(dir, sizeof dir, devices_dir, name))
        dir[0] = '\0'; /* every read below then fails and yields null */
    info.virtio_dir = dir;
    if (sysfs_read_hex(dir, "device", &id) && id < 0x10000)
        info.device_id = (int)id;
    if (info.device_id == 4 && agent_test_fault("misreport-entropy")) {
        /* PROTOCOL.md 7.1: a lying agent for the host's QMP self-check; the entropy device is
         * reported as a block device. */
        jw_key(w, "device_id");
        jw_uint(w, 2);
    } else {
        write_hex_field(w, dir, "device", "device_id");
    }
    write_hex_field(w, dir, "vendor", "vendor_id");
    write_transport(w, dir, &info, parent);
    write_features(w, dir, &info);
    write_hex_field(w, dir, "status", "status");
    jw_key(w, "driver");
    if (sysfs_link_basename(dir, "driver", drv, sizeof drv)) {
        jw_string(w, drv);
        info.driver_bound = true;
    } else {
        jw_null(w);
    }
    offered_write(w, &info);
    jw_end_object(w);
}

bool inventory_write(jw_t *w, const char *sysfs_root, char *err, size_t errcap)
{
    char devices_dir[PATH_MAX];
    size_t count = 0;
    if (!path_join(devices_dir, sizeof devices_dir, sysfs_root, "bus/virtio/devices")) {
        snprintf(err, errcap, "sysfs root path too long");
        return false;
    }
    DIR *d = opendir(devices_dir);
    if (!d && errno != ENOENT) {
        snprintf(err, errcap, "opendir %s: %s", devices_dir, strerror(errno));
        return false;
    }
    /* No virtio bus at all (driver core not built in) means no devices. */
    while (d) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            if (errno != 0) {
                snprintf(err, errcap, "readdir %s: %s", devices_dir, strerror(errno));
                closedir(d);
                return false;
            }
            break;
        }
        if (e->d_name[0] == '.')
            continue;
        if (count == MAX_DEVICES) {
            snprintf(err, errcap, "more than %d entries in %s", MAX_DEVICES, devices_dir);
            closedir(d);
            return false;
        }
        snprintf(names[count++], NAME_LEN, "%s", e->d_name);
    }
    if (d)
        closedir(d);
    qsort(names, count, NAME_LEN, cmp_names);

    jw_begin_object(w);
    jw_key(w, "devices");
    jw_begin_array(w);
    for (size_t i = 0; i < count; i++)
        write_device(w, devices_dir, names[i]);
    jw_end_array(w);
    jw_end_object(w);
    return true;
}
