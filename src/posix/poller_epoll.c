/* SPDX-License-Identifier: MIT */
/* ps_poller on Linux: epoll.
 *
 * Each registration's record lives in an fd-indexed table (fdtable.c); the
 * epoll event carries the fd and the record's registration number (gen),
 * so a wait finds the user's data by indexing, and drops an event that was
 * meant for a registration removed (or replaced) meanwhile. A modify gives
 * the record a new gen too: an event a wait took before it (EPOLLONESHOT
 * re-armed by another thread meanwhile) is dropped, and EPOLL_CTL_MOD
 * queues the item again if it is still ready, for one waiter.
 *
 * The poller's own descriptors (the epoll fd, the two eventfds) are not
 * items: add of one is PS_EINVAL; modify and remove of a number with no
 * record are PS_ENOENT (PS_EBADF if closed) without asking epoll, which
 * would otherwise change or drop the wake eventfd itself.
 *
 * Regular files and other fds epoll refuses (EPERM) are always ready: they
 * are kept in a side list, and while one of them is armed an eventfd
 * (files_fd) stays readable, so every wait returns at once and fills in
 * their events, as ps_select does.
 *
 * An fd closed without ps_poller_remove: epoll forgets it by itself (when no
 * other descriptor refers to the same file), so it is never reported again.
 * Its record stays in its table slot, harmless: a later ps_poller_add of the
 * same number succeeds in epoll and overwrites it with a new gen; modify or
 * remove of the number get ENOENT / EBADF from epoll and free it; closing
 * the poller frees it. A file in the side list is checked (fstat: device
 * and inode) on every wait that reports it: once closed or replaced it is
 * reported once as PS_POLL_INVALID and dropped.
 *
 * Locking: one mutex guards the table and the side list. epoll_ctl is made
 * under it (so the kernel's set and the table change together); epoll_wait
 * never is. The wake is an eventfd, written without the lock
 * (async-signal-safe); the waiter that reads it reports the wake. */
#include "posix.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

enum { KIND_EPOLL = 1, KIND_FILE = 2 };

/* epoll data of the two eventfds; fd numbers never reach 2^32 - 1. */
#define MARK_WAKE UINT64_MAX
#define MARK_FILES (UINT64_MAX - 1)

/* Most kernel events one wait takes (on the stack). */
#define BATCH 256

struct file_item {
    int fd;
    dev_t dev;
    ino_t ino;
};

struct ps_poller {
    ps__timers timers; /* src/timers.c and src/poller.c own it */
    int ep;
    int wake_fd;
    int files_fd;
    pthread_mutex_t mu;
    ps__fdtable tab;
    struct file_item *files; /* rec->pos indexes this */
    size_t nfiles, files_cap;
    size_t armed_files; /* files_fd is readable while > 0 */
    size_t file_turn;   /* where the next report of files starts */
};

static int epoll_error(int err)
{
    switch (err) {
    case EEXIST:
        return PS_EEXIST;
    case ENOENT:
        return PS_ENOENT;
    case ENOSPC: /* max_user_watches */
        ps__set_native_error(err);
        return PS_ENOMEM;
    default:
        return ps__posix_error(err);
    }
}

static uint32_t to_epoll(unsigned events)
{
    uint32_t e = 0;
    if (events & PS_POLL_READ)
        e |= EPOLLIN | EPOLLRDHUP;
    if (events & PS_POLL_WRITE)
        e |= EPOLLOUT;
    if (events & PS_POLL_ONESHOT)
        e |= EPOLLONESHOT;
    return e;
}

