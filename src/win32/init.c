/* SPDX-License-Identifier: MIT */
/* Winsock start-up and the monotonic clock. */
#include "win32.h"

static INIT_ONCE ps__init_once = INIT_ONCE_STATIC_INIT;

/* WSAStartup(2.2). Returns 0 or the WSA error (it does not set
 * WSAGetLastError). */
static int startup(void)
{
    WSADATA wd;
    int rc = WSAStartup(MAKEWORD(2, 2), &wd);
    if (rc != 0)
        return rc;
    if (LOBYTE(wd.wVersion) != 2 || HIBYTE(wd.wVersion) != 2) {
        WSACleanup();
        return WSAVERNOTSUPPORTED;
    }
    return 0;
}

/* ps_init promises only PS_ENETDOWN or PS_ENOTSUP. */
static int startup_error(int rc)
{
    ps__set_native_error(rc);
    return rc == WSAVERNOTSUPPORTED ? PS_ENOTSUP : PS_ENETDOWN;
}

static BOOL CALLBACK init_cb(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    (void)once;
    (void)ctx;
    *(int *)param = startup();
    /* FALSE leaves the once open, so a later call tries again. */
    return *(int *)param == 0;
}

int ps__ensure_init(void)
{
    int rc = 0;
    /* The reference taken here is kept for the process lifetime, so sockets
     * stay usable whatever the application does with ps_cleanup. */
    if (InitOnceExecuteOnce(&ps__init_once, init_cb, &rc, NULL))
        return 0;
    return startup_error(rc != 0 ? rc : WSASYSNOTREADY);
}

/* ps_init references; ps_cleanup without a matching ps_init must not
 * release the reference ps__ensure_init keeps. */
static volatile LONG ps__init_refs;

int ps__platform_init(void)
{
    int rc = startup();
    if (rc != 0)
        return startup_error(rc);
    InterlockedIncrement(&ps__init_refs);
    return 0;
}

void ps__platform_cleanup(void)
{
    LONG n = ps__init_refs;
    while (n > 0) {
        LONG seen = InterlockedCompareExchange(&ps__init_refs, n - 1, n);
        if (seen == n) {
            WSACleanup();
            return;
        }
        n = seen;
    }
}

int64_t ps__monotonic_ms(void)
{
    LARGE_INTEGER c, f;
    if (QueryPerformanceFrequency(&f) && f.QuadPart > 0 &&
        QueryPerformanceCounter(&c)) {
        /* Split so counter * 1000 cannot overflow. */
        int64_t q = c.QuadPart / f.QuadPart;
        int64_t r = c.QuadPart % f.QuadPart;
        return q * 1000 + r * 1000 / f.QuadPart;
    }
    return (int64_t)GetTickCount64();
}
