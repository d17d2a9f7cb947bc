/* sigsynth: the remote-write exporter's configuration. */
#ifndef SX_REMOTE_WRITE_EXPORTER_H
#define SX_REMOTE_WRITE_EXPORTER_H

#include "delivery.h"
#include "exporter.h"
#include "http.h"

typedef struct sx_rw_cfg {
    const char *url;
    char **headers;             /* extra "Name: value" headers */
    uint32_t nheaders;
    const char *bearer_token;   /* read from a file by the CLI; never printed */
    const char *basic_user;
    const char *basic_password;
    sx_tls_cfg tls;
    int64_t timeout_ns;
    uint32_t max_samples;       /* per request (Prometheus' max_samples_per_send: 2000) */
    const char *synthetic_label;
    sx_delivery_cfg delivery;
} sx_rw_cfg;

int sx_rw_exporter_create(const sx_rw_cfg *cfg, sx_exporter **out, char *err, size_t errlen);

#endif
