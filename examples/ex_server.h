/* SPDX-License-Identifier: MIT */
/* Shared by the example servers: listening, announcing the bound address,
 * and echoing (their command line: ex_opts.h). */
#ifndef PS_EXAMPLE_SERVER_H
#define PS_EXAMPLE_SERVER_H

#include "portsock.h"

/* ps_listen on host/port ("*": every interface, IPv6 and IPv4), then prints
 * "listening on ADDR:PORT" as the first line of standard output, flushed,
 * so scripts can use port 0 and read the port chosen. Returns 0, or 1 after
 * printing the error on stderr. */
int ex_listen_announce(const char *host, const char *port, ps_socket_t *out);

/* One echo client's socket and buffer: what was read, and how much of it
 * went back. The socket is non-blocking. */
enum { EX_ECHO_BUF = 64 * 1024 };
typedef struct ex_echo {
    ps_socket_t s;
    unsigned char *buf;       /* EX_ECHO_BUF bytes */
    size_t len;               /* bytes in buf */
    size_t off;               /* of those, how many are already echoed */
    unsigned long long echoed;
} ex_echo;

/* Sends what the buffer still holds, without waiting. NULL: keep the
 * client; otherwise why it must go. */
const char *ex_echo_flush(ex_echo *e);
/* Reads into the (empty) buffer without waiting, then echoes at once:
 * usually the socket can take it now, which saves a trip through the
 * poller. NULL or why the client must go ("closed" at end of stream). */
const char *ex_echo_read(ex_echo *e);

#endif
