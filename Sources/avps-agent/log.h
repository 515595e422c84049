/* stderr logging; in the guest stderr is the kernel console, so keep lines short. */
#ifndef AVPS_LOG_H
#define AVPS_LOG_H

void agent_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
