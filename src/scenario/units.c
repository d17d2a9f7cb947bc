#include "scenario/units.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/* Length of the decimal number at s (sign, digits, fraction, exponent), 0 if
 * none. strtod alone would also take "inf", "nan", hex and leading blanks. */
static size_t scan_number(const char *s)
{
    size_t i = 0, digits = 0;

    if (s[i] == '+' || s[i] == '-')
        i++;
    while (s[i] >= '0' && s[i] <= '9') {
        i++;
        digits++;
    }
    if (s[i] == '.') {
        i++;
        while (s[i] >= '0' && s[i] <= '9') {
            i++;
            digits++;
        }
    }
    if (!digits)
        return 0;
    if (s[i] == 'e' || s[i] == 'E') {
        size_t j = i + 1;
        if (s[j] == '+' || s[j] == '-')
            j++;
        if (s[j] >= '0' && s[j] <= '9') {
            while (s[j] >= '0' && s[j] <= '9')
                j++;
            i = j;
        }
    }
    return i;
}

static int number_prefix(const char *s, double *out, size_t *used)
{
    char tmp[64];
    size_t n = scan_number(s);

    if (!n || n >= sizeof(tmp))
        return SX_EINVAL;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    *out = strtod(tmp, NULL);
    if (!isfinite(*out))
        return SX_EINVAL;
    *used = n;
    return 0;
}

int sx_parse_number(const char *s, double *out)
{
    size_t used;
    double v;

    if (number_prefix(s, &v, &used) || s[used] != '\0')
        return SX_EINVAL;
    *out = v;
    return 0;
}

int sx_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (!*s)
        return SX_EINVAL;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return SX_EINVAL;
        if (v > (max - (uint64_t)(*p - '0')) / 10)
            return SX_ERANGE;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *out = v;
    return 0;
}

struct unit {
    const char *name;
    double factor;
};

static const struct unit duration_units[] = {
    { "ns", 1e-9 }, { "us", 1e-6 }, { "\xc2\xb5s", 1e-6 }, { "ms", 1e-3 }, { "s", 1.0 },
    { "m", 60.0 },  { "h", 3600.0 }, { "d", 86400.0 },
};

static const struct unit size_units[] = {
    { "B", 1.0 },      { "KB", 1e3 },          { "MB", 1e6 },
    { "GB", 1e9 },     { "TB", 1e12 },         { "KiB", 1024.0 },
    { "MiB", 1048576.0 }, { "GiB", 1073741824.0 }, { "TiB", 1099511627776.0 },
};

/* Longest unit name that prefixes s, so "ms" wins over "m". */
static const struct unit *match_unit(const char *s, const struct unit *units, size_t n,
                                     size_t *len)
{
    const struct unit *best = NULL;
    size_t best_len = 0;

    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(units[i].name);
        if (l > best_len && strncmp(s, units[i].name, l) == 0) {
            best = &units[i];
            best_len = l;
        }
    }
    *len = best_len;
    return best;
}

int sx_parse_duration(const char *s, double *out, const char **why)
{
    double total = 0.0;
    const char *p = s;
    double prev_factor = INFINITY;

    if (strcmp(s, "0") == 0) {
        *out = 0.0;
        return 0;
    }
    if (*s == '-') {
        *why = "durations cannot be negative";
        return SX_EINVAL;
    }
    if (!*p) {
        *why = "empty duration";
        return SX_EINVAL;
    }
    while (*p) {
        double v;
        size_t used, ulen;
        if (number_prefix(p, &v, &used) || *p == '+' || *p == '-') {
            *why = "expected a duration like 250ms, 1.5s, 2m or 1h30m";
            return SX_EINVAL;
        }
        p += used;
        const struct unit *u = match_unit(p, duration_units,
                                          sizeof(duration_units) / sizeof(*duration_units), &ulen);
        /* "5min" would otherwise read as 5m followed by garbage. */
        if (u && ((p[ulen] >= 'a' && p[ulen] <= 'z') || (p[ulen] >= 'A' && p[ulen] <= 'Z')))
            u = NULL;
        if (!u) {
            *why = *p ? "unknown duration unit (use ns, us, ms, s, m, h or d, e.g. 5m not 5min)"
                      : "a duration needs a unit, e.g. 250ms or 2s (no bare numbers)";
            return SX_EINVAL;
        }
        /* "1h30m" is fine, "30m1h" is a typo worth catching. */
        if (u->factor >= prev_factor) {
            *why = "duration parts must go from larger to smaller units, e.g. 1h30m";
            return SX_EINVAL;
        }
        prev_factor = u->factor;
        total += v * u->factor;
        p += ulen;
    }
    /* Every duration ends up as int64 nanoseconds, often added to a start
     * time up to year 2200: capping here keeps each such sum in range. */
    if (!(total <= SX_DURATION_MAX)) {
        *why = "longer than 3650d (10 years), the most any duration can be";
        return SX_EINVAL;
    }
    *out = total;
    return 0;
}

