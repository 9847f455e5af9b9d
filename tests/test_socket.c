/* SPDX-License-Identifier: MIT */
/* Socket life cycle, listen / connect / accept, shutdown, socket pairs and
 * options. Loopback only, ephemeral ports only. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "fixtures.h"
#include "portsock.h"
#include "select_support.h"
#include "support.h"

#include "rc_assert.h"

static int local_family(ps_socket_t s)
{
    ps_addr a;
    memset(&a, 0, sizeof a);
    OK(ps_local_addr(s, &a));
    return ps_addr_family(&a);
}

static void port_text(ps_socket_t s, char *buf, size_t cap)
{
    snprintf(buf, cap, "%d", pst_local_port(s));
}

/* Moves a short message from a to b and checks it arrived intact. */
static void exchange(ps_socket_t a, ps_socket_t b, const char *msg)
{
    size_t len = strlen(msg);
    size_t sent = 0, got = 0;
    char buf[256];

    cr_assert_lt(len, sizeof buf);
    OK(ps_send_all(a, msg, len, &sent, 5000));
    cr_assert_eq(sent, len);
    memset(buf, 0, sizeof buf);
    OK(ps_recv_all(b, buf, len, &got, 5000));
    cr_assert_eq(got, len);
    cr_assert_arr_eq(buf, msg, len, "payload differs");
}

/* 1 when IPv6 loopback is not usable here (the test should be skipped). */
static int ipv6_missing(int rc)
{
    return rc == PS_EADDRNOTAVAIL || rc == PS_EAFNOSUPPORT;
}

/* ---- ps_socket / ps_close -------------------------------------------- */

Test(socket, create_inet_stream_and_dgram, .timeout = 10)
{
    ps_socket_t s = PS_INVALID_SOCKET;

    OK(ps_socket(&s, PS_AF_INET, PS_SOCK_STREAM));
    cr_assert_neq(s, PS_INVALID_SOCKET);
    OK(ps_close(s));

    s = PS_INVALID_SOCKET;
    OK(ps_socket(&s, PS_AF_INET, PS_SOCK_DGRAM));
    cr_assert_neq(s, PS_INVALID_SOCKET);
    OK(ps_close(s));
}

Test(socket, create_inet6_stream_and_dgram, .timeout = 10)
{
    ps_socket_t s = PS_INVALID_SOCKET;
    int rc = ps_socket(&s, PS_AF_INET6, PS_SOCK_STREAM);
    if (rc == PS_EAFNOSUPPORT)
        cr_skip_test("IPv6 sockets are not available on this system");
    cr_assert_eq(rc, 0, "ps_socket(INET6, STREAM) -> %s", ps_errname(rc));
    cr_assert_neq(s, PS_INVALID_SOCKET);
    OK(ps_close(s));

    s = PS_INVALID_SOCKET;
    OK(ps_socket(&s, PS_AF_INET6, PS_SOCK_DGRAM));
    cr_assert_neq(s, PS_INVALID_SOCKET);
    OK(ps_close(s));
}

Test(socket, create_bad_arguments, .timeout = 10)
{
    ps_socket_t s = PS_INVALID_SOCKET;
    int rc;

    /* An unknown family is a bad argument; the header also names
     * PS_EAFNOSUPPORT for families the system lacks, so accept both. */
    rc = ps_socket(&s, 99, PS_SOCK_STREAM);
    cr_assert(rc == PS_EINVAL || rc == PS_EAFNOSUPPORT, "family 99 -> %s",
              ps_errname(rc));
    rc = ps_socket(&s, PS_AF_UNSPEC, PS_SOCK_STREAM);
    cr_assert(rc == PS_EINVAL || rc == PS_EAFNOSUPPORT, "family UNSPEC -> %s",
              ps_errname(rc));

    RC_IS(ps_socket(&s, PS_AF_INET, 99), PS_EINVAL);
    RC_IS(ps_socket(&s, PS_AF_INET, 0), PS_EINVAL);
    RC_IS(ps_socket(NULL, PS_AF_INET, PS_SOCK_STREAM), PS_EINVAL);
}

Test(socket, create_unix_stream, .timeout = 10)
{
    ps_socket_t s = PS_INVALID_SOCKET;
    int rc = ps_socket(&s, PS_AF_UNIX, PS_SOCK_STREAM);

    if (rc == PS_EAFNOSUPPORT && pst_under_wine())
        cr_skip_test("AF_UNIX is not supported under Wine (PS_EAFNOSUPPORT, "
                     "as documented)");
    if (rc == PS_EAFNOSUPPORT && pst_is_windows())
        cr_skip_test("this Windows lacks AF_UNIX (PS_EAFNOSUPPORT)");
    cr_assert_eq(rc, 0, "ps_socket(UNIX, STREAM) -> %s", ps_errname(rc));
    cr_assert_neq(s, PS_INVALID_SOCKET);
    OK(ps_close(s));
}

Test(socket, close_invalid_and_twice, .timeout = 10)
{
    ps_socket_t s = PS_INVALID_SOCKET;

    RC_IS(ps_close(PS_INVALID_SOCKET), PS_EBADF);

    OK(ps_socket(&s, PS_AF_INET, PS_SOCK_STREAM));
    OK(ps_close(s));
    /* Nothing was opened in between, so the value cannot have been reused. */
    RC_IS(ps_close(s), PS_EBADF);
}

/* ---- Values and descriptors that are no open socket ---------------------- */

static void parse_addr(ps_addr *a, const char *fmt, int port);

/* What the calls in socket_calls take besides the socket under test. */
typedef struct call_args {
    ps_socket_t s;
    ps_addr a;
    char buf[16];
    size_t n;
    ps_iovec out[2];
    ps_recv_iovec in[1];
} call_args;

