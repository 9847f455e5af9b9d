/* SPDX-License-Identifier: MIT */
/* What an event loop pays per accepted connection to get a non-blocking
 * socket: ps_accept then ps_set_nonblocking (the two steps before
 * ps_accept_ex), against ps_accept_ex(PS_ACCEPT_NONBLOCK) (Linux: one
 * accept4). Each round queues BATCH connections on a loopback listener,
 * then times accepting them all one way; the ways alternate, and the
 * connects and closes are not timed. Prints the median per accept and the
 * ratio. Figures, not a test. */
#include <stdio.h>
#include <stdlib.h>

#include "common.h"
#include "portsock.h"
#include "raw.h"

#define ROUNDS 9
#define BATCH 200

enum { K_TWO_STEPS, K_ACCEPT_EX, K_COUNT };
static const char *const names[K_COUNT] = {"ps_accept + ps_set_nonblocking",
                                           "ps_accept_ex(NONBLOCK)"};

static _Noreturn void fail(const char *what, int r)
{
    fprintf(stderr, "bench_accept: %s: %s\n", what, ps_strerror(r));
    exit(1);
}

/* Queues BATCH connections, accepts them one way; ns per accept. */
static double round_of(int kind, ps_socket_t l, const char *port)
{
    static ps_socket_t cl[BATCH], sv[BATCH];
    int r;
    for (int i = 0; i < BATCH; i++)
        if ((r = ps_connect(&cl[i], "127.0.0.1", port, 5000)) != 0)
            fail("connect", r);
    int64_t t0 = raw_now_ns();
    for (int i = 0; i < BATCH; i++) {
        if (kind == K_ACCEPT_EX) {
            r = ps_accept_ex(l, &sv[i], NULL, PS_ACCEPT_NONBLOCK, 5000);
        } else {
            r = ps_accept(l, &sv[i], NULL, 5000);
            if (r == 0)
                r = ps_set_nonblocking(sv[i], 1);
        }
        if (r != 0)
            fail(names[kind], r);
    }
    int64_t t1 = raw_now_ns();
    for (int i = 0; i < BATCH; i++) {
        ps_close(sv[i]);
        ps_close(cl[i]);
    }
    return (double)(t1 - t0) / BATCH;
}

int main(void)
{
    if (ps_init() != 0)
        return 1;
    ps_socket_t l;
    char port[16];
    int r = ps_listen(&l, "127.0.0.1", "0", BATCH * 2);
    if (r != 0)
        fail("listen", r);
    bench_port_text(l, port, sizeof port);
    printf("portsock %s non-blocking accept, %s; %d rounds of %d "
           "connections\n",
           ps_version(), raw_platform(), ROUNDS, BATCH);
    double v[K_COUNT][ROUNDS];
    round_of(K_TWO_STEPS, l, port); /* warm-up */
    for (int i = 0; i < ROUNDS; i++)
        for (int k = 0; k < K_COUNT; k++)
            v[k][i] = round_of(k, l, port);
    double med[K_COUNT];
    for (int k = 0; k < K_COUNT; k++) {
        med[k] = bench_median(v[k], ROUNDS);
        printf("  %-32s %8.0f ns per accept (%.0f accepts/s)\n", names[k],
               med[k], 1e9 / med[k]);
    }
    printf("  ps_accept_ex / two steps: %.2fx the time\n",
           med[K_ACCEPT_EX] / med[K_TWO_STEPS]);
    ps_close(l);
    ps_cleanup();
    return 0;
}
