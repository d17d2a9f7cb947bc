/* sigsynth: helpers shared by the loader's files (not a public API).
 *
 * Each ld_* reader checks one value's type and unit, reports a positioned
 * problem when it is wrong, and returns false so callers can simply skip the
 * value and go on collecting problems. */
#ifndef SX_LOAD_INTERNAL_H
#define SX_LOAD_INTERNAL_H

#include <stdbool.h>

#include "scenario/model.h"
#include "scenario/yaml_tree.h"
#include "util/diag.h"

typedef struct sx_loader {
    sx_scenario *s;
    sx_diag *d;
    sx_arena *a;
    bool oom;
} sx_loader;

#define LD_POS(n) ((sx_pos){ (n)->line, (n)->col })

void ld_error(sx_loader *ld, const sx_ynode *n, const char *fmt, ...) SX_PRINTF(3, 4);
void ld_warn(sx_loader *ld, const sx_ynode *n, const char *fmt, ...) SX_PRINTF(3, 4);

/* Reports keys of map not in allowed (NULL-terminated), with a suggestion. */
void ld_check_keys(sx_loader *ld, const sx_ynode *map, const char *what,
                   const char *const *allowed);
/* True when map has a key that looks like a typo of `key`: the unknown-key
 * error (with its "did you mean") then says it all, and reporting `key` as
 * missing as well would only put a less useful line first. */
bool ld_misspelled(const sx_ynode *map, const char *key);

/* Closest candidate within a small edit distance, or NULL. */
const char *ld_suggest(const char *word, const char *const *candidates, size_t n);

bool ld_is_map(sx_loader *ld, const sx_ynode *n, const char *what);
bool ld_is_seq(sx_loader *ld, const sx_ynode *n, const char *what);
bool ld_is_scalar(sx_loader *ld, const sx_ynode *n, const char *what);

bool ld_string(sx_loader *ld, const sx_ynode *n, const char *what, const char **out);
bool ld_bool(sx_loader *ld, const sx_ynode *n, const char *what, bool *out);
bool ld_uint(sx_loader *ld, const sx_ynode *n, const char *what, uint64_t min, uint64_t max,
             uint64_t *out);
bool ld_number(sx_loader *ld, const sx_ynode *n, const char *what, double *out);
bool ld_quantity(sx_loader *ld, const sx_ynode *n, const char *what, double *out);
bool ld_duration(sx_loader *ld, const sx_ynode *n, const char *what, double *out);
bool ld_positive_duration(sx_loader *ld, const sx_ynode *n, const char *what, double *out);
bool ld_rate(sx_loader *ld, const sx_ynode *n, const char *what, bool positive, double *out);
bool ld_ratio(sx_loader *ld, const sx_ynode *n, const char *what, double *out);
bool ld_attrs(sx_loader *ld, const sx_ynode *n, const char *what, sx_attrs *out);
bool ld_latency(sx_loader *ld, const sx_ynode *n, const char *what, sx_latency *out);
bool ld_logs(sx_loader *ld, const sx_ynode *n, const char *what, bool in_incident,
             sx_logs *out);

void ld_services(sx_loader *ld, const sx_ynode *n);
void ld_traffic(sx_loader *ld, const sx_ynode *n);
void ld_incidents(sx_loader *ld, const sx_ynode *n);
void ld_metrics(sx_loader *ld, const sx_ynode *n);
void ld_expect(sx_loader *ld, const sx_ynode *n);

/* Resolves "svc", "svc.op", "svc.\"op\"", "svc[2]", "svc[2].op".
 * *op / *inst are -1 when not given. Reports problems against n. */
bool ld_resolve_target(sx_loader *ld, const sx_ynode *n, const char *text, bool allow_instance,
                       int32_t *svc, int32_t *op, int32_t *inst);

/* Like ld_resolve_target but an operation is required (a service with a
 * single operation may be named alone). */
bool ld_resolve_op(sx_loader *ld, const sx_ynode *n, const char *text, int32_t *svc,
                   int32_t *op);

/* Cross-reference checks run after everything is loaded (check.c). */
void sx_scenario_check(sx_loader *ld);

#endif
