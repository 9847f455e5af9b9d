/* SPDX-License-Identifier: MIT */
/* Data transfer with deadlines, written once for every platform. An
 * operation is tried first and waited for only when it would block, so a
 * ready socket costs one system call; a socket that was just found empty is
 * waited for first, so it does not cost a failing call each time either. */
#include "internal.h"

#include <limits.h>
#include <string.h>

/* ---- Wait-first hints ----
 * Per thread and direction: the socket whose last timed attempt would have
 * blocked. While the hint holds, a timed call waits before it tries; every
 * PROBE_EVERY calls it tries first again, and a probe that finds the socket
 * ready clears the hint. A stale hint (socket closed, number reused) costs
 * one early wait, nothing more. */
enum { PROBE_EVERY = 16 };

typedef struct wait_hint {
    ps_socket_t s;
    int left; /* hinted calls before the next probe; 0: no hint */
} wait_hint;

static _Thread_local wait_hint hints[2]; /* [0] read, [1] write */

static wait_hint *hint_for(int want)
{
    return &hints[want == PS__WANT_WRITE];
}

static int hint_says_wait(ps_socket_t s, int want)
{
    wait_hint *h = hint_for(want);
    if (h->left == 0 || h->s != s)
        return 0;
    h->left--;
    return h->left > 0;
}

static void hint_note(ps_socket_t s, int want, int would_block)
{
    wait_hint *h = hint_for(want);
    if (would_block) {
        h->s = s;
        h->left = PROBE_EVERY;
    } else if (h->s == s) {
        h->left = 0;
    }
}

typedef ps__attempt_fn attempt_fn;

/* Runs one attempt of an operation until it stops reporting PS_EWOULDBLOCK
 * or the deadline passes. With no deadline the attempt may block in the
 * kernel (blocking socket) or is retried after a wait (non-blocking one).
 * With a zero timeout it tries at most twice, so a socket that polls ready
 * but still would block cannot spin. */
static int attempt_until_ready(ps_socket_t s, int want, const ps__deadline *d,
                               int try_first, attempt_fn attempt, void *ctx)
{
    int how = d->forever ? PS__IO_BLOCK : PS__IO_NOWAIT;
    int r;
    int hinted = !d->forever && !d->zero && !try_first &&
                 hint_says_wait(s, want);
    if (hinted) {
        if ((r = ps__wait_until(s, want, d)) != 0)
            return r;
        how = PS__IO_READY;
    }
    for (int tries = 0;; tries++) {
        r = attempt(ctx, how);
        if (!d->forever && tries == 0 && !hinted)
            hint_note(s, want, r == PS_EWOULDBLOCK);
        if (r != PS_EWOULDBLOCK || (d->zero && tries))
            return r;
        /* A socket can poll ready and still not move (an unconnected
         * AF_UNIX datagram sender whose peer's queue is full polls
         * writable): past the deadline the wait would report ready at
         * once, for ever. */
        if (!d->forever && !d->zero && ps__deadline_remaining_ms(d) == 0)
            return PS_ETIMEDOUT;
        if ((r = ps__wait_until(s, want, d)) != 0)
            return r;
        how = PS__IO_READY;
    }
}

/* The same; an attempt that would block records EAGAIN / WSAEWOULDBLOCK,
 * which is no failure of the call: success, a timeout or "would block"
 * leave ps_native_error() as it was. */
int ps__until_ready(ps_socket_t s, int want, const ps__deadline *d,
                    int try_first, ps__attempt_fn attempt, void *ctx)
{
    int saved = ps_native_error();
    return ps__keep_native(
        attempt_until_ready(s, want, d, try_first, attempt, ctx), saved);
}

/* ---- Stream transfers over a list of buffers ---- */

static int check_handle(ps_socket_t s)
{
    return ps__check_socket(s);
}

/* A cursor over the buffers of one call: exactly one of out / in is set. */
typedef struct xfer {
    ps_socket_t s;
    int want;  /* PS__WANT_WRITE: send from out; PS__WANT_READ: into in */
    int flags; /* XFER_* */
    const ps_iovec *out;
    const ps_recv_iovec *in;
    size_t n;
    size_t i;     /* current buffer */
    size_t off;   /* bytes of it already moved */
    size_t moved; /* by the last attempt */
} xfer;

static size_t len_at(const xfer *x, size_t i)
{
    return x->want == PS__WANT_WRITE ? x->out[i].len : x->in[i].len;
}

/* Passes over finished and empty buffers. */
static void skip_done(xfer *x)
{
    while (x->i < x->n && x->off == len_at(x, x->i)) {
        x->i++;
        x->off = 0;
    }
}

