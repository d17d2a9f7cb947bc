#include "wire/remote_write.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/pb.h"
#include "wire/semconv.h"

#define MAX_LABELS (SX_MAX_KV + 8)

typedef sx_rw_label label;

typedef struct labelset {
    label v[MAX_LABELS];
    uint32_t n;
    char text[8192];    /* sanitized names and formatted values */
    size_t used;
} labelset;

static const char *keep(labelset *ls, const char *s, size_t len)
{
    if (ls->used + len + 1 > sizeof(ls->text))
        return "";
    char *p = ls->text + ls->used;
    memcpy(p, s, len);
    p[len] = '\0';
    ls->used += len + 1;
    return p;
}

void sx_rw_label_name(const char *key, char *out)
{
    size_t i = 0;

    /* A label name may not start with a digit: prefix an underscore. */
    if (key[0] >= '0' && key[0] <= '9')
        out[i++] = '_';
    for (const char *p = key; *p; p++)
        out[i++] = ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '_')
                       ? *p
                       : '_';
    out[i] = '\0';
}

static void add(labelset *ls, const char *name, const char *value)
{
    if (!value || !*value || ls->n >= MAX_LABELS)
        return;   /* remote-write forbids empty label values */
    for (uint32_t i = 0; i < ls->n; i++)
        if (strcmp(ls->v[i].name, name) == 0)
            return;   /* first one wins: sigsynth's own labels are added first */
    ls->v[ls->n++] = (label){ name, value };
}

static void add_kv(labelset *ls, const sx_kv *kv)
{
    char name[256], val[64];
    const char *v = kv->s;

    if (strlen(kv->key) >= sizeof(name) - 2)
        return;
    sx_rw_label_name(kv->key, name);
    switch (kv->type) {
    case SX_KV_INT: snprintf(val, sizeof(val), "%lld", (long long)kv->i); v = val; break;
    case SX_KV_DOUBLE: snprintf(val, sizeof(val), "%.17g", kv->d); v = val; break;
    case SX_KV_BOOL: v = kv->b ? "true" : "false"; break;
    default: break;
    }
    if (!v)
        return;
    add(ls, keep(ls, name, strlen(name)), v == kv->s ? v : keep(ls, v, strlen(v)));
}

static int cmp_label(const label *a, const label *b)
{
    return strcmp(a->name, b->name);
}

static void sort_labels(labelset *ls)
{
    for (uint32_t i = 1; i < ls->n; i++) {
        label x = ls->v[i];
        uint32_t j = i;
        while (j > 0 && cmp_label(&ls->v[j - 1], &x) > 0) {
            ls->v[j] = ls->v[j - 1];
            j--;
        }
        ls->v[j] = x;
    }
}

static void resource_labels(labelset *ls, const sx_run *r, uint32_t resource,
                            const sx_rw_options *opt)
{
    const sx_resource *res = &r->resources[resource];
    const sx_service *svc = &r->s->services[res->service];
    const char *ns = NULL;

    for (uint32_t i = 0; i < r->s->resource.n; i++)
        if (strcmp(r->s->resource.v[i].key, "service.namespace") == 0)
            ns = r->s->resource.v[i].str;
    for (uint32_t i = 0; i < svc->attrs.n; i++)
        if (strcmp(svc->attrs.v[i].key, "service.namespace") == 0)
            ns = svc->attrs.v[i].str;
    add(ls, opt && opt->synthetic_label ? opt->synthetic_label : "synthetic", "true");
    if (ns) {
        char job[256];
        snprintf(job, sizeof(job), "%s/%s", ns, svc->name);
        add(ls, "job", keep(ls, job, strlen(job)));
    } else {
        add(ls, "job", svc->name);
    }
    add(ls, "instance", res->instance_id);
}

void sx_rw_family_name(const sx_family *f, char *out, size_t size)
{
    char base[256];
    const char *suffix = "";

    if (strlen(f->name) >= sizeof(base) - 2) {
        snprintf(out, size, "invalid_name");
        return;
    }
    sx_rw_label_name(f->name, base);
    if (f->id != SX_FAM_CUSTOM && f->id != SX_FAM_RESTARTS) {
        if (strcmp(f->unit, "s") == 0)
            suffix = "_seconds";
        else if (strcmp(f->unit, "ms") == 0)
            suffix = "_milliseconds";
        else if (strcmp(f->unit, "By") == 0)
            suffix = "_bytes";
    }
    size_t bl = strlen(base);
    bool has_total = bl >= 6 && strcmp(base + bl - 6, "_total") == 0;
    snprintf(out, size, "%s%s%s", base, suffix,
             f->type == SX_FAM_SUM && f->monotonic && !has_total ? "_total" : "");
}

