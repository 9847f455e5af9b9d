/* SPDX-License-Identifier: MIT */
/* The header's thread-safety promises under load: one socket sent on and
 * received on by two threads at once, ps_init/ps_cleanup from many threads,
 * concurrent ps_select, ps_resolve and error names, and ps_poller changes
 * while another thread waits. Every leg runs it; the ThreadSanitizer leg
 * is where it matters most (any report fails that leg). */
#include <criterion/criterion.h>

#include <stdatomic.h>
#include <string.h>

#include "portsock.h"
#include "rc_assert.h"
#include "support.h"

TestSuite(threads, .timeout = 120);

#define STREAM_BYTES (512 * 1024)
#define CHUNK 4096

/* Byte i of a stream: a pattern that shows a lost, doubled or reordered
 * chunk. */
static unsigned char pattern(size_t i, unsigned seed)
{
    return (unsigned char)((i * 131u + seed) ^ (i >> 9));
}

struct stream {
    ps_socket_t s;
    unsigned seed;
    int rc;
    size_t moved;
};

static void send_main(void *arg)
{
    struct stream *st = (struct stream *)arg;
    unsigned char buf[CHUNK];
    while (st->moved < STREAM_BYTES) {
        size_t n = CHUNK, sent = 0;
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern(st->moved + i, st->seed);
        st->rc = ps_send_all(st->s, buf, n, &sent, 20000);
        st->moved += sent;
        if (st->rc != 0)
            return;
    }
}

static void recv_main(void *arg)
{
    struct stream *st = (struct stream *)arg;
    unsigned char buf[CHUNK];
    while (st->moved < STREAM_BYTES) {
        size_t got = 0;
        st->rc = ps_recv(st->s, buf, sizeof buf, &got, 20000);
        if (st->rc != 0 || got == 0) {
            if (st->rc == 0)
                st->rc = PS_ECLOSED;
            return;
        }
        for (size_t i = 0; i < got; i++)
            if (buf[i] != pattern(st->moved + i, st->seed)) {
                st->rc = PS_EUNKNOWN; /* wrong byte */
                return;
            }
        st->moved += got;
    }
}

/* Both directions of a connection at once, each end with a sending and a
 * receiving thread: four threads, two per socket. */
Test(threads, send_and_recv_on_one_socket)
{
    ps_socket_t a, b;
    pst_tcp_pair(&a, &b);
    struct stream st[4] = {
        {a, 1, 0, 0}, /* a sends */
        {b, 1, 0, 0}, /* b receives it */
        {b, 2, 0, 0}, /* b sends */
        {a, 2, 0, 0}, /* a receives it */
    };
    pst_thread *t[4];
    t[0] = pst_thread_start(send_main, &st[0]);
    t[1] = pst_thread_start(recv_main, &st[1]);
    t[2] = pst_thread_start(send_main, &st[2]);
    t[3] = pst_thread_start(recv_main, &st[3]);
    for (int i = 0; i < 4; i++) {
        cr_assert_not_null(t[i]);
    }
    for (int i = 0; i < 4; i++)
        pst_thread_join(t[i]);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(st[i].rc, 0, "stream %d: %s", i, ps_errname(st[i].rc));
        cr_assert_eq(st[i].moved, (size_t)STREAM_BYTES, "stream %d", i);
    }
    ps_close(a);
    ps_close(b);
}

struct worker {
    int rc;
    int rounds;
};

static void init_cleanup_main(void *arg)
{
    struct worker *w = (struct worker *)arg;
    for (int i = 0; i < w->rounds && w->rc == 0; i++) {
        ps_socket_t pair[2];
        if ((w->rc = ps_init()) != 0)
            return;
        w->rc = ps_socketpair(pair);
        if (w->rc == 0) {
            ps_close(pair[0]);
            ps_close(pair[1]);
        }
        ps_cleanup();
    }
}

Test(threads, init_and_cleanup_from_many_threads)
{
    struct worker w[4];
    pst_thread *t[4];
    OK(ps_init()); /* the stack stays up while the threads count */
    for (int i = 0; i < 4; i++) {
        w[i].rc = 0;
        w[i].rounds = 100;
        t[i] = pst_thread_start(init_cleanup_main, &w[i]);
        cr_assert_not_null(t[i]);
    }
    for (int i = 0; i < 4; i++)
        pst_thread_join(t[i]);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(w[i].rc, 0, "thread %d: %s", i, ps_errname(w[i].rc));
    ps_cleanup();
}

/* Each thread: its own pair, pinged through ps_select; and names of every
 * error code on the way. */
