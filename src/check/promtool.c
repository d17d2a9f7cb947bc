#define _XOPEN_SOURCE 700   /* realpath, mkdtemp */
#include "check/promtool.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scenario/units.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "wire/json.h"

const char *sx_promtool_missing(void)
{
    const char *path = getenv("PATH");
    char buf[4096];

    while (path && *path) {
        size_t n = strcspn(path, ":");
        snprintf(buf, sizeof(buf), "%.*s/promtool", (int)n, path);
        if (access(buf, X_OK) == 0)
            return "";
        path += n + (path[n] == ':');
    }
    return "promtool was not found on PATH; it ships with Prometheus: on Debian/Ubuntu "
           "'apt-get install prometheus', or download it from the Prometheus releases";
}

/* Runs argv, capturing stdout and stderr together into out. */
static int run_capture(char *const argv[], sx_strbuf *out, int *status)
{
    int fds[2];
    pid_t pid;
    char buf[8192];
    ssize_t n;

    if (pipe(fds))
        return SX_EIO;
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return SX_EIO;
    }
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    while ((n = read(fds[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            sx_strbuf_append(out, buf, (size_t)n);
    close(fds[0]);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    return out->failed ? SX_ENOMEM : 0;
}

int sx_promtool_check_rules(char **files, int n)
{
    char *argv[260];
    sx_strbuf out;
    int status = 0, rc;

    if (n > 256)
        n = 256;
    argv[0] = "promtool";
    argv[1] = "check";
    argv[2] = "rules";
    for (int i = 0; i < n; i++)
        argv[3 + i] = files[i];
    argv[3 + n] = NULL;
    sx_strbuf_init(&out);
    rc = run_capture(argv, &out, &status);
    if (rc || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "sigsynth check: the rule files do not pass 'promtool check rules':\n%s",
                out.data ? out.data : "");
        rc = rc ? rc : SX_EINVAL;
    }
    sx_strbuf_fini(&out);
    return rc;
}

static void put_number(sx_strbuf *b, double v)
{
    char t[40];

    if (isnan(v)) {
        sx_strbuf_putc(b, '_');
        return;
    }
    sx_strbuf_append(b, t, sx_double_text(v, t, sizeof(t)));
}

/* promtool's series notation, with runs of equal values as "vxN". */
static void put_values(sx_strbuf *b, const double *v, uint32_t n)
{
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i + 1;
        while (j < n && (v[j] == v[i] || (isnan(v[j]) && isnan(v[i]))))
            j++;
        if (i)
            sx_strbuf_putc(b, ' ');
        if (j - i >= 3 && !isnan(v[i])) {
            put_number(b, v[i]);
            sx_strbuf_printf(b, "x%u", j - i - 1);   /* a+0xN is N+1 values */
        } else {
            for (uint32_t k = i; k < j; k++) {
                if (k > i)
                    sx_strbuf_putc(b, ' ');
                put_number(b, v[k]);
            }
        }
        i = j;
    }
}

static void put_yaml_single(sx_strbuf *b, const char *s)
{
    sx_strbuf_putc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            sx_strbuf_putc(b, '\'');
        sx_strbuf_putc(b, *s);
    }
    sx_strbuf_putc(b, '\'');
}

/* Go duration text ("1h2m3s", "45s", "0s") for eval_time. */
static void put_go_duration(sx_strbuf *b, double secs)
{
    long long t = llround(secs);
    if (t >= 3600)
        sx_strbuf_printf(b, "%lldh", t / 3600);
    if (t % 3600 >= 60)
        sx_strbuf_printf(b, "%lldm", (t % 3600) / 60);
    if (t % 60 || t == 0)
        sx_strbuf_printf(b, "%llds", t % 60);
}

/* {__name__="ALERTS", alertname="X", alertstate="firing", k="v"} -> timeline */
static int parse_alert_line(const char *p, sx_timeline *t, uint32_t step)
{
    const char *names[64], *values[64];
    char *buf = strdup(p), *q;
    const char *alertname = NULL;
    enum sx_alert_state st = SX_ALERT_NONE;
    uint32_t n = 0;
    int rc = 0;

    if (!buf)
        return SX_ENOMEM;
    q = strchr(buf, '{');
    if (!q)
        goto out;
    q++;
    while (*q && *q != '}') {
        while (*q == ' ' || *q == ',')
            q++;
        char *name = q;
        while (*q && *q != '=')
            q++;
        if (*q != '=' || q[1] != '"')
            break;
        *q = '\0';
        q += 2;
        char *val = q, *w = q;
        while (*q && *q != '"') {
            if (*q == '\\' && q[1]) {
                q++;
                *w++ = *q == 'n' ? '\n' : *q;
                q++;
                continue;
            }
            *w++ = *q++;
        }
        if (*q != '"')
            break;
        *w = '\0';
        q++;
        if (strcmp(name, "__name__") == 0)
            continue;
        if (strcmp(name, "alertname") == 0) {
            alertname = val;
        } else if (strcmp(name, "alertstate") == 0) {
            st = strcmp(val, "firing") == 0 ? SX_ALERT_FIRING : SX_ALERT_PENDING;
        } else if (n < 64) {
            names[n] = name;
            values[n] = val;
            n++;
        }
    }
    if (alertname && st != SX_ALERT_NONE)
        rc = sx_timeline_set(t, "promtool", alertname, names, values, n, step, st);
out:
    free(buf);
    return rc;
}

