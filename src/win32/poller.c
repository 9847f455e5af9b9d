/* SPDX-License-Identifier: MIT */
/* ps_poller on Windows: one I/O completion port. Sockets are watched by
 * AFD polls whose completions arrive on the port; pipes and console input
 * by persistent helper threads that post to it; files and other handles
 * that are always ready are checked by every wait. A wake is a posted
 * packet.
 *
 * Level-triggered items are watched again at the start of the next wait
 * after the one that reported them (not at once), so a wait reports what
 * is ready when it starts and not what was ready before the caller read.
 * A reported pipe or console is checked there first (PeekNamedPipe, the
 * console's queue) and reported again while it is ready, so its helper's
 * timing cannot make a wait miss it; a new pipe is checked the same way
 * by the first wait. A console check never waits for a console read in
 * progress in another thread (that read is taking the line): the wait
 * watches the console instead. A helper's
 * packet only says "look": what a wait reports is what it checked.
 * While other threads are blocked on the port, such an item (and any
 * change to the always-checked items) posts a RESCAN packet, so one of
 * them starts its wait again and sees it.
 * A record with a poll or a posted packet still due is freed only when
 * that completion has been taken from the port. */
#include "console.h"
#include "poller.h"

#include <assert.h>
#include <stdlib.h>

#define BATCH 128

static void lock(ps_poller *p)
{
    AcquireSRWLockExclusive(&p->lock);
}
static void unlock(ps_poller *p)
{
    ReleaseSRWLockExclusive(&p->lock);
}

/* ---- record states and their lists ---- */

#define BIT(s) (1u << (s))

#ifndef NDEBUG
/* The states each state may move to (see poller.h). */
static const unsigned next_ok[PS__PREG_NSTATES] = {
    /* IDLE */ BIT(PS__PREG_QUEUED) | BIT(PS__PREG_WATCHED) |
        BIT(PS__PREG_POSTED) | BIT(PS__PREG_ALWAYS) | BIT(PS__PREG_DEAD),
    /* QUEUED */ BIT(PS__PREG_IDLE) | BIT(PS__PREG_DEAD),
    /* WATCHED */ BIT(PS__PREG_POSTED) | BIT(PS__PREG_IDLE) |
        BIT(PS__PREG_OUTDATED) | BIT(PS__PREG_DEAD_DUE) | BIT(PS__PREG_DEAD),
    /* OUTDATED */ BIT(PS__PREG_IDLE) | BIT(PS__PREG_DEAD_DUE),
    /* POSTED */ BIT(PS__PREG_IDLE) | BIT(PS__PREG_DEAD_DUE),
    /* ALWAYS */ BIT(PS__PREG_IDLE) | BIT(PS__PREG_DEAD),
    /* DEAD_DUE */ BIT(PS__PREG_DEAD),
    /* DEAD */ 0};
#endif

void ps__preg_set(ps__preg *r, ps__preg_state to)
{
    assert(r->state < PS__PREG_NSTATES && to < PS__PREG_NSTATES);
    assert(next_ok[r->state] & BIT(to));
    r->state = to;
}

static ps__plist *list_of(ps_poller *p, ps__preg_state st)
{
    switch (st) {
    case PS__PREG_QUEUED:
        return &p->update;
    case PS__PREG_ALWAYS:
        return &p->always;
    case PS__PREG_DEAD_DUE:
    case PS__PREG_DEAD:
        return &p->dead;
    default:
        return NULL;
    }
}

static void plist_push(ps__plist *l, ps__preg *r)
{
    r->prev = l->tail;
    r->next = NULL;
    if (l->tail)
        l->tail->next = r;
    else
        l->head = r;
    l->tail = r;
}

static void plist_unlink(ps__plist *l, ps__preg *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        l->head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        l->tail = r->prev;
    r->prev = r->next = NULL;
}

/* Moves r to state `to` and to the list that state names (lock held). */
static void move(ps_poller *p, ps__preg *r, ps__preg_state to)
{
    ps__plist *from = list_of(p, r->state), *dst = list_of(p, to);
    ps__preg_set(r, to);
    if (from == dst)
        return;
    if (from != NULL)
        plist_unlink(from, r);
    if (dst != NULL)
        plist_push(dst, r);
}

