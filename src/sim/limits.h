/* sigsynth: the resource limits a scenario and a run must stay within.
 *
 * A scenario file is small; what it asks for need not be: a log template
 * repeating {trace_id} renders to megabytes per record, 64 x 256 x 64
 * instances and operations become tens of millions of series. Every cost
 * that grows with the input is estimated before anything is allocated, as an
 * upper bound computed by the code that will do the allocating, and
 * compared with a limit here. Each refusal names the limit, the value and the
 * flag that raises it (docs/limits.md). */
#ifndef SX_LIMITS_H
#define SX_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "scenario/model.h"
#include "util/diag.h"

typedef struct sx_limits {
    uint64_t max_log_body;      /* bytes one rendered log body can reach */
    uint64_t max_request_logs;  /* bytes of log text one request can render */
    uint64_t max_series;        /* Prometheus series per collection */
    double max_rate;            /* requests/s entering, at the peak */
    uint64_t max_instances;     /* summed over services */
    double max_duration;        /* seconds of timeline */
    double promtool_timeout;    /* seconds, each promtool run */
    uint64_t max_rules_size;    /* bytes, each rule file given to check */
    uint64_t max_check_samples; /* series x steps that check keeps in memory */
} sx_limits;

/* Defaults a shared machine survives (docs/limits.md says why each). */
#define SX_LIMIT_LOG_BODY (64u * 1024u)
#define SX_LIMIT_REQUEST_LOGS (16u * 1024u * 1024u)
#define SX_LIMIT_SERIES 1000000u
#define SX_LIMIT_RATE 1e6
#define SX_LIMIT_INSTANCES 10000u
#define SX_LIMIT_DURATION (31.0 * 86400.0)
#define SX_LIMIT_PROMTOOL_TIMEOUT 120.0
#define SX_LIMIT_RULES_SIZE (16u * 1024u * 1024u)
#define SX_LIMIT_CHECK_SAMPLES 2000000u

void sx_limits_default(sx_limits *l);

/* What a scenario can cost at most; filled by sx_limits_estimate. */
typedef struct sx_estimate {
    uint64_t series;            /* Prometheus series, target_info included */
    uint64_t series_by_service[SX_MAX_SERVICES];
    uint64_t state_series;      /* sx_series records the metric state allocates */
    uint64_t state_bytes;       /* their memory, buckets and exemplars included */
    double peak_rate;           /* requests/s, patterns and incidents at their peak */
    double peak_observations;   /* custom histograms' observations/s, likewise */
    int32_t top_metric;         /* the metric with most of them, -1 = none */
    uint64_t instances;
} sx_estimate;

void sx_limits_estimate(const sx_scenario *s, sx_estimate *e);

/* Checks the scenario against l, reporting each excess as a positioned
 * error in d. Returns 0 or SX_ELIMIT. */
int sx_limits_check_scenario(const sx_scenario *s, const sx_limits *l, sx_diag *d);

/* The timeline a run will use: duration against the limit (the scenario's
 * duration is checked with its position by sx_limits_check_scenario; this
 * is for --duration). Returns 0 or SX_ELIMIT with a message in err. */
int sx_limits_check_duration(const sx_limits *l, double duration, const char *flag, char *err,
                             size_t errlen);

/* check: series x steps + evaluation steps against max_check_samples. */
int sx_limits_check_samples(const sx_limits *l, uint64_t series, double steps, double evals,
                            char *err, size_t errlen);

/* "64 KiB", "1.5 MiB": sizes in refusals. */
void sx_limits_format_size(uint64_t bytes, char *buf, size_t size);

#endif
