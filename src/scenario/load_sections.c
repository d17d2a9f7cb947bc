/* Traffic, incidents, custom metrics and expectations, plus target names. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scenario/load_internal.h"
#include "scenario/units.h"
#include "util/err.h"

/* ---- targets ---------------------------------------------------------- */

static void suggest_service(sx_loader *ld, const sx_ynode *n, const char *name, size_t len)
{
    const char *cands[SX_MAX_SERVICES + 1];
    char buf[128];
    uint32_t i;

    for (i = 0; i < ld->s->nservices; i++)
        cands[i] = ld->s->services[i].name;
    cands[i] = NULL;
    snprintf(buf, sizeof(buf), "%.*s", (int)len, name);
    const char *hint = ld_suggest(buf, cands, i);
    if (hint)
        ld_error(ld, n, "unknown service '%s' (did you mean '%s'?)", buf, hint);
    else
        ld_error(ld, n, "unknown service '%s'", buf);
}

bool ld_resolve_target(sx_loader *ld, const sx_ynode *n, const char *text, bool allow_instance,
                       int32_t *svc_out, int32_t *op_out, int32_t *inst_out)
{
    const char *p = text;
    size_t name_len = strcspn(p, ".[");
    int32_t svc, op = -1, inst = -1;

    *svc_out = *op_out = *inst_out = -1;
    if (name_len == 0) {
        ld_error(ld, n, "'%s' does not name a service (write service or service.operation)",
                 text);
        return false;
    }
    svc = sx_scenario_find_service(ld->s, p, name_len);
    if (svc < 0) {
        suggest_service(ld, n, p, name_len);
        return false;
    }
    const sx_service *service = &ld->s->services[svc];
    p += name_len;
    if (*p == '[') {
        char *end = NULL;
        uint64_t idx;
        char num[24];
        size_t nl = strcspn(p + 1, "]");
        if (p[1 + nl] != ']' || nl == 0 || nl >= sizeof(num)) {
            ld_error(ld, n, "'%s': expected service[N] with an instance number", text);
            return false;
        }
        memcpy(num, p + 1, nl);
        num[nl] = '\0';
        (void)end;
        int prc = sx_parse_uint(num, 1u << 20, &idx);
        if (prc == SX_ERANGE) {
            idx = UINT32_MAX;   /* reported as out of range below */
        } else if (prc) {
            ld_error(ld, n, "'%s': instance '%s' is not a number", text, num);
            return false;
        }
        if (!allow_instance) {
            ld_error(ld, n, "'%s': only latency, error and log effects can target a single "
                     "instance; calls, entrypoints and traffic name a service", text);
            return false;
        }
        if (idx >= service->instances) {
            ld_error(ld, n, "'%s': service '%s' has %u instance%s (numbered from 0)", text,
                     service->name, service->instances, service->instances == 1 ? "" : "s");
            return false;
        }
        inst = (int32_t)idx;
        p += nl + 2;
    }
    if (*p == '.') {
        char opname[1024];
        const char *o = p + 1;
        size_t ol = strlen(o);
        /* frontend."GET /checkout": the quotes only protect the space. */
        if (ol >= 2 && o[0] == '"' && o[ol - 1] == '"') {
            o++;
            ol -= 2;
        }
        if (ol == 0 || ol >= sizeof(opname)) {
            ld_error(ld, n, "'%s': missing operation name after '.'", text);
            return false;
        }
        memcpy(opname, o, ol);
        opname[ol] = '\0';
        op = sx_service_find_operation(service, opname);
        if (op < 0) {
            const char *cands[SX_MAX_OPERATIONS + 1];
            for (uint32_t i = 0; i < service->nops; i++)
                cands[i] = service->ops[i].name;
            cands[service->nops] = NULL;
            const char *hint = ld_suggest(opname, cands, service->nops);
            if (hint)
                ld_error(ld, n, "service '%s' has no operation '%s' (did you mean '%s'?)",
                         service->name, opname, hint);
            else
                ld_error(ld, n, "service '%s' has no operation '%s'", service->name, opname);
            return false;
        }
    } else if (*p) {
        ld_error(ld, n, "'%s': unexpected '%s' after the service name", text, p);
        return false;
    }
    *svc_out = svc;
    *op_out = op;
    *inst_out = inst;
    return true;
}

