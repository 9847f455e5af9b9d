/* SPDX-License-Identifier: MIT */
/* The helper threads of ps_select and ps_poller for pipes and console
 * input, and how they are stopped. A console helper waits on its group of
 * handles with ps__con_wait.
 *
 * A pipe helper waits with a zero-byte ReadFile, which returns (taking
 * nothing) when data arrives or the writer goes. A helper blocked in a
 * synchronous ReadFile is stopped with CancelSynchronousIo. The read is
 * announced under the watch's lock and none starts once a stop has begun,
 * so the stopper knows when a read may be (about to be) blocked; a cancel
 * that comes just before the read starts finds nothing, so it is repeated
 * between growing pauses. A read that ignores cancellation must not hold
 * the caller forever: after the deadline the helper is left to end on its
 * own when its read returns, so the watch is reference-counted and freed
 * by whichever of the two lets go of it last. */
#include "watcher.h"

#include <stdlib.h>

/* The longest pause between two cancels, and between two tries of a
 * report that failed. */
#define RETRY_MAX_MS 50

struct ps__pipe_watch {
    volatile LONG refs; /* the owner's and the running helper's */
    HANDLE h;
    HANDLE thread;
    HANDLE stop;  /* manual reset: set once, to end the helper */
    HANDLE arm;   /* auto reset: wait for the pipe (again) */
    HANDLE done;  /* the read's OVERLAPPED event */
    SRWLOCK mu;   /* guards the flags and the report */
    int reading;  /* between deciding to read and ReadFile's return */
    int stopping; /* no read may start, no report be made */
    ps__watch_report report;
    void *ctx;
};

/* The handles a helper's zero-byte read may be blocked on, process-wide:
 * Windows queues all I/O on a synchronous handle, PeekNamedPipe included,
 * behind a read in progress, so a reported ps_item_read must not peek
 * while one is (see ps__pipe_peek_unwatched). A handle appears once per
 * read. Growth that fails leaves a read unlisted: that read's peek may
 * then wait for data, as before this list. */
static SRWLOCK reads_lock = SRWLOCK_INIT;
static HANDLE *reads;
static size_t reads_n, reads_cap;

static void reads_add(HANDLE h)
{
    AcquireSRWLockExclusive(&reads_lock);
    if (reads_n == reads_cap) {
        size_t cap = reads_cap ? 2 * reads_cap : 16;
        HANDLE *grown = (HANDLE *)realloc(reads, cap * sizeof *grown);
        if (grown != NULL) {
            reads = grown;
            reads_cap = cap;
        }
    }
    if (reads_n < reads_cap)
        reads[reads_n++] = h;
    ReleaseSRWLockExclusive(&reads_lock);
}

static void reads_remove(const void *h)
{
    size_t i;
    AcquireSRWLockExclusive(&reads_lock);
    for (i = 0; i < reads_n; i++)
        if (reads[i] == h) {
            reads[i] = reads[--reads_n];
            break;
        }
    ReleaseSRWLockExclusive(&reads_lock);
}

int ps__pipe_peek_unwatched(HANDLE h, DWORD *avail)
{
    size_t i;
    int rc = 0;
    /* Shared: peeks go together, but no helper's read starts meanwhile. */
    AcquireSRWLockShared(&reads_lock);
    for (i = 0; i < reads_n && rc == 0; i++)
        if (reads[i] == h)
            rc = 1;
    if (rc == 0 && !PeekNamedPipe(h, NULL, 0, NULL, avail, NULL))
        rc = -1;
    ReleaseSRWLockShared(&reads_lock);
    return rc;
}

static DWORD grow(DWORD pause)
{
    pause = pause == 0 ? 1 : pause * 2;
    return pause > RETRY_MAX_MS ? RETRY_MAX_MS : pause;
}

ULONGLONG ps__watch_deadline(void)
{
    return GetTickCount64() + PS__WATCH_STOP_MS;
}

int ps__watch_join(HANDLE thread, ULONGLONG deadline,
                   void (*cancel)(void *ctx, HANDLE thread), void *ctx)
{
    DWORD pause = 0;
    int ended;
    for (;;) {
        if (cancel != NULL)
            cancel(ctx, thread);
        ended = WaitForSingleObject(thread, pause) == WAIT_OBJECT_0;
        if (ended || GetTickCount64() >= deadline)
            break;
        pause = grow(pause);
    }
    CloseHandle(thread);
    return ended;
}

