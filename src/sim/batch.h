/* sigsynth: what the simulation hands to encoders.
 *
 * A batch is a flat, reusable array of span and log records. Records hold
 * indexes into the model instead of strings, so producing a span formats
 * nothing: encoders turn (service, operation, kind, code) into attributes
 * straight from the model's strings when they write the wire bytes. */
#ifndef SX_BATCH_H
#define SX_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario/model.h"
#include "util/strbuf.h"

/* OTLP SpanKind values. */
enum sx_span_kind { SX_SPAN_INTERNAL = 1, SX_SPAN_SERVER = 2, SX_SPAN_CLIENT = 3 };
/* OTLP Status.code values. */
enum sx_status { SX_STATUS_UNSET = 0, SX_STATUS_OK = 1, SX_STATUS_ERROR = 2 };

/* Why a span failed; decides error.type and the exception event. */
enum sx_fail {
    SX_FAIL_NONE = 0,
    SX_FAIL_OWN = 1,        /* the operation failed by itself (its error ratio) */
    SX_FAIL_CHILD = 2,      /* a call it made failed and the error propagated */
    SX_FAIL_TIMEOUT = 3,    /* CLIENT span: the caller's timeout fired */
};

#define SX_NO_INDEX 0xFFFFu

typedef struct sx_span {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t parent_span_id[8];  /* all zero for a root span */
    int64_t start_ns;
    int64_t end_ns;
    uint16_t service;           /* the emitting service: the span's resource */
    uint16_t instance;
    uint16_t operation;         /* SERVER: the operation served; CLIENT: the caller's */
    uint16_t peer_service;      /* CLIENT: the callee; SX_NO_INDEX otherwise */
    uint16_t peer_operation;
    uint16_t peer_instance;
    uint8_t kind;               /* enum sx_span_kind */
    uint8_t status;             /* enum sx_status */
    uint8_t fail;               /* enum sx_fail */
    uint8_t attempt;            /* CLIENT: 0 = first try, n = n-th retry */
    int32_t code;               /* HTTP status or gRPC status code; for db: 0 ok */
    uint32_t incidents;         /* bitmask of incidents active at start_ns */
    const char *error_message;  /* model string, NULL when none */
} sx_span;

enum sx_log_origin {
    SX_LOG_FROM_SPEC = 0,       /* a scenario log spec */
    SX_LOG_FROM_OOM = 1,        /* a leak restart: the OOMKilled record */
};

typedef struct sx_logrec {
    int64_t time_ns;
    uint8_t trace_id[16];       /* all zero when not tied to a request */
    uint8_t span_id[8];
    uint16_t service;
    uint16_t instance;
    uint16_t operation;         /* SX_NO_INDEX for service-wide/background logs */
    uint8_t origin;             /* enum sx_log_origin */
    uint8_t has_trace;
    int severity_number;        /* OTLP SeverityNumber */
    const char *severity_text;
    const sx_log_spec *spec;    /* NULL for built-in records */
    uint32_t incidents;         /* bitmask of active incidents */
    uint32_t body_off;          /* rendered body in sx_batch.text */
    uint32_t body_len;
} sx_logrec;

typedef struct sx_batch {
    sx_span *spans;
    uint32_t nspans;
    uint32_t span_cap;          /* slots allocated; the walker never writes past them */
    sx_logrec *logs;
    uint32_t nlogs;
    uint32_t log_cap;
    sx_strbuf text;             /* rendered log bodies */
} sx_batch;

int sx_batch_init(sx_batch *b, uint32_t span_cap, uint32_t log_cap);
void sx_batch_fini(sx_batch *b);
void sx_batch_clear(sx_batch *b);

/* Grows the record arrays to at least `spans` and `logs` slots, doubling
 * (but never past `max_spans`/`max_logs` when those are larger than the
 * request), so that growth is amortised: a run reallocates a few times,
 * not per request. Records keep their indexes; pointers into the arrays
 * do not survive. */
int sx_batch_reserve(sx_batch *b, uint32_t spans, uint32_t logs, uint32_t max_spans,
                     uint32_t max_logs);

/* What the batch holds in memory: its records and their rendered text. */
static inline uint64_t sx_batch_bytes(const sx_batch *b)
{
    return (uint64_t)b->nspans * sizeof(sx_span) + (uint64_t)b->nlogs * sizeof(sx_logrec) +
           b->text.len;
}

#endif
