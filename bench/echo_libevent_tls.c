/* SPDX-License-Identifier: MIT */
/* TLS echo server on libevent's bufferevent_openssl (a benchmark-only
 * dependency), the reference of the TLS echo benchmark (bench/run_tls.py)
 * for echo_ps_poller_tls: one event_base, one bufferevent per accepted
 * connection doing the handshake and the records, and whatever arrives
 * moved to the output buffer as it is. The SSL_CTX has the settings of
 * portsock_tls's OpenSSL backend (TLS 1.2 at least, no session tickets).
 *
 * echo_libevent_tls PORT CERT KEY   (PORT 0: an ephemeral one). Prints
 * "port N" on stdout once it listens; runs until killed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "libevent_listen.h"

static struct event_base *base;
static SSL_CTX *ctx;

static _Noreturn void fail(const char *what)
{
    fprintf(stderr, "echo_libevent_tls: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    (void)arg;
    if (bufferevent_write_buffer(bev, bufferevent_get_input(bev)) != 0)
        bufferevent_free(bev);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        bufferevent_free(bev); /* frees the SSL and closes the socket */
}

static void on_accept(evutil_socket_t fd)
{
    SSL *ssl = SSL_new(ctx);
    if (!ssl)
        fail("SSL_new");
    struct bufferevent *bev = bufferevent_openssl_socket_new(
        base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
    if (!bev)
        fail("bufferevent_openssl_socket_new");
    bufferevent_setcb(bev, on_read, NULL, on_event, NULL);
    if (bufferevent_enable(bev, EV_READ | EV_WRITE) != 0)
        fail("bufferevent_enable");
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: echo_libevent_tls PORT CERT KEY\n");
        return 2;
    }
    ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx)
        fail("SSL_CTX_new");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_num_tickets(ctx, 0);
    if (SSL_CTX_use_certificate_chain_file(ctx, argv[2]) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM) != 1)
        fail("loading the certificate");
    base = event_base_new();
    if (!base)
        fail("event_base_new");
    if (bench_ev_listen(base, atoi(argv[1]), on_accept, "port %d\n") != 0)
        fail("listen");
    return event_base_dispatch(base);
}
