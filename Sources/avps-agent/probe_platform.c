/* platform.buses: which platform buses the guest sees (RTC, CAN, GPIO, I2C, SCMI), each with
 * a count, names and a few readings, plus where the guest kernel's support for the bus comes
 * from. A bus with no device also says why (`<bus>_reason`): no support in the kernel at all,
 * or support but nothing configured, so the host can tell NOT_APPLICABLE from FAIL. It also
 * says how the platform described the guest's hardware (ACPI tables, a device tree, neither). */
#include "kernel_support.h"
#include "probe.h"
#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <linux/rtc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_ITEMS 64

static const kernel_part_t RTC = {"rtc", "RTC", "class/rtc", "/drivers/rtc/"};
static const kernel_part_t CAN = {"can", "CAN", "module/can_dev", "can-dev.ko"};
static const kernel_part_t GPIO = {"gpio", "GPIO", "bus/gpio", "/drivers/gpio/"};
static const kernel_part_t I2C = {"i2c", "I2C", "bus/i2c", "/drivers/i2c/i2c-core"};
static const kernel_part_t SCMI = {"scmi", "SCMI", "bus/scmi_protocol", "/drivers/firmware/arm_scmi/"};

static void count_fact(probe_env_t *env, const kernel_part_t *b, const char *suffix, char (*items)[64], int n)
{
    char key[64];
    snprintf(key, sizeof key, "%s_count", b->prefix);
    fact_int(env, key, n);
    snprintf(key, sizeof key, "%s_%s", b->prefix, suffix);
    fact_strings(env, key, items, n);
    kernel_support_facts(env, b, n);
}

/* Lists <sysfs>/<sub> entries starting with prefix (0 when the directory is missing). */
static int list_sub(probe_env_t *env, const char *sub, const char *prefix, char (*items)[64])
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/%s", env->sysfs_root, sub);
    int n = probe_list(dir, prefix, items, MAX_ITEMS);
    return n < 0 ? 0 : n;
}

static void rtc_facts(probe_env_t *env)
{
    static char items[MAX_ITEMS][64], names[MAX_ITEMS][64];
    int n = list_sub(env, "class/rtc", "rtc", items);
    char dir[4300], date[64], time[64];
    for (int i = 0; i < n; i++) {
        snprintf(dir, sizeof dir, "%s/class/rtc/%s", env->sysfs_root, items[i]);
        if (!sysfs_read(dir, "name", names[i], sizeof names[i]))
            names[i][0] = '\0';
    }
    count_fact(env, &RTC, "devices", items, n);
    if (n == 0)
        return;
    fact_strings(env, "rtc_names", names, n);
    snprintf(dir, sizeof dir, "%s/class/rtc/%s", env->sysfs_root, items[0]);
    if (sysfs_read(dir, "date", date, sizeof date) && sysfs_read(dir, "time", time, sizeof time)) {
        char stamp[140];
        snprintf(stamp, sizeof stamp, "%s %s", date, time);
        fact_string(env, "rtc_time", stamp);
    }
    char node[96];
    snprintf(node, sizeof node, "/dev/%.63s", items[0]);
    int fd = open(node, O_RDONLY | O_CLOEXEC);
    struct rtc_time tm;
    bool read = fd >= 0 && ioctl(fd, RTC_RD_TIME, &tm) == 0;
    if (!read)
        fact_string(env, "rtc_read_error", strerror(errno));
    if (fd >= 0)
        close(fd);
    fact_bool(env, "rtc_read_ok", read);
}

/* CAN interfaces are network devices of ARPHRD_CAN (280). MTU 16 is classic CAN, 72 CAN FD. */
static void can_facts(probe_env_t *env)
{
    static char nets[MAX_ITEMS][64], cans[MAX_ITEMS][64];
    int n = list_sub(env, "class/net", NULL, nets), count = 0, fd_capable = 0, invalid = 0;
    char dir[4300], text[64];
    for (int i = 0; i < n; i++) {
        snprintf(dir, sizeof dir, "%s/class/net/%s", env->sysfs_root, nets[i]);
        if (!sysfs_read(dir, "type", text, sizeof text) || atoi(text) != 280)
            continue;
        strcpy(cans[count++], nets[i]);
        int mtu = sysfs_read(dir, "mtu", text, sizeof text) ? atoi(text) : -1;
        fd_capable += mtu == 72;
        invalid += mtu != 16 && mtu != 72;
    }
    count_fact(env, &CAN, "interfaces", cans, count);
    fact_int(env, "can_fd_capable", fd_capable);
    fact_int(env, "can_mtu_invalid", invalid);
}

