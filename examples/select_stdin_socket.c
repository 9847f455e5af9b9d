/* SPDX-License-Identifier: MIT */
/* Waits on standard input and a socket at once and copies each way:
 *   select_stdin_socket HOST PORT
 * Standard input goes to the socket (half-closed at end of input); what the
 * socket sends goes to standard output; the program ends when the peer
 * closes. With Windows' own select() this cannot be written: it takes
 * sockets only. ps_select takes both, on every platform, and
 * ps_item_read / ps_item_write read and write standard input and output
 * the same way everywhere (binary on Windows; a console line only once it
 * is complete, as on a POSIX terminal), without blocking after READ. */
#include <stdio.h>
#include <string.h>

#include "portsock.h"

/* ps_item_write may take part of the bytes, as write() does. */
static int write_all(const ps_pollitem *out, const char *p, size_t len)
{
    while (len > 0) {
        size_t sent = 0;
        int r = ps_item_write(out, p, len, &sent);
        if (r != 0) {
            fprintf(stderr, "stdout: %s\n", ps_strerror(r));
            return -1;
        }
        p += sent;
        len -= sent;
    }
    return 0;
}

int main(int argc, char **argv)
{
    ps_socket_t s;
    char buf[16384];
    int r;
    if (argc != 3) {
        fprintf(stderr, "usage: %s HOST PORT\n", argv[0]);
        return 2;
    }
    r = ps_connect(&s, argv[1], argv[2], 10000);
    if (r != 0) {
        fprintf(stderr, "connect: %s (%s)\n", ps_strerror(r), ps_errname(r));
        return 1;
    }

    ps_pollitem items[2];
    memset(items, 0, sizeof items);
    items[0].kind = PS_KIND_FD;
    items[0].fd = 0;
    items[0].events = PS_POLL_READ;
    items[1].kind = PS_KIND_SOCKET;
    items[1].sock = s;
    items[1].events = PS_POLL_READ;
    size_t nitems = 2;
    ps_pollitem out;
    memset(&out, 0, sizeof out);
    out.kind = PS_KIND_FD;
    out.fd = 1;
    int status = 0;

    for (;;) {
        r = ps_select(items, nitems, -1);
        if (r < 0) {
            fprintf(stderr, "select: %s\n", ps_strerror(r));
            status = 1;
            break;
        }
        if (nitems == 2 && items[0].revents) {
            size_t n = 0;
            r = ps_item_read(&items[0], buf, sizeof buf, &n);
            if (r != 0) {
                fprintf(stderr, "stdin: %s\n", ps_strerror(r));
                status = 1;
                break;
            }
            if (n > 0) {
                r = ps_send_all(s, buf, n, NULL, 10000);
                if (r != 0) {
                    fprintf(stderr, "send: %s\n", ps_strerror(r));
                    status = 1;
                    break;
                }
            } else {
                /* End of input: tell the peer, keep reading its answer. */
                ps_shutdown(s, PS_SHUT_WR);
                items[0] = items[1];
                nitems = 1;
                continue;
            }
        }
        ps_pollitem *sock_item = &items[nitems - 1];
        if (sock_item->revents) {
            size_t got = 0;
            r = ps_recv(s, buf, sizeof buf, &got, 0);
            if (r == PS_EWOULDBLOCK)
                continue;
            if (r != 0) {
                fprintf(stderr, "recv: %s\n", ps_strerror(r));
                status = 1;
                break;
            }
            if (got == 0)
                break; /* the peer closed */
            if (write_all(&out, buf, got) != 0) {
                status = 1;
                break;
            }
        }
    }
    ps_close(s);
    return status;
}
