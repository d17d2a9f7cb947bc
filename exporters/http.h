/* sigsynth: one HTTP POST over libcurl, shared by OTLP/HTTP and
 * remote-write. A connection per lane keeps its TCP/TLS session alive. */
#ifndef SX_HTTP_H
#define SX_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/strbuf.h"

typedef struct sx_tls_cfg {
    const char *ca_file;        /* NULL: system roots */
    const char *cert_file;      /* mTLS client certificate */
    const char *key_file;
    bool insecure_skip_verify;  /* only when asked for */
} sx_tls_cfg;

typedef struct sx_http_cfg {
    char **headers;             /* "Name: value" lines; secrets live here, never printed */
    uint32_t nheaders;
    const char *content_type;
    const char *content_encoding;   /* "gzip", "snappy" or NULL */
    int64_t timeout_ns;         /* default for an attempt; sx_http_post may shorten it */
    sx_tls_cfg tls;
    const char *basic_user;     /* with basic_password */
    const char *basic_password;
} sx_http_cfg;

typedef struct sx_http_response {
    long status;                /* 0: no response (transport error) */
    int64_t retry_after_ns;     /* from Retry-After (seconds or HTTP-date), 0 = none */
    char error[256];            /* transport error text */
    bool timed_out;             /* no complete answer within the attempt's timeout */
    sx_strbuf body;             /* first 64 KiB of the response body */
} sx_http_response;

typedef struct sx_http_conn sx_http_conn;

int sx_http_global_init(void);
sx_http_conn *sx_http_conn_create(const sx_http_cfg *cfg);
void sx_http_conn_destroy(sx_http_conn *c);
/* Posts body to url. timeout_ns bounds the whole attempt (connect, send,
 * answer); cut (may be NULL) aborts it within about a second once nonzero.
 * Returns 0 when a response arrived (any status) or a negative code for a
 * transport failure (resp->error says what). */
int sx_http_post(sx_http_conn *c, const char *url, const void *body, size_t len,
                 int64_t timeout_ns, const atomic_int *cut, sx_http_response *resp);

/* A GET for small API responses (at most max bytes kept). Returns 0 with
 * *status set when a response arrived, else a negative code and err. */
int sx_http_get(const char *url, int64_t timeout_ns, sx_strbuf *out, size_t max, long *status,
                char *err, size_t errlen);

/* gzip (RFC 1952) of in into out, replacing out's contents. */
int sx_gzip(const void *in, size_t len, sx_strbuf *out);

/* Parses a Retry-After value: delta seconds or an HTTP-date. */
int64_t sx_parse_retry_after(const char *v);

#endif
