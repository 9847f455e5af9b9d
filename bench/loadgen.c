/* SPDX-License-Identifier: MIT */
/* Load generator for the echo benchmarks (Linux only: epoll, timerfd,
 * /proc). Opens N loopback connections to an echo server, then for a
 * bounded time sends 64-byte requests and waits for their 64-byte echoes:
 *   --busy K    K of the N connections each keep one request in flight
 *               (closed loop; K = N by default);
 *   --rate R    instead, R requests per second in total, paced by a timer,
 *               each on the next connection that has none in flight.
 * Prints one line: requests/s, p50/p99 latency (each request timed from
 * its send to the last byte of its echo) and, with --pid, the server's CPU
 * time per request over the measured window (several processes may be
 * named: under Wine the server's work is partly done by the wineserver).
 *
 * loadgen --port P --conns N [--busy K | --rate R] [--secs S] [--pid PID,...]
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "proc_cpu.h"

#define MSG 64
#define MAX_CONNS 20000
#define CONNECT_BATCH 256      /* connects in flight at once */
#define PRIME_BATCH 1000       /* first round trips in flight at once */
#define WARMUP_NS 300000000LL  /* run, unrecorded, before the window */
#define DRAIN_NS 1000000000LL  /* wait this long for echoes after it */
#define SETUP_NS 60000000000LL /* connecting and priming, at most */

enum { C_CONNECTING, C_IDLE, C_WAIT };

typedef struct conn {
    int fd;
    int state;
    int got;
    uint32_t seq;
    int64_t sent_ns;
    unsigned char req[MSG];
    unsigned char resp[MSG];
} conn;

static conn *conns;
static int nconns;
static int ep;
static uint64_t *lat;     /* latencies in the window, ns */
static size_t nlat, caplat;
static long errors;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static _Noreturn void die(const char *what)
{
    fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void record(uint64_t ns)
{
    if (nlat == caplat) {
        caplat = caplat ? caplat * 2 : 65536;
        lat = realloc(lat, caplat * sizeof *lat);
        if (!lat)
            die("realloc");
    }
    lat[nlat++] = ns;
}

static void set_events(conn *c, uint32_t ev)
{
    struct epoll_event e = {.events = ev, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e) != 0)
        die("epoll_ctl");
}

/* Sends the connection's next request; 64 bytes always fit an idle
 * loopback socket's buffer, so a short send is an error. */
static int send_req(conn *c)
{
    c->seq++;
    memset(c->req, (int)(c->seq & 0xff), MSG);
    memcpy(c->req, &c->seq, sizeof c->seq);
    c->sent_ns = now_ns();
    c->got = 0;
    ssize_t n = send(c->fd, c->req, MSG, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n != MSG) {
        errors++;
        return -1;
    }
    c->state = C_WAIT;
    return 0;
}

/* Reads what is there of the echo; 1 when it is complete. */
static int read_resp(conn *c)
{
    ssize_t n = recv(c->fd, c->resp + c->got, (size_t)(MSG - c->got), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (n <= 0) {
        fprintf(stderr, "loadgen: connection %d: %s\n", (int)(c - conns),
                n == 0 ? "closed by the server" : strerror(errno));
        exit(1);
    }
    c->got += (int)n;
    if (c->got < MSG)
        return 0;
    if (memcmp(c->req, c->resp, MSG) != 0) {
        fprintf(stderr, "loadgen: wrong echo on connection %d\n", (int)(c - conns));
        exit(1);
    }
    c->state = C_IDLE;
    return 1;
}

static int start_connect(conn *c, const struct sockaddr_in *to)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        die("socket");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Close with a reset: tens of thousands of connections per run must
     * not leave their ports in TIME_WAIT. */
    struct linger lg = {1, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    c->state = C_CONNECTING;
    if (connect(c->fd, (const struct sockaddr *)to, sizeof *to) != 0 &&
        errno != EINPROGRESS)
        die("connect");
    struct epoll_event e = {.events = EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e) != 0)
        die("epoll_ctl");
    return 0;
}

/* Opens every connection (CONNECT_BATCH in flight), then makes one round
 * trip on each (PRIME_BATCH in flight), so the server has accepted them
 * all before anything is measured. */
