/* sigsynth: latency distributions.
 *
 * A distribution is compiled once from the scenario (2-6 declared
 * percentiles plus optional min/max, a log-normal, or a constant) into a small
 * flat struct; sampling it is allocation-free and uses one uniform draw per
 * sample so streams stay aligned. Values are in seconds. */
#ifndef SX_DIST_H
#define SX_DIST_H

#include <stddef.h>

#include "stats/rng.h"

#define SX_DIST_MAX_KNOTS 8

enum sx_dist_kind {
    SX_DIST_QUANTILES = 0,
    SX_DIST_LOGNORMAL = 1,
    SX_DIST_CONSTANT = 2,
};

typedef struct sx_dist {
    enum sx_dist_kind kind;
    double min;                       /* hard floor, 0 when not declared */
    double max;                       /* hard cap, INFINITY when not declared */
    /* quantile knots in normal-score space: log(x) is linear in z = Phi^-1(p)
     * between knots, so each segment is an exact log-normal piece. */
    int nknots;
    double z[SX_DIST_MAX_KNOTS];
    double p[SX_DIST_MAX_KNOTS];
    double logx[SX_DIST_MAX_KNOTS];
    double slope[SX_DIST_MAX_KNOTS];  /* d logx / dz from knot i to i+1, precomputed */
    double slope_lo;                  /* d logx / dz below the first knot */
    double tail_inv_alpha;            /* Pareto tail exponent 1/alpha beyond the last knot */
    double tail_log_q;                /* log(1 - p[nknots-1]) */
    /* with min > 0, below the anchor (first knot, or the log-normal's median)
     * x = min + exp(floor_log_gap + floor_slope * (z - floor_z)): approaches
     * min smoothly instead of piling an atom of clamped samples on it. */
    double floor_z;
    double floor_log_gap;             /* log(anchor - min) */
    double floor_slope;
    /* lognormal / constant */
    double mu;
    double sigma;
    double value;
} sx_dist;

/* probs strictly increasing in (0,1); values strictly increasing, > 0.
 * min/max: pass 0 / INFINITY when absent. Returns 0 or SX_EINVAL. */
int sx_dist_init_quantiles(sx_dist *d, const double *probs, const double *values, size_t n,
                           double min, double max);
int sx_dist_init_lognormal(sx_dist *d, double median, double sigma, double min, double max);
int sx_dist_init_constant(sx_dist *d, double value);

/* Exact quantile of the compiled distribution, p in (0,1). */
double sx_dist_quantile(const sx_dist *d, double p);

/* One sample; never below min, never above max. */
double sx_dist_sample(const sx_dist *d, sx_rng *r);

/* Inverse standard normal CDF (Acklam's rational approximation refined to
 * full double precision); exposed for tests and the traffic model. */
double sx_norm_inv(double p);

#endif
