#include "request.h"

#include "jsonscan.h"

#include <stdio.h>
#include <string.h>

bool request_is_blank(const char *frame, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char ch = frame[i];
        if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n')
            return false;
    }
    return true;
}

/* Sets a non-syntax error; syntax errors are already in req->error via the cursor. */
static void reject(request_t *req, const char *msg)
{
    req->ok = false;
    snprintf(req->error, sizeof req->error, "%s", msg);
}

/* Top level: one object whose "id", "method" and "params" members are checked;
 * other members are validated and ignored so later protocol versions can add
 * fields. A frame that is not valid JSON never echoes an id. */
void request_parse(const char *frame, size_t len, request_t *req)
{
    cursor_t c = {(const unsigned char *)frame, len, 0, req->error, sizeof req->error, false};
    bool seen_id = false, seen_method = false, seen_params = false;
    bool id_ok = false, method_ok = false, params_ok = true;

    memset(req, 0, sizeof *req);
    c.err = req->error;

    js_skip_ws(&c);
    if (js_peek(&c) != '{') {
        if (js_value(&c, 0)) {
            js_skip_ws(&c);
            if (js_peek(&c) == -1)
                reject(req, "request must be a JSON object");
            else
                js_fail(&c, "trailing data after value");
        }
        return;
    }
    c.i++;
    js_skip_ws(&c);
    bool empty = js_peek(&c) == '}';
    if (empty)
        c.i++;
    while (!empty) {
        char key[16];
        size_t klen = 0;
        bool ktrunc = false;
        js_skip_ws(&c);
        if (js_peek(&c) != '"') {
            js_fail(&c, "expected string key");
            return;
        }
        if (!js_string(&c, key, sizeof key - 1, &klen, &ktrunc))
            return;
        js_skip_ws(&c);
        if (js_peek(&c) != ':') {
            js_fail(&c, "expected ':'");
            return;
        }
        c.i++;
        js_skip_ws(&c);
        int first = js_peek(&c);
        bool known = !ktrunc;
        if (known && strcmp(key, "id") == 0) {
            if (seen_id) { js_fail(&c, "duplicate key \"id\""); return; }
            seen_id = true;
            if (first == '-' || (first >= '0' && first <= '9')) {
                if (!js_number(&c, &id_ok, &req->id))
                    return;
            } else if (!js_value(&c, 1)) {
                return;
            }
        } else if (known && strcmp(key, "method") == 0) {
            if (seen_method) { js_fail(&c, "duplicate key \"method\""); return; }
            seen_method = true;
            if (first == '"') {
                size_t mlen = 0;
                if (!js_string(&c, req->method, REQ_METHOD_MAX, &mlen, &req->method_truncated))
                    return;
                method_ok = true;
            } else if (!js_value(&c, 1)) {
                return;
            }
        } else if (known && strcmp(key, "params") == 0) {
            if (seen_params) { js_fail(&c, "duplicate key \"params\""); return; }
            seen_params = true;
            params_ok = first == '{';
            size_t at = c.i;
            if (!js_value(&c, 1))
                return;
            req->params_at = at;
            req->params_len = c.i - at;
        } else if (!js_value(&c, 1)) {
            return;
        }
        js_skip_ws(&c);
        int ch = js_peek(&c);
        if (ch == '}') {
            c.i++;
            break;
        }
        if (ch != ',') {
            js_fail(&c, "expected ',' or '}'");
            return;
        }
        c.i++;
    }
    js_skip_ws(&c);
    if (js_peek(&c) != -1) {
        js_fail(&c, "trailing data after object");
        return;
    }

    /* Valid JSON from here on; report the first protocol-level problem. */
    if (!seen_id) { reject(req, "missing \"id\""); return; }
    if (!id_ok) { reject(req, "\"id\" must be an integer in the signed 64-bit range"); return; }
    req->has_id = true;
    if (!seen_method) { reject(req, "missing \"method\""); return; }
    if (!method_ok) { reject(req, "\"method\" must be a string"); return; }
    if (!params_ok) { reject(req, "\"params\" must be an object"); return; }
    req->ok = true;
}
