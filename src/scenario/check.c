/* Cross-reference checks: run once every section is loaded, because calls,
 * incidents and expectations may name things declared anywhere in the file. */
#include <math.h>
#include <string.h>

#include "scenario/load_internal.h"
#include "scenario/units.h"

static const sx_ynode *at(sx_ynode *tmp, sx_pos pos)
{
    memset(tmp, 0, sizeof(*tmp));
    tmp->line = pos.line;
    tmp->col = pos.col;
    return tmp;
}

/* ---- calls and cycles ------------------------------------------------- */

static void resolve_calls(sx_loader *ld)
{
    sx_scenario *s = ld->s;
    sx_ynode tmp;

    for (uint32_t i = 0; i < s->nservices; i++) {
        for (uint32_t j = 0; j < s->services[i].nops; j++) {
            sx_operation *op = &s->services[i].ops[j];
            for (uint32_t k = 0; k < op->ncalls; k++) {
                sx_call *c = &op->calls[k];
                if (!ld_resolve_op(ld, at(&tmp, c->pos), c->target, &c->service, &c->operation))
                    continue;
                if (c->timeout > 0.0 && c->retries > 0 && c->retry_backoff < 0.0)
                    ld_error(ld, at(&tmp, c->pos), "retry_backoff cannot be negative");
            }
        }
    }
}

enum { WHITE = 0, GREY = 1, BLACK = 2 };

struct dfs {
    sx_loader *ld;
    uint8_t *color;          /* per (service, operation) */
    uint32_t *base;          /* first node index of each service */
    uint32_t path[SX_MAX_SERVICES * SX_MAX_OPERATIONS];
    uint32_t depth;
    bool reported;
};

static uint32_t node_of(const struct dfs *d, int32_t svc, int32_t op)
{
    return d->base[svc] + (uint32_t)op;
}

static void node_name(const sx_scenario *s, const struct dfs *d, uint32_t node, const char **svc,
                      const char **op)
{
    for (uint32_t i = 0; i < s->nservices; i++) {
        if (node >= d->base[i] && node < d->base[i] + s->services[i].nops) {
            *svc = s->services[i].name;
            *op = s->services[i].ops[node - d->base[i]].name;
            return;
        }
    }
}

static void visit(struct dfs *d, int32_t svc, int32_t op)
{
    const sx_scenario *s = d->ld->s;
    uint32_t self = node_of(d, svc, op);
    const sx_operation *o = &s->services[svc].ops[op];

    d->color[self] = GREY;
    d->path[d->depth++] = self;
    for (uint32_t k = 0; k < o->ncalls && !d->reported; k++) {
        const sx_call *c = &o->calls[k];
        if (c->service < 0 || c->operation < 0)
            continue;
        uint32_t next = node_of(d, c->service, c->operation);
        if (d->color[next] == GREY) {
            char cycle[1024];
            size_t len = 0;
            uint32_t from = 0;
            while (d->path[from] != next)
                from++;
            for (uint32_t p = from; p < d->depth && len < sizeof(cycle) - 1; p++) {
                const char *sn = "?", *on = "?";
                node_name(s, d, d->path[p], &sn, &on);
                len += (size_t)snprintf(cycle + len, sizeof(cycle) - len, "%s.%s -> ", sn, on);
            }
            if (len < sizeof(cycle)) {
                const char *sn = "?", *on = "?";
                node_name(s, d, next, &sn, &on);
                snprintf(cycle + len, sizeof(cycle) - len, "%s.%s", sn, on);
            }
            sx_ynode tmp;
            ld_error(d->ld, at(&tmp, c->pos), "call cycle: %s (requests would never end)", cycle);
            d->reported = true;
        } else if (d->color[next] == WHITE) {
            visit(d, c->service, c->operation);
        }
    }
    d->depth--;
    d->color[self] = BLACK;
}