static int call_bind(call_args *x)
{
    return ps_bind(x->s, &x->a);
}
static int call_bufs_0(call_args *x)
{
    return ps_set_buffer_sizes(x->s, 0, 0);
}
static int call_bufs_4k(call_args *x)
{
    return ps_set_buffer_sizes(x->s, 4096, 4096);
}
static int call_connect_start(call_args *x)
{
    return ps_connect_start(x->s, &x->a);
}
/* The socket under test is also where the accepted one would go. */
static int call_accept(call_args *x)
{
    return ps_accept(x->s, &x->s, NULL, 2000);
}
static int call_shutdown(call_args *x)
{
    return ps_shutdown(x->s, PS_SHUT_RDWR);
}
static int call_nonblock_on(call_args *x)
{
    return ps_set_nonblocking(x->s, 1);
}
static int call_nonblock_off(call_args *x)
{
    return ps_set_nonblocking(x->s, 0);
}
static int call_nodelay(call_args *x)
{
    return ps_set_nodelay(x->s, 1);
}
static int call_keepalive(call_args *x)
{
    return ps_set_keepalive(x->s, 1);
}
static int call_socket_error(call_args *x)
{
    return ps_socket_error(x->s);
}
static int call_local_addr(call_args *x)
{
    return ps_local_addr(x->s, &x->a);
}
static int call_peer_addr(call_args *x)
{
    return ps_peer_addr(x->s, &x->a);
}
static int call_sendto(call_args *x)
{
    return ps_sendto(x->s, "x", 1, &x->a, 2000);
}
static int call_recvfrom(call_args *x)
{
    return ps_recvfrom(x->s, x->buf, sizeof x->buf, &x->n, NULL, 2000);
}
static int call_send(call_args *x)
{
    return ps_send(x->s, "x", 1, &x->n, 2000);
}
static int call_send_empty(call_args *x)
{
    return ps_send(x->s, "", 0, &x->n, 2000);
}
static int call_recv(call_args *x)
{
    return ps_recv(x->s, x->buf, sizeof x->buf, &x->n, 2000);
}
static int call_send_all(call_args *x)
{
    return ps_send_all(x->s, "xy", 2, &x->n, 2000);
}
static int call_send_all_empty(call_args *x)
{
    return ps_send_all(x->s, "", 0, &x->n, 2000);
}
static int call_recv_all(call_args *x)
{
    return ps_recv_all(x->s, x->buf, sizeof x->buf, &x->n, 2000);
}
static int call_recv_all_empty(call_args *x)
{
    return ps_recv_all(x->s, x->buf, 0, &x->n, 2000);
}
static int call_sendv(call_args *x)
{
    return ps_sendv(x->s, x->out, 2, &x->n, 2000);
}
static int call_sendv_all(call_args *x)
{
    return ps_sendv_all(x->s, x->out, 2, &x->n, -1);
}
static int call_recvv(call_args *x)
{
    return ps_recvv(x->s, x->in, 1, &x->n, 2000);
}
static int call_send_frame(call_args *x)
{
    return ps_send_frame(x->s, "x", 1, 2000);
}
static int call_recv_frame(call_args *x)
{
    return ps_recv_frame(x->s, x->buf, sizeof x->buf, &x->n, 2000);
}
static int call_recv_forever(call_args *x)
{
    return ps_recv(x->s, x->buf, sizeof x->buf, &x->n, -1);
}
static int call_close(call_args *x)
{
    return ps_close(x->s);
}

/* Every public call that takes a socket; timed calls get 2 s. port is that
 * of the address the call is given: 0 to bind, 9 (discard) to reach. */
static const struct socket_call {
    const char *name;
    int (*fn)(call_args *x);
    int port;
} socket_calls[] = {
    {"ps_bind(s, &a)", call_bind, 0},
    {"ps_set_buffer_sizes(s, 0, 0)", call_bufs_0, 0},
    {"ps_set_buffer_sizes(s, 4096, 4096)", call_bufs_4k, 0},
    {"ps_connect_start(s, &a)", call_connect_start, 9},
    {"ps_accept(s, &s, NULL, 2000)", call_accept, 9},
    {"ps_shutdown(s, PS_SHUT_RDWR)", call_shutdown, 9},
    {"ps_set_nonblocking(s, 1)", call_nonblock_on, 9},
    {"ps_set_nonblocking(s, 0)", call_nonblock_off, 9},
    {"ps_set_nodelay(s, 1)", call_nodelay, 9},
    {"ps_set_keepalive(s, 1)", call_keepalive, 9},
    {"ps_socket_error(s)", call_socket_error, 9},
    {"ps_local_addr(s, &a)", call_local_addr, 9},
    {"ps_peer_addr(s, &a)", call_peer_addr, 9},
    {"ps_sendto(s, \"x\", 1, &a, 2000)", call_sendto, 9},
    {"ps_recvfrom(s, buf, sizeof buf, &n, NULL, 2000)", call_recvfrom, 9},
    {"ps_send(s, \"x\", 1, &n, 2000)", call_send, 9},
    {"ps_send(s, \"\", 0, &n, 2000)", call_send_empty, 9},
    {"ps_recv(s, buf, sizeof buf, &n, 2000)", call_recv, 9},
    {"ps_send_all(s, \"xy\", 2, &n, 2000)", call_send_all, 9},
    {"ps_send_all(s, \"\", 0, &n, 2000)", call_send_all_empty, 9},
    {"ps_recv_all(s, buf, sizeof buf, &n, 2000)", call_recv_all, 9},
    {"ps_recv_all(s, buf, 0, &n, 2000)", call_recv_all_empty, 9},
    {"ps_sendv(s, out, 2, &n, 2000)", call_sendv, 9},
    {"ps_sendv_all(s, out, 2, &n, -1)", call_sendv_all, 9},
    {"ps_recvv(s, in, 1, &n, 2000)", call_recvv, 9},
    {"ps_send_frame(s, \"x\", 1, 2000)", call_send_frame, 9},
    {"ps_recv_frame(s, buf, sizeof buf, &n, 2000)", call_recv_frame, 9},
    {"ps_recv(s, buf, sizeof buf, &n, -1)", call_recv_forever, 9},
    /* Last: on a socket, it would close it. */
    {"ps_close(s)", call_close, 9},
};

/* Fresh arguments for one call on s. */
static void call_args_init(call_args *x, ps_socket_t s, int port)
{
    memset(x, 0, sizeof *x);
    x->s = s;
    parse_addr(&x->a, "127.0.0.1:%d", port);
    x->out[0].base = "";
    x->in[0].base = x->buf;
    x->in[0].len = sizeof x->buf;
}