/* Every record, in the table or dead, each visited once; fn may free it. */
static void each_record(ps_poller *p, void (*fn)(ps_poller *, ps__preg *))
{
    ps__preg *r, *next;
    size_t i;
    for (i = 0; i < p->nbuckets; i++)
        for (r = p->buckets[i]; r; r = next) {
            next = r->hnext;
            fn(p, r);
        }
    for (r = p->dead.head; r; r = next) {
        next = r->next;
        fn(p, r);
    }
}

/* ---- the registration table: chained hashing, power-of-two buckets ---- */

static size_t bucket(int kind, uintptr_t v, size_t n)
{
    uint64_t x = ((uint64_t)v ^ (uint64_t)kind) * 0x9E3779B97F4A7C15ull;
    return (size_t)(x >> 32) & (n - 1);
}

static ps__preg **slot(ps_poller *p, int kind, uintptr_t v)
{
    ps__preg **pp = &p->buckets[bucket(kind, v, p->nbuckets)];
    while (*pp && !((*pp)->kind == kind && (*pp)->value == v))
        pp = &(*pp)->hnext;
    return pp;
}

static int table_grow(ps_poller *p)
{
    size_t n = p->nbuckets * 2, i;
    ps__preg **b;
    if (p->count < p->nbuckets)
        return 0;
    b = (ps__preg **)calloc(n, sizeof *b);
    if (b == NULL)
        return PS_ENOMEM;
    for (i = 0; i < p->nbuckets; i++) {
        ps__preg *r = p->buckets[i], *next;
        for (; r; r = next) {
            size_t k = bucket(r->kind, r->value, n);
            next = r->hnext;
            r->hnext = b[k];
            b[k] = r;
        }
    }
    free(p->buckets);
    p->buckets = b;
    p->nbuckets = n;
    return 0;
}

static void table_remove(ps_poller *p, ps__preg *r)
{
    ps__preg **pp = slot(p, r->kind, r->value);
    if (*pp == r) {
        *pp = r->hnext;
        r->hnext = NULL;
        p->count--;
    }
}

static void item_key(const ps_pollitem *it, int *kind, uintptr_t *v)
{
    *kind = it->kind;
    if (it->kind == PS_KIND_SOCKET)
        *v = (uintptr_t)it->sock;
    else if (it->kind == PS_KIND_FD)
        *v = (uintptr_t)(unsigned)it->fd;
    else
        *v = (uintptr_t)it->handle;
}

/* ---- records ---- */

static int classify(const ps_pollitem *it, ps__sel_entry *e)
{
    int type = 0, len = sizeof type;
    ps__sel_classify(it, e);
    if (e->cls == PS__SEL_SOCKET &&
        getsockopt(e->s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) != 0)
        e->cls = PS__SEL_INVALID;
    return e->cls == PS__SEL_INVALID ? PS_EBADF : 0;
}

static int route_of(const ps__sel_entry *e, unsigned events)
{
    switch (e->cls) {
    case PS__SEL_SOCKET:
        return PS__ROUTE_AFD;
    case PS__SEL_PIPE:
        /* WRITE on a pipe is reported at once: every wait checks it. */
        return (events & PS_POLL_WRITE) ? PS__ROUTE_ALWAYS : PS__ROUTE_PIPE;
    case PS__SEL_CONIN:
        return (events & PS_POLL_READ) ? PS__ROUTE_CONIN : PS__ROUTE_ALWAYS;
    default:
        return PS__ROUTE_ALWAYS;
    }
}

/* A new IDLE record for an item (add, and modify when the route changes). */
static ps__preg *preg_new(const ps_pollitem *item, const ps__sel_entry *e,
                          void *data)
{
    ps__preg *r = (ps__preg *)calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    item_key(item, &r->kind, &r->value);
    r->state = PS__PREG_IDLE;
    r->entry = *e;
    r->events = item->events;
    r->data = data;
    r->route = route_of(e, item->events);
    if (r->route == PS__ROUTE_AFD)
        r->base = ps__afd_base(e->s);
    return r;
}

/* Frees a DEAD record once its pipe helper is joined (lock held). */
static void maybe_free(ps_poller *p, ps__preg *r)
{
    if (r->state != PS__PREG_DEAD || r->pipe != NULL)
        return;
    plist_unlink(&p->dead, r);
    free(r);
}

/* Submits an AFD poll for r: IDLE -> WATCHED (lock held). */
static int afd_submit(ps_poller *p, ps__preg *r)
{
    int rc = ps__afd_poll(p->afd, r->base, r->events, &r->info, &r->iosb);
    if (rc == 0) {
        ps__preg_set(r, PS__PREG_WATCHED);
        p->afd_pending++;
    }
    return rc;
}

