/* SPDX-License-Identifier: MIT */
/* ps_conn's byte buffers: one contiguous block, bytes in [head, tail).
 * Consuming moves head only, so pointers handed out stay valid until the
 * next reserve, which may move the bytes to the front or to a larger block. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

enum { FIRST_CAP = 16384 };

int ps__cbuf_reserve(ps__cbuf *b, size_t room)
{
    size_t used = b->tail - b->head;
    if (b->cap - b->tail >= room)
        return 0;
    if (room > SIZE_MAX - used)
        return PS_ENOMEM;
    size_t need = used + room;
    if (need <= b->cap) {
        /* Room enough once the consumed front is reused. */
        memmove(b->p, b->p + b->head, used);
    } else {
        size_t cap = b->cap ? b->cap : FIRST_CAP;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        unsigned char *p = (unsigned char *)malloc(cap);
        if (!p)
            return PS_ENOMEM;
        if (used)
            memcpy(p, b->p + b->head, used);
        free(b->p);
        b->p = p;
        b->cap = cap;
    }
    b->head = 0;
    b->tail = used;
    return 0;
}

int ps__cbuf_append(ps__cbuf *b, const void *src, size_t len)
{
    /* The room is mostly there: no call then (a broadcast appends to
     * every connection's queue). */
    if (b->cap - b->tail < len) {
        int r = ps__cbuf_reserve(b, len);
        if (r != 0)
            return r;
    }
    if (len) {
        memcpy(b->p + b->tail, src, len);
        b->tail += len;
    }
    return 0;
}

void ps__cbuf_consume(ps__cbuf *b, size_t n)
{
    b->head += n;
    /* Empty: start at the front again, so the next append needs no move. */
    if (b->head == b->tail)
        b->head = b->tail = 0;
}

void ps__cbuf_free(ps__cbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->head = b->tail = b->cap = 0;
}