/* Every call on s returns PS_EBADF (or alt), and at once. */
static void every_call_fails(ps_socket_t s, const char *what, int alt)
{
    for (size_t i = 0; i < sizeof socket_calls / sizeof socket_calls[0]; i++) {
        const char *name = socket_calls[i].name;
        call_args x;
        call_args_init(&x, s, socket_calls[i].port);
        int64_t t0 = pst_now_ms();
        int rc = socket_calls[i].fn(&x);
        int64_t dt = pst_now_ms() - t0;
        cr_assert(rc == PS_EBADF || rc == alt,
                  "%s on %s: %s (native %d), expected PS_EBADF", name, what,
                  ps_errname(rc), ps_native_error());
        cr_assert_lt(dt, 1000, "%s on %s: returned after %lld ms", name, what,
                     (long long)dt);
    }
}

static void every_call_ebadf(ps_socket_t s, const char *what)
{
    every_call_fails(s, what, PS_EBADF);
}

/* A negative number is never a socket (POSIX fds; on Windows such a value
 * has the top bit set, which no SOCKET has). poll() skips negative fds,
 * and calls that move nothing made no system call at all. */
Test(socket, negative_values_are_ebadf_everywhere, .timeout = 60)
{
    every_call_ebadf(PS_INVALID_SOCKET, "PS_INVALID_SOCKET");
    every_call_ebadf((ps_socket_t)-5, "-5");
    every_call_ebadf((ps_socket_t)-2, "-2");
    every_call_ebadf((ps_socket_t)-1000000, "-1000000");
}

/* Descriptors that are open but no socket, and a closed one: PS_EBADF from
 * every call (on Windows their OS handles), and they stay as they were:
 * ps_close does not close a file or pipe, nothing is read or written. */
Test(socket, non_sockets_are_ebadf_and_untouched, .timeout = 60)
{
    char path[512], buf[8];
    int fds[2];
    ps_socket_t s;

    /* Wine answers most socket calls on a file or pipe handle with
     * WSAEOPNOTSUPP (PS_ENOTSUP), where Windows says WSAENOTSOCK; either
     * way at once, and the handle is left alone. */
    int alt = pst_under_wine() ? PS_ENOTSUP : PS_EBADF;
    pst_temp_path(path, sizeof path, "nonsock");
    cr_assert_eq(pst_write_file(path, "abc", 3), 0);
    int file = pst_open_read(path);
    cr_assert_geq(file, 0);
    every_call_fails(pst_fd_as_socket(file), "a regular file", alt);
    cr_assert_eq(pst_fd_read(file, buf, sizeof buf), 3,
                 "the file is no longer readable from the start");
    cr_assert_arr_eq(buf, "abc", 3);
    cr_assert_eq(pst_fd_close(file), 0, "the file was closed");
    pst_remove(path);

    cr_assert_eq(pst_pipe(fds), 0);
    every_call_fails(pst_fd_as_socket(fds[0]), "a pipe's read end", alt);
    every_call_fails(pst_fd_as_socket(fds[1]), "a pipe's write end", alt);
    cr_assert_eq(pst_fd_write(fds[1], "z", 1), 1, "the pipe's write end");
    cr_assert_eq(pst_fd_read(fds[0], buf, sizeof buf), 1,
                 "the pipe's read end");
    cr_assert_eq(buf[0], 'z');
    cr_assert_eq(pst_fd_close(fds[0]), 0, "the pipe's read end was closed");
    cr_assert_eq(pst_fd_close(fds[1]), 0, "the pipe's write end was closed");

    /* Closed: nothing was opened since, so the value names nothing. */
    OK(ps_socket(&s, PS_AF_INET, PS_SOCK_STREAM));
    OK(ps_close(s));
    every_call_ebadf(s, "a closed socket");
}

/* ---- ps_shutdown --------------------------------------------------------- */

Test(socket, shutdown_bad_how_and_unconnected, .timeout = 10)
{
    pst_pair f;
    ps_socket_t u;

    pst_pair_open_tcp(&f);
    RC_IS(ps_shutdown(f.c, 7), PS_EINVAL);
    RC_IS(ps_shutdown(f.c, -1), PS_EINVAL);
    /* The bad calls must not have harmed the connection. */
    exchange(f.c, f.s, "still connected");

    OK(ps_socket(&u, PS_AF_INET, PS_SOCK_STREAM));
    RC_IS(ps_shutdown(u, PS_SHUT_WR), PS_ENOTCONN);
    RC_IS(ps_shutdown(u, PS_SHUT_RDWR), PS_ENOTCONN);

    RC_IS(ps_shutdown(PS_INVALID_SOCKET, PS_SHUT_WR), PS_EBADF);

    OK(ps_close(u));
    pst_pair_close(&f);
}

static void check_half_close(ps_socket_t a, ps_socket_t b)
{
    char buf[64];
    size_t got = 12345;

    OK(ps_shutdown(a, PS_SHUT_WR));

    /* b sees an orderly end of stream, and keeps seeing it. */
    OK(ps_recv(b, buf, sizeof buf, &got, 5000));
    cr_assert_eq(got, (size_t)0, "expected EOF, got %zu bytes", got);
    got = 12345;
    OK(ps_recv(b, buf, sizeof buf, &got, 5000));
    cr_assert_eq(got, (size_t)0, "EOF not sticky, got %zu bytes", got);

    /* The other direction still works. */
    exchange(b, a, "the other way still works");

    /* Writing on the shut-down side is PS_EPIPE. */
    RC_IS(ps_send(a, "x", 1, NULL, 1000), PS_EPIPE);
}

Test(socket, shutdown_write_half_close_tcp, .timeout = 20)
{
    pst_pair f;

    pst_pair_open_tcp(&f);
    check_half_close(f.c, f.s);
    pst_pair_close(&f);
}

Test(socket, shutdown_write_half_close_socketpair, .timeout = 20)
{
    pst_pair f;

    pst_pair_open(&f, PST_PAIR_SOCKETPAIR, PST_BUFS_ASIS, PST_BUFS_ASIS);
    check_half_close(f.s, f.c);
    pst_pair_close(&f);
}

/* ---- listen / connect / accept ------------------------------------------ */

