#include "scenario/yaml_tree.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/err.h"

struct frame {
    sx_ynode *node;
    sx_ynode **kids;        /* collected children; pairs are (key, value) runs */
    uint32_t nkids;
    uint32_t cap;
};

struct anchor {
    char *name;
    sx_ynode *node;
};

struct builder {
    sx_ydoc *doc;
    sx_diag *d;
    struct frame stack[SX_YAML_MAX_DEPTH + 1];
    int depth;
    struct anchor *anchors;
    uint32_t nanchors;
    uint32_t anchors_cap;
    uint32_t naliases;
    int ndocs;
};

/* Position of the first byte that is not valid UTF-8 (or a NUL), if any:
 * libyaml would stop there too, but with a vaguer message. */
static int check_utf8(const unsigned char *s, size_t len, sx_diag *d)
{
    uint32_t line = 1, col = 1;
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        size_t n = 0;
        uint32_t cp = 0;

        if (c == 0) {
            sx_diag_error(d, line, col, "file contains a NUL byte (not a text file?)");
            return SX_ESYNTAX;
        }
        if (c < 0x80) {
            n = 1;
        } else if ((c & 0xE0) == 0xC0) {
            n = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 4;
            cp = c & 0x07;
        } else {
            goto bad;
        }
        if (i + n > len)
            goto bad;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                goto bad;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            goto bad;
        if (c == '\n' || (c == '\r' && (i + 1 == len || s[i + 1] != '\n'))) {
            line++;   /* \n, \r\n and a lone \r all end a line, as in libyaml */
            col = 1;
        } else {
            col++;
        }
        i += n;
    }
    return 0;
bad:
    sx_diag_error(d, line, col, "file is not valid UTF-8 (byte 0x%02x at offset %zu)", s[i], i);
    return SX_ESYNTAX;
}

static int push_kid(struct frame *f, sx_ynode *n)
{
    if (f->nkids == f->cap) {
        uint32_t cap = f->cap ? f->cap * 2 : 8;
        sx_ynode **k = realloc(f->kids, cap * sizeof(*k));
        if (!k)
            return SX_ENOMEM;
        f->kids = k;
        f->cap = cap;
    }
    f->kids[f->nkids++] = n;
    return 0;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

static int add_to_parent(struct builder *b, sx_ynode *n)
{
    if (b->depth == 0) {
        b->doc->root = n;
        return 0;
    }
    return push_kid(&b->stack[b->depth - 1], n);
}

static int register_anchor(struct builder *b, const yaml_char_t *name, sx_ynode *n)
{
    if (!name)
        return 0;
    /* A redefined anchor shadows the earlier one, as YAML says. */
    for (uint32_t i = 0; i < b->nanchors; i++) {
        if (strcmp(b->anchors[i].name, (const char *)name) == 0) {
            b->anchors[i].node = n;
            return 0;
        }
    }
    if (b->nanchors == b->anchors_cap) {
        uint32_t cap = b->anchors_cap ? b->anchors_cap * 2 : 8;
        struct anchor *a = realloc(b->anchors, cap * sizeof(*a));
        if (!a)
            return SX_ENOMEM;
        b->anchors = a;
        b->anchors_cap = cap;
    }
    char *copy = sx_arena_strdup(&b->doc->arena, (const char *)name);
    if (!copy)
        return SX_ENOMEM;
    b->anchors[b->nanchors++] = (struct anchor){ copy, n };
    return 0;
}

static sx_ynode *new_node(struct builder *b, enum sx_ynode_kind kind, yaml_mark_t m)
{
    sx_ynode *n = sx_arena_alloc(&b->doc->arena, sizeof(*n));

    if (n) {
        n->kind = kind;
        n->line = (uint32_t)m.line + 1;
        n->col = (uint32_t)m.column + 1;
        n->weight = 1;
    }
    return n;
}

static int keys_equal(const sx_ynode *a, const sx_ynode *b)
{
    return a->kind == SX_YSCALAR && b->kind == SX_YSCALAR && a->len == b->len &&
           memcmp(a->str, b->str, a->len) == 0;
}

static int is_merge_key(const sx_ynode *k)
{
    return k->kind == SX_YSCALAR && k->plain && k->len == 2 && memcmp(k->str, "<<", 2) == 0;
}

/* The keys of one mapping under construction, hashed so that duplicate
 * detection and `<<` merges stay linear however large a mapping is. */
struct keyset {
    const sx_ynode **slot;
    uint32_t cap;
};

static uint64_t key_hash(const sx_ynode *k)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < k->len; i++)
        h = (h ^ (unsigned char)k->str[i]) * 1099511628211ull;
    return h;
}

