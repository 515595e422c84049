/* Probes for systems of several VMs (PROTOCOL.md 6.4): what one guest can see of another.
 * net.udp_serve: echo UDP datagrams from a sibling on a guest-to-guest link.
 * block.scan:    read every block device this guest can open, looking for a sibling's seeded secret.
 * 9p.scan:       mount every 9p share, optionally leave a marker, look for a token outside the export.
 * system.uptime: uptime and boot id, so the host can tell this guest was never reset. */
#include "probe.h"
#include "storage.h"
#include "sysfs.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

probe_status_t probe_net_udp_serve(probe_env_t *env)
{
    probe_status_t st = probe_net_link(env);
    if (st != PROBE_OK)
        return st;
    int port = (int)obj_int(env->params, "port", 0);
    int count = (int)obj_int(env->params, "count", 20);
    int seconds = (int)obj_int(env->params, "seconds", 8);
    if (port < 1 || port > 65535)
        return probe_unavailable(env, "no port to serve on (params.port)");
    if (count < 1 || count > 1000) count = 20;
    if (seconds < 1 || seconds > 10) seconds = 8;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return probe_error(env, "socket: %s", strerror(errno));
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (bind(s, (struct sockaddr *)&me, sizeof me) != 0) {
        int e = errno;
        close(s);
        return probe_error(env, "bind UDP port %d: %s", port, strerror(e));
    }
    unsigned char buf[1500];
    int echoed = 0;
    double start = probe_now(), first = -1;
    while (echoed < count) {
        int left = (int)((start + seconds - probe_now()) * 1000);
        struct pollfd p = {s, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, left) <= 0)
            break;
        struct sockaddr_in from;
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
        if (n < 0)
            break;
        if (sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from, len) == n) {
            if (echoed++ == 0) {
                char peer[INET_ADDRSTRLEN];
                first = probe_now();
                if (inet_ntop(AF_INET, &from.sin_addr, peer, sizeof peer))
                    fact_string(env, "first_sender", peer);
            }
        }
    }
    close(s);
    fact_int(env, "port", port);
    fact_int(env, "echoed", echoed);
    fact_double(env, "served_seconds", probe_now() - start);
    if (first >= 0)
        fact_double(env, "first_datagram_after_s", first - start);
    return PROBE_OK;
}

/* The first bytes block.integrity writes with `seed`: what a sibling must never read. */
static void needle_of(uint64_t seed, unsigned char *out, size_t n)
{
    uint64_t state = seed;
    storage_fill(out, n, &state);
}

static unsigned char chunk[(1 << 20) + 64];

probe_status_t probe_block_scan(probe_env_t *env)
{
    int64_t seed = obj_int(env->params, "seed", 0);
    int64_t max_mib = obj_int(env->params, "max_mib_per_device", 64);
    if (seed == 0)
        return probe_unavailable(env, "no secret to look for (params.seed)");
    if (max_mib < 1 || max_mib > 1024) max_mib = 64;
    enum { NEEDLE = 64 };
    unsigned char needle[NEEDLE];
    needle_of((uint64_t)seed, needle, NEEDLE);
    char names[32][64], scanned[32][64], unreadable[32][64], path[128];
    int n = probe_list("/sys/block", NULL, names, 32), ns = 0, nu = 0;
    if (n < 0)
        return probe_error(env, "cannot list /sys/block: %s", strerror(errno));
    uint64_t total = 0;
    bool found = false;
    for (int i = 0; i < n && !found; i++) {
        if (strncmp(names[i], "loop", 4) == 0 || strncmp(names[i], "ram", 3) == 0)
            continue; /* the guest's own memory devices, not storage the platform gives it */
        snprintf(path, sizeof path, "/dev/%.60s", names[i]);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            snprintf(unreadable[nu++], 64, "%.60s", names[i]);
            continue;
        }
        snprintf(scanned[ns++], 64, "%.60s", names[i]);
        /* Chunks overlap by NEEDLE - 1 bytes so a secret across a chunk boundary is still found. */
        size_t keep = 0;
        for (uint64_t done = 0; done < (uint64_t)max_mib << 20;) {
            ssize_t got = read(fd, chunk + keep, 1 << 20);
            if (got <= 0)
                break;
            done += (uint64_t)got;
            total += (uint64_t)got;
            size_t have = keep + (size_t)got;
            if (memmem(chunk, have, needle, NEEDLE)) {
                found = true;
                fact_string(env, "found_on", names[i]);
                break;
            }
            keep = have < NEEDLE - 1 ? have : NEEDLE - 1;
            memmove(chunk, chunk + have - keep, keep);
        }
        close(fd);
    }
    fact_strings(env, "scanned", scanned, ns);
    fact_strings(env, "unreadable", unreadable, nu);
    fact_int(env, "devices_scanned", ns);
    fact_int(env, "bytes_scanned", (int64_t)total);
    fact_bool(env, "secret_found", found);
    return PROBE_OK;
}