bool ld_resolve_op(sx_loader *ld, const sx_ynode *n, const char *text, int32_t *svc,
                   int32_t *op)
{
    int32_t inst;

    if (!ld_resolve_target(ld, n, text, false, svc, op, &inst))
        return false;
    if (*op >= 0)
        return true;
    const sx_service *service = &ld->s->services[*svc];
    if (service->nops == 0)
        return false;   /* its own problem was reported where it is declared */
    if (service->nops == 1) {
        *op = 0;   /* one operation: the service name alone is unambiguous */
        return true;
    }
    ld_error(ld, n, "ambiguous target '%s': service '%s' has %u operations; name one, e.g. "
                    "%s.%s%s%s", text, service->name, service->nops, service->name,
             strchr(service->ops[0].name, ' ') ? "\"" : "", service->ops[0].name,
             strchr(service->ops[0].name, ' ') ? "\"" : "");
    return false;
}

/* ---- traffic ---------------------------------------------------------- */

static const char *const traffic_keys[] = { "entrypoints", "pattern", "diurnal", "bursty", NULL };
static const char *const entry_keys[] = { "to", "rate", NULL };
static const char *const diurnal_keys[] = { "period", "peak", "trough", NULL };
static const char *const bursty_keys[] = { "every", "length", "multiply", NULL };

void ld_traffic(sx_loader *ld, const sx_ynode *n)
{
    sx_traffic *t = &ld->s->traffic;
    const sx_ynode *v;

    t->pos = LD_POS(n);
    t->diurnal_period = 86400.0;
    t->diurnal_peak = 1.5;
    t->diurnal_trough = 0.5;
    t->bursty_every = 300.0;
    t->bursty_length = 30.0;
    t->bursty_multiply = 4.0;
    if (!ld_is_map(ld, n, "traffic"))
        return;
    ld_check_keys(ld, n, "traffic", traffic_keys);
    v = sx_ymap_get(n, "entrypoints");
    if (!v && !ld_misspelled(n, "entrypoints")) {
        ld_error(ld, n, "traffic needs 'entrypoints' (e.g. - {to: frontend.\"GET /\", rate: 50/s})");
    } else if (ld_is_seq(ld, v, "entrypoints")) {
        if (v->nitems == 0)
            ld_error(ld, v, "entrypoints is empty; declare at least one");
        t->entrypoints = sx_arena_calloc(ld->a, v->nitems ? v->nitems : 1, sizeof(*t->entrypoints));
        if (!t->entrypoints) {
            ld->oom = true;
            return;
        }
        for (uint32_t i = 0; i < v->nitems; i++) {
            const sx_ynode *e = v->items[i], *to, *rate;
            sx_entrypoint *ep = &t->entrypoints[t->nentrypoints];
            bool ok = true;
            if (!ld_is_map(ld, e, "an entrypoint"))
                continue;
            ld_check_keys(ld, e, "an entrypoint", entry_keys);
            ep->pos = LD_POS(e);
            ep->service = ep->operation = -1;
            if (!(to = sx_ymap_get(e, "to")) && !ld_misspelled(e, "to")) {
                ld_error(ld, e, "an entrypoint needs 'to: service.operation'");
                ok = false;
            } else {
                ok &= ld_string(ld, to, "to", &ep->target);
                if (ok) {
                    ep->pos = LD_POS(to);
                    ok &= ld_resolve_op(ld, to, ep->target, &ep->service, &ep->operation);
                }
            }
            if (!(rate = sx_ymap_get(e, "rate")) && !ld_misspelled(e, "rate")) {
                ld_error(ld, e, "an entrypoint needs a 'rate' (e.g. 50/s)");
                ok = false;
            } else {
                ok &= ld_rate(ld, rate, "rate", true, &ep->rate);
            }
            if (ok)
                t->nentrypoints++;
        }
    }
    if ((v = sx_ymap_get(n, "pattern")) != NULL) {
        static const char *const pats[] = { "poisson", "constant", "diurnal", "bursty", NULL };
        const char *p;
        if (ld_string(ld, v, "pattern", &p)) {
            int i;
            for (i = 0; pats[i] && strcmp(pats[i], p) != 0; i++)
                ;
            if (pats[i])
                t->pattern = (enum sx_pattern)i;
            else
                ld_error(ld, v, "unknown pattern '%s' (use poisson, constant, diurnal or bursty)",
                         p);
        }
    }
    if ((v = sx_ymap_get(n, "diurnal")) != NULL && ld_is_map(ld, v, "diurnal")) {
        const sx_ynode *x;
        ld_check_keys(ld, v, "diurnal", diurnal_keys);
        if ((x = sx_ymap_get(v, "period")) != NULL)
            ld_positive_duration(ld, x, "period", &t->diurnal_period);
        if ((x = sx_ymap_get(v, "peak")) != NULL)
            ld_number(ld, x, "peak", &t->diurnal_peak);
        if ((x = sx_ymap_get(v, "trough")) != NULL)
            ld_number(ld, x, "trough", &t->diurnal_trough);
        if (!(t->diurnal_trough > 0.0 && t->diurnal_peak >= t->diurnal_trough))
            ld_error(ld, v, "diurnal needs 0 < trough <= peak (multipliers of the rate)");
        if (t->pattern != SX_PATTERN_DIURNAL)
            ld_warn(ld, v, "'diurnal' settings are ignored unless pattern: diurnal");
    }
    if ((v = sx_ymap_get(n, "bursty")) != NULL && ld_is_map(ld, v, "bursty")) {
        const sx_ynode *x;
        ld_check_keys(ld, v, "bursty", bursty_keys);
        if ((x = sx_ymap_get(v, "every")) != NULL)
            ld_positive_duration(ld, x, "every", &t->bursty_every);
        if ((x = sx_ymap_get(v, "length")) != NULL)
            ld_positive_duration(ld, x, "length", &t->bursty_length);
        if ((x = sx_ymap_get(v, "multiply")) != NULL && ld_number(ld, x, "multiply", &t->bursty_multiply) &&
            t->bursty_multiply <= 0.0)
            ld_error(ld, x, "multiply must be above zero");
        if (t->bursty_length >= t->bursty_every)
            ld_error(ld, v, "a burst's length must be shorter than 'every'");
        if (t->pattern != SX_PATTERN_BURSTY)
            ld_warn(ld, v, "'bursty' settings are ignored unless pattern: bursty");
    }
}