Test(socket, listen_connect_accept_ipv4, .timeout = 20)
{
    ps_socket_t l, c, a;
    ps_addr peer, caddr;
    char port[16];

    OK(ps_listen(&l, "127.0.0.1", "0", 0));
    cr_assert_neq(l, PS_INVALID_SOCKET);
    cr_assert_eq(local_family(l), PS_AF_INET);
    port_text(l, port, sizeof port);

    OK(ps_connect(&c, "127.0.0.1", port, 5000));
    cr_assert_neq(c, PS_INVALID_SOCKET);

    memset(&peer, 0xA5, sizeof peer);
    OK(ps_accept(l, &a, &peer, 5000));
    cr_assert_neq(a, PS_INVALID_SOCKET);
    cr_assert_eq(ps_addr_family(&peer), PS_AF_INET);
    cr_assert_eq(ps_addr_port(&peer), pst_local_port(c),
                 "accepted peer port %d, client local port %d",
                 ps_addr_port(&peer), pst_local_port(c));

    /* The client's peer is the listener's port. */
    OK(ps_peer_addr(c, &caddr));
    cr_assert_eq(ps_addr_port(&caddr), pst_local_port(l));

    exchange(c, a, "hello from client");
    exchange(a, c, "hello from server");

    OK(ps_close(c));
    OK(ps_close(a));
    OK(ps_close(l));
}

Test(socket, accept_peer_may_be_null, .timeout = 20)
{
    ps_socket_t l, c, a;
    char port[16];

    OK(ps_listen(&l, "127.0.0.1", "0", 16));
    port_text(l, port, sizeof port);
    OK(ps_connect(&c, "127.0.0.1", port, 5000));
    OK(ps_accept(l, &a, NULL, 5000));
    exchange(c, a, "peer NULL");
    OK(ps_close(c));
    OK(ps_close(a));
    OK(ps_close(l));
}

Test(socket, listen_connect_accept_ipv6, .timeout = 20)
{
    ps_socket_t l, c, a;
    ps_addr peer;
    char port[16];
    int rc = ps_listen(&l, "::1", "0", 0);

    if (ipv6_missing(rc))
        cr_skip_test("IPv6 loopback not available (ps_listen(\"::1\") -> %s)",
                     ps_errname(rc));
    cr_assert_eq(rc, 0, "ps_listen(::1) -> %s", ps_errname(rc));
    cr_assert_eq(local_family(l), PS_AF_INET6);
    port_text(l, port, sizeof port);

    OK(ps_connect(&c, "::1", port, 5000));
    memset(&peer, 0, sizeof peer);
    OK(ps_accept(l, &a, &peer, 5000));
    cr_assert_eq(ps_addr_family(&peer), PS_AF_INET6);
    cr_assert_eq(ps_addr_port(&peer), pst_local_port(c));

    exchange(c, a, "over IPv6");
    exchange(a, c, "and back");

    OK(ps_close(c));
    OK(ps_close(a));
    OK(ps_close(l));
}

Test(socket, listen_dual_stack, .timeout = 30)
{
    ps_socket_t l, c4, a4, c6, a6;
    ps_addr peer;
    char port[16];
    int fam;

    OK(ps_listen(&l, NULL, "0", 0));
    fam = local_family(l);
    cr_assert(fam == PS_AF_INET || fam == PS_AF_INET6, "family %d", fam);
    port_text(l, port, sizeof port);

    OK(ps_connect(&c4, "127.0.0.1", port, 5000));
    memset(&peer, 0, sizeof peer);
    OK(ps_accept(l, &a4, &peer, 5000));
    cr_assert_eq(ps_addr_port(&peer), pst_local_port(c4));
    exchange(c4, a4, "via 127.0.0.1");
    OK(ps_close(c4));
    OK(ps_close(a4));

    if (fam == PS_AF_INET6) {
        OK(ps_connect(&c6, "::1", port, 5000));
        memset(&peer, 0, sizeof peer);
        OK(ps_accept(l, &a6, &peer, 5000));
        cr_assert_eq(ps_addr_family(&peer), PS_AF_INET6);
        cr_assert_eq(ps_addr_port(&peer), pst_local_port(c6));
        exchange(c6, a6, "via ::1");
        OK(ps_close(c6));
        OK(ps_close(a6));
    } else {
        cr_log_info("ps_listen(NULL) gave an IPv4 socket; ::1 not tried");
    }
    OK(ps_close(l));
}

Test(socket, listen_same_port_twice, .timeout = 10)
{
    ps_socket_t l, l2 = PS_INVALID_SOCKET;
    char port[16];

    OK(ps_listen(&l, "127.0.0.1", "0", 0));
    port_text(l, port, sizeof port);
    int rc = ps_listen(&l2, "127.0.0.1", port, 0);
    if (rc == 0)
        ps_close(l2);
    cr_assert_eq(rc, PS_EADDRINUSE, "second listen on %s -> %s", port,
                 ps_errname(rc));
    OK(ps_close(l));
}

Test(socket, listen_bad_arguments, .timeout = 10)
{
    RC_IS(ps_listen(NULL, "127.0.0.1", "0", 0), PS_EINVAL);
}

Test(socket, connect_refused, .timeout = 20)
{
    ps_socket_t l, c = (ps_socket_t)12345;
    char port[16];
    int portnum = 0;

    /* Bound, not listening, and held: nobody else can take the port. */
    l = pst_refusing_port(&portnum);
    cr_assert_neq(l, PS_INVALID_SOCKET);
    snprintf(port, sizeof port, "%d", portnum);

    /* Windows retries a refused connect for a second or two. */
    int64_t t0 = pst_now_ms();
    int rc = ps_connect(&c, "127.0.0.1", port, 10000);
    int64_t dt = pst_now_ms() - t0;
    if (rc == 0)
        ps_close(c);
    cr_assert_eq(rc, PS_ECONNREFUSED,
                 "connect to closed port -> %s after "
                 "%lld ms",
                 ps_errname(rc), (long long)dt);
    cr_assert_eq(c, PS_INVALID_SOCKET, "*out not reset on failure");
    cr_assert_neq(ps_native_error(), 0, "no native error recorded");
    OK(ps_close(l));
}

Test(socket, connect_unknown_name, .timeout = 30)
{
    ps_socket_t c = (ps_socket_t)12345;
    int rc = ps_connect(&c, "no..such..host", "80", 10000);

    if (rc == 0)
        ps_close(c);
    cr_assert_eq(rc, PS_ENAME, "no..such..host -> %s", ps_errname(rc));
    cr_assert_eq(c, PS_INVALID_SOCKET);
}

Test(socket, connect_bad_arguments, .timeout = 10)
{
    ps_socket_t c;

    RC_IS(ps_connect(NULL, "127.0.0.1", "80", 1000), PS_EINVAL);
    RC_IS(ps_connect(&c, "127.0.0.1", NULL, 1000), PS_EINVAL);
}

