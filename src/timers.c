/* SPDX-License-Identifier: MIT */
/* ps_poller's timers, written once for every backend (internal.h says how
 * they reach each poller). */
#include "internal.h"

#include <stdlib.h>

struct ps__timer_entry {
    int64_t due;
    uint64_t id;   /* orders equal due times: first set, first reported */
    uint32_t slot; /* where the rest lives */
};

struct ps__timer_slot {
    uint64_t id; /* 0 while free */
    int64_t period;
    void *data;
    uint32_t pos;  /* index in the heap while set */
    uint32_t next; /* while free: 1 + the next free slot, or 0 */
};

/* Past these, times are clamped (2^61 ms is 73 million years), so that
 * due + period and now - due never overflow. */
#define TIME_LIMIT ((int64_t)1 << 61)

/* Most timers per poller: heap positions and map entries fit 32 bits. */
#define MAX_TIMERS ((uint32_t)1 << 30)

static int64_t clamp(int64_t v)
{
    return v > TIME_LIMIT ? TIME_LIMIT : v < -TIME_LIMIT ? -TIME_LIMIT : v;
}

static int before(const struct ps__timer_entry *a,
                  const struct ps__timer_entry *b)
{
    return a->due < b->due || (a->due == b->due && a->id < b->id);
}

/* ---- The heap ---- */

static void place(ps__timers *t, uint32_t i, struct ps__timer_entry e)
{
    t->heap[i] = e;
    t->slots[e.slot].pos = i;
}

static void sift_up(ps__timers *t, uint32_t i)
{
    struct ps__timer_entry e = t->heap[i];
    while (i > 0) {
        uint32_t up = (i - 1) / 2;
        if (!before(&e, &t->heap[up]))
            break;
        place(t, i, t->heap[up]);
        i = up;
    }
    place(t, i, e);
}

static void sift_down(ps__timers *t, uint32_t i)
{
    struct ps__timer_entry e = t->heap[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= t->count)
            break;
        if (c + 1 < t->count && before(&t->heap[c + 1], &t->heap[c]))
            c++;
        if (!before(&t->heap[c], &e))
            break;
        place(t, i, t->heap[c]);
        i = c;
    }
    place(t, i, e);
}

/* ---- The map from id to slot: linear probing, backward-shift delete ---- */