/* Walks dir (depth-bounded), reading regular files and what symlinks point to, for token. */
typedef struct {
    const char *token;
    int entries, symlinks;
    bool found;
    char where[512];
} scan_t;

static void scan_tree(scan_t *scan, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[512];
    static char text[65536];
    while (!scan->found && scan->entries < 4096 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        scan->entries++;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat lst, st;
        if (lstat(path, &lst) != 0)
            continue;
        if (S_ISLNK(lst.st_mode))
            scan->symlinks++;
        if (stat(path, &st) != 0) /* follows a link: where it leads is what the guest can reach */
            continue;
        if (S_ISDIR(st.st_mode) && !S_ISLNK(lst.st_mode) && depth < 6) {
            scan_tree(scan, path, depth + 1);
        } else if (S_ISREG(st.st_mode)) {
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                continue;
            ssize_t got = read(fd, text, sizeof text - 1);
            close(fd);
            if (got > 0 && memmem(text, (size_t)got, scan->token, strlen(scan->token))) {
                scan->found = true;
                snprintf(scan->where, sizeof scan->where, "%s", path);
            }
        }
    }
    closedir(d);
}

probe_status_t probe_9p_scan(probe_env_t *env)
{
    char token[160], marker[160], tags[16][64], tag_list[16][64], dir[4500], mnt[64];
    if (!obj_string(env->params, "token", token, sizeof token) || strlen(token) < 8)
        return probe_unavailable(env, "no token to look for (params.token, 8 characters or more)");
    bool mark = obj_string(env->params, "marker", marker, sizeof marker) && marker[0];
    char drivers[4400];
    snprintf(drivers, sizeof drivers, "%s/bus/virtio/drivers/9pnet_virtio", env->sysfs_root);
    int n = probe_list(drivers, "virtio", tags, 16), nt = 0;
    scan_t scan = {.token = token};
    bool marked = false;
    for (int i = 0; i < n && !scan.found; i++) {
        char tag[64];
        snprintf(dir, sizeof dir, "%.4400s/%.60s", drivers, tags[i]);
        if (!sysfs_read_cstring(dir, "mount_tag", tag, sizeof tag))
            continue;
        snprintf(tag_list[nt++], 64, "%.60s", tag);
        snprintf(mnt, sizeof mnt, "/run/avps-9pscan-%d", i);
        mkdir("/run", 0755);
        mkdir(mnt, 0700);
        if (mount(tag, mnt, "9p", 0, "trans=virtio,version=9p2000.L") != 0) {
            fact_errno(env, "mount_error", "mount -t 9p", errno);
            continue;
        }
        if (mark && !marked) {
            char file[128];
            snprintf(file, sizeof file, "%s/avps-marker", mnt);
            int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd >= 0) {
                marked = write(fd, marker, strlen(marker)) == (ssize_t)strlen(marker);
                marked = fsync(fd) == 0 && marked;
                close(fd);
            }
        }
        /* Everything the share exposes, symlinks followed (where they lead in this guest is what the
         * guest can reach through the share); `..` at its root is this guest's own tree. */
        scan_tree(&scan, mnt, 0);
        umount(mnt);
        rmdir(mnt);
    }
    fact_strings(env, "tags", tag_list, nt);
    fact_int(env, "entries_scanned", scan.entries);
    fact_int(env, "symlinks_followed", scan.symlinks);
    if (mark)
        fact_bool(env, "marker_written", marked);
    fact_bool(env, "token_found", scan.found);
    if (scan.found)
        fact_string(env, "found_at", scan.where);
    return PROBE_OK;
}

probe_status_t probe_system_uptime(probe_env_t *env)
{
    char text[128];
    FILE *f = fopen("/proc/uptime", "re");
    if (!f)
        return probe_error(env, "/proc/uptime: %s", strerror(errno));
    double up = 0;
    int ok = fscanf(f, "%lf", &up);
    fclose(f);
    if (ok != 1)
        return probe_error(env, "/proc/uptime: unreadable");
    fact_double(env, "uptime_seconds", up);
    if (sysfs_read("/proc/sys/kernel/random", "boot_id", text, sizeof text))
        fact_string(env, "boot_id", text);
    return PROBE_OK;
}
