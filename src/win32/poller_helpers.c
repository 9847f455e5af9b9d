/* SPDX-License-Identifier: MIT */
/* ps_poller on Windows: the helper threads for what the port cannot watch.
 *
 * A pipe gets one helper for as long as it is registered. The helper does
 * a zero-byte read, which returns (consuming nothing) when data arrives or
 * the writer goes, posts a packet to the port, and then waits to be
 * re-armed by a wait (or by ps_poller_modify for a one-shot item).
 *
 * Console input is watched in groups of up to 63 handles per helper,
 * which waits on them (and on its control event) with
 * WaitForMultipleObjects; a handle that fired is left out of the wait
 * until it is re-armed.
 *
 * Helpers take the poller's lock only to count a packet as due before
 * posting it; a record with a packet due is not freed before the packet
 * has been taken from the port. */
#include "console.h"
#include "poller.h"

#include <stdlib.h>

struct ps__pipe_helper {
    ps_poller *p;
    ps__preg *r;
    HANDLE h;
    HANDLE thread;
    HANDLE stop;    /* manual reset: set once, to end the helper */
    HANDLE arm;     /* auto reset: read (again) */
    HANDLE done;    /* the read's OVERLAPPED event (overlapped pipes) */
    SRWLOCK mu;     /* guards the two flags below */
    int reading;    /* between deciding to read and ReadFile's return */
    int stopping;   /* no new read may start */
};

static void post(ps_poller *p, ps__preg *r, DWORD seen)
{
    r->inflight++;
    if (!PostQueuedCompletionStatus(p->port, seen, PS__KEY_HELPER,
                                    (OVERLAPPED *)(void *)r)) {
        /* Out of memory in the kernel: the item stays unwatched until the
         * next change, which is all that can be done. */
        r->inflight--;
        r->idle = 1;
    }
}

/* ---- pipes ---- */

static int stopped(ps__pipe_helper *ph)
{
    return WaitForSingleObject(ph->stop, 0) == WAIT_OBJECT_0;
}

/* The read is announced under the lock, so a stopper knows whether a
 * synchronous ReadFile may be (about to be) blocked and must be
 * cancelled. 0: stopping, do not read. */
static int begin_read(ps__pipe_helper *ph)
{
    int ok;
    AcquireSRWLockExclusive(&ph->mu);
    ok = !ph->stopping;
    ph->reading = ok;
    ReleaseSRWLockExclusive(&ph->mu);
    return ok;
}

static void end_read(ps__pipe_helper *ph)
{
    AcquireSRWLockExclusive(&ph->mu);
    ph->reading = 0;
    ReleaseSRWLockExclusive(&ph->mu);
}

/* What a finished zero-byte read says about the pipe (as check_pipe in
 * select_classify.c reads PeekNamedPipe's answer). */
static DWORD seen_of(BOOL ok, DWORD err)
{
    if (ok)
        return PS__SEEN_DATA;
    switch (err) {
    case ERROR_BROKEN_PIPE:
    case ERROR_PIPE_NOT_CONNECTED:
    case ERROR_NO_DATA:
        return PS__SEEN_HUP;
    case ERROR_INVALID_HANDLE:
        return PS__SEEN_GONE;
    default:
        return PS__SEEN_CHECK;
    }
}

/* One zero-byte read. Returns what it saw (PS__SEEN_*, plus 1), or 0 when
 * the helper is to end. Works on pipes opened for overlapped I/O too:
 * there the read pends and the wait for it also watches the stop event. */
static DWORD pipe_read(ps__pipe_helper *ph)
{
    OVERLAPPED ov;
    DWORD got = 0, err;
    BOOL ok;
    char b;
    if (!begin_read(ph))
        return 0;
    ZeroMemory(&ov, sizeof ov);
    /* The low bit keeps the completion off any I/O completion port the
     * caller associated with the handle. */
    ov.hEvent = (HANDLE)((uintptr_t)ph->done | 1);
    ok = ReadFile(ph->h, &b, 0, &got, &ov);
    err = ok ? 0 : GetLastError();
    end_read(ph);
    if (!ok && err == ERROR_IO_PENDING) {
        HANDLE w[2];
        w[0] = ph->stop;
        w[1] = ph->done;
        if (WaitForMultipleObjects(2, w, FALSE, INFINITE) != WAIT_OBJECT_0 + 1) {
            CancelIoEx(ph->h, &ov);
            /* ov must outlive the read. */
            WaitForSingleObject(ph->done, INFINITE);
            return 0;
        }
        ok = GetOverlappedResult(ph->h, &ov, &got, FALSE);
        err = ok ? 0 : GetLastError();
    }
    return stopped(ph) ? 0 : seen_of(ok, err) + 1;
}

