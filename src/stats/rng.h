/* sigsynth: deterministic, splittable pseudo-random numbers.
 *
 * xoshiro256** seeded through SplitMix64. Every consumer (entrypoint,
 * instance, shard, request) derives its own stream from (seed, stream id), so
 * adding a consumer never shifts the numbers another one sees, and the same
 * inputs give the same numbers on every machine. Never rand(), never time. */
#ifndef SX_RNG_H
#define SX_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct sx_rng {
    uint64_t s[4];
} sx_rng;

/* Advances *state and returns the next SplitMix64 output. */
uint64_t sx_splitmix64(uint64_t *state);

/* Stable 64-bit hash of bytes (same value on every platform and build);
 * used to turn names like "frontend/GET /checkout" into stream ids. */
uint64_t sx_hash64(const void *data, size_t len, uint64_t seed);

/* Mixes two 64-bit values into one (order matters); for stream ids built from
 * several parts, e.g. sx_mix64(entrypoint_id, request_index). */
uint64_t sx_mix64(uint64_t a, uint64_t b);

/* Seeds r with the stream `stream` of the generator family `seed`. */
void sx_rng_seed(sx_rng *r, uint64_t seed, uint64_t stream);

/* Draws from parent to seed an independent child stream. */
void sx_rng_split(sx_rng *parent, sx_rng *child);

static inline uint64_t sx_rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t sx_rng_next(sx_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = sx_rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = sx_rng_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double sx_rng_uniform(sx_rng *r)
{
    return (double)(sx_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform in (0, 1): never 0, safe for log(). */
static inline double sx_rng_uniform_pos(sx_rng *r)
{
    return ((double)(sx_rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

/* Uniform integer in [0, n), unbiased (Lemire's method); n > 0. */
uint64_t sx_rng_below(sx_rng *r, uint64_t n);

/* Exponential variate with the given rate (events per unit); rate > 0. */
double sx_rng_exp(sx_rng *r, double rate);

/* Standard normal variate. */
double sx_rng_normal(sx_rng *r);

/* Poisson-distributed count with mean `mean` >= 0. */
uint64_t sx_rng_poisson(sx_rng *r, double mean);

#endif
