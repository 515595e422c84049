/* Where the guest kernel's support for a bus or device class comes from, for probes that
 * report "none present" and must say whether the kernel could have had one. */
#include "kernel_support.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

static char modules_dir[512];

void kernel_support_init(probe_env_t *env)
{
    struct utsname u;
    char given[400];
    if (obj_string(env->params, "modules_dir", given, sizeof given)) /* tests: a fake module tree */
        snprintf(modules_dir, sizeof modules_dir, "%s", given);
    else
        snprintf(modules_dir, sizeof modules_dir, "/lib/modules/%s", uname(&u) == 0 ? u.release : "unknown");
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The first line of a module list containing fragment, reduced to its path; false if none. */
static bool listed(const char *file, const char *fragment, char *path, size_t cap)
{
    char name[700], line[1024];
    snprintf(name, sizeof name, "%s/%s", modules_dir, file);
    FILE *f = fopen(name, "re");
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f)) {
        line[strcspn(line, ":\n")] = '\0';
        if ((found = strstr(line, fragment) != NULL))
            snprintf(path, cap, "%.*s", (int)(cap - 1), line);
    }
    if (f)
        fclose(f);
    return found;
}

/* A module file as installed: modules.dep may name it compressed, the guest may hold it plain. */
static bool installed(const char *path)
{
    char full[1100];
    snprintf(full, sizeof full, "%s/%s", modules_dir, path);
    if (exists(full))
        return true;
    char *dot = strrchr(full, '.');
    if (dot && (strcmp(dot, ".xz") == 0 || strcmp(dot, ".zst") == 0 || strcmp(dot, ".gz") == 0))
        *dot = '\0';
    return exists(full);
}

void kernel_support_facts(probe_env_t *env, const kernel_part_t *k, int count)
{
    char key[64], marker[4200], module[512] = "", reason[1024];
    const char *state;
    snprintf(marker, sizeof marker, "%s/%s", env->sysfs_root, k->marker);
    if (exists(marker)) {
        state = "present";
        snprintf(reason, sizeof reason, "no %s device: the guest kernel has %s support (%s exists) but none is registered",
                 k->what, k->what, k->marker);
    } else if (listed("modules.builtin", k->fragment, module, sizeof module)) {
        state = "builtin";
        snprintf(reason, sizeof reason, "no %s device: the guest kernel has %s support built in (%s) but none is registered",
                 k->what, k->what, module);
    } else if (listed("modules.dep", k->fragment, module, sizeof module)) {
        bool here = installed(module);
        state = here ? "module" : "module-not-installed";
        snprintf(reason, sizeof reason,
                 here ? "no %s device: the guest kernel has %s support as module %s, which is not loaded"
                      : "no %s device: the guest kernel has %s support only as module %s, which this guest does not install",
                 k->what, k->what, module);
    } else if (exists(modules_dir)) {
        state = "absent";
        snprintf(reason, sizeof reason,
                 "the guest kernel has no %s support: no %s, and neither modules.builtin nor modules.dep in %s names %s",
                 k->what, k->marker, modules_dir, k->fragment);
    } else {
        state = "unknown";
        snprintf(reason, sizeof reason, "no %s device; whether the guest kernel supports %s is unknown (no %s, no %s)",
                 k->what, k->what, k->marker, modules_dir);
    }
    snprintf(key, sizeof key, "%s_support", k->prefix);
    fact_string(env, key, state);
    if (module[0]) {
        snprintf(key, sizeof key, "%s_module", k->prefix);
        fact_string(env, key, module);
    }
    if (count == 0) {
        snprintf(key, sizeof key, "%s_reason", k->prefix);
        fact_string(env, key, reason);
    }
}
