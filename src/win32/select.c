/* SPDX-License-Identifier: MIT */
/* ps_select on Windows: one readiness wait over sockets, pipes, consoles
 * and files.
 *
 * A scan checks every item without blocking (select() with a zero timeout
 * for the sockets, PeekNamedPipe, PeekConsoleInput). If nothing is ready,
 * the wait is a select() over the sockets; pipes and consoles, which
 * select() cannot watch, get helper threads that wake that select() by
 * sending a datagram to a per-call loopback socket in its read set. After
 * the wait the helpers are stopped and joined and everything is scanned
 * again. No item's state is changed.
 *
 * A pipe helper blocked in a synchronous ReadFile is stopped with
 * CancelSynchronousIo. The read is announced under a lock, and none starts
 * once the call is stopping, so the stopper knows when a read may be (about
 * to be) blocked; a cancel that comes just before the read starts finds
 * nothing, so it is repeated between short waits for the thread. A read
 * that ignores cancellation (a driver's choice) must not hold the call
 * forever: after STOP_LIMIT_MS the helper is left to end on its own when
 * its read returns. So the call and its helpers share one
 * reference-counted block, freed by whichever lets go of it last. */
#include "console.h"
#include "select.h"

#include <stdlib.h>

/* One console helper waits on the cancel event plus this many handles. */
#define CON_GROUP (MAXIMUM_WAIT_OBJECTS - 1)
/* How long stopping the helpers may take before they are left behind. */
#define STOP_LIMIT_MS 1000
/* The longest pause between two cancels of a read, and between two tries
 * of a wake-up send that failed. */
#define RETRY_MAX_MS 50

typedef struct sel_wake {
    SOCKET s;
    struct sockaddr_in addr;  /* s's own address */
    HANDLE cancel;            /* manual reset; set when the wait is over */
} sel_wake;

struct sel_call;

typedef struct sel_helper {
    HANDLE thread;      /* the caller's; the helper never reads it */
    struct sel_call *call;
    sel_wake *wk;
    HANDLE pipe;        /* a pipe helper; NULL for a console helper */
    HANDLE done;        /* the pipe read's OVERLAPPED event */
    DWORD count;        /* console helper: wait[0] is wk->cancel */
    int reading;        /* pipe helper: between deciding to read and
                         * ReadFile's return (under call->mu) */
    HANDLE wait[MAXIMUM_WAIT_OBJECTS];
} sel_helper;

/* What one waiting call shares with its helpers: one reference for the
 * call and one per running helper. */
typedef struct sel_call {
    volatile LONG refs;
    SRWLOCK mu;         /* guards stopping and the helpers' reading */
    int stopping;       /* no new read may start */
    sel_wake wk;
    size_t nh;
    sel_helper hp[];
} sel_call;

/* Errors of the call as a whole that come from Win32 calls. */
static int call_error(DWORD err)
{
    ps__set_native_error((int)err);
    switch (err) {
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
    case ERROR_NO_SYSTEM_RESOURCES:
    case ERROR_COMMITMENT_LIMIT:
        return PS_ENOMEM;
    case ERROR_TOO_MANY_OPEN_FILES:
        return PS_EMFILE;
    default:
        return PS_EUNKNOWN;
    }
}

/* The same for a PS_E* code from the socket layer (native error already
 * recorded). */
static int call_error_ps(int rc)
{
    return rc == PS_ENOMEM || rc == PS_EMFILE ? rc : PS_EUNKNOWN;
}

static sel_call *call_new(size_t nh)
{
    sel_call *c = (sel_call *)calloc(1, sizeof *c + nh * sizeof c->hp[0]);
    if (c == NULL)
        return NULL;
    c->refs = 1;
    InitializeSRWLock(&c->mu);
    c->nh = nh;
    c->wk.s = INVALID_SOCKET;
    return c;
}

static void call_release(sel_call *c)
{
    size_t i;
    if (InterlockedDecrement(&c->refs) != 0)
        return;
    for (i = 0; i < c->nh; i++)
        if (c->hp[i].done != NULL)
            CloseHandle(c->hp[i].done);
    if (c->wk.cancel != NULL)
        CloseHandle(c->wk.cancel);
    if (c->wk.s != INVALID_SOCKET)
        closesocket(c->wk.s);
    free(c);
}

