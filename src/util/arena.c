#include "util/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct sx_arena_chunk {
    sx_arena_chunk *next;
    size_t cap;
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

void sx_arena_init(sx_arena *a, size_t chunk_size)
{
    a->head = NULL;
    a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
    a->total = 0;
}

void sx_arena_fini(sx_arena *a)
{
    sx_arena_chunk *c = a->head;

    while (c) {
        sx_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->total = 0;
}

void sx_arena_reset(sx_arena *a)
{
    sx_arena_chunk *keep = a->head;

    if (!keep)
        return;
    sx_arena_chunk *c = keep->next;
    while (c) {
        sx_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    keep->next = NULL;
    keep->used = 0;
    a->total = 0;
}

void *sx_arena_alloc(sx_arena *a, size_t size)
{
    const size_t align = alignof(max_align_t);
    size_t need = (size + align - 1) & ~(align - 1);
    sx_arena_chunk *c = a->head;

    if (need < size)
        return NULL;
    if (!c || c->cap - c->used < need) {
        size_t cap = need > a->chunk_size ? need : a->chunk_size;
        if (cap > SIZE_MAX - sizeof(*c))
            return NULL;
        c = malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->cap = cap;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->total += need;
    memset(p, 0, size);
    return p;
}

void *sx_arena_calloc(sx_arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return sx_arena_alloc(a, n * size);
}

char *sx_arena_strndup(sx_arena *a, const char *s, size_t len)
{
    char *p = sx_arena_alloc(a, len + 1);

    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

char *sx_arena_strdup(sx_arena *a, const char *s)
{
    return sx_arena_strndup(a, s, strlen(s));
}

void sx_arena_adopt(sx_arena *dst, sx_arena *src)
{
    sx_arena_chunk *c = src->head;

    if (!c)
        return;
    /* src's chunks go behind dst's head so dst keeps allocating from the
     * chunk it was using. */
    while (c->next)
        c = c->next;
    if (dst->head) {
        c->next = dst->head->next;
        dst->head->next = src->head;
    } else {
        dst->head = src->head;
    }
    dst->total += src->total;
    src->head = NULL;
    src->total = 0;
}
