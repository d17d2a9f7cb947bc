/* sigsynth: a small JSON reader for API responses (Prometheus, Alertmanager).
 * Parses a buffer into a tree in an arena; depth and size are bounded, so a
 * hostile server cannot make it recurse or allocate without limit. */
#ifndef SX_JSON_PARSE_H
#define SX_JSON_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

enum sx_jtype { SX_JNULL, SX_JBOOL, SX_JNUM, SX_JSTR, SX_JARR, SX_JOBJ };

typedef struct sx_jval sx_jval;
struct sx_jval {
    enum sx_jtype type;
    double num;
    int b;
    const char *str;            /* strings: decoded, NUL-terminated */
    const char **keys;          /* objects: keys[i] -> items[i] */
    sx_jval **items;            /* arrays and objects */
    uint32_t n;
};

/* Returns the root or NULL (err says where). */
sx_jval *sx_json_parse(sx_arena *a, const char *buf, size_t len, char *err, size_t errlen);
const sx_jval *sx_json_get(const sx_jval *obj, const char *key);
const char *sx_json_str_of(const sx_jval *v);   /* NULL unless a string */

#endif
