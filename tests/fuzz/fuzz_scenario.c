/* libFuzzer target: the whole scenario loader on arbitrary bytes.
 * Build: cmake -DSX_FUZZ=ON -DCMAKE_C_COMPILER=clang; run: ./fuzz_scenario corpus/ */
#include <stddef.h>
#include <stdint.h>

#include "scenario/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sx_scenario *s = NULL;
    sx_diag d;

    sx_diag_init(&d, "fuzz.yaml");
    sx_scenario_load_buffer("fuzz.yaml", (const char *)data, size, &s, &d);
    sx_scenario_destroy(s);
    sx_diag_fini(&d);
    return 0;
}
