#include "check/live.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "scenario/units.h"
#include "util/err.h"
#include "util/json_parse.h"
#include "util/redact.h"
#include "util/strbuf.h"
#include "util/timefmt.h"

static double anchor_at(const sx_scenario *s, double duration, const sx_anchor *a)
{
    if (a->incident < 0)
        return a->phase == SX_PHASE_START ? 0.0 : duration;
    return sx_incident_phase_at(&s->incidents[a->incident], a->phase);
}

/* When an expectation's last window closes (seconds from the start). */
static double window_end(const sx_scenario *s, double duration, const sx_expect_alert *e)
{
    double end = 0.0;

    if (e->fires.present && !e->fires.never)
        end = fmax(end, anchor_at(s, duration, &e->fires.after) + e->fires.within);
    if (e->resolves.present)
        end = fmax(end, anchor_at(s, duration, &e->resolves.after) + e->resolves.within);
    return end;
}

/* Labels of one alert object into the timeline at step i. */
static void record(sx_verifier *v, const char *source, const sx_jval *labels, uint32_t i,
                   enum sx_alert_state st)
{
    const char *names[64], *values[64], *alertname = NULL;
    uint32_t n = 0;
    bool synthetic = false;

    if (!labels || labels->type != SX_JOBJ)
        return;
    for (uint32_t k = 0; k < labels->n && n < 64; k++) {
        const char *val = sx_json_str_of(labels->items[k]);
        if (!val)
            continue;
        if (strcmp(labels->keys[k], "alertname") == 0) {
            alertname = val;
            continue;
        }
        if (strcmp(labels->keys[k], v->cfg.synthetic_label) == 0 && strcmp(val, "true") == 0)
            synthetic = true;
        names[n] = labels->keys[k];
        values[n] = val;
        n++;
    }
    if (!alertname || (v->cfg.synthetic_only && !synthetic))
        return;
    pthread_mutex_lock(&v->mu);
    sx_timeline_set(&v->tl, source, alertname, names, values, n, i, st);
    pthread_mutex_unlock(&v->mu);
}

/* The last poll error, with the URL's password hidden and, should a library
 * message quote the URL, the password scrubbed from that too. */
static void poll_failed(sx_verifier *v, const char *url, const char *why)
{
    char shown[1024], text[256];
    const char *a = strstr(url, "://"), *at = strrchr(url, '@'), *colon;

    sx_url_redact(url, shown, sizeof(shown));
    snprintf(text, sizeof(text), "%s", why);
    if (a && at && at > a && (colon = memchr(a + 3, ':', (size_t)(at - a - 3)))) {
        char pw[256];
        snprintf(pw, sizeof(pw), "%.*s", (int)(at - colon - 1), colon + 1);
        sx_redact_scrub(text, pw);
    }
    pthread_mutex_lock(&v->mu);
    v->poll_errors++;
    snprintf(v->last_error, sizeof(v->last_error), "%.120s: %.120s", shown, text);
    pthread_mutex_unlock(&v->mu);
}

static int poll_once(sx_verifier *v, const char *base, bool am, uint32_t step, sx_strbuf *body)
{
    char url[1024], err[256] = "";
    long status = 0;
    sx_arena a;
    int rc = 0;

    snprintf(url, sizeof(url), "%s%s", base, am ? "/api/v2/alerts" : "/api/v1/alerts");
    if (sx_http_get(url, 5000000000LL, body, 32u << 20, &status, err, sizeof(err)) ||
        status != 200) {
        char why[64];
        if (!err[0] && status)
            snprintf(why, sizeof(why), "unexpected HTTP status %ld", status);
        poll_failed(v, url, err[0] ? err : status ? why : "no answer");
        return -1;
    }
    sx_arena_init(&a, 64 * 1024);
    sx_jval *root = sx_json_parse(&a, body->data ? body->data : "", body->len, err, sizeof(err));
    const sx_jval *list = am ? root : sx_json_get(sx_json_get(root, "data"), "alerts");
    if (!list || list->type != SX_JARR) {
        poll_failed(v, url, err[0] ? err : "no alert list in the answer");
        rc = -1;
        goto out;
    }
    for (uint32_t k = 0; k < list->n; k++) {
        const sx_jval *al = list->items[k];
        if (am) {
            /* Alertmanager: active (or suppressed/inhibited) means it fired. */
            const char *state = sx_json_str_of(sx_json_get(sx_json_get(al, "status"), "state"));
            if (state && strcmp(state, "unprocessed") != 0)
                record(v, "alertmanager", sx_json_get(al, "labels"), step, SX_ALERT_FIRING);
        } else {
            const char *state = sx_json_str_of(sx_json_get(al, "state"));
            if (state && (strcmp(state, "firing") == 0 || strcmp(state, "pending") == 0))
                record(v, "prometheus", sx_json_get(al, "labels"), step,
                       state[0] == 'f' ? SX_ALERT_FIRING : SX_ALERT_PENDING);
        }
    }
out:
    sx_arena_fini(&a);
    return rc;
}

