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
