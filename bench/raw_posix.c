/* SPDX-License-Identifier: MIT */
#ifdef __linux__
/* sched_getaffinity, pthread_setaffinity_np, CPU_*: _GNU_SOURCE comes
 * from bench/CMakeLists.txt. */
#include <sched.h>
#endif
#include "raw.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

long raw_send(ps_socket_t s, const void *buf, size_t len)
{
    return (long)send(s, buf, len, MSG_NOSIGNAL);
}

long raw_recv(ps_socket_t s, void *buf, size_t len)
{
    return (long)recv(s, buf, len, 0);
}

int raw_wait_readable(const ps_socket_t *socks, size_t n, int timeout_ms)
{
    struct pollfd *p = malloc(n * sizeof *p);
    if (!p)
        return -1;
    for (size_t i = 0; i < n; i++) {
        p[i].fd = socks[i];
        p[i].events = POLLIN;
        p[i].revents = 0;
    }
    int r = poll(p, (nfds_t)n, timeout_ms);
    free(p);
    return r;
}

int64_t raw_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const char *raw_platform(void)
{
    static char name[sizeof(((struct utsname *)0)->sysname) + 16];
    struct utsname u;
    if (name[0] == '\0')
        snprintf(name, sizeof name, "%s (native build)", uname(&u) == 0 ? u.sysname : "POSIX");
    return name;
}

struct raw_thread {
    pthread_t id;
    void (*fn)(void *);
    void *arg;
};

static void *thread_main(void *p)
{
    raw_thread *t = p;
    t->fn(t->arg);
    return NULL;
}

raw_thread *raw_thread_start(void (*fn)(void *arg), void *arg)
{
    raw_thread *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    t->fn = fn;
    t->arg = arg;
    if (pthread_create(&t->id, NULL, thread_main, t) != 0) {
        free(t);
        return NULL;
    }
    return t;
}

void raw_thread_join(raw_thread *t)
{
    pthread_join(t->id, NULL);
    free(t);
}

struct raw_child {
    pid_t pid;
};

raw_child *raw_spawn_self(const char *argv0, const char *const *args)
{
    /* Linux names the running executable here; elsewhere argv[0] serves
     * (a bare name is looked up in PATH by posix_spawnp, as the shell did). */
    const char *exe = access("/proc/self/exe", X_OK) == 0 ? "/proc/self/exe" : argv0;
    size_t n = 0;
    while (args[n])
        n++;
    char **argv = calloc(n + 2, sizeof *argv);
    raw_child *c = malloc(sizeof *c);
    if (!argv || !c) {
        free(argv);
        free(c);
        return NULL;
    }
    argv[0] = (char *)argv0;
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = (char *)args[i];
    int r = posix_spawnp(&c->pid, exe, NULL, NULL, argv, environ);
    free(argv);
    if (r != 0) {
        free(c);
        return NULL;
    }
    return c;
}

int raw_child_wait(raw_child *c)
{
    int status;
    pid_t r;
    while ((r = waitpid(c->pid, &status, 0)) < 0 && errno == EINTR)
        ;
    free(c);
    if (r < 0 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

int raw_resolve_text(const char *host, char *buf, size_t cap)
{
    struct addrinfo hints, *res, *ai;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (cap > 0)
        buf[0] = '\0';
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return -1;
    size_t used = 0;
    for (ai = res; ai; ai = ai->ai_next) {
        char text[NI_MAXHOST];
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, text, sizeof text, NULL, 0,
                        NI_NUMERICHOST) != 0)
            continue;
        int w = snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", text);
        if (w < 0 || (size_t)w >= cap - used)
            break;
        used += (size_t)w;
    }
    freeaddrinfo(res);
    return 0;
}

long raw_sendto(ps_socket_t s, const void *buf, size_t len, const ps_addr *to)
{
    return (long)sendto(s, buf, len, MSG_NOSIGNAL,
                        (const struct sockaddr *)(const void *)to->storage.bytes,
                        (socklen_t)to->len);
}

long raw_recvfrom(ps_socket_t s, void *buf, size_t cap)
{
    struct sockaddr_storage from;
    socklen_t len = sizeof from;
    return (long)recvfrom(s, buf, cap, 0, (struct sockaddr *)&from, &len);
}

#ifdef __linux__
int raw_has_mmsg(void)
{
    return 1;
}

