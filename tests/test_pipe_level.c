/* SPDX-License-Identifier: MIT */
/* Pipes are level-triggered in ps_poller_wait and ps_select on every
 * platform: a pipe that holds data, or whose writer is gone, is in every
 * result until it is drained or removed, whichever other item made the
 * wait return; an empty pipe whose writer is open is never reported.
 * Linux pipes are level-triggered by the kernel; on Windows a helper
 * thread's zero-byte read watches the pipe, and its timing must not show.
 * The loops run enough rounds that an unlucky schedule is caught. */
#include <criterion/criterion.h>

#include <stdatomic.h>
#include <string.h>

#include "portsock.h"
#include "rc_assert.h"
#include "select_support.h"
#include "support.h"

TestSuite(pipe_level, .timeout = 120);

static int tag_pipe, tag_sock;

/* Rounds of a loop, fewer under valgrind, where each wait is slow. */
static int rounds(int n)
{
    return pst_under_memcheck() ? n / 10 : n;
}

/* A pipe and a TCP pair whose receiving end b is to be watched. */
struct rig {
    int fds[2];
    ps_socket_t a, b;
};

static void rig_open(struct rig *g)
{
    cr_assert_eq(pst_pipe(g->fds), 0);
    pst_tcp_pair(&g->a, &g->b);
}

static void rig_close(struct rig *g)
{
    if (g->fds[0] >= 0)
        pst_fd_close(g->fds[0]);
    if (g->fds[1] >= 0)
        pst_fd_close(g->fds[1]);
    ps_close(g->a);
    ps_close(g->b);
}

static void sock_put(struct rig *g)
{
    size_t sent = 0;
    OK(ps_send(g->a, "s", 1, &sent, 2000));
    cr_assert_eq(sent, 1);
}

static void sock_take(struct rig *g)
{
    char c;
    size_t got = 0;
    OK(ps_recv(g->b, &c, 1, &got, 2000));
    cr_assert_eq(got, 1);
}

static void pipe_put(struct rig *g)
{
    cr_assert_eq(pst_fd_write(g->fds[1], "p", 1), 1);
}

/* Reads the one byte the test knows is in the pipe: it cannot block. */
static void pipe_take(struct rig *g)
{
    char c;
    cr_assert_eq(pst_fd_read(g->fds[0], &c, 1), 1);
}

/* What a poller wait reported for the pipe and the socket (0: absent). */
struct seen {
    int n;
    unsigned pipe, sock;
};

static struct seen poll_wait(ps_poller *p, int timeout_ms)
{
    ps_event ev[4];
    struct seen s;
    memset(&s, 0, sizeof s);
    s.n = ps_poller_wait(p, ev, 4, timeout_ms);
    cr_assert(s.n >= 0, "wait -> %s", ps_errname(s.n));
    for (int i = 0; i < s.n; i++) {
        cr_assert(ev[i].data == &tag_pipe || ev[i].data == &tag_sock);
        if (ev[i].data == &tag_pipe)
            s.pipe = ev[i].revents;
        else
            s.sock = ev[i].revents;
    }
    return s;
}

static struct seen select_wait(struct rig *g, int timeout_ms)
{
    ps_pollitem it[2];
    struct seen s;
    it[0] = pst_fd_item(g->fds[0], PS_POLL_READ);
    it[1] = pst_sock_item(g->b, PS_POLL_READ);
    s.n = ps_select(it, 2, timeout_ms);
    cr_assert(s.n >= 0, "ps_select -> %s", ps_errname(s.n));
    s.pipe = it[0].revents;
    s.sock = it[1].revents;
    return s;
}

static ps_poller *poller_for(struct rig *g, unsigned pipe_events)
{
    ps_poller *p;
    ps_pollitem pi = pst_fd_item(g->fds[0], pipe_events);
    ps_pollitem si = pst_sock_item(g->b, PS_POLL_READ);
    OK(ps_poller_open(&p));
    OK(ps_poller_add(p, &pi, &tag_pipe));
    OK(ps_poller_add(p, &si, &tag_sock));
    return p;
}

/* Waits until the pipe is first reported with `want` (the helper has to
 * see it once): bounded, so a pipe never reported fails the test. */
