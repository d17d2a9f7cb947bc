/* libFuzzer target: Export{Trace,Logs,Metrics}ServiceResponse bodies
 * (protobuf), read for partial_success by both OTLP transports. */
#include "fuzz.h"
#include "otlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t rejected = 0;
    char msg[400];

    memset(msg, 'x', sizeof(msg));
    if (sx_otlp_parse_partial(data, size, &rejected, msg, sizeof(msg)) == 0 &&
        strnlen(msg, sizeof(msg)) == sizeof(msg))
        abort();    /* the message must come back NUL-terminated */
    /* the same bytes as a short buffer: the message is cut, never overflows */
    if (sx_otlp_parse_partial(data, size, &rejected, msg, 8) == 0 && strnlen(msg, 8) == 8)
        abort();
    return 0;
}
