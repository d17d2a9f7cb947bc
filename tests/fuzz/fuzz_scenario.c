/* libFuzzer target: the whole scenario loader (YAML parse, model, checks)
 * on arbitrary bytes. */
#include "fuzz.h"
#include "scenario/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sx_scenario *s = NULL;
    sx_diag d;

    sx_diag_init(&d, "fuzz.yaml");
    if (sx_scenario_load_buffer("fuzz.yaml", (const char *)data, size, &s, &d) == 0 && !s)
        abort();    /* success must hand out a model */
    sx_scenario_destroy(s);
    sx_diag_fini(&d);
    return 0;
}