static int keyset_init(struct keyset *ks, uint32_t n)
{
    uint32_t cap = 16;

    while (cap < 2 * n + 1)
        cap *= 2;
    ks->slot = calloc(cap, sizeof(*ks->slot));
    ks->cap = cap;
    return ks->slot ? 0 : SX_ENOMEM;
}

/* Adds k; returns 1 if an equal key was already there. */
static int keyset_add(struct keyset *ks, const sx_ynode *k)
{
    uint32_t mask = ks->cap - 1;

    for (uint32_t i = (uint32_t)key_hash(k) & mask;; i = (i + 1) & mask) {
        if (!ks->slot[i]) {
            ks->slot[i] = k;
            return 0;
        }
        if (keys_equal(ks->slot[i], k))
            return 1;
    }
}

/* Closes a mapping: resolves `<<` merges (explicit keys win, earlier merge
 * sources win), reports duplicate keys, copies pairs into the arena. */
static int finish_map(struct builder *b, struct frame *f)
{
    sx_ynode *n = f->node;
    uint32_t npairs = f->nkids / 2;
    uint32_t cap = npairs;
    int rc = 0;

    for (uint32_t i = 0; i < npairs; i++) {
        sx_ynode *k = f->kids[2 * i], *v = f->kids[2 * i + 1];
        if (!is_merge_key(k))
            continue;
        if (v->kind == SX_YMAP) {
            cap += v->npairs;
        } else if (v->kind == SX_YSEQ) {
            for (uint32_t j = 0; j < v->nitems; j++)
                if (v->items[j]->kind == SX_YMAP)
                    cap += v->items[j]->npairs;
        }
    }
    struct keyset ks;
    n->pairs = sx_arena_calloc(&b->doc->arena, cap ? cap : 1, sizeof(*n->pairs));
    if (!n->pairs || keyset_init(&ks, cap))
        return SX_ENOMEM;
    for (uint32_t i = 0; i < npairs; i++) {
        sx_ynode *k = f->kids[2 * i], *v = f->kids[2 * i + 1];
        if (is_merge_key(k))
            continue;
        if (k->kind != SX_YSCALAR) {
            sx_diag_error(b->d, k->line, k->col, "mapping keys must be plain text, not a %s",
                          sx_ynode_kind_name(k));
            rc = SX_ESYNTAX;
            continue;
        }
        if (keyset_add(&ks, k)) {
            sx_diag_error(b->d, k->line, k->col, "duplicate key '%s'", k->str);
            rc = SX_ESYNTAX;
            continue;
        }
        n->pairs[n->npairs++] = (sx_ypair){ k, v };
        n->weight = sat_add(n->weight, sat_add(k->weight, v->weight));
    }
    for (uint32_t i = 0; i < npairs; i++) {
        sx_ynode *k = f->kids[2 * i], *v = f->kids[2 * i + 1];
        uint32_t nsrc = v->kind == SX_YSEQ ? v->nitems : 1;
        if (!is_merge_key(k))
            continue;
        for (uint32_t j = 0; j < nsrc; j++) {
            const sx_ynode *src = v->kind == SX_YSEQ ? v->items[j] : v;
            if (src->kind != SX_YMAP) {
                sx_diag_error(b->d, src->line, src->col,
                              "'<<' merges a mapping or a list of mappings, not a %s",
                              sx_ynode_kind_name(src));
                rc = SX_ESYNTAX;
                continue;
            }
            for (uint32_t p = 0; p < src->npairs; p++) {
                if (keyset_add(&ks, src->pairs[p].key))
                    continue;
                n->pairs[n->npairs++] = src->pairs[p];
                n->weight = sat_add(n->weight, src->pairs[p].value->weight);
            }
        }
    }
    free(ks.slot);
    return rc;
}

