#include "sim/limits.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scenario/units.h"
#include "sim/metrics.h"
#include "sim/traffic.h"
#include "sim/walk.h"
#include "util/err.h"

void sx_limits_default(sx_limits *l)
{
    *l = (sx_limits){
        .max_log_body = SX_LIMIT_LOG_BODY,
        .max_request_logs = SX_LIMIT_REQUEST_LOGS,
        .max_series = SX_LIMIT_SERIES,
        .max_rate = SX_LIMIT_RATE,
        .max_instances = SX_LIMIT_INSTANCES,
        .max_duration = SX_LIMIT_DURATION,
        .promtool_timeout = SX_LIMIT_PROMTOOL_TIMEOUT,
        .max_rules_size = SX_LIMIT_RULES_SIZE,
        .max_check_samples = SX_LIMIT_CHECK_SAMPLES,
    };
}

void sx_limits_format_size(uint64_t bytes, char *buf, size_t size)
{
    static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
    double v = (double)bytes;
    unsigned u = 0;

    while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(*units)) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, size, "%llu bytes", (unsigned long long)bytes);
    else if (v == floor(v))
        snprintf(buf, size, "%.0f %s", v, units[u]);
    else
        snprintf(buf, size, "%.1f %s", v, units[u]);
}

/* "31d", "40d", "36h", else as sx_format_duration writes it. */
static void format_span(double secs, char *buf, size_t size)
{
    static const struct { double secs; const char *unit; } units[] = {
        { 86400.0, "d" }, { 3600.0, "h" }, { 60.0, "m" },
    };

    for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++)
        if (secs >= units[i].secs && fmod(secs, units[i].secs) == 0.0) {
            snprintf(buf, size, "%.0f%s", secs / units[i].secs, units[i].unit);
            return;
        }
    sx_format_duration(secs, buf, (unsigned)size);
}

static void format_rate(double r, char *buf, size_t size)
{
    if (r >= 1.0 && r < 1e15 && r == floor(r))
        snprintf(buf, size, "%.0f/s", r);
    else
        snprintf(buf, size, "%.4g/s", r);
}

/* The highest observation rate incidents can give a custom histogram:
 * effective() in metrics.c sets, ramps, multiplies and adds to its rate. */
static double histogram_peak(const sx_scenario *s, uint32_t metric)
{
    double base = s->metrics[metric].rate, mult = 1.0, add = 0.0;

    for (uint32_t i = 0; i < s->nincidents; i++)
        for (uint32_t j = 0; j < s->incidents[i].neffects; j++) {
            const sx_effect *e = &s->incidents[i].effects[j];
            if (e->kind != SX_EFFECT_METRIC || e->metric_index != (int32_t)metric)
                continue;
            if ((e->value_op == SX_OP_SET || e->value_op == SX_OP_RAMP_TO) && e->value > base)
                base = e->value;
            else if (e->value_op == SX_OP_MULTIPLY && e->value > 1.0)
                mult *= e->value;
            else if (e->value_op == SX_OP_ADD && e->value > 0.0)
                add += e->value;
        }
    return base * mult + add;
}

void sx_limits_estimate(const sx_scenario *s, sx_estimate *e)
{
    sx_metrics_bound b;

    memset(e, 0, sizeof(*e));
    sx_metrics_bound_of(s, &b);
    e->series = b.prom_total;
    memcpy(e->series_by_service, b.prom_series, sizeof(e->series_by_service));
    e->state_series = b.state_series;
    e->state_bytes = b.state_bytes;
    for (uint32_t i = 0; i < s->traffic.nentrypoints; i++)
        e->peak_rate += sx_traffic_peak_rate(s, i);
    for (uint32_t i = 0; i < s->nservices; i++)
        e->instances += s->services[i].instances;
    /* Custom histograms draw each observation one by one
     * (sx_metrics_advance): their rate costs time like requests do. */
    e->top_metric = -1;
    double top = 0.0;
    for (uint32_t i = 0; i < s->nmetrics; i++) {
        const sx_metric *m = &s->metrics[i];
        if (m->type != SX_METRIC_HISTOGRAM)
            continue;
        double r = histogram_peak(s, i) *
                   (m->per_instance && m->service >= 0 ? s->services[m->service].instances : 1);
        e->peak_observations += r;
        if (!(r <= top)) {
            top = r;
            e->top_metric = (int32_t)i;
        }
    }
}

static void check_bodies(const sx_scenario *s, const sx_logs *logs, int32_t service,
                         const sx_limits *l, sx_diag *d)
{
    for (uint32_t i = 0; i < logs->n; i++) {
        const sx_log_spec *spec = &logs->v[i];
        uint64_t n = sx_walk_body_bound(s, spec, service);
        if (n <= l->max_log_body)
            continue;
        char got[32], lim[32];
        sx_limits_format_size(n, got, sizeof(got));
        sx_limits_format_size(l->max_log_body, lim, sizeof(lim));
        sx_diag_error(d, spec->pos.line, spec->pos.col,
                      "rendered log body up to %s exceeds the %s limit (--max-log-body to "
                      "raise it)", got, lim);
    }
}

