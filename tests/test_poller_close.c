/* SPDX-License-Identifier: MIT */
/* Registered sockets closed while other threads wait on the poller (issue
 * 15, audit defect 3). Four threads wait; two threads each keep a few
 * socket pairs registered, readable and unread, and over and over close
 * one pair and register a fresh one in its place. The poller must keep
 * working throughout: every wait returns within its timeout, each fresh
 * pair's data is reported, and no descriptor or handle is left behind.
 * Where the old registration still holds a reused number, the fresh pair
 * takes it over with modify after PS_EEXIST, as the header says.
 *
 * Closing without remove is allowed by the header; remove-before-close is
 * what it asks for. Both are run. Under Wine 8 the first is skipped: see
 * wine_aborts() below. */
#include <criterion/criterion.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "portsock.h"
#include "rc_assert.h"
#include "select_support.h"
#include "support.h"

TestSuite(poller_close, .timeout = 120);

enum {
    WAITERS = 4,
    CLOSERS = 2,
    SLOTS = 4,     /* pairs each closer keeps registered */
    WAIT_MS = 100, /* each wait's timeout */
    RUN_MS = 2500, /* how long the closers go on at least */
    /* ... and at most, when MIN_ROUNDS are not reached by RUN_MS: wine32
     * on two loaded cores once closed only 16 pairs in 2,500 ms. */
    MAX_RUN_MS = 30000,
    STALL_MS = 5000, /* a wait or a report later than this is a stall */
    MIN_ROUNDS = 20  /* closes the run must reach to mean anything */
};

struct slot {
    ps_socket_t a, b;   /* b is registered for READ; a has sent it a byte */
    atomic_int seen;    /* a wait reported b READ since the slot was reset */
    atomic_int invalid; /* ... or INVALID (the closed pair's registration) */
    int took_over;      /* b was registered by modify after PS_EEXIST */
};

struct run {
    ps_poller *p;
    int remove_first;
    int64_t end_ms, cap_ms;
    atomic_int stop;
    atomic_long rounds; /* pairs closed by all closers */
    atomic_int closers_left;
    atomic_llong last_return[WAITERS]; /* when each waiter last returned */
    atomic_long waits;
    atomic_long reports;
    struct slot slots[CLOSERS][SLOTS];
};

struct waiter {
    struct run *run;
    int index;
    int rc;
};

struct closer {
    struct run *run;
    int index;
    int rc;           /* the first failure, 0 if none */
    const char *what; /* which step failed */
    long rounds;
};

static void waiter_main(void *arg)
{
    struct waiter *w = (struct waiter *)arg;
    struct run *run = w->run;
    while (!atomic_load(&run->stop)) {
        ps_event ev[16];
        int n = ps_poller_wait(run->p, ev, 16, WAIT_MS);
        atomic_store(&run->last_return[w->index], (long long)pst_now_ms());
        if (n < 0) {
            w->rc = n;
            atomic_store(&run->stop, 1);
            return;
        }
        atomic_fetch_add(&run->waits, 1);
        for (int i = 0; i < n; i++) {
            struct slot *s = (struct slot *)ev[i].data;
            if (ev[i].revents & PS_POLL_INVALID)
                atomic_store(&s->invalid, 1);
            if ((ev[i].revents & PS_POLL_READ) &&
                !(ev[i].revents & PS_POLL_INVALID)) {
                atomic_store(&s->seen, 1);
                atomic_fetch_add(&run->reports, 1);
            }
        }
    }
}

static int fail(struct closer *c, int rc, const char *what)
{
    c->rc = rc != 0 ? rc : PS_EUNKNOWN;
    c->what = what;
    atomic_store(&c->run->stop, 1);
    return c->rc;
}

/* A fresh pair in s, its b registered (taking over a stale registration
 * of the same number where the backend still holds one: the header allows
 * PS_EEXIST then) and made readable. */
