/* sigsynth: OTLP protobuf encoding (Export*ServiceRequest messages), for
 * OTLP/gRPC and OTLP/HTTP. The same attributes as the JSON encoder, from the
 * same semconv lists. Each call replaces the contents of out. */
#ifndef SX_OTLP_PB_H
#define SX_OTLP_PB_H

#include "sim/batch.h"
#include "sim/metrics.h"
#include "sim/run.h"
#include "util/strbuf.h"
#include "wire/group.h"

/* Spans [from, to) of the batch (to split a batch into several requests). */
int sx_otlp_pb_traces(sx_group *g, const sx_run *r, const sx_batch *b, uint32_t from,
                      uint32_t to, sx_strbuf *out);
int sx_otlp_pb_logs(sx_group *g, const sx_run *r, const sx_batch *b, uint32_t from, uint32_t to,
                    sx_strbuf *out);
/* All series of one collection; *points gets the data points written. */
int sx_otlp_pb_metrics(const sx_run *r, const sx_metrics *m, int64_t time_ns, sx_strbuf *out,
                       uint64_t *points);

/* OTLP trace flags for a span record: sampled, and whether its parent is remote. */
uint32_t sx_span_flags(const sx_span *sp);

#endif