/* ---- console input ---- */

int ps__con_wait(HANDLE ctl, const HANDLE *h, DWORD n)
{
    HANDLE w[MAXIMUM_WAIT_OBJECTS];
    DWORD rc, k;
    w[0] = ctl;
    for (k = 0; k < n; k++)
        w[k + 1] = h[k];
    rc = WaitForMultipleObjects(n + 1, w, FALSE, INFINITE);
    if (rc == WAIT_OBJECT_0)
        return -1;
    if (rc > WAIT_OBJECT_0 && rc <= WAIT_OBJECT_0 + n)
        return (int)(rc - WAIT_OBJECT_0 - 1);
    for (k = 0; k < n; k++)
        if (WaitForSingleObject(h[k], 0) == WAIT_FAILED)
            return (int)k;
    return -2;
}

/* ---- pipes ---- */

unsigned ps__pipe_check(HANDLE h, unsigned ev)
{
    DWORD avail = 0;
    /* Windows has no cheap way to ask for free pipe space. */
    unsigned r = ev & PS_POLL_WRITE;
    if (PeekNamedPipe(h, NULL, 0, NULL, &avail, NULL))
        return avail > 0 ? r | (ev & PS_POLL_READ) : r;
    switch (GetLastError()) {
    case ERROR_BROKEN_PIPE:        /* the writer is gone */
    case ERROR_PIPE_NOT_CONNECTED: /* the client of a server end left */
    case ERROR_NO_DATA:            /* the pipe is being closed */
        return r | (ev & PS_POLL_READ) | PS_POLL_HUP;
    case ERROR_INVALID_HANDLE:
        return PS_POLL_INVALID;
    default:
        /* E.g. a server end still listening, a handle without read access,
         * or a pipe from outside that cannot be peeked (Wine's pipe from a
         * Unix process). A read then fails or returns at once, or at worst
         * waits for data; reporting READ beats waiting forever on a state
         * that cannot be observed. */
        return r | (ev & PS_POLL_READ);
    }
}

static void watch_release(ps__pipe_watch *w)
{
    if (InterlockedDecrement(&w->refs) != 0)
        return;
    if (w->stop)
        CloseHandle(w->stop);
    if (w->arm)
        CloseHandle(w->arm);
    if (w->done)
        CloseHandle(w->done);
    free(w);
}

static int stopped(ps__pipe_watch *w)
{
    return WaitForSingleObject(w->stop, 0) == WAIT_OBJECT_0;
}

/* 0: a stop has begun, do not read. */
static int begin_read(ps__pipe_watch *w)
{
    int ok;
    AcquireSRWLockExclusive(&w->mu);
    ok = !w->stopping;
    w->reading = ok;
    ReleaseSRWLockExclusive(&w->mu);
    return ok;
}

static void end_read(ps__pipe_watch *w)
{
    AcquireSRWLockExclusive(&w->mu);
    w->reading = 0;
    ReleaseSRWLockExclusive(&w->mu);
}

/* One zero-byte read; 0 when the helper is to end. Works on pipes opened
 * for overlapped I/O too: there the read pends and the wait for it also
 * watches the stop event. */
static int zero_read(ps__pipe_watch *w)
{
    OVERLAPPED ov;
    DWORD got = 0;
    BOOL ok;
    char b;
    if (!begin_read(w))
        return 0;
    ZeroMemory(&ov, sizeof ov);
    /* The low bit keeps the completion off any I/O completion port the
     * caller associated with the handle. */
    ov.hEvent = (HANDLE)((uintptr_t)w->done | 1);
    reads_add(w->h);
    ok = ReadFile(w->h, &b, 0, &got, &ov);
    /* A pending (overlapped) read holds up no other I/O on the handle. */
    reads_remove(w->h);
    if (!ok && GetLastError() == ERROR_IO_PENDING) {
        HANDLE ev[2];
        end_read(w);
        ev[0] = w->stop;
        ev[1] = w->done;
        if (WaitForMultipleObjects(2, ev, FALSE, INFINITE) !=
            WAIT_OBJECT_0 + 1) {
            CancelIoEx(w->h, &ov);
            /* ov must outlive the read. */
            WaitForSingleObject(w->done, INFINITE);
            return 0;
        }
    } else {
        end_read(w);
    }
    return !stopped(w);
}

