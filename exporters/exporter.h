/* sigsynth: the one small interface every transport implements.
 *
 * The engine hands each exporter finished batches (spans and logs) and
 * metric collections; an exporter encodes and delivers them, and accounts
 * for every item: at the end, generated = delivered + dropped, per signal.
 * submit_* must not keep pointers into the batch or metrics after returning
 * (they are reused): take a copy or encode immediately. */
#ifndef SX_EXPORTER_H
#define SX_EXPORTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/batch.h"
#include "sim/metrics.h"
#include "sim/run.h"

enum sx_sigidx { SX_IDX_SPANS = 0, SX_IDX_LOGS = 1, SX_IDX_POINTS = 2, SX_NSIG = 3 };

#define SX_MAX_ERROR_KINDS 8

typedef struct sx_export_stats {
    uint64_t generated[SX_NSIG];    /* handed to this exporter (remote-write: samples) */
    uint64_t delivered[SX_NSIG];
    uint64_t dropped[SX_NSIG];
    uint64_t requests;
    uint64_t retries;
    uint64_t bytes;
    struct {
        char what[48];          /* "HTTP 503", "UNAVAILABLE", "write: No space left" */
        uint64_t count;
    } errors[SX_MAX_ERROR_KINDS];
    uint32_t nerrors;
} sx_export_stats;

typedef struct sx_exporter sx_exporter;

struct sx_exporter_ops {
    const char *name;   /* "file", "otlp-grpc", "otlp-http", "remote-write" */
    int (*submit_batch)(sx_exporter *e, const sx_run *r, const sx_batch *b);
    int (*submit_metrics)(sx_exporter *e, const sx_run *r, const sx_metrics *m, int64_t time_ns,
                          uint64_t points);
    int (*flush)(sx_exporter *e, int64_t deadline_ns);
    void (*stats)(const sx_exporter *e, sx_export_stats *out);
    void (*destroy)(sx_exporter *e);
    /* Optional: the run is over (metrics still valid) - e.g. stale markers. */
    int (*finish)(sx_exporter *e, const sx_run *r, const sx_metrics *m);
};

struct sx_exporter {
    const struct sx_exporter_ops *ops;
    unsigned signals;   /* enum sx_signal: what this exporter carries */
    /* NULL: never down. Else true once the endpoint was declared down:
     * everything handed over from then on is dropped. Cheap (per event). */
    bool (*is_down)(const sx_exporter *e);
};

/* True when there is at least one exporter and every one is down: the
 * engine stops simulating, since nothing more could be delivered. */
bool sx_exporters_all_down(sx_exporter *const *ex, size_t n);

/* Records an error kind in stats (first SX_MAX_ERROR_KINDS distinct kinds). */
void sx_export_stats_error(sx_export_stats *st, const char *what);

/* file: traces.jsonl, metrics.jsonl, logs.jsonl (OTLP JSON) under dir; every
 * line reaches the kernel in one write, so live mode needs no flushing. */
int sx_file_exporter_create(const char *dir, unsigned signals, sx_exporter **out, char *err,
                            size_t errlen);

#endif
