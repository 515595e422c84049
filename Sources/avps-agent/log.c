#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

/* Every line is prefixed so it can be picked out of a mixed console log. */
void agent_log(const char *fmt, ...)
{
    int saved = errno; /* callers often log and then inspect errno */
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "avps-agent: %s\n", line);
    fflush(stderr);
    errno = saved;
}