Test(socket, connect_timeout_zero, .timeout = 10)
{
    ps_socket_t l, c = PS_INVALID_SOCKET, a;
    char port[16];

    OK(ps_listen(&l, "127.0.0.1", "0", 0));
    port_text(l, port, sizeof port);

    /* Loopback may connect at once; otherwise the documented result for
     * timeout 0 is PS_ETIMEDOUT. */
    int rc = ps_connect(&c, "127.0.0.1", port, 0);
    cr_assert(rc == 0 || rc == PS_ETIMEDOUT, "connect timeout 0 -> %s",
              ps_errname(rc));
    if (rc == 0) {
        cr_assert_neq(c, PS_INVALID_SOCKET);
        OK(ps_accept(l, &a, NULL, 5000));
        exchange(c, a, "connected at once");
        OK(ps_close(a));
        OK(ps_close(c));
    } else {
        cr_assert_eq(c, PS_INVALID_SOCKET);
        cr_log_info("loopback connect with timeout 0 was not immediate");
    }
    OK(ps_close(l));
}

Test(socket, accept_timeouts, .timeout = 20)
{
    ps_socket_t l, a;

    OK(ps_listen(&l, "127.0.0.1", "0", 0));

    RC_IS(ps_accept(l, &a, NULL, 0), PS_EWOULDBLOCK);

    int64_t t0 = pst_now_ms();
    int rc = ps_accept(l, &a, NULL, 200);
    pst_assert_took(t0, 195, 2000, "ps_accept, 200 ms");
    cr_assert_eq(rc, PS_ETIMEDOUT, "accept 200 ms -> %s", ps_errname(rc));

    OK(ps_close(l));
}

Test(socket, accept_bad_sockets, .timeout = 20)
{
    ps_socket_t s, a;
    int rc;

    RC_IS(ps_accept(PS_INVALID_SOCKET, &a, NULL, 100), PS_EBADF);

    /* Not listening: the header allows PS_EINVAL or PS_EBADF, never a
     * timeout. */
    OK(ps_socket(&s, PS_AF_INET, PS_SOCK_STREAM));
    rc = ps_accept(s, &a, NULL, 100);
    cr_assert(rc == PS_EINVAL || rc == PS_EBADF,
              "accept on a non-listening socket -> %s", ps_errname(rc));
    rc = ps_accept(s, &a, NULL, 0);
    cr_assert(rc == PS_EINVAL || rc == PS_EBADF,
              "accept (timeout 0) on a non-listening socket -> %s",
              ps_errname(rc));
    OK(ps_close(s));
}

/* Anything but a listener fails at once, whatever the timeout: a wait on it
 * would never see a connection. rc must be one of want1 / want2. */
static void accept_fails_fast(ps_socket_t s, const char *what, int want1,
                              int want2)
{
    static const int timeouts[] = {5000, 0, -1};
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        ps_socket_t a = (ps_socket_t)12345;
        ps_addr peer;
        int64_t t0 = pst_now_ms();
        int rc = ps_accept(s, &a, &peer, timeouts[i]);
        int64_t dt = pst_now_ms() - t0;
        if (rc == 0)
            ps_close(a);
        cr_assert(rc == want1 || rc == want2,
                  "ps_accept on %s, timeout %d: %s (native %d), expected %s",
                  what, timeouts[i], ps_errname(rc), ps_native_error(),
                  ps_errname(want1));
        cr_assert_lt(dt, 1000,
                     "ps_accept on %s, timeout %d: returned after "
                     "%lld ms",
                     what, timeouts[i], (long long)dt);
        cr_assert_eq(a, PS_INVALID_SOCKET, "ps_accept on %s: *out", what);
    }
}

Test(socket, accept_on_non_listener_fails_at_once, .timeout = 60)
{
    pst_pair f;
    ps_socket_t u, u2;
    int fds[2];
    char buf[8];
    size_t got;

    pst_pair_open_tcp(&f);
    accept_fails_fast(f.c, "a connected TCP socket", PS_EINVAL, PS_EINVAL);
    /* A timed receive that found nothing makes the next timed call on that
     * socket wait first: accept must still not wait. */
    RC_IS(ps_recv(f.s, buf, sizeof buf, &got, 0), PS_EWOULDBLOCK);
    accept_fails_fast(f.s, "a connected TCP socket after a timed recv",
                      PS_EINVAL, PS_EINVAL);
    /* Readable with data: accept itself says no. */
    OK(ps_send_all(f.c, "x", 1, NULL, 5000));
    pst_sleep_ms(50);
    accept_fails_fast(f.s, "a connected TCP socket with data", PS_EINVAL,
                      PS_EINVAL);
    pst_pair_close(&f);

    OK(ps_udp_open(&u, "127.0.0.1", "0"));
    accept_fails_fast(u, "a UDP socket", PS_EINVAL, PS_EINVAL);
    OK(ps_udp_open(&u2, "127.0.0.1", "0"));
    ps_addr to;
    OK(ps_local_addr(u, &to));
    OK(ps_sendto(u2, "d", 1, &to, 5000));
    pst_sleep_ms(50);
    accept_fails_fast(u, "a UDP socket with a datagram", PS_EINVAL, PS_EINVAL);
    OK(ps_close(u2));
    OK(ps_close(u));

    accept_fails_fast((ps_socket_t)-5, "fd -5", PS_EBADF, PS_EBADF);
    accept_fails_fast((ps_socket_t)-2, "fd -2", PS_EBADF, PS_EBADF);
    accept_fails_fast(PS_INVALID_SOCKET, "PS_INVALID_SOCKET", PS_EBADF,
                      PS_EBADF);

    /* A pipe (on Windows its handle, which is no socket either). */
    cr_assert_eq(pst_pipe(fds), 0);
    accept_fails_fast(pst_fd_as_socket(fds[0]), "a pipe's read end", PS_EBADF,
                      PS_EBADF);
    accept_fails_fast(pst_fd_as_socket(fds[1]), "a pipe's write end", PS_EBADF,
                      PS_EBADF);
    pst_fd_close(fds[0]);
    pst_fd_close(fds[1]);
}

typedef struct late_connect {
    char port[16];
    ps_socket_t sock;
    int rc;
} late_connect;

static void late_connect_main(void *arg)
{
    late_connect *lc = arg;
    pst_sleep_ms(100);
    lc->rc = ps_connect(&lc->sock, "127.0.0.1", lc->port, 5000);
}

