#include "wire/otlp_pb.h"

#include <string.h>

#include "util/err.h"
#include "wire/pb.h"
#include "wire/semconv.h"

uint32_t sx_span_flags(const sx_span *sp)
{
    static const uint8_t zero[8];
    uint32_t f = 0x01 | 0x100;   /* sampled; whether the parent is remote is known */

    if (sp->kind == SX_SPAN_SERVER && memcmp(sp->parent_span_id, zero, 8) != 0)
        f |= 0x200;              /* a server span's parent lives in another process */
    return f;
}

static void put_kv(sx_strbuf *b, uint32_t field, const sx_kv *kv)
{
    size_t m = sx_pb_begin(b, field);
    sx_pb_string(b, 1, kv->key);
    size_t v = sx_pb_begin(b, 2);
    switch (kv->type) {
    case SX_KV_INT: sx_pb_int64(b, 3, kv->i); break;
    case SX_KV_DOUBLE: sx_pb_double(b, 4, kv->d); break;
    case SX_KV_BOOL: sx_pb_uint64(b, 2, kv->b); break;
    default: sx_pb_string(b, 1, kv->s ? kv->s : ""); break;
    }
    sx_pb_end(b, v);
    sx_pb_end(b, m);
}

static void put_kvs(sx_strbuf *b, uint32_t field, const sx_kv *kv, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        put_kv(b, field, &kv[i]);
}

static void put_resource(sx_strbuf *b, const sx_run *r, uint32_t res)
{
    sx_kv kv[SX_MAX_KV];
    uint32_t n = sx_resource_kvs(r, res, kv, SX_MAX_KV);
    size_t m = sx_pb_begin(b, 1);   /* resource */

    put_kvs(b, 1, kv, n);
    sx_pb_end(b, m);
}

static void put_scope(sx_strbuf *b)
{
    size_t m = sx_pb_begin(b, 1);   /* scope */
    sx_pb_string(b, 1, "sigsynth");
    sx_pb_string(b, 2, SX_VERSION);
    sx_pb_end(b, m);
}

static void put_span(sx_strbuf *b, const sx_run *r, const sx_span *sp)
{
    static const uint8_t zero[8];
    sx_kv kv[SX_MAX_KV];
    sx_kv_scratch scratch[2];
    uint32_t n = sx_span_kvs(r, sp, kv, SX_MAX_KV, scratch);
    size_t m = sx_pb_begin(b, 2);   /* ScopeSpans.spans */

    sx_pb_bytes(b, 1, sp->trace_id, 16);
    sx_pb_bytes(b, 2, sp->span_id, 8);
    if (memcmp(sp->parent_span_id, zero, 8) != 0)
        sx_pb_bytes(b, 4, sp->parent_span_id, 8);
    sx_pb_string(b, 5, sx_span_name(r, sp));
    sx_pb_uint64(b, 6, sp->kind);
    sx_pb_fixed64(b, 7, (uint64_t)sp->start_ns);
    sx_pb_fixed64(b, 8, (uint64_t)sp->end_ns);
    put_kvs(b, 9, kv, n);
    if (sp->status == SX_STATUS_ERROR) {
        sx_kv ev[2] = {
            { .key = "exception.type", .type = SX_KV_STRING, .s = sx_error_type(r, sp, scratch) },
            { .key = "exception.message", .type = SX_KV_STRING,
              .s = sp->error_message ? sp->error_message : "" },
        };
        size_t e = sx_pb_begin(b, 11);
        sx_pb_fixed64(b, 1, (uint64_t)sp->end_ns);
        sx_pb_string(b, 2, "exception");
        put_kvs(b, 3, ev, 2);
        sx_pb_end(b, e);
        size_t st = sx_pb_begin(b, 15);
        sx_pb_string(b, 2, sp->error_message ? sp->error_message : "");
        sx_pb_uint64(b, 3, SX_STATUS_ERROR);
        sx_pb_end(b, st);
    } else {
        size_t st = sx_pb_begin(b, 15);   /* an empty Status: UNSET */
        sx_pb_end(b, st);
    }
    sx_pb_fixed32(b, 16, sx_span_flags(sp));
    sx_pb_end(b, m);
}

