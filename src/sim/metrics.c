#include "sim/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/incident.h"
#include "util/err.h"

/* Bucket boundaries from the OpenTelemetry semantic conventions. */
static const double http_bounds[] = { 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                                      0.5,   0.75, 1.0,   2.5,  5.0,   7.5, 10.0 };
static const double rpc_bounds[] = { 0,   5,    10,   25,   50,   75,   100,  250,
                                     500, 750, 1000, 2500, 5000, 7500, 10000 };
static const double db_bounds[] = { 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0 };

#define NB(a) ((uint32_t)(sizeof(a) / sizeof(*(a))))

static const sx_family builtin[SX_FAM_NBUILTIN] = {
    { SX_FAM_HTTP_SERVER, SX_FAM_HISTOGRAM, "http.server.request.duration", "s",
      "Duration of HTTP server requests.", false, http_bounds, NB(http_bounds), 1.0, NULL, 0 },
    { SX_FAM_RPC_SERVER, SX_FAM_HISTOGRAM, "rpc.server.duration", "ms",
      "Measures the duration of inbound RPC.", false, rpc_bounds, NB(rpc_bounds), 1000.0, NULL,
      0 },
    { SX_FAM_DB_CLIENT, SX_FAM_HISTOGRAM, "db.client.operation.duration", "s",
      "Duration of database client operations.", false, db_bounds, NB(db_bounds), 1.0, NULL, 0 },
    { SX_FAM_HTTP_CLIENT, SX_FAM_HISTOGRAM, "http.client.request.duration", "s",
      "Duration of HTTP client requests.", false, http_bounds, NB(http_bounds), 1.0, NULL, 0 },
    { SX_FAM_RPC_CLIENT, SX_FAM_HISTOGRAM, "rpc.client.duration", "ms",
      "Measures the duration of outbound RPC.", false, rpc_bounds, NB(rpc_bounds), 1000.0, NULL,
      0 },
    { SX_FAM_MSG_CLIENT, SX_FAM_HISTOGRAM, "messaging.client.operation.duration", "s",
      "Duration of messaging operation initiated by a producer or consumer client.", false,
      db_bounds, NB(db_bounds), 1.0, NULL, 0 },
    { SX_FAM_RESTARTS, SX_FAM_SUM, "kube_pod_container_status_restarts_total", "1",
      "The number of container restarts per container.", true, NULL, 0, 1.0, NULL, 0 },
};

static uint64_t series_key(uint32_t fam, uint32_t resource, uint32_t op, uint32_t peer,
                           int32_t code)
{
    uint64_t h = sx_mix64(fam, resource);
    h = sx_mix64(h, ((uint64_t)op << 16) | peer);
    return sx_mix64(h, (uint64_t)(uint32_t)code);
}

static int table_grow(sx_metrics *m);

static int table_insert(sx_metrics *m, uint64_t key, uint32_t idx)
{
    if ((m->nseries + 1) * 2 > m->table_cap && table_grow(m))
        return SX_ENOMEM;
    uint32_t mask = m->table_cap - 1;
    for (uint32_t i = (uint32_t)key & mask;; i = (i + 1) & mask) {
        if (!m->table[i]) {
            m->table[i] = idx + 1;
            return 0;
        }
    }
}

static uint64_t key_of(const sx_series *se)
{
    return series_key(se->fam->index, se->resource, se->operation, se->peer_service, se->code);
}

static int table_grow(sx_metrics *m)
{
    uint32_t cap = m->table_cap ? m->table_cap * 2 : 256;
    uint32_t *t = calloc(cap, sizeof(*t));

    if (!t)
        return SX_ENOMEM;
    free(m->table);
    m->table = t;
    m->table_cap = cap;
    for (uint32_t i = 0; i < m->nseries; i++) {
        uint32_t mask = cap - 1;
        for (uint32_t j = (uint32_t)key_of(&m->series[i]) & mask;; j = (j + 1) & mask) {
            if (!t[j]) {
                t[j] = i + 1;
                break;
            }
        }
    }
    return 0;
}

/* New series: the only place metrics allocate after start-up, once per
 * distinct label set. */
