/* SPDX-License-Identifier: MIT */
/* ps_poller under races, on every backend and leg (poll(), epoll, kqueue,
 * Windows; TSan and valgrind too): one-shot items shared by a pool of
 * waiting threads are each handed to one waiter only, and only while they
 * are ready; the poller's own descriptors are never taken for registered
 * items; a wait on an empty poller is well defined (UBSan). The stress
 * runs for a fixed time, not a fixed count, so it stays bounded under
 * valgrind and Wine. */
#include <criterion/criterion.h>

#include <stdatomic.h>
#include <string.h>

#include "portsock.h"
#include "rc_assert.h"
#include "select_support.h"
#include "support.h"

TestSuite(poller_races, .timeout = 120);

/* Eight pairs and four tokens: half the items are empty at any time, so a
 * report handed out for an item that was already read is seen at once. */
#define NPAIRS 8
#define NTOKENS 4
#define NWAITERS 4
#define STRESS_MS 1500

struct pool {
    ps_poller *p;
    ps_socket_t a[NPAIRS], b[NPAIRS]; /* tokens are written to a, read on b */
    int tags[NPAIRS];
    atomic_int held[NPAIRS]; /* 1 while a waiter owns the report */
    atomic_int stop;
    atomic_long reports;
    atomic_long stale;   /* reported, but nothing to read */
    atomic_long doubled; /* reported to two waiters at once */
    atomic_int first_bad_rc;
    atomic_int failed; /* a call that must work did not */
    atomic_int next_waiter;
};

static void note_failure(struct pool *pl, int rc)
{
    int none = 0;
    atomic_compare_exchange_strong(&pl->first_bad_rc, &none, rc);
    atomic_store(&pl->failed, 1);
}

/* One report of item i: take the token (never blocking: an empty item is
 * a stale report, not a hang), pass it on to the next item, re-arm. */
static void serve(struct pool *pl, int i)
{
    atomic_fetch_add(&pl->reports, 1);
    if (atomic_exchange(&pl->held[i], 1) != 0) {
        atomic_fetch_add(&pl->doubled, 1);
        return; /* the other holder re-arms it */
    }
    char c;
    size_t got = 0;
    int rc = ps_recv(pl->b[i], &c, 1, &got, 0);
    if (rc != 0 || got != 1) {
        atomic_fetch_add(&pl->stale, 1);
        if (rc != 0 && rc != PS_ETIMEDOUT && rc != PS_EWOULDBLOCK)
            note_failure(pl, rc);
    } else {
        rc = ps_send_all(pl->a[(i + 1) % NPAIRS], &c, 1, NULL, 5000);
        if (rc != 0)
            note_failure(pl, rc);
    }
    /* Given up before the re-arm: another waiter may get it at once. */
    atomic_store(&pl->held[i], 0);
    ps_pollitem it = pst_sock_item(pl->b[i], PS_POLL_READ | PS_POLL_ONESHOT);
    rc = ps_poller_modify(pl->p, &it, &pl->tags[i]);
    if (rc != 0)
        note_failure(pl, rc);
}

static void waiter_main(void *arg)
{
    struct pool *pl = (struct pool *)arg;
    /* Half the waiters take one event per wait, half two. */
    size_t cap = 1 + (size_t)(atomic_fetch_add(&pl->next_waiter, 1) & 1);
    while (!atomic_load(&pl->stop) && !atomic_load(&pl->failed)) {
        ps_event ev[2];
        /* Bounded, so that the stop flag is seen without a wake per
         * thread. */
        int n = ps_poller_wait(pl->p, ev, cap, 100);
        if (n < 0) {
            note_failure(pl, n);
            return;
        }
        for (int k = 0; k < n; k++) {
            int i = (int)((int *)ev[k].data - pl->tags);
            if (i < 0 || i >= NPAIRS || ev[k].revents != PS_POLL_READ) {
                note_failure(pl, PS_EUNKNOWN);
                return;
            }
            serve(pl, i);
        }
    }
}

/* The thread-pool use PS_POLL_ONESHOT exists for. Before the fix, the
 * poll() backend handed out a waiter's old poll() result after another
 * waiter had read the item and re-armed it: thousands of stale reports per
 * second, and a blocking read after one of them hung. */
