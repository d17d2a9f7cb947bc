#include "delivery.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stats/rng.h"
#include "util/err.h"

#define MAX_MESSAGES 16

typedef struct lane {
    sx_delivery *d;
    uint32_t index;
    pthread_t thread;
    sx_payload *head, *tail;    /* queued, oldest first */
    uint32_t queued;
    bool busy;                  /* a payload is being sent */
    sx_rng jitter;
} lane;

struct sx_delivery {
    sx_delivery_cfg cfg;
    sx_send_fn send;
    void *ctx;
    pthread_mutex_t mu;
    pthread_cond_t work;        /* a lane got a payload, or stop */
    pthread_cond_t space;       /* a payload was freed, or a lane went idle */
    lane *lanes;
    sx_payload *pool;           /* all payloads */
    sx_payload *free_list;
    bool stop;
    bool abort_sends;           /* drain deadline passed: drop instead of retrying */
    bool down;                  /* give_up_after passed without a success */
    atomic_int down_flag;       /* d->down, readable without the lock */
    atomic_int cut;             /* attempts in flight must end now */
    int64_t drain_deadline;     /* 0, or the flush deadline: no attempt may outlive it */
    int64_t last_ok;            /* when the last attempt succeeded */
    int64_t fail_since;         /* 0, or when the current streak of failures began */
    char fail_what[48];         /* the streak's latest error, for the down line */
    char fail_detail[320];
    sx_export_stats st;
    char messages[MAX_MESSAGES][128];   /* distinct server messages already printed */
    uint32_t nmessages;
};

static void abs_time(struct timespec *ts, int64_t in_ns)
{
    clock_gettime(CLOCK_REALTIME, ts);
    int64_t ns = ts->tv_nsec + in_ns;
    ts->tv_sec += (time_t)(ns / 1000000000LL);
    ts->tv_nsec = (long)(ns % 1000000000LL);
}

/* Caller holds mu. */
static void drop_locked(sx_delivery *d, const sx_payload *p, const char *why)
{
    d->st.dropped[p->sig] += p->items;
    sx_export_stats_error(&d->st, why);
}

static void recycle_locked(sx_delivery *d, sx_payload *p)
{
    sx_strbuf_clear(&p->body);
    p->items = 0;
    p->next = d->free_list;
    d->free_list = p;
    pthread_cond_broadcast(&d->space);
}

/* Prints a server's message the first time it is seen (4xx bodies are
 * logged verbatim, once per distinct text). Caller holds mu. */
/* The message without digits: "after 2 ms" and "after 3 ms" are one message. */
static void message_key(const sx_send_result *res, char *key, size_t size)
{
    size_t n = (size_t)snprintf(key, size, "%s|", res->what);
    for (const char *p = res->detail; *p && n < size - 1; p++)
        if (*p < '0' || *p > '9')
            key[n++] = *p;
    key[n < size ? n : size - 1] = '\0';
}

static void note_message_locked(sx_delivery *d, const sx_send_result *res)
{
    char key[128];

    if (!res->detail[0])
        return;
    message_key(res, key, sizeof(key));
    for (uint32_t i = 0; i < d->nmessages; i++)
        if (strcmp(d->messages[i], key) == 0)
            return;
    if (d->nmessages >= MAX_MESSAGES)
        return;   /* enough distinct messages: the summary still counts them */
    snprintf(d->messages[d->nmessages++], sizeof(d->messages[0]), "%s", key);
    fprintf(stderr, "%ssigsynth: %s: %s: %s%s\n", sx_stderr_clear(), d->cfg.name, res->what,
            res->detail,
            d->nmessages == MAX_MESSAGES ? " (further messages not shown)" : "");
}

/* Caller holds mu. Everything queued is dropped; get() refuses from now on. */
static void drop_queued_locked(sx_delivery *d, const char *why)
{
    for (uint32_t i = 0; i < d->cfg.lanes; i++) {
        lane *ln = &d->lanes[i];
        while (ln->head) {
            sx_payload *p = ln->head;
            ln->head = p->next;
            ln->queued--;
            drop_locked(d, p, why);
            recycle_locked(d, p);
        }
        ln->tail = NULL;
    }
}

