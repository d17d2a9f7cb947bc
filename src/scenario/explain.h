/* sigsynth: a human summary of what a scenario will do (`sigsynth explain`). */
#ifndef SX_EXPLAIN_H
#define SX_EXPLAIN_H

#include <stdint.h>
#include <stdio.h>

#include "scenario/model.h"

/* Expected requests per second reaching each operation, through calls,
 * probabilities, counts and retries at baseline error ratios. out is indexed
 * [service][operation] with SX_MAX_OPERATIONS columns. */
void sx_explain_rates(const sx_scenario *s, double (*out)[SX_MAX_OPERATIONS]);

/* Writes the summary; `samples` draws per latency spec for the sampled
 * percentiles (0 = skip sampling), from streams of `seed`. */
int sx_explain_write(const sx_scenario *s, uint64_t seed, uint32_t samples, FILE *out);

#endif