/* The same meanings as ps_select gives poll()'s bits (src/posix/select.c). */
static unsigned from_epoll(unsigned asked, uint32_t ev)
{
    unsigned out = 0;
    if (ev & (EPOLLIN | EPOLLPRI))
        out |= PS_POLL_READ;
    if (ev & EPOLLOUT)
        out |= PS_POLL_WRITE;
    if (ev & EPOLLERR)
        out |= PS_POLL_ERROR | PS_POLL_READ | PS_POLL_WRITE;
    if (ev & (EPOLLHUP | EPOLLRDHUP))
        out |= PS_POLL_HUP | PS_POLL_READ;
    return out & (asked | PS_POLL_ERROR | PS_POLL_HUP | PS_POLL_INVALID);
}

static int add_marker(ps_poller *p, int fd, uint64_t mark)
{
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.u64 = mark;
    return epoll_ctl(p->ep, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : errno;
}

int ps__poller_create(ps_poller **out)
{
    ps_poller *p = calloc(1, sizeof *p);
    if (!p)
        return PS_ENOMEM;
    p->ep = p->wake_fd = p->files_fd = -1;
    int err = pthread_mutex_init(&p->mu, NULL);
    if (err != 0) {
        free(p);
        ps__set_native_error(err);
        return PS_ENOMEM;
    }
    p->ep = epoll_create1(EPOLL_CLOEXEC);
    if (p->ep < 0) {
        err = errno;
    } else {
        p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        p->files_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (p->wake_fd < 0 || p->files_fd < 0)
            err = errno;
        else if ((err = add_marker(p, p->wake_fd, MARK_WAKE)) == 0)
            err = add_marker(p, p->files_fd, MARK_FILES);
    }
    if (err != 0) {
        ps__poller_destroy(p);
        return ps__posix_error(err);
    }
    *out = p;
    return 0;
}

void ps__poller_destroy(ps_poller *p)
{
    if (p->files_fd >= 0)
        close(p->files_fd);
    if (p->wake_fd >= 0)
        close(p->wake_fd);
    if (p->ep >= 0)
        close(p->ep);
    pthread_mutex_destroy(&p->mu);
    ps__fdtable_free(&p->tab);
    free(p->files);
    free(p);
}

/* files_fd follows armed_files: readable exactly while one file is armed. */
static void set_armed(ps_poller *p, ps__fdrec *r, int armed)
{
    /* A file that asks for nothing has nothing to report. */
    armed = armed && (r->events & (PS_POLL_READ | PS_POLL_WRITE));
    if (armed == r->armed)
        return;
    r->armed = (unsigned char)armed;
    if (armed && p->armed_files++ == 0) {
        uint64_t one = 1;
        if (write(p->files_fd, &one, sizeof one) < 0) {
            /* Cannot fail: the counter is 0 before. */
        }
    } else if (!armed && --p->armed_files == 0) {
        uint64_t v;
        if (read(p->files_fd, &v, sizeof v) < 0) {
            /* Already drained. */
        }
    }
}

static int file_identity(int fd, struct file_item *f)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return errno;
    f->fd = fd;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    return 0;
}

/* 1 if fd is still the file that was registered. */
static int same_file(const struct file_item *f)
{
    struct file_item now = {0};
    return file_identity(f->fd, &now) == 0 && now.dev == f->dev &&
           now.ino == f->ino;
}

static int add_file(ps_poller *p, ps__fdrec *r, int fd)
{
    struct file_item f;
    int err = file_identity(fd, &f);
    if (err != 0)
        return ps__posix_error(err);
    if (p->nfiles == p->files_cap) {
        size_t cap = p->files_cap ? p->files_cap * 2 : 8;
        struct file_item *files = realloc(p->files, cap * sizeof *files);
        if (!files)
            return PS_ENOMEM;
        p->files = files;
        p->files_cap = cap;
    }
    r->kind = KIND_FILE;
    r->pos = (uint32_t)p->nfiles;
    p->files[p->nfiles++] = f;
    set_armed(p, r, 1);
    return 0;
}

static void drop_file(ps_poller *p, ps__fdrec *r)
{
    set_armed(p, r, 0);
    struct file_item last = p->files[--p->nfiles];
    if (r->pos < p->nfiles) {
        p->files[r->pos] = last;
        p->tab.recs[last.fd].pos = r->pos;
    }
    ps__fdtable_clear(r);
}

