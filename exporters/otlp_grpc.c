/* OTLP/gRPC transport over gRPC C core: unary Export calls, headers as
 * metadata, gzip via the channel's default compression, TLS / mTLS or
 * plaintext, and the OTLP spec's retry table (RESOURCE_EXHAUSTED only with
 * RetryInfo, whose delay is honoured). */
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp.h"
#include "util/err.h"
#include "wire/pb.h"

typedef struct grpc_tx {
    grpc_channel *channel;
    grpc_completion_queue **cq;     /* per lane */
    uint32_t lanes;
    grpc_slice method[SX_NSIG];
    grpc_metadata *md;
    size_t nmd;
    int64_t timeout_ns;
    char *pem[3];                   /* roots, key, cert: must outlive the credentials call */
} grpc_tx;

static const char *const code_names[] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED",
};

static void noop_free(void *p)
{
    (void)p;
}

/* Walks a message's top-level fields; calls fn for each length-delimited one. */
static int each_len_field(const unsigned char *p, const unsigned char *end,
                          int (*fn)(void *ud, uint32_t field, const unsigned char *v, size_t n),
                          void *ud)
{
    while (p < end) {
        uint64_t key, v;
        if (sx_pb_read_varint(&p, end, &key))
            return -1;
        switch (key & 7) {
        case 0:
            if (sx_pb_read_varint(&p, end, &v))
                return -1;
            if (fn(ud, (uint32_t)(key >> 3), NULL, v) < 0)
                return -1;
            break;
        case 1: if (end - p < 8) return -1; p += 8; break;
        case 5: if (end - p < 4) return -1; p += 4; break;
        case 2:
            if (sx_pb_read_varint(&p, end, &v) || (uint64_t)(end - p) < v)
                return -1;
            if (fn(ud, (uint32_t)(key >> 3), p, v) < 0)
                return -1;
            p += v;
            break;
        default: return -1;
        }
    }
    return 0;
}

struct retry_scan {
    int64_t delay_ns;
    bool found;
    bool in_any_is_retry;
    int64_t secs, nanos;
};

static int on_duration(void *ud, uint32_t field, const unsigned char *v, size_t n)
{
    struct retry_scan *rs = ud;
    (void)v;
    if (field == 1)
        rs->secs = (int64_t)n;
    else if (field == 2)
        rs->nanos = (int64_t)n;
    return 0;
}

static int on_retry_info(void *ud, uint32_t field, const unsigned char *v, size_t n)
{
    if (field == 1 && v)
        return each_len_field(v, v + n, on_duration, ud);
    return 0;
}

static int on_any(void *ud, uint32_t field, const unsigned char *v, size_t n)
{
    struct retry_scan *rs = ud;
    static const char want[] = "google.rpc.RetryInfo";

    if (field == 1 && v)
        rs->in_any_is_retry = n >= sizeof(want) - 1 &&
                              memcmp(v + n - (sizeof(want) - 1), want, sizeof(want) - 1) == 0;
    else if (field == 2 && v && rs->in_any_is_retry) {
        rs->secs = rs->nanos = 0;
        if (each_len_field(v, v + n, on_retry_info, rs) == 0) {
            rs->found = true;
            /* At most a day (past any retry budget), never negative: seconds * 1e9
             * must not overflow. */
            if (rs->secs < 0 || rs->nanos < 0 || rs->nanos >= 1000000000)
                rs->delay_ns = 0;
            else if (rs->secs >= 86400)
                rs->delay_ns = 86400 * 1000000000LL;
            else
                rs->delay_ns = rs->secs * 1000000000LL + rs->nanos;
        }
    }
    return 0;
}

static int on_status(void *ud, uint32_t field, const unsigned char *v, size_t n)
{
    struct retry_scan *rs = ud;
    if (field == 3 && v) {
        rs->in_any_is_retry = false;
        return each_len_field(v, v + n, on_any, rs);
    }
    return 0;
}

bool sx_grpc_status_retry_delay(const void *bin, size_t len, int64_t *delay_ns)
{
    struct retry_scan rs = { 0, false, false, 0, 0 };
    const unsigned char *v = bin;

    each_len_field(v, v + len, on_status, &rs);
    if (rs.found)
        *delay_ns = rs.delay_ns;
    return rs.found;
}

