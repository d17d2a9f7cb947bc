#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/load_internal.h"
#include "scenario/scenario.h"
#include "scenario/units.h"
#include "util/err.h"
#include "stats/rng.h"
#include "util/strbuf.h"

/* ---- reporting -------------------------------------------------------- */

void ld_error(sx_loader *ld, const sx_ynode *n, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sx_diag_error(ld->d, n ? n->line : 1, n ? n->col : 1, "%s", msg);
}

void ld_warn(sx_loader *ld, const sx_ynode *n, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sx_diag_warn(ld->d, n ? n->line : 1, n ? n->col : 1, "%s", msg);
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[64];

    if (la >= 63 || lb >= 63)
        return (size_t)-1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *ld_suggest(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    size_t limit = strlen(word) <= 4 ? 1 : strlen(word) <= 8 ? 2 : 3;

    for (size_t i = 0; i < n && candidates[i]; i++) {
        size_t dist = edit_distance(word, candidates[i]);
        if (dist < best_d) {
            best_d = dist;
            best = candidates[i];
        }
    }
    if (best_d <= limit)
        return best;
    /* "ramp_up" for "ramp": a known key with something appended. */
    for (size_t i = 0; i < n && candidates[i]; i++) {
        size_t cl = strlen(candidates[i]);
        if (cl >= 3 && strncmp(word, candidates[i], cl) == 0 &&
            (word[cl] == '_' || word[cl] == '-' || word[cl] == '.'))
            return candidates[i];
    }
    return NULL;
}

bool ld_misspelled(const sx_ynode *map, const char *key)
{
    const char *cands[2] = { key, NULL };

    if (!map || map->kind != SX_YMAP)
        return false;
    for (uint32_t i = 0; i < map->npairs; i++)
        if (strcmp(map->pairs[i].key->str, key) != 0 &&
            ld_suggest(map->pairs[i].key->str, cands, 1) != NULL)
            return true;
    return false;
}

void ld_check_keys(sx_loader *ld, const sx_ynode *map, const char *what,
                   const char *const *allowed)
{
    size_t nallowed = 0;

    if (!map || map->kind != SX_YMAP)
        return;
    while (allowed[nallowed])
        nallowed++;
    for (uint32_t i = 0; i < map->npairs; i++) {
        const sx_ynode *k = map->pairs[i].key;
        size_t j;
        for (j = 0; j < nallowed; j++)
            if (strcmp(k->str, allowed[j]) == 0)
                break;
        if (j < nallowed)
            continue;
        const char *hint = ld_suggest(k->str, allowed, nallowed);
        if (hint)
            ld_error(ld, k, "unknown key '%s' in %s (did you mean '%s'?)", k->str, what, hint);
        else
            ld_error(ld, k, "unknown key '%s' in %s", k->str, what);
    }
}

/* ---- typed readers ---------------------------------------------------- */

bool ld_is_map(sx_loader *ld, const sx_ynode *n, const char *what)
{
    if (!n)
        return false;   /* absent: the caller reported it, or a typo did */
    if (n->kind == SX_YMAP)
        return true;
    if (n->kind == SX_YSCALAR && n->plain && n->len == 0)
        ld_error(ld, n, "%s is empty; expected a mapping", what);
    else
        ld_error(ld, n, "%s must be a mapping, not a %s", what, sx_ynode_kind_name(n));
    return false;
}

bool ld_is_seq(sx_loader *ld, const sx_ynode *n, const char *what)
{
    if (!n)
        return false;   /* absent: the caller reported it, or a typo did */
    if (n->kind == SX_YSEQ)
        return true;
    ld_error(ld, n, "%s must be a list, not a %s", what, sx_ynode_kind_name(n));
    return false;
}

bool ld_is_scalar(sx_loader *ld, const sx_ynode *n, const char *what)
{
    if (!n)
        return false;   /* absent: the caller reported it, or a typo did */
    if (n->kind == SX_YSCALAR)
        return true;
    ld_error(ld, n, "%s must be a single value, not a %s", what, sx_ynode_kind_name(n));
    return false;
}

bool ld_string(sx_loader *ld, const sx_ynode *n, const char *what, const char **out)
{
    if (!ld_is_scalar(ld, n, what))
        return false;
    if (n->len == 0) {
        ld_error(ld, n, "%s is empty", what);
        return false;
    }
    *out = n->str;
    return true;
}

bool ld_bool(sx_loader *ld, const sx_ynode *n, const char *what, bool *out)
{
    if (!ld_is_scalar(ld, n, what))
        return false;
    if (n->plain && (strcmp(n->str, "true") == 0 || strcmp(n->str, "yes") == 0)) {
        *out = true;
        return true;
    }
    if (n->plain && (strcmp(n->str, "false") == 0 || strcmp(n->str, "no") == 0)) {
        *out = false;
        return true;
    }
    ld_error(ld, n, "%s must be true or false%s, got '%s'", what,
             n->plain ? "" : " (without quotes)", n->str);
    return false;
}

bool ld_uint(sx_loader *ld, const sx_ynode *n, const char *what, uint64_t min, uint64_t max,
             uint64_t *out)
{
    uint64_t v;

    if (!ld_is_scalar(ld, n, what))
        return false;
    int rc = sx_parse_uint(n->str, UINT64_MAX / 2, &v);
    if (rc) {
        ld_error(ld, n, "%s must be a whole number, got '%s'", what, n->str);
        return false;
    }
    if (v < min || v > max) {
        ld_error(ld, n, "%s must be between %llu and %llu, got %llu", what,
                 (unsigned long long)min, (unsigned long long)max, (unsigned long long)v);
        return false;
    }
    *out = v;
    return true;
}

bool ld_number(sx_loader *ld, const sx_ynode *n, const char *what, double *out)
{
    if (!ld_is_scalar(ld, n, what))
        return false;
    if (sx_parse_number(n->str, out)) {
        ld_error(ld, n, "%s must be a number, got '%s'", what, n->str);
        return false;
    }
    return true;
}

bool ld_quantity(sx_loader *ld, const sx_ynode *n, const char *what, double *out)
{
    const char *why = NULL;

    if (!ld_is_scalar(ld, n, what))
        return false;
    if (sx_parse_quantity(n->str, out, &why)) {
        ld_error(ld, n, "%s: '%s': %s", what, n->str, why);
        return false;
    }
    return true;
}

bool ld_duration(sx_loader *ld, const sx_ynode *n, const char *what, double *out)
{
    const char *why = NULL;

    if (!ld_is_scalar(ld, n, what))
        return false;
    if (sx_parse_duration(n->str, out, &why)) {
        ld_error(ld, n, "%s: '%s': %s", what, n->str, why);
        return false;
    }
    return true;
}

bool ld_positive_duration(sx_loader *ld, const sx_ynode *n, const char *what, double *out)
{
    if (!ld_duration(ld, n, what, out))
        return false;
    if (*out <= 0.0) {
        ld_error(ld, n, "%s must be longer than zero", what);
        return false;
    }
    return true;
}

bool ld_rate(sx_loader *ld, const sx_ynode *n, const char *what, bool positive, double *out)
{
    const char *why = NULL;

    if (!ld_is_scalar(ld, n, what))
        return false;
    if (sx_parse_rate(n->str, out, &why)) {
        ld_error(ld, n, "%s: '%s': %s", what, n->str, why);
        return false;
    }
    if (positive && *out <= 0.0) {
        ld_error(ld, n, "%s must be above zero", what);
        return false;
    }
    return true;
}

bool ld_ratio(sx_loader *ld, const sx_ynode *n, const char *what, double *out)
{
    const char *why = NULL;

    if (!ld_is_scalar(ld, n, what))
        return false;
    if (sx_parse_ratio(n->str, out, &why)) {
        ld_error(ld, n, "%s: '%s': %s", what, n->str, why);
        return false;
    }
    return true;
}

static void attr_from_scalar(const sx_ynode *v, sx_attr *a)
{
    double d;
    uint64_t u;

    a->str = v->str;
    a->type = SX_ATTR_STRING;
    if (!v->plain)
        return;
    if (strcmp(v->str, "true") == 0 || strcmp(v->str, "false") == 0) {
        a->type = SX_ATTR_BOOL;
        a->b = v->str[0] == 't';
    } else if (sx_parse_uint(v->str[0] == '-' ? v->str + 1 : v->str, INT64_MAX, &u) == 0) {
        a->type = SX_ATTR_INT;
        a->i = v->str[0] == '-' ? -(int64_t)u : (int64_t)u;
    } else if (sx_parse_number(v->str, &d) == 0 && strchr(v->str, '.') &&
               /* "1.4.2" is a version string, not a number */
               strchr(v->str, '.') == strrchr(v->str, '.')) {
        a->type = SX_ATTR_DOUBLE;
        a->d = d;
    }
}

bool ld_attrs(sx_loader *ld, const sx_ynode *n, const char *what, sx_attrs *out)
{
    bool ok = true;

    if (!ld_is_map(ld, n, what))
        return false;
    out->v = sx_arena_calloc(ld->a, n->npairs ? n->npairs : 1, sizeof(*out->v));
    if (!out->v) {
        ld->oom = true;
        return false;
    }
    for (uint32_t i = 0; i < n->npairs; i++) {
        const sx_ynode *k = n->pairs[i].key, *v = n->pairs[i].value;
        if (k->len == 0) {
            ld_error(ld, k, "empty attribute name in %s", what);
            ok = false;
            continue;
        }
        if (v->kind != SX_YSCALAR) {
            ld_error(ld, v, "attribute '%s' in %s must be a single value, not a %s", k->str,
                     what, sx_ynode_kind_name(v));
            ok = false;
            continue;
        }
        sx_attr *a = &out->v[out->n++];
        a->key = k->str;
        a->pos = LD_POS(v);
        attr_from_scalar(v, a);
    }
    return ok;
}

/* ---- top level -------------------------------------------------------- */

static const char *const top_keys[] = { "version", "name", "description", "seed", "duration",
                                        "resource", "services", "traffic", "incidents",
                                        "metrics", "expect", NULL };

static bool valid_scenario_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return false;
    return true;
}

