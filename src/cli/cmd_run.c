#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/exporter_flags.h"
#include "cli/limit_flags.h"
#include "cli/verify.h"
#include "delivery.h"
#include "cli/progress.h"
#include "cli/summary.h"
#include "scenario/scenario.h"
#include "scenario/units.h"
#include "sim/engine.h"
#include "util/err.h"
#include "util/redact.h"
#include "util/timefmt.h"

/* The first SIGINT/SIGTERM: its number. The engine and the exporters poll
 * it and wind down; the run then exits 128 + that number. */
static volatile sig_atomic_t stop_flag;
static pthread_t main_thread;
/* When the first signal came (CLOCK_MONOTONIC); see on_signal(). */
static volatile int64_t first_signal_ns;
#define SIGNAL_REPEAT_NS 250000000LL
/* Set once the shutdown budget after the signal is spent: the exporters stop
 * waiting for queue space then (and count what they could not queue). Until
 * then the last collection and the stale markers wait for room like any
 * other data, so an interrupted run into a healthy receiver drops nothing. */
static volatile int give_up;

/* Starts the shutdown clock when the signal comes; sets give_up when
 * --shutdown-timeout has passed since. */
struct watchdog {
    pthread_t thread;
    double timeout;
    _Atomic bool done;
    _Atomic int64_t deadline_ns;    /* CLOCK_MONOTONIC; 0 = no signal yet */
    bool started;
};

