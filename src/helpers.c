/* SPDX-License-Identifier: MIT */
/* Helper threads for work a caller must not wait on: timed name lookups
 * (src/resolve.c) and ps_connector's lookup and race (src/connector.c).
 *
 * A finished helper parks for a while instead of ending, so the next job
 * starts on a thread that already exists. Why: a new thread waits for its
 * first time slice behind whatever runs on the CPU that made it (2.4 ms
 * seen from thread creation to its first system call behind a busy event
 * loop), where a parked thread is woken as any waiter is; and the start
 * itself costs tens of microseconds (bench_connector).
 *
 * Helpers park only while the library is held by ps_init, and the last
 * ps_cleanup ends the parked ones and waits for them, so a program that
 * ends after it leaves no thread behind (the valgrind leg counts every
 * block in use at exit). Without ps_init each helper ends after its job, as
 * before. A parked helper ends on its own after PARK_MS, so thread counts
 * settle soon after the work stops. Jobs that run long (an abandoned lookup
 * waiting on a dead resolver) are never waited for: they end on their own.
 */
#include "internal.h"

#include <stdlib.h>

enum {
    PARK_MS = 100,  /* how long a helper waits for its next job */
    MAX_PARKED = 8, /* more finished helpers than this end at once */
};

typedef struct helper {
    ps__latch *wake; /* set when a job is handed over or parking ends */
    /* The job to run, fn NULL when none; written under the global lock
     * while the helper is parked. */
    void (*fn)(void *arg);
    void *arg;
    int told_to_end; /* ps_cleanup ended its parking */
    struct helper *next;
} helper;

/* All under ps__global_lock. */
static struct {
    long holds; /* ps_init references: helpers park only while > 0 */
    helper *parked;
    int nparked;
    int ending;           /* helpers told to end that have not let go yet */
    ps__latch *all_ended; /* the last ps_cleanup's wait, or NULL */
} pool;

static void helper_free(helper *h)
{
    ps__latch_release(h->wake);
    ps__latch_release(h->wake);
    free(h);
}

static void unlink_parked(helper *h)
{
    helper **p = &pool.parked;
    while (*p != h)
        p = &(*p)->next;
    *p = h->next;
    pool.nparked--;
}

/* After a job: 1 with the next one in h->fn, 0 when the helper ends. */
static int park(helper *h)
{
    ps__global_lock();
    if (pool.holds == 0 || pool.nparked >= MAX_PARKED) {
        ps__global_unlock();
        return 0;
    }
    /* Nobody else waits on or sets the latch while h is not parked. */
    ps__latch_reset(h->wake);
    h->next = pool.parked;
    pool.parked = h;
    pool.nparked++;
    ps__global_unlock();

    ps__latch_wait(h->wake, PARK_MS);

    ps__global_lock();
    /* A job handed over at the moment the wait ran out is still taken;
     * one told to end is off the list, and ended_by_cleanup counts it. */
    int next = h->fn != NULL;
    if (!next && !h->told_to_end)
        unlink_parked(h); /* PARK_MS passed with no job */
    ps__global_unlock();
    return next;
}

/* The last step of a helper that ps__helpers_drop told to end, after it
 * let go of everything: as late as a detached thread can say so. */
static void ended_by_cleanup(void)
{
    ps__global_lock();
    if (--pool.ending == 0 && pool.all_ended)
        ps__latch_set(pool.all_ended);
    ps__global_unlock();
}

static void helper_main(void *arg)
{
    helper *h = arg;
    do {
        void (*fn)(void *) = h->fn;
        h->fn = NULL;
        fn(h->arg);
    } while (park(h));
    int told = h->told_to_end; /* no other thread writes it by now */
    helper_free(h);
    if (told)
        ended_by_cleanup();
}

int ps__helper_run(void (*fn)(void *arg), void *arg)
{
    ps__global_lock();
    helper *h = pool.parked;
    if (h) {
        /* PARKED -> RUNNING: off the list, the job in place, then woken. */
        pool.parked = h->next;
        pool.nparked--;
        h->fn = fn;
        h->arg = arg;
        ps__latch_set(h->wake);
    }
    ps__global_unlock();
    if (h)
        return 0;
    h = calloc(1, sizeof *h);
    if (!h)
        return PS_ENOMEM;
    int r = ps__latch_new(&h->wake);
    if (r != 0) {
        free(h);
        return r;
    }
    h->fn = fn;
    h->arg = arg;
    r = ps__thread_spawn_detached(helper_main, h);
    if (r != 0)
        helper_free(h);
    return r;
}

void ps__helpers_forget(void)
{
    /* The parked helpers' threads were not copied by fork: their records
     * stay allocated (their latches may hold a waiter that no longer
     * exists, so they cannot be destroyed), unreachable. */
    pool.parked = NULL;
    pool.nparked = 0;
    pool.ending = 0;
    pool.all_ended = NULL;
}

void ps__helpers_hold(void)
{
    ps__global_lock();
    pool.holds++;
    ps__global_unlock();
}

void ps__helpers_drop(void)
{
    ps__latch *wait = NULL;
    ps__global_lock();
    if (pool.holds > 0 && --pool.holds == 0) {
        while (pool.parked) {
            helper *h = pool.parked;
            pool.parked = h->next;
            h->told_to_end = 1;
            pool.ending++;
            ps__latch_set(h->wake);
        }
        pool.nparked = 0;
        /* One ps_cleanup waits; another reaching here meanwhile does not. */
        if (pool.ending > 0 && !pool.all_ended &&
            ps__latch_new(&pool.all_ended) == 0)
            wait = pool.all_ended;
    }
    ps__global_unlock();
    if (!wait)
        return;
    /* Each has only to leave its loop; bounded all the same. */
    ps__latch_wait(wait, 5000);
    ps__global_lock();
    pool.all_ended = NULL;
    ps__global_unlock();
    ps__latch_release(wait);
    ps__latch_release(wait);
}
