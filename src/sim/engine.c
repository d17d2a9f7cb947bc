#include "sim/engine.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scenario/explain.h"
#include "sim/traffic.h"
#include "util/err.h"
#include "util/timefmt.h"

#define MAX_SPANS_PER_REQUEST 100000u

/* A batch is flushed before the next event once its records and rendered
 * text pass this many bytes, as well as when it has too few slots left for
 * the largest request. Without it, 62 KiB bodies at 100 requests/s piled
 * up 1,500 to a batch between two collections (313 MB peak RSS). 8 MiB is
 * far above what batches of ordinary logs reach (the flagship's largest is
 * 0.64 MB; full slot arrays are 8,192 spans and 4,096 logs of 80 bytes),
 * so their flushes, and the output, do not change; and it keeps the batch,
 * its hold-over and the encoders' copy of it within a few tens of MB. A
 * batch passes the budget by one request at most (at most
 * --max-request-logs of text). */
#define BATCH_BUDGET (8u << 20)

struct bg_log {
    const sx_log_spec *spec;
    uint32_t resource;
    double next;
};

struct engine {
    const sx_run *r;
    sx_exporter **ex;
    size_t nex;
    sx_metrics metrics;
    sx_batch batch;
    sx_batch hold;                  /* live: what has not ended at a flush */
    sx_walker w;
    sx_arrivals *arr;
    struct bg_log *bg;
    uint32_t nbg;
    uint64_t span_room, log_room;   /* free space needed before walking a request */
    uint32_t span_limit, log_limit; /* slots a batch may fill before it is flushed */
    double last_flush;
    double last_t;                  /* the latest event processed */
    int64_t wall_offset;            /* live: wall ns - virtual ns */
    sx_engine_result *res;
    const sx_engine_hooks *h;
    uint32_t events;                /* since the last progress check */
    bool all_down;                  /* every exporter is down: stop */
    int64_t next_progress_ns;       /* CLOCK_MONOTONIC */
};

/* Progress: records how far the timeline got and, when a report is due,
 * hands the counters to the callback. Called every few thousand events and
 * while live mode sleeps, so the clock is read rarely. */
static void progress(struct engine *e, double t)
{
    if (t > e->res->reached)
        e->res->reached = t;
    if (!e->h->progress)
        return;
    int64_t now = sx_monotonic_ns();
    if (now < e->next_progress_ns)
        return;
    e->next_progress_ns = now + SX_ENGINE_PROGRESS_NS;
    e->h->progress(e->h->progress_ctx, e->res, false);
}

/* Live mode: sleep until the wall clock reaches virtual time t. */
static void pace(struct engine *e, double t, volatile sig_atomic_t *stop)
{
    int64_t target = e->r->cfg.start_ns + (int64_t)(t * 1e9);

    for (;;) {
        int64_t now = sx_now_ns();
        if (now >= target || (stop && *stop))
            return;
        progress(e, (double)(now - e->r->cfg.start_ns) * 1e-9);
        int64_t d = target - now;
        if (d > 200000000)
            d = 200000000;   /* wake up often enough to notice a signal */
        struct timespec ts = { (time_t)(d / 1000000000LL), (long)(d % 1000000000LL) };
        nanosleep(&ts, NULL);
    }
}

/* Hands the batch to the exporters. Live mode passes upto_ns = now: what
 * has not ended yet (a span, or a log written at its end) stays for a later
 * flush, as a real SDK exports spans only once they end. */
