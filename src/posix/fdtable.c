/* SPDX-License-Identifier: MIT */
/* The poller backends' registrations, indexed by fd number (see posix.h).
 * Not thread-safe: each backend holds its own lock around these calls. */
#include "posix.h"

#include <stdlib.h>
#include <string.h>

ps__fdrec *ps__fdtable_find(ps__fdtable *t, int fd)
{
    if (fd < 0 || (size_t)fd >= t->cap || t->recs[fd].gen == 0)
        return NULL;
    return &t->recs[fd];
}

ps__fdrec *ps__fdtable_claim(ps__fdtable *t, int fd)
{
    if (fd < 0)
        return NULL;
    if ((size_t)fd >= t->cap) {
        size_t cap = t->cap ? t->cap : 64;
        while (cap <= (size_t)fd)
            cap *= 2;
        ps__fdrec *recs = realloc(t->recs, cap * sizeof *recs);
        if (!recs)
            return NULL;
        memset(recs + t->cap, 0, (cap - t->cap) * sizeof *recs);
        t->recs = recs;
        t->cap = cap;
    }
    ps__fdrec *r = &t->recs[fd];
    memset(r, 0, sizeof *r);
    /* A new number for every registration, so an event that was already
     * on its way for an older registration of the same fd is recognised. */
    r->gen = ps__fdtable_new_gen(t);
    return r;
}

uint32_t ps__fdtable_new_gen(ps__fdtable *t)
{
    if (++t->next_gen == 0)
        t->next_gen = 1;
    return t->next_gen;
}

void ps__fdtable_clear(ps__fdrec *r)
{
    memset(r, 0, sizeof *r);
}

void ps__fdtable_free(ps__fdtable *t)
{
    free(t->recs);
    memset(t, 0, sizeof *t);
}
