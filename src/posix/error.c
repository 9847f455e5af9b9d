/* SPDX-License-Identifier: MIT */
/* POSIX: errno values -> PS_E* codes. src/win32/error.c gives the same
 * code for the same condition (tests/test_error_table.c checks both). */
#include "posix.h"

#include <errno.h>

int ps__error_code(int err)
{
    switch (err) {
    case 0:
        return 0;
    case EINVAL:
    case EFAULT:
    case EDESTADDRREQ:
    case EISCONN:
    case ENAMETOOLONG: /* a "unix:" path too long for the system */
        return PS_EINVAL;
    case EBADF:
    case ENOTSOCK:
        return PS_EBADF;
    case ENOMEM:
    case ENOBUFS:
        return PS_ENOMEM;
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EAGAIN:
    case EINPROGRESS:
    case EALREADY:
        return PS_EWOULDBLOCK;
    case ETIMEDOUT:
        return PS_ETIMEDOUT;
    case ECONNREFUSED:
        return PS_ECONNREFUSED;
    case ECONNRESET:
    case ENETRESET: /* the connection broke (Windows: keep-alive found the peer gone) */
        return PS_ECONNRESET;
    case ECONNABORTED:
        return PS_ECONNABORTED;
    case EPIPE:
#ifdef ESHUTDOWN
    case ESHUTDOWN:
#endif
        return PS_EPIPE;
    case ENOTCONN:
        return PS_ENOTCONN;
    case EADDRINUSE:
        return PS_EADDRINUSE;
    case EADDRNOTAVAIL:
    /* A "unix:" path that leads to no socket file (a missing directory, a
     * file where a directory should be, a symbolic link loop): the address
     * cannot be had. A connect to it reads as refused (ps__connect_start). */
    case ENOENT:
    case ENOTDIR:
    case ELOOP:
        return PS_EADDRNOTAVAIL;
    case EAFNOSUPPORT:
    case EPFNOSUPPORT:
    case EPROTONOSUPPORT:
    case ESOCKTNOSUPPORT:
    case EPROTOTYPE:
        return PS_EAFNOSUPPORT;
    case EHOSTUNREACH:
    case EHOSTDOWN:
        return PS_EHOSTUNREACH;
    case ENETUNREACH:
        return PS_ENETUNREACH;
    case ENETDOWN:
        return PS_ENETDOWN;
    case EMSGSIZE:
        return PS_EMSGSIZE;
    case EMFILE:
    case ENFILE:
        return PS_EMFILE;
    case EACCES:
    case EPERM:
        return PS_EACCES;
    case EOPNOTSUPP:
#if ENOTSUP != EOPNOTSUPP
    case ENOTSUP:
#endif
    case ENOPROTOOPT: /* an option this socket's protocol lacks */
        return PS_ENOTSUP;
    default:
        return PS_EUNKNOWN;
    }
}

int ps__posix_error(int err)
{
    ps__set_native_error(err);
    return ps__error_code(err);
}

int ps__last_error(void)
{
    return ps__posix_error(errno);
}
