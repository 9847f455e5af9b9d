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

ps_socket_t pst_fd_as_socket(int fd) { return (ps_socket_t)_get_osfhandle(fd); }

void pst_close_handle(void *h) { CloseHandle(h); }