static int finish_seq(struct builder *b, struct frame *f)
{
    sx_ynode *n = f->node;

    n->items = sx_arena_calloc(&b->doc->arena, f->nkids ? f->nkids : 1, sizeof(*n->items));
    if (!n->items)
        return SX_ENOMEM;
    for (uint32_t i = 0; i < f->nkids; i++) {
        n->items[i] = f->kids[i];
        n->weight = sat_add(n->weight, f->kids[i]->weight);
    }
    n->nitems = f->nkids;
    return 0;
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
    sx_ynode *n;
    int rc;

    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++b->ndocs > 1) {
            sx_diag_error(b->d, (uint32_t)ev->start_mark.line + 1,
                          (uint32_t)ev->start_mark.column + 1,
                          "a scenario file holds one YAML document; found a second '---'");
            return SX_ESYNTAX;
        }
        return 0;
    case YAML_SCALAR_EVENT: {
        const char *tag = (const char *)ev->data.scalar.tag;
        n = new_node(b, SX_YSCALAR, ev->start_mark);
        if (!n)
            return SX_ENOMEM;
        n->str = sx_arena_strndup(&b->doc->arena, (const char *)ev->data.scalar.value,
                                  ev->data.scalar.length);
        if (!n->str)
            return SX_ENOMEM;
        n->len = ev->data.scalar.length;
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                   !(tag && strcmp(tag, YAML_STR_TAG) == 0);
        if ((rc = register_anchor(b, ev->data.scalar.anchor, n)) != 0)
            return rc;
        return add_to_parent(b, n);
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int is_map = ev->type == YAML_MAPPING_START_EVENT;
        const yaml_char_t *anchor =
            is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
        if (b->depth >= SX_YAML_MAX_DEPTH) {
            sx_diag_error(b->d, (uint32_t)ev->start_mark.line + 1,
                          (uint32_t)ev->start_mark.column + 1,
                          "nesting deeper than %d levels", SX_YAML_MAX_DEPTH);
            return SX_ELIMIT;
        }
        n = new_node(b, is_map ? SX_YMAP : SX_YSEQ, ev->start_mark);
        if (!n)
            return SX_ENOMEM;
        n->open = 1;
        if ((rc = register_anchor(b, anchor, n)) != 0)
            return rc;
        b->stack[b->depth++] = (struct frame){ n, NULL, 0, 0 };
        return 0;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
        struct frame *f = &b->stack[b->depth - 1];
        rc = f->node->kind == SX_YMAP ? finish_map(b, f) : finish_seq(b, f);
        free(f->kids);
        f->kids = NULL;
        f->node->open = 0;
        n = f->node;
        b->depth--;
        if (rc == SX_ENOMEM)
            return rc;
        if (n->weight > SX_YAML_MAX_EXPANDED) {
            sx_diag_error(b->d, n->line, n->col,
                          "aliases expand this document past %u nodes (alias bomb?)",
                          SX_YAML_MAX_EXPANDED);
            return SX_ELIMIT;
        }
        int rc2 = add_to_parent(b, n);
        return rc2 ? rc2 : rc;
    }
    case YAML_ALIAS_EVENT: {
        uint32_t line = (uint32_t)ev->start_mark.line + 1, col = (uint32_t)ev->start_mark.column + 1;
        const char *name = (const char *)ev->data.alias.anchor;
        if (++b->naliases > SX_YAML_MAX_ALIASES) {
            sx_diag_error(b->d, line, col, "more than %d aliases in one file",
                          SX_YAML_MAX_ALIASES);
            return SX_ELIMIT;
        }
        for (uint32_t i = b->nanchors; i-- > 0;) {
            if (strcmp(b->anchors[i].name, name) != 0)
                continue;
            if (b->anchors[i].node->open) {
                sx_diag_error(b->d, line, col, "alias *%s refers to a node that contains it",
                              name);
                return SX_EINVAL;
            }
            return add_to_parent(b, b->anchors[i].node);
        }
        sx_diag_error(b->d, line, col, "unknown anchor '%s'", name);
        return SX_EINVAL;
    }
    default:
        return 0;
    }
}

