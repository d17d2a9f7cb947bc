#include "otlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/redact.h"
#include "wire/otlp_pb.h"
#include "wire/pb.h"

typedef struct otlp_exporter {
    sx_exporter base;
    sx_otlp_cfg cfg;
    sx_otlp_transport t;
    sx_delivery *d;
    sx_group g;
    uint32_t next_lane;
    char endpoint[256];         /* for messages: no userinfo */
} otlp_exporter;

static void send_payload(void *ctx, uint32_t lane, const sx_payload *p, const sx_attempt *at,
                         sx_send_result *res)
{
    otlp_exporter *e = ctx;
    e->t.send(e->t.ctx, lane, p, at, res);
}

static uint32_t lane(otlp_exporter *e)
{
    /* Order across OTLP requests does not matter: spread over the lanes. */
    return e->next_lane++ % e->cfg.delivery.lanes;
}

static int submit_range(otlp_exporter *e, const sx_run *r, const sx_batch *b, int sig,
                        uint32_t n)
{
    for (uint32_t from = 0, to; from < n; from = to) {
        to = from + e->cfg.max_items < n ? from + e->cfg.max_items : n;
        sx_payload *p = sx_delivery_get(e->d, lane(e));
        int rc;
        if (!p) {
            /* Stopped or down: the rest of the batch is not even encoded. */
            sx_delivery_count_drop(e->d, sig, n - from, sx_delivery_closed(e->d));
            break;
        }
        for (;;) {
            rc = sig == SX_IDX_SPANS ? sx_otlp_pb_traces(&e->g, r, b, from, to, &p->body)
                                     : sx_otlp_pb_logs(&e->g, r, b, from, to, &p->body);
            /* Too big for the receiver (gRPC servers take 4 MiB by default):
             * send fewer items now, the rest in the next request. */
            if (rc || p->body.len <= e->cfg.max_bytes || to - from <= 1)
                break;
            to = from + (to - from) / 2;
        }
        p->sig = sig;
        p->items = to - from;
        if (rc) {
            sx_strbuf_clear(&p->body);
            sx_delivery_put(e->d, p);
            sx_delivery_count_drop(e->d, sig, to - from, "encoding failed");
            continue;
        }
        sx_delivery_put(e->d, p);
    }
    return 0;
}

static int otlp_submit_batch(sx_exporter *base, const sx_run *r, const sx_batch *b)
{
    otlp_exporter *e = (otlp_exporter *)base;

    if (base->signals & SX_SIG_TRACES)
        submit_range(e, r, b, SX_IDX_SPANS, b->nspans);
    if (base->signals & SX_SIG_LOGS)
        submit_range(e, r, b, SX_IDX_LOGS, b->nlogs);
    return 0;
}

static int otlp_submit_metrics(sx_exporter *base, const sx_run *r, const sx_metrics *m,
                               int64_t time_ns, uint64_t points)
{
    otlp_exporter *e = (otlp_exporter *)base;
    sx_payload *p;
    uint64_t written;

    if (!(base->signals & SX_SIG_METRICS))
        return 0;
    p = sx_delivery_get(e->d, lane(e));
    if (!p) {
        sx_delivery_count_drop(e->d, SX_IDX_POINTS, points, sx_delivery_closed(e->d));
        return 0;
    }
    p->sig = SX_IDX_POINTS;
    if (sx_otlp_pb_metrics(r, m, time_ns, &p->body, &written)) {
        sx_strbuf_clear(&p->body);
        sx_delivery_put(e->d, p);
        sx_delivery_count_drop(e->d, SX_IDX_POINTS, points, "encoding failed");
        return 0;
    }
    p->items = written;
    sx_delivery_put(e->d, p);
    return 0;
}

static int otlp_flush(sx_exporter *base, int64_t deadline_ns)
{
    sx_delivery_drain(((otlp_exporter *)base)->d, deadline_ns);
    return 0;
}

static void otlp_stats(const sx_exporter *base, sx_export_stats *out)
{
    sx_delivery_stats(((const otlp_exporter *)base)->d, out);
}

static bool otlp_is_down(const sx_exporter *base)
{
    return sx_delivery_down(((const otlp_exporter *)base)->d);
}

