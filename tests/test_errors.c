/* SPDX-License-Identifier: MIT */
/* Error codes: names, texts, the per-thread native error, the version. */
#include <criterion/criterion.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "portsock.h"
#include "support.h"

#define CODE(c) \
    {           \
        c, #c   \
    }
static const struct {
    int code;
    const char *name;
} codes[] = {
    CODE(PS_EINVAL),        CODE(PS_EBADF),        CODE(PS_ENOMEM),
    CODE(PS_EWOULDBLOCK),   CODE(PS_ETIMEDOUT),    CODE(PS_ECLOSED),
    CODE(PS_ECONNREFUSED),  CODE(PS_ECONNRESET),   CODE(PS_ECONNABORTED),
    CODE(PS_EPIPE),         CODE(PS_ENOTCONN),     CODE(PS_EADDRINUSE),
    CODE(PS_EADDRNOTAVAIL), CODE(PS_EAFNOSUPPORT), CODE(PS_EHOSTUNREACH),
    CODE(PS_ENETUNREACH),   CODE(PS_ENETDOWN),     CODE(PS_ENAME),
    CODE(PS_EMSGSIZE),      CODE(PS_EMFILE),       CODE(PS_EACCES),
    CODE(PS_ENOTSUP),       CODE(PS_EEXIST),       CODE(PS_ENOENT),
    CODE(PS_EUNKNOWN),      CODE(PS_ETLS),         CODE(PS_ECERT),
    CODE(PS_ETRUNCATED),
};
#define NCODES (sizeof codes / sizeof codes[0])

static const int unknown_codes[] = {-999, -29, 5, 1, 100, INT_MIN, INT_MAX};
#define NUNKNOWN (sizeof unknown_codes / sizeof unknown_codes[0])

Test(errors, codes_are_negative_and_distinct, .timeout = 10)
{
    size_t i, j;
    cr_assert_eq(PS_OK, 0);
    for (i = 0; i < NCODES; i++) {
        cr_assert_lt(codes[i].code, 0, "%s", codes[i].name);
        for (j = i + 1; j < NCODES; j++)
            cr_assert_neq(codes[i].code, codes[j].code, "%s and %s",
                          codes[i].name, codes[j].name);
    }
}

/* The header's codes are the contiguous range LAST_CODE..PS_EINVAL (the TLS
 * codes come after PS_EUNKNOWN): every
 * value in it must have its own name from the library (not the unknown-code
 * text) that this file's table also lists, and the value just past
 * LAST_CODE must be unknown. A code added to the header but missing from
 * the library or from the table above fails here. */
#define LAST_CODE PS_ETRUNCATED
Test(errors, header_range_is_fully_named, .timeout = 10)
{
    const char *unknown = ps_errname(INT_MIN);
    int c, d;
    size_t j;
    cr_assert_eq(PS_EINVAL, -1);
    cr_assert_lt(LAST_CODE, PS_EUNKNOWN);
    for (c = LAST_CODE; c <= PS_EINVAL; c++) {
        const char *n = ps_errname(c);
        int listed = 0;
        cr_assert_not_null(n, "ps_errname(%d)", c);
        cr_assert_str_neq(n, unknown, "code %d has no name", c);
        cr_assert_str_neq(ps_strerror(c), ps_strerror(INT_MIN),
                          "code %d (%s) has no text", c, n);
        for (d = LAST_CODE; d < c; d++)
            cr_assert_str_neq(n, ps_errname(d), "codes %d and %d", c, d);
        for (j = 0; j < NCODES; j++)
            if (codes[j].code == c && strcmp(codes[j].name, n) == 0)
                listed = 1;
        cr_assert(listed, "code %d (%s) is missing from this test's table", c,
                  n);
    }
    cr_assert_eq((size_t)(PS_EINVAL - LAST_CODE + 1), NCODES,
                 "this test's table has codes outside LAST_CODE..PS_EINVAL");
    cr_assert_str_eq(ps_errname(LAST_CODE - 1), unknown,
                     "code %d past LAST_CODE has a name", LAST_CODE - 1);
    cr_assert_str_eq(ps_strerror(LAST_CODE - 1), ps_strerror(INT_MIN));
}

Test(errors, every_code_has_its_name, .timeout = 10)
{
    size_t i, j;
    for (i = 0; i < NCODES; i++) {
        const char *n = ps_errname(codes[i].code);
        cr_assert_not_null(n, "ps_errname(%d)", codes[i].code);
        cr_assert_str_eq(n, codes[i].name);
        cr_assert_eq(strncmp(n, "PS_E", 4), 0, "%s", n);
        for (j = 0; j < i; j++)
            cr_assert_str_neq(n, ps_errname(codes[j].code));
    }
}

Test(errors, every_code_has_a_text, .timeout = 10)
{
    size_t i;
    for (i = 0; i < NCODES; i++) {
        const char *t = ps_strerror(codes[i].code);
        cr_assert_not_null(t, "ps_strerror(%s)", codes[i].name);
        cr_assert_gt(strlen(t), 0, "ps_strerror(%s) is empty", codes[i].name);
        /* The text is meant for people, not the code's name again. */
        cr_assert_str_neq(t, codes[i].name);
    }
}