static void declare_down_locked(sx_delivery *d, int64_t failing_ns)
{
    double secs = (double)failing_ns * 1e-9;

    d->down = true;
    atomic_store(&d->down_flag, 1);
    atomic_store(&d->cut, 1);       /* other lanes' attempts in flight end now */
    drop_queued_locked(d, "endpoint down");
    fprintf(stderr, "%ssigsynth run: %s %s down: every request failed for %.*f s (%s%s%s); "
                    "dropping the rest\n",
            sx_stderr_clear(), d->cfg.name, d->cfg.endpoint ? d->cfg.endpoint : "", secs < 10 ? 1 : 0, secs,
            d->fail_what, d->fail_detail[0] ? ": " : "", d->fail_detail);
    pthread_cond_broadcast(&d->work);
    pthread_cond_broadcast(&d->space);
}

/* An attempt that started at t0 failed. The streak begins at the first
 * failed attempt that started after the last success. Caller holds mu. */
static void note_failure_locked(sx_delivery *d, int64_t t0, const sx_send_result *res)
{
    int64_t now = sx_monotonic_ns();
    int64_t from = t0 > d->last_ok ? t0 : d->last_ok;

    if (!d->fail_since || from < d->fail_since)
        d->fail_since = from;
    snprintf(d->fail_what, sizeof(d->fail_what), "%s", res->what[0] ? res->what : "error");
    /* The detail may be long (a whole error page): the down line keeps its start. */
    size_t n = strnlen(res->detail, sizeof(d->fail_detail) - 1);
    memcpy(d->fail_detail, res->detail, n);
    d->fail_detail[n] = '\0';
    if (d->cfg.give_up_after_ns > 0 && !d->down && now - d->fail_since >= d->cfg.give_up_after_ns)
        declare_down_locked(d, now - d->fail_since);
}

/* Why a payload that was not delivered is given up now, or NULL. Caller holds mu. */
static const char *closed_locked(const sx_delivery *d)
{
    if (d->down)
        return "endpoint down";
    if (d->abort_sends)
        return "shutdown timeout";
    return NULL;
}

static void deliver(lane *ln, sx_payload *p)
{
    sx_delivery *d = ln->d;
    int64_t started = sx_monotonic_ns();
    int64_t backoff = d->cfg.retry_initial_ns;
    const char *why;

    for (;;) {
        sx_send_result res;
        sx_attempt at = { d->cfg.request_timeout_ns, &d->cut };
        pthread_mutex_lock(&d->mu);
        if ((why = closed_locked(d)) != NULL) {
            drop_locked(d, p, why);
            pthread_mutex_unlock(&d->mu);
            return;
        }
        int64_t t0 = sx_monotonic_ns();
        /* During a flush no attempt may outlive its deadline. */
        if (d->drain_deadline && d->drain_deadline - t0 < at.timeout_ns)
            at.timeout_ns = d->drain_deadline - t0 > 1000000 ? d->drain_deadline - t0 : 1000000;
        pthread_mutex_unlock(&d->mu);
        memset(&res, 0, sizeof(res));
        d->send(d->ctx, ln->index, p, &at, &res);
        pthread_mutex_lock(&d->mu);
        d->st.requests++;
        if (res.outcome == SX_SEND_OK) {
            uint64_t rej = res.rejected < p->items ? res.rejected : p->items;
            d->st.delivered[p->sig] += p->items - rej;
            d->st.bytes += p->body.len;
            d->last_ok = sx_monotonic_ns();
            d->fail_since = 0;
            if (rej) {
                d->st.dropped[p->sig] += rej;
                sx_export_stats_error(&d->st, "partial success");
                note_message_locked(d, &res);
            }
            pthread_mutex_unlock(&d->mu);
            return;
        }
        if (atomic_load(&d->cut) && (why = closed_locked(d)) != NULL) {
            /* We cut it (flush deadline, endpoint down): not the server's error. */
            drop_locked(d, p, why);
            pthread_mutex_unlock(&d->mu);
            return;
        }
        sx_export_stats_error(&d->st, res.what[0] ? res.what : "error");
        note_message_locked(d, &res);
        note_failure_locked(d, t0, &res);
        if ((why = closed_locked(d)) != NULL) {
            drop_locked(d, p, why);
            pthread_mutex_unlock(&d->mu);
            return;
        }
        int64_t wait = res.retry_after_ns > 0 ? res.retry_after_ns : backoff;
        if (res.retry_after_ns <= 0) {
            /* Jitter: a random 50-100% of the backoff spreads retries of many lanes. */
            double j = 0.5 + 0.5 * sx_rng_uniform(&ln->jitter);
            wait = (int64_t)((double)backoff * j);
        }
        if (res.outcome == SX_SEND_DROP ||
            sx_monotonic_ns() + wait - started > d->cfg.retry_budget_ns) {
            drop_locked(d, p, res.outcome == SX_SEND_DROP ? "not retryable" : "retries exhausted");
            pthread_mutex_unlock(&d->mu);
            return;
        }
        d->st.retries++;
        /* Sleep on the condition so a drain deadline or going down cuts the wait short. */
        struct timespec until;
        abs_time(&until, wait);
        int64_t wake = sx_monotonic_ns() + wait;
        while (!d->abort_sends && !d->down && sx_monotonic_ns() < wake)
            pthread_cond_timedwait(&d->work, &d->mu, &until);
        pthread_mutex_unlock(&d->mu);
        backoff = backoff * 2 > d->cfg.retry_max_ns ? d->cfg.retry_max_ns : backoff * 2;
    }
}

