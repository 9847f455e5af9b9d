/* SPDX-License-Identifier: MIT */
/* minicrit on POSIX (the self-test, and the ThreadSanitizer leg, where
 * Criterion cannot start): a watchdog thread enforces .timeout; a helper
 * thread's failure ends the process. */
#define _POSIX_C_SOURCE 200809L
#include "mc_platform.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct mc_watch {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct timespec end;
    int done;
};

void mc_platform_init(void) {}

static void *watchdog(void *arg)
{
    struct mc_watch *w = arg;
    int timed_out = 0;
    pthread_mutex_lock(&w->mu);
    while (!w->done && !timed_out)
        timed_out = pthread_cond_timedwait(&w->cv, &w->mu, &w->end) ==
                    ETIMEDOUT;
    pthread_mutex_unlock(&w->mu);
    if (timed_out) {
        fprintf(stderr, "[FAIL] %s::%s: Timed out\n", mc_current->suite,
                mc_current->name);
        fprintf(stderr, "[====] Synthesis: aborted by timeout\n");
        fflush(NULL);
        _exit(1);
    }
    return NULL;
}

void *mc_watch_start(double seconds)
{
    struct mc_watch *w;
    if (seconds <= 0 || (w = calloc(1, sizeof *w)) == NULL)
        return NULL;
    pthread_mutex_init(&w->mu, NULL);
    /* The realtime clock: macOS has no pthread_condattr_setclock, and a
     * watchdog may be off by a clock step. */
    pthread_cond_init(&w->cv, NULL);
    clock_gettime(CLOCK_REALTIME, &w->end);
    w->end.tv_sec += (time_t)seconds;
    w->end.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
    if (w->end.tv_nsec >= 1000000000L) {
        w->end.tv_sec++;
        w->end.tv_nsec -= 1000000000L;
    }
    if (pthread_create(&w->thread, NULL, watchdog, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return NULL;
    }
    return w;
}

void mc_watch_stop(void *watch)
{
    struct mc_watch *w = watch;
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

void mc_end_helper_thread(void)
{
    fprintf(stderr, "[FAIL] helper thread cannot unwind; exiting\n");
    exit(1);
}
