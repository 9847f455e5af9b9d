/* SPDX-License-Identifier: MIT */
/* ps_poller on sockets, pipes and files: errors, each readiness bit,
 * level-triggered and one-shot, wakes, changes from other threads, many
 * items. The same source runs on every backend and under Wine. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portsock.h"
#include "rc_assert.h"
#include "select_support.h"
#include "support.h"

/* Every test here is bounded even where it waits with timeout -1. */
TestSuite(poller, .timeout = 120);

static ps_poller *open_poller(void)
{
    ps_poller *p = NULL;
    OK(ps_poller_open(&p));
    cr_assert_not_null(p);
    return p;
}

static void add_sock(ps_poller *p, ps_socket_t s, unsigned events, void *data)
{
    ps_pollitem it = pst_sock_item(s, events);
    OK(ps_poller_add(p, &it, data));
}

static void send_byte(ps_socket_t s)
{
    OK(ps_send_all(s, "x", 1, NULL, 2000));
}

/* One wait that must report exactly one event. */
static ps_event wait_one(ps_poller *p, int timeout_ms)
{
    ps_event ev[4];
    memset(ev, 0, sizeof ev);
    int n = ps_poller_wait(p, ev, 4, timeout_ms);
    cr_assert_eq(n, 1, "ps_poller_wait -> %d (%s)", n, ps_errname(n));
    return ev[0];
}

static void wait_none(ps_poller *p, int timeout_ms)
{
    ps_event ev[4];
    int n = ps_poller_wait(p, ev, 4, timeout_ms);
    cr_assert_eq(n, 0, "ps_poller_wait -> %d (%s), revents %u", n,
                 ps_errname(n), n > 0 ? ev[0].revents : 0u);
}

Test(poller, open_and_close)
{
    RC_IS(ps_poller_open(NULL), PS_EINVAL);
    ps_poller *p = open_poller();
    ps_poller_close(p);
    ps_poller_close(NULL);
}

Test(poller, bad_arguments)
{
    ps_poller *p = open_poller();
    ps_socket_t a, b;
    ps_event ev[1];
    pst_tcp_pair(&a, &b);
    ps_pollitem it = pst_sock_item(a, PS_POLL_READ);
    RC_IS(ps_poller_add(NULL, &it, NULL), PS_EINVAL);
    RC_IS(ps_poller_add(p, NULL, NULL), PS_EINVAL);
    RC_IS(ps_poller_modify(NULL, &it, NULL), PS_EINVAL);
    RC_IS(ps_poller_remove(p, NULL), PS_EINVAL);
    it.kind = 99;
    RC_IS(ps_poller_add(p, &it, NULL), PS_EINVAL);
    RC_IS(ps_poller_remove(p, &it), PS_EINVAL);
    it = pst_sock_item(a, PS_POLL_READ | PS_POLL_HUP);
    RC_IS(ps_poller_add(p, &it, NULL), PS_EINVAL);
    it.events = 64;
    RC_IS(ps_poller_add(p, &it, NULL), PS_EINVAL);
    RC_IS(ps_poller_wait(NULL, ev, 1, 0), PS_EINVAL);
    RC_IS(ps_poller_wait(p, NULL, 1, 0), PS_EINVAL);
    RC_IS(ps_poller_wait(p, ev, 0, 0), PS_EINVAL);
    RC_IS(ps_poller_wake(NULL), PS_EINVAL);
    /* Nothing was registered by the failed calls. */
    it = pst_sock_item(a, PS_POLL_READ);
    RC_IS(ps_poller_remove(p, &it), PS_ENOENT);
    /* A handle is a Windows item; elsewhere PS_ENOTSUP. */
    ps_pollitem h;
    memset(&h, 0, sizeof h);
    h.kind = PS_KIND_HANDLE;
    h.handle = NULL;
    h.events = PS_POLL_READ;
    int r = ps_poller_add(p, &h, NULL);
    cr_assert_neq(r, 0, "a NULL handle was registered");
    if (!pst_is_windows())
        RC_IS(r, PS_ENOTSUP);
    ps_poller_close(p);
    ps_close(a);
    ps_close(b);
}

