/* Probes that only read what the guest kernel publishes in sysfs: input
 * capabilities, DRM connectors, console ports, balloon config, IOMMU groups. */
#include "probe.h"
#include "offered.h"
#include "sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bits set in a sysfs capability bitmap ("120013 0 fffe" : hex words). */
static int popcount_hex(const char *s)
{
    int n = 0;
    for (; *s; s++) {
        int d = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : 0;
        n += __builtin_popcount((unsigned)d);
    }
    return n;
}

probe_status_t probe_input_caps(probe_env_t *env)
{
    char input[64], dir[4400], caps[4500], text[1024], ev[64];
    if (!probe_child(env->virtio_dir, "input", "input", input, sizeof input))
        return probe_unavailable(env, "%s has no input device (driver not bound?)", env->device);
    snprintf(dir, sizeof dir, "%s/input/%s", env->virtio_dir, input);
    snprintf(caps, sizeof caps, "%s/capabilities", dir);
    fact_string(env, "input", input);
    if (sysfs_read(dir, "name", text, sizeof text))
        fact_string(env, "name", text);
    static const char *const IDS[] = {"bustype", "vendor", "product", "version"};
    char idd[4500];
    snprintf(idd, sizeof idd, "%s/id", dir);
    for (int i = 0; i < 4; i++)
        if (sysfs_read(idd, IDS[i], text, sizeof text))
            fact_int(env, IDS[i], strtoll(text, NULL, 16));
    if (sysfs_read(caps, "ev", text, sizeof text))
        fact_string(env, "ev_bits", text);
    if (sysfs_read(caps, "key", text, sizeof text))
        fact_int(env, "key_count", popcount_hex(text));
    if (sysfs_read(caps, "rel", text, sizeof text))
        fact_int(env, "rel_axes", popcount_hex(text));
    if (sysfs_read(caps, "abs", text, sizeof text))
        fact_int(env, "abs_axes", popcount_hex(text));
    if (probe_child(dir, ".", "event", ev, sizeof ev)) {
        char node[96];
        snprintf(node, sizeof node, "/dev/input/%s", ev);
        fact_string(env, "event_node", node);
        int fd = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        fact_bool(env, "evdev_open", fd >= 0);
        if (fd >= 0)
            close(fd);
    }
    return PROBE_OK;
}

/* EDID base block: fixed 8-byte header and a checksum making the 128 bytes sum to 0. */
static void edid_facts(probe_env_t *env, const char *dir)
{
    static unsigned char edid[32768];
    char path[4800];
    snprintf(path, sizeof path, "%s/edid", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = 0, r;
    while (n < (ssize_t)sizeof edid && (r = read(fd, edid + n, sizeof edid - (size_t)n)) > 0)
        n += r;
    close(fd);
    static const unsigned char HDR[8] = {0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0};
    fact_int(env, "edid_bytes", n);
    bool valid = false;
    if (n >= 128) {
        unsigned sum = 0;
        for (int i = 0; i < 128; i++)
            sum += edid[i];
        bool header = memcmp(edid, HDR, 8) == 0, checksum = (sum & 0xff) == 0;
        fact_bool(env, "edid_header_ok", header);
        fact_bool(env, "edid_checksum_ok", checksum);
        valid = header && checksum;
        if (!valid)
            fact_string(env, "edid_error", header ? "EDID checksum does not sum to 0" : "EDID header is not 00 FF FF FF FF FF FF 00");
    } else {
        char text[96];
        snprintf(text, sizeof text, "the connected display gives %zd bytes of EDID, less than one 128-byte block", n);
        fact_string(env, "edid_error", text);
    }
    fact_bool(env, "edid_valid", valid);
}

probe_status_t probe_gpu_modes(probe_env_t *env)
{
    char card[64], drm[4400], conn[256], cdir[4700], text[4096], prefix[80], first_mode[64] = "";
    /* virtio-gpu registers its DRM device on the transport parent (the PCI function). */
    const char *where = "drm";
    if (!probe_child(env->virtio_dir, where, "card", card, sizeof card) &&
        !probe_child(env->virtio_dir, where = "../drm", "card", card, sizeof card))
        return probe_unavailable(env, "%s has no DRM card (driver not bound?)", env->device);
    snprintf(drm, sizeof drm, "%s/%s/%s", env->virtio_dir, where, card);
    snprintf(prefix, sizeof prefix, "%s-", card);
    fact_string(env, "card", card);
    DIR *d = opendir(drm);
    if (!d)
        return probe_error(env, "opendir %s: %s", drm, strerror(errno));
    int connectors = 0, connected = 0, modes = 0;
    struct dirent *e;
    bool edid_done = false;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 || strlen(e->d_name) >= sizeof conn)
            continue;
        strcpy(conn, e->d_name);
        snprintf(cdir, sizeof cdir, "%s/%s", drm, conn);
        connectors++;
        if (!sysfs_read(cdir, "status", text, sizeof text) || strcmp(text, "connected") != 0)
            continue;
        connected++;
        if (sysfs_read(cdir, "modes", text, sizeof text) && text[0]) {
            if (!first_mode[0])
                snprintf(first_mode, sizeof first_mode, "%.*s", (int)strcspn(text, "\n"), text);
            modes++;
            for (const char *p = text; (p = strchr(p, '\n')); p++)
                modes++;
        }
        if (!edid_done) {
            edid_facts(env, cdir);
            edid_done = true;
        }
    }
    closedir(d);
    if (!edid_done) {
        fact_bool(env, "edid_valid", false);
        fact_string(env, "edid_error", "no connected connector to read an EDID from");
    }
    fact_int(env, "connectors", connectors);
    fact_int(env, "connected", connected);
    fact_int(env, "modes", modes);
    if (first_mode[0])
        fact_string(env, "preferred_mode", first_mode);
    return PROBE_OK;
}

