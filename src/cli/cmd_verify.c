#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/live.h"
#include "check/timeline.h"
#include "cli/cli.h"
#include "cli/limit_flags.h"
#include "cli/progress.h"
#include "cli/verify.h"
#include "util/err.h"
#include "scenario/scenario.h"
#include "scenario/units.h"
#include "util/arena.h"
#include "util/json_parse.h"
#include "util/redact.h"
#include "util/timefmt.h"

static volatile int verify_stop;

static void on_signal(int sig)
{
    (void)sig;
    verify_stop = 1;
}

void sx_cli_help_verify(void)
{
    puts("usage: sigsynth verify SCENARIO --prometheus URL [--alertmanager URL]\n"
         "                       (--summary RUN.json | --start T) [flags]\n\n"
         "Live alert validation: polls Prometheus (/api/v1/alerts: pending and firing) and\n"
         "Alertmanager (/api/v2/alerts) while a live run feeds them, records when each alert\n"
         "went pending, fired and resolved on the scenario's timeline, and judges expect:\n"
         "like `check`. Run it next to `sigsynth run --mode live` (or use that command's\n"
         "--verify-prometheus flag to do both in one process).\n\n"
         "  --prometheus URL       Prometheus base URL (http://127.0.0.1:9090)\n"
         "  --alertmanager URL     Alertmanager base URL (optional)\n"
         "  --summary FILE         the run's --summary: its start anchors the timeline\n"
         "  --start T              or the run's start: RFC 3339 or 'now'\n"
         "  --poll D               time between polls (default 2s)\n"
         "  --synthetic-only       ignore alerts without synthetic=\"true\"\n"
         "  --report DIR           report.md, report.json and timeline.svg\n"
         "  --progress MODE        auto (tty when stderr is a terminal), tty, plain, off\n\n"
         "exit: 0 every expectation holds, 1 one fails, 2 bad input");
    sx_cli_limits_help("verify");
}

/* The "start" of a run summary. */
static int summary_start(const char *path, int64_t *out)
{
    FILE *f = fopen(path, "rb");
    char buf[1 << 16];
    size_t n;
    sx_arena a;
    char err[128];
    int rc = -1;

    if (!f)
        return -1;
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    sx_arena_init(&a, 16 * 1024);
    sx_jval *root = sx_json_parse(&a, buf, n, err, sizeof(err));
    const char *start = sx_json_str_of(sx_json_get(root, "start"));
    if (start && sx_time_parse(start, 0, out) == 0)
        rc = 0;
    sx_arena_fini(&a);
    return rc;
}

int sx_cli_verify_finish(sx_verifier *v, const sx_scenario *s, const char *report,
                         volatile int *interrupt)
{
    sx_verdict *verdicts = calloc(s->nexpects ? s->nexpects : 1, sizeof(*verdicts));
    char err[512];
    int exit_code;

    if (!verdicts) {
        sx_progress_end_active();   /* its thread reads v: stop it first */
        sx_verifier_fini(v);
        return SX_EXIT_FAIL;
    }
    uint32_t failed = sx_verifier_finish(v, verdicts, interrupt);
    sx_progress_end_active();
    sx_verdicts_print(stdout, s, verdicts, s->nexpects);
    sx_verifier_print_sources(v, stdout);
    exit_code = failed ? SX_EXIT_FAIL : SX_EXIT_OK;
    if (v->polls == 0 || (v->poll_errors && v->poll_errors >= v->polls)) {
        fprintf(stderr, "sigsynth verify: could not read alerts: %s\n",
                v->last_error[0] ? v->last_error : "no poll succeeded");
        exit_code = SX_EXIT_FAIL;
    }
    if (report && sx_report_write(report, "verify", s, &v->tl, verdicts, s->nexpects,
                                  v->cfg.start_ns, NULL, err, sizeof(err))) {
        fprintf(stderr, "sigsynth verify: %s\n", err);
        exit_code = SX_EXIT_FAIL;
    } else if (report) {
        fprintf(stderr, "sigsynth verify: report in %s/\n", report);
    }
    sx_verifier_fini(v);
    free(verdicts);
    return exit_code;
}

