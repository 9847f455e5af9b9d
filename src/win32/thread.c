/* SPDX-License-Identifier: MIT */
/* Windows: detached threads and a latch with a timed wait (SRW lock and
 * condition variable, which need no destruction). */
#include "win32.h"

#include <process.h>
#include <stdlib.h>

struct ps__latch {
    SRWLOCK lock;
    CONDITION_VARIABLE cv;
    int set;
    int refs;
};

int ps__latch_new(ps__latch **out)
{
    ps__latch *l = (ps__latch *)calloc(1, sizeof *l);
    if (!l)
        return PS_ENOMEM;
    InitializeSRWLock(&l->lock);
    InitializeConditionVariable(&l->cv);
    l->refs = 2;
    *out = l;
    return 0;
}

int ps__latch_set(ps__latch *l)
{
    AcquireSRWLockExclusive(&l->lock);
    int first = !l->set;
    l->set = 1;
    WakeAllConditionVariable(&l->cv);
    ReleaseSRWLockExclusive(&l->lock);
    return first;
}

int ps__latch_wait(ps__latch *l, int timeout_ms)
{
    int64_t end = timeout_ms < 0 ? 0 : ps__monotonic_ms() + timeout_ms;
    AcquireSRWLockExclusive(&l->lock);
    while (!l->set) {
        int64_t left = timeout_ms < 0 ? -1 : end - ps__monotonic_ms();
        if (timeout_ms >= 0 && left <= 0)
            break;
        /* Wakes early on spurious wake-ups or a timeout: the loop checks. */
        SleepConditionVariableSRW(&l->cv, &l->lock,
                                  left < 0 ? INFINITE : (DWORD)left, 0);
    }
    int set = l->set;
    ReleaseSRWLockExclusive(&l->lock);
    return set;
}

int ps__latch_release(ps__latch *l)
{
    AcquireSRWLockExclusive(&l->lock);
    int left = --l->refs;
    ReleaseSRWLockExclusive(&l->lock);
    if (left > 0)
        return 0;
    free(l);
    return 1;
}

void ps__latch_reset(ps__latch *l)
{
    AcquireSRWLockExclusive(&l->lock);
    l->set = 0;
    ReleaseSRWLockExclusive(&l->lock);
}

static SRWLOCK global = SRWLOCK_INIT;

void ps__global_lock(void)
{
    AcquireSRWLockExclusive(&global);
}

void ps__global_unlock(void)
{
    ReleaseSRWLockExclusive(&global);
}

typedef struct start {
    void (*fn)(void *arg);
    void *arg;
} start;

static volatile LONG running; /* detached threads not yet ended */

static unsigned __stdcall run(void *p)
{
    start s = *(start *)p;
    free(p);
    s.fn(s.arg);
    InterlockedDecrement(&running);
    return 0;
}

int ps__thread_spawn_detached(void (*fn)(void *arg), void *arg)
{
    if (InterlockedIncrement(&running) > PS__MAX_DETACHED) {
        InterlockedDecrement(&running);
        return PS_ENOMEM;
    }
    start *s = (start *)malloc(sizeof *s);
    if (!s) {
        InterlockedDecrement(&running);
        return PS_ENOMEM;
    }
    s->fn = fn;
    s->arg = arg;
    /* _beginthreadex, not CreateThread: the thread uses the C runtime. */
    uintptr_t h = _beginthreadex(NULL, 0, run, s, 0, NULL);
    if (h == 0) {
        ps__set_native_error((int)GetLastError());
        free(s);
        InterlockedDecrement(&running);
        return PS_ENOMEM;
    }
    CloseHandle((HANDLE)h);
    return 0;
}

struct ps__mutex {
    SRWLOCK lock;
};

int ps__mutex_new(ps__mutex **out)
{
    ps__mutex *m = (ps__mutex *)malloc(sizeof *m);
    if (!m)
        return PS_ENOMEM;
    InitializeSRWLock(&m->lock);
    *out = m;
    return 0;
}

void ps__mutex_free(ps__mutex *m)
{
    free(m);
}

void ps__mutex_lock(ps__mutex *m)
{
    AcquireSRWLockExclusive(&m->lock);
}

void ps__mutex_unlock(ps__mutex *m)
{
    ReleaseSRWLockExclusive(&m->lock);
}

long ps__atomic_swap(volatile long *a, long v)
{
    return InterlockedExchange(a, v);
}

long ps__atomic_load(volatile long *a)
{
    /* A full barrier, as every Interlocked call: more than acquire. */
    return InterlockedCompareExchange(a, 0, 0);
}
