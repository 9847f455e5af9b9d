/* SPDX-License-Identifier: MIT */
/* POSIX: creating, configuring and closing sockets. */
#include "posix.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

int ps__posix_prepare_fd(int fd, int set_cloexec)
{
    if (set_cloexec && fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
        return ps__last_error();
#ifdef SO_NOSIGPIPE
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one) != 0)
        return ps__last_error();
#endif
    return 0;
}

static int native_family(int family)
{
    switch (family) {
    case PS_AF_INET:
        return AF_INET;
    case PS_AF_INET6:
        return AF_INET6;
    case PS_AF_UNIX:
        return AF_UNIX;
    default:
        return -1;
    }
}

static int native_type(int type)
{
    return type == PS_SOCK_STREAM ? SOCK_STREAM
           : type == PS_SOCK_DGRAM ? SOCK_DGRAM
                                   : -1;
}

static int make_socket(int family, int type, int nonblocking, ps_socket_t *out)
{
    int flags = 0;
    int need_cloexec = 1;
#ifdef SOCK_CLOEXEC
    flags |= SOCK_CLOEXEC;
    need_cloexec = 0;
#endif
    /* cppcheck-suppress badBitmaskCheck ; flags is 0 without SOCK_CLOEXEC (macOS) */
    int fd = socket(family, type | flags, 0);
    if (fd < 0)
        return ps__last_error();
    int r = ps__posix_prepare_fd(fd, need_cloexec);
    if (r == 0 && nonblocking)
        r = ps__posix_set_nonblocking(fd, 1);
    if (r != 0) {
        close(fd);
        return r;
    }
    *out = fd;
    return 0;
}

int ps_socket(ps_socket_t *out, int family, int type)
{
    if (!out)
        return PS_EINVAL;
    *out = PS_INVALID_SOCKET;
    int nf = native_family(family), nt = native_type(type);
    if (nf < 0 || nt < 0)
        return PS_EINVAL;
    return make_socket(nf, nt, 0, out);
}

int ps__socket_for(const ps_addr *addr, int type, int nonblocking,
                   ps_socket_t *out)
{
    const struct sockaddr *sa = (const struct sockaddr *)addr->storage.bytes;
    int nt = native_type(type);
    if (nt < 0)
        return PS_EINVAL;
    return make_socket(sa->sa_family, nt, nonblocking, out);
}

int ps__socket_probe(ps_socket_t s)
{
    int type;
    socklen_t len = sizeof type;
    if (s < 0)
        return PS_EBADF;
    if (getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
        return ps__last_error(); /* ENOTSOCK or EBADF */
    return 0;
}

int ps_close(ps_socket_t s)
{
    /* close() takes any descriptor: a file or pipe must stay open. */
    int r = ps__socket_probe(s);
    if (r != 0)
        return r;
    /* On Linux the descriptor is gone even when close reports EINTR, so it is
     * never retried (a retry could close a descriptor another thread just
     * opened). */
    if (close(s) != 0 && errno != EINTR)
        return ps__last_error();
    return 0;
}

int ps_shutdown(ps_socket_t s, int how)
{
    int native;
    switch (how) {
    case PS_SHUT_RD:
        native = SHUT_RD;
        break;
    case PS_SHUT_WR:
        native = SHUT_WR;
        break;
    case PS_SHUT_RDWR:
        native = SHUT_RDWR;
        break;
    default:
        return PS_EINVAL;
    }
    if (s < 0)
        return PS_EBADF;
    return shutdown(s, native) == 0 ? 0 : ps__last_error();
}

int ps_socketpair(ps_socket_t pair[2])
{
    int fds[2];
    int flags = 0, need_cloexec = 1;
    if (!pair)
        return PS_EINVAL;
    pair[0] = pair[1] = PS_INVALID_SOCKET;
#ifdef SOCK_CLOEXEC
    flags |= SOCK_CLOEXEC;
    need_cloexec = 0;
#endif
    if (socketpair(AF_UNIX, SOCK_STREAM | flags, 0, fds) != 0)
        return ps__last_error();
    int r = ps__posix_prepare_fd(fds[0], need_cloexec);
    if (r == 0)
        r = ps__posix_prepare_fd(fds[1], need_cloexec);
    if (r != 0) {
        close(fds[0]);
        close(fds[1]);
        return r;
    }
    pair[0] = fds[0];
    pair[1] = fds[1];
    return 0;
}

int ps__posix_set_nonblocking(int fd, int on)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return ps__last_error();
    int want = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    if (want != flags && fcntl(fd, F_SETFL, want) != 0)
        return ps__last_error();
    return 0;
}

