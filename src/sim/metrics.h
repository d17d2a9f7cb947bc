/* sigsynth: metric state derived from the simulated requests.
 *
 * Series are created the first time a (family, resource, operation, peer,
 * status) combination is seen, and then only updated in place: the number
 * of series is bounded by the scenario, so memory stays flat however long
 * the timeline is. Every value a point carries is cumulative from the start
 * of the timeline, as OTLP cumulative temporality and Prometheus expect. */
#ifndef SX_METRICS_H
#define SX_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/batch.h"
#include "sim/run.h"
#include "stats/rng.h"

enum sx_fam_type { SX_FAM_HISTOGRAM, SX_FAM_GAUGE, SX_FAM_SUM };

/* Which attributes a family's series carry (encoders switch on this). */
enum sx_fam_id {
    SX_FAM_HTTP_SERVER,     /* http.server.request.duration, s */
    SX_FAM_RPC_SERVER,      /* rpc.server.duration, ms */
    SX_FAM_DB_CLIENT,       /* db.client.operation.duration, s (databases and caches) */
    SX_FAM_HTTP_CLIENT,     /* http.client.request.duration, s (external HTTP APIs) */
    SX_FAM_RPC_CLIENT,      /* rpc.client.duration, ms (external gRPC APIs) */
    SX_FAM_MSG_CLIENT,      /* messaging.client.operation.duration, s (queues) */
    SX_FAM_RESTARTS,        /* kube_pod_container_status_restarts_total */
    SX_FAM_CUSTOM,          /* scenario metrics */
    SX_FAM_NBUILTIN = SX_FAM_CUSTOM,
};

typedef struct sx_family {
    enum sx_fam_id id;
    enum sx_fam_type type;
    const char *name;           /* OTel name: "http.server.request.duration" */
    const char *unit;           /* UCUM: "s", "ms", "By", "1", "{restart}" */
    const char *description;
    bool monotonic;             /* SX_FAM_SUM */
    const double *bounds;       /* histogram explicit bounds, in `unit` */
    uint32_t nbounds;
    double scale;               /* seconds -> unit (1000 for ms) */
    const sx_metric *custom;    /* SX_FAM_CUSTOM */
    uint32_t index;
} sx_family;

typedef struct sx_exemplar {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    double value;               /* in the family's unit */
    int64_t time_ns;
    uint32_t incidents;
    bool set;
} sx_exemplar;

typedef struct sx_series {
    const sx_family *fam;
    uint32_t resource;          /* index into run->resources */
    uint16_t operation;         /* the operation (server) or the callee's (client) */
    uint16_t peer_service;      /* client families: the callee */
    int32_t code;               /* status code attribute */
    bool error;
    int64_t start_ns;
    /* histogram */
    uint64_t count;
    double sum;
    uint64_t *buckets;          /* nbounds + 1 */
    sx_exemplar *exemplars;     /* one slot per bucket, cleared at each collection */
    /* gauge / sum */
    double value;
    double level;               /* gauge: the mean-reverting part */
    double leaked;              /* gauge: what an active leak has added */
    sx_rng rng;
    uint32_t next;              /* next series of the same resource, or UINT32_MAX */
} sx_series;

typedef struct sx_metrics {
    sx_family *fams;
    uint32_t nfams;
    sx_series *series;
    uint32_t nseries;
    uint32_t cap;
    uint32_t *table;            /* open addressing: series index + 1, 0 = empty */
    uint32_t table_cap;
    uint32_t *res_first;        /* per resource: first series, UINT32_MAX = none */
    uint32_t *res_last;
    uint64_t restarts_total;
    /* Spans wait here until a collection passes their end: a request is
     * counted in the interval it finishes in, as instrumentation does. */
    sx_span *pending;
    uint32_t npending, pending_cap;
    int64_t next_collect_ns;    /* spans ending by then are counted at once */
} sx_metrics;

int sx_metrics_init(sx_metrics *m, const sx_run *r);
void sx_metrics_fini(sx_metrics *m);

/* Counts a finished span in its duration histogram (if its kind has one),
 * with it as the bucket's exemplar unless with_exemplar is false. */
int sx_metrics_record_span(sx_metrics *m, const sx_run *r, const sx_span *sp, bool with_exemplar);

/* Counts a span now when it ends before the next collection (most do);
 * otherwise keeps it until sx_metrics_settle() reaches its end time. */
int sx_metrics_defer_span(sx_metrics *m, const sx_run *r, const sx_span *sp);
/* Records every deferred span that ended at or before upto_ns; exemplars
 * only for spans that ended at or before exemplar_ns. */
int sx_metrics_settle(sx_metrics *m, const sx_run *r, int64_t upto_ns, int64_t exemplar_ns);
/* The latest end time among deferred spans, or INT64_MIN. */
int64_t sx_metrics_pending_latest(const sx_metrics *m);

/* Advances the custom series to time t (seconds from the start) over dt.
 * Restart events of leaking gauges are reported through on_restart. */
typedef void (*sx_restart_cb)(void *ctx, uint32_t resource, double t, const sx_metric *metric);
int sx_metrics_advance(sx_metrics *m, const sx_run *r, double t, double dt, sx_restart_cb cb,
                       void *ctx);

/* Current value of a custom gauge/counter for a resource (for log bodies);
 * NAN when that resource has no such series. */
double sx_metrics_custom_value(const sx_metrics *m, const sx_run *r, uint32_t metric,
                               uint32_t resource);

/* An upper bound on what the metric state can allocate for s, computed
 * from the same rules that create series (family_of_span, the codes walk.c
 * gives spans): per service, the Prometheus series remote-write and check
 * make of them (a histogram: its buckets, _sum and _count; one target_info
 * per instance); and in all, sx_series records and their bytes. */
typedef struct sx_metrics_bound {
    uint64_t prom_series[SX_MAX_SERVICES];
    uint64_t prom_total;
    uint64_t state_series;
    uint64_t state_bytes;
} sx_metrics_bound;

void sx_metrics_bound_of(const sx_scenario *s, sx_metrics_bound *b);

/* After a collection has been encoded: drop the exemplars it carried. */
void sx_metrics_collected(sx_metrics *m);


#endif
