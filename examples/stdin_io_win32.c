/* SPDX-License-Identifier: MIT */
#include "stdin_io.h"

#include <fcntl.h>
#include <io.h>

static void binary_mode(void)
{
    static int done;
    if (!done) {
        _setmode(0, _O_BINARY);
        _setmode(1, _O_BINARY);
        done = 1;
    }
}

long stdin_read(void *buf, size_t cap)
{
    binary_mode();
    return _read(0, buf, cap > 65536 ? 65536u : (unsigned)cap);
}

int stdout_write_all(const void *buf, size_t len)
{
    const char *p = buf;
    binary_mode();
    while (len > 0) {
        int n = _write(1, p, len > 65536 ? 65536u : (unsigned)len);
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
