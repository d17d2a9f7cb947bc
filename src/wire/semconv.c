#include "wire/semconv.h"

#include <stdio.h>
#include <string.h>

static const char *const grpc_codes[] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED",
};

#define PUT_S(k, v)                                                                    \
    do {                                                                               \
        if (n < max)                                                                   \
            out[n++] = (sx_kv){ .key = (k), .type = SX_KV_STRING, .s = (v) };          \
    } while (0)
#define PUT_I(k, v)                                                                    \
    do {                                                                               \
        if (n < max)                                                                   \
            out[n++] = (sx_kv){ .key = (k), .type = SX_KV_INT, .i = (v) };             \
    } while (0)

static uint32_t put_attrs(const sx_attrs *a, sx_kv *out, uint32_t n, uint32_t max)
{
    for (uint32_t i = 0; i < a->n && n < max; i++) {
        const sx_attr *at = &a->v[i];
        sx_kv kv = { .key = at->key, .s = at->str };
        switch (at->type) {
        case SX_ATTR_INT: kv.type = SX_KV_INT; kv.i = at->i; break;
        case SX_ATTR_DOUBLE: kv.type = SX_KV_DOUBLE; kv.d = at->d; break;
        case SX_ATTR_BOOL: kv.type = SX_KV_BOOL; kv.b = at->b; break;
        default: kv.type = SX_KV_STRING; break;
        }
        out[n++] = kv;
    }
    return n;
}

uint32_t sx_resource_kvs(const sx_run *r, uint32_t resource, sx_kv *out, uint32_t max)
{
    const sx_resource *res = &r->resources[resource];
    const sx_service *svc = &r->s->services[res->service];
    uint32_t n = 0;

    PUT_S("service.name", svc->name);
    PUT_S("service.instance.id", res->instance_id);
    PUT_S("k8s.pod.name", res->instance_id);
    n = put_attrs(&r->s->resource, out, n, max);
    n = put_attrs(&svc->attrs, out, n, max);
    /* OTEL_RESOURCE_ATTRIBUTES: the scenario's own attributes win. */
    for (uint32_t i = 0; i < r->cfg.nextra_resource && n < max; i++) {
        bool dup = false;
        for (uint32_t k = 0; k < n; k++)
            dup |= strcmp(out[k].key, r->cfg.extra_resource[i].key) == 0;
        if (!dup && strncmp(r->cfg.extra_resource[i].key, "sigsynth.", 9) != 0)
            out[n++] = (sx_kv){ .key = r->cfg.extra_resource[i].key, .type = SX_KV_STRING,
                                .s = r->cfg.extra_resource[i].str };
    }
    PUT_S("telemetry.sdk.name", "sigsynth");
    PUT_S("sigsynth.scenario", r->s->name);
    PUT_S("sigsynth.run_id", r->run_id);
    /* Last, so no scenario attribute can take the tag away. */
    if (n < max)
        out[n++] = (sx_kv){ .key = "sigsynth.synthetic", .type = SX_KV_BOOL, .b = true };
    return n;
}

const char *sx_incident_names(const sx_run *r, uint32_t mask, sx_kv_scratch *scratch)
{
    size_t len = 0;

    if (!mask)
        return NULL;
    if ((mask & (mask - 1)) == 0) {
        for (uint32_t i = 0; i < r->s->nincidents; i++)
            if (mask == 1u << i)
                return r->s->incidents[i].name;
    }
    scratch->text[0] = '\0';
    for (uint32_t i = 0; i < r->s->nincidents && i < 32; i++) {
        if (!(mask & (1u << i)))
            continue;
        int w = snprintf(scratch->text + len, sizeof(scratch->text) - len, "%s%s",
                         len ? "," : "", r->s->incidents[i].name);
        if (w < 0 || (size_t)w >= sizeof(scratch->text) - len)
            break;
        len += (size_t)w;
    }
    return scratch->text;
}

const char *sx_span_name(const sx_run *r, const sx_span *sp)
{
    if (sp->kind == SX_SPAN_CLIENT)
        return sx_run_span_name(r, sp->peer_service, sp->peer_operation);
    return sx_run_span_name(r, sp->service, sp->operation);
}

const char *sx_error_type(const sx_run *r, const sx_span *sp, sx_kv_scratch *scratch)
{
    const sx_scenario *s = r->s;
    const sx_service *target = sp->kind == SX_SPAN_CLIENT ? &s->services[sp->peer_service]
                                                          : &s->services[sp->service];
    const sx_operation *op = sp->kind == SX_SPAN_CLIENT ? &target->ops[sp->peer_operation]
                                                        : &target->ops[sp->operation];

    if (sp->fail == SX_FAIL_TIMEOUT && target->kind != SX_KIND_SERVICE &&
        op->protocol != SX_PROTO_HTTP)
        return "timeout";
    if (op->protocol == SX_PROTO_HTTP || target->kind == SX_KIND_SERVICE ||
        target->kind == SX_KIND_EXTERNAL) {
        if (op->protocol == SX_PROTO_HTTP) {
            snprintf(scratch->text, sizeof(scratch->text), "%d", sp->code);
            return scratch->text;
        }
        if (sp->code >= 0 && sp->code < 17)
            return grpc_codes[sp->code];
    }
    snprintf(scratch->text, sizeof(scratch->text), "%s_error", target->system ? target->system : "db");
    return scratch->text;
}

