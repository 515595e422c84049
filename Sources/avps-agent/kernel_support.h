/* Where the guest kernel's support for a bus or device class comes from: its sysfs directory
 * (built in or loaded), modules.builtin, or modules.dep (installed in this guest or not).
 * Probes that find no device use it to say whether the kernel could have had one. */
#ifndef AVPS_KERNEL_SUPPORT_H
#define AVPS_KERNEL_SUPPORT_H

#include "probe.h"

typedef struct {
    const char *prefix;    /* fact prefix: <prefix>_support, <prefix>_module, <prefix>_reason */
    const char *what;      /* in reasons */
    const char *marker;    /* sysfs path (under the sysfs root) present when the support is active */
    const char *fragment;  /* part of a module path in modules.builtin / modules.dep */
} kernel_part_t;

/* Chooses the module lists: /lib/modules/<uname -r>, or params.modules_dir (tests). */
void kernel_support_init(probe_env_t *env);

/* Writes <prefix>_support ("present", "builtin", "module", "module-not-installed", "absent",
 * "unknown"), <prefix>_module when a module list named one, and, when count is 0,
 * <prefix>_reason: why the guest has no such device. */
void kernel_support_facts(probe_env_t *env, const kernel_part_t *k, int count);

#endif