int sx_limits_check_scenario(const sx_scenario *s, const sx_limits *l, sx_diag *d)
{
    uint32_t before = d->nerrors;
    sx_estimate e;
    char a[32], b[32];

    sx_limits_estimate(s, &e);
    /* Log bodies: every template, where it is written. */
    for (uint32_t i = 0; i < s->nservices; i++) {
        check_bodies(s, &s->services[i].logs, (int32_t)i, l, d);
        for (uint32_t j = 0; j < s->services[i].nops; j++)
            check_bodies(s, &s->services[i].ops[j].logs, (int32_t)i, l, d);
    }
    for (uint32_t i = 0; i < s->nincidents; i++)
        for (uint32_t k = 0; k < s->incidents[i].neffects; k++) {
            const sx_effect *fx = &s->incidents[i].effects[k];
            check_bodies(s, &fx->logs, fx->kind == SX_EFFECT_TARGET ? fx->service : -1, l, d);
        }
    /* Log text per request: a fan-out of calls multiplies the bodies, and a
     * request's logs are all in memory at once. */
    uint64_t text;
    uint32_t ep;
    if (sx_walk_log_text_bound(s, &text, &ep))
        return SX_ENOMEM;
    if (text > l->max_request_logs && s->traffic.nentrypoints) {
        sx_limits_format_size(text, a, sizeof(a));
        sx_limits_format_size(l->max_request_logs, b, sizeof(b));
        sx_pos p = s->traffic.entrypoints[ep].pos;
        sx_diag_error(d, p.line, p.col,
                      "log text of one request up to %s (its calls' logs included) exceeds the "
                      "%s limit (--max-request-logs to raise it)", a, b);
    }
    /* Instances: at the service where the running total passes the limit. */
    if (e.instances > l->max_instances) {
        uint64_t sum = 0;
        for (uint32_t i = 0; i < s->nservices; i++) {
            sum += s->services[i].instances;
            if (sum > l->max_instances) {
                sx_diag_error(d, s->services[i].pos.line, s->services[i].pos.col,
                              "%llu instances in all exceed the %llu limit (--max-instances to "
                              "raise it)", (unsigned long long)e.instances,
                              (unsigned long long)l->max_instances);
                break;
            }
        }
    }
    /* Series: at the service that makes the most of them. */
    if (e.series > l->max_series) {
        uint32_t top = 0;
        for (uint32_t i = 1; i < s->nservices; i++)
            if (e.series_by_service[i] > e.series_by_service[top])
                top = i;
        sx_pos p = s->nservices ? s->services[top].pos : (sx_pos){ 1, 1 };
        sx_diag_error(d, p.line, p.col,
                      "metric series up to %llu (%llu of them from '%s') exceed the %llu "
                      "limit (--max-series to raise it)",
                      (unsigned long long)e.series,
                      (unsigned long long)e.series_by_service[top],
                      s->nservices ? s->services[top].name : "?",
                      (unsigned long long)l->max_series);
    }
    /* Rate: at the entrypoint with the highest peak. The negation also
     * refuses NaN (0 x infinity). */
    if (!(e.peak_rate <= l->max_rate)) {
        uint32_t top = 0;
        for (uint32_t i = 1; i < s->traffic.nentrypoints; i++)
            if (sx_traffic_peak_rate(s, i) > sx_traffic_peak_rate(s, top))
                top = i;
        sx_pos p = s->traffic.nentrypoints ? s->traffic.entrypoints[top].pos : s->traffic.pos;
        format_rate(e.peak_rate, a, sizeof(a));
        format_rate(l->max_rate, b, sizeof(b));
        sx_diag_error(d, p.line, p.col,
                      "total request rate up to %s (traffic patterns and incidents at their "
                      "peak) exceeds the %s limit (--max-rate to raise it)", a, b);
    }
    if (!(e.peak_observations <= l->max_rate) && e.top_metric >= 0) {
        format_rate(e.peak_observations, a, sizeof(a));
        format_rate(l->max_rate, b, sizeof(b));
        sx_pos p = s->metrics[e.top_metric].pos;
        sx_diag_error(d, p.line, p.col,
                      "histogram observations up to %s (incidents at their peak) exceed the %s "
                      "limit (--max-rate to raise it)", a, b);
    }
    if (s->duration > l->max_duration) {
        format_span(s->duration, a, sizeof(a));
        format_span(l->max_duration, b, sizeof(b));
        sx_diag_error(d, s->duration_pos.line, s->duration_pos.col,
                      "timeline duration %s exceeds the %s limit (--max-duration to raise it)",
                      a, b);
    }
    return d->nerrors != before ? SX_ELIMIT : 0;
}

int sx_limits_check_duration(const sx_limits *l, double duration, const char *flag, char *err,
                             size_t errlen)
{
    char a[32], b[32];

    if (duration <= l->max_duration)
        return 0;
    format_span(duration, a, sizeof(a));
    format_span(l->max_duration, b, sizeof(b));
    snprintf(err, errlen, "%s %s exceeds the %s limit (--max-duration to raise it)", flag, a, b);
    return SX_ELIMIT;
}

int sx_limits_check_samples(const sx_limits *l, uint64_t series, double steps, double evals,
                            char *err, size_t errlen)
{
    /* In double: the product of two large counts may not fit 64 bits. */
    double n = (double)series * floor(steps) + floor(evals);

    if (n <= (double)l->max_check_samples)
        return 0;
    snprintf(err, errlen, "check would keep %.0f samples (%llu series x %.0f steps, plus %.0f "
             "evaluation steps), more than the %llu limit (--max-check-samples to raise it, or "
             "a longer --metric-interval or --eval-interval)", n, (unsigned long long)series,
             floor(steps), floor(evals), (unsigned long long)l->max_check_samples);
    return SX_ELIMIT;
}
