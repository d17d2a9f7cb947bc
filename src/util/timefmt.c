#include "util/timefmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "scenario/units.h"
#include "util/err.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * algorithm): no timegm(), no TZ environment involved. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int64_t sx_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t sx_monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int digits(const char *s, int n, unsigned *out)
{
    unsigned v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

int sx_time_parse(const char *s, int64_t now_ns, int64_t *out_ns)
{
    unsigned y, mo, d, h, mi, sec;
    int64_t frac = 0;
    const char *p;

    if (strcmp(s, "now") == 0) {
        *out_ns = now_ns;
        return 0;
    }
    if (s[0] == '-') {
        double ago;
        const char *why;
        if (sx_parse_duration(s + 1, &ago, &why))
            return SX_EINVAL;
        /* ago is at most SX_DURATION_MAX: the product fits int64. */
        int64_t t = now_ns - (int64_t)(ago * 1e9);
        if (t < SX_TIME_MIN_NS || t >= SX_TIME_MAX_NS)
            return SX_ERANGE;
        *out_ns = t;
        return 0;
    }
    if (strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
        s[7] != '-' || digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
        digits(s + 17, 2, &sec))
        return SX_EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return SX_EINVAL;
    /* Checked before any arithmetic: year 9999 would wrap int64 ns. */
    if (y < SX_TIME_MIN_YEAR || y > SX_TIME_MAX_YEAR)
        return SX_ERANGE;
    p = s + 19;
    if (*p == '.') {
        int64_t scale = 100000000;
        p++;
        if (*p < '0' || *p > '9')
            return SX_EINVAL;
        while (*p >= '0' && *p <= '9') {
            frac += (*p - '0') * scale;
            scale /= 10;
            p++;
        }
    }
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        unsigned oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return SX_EINVAL;
        offset = (int64_t)(oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return SX_EINVAL;
    }
    if (*p)
        return SX_EINVAL;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
    int64_t t = secs * 1000000000LL + frac;
    /* 1970-01-01T00:30:00+01:00 is still 1969 in UTC. */
    if (t < SX_TIME_MIN_NS || t >= SX_TIME_MAX_NS)
        return SX_ERANGE;
    *out_ns = t;
    return 0;
}

void sx_time_format(int64_t ns, char *buf, size_t size)
{
    int64_t secs = ns / 1000000000LL, frac = ns % 1000000000LL;
    int64_t y;
    unsigned m, d;

    if (frac < 0) {
        frac += 1000000000LL;
        secs--;
    }
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    if (frac)
        snprintf(buf, size, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%09lldZ", (long long)y, m, d,
                 (long long)(rem / 3600), (long long)(rem % 3600 / 60), (long long)(rem % 60),
                 (long long)frac);
    else
        snprintf(buf, size, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", (long long)y, m, d,
                 (long long)(rem / 3600), (long long)(rem % 3600 / 60), (long long)(rem % 60));
}
