#define _XOPEN_SOURCE 700   /* mkdtemp */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/capture.h"
#include "check/promtool.h"
#include "check/rules.h"
#include "check/timeline.h"
#include "cli/cli.h"
#include "cli/limit_flags.h"
#include "cli/progress.h"
#include "scenario/load_internal.h"
#include "scenario/scenario.h"
#include "scenario/units.h"
#include "sim/engine.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/timefmt.h"

void sx_cli_help_check(void)
{
    puts("usage: sigsynth check SCENARIO --rules FILE [--rules FILE...] [flags]\n\n"
         "Offline alert validation: simulates the scenario's metric series (exactly what\n"
         "remote-write would send), has promtool evaluate the rules over them, builds the\n"
         "pending/firing timeline of every alert, and judges the scenario's expect: entries.\n\n"
         "  --rules FILE           Prometheus rule file (repeatable)\n"
         "  --report DIR           write report.md, report.json and timeline.svg\n"
         "  --keep                 keep promtool's generated test file (path is printed)\n"
         "  --seed N               (default: the scenario's)\n"
         "  --duration D           (default: the scenario's)\n"
         "  --metric-interval D    series resolution (default 15s)\n"
         "  --eval-interval D      rule evaluation step (default 15s)\n"
         "  --start T              absolute start, matters for diurnal traffic\n"
         "                         (default 2026-01-01T00:00:00Z)\n"
         "  --progress MODE        auto (tty when stderr is a terminal), tty, plain, off\n\n"
         "exit: 0 every expectation holds, 1 one fails, 2 bad input (scenario, rules,\n"
         "      promtool missing)");
    sx_cli_limits_help("check");
}

/* The series the rules read, as small line charts under the alert bars. */
static char *series_panels(const sx_capture *c, const sx_rules *rules, const sx_scenario *s,
                           double duration)
{
    sx_strbuf b;
    const char *picked[3];
    uint32_t npicked = 0;

    sx_strbuf_init(&b);
    for (uint32_t e = 0; e < s->nexpects && npicked < 3; e++) {
        const sx_rule_alert *ra = sx_rules_find(rules, s->expects[e].alert);
        if (!ra)
            continue;
        for (uint32_t i = 0; i < c->nseries && npicked < 3; i++) {
            const char *name = c->series[i].name;
            bool dup = false;
            for (uint32_t k = 0; k < npicked; k++)
                dup |= strcmp(picked[k], name) == 0;
            /* _bucket series are too many to draw; _count shows the rate. */
            if (dup || strstr(name, "_bucket") || strstr(name, "_sum") ||
                !sx_expr_mentions(ra->expr, name))
                continue;
            picked[npicked++] = name;
        }
        /* Histograms: the rule reads _bucket; draw the matching _count. */
        for (uint32_t i = 0; i < c->nseries && npicked < 3; i++) {
            const char *name = c->series[i].name;
            size_t nl = strlen(name);
            char base[256];
            if (nl < 7 || strcmp(name + nl - 6, "_count") != 0 || nl - 6 >= sizeof(base) - 8)
                continue;
            snprintf(base, sizeof(base), "%.*s_bucket", (int)(nl - 6), name);
            bool dup = false;
            for (uint32_t k = 0; k < npicked; k++)
                dup |= strcmp(picked[k], name) == 0;
            if (!dup && sx_expr_mentions(ra->expr, base))
                picked[npicked++] = name;
        }
    }
    if (!npicked) {
        sx_strbuf_fini(&b);
        return NULL;
    }
    const double left = 290, width = 1100 - 290 - 40, h = 50;
    for (uint32_t p = 0; p < npicked; p++) {
        double *agg = calloc(c->nsteps, sizeof(double));
        bool counter = false;
        if (!agg)
            break;
        for (uint32_t i = 0; i < c->nseries; i++) {
            const sx_cap_series *cs = &c->series[i];
            if (strcmp(cs->name, picked[p]) != 0)
                continue;
            counter = cs->counter;
            for (uint32_t k = 0; k < c->nsteps; k++) {
                double v = cs->values[k];
                if (isnan(v))
                    continue;
                if (counter)
                    agg[k] += v;
                else if (v > agg[k])
                    agg[k] = v;
            }
        }
        /* Counters become per-second rates between steps. */
        if (counter) {
            for (uint32_t k = c->nsteps; k-- > 1;)
                agg[k] = (agg[k] - agg[k - 1]) / c->interval;
            agg[0] = c->nsteps > 1 ? agg[1] : 0;
        }
        double lo = INFINITY, hi = -INFINITY;
        for (uint32_t k = 0; k < c->nsteps; k++) {
            lo = fmin(lo, agg[k]);
            hi = fmax(hi, agg[k]);
        }
        if (!(hi > lo))
            hi = lo + 1;
        double y0 = 10 + p * (h + 15);
        sx_strbuf_printf(&b, "<text x=\"10\" y=\"%.0f\" font-size=\"11\">%s%s</text>\n", y0 + 20,
                         picked[p], counter ? " (rate/s)" : " (max)");
        sx_strbuf_printf(&b, "<text x=\"10\" y=\"%.0f\" font-size=\"10\" fill=\"#777\">%.4g .. "
                             "%.4g</text>\n", y0 + 34, lo, hi);
        sx_strbuf_printf(&b, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" "
                             "fill=\"none\" stroke=\"#ccc\"/>\n<polyline fill=\"none\" "
                             "stroke=\"#2f6fbd\" stroke-width=\"1.5\" points=\"",
                         left, y0, width, h);
        for (uint32_t k = 0; k < c->nsteps; k++) {
            double x = left + width * fmin(1.0, k * c->interval / duration);
            double y = y0 + h - h * (agg[k] - lo) / (hi - lo);
            sx_strbuf_printf(&b, "%.1f,%.1f ", x, y);
        }
        sx_strbuf_puts(&b, "\"/>\n");
        free(agg);
    }
    if (b.failed) {
        sx_strbuf_fini(&b);
        return NULL;
    }
    return b.data;
}

