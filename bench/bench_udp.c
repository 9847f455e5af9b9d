/* SPDX-License-Identifier: MIT */
/* UDP at line rate: 1,200-byte datagrams over 127.0.0.1 between two
 * threads pinned to different CPUs where the system allows (Linux), in
 * one run, for each way of moving them:
 *   raw sendto / recvfrom loops (the baseline);
 *   raw sendmmsg / recvmmsg of 64 (Linux: the reference for batching);
 *   ps_sendto / ps_recvfrom;
 *   ps_udp_sendmsgs / ps_udp_recvmsgs, 64 messages a call;
 *   the same with offload: 4 messages of 32 segments a call sent, a
 *     receiver with coalescing (ps_udp_offload SEND | RECV);
 *   libuv's uv_udp_try_send and a UV_UDP_RECVMMSG receiver (when built
 *     with libuv).
 * Send: datagrams handed over per second while a coalescing portsock
 * receiver drains the socket (the same receiver for every sender).
 * Receive: datagrams received per second while one fast sender (portsock
 * with offload where the system has it) floods the receiver: loopback
 * drops what a slow receiver cannot take, so only the receiver differs
 * between the rows. CPU is the measuring thread's own (user + system) per
 * datagram; on loopback a sender's thread also pays the delivery into the
 * receiving socket. Every received datagram's length, sequence number
 * (rising) and sampled bytes are checked: a wrong one, or an unexpected
 * error from any call, ends the program with status 1. Otherwise the
 * figures are printed whatever they are: not a timed test.
 *   bench_udp [--quick] [--secs N] [--rounds N]
 * --quick: 1 round of about 1 s a row (the CI bench leg). Default: 3
 * rounds of 2 s, the contenders taking turns round by round; each figure
 * is the median, and the raw baseline's spread is printed. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "portsock.h"
#include "raw.h"

#ifdef PS_BENCH_LIBUV
#include <uv.h>
#endif

#define DGRAM 1200
#define BATCH 64    /* messages a batched call */
#define SEGS 32     /* segments of an offloaded message */
#define SEG_MSGS 4  /* offloaded messages a call */
#define GRO_MSGS 16 /* coalesced messages a receive call */
#define GRO_CAP 65535
#define RCVBUF (32 * 1024 * 1024)
#define CHECK_EVERY 64 /* datagrams between two looks at the clock */
#define MAX_ROUNDS 15

enum { W_RAW, W_MMSG, W_PS, W_BATCH, W_OFFLOAD, W_LIBUV, NWAYS };
static const char *const way_name[NWAYS] = {
    "raw sendto / recvfrom",        "raw sendmmsg / recvmmsg (64)",
    "ps_sendto / ps_recvfrom",      "ps_udp_sendmsgs / recvmsgs (64)",
    "ps_udp_* + offload (GSO/GRO)", "libuv try_send / RECVMMSG",
};

static _Noreturn void fail(const char *what, int r)
{
    fprintf(stderr, "bench_udp: %s: %s\n", what, ps_strerror(r));
    exit(1);
}

static _Noreturn void fail_raw(const char *what)
{
    fprintf(stderr, "bench_udp: %s failed (native error %d)\n", what,
            ps_native_error());
    exit(1);
}

/* ---- datagrams: an 8-byte sequence number, then a fixed pattern ---- */

static unsigned char pattern(size_t i)
{
    return (unsigned char)(i * 7 + 1);
}

static void fill(unsigned char *d)
{
    for (size_t i = 8; i < DGRAM; i++)
        d[i] = pattern(i);
}

static void stamp(unsigned char *d, uint64_t seq)
{
    for (int i = 0; i < 8; i++)
        d[i] = (unsigned char)(seq >> (8 * i));
}

/* What one receiver saw: the last sequence number and the count. */
typedef struct seen {
    uint64_t last;
    uint64_t count;
} seen;

/* Checks one datagram (its length, a sequence number above the last one:
 * loopback drops but does not reorder one sender's datagrams, and a few
 * sampled bytes); exits on a wrong one. */