static void post_rescan(ps_poller *p)
{
    if (InterlockedExchange(&p->rescan_pending, 1) != 0)
        return; /* one is on its way */
    if (!PostQueuedCompletionStatus(p->port, 0, PS__KEY_RESCAN, NULL))
        InterlockedExchange(&p->rescan_pending, 0);
}

/* Lets a blocked wait see what it cannot be woken for by the port: the
 * always-checked items changed, or queued items wait to be checked or
 * watched again (lock held). */
static void nudge(ps_poller *p, int side_changed)
{
    if (p->blocked > 0 && (side_changed || p->update.head != NULL))
        post_rescan(p);
}

/* Watches an IDLE record at once (lock held). */
static int watch(ps_poller *p, ps__preg *r)
{
    switch (r->route) {
    case PS__ROUTE_AFD:
        return afd_submit(p, r);
    case PS__ROUTE_PIPE:
        ps__pipe_rearm(r);
        return 0;
    case PS__ROUTE_CONIN:
        ps__con_rearm(r);
        return 0;
    default:
        move(p, r, PS__PREG_ALWAYS);
        nudge(p, 1);
        return 0;
    }
}

/* Puts an IDLE record on the queue, for the next wait (lock held). */
static void queue(ps_poller *p, ps__preg *r)
{
    move(p, r, PS__PREG_QUEUED);
    nudge(p, 0);
}

/* Starts watching a new IDLE record (lock held). */
static int start_route(ps_poller *p, ps__preg *r)
{
    int rc;
    switch (r->route) {
    case PS__ROUTE_PIPE:
        if ((rc = ps__pipe_start(p, r)) == 0)
            queue(p, r);
        return rc;
    case PS__ROUTE_CONIN:
        return ps__con_join(p, r);
    default:
        return watch(p, r);
    }
}

int ps__poller_create(ps_poller **out)
{
    ps_poller *p = (ps_poller *)calloc(1, sizeof *p);
    int rc;
    if (p == NULL)
        return PS_ENOMEM;
    InitializeSRWLock(&p->lock);
    p->nbuckets = 64;
    p->buckets = (ps__preg **)calloc(p->nbuckets, sizeof *p->buckets);
    if (p->buckets == NULL) {
        free(p);
        return PS_ENOMEM;
    }
    p->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    if (p->port == NULL) {
        ps__set_native_error((int)GetLastError());
        free(p->buckets);
        free(p);
        return PS_ENOMEM;
    }
    rc = ps__afd_open(p->port, PS__KEY_AFD, &p->afd);
    if (rc != 0) {
        CloseHandle(p->port);
        free(p->buckets);
        free(p);
        return rc;
    }
    *out = p;
    return 0;
}

/* No longer registered: a read of the item no longer counts on a report
 * of this poller's (also when its handle's value goes to a new object). */
static void forget_reports(ps__preg *r)
{
    if (r->entry.cls == PS__SEL_PIPE || r->entry.cls == PS__SEL_CONIN)
        ps__reported_forget(r->entry.h);
}

static void forget_reports_of(ps_poller *p, ps__preg *r)
{
    (void)p;
    if (r->state != PS__PREG_DEAD && r->state != PS__PREG_DEAD_DUE)
        forget_reports(r);
}

static void stop_pipe(ps_poller *p, ps__preg *r)
{
    (void)p;
    if (r->pipe != NULL) {
        ps__pipe_stop(r->pipe);
        r->pipe = NULL;
    }
}

/* Nonzero while an AFD poll of r is pending (the driver writes into r). */
static int afd_polling(const ps__preg *r)
{
    return r->route == PS__ROUTE_AFD &&
           (r->state == PS__PREG_WATCHED || r->state == PS__PREG_OUTDATED ||
            r->state == PS__PREG_DEAD_DUE);
}

static void cancel_poll(ps_poller *p, ps__preg *r)
{
    if (afd_polling(r))
        ps__afd_cancel(p->afd, &r->iosb);
}

/* A record whose poll is still pending keeps its memory: the driver
 * writes into it. Set by destroy when a cancel never completed. */
static void free_unless_polled(ps_poller *p, ps__preg *r)
{
    if (p->afd_pending == 0 || !afd_polling(r))
        free(r);
}

