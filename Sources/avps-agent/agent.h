/* Shared constants of the avps in-guest agent. */
#ifndef AVPS_AGENT_H
#define AVPS_AGENT_H

#define AGENT_VERSION "0.1.0"
#define PROTOCOL_VERSION 1

/* One frame, including its terminating '\n', never exceeds this many bytes
 * (PROTOCOL.md "Framing"). Both directions use it, so buffers are static. */
#define FRAME_MAX 1048576u

/* The virtio-serial port name the host side creates for us. */
#define AGENT_PORT_NAME "org.avps.agent.0"

#endif