static uint32_t home(const ps__timers *t, uint64_t id)
{
    /* Fibonacci hashing: consecutive ids spread over the table. */
    return (uint32_t)((id * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & t->mask;
}

/* The map index holding id, or the empty one where it would go. */
static uint32_t probe(const ps__timers *t, uint64_t id)
{
    uint32_t i = home(t, id);
    while (t->map[i] != 0 && t->slots[t->map[i] - 1].id != id)
        i = (i + 1) & t->mask;
    return i;
}

static void map_delete(ps__timers *t, uint32_t i)
{
    /* Moves back each later entry of the run that may sit past a gap. */
    for (uint32_t j = (i + 1) & t->mask; t->map[j] != 0;
         j = (j + 1) & t->mask) {
        uint32_t h = home(t, t->slots[t->map[j] - 1].id);
        /* j's entry stays if its home lies cyclically in (i, j]. */
        if (((j - h) & t->mask) < ((j - i) & t->mask))
            continue;
        t->map[i] = t->map[j];
        i = j;
    }
    t->map[i] = 0;
}

/* Room for one more timer: heap and slots double, and the map stays at
 * most half full. */
static int grow(ps__timers *t)
{
    if (t->count == MAX_TIMERS)
        return PS_ENOMEM;
    if (t->count == t->cap) {
        uint32_t cap = t->cap ? 2 * t->cap : 16;
        struct ps__timer_entry *h = realloc(t->heap, cap * sizeof *h);
        if (!h)
            return PS_ENOMEM;
        t->heap = h;
        struct ps__timer_slot *s = realloc(t->slots, cap * sizeof *s);
        if (!s)
            return PS_ENOMEM;
        t->slots = s;
        /* The new slots join the free list in order. */
        for (uint32_t i = cap; i-- > t->cap;) {
            s[i].id = 0;
            s[i].next = t->free;
            t->free = i + 1;
        }
        t->cap = cap;
    }
    if (2 * ((uint64_t)t->count + 1) > (uint64_t)t->mask + 1 || !t->map) {
        uint32_t size = t->mask ? 2 * (t->mask + 1) : 32;
        uint32_t *old = t->map, old_mask = t->mask;
        t->map = calloc(size, sizeof *t->map);
        if (!t->map) {
            t->map = old;
            return PS_ENOMEM;
        }
        t->mask = size - 1;
        for (uint32_t i = 0; old && i <= old_mask; i++)
            if (old[i] != 0)
                t->map[probe(t, t->slots[old[i] - 1].id)] = old[i];
        free(old);
    }
    return 0;
}

static void forget(ps__timers *t, uint32_t slot, uint32_t map_index)
{
    uint32_t i = t->slots[slot].pos;
    map_delete(t, map_index);
    t->slots[slot].id = 0;
    t->slots[slot].next = t->free;
    t->free = slot + 1;
    if (i != --t->count) {
        /* The last entry fills the hole, and moves whichever way it must. */
        struct ps__timer_entry e = t->heap[t->count];
        place(t, i, e);
        sift_up(t, i);
        if (t->slots[e.slot].pos == i)
            sift_down(t, i);
    }
}

/* ---- The interface of internal.h ---- */

int ps__timers_init(ps__timers *t)
{
    t->next_id = 1;
    return ps__mutex_new(&t->mu);
}

void ps__timers_free(ps__timers *t)
{
    if (t->mu)
        ps__mutex_free(t->mu);
    free(t->heap);
    free(t->slots);
    free(t->map);
}

int ps__timers_set(ps__timers *t, uint64_t *id, int64_t due_ms,
                   int64_t period_ms, void *data, int *wake)
{
    ps__mutex_lock(t->mu);
    int r = grow(t);
    if (r == 0) {
        uint32_t slot = t->free - 1;
        struct ps__timer_slot *s = &t->slots[slot];
        t->free = s->next;
        s->id = t->next_id++;
        s->period = clamp(period_ms);
        s->data = data;
        t->map[probe(t, s->id)] = slot + 1;
        struct ps__timer_entry e = {clamp(due_ms), s->id, slot};
        place(t, t->count++, e);
        sift_up(t, t->count - 1);
        *id = s->id;
        *wake = t->heap[0].id == s->id && t->waiters > 0;
    }
    ps__mutex_unlock(t->mu);
    return r;
}

int ps__timers_cancel(ps__timers *t, uint64_t id)
{
    int r = PS_ENOENT;
    ps__mutex_lock(t->mu);
    if (t->map) {
        uint32_t i = probe(t, id);
        if (t->map[i] != 0) {
            forget(t, t->map[i] - 1, i);
            r = 0;
        }
    }
    ps__mutex_unlock(t->mu);
    return r;
}

int ps__timers_enter(ps__timers *t, int cap, int *io_cap)
{
    int until = -1;
    ps__mutex_lock(t->mu);
    if (t->count > 0) {
        int64_t left = t->heap[0].due - ps__monotonic_ms();
        until = left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
    }
    if (until == 0) {
        /* Timers and I/O share the room, so neither starves the other. */
        t->io_turn = !t->io_turn;
        *io_cap = cap > 1 ? cap / 2 : t->io_turn;
    } else {
        t->waiters++;
    }
    ps__mutex_unlock(t->mu);
    return until;
}

void ps__timers_leave(ps__timers *t)
{
    ps__mutex_lock(t->mu);
    t->waiters--;
    ps__mutex_unlock(t->mu);
}

/* The first due + k * period (k >= 1) after now: ticks missed while the
 * loop was late are reported once, and no drift builds up. */
static int64_t next_due(int64_t due, int64_t period, int64_t now)
{
    if (due + period > now)
        return due + period;
    return due + ((now - due) / period + 1) * period;
}

int ps__timers_take(ps__timers *t, ps_event *events, int cap)
{
    int n = 0;
    ps__mutex_lock(t->mu);
    int64_t now = ps__monotonic_ms();
    while (n < cap && t->count > 0 && t->heap[0].due <= now) {
        uint32_t slot = t->heap[0].slot;
        struct ps__timer_slot *s = &t->slots[slot];
        events[n].data = s->data;
        events[n].revents = PS_POLL_TIMER;
        n++;
        if (s->period > 0) {
            t->heap[0].due = next_due(t->heap[0].due, s->period, now);
            sift_down(t, 0);
        } else {
            forget(t, slot, probe(t, s->id));
        }
    }
    ps__mutex_unlock(t->mu);
    return n;
}
