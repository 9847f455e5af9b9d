/* An echo server for many clients on one thread, built on ps_select:
 *   echo_server [--host HOST] [--max-clients N] [--exit-after N]
 *               [--stdin-quit] PORT
 * Every byte a client sends comes back to it. A slow reader never blocks the
 * others: each client has a buffer of bytes not yet echoed; while it holds
 * any, the server waits for PS_POLL_WRITE on that client and stops reading
 * from it (so a client that sends without reading is throttled by TCP, not
 * by the server's memory). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ex_server.h"
#include "portsock.h"
#include "stdin_io.h"

enum { CLIENT_BUF = 64 * 1024, DEFAULT_MAX_CLIENTS = 64, MAX_MAX_CLIENTS = 100000 };

typedef struct client {
    ps_socket_t s;
    char name[PS_ADDRSTRLEN];
    unsigned char *buf;
    size_t len;               /* bytes in buf */
    size_t off;               /* of those, how many are already echoed */
    unsigned long long echoed;
} client;

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [options] PORT\n"
            "Echoes every byte back to each client, one thread, ps_select.\n"
            "  --host HOST       address to listen on (default 127.0.0.1;\n"
            "                    \"*\" for every interface, IPv6 and IPv4)\n"
            "  --max-clients N   serve at most N clients at once (default %d);\n"
            "                    a connection beyond N is accepted and closed\n"
            "                    at once, so the client sees end of stream\n"
            "                    rather than waiting in the backlog\n"
            "  --exit-after N    exit 0 once N served clients have disconnected\n"
            "  --stdin-quit      exit 0 when standard input reaches end of file\n"
            "  --sndbuf BYTES    each client's socket send buffer (a small one\n"
            "                    makes short writes common, for tests)\n"
            "PORT 0 picks a free port. The first line on standard output is\n"
            "\"listening on ADDRESS:PORT\"; the log goes to standard error.\n",
            prog, DEFAULT_MAX_CLIENTS);
}

static void drop_client(client *c, const char *why)
{
    fprintf(stderr, "%s: %llu bytes echoed, %s\n", c->name, c->echoed, why);
    ps_close(c->s);
    free(c->buf);
    c->s = PS_INVALID_SOCKET;
    c->buf = NULL;
}

/* Sends what the buffer still holds, without waiting. 0: keep the client;
 * otherwise it failed and was dropped. */
static int flush_client(client *c)
{
    size_t sent = 0;
    int r = ps_send(c->s, c->buf + c->off, c->len - c->off, &sent, 0);
    c->off += sent;
    c->echoed += sent;
    if (r != 0 && r != PS_EWOULDBLOCK) {
        drop_client(c, ps_errname(r));
        return -1;
    }
    if (c->off == c->len)
        c->off = c->len = 0;
    return 0;
}

/* One readiness event for a client. Returns 1 when the client is gone
 * (finished or failed), 0 otherwise. */
