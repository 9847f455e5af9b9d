/* SPDX-License-Identifier: MIT */
#include "select_support.h"

#include <winsock2.h>
#include <windows.h>

#include <fcntl.h>
#include <io.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>

int pst_open_read(const char *path)
{
    return _open(path, _O_RDONLY | _O_BINARY);
}

int pst_open_write(const char *path)
{
    return _open(path, _O_WRONLY | _O_CREAT | _O_TRUNC | _O_BINARY,
                 _S_IREAD | _S_IWRITE);
}

long pst_raw_recv(ps_socket_t s, void *buf, size_t len)
{
    int n = recv((SOCKET)s, buf, (int)len, 0);
    if (n != SOCKET_ERROR)
        return n;
    return WSAGetLastError() == WSAEWOULDBLOCK ? -1 : -2;
}

int pst_event_select(ps_socket_t s, int on)
{
    /* One event for the whole test process; it is never signalled for
     * anything the tests wait on. */
    static WSAEVENT ev = WSA_INVALID_EVENT;
    if (on && ev == WSA_INVALID_EVENT &&
        (ev = WSACreateEvent()) == WSA_INVALID_EVENT)
        return -1;
    if (on)
        return WSAEventSelect((SOCKET)s, ev, FD_READ) == 0 ? 0 : -1;
    return WSAEventSelect((SOCKET)s, NULL, 0) == 0 ? 0 : -1;
}

void *pst_fd_handle(int fd)
{
    return (void *)_get_osfhandle(fd);
}

ps_socket_t pst_fd_as_socket(int fd)
{
    return (ps_socket_t)_get_osfhandle(fd);
}

int pst_os_pipe(void *handles[2])
{
    HANDLE r, w;
    if (!CreatePipe(&r, &w, NULL, 65536))
        return -1;
    handles[0] = r;
    handles[1] = w;
    return 0;
}

void pst_close_handle(void *h)
{
    CloseHandle(h);
}

int pst_pipe_nowait(void *h)
{
    DWORD mode = PIPE_READMODE_BYTE | PIPE_NOWAIT;
    return SetNamedPipeHandleState(h, &mode, NULL, NULL) ? 0 : -1;
}

int pst_fd_nonblock(int fd)
{
    (void)fd;
    return -1;
}
