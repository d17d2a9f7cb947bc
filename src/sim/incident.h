/* sigsynth: what the incidents do at a given moment.
 *
 * An incident's intensity s(t) goes 0 -> 1 linearly over its ramp, holds 1,
 * then goes 1 -> 0 over its recovery. Every effect scales with s: a latency
 * multiply k acts as 1 + (k-1)s, an add a as a*s, an error `set` r moves the
 * ratio from its baseline toward r by s, a latency `set` replaces the
 * distribution for a share s of requests. Across incidents multiplies
 * multiply, adds add, and the set of the incident that started later wins. */
#ifndef SX_INCIDENT_H
#define SX_INCIDENT_H

#include <stdint.h>

#include "scenario/model.h"

/* t: seconds from the start of the timeline. */
double sx_incident_intensity(const sx_incident *inc, double t);

/* Bitmask of incidents with start <= t < end. */
uint32_t sx_incidents_active(const sx_scenario *s, double t);

typedef struct sx_op_effects {
    double lat_mult;            /* >= 0; 1 = unchanged */
    double lat_add;             /* seconds */
    const sx_dist *set_dist;    /* replacement distribution, or NULL */
    double set_share;           /* share of requests drawn from set_dist */
    double error_ratio;         /* effective own-failure ratio */
    const char *error_message;  /* from the incident, or NULL */
    uint32_t touching;          /* incidents with an effect on this target */
} sx_op_effects;

/* Effects on (service, operation, instance) at time t, starting from the
 * operation's own error ratio. */
void sx_effects_at(const sx_scenario *s, double t, uint32_t svc, uint32_t op, uint32_t inst,
                   sx_op_effects *out);

/* Latency sample in seconds with the effects applied. */
double sx_effects_sample(const sx_op_effects *fx, const sx_dist *base, sx_rng *r);

/* Traffic multiplier for an entrypoint at time t. */
double sx_traffic_factor(const sx_scenario *s, double t, uint32_t entrypoint);
/* The largest traffic multiplier an entrypoint can see over the timeline. */
double sx_traffic_factor_max(const sx_scenario *s, uint32_t entrypoint);

#endif
