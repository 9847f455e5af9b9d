/* SPDX-License-Identifier: MIT */
/* An echo server run by a pool of threads sharing one ps_poller:
 *   poller_pool [--host HOST] [--threads N] [--max-clients N]
 *               [--exit-after N] PORT
 * Every socket, the listener included, is registered with PS_POLL_ONESHOT:
 * a ready socket is handed to exactly one waiting thread and then stays
 * disarmed, so that thread owns the client (no lock around its buffer)
 * until it re-arms it with ps_poller_modify. A client's bytes are thus
 * echoed once each and in order, whichever threads serve it.
 *
 * As in echo_server, a client with bytes not yet echoed is armed for
 * PS_POLL_WRITE and not read from, so a slow reader is throttled by TCP
 * and never holds a thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ex_opts.h"
#include "ex_server.h"
#include "ex_thread.h"
#include "portsock.h"

enum { ACCEPTS_PER_ROUND = 64 };
enum { DEFAULT_THREADS = 4, MAX_THREADS = 64 };
enum { DEFAULT_MAX_CLIENTS = 1024, MAX_MAX_CLIENTS = 100000 };

typedef struct client {
    ex_echo io;
    char name[PS_ADDRSTRLEN];
    struct client *prev, *next; /* every client (under the pool's lock) */
} client;

typedef struct pool {
    ps_poller *poller;
    ps_socket_t listener;
    long max_clients;
    long exit_after;
    ex_mutex *lock;          /* guards everything below */
    client *clients;
    long nclients;
    long finished;
    int stopping;
    int status;
    const char *why_exit;
} pool;

typedef struct worker {
    pool *pl;
    ex_thread *thread;
    unsigned long events;    /* events this thread handled */
} worker;

/* The listener's data pointer; every other one is a client. */
static char listener_tag;

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [options] PORT\n"
            "Echoes every byte back to each client; N threads wait on one\n"
            "ps_poller with PS_POLL_ONESHOT.\n"
            "  --host HOST       address to listen on (default 127.0.0.1;\n"
            "                    \"*\" for every interface, IPv6 and IPv4)\n"
            "  --threads N       worker threads (default %d, at most %d)\n"
            "  --max-clients N   serve at most N clients at once (default\n"
            "                    %d); one more is accepted and closed at once\n"
            "  --exit-after N    exit 0 once N served clients have\n"
            "                    disconnected (the others are closed)\n"
            "PORT 0 picks a free port. The first line on standard output is\n"
            "\"listening on ADDRESS:PORT\"; the log goes to standard error,\n"
            "ending with how many events each thread handled.\n",
            prog, DEFAULT_THREADS, MAX_THREADS, DEFAULT_MAX_CLIENTS);
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

/* Asks every thread to finish: each one that sees `stopping` wakes the
 * next (wakes coalesce, so one wake per thread is passed along). */
static void stop(pool *pl, const char *why, int status)
{
    ex_mutex_lock(pl->lock);
    if (!pl->stopping) {
        pl->stopping = 1;
        pl->why_exit = why;
        pl->status = status;
    }
    ex_mutex_unlock(pl->lock);
    ps_poller_wake(pl->poller);
}

static int is_stopping(pool *pl)
{
    ex_mutex_lock(pl->lock);
    int s = pl->stopping;
    ex_mutex_unlock(pl->lock);
    return s;
}

/* Called by the thread that owns the client (it was reported and not yet
 * re-armed), or at the end when every thread has finished. Removed from
 * the poller before the socket is closed: the number may be reused at
 * once. served: counts towards --exit-after. */