void ps__poller_destroy(ps_poller *p)
{
    OVERLAPPED_ENTRY ent[BATCH];
    /* No other call is in progress: helpers are the only other users. */
    if (p->groups != NULL) {
        ps__con_end_all(p);
        ps__conin_release(); /* keys held for an incomplete line */
    }
    each_record(p, stop_pipe);
    each_record(p, cancel_poll);
    each_record(p, forget_reports_of);
    /* The driver writes into the records until each poll completes. */
    while (p->afd_pending > 0) {
        ULONG got = 0, k;
        if (!GetQueuedCompletionStatusEx(p->port, ent, BATCH, &got, 5000,
                                         FALSE))
            break; /* a cancel never completed: keep that memory */
        for (k = 0; k < got; k++) {
            ps__preg *r;
            if (ent[k].lpCompletionKey != PS__KEY_AFD)
                continue;
            r = ps__preg_of(ent[k].lpOverlapped);
            r->state = PS__PREG_IDLE; /* nothing due: freed below */
            p->afd_pending--;
        }
    }
    CloseHandle(p->afd);
    CloseHandle(p->port);
    each_record(p, free_unless_polled);
    free(p->buckets);
    free(p);
}

/* ---- add / modify / remove ---- */

static int do_add(ps_poller *p, const ps_pollitem *item, void *data)
{
    ps__preg *r, **pp;
    ps__sel_entry e;
    int kind, rc;
    uintptr_t v;
    item_key(item, &kind, &v);
    rc = classify(item, &e);
    if (rc != 0) {
        /* Already registered wins over a bad handle, as for a closed one. */
        lock(p);
        if (*slot(p, kind, v) != NULL)
            rc = PS_EEXIST;
        unlock(p);
        return rc;
    }
    if ((r = preg_new(item, &e, data)) == NULL)
        return PS_ENOMEM;
    lock(p);
    pp = slot(p, kind, v);
    if (*pp != NULL) {
        rc = PS_EEXIST;
    } else if ((rc = table_grow(p)) == 0) {
        pp = slot(p, kind, v);
        *pp = r;
        p->count++;
        rc = start_route(p, r);
        if (rc != 0)
            table_remove(p, r);
    }
    unlock(p);
    if (rc != 0)
        free(r);
    return rc;
}

/* Takes r out of the table and out of watching (lock held): DEAD_DUE
 * while a completion is due, else DEAD, freed now or, for a pipe, once its
 * helper is joined. A console group left empty is returned, to be ended
 * without the lock. */
static ps__con_group *retire(ps_poller *p, ps__preg *r)
{
    ps__con_group *g = NULL;
    int due = r->state == PS__PREG_POSTED || afd_polling(r);
    table_remove(p, r);
    if (due && r->route == PS__ROUTE_AFD)
        ps__afd_cancel(p->afd, &r->iosb);
    if (r->route == PS__ROUTE_CONIN) {
        g = ps__con_leave(p, r);
        /* Keys held for an incomplete line: no one waits for them now. */
        ps__conin_release();
    }
    move(p, r, due ? PS__PREG_DEAD_DUE : PS__PREG_DEAD);
    maybe_free(p, r);
    return g;
}

/* The rest of a retire, with the lock released: ends an emptied console
 * group and joins a pipe helper. r is a pipe's record (kept until its
 * helper is joined), else NULL: retire may have freed any other record,
 * and its pointer is not to be used. */
static void retire_finish(ps_poller *p, ps__preg *r, ps__con_group *g)
{
    if (g != NULL)
        ps__con_group_end(g);
    if (r != NULL) {
        /* Only this call clears r->pipe; no report comes after the stop. */
        ps__pipe_stop(r->pipe);
        lock(p);
        r->pipe = NULL;
        maybe_free(p, r);
        unlock(p);
    }
}

/* A pipe or console whose helper is no longer (or now) needed: a new
 * record takes the old one's place in one lock hold, so the item is
 * registered throughout, and stays as it was on failure. Called and
 * returns with the lock held; `*finish` / `*g` are for retire_finish. */
static int replace(ps_poller *p, ps__preg *r, const ps_pollitem *item,
                   const ps__sel_entry *e, void *data, ps__preg **finish,
                   ps__con_group **g)
{
    ps__preg *n = preg_new(item, e, data);
    int rc;
    if (n == NULL)
        return PS_ENOMEM;
    if ((rc = start_route(p, n)) != 0) {
        move(p, n, PS__PREG_DEAD); /* off any list */
        maybe_free(p, n);
        return rc;
    }
    *finish = r->route == PS__ROUTE_PIPE ? r : NULL;
    *g = retire(p, r);
    *slot(p, n->kind, n->value) = n;
    p->count++;
    return 0;
}

