/* Services, operations, calls, latency specs and log specs. */
#include <math.h>
#include <string.h>

#include "scenario/load_internal.h"
#include "scenario/units.h"
#include "util/err.h"

/* ---- latency ---------------------------------------------------------- */

static const struct {
    const char *key;
    double p;
} pct_keys[] = {
    { "p50", 0.50 }, { "p75", 0.75 }, { "p90", 0.90 }, { "p95", 0.95 }, { "p99", 0.99 },
    { "p999", 0.999 },
};

static const char *const latency_keys[] = { "p50", "p75",  "p90",    "p95",    "p99",  "p999",
                                            "min", "max",  "dist",   "median", "sigma", "value",
                                            NULL };

bool ld_latency(sx_loader *ld, const sx_ynode *n, const char *what, sx_latency *out)
{
    const sx_ynode *v, *dist;
    bool ok = true;
    const char *kind = "percentiles";

    memset(out, 0, sizeof(*out));
    out->max = INFINITY;
    if (!n)
        return false;
    out->pos = LD_POS(n);
    if (!ld_is_map(ld, n, what))
        return false;
    ld_check_keys(ld, n, what, latency_keys);
    if ((v = sx_ymap_get(n, "min")) != NULL)
        ok &= ld_duration(ld, v, "min", &out->min);
    if ((v = sx_ymap_get(n, "max")) != NULL)
        ok &= ld_positive_duration(ld, v, "max", &out->max);

    dist = sx_ymap_get(n, "dist");
    if (dist) {
        if (!ld_string(ld, dist, "dist", &kind))
            return false;
        if (strcmp(kind, "lognormal") != 0 && strcmp(kind, "constant") != 0 &&
            strcmp(kind, "percentiles") != 0) {
            ld_error(ld, dist, "unknown dist '%s' (use lognormal or constant, or give "
                               "percentiles p50...p999)", kind);
            return false;
        }
    }
    if (strcmp(kind, "percentiles") != 0) {
        static const char *const pk[] = { "p50", "p75", "p90", "p95", "p99", "p999", NULL };
        bool constant = strcmp(kind, "constant") == 0;
        for (const char *const *k = pk; *k; k++)
            if ((v = sx_ymap_get(n, *k)) != NULL) {
                ld_error(ld, v, "'%s' does not go with dist: %s", *k, kind);
                ok = false;
            }
        for (const char *const *k = (const char *const[]){ "median", "sigma", "min", "max", "value", NULL };
             *k; k++) {
            bool wrong = constant ? strcmp(*k, "value") != 0 : strcmp(*k, "value") == 0;
            if (wrong && (v = sx_ymap_get(n, *k)) != NULL) {
                ld_error(ld, v, "'%s' does not go with dist: %s", *k, kind);
                ok = false;
            }
        }
        if (!ok)
            return false;
    }
    if (strcmp(kind, "lognormal") == 0) {
        out->kind = SX_DIST_LOGNORMAL;
        const sx_ynode *m = sx_ymap_get(n, "median"), *sg = sx_ymap_get(n, "sigma");
        if (!m || !sg) {
            ld_error(ld, n, "a lognormal latency needs 'median' and 'sigma'");
            return false;
        }
        ok &= ld_positive_duration(ld, m, "median", &out->median);
        if (ld_number(ld, sg, "sigma", &out->sigma) && !(out->sigma > 0.0 && out->sigma <= 5.0)) {
            ld_error(ld, sg, "sigma must be above 0 and at most 5, got %s", sg->str);
            ok = false;
        }
        if (!ok)
            return false;
        if (sx_dist_init_lognormal(&out->dist, out->median, out->sigma, out->min, out->max)) {
            ld_error(ld, n, "min and max must surround the median");
            return false;
        }
        out->present = true;
        return true;
    }
    if (strcmp(kind, "constant") == 0) {
        out->kind = SX_DIST_CONSTANT;
        const sx_ynode *c = sx_ymap_get(n, "value");
        if (!c && !ld_misspelled(n, "value")) {
            ld_error(ld, n, "a constant latency needs 'value'");
            return false;
        }
        if (!ld_duration(ld, c, "value", &out->value) || !ok)
            return false;
        sx_dist_init_constant(&out->dist, out->value);
        out->present = true;
        return true;
    }

    out->kind = SX_DIST_QUANTILES;
    for (const char *const *k = (const char *const[]){ "median", "sigma", "value", NULL }; *k; k++) {
        if ((v = sx_ymap_get(n, *k)) != NULL) {
            ld_error(ld, v, "'%s' belongs to dist: %s; percentile latencies use p50...p999", *k,
                     strcmp(*k, "value") == 0 ? "constant" : "lognormal");
            ok = false;
        }
    }
    const sx_ynode *prev_node = NULL;
    for (size_t i = 0; i < sizeof(pct_keys) / sizeof(*pct_keys); i++) {
        double x;
        if (!(v = sx_ymap_get(n, pct_keys[i].key)))
            continue;
        if (!ld_positive_duration(ld, v, pct_keys[i].key, &x)) {
            ok = false;
            continue;
        }
        if (out->nq > 0 && x <= out->values[out->nq - 1]) {
            ld_error(ld, v, "percentiles must increase: %s (%s) is not above %s (%s)",
                     pct_keys[i].key, v->str, prev_node ? prev_node->str : "?",
                     prev_node ? "the one before" : "");
            ok = false;
            continue;
        }
        out->probs[out->nq] = pct_keys[i].p;
        out->values[out->nq] = x;
        out->nq++;
        prev_node = v;
    }
    if (!ok)
        return false;
    if (out->nq < 2) {
        ld_error(ld, n, "%s needs at least two percentiles (e.g. {p50: 12ms, p99: 95ms}), "
                        "or dist: lognormal / constant", what);
        return false;
    }
    if (out->min > 0.0 && out->min >= out->values[0]) {
        ld_error(ld, sx_ymap_get(n, "min"), "min must be below the lowest percentile");
        return false;
    }
    if (isfinite(out->max) && out->max <= out->values[out->nq - 1]) {
        ld_error(ld, sx_ymap_get(n, "max"), "max must be above the highest percentile");
        return false;
    }
    if (sx_dist_init_quantiles(&out->dist, out->probs, out->values, out->nq, out->min,
                               out->max)) {
        ld_error(ld, n, "these percentiles do not form a valid distribution");
        return false;
    }
    out->present = true;
    return true;
}

