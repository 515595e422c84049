/* entropy.rate: bytes/s from /dev/hwrng with a virtio_rng source selected,
 * plus a monobit and a chi-square sanity check. */
#include "probe.h"
#include "sysfs.h"

#include <errno.h>
#include <signal.h>
#include <sys/time.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define HWRNG_DIR "class/misc/hw_random"
#define MAX_BYTES (1u << 20)
/* A non-blocking read posts one request (64 bytes for virtio_rng) and returns EAGAIN until the
 * device answers; a blocking read cannot be bounded (virtio_rng waits killably). The poll interval
 * caps the rate this probe can see: at 5 ms it measured its own sleeps (16 KiB in 1.1 s) on a device
 * that delivers 16 KiB in 20 ms, so it is short and reported with the result. */
#define POLL_INTERVAL_US 100

static unsigned char data[MAX_BYTES];

static bool write_current(const char *dir, const char *value)
{
    char path[4200];
    if (!path_join(path, sizeof path, dir, "rng_current"))
        return false;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = write(fd, value, strlen(value)) == (ssize_t)strlen(value);
    close(fd);
    return ok;
}

/* Fewer bytes than this are too few to judge quality: below it a chi-square over 256 bins has
 * expected counts under 16 and missing byte values become likely by chance alone. */
#define QUALITY_MIN_BYTES 4096

static volatile sig_atomic_t expired;
static void on_alarm(int sig) { (void)sig; expired = 1; }

/* Quality statistics of the sample (the thresholds and their false-alarm rates are in the profile
 * rows that judge them): chi-square over byte values, distinct values, monobit. */
static void quality_facts(probe_env_t *env, size_t got)
{
    if (got < QUALITY_MIN_BYTES) {
        fact_unmeasured(env, "only %zu bytes arrived, too few to judge their quality (needs %d)", got, QUALITY_MIN_BYTES);
        return;
    }
    uint64_t counts[256] = {0}, ones = 0;
    for (size_t i = 0; i < got; i++) {
        counts[data[i]]++;
        ones += (uint64_t)__builtin_popcount(data[i]);
    }
    double expected = (double)got / 256, chi = 0;
    int distinct = 0;
    for (int b = 0; b < 256; b++) {
        double d = (double)counts[b] - expected;
        chi += d * d / expected;
        distinct += counts[b] > 0;
    }
    double ones_fraction = (double)ones / (double)(got * 8);
    fact_double(env, "ones_fraction", ones_fraction);
    fact_double(env, "ones_fraction_deviation", ones_fraction > 0.5 ? ones_fraction - 0.5 : 0.5 - ones_fraction);
    fact_double(env, "chi_square", chi);
    fact_int(env, "distinct_byte_values", distinct);
    fact_int(env, "quality_sample_bytes", (int64_t)got);
}

/* Reads up to `want` bytes within `limit` seconds. The hw_random core can block even a
 * non-blocking read (its fill thread holds the reading lock while it waits on the device), so an
 * interval timer interrupts any read still blocked at the deadline. */
static size_t read_within(int fd, size_t want, double limit, int *err)
{
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_alarm; /* no SA_RESTART: a blocked read returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, &old);
    expired = 0;
    struct itimerval t = {{0, 0}, {(time_t)limit, (suseconds_t)((limit - (double)(time_t)limit) * 1e6) + 1000}};
    setitimer(ITIMER_REAL, &t, NULL);
    size_t got = 0;
    *err = 0;
    while (got < want && !expired) {
        ssize_t n = read(fd, data + got, want - got);
        if (n > 0) got += (size_t)n;
        else if (n < 0 && errno != EAGAIN && errno != EINTR) { *err = errno; break; }
        else if (n == 0) break;
        else usleep(POLL_INTERVAL_US);
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    sigaction(SIGALRM, &old, NULL);
    return got;
}

/* Selects the virtio_rng source in rng_current (restored by the caller from `current`). */
static probe_status_t select_source(probe_env_t *env, char *dir, size_t dcap, char *current, size_t ccap,
                                    char *chosen, size_t chcap)
{
    char avail[512];
    if (!path_join(dir, dcap, env->sysfs_root, HWRNG_DIR) || !sysfs_read(dir, "rng_available", avail, sizeof avail))
        return probe_unavailable(env, "no hw_random core in the guest kernel (%s missing)", HWRNG_DIR);
    for (char *tok = strtok(avail, " "); tok; tok = strtok(NULL, " "))
        if (strncmp(tok, "virtio_rng.", 11) == 0 && !chosen[0])
            snprintf(chosen, chcap, "%s", tok);
    if (!chosen[0])
        return probe_unavailable(env, "no virtio_rng source registered with hw_random");
    if (!sysfs_read(dir, "rng_current", current, ccap))
        current[0] = '\0';
    if (strcmp(current, chosen) != 0 && !write_current(dir, chosen))
        return probe_error(env, "cannot select %s in rng_current: %s", chosen, strerror(errno));
    fact_string(env, "source", chosen);
    return PROBE_OK;
}

probe_status_t probe_entropy_rate(probe_env_t *env)
{
    char dir[4200] = "", current[128] = "", chosen[64] = "", path[256];
    /* params.path (tests only): read another source, e.g. /dev/urandom, through the same statistics */
    bool test_source = obj_string(env->params, "path", path, sizeof path) && path[0];
    if (!test_source) {
        probe_status_t st = select_source(env, dir, sizeof dir, current, sizeof current, chosen, sizeof chosen);
        if (st != PROBE_OK)
            return st;
        snprintf(path, sizeof path, "/dev/hwrng");
    }
    size_t want = (size_t)obj_int(env->params, "bytes", 65536);
    double limit = (double)obj_int(env->params, "max_seconds", 5);
    if (want < 1024 || want > MAX_BYTES) want = 65536;
    if (limit < 1 || limit > 5) limit = 5; /* below the agent's 8 s deadline for this probe */
    bool restore = !test_source && current[0] && strcmp(current, chosen) != 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (restore) write_current(dir, current);
        return probe_unavailable(env, "open %s: %s", path, strerror(e));
    }
    int err;
    double t0 = probe_now();
    size_t got = read_within(fd, want, limit, &err);
    double secs = probe_now() - t0;
    close(fd);
    if (restore)
        write_current(dir, current);
    fact_int(env, "bytes", (int64_t)got);
    fact_double(env, "seconds", secs);
    fact_double(env, "bytes_per_second", secs > 0 ? (double)got / secs : 0);
    fact_int(env, "poll_interval_us", POLL_INTERVAL_US);
    if (err)
        fact_errno(env, "read_error", "read /dev/hwrng", err);
    if (got == 0) { /* bytes = 0 fails the delivery requirement; this names the stall in its reason */
        char text[96];
        snprintf(text, sizeof text, "no data from the entropy device within %.0f s", limit);
        fact_string(env, "stall_error", text);
    }
    else if (got < want)
        fact_string(env, "short_read", "fewer bytes than requested arrived before the deadline");
    quality_facts(env, got);
    return PROBE_OK;
}
