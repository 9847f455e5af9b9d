/* SPDX-License-Identifier: MIT */
/* What portsock costs over raw system calls, measured in one run:
 *  1. one-byte ping-pong over loopback TCP (TCP_NODELAY) between two threads
 *     and between two processes: raw send/recv vs ps_send/ps_recv without a
 *     timeout (-1) and with one (1000 ms). Each side waits for the other, so
 *     every receive finds the socket empty first, as in real use;
 *  2. a readiness wait over many sockets with the last one ready: raw
 *     poll()/select() vs ps_select.
 * Prints times per operation and the ratios. Not a test: the figures depend
 * on the machine; nothing here passes or fails.
 *
 * The second process is this program again, started with
 * "--peer PORT": it connects to the parent's port and echoes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "portsock.h"
#include "raw.h"

#define ROUNDS 10000 /* round trips per figure, at most */
#define BLOCKS 20    /* each figure is measured in this many blocks */
#define BLOCK_NS 60000000LL /* and a block ends after this long */
#define WARMUP 300
#define END 'z'      /* the byte that ends a phase */
#define WAIT_SOCKETS 256
#define WAIT_ROUNDS 2000
#define WAIT_NS 1500000000LL

/* How both sides move the byte. */
enum { M_RAW = 'r', M_FOREVER = 'f', M_TIMED = 't' };

static int move_send(ps_socket_t s, int mode, char *c)
{
    if (mode == M_RAW)
        return raw_send(s, c, 1) == 1 ? 0 : -1;
    size_t n;
    int r = ps_send(s, c, 1, &n, mode == M_TIMED ? 1000 : -1);
    return r == 0 && n == 1 ? 0 : -1;
}

static int move_recv(ps_socket_t s, int mode, char *c)
{
    if (mode == M_RAW)
        return raw_recv(s, c, 1) == 1 ? 0 : -1;
    size_t n;
    int r = ps_recv(s, c, 1, &n, mode == M_TIMED ? 1000 : -1);
    return r == 0 && n == 1 ? 0 : -1;
}

/* The echoing side: one raw byte names the mode of a phase, then it echoes
 * bytes with that mode; the byte END, echoed too, ends the phase, and end
 * of stream ends it all. Returns 0 on a clean end. */
static int peer_serve(ps_socket_t s)
{
    unsigned char mode;
    char c;
    for (;;) {
        long n = raw_recv(s, &mode, 1);
        if (n == 0)
            return 0;
        if (n != 1)
            return -1;
        do {
            if (move_recv(s, mode, &c) != 0 || move_send(s, mode, &c) != 0)
                return -1;
        } while (c != END);
    }
}

/* Ping-pongs until max_rounds or budget_ns; the mean round trip in ns
 * (and *done, the count), or -1. */
static double pingpong(ps_socket_t s, int mode, long max_rounds, int64_t budget_ns,
                       long *done)
{
    unsigned char m = (unsigned char)mode;
    char c = 'x';
    if (raw_send(s, &m, 1) != 1)
        return -1;
    int64_t t0 = raw_now_ns(), now = t0;
    long i = 0;
    while (i < max_rounds && now - t0 < budget_ns) {
        if (move_send(s, mode, &c) != 0 || move_recv(s, mode, &c) != 0)
            return -1;
        i++;
        now = raw_now_ns();
    }
    c = END;
    if (move_send(s, mode, &c) != 0 || move_recv(s, mode, &c) != 0 || c != END)
        return -1;
    *done = i;
    return (double)(now - t0) / (double)i;
}

typedef struct {
    double ns[3];  /* per round trip: raw, -1, 1000 ms; < 0 failed */
    long rounds[3]; /* round trips measured for each */
} pp_result;

/* Warms up, then runs BLOCKS blocks of each method, the order rotating
 * from block to block; each figure is the median of its blocks, so a burst
 * of load on a shared machine shifts one block, not the result. A block
 * also ends after BLOCK_NS, so a slow method (under Wine) measures fewer
 * round trips and the program still ends in seconds. */