Test(poller, registration_errors)
{
    ps_poller *p = open_poller();
    ps_socket_t a, b;
    pst_tcp_pair(&a, &b);
    ps_pollitem it = pst_sock_item(a, PS_POLL_READ);
    RC_IS(ps_poller_modify(p, &it, NULL), PS_ENOENT);
    RC_IS(ps_poller_remove(p, &it), PS_ENOENT);
    OK(ps_poller_add(p, &it, NULL));
    RC_IS(ps_poller_add(p, &it, NULL), PS_EEXIST);
    it.events = PS_POLL_WRITE;
    RC_IS(ps_poller_add(p, &it, NULL), PS_EEXIST);
    OK(ps_poller_modify(p, &it, NULL));
    OK(ps_poller_remove(p, &it));
    RC_IS(ps_poller_remove(p, &it), PS_ENOENT);
    RC_IS(ps_poller_modify(p, &it, NULL), PS_ENOENT);
    OK(ps_poller_add(p, &it, NULL));
    ps_poller_close(p);
    ps_close(a);
    ps_close(b);
}

Test(poller, closed_items_are_ebadf)
{
    ps_poller *p = open_poller();
    ps_socket_t s;
    OK(ps_socket(&s, PS_AF_INET, PS_SOCK_STREAM));
    ps_close(s);
    ps_pollitem it = pst_sock_item(s, PS_POLL_READ);
    RC_IS(ps_poller_add(p, &it, NULL), PS_EBADF);
    int fds[2];
    cr_assert_eq(pst_pipe(fds), 0);
    pst_fd_close(fds[0]);
    pst_fd_close(fds[1]);
    it = pst_fd_item(fds[0], PS_POLL_READ);
    RC_IS(ps_poller_add(p, &it, NULL), PS_EBADF);
    it = pst_fd_item(-1, PS_POLL_READ);
    RC_IS(ps_poller_add(p, &it, NULL), PS_EBADF);
    it = pst_sock_item(PS_INVALID_SOCKET, PS_POLL_READ);
    RC_IS(ps_poller_add(p, &it, NULL), PS_EBADF);
    wait_none(p, 0);
    ps_poller_close(p);
}

Test(poller, read_when_data_arrives)
{
    ps_poller *p = open_poller();
    ps_socket_t a, b;
    int tag;
    pst_tcp_pair(&a, &b);
    add_sock(p, b, PS_POLL_READ, &tag);
    wait_none(p, 0);
    send_byte(a);
    ps_event ev = wait_one(p, 5000);
    cr_assert_eq(ev.data, &tag);
    cr_assert_eq(ev.revents, (unsigned)PS_POLL_READ);
    ps_poller_close(p);
    ps_close(a);
    ps_close(b);
}

Test(poller, write_on_connected_socket)
{
    ps_poller *p = open_poller();
    ps_socket_t a, b;
    int tag;
    pst_tcp_pair(&a, &b);
    add_sock(p, a, PS_POLL_WRITE, &tag);
    ps_event ev = wait_one(p, 5000);
    cr_assert_eq(ev.data, &tag);
    cr_assert_eq(ev.revents, (unsigned)PS_POLL_WRITE);
    /* Asking for nothing: a writable socket is not reported. */
    ps_pollitem it = pst_sock_item(a, 0);
    OK(ps_poller_modify(p, &it, &tag));
    wait_none(p, 50);
    ps_poller_close(p);
    ps_close(a);
    ps_close(b);
}

Test(poller, read_hup_when_peer_closes)
{
    ps_poller *p = open_poller();
    ps_socket_t a, b;
    int tag;
    pst_tcp_pair(&a, &b);
    add_sock(p, b, PS_POLL_READ, &tag);
    ps_close(a);
    ps_event ev = wait_one(p, 5000);
    cr_assert_eq(ev.data, &tag);
    cr_assert(ev.revents & PS_POLL_READ, "revents %u", ev.revents);
    cr_assert(ev.revents & PS_POLL_HUP, "revents %u", ev.revents);
    cr_assert_not(ev.revents & PS_POLL_WRITE, "revents %u", ev.revents);
    ps_poller_close(p);
    ps_close(b);
}

