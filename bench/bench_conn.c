/* SPDX-License-Identifier: MIT */
/* ps_conn against the raw calls an event loop would otherwise make, over
 * loopback TCP, 64-byte messages:
 *   send: ps_conn_send per message (straight to the kernel while nothing
 *   is queued; flushed on write readiness past the high-water mark)
 *   against a blocking raw send per message;
 *   lines: ps_conn_fill + ps_conn_read_line against a raw readiness wait,
 *   recv and memchr splitting into the same buffer size.
 * A peer thread drains (send) or feeds (lines) with raw calls. Rounds
 * alternate the ways; prints the median ns per message with the rounds'
 * range (fastest-slowest), and the ratio of the medians.
 * Figures, not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "portsock.h"
#include "raw.h"

#define ROUNDS 7
#define MSG 64
/* Messages per round: each send under Wine is a round trip to its server
 * (about 50 us), so there a round is cut to keep the bench leg short. */
#define COUNT_NATIVE 100000
#define COUNT_WINE 5000
static int count = COUNT_NATIVE;
#define BUF 16384

static _Noreturn void fail(const char *what, int r)
{
    fprintf(stderr, "bench_conn: %s: %s\n", what, ps_strerror(r));
    exit(1);
}

typedef struct peer {
    ps_socket_t s;
    size_t total;
} peer;

static void drain(void *arg)
{
    peer *p = arg;
    static char buf[65536];
    size_t got = 0;
    while (got < p->total) {
        long n = raw_recv(p->s, buf, sizeof buf);
        if (n <= 0)
            fail("drain", PS_ECLOSED);
        got += (size_t)n;
    }
}

static void feed(void *arg)
{
    peer *p = arg;
    static char block[BUF];
    for (size_t i = 0; i < BUF; i++)
        block[i] = (i + 1) % MSG == 0 ? '\n' : 'x';
    for (size_t sent = 0; sent < p->total; sent += BUF)
        if (bench_raw_send_all(p->s, block, BUF) != 0)
            fail("feed", PS_ECLOSED);
}

static void wait_for(ps_socket_t s, unsigned events)
{
    ps_pollitem it;
    memset(&it, 0, sizeof it);
    it.kind = PS_KIND_SOCKET;
    it.sock = s;
    it.events = events;
    int r = ps_select(&it, 1, 5000);
    if (r <= 0)
        fail("wait", r < 0 ? r : PS_ETIMEDOUT);
}

/* One round's connection: the pair, the peer thread on b, and (for the
 * ps_conn way) a ps_conn owning a. */
typedef struct bed {
    ps_socket_t a;
    peer p;
    ps_conn *c;
    raw_thread *t;
} bed;

static void bed_open(bed *x, int use_conn, const ps_conn_limits *lim,
                     void (*fn)(void *arg))
{
    ps_socket_t b;
    int r = bench_tcp_pair(&x->a, &b);
    if (r != 0)
        fail("pair", r);
    x->p.s = b;
    x->p.total = (size_t)MSG * (size_t)count;
    x->c = NULL;
    if (use_conn && (r = ps_conn_new(&x->c, x->a, lim)) != 0)
        fail("ps_conn_new", r);
    x->t = raw_thread_start(fn, &x->p);
    if (!x->t)
        fail("thread", PS_ENOMEM);
}

static void bed_close(bed *x)
{
    if (x->t)
        raw_thread_join(x->t);
    if (x->c)
        ps_conn_close(x->c, NULL);
    else
        ps_close(x->a);
    ps_close(x->p.s);
}

/* One round of a way over a fresh pair: ns per message. */
static double send_round(int use_conn)
{
    bed x;
    char msg[MSG];
    int r;
    memset(msg, 'm', sizeof msg);
    bed_open(&x, use_conn, NULL, drain);
    ps_socket_t a = x.a;
    ps_conn *c = x.c;
    int64_t t0 = raw_now_ns();
    for (int i = 0; i < count; i++) {
        if (!use_conn) {
            if (bench_raw_send_all(a, msg, MSG) != 0)
                fail("raw send", PS_ECLOSED);
            continue;
        }
        if ((r = ps_conn_send(c, msg, MSG)) != 0)
            fail("ps_conn_send", r);
        while (ps_conn_over_high_water(c)) {
            wait_for(a, PS_POLL_WRITE);
            if ((r = ps_conn_flush(c)) != 0)
                fail("ps_conn_flush", r);
        }
    }
    while (use_conn && ps_conn_queued(c) > 0) {
        wait_for(a, PS_POLL_WRITE);
        if ((r = ps_conn_flush(c)) != 0)
            fail("ps_conn_flush", r);
    }
    /* Sent means drained by the peer. */
    raw_thread_join(x.t);
    x.t = NULL;
    int64_t t1 = raw_now_ns();
    bed_close(&x);
    return (double)(t1 - t0) / count;
}

static double lines_round(int use_conn)
{
    bed x;
    const ps_conn_limits lim = {0, 0, MSG, 0};
    static char buf[BUF];
    size_t have = 0, lines = 0;
    int r;
    bed_open(&x, use_conn, &lim, feed);
    ps_socket_t a = x.a;
    ps_conn *c = x.c;
    int64_t t0 = raw_now_ns();
    while (lines < (size_t)count) {
        if (raw_wait_readable(&a, 1, 5000) <= 0)
            fail("wait", PS_ETIMEDOUT);
        if (use_conn) {
            const char *line;
            size_t len;
            if ((r = ps_conn_fill(c, NULL)) != 0)
                fail("ps_conn_fill", r);
            while (ps_conn_read_line(c, &line, &len) == 0)
                lines++;
            continue;
        }
        long n = raw_recv(a, buf + have, sizeof buf - have);
        if (n <= 0)
            fail("raw recv", PS_ECLOSED);
        have += (size_t)n;
        char *at = buf, *nl;
        while ((nl = memchr(at, '\n', have - (size_t)(at - buf))) != NULL) {
            lines++;
            at = nl + 1;
        }
        have -= (size_t)(at - buf);
        memmove(buf, at, have);
    }
    int64_t t1 = raw_now_ns();
    bed_close(&x);
    return (double)(t1 - t0) / count;
}

/* Median and the spread of the rounds: on a loaded machine the raw
 * baseline itself moves, and only a ratio beyond that spread means much. */
static void report(const char *what, double (*round)(int))
{
    double v[2][ROUNDS];
    round(0); /* warm-up */
    for (int i = 0; i < ROUNDS; i++)
        for (int k = 0; k < 2; k++)
            v[k][i] = round(k);
    double raw = bench_median(v[0], ROUNDS), conn = bench_median(v[1], ROUNDS);
    /* bench_median sorted them: [0] is the fastest, [ROUNDS - 1] the
     * slowest. */
    printf("  %-6s raw %7.1f ns/msg (%.1f-%.1f)   ps_conn %7.1f ns/msg "
           "(%.1f-%.1f)   ps_conn / raw %.2fx\n",
           what, raw, v[0][0], v[0][ROUNDS - 1], conn, v[1][0],
           v[1][ROUNDS - 1], conn / raw);
}

int main(void)
{
    if (ps_init() != 0)
        return 1;
    if (strstr(raw_platform(), "Wine"))
        count = COUNT_WINE;
    printf("portsock %s ps_conn against raw calls, %s; %d rounds of %d "
           "%d-byte messages\n",
           ps_version(), raw_platform(), ROUNDS, count, MSG);
    report("send", send_round);
    report("lines", lines_round);
    ps_cleanup();
    return 0;
}
