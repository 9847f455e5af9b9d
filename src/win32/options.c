/* SPDX-License-Identifier: MIT */
/* Socket options (TCP_NODELAY, keepalive, buffer sizes, linger, broadcast,
 * TTL, multicast) and the pending socket error. */
#include "win32.h"

#include <string.h>

static int set_int(ps_socket_t s, int level, int name, int value)
{
    int rc = ps__ensure_init();
    if (rc != 0)
        return rc;
    if (setsockopt((SOCKET)s, level, name, (const char *)&value,
                   sizeof value) != 0)
        return ps__last_error();
    return 0;
}

int ps__set_socket_option(ps_socket_t s, int which, int value)
{
    switch (which) {
    case PS__SOCKOPT_NODELAY:
        return set_int(s, IPPROTO_TCP, TCP_NODELAY, value);
    case PS__SOCKOPT_KEEPALIVE:
        return set_int(s, SOL_SOCKET, SO_KEEPALIVE, value);
    case PS__SOCKOPT_SNDBUF:
        return set_int(s, SOL_SOCKET, SO_SNDBUF, value);
    default:
        return set_int(s, SOL_SOCKET, SO_RCVBUF, value);
    }
}

int ps__socket_error(ps_socket_t s)
{
    int err = 0, len = sizeof err, rc = ps__ensure_init();
    if (rc != 0)
        return rc;
    if (getsockopt((SOCKET)s, SOL_SOCKET, SO_ERROR, (char *)&err, &len) != 0)
        return ps__last_error();
    return err != 0 ? ps__win_error(err) : 0;
}

int ps__socket_family(ps_socket_t s, int *family)
{
    WSAPROTOCOL_INFOW info;
    int len = sizeof info, rc = ps__ensure_init();
    if (rc != 0)
        return rc;
    /* Not getsockname: Winsock refuses it on an unbound socket. */
    if (getsockopt((SOCKET)s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&info,
                   &len) != 0)
        return ps__last_error();
    *family = info.iAddressFamily == AF_INET    ? PS_AF_INET
              : info.iAddressFamily == AF_INET6 ? PS_AF_INET6
              : info.iAddressFamily == AF_UNIX  ? PS_AF_UNIX
                                                : PS_AF_UNSPEC;
    return 0;
}

static int set_raw(ps_socket_t s, int level, int name, const void *value,
                   int len)
{
    int rc = ps__ensure_init();
    if (rc != 0)
        return rc;
    if (setsockopt((SOCKET)s, level, name, (const char *)value, len) != 0)
        return ps__last_error();
    return 0;
}

int ps__set_linger(ps_socket_t s, int on, int seconds)
{
    struct linger l;
    l.l_onoff = (u_short)on;
    l.l_linger = (u_short)seconds;
    return set_raw(s, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

int ps__set_reuseport(ps_socket_t s, int on)
{
    /* Winsock has no SO_REUSEPORT. Its SO_REUSEADDR is no stand-in: it
     * lets another socket take over a port already bound and in use. */
    (void)on;
    int rc = ps__socket_probe(s);
    return rc != 0 ? rc : PS_ENOTSUP;
}

int ps__set_broadcast(ps_socket_t s, int on)
{
    return set_int(s, SOL_SOCKET, SO_BROADCAST, on);
}

/* Winsock's option numbers (ws2ipdef.h) differ from the BSD ones; all of
 * these take a DWORD. */
static int ipv4_name(int which)
{
    return which == PS__IPOPT_TTL         ? IP_TTL
           : which == PS__IPOPT_MCAST_TTL ? IP_MULTICAST_TTL
                                          : IP_MULTICAST_LOOP;
}

int ps__set_ip_option(ps_socket_t s, int family, int which, int value)
{
    if (family == PS_AF_INET)
        return set_int(s, IPPROTO_IP, ipv4_name(which), value);
    int name = which == PS__IPOPT_TTL         ? IPV6_UNICAST_HOPS
               : which == PS__IPOPT_MCAST_TTL ? IPV6_MULTICAST_HOPS
                                              : IPV6_MULTICAST_LOOP;
    int rc = set_int(s, IPPROTO_IPV6, name, value);
    if (rc == 0) {
        /* The IPv4 traffic of a dual-stack socket; Windows takes IPv4
         * options on IPv6 sockets, but a refusal is no failure here. */
        int saved = ps_native_error();
        (void)set_int(s, IPPROTO_IP, ipv4_name(which), value);
        ps__keep_native(0, saved);
    }
    return rc;
}

/* Wine answers a drop of a group the socket never joined with WSAEINVAL
 * (Linux: EADDRNOTAVAIL). The arguments were checked before (a multicast
 * group, a known interface), so on a leave WSAEINVAL means "not joined";
 * the native code stays recorded as it was. */
static int membership_result(int rc, int join)
{
    if (!join && rc == PS_EINVAL && ps_native_error() == WSAEINVAL)
        return PS_EADDRNOTAVAIL;
    return rc;
}

int ps__group_membership(ps_socket_t s, const ps_addr *group, uint32_t ifindex,
                         int join)
{
    const struct sockaddr *sa = (const struct sockaddr *)(const void *)
                                    group->storage.bytes;
    if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 sin6;
        struct ipv6_mreq m;
        memcpy(&sin6, group->storage.bytes, sizeof sin6);
        memset(&m, 0, sizeof m);
        m.ipv6mr_multiaddr = sin6.sin6_addr;
        m.ipv6mr_interface = ifindex;
        return membership_result(
            set_raw(s, IPPROTO_IPV6,
                    join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP, &m,
                    sizeof m),
            join);
    }
    struct sockaddr_in sin;
    struct ip_mreq m;
    memcpy(&sin, group->storage.bytes, sizeof sin);
    memset(&m, 0, sizeof m);
    m.imr_multiaddr = sin.sin_addr;
    /* Winsock takes an interface index as the address 0.0.0.index (network
     * byte order); 0.0.0.0 is the default interface. */
    m.imr_interface.s_addr = htonl(ifindex);
    return membership_result(
        set_raw(s, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP,
                &m, sizeof m),
        join);
}