static void check(seen *v, const unsigned char *d, size_t len)
{
    uint64_t seq = 0;
    for (int i = 7; i >= 0; i--)
        seq = seq << 8 | d[i];
    if (len != DGRAM || seq <= v->last || d[8] != pattern(8) ||
        d[DGRAM / 2] != pattern(DGRAM / 2) ||
        d[DGRAM - 1] != pattern(DGRAM - 1)) {
        fprintf(stderr,
                "bench_udp: datagram %llu (after %llu) of %zu bytes is wrong\n",
                (unsigned long long)seq, (unsigned long long)v->last, len);
        exit(1);
    }
    v->last = seq;
    v->count++;
}

/* A coalesced message: datagrams of seg bytes (0: one datagram). */
static void check_block(seen *v, const unsigned char *d, size_t len, size_t seg)
{
    if (seg == 0 || seg >= len) {
        check(v, d, len);
        return;
    }
    for (size_t off = 0; off < len; off += seg)
        check(v, d + off, len - off < seg ? len - off : seg);
}

/* ---- one measurement ---- */

typedef struct run {
    int way;
    ps_socket_t tx, rx;
    ps_addr to;        /* rx's address */
    int64_t window_ns; /* how long the measured side runs */
    atomic_int stop;   /* set when the measured side is done */
    uint64_t next_seq; /* the sender's */
    seen rcv;          /* the receiver's */
    /* The measured side's figures. */
    uint64_t count;
    int64_t wall_ns, cpu_ns;
} run;

/* The clock and the CPU time at the start of a window, and whether it is
 * over, looked at every CHECK_EVERY datagrams. */
typedef struct window {
    int64_t t0, cpu0, end;
    uint64_t next_check;
} window;

static void window_start(window *w, const run *r)
{
    w->t0 = raw_now_ns();
    w->cpu0 = raw_thread_cpu_ns();
    w->end = w->t0 + r->window_ns;
    w->next_check = CHECK_EVERY;
}

static int window_over(window *w, run *r, uint64_t count)
{
    if (count < w->next_check)
        return 0;
    w->next_check = count + CHECK_EVERY;
    int64_t now = raw_now_ns();
    if (now < w->end)
        return 0;
    r->count = count;
    r->wall_ns = now - w->t0;
    r->cpu_ns = raw_thread_cpu_ns() - w->cpu0;
    return 1;
}

/* Buffers: BATCH separate datagrams, and SEG_MSGS runs of SEGS
 * contiguous ones for segmentation offload. */
typedef struct bufs {
    unsigned char one[BATCH][DGRAM];
    unsigned char seg[SEG_MSGS][SEGS * DGRAM];
    void *ptr[BATCH];
    ps_udp_msg msgs[BATCH];
} bufs;

static void bufs_init(bufs *b, const ps_addr *to, int segmented)
{
    memset(b, 0, sizeof *b);
    for (size_t i = 0; i < BATCH; i++) {
        fill(b->one[i]);
        b->ptr[i] = b->one[i];
    }
    for (size_t m = 0; m < SEG_MSGS; m++)
        for (size_t i = 0; i < SEGS; i++)
            fill(b->seg[m] + i * DGRAM);
    size_t n = segmented ? SEG_MSGS : BATCH;
    for (size_t i = 0; i < n; i++) {
        b->msgs[i].buf = segmented ? (void *)b->seg[i] : (void *)b->one[i];
        b->msgs[i].len = segmented ? SEGS * DGRAM : DGRAM;
        b->msgs[i].segment_size = segmented ? DGRAM : 0;
        b->msgs[i].peer = *to;
    }
}

/* ---- senders ---- */

