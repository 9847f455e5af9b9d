/* SPDX-License-Identifier: MIT */
/* TLS load generator for the TLS echo benchmark (bench/run_tls.py; Linux:
 * epoll, /proc). The same client for every server: raw OpenSSL on
 * non-blocking sockets. Opens N loopback connections, completes their
 * handshakes (verifying the server against --ca, checked for 127.0.0.1),
 * makes one round trip on each, then for a bounded time K of them each
 * keep one 64-byte request in flight (closed loop) and wait for its echo.
 * Prints one line, as bench/loadgen does: requests/s, p50/p99 latency and,
 * with --pid, the server's CPU time per request over the measured window.
 *
 * loadgen_tls --port P --conns N --ca CA.pem [--busy K] [--secs S] [--pid PID]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "proc_cpu.h"

#define MSG 64
#define MAX_CONNS 9000         /* each holds a socket; the limit is 20,000 */
#define CONNECT_BATCH 128      /* connects and handshakes in flight at once */
#define WARMUP_NS 300000000LL  /* run, unrecorded, before the window */
#define DRAIN_NS 1000000000LL  /* wait this long for echoes after it */
#define SETUP_NS 60000000000LL /* connecting and priming, at most */

enum { C_HANDSHAKE, C_IDLE, C_WAIT };

typedef struct conn {
    int fd;
    SSL *ssl;
    int state;
    uint32_t events;
    int got;
    uint32_t seq;
    int64_t sent_ns;
    unsigned char req[MSG];
    unsigned char resp[MSG];
} conn;

static conn *conns;
static int nconns;
static int ep;
static SSL_CTX *ctx;
static uint64_t *lat; /* latencies in the window, ns */
static size_t nlat, caplat;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static _Noreturn void die(const char *what)
{
    fprintf(stderr, "loadgen_tls: %s: %s\n", what, strerror(errno));
    ERR_print_errors_fp(stderr);
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
    if (ev == c->events)
        return;
    struct epoll_event e = {.events = ev, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e) != 0)
        die("epoll_ctl");
    c->events = ev;
}

/* After an OpenSSL call that returned ret <= 0: waits for what it wants;
 * anything else is fatal. */
static void wait_for(conn *c, int ret, const char *what)
{
    int e = SSL_get_error(c->ssl, ret);
    if (e == SSL_ERROR_WANT_READ)
        set_events(c, EPOLLIN);
    else if (e == SSL_ERROR_WANT_WRITE)
        set_events(c, EPOLLOUT);
    else {
        fprintf(stderr,
                "loadgen_tls: connection %d: %s failed (SSL error %d)\n",
                (int)(c - conns), what, e);
        ERR_print_errors_fp(stderr);
        exit(1);
    }
}

/* Sends the connection's next request: one record, which always fits an
 * idle loopback socket's buffer, so anything short of it is fatal. */
static void send_req(conn *c)
{
    size_t n;
    c->seq++;
    memset(c->req, (int)(c->seq & 0xff), MSG);
    memcpy(c->req, &c->seq, sizeof c->seq);
    c->sent_ns = now_ns();
    c->got = 0;
    if (SSL_write_ex(c->ssl, c->req, MSG, &n) != 1 || n != MSG) {
        fprintf(stderr, "loadgen_tls: connection %d: short send\n",
                (int)(c - conns));
        exit(1);
    }
    c->state = C_WAIT;
    set_events(c, EPOLLIN);
}

/* Reads what is there of the echo; 1 when it is complete. */
static int read_resp(conn *c)
{
    while (c->got < MSG) {
        size_t n;
        int ret = SSL_read_ex(c->ssl, c->resp + c->got, (size_t)(MSG - c->got),
                              &n);
        if (ret != 1) {
            wait_for(c, ret, "read");
            return 0;
        }
        c->got += (int)n;
    }
    if (memcmp(c->req, c->resp, MSG) != 0) {
        fprintf(stderr, "loadgen_tls: wrong echo on connection %d\n",
                (int)(c - conns));
        exit(1);
    }
    c->state = C_IDLE;
    return 1;
}

