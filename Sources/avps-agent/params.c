#include "params.h"

#include "jsonscan.h"

#include <string.h>

/* Positions the cursor on the value of `key`; false if the key is absent. */
static bool find(jobj_t obj, const char *key, cursor_t *c, char *err, size_t errcap)
{
    if (!obj.s || obj.n == 0)
        return false;
    *c = (cursor_t){(const unsigned char *)obj.s, obj.n, 0, err, errcap, false};
    js_skip_ws(c);
    if (js_peek(c) != '{')
        return false;
    c->i++;
    for (;;) {
        char k[64];
        size_t klen = 0;
        bool trunc = false;
        js_skip_ws(c);
        if (js_peek(c) != '"' || !js_string(c, k, sizeof k - 1, &klen, &trunc))
            return false;
        js_skip_ws(c);
        if (js_peek(c) != ':')
            return false;
        c->i++;
        js_skip_ws(c);
        if (!trunc && strcmp(k, key) == 0)
            return true;
        if (!js_value(c, 1))
            return false;
        js_skip_ws(c);
        if (js_peek(c) != ',')
            return false;
        c->i++;
    }
}

jobj_t obj_object(jobj_t obj, const char *key)
{
    cursor_t c;
    char err[8];
    jobj_t none = {NULL, 0};
    if (!find(obj, key, &c, err, sizeof err) || js_peek(&c) != '{')
        return none;
    size_t at = c.i;
    if (!js_value(&c, 1))
        return none;
    return (jobj_t){obj.s + at, c.i - at};
}

bool obj_string(jobj_t obj, const char *key, char *out, size_t cap)
{
    cursor_t c;
    char err[8];
    size_t len = 0;
    bool trunc = false;
    if (cap < 1 || !find(obj, key, &c, err, sizeof err) || js_peek(&c) != '"')
        return false;
    return js_string(&c, out, cap - 1, &len, &trunc) && !trunc;
}

int64_t obj_int(jobj_t obj, const char *key, int64_t def)
{
    cursor_t c;
    char err[8];
    bool is_int = false;
    int64_t v = 0;
    if (!find(obj, key, &c, err, sizeof err))
        return def;
    int ch = js_peek(&c);
    if (ch != '-' && (ch < '0' || ch > '9'))
        return def;
    return js_number(&c, &is_int, &v) && is_int ? v : def;
}

bool obj_bool(jobj_t obj, const char *key, bool def)
{
    cursor_t c;
    char err[8];
    if (!find(obj, key, &c, err, sizeof err))
        return def;
    if (c.n - c.i >= 4 && memcmp(c.s + c.i, "true", 4) == 0)
        return true;
    if (c.n - c.i >= 5 && memcmp(c.s + c.i, "false", 5) == 0)
        return false;
    return def;
}
