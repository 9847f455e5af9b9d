/* SPDX-License-Identifier: MIT */
/* ps_native_error() across calls that do not fail in the system: a
 * timeout, "would block" and success leave it as it was before the call,
 * also when the call met EAGAIN / EINPROGRESS / WSAEWOULDBLOCK on its way.
 * A real failure still records its own code. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "fixtures.h"
#include "portsock.h"
#include "select_support.h"
#include "support.h"

#include "rc_assert.h"

TestSuite(native_error, .timeout = 60);

/* Makes the system fail once (the peer address of an unconnected socket)
 * and returns the native code it left. */
static int known_native_error(void)
{
    ps_socket_t s;
    ps_addr a;
    OK(ps_socket(&s, PS_AF_INET, PS_SOCK_STREAM));
    RC_IS(ps_peer_addr(s, &a), PS_ENOTCONN);
    int native = ps_native_error();
    cr_assert_neq(native, 0, "no native error after a failed getpeername");
    OK(ps_close(s));
    cr_assert_eq(ps_native_error(), native, "a successful close changed it");
    return native;
}

#define UNCHANGED(native, what)                                              \
    cr_assert_eq(ps_native_error(), (native),                                \
                 "%s: ps_native_error() %d, was %d before the call", (what), \
                 ps_native_error(), (native))

struct late_send {
    ps_socket_t s;
    int delay_ms;
    int rc;
};

static void late_send_main(void *arg)
{
    struct late_send *l = (struct late_send *)arg;
    pst_sleep_ms(l->delay_ms);
    l->rc = ps_send_all(l->s, "late", 4, NULL, 2000);
}

Test(native_error, receive_timeouts_leave_it)
{
    pst_pair f;
    char buf[16];
    size_t got = 99;
    pst_pair_open_tcp(&f);
    int native = known_native_error();

    RC_IS(ps_recv(f.s, buf, sizeof buf, &got, 0), PS_EWOULDBLOCK);
    UNCHANGED(native, "ps_recv, timeout 0");
    RC_IS(ps_recv(f.s, buf, sizeof buf, &got, 50), PS_ETIMEDOUT);
    UNCHANGED(native, "ps_recv, timeout 50");
    /* Again: this one waits first (the socket was just found empty). */
    RC_IS(ps_recv(f.s, buf, sizeof buf, &got, 50), PS_ETIMEDOUT);
    UNCHANGED(native, "ps_recv waiting first, timeout 50");
    RC_IS(ps_recv_all(f.s, buf, 4, &got, 50), PS_ETIMEDOUT);
    UNCHANGED(native, "ps_recv_all, timeout 50");
    RC_IS(ps_recv_frame(f.s, buf, sizeof buf, &got, 50), PS_ETIMEDOUT);
    UNCHANGED(native, "ps_recv_frame, timeout 50");
    ps_recv_iovec v = {buf, sizeof buf};
    RC_IS(ps_recvv(f.s, &v, 1, &got, 0), PS_EWOULDBLOCK);
    UNCHANGED(native, "ps_recvv, timeout 0");
    pst_pair_close(&f);
}

Test(native_error, receive_that_waited_leaves_it)
{
    pst_pair f;
    char buf[16];
    size_t got = 0;
    pst_pair_open_tcp(&f);
    int native = known_native_error();

    struct late_send l = {f.c, 100, -1};
    pst_pair_start_peer(&f, late_send_main, &l);
    OK(ps_recv(f.s, buf, sizeof buf, &got, 5000));
    pst_pair_join_peer(&f);
    OK(l.rc);
    cr_assert_gt(got, 0u);
    UNCHANGED(native, "ps_recv that waited");
    if (got < 4)
        OK(ps_recv_all(f.s, buf + got, 4 - got, NULL, 5000));

    /* ps_recv_all: the first attempt finds nothing, then the bytes come. */
    l.rc = -1;
    pst_pair_start_peer(&f, late_send_main, &l);
    OK(ps_recv_all(f.s, buf, 4, &got, 5000));
    pst_pair_join_peer(&f);
    OK(l.rc);
    UNCHANGED(native, "ps_recv_all that waited");
    pst_pair_close(&f);
}

struct drain {
    ps_socket_t s;
    size_t want;
    int rc;
};

static void drain_main(void *arg)
{
    static char sink[1 << 16];
    struct drain *d = (struct drain *)arg;
    size_t left = d->want, got = 0;
    pst_sleep_ms(100);
    d->rc = 0;
    while (left > 0 && d->rc == 0) {
        size_t part = left < sizeof sink ? left : sizeof sink;
        d->rc = ps_recv_all(d->s, sink, part, &got, 5000);
        left -= got;
    }
}

Test(native_error, send_that_waited_leaves_it)
{
    pst_pair f;
    static char chunk[1 << 16];
    size_t sent = 0, filled = 0;
    pst_pair_open(&f, PST_PAIR_TCP, (pst_bufs){4096, 0}, (pst_bufs){0, 4096});
    /* Fill both buffers until a send would block. */
    int rc;
    do {
        rc = ps_send(f.c, chunk, sizeof chunk, &sent, 0);
        filled += sent;
    } while (rc == 0);
    RC_IS(rc, PS_EWOULDBLOCK);
    int native = known_native_error();
    RC_IS(ps_send(f.c, chunk, sizeof chunk, &sent, 0), PS_EWOULDBLOCK);
    UNCHANGED(native, "ps_send, timeout 0");
    RC_IS(ps_send_all(f.c, chunk, sizeof chunk, &sent, 50), PS_ETIMEDOUT);
    UNCHANGED(native, "ps_send_all, timeout 50");
    filled += sent;

    /* A send that has to wait, again and again, while the peer drains. */
    struct drain d = {f.s, filled + sizeof chunk, -1};
    pst_pair_start_peer(&f, drain_main, &d);
    OK(ps_send_all(f.c, chunk, sizeof chunk, &sent, 10000));
    pst_pair_join_peer(&f);
    OK(d.rc);
    UNCHANGED(native, "ps_send_all that waited");
    pst_pair_close(&f);
}

