#include "scenario/explain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/units.h"
#include "stats/rng.h"
#include "util/err.h"

/* Expected attempts of a call whose callee fails with ratio e, with r retries. */
static double expected_attempts(double e, uint32_t retries)
{
    double total = 1.0, p = 1.0;

    for (uint32_t i = 0; i < retries; i++) {
        p *= e;
        total += p;
    }
    return total;
}

void sx_explain_rates(const sx_scenario *s, double (*rate)[SX_MAX_OPERATIONS])
{
    uint32_t indeg[SX_MAX_SERVICES][SX_MAX_OPERATIONS];
    uint32_t queue[SX_MAX_SERVICES * SX_MAX_OPERATIONS];
    uint32_t head = 0, tail = 0;

    memset(indeg, 0, sizeof(indeg));
    for (uint32_t i = 0; i < s->nservices; i++)
        for (uint32_t j = 0; j < SX_MAX_OPERATIONS; j++)
            rate[i][j] = 0.0;
    for (uint32_t i = 0; i < s->traffic.nentrypoints; i++) {
        const sx_entrypoint *e = &s->traffic.entrypoints[i];
        rate[e->service][e->operation] += e->rate;
    }
    for (uint32_t i = 0; i < s->nservices; i++)
        for (uint32_t j = 0; j < s->services[i].nops; j++)
            for (uint32_t k = 0; k < s->services[i].ops[j].ncalls; k++) {
                const sx_call *c = &s->services[i].ops[j].calls[k];
                indeg[c->service][c->operation]++;
            }
    /* Kahn's order: an operation's rate is final once all callers are done. */
    for (uint32_t i = 0; i < s->nservices; i++)
        for (uint32_t j = 0; j < s->services[i].nops; j++)
            if (!indeg[i][j])
                queue[tail++] = i * SX_MAX_OPERATIONS + j;
    while (head < tail) {
        uint32_t node = queue[head++];
        uint32_t i = node / SX_MAX_OPERATIONS, j = node % SX_MAX_OPERATIONS;
        const sx_operation *o = &s->services[i].ops[j];
        for (uint32_t k = 0; k < o->ncalls; k++) {
            const sx_call *c = &o->calls[k];
            const sx_operation *callee = &s->services[c->service].ops[c->operation];
            rate[c->service][c->operation] += rate[i][j] * c->probability * c->count *
                                              expected_attempts(callee->error_ratio, c->retries);
            if (--indeg[c->service][c->operation] == 0)
                queue[tail++] = (uint32_t)c->service * SX_MAX_OPERATIONS + (uint32_t)c->operation;
        }
    }
}

