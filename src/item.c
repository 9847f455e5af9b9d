/* SPDX-License-Identifier: MIT */
/* ps_item_read / ps_item_write: the argument checks; the platform files
 * (src/posix/item.c, src/win32/item.c) make the one transfer. */
#include "internal.h"

#include <limits.h>

static int check_item(const ps_pollitem *item)
{
    if (!item)
        return PS_EINVAL;
    switch (item->kind) {
    case PS_KIND_SOCKET:
        return ps__check_socket(item->sock);
    case PS_KIND_FD:
        return item->fd < 0 ? PS_EBADF : 0;
    case PS_KIND_HANDLE:
        return ps__item_handles() ? 0 : PS_ENOTSUP;
    default:
        return PS_EINVAL;
    }
}

int ps_item_read(const ps_pollitem *item, void *buf, size_t cap, size_t *got)
{
    if (got)
        *got = 0;
    /* cap 0 could not be told from end of input. */
    if (!item || !buf || !got || cap == 0)
        return PS_EINVAL;
    int r = check_item(item);
    if (r != 0)
        return r;
    /* One call takes no more anywhere: Windows counts in a DWORD or int,
     * POSIX refuses more than SSIZE_MAX. */
    if (cap > (size_t)INT_MAX)
        cap = (size_t)INT_MAX;
    return ps__item_read(item, buf, cap, got);
}

int ps_item_write(const ps_pollitem *item, const void *buf, size_t len,
                  size_t *sent)
{
    size_t dummy;
    if (!sent)
        sent = &dummy;
    *sent = 0;
    if (!item || (!buf && len > 0))
        return PS_EINVAL;
    int r = check_item(item);
    if (r != 0)
        return r;
    if (len > (size_t)INT_MAX)
        len = (size_t)INT_MAX;
    return ps__item_write(item, buf, len, sent);
}
