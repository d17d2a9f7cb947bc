/* remote-write exporter: Prometheus remote-write 1.0 over libcurl, snappy
 * block compression, the four required headers, batches of at most
 * max_samples samples. Each series is pinned to one lane, so its samples
 * are sent in time order while different lanes send in parallel. 5xx and
 * 429 are retried with backoff, other 4xx never (the body is logged once per
 * distinct message). When the run ends every series gets a stale marker. */
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "delivery.h"
#include "exporter.h"
#include "http.h"
#include "remote_write_exporter.h"
#include "util/err.h"
#include "util/redact.h"
#include "wire/remote_write.h"

typedef struct rw_exporter {
    sx_exporter base;
    sx_rw_cfg cfg;
    sx_http_cfg http;
    char **all_headers;
    sx_delivery *d;
    sx_http_conn **conns;
    sx_strbuf *zbuf;
    sx_http_response *resp;
    sx_payload **open;          /* per lane: the request being filled */
    uint32_t *open_samples;
    const sx_run *last_run;
    const sx_metrics *last_metrics;
    int64_t last_ms;
    bool stale_sent;
    char endpoint[256];         /* the URL without userinfo, for messages */
} rw_exporter;

static void rw_send(void *ctx, uint32_t lane, const sx_payload *p, const sx_attempt *at,
                    sx_send_result *res)
{
    rw_exporter *e = ctx;
    sx_strbuf *z = &e->zbuf[lane];
    sx_http_response *resp = &e->resp[lane];
    size_t clen = snappy_max_compressed_length(p->body.len);

    sx_strbuf_clear(z);
    if (sx_strbuf_reserve(z, clen) ||
        snappy_compress(p->body.data, p->body.len, z->data, &clen) != SNAPPY_OK) {
        res->outcome = SX_SEND_DROP;
        snprintf(res->what, sizeof(res->what), "snappy failed");
        return;
    }
    z->len = clen;
    if (sx_http_post(e->conns[lane], e->cfg.url, z->data, z->len, at->timeout_ns, at->cut,
                     resp)) {
        res->outcome = SX_SEND_RETRY;
        snprintf(res->what, sizeof(res->what), "%s",
                 resp->timed_out ? "timeout" : "connection failed");
        snprintf(res->detail, sizeof(res->detail), "%s", resp->error);
        return;
    }
    if (resp->status >= 200 && resp->status < 300) {
        res->outcome = SX_SEND_OK;   /* the body SHOULD be empty and MUST be ignored */
        return;
    }
    snprintf(res->what, sizeof(res->what), "HTTP %ld", resp->status);
    res->retry_after_ns = resp->retry_after_ns;
    res->outcome = resp->status >= 500 || resp->status == 429 ? SX_SEND_RETRY : SX_SEND_DROP;
    /* 4xx bodies are logged verbatim (once per distinct text), not parsed. */
    snprintf(res->detail, sizeof(res->detail), "%.*s", (int)(resp->body.len < 500 ? resp->body.len : 500),
             resp->body.data ? resp->body.data : "");
    res->detail[strcspn(res->detail, "\n")] = '\0';
}

static sx_payload *lane_payload(rw_exporter *e, uint32_t lane)
{
    if (!e->open[lane]) {
        e->open[lane] = sx_delivery_get(e->d, lane);
        e->open_samples[lane] = 0;
        if (e->open[lane])
            e->open[lane]->sig = SX_IDX_POINTS;
    }
    return e->open[lane];
}

static void lane_flush(rw_exporter *e, uint32_t lane)
{
    sx_payload *p = e->open[lane];

    if (!p)
        return;
    p->items = e->open_samples[lane];
    sx_delivery_put(e->d, p);
    e->open[lane] = NULL;
    e->open_samples[lane] = 0;
}

/* Appends one series (or target_info when se is NULL) to its lane's request,
 * cutting a new request when the sample budget would overflow. */
