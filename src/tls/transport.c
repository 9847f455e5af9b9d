/* SPDX-License-Identifier: MIT */
/* The TLS backends' transport (ciphertext over the socket, never waiting),
 * the waits between steps, deadlines and reasons. */
#include <string.h>

#include "common.h"

static _Thread_local char thread_reason[PS__TLS_REASON];

void ps__tls_set_reason(ps_tls *t, const char *text)
{
    char *dst = t ? t->reason : thread_reason;
    size_t n = strlen(text);
    if (n >= PS__TLS_REASON)
        n = PS__TLS_REASON - 1;
    memcpy(dst, text, n);
    dst[n] = '\0';
}

const char *ps_tls_reason(const ps_tls *t)
{
    return t ? t->reason : thread_reason;
}

/* A transfer waits within the running call's deadline: one blocking
 * system call (or a wait and the transfer) where trying, polling with
 * timeout 0 and then waiting between steps took three to five; bench_tls
 * measured 30-byte frames' round trips at 1.27x raw OpenSSL that way. The
 * deadline's end shows as "would block", for the step to be called again
 * and the caller's wait to report the timeout. */
static int transfer_timeout(const ps_tls *t)
{
    return t->deadline ? ps__tls_deadline_left(t->deadline) : 0;
}

int ps__tls_time_left(const ps_tls *t)
{
    return transfer_timeout(t);
}

int ps__tls_net_send(ps_tls *t, const void *buf, size_t len, size_t *n)
{
    int r = ps_send(t->sock, buf, len, n, transfer_timeout(t));
    if (r == PS_ETIMEDOUT)
        r = PS_EWOULDBLOCK;
    if (r == PS_EWOULDBLOCK)
        t->wants = PS_POLL_WRITE;
    else if (r != 0)
        t->io_error = r;
    return r;
}

int ps__tls_net_recv(ps_tls *t, void *buf, size_t cap, size_t *n)
{
    int r = ps_recv(t->sock, buf, cap, n, transfer_timeout(t));
    if (r == PS_ETIMEDOUT)
        r = PS_EWOULDBLOCK;
    if (r == PS_EWOULDBLOCK)
        t->wants = PS_POLL_READ;
    else if (r != 0)
        t->io_error = r;
    else if (*n == 0)
        t->eof = 1;
    return r;
}

void ps__tls_deadline_start(ps__tls_deadline *d, int timeout_ms)
{
    d->forever = timeout_ms < 0;
    d->zero = timeout_ms == 0;
    /* One extra millisecond: the clock ticks in whole milliseconds, and a
     * deadline must never end early. */
    d->end_ms = d->forever ? 0 : ps_now_ms() + timeout_ms + 1;
}

int ps__tls_deadline_left(const ps__tls_deadline *d)
{
    if (d->forever)
        return -1;
    if (d->zero)
        return 0;
    int64_t left = d->end_ms - ps_now_ms();
    return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

int ps__tls_wait(ps_tls *t, const ps__tls_deadline *d)
{
    if (d->zero)
        return PS_EWOULDBLOCK;
    int left = ps__tls_deadline_left(d);
    if (left == 0)
        return PS_ETIMEDOUT;
    ps_pollitem item;
    memset(&item, 0, sizeof item);
    item.kind = PS_KIND_SOCKET;
    item.sock = t->sock;
    item.events = t->wants ? t->wants : PS_POLL_READ;
    int r = ps_select(&item, 1, left);
    if (r < 0)
        return r;
    /* Ready, an error or hang-up to be met by the next step, or the time
     * ran out (checked when the step would block again). */
    if (r == 0 && ps__tls_deadline_left(d) == 0)
        return PS_ETIMEDOUT;
    return 0;
}

int ps__tls_handshake_within(ps_tls *t, const ps__tls_deadline *d)
{
    while (!t->handshake_done) {
        t->deadline = d;
        int r = ps__tls_be_handshake(t);
        t->deadline = NULL;
        if (r == 0) {
            t->handshake_done = 1;
            t->wants = 0;
            break;
        }
        if (r != PS_EWOULDBLOCK)
            return r;
        if ((r = ps__tls_wait(t, d)) != 0)
            return r;
    }
    return 0;
}
