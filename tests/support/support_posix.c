/* SPDX-License-Identifier: MIT */
/* Test helpers for POSIX systems (Linux, macOS). See support.h. */
#include "support.h"

#include <criterion/criterion.h>

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct pst_thread {
    pthread_t id;
    void (*fn)(void *arg);
    void *arg;
};

static void *pst_trampoline(void *p)
{
    pst_thread *t = (pst_thread *)p;
    t->fn(t->arg);
    return NULL;
}

pst_thread *pst_thread_start(void (*fn)(void *arg), void *arg)
{
    pst_thread *t = (pst_thread *)calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->fn = fn;
    t->arg = arg;
    if (pthread_create(&t->id, NULL, pst_trampoline, t) != 0) {
        free(t);
        return NULL;
    }
    return t;
}

void pst_thread_join(pst_thread *t)
{
    if (!t)
        return;
    pthread_join(t->id, NULL);
    free(t);
}

void pst_sleep_ms(int ms)
{
    struct timespec req, rem;
    if (ms <= 0)
        return;
    req.tv_sec = ms / 1000;
    req.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&req, &rem) != 0 && errno == EINTR)
        req = rem;
}

int64_t pst_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int pst_is_windows(void)
{
    return 0;
}

int pst_under_wine(void)
{
    return 0;
}

int pst_resolver_reads_gai_conf(void)
{
#ifdef __GLIBC__
    return 1;
#else
    return 0;
#endif
}

long pst_raise_fd_limit(long want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < want) {
        rlim_t target = (rlim_t)want;
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < target)
            target = rl.rlim_max;
        rl.rlim_cur = target;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0 ||
            getrlimit(RLIMIT_NOFILE, &rl) != 0)
            return -1;
    }
    if (rl.rlim_cur == RLIM_INFINITY)
        return want;
    return (long)rl.rlim_cur;
}

long pst_set_fd_limit(long soft)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    long old = rl.rlim_cur == RLIM_INFINITY ? LONG_MAX : (long)rl.rlim_cur;
    rl.rlim_cur = soft == LONG_MAX ? RLIM_INFINITY : (rlim_t)soft;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
        return -1;
    return setrlimit(RLIMIT_NOFILE, &rl) == 0 ? old : -1;
}

int pst_pipe(int fds[2])
{
    return pipe(fds);
}

long pst_fd_write(int fd, const void *buf, size_t len)
{
    return (long)write(fd, buf, len);
}

long pst_fd_read(int fd, void *buf, size_t len)
{
    return (long)read(fd, buf, len);
}

int pst_fd_close(int fd)
{
    return close(fd);
}

void pst_temp_path(char *buf, size_t cap, const char *tag)
{
    /* Short enough for sun_path (104 bytes on macOS); unique per process and
     * call. mkstemp reserves the name, which is then removed so the caller
     * can bind or create it. */
    static unsigned counter;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    char name[96];
    unsigned n;
    int fd;

    pthread_mutex_lock(&lock);
    n = counter++;
    pthread_mutex_unlock(&lock);
    snprintf(name, sizeof name, "/tmp/ps-%.16s-%ld-%u-XXXXXX", tag ? tag : "t",
             (long)getpid(), n);
    fd = mkstemp(name);
    if (fd >= 0) {
        close(fd);
        unlink(name);
    }
    snprintf(buf, cap, "%s", name);
}

int pst_remove(const char *path)
{
    return unlink(path);
}

static long count_dir_entries(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

long pst_open_handle_count(void)
{
    /* The directory stream's own descriptor is counted while it is open. */
    long n = count_dir_entries("/proc/self/fd");
    if (n < 0)
        n = count_dir_entries("/dev/fd");
    return n < 0 ? -1 : n - 1;
}

long pst_thread_count(void)
{
    return count_dir_entries("/proc/self/task");
}

long pst_thread_ids(unsigned long *ids, long cap)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    long n = 0;
    struct dirent *e;
    while (n < cap && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            ids[n++] = strtoul(e->d_name, NULL, 10);
    closedir(d);
    return n;
}

int pst_fork_run(int (*fn)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        _exit(fn() & 0xff);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

long pst_process_cpu_ms(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return (long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
           (long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

int pst_native_error_for(const char *condition)
{
#define E(name)     \
    {               \
#name, name \
    }
    static const struct {
        const char *name;
        int code;
    } codes[] = {
        E(EINVAL),
        E(EFAULT),
        E(EDESTADDRREQ),
        E(EISCONN),
        E(ENAMETOOLONG),
        E(EBADF),
        E(ENOTSOCK),
        E(ENOMEM),
        E(ENOBUFS),
        E(EWOULDBLOCK),
        E(EAGAIN),
        E(EINPROGRESS),
        E(EALREADY),
        E(ETIMEDOUT),
        E(ECONNREFUSED),
        E(ECONNRESET),
        E(ENETRESET),
        E(ECONNABORTED),
        E(EPIPE),
        E(ESHUTDOWN),
        E(ENOTCONN),
        E(EADDRINUSE),
        E(EADDRNOTAVAIL),
        E(ENOENT),
        E(ENOTDIR),
        E(ELOOP),
        E(EAFNOSUPPORT),
        E(EPFNOSUPPORT),
        E(EPROTONOSUPPORT),
        E(ESOCKTNOSUPPORT),
        E(EPROTOTYPE),
        E(EHOSTUNREACH),
        E(EHOSTDOWN),
        E(ENETUNREACH),
        E(ENETDOWN),
        E(EMSGSIZE),
        E(EMFILE),
        E(ENFILE),
        E(EACCES),
        E(EPERM),
        E(EOPNOTSUPP),
        E(ENOPROTOOPT),
        /* Only Windows has these. */
        {"WSANOTINITIALISED", 0},
        {"WSASYSNOTREADY", 0},
        {"WSAVERNOTSUPPORTED", 0},
        {"ERROR_INVALID_HANDLE", 0},
        {"WSAHOST_NOT_FOUND", 0},
        {"WSATRY_AGAIN", 0},
    };
#undef E
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(codes[i].name, condition) == 0)
            return codes[i].code;
    return -1;
}

int pst_socket_inheritable(ps_socket_t s)
{
    int flags = fcntl(s, F_GETFD);
    return flags < 0 ? -1 : (flags & FD_CLOEXEC) == 0;
}

int pst_is_linux(void)
{
#ifdef __linux__
    return 1;
#else
    return 0;
#endif
}
