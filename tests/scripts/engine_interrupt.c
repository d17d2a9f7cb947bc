/* The engine's interrupt path, deterministically: a probe exporter sets the
 * stop flag from inside the k-th metric collection (or the k-th batch of
 * spans), which is where a signal lands when the engine waits for a slow
 * receiver, and records every collection's timestamp. Checks, for every k:
 * the run says interrupted, collections are strictly increasing at
 * millisecond resolution (remote-write's: no "duplicate sample" or "out of
 * order" in Prometheus), the stale markers (finish) come once, after them,
 * and nothing is collected past the point of the stop except one final
 * collection of what ran after the last one.
 *
 *   engine_interrupt SPARSE.yaml DENSE.yaml
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exporter.h"
#include "scenario/scenario.h"
#include "sim/engine.h"

#define MAX_COLLECTIONS 4096

typedef struct probe {
    sx_exporter base;
    volatile sig_atomic_t *stop;
    uint32_t stop_at_collection;    /* 1-based; 0 = never */
    uint32_t stop_at_batch;
    uint32_t batches;
    uint32_t n;
    int64_t at[MAX_COLLECTIONS];
    uint32_t finishes;
    int64_t spans_seen;
} probe;

static int p_batch(sx_exporter *e, const sx_run *r, const sx_batch *b)
{
    probe *p = (probe *)e;

    (void)r;
    p->spans_seen += b->nspans;
    if (++p->batches == p->stop_at_batch)
        *p->stop = 1;
    return 0;
}

static int p_metrics(sx_exporter *e, const sx_run *r, const sx_metrics *m, int64_t t,
                     uint64_t points)
{
    probe *p = (probe *)e;

    (void)r;
    (void)points;
    (void)m;
    if (p->n < MAX_COLLECTIONS)
        p->at[p->n++] = t;
    if (p->n == p->stop_at_collection)
        *p->stop = 1;
    return 0;
}

static int p_flush(sx_exporter *e, int64_t deadline_ns)
{
    (void)e;
    (void)deadline_ns;
    return 0;
}

static void p_stats(const sx_exporter *e, sx_export_stats *out)
{
    (void)e;
    memset(out, 0, sizeof(*out));
}

static void p_destroy(sx_exporter *e)
{
    (void)e;
}

static int p_finish(sx_exporter *e, const sx_run *r, const sx_metrics *m)
{
    (void)r;
    (void)m;
    ((probe *)e)->finishes++;
    return 0;
}

static const struct sx_exporter_ops ops = { "probe", p_batch, p_metrics, p_flush, p_stats,
                                            p_destroy, p_finish };

static int failures, checks;

static void expect(bool ok, const char *what, const char *name, uint32_t k)
{
    checks++;
    if (!ok) {
        failures++;
        printf("FAIL %s (stop at %s %u): %s\n", name, strstr(name, "batch") ? "batch" : "collection",
               k, what);
    }
}

/* One run, stopped from the k-th collection (by_batch: the k-th batch). */
static void one(const sx_scenario *s, const char *name, bool live, double duration,
                double interval, uint32_t k, bool by_batch)
{
    static probe p;
    volatile sig_atomic_t stop = 0;
    sx_run run;
    sx_engine_result res;
    char err[256] = "";

    memset(&p, 0, sizeof(p));
    p.base = (sx_exporter){ .ops = &ops, .signals = SX_SIG_ALL };
    p.stop = &stop;
    if (by_batch)
        p.stop_at_batch = k;
    else
        p.stop_at_collection = k;
    sx_run_config cfg = { .seed = 3, .start_ns = live ? 0 : 1767225600LL * 1000000000LL,
                          .duration = duration, .metric_interval = interval,
                          .signals = SX_SIG_ALL, .shard_count = 1, .live = live };
    if (live) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        cfg.start_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    }
    sx_exporter *ex = &p.base;
    memset(&res, 0, sizeof(res));
    if (sx_run_init(&run, s, &cfg) || sx_counts_init(&res.counts)) {
        expect(false, "setup", name, k);
        return;
    }
    int rc = sx_engine_run(&run, &ex, 1, &stop, &res, err, sizeof(err));
    expect(rc == 0, err, name, k);
    expect(res.interrupted, "the run says interrupted", name, k);
    expect(p.finishes == 1, "finish (stale markers) once", name, k);
    bool increasing = true;
    for (uint32_t i = 1; i < p.n; i++)
        increasing &= p.at[i] / 1000000 > p.at[i - 1] / 1000000;
    expect(increasing, "collection timestamps strictly increasing in ms", name, k);
    if (!by_batch) {
        /* Stopped inside collection k: at most one more, for what ran after. */
        expect(p.n == k || p.n == k + 1, "k or k+1 collections", name, k);
    }
    expect(res.last_collect_ns == (p.n ? p.at[p.n - 1] : 0), "last_collect_ns", name, k);
    expect(p.n == res.collections, "collections counted", name, k);
    expect(p.spans_seen == (int64_t)res.counts.spans, "every span handed over", name, k);
    sx_counts_fini(&res.counts);
    sx_run_fini(&run);
}

static sx_scenario *load(const char *path)
{
    sx_scenario *s = NULL;
    sx_diag d;

    sx_diag_init(&d, path);
    if (sx_scenario_load_file(path, &s, &d))
        sx_diag_print(&d, stderr);
    sx_diag_fini(&d);
    return s;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: engine_interrupt SPARSE.yaml DENSE.yaml\n");
        return 2;
    }
    sx_scenario *sparse = load(argv[1]), *dense = load(argv[2]);
    if (!sparse || !dense)
        return 2;
    /* Backfill: every collection of a 2-minute sparse timeline, 1 s apart. */
    for (uint32_t k = 1; k <= 119; k++)
        one(sparse, "sparse backfill", false, 120, 1, k, false);
    /* Dense traffic: stopped from a span batch, the final collection lands
     * close to the last tick: it must still be a later millisecond. */
    for (uint32_t k = 1; k <= 40; k++)
        one(dense, "dense backfill, stop in a batch", false, 60, 0.25, k, true);
    for (uint32_t k = 1; k <= 20; k++)
        one(dense, "dense backfill", false, 60, 0.25, k, false);
    /* Live: 20 ms collections, stopped from a few of them (about 0.1 s each). */
    for (uint32_t k = 1; k <= 5; k++)
        one(sparse, "sparse live", true, 2, 0.02, k, false);
    printf("%d checks, %d failed\n", checks, failures);
    sx_scenario_destroy(sparse);
    sx_scenario_destroy(dense);
    return failures ? 1 : 0;
}