static void check_cycles(sx_loader *ld)
{
    const sx_scenario *s = ld->s;
    uint8_t color[SX_MAX_SERVICES * SX_MAX_OPERATIONS];
    uint32_t base[SX_MAX_SERVICES];
    uint32_t total = 0;
    struct dfs *d;

    for (uint32_t i = 0; i < s->nservices; i++) {
        base[i] = total;
        total += s->services[i].nops;
    }
    memset(color, 0, total);
    d = sx_arena_alloc(ld->a, sizeof(*d));   /* the path array is too big for the stack */
    if (!d) {
        ld->oom = true;
        return;
    }
    d->ld = ld;
    d->color = color;
    d->base = base;
    for (uint32_t i = 0; i < s->nservices; i++)
        for (uint32_t j = 0; j < s->services[i].nops; j++)
            if (color[base[i] + j] == WHITE) {
                d->reported = false;
                d->depth = 0;
                visit(d, (int32_t)i, (int32_t)j);
            }
}

/* Warn about services nothing reaches: usually a typo in a call target. */
static void check_reachability(sx_loader *ld)
{
    const sx_scenario *s = ld->s;
    bool reached[SX_MAX_SERVICES] = { false };
    bool changed = true;
    bool op_reached[SX_MAX_SERVICES][SX_MAX_OPERATIONS];

    memset(op_reached, 0, sizeof(op_reached));
    for (uint32_t i = 0; i < s->traffic.nentrypoints; i++) {
        const sx_entrypoint *e = &s->traffic.entrypoints[i];
        if (e->service >= 0 && e->operation >= 0)
            op_reached[e->service][e->operation] = true;
    }
    while (changed) {
        changed = false;
        for (uint32_t i = 0; i < s->nservices; i++)
            for (uint32_t j = 0; j < s->services[i].nops; j++) {
                if (!op_reached[i][j])
                    continue;
                reached[i] = true;
                const sx_operation *o = &s->services[i].ops[j];
                for (uint32_t k = 0; k < o->ncalls; k++) {
                    const sx_call *c = &o->calls[k];
                    if (c->service >= 0 && c->operation >= 0 &&
                        !op_reached[c->service][c->operation]) {
                        op_reached[c->service][c->operation] = true;
                        changed = true;
                    }
                }
            }
    }
    for (uint32_t i = 0; i < s->nservices; i++) {
        sx_ynode tmp;
        if (!reached[i])
            ld_warn(ld, at(&tmp, s->services[i].pos),
                    "service '%s' receives no traffic: no entrypoint or call reaches it",
                    s->services[i].name);
    }
}

static void check_entrypoints(sx_loader *ld)
{
    const sx_scenario *s = ld->s;
    sx_ynode tmp;

    for (uint32_t i = 0; i < s->traffic.nentrypoints; i++) {
        const sx_entrypoint *e = &s->traffic.entrypoints[i];
        if (e->service < 0)
            continue;
        const sx_service *svc = &s->services[e->service];
        if (svc->kind != SX_KIND_SERVICE)
            ld_error(ld, at(&tmp, e->pos), "'%s' is a %s; traffic enters through an "
                     "instrumented service (kind: service)", svc->name, sx_kind_name(svc->kind));
        for (uint32_t j = 0; j < i; j++) {
            const sx_entrypoint *p = &s->traffic.entrypoints[j];
            if (p->service == e->service && p->operation == e->operation)
                ld_error(ld, at(&tmp, e->pos), "'%s' is already an entrypoint (line %u); "
                         "add the rates in one entry", e->target, p->pos.line);
        }
    }
}

/* ---- incidents -------------------------------------------------------- */

static bool effects_same_target(const sx_effect *a, const sx_effect *b)
{
    return a->service == b->service && a->operation == b->operation && a->instance == b->instance;
}

/* Targets overlap when one contains the other (the service and one of its
 * operations, or all instances and one of them). */
static bool effects_overlap_target(const sx_effect *a, const sx_effect *b)
{
    if (a->service != b->service)
        return false;
    if (a->operation >= 0 && b->operation >= 0 && a->operation != b->operation)
        return false;
    if (a->instance >= 0 && b->instance >= 0 && a->instance != b->instance)
        return false;
    return true;
}

