/* sigsynth: RFC 3339 times and "now"/"-2h" style relative starts. */
#ifndef SX_TIMEFMT_H
#define SX_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Times are int64 Unix nanoseconds, which reach only to 2262: accepted
 * times lie in the years 1970 to 2200, which leaves room to add the longest
 * duration (SX_DURATION_MAX) several times without overflow. */
#define SX_TIME_MIN_YEAR 1970
#define SX_TIME_MAX_YEAR 2200
#define SX_TIME_MIN_NS 0
#define SX_TIME_MAX_NS 7289654400000000000LL   /* 2201-01-01T00:00:00Z */

/* "now", "-2h", "-90m", "2026-01-01T00:00:00Z", "2026-01-01T02:00:00.5+02:00".
 * Relative forms are measured from now_ns. Returns 0, SX_EINVAL (not a
 * time) or SX_ERANGE (outside the years 1970-2200). */
int sx_time_parse(const char *s, int64_t now_ns, int64_t *out_ns);

/* "2026-01-01T00:00:00Z", with ".123456789" only when there is a fraction. */
void sx_time_format(int64_t ns, char *buf, size_t size);

/* Wall clock (CLOCK_REALTIME) and, for deadlines and intervals, the
 * monotonic clock, in ns. */
int64_t sx_now_ns(void);
int64_t sx_monotonic_ns(void);

#endif
