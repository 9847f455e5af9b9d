/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the benchmark programs, written once against the
 * public API. */
#ifndef PS_BENCH_COMMON_H
#define PS_BENCH_COMMON_H

#include <stddef.h>

#include "portsock.h"

/* The port a bound socket listens on, as text for ps_connect ("0" and -1
 * when it cannot be read). */
int bench_port_text(ps_socket_t s, char *buf, size_t cap);
/* A connected loopback TCP pair over 127.0.0.1 (listener, connect, accept);
 * 0 or a PS_E* code. */
int bench_tcp_pair(ps_socket_t *client, ps_socket_t *server);
/* Sends / receives exactly len bytes with the raw calls of raw.h; 0 or -1
 * (error or end of stream). */
int bench_raw_send_all(ps_socket_t s, const void *buf, size_t len);
int bench_raw_recv_all(ps_socket_t s, void *buf, size_t len);
/* Median of n values (sorts them); 0 for n == 0. */
double bench_median(double *v, size_t n);
/* An echo server's loop on poller: watches the listener l, prints
 * "port N" on stdout, then for ever calls accept_all(l) when l is ready
 * and ready(data, revents) for every other item. A failure exits 1 with
 * "prog: what: reason". */
_Noreturn void bench_poller_serve(const char *prog, ps_poller *poller,
                                  ps_socket_t l,
                                  void (*accept_all)(ps_socket_t l),
                                  void (*ready)(void *data, unsigned revents));

#endif