/* ---- incidents -------------------------------------------------------- */

static const char *const incident_keys[] = { "name", "start", "ramp", "duration", "recover",
                                             "effects", NULL };
static const char *const target_effect_keys[] = { "target", "latency", "errors",
                                                  "error_message", "logs", NULL };
static const char *const metric_effect_keys[] = { "metric", "value", NULL };
static const char *const traffic_effect_keys[] = { "traffic", NULL };

/* {multiply: X} | {add: X} | {set: X}: exactly one operator. */
static const sx_ynode *one_op(sx_loader *ld, const sx_ynode *n, const char *what,
                              const char *const *ops, enum sx_op_kind *kind)
{
    static const enum sx_op_kind map[] = { SX_OP_SET, SX_OP_ADD, SX_OP_MULTIPLY, SX_OP_RAMP_TO,
                                           SX_OP_LEAK };
    static const char *const names[] = { "set", "add", "multiply", "ramp_to", "leak" };
    const sx_ynode *found = NULL;

    if (!ld_is_map(ld, n, what))
        return NULL;
    ld_check_keys(ld, n, what, ops);
    for (uint32_t i = 0; i < n->npairs; i++) {
        const char *k = n->pairs[i].key->str;
        for (int j = 0; j < 5; j++) {
            if (strcmp(k, names[j]) != 0)
                continue;
            bool allowed = false;
            for (const char *const *o = ops; *o; o++)
                allowed |= strcmp(*o, k) == 0;
            if (!allowed)
                break;
            if (found) {
                ld_error(ld, n->pairs[i].key, "%s takes one operation, not several", what);
                return NULL;
            }
            found = n->pairs[i].value;
            *kind = map[j];
        }
    }
    if (!found)
        ld_error(ld, n, "%s needs an operation (%s)", what,
                 ops[2] ? "set, add or multiply" : "set or add");
    return found;
}

