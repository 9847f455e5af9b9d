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
    return r != 0 ? r : ps__poller_create(out);
}

void ps_poller_close(ps_poller *p)
{
    if (p)
        ps__poller_destroy(p);
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

int ps_poller_wait(ps_poller *p, ps_event *events, size_t cap, int timeout_ms)
{
    if (!p || !events || cap == 0)
        return PS_EINVAL;
    int n = cap > INT_MAX ? INT_MAX : (int)cap;
    ps__deadline d;
    ps__deadline_start(&d, timeout_ms);
    for (;;) {
        int woken = 0;
        int r = ps__poller_wait_once(p, events, n,
                                     ps__deadline_remaining_ms(&d), &woken);
        if (r != 0 || woken)
            return r;
        /* Nothing yet: the time ran out, or an interruption to resume. */
        if (!d.forever && ps__deadline_remaining_ms(&d) == 0)
            return 0;
    }
}

int ps_poller_wake(ps_poller *p)
{
    return p ? ps__poller_wake(p) : PS_EINVAL;
}
