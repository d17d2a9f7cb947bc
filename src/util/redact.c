#include "util/redact.h"

#include <stdio.h>
#include <string.h>

#include "util/err.h"

/* Where the authority starts: after "scheme://", else at the start (gRPC
 * targets are written host:port). */
static const char *authority(const char *url)
{
    const char *p = strstr(url, "://");
    if (!p)
        return url;
    for (const char *s = url; s < p; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (s > url && ((*s >= '0' && *s <= '9') || *s == '+' || *s == '-' || *s == '.'))))
            return url;
    return p + 3;
}

int sx_url_has_userinfo(const char *url)
{
    return url && strrchr(authority(url), '@') != NULL;
}

const char *sx_url_redact(const char *url, char *out, size_t n)
{
    const char *a, *at, *colon;

    if (!n)
        return out;
    if (!url) {
        snprintf(out, n, "%s", "(none)");
        return out;
    }
    a = authority(url);
    at = strrchr(a, '@');
    if (!at) {
        snprintf(out, n, "%s", url);
        return out;
    }
    colon = memchr(a, ':', (size_t)(at - a));
    if (colon)
        snprintf(out, n, "%.*s:***%s", (int)(colon - url), url, at);
    else
        snprintf(out, n, "%.*s***%s", (int)(a - url), url, at);
    return out;
}

int sx_url_check(const char *url)
{
    if (!url || !*url)
        return SX_EINVAL;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return SX_EINVAL;
    return 0;
}

void sx_redact_scrub(char *text, const char *secret)
{
    size_t sl;
    char *p;

    if (!text || !secret || (sl = strlen(secret)) < 4)
        return;
    while ((p = strstr(text, secret)) != NULL) {
        /* "***" is never longer than the secret: shift the tail left. */
        memcpy(p, "***", 3);
        memmove(p + 3, p + sl, strlen(p + sl) + 1);
    }
}