Test(errors, unknown_codes_give_text, .timeout = 10)
{
    size_t i, j;
    for (i = 0; i < NUNKNOWN; i++) {
        int c = unknown_codes[i];
        const char *n = ps_errname(c);
        const char *t = ps_strerror(c);
        cr_assert_not_null(n, "ps_errname(%d)", c);
        cr_assert_not_null(t, "ps_strerror(%d)", c);
        cr_assert_gt(strlen(n), 0, "ps_errname(%d) is empty", c);
        cr_assert_gt(strlen(t), 0, "ps_strerror(%d) is empty", c);
        for (j = 0; j < NCODES; j++)
            cr_assert_str_neq(n, codes[j].name,
                              "unknown code %d named like a known one", c);
    }
}

Test(errors, zero_is_success, .timeout = 10)
{
    const char *n = ps_errname(0);
    const char *t = ps_strerror(0);
    size_t j;
    cr_assert_not_null(n);
    cr_assert_not_null(t);
    cr_assert_gt(strlen(n), 0);
    cr_assert_gt(strlen(t), 0);
    cr_assert_neq(strncmp(n, "PS_E", 4), 0,
                  "0 is not an error, but ps_errname(0) is \"%s\"", n);
    for (j = 0; j < NCODES; j++)
        cr_assert_str_neq(t, ps_strerror(codes[j].code));
}

Test(errors, close_invalid_socket_is_ebadf, .timeout = 10)
{
    int rc = ps_close(PS_INVALID_SOCKET);
    cr_assert_eq(rc, PS_EBADF, "ps_close(PS_INVALID_SOCKET): %s",
                 ps_errname(rc));
}

Test(errors, native_error_after_failing_call, .timeout = 10)
{
    ps_socket_t s;
    int rc = ps_socket(&s, PS_AF_INET, PS_SOCK_STREAM);
    cr_assert_eq(rc, 0, "ps_socket: %s", ps_errname(rc));
    rc = ps_close(s);
    cr_assert_eq(rc, 0, "ps_close: %s", ps_errname(rc));
    /* The system itself rejects a second close (nothing else in this
     * thread opens a descriptor in between), so there is a native code. */
    rc = ps_close(s);
    cr_assert_eq(rc, PS_EBADF, "second ps_close: %s", ps_errname(rc));
    cr_assert_neq(ps_native_error(), 0,
                  "no native error recorded after a failed close");
}

struct native_probe {
    int before;
    int after_fail;
    int fail_rc;
};

static void probe_thread(void *arg)
{
    struct native_probe *p = (struct native_probe *)arg;
    ps_addr a;
    p->before = ps_native_error();
    memset(&a, 0, sizeof a);
    /* Fails inside the system: peer address of an unconnected socket. */
    {
        ps_socket_t s;
        if (ps_socket(&s, PS_AF_INET, PS_SOCK_STREAM) == 0) {
            p->fail_rc = ps_peer_addr(s, &a);
            p->after_fail = ps_native_error();
            ps_close(s);
        }
    }
}

Test(errors, native_error_is_per_thread, .timeout = 20)
{
    struct native_probe p = {-1, 0, 1};
    ps_socket_t s;
    pst_thread *t;
    int mine, rc;

    rc = ps_socket(&s, PS_AF_INET, PS_SOCK_STREAM);
    cr_assert_eq(rc, 0, "ps_socket: %s", ps_errname(rc));
    ps_close(s);
    cr_assert_eq(ps_close(s), PS_EBADF);
    mine = ps_native_error();
    cr_assert_neq(mine, 0);

    t = pst_thread_start(probe_thread, &p);
    cr_assert_not_null(t);
    pst_thread_join(t);
    cr_assert_eq(p.before, 0,
                 "a new thread sees another thread's native "
                 "error (%d)",
                 p.before);
    cr_assert_eq(p.fail_rc, PS_ENOTCONN, "ps_peer_addr: %s",
                 ps_errname(p.fail_rc));
    cr_assert_neq(p.after_fail, 0);
    cr_assert_eq(ps_native_error(), mine,
                 "another thread's failure changed this thread's code");
}

struct name_worker {
    int ok;
};

static void name_thread(void *arg)
{
    struct name_worker *w = (struct name_worker *)arg;
    int round;
    size_t i;
    w->ok = 1;
    for (round = 0; round < 2000; round++)
        for (i = 0; i < NCODES; i++)
            if (strcmp(ps_errname(codes[i].code), codes[i].name) != 0 ||
                ps_strerror(codes[i].code)[0] == '\0')
                w->ok = 0;
}

Test(errors, names_thread_safe, .timeout = 30)
{
    struct name_worker w[4];
    pst_thread *t[4];
    int i;
    for (i = 0; i < 4; i++) {
        t[i] = pst_thread_start(name_thread, &w[i]);
        cr_assert_not_null(t[i]);
    }
    for (i = 0; i < 4; i++)
        pst_thread_join(t[i]);
    for (i = 0; i < 4; i++)
        cr_assert(w[i].ok, "thread %d saw a wrong name or text", i);
}

Test(errors, version_string, .timeout = 10)
{
    char want[64];
    const char *v = ps_version();
    snprintf(want, sizeof want, "%d.%d.%d", PS_VERSION_MAJOR, PS_VERSION_MINOR,
             PS_VERSION_PATCH);
    cr_assert_not_null(v);
    cr_assert_str_eq(v, want);
    cr_assert(ps_version() == v || strcmp(ps_version(), v) == 0,
              "ps_version is not stable");
}
