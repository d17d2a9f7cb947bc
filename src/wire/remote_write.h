/* sigsynth: Prometheus remote-write 1.0 encoding with the OpenTelemetry
 * Prometheus-compatibility translation, so the same scenario gives the same
 * series whether it reaches Prometheus by remote-write or through an OTel
 * Collector: dots become underscores, unit suffixes (_seconds,
 * _milliseconds, _bytes), _total on monotonic counters, histograms as
 * _bucket{le}/_sum/_count, job/instance from the resource, target_info for
 * the rest of the resource, and the synthetic label on every series.
 *
 * A WriteRequest is a run of TimeSeries fields (plus metadata), so callers
 * append series to a buffer and cut requests wherever they like. */
#ifndef SX_REMOTE_WRITE_H
#define SX_REMOTE_WRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/metrics.h"
#include "sim/run.h"
#include "util/strbuf.h"

#define SX_RW_STALE_NAN_BITS 0x7ff0000000000002ull

typedef struct sx_rw_options {
    const char *synthetic_label;    /* label name, value "true"; default "synthetic" */
} sx_rw_options;

typedef struct sx_rw_label {
    const char *name;
    const char *value;
} sx_rw_label;

/* One Prometheus sample of a series: sub numbers the samples of a histogram
 * (buckets, then _sum, then _count); ex is the bucket's exemplar or NULL. */
typedef void (*sx_rw_sample_fn)(void *ctx, const char *name, const sx_rw_label *labels,
                                uint32_t n, double value, uint32_t sub, const sx_exemplar *ex);

/* Calls fn for every sample of se, with labels sorted (without __name__). */
void sx_rw_each_sample(const sx_run *r, const sx_series *se, const sx_rw_options *opt,
                       sx_rw_sample_fn fn, void *ctx);

/* Prometheus family name of a metric family: "http_server_request_duration_seconds". */
void sx_rw_family_name(const sx_family *f, char *out, size_t size);

/* Samples sx_rw_put_series() writes for a series (histogram: buckets+2). */
uint32_t sx_rw_series_samples(const sx_series *se);

/* Appends the TimeSeries of one series at t_ms; with stale, every sample is
 * the staleness marker. Returns the number of samples written. */
uint32_t sx_rw_put_series(sx_strbuf *out, const sx_run *r, const sx_series *se, int64_t t_ms,
                          bool stale, const sx_rw_options *opt);

/* target_info{job, instance, other resource attributes} = 1. */
uint32_t sx_rw_put_target_info(sx_strbuf *out, const sx_run *r, uint32_t resource, int64_t t_ms,
                               bool stale, const sx_rw_options *opt);

/* MetricMetadata for a family (field 3 of WriteRequest). */
void sx_rw_put_metadata(sx_strbuf *out, const sx_family *f);
/* Metadata of every family that has series. */
void sx_rw_put_all_metadata(sx_strbuf *out, const sx_metrics *m);

/* Turns an OTel attribute key into a Prometheus label name ("http.route"
 * -> "http_route"); out must hold strlen(key) + 2 bytes. */
void sx_rw_label_name(const char *key, char *out);

#endif
