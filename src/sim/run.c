#include "sim/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/units.h"
#include "stats/rng.h"
#include "util/err.h"

/* Kubernetes-looking pod names, stable for a given scenario and service:
 * "<service>-<10 hex of replicaset hash>-<5 chars>". */
static void pod_name(char *out, size_t size, const char *scenario, const char *svc,
                     uint32_t instance)
{
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    uint64_t h = sx_hash64(svc, strlen(svc), sx_hash64(scenario, strlen(scenario), 0));
    uint64_t p = sx_mix64(h, instance);
    char suffix[6];

    for (int i = 0; i < 5; i++) {
        suffix[i] = alphabet[p % (sizeof(alphabet) - 1)];
        p /= sizeof(alphabet) - 1;
    }
    suffix[5] = '\0';
    snprintf(out, size, "%s-%08llx%c-%s", svc, (unsigned long long)(h & 0xffffffffu),
             alphabet[(h >> 32) % (sizeof(alphabet) - 1)], suffix);
}

int sx_run_init(sx_run *r, const sx_scenario *s, const sx_run_config *cfg)
{
    uint32_t nres = 0, ncalls = 0;

    memset(r, 0, sizeof(*r));
    sx_arena_init(&r->arena, 16 * 1024);
    r->s = s;
    r->cfg = *cfg;
    if (!r->cfg.shard_count)
        r->cfg.shard_count = 1;
    if (r->cfg.metric_interval <= 0)
        r->cfg.metric_interval = 15.0;
    if (r->cfg.duration <= 0)
        r->cfg.duration = s->duration;
    if (!r->cfg.signals)
        r->cfg.signals = SX_SIG_ALL;
    if (s->nincidents > SX_MAX_INCIDENTS)
        return SX_ELIMIT;
    r->end_ns = r->cfg.start_ns + (int64_t)(r->cfg.duration * 1e9 + 0.5);
    if (cfg->run_id) {
        snprintf(r->run_id, sizeof(r->run_id), "%s", cfg->run_id);
    } else {
        /* Identical inputs, identical run id: reruns stay byte-identical. */
        uint64_t h = sx_hash64(s->name, strlen(s->name), cfg->seed);
        h = sx_mix64(sx_mix64(h, s->content_hash), (uint64_t)cfg->start_ns);
        snprintf(r->run_id, sizeof(r->run_id), "%016llx", (unsigned long long)h);
    }
    for (uint32_t i = 0; i < s->nservices; i++) {
        r->res_base[i] = nres;
        nres += s->services[i].instances;
        for (uint32_t j = 0; j < s->services[i].nops; j++)
            ncalls += s->services[i].ops[j].ncalls;
    }
    r->resources = sx_arena_calloc(&r->arena, nres, sizeof(*r->resources));
    r->timeout_messages = sx_arena_calloc(&r->arena, ncalls + 1, sizeof(*r->timeout_messages));
    r->call_base = sx_arena_calloc(&r->arena, SX_MAX_SERVICES * SX_MAX_OPERATIONS,
                                   sizeof(*r->call_base));
    r->span_names = sx_arena_calloc(&r->arena, SX_MAX_SERVICES * SX_MAX_OPERATIONS,
                                    sizeof(*r->span_names));
    if (!r->resources || !r->timeout_messages || !r->call_base || !r->span_names)
        return SX_ENOMEM;
    for (uint32_t i = 0; i < s->nservices; i++) {
        const sx_service *svc = &s->services[i];
        for (uint32_t j = 0; j < svc->nops; j++) {
            const sx_operation *op = &svc->ops[j];
            char name[400];
            if (op->http_method)
                snprintf(name, sizeof(name), "%s", op->name);
            else if (svc->kind == SX_KIND_SERVICE || svc->kind == SX_KIND_EXTERNAL)
                snprintf(name, sizeof(name), "%s/%s", svc->name, op->name);
            else
                snprintf(name, sizeof(name), "%s %s", op->name, svc->name);
            r->span_names[i * SX_MAX_OPERATIONS + j] = sx_arena_strdup(&r->arena, name);
            if (!r->span_names[i * SX_MAX_OPERATIONS + j])
                return SX_ENOMEM;
        }
    }
    r->nresources = nres;
    for (uint32_t i = 0; i < s->nservices; i++) {
        for (uint32_t k = 0; k < s->services[i].instances; k++) {
            sx_resource *res = &r->resources[r->res_base[i] + k];
            res->service = (uint16_t)i;
            res->instance = (uint16_t)k;
            pod_name(res->instance_id, sizeof(res->instance_id), s->name, s->services[i].name, k);
        }
    }
    ncalls = 0;
    for (uint32_t i = 0; i < s->nservices; i++) {
        for (uint32_t j = 0; j < s->services[i].nops; j++) {
            const sx_operation *op = &s->services[i].ops[j];
            r->call_base[i * SX_MAX_OPERATIONS + j] = ncalls;
            for (uint32_t k = 0; k < op->ncalls; k++) {
                const sx_call *c = &op->calls[k];
                char msg[400], t[32];
                sx_format_duration(c->timeout, t, sizeof(t));
                snprintf(msg, sizeof(msg), "%s.%s timed out after %s",
                         s->services[c->service].name,
                         s->services[c->service].ops[c->operation].name, t);
                r->timeout_messages[ncalls++] = sx_arena_strdup(&r->arena, msg);
            }
        }
    }
    return 0;
}

void sx_run_fini(sx_run *r)
{
    sx_arena_fini(&r->arena);
}
