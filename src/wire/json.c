#include "wire/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sx_json_strn(sx_strbuf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;

    sx_strbuf_putc(b, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        sx_strbuf_append(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': sx_strbuf_append(b, "\\\"", 2); break;
        case '\\': sx_strbuf_append(b, "\\\\", 2); break;
        case '\n': sx_strbuf_append(b, "\\n", 2); break;
        case '\r': sx_strbuf_append(b, "\\r", 2); break;
        case '\t': sx_strbuf_append(b, "\\t", 2); break;
        default: {
            char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            sx_strbuf_append(b, u, 6);
        }
        }
    }
    sx_strbuf_append(b, s + run, len - run);
    sx_strbuf_putc(b, '"');
}

void sx_json_str(sx_strbuf *b, const char *s)
{
    sx_json_strn(b, s, strlen(s));
}

static size_t u64_text(char *out, uint64_t v)
{
    char tmp[24];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

void sx_json_u64(sx_strbuf *b, uint64_t v)
{
    char t[24];
    sx_strbuf_append(b, t, u64_text(t, v));
}

void sx_json_u64str(sx_strbuf *b, uint64_t v)
{
    char t[26];
    size_t n = u64_text(t + 1, v);

    t[0] = '"';
    t[n + 1] = '"';
    sx_strbuf_append(b, t, n + 2);
}

void sx_json_i64str(sx_strbuf *b, int64_t v)
{
    if (v >= 0) {
        sx_json_u64str(b, (uint64_t)v);
        return;
    }
    char t[27];
    size_t n = u64_text(t + 2, (uint64_t)(-(v + 1)) + 1);
    t[0] = '"';
    t[1] = '-';
    t[n + 2] = '"';
    sx_strbuf_append(b, t, n + 3);
}

void sx_json_double(sx_strbuf *b, double v)
{
    char t[40];

    if (isnan(v)) {
        sx_strbuf_puts(b, "\"NaN\"");
        return;
    }
    if (isinf(v)) {
        sx_strbuf_puts(b, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        return;
    }
    sx_strbuf_append(b, t, sx_double_text(v, t, sizeof(t)));
}

size_t sx_double_text(double v, char *buf, size_t size)
{
    int n;

    if (v == floor(v) && fabs(v) < 1e15) {
        n = snprintf(buf, size, "%.0f", v);
    } else {
        n = snprintf(buf, size, "%.15g", v);
        if (strtod(buf, NULL) != v)
            n = snprintf(buf, size, "%.17g", v);
    }
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

void sx_json_hex(sx_strbuf *b, const uint8_t *id, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char t[2 + 64];

    t[0] = '"';
    for (size_t i = 0; i < len && i < 32; i++) {
        t[1 + 2 * i] = hex[id[i] >> 4];
        t[2 + 2 * i] = hex[id[i] & 15];
    }
    t[1 + 2 * len] = '"';
    sx_strbuf_append(b, t, 2 + 2 * len);
}
