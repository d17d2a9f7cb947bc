/* sigsynth: the simulation loop.
 *
 * Walks the timeline in virtual time: request arrivals from every
 * entrypoint, background logs, and metric collections, always the earliest
 * event first. Backfill runs as fast as the exporters accept; live mode
 * sleeps until the wall clock reaches each event, so it only changes *when*
 * things are emitted, never *what*. */
#ifndef SX_ENGINE_H
#define SX_ENGINE_H

#include <signal.h>
#include <stddef.h>

#include "exporter.h"
#include "sim/walk.h"

typedef struct sx_engine_result {
    sx_counts counts;
    uint64_t series;            /* metric series at the end */
    uint64_t collections;
    int64_t last_time_ns;       /* the latest timestamp written */
    int64_t last_collect_ns;    /* the latest metric collection's timestamp, 0 = none */
    double reached;             /* virtual seconds simulated so far (progress) */
    bool interrupted;
    int signal;                 /* the signal that interrupted the run (set by the caller) */
} sx_engine_result;

/* Called on the engine's thread at most every SX_ENGINE_PROGRESS_NS of wall
 * time, before each batch goes to the exporters (which may block), and once
 * at the end with done = true, so the hot path only counts
 * events and reads the clock every few thousand of them: formatting and
 * printing happen in the callback, never per event. */
#define SX_ENGINE_PROGRESS_NS 250000000LL
typedef void (*sx_engine_progress_fn)(void *ctx, const sx_engine_result *res, bool done);

typedef struct sx_engine_hooks {
    volatile sig_atomic_t *stop;        /* set by a signal handler to end early */
    sx_engine_progress_fn progress;     /* optional */
    void *progress_ctx;
} sx_engine_hooks;

/* Runs the whole timeline. stop: set by a signal handler to end early (what
 * was simulated is still flushed, and collected once more only if it is
 * strictly after the last collection). res->counts must be initialised by
 * the caller (sx_counts_init) and finalised after use. */
int sx_engine_run(const sx_run *r, sx_exporter **ex, size_t nex, volatile sig_atomic_t *stop,
                  sx_engine_result *res, char *err, size_t errlen);
int sx_engine_run_hooks(const sx_run *r, sx_exporter **ex, size_t nex, const sx_engine_hooks *h,
                        sx_engine_result *res, char *err, size_t errlen);

#endif
