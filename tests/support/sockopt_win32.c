/* SPDX-License-Identifier: MIT */
/* Windows: see sockopt_support.h. */
#include <winsock2.h>
#include <ws2tcpip.h>

#include <string.h>

#include "sockopt_support.h"

int pst_getsockopt_int(ps_socket_t s, const char *name, int *value)
{
    int level, opt;
    DWORD v = 0;
    int len = sizeof v;
    if (strcmp(name, "SO_LINGER") == 0) {
        struct linger l;
        len = sizeof l;
        if (getsockopt((SOCKET)s, SOL_SOCKET, SO_LINGER, (char *)&l, &len) != 0)
            return WSAGetLastError();
        *value = l.l_onoff ? (int)l.l_linger : -1;
        return 0;
    }
    if (strcmp(name, "SO_BROADCAST") == 0)
        level = SOL_SOCKET, opt = SO_BROADCAST;
    else if (strcmp(name, "IP_TTL") == 0)
        level = IPPROTO_IP, opt = IP_TTL;
    else if (strcmp(name, "IPV6_UNICAST_HOPS") == 0)
        level = IPPROTO_IPV6, opt = IPV6_UNICAST_HOPS;
    else if (strcmp(name, "IPV6_MULTICAST_HOPS") == 0)
        level = IPPROTO_IPV6, opt = IPV6_MULTICAST_HOPS;
    else if (strcmp(name, "IPV6_MULTICAST_LOOP") == 0)
        level = IPPROTO_IPV6, opt = IPV6_MULTICAST_LOOP;
    else if (strcmp(name, "IP_MULTICAST_TTL") == 0)
        level = IPPROTO_IP, opt = IP_MULTICAST_TTL;
    else if (strcmp(name, "IP_MULTICAST_LOOP") == 0)
        level = IPPROTO_IP, opt = IP_MULTICAST_LOOP;
    else
        return -1; /* SO_REUSEPORT among them */
    if (getsockopt((SOCKET)s, level, opt, (char *)&v, &len) != 0)
        return WSAGetLastError();
    /* Some options answer in fewer bytes (a BOOL as one byte). */
    *value = len == 1 ? (int)(v & 0xFF) : (int)v;
    return 0;
}

int pst_native_listen(ps_socket_t s)
{
    return listen((SOCKET)s, 16) == 0 ? 0 : WSAGetLastError();
}

const char *pst_loopback_ifname(void)
{
    return NULL;
}

int pst_force_rcvbuf(ps_socket_t s, int bytes)
{
    int v = 0, len = sizeof v;
    (void)setsockopt((SOCKET)s, SOL_SOCKET, SO_RCVBUF, (const char *)&bytes,
                     sizeof bytes);
    if (getsockopt((SOCKET)s, SOL_SOCKET, SO_RCVBUF, (char *)&v, &len) != 0)
        return -1;
    return v;
}

int pst_udp_no_checksum(ps_socket_t s)
{
    (void)s;
    return -1;
}
