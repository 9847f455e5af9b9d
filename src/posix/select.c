/* SPDX-License-Identifier: MIT */
/* POSIX ps_select: poll() has no FD_SETSIZE limit and works on sockets,
 * pipes, terminals and files alike (except terminals on macOS, see
 * select_fixup.c).
 *
 * poll() refuses more entries than RLIMIT_NOFILE (EINVAL), but ps_select
 * takes any number of items. Negative fds never reach poll(). When poll()
 * still refuses, the set is shrunk: one entry per distinct fd, and fds at
 * or above the limit that are not open are invalid without asking poll().
 * Only more distinct open fds than the limit (possible when the limit was
 * lowered after they were opened) are polled in turns. */
#include "posix.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/resource.h>

/* Reports peer half-close on sockets, where the system can tell it. */
#ifdef POLLRDHUP
#define PS__POLL_RDHUP POLLRDHUP
#else
#define PS__POLL_RDHUP 0
#endif

/* The longest one wait on the first group of fds lasts when they have to
 * be polled in turns: the others are looked at again after it. */
#define TURN_MS 10

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

static short poll_events(unsigned ev)
{
    return (short)(((ev & PS_POLL_READ) ? POLLIN | PS__POLL_RDHUP : 0) |
                   ((ev & PS_POLL_WRITE) ? POLLOUT : 0));
}

static int item_fd(const ps_pollitem *it)
{
    return it->kind == PS_KIND_SOCKET ? it->sock : it->fd;
}

/* poll_some's answer when poll() refuses the number of entries. */
#define TOO_MANY 1

/* One poll() (and the macOS fixup) over fds[0..m). Returns 0, TOO_MANY,
 * or a PS_E* code. */
static int poll_some(struct pollfd *fds, size_t m, int timeout_ms)
{
    int r = poll(fds, (nfds_t)m, timeout_ms);
    if (r < 0) {
        int err = errno;
        if (err == EINTR)
            return 0;
        if (err == EINVAL)
            return TOO_MANY;
        return ps__posix_error(err);
    }
    return ps__select_fixup(fds, m, timeout_ms);
}

/* The most entries one poll() takes: the soft RLIMIT_NOFILE (macOS also
 * caps it at OPEN_MAX). */
static size_t poll_cap(void)
{
    struct rlimit rl;
    size_t cap = (size_t)INT_MAX;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < (rlim_t)cap)
        cap = (size_t)rl.rlim_cur;
#ifdef OPEN_MAX
    if ((size_t)OPEN_MAX < cap)
        cap = (size_t)OPEN_MAX;
#endif
    return cap > 0 ? cap : 1;
}

/* ---- The set poll() refused: one entry per distinct fd ---- */

typedef struct fd_ref {
    int fd;
    size_t item;
} fd_ref;

static int cmp_ref(const void *a, const void *b)
{
    int x = ((const fd_ref *)a)->fd, y = ((const fd_ref *)b)->fd;
    return x < y ? -1 : x > y;
}

/* An fd at or above the limit can still be open (the limit may have been
 * lowered since); only one that is not open is left out of poll(). */