int sx_parse_rate(const char *s, double *out, const char **why)
{
    const char *slash = strchr(s, '/');
    double v;
    size_t used;

    if (!slash) {
        *why = "expected a rate like 50/s, 3000/m or 2/h";
        return SX_EINVAL;
    }
    if (number_prefix(s, &v, &used) || s + used != slash) {
        *why = "expected a rate like 50/s, 3000/m or 2/h";
        return SX_EINVAL;
    }
    const char *u = slash + 1;
    double per;
    if (strcmp(u, "s") == 0 || strcmp(u, "sec") == 0)
        per = 1.0;
    else if (strcmp(u, "m") == 0 || strcmp(u, "min") == 0)
        per = 60.0;
    else if (strcmp(u, "h") == 0)
        per = 3600.0;
    else if (strcmp(u, "d") == 0)
        per = 86400.0;
    else {
        *why = "unknown rate unit (use /s, /m, /h or /d)";
        return SX_EINVAL;
    }
    if (v < 0) {
        *why = "rates cannot be negative";
        return SX_EINVAL;
    }
    *out = v / per;
    return 0;
}

int sx_parse_ratio(const char *s, double *out, const char **why)
{
    double v;
    size_t used;

    if (number_prefix(s, &v, &used)) {
        *why = "expected a ratio like 0.5% or 0.005";
        return SX_EINVAL;
    }
    if (strcmp(s + used, "%") == 0) {
        v /= 100.0;
    } else if (s[used] != '\0') {
        *why = "expected a ratio like 0.5% or 0.005";
        return SX_EINVAL;
    }
    if (v < 0.0 || v > 1.0) {
        *why = "a ratio must be between 0 and 1 (0% and 100%)";
        return SX_EINVAL;
    }
    *out = v;
    return 0;
}

int sx_parse_size(const char *s, double *out, const char **why)
{
    double v;
    size_t used, ulen;

    if (number_prefix(s, &v, &used)) {
        *why = "expected a size like 512MiB or 2GB";
        return SX_EINVAL;
    }
    if (s[used] == '\0') {
        *out = v;
        return 0;
    }
    const struct unit *u =
        match_unit(s + used, size_units, sizeof(size_units) / sizeof(*size_units), &ulen);
    if (!u || s[used + ulen] != '\0') {
        *why = "unknown size unit (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)";
        return SX_EINVAL;
    }
    *out = v * u->factor;
    return 0;
}

int sx_parse_quantity(const char *s, double *out, const char **why)
{
    double v;
    size_t used;

    if (sx_parse_number(s, out) == 0)
        return 0;
    if (sx_parse_size(s, out, why) == 0)
        return 0;
    /* "512Mib": a number with a unit we do not know - say so. */
    if (number_prefix(s, &v, &used) == 0 && s[used] != '\0')
        return SX_EINVAL;
    *why = "expected a number or a size like 300MiB";
    return SX_EINVAL;
}

int sx_parse_quantity_rate(const char *s, double *out, const char **why)
{
    const char *slash = strchr(s, '/');
    char num[64];
    double q, per;

    if (!slash || (size_t)(slash - s) >= sizeof(num)) {
        *why = "expected an amount per time like 2MiB/s or 5/m";
        return SX_EINVAL;
    }
    memcpy(num, s, (size_t)(slash - s));
    num[slash - s] = '\0';
    if (sx_parse_quantity(num, &q, why))
        return SX_EINVAL;
    /* Reuse the rate parser for the unit: "1/<unit>" gives 1/seconds. */
    char unit[16];
    if (snprintf(unit, sizeof(unit), "1/%s", slash + 1) >= (int)sizeof(unit)) {
        *why = "unknown rate unit (use /s, /m, /h or /d)";
        return SX_EINVAL;
    }
    if (sx_parse_rate(unit, &per, why))
        return SX_EINVAL;
    *out = q * per;
    return 0;
}

void sx_format_duration(double seconds, char *buf, unsigned size)
{
    if (seconds < 0) {
        snprintf(buf, size, "-");
        return;
    }
    if (seconds == 0.0) {
        snprintf(buf, size, "0s");
    } else if (seconds < 1e-3) {
        snprintf(buf, size, "%.4gus", seconds * 1e6);
    } else if (seconds < 1.0) {
        snprintf(buf, size, "%.4gms", seconds * 1e3);
    } else if (seconds < 60.0) {
        snprintf(buf, size, "%.4gs", seconds);
    } else {
        long long t = llround(seconds);
        long long h = t / 3600, m = (t % 3600) / 60, sec = t % 60;
        if (h)
            snprintf(buf, size, "%lldh%02lldm%02llds", h, m, sec);
        else
            snprintf(buf, size, "%lldm%02llds", m, sec);
    }
}
