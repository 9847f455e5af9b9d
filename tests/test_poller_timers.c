/* SPDX-License-Identifier: MIT */
/* Timers in ps_poller, on every backend and leg: order, never early,
 * periodic timers without drift, cancel at every stage and from other
 * threads, a timer set from another thread shortening a wait already in
 * progress (without looking like a wake), 100,000 timers at once, and
 * fairness between due timers and busy sockets. Bounds on lateness are
 * generous (CI is loaded); "never early" is exact. */
#include <criterion/criterion.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "portsock.h"
#include "rc_assert.h"
#include "select_support.h"
#include "support.h"

TestSuite(poller_timers, .timeout = 120);

/* What a test's timer carries: its due time, to check "never early". */
typedef struct tmr {
    int64_t due;
    int64_t period;
    int index;
    uint64_t id;
    int reports;
} tmr;

static void set_timer(ps_poller *p, tmr *t, int64_t due, int64_t period)
{
    t->due = due;
    t->period = period;
    OK(ps_poller_timer(p, &t->id, due, period, t));
}

/* Checks a timer event: the bit, and that it is not early for the due time
 * of its next report (periodic ones move on by whole periods). */
static tmr *check_timer_event(const ps_event *ev)
{
    int64_t now = ps_now_ms();
    cr_assert_eq(ev->revents, (unsigned)PS_POLL_TIMER, "revents 0x%x",
                 ev->revents);
    tmr *t = (tmr *)ev->data;
    cr_assert_geq(now, t->due, "timer %d reported at %lld, due %lld", t->index,
                  (long long)now, (long long)t->due);
    t->reports++;
    if (t->period > 0)
        while (t->due <= now)
            t->due += t->period;
    return t;
}

static tmr *wait_timer(ps_poller *p, int timeout_ms)
{
    ps_event ev;
    int n = ps_poller_wait(p, &ev, 1, timeout_ms);
    cr_assert_eq(n, 1, "ps_poller_wait -> %d (%s)", n,
                 n < 0 ? ps_errname(n) : "no event");
    return check_timer_event(&ev);
}

static void wait_nothing(ps_poller *p, int timeout_ms)
{
    ps_event ev;
    int n = ps_poller_wait(p, &ev, 1, timeout_ms);
    cr_assert_eq(n, 0, "ps_poller_wait -> %d, expected nothing", n);
}

/* 100,000 natively and under Wine; fewer where every instruction is
 * emulated or instrumented. */
static int many_timers(void)
{
    return pst_under_memcheck() || pst_under_qemu() || pst_under_tsan()
               ? 10000
               : 100000;
}

Test(poller_timers, bad_arguments)
{
    ps_poller *p;
    OK(ps_poller_open(&p));
    uint64_t id = 0;
    RC_IS(ps_poller_timer(NULL, &id, 0, 0, NULL), PS_EINVAL);
    RC_IS(ps_poller_timer(p, NULL, 0, 0, NULL), PS_EINVAL);
    RC_IS(ps_poller_timer(p, &id, 0, -1, NULL), PS_EINVAL);
    RC_IS(ps_poller_timer_cancel(NULL, 1), PS_EINVAL);
    RC_IS(ps_poller_timer_cancel(p, 0), PS_ENOENT);
    RC_IS(ps_poller_timer_cancel(p, 12345), PS_ENOENT);
    OK(ps_poller_timer(p, &id, ps_now_ms() + 100000, 0, NULL));
    cr_assert_neq(id, 0);
    RC_IS(ps_poller_timer_cancel(p, id + 1), PS_ENOENT);
    OK(ps_poller_timer_cancel(p, id));
    ps_poller_close(p);
}

Test(poller_timers, order_by_due_time)
{
    ps_poller *p;
    OK(ps_poller_open(&p));
    static tmr t[6];
    static const int after[6] = {60, 20, 40, 30, 0, 50};
    static const int order[6] = {4, 1, 3, 2, 5, 0};
    int64_t now = ps_now_ms();
    for (int i = 0; i < 6; i++) {
        t[i].index = i;
        set_timer(p, &t[i], now + after[i], 0);
    }
    for (int k = 0; k < 6; k++) {
        tmr *got = wait_timer(p, (int)pst_slack_ms(5000));
        cr_assert_eq(got->index, order[k], "report %d: timer %d, expected %d",
                     k, got->index, order[k]);
    }
    wait_nothing(p, 50);
    /* Delivered one-shots are gone. */
    for (int i = 0; i < 6; i++)
        RC_IS(ps_poller_timer_cancel(p, t[i].id), PS_ENOENT);
    ps_poller_close(p);
}

