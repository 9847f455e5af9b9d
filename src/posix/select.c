/* POSIX ps_select: poll() has no FD_SETSIZE limit and works on sockets,
 * pipes, terminals and files alike (except terminals on macOS, see
 * select_darwin.c). */
#include "posix.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

/* Reports peer half-close on sockets, where the system can tell it. */
#ifdef POLLRDHUP
#  define PS__POLL_RDHUP POLLRDHUP
#else
#  define PS__POLL_RDHUP 0
#endif

unsigned ps__poll_revents(unsigned asked, short rev)
{
    unsigned out = 0;
    if (rev & POLLNVAL)
        return PS_POLL_INVALID;
    if (rev & (POLLIN | POLLPRI))
        out |= PS_POLL_READ;
    if (rev & POLLOUT)
        out |= PS_POLL_WRITE;
    if (rev & POLLERR)
        out |= PS_POLL_ERROR | PS_POLL_READ | PS_POLL_WRITE;
    if (rev & (POLLHUP | PS__POLL_RDHUP))
        out |= PS_POLL_HUP | PS_POLL_READ;
    /* Only what was asked, plus the conditions that are always reported. */
    return out & (asked | PS_POLL_ERROR | PS_POLL_HUP | PS_POLL_INVALID);
}

int ps__select_once(ps_pollitem *items, size_t n, int timeout_ms)
{
    struct pollfd local[16];
    struct pollfd *fds = local;
    if (n > sizeof local / sizeof local[0]) {
        fds = malloc(n * sizeof *fds);
        if (!fds)
            return PS_ENOMEM;
    }
    int invalid = 0;
    for (size_t i = 0; i < n; i++) {
        if (items[i].kind == PS_KIND_HANDLE) {
            if (fds != local)
                free(fds);
            return PS_ENOTSUP;
        }
        int fd = items[i].kind == PS_KIND_SOCKET ? items[i].sock : items[i].fd;
        unsigned ev = items[i].events;
        /* A negative fd is ignored by poll(); report it as invalid instead. */
        fds[i].fd = fd;
        fds[i].events = (short)(((ev & PS_POLL_READ) ? POLLIN | PS__POLL_RDHUP : 0) |
                                ((ev & PS_POLL_WRITE) ? POLLOUT : 0));
        fds[i].revents = 0;
        invalid |= fd < 0;
    }
    /* An invalid item is ready: do not wait. */
    if (invalid)
        timeout_ms = 0;
    int r = poll(fds, (nfds_t)n, timeout_ms);
    if (r < 0) {
        int err = errno;
        if (fds != local)
            free(fds);
        return err == EINTR ? 0 : ps__posix_error(err);
    }
    r = ps__select_fixup(fds, n, timeout_ms);
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        if (fds[i].fd < 0)
            items[i].revents = PS_POLL_INVALID;
        else
            items[i].revents = ps__poll_revents(items[i].events, fds[i].revents);
        if (items[i].revents)
            count++;
    }
    if (fds != local)
        free(fds);
    return r < 0 ? r : count;
}
