/* SPDX-License-Identifier: MIT */
/* Private to the Windows ps_poller (poller*.c, afd.c). */
#ifndef PS_WIN32_POLLER_H
#define PS_WIN32_POLLER_H

#include "select.h"
#include "watcher.h"

#include <stddef.h>

#include <winternl.h>

/* ---- afd.c: socket polls through the AFD driver ---- */

/* The driver's poll request (one socket per request here). */
typedef struct ps__afd_handle_info {
    HANDLE handle;
    ULONG events;
    NTSTATUS status;
} ps__afd_handle_info;
typedef struct ps__afd_poll_info {
    LARGE_INTEGER timeout;
    ULONG count;
    ULONG exclusive;
    ps__afd_handle_info handles[1];
} ps__afd_poll_info;

/* Opens an AFD handle and associates it with port under key. */
int ps__afd_open(HANDLE port, ULONG_PTR key, HANDLE *out);
/* Submits a poll of `base` for the AFD_POLL_* bits that `events`
 * (PS_POLL_READ | WRITE) need; its completion reaches the port with
 * lpOverlapped == (OVERLAPPED *)iosb. 0 or a PS_E* code (PS_EBADF for a
 * handle that is no socket); no completion comes after a failure. */
int ps__afd_poll(HANDLE afd, SOCKET base, unsigned events,
                 ps__afd_poll_info *info, IO_STATUS_BLOCK *iosb);
/* Asks for the pending poll of iosb to end early (it still completes). */
void ps__afd_cancel(HANDLE afd, IO_STATUS_BLOCK *iosb);
/* The AFD_POLL_* mask a poll for `events` asks for. */
ULONG ps__afd_mask(unsigned events);
/* revents for a completed poll (PS_POLL_INVALID: the socket was closed). */
unsigned ps__afd_revents(const ps__afd_poll_info *info,
                         const IO_STATUS_BLOCK *iosb, unsigned events);
/* The base (provider) socket under s, or s itself if it has none. */
SOCKET ps__afd_base(SOCKET s);
/* Nonzero when the completed poll was cancelled. */
int ps__afd_cancelled(const IO_STATUS_BLOCK *iosb);

/* ---- poller.c: the registration records ---- */

/* How a registration is watched. */
enum {
    PS__ROUTE_AFD,   /* a socket: AFD polls */
    PS__ROUTE_PIPE,  /* a pipe asked for READ (or nothing): its helper */
    PS__ROUTE_CONIN, /* console input asked for READ: a console group */
    PS__ROUTE_ALWAYS /* checked by every wait without blocking */
};

/* Completion keys on the port. */
/* RESCAN: some wait should start again, because an always-checked item
 * was added or re-armed, or a reported item waits to be watched again while
 * threads are blocked. */
enum {
    PS__KEY_AFD = 1,
    PS__KEY_HELPER = 2,
    PS__KEY_WAKE = 3,
    PS__KEY_RESCAN = 4
};

typedef struct ps__con_group ps__con_group;

/* Where a record is. All changes go through ps__preg_set, under the
 * poller's lock, which asserts (debug builds) that the change is one of
 * these:
 *
 *   new -> IDLE -> (start) WATCHED | QUEUED (a pipe) | POSTED | ALWAYS
 *   QUEUED  -> IDLE         a wait takes it off the queue to check it
 *   WATCHED -> POSTED       a helper saw the item and posted a packet
 *   WATCHED -> IDLE         an AFD poll's completion is taken
 *   WATCHED -> OUTDATED     a modify while an AFD poll is pending
 *   OUTDATED -> IDLE        that poll's completion is taken (re-polled)
 *   POSTED  -> IDLE         the packet is taken, or could not be posted
 *   IDLE    -> QUEUED       reported (level-triggered), or a pipe to check
 *   IDLE    -> WATCHED | POSTED | ALWAYS   watched again (wait, modify)
 *   ALWAYS  -> IDLE         a one-shot always-checked item was reported
 *   WATCHED | OUTDATED | POSTED -> DEAD_DUE   removed, a completion due
 *   IDLE | QUEUED | WATCHED | ALWAYS -> DEAD   removed, nothing due
 *   DEAD_DUE -> DEAD        its last completion is taken
 *
 * IDLE is also where a record rests while nothing watches it: a one-shot
 * item reported, or a pipe with data it did not ask for (until modify). A
 * DEAD record is freed once its pipe helper is joined (r->pipe NULL).
 * ps_poller_close drains the port without these checks. */
