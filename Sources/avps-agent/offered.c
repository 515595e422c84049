#include "offered.h"

#include "devconfig.h"
#include "mmio.h"
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
static mmiodev_t mmio;

/* Feature words read through a selector: 0..7 (bits 0..255). VIRTIO defines
 * bits up to 127; a device presents 0 in every word it has no bits in, so the
 * words beyond are read too and reported raw for the host to judge. */
#define FEATURE_WORDS 8

typedef struct {
    uint64_t bits[2];
    uint32_t words[FEATURE_WORDS];
    int nwords; /* words read; 0 when none */
    const char *method;
    char reason[200];
    bool ok;
} offer_t;

/* Modern device_feature words 0..7, with device_feature_select saved and put
 * back; bits holds words 0..3. */
static bool read_modern(pcidev_t *p, offer_t *o)
{
    uint32_t saved, word;
    if (!pcidev_bar_read(p, p->common.bar, p->common.offset + COMMON_DFSELECT, 4, &saved))
        return false;
    bool ok = true;
    for (uint32_t i = 0; ok && i < FEATURE_WORDS; i++) {
        ok = pcidev_bar_write(p, p->common.bar, p->common.offset + COMMON_DFSELECT, 4, i) &&
             pcidev_bar_read(p, p->common.bar, p->common.offset + COMMON_DF, 4, &word);
        if (!ok)
            break;
        o->words[i] = word;
        o->nwords = (int)i + 1;
        if (i < 4)
            o->bits[i / 2] |= (uint64_t)word << (32 * (i % 2));
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

/* Reads the config generation counter; NULL where the transport has none. */
typedef bool (*gen_read_fn)(void *ctx, uint32_t *gen);

static bool pci_generation(void *ctx, uint32_t *gen)
{
    pcidev_t *p = ctx;
    return pcidev_bar_read(p, p->common.bar, p->common.offset + COMMON_CFGGEN, 1, gen);
}

/* The config object, read so that a concurrent config change (generation
 * counter moved) is retried rather than reported half old, half new. */
static bool write_config(jw_t *w, const devinfo_t *d, const uint64_t feats[2], cfg_read_fn read, gen_read_fn gen,
                         void *ctx, bool members_only)
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
        bool counted = gen && gen(ctx, &g0);
        if (!members_only)
            jw_begin_object(w);
        bool ok = devconfig_write(w, d->device_id, feats, read, ctx);
        if (!members_only)
            jw_end_object(w);
        if (!ok)
            break;
        if (!counted || (gen(ctx, &g1) && g0 == g1))
            return true;
        *w = snapshot;
    }
    *w = snapshot;
    if (!members_only)
        jw_null(w);
    return false;
}

static void write_offer(jw_t *w, const offer_t *o)
{
    jw_key(w, "offered");
    jw_begin_object(w);
    jw_key(w, "bits");
    if (o->ok) write_bits(w, o->bits); else jw_null(w);
    jw_key(w, "words");
    if (o->ok && o->nwords > 0) {
        jw_begin_array(w);
        for (int i = 0; i < o->nwords; i++)
            jw_uint(w, o->words[i]);
        jw_end_array(w);
    } else {
        jw_null(w);
    }
    jw_key(w, "method");
    if (o->method) jw_string(w, o->method); else jw_null(w);
    jw_key(w, "unavailable_reason");
    if (o->ok) jw_null(w); else jw_string(w, o->reason);
    jw_end_object(w);
}

/* Without transport registers, a bound driver that did not accept
 * VERSION_1 is driving the legacy interface. */
static void write_legacy_from_negotiated(jw_t *w, const devinfo_t *d)
{
    jw_key(w, "legacy");
    if (d->negotiated_ok && d->driver_bound && (d->negotiated[0] | d->negotiated[1]))
        jw_bool(w, !(d->negotiated[0] >> 32 & 1));
    else
        jw_null(w);
}

