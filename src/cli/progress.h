/* sigsynth: the one-line progress display on stderr for run, check and
 * verify.
 *
 * The engine only updates counters and calls sx_progress_engine_cb() a few
 * times per second (see SX_ENGINE_PROGRESS_NS); formatting happens here,
 * when a line is due. The TTY form redraws in place ("\r" + clear line) at
 * most every 250 ms and clears itself at the end; the plain form prints one
 * line every 10 s, for CI logs. Nothing of it goes to --output or
 * --summary: it is written to stderr only. */
#ifndef SX_PROGRESS_H
#define SX_PROGRESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "exporter.h"
#include "scenario/model.h"
#include "sim/engine.h"

enum sx_progress_mode {
    SX_PROGRESS_AUTO,       /* tty when stderr is a terminal, else off */
    SX_PROGRESS_OFF,
    SX_PROGRESS_TTY,
    SX_PROGRESS_PLAIN,
};

typedef struct sx_progress {
    enum sx_progress_mode mode; /* resolved: OFF, TTY or PLAIN */
    FILE *out;
    const char *what;           /* "run", "check", "verify" */
    const sx_scenario *s;
    double duration;            /* the timeline, seconds */
    bool live;                  /* wall-clock paced: show the incident phase */
    sx_exporter **ex;
    size_t nex;
    int64_t t0_ns;              /* CLOCK_MONOTONIC at the start */
    int64_t last_ns;            /* the last line printed */
    int64_t plain_every_ns;     /* plain: time between lines */
    uint64_t last_items;
    int64_t last_items_ns;
    double rate;                /* items/s, smoothed */
    bool drawn;                 /* tty: a line is on screen */
    /* verify: a thread draws the line while the main thread waits */
    pthread_t thread;
    bool thread_on;
    _Atomic bool thread_stop;
    uint64_t (*count)(void *ctx);   /* verify: polls so far */
    void *count_ctx;
    int64_t start_ns;           /* verify: the timeline's wall-clock start */
    double total;               /* verify: seconds from start to the end of the watch */
    /* run: the engine publishes its position here and a thread draws, so
     * the line goes on (delivered/dropped, ETA) while the engine waits for
     * a slow or dead receiver. */
    bool engine;
    _Atomic int64_t pub_t_us;   /* timeline position, microseconds */
    _Atomic uint64_t pub_items;
    _Atomic bool pub_done;
} sx_progress;

/* run: draw from a thread what sx_progress_engine_cb() publishes. */
int sx_progress_engine_watch(sx_progress *p);

/* "auto", "tty", "plain", "off"; -1 on anything else. */
int sx_progress_parse(const char *v, enum sx_progress_mode *out);

/* what: the command's name. SX_PROGRESS_PLAIN_INTERVAL (seconds, for tests
 * only) overrides the plain form's 10 s. */
void sx_progress_init(sx_progress *p, enum sx_progress_mode mode, const char *what,
                      const sx_scenario *s, double duration, bool live);
void sx_progress_exporters(sx_progress *p, sx_exporter **ex, size_t nex);

/* Engine callback (ctx = sx_progress *). */
void sx_progress_engine_cb(void *ctx, const sx_engine_result *res, bool done);

/* Draws a line for virtual time t (seconds) with `items` produced so far,
 * if one is due (force: now). */
void sx_progress_update(sx_progress *p, double t, uint64_t items, bool force);

/* verify: draws from a thread, t = wall clock - start_ns, until total;
 * count() gives the polls so far. */
int sx_progress_watch(sx_progress *p, int64_t start_ns, double total,
                      uint64_t (*count)(void *ctx), void *ctx);

/* Stops a watch thread and clears the TTY line. Call before printing the
 * report. */
void sx_progress_end(sx_progress *p);
/* Ends the display a running watch draws, if any (before verdicts print). */
void sx_progress_end_active(void);

/* verify's count(): the polls a verifier made so far (ctx: sx_verifier *). */
uint64_t sx_progress_verifier_polls(void *ctx);

#endif
