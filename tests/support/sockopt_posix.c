/* SPDX-License-Identifier: MIT */
/* POSIX: see sockopt_support.h. */
#include "sockopt_support.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

int pst_getsockopt_int(ps_socket_t s, const char *name, int *value)
{
    int level, opt, v = 0;
    socklen_t len = sizeof v;
    if (strcmp(name, "SO_LINGER") == 0) {
        struct linger l;
        len = sizeof l;
        if (getsockopt(s, SOL_SOCKET, SO_LINGER, &l, &len) != 0)
            return errno;
        *value = l.l_onoff ? l.l_linger : -1;
        return 0;
    }
    if (strcmp(name, "SO_BROADCAST") == 0)
        level = SOL_SOCKET, opt = SO_BROADCAST;
#ifdef SO_REUSEPORT
    else if (strcmp(name, "SO_REUSEPORT") == 0)
        level = SOL_SOCKET, opt = SO_REUSEPORT;
#endif
    else if (strcmp(name, "IP_TTL") == 0)
        level = IPPROTO_IP, opt = IP_TTL;
    else if (strcmp(name, "IPV6_UNICAST_HOPS") == 0)
        level = IPPROTO_IPV6, opt = IPV6_UNICAST_HOPS;
    else if (strcmp(name, "IPV6_MULTICAST_HOPS") == 0)
        level = IPPROTO_IPV6, opt = IPV6_MULTICAST_HOPS;
    else if (strcmp(name, "IPV6_MULTICAST_LOOP") == 0)
        level = IPPROTO_IPV6, opt = IPV6_MULTICAST_LOOP;
    else if (strcmp(name, "IP_MULTICAST_TTL") == 0 ||
             strcmp(name, "IP_MULTICAST_LOOP") == 0) {
        /* An unsigned char on the BSDs; Linux answers in that size too. */
        unsigned char c = 0;
        len = sizeof c;
        opt = name[13] == 'T' ? IP_MULTICAST_TTL : IP_MULTICAST_LOOP;
        if (getsockopt(s, IPPROTO_IP, opt, &c, &len) != 0)
            return errno;
        *value = c;
        return 0;
    } else
        return -1;
    if (getsockopt(s, level, opt, &v, &len) != 0)
        return errno;
    *value = v;
    return 0;
}

int pst_native_listen(ps_socket_t s)
{
    return listen(s, 16) == 0 ? 0 : errno;
}

const char *pst_loopback_ifname(void)
{
#ifdef __linux__
    return "lo";
#else
    return "lo0";
#endif
}

int pst_force_rcvbuf(ps_socket_t s, int bytes)
{
    int v = 0;
    socklen_t len = sizeof v;
#ifdef SO_RCVBUFFORCE
    if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
#endif
        (void)setsockopt(s, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    if (getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len) != 0)
        return -1;
    return v;
}

int pst_udp_no_checksum(ps_socket_t s)
{
#ifdef SO_NO_CHECK
    int on = 1;
    return setsockopt(s, SOL_SOCKET, SO_NO_CHECK, &on, sizeof on) == 0 ? 0 : -1;
#else
    (void)s;
    return -1;
#endif
}
