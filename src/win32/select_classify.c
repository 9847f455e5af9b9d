/* SPDX-License-Identifier: MIT */
/* ps_select on Windows: what an item is, and the non-blocking checks of
 * pipes, consoles and files. */
#include "console.h"
#include "select.h"
#include "watcher.h"

#include <io.h>
#include <stdint.h>
#include <stdlib.h>

/* _get_osfhandle on a bad fd calls the CRT's invalid-parameter handler,
 * which in the UCRT (and MSVC 2015+) ends the process. Those runtimes have
 * a per-thread handler to turn that off for the one call; the old
 * msvcrt.dll's default handler just returns. */
#if defined(_UCRT) || (defined(_MSC_VER) && _MSC_VER >= 1900)
#define PS__THREAD_IPH 1
#ifdef __MINGW32__
/* Exported by the UCRT but not declared by all MinGW-w64 headers. */
_CRTIMP
_invalid_parameter_handler __cdecl _set_thread_local_invalid_parameter_handler(
    _invalid_parameter_handler h);
#endif
static void __cdecl ignore_invalid_parameter(const wchar_t *expr,
                                             const wchar_t *func,
                                             const wchar_t *file,
                                             unsigned int line,
                                             uintptr_t reserved)
{
    (void)expr;
    (void)func;
    (void)file;
    (void)line;
    (void)reserved;
}
#endif

static HANDLE fd_handle(int fd)
{
    intptr_t h;
#ifdef PS__THREAD_IPH
    _invalid_parameter_handler old;
#endif
    if (fd < 0)
        return INVALID_HANDLE_VALUE;
#ifdef PS__THREAD_IPH
    old = _set_thread_local_invalid_parameter_handler(ignore_invalid_parameter);
#endif
    h = _get_osfhandle(fd);
#ifdef PS__THREAD_IPH
    _set_thread_local_invalid_parameter_handler(old);
#endif
    /* -2: a standard stream with no console behind it. */
    if (h == -1 || h == -2)
        return INVALID_HANDLE_VALUE;
    return (HANDLE)h;
}

static void classify_handle(HANDLE h, ps__sel_entry *e)
{
    int type = 0, len = sizeof type;
    DWORD ft, mode, nev;
    e->h = h;
    if (h == NULL || h == INVALID_HANDLE_VALUE) {
        e->cls = PS__SEL_INVALID;
        return;
    }
    /* A socket passed as a HANDLE or wrapped in a CRT fd: GetFileType would
     * call it a pipe. */
    if (getsockopt((SOCKET)h, SOL_SOCKET, SO_TYPE, (char *)&type, &len) == 0) {
        e->cls = PS__SEL_SOCKET;
        e->s = (SOCKET)h;
        return;
    }
    SetLastError(NO_ERROR);
    ft = GetFileType(h);
    switch (ft & ~(DWORD)FILE_TYPE_REMOTE) {
    case FILE_TYPE_DISK:
        e->cls = PS__SEL_READY;
        break;
    case FILE_TYPE_CHAR:
        if (!GetConsoleMode(h, &mode))
            e->cls = PS__SEL_READY; /* NUL, a serial port, ... */
        else if (GetNumberOfConsoleInputEvents(h, &nev))
            e->cls = PS__SEL_CONIN;
        else
            e->cls = PS__SEL_CONOUT;
        break;
    case FILE_TYPE_PIPE:
        e->cls = PS__SEL_PIPE;
        break;
    default:
        /* Unknown with an error: a closed or bogus handle. Unknown without
         * one: some other object (an event, a process); reading or writing
         * it fails at once, so it is reported ready like a device. */
        e->cls = GetLastError() != NO_ERROR ? PS__SEL_INVALID : PS__SEL_READY;
        break;
    }
}

void ps__sel_classify(const ps_pollitem *it, ps__sel_entry *e)
{
    e->no_except = 0;
    e->s = INVALID_SOCKET;
    e->h = NULL;
    switch (it->kind) {
    case PS_KIND_SOCKET:
        e->s = (SOCKET)it->sock;
        /* Anything else that is no socket is found by select(). */
        e->cls = e->s == INVALID_SOCKET ? PS__SEL_INVALID : PS__SEL_SOCKET;
        break;
    case PS_KIND_FD:
        classify_handle(fd_handle(it->fd), e);
        break;
    default:
        classify_handle((HANDLE)it->handle, e);
        break;
    }
}

unsigned ps__sel_check_other(const ps_pollitem *it, ps__sel_entry *e)
{
    unsigned ev = it->events & (PS_POLL_READ | PS_POLL_WRITE);
    switch (e->cls) {
    case PS__SEL_READY:
        return ev;
    case PS__SEL_PIPE:
        return ps__pipe_check(e->h, ev);
    case PS__SEL_CONIN:
        return ps__conin_check(e->h, ev);
    case PS__SEL_CONOUT:
        return ev & PS_POLL_WRITE;
    case PS__SEL_INVALID:
    default:
        return PS_POLL_INVALID;
    }
}

int ps__sel_needs_helper(const ps_pollitem *it, const ps__sel_entry *e)
{
    return (e->cls == PS__SEL_PIPE || e->cls == PS__SEL_CONIN) &&
           (it->events & PS_POLL_READ);
}