/* n (at most 64) headers of one buffer each, of len bytes. */
static unsigned fill_mmsg(struct mmsghdr *mm, struct iovec *iov,
                          void *const *bufs, size_t len, size_t n)
{
    if (n > 64)
        n = 64;
    memset(mm, 0, n * sizeof *mm);
    for (size_t i = 0; i < n; i++) {
        iov[i].iov_base = bufs[i];
        iov[i].iov_len = len;
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    return (unsigned)n;
}

int raw_sendmmsg(ps_socket_t s, void *const *bufs, size_t len, size_t n,
                 const ps_addr *to)
{
    struct mmsghdr mm[64];
    struct iovec iov[64];
    unsigned k = fill_mmsg(mm, iov, bufs, len, n);
    for (unsigned i = 0; i < k; i++) {
        mm[i].msg_hdr.msg_name = (void *)(uintptr_t)to->storage.bytes;
        mm[i].msg_hdr.msg_namelen = (socklen_t)to->len;
    }
    return sendmmsg(s, mm, k, MSG_NOSIGNAL);
}

int raw_recvmmsg(ps_socket_t s, void *const *bufs, size_t cap, size_t n,
                 size_t *lens)
{
    struct mmsghdr mm[64];
    struct iovec iov[64];
    struct sockaddr_storage from[64];
    unsigned k = fill_mmsg(mm, iov, bufs, cap, n);
    for (unsigned i = 0; i < k; i++) {
        mm[i].msg_hdr.msg_name = &from[i];
        mm[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    int r = recvmmsg(s, mm, k, MSG_WAITFORONE, NULL);
    for (int i = 0; i < r; i++)
        lens[i] = mm[i].msg_len;
    return r;
}
#else
int raw_has_mmsg(void)
{
    return 0;
}

int raw_sendmmsg(ps_socket_t s, void *const *bufs, size_t len, size_t n,
                 const ps_addr *to)
{
    (void)s, (void)bufs, (void)len, (void)n, (void)to;
    return -1;
}

int raw_recvmmsg(ps_socket_t s, void *const *bufs, size_t cap, size_t n,
                 size_t *lens)
{
    (void)s, (void)bufs, (void)cap, (void)n, (void)lens;
    return -1;
}
#endif

int raw_set_rcvbuf(ps_socket_t s, int bytes)
{
    int v = 0;
    socklen_t len = sizeof v;
    /* Past net.core.rmem_max only as root (CAP_NET_ADMIN): else capped. */
#ifdef SO_RCVBUFFORCE
    if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
#endif
        (void)setsockopt(s, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    return getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0 ? v : -1;
}

int64_t raw_thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return -1;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void raw_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

struct raw_pipe {
    int fd[2];
};

raw_pipe *raw_pipe_open(ps_pollitem *read_end)
{
    raw_pipe *p = malloc(sizeof *p);
    if (!p || pipe(p->fd) != 0) {
        free(p);
        return NULL;
    }
    memset(read_end, 0, sizeof *read_end);
    read_end->kind = PS_KIND_FD;
    read_end->fd = p->fd[0];
    read_end->events = PS_POLL_READ;
    return p;
}

long raw_pipe_write(raw_pipe *p, const void *buf, size_t len)
{
    return (long)write(p->fd[1], buf, len);
}

long raw_pipe_read(raw_pipe *p, void *buf, size_t len)
{
    return (long)read(p->fd[0], buf, len);
}

void raw_pipe_close(raw_pipe *p)
{
    close(p->fd[0]);
    close(p->fd[1]);
    free(p);
}

#ifdef __linux__
/* The CPUs the process may use, as the first call saw them: a pinned
 * thread's own mask (which new threads inherit) is a single CPU. */
static cpu_set_t allowed;
static int allowed_known = -1;

static int allowed_cpus(void)
{
    if (allowed_known < 0)
        allowed_known = sched_getaffinity(0, sizeof allowed, &allowed) == 0;
    return allowed_known;
}

int raw_cpus_allowed(void)
{
    return allowed_cpus() ? CPU_COUNT(&allowed) : 0;
}

int raw_pin_thread(int slot)
{
    cpu_set_t one;
    if (slot < 0 || !allowed_cpus())
        return -1;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &allowed) || slot-- > 0)
            continue;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        return pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0
                   ? 0
                   : -1;
    }
    return -1;
}
#else
int raw_cpus_allowed(void)
{
    return 0;
}

int raw_pin_thread(int slot)
{
    (void)slot;
    return -1;
}
#endif