/* Ends the wait in select(). A lost datagram would leave the call waiting
 * until its deadline (forever without one), so a send that fails (no
 * buffer space, say) is tried again, with pauses of up to RETRY_MAX_MS,
 * until it goes or the call is over. */
static void wake_up(sel_wake *wk)
{
    char b = 0;
    DWORD pause = 1;
    while (WaitForSingleObject(wk->cancel, 0) != WAIT_OBJECT_0) {
        if (sendto(wk->s, &b, 1, 0, (const struct sockaddr *)&wk->addr,
                   sizeof wk->addr) == 1)
            return;
        if (WaitForSingleObject(wk->cancel, pause) == WAIT_OBJECT_0)
            return;
        pause = pause * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : pause * 2;
    }
}

/* Waits until the pipe has data or its writer is gone: a zero-byte read
 * returns then and takes nothing. Works on handles opened for overlapped
 * I/O too: there the read pends and is cancelled through the event. */
/* 0 when the call is stopping: no read may start. */
static int begin_read(sel_helper *hp)
{
    int ok;
    AcquireSRWLockExclusive(&hp->call->mu);
    ok = !hp->call->stopping;
    hp->reading = ok;
    ReleaseSRWLockExclusive(&hp->call->mu);
    return ok;
}

static void end_read(sel_helper *hp)
{
    AcquireSRWLockExclusive(&hp->call->mu);
    hp->reading = 0;
    ReleaseSRWLockExclusive(&hp->call->mu);
}

static int is_reading(sel_helper *hp)
{
    int r;
    AcquireSRWLockExclusive(&hp->call->mu);
    r = hp->reading;
    ReleaseSRWLockExclusive(&hp->call->mu);
    return r;
}

static void pipe_wait(sel_helper *hp)
{
    OVERLAPPED ov;
    DWORD got = 0, err;
    char b;
    BOOL ok;
    if (!begin_read(hp))
        return;
    ZeroMemory(&ov, sizeof ov);
    /* The low bit keeps the completion off any I/O completion port the
     * caller associated with the handle. */
    ov.hEvent = (HANDLE)((uintptr_t)hp->done | 1);
    ok = ReadFile(hp->pipe, &b, 0, &got, &ov);
    err = ok ? 0 : GetLastError();
    end_read(hp);
    if (!ok && err == ERROR_IO_PENDING) {
        HANDLE w[2];
        w[0] = hp->wk->cancel;
        w[1] = hp->done;
        if (WaitForMultipleObjects(2, w, FALSE, INFINITE) != WAIT_OBJECT_0 + 1) {
            CancelIoEx(hp->pipe, &ov);
            /* ov must outlive the read. */
            WaitForSingleObject(hp->done, INFINITE);
            return;
        }
    } else if (!ok && err == ERROR_OPERATION_ABORTED) {
        return; /* cancelled by CancelSynchronousIo */
    }
    wake_up(hp->wk);
}

static DWORD WINAPI pipe_main(void *arg)
{
    sel_helper *hp = (sel_helper *)arg;
    pipe_wait(hp);
    call_release(hp->call);
    return 0;
}

static DWORD WINAPI console_main(void *arg)
{
    sel_helper *hp = (sel_helper *)arg;
    DWORD r = WaitForMultipleObjects(hp->count, hp->wait, FALSE, INFINITE);
    if (r != WAIT_OBJECT_0)
        wake_up(hp->wk);
    call_release(hp->call);
    return 0;
}