Test(poller, failed_connect_reports_write_error, .timeout = 30)
{
    ps_socket_t l, s;
    ps_addr addr;
    int port = 0, tag;
    char text[32];
    l = pst_refusing_port(&port);
    cr_assert_neq(l, PS_INVALID_SOCKET);
    snprintf(text, sizeof text, "127.0.0.1:%d", port);
    OK(ps_addr_parse(&addr, text));
    OK(ps_socket(&s, PS_AF_INET, PS_SOCK_STREAM));
    OK(ps_set_nonblocking(s, 1));
    ps_poller *p = open_poller();
    int r = ps_connect_start(s, &addr);
    if (r == PS_EWOULDBLOCK) {
        add_sock(p, s, PS_POLL_WRITE, &tag);
        ps_event ev = wait_one(p, 10000);
        cr_assert_eq(ev.data, &tag);
        cr_assert(ev.revents & PS_POLL_WRITE, "revents %u", ev.revents);
        cr_assert(ev.revents & PS_POLL_ERROR, "revents %u", ev.revents);
        r = ps_socket_error(s);
    }
    RC_IS(r, PS_ECONNREFUSED);
    ps_poller_close(p);
    ps_close(s);
    ps_close(l);
}

Test(poller, level_triggered_until_drained)
{
    ps_poller *p = open_poller();
    ps_socket_t a, b;
    int tag;
    char buf[8];
    size_t got;
    pst_tcp_pair(&a, &b);
    add_sock(p, b, PS_POLL_READ, &tag);
    send_byte(a);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(wait_one(p, 5000).data, &tag);
    OK(ps_recv(b, buf, sizeof buf, &got, 1000));
    cr_assert_eq(got, 1u);
    wait_none(p, 50);
    ps_poller_close(p);
    ps_close(a);
    ps_close(b);
}

Test(poller, oneshot_until_modify)
{
    ps_poller *p = open_poller();
    ps_socket_t a, b;
    int tag1, tag2;
    pst_tcp_pair(&a, &b);
    add_sock(p, b, PS_POLL_READ | PS_POLL_ONESHOT, &tag1);
    send_byte(a);
    ps_event ev = wait_one(p, 5000);
    cr_assert_eq(ev.data, &tag1);
    cr_assert_eq(ev.revents, (unsigned)PS_POLL_READ);
    /* Disarmed: still registered, never reported, although still ready. */
    wait_none(p, 100);
    ps_pollitem it = pst_sock_item(b, PS_POLL_READ | PS_POLL_ONESHOT);
    RC_IS(ps_poller_add(p, &it, NULL), PS_EEXIST);
    OK(ps_poller_modify(p, &it, &tag2));
    ev = wait_one(p, 5000);
    cr_assert_eq(ev.data, &tag2, "modify did not replace the data");
    wait_none(p, 50);
    /* Re-armed as level-triggered: reported on every wait. */
    it.events = PS_POLL_READ;
    OK(ps_poller_modify(p, &it, &tag1));
    cr_assert_eq(wait_one(p, 5000).data, &tag1);
    cr_assert_eq(wait_one(p, 5000).data, &tag1);
    ps_poller_close(p);
    ps_close(a);
    ps_close(b);
}

#define NREADY 3

/* Which of tags[] ev's data is; fails on anything else. */
static int tag_index(const ps_event *ev, int *tags, int n)
{
    for (int i = 0; i < n; i++)
        if (ev->data == &tags[i])
            return i;
    cr_assert_fail("unknown data %p", ev->data);
    return -1;
}

