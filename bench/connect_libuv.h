/* SPDX-License-Identifier: MIT */
/* bench_connector's libuv way (connect_libuv.c, built where libuv is):
 * uv_getaddrinfo on libuv's thread pool, then uv_tcp_connect, one after
 * another for ms milliseconds, in a uv loop that also accepts on listener
 * and bounces a byte over pair, recording each round trip in rtt (in
 * microseconds, at most cap). */
#ifndef PS_BENCH_CONNECT_LIBUV_H
#define PS_BENCH_CONNECT_LIBUV_H

#include <stddef.h>

#include "portsock.h"

/* 0, or -1 with a line on stderr. *connects and *nrtt are the counts;
 * *secs the time the round took. */
int connect_libuv_round(const char *host, const char *port, int ms,
                        ps_socket_t listener, const ps_socket_t pair[2],
                        double *rtt, size_t cap, size_t *nrtt, long *connects,
                        double *secs);

#endif
