#include "check/timeline.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scenario/units.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/timefmt.h"
#include "wire/json.h"

int sx_timeline_init(sx_timeline *t, double step, uint32_t nsteps, double duration)
{
    memset(t, 0, sizeof(*t));
    t->step = step;
    t->nsteps = nsteps;
    t->duration = duration;
    return 0;
}

void sx_timeline_fini(sx_timeline *t)
{
    for (uint32_t i = 0; i < t->n; i++) {
        sx_alert_inst *a = &t->v[i];
        free(a->alertname);
        free(a->key);
        for (uint32_t k = 0; k < a->nlabels; k++) {
            free(a->names[k]);
            free(a->values[k]);
        }
        free(a->names);
        free(a->values);
        free(a->state);
    }
    free(t->v);
    memset(t, 0, sizeof(*t));
}

int sx_timeline_set(sx_timeline *t, const char *source, const char *alertname,
                    const char *const *names, const char *const *values, uint32_t n, uint32_t i,
                    enum sx_alert_state st)
{
    sx_strbuf key;
    uint32_t idx[64];
    int rc = 0;

    if (i >= t->nsteps || n > 64)
        return 0;
    /* Canonical key: labels sorted by name. */
    for (uint32_t k = 0; k < n; k++)
        idx[k] = k;
    for (uint32_t a = 1; a < n; a++)
        for (uint32_t b = a; b > 0 && strcmp(names[idx[b - 1]], names[idx[b]]) > 0; b--) {
            uint32_t x = idx[b];
            idx[b] = idx[b - 1];
            idx[b - 1] = x;
        }
    sx_strbuf_init(&key);
    for (uint32_t k = 0; k < n; k++)
        sx_strbuf_printf(&key, "%s%s=%s", k ? "," : "", names[idx[k]], values[idx[k]]);
    if (!key.data)
        sx_strbuf_puts(&key, "");
    if (key.failed) {
        rc = SX_ENOMEM;
        goto out;
    }
    sx_alert_inst *a = NULL;
    for (uint32_t k = 0; k < t->n; k++)
        if (strcmp(t->v[k].alertname, alertname) == 0 && strcmp(t->v[k].key, key.data) == 0 &&
            strcmp(t->v[k].source, source) == 0)
            a = &t->v[k];
    if (!a) {
        sx_alert_inst *v = realloc(t->v, (t->n + 1) * sizeof(*v));
        if (!v) {
            rc = SX_ENOMEM;
            goto out;
        }
        t->v = v;
        a = &t->v[t->n++];
        memset(a, 0, sizeof(*a));
        snprintf(a->source, sizeof(a->source), "%s", source);
        a->alertname = strdup(alertname);
        a->key = strdup(key.data);
        a->state = calloc(t->nsteps, 1);
        a->names = calloc(n ? n : 1, sizeof(char *));
        a->values = calloc(n ? n : 1, sizeof(char *));
        if (!a->alertname || !a->key || !a->state || !a->names || !a->values) {
            rc = SX_ENOMEM;
            goto out;
        }
        for (uint32_t k = 0; k < n; k++) {
            a->names[k] = strdup(names[idx[k]]);
            a->values[k] = strdup(values[idx[k]]);
            a->nlabels++;
        }
    }
    if (st > a->state[i])
        a->state[i] = (uint8_t)st;
out:
    sx_strbuf_fini(&key);
    return rc;
}

static bool matches(const sx_alert_inst *a, const sx_expect_alert *e)
{
    if (strcmp(a->alertname, e->alert) != 0)
        return false;
    for (uint32_t i = 0; i < e->labels.n; i++) {
        bool found = false;
        for (uint32_t k = 0; k < a->nlabels && !found; k++)
            found = strcmp(a->names[k], e->labels.v[i].key) == 0 &&
                    strcmp(a->values[k], e->labels.v[i].str) == 0;
        if (!found)
            return false;
    }
    return true;
}