static pp_result pingpong_all(ps_socket_t s)
{
    static const int mode[3] = {M_RAW, M_FOREVER, M_TIMED};
    pp_result res = {{-1, -1, -1}, {0, 0, 0}};
    double t[3][BLOCKS];
    long n;
    for (int m = 0; m < 3; m++)
        if (pingpong(s, mode[m], WARMUP, BLOCK_NS, &n) < 0)
            return res;
    for (int b = 0; b < BLOCKS; b++)
        for (int k = 0; k < 3; k++) {
            int m = (b + k) % 3;
            if ((t[m][b] = pingpong(s, mode[m], ROUNDS / BLOCKS, BLOCK_NS, &n)) < 0)
                return res;
            res.rounds[m] += n;
        }
    for (int m = 0; m < 3; m++)
        res.ns[m] = bench_median(t[m], BLOCKS);
    return res;
}

static void peer_thread(void *arg)
{
    ps_socket_t s = *(ps_socket_t *)arg;
    if (peer_serve(s) != 0) {
        fprintf(stderr, "bench_overhead: echo thread failed\n");
        ps_shutdown(s, PS_SHUT_RDWR); /* so the other side stops waiting */
    }
}

static int pingpong_threads(pp_result *res)
{
    ps_socket_t a, b;
    int r = bench_tcp_pair(&a, &b);
    if (r != 0) {
        fprintf(stderr, "tcp pair: %s\n", ps_errname(r));
        return -1;
    }
    ps_set_nodelay(a, 1);
    ps_set_nodelay(b, 1);
    raw_thread *t = raw_thread_start(peer_thread, &b);
    if (!t) {
        ps_close(a);
        ps_close(b);
        return -1;
    }
    *res = pingpong_all(a);
    ps_shutdown(a, PS_SHUT_WR); /* end of stream ends the echo loop */
    raw_thread_join(t);
    ps_close(a);
    ps_close(b);
    return res->ns[0] > 0 ? 0 : -1;
}

static int pingpong_processes(const char *argv0, pp_result *res)
{
    ps_socket_t l, s;
    char port[16];
    int r = ps_listen(&l, "127.0.0.1", "0", 1);
    if (r != 0 || bench_port_text(l, port, sizeof port) != 0) {
        fprintf(stderr, "listen: %s\n", ps_errname(r));
        if (r == 0)
            ps_close(l);
        return -1;
    }
    const char *args[] = {"--peer", port, NULL};
    raw_child *child = raw_spawn_self(argv0, args);
    if (!child) {
        fprintf(stderr, "bench_overhead: cannot start a second process\n");
        ps_close(l);
        return -1;
    }
    /* Generous: a second Wine process can take seconds to start. */
    r = ps_accept(l, &s, NULL, 60000);
    ps_close(l);
    if (r != 0) {
        fprintf(stderr, "accept from the child: %s\n", ps_errname(r));
        raw_child_wait(child); /* it gives up on its own connect deadline */
        return -1;
    }
    ps_set_nodelay(s, 1);
    *res = pingpong_all(s);
    ps_shutdown(s, PS_SHUT_WR);
    int status = raw_child_wait(child);
    ps_close(s);
    if (status != 0) {
        fprintf(stderr, "bench_overhead: child exited with %d\n", status);
        return -1;
    }
    return res->ns[0] > 0 ? 0 : -1;
}

static int child_main(const char *port)
{
    ps_socket_t s;
    int r = ps_connect(&s, "127.0.0.1", port, 60000);
    if (r != 0) {
        fprintf(stderr, "child connect: %s\n", ps_errname(r));
        return 1;
    }
    ps_set_nodelay(s, 1);
    r = peer_serve(s);
    ps_close(s);
    return r == 0 ? 0 : 1;
}

