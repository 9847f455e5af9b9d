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
 * A reported pipe is checked there first (PeekNamedPipe) and reported
 * again while it is ready, so its helper's timing cannot make a wait miss
 * it; a new pipe is checked the same way by the first wait. A helper's
 * packet only says "look": what a wait reports is what it checked.
 * While other threads are blocked on the port, such an item (and any
 * change to the always-checked items) posts a RESCAN packet, so one of
 * them starts its wait again and sees it.
 * A record with a poll or a posted packet still due is freed only when
 * that completion has been taken from the port. */
#include "console.h"
#include "poller.h"

#include <stdlib.h>

#define BATCH 128

static void lock(ps_poller *p) { AcquireSRWLockExclusive(&p->lock); }
static void unlock(ps_poller *p) { ReleaseSRWLockExclusive(&p->lock); }

void ps__plist_push(ps__plist *l, ps__preg *r, int which)
{
    r->prev = l->tail;
    r->next = NULL;
    if (l->tail)
        l->tail->next = r;
    else
        l->head = r;
    l->tail = r;
    r->list = which;
}

void ps__plist_unlink(ps__plist *l, ps__preg *r)
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
    r->list = PS__LIST_NONE;
}

static ps__plist *list_of(ps_poller *p, int which)
{
    switch (which) {
    case PS__LIST_UPDATE:
        return &p->update;
    case PS__LIST_ALWAYS:
        return &p->always;
    default:
        return &p->dead;
    }
}

static void unlist(ps_poller *p, ps__preg *r)
{
    if (r->list != PS__LIST_NONE)
        ps__plist_unlink(list_of(p, r->list), r);
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

/* Frees r if nothing refers to it any more (lock held). */
static void maybe_free(ps_poller *p, ps__preg *r)
{
    if (!r->dead || r->afd_pending || r->inflight > 0 ||
        (r->route == PS__ROUTE_PIPE && !r->helper_gone))
        return;
    unlist(p, r);
    free(r);
}

/* Submits an AFD poll for r (lock held). */
static int afd_submit(ps_poller *p, ps__preg *r)
{
    int rc;
    if (r->afd_pending)
        return 0;
    rc = ps__afd_poll(p->afd, r->base, r->events, &r->info, &r->iosb);
    if (rc == 0) {
        r->afd_pending = 1;
        p->afd_pending++;
    }
    return rc;
}

/* Starts watching r again after a report or a change (lock held). */
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
        return 0;
    }
}

static void post_rescan(ps_poller *p)
{
    if (InterlockedExchange(&p->rescan_pending, 1) != 0)
        return; /* one is on its way */
    if (!PostQueuedCompletionStatus(p->port, 0, PS__KEY_RESCAN, NULL))
        InterlockedExchange(&p->rescan_pending, 0);
}

/* Lets a blocked wait see what it cannot be woken for by the port: the
 * always-checked items changed, or reported items wait to be watched
 * again (lock held). */
static void nudge(ps_poller *p, int side_changed)
{
    if (p->blocked > 0 && (side_changed || p->update.head != NULL))
        post_rescan(p);
}