Test(poller, cap_smaller_than_ready_count)
{
    ps_poller *p = open_poller();
    ps_socket_t a[NREADY], b[NREADY];
    int tags[NREADY], seen[NREADY] = {0};
    ps_event ev[NREADY];
    for (int i = 0; i < NREADY; i++) {
        pst_tcp_pair(&a[i], &b[i]);
        add_sock(p, b[i], PS_POLL_READ | PS_POLL_ONESHOT, &tags[i]);
        send_byte(a[i]);
    }
    pst_sleep_ms(50); /* all three have arrived */
    /* One-shot: the first wait takes two, the next exactly the third. */
    cr_assert_eq(ps_poller_wait(p, ev, 2, 5000), 2);
    seen[tag_index(&ev[0], tags, NREADY)]++;
    seen[tag_index(&ev[1], tags, NREADY)]++;
    cr_assert_eq(ps_poller_wait(p, ev, 2, 5000), 1);
    seen[tag_index(&ev[0], tags, NREADY)]++;
    for (int i = 0; i < NREADY; i++)
        cr_assert_eq(seen[i], 1, "item %d reported %d times", i, seen[i]);
    wait_none(p, 50);

    /* Level-triggered: two waits of two between them reach all three. */
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < NREADY; i++) {
        ps_pollitem it = pst_sock_item(b[i], PS_POLL_READ);
        OK(ps_poller_modify(p, &it, &tags[i]));
    }
    for (int w = 0; w < 2; w++) {
        cr_assert_eq(ps_poller_wait(p, ev, 2, 5000), 2);
        seen[tag_index(&ev[0], tags, NREADY)]++;
        seen[tag_index(&ev[1], tags, NREADY)]++;
    }
    for (int i = 0; i < NREADY; i++)
        cr_assert_geq(seen[i], 1, "item %d never reported", i);
    ps_poller_close(p);
    for (int i = 0; i < NREADY; i++) {
        ps_close(a[i]);
        ps_close(b[i]);
    }
}

Test(poller, timeouts)
{
    ps_poller *p = open_poller();
    ps_socket_t a, b;
    pst_tcp_pair(&a, &b);
    add_sock(p, b, PS_POLL_READ, NULL);
    int64_t t0 = pst_now_ms();
    wait_none(p, 0);
    cr_assert_lt(pst_now_ms() - t0, 1000);
    t0 = pst_now_ms();
    wait_none(p, 200);
    int64_t took = pst_now_ms() - t0;
    cr_assert_geq(took, 200);
    cr_assert_lt(took, 5000);
    /* An empty poller waits too. */
    ps_poller *empty = open_poller();
    t0 = pst_now_ms();
    wait_none(empty, 100);
    cr_assert_geq(pst_now_ms() - t0, 100);
    ps_poller_close(empty);
    ps_poller_close(p);
    ps_close(a);
    ps_close(b);
}

struct later {
    ps_poller *p;
    int delay_ms;
    ps_pollitem item;
    void *data;
    int op; /* 0 wake, 1 add, 2 modify */
    int rc;
};

static void later_main(void *arg)
{
    struct later *l = arg;
    pst_sleep_ms(l->delay_ms);
    if (l->op == 0)
        l->rc = ps_poller_wake(l->p);
    else if (l->op == 1)
        l->rc = ps_poller_add(l->p, &l->item, l->data);
    else
        l->rc = ps_poller_modify(l->p, &l->item, l->data);
}

Test(poller, wake_from_another_thread)
{
    ps_poller *p = open_poller();
    struct later l = {p, 100, pst_sock_item(PS_INVALID_SOCKET, 0), NULL, 0, -1};
    pst_thread *t = pst_thread_start(later_main, &l);
    cr_assert_not_null(t);
    int64_t t0 = pst_now_ms();
    wait_none(p, -1);
    int64_t took = pst_now_ms() - t0;
    pst_thread_join(t);
    OK(l.rc);
    cr_assert_geq(took, 50);
    cr_assert_lt(took, 5000);
    ps_poller_close(p);
}

