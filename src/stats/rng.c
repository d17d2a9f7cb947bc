/* sigsynth: xoshiro256** streams seeded through SplitMix64, plus the few
 * non-uniform variates the simulator needs.
 *
 * Everything here is a pure function of the generator state: no globals, no
 * allocation, no clock. Integer paths give bit-identical results everywhere;
 * the floating-point variates go through libm (log, exp, erfc, sqrt), which
 * the C standard lets differ by an ulp between platforms, so those are only
 * reproducible to within rounding across libms. */
#include "stats/rng.h"

#include <math.h>

#include "stats/dist.h"

#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ULL
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x00000100000001b3ULL

/* SplitMix64's output function (Stafford's "Mix13"): a bijection with full
 * avalanche, so distinct inputs never collide and every input bit reaches
 * every output bit. fmix(0) == 0, which the hash relies on (see below). */
static uint64_t fmix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t sx_splitmix64(uint64_t *state)
{
    *state += GOLDEN_GAMMA;
    return fmix(*state);
}

uint64_t sx_hash64(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *b = data;
    /* Byte at a time on purpose: reading whole words would tie the result to
     * host byte order and alignment. The inputs are short names, so speed
     * does not matter. fmix(0) == 0 keeps seed 0 equal to plain FNV-1a, which
     * makes the known-answer tests checkable against any FNV reference. */
    uint64_t h = FNV_OFFSET ^ fmix(seed);

    for (size_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= FNV_PRIME;
    }
    /* FNV-1a alone diffuses the last bytes poorly into the high bits, and
     * callers use those bits as stream ids; the finaliser fixes that. */
    return fmix(h);
}

uint64_t sx_mix64(uint64_t a, uint64_t b)
{
    /* For a fixed a the map b -> result is a bijection (and vice versa), so
     * two different stream ids under one parent can never collide; the inner
     * fmix makes the order of the arguments matter. */
    return fmix(fmix(a + GOLDEN_GAMMA) ^ b);
}

void sx_rng_seed(sx_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t sm = sx_mix64(seed, stream);

    /* Four consecutive SplitMix64 outputs come from four distinct counter
     * values through a bijection, so at most one of them can be zero: the
     * state is never all-zero, the one state xoshiro cannot leave. */
    for (int i = 0; i < 4; i++)
        r->s[i] = sx_splitmix64(&sm);
}

void sx_rng_split(sx_rng *parent, sx_rng *child)
{
    /* Two draws, sequenced explicitly: argument evaluation order is
     * unspecified in C and would make the child depend on the compiler. */
    uint64_t a = sx_rng_next(parent);
    uint64_t b = sx_rng_next(parent);

    sx_rng_seed(child, a, b);
}

/* 64x64 -> 128-bit product, written out in 32-bit halves so it means the
 * same on every compiler (no __int128 dependency). */
static void mul128(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t a_lo = a & 0xffffffffULL, a_hi = a >> 32;
    uint64_t b_lo = b & 0xffffffffULL, b_hi = b >> 32;
    uint64_t ll = a_lo * b_lo;
    uint64_t lh = a_lo * b_hi;
    uint64_t hl = a_hi * b_lo;
    uint64_t hh = a_hi * b_hi;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffULL) + (hl & 0xffffffffULL);

    *lo = (mid << 32) | (ll & 0xffffffffULL);
    *hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

uint64_t sx_rng_below(sx_rng *r, uint64_t n)
{
    uint64_t hi, lo;

    if (n == 0)
        return 0;
    /* Lemire, "Fast Random Integer Generation in an Interval" (2019): the
     * high word of x*n is in [0, n); rejecting the few low words below
     * 2^64 mod n removes the bias, and the modulo is only paid when a
     * rejection is possible at all. */
    mul128(sx_rng_next(r), n, &hi, &lo);
    if (lo < n) {
        uint64_t threshold = (0 - n) % n;

        while (lo < threshold)
            mul128(sx_rng_next(r), n, &hi, &lo);
    }
    return hi;
}

double sx_rng_exp(sx_rng *r, double rate)
{
    if (!(rate > 0))
        return INFINITY; /* a zero rate means the event never happens */
    /* uniform_pos is never 0, so the log is finite (at most ~37.4). */
    return -log(sx_rng_uniform_pos(r)) / rate;
}

double sx_rng_normal(sx_rng *r)
{
    /* Inversion of a single uniform rather than Box-Muller or the polar
     * method: exactly one draw per variate (streams stay aligned, no cached
     * second value to carry in the state) and monotone in the uniform. */
    return sx_norm_inv(sx_rng_uniform_pos(r));
}

/* log(k!) for the PTRS acceptance test: exact table for small k, Stirling
 * series beyond (error < 1e-15 for k >= 10). Avoids lgamma(), which writes
 * the global signgam and is therefore not thread-safe. */
static double log_factorial(double k)
{
    static const double table[10] = {
        0.0,
        0.0,
        0.69314718055994530942,
        1.79175946922805500081,
        3.17805383034794561964,
        4.78749174278204599425,
        6.57925121201010099506,
        8.52516136106541430017,
        10.60460290274525022842,
        12.80182748008146961121,
    };
    double x, x2;

    if (k < 10)
        return table[(int)k];
    x = k + 1;
    x2 = 1.0 / (x * x);
    return (x - 0.5) * log(x) - x + 0.91893853320467274178 +
           (1.0 / 12 - x2 * (1.0 / 360 - x2 * (1.0 / 1260 - x2 / 1680))) / x;
}

/* Hormann, "The transformed rejection method for generating Poisson random
 * variables" (1993), algorithm PTRS; exact, O(1) expected draws, valid for
 * mean >= 10. Same constants as numpy's random_poisson_ptrs. */
static uint64_t poisson_ptrs(sx_rng *r, double mean)
{
    double slam = sqrt(mean);
    double loglam = log(mean);
    double b = 0.931 + 2.53 * slam;
    double a = -0.059 + 0.02483 * b;
    double log_invalpha = log(1.1239 + 1.1328 / (b - 3.4));
    double vr = 0.9277 - 3.6224 / (b - 2);

    for (;;) {
        /* uniform_pos keeps us > 0 and log(v) finite. */
        double u = sx_rng_uniform_pos(r) - 0.5;
        double v = sx_rng_uniform_pos(r);
        double us = 0.5 - fabs(u);
        double k = floor((2 * a / us + b) * u + mean + 0.43);

        if (us >= 0.07 && v <= vr)
            return (uint64_t)k;
        if (k < 0 || (us < 0.013 && v > us))
            continue;
        if (log(v) + log_invalpha - log(a / (us * us) + b) <=
            -mean + k * loglam - log_factorial(k))
            return (uint64_t)k;
    }
}

uint64_t sx_rng_poisson(sx_rng *r, double mean)
{
    if (!(mean > 0))
        return 0;
    /* Past 2^60 counts stop being meaningful doubles; saturate rather than
     * overflow the integer conversion. */
    if (mean > 0x1p60)
        mean = 0x1p60;
    if (mean < 10) {
        /* Inversion by sequential search: one uniform, mean+1 steps on
         * average, and no rejection loop to make the draw count vary. */
        double u = sx_rng_uniform_pos(r);
        double pk = exp(-mean);
        double cdf = pk;
        uint64_t k = 0;

        /* pk underflows to 0 long before k could overflow; stopping there
         * handles u landing above the rounded CDF's limit. */
        while (u > cdf && pk > 0) {
            k++;
            pk *= mean / (double)k;
            cdf += pk;
        }
        return k;
    }
    return poisson_ptrs(r, mean);
}