static int fill_slot(struct closer *c, struct slot *s)
{
    ps_socket_t pair[2];
    ps_pollitem it;
    int rc = ps_socketpair(pair);
    if (rc != 0)
        return fail(c, rc, "ps_socketpair");
    s->a = pair[0];
    s->b = pair[1];
    atomic_store(&s->seen, 0);
    atomic_store(&s->invalid, 0);
    s->took_over = 0;
    it = pst_sock_item(s->b, PS_POLL_READ);
    /* A wait may drop the stale registration between the two calls. */
    for (int tries = 0; tries < 100; tries++) {
        rc = ps_poller_add(c->run->p, &it, s);
        if (rc == PS_EEXIST) {
            rc = ps_poller_modify(c->run->p, &it, s);
            s->took_over = rc == 0;
        }
        if (rc != PS_ENOENT)
            break;
    }
    if (rc != 0)
        return fail(c, rc, "ps_poller_add (or modify after PS_EEXIST)");
    if ((rc = ps_send_all(s->a, "x", 1, NULL, 1000)) != 0)
        return fail(c, rc, "ps_send_all");
    return 0;
}

static int empty_slot(struct closer *c, struct slot *s)
{
    if (c->run->remove_first) {
        ps_pollitem it = pst_sock_item(s->b, PS_POLL_READ);
        int rc = ps_poller_remove(c->run->p, &it);
        if (rc != 0)
            return fail(c, rc, "ps_poller_remove");
    }
    ps_close(s->a);
    ps_close(s->b);
    s->a = s->b = PS_INVALID_SOCKET;
    return 0;
}

/* Until a wait has reported s READ, or STALL_MS (scaled) has passed. */
static int await_seen(struct closer *c, struct slot *s)
{
    int64_t limit = pst_now_ms() + pst_slack_ms(STALL_MS);
    while (!atomic_load(&s->seen)) {
        if (atomic_load(&c->run->stop))
            return -1; /* another thread failed: its error is reported */
        if (pst_now_ms() > limit)
            return fail(c, PS_ETIMEDOUT,
                        !s->took_over ? "a fresh pair was never reported"
                        : atomic_load(&s->invalid)
                            ? "a fresh pair registered by modify after "
                              "PS_EEXIST was reported INVALID instead"
                            : "a fresh pair registered by modify after "
                              "PS_EEXIST was never reported");
        pst_sleep_ms(1);
    }
    return 0;
}

/* Until RUN_MS has passed, then until MIN_ROUNDS pairs are closed or
 * MAX_RUN_MS has passed: a slow machine takes longer, not fewer rounds. */
static int more_rounds(struct run *run)
{
    int64_t now = pst_now_ms();
    if (now < run->end_ms)
        return 1;
    return atomic_load(&run->rounds) < MIN_ROUNDS && now < run->cap_ms;
}

static void closer_rounds(struct closer *c)
{
    struct slot *slots = c->run->slots[c->index];
    for (int i = 0; i < SLOTS; i++)
        if (fill_slot(c, &slots[i]) != 0)
            return;
    for (int i = 0; more_rounds(c->run); i = (i + 1) % SLOTS) {
        if (atomic_load(&c->run->stop))
            return;
        /* The pair filled into this slot last time round has been reported
         * by now (the closer went on with the other slots meanwhile). */
        if (await_seen(c, &slots[i]) != 0 || empty_slot(c, &slots[i]) != 0 ||
            fill_slot(c, &slots[i]) != 0)
            return;
        c->rounds++;
        atomic_fetch_add(&c->run->rounds, 1);
    }
}

static void closer_main(void *arg)
{
    struct closer *c = (struct closer *)arg;
    closer_rounds(c);
    atomic_fetch_sub(&c->run->closers_left, 1);
}

/* Fails the test if a waiter has not returned for STALL_MS (scaled): the
 * poller has stalled. Its threads cannot be joined then; the failed
 * assertion ends the test's process. */
static void watch_waiters(struct run *run)
{
    int64_t bound = pst_slack_ms(STALL_MS);
    while (atomic_load(&run->closers_left) > 0 && !atomic_load(&run->stop)) {
        int64_t now = pst_now_ms();
        for (int i = 0; i < WAITERS; i++) {
            int64_t last = (int64_t)atomic_load(&run->last_return[i]);
            cr_assert_lt(now - last, bound,
                         "waiter %d has not returned for %lld ms: the poller "
                         "stalled",
                         i, (long long)(now - last));
        }
        pst_sleep_ms(20);
    }
}

