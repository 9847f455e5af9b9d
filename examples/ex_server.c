/* SPDX-License-Identifier: MIT */
#include "ex_server.h"

#include <stdio.h>
#include <string.h>

int ex_listen_announce(const char *host, const char *port, ps_socket_t *out)
{
    ps_addr local;
    char text[PS_ADDRSTRLEN];
    if (host && strcmp(host, "*") == 0)
        host = NULL;
    int r = ps_listen(out, host, port, 0);
    if (r != 0) {
        fprintf(stderr, "listen: %s (%s)\n", ps_strerror(r), ps_errname(r));
        return 1;
    }
    if (ps_local_addr(*out, &local) != 0 ||
        ps_addr_format(&local, text, sizeof text) != 0) {
        fprintf(stderr, "cannot read the bound address\n");
        ps_close(*out);
        *out = PS_INVALID_SOCKET;
        return 1;
    }
    printf("listening on %s\n", text);
    fflush(stdout); /* scripts wait for this line to learn the port */
    return 0;
}

const char *ex_echo_flush(ex_echo *e)
{
    size_t sent = 0;
    int r = ps_send(e->s, e->buf + e->off, e->len - e->off, &sent, 0);
    e->off += sent;
    e->echoed += sent;
    if (r != 0 && r != PS_EWOULDBLOCK)
        return ps_errname(r);
    if (e->off == e->len)
        e->off = e->len = 0;
    return NULL;
}

const char *ex_echo_read(ex_echo *e)
{
    size_t got = 0;
    int r = ps_recv(e->s, e->buf, EX_ECHO_BUF, &got, 0);
    if (r == PS_EWOULDBLOCK)
        return NULL;
    if (r != 0)
        return ps_errname(r); /* e.g. a reset: drop this one only */
    if (got == 0)
        return "closed"; /* all it sent has been echoed: buf was empty */
    e->len = got;
    e->off = 0;
    return ex_echo_flush(e);
}