static sx_series *series_add(sx_metrics *m, const sx_family *fam, uint32_t resource, uint32_t op,
                             uint32_t peer, int32_t code, int64_t start_ns, uint64_t seed)
{
    sx_series *se;

    if (m->nseries == m->cap) {
        uint32_t cap = m->cap ? m->cap * 2 : 64;
        sx_series *s = realloc(m->series, cap * sizeof(*s));
        if (!s)
            return NULL;
        m->series = s;
        m->cap = cap;
    }
    se = &m->series[m->nseries];
    memset(se, 0, sizeof(*se));
    se->fam = fam;
    se->resource = resource;
    se->operation = (uint16_t)op;
    se->peer_service = (uint16_t)peer;
    se->code = code;
    se->start_ns = start_ns;
    se->next = UINT32_MAX;
    if (fam->type == SX_FAM_HISTOGRAM) {
        se->buckets = calloc(fam->nbounds + 1, sizeof(*se->buckets));
        se->exemplars = calloc(fam->nbounds + 1, sizeof(*se->exemplars));
        if (!se->buckets || !se->exemplars) {
            free(se->buckets);
            free(se->exemplars);
            return NULL;
        }
    }
    sx_rng_seed(&se->rng, seed, sx_mix64(0x7365726965735full, key_of(se)));
    if (table_insert(m, key_of(se), m->nseries)) {
        free(se->buckets);
        free(se->exemplars);
        return NULL;
    }
    if (m->res_first[resource] == UINT32_MAX)
        m->res_first[resource] = m->nseries;
    else
        m->series[m->res_last[resource]].next = m->nseries;
    m->res_last[resource] = m->nseries;
    m->nseries++;
    return se;
}

static sx_series *series_find(sx_metrics *m, uint32_t fam, uint32_t resource, uint32_t op,
                              uint32_t peer, int32_t code)
{
    uint64_t key = series_key(fam, resource, op, peer, code);

    if (!m->table_cap)
        return NULL;
    uint32_t mask = m->table_cap - 1;
    for (uint32_t i = (uint32_t)key & mask; m->table[i]; i = (i + 1) & mask) {
        sx_series *se = &m->series[m->table[i] - 1];
        if (se->fam->index == fam && se->resource == resource && se->operation == op &&
            se->peer_service == peer && se->code == code)
            return se;
    }
    return NULL;
}

static bool has_leak_restart(const sx_scenario *s, uint32_t metric)
{
    for (uint32_t i = 0; i < s->nincidents; i++)
        for (uint32_t j = 0; j < s->incidents[i].neffects; j++) {
            const sx_effect *e = &s->incidents[i].effects[j];
            if (e->kind == SX_EFFECT_METRIC && e->metric_index == (int32_t)metric &&
                e->value_op == SX_OP_LEAK && e->leak_restart)
                return true;
        }
    return false;
}

/* What one sx_series of family f costs: the record, and for histograms the
 * buckets and exemplar slots series_add allocates; plus its table slots. */
static uint64_t series_bytes(uint32_t nbounds, bool histogram)
{
    uint64_t b = sizeof(sx_series) + 2 * 2 * sizeof(uint32_t);
    if (histogram)
        b += (nbounds + 1) * (sizeof(uint64_t) + sizeof(sx_exemplar));
    return b;
}

static void bound_add(sx_metrics_bound *b, uint32_t svc, uint64_t n, uint32_t nbounds,
                      bool histogram)
{
    /* remote-write: a histogram is nbounds + 1 buckets, _sum and _count
     * (sx_rw_series_samples). */
    uint64_t prom = histogram ? n * (nbounds + 3) : n;
    b->prom_series[svc] += prom;
    b->prom_total += prom;
    b->state_series += n;
    b->state_bytes += n * series_bytes(nbounds, histogram);
}

