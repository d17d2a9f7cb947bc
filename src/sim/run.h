/* sigsynth: one run's fixed context.
 *
 * Everything the simulation and the encoders share and that does not change
 * during a run: the model, seed, timeline, run id, and the resources (one per
 * service instance) with their names built once here, so no span or point
 * ever formats a resource name. */
#ifndef SX_RUN_H
#define SX_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "scenario/model.h"

enum sx_signal { SX_SIG_TRACES = 1, SX_SIG_METRICS = 2, SX_SIG_LOGS = 4, SX_SIG_ALL = 7 };


typedef struct sx_resource {
    uint16_t service;
    uint16_t instance;
    char instance_id[80];       /* service.instance.id and k8s.pod.name: "checkout-5d4f8b9c7-x2k4q" */
} sx_resource;

typedef struct sx_run_config {
    uint64_t seed;
    int64_t start_ns;           /* unix nanoseconds of the timeline's start */
    double duration;            /* seconds */
    double metric_interval;     /* seconds */
    const char *run_id;         /* NULL: derived from (scenario, seed, start) */
    unsigned signals;           /* enum sx_signal mask */
    uint32_t shard_index;
    uint32_t shard_count;
    bool live;
    const sx_attr *extra_resource;  /* OTEL_RESOURCE_ATTRIBUTES: on every resource */
    uint32_t nextra_resource;
} sx_run_config;

typedef struct sx_run {
    const sx_scenario *s;
    sx_run_config cfg;
    char run_id[40];
    int64_t end_ns;
    sx_resource *resources;
    uint32_t nresources;
    uint32_t res_base[SX_MAX_SERVICES];     /* first resource of each service */
    /* "orders-db.query timed out after 1s" per call, built once */
    const char **timeout_messages;          /* [service][op][call] flattened */
    uint32_t *call_base;                    /* first message index per (service, op) */
    /* span name per (service, op) as instrumentation names it: "GET /checkout",
     * "checkout/PlaceOrder", "query orders-db" */
    const char **span_names;                /* [service * SX_MAX_OPERATIONS + op] */
    sx_arena arena;
} sx_run;

int sx_run_init(sx_run *r, const sx_scenario *s, const sx_run_config *cfg);
void sx_run_fini(sx_run *r);

static inline uint32_t sx_run_resource(const sx_run *r, uint32_t service, uint32_t instance)
{
    return r->res_base[service] + instance;
}

static inline const char *sx_run_span_name(const sx_run *r, uint32_t svc, uint32_t op)
{
    return r->span_names[svc * SX_MAX_OPERATIONS + op];
}

static inline const char *sx_run_timeout_message(const sx_run *r, uint32_t svc, uint32_t op,
                                                 uint32_t call)
{
    return r->timeout_messages[r->call_base[svc * SX_MAX_OPERATIONS + op] + call];
}

#endif