Test(poller_races, oneshot_report_is_ready_and_given_once)
{
    static struct pool pl;
    memset(&pl, 0, sizeof pl);
    OK(ps_poller_open(&pl.p));
    for (int i = 0; i < NPAIRS; i++) {
        ps_socket_t pair[2];
        OK(ps_socketpair(pair));
        pl.a[i] = pair[0];
        pl.b[i] = pair[1];
        atomic_init(&pl.held[i], 0);
    }
    atomic_init(&pl.stop, 0);
    atomic_init(&pl.reports, 0);
    atomic_init(&pl.stale, 0);
    atomic_init(&pl.doubled, 0);
    atomic_init(&pl.first_bad_rc, 0);
    atomic_init(&pl.failed, 0);
    atomic_init(&pl.next_waiter, 0);
    for (int i = 0; i < NTOKENS; i++)
        OK(ps_send_all(pl.a[i * (NPAIRS / NTOKENS)], "t", 1, NULL, 2000));
    for (int i = 0; i < NPAIRS; i++) {
        ps_pollitem it = pst_sock_item(pl.b[i], PS_POLL_READ | PS_POLL_ONESHOT);
        OK(ps_poller_add(pl.p, &it, &pl.tags[i]));
    }
    pst_thread *t[NWAITERS];
    for (int k = 0; k < NWAITERS; k++) {
        t[k] = pst_thread_start(waiter_main, &pl);
        cr_assert_not_null(t[k]);
    }
    pst_sleep_ms(STRESS_MS);
    atomic_store(&pl.stop, 1);
    for (int k = 0; k < NWAITERS; k++)
        pst_thread_join(t[k]);

    long reports = atomic_load(&pl.reports);
    long stale = atomic_load(&pl.stale);
    long doubled = atomic_load(&pl.doubled);
    cr_log_info("%ld reports in %d ms, %ld stale, %ld doubled", reports,
                STRESS_MS, stale, doubled);
    int bad = atomic_load(&pl.first_bad_rc);
    cr_assert_eq(atomic_load(&pl.failed), 0, "a call failed: %s",
                 ps_errname(bad));
    cr_assert_eq(stale, 0, "%ld of %ld one-shot reports named an empty item",
                 stale, reports);
    cr_assert_eq(doubled, 0, "%ld of %ld reports went to a second waiter",
                 doubled, reports);
    /* The tokens kept moving: no report was lost for good. */
    cr_assert_geq(reports, 50, "only %ld reports in %d ms", reports, STRESS_MS);
    /* And none was lost or made up: every token is still in some item
     * (the last one sent may still be on its way over Windows loopback). */
    long tokens = 0;
    int64_t end = pst_now_ms() + pst_slack_ms(2000);
    for (;;) {
        for (int i = 0; i < NPAIRS; i++) {
            char buf[16];
            size_t got = 0;
            while (ps_recv(pl.b[i], buf, sizeof buf, &got, 0) == 0 && got > 0)
                tokens += (long)got;
        }
        if (tokens >= NTOKENS || pst_now_ms() >= end)
            break;
        pst_sleep_ms(5);
    }
    cr_assert_eq(tokens, NTOKENS, "%ld tokens left of %d", tokens, NTOKENS);
    ps_poller_close(pl.p);
    for (int i = 0; i < NPAIRS; i++) {
        ps_close(pl.a[i]);
        ps_close(pl.b[i]);
    }
}

/* fds 0..NSCAN-1 that are open, told by a second poller: add (asking for
 * nothing) succeeds only for an open fd. */
#define NSCAN 1024

static void scan_open(ps_poller *probe, unsigned char *open)
{
    for (int fd = 0; fd < NSCAN; fd++) {
        ps_pollitem it = pst_fd_item(fd, 0);
        open[fd] = ps_poller_add(probe, &it, NULL) == 0;
        if (open[fd])
            OK(ps_poller_remove(probe, &it));
    }
}

/* A wake ends a wait at once, and a wait with nothing to report sleeps
 * rather than spins. */
