#include "select_support.h"

#include <winsock2.h>
#include <windows.h>

#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <string.h>

int pst_open_read(const char *path) { return _open(path, _O_RDONLY | _O_BINARY); }

long pst_raw_recv(ps_socket_t s, void *buf, size_t len)
{
    int n = recv((SOCKET)s, buf, (int)len, 0);
    if (n != SOCKET_ERROR)
        return n;
    return WSAGetLastError() == WSAEWOULDBLOCK ? -1 : -2;
}

void *pst_fd_handle(int fd) { return (void *)_get_osfhandle(fd); }

int pst_os_pipe(void *handles[2])
{
    HANDLE r, w;
    if (!CreatePipe(&r, &w, NULL, 65536))
        return -1;
    handles[0] = r;
    handles[1] = w;
    return 0;
}

void pst_close_handle(void *h) { CloseHandle(h); }

ps_socket_t pst_refusing_port(int *port)
{
    ps_socket_t s;
    ps_addr a;
    if (ps_socket(&s, PS_AF_INET, PS_SOCK_STREAM) != 0)
        return PS_INVALID_SOCKET;
    if (ps_addr_parse(&a, "127.0.0.1:0") != 0 ||
        bind((SOCKET)s, (const struct sockaddr *)(const void *)a.storage.bytes,
             (int)a.len) != 0 ||
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
    if (bind((SOCKET)s, (const struct sockaddr *)(const void *)a.storage.bytes,
             (int)a.len) != 0) {
        int inuse = WSAGetLastError() == WSAEADDRINUSE;
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
