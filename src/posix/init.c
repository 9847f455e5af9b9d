/* POSIX: library lifetime, clock and error mapping. */
#include "posix.h"

#include <errno.h>
#include <netdb.h>
#include <stdatomic.h>
#include <time.h>

static atomic_int init_count;

/* BSD sockets need no start-up; the count only keeps ps_cleanup balanced. */
int ps__ensure_init(void) { return 0; }

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

int ps__posix_error(int err)
{
    ps__set_native_error(err);
    switch (err) {
    case 0:
        return 0;
    case EINVAL:
    case EFAULT:
    case EDESTADDRREQ:
    case EISCONN:
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
        return PS_ECONNRESET;
    case ECONNABORTED:
        return PS_ECONNABORTED;
    case EPIPE:
        return PS_EPIPE;
    case ENOTCONN:
        return PS_ENOTCONN;
    case EADDRINUSE:
        return PS_EADDRINUSE;
    case EADDRNOTAVAIL:
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
    case ENETRESET:
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
        return PS_ENOTSUP;
    default:
        return PS_EUNKNOWN;
    }
}

int ps__last_error(void) { return ps__posix_error(errno); }