static void stress(int remove_first)
{
    static struct run run; /* large; one test at a time */
    struct waiter w[WAITERS];
    struct closer c[CLOSERS];
    pst_thread *wt[WAITERS], *ct[CLOSERS];
    long before, after, rounds = 0;
    OK(ps_init()); /* Windows: the stack's own handles stay counted out */
    before = pst_open_handle_count();
    memset(&run, 0, sizeof run);
    run.remove_first = remove_first;
    for (int i = 0; i < CLOSERS; i++)
        for (int k = 0; k < SLOTS; k++)
            run.slots[i][k].a = run.slots[i][k].b = PS_INVALID_SOCKET;
    atomic_init(&run.stop, 0);
    atomic_init(&run.closers_left, CLOSERS);
    atomic_init(&run.waits, 0);
    atomic_init(&run.reports, 0);
    atomic_init(&run.rounds, 0);
    OK(ps_poller_open(&run.p));
    run.end_ms = pst_now_ms() + RUN_MS;
    run.cap_ms = run.end_ms - RUN_MS + MAX_RUN_MS;
    for (int i = 0; i < WAITERS; i++) {
        atomic_init(&run.last_return[i], (long long)pst_now_ms());
        w[i].run = &run;
        w[i].index = i;
        w[i].rc = 0;
        wt[i] = pst_thread_start(waiter_main, &w[i]);
        cr_assert_not_null(wt[i]);
    }
    for (int i = 0; i < CLOSERS; i++) {
        c[i].run = &run;
        c[i].index = i;
        c[i].rc = 0;
        c[i].what = "";
        c[i].rounds = 0;
        ct[i] = pst_thread_start(closer_main, &c[i]);
        cr_assert_not_null(ct[i]);
    }
    watch_waiters(&run);
    for (int i = 0; i < CLOSERS; i++)
        pst_thread_join(ct[i]);
    atomic_store(&run.stop, 1);
    OK(ps_poller_wake(run.p));
    for (int i = 0; i < WAITERS; i++)
        pst_thread_join(wt[i]);
    for (int i = 0; i < CLOSERS; i++) {
        cr_assert_eq(c[i].rc, 0, "closer %d: %s: %s", i, c[i].what,
                     ps_errname(c[i].rc));
        rounds += c[i].rounds;
    }
    for (int i = 0; i < WAITERS; i++)
        cr_assert_eq(w[i].rc, 0, "waiter %d: %s", i, ps_errname(w[i].rc));
    cr_log_info("%ld pairs closed%s, %ld waits, %ld reports", rounds,
                remove_first ? " after remove" : " while registered",
                atomic_load(&run.waits), atomic_load(&run.reports));
    cr_assert_geq(rounds, MIN_ROUNDS, "only %ld pairs closed in %lld ms",
                  rounds, (long long)MAX_RUN_MS);
    ps_poller_close(run.p);
    for (int i = 0; i < CLOSERS; i++)
        for (int k = 0; k < SLOTS; k++)
            if (run.slots[i][k].a != PS_INVALID_SOCKET) {
                ps_close(run.slots[i][k].a);
                ps_close(run.slots[i][k].b);
            }
    after = pst_open_handle_count();
    if (before >= 0 && after >= 0)
        cr_assert_eq(after, before, "%ld descriptors/handles before, %ld after",
                     before, after);
    else
        cr_log_info("no handle count here (Wine): leaks not checked");
    ps_cleanup();
}

/* A socket closed while registered, with a poll pending for it, and a new
 * socket given its number and registered in its place (PS_EEXIST, then
 * modify, where the old registration is still held): the new socket is
 * what that registration now watches. Its data must be reported, not the
 * old socket's close as PS_POLL_INVALID under the new data (which drops
 * the new registration). Before the fix the Windows poller failed this in
 * every run under Wine, and the stress above in 2 of 6 runs; the poll()
 * poller failed the stress in every run (a wait's POLLNVAL for the old
 * socket, taken before the modify, dropped the new registration). */
