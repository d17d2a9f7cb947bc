/* No input may crash the loader: every truncation of the flagship scenario,
 * thousands of seeded mutations of it, and random bytes. Run under ASan in CI,
 * this is a deterministic mini-fuzzer; tests/fuzz/ holds the libFuzzer one. */
#include "sx_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/scenario.h"
#include "stats/rng.h"
#include "util/err.h"

static char *flagship;
static size_t flagship_len;

static int setup(void **state)
{
    char path[1024];
    const char *data = getenv("SX_TEST_DATA");
    FILE *f;
    (void)state;
    snprintf(path, sizeof(path), "%s/../../scenarios/checkout-db-pool-exhaustion.yaml",
             data ? data : "tests/data");
    f = fopen(path, "rb");
    if (!f)
        return -1;
    flagship = malloc(1 << 20);
    flagship_len = fread(flagship, 1, 1 << 20, f);
    fclose(f);
    return flagship_len ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(flagship);
    return 0;
}

/* Loads one buffer; the only acceptable outcomes are a model, or an
 * invalid-input code with at least one positioned error. */
static void load_one(const char *buf, size_t len)
{
    sx_scenario *s = NULL;
    sx_diag d;

    sx_diag_init(&d, "x.yaml");
    int rc = sx_scenario_load_buffer("x.yaml", buf, len, &s, &d);
    if (rc == 0) {
        assert_non_null(s);
    } else {
        assert_null(s);
        if (rc != SX_EINVAL && rc != SX_ESYNTAX && rc != SX_ELIMIT)
            fail_msg("unexpected rc %d for a %zu-byte input", rc, len);
        if (d.nerrors == 0)
            fail_msg("rejected a %zu-byte input without saying why", len);
    }
    sx_scenario_destroy(s);
    sx_diag_fini(&d);
}

static void test_truncations(void **state)
{
    (void)state;
    for (size_t len = 0; len <= flagship_len; len += 3)
        load_one(flagship, len);
}

static void test_mutations(void **state)
{
    static const char tokens[] = ":-[]{}&*!|>'\"#,?%@`\t\n ";
    char *buf = malloc(flagship_len + 64);
    sx_rng r;
    (void)state;
    assert_non_null(buf);
    sx_rng_seed(&r, 20261125, 1);
    for (int iter = 0; iter < 3000; iter++) {
        size_t len = flagship_len;
        memcpy(buf, flagship, len);
        int edits = 1 + (int)sx_rng_below(&r, 4);
        for (int e = 0; e < edits; e++) {
            size_t at = (size_t)sx_rng_below(&r, len);
            switch (sx_rng_below(&r, 4)) {
            case 0:   /* replace with a YAML-significant character */
                buf[at] = tokens[sx_rng_below(&r, sizeof(tokens) - 1)];
                break;
            case 1:   /* random byte */
                buf[at] = (char)sx_rng_below(&r, 256);
                break;
            case 2:   /* delete a run */
            {
                size_t n = 1 + (size_t)sx_rng_below(&r, 16);
                if (at + n > len)
                    n = len - at;
                memmove(buf + at, buf + at + n, len - at - n);
                len -= n;
                break;
            }
            default:  /* duplicate a run (shifts indentation and keys) */
            {
                size_t n = 1 + (size_t)sx_rng_below(&r, 16);
                if (at + n > len)
                    n = len - at;
                if (len + n <= flagship_len + 64) {
                    memmove(buf + at + n, buf + at, len - at);
                    len += n;
                }
                break;
            }
            }
            if (len == 0)
                break;
        }
        load_one(buf, len);
    }
    free(buf);
}

static void test_random_bytes(void **state)
{
    char buf[2048];
    sx_rng r;
    (void)state;
    sx_rng_seed(&r, 7, 2);
    for (int iter = 0; iter < 500; iter++) {
        size_t len = (size_t)sx_rng_below(&r, sizeof(buf));
        for (size_t i = 0; i < len; i++)
            buf[i] = (char)(iter % 2 ? sx_rng_below(&r, 256) : 32 + sx_rng_below(&r, 95));
        load_one(buf, len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_random_bytes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
