/* Small, bounded readers for sysfs attribute files and links. Every reader
 * reports failure instead of guessing, so callers can emit JSON null. */
#ifndef AVPS_SYSFS_H
#define AVPS_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reads at most cap-1 bytes of dir/name into buf, NUL-terminated, with one
 * trailing '\n' removed. Returns false (errno set) on error, or if the file
 * holds more than cap-1 bytes or a NUL byte. */
bool sysfs_read(const char *dir, const char *name, char *buf, size_t cap);

/* Reads a "0x..." hex attribute such as device, vendor or status. */
bool sysfs_read_hex(const char *dir, const char *name, uint64_t *out);
/* A string attribute that ends in NUL (a 9p mount_tag, a device-tree property), which
 * sysfs_read refuses as binary: the text up to the first NUL or newline; false if empty. */
bool sysfs_read_cstring(const char *dir, const char *name, char *buf, size_t cap);

/* Basename of the target of the symlink dir/name into buf. */
bool sysfs_link_basename(const char *dir, const char *name, char *buf, size_t cap);

/* The kernel command line (/proc/cmdline) into buf, NUL-terminated; false if unreadable. */
bool proc_cmdline(char *buf, size_t cap);

/* Joins two path parts into buf; false if it would not fit. */
bool path_join(char *buf, size_t cap, const char *a, const char *b);

#endif
