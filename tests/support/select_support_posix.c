#include "select_support.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int pst_open_read(const char *path) { return open(path, O_RDONLY); }

long pst_raw_recv(ps_socket_t s, void *buf, size_t len)
{
    ssize_t n = recv(s, buf, len, 0);
    if (n >= 0)
        return (long)n;
    return (errno == EAGAIN || errno == EWOULDBLOCK) ? -1 : -2;
}

void *pst_fd_handle(int fd)
{
    (void)fd;
    return NULL;
}

int pst_os_pipe(void *handles[2])
{
    handles[0] = handles[1] = NULL;
    return -1;
}

void pst_close_handle(void *h) { (void)h; }

ps_socket_t pst_refusing_port(int *port)
{
    ps_socket_t s;
    ps_addr a;
    if (ps_socket(&s, PS_AF_INET, PS_SOCK_STREAM) != 0)
        return PS_INVALID_SOCKET;
    if (ps_addr_parse(&a, "127.0.0.1:0") != 0 ||
        bind(s, (const struct sockaddr *)(const void *)a.storage.bytes,
             (socklen_t)a.len) != 0 ||
        ps_local_addr(s, &a) != 0) {
        ps_close(s);
        return PS_INVALID_SOCKET;
    }
    *port = ps_addr_port(&a);
    return s;
}

int pst_refusing_port_at(ps_socket_t *out, const char *ip, int *port)
{
    char text[80];
    ps_addr a;
    ps_socket_t s;
    int v6 = strchr(ip, ':') != NULL;
    *out = PS_INVALID_SOCKET;
    if (v6)
        snprintf(text, sizeof text, "[%s]:%d", ip, *port);
    else
        snprintf(text, sizeof text, "%s:%d", ip, *port);
    int r = ps_addr_parse(&a, text);
    if (r == 0)
        r = ps_socket(&s, v6 ? PS_AF_INET6 : PS_AF_INET, PS_SOCK_STREAM);
    if (r != 0)
        return r;
    if (bind(s, (const struct sockaddr *)(const void *)a.storage.bytes,
             (socklen_t)a.len) != 0) {
        int inuse = errno == EADDRINUSE;
        ps_close(s);
        return inuse ? PS_EADDRINUSE : PS_EUNKNOWN;
    }
    r = ps_local_addr(s, &a);
    if (r != 0) {
        ps_close(s);
        return r;
    }
    *port = ps_addr_port(&a);
    *out = s;
    return 0;
}