static double anchor_time(const sx_scenario *s, const sx_timeline *t, const sx_anchor *an)
{
    if (an->incident < 0)
        return an->phase == SX_PHASE_START ? 0.0 : t->duration;
    return sx_incident_phase_at(&s->incidents[an->incident], an->phase);
}

/* Whether any matching instance fires at step i (the states of several
 * sources, e.g. Prometheus and Alertmanager, are judged per source). */
static bool firing_at(const sx_timeline *t, const sx_expect_alert *e, uint32_t i, const char *src)
{
    for (uint32_t k = 0; k < t->n; k++)
        if ((!src || strcmp(t->v[k].source, src) == 0) && matches(&t->v[k], e) &&
            t->v[k].state[i] == SX_ALERT_FIRING)
            return true;
    return false;
}

static void fmt_rel(double secs, char *buf, size_t size)
{
    char d[32];
    sx_format_duration(fabs(secs), d, sizeof(d));
    snprintf(buf, size, "%s%.30s", secs < 0 ? "-" : "+", d);
}

uint32_t sx_judge(const sx_scenario *s, const sx_timeline *t, sx_verdict *out)
{
    uint32_t failed = 0;

    for (uint32_t x = 0; x < s->nexpects; x++) {
        const sx_expect_alert *e = &s->expects[x];
        sx_verdict *v = &out[x];
        char a[32], b[32];
        memset(v, 0, sizeof(*v));
        v->e = e;
        v->fired_at = v->resolved_at = v->fire_anchor = v->resolve_anchor = NAN;
        v->pass = true;
        /* The first source that saw the alert decides (promtool alone for
         * check; Prometheus before Alertmanager for verify). */
        const char *src = NULL;
        for (uint32_t k = 0; k < t->n && !src; k++)
            if (matches(&t->v[k], e))
                src = t->v[k].source;
        uint32_t first_fire = UINT32_MAX;
        for (uint32_t i = 0; i < t->nsteps && first_fire == UINT32_MAX; i++)
            if (firing_at(t, e, i, src))
                first_fire = i;
        if (e->fires.never) {
            if (first_fire != UINT32_MAX) {
                v->pass = false;
                v->fired_at = first_fire * t->step;
                sx_format_duration(v->fired_at, a, sizeof(a));
                snprintf(v->note, sizeof(v->note), "fired at +%s into the timeline", a);
            }
            goto done;
        }
        double A = anchor_time(s, t, &e->fires.after);
        v->fire_anchor = A;
        uint32_t ai = (uint32_t)ceil(A / t->step - 1e-9);
        if (ai > 0 && ai <= t->nsteps && firing_at(t, e, ai - 1, src)) {
            v->pass = false;
            snprintf(v->note, sizeof(v->note), "already firing before %s", e->fires.after.text);
        }
        uint32_t fi = UINT32_MAX;
        for (uint32_t i = ai; i < t->nsteps && fi == UINT32_MAX; i++)
            if (firing_at(t, e, i, src))
                fi = i;
        if (fi == UINT32_MAX) {
            v->pass = false;
            if (!v->note[0])
                snprintf(v->note, sizeof(v->note), first_fire == UINT32_MAX
                                                       ? "never fired"
                                                       : "did not fire after %s",
                         e->fires.after.text);
        } else {
            v->fired_at = fi * t->step;
            if (v->fired_at - A > e->fires.within + 1e-9) {
                v->pass = false;
                fmt_rel(v->fired_at - A, a, sizeof(a));
                sx_format_duration(e->fires.within, b, sizeof(b));
                snprintf(v->note, sizeof(v->note), "fired %s after %s, later than %s",
                         a, e->fires.after.text, b);
            }
        }
        if (e->resolves.present && fi != UINT32_MAX) {
            double R = anchor_time(s, t, &e->resolves.after);
            v->resolve_anchor = R;
            uint32_t ri = (uint32_t)ceil(R / t->step - 1e-9);
            uint32_t res = UINT32_MAX;
            if (ri >= t->nsteps) {
                res = UINT32_MAX;
            } else if (!firing_at(t, e, ri, src)) {
                /* Not firing at the anchor: when did it stop? */
                uint32_t k = ri;
                while (k > fi && !firing_at(t, e, k - 1, src))
                    k--;
                res = k;
            } else {
                for (uint32_t i = ri; i < t->nsteps && res == UINT32_MAX; i++)
                    if (!firing_at(t, e, i, src))
                        res = i;
            }
            if (res == UINT32_MAX) {
                v->pass = false;
                if (!v->note[0])
                    snprintf(v->note, sizeof(v->note), "still firing at the end of the timeline");
            } else {
                v->resolved_at = res * t->step;
                double rel = v->resolved_at - R;
                /* Resolved already before the anchor: the alert is quiet by
                 * the deadline, which is what the expectation asks. */
                if (rel < -1e-9 && !v->note[0]) {
                    sx_format_duration(-rel, a, sizeof(a));
                    snprintf(v->note, sizeof(v->note), "resolved %s before %s", a,
                             e->resolves.after.text);
                }
                if (rel > e->resolves.within + 1e-9) {
                    v->pass = false;
                    fmt_rel(rel, a, sizeof(a));
                    if (!v->note[0])
                        snprintf(v->note, sizeof(v->note), "resolved %s %s %s", a,
                                 rel < 0 ? "(before)" : "after", e->resolves.after.text);
                }
            }
        }
    done:
        if (!v->pass)
            failed++;
    }
    return failed;
}

