/* sigsynth: the live verification shared by `verify` and `run --verify-*`. */
#ifndef SX_CLI_VERIFY_H
#define SX_CLI_VERIFY_H

#include "check/live.h"

/* Waits for v, prints the verdicts and what each source saw, writes the
 * report when asked; returns the exit code. Finalises v. */
int sx_cli_verify_finish(sx_verifier *v, const sx_scenario *s, const char *report,
                         volatile int *interrupt);

#endif