static void grpc_send(void *ctx, uint32_t lane, const sx_payload *p, const sx_attempt *at,
                      sx_send_result *res)
{
    grpc_tx *t = ctx;
    grpc_completion_queue *cq = t->cq[lane];
    grpc_metadata_array initial, trailing;
    grpc_byte_buffer *resp = NULL, *req;
    grpc_status_code status = GRPC_STATUS_UNKNOWN;
    grpc_slice details = grpc_empty_slice();
    grpc_op ops[6];
    /* The call deadline bounds connect + send + answer of this attempt. */
    int64_t timeout = at->timeout_ns > 0 ? at->timeout_ns : t->timeout_ns;
    gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                         gpr_time_from_nanos(timeout, GPR_TIMESPAN));
    bool cancelled = false;
    /* The payload outlives the call (we wait for it), so no copy. */
    grpc_slice body = grpc_slice_new(p->body.data, p->body.len, noop_free);

    grpc_metadata_array_init(&initial);
    grpc_metadata_array_init(&trailing);
    req = grpc_raw_byte_buffer_create(&body, 1);
    grpc_call *call = grpc_channel_create_call(t->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
                                               t->method[p->sig], NULL, deadline, NULL);
    memset(ops, 0, sizeof(ops));
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = t->nmd;
    ops[0].data.send_initial_metadata.metadata = t->md;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = req;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &resp;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &trailing;
    ops[5].data.recv_status_on_client.status = &status;
    ops[5].data.recv_status_on_client.status_details = &details;
    if (grpc_call_start_batch(call, ops, 6, (void *)call, NULL) != GRPC_CALL_OK) {
        res->outcome = SX_SEND_RETRY;
        snprintf(res->what, sizeof(res->what), "call failed");
        goto out;
    }
    /* Wait in short steps so a cut (flush deadline, endpoint down) cancels
     * the call instead of waiting for its deadline. */
    for (;;) {
        gpr_timespec step = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                         gpr_time_from_millis(100, GPR_TIMESPAN));
        grpc_event ev = grpc_completion_queue_pluck(cq, (void *)call, step, NULL);
        if (ev.type == GRPC_OP_COMPLETE)
            break;
        if (!cancelled && at->cut && atomic_load(at->cut)) {
            grpc_call_cancel_with_status(call, GRPC_STATUS_CANCELLED, "cut by sigsynth", NULL);
            cancelled = true;
        }
    }

    if (status == GRPC_STATUS_OK) {
        res->outcome = SX_SEND_OK;
        if (resp) {
            grpc_byte_buffer_reader rd;
            if (grpc_byte_buffer_reader_init(&rd, resp)) {
                grpc_slice all = grpc_byte_buffer_reader_readall(&rd);
                char msg[400];
                if (sx_otlp_parse_partial(GRPC_SLICE_START_PTR(all), GRPC_SLICE_LENGTH(all),
                                          &res->rejected, msg, sizeof(msg)) == 0 &&
                    (res->rejected || msg[0])) {
                    snprintf(res->what, sizeof(res->what), "partial success");
                    snprintf(res->detail, sizeof(res->detail), "%s", msg);
                }
                grpc_slice_unref(all);
                grpc_byte_buffer_reader_destroy(&rd);
            }
        }
        goto out;
    }
    snprintf(res->what, sizeof(res->what), "%s",
             (unsigned)status < 17 ? code_names[status] : "UNKNOWN");
    snprintf(res->detail, sizeof(res->detail), "%.*s", (int)GRPC_SLICE_LENGTH(details),
             (const char *)GRPC_SLICE_START_PTR(details));
    bool retry_info = false;
    for (size_t i = 0; i < trailing.count; i++) {
        if (grpc_slice_str_cmp(trailing.metadata[i].key, "grpc-status-details-bin") == 0)
            retry_info |= sx_grpc_status_retry_delay(
                GRPC_SLICE_START_PTR(trailing.metadata[i].value),
                GRPC_SLICE_LENGTH(trailing.metadata[i].value), &res->retry_after_ns);
    }
    switch (status) {
    case GRPC_STATUS_CANCELLED:
    case GRPC_STATUS_DEADLINE_EXCEEDED:
    case GRPC_STATUS_ABORTED:
    case GRPC_STATUS_OUT_OF_RANGE:
    case GRPC_STATUS_UNAVAILABLE:
    case GRPC_STATUS_DATA_LOSS:
        res->outcome = SX_SEND_RETRY;
        break;
    case GRPC_STATUS_RESOURCE_EXHAUSTED:
        res->outcome = retry_info ? SX_SEND_RETRY : SX_SEND_DROP;
        break;
    default:
        res->outcome = SX_SEND_DROP;
        break;
    }
out:
    grpc_metadata_array_destroy(&initial);
    grpc_metadata_array_destroy(&trailing);
    grpc_slice_unref(details);
    if (resp)
        grpc_byte_buffer_destroy(resp);
    grpc_byte_buffer_destroy(req);
    grpc_slice_unref(body);
    grpc_call_unref(call);
}

static void grpc_destroy(void *ctx)
{
    grpc_tx *t = ctx;

    if (!t)
        return;
    for (uint32_t i = 0; t->cq && i < t->lanes; i++) {
        if (!t->cq[i])
            continue;
        grpc_completion_queue_shutdown(t->cq[i]);
        while (grpc_completion_queue_pluck(t->cq[i], NULL, gpr_inf_future(GPR_CLOCK_REALTIME),
                                           NULL).type != GRPC_QUEUE_SHUTDOWN)
            ;
        grpc_completion_queue_destroy(t->cq[i]);
    }
    free(t->cq);
    if (t->channel)
        grpc_channel_destroy(t->channel);
    for (int i = 0; i < SX_NSIG; i++)
        grpc_slice_unref(t->method[i]);
    for (size_t i = 0; i < t->nmd; i++) {
        grpc_slice_unref(t->md[i].key);
        grpc_slice_unref(t->md[i].value);
    }
    free(t->md);
    for (int i = 0; i < 3; i++)
        free(t->pem[i]);
    free(t);
    grpc_shutdown();
}