static void put_log(sx_strbuf *out, const sx_run *r, const sx_batch *b, const sx_logrec *l)
{
    sx_kv kv[SX_MAX_KV];
    sx_kv_scratch scratch;
    size_t m = sx_pb_begin(out, 2);   /* ScopeLogs.log_records */

    sx_pb_fixed64(out, 1, (uint64_t)l->time_ns);
    sx_pb_uint64(out, 2, (uint64_t)l->severity_number);
    sx_pb_string(out, 3, l->severity_text);
    size_t body = sx_pb_begin(out, 5);
    sx_pb_bytes(out, 1, b->text.data + l->body_off, l->body_len);
    sx_pb_end(out, body);
    put_kvs(out, 6, kv, sx_log_kvs(r, l, kv, SX_MAX_KV, &scratch));
    if (l->has_trace) {
        sx_pb_fixed32(out, 8, 0x01);
        sx_pb_bytes(out, 9, l->trace_id, 16);
        sx_pb_bytes(out, 10, l->span_id, 8);
    }
    sx_pb_fixed64(out, 11, (uint64_t)l->time_ns);
    sx_pb_end(out, m);
}

/* Items [from, to) grouped under their resource: ResourceSpans or
 * ResourceLogs (field 1), each with one scope (field 2). */
static int put_grouped(sx_group *g, const sx_run *r, const sx_batch *b, bool spans,
                       uint32_t from, uint32_t to, sx_strbuf *out)
{
    int rc;

    sx_strbuf_clear(out);
    if (from >= to)
        return 0;
    rc = spans ? sx_group_by_resource(g, r, b->spans + from, to - from, sizeof(*b->spans),
                                      offsetof(sx_span, service))
               : sx_group_by_resource(g, r, b->logs + from, to - from, sizeof(*b->logs),
                                      offsetof(sx_logrec, service));
    if (rc)
        return rc;
    for (uint32_t res = 0; res < r->nresources; res++) {
        uint32_t a = g->start[res], z = g->start[res + 1];
        if (a == z)
            continue;
        size_t rs = sx_pb_begin(out, 1);
        put_resource(out, r, res);
        size_t ss = sx_pb_begin(out, 2);
        put_scope(out);
        for (uint32_t i = a; i < z; i++) {
            if (spans)
                put_span(out, r, &b->spans[from + g->order[i]]);
            else
                put_log(out, r, b, &b->logs[from + g->order[i]]);
        }
        sx_pb_end(out, ss);
        sx_pb_end(out, rs);
    }
    return out->failed ? SX_ENOMEM : 0;
}

int sx_otlp_pb_traces(sx_group *g, const sx_run *r, const sx_batch *b, uint32_t from,
                      uint32_t to, sx_strbuf *out)
{
    return put_grouped(g, r, b, true, from, to, out);
}

int sx_otlp_pb_logs(sx_group *g, const sx_run *r, const sx_batch *b, uint32_t from, uint32_t to,
                    sx_strbuf *out)
{
    return put_grouped(g, r, b, false, from, to, out);
}

