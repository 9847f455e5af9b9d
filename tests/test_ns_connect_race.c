/* SPDX-License-Identifier: MIT */
/* ps_connect's address race (Happy Eyeballs) on loopback: "race.test"
 * resolves to ::1 and 127.0.0.1 (tests/ns/connect_race_hosts bound over
 * /etc/hosts). The gai.conf bound with it decides which the resolver gives
 * first: suite race6 runs with connect_race_gai6.conf (::1 first), suite
 * race4 with connect_race_gai4.conf (127.0.0.1 first); each case checks the
 * order it got (musl reads no gai.conf and always gives ::1 first: race4
 * skips there, and race6 holds the mirror of each race4 case). Both
 * addresses use one port P: each end is made accepting,
 * refusing (bound, not listening) or silent (a full listen queue drops the
 * SYN). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connector_loop.h"
#include "portsock.h"
#include "select_support.h"
#include "support.h"

#include "rc_assert.h"

#define NAME "race.test"

enum kind { ACCEPTING, REFUSING, SILENT };

typedef struct end {
    const char *ip;
    enum kind kind;
    ps_socket_t sock; /* the listener, or the bound refusing socket */
    pst_silent silent;
} end;

static void need_namespace(void)
{
    const char *ns = getenv("PS_TEST_NS");
    if (!ns || strcmp(ns, "1") != 0)
        cr_skip_test("needs a private mount namespace for its hosts file: %s",
                     ns ? ns : "run it through tests/ns/ns_run.sh (ctest)");
}

/* race4's premise: a gai.conf that puts 127.0.0.1 first. */
static void need_gai_conf(void)
{
    if (!pst_resolver_reads_gai_conf())
        cr_skip_test("this C library's resolver reads no /etc/gai.conf "
                     "(musl: a fixed RFC 6724 table puts ::1 before "
                     "127.0.0.1), so no IPv4-first order can be set up; "
                     "race6 runs the mirror of this case");
}

/* The resolver's first address must be of family `first`. */
static void expect_first(int first)
{
    ps_addr a[4];
    size_t n = 0;
    char text[PS_ADDRSTRLEN];
    OK(ps_resolve(NAME, "80", PS_SOCK_STREAM, a, 4, &n, 2000));
    cr_assert_eq(n, 2, NAME " resolved to %lu addresses, expected 2",
                 (unsigned long)n);
    OK(ps_addr_format(&a[0], text, sizeof text));
    cr_assert_eq(ps_addr_family(&a[0]), first,
                 "the resolver gave %s first; this case needs %s first "
                 "(see the gai.conf bound for it)",
                 text, first == PS_AF_INET6 ? "::1" : "127.0.0.1");
    cr_assert_neq(ps_addr_family(&a[1]), first, "both addresses of one family");
}

static int open_end(end *e, int *port)
{
    char text[16];
    snprintf(text, sizeof text, "%d", *port);
    int rc;
    e->sock = PS_INVALID_SOCKET;
    switch (e->kind) {
    case REFUSING:
        return pst_refusing_port_at(&e->sock, e->ip, port);
    case SILENT:
        rc = pst_silent_open(&e->silent, e->ip, *port);
        if (rc == 0)
            *port = e->silent.port;
        return rc;
    default:
        rc = ps_listen(&e->sock, e->ip, text, 16);
        if (rc == 0)
            *port = pst_local_port(e->sock);
        return rc;
    }
}

static void close_end(end *e)
{
    if (e->kind == SILENT)
        pst_silent_close(&e->silent);
    else if (e->sock != PS_INVALID_SOCKET)
        OK(ps_close(e->sock));
    e->sock = PS_INVALID_SOCKET;
}

/* Opens both ends on one port: an ephemeral port on ::1, then the same on
 * 127.0.0.1, again with a new port while that one is taken. */
static int open_ends(end *v6, end *v4)
{
    for (int tries = 0; tries < 50; tries++) {
        int port = 0;
        OK(open_end(v6, &port));
        int rc = open_end(v4, &port);
        if (rc == 0)
            return port;
        close_end(v6);
        cr_assert_eq(rc, PS_EADDRINUSE, "127.0.0.1:%d: %s", port,
                     ps_errname(rc));
    }
    cr_assert_fail("no port free on both ::1 and 127.0.0.1 in 50 tries");
    return 0;
}

typedef struct outcome {
    int rc;
    ps_socket_t sock;
    int64_t ms;
    long handles_before, handles_after; /* -1: no count (Wine) */
} outcome;

