/* libFuzzer target: google.rpc.Status from grpc-status-details-bin, read
 * for a google.rpc.RetryInfo delay (RESOURCE_EXHAUSTED is retried only
 * with one). */
#include "fuzz.h"
#include "otlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t delay = -12345;

    if (!sx_grpc_status_retry_delay(data, size, &delay)) {
        if (delay != -12345)
            abort();    /* no RetryInfo: the delay is left alone */
    } else if (delay < 0 || delay > 86400 * 1000000000LL) {
        abort();        /* honoured waits are within [0, 1 day] */
    }
    return 0;
}
