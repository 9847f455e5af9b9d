/* What portsock costs over raw system calls, measured in one run:
 *  1. one-byte ping-pong over a socket pair: raw send/recv vs ps_send/ps_recv
 *     (no timeout, and with a timeout, which takes the non-blocking path);
 *  2. a readiness wait over many sockets with the last one ready: raw
 *     poll()/select() vs ps_select.
 * Prints times per operation and the ratio portsock / raw. Not a test: the
 * figures depend on the machine; nothing here passes or fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portsock.h"
#include "raw.h"

#define ROUNDS 20000
#define WAIT_SOCKETS 256
#define WAIT_ROUNDS 2000

static double pingpong_raw(ps_socket_t a, ps_socket_t b)
{
    char c = 'x';
    int64_t t0 = raw_now_ns();
    for (int i = 0; i < ROUNDS; i++) {
        if (raw_send(a, &c, 1) != 1 || raw_recv(b, &c, 1) != 1 ||
            raw_send(b, &c, 1) != 1 || raw_recv(a, &c, 1) != 1)
            return -1;
    }
    return (double)(raw_now_ns() - t0) / ROUNDS;
}

static double pingpong_ps(ps_socket_t a, ps_socket_t b, int timeout_ms)
{
    char c = 'x';
    size_t n;
    int64_t t0 = raw_now_ns();
    for (int i = 0; i < ROUNDS; i++) {
        if (ps_send(a, &c, 1, &n, timeout_ms) || ps_recv(b, &c, 1, &n, timeout_ms) ||
            ps_send(b, &c, 1, &n, timeout_ms) || ps_recv(a, &c, 1, &n, timeout_ms))
            return -1;
    }
    return (double)(raw_now_ns() - t0) / ROUNDS;
}

static void report(const char *what, double raw_ns, double ps_ns)
{
    if (raw_ns <= 0 || ps_ns <= 0) {
        printf("%-44s failed\n", what);
        return;
    }
    printf("%-44s raw %9.0f ns   portsock %9.0f ns   ratio %.2f\n", what, raw_ns,
           ps_ns, ps_ns / raw_ns);
}

int main(void)
{
    ps_socket_t pair[2];
    int r = ps_socketpair(pair);
    if (r != 0) {
        fprintf(stderr, "socketpair: %s\n", ps_strerror(r));
        return 1;
    }
    printf("portsock %s overhead over raw system calls (lower ratio is better)\n",
           ps_version());
    /* Warm up, then measure raw and portsock alternately to share noise. */
    pingpong_raw(pair[0], pair[1]);
    double raw1 = pingpong_raw(pair[0], pair[1]);
    double ps_forever = pingpong_ps(pair[0], pair[1], -1);
    double raw2 = pingpong_raw(pair[0], pair[1]);
    double ps_timed = pingpong_ps(pair[0], pair[1], 1000);
    double raw = (raw1 + raw2) / 2;
    report("ping-pong round trip, timeout -1", raw, ps_forever);
    report("ping-pong round trip, timeout 1000 ms", raw, ps_timed);
    ps_close(pair[0]);
    ps_close(pair[1]);

    ps_socket_t(*pairs)[2] = calloc(WAIT_SOCKETS, sizeof *pairs);
    ps_socket_t *socks = calloc(WAIT_SOCKETS, sizeof *socks);
    ps_pollitem *items = calloc(WAIT_SOCKETS, sizeof *items);
    if (!pairs || !socks || !items)
        return 1;
    for (int i = 0; i < WAIT_SOCKETS; i++) {
        if ((r = ps_socketpair(pairs[i])) != 0) {
            fprintf(stderr, "socketpair %d: %s\n", i, ps_strerror(r));
            return 1;
        }
        socks[i] = pairs[i][0];
        items[i].kind = PS_KIND_SOCKET;
        items[i].sock = pairs[i][0];
        items[i].events = PS_POLL_READ;
    }
    size_t n;
    ps_send(pairs[WAIT_SOCKETS - 1][1], "x", 1, &n, -1);
    int64_t t0 = raw_now_ns();
    for (int i = 0; i < WAIT_ROUNDS; i++)
        if (raw_wait_readable(socks, WAIT_SOCKETS, 1000) != 1)
            return 1;
    double raw_wait = (double)(raw_now_ns() - t0) / WAIT_ROUNDS;
    t0 = raw_now_ns();
    for (int i = 0; i < WAIT_ROUNDS; i++)
        if (ps_select(items, WAIT_SOCKETS, 1000) != 1)
            return 1;
    double ps_wait = (double)(raw_now_ns() - t0) / WAIT_ROUNDS;
    char label[64];
    snprintf(label, sizeof label, "wait on %d sockets, last one ready", WAIT_SOCKETS);
    report(label, raw_wait, ps_wait);
    for (int i = 0; i < WAIT_SOCKETS; i++) {
        ps_close(pairs[i][0]);
        ps_close(pairs[i][1]);
    }
    free(pairs);
    free(socks);
    free(items);
    return 0;
}
