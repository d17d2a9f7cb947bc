#include "sim/walk.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/incident.h"
#include "wire/semconv.h"
#include "util/err.h"

int sx_counts_init(sx_counts *c)
{
    memset(c, 0, sizeof(*c));
    c->op_requests = calloc(SX_MAX_SERVICES * SX_MAX_OPERATIONS, sizeof(*c->op_requests));
    c->op_errors = calloc(SX_MAX_SERVICES * SX_MAX_OPERATIONS, sizeof(*c->op_errors));
    if (!c->op_requests || !c->op_errors) {
        sx_counts_fini(c);
        return SX_ENOMEM;
    }
    return 0;
}

void sx_counts_fini(sx_counts *c)
{
    free(c->op_requests);
    free(c->op_errors);
    memset(c, 0, sizeof(*c));
}

/* ---- bounds ----------------------------------------------------------- */

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

static uint64_t op_spans(const sx_scenario *s, uint32_t svc, uint32_t op, uint64_t *memo)
{
    uint64_t *m = &memo[svc * SX_MAX_OPERATIONS + op];
    const sx_operation *o = &s->services[svc].ops[op];
    uint64_t n = 1;

    if (*m)
        return *m;
    for (uint32_t k = 0; k < o->ncalls; k++) {
        const sx_call *c = &o->calls[k];
        uint64_t per = 1;
        if (s->services[c->service].kind == SX_KIND_SERVICE)
            per = sat_add(per, op_spans(s, (uint32_t)c->service, (uint32_t)c->operation, memo));
        n = sat_add(n, sat_mul(sat_mul(per, c->count), c->retries + 1u));
    }
    return *m = n;
}

int sx_walk_bounds(const sx_scenario *s, uint64_t max_spans, uint64_t *spans, uint64_t *logs)
{
    uint64_t *memo = calloc(SX_MAX_SERVICES * SX_MAX_OPERATIONS, sizeof(*memo));
    uint64_t worst = 0, logs_per_span = 1;

    if (!memo)
        return SX_ENOMEM;
    for (uint32_t i = 0; i < s->traffic.nentrypoints; i++) {
        const sx_entrypoint *e = &s->traffic.entrypoints[i];
        uint64_t n = op_spans(s, (uint32_t)e->service, (uint32_t)e->operation, memo);
        if (n > worst)
            worst = n;
    }
    free(memo);
    /* A server span can match every log spec of its service and operation
     * and every incident log. */
    uint64_t incident_logs = 0;
    for (uint32_t i = 0; i < s->nincidents; i++)
        for (uint32_t j = 0; j < s->incidents[i].neffects; j++)
            incident_logs += s->incidents[i].effects[j].logs.n;
    for (uint32_t i = 0; i < s->nservices; i++) {
        uint64_t most = 0;
        for (uint32_t j = 0; j < s->services[i].nops; j++)
            if (s->services[i].ops[j].logs.n > most)
                most = s->services[i].ops[j].logs.n;
        if (s->services[i].logs.n + most + incident_logs > logs_per_span)
            logs_per_span = s->services[i].logs.n + most + incident_logs;
    }
    *spans = worst;
    *logs = sat_mul(worst, logs_per_span);
    return worst > max_spans ? SX_ELIMIT : 0;
}

/* ---- helpers ---------------------------------------------------------- */

static inline int64_t ns_at(const sx_walker *w, double t)
{
    return w->run->cfg.start_ns + (int64_t)llround(t * 1e9);
}

static inline double sec_of(const sx_walker *w, int64_t ns)
{
    return (double)(ns - w->run->cfg.start_ns) * 1e-9;
}

/* Seconds to nanoseconds, saturating: a heavy tail without `max` can draw
 * absurd values, and a timeline never needs more than a day per span. */
static inline int64_t dur_ns(double seconds)
{
    if (!(seconds > 0.0))
        return 0;
    if (seconds > 86400.0)
        return 86400LL * 1000000000LL;
    return (int64_t)llround(seconds * 1e9);
}

static void random_id(sx_rng *r, uint8_t *out, size_t len)
{
    uint64_t v;

    do {
        for (size_t i = 0; i < len; i += 8) {
            v = sx_rng_next(r);
            memcpy(out + i, &v, len - i < 8 ? len - i : 8);
        }
        v = 0;
        for (size_t i = 0; i < len; i++)
            v |= out[i];
    } while (!v);   /* all-zero ids are invalid in OTLP */
}