static char *slurp(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long len;

    if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
        !(buf = malloc((size_t)len + 1)) || fread(buf, 1, (size_t)len, f) != (size_t)len) {
        snprintf(err, errlen, "cannot read %s", path);
        free(buf);
        if (f)
            fclose(f);
        return NULL;
    }
    buf[len] = '\0';
    fclose(f);
    return buf;
}

int sx_otlp_grpc_transport(const sx_otlp_cfg *cfg, sx_otlp_transport *out, char *err,
                           size_t errlen)
{
    static const char *const methods[SX_NSIG] = {
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
        "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
    };
    const char *ep = cfg->endpoint ? cfg->endpoint : "http://localhost:4317";
    bool tls = !cfg->insecure;
    char target[512];
    grpc_tx *t;

    grpc_init();
    t = calloc(1, sizeof(*t));
    if (!t) {
        grpc_shutdown();
        return SX_ENOMEM;
    }
    t->lanes = cfg->delivery.lanes;
    t->timeout_ns = cfg->timeout_ns > 0 ? cfg->timeout_ns : 10000000000LL;
    for (int i = 0; i < SX_NSIG; i++)
        t->method[i] = grpc_slice_from_static_string(methods[i]);
    if (strncmp(ep, "http://", 7) == 0) {
        ep += 7;
        tls = false;
    } else if (strncmp(ep, "https://", 8) == 0) {
        ep += 8;
        tls = true;
    }
    snprintf(target, sizeof(target), "%.*s", (int)strcspn(ep, "/"), ep);

    /* Headers become metadata with lower-case keys, as gRPC requires. */
    t->md = calloc(cfg->nheaders ? cfg->nheaders : 1, sizeof(*t->md));
    if (!t->md)
        goto oom;
    for (uint32_t i = 0; i < cfg->nheaders; i++) {
        const char *h = cfg->headers[i], *colon = strchr(h, ':');
        char key[256];
        size_t kl;
        if (!colon || (kl = (size_t)(colon - h)) >= sizeof(key))
            continue;
        for (size_t k = 0; k < kl; k++)
            key[k] = (char)tolower((unsigned char)h[k]);
        key[kl] = '\0';
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        t->md[t->nmd].key = grpc_slice_from_copied_string(key);
        t->md[t->nmd].value = grpc_slice_from_copied_string(v);
        t->nmd++;
    }

    grpc_arg args[2];
    args[0].type = GRPC_ARG_INTEGER;
    args[0].key = (char *)GRPC_COMPRESSION_CHANNEL_DEFAULT_ALGORITHM;
    args[0].value.integer = cfg->gzip ? GRPC_COMPRESS_GZIP : GRPC_COMPRESS_NONE;
    args[1].type = GRPC_ARG_INTEGER;
    args[1].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
    args[1].value.integer = 4 * 1024 * 1024;
    grpc_channel_args cargs = { 2, args };
    grpc_channel_credentials *creds;
    if (tls) {
        grpc_ssl_pem_key_cert_pair pair = { NULL, NULL };
        if (cfg->tls.ca_file && !(t->pem[0] = slurp(cfg->tls.ca_file, err, errlen)))
            goto fail;
        if (cfg->tls.cert_file || cfg->tls.key_file) {
            if (!cfg->tls.cert_file || !cfg->tls.key_file) {
                snprintf(err, errlen, "mTLS needs both a client certificate and a key");
                goto fail;
            }
            if (!(t->pem[1] = slurp(cfg->tls.key_file, err, errlen)) ||
                !(t->pem[2] = slurp(cfg->tls.cert_file, err, errlen)))
                goto fail;
            pair.private_key = t->pem[1];
            pair.cert_chain = t->pem[2];
        }
        creds = grpc_ssl_credentials_create(t->pem[0], pair.private_key ? &pair : NULL, NULL,
                                            NULL);
    } else {
        creds = grpc_insecure_credentials_create();
    }
    if (!creds) {
        snprintf(err, errlen, "cannot create gRPC credentials");
        goto fail;
    }
    t->channel = grpc_channel_create(target, creds, &cargs);
    grpc_channel_credentials_release(creds);
    t->cq = calloc(t->lanes, sizeof(*t->cq));
    if (!t->channel || !t->cq)
        goto oom;
    for (uint32_t i = 0; i < t->lanes; i++)
        t->cq[i] = grpc_completion_queue_create_for_pluck(NULL);
    out->ctx = t;
    out->send = grpc_send;
    out->destroy = grpc_destroy;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    grpc_destroy(t);
    return SX_EINVAL;
}
