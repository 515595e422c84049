/* Autonomous mode (PROTOCOL.md 8): for boards that only a serial console connects to a farm. The
 * agent answers a plan of requests written by the host beforehand, with no host attached, and
 * prints each request and answer as checksummed console lines that `avps score --from-console`
 * turns back into evidence. */
#ifndef AVPS_AUTONOMOUS_H
#define AVPS_AUTONOMOUS_H

#include "methods.h"

#include <stdbool.h>
#include <stdio.h>

/* Where the plan lives in an image when the kernel command line only says `avps.autonomous`. */
#define AUTONOMOUS_DEFAULT_PLAN "/etc/avps/plan.jsonl"

/* Runs every request of the plan file, printing evidence lines to `out`. A `poweroff` request ends
 * the plan; it powers the machine off only when `may_power_off` (started from the kernel command
 * line in a guest, never from a test's --autonomous flag). Returns the process exit status. */
int autonomous_run(agent_t *a, const char *plan_path, FILE *out, bool may_power_off);

/* The plan named by the kernel command line word avps.autonomous[=PATH] into buf; false when the
 * word is absent. */
bool autonomous_requested(char *buf, size_t cap);

#endif
