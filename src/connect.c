/* SPDX-License-Identifier: MIT */
/* Making connected, listening and datagram sockets from host/port text:
 * resolution, racing the addresses within one deadline, listener setup. */
#include "internal.h"

#include <stdlib.h>

int ps_connect_start(ps_socket_t s, const ps_addr *to)
{
    if (!to || ps_addr_family(to) == PS_AF_UNSPEC)
        return PS_EINVAL;
    if (ps__check_socket(s) != 0)
        return PS_EBADF;
    /* A connect in progress (EINPROGRESS, WSAEWOULDBLOCK) is no failure. */
    int saved = ps_native_error();
    return ps__keep_native(ps__connect_start(s, to), saved);
}

int ps_bind(ps_socket_t s, const ps_addr *a)
{
    if (!a || ps_addr_family(a) == PS_AF_UNSPEC)
        return PS_EINVAL;
    if (ps__check_socket(s) != 0)
        return PS_EBADF;
    /* No reuse option: the caller asked for a plain bind. */
    return ps__bind(s, a, -1, 0);
}

int ps__connect_check(const char *host, const char *port)
{
    if (!host || (!port && !ps__unix_path(host)))
        return PS_EINVAL;
    return ps__ensure_init();
}

int ps_connect(ps_socket_t *out, const char *host, const char *port,
               int timeout_ms)
{
    ps_addr *addrs;
    size_t count;
    if (!out)
        return PS_EINVAL;
    *out = PS_INVALID_SOCKET;
    int r = ps__connect_check(host, port);
    if (r != 0)
        return r;
    ps__deadline d;
    ps__deadline_start(&d, timeout_ms);
    r = ps__resolve_within(host, port, 0, PS_SOCK_STREAM, &d, &addrs, &count);
    if (r != 0)
        return r;
    r = ps__connect_race(addrs, count, &d, out);
    ps__free_addrs(addrs);
    return r;
}

/* Socket, options, bind and (for streams) listen for one address. */
static int bind_one(const ps_addr *addr, int type, int v6only, int backlog,
                    ps_socket_t *out)
{
    ps_socket_t s;
    int r = ps__socket_for(addr, type, 0, &s);
    if (r != 0)
        return r;
    r = ps__bind(s, addr, v6only, type == PS_SOCK_STREAM);
    if (r == 0 && type == PS_SOCK_STREAM)
        r = ps__listen(s, backlog);
    /* A non-blocking listener: otherwise a timed ps_accept could block
     * after another thread or process took the connection it saw. */
    if (r == 0 && type == PS_SOCK_STREAM)
        r = ps_set_nonblocking(s, 1);
    if (r != 0) {
        ps_close(s);
        return r;
    }
    *out = s;
    return 0;
}

/* A numeric port, or a service name looked up by the resolver. */
static int port_number(const char *port, int type, uint16_t *num)
{
    int r = ps__port_number(port, num);
    if (r == PS_ENAME) {
        ps_addr *addrs;
        size_t count;
        r = ps__resolve(NULL, port, PS__RESOLVE_PASSIVE, type, &addrs, &count);
        if (r != 0)
            return r;
        *num = (uint16_t)ps_addr_port(&addrs[0]);
        ps__free_addrs(addrs);
    }
    return r;
}

/* host NULL: the wildcard, dual-stack IPv6 where possible, else IPv4. */
static int bind_any(const char *port, int type, int backlog, ps_socket_t *out)
{
    uint16_t num;
    ps_addr addr;
    int r = port_number(port, type, &num);
    if (r != 0)
        return r;
    r = ps__any_addr(&addr, PS_AF_INET6, num);
    if (r == 0)
        r = bind_one(&addr, type, 0, backlog, out);
    if (r == PS_EAFNOSUPPORT || r == PS_EADDRNOTAVAIL || r == PS_EINVAL ||
        r == PS_ENOTSUP) {
        r = ps__any_addr(&addr, PS_AF_INET, num);
        if (r == 0)
            r = bind_one(&addr, type, -1, backlog, out);
    }
    return r;
}

static int bind_host(const char *host, const char *port, int type, int backlog,
                     ps_socket_t *out)
{
    ps_addr *addrs;
    size_t count;
    int r = ps__resolve_within(host, port, 1, type, NULL, &addrs, &count);
    if (r != 0)
        return r;
    r = PS_ENAME;
    for (size_t i = 0; i < count && r != 0; i++) {
        int v6only = ps_addr_family(&addrs[i]) == PS_AF_INET6 ? 1 : -1;
        r = bind_one(&addrs[i], type, v6only, backlog, out);
    }
    ps__free_addrs(addrs);
    return r;
}

int ps_listen(ps_socket_t *out, const char *host, const char *port, int backlog)
{
    if (!out)
        return PS_EINVAL;
    *out = PS_INVALID_SOCKET;
    if (!port && !ps__unix_path(host))
        return PS_EINVAL;
    int r = ps__ensure_init();
    if (r != 0)
        return r;
    /* An address that failed before the one that worked leaves no code. */
    int saved = ps_native_error();
    if (!host)
        r = bind_any(port, PS_SOCK_STREAM, backlog, out);
    else
        r = bind_host(host, port, PS_SOCK_STREAM, backlog, out);
    return ps__keep_native(r, saved);
}

int ps_udp_open(ps_socket_t *out, const char *host, const char *port)
{
    ps_addr addr;
    if (!out)
        return PS_EINVAL;
    *out = PS_INVALID_SOCKET;
    int r = ps__ensure_init();
    if (r != 0)
        return r;
    if (!host && !port) {
        r = ps__any_addr(&addr, PS_AF_INET, 0);
        return r != 0 ? r : ps__socket_for(&addr, PS_SOCK_DGRAM, 0, out);
    }
    /* An address that failed before the one that worked leaves no code. */
    int saved = ps_native_error();
    if (!host) /* every interface, both families where possible */
        r = bind_any(port, PS_SOCK_DGRAM, 0, out);
    else
        r = bind_host(host, port ? port : "0", PS_SOCK_DGRAM, 0, out);
    return ps__keep_native(r, saved);
}
