#include "sim/incident.h"

#include <math.h>

double sx_incident_intensity(const sx_incident *inc, double t)
{
    double full = inc->start + inc->ramp;
    double recovering = full + inc->duration;
    double end = recovering + inc->recover;

    if (t < inc->start || t >= end)
        return 0.0;
    if (t < full)
        return (t - inc->start) / inc->ramp;   /* ramp > 0 here, or t < full is impossible */
    if (t < recovering)
        return 1.0;
    return (end - t) / inc->recover;
}

uint32_t sx_incidents_active(const sx_scenario *s, double t)
{
    uint32_t mask = 0;

    for (uint32_t i = 0; i < s->nincidents && i < 32; i++) {
        const sx_incident *inc = &s->incidents[i];
        if (t >= inc->start && t < sx_incident_phase_at(inc, SX_PHASE_END))
            mask |= 1u << i;
    }
    return mask;
}

static int matches(const sx_effect *e, uint32_t svc, uint32_t op, uint32_t inst)
{
    return e->service == (int32_t)svc && (e->operation < 0 || e->operation == (int32_t)op) &&
           (e->instance < 0 || e->instance == (int32_t)inst);
}

void sx_effects_at(const sx_scenario *s, double t, uint32_t svc, uint32_t op, uint32_t inst,
                   sx_op_effects *out)
{
    const double base_err = s->services[svc].ops[op].error_ratio;
    double set_start = -1.0, err_set_start = -1.0;
    double err_set = base_err, err_add = 0.0, err_mult = 1.0;

    out->lat_mult = 1.0;
    out->lat_add = 0.0;
    out->set_dist = NULL;
    out->set_share = 0.0;
    out->error_message = NULL;
    out->touching = 0;
    for (uint32_t i = 0; i < s->nincidents; i++) {
        const sx_incident *inc = &s->incidents[i];
        double k = sx_incident_intensity(inc, t);
        for (uint32_t j = 0; j < inc->neffects; j++) {
            const sx_effect *e = &inc->effects[j];
            if (e->kind != SX_EFFECT_TARGET || !matches(e, svc, op, inst))
                continue;
            if (t >= inc->start && t < sx_incident_phase_at(inc, SX_PHASE_END))
                out->touching |= 1u << i;
            if (k <= 0.0)
                continue;
            switch (e->latency_op) {
            case SX_OP_MULTIPLY:
                out->lat_mult *= 1.0 + (e->latency_factor - 1.0) * k;
                break;
            case SX_OP_ADD:
                out->lat_add += e->latency_add * k;
                break;
            case SX_OP_SET:
                if (inc->start >= set_start) {
                    set_start = inc->start;
                    out->set_dist = &e->latency_set.dist;
                    out->set_share = k;
                }
                break;
            default:
                break;
            }
            switch (e->errors_op) {
            case SX_OP_SET:
                if (inc->start >= err_set_start) {
                    err_set_start = inc->start;
                    err_set = base_err + (e->errors_value - base_err) * k;
                }
                break;
            case SX_OP_ADD:
                err_add += e->errors_value * k;
                break;
            case SX_OP_MULTIPLY:
                err_mult *= 1.0 + (e->errors_value - 1.0) * k;
                break;
            default:
                break;
            }
            if (e->error_message)
                out->error_message = e->error_message;
        }
    }
    double err = err_set * err_mult + err_add;
    out->error_ratio = err < 0.0 ? 0.0 : err > 1.0 ? 1.0 : err;
}

double sx_effects_sample(const sx_op_effects *fx, const sx_dist *base, sx_rng *r)
{
    const sx_dist *d = base;

    if (fx->set_dist && (fx->set_share >= 1.0 || sx_rng_uniform(r) < fx->set_share))
        d = fx->set_dist;
    return sx_dist_sample(d, r) * fx->lat_mult + fx->lat_add;
}

static int traffic_matches(const sx_scenario *s, const sx_effect *e, uint32_t ep)
{
    const sx_entrypoint *p = &s->traffic.entrypoints[ep];

    if (e->service < 0)
        return 1;
    return p->service == e->service && (e->operation < 0 || p->operation == e->operation);
}

double sx_traffic_factor(const sx_scenario *s, double t, uint32_t ep)
{
    double f = 1.0;

    for (uint32_t i = 0; i < s->nincidents; i++) {
        const sx_incident *inc = &s->incidents[i];
        double k = sx_incident_intensity(inc, t);
        if (k <= 0.0)
            continue;
        for (uint32_t j = 0; j < inc->neffects; j++) {
            const sx_effect *e = &inc->effects[j];
            if (e->kind == SX_EFFECT_TRAFFIC && traffic_matches(s, e, ep))
                f *= 1.0 + (e->traffic_factor - 1.0) * k;
        }
    }
    return f;
}

double sx_traffic_factor_max(const sx_scenario *s, uint32_t ep)
{
    double f = 1.0;

    /* Overlaps can stack every multiplier at once: bound by the product. */
    for (uint32_t i = 0; i < s->nincidents; i++)
        for (uint32_t j = 0; j < s->incidents[i].neffects; j++) {
            const sx_effect *e = &s->incidents[i].effects[j];
            if (e->kind == SX_EFFECT_TRAFFIC && traffic_matches(s, e, ep) && e->traffic_factor > 1.0)
                f *= e->traffic_factor;
        }
    return f;
}
