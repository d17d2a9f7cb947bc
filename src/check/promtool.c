#define _XOPEN_SOURCE 700   /* realpath, mkdtemp */
#include "check/promtool.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scenario/units.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/timefmt.h"
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

/* promtool's report lists every alert at every failing step: large for a
 * long check, but a report past this means something else went wrong. */
#define PROMTOOL_OUTPUT_MAX (256u * 1024u * 1024u)

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    interrupted = sig;
}

/* Runs argv in its own process group, capturing stdout and stderr together
 * into out, for at most `timeout` seconds: then the whole group (promtool
 * and anything it started) is killed and SX_ELIMIT returned. Its own group
 * keeps a terminal's Ctrl-C from reaching it, so SIGINT/SIGTERM are caught
 * meanwhile: the group is killed, then the signal is raised again as if
 * never caught (the command dies of it, leaving no promtool behind). */
static int run_capture(char *const argv[], double timeout, sx_strbuf *out, int *status)
{
    int fds[2];
    pid_t pid;
    char buf[8192];
    ssize_t n;
    int rc = 0;
    /* timeout is at most SX_DURATION_MAX: the product fits int64. */
    int64_t deadline = sx_monotonic_ns() + (int64_t)(timeout * 1e9);

    struct sigaction sa, old_int, old_term;

    if (pipe(fds))
        return SX_EIO;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_interrupt;   /* no SA_RESTART: poll() returns EINTR */
    sigemptyset(&sa.sa_mask);
    interrupted = 0;
    sigaction(SIGINT, NULL, &old_int);
    sigaction(SIGTERM, NULL, &old_term);
    /* an ignored signal (a background job's SIGINT) stays ignored */
    if (old_int.sa_handler != SIG_IGN)
        sigaction(SIGINT, &sa, NULL);
    if (old_term.sa_handler != SIG_IGN)
        sigaction(SIGTERM, &sa, NULL);
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        return SX_EIO;
    }
    if (pid == 0) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        setpgid(0, 0);
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    /* Both sides set the group: whichever runs first, kill(-pid) works. */
    setpgid(pid, pid);
    close(fds[1]);
    for (;;) {
        int64_t left = deadline - sx_monotonic_ns();
        if (interrupted) {
            rc = SX_EIO;
            break;
        }
        if (left <= 0) {
            rc = SX_ELIMIT;
            break;
        }
        struct pollfd p = { .fd = fds[0], .events = POLLIN };
        int pr = poll(&p, 1, (int)(left / 1000000 < 1000 ? left / 1000000 + 1 : 1000));
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0) {
            rc = SX_EIO;
            break;
        }
        if (pr == 0)
            continue;
        n = read(fds[0], buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        sx_strbuf_append(out, buf, (size_t)n);
        if (out->len > PROMTOOL_OUTPUT_MAX) {
            rc = SX_ENOMEM;
            break;
        }
    }
    if (rc)
        kill(-pid, SIGKILL);
    close(fds[0]);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (interrupted)
        raise(interrupted);
    if (rc)
        return rc;
    return out->failed ? SX_ENOMEM : 0;
}

static void timeout_text(char *err, size_t errlen, const char *what, double timeout)
{
    char t[32];

    sx_format_duration(timeout, t, sizeof(t));
    snprintf(err, errlen, "'%s' did not finish within %s and was stopped "
             "(--promtool-timeout to raise it)", what, t);
}

/* Rule files go to promtool and to our own reader: a device or a FIFO
 * would be read forever, a huge file into memory. */
static int check_rule_file(const char *file, const sx_limits *l)
{
    struct stat st;
    char a[32], b[32];

    if (stat(file, &st))
        return 0;   /* promtool says what is wrong with it */
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "sigsynth check: %s: error: not a regular file (%s); rule files must "
                        "be regular files\n", file,
                S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISCHR(st.st_mode) ? "a character device"
                : S_ISDIR(st.st_mode) ? "a directory" : S_ISBLK(st.st_mode) ? "a block device"
                : S_ISSOCK(st.st_mode) ? "a socket" : "not a file");
        return SX_EINVAL;
    }
    if ((uint64_t)st.st_size > l->max_rules_size) {
        sx_limits_format_size((uint64_t)st.st_size, a, sizeof(a));
        sx_limits_format_size(l->max_rules_size, b, sizeof(b));
        fprintf(stderr, "sigsynth check: %s: error: rule file of %s exceeds the %s limit "
                        "(--max-rules-size to raise it)\n", file, a, b);
        return SX_ELIMIT;
    }
    return 0;
}

int sx_promtool_check_rules(char **files, int n, const sx_limits *l)
{
    char *argv[260];
    sx_strbuf out;
    int status = 0, rc;

    if (n > 256)
        n = 256;
    for (int i = 0; i < n; i++)
        if ((rc = check_rule_file(files[i], l)) != 0)
            return rc;
    argv[0] = "promtool";
    argv[1] = "check";
    argv[2] = "rules";
    for (int i = 0; i < n; i++)
        argv[3 + i] = files[i];
    argv[3 + n] = NULL;
    sx_strbuf_init(&out);
    rc = run_capture(argv, l->promtool_timeout, &out, &status);
    if (rc == SX_ELIMIT) {
        char err[256];
        timeout_text(err, sizeof(err), "promtool check rules", l->promtool_timeout);
        fprintf(stderr, "sigsynth check: %s\n", err);
    } else if (rc || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
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
                       double timeout, const char *dir, sx_timeline *t, char *err,
                       size_t errlen)
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
    if ((rc = run_capture(argv, timeout, &out, &status)) != 0) {
        if (rc == SX_ELIMIT)
            timeout_text(err, errlen, "promtool test rules", timeout);
        else
            snprintf(err, errlen, "cannot run promtool%s",
                     rc == SX_ENOMEM ? ": its output is too large" : "");
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
