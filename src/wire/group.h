/* sigsynth: grouping batch items by resource for the encoders.
 *
 * OTLP nests items under their resource; a counting sort of indexes does it
 * in two linear passes, into arrays that are kept between batches. */
#ifndef SX_GROUP_H
#define SX_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "sim/run.h"

typedef struct sx_group {
    uint32_t *order;        /* item indexes, resource by resource */
    uint32_t order_cap;
    uint32_t *start;        /* group of resource r: order[start[r] .. start[r+1]) */
    uint32_t start_cap;
} sx_group;

void sx_group_init(sx_group *g);
void sx_group_fini(sx_group *g);

/* items: n records of `stride` bytes whose uint16 service and uint16
 * instance sit at res_off (sx_span and sx_logrec both qualify). */
int sx_group_by_resource(sx_group *g, const sx_run *r, const void *items, uint32_t n,
                         size_t stride, size_t res_off);

#endif
