/* SPDX-License-Identifier: MIT */
/* POSIX: one attempt at each transfer, and the readiness wait. */
#include "posix.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

int ps__poll_one(ps_socket_t s, int want, int timeout_ms)
{
    struct pollfd p;
    p.fd = s;
    p.events = (short)(((want & PS__WANT_READ) ? POLLIN : 0) |
                       ((want & (PS__WANT_WRITE | PS__WANT_CONNECT)) ? POLLOUT
                                                                     : 0));
    p.revents = 0;
    int r = poll(&p, 1, timeout_ms);
    if (r < 0)
        return errno == EINTR ? 0 : ps__last_error();
    if (r > 0 && (p.revents & POLLNVAL))
        return ps__posix_error(EBADF);
    return r > 0 ? 1 : 0;
}

/* Readiness changes nothing here: MSG_DONTWAIT already costs no extra call. */
static int dontwait(int how)
{
    return how == PS__IO_BLOCK ? 0 : MSG_DONTWAIT;
}

int ps__send_once(ps_socket_t s, const void *buf, size_t len, size_t *sent,
                  int how)
{
    ssize_t n;
    *sent = 0;
    do
        n = send(s, buf, len, PS__SEND_FLAGS | dontwait(how));
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return ps__last_error();
    *sent = (size_t)n;
    return 0;
}

int ps__recv_once(ps_socket_t s, void *buf, size_t cap, size_t *got, int how)
{
    ssize_t n;
    *got = 0;
    do
        n = recv(s, buf, cap, dontwait(how));
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return ps__last_error();
    *got = (size_t)n;
    return 0;
}

/* Fills up to PS__IOV_BATCH iovecs from the send buffers `out` or the
 * receive buffers `in`, skipping `skip` bytes of the first, and keeps the
 * total within INT_MAX, as Windows does (its calls count in an int): Linux
 * checks each buffer's whole claimed range against the address space
 * before it clamps a call to 2 GiB, so a capacity of SSIZE_MAX there
 * failed (EFAULT) where Windows and ps_recv take it. */
static int fill_iov(struct iovec *v, const ps_iovec *out,
                    const ps_recv_iovec *in, size_t n, size_t skip)
{
    size_t room = INT_MAX, k = 0;
    size_t max = PS__IOV_BATCH;
#ifdef IOV_MAX
    if ((size_t)IOV_MAX < max)
        max = (size_t)IOV_MAX;
#endif
    for (size_t i = 0; i < n && k < max && room > 0; i++, skip = 0) {
        unsigned char *base = out ? (unsigned char *)(uintptr_t)out[i].base
                                  : (unsigned char *)in[i].base;
        size_t len = (out ? out[i].len : in[i].len) - skip;
        if (len > room)
            len = room;
        v[k].iov_base = len ? base + skip : base;
        v[k].iov_len = len;
        room -= len;
        k++;
    }
    return (int)k;
}

/* One sendmsg (out) or recvmsg (in) over up to PS__IOV_BATCH buffers. */
static int vector_once(ps_socket_t s, const ps_iovec *out,
                       const ps_recv_iovec *in, size_t n, size_t skip,
                       size_t *moved, int how)
{
    struct iovec v[PS__IOV_BATCH];
    struct msghdr msg;
    ssize_t r;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = v;
    msg.msg_iovlen = fill_iov(v, out, in, n, skip);
    *moved = 0;
    do
        r = out ? sendmsg(s, &msg, PS__SEND_FLAGS | dontwait(how))
                : recvmsg(s, &msg, dontwait(how));
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return ps__last_error();
    *moved = (size_t)r;
    return 0;
}

int ps__sendv_once(ps_socket_t s, const ps_iovec *iov, size_t n, size_t skip,
                   size_t *sent, int how)
{
    return vector_once(s, iov, NULL, n, skip, sent, how);
}

int ps__recvv_once(ps_socket_t s, const ps_recv_iovec *iov, size_t n,
                   size_t skip, size_t *got, int how)
{
    return vector_once(s, NULL, iov, n, skip, got, how);
}

int ps__sendto_once(ps_socket_t s, const void *buf, size_t len,
                    const ps_addr *to, int how)
{
    const struct sockaddr *sa = to ? (const struct sockaddr *)to->storage.bytes
                                   : NULL;
    socklen_t salen = to ? (socklen_t)to->len : 0;
    ssize_t n;
    do
        n = sendto(s, buf, len, PS__SEND_FLAGS | dontwait(how), sa, salen);
    while (n < 0 && errno == EINTR);
    return n < 0 ? ps__last_error() : 0;
}

int ps__recvfrom_once(ps_socket_t s, void *buf, size_t cap, size_t *got,
                      ps_addr *from, int *truncated, int how)
{
    struct iovec iov;
    struct msghdr msg;
    ssize_t n;
    memset(&msg, 0, sizeof msg);
    iov.iov_base = buf;
    iov.iov_len = cap;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (from) {
        memset(from, 0, sizeof *from);
        msg.msg_name = from->storage.bytes;
        msg.msg_namelen = sizeof from->storage.bytes;
    }
    *got = 0;
    *truncated = 0;
    do
        n = recvmsg(s, &msg, dontwait(how));
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return ps__last_error();
    if (from)
        from->len = (uint32_t)msg.msg_namelen;
    *got = (size_t)n;
    *truncated = (msg.msg_flags & MSG_TRUNC) != 0;
    return 0;
}

/* Before a wait for a connection: 0 for a listener (or where the system
 * cannot tell), PS_EINVAL for a socket that does not listen, PS_EBADF for
 * a descriptor that is no socket. Otherwise such a descriptor, which poll()
 * never shows readable for a connection, would use up the whole timeout. */
static int listening(int fd)
{
    int on = 0;
    socklen_t len = sizeof on;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) != 0)
        return errno == ENOPROTOOPT ? 0 : ps__last_error();
    return on ? 0 : PS_EINVAL;
}

int ps__accept_once(ps_socket_t listener, ps_socket_t *out, ps_addr *peer,
                    int how, int nonblocking)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int fd;
    int r;
    if (how != PS__IO_BLOCK) {
        /* accept has no per-call "don't wait" flag: wait zero time first. */
        r = ps__poll_one(listener, PS__WANT_READ, 0);
        if (r == 0)
            return (r = listening(listener)) != 0 ? r : PS_EWOULDBLOCK;
        if (r < 0)
            return r;
    }
    do {
#ifdef __linux__
        fd = accept4(listener, (struct sockaddr *)&ss, &len,
                     SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0));
#else
        fd = accept(listener, (struct sockaddr *)&ss, &len);
#endif
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        /* A connection that was reset while queued is not an error of the
         * listener: report "nothing yet" so the caller waits again. */
        if (errno == ECONNABORTED || errno == EPROTO)
            return PS_EWOULDBLOCK;
        return ps__last_error();
    }
#ifdef __linux__
    /* accept4 set close-on-exec and the mode asked for (Linux never hands
     * the listener's O_NONBLOCK to the accepted socket). */
    r = ps__posix_prepare_fd(fd, 0);
#else
    r = ps__posix_prepare_fd(fd, 1);
    /* BSDs hand the listener's O_NONBLOCK to the accepted socket: one
     * F_GETFL, and F_SETFL only when the mode differs. */
    if (r == 0)
        r = ps__posix_set_nonblocking(fd, nonblocking);
#endif
    if (r != 0) {
        close(fd);
        return r;
    }
    if (peer) {
        memset(peer, 0, sizeof *peer);
        memcpy(peer->storage.bytes, &ss, len);
        peer->len = (uint32_t)len;
    }
    *out = fd;
    return 0;
}