void sx_metrics_bound_of(const sx_scenario *s, sx_metrics_bound *b)
{
    memset(b, 0, sizeof(*b));
    for (uint32_t i = 0; i < s->nservices; i++) {
        const sx_service *svc = &s->services[i];
        uint64_t inst = svc->instances;
        /* target_info, one per resource. */
        b->prom_series[i] += inst;
        b->prom_total += inst;
        /* Server histograms: services only (walk_server), one series per
         * instance, operation and code: the ok code or error_status. */
        if (svc->kind == SX_KIND_SERVICE) {
            for (uint32_t j = 0; j < svc->nops; j++) {
                const sx_operation *op = &svc->ops[j];
                uint32_t ok = op->protocol == SX_PROTO_HTTP ? 200 : 0;
                uint64_t codes = op->error_status == (int32_t)ok ? 1 : 2;
                uint32_t nb = op->protocol == SX_PROTO_HTTP ? NB(http_bounds) : NB(rpc_bounds);
                bound_add(b, i, inst * codes, nb, true);
            }
        }
        /* Client histograms: keyed by the caller's instance and the callee
         * (service, operation), not the calling operation: count each
         * callee once per service. Service callees have none (their server
         * histogram counts the call). */
        uint8_t codes_of[SX_MAX_SERVICES][SX_MAX_OPERATIONS];
        memset(codes_of, 0, sizeof(codes_of));
        for (uint32_t j = 0; j < svc->nops; j++) {
            const sx_operation *op = &svc->ops[j];
            for (uint32_t k = 0; k < op->ncalls; k++) {
                const sx_call *c = &op->calls[k];
                if (c->service < 0 || c->operation < 0 ||
                    s->services[c->service].kind == SX_KIND_SERVICE)
                    continue;
                /* db/cache/queue: ok or error; external: ok, error_status,
                 * and the timeout code when the call has a timeout. */
                uint8_t *m = &codes_of[c->service][c->operation];
                *m |= 1 | 2;
                if (s->services[c->service].kind == SX_KIND_EXTERNAL && c->timeout > 0.0)
                    *m |= 4;
            }
        }
        for (uint32_t p = 0; p < s->nservices; p++) {
            const sx_service *peer = &s->services[p];
            for (uint32_t o = 0; o < peer->nops; o++) {
                uint8_t m = codes_of[p][o];
                if (!m)
                    continue;
                uint64_t codes = (uint64_t)((m & 1) + ((m >> 1) & 1) + ((m >> 2) & 1));
                uint32_t nb = peer->kind == SX_KIND_EXTERNAL
                                  ? (peer->ops[o].protocol == SX_PROTO_HTTP ? NB(http_bounds)
                                                                            : NB(rpc_bounds))
                                  : NB(db_bounds);
                bound_add(b, i, inst * codes, nb, true);
            }
        }
    }
    /* Custom metrics (sx_metrics_init) and the restart counters of leaks. */
    bool restarts[SX_MAX_SERVICES] = { false };
    for (uint32_t i = 0; i < s->nmetrics; i++) {
        const sx_metric *cm = &s->metrics[i];
        uint32_t svc = cm->service >= 0 ? (uint32_t)cm->service : 0;
        uint64_t inst = cm->service >= 0 ? s->services[svc].instances : 1;
        uint64_t n = cm->per_instance ? inst : 1;
        bool hist = cm->type == SX_METRIC_HISTOGRAM;
        bound_add(b, svc, n, hist ? NB(http_bounds) : 0, hist);
        if (cm->service >= 0 && !restarts[svc] && has_leak_restart(s, i)) {
            restarts[svc] = true;
            bound_add(b, svc, inst, 0, false);
        }
    }
    b->state_bytes += sizeof(sx_family) * (SX_FAM_NBUILTIN + s->nmetrics);
}

