/* libFuzzer target: log body templates. The input is a body: it goes into
 * a small scenario (parsed and checked by the loader, which warns about
 * unknown placeholders), then one request and the background logs are
 * walked, which renders every {placeholder} the body names. */
#include <stdio.h>

#include "fuzz.h"
#include "scenario/scenario.h"
#include "sim/walk.h"
#include "util/strbuf.h"

/* %s is the body, used by a request log, a service's background log and
 * an incident's log; the placeholders it may name all exist. */
static const char scenario_fmt[] =
    "version: 1\n"
    "name: fuzz-logs\n"
    "duration: 2m\n"
    "services:\n"
    "  api:\n"
    "    instances: 2\n"
    "    attributes: {team: shop}\n"
    "    logs:\n"
    "      - every: 30s\n"
    "        body: \"%s\"\n"
    "    operations:\n"
    "      \"GET /items\":\n"
    "        latency: {p50: 8ms, p99: 90ms}\n"
    "        errors: 50%%\n"
    "        calls:\n"
    "          - to: items-db.query\n"
    "            timeout: 5ms\n"
    "          - to: pricing.Quote\n"
    "        logs:\n"
    "          - when: always\n"
    "            severity: warn\n"
    "            attributes: {order.id: \"42\"}\n"
    "            body: \"%s\"\n"
    "  pricing:\n"
    "    operations:\n"
    "      Quote: {latency: {p50: 1ms, p99: 9ms}}\n"
    "  items-db:\n"
    "    kind: database\n"
    "    system: postgresql\n"
    "    operations:\n"
    "      query: {latency: {p50: 2ms, p99: 25ms}}\n"
    "traffic:\n"
    "  entrypoints:\n"
    "    - {to: api.\"GET /items\", rate: 10/s}\n"
    "incidents:\n"
    "  - name: slow-db\n"
    "    start: 0s\n"
    "    duration: 2m\n"
    "    effects:\n"
    "      - target: pricing\n"
    "        logs:\n"
    "          - rate: 1/s\n"
    "            body: \"%s\"\n"
    "metrics:\n"
    "  - name: pool_in_use\n"
    "    type: gauge\n"
    "    service: api\n"
    "    value: {baseline: 20}\n";

/* The body as a YAML double-quoted scalar's contents. */
static void put_quoted(sx_strbuf *b, const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        uint8_t c = data[i];
        if (c == '"' || c == '\\')
            sx_strbuf_printf(b, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            sx_strbuf_printf(b, "\\x%02x", c);
        else
            sx_strbuf_putc(b, (char)c);
    }
}

static void render(const sx_scenario *s)
{
    sx_run run;
    sx_run_config cfg = { .seed = 7, .start_ns = 1700000000000000000LL };
    sx_metrics m;
    sx_batch b;
    sx_counts counts;
    static double expected[SX_MAX_SERVICES * SX_MAX_OPERATIONS];
    uint64_t spans, logs;

    if (sx_run_init(&run, s, &cfg))
        return;
    if (sx_walk_bounds(s, 4096, &spans, &logs) == 0 && sx_metrics_init(&m, &run) == 0) {
        if (sx_batch_init(&b, (uint32_t)spans * 4 + 16, (uint32_t)logs * 4 + 16) == 0) {
            if (sx_counts_init(&counts) == 0) {
                sx_walker w = { .run = &run, .metrics = &m, .batch = &b, .counts = &counts,
                                .expected_rate = expected };
                const sx_service *api = &s->services[0];
                for (uint64_t seq = 0; seq < 2; seq++)
                    sx_walk_request(&w, 0, seq, 30.0 + (double)seq);
                for (uint32_t i = 0; i < api->logs.n; i++)
                    sx_walk_background_log(&w, &api->logs.v[i], sx_run_resource(&run, 0, 1),
                                           60.0, NULL);
                /* The limit's estimate (--max-log-body) mirrors the
                 * renderer: no body may render longer than it said. */
                for (uint32_t i = 0; i < b.nlogs; i++)
                    if (b.logs[i].body_off + b.logs[i].body_len > b.text.len ||
                        (b.logs[i].spec &&
                         b.logs[i].body_len > sx_walk_body_bound(s, b.logs[i].spec,
                                                                 (int32_t)b.logs[i].service)))
                        abort();
                sx_counts_fini(&counts);
            }
            sx_batch_fini(&b);
        }
        sx_metrics_fini(&m);
    }
    sx_run_fini(&run);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sx_strbuf body, yaml;
    sx_scenario *s = NULL;
    sx_diag d;

    if (size > 1024)
        return 0;
    sx_strbuf_init(&body);
    sx_strbuf_init(&yaml);
    put_quoted(&body, data, size);
    sx_strbuf_puts(&body, "");
    sx_diag_init(&d, "fuzz.yaml");
    if (!body.failed &&
        sx_strbuf_printf(&yaml, scenario_fmt, body.data, body.data, body.data) == 0 &&
        sx_scenario_load_buffer("fuzz.yaml", yaml.data, yaml.len, &s, &d) == 0)
        render(s);
    sx_scenario_destroy(s);
    sx_diag_fini(&d);
    sx_strbuf_fini(&body);
    sx_strbuf_fini(&yaml);
    return 0;
}