uint32_t sx_rw_series_samples(const sx_series *se)
{
    return se->fam->type == SX_FAM_HISTOGRAM ? se->fam->nbounds + 3 : 1;
}

static double stale_nan(void)
{
    uint64_t bits = SX_RW_STALE_NAN_BITS;
    double d;
    memcpy(&d, &bits, sizeof(d));
    return d;
}

static void put_timeseries(sx_strbuf *out, const labelset *ls, const char *name, double v,
                           int64_t t_ms, const sx_exemplar *ex)
{
    size_t ts = sx_pb_begin(out, 1);   /* WriteRequest.timeseries */
    label all[MAX_LABELS + 1];
    uint32_t n = 0;

    /* __name__ sorts before every valid label name but "__..." ones. */
    all[n++] = (label){ "__name__", name };
    for (uint32_t i = 0; i < ls->n; i++)
        all[n++] = ls->v[i];
    for (uint32_t i = 0; i < n; i++) {
        size_t l = sx_pb_begin(out, 1);
        sx_pb_string(out, 1, all[i].name);
        sx_pb_string(out, 2, all[i].value);
        sx_pb_end(out, l);
    }
    size_t s = sx_pb_begin(out, 2);
    sx_pb_double(out, 1, v);
    sx_pb_int64(out, 2, t_ms);
    sx_pb_end(out, s);
    if (ex) {
        static const char hex[] = "0123456789abcdef";
        char tid[33], sid[17];
        for (int i = 0; i < 16; i++) {
            tid[2 * i] = hex[ex->trace_id[i] >> 4];
            tid[2 * i + 1] = hex[ex->trace_id[i] & 15];
        }
        tid[32] = '\0';
        for (int i = 0; i < 8; i++) {
            sid[2 * i] = hex[ex->span_id[i] >> 4];
            sid[2 * i + 1] = hex[ex->span_id[i] & 15];
        }
        sid[16] = '\0';
        size_t e = sx_pb_begin(out, 3);
        size_t l = sx_pb_begin(out, 1);
        sx_pb_string(out, 1, "span_id");
        sx_pb_string(out, 2, sid);
        sx_pb_end(out, l);
        l = sx_pb_begin(out, 1);
        sx_pb_string(out, 1, "trace_id");
        sx_pb_string(out, 2, tid);
        sx_pb_end(out, l);
        sx_pb_double(out, 2, ex->value);
        sx_pb_int64(out, 3, ex->time_ns / 1000000);
        sx_pb_end(out, e);
    }
    sx_pb_end(out, ts);
}

