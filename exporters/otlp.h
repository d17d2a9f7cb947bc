/* sigsynth: what OTLP/gRPC and OTLP/HTTP share: configuration, encoding
 * batches into Export requests of bounded size, and the delivery queue.
 * Each transport only knows how to send one encoded request. */
#ifndef SX_OTLP_H
#define SX_OTLP_H

#include "delivery.h"
#include "exporter.h"
#include "http.h"

typedef struct sx_otlp_cfg {
    const char *endpoint;           /* base URL or host:port */
    const char *signal_endpoint[SX_NSIG];   /* per-signal override, used as is */
    bool grpc;                      /* protocol: grpc, else http/protobuf */
    char **headers;                 /* "key: value" (HTTP) / key=value pairs split for gRPC */
    uint32_t nheaders;
    bool gzip;
    int64_t timeout_ns;
    sx_tls_cfg tls;
    bool insecure;                  /* gRPC: plaintext even for a non-http:// endpoint */
    uint32_t max_items;             /* spans/logs per request */
    size_t max_bytes;               /* encoded request size cap (receivers limit it) */
    sx_delivery_cfg delivery;
    unsigned signals;
} sx_otlp_cfg;

/* A transport: created per exporter, send() called from lane threads. */
typedef struct sx_otlp_transport {
    void *ctx;
    void (*send)(void *ctx, uint32_t lane, const sx_payload *p, const sx_attempt *at,
                 sx_send_result *res);
    void (*destroy)(void *ctx);
} sx_otlp_transport;

int sx_otlp_http_transport(const sx_otlp_cfg *cfg, sx_otlp_transport *t, char *err, size_t errlen);
int sx_otlp_grpc_transport(const sx_otlp_cfg *cfg, sx_otlp_transport *t, char *err, size_t errlen);

int sx_otlp_exporter_create(const sx_otlp_cfg *cfg, sx_exporter **out, char *err, size_t errlen);

/* Reads Export*ServiceResponse.partial_success (rejected count, message);
 * returns 0 when the body parses (an empty body is a full success). */
int sx_otlp_parse_partial(const void *body, size_t len, uint64_t *rejected, char *msg,
                          size_t msglen);

/* Reads the RetryInfo delay from a google.rpc.Status (grpc-status-details-bin);
 * sets *delay_ns and returns true when there is one. */
bool sx_grpc_status_retry_delay(const void *bin, size_t len, int64_t *delay_ns);

#endif
