/* SPDX-License-Identifier: MIT */
/* The native error tables (src/posix/error.c, src/win32/error.c), walked
 * through their internal entry ps__error_code: one portable code per
 * condition, whichever platform reports it. The native number for each
 * condition comes from tests/support (the errno on POSIX, the WSA or Win32
 * code on Windows). Reaches an internal function, so it is built against
 * the static library only (tests/CMakeLists.txt). */
#include <criterion/criterion.h>

#include <string.h>

#include "internal.h"
#include "support.h"

static const struct {
    const char *condition;
    int code;
} conditions[] = {
    {"EINVAL", PS_EINVAL},
    {"EFAULT", PS_EINVAL},
    {"EDESTADDRREQ", PS_EINVAL},
    {"EISCONN", PS_EINVAL},
    {"ENAMETOOLONG", PS_EINVAL},
    {"EBADF", PS_EBADF},
    {"ENOTSOCK", PS_EBADF},
    {"ENOMEM", PS_ENOMEM},
    {"ENOBUFS", PS_ENOMEM},
    {"EWOULDBLOCK", PS_EWOULDBLOCK},
    {"EAGAIN", PS_EWOULDBLOCK},
    {"EINPROGRESS", PS_EWOULDBLOCK},
    {"EALREADY", PS_EWOULDBLOCK},
    {"ETIMEDOUT", PS_ETIMEDOUT},
    {"ECONNREFUSED", PS_ECONNREFUSED},
    {"ECONNRESET", PS_ECONNRESET},
    {"ENETRESET", PS_ECONNRESET},
    {"ECONNABORTED", PS_ECONNABORTED},
    {"EPIPE", PS_EPIPE},
    {"ESHUTDOWN", PS_EPIPE},
    {"ENOTCONN", PS_ENOTCONN},
    {"EADDRINUSE", PS_EADDRINUSE},
    {"EADDRNOTAVAIL", PS_EADDRNOTAVAIL},
    /* A "unix:" path that leads to no socket file (ps_connect turns these
     * into PS_ECONNREFUSED: nothing listens there). */
    {"ENOENT", PS_EADDRNOTAVAIL},
    {"ENOTDIR", PS_EADDRNOTAVAIL},
    {"ELOOP", PS_EADDRNOTAVAIL},
    {"EAFNOSUPPORT", PS_EAFNOSUPPORT},
    {"EPFNOSUPPORT", PS_EAFNOSUPPORT},
    {"EPROTONOSUPPORT", PS_EAFNOSUPPORT},
    {"ESOCKTNOSUPPORT", PS_EAFNOSUPPORT},
    {"EPROTOTYPE", PS_EAFNOSUPPORT},
    {"EHOSTUNREACH", PS_EHOSTUNREACH},
    {"EHOSTDOWN", PS_EHOSTUNREACH},
    {"ENETUNREACH", PS_ENETUNREACH},
    {"ENETDOWN", PS_ENETDOWN},
    {"EMSGSIZE", PS_EMSGSIZE},
    {"EMFILE", PS_EMFILE},
    {"ENFILE", PS_EMFILE},
    {"EACCES", PS_EACCES},
    {"EPERM", PS_EACCES},
    {"EOPNOTSUPP", PS_ENOTSUP},
    {"ENOPROTOOPT", PS_ENOTSUP},
    {"WSANOTINITIALISED", PS_ENETDOWN},
    {"WSASYSNOTREADY", PS_ENETDOWN},
    {"WSAVERNOTSUPPORTED", PS_ENOTSUP},
    {"ERROR_INVALID_HANDLE", PS_EBADF},
    {"WSAHOST_NOT_FOUND", PS_ENAME},
    {"WSATRY_AGAIN", PS_ENAME},
};
#define NCONDITIONS (sizeof conditions / sizeof conditions[0])

Test(error_table, each_condition_has_its_code, .timeout = 10)
{
    size_t checked = 0;
    for (size_t i = 0; i < NCONDITIONS; i++) {
        const char *c = conditions[i].condition;
        int native = pst_native_error_for(c);
        cr_assert_neq(native, -1, "no native number for %s in tests/support",
                      c);
        if (native == 0)
            continue; /* this platform has no code for the condition */
        int got = ps__error_code(native);
        cr_assert_eq(got, conditions[i].code,
                     "%s (native %d) -> %s, expected %s", c, native,
                     ps_errname(got), ps_errname(conditions[i].code));
        checked++;
    }
    /* Most conditions exist on both platforms. */
    cr_assert_geq(checked, NCONDITIONS - 8,
                  "only %zu of %zu conditions checked", checked, NCONDITIONS);
}

/* Every native number gives a code the header documents (0 only for 0),
 * and none of them a code only portsock itself finds. */
Test(error_table, every_native_number_gives_a_documented_code, .timeout = 10)
{
    cr_assert_eq(ps__error_code(0), 0);
    for (int v = 1; v < 20000; v++) {
        int got = ps__error_code(v);
        cr_assert(got >= PS_EUNKNOWN && got < 0, "native %d -> %d", v, got);
        cr_assert(got != PS_ECLOSED && got != PS_EEXIST && got != PS_ENOENT,
                  "native %d -> %s", v, ps_errname(got));
    }
    cr_assert_eq(ps__error_code(-1), PS_EUNKNOWN);
}
