/* sigsynth: walking one simulated request through the services.
 *
 * A request gets its own random stream, derived from (seed, entrypoint,
 * request index): the same request always produces the same spans, logs
 * and metric updates, whatever else happens in the run (and whichever shard
 * walks it). Spans and logs go into the batch, which the caller guarantees
 * has room for the scenario's largest request. */
#ifndef SX_WALK_H
#define SX_WALK_H

#include <stdint.h>

#include "sim/batch.h"
#include "sim/metrics.h"
#include "sim/run.h"

typedef struct sx_counts {
    uint64_t spans;
    uint64_t error_spans;
    uint64_t logs;
    uint64_t logs_by_severity[25];      /* by SeverityNumber */
    uint64_t metric_points;
    uint64_t requests;                  /* entrypoint requests walked */
    uint64_t *op_requests;              /* [service * SX_MAX_OPERATIONS + op] */
    uint64_t *op_errors;
} sx_counts;

int sx_counts_init(sx_counts *c);
void sx_counts_fini(sx_counts *c);

typedef struct sx_walker {
    const sx_run *run;
    sx_metrics *metrics;
    sx_batch *batch;
    sx_counts *counts;
    double *expected_rate;              /* [service * SX_MAX_OPERATIONS + op], baseline req/s */
    sx_rng rng;
    uint8_t trace_id[16];
} sx_walker;

/* Upper bounds per request, for batch sizing; SX_ELIMIT past max_spans. */
int sx_walk_bounds(const sx_scenario *s, uint64_t max_spans, uint64_t *spans, uint64_t *logs);

/* The longest body render_body can make of spec's template in a log of
 * `service` (-1: any service): the literal text plus, per placeholder, the
 * longest value it can stand for. Computed at load time so no run ever
 * renders more than the limit allows. */
uint64_t sx_walk_body_bound(const sx_scenario *s, const sx_log_spec *spec, int32_t service);

/* The most log text one request can render (all of it sits in the batch
 * before any flush), and the entrypoint whose requests can render it. */
int sx_walk_log_text_bound(const sx_scenario *s, uint64_t *worst, uint32_t *entrypoint);

/* Walks request `seq` of entrypoint `ep` arriving at t seconds. */
int sx_walk_request(sx_walker *w, uint32_t ep, uint64_t seq, double t);

/* Appends a log record not tied to a request (background, restarts). */
int sx_walk_background_log(sx_walker *w, const sx_log_spec *spec, uint32_t resource, double t,
                           const char *literal_body);

#endif
