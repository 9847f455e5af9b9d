/* SPDX-License-Identifier: MIT */
/* A deadline that covers name lookup, against a DNS server that never
 * answers. Run by tests/ns/ns_run.sh in a private mount namespace with
 * tests/ns/resolve_silent.* over /etc/resolv.conf (nameserver 127.0.0.153;
 * each ctest entry names its own address), /etc/nsswitch.conf (hosts:
 * files dns) and /etc/hosts (no silent.test). This program is the silent
 * server: it reads the queries on port 53 there (root only) and never
 * replies. */
#include <criterion/criterion.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connector_loop.h"
#include "fault_support.h"
#include "portsock.h"
#include "support.h"

#define SILENT "silent.test"

static void need_namespace(void)
{
    const char *ns = getenv("PS_TEST_NS");
    if (!ns)
        cr_skip_test("not run through tests/ns/ns_run.sh (PS_TEST_NS unset)");
    else if (strcmp(ns, "1") != 0)
        cr_skip_test("no private mount namespace: %s", ns);
}

/* The nameserver the bound resolv.conf names: each ctest entry has its own
 * address, so entries running at the same time never wait for each other. */
static void nameserver(char *ip, size_t cap)
{
    char line[256];
    FILE *f = fopen("/etc/resolv.conf", "r");
    cr_assert_not_null(f, "no /etc/resolv.conf");
    ip[0] = 0;
    while (!ip[0] && fgets(line, sizeof line, f))
        if (sscanf(line, "nameserver %63s", ip) != 1)
            ip[0] = 0;
    fclose(f);
    cr_assert(ip[0] && strlen(ip) < cap, "no nameserver in /etc/resolv.conf");
}

/* The running case's server. Under minicrit all cases share one process:
 * a case that failed before closing it would keep the port, and every later
 * case would wait a minute and fail with PS_EADDRINUSE. */
static ps_socket_t server_open = PS_INVALID_SOCKET;

static void close_server(ps_socket_t u)
{
    ps_close(u);
    server_open = PS_INVALID_SOCKET;
}

/* The silent DNS server. Test processes of one ctest entry running at the
 * same time (Criterion's parallel tests) take turns. */
static ps_socket_t silent_server(void)
{
    char ip[64];
    ps_socket_t u = PS_INVALID_SOCKET;
    int rc = PS_EADDRINUSE;
    if (server_open != PS_INVALID_SOCKET)
        close_server(server_open);
    nameserver(ip, sizeof ip);
    for (int waited = 0; rc == PS_EADDRINUSE && waited < 60000; waited += 50) {
        rc = ps_udp_open(&u, ip, "53");
        if (rc == PS_EADDRINUSE)
            pst_sleep_ms(50);
    }
    cr_assert_eq(rc, 0, "binding %s:53: %s", ip, ps_errname(rc));
    server_open = u;
    return u;
}

/* Reads the datagrams that arrived, waiting up to wait_ms for the first;
 * returns how many were queries for silent.test, or a PS_E* code. No
 * cr_assert here or below: the workers call these on their own threads. */
static int read_queries(ps_socket_t u, int wait_ms)
{
    static const char qname[] = "\x06"
                                "silent"
                                "\x04"
                                "test";
    unsigned char buf[512];
    int queries = 0;
    for (int timeout = wait_ms;; timeout = 0) {
        size_t got = 0;
        int rc = ps_recvfrom(u, buf, sizeof buf, &got, NULL, timeout);
        if (rc == PS_EWOULDBLOCK || rc == PS_ETIMEDOUT)
            return queries;
        if (rc != 0 && rc != PS_EMSGSIZE)
            return rc;
        /* The question follows the 12-byte DNS header. */
        if (got >= 12 + sizeof qname - 1 &&
            memcmp(buf + 12, qname, sizeof qname - 1) == 0)
            queries++;
    }
}

