/* SPDX-License-Identifier: MIT */
/* An echo server for many clients on one thread, built on ps_poller:
 *   echo_server [--host HOST] [--max-clients N] [--exit-after N]
 *               [--stdin-quit] [--sndbuf BYTES] PORT
 * Every byte a client sends comes back to it. A slow reader never blocks the
 * others: each client has a buffer of bytes not yet echoed; while it holds
 * any, the server waits for PS_POLL_WRITE on that client and stops reading
 * from it (so a client that sends without reading is throttled by TCP, not
 * by the server's memory).
 *
 * Every socket is registered once; the poller hands back each ready one's
 * data pointer (its client record), so a round costs the same with 10
 * clients or 10,000: nothing is scanned. Level-triggered: a client that is
 * still ready after one read is simply reported again. A client is removed
 * from the poller before its socket is closed, so a new socket that reuses
 * the number can never be reported under the old record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ex_opts.h"
#include "ex_server.h"
#include "portsock.h"

enum { DEFAULT_MAX_CLIENTS = 64, MAX_MAX_CLIENTS = 100000 };
enum { EVENTS_PER_WAIT = 256, ACCEPTS_PER_ROUND = 64 };

typedef struct client {
    ex_echo io;
    char name[PS_ADDRSTRLEN];
    unsigned waiting_for;     /* registered: PS_POLL_READ or PS_POLL_WRITE */
    struct client *prev, *next; /* every client, for the shutdown */
} client;

typedef struct server {
    ps_poller *poller;
    client *clients;
    long nclients;
} server;

/* The data pointers of the two items that are not clients. */
static char listener_tag, stdin_tag;

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [options] PORT\n"
            "Echoes every byte back to each client, one thread, ps_poller.\n"
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

static ps_pollitem socket_item(ps_socket_t s, unsigned events)
{
    ps_pollitem it;
    memset(&it, 0, sizeof it);
    it.kind = PS_KIND_SOCKET;
    it.sock = s;
    it.events = events;
    return it;
}

/* Remove before close: once closed, the number may be reused at once. */
static void drop_client(server *sv, client *c, const char *why)
{
    fprintf(stderr, "%s: %llu bytes echoed, %s\n", c->name, c->io.echoed, why);
    ps_pollitem it = socket_item(c->io.s, 0);
    if (c->waiting_for)
        ps_poller_remove(sv->poller, &it);
    ps_close(c->io.s);
    if (c->prev)
        c->prev->next = c->next;
    else
        sv->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    sv->nclients--;
    free(c->io.buf);
    free(c);
}

/* One readiness event for a client. Returns 1 when the client is gone
 * (finished or failed), 0 otherwise. */
static int serve_client(server *sv, client *c)
{
    const char *why =
        c->io.len > 0 ? ex_echo_flush(&c->io) : ex_echo_read(&c->io);
    unsigned want = c->io.len > 0 ? PS_POLL_WRITE : PS_POLL_READ;
    if (!why && want != c->waiting_for) {
        ps_pollitem it = socket_item(c->io.s, want);
        int r = ps_poller_modify(sv->poller, &it, c);
        if (r != 0)
            why = ps_errname(r);
        else
            c->waiting_for = want;
    }
    if (!why)
        return 0;
    drop_client(sv, c, why);
    return 1;
}

/* Takes the pending connections, a bounded number per round so busy
 * clients are not starved by a flood of connections. */