static bool windows_overlap(const sx_incident *a, const sx_incident *b)
{
    return sx_incident_phase_at(a, SX_PHASE_START) < sx_incident_phase_at(b, SX_PHASE_END) &&
           sx_incident_phase_at(b, SX_PHASE_START) < sx_incident_phase_at(a, SX_PHASE_END);
}

static void check_incident_effects(sx_loader *ld)
{
    sx_scenario *s = ld->s;
    sx_ynode tmp;

    for (uint32_t i = 0; i < s->nincidents; i++) {
        sx_incident *inc = &s->incidents[i];
        if (s->duration > 0.0 && sx_incident_phase_at(inc, SX_PHASE_END) > s->duration) {
            char end[32], dur[32];
            sx_format_duration(sx_incident_phase_at(inc, SX_PHASE_END), end, sizeof(end));
            sx_format_duration(s->duration, dur, sizeof(dur));
            ld_warn(ld, at(&tmp, inc->pos), "incident '%s' ends at %s, after the %s timeline; "
                    "its tail is never simulated", inc->name, end, dur);
        }
        for (uint32_t k = 0; k < inc->neffects; k++) {
            sx_effect *e = &inc->effects[k];
            if (e->kind == SX_EFFECT_METRIC && e->metric) {
                e->metric_index = sx_scenario_find_metric(s, e->metric);
                if (e->metric_index < 0) {
                    const char *cands[256];
                    uint32_t n = s->nmetrics < 255 ? s->nmetrics : 255;
                    for (uint32_t m = 0; m < n; m++)
                        cands[m] = s->metrics[m].name ? s->metrics[m].name : "";
                    cands[n] = NULL;
                    const char *hint = ld_suggest(e->metric, cands, n);
                    ld_error(ld, at(&tmp, e->pos), "unknown metric '%s'%s%s%s; incidents act on "
                             "metrics declared under 'metrics:'", e->metric,
                             hint ? " (did you mean '" : "", hint ? hint : "",
                             hint ? "'?)" : "");
                } else {
                    const sx_metric *m = &s->metrics[e->metric_index];
                    if (e->value_op == SX_OP_LEAK && m->type != SX_METRIC_GAUGE)
                        ld_error(ld, at(&tmp, e->pos), "a leak applies to gauges; '%s' is a %s",
                                 m->name, m->type == SX_METRIC_COUNTER ? "counter" : "histogram");
                    if (e->value_op == SX_OP_LEAK && e->leak_limit <= m->baseline)
                        ld_error(ld, at(&tmp, e->pos), "the leak limit must be above the "
                                 "metric's baseline");
                }
            }
            if (e->kind == SX_EFFECT_TARGET && e->service >= 0 && e->logs.n &&
                s->services[e->service].kind != SX_KIND_SERVICE)
                ld_error(ld, at(&tmp, e->pos), "'%s' is a %s and writes no logs; put incident "
                         "logs on the service that calls it", e->target,
                         sx_kind_name(s->services[e->service].kind));
            /* Two effects of the same kind on one target inside one incident
             * have no defined order: which one applies? */
            for (uint32_t j = 0; j < k; j++) {
                const sx_effect *p = &inc->effects[j];
                if (e->kind != p->kind)
                    continue;
                if (e->kind == SX_EFFECT_TARGET && e->service >= 0 && effects_same_target(e, p) &&
                    ((e->latency_op && p->latency_op) || (e->errors_op && p->errors_op)))
                    ld_error(ld, at(&tmp, e->pos), "'%s' already has a %s effect in this "
                             "incident (line %u); merge them", e->target,
                             e->latency_op && p->latency_op ? "latency" : "errors", p->pos.line);
                if (e->kind == SX_EFFECT_METRIC && e->metric && p->metric &&
                    strcmp(e->metric, p->metric) == 0)
                    ld_error(ld, at(&tmp, e->pos), "metric '%s' already has an effect in this "
                             "incident (line %u); merge them", e->metric, p->pos.line);
            }
        }
    }
    /* Across incidents: multiplies and adds compose, and the later `set`
     * wins; what cannot compose is a tie between two sets, or a leak (a
     * process of its own) overlapping any other change to the same gauge. */
    for (uint32_t i = 0; i < s->nincidents; i++) {
        for (uint32_t j = 0; j < i; j++) {
            const sx_incident *a = &s->incidents[j], *b = &s->incidents[i];
            if (!windows_overlap(a, b))
                continue;
            for (uint32_t x = 0; x < b->neffects; x++) {
                const sx_effect *eb = &b->effects[x];
                for (uint32_t y = 0; y < a->neffects; y++) {
                    const sx_effect *ea = &a->effects[y];
                    if (ea->kind != eb->kind)
                        continue;
                    if (eb->kind == SX_EFFECT_TARGET && eb->service >= 0 &&
                        effects_overlap_target(ea, eb) &&
                        a->start == b->start &&
                        ((ea->latency_op == SX_OP_SET && eb->latency_op == SX_OP_SET) ||
                         (ea->errors_op == SX_OP_SET && eb->errors_op == SX_OP_SET)))
                        ld_error(ld, at(&tmp, eb->pos), "incidents '%s' and '%s' start together "
                                 "and both set %s on '%s': no later set can win", a->name,
                                 b->name,
                                 ea->latency_op == SX_OP_SET && eb->latency_op == SX_OP_SET
                                     ? "latency" : "errors",
                                 eb->target);
                    if (eb->kind == SX_EFFECT_METRIC && ea->metric && eb->metric &&
                        strcmp(ea->metric, eb->metric) == 0 &&
                        (ea->value_op == SX_OP_LEAK || eb->value_op == SX_OP_LEAK))
                        ld_error(ld, at(&tmp, eb->pos), "'%s' changes in incidents '%s' and "
                                 "'%s' overlap, and one of them is a leak: a leak cannot "
                                 "compose with other effects", eb->metric, a->name, b->name);
                    if (eb->kind == SX_EFFECT_METRIC && ea->metric && eb->metric &&
                        strcmp(ea->metric, eb->metric) == 0 && a->start == b->start &&
                        ((ea->value_op == SX_OP_SET || ea->value_op == SX_OP_RAMP_TO) &&
                         (eb->value_op == SX_OP_SET || eb->value_op == SX_OP_RAMP_TO)))
                        ld_error(ld, at(&tmp, eb->pos), "incidents '%s' and '%s' start together "
                                 "and both set '%s': no later set can win", a->name, b->name,
                                 eb->metric);
                }
            }
        }
    }
}

