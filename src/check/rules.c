#include "check/rules.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/units.h"
#include "scenario/yaml_tree.h"
#include "util/err.h"

static int add_alert(sx_rules *rules, const char *name, const char *expr, double for_s,
                     const char *file)
{
    sx_rule_alert *v = realloc(rules->alerts, (rules->nalerts + 1) * sizeof(*v));

    if (!v)
        return SX_ENOMEM;
    rules->alerts = v;
    v[rules->nalerts].name = strdup(name);
    v[rules->nalerts].expr = strdup(expr ? expr : "");
    v[rules->nalerts].for_s = for_s;
    v[rules->nalerts].file = strdup(file);
    rules->nalerts++;
    return 0;
}

int sx_rules_load(sx_rules *rules, const char *path, sx_diag *d)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len;
    sx_ydoc doc;
    int rc = 0;

    if (!f) {
        sx_diag_error(d, 0, 0, "cannot open rule file");
        return SX_EIO;
    }
    buf = malloc(SX_YAML_MAX_BYTES + 1);
    len = buf ? fread(buf, 1, SX_YAML_MAX_BYTES + 1, f) : 0;
    fclose(f);
    if (!buf)
        return SX_ENOMEM;
    if (sx_yaml_parse(&doc, buf, len, d)) {
        rc = SX_EINVAL;
        goto out;
    }
    const sx_ynode *groups = sx_ymap_get(doc.root, "groups");
    if (!groups || groups->kind != SX_YSEQ) {
        sx_diag_error(d, 1, 1, "not a Prometheus rule file (no 'groups:' list)");
        rc = SX_EINVAL;
        goto out;
    }
    for (uint32_t g = 0; g < groups->nitems; g++) {
        const sx_ynode *grp = groups->items[g];
        const sx_ynode *iv = sx_ymap_get(grp, "interval");
        const sx_ynode *list = sx_ymap_get(grp, "rules");
        double interval = 0;
        const char *why;
        if (iv && iv->kind == SX_YSCALAR && sx_parse_duration(iv->str, &interval, &why) == 0 &&
            interval > 0 && (rules->min_interval == 0 || interval < rules->min_interval))
            rules->min_interval = interval;
        if (!list || list->kind != SX_YSEQ)
            continue;
        for (uint32_t i = 0; i < list->nitems; i++) {
            const sx_ynode *r = list->items[i];
            const sx_ynode *alert = sx_ymap_get(r, "alert"), *expr = sx_ymap_get(r, "expr"),
                           *fr = sx_ymap_get(r, "for");
            double for_s = 0;
            if (!alert || alert->kind != SX_YSCALAR)
                continue;
            if (fr && fr->kind == SX_YSCALAR)
                sx_parse_duration(fr->str, &for_s, &why);
            if (add_alert(rules, alert->str, expr && expr->kind == SX_YSCALAR ? expr->str : "",
                          for_s, path)) {
                rc = SX_ENOMEM;
                goto out;
            }
        }
    }
out:
    sx_ydoc_fini(&doc);
    free(buf);
    return rc;
}

void sx_rules_fini(sx_rules *rules)
{
    for (uint32_t i = 0; i < rules->nalerts; i++) {
        free(rules->alerts[i].name);
        free(rules->alerts[i].expr);
        free(rules->alerts[i].file);
    }
    free(rules->alerts);
    memset(rules, 0, sizeof(*rules));
}

const sx_rule_alert *sx_rules_find(const sx_rules *rules, const char *alert)
{
    for (uint32_t i = 0; i < rules->nalerts; i++)
        if (strcmp(rules->alerts[i].name, alert) == 0)
            return &rules->alerts[i];
    return NULL;
}

static int ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == ':';
}

int sx_expr_mentions(const char *expr, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = strstr(expr, name); p; p = strstr(p + 1, name))
        if ((p == expr || !ident_char(p[-1])) && !ident_char(p[n]))
            return 1;
    return 0;
}
