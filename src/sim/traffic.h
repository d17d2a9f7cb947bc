/* sigsynth: request arrivals per entrypoint.
 *
 * Each entrypoint is its own arrival process with its own random stream, so
 * adding an entrypoint never shifts another's arrivals. Time-varying rates
 * (diurnal, bursty, incident traffic effects) use thinning: candidates come
 * at the highest rate the entrypoint can reach and each is kept with
 * probability rate(t)/max, which gives an exact inhomogeneous Poisson process. */
#ifndef SX_TRAFFIC_H
#define SX_TRAFFIC_H

#include <stdint.h>

#include "scenario/model.h"
#include "stats/rng.h"

typedef struct sx_arrivals {
    double next;                /* seconds from timeline start; INFINITY when done */
    double max_rate;            /* requests/s bound for thinning */
    uint64_t seq;               /* accepted requests so far (the request's index) */
    uint32_t entrypoint;
    sx_rng rng;
} sx_arrivals;

/* Pattern multiplier of the base rate at t (absolute unix seconds for
 * diurnal, so the peak lands at the same time of day in every run). */
double sx_pattern_factor(const sx_traffic *tr, double t, double start_unix);

/* The highest rate entrypoint ep reaches: its base rate times the pattern's
 * and the incidents' largest multipliers (the thinning bound). */
double sx_traffic_peak_rate(const sx_scenario *s, uint32_t entrypoint);

void sx_arrivals_init(sx_arrivals *a, const sx_scenario *s, uint32_t entrypoint, uint64_t seed);
/* Advances a->next to the next accepted arrival after the current one. */
void sx_arrivals_advance(sx_arrivals *a, const sx_scenario *s, double start_unix, double end);

#endif
