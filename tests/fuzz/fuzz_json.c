/* libFuzzer target: the JSON reader used on Prometheus and Alertmanager
 * API responses (a hostile server's bytes). */
#include "fuzz.h"
#include "util/json_parse.h"

/* Walks the tree the way the callers do (lookups, string reads). */
static void walk(const sx_jval *v, int depth)
{
    if (!v || depth > 100)
        return;
    (void)sx_json_str_of(v);
    if (v->type == SX_JOBJ) {
        for (uint32_t i = 0; i < v->n; i++)
            if (!v->keys[i] || sx_json_get(v, v->keys[i]) == NULL)
                abort();    /* every key must be found again */
    }
    if (v->type == SX_JOBJ || v->type == SX_JARR)
        for (uint32_t i = 0; i < v->n; i++)
            walk(v->items[i], depth + 1);
    if (v->type == SX_JSTR && !v->str)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sx_arena a;
    char err[160];

    sx_arena_init(&a, 4096);
    walk(sx_json_parse(&a, (const char *)data, size, err, sizeof(err)), 0);
    sx_arena_fini(&a);
    return 0;
}
