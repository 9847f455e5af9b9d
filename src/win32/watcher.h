/* SPDX-License-Identifier: MIT */
/* The one Windows watcher for what Winsock cannot wait on: pipes (one
 * helper thread each) and console input (a helper per group of handles).
 * ps_select (select.c) and ps_poller (poller_helpers.c) both use it. */
#ifndef PS_WIN32_WATCHER_H
#define PS_WIN32_WATCHER_H

#include "win32.h"

/* Console handles one helper waits on: WaitForMultipleObjects' limit, less
 * one for the helper's own control event. */
#define PS__CON_GROUP (MAXIMUM_WAIT_OBJECTS - 1)
/* How long stopping helpers may take in all before they are left to end
 * on their own (a read that ignores cancellation, a driver's choice). */
#define PS__WATCH_STOP_MS 1000

/* The deadline for a stop that starts now. */
ULONGLONG ps__watch_deadline(void);
/* Waits for a helper thread to end, until deadline, with pauses that grow
 * to 50 ms; closes its handle either way. Nonzero when it ended. `cancel`
 * (if not NULL) is called before each pause, to cancel a read the thread
 * may be (about to be) blocked in. */
int ps__watch_join(HANDLE thread, ULONGLONG deadline,
                   void (*cancel)(void *ctx, HANDLE thread), void *ctx);

/* ---- console input ---- */

/* Waits on ctl and n (at most PS__CON_GROUP) console input handles.
 * Returns -1 when ctl is signalled, else the index in h of a handle that
 * is (input queued), or that was closed under the wait (its item's check
 * reports INVALID); -2 when the wait failed for none of these. */
int ps__con_wait(HANDLE ctl, const HANDLE *h, DWORD n);

/* ---- pipes ---- */

/* One pipe's helper thread. Each time it is armed, it waits until the
 * pipe has data, its writer is gone or the handle is no longer a pipe
 * (zero-byte reads, which consume nothing; a PeekNamedPipe tells what the
 * read's return means), then calls report(ctx) and waits to be armed
 * again. A pipe whose reads return at once with nothing to read (a
 * PIPE_NOWAIT read end with its writer open) is peeked at growing
 * intervals of up to PS__WATCH_POLL_MS instead. */
#define PS__WATCH_POLL_MS 20
typedef struct ps__pipe_watch ps__pipe_watch;
/* Called on the helper thread with the watch's lock held, never once a
 * stop has begun, so ctx may go away when ps__pipe_watch_stop returns. 0:
 * the report went; else it is tried again after a pause (up to 50 ms). */
typedef int (*ps__watch_report)(void *ctx);

/* PeekNamedPipe for a read that must not wait: 1 (nothing peeked) while
 * a helper's synchronous zero-byte read of h is in progress, which the
 * peek would wait behind until data came (that read also means h was
 * empty when it began); else 0 with *avail, or -1 when the peek failed. */
int ps__pipe_peek_unwatched(HANDLE h, DWORD *avail);

/* Starts the helper; it reads at once when `armed`, else waits for
 * ps__pipe_watch_arm. 0 or a PS_E* code. */
int ps__pipe_watch_start(HANDLE pipe, int armed, ps__watch_report report,
                         void *ctx, ps__pipe_watch **out);
/* Lets it wait for the pipe again after a report. */
void ps__pipe_watch_arm(ps__pipe_watch *w);
/* Tells it to end, without waiting (any lock may be held); a report
 * already under way may still come until ps__pipe_watch_stop. */
void ps__pipe_watch_signal(ps__pipe_watch *w);
/* Ends it: signals, cancels its read, and waits until deadline. A helper
 * still running then is left to end on its own (it frees its part when its
 * read returns). w is gone on return. */
void ps__pipe_watch_stop(ps__pipe_watch *w, ULONGLONG deadline);

/* revents of a pipe asked for ev (READ / WRITE), from PeekNamedPipe, so
 * it never blocks: READ with data, READ|HUP with the writer gone (the
 * read's ERROR_NO_DATA on a PIPE_NOWAIT pipe is no such thing: only the
 * peek's), INVALID for a closed handle; READ for a pipe that cannot be
 * peeked, whose state cannot be known. WRITE at once. */
unsigned ps__pipe_check(HANDLE pipe, unsigned ev);

/* ---- reports of READ (reported.c) ---- */

/* Per pipe or console input handle, process-wide: the READ reports
 * ps_select and ps_poller made for it that no ps_item_read has used yet.
 * Each report covers one read, of any thread (the reader's own report
 * first, else one another thread was given): that read checks first and
 * returns PS_EWOULDBLOCK where it would wait, so two threads told READ
 * for the same data cannot leave one of them blocked. A thread told again
 * before it read holds one report; at most PS__REPORTED_MAX threads per
 * handle. Reads without a report left wait, as read(2) on a blocking fd.
 * Reports never read (the handle closed, its value reused) can turn as
 * many later reads that would wait (one per thread that was told) into
 * PS_EWOULDBLOCK. Memory is bounded: the table holds PS__REPORTED_SLOTS
 * handles; beyond that the least recently reported of a neighbourhood is
 * forgotten (its next read may wait, as before). */
#define PS__REPORTED_MAX 8
#define PS__REPORTED_SLOTS 1024
void ps__reported_mark(HANDLE h);
/* Uses one report of h: nonzero when there was one. */
int ps__reported_take(HANDLE h);
/* Forgets h: end of input read, the handle invalid, or removed from a
 * poller (ps_poller_remove, or ps_poller_close). */
void ps__reported_forget(HANDLE h);

#endif