/* New events for a record that keeps its route (lock held). */
static int rearm(ps_poller *p, ps__preg *r, unsigned events, void *data)
{
    if (r->route == PS__ROUTE_AFD && r->state == PS__PREG_WATCHED) {
        /* Even for the same events: see PS__PREG_OUTDATED. */
        ps__preg_set(r, PS__PREG_OUTDATED);
        ps__afd_cancel(p->afd, &r->iosb); /* its completion re-submits */
    }
    r->events = events;
    r->data = data;
    switch (r->state) {
    case PS__PREG_IDLE:
        if (r->route != PS__ROUTE_PIPE)
            return watch(p, r);
        queue(p, r); /* the next wait checks it, as a new pipe */
        return 0;
    case PS__PREG_ALWAYS:
        nudge(p, 1);
        return 0;
    default:
        return 0; /* queued, watched or posted: the next look uses these */
    }
}

/* Modify, or remove (op). An item no longer open is forgotten all the
 * same, and PS_EBADF says so, so that a new item given its number can
 * register. */
static int do_change(ps_poller *p, int op, const ps_pollitem *item, void *data)
{
    ps__con_group *g = NULL;
    ps__preg *r, *finish = NULL;
    ps__sel_entry e;
    int kind, rc;
    uintptr_t v;
    item_key(item, &kind, &v);
    rc = classify(item, &e);
    lock(p);
    r = *slot(p, kind, v);
    if (r == NULL) {
        rc = PS_ENOENT;
    } else if (rc != 0 || op == PS__POLLER_REMOVE) {
        forget_reports(r);
        finish = r->route == PS__ROUTE_PIPE ? r : NULL;
        g = retire(p, r);
    } else if (e.cls != r->entry.cls ||
               route_of(&e, item->events) != r->route) {
        /* A new route, or a handle value that now names another kind of
         * object (the old one closed while registered): a new record. */
        rc = replace(p, r, item, &e, data, &finish, &g);
    } else {
        rc = rearm(p, r, item->events, data);
    }
    unlock(p);
    retire_finish(p, finish, g);
    return rc;
}

int ps__poller_ctl(ps_poller *p, int op, const ps_pollitem *item, void *data)
{
    if (op == PS__POLLER_ADD)
        return do_add(p, item, data);
    return do_change(p, op, item, data);
}

/* ---- waiting ---- */

typedef struct sink {
    ps_event *ev;
    int cap, n;
    ps__con_group *ended; /* groups to end once the lock is released */
    ps__preg *reap;       /* dropped pipes whose helpers are to be joined */
    size_t side_left;     /* always-checked items this wait has yet to check */
} sink;

static void emit(sink *s, ps__preg *r, unsigned rev)
{
    if ((rev & PS_POLL_READ) &&
        (r->entry.cls == PS__SEL_PIPE || r->entry.cls == PS__SEL_CONIN))
        ps__reported_mark(r->entry.h); /* its read must not wait now */
    s->ev[s->n].data = r->data;
    s->ev[s->n].revents = rev;
    s->n++;
}

/* Reports r as INVALID and drops it: the handle is gone, and a new one
 * that gets its number must be able to register (lock held). A pipe
 * helper is told to end, and joined by this wait once the lock is
 * released. */
static void drop(ps_poller *p, ps__preg *r, sink *s)
{
    ps__con_group *g;
    emit(s, r, PS_POLL_INVALID);
    forget_reports(r);
    if (r->route == PS__ROUTE_PIPE) {
        ps__pipe_signal_stop(r);
        r->reap_next = s->reap;
        s->reap = r;
    }
    g = retire(p, r);
    if (g != NULL) {
        g->next = s->ended;
        s->ended = g;
    }
}

/* What an IDLE record (just checked, or its completion just taken)
 * reports (lock held): one-shot items stay IDLE, others are queued for the
 * next wait; an INVALID item is reported once and dropped. With nothing
 * to report it is watched again. */
