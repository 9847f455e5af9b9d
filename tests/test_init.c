/* SPDX-License-Identifier: MIT */
/* Library lifetime: ps_init / ps_cleanup reference counting and threads. */
#include <criterion/criterion.h>

#include <string.h>

#include "portsock.h"
#include "support.h"

/* One round trip of a byte over a fresh ps_socketpair. Returns 0 or the
 * failing call's code; *step says which call failed. Usable from threads
 * (no assertions inside). */
static int exchange_byte(unsigned char value, int *step)
{
    ps_socket_t pair[2] = {PS_INVALID_SOCKET, PS_INVALID_SOCKET};
    unsigned char got = 0;
    size_t n = 0;
    int rc;

    *step = 1;
    rc = ps_socketpair(pair);
    if (rc != 0)
        return rc;
    *step = 2;
    rc = ps_send(pair[0], &value, 1, &n, 5000);
    if (rc == 0 && n != 1)
        rc = PS_EUNKNOWN;
    if (rc == 0) {
        *step = 3;
        n = 0;
        rc = ps_recv(pair[1], &got, 1, &n, 5000);
        if (rc == 0 && (n != 1 || got != value))
            rc = PS_EUNKNOWN;
    }
    if (ps_close(pair[0]) != 0 && rc == 0) {
        *step = 4;
        rc = PS_EBADF;
    }
    if (ps_close(pair[1]) != 0 && rc == 0) {
        *step = 5;
        rc = PS_EBADF;
    }
    return rc;
}

#define CHECK_EXCHANGE(value)                                         \
    do {                                                              \
        int step_ = 0;                                                \
        int rc_ = exchange_byte((unsigned char)(value), &step_);      \
        cr_assert_eq(rc_, 0, "exchange failed at step %d: %s", step_, \
                     ps_errname(rc_));                                \
    } while (0)

/* Sorted first so that, where tests share a process (minicrit), it still
 * runs before any other test has called ps_init. */
Test(init, absent_init_still_works, .timeout = 30)
{
    ps_socket_t c, s;
    unsigned char b = 0;
    size_t n = 0;

    CHECK_EXCHANGE(0x42);
    /* TCP needs the network stack too (WSAStartup on Windows). */
    pst_tcp_pair(&c, &s);
    cr_assert_eq(ps_send_all(c, "z", 1, NULL, 5000), 0);
    cr_assert_eq(ps_recv_all(s, &b, 1, &n, 5000), 0);
    cr_assert_eq(b, 'z');
    cr_assert_eq(n, 1);
    cr_assert_eq(ps_close(c), 0);
    cr_assert_eq(ps_close(s), 0);
}

Test(init, balanced_calls, .timeout = 30)
{
    int i;
    for (i = 0; i < 10; i++) {
        int rc = ps_init();
        cr_assert_eq(rc, 0, "ps_init #%d: %s", i, ps_errname(rc));
        CHECK_EXCHANGE(i);
        ps_cleanup();
    }
    CHECK_EXCHANGE(0x55);
}

Test(init, nested_calls, .timeout = 30)
{
    int i;
    for (i = 0; i < 3; i++)
        cr_assert_eq(ps_init(), 0, "ps_init #%d", i);
    CHECK_EXCHANGE(1);
    ps_cleanup();
    CHECK_EXCHANGE(2);
    ps_cleanup();
    CHECK_EXCHANGE(3);
    ps_cleanup();
    /* All references dropped: the library initializes itself again. */
    CHECK_EXCHANGE(4);
    cr_assert_eq(ps_init(), 0);
    CHECK_EXCHANGE(5);
    ps_cleanup();
}