static int serve_client(client *c)
{
    if (c->len > 0) /* we were waiting to write */
        return flush_client(c) != 0;

    size_t got = 0;
    int r = ps_recv(c->s, c->buf, CLIENT_BUF, &got, 0);
    if (r == PS_EWOULDBLOCK)
        return 0;
    if (r != 0) {
        drop_client(c, ps_errname(r)); /* e.g. a reset: drop this one only */
        return 1;
    }
    if (got == 0) {
        /* End of its stream; everything it sent has been echoed, since we
         * only read when the buffer is empty. */
        drop_client(c, "closed");
        return 1;
    }
    c->len = got;
    c->off = 0;
    /* Usually the socket can take it now: saves one trip through select. */
    return flush_client(c) != 0;
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    const char *port = NULL;
    long max_clients = DEFAULT_MAX_CLIENTS;
    long exit_after = 0;
    int stdin_quit = 0;
    long sndbuf = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--host") == 0 && i + 1 < argc) {
            host = argv[++i];
        } else if (strcmp(a, "--max-clients") == 0 && i + 1 < argc) {
            if ((max_clients = ex_parse_count(argv[++i], MAX_MAX_CLIENTS)) < 0) {
                fprintf(stderr, "bad --max-clients: %s\n", argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--exit-after") == 0 && i + 1 < argc) {
            if ((exit_after = ex_parse_count(argv[++i], 1000000000L)) < 0) {
                fprintf(stderr, "bad --exit-after: %s\n", argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--sndbuf") == 0 && i + 1 < argc) {
            if ((sndbuf = ex_parse_count(argv[++i], 64L * 1024 * 1024)) < 0) {
                fprintf(stderr, "bad --sndbuf: %s\n", argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--stdin-quit") == 0) {
            stdin_quit = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(argv[0]);
            return 0;
        } else if (a[0] == '-' && a[1] != '\0') {
            usage(argv[0]);
            return 2;
        } else if (!port) {
            port = a;
        } else {
            usage(argv[0]);
            return 2;
        }
    }
    if (!port) {
        usage(argv[0]);
        return 2;
    }
    ps_socket_t listener;
    int r;
    if (ex_listen_announce(host, port, &listener) != 0)
        return 1;

    client *clients = calloc((size_t)max_clients, sizeof *clients);
    ps_pollitem *items = calloc((size_t)max_clients + 2, sizeof *items);
    if (!clients || !items) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    size_t nclients = 0;
    long finished = 0;
    int status = 0;
    const char *why_exit = NULL;

    while (!why_exit) {
        /* Items: the listener, standard input if asked, then each client,
         * waiting to read, or to write while it has bytes not yet echoed. */
        size_t n = 0;
        memset(items, 0, ((size_t)max_clients + 2) * sizeof *items);
        items[n].kind = PS_KIND_SOCKET;
        items[n].sock = listener;
        items[n++].events = PS_POLL_READ;
        size_t stdin_at = n;
        if (stdin_quit) {
            items[n].kind = PS_KIND_FD;
            items[n].fd = 0;
            items[n++].events = PS_POLL_READ;
        }
        size_t first_client = n;
        for (size_t i = 0; i < nclients; i++) {
            items[n].kind = PS_KIND_SOCKET;
            items[n].sock = clients[i].s;
            items[n++].events = clients[i].len > 0 ? PS_POLL_WRITE : PS_POLL_READ;
        }

        r = ps_select(items, n, -1);
        if (r < 0) {
            fprintf(stderr, "select: %s\n", ps_strerror(r));
            status = 1;
            break;
        }

        for (size_t i = 0; i < nclients; i++) {
            if (items[first_client + i].revents && serve_client(&clients[i]))
                finished++;
        }
        /* Compact the list: gone clients have s == PS_INVALID_SOCKET. */
        size_t kept = 0;
        for (size_t i = 0; i < nclients; i++) {
            if (clients[i].s != PS_INVALID_SOCKET)
                clients[kept++] = clients[i];
        }
        nclients = kept;

        if (items[0].revents) {
            /* Take everything pending, a bounded number per round so busy
             * clients are not starved by a flood of connections. */
            for (int k = 0; k < 64; k++) {
                ps_socket_t s;
                ps_addr peer;
                r = ps_accept(listener, &s, &peer, 0);
                if (r == PS_EWOULDBLOCK)
                    break;
                if (r != 0) {
                    /* e.g. PS_ECONNABORTED (gone before accepted) or
                     * PS_EMFILE: not fatal; pause a little so an
                     * out-of-descriptors condition cannot spin. */
                    fprintf(stderr, "accept: %s\n", ps_errname(r));
                    ps_select(NULL, 0, 50);
                    break;
                }
                char name[PS_ADDRSTRLEN];
                if (ps_addr_format(&peer, name, sizeof name) != 0)
                    strcpy(name, "(peer)");
                if ((long)nclients >= max_clients) {
                    fprintf(stderr, "%s: refused, already %ld clients\n",
                            name, max_clients);
                    ps_close(s);
                    continue;
                }
                client *c = &clients[nclients];
                memcpy(c->name, name, sizeof name);
                c->s = s;
                c->len = c->off = 0;
                c->echoed = 0;
                c->buf = malloc(CLIENT_BUF);
                if (!c->buf || ps_set_nonblocking(s, 1) != 0 ||
                    (sndbuf && ps_set_buffer_sizes(s, (int)sndbuf, 0) != 0)) {
                    drop_client(c, "out of resources");
                    continue;
                }
                fprintf(stderr, "%s: connected\n", c->name);
                nclients++;
            }
        }
        if (stdin_quit && items[stdin_at].revents) {
            char junk[512];
            /* Any input is ignored; end of file (or an error) means quit. */
            if (stdin_read(junk, sizeof junk) <= 0)
                why_exit = "standard input closed";
        }
        if (exit_after > 0 && finished >= exit_after)
            why_exit = "--exit-after reached";
    }

    for (size_t i = 0; i < nclients; i++)
        drop_client(&clients[i], "server exiting");
    ps_close(listener);
    free(clients);
    free(items);
    fprintf(stderr, "exiting: %s; %ld clients served\n",
            why_exit ? why_exit : "error", finished);
    return status;
}
