/* SPDX-License-Identifier: MIT */
/* The libuv way of bench_connector: see connect_libuv.h. */
#include "connect_libuv.h"

#include <stdio.h>
#include <string.h>

#include <uv.h>

#include "raw.h"

typedef struct state {
    uv_loop_t loop;
    uv_poll_t lpoll, p0, p1;
    uv_timer_t timer;
    uv_getaddrinfo_t gai;
    uv_connect_t creq;
    uv_tcp_t tcp;
    const char *host, *port;
    ps_socket_t listener, pair[2];
    int stopping, failed;
    long connects;
    int64_t sent;
    double *rtt;
    size_t cap, n;
} state;

static void next_connect(state *s);

static void on_tcp_closed(uv_handle_t *h)
{
    state *s = h->data;
    if (!s->stopping)
        next_connect(s);
}

static void on_connect(uv_connect_t *req, int status)
{
    state *s = req->data;
    if (status != 0) {
        fprintf(stderr, "bench_connector: uv_tcp_connect: %s\n",
                uv_strerror(status));
        s->failed = 1;
    } else {
        s->connects++;
    }
    s->tcp.data = s;
    uv_close((uv_handle_t *)&s->tcp, on_tcp_closed);
}

static void on_resolved(uv_getaddrinfo_t *req, int status,
                        struct addrinfo *res)
{
    state *s = req->data;
    if (status != 0) {
        fprintf(stderr, "bench_connector: uv_getaddrinfo: %s\n",
                uv_strerror(status));
        s->failed = 1;
        return;
    }
    uv_tcp_init(&s->loop, &s->tcp);
    s->creq.data = s;
    int r = uv_tcp_connect(&s->creq, &s->tcp, res->ai_addr, on_connect);
    uv_freeaddrinfo(res);
    if (r != 0) {
        fprintf(stderr, "bench_connector: uv_tcp_connect: %s\n",
                uv_strerror(r));
        s->failed = 1;
        uv_close((uv_handle_t *)&s->tcp, NULL);
    }
}

static void next_connect(state *s)
{
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    s->gai.data = s;
    if (s->failed || uv_getaddrinfo(&s->loop, &s->gai, on_resolved, s->host,
                                    s->port, &hints) != 0)
        s->failed = 1;
}

static void on_listener(uv_poll_t *h, int status, int events)
{
    state *s = h->data;
    ps_socket_t c;
    (void)status;
    (void)events;
    while (ps_accept(s->listener, &c, NULL, 0) == 0)
        ps_close(c);
}

/* pair[1] echoes; pair[0] ends a round trip and starts the next. */
static void on_pair(uv_poll_t *h, int status, int events)
{
    state *s = h->data;
    ps_socket_t sock = h == &s->p0 ? s->pair[0] : s->pair[1];
    char byte;
    (void)status;
    (void)events;
    if (ps_recv(sock, &byte, 1, NULL, 0) != 0)
        return;
    if (h == &s->p0) {
        if (s->n < s->cap)
            s->rtt[s->n++] = (double)(raw_now_ns() - s->sent) / 1000.0;
        s->sent = raw_now_ns();
    }
    ps_send(sock, &byte, 1, NULL, -1);
}

static void on_timer(uv_timer_t *t)
{
    state *s = t->data;
    s->stopping = 1;
    uv_close((uv_handle_t *)&s->lpoll, NULL);
    uv_close((uv_handle_t *)&s->p0, NULL);
    uv_close((uv_handle_t *)&s->p1, NULL);
    uv_close((uv_handle_t *)&s->timer, NULL);
}

static void watch(state *s, uv_poll_t *h, ps_socket_t sock, uv_poll_cb cb)
{
    uv_poll_init_socket(&s->loop, h, (uv_os_sock_t)sock);
    h->data = s;
    uv_poll_start(h, UV_READABLE, cb);
}

int connect_libuv_round(const char *host, const char *port, int ms,
                        ps_socket_t listener, const ps_socket_t pair[2],
                        double *rtt, size_t cap, size_t *nrtt, long *connects,
                        double *secs)
{
    static state s;
    memset(&s, 0, sizeof s);
    s.host = host;
    s.port = port;
    s.listener = listener;
    s.pair[0] = pair[0];
    s.pair[1] = pair[1];
    s.rtt = rtt;
    s.cap = cap;
    if (uv_loop_init(&s.loop) != 0)
        return -1;
    watch(&s, &s.lpoll, listener, on_listener);
    watch(&s, &s.p0, pair[0], on_pair);
    watch(&s, &s.p1, pair[1], on_pair);
    uv_timer_init(&s.loop, &s.timer);
    s.timer.data = &s;
    uv_timer_start(&s.timer, on_timer, (uint64_t)ms, 0);
    int64_t t0 = raw_now_ns();
    s.sent = t0;
    char byte = 'x';
    ps_send(pair[0], &byte, 1, NULL, -1);
    next_connect(&s);
    uv_run(&s.loop, UV_RUN_DEFAULT);
    *secs = (double)(raw_now_ns() - t0) / 1e9;
    uv_loop_close(&s.loop);
    *nrtt = s.n;
    *connects = s.connects;
    return s.failed ? -1 : 0;
}
