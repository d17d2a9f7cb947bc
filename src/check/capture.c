#include "check/capture.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/strbuf.h"
#include "wire/remote_write.h"

struct sample_ctx {
    sx_capture *c;
    uint32_t base;
    bool counter;
    bool create;
};

static void put_label_value(sx_strbuf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            sx_strbuf_putc(b, '\\');
        if (*v == '\n') {
            sx_strbuf_puts(b, "\\n");
            continue;
        }
        sx_strbuf_putc(b, *v);
    }
}

static int add_series(sx_capture *c, const char *name, const sx_rw_label *labels, uint32_t n,
                      bool counter)
{
    sx_strbuf b;
    sx_cap_series *cs;

    if (c->nseries == c->cap) {
        uint32_t cap = c->cap ? c->cap * 2 : 256;
        sx_cap_series *v = realloc(c->series, cap * sizeof(*v));
        if (!v)
            return SX_ENOMEM;
        c->series = v;
        c->cap = cap;
    }
    cs = &c->series[c->nseries];
    memset(cs, 0, sizeof(*cs));
    sx_strbuf_init(&b);
    sx_strbuf_puts(&b, name);
    sx_strbuf_putc(&b, '{');
    for (uint32_t i = 0; i < n; i++) {
        sx_strbuf_printf(&b, "%s%s=\"", i ? "," : "", labels[i].name);
        put_label_value(&b, labels[i].value);
        sx_strbuf_putc(&b, '"');
    }
    sx_strbuf_putc(&b, '}');
    cs->name = strdup(name);
    cs->selector = b.failed ? NULL : strdup(b.data);
    sx_strbuf_fini(&b);
    cs->label_names = calloc(n ? n : 1, sizeof(char *));
    cs->label_values = calloc(n ? n : 1, sizeof(char *));
    cs->values = malloc(c->nsteps * sizeof(double));
    if (!cs->name || !cs->selector || !cs->label_names || !cs->label_values || !cs->values)
        return SX_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        cs->label_names[i] = strdup(labels[i].name);
        cs->label_values[i] = strdup(labels[i].value);
        cs->nlabels++;
        if (!cs->label_names[i] || !cs->label_values[i])
            return SX_ENOMEM;
    }
    cs->counter = counter;
    for (uint32_t i = 0; i < c->nsteps; i++)
        cs->values[i] = NAN;
    c->nseries++;
    return 0;
}

static void on_sample(void *ctx, const char *name, const sx_rw_label *labels, uint32_t n,
                      double value, uint32_t sub, const sx_exemplar *ex)
{
    struct sample_ctx *sc = ctx;
    sx_capture *c = sc->c;

    (void)ex;
    if (sc->create && add_series(c, name, labels, n, sc->counter)) {
        c->failed = 1;
        return;
    }
    if (sc->base + sub < c->nseries && c->step < c->nsteps)
        c->series[sc->base + sub].values[c->step] = value;
}

static int cap_metrics(sx_exporter *e, const sx_run *r, const sx_metrics *m, int64_t time_ns,
                       uint64_t points)
{
    sx_capture *c = (sx_capture *)e;
    sx_rw_options opt = { "synthetic" };
    double t = (double)(time_ns - r->cfg.start_ns) * 1e-9;
    uint32_t step = (uint32_t)llround(t / c->interval);

    (void)points;
    /* promtool wants evenly spaced samples. The last collection may come a
     * little after the end (it waits for the last request): it takes the
     * final step; any other off-grid collection is left out. */
    if (fabs(step * c->interval - t) > c->interval / 2 || step >= c->nsteps ||
        (step <= c->step && c->step))
        return 0;
    c->step = step;
    if (c->nbase < m->nseries) {
        uint32_t *b = realloc(c->base_of, m->nseries * sizeof(*b));
        if (!b)
            return SX_ENOMEM;
        for (uint32_t i = c->nbase; i < m->nseries; i++)
            b[i] = UINT32_MAX;
        c->base_of = b;
        c->nbase = m->nseries;
    }
    for (uint32_t i = 0; i < m->nseries; i++) {
        const sx_series *se = &m->series[i];
        struct sample_ctx sc = { c, c->base_of[i], se->fam->type != SX_FAM_GAUGE, false };
        if (sc.base == UINT32_MAX) {
            c->base_of[i] = sc.base = c->nseries;
            sc.create = true;
        }
        sx_rw_each_sample(r, se, &opt, on_sample, &sc);
    }
    if (c->failed)
        return SX_ENOMEM;
    return 0;
}

static int cap_batch(sx_exporter *e, const sx_run *r, const sx_batch *b)
{
    (void)e;
    (void)r;
    (void)b;
    return 0;
}

static int cap_flush(sx_exporter *e, int64_t d)
{
    (void)e;
    (void)d;
    return 0;
}

static void cap_stats(const sx_exporter *e, sx_export_stats *out)
{
    (void)e;
    memset(out, 0, sizeof(*out));
}

static int cap_finish(sx_exporter *e, const sx_run *r, const sx_metrics *m)
{
    sx_capture *c = (sx_capture *)e;

    (void)r;
    (void)m;
    /* Counters are 0 before their first sample (no request had that status
     * yet); gauges hold their first value back to the start. */
    for (uint32_t i = 0; i < c->nseries; i++) {
        sx_cap_series *cs = &c->series[i];
        double first = NAN;
        for (uint32_t k = 0; k < c->nsteps && isnan(first); k++)
            first = cs->values[k];
        for (uint32_t k = 0; k < c->nsteps; k++) {
            if (!isnan(cs->values[k])) {
                if (!cs->counter)
                    break;
                continue;
            }
            if (k > c->step)
                break;
            cs->values[k] = cs->counter ? 0.0 : first;
        }
    }
    c->nsteps = c->step + 1;
    return 0;
}

static void cap_destroy(sx_exporter *e)
{
    (void)e;
}

static const struct sx_exporter_ops cap_ops = { "capture", cap_batch, cap_metrics, cap_flush,
                                                cap_stats, cap_destroy, cap_finish };

int sx_capture_init(sx_capture *c, double duration, double interval)
{
    memset(c, 0, sizeof(*c));
    c->base.ops = &cap_ops;
    c->base.signals = SX_SIG_METRICS;
    c->interval = interval;
    c->nsteps = (uint32_t)floor(duration / interval + 1e-9) + 1;
    return 0;
}

void sx_capture_fini(sx_capture *c)
{
    for (uint32_t i = 0; i < c->nseries; i++) {
        sx_cap_series *cs = &c->series[i];
        free(cs->name);
        free(cs->selector);
        for (uint32_t k = 0; k < cs->nlabels; k++) {
            free(cs->label_names[k]);
            free(cs->label_values[k]);
        }
        free(cs->label_names);
        free(cs->label_values);
        free(cs->values);
    }
    free(c->series);
    free(c->base_of);
    memset(c, 0, sizeof(*c));
}
