/* SPDX-License-Identifier: MIT */
/* POSIX: the socket pair, from socketpair(). */
#include "posix.h"

#include <sys/socket.h>
#include <unistd.h>

int ps__socketpair(ps_socket_t pair[2])
{
    int fds[2];
    int type = SOCK_STREAM, need_cloexec = 1;
#ifdef SOCK_CLOEXEC
    type |= SOCK_CLOEXEC;
    need_cloexec = 0;
#endif
    if (socketpair(AF_UNIX, type, 0, fds) != 0)
        return ps__last_error();
    int r = ps__posix_prepare_fd(fds[0], need_cloexec);
    if (r == 0)
        r = ps__posix_prepare_fd(fds[1], need_cloexec);
    if (r != 0) {
        close(fds[0]);
        close(fds[1]);
        return r;
    }
    pair[0] = fds[0];
    pair[1] = fds[1];
    return 0;
}