static void report_pp(const char *what, int ok, const pp_result *p)
{
    const double *t = p->ns;
    if (!ok || t[0] <= 0 || t[1] <= 0 || t[2] <= 0) {
        printf("%-15s failed\n", what);
        return;
    }
    printf("%-15s %9.1f us %9.1f us %9.1f us   %6.2f   %6.2f   %6.2f\n", what,
           t[0] / 1000, t[1] / 1000, t[2] / 1000, t[1] / t[0], t[2] / t[0],
           t[2] / t[1]);
    if (p->rounds[0] < ROUNDS || p->rounds[1] < ROUNDS || p->rounds[2] < ROUNDS)
        printf("%-15s (slow, so fewer round trips: raw %ld, -1 %ld, 1000 ms %ld)\n",
               "", p->rounds[0], p->rounds[1], p->rounds[2]);
}

/* ps_select vs the raw wait over WAIT_SOCKETS sockets, last one ready. */
static int wait_many(void)
{
    ps_socket_t(*pairs)[2] = calloc(WAIT_SOCKETS, sizeof *pairs);
    ps_socket_t *socks = calloc(WAIT_SOCKETS, sizeof *socks);
    ps_pollitem *items = calloc(WAIT_SOCKETS, sizeof *items);
    int made = 0, rc = -1, r;
    if (!pairs || !socks || !items)
        goto out;
    for (; made < WAIT_SOCKETS; made++) {
        if ((r = ps_socketpair(pairs[made])) != 0) {
            fprintf(stderr, "socketpair %d: %s\n", made, ps_strerror(r));
            goto out;
        }
        socks[made] = pairs[made][0];
        items[made].kind = PS_KIND_SOCKET;
        items[made].sock = pairs[made][0];
        items[made].events = PS_POLL_READ;
    }
    size_t n;
    ps_send(pairs[WAIT_SOCKETS - 1][1], "x", 1, &n, -1);
    /* Each side stops after WAIT_ROUNDS waits or WAIT_NS. */
    int64_t t0 = raw_now_ns(), now = t0;
    long nraw = 0, nps = 0;
    for (; nraw < WAIT_ROUNDS && now - t0 < WAIT_NS; nraw++, now = raw_now_ns())
        if (raw_wait_readable(socks, WAIT_SOCKETS, 1000) != 1)
            goto out;
    double raw_wait = (double)(now - t0) / (double)nraw;
    t0 = now = raw_now_ns();
    for (; nps < WAIT_ROUNDS && now - t0 < WAIT_NS; nps++, now = raw_now_ns())
        if (ps_select(items, WAIT_SOCKETS, 1000) != 1)
            goto out;
    double ps_wait = (double)(now - t0) / (double)nps;
    printf("\nwait on %d sockets, last one ready (%ld and %ld waits):\n"
           "  raw %.1f us   ps_select %.1f us   portsock/raw %.2f\n",
           WAIT_SOCKETS, nraw, nps, raw_wait / 1000, ps_wait / 1000,
           ps_wait / raw_wait);
    rc = 0;
out:
    for (int i = 0; i < made; i++) {
        ps_close(pairs[i][0]);
        ps_close(pairs[i][1]);
    }
    free(pairs);
    free(socks);
    free(items);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--peer") == 0)
        return child_main(argv[2]);
    if (ps_init() != 0)
        return 1;
    printf("portsock %s overhead over raw system calls, %s\n", ps_version(),
           raw_platform());
    printf("\n1-byte ping-pong over loopback TCP (TCP_NODELAY), time per round trip "
           "(median of %d blocks; up to %d round trips per figure):\n", BLOCKS, ROUNDS);
    printf("%-15s %12s %12s %12s   %6s   %6s   %6s\n", "", "raw", "ps -1",
           "ps 1000ms", "-1/raw", "1000/raw", "1000/-1");
    pp_result th, pr;
    int ok_th = pingpong_threads(&th) == 0;
    report_pp("two threads", ok_th, &th);
    int ok_pr = pingpong_processes(argv[0], &pr) == 0;
    report_pp("two processes", ok_pr, &pr);
    int ok_wait = wait_many() == 0;
    ps_cleanup();
    return ok_th && ok_pr && ok_wait ? 0 : 1;
}
