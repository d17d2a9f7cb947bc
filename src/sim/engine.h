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
    bool interrupted;
} sx_engine_result;

/* Runs the whole timeline. stop: set by a signal handler to end early (the
 * current state is still collected and flushed). res->counts must be
 * initialised by the caller (sx_counts_init) and finalised after use. */
int sx_engine_run(const sx_run *r, sx_exporter **ex, size_t nex, volatile sig_atomic_t *stop,
                  sx_engine_result *res, char *err, size_t errlen);

#endif
