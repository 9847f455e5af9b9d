/* SPDX-License-Identifier: MIT */
/* Fault injection on POSIX systems. See fault_support.h. */
#ifdef __linux__
#define _GNU_SOURCE /* SIGEV_THREAD_ID, SIOCOUTQNSD */
#endif
#include "fault_support.h"
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
/* glibc's <sys/ioctl.h> brings the kernel's name; musl's headers (and
 * Debian's musl-gcc, which does not see the kernel's) lack it. The value is
 * the kernel's ABI, the same on every architecture (linux/sockios.h). */
#ifndef SIOCOUTQNSD
#define SIOCOUTQNSD 0x894B
#endif
#endif

/* ---- The signal storm ---- */

static atomic_long storm_hits;
static int storm_on;
static struct sigaction storm_old_action;
static sigset_t storm_old_mask;

#ifdef __linux__
/* glibc before 2.35 has no name for the target thread's field. */
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif
static timer_t storm_timer;
#else
static pthread_t storm_thread, storm_target;
static long storm_period_us;
static atomic_int storm_run;

static void *storm_main(void *arg)
{
    (void)arg;
    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &alrm, NULL);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (atomic_load(&storm_run)) {
        pthread_kill(storm_target, SIGALRM);
        next.tv_nsec += storm_period_us * 1000L;
        while (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        struct timespec now, rel;
        clock_gettime(CLOCK_MONOTONIC, &now);
        rel.tv_sec = next.tv_sec - now.tv_sec;
        rel.tv_nsec = next.tv_nsec - now.tv_nsec;
        if (rel.tv_nsec < 0) {
            rel.tv_nsec += 1000000000L;
            rel.tv_sec--;
        }
        if (rel.tv_sec >= 0)
            nanosleep(&rel, NULL);
    }
    return NULL;
}
#endif

static void on_alarm(int sig)
{
    int saved = errno;
    (void)sig;
    atomic_fetch_add(&storm_hits, 1);
    errno = saved;
}

int pst_storm_start(long period_us)
{
    struct sigaction sa;
    sigset_t alrm;
    if (storm_on || period_us <= 0 || period_us >= 1000000)
        return -1;
    atomic_store(&storm_hits, 0);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: blocking calls fail with EINTR */
    if (sigaction(SIGALRM, &sa, &storm_old_action) != 0)
        return -1;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    pthread_sigmask(SIG_UNBLOCK, &alrm, &storm_old_mask);
#ifdef __linux__
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGALRM;
    ev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
    int ok = timer_create(CLOCK_MONOTONIC, &ev, &storm_timer) == 0;
    if (ok) {
        struct itimerspec it;
        it.it_interval.tv_sec = 0;
        it.it_interval.tv_nsec = period_us * 1000L;
        it.it_value = it.it_interval;
        if (timer_settime(storm_timer, 0, &it, NULL) != 0) {
            timer_delete(storm_timer);
            ok = 0;
        }
    }
#else
    storm_target = pthread_self();
    storm_period_us = period_us;
    atomic_store(&storm_run, 1);
    int ok = pthread_create(&storm_thread, NULL, storm_main, NULL) == 0;
#endif
    if (!ok) {
        pthread_sigmask(SIG_SETMASK, &storm_old_mask, NULL);
        sigaction(SIGALRM, &storm_old_action, NULL);
        return -1;
    }
    storm_on = 1;
    return 0;
}

long pst_storm_count(void)
{
    return atomic_load(&storm_hits);
}

long pst_storm_stop(void)
{
    if (!storm_on)
        return atomic_load(&storm_hits);
#ifdef __linux__
    timer_delete(storm_timer);
#else
    atomic_store(&storm_run, 0);
    pthread_join(storm_thread, NULL);
#endif
    /* A signal sent before the timer went may still be pending: take it
     * while the handler is in place, not after the default (which ends the
     * process) is back. */
    sigset_t alrm, pending;
    int sig;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &alrm, NULL);
    while (sigpending(&pending) == 0 && sigismember(&pending, SIGALRM) == 1)
        sigwait(&alrm, &sig);
    sigaction(SIGALRM, &storm_old_action, NULL);
    pthread_sigmask(SIG_SETMASK, &storm_old_mask, NULL);
    storm_on = 0;
    return atomic_load(&storm_hits);
}

/* ---- Sockets ---- */

int pst_linger_reset(ps_socket_t s)
{
    struct linger l;
    l.l_onoff = 1;
    l.l_linger = 0;
    return setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l) == 0 ? 0 : -1;
}

long pst_unread_bytes(ps_socket_t s)
{
    int n = 0;
    return ioctl(s, FIONREAD, &n) == 0 ? (long)n : -1;
}

long pst_unsent_bytes(ps_socket_t s)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(s, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_UNIX)
        return 0;
#ifdef SIOCOUTQNSD
    int n = 0;
    if (ioctl(s, SIOCOUTQNSD, &n) == 0)
        return (long)n;
#endif
    return -1;
}

/* ---- Descriptors ---- */

long pst_fd_limit_spare(int spare)
{
    struct rlimit rl;
    if (spare < 0 || getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    long cur = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)INT_MAX
                   ? INT_MAX
                   : (long)rl.rlim_cur;
    int seen = 0;
    for (long fd = 0; fd < cur; fd++) {
        if (fcntl((int)fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        if (seen == spare)
            return pst_set_fd_limit(fd);
        seen++;
    }
    return -1;
}