static void otlp_destroy(sx_exporter *base)
{
    otlp_exporter *e = (otlp_exporter *)base;

    if (!e)
        return;
    sx_delivery_destroy(e->d);
    if (e->t.destroy)
        e->t.destroy(e->t.ctx);
    sx_group_fini(&e->g);
    free(e);
}

static const struct sx_exporter_ops grpc_ops = {
    "otlp-grpc", otlp_submit_batch, otlp_submit_metrics, otlp_flush, otlp_stats, otlp_destroy, NULL,
};
static const struct sx_exporter_ops http_ops = {
    "otlp-http", otlp_submit_batch, otlp_submit_metrics, otlp_flush, otlp_stats, otlp_destroy, NULL,
};

int sx_otlp_exporter_create(const sx_otlp_cfg *cfg, sx_exporter **out, char *err, size_t errlen)
{
    otlp_exporter *e = calloc(1, sizeof(*e));
    int rc;

    *out = NULL;
    if (!e)
        return SX_ENOMEM;
    e->cfg = *cfg;
    if (!e->cfg.max_items)
        e->cfg.max_items = 2048;
    if (!e->cfg.max_bytes)
        e->cfg.max_bytes = 4u << 20;
    if (!e->cfg.delivery.lanes)
        e->cfg.delivery.lanes = 2;
    e->cfg.delivery.name = cfg->grpc ? "otlp-grpc" : "otlp-http";
    e->cfg.delivery.request_timeout_ns = cfg->timeout_ns > 0 ? cfg->timeout_ns : 10000000000LL;
    sx_url_redact(cfg->endpoint ? cfg->endpoint
                  : cfg->signal_endpoint[0] ? cfg->signal_endpoint[0]
                  : cfg->signal_endpoint[1] ? cfg->signal_endpoint[1]
                  : cfg->signal_endpoint[2] ? cfg->signal_endpoint[2]
                  : cfg->grpc ? "localhost:4317" : "http://localhost:4318",
                  e->endpoint, sizeof(e->endpoint));
    e->cfg.delivery.endpoint = e->endpoint;
    e->base.ops = cfg->grpc ? &grpc_ops : &http_ops;
    e->base.signals = cfg->signals;
    e->base.is_down = otlp_is_down;
    sx_group_init(&e->g);
    rc = cfg->grpc ? sx_otlp_grpc_transport(&e->cfg, &e->t, err, errlen)
                   : sx_otlp_http_transport(&e->cfg, &e->t, err, errlen);
    if (rc) {
        otlp_destroy(&e->base);
        return rc;
    }
    rc = sx_delivery_create(&e->cfg.delivery, send_payload, e, &e->d);
    if (rc) {
        otlp_destroy(&e->base);
        return rc;
    }
    *out = &e->base;
    return 0;
}

int sx_otlp_parse_partial(const void *body, size_t len, uint64_t *rejected, char *msg,
                          size_t msglen)
{
    const unsigned char *p = body, *end = p + len;

    *rejected = 0;
    msg[0] = '\0';
    while (p < end) {
        uint64_t key, l;
        if (sx_pb_read_varint(&p, end, &key))
            return -1;
        if (key != ((1 << 3) | 2)) {
            if (sx_pb_skip(&p, end, (uint32_t)(key & 7)))
                return -1;
            continue;
        }
        if (sx_pb_read_varint(&p, end, &l) || (uint64_t)(end - p) < l)
            return -1;
        const unsigned char *q = p, *qe = p + l;
        p += l;
        while (q < qe) {
            uint64_t k2, v;
            if (sx_pb_read_varint(&q, qe, &k2))
                return -1;
            if (k2 == ((1 << 3) | 0)) {
                if (sx_pb_read_varint(&q, qe, rejected))
                    return -1;
            } else if (k2 == ((2 << 3) | 2)) {
                if (sx_pb_read_varint(&q, qe, &v) || (uint64_t)(qe - q) < v)
                    return -1;
                snprintf(msg, msglen, "%.*s", (int)(v < msglen ? v : msglen - 1), (const char *)q);
                q += v;
            } else if (sx_pb_skip(&q, qe, (uint32_t)(k2 & 7))) {
                return -1;
            }
        }
    }
    return 0;
}
