/* SPDX-License-Identifier: MIT */
/* Test helpers for Windows (MinGW-w64, also under Wine). See support.h. */
#include "support.h"

#include <criterion/criterion.h>

#include <windows.h>
#include <tlhelp32.h>

#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pst_thread {
    HANDLE h;
    void (*fn)(void *arg);
    void *arg;
};

static DWORD WINAPI pst_trampoline(LPVOID p)
{
    pst_thread *t = (pst_thread *)p;
    t->fn(t->arg);
    return 0;
}

pst_thread *pst_thread_start(void (*fn)(void *arg), void *arg)
{
    pst_thread *t = (pst_thread *)calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->fn = fn;
    t->arg = arg;
    t->h = CreateThread(NULL, 0, pst_trampoline, t, 0, NULL);
    if (!t->h) {
        free(t);
        return NULL;
    }
    return t;
}

void pst_thread_join(pst_thread *t)
{
    if (!t)
        return;
    WaitForSingleObject(t->h, INFINITE);
    CloseHandle(t->h);
    free(t);
}

void pst_sleep_ms(int ms)
{
    if (ms > 0)
        Sleep((DWORD)ms);
}

/* QueryPerformanceCounter, as the library uses: GetTickCount64 moves in
 * ~16 ms steps, which made waits look shorter than they were. */
int64_t pst_now_ms(void)
{
    static LARGE_INTEGER freq;
    LARGE_INTEGER now;
    if (freq.QuadPart == 0)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&now);
    return (int64_t)(now.QuadPart / freq.QuadPart * 1000 +
                     now.QuadPart % freq.QuadPart * 1000 / freq.QuadPart);
}

int pst_is_windows(void)
{
    return 1;
}

int pst_under_wine(void)
{
    HMODULE ntdll = GetModuleHandleA("ntdll.dll");
    return ntdll && GetProcAddress(ntdll, "wine_get_version") != NULL;
}

int pst_resolver_reads_gai_conf(void)
{
    return 1;
}

long pst_raise_fd_limit(long want)
{
    return want;
}

long pst_set_fd_limit(long soft)
{
    (void)soft;
    return -1;
}

int pst_pipe(int fds[2])
{
    return _pipe(fds, 65536, _O_BINARY);
}

long pst_fd_write(int fd, const void *buf, size_t len)
{
    return (long)_write(fd, buf, (unsigned)len);
}

long pst_fd_read(int fd, void *buf, size_t len)
{
    return (long)_read(fd, buf, (unsigned)len);
}

int pst_fd_close(int fd)
{
    return _close(fd);
}

void pst_temp_path(char *buf, size_t cap, const char *tag)
{
    /* AF_UNIX on Windows takes paths up to 108 bytes, so keep it short. */
    static volatile LONG counter;
    char dir[MAX_PATH + 1];
    DWORD n = GetTempPathA((DWORD)sizeof dir, dir);
    LONG c = InterlockedIncrement(&counter);
    if (n == 0 || n >= sizeof dir)
        snprintf(dir, sizeof dir, ".\\");
    snprintf(buf, cap, "%sps-%.16s-%lu-%ld", dir, tag ? tag : "t",
             (unsigned long)GetCurrentProcessId(), (long)c);
}

int pst_remove(const char *path)
{
    return DeleteFileA(path) ? 0 : -1;
}

long pst_open_handle_count(void)
{
    DWORD n = 0;
    /* Wine answers 0: no count rather than a wrong one. */
    return GetProcessHandleCount(GetCurrentProcess(), &n) && n > 0 ? (long)n
                                                                   : -1;
}

/* Counts the process's threads, filling the ids of up to cap of them. */
static long snapshot_threads(unsigned long *ids, long cap)
{
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
    THREADENTRY32 te;
    DWORD self = GetCurrentProcessId();
    long n = 0;
    if (snap == INVALID_HANDLE_VALUE)
        return -1;
    te.dwSize = sizeof te;
    if (Thread32First(snap, &te)) {
        do {
            if (te.th32OwnerProcessID == self) {
                if (n < cap)
                    ids[n] = te.th32ThreadID;
                n++;
            }
            te.dwSize = sizeof te;
        } while (Thread32Next(snap, &te));
    }
    CloseHandle(snap);
    return n;
}

long pst_thread_count(void)
{
    return snapshot_threads(NULL, 0);
}

long pst_thread_ids(unsigned long *ids, long cap)
{
    long n = snapshot_threads(ids, cap);
    return n > cap ? cap : n;
}

