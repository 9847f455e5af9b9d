/* SPDX-License-Identifier: MIT */
/* Deadlines: one timeout covers a whole call, however many system calls it
 * makes. */
#include "internal.h"

#include <limits.h>
#include <string.h>

int64_t ps_now_ms(void)
{
    return ps__monotonic_ms();
}

void ps__deadline_start(ps__deadline *d, int timeout_ms)
{
    d->forever = timeout_ms < 0;
    d->zero = timeout_ms == 0;
    /* One extra millisecond: the clock ticks in whole milliseconds, and a
     * deadline must never end early. */
    d->end_ms = d->forever ? 0 : ps__monotonic_ms() + timeout_ms + 1;
}

int ps__deadline_remaining_ms(const ps__deadline *d)
{
    if (d->forever)
        return -1;
    if (d->zero)
        return 0;
    int64_t left = d->end_ms - ps__monotonic_ms();
    /* Clamped: INT_MAX + 1 would wrap to a negative "forever". */
    return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

int ps__deadline_next_timeout(const ps__deadline *d, int *timeout_ms)
{
    *timeout_ms = ps__deadline_remaining_ms(d);
    return (!d->forever && !d->zero && *timeout_ms == 0) ? PS_ETIMEDOUT : 0;
}

int ps__deadline_expired_error(const ps__deadline *d)
{
    return d->zero ? PS_EWOULDBLOCK : PS_ETIMEDOUT;
}

int ps__wait_until(ps_socket_t s, int want, const ps__deadline *d)
{
    for (;;) {
        int left = ps__deadline_remaining_ms(d);
        int r = ps__poll_one(s, want, left);
        if (r > 0)
            return 0;
        if (r < 0)
            return r;
        /* Not ready: a timeout, or an interruption to resume. */
        if (!d->forever && ps__deadline_remaining_ms(d) == 0)
            return ps__deadline_expired_error(d);
    }
}

const char *ps__unix_path(const char *host)
{
    if (host && strncmp(host, "unix:", 5) == 0)
        return host + 5;
    return NULL;
}
