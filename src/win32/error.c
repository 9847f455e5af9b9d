/* SPDX-License-Identifier: MIT */
/* WSA error codes -> PS_E* codes. src/posix/error.c gives the same code
 * for the same condition (tests/test_error_table.c checks both). */
#include "win32.h"

int ps__error_code(int wsa)
{
    switch (wsa) {
    case 0:
        return 0;
    case WSAENOTSOCK:
    case WSAEBADF:
    case ERROR_INVALID_HANDLE:
        return PS_EBADF;
    case WSAEWOULDBLOCK:
    case WSAEINPROGRESS:
    case WSAEALREADY:
        return PS_EWOULDBLOCK;
    case WSAETIMEDOUT:
        return PS_ETIMEDOUT;
    case WSAECONNREFUSED:
        return PS_ECONNREFUSED;
    case WSAECONNRESET:
    case WSAENETRESET: /* keep-alive found the peer gone */
        return PS_ECONNRESET;
    case WSAECONNABORTED:
        return PS_ECONNABORTED;
    case WSAESHUTDOWN:
        return PS_EPIPE;
    case WSAENOTCONN:
        return PS_ENOTCONN;
    case WSAEADDRINUSE:
        return PS_EADDRINUSE;
    case WSAEADDRNOTAVAIL:
    case WSAELOOP: /* as ELOOP: a path that leads nowhere */
        return PS_EADDRNOTAVAIL;
    case WSAEAFNOSUPPORT:
    case WSAEPFNOSUPPORT:
    case WSAEPROTONOSUPPORT:
    case WSAESOCKTNOSUPPORT:
    case WSAEPROTOTYPE:
        return PS_EAFNOSUPPORT;
    case WSAEHOSTUNREACH:
    case WSAEHOSTDOWN:
        return PS_EHOSTUNREACH;
    case WSAENETUNREACH:
        return PS_ENETUNREACH;
    case WSAENETDOWN:
    case WSASYSNOTREADY:
    case WSANOTINITIALISED: /* someone called WSACleanup once too often */
        return PS_ENETDOWN;
    case WSAEMSGSIZE:
        return PS_EMSGSIZE;
    case WSAEMFILE:
        return PS_EMFILE;
    case WSAEACCES:
        return PS_EACCES;
    case WSAEOPNOTSUPP:
    case WSAENOPROTOOPT:
    case WSAVERNOTSUPPORTED:
        return PS_ENOTSUP;
    case WSAEINVAL:
    case WSAEFAULT:
    case WSAEDESTADDRREQ:
    case WSAEISCONN:
    case WSAENAMETOOLONG:
        return PS_EINVAL;
    case WSAENOBUFS:
    case WSA_NOT_ENOUGH_MEMORY:
        return PS_ENOMEM;
    case WSAHOST_NOT_FOUND:
    case WSANO_DATA:
    case WSATRY_AGAIN:
    case WSANO_RECOVERY:
    case WSATYPE_NOT_FOUND:
        return PS_ENAME;
    default:
        return PS_EUNKNOWN;
    }
}

int ps__win_error(int wsa)
{
    ps__set_native_error(wsa);
    return ps__error_code(wsa);
}

int ps__last_error(void)
{
    return ps__win_error(WSAGetLastError());
}

int ps__win_gai_error(int rc)
{
    ps__set_native_error(rc);
    /* The EAI_* values are WSA codes; only these mean something other than
     * "the name did not resolve", as POSIX maps the same EAI_* codes. */
    switch (rc) {
    case WSA_NOT_ENOUGH_MEMORY: /* EAI_MEMORY */
    case WSAENOBUFS:
        return PS_ENOMEM;
    case WSANOTINITIALISED:
        return PS_ENETDOWN;
    case WSAEAFNOSUPPORT: /* EAI_FAMILY */
        return PS_EAFNOSUPPORT;
    /* EAI_SERVICE: the port names no service the system knows, which is
     * bad port text, not a host that did not resolve; read as "not a
     * numeric host" it also sent a numeric host on to a lookup. */
    case WSATYPE_NOT_FOUND:
    case WSAESOCKTNOSUPPORT: /* EAI_SOCKTYPE */
    case WSAEINVAL:          /* EAI_BADFLAGS */
        return PS_EINVAL;
    default:
        return PS_ENAME;
    }
}
