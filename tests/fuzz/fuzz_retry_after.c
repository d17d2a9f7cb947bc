/* libFuzzer target: Retry-After header values (delta seconds or an
 * HTTP-date), as on_header passes them: at most 127 bytes, no CR/LF. */
#include "fuzz.h"
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *v = sx_fuzz_cstr(data, size, 127);

    if (!v)
        return 0;
    v[strcspn(v, "\r\n")] = '\0';
    int64_t ns = sx_parse_retry_after(v);
    if (ns < 0 || ns > 86400 * 1000000000LL)
        abort();    /* a wait is within [0, 1 day] */
    free(v);
    return 0;
}
