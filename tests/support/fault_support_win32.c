/* SPDX-License-Identifier: MIT */
/* Fault injection on Windows (MinGW-w64, also under Wine). See
 * fault_support.h. */
#include "fault_support.h"

#include <winsock2.h>
#include <windows.h>

int pst_storm_start(long period_us)
{
    (void)period_us;
    return -1; /* no signals */
}

long pst_storm_count(void)
{
    return 0;
}

long pst_storm_stop(void)
{
    return 0;
}

int pst_linger_reset(ps_socket_t s)
{
    struct linger l;
    l.l_onoff = 1;
    l.l_linger = 0;
    return setsockopt((SOCKET)s, SOL_SOCKET, SO_LINGER, (const char *)&l,
                      sizeof l) == 0
               ? 0
               : -1;
}

long pst_unread_bytes(ps_socket_t s)
{
    u_long n = 0;
    return ioctlsocket((SOCKET)s, FIONREAD, &n) == 0 ? (long)n : -1;
}

long pst_unsent_bytes(ps_socket_t s)
{
    (void)s;
    return -1; /* Winsock does not tell */
}

long pst_fd_limit_spare(int spare)
{
    (void)spare;
    return -1; /* no RLIMIT_NOFILE for sockets */
}
