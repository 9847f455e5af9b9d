/* SPDX-License-Identifier: MIT */
/* Library-wide entry points: init/cleanup and version. */
#include "internal.h"

#define PS_STR2(x) #x
#define PS_STR(x) PS_STR2(x)

const char *ps_version(void)
{
    return PS_STR(PS_VERSION_MAJOR) "." PS_STR(PS_VERSION_MINOR) "." PS_STR(
        PS_VERSION_PATCH);
}

int ps_init(void)
{
    int r = ps__platform_init();
    if (r == 0)
        ps__helpers_hold();
    return r;
}

void ps_cleanup(void)
{
    ps__helpers_drop();
    ps__platform_cleanup();
}
