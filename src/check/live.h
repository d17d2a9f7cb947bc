/* sigsynth: watching a live Prometheus and Alertmanager while (and after) a
 * scenario runs, to measure when alerts go pending, fire and resolve. A
 * thread polls both APIs and records what it sees on the scenario's
 * timeline; judging is the same as for `check`. */
#ifndef SX_LIVE_H
#define SX_LIVE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "check/timeline.h"
#include "scenario/model.h"

typedef struct sx_verifier_cfg {
    const char *prometheus;     /* base URL, e.g. http://127.0.0.1:9090 */
    const char *alertmanager;   /* optional */
    double poll;                /* seconds between polls (default 2) */
    int64_t start_ns;           /* the scenario timeline's start (wall clock) */
    double duration;            /* the timeline's length */
    bool synthetic_only;        /* ignore alerts without the synthetic label */
    const char *synthetic_label;
} sx_verifier_cfg;

typedef struct sx_verifier {
    sx_verifier_cfg cfg;
    const sx_scenario *s;
    sx_timeline tl;
    pthread_t thread;
    pthread_mutex_t mu;
    bool started;
    volatile bool stop;
    int64_t until_ns;           /* when the last expectation's window closes */
    uint64_t polls;
    uint64_t poll_errors;
    char last_error[256];
} sx_verifier;

/* Poll steps a verifier keeps at most (memory: a state per step and alert). */
#define SX_VERIFY_MAX_STEPS 4000000u

/* 0, SX_ELIMIT when the watch would take more than SX_VERIFY_MAX_STEPS polls
 * (printed), or another negative code. */
int sx_verifier_start(sx_verifier *v, const sx_scenario *s, const sx_verifier_cfg *cfg);

/* The same bound, checked before anything starts: 0 or SX_ELIMIT (printed). */
int sx_verifier_check(const sx_scenario *s, const sx_verifier_cfg *cfg);
/* Waits for the watch to end (every window closed, or the expectations
 * settled after the timeline), then judges; returns the failures. */
uint32_t sx_verifier_finish(sx_verifier *v, sx_verdict *out, volatile int *interrupt);
void sx_verifier_fini(sx_verifier *v);

/* Per source: when each alert first went pending/firing (for the report). */
void sx_verifier_print_sources(const sx_verifier *v, FILE *f);

#endif
