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

/* Fault injection for the host's robustness tests (PROTOCOL.md 7.1): true when the kernel command
 * line holds the word avps.agent.test=<fault>. Never set in a real run. */
bool agent_test_fault(const char *fault);

/* Sends the unsolicited ready event. */
void agent_send_ready(agent_t *a);

#endif
