/* sigsynth: the compiled scenario model.
 *
 * The loader turns a YAML file into this typed, validated, cross-linked
 * model; everything downstream (simulation, explain, check) reads only this.
 * Every value keeps the position it came from so later stages can still
 * point users at the line that caused a problem. All memory belongs to the
 * scenario's arena: sx_scenario_destroy() frees it in one go.
 * Times are seconds (double), rates events per second, ratios in [0,1]. */
#ifndef SX_MODEL_H
#define SX_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/dist.h"
#include "util/arena.h"

typedef struct sx_pos {
    uint32_t line;
    uint32_t col;
} sx_pos;

enum sx_attr_type { SX_ATTR_STRING, SX_ATTR_INT, SX_ATTR_DOUBLE, SX_ATTR_BOOL };

typedef struct sx_attr {
    const char *key;
    enum sx_attr_type type;
    const char *str;            /* always set: the text as written */
    int64_t i;
    double d;
    bool b;
    sx_pos pos;
} sx_attr;

typedef struct sx_attrs {
    sx_attr *v;
    uint32_t n;
} sx_attrs;

/* ---- latency ---------------------------------------------------------- */

typedef struct sx_latency {
    bool present;
    enum sx_dist_kind kind;
    uint32_t nq;                /* SX_DIST_QUANTILES: declared percentiles */
    double probs[SX_DIST_MAX_KNOTS];
    double values[SX_DIST_MAX_KNOTS];
    double min, max;            /* 0 / INFINITY when absent */
    double median, sigma;       /* SX_DIST_LOGNORMAL */
    double value;               /* SX_DIST_CONSTANT */
    sx_dist dist;               /* compiled */
    sx_pos pos;
} sx_latency;

/* ---- logs ------------------------------------------------------------- */

enum sx_log_when {
    SX_LOG_ERROR,               /* request failed */
    SX_LOG_SLOW,                /* request slower than slow_over */
    SX_LOG_ALWAYS,              /* every request */
    SX_LOG_INCIDENT,            /* requests during an incident touching this target */
    SX_LOG_EVERY,               /* background, one per `every` per instance */
    SX_LOG_RATE,                /* background at `rate` (incident logs) */
};

typedef struct sx_log_spec {
    enum sx_log_when when;
    double slow_over;           /* SX_LOG_SLOW */
    double every;               /* SX_LOG_EVERY: period */
    double rate;                /* SX_LOG_RATE: per second, per service */
    double probability;         /* request-tied logs: chance per matching request */
    int severity_number;        /* OTLP SeverityNumber (INFO=9, WARN=13, ERROR=17...) */
    const char *severity_text;  /* as written, upper-cased: "ERROR" */
    const char *body;           /* template with {placeholders} */
    sx_attrs attrs;
    sx_pos pos;
} sx_log_spec;

typedef struct sx_logs {
    sx_log_spec *v;
    uint32_t n;
} sx_logs;

/* ---- services, operations, calls -------------------------------------- */

enum sx_kind { SX_KIND_SERVICE, SX_KIND_DATABASE, SX_KIND_CACHE, SX_KIND_QUEUE, SX_KIND_EXTERNAL };
enum sx_protocol { SX_PROTO_HTTP, SX_PROTO_GRPC };

typedef struct sx_call {
    const char *target;         /* as written: "checkout.PlaceOrder" */
    int32_t service;            /* resolved indexes */
    int32_t operation;
    double probability;         /* default 1 */
    uint32_t count;             /* default 1 */
    double timeout;             /* 0 = none */
    uint32_t retries;
    double retry_backoff;
    bool ignore_errors;         /* on_error: ignore */
    sx_pos pos;
} sx_call;

typedef struct sx_operation {
    const char *name;           /* "GET /checkout" or "PlaceOrder" */
    enum sx_protocol protocol;
    const char *http_method;    /* HTTP operations: "GET" */
    const char *http_route;     /* HTTP operations: "/checkout" */
    sx_latency latency;         /* self time */
    double error_ratio;
    int error_status;           /* HTTP status or gRPC code of a failure */
    const char *error_message;  /* default message on failure */
    bool parallel;
    sx_call *calls;
    uint32_t ncalls;
    sx_logs logs;
    sx_pos pos;
} sx_operation;

typedef struct sx_service {
    const char *name;
    enum sx_kind kind;
    const char *system;         /* db.system.name / messaging.system ...; NULL for services */
    enum sx_protocol protocol;  /* default for operations not named "METHOD /route" */
    bool protocol_set;
    uint32_t instances;
    sx_attrs attrs;
    sx_operation *ops;
    uint32_t nops;
    sx_logs logs;
    sx_pos pos;
} sx_service;

/* ---- traffic ---------------------------------------------------------- */

enum sx_pattern { SX_PATTERN_POISSON, SX_PATTERN_CONSTANT, SX_PATTERN_DIURNAL, SX_PATTERN_BURSTY };

typedef struct sx_entrypoint {
    const char *target;
    int32_t service;
    int32_t operation;
    double rate;                /* requests per second */
    sx_pos pos;
} sx_entrypoint;

