/* Data transfer with deadlines, written once for every platform. Each
 * operation is tried first; only when it would block do we wait, so a ready
 * socket costs one system call. */
#include "internal.h"

/* Runs one attempt of an operation until it stops reporting PS_EWOULDBLOCK
 * or the deadline passes. With no deadline the attempt may block in the
 * kernel (blocking socket) or is retried after a wait (non-blocking one). */
/* With a zero timeout it tries at most twice, so a socket that polls ready
 * but still would block cannot spin. */
#define PS__RETRY_UNTIL_READY(result, want, deadline, attempt)            \
    for (int tries_ = 0;; tries_++) {                                     \
        (result) = (attempt);                                             \
        if ((result) != PS_EWOULDBLOCK || ((deadline)->zero && tries_))   \
            break;                                                        \
        (result) = ps__wait_until(s, (want), (deadline));                 \
        if ((result) != 0)                                                \
            break;                                                        \
    }

static int check_handle(ps_socket_t s)
{
    return s == PS_INVALID_SOCKET ? PS_EBADF : 0;
}

/* A buffer may be NULL only when it is empty. */
static int check_args(ps_socket_t s, const void *buf, size_t len)
{
    return (!buf && len > 0) ? PS_EINVAL : check_handle(s);
}

enum { ONE_TRANSFER = 0, ALL_BYTES = 1 };

/* The body of ps_send, ps_recv, ps_send_all and ps_recv_all: one deadline,
 * and *moved always says exactly how many bytes went. The send side never
 * writes through buf; it is non-const only so one function serves both. */
static int transfer(ps_socket_t s, int want, unsigned char *buf, size_t len,
                    size_t *moved, int timeout_ms, int mode)
{
    size_t done = 0;
    int r;
    if (moved)
        *moved = 0;
    if ((r = check_args(s, buf, len)) != 0)
        return r;
    ps__deadline d;
    ps__deadline_start(&d, timeout_ms);
    while (mode == ONE_TRANSFER || done < len) {
        size_t n = 0;
        PS__RETRY_UNTIL_READY(
            r, want, &d,
            want == PS__WANT_WRITE
                ? ps__send_once(s, buf + done, len - done, &n, d.forever)
                : ps__recv_once(s, buf + done, len - done, &n, d.forever));
        done += n;
        if (r != 0)
            break;
        if (mode == ONE_TRANSFER)
            break;
        if (want == PS__WANT_READ && n == 0) {
            r = PS_ECLOSED; /* end of stream before len bytes */
            break;
        }
    }
    if (moved)
        *moved = done;
    return r;
}

int ps_send(ps_socket_t s, const void *buf, size_t len, size_t *sent,
            int timeout_ms)
{
    return transfer(s, PS__WANT_WRITE, (unsigned char *)(uintptr_t)buf, len,
                    sent, timeout_ms, ONE_TRANSFER);
}

int ps_recv(ps_socket_t s, void *buf, size_t cap, size_t *got, int timeout_ms)
{
    /* Zero bytes "received" would read as end of stream. */
    if (cap == 0) {
        if (got)
            *got = 0;
        return PS_EINVAL;
    }
    return transfer(s, PS__WANT_READ, buf, cap, got, timeout_ms, ONE_TRANSFER);
}

int ps_send_all(ps_socket_t s, const void *buf, size_t len, size_t *sent,
                int timeout_ms)
{
    return transfer(s, PS__WANT_WRITE, (unsigned char *)(uintptr_t)buf, len,
                    sent, timeout_ms, ALL_BYTES);
}

int ps_recv_all(ps_socket_t s, void *buf, size_t len, size_t *got,
                int timeout_ms)
{
    return transfer(s, PS__WANT_READ, buf, len, got, timeout_ms, ALL_BYTES);
}

int ps_sendto(ps_socket_t s, const void *buf, size_t len, const ps_addr *to,
              int timeout_ms)
{
    int r;
    if ((r = check_args(s, buf, len)) != 0)
        return r;
    ps__deadline d;
    ps__deadline_start(&d, timeout_ms);
    PS__RETRY_UNTIL_READY(r, PS__WANT_WRITE, &d,
                          ps__sendto_once(s, buf, len, to, d.forever));
    return r;
}

int ps_recvfrom(ps_socket_t s, void *buf, size_t cap, size_t *got,
                ps_addr *from, int timeout_ms)
{
    size_t n = 0;
    int truncated = 0;
    int r;
    if (got)
        *got = 0;
    if ((r = check_args(s, buf, cap)) != 0)
        return r;
    ps__deadline d;
    ps__deadline_start(&d, timeout_ms);
    PS__RETRY_UNTIL_READY(r, PS__WANT_READ, &d,
                          ps__recvfrom_once(s, buf, cap, &n, from, &truncated,
                                            d.forever));
    if (got)
        *got = n;
    if (r == 0 && truncated)
        r = PS_EMSGSIZE;
    return r;
}

int ps_accept(ps_socket_t listener, ps_socket_t *out, ps_addr *peer,
              int timeout_ms)
{
    ps_socket_t s = listener;
    int r;
    if (!out)
        return PS_EINVAL;
    *out = PS_INVALID_SOCKET;
    if ((r = check_handle(s)) != 0)
        return r;
    ps__deadline d;
    ps__deadline_start(&d, timeout_ms);
    PS__RETRY_UNTIL_READY(r, PS__WANT_READ, &d,
                          ps__accept_once(s, out, peer, d.forever));
    return r;
}
