/* Engine pieces in isolation: incident intensity and composition, arrivals,
 * times, JSON numbers. The whole-run properties live in tests/engine/. */
#include "sx_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/scenario.h"
#include "sim/incident.h"
#include "sim/traffic.h"
#include "util/err.h"
#include "util/timefmt.h"
#include "wire/json.h"

static const char *text =
    "version: 1\nname: t\nduration: 1h\n"
    "services:\n"
    "  web:\n    instances: 3\n    operations:\n"
    "      \"GET /a\": {latency: {p50: 10ms, p99: 90ms}, errors: 1%}\n"
    "traffic:\n  entrypoints: [{to: web, rate: 100/s}]\n"
    "incidents:\n"
    "  - name: a\n    start: 10m\n    ramp: 2m\n    duration: 10m\n    recover: 4m\n"
    "    effects:\n"
    "      - {target: web, latency: {multiply: 5}, errors: {set: 21%}}\n"
    "      - traffic: {multiply: 2}\n"
    "  - name: b\n    start: 15m\n    duration: 5m\n"
    "    effects:\n"
    "      - {target: 'web[1]', latency: {multiply: 2, }, errors: {add: 10%}}\n";

static sx_scenario *load(void)
{
    sx_scenario *s = NULL;
    sx_diag d;
    sx_diag_init(&d, "t.yaml");
    int rc = sx_scenario_load_buffer("t.yaml", text, strlen(text), &s, &d);
    if (rc)
        sx_diag_print(&d, stderr);
    sx_diag_fini(&d);
    assert_int_equal(rc, 0);
    return s;
}

static void test_intensity(void **state)
{
    sx_scenario *s = load();
    const sx_incident *a = &s->incidents[0];
    (void)state;
    assert_near(sx_incident_intensity(a, 599.0), 0.0, 0);
    assert_near(sx_incident_intensity(a, 600.0), 0.0, 0);
    assert_near(sx_incident_intensity(a, 660.0), 0.5, 1e-12);
    assert_near(sx_incident_intensity(a, 720.0), 1.0, 0);
    assert_near(sx_incident_intensity(a, 1319.0), 1.0, 0);
    assert_near(sx_incident_intensity(a, 1320.0 + 60.0), 0.75, 1e-12);
    assert_near(sx_incident_intensity(a, 1560.0), 0.0, 0);
    assert_int_equal(sx_incidents_active(s, 100.0), 0);
    assert_int_equal(sx_incidents_active(s, 600.0), 1);
    assert_int_equal(sx_incidents_active(s, 950.0), 3);
    sx_scenario_destroy(s);
}

static void test_effects_compose(void **state)
{
    sx_scenario *s = load();
    sx_op_effects fx;
    (void)state;
    sx_effects_at(s, 100.0, 0, 0, 1, &fx);
    assert_near(fx.lat_mult, 1.0, 0);
    assert_near(fx.error_ratio, 0.01, 1e-12);
    assert_int_equal(fx.touching, 0);
    sx_effects_at(s, 660.0, 0, 0, 0, &fx);          /* half-way up the ramp */
    assert_near(fx.lat_mult, 3.0, 1e-12);           /* 1 + (5-1)*0.5 */
    assert_near(fx.error_ratio, 0.11, 1e-12);       /* 1% -> 21%, half way */
    sx_effects_at(s, 1000.0, 0, 0, 1, &fx);         /* both, on instance 1 */
    assert_near(fx.lat_mult, 10.0, 1e-12);          /* multiplies multiply */
    assert_near(fx.error_ratio, 0.31, 1e-12);       /* set then add */
    assert_int_equal(fx.touching, 3);
    sx_effects_at(s, 1000.0, 0, 0, 2, &fx);         /* b targets instance 1 only */
    assert_near(fx.lat_mult, 5.0, 1e-12);
    assert_int_equal(fx.touching, 1);
    assert_near(sx_traffic_factor(s, 1000.0, 0), 2.0, 1e-12);
    assert_near(sx_traffic_factor(s, 660.0, 0), 1.5, 1e-12);
    assert_near(sx_traffic_factor_max(s, 0), 2.0, 0);
    sx_scenario_destroy(s);
}