/* A registered file: still the same file, or forgotten now. */
static int file_still_there(ps_poller *p, ps__fdrec *r)
{
    if (same_file(&p->files[r->pos]))
        return 1;
    drop_file(p, r);
    return 0;
}

static int ctl_file(ps_poller *p, int op, ps__fdrec *r, unsigned events,
                    void *data)
{
    switch (op) {
    case PS__POLLER_ADD:
        return PS_EEXIST;
    case PS__POLLER_MODIFY:
        r->events = events;
        r->data = data;
        set_armed(p, r, 1);
        return 0;
    default:
        drop_file(p, r);
        return 0;
    }
}

static int ctl_add(ps_poller *p, int fd, unsigned events, void *data)
{
    /* The table grows to fd's number only for an fd that is open: a huge
     * number that names nothing (INT_MAX) is PS_EBADF, not a table of
     * 2^31 records (PS_ENOMEM, or an abort under a sanitizer). */
    if (fd < 0 || ((size_t)fd >= p->tab.cap && fcntl(fd, F_GETFD) == -1))
        return ps__posix_error(EBADF);
    ps__fdrec *old = ps__fdtable_find(&p->tab, fd);
    /* Any record left here is stale (epoll would have said EEXIST). */
    ps__fdrec saved;
    if (old)
        saved = *old;
    ps__fdrec *r = ps__fdtable_claim(&p->tab, fd);
    if (!r)
        return PS_ENOMEM;
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = to_epoll(events);
    ev.data.u64 = (uint64_t)r->gen << 32 | (uint32_t)fd;
    int err = epoll_ctl(p->ep, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : errno;
    if (err == 0 || err == EPERM) {
        r->data = data;
        r->events = events;
        r->kind = KIND_EPOLL;
        if (err == 0)
            return 0;
        /* Regular files and the like: always ready. */
        int rc = add_file(p, r, fd);
        if (rc != 0)
            ps__fdtable_clear(r);
        return rc;
    }
    if (old)
        *r = saved;
    else
        ps__fdtable_clear(r);
    return epoll_error(err);
}

static int ctl_epoll(ps_poller *p, int op, int fd, ps__fdrec *r,
                     unsigned events, void *data)
{
    if (!r) /* never registered, or one of ours: epoll must not touch it */
        return fd >= 0 && fcntl(fd, F_GETFD) != -1 ? PS_ENOENT
                                                   : ps__posix_error(EBADF);
    uint32_t gen = op == PS__POLLER_MODIFY ? ps__fdtable_new_gen(&p->tab)
                                           : r->gen;
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = to_epoll(events);
    ev.data.u64 = (uint64_t)gen << 32 | (uint32_t)fd;
    int eop = op == PS__POLLER_MODIFY ? EPOLL_CTL_MOD : EPOLL_CTL_DEL;
    int err = epoll_ctl(p->ep, eop, fd, &ev) == 0 ? 0 : errno;
    if (err == 0 && op == PS__POLLER_MODIFY) {
        r->gen = gen;
        r->events = events;
        r->data = data;
        return 0;
    }
    /* EPERM: a file epoll cannot hold, and not in the side list. */
    if (err == EPERM)
        return PS_ENOENT;
    /* Removed, or the fd is gone from epoll (closed): forget the record. */
    if (err == 0 || err == ENOENT || err == EBADF)
        ps__fdtable_clear(r);
    return err == 0 ? 0 : epoll_error(err);
}

/* 1 for a descriptor of the poller's own. */
static int is_own(const ps_poller *p, int fd)
{
    return fd == p->ep || fd == p->wake_fd || fd == p->files_fd;
}

int ps__poller_ctl(ps_poller *p, int op, const ps_pollitem *item, void *data)
{
    if (item->kind == PS_KIND_HANDLE)
        return PS_ENOTSUP;
    int fd = item->kind == PS_KIND_SOCKET ? (int)item->sock : item->fd;
    unsigned events = item->events;
    pthread_mutex_lock(&p->mu);
    int rc;
    ps__fdrec *r = ps__fdtable_find(&p->tab, fd);
    if (r && r->kind == KIND_FILE && file_still_there(p, r))
        rc = ctl_file(p, op, r, events, data);
    else if (op == PS__POLLER_ADD)
        rc = is_own(p, fd) ? PS_EINVAL : ctl_add(p, fd, events, data);
    else
        rc = ctl_epoll(p, op, fd, ps__fdtable_find(&p->tab, fd), events, data);
    pthread_mutex_unlock(&p->mu);
    return rc;
}

/* Armed files into events[count..cap), starting where the last report
 * left off so that a small cap reaches every file in turn. */
static int report_files(ps_poller *p, ps_event *events, int count, int cap)
{
    size_t n = p->nfiles;
    size_t start = n ? p->file_turn % n : 0;
    for (size_t k = 0; k < n && count < cap; k++) {
        size_t i = (start + k) % n;
        if (i >= p->nfiles)
            continue; /* the list shrank under us (a file dropped) */
        ps__fdrec *r = &p->tab.recs[p->files[i].fd];
        if (!r->armed)
            continue;
        p->file_turn = i + 1;
        if (!same_file(&p->files[i])) {
            events[count].data = r->data;
            events[count++].revents = PS_POLL_INVALID;
            drop_file(p, r);
            continue;
        }
        events[count].data = r->data;
        events[count++].revents = r->events & (PS_POLL_READ | PS_POLL_WRITE);
        if (r->events & PS_POLL_ONESHOT)
            set_armed(p, r, 0);
    }
    return count;
}

int ps__poller_wait_once(ps_poller *p, ps_event *events, int cap,
                         int timeout_ms, int *woken)
{
    struct epoll_event ev[BATCH];
    int got = epoll_wait(p->ep, ev, cap < BATCH ? cap : BATCH, timeout_ms);
    if (got < 0)
        return errno == EINTR ? 0 : ps__posix_error(errno);
    if (got == 0)
        return 0;
    int count = 0, files = 0;
    pthread_mutex_lock(&p->mu);
    for (int i = 0; i < got; i++) {
        uint64_t u = ev[i].data.u64;
        if (u == MARK_WAKE) {
            uint64_t v;
            /* Only the waiter that drains the counter reports the wake. */
            if (read(p->wake_fd, &v, sizeof v) == (ssize_t)sizeof v)
                *woken = 1;
            continue;
        }
        if (u == MARK_FILES) {
            files = 1;
            continue;
        }
        ps__fdrec *r = ps__fdtable_find(&p->tab, (int)(uint32_t)u);
        if (!r || r->kind != KIND_EPOLL || r->gen != (uint32_t)(u >> 32))
            continue; /* removed or replaced since the kernel queued it */
        unsigned rev = from_epoll(r->events, ev[i].events);
        if (rev == 0)
            continue;
        events[count].data = r->data;
        events[count++].revents = rev;
    }
    /* Kernel events come first: a one-shot one is already disarmed and must
     * not be dropped. At least one slot is left when MARK_FILES came in. */
    if (files)
        count = report_files(p, events, count, cap);
    pthread_mutex_unlock(&p->mu);
    return count;
}

int ps__poller_wake(ps_poller *p)
{
    uint64_t one = 1;
    int saved = errno; /* may run in a signal handler */
    /* EAGAIN only when the counter is full: a wake is pending anyway. */
    int fail = write(p->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN;
    int err = errno;
    errno = saved;
    return fail ? ps__posix_error(err) : 0;
}

ps__timers *ps__poller_timers(ps_poller *p)
{
    return &p->timers;
}
