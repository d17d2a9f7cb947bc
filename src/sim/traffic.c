#include "sim/traffic.h"

#include <math.h>

#include "sim/incident.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

double sx_pattern_factor(const sx_traffic *tr, double t, double start_unix)
{
    switch (tr->pattern) {
    case SX_PATTERN_DIURNAL: {
        /* Trough at midnight UTC (for a 24h period), peak at noon. */
        double phase = fmod(start_unix + t, tr->diurnal_period) / tr->diurnal_period;
        double w = 0.5 - 0.5 * cos(2.0 * M_PI * phase);
        return tr->diurnal_trough + (tr->diurnal_peak - tr->diurnal_trough) * w;
    }
    case SX_PATTERN_BURSTY:
        return fmod(t, tr->bursty_every) < tr->bursty_length ? tr->bursty_multiply : 1.0;
    default:
        return 1.0;
    }
}

static double pattern_max(const sx_traffic *tr)
{
    switch (tr->pattern) {
    case SX_PATTERN_DIURNAL:
        return tr->diurnal_peak;
    case SX_PATTERN_BURSTY:
        return tr->bursty_multiply > 1.0 ? tr->bursty_multiply : 1.0;
    default:
        return 1.0;
    }
}

double sx_traffic_peak_rate(const sx_scenario *s, uint32_t ep)
{
    return s->traffic.entrypoints[ep].rate * pattern_max(&s->traffic) *
           sx_traffic_factor_max(s, ep);
}

void sx_arrivals_init(sx_arrivals *a, const sx_scenario *s, uint32_t ep, uint64_t seed)
{
    a->entrypoint = ep;
    a->seq = 0;
    a->max_rate = sx_traffic_peak_rate(s, ep);
    sx_rng_seed(&a->rng, seed, sx_mix64(0x617272697661ull /* "arriva" */, ep));
    a->next = 0.0;
}

void sx_arrivals_advance(sx_arrivals *a, const sx_scenario *s, double start_unix, double end)
{
    const sx_traffic *tr = &s->traffic;
    const double base = tr->entrypoints[a->entrypoint].rate;
    double t = a->next;

    if (tr->pattern == SX_PATTERN_CONSTANT) {
        /* Evenly spaced at the current rate: no randomness in the gaps. */
        /* A traffic effect can take the rate to zero for a while: look
         * again a second later instead of skipping the rest of the timeline. */
        double rate = base * sx_traffic_factor(s, t, a->entrypoint);
        while (rate <= 0.0 && t < end) {
            t += 1.0;
            rate = base * sx_traffic_factor(s, t, a->entrypoint);
        }
        t += rate > 0.0 ? 1.0 / rate : 0.0;
        a->next = t < end ? t : INFINITY;
        return;
    }
    for (;;) {
        t += sx_rng_exp(&a->rng, a->max_rate);
        if (t >= end) {
            a->next = INFINITY;
            return;
        }
        double rate = base * sx_pattern_factor(tr, t, start_unix) *
                      sx_traffic_factor(s, t, a->entrypoint);
        if (rate >= a->max_rate || sx_rng_uniform(&a->rng) * a->max_rate < rate)
            break;
    }
    a->next = t;
}