/* Parse: `expr: "ALERTS", time: 1m30s,` then `got:` lines with samples. */
int sx_promtool_parse_report(char *report, double eval_step, sx_timeline *t, bool *seen_failure)
{
    uint32_t step = UINT32_MAX;
    int rc;

    for (char *line = report; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *tp = strstr(line, "expr: \"ALERTS\", time: ");
        if (tp) {
            char tm[64];
            double secs;
            const char *why;
            tp += strlen("expr: \"ALERTS\", time: ");
            snprintf(tm, sizeof(tm), "%.*s", (int)strcspn(tp, ", "), tp);
            step = sx_parse_duration(tm, &secs, &why) == 0
                       ? (uint32_t)llround(secs / eval_step)
                       : UINT32_MAX;
            *seen_failure = true;
        } else if (strstr(line, "alertname: ") && strstr(line, "time: ")) {
            step = UINT32_MAX;
        } else if (step != UINT32_MAX) {
            /* Several samples share a line: "{...} 1E+00, {...} 1E+00". */
            for (char *p = strstr(line, "{__name__=\"ALERTS\""); p;
                 p = strstr(p + 1, "{__name__=\"ALERTS\""))
                if ((rc = parse_alert_line(p, t, step)) != 0)
                    return rc;
        }
        line = nl ? nl + 1 : NULL;
    }
    return 0;
}

int sx_promtool_alerts(const sx_capture *c, char **rule_files, int nrules, double eval_step,
                       const char *dir, sx_timeline *t, char *err, size_t errlen)
{
    char path[PATH_MAX], abs_rule[PATH_MAX];
    sx_strbuf b, out;
    FILE *f;
    int status = 0, rc;
    double duration = (c->nsteps - 1) * c->interval;
    uint32_t nevals = (uint32_t)floor(duration / eval_step + 1e-9) + 1;

    sx_strbuf_init(&b);
    sx_strbuf_init(&out);
    sx_strbuf_puts(&b, "# Generated by sigsynth check: the scenario's series, and ALERTS\n"
                       "# asserted empty at every step so promtool reports what fired.\n"
                       "rule_files:\n");
    for (int i = 0; i < nrules; i++) {
        if (!realpath(rule_files[i], abs_rule)) {
            snprintf(err, errlen, "cannot resolve %s: %s", rule_files[i], strerror(errno));
            rc = SX_EIO;
            goto out;
        }
        sx_strbuf_puts(&b, "  - ");
        put_yaml_single(&b, abs_rule);
        sx_strbuf_putc(&b, '\n');
    }
    sx_strbuf_puts(&b, "evaluation_interval: ");
    put_go_duration(&b, eval_step);
    sx_strbuf_puts(&b, "\ntests:\n  - interval: ");
    put_go_duration(&b, c->interval);
    sx_strbuf_puts(&b, "\n    input_series:\n");
    for (uint32_t i = 0; i < c->nseries; i++) {
        sx_strbuf_puts(&b, "      - series: ");
        put_yaml_single(&b, c->series[i].selector);
        sx_strbuf_puts(&b, "\n        values: '");
        put_values(&b, c->series[i].values, c->nsteps);
        sx_strbuf_puts(&b, "'\n");
    }
    sx_strbuf_puts(&b, "    promql_expr_test:\n");
    for (uint32_t k = 0; k < nevals; k++) {
        sx_strbuf_puts(&b, "      - expr: ALERTS\n        eval_time: ");
        put_go_duration(&b, k * eval_step);
        sx_strbuf_puts(&b, "\n        exp_samples: []\n");
    }
    if (b.failed) {
        rc = SX_ENOMEM;
        goto out;
    }
    snprintf(path, sizeof(path), "%s/test.yml", dir);
    f = fopen(path, "w");
    if (!f || fwrite(b.data, 1, b.len, f) != b.len || fclose(f)) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        rc = SX_EIO;
        goto out;
    }
    char *argv[] = { "promtool", "test", "rules", path, NULL };
    if ((rc = run_capture(argv, &out, &status)) != 0) {
        snprintf(err, errlen, "cannot run promtool");
        goto out;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) == 127) {
        snprintf(err, errlen, "promtool could not be started");
        rc = SX_EIO;
        goto out;
    }
    sx_timeline_init(t, eval_step, nevals, duration);
    bool seen_failure = false;
    if ((rc = sx_promtool_parse_report(out.data, eval_step, t, &seen_failure)) != 0)
        goto out;
    if (WEXITSTATUS(status) != 0 && !seen_failure) {
        /* promtool failed for another reason: show its words. */
        snprintf(err, errlen, "promtool test rules failed:\n%.*s", 1500,
                 out.data ? out.data : "");
        rc = SX_EINVAL;
        goto out;
    }
    rc = 0;
out:
    sx_strbuf_fini(&b);
    sx_strbuf_fini(&out);
    return rc;
}
