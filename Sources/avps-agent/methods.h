/* Request dispatch: turns one frame into exactly one response frame. */
#ifndef AVPS_METHODS_H
#define AVPS_METHODS_H

#include "channel.h"

#include <stddef.h>

typedef struct {
    channel_t ch;
    const char *sysfs_root;
} agent_t;

/* Handles one request frame (without '\n'); blank frames are ignored. */
void agent_handle_frame(agent_t *a, const char *frame, size_t len);

/* Answers an oversized frame that has just been discarded. */
void agent_handle_too_large(agent_t *a);

/* Sends the unsolicited ready event. */
void agent_send_ready(agent_t *a);

#endif