static void ld_target_effect(sx_loader *ld, const sx_ynode *n, sx_effect *e)
{
    static const char *const lat_ops[] = { "set", "add", "multiply", NULL };
    static const char *const err_ops[] = { "set", "add", "multiply", NULL };
    const sx_ynode *v, *op;

    e->kind = SX_EFFECT_TARGET;
    ld_check_keys(ld, n, "a target effect", target_effect_keys);
    v = sx_ymap_get(n, "target");
    if (ld_string(ld, v, "target", &e->target))
        ld_resolve_target(ld, v, e->target, true, &e->service, &e->operation, &e->instance);
    if ((v = sx_ymap_get(n, "latency")) != NULL &&
        (op = one_op(ld, v, "a latency effect", lat_ops, &e->latency_op)) != NULL) {
        if (e->latency_op == SX_OP_MULTIPLY) {
            if (ld_number(ld, op, "multiply", &e->latency_factor) && !(e->latency_factor > 0.0))
                ld_error(ld, op, "a latency multiplier must be above zero");
        } else if (e->latency_op == SX_OP_ADD) {
            ld_duration(ld, op, "add", &e->latency_add);
        } else {
            ld_latency(ld, op, "a latency set", &e->latency_set);
        }
    }
    if ((v = sx_ymap_get(n, "errors")) != NULL &&
        (op = one_op(ld, v, "an errors effect", err_ops, &e->errors_op)) != NULL) {
        if (e->errors_op == SX_OP_MULTIPLY) {
            if (ld_number(ld, op, "multiply", &e->errors_value) && !(e->errors_value >= 0.0))
                ld_error(ld, op, "an error multiplier cannot be negative");
        } else {
            ld_ratio(ld, op, e->errors_op == SX_OP_SET ? "set" : "add", &e->errors_value);
        }
    }
    if ((v = sx_ymap_get(n, "error_message")) != NULL)
        ld_string(ld, v, "error_message", &e->error_message);
    if ((v = sx_ymap_get(n, "logs")) != NULL)
        ld_logs(ld, v, "incident logs", true, &e->logs);
    if (!sx_ymap_get(n, "latency") && !sx_ymap_get(n, "errors") && !sx_ymap_get(n, "logs") &&
        !sx_ymap_get(n, "error_message"))
        ld_error(ld, n, "this effect changes nothing: give latency, errors, error_message or logs");
}

static void ld_metric_effect(sx_loader *ld, const sx_ynode *n, sx_effect *e)
{
    static const char *const val_ops[] = { "set", "add", "multiply", "ramp_to", "leak", "limit",
                                           "then", NULL };
    const sx_ynode *v, *op;

    e->kind = SX_EFFECT_METRIC;
    e->metric_index = -1;
    ld_check_keys(ld, n, "a metric effect", metric_effect_keys);
    ld_string(ld, sx_ymap_get(n, "metric"), "metric", &e->metric);
    if (!(v = sx_ymap_get(n, "value")) && !ld_misspelled(n, "value")) {
        ld_error(ld, n, "a metric effect needs 'value' (set, add, multiply, ramp_to or leak)");
        return;
    }
    if (!(op = one_op(ld, v, "a metric value effect", val_ops, &e->value_op)))
        return;
    if (e->value_op == SX_OP_LEAK) {
        const sx_ynode *limit = sx_ymap_get(v, "limit"), *then = sx_ymap_get(v, "then");
        const char *why = NULL;
        if (ld_is_scalar(ld, op, "leak") && sx_parse_quantity_rate(op->str, &e->leak_rate, &why))
            ld_error(ld, op, "leak: '%s': %s", op->str, why);
        else if (e->leak_rate <= 0.0)
            ld_error(ld, op, "a leak must grow (rate above zero)");
        if (!limit)
            ld_error(ld, v, "a leak needs 'limit' (where the instance runs out, e.g. 512MiB)");
        else
            ld_quantity(ld, limit, "limit", &e->leak_limit);
        if (then) {
            const char *t;
            if (ld_string(ld, then, "then", &t)) {
                if (strcmp(t, "restart") == 0)
                    e->leak_restart = true;
                else if (strcmp(t, "hold") != 0)
                    ld_error(ld, then, "then must be 'restart' or 'hold', got '%s'", t);
            }
        }
        return;
    }
    for (const char *const *k = (const char *const[]){ "limit", "then", NULL }; *k; k++)
        if (sx_ymap_get(v, *k))
            ld_error(ld, sx_ymap_get(v, *k), "'%s' only goes with 'leak'", *k);
    ld_quantity(ld, op, "value", &e->value);
}

