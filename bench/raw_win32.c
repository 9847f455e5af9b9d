#include "raw.h"

#include <winsock2.h>
#include <windows.h>

#include <stdlib.h>

long raw_send(ps_socket_t s, const void *buf, size_t len)
{
    return send((SOCKET)s, buf, (int)len, 0);
}

long raw_recv(ps_socket_t s, void *buf, size_t len)
{
    return recv((SOCKET)s, buf, (int)len, 0);
}

/* Winsock's fd_set is a counted array: allocated larger than FD_SETSIZE it
 * holds any number of sockets. */
int raw_wait_readable(const ps_socket_t *socks, size_t n, int timeout_ms)
{
    fd_set *set = malloc(sizeof(fd_set) + n * sizeof(SOCKET));
    if (!set)
        return -1;
    set->fd_count = (u_int)n;
    for (size_t i = 0; i < n; i++)
        set->fd_array[i] = (SOCKET)socks[i];
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    int r = select(0, set, NULL, NULL, timeout_ms < 0 ? NULL : &tv);
    free(set);
    return r;
}

int64_t raw_now_ns(void)
{
    static LARGE_INTEGER freq;
    LARGE_INTEGER now;
    if (freq.QuadPart == 0)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&now);
    return (int64_t)((double)now.QuadPart * 1e9 / (double)freq.QuadPart);
}