static void start_connect(conn *c, const struct sockaddr_in *to)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        die("socket");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Close with a reset: no ports left in TIME_WAIT between runs. */
    struct linger lg = {1, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    if (connect(c->fd, (const struct sockaddr *)to, sizeof *to) != 0 &&
        errno != EINPROGRESS)
        die("connect");
    if (!(c->ssl = SSL_new(ctx)))
        die("SSL_new");
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), "127.0.0.1");
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_connect_state(c->ssl);
    c->state = C_HANDSHAKE;
    c->events = EPOLLOUT; /* connected */
    struct epoll_event e = {.events = EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e) != 0)
        die("epoll_ctl");
}

/* Opens every connection and completes its handshake (CONNECT_BATCH in
 * flight), then one round trip on each, so the server has accepted and
 * served them all before anything is measured. */
static void setup(const struct sockaddr_in *to)
{
    struct epoll_event evs[512];
    int64_t end = now_ns() + SETUP_NS;
    int started = 0, primed = 0;
    while (primed < nconns) {
        while (started < nconns && started - primed < CONNECT_BATCH)
            start_connect(&conns[started++], to);
        if (now_ns() > end) {
            fprintf(stderr,
                    "loadgen_tls: setup took too long (%d of %d answered)\n",
                    primed, nconns);
            exit(1);
        }
        int n = epoll_wait(ep, evs, 512, 100);
        if (n < 0 && errno != EINTR)
            die("epoll_wait");
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (c->state == C_HANDSHAKE) {
                int ret = SSL_do_handshake(c->ssl);
                if (ret == 1)
                    send_req(c);
                else
                    wait_for(c, ret, "handshake");
            } else if (c->state == C_WAIT && read_resp(c)) {
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
        fprintf(stderr, "loadgen_tls: bad %s: %s\n", name, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    long port = 0, busy = -1;
    const char *pid = NULL, *ca = NULL;
    double secs = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--port"))
            port = arg_long(v, 1, 65535, k);
        else if (!strcmp(k, "--conns"))
            nconns = (int)arg_long(v, 1, MAX_CONNS, k);
        else if (!strcmp(k, "--busy"))
            busy = arg_long(v, 1, MAX_CONNS, k);
        else if (!strcmp(k, "--secs"))
            secs = (double)arg_long(v, 1, 60, k);
        else if (!strcmp(k, "--pid"))
            pid = v;
        else if (!strcmp(k, "--ca"))
            ca = v;
        else {
            fprintf(stderr, "loadgen_tls: unknown option %s\n", k);
            return 2;
        }
    }
    if (port == 0 || nconns == 0 || !ca) {
        fprintf(stderr,
                "usage: loadgen_tls --port P --conns N --ca CA.pem [--busy K] "
                "[--secs S] [--pid SERVER_PID]\n");
        return 2;
    }
    if (busy < 0 || busy > nconns)
        busy = nconns;

    /* The client's sockets and the server's share the machine's 20,000. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
        rl.rlim_cur < (rlim_t)nconns + 64) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx || SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
        die("the client's SSL_CTX");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    struct sockaddr_in to = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    conns = calloc((size_t)nconns, sizeof *conns);
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (!conns || ep < 0)
        die("start");
    setup(&to);
    for (long i = 0; i < busy; i++)
        send_req(&conns[i]);

    int64_t t0 = now_ns();
    int64_t win_start = t0 + WARMUP_NS;
    int64_t win_end = win_start + (int64_t)(secs * 1e9);
    double cpu0 = -1, cpu1 = -1;
    int in_window = 0, sending = 1;
    long inflight = busy;
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
        }
        if (!sending && (inflight == 0 || t >= win_end + DRAIN_NS))
            break;
        int n = epoll_wait(ep, evs, 1024, 10);
        if (n < 0 && errno != EINTR)
            die("epoll_wait");
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (c->state != C_WAIT || !read_resp(c))
                continue;
            inflight--;
            int64_t done = now_ns();
            if (c->sent_ns >= win_start && c->sent_ns < win_end)
                record((uint64_t)(done - c->sent_ns));
            if (sending) {
                send_req(c);
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
    printf("result conns=%d busy=%ld rate=0 reqs=%zu rps=%.0f p50_us=%.1f "
           "p99_us=%.1f cpu_us_per_req=%.2f late=0 unanswered=%ld errors=0\n",
           nconns, busy, nlat, (double)nlat / secs, p50, p99, cpu_us, inflight);
    for (int i = 0; i < nconns; i++) {
        SSL_free(conns[i].ssl);
        close(conns[i].fd);
    }
    close(ep);
    free(conns);
    free(lat);
    SSL_CTX_free(ctx);
    return 0;
}