static void ld_traffic_effect(sx_loader *ld, const sx_ynode *n, sx_effect *e)
{
    static const char *const ops[] = { "multiply", "target", NULL };
    const sx_ynode *v = sx_ymap_get(n, "traffic"), *x;

    e->kind = SX_EFFECT_TRAFFIC;
    e->traffic_entrypoint = -1;
    e->traffic_factor = 1.0;
    ld_check_keys(ld, n, "a traffic effect", traffic_effect_keys);
    if (!ld_is_map(ld, v, "traffic"))
        return;
    ld_check_keys(ld, v, "a traffic effect", ops);
    if (!(x = sx_ymap_get(v, "multiply")) && !ld_misspelled(v, "multiply")) {
        ld_error(ld, v, "a traffic effect needs 'multiply' (e.g. {multiply: 1.4})");
        return;
    }
    if (ld_number(ld, x, "multiply", &e->traffic_factor) && !(e->traffic_factor >= 0.0))
        ld_error(ld, x, "a traffic multiplier cannot be negative");
    if ((x = sx_ymap_get(v, "target")) != NULL && ld_string(ld, x, "target", &e->target)) {
        /* Narrows the effect to the entrypoints of one service or operation. */
        int32_t svc, op, inst;
        if (ld_resolve_target(ld, x, e->target, false, &svc, &op, &inst)) {
            e->service = svc;
            e->operation = op;
            bool any = false;
            for (uint32_t i = 0; i < ld->s->traffic.nentrypoints; i++) {
                const sx_entrypoint *ep = &ld->s->traffic.entrypoints[i];
                if (ep->service == svc && (op < 0 || ep->operation == op))
                    any = true;
            }
            if (!any)
                ld_error(ld, x, "'%s' receives no entrypoint traffic to multiply", e->target);
        }
    } else {
        e->service = e->operation = -1;
    }
}

static void ld_incident(sx_loader *ld, const sx_ynode *n, sx_incident *inc)
{
    const sx_ynode *v;

    inc->pos = LD_POS(n);
    ld_check_keys(ld, n, "an incident", incident_keys);
    if (!(v = sx_ymap_get(n, "name")) && !ld_misspelled(n, "name")) {
        ld_error(ld, n, "an incident needs a 'name'");
    } else if (ld_string(ld, v, "name", &inc->name)) {
        inc->pos = LD_POS(v);
        for (const char *c = inc->name; *c; c++) {
            if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_')) {
                ld_error(ld, v, "incident name '%s' may use only a-z, 0-9, '-' and '_'",
                         inc->name);
                break;
            }
        }
    }
    if (!(v = sx_ymap_get(n, "start")) && !ld_misspelled(n, "start"))
        ld_error(ld, n, "an incident needs 'start' (offset from the start of the timeline)");
    else
        ld_duration(ld, v, "start", &inc->start);
    if ((v = sx_ymap_get(n, "ramp")) != NULL)
        ld_duration(ld, v, "ramp", &inc->ramp);
    if (!(v = sx_ymap_get(n, "duration")) && !ld_misspelled(n, "duration"))
        ld_error(ld, n, "an incident needs 'duration' (how long it holds at full effect)");
    else
        ld_positive_duration(ld, v, "duration", &inc->duration);
    if ((v = sx_ymap_get(n, "recover")) != NULL)
        ld_duration(ld, v, "recover", &inc->recover);
    if (!(v = sx_ymap_get(n, "effects")) && !ld_misspelled(n, "effects")) {
        ld_error(ld, n, "an incident needs 'effects'");
        return;
    }
    if (!ld_is_seq(ld, v, "effects"))
        return;
    if (v->nitems == 0) {
        ld_error(ld, v, "effects is empty; an incident must change something");
        return;
    }
    inc->effects = sx_arena_calloc(ld->a, v->nitems, sizeof(*inc->effects));
    if (!inc->effects) {
        ld->oom = true;
        return;
    }
    for (uint32_t i = 0; i < v->nitems; i++) {
        const sx_ynode *e = v->items[i];
        sx_effect *eff = &inc->effects[inc->neffects];
        if (!ld_is_map(ld, e, "an effect"))
            continue;
        eff->pos = LD_POS(e);
        eff->service = eff->operation = eff->instance = -1;
        int kinds = (sx_ymap_get(e, "target") != NULL) + (sx_ymap_get(e, "metric") != NULL) +
                    (sx_ymap_get(e, "traffic") != NULL);
        if (kinds != 1) {
            ld_error(ld, e, kinds ? "an effect has one of 'target', 'metric' or 'traffic', not "
                                    "several"
                                  : "an effect needs 'target' (a service or operation), "
                                    "'metric' or 'traffic'");
            continue;
        }
        if (sx_ymap_get(e, "target"))
            ld_target_effect(ld, e, eff);
        else if (sx_ymap_get(e, "metric"))
            ld_metric_effect(ld, e, eff);
        else
            ld_traffic_effect(ld, e, eff);
        inc->neffects++;
    }
}

