#define _POSIX_C_SOURCE 200809L
#include "cli/progress.h"
#include "util/err.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "check/live.h"
#include "scenario/units.h"
#include "util/timefmt.h"

#define TTY_EVERY_NS 250000000LL
#define PLAIN_EVERY_NS 10000000000LL

static sx_progress *active;   /* the watch being drawn (main thread only) */

int sx_progress_parse(const char *v, enum sx_progress_mode *out)
{
    static const struct { const char *name; enum sx_progress_mode m; } modes[] = {
        { "auto", SX_PROGRESS_AUTO }, { "off", SX_PROGRESS_OFF },
        { "tty", SX_PROGRESS_TTY }, { "plain", SX_PROGRESS_PLAIN },
    };
    for (size_t i = 0; i < sizeof(modes) / sizeof(*modes); i++) {
        if (strcmp(v, modes[i].name) == 0) {
            *out = modes[i].m;
            return 0;
        }
    }
    return -1;
}

void sx_progress_init(sx_progress *p, enum sx_progress_mode mode, const char *what,
                      const sx_scenario *s, double duration, bool live)
{
    memset(p, 0, sizeof(*p));
    p->out = stderr;
    if (mode == SX_PROGRESS_AUTO)
        mode = isatty(fileno(stderr)) ? SX_PROGRESS_TTY : SX_PROGRESS_OFF;
    p->mode = mode;
    p->what = what;
    p->s = s;
    p->duration = duration;
    p->live = live;
    p->t0_ns = sx_monotonic_ns();
    p->last_ns = p->t0_ns;
    p->last_items_ns = p->t0_ns;
    p->plain_every_ns = PLAIN_EVERY_NS;
    /* For tests only: a shorter plain interval, so a short run prints lines. */
    const char *env = getenv("SX_PROGRESS_PLAIN_INTERVAL");
    char *end;
    double sec = env ? strtod(env, &end) : 0;
    if (env && end != env && *end == '\0' && sec >= 0.05 && sec <= 3600)
        p->plain_every_ns = (int64_t)(sec * 1e9);
}

void sx_progress_exporters(sx_progress *p, sx_exporter **ex, size_t nex)
{
    p->ex = ex;
    p->nex = nex;
}

/* 75s -> "1m15s", 3725s -> "1h02m05s"; whole seconds. */
static void fmt_dur(char *buf, size_t len, double sec)
{
    sx_format_duration(isfinite(sec) && sec > 0 ? (double)llround(sec) : 0.0, buf,
                       (unsigned)len);
}

static void fmt_num(char *buf, size_t len, double v)
{
    if (v < 1000)
        snprintf(buf, len, "%.0f", v);
    else if (v < 1e6)
        snprintf(buf, len, "%.1fk", v / 1e3);
    else if (v < 1e9)
        snprintf(buf, len, "%.2fM", v / 1e6);
    else
        snprintf(buf, len, "%.2fG", v / 1e9);
}

/* Appends printf output to buf at *pos, never past len. */
#define PUT(...)                                                                   \
    do {                                                                           \
        if (*pos < len) {                                                          \
            int n_ = snprintf(buf + *pos, len - *pos, __VA_ARGS__);                \
            *pos = n_ < 0 ? len : *pos + (size_t)n_ < len ? *pos + (size_t)n_ : len; \
        }                                                                          \
    } while (0)

/* "now: NAME PHASE (since +T); next: NAME PHASE at +T" for timeline time t. */
static void put_phase(const sx_progress *p, double t, char *buf, size_t len, size_t *pos)
{
    const sx_incident *now_inc = NULL, *next_inc = NULL;
    int now_ph = 0, next_ph = 0;
    double since = 0, next_at = INFINITY;
    char a[32];

    for (uint32_t i = 0; p->s && i < p->s->nincidents; i++) {
        const sx_incident *inc = &p->s->incidents[i];
        for (int ph = SX_PHASE_START; ph <= SX_PHASE_END; ph++) {
            double at = sx_incident_phase_at(inc, (enum sx_phase)ph);
            if (!isfinite(at))
                continue;
            if (at <= t && ph != SX_PHASE_END &&
                t < sx_incident_phase_at(inc, SX_PHASE_END) && (!now_inc || at >= since)) {
                now_inc = inc;
                now_ph = ph;
                since = at;
            }
            if (at > t && at < next_at) {
                next_inc = inc;
                next_ph = ph;
                next_at = at;
            }
        }
    }
    if (now_inc) {
        fmt_dur(a, sizeof(a), since);
        PUT(" | now: %s %s (since +%s)", now_inc->name, sx_phase_name((enum sx_phase)now_ph), a);
    } else {
        PUT(" | now: baseline");
    }
    if (next_inc) {
        fmt_dur(a, sizeof(a), next_at);
        PUT("; next: %s %s at +%s", next_inc->name, sx_phase_name((enum sx_phase)next_ph), a);
    }
}