typedef struct sx_traffic {
    sx_entrypoint *entrypoints;
    uint32_t nentrypoints;
    enum sx_pattern pattern;
    double diurnal_period, diurnal_peak, diurnal_trough;
    double bursty_every, bursty_length, bursty_multiply;
    sx_pos pos;
} sx_traffic;

/* ---- custom metrics --------------------------------------------------- */

enum sx_metric_type { SX_METRIC_GAUGE, SX_METRIC_COUNTER, SX_METRIC_HISTOGRAM };

typedef struct sx_metric {
    const char *name;
    enum sx_metric_type type;
    const char *description;
    const char *unit;
    int32_t service;            /* resource of the series; -1 when unset */
    sx_attrs labels;
    bool per_instance;
    /* gauge: baseline, noise (std dev), walk (mean-reversion time; 0 = white
     * noise), min, max. counter: rate per second (+ noise). histogram:
     * observations at `rate` drawn from `observe`. */
    double baseline, noise, walk, min, max;
    double rate;
    sx_latency observe;
    sx_pos pos;
} sx_metric;

/* ---- incidents -------------------------------------------------------- */

enum sx_op_kind { SX_OP_NONE, SX_OP_SET, SX_OP_ADD, SX_OP_MULTIPLY, SX_OP_RAMP_TO, SX_OP_LEAK };

enum sx_effect_kind { SX_EFFECT_TARGET, SX_EFFECT_METRIC, SX_EFFECT_TRAFFIC };

typedef struct sx_effect {
    enum sx_effect_kind kind;
    /* SX_EFFECT_TARGET: service, operation (-1 = all), instance (-1 = all) */
    const char *target;
    int32_t service, operation, instance;
    enum sx_op_kind latency_op;
    double latency_factor;      /* multiply */
    double latency_add;         /* add, seconds */
    sx_latency latency_set;     /* set */
    enum sx_op_kind errors_op;
    double errors_value;
    const char *error_message;
    sx_logs logs;
    /* SX_EFFECT_METRIC */
    const char *metric;
    int32_t metric_index;
    enum sx_op_kind value_op;
    double value;               /* set/add/multiply/ramp_to operand */
    double leak_rate, leak_limit;  /* per second / absolute */
    bool leak_restart;
    /* SX_EFFECT_TRAFFIC */
    double traffic_factor;
    int32_t traffic_entrypoint; /* -1 = all */
    sx_pos pos;
} sx_effect;

enum sx_phase { SX_PHASE_START, SX_PHASE_FULL, SX_PHASE_RECOVERING, SX_PHASE_END };

typedef struct sx_incident {
    const char *name;
    double start, ramp, duration, recover;  /* offsets and lengths, seconds */
    sx_effect *effects;
    uint32_t neffects;
    sx_pos pos;
} sx_incident;

/* ---- expectations ----------------------------------------------------- */

typedef struct sx_anchor {
    int32_t incident;           /* -1: the timeline itself */
    enum sx_phase phase;        /* for the timeline: START or END */
    const char *text;
    sx_pos pos;
} sx_anchor;

typedef struct sx_window {
    bool present;
    bool never;                 /* fires: never */
    sx_anchor after;
    double within;
    sx_pos pos;
} sx_window;

typedef struct sx_expect_alert {
    const char *alert;
    sx_attrs labels;
    sx_window fires;
    sx_window resolves;
    sx_pos pos;
} sx_expect_alert;

/* ---- scenario --------------------------------------------------------- */

typedef struct sx_scenario {
    sx_arena arena;
    const char *file;
    uint64_t content_hash;      /* of the file's bytes: an edited file gets a new run id */
    int version;
    const char *name;
    const char *description;
    uint64_t seed;
    bool seed_set;
    double duration;
    sx_pos duration_pos;        /* of `duration:`, else of the incident that sets the default */
    sx_attrs resource;
    sx_service *services;
    uint32_t nservices;
    sx_traffic traffic;
    sx_incident *incidents;
    uint32_t nincidents;
    sx_metric *metrics;
    uint32_t nmetrics;
    sx_expect_alert *expects;
    uint32_t nexpects;
} sx_scenario;

/* Limits, enforced by the loader with a clear message. */
#define SX_MAX_SERVICES 64
#define SX_MAX_OPERATIONS 64
#define SX_MAX_CALLS 32
#define SX_MAX_INSTANCES 256
#define SX_MAX_CALL_COUNT 100
#define SX_MAX_INCIDENTS 32         /* active incidents travel as a 32-bit mask */

void sx_scenario_destroy(sx_scenario *s);

/* Lookups used by the loader, explain and the engine. */
int32_t sx_scenario_find_service(const sx_scenario *s, const char *name, size_t len);
int32_t sx_service_find_operation(const sx_service *svc, const char *name);
int32_t sx_scenario_find_metric(const sx_scenario *s, const char *name);
int32_t sx_scenario_find_incident(const sx_scenario *s, const char *name, size_t len);

/* Absolute offset of an incident phase from the timeline start. */
double sx_incident_phase_at(const sx_incident *inc, enum sx_phase phase);
const char *sx_phase_name(enum sx_phase phase);
const char *sx_kind_name(enum sx_kind kind);

#endif
