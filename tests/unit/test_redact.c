/* Unit tests for src/util/redact.c: URL redaction, URL checks, scrubbing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/err.h"
#include "util/redact.h"

static void expect_redacted(const char *url, const char *want)
{
    char out[256];
    assert_ptr_equal(sx_url_redact(url, out, sizeof(out)), out);
    assert_string_equal(out, want);
}

static void test_redact_forms(void **state)
{
    (void)state;
    expect_redacted("http://127.0.0.1:9090", "http://127.0.0.1:9090");
    expect_redacted("http://u:pw@h:9090/api/v1/write", "http://u:***@h:9090/api/v1/write");
    expect_redacted("https://TOKEN@h/x", "https://***@h/x");
    expect_redacted("u:pw@h:4317", "u:***@h:4317");                 /* gRPC target */
    expect_redacted("http://u:p/a?s#s@h/x", "http://u:***@h/x");    /* unencoded / ? # */
    expect_redacted("http://u:p@ss@h/", "http://u:***@h/");         /* last '@' ends it */
    expect_redacted("http://:pw@h/", "http://:***@h/");
    expect_redacted("http://u:@h/", "http://u:***@h/");
    expect_redacted("", "");
    expect_redacted(NULL, "(none)");
    /* "1x://" is no scheme: the authority starts at the beginning */
    expect_redacted("1x://u:pw@h", "1x:***@h");
}

static void test_redact_truncates_without_leaking(void **state)
{
    char out[12];
    (void)state;
    sx_url_redact("http://u:SECRETSECRET@host.example:9090/", out, sizeof(out));
    assert_int_equal(strlen(out), sizeof(out) - 1);
    assert_null(strstr(out, "SEC"));
    assert_string_equal(out, "http://u:**");
    sx_url_redact("http://u:pw@h", out, 0);   /* n == 0: nothing written */
}

static void test_has_userinfo(void **state)
{
    (void)state;
    assert_int_equal(sx_url_has_userinfo("http://h:1"), 0);
    assert_int_equal(sx_url_has_userinfo("http://u:p@h:1"), 1);
    assert_int_equal(sx_url_has_userinfo("u@h:4317"), 1);
    assert_int_equal(sx_url_has_userinfo(NULL), 0);
}

static void test_url_check(void **state)
{
    (void)state;
    assert_int_equal(sx_url_check("http://u:p%0D%0A@h:1/x?a=b"), 0);   /* encoded is fine */
    assert_int_equal(sx_url_check("http://h:1/\r\nX-Injected: evil"), SX_EINVAL);
    assert_int_equal(sx_url_check("http://h:1/\n"), SX_EINVAL);
    assert_int_equal(sx_url_check("http://h:1/\t"), SX_EINVAL);
    assert_int_equal(sx_url_check("http://h:1/ x"), SX_EINVAL);
    assert_int_equal(sx_url_check("http://h:1/\x7f"), SX_EINVAL);
    assert_int_equal(sx_url_check("http://h\xc3\xa9:1/"), SX_EINVAL);
    assert_int_equal(sx_url_check(""), SX_EINVAL);
    assert_int_equal(sx_url_check(NULL), SX_EINVAL);
}

static void test_scrub(void **state)
{
    char t[64];
    (void)state;
    strcpy(t, "bad pw hunter22 and again hunter22.");
    sx_redact_scrub(t, "hunter22");
    assert_string_equal(t, "bad pw *** and again ***.");
    strcpy(t, "*****");
    sx_redact_scrub(t, "****");   /* terminates: every pass shortens the text */
    assert_string_equal(t, "***");
    strcpy(t, "a ab abc");
    sx_redact_scrub(t, "abc");    /* too short to scrub safely */
    assert_string_equal(t, "a ab abc");
    sx_redact_scrub(t, NULL);
    sx_redact_scrub(NULL, "abcd");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact_forms),
        cmocka_unit_test(test_redact_truncates_without_leaking),
        cmocka_unit_test(test_has_userinfo),
        cmocka_unit_test(test_url_check),
        cmocka_unit_test(test_scrub),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
