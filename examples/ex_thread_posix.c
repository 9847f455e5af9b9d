/* SPDX-License-Identifier: MIT */
#include "ex_thread.h"

#include <pthread.h>
#include <stdlib.h>

struct ex_thread {
    pthread_t id;
    void (*fn)(void *);
    void *arg;
};

struct ex_mutex {
    pthread_mutex_t m;
};

static void *trampoline(void *p)
{
    ex_thread *t = p;
    t->fn(t->arg);
    return NULL;
}

int ex_thread_start(ex_thread **out, void (*fn)(void *arg), void *arg)
{
    ex_thread *t = malloc(sizeof *t);
    *out = NULL;
    if (!t)
        return -1;
    t->fn = fn;
    t->arg = arg;
    if (pthread_create(&t->id, NULL, trampoline, t) != 0) {
        free(t);
        return -1;
    }
    *out = t;
    return 0;
}

void ex_thread_join(ex_thread *t)
{
    pthread_join(t->id, NULL);
    free(t);
}

int ex_mutex_create(ex_mutex **out)
{
    ex_mutex *m = malloc(sizeof *m);
    *out = NULL;
    if (!m)
        return -1;
    if (pthread_mutex_init(&m->m, NULL) != 0) {
        free(m);
        return -1;
    }
    *out = m;
    return 0;
}

void ex_mutex_lock(ex_mutex *m) { pthread_mutex_lock(&m->m); }
void ex_mutex_unlock(ex_mutex *m) { pthread_mutex_unlock(&m->m); }

void ex_mutex_destroy(ex_mutex *m)
{
    pthread_mutex_destroy(&m->m);
    free(m);
}