/* Starts watching a new record (lock held). */
static int start_route(ps_poller *p, ps__preg *r)
{
    switch (r->route) {
    case PS__ROUTE_AFD:
        return afd_submit(p, r);
    case PS__ROUTE_PIPE: {
        int rc = ps__pipe_start(p, r);
        if (rc == 0) {
            ps__plist_push(&p->update, r, PS__LIST_UPDATE);
            nudge(p, 0);
        }
        return rc;
    }
    case PS__ROUTE_CONIN:
        return ps__con_join(p, r);
    default:
        ps__plist_push(&p->always, r, PS__LIST_ALWAYS);
        nudge(p, 1);
        return 0;
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

static void stop_pipes(ps__preg *r)
{
    if (r->route == PS__ROUTE_PIPE && !r->helper_gone) {
        ps__pipe_stop(r);
        r->helper_gone = 1;
    }
}

void ps__poller_destroy(ps_poller *p)
{
    OVERLAPPED_ENTRY ent[BATCH];
    ps__preg *r, *next;
    size_t i;
    int leak = 0;
    /* No other call is in progress: helpers are the only other users. */
    if (p->groups != NULL) {
        ps__con_end_all(p);
        ps__conin_release(); /* keys held for an incomplete line */
    }
    for (i = 0; i < p->nbuckets; i++)
        for (r = p->buckets[i]; r; r = r->hnext)
            stop_pipes(r);
    for (r = p->dead.head; r; r = r->next)
        stop_pipes(r);
    for (i = 0; i < p->nbuckets; i++)
        for (r = p->buckets[i]; r; r = r->hnext)
            if (r->afd_pending)
                ps__afd_cancel(p->afd, &r->iosb);
    for (r = p->dead.head; r; r = r->next)
        if (r->afd_pending)
            ps__afd_cancel(p->afd, &r->iosb);
    /* The driver writes into the records until each poll completes. */
    while (p->afd_pending > 0) {
        ULONG got = 0, k;
        if (!GetQueuedCompletionStatusEx(p->port, ent, BATCH, &got, 5000,
                                         FALSE)) {
            leak = 1; /* a cancel never completed: keep the memory */
            break;
        }
        for (k = 0; k < got; k++) {
            if (ent[k].lpCompletionKey != PS__KEY_AFD)
                continue;
            r = ps__preg_of(ent[k].lpOverlapped);
            r->afd_pending = 0;
            p->afd_pending--;
        }
    }
    CloseHandle(p->afd);
    CloseHandle(p->port);
    for (i = 0; i < p->nbuckets; i++)
        for (r = p->buckets[i]; r; r = next) {
            next = r->hnext;
            if (!leak || !r->afd_pending)
                free(r);
        }
    for (r = p->dead.head; r; r = next) {
        next = r->next;
        if (!leak || !r->afd_pending)
            free(r);
    }
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
    r = (ps__preg *)calloc(1, sizeof *r);
    if (r == NULL)
        return PS_ENOMEM;
    r->kind = kind;
    r->value = v;
    r->entry = e;
    r->events = item->events;
    r->data = data;
    r->armed = 1;
    r->route = route_of(&e, item->events);
    if (r->route == PS__ROUTE_AFD)
        r->base = ps__afd_base(e.s);
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

/* Takes r out of the table and out of watching (lock held). It is freed
 * now, or when its last completion is taken from the port; a console
 * group left empty is returned to be ended without the lock. */
static ps__con_group *retire(ps_poller *p, ps__preg *r)
{
    ps__con_group *g = NULL;
    table_remove(p, r);
    unlist(p, r);
    r->dead = 1;
    if (r->afd_pending)
        ps__afd_cancel(p->afd, &r->iosb);
    if (r->route == PS__ROUTE_CONIN) {
        g = ps__con_leave(p, r);
        /* Keys held for an incomplete line: no one waits for them now. */
        ps__conin_release();
    }
    if (r->afd_pending || r->inflight > 0 || r->route == PS__ROUTE_PIPE)
        ps__plist_push(&p->dead, r, PS__LIST_DEAD);
    else
        maybe_free(p, r);
    return g;
}

/* The rest of a retire, with the lock released: ends an emptied console
 * group and joins a pipe helper (which takes the lock to post). r is a
 * pipe's record (kept until helper_gone is set), else NULL: retire may
 * have freed any other record, and its pointer is not to be used. */
static void retire_finish(ps_poller *p, ps__preg *r, ps__con_group *g)
{
    if (g != NULL)
        ps__con_group_end(g);
    if (r != NULL) {
        ps__pipe_stop(r);
        lock(p);
        r->helper_gone = 1;
        maybe_free(p, r);
        unlock(p);
    }
}

/* An item no longer open is forgotten all the same, and PS_EBADF says so,
 * so that a new item given its number can register. */
static int do_remove(ps_poller *p, const ps_pollitem *item)
{
    ps__con_group *g;
    ps__sel_entry e;
    ps__preg *r;
    int kind, pipe, rc;
    uintptr_t v;
    item_key(item, &kind, &v);
    rc = classify(item, &e);
    lock(p);
    r = *slot(p, kind, v);
    if (r == NULL) {
        unlock(p);
        return PS_ENOENT;
    }
    pipe = r->route == PS__ROUTE_PIPE;
    g = retire(p, r);
    unlock(p);
    retire_finish(p, pipe ? r : NULL, g);
    return rc;
}

static int do_modify(ps_poller *p, const ps_pollitem *item, void *data)
{
    ps__sel_entry e;
    ps__preg *r;
    int kind, rc;
    uintptr_t v;
    item_key(item, &kind, &v);
    rc = classify(item, &e);
    lock(p);
    r = *slot(p, kind, v);
    if (r == NULL) {
        unlock(p);
        return PS_ENOENT;
    }
    if (rc != 0) {
        int pipe = r->route == PS__ROUTE_PIPE;
        ps__con_group *g = retire(p, r);
        unlock(p);
        retire_finish(p, pipe ? r : NULL, g);
        return rc;
    }
    if (route_of(&r->entry, item->events) != r->route) {
        /* A pipe or console whose helper is no longer (or now) needed:
         * a new record takes the old one's place in one lock hold, so the
         * item is registered throughout, and stays as it was on failure. */
        ps__preg *n = (ps__preg *)calloc(1, sizeof *n);
        ps__con_group *g;
        int pipe;
        if (n == NULL) {
            unlock(p);
            return PS_ENOMEM;
        }
        n->kind = kind;
        n->value = v;
        n->entry = e;
        n->events = item->events;
        n->data = data;
        n->armed = 1;
        n->route = route_of(&e, item->events);
        if ((rc = start_route(p, n)) != 0) {
            unlist(p, n);
            unlock(p);
            free(n);
            return rc;
        }
        pipe = r->route == PS__ROUTE_PIPE;
        g = retire(p, r);
        *slot(p, kind, v) = n;
        p->count++;
        unlock(p);
        retire_finish(p, pipe ? r : NULL, g);
        return 0;
    }
    if (r->route == PS__ROUTE_AFD && r->afd_pending &&
        ps__afd_mask(item->events) != ps__afd_mask(r->events))
        ps__afd_cancel(p->afd, &r->iosb); /* its completion re-submits */
    r->events = item->events;
    r->data = data;
    r->armed = 1;
    if (r->route == PS__ROUTE_PIPE && r->idle && r->list == PS__LIST_NONE) {
        /* The next wait checks it, as a new pipe. */
        ps__plist_push(&p->update, r, PS__LIST_UPDATE);
        nudge(p, 0);
    } else if (r->list != PS__LIST_UPDATE) {
        rc = watch(p, r);
    }
    if (r->route == PS__ROUTE_ALWAYS)
        nudge(p, 1);
    unlock(p);
    return rc;
}

int ps__poller_ctl(ps_poller *p, int op, const ps_pollitem *item, void *data)
{
    switch (op) {
    case PS__POLLER_ADD:
        return do_add(p, item, data);
    case PS__POLLER_MODIFY:
        return do_modify(p, item, data);
    default:
        return do_remove(p, item);
    }
}

/* ---- waiting ---- */

typedef struct sink {
    ps_event *ev;
    int cap, n;
    ps__con_group *ended;   /* groups to end once the lock is released */
    ps__preg *reap;         /* dropped pipes whose helpers are to be joined */
    size_t side_left;       /* always-checked items this wait has yet to check */
} sink;

/* Reports r as INVALID and drops it: the handle is gone, and a new one
 * that gets its number must be able to register (lock held). A pipe
 * helper is told to end, and joined by this wait once the lock is
 * released. */
static void drop(ps_poller *p, ps__preg *r, sink *s)
{
    ps__con_group *g;
    s->ev[s->n].data = r->data;
    s->ev[s->n].revents = PS_POLL_INVALID;
    s->n++;
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

/* Reports r (lock held): one-shot items are disarmed, others watched
 * again at the start of the next wait. An INVALID item is reported once
 * and dropped. */
static void deliver(ps_poller *p, ps__preg *r, unsigned rev, sink *s)
{
    if (!r->armed)
        return;
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
        if (r->list != PS__LIST_UPDATE && watch(p, r) != 0)
            deliver(p, r, PS_POLL_INVALID, s);
        return;
    }
    s->ev[s->n].data = r->data;
    s->ev[s->n].revents = rev;
    s->n++;
    if (r->events & PS_POLL_ONESHOT) {
        r->armed = 0;
        if (r->list == PS__LIST_UPDATE)
            ps__plist_unlink(&p->update, r);
    } else if (r->list == PS__LIST_NONE) {
        ps__plist_push(&p->update, r, PS__LIST_UPDATE);
    }
}

static unsigned check_other(ps__preg *r)
{
    ps_pollitem it;
    ZeroMemory(&it, sizeof it);
    it.events = r->events;
    return ps__sel_check_other(&it, &r->entry);
}

/* Puts what is left of `from` in front of `to`. */
static void plist_prepend(ps__plist *to, ps__plist *from)
{
    if (from->head == NULL)
        return;
    if (to->head != NULL) {
        from->tail->next = to->head;
        to->head->prev = from->tail;
        from->tail = to->tail;
    }
    *to = *from;
}

/* Watches r again, or, for a pipe still ready, reports it again (lock
 * held). */
static void rewatch_one(ps_poller *p, ps__preg *r, sink *s)
{
    unsigned rev;
    if (r->route == PS__ROUTE_PIPE && (rev = check_other(r)) != 0) {
        deliver(p, r, rev, s);
        return;
    }
    if (watch(p, r) != 0)
        deliver(p, r, PS_POLL_INVALID, s);
}

/* The start of a wait (lock held): re-watch what the last waits reported.
 * An item reported again here goes back on the list for the next wait. */
static void rewatch(ps_poller *p, sink *s)
{
    ps__plist todo = p->update;
    ps__preg *r;
    size_t total;
    p->update.head = p->update.tail = NULL;
    while (s->n < s->cap && (r = todo.head) != NULL) {
        ps__plist_unlink(&todo, r);
        if (r->armed)
            rewatch_one(p, r, s);
    }
    plist_prepend(&p->update, &todo);
    for (total = 0, r = p->always.head; r; r = r->next)
        total++;
    s->side_left = total;
}

/* Checks always-checked items until `limit` events are in the sink (lock
 * held). Rotated, so items not checked come first next time. */
static void check_side(ps_poller *p, sink *s, int limit)
{
    ps__preg *r;
    for (; s->side_left > 0 && s->n < limit && p->always.head;
         s->side_left--) {
        unsigned rev;
        r = p->always.head;
        ps__plist_unlink(&p->always, r);
        ps__plist_push(&p->always, r, PS__LIST_ALWAYS);
        if (!r->armed || (rev = check_other(r)) == 0)
            continue;
        if (rev & PS_POLL_INVALID) {
            drop(p, r, s);
            continue;
        }
        s->ev[s->n].data = r->data;
        s->ev[s->n].revents = rev;
        s->n++;
        if (r->events & PS_POLL_ONESHOT)
            r->armed = 0;
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

static void consume(ps_poller *p, const OVERLAPPED_ENTRY *e, sink *s,
                    int *woken)
{
    ps__preg *r = ps__preg_of(e->lpOverlapped);
    if (e->lpCompletionKey == PS__KEY_WAKE) {
        InterlockedExchange(&p->wake_pending, 0);
        *woken = 1;
        return;
    }
    if (e->lpCompletionKey == PS__KEY_RESCAN) {
        /* Returning with nothing makes the caller's loop start again. */
        InterlockedExchange(&p->rescan_pending, 0);
        return;
    }
    if (e->lpCompletionKey == PS__KEY_AFD) {
        r->afd_pending = 0;
        p->afd_pending--;
        if (r->dead) {
            maybe_free(p, r);
            return;
        }
        if (ps__afd_cancelled(&r->iosb)) {
            /* Cancelled by a modify: watch with the new events. */
            if (r->armed && r->list != PS__LIST_UPDATE && afd_submit(p, r) != 0)
                deliver(p, r, PS_POLL_INVALID, s);
            return;
        }
        deliver(p, r, afd_revents(r), s);
        return;
    }
    r->inflight--;
    r->idle = 1;
    if (r->dead) {
        maybe_free(p, r);
        return;
    }
    /* The packet says "look": what the item is now is what counts. */
    deliver(p, r, check_other(r), s);
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

/* Takes completions from the port, waiting up to tmo (0: not at all).
 * A blocking take was counted in p->blocked by the caller, in the same lock
 * hold in which it found nothing else to report. */
static int take(ps_poller *p, sink *s, DWORD tmo, int *woken)
{
    OVERLAPPED_ENTRY ent[BATCH];
    ULONG got = 0, i;
    ULONG want = (ULONG)(s->cap - s->n < BATCH ? s->cap - s->n : BATCH);
    BOOL ok = GetQueuedCompletionStatusEx(p->port, ent, want, &got, tmo, FALSE);
    DWORD err = ok ? 0 : GetLastError();
    lock(p);
    if (tmo != 0)
        p->blocked--;
    for (i = 0; ok && i < got; i++)
        consume(p, &ent[i], s, woken);
    if (s->n < s->cap && !*woken)
        check_side(p, s, s->cap);
    nudge(p, 0);
    if (!ok && err != WAIT_TIMEOUT && s->n == 0) {
        unlock(p);
        after_unlock(p, s);
        ps__set_native_error((int)err);
        return err == ERROR_NOT_ENOUGH_MEMORY ? PS_ENOMEM : PS_EUNKNOWN;
    }
    return 0; /* with the lock held */
}

int ps__poller_wait_once(ps_poller *p, ps_event *events, int cap,
                         int timeout_ms, int *woken)
{
    DWORD tmo = timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms;
    int side_cap, rc;
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
    if (s.n >= cap) {
        unlock(p);
        after_unlock(p, &s);
        return s.n;
    }
    if (s.n > 0 || s.side_left > 0 || tmo == 0) {
        /* Something to report or still to check: only look. */
        unlock(p);
        if ((rc = take(p, &s, 0, woken)) != 0)
            return rc;
        if (s.n > 0 || *woken || tmo == 0) {
            unlock(p);
            after_unlock(p, &s);
            return s.n;
        }
    }
    /* Nothing ready: block, counted as blocked in this lock hold so any
     * change made from now on nudges this wait. */
    p->blocked++;
    unlock(p);
    after_unlock(p, &s);
    if ((rc = take(p, &s, tmo, woken)) != 0)
        return rc;
    unlock(p);
    after_unlock(p, &s);
    return s.n;
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
