/* SPDX-License-Identifier: MIT */
/* The libevent echo servers' listener: see libevent_listen.h. */
#include "libevent_listen.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include <event2/listener.h>

static void (*on_accepted)(evutil_socket_t fd);
static struct evconnlistener *listener; /* lives as long as the process */

static void on_accept(struct evconnlistener *l, evutil_socket_t fd,
                      struct sockaddr *sa, int salen, void *arg)
{
    int one = 1;
    (void)l;
    (void)sa;
    (void)salen;
    (void)arg;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    on_accepted(fd);
}

int bench_ev_listen(struct event_base *base, int port,
                    void (*accepted)(evutil_socket_t fd), const char *banner)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    on_accepted = accepted;
    /* The listener makes accepted sockets non-blocking and close-on-exec. */
    struct evconnlistener *l = listener = evconnlistener_new_bind(
        base, on_accept, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 4096,
        (struct sockaddr *)&a, sizeof a);
    if (!l ||
        getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&a, &len) != 0)
        return -1;
    printf(banner, ntohs(a.sin_port));
    fflush(stdout);
    return 0;
}
