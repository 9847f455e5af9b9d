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
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "loadgen_common.h"

#define MSG LG_MSG
#define MAX_CONNS 20000
#define CONNECT_BATCH 256 /* connects in flight at once */
#define PRIME_BATCH 1000  /* first round trips in flight at once */

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
static long errors;

static void set_events(conn *c, uint32_t ev)
{
    struct epoll_event e = {.events = ev, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e) != 0)
        lg_die("epoll_ctl");
}

/* Sends the connection's next request; 64 bytes always fit an idle
 * loopback socket's buffer, so a short send is an error. */
static int send_req(conn *c)
{
    c->sent_ns = lg_next_req(c->req, &c->seq);
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
    c->fd = lg_connect(to);
    c->state = C_CONNECTING;
    struct epoll_event e = {.events = EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e) != 0)
        lg_die("epoll_ctl");
    return 0;
}

/* Opens every connection (CONNECT_BATCH in flight), then makes one round
 * trip on each (PRIME_BATCH in flight), so the server has accepted them
 * all before anything is measured. */
static void setup(const struct sockaddr_in *to)
{
    struct epoll_event evs[512];
    int64_t end = lg_now_ns() + LG_SETUP_NS;
    int started = 0, connected = 0, primed = 0, inflight = 0, next_prime = 0;
    while (primed < nconns) {
        while (started < nconns && started - connected < CONNECT_BATCH)
            start_connect(&conns[started++], to);
        while (next_prime < connected && inflight < PRIME_BATCH) {
            conn *c = &conns[next_prime++];
            if (send_req(c) != 0)
                lg_die("first send");
            inflight++;
        }
        int n = lg_setup_wait(ep, evs, 512, end, "%d of %d connected, %d answered",
                              connected, nconns, primed);
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (c->state == C_CONNECTING) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err != 0) {
                    errno = err;
                    lg_die("connect");
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

int main(int argc, char **argv)
{
    lg_args a;
    lg_parse(argc, argv, MAX_CONNS, LG_OPT_RATE | LG_OPT_HOST, &a);
    long port = a.port, busy = a.busy, rate = a.rate;
    double secs = a.secs;
    nconns = a.conns;
    if (port == 0 || nconns == 0) {
        fprintf(stderr, "usage: loadgen --port P --conns N [--busy K | --rate R] "
                        "[--secs S] [--pid SERVER_PID[,PID...]] [--host IPv4]\n");
        return 2;
    }
    lg_raise_nofile(nconns);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, a.host, &to.sin_addr) != 1) {
        fprintf(stderr, "loadgen: bad IPv4 address %s\n", a.host);
        return 2;
    }
    conns = calloc((size_t)nconns, sizeof *conns);
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (!conns || ep < 0)
        lg_die("start");
    setup(&to);

    /* Paced mode: a periodic timer, and a ring of idle connections. */
    int tfd = -1;
    int *idle = NULL;
    int idle_head = 0, idle_n = 0;
    long late = 0;
    if (rate > 0) {
        idle = malloc((size_t)nconns * sizeof *idle);
        if (!idle)
            lg_die("malloc");
        for (int i = 0; i < nconns; i++)
            idle[i] = i;
        idle_n = nconns;
        tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (tfd < 0)
            lg_die("timerfd_create");
        long period = 1000000000L / rate;
        struct itimerspec its = {
            .it_interval = {period / 1000000000L, period % 1000000000L},
            .it_value = {0, 1000}};
        if (timerfd_settime(tfd, 0, &its, NULL) != 0)
            lg_die("timerfd_settime");
        struct epoll_event e = {.events = EPOLLIN, .data.ptr = NULL};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &e) != 0)
            lg_die("epoll_ctl");
    } else {
        for (long i = 0; i < busy; i++)
            send_req(&conns[i]);
    }

    lg_window w;
    lg_window_start(&w, secs, a.pid);
    long inflight = rate > 0 ? 0 : busy;
    struct epoll_event evs[1024];
    for (;;) {
        int over = lg_window_step(&w, inflight);
        if (!w.sending && tfd >= 0) {
            close(tfd);
            tfd = -1;
        }
        if (over)
            break;
        int n = lg_wait(ep, evs, 1024, 10);
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
            lg_answered(&w, c->sent_ns);
            if (rate > 0) {
                idle[(idle_head + idle_n) % nconns] = (int)(c - conns);
                idle_n++;
            } else if (w.sending && send_req(c) == 0) {
                inflight++;
            }
        }
    }

    lg_print_result(&w, nconns, rate > 0 ? 0 : busy, rate, secs, late,
                    inflight, errors);
    for (int i = 0; i < nconns; i++)
        close(conns[i].fd);
    close(ep);
    free(conns);
    free(idle);
    return errors ? 1 : 0;
}
