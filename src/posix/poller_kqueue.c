/* SPDX-License-Identifier: MIT */
/* ps_poller on kqueue (macOS, FreeBSD, DragonFly, NetBSD 10+).
 *
 * Each registered fd owns a slot in an array indexed by the fd. Its READ and
 * WRITE interests are EVFILT_READ / EVFILT_WRITE knotes, level-triggered
 * (kqueue's default); PS_POLL_ONESHOT adds EV_DISPATCH, which disables a
 * knote once it is delivered until ps_poller_modify enables it again.
 * ps_poller_wake triggers an EVFILT_USER event (EV_CLEAR, so wakes made
 * before one wait coalesce into one).
 *
 * A knote's udata is the slot's registration number, not a pointer to the
 * slot: a remove on another thread may end a registration while a wait
 * holds an event for it, so each event is checked, under the lock, against
 * the slot's current number, and one for an ended registration is dropped.
 * Every arming (add, and each modify) gives the slot a new number, and the
 * knotes get it as their udata: an event a wait took before a modify
 * (the other filter of a one-shot item, or a side item's select() result
 * from before another thread read the item and re-armed it) is dropped,
 * so a one-shot report always means ready now, and one waiter. kqueue
 * queues a re-enabled knote again if it is still ready.
 *
 * The kqueue fd itself is not an item: add of it is PS_EINVAL; modify or
 * remove, PS_ENOENT (it never has a slot).
 *
 * Not every fd can be a knote: regular files and directories are ready at
 * once (kqueue would report a file at its end as not readable), and macOS
 * rejects terminals and some other devices. Those few go on a side list:
 * files are reported without asking the kernel, devices are waited on with
 * select() together with the kqueue fd (a kqueue is readable when it has
 * events), as ps_select does on macOS. A wait looks at the side list when
 * it starts, so arming a side item triggers a second EVFILT_USER ident
 * (SIDE_ID, not a wake) that makes waits in kevent() start again.
 *
 * An item registered with no READ or WRITE has no knote, so unlike epoll
 * it is not told of HUP or ERROR either (kqueue reports those only on a
 * filter, and an enabled read filter would report data not asked for, on
 * every wait): portsock.h says so.
 *
 * Not compiled on Linux: it is built and tested by the macOS job of
 * .github/workflows/ci.yml. */
#ifdef __APPLE__
#define _DARWIN_UNLIMITED_SELECT 1 /* select() beyond FD_SETSIZE */
#endif

#include "posix.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/event.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef EVFILT_USER
#error \
    "the kqueue poller needs EVFILT_USER; configure with -DPS_POLLER_BACKEND=poll"
#endif

enum { MODE_FREE, MODE_KQ, MODE_FILE, MODE_SELECT };
enum { HAS_READ = 1, HAS_WRITE = 2 };
enum { MAX_KEVENTS = 128, LOCAL_SIDE = 16 };
enum { WAKE_ID = 0, SIDE_ID = 1 }; /* EVFILT_USER idents */

typedef struct slot {
    uintptr_t id; /* registration number, 0 when free */
    void *data;
    unsigned events;      /* READ | WRITE | ONESHOT, as registered */
    unsigned char mode;   /* MODE_* */
    unsigned char knotes; /* HAS_*: the filters in the kqueue */
    unsigned char chr;    /* a character device: may fall back to select */
    unsigned char armed;  /* one-shot: cleared when reported */
    dev_t dev;            /* side items: the file, to notice that the */
    ino_t ino;            /* fd was closed and its number reused */
    uint64_t batch;       /* the last wait that reported it, ... */
    int out;              /* ... at this index of its events */
} slot;

struct ps_poller {
    ps__timers timers; /* src/timers.c and src/poller.c own it */
    int kq;
    pthread_mutex_t mu; /* guards everything below */
    slot *slots;
    size_t nslots;
    int *side; /* fds in MODE_FILE or MODE_SELECT */
    size_t nside, side_cap;
    size_t side_turn; /* where the next report of side items starts */
    int kq_turn;      /* cap 1: side items and kevent() take turns */
    uintptr_t next_id;
    uint64_t batch;
};