static void check_timeout(const char *what, int rc, int64_t elapsed, int ms)
{
    cr_assert_eq(rc, PS_ETIMEDOUT, "%s: %s", what, ps_errname(rc));
    cr_assert_geq(elapsed, ms, "%s returned early: %lld ms", what,
                  (long long)elapsed);
    /* The resolver itself gives up after ~1 s. */
    cr_assert_lt(elapsed, ms + pst_slack_ms(400),
                 "%s waited for the resolver: %lld ms", what,
                 (long long)elapsed);
}

/* The result of a lookup that cannot end otherwise; 1 (no PS_E* code) when
 * a failure left a socket or a count behind. */
static int timed_connect(int ms, int64_t *elapsed)
{
    ps_socket_t s = (ps_socket_t)1;
    int64_t t0 = pst_now_ms();
    int rc = ps_connect(&s, SILENT, "80", ms);
    *elapsed = pst_now_ms() - t0;
    if (rc == 0)
        ps_close(s);
    return rc != 0 && s != PS_INVALID_SOCKET ? 1 : rc;
}

static int timed_resolve(int ms, int64_t *elapsed)
{
    ps_addr out[4];
    size_t n = 99;
    int64_t t0 = pst_now_ms();
    int rc = ps_resolve(SILENT, "80", PS_SOCK_STREAM, out, 4, &n, ms);
    *elapsed = pst_now_ms() - t0;
    return rc != 0 && n != 0 ? 1 : rc;
}

Test(ns_resolve, connect_deadline_covers_lookup, .timeout = 120)
{
    need_namespace();
    ps_socket_t u = silent_server();
    long start = pst_thread_count();
    int64_t elapsed;
    int rc = timed_connect(500, &elapsed);
    check_timeout("ps_connect", rc, elapsed, 500);
    /* Proof that the resolver waited on this server, not failed at once. */
    int q = read_queries(u, 2000);
    cr_assert_geq(q, 1, "no query for " SILENT " reached the silent server");
    cr_log_info("ps_connect: PS_ETIMEDOUT after %lld ms; %d queries",
                (long long)elapsed, q);
    pst_settle_threads(start, 20000);
    close_server(u);
}

Test(ns_resolve, resolve_deadline_covers_lookup, .timeout = 120)
{
    need_namespace();
    ps_socket_t u = silent_server();
    long start = pst_thread_count();
    int64_t elapsed;
    int rc = timed_resolve(500, &elapsed);
    check_timeout("ps_resolve", rc, elapsed, 500);
    int q = read_queries(u, 2000);
    cr_assert_geq(q, 1, "no query for " SILENT " reached the silent server");
    cr_log_info("ps_resolve: PS_ETIMEDOUT after %lld ms; %d queries",
                (long long)elapsed, q);
    /* A zero timeout gives a name no time: no lookup, at once. */
    int64_t t0 = pst_now_ms();
    rc = ps_resolve(SILENT, "80", PS_SOCK_STREAM, NULL, 0, NULL, 0);
    cr_assert_eq(rc, PS_EWOULDBLOCK, "timeout 0: %s", ps_errname(rc));
    ps_socket_t s;
    rc = ps_connect(&s, SILENT, "80", 0);
    cr_assert_eq(rc, PS_ETIMEDOUT, "ps_connect timeout 0: %s", ps_errname(rc));
    cr_assert_lt(pst_now_ms() - t0, pst_slack_ms(400), "a zero timeout waited");
    pst_settle_threads(start, 20000);
    close_server(u);
}

/* The caller waits for the helper with a SIGALRM storm (no SA_RESTART,
 * every 100 us) at its thread: never early, at most 200 ms late, and the
 * signal really came (tests/test_faults.c covers the other timed calls). */
