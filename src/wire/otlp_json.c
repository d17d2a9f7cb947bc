#include "wire/otlp_json.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "wire/json.h"
#include "wire/group.h"
#include "wire/semconv.h"

static void put_kvs(sx_strbuf *b, const sx_kv *kv, uint32_t n)
{
    sx_strbuf_putc(b, '[');
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            sx_strbuf_putc(b, ',');
        sx_strbuf_puts(b, "{\"key\":");
        sx_json_str(b, kv[i].key);
        switch (kv[i].type) {
        case SX_KV_INT:
            sx_strbuf_puts(b, ",\"value\":{\"intValue\":");
            sx_json_i64str(b, kv[i].i);
            break;
        case SX_KV_DOUBLE:
            sx_strbuf_puts(b, ",\"value\":{\"doubleValue\":");
            sx_json_double(b, kv[i].d);
            break;
        case SX_KV_BOOL:
            sx_strbuf_puts(b, kv[i].b ? ",\"value\":{\"boolValue\":true" : ",\"value\":{\"boolValue\":false");
            break;
        default:
            sx_strbuf_puts(b, ",\"value\":{\"stringValue\":");
            sx_json_str(b, kv[i].s ? kv[i].s : "");
            break;
        }
        sx_strbuf_puts(b, "}}");
    }
    sx_strbuf_putc(b, ']');
}

static void put_resource(sx_strbuf *b, const sx_run *r, uint32_t res)
{
    sx_kv kv[SX_MAX_KV];
    uint32_t n = sx_resource_kvs(r, res, kv, SX_MAX_KV);

    sx_strbuf_puts(b, "{\"resource\":{\"attributes\":");
    put_kvs(b, kv, n);
    sx_strbuf_puts(b, "},");
}

static void put_scope(sx_strbuf *b)
{
    sx_strbuf_puts(b, "{\"scope\":{\"name\":\"sigsynth\",\"version\":\"" SX_VERSION "\"},");
}

static void put_span(sx_strbuf *b, const sx_run *r, const sx_span *sp)
{
    sx_kv kv[SX_MAX_KV];
    sx_kv_scratch scratch[2];
    uint32_t n = sx_span_kvs(r, sp, kv, SX_MAX_KV, scratch);
    static const uint8_t zero[8];

    sx_strbuf_puts(b, "{\"traceId\":");
    sx_json_hex(b, sp->trace_id, 16);
    sx_strbuf_puts(b, ",\"spanId\":");
    sx_json_hex(b, sp->span_id, 8);
    if (memcmp(sp->parent_span_id, zero, 8) != 0) {
        sx_strbuf_puts(b, ",\"parentSpanId\":");
        sx_json_hex(b, sp->parent_span_id, 8);
    }
    sx_strbuf_puts(b, ",\"name\":");
    sx_json_str(b, sx_span_name(r, sp));
    sx_strbuf_puts(b, sp->kind == SX_SPAN_SERVER ? ",\"kind\":2" : ",\"kind\":3");
    sx_strbuf_puts(b, ",\"startTimeUnixNano\":");
    sx_json_i64str(b, sp->start_ns);
    sx_strbuf_puts(b, ",\"endTimeUnixNano\":");
    sx_json_i64str(b, sp->end_ns);
    sx_strbuf_puts(b, ",\"attributes\":");
    put_kvs(b, kv, n);
    if (sp->status == SX_STATUS_ERROR) {
        /* The exception event real instrumentation records on failure. */
        sx_kv ev[2] = {
            { .key = "exception.type", .type = SX_KV_STRING, .s = sx_error_type(r, sp, scratch) },
            { .key = "exception.message", .type = SX_KV_STRING,
              .s = sp->error_message ? sp->error_message : "" },
        };
        sx_strbuf_puts(b, ",\"events\":[{\"timeUnixNano\":");
        sx_json_i64str(b, sp->end_ns);
        sx_strbuf_puts(b, ",\"name\":\"exception\",\"attributes\":");
        put_kvs(b, ev, 2);
        sx_strbuf_puts(b, "}],\"status\":{\"message\":");
        sx_json_str(b, sp->error_message ? sp->error_message : "");
        sx_strbuf_puts(b, ",\"code\":2}");
    } else {
        sx_strbuf_puts(b, ",\"status\":{}");
    }
    sx_strbuf_putc(b, '}');
}

