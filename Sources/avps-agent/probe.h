/* The `probe` method: one behavioural measurement of one device. Each probe
 * writes measured facts; the host decides what passes (PROTOCOL.md 6.4). */
#ifndef AVPS_PROBE_H
#define AVPS_PROBE_H

#include "jsonw.h"
#include "params.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { PROBE_OK, PROBE_UNAVAILABLE, PROBE_ERROR } probe_status_t;

typedef struct {
    const char *sysfs_root;
    const char *device;        /* virtioN, or "" for platform probes (not about one device) */
    char virtio_dir[4096];     /* <sysfs>/bus/virtio/devices/virtioN */
    jobj_t params;             /* the probe's own parameters (may be empty) */
    jw_t *facts;               /* positioned inside the facts object */
    char reason[256];          /* why the probe is unavailable or broke */
} probe_env_t;

typedef probe_status_t (*probe_fn)(probe_env_t *env);

/* Answers one probe request: writes the whole result object into w. */
void probe_run(jw_t *w, const char *sysfs_root, jobj_t request_params);

/* Helpers shared by the probes. */
probe_status_t probe_unavailable(probe_env_t *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
probe_status_t probe_error(probe_env_t *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* First entry of dir/sub (e.g. virtioN/block -> "vda"), optionally with a name prefix. */
bool probe_child(const char *dir, const char *sub, const char *prefix, char *out, size_t cap);
/* Entries of dir whose names start with prefix (NULL: every entry but . and ..), sorted
 * (readdir order is not stable), at most max; -1 when dir cannot be opened. */
int probe_list(const char *dir, const char *prefix, char (*names)[64], int max);
void fact_strings(probe_env_t *env, const char *key, char (*items)[64], int n);
void fact_int(probe_env_t *env, const char *key, int64_t v);
void fact_double(probe_env_t *env, const char *key, double v);
void fact_bool(probe_env_t *env, const char *key, bool v);
void fact_string(probe_env_t *env, const char *key, const char *v);
/* "op: ENAME (text)" for a failed operation, e.g. "write at 1048576: EIO (Input/output error)". */
void errno_text(char *out, size_t cap, const char *op, int err);
/* A string fact key = errno_text(op, err): the failed operation and its errno, for the host's reason. */
void fact_errno(probe_env_t *env, const char *key, const char *op, int err);
/* The reserved facts that say why a fact is missing (PROTOCOL.md 6.3): `fault` (the device failed,
 * the platform's fault), `not_applicable` (the device does not offer it), `unmeasured` (neither). */
void fact_fault(probe_env_t *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fact_not_applicable(probe_env_t *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fact_unmeasured(probe_env_t *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Monotonic seconds. */
double probe_now(void);

/* The probes (probe_*.c). */
probe_status_t probe_block_integrity(probe_env_t *env);
probe_status_t probe_block_persistence(probe_env_t *env);
probe_status_t probe_net_link(probe_env_t *env);
probe_status_t probe_net_udp_echo(probe_env_t *env);
probe_status_t probe_entropy_rate(probe_env_t *env);
probe_status_t probe_input_caps(probe_env_t *env);
probe_status_t probe_gpu_modes(probe_env_t *env);
probe_status_t probe_console_ports(probe_env_t *env);
probe_status_t probe_console_transfer(probe_env_t *env);
probe_status_t probe_balloon_stats(probe_env_t *env);
probe_status_t probe_iommu_groups(probe_env_t *env);
probe_status_t probe_9p_fileops(probe_env_t *env);
probe_status_t probe_crypto_cipher(probe_env_t *env);
probe_status_t probe_sound_pcms(probe_env_t *env);
probe_status_t probe_pmem_integrity(probe_env_t *env);
probe_status_t probe_vsock_peer_echo(probe_env_t *env);
/* Probes about the platform, not about one virtio device (no device check). */
probe_status_t probe_platform_buses(probe_env_t *env);
probe_status_t probe_watchdog_basic(probe_env_t *env);
probe_status_t probe_watchdog_expire(probe_env_t *env);
/* Systems of several VMs (probe_system.c). */
probe_status_t probe_net_udp_serve(probe_env_t *env);
probe_status_t probe_block_scan(probe_env_t *env);
probe_status_t probe_9p_scan(probe_env_t *env);
probe_status_t probe_system_uptime(probe_env_t *env);
probe_status_t probe_ivshmem_pattern(probe_env_t *env);

#endif
