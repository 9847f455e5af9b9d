/* SPDX-License-Identifier: MIT */
/* ps_poller for any other POSIX system: poll() over an array, selected with
 * -DPS_POLLER_BACKEND=poll (also a test leg on Linux). A wait costs O(n) in
 * the registered count, unlike epoll and kqueue. No macOS terminal fixup as
 * ps_select has: macOS uses the kqueue backend.
 *
 * The array holds the armed items (a disarmed one-shot item is only in the
 * fd-indexed table, fdtable.c). A wait copies the array under the lock into
 * a buffer of its own and polls the copy without the lock, so add, modify
 * and remove from other threads never touch what poll() is reading. Each
 * wait in progress owns a pipe from a pool (kept until the poller closes);
 * a change that a wait must see (an item added or re-armed, its events
 * changed) writes to the pipes of the waits in progress, which then return
 * and poll again with the new set. Per-wait pipes, not one shared one: a
 * wait that drains a shared pipe could take the signal from another wait
 * that has copied the old set but not yet entered poll().
 *
 * After poll() a ready entry is reported only if its record still has the
 * gen copied, and is armed; a one-shot item is disarmed under the lock, so
 * several waits never report it twice. A record gets a new gen when it is
 * re-armed or its events change: a wait whose poll() saw the item ready
 * before another thread read it and re-armed it holds the old gen and
 * drops that result, rather than hand out an item that is empty now.
 *
 * The poller's own pipes are not items: add of one is PS_EINVAL, and
 * modify or remove PS_ENOENT, as they never get a record.
 *
 * An fd closed while registered: poll() says POLLNVAL, the item is reported
 * once as PS_POLL_INVALID and dropped (modify / remove of it: PS_EBADF, and
 * it is forgotten). If the number is reused before a wait sees that, the
 * new file is reported under the old registration: remove before close.
 *
 * ps_poller_wake writes to one shared pipe (async-signal-safe); the wait
 * that drains it reports the wake. Regular files need nothing special:
 * poll() reports them ready at once. */
#include "posix.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef POLLRDHUP
#define RDHUP POLLRDHUP
#else
#define RDHUP 0
#endif

struct waiter {
    int pipe[2];
    int busy;           /* a wait in progress uses it */
    int signaled;       /* a byte is in the pipe */
    struct pollfd *fds; /* the copy: [0] wake pipe, [1] own pipe, items */
    uint32_t *gens;     /* gen of each copied item */
    size_t cap;
};

struct ps_poller {
    ps__timers timers; /* src/timers.c and src/poller.c own it */
    pthread_mutex_t mu;
    ps__fdtable tab;
    struct pollfd *fds; /* armed items; rec->pos indexes them */
    size_t n, cap;
    int wake[2];
    struct waiter **waiters;
    size_t nwaiters;
    size_t turn; /* where the next report starts (fairness) */
};

static short to_poll(unsigned events)
{
    return (short)(((events & PS_POLL_READ) ? POLLIN | RDHUP : 0) |
                   ((events & PS_POLL_WRITE) ? POLLOUT : 0));
}

/* A non-blocking close-on-exec pipe (pipe2 is not in every POSIX). */
static int make_pipe(int fds[2])
{
    if (pipe(fds) != 0)
        return ps__posix_error(errno);
    for (int i = 0; i < 2; i++) {
        if (fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0 ||
            fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK) != 0) {
            int err = errno;
            close(fds[0]);
            close(fds[1]);
            fds[0] = fds[1] = -1;
            return ps__posix_error(err);
        }
    }
    return 0;
}

/* Reads all that is in a non-blocking pipe: 1 if there was something. */
static int drain(int fd)
{
    char buf[64];
    int got = 0;
    while (read(fd, buf, sizeof buf) > 0)
        got = 1;
    return got;
}

int ps__poller_create(ps_poller **out)
{
    ps_poller *p = calloc(1, sizeof *p);
    if (!p)
        return PS_ENOMEM;
    int err = pthread_mutex_init(&p->mu, NULL);
    if (err != 0) {
        free(p);
        ps__set_native_error(err);
        return PS_ENOMEM;
    }
    int r = make_pipe(p->wake);
    if (r != 0) {
        pthread_mutex_destroy(&p->mu);
        free(p);
        return r;
    }
    *out = p;
    return 0;
}

