/* SPDX-License-Identifier: MIT */
/* The listener of the libevent echo servers (echo_libevent,
 * echo_libevent_tls): libevent is a benchmark-only dependency. */
#ifndef PS_BENCH_LIBEVENT_LISTEN_H
#define PS_BENCH_LIBEVENT_LISTEN_H

#include <event2/event.h>

/* Listens on 127.0.0.1 at port (0: an ephemeral one) on base; hands each
 * accepted socket (non-blocking, close-on-exec, TCP_NODELAY) to accepted,
 * and prints banner (a printf format taking the port: "port %d\n" for the
 * echo servers) on stdout. 0, or -1 when it cannot listen. One listener
 * per process. */
int bench_ev_listen(struct event_base *base, int port,
                    void (*accepted)(evutil_socket_t fd), const char *banner);

#endif