static void deliver(ps_poller *p, ps__preg *r, unsigned rev, sink *s)
{
    assert(r->state == PS__PREG_IDLE);
    if (rev & PS_POLL_INVALID) {
        drop(p, r, s);
        return;
    }
    if (rev == 0) {
        /* A pipe not asked for READ whose helper saw data: reading again
         * would return at once, forever. It waits for a modify. */
        if (r->route == PS__ROUTE_PIPE && !(r->events & PS_POLL_READ))
            return;
        /* Woken for nothing it reports (e.g. the data was taken first). */
        if (watch(p, r) != 0)
            drop(p, r, s);
        return;
    }
    emit(s, r, rev);
    if (!(r->events & PS_POLL_ONESHOT))
        move(p, r, PS__PREG_QUEUED);
}

static unsigned check_other(ps__preg *r)
{
    ps_pollitem it;
    unsigned rev;
    if (r->entry.cls == PS__SEL_CONIN)
        /* Busy with a read: that read takes what there is. */
        return ps__conin_try_check(r->entry.h, r->events, &rev) ? rev : 0;
    ZeroMemory(&it, sizeof it);
    it.events = r->events;
    return ps__sel_check_other(&it, &r->entry);
}

/* The start of a wait (lock held): what the last waits reported, and new
 * pipes, are checked (pipes and consoles: still ready is reported again,
 * and queued for the next wait) or watched again. */
static void rewatch(ps_poller *p, sink *s)
{
    ps__preg *r;
    size_t total;
    /* Records queued again by this loop go behind a marker: the tail now. */
    ps__preg *last = p->update.tail;
    while (s->n < s->cap && (r = p->update.head) != NULL) {
        int end = r == last;
        unsigned rev;
        move(p, r, PS__PREG_IDLE);
        if ((r->route == PS__ROUTE_PIPE || r->route == PS__ROUTE_CONIN) &&
            (rev = check_other(r)) != 0)
            deliver(p, r, rev, s);
        else if (watch(p, r) != 0)
            drop(p, r, s);
        if (end)
            break;
    }
    for (total = 0, r = p->always.head; r; r = r->next)
        total++;
    s->side_left = total;
}

/* Checks always-checked items until `limit` events are in the sink (lock
 * held). Rotated, so items not checked come first next time. */
static void check_side(ps_poller *p, sink *s, int limit)
{
    for (; s->side_left > 0 && s->n < limit && p->always.head; s->side_left--) {
        ps__preg *r = p->always.head;
        unsigned rev;
        plist_unlink(&p->always, r);
        plist_push(&p->always, r);
        if ((rev = check_other(r)) == 0)
            continue;
        if (rev & PS_POLL_INVALID) {
            drop(p, r, s);
            continue;
        }
        emit(s, r, rev);
        if (r->events & PS_POLL_ONESHOT)
            move(p, r, PS__PREG_IDLE);
    }
}

/* What a completed poll reports. A poll may have completed before the
 * socket was closed; a report for a closed socket is INVALID instead, so
 * it is not mistaken for data. */
static unsigned afd_revents(ps__preg *r)
{
    unsigned rev = ps__afd_revents(&r->info, &r->iosb, r->events);
    int type = 0, len = sizeof type;
    if (rev != 0 && !(rev & PS_POLL_INVALID) &&
        getsockopt(r->entry.s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) != 0)
        rev = PS_POLL_INVALID;
    return rev;
}

/* A record's completion (lock held): its poll or packet is over. */
static void complete(ps_poller *p, ps__preg *r, ULONG_PTR key, sink *s)
{
    if (key == PS__KEY_AFD)
        p->afd_pending--;
    if (r->state == PS__PREG_DEAD_DUE) {
        move(p, r, PS__PREG_DEAD);
        maybe_free(p, r);
        return;
    }
    int outdated = r->state == PS__PREG_OUTDATED;
    ps__preg_set(r, PS__PREG_IDLE);
    if (key != PS__KEY_AFD)
        /* The packet says "look": what the item is now is what counts. */
        deliver(p, r, check_other(r), s);
    else if (!outdated && !ps__afd_cancelled(&r->iosb))
        deliver(p, r, afd_revents(r), s);
    else if (afd_submit(p, r) != 0) /* out of date or cancelled: poll anew */
        drop(p, r, s);
}

static void consume(ps_poller *p, const OVERLAPPED_ENTRY *e, sink *s,
                    int *woken)
{
    switch (e->lpCompletionKey) {
    case PS__KEY_WAKE:
        InterlockedExchange(&p->wake_pending, 0);
        *woken = 1;
        return;
    case PS__KEY_RESCAN:
        /* Returning with nothing makes the caller's loop start again. */
        InterlockedExchange(&p->rescan_pending, 0);
        return;
    default:
        complete(p, ps__preg_of(e->lpOverlapped), e->lpCompletionKey, s);
        return;
    }
}