static void advance(xfer *x, size_t moved)
{
    while (moved > 0) {
        size_t room = len_at(x, x->i) - x->off;
        size_t step = moved < room ? moved : room;
        x->off += step;
        moved -= step;
        skip_done(x);
    }
}

/* base + off without arithmetic on a NULL base (an empty buffer). */
static const void *at_offset(const void *base, size_t off)
{
    return off ? (const unsigned char *)base + off : base;
}

/* One system call over what remains; a single buffer takes the plain call. */
static int xfer_attempt(void *ctx, int how)
{
    xfer *x = (xfer *)ctx;
    size_t left = x->n - x->i;
    x->moved = 0;
    if (x->want == PS__WANT_WRITE) {
        const ps_iovec *v = &x->out[x->i];
        if (left == 1)
            return ps__send_once(x->s, at_offset(v->base, x->off),
                                 v->len - x->off, &x->moved, how);
        return ps__sendv_once(x->s, v, left, x->off, &x->moved, how);
    }
    const ps_recv_iovec *v = &x->in[x->i];
    if (left == 1)
        return ps__recv_once(x->s,
                             (void *)(uintptr_t)at_offset(v->base, x->off),
                             v->len - x->off, &x->moved, how);
    return ps__recvv_once(x->s, v, left, x->off, &x->moved, how);
}

enum { ONE_TRANSFER = 0, ALL_BYTES = 1 };

enum {
    /* Nothing to send still makes the call, as send() would, so it reports
     * a broken connection (ps_send only). */
    XFER_CALL_WHEN_EMPTY = 1,
    /* The bytes are expected to be there already: try before waiting,
     * whatever the wait-first hint says. */
    XFER_TRY_FIRST = 2
};

/* Checks the buffers: a NULL base only when empty, a total that fits. */
static int check_buffers(const xfer *x, size_t *total)
{
    size_t sum = 0;
    if (!x->out && !x->in && x->n > 0)
        return PS_EINVAL;
    for (size_t i = 0; i < x->n; i++) {
        size_t len = len_at(x, i);
        const void *base = x->want == PS__WANT_WRITE ? x->out[i].base
                                                     : x->in[i].base;
        if ((!base && len > 0) || len > (size_t)-1 - sum)
            return PS_EINVAL;
        sum += len;
    }
    *total = sum;
    return 0;
}

/* The body of every stream send and receive: one deadline, and *moved
 * always says exactly how many bytes went. */
static int transfer(xfer *x, size_t *moved, int timeout_ms, int mode)
{
    size_t done = 0, total;
    int want = x->want;
    int r;
    if (moved)
        *moved = 0;
    if ((r = check_buffers(x, &total)) != 0 || (r = check_handle(x->s)) != 0)
        return r;
    if (want == PS__WANT_READ && total == 0)
        return PS_EINVAL; /* zero bytes read as end of stream */
    ps__deadline d;
    ps__deadline_start(&d, timeout_ms);
    if (!(x->flags & XFER_CALL_WHEN_EMPTY))
        skip_done(x);
    if (x->i == x->n)
        r = ps__socket_probe(
            x->s); /* no transfer call to notice a non-socket */
    while (x->i < x->n) {
        x->moved = 0; /* a wait that fails makes no attempt */
        r = ps__until_ready(x->s, want, &d, x->flags & XFER_TRY_FIRST,
                            xfer_attempt, x);
        done += x->moved;
        if (r != 0 || mode == ONE_TRANSFER)
            break;
        if (want == PS__WANT_READ && x->moved == 0) {
            r = PS_ECLOSED; /* end of stream before len bytes */
            break;
        }
        advance(x, x->moved);
    }
    if (moved)
        *moved = done;
    return r;
}

static int send_buffers(ps_socket_t s, const ps_iovec *iov, size_t n,
                        size_t *sent, int timeout_ms, int mode, int flags)
{
    xfer x = {s, PS__WANT_WRITE, flags, iov, NULL, n, 0, 0, 0};
    return transfer(&x, sent, timeout_ms, mode);
}

static int recv_buffers(ps_socket_t s, const ps_recv_iovec *iov, size_t n,
                        size_t *got, int timeout_ms, int mode, int flags)
{
    xfer x = {s, PS__WANT_READ, flags, NULL, iov, n, 0, 0, 0};
    return transfer(&x, got, timeout_ms, mode);
}

int ps_send(ps_socket_t s, const void *buf, size_t len, size_t *sent,
            int timeout_ms)
{
    ps_iovec v = {buf, len};
    return send_buffers(s, &v, 1, sent, timeout_ms, ONE_TRANSFER,
                        XFER_CALL_WHEN_EMPTY);
}

