/* SPDX-License-Identifier: MIT */
/* Reading socket options back, for tests of the ps_set_* options
 * (sockopt_posix.c, sockopt_win32.c), and a native listen() on a socket
 * made with ps_socket. */
#ifndef PS_TEST_SOCKOPT_SUPPORT_H
#define PS_TEST_SOCKOPT_SUPPORT_H

#include "portsock.h"

/* The option named by its POSIX name ("SO_BROADCAST", "SO_REUSEPORT",
 * "IP_TTL", "IPV6_UNICAST_HOPS", "IP_MULTICAST_TTL", "IP_MULTICAST_LOOP",
 * "IPV6_MULTICAST_HOPS", "IPV6_MULTICAST_LOOP"; "SO_LINGER" gives the
 * seconds, or -1 while linger is off) into *value. 0, -1 for a name this
 * platform does not have, else the native error number. */
int pst_getsockopt_int(ps_socket_t s, const char *name, int *value);

/* listen() on a bound stream socket: 0 or the native error number. */
int pst_native_listen(ps_socket_t s);

/* The loopback interface's name ("lo", "lo0"); NULL on Windows. */
const char *pst_loopback_ifname(void);

/* A receive buffer of at least bytes where it can be had: SO_RCVBUFFORCE
 * (Linux, as root: past net.core.rmem_max), else SO_RCVBUF. Returns the
 * size the system reports afterwards (Linux: twice what was set), or -1. */
int pst_force_rcvbuf(ps_socket_t s, int bytes);

/* Turns off the UDP checksum of s's sends (Linux SO_NO_CHECK), which
 * makes the kernel refuse a UDP_SEGMENT send (EINVAL) as a device that
 * cannot checksum does (EIO): 0, or -1 where there is no such option. */
int pst_udp_no_checksum(ps_socket_t s);

#endif
