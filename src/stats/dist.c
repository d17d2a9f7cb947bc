/* sigsynth: latency distributions compiled from declared percentiles.
 *
 * The model, the reasons for it and its measured accuracy are written up in
 * docs/latency-model.md; this file keeps only the comments needed to read
 * the code. In short: log(x) is piecewise linear in the normal score
 * z = Phi^-1(p) between the declared percentiles (log-normal pieces), the
 * first piece extends downwards, a Pareto tail with a C1 join takes over
 * after the last one, min is a smooth floor and max a hard cap. */
#include "stats/dist.h"

#include <math.h>

#include "util/err.h"

#define SQRT_2PI 2.50662827463100050242
#define SQRT1_2 0.70710678118654752440

/* Bounds on the Pareto tail's 1/alpha. Below 0.05 the tail is flatter than
 * any real service (p99.99 within ~12% of p99.9); above 2 one extra "nine"
 * multiplies latency by 100 and the variance is infinite twice over. */
#define TAIL_INV_ALPHA_MIN 0.05
#define TAIL_INV_ALPHA_MAX 2.0

/* Acklam's rational approximation to Phi^-1, relative error < 1.15e-9. */
static const double acklam_a[6] = {
    -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
    1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00,
};
static const double acklam_b[5] = {
    -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
    6.680131188771972e+01,  -1.328068155288572e+01,
};
static const double acklam_c[6] = {
    -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
    -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00,
};
static const double acklam_d[4] = {
    7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
    3.754408661907416e+00,
};
#define ACKLAM_P_LOW 0.02425

/* Central region, q = p - 0.5 with |q| <= 0.5 - ACKLAM_P_LOW: one division,
 * no log/sqrt. This is what ~95% of samples pay. */
static inline double acklam_central(double q)
{
    double r = q * q;
    double num = (((((acklam_a[0] * r + acklam_a[1]) * r + acklam_a[2]) * r + acklam_a[3]) * r +
                   acklam_a[4]) * r + acklam_a[5]) * q;
    double den = ((((acklam_b[0] * r + acklam_b[1]) * r + acklam_b[2]) * r + acklam_b[3]) * r +
                  acklam_b[4]) * r + 1.0;
    return num / den;
}

/* Lower tail, 0 < t < ACKLAM_P_LOW; returns a negative score. The upper tail
 * is -acklam_lower(1 - p), and 1 - p is exact there (Sterbenz). */
static inline double acklam_lower(double t)
{
    double q = sqrt(-2.0 * log(t));
    double num = ((((acklam_c[0] * q + acklam_c[1]) * q + acklam_c[2]) * q + acklam_c[3]) * q +
                  acklam_c[4]) * q + acklam_c[5];
    double den = (((acklam_d[0] * q + acklam_d[1]) * q + acklam_d[2]) * q + acklam_d[3]) * q + 1.0;
    return num / den;
}

/* Unrefined Acklam, for the sampling path. Its ~1e-9 relative error in z
 * moves a sample by |slope * dz|, about 1e-8 relative for the steepest
 * realistic segments: six orders of magnitude below the 2% budget, and the
 * Halley step would cost an erfc and an exp per sample. */
static inline double norm_inv_fast(double p)
{
    double q = p - 0.5;

    if (fabs(q) <= 0.5 - ACKLAM_P_LOW)
        return acklam_central(q);
    if (q < 0)
        return acklam_lower(p);
    return -acklam_lower(1.0 - p);
}

/* One Halley step on f(x) = Phi(x) - target; with Acklam's start it lands at
 * full double precision. `e` is f(x) computed by the caller in a form free
 * of cancellation for its region. */
static double halley(double x, double e)
{
    double u = e * SQRT_2PI * exp(0.5 * x * x);

    /* exp overflows only for p below ~1e-300, where Acklam alone is already
     * as good as the erfc we would refine against. */
    if (!isfinite(u))
        return x;
    return x - u / (1.0 + 0.5 * x * u);
}