static DWORD WINAPI pipe_main(void *arg)
{
    ps__pipe_helper *ph = (ps__pipe_helper *)arg;
    HANDLE w[2];
    w[0] = ph->stop;
    w[1] = ph->arm;
    while (WaitForMultipleObjects(2, w, FALSE, INFINITE) == WAIT_OBJECT_0 + 1) {
        DWORD seen = pipe_read(ph);
        if (seen == 0)
            break;
        seen--;
        AcquireSRWLockExclusive(&ph->p->lock);
        /* Data seen while no wait is blocked may be read by the program
         * before a wait takes this packet, and a report of it would make a
         * blocking read hang: that wait checks the pipe again. A blocked
         * wait takes it at once; the end of the pipe cannot be undone. */
        if (seen == PS__SEEN_DATA && ph->p->blocked == 0)
            seen = PS__SEEN_CHECK;
        post(ph->p, ph->r, seen);
        ReleaseSRWLockExclusive(&ph->p->lock);
    }
    return 0;
}

static void pipe_free(ps__pipe_helper *ph)
{
    if (ph->stop)
        CloseHandle(ph->stop);
    if (ph->arm)
        CloseHandle(ph->arm);
    if (ph->done)
        CloseHandle(ph->done);
    free(ph);
}

static int win_error(void)
{
    DWORD err = GetLastError();
    ps__set_native_error((int)err);
    return err == ERROR_TOO_MANY_OPEN_FILES ? PS_EMFILE : PS_ENOMEM;
}