static void *worker(void *arg)
{
    lane *ln = arg;
    sx_delivery *d = ln->d;

    pthread_mutex_lock(&d->mu);
    for (;;) {
        while (!ln->head && !d->stop)
            pthread_cond_wait(&d->work, &d->mu);
        if (!ln->head && d->stop)
            break;
        sx_payload *p = ln->head;
        ln->head = p->next;
        if (!ln->head)
            ln->tail = NULL;
        ln->queued--;
        ln->busy = true;
        pthread_mutex_unlock(&d->mu);
        deliver(ln, p);
        pthread_mutex_lock(&d->mu);
        ln->busy = false;
        recycle_locked(d, p);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

int sx_delivery_create(const sx_delivery_cfg *cfg, sx_send_fn send, void *ctx, sx_delivery **out)
{
    sx_delivery *d = calloc(1, sizeof(*d));
    uint32_t npay;

    *out = NULL;
    if (!d)
        return SX_ENOMEM;
    d->cfg = *cfg;
    if (!d->cfg.lanes)
        d->cfg.lanes = 1;
    if (!d->cfg.queue_per_lane)
        d->cfg.queue_per_lane = 8;
    if (d->cfg.request_timeout_ns <= 0)
        d->cfg.request_timeout_ns = 10000000000LL;
    atomic_init(&d->down_flag, 0);
    atomic_init(&d->cut, 0);
    d->send = send;
    d->ctx = ctx;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->work, NULL);
    pthread_cond_init(&d->space, NULL);
    /* Each lane: its queue, one in flight, one being filled by the engine. */
    npay = d->cfg.lanes * (d->cfg.queue_per_lane + 2);
    d->pool = calloc(npay, sizeof(*d->pool));
    d->lanes = calloc(d->cfg.lanes, sizeof(*d->lanes));
    if (!d->pool || !d->lanes) {
        free(d->pool);
        free(d->lanes);
        free(d);
        return SX_ENOMEM;
    }
    for (uint32_t i = 0; i < npay; i++) {
        sx_strbuf_init(&d->pool[i].body);
        d->pool[i].next = d->free_list;
        d->free_list = &d->pool[i];
    }
    for (uint32_t i = 0; i < d->cfg.lanes; i++) {
        lane *ln = &d->lanes[i];
        ln->d = d;
        ln->index = i;
        sx_rng_seed(&ln->jitter, (uint64_t)sx_monotonic_ns(), i);
        if (pthread_create(&ln->thread, NULL, worker, ln) != 0) {
            d->cfg.lanes = i;
            sx_delivery_destroy(d);
            return SX_ENOMEM;
        }
    }
    *out = d;
    return 0;
}

sx_payload *sx_delivery_get(sx_delivery *d, uint32_t lane_index)
{
    lane *ln = &d->lanes[lane_index % d->cfg.lanes];
    sx_payload *p;

    pthread_mutex_lock(&d->mu);
    /* A lane may hold at most queue_per_lane payloads; live mode makes room
     * by dropping the lane's oldest, backfill waits for the worker. */
    while (!d->stop && !d->down && (!d->free_list || ln->queued >= d->cfg.queue_per_lane)) {
        if (d->cfg.drop_oldest && ln->head) {
            sx_payload *old = ln->head;
            ln->head = old->next;
            if (!ln->head)
                ln->tail = NULL;
            ln->queued--;
            drop_locked(d, old, "queue full");
            recycle_locked(d, old);
            continue;
        }
        if (d->cfg.interrupt && *d->cfg.interrupt)
            break;   /* Ctrl-C: the caller counts what it could not queue */
        struct timespec until;
        abs_time(&until, 100000000);
        pthread_cond_timedwait(&d->space, &d->mu, &until);
    }
    if (d->down || (d->cfg.interrupt && *d->cfg.interrupt &&
                    (!d->free_list || ln->queued >= d->cfg.queue_per_lane))) {
        pthread_mutex_unlock(&d->mu);
        return NULL;
    }
    p = d->free_list;
    if (p && !d->stop) {
        d->free_list = p->next;
        p->next = NULL;
        p->lane = lane_index % d->cfg.lanes;
        p->items = 0;
        sx_strbuf_clear(&p->body);
    } else {
        p = NULL;
    }
    pthread_mutex_unlock(&d->mu);
    return p;
}

void sx_delivery_put(sx_delivery *d, sx_payload *p)
{
    lane *ln = &d->lanes[p->lane];

    pthread_mutex_lock(&d->mu);
    if (!p->body.len || d->stop || d->down) {
        if (d->stop || d->down) {
            d->st.generated[p->sig] += p->items;
            drop_locked(d, p, d->down ? "endpoint down" : "stopped");
        }
        recycle_locked(d, p);
        pthread_mutex_unlock(&d->mu);
        return;
    }
    d->st.generated[p->sig] += p->items;
    p->next = NULL;
    if (ln->tail)
        ln->tail->next = p;
    else
        ln->head = p;
    ln->tail = p;
    ln->queued++;
    pthread_cond_broadcast(&d->work);
    pthread_mutex_unlock(&d->mu);
}

static bool idle_locked(const sx_delivery *d)
{
    for (uint32_t i = 0; i < d->cfg.lanes; i++)
        if (d->lanes[i].head || d->lanes[i].busy)
            return false;
    return true;
}

void sx_delivery_drain(sx_delivery *d, int64_t deadline_ns)
{
    pthread_mutex_lock(&d->mu);
    d->drain_deadline = deadline_ns;
    while (!idle_locked(d)) {
        int64_t left = deadline_ns - sx_monotonic_ns();
        if (left <= 0) {
            /* Out of time: queued payloads are dropped now, attempts in
             * flight are cut, and retries give up. */
            d->abort_sends = true;
            atomic_store(&d->cut, 1);
            drop_queued_locked(d, "shutdown timeout");
            pthread_cond_broadcast(&d->work);
            while (!idle_locked(d))
                pthread_cond_wait(&d->space, &d->mu);
            break;
        }
        struct timespec until;
        abs_time(&until, left < 100000000 ? left : 100000000);
        pthread_cond_timedwait(&d->space, &d->mu, &until);
    }
    pthread_mutex_unlock(&d->mu);
}

void sx_delivery_destroy(sx_delivery *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    d->stop = true;
    d->abort_sends = true;
    atomic_store(&d->cut, 1);
    pthread_cond_broadcast(&d->work);
    pthread_cond_broadcast(&d->space);
    pthread_mutex_unlock(&d->mu);
    for (uint32_t i = 0; i < d->cfg.lanes; i++)
        pthread_join(d->lanes[i].thread, NULL);
    for (uint32_t i = 0; i < d->cfg.lanes; i++) {
        for (sx_payload *p = d->lanes[i].head; p; p = p->next)
            drop_locked(d, p, "stopped");
    }
    uint32_t npay = d->cfg.lanes * (d->cfg.queue_per_lane + 2);
    for (uint32_t i = 0; d->pool && i < npay; i++)
        sx_strbuf_fini(&d->pool[i].body);
    free(d->pool);
    free(d->lanes);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->work);
    pthread_cond_destroy(&d->space);
    free(d);
}

void sx_delivery_stats(sx_delivery *d, sx_export_stats *out)
{
    pthread_mutex_lock(&d->mu);
    *out = d->st;
    pthread_mutex_unlock(&d->mu);
}

const char *sx_delivery_closed(sx_delivery *d)
{
    return atomic_load(&d->down_flag) ? "endpoint down" : "stopped";
}

bool sx_delivery_down(const sx_delivery *d)
{
    return atomic_load(&d->down_flag) != 0;
}

void sx_delivery_count_drop(sx_delivery *d, int sig, uint64_t items, const char *why)
{
    pthread_mutex_lock(&d->mu);
    d->st.generated[sig] += items;
    d->st.dropped[sig] += items;
    sx_export_stats_error(&d->st, why);
    pthread_mutex_unlock(&d->mu);
}
