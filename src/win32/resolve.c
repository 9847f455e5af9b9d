/* SPDX-License-Identifier: MIT */
/* Name resolution with getaddrinfo. */
#include "win32.h"

#include <stdlib.h>

int ps__resolve(const char *host, const char *port, int flags, int type,
                ps_addr **out, size_t *count)
{
    ADDRINFOA hints, *res = NULL, *ai;
    ps_addr *arr;
    size_t n = 0;
    int rc;
    if (out == NULL || count == NULL)
        return PS_EINVAL;
    *out = NULL;
    *count = 0;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = ps__win_socktype(type);
    if (hints.ai_socktype == 0)
        return PS_EINVAL;
    /* No AI_ADDRCONFIG: it hides loopback addresses on a machine without
     * a configured network. */
    hints.ai_flags = ((flags & PS__RESOLVE_PASSIVE) ? AI_PASSIVE : 0) |
                     ((flags & PS__RESOLVE_NUMERIC) ? AI_NUMERICHOST : 0);
    rc = ps__ensure_init();
    if (rc != 0)
        return rc;
    rc = getaddrinfo(host, port != NULL ? port : "0", &hints, &res);
    if (rc != 0)
        return ps__win_gai_error(rc);
    for (ai = res; ai != NULL; ai = ai->ai_next)
        n++;
    arr = n != 0 ? (ps_addr *)calloc(n, sizeof *arr) : NULL;
    if (arr == NULL) {
        freeaddrinfo(res);
        return n != 0 ? ps__win_error(WSA_NOT_ENOUGH_MEMORY)
                      : ps__win_gai_error(WSAHOST_NOT_FOUND);
    }
    n = 0;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        if (ai->ai_addr == NULL || ai->ai_addrlen == 0 ||
            ai->ai_addrlen > sizeof arr[n].storage.bytes)
            continue;
        memcpy(arr[n].storage.bytes, ai->ai_addr, ai->ai_addrlen);
        arr[n].len = (uint32_t)ai->ai_addrlen;
        n++;
    }
    freeaddrinfo(res);
    if (n == 0) {
        free(arr);
        return ps__win_gai_error(WSAHOST_NOT_FOUND);
    }
    *out = arr;
    *count = n;
    return 0;
}

void ps__free_addrs(ps_addr *addrs)
{
    free(addrs);
}
