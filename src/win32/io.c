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

int ps__send_once(ps_socket_t ps, const void *buf, size_t len, size_t *sent,
                  int may_block)
{
    SOCKET s = (SOCKET)ps;
    /* A stream send may move fewer bytes anyway; the caller loops. */
    int n = len > INT_MAX ? INT_MAX : (int)len;
    if (sent != NULL)
        *sent = 0;
    for (;;) {
        ps__nb_guard g;
        int r, err, rc;
        if (!may_block && (rc = ps__nb_enter(s, &g)) != 0)
            return rc;
        do {
            r = send(s, (const char *)buf, n, 0);
        } while (r == SOCKET_ERROR && WSAGetLastError() == WSAEINTR);
        if (!may_block)
            ps__nb_leave(&g);
        if (r != SOCKET_ERROR) {
            if (sent != NULL)
                *sent = (size_t)r;
            return 0;
        }
        err = WSAGetLastError();
        if (may_block && (rc = ps__win_block_wait(s, err, PS__WANT_WRITE)) != 0) {
            if (rc < 0)
                return rc;
            continue;
        }
        return ps__win_error(err);
    }
}

int ps__recv_once(ps_socket_t ps, void *buf, size_t cap, size_t *got,
                  int may_block)
{
    SOCKET s = (SOCKET)ps;
    int n = cap > INT_MAX ? INT_MAX : (int)cap;
    if (got != NULL)
        *got = 0;
    for (;;) {
        ps__nb_guard g;
        int r, err, rc;
        if (!may_block && (rc = ps__nb_enter(s, &g)) != 0)
            return rc;
        do {
            r = recv(s, (char *)buf, n, 0);
        } while (r == SOCKET_ERROR && WSAGetLastError() == WSAEINTR);
        if (!may_block)
            ps__nb_leave(&g);
        if (r != SOCKET_ERROR) {
            if (got != NULL)
                *got = (size_t)r;
            return 0;
        }
        err = WSAGetLastError();
        if (err == WSAEMSGSIZE) {
            /* A datagram cut to the buffer; POSIX recv() reports that as
             * an ordinary short read, so do the same. */
            if (got != NULL)
                *got = (size_t)n;
            return 0;
        }
        if (may_block && (rc = ps__win_block_wait(s, err, PS__WANT_READ)) != 0) {
            if (rc < 0)
                return rc;
            continue;
        }
        return ps__win_error(err);
    }
}

int ps__sendto_once(ps_socket_t ps, const void *buf, size_t len,
                    const ps_addr *to, int may_block)
{
    SOCKET s = (SOCKET)ps;
    const struct sockaddr *sa = NULL;
    int salen = 0;
    /* Clamping would send a different datagram than asked for. */
    if (len > INT_MAX)
        return ps__win_error(WSAEMSGSIZE);
    if (to != NULL) {
        if (to->len == 0 || to->len > sizeof to->storage.bytes)
            return PS_EINVAL;
        sa = (const struct sockaddr *)(const void *)to->storage.bytes;
        salen = (int)to->len;
    }
    for (;;) {
        ps__nb_guard g;
        int r, err, rc;
        if (!may_block && (rc = ps__nb_enter(s, &g)) != 0)
            return rc;
        do {
            r = sa != NULL ? sendto(s, (const char *)buf, (int)len, 0, sa, salen)
                           : send(s, (const char *)buf, (int)len, 0);
        } while (r == SOCKET_ERROR && WSAGetLastError() == WSAEINTR);
        if (!may_block)
            ps__nb_leave(&g);
        if (r != SOCKET_ERROR)
            return 0;
        err = WSAGetLastError();
        if (may_block && (rc = ps__win_block_wait(s, err, PS__WANT_WRITE)) != 0) {
            if (rc < 0)
                return rc;
            continue;
        }
        return ps__win_error(err);
    }
}

