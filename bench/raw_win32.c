/* SPDX-License-Identifier: MIT */
#include "raw.h"

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <process.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

long raw_send(ps_socket_t s, const void *buf, size_t len)
{
    return send((SOCKET)s, buf, (int)len, 0);
}

long raw_recv(ps_socket_t s, void *buf, size_t len)
{
    return recv((SOCKET)s, buf, (int)len, 0);
}

/* Winsock's fd_set is a counted array: allocated larger than FD_SETSIZE it
 * holds any number of sockets. */
int raw_wait_readable(const ps_socket_t *socks, size_t n, int timeout_ms)
{
    fd_set *set = malloc(sizeof(fd_set) + n * sizeof(SOCKET));
    if (!set)
        return -1;
    set->fd_count = (u_int)n;
    for (size_t i = 0; i < n; i++)
        set->fd_array[i] = (SOCKET)socks[i];
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    int r = select(0, set, NULL, NULL, timeout_ms < 0 ? NULL : &tv);
    free(set);
    return r;
}

long raw_sendto(ps_socket_t s, const void *buf, size_t len, const ps_addr *to)
{
    return sendto((SOCKET)s, buf, (int)len, 0,
                  (const struct sockaddr *)(const void *)to->storage.bytes,
                  (int)to->len);
}

long raw_recvfrom(ps_socket_t s, void *buf, size_t cap)
{
    struct sockaddr_storage from;
    int len = sizeof from;
    return recvfrom((SOCKET)s, buf, (int)cap, 0, (struct sockaddr *)&from, &len);
}

/* Winsock has no sendmmsg / recvmmsg. */
int raw_has_mmsg(void)
{
    return 0;
}

int raw_sendmmsg(ps_socket_t s, void *const *bufs, size_t len, size_t n,
                 const ps_addr *to)
{
    (void)s, (void)bufs, (void)len, (void)n, (void)to;
    return -1;
}

int raw_recvmmsg(ps_socket_t s, void *const *bufs, size_t cap, size_t n,
                 size_t *lens)
{
    (void)s, (void)bufs, (void)cap, (void)n, (void)lens;
    return -1;
}

int raw_set_rcvbuf(ps_socket_t s, int bytes)
{
    int v = 0, len = sizeof v;
    (void)setsockopt((SOCKET)s, SOL_SOCKET, SO_RCVBUF, (const char *)&bytes,
                     sizeof bytes);
    return getsockopt((SOCKET)s, SOL_SOCKET, SO_RCVBUF, (char *)&v, &len) == 0
               ? v
               : -1;
}

int64_t raw_thread_cpu_ns(void)
{
    FILETIME c, e, k, u;
    if (!GetThreadTimes(GetCurrentThread(), &c, &e, &k, &u))
        return -1;
    uint64_t kt = ((uint64_t)k.dwHighDateTime << 32) | k.dwLowDateTime;
    uint64_t ut = ((uint64_t)u.dwHighDateTime << 32) | u.dwLowDateTime;
    return (int64_t)(kt + ut) * 100; /* 100 ns units */
}

int64_t raw_now_ns(void)
{
    static LARGE_INTEGER freq;
    LARGE_INTEGER now;
    if (freq.QuadPart == 0)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&now);
    return (int64_t)((double)now.QuadPart * 1e9 / (double)freq.QuadPart);
}

const char *raw_platform(void)
{
    static char name[64];
    /* Wine's ntdll exports wine_get_version; Windows' does not. */
    typedef const char *(__cdecl *version_fn)(void);
    HMODULE ntdll = GetModuleHandleA("ntdll.dll");
    FARPROC p = ntdll ? GetProcAddress(ntdll, "wine_get_version") : NULL;
    if (name[0] == '\0') {
        if (p) {
            version_fn fn;
            memcpy(&fn, &p, sizeof fn);
            snprintf(name, sizeof name, "Windows build under Wine %s", fn());
        } else {
            snprintf(name, sizeof name, "Windows");
        }
    }
    return name;
}

struct raw_thread {
    HANDLE h;
    void (*fn)(void *);
    void *arg;
};

static unsigned __stdcall thread_main(void *p)
{
    raw_thread *t = p;
    t->fn(t->arg);
    return 0;
}

raw_thread *raw_thread_start(void (*fn)(void *arg), void *arg)
{
    raw_thread *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    t->fn = fn;
    t->arg = arg;
    uintptr_t h = _beginthreadex(NULL, 0, thread_main, t, 0, NULL);
    if (h == 0) {
        free(t);
        return NULL;
    }
    t->h = (HANDLE)h;
    return t;
}

