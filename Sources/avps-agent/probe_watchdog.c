/* watchdog.basic and watchdog.expire: the Linux watchdog API (/dev/watchdogN) of whatever
 * watchdog the platform gives the guest. Not virtio: VIRTIO reserves id 35 without a device.
 *
 * Opening a watchdog starts it, so watchdog.basic refuses one that cannot be stopped again
 * (nowayout) and always restores the timeout it found and disarms before it returns.
 * watchdog.expire is the destructive half: it arms a short timeout and leaves the watchdog
 * running unfed, so the platform must reset the guest (the host observes that). */
#include "kernel_support.h"
#include "probe.h"
#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/watchdog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define WDT_CLASS "class/watchdog"
#define MAX_WDT 16

typedef struct {
    char name[64];    /* watchdogN */
    char sys[4400];   /* <sysfs>/class/watchdog/watchdogN */
    char node[96];    /* /dev/watchdogN */
} wdt_t;

/* Lists the guest's watchdogs as facts and picks the first; false (with a reason fact and
 * watchdog_count 0) when there is none. */
static bool find_watchdog(probe_env_t *env, wdt_t *w)
{
    static char names[MAX_WDT][64];
    char dir[4200];
    int n = path_join(dir, sizeof dir, env->sysfs_root, WDT_CLASS) ? probe_list(dir, "watchdog", names, MAX_WDT) : -1;
    static const kernel_part_t CORE = {"watchdog", "watchdog", WDT_CLASS, "/drivers/watchdog/watchdog.ko"};
    fact_int(env, "watchdog_count", n > 0 ? n : 0);
    fact_strings(env, "watchdogs", names, n > 0 ? n : 0);
    kernel_support_init(env);
    kernel_support_facts(env, &CORE, n > 0 ? n : 0);
    if (n <= 0)
        return false;
    snprintf(w->name, sizeof w->name, "%s", names[0]);
    snprintf(w->sys, sizeof w->sys, "%s/%s", dir, names[0]);
    snprintf(w->node, sizeof w->node, "/dev/%s", names[0]);
    fact_string(env, "watchdog", w->name);
    char text[128];
    char dev[4500];
    snprintf(dev, sizeof dev, "%s/device", w->sys);
    if (sysfs_link_basename(dev, "driver", text, sizeof text)) /* only when the driver gave the watchdog a parent */
        fact_string(env, "driver", text);
    if (sysfs_read(w->sys, "nowayout", text, sizeof text))
        fact_bool(env, "nowayout", strcmp(text, "1") == 0);
    return true;
}

/* The watchdog's node, falling back to the legacy /dev/watchdog of the first one. */
static int open_watchdog(probe_env_t *env, const wdt_t *w)
{
    int fd = open(w->node, O_WRONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && strcmp(w->name, "watchdog0") == 0)
        fd = open("/dev/watchdog", O_WRONLY | O_CLOEXEC);
    if (fd >= 0)
        fact_bool(env, "opened", true);
    return fd;
}

/* WDIOC_GETSUPPORT: identity and option bits. */
static int support_facts(probe_env_t *env, int fd)
{
    struct watchdog_info info;
    memset(&info, 0, sizeof info);
    if (ioctl(fd, WDIOC_GETSUPPORT, &info) != 0) {
        fact_string(env, "getsupport_error", strerror(errno));
        return 0;
    }
    char identity[sizeof info.identity + 1];
    memcpy(identity, info.identity, sizeof info.identity);
    identity[sizeof info.identity] = '\0';
    fact_string(env, "identity", identity);
    fact_int(env, "firmware_version", info.firmware_version);
    fact_int(env, "options", info.options);
    fact_bool(env, "settimeout_supported", info.options & WDIOF_SETTIMEOUT);
    fact_bool(env, "keepalive_supported", info.options & WDIOF_KEEPALIVEPING);
    fact_bool(env, "magicclose_supported", info.options & WDIOF_MAGICCLOSE);
    return (int)info.options;
}

/* Magic close: 'V' then close tells the kernel the stop is deliberate. */
static bool disarm(int fd, bool magic)
{
    bool wrote = !magic || write(fd, "V", 1) == 1;
    return close(fd) == 0 && wrote;
}