static void poll_until_pipe(ps_poller *p, unsigned want)
{
    int64_t end = pst_now_ms() + pst_slack_ms(5000);
    struct seen s;
    do {
        s = poll_wait(p, 100);
    } while ((s.pipe & want) != want && pst_now_ms() < end);
    cr_assert_eq(s.pipe & want, want, "pipe never reported 0x%x", want);
}

/* An undrained pipe next to a busy socket: the pipe in every result. */
Test(pipe_level, poller_undrained_pipe_in_every_wait)
{
    struct rig g;
    rig_open(&g);
    ps_poller *p = poller_for(&g, PS_POLL_READ);
    pipe_put(&g);
    poll_until_pipe(p, PS_POLL_READ);
    sock_put(&g); /* left unread: every wait returns at once */
    int n = rounds(1000), missed = 0, first = -1;
    for (int i = 0; i < n; i++) {
        struct seen s = poll_wait(p, 2000);
        cr_assert(s.sock & PS_POLL_READ, "round %d: socket not reported", i);
        if (s.pipe != PS_POLL_READ) {
            if (first < 0)
                first = i;
            missed++;
        }
    }
    cr_assert_eq(missed, 0,
                 "pipe missing (or not READ) in %d of %d waits, "
                 "first at %d",
                 missed, n, first);
    ps_poller_close(p);
    rig_close(&g);
}

/* A closed writer: its HUP in every wait until the pipe is removed, and
 * not after. */
Test(pipe_level, poller_hup_in_every_wait_until_removed)
{
    struct rig g;
    rig_open(&g);
    ps_poller *p = poller_for(&g, PS_POLL_READ);
    pst_fd_close(g.fds[1]);
    g.fds[1] = -1;
    poll_until_pipe(p, PS_POLL_HUP);
    sock_put(&g);
    int n = rounds(1000), missed = 0, first = -1;
    for (int i = 0; i < n; i++) {
        struct seen s = poll_wait(p, 2000);
        cr_assert(s.sock & PS_POLL_READ, "round %d: socket not reported", i);
        if (!(s.pipe & PS_POLL_HUP)) {
            if (first < 0)
                first = i;
            missed++;
        }
    }
    cr_assert_eq(missed, 0, "HUP missing in %d of %d waits, first at %d",
                 missed, n, first);
    ps_pollitem pi = pst_fd_item(g.fds[0], PS_POLL_READ);
    OK(ps_poller_remove(p, &pi));
    for (int i = 0; i < 20; i++)
        cr_assert_eq(poll_wait(p, 2000).pipe, 0, "reported after removal");
    ps_poller_close(p);
    rig_close(&g);
}

/* One-shot keeps its meaning: an undrained pipe is reported once, then
 * not again until modify arms it. */
Test(pipe_level, poller_oneshot_undrained_pipe_reported_once)
{
    struct rig g;
    rig_open(&g);
    ps_poller *p = poller_for(&g, PS_POLL_READ | PS_POLL_ONESHOT);
    ps_pollitem pi = pst_fd_item(g.fds[0], PS_POLL_READ | PS_POLL_ONESHOT);
    pipe_put(&g);
    sock_put(&g);
    for (int k = 0; k < rounds(50); k++) {
        poll_until_pipe(p, PS_POLL_READ);
        for (int i = 0; i < 20; i++)
            cr_assert_eq(poll_wait(p, 2000).pipe, 0,
                         "cycle %d: a one-shot pipe reported twice", k);
        OK(ps_poller_modify(p, &pi, &tag_pipe));
    }
    ps_poller_close(p);
    rig_close(&g);
}

/* Rounds of: a byte into the pipe, the socket made ready, a wait, both
 * drained, then a wait (woken by the socket again) that must not report
 * the empty pipe. The test reads the pipe only when it knows a byte is
 * there, so a stale READ shows as a failed assertion, never as a hang. */