/* What a wait copies of a side item, to look at without the lock. */
typedef struct side_item {
    int fd;
    int mode;
    uintptr_t id;
    unsigned events;
    unsigned rev;
    dev_t dev;
    ino_t ino;
    size_t pos; /* its index in p->side */
} side_item;

static slot *find(ps_poller *p, int fd)
{
    if (fd < 0 || (size_t)fd >= p->nslots || p->slots[fd].id == 0)
        return NULL;
    return &p->slots[fd];
}

static int grow(ps_poller *p, int fd)
{
    if ((size_t)fd < p->nslots)
        return 0;
    size_t n = p->nslots ? p->nslots : 64;
    while (n <= (size_t)fd)
        n *= 2;
    slot *s = realloc(p->slots, n * sizeof *s);
    if (!s)
        return PS_ENOMEM;
    memset(s + p->nslots, 0, (n - p->nslots) * sizeof *s);
    p->slots = s;
    p->nslots = n;
    return 0;
}

static int side_push(ps_poller *p, int fd)
{
    if (p->nside == p->side_cap) {
        size_t n = p->side_cap ? p->side_cap * 2 : 8;
        int *s = realloc(p->side, n * sizeof *s);
        if (!s)
            return PS_ENOMEM;
        p->side = s;
        p->side_cap = n;
    }
    p->side[p->nside++] = fd;
    return 0;
}

static void side_drop(ps_poller *p, int fd)
{
    for (size_t i = 0; i < p->nside; i++) {
        if (p->side[i] == fd) {
            p->side[i] = p->side[--p->nside];
            return;
        }
    }
}

/* Applies up to 4 changes; errs[i] is 0 or the errno of change i.
 * EV_RECEIPT makes every change answer in order, and no pending event is
 * taken off the queue. Returns 0 or the errno of kevent() itself. */
static int apply(ps_poller *p, struct kevent *ch, int n, int *errs)
{
    struct kevent res[4];
    const struct timespec zero = {0, 0};
    for (int i = 0; i < n; i++)
        ch[i].flags |= EV_RECEIPT;
    int r = kevent(p->kq, ch, n, res, n, &zero);
    if (r < 0)
        return errno;
    for (int i = 0; i < n; i++)
        errs[i] = i >= r                      ? EINVAL
                  : (res[i].flags & EV_ERROR) ? (int)res[i].data
                                              : 0;
    return 0;
}

/* Makes the slot's knotes match events: a filter not asked for is
 * deleted, one asked for is added or enabled (which re-arms a one-shot
 * knote). EV_DISPATCH cannot be changed on an existing knote, so a switch
 * to or from one-shot deletes and adds again. Returns 0 or an errno; on
 * failure s->knotes still says which knotes exist. */
static int sync_knotes(ps_poller *p, int fd, slot *s, unsigned events)
{
    static const short filters[2] = {EVFILT_READ, EVFILT_WRITE};
    static const unsigned bits[2] = {PS_POLL_READ, PS_POLL_WRITE};
    static const unsigned char has[2] = {HAS_READ, HAS_WRITE};
    struct kevent ch[4];
    int which[4], errs[4], n = 0;
    int flip = ((s->events ^ events) & PS_POLL_ONESHOT) != 0;
    unsigned short add_flags = EV_ADD | EV_ENABLE |
                               ((events & PS_POLL_ONESHOT) ? EV_DISPATCH : 0);
    for (int f = 0; f < 2; f++) {
        int want = (events & bits[f]) != 0, have = (s->knotes & has[f]) != 0;
        if (have && (!want || flip)) {
            EV_SET(&ch[n], fd, filters[f], EV_DELETE, 0, 0, NULL);
            which[n++] = -1 - f;
        }
        if (want) {
            EV_SET(&ch[n], fd, filters[f], add_flags, 0, 0, (void *)s->id);
            which[n++] = f;
        }
    }
    if (n == 0)
        return 0;
    int err = apply(p, ch, n, errs);
    if (err != 0)
        return err;
    for (int i = 0; i < n; i++) {
        if (which[i] < 0) /* a delete: ENOENT means the fd was closed */
            s->knotes &= (unsigned char)~has[-1 - which[i]];
        else if (errs[i] == 0)
            s->knotes |= has[which[i]];
        else if (err == 0)
            err = errs[i];
    }
    return err;
}

