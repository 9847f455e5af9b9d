/* SPDX-License-Identifier: MIT */
/* POSIX: ps_item_read / ps_item_write. Sockets go through the socket
 * layer (MSG_NOSIGNAL); every other fd is one read() / write(). */
#include "posix.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

int ps__item_handles(void)
{
    return 0;
}

int ps__item_read(const ps_pollitem *item, void *buf, size_t cap, size_t *got)
{
    ssize_t n;
    if (item->kind == PS_KIND_SOCKET)
        return ps__recv_once(item->sock, buf, cap, got, PS__IO_BLOCK);
    do
        n = read(item->fd, buf, cap);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return ps__last_error();
    *got = (size_t)n;
    return 0;
}

/* write() to a pipe or socket whose reader is gone raises SIGPIPE, which
 * kills a program that did not ask for it. The signal is blocked in this
 * thread for the one call, and one it raised is taken off the thread's
 * pending set (sigwait returns at once for a pending signal) unless one
 * was pending already. */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t len)
{
    sigset_t pipe_set, old, pending;
    int was_pending, err;
    ssize_t n;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    do
        n = write(fd, buf, len);
    while (n < 0 && errno == EINTR);
    err = errno;
    if (n < 0 && err == EPIPE && !was_pending) {
        int sig;
        sigemptyset(&pending);
        if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1)
            sigwait(&pipe_set, &sig);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = err;
    return n;
}

int ps__item_write(const ps_pollitem *item, const void *buf, size_t len,
                   size_t *sent)
{
    ssize_t n;
    int fd = item->kind == PS_KIND_SOCKET ? item->sock : item->fd;
    /* With MSG_NOSIGNAL a socket needs no signal juggling; without it
     * (macOS) only sockets portsock made have SO_NOSIGPIPE. */
    if (item->kind == PS_KIND_SOCKET && PS__SEND_FLAGS != 0)
        return ps__send_once(item->sock, buf, len, sent, PS__IO_BLOCK);
    n = write_nosigpipe(fd, buf, len);
    if (n < 0)
        return ps__last_error();
    *sent = (size_t)n;
    return 0;
}
