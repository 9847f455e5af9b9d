/* SPDX-License-Identifier: MIT */
/* psnc_sys.h on Windows. Sockets are not C runtime fds here, so none can
 * take fd 0-2; but a closed standard input must still read as empty
 * rather than fail. */
#include "psnc_sys.h"

#include <fcntl.h>
#include <io.h>
#include <signal.h>
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

void psnc_sys_std_open(void)
{
    fill(0, STD_INPUT_HANDLE, _O_RDONLY);
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