static int wake_open(sel_wake *wk)
{
    int len = sizeof wk->addr, rc;
    u_long on = 1;
    wk->cancel = NULL;
    rc = ps__win_new_socket(AF_INET, SOCK_DGRAM, &wk->s);
    if (rc != 0)
        return call_error_ps(rc);
    ZeroMemory(&wk->addr, sizeof wk->addr);
    wk->addr.sin_family = AF_INET;
    wk->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* Non-blocking so a helper's send can never hang. */
    if (bind(wk->s, (const struct sockaddr *)&wk->addr, sizeof wk->addr) != 0 ||
        getsockname(wk->s, (struct sockaddr *)&wk->addr, &len) != 0 ||
        ioctlsocket(wk->s, FIONBIO, &on) != 0) {
        rc = call_error_ps(ps__last_error());
        closesocket(wk->s);
        wk->s = INVALID_SOCKET;
        return rc;
    }
    wk->cancel = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (wk->cancel == NULL)
        return call_error(GetLastError()); /* call_release closes s */
    return 0;
}

/* Stops and joins every started helper, within STOP_LIMIT_MS in all. A
 * helper not gone by then (a read that ignores cancellation) is left to
 * end on its own; the block it uses lives until it does. */
static void helpers_stop(sel_call *c)
{
    sel_helper *hp = c->hp;
    ULONGLONG end;
    size_t i;
    AcquireSRWLockExclusive(&c->mu);
    c->stopping = 1;
    ReleaseSRWLockExclusive(&c->mu);
    SetEvent(c->wk.cancel);
    /* A pipe helper may sit in a synchronous ReadFile, which holds the
     * pipe's I/O lock: it must be gone before the caller reads. A cancel
     * reaches only a read the kernel has started, and the helper may be
     * just about to start it: while it is reading, cancel, wait for the
     * thread a little, and again, waiting longer each time. Overlapped
     * reads also end through the cancel event. */
    end = GetTickCount64() + STOP_LIMIT_MS;
    for (i = 0; i < c->nh; i++) {
        DWORD pause = 0;
        if (hp[i].thread == NULL)
            continue;
        for (;;) {
            if (hp[i].pipe != NULL && is_reading(&hp[i]))
                CancelSynchronousIo(hp[i].thread);
            if (WaitForSingleObject(hp[i].thread, pause) == WAIT_OBJECT_0 ||
                GetTickCount64() >= end)
                break;
            pause = pause == 0 ? 1 : pause * 2;
            if (pause > RETRY_MAX_MS)
                pause = RETRY_MAX_MS;
        }
        CloseHandle(hp[i].thread);
        hp[i].thread = NULL;
    }
}

static int cmp_handle(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(const HANDLE *)a;
    uintptr_t y = (uintptr_t)*(const HANDLE *)b;
    return x < y ? -1 : x > y;
}

/* Sorts and drops duplicates: one helper per pipe, and
 * WaitForMultipleObjects refuses a handle twice. Returns the new count. */
static size_t unique_handles(HANDLE *h, size_t n)
{
    size_t i, k = 0;
    if (n < 2)
        return n;
    qsort(h, n, sizeof *h, cmp_handle);
    for (i = 1; i < n; i++)
        if (h[i] != h[k])
            h[++k] = h[i];
    return k + 1;
}

static int helpers_start(sel_call *c, HANDLE *pipes, size_t np,
                         HANDLE *cons, size_t nc)
{
    sel_helper *hp = c->hp;
    sel_wake *wk = &c->wk;
    size_t i, k = 0;
    for (i = 0; i < c->nh; i++)
        hp[i].call = c;
    for (i = 0; i < np; i++, k++) {
        hp[k].wk = wk;
        hp[k].pipe = pipes[i];
        hp[k].done = CreateEventW(NULL, TRUE, FALSE, NULL);
        if (hp[k].done == NULL)
            return call_error(GetLastError());
    }
    for (i = 0; i < nc; i += CON_GROUP, k++) {
        size_t j, m = nc - i; /* at least 1 */
        if (m > CON_GROUP)
            m = CON_GROUP;
        hp[k].wk = wk;
        hp[k].wait[0] = wk->cancel;
        for (j = 0; j < m; j++)
            hp[k].wait[j + 1] = cons[i + j];
        hp[k].count = (DWORD)m + 1;
    }
    for (i = 0; i < k; i++) {
        /* The helper's reference, taken before it can run. */
        InterlockedIncrement(&c->refs);
        /* The helpers need little stack; reserve, do not commit, 64 KiB. */
        hp[i].thread = CreateThread(NULL, 64 * 1024,
                                    hp[i].pipe != NULL ? pipe_main : console_main,
                                    &hp[i], STACK_SIZE_PARAM_IS_A_RESERVATION,
                                    NULL);
        if (hp[i].thread == NULL) {
            int rc = call_error(GetLastError());
            InterlockedDecrement(&c->refs);
            return rc;
        }
    }
    return 0;
}