/* Each chip through its character device (GPIO_GET_CHIPINFO_IOCTL: label and line count). */
static void gpio_facts(probe_env_t *env)
{
    static char chips[MAX_ITEMS][64], labels[MAX_ITEMS][64];
    int n = list_sub(env, "bus/gpio/devices", "gpiochip", chips), lines = 0, unreadable = 0, empty = 0;
    for (int i = 0; i < n; i++) {
        char node[96];
        struct gpiochip_info info;
        snprintf(node, sizeof node, "/dev/%.63s", chips[i]);
        int fd = open(node, O_RDONLY | O_CLOEXEC);
        bool ok = fd >= 0 && ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, &info) == 0;
        if (fd >= 0)
            close(fd);
        snprintf(labels[i], sizeof labels[i], "%.*s", (int)sizeof info.label, ok ? info.label : "");
        unreadable += !ok;
        lines += ok ? (int)info.lines : 0;
        empty += ok && info.lines == 0;
    }
    count_fact(env, &GPIO, "chips", chips, n);
    fact_strings(env, "gpio_labels", labels, n);
    fact_int(env, "gpio_lines", lines);
    fact_int(env, "gpio_chips_without_lines", empty);
    fact_int(env, "gpio_chips_unreadable", unreadable);
}

static void i2c_facts(probe_env_t *env)
{
    static char adapters[MAX_ITEMS][64], names[MAX_ITEMS][64];
    int n = list_sub(env, "bus/i2c/devices", "i2c-", adapters);
    char dir[4300];
    for (int i = 0; i < n; i++) {
        snprintf(dir, sizeof dir, "%s/bus/i2c/devices/%s", env->sysfs_root, adapters[i]);
        if (!sysfs_read(dir, "name", names[i], sizeof names[i]))
            names[i][0] = '\0';
    }
    count_fact(env, &I2C, "adapters", adapters, n);
    fact_strings(env, "i2c_names", names, n);
}

/* SCMI protocol devices; the id comes from `protocol_id` or the `modalias`
 * (scmi-protocol-0xNN:name). Power (0x11), performance (0x13) and clock (0x14) are the
 * power-management protocols. */
static void scmi_facts(probe_env_t *env)
{
    static char devices[MAX_ITEMS][64];
    int n = list_sub(env, "bus/scmi_protocol/devices", NULL, devices), pm = 0;
    char dir[4300], text[128];
    jw_t *w = env->facts;
    count_fact(env, &SCMI, "devices", devices, n);
    jw_key(w, "scmi_protocol_ids");
    jw_begin_array(w);
    for (int i = 0; i < n; i++) {
        snprintf(dir, sizeof dir, "%s/bus/scmi_protocol/devices/%s", env->sysfs_root, devices[i]);
        long id = -1;
        if (sysfs_read(dir, "protocol_id", text, sizeof text))
            id = strtol(text, NULL, 0);
        else if (sysfs_read(dir, "modalias", text, sizeof text) && strncmp(text, "scmi-protocol-", 14) == 0)
            id = strtol(text + 14, NULL, 0);
        if (id < 0)
            continue;
        jw_int(w, id);
        pm += id == 0x11 || id == 0x13 || id == 0x14;
    }
    jw_end_array(w);
    fact_int(env, "scmi_pm_protocols", pm);
}

/* The tables the firmware handed over (<sysfs>/firmware/acpi/tables; `dynamic` and `data` are
 * directories the kernel adds) and the flattened device tree (<sysfs>/firmware/devicetree). */
static void description_facts(probe_env_t *env)
{
    static char tables[MAX_ITEMS][64];
    int n = list_sub(env, "firmware/acpi/tables", NULL, tables), kept = 0;
    for (int i = 0; i < n; i++)
        if (strcmp(tables[i], "dynamic") != 0 && strcmp(tables[i], "data") != 0)
            memmove(tables[kept++], tables[i], sizeof tables[i]);
    fact_int(env, "acpi_table_count", kept);
    fact_strings(env, "acpi_tables", tables, kept);
    char base[4200], model[128];
    snprintf(base, sizeof base, "%s/firmware/devicetree/base", env->sysfs_root);
    bool devicetree = access(base, F_OK) == 0;
    fact_bool(env, "devicetree", devicetree);
    if (devicetree && sysfs_read_cstring(base, "model", model, sizeof model))
        fact_string(env, "devicetree_model", model);
    fact_string(env, "hardware_description",
                kept && devicetree ? "acpi+devicetree" : kept ? "acpi" : devicetree ? "devicetree" : "none");
    fact_bool(env, "hardware_described", kept > 0 || devicetree);
}

probe_status_t probe_platform_buses(probe_env_t *env)
{
    description_facts(env);
    kernel_support_init(env);
    rtc_facts(env);
    can_facts(env);
    gpio_facts(env);
    i2c_facts(env);
    scmi_facts(env);
    return PROBE_OK;
}