/* ---- logs ------------------------------------------------------------- */

static const char *const log_keys[] = { "when", "slow_over", "severity", "body", "probability",
                                        "every", "rate", "attributes", NULL };

static const struct {
    const char *name;
    int number;
} severities[] = {
    { "TRACE", 1 }, { "DEBUG", 5 }, { "INFO", 9 },   { "WARN", 13 },
    { "WARNING", 13 }, { "ERROR", 17 }, { "FATAL", 21 }, { "CRITICAL", 21 },
};

static bool ld_severity(sx_loader *ld, const sx_ynode *n, sx_log_spec *out)
{
    char up[16];
    size_t i;

    if (!ld_is_scalar(ld, n, "severity"))
        return false;
    for (i = 0; i < sizeof(up) - 1 && n->str[i]; i++)
        up[i] = (char)(n->str[i] >= 'a' && n->str[i] <= 'z' ? n->str[i] - 32 : n->str[i]);
    up[i] = '\0';
    for (size_t k = 0; k < sizeof(severities) / sizeof(*severities); k++) {
        if (strcmp(up, severities[k].name) == 0 && !n->str[i]) {
            out->severity_number = severities[k].number;
            out->severity_text = severities[k].number == 13   ? "WARN"
                                 : severities[k].number == 21 ? "FATAL"
                                                              : severities[k].name;
            return true;
        }
    }
    ld_error(ld, n, "unknown severity '%s' (use TRACE, DEBUG, INFO, WARN, ERROR or FATAL)",
             n->str);
    return false;
}

