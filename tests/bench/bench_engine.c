/* Engine benchmark (not a test): spans/s for simulate-only, simulate + OTLP
 * JSON, simulate + OTLP protobuf (bytes discarded, as if to /dev/null), one
 * thread, and the peak RSS of the process; "rw" times remote-write encoding
 * plus snappy of the final metric state, in samples/s.
 *   bench_engine SCENARIO [sim|json|pb|rw] [DURATION] [REPEATS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "exporter.h"
#include "scenario/scenario.h"
#include "scenario/units.h"
#include "sim/engine.h"
#include "wire/otlp_json.h"
#include "wire/otlp_pb.h"
#include "wire/remote_write.h"
#include <snappy-c.h>

enum mode { M_SIM, M_JSON, M_PB, M_RW };

typedef struct bench_exporter {
    sx_exporter base;
    enum mode mode;
    bool encode;
    double rw_samples_per_s;
    double encode_secs;         /* time spent in the encoders alone */
    sx_strbuf buf;
    sx_group enc;
    uint64_t bytes;
    sx_export_stats st;
} bench_exporter;

static int b_batch(sx_exporter *e, const sx_run *r, const sx_batch *b)
{
    bench_exporter *be = (bench_exporter *)e;
    uint64_t n;

    be->st.delivered[SX_IDX_SPANS] += b->nspans;
    be->st.delivered[SX_IDX_LOGS] += b->nlogs;
    if (be->mode == M_PB) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (sx_otlp_pb_traces(&be->enc, r, b, 0, b->nspans, &be->buf))
            return -1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        be->encode_secs += (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
        be->bytes += be->buf.len;
        if (sx_otlp_pb_logs(&be->enc, r, b, 0, b->nlogs, &be->buf))
            return -1;
        be->bytes += be->buf.len;
        return 0;
    }
    if (be->mode != M_JSON)
        return 0;
    sx_strbuf_clear(&be->buf);
    if (sx_otlp_json_traces(&be->enc, r, b, &be->buf, &n) ||
        sx_otlp_json_logs(&be->enc, r, b, &be->buf, &n))
        return -1;
    be->bytes += be->buf.len;
    return 0;
}

/* remote-write: encode every series of the final state (plus snappy),
 * repeatedly, as the exporter would for one collection. */
