#include "wire/group.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"

void sx_group_init(sx_group *g)
{
    memset(g, 0, sizeof(*g));
}

void sx_group_fini(sx_group *g)
{
    free(g->order);
    free(g->start);
    memset(g, 0, sizeof(*g));
}

static uint32_t resource_of(const sx_run *r, const unsigned char *it, size_t res_off)
{
    uint16_t svc, inst;

    memcpy(&svc, it + res_off, 2);
    memcpy(&inst, it + res_off + 2, 2);
    return sx_run_resource(r, svc, inst);
}

int sx_group_by_resource(sx_group *g, const sx_run *r, const void *items, uint32_t n,
                         size_t stride, size_t res_off)
{
    uint32_t nres = r->nresources;

    if (g->order_cap < n) {
        uint32_t *o = realloc(g->order, n * sizeof(*o));
        if (!o)
            return SX_ENOMEM;
        g->order = o;
        g->order_cap = n;
    }
    if (g->start_cap < nres + 2) {
        uint32_t *st = realloc(g->start, (nres + 2) * sizeof(*st));
        if (!st)
            return SX_ENOMEM;
        g->start = st;
        g->start_cap = nres + 2;
    }
    /* Counts land one slot ahead so that, after the prefix sum, start[r+1]
     * is where resource r begins; placing items advances it to where r
     * ends, which leaves start[r] = begin of r for every r. */
    memset(g->start, 0, (nres + 2) * sizeof(*g->start));
    for (uint32_t i = 0; i < n; i++)
        g->start[resource_of(r, (const unsigned char *)items + i * stride, res_off) + 2]++;
    for (uint32_t i = 2; i < nres + 2; i++)
        g->start[i] += g->start[i - 1];
    for (uint32_t i = 0; i < n; i++)
        g->order[g->start[resource_of(r, (const unsigned char *)items + i * stride, res_off) + 1]++] = i;
    return 0;
}