static void put_point(sx_strbuf *b, const sx_run *r, const sx_series *se, int64_t time_ns)
{
    const sx_family *f = se->fam;
    sx_kv kv[SX_MAX_KV];
    uint32_t n = sx_series_kvs(r, se, kv, SX_MAX_KV);
    size_t m = sx_pb_begin(b, 1);   /* data_points */

    if (f->type != SX_FAM_HISTOGRAM) {
        if (f->type == SX_FAM_SUM)
            sx_pb_fixed64(b, 2, (uint64_t)se->start_ns);
        sx_pb_fixed64(b, 3, (uint64_t)time_ns);
        sx_pb_double(b, 4, se->value);
        put_kvs(b, 7, kv, n);
        sx_pb_end(b, m);
        return;
    }
    sx_pb_fixed64(b, 2, (uint64_t)se->start_ns);
    sx_pb_fixed64(b, 3, (uint64_t)time_ns);
    sx_pb_fixed64(b, 4, se->count);
    sx_pb_double(b, 5, se->sum);
    size_t bc = sx_pb_begin(b, 6);   /* packed fixed64 */
    for (uint32_t i = 0; i <= f->nbounds; i++) {
        unsigned char *p = sx_pb_room(b, 8);
        if (!p)
            break;
        for (int k = 0; k < 8; k++)
            p[k] = (unsigned char)(se->buckets[i] >> (8 * k));
        b->len += 8;
    }
    sx_pb_end(b, bc);
    size_t eb = sx_pb_begin(b, 7);   /* packed double */
    for (uint32_t i = 0; i < f->nbounds; i++) {
        unsigned char *p = sx_pb_room(b, 8);
        uint64_t v;
        if (!p)
            break;
        memcpy(&v, &f->bounds[i], 8);
        for (int k = 0; k < 8; k++)
            p[k] = (unsigned char)(v >> (8 * k));
        b->len += 8;
    }
    sx_pb_end(b, eb);
    for (uint32_t i = 0; se->exemplars && i <= f->nbounds; i++) {
        const sx_exemplar *ex = &se->exemplars[i];
        if (!ex->set)
            continue;
        size_t e = sx_pb_begin(b, 8);
        sx_pb_fixed64(b, 2, (uint64_t)ex->time_ns);
        sx_pb_double(b, 3, ex->value);
        sx_pb_bytes(b, 4, ex->span_id, 8);
        sx_pb_bytes(b, 5, ex->trace_id, 16);
        if (ex->incidents) {
            sx_kv_scratch scratch;
            sx_kv ikv = { .key = "sigsynth.incident", .type = SX_KV_STRING,
                          .s = sx_incident_names(r, ex->incidents, &scratch) };
            put_kv(b, 7, &ikv);
        }
        sx_pb_end(b, e);
    }
    put_kvs(b, 9, kv, n);
    sx_pb_end(b, m);
}

int sx_otlp_pb_metrics(const sx_run *r, const sx_metrics *m, int64_t time_ns, sx_strbuf *out,
                       uint64_t *points)
{
    sx_strbuf_clear(out);
    *points = 0;
    for (uint32_t res = 0; res < r->nresources; res++) {
        if (m->res_first[res] == UINT32_MAX)
            continue;
        size_t rm = sx_pb_begin(out, 1);   /* resource_metrics */
        put_resource(out, r, res);
        size_t sm = sx_pb_begin(out, 2);   /* scope_metrics */
        put_scope(out);
        for (uint32_t fi = 0; fi < m->nfams; fi++) {
            const sx_family *f = &m->fams[fi];
            size_t mm = 0, data = 0;
            bool open = false;
            for (uint32_t i = m->res_first[res]; i != UINT32_MAX; i = m->series[i].next) {
                const sx_series *se = &m->series[i];
                if (se->fam != f)
                    continue;
                if (!open) {
                    open = true;
                    mm = sx_pb_begin(out, 2);   /* metrics */
                    sx_pb_string(out, 1, f->name);
                    sx_pb_string(out, 2, f->description);
                    sx_pb_string(out, 3, f->unit);
                    data = sx_pb_begin(out, f->type == SX_FAM_HISTOGRAM ? 9
                                            : f->type == SX_FAM_SUM    ? 7
                                                                       : 5);
                }
                put_point(out, r, se, time_ns);
                (*points)++;
            }
            if (open) {
                if (f->type != SX_FAM_GAUGE)
                    sx_pb_uint64(out, 2, 2);   /* CUMULATIVE */
                if (f->type == SX_FAM_SUM && f->monotonic)
                    sx_pb_uint64(out, 3, 1);
                sx_pb_end(out, data);
                sx_pb_end(out, mm);
            }
        }
        sx_pb_end(out, sm);
        sx_pb_end(out, rm);
    }
    return out->failed ? SX_ENOMEM : 0;
}
