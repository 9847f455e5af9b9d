/* SPDX-License-Identifier: MIT */
/* POSIX: detached threads and a latch with a timed wait (pthreads). */
#include "posix.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

struct ps__latch {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int set;
    int refs;
};

int ps__latch_new(ps__latch **out)
{
    ps__latch *l = calloc(1, sizeof *l);
    if (!l)
        return PS_ENOMEM;
    pthread_condattr_t ca;
    int err = pthread_condattr_init(&ca);
    if (err == 0) {
#ifndef __APPLE__
        /* Timed waits on the deadline clock, immune to wall-clock steps
         * (macOS has no such attribute; it waits with a relative time). */
        err = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
#endif
        /* cppcheck-suppress identicalInnerCondition ; macOS lacks the setclock above */
        if (err == 0)
            err = pthread_cond_init(&l->cv, &ca);
        pthread_condattr_destroy(&ca);
    }
    if (err == 0) {
        err = pthread_mutex_init(&l->mu, NULL);
        if (err != 0)
            pthread_cond_destroy(&l->cv);
    }
    if (err != 0) {
        free(l);
        ps__set_native_error(err);
        return PS_ENOMEM;
    }
    l->refs = 2;
    *out = l;
    return 0;
}

int ps__latch_set(ps__latch *l)
{
    pthread_mutex_lock(&l->mu);
    int first = !l->set;
    l->set = 1;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    return first;
}

/* One wait of at most until end_ms on the monotonic clock. */
static void wait_until(ps__latch *l, int64_t end_ms)
{
    int64_t left = end_ms - ps__monotonic_ms();
    if (left <= 0)
        return;
#ifdef __APPLE__
    struct timespec rel = {(time_t)(left / 1000),
                           (long)(left % 1000) * 1000000L};
    pthread_cond_timedwait_relative_np(&l->cv, &l->mu, &rel);
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(left / 1000);
    ts.tv_nsec += (long)(left % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&l->cv, &l->mu, &ts);
#endif
}

int ps__latch_wait(ps__latch *l, int timeout_ms)
{
    int64_t end = timeout_ms < 0 ? 0 : ps__monotonic_ms() + timeout_ms;
    pthread_mutex_lock(&l->mu);
    while (!l->set) {
        if (timeout_ms < 0)
            pthread_cond_wait(&l->cv, &l->mu);
        else if (ps__monotonic_ms() < end)
            wait_until(l, end);
        else
            break;
    }
    int set = l->set;
    pthread_mutex_unlock(&l->mu);
    return set;
}

int ps__latch_release(ps__latch *l)
{
    pthread_mutex_lock(&l->mu);
    int left = --l->refs;
    pthread_mutex_unlock(&l->mu);
    if (left > 0)
        return 0;
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
    free(l);
    return 1;
}

void ps__latch_reset(ps__latch *l)
{
    pthread_mutex_lock(&l->mu);
    l->set = 0;
    pthread_mutex_unlock(&l->mu);
}

static pthread_mutex_t global = PTHREAD_MUTEX_INITIALIZER;

void ps__global_lock(void)
{
    pthread_mutex_lock(&global);
}

void ps__global_unlock(void)
{
    pthread_mutex_unlock(&global);
}

static atomic_int running; /* detached threads not yet ended */

/* fork copies only the calling thread: the child must not hand jobs to
 * parked helpers that are not there, nor count threads it does not run.
 * The global lock is held across the fork so the pool is copied whole. */
static void fork_prepare(void)
{
    pthread_mutex_lock(&global);
}

static void fork_parent(void)
{
    pthread_mutex_unlock(&global);
}

static void fork_child(void)
{
    ps__helpers_forget();
    atomic_store(&running, 0);
    pthread_mutex_unlock(&global);
}

static void watch_forks(void)
{
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

typedef struct start {
    void (*fn)(void *arg);
    void *arg;
} start;

static void *run(void *p)
{
    start s = *(start *)p;
    free(p);
    s.fn(s.arg);
    atomic_fetch_sub(&running, 1);
    return NULL;
}

int ps__thread_spawn_detached(void (*fn)(void *arg), void *arg)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, watch_forks);
    if (atomic_fetch_add(&running, 1) >= PS__MAX_DETACHED) {
        atomic_fetch_sub(&running, 1);
        return PS_ENOMEM;
    }
    start *s = malloc(sizeof *s);
    if (!s) {
        atomic_fetch_sub(&running, 1);
        return PS_ENOMEM;
    }
    s->fn = fn;
    s->arg = arg;
    pthread_attr_t at;
    int err = pthread_attr_init(&at);
    if (err == 0) {
        err = pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        /* The new thread inherits the mask: the application's signals keep
         * going to its own threads, never to a resolver helper. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        pthread_t t;
        if (err == 0)
            err = pthread_create(&t, &at, run, s);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&at);
    }
    if (err != 0) {
        free(s);
        atomic_fetch_sub(&running, 1);
        ps__set_native_error(err);
        return PS_ENOMEM;
    }
    return 0;
}

struct ps__mutex {
    pthread_mutex_t mu;
};

int ps__mutex_new(ps__mutex **out)
{
    ps__mutex *m = malloc(sizeof *m);
    if (!m)
        return PS_ENOMEM;
    int err = pthread_mutex_init(&m->mu, NULL);
    if (err != 0) {
        free(m);
        ps__set_native_error(err);
        return PS_ENOMEM;
    }
    *out = m;
    return 0;
}

void ps__mutex_free(ps__mutex *m)
{
    pthread_mutex_destroy(&m->mu);
    free(m);
}

void ps__mutex_lock(ps__mutex *m)
{
    pthread_mutex_lock(&m->mu);
}

void ps__mutex_unlock(ps__mutex *m)
{
    pthread_mutex_unlock(&m->mu);
}

long ps__atomic_swap(volatile long *a, long v)
{
    /* The compilers POSIX builds use (gcc, clang) have these builtins;
     * lock-free for a long, so a signal handler may call it. */
    return __atomic_exchange_n(a, v, __ATOMIC_ACQ_REL);
}

long ps__atomic_load(volatile long *a)
{
    return __atomic_load_n(a, __ATOMIC_ACQUIRE);
}
