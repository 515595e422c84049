#include "offered.h"

#include "devconfig.h"
#include "pcicfg.h"
#include "sysfs.h"

#include <stdio.h>
#include <string.h>

#define COMMON_DFSELECT 0x00
#define COMMON_DF 0x04
#define COMMON_NUMQ 0x12
#define COMMON_CFGGEN 0x15
#define LEGACY_HOST_FEATURES 0

static pcidev_t pci; /* one device at a time; too big for the stack */

typedef struct {
    uint64_t bits[2];
    const char *method;
    char reason[200];
    bool ok;
} offer_t;

/* Modern device_feature words 0..3, with device_feature_select saved and put back. */
static bool read_modern(pcidev_t *p, uint64_t bits[2])
{
    uint32_t saved, word;
    if (!pcidev_bar_read(p, p->common.bar, p->common.offset + COMMON_DFSELECT, 4, &saved))
        return false;
    bool ok = true;
    for (uint32_t i = 0; ok && i < 4; i++) {
        ok = pcidev_bar_write(p, p->common.bar, p->common.offset + COMMON_DFSELECT, 4, i) &&
             pcidev_bar_read(p, p->common.bar, p->common.offset + COMMON_DF, 4, &word);
        if (ok)
            bits[i / 2] |= (uint64_t)word << (32 * (i % 2));
    }
    (void)pcidev_bar_write(p, p->common.bar, p->common.offset + COMMON_DFSELECT, 4, saved);
    return ok;
}

static bool modern_cfg(void *ctx, uint32_t off, uint32_t len, uint32_t *val)
{
    pcidev_t *p = ctx;
    return pcidev_bar_read(p, p->device.bar, p->device.offset + off, len, val);
}

static bool legacy_cfg(void *ctx, uint32_t off, uint32_t len, uint32_t *val)
{
    pcidev_t *p = ctx;
    uint8_t b[4] = {0};
    if (!pcidev_legacy_read(p, (p->msix_enabled ? 24 : 20) + off, b, len))
        return false;
    *val = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return true;
}

static void write_bits(jw_t *w, const uint64_t bits[2])
{
    jw_begin_array(w);
    for (int i = 0; i < 128; i++)
        if (bits[i / 64] >> (i % 64) & 1)
            jw_uint(w, (uint64_t)i);
    jw_end_array(w);
}

static bool force_legacy(void)
{
    char v[8];
    return sysfs_read("/sys/module/virtio_pci/parameters", "force_legacy", v, sizeof v) && v[0] == 'Y';
}

/* The config object, read so that a concurrent config change (generation
 * counter moved) is retried rather than reported half old, half new. */
static bool write_config(jw_t *w, const devinfo_t *d, const uint64_t feats[2], bool modern, bool members_only)
{
    if (!members_only)
        jw_key(w, "config");
    if (d->device_id < 0 || !devconfig_known(d->device_id)) {
        if (!members_only)
            jw_null(w);
        return false;
    }
    jw_t snapshot = *w;
    for (int attempt = 0; attempt < 3; attempt++) {
        uint32_t g0 = 0, g1 = 0;
        bool gen = modern && pcidev_bar_read(&pci, pci.common.bar, pci.common.offset + COMMON_CFGGEN, 1, &g0);
        if (!members_only)
            jw_begin_object(w);
        bool ok = devconfig_write(w, d->device_id, feats, modern ? modern_cfg : legacy_cfg, &pci);
        if (!members_only)
            jw_end_object(w);
        if (!ok)
            break;
        if (!gen || (pcidev_bar_read(&pci, pci.common.bar, pci.common.offset + COMMON_CFGGEN, 1, &g1) && g0 == g1))
            return true;
        *w = snapshot;
    }
    *w = snapshot;
    if (!members_only)
        jw_null(w);
    return false;
}