Test(poller_close, new_socket_takes_over_closed_number)
{
    static int old_tag, new_tag;
    ps_socket_t old_s, extra[64], s = PS_INVALID_SOCKET, tx;
    ps_poller *p;
    ps_pollitem it;
    ps_addr to;
    int n_extra = 0, rc, reported = 0;
    OK(ps_poller_open(&p));
    OK(ps_udp_open(&old_s, "127.0.0.1", "0"));
    it = pst_sock_item(old_s, PS_POLL_READ);
    OK(ps_poller_add(p, &it, &old_tag));
    RC_IS(ps_poller_wait(p, (ps_event[1]){{0}}, 1, 0), 0); /* now watched */
    OK(ps_close(old_s));
    /* Linux and Windows (Wine too) give the lowest free number or handle
     * again; a few tries cover handles the system takes meanwhile. */
    while (n_extra < 64) {
        OK(ps_udp_open(&s, "127.0.0.1", "0"));
        if (s == old_s)
            break;
        extra[n_extra++] = s;
    }
    if (s != old_s) {
        /* Linux and Wine always hand it out again; native Windows promises
         * no order, and with another number there is nothing to take over. */
        for (int i = 0; i < n_extra; i++) /* s is the last of them */
            OK(ps_close(extra[i]));
        ps_poller_close(p);
        cr_skip_test("the closed socket's number was not given again in 64 "
                     "tries");
    }
    it = pst_sock_item(s, PS_POLL_READ);
    rc = ps_poller_add(p, &it, &new_tag);
    if (rc == PS_EEXIST)
        rc = ps_poller_modify(p, &it, &new_tag);
    OK(rc);
    OK(ps_udp_open(&tx, "127.0.0.1", "0"));
    OK(ps_local_addr(s, &to));
    OK(ps_sendto(tx, "x", 1, &to, 1000));
    int64_t limit = pst_now_ms() + pst_slack_ms(3000);
    while (!reported && pst_now_ms() < limit) {
        ps_event ev[4];
        int n = ps_poller_wait(p, ev, 4, 100);
        cr_assert_geq(n, 0, "wait: %s", ps_errname(n));
        for (int i = 0; i < n; i++) {
            cr_assert(ev[i].data != &new_tag ||
                          !(ev[i].revents & PS_POLL_INVALID),
                      "the new socket was reported INVALID (revents %#x): "
                      "the old one's close was taken for it",
                      ev[i].revents);
            if (ev[i].data == &new_tag && (ev[i].revents & PS_POLL_READ))
                reported = 1;
        }
    }
    cr_assert(reported, "the new socket's datagram was never reported");
    ps_poller_close(p);
    ps_close(s);
    ps_close(tx);
    while (n_extra > 0)
        ps_close(extra[--n_extra]);
}

/* Wine 8's server aborts (server/fd.c: set_fd_events: Assertion
 * `poll_users[user] == fd' failed) when an IOCTL_AFD_POLL names a socket
 * handle whose creation has not finished: ws2_32's socket() opens
 * \Device\Afd and sets the socket up in a second request. A handle closed
 * while registered can get its number back in that window, before the
 * poller learns of the close, and the next poll of it brings the server
 * down, and with it every Wine process of the prefix. No use of AFD polls
 * by handle number can rule that out; PS_TEST_WINE_CLOSE_STRESS=1 runs it
 * anyway (on a Wine that is fixed). */
static int wine_aborts(void)
{
    return pst_under_wine() && getenv("PS_TEST_WINE_CLOSE_STRESS") == NULL;
}

Test(poller_close, close_registered_while_waiting)
{
    if (wine_aborts())
        cr_skip_test("Wine 8's server aborts on an AFD poll of a handle number "
                     "reused by a socket being created (server/fd.c: "
                     "set_fd_events: Assertion `poll_users[user] == fd' "
                     "failed); remove before close under Wine");
    stress(0);
}

Test(poller_close, remove_then_close_while_waiting)
{
    stress(1);
}