static void load_top(sx_loader *ld, const sx_ynode *root)
{
    sx_scenario *s = ld->s;
    const sx_ynode *n;
    uint64_t u;

    ld_check_keys(ld, root, "the scenario", top_keys);
    n = sx_ymap_get(root, "version");
    if (!n && !ld_misspelled(root, "version")) {
        ld_error(ld, root, "missing required key 'version' (this format is version 1)");
    } else if (ld_uint(ld, n, "version", 0, 1000, &u)) {
        if (u != 1)
            ld_error(ld, n, "unsupported scenario version %llu (this sigsynth reads version 1)",
                     (unsigned long long)u);
        s->version = (int)u;
    }
    n = sx_ymap_get(root, "name");
    if (!n && !ld_misspelled(root, "name")) {
        ld_error(ld, root, "missing required key 'name'");
    } else if (ld_string(ld, n, "name", &s->name)) {
        if (!valid_scenario_name(s->name) || strlen(s->name) > 63)
            ld_error(ld, n, "name '%s' must be 1-63 characters of a-z, 0-9 and '-'", s->name);
    }
    if ((n = sx_ymap_get(root, "description")) != NULL)
        ld_string(ld, n, "description", &s->description);
    if ((n = sx_ymap_get(root, "seed")) != NULL && ld_uint(ld, n, "seed", 0, UINT64_MAX / 2, &u)) {
        s->seed = u;
        s->seed_set = true;
    }
    if ((n = sx_ymap_get(root, "duration")) != NULL) {
        ld_positive_duration(ld, n, "duration", &s->duration);
        s->duration_pos = LD_POS(n);
    }
    if ((n = sx_ymap_get(root, "resource")) != NULL)
        ld_attrs(ld, n, "resource", &s->resource);

    n = sx_ymap_get(root, "services");
    if (!n)
        ld_error(ld, root, "missing required key 'services'");
    else
        ld_services(ld, n);
    n = sx_ymap_get(root, "traffic");
    if (!n)
        ld_error(ld, root, "missing required key 'traffic' (who calls the system, how often)");
    else
        ld_traffic(ld, n);
    if ((n = sx_ymap_get(root, "metrics")) != NULL)
        ld_metrics(ld, n);
    if ((n = sx_ymap_get(root, "incidents")) != NULL)
        ld_incidents(ld, n);
    if ((n = sx_ymap_get(root, "expect")) != NULL)
        ld_expect(ld, n);
}

