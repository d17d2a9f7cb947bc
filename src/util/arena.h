/* sigsynth: a bump allocator for objects that live and die together.
 *
 * A parsed scenario (YAML tree, model, strings) is thousands of small
 * objects with one lifetime; an arena frees them in one call and cannot leak
 * one of them on an error path. Later the per-batch span arenas use it too:
 * sx_arena_reset() keeps the first chunk so a steady state allocates nothing. */
#ifndef SX_ARENA_H
#define SX_ARENA_H

#include <stddef.h>

typedef struct sx_arena_chunk sx_arena_chunk;

typedef struct sx_arena {
    sx_arena_chunk *head;
    size_t chunk_size;
    size_t total;       /* bytes handed out, for limits and tests */
} sx_arena;

void sx_arena_init(sx_arena *a, size_t chunk_size);
void sx_arena_fini(sx_arena *a);
/* Forgets every allocation but keeps the newest chunk for reuse. */
void sx_arena_reset(sx_arena *a);

/* Moves every allocation of src into dst (src ends empty), so objects
 * built in a scratch arena can outlive it. */
void sx_arena_adopt(sx_arena *dst, sx_arena *src);

/* Zeroed, max-aligned memory; NULL only when the system is out of memory. */
void *sx_arena_alloc(sx_arena *a, size_t size);
void *sx_arena_calloc(sx_arena *a, size_t n, size_t size);
char *sx_arena_strndup(sx_arena *a, const char *s, size_t len);
char *sx_arena_strdup(sx_arena *a, const char *s);

#endif
