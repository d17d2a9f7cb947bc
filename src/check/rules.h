/* sigsynth: what check needs to know about Prometheus rule files: the
 * alerts they define, and the metric names their expressions read. The
 * rules themselves are evaluated by promtool, never by us. */
#ifndef SX_RULES_H
#define SX_RULES_H

#include <stdint.h>

#include "util/diag.h"

typedef struct sx_rule_alert {
    char *name;
    char *expr;
    double for_s;
    char *file;
} sx_rule_alert;

typedef struct sx_rules {
    sx_rule_alert *alerts;
    uint32_t nalerts;
    double min_interval;        /* smallest group interval, 0 when none set */
} sx_rules;

/* Reads alert rules from a rule file; problems go to d. */
int sx_rules_load(sx_rules *rules, const char *path, sx_diag *d);
void sx_rules_fini(sx_rules *rules);
const sx_rule_alert *sx_rules_find(const sx_rules *rules, const char *alert);

/* True when expr mentions metric `name` as an identifier. */
int sx_expr_mentions(const char *expr, const char *name);

#endif
