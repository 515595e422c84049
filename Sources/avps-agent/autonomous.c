/* See autonomous.h. Each frame (the ready event, each request as run, each answer) is printed as
 * lines of at most EV_CHUNK payload bytes:
 *
 *     AVPS-EV1 <seq> <kind> <part>/<parts> <crc32> <payload chunk>
 *
 * kind is E (event), Q (request) or A (answer); crc32 (8 hex digits, the zlib polynomial) covers
 * the whole frame, so a line mangled by interleaved kernel messages is detected, not believed.
 * Short lines survive consoles that wrap or drop long ones. The plan ends with
 *
 *     AVPS-EV1-END <frames>
 */
#include "autonomous.h"

#include "agent.h"
#include "log.h"
#include "sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <unistd.h>

#define EV_CHUNK 160
#define PLAN_LINE_MAX 65536

static char answer[FRAME_MAX];
static char line[PLAN_LINE_MAX];
static char expanded[PLAN_LINE_MAX + 64];

static uint32_t crc32_of(const char *p, size_t n)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint8_t)p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static void emit(FILE *out, unsigned seq, char kind, const char *frame, size_t len)
{
    uint32_t crc = crc32_of(frame, len);
    size_t parts = len == 0 ? 1 : (len + EV_CHUNK - 1) / EV_CHUNK;
    for (size_t part = 0; part < parts; part++) {
        size_t at = part * EV_CHUNK, n = len - at < EV_CHUNK ? len - at : EV_CHUNK;
        /* One write per line keeps kernel messages from landing inside it on most consoles. */
        char buf[EV_CHUNK + 96];
        int head = snprintf(buf, sizeof buf, "AVPS-EV1 %u %c %zu/%zu %08x ", seq, kind, part + 1, parts, crc);
        memcpy(buf + head, frame + at, n);
        buf[(size_t)head + n] = '\n';
        fwrite(buf, 1, (size_t)head + n + 1, out);
        fflush(out);
    }
}

/* Runs one frame through the normal dispatcher into the scratch file and returns the answer. */
static size_t answer_of(agent_t *a, const char *frame, size_t len, bool ready)
{
    int fd = a->ch.wfd;
    if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
        return 0;
    if (ready)
        agent_send_ready(a);
    else
        agent_handle_frame(a, frame, len);
    off_t end = lseek(fd, 0, SEEK_CUR);
    if (end <= 0 || (size_t)end > sizeof answer || lseek(fd, 0, SEEK_SET) != 0)
        return 0;
    size_t got = 0;
    while (got < (size_t)end) {
        ssize_t r = read(fd, answer + got, (size_t)end - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    while (got > 0 && answer[got - 1] == '\n')
        got--;
    return got;
}

/* The plan names devices by virtio id ("device":"@2", every block device); the host cannot know
 * the guest's kernel names beforehand. Calls run() once per device of that id (or once, as is,
 * for a line without a placeholder). */
static void each_expansion(agent_t *a, const char *text, void (*run)(const char *, size_t, void *), void *ctx)
{
    const char *mark = strstr(text, "\"device\":\"@");
    if (!mark) {
        run(text, strlen(text), ctx);
        return;
    }
    char *idend;
    unsigned long want = strtoul(mark + 11, &idend, 10);
    if (*idend != '"')
        return;
    char dir[4096];
    if (!path_join(dir, sizeof dir, a->sysfs_root, "bus/virtio/devices"))
        return;
    struct dirent **names = NULL;
    int count = scandir(dir, &names, NULL, alphasort);
    for (int i = 0; i < count; i++) {
        char dev[4096];
        uint64_t id;
        if (names[i]->d_name[0] != '.' && path_join(dev, sizeof dev, dir, names[i]->d_name) &&
            sysfs_read_hex(dev, "device", &id) && id == want) {
            int n = snprintf(expanded, sizeof expanded, "%.*s\"device\":\"%s%s", (int)(mark - text), text,
                             names[i]->d_name, idend);
            if (n > 0 && (size_t)n < sizeof expanded)
                run(expanded, (size_t)n, ctx);
        }
        free(names[i]);
    }
    free(names);
}

typedef struct {
    agent_t *a;
    FILE *out;
    unsigned seq;
} run_ctx_t;

static void run_one(const char *frame, size_t len, void *p)
{
    run_ctx_t *c = p;
    emit(c->out, c->seq++, 'Q', frame, len);
    size_t n = answer_of(c->a, frame, len, false);
    emit(c->out, c->seq++, 'A', answer, n);
}

int autonomous_run(agent_t *a, const char *plan_path, FILE *out, bool may_power_off)
{
    FILE *plan = fopen(plan_path, "r");
    if (!plan) {
        fprintf(out, "AVPS-EV1-ERROR cannot open plan %s: %s\n", plan_path, strerror(errno));
        return 1;
    }
    int fd = memfd_create("avps-answer", MFD_CLOEXEC);
    if (fd < 0) {
        fprintf(out, "AVPS-EV1-ERROR memfd_create: %s\n", strerror(errno));
        fclose(plan);
        return 1;
    }
    a->ch = (channel_t){.rfd = -1, .wfd = fd, .stdio = true, .connected = true};
    run_ctx_t c = {.a = a, .out = out, .seq = 0};
    size_t n = answer_of(a, NULL, 0, true);
    emit(out, c.seq++, 'E', answer, n);
    bool power_off = false;
    while (fgets(line, sizeof line, plan)) {
        size_t len = strcspn(line, "\r\n");
        line[len] = '\0';
        if (len == 0)
            continue;
        if (strstr(line, "\"method\":\"poweroff\"")) {
            power_off = true;
            break;
        }
        each_expansion(a, line, run_one, &c);
    }
    fclose(plan);
    close(fd);
    fprintf(out, "AVPS-EV1-END %u\n", c.seq);
    fflush(out);
    if (power_off && may_power_off) {
        agent_log("autonomous plan done: powering off");
        sync();
        if (reboot(RB_POWER_OFF) != 0)
            agent_log("reboot(RB_POWER_OFF): %s", strerror(errno));
    }
    return 0;
}

bool autonomous_requested(char *buf, size_t cap)
{
    char cmdline[4096];
    if (!proc_cmdline(cmdline, sizeof cmdline))
        return false;
    for (char *word = strtok(cmdline, " \n"); word; word = strtok(NULL, " \n")) {
        if (strcmp(word, "avps.autonomous") == 0 || strcmp(word, "avps.autonomous=1") == 0) {
            snprintf(buf, cap, "%s", AUTONOMOUS_DEFAULT_PLAN);
            return true;
        }
        if (strncmp(word, "avps.autonomous=/", 17) == 0) {
            snprintf(buf, cap, "%s", word + 16);
            return strlen(word + 16) < cap;
        }
    }
    return false;
}
