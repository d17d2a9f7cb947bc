/* sigsynth: the limit flags every command shares (--max-log-body,
 * --max-series, ...; docs/limits.md).
 *
 * Commands call sx_cli_limit_args() first: it takes the limit flags and
 * their values out of argv, so a command's own parser never sees them and
 * needs no change when a limit is added, and it refuses --duration and
 * --start values that no limit allows, naming the flag that would. */
#ifndef SX_LIMIT_FLAGS_H
#define SX_LIMIT_FLAGS_H

#include "scenario/scenario.h"
#include "sim/limits.h"

/* Fills l (defaults, then the flags), removes them from argv and returns
 * the new argc; -1 after printing the problem (exit SX_EXIT_USAGE). */
int sx_cli_limit_args(sx_limits *l, const char *cmd, int argc, char **argv);

/* The help lines: the scenario limits, and for check its own three. */
void sx_cli_limits_help(const char *cmd);

/* Loads path and checks it against l; problems go to d (not printed).
 * Returns 0 or the loader's code, SX_ELIMIT when only a limit failed. */
int sx_cli_load_limited(const char *path, const sx_limits *l, sx_scenario **out, sx_diag *d);

/* The same, printing problems; NULL when the scenario is invalid. */
sx_scenario *sx_cli_load_checked(const char *path, const sx_limits *l);

/* check: the series x steps it would keep, plus the evaluation steps it
 * asks promtool for, against max_check_samples; prints the refusal.
 * Returns 0 or SX_ELIMIT. */
int sx_cli_check_samples(const sx_limits *l, const sx_scenario *s, double duration,
                         double interval, double eval_interval);

#endif