typedef enum ps__preg_state {
    PS__PREG_IDLE,    /* watched by nothing; on no list */
    PS__PREG_QUEUED,  /* on p->update: the next wait checks or watches it */
    PS__PREG_WATCHED, /* an AFD poll pending, or a helper watching it */
    /* An AFD poll pending that a modify made out of date: the handle value
     * may name a socket closed since and a new one of the caller's now, so
     * its completion (LOCAL_CLOSE for the old one) is not this item's: it
     * is polled anew instead. */
    PS__PREG_OUTDATED,
    PS__PREG_POSTED,   /* a helper's packet for it is in the port */
    PS__PREG_ALWAYS,   /* on p->always: every wait checks it */
    PS__PREG_DEAD_DUE, /* removed, on p->dead: a completion is still due */
    PS__PREG_DEAD,     /* removed, on p->dead until its helper is joined */
    PS__PREG_NSTATES
} ps__preg_state;

typedef struct ps__preg ps__preg;
struct ps__preg {
    /* Written by the driver while a poll is pending; its address is the
     * OVERLAPPED of every packet for this record. */
    IO_STATUS_BLOCK iosb;
    ps__afd_poll_info info;
    ps__preg *hnext;       /* hash chain */
    ps__preg *prev, *next; /* the list its state names */
    ps__preg_state state;
    int kind; /* identity: kind and value */
    uintptr_t value;
    int route;           /* PS__ROUTE_* */
    ps__sel_entry entry; /* class and native socket / handle */
    SOCKET base;         /* PS__ROUTE_AFD: the socket AFD polls */
    unsigned events;     /* READ | WRITE | ONESHOT */
    void *data;
    ps__preg *reap_next;  /* a dropped pipe whose helper a wait joins */
    ps_poller *p;         /* PS__ROUTE_PIPE: for the watch's report */
    ps__pipe_watch *pipe; /* PS__ROUTE_PIPE, until its helper is joined */
    ps__con_group *group; /* PS__ROUTE_CONIN */
};

typedef struct ps__plist {
    ps__preg *head, *tail;
} ps__plist;

/* Moves r to state `to` (lock held); asserts the change is allowed. */
void ps__preg_set(ps__preg *r, ps__preg_state to);

/* What a packet of r carries as its OVERLAPPED: the driver's status block
 * for an AFD poll, the same address for a helper's packet. */
static inline OVERLAPPED *ps__preg_overlapped(ps__preg *r)
{
    return (OVERLAPPED *)(void *)&r->iosb;
}

/* The record a packet's OVERLAPPED came from (container_of). The driver
 * writes an IO_STATUS_BLOCK there, which must fit what Windows takes for
 * an OVERLAPPED's status fields. */
_Static_assert(sizeof(IO_STATUS_BLOCK) <= sizeof(OVERLAPPED),
               "an IO_STATUS_BLOCK where an OVERLAPPED is expected");
static inline ps__preg *ps__preg_of(OVERLAPPED *ov)
{
    return (ps__preg *)(void *)((char *)ov - offsetof(ps__preg, iosb));
}

struct ps_poller {
    ps__timers timers; /* src/timers.c and src/poller.c own it */
    SRWLOCK lock;      /* guards everything below but port / afd */
    HANDLE port;
    HANDLE afd;
    volatile LONG wake_pending;
    volatile LONG rescan_pending;
    int blocked;   /* waits blocked on the port */
    unsigned turn; /* cap 1: who goes first, port or always */
    ps__preg **buckets;
    size_t nbuckets, count;
    ps__plist update; /* reported, to be watched again */
    ps__plist always;
    ps__plist dead;
    size_t afd_pending; /* polls whose completion is still due */
    ps__con_group *groups;
};

/* ---- poller_helpers.c: pipes and consoles ---- */

/* Starts the pipe's helper thread, not watching: the first wait checks
 * the pipe and arms it. */
int ps__pipe_start(ps_poller *p, ps__preg *r);
/* IDLE -> WATCHED: the helper waits for the pipe again (lock held). */
void ps__pipe_rearm(ps__preg *r);
/* Tells the helper to end, without waiting (lock held). */
void ps__pipe_signal_stop(ps__preg *r);
/* Stops and joins a helper taken from a dead record (lock not held). */
void ps__pipe_stop(ps__pipe_watch *w);

/* A console group: one helper waiting on up to PS__CON_GROUP handles. */
struct ps__con_group {
    ps__con_group *next;
    ps_poller *p;
    HANDLE thread;
    HANDLE ctl; /* auto reset: the member set changed */
    int stop;
    int n;
    ps__preg *members[PS__CON_GROUP];
};

/* Puts an IDLE r into a console group (lock held); it is watched at once. */
int ps__con_join(ps_poller *p, ps__preg *r);
/* IDLE -> WATCHED (the group watches it again), or POSTED when
 * ps_item_read holds bytes of a line (lock held). */
void ps__con_rearm(ps__preg *r);
/* Takes r out of its group (lock held). A group left empty is unlinked
 * and returned, to be passed to ps__con_group_end with the lock released;
 * else NULL. Its next field is free for the caller's use then. */
ps__con_group *ps__con_leave(ps_poller *p, ps__preg *r);
void ps__con_group_end(ps__con_group *g);
/* Ends every group (ps_poller_close). */
void ps__con_end_all(ps_poller *p);

#endif
