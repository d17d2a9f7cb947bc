/* Micro-benchmark of sx_dist_sample (not a test: prints, never fails).
 *
 * For each distribution: 10^7 samples per run, 7 runs, report the median
 * ns/sample, so one descheduling or frequency step does not move the number.
 * The raw uniform draw is timed too, as the floor every sample pays. Every
 * sample is summed into a volatile sink so the work cannot be optimised
 * away. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "stats/dist.h"
#include "util/err.h"

#define SAMPLES 10000000L
#define RUNS 7
#define MS 1e-3
#define US 1e-6

static volatile double sink;

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* d == NULL times the bare uniform draw. */
static void bench(const char *name, const sx_dist *d)
{
    double per[RUNS];
    sx_rng r;

    sx_rng_seed(&r, 42, 0);
    for (int run = 0; run < RUNS; run++) {
        double acc = 0, t0 = now_ns();

        if (d) {
            for (long i = 0; i < SAMPLES; i++)
                acc += sx_dist_sample(d, &r);
        } else {
            for (long i = 0; i < SAMPLES; i++)
                acc += sx_rng_uniform_pos(&r);
        }
        per[run] = (now_ns() - t0) / SAMPLES;
        sink += acc;
    }
    qsort(per, RUNS, sizeof per[0], cmp_double);
    printf("%s: %.1f ns/sample (median of %d, min %.1f, max %.1f)\n", name, per[RUNS / 2], RUNS,
           per[0], per[RUNS - 1]);
}

int main(void)
{
    static const double p4[4] = {0.5, 0.9, 0.99, 0.999};
    static const double x4[4] = {12 * MS, 30 * MS, 95 * MS, 400 * MS};
    static const double p6[6] = {0.5, 0.75, 0.9, 0.95, 0.99, 0.999};
    static const double x6[6] = {100 * US, 150 * US, 300 * US, 600 * US, 2 * MS, 10 * MS};
    sx_dist q4, q6, ln, c;

    if (sx_dist_init_quantiles(&q4, p4, x4, 4, 0, INFINITY) != SX_OK ||
        sx_dist_init_quantiles(&q6, p6, x6, 6, 50 * US, INFINITY) != SX_OK ||
        sx_dist_init_lognormal(&ln, 20 * MS, 0.8, 0, INFINITY) != SX_OK ||
        sx_dist_init_constant(&c, 5 * MS) != SX_OK) {
        fprintf(stderr, "bench_dist: init failed\n");
        return 1;
    }
    bench("uniform (floor)", NULL);
    bench("quantiles-4", &q4);
    bench("quantiles-6+min", &q6);
    bench("lognormal", &ln);
    bench("constant", &c);
    return 0;
}
