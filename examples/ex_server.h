/* Shared by the example servers: listen, then announce the bound address. */
#ifndef PS_EXAMPLE_LISTEN_H
#define PS_EXAMPLE_LISTEN_H

#include "portsock.h"

/* ps_listen on host/port, then prints "listening on ADDR:PORT" as the first
 * line of standard output, flushed, so scripts can use port 0 and read the
 * port chosen. Returns 0, or 1 after printing the error on stderr. */
int ex_listen_announce(const char *host, const char *port, ps_socket_t *out);

#endif
