/* sigsynth: exporter flags and the OpenTelemetry environment variables.
 * Flags win over the environment, as in every OTel SDK. Secrets (header
 * values, tokens, passwords) are kept but never printed. */
#ifndef SX_EXPORTER_FLAGS_H
#define SX_EXPORTER_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exporter.h"
#include "scenario/model.h"

#define SX_CLI_MAX_HEADERS 32

typedef struct sx_cli_exporters {
    const char *output;             /* file exporter directory */
    unsigned file_signals;
    /* OTLP */
    const char *otlp_endpoint;
    const char *otlp_signal_endpoint[3];
    const char *otlp_protocol;      /* "grpc" | "http/protobuf" */
    char *otlp_headers[SX_CLI_MAX_HEADERS];
    uint32_t notlp_headers;
    bool otlp_headers_from_flags;
    const char *otlp_compression;
    double otlp_timeout;            /* seconds */
    const char *otlp_ca, *otlp_cert, *otlp_key;
    const char *otlp_ca_src, *otlp_cert_src, *otlp_key_src;   /* flag or variable, for messages */
    int otlp_insecure;              /* -1 unset */
    unsigned otlp_signals;
    uint32_t otlp_max_batch;
    uint32_t otlp_max_bytes;
    /* remote-write */
    const char *rw_url;
    char *rw_headers[SX_CLI_MAX_HEADERS];
    uint32_t nrw_headers;
    const char *rw_bearer_file;
    const char *rw_basic_user;
    const char *rw_basic_password_file;
    const char *rw_ca, *rw_cert, *rw_key;
    bool rw_insecure_skip_verify;
    uint32_t rw_max_samples;
    uint32_t rw_concurrency;
    double rw_timeout;
    const char *synthetic_label;
    char *rw_secret;                /* token or password read from a file */
    /* delivery */
    uint32_t queue_size;
    const char *on_full;            /* "block" | "drop-oldest" */
    double shutdown_timeout;
    double retry_max_time;
    double give_up_after;           /* seconds; 0 = never declare an endpoint down */
    bool allow_drops;
    /* OTEL_RESOURCE_ATTRIBUTES */
    sx_attr resource_attrs[32];
    uint32_t nresource_attrs;
    char *resource_text;
} sx_cli_exporters;

void sx_cli_exporters_init(sx_cli_exporters *x);
void sx_cli_exporters_fini(sx_cli_exporters *x);

/* 1: consumed (flag took value), 0: not an exporter flag, -1: bad value
 * (message printed). */
int sx_cli_exporter_flag(sx_cli_exporters *x, const char *flag, const char *value);

/* Fills what the flags left unset from OTEL_* variables; -1 on bad values. */
int sx_cli_exporters_env(sx_cli_exporters *x);

/* Creates every configured exporter (file when asked for, or when nothing
 * else is). live: drop-oldest default. Returns 0 or prints and returns -1.
 * Everything that can be wrong with the flags (TLS files, auth, URLs) is
 * checked before the file exporter opens, and so truncates, any file. */
int sx_cli_exporters_create(sx_cli_exporters *x, bool live, volatile int *interrupt,
                            sx_exporter **ex, size_t max, size_t *n);

void sx_cli_exporters_help(void);

#endif
