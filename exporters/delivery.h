/* sigsynth: the delivery machinery shared by the network exporters.
 *
 * Encoded payloads wait in bounded per-lane queues; one worker thread per
 * lane sends them in order (remote-write puts each series in one lane, so
 * its samples stay in time order while other lanes send in parallel).
 * Failed sends are retried with exponential backoff and jitter, honouring a
 * server's Retry-After, until a time budget runs out. Every attempt is
 * bounded by the request timeout, and cut when the flush deadline passes.
 * An endpoint whose every attempt has failed for give_up_after is declared
 * down: one line says so, and from then on everything is dropped without
 * being encoded or sent. Every item ends up delivered or dropped, and
 * dropped items are counted with a reason.
 *
 * Payload buffers come from a fixed pool and are recycled, so a steady
 * state allocates nothing. When the pool is exhausted, backfill waits (the
 * simulation slows down to what the receiver accepts) and live mode drops
 * the oldest queued payload (counted). */
#ifndef SX_DELIVERY_H
#define SX_DELIVERY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "exporter.h"
#include "util/timefmt.h"   /* sx_monotonic_ns */
#include "util/strbuf.h"

typedef struct sx_payload {
    int sig;                    /* enum sx_sigidx */
    uint64_t items;             /* spans, logs or points (remote-write: samples) in it */
    uint32_t lane;
    sx_strbuf body;             /* uncompressed encoded request */
    struct sx_payload *next;
} sx_payload;

enum sx_send_outcome { SX_SEND_OK = 0, SX_SEND_RETRY = 1, SX_SEND_DROP = 2 };

typedef struct sx_send_result {
    enum sx_send_outcome outcome;
    int64_t retry_after_ns;     /* server-requested wait, 0 = none */
    uint64_t rejected;          /* partial success: items the server refused */
    char what[48];              /* error kind for the summary: "HTTP 503", "UNAVAILABLE" */
    char detail[512];           /* server's message, printed once per distinct text */
} sx_send_result;

typedef struct sx_delivery_cfg {
    uint32_t lanes;             /* worker threads */
    uint32_t queue_per_lane;    /* payloads waiting per lane */
    bool drop_oldest;           /* when full: drop the oldest (live) instead of waiting */
    int64_t retry_initial_ns;   /* first backoff, doubled each time */
    int64_t retry_max_ns;       /* backoff cap */
    int64_t retry_budget_ns;    /* give up on a payload after this long */
    int64_t request_timeout_ns; /* one attempt: connect + send + answer (0: 10 s) */
    int64_t give_up_after_ns;   /* every attempt failed this long: endpoint down (0: never) */
    const char *name;           /* exporter name, for messages */
    const char *endpoint;       /* where it sends, without userinfo (for the down line) */
    volatile int *interrupt;    /* set by SIGINT/SIGTERM: stop waiting for queue space */
} sx_delivery_cfg;

/* What one attempt may take: send() must return by timeout_ns from its
 * start, and as soon as it can once *cut becomes nonzero (flush deadline
 * passed, or the endpoint was declared down). */
typedef struct sx_attempt {
    int64_t timeout_ns;
    const atomic_int *cut;
} sx_attempt;

/* send() runs on worker `lane`'s thread; it must be thread-safe across lanes. */
typedef void (*sx_send_fn)(void *ctx, uint32_t lane, const sx_payload *p, const sx_attempt *at,
                           sx_send_result *res);

typedef struct sx_delivery sx_delivery;

int sx_delivery_create(const sx_delivery_cfg *cfg, sx_send_fn send, void *ctx, sx_delivery **out);
/* Stops the workers; whatever is still queued is dropped and counted. */
void sx_delivery_destroy(sx_delivery *d);

/* A free payload for `lane` (its body cleared); may block in backfill, or
 * drop the lane's oldest queued payload in live mode. NULL on stop, on
 * interrupt with a full queue, and once the endpoint is down: the caller
 * then counts its items with sx_delivery_count_drop(.., sx_delivery_closed()). */
sx_payload *sx_delivery_get(sx_delivery *d, uint32_t lane);
/* Why sx_delivery_get returned NULL: "endpoint down" or "stopped". */
const char *sx_delivery_closed(sx_delivery *d);
/* True once the endpoint was declared down (cheap: one atomic load). */
bool sx_delivery_down(const sx_delivery *d);
/* Queues p (taken from sx_delivery_get) for sending; an empty one is recycled. */
void sx_delivery_put(sx_delivery *d, sx_payload *p);
/* Waits until everything queued is sent or deadline_ns (CLOCK_MONOTONIC)
 * passes; then drops what is left and cuts attempts in flight (counted,
 * "shutdown timeout"). Attempts started meanwhile end by the deadline. */
void sx_delivery_drain(sx_delivery *d, int64_t deadline_ns);

void sx_delivery_stats(sx_delivery *d, sx_export_stats *out);
/* Counts items dropped before they reached the queue (e.g. encoding failed). */
void sx_delivery_count_drop(sx_delivery *d, int sig, uint64_t items, const char *why);

#endif