/* Sends one call's worth the way given; how many datagrams left. */
static uint64_t send_once(run *r, bufs *b, int way)
{
    size_t done = 0;
    int e;
    switch (way) {
    case W_RAW:
        stamp(b->one[0], r->next_seq++);
        if (raw_sendto(r->tx, b->one[0], DGRAM, &r->to) != DGRAM)
            fail_raw("sendto");
        return 1;
    case W_MMSG: {
        for (size_t i = 0; i < BATCH; i++)
            stamp(b->one[i], r->next_seq + i);
        int k = raw_sendmmsg(r->tx, b->ptr, DGRAM, BATCH, &r->to);
        if (k <= 0)
            fail_raw("sendmmsg");
        r->next_seq += (uint64_t)k;
        return (uint64_t)k;
    }
    case W_PS:
        stamp(b->one[0], r->next_seq++);
        if ((e = ps_sendto(r->tx, b->one[0], DGRAM, &r->to, -1)) != 0)
            fail("ps_sendto", e);
        return 1;
    case W_BATCH:
        for (size_t i = 0; i < BATCH; i++)
            stamp(b->one[i], r->next_seq + i);
        e = ps_udp_sendmsgs(r->tx, b->msgs, BATCH, &done, -1);
        if (e != 0 || done != BATCH)
            fail("ps_udp_sendmsgs", e);
        r->next_seq += BATCH;
        return BATCH;
    default: /* W_OFFLOAD */
        for (size_t m = 0; m < SEG_MSGS; m++)
            for (size_t i = 0; i < SEGS; i++)
                stamp(b->seg[m] + i * DGRAM, r->next_seq++);
        e = ps_udp_sendmsgs(r->tx, b->msgs, SEG_MSGS, &done, -1);
        if (e != 0 || done != SEG_MSGS)
            fail("ps_udp_sendmsgs (segments)", e);
        return SEG_MSGS * SEGS;
    }
}

#ifdef PS_BENCH_LIBUV
static void uv_must(const char *what, int e)
{
    if (e < 0) {
        fprintf(stderr, "bench_udp: %s: %s\n", what, uv_strerror(e));
        exit(1);
    }
}

