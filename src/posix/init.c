/* SPDX-License-Identifier: MIT */
/* POSIX: library lifetime and clock. */
#include "posix.h"

#include <stdatomic.h>
#include <time.h>

static atomic_int init_count;

/* BSD sockets need no start-up; the count only keeps ps_cleanup balanced. */
int ps__ensure_init(void)
{
    return 0;
}

int ps__platform_init(void)
{
    atomic_fetch_add(&init_count, 1);
    return 0;
}

void ps__platform_cleanup(void)
{
    int n = atomic_load(&init_count);
    while (n > 0 && !atomic_compare_exchange_weak(&init_count, &n, n - 1)) {
    }
}

int64_t ps__monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