static void put_labels(FILE *f, const sx_expect_alert *e, int width)
{
    char buf[256];
    size_t n = 0;

    buf[0] = '\0';
    for (uint32_t i = 0; i < e->labels.n && n < sizeof(buf); i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s=%s", i ? "," : "",
                              e->labels.v[i].key, e->labels.v[i].str);
    fprintf(f, "%-*s", width, n ? buf : "-");
}

static void window_text(const sx_window *w, char *buf, size_t size)
{
    char d[32];

    if (w->never) {
        snprintf(buf, size, "never");
        return;
    }
    if (!w->present) {
        snprintf(buf, size, "-");
        return;
    }
    sx_format_duration(w->within, d, sizeof(d));
    snprintf(buf, size, "<=%s after %s", d, w->after.text);
}

void sx_verdicts_print(FILE *f, const sx_scenario *s, const sx_verdict *v, uint32_t n)
{
    uint32_t failed = 0;

    fprintf(f, "%-26s %-28s %-38s %-11s %-38s %-11s %s\n", "ALERT", "LABELS", "FIRES", "FIRED",
            "RESOLVES", "RESOLVED", "VERDICT");
    for (uint32_t i = 0; i < n; i++) {
        char fw[96], rw[96], fa[32] = "-", ra[32] = "-";
        window_text(&v[i].e->fires, fw, sizeof(fw));
        window_text(&v[i].e->resolves, rw, sizeof(rw));
        if (!isnan(v[i].fired_at))
            fmt_rel(v[i].fired_at - (isnan(v[i].fire_anchor) ? 0 : v[i].fire_anchor), fa,
                    sizeof(fa));
        if (!isnan(v[i].resolved_at))
            fmt_rel(v[i].resolved_at - v[i].resolve_anchor, ra, sizeof(ra));
        fprintf(f, "%-26s ", v[i].e->alert);
        put_labels(f, v[i].e, 28);
        fprintf(f, " %-38s %-11s %-38s %-11s %s%s%s\n", fw, fa, rw, ra,
                v[i].pass ? "PASS" : "FAIL", v[i].note[0] ? ": " : "", v[i].note);
        failed += !v[i].pass;
    }
    fprintf(f, "%u expectations: %u passed, %u failed\n", n, n - failed, failed);
    (void)s;
}

/* ---- report ----------------------------------------------------------- */

static int write_text(const char *dir, const char *name, const sx_strbuf *b, char *err,
                      size_t errlen)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    if (!f || fwrite(b->data, 1, b->len, f) != b->len) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        if (f)
            fclose(f);
        return SX_EIO;
    }
    if (fclose(f)) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return SX_EIO;
    }
    return 0;
}

