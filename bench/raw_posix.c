#include "raw.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

long raw_send(ps_socket_t s, const void *buf, size_t len)
{
    return (long)send(s, buf, len, MSG_NOSIGNAL);
}

long raw_recv(ps_socket_t s, void *buf, size_t len)
{
    return (long)recv(s, buf, len, 0);
}

int raw_wait_readable(const ps_socket_t *socks, size_t n, int timeout_ms)
{
    struct pollfd *p = malloc(n * sizeof *p);
    if (!p)
        return -1;
    for (size_t i = 0; i < n; i++) {
        p[i].fd = socks[i];
        p[i].events = POLLIN;
        p[i].revents = 0;
    }
    int r = poll(p, (nfds_t)n, timeout_ms);
    free(p);
    return r;
}

int64_t raw_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
