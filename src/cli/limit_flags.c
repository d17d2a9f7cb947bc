#include "cli/limit_flags.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "scenario/units.h"
#include "util/err.h"
#include "util/timefmt.h"

enum kind { K_COUNT, K_SIZE, K_RATE, K_DURATION };

/* Ceilings the flags themselves cannot pass: each keeps a counter or a
 * time below what its type holds (series and samples in uint32 indexes,
 * body offsets in uint32, instances by the 64 x 256 model). */
static const struct flag {
    const char *name;
    enum kind kind;
    bool check_only;
    double ceiling;
    size_t offset;
    const char *arg;
    const char *help;
} flags[] = {
    { "--max-log-body", K_SIZE, false, 1024.0 * 1024 * 1024, offsetof(sx_limits, max_log_body),
      "SIZE", "longest rendered log body (default 64KiB)" },
    { "--max-request-logs", K_SIZE, false, 64.0 * 1024 * 1024 * 1024,
      offsetof(sx_limits, max_request_logs),
      "SIZE", "log text one request renders, its calls included (default 16MiB)" },
    { "--max-series", K_COUNT, false, 1e9, offsetof(sx_limits, max_series),
      "N", "metric series, as Prometheus counts them (default 1000000)" },
    { "--max-rate", K_RATE, false, 1e9, offsetof(sx_limits, max_rate),
      "R", "total requests/s at the peak (default 1000000/s)" },
    { "--max-instances", K_COUNT, false, SX_MAX_SERVICES * SX_MAX_INSTANCES,
      offsetof(sx_limits, max_instances), "N", "instances over all services (default 10000)" },
    { "--max-duration", K_DURATION, false, SX_DURATION_MAX, offsetof(sx_limits, max_duration),
      "D", "longest timeline (default 31d)" },
    { "--promtool-timeout", K_DURATION, true, SX_DURATION_MAX,
      offsetof(sx_limits, promtool_timeout), "D", "each promtool run (default 120s)" },
    { "--max-rules-size", K_SIZE, true, 1024.0 * 1024 * 1024, offsetof(sx_limits, max_rules_size),
      "SIZE", "each rule file (default 16MiB)" },
    { "--max-check-samples", K_COUNT, true, 1e10, offsetof(sx_limits, max_check_samples),
      "N", "series x steps kept in memory (default 2000000)" },
};

#define NFLAGS (sizeof(flags) / sizeof(*flags))

static const char *buf_of(const char *name, const char *arg, char *buf, size_t size)
{
    snprintf(buf, size, "%s %s", name, arg);
    return buf;
}

void sx_cli_limits_help(const char *cmd)
{
    bool check = strcmp(cmd, "check") == 0;
    char buf[64];

    puts("\nlimits (docs/limits.md; a refusal names the flag that raises it):");
    for (size_t i = 0; i < NFLAGS; i++)
        if (check || !flags[i].check_only)
            printf("  %-25s %s\n", buf_of(flags[i].name, flags[i].arg, buf, sizeof(buf)),
                   flags[i].help);
}

static int set_flag(sx_limits *l, const struct flag *f, const char *cmd, const char *v)
{
    char *field = (char *)l + f->offset;
    const char *why = "";
    double d = 0;
    uint64_t u = 0;
    int rc = 0;

    switch (f->kind) {
    case K_COUNT:
        rc = sx_parse_uint(v, (uint64_t)f->ceiling, &u);
        d = (double)u;
        break;
    case K_SIZE:
        rc = sx_parse_size(v, &d, &why);
        break;
    case K_RATE:
        /* "5000/s", or a plain number of requests per second */
        rc = strchr(v, '/') ? sx_parse_rate(v, &d, &why) : sx_parse_number(v, &d);
        break;
    case K_DURATION:
        rc = sx_parse_duration(v, &d, &why);
        break;
    }
    if (rc || !(d > 0) || d > f->ceiling) {
        static const char *const what[] = { "a whole number", "a size like 64KiB",
                                            "a rate like 5000/s", "a duration like 30m" };
        fprintf(stderr, "sigsynth %s: %s needs %s above 0 and at most %.10g, got '%s'\n", cmd,
                f->name, what[f->kind], f->ceiling, v);
        return -1;
    }
    /* Rates and durations are doubles in sx_limits, counts and sizes uint64. */
    if (f->kind == K_RATE || f->kind == K_DURATION)
        memcpy(field, &d, sizeof(d));
    else
        memcpy(field, &(uint64_t){ (uint64_t)d }, sizeof(uint64_t));
    return 0;
}

