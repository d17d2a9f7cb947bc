/* Writes what every encoder produces for the golden scenario, one file per
 * request, so tests can decode the bytes with `protoc --decode` (an
 * independent decoder) and compare with reviewed golden text:
 *   encode_dump SCENARIO OUTDIR
 * It also sets a gauge to NaN, +Inf and -Inf in extra metric requests, to pin
 * how non-finite values are written. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"
#include "scenario/scenario.h"
#include "sim/engine.h"
#include "wire/otlp_json.h"
#include "wire/otlp_pb.h"
#include "wire/remote_write.h"

typedef struct dump {
    sx_exporter base;
    const char *dir;
    sx_group g;
    sx_strbuf buf;
    int batches, collections;
} dump;

static int write_file(dump *d, const char *name, const sx_strbuf *b)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", d->dir, name);
    f = fopen(path, "wb");
    if (!f || fwrite(b->data ? b->data : "", 1, b->len, f) != b->len || fclose(f)) {
        fprintf(stderr, "cannot write %s\n", path);
        return -1;
    }
    return 0;
}

static int d_batch(sx_exporter *e, const sx_run *r, const sx_batch *b)
{
    dump *d = (dump *)e;
    uint64_t n;

    if (d->batches++)
        return 0;
    if (sx_otlp_pb_traces(&d->g, r, b, 0, b->nspans, &d->buf) || write_file(d, "traces.pb", &d->buf))
        return -1;
    if (sx_otlp_pb_logs(&d->g, r, b, 0, b->nlogs, &d->buf) || write_file(d, "logs.pb", &d->buf))
        return -1;
    sx_strbuf_clear(&d->buf);
    if (sx_otlp_json_traces(&d->g, r, b, &d->buf, &n) || write_file(d, "traces.json", &d->buf))
        return -1;
    return 0;
}

static int rw_all(dump *d, const sx_run *r, const sx_metrics *m, int64_t ms, bool stale,
                  const char *name)
{
    sx_rw_options opt = { "synthetic" };

    sx_strbuf_clear(&d->buf);
    if (!stale)
        sx_rw_put_all_metadata(&d->buf, m);
    for (uint32_t i = 0; i < m->nseries; i++)
        sx_rw_put_series(&d->buf, r, &m->series[i], ms, stale, &opt);
    sx_rw_put_target_info(&d->buf, r, 0, ms, stale, &opt);
    return write_file(d, name, &d->buf);
}

static int d_metrics(sx_exporter *e, const sx_run *r, const sx_metrics *m, int64_t t, uint64_t p)
{
    dump *d = (dump *)e;
    uint64_t n;

    (void)p;
    if (d->collections++)
        return 0;
    if (sx_otlp_pb_metrics(r, m, t, &d->buf, &n) || write_file(d, "metrics.pb", &d->buf))
        return -1;
    if (rw_all(d, r, m, t / 1000000, false, "remote_write.pb"))
        return -1;
    /* Non-finite gauge values: set them on the custom gauge and encode again. */
    sx_metrics *mm = (sx_metrics *)m;
    static const double specials[] = { NAN, INFINITY, -INFINITY };
    static const char *const names[] = { "metrics_nan.pb", "metrics_inf.pb", "metrics_neginf.pb" };
    for (uint32_t i = 0; i < mm->nseries; i++) {
        if (!mm->series[i].fam->custom)
            continue;
        double keep = mm->series[i].value;
        for (int k = 0; k < 3; k++) {
            mm->series[i].value = specials[k];
            if (sx_otlp_pb_metrics(r, m, t, &d->buf, &n) || write_file(d, names[k], &d->buf))
                return -1;
        }
        mm->series[i].value = keep;
        break;
    }
    return 0;
}

static int d_finish(sx_exporter *e, const sx_run *r, const sx_metrics *m)
{
    dump *d = (dump *)e;
    return rw_all(d, r, m, r->end_ns / 1000000 + 1, true, "remote_write_stale.pb");
}

static int d_flush(sx_exporter *e, int64_t x)
{
    (void)e;
    (void)x;
    return 0;
}

static void d_stats(const sx_exporter *e, sx_export_stats *o)
{
    (void)e;
    memset(o, 0, sizeof(*o));
}

static void d_destroy(sx_exporter *e)
{
    (void)e;
}

static const struct sx_exporter_ops ops = { "dump", d_batch, d_metrics, d_flush, d_stats,
                                            d_destroy, d_finish };

int main(int argc, char **argv)
{
    sx_scenario *s;
    sx_diag diag;
    sx_run run;
    sx_engine_result res;
    char err[256] = "";
    dump d = { .base = { &ops, SX_SIG_ALL } };

    if (argc != 3) {
        fprintf(stderr, "usage: encode_dump SCENARIO OUTDIR\n");
        return 2;
    }
    d.dir = argv[2];
    sx_group_init(&d.g);
    sx_strbuf_init(&d.buf);
    sx_diag_init(&diag, argv[1]);
    if (sx_scenario_load_file(argv[1], &s, &diag)) {
        sx_diag_print(&diag, stderr);
        return 2;
    }
    sx_diag_fini(&diag);
    sx_run_config cfg = { .seed = 7, .start_ns = 1767225600LL * 1000000000LL, .duration = 2.0,
                          .metric_interval = 15.0, .signals = SX_SIG_ALL, .shard_count = 1 };
    sx_exporter *ex = &d.base;
    memset(&res, 0, sizeof(res));
    if (sx_run_init(&run, s, &cfg) || sx_counts_init(&res.counts) ||
        sx_engine_run(&run, &ex, 1, NULL, &res, err, sizeof(err))) {
        fprintf(stderr, "encode_dump: %s\n", err);
        return 1;
    }
    printf("%llu spans, %llu logs, %llu points\n", (unsigned long long)res.counts.spans,
           (unsigned long long)res.counts.logs, (unsigned long long)res.counts.metric_points);
    sx_counts_fini(&res.counts);
    sx_run_fini(&run);
    sx_scenario_destroy(s);
    sx_group_fini(&d.g);
    sx_strbuf_fini(&d.buf);
    return 0;
}
