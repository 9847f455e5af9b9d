/* SPDX-License-Identifier: MIT */
/* The load generators' shared part: see loadgen_common.h. */
#include "loadgen_common.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "proc_cpu.h"

const char *lg_prog = "loadgen";
void (*lg_die_hook)(void);

static uint64_t *lat; /* latencies in the window, ns */
static size_t nlat, caplat;

int64_t lg_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

_Noreturn void lg_die(const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", lg_prog, what, strerror(errno));
    if (lg_die_hook)
        lg_die_hook();
    exit(1);
}

static long arg_long(const char *s, long min, long max, const char *name)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "%s: bad %s: %s\n", lg_prog, name, s);
        exit(2);
    }
    return v;
}

void lg_parse(int argc, char **argv, int max_conns, int extra, lg_args *a)
{
    memset(a, 0, sizeof *a);
    a->busy = -1;
    a->secs = 2;
    a->host = "127.0.0.1";
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--port"))
            a->port = arg_long(v, 1, 65535, k);
        else if (!strcmp(k, "--conns"))
            a->conns = (int)arg_long(v, 1, max_conns, k);
        else if (!strcmp(k, "--busy"))
            a->busy = arg_long(v, 1, max_conns, k);
        else if (!strcmp(k, "--rate") && (extra & LG_OPT_RATE))
            a->rate = arg_long(v, 1, 10000000, k);
        else if (!strcmp(k, "--secs"))
            a->secs = (double)arg_long(v, 1, 60, k);
        else if (!strcmp(k, "--pid"))
            a->pid = v;
        else if (!strcmp(k, "--host") && (extra & LG_OPT_HOST))
            a->host = v;
        else if (!strcmp(k, "--ca") && (extra & LG_OPT_CA))
            a->ca = v;
        else {
            fprintf(stderr, "%s: unknown option %s\n", lg_prog, k);
            exit(2);
        }
    }
    if (a->busy < 0 || a->busy > a->conns)
        a->busy = a->conns;
}

void lg_raise_nofile(int conns)
{
    /* The client's sockets and the server's share the machine's limit. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
        rl.rlim_cur < (rlim_t)conns + 64) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int lg_connect(const struct sockaddr_in *to)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        lg_die("socket");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Close with a reset: tens of thousands of connections per run must
     * not leave their ports in TIME_WAIT. */
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    if (connect(fd, (const struct sockaddr *)to, sizeof *to) != 0 &&
        errno != EINPROGRESS)
        lg_die("connect");
    return fd;
}

int64_t lg_next_req(unsigned char req[LG_MSG], uint32_t *seq)
{
    ++*seq;
    memset(req, (int)(*seq & 0xff), LG_MSG);
    memcpy(req, seq, sizeof *seq);
    return lg_now_ns();
}

int lg_wait(int ep, struct epoll_event *evs, int max, int ms)
{
    int n = epoll_wait(ep, evs, max, ms);
    if (n < 0 && errno != EINTR)
        lg_die("epoll_wait");
    return n < 0 ? 0 : n;
}

int lg_setup_wait(int ep, struct epoll_event *evs, int max, int64_t end,
                  const char *what, ...)
{
    if (lg_now_ns() > end) {
        va_list ap;
        va_start(ap, what);
        fprintf(stderr, "%s: setup took too long (", lg_prog);
        vfprintf(stderr, what, ap);
        fprintf(stderr, ")\n");
        va_end(ap);
        exit(1);
    }
    return lg_wait(ep, evs, max, 100);
}

void lg_window_start(lg_window *w, double secs, const char *pid)
{
    memset(w, 0, sizeof *w);
    w->start = lg_now_ns() + LG_WARMUP_NS;
    w->end = w->start + (int64_t)(secs * 1e9);
    w->cpu0 = w->cpu1 = -1;
    w->sending = 1;
    w->pid = pid;
}

int lg_window_step(lg_window *w, long inflight)
{
    int64_t t = lg_now_ns();
    if (!w->in_window && t >= w->start) {
        w->in_window = 1;
        w->cpu0 = w->pid ? proc_cpu_s(w->pid) : -1;
    }
    if (w->sending && t >= w->end) {
        w->sending = 0;
        w->cpu1 = w->pid ? proc_cpu_s(w->pid) : -1;
    }
    return !w->sending && (inflight == 0 || t >= w->end + LG_DRAIN_NS);
}

static void record(uint64_t ns)
{
    if (nlat == caplat) {
        caplat = caplat ? caplat * 2 : 65536;
        lat = realloc(lat, caplat * sizeof *lat);
        if (!lat)
            lg_die("realloc");
    }
    lat[nlat++] = ns;
}

void lg_answered(const lg_window *w, int64_t sent_ns)
{
    int64_t done = lg_now_ns();
    if (sent_ns >= w->start && sent_ns < w->end)
        record((uint64_t)(done - sent_ns));
}

void lg_delivered(const lg_window *w, int64_t sent_ns, int64_t now_ns)
{
    if (now_ns >= w->start && now_ns < w->end)
        record((uint64_t)(now_ns - sent_ns));
}

/* The k-th smallest of a[0..n) (k < n), moving elements about: linear on
 * average, where sorting the tens of millions of latencies of a chat run
 * took seconds. */
static uint64_t kth_smallest(uint64_t *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        uint64_t pivot = a[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) {
                uint64_t t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        /* Now a[lo..j] <= pivot <= a[i..hi], and j < i. */
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return a[k];
    }
    return a[k];
}

void lg_print_result(const lg_window *w, int conns, long busy, long rate,
                     double secs, long late, long unanswered, long errors)
{
    double p50 = 0, p99 = 0;
    if (nlat > 0) {
        p50 = (double)kth_smallest(lat, nlat, nlat / 2) / 1000.0;
        p99 = (double)kth_smallest(lat, nlat, (size_t)((double)nlat * 0.99)) / 1000.0;
    }
    double cpu_us = -1;
    if (w->cpu0 >= 0 && w->cpu1 >= 0 && nlat > 0)
        cpu_us = (w->cpu1 - w->cpu0) * 1e6 / (double)nlat;
    printf("result conns=%d busy=%ld rate=%ld reqs=%zu rps=%.0f p50_us=%.1f "
           "p99_us=%.1f cpu_us_per_req=%.2f late=%ld unanswered=%ld "
           "errors=%ld\n",
           conns, busy, rate, nlat, (double)nlat / secs, p50, p99, cpu_us, late,
           unanswered, errors);
    free(lat);
    lat = NULL;
    nlat = caplat = 0;
}
