/* SPDX-License-Identifier: MIT */
/* Readiness waits and single transfer attempts.
 *
 * A timed attempt must never block. Winsock has no per-call "don't wait"
 * flag, and switching a socket to non-blocking mode and back costs two
 * ioctlsocket calls and a lock. Where readiness makes a plain call safe —
 * receives, and sends small enough to fit whenever select() says writable —
 * a zero-time select() (none when a wait just reported the socket ready)
 * comes before the plain call. Larger sends and accepts still switch the
 * socket to non-blocking mode for the one call: under Wine a blocking send()
 * of more than the free buffer space blocks even after select() said
 * writable, and another process may take a connection a listener showed.
 *
 * Overlapped calls waited on with a timeout would save the select() call,
 * but a timeout then needs CancelIoEx, which on Windows has been seen to
 * cancel the socket's other pending I/O too (the other direction's thread)
 * and to leave a cancelled receive's connection read-closed; a deadline
 * must never cost the connection, so portsock does not use it. */
#include "win32.h"

#include <limits.h>

int ps__poll_one(ps_socket_t ps, int want, int timeout_ms)
{
    SOCKET s = (SOCKET)ps;
    fd_set rd, wr, ex;
    struct timeval tv, *tvp = NULL;
    int n;
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_ZERO(&ex);
    if (want & PS__WANT_READ)
        FD_SET(s, &rd);
    if (want & (PS__WANT_WRITE | PS__WANT_CONNECT))
        FD_SET(s, &wr);
    /* A failed non-blocking connect shows up only here. Not for plain
     * writes: out-of-band data from the peer shows up here too, and must
     * not pass for room to send. */
    if (want & PS__WANT_CONNECT)
        FD_SET(s, &ex);
    if (timeout_ms >= 0) {
        tv.tv_sec = timeout_ms / 1000;
        tv.tv_usec = (timeout_ms % 1000) * 1000;
        tvp = &tv;
    }
    /* The first argument is ignored by Winsock. */
    n = select(0, &rd, &wr, &ex, tvp);
    if (n == SOCKET_ERROR) {
        if (WSAGetLastError() == WSAEINTR)
            return 0;
        return ps__last_error();
    }
    return n > 0 ? 1 : 0;
}

int ps__win_block_wait(SOCKET s, int err, int want)
{
    int rc;
    if (err != WSAEWOULDBLOCK || ps__nb_is_user(s))
        return 0;
    rc = ps__poll_one((ps_socket_t)s, want, -1);
    return rc < 0 ? rc : 1;
}

static int is_datagram(SOCKET s)
{
    int type = 0, len = sizeof type;
    if (getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) != 0)
        return 0;
    return type == SOCK_DGRAM;
}

/* A send this small never blocks on a socket select() calls writable:
 * Windows buffers a whole send while the send buffer is not full, and Linux
 * (under Wine) reports writable only with at least a third of the buffer
 * (1.5 KiB or more) free. */
#define SMALL_SEND 512

/* One Winsock call and what it needs; each *_once below fills one in. */
typedef struct io_call {
    int (*run)(SOCKET s, struct io_call *c); /* 0, or the WSA error */
    int ready_safe; /* a plain call cannot block once select() saw readiness */
    char *buf;
    int len;
    WSABUF *bufs; /* gather/scatter calls */
    DWORD nbufs;
    const struct sockaddr *to;
    int tolen;
    ps_addr *addr; /* filled by recvfrom and accept */
    int done;      /* run succeeded (moved, accepted are valid), even if
                     * attempt() then reports a failed switch back */
    int moved;     /* bytes moved */
    int truncated; /* a datagram longer than len */
    SOCKET accepted;
    int (*ext)(SOCKET s, void *ctx); /* ps__win_call's call */
    void *ext_ctx;
} io_call;

/* Makes sure the coming plain call on s cannot block (how is PS__IO_NOWAIT
 * or PS__IO_READY): 0 when it may go ahead (with g active if the socket was
 * switched to non-blocking mode), PS_EWOULDBLOCK when nothing can move now,
 * or another PS_E* code. */