/* Default timeline: long enough to see every incident end plus 10 minutes
 * of recovery, and at least 30 minutes. */
static double default_duration(sx_scenario *s)
{
    double end = 0.0;

    s->duration_pos = (sx_pos){ 1, 1 };
    for (uint32_t i = 0; i < s->nincidents; i++) {
        double e = sx_incident_phase_at(&s->incidents[i], SX_PHASE_END);
        if (e > end) {
            end = e;
            s->duration_pos = s->incidents[i].pos;   /* limits point here */
        }
    }
    return end + 600.0 > 1800.0 ? end + 600.0 : 1800.0;
}

int sx_scenario_load_buffer(const char *file, const char *buf, size_t len, sx_scenario **out,
                            sx_diag *d)
{
    sx_ydoc doc;
    sx_loader ld;
    sx_scenario *s;
    uint32_t errors_before = d->nerrors;
    int rc;

    *out = NULL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return SX_ENOMEM;
    sx_arena_init(&s->arena, 64 * 1024);
    s->file = sx_arena_strdup(&s->arena, file);
    s->content_hash = sx_hash64(buf, len, 0x5ce7a210ull);
    s->traffic.pattern = SX_PATTERN_POISSON;

    rc = sx_yaml_parse(&doc, buf, len, d);
    if (rc)
        goto out;
    if (!doc.root || (doc.root->kind == SX_YSCALAR && doc.root->plain && doc.root->len == 0)) {
        sx_diag_error(d, 1, 1, "empty scenario file (expected 'version: 1', 'name:', "
                               "'services:' and 'traffic:')");
        rc = SX_EINVAL;
        goto out;
    }
    ld = (sx_loader){ .s = s, .d = d, .a = &s->arena };
    if (!ld_is_map(&ld, doc.root, "a scenario file")) {
        rc = SX_EINVAL;
        goto out;
    }
    load_top(&ld, doc.root);
    if (ld.oom) {
        rc = SX_ENOMEM;
        goto out;
    }
    /* Cross-checks run even after errors so one pass reports everything;
     * they skip what the loader could not resolve. */
    sx_scenario_check(&ld);
    if (ld.oom) {
        rc = SX_ENOMEM;
        goto out;
    }
    if (d->nerrors != errors_before) {
        rc = SX_EINVAL;
        goto out;
    }
    if (s->duration <= 0.0)
        s->duration = default_duration(s);
    /* Strings point into the YAML tree: the model keeps its memory. */
    sx_arena_adopt(&s->arena, &doc.arena);
    *out = s;
    s = NULL;
out:
    sx_ydoc_fini(&doc);
    sx_scenario_destroy(s);
    return rc;
}

int sx_scenario_load_file(const char *path, sx_scenario **out, sx_diag *d)
{
    FILE *f = NULL;
    char *buf = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    f = fopen(path, "rb");
    if (!f) {
        sx_diag_error(d, 0, 0, "cannot open: %s", strerror(errno));
        return SX_EIO;
    }
    /* Read at most one byte past the limit: enough to know it is too big
     * without reading a huge file into memory. */
    buf = malloc(SX_YAML_MAX_BYTES + 1);
    if (!buf) {
        rc = SX_ENOMEM;
        goto out;
    }
    len = fread(buf, 1, SX_YAML_MAX_BYTES + 1, f);
    if (ferror(f)) {
        sx_diag_error(d, 0, 0, "cannot read: %s", strerror(errno));
        rc = SX_EIO;
        goto out;
    }
    if (len > SX_YAML_MAX_BYTES) {
        sx_diag_error(d, 1, 1, "file is larger than the %u-byte limit for scenario files",
                      SX_YAML_MAX_BYTES);
        rc = SX_ELIMIT;
        goto out;
    }
    rc = sx_scenario_load_buffer(path, buf, len, out, d);
out:
    free(buf);
    if (f)
        fclose(f);
    return rc;
}
