/* libFuzzer target: the unit parsers of the scenario format (durations,
 * rates, ratios, sizes, quantities, numbers) and the duration formatter on
 * every value they accept. */
#include <math.h>
#include <stdio.h>

#include "fuzz.h"
#include "scenario/units.h"

typedef int (*parse_fn)(const char *s, double *out, const char **why);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const parse_fn parsers[] = {
        sx_parse_duration, sx_parse_rate, sx_parse_ratio, sx_parse_size,
        sx_parse_quantity, sx_parse_quantity_rate,
    };
    char *s = sx_fuzz_cstr(data, size, 256);   /* YAML scalars in practice are short */
    char buf[64];
    double v;
    uint64_t u;

    if (!s)
        return 0;
    for (size_t i = 0; i < sizeof(parsers) / sizeof(parsers[0]); i++) {
        const char *why = NULL;
        if (parsers[i](s, &v, &why) == 0) {
            /* Accepted values are finite; durations and sizes are >= 0. */
            if (!isfinite(v))
                abort();
            if (i == 0) {
                if (v < 0)
                    abort();
                sx_format_duration(v, buf, sizeof(buf));
                if (strlen(buf) >= sizeof(buf))
                    abort();
            }
        } else if (!why || !*why) {
            abort();    /* every rejection says why */
        }
    }
    if (sx_parse_number(s, &v) == 0 && !isfinite(v))
        abort();
    if (sx_parse_uint(s, 1000000, &u) == 0 && u > 1000000)
        abort();
    free(s);
    return 0;
}