static bool write_pci(jw_t *w, const devinfo_t *d, bool config_only)
{
    offer_t o = {0};
    int legacy = -1, queues = -1, legacy_bar = -1;
    uint16_t caps = 0;
    bool caps_known = false;
    bool modern = false, legacy_cfg_ok = false;
    if (!pcidev_open(&pci, d->parent_dir)) {
        snprintf(o.reason, sizeof o.reason, "%s", pci.why);
    } else {
        bool transitional = pci.pci_device >= 0x1000 && pci.pci_device < 0x1040;
        caps_known = pci.config_full;
        caps = pci.vendor_caps;
        legacy_bar = pcidev_legacy_bar(&pci);
        if (pci.common.present && (!transitional || !force_legacy()))
            legacy = 0;
        else if (transitional && pci.config_full)
            legacy = 1;
        if (pci.common.present && read_modern(&pci, &o)) {
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
                o.words[0] = word;
                o.nwords = 1;
                o.ok = true;
                o.method = "legacy-io-bar";
                legacy_cfg_ok = true;
            }
        }
        if (!o.ok)
            snprintf(o.reason, sizeof o.reason, "%s", pci.why[0] ? pci.why : "no modern capability and no legacy I/O BAR");
    }
    if (!config_only) {
        write_offer(w, &o);
        jw_key(w, "legacy");
        if (legacy < 0) jw_null(w); else jw_bool(w, legacy == 1);
        jw_key(w, "transport_version");
        jw_null(w);
        jw_key(w, "queues");
        if (queues < 0) jw_null(w); else jw_uint(w, (uint64_t)queues);
        jw_key(w, "legacy_interface");
        if (legacy_bar < 0) jw_null(w); else jw_bool(w, legacy_bar == 1);
        jw_key(w, "pci_capabilities");
        if (!caps_known) {
            jw_null(w);
        } else {
            jw_begin_array(w);
            for (unsigned t = 1; t < 16; t++)
                if (caps >> t & 1)
                    jw_uint(w, t);
            jw_end_array(w);
        }
    }
    const uint64_t *feats = o.ok ? o.bits : d->negotiated;
    bool read = false;
    if (modern || legacy_cfg_ok) {
        read = modern ? write_config(w, d, feats, modern_cfg, pci_generation, &pci, config_only)
                      : write_config(w, d, feats, legacy_cfg, NULL, &pci, config_only);
    } else if (!config_only) {
        jw_key(w, "config");
        jw_null(w);
    }
    pcidev_restore_window(&pci);
    pcidev_close(&pci);
    return read;
}

static bool mmio_cfg(void *ctx, uint32_t off, uint32_t len, uint32_t *val)
{
    return mmiodev_read(ctx, MMIO_CONFIG + off, len, val);
}

static bool mmio_generation(void *ctx, uint32_t *gen)
{
    return mmiodev_read(ctx, MMIO_CONFIG_GENERATION, 4, gen);
}

/* virtio-mmio: MagicValue, Version, DeviceID and DeviceFeatures from the
 * register block; Version 1 is the legacy interface. */
static bool write_mmio(jw_t *w, const devinfo_t *d, bool config_only)
{
    offer_t o = {0};
    const char *slash = strrchr(d->parent_dir, '/');
    const char *name = slash ? slash + 1 : d->parent_dir;
    bool open = mmiodev_open(&mmio, name);
    uint32_t id = 0;
    if (open && (!mmiodev_read(&mmio, MMIO_DEVICE_ID, 4, &id) || (int)id != d->device_id)) {
        snprintf(o.reason, sizeof o.reason, "register block of %s holds DeviceID %u, sysfs says %d",
                 name, id, d->device_id);
        mmiodev_close(&mmio);
        open = false;
    } else if (open) {
        mmiodev_features(&mmio, o.words, FEATURE_WORDS);
        o.nwords = FEATURE_WORDS;
        o.bits[0] = (uint64_t)o.words[0] | (uint64_t)o.words[1] << 32;
        o.ok = true;
        o.method = "mmio-registers";
    } else {
        snprintf(o.reason, sizeof o.reason, "%s", mmio.why);
    }
    if (!config_only) {
        write_offer(w, &o);
        if (open) {
            jw_key(w, "legacy");
            jw_bool(w, mmio.version == 1);
        } else {
            write_legacy_from_negotiated(w, d);
        }
        jw_key(w, "transport_version");
        if (open) jw_uint(w, mmio.version); else jw_null(w);
        jw_key(w, "queues");
        if (open) jw_uint(w, mmiodev_queue_count(&mmio)); else jw_null(w);
        /* Version 1 is the legacy register layout (VIRTIO 1.2 §4.2.4). */
        jw_key(w, "legacy_interface");
        if (open) jw_bool(w, mmio.version == 1); else jw_null(w);
        jw_key(w, "pci_capabilities");
        jw_null(w);
    }
    bool read = false;
    if (open)
        read = write_config(w, d, o.bits, mmio_cfg, mmio.version == 2 ? mmio_generation : NULL, &mmio, config_only);
    else if (!config_only) {
        jw_key(w, "config");
        jw_null(w);
    }
    mmiodev_close(&mmio);
    return read;
}

static void write_other(jw_t *w, const devinfo_t *d)
{
    offer_t o = {0};
    snprintf(o.reason, sizeof o.reason, "the agent has no method to read device features on the %s transport",
             d->transport ? d->transport : "unknown");
    write_offer(w, &o);
    write_legacy_from_negotiated(w, d);
    jw_key(w, "transport_version");
    jw_null(w);
    jw_key(w, "queues");
    jw_null(w);
    jw_key(w, "legacy_interface");
    jw_null(w);
    jw_key(w, "pci_capabilities");
    jw_null(w);
    jw_key(w, "config");
    jw_null(w);
}

static bool is(const devinfo_t *d, const char *transport)
{
    return d->transport && strcmp(d->transport, transport) == 0 && d->parent_dir;
}

void offered_write(jw_t *w, const devinfo_t *d)
{
    if (is(d, "pci"))
        (void)write_pci(w, d, false);
    else if (is(d, "mmio"))
        (void)write_mmio(w, d, false);
    else
        write_other(w, d);
}

bool offered_config_members(jw_t *w, const devinfo_t *d)
{
    return is(d, "pci") ? write_pci(w, d, true) : is(d, "mmio") && write_mmio(w, d, true);
}
