#include "sx_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/yaml_tree.h"
#include "util/err.h"
#include "util/strbuf.h"

static int parse(const char *text, sx_ydoc *doc, sx_diag *d)
{
    sx_diag_init(d, "t.yaml");
    return sx_yaml_parse(doc, text, strlen(text), d);
}

static void done(sx_ydoc *doc, sx_diag *d)
{
    sx_ydoc_fini(doc);
    sx_diag_fini(d);
}

static void test_positions(void **state)
{
    sx_ydoc doc;
    sx_diag d;
    (void)state;
    assert_int_equal(parse("a: 1\nb:\n  c: \"x y\"\n  d: [1, 2]\n", &doc, &d), 0);
    const sx_ynode *b = sx_ymap_get(doc.root, "b");
    assert_non_null(b);
    assert_int_equal(b->kind, SX_YMAP);
    const sx_ynode *c = sx_ymap_get(b, "c");
    assert_int_equal(c->line, 3);
    assert_int_equal(c->col, 6);
    assert_false(c->plain);
    assert_string_equal(c->str, "x y");
    const sx_ynode *dd = sx_ymap_get(b, "d");
    assert_int_equal(dd->kind, SX_YSEQ);
    assert_int_equal(dd->nitems, 2);
    assert_int_equal(dd->items[1]->col, 10);
    assert_true(dd->items[1]->plain);
    assert_null(sx_ymap_get(b, "zz"));
    done(&doc, &d);
}

static void test_merge_keys(void **state)
{
    sx_ydoc doc;
    sx_diag d;
    (void)state;
    assert_int_equal(parse("base: &b {p50: 1ms, p99: 9ms}\n"
                           "x:\n  <<: *b\n  p99: 20ms\n", &doc, &d), 0);
    const sx_ynode *x = sx_ymap_get(doc.root, "x");
    assert_int_equal(x->npairs, 2);
    assert_string_equal(sx_ymap_get(x, "p99")->str, "20ms");   /* explicit key wins */
    assert_string_equal(sx_ymap_get(x, "p50")->str, "1ms");
    done(&doc, &d);
}

static void test_duplicate_keys(void **state)
{
    sx_ydoc doc;
    sx_diag d;
    (void)state;
    assert_int_equal(parse("a: 1\nb: 2\na: 3\nb: 4\n", &doc, &d), SX_ESYNTAX);
    assert_int_equal(d.nerrors, 2);   /* both reported, not just the first */
    assert_int_equal(d.items[0].line, 3);
    assert_non_null(strstr(d.items[0].msg, "duplicate key 'a'"));
    done(&doc, &d);
}

static void test_syntax_error_position(void **state)
{
    sx_ydoc doc;
    sx_diag d;
    (void)state;
    assert_int_equal(parse("a: 1\nb: [1, 2\nc: 3\n", &doc, &d), SX_ESYNTAX);
    assert_int_equal(d.nerrors, 1);
    assert_non_null(strstr(d.items[0].msg, "invalid YAML"));
    assert_null(doc.root);
    done(&doc, &d);
}

