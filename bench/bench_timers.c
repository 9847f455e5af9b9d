/* SPDX-License-Identifier: MIT */
/* Timers: ps_poller_timer against libuv's uv_timer and libevent's evtimer
 * (each when the build found it), in the same run, at 100 and 100,000
 * timers:
 *   add + cancel: set n timers with scattered due times far ahead, then
 *     cancel them all (repeated up to 100,000 pairs); ns per pair;
 *   expiry: n timers due over 10 ms, all past when the timing starts (a
 *     sleep of 12 ms, not timed, lets them come due); run the loop until
 *     every one has been delivered; ns per expiry;
 *   lateness: one timer 2 ms ahead at a time, no load: fire time - due
 *     time (on the clock each library uses), p50 and p99 in us.
 * Each figure is the median of the rounds; the contenders take turns
 * round by round, so a change in the machine's load is shared. Ratios are
 * peer / portsock (above 1: portsock is faster). Figures, not a test.
 *   bench_timers [--quick]   (--quick: the CI smoke, a few seconds) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "portsock.h"
#include "raw.h"

#ifdef PS_BENCH_LIBUV
#include <uv.h>
#endif
#ifdef PS_BENCH_LIBEVENT
#include <event2/event.h>
#include <event2/event_struct.h> /* struct event: caller storage, as uv_timer_t */
#endif

#define MAX_ROUNDS 15
#define MAX_SAMPLES 1000
#define LATE_MS 2

static _Noreturn void fail(const char *what, int r)
{
    fprintf(stderr, "bench_timers: %s: %s\n", what, ps_strerror(r));
    exit(1);
}

/* The same scattered delays for every contender: far ahead (ms) for add
 * + cancel, within 10 ms for the expiry. */
static int64_t *delays, *soon;
#if defined(PS_BENCH_LIBUV) || defined(PS_BENCH_LIBEVENT)
static long fired; /* expiries seen by the peers' callbacks */
#endif

static void make_delays(size_t n)
{
    uint64_t x = 88172645463325252u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        delays[i] = 1000000 + (int64_t)(x % 1000000);
        soon[i] = (int64_t)(x % 10);
    }
}

/* ---- portsock ---- */

static ps_poller *ps_p;
static uint64_t *ps_ids;

static void ps_add_cancel(size_t n)
{
    int64_t now = ps_now_ms();
    int r;
    for (size_t i = 0; i < n; i++)
        if ((r = ps_poller_timer(ps_p, &ps_ids[i], now + delays[i], 0, NULL)))
            fail("ps_poller_timer", r);
    for (size_t i = 0; i < n; i++)
        if ((r = ps_poller_timer_cancel(ps_p, ps_ids[i])) != 0)
            fail("ps_poller_timer_cancel", r);
}

static void ps_expire_setup(size_t n)
{
    int64_t now = ps_now_ms();
    for (size_t i = 0; i < n; i++) {
        int r = ps_poller_timer(ps_p, &ps_ids[i], now + soon[i], 0, NULL);
        if (r != 0)
            fail("ps_poller_timer", r);
    }
}

static void ps_expire_run(size_t n)
{
    ps_event ev[256];
    size_t got = 0;
    while (got < n) {
        int r = ps_poller_wait(ps_p, ev, 256, -1);
        if (r < 0)
            fail("ps_poller_wait", r);
        got += (size_t)r;
    }
}

static double ps_lateness_us(void)
{
    uint64_t id;
    ps_event ev;
    int64_t due = ps_now_ms() + LATE_MS;
    int r = ps_poller_timer(ps_p, &id, due, 0, NULL);
    if (r != 0 || (r = ps_poller_wait(ps_p, &ev, 1, -1)) != 1)
        fail("a lateness sample", r);
    return (double)(raw_now_ns() - due * 1000000) / 1000.0;
}

/* ---- libuv ---- */

#ifdef PS_BENCH_LIBUV
static uv_loop_t uv_l;
static uv_timer_t *uv_t;
static int64_t uv_fired_ns;

static void uv_count(uv_timer_t *t)
{
    (void)t;
    fired++;
}

static void uv_stamp(uv_timer_t *t)
{
    (void)t;
    uv_fired_ns = raw_now_ns();
}