static void test_arrivals(void **state)
{
    sx_scenario *s = load();
    sx_arrivals a, b;
    uint64_t before = 0, during = 0;
    (void)state;
    sx_arrivals_init(&a, s, 0, 42);
    sx_arrivals_init(&b, s, 0, 42);
    for (;;) {
        sx_arrivals_advance(&a, s, 0, 1800.0);
        sx_arrivals_advance(&b, s, 0, 1800.0);
        assert_true(a.next == b.next);               /* same seed, same arrivals */
        if (a.next >= 1800.0)
            break;
        if (a.next < 600.0)
            before++;
        else if (a.next >= 720.0 && a.next < 1320.0)
            during++;
    }
    /* 100/s for 600 s, then 200/s over the 600 s hold: Poisson, sd ~ 245 / 346. */
    assert_true(llabs((long long)before - 60000) < 1500);
    assert_true(llabs((long long)during - 120000) < 2000);
    sx_scenario_destroy(s);
}

static void test_patterns(void **state)
{
    sx_traffic tr = { .pattern = SX_PATTERN_DIURNAL, .diurnal_period = 86400,
                      .diurnal_peak = 1.5, .diurnal_trough = 0.5 };
    (void)state;
    assert_near(sx_pattern_factor(&tr, 0, 0), 0.5, 1e-12);          /* midnight UTC */
    assert_near(sx_pattern_factor(&tr, 43200, 0), 1.5, 1e-12);      /* noon */
    assert_near(sx_pattern_factor(&tr, 0, 86400 + 21600), 1.0, 1e-12);
    tr = (sx_traffic){ .pattern = SX_PATTERN_BURSTY, .bursty_every = 300, .bursty_length = 30,
                       .bursty_multiply = 4 };
    assert_near(sx_pattern_factor(&tr, 10, 0), 4.0, 0);
    assert_near(sx_pattern_factor(&tr, 31, 0), 1.0, 0);
    assert_near(sx_pattern_factor(&tr, 605, 0), 4.0, 0);
}

static void test_time(void **state)
{
    int64_t ns;
    char buf[64];
    (void)state;
    assert_int_equal(sx_time_parse("2026-01-01T00:00:00Z", 0, &ns), 0);
    assert_true(ns == 1767225600LL * 1000000000LL);
    assert_int_equal(sx_time_parse("2026-01-01T02:00:00.5+02:00", 0, &ns), 0);
    assert_true(ns == 1767225600LL * 1000000000LL + 500000000LL);
    assert_int_equal(sx_time_parse("-2h", 7200LL * 1000000000LL, &ns), 0);
    assert_true(ns == 0);
    assert_int_equal(sx_time_parse("now", 42, &ns), 0);
    assert_true(ns == 42);
    assert_int_equal(sx_time_parse("2026-13-01T00:00:00Z", 0, &ns), SX_EINVAL);
    assert_int_equal(sx_time_parse("2026-01-01", 0, &ns), SX_EINVAL);
    assert_int_equal(sx_time_parse("2026-01-01T00:00:00", 0, &ns), SX_EINVAL);
    sx_time_format(1767225600LL * 1000000000LL, buf, sizeof(buf));
    assert_string_equal(buf, "2026-01-01T00:00:00Z");
    sx_time_format(951782400LL * 1000000000LL + 1, buf, sizeof(buf));   /* leap day 2000 */
    assert_string_equal(buf, "2000-02-29T00:00:00.000000001Z");
}

static void test_json_numbers(void **state)
{
    sx_strbuf b;
    (void)state;
    sx_strbuf_init(&b);
    sx_json_double(&b, 0.1);
    sx_strbuf_putc(&b, ' ');
    sx_json_double(&b, 1e300);
    sx_strbuf_putc(&b, ' ');
    sx_json_double(&b, 42);
    sx_strbuf_putc(&b, ' ');
    sx_json_double(&b, NAN);
    sx_strbuf_putc(&b, ' ');
    sx_json_i64str(&b, INT64_MIN);
    sx_strbuf_putc(&b, ' ');
    sx_json_str(&b, "a\"b\\c\n\x01");
    assert_string_equal(b.data, "0.1 1e+300 42 \"NaN\" \"-9223372036854775808\" "
                                "\"a\\\"b\\\\c\\n\\u0001\"");
    sx_strbuf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intensity),     cmocka_unit_test(test_effects_compose),
        cmocka_unit_test(test_arrivals),      cmocka_unit_test(test_patterns),
        cmocka_unit_test(test_time),          cmocka_unit_test(test_json_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
