#include "util/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void sx_diag_init(sx_diag *d, const char *file)
{
    memset(d, 0, sizeof(*d));
    d->file = file;
    d->max_items = 1000;
}

void sx_diag_fini(sx_diag *d)
{
    for (uint32_t i = 0; i < d->n; i++)
        free(d->items[i].msg);
    free(d->items);
    memset(d, 0, sizeof(*d));
}

static void add(sx_diag *d, enum sx_severity sev, uint32_t line, uint32_t col,
                const char *fmt, va_list ap)
{
    char *msg = NULL;
    va_list ap2;

    if (sev == SX_SEV_ERROR)
        d->nerrors++;
    else
        d->nwarnings++;
    if (d->n >= d->max_items) {
        d->suppressed++;
        return;
    }
    if (d->n == d->cap) {
        uint32_t cap = d->cap ? d->cap * 2 : 16;
        sx_diag_item *items = realloc(d->items, cap * sizeof(*items));
        if (!items) {
            d->suppressed++;
            return;
        }
        d->items = items;
        d->cap = cap;
    }
    va_copy(ap2, ap);
    int len = vsnprintf(NULL, 0, fmt, ap);
    if (len >= 0 && (msg = malloc((size_t)len + 1)) != NULL)
        vsnprintf(msg, (size_t)len + 1, fmt, ap2);
    va_end(ap2);
    if (!msg) {
        d->suppressed++;
        return;
    }
    d->items[d->n] = (sx_diag_item){ sev, line, col, d->n, msg };
    d->n++;
}

void sx_diag_error(sx_diag *d, uint32_t line, uint32_t col, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    add(d, SX_SEV_ERROR, line, col, fmt, ap);
    va_end(ap);
}

void sx_diag_warn(sx_diag *d, uint32_t line, uint32_t col, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    add(d, SX_SEV_WARNING, line, col, fmt, ap);
    va_end(ap);
}

static int cmp_item(const void *pa, const void *pb)
{
    const sx_diag_item *a = pa, *b = pb;

    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if (a->col != b->col)
        return a->col < b->col ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void sx_diag_print(sx_diag *d, FILE *out)
{
    if (d->n > 1)
        qsort(d->items, d->n, sizeof(*d->items), cmp_item);
    for (uint32_t i = 0; i < d->n; i++) {
        const sx_diag_item *it = &d->items[i];
        const char *sev = it->sev == SX_SEV_ERROR ? "error" : "warning";
        if (it->line)
            fprintf(out, "%s:%u:%u: %s: %s\n", d->file, it->line, it->col, sev, it->msg);
        else
            fprintf(out, "%s: %s: %s\n", d->file, sev, it->msg);
    }
    if (d->suppressed)
        fprintf(out, "%s: note: %u more problems not shown\n", d->file, d->suppressed);
}