static void put_log(sx_strbuf *out, const sx_run *r, const sx_batch *b, const sx_logrec *l)
{
    sx_kv kv[SX_MAX_KV];
    sx_kv_scratch scratch;

    sx_strbuf_puts(out, "{\"timeUnixNano\":");
    sx_json_i64str(out, l->time_ns);
    sx_strbuf_puts(out, ",\"observedTimeUnixNano\":");
    sx_json_i64str(out, l->time_ns);
    sx_strbuf_puts(out, ",\"severityNumber\":");
    sx_json_u64(out, (uint64_t)l->severity_number);
    sx_strbuf_puts(out, ",\"severityText\":");
    sx_json_str(out, l->severity_text);
    sx_strbuf_puts(out, ",\"body\":{\"stringValue\":");
    sx_json_strn(out, b->text.data + l->body_off, l->body_len);
    sx_strbuf_puts(out, "},\"attributes\":");
    put_kvs(out, kv, sx_log_kvs(r, l, kv, SX_MAX_KV, &scratch));
    if (l->has_trace) {
        sx_strbuf_puts(out, ",\"traceId\":");
        sx_json_hex(out, l->trace_id, 16);
        sx_strbuf_puts(out, ",\"spanId\":");
        sx_json_hex(out, l->span_id, 8);
    }
    sx_strbuf_putc(out, '}');
}

/* One Export request: items grouped under their resource, one scope each.
 * spans selects the signal (spans, else logs). */
static int put_grouped(sx_group *enc, const sx_run *r, const sx_batch *b, bool spans,
                       sx_strbuf *out, uint64_t *items)
{
    uint32_t n = spans ? b->nspans : b->nlogs;
    bool first_res = true;
    int rc;

    *items = 0;
    if (!n)
        return 0;
    rc = spans ? sx_group_by_resource(enc, r, b->spans, n, sizeof(*b->spans),
                                      offsetof(sx_span, service))
               : sx_group_by_resource(enc, r, b->logs, n, sizeof(*b->logs),
                                      offsetof(sx_logrec, service));
    if (rc)
        return rc;
    sx_strbuf_puts(out, spans ? "{\"resourceSpans\":[" : "{\"resourceLogs\":[");
    for (uint32_t res = 0; res < r->nresources; res++) {
        uint32_t from = enc->start[res], to = enc->start[res + 1];
        if (from == to)
            continue;
        if (!first_res)
            sx_strbuf_putc(out, ',');
        first_res = false;
        put_resource(out, r, res);
        sx_strbuf_puts(out, spans ? "\"scopeSpans\":[" : "\"scopeLogs\":[");
        put_scope(out);
        sx_strbuf_puts(out, spans ? "\"spans\":[" : "\"logRecords\":[");
        for (uint32_t i = from; i < to; i++) {
            if (i > from)
                sx_strbuf_putc(out, ',');
            if (spans)
                put_span(out, r, &b->spans[enc->order[i]]);
            else
                put_log(out, r, b, &b->logs[enc->order[i]]);
        }
        sx_strbuf_puts(out, "]}]}");
    }
    sx_strbuf_puts(out, "]}\n");
    *items = n;
    return out->failed ? SX_ENOMEM : 0;
}

int sx_otlp_json_traces(sx_group *enc, const sx_run *r, const sx_batch *b, sx_strbuf *out,
                        uint64_t *items)
{
    return put_grouped(enc, r, b, true, out, items);
}

int sx_otlp_json_logs(sx_group *enc, const sx_run *r, const sx_batch *b, sx_strbuf *out,
                      uint64_t *items)
{
    return put_grouped(enc, r, b, false, out, items);
}

static void put_point_head(sx_strbuf *b, const sx_run *r, const sx_series *se, int64_t time_ns,
                           bool with_start)
{
    sx_kv kv[SX_MAX_KV];

    sx_strbuf_puts(b, "{\"attributes\":");
    put_kvs(b, kv, sx_series_kvs(r, se, kv, SX_MAX_KV));
    if (with_start) {
        sx_strbuf_puts(b, ",\"startTimeUnixNano\":");
        sx_json_i64str(b, se->start_ns);
    }
    sx_strbuf_puts(b, ",\"timeUnixNano\":");
    sx_json_i64str(b, time_ns);
}

