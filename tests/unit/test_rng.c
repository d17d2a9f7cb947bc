/* Unit tests for src/stats/rng.c.
 *
 * Statistical checks use fixed seeds, so they are deterministic; their bounds
 * are still set at 5-6 standard errors so a correct generator passes for any
 * seed and a wrong one (bias, wrong variance, wrong shape) fails. The known
 * answers were computed once with an independent Python implementation of
 * FNV-1a, SplitMix64 and xoshiro256** and pinned here. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "stats/rng.h"

#define N_DRAWS 1000000

static void test_same_seed_same_sequence(void **state)
{
    sx_rng a, b;

    sx_rng_seed(&a, 12345, 678);
    sx_rng_seed(&b, 12345, 678);
    for (int i = 0; i < 10000; i++)
        assert_true(sx_rng_next(&a) == sx_rng_next(&b));
}

static void test_streams_differ(void **state)
{
    sx_rng a, b, c;
    int same_ab = 0, same_ac = 0;

    sx_rng_seed(&a, 12345, 0);
    sx_rng_seed(&b, 12345, 1);
    sx_rng_seed(&c, 12346, 0);
    for (int i = 0; i < 10000; i++) {
        uint64_t x = sx_rng_next(&a);

        same_ab += x == sx_rng_next(&b);
        same_ac += x == sx_rng_next(&c);
    }
    /* Independent 64-bit streams essentially never agree in a position. */
    assert_int_equal(same_ab, 0);
    assert_int_equal(same_ac, 0);
}