struct outcome {
    int64_t end_ns;
    bool failed;
    int32_t code;
    const char *message;
    int64_t slowest_call_ns;        /* for {wait_ms} */
    int32_t last_db_service;        /* for {db.*} placeholders */
    int32_t last_db_operation;
};

/* ---- logs ------------------------------------------------------------- */

static void put_hex(sx_strbuf *b, const uint8_t *id, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[32];

    for (size_t i = 0; i < len; i++) {
        tmp[2 * i] = hex[id[i] >> 4];
        tmp[2 * i + 1] = hex[id[i] & 15];
    }
    sx_strbuf_append(b, tmp, 2 * len);
}

static void put_number(sx_strbuf *b, double v)
{
    if (isnan(v))
        sx_strbuf_puts(b, "NaN");
    else if (fabs(v) < 1e15 && v == floor(v))
        sx_strbuf_printf(b, "%.0f", v);
    else
        sx_strbuf_printf(b, "%.3g", v);
}

struct logctx {
    const sx_span *span;            /* NULL for background logs */
    const struct outcome *out;
    uint32_t resource;
    double t;
};

static bool key_is(const char *k, size_t len, const char *name)
{
    return strlen(name) == len && memcmp(k, name, len) == 0;
}

static void put_incidents(sx_strbuf *b, const sx_scenario *s, uint32_t mask)
{
    bool first = true;

    for (uint32_t i = 0; i < s->nincidents && i < 32; i++) {
        if (!(mask & (1u << i)))
            continue;
        if (!first)
            sx_strbuf_putc(b, ',');
        sx_strbuf_puts(b, s->incidents[i].name);
        first = false;
    }
}

/* Resolves one {placeholder}; false when nothing by that name exists. */
static bool put_placeholder(sx_walker *w, const sx_log_spec *spec, const struct logctx *lc,
                            const char *k, size_t len)
{
    const sx_run *r = w->run;
    const sx_scenario *s = r->s;
    const sx_resource *res = &r->resources[lc->resource];
    const sx_service *svc = &s->services[res->service];
    sx_strbuf *b = &w->batch->text;
    const sx_span *sp = lc->span;
    const sx_operation *op = sp ? &svc->ops[sp->operation] : NULL;

    for (uint32_t i = 0; spec && i < spec->attrs.n; i++)
        if (key_is(k, len, spec->attrs.v[i].key))
            return sx_strbuf_puts(b, spec->attrs.v[i].str), true;
    if (key_is(k, len, "service") || key_is(k, len, "service.name"))
        return sx_strbuf_puts(b, svc->name), true;
    if (key_is(k, len, "instance") || key_is(k, len, "service.instance.id") ||
        key_is(k, len, "k8s.pod.name"))
        return sx_strbuf_puts(b, res->instance_id), true;
    if (key_is(k, len, "severity"))
        return sx_strbuf_puts(b, spec ? spec->severity_text : "INFO"), true;
    if (key_is(k, len, "incident"))
        return put_incidents(b, s, sx_incidents_active(s, lc->t)), true;
    for (uint32_t i = 0; i < s->nmetrics; i++)
        if (key_is(k, len, s->metrics[i].name))
            return put_number(b, sx_metrics_custom_value(w->metrics, r, i, lc->resource)), true;
    for (uint32_t i = 0; i < svc->attrs.n; i++)
        if (key_is(k, len, svc->attrs.v[i].key))
            return sx_strbuf_puts(b, svc->attrs.v[i].str), true;
    if (!sp)
        return false;
    if (key_is(k, len, "operation"))
        return sx_strbuf_puts(b, op->name), true;
    if (key_is(k, len, "duration_ms"))
        return put_number(b, (double)((sp->end_ns - sp->start_ns) / 1000000)), true;
    if (key_is(k, len, "wait_ms"))
        return put_number(b, (double)(lc->out->slowest_call_ns / 1000000)), true;
    if (key_is(k, len, "status") || key_is(k, len, "http.response.status_code") ||
        key_is(k, len, "rpc.grpc.status_code"))
        return sx_strbuf_printf(b, "%d", sp->code), true;
    if (key_is(k, len, "error.message"))
        return sx_strbuf_puts(b, sp->error_message ? sp->error_message : ""), true;
    if (key_is(k, len, "error.type")) {
        sx_kv_scratch scratch;
        return sx_strbuf_puts(b, sp->status == SX_STATUS_ERROR ? sx_error_type(w->run, sp, &scratch)
                                                               : ""), true;
    }
    if (key_is(k, len, "trace_id"))
        return put_hex(b, sp->trace_id, 16), true;
    if (key_is(k, len, "span_id"))
        return put_hex(b, sp->span_id, 8), true;
    if (key_is(k, len, "http.request.method") && op->http_method)
        return sx_strbuf_puts(b, op->http_method), true;
    if (key_is(k, len, "http.route") && op->http_route)
        return sx_strbuf_puts(b, op->http_route), true;
    if (op->protocol == SX_PROTO_GRPC) {
        if (key_is(k, len, "rpc.system"))
            return sx_strbuf_puts(b, "grpc"), true;
        if (key_is(k, len, "rpc.service"))
            return sx_strbuf_puts(b, svc->name), true;
        if (key_is(k, len, "rpc.method"))
            return sx_strbuf_puts(b, op->name), true;
    }
    if (lc->out->last_db_service >= 0) {
        const sx_service *db = &s->services[lc->out->last_db_service];
        if (key_is(k, len, "db.operation.name"))
            return sx_strbuf_puts(b, db->ops[lc->out->last_db_operation].name), true;
        if (key_is(k, len, "db.system.name"))
            return sx_strbuf_puts(b, db->system ? db->system : ""), true;
        if (key_is(k, len, "server.address"))
            return sx_strbuf_puts(b, db->name), true;
    }
    return false;
}

