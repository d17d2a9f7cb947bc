#include "util/json_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct parser {
    const char *p, *end, *begin;
    sx_arena *a;
    char *err;
    size_t errlen;
    int failed;
};

static void fail(struct parser *ps, const char *what)
{
    if (!ps->failed)
        snprintf(ps->err, ps->errlen, "invalid JSON at byte %zu: %s", (size_t)(ps->p - ps->begin),
                 what);
    ps->failed = 1;
}

static void ws(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static void put_utf8(char **w, unsigned cp)
{
    if (cp < 0x80) {
        *(*w)++ = (char)cp;
    } else if (cp < 0x800) {
        *(*w)++ = (char)(0xC0 | (cp >> 6));
        *(*w)++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *(*w)++ = (char)(0xE0 | (cp >> 12));
        *(*w)++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *(*w)++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *(*w)++ = (char)(0xF0 | (cp >> 18));
        *(*w)++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *(*w)++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *(*w)++ = (char)(0x80 | (cp & 0x3F));
    }
}

static const char *string(struct parser *ps)
{
    const char *s = ++ps->p;   /* after the quote */
    size_t max = 0;

    while (ps->p < ps->end && *ps->p != '"') {
        if (*ps->p == '\\')
            ps->p++;
        ps->p++;
    }
    if (ps->p >= ps->end) {
        fail(ps, "unterminated string");
        return NULL;
    }
    max = (size_t)(ps->p - s);
    char *out = sx_arena_alloc(ps->a, max + 1), *w = out;
    if (!out) {
        fail(ps, "out of memory");
        return NULL;
    }
    for (const char *q = s; q < ps->p; q++) {
        if (*q != '\\') {
            *w++ = *q;
            continue;
        }
        q++;
        switch (*q) {
        case 'n': *w++ = '\n'; break;
        case 't': *w++ = '\t'; break;
        case 'r': *w++ = '\r'; break;
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'u': {
            unsigned cp = 0;
            if (ps->p - q < 5) {
                fail(ps, "bad \\u escape");
                return NULL;
            }
            for (int k = 1; k <= 4; k++) {
                char c = q[k];
                cp = cp * 16 + (unsigned)(c >= '0' && c <= '9' ? c - '0'
                                          : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 0);
            }
            q += 4;
            /* A surrogate pair is two escapes: six bytes in, four out. */
            if (cp >= 0xD800 && cp <= 0xDBFF && ps->p - q >= 7 && q[1] == '\\' && q[2] == 'u') {
                unsigned lo = 0;
                for (int k = 3; k <= 6; k++) {
                    char c = q[k];
                    lo = lo * 16 + (unsigned)(c >= '0' && c <= '9' ? c - '0'
                                              : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 0);
                }
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    q += 6;
                }
            }
            put_utf8(&w, cp);   /* never longer than the escape it replaces */
            break;
        }
        default: *w++ = *q; break;
        }
    }
    *w = '\0';
    ps->p++;
    return out;
}

static sx_jval *value(struct parser *ps, int depth);

static sx_jval *container(struct parser *ps, int depth, int obj)
{
    sx_jval *v = sx_arena_alloc(ps->a, sizeof(*v));
    uint32_t cap = 0;

    if (!v) {
        fail(ps, "out of memory");
        return NULL;
    }
    v->type = obj ? SX_JOBJ : SX_JARR;
    ps->p++;
    ws(ps);
    if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
        ps->p++;
        return v;
    }
    for (;;) {
        const char *key = NULL;
        ws(ps);
        if (obj) {
            if (ps->p >= ps->end || *ps->p != '"') {
                fail(ps, "expected a key");
                return NULL;
            }
            if (!(key = string(ps)))
                return NULL;
            ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                fail(ps, "expected ':'");
                return NULL;
            }
            ps->p++;
        }
        sx_jval *item = value(ps, depth + 1);
        if (!item)
            return NULL;
        if (v->n == cap) {
            uint32_t ncap = cap ? cap * 2 : 8;
            sx_jval **items = sx_arena_alloc(ps->a, ncap * sizeof(*items));
            const char **keys = obj ? sx_arena_alloc(ps->a, ncap * sizeof(*keys)) : NULL;
            if (!items || (obj && !keys)) {
                fail(ps, "out of memory");
                return NULL;
            }
            if (v->n) {
                memcpy(items, v->items, v->n * sizeof(*items));
                if (obj)
                    memcpy(keys, v->keys, v->n * sizeof(*keys));
            }
            v->items = items;
            v->keys = keys;
            cap = ncap;
        }
        if (obj)
            v->keys[v->n] = key;
        v->items[v->n++] = item;
        ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
            ps->p++;
            return v;
        }
        fail(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        return NULL;
    }
}

static sx_jval *value(struct parser *ps, int depth)
{
    sx_jval *v;

    if (depth > MAX_DEPTH) {
        fail(ps, "nested too deeply");
        return NULL;
    }
    ws(ps);
    if (ps->p >= ps->end) {
        fail(ps, "unexpected end");
        return NULL;
    }
    if (*ps->p == '{' || *ps->p == '[')
        return container(ps, depth, *ps->p == '{');
    v = sx_arena_alloc(ps->a, sizeof(*v));
    if (!v) {
        fail(ps, "out of memory");
        return NULL;
    }
    if (*ps->p == '"') {
        v->type = SX_JSTR;
        v->str = string(ps);
        return v->str ? v : NULL;
    }
    if ((size_t)(ps->end - ps->p) >= 4 && memcmp(ps->p, "true", 4) == 0) {
        v->type = SX_JBOOL;
        v->b = 1;
        ps->p += 4;
        return v;
    }
    if ((size_t)(ps->end - ps->p) >= 5 && memcmp(ps->p, "false", 5) == 0) {
        v->type = SX_JBOOL;
        ps->p += 5;
        return v;
    }
    if ((size_t)(ps->end - ps->p) >= 4 && memcmp(ps->p, "null", 4) == 0) {
        v->type = SX_JNULL;
        ps->p += 4;
        return v;
    }
    char num[64];
    size_t n = 0;
    while (ps->p < ps->end && n < sizeof(num) - 1 && strchr("+-0123456789.eE", *ps->p))
        num[n++] = *ps->p++;
    num[n] = '\0';
    char *endp;
    v->type = SX_JNUM;
    v->num = strtod(num, &endp);
    if (!n || *endp) {
        fail(ps, "unexpected character");
        return NULL;
    }
    return v;
}

sx_jval *sx_json_parse(sx_arena *a, const char *buf, size_t len, char *err, size_t errlen)
{
    struct parser ps = { buf, buf + len, buf, a, err, errlen, 0 };
    sx_jval *v = value(&ps, 0);

    if (v) {
        ws(&ps);
        if (ps.p != ps.end) {
            fail(&ps, "trailing characters");
            return NULL;
        }
    }
    return ps.failed ? NULL : v;
}

const sx_jval *sx_json_get(const sx_jval *obj, const char *key)
{
    if (!obj || obj->type != SX_JOBJ)
        return NULL;
    for (uint32_t i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return obj->items[i];
    return NULL;
}

const char *sx_json_str_of(const sx_jval *v)
{
    return v && v->type == SX_JSTR ? v->str : NULL;
}
