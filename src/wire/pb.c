#include "wire/pb.h"

void sx_pb_end(sx_strbuf *b, size_t mark)
{
    unsigned char tmp[10];
    size_t body, n;

    if (b->failed || b->len < mark + 2)
        return;
    body = b->len - mark - 2;
    n = sx_pb_put_varint(tmp, body);
    if (n != 2) {
        if (n > 2 && sx_strbuf_reserve(b, n - 2))
            return;
        memmove(b->data + mark + n, b->data + mark + 2, body);
        b->len = b->len - 2 + n;
    }
    memcpy(b->data + mark, tmp, n);
    b->data[b->len] = '\0';
}

int sx_pb_read_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    uint64_t r = 0;

    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return -1;
        unsigned char c = *(*p)++;
        r |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return -1;
}

int sx_pb_skip(const unsigned char **p, const unsigned char *end, uint32_t wt)
{
    uint64_t v;

    switch (wt) {
    case SX_PB_VARINT:
        return sx_pb_read_varint(p, end, &v);
    case SX_PB_I64:
        if (end - *p < 8)
            return -1;
        *p += 8;
        return 0;
    case SX_PB_I32:
        if (end - *p < 4)
            return -1;
        *p += 4;
        return 0;
    case SX_PB_LEN:
        if (sx_pb_read_varint(p, end, &v) || (uint64_t)(end - *p) < v)
            return -1;
        *p += v;
        return 0;
    default:
        return -1;
    }
}
