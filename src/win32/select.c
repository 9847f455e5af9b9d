/* ps_select on Windows: one readiness wait over sockets, pipes, consoles
 * and files.
 *
 * A scan checks every item without blocking (select() with a zero timeout
 * for the sockets, PeekNamedPipe, PeekConsoleInput). If nothing is ready,
 * the wait is a select() over the sockets; pipes and consoles, which
 * select() cannot watch, get helper threads that wake that select() by
 * sending a datagram to a per-call loopback socket in its read set. After
 * the wait the helpers are stopped and joined and everything is scanned
 * again. No item's state is changed. */
#include "select.h"

#include <stdlib.h>

/* One console helper waits on the cancel event plus this many handles. */
#define CON_GROUP (MAXIMUM_WAIT_OBJECTS - 1)

typedef struct sel_wake {
    SOCKET s;
    struct sockaddr_in addr;  /* s's own address */
    HANDLE cancel;            /* manual reset; set when the wait is over */
} sel_wake;

typedef struct sel_helper {
    HANDLE thread;
    sel_wake *wk;
    HANDLE pipe;        /* a pipe helper; NULL for a console helper */
    HANDLE done;        /* the pipe read's OVERLAPPED event */
    DWORD count;        /* console helper: wait[0] is wk->cancel */
    HANDLE wait[MAXIMUM_WAIT_OBJECTS];
} sel_helper;

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

static void wake_up(sel_wake *wk)
{
    char b = 0;
    if (WaitForSingleObject(wk->cancel, 0) != WAIT_OBJECT_0)
        sendto(wk->s, &b, 1, 0, (const struct sockaddr *)&wk->addr,
               sizeof wk->addr);
}

/* Waits until the pipe has data or its writer is gone: a zero-byte read
 * returns then and takes nothing. Works on handles opened for overlapped
 * I/O too: there the read pends and is cancelled through the event. */
static DWORD WINAPI pipe_main(void *arg)
{
    sel_helper *hp = (sel_helper *)arg;
    OVERLAPPED ov;
    DWORD got = 0;
    char b;
    BOOL ok;
    if (WaitForSingleObject(hp->wk->cancel, 0) == WAIT_OBJECT_0)
        return 0;
    ZeroMemory(&ov, sizeof ov);
    /* The low bit keeps the completion off any I/O completion port the
     * caller associated with the handle. */
    ov.hEvent = (HANDLE)((uintptr_t)hp->done | 1);
    ok = ReadFile(hp->pipe, &b, 0, &got, &ov);
    if (!ok && GetLastError() == ERROR_IO_PENDING) {
        HANDLE w[2];
        w[0] = hp->wk->cancel;
        w[1] = hp->done;
        if (WaitForMultipleObjects(2, w, FALSE, INFINITE) != WAIT_OBJECT_0 + 1) {
            CancelIoEx(hp->pipe, &ov);
            /* ov must outlive the read. */
            WaitForSingleObject(hp->done, INFINITE);
            return 0;
        }
    } else if (!ok && GetLastError() == ERROR_OPERATION_ABORTED) {
        return 0; /* cancelled by CancelSynchronousIo */
    }
    wake_up(hp->wk);
    return 0;
}

static DWORD WINAPI console_main(void *arg)
{
    sel_helper *hp = (sel_helper *)arg;
    DWORD r = WaitForMultipleObjects(hp->count, hp->wait, FALSE, INFINITE);
    if (r != WAIT_OBJECT_0)
        wake_up(hp->wk);
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
    if (wk->cancel == NULL) {
        rc = call_error(GetLastError());
        closesocket(wk->s);
        wk->s = INVALID_SOCKET;
        return rc;
    }
    return 0;
}

/* Stops and joins every started helper and frees their resources. */
static void helpers_stop(sel_helper *hp, size_t n, sel_wake *wk)
{
    size_t i;
    SetEvent(wk->cancel);
    /* A pipe helper may sit in a synchronous ReadFile, which holds the
     * pipe's I/O lock: it must be gone before the caller reads. It may also
     * not have entered ReadFile yet, so cancelling once is not enough. */
    for (i = 0; i < n; i++)
        if (hp[i].thread != NULL && hp[i].pipe != NULL)
            CancelSynchronousIo(hp[i].thread);
    for (i = 0; i < n; i++) {
        if (hp[i].thread == NULL)
            continue;
        if (hp[i].pipe != NULL) {
            while (WaitForSingleObject(hp[i].thread, 1) != WAIT_OBJECT_0)
                CancelSynchronousIo(hp[i].thread);
        } else {
            WaitForSingleObject(hp[i].thread, INFINITE);
        }
        CloseHandle(hp[i].thread);
        hp[i].thread = NULL;
    }
    for (i = 0; i < n; i++)
        if (hp[i].done != NULL)
            CloseHandle(hp[i].done);
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

static int helpers_start(sel_helper *hp, HANDLE *pipes, size_t np,
                         HANDLE *cons, size_t nc, sel_wake *wk)
{
    size_t i, k = 0;
    for (i = 0; i < np; i++, k++) {
        hp[k].wk = wk;
        hp[k].pipe = pipes[i];
        hp[k].done = CreateEventW(NULL, TRUE, FALSE, NULL);
        if (hp[k].done == NULL)
            return call_error(GetLastError());
    }
    for (i = 0; i < nc; i += CON_GROUP, k++) {
        size_t j, m = nc - i < CON_GROUP ? nc - i : CON_GROUP;
        hp[k].wk = wk;
        hp[k].wait[0] = wk->cancel;
        for (j = 0; j < m; j++)
            hp[k].wait[j + 1] = cons[i + j];
        hp[k].count = (DWORD)m + 1;
    }
    for (i = 0; i < k; i++) {
        /* The helpers need little stack; reserve, do not commit, 64 KiB. */
        hp[i].thread = CreateThread(NULL, 64 * 1024,
                                    hp[i].pipe != NULL ? pipe_main : console_main,
                                    &hp[i], STACK_SIZE_PARAM_IS_A_RESERVATION,
                                    NULL);
        if (hp[i].thread == NULL)
            return call_error(GetLastError());
    }
    return 0;
}

/* The wait of one ps__select_once, after a scan found nothing ready. */
static int sel_wait(ps_pollitem *items, ps__sel_entry *e, size_t n,
                    ps__sel_sets *ss, int timeout_ms)
{
    HANDLE *hs, *pipes, *cons;
    sel_helper *hp;
    sel_wake wk;
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
    hp = (sel_helper *)calloc(nh, sizeof *hp);
    if (hp == NULL) {
        free(hs);
        return PS_ENOMEM;
    }
    rc = wake_open(&wk);
    if (rc == 0) {
        rc = helpers_start(hp, pipes, np, cons, nc, &wk);
        if (rc == 0)
            rc = ps__sel_wait_sockets(items, e, n, ss, wk.s, timeout_ms);
        helpers_stop(hp, nh, &wk);
        CloseHandle(wk.cancel);
        closesocket(wk.s);
    }
    free(hp);
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
    free(e);
    return rc;
}