int ps_recv(ps_socket_t s, void *buf, size_t cap, size_t *got, int timeout_ms)
{
    ps_recv_iovec v = {buf, cap};
    return recv_buffers(s, &v, 1, got, timeout_ms, ONE_TRANSFER, 0);
}

int ps_send_all(ps_socket_t s, const void *buf, size_t len, size_t *sent,
                int timeout_ms)
{
    ps_iovec v = {buf, len};
    return send_buffers(s, &v, 1, sent, timeout_ms, ALL_BYTES, 0);
}

static int recv_all(ps_socket_t s, void *buf, size_t len, size_t *got,
                    int timeout_ms, int flags)
{
    ps_recv_iovec v = {buf, len};
    if (len == 0) {
        /* Nothing to wait for: done, not a request for end of stream;
         * but no call would notice a descriptor that is no socket. */
        if (got)
            *got = 0;
        int r = check_handle(s);
        return r != 0 ? r : ps__socket_probe(s);
    }
    return recv_buffers(s, &v, 1, got, timeout_ms, ALL_BYTES, flags);
}

int ps_recv_all(ps_socket_t s, void *buf, size_t len, size_t *got,
                int timeout_ms)
{
    return recv_all(s, buf, len, got, timeout_ms, 0);
}

int ps__recv_all_expected(ps_socket_t s, void *buf, size_t len, size_t *got,
                          int timeout_ms)
{
    return recv_all(s, buf, len, got, timeout_ms, XFER_TRY_FIRST);
}

int ps_sendv(ps_socket_t s, const ps_iovec *iov, size_t n, size_t *sent,
             int timeout_ms)
{
    return send_buffers(s, iov, n, sent, timeout_ms, ONE_TRANSFER, 0);
}

int ps_sendv_all(ps_socket_t s, const ps_iovec *iov, size_t n, size_t *sent,
                 int timeout_ms)
{
    return send_buffers(s, iov, n, sent, timeout_ms, ALL_BYTES, 0);
}

int ps_recvv(ps_socket_t s, const ps_recv_iovec *iov, size_t n, size_t *got,
             int timeout_ms)
{
    return recv_buffers(s, iov, n, got, timeout_ms, ONE_TRANSFER, 0);
}

/* ---- Datagrams and accept ---- */

typedef struct dgram_send {
    ps_socket_t s;
    const void *buf;
    size_t len;
    const ps_addr *to;
    ps_addr mapped; /* to as ::ffff:a.b.c.d, once needed */
    int map_tried;
} dgram_send;

int ps__addr_mapped(const ps_addr *a, ps_addr *out, int to_v4)
{
    static const unsigned char prefix[12] = {0, 0, 0, 0, 0,    0,
                                             0, 0, 0, 0, 0xFF, 0xFF};
    ps__endpoint ep;
    if (ps__addr_decode(a, &ep) != 0)
        return -1;
    if (to_v4) {
        if (ep.family != PS_AF_INET6 || memcmp(ep.ip, prefix, 12) != 0)
            return -1;
        memmove(ep.ip, ep.ip + 12, 4);
        ep.family = PS_AF_INET;
        ep.scope_id = 0;
    } else {
        if (ep.family != PS_AF_INET)
            return -1;
        memmove(ep.ip + 12, ep.ip, 4);
        memcpy(ep.ip, prefix, 12);
        ep.family = PS_AF_INET6;
    }
    return ps__addr_encode(&ep, out);
}

static int sendto_attempt(void *ctx, int how)
{
    dgram_send *c = (dgram_send *)ctx;
    int r = ps__sendto_once(c->s, c->buf, c->len, c->to, how);
    /* An IPv4 destination from an IPv6 (dual-stack) socket: Linux takes it
     * as it is; Windows and the BSDs want ::ffff:a.b.c.d. Looked at only
     * after a failure, so IPv4 sockets and Linux pay nothing for it. */
    if (r != 0 && r != PS_EWOULDBLOCK && !c->map_tried && c->to &&
        ps_addr_family(c->to) == PS_AF_INET) {
        int family;
        c->map_tried = 1;
        if (ps__socket_family(c->s, &family) == 0 && family == PS_AF_INET6 &&
            ps__addr_mapped(c->to, &c->mapped, 0) == 0) {
            c->to = &c->mapped;
            r = ps__sendto_once(c->s, c->buf, c->len, c->to, how);
        }
    }
    return r;
}

