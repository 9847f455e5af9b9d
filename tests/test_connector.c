/* SPDX-License-Identifier: MIT */
/* ps_connector: connecting by name from an event loop. Loopback only; the
 * namespace cases (a silent first address, a dead resolver) are in
 * test_ns_connect_race.c and test_ns_resolve.c. */
#include <criterion/criterion.h>

#include <stdio.h>

#include "connector_loop.h"
#include "portsock.h"
#include "select_support.h"
#include "support.h"

#include "rc_assert.h"

static void port_text(ps_socket_t s, char *buf, size_t cap)
{
    snprintf(buf, cap, "%d", pst_local_port(s));
}

/* A round trip of data over the connected, non-blocking socket. */
static void check_connection(ps_socket_t s, ps_socket_t listener)
{
    ps_socket_t srv;
    char buf[5];
    OK(ps_accept(listener, &srv, NULL, 5000));
    /* Non-blocking, as documented: a read with nothing there would block. */
    cr_assert_eq(pst_raw_recv(s, buf, 1), -1, "the socket is blocking");
    OK(ps_send_all(s, "hello", 5, NULL, 5000));
    OK(ps_recv_all(srv, buf, 5, NULL, 5000));
    cr_assert_arr_eq(buf, "hello", 5);
    OK(ps_close(srv));
}

static void connect_through_loop(const char *host)
{
    ps_socket_t l;
    char port[16];
    ps_connector *c;
    OK(ps_listen(&l, host, "0", 16));
    port_text(l, port, sizeof port);
    OK(ps_connector_start(&c, host, port, 10000));
    pst_drive d = pst_drive_connector(c, 1);
    cr_assert_eq(d.rc, 0, "%s: %s", host, ps_errname(d.rc));
    check_connection(d.sock, l);
    /* Handed out once. */
    ps_socket_t again = (ps_socket_t)1;
    cr_assert_eq(ps_connector_finish(c, &again), PS_EINVAL);
    cr_assert_eq(again, PS_INVALID_SOCKET);
    ps_connector_free(c);
    OK(ps_close(d.sock));
    OK(ps_close(l));
}

Test(connector, connects_by_name_in_a_loop, .timeout = 60)
{
    connect_through_loop("localhost");
}

Test(connector, connects_to_a_numeric_host_in_a_loop, .timeout = 60)
{
    connect_through_loop("127.0.0.1");
}

Test(connector, refused_port, .timeout = 60)
{
    int port;
    char text[16];
    ps_connector *c;
    ps_socket_t r = pst_refusing_port(&port);
    cr_assert_neq(r, PS_INVALID_SOCKET);
    snprintf(text, sizeof text, "%d", port);
    /* Long enough for Windows' ~2 s refusal. */
    OK(ps_connector_start(&c, "127.0.0.1", text, 10000));
    pst_drive d = pst_drive_connector(c, 0);
    cr_assert_eq(d.rc, PS_ECONNREFUSED, "%s", ps_errname(d.rc));
    cr_assert_eq(d.sock, PS_INVALID_SOCKET);
    cr_assert_neq(ps_native_error(), 0, "no native error behind the refusal");
    ps_connector_free(c);
    OK(ps_close(r));
}

