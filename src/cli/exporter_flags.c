#include "cli/exporter_flags.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "otlp.h"
#include "remote_write_exporter.h"
#include "scenario/units.h"
#include "sim/run.h"
#include "util/err.h"
#include "util/redact.h"

void sx_cli_exporters_init(sx_cli_exporters *x)
{
    memset(x, 0, sizeof(*x));
    x->file_signals = SX_SIG_ALL;
    x->otlp_signals = SX_SIG_ALL;
    x->otlp_insecure = -1;
    x->otlp_timeout = -1;
    x->rw_timeout = 30;
    x->shutdown_timeout = 10;
    x->retry_max_time = 60;
    x->give_up_after = 30;
    x->synthetic_label = "synthetic";
    x->otlp_ca_src = "--otlp-ca";
    x->otlp_cert_src = "--otlp-client-cert";
    x->otlp_key_src = "--otlp-client-key";
}

void sx_cli_exporters_fini(sx_cli_exporters *x)
{
    for (uint32_t i = 0; i < x->notlp_headers; i++)
        free(x->otlp_headers[i]);
    for (uint32_t i = 0; i < x->nrw_headers; i++)
        free(x->rw_headers[i]);
    free(x->rw_secret);
    free(x->resource_text);
    memset(x, 0, sizeof(*x));
}

static int bad(const char *flag, const char *why)
{
    fprintf(stderr, "sigsynth run: %s: %s\n", flag, why);
    return -1;
}

/* RFC 9110 field-value: visible ASCII, obs-text, SP and HTAB. Every other
 * control character (CR, LF and NUL above all) could end the header line
 * early and start another one, so it is refused, whatever the source. */
static bool field_value_ok(const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

/* Header names: a subset of RFC 9110 tokens that gRPC metadata keys also
 * accept (it lower-cases them). */
static bool header_name_ok(const char *k, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)k[i]) || k[i] == '-' || k[i] == '_' || k[i] == '.'))
            return false;
    return true;
}

/* "K=V" -> "K: V" (an HTTP header line); the value is never echoed, the
 * name only once it is known to be clean. */
static int add_header(char **list, uint32_t *n, const char *flag, const char *kv)
{
    const char *eq = strchr(kv, '=');
    size_t klen;

    if (!eq || eq == kv)
        return bad(flag, "expected KEY=VALUE");
    klen = (size_t)(eq - kv);
    if (!header_name_ok(kv, klen))
        return bad(flag, "header names use letters, digits, '-', '_' and '.'");
    if (!field_value_ok(eq + 1, strlen(eq + 1))) {
        fprintf(stderr, "sigsynth run: %s: the value of header '%.*s' holds a control character "
                        "(CR, LF, NUL or another); refused, nothing was sent\n",
                flag, (int)klen, kv);
        return -1;
    }
    if (*n >= SX_CLI_MAX_HEADERS)
        return bad(flag, "too many headers");
    size_t len = strlen(kv) + 3;
    char *h = malloc(len);
    if (!h)
        return bad(flag, "out of memory");
    snprintf(h, len, "%.*s: %s", (int)klen, kv, eq + 1);
    list[(*n)++] = h;
    return 1;
}

static int parse_signal_list(const char *s, unsigned *out)
{
    unsigned m = 0;
    const char *p = s;

    while (*p) {
        size_t n = strcspn(p, ",");
        if (n == 6 && strncmp(p, "traces", 6) == 0)
            m |= SX_SIG_TRACES;
        else if (n == 7 && strncmp(p, "metrics", 7) == 0)
            m |= SX_SIG_METRICS;
        else if (n == 4 && strncmp(p, "logs", 4) == 0)
            m |= SX_SIG_LOGS;
        else
            return -1;
        p += n;
        if (*p == ',')
            p++;
    }
    *out = m;
    return m ? 0 : -1;
}

static int duration_flag(const char *flag, const char *v, double *out)
{
    const char *why;
    if (sx_parse_duration(v, out, &why) || *out <= 0)
        return bad(flag, "expected a duration like 10s");
    return 1;
}

static int count_flag(const char *flag, const char *v, uint64_t max, uint32_t *out)
{
    uint64_t u;
    if (sx_parse_uint(v, max, &u) || u == 0)
        return bad(flag, "expected a positive whole number");
    *out = (uint32_t)u;
    return 1;
}