static int knote_error(int err)
{
    if (err == EBADF || err == ENOMEM)
        return ps__posix_error(err);
    ps__set_native_error(err); /* EINVAL, ENODEV...: cannot be waited on */
    return PS_ENOTSUP;
}

/* Triggers an EVFILT_USER ident; async-signal-safe (errno is kept). */
static int trigger(ps_poller *p, uintptr_t ident)
{
    int saved = errno;
    struct kevent k;
    EV_SET(&k, ident, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
    int r;
    do
        r = kevent(p->kq, &k, 1, NULL, 0, NULL);
    while (r < 0 && errno == EINTR);
    r = r < 0 ? ps__posix_error(errno) : 0;
    errno = saved;
    return r;
}

static uintptr_t new_id(ps_poller *p)
{
    if (++p->next_id == 0)
        p->next_id = 1;
    return p->next_id;
}

/* Registers (or re-registers) the slot's interest in kqueue, or moves a
 * character device kqueue refuses (macOS terminals) to the select list. */
static int arm(ps_poller *p, int fd, slot *s, unsigned events)
{
    s->id = new_id(p); /* before the knotes take it as their udata */
    if (s->mode == MODE_KQ) {
        int err = sync_knotes(p, fd, s, events);
        if (err != 0) {
            sync_knotes(p, fd, s, 0); /* asks nothing rather than half */
            s->events = 0;
            if (!s->chr || err == EBADF)
                return knote_error(err);
            if (side_push(p, fd) != 0)
                return PS_ENOMEM;
            s->mode = MODE_SELECT;
        }
    }
    s->events = events;
    s->armed = 1;
    /* A blocked wait does not know this side item: make it start again.
     * (Fails only without kernel memory; the next wait sees it anyway.) */
    if (s->mode != MODE_KQ)
        trigger(p, SIDE_ID);
    return 0;
}

static void forget(ps_poller *p, int fd, slot *s)
{
    if (s->mode == MODE_KQ)
        sync_knotes(p, fd, s, 0); /* fails only if the fd is already closed */
    else
        side_drop(p, fd);
    memset(s, 0, sizeof *s);
}

/* A used slot on add: the same fd registered twice (PS_EEXIST), or an fd
 * that was closed while registered (closing it deleted its knotes) and
 * whose number is in use again. Deleting one knote tells them apart; a
 * live one is put back as it was. A side item is compared by file. */
static int still_registered(ps_poller *p, int fd, slot *s,
                            const struct stat *st)
{
    if (s->mode != MODE_KQ)
        return st->st_dev == s->dev && st->st_ino == s->ino;
    if (s->knotes == 0)
        return 1; /* no knote to ask: assume it is */
    short f = (s->knotes & HAS_READ) ? EVFILT_READ : EVFILT_WRITE;
    struct kevent ch;
    int err = 0;
    EV_SET(&ch, fd, f, EV_DELETE, 0, 0, NULL);
    if (apply(p, &ch, 1, &err) != 0)
        return 1; /* cannot tell */
    if (err == ENOENT)
        return 0;
    if (err != 0)
        return 1;
    int enable = !(s->events & PS_POLL_ONESHOT) || s->armed;
    EV_SET(&ch, fd, f,
           EV_ADD | (enable ? EV_ENABLE : EV_DISABLE) |
               ((s->events & PS_POLL_ONESHOT) ? EV_DISPATCH : 0),
           0, 0, (void *)s->id);
    apply(p, &ch, 1, &err);
    return 1;
}

static int add(ps_poller *p, int fd, unsigned events, void *data)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return ps__posix_error(errno);
    if (grow(p, fd) != 0)
        return PS_ENOMEM;
    slot *s = &p->slots[fd];
    if (s->id != 0) {
        if (still_registered(p, fd, s, &st))
            return PS_EEXIST;
        forget(p, fd, s);
    }
    s->id = new_id(p);
    s->data = data;
    s->chr = S_ISCHR(st.st_mode) != 0;
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    s->mode = (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) ? MODE_FILE
                                                           : MODE_KQ;
    int r = s->mode == MODE_FILE ? side_push(p, fd) : 0;
    if (r == 0)
        r = arm(p, fd, s, events);
    if (r != 0)
        forget(p, fd, s);
    return r;
}