static void test_alias_bomb(void **state)
{
    char text[4096];
    size_t len = 0;
    sx_ydoc doc;
    sx_diag d;
    (void)state;
    len += (size_t)snprintf(text + len, sizeof(text) - len, "a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 9; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len,
                                "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
                                i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    assert_int_equal(parse(text, &doc, &d), SX_ELIMIT);
    assert_non_null(strstr(d.items[0].msg, "alias bomb"));
    done(&doc, &d);
}

static void test_alias_errors(void **state)
{
    sx_ydoc doc;
    sx_diag d;
    (void)state;
    assert_int_equal(parse("a: *nope\n", &doc, &d), SX_ESYNTAX);
    assert_non_null(strstr(d.items[0].msg, "unknown anchor 'nope'"));
    done(&doc, &d);
    assert_int_equal(parse("a: &r [1, *r]\n", &doc, &d), SX_ESYNTAX);
    assert_non_null(strstr(d.items[0].msg, "contains it"));
    done(&doc, &d);
}

static void test_depth_limit(void **state)
{
    char text[512];
    sx_ydoc doc;
    sx_diag d;
    (void)state;
    memset(text, '[', 100);
    text[100] = '\0';
    assert_int_equal(parse(text, &doc, &d), SX_ELIMIT);
    assert_non_null(strstr(d.items[0].msg, "nesting deeper"));
    done(&doc, &d);
}

static void test_encoding(void **state)
{
    sx_ydoc doc;
    sx_diag d;
    (void)state;
    assert_int_equal(parse("a: caf\xe9\n", &doc, &d), SX_ESYNTAX);
    assert_int_equal(d.items[0].line, 1);
    assert_int_equal(d.items[0].col, 7);
    assert_non_null(strstr(d.items[0].msg, "UTF-8"));
    done(&doc, &d);
    assert_int_equal(parse("a: b\nc: \xc0\xaf\n", &doc, &d), SX_ESYNTAX);   /* overlong */
    assert_int_equal(d.items[0].line, 2);
    done(&doc, &d);
    assert_int_equal(parse("a: caf\xc3\xa9\n", &doc, &d), 0);
    assert_string_equal(sx_ymap_get(doc.root, "a")->str, "caf\xc3\xa9");
    done(&doc, &d);
    sx_diag_init(&d, "t.yaml");
    assert_int_equal(sx_yaml_parse(&doc, "a: b\0c", 6, &d), SX_ESYNTAX);
    assert_non_null(strstr(d.items[0].msg, "NUL"));
    done(&doc, &d);
}

static void test_multi_document_and_size(void **state)
{
    sx_ydoc doc;
    sx_diag d;
    (void)state;
    assert_int_equal(parse("a: 1\n---\nb: 2\n", &doc, &d), SX_ESYNTAX);
    assert_int_equal(d.items[0].line, 2);
    done(&doc, &d);
    char *big = malloc(SX_YAML_MAX_BYTES + 2);
    assert_non_null(big);
    memset(big, ' ', SX_YAML_MAX_BYTES + 1);
    sx_diag_init(&d, "t.yaml");
    assert_int_equal(sx_yaml_parse(&doc, big, SX_YAML_MAX_BYTES + 1, &d), SX_ELIMIT);
    done(&doc, &d);
    free(big);
    assert_int_equal(parse("", &doc, &d), 0);
    assert_null(doc.root);
    done(&doc, &d);
}

/* Large mappings: duplicates are still found past thousands of keys, and
 * `<<` merges of a huge mapping stay linear (this used to be quadratic). */
static void test_large_maps(void **state)
{
    sx_strbuf b;
    sx_ydoc doc;
    sx_diag d;
    (void)state;
    sx_strbuf_init(&b);
    sx_strbuf_puts(&b, "big: &big {");
    for (int i = 0; i < 100000; i++)
        sx_strbuf_printf(&b, "%sk%d: 1", i ? ", " : "", i);
    sx_strbuf_puts(&b, "}\n");
    for (int i = 0; i < 5; i++)
        sx_strbuf_printf(&b, "y%d: {<<: *big, extra: 2}\n", i);
    assert_int_equal(parse(b.data, &doc, &d), 0);
    assert_int_equal(sx_ymap_get(doc.root, "y4")->npairs, 100001);
    done(&doc, &d);
    sx_strbuf_clear(&b);
    sx_strbuf_puts(&b, "m: {");
    for (int i = 0; i < 5000; i++)
        sx_strbuf_printf(&b, "k%d: 1, ", i);
    sx_strbuf_puts(&b, "k4999: 2}\n");
    assert_int_equal(parse(b.data, &doc, &d), SX_ESYNTAX);
    assert_non_null(strstr(d.items[0].msg, "duplicate key 'k4999'"));
    done(&doc, &d);
    sx_strbuf_fini(&b);
}

static void test_cr_line_endings(void **state)
{
    sx_ydoc doc;
    sx_diag d;
    (void)state;
    assert_int_equal(parse("version: 1\rname: mini\rdescription: \"caf\xe9\"\r", &doc, &d),
                     SX_ESYNTAX);
    assert_int_equal(d.items[0].line, 3);
    done(&doc, &d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_positions),        cmocka_unit_test(test_merge_keys),
        cmocka_unit_test(test_duplicate_keys),   cmocka_unit_test(test_syntax_error_position),
        cmocka_unit_test(test_alias_bomb),       cmocka_unit_test(test_alias_errors),
        cmocka_unit_test(test_depth_limit),      cmocka_unit_test(test_encoding),
        cmocka_unit_test(test_multi_document_and_size),
        cmocka_unit_test(test_large_maps),       cmocka_unit_test(test_cr_line_endings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