static void report_parser_error(const yaml_parser_t *p, sx_diag *d)
{
    const yaml_mark_t *m = p->problem ? &p->problem_mark : &p->context_mark;
    const char *problem = p->problem ? p->problem : "malformed YAML";

    if (p->error == YAML_MEMORY_ERROR) {
        sx_diag_error(d, 1, 1, "out of memory while parsing YAML");
        return;
    }
    if (p->context)
        sx_diag_error(d, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
                      "invalid YAML: %s %s (started at line %zu)", problem, p->context,
                      p->context_mark.line + 1);
    else
        sx_diag_error(d, (uint32_t)m->line + 1, (uint32_t)m->column + 1, "invalid YAML: %s",
                      problem);
}

int sx_yaml_parse(sx_ydoc *doc, const char *buf, size_t len, sx_diag *d)
{
    struct builder b;
    yaml_parser_t parser;
    yaml_event_t ev;
    int rc = 0;
    int done = 0;

    memset(doc, 0, sizeof(*doc));
    sx_arena_init(&doc->arena, 64 * 1024);
    if (len > SX_YAML_MAX_BYTES) {
        sx_diag_error(d, 1, 1, "file is %zu bytes; scenario files are limited to %u bytes", len,
                      SX_YAML_MAX_BYTES);
        return SX_ELIMIT;
    }
    if ((rc = check_utf8((const unsigned char *)buf, len, d)) != 0)
        return rc;
    memset(&b, 0, sizeof(b));
    b.doc = doc;
    b.d = d;
    if (!yaml_parser_initialize(&parser))
        return SX_ENOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    while (!done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            report_parser_error(&parser, d);
            rc = parser.error == YAML_MEMORY_ERROR ? SX_ENOMEM : SX_ESYNTAX;
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        int erc = on_event(&b, &ev);
        yaml_event_delete(&ev);
        if (erc == SX_ESYNTAX) {
            rc = erc;   /* the tree is still whole: go on, report every duplicate */
            continue;
        }
        if (erc) {
            rc = erc;
            break;
        }
    }
    for (int i = 0; i < b.depth; i++)
        free(b.stack[i].kids);
    free(b.anchors);
    yaml_parser_delete(&parser);
    if (rc == SX_EINVAL)
        rc = SX_ESYNTAX;   /* a broken alias: fatal, the tree is incomplete */
    if (rc)
        doc->root = NULL;
    return rc;
}

void sx_ydoc_fini(sx_ydoc *doc)
{
    sx_arena_fini(&doc->arena);
    doc->root = NULL;
}

const sx_ynode *sx_ymap_get(const sx_ynode *map, const char *key)
{
    size_t klen = strlen(key);

    if (!map || map->kind != SX_YMAP)
        return NULL;
    for (uint32_t i = 0; i < map->npairs; i++) {
        const sx_ynode *k = map->pairs[i].key;
        if (k->len == klen && memcmp(k->str, key, klen) == 0)
            return map->pairs[i].value;
    }
    return NULL;
}

const char *sx_ynode_kind_name(const sx_ynode *n)
{
    switch (n->kind) {
    case SX_YMAP: return "mapping";
    case SX_YSEQ: return "list";
    default: return "scalar";
    }
}
