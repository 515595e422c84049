#include "devconfig.h"

#include <stdio.h>
#include <string.h>

enum kind { U8 = 1, U16 = 2, U32 = 4, U64 = 8, MAC = 6, TAG9P = 9, TAG36 = 36 };

/* One config field: name, byte offset, kind, feature bit gating it (-1: always). */
typedef struct {
    const char *name;
    uint16_t off;
    uint8_t kind;
    int8_t bit;
} field_t;

typedef struct {
    int id;
    const field_t *fields;
} layout_t;

static const field_t NET[] = {
    {"mac", 0x00, MAC, 5}, {"status", 0x06, U16, 16}, {"max_virtqueue_pairs", 0x08, U16, 22},
    {"mtu", 0x0a, U16, 3}, {"speed", 0x0c, U32, 63}, {"duplex", 0x10, U8, 63}, {NULL, 0, 0, 0}};
static const field_t BLK[] = {
    {"capacity", 0x00, U64, -1}, {"size_max", 0x08, U32, 1}, {"seg_max", 0x0c, U32, 2},
    {"cylinders", 0x10, U16, 4}, {"heads", 0x12, U8, 4}, {"sectors", 0x13, U8, 4},
    {"blk_size", 0x14, U32, 6}, {"physical_block_exp", 0x18, U8, 10}, {"alignment_offset", 0x19, U8, 10},
    {"min_io_size", 0x1a, U16, 10}, {"opt_io_size", 0x1c, U32, 10}, {"writeback", 0x20, U8, 11},
    {"num_queues", 0x22, U16, 12}, {"max_discard_sectors", 0x24, U32, 13}, {"max_discard_seg", 0x28, U32, 13},
    {"discard_sector_alignment", 0x2c, U32, 13}, {"max_write_zeroes_sectors", 0x30, U32, 14},
    {"max_write_zeroes_seg", 0x34, U32, 14}, {"write_zeroes_may_unmap", 0x38, U8, 14}, {NULL, 0, 0, 0}};
static const field_t CONSOLE[] = {
    {"cols", 0x00, U16, 0}, {"rows", 0x02, U16, 0}, {"max_nr_ports", 0x04, U32, 1}, {NULL, 0, 0, 0}};
static const field_t BALLOON[] = {
    {"num_pages", 0x00, U32, -1}, {"actual", 0x04, U32, -1}, {"free_page_hint_cmd_id", 0x08, U32, 3},
    {"poison_val", 0x0c, U32, 4}, {NULL, 0, 0, 0}};
static const field_t SCSI[] = {
    {"num_queues", 0x00, U32, -1}, {"seg_max", 0x04, U32, -1}, {"max_sectors", 0x08, U32, -1},
    {"cmd_per_lun", 0x0c, U32, -1}, {"event_info_size", 0x10, U32, -1}, {"sense_size", 0x14, U32, -1},
    {"cdb_size", 0x18, U32, -1}, {"max_channel", 0x1c, U16, -1}, {"max_target", 0x1e, U16, -1},
    {"max_lun", 0x20, U32, -1}, {NULL, 0, 0, 0}};
static const field_t P9[] = {{"mount_tag", 0x00, TAG9P, 0}, {NULL, 0, 0, 0}};
static const field_t GPU[] = {
    {"events_read", 0x00, U32, -1}, {"num_scanouts", 0x08, U32, -1}, {"num_capsets", 0x0c, U32, -1},
    {NULL, 0, 0, 0}};
static const field_t VSOCK[] = {{"guest_cid", 0x00, U64, -1}, {NULL, 0, 0, 0}};
static const field_t CRYPTO[] = {
    {"status", 0x00, U32, -1}, {"max_dataqueues", 0x04, U32, -1}, {"crypto_services", 0x08, U32, -1},
    {"cipher_algo_l", 0x0c, U32, -1}, {"cipher_algo_h", 0x10, U32, -1}, {"hash_algo", 0x14, U32, -1},
    {"mac_algo_l", 0x18, U32, -1}, {"mac_algo_h", 0x1c, U32, -1}, {"aead_algo", 0x20, U32, -1},
    {"max_cipher_key_len", 0x24, U32, -1}, {"max_auth_key_len", 0x28, U32, -1},
    {"akcipher_algo", 0x2c, U32, -1}, {"max_size", 0x30, U64, -1}, {NULL, 0, 0, 0}};
static const field_t IOMMU[] = {
    {"page_size_mask", 0x00, U64, -1}, {"input_range_start", 0x08, U64, 0}, {"input_range_end", 0x10, U64, 0},
    {"domain_range_start", 0x18, U32, 1}, {"domain_range_end", 0x1c, U32, 1}, {"probe_size", 0x20, U32, 4},
    {"bypass", 0x24, U8, 6}, {NULL, 0, 0, 0}};
