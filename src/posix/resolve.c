/* SPDX-License-Identifier: MIT */
/* POSIX: name resolution with getaddrinfo. */
#include "posix.h"

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

/* err from getaddrinfo; sys is errno after it (cleared before). */
static int resolve_error(int err, int sys)
{
    if (err == EAI_SYSTEM)
        return ps__posix_error(sys);
    /* Out of descriptors, glibc cannot read its files or reach a server and
     * calls the name or service unknown (EAI_NONAME, EAI_SERVICE) with
     * errno EMFILE: report the cause, not a verdict on the name. */
    if (err != EAI_MEMORY && (sys == EMFILE || sys == ENFILE))
        return ps__posix_error(sys);
    ps__set_native_error(err);
    switch (err) {
    case EAI_MEMORY:
        return PS_ENOMEM;
    case EAI_FAMILY:
        return PS_EAFNOSUPPORT;
    case EAI_SERVICE:
    case EAI_SOCKTYPE:
    case EAI_BADFLAGS:
        return PS_EINVAL;
    default:
        return PS_ENAME;
    }
}

int ps__resolve(const char *host, const char *port, int flags, int type,
                ps_addr **out, size_t *count)
{
    struct addrinfo hints, *res, *ai;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = type == PS_SOCK_DGRAM ? SOCK_DGRAM : SOCK_STREAM;
    hints.ai_flags = ((flags & PS__RESOLVE_PASSIVE) ? AI_PASSIVE : 0) |
                     ((flags & PS__RESOLVE_NUMERIC) ? AI_NUMERICHOST : 0);
    *out = NULL;
    *count = 0;
    errno = 0;
    int err = getaddrinfo(host, port ? port : "0", &hints, &res);
    if (err != 0)
        return resolve_error(err, errno);
    size_t n = 0;
    for (ai = res; ai; ai = ai->ai_next)
        if (ai->ai_addrlen <= sizeof((*out)->storage.bytes))
            n++;
    ps_addr *arr = n ? calloc(n, sizeof *arr) : NULL;
    if (!arr) {
        freeaddrinfo(res);
        return n ? PS_ENOMEM : PS_ENAME;
    }
    n = 0;
    for (ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof arr[n].storage.bytes)
            continue;
        memcpy(arr[n].storage.bytes, ai->ai_addr, ai->ai_addrlen);
        arr[n].len = (uint32_t)ai->ai_addrlen;
        n++;
    }
    freeaddrinfo(res);
    *out = arr;
    *count = n;
    return 0;
}

void ps__free_addrs(ps_addr *addrs)
{
    free(addrs);
}