int sx_metrics_init(sx_metrics *m, const sx_run *r)
{
    const sx_scenario *s = r->s;

    memset(m, 0, sizeof(*m));
    m->nfams = SX_FAM_NBUILTIN + s->nmetrics;
    m->fams = calloc(m->nfams, sizeof(*m->fams));
    m->res_first = malloc(r->nresources * sizeof(*m->res_first));
    m->res_last = malloc(r->nresources * sizeof(*m->res_last));
    if (!m->fams || !m->res_first || !m->res_last)
        goto oom;
    memset(m->res_first, 0xff, r->nresources * sizeof(*m->res_first));
    for (uint32_t i = 0; i < SX_FAM_NBUILTIN; i++) {
        m->fams[i] = builtin[i];
        m->fams[i].index = i;
    }
    for (uint32_t i = 0; i < s->nmetrics; i++) {
        const sx_metric *cm = &s->metrics[i];
        sx_family *f = &m->fams[SX_FAM_NBUILTIN + i];
        f->id = SX_FAM_CUSTOM;
        f->index = SX_FAM_NBUILTIN + i;
        f->custom = cm;
        f->name = cm->name;
        /* No unit unless declared: "1" would make an OTel Collector add
         * "_ratio" to the Prometheus name. */
        f->unit = cm->unit ? cm->unit : "";
        f->description = cm->description ? cm->description : "";
        f->scale = 1.0;
        if (cm->type == SX_METRIC_GAUGE) {
            f->type = SX_FAM_GAUGE;
        } else if (cm->type == SX_METRIC_COUNTER) {
            f->type = SX_FAM_SUM;
            f->monotonic = true;
        } else {
            f->type = SX_FAM_HISTOGRAM;
            f->bounds = http_bounds;
            f->nbounds = NB(http_bounds);
        }
        uint32_t n = cm->per_instance ? s->services[cm->service].instances : 1;
        for (uint32_t k = 0; k < n; k++) {
            sx_series *se = series_add(m, f, sx_run_resource(r, (uint32_t)cm->service, k),
                                       SX_NO_INDEX, SX_NO_INDEX, 0, r->cfg.start_ns, r->cfg.seed);
            if (!se)
                goto oom;
            se->level = 0.0;   /* the walk's deviation from the mean, not the mean */
            se->value = cm->type == SX_METRIC_GAUGE ? cm->baseline : 0.0;
        }
        if (has_leak_restart(s, i)) {
            for (uint32_t k = 0; k < s->services[cm->service].instances; k++) {
                uint32_t res = sx_run_resource(r, (uint32_t)cm->service, k);
                if (!series_find(m, SX_FAM_RESTARTS, res, SX_NO_INDEX, SX_NO_INDEX, 0) &&
                    !series_add(m, &m->fams[SX_FAM_RESTARTS], res, SX_NO_INDEX, SX_NO_INDEX, 0,
                                r->cfg.start_ns, r->cfg.seed))
                    goto oom;
            }
        }
    }
    return 0;
oom:
    sx_metrics_fini(m);
    return SX_ENOMEM;
}

void sx_metrics_fini(sx_metrics *m)
{
    for (uint32_t i = 0; i < m->nseries; i++) {
        free(m->series[i].buckets);
        free(m->series[i].exemplars);
    }
    free(m->series);
    free(m->pending);
    free(m->table);
    free(m->fams);
    free(m->res_first);
    free(m->res_last);
    memset(m, 0, sizeof(*m));
}

static uint32_t family_of_span(const sx_run *r, const sx_span *sp)
{
    const sx_scenario *s = r->s;

    if (sp->kind == SX_SPAN_SERVER)
        return s->services[sp->service].ops[sp->operation].protocol == SX_PROTO_HTTP
                   ? SX_FAM_HTTP_SERVER
                   : SX_FAM_RPC_SERVER;
    if (sp->kind != SX_SPAN_CLIENT || sp->peer_service == SX_NO_INDEX)
        return UINT32_MAX;
    const sx_service *peer = &s->services[sp->peer_service];
    switch (peer->kind) {
    case SX_KIND_DATABASE:
    case SX_KIND_CACHE:
        return SX_FAM_DB_CLIENT;
    case SX_KIND_QUEUE:
        return SX_FAM_MSG_CLIENT;
    case SX_KIND_EXTERNAL:
        return peer->ops[sp->peer_operation].protocol == SX_PROTO_HTTP ? SX_FAM_HTTP_CLIENT
                                                                       : SX_FAM_RPC_CLIENT;
    default:
        return UINT32_MAX;   /* service-to-service client calls: the callee's server histogram */
    }
}

