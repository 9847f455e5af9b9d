#include "select_support.h"

#include <winsock2.h>
#include <windows.h>

#include <fcntl.h>
#include <io.h>
#include <stdio.h>

int pst_open_read(const char *path) { return _open(path, _O_RDONLY | _O_BINARY); }

int pst_write_file(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = fwrite(buf, 1, len, f);
    return (fclose(f) == 0 && n == len) ? 0 : -1;
}

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
