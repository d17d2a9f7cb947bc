#include "sx_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/explain.h"
#include "scenario/scenario.h"
#include "util/err.h"

#define BASE                                                                                 \
    "version: 1\nname: t\n"                                                                  \
    "services:\n"                                                                            \
    "  web:\n    instances: 2\n    operations:\n"                                            \
    "      \"GET /a\":\n        latency: {p50: 10ms, p99: 90ms}\n"                           \
    "        calls:\n          - {to: api.Do, count: 2, retries: 1, timeout: 1s}\n"          \
    "  api:\n    operations:\n      Do: {latency: {dist: lognormal, median: 2ms, sigma: 0.5}}\n" \
    "traffic:\n  entrypoints:\n    - {to: web.\"GET /a\", rate: 3000/m}\n"

static int load(const char *text, sx_scenario **s, sx_diag *d)
{
    sx_diag_init(d, "t.yaml");
    return sx_scenario_load_buffer("t.yaml", text, strlen(text), s, d);
}

static int has_msg(const sx_diag *d, uint32_t line, const char *part)
{
    for (uint32_t i = 0; i < d->n; i++)
        if ((!line || d->items[i].line == line) && strstr(d->items[i].msg, part))
            return 1;
    return 0;
}

static void print_diag(sx_diag *d)
{
    sx_diag_print(d, stderr);
}

static void test_minimal(void **state)
{
    sx_scenario *s;
    sx_diag d;
    (void)state;
    int rc = load(BASE, &s, &d);
    if (rc)
        print_diag(&d);
    assert_int_equal(rc, 0);
    assert_int_equal(s->nservices, 2);
    assert_string_equal(s->name, "t");
    const sx_operation *op = &s->services[0].ops[0];
    assert_int_equal(op->protocol, SX_PROTO_HTTP);
    assert_string_equal(op->http_method, "GET");
    assert_string_equal(op->http_route, "/a");
    assert_int_equal(op->error_status, 500);
    assert_int_equal(op->ncalls, 1);
    assert_int_equal(op->calls[0].service, 1);
    assert_int_equal(op->calls[0].operation, 0);
    assert_int_equal(op->calls[0].count, 2);
    assert_near(op->calls[0].timeout, 1.0, 0);
    assert_int_equal(s->services[1].ops[0].protocol, SX_PROTO_GRPC);
    assert_int_equal(s->services[1].ops[0].error_status, 2);
    assert_near(s->traffic.entrypoints[0].rate, 50.0, 1e-12);
    assert_near(s->duration, 1800.0, 0);   /* default: 30 minutes */
    assert_near(sx_dist_quantile(&op->latency.dist, 0.99), 0.090, 1e-9);
    sx_scenario_destroy(s);
    sx_diag_fini(&d);
}

static void test_reports_every_problem(void **state)
{
    sx_scenario *s;
    sx_diag d;
    (void)state;
    const char *text = "version: 1\nname: t\nbogus: 1\n"
                       "services:\n"
                       "  web:\n    instances: three\n    operations:\n"
                       "      \"GET /a\":\n        latncy: {p50: 10ms, p99: 90ms}\n"
                       "        calls: [{to: apii.Do}]\n"
                       "  api:\n    operations:\n      Do: {latency: {p50: 9ms, p90: 5ms}}\n"
                       "traffic:\n  entrypoints:\n    - {to: web.\"GET /a\", rate: 50}\n";
    assert_int_equal(load(text, &s, &d), SX_EINVAL);
    assert_null(s);
    assert_true(has_msg(&d, 3, "unknown key 'bogus'"));
    assert_true(has_msg(&d, 6, "instances must be a whole number"));
    assert_true(has_msg(&d, 9, "did you mean 'latency'"));
    assert_true(has_msg(&d, 10, "unknown service 'apii' (did you mean 'api'?)"));
    assert_true(has_msg(&d, 13, "percentiles must increase"));
    assert_true(has_msg(&d, 16, "expected a rate"));
    assert_true(d.nerrors >= 6);
    sx_diag_fini(&d);
}

static void test_cycle_and_ambiguity(void **state)
{
    sx_scenario *s;
    sx_diag d;
    (void)state;
    const char *text = "version: 1\nname: t\nservices:\n"
                       "  a:\n    operations:\n      X:\n        latency: {p50: 1ms, p99: 5ms}\n"
                       "        calls: [{to: b.Y}]\n"
                       "  b:\n    operations:\n      Y:\n        latency: {p50: 1ms, p99: 5ms}\n"
                       "        calls: [{to: a}]\n"
                       "      Z: {latency: {p50: 1ms, p99: 5ms}}\n"
                       "traffic:\n  entrypoints: [{to: b, rate: 1/s}]\n";
    assert_int_equal(load(text, &s, &d), SX_EINVAL);
    assert_true(has_msg(&d, 13, "call cycle: a.X -> b.Y -> a.X"));
    assert_true(has_msg(&d, 16, "ambiguous target 'b'"));
    sx_diag_fini(&d);
}