int pst_fork_run(int (*fn)(void))
{
    (void)fn;
    return -1;
}

long pst_process_cpu_ms(void)
{
    FILETIME c, e, k, u;
    ULARGE_INTEGER kk, uu;
    if (!GetProcessTimes(GetCurrentProcess(), &c, &e, &k, &u))
        return -1;
    kk.LowPart = k.dwLowDateTime;
    kk.HighPart = k.dwHighDateTime;
    uu.LowPart = u.dwLowDateTime;
    uu.HighPart = u.dwHighDateTime;
    return (long)((kk.QuadPart + uu.QuadPart) / 10000); /* 100 ns units */
}

int pst_native_error_for(const char *condition)
{
    /* The Winsock code for the same condition as the POSIX errno name. */
    static const struct {
        const char *name;
        int code;
    } codes[] = {
        {"EINVAL", WSAEINVAL},
        {"EFAULT", WSAEFAULT},
        {"EDESTADDRREQ", WSAEDESTADDRREQ},
        {"EISCONN", WSAEISCONN},
        {"ENAMETOOLONG", WSAENAMETOOLONG},
        {"EBADF", WSAEBADF},
        {"ENOTSOCK", WSAENOTSOCK},
        {"ENOMEM", ERROR_NOT_ENOUGH_MEMORY},
        {"ENOBUFS", WSAENOBUFS},
        {"EWOULDBLOCK", WSAEWOULDBLOCK},
        {"EAGAIN", WSAEWOULDBLOCK},
        {"EINPROGRESS", WSAEINPROGRESS},
        {"EALREADY", WSAEALREADY},
        {"ETIMEDOUT", WSAETIMEDOUT},
        {"ECONNREFUSED", WSAECONNREFUSED},
        {"ECONNRESET", WSAECONNRESET},
        {"ENETRESET", WSAENETRESET},
        {"ECONNABORTED", WSAECONNABORTED},
        /* A send after shutdown: Winsock has no EPIPE. */
        {"EPIPE", WSAESHUTDOWN},
        {"ESHUTDOWN", WSAESHUTDOWN},
        {"ENOTCONN", WSAENOTCONN},
        {"EADDRINUSE", WSAEADDRINUSE},
        {"EADDRNOTAVAIL", WSAEADDRNOTAVAIL},
        /* File-system path errors have no Winsock code. */
        {"ENOENT", 0},
        {"ENOTDIR", 0},
        {"ELOOP", WSAELOOP},
        {"EAFNOSUPPORT", WSAEAFNOSUPPORT},
        {"EPFNOSUPPORT", WSAEPFNOSUPPORT},
        {"EPROTONOSUPPORT", WSAEPROTONOSUPPORT},
        {"ESOCKTNOSUPPORT", WSAESOCKTNOSUPPORT},
        {"EPROTOTYPE", WSAEPROTOTYPE},
        {"EHOSTUNREACH", WSAEHOSTUNREACH},
        {"EHOSTDOWN", WSAEHOSTDOWN},
        {"ENETUNREACH", WSAENETUNREACH},
        {"ENETDOWN", WSAENETDOWN},
        {"EMSGSIZE", WSAEMSGSIZE},
        {"EMFILE", WSAEMFILE},
        {"ENFILE", 0},
        {"EACCES", WSAEACCES},
        {"EPERM", 0},
        {"EOPNOTSUPP", WSAEOPNOTSUPP},
        {"ENOPROTOOPT", WSAENOPROTOOPT},
        {"WSANOTINITIALISED", WSANOTINITIALISED},
        {"WSASYSNOTREADY", WSASYSNOTREADY},
        {"WSAVERNOTSUPPORTED", WSAVERNOTSUPPORTED},
        {"ERROR_INVALID_HANDLE", ERROR_INVALID_HANDLE},
        {"WSAHOST_NOT_FOUND", WSAHOST_NOT_FOUND},
        {"WSATRY_AGAIN", WSATRY_AGAIN},
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(codes[i].name, condition) == 0)
            return codes[i].code;
    return -1;
}

int pst_socket_inheritable(ps_socket_t s)
{
    DWORD flags = 0;
    if (!GetHandleInformation((HANDLE)(uintptr_t)s, &flags))
        return -1;
    return (flags & HANDLE_FLAG_INHERIT) != 0;
}

int pst_is_linux(void)
{
    return 0;
}
