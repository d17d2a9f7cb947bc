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

/* The next capacity: double what is there, at least `need`, at most `max`
 * (unless `need` itself is more). */
static uint32_t grown(uint32_t cap, uint32_t need, uint32_t max)
{
    uint64_t c = cap ? (uint64_t)cap * 2 : 1024;

    if (c > max)
        c = max;
    if (c < need)
        c = need;
    return (uint32_t)c;
}

int sx_batch_reserve(sx_batch *b, uint32_t spans, uint32_t logs, uint32_t max_spans,
                     uint32_t max_logs)
{
    if (spans > b->span_cap) {
        uint32_t cap = grown(b->span_cap, spans, max_spans);
        sx_span *p = realloc(b->spans, (size_t)cap * sizeof(*p));
        if (!p)
            return SX_ENOMEM;
        b->spans = p;
        b->span_cap = cap;
    }
    if (logs > b->log_cap) {
        uint32_t cap = grown(b->log_cap, logs, max_logs);
        sx_logrec *p = realloc(b->logs, (size_t)cap * sizeof(*p));
        if (!p)
            return SX_ENOMEM;
        b->logs = p;
        b->log_cap = cap;
    }
    return 0;
}
