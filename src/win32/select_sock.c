/* SPDX-License-Identifier: MIT */
/* ps_select on Windows: the socket items, through select() with counted
 * fd_sets of any size. */
#include "select.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* The socket array of a set. Reached through the block, not through
 * fd_array[FD_SETSIZE], because the block may be longer than the type. */
static SOCKET *fds(fd_set *set)
{
    return (SOCKET *)(void *)((char *)set + offsetof(fd_set, fd_array));
}

static int fdset_alloc(ps__fdset *f, size_t cap)
{
    size_t bytes;
    f->set = NULL;
    f->cap = 0;
    if (cap > UINT_MAX ||
        cap > (SIZE_MAX - offsetof(fd_set, fd_array)) / sizeof(SOCKET))
        return PS_ENOMEM;
    bytes = offsetof(fd_set, fd_array) + cap * sizeof(SOCKET);
    if (bytes < sizeof(fd_set))
        bytes = sizeof(fd_set);
    f->set = (fd_set *)malloc(bytes);
    if (f->set == NULL)
        return PS_ENOMEM;
    f->set->fd_count = 0;
    f->cap = (u_int)cap;
    return 0;
}

int ps__sel_sets_alloc(ps__sel_sets *ss, size_t nsock)
{
    /* One more for the wake-up socket. */
    size_t cap = nsock + 1;
    ss->rd.set = ss->wr.set = ss->ex.set = NULL;
    if (fdset_alloc(&ss->rd, cap) != 0 || fdset_alloc(&ss->wr, cap) != 0 ||
        fdset_alloc(&ss->ex, cap) != 0) {
        ps__sel_sets_free(ss);
        return PS_ENOMEM;
    }
    return 0;
}

void ps__sel_sets_free(ps__sel_sets *ss)
{
    free(ss->rd.set);
    free(ss->wr.set);
    free(ss->ex.set);
    ss->rd.set = ss->wr.set = ss->ex.set = NULL;
}

static int cmp_socket(const void *a, const void *b)
{
    SOCKET x = *(const SOCKET *)a, y = *(const SOCKET *)b;
    return x < y ? -1 : x > y;
}

static void fdset_add(ps__fdset *f, SOCKET s)
{
    if (f->set->fd_count < f->cap)
        fds(f->set)[f->set->fd_count++] = s;
}

/* Sorted, so results can be looked up with bsearch; duplicates (the same
 * socket in two items) removed so select() sees each socket once. */
static void fdset_sort_unique(ps__fdset *f)
{
    SOCKET *a = fds(f->set);
    u_int n = f->set->fd_count, i, k = 0;
    if (n < 2)
        return;
    qsort(a, n, sizeof *a, cmp_socket);
    for (i = 1; i < n; i++)
        if (a[i] != a[k])
            a[++k] = a[i];
    f->set->fd_count = k + 1;
}

static int fdset_has(fd_set *set, SOCKET s)
{
    if (set->fd_count == 0)
        return 0;
    return bsearch(&s, fds(set), set->fd_count, sizeof s, cmp_socket) != NULL;
}

/* Fills the sets from the socket entries. waiting: leave out the sockets
 * whose except-set hit was out-of-band data. */
static void build_sets(const ps_pollitem *items, const ps__sel_entry *e,
                       size_t n, ps__sel_sets *ss, int waiting, SOCKET wake)
{
    size_t i;
    ss->rd.set->fd_count = ss->wr.set->fd_count = ss->ex.set->fd_count = 0;
    for (i = 0; i < n; i++) {
        if (e[i].cls != PS__SEL_SOCKET)
            continue;
        if (items[i].events & PS_POLL_READ)
            fdset_add(&ss->rd, e[i].s);
        if (items[i].events & PS_POLL_WRITE)
            fdset_add(&ss->wr, e[i].s);
        /* A failed non-blocking connect shows up only in the except set.
         * Only sockets asking for WRITE (how a connect is waited for) go
         * there: it doubles what select() has to look at (4x the time of a
         * READ-only wait over 256 sockets under Wine). */
        if ((items[i].events & PS_POLL_WRITE) && !(waiting && e[i].no_except))
            fdset_add(&ss->ex, e[i].s);
    }
    if (wake != INVALID_SOCKET)
        fdset_add(&ss->rd, wake);
    fdset_sort_unique(&ss->rd);
    fdset_sort_unique(&ss->wr);
    fdset_sort_unique(&ss->ex);
}

static int sets_empty(const ps__sel_sets *ss)
{
    return ss->rd.set->fd_count == 0 && ss->wr.set->fd_count == 0 &&
           ss->ex.set->fd_count == 0;
}

/* select() over the non-empty sets (Winsock rejects a call with none). */
static int do_select(ps__sel_sets *ss, int timeout_ms)
{
    struct timeval tv, *tvp = NULL;
    fd_set *r = ss->rd.set->fd_count ? ss->rd.set : NULL;
    fd_set *w = ss->wr.set->fd_count ? ss->wr.set : NULL;
    fd_set *x = ss->ex.set->fd_count ? ss->ex.set : NULL;
    int rc;
    if (timeout_ms >= 0) {
        tv.tv_sec = timeout_ms / 1000;
        tv.tv_usec = (timeout_ms % 1000) * 1000;
        tvp = &tv;
    }
    /* The first argument is ignored by Winsock. */
    rc = select(0, r, w, x, tvp);
    /* A set passed as NULL was empty; keep the counts consistent for the
     * lookups that follow. */
    if (rc == SOCKET_ERROR || rc == 0) {
        ss->rd.set->fd_count = ss->wr.set->fd_count = 0;
        ss->ex.set->fd_count = 0;
    }
    return rc;
}

