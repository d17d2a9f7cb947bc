/* sigsynth: a growable byte buffer.
 *
 * Reused across batches: sx_strbuf_clear() keeps the allocation, so once a
 * buffer has grown to the largest batch, appending never allocates again. */
#ifndef SX_STRBUF_H
#define SX_STRBUF_H

#include <stddef.h>

#include "util/diag.h"

typedef struct sx_strbuf {
    char *data;         /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    int failed;         /* sticky: an append ran out of memory */
} sx_strbuf;

void sx_strbuf_init(sx_strbuf *b);
void sx_strbuf_fini(sx_strbuf *b);
void sx_strbuf_clear(sx_strbuf *b);
int sx_strbuf_reserve(sx_strbuf *b, size_t extra);
int sx_strbuf_append(sx_strbuf *b, const void *data, size_t len);
int sx_strbuf_puts(sx_strbuf *b, const char *s);
int sx_strbuf_putc(sx_strbuf *b, char c);
int sx_strbuf_printf(sx_strbuf *b, const char *fmt, ...) SX_PRINTF(2, 3);

#endif