static int flush_batch(struct engine *e, int64_t upto_ns)
{
    sx_batch *b = &e->batch, *h = &e->hold;

    if (!b->nspans && !b->nlogs)
        return 0;
    /* The exporters may block in here (a slow or dead receiver): report
     * first, so a progress line shows where the run stands while it waits. */
    if (e->h->progress)
        e->h->progress(e->h->progress_ctx, e->res, false);
    sx_batch_clear(h);
    if (upto_ns != INT64_MAX) {
        uint32_t ns = 0, nl = 0;
        for (uint32_t i = 0; i < b->nspans; i++) {
            if (b->spans[i].end_ns > upto_ns) {
                /* The hold-over grows as it needs to, doubling. */
                if (h->nspans == h->span_cap &&
                    sx_batch_reserve(h, h->nspans + 1, 0, b->nspans, 0))
                    return SX_ENOMEM;
                h->spans[h->nspans++] = b->spans[i];
            } else
                b->spans[ns++] = b->spans[i];
        }
        b->nspans = ns;
        for (uint32_t i = 0; i < b->nlogs; i++) {
            sx_logrec *l = &b->logs[i];
            if (l->time_ns > upto_ns) {
                if (h->nlogs == h->log_cap && sx_batch_reserve(h, 0, h->nlogs + 1, 0, b->nlogs))
                    return SX_ENOMEM;
                sx_logrec *hl = &h->logs[h->nlogs++];
                *hl = *l;
                hl->body_off = (uint32_t)h->text.len;
                if (sx_strbuf_append(&h->text, b->text.data + l->body_off, l->body_len))
                    return SX_ENOMEM;
            } else {
                b->logs[nl++] = *l;
            }
        }
        b->nlogs = nl;
    }
    for (size_t i = 0; (b->nspans || b->nlogs) && i < e->nex; i++) {
        int rc = e->ex[i]->ops->submit_batch(e->ex[i], e->r, b);
        if (rc)
            return rc;
    }
    for (uint32_t i = 0; i < b->nspans; i++)
        if (b->spans[i].end_ns > e->res->last_time_ns)
            e->res->last_time_ns = b->spans[i].end_ns;
    sx_batch_clear(b);
    /* What waits becomes the start of the next batch. */
    if (h->nspans || h->nlogs) {
        sx_batch tmp = *b;
        *b = *h;
        *h = tmp;
        /* As roomy as the batch it replaces: a collection may add restart
         * logs right after this flush, before the loop reserves again. */
        if (sx_batch_reserve(b, h->span_cap, h->log_cap, h->span_cap, h->log_cap))
            return SX_ENOMEM;
    }
    return 0;
}

/* Whether the batch must be flushed before the next event: too few slots
 * left for the largest request, or past the byte budget. */
static bool batch_full(const struct engine *e)
{
    const sx_batch *b = &e->batch;

    return b->nspans + e->span_room > e->span_limit ||
           b->nlogs + e->log_room + 8 > e->log_limit || sx_batch_bytes(b) >= BATCH_BUDGET;
}

static int64_t batch_latest(const sx_batch *b)
{
    int64_t latest = INT64_MIN;

    for (uint32_t i = 0; i < b->nspans; i++)
        if (b->spans[i].end_ns > latest)
            latest = b->spans[i].end_ns;
    for (uint32_t i = 0; i < b->nlogs; i++)
        if (b->logs[i].time_ns > latest)
            latest = b->logs[i].time_ns;
    return latest;
}

static uint64_t count_points(const sx_metrics *m)
{
    return m->nseries;   /* one data point per series and collection */
}

static void on_restart(void *ctx, uint32_t resource, double t, const sx_metric *metric)
{
    struct engine *e = ctx;
    char body[256];

    snprintf(body, sizeof(body), "Container %s was OOMKilled: %s reached its memory limit; "
             "restarting (exit code 137)", e->r->resources[resource].instance_id, metric->name);
    sx_walk_background_log(&e->w, NULL, resource, t, body);
}

/* Collects the metric state at virtual time t (timestamp at, ns) over dt
 * seconds since the last collection. dt <= 0 never happens on purpose: it
 * would draw the noisy series anew for a timestamp already sent. */
