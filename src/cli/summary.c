#include "cli/summary.h"

#include <signal.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/timefmt.h"
#include "wire/json.h"

static const char *const sig_names[SX_NSIG] = { "spans", "logs", "metric_points" };

static const char *signal_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "signal";
}

static void put_time(sx_strbuf *b, int64_t ns)
{
    char t[64];
    sx_time_format(ns, t, sizeof(t));
    sx_json_str(b, t);
}

static void put_counts(sx_strbuf *b, const uint64_t *v)
{
    sx_strbuf_putc(b, '{');
    for (int i = 0; i < SX_NSIG; i++) {
        sx_strbuf_printf(b, "%s\"%s\": ", i ? ", " : "", sig_names[i]);
        sx_json_u64(b, v[i]);
    }
    sx_strbuf_putc(b, '}');
}

int sx_summary_write_json(FILE *f, const sx_run *r, const sx_engine_result *res,
                          sx_exporter **ex, size_t nex)
{
    const sx_scenario *s = r->s;
    const sx_counts *c = &res->counts;
    sx_strbuf b;
    int rc = 0;

    sx_strbuf_init(&b);
    sx_strbuf_puts(&b, "{\n  \"scenario\": ");
    sx_json_str(&b, s->name);
    sx_strbuf_puts(&b, ",\n  \"seed\": ");
    sx_json_u64(&b, r->cfg.seed);
    sx_strbuf_puts(&b, ",\n  \"run_id\": ");
    sx_json_str(&b, r->run_id);
    sx_strbuf_printf(&b, ",\n  \"shard\": \"%u/%u\"", r->cfg.shard_index, r->cfg.shard_count);
    sx_strbuf_printf(&b, ",\n  \"mode\": \"%s\"", r->cfg.live ? "live" : "backfill");
    sx_strbuf_puts(&b, ",\n  \"start\": ");
    put_time(&b, r->cfg.start_ns);
    sx_strbuf_puts(&b, ",\n  \"end\": ");
    put_time(&b, r->end_ns);
    sx_strbuf_printf(&b, ",\n  \"interrupted\": %s", res->interrupted ? "true" : "false");
    if (res->interrupted && !res->signal && sx_exporters_all_down(ex, nex))
        sx_strbuf_puts(&b, ",\n  \"stopped_early\": \"every exporter is down\"");
    if (res->interrupted && res->signal) {
        /* Where the timeline stopped: what was simulated up to then. */
        sx_strbuf_printf(&b, ",\n  \"signal\": \"%s\",\n  \"stopped_at\": ",
                         signal_name(res->signal));
        put_time(&b, r->cfg.start_ns + (int64_t)(res->reached * 1e9));
    }
    sx_strbuf_puts(&b, ",\n  \"incidents\": [");
    for (uint32_t i = 0; i < s->nincidents; i++) {
        const sx_incident *inc = &s->incidents[i];
        static const char *const ph[] = { "start", "full", "recovering", "end" };
        sx_strbuf_puts(&b, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
        sx_json_str(&b, inc->name);
        for (int p = 0; p < 4; p++) {
            sx_strbuf_printf(&b, ", \"%s\": ", ph[p]);
            put_time(&b, r->cfg.start_ns +
                             (int64_t)(sx_incident_phase_at(inc, (enum sx_phase)p) * 1e9 + 0.5));
        }
        sx_strbuf_putc(&b, '}');
    }
    sx_strbuf_puts(&b, s->nincidents ? "\n  ],\n" : "],\n");
    sx_strbuf_puts(&b, "  \"generated\": {\"spans\": ");
    sx_json_u64(&b, c->spans);
    sx_strbuf_puts(&b, ", \"error_spans\": ");
    sx_json_u64(&b, c->error_spans);
    sx_strbuf_puts(&b, ", \"logs\": ");
    sx_json_u64(&b, c->logs);
    sx_strbuf_puts(&b, ", \"metric_points\": ");
    sx_json_u64(&b, c->metric_points);
    sx_strbuf_puts(&b, ", \"series\": ");
    sx_json_u64(&b, res->series);
    sx_strbuf_puts(&b, ", \"requests\": ");
    sx_json_u64(&b, c->requests);
    sx_strbuf_puts(&b, ", \"collections\": ");
    sx_json_u64(&b, res->collections);
    sx_strbuf_puts(&b, "},\n  \"exporters\": [");
    for (size_t i = 0; i < nex; i++) {
        sx_export_stats st;
        ex[i]->ops->stats(ex[i], &st);
        sx_strbuf_puts(&b, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
        sx_json_str(&b, ex[i]->ops->name);
        sx_strbuf_puts(&b, ", \"signals\": [");
        const char *sn[] = { "traces", "metrics", "logs" };
        bool first = true;
        for (int k = 0; k < 3; k++)
            if (ex[i]->signals & (1u << k)) {
                sx_strbuf_printf(&b, "%s\"%s\"", first ? "" : ", ", sn[k]);
                first = false;
            }
        sx_strbuf_puts(&b, "], \"generated\": ");
        put_counts(&b, st.generated);
        sx_strbuf_puts(&b, ", \"delivered\": ");
        put_counts(&b, st.delivered);
        sx_strbuf_puts(&b, ", \"dropped\": ");
        put_counts(&b, st.dropped);
        sx_strbuf_puts(&b, ", \"retries\": ");
        sx_json_u64(&b, st.retries);
        sx_strbuf_puts(&b, ", \"requests\": ");
        sx_json_u64(&b, st.requests);
        sx_strbuf_puts(&b, ", \"bytes\": ");
        sx_json_u64(&b, st.bytes);
        sx_strbuf_puts(&b, ", \"errors\": {");
        for (uint32_t k = 0; k < st.nerrors; k++) {
            if (k)
                sx_strbuf_puts(&b, ", ");
            sx_json_str(&b, st.errors[k].what);
            sx_strbuf_puts(&b, ": ");
            sx_json_u64(&b, st.errors[k].count);
        }
        sx_strbuf_puts(&b, "}}");
    }
    sx_strbuf_puts(&b, nex ? "\n  ],\n" : "],\n");
    sx_strbuf_puts(&b, "  \"operations\": [");
    bool first = true;
    for (uint32_t i = 0; i < s->nservices; i++) {
        for (uint32_t j = 0; j < s->services[i].nops; j++) {
            uint64_t req = c->op_requests[i * SX_MAX_OPERATIONS + j];
            uint64_t err = c->op_errors[i * SX_MAX_OPERATIONS + j];
            if (s->services[i].kind != SX_KIND_SERVICE)
                continue;
            sx_strbuf_puts(&b, first ? "\n    {\"service\": " : ",\n    {\"service\": ");
            first = false;
            sx_json_str(&b, s->services[i].name);
            sx_strbuf_puts(&b, ", \"operation\": ");
            sx_json_str(&b, s->services[i].ops[j].name);
            sx_strbuf_puts(&b, ", \"requests\": ");
            sx_json_u64(&b, req);
            sx_strbuf_puts(&b, ", \"errors\": ");
            sx_json_u64(&b, err);
            sx_strbuf_putc(&b, '}');
        }
    }
    sx_strbuf_puts(&b, first ? "],\n" : "\n  ],\n");
    sx_strbuf_puts(&b, "  \"logs_by_severity\": {");
    static const char *const sev[] = { "UNSPECIFIED", "TRACE", "DEBUG", "INFO", "WARN", "ERROR",
                                       "FATAL" };
    uint64_t by[7] = { 0 };
    by[0] = c->logs_by_severity[0];
    for (int k = 1; k < 25; k++)
        by[1 + (k - 1) / 4] += c->logs_by_severity[k];
    first = true;
    for (int k = 0; k < 7; k++) {
        if (!by[k])
            continue;
        sx_strbuf_printf(&b, "%s\"%s\": ", first ? "" : ", ", sev[k]);
        sx_json_u64(&b, by[k]);
        first = false;
    }
    sx_strbuf_puts(&b, "}\n}\n");
    if (b.failed || fwrite(b.data, 1, b.len, f) != b.len)
        rc = -1;
    sx_strbuf_fini(&b);
    return rc;
}

uint64_t sx_summary_print(FILE *f, const sx_run *r, const sx_engine_result *res,
                          sx_exporter **ex, size_t nex)
{
    const sx_counts *c = &res->counts;
    uint64_t dropped_total = 0;
    char start[64], end[64];

    if (!f) {
        for (size_t i = 0; i < nex; i++) {
            sx_export_stats st;
            ex[i]->ops->stats(ex[i], &st);
            dropped_total += st.dropped[0] + st.dropped[1] + st.dropped[2];
        }
        return dropped_total;
    }
    sx_time_format(r->cfg.start_ns, start, sizeof(start));
    sx_time_format(r->end_ns, end, sizeof(end));
    char intr[48] = "";
    if (res->interrupted && !res->signal && sx_exporters_all_down(ex, nex))
        snprintf(intr, sizeof(intr), " (stopped early: every exporter is down)");
    else if (res->interrupted)
        snprintf(intr, sizeof(intr), " (interrupted%s%s)", res->signal ? " by " : "",
                 res->signal ? signal_name(res->signal) : "");
    fprintf(f, "sigsynth: %s run %s, %s .. %s%s: %llu requests, %llu spans (%llu errors), "
               "%llu logs, %llu metric points in %llu series\n",
            r->s->name, r->run_id, start, end, intr,
            (unsigned long long)c->requests, (unsigned long long)c->spans,
            (unsigned long long)c->error_spans, (unsigned long long)c->logs,
            (unsigned long long)c->metric_points, (unsigned long long)res->series);
    for (size_t i = 0; i < nex; i++) {
        sx_export_stats st;
        ex[i]->ops->stats(ex[i], &st);
        uint64_t dropped = st.dropped[0] + st.dropped[1] + st.dropped[2];
        dropped_total += dropped;
        fprintf(f, "  %s: delivered %llu spans, %llu logs, %llu points; retried %llu; "
                   "dropped %llu",
                ex[i]->ops->name, (unsigned long long)st.delivered[0],
                (unsigned long long)st.delivered[1], (unsigned long long)st.delivered[2],
                (unsigned long long)st.retries, (unsigned long long)dropped);
        for (uint32_t k = 0; k < st.nerrors; k++)
            fprintf(f, "%s%s x%llu", k ? ", " : " (", st.errors[k].what,
                    (unsigned long long)st.errors[k].count);
        fputs(st.nerrors ? ")\n" : "\n", f);
    }
    return dropped_total;
}