/* --duration and --start: what the command will parse, checked against the
 * limits first so the refusal can name the limit. */
static int check_time_flags(const sx_limits *l, const char *cmd, int argc, char **argv)
{
    char err[256];

    for (int i = 1; i + 1 < argc; i++) {
        const char *a = argv[i], *v = argv[i + 1];
        if (strcmp(a, "--duration") == 0) {
            double d;
            const char *why;
            if (sx_parse_duration(v, &d, &why)) {
                fprintf(stderr, "sigsynth %s: --duration '%s': %s\n", cmd, v, why);
                return -1;
            }
            if (sx_limits_check_duration(l, d, "--duration", err, sizeof(err))) {
                fprintf(stderr, "sigsynth %s: %s\n", cmd, err);
                return -1;
            }
        } else if (strcmp(a, "--start") == 0) {
            int64_t t;
            if (sx_time_parse(v, sx_now_ns(), &t) == SX_ERANGE) {
                fprintf(stderr, "sigsynth %s: --start '%s' is outside the years %d-%d that "
                                "timestamps can hold\n", cmd, v, SX_TIME_MIN_YEAR,
                        SX_TIME_MAX_YEAR);
                return -1;
            }
        }
    }
    return 0;
}

int sx_cli_limit_args(sx_limits *l, const char *cmd, int argc, char **argv)
{
    int out = 1;
    bool check = strcmp(cmd, "check") == 0;

    sx_limits_default(l);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const struct flag *f = NULL;
        const char *v = NULL;
        for (size_t k = 0; k < NFLAGS && !f; k++) {
            size_t n = strlen(flags[k].name);
            if (strncmp(a, flags[k].name, n) == 0 && (a[n] == '\0' || a[n] == '=')) {
                f = &flags[k];
                v = a[n] == '=' ? a + n + 1 : NULL;
            }
        }
        if (!f) {
            argv[out++] = argv[i];
            continue;
        }
        if (f->check_only && !check) {
            fprintf(stderr, "sigsynth %s: %s applies to 'sigsynth check' only\n", cmd, f->name);
            return -1;
        }
        if (!v) {
            if (i + 1 >= argc) {
                fprintf(stderr, "sigsynth %s: %s needs a value\n", cmd, f->name);
                return -1;
            }
            v = argv[++i];
        }
        if (set_flag(l, f, cmd, v))
            return -1;
    }
    argv[out] = NULL;
    if (check_time_flags(l, cmd, out, argv))
        return -1;
    return out;
}

int sx_cli_load_limited(const char *path, const sx_limits *l, sx_scenario **out, sx_diag *d)
{
    int rc = sx_scenario_load_file(path, out, d);

    if (rc)
        return rc;
    if ((rc = sx_limits_check_scenario(*out, l, d)) != 0) {
        sx_scenario_destroy(*out);
        *out = NULL;
    }
    return rc;
}

sx_scenario *sx_cli_load_checked(const char *path, const sx_limits *l)
{
    sx_scenario *s = NULL;
    sx_diag d;

    sx_diag_init(&d, path);
    sx_cli_load_limited(path, l, &s, &d);
    sx_diag_print(&d, stderr);
    sx_diag_fini(&d);
    return s;
}

int sx_cli_check_samples(const sx_limits *l, const sx_scenario *s, double duration,
                         double interval, double eval_interval)
{
    sx_estimate e;
    char err[320];

    sx_limits_estimate(s, &e);
    /* sx_capture_init: one step per interval, plus step 0; promtool gets
     * one query per evaluation step. In double: 10 years over 1 ns does not
     * fit an integer. */
    if (sx_limits_check_samples(l, e.series, duration / interval + 2, duration / eval_interval + 1,
                                err, sizeof(err)) == 0)
        return 0;
    fprintf(stderr, "sigsynth check: %s\n", err);
    return SX_ELIMIT;
}
