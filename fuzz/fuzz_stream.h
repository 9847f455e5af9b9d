/* SPDX-License-Identifier: MIT */
/* Shared by the stream targets: a socketpair whose writing end is driven
 * with raw system calls, so what the reader sees depends on portsock's
 * receive side only. */
#ifndef PS_FUZZ_STREAM_H
#define PS_FUZZ_STREAM_H

#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_check.h"
#include "portsock.h"

/* Inputs are bounded so that everything written fits in the socket's
 * buffer (an AF_UNIX stream takes ~200 KB by default) and a writer never
 * blocks on a reader that has stopped. */
#define STREAM_MAX_INPUT 65536

/* Makes pair[0] (read with portsock) and pair[1] (written raw). */
static inline void stream_open(ps_socket_t pair[2])
{
    int big = 4 * STREAM_MAX_INPUT;
    HARNESS(ps_socketpair(pair) == 0, "ps_socketpair");
    /* Room for a whole input whatever the system's default. */
    (void)setsockopt(pair[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    (void)setsockopt(pair[0], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
}

/* Writes all n bytes; nonblock: the bytes must fit now (they always do
 * within STREAM_MAX_INPUT), else the harness stops with a message. */
static inline void stream_write(int fd, const unsigned char *p, size_t n,
                                int nonblock)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL | (nonblock ? MSG_DONTWAIT : 0));
        if (w < 0 && errno == EINTR)
            continue;
        HARNESS(w > 0, "a raw send failed or would block");
        p += w;
        n -= (size_t)w;
    }
}

/* Ends the writer's side: shutdown(SHUT_WR) keeps the descriptor, close
 * drops it (*fd becomes -1). */
static inline void stream_end(int *fd, int by_close)
{
    if (by_close) {
        HARNESS(close(*fd) == 0, "close");
        *fd = -1;
    } else {
        HARNESS(shutdown(*fd, SHUT_WR) == 0, "shutdown");
    }
}

#endif