void ps__poller_destroy(ps_poller *p)
{
    for (size_t i = 0; i < p->nwaiters; i++) {
        struct waiter *w = p->waiters[i];
        close(w->pipe[0]);
        close(w->pipe[1]);
        free(w->fds);
        free(w->gens);
        free(w);
    }
    free(p->waiters);
    close(p->wake[0]);
    close(p->wake[1]);
    pthread_mutex_destroy(&p->mu);
    ps__fdtable_free(&p->tab);
    free(p->fds);
    free(p);
}

static int reserve_one(ps_poller *p)
{
    if (p->n < p->cap)
        return 0;
    size_t cap = p->cap ? p->cap * 2 : 16;
    struct pollfd *fds = realloc(p->fds, cap * sizeof *fds);
    if (!fds)
        return PS_ENOMEM;
    p->fds = fds;
    p->cap = cap;
    return 0;
}

/* Needs reserve_one first. */
static void arm(ps_poller *p, ps__fdrec *r, int fd)
{
    p->fds[p->n].fd = fd;
    p->fds[p->n].events = to_poll(r->events);
    p->fds[p->n].revents = 0;
    r->pos = (uint32_t)p->n++;
    r->armed = 1;
}

static void disarm(ps_poller *p, ps__fdrec *r)
{
    if (!r->armed)
        return;
    struct pollfd last = p->fds[--p->n];
    if (r->pos < p->n) {
        p->fds[r->pos] = last;
        p->tab.recs[last.fd].pos = r->pos;
    }
    r->armed = 0;
}

static void forget(ps_poller *p, ps__fdrec *r)
{
    disarm(p, r);
    ps__fdtable_clear(r);
}

/* The waits in progress poll again with the new set. */
static void signal_waiters(ps_poller *p)
{
    for (size_t i = 0; i < p->nwaiters; i++) {
        struct waiter *w = p->waiters[i];
        if (w->busy && !w->signaled) {
            if (write(w->pipe[1], "c", 1) == 1)
                w->signaled = 1;
        }
    }
}

/* 1 for a pipe of the poller's own (its wake pipe, a wait's pipe). */
static int is_own(const ps_poller *p, int fd)
{
    if (fd == p->wake[0] || fd == p->wake[1])
        return 1;
    for (size_t i = 0; i < p->nwaiters; i++)
        if (fd == p->waiters[i]->pipe[0] || fd == p->waiters[i]->pipe[1])
            return 1;
    return 0;
}

static int ctl_locked(ps_poller *p, int op, int fd, unsigned events, void *data)
{
    if (is_own(p, fd))
        return op == PS__POLLER_ADD ? PS_EINVAL : PS_ENOENT;
    ps__fdrec *r = ps__fdtable_find(&p->tab, fd);
    if (fd < 0 || fcntl(fd, F_GETFD) == -1) {
        /* Closed: a record left for the number is stale. */
        if (r)
            forget(p, r);
        ps__set_native_error(EBADF);
        return PS_EBADF;
    }
    int rc;
    switch (op) {
    case PS__POLLER_ADD:
        if (r)
            return PS_EEXIST;
        if ((rc = reserve_one(p)) != 0)
            return rc;
        r = ps__fdtable_claim(&p->tab, fd);
        if (!r)
            return PS_ENOMEM;
        r->data = data;
        r->events = events;
        arm(p, r, fd);
        signal_waiters(p);
        return 0;
    case PS__POLLER_MODIFY:
        if (!r)
            return PS_ENOENT;
        if (!r->armed && (rc = reserve_one(p)) != 0)
            return rc;
        r->data = data;
        /* What the waits in progress saw is from before: they drop it. That
         * holds for new data with the same events too: the number may name
         * a new file now (the old one closed while registered), and a
         * POLLNVAL seen for the old one is not this item's. */
        r->gen = ps__fdtable_new_gen(&p->tab);
        r->events = events;
        if (r->armed)
            p->fds[r->pos].events = to_poll(events);
        else
            arm(p, r, fd);
        signal_waiters(p);
        return 0;
    default:
        if (!r)
            return PS_ENOENT;
        /* Waits that copied it skip it: the record is gone. */
        forget(p, r);
        return 0;
    }
}

int ps__poller_ctl(ps_poller *p, int op, const ps_pollitem *item, void *data)
{
    if (item->kind == PS_KIND_HANDLE)
        return PS_ENOTSUP;
    int fd = item->kind == PS_KIND_SOCKET ? (int)item->sock : item->fd;
    pthread_mutex_lock(&p->mu);
    int rc = ctl_locked(p, op, fd, item->events, data);
    pthread_mutex_unlock(&p->mu);
    return rc;
}

/* A free waiter from the pool (a new one if all are busy), marked busy,
 * with room for need entries. */