static void uv_add_cancel(size_t n)
{
    for (size_t i = 0; i < n; i++)
        uv_timer_start(&uv_t[i], uv_count, (uint64_t)delays[i], 0);
    for (size_t i = 0; i < n; i++)
        uv_timer_stop(&uv_t[i]);
}

static void uv_expire_setup(size_t n)
{
    for (size_t i = 0; i < n; i++)
        uv_timer_start(&uv_t[i], uv_count, (uint64_t)soon[i], 0);
}

static void uv_expire_run(size_t n)
{
    fired = 0;
    uv_run(&uv_l, UV_RUN_DEFAULT);
    if (fired != (long)n)
        fail("uv_run", PS_EUNKNOWN);
}

static double uv_lateness_us(void)
{
    uv_update_time(&uv_l);
    int64_t due_ns = (int64_t)(uv_now(&uv_l) + LATE_MS) * 1000000;
    uv_timer_start(&uv_t[0], uv_stamp, LATE_MS, 0);
    uv_run(&uv_l, UV_RUN_DEFAULT);
    return (double)(uv_fired_ns - due_ns) / 1000.0;
}
#endif

/* ---- libevent ---- */

#ifdef PS_BENCH_LIBEVENT
static struct event_base *ev_b;
static struct event *ev_t; /* n events, assigned once */
static int64_t ev_fired_ns;

static void ev_count(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    fired++;
}

static void ev_stamp(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    ev_fired_ns = raw_now_ns();
}

static void ev_add_cancel(size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct timeval tv = {(long)(delays[i] / 1000),
                             (long)(delays[i] % 1000) * 1000};
        evtimer_add(&ev_t[i], &tv);
    }
    for (size_t i = 0; i < n; i++)
        evtimer_del(&ev_t[i]);
}

static void ev_expire_setup(size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct timeval tv = {0, (long)soon[i] * 1000};
        evtimer_add(&ev_t[i], &tv);
    }
}

static void ev_expire_run(size_t n)
{
    fired = 0;
    event_base_loop(ev_b, 0);
    if (fired != (long)n)
        fail("event_base_loop", PS_EUNKNOWN);
}

static double ev_lateness_us(void)
{
    struct event *e = evtimer_new(ev_b, ev_stamp, NULL);
    struct timeval tv = {0, LATE_MS * 1000};
    int64_t due_ns = raw_now_ns() + LATE_MS * 1000000;
    evtimer_add(e, &tv);
    event_base_loop(ev_b, 0);
    event_free(e);
    return (double)(ev_fired_ns - due_ns) / 1000.0;
}
#endif

/* ---- the runs ---- */

static void setup(size_t n)
{
    int r;
    delays = malloc(n * sizeof *delays);
    soon = malloc(n * sizeof *soon);
    ps_ids = malloc(n * sizeof *ps_ids);
    if (!delays || !soon || !ps_ids)
        fail("malloc", PS_ENOMEM);
    make_delays(n);
    if ((r = ps_poller_open(&ps_p)) != 0)
        fail("ps_poller_open", r);
#ifdef PS_BENCH_LIBUV
    uv_t = malloc(n * sizeof *uv_t);
    if (!uv_t || uv_loop_init(&uv_l) != 0)
        fail("libuv", PS_ENOMEM);
    for (size_t i = 0; i < n; i++)
        uv_timer_init(&uv_l, &uv_t[i]);
#endif
#ifdef PS_BENCH_LIBEVENT
    ev_t = malloc(n * sizeof *ev_t);
    ev_b = event_base_new();
    if (!ev_t || !ev_b)
        fail("libevent", PS_ENOMEM);
    for (size_t i = 0; i < n; i++)
        evtimer_assign(&ev_t[i], ev_b, ev_count, NULL);
#endif
}

static void teardown(size_t n)
{
    ps_poller_close(ps_p);
    free(delays);
    free(soon);
    free(ps_ids);
#ifdef PS_BENCH_LIBUV
    for (size_t i = 0; i < n; i++)
        uv_close((uv_handle_t *)&uv_t[i], NULL);
    uv_run(&uv_l, UV_RUN_DEFAULT);
    uv_loop_close(&uv_l);
    free(uv_t);
#endif
#ifdef PS_BENCH_LIBEVENT
    event_base_free(ev_b);
    free(ev_t);
#endif
    (void)n;
}

