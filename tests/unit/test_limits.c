/* Limits at the unit level: the time and duration ranges that keep int64
 * nanoseconds from wrapping, and the log-body bound against real renders. */
#include "sx_test.h"

#include <string.h>

#include "scenario/scenario.h"
#include "scenario/units.h"
#include "sim/limits.h"
#include "util/err.h"
#include "util/timefmt.h"

static void test_time_range(void **state)
{
    int64_t t = 0;
    (void)state;
    assert_int_equal(sx_time_parse("1970-01-01T00:00:00Z", 0, &t), 0);
    assert_true(t == 0);
    assert_int_equal(sx_time_parse("2200-12-31T23:59:59Z", 0, &t), 0);
    assert_true(t == SX_TIME_MAX_NS - 1000000000LL);
    assert_int_equal(sx_time_parse("9999-01-01T00:00:00Z", 0, &t), SX_ERANGE);
    assert_int_equal(sx_time_parse("2201-01-01T00:00:00Z", 0, &t), SX_ERANGE);
    assert_int_equal(sx_time_parse("1969-12-31T23:59:59Z", 0, &t), SX_ERANGE);
    assert_int_equal(sx_time_parse("0000-01-01T00:00:00Z", 0, &t), SX_ERANGE);
    /* UTC decides: this is 1969-12-31T23:30:00Z. */
    assert_int_equal(sx_time_parse("1970-01-01T00:30:00+01:00", 0, &t), SX_ERANGE);
    /* Relative: before 1970 is out of range, a too-long duration invalid. */
    assert_int_equal(sx_time_parse("-1s", 0, &t), SX_ERANGE);
    assert_int_equal(sx_time_parse("-3651d", SX_TIME_MAX_NS - 1, &t), SX_EINVAL);
    assert_int_equal(sx_time_parse("-2h", 7200000000000LL, &t), 0);
    assert_true(t == 0);
}

static void test_duration_ceiling(void **state)
{
    double v = 0;
    const char *why = NULL;
    (void)state;
    assert_int_equal(sx_parse_duration("3650d", &v, &why), 0);
    assert_true(v == SX_DURATION_MAX);
    assert_int_equal(sx_parse_duration("3000000h", &v, &why), SX_EINVAL);
    assert_non_null(strstr(why, "3650d"));
    assert_int_equal(sx_parse_duration("1e300s", &v, &why), SX_EINVAL);
    /* Four of the longest durations after the latest start still fit. */
    assert_true((double)SX_TIME_MAX_NS + 4.0 * SX_DURATION_MAX * 1e9 < 9.2e18);
}

static sx_scenario *load(const char *text)
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

static void test_body_limit(void **state)
{
    static const char text[] =
        "version: 1\nname: t\nservices:\n  api:\n    operations:\n      \"GET /a\":\n"
        "        latency: {p50: 1ms, p99: 5ms}\n        logs:\n"
        "          - {when: always, severity: INFO, body: \"{trace_id}{trace_id} {nope} x\"}\n"
        "traffic:\n  entrypoints:\n    - {to: api.\"GET /a\", rate: 1/s}\n";
    sx_scenario *s = load(text);
    sx_limits l;
    sx_diag d;
    (void)state;
    sx_limits_default(&l);
    sx_diag_init(&d, "t.yaml");
    assert_int_equal(sx_limits_check_scenario(s, &l, &d), 0);
    /* 32 + 32 + " " + "{nope}" + " x" = 73 bytes at most. */
    l.max_log_body = 73;
    assert_int_equal(sx_limits_check_scenario(s, &l, &d), 0);
    l.max_log_body = 72;
    assert_int_equal(sx_limits_check_scenario(s, &l, &d), SX_ELIMIT);
    assert_int_equal(d.nerrors, 1);
    assert_non_null(strstr(d.items[0].msg, "up to 73 bytes exceeds the 72 bytes limit "
                                           "(--max-log-body to raise it)"));
    assert_int_equal(d.items[0].line, 9);
    sx_diag_fini(&d);
    sx_scenario_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_range),
        cmocka_unit_test(test_duration_ceiling),
        cmocka_unit_test(test_body_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