void ld_incidents(sx_loader *ld, const sx_ynode *n)
{
    sx_scenario *s = ld->s;

    if (!ld_is_seq(ld, n, "incidents"))
        return;
    if (n->nitems > SX_MAX_INCIDENTS) {
        ld_error(ld, n, "%u incidents; at most %d are allowed", n->nitems, SX_MAX_INCIDENTS);
        return;
    }
    s->incidents = sx_arena_calloc(ld->a, n->nitems ? n->nitems : 1, sizeof(*s->incidents));
    if (!s->incidents) {
        ld->oom = true;
        return;
    }
    for (uint32_t i = 0; i < n->nitems; i++) {
        if (!ld_is_map(ld, n->items[i], "an incident"))
            continue;
        ld_incident(ld, n->items[i], &s->incidents[s->nincidents]);
        for (uint32_t j = 0; j < s->nincidents; j++) {
            const sx_incident *a = &s->incidents[j], *b = &s->incidents[s->nincidents];
            if (a->name && b->name && strcmp(a->name, b->name) == 0) {
                sx_diag_error(ld->d, b->pos.line, b->pos.col,
                              "incident '%s' is declared twice (first at line %u)", b->name,
                              a->pos.line);
            }
        }
        s->nincidents++;
    }
}

/* ---- metrics ---------------------------------------------------------- */

static const char *const metric_keys[] = { "name",         "type",   "service", "labels",
                                           "per_instance", "value",  "description", "unit",
                                           NULL };
static const char *const gauge_value_keys[] = { "baseline", "noise", "walk", "min", "max", NULL };
static const char *const counter_value_keys[] = { "rate", "noise", NULL };
static const char *const hist_value_keys[] = { "rate", "observe", NULL };

static bool valid_metric_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' || *s == ':'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == ':'))
            return false;
    return true;
}

static bool valid_label_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

/* Names the engine derives from requests: a custom metric may not reuse
 * them, or two sources would write one series. */
static const char *const derived_names[] = {
    "http_server_request_duration_seconds", "rpc_server_duration_milliseconds",
    "http_client_request_duration_seconds", "rpc_client_duration_milliseconds",
    "db_client_operation_duration_seconds", "messaging_client_operation_duration_seconds",
    "kube_pod_container_status_restarts_total",
    "target_info", NULL,
};

