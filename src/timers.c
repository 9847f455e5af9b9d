/* SPDX-License-Identifier: MIT */
/* ps_poller's timers, written once for every backend (internal.h says how
 * they reach each poller). */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>

struct ps__timer_entry {
    int64_t due;
    uint32_t slot; /* where the rest lives */
};

/* A timer's id is its slot's generation (high 32 bits) and the slot's
 * index: cancel finds it in O(1), and a stale id names a free slot or
 * another generation. The generation is odd while a timer is set, and
 * goes up by one at set and at forget; a slot whose generation would wrap
 * is retired, never reused, so no id comes back within the poller's life.
 * What the heap's moves update is kept apart from what only a report
 * reads, so that the moves touch less memory. */
struct ps__timer_slot {
    uint32_t gen;
    uint32_t pos; /* set: index in the heap; free: 1 + next free, or 0 */
};

struct ps__timer_data {
    int64_t period;
    void *data;
};

/* Past these, times are clamped (2^61 ms is 73 million years), so that
 * due + period and now - due never overflow. */
#define TIME_LIMIT ((int64_t)1 << 61)

/* Most slots per poller: heap positions fit 32 bits with room to spare,
 * and the arrays' byte counts fit a size_t (fewer on 32-bit systems). */
#if SIZE_MAX > 0xFFFFFFFFu
#define MAX_SLOTS ((uint32_t)1 << 30)
#else
#define MAX_SLOTS ((uint32_t)1 << 24)
#endif

static int64_t clamp(int64_t v)
{
    return v > TIME_LIMIT ? TIME_LIMIT : v < -TIME_LIMIT ? -TIME_LIMIT : v;
}

/* ---- The heap (ties in no set order: equal due times cost no sifting) */

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
        if (t->heap[up].due <= e.due)
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
        if (c + 1 < t->count && t->heap[c + 1].due < t->heap[c].due)
            c++;
        if (e.due <= t->heap[c].due)
            break;
        place(t, i, t->heap[c]);
        i = c;
    }
    place(t, i, e);
}

/* Room for one more timer: heap and slots double when the free slots run
 * out (retired slots are never free again). */
static int grow(ps__timers *t)
{
    if (t->free != 0)
        return 0;
    if (t->cap >= MAX_SLOTS)
        return PS_ENOMEM;
    uint32_t cap = t->cap ? 2 * t->cap : 16;
    struct ps__timer_entry *h = realloc(t->heap, cap * sizeof *h);
    if (!h)
        return PS_ENOMEM;
    t->heap = h;
    struct ps__timer_data *d = realloc(t->data, cap * sizeof *d);
    if (!d)
        return PS_ENOMEM;
    t->data = d;
    struct ps__timer_slot *s = realloc(t->slots, cap * sizeof *s);
    if (!s)
        return PS_ENOMEM;
    t->slots = s;
    /* The new slots join the free list in order. */
    for (uint32_t i = cap; i-- > t->cap;) {
        s[i].gen = 0;
        s[i].pos = t->free;
        t->free = i + 1;
    }
    t->cap = cap;
    return 0;
}

static void forget(ps__timers *t, uint32_t slot)
{
    struct ps__timer_slot *s = &t->slots[slot];
    uint32_t i = s->pos;
    if (s->gen == UINT32_MAX) {
        s->gen = 0; /* retired: free, and never on the free list */
    } else {
        s->gen++;
        s->pos = t->free;
        t->free = slot + 1;
    }
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
    return ps__mutex_new(&t->mu);
}

void ps__timers_free(ps__timers *t)
{
    if (t->mu)
        ps__mutex_free(t->mu);
    free(t->heap);
    free(t->slots);
    free(t->data);
}

int ps__timers_set(ps__timers *t, uint64_t *id, int64_t due_ms,
                   int64_t period_ms, void *data, int *wake)
{
    ps__mutex_lock(t->mu);
    int r = grow(t);
    if (r == 0) {
        uint32_t slot = t->free - 1;
        struct ps__timer_slot *s = &t->slots[slot];
        t->free = s->pos;
        s->gen++;
        t->data[slot].period = clamp(period_ms);
        t->data[slot].data = data;
        struct ps__timer_entry e = {clamp(due_ms), slot};
        place(t, t->count++, e);
        sift_up(t, t->count - 1);
        *id = (uint64_t)s->gen << 32 | slot;
        *wake = t->heap[0].slot == slot && t->waiters > 0;
    }
    ps__mutex_unlock(t->mu);
    /* Waits that began before the first timer did not count themselves
     * as waiting: one of them is woken to look. */
    if (r == 0 && ps__atomic_swap(&t->used, 1) == 0)
        *wake = 1;
    return r;
}

int ps__timers_cancel(ps__timers *t, uint64_t id)
{
    uint32_t slot = (uint32_t)id;
    int r = PS_ENOENT;
    ps__mutex_lock(t->mu);
    uint32_t gen = (uint32_t)(id >> 32);
    if (slot < t->cap && (gen & 1) && t->slots[slot].gen == gen) {
        forget(t, slot);
        r = 0;
    }
    ps__mutex_unlock(t->mu);
    return r;
}

int ps__timers_enter(ps__timers *t, int cap, int *io_cap, int *waiting)
{
    int until = -1;
    *waiting = 0;
    if (!ps__atomic_load(&t->used))
        return -1;
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
        *waiting = 1;
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
        const struct ps__timer_data *s = &t->data[slot];
        events[n].data = s->data;
        events[n].revents = PS_POLL_TIMER;
        n++;
        if (s->period > 0) {
            t->heap[0].due = next_due(t->heap[0].due, s->period, now);
            sift_down(t, 0);
        } else {
            forget(t, slot);
        }
    }
    ps__mutex_unlock(t->mu);
    return n;
}