Test(socket, accept_forever_wakes_on_late_connect, .timeout = 20)
{
    ps_socket_t l, a;
    late_connect lc;
    pst_thread *t;

    memset(&lc, 0, sizeof lc);
    lc.sock = PS_INVALID_SOCKET;
    lc.rc = 1;
    OK(ps_listen(&l, "127.0.0.1", "0", 0));
    port_text(l, lc.port, sizeof lc.port);

    t = pst_thread_start(late_connect_main, &lc);
    cr_assert_not_null(t);
    /* The thread is guaranteed to connect, so waiting forever is bounded. */
    int64_t t0 = pst_now_ms();
    int rc = ps_accept(l, &a, NULL, -1);
    int64_t dt = pst_now_ms() - t0;
    pst_thread_join(t);

    cr_assert_eq(rc, 0, "accept(-1) -> %s", ps_errname(rc));
    cr_assert_eq(lc.rc, 0, "late connect -> %s", ps_errname(lc.rc));
    cr_assert_geq(dt, 50,
                  "accept returned after %lld ms, before the "
                  "connect",
                  (long long)dt);
    exchange(a, lc.sock, "accepted");
    OK(ps_close(a));
    OK(ps_close(lc.sock));
    OK(ps_close(l));
}

/* ---- ps_socketpair ----------------------------------------------------------- */

Test(socket, socketpair_both_ways_and_eof, .timeout = 20)
{
    ps_socket_t p[2];
    char buf[16];
    size_t got = 99;

    OK(ps_socketpair(p));
    cr_assert_neq(p[0], PS_INVALID_SOCKET);
    cr_assert_neq(p[1], PS_INVALID_SOCKET);
    cr_assert_neq(p[0], p[1]);

    exchange(p[0], p[1], "zero to one");
    exchange(p[1], p[0], "one to zero");

    OK(ps_close(p[0]));
    OK(ps_recv(p[1], buf, sizeof buf, &got, 5000));
    cr_assert_eq(got, (size_t)0, "expected EOF after close, got %zu", got);
    OK(ps_close(p[1]));

    RC_IS(ps_socketpair(NULL), PS_EINVAL);
}

/* ---- options ----------------------------------------------------------------- */

Test(socket, nonblocking_mode, .timeout = 20)
{
    pst_pair f;
    char buf[16];
    size_t got = 0;

    pst_pair_open_tcp(&f);

    OK(ps_set_nonblocking(f.c, 1));
    RC_IS(ps_recv(f.c, buf, sizeof buf, &got, 0), PS_EWOULDBLOCK);
    /* A non-blocking socket still honours a positive timeout. */
    int64_t t0 = pst_now_ms();
    RC_IS(ps_recv(f.c, buf, sizeof buf, &got, 100), PS_ETIMEDOUT);
    cr_assert_geq(pst_now_ms() - t0, 95);

    OK(ps_set_nonblocking(f.c, 0));
    t0 = pst_now_ms();
    RC_IS(ps_recv(f.c, buf, sizeof buf, &got, 100), PS_ETIMEDOUT);
    pst_assert_took(t0, 95, 2000, "ps_recv, 100 ms");
    RC_IS(ps_recv(f.c, buf, sizeof buf, &got, 0), PS_EWOULDBLOCK);

    /* Data still flows after the mode changes. */
    exchange(f.s, f.c, "after toggling");

    RC_IS(ps_set_nonblocking(PS_INVALID_SOCKET, 1), PS_EBADF);
    pst_pair_close(&f);
}

Test(socket, nodelay_keepalive, .timeout = 10)
{
    pst_pair f;

    pst_pair_open_tcp(&f);
    OK(ps_set_nodelay(f.c, 1));
    OK(ps_set_nodelay(f.c, 0));
    OK(ps_set_keepalive(f.c, 1));
    OK(ps_set_keepalive(f.c, 0));
    OK(ps_set_nodelay(f.s, 1));
    OK(ps_set_keepalive(f.s, 1));
    exchange(f.c, f.s, "options set");

    RC_IS(ps_set_nodelay(PS_INVALID_SOCKET, 1), PS_EBADF);
    RC_IS(ps_set_keepalive(PS_INVALID_SOCKET, 1), PS_EBADF);
    pst_pair_close(&f);
}

Test(socket, buffer_sizes, .timeout = 10)
{
    pst_pair f;

    pst_pair_open_tcp(&f);
    OK(ps_set_buffer_sizes(f.c, 0, 0));
    OK(ps_set_buffer_sizes(f.c, 65536, 0));
    OK(ps_set_buffer_sizes(f.c, 0, 65536));
    OK(ps_set_buffer_sizes(f.c, 8192, 8192));
    RC_IS(ps_set_buffer_sizes(f.c, -1, 0), PS_EINVAL);
    RC_IS(ps_set_buffer_sizes(f.c, 0, -1), PS_EINVAL);
    RC_IS(ps_set_buffer_sizes(f.c, -4096, 4096), PS_EINVAL);
    RC_IS(ps_set_buffer_sizes(PS_INVALID_SOCKET, 4096, 4096), PS_EBADF);
    exchange(f.c, f.s, "buffers set");
    pst_pair_close(&f);
}

Test(socket, socket_error_clean_connection, .timeout = 10)
{
    pst_pair f;

    pst_pair_open_tcp(&f);
    RC_IS(ps_socket_error(f.c), 0);
    RC_IS(ps_socket_error(f.s), 0);
    pst_pair_close(&f);
}

/* ---- AF_UNIX paths ------------------------------------------------------------- */