static void *watchdog_main(void *arg)
{
    struct watchdog *w = arg;

    while (!atomic_load(&w->done)) {
        int64_t now = sx_monotonic_ns(), deadline = atomic_load(&w->deadline_ns);
        if (stop_flag && !deadline)
            atomic_store(&w->deadline_ns, now + (int64_t)(w->timeout * 1e9));
        else if (deadline && now >= deadline) {
            give_up = 1;
            break;
        }
        struct timespec ts = { 0, 20000000 };
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* Async-signal-safe only (write, _exit, pthread_self/pthread_kill). The
 * handler runs on the main thread, the only one that writes --output files:
 * a worker thread that catches the signal passes it on. A write(2) to a
 * regular file is not cut short by a caught signal, so an immediate exit
 * from here leaves every output line whole. */
static void on_signal(int sig)
{
    int saved = errno;

    if (!pthread_equal(pthread_self(), main_thread)) {
        pthread_kill(main_thread, sig);
        errno = saved;
        return;
    }
    int64_t now = sx_monotonic_ns();   /* clock_gettime: async-signal-safe */
    /* One interrupt often arrives twice: `timeout` and other wrappers pass a
     * signal on to their child and to its process group, and a terminal's
     * Ctrl-C reaches the wrapper and the child alike. A repeat within
     * SIGNAL_REPEAT_NS is that echo, not a person asking to exit at once. */
    if (stop_flag && now - first_signal_ns < SIGNAL_REPEAT_NS) {
        errno = saved;
        return;
    }
    if (stop_flag) {
        static const char msg[] = "\nsigsynth run: second signal, exiting now (queued data is "
                                  "lost, no summary)\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
        (void)w;
        _exit(128 + sig);
    }
    stop_flag = sig;
    first_signal_ns = now;
    static const char msg[] = "\nsigsynth run: stopping: flushing what was simulated (signal "
                              "again to exit at once)\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)w;
    errno = saved;
}

void sx_cli_help_run(void)
{
    puts("usage: sigsynth run FILE [flags]\n\n"
         "Simulates the scenario and writes correlated spans, logs and metrics.\n\n"
         "  --output DIR            write traces.jsonl, metrics.jsonl, logs.jsonl (OTLP JSON)\n"
         "                          (default: sigsynth-out)\n"
         "  --summary FILE.json     counts generated/delivered/dropped, incident timeline\n"
         "  --seed N                random seed (default: the scenario's seed, else 1)\n"
         "  --start T               timeline start: RFC 3339, 'now' or '-2h'\n"
         "                          (backfill default: now minus the duration)\n"
         "  --duration D            timeline length (default: the scenario's)\n"
         "  --mode backfill|live    backfill: as fast as possible (default); live: paced to\n"
         "                          the wall clock from now\n"
         "  --signals LIST          traces,metrics,logs (default: all three)\n"
         "  --metric-interval D     time between metric points (default 15s)\n"
         "  --run-id ID             sigsynth.run_id tag (default: hash of scenario, seed, start)\n"
         "  --shard I/N             walk every N-th request starting at I (default 0/1)\n"
         "  --quiet                 no end-of-run report and no progress on stderr\n"
         "  --progress MODE         auto (default: tty when stderr is a terminal, else off),\n"
         "                          tty (redrawn line), plain (a line every 10s), off\n"
         "  --verify-prometheus URL watch this Prometheus' alerts during and after the run\n"
         "                          and judge the scenario's expect: (see sigsynth help verify)\n"
         "  --verify-alertmanager URL, --verify-report DIR, --verify-poll D,\n"
         "  --verify-synthetic-only\n");
    sx_cli_exporters_help();
    sx_cli_limits_help("run");
    puts("\nSIGINT/SIGTERM (Ctrl-C): stop, deliver what was simulated within\n"
         "--shutdown-timeout (default 10s), write the summary, exit 130/143; a second\n"
         "signal exits at once.\n\n"
         "exit: 0 ok, 1 something was dropped or failed, 2 bad input,\n"
         "      130 interrupted by SIGINT, 143 by SIGTERM");
}

static int parse_signals(const char *s, unsigned *out)
{
    unsigned m = 0;
    char buf[64];

    if (strlen(s) >= sizeof(buf))
        return -1;
    strcpy(buf, s);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (strcmp(tok, "traces") == 0)
            m |= SX_SIG_TRACES;
        else if (strcmp(tok, "metrics") == 0)
            m |= SX_SIG_METRICS;
        else if (strcmp(tok, "logs") == 0)
            m |= SX_SIG_LOGS;
        else
            return -1;
    }
    *out = m;
    return m ? 0 : -1;
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs("sigsynth run: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return SX_EXIT_USAGE;
}

/* A usage error once the exporter flags hold allocations. */
static int usage_fail(sx_cli_exporters *xf, const char *fmt, const char *arg)
{
    sx_cli_exporters_fini(xf);
    return usage_error(fmt, arg);
}

int sx_cmd_run(int argc, char **argv)
{
    const char *path = NULL, *summary = NULL, *start = NULL;
    const char *run_id = NULL;
    sx_run_config cfg = { .metric_interval = 15.0, .signals = SX_SIG_ALL, .shard_count = 1 };
    bool seed_set = false, quiet = false;
    double duration = 0.0;
    const char *why;
    int exit_code = SX_EXIT_OK;
    sx_cli_exporters xf;
    const char *verify_prom = NULL, *verify_am = NULL, *verify_report = NULL;
    double verify_poll = 2.0;
    bool verify_synthetic_only = false;
    sx_limits lim;
    enum sx_progress_mode progress_mode = SX_PROGRESS_AUTO;

    /* From here on a signal ends the run in order (exit 130/143), even one
     * that comes while the scenario loads or the exporters connect. */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);    /* the handlers never nest */
    sigaddset(&sa.sa_mask, SIGTERM);
    main_thread = pthread_self();
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    if ((argc = sx_cli_limit_args(&lim, "run", argc, argv)) < 0)
        return SX_EXIT_USAGE;
    sx_cli_exporters_init(&xf);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = true;
            continue;
        }
        if (strncmp(a, "--progress=", 11) == 0 || (strcmp(a, "--progress") == 0 && v)) {
            const char *m = a[10] == '=' ? a + 11 : v;
            if (a[10] != '=')
                i++;
            if (sx_progress_parse(m, &progress_mode))
                return usage_fail(&xf, "--progress is auto, tty, plain or off, got '%s'", m);
            continue;
        }
        if (strcmp(a, "--allow-drops") == 0) {
            xf.allow_drops = true;
            continue;
        }
        if (a[0] != '-' || a[1] == '\0') {
            if (path)
                return usage_fail(&xf, "one scenario file at a time (got '%s' too)", a);
            path = a;
            continue;
        }
        if (!v)
            return usage_fail(&xf, "%s needs a value", a);
        i++;
        int xr = sx_cli_exporter_flag(&xf, a, v);
        if (xr < 0) {
            sx_cli_exporters_fini(&xf);
            return SX_EXIT_USAGE;
        }
        if (xr > 0)
            continue;
        if ((strcmp(a, "--verify-prometheus") == 0 || strcmp(a, "--verify-alertmanager") == 0) &&
            sx_url_check(v)) {
            /* never echoed: the URL may carry a password */
            return usage_fail(&xf, "%s: the URL holds a space, a control character or a "
                                   "non-ASCII byte; refused, nothing was sent", a);
        } else if (strcmp(a, "--verify-prometheus") == 0) {
            verify_prom = v;
        } else if (strcmp(a, "--verify-alertmanager") == 0) {
            verify_am = v;
        } else if (strcmp(a, "--verify-report") == 0) {
            verify_report = v;
        } else if (strcmp(a, "--verify-synthetic-only") == 0) {
            i--;   /* a flag without a value */
            verify_synthetic_only = true;
        } else if (strcmp(a, "--verify-poll") == 0) {
            if (sx_parse_duration(v, &verify_poll, &why) || verify_poll < 0.1)
                return usage_fail(&xf, "--verify-poll needs a duration like 2s, got '%s'", v);
        } else if (strcmp(a, "--summary") == 0) {
            summary = v;
        } else if (strcmp(a, "--seed") == 0) {
            if (sx_parse_uint(v, UINT64_MAX / 2, &cfg.seed))
                return usage_fail(&xf, "--seed needs a whole number, got '%s'", v);
            seed_set = true;
        } else if (strcmp(a, "--start") == 0) {
            start = v;
        } else if (strcmp(a, "--duration") == 0) {
            if (sx_parse_duration(v, &duration, &why) || duration <= 0)
                return usage_fail(&xf, "--duration needs a positive duration like 30m, got '%s'", v);
        } else if (strcmp(a, "--mode") == 0) {
            if (strcmp(v, "live") == 0)
                cfg.live = true;
            else if (strcmp(v, "backfill") != 0)
                return usage_fail(&xf, "--mode is live or backfill, got '%s'", v);
        } else if (strcmp(a, "--signals") == 0) {
            if (parse_signals(v, &cfg.signals))
                return usage_fail(&xf, "--signals takes traces,metrics,logs, got '%s'", v);
        } else if (strcmp(a, "--metric-interval") == 0) {
            if (sx_parse_duration(v, &cfg.metric_interval, &why) || cfg.metric_interval < 0.001)
                return usage_fail(&xf, "--metric-interval needs a duration like 15s, got '%s'", v);
        } else if (strcmp(a, "--run-id") == 0) {
            if (!*v || strlen(v) > 36)
                return usage_fail(&xf, "--run-id must be 1-36 characters, got '%s'", v);
            run_id = v;
        } else if (strcmp(a, "--shard") == 0) {
            unsigned si, sn;
            char extra;
            if (sscanf(v, "%u/%u%c", &si, &sn, &extra) != 2 || sn == 0 || si >= sn)
                return usage_fail(&xf, "--shard is I/N with 0 <= I < N, got '%s'", v);
            cfg.shard_index = si;
            cfg.shard_count = sn;
        } else {
            return usage_fail(&xf, "unknown option '%s' (see sigsynth help run)", a);
        }
    }
    if (!path)
        return usage_fail(&xf, "%s", "usage: sigsynth run FILE [flags]");
    if (sx_cli_exporters_env(&xf)) {
        sx_cli_exporters_fini(&xf);
        return SX_EXIT_USAGE;
    }
    /* --signals limits every exporter, not only what is simulated. */
    xf.file_signals &= cfg.signals;
    xf.otlp_signals &= cfg.signals;
    cfg.extra_resource = xf.resource_attrs;
    cfg.nextra_resource = xf.nresource_attrs;

    int rc;
    sx_scenario *s = sx_cli_load_checked(path, &lim);
    if (!s) {
        sx_cli_exporters_fini(&xf);
        return SX_EXIT_USAGE;
    }

    cfg.seed = seed_set ? cfg.seed : s->seed_set ? s->seed : 1;
    cfg.duration = duration > 0 ? duration : s->duration;
    cfg.run_id = run_id;
    int64_t now = sx_now_ns();
    if (cfg.live) {
        if (start && strcmp(start, "now") != 0) {
            sx_scenario_destroy(s);
            return usage_fail(&xf, "live mode starts now; --start '%s' is for backfill", start);
        }
        cfg.start_ns = now;
    } else if (start) {
        if (sx_time_parse(start, now, &cfg.start_ns)) {
            sx_scenario_destroy(s);
            return usage_fail(&xf, "--start takes RFC 3339 (2026-01-01T00:00:00Z), 'now' or '-2h', "
                               "got '%s'", start);
        }
    } else {
        /* Backfill ends now; whole seconds keep timestamps readable. */
        cfg.start_ns = (now - (int64_t)(cfg.duration * 1e9)) / 1000000000LL * 1000000000LL;
    }

    sx_run run;
    sx_exporter *ex[4];
    size_t nex = 0;
    sx_engine_result res;
    char err[256] = "";
    sx_progress prog;
    memset(&res, 0, sizeof(res));
    sx_progress_init(&prog, quiet ? SX_PROGRESS_OFF : progress_mode, "run", s, cfg.duration,
                     cfg.live);

    if ((rc = sx_run_init(&run, s, &cfg)) != 0) {
        fprintf(stderr, "sigsynth run: %s\n", rc == SX_ELIMIT ? "at most 32 incidents per scenario"
                                                              : sx_strerror(rc));
        exit_code = SX_EXIT_USAGE;
        goto out;
    }
    if (verify_prom) {
        /* before any exporter: a refusal leaves --output files alone */
        sx_verifier_cfg vc = { .poll = verify_poll, .start_ns = cfg.start_ns,
                               .duration = cfg.duration };
        if (sx_verifier_check(s, &vc)) {
            exit_code = SX_EXIT_USAGE;
            goto out;
        }
    }
    if (sx_counts_init(&res.counts) ||
        sx_cli_exporters_create(&xf, cfg.live, &give_up, ex,
                                sizeof(ex) / sizeof(*ex), &nex)) {
        exit_code = SX_EXIT_USAGE;
        goto out;
    }

    sx_verifier verifier;
    bool verifying = false;
    if (verify_prom) {
        sx_verifier_cfg vc = { .prometheus = verify_prom, .alertmanager = verify_am,
                               .poll = verify_poll, .start_ns = cfg.start_ns,
                               .duration = cfg.duration, .synthetic_label = xf.synthetic_label,
                               .synthetic_only = verify_synthetic_only };
        /* its step bound was checked before the exporters started */
        if (sx_verifier_start(&verifier, s, &vc)) {
            fprintf(stderr, "sigsynth run: cannot start the verifier\n");
            exit_code = SX_EXIT_FAIL;
            goto out;
        }
        verifying = true;
    }
    struct watchdog wd = { .timeout = xf.shutdown_timeout };
    wd.started = pthread_create(&wd.thread, NULL, watchdog_main, &wd) == 0;
    if (!wd.started)
        give_up = 1;   /* no budget clock: stop waiting at once, as before */
    sx_progress_exporters(&prog, ex, nex);
    sx_progress_engine_watch(&prog);
    sx_engine_hooks hooks = { .stop = &stop_flag, .progress = sx_progress_engine_cb,
                              .progress_ctx = &prog };
    rc = sx_engine_run_hooks(&run, ex, nex, &hooks, &res, err, sizeof(err));
    /* Deliver what is still queued, within the shutdown budget: one
     * deadline for all exporters (counted from the signal if there was
     * one), each cutting what is in flight by then and counting what it
     * could not deliver as dropped. */
    int64_t deadline = sx_monotonic_ns() + (int64_t)(xf.shutdown_timeout * 1e9);
    if (stop_flag && wd.started) {
        int64_t at;
        while (!(at = atomic_load(&wd.deadline_ns)) && !give_up) {
            struct timespec ts = { 0, 5000000 };   /* the watchdog sees the signal */
            nanosleep(&ts, NULL);
        }
        if (at)
            deadline = at;
    }
    for (size_t i = 0; i < nex; i++)
        ex[i]->ops->flush(ex[i], deadline);
    if (wd.started) {
        atomic_store(&wd.done, true);
        pthread_join(wd.thread, NULL);
    }
    sx_progress_end(&prog);
    if (stop_flag) {
        res.interrupted = true;
        res.signal = stop_flag;
    }
    if (rc) {
        fprintf(stderr, "sigsynth run: %s\n", err);
        exit_code = SX_EXIT_FAIL;
    }
    uint64_t dropped = sx_summary_print(quiet ? NULL : stderr, &run, &res, ex, nex);
    /* --allow-drops tolerates a lossy receiver, not a dead one. */
    if ((dropped && !xf.allow_drops) || sx_exporters_all_down(ex, nex))
        exit_code = SX_EXIT_FAIL;
    if (summary) {
        /* Written aside and renamed into place, so a second signal while it
         * is written leaves the old file or the whole new one (not for
         * /dev/stdout and such, which cannot be renamed over). */
        struct stat sb;
        char tmp_path[4096];
        bool aside = (stat(summary, &sb) != 0 || S_ISREG(sb.st_mode)) &&
                     snprintf(tmp_path, sizeof(tmp_path), "%s.tmp", summary) <
                         (int)sizeof(tmp_path);
        FILE *f = fopen(aside ? tmp_path : summary, "w");
        int wrc = f ? sx_summary_write_json(f, &run, &res, ex, nex) : -1;
        if (f && fclose(f))
            wrc = -1;
        if (aside && f && (wrc || rename(tmp_path, summary) != 0)) {
            wrc = -1;
            unlink(tmp_path);
        }
        if (wrc) {
            fprintf(stderr, "sigsynth run: cannot write %s: %s\n", summary, strerror(errno));
            exit_code = SX_EXIT_FAIL;
        }
    }
    if (!quiet && summary)
        fprintf(stderr, "  summary: %s\n", summary);
    if (verifying) {
        /* Alerts resolve after the run: keep watching until the windows close
         * (not after a signal: then judge what was seen so far). */
        if (!stop_flag)
            fprintf(stderr, "sigsynth run: watching alerts until the last expectation's "
                            "window closes (Ctrl-C to stop)\n");
        sx_progress_init(&prog, quiet || stop_flag ? SX_PROGRESS_OFF : progress_mode, "run", s,
                         cfg.duration, true);
        sx_progress_watch(&prog, cfg.start_ns, (double)(verifier.until_ns - cfg.start_ns) * 1e-9,
                          sx_progress_verifier_polls, &verifier);
        int vrc = sx_cli_verify_finish(&verifier, s, verify_report, (volatile int *)&stop_flag);
        if (vrc && exit_code == SX_EXIT_OK)
            exit_code = vrc;
    }
    /* Interrupted (also while watching alerts): never 0, whatever else. */
    if (stop_flag && exit_code != SX_EXIT_USAGE)
        exit_code = 128 + stop_flag;
out:
    for (size_t i = 0; i < nex; i++)
        ex[i]->ops->destroy(ex[i]);
    sx_counts_fini(&res.counts);
    sx_run_fini(&run);
    sx_scenario_destroy(s);
    sx_cli_exporters_fini(&xf);
    return exit_code;
}
