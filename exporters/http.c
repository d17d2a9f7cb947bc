#include "http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

#include "util/err.h"

struct sx_http_conn {
    CURL *curl;
    struct curl_slist *headers;
    const sx_http_cfg *cfg;
    sx_http_response *resp;     /* during a post */
    const atomic_int *cut;      /* during a post: abort when nonzero */
    char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int sx_http_global_init(void)
{
    pthread_once(&once, global_init);
    return global_rc == CURLE_OK ? 0 : SX_EIO;
}

int64_t sx_parse_retry_after(const char *v)
{
    char *end;
    long secs;

    while (*v == ' ' || *v == '\t')
        v++;
    if (isdigit((unsigned char)*v)) {
        secs = strtol(v, &end, 10);
        if (secs >= 0 && secs < 86400)
            return (int64_t)secs * 1000000000LL;
        return 0;
    }
    time_t when = curl_getdate(v, NULL);
    if (when == -1)
        return 0;
    time_t now = time(NULL);
    if (when <= now)
        return 0;
    /* At most a day (past any retry budget): a far date must not overflow the ns count. */
    return (int64_t)(when - now < 86400 ? when - now : 86400) * 1000000000LL;
}

static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
    sx_http_conn *c = ud;
    size_t len = size * n;

    if (len > 12 && strncasecmp(buf, "retry-after:", 12) == 0) {
        char v[128];
        size_t vl = len - 12 < sizeof(v) - 1 ? len - 12 : sizeof(v) - 1;
        memcpy(v, buf + 12, vl);
        v[vl] = '\0';
        v[strcspn(v, "\r\n")] = '\0';
        c->resp->retry_after_ns = sx_parse_retry_after(v);
    }
    return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *ud)
{
    sx_http_conn *c = ud;
    size_t len = size * n;

    /* Keep what a message needs; a huge error page is not worth memory. */
    if (c->resp->body.len < 64 * 1024)
        sx_strbuf_append(&c->resp->body, buf,
                         len < 64 * 1024 - c->resp->body.len ? len : 64 * 1024 - c->resp->body.len);
    return len;
}

/* libcurl calls this often (at least about once a second, also while it
 * waits for a silent server), so a cut ends a stuck attempt promptly. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    sx_http_conn *c = ud;

    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return c->cut && atomic_load(c->cut) ? 1 : 0;
}

sx_http_conn *sx_http_conn_create(const sx_http_cfg *cfg)
{
    sx_http_conn *c = calloc(1, sizeof(*c));
    char line[256];

    if (!c || sx_http_global_init())
        goto fail;
    c->cfg = cfg;
    c->curl = curl_easy_init();
    if (!c->curl)
        goto fail;
    if (cfg->content_type) {
        snprintf(line, sizeof(line), "Content-Type: %s", cfg->content_type);
        c->headers = curl_slist_append(c->headers, line);
    }
    if (cfg->content_encoding) {
        snprintf(line, sizeof(line), "Content-Encoding: %s", cfg->content_encoding);
        c->headers = curl_slist_append(c->headers, line);
    }
    for (uint32_t i = 0; i < cfg->nheaders; i++)
        c->headers = curl_slist_append(c->headers, cfg->headers[i]);
    c->headers = curl_slist_append(c->headers, "Expect:");   /* no 100-continue round trip */
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "sigsynth/" SX_VERSION);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, c);
    curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    if (cfg->tls.ca_file)
        curl_easy_setopt(c->curl, CURLOPT_CAINFO, cfg->tls.ca_file);
    if (cfg->tls.cert_file)
        curl_easy_setopt(c->curl, CURLOPT_SSLCERT, cfg->tls.cert_file);
    if (cfg->tls.key_file)
        curl_easy_setopt(c->curl, CURLOPT_SSLKEY, cfg->tls.key_file);
    if (cfg->tls.insecure_skip_verify) {
        curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (cfg->basic_user) {
        curl_easy_setopt(c->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c->curl, CURLOPT_USERNAME, cfg->basic_user);
        curl_easy_setopt(c->curl, CURLOPT_PASSWORD, cfg->basic_password ? cfg->basic_password : "");
    }
    return c;
fail:
    sx_http_conn_destroy(c);
    return NULL;
}

void sx_http_conn_destroy(sx_http_conn *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->headers);
    free(c);
}

int sx_http_post(sx_http_conn *c, const char *url, const void *body, size_t len,
                 int64_t timeout_ns, const atomic_int *cut, sx_http_response *resp)
{
    CURLcode rc;
    long ms;

    resp->status = 0;
    resp->retry_after_ns = 0;
    resp->error[0] = '\0';
    resp->timed_out = false;
    sx_strbuf_clear(&resp->body);
    c->resp = resp;
    c->cut = cut;
    c->errbuf[0] = '\0';
    if (timeout_ns <= 0)
        timeout_ns = c->cfg->timeout_ns > 0 ? c->cfg->timeout_ns : 10000000000LL;
    ms = (long)((timeout_ns + 999999) / 1000000);
    /* One budget for connect + send + answer (the OTLP exporter timeout). */
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, ms);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, ms);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    rc = curl_easy_perform(c->curl);
    c->resp = NULL;
    c->cut = NULL;
    if (rc == CURLE_OPERATION_TIMEDOUT)
        resp->timed_out = true;   /* the summary counts it as "timeout" */
    if (rc != CURLE_OK) {
        snprintf(resp->error, sizeof(resp->error), "%s",
                 c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
        return SX_EIO;
    }
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &resp->status);
    return 0;
}

int sx_gzip(const void *in, size_t len, sx_strbuf *out)
{
    z_stream z;
    int rc;

    memset(&z, 0, sizeof(z));
    sx_strbuf_clear(out);
    /* Level 1: about 3x faster than the default for ~12% larger output. */
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return SX_ENOMEM;
    size_t bound = deflateBound(&z, (uLong)len);
    if (sx_strbuf_reserve(out, bound)) {
        deflateEnd(&z);
        return SX_ENOMEM;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out->data;
    z.avail_out = (uInt)bound;
    rc = deflate(&z, Z_FINISH);
    out->len = z.total_out;
    deflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : SX_EIO;
}

struct get_ctx {
    sx_strbuf *out;
    size_t max;
};

static size_t on_get_body(char *buf, size_t size, size_t n, void *ud)
{
    struct get_ctx *g = ud;
    size_t len = size * n;

    if (g->out->len + len > g->max)
        return 0;   /* too big for an API answer: abort the transfer */
    sx_strbuf_append(g->out, buf, len);
    return len;
}

int sx_http_get(const char *url, int64_t timeout_ns, sx_strbuf *out, size_t max, long *status,
                char *err, size_t errlen)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct get_ctx g = { out, max };
    CURL *c;
    CURLcode rc;

    if (sx_http_global_init() || !(c = curl_easy_init())) {
        snprintf(err, errlen, "cannot initialise libcurl");
        return SX_EIO;
    }
    sx_strbuf_clear(out);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_get_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &g);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout_ns / 1000000));
    curl_easy_setopt(c, CURLOPT_USERAGENT, "sigsynth/" SX_VERSION);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    else
        snprintf(err, errlen, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
    curl_easy_cleanup(c);
    return rc == CURLE_OK ? 0 : SX_EIO;
}
