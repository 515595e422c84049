#include "jsonscan.h"

#include <stdio.h>
#include <string.h>

bool js_fail(cursor_t *c, const char *what)
{
    if (!c->failed) {
        c->failed = true;
        snprintf(c->err, c->errcap, "invalid JSON at byte %zu: %s", c->i, what);
    }
    return false;
}

static bool is_ws(unsigned char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; }

void js_skip_ws(cursor_t *c)
{
    while (c->i < c->n && is_ws(c->s[c->i]))
        c->i++;
}

int js_peek(cursor_t *c) { return c->i < c->n ? c->s[c->i] : -1; }

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

static bool read_hex4(cursor_t *c, unsigned *out)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(js_peek(c));
        if (h < 0)
            return js_fail(c, "bad \\u escape");
        v = (v << 4) | (unsigned)h;
        c->i++;
    }
    *out = v;
    return true;
}

/* Appends code point cp as UTF-8 to out (if out is non-NULL), flagging overflow. */
static void emit_cp(char *out, size_t cap, size_t *len, bool *trunc, unsigned cp)
{
    unsigned char b[4];
    size_t n;
    if (!out)
        return;
    if (cp == 0)
        *trunc = true;   /* an embedded NUL can never name a method */
    if (cp < 0x80) { b[0] = (unsigned char)cp; n = 1; }
    else if (cp < 0x800) { b[0] = (unsigned char)(0xC0 | (cp >> 6)); b[1] = (unsigned char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) { b[0] = (unsigned char)(0xE0 | (cp >> 12)); b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); b[2] = (unsigned char)(0x80 | (cp & 0x3F)); n = 3; }
    else { b[0] = (unsigned char)(0xF0 | (cp >> 18)); b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F)); b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); b[3] = (unsigned char)(0x80 | (cp & 0x3F)); n = 4; }
    if (*len + n > cap) {
        *trunc = true;
        return;
    }
    memcpy(out + *len, b, n);
    *len += n;
}

/* Validates a raw (unescaped) UTF-8 sequence starting at c->i; returns its code point. */
static bool read_utf8(cursor_t *c, unsigned *cp)
{
    unsigned char b = c->s[c->i];
    size_t len;
    unsigned v;
    if (b >= 0xC2 && b <= 0xDF) { len = 2; v = b & 0x1Fu; }
    else if (b >= 0xE0 && b <= 0xEF) { len = 3; v = b & 0x0Fu; }
    else if (b >= 0xF0 && b <= 0xF4) { len = 4; v = b & 0x07u; }
    else return js_fail(c, "invalid UTF-8");
    if (c->n - c->i < len)
        return js_fail(c, "truncated UTF-8");
    for (size_t k = 1; k < len; k++) {
        if ((c->s[c->i + k] & 0xC0) != 0x80)
            return js_fail(c, "invalid UTF-8");
        v = (v << 6) | (c->s[c->i + k] & 0x3Fu);
    }
    if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
        (v >= 0xD800 && v <= 0xDFFF))
        return js_fail(c, "invalid UTF-8");
    c->i += len;
    *cp = v;
    return true;
}

/* Parses a string at c->i (which must be '"'); decodes into out when non-NULL.
 * Lone surrogate escapes are legal JSON; they decode to U+FFFD. */
bool js_string(cursor_t *c, char *out, size_t cap, size_t *outlen, bool *trunc)
{
    size_t len = 0;
    bool tr = false;
    c->i++; /* opening quote */
    for (;;) {
        int ch = js_peek(c);
        unsigned cp;
        if (ch < 0)
            return js_fail(c, "unterminated string");
        if (ch == '"') {
            c->i++;
            break;
        }
        if (ch < 0x20)
            return js_fail(c, "control character in string");
        if (ch == '\\') {
            c->i++;
            int e = js_peek(c);
            c->i++;
            switch (e) {
            case '"': cp = '"'; break;
            case '\\': cp = '\\'; break;
            case '/': cp = '/'; break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u':
                if (!read_hex4(c, &cp))
                    return false;
                if (cp >= 0xD800 && cp <= 0xDBFF && js_peek(c) == '\\' &&
                    c->i + 1 < c->n && c->s[c->i + 1] == 'u') {
                    size_t save = c->i;
                    unsigned lo;
                    c->i += 2;
                    if (!read_hex4(c, &lo))
                        return false;
                    if (lo >= 0xDC00 && lo <= 0xDFFF)
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    else
                        c->i = save; /* next escape stands on its own */
                }
                if (cp >= 0xD800 && cp <= 0xDFFF)
                    cp = 0xFFFD;
                break;
            default:
                c->i--;
                return js_fail(c, "bad escape");
            }
        } else if (ch < 0x80) {
            cp = (unsigned)ch;
            c->i++;
        } else if (!read_utf8(c, &cp)) {
            return false;
        }
        emit_cp(out, cap, &len, &tr, cp);
    }
    if (out) {
        out[len] = '\0'; /* callers pass cap one less than the buffer size */
        *outlen = len;
        *trunc = tr;
    }
    return true;
}