Test(poller, wake_before_wait_and_coalesced)
{
    ps_poller *p = open_poller();
    OK(ps_poller_wake(p));
    OK(ps_poller_wake(p));
    OK(ps_poller_wake(p));
    int64_t t0 = pst_now_ms();
    wait_none(p, -1);
    cr_assert_lt(pst_now_ms() - t0, 1000);
    /* The three wakes were one: the next wait runs its full time. */
    t0 = pst_now_ms();
    wait_none(p, 150);
    cr_assert_geq(pst_now_ms() - t0, 150);
    /* A wake while an item is ready: the item is reported. */
    ps_socket_t a, b;
    int tag;
    pst_tcp_pair(&a, &b);
    add_sock(p, b, PS_POLL_READ, &tag);
    send_byte(a);
    pst_sleep_ms(50);
    OK(ps_poller_wake(p));
    ps_event ev[2];
    int n = ps_poller_wait(p, ev, 2, 5000);
    if (n == 0) /* the wake alone may end a wait; the item is still there */
        n = ps_poller_wait(p, ev, 2, 5000);
    cr_assert_eq(n, 1);
    cr_assert_eq(ev[0].data, &tag);
    ps_poller_close(p);
    ps_close(a);
    ps_close(b);
}

struct waiter {
    ps_poller *p;
    int timeout_ms;
    int n;
    ps_event ev[4];
    int64_t took;
};

static void waiter_main(void *arg)
{
    struct waiter *w = arg;
    int64_t t0 = pst_now_ms();
    w->n = ps_poller_wait(w->p, w->ev, 4, w->timeout_ms);
    w->took = pst_now_ms() - t0;
}

Test(poller, add_while_another_thread_waits)
{
    ps_poller *p = open_poller();
    ps_socket_t a, b;
    int tag;
    pst_tcp_pair(&a, &b);
    send_byte(a);
    pst_sleep_ms(50);
    struct waiter w = {p, -1, -1, {{0}}, 0};
    pst_thread *t = pst_thread_start(waiter_main, &w);
    cr_assert_not_null(t);
    pst_sleep_ms(100); /* the waiter is (most likely) inside the wait */
    add_sock(p, b, PS_POLL_READ, &tag);
    pst_thread_join(t);
    cr_assert_eq(w.n, 1, "wait -> %d", w.n);
    cr_assert_eq(w.ev[0].data, &tag);
    cr_assert_eq(w.ev[0].revents, (unsigned)PS_POLL_READ);
    ps_poller_close(p);
    ps_close(a);
    ps_close(b);
}

Test(poller, modify_and_remove_while_another_thread_waits)
{
    ps_poller *p = open_poller();
    ps_socket_t a, b, c, d;
    int tag1, tag2;
    pst_tcp_pair(&a, &b);
    pst_tcp_pair(&c, &d);
    /* b: ready, but disarmed by its one report. */
    add_sock(p, b, PS_POLL_READ | PS_POLL_ONESHOT, &tag1);
    send_byte(a);
    cr_assert_eq(wait_one(p, 5000).data, &tag1);
    /* d: registered, then removed while a thread waits, then made ready. */
    add_sock(p, d, PS_POLL_READ, &tag2);
    struct waiter w = {p, -1, -1, {{0}}, 0};
    pst_thread *t = pst_thread_start(waiter_main, &w);
    cr_assert_not_null(t);
    pst_sleep_ms(100);
    ps_pollitem it = pst_sock_item(d, PS_POLL_READ);
    OK(ps_poller_remove(p, &it));
    send_byte(c);
    pst_sleep_ms(100);
    /* Re-arming b from this thread is what ends the wait. */
    struct later l = {
        p, 0, pst_sock_item(b, PS_POLL_READ | PS_POLL_ONESHOT), &tag2, 2, -1};
    later_main(&l);
    OK(l.rc);
    pst_thread_join(t);
    cr_assert_eq(w.n, 1, "wait -> %d", w.n);
    cr_assert_eq(w.ev[0].data, &tag2, "the removed item or old data came back");
    wait_none(p, 50);
    ps_poller_close(p);
    ps_close(a);
    ps_close(b);
    ps_close(c);
    ps_close(d);
}