Test(socket, unix_path_listen_connect, .timeout = 20)
{
    char path[200], host[220], fmt[PS_ADDRSTRLEN];
    ps_socket_t l, l2 = PS_INVALID_SOCKET, c, a;
    ps_addr la, peer;
    int rc;

    pst_temp_path(path, sizeof path, "unixsock");
    snprintf(host, sizeof host, "unix:%s", path);

    rc = ps_listen(&l, host, "0", 0);
    if (rc == PS_EAFNOSUPPORT && pst_under_wine())
        cr_skip_test("AF_UNIX is not supported under Wine (PS_EAFNOSUPPORT)");
    if (rc == PS_EAFNOSUPPORT && pst_is_windows())
        cr_skip_test("this Windows lacks AF_UNIX (PS_EAFNOSUPPORT)");
    cr_assert_eq(rc, 0, "ps_listen(%s) -> %s", host, ps_errname(rc));

    OK(ps_local_addr(l, &la));
    cr_assert_eq(ps_addr_family(&la), PS_AF_UNIX);
    OK(ps_addr_format(&la, fmt, sizeof fmt));
    cr_assert_str_eq(fmt, path);

    /* The path is now taken. */
    rc = ps_listen(&l2, host, "0", 0);
    if (rc == 0)
        ps_close(l2);
    cr_assert_eq(rc, PS_EADDRINUSE, "second listen on %s -> %s", path,
                 ps_errname(rc));

    OK(ps_connect(&c, host, "0", 5000));
    memset(&peer, 0, sizeof peer);
    OK(ps_accept(l, &a, &peer, 5000));
    cr_assert_eq(ps_addr_family(&peer), PS_AF_UNIX);

    exchange(c, a, "over a unix socket");
    exchange(a, c, "and back");

    OK(ps_close(c));
    OK(ps_close(a));
    OK(ps_close(l));
    pst_remove(path);
}

Test(socket, unix_path_connect_missing, .timeout = 20)
{
    char path[200], host[220];
    ps_socket_t s = PS_INVALID_SOCKET, c = PS_INVALID_SOCKET;
    int rc = ps_socket(&s, PS_AF_UNIX, PS_SOCK_STREAM);

    if (rc == PS_EAFNOSUPPORT && (pst_under_wine() || pst_is_windows()))
        cr_skip_test("AF_UNIX not supported here (PS_EAFNOSUPPORT)");
    OK(rc);
    OK(ps_close(s));

    /* Nothing listens where no socket file is: refused, as the header
     * says (ENOENT, ENOTDIR), not PS_EUNKNOWN. */
    char file[200];
    pst_temp_path(file, sizeof file, "nounixfile");
    cr_assert_eq(pst_write_file(file, "x", 1), 0);
    const char *const forms[] = {"unix:%s", "unix:%s/in/a/missing/dir",
                                 "unix:%s/x"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        pst_temp_path(path, sizeof path, "nounix");
        /* The last one goes through a regular file as if a directory. */
        snprintf(host, sizeof host, forms[i], i == 2 ? file : path);
        c = PS_INVALID_SOCKET;
        rc = ps_connect(&c, host, "0", 2000);
        if (rc == 0)
            ps_close(c);
        cr_assert_eq(rc, PS_ECONNREFUSED, "connect to %s: %s (native %d)", host,
                     ps_errname(rc), ps_native_error());
        cr_assert_eq(c, PS_INVALID_SOCKET);
        /* A listener cannot be made there: the address is not available. */
        if (i > 0) {
            rc = ps_listen(&c, host, NULL, 0);
            if (rc == 0)
                ps_close(c);
            cr_assert_eq(rc, PS_EADDRNOTAVAIL, "listen on %s: %s (native %d)",
                         host, ps_errname(rc), ps_native_error());
        }
    }
    pst_remove(file);
}

Test(socket, unix_connect_to_full_queue_is_refused, .timeout = 20)
{
    char path[200], host[220];
    ps_socket_t l, c[16];
    int rc;

    pst_temp_path(path, sizeof path, "unixfull");
    snprintf(host, sizeof host, "unix:%s", path);
    rc = ps_listen(&l, host, NULL, 1);
    if (rc == PS_EAFNOSUPPORT && (pst_under_wine() || pst_is_windows()))
        cr_skip_test("AF_UNIX not supported here (PS_EAFNOSUPPORT)");
    OK(rc);
    /* Nobody accepts: the queue fills, and then a connect must fail rather
     * than return a socket that never connected. */
    int refused = 0, made = 0;
    for (int i = 0; i < 16; i++) {
        rc = ps_connect(&c[made], host, NULL, 2000);
        if (rc == 0) {
            ps_addr peer;
            OK(ps_peer_addr(c[made], &peer)); /* really connected */
            made++;
        } else {
            RC_IS(rc, PS_ECONNREFUSED);
            refused++;
            break;
        }
    }
    cr_assert_eq(refused, 1, "%d connects all succeeded", made);
    for (int i = 0; i < made; i++)
        ps_close(c[i]);
    ps_close(l);
    pst_remove(path);
}

struct accept_race {
    ps_socket_t listener;
    int rc;
    ps_socket_t got;
};

static void accept_race_main(void *arg)
{
    struct accept_race *a = arg;
    a->rc = ps_accept(a->listener, &a->got, NULL, 400);
}

/* Several threads wait with a timeout on one listener and one connection
 * comes: one thread gets it, the others time out on time (none blocks). */
Test(socket, timed_accept_from_several_threads, .timeout = 30)
{
    ps_socket_t l, c;
    char port[16];
    struct accept_race a[4];
    pst_thread *t[4];
    OK(ps_listen(&l, "127.0.0.1", "0", 8));
    port_text(l, port, sizeof port);
    for (int i = 0; i < 4; i++) {
        a[i].listener = l;
        a[i].rc = 1;
        a[i].got = PS_INVALID_SOCKET;
        t[i] = pst_thread_start(accept_race_main, &a[i]);
        cr_assert_not_null(t[i]);
    }
    int64_t t0 = pst_now_ms();
    OK(ps_connect(&c, "127.0.0.1", port, 5000));
    for (int i = 0; i < 4; i++)
        pst_thread_join(t[i]);
    cr_assert_lt(pst_now_ms() - t0, 3000, "an accept overran its timeout");
    int won = 0;
    for (int i = 0; i < 4; i++) {
        if (a[i].rc == 0) {
            won++;
            ps_close(a[i].got);
        } else {
            RC_IS(a[i].rc, PS_ETIMEDOUT);
        }
    }
    cr_assert_eq(won, 1);
    ps_close(c);
    ps_close(l);
}

Test(socket, option_values_other_than_0_1_rejected, .timeout = 10)
{
    ps_socket_t s;
    OK(ps_socket(&s, PS_AF_INET, PS_SOCK_STREAM));
    RC_IS(ps_set_nonblocking(s, 2), PS_EINVAL);
    RC_IS(ps_set_nodelay(s, -1), PS_EINVAL);
    RC_IS(ps_set_keepalive(s, 7), PS_EINVAL);
    OK(ps_close(s));
}

/* ---- ps_bind ---------------------------------------------------------------- */

