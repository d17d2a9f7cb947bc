#include "sim/batch.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"

int sx_batch_init(sx_batch *b, uint32_t span_cap, uint32_t log_cap)
{
    memset(b, 0, sizeof(*b));
    sx_strbuf_init(&b->text);
    b->spans = calloc(span_cap ? span_cap : 1, sizeof(*b->spans));
    b->logs = calloc(log_cap ? log_cap : 1, sizeof(*b->logs));
    if (!b->spans || !b->logs || sx_strbuf_reserve(&b->text, 64 * 1024)) {
        sx_batch_fini(b);
        return SX_ENOMEM;
    }
    b->span_cap = span_cap;
    b->log_cap = log_cap;
    return 0;
}

void sx_batch_fini(sx_batch *b)
{
    free(b->spans);
    free(b->logs);
    sx_strbuf_fini(&b->text);
    memset(b, 0, sizeof(*b));
}

void sx_batch_clear(sx_batch *b)
{
    b->nspans = 0;
    b->nlogs = 0;
    sx_strbuf_clear(&b->text);
}
