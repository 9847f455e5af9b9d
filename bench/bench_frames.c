/* SPDX-License-Identifier: MIT */
/* Small framed request/response, as real protocols do it: a 30-byte
 * payload behind a 4-byte big-endian length, sent by one thread and echoed
 * by another over loopback TCP. Compares ps_send_frame/ps_recv_frame with a
 * raw version that builds header and payload in one buffer and sends it
 * with one send() (reading with recv loops), with Nagle on (the default)
 * and off (ps_set_nodelay). Prints mean round trips and the ratio.
 *
 * A frame that leaves as two writes meets the delayed ACK of the peer with
 * Nagle on (tens of ms per round trip), so each measurement stops after a
 * time budget as well as a round count: the program ends in seconds either
 * way. Not a test: nothing here passes or fails. */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "portsock.h"
#include "raw.h"

#define PAYLOAD 30
/* Each figure is the median of blocks of BLOCK_ROUNDS round trips (a block
 * also ends after BLOCK_NS), the two methods taking turns, and a method
 * gets no more blocks once it has used METHOD_NS. */
#define BLOCKS 20
#define BLOCK_ROUNDS 100
#define BLOCK_NS 300000000LL
#define METHOD_NS 1200000000LL

enum { M_RAW = 'r', M_PS = 'p' };

static int frame_send(ps_socket_t s, int mode, const void *buf, size_t len)
{
    if (mode == M_PS)
        return ps_send_frame(s, buf, len, -1) == 0 ? 0 : -1;
    unsigned char out[4 + 64];
    if (len > 64)
        return -1;
    ps_store_be32(out, (uint32_t)len);
    if (len > 0)
        memcpy(out + 4, buf, len);
    return bench_raw_send_all(s, out, 4 + len);
}

/* *len: the payload length; 0 is the end-of-phase marker. */
static int frame_recv(ps_socket_t s, int mode, void *buf, size_t cap, size_t *len)
{
    if (mode == M_PS)
        return ps_recv_frame(s, buf, cap, len, -1) == 0 ? 0 : -1;
    unsigned char h[4];
    if (bench_raw_recv_all(s, h, 4) != 0)
        return -1;
    *len = ps_load_be32(h);
    if (*len > cap)
        return -1;
    return *len == 0 ? 0 : bench_raw_recv_all(s, buf, *len);
}

/* The responding thread: one raw byte names the mode of a phase, then it
 * echoes frames until an empty one; end of stream ends it. The mode byte
 * and the empty frame are answered with one byte each, so with Nagle on no
 * control byte is left waiting for a delayed ACK when timing starts. */
static void responder(void *arg)
{
    ps_socket_t s = *(ps_socket_t *)arg;
    unsigned char mode, buf[64];
    size_t len;
    for (;;) {
        long n = raw_recv(s, &mode, 1);
        if (n == 0)
            return;
        if (n != 1 || raw_send(s, &mode, 1) != 1)
            goto fail;
        for (;;) {
            if (frame_recv(s, mode, buf, sizeof buf, &len) != 0)
                goto fail;
            if (len == 0) {
                if (raw_send(s, &mode, 1) != 1)
                    goto fail;
                break;
            }
            if (frame_send(s, mode, buf, len) != 0)
                goto fail;
        }
    }
fail:
    fprintf(stderr, "bench_frames: responder failed\n");
    ps_shutdown(s, PS_SHUT_RDWR); /* so the requester stops waiting */
}

typedef struct {
    int64_t ns;
    long rounds;
} tally;