Test(init, socket_outlives_inner_reference, .timeout = 30)
{
    /* A socket made under one reference keeps working while other
     * references come and go. */
    ps_socket_t pair[2];
    unsigned char b = 0;
    size_t n = 0;
    int i;

    cr_assert_eq(ps_init(), 0);
    cr_assert_eq(ps_socketpair(pair), 0);
    for (i = 0; i < 5; i++) {
        cr_assert_eq(ps_init(), 0);
        ps_cleanup();
    }
    cr_assert_eq(ps_send(pair[0], "q", 1, &n, 5000), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(ps_recv(pair[1], &b, 1, &n, 5000), 0);
    cr_assert_eq(b, 'q');
    cr_assert_eq(ps_close(pair[0]), 0);
    cr_assert_eq(ps_close(pair[1]), 0);
    ps_cleanup();
}

Test(init, cleanup_without_init_is_harmless, .timeout = 30)
{
    int i;
    for (i = 0; i < 5; i++)
        ps_cleanup();
    CHECK_EXCHANGE(7);
    cr_assert_eq(ps_init(), 0);
    CHECK_EXCHANGE(8);
    ps_cleanup();
    ps_cleanup(); /* one too many again */
    CHECK_EXCHANGE(9);
    {
        ps_socket_t c, s;
        pst_tcp_pair(&c, &s);
        cr_assert_eq(ps_close(c), 0);
        cr_assert_eq(ps_close(s), 0);
    }
}

enum { NTHREADS = 8, ROUNDS = 100 };

struct worker {
    int index;
    int done;    /* rounds completed */
    int init_rc; /* first failing ps_init code, 0 if none */
    int rc;      /* first failing exchange code, 0 if none */
    int step;
    int round;
};

static void worker_main(void *arg)
{
    struct worker *w = (struct worker *)arg;
    int i;
    for (i = 0; i < ROUNDS; i++) {
        int step = 0, rc;
        rc = ps_init();
        if (rc != 0) {
            w->init_rc = rc;
            w->round = i;
            return;
        }
        rc = exchange_byte((unsigned char)(w->index * 31 + i), &step);
        ps_cleanup();
        if (rc != 0) {
            w->rc = rc;
            w->step = step;
            w->round = i;
            return;
        }
        w->done++;
    }
}

Test(init, concurrent_init_cleanup, .timeout = 120)
{
    struct worker w[NTHREADS];
    pst_thread *t[NTHREADS];
    int i;

    memset(w, 0, sizeof w);
    for (i = 0; i < NTHREADS; i++) {
        w[i].index = i;
        t[i] = pst_thread_start(worker_main, &w[i]);
        cr_assert_not_null(t[i], "could not start thread %d", i);
    }
    for (i = 0; i < NTHREADS; i++)
        pst_thread_join(t[i]);
    for (i = 0; i < NTHREADS; i++) {
        cr_expect_eq(w[i].init_rc, 0,
                     "thread %d: ps_init failed in round %d:"
                     " %s",
                     i, w[i].round, ps_errname(w[i].init_rc));
        cr_expect_eq(w[i].rc, 0, "thread %d: round %d failed at step %d: %s", i,
                     w[i].round, w[i].step, ps_errname(w[i].rc));
        cr_assert_eq(w[i].done, ROUNDS, "thread %d finished %d of %d rounds", i,
                     w[i].done, ROUNDS);
    }
    /* And the library still works afterwards, with no reference held. */
    CHECK_EXCHANGE(0x77);
}

/* Threads that never call ps_init while others init and clean up. */
static void bare_worker(void *arg)
{
    struct worker *w = (struct worker *)arg;
    int i;
    for (i = 0; i < ROUNDS; i++) {
        int step = 0;
        int rc = exchange_byte((unsigned char)i, &step);
        if (rc != 0) {
            w->rc = rc;
            w->step = step;
            w->round = i;
            return;
        }
        w->done++;
    }
}

Test(init, mixed_init_and_bare_threads, .timeout = 120)
{
    struct worker w[4];
    pst_thread *t[4];
    int i;

    memset(w, 0, sizeof w);
    for (i = 0; i < 4; i++) {
        w[i].index = i;
        t[i] = pst_thread_start(i % 2 ? bare_worker : worker_main, &w[i]);
        cr_assert_not_null(t[i]);
    }
    for (i = 0; i < 4; i++)
        pst_thread_join(t[i]);
    for (i = 0; i < 4; i++) {
        cr_expect_eq(w[i].init_rc, 0, "thread %d: ps_init: %s", i,
                     ps_errname(w[i].init_rc));
        cr_assert_eq(w[i].done, ROUNDS,
                     "thread %d (%s) stopped in round %d at"
                     " step %d: %s",
                     i, i % 2 ? "no ps_init" : "ps_init", w[i].round, w[i].step,
                     ps_errname(w[i].rc));
    }
}