/* A timer due in 50 ms: the wait neither ends early nor goes on long. */
Test(poller_timers, one_shot_neither_early_nor_late)
{
    ps_poller *p;
    OK(ps_poller_open(&p));
    static tmr t;
    int64_t t0 = pst_now_ms();
    set_timer(p, &t, ps_now_ms() + 50, 0);
    wait_timer(p, -1);
    pst_assert_took(t0, 49, pst_slack_ms(2000), "a 50 ms timer");
    ps_poller_close(p);
}

/* The wait's own timeout still applies when a timer is later. */
Test(poller_timers, caller_timeout_before_timer)
{
    ps_poller *p;
    OK(ps_poller_open(&p));
    uint64_t id;
    OK(ps_poller_timer(p, &id, ps_now_ms() + 10000, 0, NULL));
    int64_t t0 = pst_now_ms();
    wait_nothing(p, 50);
    pst_assert_took(t0, 50, pst_slack_ms(3000), "a 50 ms wait");
    t0 = pst_now_ms();
    wait_nothing(p, 0);
    pst_assert_took(t0, 0, pst_slack_ms(1000), "a zero wait");
    ps_poller_close(p);
}

/* Periodic ticks stay on the series due0 + k * period. Every report
 * comes at its series point plus the wake-up delay (checked against half a
 * period, generous: 50 ms natively). A loop that falls behind by 2.5
 * periods gets one report for the ticks it missed, and the tick after it
 * is the next point of the series: a timer re-armed from the late report
 * (report + period) would come half a period off the series. */
Test(poller_timers, periodic_no_drift_and_coalesced)
{
    ps_poller *p;
    OK(ps_poller_open(&p));
    static tmr t;
    const int64_t period = pst_slack_ms(100);
    int64_t due0 = ps_now_ms() + period;
    set_timer(p, &t, due0, period);
    for (int k = 0; k < 5; k++) {
        wait_timer(p, (int)pst_slack_ms(5000));
        int64_t phase = (ps_now_ms() - due0) % period;
        if (k != 3) /* not the late one */
            cr_assert_lt(phase, period / 2, "tick %d: %lld ms after its point",
                         k, (long long)phase);
        if (k == 2)
            pst_sleep_ms((int)(period * 5 / 2)); /* fall behind */
        if (k == 3) {
            /* The late report: the ticks missed did not pile up. */
            int64_t next = t.due; /* the series point after now */
            if (ps_now_ms() < next)
                wait_nothing(p, 0);
        }
    }
    OK(ps_poller_timer_cancel(p, t.id));
    ps_poller_close(p);
}

Test(poller_timers, cancel_before_and_after_expiry)
{
    ps_poller *p;
    OK(ps_poller_open(&p));
    static tmr a, b, c;
    int64_t now = ps_now_ms();
    set_timer(p, &a, now + 30, 0);
    set_timer(p, &b, now + 60, 0);
    set_timer(p, &c, now + 20, 25);
    OK(ps_poller_timer_cancel(p, a.id));
    RC_IS(ps_poller_timer_cancel(p, a.id), PS_ENOENT);
    /* The periodic timer is cancelled from its own report. */
    tmr *got = wait_timer(p, (int)pst_slack_ms(5000));
    cr_assert_eq(got, &c);
    OK(ps_poller_timer_cancel(p, c.id));
    got = wait_timer(p, (int)pst_slack_ms(5000));
    cr_assert_eq(got, &b);
    RC_IS(ps_poller_timer_cancel(p, b.id), PS_ENOENT);
    wait_nothing(p, 120);
    cr_assert_eq(a.reports, 0);
    cr_assert_eq(c.reports, 1);
    /* Ids are not reused: a new timer never answers to an old id. */
    uint64_t id;
    OK(ps_poller_timer(p, &id, ps_now_ms() + 100000, 0, NULL));
    cr_assert(id != a.id && id != b.id && id != c.id);
    RC_IS(ps_poller_timer_cancel(p, b.id), PS_ENOENT);
    OK(ps_poller_timer_cancel(p, id));
    ps_poller_close(p);
}