Test(native_error, accept_timeouts_and_waits_leave_it)
{
    ps_socket_t l, c, s;
    char port[16];
    OK(ps_listen(&l, "127.0.0.1", "0", 4));
    snprintf(port, sizeof port, "%d", pst_local_port(l));
    int native = known_native_error();

    RC_IS(ps_accept(l, &s, NULL, 0), PS_EWOULDBLOCK);
    UNCHANGED(native, "ps_accept, timeout 0");
    RC_IS(ps_accept(l, &s, NULL, 50), PS_ETIMEDOUT);
    UNCHANGED(native, "ps_accept, timeout 50");

    /* Connected and accepted: success leaves it too. */
    OK(ps_connect(&c, "127.0.0.1", port, 5000));
    UNCHANGED(native, "ps_connect that succeeded");
    OK(ps_accept(l, &s, NULL, 5000));
    UNCHANGED(native, "ps_accept that succeeded");
    ps_close(s);
    ps_close(c);
    ps_close(l);
}

Test(native_error, connect_timeouts_leave_it)
{
    pst_silent silent;
    char port[16];
    ps_socket_t c;
    if (pst_is_windows() && !pst_under_wine())
        cr_skip_test("Windows refuses connects to a full listen queue, so "
                     "there is no silent address on loopback");
    OK(pst_silent_open(&silent, "127.0.0.1", 0));
    snprintf(port, sizeof port, "%d", silent.port);
    int native = known_native_error();

    RC_IS(ps_connect(&c, "127.0.0.1", port, 200), PS_ETIMEDOUT);
    UNCHANGED(native, "ps_connect, timeout 200");
    RC_IS(ps_connect(&c, "127.0.0.1", port, 0), PS_ETIMEDOUT);
    UNCHANGED(native, "ps_connect, timeout 0");

    /* The building block: a connect in progress is no failure. */
    ps_addr to;
    char text[32];
    snprintf(text, sizeof text, "127.0.0.1:%d", silent.port);
    OK(ps_addr_parse(&to, text));
    OK(ps_socket(&c, PS_AF_INET, PS_SOCK_STREAM));
    OK(ps_set_nonblocking(c, 1));
    RC_IS(ps_connect_start(c, &to), PS_EWOULDBLOCK);
    UNCHANGED(native, "ps_connect_start in progress");
    ps_close(c);
    pst_silent_close(&silent);
}

Test(native_error, datagram_timeouts_and_waits_leave_it)
{
    ps_socket_t a, b;
    char buf[16];
    size_t got = 0;
    ps_addr to;
    OK(ps_udp_open(&a, "127.0.0.1", "0"));
    OK(ps_udp_open(&b, "127.0.0.1", "0"));
    OK(ps_local_addr(b, &to));
    int native = known_native_error();

    RC_IS(ps_recvfrom(b, buf, sizeof buf, &got, NULL, 0), PS_EWOULDBLOCK);
    UNCHANGED(native, "ps_recvfrom, timeout 0");
    RC_IS(ps_recvfrom(b, buf, sizeof buf, &got, NULL, 50), PS_ETIMEDOUT);
    UNCHANGED(native, "ps_recvfrom, timeout 50");
    OK(ps_sendto(a, "dgram", 5, &to, 1000));
    UNCHANGED(native, "ps_sendto");
    OK(ps_recvfrom(b, buf, sizeof buf, &got, NULL, 5000));
    cr_assert_eq(got, 5u);
    UNCHANGED(native, "ps_recvfrom that found the datagram");
    /* A datagram cut to the buffer is portsock's finding, not the
     * system's failure, on every platform. */
    OK(ps_sendto(a, "dgram", 5, &to, 1000));
    RC_IS(ps_recvfrom(b, buf, 2, &got, NULL, 5000), PS_EMSGSIZE);
    UNCHANGED(native, "ps_recvfrom of a cut datagram");
    ps_close(a);
    ps_close(b);
}

/* And a failure of the system still records its own code. */
Test(native_error, real_failure_still_recorded)
{
    int port = 0;
    ps_socket_t c, held = pst_refusing_port(&port);
    char text[16];
    cr_assert_neq(held, PS_INVALID_SOCKET);
    snprintf(text, sizeof text, "%d", port);
    int native = known_native_error();
    RC_IS(ps_connect(&c, "127.0.0.1", text, 10000), PS_ECONNREFUSED);
    cr_assert_neq(ps_native_error(), native, "a refused connect kept %d",
                  native);
    cr_assert_neq(ps_native_error(), 0);
    ps_close(held);
}

/* Binding succeeds: nothing recorded (with a host of several addresses, an
 * earlier one that failed leaves no code either). */
Test(native_error, listen_and_udp_open_leave_it)
{
    ps_socket_t l, u;
    int native = known_native_error();
    OK(ps_listen(&l, NULL, "0", 4));
    UNCHANGED(native, "ps_listen, wildcard");
    OK(ps_close(l));
    OK(ps_listen(&l, "localhost", "0", 4));
    UNCHANGED(native, "ps_listen, localhost");
    OK(ps_close(l));
    OK(ps_udp_open(&u, "localhost", "0"));
    UNCHANGED(native, "ps_udp_open, localhost");
    OK(ps_close(u));
}