#define NTHREADS 4
#define NITEMS 24

struct pool_thread {
    ps_poller *p;
    int tags_seen[NITEMS];
    int *tags;
    int bad;
};

static void pool_main(void *arg)
{
    struct pool_thread *t = arg;
    for (;;) {
        ps_event ev[1];
        int n = ps_poller_wait(t->p, ev, 1, 500);
        if (n <= 0) {
            t->bad += n < 0;
            return;
        }
        int i = (int)((int *)ev[0].data - t->tags);
        if (i < 0 || i >= NITEMS) {
            t->bad++;
            return;
        }
        t->tags_seen[i]++;
        pst_sleep_ms(1); /* let the other threads take their share */
    }
}

Test(poller, oneshot_items_go_to_one_thread_each)
{
    ps_poller *p = open_poller();
    ps_socket_t a[NITEMS], b[NITEMS];
    int tags[NITEMS];
    struct pool_thread th[NTHREADS];
    pst_thread *t[NTHREADS];
    for (int i = 0; i < NITEMS; i++) {
        pst_tcp_pair(&a[i], &b[i]);
        send_byte(a[i]);
    }
    pst_sleep_ms(50);
    memset(th, 0, sizeof th);
    for (int k = 0; k < NTHREADS; k++) {
        th[k].p = p;
        th[k].tags = tags;
        t[k] = pst_thread_start(pool_main, &th[k]);
        cr_assert_not_null(t[k]);
    }
    /* Registered while the threads wait: each stays ready (never read). */
    for (int i = 0; i < NITEMS; i++)
        add_sock(p, b[i], PS_POLL_READ | PS_POLL_ONESHOT, &tags[i]);
    for (int k = 0; k < NTHREADS; k++)
        pst_thread_join(t[k]);
    for (int i = 0; i < NITEMS; i++) {
        int total = 0;
        for (int k = 0; k < NTHREADS; k++)
            total += th[k].tags_seen[i];
        cr_assert_eq(total, 1, "item %d reported %d times", i, total);
    }
    for (int k = 0; k < NTHREADS; k++)
        cr_assert_eq(th[k].bad, 0, "thread %d saw an error or bad data", k);
    ps_poller_close(p);
    for (int i = 0; i < NITEMS; i++) {
        ps_close(a[i]);
        ps_close(b[i]);
    }
}

#define NMANY 10000

/* Mean microseconds of one ps_poller_wait that finds one item ready,
 * over about 300 ms of waits. */
static double wait_cost_us(ps_poller *p, void *want)
{
    int64_t t0 = pst_now_ms(), took;
    long rounds = 0;
    do {
        ps_event ev[4];
        int n = ps_poller_wait(p, ev, 4, 5000);
        cr_assert_eq(n, 1, "wait %ld -> %d", rounds, n);
        cr_assert_eq(ev[0].data, want);
        rounds++;
    } while ((took = pst_now_ms() - t0) < 300);
    return (double)took * 1000.0 / (double)rounds;
}

