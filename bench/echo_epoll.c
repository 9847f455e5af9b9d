/* SPDX-License-Identifier: MIT */
/* Echo server on raw epoll (Linux), the baseline of the echo benchmark.
 * Same protocol and same algorithm as the other contenders: one thread,
 * level-triggered, one recv per readiness report, the bytes sent straight
 * back; what cannot be sent at once waits for EPOLLOUT with reads paused.
 *
 * echo_epoll [PORT]   (0 or none: an ephemeral port). Prints "port N" on
 * stdout once it listens; runs until killed. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF 4096

typedef struct conn {
    int fd;
    size_t npend;
    char pend[BUF];
} conn;

static int ep;

static _Noreturn void fail(const char *what)
{
    fprintf(stderr, "echo_epoll: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void drop(conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c);
}

static void want(conn *c, uint32_t ev)
{
    struct epoll_event e = {.events = ev, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e) != 0)
        fail("epoll_ctl");
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

static void on_ready(conn *c, uint32_t ev)
{
    if (c->npend > 0) {
        if (send_some(c, c->pend, c->npend) != 0) {
            drop(c);
            return;
        }
        if (c->npend == 0)
            want(c, EPOLLIN);
        return;
    }
    if (!(ev & (EPOLLIN | EPOLLERR | EPOLLHUP)))
        return;
    char buf[BUF];
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0 || send_some(c, buf, (size_t)n) != 0) {
        drop(c);
        return;
    }
    if (c->npend > 0)
        want(c, EPOLLOUT);
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 0;
    int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, SOMAXCONN) != 0 ||
        getsockname(l, (struct sockaddr *)&a, &len) != 0)
        fail("listen");
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event le = {.events = EPOLLIN, .data.ptr = NULL};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, l, &le) != 0)
        fail("epoll");
    printf("port %d\n", ntohs(a.sin_port));
    fflush(stdout);

    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr) {
                on_ready(evs[i].data.ptr, evs[i].events);
                continue;
            }
            int fd;
            while ((fd = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                conn *c = malloc(sizeof *c);
                if (!c)
                    fail("malloc");
                c->fd = fd;
                c->npend = 0;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
                if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) != 0)
                    fail("epoll_ctl");
            }
            if (errno != EAGAIN && errno != ECONNABORTED && errno != EINTR)
                fail("accept");
        }
    }
}