static outcome run_name(const char *name, int port, int timeout_ms)
{
    outcome o;
    char text[16];
    snprintf(text, sizeof text, "%d", port);
    o.sock = PS_INVALID_SOCKET;
    o.handles_before = pst_open_handle_count();
    int64_t t0 = pst_now_ms();
    o.rc = ps_connect(&o.sock, name, text, timeout_ms);
    o.ms = pst_now_ms() - t0;
    o.handles_after = pst_open_handle_count();
    cr_log_info("ps_connect(%s, %d ms) -> %s after %lld ms", name, timeout_ms,
                ps_errname(o.rc), (long long)o.ms);
    return o;
}

static outcome run(int port, int timeout_ms)
{
    return run_name(NAME, port, timeout_ms);
}

/* No attempt's descriptor is left: the only new one is the connection. */
static void check_handles(const outcome *o)
{
    if (o->handles_before < 0 || o->handles_after < 0) {
        cr_log_info("no handle count here (Wine): the leak check is skipped, "
                    "the other assertions apply");
        return;
    }
    long want = o->handles_before + (o->rc == 0 ? 1 : 0);
    cr_assert_eq(o->handles_after, want,
                 "%ld descriptors before ps_connect, %ld after (%s): an "
                 "attempt was left open",
                 o->handles_before, o->handles_after, ps_errname(o->rc));
}

/* The race must reach the accepting end at `ip` well under a second, after
 * the 250 ms attempt delay (the first address is silent). */
static void check_won(const outcome *o, const end *winner, int port)
{
    char want[PS_ADDRSTRLEN], got[PS_ADDRSTRLEN];
    ps_addr peer;
    ps_socket_t srv;

    cr_assert_eq(o->rc, 0, "ps_connect -> %s after %lld ms", ps_errname(o->rc),
                 (long long)o->ms);
    check_handles(o);
    cr_assert_lt(o->ms, 1000, "connected after %lld ms", (long long)o->ms);
    cr_assert_geq(o->ms, 200,
                  "connected after %lld ms: the second attempt "
                  "did not wait for the attempt delay",
                  (long long)o->ms);
    OK(ps_peer_addr(o->sock, &peer));
    OK(ps_addr_format(&peer, got, sizeof got));
    snprintf(want, sizeof want, strchr(winner->ip, ':') ? "[%s]:%d" : "%s:%d",
             winner->ip, port);
    cr_assert_str_eq(got, want, "connected to %s, expected %s", got, want);
    /* The connection is blocking and really reached the listener. */
    OK(ps_accept(winner->sock, &srv, NULL, 2000));
    OK(ps_send_all(o->sock, "hi", 2, NULL, 2000));
    char buf[2];
    OK(ps_recv_all(srv, buf, 2, NULL, 2000));
    cr_assert_arr_eq(buf, "hi", 2);
    OK(ps_close(srv));
    OK(ps_close(o->sock));
}

Test(race6, silent_v6_loses_to_accepting_v4, .timeout = 30)
{
    need_namespace();
    expect_first(PS_AF_INET6);
    end v6 = {"::1", SILENT, 0, {0}}, v4 = {"127.0.0.1", ACCEPTING, 0, {0}};
    int port = open_ends(&v6, &v4);
    outcome o = run(port, 5000);
    check_won(&o, &v4, port);
    close_end(&v6);
    close_end(&v4);
}

Test(race6, refused_v6_moves_on_to_accepting_v4, .timeout = 30)
{
    need_namespace();
    expect_first(PS_AF_INET6);
    end v6 = {"::1", REFUSING, 0, {0}}, v4 = {"127.0.0.1", ACCEPTING, 0, {0}};
    int port = open_ends(&v6, &v4);
    outcome o = run(port, 5000);
    cr_assert_eq(o.rc, 0, "ps_connect -> %s", ps_errname(o.rc));
    check_handles(&o);
    /* A refusal starts the next attempt at once, without the 250 ms delay;
     * the bound leaves room for Windows' slow refusal. */
    cr_assert_lt(o.ms, 4000, "connected after %lld ms", (long long)o.ms);
    OK(ps_close(o.sock));
    close_end(&v6);
    close_end(&v4);
}

Test(race6, all_refused, .timeout = 30)
{
    need_namespace();
    expect_first(PS_AF_INET6);
    end v6 = {"::1", REFUSING, 0, {0}}, v4 = {"127.0.0.1", REFUSING, 0, {0}};
    int port = open_ends(&v6, &v4);
    /* Long enough for Windows' ~2 s refusal. */
    outcome o = run(port, 5000);
    cr_assert_eq(o.rc, PS_ECONNREFUSED, "ps_connect -> %s after %lld ms",
                 ps_errname(o.rc), (long long)o.ms);
    cr_assert_eq(o.sock, PS_INVALID_SOCKET);
    cr_assert_lt(o.ms, 5000, "refused after %lld ms", (long long)o.ms);
    check_handles(&o);
    close_end(&v6);
    close_end(&v4);
}

