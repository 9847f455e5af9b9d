/* SPDX-License-Identifier: MIT */
/* An echo server with one thread per client, the classic way:
 *   threaded_echo [--host HOST] [--max-clients N] [--exit-after N] PORT
 * The main thread accepts; each client gets a thread that loops on
 * ps_recv / ps_send_all with plain blocking calls (bounded by timeouts).
 * portsock calls are safe from several threads on different sockets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ex_thread.h"
#include "ex_opts.h"
#include "ex_server.h"
#include "portsock.h"

enum { DEFAULT_MAX_CLIENTS = 16, MAX_MAX_CLIENTS = 1000 };
enum { POLL_STOP_MS = 200, SEND_TIMEOUT_MS = 30000 };

struct server;

typedef struct slot {
    int used;            /* accept loop: a thread runs or awaits its join */
    int done;            /* set by the client thread, under the lock */
    ex_thread *thread;
    ps_socket_t s;
    char name[PS_ADDRSTRLEN];
    struct server *srv;
} slot;

typedef struct server {
    ex_mutex *lock;      /* guards stopping, finished and every slot.done */
    int stopping;
    long finished;
} server;

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [options] PORT\n"
            "Echoes every byte back to each client, one thread per client.\n"
            "  --host HOST       address to listen on (default 127.0.0.1;\n"
            "                    \"*\" for every interface, IPv6 and IPv4)\n"
            "  --max-clients N   at most N clients at once (default %d,\n"
            "                    at most %d); one more is accepted and closed\n"
            "                    at once\n"
            "  --exit-after N    once N clients have disconnected: stop\n"
            "                    accepting, close the listener, let the\n"
            "                    clients still connected finish (an idle one\n"
            "                    is closed), join their threads, exit 0\n"
            "PORT 0 picks a free port. The first line on standard output is\n"
            "\"listening on ADDRESS:PORT\"; the log goes to standard error.\n"
            "A client that reads nothing for %d s while the server sends is\n"
            "dropped.\n",
            prog, DEFAULT_MAX_CLIENTS, MAX_MAX_CLIENTS, SEND_TIMEOUT_MS / 1000);
}

static int is_stopping(server *srv)
{
    ex_mutex_lock(srv->lock);
    int stop = srv->stopping;
    ex_mutex_unlock(srv->lock);
    return stop;
}

static void client_main(void *arg)
{
    slot *sl = arg;
    unsigned char buf[16384];
    unsigned long long echoed = 0;
    const char *why = "closed";
    for (;;) {
        size_t got = 0, sent = 0;
        /* A timed receive, so the thread notices a shutdown while idle. */
        int r = ps_recv(sl->s, buf, sizeof buf, &got, POLL_STOP_MS);
        if (r == PS_ETIMEDOUT) {
            if (is_stopping(sl->srv)) {
                why = "idle at shutdown";
                break;
            }
            continue;
        }
        if (r != 0) {
            why = ps_errname(r);
            break;
        }
        if (got == 0)
            break; /* orderly end of its stream */
        r = ps_send_all(sl->s, buf, got, &sent, SEND_TIMEOUT_MS);
        echoed += sent;
        if (r != 0) {
            why = ps_errname(r);
            break;
        }
    }
    fprintf(stderr, "%s: %llu bytes echoed, %s\n", sl->name, echoed, why);
    ps_close(sl->s);
    ex_mutex_lock(sl->srv->lock);
    sl->done = 1;
    sl->srv->finished++;
    ex_mutex_unlock(sl->srv->lock);
}

/* Joins the threads that have finished, freeing their slots. */
static void reap(server *srv, slot *slots, long nslots)
{
    for (long i = 0; i < nslots; i++) {
        if (!slots[i].used)
            continue;
        ex_mutex_lock(srv->lock);
        int done = slots[i].done;
        ex_mutex_unlock(srv->lock);
        if (done) {
            ex_thread_join(slots[i].thread);
            slots[i].used = 0;
        }
    }
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    const char *port = NULL;
    long max_clients = DEFAULT_MAX_CLIENTS;
    long exit_after = 0;

    const ex_opt opts[] = {
        {"--host", EX_OPT_TEXT, 0, &host},
        {"--max-clients", EX_OPT_COUNT, MAX_MAX_CLIENTS, &max_clients},
        {"--exit-after", EX_OPT_COUNT, 1000000000L, &exit_after},
    };
    int status = ex_parse_opts(argc, argv, opts, sizeof opts / sizeof opts[0],
                               &port, usage);
    if (status >= 0)
        return status;
    ps_socket_t listener;
    if (ex_listen_announce(host, port, &listener) != 0)
        return 1;

    server srv = {NULL, 0, 0};
    slot *slots = calloc((size_t)max_clients, sizeof *slots);
    if (!slots || ex_mutex_create(&srv.lock) != 0) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }

    for (;;) {
        reap(&srv, slots, max_clients);
        if (exit_after > 0) {
            ex_mutex_lock(srv.lock);
            long finished = srv.finished;
            ex_mutex_unlock(srv.lock);
            if (finished >= exit_after)
                break;
        }
        /* A timed accept, so the loop sees finished clients without a
         * connection arriving. */
        ps_socket_t s;
        ps_addr peer;
        int r = ps_accept(listener, &s, &peer, POLL_STOP_MS);
        if (r == PS_ETIMEDOUT)
            continue;
        if (r != 0) {
            /* e.g. PS_ECONNABORTED or PS_EMFILE: not fatal; pause so an
             * out-of-descriptors condition cannot spin. */
            fprintf(stderr, "accept: %s\n", ps_errname(r));
            ps_select(NULL, 0, 50);
            continue;
        }
        char name[PS_ADDRSTRLEN];
        if (ps_addr_format(&peer, name, sizeof name) != 0)
            strcpy(name, "(peer)");
        slot *sl = NULL;
        for (long i = 0; i < max_clients && !sl; i++) {
            if (!slots[i].used)
                sl = &slots[i];
        }
        if (!sl) {
            fprintf(stderr, "%s: refused, already %ld clients\n", name,
                    max_clients);
            ps_close(s);
            continue;
        }
        sl->used = 1;
        sl->done = 0;
        sl->s = s;
        sl->srv = &srv;
        memcpy(sl->name, name, sizeof name);
        /* Logged before the thread starts, so it comes before its end. */
        fprintf(stderr, "%s: connected\n", name);
        if (ex_thread_start(&sl->thread, client_main, sl) != 0) {
            fprintf(stderr, "%s: cannot start a thread\n", name);
            ps_close(s);
            sl->used = 0;
        }
    }

    /* Closed first, so new connections are refused instead of waiting in
     * the backlog while we wait for the clients still connected. */
    ps_close(listener);
    ex_mutex_lock(srv.lock);
    srv.stopping = 1;
    ex_mutex_unlock(srv.lock);
    for (long i = 0; i < max_clients; i++) {
        if (slots[i].used)
            ex_thread_join(slots[i].thread);
    }
    fprintf(stderr, "exiting: %ld clients served\n", srv.finished);
    ex_mutex_destroy(srv.lock);
    free(slots);
    return 0;
}