int ps_sendto(ps_socket_t s, const void *buf, size_t len, const ps_addr *to,
              int timeout_ms)
{
    if (!buf && len > 0)
        return PS_EINVAL;
    /* A destination that is no address (empty, a length past the storage,
     * an unknown family) is refused here, as by ps_connect_start: POSIX
     * stream sockets ignore it and would send, and the system would read
     * `len` bytes of it whatever the storage holds. */
    if (to && ps_addr_family(to) == PS_AF_UNSPEC)
        return PS_EINVAL;
    int r = check_handle(s);
    if (r != 0)
        return r;
    /* No datagram is that long (ps_recvfrom takes at most INT_MAX too).
     * Left to the system, Linux checks the claimed range against the
     * address space first (PS_EINVAL for a buffer near the stack's top,
     * PS_EMSGSIZE elsewhere) and Winsock counts in an int. */
    if (len > (size_t)INT_MAX)
        return PS_EMSGSIZE;
    dgram_send c = {s, buf, len, to, {0}, 0};
    ps__deadline d;
    ps__deadline_start(&d, timeout_ms);
    return ps__until_ready(s, PS__WANT_WRITE, &d, 0, sendto_attempt, &c);
}

typedef struct dgram_recv {
    ps_socket_t s;
    void *buf;
    size_t cap;
    size_t got;
    ps_addr *from;
    int truncated;
} dgram_recv;

static int recvfrom_attempt(void *ctx, int how)
{
    dgram_recv *c = (dgram_recv *)ctx;
    return ps__recvfrom_once(c->s, c->buf, c->cap, &c->got, c->from,
                             &c->truncated, how);
}

int ps_recvfrom(ps_socket_t s, void *buf, size_t cap, size_t *got,
                ps_addr *from, int timeout_ms)
{
    if (got)
        *got = 0;
    if (!buf && cap > 0)
        return PS_EINVAL;
    int r = check_handle(s);
    if (r != 0)
        return r;
    /* No datagram is that long, and one call takes no more: POSIX recvmsg
     * refuses more than SSIZE_MAX, Winsock counts in an int. */
    if (cap > (size_t)INT_MAX)
        cap = (size_t)INT_MAX;
    dgram_recv c = {s, buf, cap, 0, from, 0};
    ps__deadline d;
    ps__deadline_start(&d, timeout_ms);
    r = ps__until_ready(s, PS__WANT_READ, &d, 0, recvfrom_attempt, &c);
    if (got)
        *got = c.got;
    /* An IPv4 sender on a dual-stack socket comes as ::ffff:a.b.c.d: give
     * it back as the IPv4 address it is (ps_sendto maps it again). */
    ps_addr plain;
    if (from && r == 0 && ps__addr_mapped(from, &plain, 1) == 0)
        *from = plain;
    if (r == 0 && c.truncated)
        r = PS_EMSGSIZE;
    return r;
}

typedef struct accept_call {
    ps_socket_t listener;
    ps_socket_t *out;
    ps_addr *peer;
    int nonblocking;
} accept_call;

static int accept_attempt(void *ctx, int how)
{
    accept_call *c = (accept_call *)ctx;
    return ps__accept_once(c->listener, c->out, c->peer, how, c->nonblocking);
}

int ps_accept_ex(ps_socket_t listener, ps_socket_t *out, ps_addr *peer,
                 int flags, int timeout_ms)
{
    if (!out)
        return PS_EINVAL;
    *out = PS_INVALID_SOCKET;
    if ((flags & ~PS_ACCEPT_NONBLOCK) != 0)
        return PS_EINVAL;
    int r = check_handle(listener);
    if (r != 0)
        return r;
    accept_call c = {listener, out, peer, flags & PS_ACCEPT_NONBLOCK};
    ps__deadline d;
    ps__deadline_start(&d, timeout_ms);
    /* Tried before any wait, whatever the wait-first hint says: the attempt
     * is what finds out at once that this is no listener (a wait on a
     * connected socket, a pipe or a closed fd could use up the timeout). */
    r = ps__until_ready(listener, PS__WANT_READ, &d, 1, accept_attempt, &c);
    /* accept() on a datagram socket: EOPNOTSUPP / WSAEOPNOTSUPP, a socket
     * that does not listen, as a connected one is (PS_EINVAL). Wine says
     * the same of a pipe handle, which is no socket at all (PS_EBADF). */
    if (r == PS_ENOTSUP && (r = ps__socket_probe(listener)) == 0)
        r = PS_EINVAL;
    return r;
}

int ps_accept(ps_socket_t listener, ps_socket_t *out, ps_addr *peer,
              int timeout_ms)
{
    return ps_accept_ex(listener, out, peer, 0, timeout_ms);
}