Test(poller, ten_thousand_registered_one_ready, .timeout = 240)
{
    long limit = pst_raise_fd_limit(NMANY + 200);
    if (limit < NMANY + 200)
        cr_skip_test("the open-file limit is %ld and cannot be raised to %d",
                     limit, NMANY + 200);
    ps_socket_t *many = malloc(NMANY * sizeof *many);
    cr_assert_not_null(many);
    ps_poller *p = open_poller();
    ps_socket_t a, b;
    int tag;
    pst_tcp_pair(&a, &b);
    add_sock(p, b, PS_POLL_READ, &tag);
    send_byte(a);
    double small = 0;
    for (int i = 0; i < NMANY; i++) {
        OK(ps_socket(&many[i], PS_AF_INET, PS_SOCK_DGRAM));
        add_sock(p, many[i], PS_POLL_READ, &many[i]);
        if (i == 99)
            small = wait_cost_us(p, &tag);
    }
    double large = wait_cost_us(p, &tag);
    cr_log_info("ps_poller_wait, one ready: %.1f us with 100 registered, "
                "%.1f us with %d",
                small, large, NMANY);
    printf("ps_poller_wait, one ready: %.1f us with 100 registered, "
           "%.1f us with %d\n",
           small, large, NMANY);
    /* One of the many becomes ready: it alone is reported, as itself. */
    ps_pollitem it = pst_sock_item(b, PS_POLL_READ);
    OK(ps_poller_remove(p, &it));
    ps_socket_t one = many[NMANY / 2];
    ps_addr there;
    OK(ps_addr_parse(&there, "127.0.0.1:0"));
    OK(ps_bind(one, &there));
    OK(ps_local_addr(one, &there));
    OK(ps_sendto(many[NMANY - 1], "y", 1, &there, 1000));
    ps_event ev = wait_one(p, 5000);
    cr_assert_eq(ev.data, &many[NMANY / 2]);
    cr_assert_eq(ev.revents, (unsigned)PS_POLL_READ);
    ps_poller_close(p);
    for (int i = 0; i < NMANY; i++)
        ps_close(many[i]);
    free(many);
    ps_close(a);
    ps_close(b);
}

Test(poller, pipe_read_and_hup)
{
    ps_poller *p = open_poller();
    int fds[2], tag;
    char c;
    cr_assert_eq(pst_pipe(fds), 0);
    ps_pollitem it = pst_fd_item(fds[0], PS_POLL_READ);
    OK(ps_poller_add(p, &it, &tag));
    wait_none(p, 50);
    cr_assert_eq(pst_fd_write(fds[1], "z", 1), 1);
    ps_event ev = wait_one(p, 5000);
    cr_assert_eq(ev.data, &tag);
    cr_assert_eq(ev.revents, (unsigned)PS_POLL_READ);
    /* Waiting consumed nothing. */
    cr_assert_eq(pst_fd_read(fds[0], &c, 1), 1);
    cr_assert_eq(c, 'z');
    wait_none(p, 50);
    pst_fd_close(fds[1]);
    ev = wait_one(p, 5000);
    cr_assert(ev.revents & PS_POLL_READ, "revents %u", ev.revents);
    cr_assert(ev.revents & PS_POLL_HUP, "revents %u", ev.revents);
    OK(ps_poller_remove(p, &it));
    ps_poller_close(p);
    pst_fd_close(fds[0]);
}

Test(poller, regular_file_always_ready)
{
    char path[512];
    int tag;
    pst_temp_path(path, sizeof path, "pollfile");
    cr_assert_eq(pst_write_file(path, "data", 4), 0);
    int fd = pst_open_read(path);
    cr_assert_geq(fd, 0);
    ps_poller *p = open_poller();
    ps_pollitem it = pst_fd_item(fd, PS_POLL_READ);
    OK(ps_poller_add(p, &it, &tag));
    RC_IS(ps_poller_add(p, &it, &tag), PS_EEXIST);
    int64_t t0 = pst_now_ms();
    for (int i = 0; i < 2; i++) {
        ps_event ev = wait_one(p, 5000);
        cr_assert_eq(ev.data, &tag);
        cr_assert_eq(ev.revents, (unsigned)PS_POLL_READ);
    }
    cr_assert_lt(pst_now_ms() - t0, 1000);
    /* One-shot applies to files too. */
    it.events = PS_POLL_READ | PS_POLL_ONESHOT;
    OK(ps_poller_modify(p, &it, &tag));
    cr_assert_eq(wait_one(p, 5000).data, &tag);
    wait_none(p, 50);
    OK(ps_poller_modify(p, &it, &tag));
    cr_assert_eq(wait_one(p, 5000).data, &tag);
    OK(ps_poller_remove(p, &it));
    RC_IS(ps_poller_remove(p, &it), PS_ENOENT);
    wait_none(p, 50);
    ps_poller_close(p);
    pst_fd_close(fd);
    pst_remove(path);
}

