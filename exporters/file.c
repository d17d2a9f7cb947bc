/* file exporter: OTLP JSON lines, one Export request per line, in
 * traces.jsonl / metrics.jsonl / logs.jsonl - the OpenTelemetry file
 * exporter's format, so the Collector's otlpjsonfile receiver reads it.
 *
 * Each line goes to the file in one write(2), without stdio buffering: a
 * caught signal does not cut a write to a regular file short, so even an
 * immediate exit from a signal handler (a second Ctrl-C) leaves only whole
 * lines. A write that fails part-way (disk full) is cut back to the last
 * whole line. Lines reach the kernel at once, so `tail -f` sees them as
 * they are written in live mode. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exporter.h"
#include "util/err.h"
#include "util/fs.h"
#include "wire/otlp_json.h"

typedef struct file_exporter {
    sx_exporter base;
    int fd[SX_NSIG];            /* -1 = signal not written */
    off_t size[SX_NSIG];        /* bytes of whole lines written */
    bool regular[SX_NSIG];      /* a regular file (not /dev/full, a FIFO...): can be cut back */
    char *path[SX_NSIG];
    sx_strbuf buf;
    sx_group enc;
    sx_export_stats st;
    pthread_mutex_t st_mu;      /* st: the progress thread reads it while we write */
} file_exporter;

/* The whole buffer, or -1 with errno (short writes continue). */
static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes the encoded buffer as the next line(s) of signal sig's file and
 * counts its items. Only the counters are under st_mu (the progress thread
 * reads them): a slow disk or a FIFO never blocks that thread. */
static void write_out(file_exporter *fe, int sig, uint64_t items)
{
    bool ok = true, cut_ok = true;
    char what[48] = "";

    if (fe->buf.len && write_all(fe->fd[sig], fe->buf.data, fe->buf.len) != 0) {
        ok = false;
        snprintf(what, sizeof(what), "write: %s", strerror(errno));
        /* Part of the line may be in the file: cut it back, so the next
         * line (or a reader) starts on a line boundary. */
        cut_ok = !fe->regular[sig] || (ftruncate(fe->fd[sig], fe->size[sig]) == 0 &&
                                       lseek(fe->fd[sig], fe->size[sig], SEEK_SET) >= 0);
    } else {
        fe->size[sig] += (off_t)fe->buf.len;
    }
    pthread_mutex_lock(&fe->st_mu);
    fe->st.generated[sig] += items;
    if (fe->buf.len) {
        fe->st.requests++;
        if (ok) {
            fe->st.bytes += fe->buf.len;
            fe->st.delivered[sig] += items;
        } else {
            /* counted as dropped; the run goes on and reports it */
            sx_export_stats_error(&fe->st, what);
            fe->st.dropped[sig] += items;
            if (!cut_ok)
                sx_export_stats_error(&fe->st, "truncate failed");
        }
    }
    pthread_mutex_unlock(&fe->st_mu);
}

static int file_submit_batch(sx_exporter *e, const sx_run *r, const sx_batch *b)
{
    file_exporter *fe = (file_exporter *)e;
    uint64_t n;
    int rc;

    if (fe->fd[SX_IDX_SPANS] >= 0 && b->nspans) {
        sx_strbuf_clear(&fe->buf);
        if ((rc = sx_otlp_json_traces(&fe->enc, r, b, &fe->buf, &n)) != 0)
            return rc;
        write_out(fe, SX_IDX_SPANS, n);
    }
    if (fe->fd[SX_IDX_LOGS] >= 0 && b->nlogs) {
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
    if (fe->fd[SX_IDX_POINTS] < 0)
        return 0;
    sx_strbuf_clear(&fe->buf);
    if ((rc = sx_otlp_json_metrics(r, m, time_ns, &fe->buf, &n)) != 0)
        return rc;
    write_out(fe, SX_IDX_POINTS, n);
    return 0;
}

static int file_flush(sx_exporter *e, int64_t deadline_ns)
{
    file_exporter *fe = (file_exporter *)e;

    /* Nothing is buffered here: every line is in the kernel already. */
    (void)fe;
    (void)deadline_ns;
    return 0;
}

static void file_stats(const sx_exporter *e, sx_export_stats *out)
{
    file_exporter *fe = (file_exporter *)e;

    pthread_mutex_lock(&fe->st_mu);
    *out = fe->st;
    pthread_mutex_unlock(&fe->st_mu);
}

static void file_destroy(sx_exporter *e)
{
    file_exporter *fe = (file_exporter *)e;

    if (!fe)
        return;
    for (int i = 0; i < SX_NSIG; i++) {
        if (fe->fd[i] >= 0)
            close(fe->fd[i]);
        free(fe->path[i]);
    }
    sx_strbuf_fini(&fe->buf);
    sx_group_fini(&fe->enc);
    pthread_mutex_destroy(&fe->st_mu);
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

int sx_file_exporter_create(const char *dir, unsigned signals, sx_exporter **out, char *err,
                            size_t errlen)
{
    static const char *const names[SX_NSIG] = { "traces.jsonl", "logs.jsonl", "metrics.jsonl" };
    static const unsigned sigs[SX_NSIG] = { SX_SIG_TRACES, SX_SIG_LOGS, SX_SIG_METRICS };
    file_exporter *fe = calloc(1, sizeof(*fe));

    *out = NULL;
    if (!fe)
        return SX_ENOMEM;
    for (int i = 0; i < SX_NSIG; i++)
        fe->fd[i] = -1;
    fe->base.ops = &file_ops;
    fe->base.signals = signals;
    sx_strbuf_init(&fe->buf);
    pthread_mutex_init(&fe->st_mu, NULL);
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
        fe->fd[i] = open(fe->path[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fe->fd[i] < 0) {
            snprintf(err, errlen, "cannot write %s: %s", fe->path[i], strerror(errno));
            file_destroy(&fe->base);
            return SX_EIO;
        }
        struct stat sb;
        fe->regular[i] = fstat(fe->fd[i], &sb) == 0 && S_ISREG(sb.st_mode);
    }
    *out = &fe->base;
    return 0;
}