/* ---- expectations ----------------------------------------------------- */

static void resolve_anchor(sx_loader *ld, sx_anchor *an)
{
    static const char *const phases[] = { "start", "full", "recovering", "end", NULL };
    sx_ynode tmp;
    const char *t = an->text;
    const char *dot;

    if (!t)
        return;
    if (strcmp(t, "start") == 0 || strcmp(t, "end") == 0) {
        an->incident = -1;
        an->phase = t[0] == 's' ? SX_PHASE_START : SX_PHASE_END;
        return;
    }
    dot = strrchr(t, '.');
    if (!dot) {
        ld_error(ld, at(&tmp, an->pos), "anchor '%s' must be start, end or "
                 "<incident>.<start|full|recovering|end>", t);
        return;
    }
    int32_t inc = sx_scenario_find_incident(ld->s, t, (size_t)(dot - t));
    if (inc < 0) {
        const char *cands[256];
        char name[128];
        uint32_t n = ld->s->nincidents < 255 ? ld->s->nincidents : 255;
        for (uint32_t i = 0; i < n; i++)
            cands[i] = ld->s->incidents[i].name ? ld->s->incidents[i].name : "";
        cands[n] = NULL;
        snprintf(name, sizeof(name), "%.*s", (int)(dot - t), t);
        const char *hint = ld_suggest(name, cands, n);
        ld_error(ld, at(&tmp, an->pos), "unknown incident '%s' in anchor '%s'%s%s%s", name, t,
                 hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
        return;
    }
    for (int p = 0; phases[p]; p++) {
        if (strcmp(dot + 1, phases[p]) == 0) {
            an->incident = inc;
            an->phase = (enum sx_phase)p;
            return;
        }
    }
    const char *hint = ld_suggest(dot + 1, phases, 4);
    ld_error(ld, at(&tmp, an->pos), "unknown phase '%s' in anchor '%s'%s%s%s (use start, full, "
             "recovering or end)", dot + 1, t, hint ? " (did you mean '" : "", hint ? hint : "",
             hint ? "'?)" : "");
}

static void check_expects(sx_loader *ld)
{
    sx_scenario *s = ld->s;

    for (uint32_t i = 0; i < s->nexpects; i++) {
        sx_expect_alert *e = &s->expects[i];
        if (e->fires.present && !e->fires.never)
            resolve_anchor(ld, &e->fires.after);
        if (e->resolves.present)
            resolve_anchor(ld, &e->resolves.after);
    }
}

/* ---- log placeholders ------------------------------------------------- */

static const char *const builtin_placeholders[] = {
    "service", "operation", "duration_ms", "status", "error.message", "trace_id", "span_id",
    "incident", "instance", "wait_ms", "http.request.method", "http.route",
    "http.response.status_code", "rpc.system", "rpc.service", "rpc.method", "db.system.name",
    "db.operation.name", "server.address", "error.type",
    "service.name", "service.instance.id", "k8s.pod.name", "severity", "rpc.grpc.status_code",
    NULL,
};

static bool known_placeholder(const sx_scenario *s, const sx_log_spec *l, const sx_service *svc,
                              const char *name, size_t len)
{
    for (const char *const *b = builtin_placeholders; *b; b++)
        if (strlen(*b) == len && memcmp(*b, name, len) == 0)
            return true;
    for (uint32_t i = 0; i < l->attrs.n; i++)
        if (strlen(l->attrs.v[i].key) == len && memcmp(l->attrs.v[i].key, name, len) == 0)
            return true;
    for (uint32_t i = 0; svc && i < svc->attrs.n; i++)
        if (strlen(svc->attrs.v[i].key) == len && memcmp(svc->attrs.v[i].key, name, len) == 0)
            return true;
    for (uint32_t i = 0; i < s->nmetrics; i++)
        if (s->metrics[i].name && strlen(s->metrics[i].name) == len &&
            memcmp(s->metrics[i].name, name, len) == 0)
            return true;
    return false;
}

static void check_log_bodies(sx_loader *ld, const sx_logs *logs, const sx_service *svc)
{
    sx_ynode tmp;

    for (uint32_t i = 0; i < logs->n; i++) {
        const sx_log_spec *l = &logs->v[i];
        const char *p = l->body;
        while (p && (p = strchr(p, '{')) != NULL) {
            const char *end = strchr(p, '}');
            if (!end) {
                ld_warn(ld, at(&tmp, l->pos), "log body has an unclosed '{'; it is printed as is");
                break;
            }
            if (!known_placeholder(ld->s, l, svc, p + 1, (size_t)(end - p - 1)))
                ld_warn(ld, at(&tmp, l->pos), "unknown placeholder {%.*s} in log body; it is "
                        "printed as is", (int)(end - p - 1), p + 1);
            p = end + 1;
        }
    }
}

static void check_logs(sx_loader *ld)
{
    const sx_scenario *s = ld->s;

    for (uint32_t i = 0; i < s->nservices; i++) {
        const sx_service *svc = &s->services[i];
        check_log_bodies(ld, &svc->logs, svc);
        for (uint32_t j = 0; j < svc->nops; j++)
            check_log_bodies(ld, &svc->ops[j].logs, svc);
    }
    for (uint32_t i = 0; i < s->nincidents; i++)
        for (uint32_t k = 0; k < s->incidents[i].neffects; k++) {
            const sx_effect *e = &s->incidents[i].effects[k];
            check_log_bodies(ld, &e->logs, e->service >= 0 ? &s->services[e->service] : NULL);
        }
}

void sx_scenario_check(sx_loader *ld)
{
    resolve_calls(ld);
    check_entrypoints(ld);
    check_cycles(ld);
    /* With errors, unresolved calls would make this warn about services
     * that are reached once the errors are fixed. */
    if (!ld->d->nerrors)
        check_reachability(ld);
    check_incident_effects(ld);
    check_expects(ld);
    check_logs(ld);
}