static void put(rw_exporter *e, const sx_run *r, const sx_series *se, uint32_t key,
                uint32_t resource, int64_t t_ms, bool stale)
{
    uint32_t lane = key % e->cfg.delivery.lanes;
    uint32_t n = se ? sx_rw_series_samples(se) : 1;
    sx_rw_options opt = { e->cfg.synthetic_label };
    sx_payload *p;

    if (e->open[lane] && e->open_samples[lane] + n > e->cfg.max_samples)
        lane_flush(e, lane);
    if (!(p = lane_payload(e, lane))) {
        sx_delivery_count_drop(e->d, SX_IDX_POINTS, n, sx_delivery_closed(e->d));
        return;
    }
    if (se)
        sx_rw_put_series(&p->body, r, se, t_ms, stale, &opt);
    else
        sx_rw_put_target_info(&p->body, r, resource, t_ms, stale, &opt);
    e->open_samples[lane] += n;
}

static void write_collection(rw_exporter *e, const sx_run *r, const sx_metrics *m, int64_t t_ms,
                             bool stale)
{
    /* Metadata rides in the first request of lane 0. */
    if (!stale) {
        sx_payload *p = lane_payload(e, 0);
        if (p)
            sx_rw_put_all_metadata(&p->body, m);
    }
    for (uint32_t i = 0; i < m->nseries; i++)
        put(e, r, &m->series[i], i, m->series[i].resource, t_ms, stale);
    for (uint32_t res = 0; res < r->nresources; res++)
        if (m->res_first[res] != UINT32_MAX)
            put(e, r, NULL, res, res, t_ms, stale);   /* a stable lane: keeps it in order */
    for (uint32_t l = 0; l < e->cfg.delivery.lanes; l++)
        lane_flush(e, l);
}

static int rw_submit_batch(sx_exporter *base, const sx_run *r, const sx_batch *b)
{
    (void)base;
    (void)r;
    (void)b;
    return 0;   /* remote-write carries metrics only */
}

static int rw_submit_metrics(sx_exporter *base, const sx_run *r, const sx_metrics *m,
                             int64_t time_ns, uint64_t points)
{
    rw_exporter *e = (rw_exporter *)base;

    (void)points;
    e->last_run = r;
    e->last_metrics = m;
    e->last_ms = time_ns / 1000000;
    write_collection(e, r, m, e->last_ms, false);
    return 0;
}

static int rw_flush(sx_exporter *base, int64_t deadline_ns)
{
    rw_exporter *e = (rw_exporter *)base;

    sx_delivery_drain(e->d, deadline_ns);
    return 0;
}

/* Called once the engine is done (the metrics are still alive): marks every
 * series stale just after its last sample, so dashboards and alerts see the
 * run end instead of a flat line for five minutes. */
static int rw_finish(sx_exporter *base, const sx_run *r, const sx_metrics *m)
{
    rw_exporter *e = (rw_exporter *)base;

    if (!e->last_run || e->stale_sent || !m)
        return 0;
    write_collection(e, r, m, e->last_ms + 1, true);
    e->stale_sent = true;
    return 0;
}

static void rw_stats(const sx_exporter *base, sx_export_stats *out)
{
    sx_delivery_stats(((const rw_exporter *)base)->d, out);
}

static bool rw_is_down(const sx_exporter *base)
{
    return sx_delivery_down(((const rw_exporter *)base)->d);
}

static void rw_destroy(sx_exporter *base)
{
    rw_exporter *e = (rw_exporter *)base;

    if (!e)
        return;
    sx_delivery_destroy(e->d);
    for (uint32_t i = 0; i < e->cfg.delivery.lanes; i++) {
        if (e->conns)
            sx_http_conn_destroy(e->conns[i]);
        if (e->zbuf)
            sx_strbuf_fini(&e->zbuf[i]);
        if (e->resp)
            sx_strbuf_fini(&e->resp[i].body);
    }
    for (uint32_t i = 0; e->all_headers && e->all_headers[i]; i++)
        free(e->all_headers[i]);
    free(e->all_headers);
    free(e->conns);
    free(e->zbuf);
    free(e->resp);
    free(e->open);
    free(e->open_samples);
    free(e);
}

static const struct sx_exporter_ops rw_ops = {
    "remote-write", rw_submit_batch, rw_submit_metrics, rw_flush, rw_stats, rw_destroy, rw_finish,
};