static int cmp_str(const void *a, const void *b) { return strcmp(a, b); }

/* The agent's own ports (its control and bulk channels): a controller carrying only these offers
 * the guest's software nothing, so they are not counted as data ports. */
static bool agent_port(const char *name)
{
    return strncmp(name, "org.avps.agent.", 15) == 0 || strncmp(name, "org.avps.bulk.", 14) == 0;
}

probe_status_t probe_console_ports(probe_env_t *env)
{
    static char names[64][256];
    char dir[4400], pdir[4700], driver[64];
    snprintf(dir, sizeof dir, "%s/virtio-ports", env->virtio_dir);
    DIR *d = opendir(dir);
    if (!d && !sysfs_link_basename(env->virtio_dir, "driver", driver, sizeof driver))
        return probe_unavailable(env, "%s has no virtio-ports and no driver bound", env->device);
    int ports = 0, named = 0, agent = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) && ports < 64) {
        if (strncmp(e->d_name, "vport", 5) != 0)
            continue;
        ports++;
        snprintf(pdir, sizeof pdir, "%s/%s", dir, e->d_name);
        if (sysfs_read(pdir, "name", names[named], sizeof names[named]) && names[named][0])
            agent += agent_port(names[named++]);
    }
    if (d)
        closedir(d);
    qsort(names, (size_t)named, sizeof names[0], cmp_str); /* readdir order is not stable */
    jw_key(env->facts, "names");
    jw_begin_array(env->facts);
    for (int i = 0; i < named; i++)
        jw_string(env->facts, names[i]);
    jw_end_array(env->facts);
    fact_int(env, "ports", ports);
    fact_int(env, "named_ports", named);
    if (ports > 0 && ports == agent)
        fact_not_applicable(env, "%s carries only the agent's own channel, which does not count as a console port", env->device);
    else
        fact_int(env, "data_ports", ports - agent);
    return PROBE_OK;
}

probe_status_t probe_balloon_stats(probe_env_t *env)
{
    char real[PATH_MAX], text[128];
    devinfo_t info = {.virtio_dir = env->virtio_dir, .device_id = 5};
    if (realpath(env->virtio_dir, real)) {
        char *slash = strrchr(real, '/');
        if (slash) *slash = '\0';
        char sub[64];
        if (sysfs_link_basename(real, "subsystem", sub, sizeof sub) && strcmp(sub, "pci") == 0) {
            info.transport = "pci";
            info.parent_dir = real;
        }
    }
    if (sysfs_read(env->virtio_dir, "features", text, sizeof text)) {
        for (size_t i = 0; text[i] && i < 128; i++)
            if (text[i] == '1')
                info.negotiated[i / 64] |= 1ull << (i % 64);
        fact_bool(env, "stats_vq_negotiated", info.negotiated[0] >> 1 & 1);
        fact_bool(env, "deflate_on_oom_negotiated", info.negotiated[0] >> 2 & 1);
    }
    if (!offered_config_members(env->facts, &info))
        return probe_unavailable(env, "balloon config space unreadable from the guest");
    FILE *f = fopen("/proc/meminfo", "re");
    while (f && fgets(text, sizeof text, f))
        if (strncmp(text, "MemTotal:", 9) == 0)
            fact_int(env, "mem_total_kib", strtoll(text + 9, NULL, 10));
    if (f)
        fclose(f);
    return PROBE_OK;
}

probe_status_t probe_iommu_groups(probe_env_t *env)
{
    char drv[64], dir[4200];
    if (!sysfs_link_basename(env->virtio_dir, "driver", drv, sizeof drv)) {
        bool registered = false;
        if (path_join(dir, sizeof dir, env->sysfs_root, "bus/virtio/drivers/virtio_iommu")) {
            DIR *d = opendir(dir);
            registered = d != NULL;
            if (d) closedir(d);
        }
        return probe_unavailable(env, registered ? "no driver bound to %s"
                                                 : "no driver bound to %s: the guest kernel has no virtio-iommu driver",
                                 env->device);
    }
    fact_string(env, "driver", drv);
    if (!path_join(dir, sizeof dir, env->sysfs_root, "kernel/iommu_groups"))
        return probe_error(env, "path too long");
    DIR *d = opendir(dir);
    int groups = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        groups += e->d_name[0] != '.';
    if (d) closedir(d);
    fact_int(env, "groups", groups);
    return PROBE_OK;
}
