#include "probe.h"

#include "methods.h"
#include "probe_isolate.h"
#include "sysfs.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    const char *name;
    int device_id;     /* virtio id the device must have; PLATFORM: no device at all */
    probe_fn fn;
    double deadline_s; /* device probes run in a child under this deadline (probe_isolate.c) */
} probe_def_t;

#define PLATFORM 0 /* virtio id 0 is reserved (invalid), so it cannot clash */

static const probe_def_t PROBES[] = {
    {"block.integrity", 2, probe_block_integrity, 12},
    {"block.persistence", 2, probe_block_persistence, 12},
    {"net.link", 1, probe_net_link, 8},
    {"net.udp_echo", 1, probe_net_udp_echo, 12},
    {"entropy.rate", 4, probe_entropy_rate, 8},
    {"input.caps", 18, probe_input_caps, 6},
    {"gpu.modes", 16, probe_gpu_modes, 6},
    {"console.ports", 3, probe_console_ports, 6},
    {"console.transfer", 3, probe_console_transfer, 13},
    {"balloon.stats", 5, probe_balloon_stats, 6},
    {"iommu.groups", 23, probe_iommu_groups, 6},
    {"9p.fileops", 9, probe_9p_fileops, 10},
    {"crypto.cipher", 20, probe_crypto_cipher, 8},
    {"sound.pcms", 25, probe_sound_pcms, 6},
    {"pmem.integrity", 27, probe_pmem_integrity, 12},
    {"vsock.peer_echo", 19, probe_vsock_peer_echo, 12},
    {"platform.buses", PLATFORM, probe_platform_buses, 0},
    {"watchdog.basic", PLATFORM, probe_watchdog_basic, 0},
    {"watchdog.expire", PLATFORM, probe_watchdog_expire, 0},
    /* Systems of several VMs (probe_system.c); the scans read devices, so they get a deadline. */
    {"net.udp_serve", 1, probe_net_udp_serve, 13},
    {"block.scan", PLATFORM, probe_block_scan, 20},
    {"9p.scan", PLATFORM, probe_9p_scan, 12},
    {"system.uptime", PLATFORM, probe_system_uptime, 0},
    {"ivshmem.pattern", PLATFORM, probe_ivshmem_pattern, 0},
};

static char facts_buf[256 * 1024]; /* facts are small; bounded so one probe cannot fill a frame */

static probe_status_t vset(probe_env_t *env, probe_status_t st, const char *fmt, va_list ap)
{
    vsnprintf(env->reason, sizeof env->reason, fmt, ap);
    return st;
}

probe_status_t probe_unavailable(probe_env_t *env, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    probe_status_t st = vset(env, PROBE_UNAVAILABLE, fmt, ap);
    va_end(ap);
    return st;
}

probe_status_t probe_error(probe_env_t *env, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    probe_status_t st = vset(env, PROBE_ERROR, fmt, ap);
    va_end(ap);
    return st;
}

bool probe_child(const char *dir, const char *sub, const char *prefix, char *out, size_t cap)
{
    char path[4200];
    bool found = false;
    if (!path_join(path, sizeof path, dir, sub))
        return false;
    DIR *d = opendir(path);
    if (!d)
        return false;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] == '.' || (prefix && strncmp(e->d_name, prefix, strlen(prefix)) != 0))
            continue;
        found = strlen(e->d_name) < cap;
        if (found)
            strcpy(out, e->d_name);
    }
    closedir(d);
    return found;
}

static int cmp_name(const void *a, const void *b) { return strcmp(a, b); }

int probe_list(const char *dir, const char *prefix, char (*names)[64], int max)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while (n < max && (e = readdir(d))) {
        if (e->d_name[0] == '.' || (prefix && strncmp(e->d_name, prefix, strlen(prefix)) != 0) ||
            strlen(e->d_name) >= 64)
            continue;
        strcpy(names[n++], e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, 64, cmp_name);
    return n;
}

void fact_strings(probe_env_t *env, const char *key, char (*items)[64], int n)
{
    jw_key(env->facts, key);
    jw_begin_array(env->facts);
    for (int i = 0; i < n; i++)
        jw_string(env->facts, items[i]);
    jw_end_array(env->facts);
}

void fact_int(probe_env_t *env, const char *key, int64_t v) { jw_key(env->facts, key); jw_int(env->facts, v); }
void fact_double(probe_env_t *env, const char *key, double v) { jw_key(env->facts, key); jw_double(env->facts, v); }
void fact_bool(probe_env_t *env, const char *key, bool v) { jw_key(env->facts, key); jw_bool(env->facts, v); }
void fact_string(probe_env_t *env, const char *key, const char *v) { jw_key(env->facts, key); jw_string(env->facts, v); }

