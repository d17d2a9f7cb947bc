/* OTLP/HTTP transport: POST application/x-protobuf to /v1/{traces,logs,metrics},
 * optionally gzip'd; retry 429/502/503/504 (honouring Retry-After) and
 * connection failures, drop everything else; parse partial success. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp.h"
#include "util/err.h"

typedef struct http_transport {
    sx_otlp_cfg cfg;
    sx_http_cfg http;
    char *url[SX_NSIG];
    uint32_t lanes;
    sx_http_conn **conns;
    sx_strbuf *zbuf;            /* per lane: gzip output */
    sx_http_response *resp;     /* per lane */
} http_transport;

static void http_send(void *ctx, uint32_t lane, const sx_payload *p, const sx_attempt *at,
                      sx_send_result *res)
{
    http_transport *t = ctx;
    const void *body = p->body.data;
    size_t len = p->body.len;
    sx_http_response *resp = &t->resp[lane];

    if (t->cfg.gzip) {
        if (sx_gzip(p->body.data, p->body.len, &t->zbuf[lane])) {
            res->outcome = SX_SEND_DROP;
            snprintf(res->what, sizeof(res->what), "gzip failed");
            return;
        }
        body = t->zbuf[lane].data;
        len = t->zbuf[lane].len;
    }
    if (sx_http_post(t->conns[lane], t->url[p->sig], body, len, at->timeout_ns, at->cut, resp)) {
        /* No response at all: the spec says retry with backoff. */
        res->outcome = SX_SEND_RETRY;
        snprintf(res->what, sizeof(res->what), "%s",
                 resp->timed_out ? "timeout" : "connection failed");
        snprintf(res->detail, sizeof(res->detail), "%s", resp->error);
        return;
    }
    if (resp->status >= 200 && resp->status < 300) {
        char msg[400];
        res->outcome = SX_SEND_OK;
        if (sx_otlp_parse_partial(resp->body.data, resp->body.len, &res->rejected, msg,
                                  sizeof(msg)) == 0 && (res->rejected || msg[0])) {
            snprintf(res->what, sizeof(res->what), "partial success");
            snprintf(res->detail, sizeof(res->detail), "%s", msg);
        }
        return;
    }
    snprintf(res->what, sizeof(res->what), "HTTP %ld", resp->status);
    res->retry_after_ns = resp->retry_after_ns;
    res->outcome = resp->status == 429 || resp->status == 502 || resp->status == 503 ||
                           resp->status == 504
                       ? SX_SEND_RETRY
                       : SX_SEND_DROP;
    if (resp->body.len) {
        /* The body is a google.rpc.Status (protobuf) or text: show printable text. */
        size_t n = 0;
        for (size_t i = 0; i < resp->body.len && n < sizeof(res->detail) - 1; i++) {
            unsigned char c = (unsigned char)resp->body.data[i];
            if (c >= 0x20 && c < 0x7f)
                res->detail[n++] = (char)c;
        }
        res->detail[n] = '\0';
    }
}

static void http_destroy(void *ctx)
{
    http_transport *t = ctx;

    if (!t)
        return;
    for (uint32_t i = 0; i < t->lanes; i++) {
        if (t->conns)
            sx_http_conn_destroy(t->conns[i]);
        if (t->zbuf)
            sx_strbuf_fini(&t->zbuf[i]);
        if (t->resp)
            sx_strbuf_fini(&t->resp[i].body);
    }
    for (int i = 0; i < SX_NSIG; i++)
        free(t->url[i]);
    free(t->conns);
    free(t->zbuf);
    free(t->resp);
    free(t);
}

int sx_otlp_http_transport(const sx_otlp_cfg *cfg, sx_otlp_transport *out, char *err,
                           size_t errlen)
{
    static const char *const paths[SX_NSIG] = { "/v1/traces", "/v1/logs", "/v1/metrics" };
    http_transport *t = calloc(1, sizeof(*t));

    if (!t)
        return SX_ENOMEM;
    t->cfg = *cfg;
    t->lanes = cfg->delivery.lanes;
    t->http.headers = cfg->headers;
    t->http.nheaders = cfg->nheaders;
    t->http.content_type = "application/x-protobuf";
    t->http.content_encoding = cfg->gzip ? "gzip" : NULL;
    t->http.timeout_ns = cfg->timeout_ns;
    t->http.tls = cfg->tls;
    for (int i = 0; i < SX_NSIG; i++) {
        const char *ep = cfg->signal_endpoint[i];
        size_t len;
        if (ep) {
            t->url[i] = strdup(ep);   /* per-signal endpoints are used as they are */
        } else {
            const char *base = cfg->endpoint ? cfg->endpoint : "http://localhost:4318";
            len = strlen(base) + strlen(paths[i]) + 1;
            t->url[i] = malloc(len);
            if (t->url[i]) {
                /* "http://host:4318/" + "/v1/traces" must not give "//v1". */
                size_t bl = strlen(base);
                snprintf(t->url[i], len, "%.*s%s", (int)(bl && base[bl - 1] == '/' ? bl - 1 : bl),
                         base, paths[i]);
            }
        }
        if (!t->url[i]) {
            http_destroy(t);
            return SX_ENOMEM;
        }
        if (strncmp(t->url[i], "http://", 7) != 0 && strncmp(t->url[i], "https://", 8) != 0) {
            snprintf(err, errlen, "OTLP/HTTP endpoint must start with http:// or https://");
            http_destroy(t);
            return SX_EINVAL;
        }
    }
    t->conns = calloc(t->lanes, sizeof(*t->conns));
    t->zbuf = calloc(t->lanes, sizeof(*t->zbuf));
    t->resp = calloc(t->lanes, sizeof(*t->resp));
    if (!t->conns || !t->zbuf || !t->resp) {
        http_destroy(t);
        return SX_ENOMEM;
    }
    for (uint32_t i = 0; i < t->lanes; i++) {
        sx_strbuf_init(&t->zbuf[i]);
        sx_strbuf_init(&t->resp[i].body);
        t->conns[i] = sx_http_conn_create(&t->http);
        if (!t->conns[i]) {
            snprintf(err, errlen, "cannot initialise libcurl");
            http_destroy(t);
            return SX_EIO;
        }
    }
    out->ctx = t;
    out->send = http_send;
    out->destroy = http_destroy;
    return 0;
}