static int b_finish(sx_exporter *e, const sx_run *r, const sx_metrics *m)
{
    bench_exporter *be = (bench_exporter *)e;
    sx_rw_options opt = { "synthetic" };
    struct timespec t0, t1;
    uint64_t samples = 0;
    char *z = NULL;

    if (be->mode != M_RW)
        return 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int it = 0; it < 300; it++) {
        sx_strbuf_clear(&be->buf);
        sx_rw_put_all_metadata(&be->buf, m);
        for (uint32_t i = 0; i < m->nseries; i++)
            samples += sx_rw_put_series(&be->buf, r, &m->series[i], 1767225600000LL + it, false, &opt);
        size_t zl = snappy_max_compressed_length(be->buf.len);
        char *nz = realloc(z, zl);
        if (!nz)
            break;
        z = nz;
        snappy_compress(be->buf.data, be->buf.len, z, &zl);
        be->bytes += zl;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    free(z);
    be->rw_samples_per_s = (double)samples / ((double)(t1.tv_sec - t0.tv_sec) +
                                              (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
    return 0;
}

static int b_metrics(sx_exporter *e, const sx_run *r, const sx_metrics *m, int64_t t, uint64_t p)
{
    bench_exporter *be = (bench_exporter *)e;
    uint64_t n;

    be->st.delivered[SX_IDX_POINTS] += p;
    if (be->mode == M_PB) {
        if (sx_otlp_pb_metrics(r, m, t, &be->buf, &n))
            return -1;
        be->bytes += be->buf.len;
        return 0;
    }
    if (be->mode != M_JSON)
        return 0;
    sx_strbuf_clear(&be->buf);
    if (sx_otlp_json_metrics(r, m, t, &be->buf, &n))
        return -1;
    be->bytes += be->buf.len;
    return 0;
}

static int b_flush(sx_exporter *e, int64_t d)
{
    (void)e;
    (void)d;
    return 0;
}

static void b_stats(const sx_exporter *e, sx_export_stats *out)
{
    *out = ((const bench_exporter *)e)->st;
}

static void b_destroy(sx_exporter *e)
{
    (void)e;
}

static const struct sx_exporter_ops bench_ops = { "bench", b_batch, b_metrics, b_flush, b_stats,
                                                  b_destroy, b_finish };

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "scenarios/checkout-db-pool-exhaustion.yaml";
    const char *ms = argc > 2 ? argv[2] : "sim";
    enum mode mode = strcmp(ms, "json") == 0 ? M_JSON : strcmp(ms, "pb") == 0 ? M_PB
                     : strcmp(ms, "rw") == 0 ? M_RW : M_SIM;
    bool encode = mode == M_JSON || mode == M_PB;
    double rw_rates[32], enc_rates[32];
    double duration = 0;
    int repeats = argc > 4 ? atoi(argv[4]) : 5;
    const char *why;
    double rates[32];
    uint64_t spans = 0, bytes = 0;
    sx_scenario *s;
    sx_diag d;

    if (argc > 3 && sx_parse_duration(argv[3], &duration, &why)) {
        fprintf(stderr, "bad duration %s\n", argv[3]);
        return 2;
    }
    if (repeats < 1 || repeats > 32)
        repeats = 5;
    sx_diag_init(&d, path);
    if (sx_scenario_load_file(path, &s, &d)) {
        sx_diag_print(&d, stderr);
        return 2;
    }
    sx_diag_fini(&d);
    for (int i = 0; i < repeats; i++) {
        sx_run_config cfg = { .seed = 42, .start_ns = 1767225600LL * 1000000000LL,
                              .duration = duration > 0 ? duration : s->duration,
                              .metric_interval = 15, .signals = SX_SIG_ALL, .shard_count = 1 };
        sx_run run;
        bench_exporter be = { .base = { &bench_ops, SX_SIG_ALL }, .encode = encode, .mode = mode };
        sx_exporter *ex = &be.base;
        sx_engine_result res;
        char err[256] = "";
        struct timespec t0, t1;

        sx_strbuf_init(&be.buf);
        sx_group_init(&be.enc);
        memset(&res, 0, sizeof(res));
        if (sx_run_init(&run, s, &cfg) || sx_counts_init(&res.counts))
            return 1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (sx_engine_run(&run, &ex, 1, NULL, &res, err, sizeof(err))) {
            fprintf(stderr, "engine: %s\n", err);
            return 1;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
        spans = res.counts.spans;
        bytes = be.bytes;
        rates[i] = (double)spans / secs;
        rw_rates[i] = be.rw_samples_per_s;
        enc_rates[i] = be.encode_secs > 0 ? (double)spans / be.encode_secs : 0;
        sx_counts_fini(&res.counts);
        sx_run_fini(&run);
        sx_strbuf_fini(&be.buf);
        sx_group_fini(&be.enc);
    }
    qsort(rates, (size_t)repeats, sizeof(*rates), cmp);
    qsort(rw_rates, (size_t)repeats, sizeof(*rw_rates), cmp);
    qsort(enc_rates, (size_t)repeats, sizeof(*enc_rates), cmp);
    if (mode == M_PB)
        printf("OTLP protobuf trace encoding alone: median %.0f spans/s\n", enc_rates[repeats / 2]);
    if (mode == M_RW) {
        printf("remote-write encode+snappy: median %.0f samples/s (%d runs)\n",
               rw_rates[repeats / 2], repeats);
        sx_scenario_destroy(s);
        return 0;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%s %s: %llu spans per run, median %.0f spans/s (min %.0f, max %.0f, %d runs)%s, "
           "peak RSS %ld KiB\n",
           mode == M_JSON ? "simulate+otlp-json" : mode == M_PB ? "simulate+otlp-protobuf"
                                                                : "simulate-only",
           argc > 3 ? argv[3] : "full",
           (unsigned long long)spans, rates[repeats / 2], rates[0], rates[repeats - 1], repeats,
           encode ? "" : "", ru.ru_maxrss);
    if (encode)
        printf("  %.1f MB encoded per run (%.0f bytes/span)\n", (double)bytes / 1e6,
               (double)bytes / (double)spans);
    sx_scenario_destroy(s);
    return 0;
}
