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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "loadgen_common.h"

#define MSG LG_MSG
#define MAX_CONNS 9000    /* each holds a socket; the limit is 20,000 */
#define CONNECT_BATCH 128 /* connects and handshakes in flight at once */

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

/* After lg_die's message: OpenSSL's errors. */
static void print_ssl_errors(void)
{
    ERR_print_errors_fp(stderr);
}

static void set_events(conn *c, uint32_t ev)
{
    if (ev == c->events)
        return;
    struct epoll_event e = {.events = ev, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e) != 0)
        lg_die("epoll_ctl");
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
    c->sent_ns = lg_next_req(c->req, &c->seq);
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
    c->fd = lg_connect(to);
    if (!(c->ssl = SSL_new(ctx)))
        lg_die("SSL_new");
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), "127.0.0.1");
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_connect_state(c->ssl);
    c->state = C_HANDSHAKE;
    c->events = EPOLLOUT; /* connected */
    struct epoll_event e = {.events = EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e) != 0)
        lg_die("epoll_ctl");
}

/* Opens every connection and completes its handshake (CONNECT_BATCH in
 * flight), then one round trip on each, so the server has accepted and
 * served them all before anything is measured. */
static void setup(const struct sockaddr_in *to)
{
    struct epoll_event evs[512];
    int64_t end = lg_now_ns() + LG_SETUP_NS;
    int started = 0, primed = 0;
    while (primed < nconns) {
        while (started < nconns && started - primed < CONNECT_BATCH)
            start_connect(&conns[started++], to);
        int n = lg_setup_wait(ep, evs, 512, end, "%d of %d answered", primed,
                              nconns);
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

int main(int argc, char **argv)
{
    lg_args a;
    lg_prog = "loadgen_tls";
    lg_die_hook = print_ssl_errors;
    lg_parse(argc, argv, MAX_CONNS, LG_OPT_CA, &a);
    long port = a.port, busy = a.busy;
    const char *ca = a.ca;
    double secs = a.secs;
    nconns = a.conns;
    if (port == 0 || nconns == 0 || !ca) {
        fprintf(stderr,
                "usage: loadgen_tls --port P --conns N --ca CA.pem [--busy K] "
                "[--secs S] [--pid SERVER_PID]\n");
        return 2;
    }
    lg_raise_nofile(nconns);
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx || SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
        lg_die("the client's SSL_CTX");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    struct sockaddr_in to = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    conns = calloc((size_t)nconns, sizeof *conns);
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (!conns || ep < 0)
        lg_die("start");
    setup(&to);
    for (long i = 0; i < busy; i++)
        send_req(&conns[i]);

    lg_window w;
    lg_window_start(&w, secs, a.pid);
    long inflight = busy;
    struct epoll_event evs[1024];
    while (!lg_window_step(&w, inflight)) {
        int n = lg_wait(ep, evs, 1024, 10);
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (c->state != C_WAIT || !read_resp(c))
                continue;
            inflight--;
            lg_answered(&w, c->sent_ns);
            if (w.sending) {
                send_req(c);
                inflight++;
            }
        }
    }

    lg_print_result(&w, nconns, busy, 0, secs, 0, inflight, 0);
    for (int i = 0; i < nconns; i++) {
        SSL_free(conns[i].ssl);
        close(conns[i].fd);
    }
    close(ep);
    free(conns);
    SSL_CTX_free(ctx);
    return 0;
}