static void draw(sx_progress *p, double t, uint64_t items, int64_t now)
{
    char buf[1024], a[32], b[32];
    size_t len = sizeof(buf), pos0 = 0, *pos = &pos0;
    double total = p->count ? p->total : p->duration;

    if (t < 0)
        t = 0;
    if (t > total)
        t = total;
    /* Items per second over the last interval, smoothed for the TTY form. */
    double dt = (double)(now - p->last_items_ns) * 1e-9;
    if (dt > 0 && !p->count) {
        double r = (double)(items - p->last_items) / dt;
        p->rate = p->last_items || p->rate > 0 ? 0.5 * p->rate + 0.5 * r : r;
        p->last_items = items;
        p->last_items_ns = now;
    }
    fmt_dur(a, sizeof(a), t);
    fmt_dur(b, sizeof(b), total);
    PUT("sigsynth %s: %s/%s %.1f%%", p->what, a, b, total > 0 ? 100.0 * t / total : 100.0);
    if (p->count) {
        PUT(" | %llu polls", (unsigned long long)items);
    } else {
        fmt_num(a, sizeof(a), p->rate);
        PUT(" | %s items/s", a);
    }
    for (size_t i = 0; i < p->nex; i++) {
        sx_export_stats st;
        uint64_t ok = 0, drop = 0;
        p->ex[i]->ops->stats(p->ex[i], &st);
        for (int k = 0; k < SX_NSIG; k++) {
            ok += st.delivered[k];
            drop += st.dropped[k];
        }
        fmt_num(a, sizeof(a), (double)ok);
        fmt_num(b, sizeof(b), (double)drop);
        PUT(" | %s %s delivered %s dropped", p->ex[i]->ops->name, a, b);
    }
    if (p->live || p->count)
        put_phase(p, t, buf, len, pos);
    /* Backfill: extrapolate the pace so far; live: the wall clock is the pace. */
    double elapsed = (double)(now - p->t0_ns) * 1e-9;
    double eta = p->live || p->count ? total - t : t > 0 ? elapsed * (total - t) / t : NAN;
    if (isfinite(eta)) {
        fmt_dur(a, sizeof(a), eta);
        PUT(" | ETA %s", a);
    } else {
        PUT(" | ETA ?");
    }
    if (p->mode == SX_PROGRESS_TTY) {
        /* Stay on one row: a wrapped line could not be redrawn with \r. */
        struct winsize ws;
        if (ioctl(fileno(p->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 && ws.ws_col < len &&
            pos0 >= ws.ws_col)
            buf[ws.ws_col - 1] = '\0';
        fprintf(p->out, "\r\033[K%s", buf);
        sx_stderr_set_tty_line(1);
        p->drawn = true;
    } else {
        fprintf(p->out, "%s\n", buf);
    }
    fflush(p->out);
}

void sx_progress_update(sx_progress *p, double t, uint64_t items, bool force)
{
    if (p->mode != SX_PROGRESS_TTY && p->mode != SX_PROGRESS_PLAIN)
        return;
    int64_t now = sx_monotonic_ns();
    int64_t every = p->mode == SX_PROGRESS_TTY ? TTY_EVERY_NS : p->plain_every_ns;
    if (!force && now - p->last_ns < every)
        return;
    p->last_ns = now;
    draw(p, t, items, now);
}

void sx_progress_engine_cb(void *ctx, const sx_engine_result *res, bool done)
{
    sx_progress *p = ctx;
    const sx_counts *c = &res->counts;
    uint64_t items = c->spans + c->logs + c->metric_points;

    if (!p->engine) {
        sx_progress_update(p, res->reached, items, done);
        return;
    }
    atomic_store(&p->pub_t_us, (int64_t)(res->reached * 1e6));
    atomic_store(&p->pub_items, items);
    if (done)
        atomic_store(&p->pub_done, true);
}

static void *watch(void *arg)
{
    sx_progress *p = arg;

    while (!atomic_load(&p->thread_stop)) {
        if (p->engine)
            sx_progress_update(p, (double)atomic_load(&p->pub_t_us) * 1e-6,
                               atomic_load(&p->pub_items), false);
        else
            sx_progress_update(p, (double)(sx_now_ns() - p->start_ns) * 1e-9,
                               p->count(p->count_ctx), false);
        struct timespec ts = { 0, 50000000 };
        nanosleep(&ts, NULL);
    }
    return NULL;
}

int sx_progress_watch(sx_progress *p, int64_t start_ns, double total,
                      uint64_t (*count)(void *ctx), void *ctx)
{
    if (p->mode != SX_PROGRESS_TTY && p->mode != SX_PROGRESS_PLAIN)
        return 0;
    p->start_ns = start_ns;
    p->total = total;
    p->count = count;
    p->count_ctx = ctx;
    atomic_store(&p->thread_stop, false);
    if (pthread_create(&p->thread, NULL, watch, p) != 0)
        return -1;
    p->thread_on = true;
    active = p;
    return 0;
}

int sx_progress_engine_watch(sx_progress *p)
{
    if (p->mode != SX_PROGRESS_TTY && p->mode != SX_PROGRESS_PLAIN)
        return 0;
    p->engine = true;
    atomic_store(&p->thread_stop, false);
    if (pthread_create(&p->thread, NULL, watch, p) != 0) {
        p->engine = false;   /* draw from the engine's callback instead */
        return -1;
    }
    p->thread_on = true;
    active = p;
    return 0;
}

void sx_progress_end_active(void)
{
    if (active)
        sx_progress_end(active);
}

uint64_t sx_progress_verifier_polls(void *ctx)
{
    sx_verifier *v = ctx;
    uint64_t n;

    pthread_mutex_lock(&v->mu);
    n = v->polls;
    pthread_mutex_unlock(&v->mu);
    return n;
}

void sx_progress_end(sx_progress *p)
{
    if (active == p)
        active = NULL;
    if (p->thread_on) {
        atomic_store(&p->thread_stop, true);
        pthread_join(p->thread, NULL);
        p->thread_on = false;
    }
    /* the engine's last word, as the callback draws it without a thread */
    if (p->engine && atomic_load(&p->pub_done))
        sx_progress_update(p, (double)atomic_load(&p->pub_t_us) * 1e-6,
                           atomic_load(&p->pub_items), true);
    if (p->mode == SX_PROGRESS_TTY && p->drawn) {
        sx_stderr_set_tty_line(0);
        fputs("\r\033[K", p->out);
        fflush(p->out);
        p->drawn = false;
    }
}
