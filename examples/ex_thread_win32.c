/* SPDX-License-Identifier: MIT */
#define WIN32_LEAN_AND_MEAN
#include "ex_thread.h"

#include <process.h>
#include <stdlib.h>
#include <windows.h>

struct ex_thread {
    HANDLE h;
    void (*fn)(void *);
    void *arg;
};

struct ex_mutex {
    CRITICAL_SECTION cs;
};

/* _beginthreadex rather than CreateThread: the thread uses the C runtime. */
static unsigned __stdcall trampoline(void *p)
{
    ex_thread *t = p;
    t->fn(t->arg);
    return 0;
}

int ex_thread_start(ex_thread **out, void (*fn)(void *arg), void *arg)
{
    ex_thread *t = malloc(sizeof *t);
    *out = NULL;
    if (!t)
        return -1;
    t->fn = fn;
    t->arg = arg;
    uintptr_t h = _beginthreadex(NULL, 0, trampoline, t, 0, NULL);
    if (h == 0) {
        free(t);
        return -1;
    }
    t->h = (HANDLE)h;
    *out = t;
    return 0;
}

void ex_thread_join(ex_thread *t)
{
    WaitForSingleObject(t->h, INFINITE);
    CloseHandle(t->h);
    free(t);
}

int ex_mutex_create(ex_mutex **out)
{
    ex_mutex *m = malloc(sizeof *m);
    *out = NULL;
    if (!m)
        return -1;
    InitializeCriticalSection(&m->cs);
    *out = m;
    return 0;
}

void ex_mutex_lock(ex_mutex *m) { EnterCriticalSection(&m->cs); }
void ex_mutex_unlock(ex_mutex *m) { LeaveCriticalSection(&m->cs); }

void ex_mutex_destroy(ex_mutex *m)
{
    DeleteCriticalSection(&m->cs);
    free(m);
}
