/* SPDX-License-Identifier: MIT */
/* Echo server on libevent (a benchmark-only dependency): an event_base with
 * one persistent read event per connection, the same algorithm as the
 * other contenders (one recv per readiness report, bytes sent straight
 * back, a write event only for what does not fit). bufferevents would add
 * libevent's own buffering on top; this measures its event loop.
 *
 * echo_libevent [PORT]   (0 or none: an ephemeral port). Prints "port N"
 * on stdout once it listens; runs until killed. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "libevent_listen.h"

#define BUF 4096

typedef struct conn {
    evutil_socket_t fd;
    struct event *rd, *wr;
    size_t npend;
    char pend[BUF];
} conn;

static struct event_base *base;

static _Noreturn void fail(const char *what)
{
    fprintf(stderr, "echo_libevent: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void drop(conn *c)
{
    event_free(c->rd);
    event_free(c->wr);
    close(c->fd);
    free(c);
}

/* Sends from buf; keeps what did not fit. -1: the connection is gone. */
static int send_some(conn *c, const char *buf, size_t len)
{
    ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR)
            return -1;
        n = 0;
    }
    c->npend = len - (size_t)n;
    memmove(c->pend, buf + n, c->npend);
    return 0;
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    conn *c = arg;
    (void)fd;
    (void)what;
    if (send_some(c, c->pend, c->npend) != 0) {
        drop(c);
        return;
    }
    if (c->npend == 0) {
        event_del(c->wr);
        event_add(c->rd, NULL);
    }
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    conn *c = arg;
    char buf[BUF];
    (void)what;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0 || send_some(c, buf, (size_t)n) != 0) {
        drop(c);
        return;
    }
    if (c->npend > 0) {
        event_del(c->rd);
        event_add(c->wr, NULL);
    }
}

static void on_accept(evutil_socket_t fd)
{
    conn *c = malloc(sizeof *c);
    if (!c)
        fail("malloc");
    c->fd = fd;
    c->npend = 0;
    c->rd = event_new(base, fd, EV_READ | EV_PERSIST, on_read, c);
    c->wr = event_new(base, fd, EV_WRITE | EV_PERSIST, on_write, c);
    if (!c->rd || !c->wr || event_add(c->rd, NULL) != 0)
        fail("event_new");
}

int main(int argc, char **argv)
{
    base = event_base_new();
    if (!base)
        fail("event_base_new");
    if (bench_ev_listen(base, argc > 1 ? atoi(argv[1]) : 0, on_accept,
                        "port %d\n") != 0)
        fail("listen");
    return event_base_dispatch(base);
}
