/* sigsynth: OTLP JSON encoding (the OpenTelemetry file exporter's format).
 *
 * One Export*ServiceRequest per call, appended to out as a single line:
 * lowerCamelCase keys, hex ids, 64-bit integers as strings, enums as
 * integers. Items are grouped by resource (one per service instance). */
#ifndef SX_OTLP_JSON_H
#define SX_OTLP_JSON_H

#include "sim/batch.h"
#include "sim/metrics.h"
#include "sim/run.h"
#include "wire/group.h"
#include "util/strbuf.h"

/* Each returns 0 or SX_ENOMEM; writes nothing when there is nothing to send
 * (OTLP says not to send empty envelopes). *items gets the count written. */
int sx_otlp_json_traces(sx_group *enc, const sx_run *r, const sx_batch *b, sx_strbuf *out,
                        uint64_t *items);
int sx_otlp_json_logs(sx_group *enc, const sx_run *r, const sx_batch *b, sx_strbuf *out,
                      uint64_t *items);
int sx_otlp_json_metrics(const sx_run *r, const sx_metrics *m, int64_t time_ns, sx_strbuf *out,
                         uint64_t *items);

#endif