static void fmt_rate(double r, char *buf, size_t size)
{
    if (r >= 1.0 || r == 0.0)
        snprintf(buf, size, "%.1f/s", r);
    else if (r * 60.0 >= 1.0)
        snprintf(buf, size, "%.1f/m", r * 60.0);
    else
        snprintf(buf, size, "%.2f/h", r * 3600.0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void write_latency(const sx_latency *l, uint64_t seed, uint64_t stream, double *scratch,
                          uint32_t samples, FILE *out)
{
    static const double ps[] = { 0.5, 0.9, 0.99, 0.999 };
    static const char *const names[] = { "p50", "p90", "p99", "p99.9" };
    char buf[32];

    fputs("declared", out);
    if (l->kind == SX_DIST_QUANTILES) {
        for (uint32_t i = 0; i < l->nq; i++) {
            sx_format_duration(l->values[i], buf, sizeof(buf));
            fprintf(out, " p%g=%s", l->probs[i] * 100.0, buf);
        }
    } else if (l->kind == SX_DIST_LOGNORMAL) {
        sx_format_duration(l->median, buf, sizeof(buf));
        fprintf(out, " lognormal median=%s sigma=%g", buf, l->sigma);
    } else {
        sx_format_duration(l->value, buf, sizeof(buf));
        fprintf(out, " constant %s", buf);
    }
    if (l->min > 0.0) {
        sx_format_duration(l->min, buf, sizeof(buf));
        fprintf(out, " min=%s", buf);
    }
    if (isfinite(l->max)) {
        sx_format_duration(l->max, buf, sizeof(buf));
        fprintf(out, " max=%s", buf);
    }
    if (!samples || !scratch) {
        fputc('\n', out);
        return;
    }
    sx_rng rng;
    sx_rng_seed(&rng, seed, stream);
    for (uint32_t i = 0; i < samples; i++)
        scratch[i] = sx_dist_sample(&l->dist, &rng);
    qsort(scratch, samples, sizeof(*scratch), cmp_double);
    fputs("\n            sampled ", out);
    for (size_t i = 0; i < 4; i++) {
        size_t idx = (size_t)(ps[i] * samples);
        sx_format_duration(scratch[idx < samples ? idx : samples - 1], buf, sizeof(buf));
        fprintf(out, " %s=%s", names[i], buf);
    }
    fprintf(out, "  (%u samples)\n", samples);
}

static void write_target(const sx_scenario *s, const sx_effect *e, FILE *out)
{
    const sx_service *svc = &s->services[e->service];

    fprintf(out, "%s", svc->name);
    if (e->instance >= 0)
        fprintf(out, "[%d]", e->instance);
    if (e->operation >= 0)
        fprintf(out, ".%s", svc->ops[e->operation].name);
}

static void write_tree(const sx_scenario *s, int32_t si, int32_t oi, double rate, int depth,
                       FILE *out)
{
    const sx_operation *o = &s->services[si].ops[oi];
    char r[32];

    for (uint32_t k = 0; k < o->ncalls; k++) {
        const sx_call *c = &o->calls[k];
        const sx_service *callee = &s->services[c->service];
        double child_rate = rate * c->probability * c->count;
        fmt_rate(child_rate, r, sizeof(r));
        fprintf(out, "%*s%s %s.%s", depth * 4, "", o->parallel ? "||" : "->", callee->name,
                callee->ops[c->operation].name);
        if (c->count > 1)
            fprintf(out, " x%u", c->count);
        if (c->probability < 1.0)
            fprintf(out, " p=%g", c->probability);
        if (c->timeout > 0.0) {
            char t[32];
            sx_format_duration(c->timeout, t, sizeof(t));
            fprintf(out, " timeout=%s", t);
        }
        if (c->retries)
            fprintf(out, " retries=%u", c->retries);
        if (c->ignore_errors)
            fputs(" on_error=ignore", out);
        if (callee->kind != SX_KIND_SERVICE)
            fprintf(out, " [%s%s%s]", sx_kind_name(callee->kind), callee->system ? " " : "",
                    callee->system ? callee->system : "");
        fprintf(out, "  ~%s\n", r);
        write_tree(s, c->service, c->operation, child_rate, depth + 1, out);
    }
}

static const char *op_name(enum sx_op_kind k)
{
    switch (k) {
    case SX_OP_SET: return "set";
    case SX_OP_ADD: return "add";
    case SX_OP_MULTIPLY: return "multiply";
    case SX_OP_RAMP_TO: return "ramp_to";
    case SX_OP_LEAK: return "leak";
    default: return "none";
    }
}

static void write_incidents(const sx_scenario *s, FILE *out)
{
    char a[32], b[32], c[32], d[32];

    fprintf(out, "\nincidents (%u), offsets from the start of the timeline:\n", s->nincidents);
    for (uint32_t i = 0; i < s->nincidents; i++) {
        const sx_incident *inc = &s->incidents[i];
        sx_format_duration(sx_incident_phase_at(inc, SX_PHASE_START), a, sizeof(a));
        sx_format_duration(sx_incident_phase_at(inc, SX_PHASE_FULL), b, sizeof(b));
        sx_format_duration(sx_incident_phase_at(inc, SX_PHASE_RECOVERING), c, sizeof(c));
        sx_format_duration(sx_incident_phase_at(inc, SX_PHASE_END), d, sizeof(d));
        fprintf(out, "  %s\n    start +%s   full +%s   recovering +%s   end +%s\n", inc->name, a,
                b, c, d);
        for (uint32_t k = 0; k < inc->neffects; k++) {
            const sx_effect *e = &inc->effects[k];
            fputs("    - ", out);
            if (e->kind == SX_EFFECT_TARGET) {
                write_target(s, e, out);
                if (e->latency_op == SX_OP_MULTIPLY)
                    fprintf(out, " latency x%g", e->latency_factor);
                else if (e->latency_op == SX_OP_ADD) {
                    sx_format_duration(e->latency_add, a, sizeof(a));
                    fprintf(out, " latency +%s", a);
                } else if (e->latency_op == SX_OP_SET) {
                    sx_format_duration(sx_dist_quantile(&e->latency_set.dist, 0.5), a, sizeof(a));
                    sx_format_duration(sx_dist_quantile(&e->latency_set.dist, 0.99), b, sizeof(b));
                    fprintf(out, " latency set (p50 %s, p99 %s)", a, b);
                }
                if (e->errors_op == SX_OP_MULTIPLY)
                    fprintf(out, " errors x%g", e->errors_value);
                else if (e->errors_op)
                    fprintf(out, " errors %s %g%%", op_name(e->errors_op), e->errors_value * 100);
                if (e->error_message)
                    fprintf(out, " message \"%s\"", e->error_message);
                if (e->logs.n)
                    fprintf(out, " +%u log stream%s", e->logs.n, e->logs.n == 1 ? "" : "s");
            } else if (e->kind == SX_EFFECT_METRIC) {
                fprintf(out, "metric %s", e->metric);
                if (e->value_op == SX_OP_LEAK)
                    fprintf(out, " leak %g/s up to %g%s", e->leak_rate, e->leak_limit,
                            e->leak_restart ? ", then restart" : "");
                else
                    fprintf(out, " %s %g", op_name(e->value_op), e->value);
            } else {
                fprintf(out, "traffic x%g", e->traffic_factor);
                if (e->target)
                    fprintf(out, " into %s", e->target);
            }
            fputc('\n', out);
        }
    }
}

static void write_expects(const sx_scenario *s, FILE *out)
{
    char w[32];

    fprintf(out, "\nexpected alerts (%u):\n", s->nexpects);
    for (uint32_t i = 0; i < s->nexpects; i++) {
        const sx_expect_alert *e = &s->expects[i];
        fprintf(out, "  %s", e->alert);
        if (e->labels.n) {
            fputs(" {", out);
            for (uint32_t k = 0; k < e->labels.n; k++)
                fprintf(out, "%s%s=\"%s\"", k ? ", " : "", e->labels.v[k].key, e->labels.v[k].str);
            fputc('}', out);
        }
        if (e->fires.never) {
            fputs(": never fires\n", out);
            continue;
        }
        sx_format_duration(e->fires.within, w, sizeof(w));
        fprintf(out, ": fires within %s of %s", w, e->fires.after.text);
        if (e->resolves.present) {
            sx_format_duration(e->resolves.within, w, sizeof(w));
            fprintf(out, "; resolves within %s of %s", w, e->resolves.after.text);
        }
        fputc('\n', out);
    }
}

int sx_explain_write(const sx_scenario *s, uint64_t seed, uint32_t samples, FILE *out)
{
    double (*rate)[SX_MAX_OPERATIONS] = calloc(SX_MAX_SERVICES, sizeof(*rate));
    double *scratch = NULL;
    char dur[32], r[32];
    uint64_t stream = 0;

    if (!rate)
        return SX_ENOMEM;
    if (samples) {
        scratch = malloc(samples * sizeof(*scratch));
        if (!scratch) {
            free(rate);
            return SX_ENOMEM;
        }
    }
    sx_explain_rates(s, rate);
    sx_format_duration(s->duration, dur, sizeof(dur));
    fprintf(out, "scenario %s (%s)\n", s->name, s->file);
    if (s->description) {
        size_t dl = strlen(s->description);
        fprintf(out, "  %s%s", s->description, dl && s->description[dl - 1] == '\n' ? "" : "\n");
    }
    fprintf(out, "  timeline %s, seed %llu, traffic pattern %s\n", dur, (unsigned long long)seed,
            (const char *const[]){ "poisson", "constant", "diurnal", "bursty" }[s->traffic.pattern]);

    fprintf(out, "\nservices (%u):\n", s->nservices);
    for (uint32_t i = 0; i < s->nservices; i++) {
        const sx_service *svc = &s->services[i];
        fprintf(out, "  %s  [%s%s%s, %u instance%s]\n", svc->name, sx_kind_name(svc->kind),
                svc->system ? " " : "", svc->system ? svc->system : "", svc->instances,
                svc->instances == 1 ? "" : "s");
        for (uint32_t j = 0; j < svc->nops; j++) {
            const sx_operation *o = &svc->ops[j];
            fmt_rate(rate[i][j], r, sizeof(r));
            fprintf(out, "    %-22s ~%s", o->name, r);
            if (o->error_ratio > 0.0)
                fprintf(out, ", errors %g%% (status %d)", o->error_ratio * 100.0, o->error_status);
            fputs("\n          ", out);
            write_latency(&o->latency, seed, sx_mix64(++stream, i), scratch, samples, out);
        }
    }

    fputs("\ncall graph (from each entrypoint; ~ = expected requests/s at baseline):\n", out);
    for (uint32_t i = 0; i < s->traffic.nentrypoints; i++) {
        const sx_entrypoint *e = &s->traffic.entrypoints[i];
        fmt_rate(e->rate, r, sizeof(r));
        fprintf(out, "  %s.%s  %s\n", s->services[e->service].name,
                s->services[e->service].ops[e->operation].name, r);
        write_tree(s, e->service, e->operation, e->rate, 1, out);
    }

    write_incidents(s, out);

    fprintf(out, "\ncustom metrics (%u):\n", s->nmetrics);
    for (uint32_t i = 0; i < s->nmetrics; i++) {
        const sx_metric *m = &s->metrics[i];
        static const char *const types[] = { "gauge", "counter", "histogram" };
        fprintf(out, "  %s (%s) on %s%s", m->name, types[m->type], s->services[m->service].name,
                m->per_instance ? ", per instance" : "");
        if (m->type == SX_METRIC_GAUGE)
            fprintf(out, ": baseline %g, noise %g\n", m->baseline, m->noise);
        else
            fprintf(out, ": %g/s\n", m->rate);
    }
    write_expects(s, out);
    free(scratch);
    free(rate);
    return ferror(out) ? SX_EIO : 0;
}
