/* sigsynth: a position-keeping YAML tree on top of libyaml's event parser.
 *
 * libyaml's own document loader forgets nothing we need but expands aliases
 * into shared nodes without limits; building the tree from events lets us
 * keep every node's line and column, bound depth and alias expansion (alias
 * bombs), resolve `<<` merge keys and reject duplicate keys, all on a memory
 * buffer so the parser can be fuzzed directly. */
#ifndef SX_YAML_TREE_H
#define SX_YAML_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/diag.h"

#define SX_YAML_MAX_BYTES (4u * 1024 * 1024)
#define SX_YAML_MAX_DEPTH 64
#define SX_YAML_MAX_ALIASES 1000
#define SX_YAML_MAX_EXPANDED 1000000u

enum sx_ynode_kind { SX_YSCALAR = 0, SX_YMAP = 1, SX_YSEQ = 2 };

typedef struct sx_ynode sx_ynode;

typedef struct sx_ypair {
    sx_ynode *key;
    sx_ynode *value;
} sx_ypair;

struct sx_ynode {
    enum sx_ynode_kind kind;
    uint32_t line;          /* 1-based */
    uint32_t col;           /* 1-based */
    int plain;              /* scalar written without quotes or block style */
    const char *str;        /* scalar text, NUL-terminated */
    size_t len;
    sx_ypair *pairs;        /* map entries in file order */
    uint32_t npairs;
    sx_ynode **items;       /* sequence items */
    uint32_t nitems;
    uint64_t weight;        /* nodes reachable, counting alias re-use */
    int open;               /* still being built (catches recursive aliases) */
};

typedef struct sx_ydoc {
    sx_arena arena;
    sx_ynode *root;         /* NULL for an empty document */
} sx_ydoc;

/* Parses buf (need not be NUL-terminated). Problems are reported to d with
 * positions; returns 0, SX_ESYNTAX, SX_ELIMIT or SX_ENOMEM. The doc must be
 * released with sx_ydoc_fini() whatever the result. */
int sx_yaml_parse(sx_ydoc *doc, const char *buf, size_t len, sx_diag *d);
void sx_ydoc_fini(sx_ydoc *doc);

/* Map lookup by key text; NULL when absent or when map is not a map. */
const sx_ynode *sx_ymap_get(const sx_ynode *map, const char *key);

const char *sx_ynode_kind_name(const sx_ynode *n);

#endif
