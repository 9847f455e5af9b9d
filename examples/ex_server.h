/* Shared by the example servers: option values, listening, and announcing
 * the bound address. */
#ifndef PS_EXAMPLE_SERVER_H
#define PS_EXAMPLE_SERVER_H

#include "portsock.h"

/* A count in [1, max]; -1 if the text is not one. */
long ex_parse_count(const char *text, long max);

/* ps_listen on host/port ("*": every interface, IPv6 and IPv4), then prints
 * "listening on ADDR:PORT" as the first line of standard output, flushed,
 * so scripts can use port 0 and read the port chosen. Returns 0, or 1 after
 * printing the error on stderr. */
int ex_listen_announce(const char *host, const char *port, ps_socket_t *out);

#endif
