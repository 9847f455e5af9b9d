/* SPDX-License-Identifier: MIT */
/* How soon a wait on an anonymous pipe returns after another thread writes
 * into it (every platform; on Windows the pipe is a HANDLE, which only
 * portsock's helpers can wait on together with sockets):
 *   a raw blocking read (read / ReadFile) on the pipe: the floor;
 *   ps_poller_wait on a poller where the pipe is registered (with a socket
 *   pair too, so the wait is a real mixed set);
 *   ps_select on the same two items.
 * The writer starts 50 ms after the wait does; the figure is the time from
 * just before its write to the wait's return. Prints median and worst per
 * way and the extra latency over the raw read. Figures, not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "portsock.h"
#include "raw.h"

#define ROUNDS 15
#define DELAY_MS 50

enum { K_RAW, K_POLLER, K_SELECT, K_COUNT };
static const char *const names[K_COUNT] = {"blocking read", "ps_poller_wait", "ps_select"};

typedef struct writer {
    raw_pipe *pipe;
    int64_t wrote_ns; /* just before the write */
} writer;

static _Noreturn void fail(const char *what, int r)
{
    fprintf(stderr, "bench_pipe_wake: %s: %s\n", what, ps_strerror(r));
    exit(1);
}

static void write_later(void *arg)
{
    writer *w = arg;
    raw_sleep_ms(DELAY_MS);
    w->wrote_ns = raw_now_ns();
    if (raw_pipe_write(w->pipe, "x", 1) != 1)
        fail("pipe write", PS_EUNKNOWN);
}

/* Waits one way for the byte the writer sends; returns when it woke. */
static int64_t wait_once(int kind, raw_pipe *pipe, ps_poller *p, ps_pollitem *items)
{
    char c;
    int r;
    if (kind == K_RAW) {
        if (raw_pipe_read(pipe, &c, 1) != 1)
            fail("pipe read", PS_EUNKNOWN);
        return raw_now_ns();
    }
    if (kind == K_POLLER) {
        ps_event ev[4];
        r = ps_poller_wait(p, ev, 4, 5000);
        if (r != 1 || ev[0].data != (void *)pipe)
            fail("ps_poller_wait did not report the pipe", r < 0 ? r : PS_EUNKNOWN);
    } else {
        r = ps_select(items, 2, 5000);
        if (r != 1 || !(items[0].revents & PS_POLL_READ))
            fail("ps_select did not report the pipe", r < 0 ? r : PS_EUNKNOWN);
    }
    int64_t t = raw_now_ns();
    if (raw_pipe_read(pipe, &c, 1) != 1)
        fail("pipe read", PS_EUNKNOWN);
    return t;
}

int main(void)
{
    ps_socket_t pair[2];
    ps_pollitem items[2];
    ps_poller *p;
    int r;
    if ((r = ps_init()) != 0 || (r = ps_socketpair(pair)) != 0)
        fail("set-up", r);
    raw_pipe *pipe = raw_pipe_open(&items[0]);
    if (!pipe)
        fail("raw_pipe_open", PS_EUNKNOWN);
    memset(&items[1], 0, sizeof items[1]);
    items[1].kind = PS_KIND_SOCKET;
    items[1].sock = pair[0];
    items[1].events = PS_POLL_READ;
    if ((r = ps_poller_open(&p)) != 0 || (r = ps_poller_add(p, &items[0], pipe)) != 0 ||
        (r = ps_poller_add(p, &items[1], NULL)) != 0)
        fail("ps_poller", r);

    double lat[K_COUNT][ROUNDS], med[K_COUNT], worst[K_COUNT];
    /* The ways take turns round by round. */
    for (int i = 0; i < ROUNDS; i++) {
        for (int k = 0; k < K_COUNT; k++) {
            writer w = {pipe, 0};
            raw_thread *t = raw_thread_start(write_later, &w);
            if (!t)
                fail("thread", PS_ENOMEM);
            int64_t woke = wait_once(k, pipe, p, items);
            raw_thread_join(t);
            lat[k][i] = (double)(woke - w.wrote_ns) / 1e6;
        }
    }
    printf("Pipe wake-up, write %d ms after the wait starts (%s); %d rounds, ms\n",
           DELAY_MS, raw_platform(), ROUNDS);
    printf("%-16s %9s %9s %14s\n", "", "median", "worst", "extra (median)");
    for (int k = 0; k < K_COUNT; k++) {
        worst[k] = lat[k][0];
        for (int i = 1; i < ROUNDS; i++)
            if (lat[k][i] > worst[k])
                worst[k] = lat[k][i];
        med[k] = bench_median(lat[k], ROUNDS);
        printf("%-16s %9.3f %9.3f %14.3f\n", names[k], med[k], worst[k], med[k] - med[K_RAW]);
    }
    ps_poller_close(p);
    raw_pipe_close(pipe);
    ps_close(pair[0]);
    ps_close(pair[1]);
    ps_cleanup();
    return 0;
}