static void ld_metric(sx_loader *ld, const sx_ynode *n, sx_metric *m)
{
    const sx_ynode *v, *val;

    m->pos = LD_POS(n);
    m->service = -1;
    m->max = INFINITY;
    m->min = -INFINITY;
    ld_check_keys(ld, n, "a metric", metric_keys);
    if (!(v = sx_ymap_get(n, "name")) && !ld_misspelled(n, "name")) {
        ld_error(ld, n, "a metric needs a 'name'");
    } else if (ld_string(ld, v, "name", &m->name)) {
        m->pos = LD_POS(v);
        if (!valid_metric_name(m->name))
            ld_error(ld, v, "metric name '%s' is not a valid Prometheus name "
                            "([a-zA-Z_:][a-zA-Z0-9_:]*)", m->name);
        for (const char *const *d = derived_names; *d; d++)
            if (strcmp(*d, m->name) == 0)
                ld_error(ld, v, "'%s' is derived from requests by sigsynth; choose another name",
                         m->name);
    }
    if (!(v = sx_ymap_get(n, "type")) && !ld_misspelled(n, "type")) {
        ld_error(ld, n, "a metric needs a 'type' (gauge, counter or histogram)");
    } else {
        const char *t;
        if (ld_string(ld, v, "type", &t)) {
            if (strcmp(t, "gauge") == 0)
                m->type = SX_METRIC_GAUGE;
            else if (strcmp(t, "counter") == 0)
                m->type = SX_METRIC_COUNTER;
            else if (strcmp(t, "histogram") == 0)
                m->type = SX_METRIC_HISTOGRAM;
            else
                ld_error(ld, v, "unknown metric type '%s' (use gauge, counter or histogram)", t);
        }
    }
    if (!(v = sx_ymap_get(n, "service")) && !ld_misspelled(n, "service")) {
        ld_error(ld, n, "a metric needs a 'service' (whose resource the series belongs to)");
    } else {
        const char *svc;
        if (ld_string(ld, v, "service", &svc)) {
            m->service = sx_scenario_find_service(ld->s, svc, strlen(svc));
            if (m->service < 0)
                suggest_service(ld, v, svc, strlen(svc));
        }
    }
    if ((v = sx_ymap_get(n, "labels")) != NULL && ld_attrs(ld, v, "labels", &m->labels)) {
        for (uint32_t i = 0; i < m->labels.n; i++) {
            const char *k = m->labels.v[i].key;
            if (!valid_label_name(k) || strncmp(k, "__", 2) == 0)
                sx_diag_error(ld->d, v->pairs[i].key->line, v->pairs[i].key->col,
                              "label name '%s' is not valid ([a-zA-Z_][a-zA-Z0-9_]*, no "
                              "leading '__')", k);
            else if (strcmp(k, "job") == 0 || strcmp(k, "instance") == 0 ||
                     strcmp(k, "synthetic") == 0 || strcmp(k, "le") == 0)
                sx_diag_error(ld->d, v->pairs[i].key->line, v->pairs[i].key->col,
                              "label '%s' is set by sigsynth and cannot be overridden", k);
        }
    }
    if ((v = sx_ymap_get(n, "per_instance")) != NULL)
        ld_bool(ld, v, "per_instance", &m->per_instance);
    if ((v = sx_ymap_get(n, "description")) != NULL)
        ld_string(ld, v, "description", &m->description);
    if ((v = sx_ymap_get(n, "unit")) != NULL)
        ld_string(ld, v, "unit", &m->unit);
    if (!(val = sx_ymap_get(n, "value")) && !ld_misspelled(n, "value")) {
        ld_error(ld, n, "a metric needs 'value' (e.g. {baseline: 20, noise: 2})");
        return;
    }
    if (!ld_is_map(ld, val, "value"))
        return;
    if (m->type == SX_METRIC_GAUGE) {
        ld_check_keys(ld, val, "a gauge value", gauge_value_keys);
        if (!(v = sx_ymap_get(val, "baseline")) && !ld_misspelled(val, "baseline"))
            ld_error(ld, val, "a gauge needs 'baseline'");
        else
            ld_quantity(ld, v, "baseline", &m->baseline);
        if ((v = sx_ymap_get(val, "noise")) != NULL && ld_quantity(ld, v, "noise", &m->noise) &&
            m->noise < 0)
            ld_error(ld, v, "noise cannot be negative");
        if ((v = sx_ymap_get(val, "walk")) != NULL)
            ld_positive_duration(ld, v, "walk", &m->walk);
        if ((v = sx_ymap_get(val, "min")) != NULL)
            ld_quantity(ld, v, "min", &m->min);
        if ((v = sx_ymap_get(val, "max")) != NULL)
            ld_quantity(ld, v, "max", &m->max);
        if (m->min > m->max)
            ld_error(ld, val, "min is above max");
        else if (m->baseline < m->min || m->baseline > m->max)
            ld_error(ld, sx_ymap_get(val, "baseline"), "baseline lies outside [min, max]");
    } else if (m->type == SX_METRIC_COUNTER) {
        ld_check_keys(ld, val, "a counter value", counter_value_keys);
        const char *why = NULL;
        if (!(v = sx_ymap_get(val, "rate")) && !ld_misspelled(val, "rate"))
            ld_error(ld, val, "a counter needs 'rate' (how fast it grows, e.g. 5/s or 2MiB/s)");
        else if (ld_is_scalar(ld, v, "rate") && sx_parse_quantity_rate(v->str, &m->rate, &why))
            ld_error(ld, v, "rate: '%s': %s", v->str, why);
        else if (m->rate < 0)
            ld_error(ld, v, "a counter only grows: rate cannot be negative");
        if ((v = sx_ymap_get(val, "noise")) != NULL)
            ld_ratio(ld, v, "noise (relative)", &m->noise);
        m->min = 0;
    } else {
        ld_check_keys(ld, val, "a histogram value", hist_value_keys);
        if (!(v = sx_ymap_get(val, "rate")) && !ld_misspelled(val, "rate"))
            ld_error(ld, val, "a histogram needs 'rate' (observations per second)");
        else
            ld_rate(ld, v, "rate", true, &m->rate);
        if (!(v = sx_ymap_get(val, "observe")) && !ld_misspelled(val, "observe"))
            ld_error(ld, val, "a histogram needs 'observe' (a latency-style distribution)");
        else
            ld_latency(ld, v, "observe", &m->observe);
    }
}