static void select_main(void *arg)
{
    struct worker *w = (struct worker *)arg;
    ps_socket_t a, b;
    pst_tcp_pair(&a, &b);
    for (int i = 0; i < w->rounds && w->rc == 0; i++) {
        ps_pollitem it;
        char c = (char)i, got;
        memset(&it, 0, sizeof it);
        it.kind = PS_KIND_SOCKET;
        it.sock = b;
        it.events = PS_POLL_READ;
        if ((w->rc = ps_send_all(a, &c, 1, NULL, 5000)) != 0)
            break;
        int n = ps_select(&it, 1, 5000);
        if (n != 1 || !(it.revents & PS_POLL_READ)) {
            w->rc = n < 0 ? n : PS_EUNKNOWN;
            break;
        }
        if ((w->rc = ps_recv_all(b, &got, 1, NULL, 5000)) == 0 && got != c)
            w->rc = PS_EUNKNOWN;
        for (int e = 0; e >= -40; e--)
            if (ps_strerror(e) == NULL || ps_errname(e) == NULL)
                w->rc = PS_EUNKNOWN;
    }
    ps_close(a);
    ps_close(b);
}

static void resolve_main(void *arg)
{
    struct worker *w = (struct worker *)arg;
    for (int i = 0; i < w->rounds && w->rc == 0; i++) {
        ps_addr addrs[4];
        size_t n = 0;
        w->rc = ps_resolve(i & 1 ? "127.0.0.1" : "::1", "80", PS_SOCK_STREAM,
                           addrs, 4, &n, 5000);
        if (w->rc == 0 && n != 1)
            w->rc = PS_EUNKNOWN;
    }
}

Test(threads, select_resolve_and_names_at_once)
{
    struct worker w[4];
    pst_thread *t[4];
    for (int i = 0; i < 4; i++) {
        w[i].rc = 0;
        w[i].rounds = 200;
        t[i] = pst_thread_start(i < 2 ? select_main : resolve_main, &w[i]);
        cr_assert_not_null(t[i]);
    }
    for (int i = 0; i < 4; i++)
        pst_thread_join(t[i]);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(w[i].rc, 0, "thread %d: %s", i, ps_errname(w[i].rc));
}

struct waiter {
    ps_poller *p;
    atomic_int stop;
    int rc;
    atomic_long events;
};

static void waiter_main(void *arg)
{
    struct waiter *w = (struct waiter *)arg;
    while (!atomic_load(&w->stop)) {
        ps_event ev[16];
        int n = ps_poller_wait(w->p, ev, 16, 1000);
        if (n < 0) {
            w->rc = n;
            return;
        }
        atomic_fetch_add(&w->events, n);
    }
}

/* Items with data come and go while a thread waits: no failure; items
 * added while it waits are reported to it; a wake ends the wait. */
Test(threads, poller_changes_while_waiting)
{
    enum { PAIRS = 32, ROUNDS = 20 };
    static int tags[PAIRS];
    ps_socket_t a[PAIRS], b[PAIRS];
    struct waiter w;
    w.rc = 0;
    atomic_init(&w.events, 0);
    atomic_init(&w.stop, 0);
    OK(ps_poller_open(&w.p));
    for (int i = 0; i < PAIRS; i++) {
        pst_tcp_pair(&a[i], &b[i]);
        OK(ps_send_all(a[i], "x", 1, NULL, 1000)); /* b[i] stays readable */
    }
    pst_thread *t = pst_thread_start(waiter_main, &w);
    cr_assert_not_null(t);
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < PAIRS; i++) {
            ps_pollitem it;
            memset(&it, 0, sizeof it);
            it.kind = PS_KIND_SOCKET;
            it.sock = b[i];
            it.events = (r & 1) ? PS_POLL_READ : PS_POLL_READ | PS_POLL_ONESHOT;
            OK(ps_poller_add(w.p, &it, &tags[i]));
            OK(ps_poller_modify(w.p, &it, &tags[i]));
        }
        for (int i = 0; i < PAIRS; i++) {
            ps_pollitem it;
            memset(&it, 0, sizeof it);
            it.kind = PS_KIND_SOCKET;
            it.sock = b[i];
            OK(ps_poller_remove(w.p, &it));
        }
    }
    long during = atomic_load(&w.events);
    /* Registered for good now, one-shot: each is reported to the wait. */
    for (int i = 0; i < PAIRS; i++) {
        ps_pollitem it;
        memset(&it, 0, sizeof it);
        it.kind = PS_KIND_SOCKET;
        it.sock = b[i];
        it.events = PS_POLL_READ | PS_POLL_ONESHOT;
        OK(ps_poller_add(w.p, &it, &tags[i]));
    }
    int64_t end = pst_now_ms() + 10000;
    while (atomic_load(&w.events) < during + PAIRS && pst_now_ms() < end)
        pst_sleep_ms(5);
    atomic_store(&w.stop, 1);
    OK(ps_poller_wake(w.p));
    pst_thread_join(t);
    cr_assert_eq(w.rc, 0, "wait: %s", ps_errname(w.rc));
    /* (At least: a wait that was returning at the snapshot may add some.) */
    cr_assert_geq(atomic_load(&w.events), during + PAIRS,
                  "%ld events for %d one-shot items added while waiting",
                  atomic_load(&w.events) - during, PAIRS);
    cr_log_info("%ld events seen during %d rounds of changes", during, ROUNDS);
    ps_poller_close(w.p);
    for (int i = 0; i < PAIRS; i++) {
        ps_close(a[i]);
        ps_close(b[i]);
    }
}