static void setup(const struct sockaddr_in *to)
{
    struct epoll_event evs[512];
    int64_t end = now_ns() + SETUP_NS;
    int started = 0, connected = 0, primed = 0, inflight = 0, next_prime = 0;
    while (primed < nconns) {
        while (started < nconns && started - connected < CONNECT_BATCH)
            start_connect(&conns[started++], to);
        while (next_prime < connected && inflight < PRIME_BATCH) {
            conn *c = &conns[next_prime++];
            if (send_req(c) != 0)
                die("first send");
            inflight++;
        }
        if (now_ns() > end) {
            fprintf(stderr, "loadgen: setup took too long (%d of %d connected, %d answered)\n",
                    connected, nconns, primed);
            exit(1);
        }
        int n = epoll_wait(ep, evs, 512, 100);
        if (n < 0 && errno != EINTR)
            die("epoll_wait");
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (c->state == C_CONNECTING) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err != 0) {
                    errno = err;
                    die("connect");
                }
                c->state = C_IDLE;
                set_events(c, EPOLLIN);
                connected++;
            } else if (c->state == C_WAIT && read_resp(c)) {
                inflight--;
                primed++;
            }
        }
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static long arg_long(const char *s, long min, long max, const char *name)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "loadgen: bad %s: %s\n", name, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    long port = 0, busy = -1, rate = 0;
    const char *pid = NULL;
    double secs = 2;
    const char *host = "127.0.0.1";
    nconns = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--port"))
            port = arg_long(v, 1, 65535, k);
        else if (!strcmp(k, "--conns"))
            nconns = (int)arg_long(v, 1, MAX_CONNS, k);
        else if (!strcmp(k, "--busy"))
            busy = arg_long(v, 1, MAX_CONNS, k);
        else if (!strcmp(k, "--rate"))
            rate = arg_long(v, 1, 10000000, k);
        else if (!strcmp(k, "--secs"))
            secs = (double)arg_long(v, 1, 60, k);
        else if (!strcmp(k, "--pid"))
            pid = v;
        else if (!strcmp(k, "--host"))
            host = v;
        else {
            fprintf(stderr, "loadgen: unknown option %s\n", k);
            return 2;
        }
    }
    if (port == 0 || nconns == 0) {
        fprintf(stderr, "usage: loadgen --port P --conns N [--busy K | --rate R] "
                        "[--secs S] [--pid SERVER_PID[,PID...]] [--host IPv4]\n");
        return 2;
    }
    if (busy < 0 || busy > nconns)
        busy = nconns;

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)nconns + 64) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &to.sin_addr) != 1) {
        fprintf(stderr, "loadgen: bad IPv4 address %s\n", host);
        return 2;
    }
    conns = calloc((size_t)nconns, sizeof *conns);
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (!conns || ep < 0)
        die("start");
    setup(&to);

    /* Paced mode: a periodic timer, and a ring of idle connections. */
    int tfd = -1;
    int *idle = NULL;
    int idle_head = 0, idle_n = 0;
    long late = 0;
    if (rate > 0) {
        idle = malloc((size_t)nconns * sizeof *idle);
        if (!idle)
            die("malloc");
        for (int i = 0; i < nconns; i++)
            idle[i] = i;
        idle_n = nconns;
        tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (tfd < 0)
            die("timerfd_create");
        long period = 1000000000L / rate;
        struct itimerspec its = {
            .it_interval = {period / 1000000000L, period % 1000000000L},
            .it_value = {0, 1000}};
        if (timerfd_settime(tfd, 0, &its, NULL) != 0)
            die("timerfd_settime");
        struct epoll_event e = {.events = EPOLLIN, .data.ptr = NULL};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &e) != 0)
            die("epoll_ctl");
    } else {
        for (long i = 0; i < busy; i++)
            send_req(&conns[i]);
    }

    int64_t t0 = now_ns();
    int64_t win_start = t0 + WARMUP_NS;
    int64_t win_end = win_start + (int64_t)(secs * 1e9);
    double cpu0 = -1, cpu1 = -1;
    int in_window = 0, sending = 1;
    long inflight = rate > 0 ? 0 : busy;
    struct epoll_event evs[1024];
    for (;;) {
        int64_t t = now_ns();
        if (!in_window && t >= win_start) {
            in_window = 1;
            cpu0 = pid ? proc_cpu_s(pid) : -1;
        }
        if (sending && t >= win_end) {
            sending = 0;
            cpu1 = pid ? proc_cpu_s(pid) : -1;
            if (tfd >= 0) {
                close(tfd);
                tfd = -1;
            }
        }
        if (!sending && (inflight == 0 || t >= win_end + DRAIN_NS))
            break;
        int n = epoll_wait(ep, evs, 1024, 10);
        if (n < 0 && errno != EINTR)
            die("epoll_wait");
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (!c) {
                uint64_t ticks = 0;
                if (tfd < 0 || read(tfd, &ticks, sizeof ticks) != sizeof ticks)
                    continue;
                for (uint64_t k = 0; k < ticks; k++) {
                    if (idle_n == 0) {
                        late++;
                        continue;
                    }
                    conn *d = &conns[idle[idle_head]];
                    idle_head = (idle_head + 1) % nconns;
                    idle_n--;
                    if (send_req(d) == 0)
                        inflight++;
                }
                continue;
            }
            if (c->state != C_WAIT || !read_resp(c))
                continue;
            inflight--;
            int64_t done = now_ns();
            if (c->sent_ns >= win_start && c->sent_ns < win_end)
                record((uint64_t)(done - c->sent_ns));
            if (rate > 0) {
                idle[(idle_head + idle_n) % nconns] = (int)(c - conns);
                idle_n++;
            } else if (sending && send_req(c) == 0) {
                inflight++;
            }
        }
    }

    double p50 = 0, p99 = 0;
    if (nlat > 0) {
        qsort(lat, nlat, sizeof *lat, cmp_u64);
        p50 = (double)lat[nlat / 2] / 1000.0;
        p99 = (double)lat[(size_t)((double)nlat * 0.99)] / 1000.0;
    }
    double cpu_us = -1;
    if (cpu0 >= 0 && cpu1 >= 0 && nlat > 0)
        cpu_us = (cpu1 - cpu0) * 1e6 / (double)nlat;
    printf("result conns=%d busy=%ld rate=%ld reqs=%zu rps=%.0f p50_us=%.1f "
           "p99_us=%.1f cpu_us_per_req=%.2f late=%ld unanswered=%ld errors=%ld\n",
           nconns, rate > 0 ? 0 : busy, rate, nlat, (double)nlat / secs, p50, p99,
           cpu_us, late, inflight, errors);
    for (int i = 0; i < nconns; i++)
        close(conns[i].fd);
    close(ep);
    free(conns);
    free(idle);
    free(lat);
    return errors ? 1 : 0;
}
