/* net.link: interface up, optional static address, carrier, MTU, MAC.
 * net.udp_echo: real UDP datagrams to an echo peer the host runs. */
#include "probe.h"
#include "sysfs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static bool set_addr(int s, const char *ifname, unsigned long req, struct in_addr a)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
    sin->sin_family = AF_INET;
    sin->sin_addr = a;
    return ioctl(s, req, &ifr) == 0;
}

/* Brings the interface up with the requested address; writes link facts. */
static probe_status_t link_up(probe_env_t *env, char *ifname, size_t cap)
{
    char sys[4400], text[64], addr[32];
    if (!probe_child(env->virtio_dir, "net", NULL, ifname, cap))
        return probe_unavailable(env, "%s has no network interface (driver not bound?)", env->device);
    snprintf(sys, sizeof sys, "%s/net/%s", env->virtio_dir, ifname);
    fact_string(env, "interface", ifname);
    if (sysfs_read(sys, "address", text, sizeof text))
        fact_string(env, "mac", text);
    if (sysfs_read(sys, "mtu", text, sizeof text))
        fact_int(env, "mtu", strtoll(text, NULL, 10));
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return probe_error(env, "socket: %s", strerror(errno));
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    bool up = ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
    if (up && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        up = ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
    }
    fact_bool(env, "admin_up", up);
    if (obj_string(env->params, "address", addr, sizeof addr)) {
        struct in_addr a, mask;
        int prefix = (int)obj_int(env->params, "prefix", 24);
        if (prefix < 1 || prefix > 32 || inet_pton(AF_INET, addr, &a) != 1) {
            close(s);
            return probe_error(env, "bad address %s/%d", addr, prefix);
        }
        mask.s_addr = htonl(0xffffffffu << (32 - prefix));
        bool ok = set_addr(s, ifname, SIOCSIFADDR, a) && set_addr(s, ifname, SIOCSIFNETMASK, mask);
        fact_bool(env, "address_set", ok);
        fact_string(env, "address", addr);
    }
    close(s);
    /* Carrier follows the device's STATUS LINK_UP once the interface is up. */
    bool carrier = false;
    for (double end = probe_now() + 3; !carrier && probe_now() < end;) {
        carrier = sysfs_read(sys, "carrier", text, sizeof text) && strcmp(text, "1") == 0;
        if (!carrier)
            usleep(50000);
    }
    fact_bool(env, "carrier", carrier);
    if (sysfs_read(sys, "operstate", text, sizeof text))
        fact_string(env, "operstate", text);
    return PROBE_OK;
}

probe_status_t probe_net_link(probe_env_t *env)
{
    char ifname[IFNAMSIZ + 1];
    return link_up(env, ifname, sizeof ifname);
}