/* Until the pipe is ready; 0 when the helper is to end. What the read's
 * return means is asked of PeekNamedPipe: a read that returned with
 * nothing to read and the writer open (PIPE_NOWAIT, or the data taken by
 * the program meanwhile) is followed by a pause before the next. */
static int wait_ready(ps__pipe_watch *w)
{
    DWORD pause = 0;
    for (;;) {
        if (!zero_read(w))
            return 0;
        if (ps__pipe_check(w->h, PS_POLL_READ) != 0)
            return 1;
        pause = grow(pause);
        if (pause > PS__WATCH_POLL_MS)
            pause = PS__WATCH_POLL_MS;
        if (WaitForSingleObject(w->stop, pause) == WAIT_OBJECT_0)
            return 0;
    }
}

/* Calls the report until it goes; 0 when the helper is to end. */
static int send_report(ps__pipe_watch *w)
{
    DWORD pause = 0;
    for (;;) {
        int rc = 1;
        AcquireSRWLockExclusive(&w->mu);
        if (!w->stopping)
            rc = w->report(w->ctx);
        ReleaseSRWLockExclusive(&w->mu);
        if (rc == 0)
            return 1;
        pause = grow(pause);
        if (WaitForSingleObject(w->stop, pause) == WAIT_OBJECT_0)
            return 0;
    }
}

static DWORD WINAPI pipe_main(void *arg)
{
    ps__pipe_watch *w = (ps__pipe_watch *)arg;
    HANDLE ev[2];
    ev[0] = w->stop;
    ev[1] = w->arm;
    while (WaitForMultipleObjects(2, ev, FALSE, INFINITE) == WAIT_OBJECT_0 + 1)
        if (!wait_ready(w) || !send_report(w))
            break;
    watch_release(w);
    return 0;
}

static int win_error(void)
{
    DWORD err = GetLastError();
    ps__set_native_error((int)err);
    return err == ERROR_TOO_MANY_OPEN_FILES ? PS_EMFILE : PS_ENOMEM;
}

int ps__pipe_watch_start(HANDLE pipe, int armed, ps__watch_report report,
                         void *ctx, ps__pipe_watch **out)
{
    ps__pipe_watch *w = (ps__pipe_watch *)calloc(1, sizeof *w);
    int rc;
    if (w == NULL)
        return PS_ENOMEM;
    w->refs = 1;
    w->h = pipe;
    w->report = report;
    w->ctx = ctx;
    InitializeSRWLock(&w->mu);
    w->stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    w->arm = CreateEventW(NULL, FALSE, armed ? TRUE : FALSE, NULL);
    w->done = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (!w->stop || !w->arm || !w->done) {
        rc = win_error();
        watch_release(w);
        return rc;
    }
    /* The helper's reference, taken before it can run. */
    InterlockedIncrement(&w->refs);
    /* Little stack is needed; reserve, do not commit, 64 KiB. */
    w->thread = CreateThread(NULL, 64 * 1024, pipe_main, w,
                             STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
    if (w->thread == NULL) {
        rc = win_error();
        InterlockedDecrement(&w->refs);
        watch_release(w);
        return rc;
    }
    *out = w;
    return 0;
}

void ps__pipe_watch_arm(ps__pipe_watch *w)
{
    SetEvent(w->arm);
}

void ps__pipe_watch_signal(ps__pipe_watch *w)
{
    SetEvent(w->stop);
}

static void cancel_read(void *ctx, HANDLE thread)
{
    ps__pipe_watch *w = (ps__pipe_watch *)ctx;
    int reading;
    AcquireSRWLockExclusive(&w->mu);
    reading = w->reading;
    ReleaseSRWLockExclusive(&w->mu);
    if (reading)
        CancelSynchronousIo(thread);
}

void ps__pipe_watch_stop(ps__pipe_watch *w, ULONGLONG deadline)
{
    AcquireSRWLockExclusive(&w->mu);
    w->stopping = 1;
    ReleaseSRWLockExclusive(&w->mu);
    SetEvent(w->stop);
    ps__watch_join(w->thread, deadline, cancel_read, w);
    watch_release(w);
}