int sx_metrics_record_span(sx_metrics *m, const sx_run *r, const sx_span *sp, bool with_exemplar)
{
    uint32_t fam = family_of_span(r, sp);
    uint32_t res, op, peer;
    int32_t code;
    sx_series *se;

    if (fam == UINT32_MAX)
        return 0;
    res = sx_run_resource(r, sp->service, sp->instance);
    if (sp->kind == SX_SPAN_SERVER) {
        op = sp->operation;
        peer = SX_NO_INDEX;
        code = sp->code;
    } else {
        op = sp->peer_operation;
        peer = sp->peer_service;
        /* db/messaging series split by outcome; HTTP/RPC by status code. */
        code = fam == SX_FAM_DB_CLIENT || fam == SX_FAM_MSG_CLIENT
                   ? (sp->status == SX_STATUS_ERROR)
                   : sp->code;
    }
    se = series_find(m, fam, res, op, peer, code);
    if (!se) {
        se = series_add(m, &m->fams[fam], res, op, peer, code, r->cfg.start_ns, r->cfg.seed);
        if (!se)
            return SX_ENOMEM;
        se->error = sp->status == SX_STATUS_ERROR;
    }
    const sx_family *f = se->fam;
    double v = (double)(sp->end_ns - sp->start_ns) * 1e-9 * f->scale;
    uint32_t b = 0;
    while (b < f->nbounds && v > f->bounds[b])
        b++;
    se->buckets[b]++;
    se->count++;
    se->sum += v;
    if (!with_exemplar)
        return 0;
    /* The latest request per bucket becomes its exemplar. */
    sx_exemplar *ex = &se->exemplars[b];
    memcpy(ex->trace_id, sp->trace_id, 16);
    memcpy(ex->span_id, sp->span_id, 8);
    ex->value = v;
    ex->time_ns = sp->end_ns;
    ex->incidents = sp->incidents;
    ex->set = true;
    return 0;
}

/* Mean of a custom series at t after incident effects on its baseline. */
static double effective(const sx_scenario *s, uint32_t metric, double base, double t,
                        double *leak_rate, double *leak_limit, bool *leak_restart)
{
    double setv = base, set_start = -1.0, mult = 1.0, add = 0.0;

    *leak_rate = 0.0;
    for (uint32_t i = 0; i < s->nincidents; i++) {
        const sx_incident *inc = &s->incidents[i];
        double k = sx_incident_intensity(inc, t);
        if (k <= 0.0)
            continue;
        for (uint32_t j = 0; j < inc->neffects; j++) {
            const sx_effect *e = &inc->effects[j];
            if (e->kind != SX_EFFECT_METRIC || e->metric_index != (int32_t)metric)
                continue;
            switch (e->value_op) {
            case SX_OP_SET:   /* a set holds its value for the whole incident */
                if (inc->start >= set_start) {
                    set_start = inc->start;
                    setv = e->value;
                }
                break;
            case SX_OP_RAMP_TO:
                if (inc->start >= set_start) {
                    set_start = inc->start;
                    setv = base + (e->value - base) * k;
                }
                break;
            case SX_OP_MULTIPLY:
                mult *= 1.0 + (e->value - 1.0) * k;
                break;
            case SX_OP_ADD:
                add += e->value * k;
                break;
            case SX_OP_LEAK:
                *leak_rate += e->leak_rate * k;
                *leak_limit = e->leak_limit;
                *leak_restart = e->leak_restart;
                break;
            default:
                break;
            }
        }
    }
    return setv * mult + add;
}