static int collect(struct engine *e, double t, double dt, int64_t at)
{
    int rc;

    /* The last collection, at the end of the timeline, counts every request
     * (also those still running then); their exemplars are left out, as an
     * exemplar never comes after its point. */
    bool last = t >= e->r->cfg.duration;
    if ((rc = sx_metrics_settle(&e->metrics, e->r, last ? INT64_MAX : at, at)) != 0 ||
        (dt > 0 && (rc = sx_metrics_advance(&e->metrics, e->r, t, dt, on_restart, e)) != 0))
        return rc;
    if (!(e->r->cfg.signals & SX_SIG_METRICS))
        return 0;
    uint64_t points = count_points(&e->metrics);
    for (size_t i = 0; i < e->nex; i++) {
        rc = e->ex[i]->ops->submit_metrics(e->ex[i], e->r, &e->metrics, at, points);
        if (rc)
            return rc;
    }
    sx_metrics_collected(&e->metrics);
    e->res->counts.metric_points += points;
    e->res->collections++;
    e->res->last_collect_ns = at;
    if (at > e->res->last_time_ns)
        e->res->last_time_ns = at;
    return 0;
}

static int setup_background(struct engine *e)
{
    const sx_scenario *s = e->r->s;
    uint32_t n = 0;

    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < s->nservices; i++) {
            const sx_service *svc = &s->services[i];
            for (uint32_t j = 0; j <= svc->nops; j++) {
                const sx_logs *logs = j < svc->nops ? &svc->ops[j].logs : &svc->logs;
                for (uint32_t k = 0; k < logs->n; k++) {
                    if (logs->v[k].when != SX_LOG_EVERY)
                        continue;
                    for (uint32_t inst = 0; inst < svc->instances; inst++, n++) {
                        if (!pass)
                            continue;
                        struct bg_log *b = &e->bg[n];
                        b->spec = &logs->v[k];
                        b->resource = sx_run_resource(e->r, i, inst);
                        /* Instances do not log in lockstep: spread the phases. */
                        b->next = b->spec->every * (inst + 1.0) / (svc->instances + 1.0);
                    }
                }
            }
        }
        if (!pass) {
            e->bg = calloc(n ? n : 1, sizeof(*e->bg));
            if (!e->bg)
                return SX_ENOMEM;
            e->nbg = n;
            n = 0;
        }
    }
    return 0;
}

static int64_t tick_ns(const sx_run *r, double t)
{
    return r->cfg.start_ns + (int64_t)llround(t * 1e9);
}

int sx_engine_run(const sx_run *r, sx_exporter **ex, size_t nex, volatile sig_atomic_t *stop,
                  sx_engine_result *res, char *err, size_t errlen)
{
    sx_engine_hooks h = { .stop = stop };

    return sx_engine_run_hooks(r, ex, nex, &h, res, err, errlen);
}

