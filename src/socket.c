/* SPDX-License-Identifier: MIT */
/* Creating, closing and naming sockets, and socket pairs: the argument
 * checks, shared by every platform; src/posix/socket.c and
 * src/win32/socket.c (pair.c for the pair) do the work. */
#include "internal.h"

int ps_socket(ps_socket_t *out, int family, int type)
{
    if (!out)
        return PS_EINVAL;
    *out = PS_INVALID_SOCKET;
    if (family != PS_AF_INET && family != PS_AF_INET6 && family != PS_AF_UNIX)
        return PS_EINVAL;
    if (type != PS_SOCK_STREAM && type != PS_SOCK_DGRAM)
        return PS_EINVAL;
    return ps__socket_new(family, type, out);
}

int ps_close(ps_socket_t s)
{
    return ps__close(s);
}

int ps_shutdown(ps_socket_t s, int how)
{
    if (how != PS_SHUT_RD && how != PS_SHUT_WR && how != PS_SHUT_RDWR)
        return PS_EINVAL;
    return ps__shutdown(s, how);
}

int ps_socketpair(ps_socket_t pair[2])
{
    if (!pair)
        return PS_EINVAL;
    pair[0] = pair[1] = PS_INVALID_SOCKET;
    return ps__socketpair(pair);
}

int ps_local_addr(ps_socket_t s, ps_addr *out)
{
    return out ? ps__socket_name(s, out, 0) : PS_EINVAL;
}

int ps_peer_addr(ps_socket_t s, ps_addr *out)
{
    return out ? ps__socket_name(s, out, 1) : PS_EINVAL;
}