int sx_metrics_advance(sx_metrics *m, const sx_run *r, double t, double dt, sx_restart_cb cb,
                       void *ctx)
{
    const sx_scenario *s = r->s;

    for (uint32_t i = 0; i < m->nseries; i++) {
        sx_series *se = &m->series[i];
        const sx_metric *cm = se->fam->custom;
        if (!cm)
            continue;
        uint32_t metric = se->fam->index - SX_FAM_NBUILTIN;
        double leak_rate, leak_limit = INFINITY;
        bool restart = false;
        if (cm->type == SX_METRIC_GAUGE) {
            double mean = effective(s, metric, cm->baseline, t, &leak_rate, &leak_limit, &restart);
            double noise;
            if (cm->walk > 0.0) {
                /* Ornstein-Uhlenbeck: wanders, and returns to 0 over `walk`. */
                double a = exp(-dt / cm->walk);
                se->level = se->level * a + cm->noise * sqrt(1.0 - a * a) * sx_rng_normal(&se->rng);
                noise = se->level;
            } else {
                noise = cm->noise * sx_rng_normal(&se->rng);
            }
            se->leaked += leak_rate * dt;
            double v = mean + noise + se->leaked;
            if (leak_rate > 0.0 && v >= leak_limit) {
                if (restart) {
                    /* The container is OOM-killed: memory starts over. */
                    double over = leak_rate > 0 ? (v - leak_limit) / leak_rate : 0.0;
                    se->leaked = 0.0;
                    v = mean + noise;
                    sx_series *rs = series_find(m, SX_FAM_RESTARTS, se->resource, SX_NO_INDEX,
                                                SX_NO_INDEX, 0);
                    if (rs) {
                        rs->value += 1.0;
                        m->restarts_total++;
                    }
                    if (cb)
                        cb(ctx, se->resource, t - (over < dt ? over : 0.0), cm);
                } else {
                    se->leaked -= v - leak_limit;
                    v = leak_limit;
                }
            }
            if (v < cm->min)
                v = cm->min;
            if (v > cm->max)
                v = cm->max;
            se->value = v;
        } else if (cm->type == SX_METRIC_COUNTER) {
            double rate = effective(s, metric, cm->rate, t, &leak_rate, &leak_limit, &restart);
            double inc = rate * dt * (1.0 + cm->noise * sx_rng_normal(&se->rng));
            if (inc > 0.0)
                se->value += inc;
        } else {
            double rate = effective(s, metric, cm->rate, t, &leak_rate, &leak_limit, &restart);
            uint64_t n = sx_rng_poisson(&se->rng, rate > 0 ? rate * dt : 0.0);
            for (uint64_t k = 0; k < n; k++) {
                double v = sx_dist_sample(&cm->observe.dist, &se->rng);
                uint32_t b = 0;
                while (b < se->fam->nbounds && v > se->fam->bounds[b])
                    b++;
                se->buckets[b]++;
                se->count++;
                se->sum += v;
            }
        }
    }
    return 0;
}

double sx_metrics_custom_value(const sx_metrics *m, const sx_run *r, uint32_t metric,
                               uint32_t resource)
{
    const sx_scenario *s = r->s;
    const sx_metric *cm = &s->metrics[metric];
    uint32_t want = resource;

    if (!cm->per_instance)
        want = sx_run_resource(r, (uint32_t)cm->service, 0);
    for (uint32_t i = m->res_first[want]; i != UINT32_MAX; i = m->series[i].next)
        if (m->series[i].fam->index == SX_FAM_NBUILTIN + metric)
            return m->series[i].value;
    return NAN;
}

void sx_metrics_collected(sx_metrics *m)
{
    for (uint32_t i = 0; i < m->nseries; i++) {
        sx_series *se = &m->series[i];
        if (se->exemplars)
            for (uint32_t b = 0; b <= se->fam->nbounds; b++)
                se->exemplars[b].set = false;
    }
}

int sx_metrics_defer_span(sx_metrics *m, const sx_run *r, const sx_span *sp)
{
    if (sp->end_ns <= m->next_collect_ns)
        return sx_metrics_record_span(m, r, sp, true);
    if (m->npending == m->pending_cap) {
        /* Grows to the spans in flight and stays there: no steady-state malloc. */
        uint32_t cap = m->pending_cap ? m->pending_cap * 2 : 4096;
        sx_span *p = realloc(m->pending, cap * sizeof(*p));
        if (!p)
            return SX_ENOMEM;
        m->pending = p;
        m->pending_cap = cap;
    }
    m->pending[m->npending++] = *sp;
    return 0;
}

int sx_metrics_settle(sx_metrics *m, const sx_run *r, int64_t upto_ns, int64_t exemplar_ns)
{
    uint32_t keep = 0;

    for (uint32_t i = 0; i < m->npending; i++) {
        if (m->pending[i].end_ns <= upto_ns) {
            int rc = sx_metrics_record_span(m, r, &m->pending[i],
                                            m->pending[i].end_ns <= exemplar_ns);
            if (rc)
                return rc;
        } else {
            m->pending[keep++] = m->pending[i];
        }
    }
    m->npending = keep;
    return 0;
}

int64_t sx_metrics_pending_latest(const sx_metrics *m)
{
    int64_t latest = INT64_MIN;

    for (uint32_t i = 0; i < m->npending; i++)
        if (m->pending[i].end_ns > latest)
            latest = m->pending[i].end_ns;
    return latest;
}
