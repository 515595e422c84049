#include "methods.h"

#include "agent.h"
#include "inventory.h"
#include "sysfs.h"
#include "jsonw.h"
#include "log.h"
#include "params.h"
#include "probe.h"
#include "request.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <unistd.h>

/* One response at a time, so one static buffer; the last byte is kept for '\n'. */
static char out_buf[FRAME_MAX];
static jw_t out;
static bool out_has_id;   /* the id of the response being built, for the overflow error */
static int64_t out_id;

static void send_out(agent_t *a)
{
    if (out.overflow) { /* a result too large for one frame is our bug, not the host's */
        jw_reset(&out);
        jw_begin_object(&out);
        jw_key(&out, "id");
        if (out_has_id)
            jw_int(&out, out_id);
        else
            jw_null(&out);
        jw_key(&out, "error");
        jw_begin_object(&out);
        jw_key(&out, "code");
        jw_string(&out, "internal");
        jw_key(&out, "message");
        jw_string(&out, "response exceeds the 1 MiB frame limit");
        jw_end_object(&out);
        jw_end_object(&out);
    }
    out_buf[out.len] = '\n';
    if (!channel_send(&a->ch, out_buf, out.len + 1) && a->ch.stdio)
        exit(1); /* nobody is reading our answers any more */
}

static void begin_response(bool has_id, int64_t id)
{
    jw_init(&out, out_buf, sizeof out_buf - 1);
    out_has_id = has_id;
    out_id = id;
    jw_begin_object(&out);
    jw_key(&out, "id");
    if (has_id)
        jw_int(&out, id);
    else
        jw_null(&out);
}

static void send_error(agent_t *a, bool has_id, int64_t id, const char *code, const char *msg)
{
    begin_response(has_id, id);
    jw_key(&out, "error");
    jw_begin_object(&out);
    jw_key(&out, "code");
    jw_string(&out, code);
    jw_key(&out, "message");
    jw_string(&out, msg);
    jw_end_object(&out);
    jw_end_object(&out);
    send_out(a);
}

void agent_send_ready(agent_t *a)
{
    jw_init(&out, out_buf, sizeof out_buf - 1);
    out_has_id = false;
    jw_begin_object(&out);
    jw_key(&out, "event");
    jw_string(&out, "ready");
    jw_key(&out, "agent_version");
    jw_string(&out, AGENT_VERSION);
    jw_key(&out, "protocol_version");
    jw_int(&out, PROTOCOL_VERSION);
    jw_end_object(&out);
    send_out(a);
}

void agent_handle_too_large(agent_t *a)
{
    char msg[96];
    snprintf(msg, sizeof msg, "frame exceeds %u bytes including newline; discarded", FRAME_MAX);
    send_error(a, false, 0, "frame_too_large", msg);
}

static void do_hello(agent_t *a, int64_t id)
{
    struct utsname u;
    if (uname(&u) != 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "uname: %s", strerror(errno));
        send_error(a, true, id, "internal", msg);
        return;
    }
    begin_response(true, id);
    jw_key(&out, "result");
    jw_begin_object(&out);
    jw_key(&out, "agent_version");
    jw_string(&out, AGENT_VERSION);
    jw_key(&out, "protocol_version");
    jw_int(&out, PROTOCOL_VERSION);
    jw_key(&out, "kernel_release");
    jw_string(&out, u.release);
    jw_key(&out, "machine");
    jw_string(&out, u.machine);
    jw_end_object(&out);
    jw_end_object(&out);
    send_out(a);
}

bool agent_test_fault(const char *fault)
{
    char line[4096], word[96];
    if (!proc_cmdline(line, sizeof line))
        return false;
    snprintf(word, sizeof word, "avps.agent.test=%s", fault);
    size_t len = strlen(word);
    for (const char *p = strstr(line, word); p; p = strstr(p + 1, word)) {
        bool starts = p == line || p[-1] == ' ';
        bool ends = p[len] == '\0' || p[len] == ' ' || p[len] == '\n';
        if (starts && ends)
            return true;
    }
    return false;
}

static void do_inventory(agent_t *a, int64_t id)
{
    char err[PATH_MAX + 64];
    if (agent_test_fault("die-before-inventory")) {
        agent_log("avps.agent.test=die-before-inventory: exiting instead of answering");
        exit(3);
    }
    begin_response(true, id);
    jw_key(&out, "result");
    if (!inventory_write(&out, a->sysfs_root, err, sizeof err)) {
        send_error(a, true, id, "internal", err);
        return;
    }
    jw_end_object(&out);
    send_out(a);
}

static void do_probe(agent_t *a, const request_t *req, const char *frame)
{
    jobj_t params = {req->params_len ? frame + req->params_at : NULL, req->params_len};
    char name[64];
    if (!obj_string(params, "name", name, sizeof name)) {
        send_error(a, true, req->id, "bad_request", "probe needs params.name (a string)");
        return;
    }
    static int probes_answered;
    if (agent_test_fault("die-mid-probe") && probes_answered++ > 0) {
        agent_log("avps.agent.test=die-mid-probe: exiting instead of answering the second probe");
        exit(3);
    }
    begin_response(true, req->id);
    jw_key(&out, "result");
    probe_run(&out, a->sysfs_root, params);
    jw_end_object(&out);
    send_out(a);
}

/* The answer goes out before the power is cut: channel_send returns only
 * after write() accepted every byte. */
static void do_poweroff(agent_t *a, int64_t id)
{
    begin_response(true, id);
    jw_key(&out, "result");
    jw_begin_object(&out);
    jw_end_object(&out);
    jw_end_object(&out);
    send_out(a);
    if (a->ch.stdio) /* test mode: never power off the machine running the tests */
        exit(0);
    agent_log("powering off");
    channel_settle(&a->ch);
    sync();
    if (reboot(RB_POWER_OFF) != 0)
        agent_log("reboot(RB_POWER_OFF): %s", strerror(errno));
}

void agent_handle_frame(agent_t *a, const char *frame, size_t len)
{
    static request_t req;
    if (request_is_blank(frame, len))
        return;
    request_parse(frame, len, &req);
    if (!req.ok) {
        send_error(a, req.has_id, req.id, "bad_request", req.error);
        return;
    }
    if (!req.method_truncated && strcmp(req.method, "hello") == 0)
        do_hello(a, req.id);
    else if (!req.method_truncated && strcmp(req.method, "inventory") == 0)
        do_inventory(a, req.id);
    else if (!req.method_truncated && strcmp(req.method, "probe") == 0)
        do_probe(a, &req, frame);
    else if (!req.method_truncated && strcmp(req.method, "poweroff") == 0)
        do_poweroff(a, req.id);
    else {
        char msg[REQ_METHOD_MAX + 64];
        snprintf(msg, sizeof msg, "unknown method \"%s\"%s", req.method,
                 req.method_truncated ? " (truncated)" : "");
        send_error(a, true, req.id, "unknown_method", msg);
    }
}
