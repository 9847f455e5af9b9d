/* SPDX-License-Identifier: MIT */
/* A tiny thread and mutex helper for the examples, so their sources need no
 * platform #ifdefs: ex_thread_posix.c (pthreads) or ex_thread_win32.c
 * (Win32 threads), chosen by the build. */
#ifndef PS_EXAMPLE_THREAD_H
#define PS_EXAMPLE_THREAD_H

typedef struct ex_thread ex_thread;
typedef struct ex_mutex ex_mutex;

/* Starts fn(arg) on a new thread; 0 on success, -1 on failure. */
int ex_thread_start(ex_thread **out, void (*fn)(void *arg), void *arg);
/* Waits for the thread to end and frees it. */
void ex_thread_join(ex_thread *t);

/* 0 on success, -1 on failure. */
int ex_mutex_create(ex_mutex **out);
void ex_mutex_lock(ex_mutex *m);
void ex_mutex_unlock(ex_mutex *m);
void ex_mutex_destroy(ex_mutex *m);

#endif