static bool reserved_header(const char *h)
{
    static const char *const names[] = { "content-encoding", "content-type", "user-agent",
                                         "x-prometheus-remote-write-version", NULL };
    size_t n = strcspn(h, ":");
    for (const char *const *p = names; *p; p++)
        if (strlen(*p) == n && strncasecmp(*p, h, n) == 0)
            return true;
    return false;
}

int sx_rw_exporter_create(const sx_rw_cfg *cfg, sx_exporter **out, char *err, size_t errlen)
{
    rw_exporter *e = calloc(1, sizeof(*e));
    uint32_t nh = 0;

    *out = NULL;
    if (!e)
        return SX_ENOMEM;
    e->cfg = *cfg;
    if (!e->cfg.max_samples)
        e->cfg.max_samples = 2000;
    if (!e->cfg.delivery.lanes)
        e->cfg.delivery.lanes = 4;
    e->cfg.delivery.name = "remote-write";
    e->cfg.delivery.request_timeout_ns = cfg->timeout_ns > 0 ? cfg->timeout_ns : 30000000000LL;
    sx_url_redact(cfg->url, e->endpoint, sizeof(e->endpoint));
    e->cfg.delivery.endpoint = e->endpoint;
    e->base.ops = &rw_ops;
    e->base.signals = SX_SIG_METRICS;
    e->base.is_down = rw_is_down;
    if (strncmp(cfg->url, "http://", 7) != 0 && strncmp(cfg->url, "https://", 8) != 0) {
        snprintf(err, errlen, "remote-write URL must start with http:// or https://");
        rw_destroy(&e->base);
        return SX_EINVAL;
    }
    e->all_headers = calloc(cfg->nheaders + 3, sizeof(*e->all_headers));
    if (!e->all_headers)
        goto oom;
    for (uint32_t i = 0; i < cfg->nheaders; i++) {
        if (reserved_header(cfg->headers[i])) {
            snprintf(err, errlen, "remote-write header '%.*s' is set by sigsynth and cannot be "
                     "overridden", (int)strcspn(cfg->headers[i], ":"), cfg->headers[i]);
            rw_destroy(&e->base);
            return SX_EINVAL;
        }
        if (!(e->all_headers[nh++] = strdup(cfg->headers[i])))
            goto oom;
    }
    if (!(e->all_headers[nh++] = strdup("X-Prometheus-Remote-Write-Version: 0.1.0")))
        goto oom;
    if (cfg->bearer_token) {
        size_t len = strlen(cfg->bearer_token) + 32;
        if (!(e->all_headers[nh] = malloc(len)))
            goto oom;
        snprintf(e->all_headers[nh++], len, "Authorization: Bearer %s", cfg->bearer_token);
    }
    e->http.headers = e->all_headers;
    e->http.nheaders = nh;
    e->http.content_type = "application/x-protobuf";
    e->http.content_encoding = "snappy";
    e->http.timeout_ns = cfg->timeout_ns;
    e->http.tls = cfg->tls;
    e->http.basic_user = cfg->basic_user;
    e->http.basic_password = cfg->basic_password;
    uint32_t lanes = e->cfg.delivery.lanes;
    e->conns = calloc(lanes, sizeof(*e->conns));
    e->zbuf = calloc(lanes, sizeof(*e->zbuf));
    e->resp = calloc(lanes, sizeof(*e->resp));
    e->open = calloc(lanes, sizeof(*e->open));
    e->open_samples = calloc(lanes, sizeof(*e->open_samples));
    if (!e->conns || !e->zbuf || !e->resp || !e->open || !e->open_samples)
        goto oom;
    for (uint32_t i = 0; i < lanes; i++) {
        sx_strbuf_init(&e->zbuf[i]);
        sx_strbuf_init(&e->resp[i].body);
        if (!(e->conns[i] = sx_http_conn_create(&e->http))) {
            snprintf(err, errlen, "cannot initialise libcurl");
            rw_destroy(&e->base);
            return SX_EIO;
        }
    }
    if (sx_delivery_create(&e->cfg.delivery, rw_send, e, &e->d))
        goto oom;
    *out = &e->base;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    rw_destroy(&e->base);
    return SX_ENOMEM;
}