Test(ns_resolve, deadlines_under_signal_storm, .timeout = 120)
{
    if (pst_under_memcheck())
        cr_skip_test("a signal every 100 us under valgrind, which runs one "
                     "thread at a time, starves the test; every other leg "
                     "runs it");
    static const int deadlines[] = {100, 300};
    need_namespace();
    if (pst_is_windows())
        cr_skip_test("Windows has no signals: the EINTR storm is POSIX only");
    ps_socket_t u = silent_server();
    long start = pst_thread_count();
    int64_t worst = -1;
    for (size_t i = 0; i < 2 * sizeof deadlines / sizeof deadlines[0]; i++) {
        int ms = deadlines[i / 2];
        const char *what = i % 2 ? "ps_connect" : "ps_resolve";
        int64_t elapsed;
        cr_assert_eq(pst_storm_start(100), 0, "the storm did not start");
        int rc = i % 2 ? timed_connect(ms, &elapsed)
                       : timed_resolve(ms, &elapsed);
        long hits = pst_storm_stop();
        check_timeout(what, rc, elapsed, ms);
        cr_assert_leq(elapsed, ms + 200, "%s: %lld ms for a %d ms deadline",
                      what, (long long)elapsed, ms);
        long want = elapsed / 5 > 5 ? (long)(elapsed / 5) : 5;
        cr_assert_geq(hits, want, "%s: only %ld signals in %lld ms", what, hits,
                      (long long)elapsed);
        if (elapsed - ms > worst)
            worst = elapsed - ms;
    }
    int q = read_queries(u, 2000);
    cr_assert_geq(q, 1, "no query for " SILENT " reached the silent server");
    cr_log_info("4 lookups timed out under a 100 us SIGALRM storm; worst "
                "deadline overshoot %lld ms",
                (long long)worst);
    pst_settle_threads(start, 20000);
    close_server(u);
}

enum { WORKERS = 4, ROUNDS = 25 };

typedef struct worker {
    ps_socket_t server;
    int bad_rc; /* first unexpected result, 0 if none */
    int64_t min_ms;
    int64_t max_ms;
    int queries;
} worker;

static void run_worker(void *arg)
{
    worker *w = arg;
    w->min_ms = INT64_MAX;
    for (int i = 0; i < ROUNDS; i++) {
        int64_t elapsed;
        int rc = i % 2 ? timed_resolve(500, &elapsed)
                       : timed_connect(500, &elapsed);
        if (rc != PS_ETIMEDOUT && w->bad_rc == 0)
            w->bad_rc = rc;
        w->min_ms = elapsed < w->min_ms ? elapsed : w->min_ms;
        w->max_ms = elapsed > w->max_ms ? elapsed : w->max_ms;
        int q = read_queries(w->server, 0);
        if (q < 0 && w->bad_rc == 0)
            w->bad_rc = q;
        w->queries += q > 0 ? q : 0;
    }
}

/* 100 abandoned lookups (ASan: no memory left behind) from four threads at
 * once: no thread, descriptor or handle remains once they have ended. */
Test(ns_resolve, repeated_timeouts_leave_nothing_behind, .timeout = 120)
{
    need_namespace();
    ps_socket_t u = silent_server();
    long threads = pst_thread_count();
    long handles = pst_open_handle_count();
    worker w[WORKERS];
    pst_thread *t[WORKERS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < WORKERS; i++) {
        w[i].server = u;
        t[i] = pst_thread_start(run_worker, &w[i]);
        cr_assert_not_null(t[i]);
    }
    int queries = 0;
    /* Every worker joined before any check: a failed check must not leave
     * workers writing to w[] after this test has returned (minicrit runs
     * all tests in one process). */
    for (int i = 0; i < WORKERS; i++)
        pst_thread_join(t[i]);
    for (int i = 0; i < WORKERS; i++) {
        cr_assert_eq(w[i].bad_rc, 0, "worker %d: %s", i,
                     ps_errname(w[i].bad_rc));
        cr_assert_geq(w[i].min_ms, 500, "worker %d: early timeout", i);
        cr_assert_lt(w[i].max_ms, 500 + pst_slack_ms(400), "worker %d: %lld ms",
                     i, (long long)w[i].max_ms);
        queries += w[i].queries;
    }
    long now = pst_settle_threads(threads, 30000);
    queries += read_queries(u, 0);
    cr_log_info("%d lookups timed out in %lld..%lld ms; %d queries; threads "
                "%ld -> %ld",
                WORKERS * ROUNDS, (long long)w[0].min_ms,
                (long long)w[0].max_ms, queries, threads, now);
    cr_assert_geq(queries, WORKERS * ROUNDS, "fewer queries than lookups");
    cr_assert_geq(threads, 1, "no thread count here");
    cr_assert_leq(now, threads, "threads left behind: %ld before, %ld after",
                  threads, now);
    if (handles < 0) {
        cr_log_info("no handle count here (Wine): threads checked only");
    } else {
        long h = pst_open_handle_count();
        cr_assert_leq(h, handles, "descriptors/handles: %ld before, %ld after",
                      handles, h);
    }
    close_server(u);
}

