#include <stdio.h>
#include <string.h>

#include "exporter.h"

void sx_export_stats_error(sx_export_stats *st, const char *what)
{
    for (uint32_t i = 0; i < st->nerrors; i++) {
        if (strcmp(st->errors[i].what, what) == 0) {
            st->errors[i].count++;
            return;
        }
    }
    if (st->nerrors < SX_MAX_ERROR_KINDS) {
        snprintf(st->errors[st->nerrors].what, sizeof(st->errors[0].what), "%s", what);
        st->errors[st->nerrors++].count = 1;
    }
}

bool sx_exporters_all_down(sx_exporter *const *ex, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!ex[i]->is_down || !ex[i]->is_down(ex[i]))
            return false;
    return n > 0;
}

