/* SPDX-License-Identifier: MIT */
/* Echo server on portsock's ps_select (every platform): the way to build a
 * server before ps_poller, kept as a contender of the echo benchmark. Same
 * protocol and algorithm as the others (one receive per readiness report,
 * bytes sent straight back, PS_POLL_WRITE when they do not fit); the item
 * array is kept between calls, as a careful user would.
 *
 * echo_ps_select [PORT]   (0 or none: an ephemeral port). Prints "port N"
 * on stdout once it listens; runs until killed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "portsock.h"

#define BUF 4096

typedef struct conn {
    size_t npend;
    char pend[BUF];
} conn;

/* items[0] is the listener; items[i] belongs to conns[i]. */
static ps_pollitem *items;
static conn **conns;
static size_t n, cap;

static _Noreturn void fail(const char *what, int r)
{
    fprintf(stderr, "echo_ps_select: %s: %s\n", what, ps_strerror(r));
    exit(1);
}

static void append(ps_socket_t s, conn *c)
{
    if (n == cap) {
        cap = cap ? cap * 2 : 1024;
        items = realloc(items, cap * sizeof *items);
        conns = realloc(conns, cap * sizeof *conns);
        if (!items || !conns)
            fail("realloc", PS_ENOMEM);
    }
    memset(&items[n], 0, sizeof items[n]);
    items[n].kind = PS_KIND_SOCKET;
    items[n].sock = s;
    items[n].events = PS_POLL_READ;
    conns[n] = c;
    n++;
}

/* Closes connection i; the last one takes its place. */
static void drop(size_t i)
{
    ps_close(items[i].sock);
    free(conns[i]);
    n--;
    items[i] = items[n];
    conns[i] = conns[n];
}

/* Sends from buf; keeps what did not fit. -1: the connection is gone. */
static int send_some(size_t i, const char *buf, size_t len)
{
    conn *c = conns[i];
    size_t sent = 0;
    int r = ps_send(items[i].sock, buf, len, &sent, 0);
    if (r != 0 && r != PS_EWOULDBLOCK && r != PS_ETIMEDOUT)
        return -1;
    c->npend = len - sent;
    memmove(c->pend, buf + sent, c->npend);
    items[i].events = c->npend > 0 ? PS_POLL_WRITE : PS_POLL_READ;
    return 0;
}

static void on_ready(size_t i)
{
    conn *c = conns[i];
    if (c->npend > 0) {
        if (send_some(i, c->pend, c->npend) != 0)
            drop(i);
        return;
    }
    char buf[BUF];
    size_t got = 0;
    int r = ps_recv(items[i].sock, buf, sizeof buf, &got, 0);
    if (r == PS_EWOULDBLOCK || r == PS_ETIMEDOUT)
        return;
    if (r != 0 || got == 0 || send_some(i, buf, got) != 0)
        drop(i);
}

int main(int argc, char **argv)
{
    ps_socket_t l, s;
    char port[16];
    int r;
    if ((r = ps_init()) != 0 ||
        (r = ps_listen(&l, "127.0.0.1", argc > 1 ? argv[1] : "0", 0)) != 0)
        fail("listen", r);
    append(l, NULL);
    bench_port_text(l, port, sizeof port);
    printf("port %s\n", port);
    fflush(stdout);

    for (;;) {
        r = ps_select(items, n, -1);
        if (r < 0)
            fail("ps_select", r);
        int listener_ready = items[0].revents != 0;
        /* Backwards, so the connection moved into a dropped one's place
         * has been served already. */
        for (size_t i = n - 1; i > 0; i--) {
            if (items[i].revents != 0)
                on_ready(i);
        }
        if (!listener_ready)
            continue;
        while (ps_accept(l, &s, NULL, 0) == 0) {
            conn *c = malloc(sizeof *c);
            if (!c)
                fail("malloc", PS_ENOMEM);
            c->npend = 0;
            ps_set_nonblocking(s, 1);
            ps_set_nodelay(s, 1);
            append(s, c);
        }
    }
}
