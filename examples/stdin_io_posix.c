/* SPDX-License-Identifier: MIT */
#include "stdin_io.h"

#include <errno.h>
#include <unistd.h>

long stdin_read(void *buf, size_t cap)
{
    ssize_t n;
    do
        n = read(0, buf, cap);
    while (n < 0 && errno == EINTR);
    return (long)n;
}

int stdout_write_all(const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(1, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