void errno_text(char *out, size_t cap, const char *op, int err)
{
    const char *name = err ? strerrorname_np(err) : NULL;
    if (err == 0)
        snprintf(out, cap, "%s: short transfer", op);
    else
        snprintf(out, cap, "%s: %s (%s)", op, name ? name : "errno", strerror(err));
}

void fact_errno(probe_env_t *env, const char *key, const char *op, int err)
{
    char text[320];
    errno_text(text, sizeof text, op, err);
    fact_string(env, key, text);
}

static void reserved_fact(probe_env_t *env, const char *key, const char *fmt, va_list ap)
{
    char text[320];
    vsnprintf(text, sizeof text, fmt, ap);
    fact_string(env, key, text);
}

void fact_fault(probe_env_t *env, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reserved_fact(env, "fault", fmt, ap);
    va_end(ap);
}

void fact_not_applicable(probe_env_t *env, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reserved_fact(env, "not_applicable", fmt, ap);
    va_end(ap);
}

void fact_unmeasured(probe_env_t *env, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reserved_fact(env, "unmeasured", fmt, ap);
    va_end(ap);
}

double probe_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Checks that the named device exists and has the virtio id the probe needs. */
static bool check_device(probe_env_t *env, int want)
{
    uint64_t id;
    char devices[4200];
    if (!path_join(devices, sizeof devices, env->sysfs_root, "bus/virtio/devices") ||
        !path_join(env->virtio_dir, sizeof env->virtio_dir, devices, env->device) ||
        strchr(env->device, '/') || env->device[0] == '.' || env->device[0] == '\0') {
        probe_unavailable(env, "no virtio device named \"%s\"", env->device);
        return false;
    }
    if (!sysfs_read_hex(env->virtio_dir, "device", &id)) {
        probe_unavailable(env, "no virtio device named \"%s\"", env->device);
        return false;
    }
    if ((int)id != want) {
        probe_unavailable(env, "%s is virtio device id %d, this probe needs id %d", env->device, (int)id, want);
        return false;
    }
    return true;
}

/* avps.agent.test=stall-entropy (PROTOCOL.md 7.1): the entropy probe never answers, as on a device
 * whose requests hang in the kernel, so the host's tests can see the deadline end it. */
static probe_status_t stall_forever(probe_env_t *env)
{
    (void)env;
    for (;;)
        pause();
    return PROBE_ERROR; /* not reached */
}

void probe_run(jw_t *w, const char *sysfs_root, jobj_t request_params)
{
    static probe_env_t env;
    static char name[64], device[64];
    jw_t facts;
    memset(&env, 0, sizeof env);
    name[0] = device[0] = '\0';
    (void)obj_string(request_params, "name", name, sizeof name);
    (void)obj_string(request_params, "device", device, sizeof device);
    env.sysfs_root = sysfs_root;
    env.device = device;
    env.params = obj_object(request_params, "params");
    jw_init(&facts, facts_buf, sizeof facts_buf);
    jw_begin_object(&facts);
    env.facts = &facts;

    const probe_def_t *def = NULL;
    for (size_t i = 0; i < sizeof PROBES / sizeof PROBES[0]; i++)
        if (strcmp(PROBES[i].name, name) == 0)
            def = &PROBES[i];
    probe_status_t st;
    bool closed = false;
    if (def && def->device_id == PLATFORM)
        device[0] = '\0'; /* not about one device: any device given is ignored, answered as null */
    if (!def)
        st = probe_error(&env, "unknown probe \"%s\"", name);
    else if (def->device_id != PLATFORM && !check_device(&env, def->device_id))
        st = PROBE_UNAVAILABLE;
    else if (def->device_id != PLATFORM || def->deadline_s > 0) {
        probe_fn fn = def->fn == probe_entropy_rate && agent_test_fault("stall-entropy") ? stall_forever : def->fn;
        st = probe_isolated(fn, &env, def->deadline_s);
        closed = true; /* probe_isolated closes the facts object */
    } else
        st = def->fn(&env);
    if (!closed)
        jw_end_object(&facts);
    if (facts.overflow) {
        st = probe_error(&env, "facts exceed %zu bytes", sizeof facts_buf);
        jw_reset(&facts);
        jw_begin_object(&facts);
        jw_end_object(&facts);
    }
    static const char *const STATUS[] = {"ok", "unavailable", "error"};
    jw_begin_object(w);
    jw_key(w, "name");
    jw_string(w, name);
    jw_key(w, "device");
    if (device[0]) jw_string(w, device); else jw_null(w);
    jw_key(w, "status");
    jw_string(w, STATUS[st]);
    jw_key(w, "facts");
    jw_raw(w, facts_buf, facts.len);
    jw_key(w, "reason");
    if (st == PROBE_OK) jw_null(w); else jw_string(w, env.reason);
    jw_end_object(w);
}