/* ---- other threads ---- */

struct setter {
    ps_poller *p;
    int delay_ms;
    int64_t due_after;
    tmr *t;
    atomic_int rc;
};

static void set_later(void *arg)
{
    struct setter *s = (struct setter *)arg;
    pst_sleep_ms(s->delay_ms);
    s->t->due = ps_now_ms() + s->due_after;
    atomic_store(&s->rc, ps_poller_timer(s->p, &s->t->id, s->t->due, 0, s->t));
}

/* Runs wait(p, timeout_ms) while a thread sets s's timer, and returns how
 * long the wait took; the setting must have worked. */
static int64_t wait_while_set(struct setter *s,
                              void (*wait)(ps_poller *p, int timeout_ms),
                              int timeout_ms)
{
    /* Before the thread starts, on the timers' own clock: taken after, it
     * missed the milliseconds the start took, and a wait for a timer due
     * 80 ms after the start once measured 79 (clang-debug leg). */
    int64_t t0 = ps_now_ms();
    pst_thread *th = pst_thread_start(set_later, s);
    cr_assert_not_null(th);
    wait(s->p, timeout_ms);
    int64_t took = ps_now_ms() - t0;
    pst_thread_join(th);
    OK(atomic_load(&s->rc));
    return took;
}

static void wait_for_timer(ps_poller *p, int timeout_ms)
{
    wait_timer(p, timeout_ms);
}

/* A wait already in progress (no timeout) and a timer that another
 * thread sets 50 ms later, due 30 ms after that: the wait must end with it.
 * Without `later`, nothing else is registered (the poller's first timer);
 * with it, the wait already waits for a later timer. */
static void set_meanwhile_shortens_wait(int later)
{
    ps_poller *p;
    OK(ps_poller_open(&p));
    uint64_t later_id = 0;
    if (later)
        OK(ps_poller_timer(p, &later_id, ps_now_ms() + 100000, 0, NULL));
    static tmr t;
    struct setter s = {p, 50, 30, &t, 0};
    int64_t took = wait_while_set(&s, wait_for_timer, (int)pst_slack_ms(20000));
    cr_assert(took >= 80 && took < pst_slack_ms(5000),
              "the wait for a timer set meanwhile took %lld ms (later: %d)",
              (long long)took, later);
    if (later)
        OK(ps_poller_timer_cancel(p, later_id));
    ps_poller_close(p);
}

Test(poller_timers, set_from_another_thread_shortens_wait)
{
    set_meanwhile_shortens_wait(0);
}

/* Fails without the wake of the waiters counted in ps__timers_enter. */
Test(poller_timers, earlier_timer_shortens_timed_wait)
{
    set_meanwhile_shortens_wait(1);
}

static void wake_later(void *arg)
{
    pst_sleep_ms(50);
    ps_poller_wake((ps_poller *)arg);
}

/* A user's wake still ends a wait in progress that waits for a timer. */
Test(poller_timers, user_wake_ends_wait_for_timer)
{
    ps_poller *p;
    OK(ps_poller_open(&p));
    uint64_t id;
    OK(ps_poller_timer(p, &id, ps_now_ms() + 100000, 0, NULL));
    pst_thread *th = pst_thread_start(wake_later, p);
    cr_assert_not_null(th);
    int64_t t0 = pst_now_ms();
    wait_nothing(p, -1);
    pst_assert_took(t0, 40, pst_slack_ms(5000), "a wait woken after 50 ms");
    pst_thread_join(th);
    OK(ps_poller_timer_cancel(p, id));
    ps_poller_close(p);
}

/* The internal wake that shortens a wait is no user's wake: a wait with a
 * timeout runs on (the new timer is later than it), and a user's
 * ps_poller_wake still ends a wait. */