/* The contenders, portsock first: the ratios are against it. */
typedef struct contender {
    const char *name;
    void (*add_cancel)(size_t n);
    void (*expire_setup)(size_t n);
    void (*expire_run)(size_t n);
    double (*lateness_us)(void);
} contender;

static const contender contenders[] = {
    {"portsock", ps_add_cancel, ps_expire_setup, ps_expire_run,
     ps_lateness_us},
#ifdef PS_BENCH_LIBUV
    {"libuv", uv_add_cancel, uv_expire_setup, uv_expire_run, uv_lateness_us},
#endif
#ifdef PS_BENCH_LIBEVENT
    {"libevent", ev_add_cancel, ev_expire_setup, ev_expire_run,
     ev_lateness_us},
#endif
};
#define NC (sizeof contenders / sizeof contenders[0])

/* ns per expiry; the setting, and a sleep of 12 ms that lets every timer
 * come due, are not timed. */
static double expire(const contender *c, size_t n)
{
    c->expire_setup(n);
    raw_sleep_ms(12);
    int64_t t0 = raw_now_ns();
    c->expire_run(n);
    return (double)(raw_now_ns() - t0) / (double)n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void print_row(const char *what, const double *v)
{
    printf("  %-24s", what);
    for (size_t c = 0; c < NC; c++)
        printf(" %s %.1f", contenders[c].name, v[c]);
    for (size_t c = 1; c < NC; c++)
        printf("   %s/portsock %5.2fx", contenders[c].name, v[c] / v[0]);
    printf("\n");
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    int rounds = quick ? 3 : MAX_ROUNDS;
    int samples = quick ? 100 : MAX_SAMPLES;
    static const size_t counts[] = {100, 100000};
    int r;
    if ((r = ps_init()) != 0)
        fail("ps_init", r);
    printf("Timers (%s), median of %d rounds; ratios: peer / portsock\n",
           raw_platform(), rounds);
    for (int k = 0; k < 2; k++) {
        size_t n = counts[k];
        /* 100,000 pairs at least, so that 100 timers are timed warm. */
        size_t reps = (100000 + n - 1) / n;
        double ac[NC][MAX_ROUNDS], ex[NC][MAX_ROUNDS], acm[NC], exm[NC];
        setup(n);
        for (size_t c = 0; c < NC; c++)
            contenders[c].add_cancel(n); /* warm-up: arrays grown */
        for (int i = 0; i < rounds; i++)
            for (size_t c = 0; c < NC; c++) {
                int64_t t0 = raw_now_ns();
                for (size_t j = 0; j < reps; j++)
                    contenders[c].add_cancel(n);
                ac[c][i] = (double)(raw_now_ns() - t0) / (double)(n * reps);
                ex[c][i] = expire(&contenders[c], n);
            }
        for (size_t c = 0; c < NC; c++) {
            acm[c] = bench_median(ac[c], (size_t)rounds);
            exm[c] = bench_median(ex[c], (size_t)rounds);
        }
        printf("%zu timers\n", n);
        print_row("add+cancel, ns per pair:", acm);
        print_row("expiry, ns per timer:", exm);
        if (k == 0) {
            printf("Lateness at no load (%d samples of a %d ms timer), us:\n",
                   samples, LATE_MS);
            static double late[MAX_SAMPLES];
            for (size_t c = 0; c < NC; c++) {
                for (int i = 0; i < samples; i++)
                    late[i] = contenders[c].lateness_us();
                qsort(late, (size_t)samples, sizeof late[0], cmp_double);
                printf("  %-9s p50 %7.1f   p99 %7.1f   min %7.1f\n",
                       contenders[c].name, late[samples / 2],
                       late[samples * 99 / 100], late[0]);
            }
        }
        teardown(n);
    }
    if (NC < 3)
        printf("(libuv or libevent not built in: pkg-config found none for "
               "the target)\n");
    ps_cleanup();
    return 0;
}