static int prepare(SOCKET s, int want, int how, const io_call *c,
                   ps__nb_guard *g)
{
    int rc;
    g->active = 0;
    if (ps__nb_is_user(s))
        return 0;
    if (!c->ready_safe)
        return ps__nb_enter(s, g);
    if (how == PS__IO_READY)
        return 0;
    rc = ps__poll_one((ps_socket_t)s, want, 0);
    return rc < 0 ? rc : rc == 0 ? PS_EWOULDBLOCK : 0;
}

/* Runs c once, waiting as `how` says (PS__IO_*), retrying EINTR, and for a
 * socket the caller believes blocking but that another thread switched just
 * now, waiting and retrying. Returns 0, a positive WSA error, or a PS_E*
 * code. A socket that could not be switched back to blocking mode is
 * reported (its WSA error) unless the call failed for a reason of its own;
 * c->done then still says whether the call itself went through. */
static int attempt(SOCKET s, int want, int how, io_call *c)
{
    for (;;) {
        ps__nb_guard g;
        int err, rc, back = 0;
        if (how != PS__IO_BLOCK && (rc = prepare(s, want, how, c, &g)) != 0)
            return rc;
        err = c->run(s, c);
        c->done = err == 0;
        if (how != PS__IO_BLOCK)
            back = ps__nb_leave(&g);
        if (back != 0 && (err == 0 || err == WSAEWOULDBLOCK)) {
            /* Reported as is: the call must not be run again. */
            ps__set_native_error(back);
            return back;
        }
        if (err == 0)
            return 0;
        if (err == WSAEINTR) {
            /* Readiness was used up: check again before the next call. */
            if (how == PS__IO_READY)
                how = PS__IO_NOWAIT;
            continue;
        }
        if (how == PS__IO_BLOCK &&
            (rc = ps__win_block_wait(s, err, want)) != 0) {
            if (rc < 0)
                return rc;
            continue;
        }
        ps__set_native_error(err);
        return err;
    }
}

static int finish(int rc)
{
    return rc > 0 ? ps__win_error(rc) : rc;
}

static int run_send(SOCKET s, io_call *c)
{
    c->moved = c->to ? sendto(s, c->buf, c->len, 0, c->to, c->tolen)
                     : send(s, c->buf, c->len, 0);
    return c->moved == SOCKET_ERROR ? WSAGetLastError() : 0;
}

static int run_recv(SOCKET s, io_call *c)
{
    c->moved = recv(s, c->buf, c->len, 0);
    if (c->moved != SOCKET_ERROR)
        return 0;
    int err = WSAGetLastError();
    if (err == WSAEMSGSIZE) {
        /* A datagram cut to the buffer; POSIX recv() reports that as an
         * ordinary short read, so do the same. */
        c->moved = c->len;
        return 0;
    }
    return err;
}

static int run_recvfrom(SOCKET s, io_call *c)
{
    int falen = (int)sizeof c->addr->storage.bytes;
    memset(c->addr, 0, sizeof *c->addr);
    c->moved = recvfrom(s, c->buf, c->len, 0,
                        (struct sockaddr *)(void *)c->addr->storage.bytes,
                        &falen);
    int err = c->moved == SOCKET_ERROR ? WSAGetLastError() : 0;
    /* ICMP port unreachable from an earlier sendto, on a datagram socket
     * not made by portsock (ours have it switched off): not an error of
     * this receive. */
    if ((err == WSAECONNRESET || err == WSAENETRESET) && is_datagram(s))
        return WSAEINTR; /* retried by attempt() */
    if (err == WSAEMSGSIZE) {
        /* The datagram was longer than len; its head is in buf. */
        c->truncated = 1;
        c->moved = c->len;
        err = 0;
    }
    if (err == 0 && falen > 0 && falen <= (int)sizeof c->addr->storage.bytes)
        c->addr->len = (uint32_t)falen;
    return err;
}

