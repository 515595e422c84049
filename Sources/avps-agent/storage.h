/* What the storage probes (block.integrity, pmem.integrity) share: the seeded pattern they write
 * and check, and the refusal to write to a disk that is mounted. */
#ifndef AVPS_STORAGE_H
#define AVPS_STORAGE_H

#include "probe.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* xorshift64* bytes (little-endian words): the same seed gives the same stream on every run,
 * and the host can reproduce it (it checks pmem backing files against it). */
void storage_fill(unsigned char *b, size_t n, uint64_t *state);

/* Where a pass stopped: the offset of the chunk and its errno (0: a short transfer). */
typedef struct {
    uint64_t at;
    int err;
} storage_failure_t;

/* One pass over [off, off + bytes) of fd in 1 MiB chunks: writes the stream of `seed`, or reads
 * and adds the bytes that differ from it to *mismatches. False when a read or write fails (*fail
 * says where and why). */
bool storage_pass(int fd, bool write_pass, uint64_t off, uint64_t bytes, uint64_t seed, uint64_t *mismatches,
                  storage_failure_t *fail);

/* The region and seed a storage probe writes: params `offset` (default 1 MiB) and `bytes`
 * (default 4 MiB, at most 16 MiB), both rounded down to 4 KiB, and `seed`. */
void storage_region(probe_env_t *env, uint64_t *off, uint64_t *bytes, uint64_t *seed);

/* Writes the pattern at off, flushes (fsync), reads it back and compares, as facts: offset,
 * bytes, seed, write_ok, flush_ok, read_ok, mismatched_bytes, verified, write_mib_per_s,
 * read_mib_per_s; a failed step adds write_error / flush_error / read_error (operation, offset,
 * errno) and the first failed transfer is the `fault`. Always PROBE_OK: the device's failures
 * are facts for the host to judge, not a broken probe. */
probe_status_t storage_round_trip(probe_env_t *env, int fd, uint64_t off, uint64_t bytes, uint64_t seed);

/* True when /dev/<disk> or one of its partitions is mounted. */
bool storage_mounted(const char *disk);

#endif