Test(poller_timers, internal_wake_is_not_a_user_wake)
{
    ps_poller *p;
    OK(ps_poller_open(&p));
    static tmr t;
    struct setter s = {p, 30, 100000, &t, 0};
    int64_t took = wait_while_set(&s, wait_nothing, 300);
    cr_assert(took >= 300 && took < pst_slack_ms(5000),
              "a 300 ms wait with a timer set meanwhile took %lld ms",
              (long long)took);
    OK(ps_poller_wake(p));
    int64_t t0 = pst_now_ms();
    wait_nothing(p, 10000);
    pst_assert_took(t0, 0, pst_slack_ms(2000), "a woken wait");
    OK(ps_poller_timer_cancel(p, t.id));
    ps_poller_close(p);
}

struct canceller {
    ps_poller *p;
    tmr *t;
    int n;
    atomic_int stop;
    atomic_int ok;   /* cancels that returned 0 */
    atomic_int bad;  /* cancels that returned neither 0 nor PS_ENOENT */
    atomic_int done; /* timers set so far */
};

/* Sets timers due within a millisecond or two and cancels each soon
 * after, around its due time: each one is either reported or cancelled,
 * never both, never neither. */
static void set_and_cancel(void *arg)
{
    struct canceller *c = (struct canceller *)arg;
    for (int i = 0; i < c->n; i++) {
        tmr *t = &c->t[i];
        t->index = i;
        t->due = ps_now_ms() + (i % 3);
        if (ps_poller_timer(c->p, &t->id, t->due, 0, t) != 0) {
            atomic_fetch_add(&c->bad, 1);
            break;
        }
        atomic_store(&c->done, i + 1);
        if (i % 4 == 0)
            pst_sleep_ms(i % 3);
        int rc = ps_poller_timer_cancel(c->p, t->id);
        if (rc == 0)
            atomic_fetch_add(&c->ok, 1);
        else if (rc != PS_ENOENT)
            atomic_fetch_add(&c->bad, 1);
    }
    atomic_store(&c->stop, 1);
    ps_poller_wake(c->p);
}

Test(poller_timers, cancel_from_another_thread_while_waiting)
{
    ps_poller *p;
    OK(ps_poller_open(&p));
    struct canceller c;
    memset(&c, 0, sizeof c);
    c.p = p;
    c.n = pst_under_memcheck() || pst_under_qemu() ? 300 : 3000;
    c.t = (tmr *)calloc((size_t)c.n, sizeof *c.t);
    cr_assert_not_null(c.t);
    pst_thread *th = pst_thread_start(set_and_cancel, &c);
    cr_assert_not_null(th);
    int reported = 0;
    ps_event ev[8];
    while (!atomic_load(&c.stop)) {
        int n = ps_poller_wait(p, ev, 8, 1000);
        cr_assert_geq(n, 0, "%s", ps_errname(n));
        for (int k = 0; k < n; k++)
            check_timer_event(&ev[k]);
        reported += n;
    }
    pst_thread_join(th);
    /* The last ones may still be due. */
    int n;
    while ((n = ps_poller_wait(p, ev, 8, 20)) > 0) {
        for (int k = 0; k < n; k++)
            check_timer_event(&ev[k]);
        reported += n;
    }
    cr_assert_eq(atomic_load(&c.bad), 0);
    for (int i = 0; i < c.n; i++)
        cr_assert_leq(c.t[i].reports, 1, "timer %d reported %d times", i,
                      c.t[i].reports);
    cr_assert_eq(reported + atomic_load(&c.ok), c.n,
                 "%d reported + %d cancelled, of %d", reported,
                 atomic_load(&c.ok), c.n);
    free(c.t);
    ps_poller_close(p);
}

struct pool {
    ps_poller *p;
    int expected;
    atomic_int seen;
    atomic_int *count; /* reports per timer */
    atomic_int failed;
};