double sx_norm_inv(double p)
{
    double q, t, x;

    if (!(p > 0 && p < 1)) {
        if (p <= 0)
            return -INFINITY;
        if (p >= 1)
            return INFINITY;
        return p; /* NaN */
    }
    q = p - 0.5; /* exact for p >= 0.25 */
    if (fabs(q) <= 0.5 - ACKLAM_P_LOW) {
        /* erf(x)/2 - q rather than Phi(x) - p: near the median Phi(x) - p
         * would cancel to nothing and the step would lose the digits of a
         * small x instead of adding them. */
        x = acklam_central(q);
        return halley(x, 0.5 * erf(x * SQRT1_2) - q);
    }
    /* Tails are refined on the lower side, where erfc is relatively exact;
     * the upper tail by symmetry, with t = 1 - p exact for p > 0.5. */
    t = q < 0 ? p : 1.0 - p;
    x = acklam_lower(t);
    x = halley(x, 0.5 * erfc(-x * SQRT1_2) - t);
    return q < 0 ? x : -x;
}

static int is_pos_finite(double v)
{
    return v > 0 && isfinite(v);
}

/* min must be absent (0) or a positive floor below the anchor; max absent
 * (INFINITY) or above the top of the declared body. */
static int check_bounds(double min, double max, double lowest, double highest)
{
    if (!(min >= 0 && min < lowest))
        return 0;
    if (!(max > highest))
        return 0; /* also rejects NaN */
    return 1;
}

static void set_floor(sx_dist *d, double anchor_z, double anchor, double slope)
{
    d->floor_z = anchor_z;
    if (d->min > 0) {
        /* Matching d(log x)/dz at the anchor keeps the density continuous:
         * (anchor - min) * floor_slope == anchor * slope. */
        d->floor_log_gap = log(anchor - d->min);
        d->floor_slope = slope * anchor / (anchor - d->min);
    } else {
        d->floor_log_gap = 0;
        d->floor_slope = 0;
    }
}

int sx_dist_init_quantiles(sx_dist *d, const double *probs, const double *values, size_t n,
                           double min, double max)
{
    /* Built in a local so a rejected spec leaves *d untouched. */
    sx_dist t = {0};
    double b, phi, inv_alpha;
    int last;

    if (!d || !probs || !values || n < 2 || n > SX_DIST_MAX_KNOTS)
        return SX_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (!(probs[i] > 0 && probs[i] < 1) || !is_pos_finite(values[i]))
            return SX_EINVAL;
        if (i > 0 && !(probs[i] > probs[i - 1] && values[i] > values[i - 1]))
            return SX_EINVAL;
    }
    if (!check_bounds(min, max, values[0], values[n - 1]))
        return SX_EINVAL;

    t.kind = SX_DIST_QUANTILES;
    t.min = min;
    t.max = max;
    t.nknots = (int)n;
    last = t.nknots - 1;
    for (int i = 0; i <= last; i++) {
        t.p[i] = probs[i];
        t.z[i] = sx_norm_inv(probs[i]);
        t.logx[i] = log(values[i]);
    }
    for (int i = 0; i < last; i++) {
        /* Two distinct doubles in (0,1) can still map to the same z when
         * they are within an ulp of each other far in a tail; reject rather
         * than divide by zero. */
        if (!(t.z[i + 1] > t.z[i]))
            return SX_EINVAL;
        t.slope[i] = (t.logx[i + 1] - t.logx[i]) / (t.z[i + 1] - t.z[i]);
    }
    /* Below the first knot, the first piece continues: same slope, so the
     * sampler can treat "below p[0]" as segment 0. */
    t.slope[last] = t.slope[last - 1];
    t.slope_lo = t.slope[0];

    /* Pareto tail Q(p) = x_n ((1 - p_n) / (1 - p))^(1/alpha). In t = -log(1-p)
     * its log-slope is 1/alpha; the last log-normal piece's is
     * b (1 - p_n) / phi(z_n). Equating them makes log Q C1 at the join. */
    b = t.slope[last];
    phi = exp(-0.5 * t.z[last] * t.z[last]) / SQRT_2PI;
    inv_alpha = b * (1.0 - t.p[last]) / phi;
    if (!(inv_alpha >= TAIL_INV_ALPHA_MIN))
        inv_alpha = TAIL_INV_ALPHA_MIN;
    if (inv_alpha > TAIL_INV_ALPHA_MAX)
        inv_alpha = TAIL_INV_ALPHA_MAX;
    t.tail_inv_alpha = inv_alpha;
    t.tail_log_q = log1p(-t.p[last]);

    set_floor(&t, t.z[0], values[0], t.slope_lo);
    *d = t;
    return SX_OK;
}