/* Parses a number; *is_int / *ival describe it when it is an in-range integer. */
bool js_number(cursor_t *c, bool *is_int, int64_t *ival)
{
    bool neg = false, integral = true, range = true;
    uint64_t mag = 0;
    if (js_peek(c) == '-') {
        neg = true;
        c->i++;
    }
    int ch = js_peek(c);
    if (ch == '0') {
        c->i++;
    } else if (ch >= '1' && ch <= '9') {
        while ((ch = js_peek(c)) >= '0' && ch <= '9') {
            unsigned d = (unsigned)(ch - '0');
            if (mag > (UINT64_MAX - d) / 10)
                range = false;
            else
                mag = mag * 10 + d;
            c->i++;
        }
    } else {
        return js_fail(c, "bad number");
    }
    if (js_peek(c) == '.') {
        integral = false;
        c->i++;
        if (!((ch = js_peek(c)) >= '0' && ch <= '9'))
            return js_fail(c, "bad fraction");
        while ((ch = js_peek(c)) >= '0' && ch <= '9')
            c->i++;
    }
    if (js_peek(c) == 'e' || js_peek(c) == 'E') {
        integral = false;
        c->i++;
        if (js_peek(c) == '+' || js_peek(c) == '-')
            c->i++;
        if (!((ch = js_peek(c)) >= '0' && ch <= '9'))
            return js_fail(c, "bad exponent");
        while ((ch = js_peek(c)) >= '0' && ch <= '9')
            c->i++;
    }
    if (range && (neg ? mag > (uint64_t)INT64_MAX + 1 : mag > (uint64_t)INT64_MAX))
        range = false;
    *is_int = integral && range;
    if (*is_int)
        *ival = !neg ? (int64_t)mag
              : mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    return true;
}

static bool parse_literal(cursor_t *c, const char *lit)
{
    size_t n = strlen(lit);
    if (c->n - c->i < n || memcmp(c->s + c->i, lit, n) != 0)
        return js_fail(c, "unexpected token");
    c->i += n;
    return true;
}

static bool parse_container(cursor_t *c, int depth, bool object)
{
    char close = object ? '}' : ']';
    if (depth >= JS_MAX_DEPTH)
        return js_fail(c, "nesting too deep");
    c->i++;
    js_skip_ws(c);
    if (js_peek(c) == close) {
        c->i++;
        return true;
    }
    for (;;) {
        js_skip_ws(c);
        if (object) {
            if (js_peek(c) != '"')
                return js_fail(c, "expected string key");
            if (!js_string(c, NULL, 0, NULL, NULL))
                return false;
            js_skip_ws(c);
            if (js_peek(c) != ':')
                return js_fail(c, "expected ':'");
            c->i++;
        }
        if (!js_value(c, depth + 1))
            return false;
        js_skip_ws(c);
        int ch = js_peek(c);
        c->i++;
        if (ch == ',')
            continue;
        if (ch == close)
            return true;
        c->i--;
        return js_fail(c, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

bool js_value(cursor_t *c, int depth)
{
    bool is_int;
    int64_t iv;
    js_skip_ws(c);
    switch (js_peek(c)) {
    case '{': return parse_container(c, depth, true);
    case '[': return parse_container(c, depth, false);
    case '"': return js_string(c, NULL, 0, NULL, NULL);
    case 't': return parse_literal(c, "true");
    case 'f': return parse_literal(c, "false");
    case 'n': return parse_literal(c, "null");
    case -1: return js_fail(c, "unexpected end of frame");
    default: return js_number(c, &is_int, &iv);
    }
}