int sx_cmd_check(int argc, char **argv)
{
    const char *path = NULL, *report = NULL, *start = "2026-01-01T00:00:00Z";
    char *rule_files[64];
    int nrules = 0;
    bool keep = false, seed_set = false;
    uint64_t seed = 0;
    double duration = 0, metric_interval = 15, eval_interval = 15;
    const char *why;
    int exit_code = SX_EXIT_USAGE;
    sx_scenario *s = NULL;
    sx_rules rules;
    sx_capture cap;
    sx_timeline tl;
    sx_verdict *verdicts = NULL;
    char dir[] = "/tmp/sigsynth-check-XXXXXX";
    bool dir_made = false;
    char err[2048] = "";
    sx_limits lim;
    enum sx_progress_mode progress_mode = SX_PROGRESS_AUTO;

    if ((argc = sx_cli_limit_args(&lim, "check", argc, argv)) < 0)
        return SX_EXIT_USAGE;
    memset(&rules, 0, sizeof(rules));
    memset(&cap, 0, sizeof(cap));
    memset(&tl, 0, sizeof(tl));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--keep") == 0) {
            keep = true;
            continue;
        }
        if (strncmp(a, "--progress=", 11) == 0 || (strcmp(a, "--progress") == 0 && v)) {
            const char *m = a[10] == '=' ? a + 11 : v;
            if (a[10] != '=')
                i++;
            if (sx_progress_parse(m, &progress_mode)) {
                fprintf(stderr, "sigsynth check: --progress is auto, tty, plain or off, "
                                "got '%s'\n", m);
                return SX_EXIT_USAGE;
            }
            continue;
        }
        if (a[0] != '-') {
            if (path) {
                fprintf(stderr, "sigsynth check: one scenario at a time; rule files go after "
                                "--rules\n");
                return SX_EXIT_USAGE;
            }
            path = a;
            continue;
        }
        if (!v) {
            fprintf(stderr, "sigsynth check: %s needs a value\n", a);
            return SX_EXIT_USAGE;
        }
        i++;
        if (strcmp(a, "--rules") == 0) {
            if (nrules >= 64) {
                fprintf(stderr, "sigsynth check: at most 64 rule files\n");
                return SX_EXIT_USAGE;
            }
            rule_files[nrules++] = (char *)v;
            /* --rules a.yml b.yml: files until the next flag */
            while (i + 1 < argc && argv[i + 1][0] != '-' && nrules < 64 && path)
                rule_files[nrules++] = argv[++i];
        } else if (strcmp(a, "--report") == 0) {
            report = v;
        } else if (strcmp(a, "--seed") == 0) {
            if (sx_parse_uint(v, UINT64_MAX / 2, &seed)) {
                fprintf(stderr, "sigsynth check: --seed needs a whole number\n");
                return SX_EXIT_USAGE;
            }
            seed_set = true;
        } else if (strcmp(a, "--start") == 0) {
            start = v;
        } else if (strcmp(a, "--duration") == 0 || strcmp(a, "--metric-interval") == 0 ||
                   strcmp(a, "--eval-interval") == 0) {
            double d;
            if (sx_parse_duration(v, &d, &why) || d <= 0) {
                fprintf(stderr, "sigsynth check: %s needs a duration like 15s, got '%s'\n", a, v);
                return SX_EXIT_USAGE;
            }
            *(strcmp(a, "--duration") == 0 ? &duration
              : strcmp(a, "--metric-interval") == 0 ? &metric_interval
                                                    : &eval_interval) = d;
        } else {
            fprintf(stderr, "sigsynth check: unknown option '%s' (see sigsynth help check)\n", a);
            return SX_EXIT_USAGE;
        }
    }
    if (!path || !nrules) {
        fputs("sigsynth check: usage: sigsynth check SCENARIO --rules FILE...\n", stderr);
        return SX_EXIT_USAGE;
    }

    sx_diag d;
    int rc;
    if (!(s = sx_cli_load_checked(path, &lim)))
        goto out;
    const char *missing = sx_promtool_missing();
    if (missing[0]) {
        fprintf(stderr, "sigsynth check: %s\n", missing);
        goto out;
    }
    if (sx_promtool_check_rules(rule_files, nrules, &lim))
        goto out;
    for (int i = 0; i < nrules; i++) {
        sx_diag_init(&d, rule_files[i]);
        rc = sx_rules_load(&rules, rule_files[i], &d);
        sx_diag_print(&d, stderr);
        sx_diag_fini(&d);
        if (rc)
            goto out;
    }
    /* Every expectation must name an alert some rule defines. */
    bool unknown = false;
    for (uint32_t i = 0; i < s->nexpects; i++) {
        if (sx_rules_find(&rules, s->expects[i].alert))
            continue;
        const char *cands[256];
        uint32_t nc = rules.nalerts < 255 ? rules.nalerts : 255;
        for (uint32_t k = 0; k < nc; k++)
            cands[k] = rules.alerts[k].name;
        cands[nc] = NULL;
        const char *hint = ld_suggest(s->expects[i].alert, cands, nc);
        fprintf(stderr, "%s:%u:%u: error: no rule file defines alert '%s'", path,
                s->expects[i].pos.line, s->expects[i].pos.col, s->expects[i].alert);
        if (hint)
            fprintf(stderr, " (did you mean '%s'?)", hint);
        fputs("\n", stderr);
        unknown = true;
    }
    if (unknown)
        goto out;

    sx_run_config cfg = { .seed = seed_set ? seed : s->seed_set ? s->seed : 1,
                          .duration = duration > 0 ? duration : s->duration,
                          .metric_interval = metric_interval, .signals = SX_SIG_METRICS,
                          .shard_count = 1 };
    if (sx_time_parse(start, sx_now_ns(), &cfg.start_ns)) {
        fprintf(stderr, "sigsynth check: --start takes RFC 3339, got '%s'\n", start);
        goto out;
    }
    if (sx_cli_check_samples(&lim, s, cfg.duration, metric_interval, eval_interval))
        goto out;
    sx_run run;
    sx_engine_result res;
    memset(&res, 0, sizeof(res));
    sx_capture_init(&cap, cfg.duration, metric_interval);
    sx_exporter *ex = &cap.base;
    if (sx_run_init(&run, s, &cfg) || sx_counts_init(&res.counts)) {
        fprintf(stderr, "sigsynth check: out of memory\n");
        sx_run_fini(&run);
        goto out;
    }
    sx_progress prog;
    sx_progress_init(&prog, progress_mode, "check", s, cfg.duration, false);
    sx_engine_hooks hooks = { .progress = sx_progress_engine_cb, .progress_ctx = &prog };
    rc = sx_engine_run_hooks(&run, &ex, 1, &hooks, &res, err, sizeof(err));
    sx_progress_end(&prog);
    sx_counts_fini(&res.counts);
    sx_run_fini(&run);
    if (rc) {
        fprintf(stderr, "sigsynth check: simulation failed: %s\n", err);
        exit_code = SX_EXIT_FAIL;
        goto out;
    }
    if (!mkdtemp(dir)) {
        fprintf(stderr, "sigsynth check: cannot create a temporary directory: %s\n",
                strerror(errno));
        exit_code = SX_EXIT_FAIL;
        goto out;
    }
    dir_made = true;
    fprintf(stderr, "sigsynth check: %s: %u series over %u steps of %gs; promtool evaluates "
                    "%u alert rules every %gs\n",
            s->name, cap.nseries, cap.nsteps, metric_interval, rules.nalerts, eval_interval);
    rc = sx_promtool_alerts(&cap, rule_files, nrules, eval_interval, lim.promtool_timeout, dir, &tl,
                            err, sizeof(err));
    if (rc) {
        fprintf(stderr, "sigsynth check: %s\n", err);
        exit_code = SX_EXIT_USAGE;
        goto out;
    }
    verdicts = calloc(s->nexpects ? s->nexpects : 1, sizeof(*verdicts));
    if (!verdicts)
        goto out;
    uint32_t failed = sx_judge(s, &tl, verdicts);
    sx_verdicts_print(stdout, s, verdicts, s->nexpects);
    exit_code = failed ? SX_EXIT_FAIL : SX_EXIT_OK;
    if (report) {
        char *panels = series_panels(&cap, &rules, s, tl.duration);
        if (sx_report_write(report, "check", s, &tl, verdicts, s->nexpects, cfg.start_ns, panels,
                            err, sizeof(err))) {
            fprintf(stderr, "sigsynth check: %s\n", err);
            exit_code = SX_EXIT_FAIL;
        } else {
            fprintf(stderr, "sigsynth check: report in %s/ (report.md, report.json, "
                            "timeline.svg)\n", report);
        }
        free(panels);
    }
out:
    if (dir_made) {
        if (keep) {
            fprintf(stderr, "sigsynth check: promtool test kept in %s/test.yml\n", dir);
        } else {
            char p[sizeof(dir) + 16];
            snprintf(p, sizeof(p), "%s/test.yml", dir);
            unlink(p);
            rmdir(dir);
        }
    }
    free(verdicts);
    sx_timeline_fini(&tl);
    sx_capture_fini(&cap);
    sx_rules_fini(&rules);
    sx_scenario_destroy(s);
    return exit_code;
}