static void drop_client(pool *pl, client *c, const char *why, int served)
{
    fprintf(stderr, "%s: %llu bytes echoed, %s\n", c->name, c->io.echoed, why);
    ps_pollitem it = socket_item(c->io.s, 0);
    ps_poller_remove(pl->poller, &it);
    ps_close(c->io.s);
    ex_mutex_lock(pl->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        pl->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pl->nclients--;
    int done = served && ++pl->finished == pl->exit_after;
    ex_mutex_unlock(pl->lock);
    free(c->io.buf);
    free(c);
    if (done)
        stop(pl, "--exit-after reached", 0);
}

/* One report for a client this thread now owns; ends by re-arming it
 * (handing it back to the pool) or dropping it. */
static void serve_client(pool *pl, client *c)
{
    const char *why =
        c->io.len > 0 ? ex_echo_flush(&c->io) : ex_echo_read(&c->io);
    if (!why) {
        unsigned want = c->io.len > 0 ? PS_POLL_WRITE : PS_POLL_READ;
        ps_pollitem it = socket_item(c->io.s, want | PS_POLL_ONESHOT);
        int r = ps_poller_modify(pl->poller, &it, c);
        if (r == 0)
            return;
        why = ps_errname(r);
    }
    drop_client(pl, c, why, 1);
}

/* The listener was reported (and is disarmed): take what is pending, then
 * re-arm it. Each new client is on the list before it is registered, as
 * another thread may be handed it (and drop it) at once. */
static void accept_clients(pool *pl)
{
    for (int k = 0; k < ACCEPTS_PER_ROUND; k++) {
        ps_socket_t s;
        ps_addr peer;
        int r = ps_accept(pl->listener, &s, &peer, 0);
        if (r == PS_EWOULDBLOCK)
            break;
        if (r != 0) {
            /* Not fatal (e.g. PS_ECONNABORTED, PS_EMFILE); a short pause
             * so running out of descriptors cannot spin. */
            fprintf(stderr, "accept: %s\n", ps_errname(r));
            ps_select(NULL, 0, 50);
            break;
        }
        char name[PS_ADDRSTRLEN];
        if (ps_addr_format(&peer, name, sizeof name) != 0)
            strcpy(name, "(peer)");
        client *c = calloc(1, sizeof *c);
        if (c)
            c->io.buf = malloc(EX_ECHO_BUF);
        if (!c || !c->io.buf || ps_set_nonblocking(s, 1) != 0) {
            fprintf(stderr, "%s: refused, out of resources\n", name);
            if (c)
                free(c->io.buf);
            free(c);
            ps_close(s);
            continue;
        }
        memcpy(c->name, name, sizeof name);
        c->io.s = s;
        ex_mutex_lock(pl->lock);
        int full = pl->nclients >= pl->max_clients;
        if (!full) {
            c->next = pl->clients;
            if (pl->clients)
                pl->clients->prev = c;
            pl->clients = c;
            pl->nclients++;
        }
        ex_mutex_unlock(pl->lock);
        if (full) {
            fprintf(stderr, "%s: refused, already %ld clients\n", name,
                    pl->max_clients);
            free(c->io.buf);
            free(c);
            ps_close(s);
            continue;
        }
        fprintf(stderr, "%s: connected\n", name);
        ps_pollitem it = socket_item(s, PS_POLL_READ | PS_POLL_ONESHOT);
        r = ps_poller_add(pl->poller, &it, c);
        if (r != 0)
            drop_client(pl, c, ps_errname(r), 0);
    }
    ps_pollitem lit = socket_item(pl->listener, PS_POLL_READ | PS_POLL_ONESHOT);
    int r = ps_poller_modify(pl->poller, &lit, &listener_tag);
    if (r != 0) {
        fprintf(stderr, "re-arming the listener: %s\n", ps_strerror(r));
        stop(pl, "error", 1);
    }
}

static void worker_main(void *arg)
{
    worker *w = arg;
    pool *pl = w->pl;
    /* One event per wait: a thread takes only what it will handle now, and
     * the rest goes to the other threads. */
    ps_event ev;
    while (!is_stopping(pl)) {
        int n = ps_poller_wait(pl->poller, &ev, 1, -1);
        if (n < 0) {
            fprintf(stderr, "poller: %s\n", ps_strerror(n));
            stop(pl, "error", 1);
        } else if (n == 1) {
            w->events++;
            if (ev.data == &listener_tag)
                accept_clients(pl);
            else
                serve_client(pl, ev.data);
        } /* else a wake: look at `stopping` */
    }
    ps_poller_wake(pl->poller); /* pass the stop on to the next thread */
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    const char *port = NULL;
    long threads = DEFAULT_THREADS;
    pool pl;
    memset(&pl, 0, sizeof pl);
    pl.max_clients = DEFAULT_MAX_CLIENTS;

    const ex_opt opts[] = {
        {"--host", EX_OPT_TEXT, 0, &host},
        {"--threads", EX_OPT_COUNT, MAX_THREADS, &threads},
        {"--max-clients", EX_OPT_COUNT, MAX_MAX_CLIENTS, &pl.max_clients},
        {"--exit-after", EX_OPT_COUNT, 1000000000L, &pl.exit_after},
    };
    int status = ex_parse_opts(argc, argv, opts, sizeof opts / sizeof opts[0],
                               &port, usage);
    if (status >= 0)
        return status;
    if (ex_listen_announce(host, port, &pl.listener) != 0)
        return 1;

    worker workers[MAX_THREADS];
    memset(workers, 0, sizeof workers);
    ps_pollitem lit = socket_item(pl.listener, PS_POLL_READ | PS_POLL_ONESHOT);
    int r = ps_poller_open(&pl.poller);
    if (r == 0)
        r = ps_poller_add(pl.poller, &lit, &listener_tag);
    if (r != 0 || ex_mutex_create(&pl.lock) != 0) {
        fprintf(stderr, "setup: %s\n", r ? ps_strerror(r) : "no mutex");
        ps_poller_close(pl.poller);
        ps_close(pl.listener);
        return 1;
    }
    long started = 0;
    for (; started < threads; started++) {
        workers[started].pl = &pl;
        if (ex_thread_start(&workers[started].thread, worker_main,
                            &workers[started]) != 0) {
            fprintf(stderr, "cannot start thread %ld\n", started + 1);
            stop(&pl, "error", 1);
            break;
        }
    }
    for (long i = 0; i < started; i++)
        ex_thread_join(workers[i].thread);

    /* Every thread is gone: what is left on the list is ours to close. */
    while (pl.clients)
        drop_client(&pl, pl.clients, "server exiting", 0);
    ps_poller_remove(pl.poller, &lit);
    ps_close(pl.listener);
    ps_poller_close(pl.poller);
    for (long i = 0; i < started; i++)
        fprintf(stderr, "thread %ld: %lu events\n", i + 1, workers[i].events);
    fprintf(stderr, "exiting: %s; %ld clients served\n",
            pl.why_exit ? pl.why_exit : "error", pl.finished);
    ex_mutex_destroy(pl.lock);
    return pl.status;
}
