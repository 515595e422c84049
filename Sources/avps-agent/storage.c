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

bool storage_pass(int fd, bool write_pass, uint64_t off, uint64_t bytes, uint64_t seed, uint64_t *mismatches)
{
    static unsigned char io[CHUNK] __attribute__((aligned(4096)));
    static unsigned char want[CHUNK];
    uint64_t state = seed ? seed : 1;
    for (uint64_t done = 0; done < bytes; done += CHUNK) {
        size_t n = bytes - done < CHUNK ? (size_t)(bytes - done) : CHUNK;
        if (write_pass) {
            storage_fill(io, n, &state);
            if (pwrite(fd, io, n, (off_t)(off + done)) != (ssize_t)n)
                return false;
        } else {
            storage_fill(want, n, &state);
            if (pread(fd, io, n, (off_t)(off + done)) != (ssize_t)n)
                return false;
            /* memcmp first: a byte loop cost 8x the read itself under TCG (read_mib_per_s 31
             * against 250 for writes); bytes are counted only in a chunk that differs. */
            if (memcmp(io, want, n) != 0)
                for (size_t i = 0; i < n; i++)
                    *mismatches += io[i] != want[i];
        }
    }
    return true;
}

probe_status_t storage_round_trip(probe_env_t *env, int fd, uint64_t off, uint64_t bytes, uint64_t seed)
{
    fact_int(env, "offset", (int64_t)off);
    fact_int(env, "bytes", (int64_t)bytes);
    fact_int(env, "seed", (int64_t)seed);
    uint64_t mismatches = 0;
    double t0 = probe_now();
    bool wrote = storage_pass(fd, true, off, bytes, seed, &mismatches);
    double t1 = probe_now();
    int werr = errno;
    fact_bool(env, "write_ok", wrote);
    if (!wrote)
        return probe_error(env, "pattern write at %llu: %s", (unsigned long long)off, strerror(werr));
    fact_bool(env, "flush_ok", fsync(fd) == 0);
    double t2 = probe_now();
    bool read = storage_pass(fd, false, off, bytes, seed, &mismatches);
    double t3 = probe_now();
    fact_bool(env, "read_ok", read);
    fact_int(env, "mismatched_bytes", (int64_t)mismatches);
    fact_bool(env, "verified", read && mismatches == 0);
    fact_double(env, "write_mib_per_s", (double)bytes / 1048576.0 / (t1 - t0));
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