/* Lookups abandoned faster than the silent server lets them end (its
 * resolv.conf keeps each waiting 5 s, 30 s in the valgrind leg): at most 128
 * helpers run at once, the rest fail at once with PS_ENOMEM instead of
 * piling up threads. */
Test(ns_resolve_cap, abandoned_lookups_are_capped, .timeout = 120)
{
    enum { TRIES = 200, CAP = 128 };
    need_namespace();
    ps_socket_t u = silent_server();
    long start = pst_thread_count();
    int timeouts = 0, refused = 0, peak_seen = 0;
    for (int i = 0; i < TRIES; i++) {
        ps_addr a;
        int rc = ps_resolve(SILENT, "80", PS_SOCK_STREAM, &a, 1, NULL, 1);
        if (rc == PS_ETIMEDOUT)
            timeouts++;
        else if (rc == PS_ENOMEM)
            refused++;
        else
            cr_assert_fail("lookup %d: %s", i, ps_errname(rc));
        long now = pst_thread_count();
        if (now - start > peak_seen)
            peak_seen = (int)(now - start);
    }
    cr_log_info("%d timed out, %d refused at the cap; at most %d helpers seen",
                timeouts, refused, peak_seen);
    cr_assert_leq(peak_seen, CAP, "%d helper threads at once", peak_seen);
    cr_assert_gt(refused, 0, "200 quick lookups never reached the cap");
    cr_assert_geq(timeouts, CAP / 2, "too few lookups started: %d", timeouts);
    long now = pst_settle_threads(start, 60000);
    cr_assert_leq(now, start, "threads left behind: %ld -> %ld", start, now);
    /* Below the cap again: a lookup starts. */
    ps_addr a;
    int rc = ps_resolve("hosts-only.test", "80", PS_SOCK_STREAM, &a, 1, NULL,
                        5000);
    cr_assert_eq(rc, 0, "after the helpers ended: %s", ps_errname(rc));
    close_server(u);
}

/* ps_cleanup while a helper still resolves: nothing breaks, and the
 * library stays usable. */
Test(ns_resolve, cleanup_while_lookup_runs, .timeout = 120)
{
    need_namespace();
    ps_socket_t u = silent_server();
    long start = pst_thread_count();
    int64_t elapsed;
    cr_assert_eq(ps_init(), 0);
    int rc = timed_resolve(100, &elapsed);
    cr_assert_eq(rc, PS_ETIMEDOUT, "%s", ps_errname(rc));
    cr_assert_gt(pst_thread_count(), start,
                 "the lookup is not running any more");
    ps_cleanup();
    cr_assert_geq(read_queries(u, 2000), 1, "no query reached the server");
    long now = pst_settle_threads(start, 20000);
    cr_assert_leq(now, start, "the helper did not end: %ld -> %ld", start, now);
    ps_addr a;
    rc = ps_resolve("hosts-only.test", "80", PS_SOCK_STREAM, &a, 1, NULL, 5000);
    cr_assert_eq(rc, 0, "after ps_cleanup: %s", ps_errname(rc));
    close_server(u);
}