probe_status_t probe_watchdog_basic(probe_env_t *env)
{
    wdt_t w;
    if (!find_watchdog(env, &w))
        return PROBE_OK; /* measured: this guest has no watchdog */
    char text[64];
    if (sysfs_read(w.sys, "nowayout", text, sizeof text) && strcmp(text, "1") == 0 &&
        !obj_bool(env->params, "allow_nowayout", false))
        return probe_unavailable(env, "%s has nowayout set: opening it would start a watchdog the probe could never stop", w.name);
    double t0 = probe_now();
    int fd = open_watchdog(env, &w);
    if (fd < 0)
        return probe_error(env, "open %s: %s", w.node, strerror(errno));
    int options = support_facts(env, fd);
    int initial = 0;
    bool have_initial = ioctl(fd, WDIOC_GETTIMEOUT, &initial) == 0;
    if (have_initial)
        fact_int(env, "timeout_initial", initial);
    /* Any value other than the current one proves the setting took effect. */
    int requested = (int)obj_int(env->params, "timeout", initial == 20 ? 25 : 20);
    int returned = requested;
    bool set_ok = ioctl(fd, WDIOC_SETTIMEOUT, &returned) == 0;
    fact_int(env, "timeout_requested", requested);
    fact_bool(env, "timeout_set_ok", set_ok);
    if (!set_ok)
        fact_string(env, "timeout_set_error", strerror(errno));
    else
        fact_int(env, "timeout_returned", returned);
    int readback = 0;
    if (ioctl(fd, WDIOC_GETTIMEOUT, &readback) == 0) {
        fact_int(env, "timeout_readback", readback);
        fact_bool(env, "timeout_matches", set_ok && readback == requested);
    }
    int dummy = 0;
    bool fed = ioctl(fd, WDIOC_KEEPALIVE, &dummy) == 0;
    fact_bool(env, "keepalive_ok", fed);
    if (!fed)
        fact_string(env, "keepalive_error", strerror(errno));
    int left = 0;
    if (ioctl(fd, WDIOC_GETTIMELEFT, &left) == 0)
        fact_int(env, "timeleft", left);
    if (have_initial && set_ok && initial != readback)
        fact_bool(env, "timeout_restored", ioctl(fd, WDIOC_SETTIMEOUT, &initial) == 0);
    bool magic = options & WDIOF_MAGICCLOSE;
    bool closed = disarm(fd, magic);
    fact_bool(env, "magic_close_used", magic);
    fact_bool(env, "close_ok", closed);
    if (sysfs_read(w.sys, "state", text, sizeof text)) {
        fact_string(env, "state_after_close", text);
        fact_bool(env, "disarmed", strcmp(text, "inactive") == 0);
    }
    fact_double(env, "seconds", probe_now() - t0);
    return PROBE_OK;
}

/* Kept open on purpose after watchdog.expire: nobody feeds it, the platform must reset. */
static int armed_fd = -1;

probe_status_t probe_watchdog_expire(probe_env_t *env)
{
    wdt_t w;
    if (!find_watchdog(env, &w))
        return probe_unavailable(env, "no watchdog to let expire");
    if (armed_fd >= 0)
        return probe_unavailable(env, "%s is already armed and unfed by an earlier watchdog.expire", w.name);
    int timeout = (int)obj_int(env->params, "timeout", 2);
    if (timeout < 1 || timeout > 60)
        return probe_error(env, "timeout %d out of range 1..60 s", timeout);
    int fd = open_watchdog(env, &w);
    if (fd < 0)
        return probe_error(env, "open %s: %s", w.node, strerror(errno));
    support_facts(env, fd);
    int set = timeout;
    if (ioctl(fd, WDIOC_SETTIMEOUT, &set) != 0) {
        int e = errno;
        disarm(fd, true);
        return probe_unavailable(env, "%s refused a %d s timeout: %s", w.name, timeout, strerror(e));
    }
    int readback = 0;
    ioctl(fd, WDIOC_GETTIMEOUT, &readback);
    int dummy = 0;
    bool fed = ioctl(fd, WDIOC_KEEPALIVE, &dummy) == 0;
    fact_int(env, "timeout_requested", timeout);
    fact_int(env, "timeout_readback", readback);
    fact_bool(env, "keepalive_ok", fed);
    fact_bool(env, "armed", true);
    armed_fd = fd;
    fprintf(stderr, "avps-agent: %s armed with %d s and left unfed (watchdog.expire)\n", w.name, readback);
    return PROBE_OK;
}
