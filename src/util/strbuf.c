#include "util/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

void sx_strbuf_init(sx_strbuf *b)
{
    memset(b, 0, sizeof(*b));
}

void sx_strbuf_fini(sx_strbuf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

void sx_strbuf_clear(sx_strbuf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->data)
        b->data[0] = '\0';
}

int sx_strbuf_reserve(sx_strbuf *b, size_t extra)
{
    if (b->failed)
        return SX_ENOMEM;
    if (extra >= (size_t)-1 / 2 - b->len)
        goto fail;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        goto fail;
    b->data = p;
    b->cap = cap;
    return 0;
fail:
    b->failed = 1;
    return SX_ENOMEM;
}

int sx_strbuf_append(sx_strbuf *b, const void *data, size_t len)
{
    int rc = sx_strbuf_reserve(b, len);

    if (rc)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int sx_strbuf_puts(sx_strbuf *b, const char *s)
{
    return sx_strbuf_append(b, s, strlen(s));
}

int sx_strbuf_putc(sx_strbuf *b, char c)
{
    return sx_strbuf_append(b, &c, 1);
}

int sx_strbuf_printf(sx_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    int len;
    int rc;

    va_start(ap, fmt);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        return SX_EINVAL;
    rc = sx_strbuf_reserve(b, (size_t)len);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)len + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)len;
    return 0;
}
