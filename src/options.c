/* SPDX-License-Identifier: MIT */
/* Socket options, blocking mode and the pending error: the argument
 * checks, shared by every platform; src/posix/options.c and
 * src/win32/options.c set the options (nbmode.c the mode). */
#include "internal.h"

static int check_flag(ps_socket_t s, int on)
{
    if (on != 0 && on != 1)
        return PS_EINVAL;
    return ps__check_socket(s);
}

/* The basic options below leave the check of s to the platform, which
 * records the system's own answer for what is no socket. */

int ps_set_nonblocking(ps_socket_t s, int on)
{
    if (on != 0 && on != 1)
        return PS_EINVAL;
    return ps__set_nonblocking(s, on);
}

int ps_set_nodelay(ps_socket_t s, int on)
{
    if (on != 0 && on != 1)
        return PS_EINVAL;
    return ps__set_socket_option(s, PS__SOCKOPT_NODELAY, on);
}

int ps_set_keepalive(ps_socket_t s, int on)
{
    if (on != 0 && on != 1)
        return PS_EINVAL;
    return ps__set_socket_option(s, PS__SOCKOPT_KEEPALIVE, on);
}

int ps_set_buffer_sizes(ps_socket_t s, int sndbuf, int rcvbuf)
{
    int r = 0;
    /* Both checked before either is changed. */
    if (sndbuf < 0 || rcvbuf < 0)
        return PS_EINVAL;
    /* Nothing to set, but what is no socket is still an error. */
    if (sndbuf == 0 && rcvbuf == 0)
        return ps__socket_probe(s);
    if (sndbuf > 0)
        r = ps__set_socket_option(s, PS__SOCKOPT_SNDBUF, sndbuf);
    if (r == 0 && rcvbuf > 0)
        r = ps__set_socket_option(s, PS__SOCKOPT_RCVBUF, rcvbuf);
    return r;
}

int ps_socket_error(ps_socket_t s)
{
    return ps__socket_error(s);
}

int ps_set_linger(ps_socket_t s, int on, int seconds)
{
    /* Windows keeps the time in an unsigned short. */
    if (seconds < 0 || seconds > 65535)
        return PS_EINVAL;
    int r = check_flag(s, on);
    return r != 0 ? r : ps__set_linger(s, on, seconds);
}

int ps_close_abort(ps_socket_t s)
{
    int r = ps__check_socket(s);
    if (r != 0)
        return r;
    /* The socket is closed whatever the linger option said, as ps_close
     * would; its error comes first. What is no socket stays open: then
     * both calls say PS_EBADF. */
    r = ps__set_linger(s, 1, 0);
    int c = ps_close(s);
    return r != 0 ? r : c;
}

int ps_set_reuseport(ps_socket_t s, int on)
{
    int r = check_flag(s, on);
    return r != 0 ? r : ps__set_reuseport(s, on);
}

int ps_set_broadcast(ps_socket_t s, int on)
{
    int r = check_flag(s, on);
    return r != 0 ? r : ps__set_broadcast(s, on);
}

int ps__ip_family(ps_socket_t s, int *family)
{
    int r = ps__check_socket(s);
    if (r == 0)
        r = ps__socket_family(s, family);
    if (r == 0 && *family != PS_AF_INET && *family != PS_AF_INET6)
        r = PS_EAFNOSUPPORT;
    return r;
}

static int set_ip(ps_socket_t s, int which, int value)
{
    int family;
    int r = ps__ip_family(s, &family);
    return r != 0 ? r : ps__set_ip_option(s, family, which, value);
}

int ps_set_ttl(ps_socket_t s, int hops)
{
    if (hops < 1 || hops > 255)
        return PS_EINVAL;
    return set_ip(s, PS__IPOPT_TTL, hops);
}

int ps_set_multicast_ttl(ps_socket_t s, int hops)
{
    /* 0 is meaningful here: the datagrams stay on this host. */
    if (hops < 0 || hops > 255)
        return PS_EINVAL;
    return set_ip(s, PS__IPOPT_MCAST_TTL, hops);
}

int ps_set_multicast_loop(ps_socket_t s, int on)
{
    if (on != 0 && on != 1)
        return PS_EINVAL;
    return set_ip(s, PS__IPOPT_MCAST_LOOP, on);
}

static int is_multicast(const ps__endpoint *ep)
{
    if (ep->family == PS_AF_INET)
        return (ep->ip[0] & 0xF0) == 0xE0;                 /* 224.0.0.0/4 */
    return ep->family == PS_AF_INET6 && ep->ip[0] == 0xFF; /* ff00::/8 */
}

static int membership(ps_socket_t s, const ps_addr *group, const char *ifname,
                      int join)
{
    ps__endpoint ep;
    uint32_t ifindex = 0;
    int family;
    if (!group || ps__addr_decode(group, &ep) != 0 || !is_multicast(&ep) ||
        (ifname && ifname[0] == '\0'))
        return PS_EINVAL;
    int r = ps__ip_family(s, &family);
    if (r != 0)
        return r;
    /* An IPv6 socket takes an IPv4 group for its IPv4 traffic, where the
     * system allows it; an IPv4 socket never takes an IPv6 group. */
    if (family == PS_AF_INET && ep.family == PS_AF_INET6)
        return PS_EAFNOSUPPORT;
    if (ifname && (r = ps__if_name_to_index(ifname, &ifindex)) != 0)
        return r;
    return ps__group_membership(s, group, ifindex, join);
}

int ps_join_group(ps_socket_t s, const ps_addr *group, const char *ifname)
{
    return membership(s, group, ifname, 1);
}

int ps_leave_group(ps_socket_t s, const ps_addr *group, const char *ifname)
{
    return membership(s, group, ifname, 0);
}
