/* SPDX-License-Identifier: MIT */
/* ps_select: argument checks and the deadline loop, written once; the
 * platform does one wait at a time. */
#include "internal.h"

#include <limits.h>

int ps_select(ps_pollitem *items, size_t n, int timeout_ms)
{
    if ((!items && n > 0) || n > (size_t)INT_MAX)
        return PS_EINVAL;
    for (size_t i = 0; i < n; i++) {
        int k = items[i].kind;
        if (k != PS_KIND_SOCKET && k != PS_KIND_FD && k != PS_KIND_HANDLE)
            return PS_EINVAL;
        items[i].revents = 0;
    }
    int r = ps__ensure_init();
    if (r != 0)
        return r;
    ps__deadline d;
    ps__deadline_start(&d, timeout_ms);
    for (;;) {
        r = ps__select_once(items, n, ps__deadline_remaining_ms(&d));
        if (r != 0)
            return r;
        if (!d.forever && ps__deadline_remaining_ms(&d) == 0)
            return 0;
    }
}