static void json_time_or_null(sx_strbuf *b, double t)
{
    if (isnan(t))
        sx_strbuf_puts(b, "null");
    else
        sx_json_double(b, t);
}

#define SVG_W 1100
#define SVG_LEFT 290
#define SVG_RIGHT 40
#define ROW_H 26

static double xpos(const sx_timeline *t, double secs)
{
    return SVG_LEFT + (SVG_W - SVG_LEFT - SVG_RIGHT) * (secs / t->duration);
}

static void svg_text_escaped(sx_strbuf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            sx_strbuf_puts(b, "&lt;");
        else if (*s == '>')
            sx_strbuf_puts(b, "&gt;");
        else if (*s == '&')
            sx_strbuf_puts(b, "&amp;");
        else if (*s == '"')
            sx_strbuf_puts(b, "&quot;");
        else
            sx_strbuf_putc(b, *s);
    }
}

static void svg(sx_strbuf *b, const sx_scenario *s, const sx_timeline *t, const sx_verdict *v,
                uint32_t n, const char *series_svg)
{
    uint32_t rows = t->n + n;
    int chart_top = 60;
    int chart_h = (int)rows * ROW_H + 20;
    int series_h = series_svg ? 200 : 0;
    int height = chart_top + chart_h + series_h + 70;
    char d[32];

    sx_strbuf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                        "font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n",
                     SVG_W, height);
    sx_strbuf_printf(b, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", SVG_W, height);
    sx_strbuf_puts(b, "<text x=\"12\" y=\"24\" font-size=\"16\" font-weight=\"bold\">");
    svg_text_escaped(b, s->name);
    sx_strbuf_puts(b, ": alert timeline</text>\n");
    sx_strbuf_puts(b, "<text x=\"12\" y=\"44\" fill=\"#555\">shaded: incident ramp / hold / "
                      "recovery; bars: pending (amber), firing (red); brackets: expected "
                      "window</text>\n");
    int bottom = chart_top + chart_h + series_h;
    /* Incident phases. */
    for (uint32_t i = 0; i < s->nincidents; i++) {
        const sx_incident *inc = &s->incidents[i];
        double ph[4];
        for (int p = 0; p < 4; p++)
            ph[p] = sx_incident_phase_at(inc, (enum sx_phase)p);
        static const char *const fill[3] = { "#fde2c8", "#f9b98a", "#fde2c8" };
        for (int p = 0; p < 3; p++) {
            if (ph[p + 1] <= ph[p])
                continue;
            sx_strbuf_printf(b, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                                "fill=\"%s\" opacity=\"0.7\"/>\n",
                             xpos(t, ph[p]), chart_top, xpos(t, ph[p + 1]) - xpos(t, ph[p]),
                             bottom - chart_top, fill[p]);
        }
        sx_strbuf_printf(b, "<text x=\"%.1f\" y=\"%d\" fill=\"#a04000\">", xpos(t, ph[0]) + 3,
                         chart_top - 4);
        svg_text_escaped(b, inc->name);
        sx_strbuf_puts(b, "</text>\n");
    }
    /* Time axis, a tick every 5 minutes (or a tenth of the timeline). */
    double tick = t->duration > 3600 ? 600 : t->duration > 600 ? 300 : 60;
    for (double x = 0; x <= t->duration + 1e-9; x += tick) {
        sx_format_duration(x, d, sizeof(d));
        sx_strbuf_printf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
                            "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#333\">%s"
                            "</text>\n",
                         xpos(t, x), chart_top, xpos(t, x), bottom, xpos(t, x), bottom + 16,
                         x == 0 ? "0" : d);
    }
    /* One row per alert instance. */
    int y = chart_top + 10;
    for (uint32_t k = 0; k < t->n; k++, y += ROW_H) {
        const sx_alert_inst *a = &t->v[k];
        sx_strbuf_printf(b, "<text x=\"10\" y=\"%d\">", y + 15);
        svg_text_escaped(b, a->alertname);
        sx_strbuf_puts(b, "<tspan dx=\"6\" fill=\"#777\" font-size=\"10\">");
        char lab[64];
        size_t room = strlen(a->alertname) < 30 ? 40 - strlen(a->alertname) : 10;
        snprintf(lab, sizeof(lab), "%.*s%s", (int)room, a->key, strlen(a->key) > room ? "..." : "");
        svg_text_escaped(b, lab);
        sx_strbuf_puts(b, "</tspan></text>\n");
        for (uint32_t i = 0; i < t->nsteps;) {
            uint8_t st = a->state[i];
            uint32_t j = i;
            while (j < t->nsteps && a->state[j] == st)
                j++;
            if (st) {
                double x0 = xpos(t, i * t->step), x1 = xpos(t, j * t->step);
                if (x1 > xpos(t, t->duration))
                    x1 = xpos(t, t->duration);
                sx_strbuf_printf(b, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"18\" "
                                    "rx=\"3\" fill=\"%s\"/>\n",
                                 x0, y + 2, x1 - x0 > 1 ? x1 - x0 : 1,
                                 st == SX_ALERT_FIRING ? "#d62728" : "#f2b134");
            }
            i = j;
        }
    }
    /* Expectations: the window each had, and the verdict. */
    for (uint32_t i = 0; i < n; i++, y += ROW_H) {
        const sx_verdict *vv = &v[i];
        sx_strbuf_printf(b, "<text x=\"10\" y=\"%d\" fill=\"%s\">%s expect ", y + 15,
                         vv->pass ? "#1a7f37" : "#cf222e", vv->pass ? "&#10003;" : "&#10007;");
        svg_text_escaped(b, vv->e->alert);
        sx_strbuf_puts(b, vv->e->fires.never ? " never</text>\n" : "</text>\n");
        if (!vv->e->fires.never && !isnan(vv->fire_anchor)) {
            double x0 = xpos(t, vv->fire_anchor),
                   x1 = xpos(t, fmin(vv->fire_anchor + vv->e->fires.within, t->duration));
            sx_strbuf_printf(b, "<path d=\"M%.1f %d v10 H%.1f v-10\" fill=\"none\" "
                                "stroke=\"#d62728\" stroke-width=\"2\"/>\n", x0, y + 4, x1);
        }
        if (vv->e->resolves.present && !isnan(vv->resolve_anchor)) {
            double x0 = xpos(t, vv->resolve_anchor),
                   x1 = xpos(t, fmin(vv->resolve_anchor + vv->e->resolves.within, t->duration));
            sx_strbuf_printf(b, "<path d=\"M%.1f %d v10 H%.1f v-10\" fill=\"none\" "
                                "stroke=\"#2f6fbd\" stroke-width=\"2\"/>\n", x0, y + 4, x1);
        }
        if (!isnan(vv->fired_at))
            sx_strbuf_printf(b, "<circle cx=\"%.1f\" cy=\"%d\" r=\"5\" fill=\"#d62728\"/>\n",
                             xpos(t, vv->fired_at), y + 14);
        if (!isnan(vv->resolved_at))
            sx_strbuf_printf(b, "<circle cx=\"%.1f\" cy=\"%d\" r=\"5\" fill=\"#2f6fbd\"/>\n",
                             xpos(t, vv->resolved_at), y + 14);
    }
    if (series_svg) {
        sx_strbuf_printf(b, "<g transform=\"translate(0,%d)\">\n", chart_top + chart_h);
        sx_strbuf_puts(b, series_svg);
        sx_strbuf_puts(b, "</g>\n");
    }
    sx_strbuf_puts(b, "</svg>\n");
}