int ps_set_nonblocking(ps_socket_t s, int on)
{
    if (on != 0 && on != 1)
        return PS_EINVAL;
    /* fcntl() takes any descriptor: a pipe must stay as it is. */
    int r = ps__socket_probe(s);
    return r != 0 ? r : ps__posix_set_nonblocking(s, on);
}

static int set_int_option(ps_socket_t s, int level, int name, int value)
{
    if (s < 0)
        return PS_EBADF;
    if (setsockopt(s, level, name, &value, sizeof value) != 0)
        return ps__last_error();
    return 0;
}

int ps_set_nodelay(ps_socket_t s, int on)
{
    if (on != 0 && on != 1)
        return PS_EINVAL;
    return set_int_option(s, IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0);
}

int ps_set_keepalive(ps_socket_t s, int on)
{
    if (on != 0 && on != 1)
        return PS_EINVAL;
    return set_int_option(s, SOL_SOCKET, SO_KEEPALIVE, on ? 1 : 0);
}

int ps_set_buffer_sizes(ps_socket_t s, int sndbuf, int rcvbuf)
{
    int r = 0;
    if (sndbuf < 0 || rcvbuf < 0)
        return PS_EINVAL;
    if (s < 0)
        return PS_EBADF;
    /* Nothing to set, but what is no socket is still an error. */
    if (sndbuf == 0 && rcvbuf == 0)
        return ps__socket_probe(s);
    if (sndbuf > 0)
        r = set_int_option(s, SOL_SOCKET, SO_SNDBUF, sndbuf);
    if (r == 0 && rcvbuf > 0)
        r = set_int_option(s, SOL_SOCKET, SO_RCVBUF, rcvbuf);
    return r;
}

int ps_socket_error(ps_socket_t s)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (s < 0)
        return PS_EBADF;
    if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        return ps__last_error();
    return err == 0 ? 0 : ps__posix_error(err);
}

static int get_name(ps_socket_t s, ps_addr *out, int peer)
{
    if (!out)
        return PS_EINVAL;
    if (s < 0)
        return PS_EBADF;
    memset(out, 0, sizeof *out);
    socklen_t len = sizeof out->storage.bytes;
    struct sockaddr *sa = (struct sockaddr *)out->storage.bytes;
    int r = peer ? getpeername(s, sa, &len) : getsockname(s, sa, &len);
    if (r != 0)
        return ps__last_error();
    out->len = (uint32_t)len;
    return 0;
}

int ps_local_addr(ps_socket_t s, ps_addr *out) { return get_name(s, out, 0); }

int ps_peer_addr(ps_socket_t s, ps_addr *out) { return get_name(s, out, 1); }

int ps__connect_start(ps_socket_t s, const ps_addr *addr)
{
    const struct sockaddr *sa = (const struct sockaddr *)addr->storage.bytes;
    if (connect(s, sa, (socklen_t)addr->len) == 0)
        return 0;
    int err = errno;
    if (err == EINTR) {
        /* The connect goes on in the background. A blocking socket must
         * still block until it ends, so wait for it here. */
        int flags = fcntl(s, F_GETFL);
        if (flags >= 0 && (flags & O_NONBLOCK))
            return ps__posix_error(EINPROGRESS);
        int r;
        while ((r = ps__poll_one(s, PS__WANT_CONNECT, -1)) == 0) {
        }
        return r < 0 ? r : ps_socket_error(s);
    }
    /* An AF_UNIX listener whose queue is full: not "in progress" (nothing
     * would ever finish it), so refuse, as TCP does on a full backlog. And
     * a path that leads to no socket file: nothing listens there either. */
    if (sa->sa_family == AF_UNIX &&
        (err == EAGAIN || err == ENOENT || err == ENOTDIR || err == ELOOP)) {
        ps__set_native_error(err);
        return PS_ECONNREFUSED;
    }
    return ps__posix_error(err);
}

int ps__bind(ps_socket_t s, const ps_addr *addr, int v6only, int reuse)
{
    const struct sockaddr *sa = (const struct sockaddr *)addr->storage.bytes;
    int r = 0;
    if (sa->sa_family == AF_INET6 && v6only >= 0)
        r = set_int_option(s, IPPROTO_IPV6, IPV6_V6ONLY, v6only);
    /* SO_REUSEADDR on POSIX only lets a listener rebind over TIME_WAIT. */
    if (r == 0 && reuse && sa->sa_family != AF_UNIX)
        r = set_int_option(s, SOL_SOCKET, SO_REUSEADDR, 1);
    if (r != 0)
        return r;
    if (bind(s, sa, (socklen_t)addr->len) != 0)
        return ps__last_error();
    return 0;
}

int ps__listen(ps_socket_t s, int backlog)
{
    if (listen(s, backlog > 0 ? backlog : SOMAXCONN) != 0)
        return ps__last_error();
    return 0;
}
