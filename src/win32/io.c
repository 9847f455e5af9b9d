/* Readiness waits and single transfer attempts.
 *
 * may_block == 0 must never block. select() then a blocking call is not
 * enough: under Wine a blocking send() of more than the free buffer space
 * blocks even after select() said writable. So a socket not known to be
 * non-blocking is switched to non-blocking mode for the one call. */
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
    if (want & PS__WANT_WRITE) {
        FD_SET(s, &wr);
        /* A failed non-blocking connect shows up only here. */
        FD_SET(s, &ex);
    }
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

/* One Winsock call and what it needs; each *_once below fills one in. */
typedef struct io_call {
    int (*run)(SOCKET s, struct io_call *c); /* 0, or the WSA error */
    char *buf;
    int len;
    const struct sockaddr *to;
    int tolen;
    ps_addr *addr;  /* filled by recvfrom and accept */
    int moved;      /* bytes moved */
    int truncated;  /* a datagram longer than len */
    SOCKET accepted;
} io_call;

/* Runs c once, never blocking when may_block == 0 (the socket is switched
 * to non-blocking mode for the call), retrying EINTR, and for a socket the
 * caller believes blocking but that another thread switched just now,
 * waiting and retrying. Returns 0, a positive WSA error, or a PS_E* code. */
static int attempt(SOCKET s, int want, int may_block, io_call *c)
{
    for (;;) {
        ps__nb_guard g;
        int err, rc;
        if (!may_block && (rc = ps__nb_enter(s, &g)) != 0)
            return rc;
        do
            err = c->run(s, c);
        while (err == WSAEINTR);
        if (!may_block)
            ps__nb_leave(&g);
        if (err == 0)
            return 0;
        if (may_block && (rc = ps__win_block_wait(s, err, want)) != 0) {
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
                        (struct sockaddr *)(void *)c->addr->storage.bytes, &falen);
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
    c->accepted = accept(l, (struct sockaddr *)(void *)c->addr->storage.bytes, &palen);
    if (c->accepted == INVALID_SOCKET) {
        int err = WSAGetLastError();
        /* A connection reset while queued is gone, not an error of the
         * listener: wait for the next one, as POSIX does for ECONNABORTED. */
        if (err == WSAECONNRESET || err == WSAENOTCONN || err == WSAECONNABORTED)
            return WSAEWOULDBLOCK;
        return err;
    }
    if (palen > 0 && palen <= (int)sizeof c->addr->storage.bytes)
        c->addr->len = (uint32_t)palen;
    return 0;
}

int ps__send_once(ps_socket_t ps, const void *buf, size_t len, size_t *sent,
                  int may_block)
{
    /* A stream send may move fewer bytes anyway; the caller loops. */
    io_call c = {run_send, (char *)(uintptr_t)buf, len > INT_MAX ? INT_MAX : (int)len,
                 NULL, 0, NULL, 0, 0, INVALID_SOCKET};
    *sent = 0;
    int rc = attempt((SOCKET)ps, PS__WANT_WRITE, may_block, &c);
    if (rc == 0)
        *sent = (size_t)c.moved;
    return finish(rc);
}

int ps__recv_once(ps_socket_t ps, void *buf, size_t cap, size_t *got,
                  int may_block)
{
    io_call c = {run_recv, buf, cap > INT_MAX ? INT_MAX : (int)cap,
                 NULL, 0, NULL, 0, 0, INVALID_SOCKET};
    *got = 0;
    int rc = attempt((SOCKET)ps, PS__WANT_READ, may_block, &c);
    if (rc == 0)
        *got = (size_t)c.moved;
    return finish(rc);
}

int ps__sendto_once(ps_socket_t ps, const void *buf, size_t len,
                    const ps_addr *to, int may_block)
{
    io_call c = {run_send, (char *)(uintptr_t)buf, (int)len,
                 NULL, 0, NULL, 0, 0, INVALID_SOCKET};
    /* Clamping would send a different datagram than asked for. */
    if (len > INT_MAX)
        return ps__win_error(WSAEMSGSIZE);
    if (to != NULL) {
        if (to->len == 0 || to->len > sizeof to->storage.bytes)
            return PS_EINVAL;
        c.to = (const struct sockaddr *)(const void *)to->storage.bytes;
        c.tolen = (int)to->len;
    }
    return finish(attempt((SOCKET)ps, PS__WANT_WRITE, may_block, &c));
}

int ps__recvfrom_once(ps_socket_t ps, void *buf, size_t cap, size_t *got,
                      ps_addr *from, int *truncated, int may_block)
{
    ps_addr local;
    io_call c = {run_recvfrom, buf, cap > INT_MAX ? INT_MAX : (int)cap,
                 NULL, 0, from != NULL ? from : &local, 0, 0, INVALID_SOCKET};
    *got = 0;
    *truncated = 0;
    int rc = attempt((SOCKET)ps, PS__WANT_READ, may_block, &c);
    if (rc == 0) {
        *got = (size_t)c.moved;
        *truncated = c.truncated;
        if (c.truncated)
            ps__set_native_error(WSAEMSGSIZE);
    }
    return finish(rc);
}

int ps__accept_once(ps_socket_t listener, ps_socket_t *out, ps_addr *peer,
                    int may_block)
{
    ps_addr local;
    io_call c = {run_accept, NULL, 0, NULL, 0, peer != NULL ? peer : &local,
                 0, 0, INVALID_SOCKET};
    u_long off = 0;
    *out = PS_INVALID_SOCKET;
    int rc = attempt((SOCKET)listener, PS__WANT_READ, may_block, &c);
    if (rc != 0)
        return finish(rc);
    SOCKET s = c.accepted;
    ps__win_no_inherit(s);
    ps__nb_forget(s);
    /* The accepted socket inherits the listener's FIONBIO, including our
     * temporary switch; portsock promises a blocking socket. */
    if (ioctlsocket(s, FIONBIO, &off) != 0) {
        rc = ps__last_error();
        closesocket(s);
        if (peer != NULL)
            memset(peer, 0, sizeof *peer);
        return rc;
    }
    *out = (ps_socket_t)s;
    return 0;
}
