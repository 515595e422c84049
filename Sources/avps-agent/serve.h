/* The agent's single-threaded request loop. */
#ifndef AVPS_SERVE_H
#define AVPS_SERVE_H

#include "methods.h"

/* Serves requests forever; in stdio mode returns at end of input. */
void serve(agent_t *a);

#endif