static void put_point(sx_strbuf *b, const sx_run *r, const sx_series *se, int64_t time_ns)
{
    const sx_family *f = se->fam;

    if (f->type == SX_FAM_GAUGE) {
        put_point_head(b, r, se, time_ns, false);
        sx_strbuf_puts(b, ",\"asDouble\":");
        sx_json_double(b, se->value);
        sx_strbuf_putc(b, '}');
        return;
    }
    if (f->type == SX_FAM_SUM) {
        put_point_head(b, r, se, time_ns, true);
        sx_strbuf_puts(b, ",\"asDouble\":");
        sx_json_double(b, se->value);
        sx_strbuf_putc(b, '}');
        return;
    }
    put_point_head(b, r, se, time_ns, true);
    sx_strbuf_puts(b, ",\"count\":");
    sx_json_u64str(b, se->count);
    sx_strbuf_puts(b, ",\"sum\":");
    sx_json_double(b, se->sum);
    sx_strbuf_puts(b, ",\"bucketCounts\":[");
    for (uint32_t i = 0; i <= f->nbounds; i++) {
        if (i)
            sx_strbuf_putc(b, ',');
        sx_json_u64str(b, se->buckets[i]);
    }
    sx_strbuf_puts(b, "],\"explicitBounds\":[");
    for (uint32_t i = 0; i < f->nbounds; i++) {
        if (i)
            sx_strbuf_putc(b, ',');
        sx_json_double(b, f->bounds[i]);
    }
    sx_strbuf_putc(b, ']');
    if (se->exemplars) {
        bool any = false;
        for (uint32_t i = 0; i <= f->nbounds; i++) {
            const sx_exemplar *ex = &se->exemplars[i];
            if (!ex->set)
                continue;
            sx_strbuf_puts(b, any ? ",{" : ",\"exemplars\":[{");
            any = true;
            sx_strbuf_puts(b, "\"timeUnixNano\":");
            sx_json_i64str(b, ex->time_ns);
            sx_strbuf_puts(b, ",\"asDouble\":");
            sx_json_double(b, ex->value);
            sx_strbuf_puts(b, ",\"spanId\":");
            sx_json_hex(b, ex->span_id, 8);
            sx_strbuf_puts(b, ",\"traceId\":");
            sx_json_hex(b, ex->trace_id, 16);
            if (ex->incidents) {
                sx_kv_scratch scratch;
                sx_kv kv = { .key = "sigsynth.incident", .type = SX_KV_STRING,
                             .s = sx_incident_names(r, ex->incidents, &scratch) };
                sx_strbuf_puts(b, ",\"filteredAttributes\":");
                put_kvs(b, &kv, 1);
            }
            sx_strbuf_putc(b, '}');
        }
        if (any)
            sx_strbuf_putc(b, ']');
    }
    sx_strbuf_putc(b, '}');
}

int sx_otlp_json_metrics(const sx_run *r, const sx_metrics *m, int64_t time_ns, sx_strbuf *out,
                         uint64_t *items)
{
    bool first_res = true;

    *items = 0;
    if (!m->nseries)
        return 0;
    sx_strbuf_puts(out, "{\"resourceMetrics\":[");
    for (uint32_t res = 0; res < r->nresources; res++) {
        if (m->res_first[res] == UINT32_MAX)
            continue;
        if (!first_res)
            sx_strbuf_putc(out, ',');
        first_res = false;
        put_resource(out, r, res);
        sx_strbuf_puts(out, "\"scopeMetrics\":[");
        put_scope(out);
        sx_strbuf_puts(out, "\"metrics\":[");
        bool first_metric = true;
        for (uint32_t fi = 0; fi < m->nfams; fi++) {
            const sx_family *f = &m->fams[fi];
            bool open = false;
            for (uint32_t i = m->res_first[res]; i != UINT32_MAX; i = m->series[i].next) {
                const sx_series *se = &m->series[i];
                if (se->fam != f)
                    continue;
                if (!open) {
                    if (!first_metric)
                        sx_strbuf_putc(out, ',');
                    first_metric = false;
                    open = true;
                    sx_strbuf_puts(out, "{\"name\":");
                    sx_json_str(out, f->name);
                    sx_strbuf_puts(out, ",\"description\":");
                    sx_json_str(out, f->description);
                    sx_strbuf_puts(out, ",\"unit\":");
                    sx_json_str(out, f->unit);
                    sx_strbuf_puts(out, f->type == SX_FAM_HISTOGRAM ? ",\"histogram\":{\"dataPoints\":["
                                        : f->type == SX_FAM_SUM     ? ",\"sum\":{\"dataPoints\":["
                                                                    : ",\"gauge\":{\"dataPoints\":[");
                } else {
                    sx_strbuf_putc(out, ',');
                }
                put_point(out, r, se, time_ns);
                (*items)++;
            }
            if (open) {
                if (f->type == SX_FAM_HISTOGRAM)
                    sx_strbuf_puts(out, "],\"aggregationTemporality\":2}}");
                else if (f->type == SX_FAM_SUM)
                    sx_strbuf_puts(out, f->monotonic ? "],\"aggregationTemporality\":2,\"isMonotonic\":true}}"
                                                     : "],\"aggregationTemporality\":2}}");
                else
                    sx_strbuf_puts(out, "]}}");
            }
        }
        sx_strbuf_puts(out, "]}]}");
    }
    sx_strbuf_puts(out, "]}\n");
    return out->failed ? SX_ENOMEM : 0;
}