void ld_metrics(sx_loader *ld, const sx_ynode *n)
{
    sx_scenario *s = ld->s;

    if (!ld_is_seq(ld, n, "metrics"))
        return;
    s->metrics = sx_arena_calloc(ld->a, n->nitems ? n->nitems : 1, sizeof(*s->metrics));
    if (!s->metrics) {
        ld->oom = true;
        return;
    }
    for (uint32_t i = 0; i < n->nitems; i++) {
        sx_metric *m = &s->metrics[s->nmetrics];
        if (!ld_is_map(ld, n->items[i], "a metric"))
            continue;
        ld_metric(ld, n->items[i], m);
        for (uint32_t j = 0; m->name && j < s->nmetrics; j++) {
            if (s->metrics[j].name && strcmp(s->metrics[j].name, m->name) == 0)
                sx_diag_error(ld->d, m->pos.line, m->pos.col,
                              "metric '%s' is declared twice (first at line %u)", m->name,
                              s->metrics[j].pos.line);
        }
        s->nmetrics++;
    }
}

/* ---- expect ----------------------------------------------------------- */

static const char *const expect_keys[] = { "alerts", NULL };
static const char *const alert_keys[] = { "alert", "labels", "fires", "resolves", NULL };
static const char *const window_keys[] = { "after", "within", NULL };

static void ld_window(sx_loader *ld, const sx_ynode *n, const char *what, bool allow_never,
                      sx_window *w)
{
    const sx_ynode *v;

    if (!n)
        return;
    w->present = true;
    w->pos = LD_POS(n);
    if (n->kind == SX_YSCALAR && n->plain && strcmp(n->str, "never") == 0) {
        if (!allow_never)
            ld_error(ld, n, "'%s: never' is not meaningful; leave '%s' out instead", what, what);
        w->never = true;
        return;
    }
    if (!ld_is_map(ld, n, what))
        return;
    ld_check_keys(ld, n, what, window_keys);
    if (!(v = sx_ymap_get(n, "after")) && !ld_misspelled(n, "after")) {
        ld_error(ld, n, "%s needs 'after' (an anchor like pool-exhaustion.start)", what);
    } else if (ld_string(ld, v, "after", &w->after.text)) {
        w->after.pos = LD_POS(v);
        w->after.incident = -2;   /* resolved in check.c, once incidents are known */
    }
    if (!(v = sx_ymap_get(n, "within")) && !ld_misspelled(n, "within"))
        ld_error(ld, n, "%s needs 'within' (how long after the anchor, e.g. 5m)", what);
    else
        ld_positive_duration(ld, v, "within", &w->within);
}

void ld_expect(sx_loader *ld, const sx_ynode *n)
{
    sx_scenario *s = ld->s;
    const sx_ynode *alerts;

    if (!ld_is_map(ld, n, "expect"))
        return;
    ld_check_keys(ld, n, "expect", expect_keys);
    if (!(alerts = sx_ymap_get(n, "alerts")) || !ld_is_seq(ld, alerts, "alerts"))
        return;
    s->expects = sx_arena_calloc(ld->a, alerts->nitems ? alerts->nitems : 1, sizeof(*s->expects));
    if (!s->expects) {
        ld->oom = true;
        return;
    }
    for (uint32_t i = 0; i < alerts->nitems; i++) {
        const sx_ynode *a = alerts->items[i], *v;
        sx_expect_alert *e = &s->expects[s->nexpects];
        if (!ld_is_map(ld, a, "an alert expectation"))
            continue;
        e->pos = LD_POS(a);
        ld_check_keys(ld, a, "an alert expectation", alert_keys);
        if (!(v = sx_ymap_get(a, "alert")) && !ld_misspelled(a, "alert"))
            ld_error(ld, a, "an alert expectation needs 'alert' (the alert rule's name)");
        else
            ld_string(ld, v, "alert", &e->alert);
        if ((v = sx_ymap_get(a, "labels")) != NULL)
            ld_attrs(ld, v, "labels", &e->labels);
        if (!(v = sx_ymap_get(a, "fires")) && !ld_misspelled(a, "fires"))
            ld_error(ld, a, "an alert expectation needs 'fires' ({after, within} or never)");
        else
            ld_window(ld, v, "fires", true, &e->fires);
        if ((v = sx_ymap_get(a, "resolves")) != NULL) {
            ld_window(ld, v, "resolves", false, &e->resolves);
            if (e->fires.never)
                ld_error(ld, v, "an alert that never fires cannot resolve");
        }
        s->nexpects++;
    }
}
