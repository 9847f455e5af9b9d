/* SPDX-License-Identifier: MIT */
/* TLS echo server on portsock's ps_poller and portsock_tls, for the TLS
 * echo benchmark (bench/run_tls.py, against echo_libevent_tls). The
 * algorithm of echo_ps_poller over TLS: one thread, level-triggered, every
 * TLS call with timeout 0; a connection is watched for what ps_tls_wants
 * says (a TLS read may need the socket writable), and bytes already
 * decrypted (ps_tls_pending) are echoed before waiting again, never left
 * in memory while the socket is silent.
 *
 * echo_ps_poller_tls PORT CERT KEY   (PORT 0: an ephemeral one). Prints
 * "port N" on stdout once it listens; runs until killed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "portsock.h"
#include "portsock_tls.h"

#define BUF 4096

typedef struct conn {
    ps_pollitem item;
    ps_tls *t;
    int ready; /* the handshake completed */
    size_t npend;
    char pend[BUF];
} conn;

static ps_poller *poller;
static ps_tls_config *cfg;

static _Noreturn void fail(const char *what, int r)
{
    fprintf(stderr, "echo_ps_poller_tls: %s: %s\n", what, ps_strerror(r));
    exit(1);
}

static void drop(conn *c)
{
    ps_poller_remove(poller, &c->item);
    ps_tls_close(c->t);
    free(c);
}

/* Watches the socket for events, touching the poller only on a change. */
static void want(conn *c, unsigned events)
{
    if (events == 0 || events == c->item.events)
        return;
    c->item.events = events;
    int r = ps_poller_modify(poller, &c->item, c);
    if (r != 0)
        fail("ps_poller_modify", r);
}

static int blocked(int r)
{
    return r == PS_EWOULDBLOCK || r == PS_ETIMEDOUT;
}

/* Sends from buf; keeps what did not fit (a later ps_tls_send goes on
 * with exactly those bytes). -1: the connection is gone. */
static int send_some(conn *c, const char *buf, size_t len)
{
    size_t n = 0;
    int r = ps_tls_send(c->t, buf, len, &n, 0);
    if (r != 0 && !blocked(r))
        return -1;
    c->npend = len - n;
    memmove(c->pend, buf + n, c->npend);
    return 0;
}

static void on_ready(void *data, unsigned revents)
{
    conn *c = data;
    (void)revents; /* what the TLS step wants decides, not the event */
    int r;
    if (!c->ready) {
        r = ps_tls_handshake(c->t, 0);
        if (blocked(r)) {
            want(c, ps_tls_wants(c->t));
            return;
        }
        if (r != 0) {
            drop(c);
            return;
        }
        c->ready = 1;
    }
    if (c->npend > 0) {
        if (send_some(c, c->pend, c->npend) != 0) {
            drop(c);
            return;
        }
        if (c->npend > 0) {
            want(c, ps_tls_wants(c->t));
            return;
        }
    }
    /* One read per readiness report, as echo_ps_poller; then what is
     * already decrypted, which no readiness report would announce. */
    do {
        char buf[BUF];
        size_t got = 0;
        r = ps_tls_recv(c->t, buf, sizeof buf, &got, 0);
        if (blocked(r)) {
            want(c, ps_tls_wants(c->t));
            return;
        }
        if (r != 0 || got == 0 || send_some(c, buf, got) != 0) {
            drop(c);
            return;
        }
        if (c->npend > 0) {
            want(c, ps_tls_wants(c->t));
            return;
        }
    } while (ps_tls_pending(c->t) > 0);
    want(c, PS_POLL_READ);
}

static void accept_all(ps_socket_t l)
{
    ps_socket_t s;
    while (ps_accept(l, &s, NULL, 0) == 0) {
        conn *c = malloc(sizeof *c);
        if (!c)
            fail("malloc", PS_ENOMEM);
        memset(c, 0, sizeof *c);
        ps_set_nonblocking(s, 1);
        ps_set_nodelay(s, 1);
        int r = ps_tls_wrap(&c->t, s, cfg, NULL);
        if (r != 0)
            fail("ps_tls_wrap", r);
        c->item.kind = PS_KIND_SOCKET;
        c->item.sock = s;
        c->item.events = PS_POLL_READ; /* the ClientHello */
        if ((r = ps_poller_add(poller, &c->item, c)) != 0)
            fail("ps_poller_add", r);
    }
}

int main(int argc, char **argv)
{
    ps_socket_t l;
    int r;
    if (argc != 4) {
        fprintf(stderr, "usage: echo_ps_poller_tls PORT CERT KEY\n");
        return 2;
    }
    if ((r = ps_init()) != 0 ||
        (r = ps_listen(&l, "127.0.0.1", argv[1], 0)) != 0)
        fail("listen", r);
    if ((r = ps_tls_config_new(&cfg, PS_TLS_SERVER)) != 0 ||
        (r = ps_tls_config_set_cert(cfg, argv[2], argv[3])) != 0) {
        fprintf(stderr, "echo_ps_poller_tls: %s\n", ps_tls_reason(NULL));
        fail("ps_tls_config", r);
    }
    if ((r = ps_poller_open(&poller)) != 0)
        fail("ps_poller_open", r);
    bench_poller_serve("echo_ps_poller_tls", poller, l, accept_all, on_ready);
}