static bool ld_log(sx_loader *ld, const sx_ynode *n, bool in_incident, sx_log_spec *out)
{
    const sx_ynode *v, *when = sx_ymap_get(n, "when"), *every = sx_ymap_get(n, "every"),
                       *rate = sx_ymap_get(n, "rate");
    bool ok = true;
    int modes = (when != NULL) + (every != NULL) + (rate != NULL);

    out->pos = LD_POS(n);
    out->probability = 1.0;
    out->severity_number = 9;
    out->severity_text = "INFO";
    if (!ld_is_map(ld, n, "a log entry"))
        return false;
    ld_check_keys(ld, n, "a log entry", log_keys);
    if (modes != 1) {
        ld_error(ld, n, modes ? "a log entry takes one of 'when', 'every' or 'rate', not several"
                              : "a log entry needs 'when' (error, slow, always, incident), "
                                "'every' (background) or 'rate'");
        return false;
    }
    if (when) {
        const char *w;
        if (!ld_string(ld, when, "when", &w))
            return false;
        if (strcmp(w, "error") == 0)
            out->when = SX_LOG_ERROR;
        else if (strcmp(w, "slow") == 0)
            out->when = SX_LOG_SLOW;
        else if (strcmp(w, "always") == 0)
            out->when = SX_LOG_ALWAYS;
        else if (strcmp(w, "incident") == 0)
            out->when = SX_LOG_INCIDENT;
        else {
            static const char *const whens[] = { "error", "slow", "always", "incident", NULL };
            const char *hint = ld_suggest(w, whens, 4);
            ld_error(ld, when, "unknown when '%s'%s%s%s (use error, slow, always or incident)", w,
                     hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
            return false;
        }
        if (out->when == SX_LOG_INCIDENT && in_incident) {
            ld_error(ld, when, "'when: incident' is for service logs; inside an incident, "
                               "use when: error|slow|always or a rate");
            ok = false;
        }
    } else if (every) {
        out->when = SX_LOG_EVERY;
        ok &= ld_positive_duration(ld, every, "every", &out->every);
    } else {
        out->when = SX_LOG_RATE;
        ok &= ld_rate(ld, rate, "rate", true, &out->rate);
        if (!in_incident) {
            ld_error(ld, rate, "'rate' logs belong in an incident's effects; "
                               "for steady background logs use 'every'");
            ok = false;
        }
    }
    v = sx_ymap_get(n, "slow_over");
    if (out->when == SX_LOG_SLOW) {
        if (!v) {
            ld_error(ld, when, "'when: slow' needs 'slow_over' (e.g. slow_over: 500ms)");
            ok = false;
        } else {
            ok &= ld_positive_duration(ld, v, "slow_over", &out->slow_over);
        }
    } else if (v) {
        /* Only `when: slow` reads it; the format's own example sets it on an
         * error log, so it is accepted (and checked) everywhere. */
        double ignored;
        ok &= ld_positive_duration(ld, v, "slow_over", &ignored);
    }
    if ((v = sx_ymap_get(n, "severity")) != NULL)
        ok &= ld_severity(ld, v, out);
    v = sx_ymap_get(n, "body");
    if (!v && !ld_misspelled(n, "body")) {
        ld_error(ld, n, "a log entry needs a 'body'");
        ok = false;
    } else {
        ok &= ld_string(ld, v, "body", &out->body);
    }
    if ((v = sx_ymap_get(n, "probability")) != NULL) {
        ok &= ld_ratio(ld, v, "probability", &out->probability);
        if (out->when == SX_LOG_EVERY || out->when == SX_LOG_RATE) {
            ld_error(ld, v, "'probability' applies to request logs ('when'), not to "
                            "'every'/'rate' logs");
            ok = false;
        }
    }
    if ((v = sx_ymap_get(n, "attributes")) != NULL)
        ok &= ld_attrs(ld, v, "log attributes", &out->attrs);
    return ok;
}

bool ld_logs(sx_loader *ld, const sx_ynode *n, const char *what, bool in_incident, sx_logs *out)
{
    bool ok = true;

    if (!ld_is_seq(ld, n, what))
        return false;
    out->v = sx_arena_calloc(ld->a, n->nitems ? n->nitems : 1, sizeof(*out->v));
    if (!out->v) {
        ld->oom = true;
        return false;
    }
    for (uint32_t i = 0; i < n->nitems; i++) {
        if (ld_log(ld, n->items[i], in_incident, &out->v[out->n]))
            out->n++;
        else
            ok = false;
    }
    return ok;
}

/* ---- calls ------------------------------------------------------------ */

static const char *const call_keys[] = { "to",      "probability",   "count",    "timeout",
                                         "retries", "retry_backoff", "on_error", NULL };

static bool ld_call(sx_loader *ld, const sx_ynode *n, sx_call *c)
{
    const sx_ynode *v;
    uint64_t u;
    bool ok = true;

    c->pos = LD_POS(n);
    c->probability = 1.0;
    c->count = 1;
    c->service = c->operation = -1;
    if (!ld_is_map(ld, n, "a call"))
        return false;
    ld_check_keys(ld, n, "a call", call_keys);
    if (!(v = sx_ymap_get(n, "to")) && !ld_misspelled(n, "to")) {
        ld_error(ld, n, "a call needs 'to: service.operation'");
        ok = false;
    } else if (ld_string(ld, v, "to", &c->target)) {
        c->pos = LD_POS(v);
    } else {
        ok = false;
    }
    if ((v = sx_ymap_get(n, "probability")) != NULL)
        ok &= ld_ratio(ld, v, "probability", &c->probability);
    if ((v = sx_ymap_get(n, "count")) != NULL && (ok &= ld_uint(ld, v, "count", 1, SX_MAX_CALL_COUNT, &u)))
        c->count = (uint32_t)u;
    if ((v = sx_ymap_get(n, "timeout")) != NULL)
        ok &= ld_positive_duration(ld, v, "timeout", &c->timeout);
    if ((v = sx_ymap_get(n, "retries")) != NULL && (ok &= ld_uint(ld, v, "retries", 0, 10, &u)))
        c->retries = (uint32_t)u;
    if ((v = sx_ymap_get(n, "retry_backoff")) != NULL)
        ok &= ld_duration(ld, v, "retry_backoff", &c->retry_backoff);
    if ((v = sx_ymap_get(n, "on_error")) != NULL) {
        const char *oe;
        if (ld_string(ld, v, "on_error", &oe)) {
            if (strcmp(oe, "ignore") == 0)
                c->ignore_errors = true;
            else if (strcmp(oe, "propagate") != 0) {
                ld_error(ld, v, "on_error must be 'propagate' or 'ignore', got '%s'", oe);
                ok = false;
            }
        } else {
            ok = false;
        }
    }
    return ok;
}

/* ---- operations ------------------------------------------------------- */

static const char *const op_keys[] = { "latency", "errors", "error_status", "error_message",
                                       "parallel", "calls", "logs", NULL };

static const char *const http_methods[] = { "GET",     "POST",  "PUT",     "DELETE", "PATCH",
                                            "HEAD",    "OPTIONS", "CONNECT", "TRACE", NULL };

/* "GET /checkout" -> method and route; anything else is an RPC name. */
static bool split_http_name(sx_loader *ld, const char *name, const char **method,
                            const char **route)
{
    const char *sp = strchr(name, ' ');

    if (!sp || sp[1] != '/')
        return false;
    for (const char *const *m = http_methods; *m; m++) {
        if (strlen(*m) == (size_t)(sp - name) && strncmp(name, *m, (size_t)(sp - name)) == 0) {
            *method = *m;
            *route = sp + 1;
            return true;
        }
    }
    return false;
}

static bool valid_op_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == '"' || *s == '{' || *s == '}')
            return false;
    return true;
}

