/* libFuzzer target: the report of `promtool test rules` that `sigsynth
 * check` reads the alert timeline from (promtool's stdout and stderr). */
#include "check/promtool.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *report = sx_fuzz_cstr(data, size, size);
    sx_timeline t;
    bool seen = false;

    if (!report)
        return 0;
    /* 30 s steps over 40 minutes, as for the flagship scenario */
    if (sx_timeline_init(&t, 30.0, 81, 2400.0) == 0) {
        sx_promtool_parse_report(report, 30.0, &t, &seen);
        for (uint32_t i = 0; i < t.n; i++)
            if (!t.v[i].alertname || !t.v[i].key || !t.v[i].state)
                abort();
        sx_timeline_fini(&t);
    }
    free(report);
    return 0;
}
