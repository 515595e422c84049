#include "jsonw.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void jw_init(jw_t *w, char *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    jw_reset(w);
}

void jw_reset(jw_t *w)
{
    w->len = 0;
    w->overflow = false;
    w->depth = 0;
    w->first[0] = true;
    w->after_key = false;
}

static void put(jw_t *w, const char *s, size_t n)
{
    if (w->overflow || n > w->cap - w->len) {
        w->overflow = true;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void putc1(jw_t *w, char c) { put(w, &c, 1); }

/* Emits the separator a new value needs at the current nesting level. */
static void before_value(jw_t *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (!w->first[w->depth])
        putc1(w, ',');
    w->first[w->depth] = false;
}

static void open_container(jw_t *w, char c)
{
    before_value(w);
    putc1(w, c);
    if (w->depth + 1 >= JW_MAX_DEPTH) { /* programming error; fail closed */
        w->overflow = true;
        return;
    }
    w->first[++w->depth] = true;
}

static void close_container(jw_t *w, char c)
{
    putc1(w, c);
    if (w->depth > 0)
        w->depth--;
}

void jw_begin_object(jw_t *w) { open_container(w, '{'); }
void jw_end_object(jw_t *w) { close_container(w, '}'); }
void jw_begin_array(jw_t *w) { open_container(w, '['); }
void jw_end_array(jw_t *w) { close_container(w, ']'); }

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is invalid:
 * truncated, overlong, a UTF-16 surrogate or above U+10FFFF. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return 0;
    return len;
}

/* Strings come from sysfs and uname, which are not guaranteed UTF-8; invalid
 * bytes become U+FFFD so every frame stays valid JSON. */
void jw_string_n(jw_t *w, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    before_value(w);
    putc1(w, '"');
    size_t i = 0;
    while (i < n && !w->overflow) {
        unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            put(w, esc, 2);
            i++;
        } else if (c < 0x20) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(w, esc, 6);
            i++;
        } else {
            size_t len = utf8_seq_len(u + i, n - i);
            if (len == 0) {
                put(w, "\\ufffd", 6);
                i++;
            } else {
                put(w, s + i, len);
                i += len;
            }
        }
    }
    putc1(w, '"');
}

void jw_string(jw_t *w, const char *s) { jw_string_n(w, s, strlen(s)); }

void jw_key(jw_t *w, const char *key)
{
    jw_string(w, key);
    putc1(w, ':');
    w->after_key = true;
}

void jw_int(jw_t *w, int64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRId64, v);
    before_value(w);
    put(w, num, (size_t)n);
}

void jw_uint(jw_t *w, uint64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRIu64, v);
    before_value(w);
    put(w, num, (size_t)n);
}

void jw_null(jw_t *w)
{
    before_value(w);
    put(w, "null", 4);
}

void jw_bool(jw_t *w, bool v)
{
    before_value(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

/* Finite numbers only (JSON has no NaN/Inf); those become null. */
void jw_double(jw_t *w, double v)
{
    char text[40];
    if (v != v || v > 1e300 || v < -1e300) {
        jw_null(w);
        return;
    }
    int n = snprintf(text, sizeof text, "%.6g", v);
    before_value(w);
    put(w, text, (size_t)n);
    /* "%g" may print an integer ("3"); JSON accepts it, the host reads it as a number. */
}

void jw_raw(jw_t *w, const char *json, size_t n)
{
    before_value(w);
    put(w, json, n);
}