int sx_dist_init_lognormal(sx_dist *d, double median, double sigma, double min, double max)
{
    if (!d || !is_pos_finite(median) || !is_pos_finite(sigma))
        return SX_EINVAL;
    if (!check_bounds(min, max, median, median))
        return SX_EINVAL;
    *d = (sx_dist){0};
    d->kind = SX_DIST_LOGNORMAL;
    d->min = min;
    d->max = max;
    d->mu = log(median);
    d->sigma = sigma;
    set_floor(d, 0.0, median, sigma);
    return SX_OK;
}

int sx_dist_init_constant(sx_dist *d, double value)
{
    if (!d || !(value >= 0 && isfinite(value)))
        return SX_EINVAL;
    *d = (sx_dist){0};
    d->kind = SX_DIST_CONSTANT;
    d->value = value;
    d->min = value;
    d->max = value;
    return SX_OK;
}

/* Below the anchor when min > 0 (without a floor the anchor's own
 * log-normal line simply continues downwards). */
static inline double floor_region(const sx_dist *d, double z)
{
    return d->min + exp(d->floor_log_gap + d->floor_slope * (z - d->floor_z));
}

/* Beyond the last knot; log_q = log(1 - p). Exponent form of
 * x_n * ((1 - p_n) / (1 - p))^(1/alpha). */
static inline double pareto_tail(const sx_dist *d, double log_q)
{
    int last = d->nknots - 1;

    return exp(d->logx[last] + d->tail_inv_alpha * (d->tail_log_q - log_q));
}

/* Segment i such that p[i] <= p <= p[i+1], for p[0] <= p <= p[last], and
 * segment 0 below p[0] (its line extended is the lower tail when there is
 * no floor). Counted without branches: which segment a uniform lands in is
 * unpredictable, and a mispredicted compare per knot cost more than the
 * whole rational approximation. */
static inline int segment(const sx_dist *d, double p)
{
    int i = 0;

    for (int k = 1; k < d->nknots - 1; k++)
        i += p > d->p[k];
    return i;
}

static inline double cap(const sx_dist *d, double x)
{
    return x > d->max ? d->max : x;
}

double sx_dist_quantile(const sx_dist *d, double p)
{
    double z;
    int i;

    if (isnan(p))
        return p;
    if (d->kind == SX_DIST_CONSTANT)
        return d->value;
    if (p <= 0)
        return d->min;
    if (p >= 1)
        return d->max;
    if (d->kind == SX_DIST_QUANTILES && p > d->p[d->nknots - 1])
        return cap(d, pareto_tail(d, log1p(-p)));
    z = sx_norm_inv(p);
    if (d->kind == SX_DIST_LOGNORMAL) {
        if (d->min > 0 && z < 0)
            return cap(d, floor_region(d, z));
        return cap(d, exp(d->mu + d->sigma * z));
    }
    if (d->min > 0 && p < d->p[0])
        return cap(d, floor_region(d, z));
    i = segment(d, p);
    return cap(d, exp(d->logx[i] + d->slope[i] * (z - d->z[i])));
}

double sx_dist_sample(const sx_dist *d, sx_rng *r)
{
    /* Exactly one draw per sample for every kind, constants included, so a
     * distribution change never shifts the rest of a stream. */
    double u = sx_rng_uniform_pos(r);
    double z;
    int i;

    if (d->kind == SX_DIST_QUANTILES) {
        if (u > d->p[d->nknots - 1])
            return cap(d, pareto_tail(d, log1p(-u)));
        z = norm_inv_fast(u);
        if (d->min > 0 && u < d->p[0])
            return cap(d, floor_region(d, z));
        i = segment(d, u);
        return cap(d, exp(d->logx[i] + d->slope[i] * (z - d->z[i])));
    }
    if (d->kind == SX_DIST_LOGNORMAL) {
        z = norm_inv_fast(u);
        if (d->min > 0 && z < 0)
            return cap(d, floor_region(d, z));
        return cap(d, exp(d->mu + d->sigma * z));
    }
    return d->value;
}
