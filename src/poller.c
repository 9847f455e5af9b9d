/* SPDX-License-Identifier: MIT */
/* ps_poller's public entry points: argument checks and the deadline loop,
 * written once; the backends (src/posix/poller_*.c, src/win32/poller.c)
 * do the registering and waiting. */
#include "internal.h"

#include <limits.h>

static int check_item(const ps_pollitem *item, int op)
{
    if (!item)
        return PS_EINVAL;
    if (item->kind != PS_KIND_SOCKET && item->kind != PS_KIND_FD &&
        item->kind != PS_KIND_HANDLE)
        return PS_EINVAL;
    if (op != PS__POLLER_REMOVE &&
        (item->events &
         ~(unsigned)(PS_POLL_READ | PS_POLL_WRITE | PS_POLL_ONESHOT)) != 0)
        return PS_EINVAL;
    return 0;
}

static int control(ps_poller *p, int op, const ps_pollitem *item, void *data)
{
    int r = p ? check_item(item, op) : PS_EINVAL;
    return r != 0 ? r : ps__poller_ctl(p, op, item, data);
}

int ps_poller_open(ps_poller **out)
{
    if (!out)
        return PS_EINVAL;
    *out = NULL;
    int r = ps__ensure_init();
    if (r == 0)
        r = ps__poller_create(out);
    if (r == 0 && (r = ps__timers_init(ps__poller_timers(*out))) != 0) {
        ps_poller_close(*out);
        *out = NULL;
    }
    return r;
}

void ps_poller_close(ps_poller *p)
{
    if (p) {
        ps__timers_free(ps__poller_timers(p));
        ps__poller_destroy(p);
    }
}

int ps_poller_add(ps_poller *p, const ps_pollitem *item, void *data)
{
    return control(p, PS__POLLER_ADD, item, data);
}

int ps_poller_modify(ps_poller *p, const ps_pollitem *item, void *data)
{
    return control(p, PS__POLLER_MODIFY, item, data);
}

int ps_poller_remove(ps_poller *p, const ps_pollitem *item)
{
    return control(p, PS__POLLER_REMOVE, item, NULL);
}

/* After a wait that saw a wake: 1 if it was the user's (ps_poller_wake),
 * which this return serves, with or without events; 0 if only a timer set
 * from another thread woke it, to shorten it. */
static int user_woken(ps__timers *t, int woken)
{
    return woken && ps__atomic_swap(&t->user_wake, 0) != 0;
}

int ps_poller_wait(ps_poller *p, ps_event *events, size_t cap, int timeout_ms)
{
    if (!p || !events || cap == 0)
        return PS_EINVAL;
    int n = cap > INT_MAX ? INT_MAX : (int)cap;
    ps__timers *t = ps__poller_timers(p);
    ps__deadline d;
    ps__deadline_start(&d, timeout_ms);
    for (int first = 1;; first = 0) {
        int io_cap = 0, waiting = 0;
        int until = ps__timers_enter(t, n, &io_cap, &waiting);
        if (until == 0) {
            /* Timers are due: I/O takes its share of the room without
             * waiting, and timers the rest. */
            int woken = 0;
            int r = io_cap > 0
                        ? ps__poller_wait_once(p, events, io_cap, 0, &woken)
                        : 0;
            if (r >= 0)
                r += ps__timers_take(t, events + r, n - r);
            if (user_woken(t, woken) || r != 0)
                return r;
            continue; /* another thread took them, or they were cancelled */
        }
        int left = ps__deadline_remaining_ms(&d);
        if (!first && left == 0) {
            if (waiting)
                ps__timers_leave(t);
            return 0;
        }
        /* The earlier of the caller's deadline and the next timer: the
         * clock's whole milliseconds make a wait of `until` end at or
         * after the due time, never before. */
        int timer_first = until > 0 && (left < 0 || until < left);
        int woken = 0;
        int r = ps__poller_wait_once(p, events, n, timer_first ? until : left,
                                     &woken);
        if (waiting)
            ps__timers_leave(t);
        if (user_woken(t, woken) || r != 0)
            return r;
        /* Nothing yet: a timer's time, the caller's deadline, a wake for a
         * new timer, or an interruption to resume: the loop sorts them. */
    }
}

int ps_poller_wake(ps_poller *p)
{
    if (!p)
        return PS_EINVAL;
    ps__atomic_swap(&ps__poller_timers(p)->user_wake, 1);
    return ps__poller_wake(p);
}

int ps_poller_timer(ps_poller *p, uint64_t *id, int64_t due_ms,
                    int64_t period_ms, void *data)
{
    if (!p || !id || period_ms < 0)
        return PS_EINVAL;
    int wake = 0;
    ps__timers *t = ps__poller_timers(p);
    int r = ps__timers_set(t, id, due_ms, period_ms, data, &wake);
    /* A wait in progress must see the earlier time; if it cannot be told,
     * the timer is not left behind. */
    if (r == 0 && wake && (r = ps__poller_wake(p)) != 0 &&
        ps__timers_cancel(t, *id) == PS_ENOENT)
        r = 0; /* a wait took it meanwhile: it was set, and it fired */
    return r;
}

int ps_poller_timer_cancel(ps_poller *p, uint64_t id)
{
    return p ? ps__timers_cancel(ps__poller_timers(p), id) : PS_EINVAL;
}