static bool write_pci(jw_t *w, const devinfo_t *d, bool config_only)
{
    offer_t o = {{0, 0}, NULL, "", false};
    int legacy = -1, queues = -1;
    bool modern = false, legacy_cfg_ok = false;
    if (!pcidev_open(&pci, d->parent_dir)) {
        snprintf(o.reason, sizeof o.reason, "%s", pci.why);
    } else {
        bool transitional = pci.pci_device >= 0x1000 && pci.pci_device < 0x1040;
        if (pci.common.present && (!transitional || !force_legacy()))
            legacy = 0;
        else if (transitional && pci.config_full)
            legacy = 1;
        if (pci.common.present && read_modern(&pci, o.bits)) {
            o.ok = true;
            o.method = "pci-cfg-window";
            modern = pci.device.present;
            uint32_t nq;
            if (pcidev_bar_read(&pci, pci.common.bar, pci.common.offset + COMMON_NUMQ, 2, &nq))
                queues = (int)nq;
        }
        if (!o.ok && transitional) {
            uint32_t word = 0;
            uint8_t b[4];
            if (pcidev_legacy_read(&pci, LEGACY_HOST_FEATURES, b, 4)) {
                word = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
                o.bits[0] = word;
                o.ok = true;
                o.method = "legacy-io-bar";
                legacy_cfg_ok = true;
            }
        }
        if (!o.ok)
            snprintf(o.reason, sizeof o.reason, "%s", pci.why[0] ? pci.why : "no modern capability and no legacy I/O BAR");
    }
    if (!config_only) {
        jw_key(w, "offered");
        jw_begin_object(w);
        jw_key(w, "bits");
        if (o.ok) write_bits(w, o.bits); else jw_null(w);
        jw_key(w, "method");
        if (o.method) jw_string(w, o.method); else jw_null(w);
        jw_key(w, "unavailable_reason");
        if (o.ok) jw_null(w); else jw_string(w, o.reason);
        jw_end_object(w);
        jw_key(w, "legacy");
        if (legacy < 0) jw_null(w); else jw_bool(w, legacy == 1);
        jw_key(w, "queues");
        if (queues < 0) jw_null(w); else jw_uint(w, (uint64_t)queues);
    }
    const uint64_t *feats = o.ok ? o.bits : d->negotiated;
    bool read = false;
    if (modern || legacy_cfg_ok) {
        read = write_config(w, d, feats, modern, config_only);
    } else if (!config_only) {
        jw_key(w, "config");
        jw_null(w);
    }
    pcidev_restore_window(&pci);
    pcidev_close(&pci);
    return read;
}

static void write_other(jw_t *w, const devinfo_t *d)
{
    char reason[160];
    snprintf(reason, sizeof reason, "the agent has no method to read device features on the %s transport",
             d->transport ? d->transport : "unknown");
    jw_key(w, "offered");
    jw_begin_object(w);
    jw_key(w, "bits");
    jw_null(w);
    jw_key(w, "method");
    jw_null(w);
    jw_key(w, "unavailable_reason");
    jw_string(w, reason);
    jw_end_object(w);
    /* Without transport registers, a bound driver that did not accept
     * VERSION_1 is driving the legacy interface. */
    jw_key(w, "legacy");
    if (d->negotiated_ok && d->driver_bound && (d->negotiated[0] | d->negotiated[1]))
        jw_bool(w, !(d->negotiated[0] >> 32 & 1));
    else
        jw_null(w);
    jw_key(w, "queues");
    jw_null(w);
    jw_key(w, "config");
    jw_null(w);
}

void offered_write(jw_t *w, const devinfo_t *d)
{
    if (d->transport && strcmp(d->transport, "pci") == 0 && d->parent_dir)
        (void)write_pci(w, d, false);
    else
        write_other(w, d);
}

bool offered_config_members(jw_t *w, const devinfo_t *d)
{
    return d->transport && strcmp(d->transport, "pci") == 0 && d->parent_dir && write_pci(w, d, true);
}
