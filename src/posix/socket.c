/* SPDX-License-Identifier: MIT */
/* POSIX: creating, connecting, binding, naming and closing sockets. */
#include "posix.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
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
    return type == PS_SOCK_STREAM  ? SOCK_STREAM
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

int ps__socket_new(int family, int type, ps_socket_t *out)
{
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

int ps__close(ps_socket_t s)
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

int ps__shutdown(ps_socket_t s, int how)
{
    int native = how == PS_SHUT_RD   ? SHUT_RD
                 : how == PS_SHUT_WR ? SHUT_WR
                                     : SHUT_RDWR;
    if (s < 0)
        return PS_EBADF;
    return shutdown(s, native) == 0 ? 0 : ps__last_error();
}

int ps__socket_name(ps_socket_t s, ps_addr *out, int peer)
{
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
        return r < 0 ? r : ps__socket_error(s);
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
        r = ps__posix_set_int(s, IPPROTO_IPV6, IPV6_V6ONLY, v6only);
    /* SO_REUSEADDR on POSIX only lets a listener rebind over TIME_WAIT. */
    if (r == 0 && reuse && sa->sa_family != AF_UNIX)
        r = ps__posix_set_int(s, SOL_SOCKET, SO_REUSEADDR, 1);
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