static const field_t MEM[] = {
    {"block_size", 0x00, U64, -1}, {"node_id", 0x08, U16, -1}, {"addr", 0x10, U64, -1},
    {"region_size", 0x18, U64, -1}, {"usable_region_size", 0x20, U64, -1}, {"plugged_size", 0x28, U64, -1},
    {"requested_size", 0x30, U64, -1}, {NULL, 0, 0, 0}};
static const field_t SOUND[] = {
    {"jacks", 0x00, U32, -1}, {"streams", 0x04, U32, -1}, {"chmaps", 0x08, U32, -1},
    {"controls", 0x0c, U32, 0}, {NULL, 0, 0, 0}};
static const field_t FS[] = {{"tag", 0x00, TAG36, -1}, {"num_request_queues", 0x24, U32, -1}, {NULL, 0, 0, 0}};
static const field_t PMEM[] = {{"start", 0x00, U64, -1}, {"size", 0x08, U64, -1}, {NULL, 0, 0, 0}};
static const field_t NONE[] = {{NULL, 0, 0, 0}};

static const layout_t LAYOUTS[] = {
    {1, NET}, {2, BLK}, {3, CONSOLE}, {4, NONE}, {5, BALLOON}, {8, SCSI}, {9, P9}, {16, GPU},
    {18, NONE}, {19, VSOCK}, {20, CRYPTO}, {23, IOMMU}, {24, MEM}, {25, SOUND}, {26, FS}, {27, PMEM},
};

static const field_t *layout(int id)
{
    for (size_t i = 0; i < sizeof LAYOUTS / sizeof LAYOUTS[0]; i++)
        if (LAYOUTS[i].id == id)
            return LAYOUTS[i].fields;
    return NULL;
}

bool devconfig_known(int device_id) { return layout(device_id) != NULL; }

static bool read_bytes(cfg_read_fn read, void *ctx, uint32_t off, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        if (!read(ctx, off + (uint32_t)i, 1, &v))
            return false;
        out[i] = (uint8_t)v;
    }
    return true;
}

/* 64-bit fields as two 32-bit halves, low first (spec 4.1.3.1). JSON numbers
 * above INT64_MAX would not survive the host's Int64; they go out as hex text. */
static bool write_u64(jw_t *w, const char *name, cfg_read_fn read, void *ctx, uint32_t off)
{
    uint32_t lo, hi;
    if (!read(ctx, off, 4, &lo) || !read(ctx, off + 4, 4, &hi))
        return false;
    uint64_t v = ((uint64_t)hi << 32) | lo;
    jw_key(w, name);
    if (v > (uint64_t)INT64_MAX) {
        char hex[24];
        snprintf(hex, sizeof hex, "0x%016llx", (unsigned long long)v);
        jw_string(w, hex);
    } else {
        jw_uint(w, v);
    }
    return true;
}

static bool write_field(jw_t *w, const field_t *f, cfg_read_fn read, void *ctx)
{
    uint8_t b[40];
    uint32_t v;
    switch (f->kind) {
    case U8: case U16: case U32:
        if (!read(ctx, f->off, f->kind, &v))
            return false;
        jw_key(w, f->name);
        jw_uint(w, v);
        return true;
    case U64:
        return write_u64(w, f->name, read, ctx, f->off);
    case MAC: {
        char text[18];
        if (!read_bytes(read, ctx, f->off, b, 6))
            return false;
        snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
        jw_key(w, f->name);
        jw_string(w, text);
        return true;
    }
    case TAG9P: {
        if (!read(ctx, f->off, 2, &v))
            return false;
        size_t n = v > 36 ? 36 : v; /* QEMU limits tags; keep the frame bounded either way */
        if (!read_bytes(read, ctx, f->off + 2, b, n))
            return false;
        jw_key(w, f->name);
        jw_string_n(w, (const char *)b, n);
        return true;
    }
    case TAG36: {
        if (!read_bytes(read, ctx, f->off, b, 36))
            return false;
        jw_key(w, f->name);
        jw_string_n(w, (const char *)b, strnlen((const char *)b, 36));
        return true;
    }
    }
    return false;
}

bool devconfig_write(jw_t *w, int device_id, const uint64_t features[2], cfg_read_fn read, void *ctx)
{
    const field_t *f = layout(device_id);
    bool any = false, tried = false;
    for (; f && f->name; f++) {
        if (f->bit >= 0 && !(features[f->bit / 64] >> (f->bit % 64) & 1))
            continue;
        tried = true;
        if (write_field(w, f, read, ctx))
            any = true;
    }
    return any || !tried;
}
