/* sigsynth: loading a scenario file into the model.
 *
 * The loader reports every problem to the sx_diag it is given, as
 * "file:line:col: error: message", and only hands out a model when there
 * were no errors. It works on a buffer so fuzzers can call it directly. */
#ifndef SX_SCENARIO_H
#define SX_SCENARIO_H

#include <stddef.h>

#include "scenario/model.h"
#include "util/diag.h"

/* Returns 0 and sets *out, or a negative SX_E* code with problems in d
 * (SX_EINVAL for an invalid scenario). `file` is copied. */
int sx_scenario_load_buffer(const char *file, const char *buf, size_t len, sx_scenario **out,
                            sx_diag *d);
int sx_scenario_load_file(const char *path, sx_scenario **out, sx_diag *d);

#endif