static void *watch(void *arg)
{
    sx_verifier *v = arg;
    sx_strbuf body;
    sx_verdict *scratch = calloc(v->s->nexpects ? v->s->nexpects : 1, sizeof(*scratch));

    sx_strbuf_init(&body);
    while (!v->stop) {
        int64_t now = sx_now_ns();
        /* Past the watch window: stop, but not before looking once. */
        if (now >= v->until_ns && v->polls)
            break;
        if (now >= v->cfg.start_ns) {
            uint32_t step = (uint32_t)((now - v->cfg.start_ns) / (int64_t)(v->cfg.poll * 1e9));
            poll_once(v, v->cfg.prometheus, false, step, &body);
            if (v->cfg.alertmanager)
                poll_once(v, v->cfg.alertmanager, true, step, &body);
            pthread_mutex_lock(&v->mu);
            v->polls++;
            /* After the timeline, stop once no verdict can change: each
             * expectation holds, or its window has closed ("never" ones
             * cannot be broken once the run is over). */
            double t = (double)(now - v->cfg.start_ns) * 1e-9;
            bool settled = false;
            if (t > v->cfg.duration && scratch) {
                v->tl.nsteps = step + 1;
                sx_judge(v->s, &v->tl, scratch);
                v->tl.nsteps = (uint32_t)((v->until_ns - v->cfg.start_ns) /
                                          (int64_t)(v->cfg.poll * 1e9)) + 2;
                settled = true;
                for (uint32_t i = 0; i < v->s->nexpects; i++) {
                    const sx_expect_alert *e = &v->s->expects[i];
                    double fire_end = e->fires.never ? 0.0
                                      : anchor_at(v->s, v->cfg.duration, &e->fires.after) + e->fires.within;
                    /* A missed firing window cannot be made good later. */
                    bool fire_lost = !e->fires.never && t > fire_end &&
                                     (isnan(scratch[i].fired_at) || scratch[i].fired_at > fire_end);
                    if (!scratch[i].pass && !fire_lost &&
                        t <= window_end(v->s, v->cfg.duration, e))
                        settled = false;
                }
            }
            pthread_mutex_unlock(&v->mu);
            if (settled)
                break;
        }
        /* Sleep to the next poll in small slices, to notice a stop. */
        int64_t next = sx_now_ns() + (int64_t)(v->cfg.poll * 1e9);
        while (!v->stop && sx_now_ns() < next) {
            struct timespec ts = { 0, 100000000 };
            nanosleep(&ts, NULL);
        }
    }
    v->stop = true;
    free(scratch);
    sx_strbuf_fini(&body);
    return NULL;
}

/* When the watch ends and how many poll steps it keeps; SX_ELIMIT (printed)
 * past SX_VERIFY_MAX_STEPS, since the timeline keeps a state per step and
 * alert instance (31 days at the default 2 s poll is 1.3M steps). */
static int plan(const sx_scenario *s, const sx_verifier_cfg *cfg, double poll, int64_t *until_ns,
                uint32_t *nsteps)
{
    double last = cfg->duration;

    for (uint32_t i = 0; i < s->nexpects; i++)
        last = fmax(last, window_end(s, cfg->duration, &s->expects[i]));
    /* One more poll past the last window, so a verdict at its edge is seen. */
    *until_ns = cfg->start_ns + (int64_t)((last + 2 * poll) * 1e9);
    double steps = (double)(*until_ns - cfg->start_ns) / (poll * 1e9) + 2;
    if (steps > SX_VERIFY_MAX_STEPS) {
        char span[32];
        sx_format_duration((double)(*until_ns - cfg->start_ns) * 1e-9, span, sizeof(span));
        fprintf(stderr, "sigsynth: watching %s every %gs is %.0f polls, more than the %u a verifier "
                        "keeps; poll less often (--poll, or --verify-poll with run)\n",
                span, poll, steps, SX_VERIFY_MAX_STEPS);
        return SX_ELIMIT;
    }
    *nsteps = (uint32_t)steps;
    return 0;
}

