/* SPDX-License-Identifier: MIT */
/* Socket creation, connect/bind/listen, local and peer names, close and
 * shutdown. */
#include "win32.h"

void ps__win_no_inherit(SOCKET s)
{
    SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
}

int ps__win_socktype(int type)
{
    switch (type) {
    case PS_SOCK_STREAM:
        return SOCK_STREAM;
    case PS_SOCK_DGRAM:
        return SOCK_DGRAM;
    default:
        return 0;
    }
}

int ps__win_new_socket(int af, int type, SOCKET *out)
{
    /* WSA_FLAG_OVERLAPPED gives what socket() gives, so the handle also
     * works with overlapped I/O in the caller's code. */
    SOCKET s = WSASocketW(af, type, 0, NULL, 0,
                          WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    *out = INVALID_SOCKET;
    if (s == INVALID_SOCKET && WSAGetLastError() == WSAEINVAL) {
        /* Windows 7 without SP1 rejects the no-inherit flag. */
        s = WSASocketW(af, type, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
        if (s != INVALID_SOCKET)
            ps__win_no_inherit(s);
    }
    if (s == INVALID_SOCKET)
        return ps__last_error();
    /* A stale record of a closed socket with the same value must not make
     * this one look non-blocking. */
    ps__nb_forget(s);
    if (type == SOCK_DGRAM && (af == AF_INET || af == AF_INET6)) {
        /* Otherwise an ICMP port unreachable for an earlier sendto makes the
         * next recvfrom fail with WSAECONNRESET. Failure is harmless. */
        BOOL report = FALSE;
        DWORD n = 0;
        WSAIoctl(s, SIO_UDP_CONNRESET, &report, sizeof report, NULL, 0, &n,
                 NULL, NULL);
    }
    *out = s;
    return 0;
}

/* The one way sockets are made: type checked, Winsock started, created
 * non-inheritable, and switched to non-blocking if asked. */
static int new_socket(int af, int type, int nonblocking, ps_socket_t *out)
{
    SOCKET s;
    int st = ps__win_socktype(type), rc;
    if (out == NULL)
        return PS_EINVAL;
    *out = PS_INVALID_SOCKET;
    if (af < 0 || st == 0)
        return PS_EINVAL;
    rc = ps__ensure_init();
    if (rc != 0)
        return rc;
    rc = ps__win_new_socket(af, st, &s);
    if (rc != 0)
        return rc;
    if (nonblocking) {
        /* Not registered: the caller switches back with
         * ps_set_nonblocking(s, 0) once connected. */
        u_long on = 1;
        if (ioctlsocket(s, FIONBIO, &on) != 0) {
            rc = ps__last_error();
            closesocket(s);
            return rc;
        }
    }
    *out = (ps_socket_t)s;
    return 0;
}

int ps__socket_new(int family, int type, ps_socket_t *out)
{
    int af = family == PS_AF_INET    ? AF_INET
             : family == PS_AF_INET6 ? AF_INET6
                                     : AF_UNIX;
    return new_socket(af, type, 0, out);
}

int ps__socket_probe(ps_socket_t s)
{
    int type, len = sizeof type, rc = ps__ensure_init();
    if (rc != 0)
        return rc;
    if (getsockopt((SOCKET)s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) != 0)
        return ps__last_error(); /* WSAENOTSOCK */
    return 0;
}

int ps__close(ps_socket_t ps)
{
    SOCKET s = (SOCKET)ps;
    int rc = ps__ensure_init();
    if (rc != 0)
        return rc;
    if (s == INVALID_SOCKET)
        return ps__win_error(WSAENOTSOCK);
    /* Forget first: once closed, the value may be reused at once by a
     * socket another thread creates. */
    ps__nb_forget(s);
    if (closesocket(s) != 0)
        return ps__last_error();
    return 0;
}

int ps__shutdown(ps_socket_t ps, int how)
{
    int sd = how == PS_SHUT_RD   ? SD_RECEIVE
             : how == PS_SHUT_WR ? SD_SEND
                                 : SD_BOTH;
    int rc = ps__ensure_init();
    if (rc != 0)
        return rc;
    if (shutdown((SOCKET)ps, sd) != 0)
        return ps__last_error();
    return 0;
}

/* The native family of a ps_addr, or -1 if it cannot be a sockaddr. */
static int addr_af(const ps_addr *a)
{
    ADDRESS_FAMILY f;
    if (a == NULL || a->len < sizeof f || a->len > sizeof a->storage.bytes)
        return -1;
    memcpy(&f, a->storage.bytes, sizeof f);
    return f;
}

static const struct sockaddr *addr_sa(const ps_addr *a)
{
    return (const struct sockaddr *)(const void *)a->storage.bytes;
}

int ps__socket_for(const ps_addr *addr, int type, int nonblocking,
                   ps_socket_t *out)
{
    return new_socket(addr_af(addr), type, nonblocking, out);
}

int ps__connect_start(ps_socket_t s, const ps_addr *addr)
{
    if (addr_af(addr) < 0)
        return PS_EINVAL;
    if (connect((SOCKET)s, addr_sa(addr), (int)addr->len) != 0) {
        /* Winsock reports a non-blocking connect in progress as
         * WSAEWOULDBLOCK (not WSAEINPROGRESS); the map gives PS_EWOULDBLOCK. */
        return ps__last_error();
    }
    return 0;
}

int ps__bind(ps_socket_t ps, const ps_addr *addr, int v6only, int reuse)
{
    SOCKET s = (SOCKET)ps;
    int af = addr_af(addr);
    if (af < 0)
        return PS_EINVAL;
    if (reuse && (af == AF_INET || af == AF_INET6)) {
        /* SO_REUSEADDR on Windows would let another process steal the
         * port; exclusive use is the safe equivalent of POSIX reuse. */
        int one = 1;
        if (setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&one,
                       sizeof one) != 0)
            return ps__last_error();
    }
    if (v6only >= 0 && af == AF_INET6) {
        DWORD v = v6only ? 1 : 0;
        if (setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&v,
                       sizeof v) != 0)
            return ps__last_error();
    }
    if (bind(s, addr_sa(addr), (int)addr->len) != 0)
        return ps__last_error();
    return 0;
}

