/* SPDX-License-Identifier: MIT */
/* What connecting by name costs an event loop. One loop (a ps_poller)
 * accepts on a loopback listener and bounces a byte over a socket pair,
 * timing each round trip, while connections to "localhost" are made one
 * after another, three ways:
 *  - connector: ps_connector, driven by the same loop;
 *  - thread: ps_connect on a thread of its own (what a program writes
 *    without ps_connector), the loop untouched;
 *  - blocking: ps_connect called by the loop itself between round trips;
 *  - libuv (where it is built with libuv): uv_getaddrinfo, then
 *    uv_tcp_connect, in a uv loop doing the same bouncing and accepting.
 * Printed: connects per second, and the loop's round trip (p50, p99,
 * max) while connects go on, each with its ratio to the thread way. Several
 * rounds each; the figures are medians over rounds. Not a test: nothing
 * here passes or fails.
 *
 * bench_connector [--quick] [--rounds N] [--ms N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "portsock.h"
#include "raw.h"
#ifdef PS_BENCH_LIBUV
#include "connect_libuv.h"
#endif

#define HOST "localhost"
#define MAX_SAMPLES 2000000

#ifdef PS_BENCH_LIBUV
enum { CONNECTOR, THREAD, BLOCKING, LIBUV, WAYS };
static const char *const way_name[WAYS] = {"connector", "thread", "blocking",
                                           "libuv"};
#else
enum { CONNECTOR, THREAD, BLOCKING, WAYS };
static const char *const way_name[WAYS] = {"connector", "thread", "blocking"};
#endif

typedef struct run {
    double connects_per_s;
    double p50_us, p99_us, max_us;
} run;

typedef struct bed {
    ps_socket_t listener;
    char port[16];
    ps_socket_t pair[2];
    ps_poller *p;
    double *rtt; /* microseconds */
    size_t nrtt;
} bed;

/* The thread way's connecting thread. */
typedef struct worker {
    const char *port;
    volatile int stop;
    long connects;
    int failed;
} worker;

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_connector: %s: %s\n", what, ps_errname(rc));
    exit(1);
}

static void check(const char *what, int rc)
{
    if (rc != 0)
        die(what, rc);
}

