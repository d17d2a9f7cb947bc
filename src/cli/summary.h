/* sigsynth: the end-of-run summary (`--summary FILE.json` and the report
 * printed to stderr). The core keys are a contract for scripts and CI. */
#ifndef SX_SUMMARY_H
#define SX_SUMMARY_H

#include <stdio.h>

#include "exporter.h"
#include "sim/engine.h"

int sx_summary_write_json(FILE *f, const sx_run *r, const sx_engine_result *res,
                          sx_exporter **ex, size_t nex);
/* One line per exporter: delivered / retried / dropped with reasons.
 * Returns the number of items dropped in total. */
uint64_t sx_summary_print(FILE *f, const sx_run *r, const sx_engine_result *res,
                          sx_exporter **ex, size_t nex);

#endif
