/* SPDX-License-Identifier: MIT */
/* psnc_sys.h on Windows. Sockets are not C runtime fds here, so none can
 * take fd 0-2; but a closed standard input must still read as empty
 * rather than fail, and an input pipe whose state cannot be observed is
 * relayed through one that can. */
#include "psnc_sys.h"

#include <fcntl.h>
#include <io.h>
#include <signal.h>
#include <stdint.h>
#include <winsock2.h>
#include <windows.h>

/* Whether the standard handle is missing or closed. Wine started with fd 0
 * closed has opened a directory of its own there, which becomes standard
 * input: a disk handle whose every read, even of 0 bytes, fails with
 * ERROR_INVALID_FUNCTION. */
static int closed_handle(DWORD std)
{
    HANDLE h = GetStdHandle(std);
    DWORD ft, got;
    char none;
    if (h == NULL || h == INVALID_HANDLE_VALUE)
        return 1;
    SetLastError(NO_ERROR);
    ft = GetFileType(h);
    if (ft == FILE_TYPE_UNKNOWN && GetLastError() != NO_ERROR)
        return 1;
    /* Only a disk file: a 0-byte read of a pipe waits for data. */
    return std == STD_INPUT_HANDLE && ft == FILE_TYPE_DISK &&
           !ReadFile(h, &none, 0, &got, NULL) &&
           GetLastError() == ERROR_INVALID_FUNCTION;
}

/* NUL on the C runtime's fd when its standard handle is closed. */
static void fill(int fd, DWORD std, int flags)
{
    if (!closed_handle(std))
        return;
    int nul = _open("NUL", flags | _O_BINARY);
    if (nul >= 0 && nul != fd) {
        _dup2(nul, fd);
        _close(nul);
    }
}

/* Wine gives a program started from a Unix process the Unix pipe as a
 * pipe handle that PeekNamedPipe refuses (ERROR_NOT_SUPPORTED) and whose
 * zero-byte reads return at once, so no one can tell whether it holds
 * data: ps_select reports it readable, and psnc's read then waits for
 * input while socket data waits for psnc. Windows' own pipes can always
 * be peeked (a writer gone fails with its own error). */
/* A socket is a FILE_TYPE_PIPE that refuses PeekNamedPipe too, but
 * ps_select watches it as a socket. */
static int is_socket(HANDLE h)
{
    WSADATA wsa;
    int type = 0, len = sizeof type, rc;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
        return 0;
    rc = getsockopt((SOCKET)h, SOL_SOCKET, SO_TYPE, (char *)&type, &len);
    WSACleanup();
    return rc == 0;
}

static int unwatchable_pipe(HANDLE h)
{
    DWORD avail, err;
    if (GetFileType(h) != FILE_TYPE_PIPE ||
        PeekNamedPipe(h, NULL, 0, NULL, &avail, NULL))
        return 0;
    err = GetLastError();
    return (err == ERROR_NOT_SUPPORTED || err == ERROR_INVALID_FUNCTION) &&
           !is_socket(h);
}

typedef struct relay {
    HANDLE from, to;
} relay;

/* Copies the original input into the pipe psnc reads; closing the pipe
 * at the end (or on an error) is psnc's end of input. A full pipe holds
 * the copy back: it reads at most a pipe buffer and a chunk ahead. */
static DWORD WINAPI relay_main(void *arg)
{
    relay *r = (relay *)arg;
    static char buf[16384];
    DWORD got, put = 0, off;
    BOOL ok = TRUE;
    while (ok && ReadFile(r->from, buf, sizeof buf, &got, NULL) && got > 0)
        for (off = 0; ok && off < got; off += put)
            ok = WriteFile(r->to, buf + off, got - off, &put, NULL);
    CloseHandle(r->to);
    CloseHandle(r->from);
    return 0;
}

/* Replaces such an input by a Windows pipe fed by a helper thread. Any
 * step that fails leaves the input as it was. */
static void relay_input(void)
{
    static relay r;
    HANDLE self = GetCurrentProcess(), in = GetStdHandle(STD_INPUT_HANDLE);
    HANDLE rd, th;
    int fd;
    if (in == NULL || in == INVALID_HANDLE_VALUE || !unwatchable_pipe(in))
        return;
    /* Our own copy: _dup2 below closes fd 0's handle. */
    if (!DuplicateHandle(self, in, self, &r.from, 0, FALSE,
                         DUPLICATE_SAME_ACCESS))
        return;
    if (!CreatePipe(&rd, &r.to, NULL, 0)) {
        CloseHandle(r.from);
        return;
    }
    fd = _open_osfhandle((intptr_t)rd, _O_RDONLY | _O_BINARY);
    if (fd < 0 || _dup2(fd, 0) != 0) {
        if (fd >= 0)
            _close(fd);
        else
            CloseHandle(rd);
        CloseHandle(r.to);
        CloseHandle(r.from);
        return;
    }
    _close(fd);
    SetStdHandle(STD_INPUT_HANDLE, (HANDLE)_get_osfhandle(0));
    th = CreateThread(NULL, 64 * 1024, relay_main, &r,
                      STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
    if (th == NULL) {
        /* The original input back on fd 0. */
        CloseHandle(r.to);
        fd = _open_osfhandle((intptr_t)r.from, _O_RDONLY | _O_BINARY);
        if (fd >= 0 && _dup2(fd, 0) == 0)
            SetStdHandle(STD_INPUT_HANDLE, (HANDLE)_get_osfhandle(0));
        if (fd >= 0)
            _close(fd);
        else
            CloseHandle(r.from);
        return;
    }
    CloseHandle(th);
}

void psnc_sys_std_open(void)
{
    fill(0, STD_INPUT_HANDLE, _O_RDONLY);
    relay_input();
    fill(1, STD_OUTPUT_HANDLE, _O_RDONLY); /* writes fail, as before */
    fill(2, STD_ERROR_HANDLE, _O_WRONLY);
}

static volatile sig_atomic_t caught;

static void on_stop(int sig)
{
    caught = sig;
}

void psnc_sys_catch_stop(void)
{
    signal(SIGINT, on_stop);
    signal(SIGTERM, on_stop);
}

void psnc_sys_stop_file(const char *path)
{
    (void)path; /* psnc's waits remove it when they see the signal */
}

int psnc_sys_signal(void)
{
    return caught;
}