static int take_waiter(ps_poller *p, size_t need, struct waiter **out)
{
    struct waiter *w = NULL;
    for (size_t i = 0; i < p->nwaiters && !w; i++)
        if (!p->waiters[i]->busy)
            w = p->waiters[i];
    if (!w) {
        struct waiter **ws = realloc(p->waiters,
                                     (p->nwaiters + 1) * sizeof *ws);
        if (!ws)
            return PS_ENOMEM;
        p->waiters = ws;
        w = calloc(1, sizeof *w);
        if (!w)
            return PS_ENOMEM;
        int rc = make_pipe(w->pipe);
        if (rc != 0) {
            free(w);
            return rc;
        }
        /* A number closed while registered, now ours: that item is gone. */
        for (int k = 0; k < 2; k++) {
            ps__fdrec *old = ps__fdtable_find(&p->tab, w->pipe[k]);
            if (old)
                forget(p, old);
        }
        p->waiters[p->nwaiters++] = w;
    }
    if (w->cap < need) {
        struct pollfd *fds = realloc(w->fds, need * sizeof *fds);
        if (fds)
            w->fds = fds;
        uint32_t *gens = realloc(w->gens, need * sizeof *gens);
        if (gens)
            w->gens = gens;
        if (!fds || !gens)
            return PS_ENOMEM;
        w->cap = need;
    }
    w->busy = 1;
    *out = w;
    return 0;
}

/* Copies the armed set (under the lock). */
static size_t snapshot(ps_poller *p, struct waiter *w)
{
    w->fds[0].fd = p->wake[0];
    w->fds[1].fd = w->pipe[0];
    w->fds[0].events = w->fds[1].events = POLLIN;
    if (p->n > 0) /* p->fds is NULL until the first add */
        memcpy(w->fds + 2, p->fds, p->n * sizeof *p->fds);
    for (size_t i = 0; i < p->n; i++)
        w->gens[i + 2] = p->tab.recs[p->fds[i].fd].gen;
    return p->n + 2;
}

/* The ready entries of the copy into events (under the lock). */
static int collect(ps_poller *p, struct waiter *w, size_t total,
                   ps_event *events, int cap)
{
    size_t m = total - 2;
    size_t start = m ? p->turn % m : 0;
    int count = 0;
    for (size_t k = 0; k < m && count < cap; k++) {
        size_t i = 2 + (start + k) % m;
        short rev = w->fds[i].revents;
        if (rev == 0)
            continue;
        ps__fdrec *r = ps__fdtable_find(&p->tab, w->fds[i].fd);
        if (!r || r->gen != w->gens[i] || !r->armed)
            continue; /* removed, replaced or disarmed meanwhile */
        unsigned ev = ps__poll_revents(r->events, rev);
        if (ev == 0)
            continue;
        events[count].data = r->data;
        events[count++].revents = ev;
        p->turn = start + k + 1;
        if (rev & POLLNVAL)
            forget(p, r); /* closed while registered: reported once */
        else if (r->events & PS_POLL_ONESHOT)
            disarm(p, r);
    }
    return count;
}

int ps__poller_wait_once(ps_poller *p, ps_event *events, int cap,
                         int timeout_ms, int *woken)
{
    struct waiter *w;
    pthread_mutex_lock(&p->mu);
    int rc = take_waiter(p, p->n + 2, &w);
    if (rc != 0) {
        pthread_mutex_unlock(&p->mu);
        return rc;
    }
    size_t total = snapshot(p, w);
    pthread_mutex_unlock(&p->mu);

    int r = poll(w->fds, (nfds_t)total, timeout_ms);
    int err = errno;

    pthread_mutex_lock(&p->mu);
    int count = 0;
    if (r > 0) {
        if (w->fds[0].revents && drain(p->wake[0]))
            *woken = 1;
        count = collect(p, w, total, events, cap);
    }
    if (w->signaled) {
        drain(w->pipe[0]);
        w->signaled = 0;
    }
    w->busy = 0;
    pthread_mutex_unlock(&p->mu);
    if (r < 0)
        return err == EINTR ? 0 : ps__posix_error(err);
    return count;
}

int ps__poller_wake(ps_poller *p)
{
    int saved = errno; /* may run in a signal handler */
    /* EAGAIN: the pipe is full, a wake is pending anyway. */
    int fail = write(p->wake[1], "w", 1) < 0 && errno != EAGAIN;
    int err = errno;
    errno = saved;
    return fail ? ps__posix_error(err) : 0;
}

ps__timers *ps__poller_timers(ps_poller *p)
{
    return &p->timers;
}