Test(pipe_level, poller_drained_pipe_never_reported)
{
    struct rig g;
    rig_open(&g);
    ps_poller *p = poller_for(&g, PS_POLL_READ);
    int n = rounds(200), stale = 0, first = -1;
    for (int i = 0; i < n; i++) {
        pipe_put(&g);
        sock_put(&g);
        struct seen s = poll_wait(p, 2000);
        cr_assert(s.n > 0, "round %d: nothing reported", i);
        pipe_take(&g);
        sock_take(&g);
        sock_put(&g);
        s = poll_wait(p, 2000);
        cr_assert(s.sock & PS_POLL_READ, "round %d: socket not reported", i);
        if (s.pipe != 0) {
            if (first < 0)
                first = i;
            stale++;
        }
        sock_take(&g);
        if (s.n == 1 && i % 2 == 1)
            cr_assert_eq(poll_wait(p, 0).pipe, 0, "round %d: stale (poll)", i);
    }
    cr_assert_eq(stale, 0,
                 "an empty pipe reported in %d of %d rounds, "
                 "first at %d",
                 stale, n, first);
    ps_poller_close(p);
    rig_close(&g);
}

/* Both bytes written by another thread while the wait is blocked, so the
 * pipe's report and the socket's can cross; then both are drained and the
 * next wait must not report the empty pipe. */
struct both_put {
    struct rig *g;
    int pipe_first;
};

static void both_put_main(void *arg)
{
    struct both_put *b = (struct both_put *)arg;
    pst_sleep_ms(1);
    if (b->pipe_first)
        pipe_put(b->g);
    sock_put(b->g);
    if (!b->pipe_first)
        pipe_put(b->g);
}

Test(pipe_level, poller_blocked_wait_then_drained_pipe_never_reported)
{
    struct rig g;
    rig_open(&g);
    ps_poller *p = poller_for(&g, PS_POLL_READ);
    int n = rounds(200), stale = 0, first = -1;
    for (int i = 0; i < n; i++) {
        struct both_put b = {&g, i % 2};
        pst_thread *t = pst_thread_start(both_put_main, &b);
        cr_assert_not_null(t);
        struct seen s = poll_wait(p, 2000);
        pst_thread_join(t);
        cr_assert(s.n > 0, "round %d: nothing reported", i);
        pipe_take(&g);
        sock_take(&g);
        s = poll_wait(p, i % 3 == 0 ? 0 : 5);
        if (s.pipe != 0) {
            if (first < 0)
                first = i;
            stale++;
        }
    }
    cr_assert_eq(stale, 0,
                 "an empty pipe reported in %d of %d rounds, "
                 "first at %d",
                 stale, n, first);
    ps_poller_close(p);
    rig_close(&g);
}

/* The read end of a pipe, PIPE_NOWAIT on Windows, with its writer open:
 * as an item and a way to close the writer. */
struct nowait_pipe {
    int fds[2];
    void *h[2];
    ps_pollitem item;
};

static void nowait_open(struct nowait_pipe *np, unsigned events)
{
    np->fds[0] = np->fds[1] = -1;
    if (pst_os_pipe(np->h) == 0) {
        cr_assert_eq(pst_pipe_nowait(np->h[0]), 0);
        np->item = pst_handle_item(np->h[0], events);
    } else {
        /* POSIX has no such mode; a plain pipe must behave the same. */
        cr_assert_eq(pst_pipe(np->fds), 0);
        np->item = pst_fd_item(np->fds[0], events);
    }
}

static void nowait_close(struct nowait_pipe *np)
{
    if (np->fds[0] >= 0) {
        pst_fd_close(np->fds[0]);
        pst_fd_close(np->fds[1]);
    } else {
        pst_close_handle(np->h[0]);
        pst_close_handle(np->h[1]);
    }
}

/* CPU used over a wait of wall_ms, in percent of one core; -1 when the
 * platform cannot tell. */
static long cpu_percent(long cpu0, int64_t t0)
{
    long cpu1 = pst_process_cpu_ms();
    int64_t wall = pst_now_ms() - t0;
    if (cpu0 < 0 || cpu1 < 0 || wall <= 0)
        return -1;
    return (long)((cpu1 - cpu0) * 100 / wall);
}

/* An empty non-blocking read end with its writer open is not ready: no
 * report, and no busy loop while waiting. */
