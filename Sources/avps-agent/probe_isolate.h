/* Running one device probe in a child process under a deadline (probe_isolate.c). */
#ifndef AVPS_PROBE_ISOLATE_H
#define AVPS_PROBE_ISOLATE_H

#include "probe.h"

/* Runs fn(env) in a child and copies its status, reason and facts into env, the facts object
 * closed (env->facts is positioned inside an open object on entry). A child that has not answered
 * within deadline_s is killed (or, stuck in the kernel, abandoned) and the result is `ok` with
 * only the `fault` fact "no answer from the device within N s". */
probe_status_t probe_isolated(probe_fn fn, probe_env_t *env, double deadline_s);

#endif
