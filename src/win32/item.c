/* SPDX-License-Identifier: MIT */
/* Windows: ps_item_read / ps_item_write. An item is classified as
 * ps_select classifies it; sockets go through the socket layer, consoles
 * through console.c, pipes and files through ReadFile / WriteFile on the
 * handle (an fd's through _get_osfhandle: binary, no C runtime text mode).
 *
 * A read of a pipe or console covered by a READ report (reported.c) is
 * checked first, so that a read racing another reader for the same data
 * returns PS_EWOULDBLOCK instead of waiting. Such pipe reads are serialized, so
 * two of them cannot both see the same byte and one of them wait. */
#include "console.h"
#include "select.h"
#include "watcher.h"

static SRWLOCK reported_read_lock = SRWLOCK_INIT;

int ps__item_handles(void)
{
    return 1;
}

static int file_error(DWORD err, int writing)
{
    ps__set_native_error((int)err);
    switch (err) {
    case ERROR_INVALID_HANDLE:
    case ERROR_ACCESS_DENIED: /* not open for this direction: EBADF too */
        return PS_EBADF;
    case ERROR_BROKEN_PIPE:
    case ERROR_NO_DATA:
    case ERROR_PIPE_NOT_CONNECTED:
        /* A reader gone; for a read, ERROR_NO_DATA is a non-blocking pipe
         * with nothing in it (the rest are end of input, handled before). */
        return writing ? PS_EPIPE : PS_EWOULDBLOCK;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
    case ERROR_NO_SYSTEM_RESOURCES:
        return PS_ENOMEM;
    case ERROR_INVALID_PARAMETER:
        return PS_EINVAL;
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL:
        return PS_ENOMEM;
    default:
        return PS_EUNKNOWN;
    }
}

/* One ReadFile / WriteFile. A pipe may have been opened for overlapped
 * I/O, where a call without an OVERLAPPED is refused; with one (its event
 * tagged so no completion port the caller associated gets a packet) both
 * kinds of handle work, and the wait makes it one blocking call. Files are
 * not given one: its offset would replace the file position. */
static BOOL transfer(HANDLE h, int pipe, void *buf, DWORD n, DWORD *done,
                     int writing)
{
    OVERLAPPED ov;
    HANDLE ev;
    BOOL ok;
    DWORD err = 0;
    *done = 0;
    if (!pipe)
        return writing ? WriteFile(h, buf, n, done, NULL)
                       : ReadFile(h, buf, n, done, NULL);
    ev = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (ev == NULL)
        return FALSE;
    ZeroMemory(&ov, sizeof ov);
    ov.hEvent = (HANDLE)((uintptr_t)ev | 1);
    ok = writing ? WriteFile(h, buf, n, done, &ov)
                 : ReadFile(h, buf, n, done, &ov);
    if (!ok && GetLastError() == ERROR_IO_PENDING) {
        WaitForSingleObject(ev, INFINITE);
        ok = GetOverlappedResult(h, &ov, done, FALSE);
    }
    if (!ok)
        err = GetLastError();
    CloseHandle(ev);
    SetLastError(err);
    return ok;
}

/* One read of a pipe or file. */
static int read_handle(const ps__sel_entry *e, void *buf, size_t cap,
                       size_t *got)
{
    DWORD done = 0, err;
    if (transfer(e->h, e->cls == PS__SEL_PIPE, buf, (DWORD)cap, &done, 0)) {
        *got = done;
        return 0;
    }
    err = GetLastError();
    switch (err) {
    case ERROR_BROKEN_PIPE:        /* the writer is gone */
    case ERROR_PIPE_NOT_CONNECTED: /* the client of a server end left */
    case ERROR_HANDLE_EOF:
        ps__reported_forget(e->h); /* the end: no report will follow */
        return 0;
    case ERROR_MORE_DATA: /* a message pipe: the rest comes next */
        *got = done;
        return 0;
    default:
        if (err == ERROR_INVALID_HANDLE)
            ps__reported_forget(e->h);
        return file_error(err, 0);
    }
}

/* A reported pipe: empty with its writer open is PS_EWOULDBLOCK. A pipe
 * that cannot be peeked is read as any other (it may wait). */
static int read_reported_pipe(const ps__sel_entry *e, void *buf, size_t cap,
                              size_t *got)
{
    DWORD avail = 0;
    int rc;
    AcquireSRWLockExclusive(&reported_read_lock);
    rc = ps__pipe_peek_unwatched(e->h, &avail);
    if (rc == 1 || (rc == 0 && avail == 0)) {
        ReleaseSRWLockExclusive(&reported_read_lock);
        return PS_EWOULDBLOCK;
    }
    if (avail == 0) { /* the peek failed: end of input, or no peeking */
        ReleaseSRWLockExclusive(&reported_read_lock);
        return read_handle(e, buf, cap, got);
    }
    rc = read_handle(e, buf, cap, got);
    ReleaseSRWLockExclusive(&reported_read_lock);
    return rc;
}

int ps__item_read(const ps_pollitem *item, void *buf, size_t cap, size_t *got)
{
    ps__sel_entry e;
    ps__sel_classify(item, &e);
    switch (e.cls) {
    case PS__SEL_SOCKET:
        return ps__recv_once((ps_socket_t)e.s, buf, cap, got, PS__IO_BLOCK);
    case PS__SEL_CONIN:
        return ps__conin_read(e.h, buf, cap, got, ps__reported_take(e.h));
    case PS__SEL_INVALID:
    case PS__SEL_CONOUT: /* a screen buffer is not read this way */
        return PS_EBADF;
    case PS__SEL_PIPE:
        if (ps__reported_take(e.h))
            return read_reported_pipe(&e, buf, cap, got);
        break;
    default:
        break;
    }
    return read_handle(&e, buf, cap, got);
}

int ps__item_write(const ps_pollitem *item, const void *buf, size_t len,
                   size_t *sent)
{
    ps__sel_entry e;
    DWORD done = 0;
    char none = 0;
    if (buf == NULL)
        buf = &none; /* len is 0: the system wants a buffer all the same */
    ps__sel_classify(item, &e);
    switch (e.cls) {
    case PS__SEL_SOCKET:
        return ps__send_once((ps_socket_t)e.s, buf, len, sent, PS__IO_BLOCK);
    case PS__SEL_CONOUT:
        return ps__conout_write(e.h, buf, len, sent);
    case PS__SEL_INVALID:
    case PS__SEL_CONIN: /* an input buffer takes no bytes */
        return PS_EBADF;
    default:
        break;
    }
    if (!transfer(e.h, e.cls == PS__SEL_PIPE, (void *)(uintptr_t)buf,
                  (DWORD)len, &done, 1))
        return file_error(GetLastError(), 1);
    /* A full PIPE_NOWAIT pipe takes nothing and reports success. */
    if (done == 0 && len > 0 && e.cls == PS__SEL_PIPE)
        return PS_EWOULDBLOCK;
    *sent = done;
    return 0;
}