int sx_verifier_check(const sx_scenario *s, const sx_verifier_cfg *cfg)
{
    int64_t until;
    uint32_t n;

    return plan(s, cfg, cfg->poll > 0 ? cfg->poll : 2.0, &until, &n);
}

int sx_verifier_start(sx_verifier *v, const sx_scenario *s, const sx_verifier_cfg *cfg)
{
    uint32_t nsteps;
    int rc;

    memset(v, 0, sizeof(*v));
    /* A URL with a control character could smuggle a header line into the
     * poll; callers check first, this is the backstop. Never echoed. */
    if (sx_url_check(cfg->prometheus) || (cfg->alertmanager && sx_url_check(cfg->alertmanager))) {
        fprintf(stderr, "sigsynth: the %s URL holds a space, a control character or a non-ASCII "
                        "byte; refused\n", sx_url_check(cfg->prometheus) ? "Prometheus" : "Alertmanager");
        return -1;
    }
    v->cfg = *cfg;
    v->s = s;
    if (v->cfg.poll <= 0)
        v->cfg.poll = 2.0;
    if (!v->cfg.synthetic_label)
        v->cfg.synthetic_label = "synthetic";
    if ((rc = plan(s, cfg, v->cfg.poll, &v->until_ns, &nsteps)) != 0)
        return rc;
    sx_timeline_init(&v->tl, v->cfg.poll, nsteps, cfg->duration);
    pthread_mutex_init(&v->mu, NULL);
    if (pthread_create(&v->thread, NULL, watch, v) != 0)
        return -1;
    v->started = true;
    return 0;
}

uint32_t sx_verifier_finish(sx_verifier *v, sx_verdict *out, volatile int *interrupt)
{
    while (!v->stop) {
        struct timespec ts = { 0, 100000000 };
        if (interrupt && *interrupt)
            v->stop = true;
        nanosleep(&ts, NULL);
    }
    if (v->started) {
        pthread_join(v->thread, NULL);
        v->started = false;
    }
    /* Judge over what was observed. */
    uint32_t seen = (uint32_t)((sx_now_ns() - v->cfg.start_ns) / (int64_t)(v->cfg.poll * 1e9)) + 1;
    if (seen < v->tl.nsteps)
        v->tl.nsteps = seen;
    return sx_judge(v->s, &v->tl, out);
}

void sx_verifier_fini(sx_verifier *v)
{
    if (v->started) {
        v->stop = true;
        pthread_join(v->thread, NULL);
    }
    sx_timeline_fini(&v->tl);
    pthread_mutex_destroy(&v->mu);
}

void sx_verifier_print_sources(const sx_verifier *v, FILE *f)
{
    fprintf(f, "observed (%llu polls every %gs, %llu failed%s%s):\n",
            (unsigned long long)v->polls, v->cfg.poll, (unsigned long long)v->poll_errors,
            v->poll_errors ? "; last: " : "", v->poll_errors ? v->last_error : "");
    for (uint32_t k = 0; k < v->tl.n; k++) {
        const sx_alert_inst *a = &v->tl.v[k];
        int64_t pend = -1, fire = -1, res = -1;
        for (uint32_t i = 0; i < v->tl.nsteps; i++) {
            if (a->state[i] == SX_ALERT_PENDING && pend < 0)
                pend = i;
            if (a->state[i] == SX_ALERT_FIRING && fire < 0)
                fire = i;
            if (fire >= 0 && res < 0 && a->state[i] == SX_ALERT_NONE)
                res = i;
        }
        char p[32] = "-", fi[32] = "-", r[32] = "-";
        if (pend >= 0)
            sx_format_duration(pend * v->cfg.poll, p, sizeof(p));
        if (fire >= 0)
            sx_format_duration(fire * v->cfg.poll, fi, sizeof(fi));
        if (res >= 0)
            sx_format_duration(res * v->cfg.poll, r, sizeof(r));
        fprintf(f, "  %-13s %-26s {%s}: pending +%s, firing +%s, resolved +%s\n", a->source,
                a->alertname, a->key, p, fi, r);
    }
}