static void still_works(ps_poller *p)
{
    ps_event ev[4];
    OK(ps_poller_wake(p));
    int64_t t0 = pst_now_ms();
    RC_IS(ps_poller_wait(p, ev, 4, 3000), 0);
    int64_t took = pst_now_ms() - t0;
    cr_assert_lt(took, pst_slack_ms(1000), "a woken wait took %lld ms",
                 (long long)took);
    long cpu0 = pst_process_cpu_ms();
    t0 = pst_now_ms();
    RC_IS(ps_poller_wait(p, ev, 4, 300), 0);
    took = pst_now_ms() - t0;
    long cpu = pst_process_cpu_ms() - cpu0;
    cr_assert_geq(took, 290, "a 300 ms wait returned after %lld ms",
                  (long long)took);
    if (cpu0 >= 0)
        cr_assert_lt(cpu, 150, "a 300 ms idle wait used %ld ms of CPU", cpu);
}

/* The poller's own descriptors (its wake descriptor above all) are not
 * items: modify and remove of them are PS_ENOENT as for any number not
 * registered, add is refused, and the poller still works afterwards.
 * Before the fix the epoll poller said 0 to modify of its wake eventfd,
 * after which wakes no longer ended a wait, and a wait spun at full CPU
 * until its timeout. */
Test(poller_races, own_descriptors_are_not_items)
{
    ps_poller *probe, *p;
    OK(ps_poller_open(&probe));
    static unsigned char before[NSCAN], after[NSCAN];
    scan_open(probe, before);
    OK(ps_poller_open(&p));
    ps_event ev[4];
    RC_IS(ps_poller_wait(p, ev, 4, 0), 0); /* the poll() backend's pipes */
    scan_open(probe, after);
    int own = 0, bad_fd = -1, bad_rc = 0;
    for (int fd = 0; fd < NSCAN; fd++) {
        if (!after[fd] || before[fd])
            continue;
        own++;
        cr_log_info("the poller's own fd %d", fd);
        /* The audit's step: modify first, judged after the wake below. */
        ps_pollitem it = pst_fd_item(fd, PS_POLL_READ);
        int rc = ps_poller_modify(p, &it, NULL);
        if (rc != PS_ENOENT && bad_fd < 0) {
            bad_fd = fd;
            bad_rc = rc;
        }
    }
    /* Windows' poller holds handles, not C runtime fds. */
    cr_assert(own > 0 || pst_is_windows(), "no descriptor of the poller found");
    still_works(p);
    cr_assert_eq(bad_fd, -1, "modify of the poller's own fd %d -> %s", bad_fd,
                 ps_errname(bad_rc));
    for (int fd = 0; fd < NSCAN; fd++) {
        if (!after[fd] || before[fd])
            continue;
        ps_pollitem it = pst_fd_item(fd, PS_POLL_READ);
        RC_IS(ps_poller_remove(p, &it), PS_ENOENT);
        RC_IS(ps_poller_add(p, &it, NULL), PS_EINVAL);
        RC_IS(ps_poller_modify(p, &it, NULL), PS_ENOENT);
    }
    /* Any number at all on an empty poller: nothing is registered. */
    for (int fd = 0; fd < NSCAN; fd++) {
        ps_pollitem it = pst_fd_item(fd, PS_POLL_READ);
        int rc = ps_poller_modify(p, &it, NULL);
        cr_assert(rc == PS_ENOENT || rc == PS_EBADF, "modify of fd %d -> %s",
                  fd, ps_errname(rc));
        rc = ps_poller_remove(p, &it);
        cr_assert(rc == PS_ENOENT || rc == PS_EBADF, "remove of fd %d -> %s",
                  fd, ps_errname(rc));
    }
    still_works(p);
    ps_poller_close(p);
    ps_poller_close(probe);
}

/* A poller with nothing registered, and one whose items were all removed:
 * waits time out with 0. Before the fix the poll() backend copied its
 * (NULL) array with memcpy, which UBSan stops. */
Test(poller_races, wait_on_empty_poller)
{
    ps_poller *p;
    ps_event ev[4];
    OK(ps_poller_open(&p));
    RC_IS(ps_poller_wait(p, ev, 4, 0), 0);
    RC_IS(ps_poller_wait(p, ev, 4, 20), 0);
    ps_socket_t pair[2];
    OK(ps_socketpair(pair));
    ps_pollitem it = pst_sock_item(pair[1], PS_POLL_READ);
    OK(ps_poller_add(p, &it, NULL));
    OK(ps_poller_remove(p, &it));
    RC_IS(ps_poller_wait(p, ev, 4, 0), 0);
    ps_poller_close(p);
    ps_close(pair[0]);
    ps_close(pair[1]);
}