static void render_body(sx_walker *w, const sx_log_spec *spec, const char *tmpl,
                        const struct logctx *lc)
{
    sx_strbuf *b = &w->batch->text;
    const char *p = tmpl;

    while (*p) {
        const char *open = strchr(p, '{');
        if (!open) {
            sx_strbuf_puts(b, p);
            return;
        }
        sx_strbuf_append(b, p, (size_t)(open - p));
        const char *close = strchr(open, '}');
        if (!close) {
            sx_strbuf_puts(b, open);
            return;
        }
        if (!put_placeholder(w, spec, lc, open + 1, (size_t)(close - open - 1)))
            sx_strbuf_append(b, open, (size_t)(close - open + 1));   /* unknown: as written */
        p = close + 1;
    }
}

/* ---- the longest rendering, for the log-body limit --------------------
 * Mirrors put_placeholder: for each name, the longest text any branch that
 * can match it writes. Keep the two in step. */

#define NUMBER_MAX 24       /* put_number: "%.0f" below 1e15, else "%.3g" */
#define STATUS_MAX 11       /* "%d" of an int32 */

struct body_maxima {
    uint64_t svc_name, op_name, error_message, incidents, db_op, db_system, db_name;
};

static uint64_t umax(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

static void body_maxima(const sx_scenario *s, struct body_maxima *m)
{
    memset(m, 0, sizeof(*m));
    /* Messages walk.c can give a span: its own, its callee's, timeouts
     * ("svc.op timed out after 1s", built in run.c into 400 bytes). */
    m->error_message = strlen("dependency failed");
    for (uint32_t i = 0; i < s->nservices; i++) {
        const sx_service *svc = &s->services[i];
        m->svc_name = umax(m->svc_name, strlen(svc->name));
        for (uint32_t j = 0; j < svc->nops; j++) {
            const sx_operation *op = &svc->ops[j];
            m->op_name = umax(m->op_name, strlen(op->name));
            if (op->error_message)
                m->error_message = umax(m->error_message, strlen(op->error_message));
            if (svc->kind == SX_KIND_DATABASE || svc->kind == SX_KIND_CACHE) {
                m->db_op = umax(m->db_op, strlen(op->name));
                m->db_name = umax(m->db_name, strlen(svc->name));
                m->db_system = umax(m->db_system, svc->system ? strlen(svc->system) : 0);
            }
        }
    }
    m->error_message = umax(m->error_message, umax(399, m->svc_name + m->op_name + 48));
    for (uint32_t i = 0; i < s->nincidents; i++) {
        m->incidents += strlen(s->incidents[i].name) + 1;
        for (uint32_t k = 0; k < s->incidents[i].neffects; k++) {
            const char *em = s->incidents[i].effects[k].error_message;
            if (em)
                m->error_message = umax(m->error_message, strlen(em));
        }
    }
}

static uint64_t attrs_bound(const sx_attrs *a, const char *k, size_t len)
{
    uint64_t m = 0;

    for (uint32_t i = 0; i < a->n; i++)
        if (key_is(k, len, a->v[i].key))
            m = umax(m, strlen(a->v[i].str));
    return m;
}

static uint64_t placeholder_bound(const sx_scenario *s, const sx_log_spec *spec,
                                  const sx_service *svc, const struct body_maxima *mx,
                                  const char *k, size_t len)
{
    uint64_t m = len + 2;   /* unknown names are written as is, braces included */
    uint64_t svc_name = svc ? strlen(svc->name) : mx->svc_name;
    uint64_t op_name = mx->op_name;

    if (svc) {
        op_name = 0;
        for (uint32_t j = 0; j < svc->nops; j++)
            op_name = umax(op_name, strlen(svc->ops[j].name));
    }
    m = umax(m, attrs_bound(&spec->attrs, k, len));
    if (svc)
        m = umax(m, attrs_bound(&svc->attrs, k, len));
    else
        for (uint32_t i = 0; i < s->nservices; i++)
            m = umax(m, attrs_bound(&s->services[i].attrs, k, len));
    for (uint32_t i = 0; i < s->nmetrics; i++)
        if (key_is(k, len, s->metrics[i].name))
            m = umax(m, NUMBER_MAX);
    if (key_is(k, len, "service") || key_is(k, len, "service.name") ||
        key_is(k, len, "rpc.service"))
        m = umax(m, svc_name);
    if (key_is(k, len, "instance") || key_is(k, len, "service.instance.id") ||
        key_is(k, len, "k8s.pod.name"))
        m = umax(m, sizeof(((sx_resource *)0)->instance_id) - 1);
    if (key_is(k, len, "severity"))
        m = umax(m, umax(strlen(spec->severity_text), strlen("INFO")));
    if (key_is(k, len, "incident"))
        m = umax(m, mx->incidents);
    if (key_is(k, len, "operation") || key_is(k, len, "rpc.method") ||
        key_is(k, len, "http.request.method") || key_is(k, len, "http.route"))
        m = umax(m, op_name);
    if (key_is(k, len, "duration_ms") || key_is(k, len, "wait_ms"))
        m = umax(m, NUMBER_MAX);
    if (key_is(k, len, "status") || key_is(k, len, "http.response.status_code") ||
        key_is(k, len, "rpc.grpc.status_code"))
        m = umax(m, STATUS_MAX);
    if (key_is(k, len, "error.message"))
        m = umax(m, mx->error_message);
    if (key_is(k, len, "error.type"))
        m = umax(m, sizeof(((sx_kv_scratch *)0)->text) - 1);
    if (key_is(k, len, "trace_id"))
        m = umax(m, 32);
    if (key_is(k, len, "span_id"))
        m = umax(m, 16);
    if (key_is(k, len, "rpc.system"))
        m = umax(m, strlen("grpc"));
    if (key_is(k, len, "db.operation.name"))
        m = umax(m, mx->db_op);
    if (key_is(k, len, "db.system.name"))
        m = umax(m, mx->db_system);
    if (key_is(k, len, "server.address"))
        m = umax(m, mx->db_name);
    return m;
}

uint64_t sx_walk_body_bound(const sx_scenario *s, const sx_log_spec *spec, int32_t service)
{
    const sx_service *svc = service >= 0 ? &s->services[service] : NULL;
    struct body_maxima mx;
    const char *p = spec->body;
    uint64_t n = 0;

    if (!p)
        return 0;
    body_maxima(s, &mx);
    /* The same scan as render_body. */
    while (*p) {
        const char *open = strchr(p, '{');
        if (!open)
            return n + strlen(p);
        n += (uint64_t)(open - p);
        const char *close = strchr(open, '}');
        if (!close)
            return n + strlen(open);
        n += placeholder_bound(s, spec, svc, &mx, open + 1, (size_t)(close - open - 1));
        p = close + 1;
    }
    return n;
}

static uint64_t logs_bound(const sx_scenario *s, const sx_logs *logs, int32_t svc)
{
    uint64_t n = 0;

    for (uint32_t i = 0; i < logs->n; i++)
        n = sat_add(n, sx_walk_body_bound(s, &logs->v[i], svc));
    return n;
}

/* Log text one server span of (svc, op) and everything below it can
 * render: each log spec of the service, of the operation and of incidents
 * touching it writes at most once per server span (request_logs,
 * incident_logs); calls repeat it count x (retries + 1) times. */
static uint64_t op_log_text(const sx_scenario *s, uint32_t svc, uint32_t op, uint64_t *memo)
{
    uint64_t *m = &memo[svc * SX_MAX_OPERATIONS + op];
    const sx_service *sv = &s->services[svc];
    const sx_operation *o = &sv->ops[op];
    uint64_t n;

    if (*m)
        return *m - 1;
    n = sat_add(logs_bound(s, &sv->logs, (int32_t)svc), logs_bound(s, &o->logs, (int32_t)svc));
    for (uint32_t i = 0; i < s->nincidents; i++)
        for (uint32_t j = 0; j < s->incidents[i].neffects; j++) {
            const sx_effect *e = &s->incidents[i].effects[j];
            if (e->kind == SX_EFFECT_TARGET && e->service == (int32_t)svc &&
                (e->operation < 0 || e->operation == (int32_t)op))
                n = sat_add(n, logs_bound(s, &e->logs, (int32_t)svc));
        }
    for (uint32_t k = 0; k < o->ncalls; k++) {
        const sx_call *c = &o->calls[k];
        if (c->service < 0 || c->operation < 0 || s->services[c->service].kind != SX_KIND_SERVICE)
            continue;
        uint64_t per = op_log_text(s, (uint32_t)c->service, (uint32_t)c->operation, memo);
        n = sat_add(n, sat_mul(sat_mul(per, c->count), c->retries + 1u));
    }
    *m = sat_add(n, 1);   /* 0 marks "not computed" */
    return n;
}

int sx_walk_log_text_bound(const sx_scenario *s, uint64_t *worst, uint32_t *entrypoint)
{
    uint64_t *memo = calloc(SX_MAX_SERVICES * SX_MAX_OPERATIONS, sizeof(*memo));

    *worst = 0;
    *entrypoint = 0;
    if (!memo)
        return SX_ENOMEM;
    for (uint32_t i = 0; i < s->traffic.nentrypoints; i++) {
        const sx_entrypoint *e = &s->traffic.entrypoints[i];
        if (e->service < 0 || e->operation < 0)
            continue;
        uint64_t n = op_log_text(s, (uint32_t)e->service, (uint32_t)e->operation, memo);
        if (n > *worst) {
            *worst = n;
            *entrypoint = i;
        }
    }
    free(memo);
    return 0;
}

static int add_log(sx_walker *w, const sx_log_spec *spec, const char *literal,
                   const struct logctx *lc, int64_t time_ns)
{
    sx_batch *b = w->batch;
    const sx_resource *res = &w->run->resources[lc->resource];
    sx_logrec *l;

    if (!(w->run->cfg.signals & SX_SIG_LOGS))
        return 0;
    if (b->nlogs >= b->log_cap)
        return SX_ELIMIT;   /* the caller sized the batch: this is a bug, not data */
    l = &b->logs[b->nlogs++];
    memset(l, 0, sizeof(*l));
    l->time_ns = time_ns;
    l->service = res->service;
    l->instance = res->instance;
    l->operation = lc->span ? lc->span->operation : SX_NO_INDEX;
    l->spec = spec;
    l->origin = spec ? SX_LOG_FROM_SPEC : SX_LOG_FROM_OOM;
    l->severity_number = spec ? spec->severity_number : 17;
    l->severity_text = spec ? spec->severity_text : "ERROR";
    l->incidents = sx_incidents_active(w->run->s, lc->t);
    if (lc->span) {
        memcpy(l->trace_id, lc->span->trace_id, 16);
        memcpy(l->span_id, lc->span->span_id, 8);
        l->has_trace = 1;
    }
    l->body_off = (uint32_t)b->text.len;
    render_body(w, spec, spec ? spec->body : literal, lc);
    if (b->text.failed)
        return SX_ENOMEM;
    l->body_len = (uint32_t)(b->text.len - l->body_off);
    w->counts->logs++;
    w->counts->logs_by_severity[l->severity_number > 0 && l->severity_number < 25 ? l->severity_number : 0]++;
    return 0;
}

static int request_logs(sx_walker *w, const sx_logs *logs, const sx_span *sp,
                        const struct outcome *out, uint32_t touching, double t)
{
    struct logctx lc = { sp, out, sx_run_resource(w->run, sp->service, sp->instance), t };
    double dur = (double)(sp->end_ns - sp->start_ns) * 1e-9;

    for (uint32_t i = 0; i < logs->n; i++) {
        const sx_log_spec *l = &logs->v[i];
        bool match;
        switch (l->when) {
        case SX_LOG_ERROR: match = sp->status == SX_STATUS_ERROR; break;
        case SX_LOG_SLOW: match = dur > l->slow_over; break;
        case SX_LOG_ALWAYS: match = true; break;
        case SX_LOG_INCIDENT: match = touching != 0; break;
        default: match = false; break;
        }
        if (!match || (l->probability < 1.0 && sx_rng_uniform(&w->rng) >= l->probability))
            continue;
        int rc = add_log(w, l, NULL, &lc, sp->end_ns);
        if (rc)
            return rc;
    }
    return 0;
}

/* Incident logs: `rate` ones become a per-request probability so that they
 * are written by requests and carry trace ids, at the declared rate. */
static int incident_logs(sx_walker *w, const sx_span *sp, const struct outcome *out, double t)
{
    const sx_scenario *s = w->run->s;
    struct logctx lc = { sp, out, sx_run_resource(w->run, sp->service, sp->instance), t };
    double dur = (double)(sp->end_ns - sp->start_ns) * 1e-9;

    for (uint32_t i = 0; i < s->nincidents; i++) {
        const sx_incident *inc = &s->incidents[i];
        double k = sx_incident_intensity(inc, t);
        if (k <= 0.0)
            continue;
        for (uint32_t j = 0; j < inc->neffects; j++) {
            const sx_effect *e = &inc->effects[j];
            if (e->kind != SX_EFFECT_TARGET || !e->logs.n || e->service != sp->service ||
                (e->operation >= 0 && e->operation != sp->operation) ||
                (e->instance >= 0 && e->instance != sp->instance))
                continue;
            for (uint32_t n = 0; n < e->logs.n; n++) {
                const sx_log_spec *l = &e->logs.v[n];
                double p;
                if (l->when == SX_LOG_RATE || l->when == SX_LOG_EVERY) {
                    /* Requests reaching the target per second, at baseline,
                     * spread over its instances when one is targeted. */
                    double reqs = 0.0;
                    const sx_service *svc = &s->services[sp->service];
                    for (uint32_t o = 0; o < svc->nops; o++)
                        if (e->operation < 0 || (int32_t)o == e->operation)
                            reqs += w->expected_rate[sp->service * SX_MAX_OPERATIONS + o];
                    if (e->instance >= 0)
                        reqs /= svc->instances;
                    double rate = l->when == SX_LOG_EVERY ? 1.0 / l->every : l->rate;
                    p = reqs > 0.0 ? rate * k / reqs : 0.0;
                } else if (l->when == SX_LOG_ERROR) {
                    p = sp->status == SX_STATUS_ERROR ? l->probability : 0.0;
                } else if (l->when == SX_LOG_SLOW) {
                    p = dur > l->slow_over ? l->probability : 0.0;
                } else {
                    p = l->probability;
                }
                if (p <= 0.0 || (p < 1.0 && sx_rng_uniform(&w->rng) >= p))
                    continue;
                int rc = add_log(w, l, NULL, &lc, sp->end_ns);
                if (rc)
                    return rc;
            }
        }
    }
    return 0;
}

int sx_walk_background_log(sx_walker *w, const sx_log_spec *spec, uint32_t resource, double t,
                           const char *literal_body)
{
    struct outcome none = { 0, false, 0, NULL, 0, -1, -1 };
    struct logctx lc = { NULL, &none, resource, t };

    return add_log(w, spec, literal_body, &lc, ns_at(w, t));
}

/* ---- the walk --------------------------------------------------------- */

static int walk_server(sx_walker *w, uint32_t svc, uint32_t op, uint32_t inst, int64_t start_ns,
                       const uint8_t *parent, struct outcome *out);

static sx_span *new_span(sx_walker *w)
{
    sx_batch *b = w->batch;

    if (b->nspans >= b->span_cap)
        return NULL;
    sx_span *sp = &b->spans[b->nspans++];
    memset(sp, 0, sizeof(*sp));
    memcpy(sp->trace_id, w->trace_id, 16);
    random_id(&w->rng, sp->span_id, 8);
    sp->peer_service = sp->peer_operation = sp->peer_instance = SX_NO_INDEX;
    return sp;
}

static int finish_span(sx_walker *w, sx_span *sp)
{
    sp->incidents = sx_incidents_active(w->run->s, sec_of(w, sp->start_ns));
    w->counts->spans++;
    if (sp->status == SX_STATUS_ERROR)
        w->counts->error_spans++;
    return sx_metrics_defer_span(w->metrics, w->run, sp);
}

static int32_t ok_code(const sx_operation *op)
{
    return op->protocol == SX_PROTO_HTTP ? 200 : 0;
}

static int32_t timeout_code(const sx_operation *callee)
{
    return callee->protocol == SX_PROTO_HTTP ? 504 : 4;   /* DEADLINE_EXCEEDED */
}

/* One call entry: probability, count repetitions, retries, timeout. */
static int walk_call(sx_walker *w, uint32_t svc, uint32_t op, uint32_t inst, uint32_t ci,
                     const uint8_t *parent, int64_t start_ns, struct outcome *res)
{
    const sx_scenario *s = w->run->s;
    const sx_call *c = &s->services[svc].ops[op].calls[ci];
    const sx_service *callee = &s->services[c->service];
    const sx_operation *cop = &callee->ops[c->operation];
    int64_t t = start_ns;
    int rc;

    res->failed = false;
    res->message = NULL;
    res->code = 0;
    res->slowest_call_ns = 0;
    res->last_db_service = res->last_db_operation = -1;
    if (c->probability < 1.0 && sx_rng_uniform(&w->rng) >= c->probability) {
        res->end_ns = start_ns;
        return 0;
    }
    const bool parallel = s->services[svc].ops[op].parallel;
    int64_t latest = start_ns;
    for (uint32_t n = 0; n < c->count; n++) {
        bool failed = false;
        if (parallel)
            t = start_ns;   /* in a parallel operation the copies run side by side too */
        for (uint32_t a = 0; a <= c->retries; a++) {
            sx_span *cs = new_span(w);
            struct outcome sub;
            int64_t end;
            uint32_t cinst = callee->instances > 1 ? (uint32_t)sx_rng_below(&w->rng, callee->instances) : 0;
            if (!cs)
                return SX_ELIMIT;
            size_t cs_index = (size_t)(cs - w->batch->spans);
            memcpy(cs->parent_span_id, parent, 8);
            cs->kind = SX_SPAN_CLIENT;
            cs->service = (uint16_t)svc;
            cs->instance = (uint16_t)inst;
            cs->operation = (uint16_t)op;
            cs->peer_service = (uint16_t)c->service;
            cs->peer_operation = (uint16_t)c->operation;
            cs->peer_instance = (uint16_t)cinst;
            cs->attempt = (uint8_t)(a < 255 ? a : 255);
            cs->start_ns = t;
            if (callee->kind == SX_KIND_SERVICE) {
                /* Network both ways: ~0.1 ms plus a little jitter. */
                int64_t net = 100000 + (int64_t)(sx_rng_exp(&w->rng, 1.0 / 150000.0));
                uint8_t cs_id[8];
                memcpy(cs_id, cs->span_id, 8);
                rc = walk_server(w, (uint32_t)c->service, (uint32_t)c->operation, cinst,
                                 t + net / 2, cs_id, &sub);
                if (rc)
                    return rc;
                cs = &w->batch->spans[cs_index];
                end = sub.end_ns + net - net / 2;
                failed = sub.failed;
                cs->code = sub.code;
                cs->error_message = sub.message;
            } else {
                sx_op_effects fx;
                sx_effects_at(s, sec_of(w, t), (uint32_t)c->service, (uint32_t)c->operation,
                              cinst, &fx);
                end = t + dur_ns(sx_effects_sample(&fx, &cop->latency.dist, &w->rng));
                failed = fx.error_ratio > 0.0 && sx_rng_uniform(&w->rng) < fx.error_ratio;
                cs->code = failed ? cop->error_status : ok_code(cop);
                if (failed)
                    cs->error_message = fx.error_message ? fx.error_message
                                        : cop->error_message ? cop->error_message
                                                             : "operation failed";
                if (callee->kind == SX_KIND_DATABASE || callee->kind == SX_KIND_CACHE) {
                    res->last_db_service = c->service;
                    res->last_db_operation = c->operation;
                }
            }
            cs->fail = failed ? SX_FAIL_CHILD : SX_FAIL_NONE;
            if (c->timeout > 0.0 && end - t > dur_ns(c->timeout)) {
                end = t + dur_ns(c->timeout);
                failed = true;
                cs->fail = SX_FAIL_TIMEOUT;
                cs->code = timeout_code(cop);
                cs->error_message = sx_run_timeout_message(w->run, svc, op, ci);
            }
            cs->end_ns = end;
            cs->status = failed ? SX_STATUS_ERROR : SX_STATUS_UNSET;
            if (end - t > res->slowest_call_ns)
                res->slowest_call_ns = end - t;
            if (failed) {
                res->message = cs->error_message;
                res->code = cs->code;
            }
            if ((rc = finish_span(w, cs)) != 0)
                return rc;
            t = end;
            if (!failed)
                break;
            if (a < c->retries)
                t += dur_ns(c->retry_backoff);
        }
        if (t > latest)
            latest = t;
        if (failed) {
            res->failed = true;
            if (!parallel && !c->ignore_errors)
                break;   /* the caller gives up on the remaining copies */
        }
    }
    res->end_ns = parallel ? latest : t;
    return 0;
}

static int walk_server(sx_walker *w, uint32_t svc, uint32_t op, uint32_t inst, int64_t start_ns,
                       const uint8_t *parent, struct outcome *out)
{
    const sx_scenario *s = w->run->s;
    const sx_operation *o = &s->services[svc].ops[op];
    sx_op_effects fx;
    sx_span *sp = new_span(w);
    int rc;

    if (!sp)
        return SX_ELIMIT;
    size_t idx = (size_t)(sp - w->batch->spans);
    uint8_t self_id[8];
    memcpy(self_id, sp->span_id, 8);
    if (parent)
        memcpy(sp->parent_span_id, parent, 8);

    double t = sec_of(w, start_ns);
    sx_effects_at(s, t, svc, op, inst, &fx);
    int64_t self = dur_ns(sx_effects_sample(&fx, &o->latency.dist, &w->rng));
    int64_t pre = self / 2;   /* own work before and after the calls */
    int64_t cursor = start_ns + pre;
    bool child_failed = false;
    const char *child_msg = NULL;

    out->slowest_call_ns = 0;
    out->last_db_service = out->last_db_operation = -1;
    int64_t children_end = cursor;
    for (uint32_t k = 0; k < o->ncalls; k++) {
        struct outcome sub;
        rc = walk_call(w, svc, op, inst, k, self_id, o->parallel ? start_ns + pre : cursor, &sub);
        if (rc)
            return rc;
        if (!o->parallel)
            cursor = sub.end_ns;
        if (sub.end_ns > children_end)
            children_end = sub.end_ns;
        if (sub.slowest_call_ns > out->slowest_call_ns)
            out->slowest_call_ns = sub.slowest_call_ns;
        if (sub.last_db_service >= 0) {
            out->last_db_service = sub.last_db_service;
            out->last_db_operation = sub.last_db_operation;
        }
        if (sub.failed && !o->calls[k].ignore_errors) {
            child_failed = true;
            if (!child_msg)
                child_msg = sub.message;
            /* A failed call aborts a sequential operation: no payment is
             * charged after the order query failed. */
            if (!o->parallel)
                break;
        }
    }
    bool own_failed = fx.error_ratio > 0.0 && sx_rng_uniform(&w->rng) < fx.error_ratio;

    sp = &w->batch->spans[idx];
    sp->kind = SX_SPAN_SERVER;
    sp->service = (uint16_t)svc;
    sp->instance = (uint16_t)inst;
    sp->operation = (uint16_t)op;
    sp->start_ns = start_ns;
    sp->end_ns = children_end + (self - pre);
    if (own_failed || child_failed) {
        sp->status = SX_STATUS_ERROR;
        sp->fail = own_failed ? SX_FAIL_OWN : SX_FAIL_CHILD;
        sp->code = o->error_status;
        sp->error_message = own_failed ? (fx.error_message ? fx.error_message
                                          : o->error_message ? o->error_message
                                                             : "internal error")
                                       : (child_msg ? child_msg : "dependency failed");
    } else {
        sp->status = SX_STATUS_UNSET;
        sp->code = ok_code(o);
    }
    out->end_ns = sp->end_ns;
    out->failed = sp->status == SX_STATUS_ERROR;
    out->code = sp->code;
    out->message = sp->error_message;
    if ((rc = finish_span(w, sp)) != 0)
        return rc;
    w->counts->op_requests[svc * SX_MAX_OPERATIONS + op]++;
    if (out->failed)
        w->counts->op_errors[svc * SX_MAX_OPERATIONS + op]++;

    /* Copy: adding logs never moves spans, but keep the rule simple. */
    sx_span copy = *sp;
    if ((rc = request_logs(w, &s->services[svc].logs, &copy, out, fx.touching, t)) != 0 ||
        (rc = request_logs(w, &o->logs, &copy, out, fx.touching, t)) != 0 ||
        (rc = incident_logs(w, &copy, out, t)) != 0)
        return rc;
    return 0;
}

int sx_walk_request(sx_walker *w, uint32_t ep, uint64_t seq, double t)
{
    const sx_scenario *s = w->run->s;
    const sx_entrypoint *e = &s->traffic.entrypoints[ep];
    const sx_service *svc = &s->services[e->service];
    struct outcome out;

    sx_rng_seed(&w->rng, w->run->cfg.seed, sx_mix64(sx_mix64(0x72657175ull, ep), seq));
    random_id(&w->rng, w->trace_id, 16);
    uint32_t inst = svc->instances > 1 ? (uint32_t)sx_rng_below(&w->rng, svc->instances) : 0;
    w->counts->requests++;
    return walk_server(w, (uint32_t)e->service, (uint32_t)e->operation, inst, ns_at(w, t), NULL,
                       &out);
}
