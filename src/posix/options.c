/* SPDX-License-Identifier: MIT */
/* POSIX: socket options (TCP_NODELAY, keepalive, buffer sizes, linger,
 * port reuse, broadcast, TTL, multicast) and the pending error. */
#include "posix.h"

#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

static int set_opt(ps_socket_t s, int level, int name, const void *value,
                   socklen_t len)
{
    if (setsockopt(s, level, name, value, len) != 0)
        return ps__last_error();
    return 0;
}

int ps__posix_set_int(int fd, int level, int name, int value)
{
    return set_opt(fd, level, name, &value, sizeof value);
}

static int set_int(ps_socket_t s, int level, int name, int value)
{
    return ps__posix_set_int(s, level, name, value);
}

int ps__set_socket_option(ps_socket_t s, int which, int value)
{
    if (s < 0)
        return PS_EBADF;
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
    int err = 0;
    socklen_t len = sizeof err;
    if (s < 0)
        return PS_EBADF;
    if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        return ps__last_error();
    return err == 0 ? 0 : ps__posix_error(err);
}

int ps__socket_family(ps_socket_t s, int *family)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    memset(&ss, 0, sizeof ss);
    /* An unbound socket reports its family with a wildcard address. */
    if (getsockname(s, (struct sockaddr *)&ss, &len) != 0)
        return ps__last_error();
    *family = ss.ss_family == AF_INET    ? PS_AF_INET
              : ss.ss_family == AF_INET6 ? PS_AF_INET6
              : ss.ss_family == AF_UNIX  ? PS_AF_UNIX
                                         : PS_AF_UNSPEC;
    return 0;
}

int ps__set_linger(ps_socket_t s, int on, int seconds)
{
    struct linger l;
    l.l_onoff = on;
    l.l_linger = seconds;
    return set_opt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

int ps__set_reuseport(ps_socket_t s, int on)
{
#ifdef SO_REUSEPORT
    return set_int(s, SOL_SOCKET, SO_REUSEPORT, on);
#else
    int r = ps__socket_probe(s);
    return r != 0 ? r : PS_ENOTSUP;
#endif
}

int ps__set_broadcast(ps_socket_t s, int on)
{
    return set_int(s, SOL_SOCKET, SO_BROADCAST, on);
}

/* The IPv4 multicast options take an unsigned char on the BSDs and macOS;
 * Linux takes that size too. */
static int set_ipv4(ps_socket_t s, int which, int value)
{
    unsigned char c = (unsigned char)value;
    switch (which) {
    case PS__IPOPT_TTL:
        return set_int(s, IPPROTO_IP, IP_TTL, value);
    case PS__IPOPT_MCAST_TTL:
        return set_opt(s, IPPROTO_IP, IP_MULTICAST_TTL, &c, sizeof c);
    default:
        return set_opt(s, IPPROTO_IP, IP_MULTICAST_LOOP, &c, sizeof c);
    }
}

int ps__set_ip_option(ps_socket_t s, int family, int which, int value)
{
    if (family == PS_AF_INET)
        return set_ipv4(s, which, value);
    int name = which == PS__IPOPT_TTL         ? IPV6_UNICAST_HOPS
               : which == PS__IPOPT_MCAST_TTL ? IPV6_MULTICAST_HOPS
                                              : IPV6_MULTICAST_LOOP;
    int r = set_int(s, IPPROTO_IPV6, name, value);
    if (r == 0) {
        /* The IPv4 traffic of a dual-stack socket (Linux takes IPv4
         * options on IPv6 sockets; other systems may refuse them). */
        int saved = ps_native_error();
        (void)set_ipv4(s, which, value);
        ps__keep_native(0, saved);
    }
    return r;
}

int ps__group_membership(ps_socket_t s, const ps_addr *group, uint32_t ifindex,
                         int join)
{
    const struct sockaddr *sa = (const struct sockaddr *)group->storage.bytes;
    if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 sin6;
        struct ipv6_mreq m;
        memcpy(&sin6, group->storage.bytes, sizeof sin6);
        memset(&m, 0, sizeof m);
        m.ipv6mr_multiaddr = sin6.sin6_addr;
        m.ipv6mr_interface = ifindex;
        return set_opt(s, IPPROTO_IPV6,
                       join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &m, sizeof m);
    }
    struct sockaddr_in sin;
    memcpy(&sin, group->storage.bytes, sizeof sin);
    int name = join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP;
    if (ifindex != 0) {
#if defined(__linux__)
        /* ip_mreqn names the interface by index. */
        struct ip_mreqn mn;
        memset(&mn, 0, sizeof mn);
        mn.imr_multiaddr = sin.sin_addr;
        mn.imr_address.s_addr = htonl(INADDR_ANY);
        mn.imr_ifindex = (int)ifindex;
        return set_opt(s, IPPROTO_IP, name, &mn, sizeof mn);
#elif defined(MCAST_JOIN_GROUP)
        /* No ip_mreqn: the protocol-independent form (RFC 3678), which
         * takes an index (macOS 10.7+, the BSDs). */
        struct group_req g;
        memset(&g, 0, sizeof g);
        g.gr_interface = ifindex;
        memcpy(&g.gr_group, &sin, sizeof sin);
        return set_opt(s, IPPROTO_IP,
                       join ? MCAST_JOIN_GROUP : MCAST_LEAVE_GROUP, &g,
                       sizeof g);
#else
        return PS_ENOTSUP;
#endif
    }
    /* No index: ip_mreq everywhere, the same request as an ip_mreqn of
     * index 0, and the form emulators translate (qemu-user 7.2 loses an
     * ip_mreqn's index on 64-bit targets and joins with garbage). */
    struct ip_mreq m;
    memset(&m, 0, sizeof m);
    m.imr_multiaddr = sin.sin_addr;
    m.imr_interface.s_addr = htonl(INADDR_ANY);
    return set_opt(s, IPPROTO_IP, name, &m, sizeof m);
}