/* Names from the hosts file, numeric hosts and the wildcard are unaffected. */
Test(ns_resolve, other_names_unaffected, .timeout = 60)
{
    need_namespace();
    ps_addr out[4];
    size_t n = 0;
    char text[PS_ADDRSTRLEN];
    int rc = ps_resolve("hosts-only.test", "80", PS_SOCK_STREAM, out, 4, &n,
                        2000);
    cr_assert_eq(rc, 0, "hosts-only.test: %s", ps_errname(rc));
    cr_assert_eq(n, 1u);
    cr_assert_eq(ps_addr_format(&out[0], text, sizeof text), 0);
    cr_assert_str_eq(text, "127.0.0.1:80");

    ps_socket_t l, c, a;
    char port[16];
    rc = ps_listen(&l, "127.0.0.1", "0", 4);
    cr_assert_eq(rc, 0, "ps_listen: %s", ps_errname(rc));
    snprintf(port, sizeof port, "%d", pst_local_port(l));
    rc = ps_connect(&c, "hosts-only.test", port, 2000);
    cr_assert_eq(rc, 0, "ps_connect(hosts-only.test): %s", ps_errname(rc));
    rc = ps_accept(l, &a, NULL, 2000);
    cr_assert_eq(rc, 0, "ps_accept: %s", ps_errname(rc));
    ps_close(a);
    ps_close(c);
    ps_close(l);

    rc = ps_resolve("127.0.0.1", "80", PS_SOCK_STREAM, out, 4, &n, 0);
    cr_assert_eq(rc, 0, "numeric, timeout 0: %s", ps_errname(rc));
    rc = ps_resolve("::1", "80", PS_SOCK_STREAM, out, 4, &n, 0);
    cr_assert_eq(rc, 0, "numeric IPv6, timeout 0: %s", ps_errname(rc));
    rc = ps_resolve(NULL, "80", PS_SOCK_STREAM, out, 4, &n, 0);
    cr_assert_eq(rc, 0, "host NULL, timeout 0: %s", ps_errname(rc));
    cr_assert_geq(n, 1u);
}

/* Registered as its own ctest entry: the process ends while a helper is
 * still waiting for the silent server, and must end cleanly. */
Test(ns_resolve_exit, exit_while_lookup_runs, .timeout = 60)
{
    need_namespace();
    ps_socket_t u = silent_server();
    long start = pst_thread_count();
    int64_t elapsed;
    int rc = timed_resolve(100, &elapsed);
    cr_assert_eq(rc, PS_ETIMEDOUT, "%s", ps_errname(rc));
    cr_assert_geq(read_queries(u, 2000), 1, "no query reached the server");
    cr_assert_gt(pst_thread_count(), start,
                 "the lookup is not running any more");
    close_server(u);
    cr_log_info("exiting with the lookup still running");
}

/* ---- ps_connector against the dead resolver ---------------------------- */

/* The lookup's deadline holds, and the loop's other socket pair keeps its
 * round trips flowing the whole time. */
Test(ns_resolve, connector_deadline_covers_lookup_while_the_loop_serves,
     .timeout = 120)
{
    need_namespace();
    ps_socket_t u = silent_server();
    long start = pst_thread_count();
    ps_connector *c;
    int64_t t0 = pst_now_ms(); /* the deadline starts with the connector */
    cr_assert_eq(ps_connector_start(&c, SILENT, "80", 500), 0);
    pst_drive d = pst_drive_connector(c, 1);
    int64_t elapsed = pst_now_ms() - t0;
    ps_connector_free(c);
    cr_log_info("connector: %s after %lld ms, %ld round trips meanwhile",
                ps_errname(d.rc), (long long)elapsed, d.round_trips);
    cr_assert_eq(d.rc, PS_ETIMEDOUT, "ps_connector: %s", ps_errname(d.rc));
    cr_assert_geq(elapsed, 500, "returned early: %lld ms", (long long)elapsed);
    /* Wider than check_timeout's: a helper thread and a loop's set-up more
     * than ps_connect, under a loaded sanitizer leg. */
    cr_assert_lt(elapsed, 500 + pst_slack_ms(1000),
                 "waited for the resolver: %lld ms", (long long)elapsed);
    cr_assert_gt(d.round_trips, 20, "only %ld round trips in %lld ms",
                 d.round_trips, (long long)elapsed);
    cr_assert_geq(read_queries(u, 2000), 1, "no query reached the server");
    pst_settle_threads(start, 20000);
    close_server(u);
}