int sx_report_write(const char *dir, const char *command, const sx_scenario *s,
                    const sx_timeline *t, const sx_verdict *v, uint32_t n, int64_t start_ns,
                    const char *series_svg, char *err, size_t errlen)
{
    sx_strbuf b;
    char ts[64];
    int rc;
    uint32_t failed = 0;

    if (sx_mkdir_p(dir) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return SX_EIO;
    }
    for (uint32_t i = 0; i < n; i++)
        failed += !v[i].pass;
    sx_strbuf_init(&b);
    /* report.json */
    sx_strbuf_puts(&b, "{\n  \"command\": ");
    sx_json_str(&b, command);
    sx_strbuf_puts(&b, ",\n  \"scenario\": ");
    sx_json_str(&b, s->name);
    sx_time_format(start_ns, ts, sizeof(ts));
    sx_strbuf_puts(&b, ",\n  \"start\": ");
    sx_json_str(&b, ts);
    sx_strbuf_puts(&b, ",\n  \"duration_seconds\": ");
    sx_json_double(&b, t->duration);
    sx_strbuf_puts(&b, ",\n  \"step_seconds\": ");
    sx_json_double(&b, t->step);
    sx_strbuf_printf(&b, ",\n  \"passed\": %u, \"failed\": %u,\n  \"expectations\": [", n - failed,
                     failed);
    for (uint32_t i = 0; i < n; i++) {
        sx_strbuf_puts(&b, i ? ",\n    {\"alert\": " : "\n    {\"alert\": ");
        sx_json_str(&b, v[i].e->alert);
        sx_strbuf_puts(&b, ", \"labels\": {");
        for (uint32_t k = 0; k < v[i].e->labels.n; k++) {
            if (k)
                sx_strbuf_puts(&b, ", ");
            sx_json_str(&b, v[i].e->labels.v[k].key);
            sx_strbuf_puts(&b, ": ");
            sx_json_str(&b, v[i].e->labels.v[k].str);
        }
        sx_strbuf_printf(&b, "}, \"never\": %s, \"fires_after\": ",
                         v[i].e->fires.never ? "true" : "false");
        sx_json_str(&b, v[i].e->fires.after.text ? v[i].e->fires.after.text : "");
        sx_strbuf_puts(&b, ", \"fires_within_seconds\": ");
        sx_json_double(&b, v[i].e->fires.within);
        sx_strbuf_puts(&b, ", \"fired_at_seconds\": ");
        json_time_or_null(&b, v[i].fired_at);
        sx_strbuf_puts(&b, ", \"resolves_after\": ");
        sx_json_str(&b, v[i].e->resolves.after.text ? v[i].e->resolves.after.text : "");
        sx_strbuf_puts(&b, ", \"resolved_at_seconds\": ");
        json_time_or_null(&b, v[i].resolved_at);
        sx_strbuf_printf(&b, ", \"pass\": %s, \"note\": ", v[i].pass ? "true" : "false");
        sx_json_str(&b, v[i].note);
        sx_strbuf_putc(&b, '}');
    }
    sx_strbuf_puts(&b, "\n  ],\n  \"alerts\": [");
    for (uint32_t k = 0; k < t->n; k++) {
        const sx_alert_inst *a = &t->v[k];
        sx_strbuf_puts(&b, k ? ",\n    {\"alertname\": " : "\n    {\"alertname\": ");
        sx_json_str(&b, a->alertname);
        sx_strbuf_puts(&b, ", \"source\": ");
        sx_json_str(&b, a->source);
        sx_strbuf_puts(&b, ", \"labels\": {");
        for (uint32_t i = 0; i < a->nlabels; i++) {
            if (i)
                sx_strbuf_puts(&b, ", ");
            sx_json_str(&b, a->names[i]);
            sx_strbuf_puts(&b, ": ");
            sx_json_str(&b, a->values[i]);
        }
        sx_strbuf_puts(&b, "}, \"intervals\": [");
        bool first = true;
        for (uint32_t i = 0; i < t->nsteps;) {
            uint8_t st = a->state[i];
            uint32_t j = i;
            while (j < t->nsteps && a->state[j] == st)
                j++;
            if (st) {
                sx_strbuf_printf(&b, "%s{\"state\": \"%s\", \"from_seconds\": ", first ? "" : ", ",
                                 st == SX_ALERT_FIRING ? "firing" : "pending");
                sx_json_double(&b, i * t->step);
                sx_strbuf_puts(&b, ", \"to_seconds\": ");
                sx_json_double(&b, j * t->step);
                sx_strbuf_putc(&b, '}');
                first = false;
            }
            i = j;
        }
        sx_strbuf_puts(&b, "]}");
    }
    sx_strbuf_puts(&b, "\n  ]\n}\n");
    if ((rc = write_text(dir, "report.json", &b, err, errlen)) != 0)
        goto out;

    /* report.md */
    sx_strbuf_clear(&b);
    sx_strbuf_printf(&b, "# sigsynth %s: %s\n\n", command, s->name);
    sx_strbuf_printf(&b, "Timeline start %s, %u expectations: **%u passed, %u failed**.\n\n", ts, n,
                     n - failed, failed);
    sx_strbuf_puts(&b, "![timeline](timeline.svg)\n\n## Incidents\n\n| incident | start | full | "
                       "recovering | end |\n|---|---|---|---|---|\n");
    for (uint32_t i = 0; i < s->nincidents; i++) {
        char p[4][32];
        for (int k = 0; k < 4; k++)
            sx_format_duration(sx_incident_phase_at(&s->incidents[i], (enum sx_phase)k), p[k],
                               sizeof(p[k]));
        sx_strbuf_printf(&b, "| %s | +%s | +%s | +%s | +%s |\n", s->incidents[i].name, p[0], p[1],
                         p[2], p[3]);
    }
    sx_strbuf_puts(&b, "\n## Expectations\n\n| alert | labels | fires | fired | resolves | "
                       "resolved | verdict |\n|---|---|---|---|---|---|---|\n");
    for (uint32_t i = 0; i < n; i++) {
        char fw[96], rw[96], fa[32] = "-", ra[32] = "-";
        window_text(&v[i].e->fires, fw, sizeof(fw));
        window_text(&v[i].e->resolves, rw, sizeof(rw));
        if (!isnan(v[i].fired_at))
            fmt_rel(v[i].fired_at - (isnan(v[i].fire_anchor) ? 0 : v[i].fire_anchor), fa, sizeof(fa));
        if (!isnan(v[i].resolved_at))
            fmt_rel(v[i].resolved_at - v[i].resolve_anchor, ra, sizeof(ra));
        sx_strbuf_printf(&b, "| %s | ", v[i].e->alert);
        for (uint32_t k = 0; k < v[i].e->labels.n; k++)
            sx_strbuf_printf(&b, "%s%s=%s", k ? ", " : "", v[i].e->labels.v[k].key,
                             v[i].e->labels.v[k].str);
        sx_strbuf_printf(&b, " | %s | %s | %s | %s | %s%s%s |\n", fw, fa, rw, ra,
                         v[i].pass ? "PASS" : "**FAIL**", v[i].note[0] ? ": " : "", v[i].note);
    }
    sx_strbuf_puts(&b, "\n## Alerts seen\n\n");
    for (uint32_t k = 0; k < t->n; k++) {
        const sx_alert_inst *a = &t->v[k];
        sx_strbuf_printf(&b, "- **%s** {%s} (%s):", a->alertname, a->key, a->source);
        for (uint32_t i = 0; i < t->nsteps;) {
            uint8_t st = a->state[i];
            uint32_t j = i;
            while (j < t->nsteps && a->state[j] == st)
                j++;
            if (st) {
                char x0[32], x1[32];
                sx_format_duration(i * t->step, x0, sizeof(x0));
                sx_format_duration(j * t->step, x1, sizeof(x1));
                sx_strbuf_printf(&b, " %s +%s..+%s;", st == SX_ALERT_FIRING ? "firing" : "pending",
                                 x0, x1);
            }
            i = j;
        }
        sx_strbuf_putc(&b, '\n');
    }
    if ((rc = write_text(dir, "report.md", &b, err, errlen)) != 0)
        goto out;

    sx_strbuf_clear(&b);
    svg(&b, s, t, v, n, series_svg);
    rc = write_text(dir, "timeline.svg", &b, err, errlen);
out:
    sx_strbuf_fini(&b);
    return rc;
}
