/* SPDX-License-Identifier: MIT */
#include "select_support.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int pst_open_read(const char *path)
{
    return open(path, O_RDONLY);
}

int pst_open_write(const char *path)
{
    return open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
}

long pst_raw_recv(ps_socket_t s, void *buf, size_t len)
{
    ssize_t n = recv(s, buf, len, 0);
    if (n >= 0)
        return (long)n;
    return (errno == EAGAIN || errno == EWOULDBLOCK) ? -1 : -2;
}

int pst_event_select(ps_socket_t s, int on)
{
    (void)s;
    (void)on;
    return -1;
}

void *pst_fd_handle(int fd)
{
    (void)fd;
    return NULL;
}

ps_socket_t pst_fd_as_socket(int fd)
{
    return fd;
}

int pst_os_pipe(void *handles[2])
{
    handles[0] = handles[1] = NULL;
    return -1;
}

void pst_close_handle(void *h)
{
    (void)h;
}

int pst_pipe_nowait(void *h)
{
    (void)h;
    return -1;
}

int pst_fd_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 ? -1 : 0;
}
