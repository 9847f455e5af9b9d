/* SPDX-License-Identifier: MIT */
/* Portable error codes: names, text, and the per-thread native code. */
#include "internal.h"

static _Thread_local int last_native_error;

void ps__set_native_error(int native) { last_native_error = native; }

int ps__keep_native(int r, int saved)
{
    if (r == 0 || r == PS_ETIMEDOUT || r == PS_EWOULDBLOCK)
        last_native_error = saved;
    return r;
}

int ps_native_error(void) { return last_native_error; }

struct error_text {
    int code;
    const char *name;
    const char *text;
};

static const struct error_text errors[] = {
    {PS_OK, "PS_OK", "success"},
    {PS_EINVAL, "PS_EINVAL", "invalid argument"},
    {PS_EBADF, "PS_EBADF", "not a valid open socket"},
    {PS_ENOMEM, "PS_ENOMEM", "out of memory"},
    {PS_EWOULDBLOCK, "PS_EWOULDBLOCK", "operation would block"},
    {PS_ETIMEDOUT, "PS_ETIMEDOUT", "timed out"},
    {PS_ECLOSED, "PS_ECLOSED", "peer closed the connection before all bytes arrived"},
    {PS_ECONNREFUSED, "PS_ECONNREFUSED", "connection refused"},
    {PS_ECONNRESET, "PS_ECONNRESET", "connection reset by peer"},
    {PS_ECONNABORTED, "PS_ECONNABORTED", "connection aborted"},
    {PS_EPIPE, "PS_EPIPE", "connection shut down for writing"},
    {PS_ENOTCONN, "PS_ENOTCONN", "socket is not connected"},
    {PS_EADDRINUSE, "PS_EADDRINUSE", "address already in use"},
    {PS_EADDRNOTAVAIL, "PS_EADDRNOTAVAIL", "address not available"},
    {PS_EAFNOSUPPORT, "PS_EAFNOSUPPORT", "address family not supported"},
    {PS_EHOSTUNREACH, "PS_EHOSTUNREACH", "host unreachable"},
    {PS_ENETUNREACH, "PS_ENETUNREACH", "network unreachable"},
    {PS_ENETDOWN, "PS_ENETDOWN", "network is down"},
    {PS_ENAME, "PS_ENAME", "name resolution failed"},
    {PS_EMSGSIZE, "PS_EMSGSIZE", "message too large"},
    {PS_EMFILE, "PS_EMFILE", "too many open sockets or files"},
    {PS_EACCES, "PS_EACCES", "permission denied"},
    {PS_ENOTSUP, "PS_ENOTSUP", "operation not supported"},
    {PS_EEXIST, "PS_EEXIST", "already registered"},
    {PS_ENOENT, "PS_ENOENT", "not registered"},
    {PS_EUNKNOWN, "PS_EUNKNOWN", "unknown error"},
};

static const struct error_text *find_error(int err)
{
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].code == err)
            return &errors[i];
    return NULL;
}

const char *ps_strerror(int err)
{
    const struct error_text *e = find_error(err);
    return e ? e->text : "unknown portsock error code";
}

const char *ps_errname(int err)
{
    const struct error_text *e = find_error(err);
    return e ? e->name : "PS_E?";
}