/* Before a modify or remove: an fd closed while registered is forgotten,
 * PS_EBADF; a side item whose number now names another file, PS_ENOENT.
 * (A knote's fd is not checked further: its knotes went with the close.) */
static int check_open(ps_poller *p, int fd, slot *s)
{
    struct stat st;
    int r = 0;
    if (fstat(fd, &st) != 0)
        r = ps__posix_error(errno);
    else if (s->mode != MODE_KQ && (st.st_dev != s->dev || st.st_ino != s->ino))
        r = PS_ENOENT;
    if (r != 0)
        forget(p, fd, s);
    return r;
}

int ps__poller_ctl(ps_poller *p, int op, const ps_pollitem *item, void *data)
{
    if (item->kind == PS_KIND_HANDLE)
        return PS_ENOTSUP; /* as the other POSIX backends */
    int fd = item->kind == PS_KIND_SOCKET ? item->sock : item->fd;
    if (fd < 0)
        return op == PS__POLLER_ADD ? PS_EBADF : PS_ENOENT;
    pthread_mutex_lock(&p->mu);
    slot *s = find(p, fd);
    int r = 0;
    if (op == PS__POLLER_ADD && fd == p->kq) {
        r = PS_EINVAL; /* the poller's own */
    } else if (op == PS__POLLER_ADD) {
        r = add(p, fd, item->events, data);
    } else if (!s) {
        r = PS_ENOENT;
    } else if ((r = check_open(p, fd, s)) != 0) {
        /* forgotten */
    } else if (op == PS__POLLER_MODIFY) {
        s->data = data;
        r = arm(p, fd, s, item->events);
    } else {
        forget(p, fd, s);
    }
    pthread_mutex_unlock(&p->mu);
    return r;
}

/* 1 if fd is a socket with an error pending. A one-byte MSG_PEEK recv
 * returns the error and leaves it pending (SO_ERROR would clear it, and
 * ps_socket_error and recv must still see it). EAGAIN is EWOULDBLOCK here. */
static int pending_error(int fd)
{
    char c;
    if (recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) >= 0)
        return 0;
    return errno != EAGAIN && errno != EINTR && errno != ENOTSOCK &&
           errno != EBADF && errno != ENOTCONN && errno != EINVAL;
}

/* What one kevent says, as ps_select's bits. A knote on a socket carries
 * the socket's pending error in fflags with EV_EOF: a failed non-blocking
 * connect arrives as WRITE|HUP|ERROR on the write filter. An error without
 * EOF (an ICMP error on a connected UDP socket) fires the read filter with
 * nothing to read, the one case checked further. */
static unsigned kevent_bits(const struct kevent *k)
{
    if (k->flags & EV_ERROR)
        return PS_POLL_ERROR | (k->data == EBADF ? PS_POLL_INVALID : 0);
    unsigned rev = k->filter == EVFILT_READ ? PS_POLL_READ : PS_POLL_WRITE;
    if (k->flags & EV_EOF)
        rev |= PS_POLL_HUP | (k->fflags != 0 ? PS_POLL_ERROR : 0);
    else if (k->filter == EVFILT_READ && k->data == 0 &&
             pending_error((int)k->ident))
        rev |= PS_POLL_ERROR;
    return rev;
}

/* Adds one report to events (under the lock); 1 if it took a new one.
 * Two filters of one item in one wait become one event; an event of an
 * ended registration, or of a one-shot item already handed out, is
 * dropped. */
