#include "scenario/model.h"

#include <stdlib.h>
#include <string.h>

void sx_scenario_destroy(sx_scenario *s)
{
    if (!s)
        return;
    sx_arena_fini(&s->arena);
    free(s);
}

int32_t sx_scenario_find_service(const sx_scenario *s, const char *name, size_t len)
{
    for (uint32_t i = 0; i < s->nservices; i++)
        if (strlen(s->services[i].name) == len && memcmp(s->services[i].name, name, len) == 0)
            return (int32_t)i;
    return -1;
}

int32_t sx_service_find_operation(const sx_service *svc, const char *name)
{
    for (uint32_t i = 0; i < svc->nops; i++)
        if (strcmp(svc->ops[i].name, name) == 0)
            return (int32_t)i;
    return -1;
}

int32_t sx_scenario_find_metric(const sx_scenario *s, const char *name)
{
    for (uint32_t i = 0; i < s->nmetrics; i++)
        if (s->metrics[i].name && strcmp(s->metrics[i].name, name) == 0)
            return (int32_t)i;
    return -1;
}

int32_t sx_scenario_find_incident(const sx_scenario *s, const char *name, size_t len)
{
    for (uint32_t i = 0; i < s->nincidents; i++)
        if (s->incidents[i].name && strlen(s->incidents[i].name) == len &&
            memcmp(s->incidents[i].name, name, len) == 0)
            return (int32_t)i;
    return -1;
}

double sx_incident_phase_at(const sx_incident *inc, enum sx_phase phase)
{
    switch (phase) {
    case SX_PHASE_START: return inc->start;
    case SX_PHASE_FULL: return inc->start + inc->ramp;
    case SX_PHASE_RECOVERING: return inc->start + inc->ramp + inc->duration;
    default: return inc->start + inc->ramp + inc->duration + inc->recover;
    }
}

const char *sx_phase_name(enum sx_phase phase)
{
    static const char *names[] = { "start", "full", "recovering", "end" };
    return names[phase];
}

const char *sx_kind_name(enum sx_kind kind)
{
    static const char *names[] = { "service", "database", "cache", "queue", "external" };
    return names[kind];
}