int sx_cli_exporter_flag(sx_cli_exporters *x, const char *f, const char *v)
{
    if (strcmp(f, "--output") == 0) {
        x->output = v;
    } else if (strcmp(f, "--otlp-endpoint") == 0) {
        x->otlp_endpoint = v;
    } else if (strcmp(f, "--otlp-protocol") == 0) {
        if (strcmp(v, "grpc") != 0 && strcmp(v, "http/protobuf") != 0)
            return bad(f, "expected grpc or http/protobuf");
        x->otlp_protocol = v;
    } else if (strcmp(f, "--otlp-header") == 0) {
        x->otlp_headers_from_flags = true;
        return add_header(x->otlp_headers, &x->notlp_headers, f, v);
    } else if (strcmp(f, "--otlp-compression") == 0) {
        if (strcmp(v, "gzip") != 0 && strcmp(v, "none") != 0)
            return bad(f, "expected gzip or none");
        x->otlp_compression = v;
    } else if (strcmp(f, "--otlp-timeout") == 0) {
        return duration_flag(f, v, &x->otlp_timeout);
    } else if (strcmp(f, "--otlp-ca") == 0) {
        x->otlp_ca = v;
    } else if (strcmp(f, "--otlp-client-cert") == 0) {
        x->otlp_cert = v;
    } else if (strcmp(f, "--otlp-client-key") == 0) {
        x->otlp_key = v;
    } else if (strcmp(f, "--otlp-insecure") == 0) {
        if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
            return bad(f, "expected true or false");
        x->otlp_insecure = v[0] == 't';
    } else if (strcmp(f, "--otlp-signals") == 0) {
        if (parse_signal_list(v, &x->otlp_signals))
            return bad(f, "expected a list of traces,metrics,logs");
    } else if (strcmp(f, "--otlp-max-batch") == 0) {
        return count_flag(f, v, 1000000, &x->otlp_max_batch);
    } else if (strcmp(f, "--otlp-max-request-bytes") == 0) {
        double sz;
        const char *why;
        if (sx_parse_size(v, &sz, &why) || sz < 1024 || sz > 1073741824.0)
            return bad(f, "expected a size between 1KiB and 1GiB, e.g. 4MiB");
        x->otlp_max_bytes = (uint32_t)sz;
        return 1;
    } else if (strcmp(f, "--remote-write-url") == 0) {
        x->rw_url = v;
    } else if (strcmp(f, "--remote-write-header") == 0) {
        return add_header(x->rw_headers, &x->nrw_headers, f, v);
    } else if (strcmp(f, "--remote-write-bearer-token-file") == 0) {
        x->rw_bearer_file = v;
    } else if (strcmp(f, "--remote-write-basic-auth-user") == 0) {
        x->rw_basic_user = v;
    } else if (strcmp(f, "--remote-write-basic-auth-password-file") == 0) {
        x->rw_basic_password_file = v;
    } else if (strcmp(f, "--remote-write-ca") == 0) {
        x->rw_ca = v;
    } else if (strcmp(f, "--remote-write-client-cert") == 0) {
        x->rw_cert = v;
    } else if (strcmp(f, "--remote-write-client-key") == 0) {
        x->rw_key = v;
    } else if (strcmp(f, "--remote-write-max-samples") == 0) {
        return count_flag(f, v, 1000000, &x->rw_max_samples);
    } else if (strcmp(f, "--remote-write-concurrency") == 0) {
        return count_flag(f, v, 64, &x->rw_concurrency);
    } else if (strcmp(f, "--remote-write-timeout") == 0) {
        return duration_flag(f, v, &x->rw_timeout);
    } else if (strcmp(f, "--synthetic-label") == 0) {
        for (const char *p = v; *p; p++)
            if (!(isalnum((unsigned char)*p) || *p == '_') || isdigit((unsigned char)v[0]))
                return bad(f, "expected a Prometheus label name");
        if (!*v || strncmp(v, "__", 2) == 0)
            return bad(f, "expected a Prometheus label name");
        x->synthetic_label = v;
    } else if (strcmp(f, "--queue-size") == 0) {
        return count_flag(f, v, 100000, &x->queue_size);
    } else if (strcmp(f, "--on-full") == 0) {
        if (strcmp(v, "block") != 0 && strcmp(v, "drop-oldest") != 0)
            return bad(f, "expected block or drop-oldest");
        x->on_full = v;
    } else if (strcmp(f, "--shutdown-timeout") == 0) {
        return duration_flag(f, v, &x->shutdown_timeout);
    } else if (strcmp(f, "--retry-max-time") == 0) {
        return duration_flag(f, v, &x->retry_max_time);
    } else if (strcmp(f, "--give-up-after") == 0) {
        const char *why;
        if (strcmp(v, "0") == 0)
            x->give_up_after = 0;
        else if (sx_parse_duration(v, &x->give_up_after, &why) || x->give_up_after < 0)
            return bad(f, "expected a duration like 30s, or 0 for never");
    } else {
        return 0;
    }
    return 1;
}