Test(poller, remove_then_close)
{
    ps_poller *p = open_poller();
    ps_socket_t a, b;
    pst_tcp_pair(&a, &b);
    add_sock(p, b, PS_POLL_READ, NULL);
    send_byte(a);
    ps_pollitem it = pst_sock_item(b, PS_POLL_READ);
    OK(ps_poller_remove(p, &it));
    ps_close(b);
    ps_close(a);
    wait_none(p, 50);
    ps_poller_close(p);
}

Test(poller, close_without_remove)
{
    ps_poller *p = open_poller();
    ps_socket_t a, b;
    int tag, tag2;
    ps_event ev[4];
    pst_tcp_pair(&a, &b);
    add_sock(p, b, PS_POLL_READ, &tag);
    send_byte(a);
    ps_close(b);
    ps_close(a);
    /* Not reported, or reported once as invalid and dropped. */
    int n = ps_poller_wait(p, ev, 4, 100);
    cr_assert_geq(n, 0, "wait -> %s", ps_errname(n));
    if (n == 1) {
        cr_assert_eq(ev[0].data, &tag);
        cr_assert_eq(ev[0].revents, (unsigned)PS_POLL_INVALID);
    } else {
        cr_assert_eq(n, 0);
    }
    wait_none(p, 100);
    /* Remove of a closed item: PS_EBADF, and it is forgotten. */
    ps_socket_t c;
    OK(ps_socket(&c, PS_AF_INET, PS_SOCK_STREAM));
    add_sock(p, c, PS_POLL_READ, &tag);
    ps_close(c);
    ps_pollitem ci = pst_sock_item(c, PS_POLL_READ);
    RC_IS(ps_poller_remove(p, &ci), PS_EBADF);
    /* New sockets (which may get the old numbers) register and report as
     * themselves. */
    pst_tcp_pair(&a, &b);
    add_sock(p, b, PS_POLL_READ, &tag2);
    add_sock(p, a, PS_POLL_READ, &tag2);
    send_byte(a);
    ps_event e = wait_one(p, 5000);
    cr_assert_eq(e.data, &tag2);
    cr_assert_eq(e.revents, (unsigned)PS_POLL_READ);
    ps_poller_close(p);
    ps_close(a);
    ps_close(b);
}

Test(poller, nothing_left_after_close)
{
    ps_socket_t a, b;
    int fds[2];
    pst_tcp_pair(&a, &b);
    cr_assert_eq(pst_pipe(fds), 0);
    long before = pst_open_handle_count();
    for (int round = 0; round < 3; round++) {
        ps_poller *p = open_poller();
        add_sock(p, a, PS_POLL_READ | PS_POLL_WRITE, NULL);
        add_sock(p, b, PS_POLL_READ | PS_POLL_ONESHOT, NULL);
        ps_pollitem it = pst_fd_item(fds[0], PS_POLL_READ);
        OK(ps_poller_add(p, &it, NULL));
        OK(ps_poller_wake(p));
        ps_event ev[4];
        cr_assert_geq(ps_poller_wait(p, ev, 4, 1000), 0);
        ps_poller_close(p);
    }
    long after = pst_open_handle_count();
    if (before < 0 || after < 0)
        cr_log_info("descriptor count not available here (%ld, %ld)", before,
                    after);
    else
        cr_assert_eq(after, before, "%ld descriptors before, %ld after", before,
                     after);
    /* The items themselves were not closed. */
    OK(ps_send_all(a, "q", 1, NULL, 1000));
    char c;
    size_t got;
    OK(ps_recv(b, &c, 1, &got, 1000));
    cr_assert_eq(pst_fd_write(fds[1], "w", 1), 1);
    cr_assert_eq(pst_fd_read(fds[0], &c, 1), 1);
    pst_fd_close(fds[0]);
    pst_fd_close(fds[1]);
    ps_close(a);
    ps_close(b);
}