Test(race6, all_silent_times_out_at_the_deadline, .timeout = 30)
{
    need_namespace();
    expect_first(PS_AF_INET6);
    end v6 = {"::1", SILENT, 0, {0}}, v4 = {"127.0.0.1", SILENT, 0, {0}};
    int port = open_ends(&v6, &v4);
    outcome o = run(port, 600);
    cr_assert_eq(o.rc, PS_ETIMEDOUT, "ps_connect -> %s", ps_errname(o.rc));
    cr_assert_eq(o.sock, PS_INVALID_SOCKET);
    cr_assert_geq(o.ms, 600, "gave up after %lld ms", (long long)o.ms);
    cr_assert_lt(o.ms, 1500, "gave up after %lld ms", (long long)o.ms);
    check_handles(&o);
    close_end(&v6);
    close_end(&v4);
}

/* The documented ranking: a refusal beats a timeout. The silent attempt
 * could still connect, so the call waits for it until the deadline. */
Test(race6, refusal_beats_timeout_at_the_deadline, .timeout = 30)
{
    need_namespace();
    expect_first(PS_AF_INET6);
    end v6 = {"::1", SILENT, 0, {0}}, v4 = {"127.0.0.1", REFUSING, 0, {0}};
    int port = open_ends(&v6, &v4);
    outcome o = run(port, 600);
    cr_assert_eq(o.rc, PS_ECONNREFUSED, "ps_connect -> %s", ps_errname(o.rc));
    cr_assert_eq(o.sock, PS_INVALID_SOCKET);
    cr_assert_geq(o.ms, 600, "returned after %lld ms, before the deadline",
                  (long long)o.ms);
    cr_assert_lt(o.ms, 1500, "returned after %lld ms", (long long)o.ms);
    check_handles(&o);
    close_end(&v6);
    close_end(&v4);
}

Test(race4, silent_v4_loses_to_accepting_v6, .timeout = 30)
{
    need_namespace();
    need_gai_conf();
    expect_first(PS_AF_INET);
    end v6 = {"::1", ACCEPTING, 0, {0}}, v4 = {"127.0.0.1", SILENT, 0, {0}};
    int port = open_ends(&v6, &v4);
    outcome o = run(port, 5000);
    check_won(&o, &v6, port);
    close_end(&v6);
    close_end(&v4);
}

/* A zero timeout keeps its contract: PS_ETIMEDOUT unless connected at once,
 * and nothing left open. The silent end is the resolver's first. */
static void zero_timeout_silent_first(int first)
{
    int v4_first = first == PS_AF_INET;
    end v6 = {"::1", v4_first ? ACCEPTING : SILENT, 0, {0}},
        v4 = {"127.0.0.1", v4_first ? SILENT : ACCEPTING, 0, {0}};
    int port = open_ends(&v6, &v4);
    outcome o = run(port, 0);
    cr_assert_eq(o.rc, PS_ETIMEDOUT, "ps_connect -> %s", ps_errname(o.rc));
    cr_assert_eq(o.sock, PS_INVALID_SOCKET);
    cr_assert_lt(o.ms, 500, "a zero timeout waited %lld ms", (long long)o.ms);
    check_handles(&o);
    close_end(&v6);
    close_end(&v4);
}

Test(race4, zero_timeout_with_a_silent_first_address, .timeout = 30)
{
    need_namespace();
    need_gai_conf();
    expect_first(PS_AF_INET);
    zero_timeout_silent_first(PS_AF_INET);
}

Test(race6, zero_timeout_with_a_silent_first_address, .timeout = 30)
{
    need_namespace();
    expect_first(PS_AF_INET6);
    zero_timeout_silent_first(PS_AF_INET6);
}

/* RFC 8305: a failed attempt starts the next one at once, not at the next
 * 250 ms mark. race3.test is ::1 (silent) then two IPv4 addresses: the
 * first refuses when it starts at 250 ms, so the second starts right then
 * and wins at about 250 ms, not 500. */
