/* sigsynth: what alerting did over a run, and the verdict on each of the
 * scenario's expectations. `check` fills the timeline from promtool,
 * `verify` from a live Prometheus/Alertmanager; both judge it the same way. */
#ifndef SX_TIMELINE_H
#define SX_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario/model.h"

enum sx_alert_state { SX_ALERT_NONE = 0, SX_ALERT_PENDING = 1, SX_ALERT_FIRING = 2 };

typedef struct sx_alert_inst {
    char *alertname;
    char *key;                  /* "k=v,k=v": sorted labels without alertname/alertstate */
    char **names, **values;
    uint32_t nlabels;
    uint8_t *state;             /* per step */
    char source[16];            /* "promtool", "prometheus", "alertmanager" */
} sx_alert_inst;

typedef struct sx_timeline {
    double step;                /* seconds between observations */
    uint32_t nsteps;
    double duration;            /* the scenario's timeline */
    sx_alert_inst *v;
    uint32_t n;
} sx_timeline;

int sx_timeline_init(sx_timeline *t, double step, uint32_t nsteps, double duration);
void sx_timeline_fini(sx_timeline *t);
/* Records the state of an alert (labels as parallel name/value arrays,
 * alertname and alertstate excluded) at step i. */
int sx_timeline_set(sx_timeline *t, const char *source, const char *alertname,
                    const char *const *names, const char *const *values, uint32_t n, uint32_t i,
                    enum sx_alert_state st);

typedef struct sx_verdict {
    const sx_expect_alert *e;
    bool pass;
    double fire_anchor, fired_at;           /* seconds from the start; NAN when none */
    double resolve_anchor, resolved_at;
    char note[256];
} sx_verdict;

/* Judges every expectation; returns the number that failed. */
uint32_t sx_judge(const sx_scenario *s, const sx_timeline *t, sx_verdict *out);

/* The verdict table, as `check` and `verify` print it. */
void sx_verdicts_print(FILE *f, const sx_scenario *s, const sx_verdict *v, uint32_t n);

/* report.md, report.json and timeline.svg in dir. series_svg is extra SVG
 * (the key series) drawn under the alert bars, may be NULL. */
int sx_report_write(const char *dir, const char *command, const sx_scenario *s,
                    const sx_timeline *t, const sx_verdict *v, uint32_t n, int64_t start_ns,
                    const char *series_svg, char *err, size_t errlen);

#endif