/* After select() failed: which items are not sockets? A closed socket or
 * a pipe or file handle given as a socket makes select() fail for the
 * whole set, with WSAENOTSOCK or, under Wine depending on the order of the
 * handles, WSAEOPNOTSUPP; so every failure is followed by this probe.
 * Returns how many were newly found. */
static size_t mark_invalid(ps__sel_entry *e, size_t n)
{
    size_t i, bad = 0;
    for (i = 0; i < n; i++) {
        int type = 0, len = sizeof type;
        if (e[i].cls != PS__SEL_SOCKET)
            continue;
        if (getsockopt(e[i].s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) != 0) {
            e[i].cls = PS__SEL_INVALID;
            bad++;
        }
    }
    return bad;
}

/* HUP / ERROR bits for a stream socket select() found readable. The
 * socket may be blocking and other threads may read it: a peek is made
 * only once WSAPoll (which never blocks and changes no mode) reports the
 * connection closed or aborted. That state is final, so the peek returns
 * at once; it only tells a reset from an orderly close. Readable for
 * anything else (bytes, a listener's connection, or bytes another thread
 * took since select()) has no HUP or ERROR. */
static unsigned peek_state(SOCKET s)
{
    int type = 0, len = sizeof type, r;
    u_long avail = 0;
    WSAPOLLFD p;
    unsigned err_bit;
    char b;
    /* A zero-length datagram would look like end of stream. */
    if (getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) != 0 ||
        type != SOCK_STREAM)
        return 0;
    /* Bytes waiting: not at the end. */
    if (ioctlsocket(s, FIONREAD, &avail) == 0 && avail > 0)
        return 0;
    p.fd = s;
    p.events = POLLRDNORM;
    p.revents = 0;
    if (WSAPoll(&p, 1, 0) != 1 || !(p.revents & (POLLHUP | POLLERR)))
        return 0;
    /* Wine reports a reset as POLLERR and its peek as end of stream. */
    err_bit = (p.revents & POLLERR) ? PS_POLL_ERROR : 0;
    r = recv(s, &b, 1, MSG_PEEK);
    if (r == 0)
        return PS_POLL_HUP | err_bit;
    if (r > 0)
        return 0;
    switch (WSAGetLastError()) {
    case WSAECONNRESET:
    case WSAECONNABORTED:
    case WSAENETRESET:
    case WSAETIMEDOUT:
        return PS_POLL_ERROR | PS_POLL_HUP;
    case WSAESHUTDOWN:
        return PS_POLL_HUP | err_bit;
    default:
        return err_bit;
    }
}

static unsigned socket_revents(const ps_pollitem *it, ps__sel_entry *e,
                               ps__sel_sets *ss)
{
    unsigned ev = it->events & (PS_POLL_READ | PS_POLL_WRITE), r = 0;
    if ((ev & PS_POLL_READ) && fdset_has(ss->rd.set, e->s))
        r |= PS_POLL_READ | peek_state(e->s);
    if ((ev & PS_POLL_WRITE) && fdset_has(ss->wr.set, e->s))
        r |= PS_POLL_WRITE;
    if (fdset_has(ss->ex.set, e->s)) {
        struct sockaddr_storage peer;
        int plen = sizeof peer;
        /* The except set means a failed connect or out-of-band data; only
         * the latter happens on a connected socket. Not SO_ERROR: reading
         * it would clear what ps_socket_error() reports. */
        if (getpeername(e->s, (struct sockaddr *)&peer, &plen) == 0)
            e->no_except = 1;
        else
            r |= PS_POLL_ERROR | ev; /* reads and writes fail at once */
    }
    return r;
}

int ps__sel_scan_sockets(ps_pollitem *items, ps__sel_entry *e, size_t n,
                         ps__sel_sets *ss)
{
    size_t i;
    for (;;) {
        int err;
        build_sets(items, e, n, ss, 0, INVALID_SOCKET);
        if (sets_empty(ss))
            break;
        if (do_select(ss, 0) != SOCKET_ERROR)
            break;
        err = WSAGetLastError();
        if (err == WSAEINTR)
            continue;
        /* A closed socket or a non-socket is reported on its item, not as
         * a failure of the call; each round removes at least one, so this
         * ends. */
        if (mark_invalid(e, n) == 0)
            return ps__win_error(err);
    }
    for (i = 0; i < n; i++)
        if (e[i].cls == PS__SEL_SOCKET)
            items[i].revents = socket_revents(&items[i], &e[i], ss);
    return 0;
}

int ps__sel_wait_sockets(const ps_pollitem *items, ps__sel_entry *e, size_t n,
                         ps__sel_sets *ss, SOCKET wake, int timeout_ms)
{
    int err;
    build_sets(items, e, n, ss, 1, wake);
    if (sets_empty(ss)) {
        /* Nothing that can become ready: wait out the time, as poll() with
         * no descriptors does. */
        Sleep(timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
        return 0;
    }
    if (do_select(ss, timeout_ms) != SOCKET_ERROR)
        return 0;
    err = WSAGetLastError();
    /* Interrupted, or a socket closed meanwhile or found to be none (as
     * in the scan): the next scan tells. */
    if (err == WSAEINTR || mark_invalid(e, n) > 0 || err == WSAENOTSOCK)
        return 0;
    return ps__win_error(err);
}