/* OTEL_EXPORTER_OTLP_HEADERS (or its TRACES_ form): "k1=v1,k2=v2" with
 * percent-encoded values. Control characters are looked for after decoding,
 * on the decoded length, so "%0D%0A" and "%00" are caught as well as raw
 * ones. */
static int env_headers(sx_cli_exporters *x, const char *s)
{
    const char *tr = getenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS");
    const char *var = tr == s ? "OTEL_EXPORTER_OTLP_TRACES_HEADERS" : "OTEL_EXPORTER_OTLP_HEADERS";
    const char *p = s;
    unsigned entry = 0;

    while (*p) {
        size_t n = strcspn(p, ",");
        char item[1024], dec[1024];
        size_t di = 0;
        entry++;
        if (n >= sizeof(item))
            return bad(var, "entry too long");
        memcpy(item, p, n);
        item[n] = '\0';
        for (size_t i = 0; i < n && di < sizeof(dec) - 1; i++) {
            if (item[i] == '%' && isxdigit((unsigned char)item[i + 1]) &&
                isxdigit((unsigned char)item[i + 2])) {
                char hx[3] = { item[i + 1], item[i + 2], 0 };
                dec[di++] = (char)strtol(hx, NULL, 16);
                i += 2;
            } else if (item[i] != ' ' || (di && dec[di - 1] != '=')) {
                dec[di++] = item[i];
            }
        }
        dec[di] = '\0';
        if (!field_value_ok(dec, di)) {
            fprintf(stderr, "sigsynth run: %s: entry %u holds a control character (CR, LF, NUL "
                            "or another, also when percent-encoded); refused, nothing was sent\n",
                    var, entry);
            return -1;
        }
        if (di && add_header(x->otlp_headers, &x->notlp_headers, var, dec) < 0)
            return -1;
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

static const char *env2(const char *signal_var, const char *generic_var)
{
    const char *v = signal_var ? getenv(signal_var) : NULL;
    if (v && *v)
        return v;
    v = getenv(generic_var);
    return v && *v ? v : NULL;
}

/* Which of the two variables env2 took its value from. */
static const char *env2_name(const char *signal_var, const char *generic_var)
{
    const char *v = getenv(signal_var);
    return v && *v ? signal_var : generic_var;
}

int sx_cli_exporters_env(sx_cli_exporters *x)
{
    static const char *const sig_ep[3] = { "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                                           "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
                                           "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT" };
    const char *v;

    if (!x->otlp_endpoint) {
        x->otlp_endpoint = env2(NULL, "OTEL_EXPORTER_OTLP_ENDPOINT");
        for (int i = 0; i < 3; i++) {
            v = getenv(sig_ep[i]);
            if (v && *v)
                x->otlp_signal_endpoint[i] = v;
        }
    }
    if (!x->otlp_protocol && (v = env2("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"))) {
        if (strcmp(v, "grpc") != 0 && strcmp(v, "http/protobuf") != 0)
            return bad("OTEL_EXPORTER_OTLP_PROTOCOL", "sigsynth speaks grpc or http/protobuf");
        x->otlp_protocol = v;
    }
    if (!x->otlp_headers_from_flags && (v = env2("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS")) &&
        env_headers(x, v))
        return -1;
    if (!x->otlp_compression && (v = env2("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION"))) {
        if (strcmp(v, "gzip") != 0 && strcmp(v, "none") != 0)
            return bad("OTEL_EXPORTER_OTLP_COMPRESSION", "expected gzip or none");
        x->otlp_compression = v;
    }
    if (x->otlp_timeout < 0 && (v = env2("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"))) {
        uint64_t ms;
        if (sx_parse_uint(v, 3600000, &ms) || !ms)
            return bad("OTEL_EXPORTER_OTLP_TIMEOUT", "expected milliseconds");
        x->otlp_timeout = (double)ms / 1000.0;
    }
    if (!x->otlp_ca) {
        x->otlp_ca = env2("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "OTEL_EXPORTER_OTLP_CERTIFICATE");
        if (x->otlp_ca)
            x->otlp_ca_src = env2_name("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
                                       "OTEL_EXPORTER_OTLP_CERTIFICATE");
    }
    if (!x->otlp_cert) {
        x->otlp_cert = env2("OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE");
        if (x->otlp_cert)
            x->otlp_cert_src = env2_name("OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE",
                                         "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE");
    }
    if (!x->otlp_key) {
        x->otlp_key = env2("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "OTEL_EXPORTER_OTLP_CLIENT_KEY");
        if (x->otlp_key)
            x->otlp_key_src = env2_name("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY",
                                        "OTEL_EXPORTER_OTLP_CLIENT_KEY");
    }
    if (x->otlp_insecure < 0 && (v = env2("OTEL_EXPORTER_OTLP_TRACES_INSECURE", "OTEL_EXPORTER_OTLP_INSECURE")))
        x->otlp_insecure = strcasecmp(v, "true") == 0;
    if ((v = getenv("OTEL_RESOURCE_ATTRIBUTES")) && *v) {
        char *p;
        if (!(x->resource_text = strdup(v)))
            return bad("OTEL_RESOURCE_ATTRIBUTES", "out of memory");
        p = x->resource_text;
        while (*p && x->nresource_attrs < 32) {
            char *item = p, *eq;
            size_t n = strcspn(p, ",");
            p += n;
            if (*p)
                *p++ = '\0';
            if (!(eq = strchr(item, '=')) || eq == item)
                return bad("OTEL_RESOURCE_ATTRIBUTES", "expected key=value,key=value");
            *eq = '\0';
            sx_attr *a = &x->resource_attrs[x->nresource_attrs++];
            a->key = item;
            a->type = SX_ATTR_STRING;
            a->str = eq + 1;
        }
    }
    return 0;
}

/* A token or password file: at most 4 KiB, one trailing line end (from echo
 * or an editor) and trailing spaces removed. Anything else that is a control
 * character, a NUL included (fread counts it, strlen would stop at it), is
 * an error: the secret goes into a header line. Never echoes the content. */
static char *read_secret(const char *path, const char *what)
{
    FILE *f = fopen(path, "rb");
    char buf[4097];
    size_t n;
    int rerr;

    if (!f) {
        fprintf(stderr, "sigsynth run: cannot read the %s file %s: %s\n", what, path,
                strerror(errno));
        return NULL;
    }
    n = fread(buf, 1, sizeof(buf), f);
    rerr = ferror(f);
    fclose(f);
    if (rerr) {
        fprintf(stderr, "sigsynth run: cannot read the %s file %s\n", what, path);
        return NULL;
    }
    if (n > 4096) {
        fprintf(stderr, "sigsynth run: the %s file %s is larger than 4 KiB\n", what, path);
        return NULL;
    }
    while (n && buf[n - 1] == ' ')
        n--;
    if (n && buf[n - 1] == '\n')
        n--;   /* files from echo end in a newline */
    if (n && buf[n - 1] == '\r')
        n--;
    while (n && buf[n - 1] == ' ')
        n--;
    buf[n] = '\0';
    if (!n) {
        fprintf(stderr, "sigsynth run: the %s file %s is empty\n", what, path);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c < 0x20 || c == 0x7f) {
            fprintf(stderr, "sigsynth run: the %s file %s holds a control character (CR, LF, "
                            "NUL or another) before its end; refused, nothing was sent\n",
                    what, path);
            return NULL;
        }
    }
    return strdup(buf);
}

/* Which variable or flag a value came from, for messages: env values are
 * getenv()'s own pointers. */
static const char *source_of(const char *v, const char *var, const char *flag)
{
    const char *e = getenv(var);
    return e && e == v ? var : flag;
}

/* Endpoint URLs and the basic-auth user, checked before any exporter starts
 * (flags and environment are both in by then). A URL is never echoed: it may
 * carry a password. */
static int check_endpoints(const sx_cli_exporters *x)
{
    static const char *const sig_ep[3] = { "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                                           "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
                                           "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT" };
    static const char *const why = "the URL holds a space, a control character (CR, LF, NUL "
                                   "or another) or a non-ASCII byte; refused, nothing was sent";
    const char *ep = source_of(x->otlp_endpoint, "OTEL_EXPORTER_OTLP_ENDPOINT", "--otlp-endpoint");
    bool grpc = x->otlp_protocol && strcmp(x->otlp_protocol, "grpc") == 0;

    if (x->otlp_endpoint && sx_url_check(x->otlp_endpoint))
        return bad(ep, why);
    /* gRPC has no userinfo: the target would reach the resolver, and its
     * error messages, as it is. */
    if (x->otlp_endpoint && grpc && sx_url_has_userinfo(x->otlp_endpoint))
        return bad(ep, "a gRPC endpoint takes no user:password@; send credentials with "
                       "--otlp-header authorization=...");
    for (int i = 0; i < 3; i++)
        if (x->otlp_signal_endpoint[i] && sx_url_check(x->otlp_signal_endpoint[i]))
            return bad(sig_ep[i], why);
    if (x->rw_url && sx_url_check(x->rw_url))
        return bad("--remote-write-url", why);
    if (x->rw_basic_user) {
        for (const unsigned char *p = (const unsigned char *)x->rw_basic_user; *p; p++)
            if (*p < 0x20 || *p == 0x7f)
                return bad("--remote-write-basic-auth-user",
                           "the user name holds a control character; refused, nothing was sent");
        if (!*x->rw_basic_user || strchr(x->rw_basic_user, ':'))
            return bad("--remote-write-basic-auth-user", "a user name is not empty and has no ':'");
    }
    return 0;
}

/* A TLS file must be readable and PEM of the right kind; checked at start-up
 * because libcurl would only find out on the first request, and then retry
 * and drop everything. want: "CERTIFICATE" or "PRIVATE KEY". */
static int check_pem(const char *src, const char *path, const char *want)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;
    int rc = -1;

    if (!f) {
        fprintf(stderr, "sigsynth run: %s %s: cannot read: %s\n", src, path, strerror(errno));
        return -1;
    }
    enum { MAX_PEM = 1 << 20 };
    if (!(buf = malloc(MAX_PEM + 1))) {
        fprintf(stderr, "sigsynth run: %s %s: out of memory\n", src, path);
        goto out;
    }
    n = fread(buf, 1, MAX_PEM, f);
    if (ferror(f)) {
        fprintf(stderr, "sigsynth run: %s %s: cannot read: %s\n", src, path, strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (buf[i] == '\0')
            buf[i] = ' ';   /* DER or other binary: still searchable, and not PEM */
    buf[n] = '\0';
    /* "-----BEGIN CERTIFICATE-----", "-----BEGIN EC PRIVATE KEY-----", ... */
    bool ok = false;
    for (const char *p = strstr(buf, "-----BEGIN "); p && !ok; p = strstr(p + 1, "-----BEGIN ")) {
        const char *eol = strstr(p + 11, "-----");
        size_t wl = strlen(want);
        ok = eol && (size_t)(eol - (p + 11)) >= wl && strncmp(eol - wl, want, wl) == 0 &&
             strstr(eol, "-----END ") != NULL;
    }
    if (!ok) {
        fprintf(stderr, "sigsynth run: %s %s: not a PEM %s file\n", src, path,
                strcmp(want, "CERTIFICATE") == 0 ? "certificate" : "private key");
        goto out;
    }
    rc = 0;
out:
    free(buf);
    fclose(f);
    return rc;
}

static int check_tls(const char *ca_src, const char *ca, const char *cert_src, const char *cert,
                     const char *key_src, const char *key)
{
    if (cert && !key) {
        fprintf(stderr, "sigsynth run: %s needs %s too (mTLS takes a certificate and its key)\n",
                cert_src, key_src);
        return -1;
    }
    if (key && !cert) {
        fprintf(stderr, "sigsynth run: %s needs %s too (mTLS takes a certificate and its key)\n",
                key_src, cert_src);
        return -1;
    }
    if (ca && check_pem(ca_src, ca, "CERTIFICATE"))
        return -1;
    if (cert && check_pem(cert_src, cert, "CERTIFICATE"))
        return -1;
    if (key && check_pem(key_src, key, "PRIVATE KEY"))
        return -1;
    return 0;
}

/* Everything about the network exporters' flags that can be checked
 * without sending anything. */
static int validate(const sx_cli_exporters *x, bool otlp)
{
    if (otlp && check_tls(x->otlp_ca_src, x->otlp_ca, x->otlp_cert_src, x->otlp_cert,
                          x->otlp_key_src, x->otlp_key))
        return -1;
    if (!x->rw_url)
        return 0;
    if (check_tls("--remote-write-ca", x->rw_ca, "--remote-write-client-cert", x->rw_cert,
                  "--remote-write-client-key", x->rw_key))
        return -1;
    if (x->rw_bearer_file && x->rw_basic_user) {
        fprintf(stderr, "sigsynth run: remote-write takes a bearer token or basic auth, "
                        "not both\n");
        return -1;
    }
    if (x->rw_basic_user && !x->rw_basic_password_file) {
        fprintf(stderr, "sigsynth run: --remote-write-basic-auth-user needs "
                        "--remote-write-basic-auth-password-file\n");
        return -1;
    }
    return 0;
}

int sx_cli_exporters_create(sx_cli_exporters *x, bool live, volatile int *interrupt,
                            sx_exporter **ex, size_t max, size_t *n)
{
    char err[256] = "";
    bool drop_oldest = x->on_full ? strcmp(x->on_full, "drop-oldest") == 0 : live;
    sx_delivery_cfg dcfg = {
        .lanes = 0,
        .queue_per_lane = x->queue_size ? x->queue_size : 16,
        .drop_oldest = drop_oldest,
        .retry_initial_ns = 250000000LL,
        .retry_max_ns = 5000000000LL,
        .retry_budget_ns = (int64_t)(x->retry_max_time * 1e9),
        .give_up_after_ns = (int64_t)(x->give_up_after * 1e9),
        .interrupt = interrupt,
    };
    bool otlp = x->otlp_endpoint || x->otlp_signal_endpoint[0] || x->otlp_signal_endpoint[1] ||
                x->otlp_signal_endpoint[2];
    bool any_network = otlp || x->rw_url;
    sx_exporter *net[2] = { NULL, NULL }, *file = NULL;
    size_t nnet = 0;

    *n = 0;
    if (check_endpoints(x))
        return -1;
    /* The file exporter truncates its files: it comes last, after every
     * other exporter exists, so a usage error leaves old output alone. */
    if (validate(x, otlp))
        return -1;
    if (otlp) {
        sx_otlp_cfg oc = {
            .endpoint = x->otlp_endpoint,
            .grpc = x->otlp_protocol && strcmp(x->otlp_protocol, "grpc") == 0,
            .headers = x->otlp_headers,
            .nheaders = x->notlp_headers,
            .gzip = x->otlp_compression && strcmp(x->otlp_compression, "gzip") == 0,
            .timeout_ns = (int64_t)((x->otlp_timeout > 0 ? x->otlp_timeout : 10.0) * 1e9),
            .tls = { x->otlp_ca, x->otlp_cert, x->otlp_key, false },
            .insecure = x->otlp_insecure > 0,
            .delivery = dcfg,
            .signals = x->otlp_signals,
            .max_items = x->otlp_max_batch,
            .max_bytes = x->otlp_max_bytes,
        };
        for (int i = 0; i < 3; i++)
            oc.signal_endpoint[i] = x->otlp_signal_endpoint[i];
        if (sx_otlp_exporter_create(&oc, &net[nnet], err, sizeof(err))) {
            fprintf(stderr, "sigsynth run: otlp: %s\n", err[0] ? err : "cannot start");
            goto fail;
        }
        nnet++;
    }
    if (x->rw_url) {
        sx_rw_cfg rc = {
            .url = x->rw_url,
            .headers = x->rw_headers,
            .nheaders = x->nrw_headers,
            .basic_user = x->rw_basic_user,
            .tls = { x->rw_ca, x->rw_cert, x->rw_key, false },
            .timeout_ns = (int64_t)(x->rw_timeout * 1e9),
            .max_samples = x->rw_max_samples,
            .synthetic_label = x->synthetic_label,
            .delivery = dcfg,
        };
        rc.delivery.lanes = x->rw_concurrency ? x->rw_concurrency : 4;
        if (x->rw_bearer_file && !(x->rw_secret = read_secret(x->rw_bearer_file, "bearer token")))
            goto fail;
        if (x->rw_basic_password_file &&
            !(x->rw_secret = read_secret(x->rw_basic_password_file, "password")))
            goto fail;
        if (x->rw_bearer_file)
            rc.bearer_token = x->rw_secret;
        else
            rc.basic_password = x->rw_secret;
        if (sx_rw_exporter_create(&rc, &net[nnet], err, sizeof(err))) {
            fprintf(stderr, "sigsynth run: remote-write: %s\n", err[0] ? err : "cannot start");
            goto fail;
        }
        nnet++;
    }
    if ((x->output || !any_network) &&
        sx_file_exporter_create(x->output ? x->output : "sigsynth-out", x->file_signals, &file,
                                err, sizeof(err))) {
        fprintf(stderr, "sigsynth run: %s\n", err);
        goto fail;
    }
    if (file && *n < max)
        ex[(*n)++] = file;
    for (size_t i = 0; i < nnet && *n < max; i++)
        ex[(*n)++] = net[i];
    return 0;
fail:
    for (size_t i = 0; i < nnet; i++)
        net[i]->ops->destroy(net[i]);
    return -1;
}

void sx_cli_exporters_help(void)
{
    puts("exporters (any combination; without a network exporter, files go to sigsynth-out):\n"
         "  --otlp-endpoint URL        OTLP receiver (http://host:4318, or host:4317 for gRPC)\n"
         "  --otlp-protocol P          grpc | http/protobuf (default http/protobuf)\n"
         "  --otlp-header K=V          extra header / gRPC metadata (repeatable; never printed)\n"
         "  --otlp-compression C       gzip | none (default none)\n"
         "  --otlp-timeout D           one attempt: connect + send + answer (default 10s)\n"
         "  --otlp-ca FILE             CA bundle (default: system roots)\n"
         "  --otlp-client-cert FILE, --otlp-client-key FILE   mTLS\n"
         "  --otlp-insecure true       gRPC without TLS for a host:port endpoint\n"
         "  --otlp-signals LIST        what goes over OTLP (default traces,metrics,logs)\n"
         "  --otlp-max-batch N         spans or logs per request (default 2048)\n"
         "  --otlp-max-request-bytes S  split requests larger than S (default 4MiB)\n"
         "  --remote-write-url URL     Prometheus remote-write 1.0 receiver (metrics)\n"
         "  --remote-write-header K=V  extra header (repeatable; never printed)\n"
         "  --remote-write-bearer-token-file FILE\n"
         "  --remote-write-basic-auth-user U --remote-write-basic-auth-password-file FILE\n"
         "  --remote-write-ca FILE, --remote-write-client-cert FILE, --remote-write-client-key FILE\n"
         "  --remote-write-max-samples N  per request (default 2000)\n"
         "  --remote-write-concurrency N  requests in flight, each series in one (default 4)\n"
         "  --remote-write-timeout D   per request (default 30s)\n"
         "  --synthetic-label NAME     label marking every series (default synthetic)\n"
         "delivery:\n"
         "  --queue-size N             requests queued per lane (default 16)\n"
         "  --on-full block|drop-oldest  default: block in backfill, drop-oldest in live\n"
         "  --retry-max-time D         give up retrying a request after D (default 60s)\n"
         "  --shutdown-timeout D       time to deliver what is queued at the end (default 10s);\n"
         "                             attempts still running then are cut\n"
         "  --give-up-after D          an endpoint whose every request failed for D is down:\n"
         "                             the rest is dropped and the run ends, exit 1\n"
         "                             (default 30s, 0 = never)\n"
         "  --allow-drops              exit 0 even if something was dropped\n"
         "environment: OTEL_EXPORTER_OTLP_ENDPOINT (and _TRACES_/_METRICS_/_LOGS_ENDPOINT for\n"
         "  OTLP/HTTP), OTEL_EXPORTER_OTLP_{PROTOCOL,HEADERS,COMPRESSION,TIMEOUT,CERTIFICATE,\n"
         "  CLIENT_KEY,CLIENT_CERTIFICATE,INSECURE} (or their TRACES_ forms, applied to every\n"
         "  signal) and OTEL_RESOURCE_ATTRIBUTES; flags win.");
}