probe_status_t probe_net_udp_echo(probe_env_t *env)
{
    char ifname[IFNAMSIZ + 1], peer[32];
    probe_status_t st = link_up(env, ifname, sizeof ifname);
    if (st != PROBE_OK)
        return st;
    int port = (int)obj_int(env->params, "port", 0);
    int count = (int)obj_int(env->params, "count", 20);
    int size = (int)obj_int(env->params, "size", 512);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (!obj_string(env->params, "peer", peer, sizeof peer) || inet_pton(AF_INET, peer, &to.sin_addr) != 1 ||
        port < 1 || port > 65535)
        return probe_unavailable(env, "no echo peer given (params.peer and params.port)");
    if (count < 1 || count > 1000) count = 20;
    if (size < 16 || size > 1400) size = 512;
    /* broadcast: `peer` is the link's broadcast address; every sibling serving the port echoes, so
     * the socket stays unconnected (echoes come from each sibling's own address). */
    bool broadcast = obj_bool(env->params, "broadcast", false);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return probe_error(env, "socket: %s", strerror(errno));
    int on = 1;
    if (broadcast && setsockopt(s, SOL_SOCKET, SO_BROADCAST, &on, sizeof on) != 0) {
        int e = errno;
        close(s);
        return probe_error(env, "SO_BROADCAST: %s", strerror(e));
    }
    if (!broadcast && connect(s, (struct sockaddr *)&to, sizeof to) != 0) {
        int e = errno;
        close(s);
        fact_errno(env, "connect_error", "connect", e); /* no route from this interface: the platform's */
        fact_fault(env, "connect %s:%d: %s", peer, port, strerror(e));
        return PROBE_OK;
    }
    unsigned char out[1400], in[1500];
    static bool answered[1000];
    memset(answered, 0, sizeof answered);
    int sent = 0, received = 0, corrupted = 0, late = 0;
    struct in_addr responders[16];
    int responder_count = 0;
    double rtt_sum = 0, rtt_max = 0, start = probe_now();
    int missed_in_a_row = 0;
    bool stopped = false;
    /* Bounded well inside the agent's 12 s deadline for this probe: at most 8 s in all, and a peer
     * that has echoed nothing by the third datagram is unreachable (the rest would only wait). */
    for (int seq = 0; seq < count; seq++) {
        if (probe_now() - start > 8.0 || (received == 0 && missed_in_a_row >= 3)) {
            stopped = true;
            break;
        }
        for (int i = 0; i < size; i++)
            out[i] = (unsigned char)(seq * 31 + i);
        double t0 = probe_now();
        if (sendto(s, out, (size_t)size, 0, broadcast ? (struct sockaddr *)&to : NULL, broadcast ? sizeof to : 0) == size)
            sent++;
        /* Wait up to 1 s for this datagram's echo; stale echoes are skipped. */
        for (;;) {
            int left = (int)((t0 + 1.0 - probe_now()) * 1000);
            struct pollfd p = {s, POLLIN, 0};
            if (left <= 0 || poll(&p, 1, left) <= 0) {
                missed_in_a_row++;
                break;
            }
            struct sockaddr_in from;
            socklen_t from_len = sizeof from;
            ssize_t n = recvfrom(s, in, sizeof in, 0, (struct sockaddr *)&from, &from_len);
            if (n < 0)
                break;
            if (broadcast && n == size && responder_count < 16) {
                bool known = false;
                for (int r = 0; r < responder_count; r++)
                    known = known || responders[r].s_addr == from.sin_addr.s_addr;
                if (!known)
                    responders[responder_count++] = from.sin_addr;
            }
            /* An echo of an earlier datagram that missed its 1 s window still arrived: late, not
             * lost (a loaded host delays it, a broken path never delivers it). Byte 0 of datagram
             * k is 31k mod 256, and 223 is 31's inverse mod 256. */
            int earlier = (in[0] * 223) & 0xff;
            if (n == size && earlier < seq && earlier < count && !answered[earlier] && in[0] != out[0]) {
                answered[earlier] = true;
                late++;
                continue;
            }
            if (n == size && in[0] == out[0] && in[size - 1] == out[size - 1]) {
                answered[seq] = true;
                double rtt = (probe_now() - t0) * 1000;
                received++;
                corrupted += memcmp(in, out, (size_t)size) != 0;
                rtt_sum += rtt;
                if (rtt > rtt_max) rtt_max = rtt;
                missed_in_a_row = 0;
                break;
            }
        }
    }
    close(s);
    fact_string(env, "peer", peer);
    fact_int(env, "port", port);
    fact_int(env, "payload_bytes", size);
    fact_int(env, "sent", sent);
    fact_int(env, "received", received);
    fact_int(env, "late", late);
    fact_int(env, "lost", sent - received - late);
    fact_int(env, "corrupted", corrupted);
    if (broadcast) {
        fact_bool(env, "broadcast", true);
        fact_int(env, "responders", responder_count);
    }
    if (stopped) {
        fact_bool(env, "stopped_early", true);
        fact_string(env, "echo_error", received == 0 ? "no echo for the first 3 datagrams: the peer is unreachable"
                                                     : "the 8 s budget ran out before every datagram was sent");
    }
    if (received > 0) {
        fact_double(env, "rtt_avg_ms", rtt_sum / received);
        fact_double(env, "rtt_max_ms", rtt_max);
    }
    return PROBE_OK;
}
