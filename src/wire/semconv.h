/* sigsynth: which attributes a resource, span or series carries.
 *
 * One place decides the OpenTelemetry semantic-convention attributes, and
 * every encoder (OTLP JSON, OTLP protobuf, remote-write labels) writes the
 * same list, so the signals agree whatever the transport. The lists point at
 * model strings; nothing is allocated or formatted except numbers. */
#ifndef SX_SEMCONV_H
#define SX_SEMCONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/batch.h"
#include "sim/metrics.h"
#include "sim/run.h"

enum sx_kv_type { SX_KV_STRING, SX_KV_INT, SX_KV_DOUBLE, SX_KV_BOOL };

typedef struct sx_kv {
    const char *key;
    enum sx_kv_type type;
    const char *s;
    int64_t i;
    double d;
    bool b;
} sx_kv;

#define SX_MAX_KV 64

/* Scratch for values that must be built (joined incident names). */
typedef struct sx_kv_scratch {
    char text[512];
} sx_kv_scratch;

uint32_t sx_resource_kvs(const sx_run *r, uint32_t resource, sx_kv *out, uint32_t max);
uint32_t sx_span_kvs(const sx_run *r, const sx_span *sp, sx_kv *out, uint32_t max,
                     sx_kv_scratch *scratch);
uint32_t sx_series_kvs(const sx_run *r, const sx_series *se, sx_kv *out, uint32_t max);
uint32_t sx_log_kvs(const sx_run *r, const sx_logrec *l, sx_kv *out, uint32_t max,
                    sx_kv_scratch *scratch);

/* "pool-exhaustion" or "a,b" for a mask of several; NULL for none. */
const char *sx_incident_names(const sx_run *r, uint32_t mask, sx_kv_scratch *scratch);

/* Span name (see sx_run_span_name) for a span record. */
const char *sx_span_name(const sx_run *r, const sx_span *sp);

/* error.type for a failed span: "500", "DEADLINE_EXCEEDED", "timeout". */
const char *sx_error_type(const sx_run *r, const sx_span *sp, sx_kv_scratch *scratch);

#endif