static void fmt_le(double v, char *buf, size_t size)
{
    if (isinf(v)) {
        snprintf(buf, size, "+Inf");
        return;
    }
    /* Shortest plain decimal that reads back, as Go's FormatFloat(v, 'f', -1)
     * in Prometheus' own OTLP translation: le="1000", never "1e+03". */
    for (int prec = 0; prec <= 17; prec++) {
        snprintf(buf, size, "%.*f", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* Enumerates a series' Prometheus samples: names, sorted labels, values. */
void sx_rw_each_sample(const sx_run *r, const sx_series *se, const sx_rw_options *opt,
                       sx_rw_sample_fn fn, void *ctx)
{
    labelset local;   /* on the stack: exporter threads share nothing */
    labelset *ls = &local;
    sx_kv kv[SX_MAX_KV];
    char fam[256], name[300];
    const sx_family *f = se->fam;
    uint32_t nkv = sx_series_kvs(r, se, kv, SX_MAX_KV);

    ls->n = 0;
    ls->used = 0;
    resource_labels(ls, r, se->resource, opt);
    for (uint32_t i = 0; i < nkv; i++)
        add_kv(ls, &kv[i]);
    sx_rw_family_name(f, fam, sizeof(fam));
    if (f->type != SX_FAM_HISTOGRAM) {
        sort_labels(ls);
        fn(ctx, fam, (const sx_rw_label *)ls->v, ls->n, se->value, 0, NULL);
        return;
    }
    /* Histogram: cumulative buckets with le, then _sum and _count. */
    uint32_t base = ls->n;
    uint64_t cum = 0;
    snprintf(name, sizeof(name), "%s_bucket", fam);
    for (uint32_t b = 0; b <= f->nbounds; b++) {
        char le[40];
        label saved[MAX_LABELS];
        cum += se->buckets[b];
        fmt_le(b < f->nbounds ? f->bounds[b] : INFINITY, le, sizeof(le));
        ls->n = base;
        add(ls, "le", le);
        memcpy(saved, ls->v, ls->n * sizeof(label));
        sort_labels(ls);
        const sx_exemplar *ex = se->exemplars && se->exemplars[b].set ? &se->exemplars[b] : NULL;
        fn(ctx, name, (const sx_rw_label *)ls->v, ls->n, (double)cum, b, ex);
        memcpy(ls->v, saved, ls->n * sizeof(label));
    }
    ls->n = base;
    sort_labels(ls);
    snprintf(name, sizeof(name), "%s_sum", fam);
    fn(ctx, name, (const sx_rw_label *)ls->v, ls->n, se->sum, f->nbounds + 1, NULL);
    snprintf(name, sizeof(name), "%s_count", fam);
    fn(ctx, name, (const sx_rw_label *)ls->v, ls->n, (double)se->count, f->nbounds + 2, NULL);
}

struct put_ctx {
    sx_strbuf *out;
    int64_t t_ms;
    bool stale;
};

static void put_sample(void *ctx, const char *name, const sx_rw_label *labels, uint32_t n,
                       double value, uint32_t sub, const sx_exemplar *ex)
{
    struct put_ctx *pc = ctx;
    labelset ls;

    (void)sub;
    ls.n = n;
    memcpy(ls.v, labels, n * sizeof(label));
    put_timeseries(pc->out, &ls, name, pc->stale ? stale_nan() : value, pc->t_ms,
                   pc->stale ? NULL : ex);
}

uint32_t sx_rw_put_series(sx_strbuf *out, const sx_run *r, const sx_series *se, int64_t t_ms,
                          bool stale, const sx_rw_options *opt)
{
    struct put_ctx pc = { out, t_ms, stale };

    sx_rw_each_sample(r, se, opt, put_sample, &pc);
    return sx_rw_series_samples(se);
}

uint32_t sx_rw_put_target_info(sx_strbuf *out, const sx_run *r, uint32_t resource, int64_t t_ms,
                               bool stale, const sx_rw_options *opt)
{
    labelset ls;
    sx_kv kv[SX_MAX_KV];
    uint32_t n = sx_resource_kvs(r, resource, kv, SX_MAX_KV);

    ls.n = 0;
    ls.used = 0;
    resource_labels(&ls, r, resource, opt);
    for (uint32_t i = 0; i < n; i++) {
        /* job and instance already carry these. */
        if (strcmp(kv[i].key, "service.name") == 0 || strcmp(kv[i].key, "service.namespace") == 0 ||
            strcmp(kv[i].key, "service.instance.id") == 0)
            continue;
        add_kv(&ls, &kv[i]);
    }
    sort_labels(&ls);
    put_timeseries(out, &ls, "target_info", stale ? stale_nan() : 1.0, t_ms, NULL);
    return 1;
}

void sx_rw_put_metadata(sx_strbuf *out, const sx_family *f)
{
    char fam[256];
    size_t m = sx_pb_begin(out, 3);

    sx_rw_family_name(f, fam, sizeof(fam));
    sx_pb_uint64(out, 1, f->type == SX_FAM_HISTOGRAM ? 3 : f->type == SX_FAM_SUM ? 1 : 2);
    sx_pb_string(out, 2, fam);
    sx_pb_string(out, 4, f->description);
    if (f->id != SX_FAM_CUSTOM && f->id != SX_FAM_RESTARTS)
        sx_pb_string(out, 5, strcmp(f->unit, "s") == 0    ? "seconds"
                             : strcmp(f->unit, "ms") == 0 ? "milliseconds"
                                                          : f->unit);
    sx_pb_end(out, m);
}

void sx_rw_put_all_metadata(sx_strbuf *out, const sx_metrics *m)
{
    for (uint32_t f = 0; f < m->nfams; f++) {
        for (uint32_t i = 0; i < m->nseries; i++) {
            if (m->series[i].fam == &m->fams[f]) {
                sx_rw_put_metadata(out, &m->fams[f]);
                break;
            }
        }
    }
}