static int report(ps_poller *p, int fd, uintptr_t id, unsigned rev,
                  ps_event *events, int cap, int *out)
{
    slot *s = find(p, fd);
    if (!s || s->id != id)
        return 0;
    unsigned bits = rev & ((s->events & (PS_POLL_READ | PS_POLL_WRITE)) |
                           PS_POLL_ERROR | PS_POLL_HUP | PS_POLL_INVALID);
    if (s->batch == p->batch) {
        events[s->out].revents |= bits;
        return 0;
    }
    /* *out >= cap only for side items: kernel events are reported first
     * and kevent() is asked for no more than cap, so no knote that
     * EV_DISPATCH disabled is lost here. */
    if (bits == 0 || *out >= cap ||
        ((s->events & PS_POLL_ONESHOT) && !s->armed))
        return 0;
    events[*out].data = s->data;
    events[*out].revents = bits;
    if (bits & PS_POLL_INVALID) { /* reported once, then forgotten */
        forget(p, fd, s);
    } else {
        s->armed = 0;
        s->batch = p->batch;
        s->out = *out;
    }
    (*out)++;
    return 1;
}

/* Looks at the side items: files are ready, closed fds (or numbers that
 * now name another file) invalid, devices
 * are waited on with select() along with the kqueue fd, within *timeout_ms
 * (0 when something is ready already). Returns how many are ready, or a
 * PS_E* code; *kq_ready says whether the kqueue may have events, and
 * *timeout_ms becomes 0 when kevent() must not wait (something is ready,
 * or select() did the waiting). */
static int wait_side(ps_poller *p, side_item *it, size_t n, int *timeout_ms,
                     int *kq_ready)
{
    int ready = 0, maxfd = p->kq, nselect = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned asked = it[i].events & (PS_POLL_READ | PS_POLL_WRITE);
        struct stat st;
        if (fstat(it[i].fd, &st) != 0 || st.st_dev != it[i].dev ||
            st.st_ino != it[i].ino) {
            it[i].rev = PS_POLL_INVALID;
        } else if (it[i].mode == MODE_FILE) {
            it[i].rev = asked;
        } else if (asked != 0) {
            nselect++;
            if (it[i].fd > maxfd)
                maxfd = it[i].fd;
        }
        ready += it[i].rev != 0;
    }
    *kq_ready = 1;
    if (ready > 0)
        *timeout_ms = 0;
    if (nselect == 0)
        return ready;
    /* Sets sized for maxfd (no FD_SETSIZE cap): whole 64-bit words, which
     * suits every fd_mask, and never smaller than an fd_set. */
    size_t bytes = ((size_t)maxfd / 64 + 1) * 8;
    if (bytes < sizeof(fd_set))
        bytes = sizeof(fd_set);
    unsigned char *mem = calloc(2, bytes);
    if (!mem)
        return PS_ENOMEM;
    fd_set *rd = (fd_set *)mem, *wr = (fd_set *)(mem + bytes);
    FD_SET(p->kq, rd);
    for (size_t i = 0; i < n; i++) {
        if (it[i].mode != MODE_SELECT || it[i].rev != 0)
            continue;
        if (it[i].events & PS_POLL_READ)
            FD_SET(it[i].fd, rd);
        if (it[i].events & PS_POLL_WRITE)
            FD_SET(it[i].fd, wr);
    }
    struct timeval tv = {*timeout_ms / 1000, (*timeout_ms % 1000) * 1000};
    int r = select(maxfd + 1, rd, wr, NULL, *timeout_ms < 0 ? NULL : &tv);
    *timeout_ms = 0;
    if (r < 0) {
        int err = errno;
        free(mem);
        /* EBADF: a device closed meanwhile; the next wait reports it. */
        if (err != EINTR && err != EBADF)
            return ps__posix_error(err);
        *kq_ready = 0;
        return ready;
    }
    *kq_ready = FD_ISSET(p->kq, rd) != 0;
    for (size_t i = 0; i < n; i++) {
        if (it[i].mode != MODE_SELECT || it[i].rev != 0)
            continue;
        it[i].rev = (FD_ISSET(it[i].fd, rd) ? PS_POLL_READ : 0) |
                    (FD_ISSET(it[i].fd, wr) ? PS_POLL_WRITE : 0);
        ready += it[i].rev != 0;
    }
    free(mem);
    return ready;
}

