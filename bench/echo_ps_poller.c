/* SPDX-License-Identifier: MIT */
/* Echo server on portsock's ps_poller (every platform). Same protocol and
 * algorithm as the other contenders of the echo benchmark: one thread,
 * level-triggered, one receive per readiness report, the bytes sent
 * straight back; what cannot be sent at once waits for PS_POLL_WRITE with
 * reads paused. Sockets are non-blocking and every transfer has timeout 0,
 * which is one system call on each platform.
 *
 * echo_ps_poller [PORT]   (0 or none: an ephemeral port). Prints "port N"
 * on stdout once it listens; runs until killed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "portsock.h"

#define BUF 4096

typedef struct conn {
    ps_pollitem item;
    size_t npend;
    char pend[BUF];
} conn;

static ps_poller *poller;

static _Noreturn void fail(const char *what, int r)
{
    fprintf(stderr, "echo_ps_poller: %s: %s\n", what, ps_strerror(r));
    exit(1);
}

static void drop(conn *c)
{
    ps_poller_remove(poller, &c->item);
    ps_close(c->item.sock);
    free(c);
}

static void want(conn *c, unsigned events)
{
    c->item.events = events;
    int r = ps_poller_modify(poller, &c->item, c);
    if (r != 0)
        fail("ps_poller_modify", r);
}

/* Sends from buf; keeps what did not fit. -1: the connection is gone. */
static int send_some(conn *c, const char *buf, size_t len)
{
    size_t n = 0;
    int r = ps_send(c->item.sock, buf, len, &n, 0);
    if (r != 0 && r != PS_EWOULDBLOCK && r != PS_ETIMEDOUT)
        return -1;
    c->npend = len - n;
    memmove(c->pend, buf + n, c->npend);
    return 0;
}

static void on_ready(void *data, unsigned revents)
{
    conn *c = data;
    if (c->npend > 0) {
        if (send_some(c, c->pend, c->npend) != 0) {
            drop(c);
            return;
        }
        if (c->npend == 0)
            want(c, PS_POLL_READ);
        return;
    }
    if (!(revents & (PS_POLL_READ | PS_POLL_ERROR | PS_POLL_HUP | PS_POLL_INVALID)))
        return;
    char buf[BUF];
    size_t got = 0;
    int r = ps_recv(c->item.sock, buf, sizeof buf, &got, 0);
    if (r == PS_EWOULDBLOCK || r == PS_ETIMEDOUT)
        return;
    if (r != 0 || got == 0 || send_some(c, buf, got) != 0) {
        drop(c);
        return;
    }
    if (c->npend > 0)
        want(c, PS_POLL_WRITE);
}

static void accept_all(ps_socket_t l)
{
    ps_socket_t s;
    while (ps_accept(l, &s, NULL, 0) == 0) {
        conn *c = malloc(sizeof *c);
        if (!c)
            fail("malloc", PS_ENOMEM);
        memset(&c->item, 0, sizeof c->item);
        c->item.kind = PS_KIND_SOCKET;
        c->item.sock = s;
        c->item.events = PS_POLL_READ;
        c->npend = 0;
        ps_set_nonblocking(s, 1);
        ps_set_nodelay(s, 1);
        int r = ps_poller_add(poller, &c->item, c);
        if (r != 0)
            fail("ps_poller_add", r);
    }
}

int main(int argc, char **argv)
{
    ps_socket_t l;
    int r;
    if ((r = ps_init()) != 0 ||
        (r = ps_listen(&l, "127.0.0.1", argc > 1 ? argv[1] : "0", 0)) != 0)
        fail("listen", r);
    if ((r = ps_poller_open(&poller)) != 0)
        fail("ps_poller_open", r);
    bench_poller_serve("echo_ps_poller", poller, l, accept_all, on_ready);
}