int ps__listen(ps_socket_t s, int backlog)
{
    if (listen((SOCKET)s, backlog <= 0 ? SOMAXCONN : backlog) != 0)
        return ps__last_error();
    return 0;
}

/* getsockname fails with WSAEINVAL on an unbound socket where POSIX
 * reports the wildcard address; give the same answer. */
static int unbound_addr(SOCKET s, ps_addr *out)
{
    ps__endpoint ep;
    int rc;
    memset(&ep, 0, sizeof ep);
    rc = ps__socket_family((ps_socket_t)s, &ep.family);
    if (rc != 0)
        return rc;
    if (ep.family == PS_AF_UNSPEC)
        return ps__win_error(WSAEINVAL);
    return ps__addr_encode(&ep, out);
}

int ps__socket_name(ps_socket_t ps, ps_addr *out, int peer)
{
    SOCKET s = (SOCKET)ps;
    int len = (int)sizeof out->storage.bytes, rc, err;
    struct sockaddr *sa;
    memset(out, 0, sizeof *out);
    rc = ps__ensure_init();
    if (rc != 0)
        return rc;
    sa = (struct sockaddr *)(void *)out->storage.bytes;
    if ((peer ? getpeername(s, sa, &len) : getsockname(s, sa, &len)) == 0) {
        if (len <= 0 || len > (int)sizeof out->storage.bytes)
            return ps__win_error(WSAEFAULT);
        out->len = (uint32_t)len;
        return 0;
    }
    err = WSAGetLastError();
    memset(out, 0, sizeof *out);
    if (!peer && err == WSAEINVAL)
        return unbound_addr(s, out);
    return ps__win_error(err);
}