static void ld_operation(sx_loader *ld, sx_service *svc, const sx_ynode *key, const sx_ynode *n,
                         sx_operation *op)
{
    const sx_ynode *v;
    uint64_t u;
    char what[160];
    bool instrumented = svc->kind == SX_KIND_SERVICE;

    op->name = key->str;
    op->pos = LD_POS(key);
    op->protocol = svc->protocol;
    snprintf(what, sizeof(what), "operation '%s'", op->name);
    if (!valid_op_name(op->name))
        ld_error(ld, key, "operation name '%s' may not be empty or contain quotes, braces or "
                          "control characters", op->name);
    /* External APIs are HTTP too: the caller's CLIENT span carries the route. */
    if (!(svc->protocol_set && svc->protocol == SX_PROTO_GRPC) &&
        split_http_name(ld, op->name, &op->http_method, &op->http_route)) {
        op->protocol = SX_PROTO_HTTP;
    } else if (instrumented && svc->protocol_set && svc->protocol == SX_PROTO_HTTP) {
        ld_error(ld, key, "service '%s' speaks HTTP: name its operations 'METHOD /route', "
                          "e.g. \"GET /%s\"", svc->name, op->name);
    } else if (instrumented) {
        op->protocol = SX_PROTO_GRPC;
    }
    if (!ld_is_map(ld, n, what))
        return;
    ld_check_keys(ld, n, what, op_keys);
    v = sx_ymap_get(n, "latency");
    if (!v)
        ld_error(ld, key, "%s needs a 'latency' (its own time, e.g. {p50: 5ms, p99: 40ms})",
                 what);
    else
        ld_latency(ld, v, "latency", &op->latency);
    if ((v = sx_ymap_get(n, "errors")) != NULL)
        ld_ratio(ld, v, "errors", &op->error_ratio);
    op->error_status = op->protocol == SX_PROTO_HTTP ? 500 : 2;
    if ((v = sx_ymap_get(n, "error_status")) != NULL) {
        bool http = op->protocol == SX_PROTO_HTTP;
        if (!instrumented && !http) {
            /* Databases, caches and queues have their own error codes. */
            if (ld_uint(ld, v, "error_status", 1, 99999, &u))
                op->error_status = (int)u;
        } else if (ld_uint(ld, v, http ? "error_status (an HTTP status)"
                                       : "error_status (a gRPC code)",
                           http ? 400 : 1, http ? 599 : 16, &u)) {
            op->error_status = (int)u;
        }
    }
    if ((v = sx_ymap_get(n, "error_message")) != NULL)
        ld_string(ld, v, "error_message", &op->error_message);
    if ((v = sx_ymap_get(n, "parallel")) != NULL)
        ld_bool(ld, v, "parallel", &op->parallel);
    if ((v = sx_ymap_get(n, "calls")) != NULL && ld_is_seq(ld, v, "calls")) {
        if (!instrumented) {
            ld_error(ld, v, "a %s is not instrumented and makes no calls; model its callees "
                            "from the calling service", sx_kind_name(svc->kind));
        } else if (v->nitems > SX_MAX_CALLS) {
            ld_error(ld, v, "%s has %u calls; at most %d are allowed", what, v->nitems,
                     SX_MAX_CALLS);
        } else {
            op->calls = sx_arena_calloc(ld->a, v->nitems ? v->nitems : 1, sizeof(*op->calls));
            if (!op->calls) {
                ld->oom = true;
                return;
            }
            for (uint32_t i = 0; i < v->nitems; i++)
                if (ld_call(ld, v->items[i], &op->calls[op->ncalls]))
                    op->ncalls++;
        }
    }
    if ((v = sx_ymap_get(n, "logs")) != NULL) {
        if (!instrumented)
            ld_error(ld, v, "a %s writes no logs of its own; put logs on the calling service",
                     sx_kind_name(svc->kind));
        else
            ld_logs(ld, v, "logs", false, &op->logs);
    }
}