/* The wait of one ps__select_once, after a scan found nothing ready. */
static int sel_wait(ps_pollitem *items, ps__sel_entry *e, size_t n,
                    ps__sel_sets *ss, int timeout_ms)
{
    HANDLE *hs, *pipes, *cons;
    sel_call *c;
    size_t m = 0, np = 0, nc = 0, nh, i;
    int rc;
    for (i = 0; i < n; i++)
        if (ps__sel_needs_helper(&items[i], &e[i]))
            m++;
    if (m == 0)
        return ps__sel_wait_sockets(items, e, n, ss, INVALID_SOCKET, timeout_ms);

    /* One array: pipes from the front, consoles from the back. */
    hs = (HANDLE *)malloc(m * sizeof *hs);
    if (hs == NULL)
        return PS_ENOMEM;
    for (i = 0; i < n; i++) {
        if (!ps__sel_needs_helper(&items[i], &e[i]))
            continue;
        if (e[i].cls == PS__SEL_PIPE)
            hs[np++] = e[i].h;
        else
            hs[m - ++nc] = e[i].h;
    }
    pipes = hs;
    cons = hs + np;
    np = unique_handles(pipes, np);
    nc = unique_handles(cons, nc);
    nh = np + (nc + CON_GROUP - 1) / CON_GROUP;
    c = call_new(nh);
    if (c == NULL) {
        free(hs);
        return PS_ENOMEM;
    }
    rc = wake_open(&c->wk);
    if (rc == 0) {
        rc = helpers_start(c, pipes, np, cons, nc);
        if (rc == 0)
            rc = ps__sel_wait_sockets(items, e, n, ss, c->wk.s, timeout_ms);
        helpers_stop(c);
    }
    call_release(c);
    free(hs);
    return rc;
}

/* Checks every item without blocking; returns how many are ready or a
 * PS_E* code. */
static int sel_scan(ps_pollitem *items, ps__sel_entry *e, size_t n,
                    ps__sel_sets *ss)
{
    size_t i;
    int count = 0;
    int rc = ps__sel_scan_sockets(items, e, n, ss);
    if (rc < 0)
        return rc;
    for (i = 0; i < n; i++) {
        if (e[i].cls != PS__SEL_SOCKET)
            items[i].revents = ps__sel_check_other(&items[i], &e[i]);
        if (items[i].revents != 0)
            count++;
    }
    return count;
}

int ps__select_once(ps_pollitem *items, size_t n, int timeout_ms)
{
    ps__sel_entry *e;
    ps__sel_sets ss;
    size_t nsock = 0, i;
    int rc;
    if (n == 0) {
        if (timeout_ms != 0)
            Sleep(timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
        return 0;
    }
    e = (ps__sel_entry *)calloc(n, sizeof *e);
    if (e == NULL)
        return PS_ENOMEM;
    for (i = 0; i < n; i++) {
        ps__sel_classify(&items[i], &e[i]);
        if (e[i].cls == PS__SEL_SOCKET)
            nsock++;
    }
    rc = ps__sel_sets_alloc(&ss, nsock);
    if (rc == 0) {
        rc = sel_scan(items, e, n, &ss);
        if (rc == 0 && timeout_ms != 0) {
            rc = sel_wait(items, e, n, &ss, timeout_ms);
            if (rc == 0)
                rc = sel_scan(items, e, n, &ss);
        }
        ps__sel_sets_free(&ss);
    }
    /* Key-downs of an incomplete line taken while the console was checked
     * go back to it: no one waits for them once the call returns. */
    for (i = 0; i < n; i++)
        if (e[i].cls == PS__SEL_CONIN && (items[i].events & PS_POLL_READ)) {
            ps__conin_release();
            break;
        }
    free(e);
    return rc;
}