/* Request/response until BLOCK_ROUNDS or BLOCK_NS, into *t; 0 or -1. */
static int measure(ps_socket_t s, int mode, tally *t)
{
    unsigned char req[PAYLOAD], resp[64];
    unsigned char m = (unsigned char)mode;
    size_t len;
    for (int i = 0; i < PAYLOAD; i++)
        req[i] = (unsigned char)('a' + i % 26);
    if (raw_send(s, &m, 1) != 1 || raw_recv(s, &m, 1) != 1)
        return -1;
    int64_t t0 = raw_now_ns(), now = t0;
    long i = 0;
    while (i < BLOCK_ROUNDS && now - t0 < BLOCK_NS) {
        if (frame_send(s, mode, req, PAYLOAD) != 0 ||
            frame_recv(s, mode, resp, sizeof resp, &len) != 0 || len != PAYLOAD ||
            memcmp(req, resp, PAYLOAD) != 0)
            return -1;
        i++;
        now = raw_now_ns();
    }
    t->ns = now - t0;
    t->rounds = i;
    if (frame_send(s, mode, NULL, 0) != 0) /* end of phase */
        return -1;
    return raw_recv(s, &m, 1) == 1 ? 0 : -1;
}

typedef struct {
    double block[BLOCKS]; /* ns per round trip in each block */
    int blocks;
    int64_t ns;
    long rounds;
} figure;

static void print_time(figure *f)
{
    double med = bench_median(f->block, (size_t)f->blocks);
    char text[32];
    if (med >= 1e6)
        snprintf(text, sizeof text, "%.2f ms", med / 1e6);
    else
        snprintf(text, sizeof text, "%.1f us", med / 1e3);
    printf(" %10s (%5ld rt)", text, f->rounds);
}

/* One line: raw and portsock with Nagle on (nodelay 0) or off (1). */
static int run_setting(ps_socket_t a, ps_socket_t b, int nodelay)
{
    static const int mode[2] = {M_RAW, M_PS};
    figure f[2];
    tally t;
    memset(f, 0, sizeof f);
    if (ps_set_nodelay(a, nodelay) != 0 || ps_set_nodelay(b, nodelay) != 0)
        return -1;
    if (measure(a, M_RAW, &t) != 0) /* warm-up */
        return -1;
    for (int i = 0; i < BLOCKS; i++)
        for (int k = 0; k < 2; k++) {
            figure *g = &f[(i + k) % 2];
            if (g->ns >= METHOD_NS)
                continue;
            if (measure(a, mode[(i + k) % 2], &t) != 0 || t.rounds == 0)
                return -1;
            g->block[g->blocks++] = (double)t.ns / (double)t.rounds;
            g->ns += t.ns;
            g->rounds += t.rounds;
        }
    printf("%-10s", nodelay ? "Nagle off" : "Nagle on");
    print_time(&f[0]);
    print_time(&f[1]);
    printf("   %8.2f\n", bench_median(f[1].block, (size_t)f[1].blocks) /
                             bench_median(f[0].block, (size_t)f[0].blocks));
    return 0;
}

int main(void)
{
    ps_socket_t a, b;
    if (ps_init() != 0)
        return 1;
    int r = bench_tcp_pair(&a, &b);
    if (r != 0) {
        fprintf(stderr, "tcp pair: %s\n", ps_errname(r));
        return 1;
    }
    printf("portsock %s frame request/response, %s\n", ps_version(), raw_platform());
    printf("%d-byte payload, two threads over loopback TCP; time per round trip, "
           "median of blocks of up to %d (rt: round trips measured, at most %d "
           "or ~%.1f s per figure):\n",
           PAYLOAD, BLOCK_ROUNDS, BLOCKS * BLOCK_ROUNDS, METHOD_NS / 1e9);
    printf("%-10s %24s %24s   %8s\n", "", "raw one-send frame", "ps_send_frame",
           "ps/raw");
    raw_thread *t = raw_thread_start(responder, &b);
    if (!t) {
        ps_close(a);
        ps_close(b);
        return 1;
    }
    int ok = run_setting(a, b, 0) == 0 && run_setting(a, b, 1) == 0;
    if (!ok)
        printf("frame round trips failed\n");
    ps_shutdown(a, PS_SHUT_WR);
    raw_thread_join(t);
    ps_close(a);
    ps_close(b);
    ps_cleanup();
    return ok ? 0 : 1;
}
