/* avps-agent: answers avps host requests from inside a guest under test.
 * See PROTOCOL.md for the wire format and README.md for building. */
#include "agent.h"
#include "autonomous.h"
#include "channel.h"
#include "log.h"
#include "methods.h"
#include "serve.h"
#include "vsock.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

static void usage(FILE *to)
{
    fprintf(to,
            "usage: avps-agent [--stdio | --channel PATH] [--sysfs ROOT]\n"
            "       avps-agent --autonomous PLAN [--sysfs ROOT]\n"
            "       avps-agent --version\n"
            "  (default)       listen on vsock port 1024 (bulk 1025) and use the\n"
            "                  virtio-serial port named " AGENT_PORT_NAME " if present\n"
            "  --stdio         use stdin/stdout; exit at end of input (tests)\n"
            "  --channel PATH  use this device or file, read-write\n"
            "  --sysfs ROOT    read sysfs from ROOT instead of /sys (tests)\n"
            "  --autonomous PLAN  answer the plan's requests without a host, evidence\n"
            "                  lines on stdout (PROTOCOL.md 8); the kernel command line\n"
            "                  word avps.autonomous[=PATH] does the same on the console\n");
}

int main(int argc, char **argv)
{
    agent_t a = {.sysfs_root = "/sys"};
    const char *channel_path = NULL;
    const char *plan_path = NULL;
    bool use_stdio = false;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--version") == 0) {
            printf("avps-agent %s (protocol %d)\n", AGENT_VERSION, PROTOCOL_VERSION);
            return 0;
        } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(arg, "--stdio") == 0) {
            use_stdio = true;
        } else if (strcmp(arg, "--autonomous") == 0 && i + 1 < argc) {
            plan_path = argv[++i];
        } else if ((strcmp(arg, "--sysfs") == 0 || strcmp(arg, "--channel") == 0) && i + 1 < argc) {
            if (arg[2] == 's')
                a.sysfs_root = argv[++i];
            else
                channel_path = argv[++i];
        } else {
            fprintf(stderr, "avps-agent: bad argument '%s'\n", arg);
            usage(stderr);
            return 2;
        }
    }
    if (use_stdio && channel_path) {
        fprintf(stderr, "avps-agent: --stdio and --channel are exclusive\n");
        return 2;
    }

    /* A vanished reader must surface as EPIPE from write(), not kill us. */
    signal(SIGPIPE, SIG_IGN);

    /* A test's --autonomous never powers the machine off; the command line word in a guest may. */
    if (plan_path)
        return autonomous_run(&a, plan_path, stdout, false);
    char requested[PATH_MAX];
    if (!use_stdio && !channel_path && autonomous_requested(requested, sizeof requested)) {
        FILE *console = fopen("/dev/console", "w");
        autonomous_run(&a, requested, console ? console : stdout, true);
        if (console)
            fclose(console);
        a.ch = (channel_t){.rfd = -1, .wfd = -1};
    }

    int vsock_fd = -1, bulk_fd = -1;
    if (use_stdio) {
        channel_stdio(&a.ch);
    } else if (channel_path) {
        if (!channel_open_path(&a.ch, channel_path))
            return 1;
    } else {
        vsock_fd = vsock_listen(AGENT_VSOCK_PORT);
        if (vsock_fd >= 0)
            bulk_fd = vsock_listen(AGENT_VSOCK_BULK_PORT);
        if (bulk_fd >= 0)
            vsock_enlarge_buffer(bulk_fd);
        /* With vsock the serial port is optional: look for it briefly only. */
        if (!channel_open_default(&a.ch, a.sysfs_root, vsock_fd >= 0 ? 2000 : 30000)) {
            if (vsock_fd < 0)
                return 1;
            a.ch = (channel_t){.rfd = -1, .wfd = -1};
        }
        char bulk_path[PATH_MAX];
        if (channel_find_port(a.sysfs_root, AGENT_BULK_PORT_NAME, bulk_path, sizeof bulk_path)) {
            int fd = open(bulk_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
            if (fd >= 0)
                bulk_spawn(fd, true);
        }
    }

    agent_log("version %s, protocol %d, sysfs %s", AGENT_VERSION, PROTOCOL_VERSION, a.sysfs_root);
    serve(&a, vsock_fd, bulk_fd);
    return 0;
}