static int not_open(int fd, size_t cap)
{
    return (size_t)fd >= cap && fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

/* Rebuilds fds[0..*m) with one entry per distinct fd (asking for what any
 * of its items asks) and sets slot[i] to item i's entry, -1 for an item
 * that is invalid. refs has room for n. Returns how many items are
 * invalid. */
static size_t merge_items(const ps_pollitem *items, size_t n, size_t cap,
                          struct pollfd *fds, size_t *m, long *slot,
                          fd_ref *refs)
{
    size_t k = 0, bad = 0;
    for (size_t i = 0; i < n; i++) {
        slot[i] = -1;
        if (item_fd(&items[i]) >= 0) {
            refs[k].fd = item_fd(&items[i]);
            refs[k++].item = i;
        } else {
            bad++;
        }
    }
    qsort(refs, k, sizeof *refs, cmp_ref);
    *m = 0;
    for (size_t j = 0; j < k;) {
        size_t end = j;
        short ev = 0;
        while (end < k && refs[end].fd == refs[j].fd)
            ev |= poll_events(items[refs[end++].item].events);
        if (not_open(refs[j].fd, cap)) {
            bad += end - j;
        } else {
            fds[*m].fd = refs[j].fd;
            fds[*m].events = ev;
            fds[*m].revents = 0;
            for (; j < end; j++)
                slot[refs[j].item] = (long)*m;
            (*m)++;
        }
        j = end;
    }
    return bad;
}

static size_t count_ready(const struct pollfd *fds, size_t m)
{
    size_t ready = 0;
    for (size_t i = 0; i < m; i++)
        ready += fds[i].revents != 0;
    return ready;
}

/* More fds than one poll() takes: a look at every group of cap without
 * waiting, then, if none is ready, a wait of at most TURN_MS on the first
 * group and another look at the others. Nothing ready returns 0, and the
 * caller waits again with the time that remains. */
static int poll_turns(struct pollfd *fds, size_t m, size_t cap, int timeout_ms)
{
    int wait = timeout_ms < 0 || timeout_ms > TURN_MS ? TURN_MS : timeout_ms;
    for (int round = 0; round < 2; round++) {
        size_t ready = 0;
        for (size_t off = 0; off < m; off += cap) {
            size_t len = m - off < cap ? m - off : cap;
            int r = poll_some(fds + off, len, round && off == 0 ? wait : 0);
            if (r != 0)
                return r == TOO_MANY ? ps__posix_error(EINVAL) : r;
            ready += count_ready(fds + off, len);
        }
        if (ready > 0 || wait == 0)
            break;
    }
    return 0;
}

/* revents for an item from its entry. A merged entry may carry POLLRDHUP
 * for another item's READ. */
static unsigned item_revents(const ps_pollitem *it, short rev)
{
    if (!(it->events & PS_POLL_READ))
        rev = (short)(rev & ~PS__POLL_RDHUP);
    return ps__poll_revents(it->events, rev);
}

/* The wait after poll() refused the plain set. */
static int select_merged(ps_pollitem *items, size_t n, struct pollfd *fds,
                         int timeout_ms)
{
    size_t m, cap = poll_cap();
    /* poll() refuses only a set with entries; were it to refuse none,
     * there is nothing smaller to try (and malloc(0) may give NULL). */
    if (n == 0)
        return ps__posix_error(EINVAL);
    long *slot = malloc(n * sizeof *slot);
    fd_ref *refs = malloc(n * sizeof *refs);
    int r = PS_ENOMEM, count = 0;
    if (slot && refs) {
        /* An invalid item is ready: do not wait. */
        if (merge_items(items, n, cap, fds, &m, slot, refs) > 0)
            timeout_ms = 0;
        r = m <= cap ? poll_some(fds, m, timeout_ms)
                     : poll_turns(fds, m, cap, timeout_ms);
        if (r == TOO_MANY)
            r = ps__posix_error(EINVAL);
    }
    if (r >= 0) {
        for (size_t i = 0; i < n; i++) {
            items[i].revents = slot[i] < 0 ? PS_POLL_INVALID
                                           : item_revents(&items[i],
                                                          fds[slot[i]].revents);
            count += items[i].revents != 0;
        }
    }
    free(slot);
    free(refs);
    return r < 0 ? r : count;
}

int ps__select_once(ps_pollitem *items, size_t n, int timeout_ms)
{
    struct pollfd local[16];
    struct pollfd *fds = local;
    for (size_t i = 0; i < n; i++)
        if (items[i].kind == PS_KIND_HANDLE)
            return PS_ENOTSUP;
    if (n > sizeof local / sizeof local[0]) {
        fds = malloc(n * sizeof *fds);
        if (!fds)
            return PS_ENOMEM;
    }
    /* Items in order; a negative fd is left out (poll() would ignore it)
     * and reported invalid. */
    size_t m = 0;
    int invalid = 0;
    for (size_t i = 0; i < n; i++) {
        int fd = item_fd(&items[i]);
        if (fd < 0) {
            invalid = 1;
            continue;
        }
        fds[m].fd = fd;
        fds[m].events = poll_events(items[i].events);
        fds[m].revents = 0;
        m++;
    }
    /* An invalid item is ready: do not wait. */
    if (invalid)
        timeout_ms = 0;
    int r = poll_some(fds, m, timeout_ms);
    if (r == TOO_MANY) {
        /* More entries than poll() takes. */
        r = select_merged(items, n, fds, timeout_ms);
        if (fds != local)
            free(fds);
        return r;
    }
    int count = 0;
    if (r >= 0) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            items[i].revents = item_fd(&items[i]) < 0
                                   ? PS_POLL_INVALID
                                   : item_revents(&items[i], fds[k++].revents);
            count += items[i].revents != 0;
        }
    }
    if (fds != local)
        free(fds);
    return r < 0 ? r : count;
}