static int run_accept(SOCKET l, io_call *c)
{
    int palen = (int)sizeof c->addr->storage.bytes;
    memset(c->addr, 0, sizeof *c->addr);
    c->accepted = accept(l, (struct sockaddr *)(void *)c->addr->storage.bytes,
                         &palen);
    if (c->accepted == INVALID_SOCKET) {
        int err = WSAGetLastError();
        /* A connection reset while queued is gone, not an error of the
         * listener: wait for the next one, as POSIX does for ECONNABORTED. */
        if (err == WSAECONNRESET || err == WSAENOTCONN ||
            err == WSAECONNABORTED)
            return WSAEWOULDBLOCK;
        return err;
    }
    if (palen > 0 && palen <= (int)sizeof c->addr->storage.bytes)
        c->addr->len = (uint32_t)palen;
    return 0;
}

static int clamp_int(size_t len)
{
    return len > INT_MAX ? INT_MAX : (int)len;
}

int ps__send_once(ps_socket_t ps, const void *buf, size_t len, size_t *sent,
                  int how)
{
    /* A stream send may move fewer bytes anyway; the caller loops. */
    io_call c = {0};
    c.run = run_send;
    c.ready_safe = len <= SMALL_SEND;
    c.buf = (char *)(uintptr_t)buf;
    c.len = clamp_int(len);
    *sent = 0;
    int rc = attempt((SOCKET)ps, PS__WANT_WRITE, how, &c);
    if (c.done)
        *sent = (size_t)c.moved;
    return finish(rc);
}

int ps__recv_once(ps_socket_t ps, void *buf, size_t cap, size_t *got, int how)
{
    io_call c = {0};
    c.run = run_recv;
    c.ready_safe = 1;
    c.buf = buf;
    c.len = clamp_int(cap);
    *got = 0;
    int rc = attempt((SOCKET)ps, PS__WANT_READ, how, &c);
    if (c.done)
        *got = (size_t)c.moved;
    return finish(rc);
}

static int run_sendv(SOCKET s, io_call *c)
{
    DWORD sent = 0;
    if (WSASend(s, c->bufs, c->nbufs, &sent, 0, NULL, NULL) != 0)
        return WSAGetLastError();
    c->moved = (int)sent;
    return 0;
}

static int run_recvv(SOCKET s, io_call *c)
{
    DWORD got = 0, flags = 0;
    if (WSARecv(s, c->bufs, c->nbufs, &got, &flags, NULL, NULL) != 0) {
        int err = WSAGetLastError();
        if (err != WSAEMSGSIZE)
            return err;
        got = (DWORD)c->len; /* a datagram cut to the buffers, as run_recv */
    }
    c->moved = (int)got;
    return 0;
}

/* Fills up to PS__IOV_BATCH WSABUFs from the send buffers `out` or the
 * receive buffers `in`, skipping `skip` bytes of the first, with a total
 * that fits the int a call reports. Returns the total. */
static int fill_bufs(WSABUF *b, DWORD *nb, const ps_iovec *out,
                     const ps_recv_iovec *in, size_t n, size_t skip)
{
    size_t room = INT_MAX;
    DWORD k = 0;
    for (size_t i = 0; i < n && k < PS__IOV_BATCH && room > 0; i++, skip = 0) {
        /* cppcheck-suppress nullPointer ; callers pass in when out is NULL */
        char *base = out ? (char *)(uintptr_t)out[i].base : (char *)in[i].base;
        /* cppcheck-suppress nullPointer ; callers pass in when out is NULL */
        size_t len = (out ? out[i].len : in[i].len) - skip;
        if (len > room)
            len = room;
        b[k].buf = len ? base + skip : base;
        b[k].len = (ULONG)len;
        room -= len;
        k++;
    }
    *nb = k;
    return (int)(INT_MAX - room);
}

int ps__sendv_once(ps_socket_t ps, const ps_iovec *iov, size_t n, size_t skip,
                   size_t *sent, int how)
{
    WSABUF bufs[PS__IOV_BATCH];
    io_call c = {0};
    c.run = run_sendv;
    c.bufs = bufs;
    c.len = fill_bufs(bufs, &c.nbufs, iov, NULL, n, skip);
    c.ready_safe = c.len <= SMALL_SEND;
    *sent = 0;
    int rc = attempt((SOCKET)ps, PS__WANT_WRITE, how, &c);
    if (c.done)
        *sent = (size_t)c.moved;
    return finish(rc);
}

