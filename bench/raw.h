/* The raw system calls the benchmark compares portsock with (raw_posix.c,
 * raw_win32.c): the same work written directly against the platform. */
#ifndef PS_BENCH_RAW_H
#define PS_BENCH_RAW_H

#include <stddef.h>
#include <stdint.h>

#include "portsock.h"

long raw_send(ps_socket_t s, const void *buf, size_t len);
long raw_recv(ps_socket_t s, void *buf, size_t len);
/* Waits for readability on n sockets, like ps_select with PS_POLL_READ on
 * each; returns how many are ready. Any set-up it needs is timed too. */
int raw_wait_readable(const ps_socket_t *socks, size_t n, int timeout_ms);
/* Monotonic nanoseconds. */
int64_t raw_now_ns(void);

#endif
