/* SPDX-License-Identifier: MIT */
/* What one readiness wait costs with 100 and with 10,000 registered
 * sockets of which one is ready (Linux: it compares with epoll_wait):
 *   ps_poller_wait on a poller holding them all,
 *   epoll_wait on an epoll set holding them all,
 *   ps_select over an array of them all (which must grow with the count).
 * The ready socket stays ready (level-triggered), so every call returns at
 * once with one event. Prints the median cost per call and the ratios.
 * Figures, not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common.h"
#include "portsock.h"
#include "raw.h"

#define BLOCKS 15
#define BLOCK_NS 40000000LL /* each block runs this long */
#define MIN_CALLS 3

enum { W_POLLER, W_EPOLL, W_SELECT, W_COUNT };
static const char *const names[W_COUNT] = {"ps_poller_wait", "epoll_wait", "ps_select"};

typedef struct set {
    size_t n;
    ps_socket_t *socks; /* n registered; socks[i ^ 1] is socks[i]'s peer */
    ps_pollitem *items;
    ps_poller *poller;
    int ep;
} set;

static _Noreturn void fail(const char *what, int r)
{
    fprintf(stderr, "bench_poller_wait: %s: %s\n", what, ps_strerror(r));
    exit(1);
}

static void set_open(set *s, size_t n)
{
    int r;
    s->n = n;
    s->socks = malloc(n * sizeof *s->socks);
    s->items = calloc(n, sizeof *s->items);
    if (!s->socks || !s->items)
        fail("malloc", PS_ENOMEM);
    if ((r = ps_poller_open(&s->poller)) != 0)
        fail("ps_poller_open", r);
    if ((s->ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
        fail("epoll_create1", PS_EUNKNOWN);
    for (size_t i = 0; i < n; i += 2)
        if ((r = ps_socketpair(&s->socks[i])) != 0)
            fail("ps_socketpair", r);
    for (size_t i = 0; i < n; i++) {
        s->items[i].kind = PS_KIND_SOCKET;
        s->items[i].sock = s->socks[i];
        s->items[i].events = PS_POLL_READ;
        if ((r = ps_poller_add(s->poller, &s->items[i], &s->items[i])) != 0)
            fail("ps_poller_add", r);
        struct epoll_event e = {.events = EPOLLIN, .data.u64 = i};
        if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->socks[i], &e) != 0)
            fail("epoll_ctl", PS_EUNKNOWN);
    }
    /* One byte to the middle socket: the one ready item. */
    size_t ready = n / 2;
    if (ps_send_all(s->socks[ready ^ 1], "x", 1, NULL, 1000) != 0)
        fail("ps_send_all", PS_EUNKNOWN);
}

static void set_close(set *s)
{
    ps_poller_close(s->poller);
    close(s->ep);
    for (size_t i = 0; i < s->n; i++)
        ps_close(s->socks[i]);
    free(s->socks);
    free(s->items);
}

/* One call; its result must be the one ready socket. */
static void one_call(set *s, int which)
{
    int r;
    if (which == W_POLLER) {
        ps_event ev[8];
        r = ps_poller_wait(s->poller, ev, 8, 0);
    } else if (which == W_EPOLL) {
        struct epoll_event ev[8];
        r = epoll_wait(s->ep, ev, 8, 0);
    } else {
        r = ps_select(s->items, s->n, 0);
    }
    if (r != 1) {
        fprintf(stderr, "bench_poller_wait: %s found %d ready, not 1\n", names[which], r);
        exit(1);
    }
}

/* Median over BLOCKS of the mean cost of a call in a block, in us. The
 * contenders take turns block by block, so a change in the machine's load
 * is shared. */
static void measure(set *s, double out[W_COUNT])
{
    double v[W_COUNT][BLOCKS];
    for (int b = 0; b < BLOCKS; b++) {
        for (int w = 0; w < W_COUNT; w++) {
            long calls = 0;
            int64_t t0 = raw_now_ns(), t;
            do {
                one_call(s, w);
                calls++;
            } while ((t = raw_now_ns()) - t0 < BLOCK_NS || calls < MIN_CALLS);
            v[w][b] = (double)(t - t0) / 1000.0 / (double)calls;
        }
    }
    for (int w = 0; w < W_COUNT; w++)
        out[w] = bench_median(v[w], BLOCKS);
}

int main(void)
{
    static const size_t counts[] = {100, 10000};
    double us[2][W_COUNT];
    struct rlimit rl;
    int r;
    if ((r = ps_init()) != 0)
        fail("ps_init", r);
    /* 10,000 sockets, and some to spare. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 10100 && rl.rlim_max > rl.rlim_cur) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    for (int c = 0; c < 2; c++) {
        set s;
        set_open(&s, counts[c]);
        measure(&s, us[c]);
        set_close(&s);
    }
    printf("One wait, one socket ready (%s); median of %d blocks, us per call\n",
           raw_platform(), BLOCKS);
    printf("%-16s %12s %12s %10s\n", "", "100 sockets", "10,000", "growth");
    for (int w = 0; w < W_COUNT; w++)
        printf("%-16s %12.2f %12.2f %9.1fx\n", names[w], us[0][w], us[1][w],
               us[1][w] / us[0][w]);
    printf("ps_poller_wait / epoll_wait: %.2fx at 100, %.2fx at 10,000\n",
           us[0][W_POLLER] / us[0][W_EPOLL], us[1][W_POLLER] / us[1][W_EPOLL]);
    ps_cleanup();
    return 0;
}
