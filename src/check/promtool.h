/* sigsynth: offline alert evaluation with promtool.
 *
 * The captured series become one promtool unit test whose only assertions
 * are "ALERTS is empty" at every evaluation step; promtool's failure report
 * then lists, step by step, every alert that was pending or firing with its
 * labels - which is the timeline we want, computed by Prometheus' own rule
 * engine rather than an imitation of it. */
#ifndef SX_PROMTOOL_H
#define SX_PROMTOOL_H

#include "check/capture.h"
#include "check/timeline.h"
#include "sim/limits.h"

/* "" when promtool is on PATH, else a message on how to get it. */
const char *sx_promtool_missing(void);

/* Runs `promtool check rules` on each file; prints promtool's own words on
 * failure. Files that are not regular or exceed l->max_rules_size are
 * refused before promtool sees them; promtool gets l->promtool_timeout.
 * Returns 0 when all are valid. */
int sx_promtool_check_rules(char **files, int n, const sx_limits *l);

/* Writes the unit test into dir/test.yml, runs it (killed, with its process
 * group, after timeout seconds: SX_ELIMIT), fills t (nsteps = one per eval
 * step over the capture). keep: leave dir in place. */
int sx_promtool_alerts(const sx_capture *c, char **rule_files, int nrules, double eval_step,
                       double timeout, const char *dir, sx_timeline *t, char *err,
                       size_t errlen);

/* Reads the failure report of `promtool test rules` (report is modified)
 * into t; *seen_failure tells whether any ALERTS assertion was reported. */
int sx_promtool_parse_report(char *report, double eval_step, sx_timeline *t, bool *seen_failure);

#endif