/* uv_udp_try_send from an unbound handle of the thread's own loop. */
static void uv_sender(run *r, bufs *b, int measured)
{
    uv_loop_t loop;
    uv_udp_t h;
    window w;
    uint64_t count = 0;
    uv_must("uv_loop_init", uv_loop_init(&loop));
    uv_must("uv_udp_init", uv_udp_init(&loop, &h));
    uv_buf_t ub = uv_buf_init((char *)b->one[0], DGRAM);
    const struct sockaddr *to = (const struct sockaddr *)(const void *)
                                    r->to.storage.bytes;
    window_start(&w, r);
    for (;;) {
        stamp(b->one[0], r->next_seq++);
        int e = uv_udp_try_send(&h, &ub, 1, to);
        if (e != DGRAM)
            uv_must("uv_udp_try_send", e < 0 ? e : UV_EIO);
        count++;
        if (measured ? window_over(&w, r, count) : atomic_load(&r->stop))
            break;
    }
    uv_close((uv_handle_t *)&h, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_must("uv_loop_close", uv_loop_close(&loop));
}
#endif

/* The measured sender (way r->way) for the window, then stop. */
static void sender_main(void *arg)
{
    run *r = arg;
    bufs *b = malloc(sizeof *b);
    window w;
    uint64_t count = 0;
    if (!b)
        fail("malloc", PS_ENOMEM);
    (void)raw_pin_thread(0);
    bufs_init(b, &r->to, r->way == W_OFFLOAD);
#ifdef PS_BENCH_LIBUV
    if (r->way == W_LIBUV) {
        uv_sender(r, b, 1);
        atomic_store(&r->stop, 1);
        free(b);
        return;
    }
#endif
    window_start(&w, r);
    do
        count += send_once(r, b, r->way);
    while (!window_over(&w, r, count));
    atomic_store(&r->stop, 1);
    free(b);
}

/* The flood for a measured receiver: offloaded segments where the system
 * cuts them, else batches (portsock's best on each platform), until the
 * receiver is done. */
static int flood_way;

static void flood_main(void *arg)
{
    run *r = arg;
    bufs *b = malloc(sizeof *b);
    if (!b)
        fail("malloc", PS_ENOMEM);
    (void)raw_pin_thread(0);
    bufs_init(b, &r->to, flood_way == W_OFFLOAD);
    while (!atomic_load(&r->stop))
        (void)send_once(r, b, flood_way);
    free(b);
}

/* ---- receivers ---- */

/* The drain behind a measured sender: coalescing portsock, until stop. */
static void drain_main(void *arg)
{
    run *r = arg;
    ps_udp_msg m[GRO_MSGS];
    unsigned char *space = malloc((size_t)GRO_MSGS * GRO_CAP);
    if (!space)
        fail("malloc", PS_ENOMEM);
    (void)raw_pin_thread(1);
    while (!atomic_load(&r->stop)) {
        size_t done = 0;
        memset(m, 0, sizeof m);
        for (size_t i = 0; i < GRO_MSGS; i++) {
            m[i].buf = space + i * GRO_CAP;
            m[i].len = GRO_CAP;
        }
        int e = ps_udp_recvmsgs(r->rx, m, GRO_MSGS, &done, 100);
        if (e != 0 && e != PS_ETIMEDOUT)
            fail("ps_udp_recvmsgs (drain)", e);
        for (size_t i = 0; i < done; i++)
            check_block(&r->rcv, m[i].buf, m[i].len, m[i].segment_size);
    }
    free(space);
}

/* Receives one call's worth; how many datagrams came. */
static uint64_t recv_once(run *r, unsigned char *space, ps_udp_msg *m,
                          void **ptr, int way)
{
    uint64_t before = r->rcv.count;
    size_t got = 0, lens[BATCH];
    long n;
    int e, k;
    switch (way) {
    case W_RAW:
        if ((n = raw_recvfrom(r->rx, space, DGRAM + 1)) < 0)
            fail_raw("recvfrom");
        check(&r->rcv, space, (size_t)n);
        break;
    case W_MMSG:
        if ((k = raw_recvmmsg(r->rx, ptr, DGRAM + 1, BATCH, lens)) <= 0)
            fail_raw("recvmmsg");
        for (int i = 0; i < k; i++)
            check(&r->rcv, ptr[i], lens[i]);
        break;
    case W_PS: {
        ps_addr from;
        if ((e = ps_recvfrom(r->rx, space, DGRAM + 1, &got, &from, -1)) != 0)
            fail("ps_recvfrom", e);
        check(&r->rcv, space, got);
        break;
    }
    default: { /* W_BATCH, W_OFFLOAD */
        size_t nm = way == W_OFFLOAD ? GRO_MSGS : BATCH;
        size_t cap = way == W_OFFLOAD ? GRO_CAP : DGRAM + 1;
        for (size_t i = 0; i < nm; i++) {
            memset(&m[i], 0, sizeof m[i]);
            m[i].buf = space + i * cap;
            m[i].len = cap;
        }
        if ((e = ps_udp_recvmsgs(r->rx, m, nm, &got, -1)) != 0)
            fail("ps_udp_recvmsgs", e);
        for (size_t i = 0; i < got; i++)
            check_block(&r->rcv, m[i].buf, m[i].len, m[i].segment_size);
        break;
    }
    }
    return r->rcv.count - before;
}

#ifdef PS_BENCH_LIBUV
typedef struct uv_rx {
    run *r;
    window w;
    char *space;
    size_t cap;
} uv_rx;

static void uv_alloc(uv_handle_t *h, size_t want, uv_buf_t *buf)
{
    uv_rx *u = h->data;
    (void)want;
    *buf = uv_buf_init(u->space, (unsigned)u->cap);
}

static void uv_got(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                   const struct sockaddr *addr, unsigned flags)
{
    uv_rx *u = h->data;
    (void)flags;
    if (nread < 0)
        uv_must("recv_cb", (int)nread);
    if (nread == 0 || !addr) /* the end of a recvmmsg batch, or nothing */
        return;
    check(&u->r->rcv, (const unsigned char *)buf->base, (size_t)nread);
    if (window_over(&u->w, u->r, u->r->rcv.count)) {
        uv_udp_recv_stop(h);
        uv_stop(h->loop);
    }
}

/* A UV_UDP_RECVMMSG handle on the receiving socket: libuv takes a buffer
 * of 64 KiB chunks, one datagram each, up to 20 a recvmmsg; so that
 * socket is closed by libuv (run->rx is cleared). */
static void uv_receiver(run *r)
{
    uv_loop_t loop;
    uv_udp_t h;
    uv_rx u;
    memset(&u, 0, sizeof u);
    u.r = r;
    u.cap = (size_t)20 * 65536;
    if (!(u.space = malloc(u.cap)))
        fail("malloc", PS_ENOMEM);
    uv_must("uv_loop_init", uv_loop_init(&loop));
    uv_must("uv_udp_init_ex",
            uv_udp_init_ex(&loop, &h, AF_UNSPEC | UV_UDP_RECVMMSG));
    uv_must("uv_udp_open", uv_udp_open(&h, (uv_os_sock_t)r->rx));
    h.data = &u;
    window_start(&u.w, r);
    u.r->rcv.count = 0;
    uv_must("uv_udp_recv_start", uv_udp_recv_start(&h, uv_alloc, uv_got));
    uv_must("uv_run", uv_run(&loop, UV_RUN_DEFAULT));
    uv_close((uv_handle_t *)&h, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_must("uv_loop_close", uv_loop_close(&loop));
    r->rx = PS_INVALID_SOCKET;
    free(u.space);
}
#endif

/* The measured receiver: waits for the first datagram (not timed), then
 * receives for the window, then stops the flood. */
static void receiver_main(void *arg)
{
    run *r = arg;
    unsigned char *space = malloc((size_t)GRO_MSGS * GRO_CAP);
    ps_udp_msg m[BATCH];
    void *ptr[BATCH];
    window w;
    if (!space)
        fail("malloc", PS_ENOMEM);
    for (size_t i = 0; i < BATCH; i++)
        ptr[i] = space + i * (DGRAM + 1);
    (void)raw_pin_thread(1);
    (void)recv_once(r, space, m, ptr, r->way == W_LIBUV ? W_PS : r->way);
#ifdef PS_BENCH_LIBUV
    if (r->way == W_LIBUV) {
        uv_receiver(r);
        atomic_store(&r->stop, 1);
        free(space);
        return;
    }
#endif
    r->rcv.count = 0;
    window_start(&w, r);
    uint64_t count = 0;
    do
        count += recv_once(r, space, m, ptr, r->way);
    while (!window_over(&w, r, count));
    atomic_store(&r->stop, 1);
    free(space);
}

/* ---- the runs ---- */

static int rcvbuf_got;

static void open_pair(run *r, int coalesce)
{
    int e;
    if ((e = ps_udp_open(&r->rx, "127.0.0.1", "0")) != 0)
        fail("ps_udp_open", e);
    if ((e = ps_udp_open(&r->tx, "127.0.0.1", "0")) != 0)
        fail("ps_udp_open", e);
    if ((e = ps_local_addr(r->rx, &r->to)) != 0)
        fail("ps_local_addr", e);
    rcvbuf_got = raw_set_rcvbuf(r->rx, RCVBUF);
    if ((e = ps_udp_offload(r->rx, coalesce ? PS_UDP_OFFLOAD_RECV : 0, NULL)) !=
        0)
        fail("ps_udp_offload", e);
}

/* One figure: the datagrams/s and CPU ns per datagram of way's sender
 * (send) or receiver (!send). */
static void measure(int way, int send, double secs, double *rate, double *cpu)
{
    run *r = calloc(1, sizeof *r);
    if (!r)
        fail("calloc", PS_ENOMEM);
    r->way = way;
    r->window_ns = (int64_t)(secs * 1e9);
    r->next_seq = 1;
    atomic_init(&r->stop, 0);
    /* The drain coalesces; a measured receiver only with offload. */
    open_pair(r, send || way == W_OFFLOAD);
    raw_thread *a = raw_thread_start(send ? drain_main : receiver_main, r);
    raw_thread *b = a ? raw_thread_start(send ? sender_main : flood_main, r)
                      : NULL;
    if (!a || !b)
        fail("a thread", PS_ENOMEM);
    raw_thread_join(b);
    raw_thread_join(a);
    *rate = (double)r->count * 1e9 / (double)r->wall_ns;
    *cpu = r->cpu_ns < 0 ? -1 : (double)r->cpu_ns / (double)r->count;
    ps_close(r->tx);
    if (r->rx != PS_INVALID_SOCKET)
        ps_close(r->rx);
    free(r);
}

static void cell_rate(double v)
{
    if (v < 0)
        printf(" %12s |", "-");
    else
        printf(" %12.0f |", v);
}

static void cell_num(double v, const char *fmt, int width)
{
    if (v <= 0)
        printf(" %*s |", width, "-");
    else {
        printf(" ");
        printf(fmt, width, v);
        printf(" |");
    }
}

static void spread(const char *what, double *v, int n)
{
    double lo = v[0], hi = v[0];
    for (int i = 1; i < n; i++) {
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    printf("%s over %d rounds: %.0f .. %.0f datagrams/s\n", what, n, lo, hi);
}

int main(int argc, char **argv)
{
    double secs = 2;
    int rounds = 3, e;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            secs = 1;
            rounds = 1;
        } else if (strcmp(argv[i], "--secs") == 0 && i + 1 < argc) {
            secs = atof(argv[++i]);
        } else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            rounds = atoi(argv[++i]);
        } else {
            fprintf(stderr,
                    "usage: bench_udp [--quick] [--secs N] [--rounds N]\n");
            return 2;
        }
    }
    if (secs <= 0 || secs > 600 || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "bench_udp: --secs 0..600, --rounds 1..%d\n",
                MAX_ROUNDS);
        return 2;
    }
    if ((e = ps_init()) != 0)
        fail("ps_init", e);

    /* What this system offers, asked on a socket like the measured ones. */
    int cpus = raw_cpus_allowed();
    unsigned got = 0;
    ps_socket_t probe;
    if ((e = ps_udp_open(&probe, "127.0.0.1", "0")) != 0)
        fail("ps_udp_open", e);
    if ((e = ps_udp_offload(probe, PS_UDP_OFFLOAD_SEND | PS_UDP_OFFLOAD_RECV,
                            &got)) != 0)
        fail("ps_udp_offload", e);
    int rb = raw_set_rcvbuf(probe, RCVBUF);
    ps_close(probe);
    flood_way = (got & PS_UDP_OFFLOAD_SEND) ? W_OFFLOAD : W_BATCH;

    int have[NWAYS];
    for (int w = 0; w < NWAYS; w++)
        have[w] = 1;
    have[W_MMSG] = raw_has_mmsg();
