/* file exporter: OTLP JSON lines, one Export request per line, in
 * traces.jsonl / metrics.jsonl / logs.jsonl - the OpenTelemetry file
 * exporter's format, so the Collector's otlpjsonfile receiver reads it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exporter.h"
#include "util/err.h"
#include "util/fs.h"
#include "wire/otlp_json.h"

typedef struct file_exporter {
    sx_exporter base;
    FILE *f[SX_NSIG];
    char *path[SX_NSIG];
    bool flush_each;
    sx_strbuf buf;
    sx_group enc;
    sx_export_stats st;
} file_exporter;

static int write_out(file_exporter *fe, int sig, uint64_t items)
{
    fe->st.generated[sig] += items;
    if (!fe->buf.len)
        return 0;
    fe->st.requests++;
    if (fwrite(fe->buf.data, 1, fe->buf.len, fe->f[sig]) != fe->buf.len ||
        (fe->flush_each && fflush(fe->f[sig]) != 0)) {
        char what[48];
        snprintf(what, sizeof(what), "write: %s", strerror(errno));
        sx_export_stats_error(&fe->st, what);
        fe->st.dropped[sig] += items;
        return 0;   /* counted as dropped; the run goes on and reports it */
    }
    fe->st.bytes += fe->buf.len;
    fe->st.delivered[sig] += items;
    return 0;
}

static int file_submit_batch(sx_exporter *e, const sx_run *r, const sx_batch *b)
{
    file_exporter *fe = (file_exporter *)e;
    uint64_t n;
    int rc;

    if (fe->f[SX_IDX_SPANS] && b->nspans) {
        sx_strbuf_clear(&fe->buf);
        if ((rc = sx_otlp_json_traces(&fe->enc, r, b, &fe->buf, &n)) != 0)
            return rc;
        write_out(fe, SX_IDX_SPANS, n);
    }
    if (fe->f[SX_IDX_LOGS] && b->nlogs) {
        sx_strbuf_clear(&fe->buf);
        if ((rc = sx_otlp_json_logs(&fe->enc, r, b, &fe->buf, &n)) != 0)
            return rc;
        write_out(fe, SX_IDX_LOGS, n);
    }
    return 0;
}

static int file_submit_metrics(sx_exporter *e, const sx_run *r, const sx_metrics *m,
                               int64_t time_ns, uint64_t points)
{
    file_exporter *fe = (file_exporter *)e;
    uint64_t n;
    int rc;

    (void)points;
    if (!fe->f[SX_IDX_POINTS])
        return 0;
    sx_strbuf_clear(&fe->buf);
    if ((rc = sx_otlp_json_metrics(r, m, time_ns, &fe->buf, &n)) != 0)
        return rc;
    return write_out(fe, SX_IDX_POINTS, n);
}

static int file_flush(sx_exporter *e, int64_t deadline_ns)
{
    file_exporter *fe = (file_exporter *)e;

    (void)deadline_ns;
    for (int i = 0; i < SX_NSIG; i++) {
        if (fe->f[i] && fflush(fe->f[i]) != 0) {
            char what[48];
            snprintf(what, sizeof(what), "flush: %s", strerror(errno));
            sx_export_stats_error(&fe->st, what);
        }
    }
    return 0;
}

static void file_stats(const sx_exporter *e, sx_export_stats *out)
{
    *out = ((const file_exporter *)e)->st;
}

static void file_destroy(sx_exporter *e)
{
    file_exporter *fe = (file_exporter *)e;

    if (!fe)
        return;
    for (int i = 0; i < SX_NSIG; i++) {
        if (fe->f[i])
            fclose(fe->f[i]);
        free(fe->path[i]);
    }
    sx_strbuf_fini(&fe->buf);
    sx_group_fini(&fe->enc);
    free(fe);
}

static const struct sx_exporter_ops file_ops = {
    .name = "file",
    .submit_batch = file_submit_batch,
    .submit_metrics = file_submit_metrics,
    .flush = file_flush,
    .stats = file_stats,
    .destroy = file_destroy,
};

int sx_file_exporter_create(const char *dir, unsigned signals, bool flush_each,
                            sx_exporter **out, char *err, size_t errlen)
{
    static const char *const names[SX_NSIG] = { "traces.jsonl", "logs.jsonl", "metrics.jsonl" };
    static const unsigned sigs[SX_NSIG] = { SX_SIG_TRACES, SX_SIG_LOGS, SX_SIG_METRICS };
    file_exporter *fe = calloc(1, sizeof(*fe));

    *out = NULL;
    if (!fe)
        return SX_ENOMEM;
    fe->base.ops = &file_ops;
    fe->base.signals = signals;
    fe->flush_each = flush_each;
    sx_strbuf_init(&fe->buf);
    sx_group_init(&fe->enc);
    if (sx_mkdir_p(dir) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        file_destroy(&fe->base);
        return SX_EIO;
    }
    for (int i = 0; i < SX_NSIG; i++) {
        if (!(signals & sigs[i]))
            continue;
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        fe->path[i] = malloc(len);
        if (!fe->path[i]) {
            file_destroy(&fe->base);
            return SX_ENOMEM;
        }
        snprintf(fe->path[i], len, "%s/%s", dir, names[i]);
        fe->f[i] = fopen(fe->path[i], "w");
        if (!fe->f[i]) {
            snprintf(err, errlen, "cannot write %s: %s", fe->path[i], strerror(errno));
            file_destroy(&fe->base);
            return SX_EIO;
        }
    }
    *out = &fe->base;
    return 0;
}
