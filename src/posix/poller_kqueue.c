/* STUB: replaced by the real backend before this branch lands. */
#include "posix.h"

#include <stdlib.h>

struct ps_poller {
    int unused;
};

int ps__poller_create(ps_poller **out)
{
    (void)out;
    return PS_ENOTSUP;
}

void ps__poller_destroy(ps_poller *p) { free(p); }

int ps__poller_ctl(ps_poller *p, int op, const ps_pollitem *item, void *data)
{
    (void)p;
    (void)op;
    (void)item;
    (void)data;
    return PS_ENOTSUP;
}

int ps__poller_wait_once(ps_poller *p, ps_event *events, int cap,
                         int timeout_ms, int *woken)
{
    (void)p;
    (void)events;
    (void)cap;
    (void)timeout_ms;
    (void)woken;
    return PS_ENOTSUP;
}

int ps__poller_wake(ps_poller *p)
{
    (void)p;
    return PS_ENOTSUP;
}