void raw_thread_join(raw_thread *t)
{
    WaitForSingleObject(t->h, INFINITE);
    CloseHandle(t->h);
    free(t);
}

struct raw_child {
    PROCESS_INFORMATION pi;
};

raw_child *raw_spawn_self(const char *argv0, const char *const *args)
{
    (void)argv0; /* Windows names the running executable itself. */
    wchar_t exe[MAX_PATH * 4];
    DWORD n = GetModuleFileNameW(NULL, exe, (DWORD)(sizeof exe / sizeof exe[0]));
    if (n == 0 || n >= sizeof exe / sizeof exe[0])
        return NULL;
    /* "exe" arg arg...; the benchmark's arguments are plain words. */
    size_t cap = wcslen(exe) + 3;
    for (size_t i = 0; args[i]; i++)
        cap += strlen(args[i]) + 1;
    wchar_t *cmd = malloc((cap + 1) * sizeof *cmd);
    raw_child *c = calloc(1, sizeof *c);
    if (!cmd || !c) {
        free(cmd);
        free(c);
        return NULL;
    }
    size_t used = 0;
    cmd[used++] = L'"';
    for (size_t i = 0; exe[i]; i++)
        cmd[used++] = exe[i];
    cmd[used++] = L'"';
    for (size_t i = 0; args[i]; i++) {
        cmd[used++] = L' ';
        for (const char *p = args[i]; *p; p++)
            cmd[used++] = (wchar_t)(unsigned char)*p;
    }
    cmd[used] = L'\0';
    STARTUPINFOW si;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    BOOL ok = CreateProcessW(exe, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &c->pi);
    free(cmd);
    if (!ok) {
        free(c);
        return NULL;
    }
    CloseHandle(c->pi.hThread);
    return c;
}

int raw_child_wait(raw_child *c)
{
    DWORD code = (DWORD)-1;
    int r = -1;
    if (WaitForSingleObject(c->pi.hProcess, INFINITE) == WAIT_OBJECT_0 &&
        GetExitCodeProcess(c->pi.hProcess, &code))
        r = (int)code;
    CloseHandle(c->pi.hProcess);
    free(c);
    return r;
}

int raw_resolve_text(const char *host, char *buf, size_t cap)
{
    struct addrinfo hints, *res, *ai;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (cap > 0)
        buf[0] = '\0';
    if (ps_init() != 0)
        return -1;
    if (getaddrinfo(host, NULL, &hints, &res) != 0) {
        ps_cleanup();
        return -1;
    }
    size_t used = 0;
    for (ai = res; ai; ai = ai->ai_next) {
        char text[NI_MAXHOST];
        if (getnameinfo(ai->ai_addr, (socklen_t)ai->ai_addrlen, text, sizeof text, NULL,
                        0, NI_NUMERICHOST) != 0)
            continue;
        int w = snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", text);
        if (w < 0 || (size_t)w >= cap - used)
            break;
        used += (size_t)w;
    }
    freeaddrinfo(res);
    ps_cleanup();
    return 0;
}

void raw_sleep_ms(int ms)
{
    Sleep((DWORD)ms);
}

struct raw_pipe {
    HANDLE rd, wr;
};

raw_pipe *raw_pipe_open(ps_pollitem *read_end)
{
    raw_pipe *p = malloc(sizeof *p);
    if (!p || !CreatePipe(&p->rd, &p->wr, NULL, 0)) {
        free(p);
        return NULL;
    }
    memset(read_end, 0, sizeof *read_end);
    read_end->kind = PS_KIND_HANDLE;
    read_end->handle = p->rd;
    read_end->events = PS_POLL_READ;
    return p;
}

long raw_pipe_write(raw_pipe *p, const void *buf, size_t len)
{
    DWORD n;
    return WriteFile(p->wr, buf, (DWORD)len, &n, NULL) ? (long)n : -1;
}

long raw_pipe_read(raw_pipe *p, void *buf, size_t len)
{
    DWORD n;
    return ReadFile(p->rd, buf, (DWORD)len, &n, NULL) ? (long)n : -1;
}

void raw_pipe_close(raw_pipe *p)
{
    CloseHandle(p->rd);
    CloseHandle(p->wr);
    free(p);
}

/* Only Linux pins (raw.h). */
int raw_cpus_allowed(void)
{
    return 0;
}

int raw_pin_thread(int slot)
{
    (void)slot;
    return -1;
}