/* What waits do with the lock released: end emptied console groups, join
 * the helpers of dropped pipes. */
static void after_unlock(ps_poller *p, sink *s)
{
    while (s->ended != NULL) {
        ps__con_group *g = s->ended;
        s->ended = g->next;
        ps__con_group_end(g);
    }
    while (s->reap != NULL) {
        ps__preg *r = s->reap;
        s->reap = r->reap_next;
        retire_finish(p, r, NULL);
    }
}

/* Takes up to the sink's room in completions from the port, waiting up to
 * tmo (0: not at all). Lock not held. Returns how many, or 0 with *err
 * set (WAIT_TIMEOUT when none came). */
static ULONG port_take(ps_poller *p, const sink *s, OVERLAPPED_ENTRY *ent,
                       DWORD tmo, DWORD *err)
{
    ULONG got = 0;
    ULONG want = (ULONG)(s->cap - s->n < BATCH ? s->cap - s->n : BATCH);
    *err = 0;
    if (!GetQueuedCompletionStatusEx(p->port, ent, want, &got, tmo, FALSE)) {
        *err = GetLastError();
        got = 0;
    }
    return got;
}

/* Consumes what port_take took, then checks the always-checked items
 * (lock held, and still held on return). 0, or a PS_E* code when the
 * port failed and there is nothing to report. */
static int take_done(ps_poller *p, sink *s, const OVERLAPPED_ENTRY *ent,
                     ULONG got, DWORD err, int *woken)
{
    ULONG i;
    for (i = 0; i < got; i++)
        consume(p, &ent[i], s, woken);
    if (s->n < s->cap && !*woken)
        check_side(p, s, s->cap);
    nudge(p, 0);
    if (err != 0 && err != WAIT_TIMEOUT && s->n == 0) {
        ps__set_native_error((int)err);
        return err == ERROR_NOT_ENOUGH_MEMORY ? PS_ENOMEM : PS_EUNKNOWN;
    }
    return 0;
}

int ps__poller_wait_once(ps_poller *p, ps_event *events, int cap,
                         int timeout_ms, int *woken)
{
    DWORD tmo = timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms, err;
    OVERLAPPED_ENTRY ent[BATCH];
    int side_cap, rc = 0;
    ULONG got;
    sink s;
    s.ev = events;
    s.cap = cap;
    s.n = 0;
    s.ended = NULL;
    s.reap = NULL;
    s.side_left = 0; /* rewatch sets it; no field left unset */
    lock(p);
    rewatch(p, &s);
    /* The always-checked items leave the port at least one slot, so they
     * cannot starve it; with cap 1 the two take turns. */
    side_cap = cap - 1;
    if (cap == 1 && (p->turn++ & 1u))
        side_cap = 1;
    check_side(p, &s, side_cap);
    nudge(p, 0);
    if (s.n < cap && (s.n > 0 || s.side_left > 0 || tmo == 0)) {
        /* Something to report or still to check: only look. */
        unlock(p);
        got = port_take(p, &s, ent, 0, &err);
        lock(p);
        rc = take_done(p, &s, ent, got, err, woken);
    }
    if (rc == 0 && s.n == 0 && !*woken && tmo != 0) {
        /* Nothing ready: block, counted as blocked in this lock hold so
         * any change made from now on nudges this wait. */
        p->blocked++;
        unlock(p);
        after_unlock(p, &s);
        got = port_take(p, &s, ent, tmo, &err);
        lock(p);
        p->blocked--;
        rc = take_done(p, &s, ent, got, err, woken);
    }
    unlock(p);
    after_unlock(p, &s);
    return rc != 0 ? rc : s.n;
}

int ps__poller_wake(ps_poller *p)
{
    if (InterlockedExchange(&p->wake_pending, 1) != 0)
        return 0; /* a wake is already on its way */
    if (!PostQueuedCompletionStatus(p->port, 0, PS__KEY_WAKE, NULL)) {
        InterlockedExchange(&p->wake_pending, 0);
        ps__set_native_error((int)GetLastError());
        return PS_ENOMEM;
    }
    return 0;
}

ps__timers *ps__poller_timers(ps_poller *p)
{
    return &p->timers;
}