static int verify_run(const sx_scenario *s, const sx_verifier_cfg *cfg, const char *report,
                      volatile int *interrupt, enum sx_progress_mode progress_mode)
{
    sx_verifier v;
    sx_progress prog;

    int vr = sx_verifier_start(&v, s, cfg);
    if (vr) {
        if (vr != SX_ELIMIT)
            fprintf(stderr, "sigsynth verify: cannot start\n");
        return vr == SX_ELIMIT ? SX_EXIT_USAGE : SX_EXIT_FAIL;
    }
    sx_progress_init(&prog, progress_mode, "verify", s, cfg->duration, true);
    sx_progress_watch(&prog, cfg->start_ns, (double)(v.until_ns - cfg->start_ns) * 1e-9,
                      sx_progress_verifier_polls, &v);
    int rc = sx_cli_verify_finish(&v, s, report, interrupt);
    sx_progress_end(&prog);
    return rc;
}

int sx_cmd_verify(int argc, char **argv)
{
    const char *path = NULL, *summary = NULL, *start = NULL, *report = NULL;
    sx_verifier_cfg cfg = { .poll = 2.0, .synthetic_label = "synthetic" };
    const char *why;
    sx_limits lim;
    enum sx_progress_mode progress_mode = SX_PROGRESS_AUTO;

    if ((argc = sx_cli_limit_args(&lim, "verify", argc, argv)) < 0)
        return SX_EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strncmp(a, "--progress=", 11) == 0 || (strcmp(a, "--progress") == 0 && val)) {
            const char *m = a[10] == '=' ? a + 11 : val;
            if (a[10] != '=')
                i++;
            if (sx_progress_parse(m, &progress_mode)) {
                fprintf(stderr, "sigsynth verify: --progress is auto, tty, plain or off, "
                                "got '%s'\n", m);
                return SX_EXIT_USAGE;
            }
            continue;
        }
        if (strcmp(a, "--synthetic-only") == 0) {
            cfg.synthetic_only = true;
            continue;
        }
        if (a[0] != '-') {
            path = a;
            continue;
        }
        if (!val) {
            fprintf(stderr, "sigsynth verify: %s needs a value\n", a);
            return SX_EXIT_USAGE;
        }
        i++;
        if (strcmp(a, "--prometheus") == 0)
            cfg.prometheus = val;
        else if (strcmp(a, "--alertmanager") == 0)
            cfg.alertmanager = val;
        else if (strcmp(a, "--summary") == 0)
            summary = val;
        else if (strcmp(a, "--start") == 0)
            start = val;
        else if (strcmp(a, "--report") == 0)
            report = val;
        else if (strcmp(a, "--poll") == 0) {
            if (sx_parse_duration(val, &cfg.poll, &why) || cfg.poll < 0.1) {
                fprintf(stderr, "sigsynth verify: --poll needs a duration like 2s\n");
                return SX_EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "sigsynth verify: unknown option '%s'\n", a);
            return SX_EXIT_USAGE;
        }
    }
    /* Never echoed: the URL may carry a password. */
    if ((cfg.prometheus && sx_url_check(cfg.prometheus)) ||
        (cfg.alertmanager && sx_url_check(cfg.alertmanager))) {
        fprintf(stderr, "sigsynth verify: %s: the URL holds a space, a control character (CR, LF, "
                        "NUL or another) or a non-ASCII byte; refused, nothing was sent\n",
                cfg.prometheus && sx_url_check(cfg.prometheus) ? "--prometheus" : "--alertmanager");
        return SX_EXIT_USAGE;
    }
    if (!path || !cfg.prometheus || (!summary && !start)) {
        fputs("sigsynth verify: usage: sigsynth verify SCENARIO --prometheus URL "
              "(--summary RUN.json | --start T)\n", stderr);
        return SX_EXIT_USAGE;
    }
    if (summary ? summary_start(summary, &cfg.start_ns)
                : sx_time_parse(start, sx_now_ns(), &cfg.start_ns)) {
        fprintf(stderr, "sigsynth verify: cannot read the start time from %s\n",
                summary ? summary : start);
        return SX_EXIT_USAGE;
    }
    sx_scenario *s = sx_cli_load_checked(path, &lim);
    if (!s)
        return SX_EXIT_USAGE;
    cfg.duration = s->duration;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int exit_code = verify_run(s, &cfg, report, &verify_stop, progress_mode);
    sx_scenario_destroy(s);
    return exit_code;
}
