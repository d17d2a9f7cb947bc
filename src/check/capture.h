/* sigsynth: the metric series of a run, kept in memory for offline alert
 * evaluation: exactly the samples remote-write would send (same names,
 * labels and values, one per collection). */
#ifndef SX_CAPTURE_H
#define SX_CAPTURE_H

#include <stdint.h>

#include "exporter.h"

typedef struct sx_cap_series {
    char *name;                 /* "http_server_request_duration_seconds_bucket" */
    char *selector;             /* name{label="value",...} in PromQL syntax */
    char **label_names;         /* sorted, without __name__ */
    char **label_values;
    uint32_t nlabels;
    bool counter;               /* cumulative: missing steps are 0 */
    double *values;             /* [nsteps]; NAN = no sample */
} sx_cap_series;

typedef struct sx_capture {
    sx_exporter base;
    double interval;            /* seconds between steps */
    uint32_t nsteps;            /* step 0 = the start of the timeline */
    sx_cap_series *series;
    uint32_t nseries, cap;
    uint32_t *base_of;          /* per sx_series index: first capture index, or UINT32_MAX */
    uint32_t nbase;
    uint32_t step;              /* steps filled so far */
    int failed;
} sx_capture;

/* Steps: one per interval over duration, plus step 0. */
int sx_capture_init(sx_capture *c, double duration, double interval);
void sx_capture_fini(sx_capture *c);

#endif