Test(pipe_level, poller_nowait_empty_pipe_not_reported)
{
    struct nowait_pipe np;
    ps_poller *p;
    ps_event ev[4];
    nowait_open(&np, PS_POLL_READ);
    OK(ps_poller_open(&p));
    OK(ps_poller_add(p, &np.item, &tag_pipe));
    long cpu0 = pst_process_cpu_ms();
    int64_t t0 = pst_now_ms();
    int reports = 0;
    unsigned rev = 0;
    while (pst_now_ms() - t0 < 1000) {
        int n = ps_poller_wait(p, ev, 4, 200);
        cr_assert(n >= 0, "wait -> %s", ps_errname(n));
        if (n > 0 && reports++ == 0)
            rev = ev[0].revents;
    }
    long pct = cpu_percent(cpu0, t0);
    cr_assert_eq(reports, 0, "an empty pipe reported by %d waits (0x%x)",
                 reports, rev);
    cr_assert(pct < 10, "%ld%% of a core while waiting", pct);
    ps_poller_close(p);
    nowait_close(&np);
}

Test(pipe_level, select_nowait_empty_pipe_not_reported)
{
    struct nowait_pipe np;
    nowait_open(&np, PS_POLL_READ);
    long cpu0 = pst_process_cpu_ms();
    int64_t t0 = pst_now_ms();
    int n = ps_select(&np.item, 1, 1000);
    long pct = cpu_percent(cpu0, t0);
    cr_assert_eq(n, 0, "ps_select -> %d (revents 0x%x)", n, np.item.revents);
    cr_assert(pct < 10, "%ld%% of a core while waiting", pct);
    nowait_close(&np);
}

Test(pipe_level, select_undrained_pipe_in_every_call)
{
    struct rig g;
    rig_open(&g);
    pipe_put(&g);
    sock_put(&g);
    int n = rounds(1000);
    for (int i = 0; i < n; i++) {
        struct seen s = select_wait(&g, 2000);
        cr_assert_eq(s.pipe, PS_POLL_READ, "round %d: pipe 0x%x", i, s.pipe);
        cr_assert(s.sock & PS_POLL_READ, "round %d: socket not reported", i);
    }
    rig_close(&g);
}

Test(pipe_level, select_hup_in_every_call)
{
    struct rig g;
    rig_open(&g);
    pst_fd_close(g.fds[1]);
    g.fds[1] = -1;
    sock_put(&g);
    int n = rounds(1000);
    for (int i = 0; i < n; i++) {
        struct seen s = select_wait(&g, 2000);
        cr_assert(s.pipe & PS_POLL_HUP, "round %d: pipe 0x%x", i, s.pipe);
    }
    rig_close(&g);
}

Test(pipe_level, select_drained_pipe_never_reported)
{
    struct rig g;
    rig_open(&g);
    int n = rounds(500);
    for (int i = 0; i < n; i++) {
        pipe_put(&g);
        sock_put(&g);
        struct seen s = select_wait(&g, 2000);
        cr_assert_eq(s.pipe, PS_POLL_READ, "round %d: pipe 0x%x", i, s.pipe);
        pipe_take(&g);
        sock_take(&g);
        sock_put(&g);
        s = select_wait(&g, 2000);
        cr_assert_eq(s.pipe, 0, "round %d: empty pipe reported", i);
        sock_take(&g);
        cr_assert_eq(select_wait(&g, i % 10 ? 0 : 20).pipe, 0,
                     "round %d: empty pipe reported", i);
    }
    rig_close(&g);
}

/* Registrations that change while other threads wait: pipes added,
 * written, re-armed one-shot and back, removed and closed, next to a
 * socket pair added and removed the same way. Every event names a live
 * tag, and nothing crashes (debug builds assert each record's state
 * change on Windows). Bounded in time. */
struct churn {
    ps_poller *p;
    atomic_int stop;
    atomic_int bad;
};

static int churn_tags[4];

static int is_churn_tag(const void *d)
{
    for (int i = 0; i < 4; i++)
        if (d == &churn_tags[i])
            return 1;
    return 0;
}

static void churn_waiter(void *arg)
{
    struct churn *c = (struct churn *)arg;
    ps_event ev[8];
    while (!atomic_load(&c->stop)) {
        int n = ps_poller_wait(c->p, ev, 8, 10);
        if (n < 0)
            atomic_fetch_add(&c->bad, 1);
        for (int i = 0; i < n; i++)
            if (!is_churn_tag(ev[i].data))
                atomic_fetch_add(&c->bad, 1);
    }
}