/* ---- services --------------------------------------------------------- */

static const char *const svc_keys[] = { "kind",     "system",     "instances", "attributes",
                                        "protocol", "operations", "logs",      NULL };

static bool valid_service_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
            return false;
    return true;
}

static const char *default_system(enum sx_kind kind)
{
    switch (kind) {
    case SX_KIND_DATABASE: return "other_sql";
    case SX_KIND_CACHE: return "redis";
    case SX_KIND_QUEUE: return "kafka";
    default: return NULL;
    }
}

static void ld_service(sx_loader *ld, const sx_ynode *key, const sx_ynode *n, sx_service *svc)
{
    const sx_ynode *v;
    uint64_t u;
    char what[128];

    svc->name = key->str;
    svc->pos = LD_POS(key);
    svc->instances = 1;
    svc->protocol = SX_PROTO_GRPC;
    snprintf(what, sizeof(what), "service '%s'", svc->name);
    if (!valid_service_name(svc->name) || key->len > 63)
        ld_error(ld, key, "service name '%s' must start with a-z or 0-9 and use only a-z, 0-9, "
                          "'-' and '_' (at most 63)", svc->name);
    if (!ld_is_map(ld, n, what))
        return;
    ld_check_keys(ld, n, what, svc_keys);
    if ((v = sx_ymap_get(n, "kind")) != NULL) {
        static const char *const kinds[] = { "service", "database", "cache", "queue", "external",
                                             NULL };
        const char *k;
        if (ld_string(ld, v, "kind", &k)) {
            int i;
            for (i = 0; kinds[i] && strcmp(kinds[i], k) != 0; i++)
                ;
            if (kinds[i]) {
                svc->kind = (enum sx_kind)i;
            } else {
                const char *hint = ld_suggest(k, kinds, 5);
                ld_error(ld, v, "unknown kind '%s'%s%s%s (use service, database, cache, queue "
                                "or external)", k, hint ? " (did you mean '" : "",
                         hint ? hint : "", hint ? "'?)" : "");
            }
        }
    }
    svc->system = default_system(svc->kind);
    if ((v = sx_ymap_get(n, "system")) != NULL) {
        if (svc->kind == SX_KIND_SERVICE)
            ld_error(ld, v, "'system' names the product behind a database, cache, queue or "
                            "external kind (e.g. postgresql); set kind first");
        else
            ld_string(ld, v, "system", &svc->system);
    }
    if ((v = sx_ymap_get(n, "instances")) != NULL &&
        ld_uint(ld, v, "instances", 1, SX_MAX_INSTANCES, &u))
        svc->instances = (uint32_t)u;
    if ((v = sx_ymap_get(n, "attributes")) != NULL)
        ld_attrs(ld, v, "service attributes", &svc->attrs);
    if ((v = sx_ymap_get(n, "protocol")) != NULL) {
        const char *p;
        if (ld_string(ld, v, "protocol", &p)) {
            if (strcmp(p, "http") == 0)
                svc->protocol = SX_PROTO_HTTP;
            else if (strcmp(p, "grpc") == 0)
                svc->protocol = SX_PROTO_GRPC;
            else
                ld_error(ld, v, "unknown protocol '%s' (use http or grpc)", p);
            svc->protocol_set = true;
        }
    }
    if ((v = sx_ymap_get(n, "logs")) != NULL) {
        if (svc->kind != SX_KIND_SERVICE)
            ld_error(ld, v, "a %s writes no logs of its own; put logs on the calling service",
                     sx_kind_name(svc->kind));
        else
            ld_logs(ld, v, "logs", false, &svc->logs);
    }
    v = sx_ymap_get(n, "operations");
    if (!v) {
        ld_error(ld, key, "%s needs 'operations'", what);
        return;
    }
    if (!ld_is_map(ld, v, "operations"))
        return;
    if (v->npairs == 0) {
        ld_error(ld, v, "%s has no operations", what);
        return;
    }
    if (v->npairs > SX_MAX_OPERATIONS) {
        ld_error(ld, v, "%s has %u operations; at most %d are allowed", what, v->npairs,
                 SX_MAX_OPERATIONS);
        return;
    }
    svc->ops = sx_arena_calloc(ld->a, v->npairs, sizeof(*svc->ops));
    if (!svc->ops) {
        ld->oom = true;
        return;
    }
    for (uint32_t i = 0; i < v->npairs; i++)
        ld_operation(ld, svc, v->pairs[i].key, v->pairs[i].value, &svc->ops[svc->nops++]);
}

void ld_services(sx_loader *ld, const sx_ynode *n)
{
    sx_scenario *s = ld->s;

    if (!ld_is_map(ld, n, "services"))
        return;
    if (n->npairs == 0) {
        ld_error(ld, n, "services is empty; declare at least one service");
        return;
    }
    if (n->npairs > SX_MAX_SERVICES) {
        ld_error(ld, n, "%u services; at most %d are allowed", n->npairs, SX_MAX_SERVICES);
        return;
    }
    s->services = sx_arena_calloc(ld->a, n->npairs, sizeof(*s->services));
    if (!s->services) {
        ld->oom = true;
        return;
    }
    for (uint32_t i = 0; i < n->npairs; i++)
        ld_service(ld, n->pairs[i].key, n->pairs[i].value, &s->services[s->nservices++]);
}