#ifndef PS_BENCH_LIBUV
    have[W_LIBUV] = 0;
#endif

    printf("UDP, %d-byte datagrams over 127.0.0.1 (%s), %s; %d round%s of "
           "%.1f s a figure, median\n",
           DGRAM, raw_platform(),
           cpus >= 2 ? "sender and receiver pinned to two CPUs"
                     : "threads not pinned",
           rounds, rounds == 1 ? "" : "s", secs);
    printf("offload here: send segmentation %s, receive coalescing %s; receive "
           "buffer %d bytes; receivers measured against a %s sender\n",
           (got & PS_UDP_OFFLOAD_SEND) ? "yes" : "no (portsock cuts)",
           (got & PS_UDP_OFFLOAD_RECV) ? "yes" : "no", rb,
           flood_way == W_OFFLOAD ? "portsock offload" : "portsock batch");

    /* Warm-up, not counted: the first run of a process (Wine's first
     * sockets especially) is slower than the rest. */
    double ignore_rate, ignore_cpu;
    measure(W_RAW, 1, secs / 4, &ignore_rate, &ignore_cpu);

    double sr[NWAYS][MAX_ROUNDS], sc[NWAYS][MAX_ROUNDS];
    double rr[NWAYS][MAX_ROUNDS], rc[NWAYS][MAX_ROUNDS];
    for (int i = 0; i < rounds; i++)
        for (int w = 0; w < NWAYS; w++) {
            if (!have[w])
                continue;
            measure(w, 1, secs, &sr[w][i], &sc[w][i]);
            measure(w, 0, secs, &rr[w][i], &rc[w][i]);
        }
    double s_rate[NWAYS], s_cpu[NWAYS], r_rate[NWAYS], r_cpu[NWAYS];
    for (int w = 0; w < NWAYS; w++) {
        s_rate[w] = s_cpu[w] = r_rate[w] = r_cpu[w] = -1;
        if (!have[w])
            continue;
        double tmp[MAX_ROUNDS];
        memcpy(tmp, sr[w], sizeof tmp);
        s_rate[w] = bench_median(tmp, (size_t)rounds);
        memcpy(tmp, sc[w], sizeof tmp);
        s_cpu[w] = bench_median(tmp, (size_t)rounds);
        memcpy(tmp, rr[w], sizeof tmp);
        r_rate[w] = bench_median(tmp, (size_t)rounds);
        memcpy(tmp, rc[w], sizeof tmp);
        r_cpu[w] = bench_median(tmp, (size_t)rounds);
    }

    printf("\n| %-31s | %12s | %8s | %7s | %7s | %12s | %8s | %7s | %7s |\n",
           "way", "send dgram/s", "ns CPU", "x raw", "x libuv", "recv dgram/s",
           "ns CPU", "x raw", "x libuv");
    printf("|%.33s|%.14s|%.10s|%.9s|%.9s|%.14s|%.10s|%.9s|%.9s|\n",
           "---------------------------------", "--------------", "----------",
           "---------", "---------", "--------------", "----------",
           "---------", "---------");
    for (int w = 0; w < NWAYS; w++) {
        if (!have[w])
            continue;
        const char *name = way_name[w];
        if (w == W_OFFLOAD && !got)
            name = "ps_udp_* segments (no offload)";
        printf("| %-31s |", name);
        cell_rate(s_rate[w]);
        cell_num(s_cpu[w], "%*.0f", 8);
        cell_num(s_rate[w] / s_rate[W_RAW], "%*.2f", 7);
        cell_num(have[W_LIBUV] ? s_rate[w] / s_rate[W_LIBUV] : -1, "%*.2f", 7);
        cell_rate(r_rate[w]);
        cell_num(r_cpu[w], "%*.0f", 8);
        cell_num(r_rate[w] / r_rate[W_RAW], "%*.2f", 7);
        cell_num(have[W_LIBUV] ? r_rate[w] / r_rate[W_LIBUV] : -1, "%*.2f", 7);
        printf("\n");
    }
    printf("\nx raw: rate / the raw sendto (recvfrom) row's; x libuv: rate / "
           "libuv's "
           "row's. ns CPU: the measuring thread's CPU time per datagram.\n");
    if (rounds > 1) {
        spread("raw sendto", sr[W_RAW], rounds);
        spread("raw recvfrom", rr[W_RAW], rounds);
    }
    /* The fallback's cost (the goal: no more than 1.05x ps_sendto's time
     * per datagram) where the system batches nothing; else batching's gain. */
    printf("ps_udp_sendmsgs (64) %s: %.3fx ps_sendto's time per datagram\n",
           have[W_MMSG] ? "batched" : "one call per datagram (fallback)",
           s_rate[W_PS] / s_rate[W_BATCH]);
    return 0;
}
