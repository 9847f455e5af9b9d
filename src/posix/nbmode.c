/* SPDX-License-Identifier: MIT */
/* POSIX: blocking mode, which the descriptor itself keeps (O_NONBLOCK). */
#include "posix.h"

#include <fcntl.h>

int ps__posix_set_nonblocking(int fd, int on)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return ps__last_error();
    int want = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    if (want != flags && fcntl(fd, F_SETFL, want) != 0)
        return ps__last_error();
    return 0;
}

int ps__set_nonblocking(ps_socket_t s, int on)
{
    /* fcntl() takes any descriptor: a pipe must stay as it is. */
    int r = ps__socket_probe(s);
    return r != 0 ? r : ps__posix_set_nonblocking(s, on);
}