int ps__pipe_start(ps_poller *p, ps__preg *r)
{
    ps__pipe_helper *ph = (ps__pipe_helper *)calloc(1, sizeof *ph);
    if (ph == NULL)
        return PS_ENOMEM;
    ph->p = p;
    ph->r = r;
    ph->h = r->entry.h;
    InitializeSRWLock(&ph->mu);
    ph->stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    ph->arm = CreateEventW(NULL, FALSE, TRUE, NULL); /* reads at once */
    ph->done = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (!ph->stop || !ph->arm || !ph->done) {
        int rc = win_error();
        pipe_free(ph);
        return rc;
    }
    /* Little stack is needed; reserve, do not commit, 64 KiB. */
    ph->thread = CreateThread(NULL, 64 * 1024, pipe_main, ph,
                              STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
    if (ph->thread == NULL) {
        int rc = win_error();
        pipe_free(ph);
        return rc;
    }
    r->pipe = ph;
    r->idle = 0;
    return 0;
}

void ps__pipe_rearm(ps__preg *r)
{
    if (r->idle && r->pipe) {
        r->idle = 0;
        SetEvent(r->pipe->arm);
    }
}

void ps__pipe_signal_stop(ps__preg *r)
{
    if (r->pipe)
        SetEvent(r->pipe->stop);
}

void ps__pipe_stop(ps__preg *r)
{
    ps__pipe_helper *ph = r->pipe;
    if (ph == NULL)
        return;
    AcquireSRWLockExclusive(&ph->mu);
    ph->stopping = 1;
    ReleaseSRWLockExclusive(&ph->mu);
    SetEvent(ph->stop);
    /* A synchronous read blocks until cancelled. CancelSynchronousIo only
     * reaches a read the kernel has started: while the helper is between
     * announcing its read and starting it (a few instructions), the cancel
     * finds nothing, so yield to it and cancel again. No read can start
     * once `stopping` is seen, so this ends. Overlapped reads also wait on
     * the stop event and need no cancel. */
    for (;;) {
        int reading;
        AcquireSRWLockExclusive(&ph->mu);
        reading = ph->reading;
        ReleaseSRWLockExclusive(&ph->mu);
        if (!reading || CancelSynchronousIo(ph->thread) ||
            GetLastError() != ERROR_NOT_FOUND)
            break;
        SwitchToThread();
    }
    WaitForSingleObject(ph->thread, INFINITE);
    CloseHandle(ph->thread);
    pipe_free(ph);
    r->pipe = NULL;
}

/* ---- console input ---- */

static int is_member(const ps__con_group *g, const ps__preg *r)
{
    int i;
    for (i = 0; i < g->n; i++)
        if (g->members[i] == r)
            return 1;
    return 0;
}

/* A handle of the group fired (lock held). */
static void con_fired(ps__con_group *g, ps__preg *r)
{
    if (is_member(g, r) && !r->idle) {
        r->idle = 1;
        post(g->p, r, PS__SEEN_CHECK);
    }
}

static DWORD WINAPI con_main(void *arg)
{
    ps__con_group *g = (ps__con_group *)arg;
    ps_poller *p = g->p;
    HANDLE w[MAXIMUM_WAIT_OBJECTS];
    ps__preg *who[MAXIMUM_WAIT_OBJECTS];
    for (;;) {
        DWORD n = 1, rc;
        int i, found = 0;
        AcquireSRWLockExclusive(&p->lock);
        if (g->stop) {
            ReleaseSRWLockExclusive(&p->lock);
            return 0;
        }
        w[0] = g->ctl;
        for (i = 0; i < g->n; i++)
            if (!g->members[i]->idle) {
                w[n] = g->members[i]->entry.h;
                who[n++] = g->members[i];
            }
        ReleaseSRWLockExclusive(&p->lock);
        rc = WaitForMultipleObjects(n, w, FALSE, INFINITE);
        if (rc == WAIT_OBJECT_0)
            continue;
        AcquireSRWLockExclusive(&p->lock);
        if (rc > WAIT_OBJECT_0 && rc < WAIT_OBJECT_0 + n) {
            con_fired(g, who[rc - WAIT_OBJECT_0]);
            found = 1;
        } else {
            /* A handle closed under the wait: its check reports INVALID. */
            for (DWORD k = 1; k < n; k++)
                if (WaitForSingleObject(w[k], 0) == WAIT_FAILED) {
                    con_fired(g, who[k]);
                    found = 1;
                }
        }
        ReleaseSRWLockExclusive(&p->lock);
        if (!found)
            WaitForSingleObject(g->ctl, INFINITE); /* until something changes */
    }
}

int ps__con_join(ps_poller *p, ps__preg *r)
{
    ps__con_group *g;
    for (g = p->groups; g; g = g->next)
        if (g->n < PS__CON_GROUP)
            break;
    if (g == NULL) {
        g = (ps__con_group *)calloc(1, sizeof *g);
        if (g == NULL)
            return PS_ENOMEM;
        g->p = p;
        g->ctl = CreateEventW(NULL, FALSE, FALSE, NULL);
        if (g->ctl == NULL) {
            int rc = win_error();
            free(g);
            return rc;
        }
        g->thread = CreateThread(NULL, 64 * 1024, con_main, g,
                                 STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
        if (g->thread == NULL) {
            int rc = win_error();
            CloseHandle(g->ctl);
            free(g);
            return rc;
        }
        g->next = p->groups;
        p->groups = g;
    }
    g->members[g->n++] = r;
    r->group = g;
    r->idle = 1;
    ps__con_rearm(r);
    return 0;
}

void ps__con_rearm(ps__preg *r)
{
    if (r->idle && r->group) {
        /* Bytes of a line ps_item_read holds leave the handle unsignalled:
         * report them (the check says READ) instead of waiting. */
        if (ps__conin_buffered()) {
            post(r->group->p, r, PS__SEEN_CHECK);
            return;
        }
        r->idle = 0;
        SetEvent(r->group->ctl);
    }
}

ps__con_group *ps__con_leave(ps_poller *p, ps__preg *r)
{
    ps__con_group *g = r->group, **pp;
    int i;
    if (g == NULL)
        return NULL;
    for (i = 0; i < g->n; i++)
        if (g->members[i] == r) {
            g->members[i] = g->members[--g->n];
            break;
        }
    r->group = NULL;
    SetEvent(g->ctl);
    if (g->n > 0)
        return NULL;
    for (pp = &p->groups; *pp != g; pp = &(*pp)->next)
        ;
    *pp = g->next;
    g->stop = 1;
    return g;
}

void ps__con_group_end(ps__con_group *g)
{
    SetEvent(g->ctl);
    WaitForSingleObject(g->thread, INFINITE);
    CloseHandle(g->thread);
    CloseHandle(g->ctl);
    free(g);
}

void ps__con_end_all(ps_poller *p)
{
    ps__con_group *g, *next;
    AcquireSRWLockExclusive(&p->lock);
    g = p->groups;
    p->groups = NULL;
    for (next = g; next; next = next->next)
        next->stop = 1;
    ReleaseSRWLockExclusive(&p->lock);
    for (; g; g = next) {
        next = g->next;
        ps__con_group_end(g);
    }
}
