/* The protobuf writer's length back-patching, the small readers for
 * responses (partial success, JSON), Retry-After and gzip. */
#include "sx_test.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "http.h"
#include "otlp.h"
#include "util/json_parse.h"
#include "wire/pb.h"

static void test_pb_lengths(void **state)
{
    static const size_t sizes[] = { 0, 1, 127, 128, 16383, 16384, 2097151, 2097152 };
    sx_strbuf b;
    (void)state;
    sx_strbuf_init(&b);
    for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
        char *body = malloc(sizes[k] + 1);
        assert_non_null(body);
        memset(body, 'x', sizes[k]);
        sx_strbuf_clear(&b);
        size_t m = sx_pb_begin(&b, 7);
        sx_strbuf_append(&b, body, sizes[k]);
        sx_pb_end(&b, m);
        /* Read it back: tag, minimal varint length, the body intact. */
        const unsigned char *p = (const unsigned char *)b.data, *end = p + b.len;
        uint64_t tag, len;
        assert_int_equal(sx_pb_read_varint(&p, end, &tag), 0);
        assert_int_equal(tag, (7 << 3) | 2);
        const unsigned char *lp = p;
        assert_int_equal(sx_pb_read_varint(&p, end, &len), 0);
        assert_int_equal(len, sizes[k]);
        unsigned char tmp[10];
        assert_int_equal((size_t)(p - lp), sx_pb_put_varint(tmp, sizes[k]));   /* minimal */
        assert_int_equal((size_t)(end - p), sizes[k]);
        assert_memory_equal(p, body, sizes[k]);
        free(body);
    }
    /* Nested: inner lengths stay right when the outer one grows. */
    sx_strbuf_clear(&b);
    size_t outer = sx_pb_begin(&b, 1);
    for (int i = 0; i < 300; i++) {
        size_t inner = sx_pb_begin(&b, 2);
        sx_pb_string(&b, 1, "abc");
        sx_pb_fixed32(&b, 16, 0x101);
        sx_pb_end(&b, inner);
    }
    sx_pb_end(&b, outer);
    const unsigned char *p = (const unsigned char *)b.data, *end = p + b.len;
    uint64_t tag, len;
    assert_int_equal(sx_pb_read_varint(&p, end, &tag), 0);
    assert_int_equal(sx_pb_read_varint(&p, end, &len), 0);
    assert_int_equal(len, (uint64_t)(end - p));
    for (int i = 0; i < 300; i++) {
        assert_int_equal(sx_pb_read_varint(&p, end, &tag), 0);
        assert_int_equal(tag, (2 << 3) | 2);
        assert_int_equal(sx_pb_skip(&p, end, SX_PB_LEN), 0);
    }
    assert_true(p == end);
    sx_strbuf_fini(&b);
}

static void test_partial_success(void **state)
{
    sx_strbuf b;
    uint64_t rejected;
    char msg[64];
    (void)state;
    sx_strbuf_init(&b);
    size_t m = sx_pb_begin(&b, 1);
    sx_pb_uint64(&b, 1, 42);
    sx_pb_string(&b, 2, "too old");
    sx_pb_end(&b, m);
    assert_int_equal(sx_otlp_parse_partial(b.data, b.len, &rejected, msg, sizeof(msg)), 0);
    assert_int_equal(rejected, 42);
    assert_string_equal(msg, "too old");
    assert_int_equal(sx_otlp_parse_partial("", 0, &rejected, msg, sizeof(msg)), 0);
    assert_int_equal(rejected, 0);
    assert_int_equal(sx_otlp_parse_partial("\x0a\x05\x08", 3, &rejected, msg, sizeof(msg)), -1);
    sx_strbuf_fini(&b);
}

static void test_json(void **state)
{
    sx_arena a;
    char err[128];
    (void)state;
    sx_arena_init(&a, 4096);
    const char *doc = "{\"status\":\"success\",\"data\":{\"alerts\":[{\"labels\":{\"alertname\":"
                      "\"X\",\"v\":\"caf\\u00e9 \\ud83d\\ude00\"},\"state\":\"firing\",\"n\":1.5e2}]}}";
    sx_jval *root = sx_json_parse(&a, doc, strlen(doc), err, sizeof(err));
    assert_non_null(root);
    const sx_jval *al = sx_json_get(sx_json_get(root, "data"), "alerts");
    assert_int_equal(al->type, SX_JARR);
    assert_int_equal(al->n, 1);
    assert_string_equal(sx_json_str_of(sx_json_get(al->items[0], "state")), "firing");
    assert_string_equal(sx_json_str_of(sx_json_get(sx_json_get(al->items[0], "labels"), "v")),
                        "caf\xc3\xa9 \xf0\x9f\x98\x80");
    assert_near(sx_json_get(al->items[0], "n")->num, 150.0, 0);
    static const char *const bad[] = { "", "{", "[1,]", "{\"a\" 1}", "\"abc", "[1] x", "nul" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        assert_null(sx_json_parse(&a, bad[i], strlen(bad[i]), err, sizeof(err)));
    char deep[200];
    memset(deep, '[', sizeof(deep));
    assert_null(sx_json_parse(&a, deep, sizeof(deep), err, sizeof(err)));
    assert_non_null(strstr(err, "deeply"));
    sx_arena_fini(&a);
}

static void test_retry_after_and_gzip(void **state)
{
    sx_strbuf z;
    unsigned char out[256];
    uLongf outlen = sizeof(out);
    const char *text = "hello hello hello hello OTLP";
    (void)state;
    assert_true(sx_parse_retry_after("1") == 1000000000LL);
    assert_true(sx_parse_retry_after(" 120") == 120000000000LL);
    assert_true(sx_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0);   /* in the past */
    assert_true(sx_parse_retry_after("Fri, 01 Jan 2100 00:00:00 GMT") > 0);
    assert_true(sx_parse_retry_after("soon") == 0);
    sx_strbuf_init(&z);
    assert_int_equal(sx_gzip(text, strlen(text), &z), 0);
    assert_true((unsigned char)z.data[0] == 0x1f && (unsigned char)z.data[1] == 0x8b);
    z_stream s;
    memset(&s, 0, sizeof(s));
    assert_int_equal(inflateInit2(&s, 15 + 16), Z_OK);
    s.next_in = (Bytef *)z.data;
    s.avail_in = (uInt)z.len;
    s.next_out = out;
    s.avail_out = (uInt)outlen;
    assert_int_equal(inflate(&s, Z_FINISH), Z_STREAM_END);
    assert_int_equal(s.total_out, strlen(text));
    assert_memory_equal(out, text, strlen(text));
    inflateEnd(&s);
    sx_strbuf_fini(&z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pb_lengths),
        cmocka_unit_test(test_partial_success),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_retry_after_and_gzip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
