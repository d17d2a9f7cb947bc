/* sigsynth: the units of the scenario format.
 *
 * Durations need a unit (no bare numbers except 0) because "timeout: 5"
 * silently meaning seconds or milliseconds is a classic config bug. Each
 * parser returns 0 or SX_EINVAL and, on failure, points *why at a static
 * message that the loader prints after the offending value. */
#ifndef SX_UNITS_H
#define SX_UNITS_H

#include <stdint.h>

/* The longest duration any parser accepts: 10 years. Four of them (an
 * incident's phases) added to a start in year 2200 still fit int64 ns. */
#define SX_DURATION_MAX (3650.0 * 86400.0)

/* "250us" "20ms" "1.5s" "2m" "1h30m" "1d" -> seconds (0 to SX_DURATION_MAX). */
int sx_parse_duration(const char *s, double *out, const char **why);
/* "50/s" "3000/m" "2/h" "10/min" -> events per second. */
int sx_parse_rate(const char *s, double *out, const char **why);
/* "0.5%" or "0.005" -> [0, 1]. */
int sx_parse_ratio(const char *s, double *out, const char **why);
/* "512MiB" "2GB" "100KB" "1.5GiB" "4096" "4096B" -> bytes. */
int sx_parse_size(const char *s, double *out, const char **why);
/* A plain number or a size ("300MiB"): metric values may be either. */
int sx_parse_quantity(const char *s, double *out, const char **why);
/* "2MiB/s", "5/s", "1.5/m": quantity per second. */
int sx_parse_quantity_rate(const char *s, double *out, const char **why);
/* Plain finite number, locale-independent. */
int sx_parse_number(const char *s, double *out);
/* Non-negative integer up to max. */
int sx_parse_uint(const char *s, uint64_t max, uint64_t *out);

/* Formats seconds the way users write them ("1m30s", "250ms"). */
void sx_format_duration(double seconds, char *buf, unsigned size);

#endif
