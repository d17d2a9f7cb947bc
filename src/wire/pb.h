/* sigsynth: a protobuf writer for hand-written encoders.
 *
 * Appends to a reusable sx_strbuf. Nested messages are written in one pass:
 * sx_pb_begin() reserves two bytes for the length, sx_pb_end() back-patches
 * it and only moves the body when the length needs one or three-plus bytes
 * (one-byte lengths move a body of under 128 bytes; big messages are few).
 * Lengths stay minimal varints, so our bytes equal protoc's own encoding. */
#ifndef SX_PB_H
#define SX_PB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/strbuf.h"

enum { SX_PB_VARINT = 0, SX_PB_I64 = 1, SX_PB_LEN = 2, SX_PB_I32 = 5 };

/* Ensures room for n more bytes; on failure the buffer's sticky `failed`
 * flag is set and writes become no-ops until sx_strbuf_clear(). */
static inline unsigned char *sx_pb_room(sx_strbuf *b, size_t n)
{
    if (b->len + n + 1 > b->cap && sx_strbuf_reserve(b, n))
        return NULL;
    if (b->failed)
        return NULL;
    return (unsigned char *)b->data + b->len;
}

static inline size_t sx_pb_put_varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;

    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

static inline void sx_pb_varint(sx_strbuf *b, uint64_t v)
{
    unsigned char *p = sx_pb_room(b, 10);
    if (p)
        b->len += sx_pb_put_varint(p, v);
}

static inline void sx_pb_tag(sx_strbuf *b, uint32_t field, uint32_t wt)
{
    sx_pb_varint(b, ((uint64_t)field << 3) | wt);
}

static inline void sx_pb_uint64(sx_strbuf *b, uint32_t field, uint64_t v)
{
    unsigned char *p = sx_pb_room(b, 15);
    if (p) {
        size_t n = sx_pb_put_varint(p, ((uint64_t)field << 3) | SX_PB_VARINT);
        b->len += n + sx_pb_put_varint(p + n, v);
    }
}

/* int32/int64 fields: negative values take ten bytes, as protobuf says. */
static inline void sx_pb_int64(sx_strbuf *b, uint32_t field, int64_t v)
{
    sx_pb_uint64(b, field, (uint64_t)v);
}

static inline void sx_pb_sint32(sx_strbuf *b, uint32_t field, int32_t v)
{
    sx_pb_uint64(b, field, (uint32_t)((v << 1) ^ (v >> 31)));
}

static inline void sx_pb_fixed64(sx_strbuf *b, uint32_t field, uint64_t v)
{
    unsigned char *p = sx_pb_room(b, 13);
    if (p) {
        size_t n = sx_pb_put_varint(p, ((uint64_t)field << 3) | SX_PB_I64);
        for (int i = 0; i < 8; i++)
            p[n + i] = (unsigned char)(v >> (8 * i));
        b->len += n + 8;
    }
}

static inline void sx_pb_double(sx_strbuf *b, uint32_t field, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    sx_pb_fixed64(b, field, v);
}

static inline void sx_pb_fixed32(sx_strbuf *b, uint32_t field, uint32_t v)
{
    unsigned char *p = sx_pb_room(b, 9);
    if (p) {
        size_t n = sx_pb_put_varint(p, ((uint64_t)field << 3) | SX_PB_I32);
        for (int i = 0; i < 4; i++)
            p[n + i] = (unsigned char)(v >> (8 * i));
        b->len += n + 4;
    }
}

static inline void sx_pb_bytes(sx_strbuf *b, uint32_t field, const void *data, size_t len)
{
    unsigned char *p = sx_pb_room(b, 15 + len);
    if (p) {
        size_t n = sx_pb_put_varint(p, ((uint64_t)field << 3) | SX_PB_LEN);
        n += sx_pb_put_varint(p + n, len);
        if (len)
            memcpy(p + n, data, len);
        b->len += n + len;
    }
}

static inline void sx_pb_string(sx_strbuf *b, uint32_t field, const char *s)
{
    sx_pb_bytes(b, field, s, strlen(s));
}

/* Starts a length-delimited field; returns the mark for sx_pb_end(). */
static inline size_t sx_pb_begin(sx_strbuf *b, uint32_t field)
{
    unsigned char *p = sx_pb_room(b, 12);
    if (!p)
        return 0;
    b->len += sx_pb_put_varint(p, ((uint64_t)field << 3) | SX_PB_LEN);
    size_t mark = b->len;
    b->len += 2;
    return mark;
}

/* Closes the field opened at mark, writing its length. */
void sx_pb_end(sx_strbuf *b, size_t mark);

/* Reading, for the few responses we parse (partial success, RetryInfo):
 * both return 0 or -1 on truncated/invalid input, never read past end. */
int sx_pb_read_varint(const unsigned char **p, const unsigned char *end, uint64_t *v);
int sx_pb_skip(const unsigned char **p, const unsigned char *end, uint32_t wire_type);

#endif