static void test_incidents_and_expect(void **state)
{
    sx_scenario *s;
    sx_diag d;
    char text[4096];
    (void)state;
    snprintf(text, sizeof(text), "%s%s", BASE,
             "metrics:\n  - {name: pool, type: gauge, service: api, value: {baseline: 5, max: 10}}\n"
             "incidents:\n  - name: inc\n    start: 10m\n    ramp: 2m\n    duration: 25m\n"
             "    recover: 1m\n    effects:\n"
             "      - {target: 'web[1].GET /a', latency: {multiply: 3}, errors: {set: 20%}}\n"
             "      - {metric: pool, value: {ramp_to: 10}}\n"
             "      - traffic: {multiply: 1.5}\n"
             "expect:\n  alerts:\n"
             "    - {alert: A, fires: {after: inc.start, within: 3m},"
             " resolves: {after: inc.end, within: 5m}}\n"
             "    - {alert: B, fires: never}\n");
    int rc = load(text, &s, &d);
    if (rc)
        print_diag(&d);
    assert_int_equal(rc, 0);
    const sx_incident *inc = &s->incidents[0];
    assert_near(sx_incident_phase_at(inc, SX_PHASE_FULL), 720.0, 0);
    assert_near(sx_incident_phase_at(inc, SX_PHASE_END), 2280.0, 0);
    assert_int_equal(inc->effects[0].service, 0);
    assert_int_equal(inc->effects[0].instance, 1);
    assert_int_equal(inc->effects[0].operation, 0);
    assert_int_equal(inc->effects[0].latency_op, SX_OP_MULTIPLY);
    assert_near(inc->effects[0].errors_value, 0.2, 1e-12);
    assert_int_equal(inc->effects[1].metric_index, 0);
    assert_int_equal(inc->effects[1].value_op, SX_OP_RAMP_TO);
    assert_near(inc->effects[2].traffic_factor, 1.5, 0);
    assert_int_equal(s->nexpects, 2);
    assert_int_equal(s->expects[0].fires.after.incident, 0);
    assert_int_equal(s->expects[0].resolves.after.phase, SX_PHASE_END);
    assert_true(s->expects[1].fires.never);
    assert_near(s->duration, 2880.0, 0);   /* end 38m + 10m */
    sx_scenario_destroy(s);
    sx_diag_fini(&d);
}

static void test_explain_rates(void **state)
{
    sx_scenario *s;
    sx_diag d;
    double (*rates)[SX_MAX_OPERATIONS] = calloc(SX_MAX_SERVICES, sizeof(*rates));
    (void)state;
    assert_non_null(rates);
    assert_int_equal(load(BASE, &s, &d), 0);
    sx_explain_rates(s, rates);
    assert_near(rates[0][0], 50.0, 1e-9);
    assert_near(rates[1][0], 100.0, 1e-9);   /* count 2, no baseline errors: no retries */
    FILE *devnull = fopen("/dev/null", "w");
    assert_int_equal(sx_explain_write(s, 1, 1000, devnull), 0);
    fclose(devnull);
    sx_scenario_destroy(s);
    sx_diag_fini(&d);
    free(rates);
}

static void test_flagship(void **state)
{
    char path[1024];
    const char *data = getenv("SX_TEST_DATA");
    sx_scenario *s;
    sx_diag d;
    (void)state;
    snprintf(path, sizeof(path), "%s/../../scenarios/checkout-db-pool-exhaustion.yaml",
             data ? data : "tests/data");
    sx_diag_init(&d, path);
    int rc = sx_scenario_load_file(path, &s, &d);
    if (rc)
        print_diag(&d);
    assert_int_equal(rc, 0);
    assert_int_equal(d.nwarnings, 0);
    assert_true(s->nservices >= 5 && s->nservices <= 8);
    assert_int_equal(s->nincidents, 1);
    assert_true(s->incidents[0].ramp > 0 && s->incidents[0].recover > 0);
    assert_true(s->nmetrics >= 1);
    assert_true(s->nexpects >= 2);
    sx_scenario_destroy(s);
    sx_diag_fini(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_reports_every_problem),
        cmocka_unit_test(test_cycle_and_ambiguity),
        cmocka_unit_test(test_incidents_and_expect),
        cmocka_unit_test(test_explain_rates),
        cmocka_unit_test(test_flagship),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
