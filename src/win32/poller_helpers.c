/* SPDX-License-Identifier: MIT */
/* ps_poller on Windows: the helper threads for what the port cannot watch.
 *
 * A pipe gets one watcher.c pipe watch for as long as it is registered.
 * Armed, it waits until the pipe is ready, posts a packet to the port, and
 * waits to be armed again by a wait (or by ps_poller_modify for a one-shot
 * item). The packet only says "look": the wait checks the pipe itself.
 *
 * Console input is watched in groups of up to PS__CON_GROUP handles per
 * helper, which waits on them (and on its control event) with
 * WaitForMultipleObjects; a handle that fired is left out of the wait
 * until it is re-armed.
 *
 * Helpers take the poller's lock only to post, moving the record from
 * WATCHED to POSTED; a record with a packet due is not freed before the
 * packet has been taken from the port. */
#include "console.h"
#include "poller.h"
#include "watcher.h"

#include <stdlib.h>

/* Posts r's packet (lock held): WATCHED (or IDLE) -> POSTED. */
static void post(ps_poller *p, ps__preg *r)
{
    ps__preg_set(r, PS__PREG_POSTED);
    if (!PostQueuedCompletionStatus(p->port, 0, PS__KEY_HELPER,
                                    ps__preg_overlapped(r))) {
        /* Out of memory in the kernel: the item stays unwatched until the
         * next change, which is all that can be done. */
        ps__preg_set(r, PS__PREG_IDLE);
    }
}

static int win_error(void)
{
    DWORD err = GetLastError();
    ps__set_native_error((int)err);
    return err == ERROR_TOO_MANY_OPEN_FILES ? PS_EMFILE : PS_ENOMEM;
}

/* ---- pipes ---- */

/* The watch's report, on its thread (lock order: the watch's, then the
 * poller's). */
static int pipe_report(void *ctx)
{
    ps__preg *r = (ps__preg *)ctx;
    AcquireSRWLockExclusive(&r->p->lock);
    /* Only a WATCHED record's packet is due (none once it is removed). */
    if (r->state == PS__PREG_WATCHED)
        post(r->p, r);
    ReleaseSRWLockExclusive(&r->p->lock);
    return 0;
}

int ps__pipe_start(ps_poller *p, ps__preg *r)
{
    r->p = p;
    return ps__pipe_watch_start(r->entry.h, 0, pipe_report, r, &r->pipe);
}

void ps__pipe_rearm(ps__preg *r)
{
    ps__preg_set(r, PS__PREG_WATCHED);
    ps__pipe_watch_arm(r->pipe);
}

void ps__pipe_signal_stop(ps__preg *r)
{
    if (r->pipe)
        ps__pipe_watch_signal(r->pipe);
}

void ps__pipe_stop(ps__pipe_watch *w)
{
    ps__pipe_watch_stop(w, ps__watch_deadline());
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
    if (is_member(g, r) && r->state == PS__PREG_WATCHED)
        post(g->p, r);
}

static DWORD WINAPI con_main(void *arg)
{
    ps__con_group *g = (ps__con_group *)arg;
    ps_poller *p = g->p;
    HANDLE h[PS__CON_GROUP];
    ps__preg *who[PS__CON_GROUP];
    for (;;) {
        DWORD n = 0;
        int i, k;
        AcquireSRWLockExclusive(&p->lock);
        if (g->stop) {
            ReleaseSRWLockExclusive(&p->lock);
            return 0;
        }
        for (i = 0; i < g->n; i++)
            if (g->members[i]->state == PS__PREG_WATCHED) {
                h[n] = g->members[i]->entry.h;
                who[n++] = g->members[i];
            }
        ReleaseSRWLockExclusive(&p->lock);
        k = ps__con_wait(g->ctl, h, n);
        if (k == -1)
            continue;
        if (k == -2) {
            WaitForSingleObject(g->ctl, INFINITE); /* until something changes */
            continue;
        }
        AcquireSRWLockExclusive(&p->lock);
        con_fired(g, who[k]);
        ReleaseSRWLockExclusive(&p->lock);
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
    ps__con_rearm(r);
    return 0;
}

void ps__con_rearm(ps__preg *r)
{
    /* Bytes of a line ps_item_read holds leave the handle unsignalled:
     * report them (the check says READ) instead of waiting. */
    if (ps__conin_buffered()) {
        post(r->group->p, r);
        return;
    }
    ps__preg_set(r, PS__PREG_WATCHED);
    SetEvent(r->group->ctl);
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
    /* It waits on nothing but its event and the consoles, and ends as soon
     * as it sees the event: joined without a limit, since it takes the
     * poller's lock and must be gone before the poller is freed (a helper
     * left behind after a slow start would use freed memory). */
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