uint32_t sx_span_kvs(const sx_run *r, const sx_span *sp, sx_kv *out, uint32_t max,
                     sx_kv_scratch *scratch)
{
    const sx_scenario *s = r->s;
    uint32_t n = 0;
    bool client = sp->kind == SX_SPAN_CLIENT;
    const sx_service *target = client ? &s->services[sp->peer_service] : &s->services[sp->service];
    const sx_operation *op = client ? &target->ops[sp->peer_operation]
                                    : &target->ops[sp->operation];

    switch (client ? target->kind : SX_KIND_SERVICE) {
    case SX_KIND_DATABASE:
    case SX_KIND_CACHE:
        PUT_S("db.system.name", target->system);
        PUT_S("db.operation.name", op->name);
        PUT_S("server.address", target->name);
        break;
    case SX_KIND_QUEUE:
        PUT_S("messaging.system", target->system);
        PUT_S("messaging.operation.name", op->name);
        PUT_S("messaging.destination.name", target->name);
        PUT_S("server.address", target->name);
        break;
    default:
        if (op->protocol == SX_PROTO_HTTP) {
            PUT_S("http.request.method", op->http_method);
            if (!client)
                PUT_S("http.route", op->http_route);   /* clients know the URL, not the route */
            else
                PUT_S("url.template", op->http_route);
            PUT_I("http.response.status_code", sp->code);
            if (client) {
                PUT_S("server.address", target->name);
                if (sp->attempt)
                    PUT_I("http.request.resend_count", sp->attempt);
            }
        } else {
            PUT_S("rpc.system", "grpc");
            PUT_S("rpc.service", target->name);
            PUT_S("rpc.method", op->name);
            PUT_I("rpc.grpc.status_code", sp->code);
            if (client)
                PUT_S("server.address", target->name);
        }
        break;
    }
    if (sp->status == SX_STATUS_ERROR)
        PUT_S("error.type", sx_error_type(r, sp, scratch));
    if (sp->incidents) {
        /* error.type used the scratch already: write the names after it. */
        sx_kv_scratch *names = scratch + 1;
        PUT_S("sigsynth.incident", sx_incident_names(r, sp->incidents, names));
    }
    return n;
}

uint32_t sx_series_kvs(const sx_run *r, const sx_series *se, sx_kv *out, uint32_t max)
{
    const sx_scenario *s = r->s;
    const sx_resource *res = &r->resources[se->resource];
    uint32_t n = 0;

    switch (se->fam->id) {
    case SX_FAM_HTTP_SERVER: {
        const sx_operation *op = &s->services[res->service].ops[se->operation];
        PUT_S("http.request.method", op->http_method);
        PUT_S("http.route", op->http_route);
        PUT_I("http.response.status_code", se->code);
        if (se->code >= 500)
            PUT_S("error.type", se->code == 500 ? "500" : se->code == 502 ? "502"
                                : se->code == 503 ? "503" : se->code == 504 ? "504" : "5xx");
        break;
    }
    case SX_FAM_RPC_SERVER: {
        const sx_service *svc = &s->services[res->service];
        PUT_S("rpc.system", "grpc");
        PUT_S("rpc.service", svc->name);
        PUT_S("rpc.method", svc->ops[se->operation].name);
        PUT_I("rpc.grpc.status_code", se->code);
        break;
    }
    case SX_FAM_DB_CLIENT: {
        const sx_service *db = &s->services[se->peer_service];
        PUT_S("db.system.name", db->system);
        PUT_S("db.operation.name", db->ops[se->operation].name);
        PUT_S("server.address", db->name);
        if (se->code)
            PUT_S("error.type", "error");
        break;
    }
    case SX_FAM_MSG_CLIENT: {
        const sx_service *q = &s->services[se->peer_service];
        PUT_S("messaging.system", q->system);
        PUT_S("messaging.operation.name", q->ops[se->operation].name);
        PUT_S("messaging.destination.name", q->name);
        if (se->code)
            PUT_S("error.type", "error");
        break;
    }
    case SX_FAM_HTTP_CLIENT: {
        const sx_service *ext = &s->services[se->peer_service];
        PUT_S("http.request.method", ext->ops[se->operation].http_method);
        PUT_S("server.address", ext->name);
        PUT_I("http.response.status_code", se->code);
        break;
    }
    case SX_FAM_RPC_CLIENT: {
        const sx_service *ext = &s->services[se->peer_service];
        PUT_S("rpc.system", "grpc");
        PUT_S("rpc.service", ext->name);
        PUT_S("rpc.method", ext->ops[se->operation].name);
        PUT_I("rpc.grpc.status_code", se->code);
        break;
    }
    case SX_FAM_RESTARTS:
        PUT_S("container", s->services[res->service].name);
        PUT_S("pod", res->instance_id);
        break;
    case SX_FAM_CUSTOM:
        n = put_attrs(&se->fam->custom->labels, out, n, max);
        break;
    }
    return n;
}

uint32_t sx_log_kvs(const sx_run *r, const sx_logrec *l, sx_kv *out, uint32_t max,
                    sx_kv_scratch *scratch)
{
    uint32_t n = 0;

    if (l->spec)
        n = put_attrs(&l->spec->attrs, out, n, max);
    if (l->origin == SX_LOG_FROM_OOM) {
        PUT_S("k8s.container.name", r->s->services[l->service].name);
        PUT_S("reason", "OOMKilled");
    }
    if (l->incidents)
        PUT_S("sigsynth.incident", sx_incident_names(r, l->incidents, scratch));
    return n;
}