Test(race6, a_failure_starts_the_next_attempt_at_once, .timeout = 30)
{
    need_namespace();
    ps_addr a[4];
    size_t n = 0;
    char ip[3][PS_ADDRSTRLEN];
    OK(ps_resolve("race3.test", "80", PS_SOCK_STREAM, a, 4, &n, 2000));
    cr_assert_eq(n, 3, "race3.test resolved to %lu addresses",
                 (unsigned long)n);
    cr_assert_eq(ps_addr_family(&a[0]), PS_AF_INET6, "::1 must come first");
    for (int i = 0; i < 3; i++) {
        char text[PS_ADDRSTRLEN];
        OK(ps_addr_format(&a[i], text, sizeof text));
        /* "[::1]:80" / "127.0.0.2:80" -> the bare address */
        const char *start = text[0] == '[' ? text + 1 : text;
        size_t len = strcspn(start, "]");
        if (text[0] != '[')
            len = strrchr(start, ':') - start;
        snprintf(ip[i], sizeof ip[i], "%.*s", (int)len, start);
    }
    end e[3] = {{ip[0], SILENT, 0, {0}},
                {ip[1], REFUSING, 0, {0}},
                {ip[2], ACCEPTING, 0, {0}}};
    int port = 0;
    for (int tries = 0; tries < 50 && port == 0; tries++) {
        int p = 0, rc = 0, opened = 0;
        for (; opened < 3 && rc == 0; opened++)
            rc = open_end(&e[opened], &p);
        if (rc == 0) {
            port = p;
            break;
        }
        cr_assert_eq(rc, PS_EADDRINUSE, "%s: %s", e[opened - 1].ip,
                     ps_errname(rc));
        for (int k = 0; k < opened - 1; k++)
            close_end(&e[k]);
    }
    cr_assert_neq(port, 0, "no port free on all three addresses");
    outcome o = run_name("race3.test", port, 5000);
    check_won(&o, &e[2], port);
    cr_assert_lt(o.ms, 450,
                 "connected after %lld ms: the refusal did not "
                 "start the next attempt at once",
                 (long long)o.ms);
    for (int k = 0; k < 3; k++)
        close_end(&e[k]);
}

/* ---- ps_connector: the same race, driven from an event loop ---------- */

/* The silent first address costs the loop nothing: its other socket pair
 * keeps its round trips flowing while the race waits out the attempt
 * delay, and the connector then yields the IPv4 connection. */
Test(race6, connector_silent_v6_loses_while_the_loop_serves, .timeout = 30)
{
    need_namespace();
    expect_first(PS_AF_INET6);
    end v6 = {"::1", SILENT, 0, {0}}, v4 = {"127.0.0.1", ACCEPTING, 0, {0}};
    int port = open_ends(&v6, &v4);
    char text[16];
    snprintf(text, sizeof text, "%d", port);
    ps_connector *c;
    outcome o;
    o.handles_before = pst_open_handle_count();
    int64_t t0 = pst_now_ms(); /* the race starts with the connector */
    OK(ps_connector_start(&c, NAME, text, 5000));
    pst_drive d = pst_drive_connector(c, 1);
    o.ms = pst_now_ms() - t0;
    ps_connector_free(c);
    o.handles_after = pst_open_handle_count();
    o.rc = d.rc;
    o.sock = d.sock;
    cr_log_info("connector: %s after %lld ms, %ld round trips meanwhile",
                ps_errname(d.rc), (long long)o.ms, d.round_trips);
    cr_assert_gt(d.round_trips, 20, "only %ld round trips in %lld ms",
                 d.round_trips, (long long)o.ms);
    OK(ps_set_nonblocking(o.sock, 0)); /* check_won reads it blocking */
    check_won(&o, &v4, port);
    close_end(&v6);
    close_end(&v4);
}

/* Cancelled with both attempts in flight: it returns at once, and leaves
 * no descriptor and no thread. */
Test(race6, connector_cancel_with_two_attempts_in_flight, .timeout = 30)
{
    need_namespace();
    expect_first(PS_AF_INET6);
    end v6 = {"::1", SILENT, 0, {0}}, v4 = {"127.0.0.1", SILENT, 0, {0}};
    int port = open_ends(&v6, &v4);
    char text[16];
    snprintf(text, sizeof text, "%d", port);
    long threads = pst_thread_count();
    long handles = pst_open_handle_count();
    ps_connector *c;
    OK(ps_connector_start(&c, NAME, text, 20000));
    pst_sleep_ms(400); /* past the 250 ms delay: both attempts started */
    int64_t ms = pst_cancel_in_progress(c);
    cr_assert_lt(ms, pst_slack_ms(1000), "the cancel took %lld ms",
                 (long long)ms);
    pst_assert_nothing_left(threads, handles, 10000);
    close_end(&v6);
    close_end(&v4);
}