static void connect_loop(void *arg)
{
    worker *w = arg;
    while (!w->stop) {
        ps_socket_t s;
        int rc = ps_connect(&s, HOST, w->port, 5000);
        if (rc != 0) {
            w->failed = rc;
            return;
        }
        ps_close(s);
        w->connects++;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void accept_all(ps_socket_t l)
{
    ps_socket_t s;
    while (ps_accept(l, &s, NULL, 0) == 0)
        ps_close(s);
}

/* 1 with the byte read; 0 for a report with nothing to read (Wine's
 * poller reports a socket pair's end again after its byte was taken). */
static int got_byte(ps_socket_t s, char *byte)
{
    int rc = ps_recv(s, byte, 1, NULL, 0);
    if (rc == PS_EWOULDBLOCK)
        return 0;
    check("ps_recv", rc);
    return 1;
}

static void start_connector(bed *b, ps_connector **c)
{
    ps_pollitem it;
    check("ps_connector_start", ps_connector_start(c, HOST, b->port, 5000));
    check("ps_connector_item", ps_connector_item(*c, &it));
    check("ps_poller_add", ps_poller_add(b->p, &it, *c));
}

/* 1 once the connector has connected and is freed, 0 while it goes on. */
static int end_connector(bed *b, ps_connector *c, long *connects)
{
    ps_pollitem it;
    ps_socket_t s;
    int rc = ps_connector_finish(c, &s);
    if (rc == PS_EWOULDBLOCK)
        return 0;
    check("ps_connector_finish", rc);
    ps_close(s);
    (*connects)++;
    check("ps_connector_item", ps_connector_item(c, &it));
    check("ps_poller_remove", ps_poller_remove(b->p, &it));
    ps_connector_free(c);
    return 1;
}

static run figures(bed *b, long connects, double secs);

/* One round of ms milliseconds the given way. */
static run one_round(bed *b, int way, int ms)
{
#ifdef PS_BENCH_LIBUV
    if (way == LIBUV) {
        long n = 0;
        double secs = 1;
        if (connect_libuv_round(HOST, b->port, ms, b->listener, b->pair, b->rtt,
                                MAX_SAMPLES, &b->nrtt, &n, &secs) != 0)
            exit(1);
        return figures(b, n, secs);
    }
#endif
    worker w = {b->port, 0, 0, 0};
    raw_thread *t = NULL;
    ps_connector *c = NULL;
    long connects = 0;
    b->nrtt = 0;
    if (way == THREAD && !(t = raw_thread_start(connect_loop, &w)))
        die("raw_thread_start", PS_ENOMEM);
    if (way == CONNECTOR)
        start_connector(b, &c);
    int64_t t0 = raw_now_ns(), end = t0 + (int64_t)ms * 1000000;
    int64_t sent = raw_now_ns();
    char byte = 'x';
    check("ps_send", ps_send(b->pair[0], &byte, 1, NULL, -1));
    while (raw_now_ns() < end) {
        ps_event ev[8];
        int n = ps_poller_wait(b->p, ev, 8, 1000);
        if (n < 0)
            die("ps_poller_wait", n);
        for (int i = 0; i < n; i++) {
            void *d = ev[i].data;
            if (d == &b->listener) {
                accept_all(b->listener);
            } else if (d == &b->pair[1]) { /* echo */
                if (!got_byte(b->pair[1], &byte))
                    continue;
                check("ps_send", ps_send(b->pair[1], &byte, 1, NULL, -1));
            } else if (d == &b->pair[0]) { /* a round trip ends */
                int64_t now = raw_now_ns();
                if (!got_byte(b->pair[0], &byte))
                    continue;
                if (b->nrtt < MAX_SAMPLES)
                    b->rtt[b->nrtt++] = (double)(now - sent) / 1000.0;
                if (way == BLOCKING) { /* the loop connects itself */
                    ps_socket_t s;
                    check("ps_connect", ps_connect(&s, HOST, b->port, 5000));
                    ps_close(s);
                    connects++;
                }
                sent = raw_now_ns();
                check("ps_send", ps_send(b->pair[0], &byte, 1, NULL, -1));
            } else if (d == c && end_connector(b, c, &connects)) {
                start_connector(b, &c); /* the next one */
            }
        }
    }
    double secs = (double)(raw_now_ns() - t0) / 1e9;
    if (c) { /* the one in flight at the end */
        ps_pollitem it;
        ps_connector_item(c, &it);
        ps_poller_remove(b->p, &it);
        ps_connector_free(c);
    }
    if (t) {
        w.stop = 1;
        raw_thread_join(t);
        if (w.failed)
            die("ps_connect (thread)", w.failed);
        connects = w.connects;
    }
    return figures(b, connects, secs);
}

/* The round's figures; the byte left in flight and the connections left
 * queued are taken before the next round. */
static run figures(bed *b, long connects, double secs)
{
    char byte;
    for (int end = 0; end < 2; end++)
        while (ps_recv(b->pair[end], &byte, 1, NULL, 0) == 0)
            ;
    accept_all(b->listener);
    qsort(b->rtt, b->nrtt, sizeof *b->rtt, cmp_double);
    run r = {connects / secs, 0, 0, 0};
    if (b->nrtt > 0) {
        r.p50_us = b->rtt[b->nrtt / 2];
        r.p99_us = b->rtt[(size_t)((double)b->nrtt * 0.99)];
        r.max_us = b->rtt[b->nrtt - 1];
    }
    return r;
}

static void add_item(bed *b, ps_socket_t s, void *data)
{
    ps_pollitem it = {PS_KIND_SOCKET, s, -1, NULL, PS_POLL_READ, 0};
    check("ps_poller_add", ps_poller_add(b->p, &it, data));
}

static void open_bed(bed *b)
{
    check("ps_listen", ps_listen(&b->listener, "127.0.0.1", "0", 512));
    bench_port_text(b->listener, b->port, sizeof b->port);
    check("ps_socketpair", ps_socketpair(b->pair));
    check("ps_poller_open", ps_poller_open(&b->p));
    add_item(b, b->listener, &b->listener);
    add_item(b, b->pair[0], &b->pair[0]);
    add_item(b, b->pair[1], &b->pair[1]);
    b->rtt = malloc(MAX_SAMPLES * sizeof *b->rtt);
    if (!b->rtt)
        die("malloc", PS_ENOMEM);
}

int main(int argc, char **argv)
{
    int rounds = 3, ms = 500;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            rounds = 3;
            ms = 200;
        } else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
            rounds = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--ms") && i + 1 < argc) {
            ms = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: bench_connector [--quick] [--rounds N] "
                            "[--ms N]\n");
            return 2;
        }
    }
    if (rounds < 1 || rounds > 100 || ms < 10)
        return 2;
    /* Held as an event-loop program holds it: helper threads park between
     * connects (see ps_init) instead of starting anew for each. */
    check("ps_init", ps_init());
    bed b;
    open_bed(&b);
    double v[WAYS][4][100];
    for (int r = 0; r < rounds; r++) {
        for (int way = 0; way < WAYS; way++) {
            run x = one_round(&b, way, ms);
            v[way][0][r] = x.connects_per_s;
            v[way][1][r] = x.p50_us;
            v[way][2][r] = x.p99_us;
            v[way][3][r] = x.max_us;
        }
    }
    double m[WAYS][4];
    for (int way = 0; way < WAYS; way++)
        for (int k = 0; k < 4; k++)
            m[way][k] = bench_median(v[way][k], (size_t)rounds);
    printf("bench_connector on %s: connects to %s (127.0.0.1) while the "
           "loop bounces a byte; medians of %d rounds of %d ms\n",
           raw_platform(), HOST, rounds, ms);
    printf("%-10s %12s %8s %10s %10s %10s %8s\n", "way", "connects/s", "ratio",
           "rtt p50", "rtt p99", "rtt max", "p99 ratio");
    for (int way = 0; way < WAYS; way++)
        printf("%-10s %12.0f %7.2fx %8.1fus %8.1fus %8.1fus %7.2fx\n",
               way_name[way], m[way][0], m[way][0] / m[THREAD][0], m[way][1],
               m[way][2], m[way][3], m[way][2] / m[THREAD][2]);
    printf("(ratios against the thread way: ps_connect on a thread of its "
           "own; connects/s higher is better, round trips lower)\n");
    ps_poller_close(b.p);
    ps_close(b.pair[0]);
    ps_close(b.pair[1]);
    ps_close(b.listener);
    free(b.rtt);
    ps_cleanup();
    return 0;
}