/* ps_connect's errors that come from the lookup, through finish. */
Test(connector, lookup_errors_as_ps_connect_gives_them, .timeout = 60)
{
    static const struct {
        const char *host, *port;
    } cases[] = {{"127.0.0.1", "99999"}, {"localhost", " 80"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ps_socket_t s = PS_INVALID_SOCKET;
        ps_connector *c;
        int want = ps_connect(&s, cases[i].host, cases[i].port, 10000);
        cr_assert_neq(want, 0);
        OK(ps_connector_start(&c, cases[i].host, cases[i].port, 10000));
        pst_drive d = pst_drive_connector(c, 0);
        cr_assert_eq(d.rc, want, "%s:%s: %s, ps_connect gave %s", cases[i].host,
                     cases[i].port, ps_errname(d.rc), ps_errname(want));
        ps_connector_free(c);
    }
}

/* A silent listener on 127.0.0.1 and its port as text. */
static void open_silent(pst_silent *s, char *port, size_t cap)
{
    OK(pst_silent_open(s, "127.0.0.1", 0));
    snprintf(port, cap, "%d", s->port);
}

/* A silent address: the deadline holds, and the loop's other socket keeps
 * its round trips flowing the whole time. */
Test(connector, deadline_holds_while_the_loop_serves, .timeout = 60)
{
    pst_silent s;
    char text[16];
    ps_connector *c;
    open_silent(&s, text, sizeof text);
    int64_t t0 = pst_now_ms(); /* the deadline starts with the connector */
    OK(ps_connector_start(&c, "127.0.0.1", text, 500));
    pst_drive d = pst_drive_connector(c, 1);
    int64_t ms = pst_now_ms() - t0;
    cr_log_info("silent: %s after %lld ms, %ld round trips meanwhile",
                ps_errname(d.rc), (long long)ms, d.round_trips);
    if (pst_is_windows() && !pst_under_wine() && d.rc == PS_ECONNREFUSED)
        cr_skip_test("Windows refuses SYNs to a full queue: no silent port");
    cr_assert_eq(d.rc, PS_ETIMEDOUT, "%s", ps_errname(d.rc));
    cr_assert_geq(ms, 500, "timed out after %lld ms", (long long)ms);
    cr_assert_lt(ms, 500 + pst_slack_ms(1500), "timed out after %lld ms",
                 (long long)ms);
    /* A blocked loop makes one round trip at most; a free one thousands. */
    cr_assert_gt(d.round_trips, 20, "only %ld round trips in %lld ms",
                 d.round_trips, (long long)ms);
    ps_connector_free(c);
    pst_silent_close(&s);
}

Test(connector, bad_arguments, .timeout = 30)
{
    ps_connector *c = (ps_connector *)&c;
    ps_socket_t s = (ps_socket_t)1;
    ps_pollitem it;
    cr_assert_eq(ps_connector_start(NULL, "localhost", "80", 0), PS_EINVAL);
    cr_assert_eq(ps_connector_start(&c, NULL, "80", 0), PS_EINVAL);
    cr_assert_null(c);
    c = (ps_connector *)&c;
    cr_assert_eq(ps_connector_start(&c, "localhost", NULL, 0), PS_EINVAL);
    cr_assert_null(c);
    cr_assert_eq(ps_connector_item(NULL, &it), PS_EINVAL);
    cr_assert_eq(ps_connector_finish(NULL, &s), PS_EINVAL);
    cr_assert_eq(s, PS_INVALID_SOCKET);
    OK(ps_connector_start(&c, "127.0.0.1", "1", 0));
    cr_assert_eq(ps_connector_item(c, NULL), PS_EINVAL);
    cr_assert_eq(ps_connector_finish(c, NULL), PS_EINVAL);
    ps_connector_free(c);
    ps_connector_free(NULL);
}

/* Waits until the connector's outcome is ready, without taking it. */
static void wait_ready(ps_connector *c)
{
    ps_pollitem it;
    OK(ps_connector_item(c, &it));
    int n = ps_select(&it, 1, 20000);
    cr_assert_eq(n, 1, "ps_select -> %s", ps_errname(n));
}

/* Takes (and closes) whatever the listener has queued. */
static void drain(ps_socket_t l)
{
    ps_socket_t s;
    while (ps_accept(l, &s, NULL, 0) == 0)
        OK(ps_close(s));
}

static int cycle_count(void)
{
    if (pst_under_memcheck() || pst_under_qemu())
        return 60;
    if (pst_is_windows() || pst_under_tsan())
        return 200;
    return 1000;
}

/* Cancel at every stage, cycle after cycle: during the lookup (a name,
 * freed at once), during the race (a silent address), after success
 * before finish, and after finish. Nothing accumulates. */
Test(connector, cancel_at_every_stage_leaves_nothing, .timeout = 240)
{
    ps_socket_t l;
    pst_silent s;
    char port[16], silent[16];
    OK(ps_listen(&l, "127.0.0.1", "0", 64));
    port_text(l, port, sizeof port);
    open_silent(&s, silent, sizeof silent);
    long threads = pst_thread_count();
    long handles = pst_open_handle_count();
    int cycles = cycle_count();
    long connected = 0;
    for (int i = 0; i < cycles; i++) {
        ps_connector *c;
        ps_socket_t sock;
        int stage = i % 4;
        int rc;
        switch (stage) {
        case 0: /* during the lookup, mostly */
            OK(ps_connector_start(&c, "localhost", port, 10000));
            ps_connector_free(c);
            break;
        case 1: /* during the race: the attempt is in flight */
            OK(ps_connector_start(&c, "127.0.0.1", silent, 10000));
            if (i % 8 == 1)
                pst_sleep_ms(1);
            pst_cancel_in_progress(c);
            break;
        case 2: /* connected, never finished */
            OK(ps_connector_start(&c, "127.0.0.1", port, 10000));
            wait_ready(c);
            ps_connector_free(c);
            break;
        default: /* the whole way */
            OK(ps_connector_start(&c, "localhost", port, 10000));
            wait_ready(c);
            rc = ps_connector_finish(c, &sock);
            cr_assert_eq(rc, 0, "cycle %d: %s", i, ps_errname(rc));
            connected++;
            OK(ps_close(sock));
            ps_connector_free(c);
            break;
        }
        drain(l);
        if (stage == 0 && i % 64 == 0)
            pst_settle_threads(threads, 20000); /* abandoned helpers stay few */
    }
    drain(l);
    cr_log_info("%d cycles (%ld connected); threads %ld, handles %ld before",
                cycles, connected, threads, handles);
    pst_assert_nothing_left(threads, handles, 20000);
    pst_silent_close(&s);
    OK(ps_close(l));
}

/* A cancel during the race returns when its attempts are closed, not at
 * the deadline. */
Test(connector, cancel_during_the_race_is_prompt, .timeout = 60)
{
    pst_silent s;
    char text[16];
    ps_connector *c;
    open_silent(&s, text, sizeof text);
    OK(ps_connector_start(&c, "127.0.0.1", text, 20000));
    pst_sleep_ms(100);
    int64_t ms = pst_cancel_in_progress(c);
    cr_assert_lt(ms, pst_slack_ms(2000), "the cancel took %lld ms",
                 (long long)ms);
    pst_silent_close(&s);
}