static void pool_waiter(void *arg)
{
    struct pool *pl = (struct pool *)arg;
    ps_event ev[4];
    while (atomic_load(&pl->seen) < pl->expected) {
        int n = ps_poller_wait(pl->p, ev, 4, 50);
        if (n < 0) {
            atomic_store(&pl->failed, n);
            return;
        }
        for (int k = 0; k < n; k++) {
            tmr *t = (tmr *)ev[k].data;
            if (ev[k].revents != PS_POLL_TIMER || ps_now_ms() < t->due)
                atomic_store(&pl->failed, PS_EUNKNOWN);
            atomic_fetch_add(&pl->count[t->index], 1);
            atomic_fetch_add(&pl->seen, 1);
        }
    }
}

/* Four threads wait on one poller: each expiry goes to one of them. */
Test(poller_timers, each_expiry_to_one_waiter)
{
    struct pool pl;
    memset(&pl, 0, sizeof pl);
    OK(ps_poller_open(&pl.p));
    pl.expected = pst_under_memcheck() || pst_under_qemu() ? 200 : 2000;
    tmr *t = (tmr *)calloc((size_t)pl.expected, sizeof *t);
    pl.count = (atomic_int *)calloc((size_t)pl.expected, sizeof *pl.count);
    cr_assert(t && pl.count);
    pst_thread *th[4];
    for (int k = 0; k < 4; k++) {
        th[k] = pst_thread_start(pool_waiter, &pl);
        cr_assert_not_null(th[k]);
    }
    int64_t now = ps_now_ms();
    for (int i = 0; i < pl.expected; i++) {
        t[i].index = i;
        set_timer(pl.p, &t[i], now + 10 + i % 200, 0);
    }
    for (int k = 0; k < 4; k++)
        pst_thread_join(th[k]);
    cr_assert_eq(atomic_load(&pl.failed), 0, "%s",
                 ps_errname(atomic_load(&pl.failed)));
    for (int i = 0; i < pl.expected; i++)
        cr_assert_eq(atomic_load(&pl.count[i]), 1, "timer %d reported %d times",
                     i, atomic_load(&pl.count[i]));
    free(pl.count);
    free(t);
    ps_poller_close(pl.p);
}

/* ---- many timers, and fairness with sockets ---- */

/* A socket pair whose b end always has a byte to read (never read). */
static void busy_socket(ps_poller *p, ps_socket_t pair[2], int *tag)
{
    OK(ps_socketpair(pair));
    OK(ps_send_all(pair[0], "x", 1, NULL, 2000));
    ps_pollitem it = pst_sock_item(pair[1], PS_POLL_READ);
    OK(ps_poller_add(p, &it, tag));
}

static void close_busy_socket(ps_poller *p, ps_socket_t pair[2])
{
    ps_pollitem it = pst_sock_item(pair[1], PS_POLL_READ);
    OK(ps_poller_remove(p, &it));
    OK(ps_close(pair[0]));
    OK(ps_close(pair[1]));
}

/* 100,000 timers due within 50 ms, with a busy socket: every timer is
 * reported once, in due order, never early; and while they drain, every
 * wait still reports the socket (timers take no more than their share). */
Test(poller_timers, many_timers_at_once_do_not_starve_sockets)
{
    ps_poller *p;
    OK(ps_poller_open(&p));
    int n = many_timers();
    tmr *t = (tmr *)calloc((size_t)n, sizeof *t);
    cr_assert_not_null(t);
    int64_t base = ps_now_ms() + 20;
    for (int i = 0; i < n; i++) {
        t[i].index = i;
        set_timer(p, &t[i], base + (i * 7919) % 50, 0);
    }
    ps_socket_t pair[2];
    static int tag;
    busy_socket(p, pair, &tag);
    pst_sleep_ms(100); /* all are due now */
    ps_event ev[64];
    int got = 0, waits = 0;
    int64_t last_due = INT64_MIN;
    while (got < n) {
        int r = ps_poller_wait(p, ev, 64, (int)pst_slack_ms(5000));
        cr_assert_gt(r, 0, "wait %d -> %d (%s) after %d timers", waits, r,
                     ps_errname(r), got);
        int socket_seen = 0;
        for (int k = 0; k < r; k++) {
            if (ev[k].data == &tag) {
                cr_assert_eq(ev[k].revents, (unsigned)PS_POLL_READ);
                socket_seen = 1;
                continue;
            }
            tmr *x = check_timer_event(&ev[k]);
            cr_assert_eq(x->reports, 1, "timer %d reported twice", x->index);
            cr_assert_geq(x->due, last_due, "timer %d out of order", x->index);
            last_due = x->due;
            got++;
        }
        cr_assert(socket_seen, "wait %d left the socket out (%d timers)", waits,
                  got);
        waits++;
    }
    /* Room for 64, at least 32 of them for timers: no more waits needed. */
    cr_assert_leq(waits, (n + 31) / 32 + 1);
    close_busy_socket(p, pair);
    wait_nothing(p, 0);
    free(t);
    ps_poller_close(p);
}