static void parse_addr(ps_addr *a, const char *fmt, int port)
{
    char text[64];
    snprintf(text, sizeof text, fmt, port);
    OK(ps_addr_parse(a, text));
}

/* A stream socket bound with ps_bind to 127.0.0.1 at a port the test
 * chooses: one the system just gave a probe socket (then closed). Another
 * test may take that port in between; then another is chosen. */
static ps_socket_t bound_at_chosen_port(int *port)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        ps_socket_t probe, s;
        ps_addr a;
        OK(ps_socket(&probe, PS_AF_INET, PS_SOCK_STREAM));
        parse_addr(&a, "127.0.0.1:%d", 0);
        OK(ps_bind(probe, &a));
        *port = pst_local_port(probe);
        OK(ps_close(probe));

        OK(ps_socket(&s, PS_AF_INET, PS_SOCK_STREAM));
        parse_addr(&a, "127.0.0.1:%d", *port);
        int rc = ps_bind(s, &a);
        if (rc == 0)
            return s;
        OK(ps_close(s));
        RC_IS(rc, PS_EADDRINUSE);
    }
    cr_assert_fail("no free port found in 20 attempts");
    return PS_INVALID_SOCKET;
}

Test(socket, bind_then_connect_from_chosen_port, .timeout = 20)
{
    ps_socket_t l, c, a;
    ps_addr to, local, peer;
    char want[64], got[PS_ADDRSTRLEN];
    int port;

    OK(ps_listen(&l, "127.0.0.1", "0", 0));
    OK(ps_local_addr(l, &to));
    c = bound_at_chosen_port(&port);
    cr_assert_eq(pst_local_port(c), port, "ps_local_addr after ps_bind");

    OK(ps_connect_start(c, &to)); /* blocking socket: connects here */
    OK(ps_local_addr(c, &local));
    cr_assert_eq(ps_addr_port(&local), port, "local port after the connect");
    memset(&peer, 0, sizeof peer);
    OK(ps_accept(l, &a, &peer, 5000));
    snprintf(want, sizeof want, "127.0.0.1:%d", port);
    OK(ps_addr_format(&peer, got, sizeof got));
    cr_assert_str_eq(got, want, "the accepted peer");

    exchange(c, a, "from a chosen port");
    exchange(a, c, "and back");
    /* The client closes first, so its port stays in TIME_WAIT: on POSIX a
     * plain bind (no reuse option) cannot have it; Windows decides by its
     * own rules (Wine allows it). */
    OK(ps_close(c));
    OK(ps_close(a));
    OK(ps_close(l));
    parse_addr(&local, "127.0.0.1:%d", port);
    OK(ps_socket(&c, PS_AF_INET, PS_SOCK_STREAM));
    int rc = ps_bind(c, &local);
    if (pst_is_windows())
        cr_assert(rc == 0 || rc == PS_EADDRINUSE, "rebind in TIME_WAIT: %s",
                  ps_errname(rc));
    else
        RC_IS(rc, PS_EADDRINUSE);
    OK(ps_close(c));
}

Test(socket, bind_datagram_port, .timeout = 20)
{
    ps_socket_t u, sender;
    ps_addr a, to, from;
    char buf[16];
    size_t got = 0;

    OK(ps_socket(&u, PS_AF_INET, PS_SOCK_DGRAM));
    parse_addr(&a, "127.0.0.1:%d", 0);
    OK(ps_bind(u, &a));
    parse_addr(&to, "127.0.0.1:%d", pst_local_port(u));

    OK(ps_udp_open(&sender, "127.0.0.1", "0"));
    OK(ps_sendto(sender, "ping", 4, &to, 5000));
    OK(ps_recvfrom(u, buf, sizeof buf, &got, &from, 5000));
    cr_assert_eq(got, 4u);
    cr_assert_arr_eq(buf, "ping", 4);
    cr_assert_eq(ps_addr_port(&from), pst_local_port(sender));
    OK(ps_close(sender));
    OK(ps_close(u));
}

Test(socket, bind_address_in_use, .timeout = 20)
{
    ps_socket_t l, u, s;
    ps_addr taken;

    /* A listener's address, though the listener set its reuse option. */
    OK(ps_listen(&l, "127.0.0.1", "0", 0));
    OK(ps_local_addr(l, &taken));
    OK(ps_socket(&s, PS_AF_INET, PS_SOCK_STREAM));
    RC_IS(ps_bind(s, &taken), PS_EADDRINUSE);
    OK(ps_close(s));
    OK(ps_close(l));

    OK(ps_udp_open(&u, "127.0.0.1", "0"));
    OK(ps_local_addr(u, &taken));
    OK(ps_socket(&s, PS_AF_INET, PS_SOCK_DGRAM));
    RC_IS(ps_bind(s, &taken), PS_EADDRINUSE);
    OK(ps_close(s));
    OK(ps_close(u));
}

Test(socket, bind_bad_arguments, .timeout = 10)
{
    ps_socket_t s;
    ps_addr a, empty, v6;
    int rc;

    parse_addr(&a, "127.0.0.1:%d", 0);
    memset(&empty, 0, sizeof empty);
    OK(ps_socket(&s, PS_AF_INET, PS_SOCK_STREAM));
    RC_IS(ps_bind(s, NULL), PS_EINVAL);
    RC_IS(ps_bind(s, &empty), PS_EINVAL);
    RC_IS(ps_bind(PS_INVALID_SOCKET, &a), PS_EBADF);
    RC_IS(ps_bind(PS_INVALID_SOCKET, NULL), PS_EINVAL); /* arguments first */

    /* Another family than the socket's: the system's error. */
    parse_addr(&v6, "[::1]:%d", 0);
    rc = ps_bind(s, &v6);
    cr_assert(rc == PS_EAFNOSUPPORT || rc == PS_EINVAL || rc == PS_ENOTSUP,
              "IPv6 address on an IPv4 socket: %s (native %d)", ps_errname(rc),
              ps_native_error());

    /* Not an address of this host (TEST-NET-1). */
    parse_addr(&a, "192.0.2.1:%d", 0);
    RC_IS(ps_bind(s, &a), PS_EADDRNOTAVAIL);

    /* Bound once; a second bind is refused. */
    parse_addr(&a, "127.0.0.1:%d", 0);
    OK(ps_bind(s, &a));
    RC_IS(ps_bind(s, &a), PS_EINVAL);
    OK(ps_close(s));
}
