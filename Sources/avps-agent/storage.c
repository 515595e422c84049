#include "storage.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1u << 20)
#define MAX_BYTES (16u << 20)

void storage_region(probe_env_t *env, uint64_t *off, uint64_t *bytes, uint64_t *seed)
{
    *off = (uint64_t)obj_int(env->params, "offset", 1 << 20) & ~4095ull;
    *bytes = (uint64_t)obj_int(env->params, "bytes", 4 << 20) & ~4095ull;
    *seed = (uint64_t)obj_int(env->params, "seed", 0x5eed);
    if (*bytes == 0 || *bytes > MAX_BYTES)
        *bytes = 4 << 20;
}

void storage_fill(unsigned char *b, size_t n, uint64_t *state)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t x = *state;
        x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
        *state = x;
        uint64_t v = x * 0x2545F4914F6CDD1Dull;
        memcpy(b + i, &v, n - i < 8 ? n - i : 8);
    }
}

bool storage_pass(int fd, bool write_pass, uint64_t off, uint64_t bytes, uint64_t seed, uint64_t *mismatches,
                  storage_failure_t *fail)
{
    static unsigned char io[CHUNK] __attribute__((aligned(4096)));
    static unsigned char want[CHUNK];
    uint64_t state = seed ? seed : 1;
    for (uint64_t done = 0; done < bytes; done += CHUNK) {
        size_t n = bytes - done < CHUNK ? (size_t)(bytes - done) : CHUNK;
        ssize_t r;
        if (write_pass) {
            storage_fill(io, n, &state);
            errno = 0;
            r = pwrite(fd, io, n, (off_t)(off + done));
        } else {
            storage_fill(want, n, &state);
            errno = 0;
            r = pread(fd, io, n, (off_t)(off + done));
        }
        if (r != (ssize_t)n) {
            fail->at = off + done;
            fail->err = r < 0 ? errno : 0;
            return false;
        }
        /* memcmp first: a byte loop cost 8x the read itself under TCG (read_mib_per_s 31
         * against 250 for writes); bytes are counted only in a chunk that differs. */
        if (!write_pass && memcmp(io, want, n) != 0)
            for (size_t i = 0; i < n; i++)
                *mismatches += io[i] != want[i];
    }
    return true;
}

/* "write at N" / "read at N" with the errno, as the fact `key`; the first one is also the fault. */
static void io_failure(probe_env_t *env, const char *key, const char *what, storage_failure_t f, bool *faulted)
{
    char op[64], text[320];
    snprintf(op, sizeof op, "%s at %llu", what, (unsigned long long)f.at);
    errno_text(text, sizeof text, op, f.err);
    fact_string(env, key, text);
    if (!*faulted)
        fact_fault(env, "%s", text);
    *faulted = true;
}

probe_status_t storage_round_trip(probe_env_t *env, int fd, uint64_t off, uint64_t bytes, uint64_t seed)
{
    fact_int(env, "offset", (int64_t)off);
    fact_int(env, "bytes", (int64_t)bytes);
    fact_int(env, "seed", (int64_t)seed);
    uint64_t mismatches = 0;
    storage_failure_t wfail = {0, 0}, rfail = {0, 0};
    bool faulted = false;
    /* Every step runs even after one fails, so each requirement is judged on its own step:
     * a failed write leaves the flush and the read to be measured (the read then mismatches). */
    double t0 = probe_now();
    bool wrote = storage_pass(fd, true, off, bytes, seed, &mismatches, &wfail);
    double t1 = probe_now();
    fact_bool(env, "write_ok", wrote);
    if (!wrote)
        io_failure(env, "write_error", "write", wfail, &faulted);
    errno = 0;
    bool flushed = fsync(fd) == 0;
    int ferr = errno;
    fact_bool(env, "flush_ok", flushed);
    if (!flushed)
        fact_errno(env, "flush_error", "fsync (flush)", ferr);
    double t2 = probe_now();
    bool read = storage_pass(fd, false, off, bytes, seed, &mismatches, &rfail);
    double t3 = probe_now();
    fact_bool(env, "read_ok", read);
    if (!read)
        io_failure(env, "read_error", "read", rfail, &faulted);
    else
        fact_int(env, "mismatched_bytes", (int64_t)mismatches);
    fact_bool(env, "verified", wrote && read && mismatches == 0);
    if (wrote)
        fact_double(env, "write_mib_per_s", (double)bytes / 1048576.0 / (t1 - t0));
    if (read)
        fact_double(env, "read_mib_per_s", (double)bytes / 1048576.0 / (t3 - t2));
    return PROBE_OK;
}

bool storage_mounted(const char *disk)
{
    char line[512], dev[300];
    bool found = false;
    FILE *f = fopen("/proc/mounts", "re");
    snprintf(dev, sizeof dev, "/dev/%s", disk);
    size_t n = strlen(dev);
    while (f && !found && fgets(line, sizeof line, f))
        found = strncmp(line, dev, n) == 0 && (line[n] == ' ' || (line[n] >= '0' && line[n] <= '9') || line[n] == 'p');
    if (f)
        fclose(f);
    return found;
}