int ps__poller_wait_once(ps_poller *p, ps_event *events, int cap,
                         int timeout_ms, int *woken)
{
    side_item local[LOCAL_SIDE], *side = local;
    size_t nside = 0;
    pthread_mutex_lock(&p->mu);
    if (p->nside > LOCAL_SIDE) {
        side = malloc(p->nside * sizeof *side);
        if (!side) {
            pthread_mutex_unlock(&p->mu);
            return PS_ENOMEM;
        }
    }
    /* From where the last report of side items left off, so that a small
     * cap reaches each of them in turn. */
    size_t start = p->nside ? p->side_turn % p->nside : 0;
    for (size_t k = 0; k < p->nside; k++) {
        size_t pos = (start + k) % p->nside;
        slot *s = &p->slots[p->side[pos]];
        if ((s->events & PS_POLL_ONESHOT) && !s->armed)
            continue; /* handed out: not waited on until modify */
        side_item si = {p->side[pos], s->mode, s->id, s->events, 0,
                        s->dev,       s->ino,  pos};
        side[nside++] = si;
    }
    p->kq_turn = !p->kq_turn;
    int kq_turn = p->kq_turn;
    pthread_mutex_unlock(&p->mu);

    int kq_ready = 1, ready = 0;
    if (nside > 0) {
        ready = wait_side(p, side, nside, &timeout_ms, &kq_ready);
        if (ready < 0) {
            if (side != local)
                free(side);
            return ready;
        }
    }
    /* However many side items are ready, kevent() gets a slot (timeout 0
     * then), so sockets and wakes are not starved; with cap 1 the two take
     * turns, so neither is. */
    struct kevent kev[MAX_KEVENTS];
    int room = cap - ready, n = 0;
    if (room < 1)
        room = cap > 1 || kq_turn;
    if (room > MAX_KEVENTS)
        room = MAX_KEVENTS;
    if (room > 0 && kq_ready) {
        struct timespec ts = {timeout_ms / 1000,
                              (timeout_ms % 1000) * 1000000L};
        n = kevent(p->kq, NULL, 0, kev, room, timeout_ms < 0 ? NULL : &ts);
        if (n < 0) {
            int err = errno;
            if (side != local)
                free(side);
            return err == EINTR ? 0 : ps__posix_error(err);
        }
    }

    int out = 0;
    pthread_mutex_lock(&p->mu);
    p->batch++;
    /* Kernel events first: a one-shot knote is disabled once delivered and
     * must not be dropped; side items fill the rest. */
    for (int i = 0; i < n; i++) {
        if (kev[i].filter != EVFILT_USER)
            report(p, (int)kev[i].ident, (uintptr_t)kev[i].udata,
                   kevent_bits(&kev[i]), events, cap, &out);
        else if (kev[i].ident == WAKE_ID)
            *woken = 1; /* SIDE_ID only ends the wait: the next one looks */
    }
    for (size_t i = 0; i < nside && out < cap; i++) {
        if (side[i].rev != 0 &&
            report(p, side[i].fd, side[i].id, side[i].rev, events, cap, &out))
            p->side_turn = side[i].pos + 1;
    }
    pthread_mutex_unlock(&p->mu);
    if (side != local)
        free(side);
    return out;
}

int ps__poller_wake(ps_poller *p)
{
    return trigger(p, WAKE_ID);
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
    struct kevent k[2];
    EV_SET(&k[0], WAKE_ID, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
    EV_SET(&k[1], SIDE_ID, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
    p->kq = kqueue(); /* never inherited by a child; close-on-exec too */
    if (p->kq < 0 || fcntl(p->kq, F_SETFD, FD_CLOEXEC) != 0 ||
        kevent(p->kq, k, 2, NULL, 0, NULL) != 0) {
        int r = ps__posix_error(errno);
        if (p->kq >= 0)
            close(p->kq);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return r;
    }
    *out = p;
    return 0;
}

void ps__poller_destroy(ps_poller *p)
{
    close(p->kq);
    pthread_mutex_destroy(&p->mu);
    free(p->slots);
    free(p->side);
    free(p);
}

ps__timers *ps__poller_timers(ps_poller *p)
{
    return &p->timers;
}