int ps__recvfrom_once(ps_socket_t ps, void *buf, size_t cap, size_t *got,
                      ps_addr *from, int *truncated, int may_block)
{
    SOCKET s = (SOCKET)ps;
    int n = cap > INT_MAX ? INT_MAX : (int)cap;
    ps_addr local;
    ps_addr *fa = from != NULL ? from : &local;
    if (got != NULL)
        *got = 0;
    if (truncated != NULL)
        *truncated = 0;
    for (;;) {
        ps__nb_guard g;
        int r, err, rc, falen;
        if (!may_block && (rc = ps__nb_enter(s, &g)) != 0)
            return rc;
        for (;;) {
            falen = (int)sizeof fa->storage.bytes;
            memset(fa, 0, sizeof *fa);
            r = recvfrom(s, (char *)buf, n, 0,
                         (struct sockaddr *)(void *)fa->storage.bytes, &falen);
            if (r != SOCKET_ERROR)
                break;
            err = WSAGetLastError();
            if (err == WSAEINTR)
                continue;
            /* ICMP port unreachable from an earlier sendto, on a datagram
             * socket not made by portsock (ours have it switched off). */
            if ((err == WSAECONNRESET || err == WSAENETRESET) && is_datagram(s))
                continue;
            WSASetLastError(err);
            break;
        }
        if (!may_block)
            ps__nb_leave(&g);
        err = r == SOCKET_ERROR ? WSAGetLastError() : 0;
        if (r != SOCKET_ERROR || err == WSAEMSGSIZE) {
            if (falen > 0 && falen <= (int)sizeof fa->storage.bytes)
                fa->len = (uint32_t)falen;
            if (err == WSAEMSGSIZE) {
                /* The datagram was longer than cap; its head is in buf. */
                ps__set_native_error(err);
                if (truncated != NULL)
                    *truncated = 1;
                r = n;
            }
            if (got != NULL)
                *got = (size_t)r;
            return 0;
        }
        if (may_block && (rc = ps__win_block_wait(s, err, PS__WANT_READ)) != 0) {
            if (rc < 0)
                return rc;
            continue;
        }
        return ps__win_error(err);
    }
}

int ps__accept_once(ps_socket_t listener, ps_socket_t *out, ps_addr *peer,
                    int may_block)
{
    SOCKET l = (SOCKET)listener, s;
    ps_addr local;
    ps_addr *pa = peer != NULL ? peer : &local;
    u_long off = 0;
    if (out == NULL)
        return PS_EINVAL;
    *out = PS_INVALID_SOCKET;
    for (;;) {
        ps__nb_guard g;
        int err, rc, palen;
        if (!may_block && (rc = ps__nb_enter(l, &g)) != 0)
            return rc;
        do {
            palen = (int)sizeof pa->storage.bytes;
            memset(pa, 0, sizeof *pa);
            s = accept(l, (struct sockaddr *)(void *)pa->storage.bytes, &palen);
        } while (s == INVALID_SOCKET && WSAGetLastError() == WSAEINTR);
        if (!may_block)
            ps__nb_leave(&g);
        if (s != INVALID_SOCKET) {
            if (palen > 0 && palen <= (int)sizeof pa->storage.bytes)
                pa->len = (uint32_t)palen;
            break;
        }
        err = WSAGetLastError();
        if (may_block && (rc = ps__win_block_wait(l, err, PS__WANT_READ)) != 0) {
            if (rc < 0)
                return rc;
            continue;
        }
        return ps__win_error(err);
    }
    ps__win_no_inherit(s);
    ps__nb_forget(s);
    /* The accepted socket inherits the listener's FIONBIO, including our
     * temporary switch; portsock promises a blocking socket. */
    if (ioctlsocket(s, FIONBIO, &off) != 0) {
        int rc = ps__last_error();
        closesocket(s);
        if (peer != NULL)
            memset(peer, 0, sizeof *peer);
        return rc;
    }
    *out = (ps_socket_t)s;
    return 0;
}