/* Cancelled during the lookup: it returns at once; the abandoned helper
 * holds no descriptor of the connector's, and it and the lookup's thread
 * (with the resolver's socket) are gone once the resolver gives up. */
Test(ns_resolve, connector_cancel_during_lookup, .timeout = 120)
{
    need_namespace();
    ps_socket_t u = silent_server();
    long threads = pst_thread_count();
    long handles = pst_open_handle_count();
    ps_connector *c;
    cr_assert_eq(ps_connector_start(&c, SILENT, "80", 20000), 0);
    cr_assert_geq(read_queries(u, 2000), 1, "no query reached the server");
    int64_t ms = pst_cancel_in_progress(c);
    cr_assert_lt(ms, pst_slack_ms(1000), "the cancel waited %lld ms",
                 (long long)ms);
    pst_assert_nothing_left(threads, handles, 30000);
    close_server(u);
}

/* ---- A name that does not exist ----------------------------------------- */

/* A DNS server that answers every query "no such name" (NXDOMAIN). */
typedef struct nxdomain_server {
    ps_socket_t u;
    atomic_int stop;
    int answered;
} nxdomain_server;

/* The length of the header and question of a query, or 0 if it has none. */
static size_t question_end(const unsigned char *q, size_t len)
{
    size_t at = 12;
    while (at < len && q[at] != 0) {
        if (q[at] > 63) /* no compression in a question we sent */
            return 0;
        at += (size_t)q[at] + 1;
    }
    at += 1 + 4; /* the root label, type and class */
    return at <= len ? at : 0;
}

static void answer_nxdomain(void *arg)
{
    nxdomain_server *s = arg;
    unsigned char buf[512];
    while (!atomic_load(&s->stop)) {
        size_t got = 0;
        ps_addr from;
        if (ps_recvfrom(s->u, buf, sizeof buf, &got, &from, 50) != 0)
            continue;
        size_t len = question_end(buf, got);
        if (len == 0)
            continue;
        buf[2] = (unsigned char)(0x80 | (buf[2] & 0x01)); /* a reply; RD kept */
        buf[3] = 0x80 | 3;                                /* RA, NXDOMAIN */
        memset(buf + 6, 0, 6); /* no answer, authority or extra records */
        if (ps_sendto(s->u, buf, len, &from, 1000) == 0)
            s->answered++;
    }
}

/* ps_connector reports an unknown name exactly as ps_connect does
 * (PS_ENAME, as soon as the resolver says so). */
Test(ns_resolve, connector_unknown_name_as_ps_connect_gives_it, .timeout = 60)
{
    need_namespace();
    nxdomain_server srv;
    srv.u = silent_server();
    srv.answered = 0;
    atomic_init(&srv.stop, 0);
    pst_thread *t = pst_thread_start(answer_nxdomain, &srv);
    cr_assert_not_null(t);
    /* With a deadline and without: the lookup runs on a helper either way
     * for the connector, inline for ps_connect without one. */
    static const int timeouts[] = {10000, -1};
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        ps_socket_t s = PS_INVALID_SOCKET;
        int want = ps_connect(&s, SILENT, "80", timeouts[i]);
        int want_native = ps_native_error();
        ps_connector *c;
        cr_assert_eq(ps_connector_start(&c, SILENT, "80", timeouts[i]), 0);
        int64_t t0 = pst_now_ms();
        pst_drive d = pst_drive_connector(c, 1);
        int64_t elapsed = pst_now_ms() - t0;
        ps_connector_free(c);
        cr_assert_eq(want, PS_ENAME, "ps_connect: %s", ps_errname(want));
        cr_assert_eq(d.rc, want, "ps_connector: %s, ps_connect gave %s",
                     ps_errname(d.rc), ps_errname(want));
        cr_assert_eq(d.native, want_native, "native error %d, ps_connect's %d",
                     d.native, want_native);
        cr_assert_lt(elapsed, pst_slack_ms(5000), "took %lld ms",
                     (long long)elapsed);
    }
    atomic_store(&srv.stop, 1);
    pst_thread_join(t);
    close_server(srv.u);
    cr_assert_gt(srv.answered, 0, "no query was answered");
}