/* Cancels from every part of the heap: 10,000 timers with scattered due
 * times (all past, so no waiting), every third one cancelled in a
 * scattered order; the others all come, each once, in due order, and the
 * cancelled ones never. */
Test(poller_timers, cancel_anywhere_keeps_order)
{
    ps_poller *p;
    OK(ps_poller_open(&p));
    enum { N = 10000 };
    static tmr t[N];
    memset(t, 0, sizeof t);
    int64_t base = ps_now_ms() - 2000;
    for (int i = 0; i < N; i++) {
        t[i].index = i;
        set_timer(p, &t[i], base + (i * 7919) % 1000, 0);
    }
    for (int k = 0; k < N; k++) {
        int i = (k * 4099) % N; /* 4099 is prime to N: each i once */
        if (i % 3 == 0)
            OK(ps_poller_timer_cancel(p, t[i].id));
    }
    ps_event ev[128];
    int got = 0, r;
    int64_t last_due = INT64_MIN;
    while ((r = ps_poller_wait(p, ev, 128, 0)) > 0) {
        for (int k = 0; k < r; k++) {
            tmr *x = check_timer_event(&ev[k]);
            cr_assert_neq(x->index % 3, 0, "cancelled timer %d came", x->index);
            cr_assert_eq(x->reports, 1, "timer %d came twice", x->index);
            cr_assert_geq(x->due, last_due, "timer %d out of order", x->index);
            last_due = x->due;
            got++;
        }
    }
    cr_assert_eq(r, 0, "%s", ps_errname(r));
    cr_assert_eq(got, N - (N + 2) / 3);
    ps_poller_close(p);
}

/* A socket that is always ready and a wait with room for one event: the
 * timer is still reported, and so is the socket, by turns. */
Test(poller_timers, busy_socket_does_not_starve_timer)
{
    ps_poller *p;
    OK(ps_poller_open(&p));
    ps_socket_t pair[2];
    static int tag;
    busy_socket(p, pair, &tag);
    static tmr t;
    set_timer(p, &t, ps_now_ms() + 30, 10);
    int ticks = 0, sockets = 0, since_socket = 0;
    int64_t end = pst_now_ms() + pst_slack_ms(10000);
    while (ticks < 5 && pst_now_ms() < end) {
        ps_event ev;
        int r = ps_poller_wait(p, &ev, 1, 1000);
        cr_assert_eq(r, 1, "%d (%s)", r, ps_errname(r));
        if (ev.data == &tag) {
            sockets++;
            since_socket = 0;
        } else {
            check_timer_event(&ev);
            ticks++;
            cr_assert_lt(++since_socket, 2,
                         "two timer reports in a row "
                         "with the socket ready");
        }
    }
    cr_assert_eq(ticks, 5, "%d ticks with a busy socket (%d socket events)",
                 ticks, sockets);
    OK(ps_poller_timer_cancel(p, t.id));
    close_busy_socket(p, pair);
    ps_poller_close(p);
}

/* Closing a poller with timers set frees them (ASan, valgrind). */
Test(poller_timers, close_frees_pending_timers)
{
    for (int round = 0; round < 3; round++) {
        ps_poller *p;
        OK(ps_poller_open(&p));
        int64_t now = ps_now_ms();
        for (int i = 0; i < 1000; i++) {
            uint64_t id;
            OK(ps_poller_timer(p, &id, now + 1000 + i, i % 2 ? 5 : 0, NULL));
            if (i % 3 == 0)
                OK(ps_poller_timer_cancel(p, id));
        }
        ps_poller_close(p);
    }
}