Test(pipe_level, poller_registrations_change_while_threads_wait)
{
    struct churn c;
    c.p = NULL;
    atomic_init(&c.stop, 0);
    atomic_init(&c.bad, 0);
    pst_thread *t[2];
    OK(ps_poller_open(&c.p));
    for (int i = 0; i < 2; i++)
        cr_assert_not_null(t[i] = pst_thread_start(churn_waiter, &c));
    int64_t end = pst_now_ms() + (pst_under_memcheck() ? 500 : 1000);
    int rounds_done = 0;
    while (pst_now_ms() < end) {
        struct rig g;
        rig_open(&g);
        ps_pollitem pi = pst_fd_item(g.fds[0], PS_POLL_READ);
        ps_pollitem si = pst_sock_item(g.b, PS_POLL_READ);
        OK(ps_poller_add(c.p, &pi, &churn_tags[0]));
        OK(ps_poller_add(c.p, &si, &churn_tags[1]));
        pipe_put(&g);
        sock_put(&g);
        pi.events = PS_POLL_READ | PS_POLL_ONESHOT;
        OK(ps_poller_modify(c.p, &pi, &churn_tags[2]));
        si.events = PS_POLL_READ | PS_POLL_ONESHOT;
        OK(ps_poller_modify(c.p, &si, &churn_tags[3]));
        pst_sleep_ms(rounds_done % 3);
        pi.events = si.events = PS_POLL_READ;
        OK(ps_poller_modify(c.p, &pi, &churn_tags[0]));
        OK(ps_poller_modify(c.p, &si, &churn_tags[1]));
        if (rounds_done % 2) {
            pst_fd_close(g.fds[1]); /* a HUP to report meanwhile */
            g.fds[1] = -1;
        }
        OK(ps_poller_remove(c.p, &pi));
        OK(ps_poller_remove(c.p, &si));
        rig_close(&g);
        rounds_done++;
    }
    atomic_store(&c.stop, 1);
    for (int i = 0; i < 2; i++)
        pst_thread_join(t[i]);
    cr_assert_eq(atomic_load(&c.bad), 0, "%d bad events or failed waits",
                 atomic_load(&c.bad));
    cr_assert(rounds_done > 0);
    ps_poller_close(c.p);
}

/* Two threads both told READ for a pipe holding one byte; one reads it,
 * then the other's ps_item_read must return PS_EWOULDBLOCK, not wait. On
 * Windows a reported pipe's read is checked first; on POSIX a read of a
 * blocking fd after a raced report blocks, as read(2) does, so there the
 * read end is made non-blocking, as the header says a program must. A
 * watchdog writes a byte if the read waits, so a hang fails the test. */
struct race {
    struct rig *g;
    ps_poller *p;          /* NULL: ps_select */
    atomic_int reported;   /* threads told READ this round */
    atomic_int bad_report; /* a wait that did not report the pipe READ */
    atomic_int a_read;     /* the first reader has its byte */
    atomic_int b_done;
    int b_rc;
    size_t b_got;
    int64_t end; /* of the round, for the barrier */
};

struct racer {
    struct race *r;
    int id;
};

static unsigned race_wait(struct race *r)
{
    if (r->p == NULL) {
        ps_pollitem it = pst_fd_item(r->g->fds[0], PS_POLL_READ);
        return ps_select(&it, 1, 2000) == 1 ? it.revents : 0;
    }
    ps_event ev[2];
    int n = ps_poller_wait(r->p, ev, 2, 2000);
    return n == 1 && ev[0].data == &tag_pipe ? ev[0].revents : 0;
}

