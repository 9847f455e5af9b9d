/* SPDX-License-Identifier: MIT */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raw.h"

int bench_port_text(ps_socket_t s, char *buf, size_t cap)
{
    ps_addr a;
    int port;
    if (ps_local_addr(s, &a) != 0 || (port = ps_addr_port(&a)) < 0) {
        snprintf(buf, cap, "0");
        return -1;
    }
    snprintf(buf, cap, "%d", port);
    return 0;
}

int bench_tcp_pair(ps_socket_t *client, ps_socket_t *server)
{
    ps_socket_t l;
    char port[16];
    int r = ps_listen(&l, "127.0.0.1", "0", 1);
    if (r != 0)
        return r;
    if (bench_port_text(l, port, sizeof port) != 0) {
        ps_close(l);
        return PS_EUNKNOWN;
    }
    if ((r = ps_connect(client, "127.0.0.1", port, 10000)) == 0 &&
        (r = ps_accept(l, server, NULL, 10000)) != 0)
        ps_close(*client);
    ps_close(l);
    return r;
}

int bench_raw_send_all(ps_socket_t s, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        long n = raw_send(s, p, len);
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int bench_raw_recv_all(ps_socket_t s, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        long n = raw_recv(s, p, len);
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

_Noreturn void bench_poller_serve(const char *prog, ps_poller *poller,
                                  ps_socket_t l,
                                  void (*accept_all)(ps_socket_t l),
                                  void (*ready)(void *data, unsigned revents))
{
    char port[16];
    ps_pollitem li;
    memset(&li, 0, sizeof li);
    li.kind = PS_KIND_SOCKET;
    li.sock = l;
    li.events = PS_POLL_READ;
    int r = ps_poller_add(poller, &li, NULL);
    if (r != 0) {
        fprintf(stderr, "%s: ps_poller_add: %s\n", prog, ps_strerror(r));
        exit(1);
    }
    bench_port_text(l, port, sizeof port);
    printf("port %s\n", port);
    fflush(stdout);
    ps_event evs[256];
    for (;;) {
        int n = ps_poller_wait(poller, evs, 256, -1);
        if (n < 0) {
            fprintf(stderr, "%s: ps_poller_wait: %s\n", prog, ps_strerror(n));
            exit(1);
        }
        for (int i = 0; i < n; i++) {
            if (evs[i].data)
                ready(evs[i].data, evs[i].revents);
            else
                accept_all(l);
        }
    }
}