int ps__recvv_once(ps_socket_t ps, const ps_recv_iovec *iov, size_t n,
                   size_t skip, size_t *got, int how)
{
    WSABUF bufs[PS__IOV_BATCH];
    io_call c = {0};
    c.run = run_recvv;
    c.ready_safe = 1;
    c.bufs = bufs;
    c.len = fill_bufs(bufs, &c.nbufs, NULL, iov, n, skip);
    *got = 0;
    int rc = attempt((SOCKET)ps, PS__WANT_READ, how, &c);
    if (c.done)
        *got = (size_t)c.moved;
    return finish(rc);
}

int ps__sendto_once(ps_socket_t ps, const void *buf, size_t len,
                    const ps_addr *to, int how)
{
    io_call c = {0};
    /* Clamping would send a different datagram than asked for. */
    if (len > INT_MAX)
        return ps__win_error(WSAEMSGSIZE);
    c.run = run_send;
    /* Datagram sockets are often read by several threads at once: a
     * select() then a plain call could block the one that loses. */
    c.ready_safe = 0;
    c.buf = (char *)(uintptr_t)buf;
    c.len = (int)len;
    if (to != NULL) {
        if (to->len == 0 || to->len > sizeof to->storage.bytes)
            return PS_EINVAL;
        c.to = (const struct sockaddr *)(const void *)to->storage.bytes;
        c.tolen = (int)to->len;
    }
    return finish(attempt((SOCKET)ps, PS__WANT_WRITE, how, &c));
}

int ps__recvfrom_once(ps_socket_t ps, void *buf, size_t cap, size_t *got,
                      ps_addr *from, int *truncated, int how)
{
    ps_addr local;
    io_call c = {0};
    c.run = run_recvfrom;
    c.ready_safe = 0; /* as sendto */
    c.buf = buf;
    c.len = clamp_int(cap);
    c.addr = from != NULL ? from : &local;
    *got = 0;
    *truncated = 0;
    int rc = attempt((SOCKET)ps, PS__WANT_READ, how, &c);
    if (c.done) {
        *got = (size_t)c.moved;
        /* Cut to the buffer: ps_recvfrom's own finding, as on POSIX
         * (MSG_TRUNC), so no native error is recorded. */
        *truncated = c.truncated;
    }
    return finish(rc);
}

static int run_ext(SOCKET s, io_call *c)
{
    return c->ext(s, c->ext_ctx);
}

int ps__win_call(SOCKET s, int want, int how, int (*fn)(SOCKET s, void *ctx),
                 void *ctx, int *done)
{
    io_call c = {0};
    c.run = run_ext;
    c.ready_safe = 0; /* datagram sockets: as ps__sendto_once */
    c.ext = fn;
    c.ext_ctx = ctx;
    int rc = attempt(s, want, how, &c);
    *done = c.done;
    return finish(rc);
}

int ps__accept_once(ps_socket_t listener, ps_socket_t *out, ps_addr *peer,
                    int how, int nonblocking)
{
    ps_addr local;
    io_call c = {0};
    u_long off = 0;
    c.run = run_accept;
    c.addr = peer != NULL ? peer : &local;
    c.accepted = INVALID_SOCKET;
    *out = PS_INVALID_SOCKET;
    int rc = attempt((SOCKET)listener, PS__WANT_READ, how, &c);
    if (rc != 0) {
        /* Accepted, but the listener could not go back to blocking mode:
         * that is reported, and a socket the caller never gets is closed. */
        if (c.done) {
            closesocket(c.accepted);
            if (peer != NULL)
                memset(peer, 0, sizeof *peer);
        }
        return finish(rc);
    }
    SOCKET s = c.accepted;
    ps__win_no_inherit(s);
    ps__nb_forget(s);
    /* The accepted socket inherits the listener's FIONBIO, including our
     * temporary switch, so it is set either way; a non-blocking one is
     * also recorded, as Winsock cannot report the mode. */
    if (nonblocking)
        rc = ps__set_nonblocking((ps_socket_t)s, 1);
    else if (ioctlsocket(s, FIONBIO, &off) != 0)
        rc = ps__last_error();
    if (rc != 0) {
        closesocket(s);
        if (peer != NULL)
            memset(peer, 0, sizeof *peer);
        return rc;
    }
    *out = (ps_socket_t)s;
    return 0;
}