static void racer_main(void *arg)
{
    struct racer *me = (struct racer *)arg;
    struct race *r = me->r;
    ps_pollitem it = pst_fd_item(r->g->fds[0], PS_POLL_READ);
    char c;
    size_t got = 0;
    if (race_wait(r) != PS_POLL_READ)
        atomic_fetch_add(&r->bad_report, 1);
    atomic_fetch_add(&r->reported, 1);
    while (atomic_load(&r->reported) < 2 && pst_now_ms() < r->end)
        pst_sleep_ms(0);
    if (me->id == 0) {
        if (ps_item_read(&it, &c, 1, &got) != 0 || got != 1)
            atomic_fetch_add(&r->bad_report, 1);
        atomic_store(&r->a_read, 1);
        return;
    }
    while (!atomic_load(&r->a_read) && pst_now_ms() < r->end)
        pst_sleep_ms(0);
    r->b_rc = ps_item_read(&it, &c, 1, &r->b_got);
    atomic_store(&r->b_done, 1);
}

static void raced_read_rounds(ps_poller *p)
{
    struct rig g;
    rig_open(&g);
    if (!pst_is_windows())
        cr_assert_eq(pst_fd_nonblock(g.fds[0]), 0);
    if (p != NULL) {
        ps_pollitem pi = pst_fd_item(g.fds[0], PS_POLL_READ);
        OK(ps_poller_add(p, &pi, &tag_pipe));
    }
    int n = rounds(100);
    for (int i = 0; i < n; i++) {
        struct race r = {.g = &g, .p = p};
        struct racer who[2] = {{&r, 0}, {&r, 1}};
        pst_thread *t[2];
        atomic_init(&r.reported, 0);
        atomic_init(&r.bad_report, 0);
        atomic_init(&r.a_read, 0);
        atomic_init(&r.b_done, 0);
        r.b_rc = 1;
        r.end = pst_now_ms() + pst_slack_ms(5000);
        pipe_put(&g);
        for (int k = 0; k < 2; k++)
            cr_assert_not_null(t[k] = pst_thread_start(racer_main, &who[k]));
        /* The watchdog: a read still waiting after the round's end. */
        while (!atomic_load(&r.b_done) && pst_now_ms() < r.end + 1000)
            pst_sleep_ms(1);
        int hung = !atomic_load(&r.b_done);
        if (hung)
            pipe_put(&g);
        for (int k = 0; k < 2; k++)
            pst_thread_join(t[k]);
        cr_assert_eq(atomic_load(&r.bad_report), 0,
                     "round %d: a wait did not report the pipe READ, or the "
                     "first read failed",
                     i);
        cr_assert(!hung,
                  "round %d: the raced read waited (freed by the "
                  "watchdog's byte)",
                  i);
        cr_assert_eq(r.b_rc, PS_EWOULDBLOCK,
                     "round %d: raced read -> %s, "
                     "%zu bytes",
                     i, ps_errname(r.b_rc), r.b_got);
    }
    rig_close(&g);
}

Test(pipe_level, poller_raced_read_would_block)
{
    ps_poller *p;
    OK(ps_poller_open(&p));
    raced_read_rounds(p);
    ps_poller_close(p);
}

Test(pipe_level, select_raced_read_would_block)
{
    raced_read_rounds(NULL);
}

/* Each report covers one read, as on POSIX: reported (twice, to the same
 * thread, which counts once) and read once (the byte), the next read of
 * the blocking pipe waits for data, here a byte written 100 ms later. So
 * reports never read cannot pile up into a blocking pipe that no longer
 * blocks. */
static void late_put_main(void *arg)
{
    pst_sleep_ms(100);
    pipe_put((struct rig *)arg);
}

Test(pipe_level, select_report_covers_one_read)
{
    struct rig g;
    rig_open(&g);
    ps_pollitem it = pst_fd_item(g.fds[0], PS_POLL_READ);
    char c;
    size_t got = 0;
    for (int round = 0; round < 3; round++) {
        pipe_put(&g);
        for (int k = 0; k < 1 + round; k++)
            cr_assert_eq(select_wait(&g, 2000).pipe, PS_POLL_READ);
        OK(ps_item_read(&it, &c, 1, &got));
        cr_assert_eq(got, 1);
        pst_thread *t = pst_thread_start(late_put_main, &g);
        cr_assert_not_null(t);
        int64_t t0 = pst_now_ms();
        OK(ps_item_read(&it, &c, 1, &got));
        pst_assert_took(t0, 50, 0, "a read with no report left");
        cr_assert_eq(got, 1);
        pst_thread_join(t);
    }
    rig_close(&g);
}
