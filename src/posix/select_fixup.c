/* SPDX-License-Identifier: MIT */
/* macOS: poll() reports POLLNVAL for terminals and some devices although the
 * fd is open. For such calls we wait again with select(), which handles them;
 * _DARWIN_UNLIMITED_SELECT lifts the FD_SETSIZE cap as long as the sets are
 * allocated large enough. Everywhere else this is a no-op. */
#ifdef __APPLE__
#define _DARWIN_UNLIMITED_SELECT 1
#endif

#include "posix.h"

#include <poll.h>

#ifdef __APPLE__
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

static int needs_select(const struct pollfd *fds, size_t n, int *maxfd)
{
    int found = 0;
    *maxfd = -1;
    for (size_t i = 0; i < n; i++) {
        if (fds[i].fd > *maxfd)
            *maxfd = fds[i].fd;
        if ((fds[i].revents & POLLNVAL) && fds[i].fd >= 0 &&
            fcntl(fds[i].fd, F_GETFD) != -1)
            found = 1;
    }
    return found;
}

int ps__select_fixup(struct pollfd *fds, size_t n, int timeout_ms)
{
    int maxfd;
    if (!needs_select(fds, n, &maxfd))
        return 0;
    size_t words = (size_t)maxfd / (sizeof(fd_mask) * 8) + 1;
    size_t bytes = words * sizeof(fd_mask);
    unsigned char *mem = calloc(3, bytes);
    if (!mem)
        return PS_ENOMEM;
    fd_set *rd = (fd_set *)mem, *wr = (fd_set *)(mem + bytes),
           *ex = (fd_set *)(mem + 2 * bytes);
    int ready_invalid = 0;
    for (size_t i = 0; i < n; i++) {
        int fd = fds[i].fd;
        if (fd < 0 || fcntl(fd, F_GETFD) == -1) {
            fds[i].revents = POLLNVAL;
            ready_invalid = 1;
            continue;
        }
        if (fds[i].events & POLLIN)
            FD_SET(fd, rd);
        if (fds[i].events & POLLOUT)
            FD_SET(fd, wr);
        FD_SET(fd, ex);
    }
    struct timeval tv, *tvp = NULL;
    if (ready_invalid)
        timeout_ms = 0;
    if (timeout_ms >= 0) {
        tv.tv_sec = timeout_ms / 1000;
        tv.tv_usec = (timeout_ms % 1000) * 1000;
        tvp = &tv;
    }
    int r = select(maxfd + 1, rd, wr, ex, tvp);
    if (r < 0) {
        int err = errno;
        free(mem);
        return err == EINTR ? 0 : ps__posix_error(err);
    }
    for (size_t i = 0; i < n; i++) {
        int fd = fds[i].fd;
        if (fds[i].revents == POLLNVAL && (fd < 0 || fcntl(fd, F_GETFD) == -1))
            continue;
        fds[i].revents = (short)((FD_ISSET(fd, rd) ? POLLIN : 0) |
                                 (FD_ISSET(fd, wr) ? POLLOUT : 0) |
                                 (FD_ISSET(fd, ex) ? POLLPRI : 0));
    }
    free(mem);
    return 0;
}
#else
int ps__select_fixup(struct pollfd *fds, size_t n, int timeout_ms)
{
    (void)fds;
    (void)n;
    (void)timeout_ms;
    return 0;
}
#endif