static void test_adjacent_streams_uncorrelated(void **state)
{
    /* Streams k and k+1 of one seed are what the simulator uses side by
     * side; their uniforms must not be correlated. */
    sx_rng a, b;
    double sab = 0, sa = 0, sb = 0, saa = 0, sbb = 0, corr;
    const int n = 200000;

    sx_rng_seed(&a, 7, 41);
    sx_rng_seed(&b, 7, 42);
    for (int i = 0; i < n; i++) {
        double x = sx_rng_uniform(&a), y = sx_rng_uniform(&b);

        sa += x;
        sb += y;
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    corr = (sab / n - (sa / n) * (sb / n)) /
           sqrt((saa / n - (sa / n) * (sa / n)) * (sbb / n - (sb / n) * (sb / n)));
    print_message("correlation of adjacent streams: %.5f\n", corr);
    /* standard error 1/sqrt(n) = 0.0022 */
    assert_true(fabs(corr) < 0.012);
}

static void test_state_never_zero(void **state)
{
    sx_rng r;

    for (uint64_t s = 0; s < 2000; s++) {
        sx_rng_seed(&r, s, s * 3);
        assert_false(r.s[0] == 0 && r.s[1] == 0 && r.s[2] == 0 && r.s[3] == 0);
    }
}

static void test_known_answer_seed(void **state)
{
    static const uint64_t want[4] = {
        0xa42f370f4f3e6190ULL,
        0x45e571af977ba0f4ULL,
        0x9377f4cd1e203441ULL,
        0x2e1831a86ab524c8ULL,
    };
    sx_rng r;

    assert_true(sx_mix64(1, 0) == 0xdce423fc82c0d5b8ULL);
    sx_rng_seed(&r, 1, 0);
    for (int i = 0; i < 4; i++)
        assert_true(sx_rng_next(&r) == want[i]);
    sx_rng_seed(&r, 1, 1);
    assert_true(sx_rng_next(&r) == 0xc67f6a872f64b6d4ULL);
    assert_true(sx_rng_next(&r) == 0x974e9949429ab070ULL);
}

static void test_splitmix_known_answer(void **state)
{
    /* Reference outputs of SplitMix64 seeded with 0 (Vigna's splitmix64.c). */
    uint64_t s = 0;

    assert_true(sx_splitmix64(&s) == 0xe220a8397b1dcdafULL);
    assert_true(sx_splitmix64(&s) == 0x6e789e6aa1b965f4ULL);
    assert_true(sx_splitmix64(&s) == 0x06c45d188009454fULL);
}

static void test_hash64_known_answer(void **state)
{
    const char *name = "frontend/GET /checkout";

    assert_true(sx_hash64("", 0, 0) == 0xf52a15e9a9b5e89bULL);
    assert_true(sx_hash64("a", 1, 0) == 0x02c0bdbf481420f8ULL);
    assert_true(sx_hash64(name, strlen(name), 0) == 0x0b4474f6041daa65ULL);
    assert_true(sx_hash64(name, strlen(name), 42) == 0x76b9c4990a9bb985ULL);
}

static void test_hash64_alignment_independent(void **state)
{
    /* The same bytes at every offset of a buffer hash the same: the
     * implementation must not depend on alignment or word reads. */
    char buf[64];
    const char *name = "orders-db.query";
    size_t len = strlen(name);
    uint64_t want = sx_hash64(name, len, 9);

    for (size_t off = 0; off < 8; off++) {
        memset(buf, 'x', sizeof buf);
        memcpy(buf + off, name, len);
        assert_true(sx_hash64(buf + off, len, 9) == want);
    }
    /* length and seed both matter */
    assert_true(sx_hash64(name, len - 1, 9) != want);
    assert_true(sx_hash64(name, len, 10) != want);
}

static void test_mix64_order_matters(void **state)
{
    assert_true(sx_mix64(1, 2) != sx_mix64(2, 1));
    assert_true(sx_mix64(0, 0) != sx_mix64(0, 1));
    assert_true(sx_mix64(5, 7) == sx_mix64(5, 7));
}

static void test_split(void **state)
{
    sx_rng p1, p2, c1, c2;
    int same = 0;

    sx_rng_seed(&p1, 99, 3);
    sx_rng_seed(&p2, 99, 3);
    sx_rng_split(&p1, &c1);
    sx_rng_split(&p2, &c2);
    for (int i = 0; i < 1000; i++) {
        uint64_t x = sx_rng_next(&c1);

        assert_true(x == sx_rng_next(&c2));
        same += x == sx_rng_next(&p1);
        (void)sx_rng_next(&p2);
    }
    assert_int_equal(same, 0);
}

static void test_uniform_moments(void **state)
{
    sx_rng r;
    double sum = 0, sum2 = 0, mean, var;

    sx_rng_seed(&r, 2024, 1);
    for (int i = 0; i < N_DRAWS; i++) {
        double u = sx_rng_uniform(&r);
        double v = sx_rng_uniform_pos(&r);

        assert_true(u >= 0 && u < 1);
        assert_true(v > 0 && v < 1);
        sum += u;
        sum2 += u * u;
    }
    mean = sum / N_DRAWS;
    var = sum2 / N_DRAWS - mean * mean;
    print_message("uniform: mean %.6f (0.5) var %.6f (%.6f)\n", mean, var, 1.0 / 12);
    /* se(mean) = 2.9e-4, se(var) = 7.5e-5 */
    assert_true(fabs(mean - 0.5) < 0.0015);
    assert_true(fabs(var - 1.0 / 12) < 0.0004);
}

static void test_below_range_and_uniformity(void **state)
{
    static const uint64_t ns[] = {1, 2, 3, 7, 1000000007ULL, (1ULL << 63) + 12345,
                                  UINT64_MAX};
    uint64_t counts[10] = {0};
    double chi2 = 0;
    sx_rng r;

    sx_rng_seed(&r, 5, 5);
    for (size_t j = 0; j < sizeof ns / sizeof ns[0]; j++)
        for (int i = 0; i < 10000; i++)
            assert_true(sx_rng_below(&r, ns[j]) < ns[j]);
    assert_true(sx_rng_below(&r, 0) == 0);

    for (int i = 0; i < N_DRAWS; i++)
        counts[sx_rng_below(&r, 10)]++;
    for (int k = 0; k < 10; k++) {
        double e = N_DRAWS / 10.0;

        chi2 += (counts[k] - e) * (counts[k] - e) / e;
    }
    print_message("below(10): chi-square %.2f (9 dof)\n", chi2);
    /* P(chi2_9 > 40) ~ 7e-6 */
    assert_true(chi2 < 40);
}

static void test_below_large_n_balanced(void **state)
{
    /* n = 3 * 2^62: a modulo reduction of a 64-bit word would put half the
     * mass below 2^63 instead of two thirds. */
    uint64_t n = 3ULL << 62;
    long below_half = 0;
    double frac;
    sx_rng r;

    sx_rng_seed(&r, 11, 0);
    for (int i = 0; i < N_DRAWS; i++)
        below_half += sx_rng_below(&r, n) < (1ULL << 63);
    frac = (double)below_half / N_DRAWS;
    print_message("below(3*2^62): fraction under 2^63 %.5f (0.66667)\n", frac);
    assert_true(fabs(frac - 2.0 / 3) < 0.003);
}

#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 u128; /* quiet under -Wpedantic */

static void test_below_matches_wide_multiply(void **state)
{
    /* Without a rejection, Lemire's result is the high word of x * n; check
     * the portable 64x64 multiply against the compiler's 128-bit one. */
    sx_rng r, shadow;

    sx_rng_seed(&r, 77, 1);
    for (int i = 0; i < 100000; i++) {
        uint64_t n = sx_rng_next(&r) >> (i % 64);
        u128 m;

        if (n == 0)
            continue;
        shadow = r;
        m = (u128)sx_rng_next(&shadow) * n;
        if ((uint64_t)m < n)
            continue; /* a rejection may happen; not this check's business */
        assert_true(sx_rng_below(&r, n) == (uint64_t)(m >> 64));
    }
}
#endif

static void check_poisson(double mean, uint64_t seed)
{
    sx_rng r;
    double sum = 0, sum2 = 0, m, v, se_mean, se_var;

    sx_rng_seed(&r, seed, 0);
    for (int i = 0; i < N_DRAWS; i++) {
        double k = (double)sx_rng_poisson(&r, mean);

        sum += k;
        sum2 += k * k;
    }
    m = sum / N_DRAWS;
    v = sum2 / N_DRAWS - m * m;
    se_mean = sqrt(mean / N_DRAWS);
    se_var = sqrt((mean + 2 * mean * mean) / N_DRAWS);
    print_message("poisson(%g): mean %.4f var %.4f (%.2f / %.2f se)\n", mean, m, v,
                  (m - mean) / se_mean, (v - mean) / se_var);
    assert_true(fabs(m - mean) < 6 * se_mean);
    assert_true(fabs(v - mean) < 6 * se_var);
}

static void test_poisson_moments(void **state)
{
    check_poisson(0.5, 1);
    check_poisson(7, 2);
    check_poisson(10, 3); /* first mean on the PTRS side */
    check_poisson(300, 4);
    check_poisson(1e6, 5);
}

/* Chi-square of the whole pmf, bins [lo, hi] with both tails folded into the
 * end bins; catches shape errors that leave mean and variance intact. */
static void check_poisson_shape(double mean, int lo, int hi, uint64_t seed)
{
    long counts[512] = {0};
    int nb = hi - lo + 1, dof;
    double chi2 = 0, cdf_lo = 0;
    sx_rng r;

    assert_true(nb <= 512);
    sx_rng_seed(&r, seed, 9);
    for (int i = 0; i < N_DRAWS; i++) {
        long k = (long)sx_rng_poisson(&r, mean);

        k = k < lo ? lo : k > hi ? hi : k;
        counts[k - lo]++;
    }
    for (int k = 0; k < lo; k++)
        cdf_lo += exp(-mean + k * log(mean) - lgamma(k + 1.0));
    for (int k = lo, used = 0; k <= hi; k++, used++) {
        double pk = exp(-mean + k * log(mean) - lgamma(k + 1.0));
        double e;

        if (k == lo)
            pk += cdf_lo;
        if (k == hi) {
            double below = 0;

            for (int j = 0; j < hi; j++)
                below += exp(-mean + j * log(mean) - lgamma(j + 1.0));
            pk = 1 - below;
        }
        e = pk * N_DRAWS;
        chi2 += (counts[used] - e) * (counts[used] - e) / e;
    }
    dof = nb - 1;
    print_message("poisson(%g) shape: chi-square %.1f (%d dof)\n", mean, chi2, dof);
    assert_true(chi2 < dof + 6 * sqrt(2.0 * dof));
}

static void test_poisson_shape(void **state)
{
    check_poisson_shape(0.5, 0, 5, 21);
    check_poisson_shape(7, 0, 20, 22);
    check_poisson_shape(300, 250, 350, 23);
}

static void test_poisson_edges(void **state)
{
    sx_rng r;

    sx_rng_seed(&r, 3, 3);
    assert_true(sx_rng_poisson(&r, 0) == 0);
    assert_true(sx_rng_poisson(&r, -1) == 0);
    assert_true(sx_rng_poisson(&r, NAN) == 0);
    assert_true(sx_rng_poisson(&r, INFINITY) > 0);
}

static void test_exp_mean(void **state)
{
    sx_rng r;
    double sum = 0, m;

    sx_rng_seed(&r, 8, 8);
    for (int i = 0; i < N_DRAWS; i++) {
        double x = sx_rng_exp(&r, 4.0);

        assert_true(x >= 0 && isfinite(x));
        sum += x;
    }
    m = sum / N_DRAWS;
    print_message("exp(rate 4): mean %.6f (0.25)\n", m);
    /* se = 0.25 / 1000 */
    assert_true(fabs(m - 0.25) < 0.0015);
    assert_true(isinf(sx_rng_exp(&r, 0)));
}

static void test_normal_moments(void **state)
{
    sx_rng r;
    double sum = 0, sum2 = 0, m, v;
    long outside = 0;
    double frac;

    sx_rng_seed(&r, 9, 9);
    for (int i = 0; i < N_DRAWS; i++) {
        double x = sx_rng_normal(&r);

        sum += x;
        sum2 += x * x;
        outside += fabs(x) > 1.959963984540054;
    }
    m = sum / N_DRAWS;
    v = sum2 / N_DRAWS - m * m;
    frac = (double)outside / N_DRAWS;
    print_message("normal: mean %.5f var %.5f P(|x|>1.96) %.5f\n", m, v, frac);
    assert_true(fabs(m) < 0.006);
    assert_true(fabs(v - 1) < 0.0085);
    assert_true(fabs(frac - 0.05) < 0.0011);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_sequence),
        cmocka_unit_test(test_streams_differ),
        cmocka_unit_test(test_adjacent_streams_uncorrelated),
        cmocka_unit_test(test_state_never_zero),
        cmocka_unit_test(test_known_answer_seed),
        cmocka_unit_test(test_splitmix_known_answer),
        cmocka_unit_test(test_hash64_known_answer),
        cmocka_unit_test(test_hash64_alignment_independent),
        cmocka_unit_test(test_mix64_order_matters),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_uniform_moments),
        cmocka_unit_test(test_below_range_and_uniformity),
        cmocka_unit_test(test_below_large_n_balanced),
#ifdef __SIZEOF_INT128__
        cmocka_unit_test(test_below_matches_wide_multiply),
#endif
        cmocka_unit_test(test_poisson_moments),
        cmocka_unit_test(test_poisson_shape),
        cmocka_unit_test(test_poisson_edges),
        cmocka_unit_test(test_exp_mean),
        cmocka_unit_test(test_normal_moments),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