int sx_engine_run_hooks(const sx_run *r, sx_exporter **ex, size_t nex, const sx_engine_hooks *h,
                        sx_engine_result *res, char *err, size_t errlen)
{
    volatile sig_atomic_t *stop = h->stop;
    const sx_scenario *s = r->s;
    struct engine e;
    double (*rates)[SX_MAX_OPERATIONS] = NULL;
    double *expected = NULL;
    const double end = r->cfg.duration;
    const double interval = r->cfg.metric_interval;
    double next_tick = interval < end ? interval : end;
    double last_tick = 0.0;
    uint64_t span_bound, log_bound;
    int rc;

    memset(&e, 0, sizeof(e));
    e.r = r;
    e.ex = ex;
    e.nex = nex;
    e.res = res;
    e.h = h;
    e.next_progress_ns = sx_monotonic_ns() + SX_ENGINE_PROGRESS_NS;
    rc = sx_walk_bounds(s, MAX_SPANS_PER_REQUEST, &span_bound, &log_bound);
    if (rc == SX_ELIMIT) {
        snprintf(err, errlen, "one request can produce %llu spans (limit %u): lower call counts "
                 "or retries", (unsigned long long)span_bound, MAX_SPANS_PER_REQUEST);
        return rc;
    }
    if (rc)
        goto out;
    if (log_bound > 10u * MAX_SPANS_PER_REQUEST)
        log_bound = 10u * MAX_SPANS_PER_REQUEST;   /* a matched log needs its span: bounded */
    e.span_room = span_bound;
    e.log_room = log_bound;
    rc = SX_ENOMEM;
    rates = calloc(SX_MAX_SERVICES, sizeof(*rates));
    expected = calloc(SX_MAX_SERVICES * SX_MAX_OPERATIONS, sizeof(*expected));
    e.arr = calloc(s->traffic.nentrypoints, sizeof(*e.arr));
    if (!rates || !expected || !e.arr)
        goto out;
    sx_explain_rates(s, rates);
    for (uint32_t i = 0; i < s->nservices; i++)
        for (uint32_t j = 0; j < SX_MAX_OPERATIONS; j++)
            expected[i * SX_MAX_OPERATIONS + j] = rates[i][j];
    if ((rc = sx_metrics_init(&e.metrics, r)) != 0)
        goto out;
    /* A batch fills up to twice the largest request (so that it holds
     * several), but the arrays are allocated as records need them: a
     * scenario whose worst case is 100,000 spans seldom walks one. */
    e.span_limit = (uint32_t)(span_bound * 2 > 8192 ? span_bound * 2 : 8192);
    e.log_limit = (uint32_t)(log_bound * 2 > 4096 ? log_bound * 2 : 4096);
    if ((rc = sx_batch_init(&e.batch, e.span_limit < 8192 ? e.span_limit : 8192,
                            e.log_limit < 4096 ? e.log_limit : 4096)) != 0 ||
        (rc = sx_batch_init(&e.hold, 0, 0)) != 0)
        goto out;
    if ((rc = setup_background(&e)) != 0)
        goto out;
    e.w = (sx_walker){ .run = r, .metrics = &e.metrics, .batch = &e.batch,
                       .counts = &res->counts, .expected_rate = expected };
    double start_unix = (double)r->cfg.start_ns * 1e-9;
    e.metrics.next_collect_ns = r->cfg.start_ns + (int64_t)llround(next_tick * 1e9);
    for (uint32_t i = 0; i < s->traffic.nentrypoints; i++) {
        sx_arrivals_init(&e.arr[i], s, i, r->cfg.seed);
        sx_arrivals_advance(&e.arr[i], s, start_unix, end);
    }

    for (;;) {
        /* Ctrl-C, or every exporter is down (checked with the progress,
         * every few thousand events: not worth a loop per event). */
        if ((stop && *stop) || e.all_down) {
            res->interrupted = true;
            break;
        }
        /* The earliest event wins; a collection at time T includes every
         * request that arrived before T (ties go to the collection). */
        double t_arr = INFINITY, t_bg = INFINITY;
        uint32_t ai = 0, bi = 0;
        for (uint32_t i = 0; i < s->traffic.nentrypoints; i++)
            if (e.arr[i].next < t_arr) {
                t_arr = e.arr[i].next;
                ai = i;
            }
        for (uint32_t i = 0; i < e.nbg; i++)
            if (e.bg[i].next < t_bg) {
                t_bg = e.bg[i].next;
                bi = i;
            }
        double t = t_arr < t_bg ? t_arr : t_bg;
        if (next_tick <= t || (t >= end && next_tick <= end)) {
            t = next_tick;
            if (r->cfg.live)
                pace(&e, t, stop);
            if (stop && *stop) {
                /* Woken by the signal before the tick's time: no collection
                 * in the future; the final one below covers what ran. */
                res->interrupted = true;
                break;
            }
            if ((rc = flush_batch(&e, r->cfg.live ? sx_now_ns() : INT64_MAX)) != 0 ||
                (rc = collect(&e, t, t - last_tick, tick_ns(r, t))) != 0)
                goto out;
            progress(&e, t);
            e.all_down = sx_exporters_all_down(ex, nex);
            last_tick = t;
            e.last_flush = t;
            if (next_tick >= end)
                break;
            /* A last step shorter than a millisecond would share the
             * previous one's remote-write timestamp: merge it into the end. */
            next_tick = t + interval < end - 0.001 ? t + interval : end;
            e.metrics.next_collect_ns = r->cfg.start_ns + (int64_t)llround(next_tick * 1e9);
            continue;
        }
        if (t >= end)
            break;
        if (r->cfg.live) {
            pace(&e, t, stop);
            if (stop && *stop) {
                res->interrupted = true;
                break;
            }
            if (t - e.last_flush >= 1.0) {
                if ((rc = flush_batch(&e, sx_now_ns())) != 0)
                    goto out;
                e.last_flush = t;
            }
        }
        if (batch_full(&e)) {
            /* Full: in live mode wait for the oldest work to end first. */
            if ((rc = flush_batch(&e, r->cfg.live ? sx_now_ns() : INT64_MAX)) != 0)
                goto out;
            if (batch_full(&e)) {
                if ((rc = flush_batch(&e, INT64_MAX)) != 0)
                    goto out;
            }
        }
        /* Room for the largest request: the walker cannot grow the arrays
         * in the middle of one. Amortised: once grown, this only compares. */
        uint32_t need_spans = e.batch.nspans + (uint32_t)e.span_room;
        uint32_t need_logs = e.batch.nlogs + (uint32_t)e.log_room + 8;
        if ((need_spans > e.batch.span_cap || need_logs > e.batch.log_cap) &&
            (rc = sx_batch_reserve(&e.batch, need_spans, need_logs, e.span_limit,
                                   e.log_limit)) != 0)
            goto out;
        e.last_t = t;
        if (++e.events >= 4096) {
            e.events = 0;
            progress(&e, t);
            e.all_down = sx_exporters_all_down(ex, nex);
        }
        if (t_arr <= t_bg) {
            sx_arrivals *a = &e.arr[ai];
            uint64_t seq = a->seq++;
            if (seq % r->cfg.shard_count == r->cfg.shard_index &&
                (rc = sx_walk_request(&e.w, ai, seq, t)) != 0)
                goto out;
            sx_arrivals_advance(a, s, start_unix, end);
        } else {
            struct bg_log *b = &e.bg[bi];
            if (r->cfg.shard_index == 0 &&
                (rc = sx_walk_background_log(&e.w, b->spec, b->resource, t, NULL)) != 0)
                goto out;
            b->next += b->spec->every;
        }
    }
    if (res->interrupted && last_tick < end) {
        /* Stopped early: still deliver what was simulated, and collect once
         * more only if something ran after the last collection, stamped at
         * the last moment simulated. That stamp must be strictly after the
         * last one sent, at the receivers' resolution (remote-write: ms):
         * a second sample at one timestamp is a "duplicate sample" (HTTP
         * 400) in Prometheus, and one before it "out of order". */
        if ((rc = flush_batch(&e, INT64_MAX)) != 0)
            goto out;
        if (e.last_t > last_tick) {
            int64_t at = tick_ns(r, e.last_t);
            int64_t after = res->last_collect_ns ? (res->last_collect_ns / 1000000 + 1) * 1000000
                                                 : INT64_MIN;
            if (at < after)
                at = after;
            double t = (double)(at - r->cfg.start_ns) * 1e-9;
            if ((rc = collect(&e, t, t - last_tick, at)) != 0)
                goto out;
        }
    }
    if (r->cfg.live && !res->interrupted) {
        /* Spans still in flight end in the future: wait for them. */
        int64_t latest = batch_latest(&e.batch);
        if (latest != INT64_MIN)
            pace(&e, (double)(latest - r->cfg.start_ns) * 1e-9, stop);
    }
    rc = flush_batch(&e, INT64_MAX);
    for (size_t i = 0; !rc && i < nex; i++)
        if (ex[i]->ops->finish)
            rc = ex[i]->ops->finish(ex[i], r, &e.metrics);
    res->series = e.metrics.nseries;
    if (!res->interrupted)
        res->reached = end;
    else if (e.last_t > res->reached)
        res->reached = e.last_t;
out:
    if (rc && err[0] == '\0')
        snprintf(err, errlen, "%s", sx_strerror(rc));
    sx_batch_fini(&e.batch);
    sx_batch_fini(&e.hold);
    sx_metrics_fini(&e.metrics);
    free(e.arr);
    free(e.bg);
    free(rates);
    free(expected);
    return rc;
}
