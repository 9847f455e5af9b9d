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
 * The helpers are watcher.c's pipe watches and console waits (groups of
 * PS__CON_GROUP handles), stopped by its policy: within PS__WATCH_STOP_MS
 * in all; a pipe helper whose read ignores cancellation is left to end on
 * its own; a console helper ends as soon as the call's cancel event is
 * set. */
#include "console.h"
#include "select.h"

#include <assert.h>
#include "watcher.h"

#include <stdlib.h>

/* The longest pause between two tries of a wake-up send that failed. */
#define RETRY_MAX_MS 50

typedef struct sel_wake {
    SOCKET s;
    struct sockaddr_in addr; /* s's own address */
    HANDLE cancel;           /* manual reset; set when the wait is over */
} sel_wake;

struct sel_call;

/* A console helper: waits on wk->cancel and up to PS__CON_GROUP console
 * handles. */
typedef struct sel_con {
    HANDLE thread; /* the caller's; the helper never reads it */
    struct sel_call *call;
    DWORD count;
    HANDLE h[PS__CON_GROUP];
} sel_con;

/* What one waiting call shares with its console helpers: one reference
 * for the call and one per running helper. The pipe helpers' watches
 * make no report once stopped, so they hold none. */
typedef struct sel_call {
    volatile LONG refs;
    sel_wake wk;
    size_t np, nc;
    ps__pipe_watch **pw; /* np pipe watches, after con */
    sel_con con[];
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

static sel_call *call_new(size_t np, size_t nc)
{
    size_t head = sizeof(sel_call) + nc * sizeof(sel_con), size;
    sel_call *c;
    /* The watch pointers follow the console helpers, aligned. */
    head = (head + sizeof(void *) - 1) / sizeof(void *) * sizeof(void *);
    size = head + np * sizeof c->pw[0];
    c = (sel_call *)calloc(1, size);
    if (c == NULL)
        return NULL;
    c->refs = 1;
    c->nc = nc;
    c->pw = (ps__pipe_watch **)(void *)((char *)c + head);
    c->wk.s = INVALID_SOCKET;
    return c;
}

static void call_release(sel_call *c)
{
    if (InterlockedDecrement(&c->refs) != 0)
        return;
    if (c->wk.cancel != NULL)
        CloseHandle(c->wk.cancel);
    if (c->wk.s != INVALID_SOCKET)
        closesocket(c->wk.s);
    free(c);
}

/* One wake-up datagram to end the wait in select(); 0 when it went. */
static int wake_once(void *ctx)
{
    sel_wake *wk = (sel_wake *)ctx;
    char b = 0;
    return sendto(wk->s, &b, 1, 0, (const struct sockaddr *)&wk->addr,
                  sizeof wk->addr) == 1
               ? 0
               : -1;
}

/* A lost datagram would leave the call waiting until its deadline
 * (forever without one), so a send that fails (no buffer space, say) is
 * tried again, with pauses of up to RETRY_MAX_MS, until it goes or the
 * call is over. */
static void wake_up(sel_wake *wk)
{
    DWORD pause = 1;
    while (WaitForSingleObject(wk->cancel, 0) != WAIT_OBJECT_0 &&
           wake_once(wk) != 0) {
        if (WaitForSingleObject(wk->cancel, pause) == WAIT_OBJECT_0)
            return;
        pause = pause * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : pause * 2;
    }
}

static DWORD WINAPI console_main(void *arg)
{
    sel_con *hc = (sel_con *)arg;
    if (ps__con_wait(hc->call->wk.cancel, hc->h, hc->count) != -1)
        wake_up(&hc->call->wk);
    call_release(hc->call);
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

/* Stops every started helper, within PS__WATCH_STOP_MS in all. A pipe
 * helper sits in a zero-byte read, which holds a synchronous pipe's I/O
 * lock: it must be gone before the caller reads. */
static void helpers_stop(sel_call *c)
{
    ULONGLONG end;
    size_t i;
    SetEvent(c->wk.cancel);
    for (i = 0; i < c->np; i++)
        ps__pipe_watch_signal(c->pw[i]);
    end = ps__watch_deadline();
    for (i = 0; i < c->np; i++)
        ps__pipe_watch_stop(c->pw[i], end);
    for (i = 0; i < c->nc; i++)
        if (c->con[i].thread != NULL)
            ps__watch_join(c->con[i].thread, end, NULL, NULL);
}

static int cmp_handle(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (const HANDLE *)a;
    uintptr_t y = (uintptr_t) * (const HANDLE *)b;
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

static int consoles_start(sel_call *c, HANDLE *cons, size_t nc)
{
    size_t i, k;
    for (i = 0, k = 0; i < nc; i += PS__CON_GROUP, k++) {
        sel_con *hc = &c->con[k];
        size_t j, m = nc - i; /* at least 1 */
        assert(k < c->nc);
        if (m > PS__CON_GROUP)
            m = PS__CON_GROUP;
        hc->call = c;
        for (j = 0; j < m; j++)
            hc->h[j] = cons[i + j];
        hc->count = (DWORD)m;
        /* The helper's reference, taken before it can run. */
        InterlockedIncrement(&c->refs);
        /* The helpers need little stack; reserve, do not commit, 64 KiB. */
        hc->thread = CreateThread(NULL, 64 * 1024, console_main, hc,
                                  STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
        if (hc->thread == NULL) {
            InterlockedDecrement(&c->refs);
            return call_error(GetLastError());
        }
    }
    return 0;
}

static int helpers_start(sel_call *c, HANDLE *pipes, size_t np, HANDLE *cons,
                         size_t nc)
{
    size_t i;
    for (i = 0; i < np; i++, c->np++) {
        int rc = ps__pipe_watch_start(pipes[i], 1, wake_once, &c->wk,
                                      &c->pw[i]);
        if (rc != 0)
            return rc;
    }
    return consoles_start(c, cons, nc);
}

/* The wait of one ps__select_once, after a scan found nothing ready. */
static int sel_wait(ps_pollitem *items, ps__sel_entry *e, size_t n,
                    ps__sel_sets *ss, int timeout_ms)
{
    HANDLE *hs, *pipes, *cons;
    sel_call *c;
    size_t m = 0, np = 0, nc = 0, i;
    int rc;
    for (i = 0; i < n; i++)
        if (ps__sel_needs_helper(&items[i], &e[i]))
            m++;
    if (m == 0)
        return ps__sel_wait_sockets(items, e, n, ss, INVALID_SOCKET,
                                    timeout_ms);

    /* One array: pipes from the front, consoles from the back. calloc,
     * as scan-build cannot see that every slot is set. */
    hs = (HANDLE *)calloc(m, sizeof *hs);
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
    c = call_new(np, (nc + PS__CON_GROUP - 1) / PS__CON_GROUP);
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
    /* A read after this report must not wait (watcher.h). */
    for (i = 0; rc > 0 && i < n; i++)
        if ((e[i].cls == PS__SEL_PIPE || e[i].cls == PS__SEL_CONIN) &&
            (items[i].revents & PS_POLL_READ))
            ps__reported_mark(e[i].h);
    free(e);
    return rc;
}