static void accept_clients(server *sv, ps_socket_t listener, long max_clients,
                           long sndbuf)
{
    for (int k = 0; k < ACCEPTS_PER_ROUND; k++) {
        ps_socket_t s;
        ps_addr peer;
        int r = ps_accept(listener, &s, &peer, 0);
        if (r == PS_EWOULDBLOCK)
            return;
        if (r != 0) {
            /* e.g. PS_ECONNABORTED (gone before accepted) or PS_EMFILE: not
             * fatal; pause a little so an out-of-descriptors condition
             * cannot spin. */
            fprintf(stderr, "accept: %s\n", ps_errname(r));
            ps_select(NULL, 0, 50);
            return;
        }
        char name[PS_ADDRSTRLEN];
        if (ps_addr_format(&peer, name, sizeof name) != 0)
            strcpy(name, "(peer)");
        if (sv->nclients >= max_clients) {
            fprintf(stderr, "%s: refused, already %ld clients\n", name,
                    max_clients);
            ps_close(s);
            continue;
        }
        client *c = calloc(1, sizeof *c);
        if (c)
            c->io.buf = malloc(EX_ECHO_BUF);
        if (!c || !c->io.buf) {
            fprintf(stderr, "%s: refused, out of memory\n", name);
            free(c);
            ps_close(s);
            continue;
        }
        memcpy(c->name, name, sizeof name);
        c->io.s = s;
        c->next = sv->clients;
        if (sv->clients)
            sv->clients->prev = c;
        sv->clients = c;
        sv->nclients++;
        ps_pollitem it = socket_item(s, PS_POLL_READ);
        if (ps_set_nonblocking(s, 1) != 0 ||
            (sndbuf && ps_set_buffer_sizes(s, (int)sndbuf, 0) != 0) ||
            ps_poller_add(sv->poller, &it, c) != 0) {
            drop_client(sv, c, "out of resources");
            continue;
        }
        c->waiting_for = PS_POLL_READ;
        fprintf(stderr, "%s: connected\n", c->name);
    }
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    const char *port = NULL;
    long max_clients = DEFAULT_MAX_CLIENTS;
    long exit_after = 0;
    int stdin_quit = 0;
    long sndbuf = 0;

    const ex_opt opts[] = {
        {"--host", EX_OPT_TEXT, 0, &host},
        {"--max-clients", EX_OPT_COUNT, MAX_MAX_CLIENTS, &max_clients},
        {"--exit-after", EX_OPT_COUNT, 1000000000L, &exit_after},
        {"--sndbuf", EX_OPT_COUNT, 64L * 1024 * 1024, &sndbuf},
        {"--stdin-quit", EX_OPT_FLAG, 0, &stdin_quit},
    };
    int status = ex_parse_opts(argc, argv, opts, sizeof opts / sizeof opts[0],
                               &port, usage);
    if (status >= 0)
        return status;
    ps_socket_t listener;
    if (ex_listen_announce(host, port, &listener) != 0)
        return 1;

    server sv = {NULL, NULL, 0};
    int r = ps_poller_open(&sv.poller);
    ps_pollitem lit = socket_item(listener, PS_POLL_READ);
    if (r == 0)
        r = ps_poller_add(sv.poller, &lit, &listener_tag);
    ps_pollitem sit;
    memset(&sit, 0, sizeof sit);
    sit.kind = PS_KIND_FD;
    sit.fd = 0;
    sit.events = PS_POLL_READ;
    if (r == 0 && stdin_quit)
        r = ps_poller_add(sv.poller, &sit, &stdin_tag);
    if (r != 0) {
        fprintf(stderr, "poller: %s (%s)\n", ps_strerror(r), ps_errname(r));
        ps_poller_close(sv.poller);
        ps_close(listener);
        return 1;
    }

    long finished = 0;
    status = 0;
    const char *why_exit = NULL;
    ps_event events[EVENTS_PER_WAIT];

    while (!why_exit) {
        int n = ps_poller_wait(sv.poller, events, EVENTS_PER_WAIT, -1);
        if (n < 0) {
            fprintf(stderr, "poller: %s\n", ps_strerror(n));
            status = 1;
            break;
        }
        /* Clients first; new connections after, so a record freed in this
         * round can never be confused with one made in it. */
        int listener_ready = 0, stdin_ready = 0;
        for (int i = 0; i < n; i++) {
            if (events[i].data == &listener_tag)
                listener_ready = 1;
            else if (events[i].data == &stdin_tag)
                stdin_ready = 1;
            else if (serve_client(&sv, events[i].data))
                finished++;
        }
        if (listener_ready)
            accept_clients(&sv, listener, max_clients, sndbuf);
        if (stdin_ready) {
            char junk[512];
            size_t got = 0;
            /* Any input is ignored; end of file (or an error) means quit. */
            if (ps_item_read(&sit, junk, sizeof junk, &got) != 0 || got == 0)
                why_exit = "standard input closed";
        }
        if (exit_after > 0 && finished >= exit_after)
            why_exit = "--exit-after reached";
    }

    while (sv.clients)
        drop_client(&sv, sv.clients, "server exiting");
    ps_poller_remove(sv.poller, &lit);
    ps_close(listener);
    ps_poller_close(sv.poller);
    fprintf(stderr, "exiting: %s; %ld clients served\n",
            why_exit ? why_exit : "error", finished);
    return status;
}
