#include "sx_test.h"

#include <string.h>

#include "scenario/units.h"
#include "util/err.h"

static double dur(const char *s)
{
    double v = -1;
    const char *why = NULL;
    assert_int_equal(sx_parse_duration(s, &v, &why), 0);
    return v;
}

static void dur_bad(const char *s, const char *why_part)
{
    double v;
    const char *why = NULL;
    assert_int_equal(sx_parse_duration(s, &v, &why), SX_EINVAL);
    assert_non_null(why);
    if (!strstr(why, why_part))
        fail_msg("'%s': message '%s' lacks '%s'", s, why, why_part);
}

static void test_durations(void **state)
{
    (void)state;
    assert_near(dur("250us"), 250e-6, 1e-15);
    assert_near(dur("20ms"), 0.020, 1e-15);
    assert_near(dur("1.5s"), 1.5, 1e-15);
    assert_near(dur("2m"), 120.0, 1e-12);
    assert_near(dur("1h30m"), 5400.0, 1e-9);
    assert_near(dur("1h30m15s"), 5415.0, 1e-9);
    assert_near(dur("1d"), 86400.0, 1e-9);
    assert_near(dur("0"), 0.0, 0);
    assert_near(dur("0s"), 0.0, 0);
    assert_near(dur("5\xc2\xb5s"), 5e-6, 1e-15);
    dur_bad("40", "unit");
    dur_bad("5min", "unit");
    dur_bad("30m1h", "larger to smaller");
    dur_bad("-5s", "negative");
    dur_bad("", "empty");
    dur_bad("s", "expected a duration");
    dur_bad("1e400s", "expected a duration");
    dur_bad("nans", "expected a duration");
}

static void test_rates(void **state)
{
    double v;
    const char *why = NULL;
    (void)state;
    assert_int_equal(sx_parse_rate("50/s", &v, &why), 0);
    assert_near(v, 50.0, 1e-12);
    assert_int_equal(sx_parse_rate("3000/m", &v, &why), 0);
    assert_near(v, 50.0, 1e-12);
    assert_int_equal(sx_parse_rate("2/h", &v, &why), 0);
    assert_near(v, 2.0 / 3600.0, 1e-15);
    assert_int_equal(sx_parse_rate("0.5/min", &v, &why), 0);
    assert_near(v, 0.5 / 60.0, 1e-15);
    assert_int_equal(sx_parse_rate("50", &v, &why), SX_EINVAL);
    assert_int_equal(sx_parse_rate("50/week", &v, &why), SX_EINVAL);
    assert_int_equal(sx_parse_rate("-1/s", &v, &why), SX_EINVAL);
    assert_int_equal(sx_parse_rate("x/s", &v, &why), SX_EINVAL);
}

static void test_ratios(void **state)
{
    double v;
    const char *why = NULL;
    (void)state;
    assert_int_equal(sx_parse_ratio("0.5%", &v, &why), 0);
    assert_near(v, 0.005, 1e-15);
    assert_int_equal(sx_parse_ratio("0.005", &v, &why), 0);
    assert_near(v, 0.005, 1e-15);
    assert_int_equal(sx_parse_ratio("100%", &v, &why), 0);
    assert_near(v, 1.0, 0);
    assert_int_equal(sx_parse_ratio("101%", &v, &why), SX_EINVAL);
    assert_int_equal(sx_parse_ratio("1.5", &v, &why), SX_EINVAL);
    assert_int_equal(sx_parse_ratio("5 %", &v, &why), SX_EINVAL);
    assert_int_equal(sx_parse_ratio("-1%", &v, &why), SX_EINVAL);
}

static void test_sizes(void **state)
{
    double v;
    const char *why = NULL;
    (void)state;
    assert_int_equal(sx_parse_size("512MiB", &v, &why), 0);
    assert_near(v, 512.0 * 1048576.0, 0);
    assert_int_equal(sx_parse_size("2GB", &v, &why), 0);
    assert_near(v, 2e9, 0);
    assert_int_equal(sx_parse_size("4096", &v, &why), 0);
    assert_near(v, 4096, 0);
    assert_int_equal(sx_parse_size("1.5GiB", &v, &why), 0);
    assert_near(v, 1.5 * 1073741824.0, 0);
    assert_int_equal(sx_parse_size("5MIB", &v, &why), SX_EINVAL);
    assert_int_equal(sx_parse_size("5Mb", &v, &why), SX_EINVAL);
    assert_int_equal(sx_parse_quantity_rate("2MiB/s", &v, &why), 0);
    assert_near(v, 2.0 * 1048576.0, 0);
    assert_int_equal(sx_parse_quantity_rate("60/m", &v, &why), 0);
    assert_near(v, 1.0, 1e-12);
    assert_int_equal(sx_parse_quantity_rate("2MiB", &v, &why), SX_EINVAL);
}

static void test_numbers(void **state)
{
    double v;
    uint64_t u;
    (void)state;
    assert_int_equal(sx_parse_number("1e3", &v), 0);
    assert_near(v, 1000.0, 0);
    assert_int_equal(sx_parse_number("-2.5", &v), 0);
    assert_int_equal(sx_parse_number("inf", &v), SX_EINVAL);
    assert_int_equal(sx_parse_number("0x10", &v), SX_EINVAL);
    assert_int_equal(sx_parse_number(" 1", &v), SX_EINVAL);
    assert_int_equal(sx_parse_uint("42", 100, &u), 0);
    assert_int_equal(u, 42);
    assert_int_equal(sx_parse_uint("101", 100, &u), SX_ERANGE);
    assert_int_equal(sx_parse_uint("99999999999999999999999", UINT64_MAX, &u), SX_ERANGE);
    assert_int_equal(sx_parse_uint("-1", 100, &u), SX_EINVAL);
}

static void test_format(void **state)
{
    char buf[32];
    (void)state;
    sx_format_duration(0.00025, buf, sizeof(buf));
    assert_string_equal(buf, "250us");
    sx_format_duration(0.012, buf, sizeof(buf));
    assert_string_equal(buf, "12ms");
    sx_format_duration(1.5, buf, sizeof(buf));
    assert_string_equal(buf, "1.5s");
    sx_format_duration(600, buf, sizeof(buf));
    assert_string_equal(buf, "10m00s");
    sx_format_duration(5415, buf, sizeof(buf));
    assert_string_equal(buf, "1h30m15s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations), cmocka_unit_test(test_rates),
        cmocka_unit_test(test_ratios),    cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_numbers),   cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
